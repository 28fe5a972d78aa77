#include "fhir/json/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <set>
#include <vector>

namespace nara::fhir {
namespace {

// FHIR R4 strings match [ \r\n\t\S]+: no control character but tab, CR and LF. JSON may escape
// them (\u0000), and PostgreSQL text cannot hold a NUL at all, so they are refused here, for every
// body, before anything is stored or indexed.
bool HasControlCharacter(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return true;
  }
  return false;
}

Error ControlCharacterError(std::string_view where) {
  return Error::Invalid("structure", "text med kontrolltecken i '" + SafeExcerpt(where) +
                                         "' (a string may not hold control characters other than tab, CR and LF)");
}

// Bounded nesting, and no object repeating a member name: RapidJSON keeps both copies, so a
// repeated "identifier" could slip an unchecked value past validation into the stored text.
Status CheckShape(const rapidjson::Value& root) {
  // Explicit stack: the check itself must not recurse on hostile input.
  std::vector<std::pair<const rapidjson::Value*, int>> stack{{&root, 1}};
  std::set<std::string_view> names;
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxJsonDepth) {
      const std::string most = std::to_string(kMaxJsonDepth);
      return Error::Invalid(
          "structure", "JSON nästlad djupare än " + most + " nivåer (JSON nested deeper than " + most + " levels)");
    }
    if (value->IsObject()) {
      names.clear();
      for (const auto& member : value->GetObject()) {
        std::string_view name(member.name.GetString(), member.name.GetStringLength());
        if (!names.insert(name).second) {
          const std::string shown = "'" + SafeExcerpt(name) + "'";
          return Error::Invalid("structure", "JSON-objektet upprepar egenskapen " + shown +
                                                 " (JSON object repeats the property " + shown + ")");
        }
        if (HasControlCharacter(name)) return ControlCharacterError(name);
        if (member.value.IsString() &&
            HasControlCharacter({member.value.GetString(), member.value.GetStringLength()})) {
          return ControlCharacterError(name);
        }
        stack.emplace_back(&member.value, depth + 1);
      }
    } else if (value->IsArray()) {
      for (const auto& item : value->GetArray()) {
        if (item.IsString() && HasControlCharacter({item.GetString(), item.GetStringLength()})) {
          return ControlCharacterError("[]");
        }
        stack.emplace_back(&item, depth + 1);
      }
    }
  }
  return Ok();
}

}  // namespace

Status ParseJsonObject(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    // RapidJSON words its finding in English only: it stands in the English part.
    const std::string offset = std::to_string(doc.GetErrorOffset());
    return Error::Invalid("structure", "ogiltig JSON vid byte " + offset + " (malformed JSON at byte offset " + offset +
                                           ": " + rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  if (!doc.IsObject()) {
    return Error::Invalid("structure",
                          "innehållet måste vara ett JSON-objekt (en FHIR-resurs) "
                          "(the body must be a JSON object (a FHIR resource))");
  }
  return CheckShape(doc);
}

std::string SafeExcerpt(std::string_view text, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    if (!valid) len = 1;
    if (out.size() + len > max_bytes) break;
    if (!valid || lead < 0x20 || lead == 0x7f) out.push_back('?');
    else out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string StringMember(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace nara::fhir
