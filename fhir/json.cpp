#include "fhir/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

namespace nara::fhir {
namespace {

bool WithinDepth(const rapidjson::Value& root) {
  // Explicit stack: the check itself must not recurse on hostile input.
  std::vector<std::pair<const rapidjson::Value*, int>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxJsonDepth) return false;
    if (value->IsObject()) {
      for (const auto& member : value->GetObject()) stack.emplace_back(&member.value, depth + 1);
    } else if (value->IsArray()) {
      for (const auto& item : value->GetArray()) stack.emplace_back(&item, depth + 1);
    }
  }
  return true;
}

}  // namespace

Status ParseJsonObject(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return Error::Invalid("structure", std::string("ogiltig JSON (malformed JSON) at offset ") +
                                           std::to_string(doc.GetErrorOffset()) + ": " +
                                           rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) return Error::Invalid("structure", "the body must be a JSON object (a FHIR resource)");
  if (!WithinDepth(doc)) {
    return Error::Invalid("structure", "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  return Ok();
}

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string StringMember(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace nara::fhir
