#include "fhir/json/json_patch.h"

#include <rapidjson/pointer.h>

#include <vector>

#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

using Token = rapidjson::Pointer::Token;

// A patch that is well formed but does not fit the resource: 422 (FHIR R4 3.1.0.7.3).
// `sv` and `en` say the same: Swedish first, English after in parentheses (docs/api.md).
Error CannotApply(const std::string& sv, const std::string& en, size_t op_index) {
  return Error::Invalid("processing",
                        "patchen kan inte tillämpas: " + sv + " (the patch cannot be applied: " + en + ")",
                        "operation[" + std::to_string(op_index) + "]");
}

Error Malformed(const std::string& sv, const std::string& en, size_t op_index) {
  return Error::Invalid("invalid", "ogiltig JSON Patch: " + sv + " (malformed JSON Patch: " + en + ")",
                        "operation[" + std::to_string(op_index) + "]");
}

// RFC 6901: an array index is "0" or digits without a leading zero; "-" is the end (add only).
bool ArrayIndex(const Token& token, rapidjson::SizeType size, bool allow_end, rapidjson::SizeType& index) {
  const std::string name(token.name, token.length);
  if (allow_end && name == "-") {
    index = size;
    return true;
  }
  if (token.index == rapidjson::kPointerInvalidIndex) return false;
  if (name.size() > 1 && name[0] == '0') return false;
  index = token.index;
  return allow_end ? index <= size : index < size;
}

// The container that holds the pointer's last token, or nullptr when it does not exist.
rapidjson::Value* Parent(rapidjson::Document& doc, const rapidjson::Pointer& pointer) {
  if (pointer.GetTokenCount() == 0) return nullptr;
  rapidjson::Pointer parent(pointer.GetTokens(), pointer.GetTokenCount() - 1);
  return parent.Get(doc);
}

const Token& Last(const rapidjson::Pointer& pointer) { return pointer.GetTokens()[pointer.GetTokenCount() - 1]; }

Status Add(rapidjson::Document& doc, const rapidjson::Pointer& path, rapidjson::Value value, size_t i) {
  if (path.GetTokenCount() == 0)
    return CannotApply("hela resursen kan inte ersättas med add", "the whole resource cannot be replaced by add", i);
  rapidjson::Value* parent = Parent(doc, path);
  if (!parent) return CannotApply("sökvägens överordnade nod finns inte", "the parent of the path does not exist", i);
  auto& alloc = doc.GetAllocator();
  const Token& last = Last(path);
  if (parent->IsArray()) {
    rapidjson::SizeType index = 0;
    if (!ArrayIndex(last, parent->Size(), /*allow_end=*/true, index))
      return CannotApply("arrayindex utanför intervallet", "array index out of range", i);
    parent->PushBack(rapidjson::Value(), alloc);
    for (rapidjson::SizeType k = parent->Size() - 1; k > index; --k) (*parent)[k] = (*parent)[k - 1];
    (*parent)[index] = value;
    return Ok();
  }
  if (!parent->IsObject())
    return CannotApply("sökvägens överordnade nod är varken objekt eller array",
                       "the parent of the path is not an object or array", i);
  rapidjson::Value name(last.name, last.length, alloc);
  auto member = parent->FindMember(name);
  if (member != parent->MemberEnd()) {
    member->value = value;
  } else {
    parent->AddMember(name, value, alloc);
  }
  return Ok();
}

Status Remove(rapidjson::Document& doc, const rapidjson::Pointer& path, size_t i) {
  if (path.GetTokenCount() == 0)
    return CannotApply("hela resursen kan inte tas bort", "the whole resource cannot be removed", i);
  rapidjson::Value* parent = Parent(doc, path);
  if (!parent) return CannotApply("sökvägen finns inte", "the path does not exist", i);
  const Token& last = Last(path);
  if (parent->IsArray()) {
    rapidjson::SizeType index = 0;
    if (!ArrayIndex(last, parent->Size(), /*allow_end=*/false, index))
      return CannotApply("arrayindex utanför intervallet", "array index out of range", i);
    parent->Erase(parent->Begin() + index);
    return Ok();
  }
  if (!parent->IsObject() || !parent->EraseMember(rapidjson::StringRef(last.name, last.length))) {
    return CannotApply("sökvägen finns inte", "the path does not exist", i);
  }
  return Ok();
}

bool IsPrefix(const rapidjson::Pointer& prefix, const rapidjson::Pointer& path) {
  if (prefix.GetTokenCount() > path.GetTokenCount()) return false;
  for (size_t k = 0; k < prefix.GetTokenCount(); ++k) {
    const Token& a = prefix.GetTokens()[k];
    const Token& b = path.GetTokens()[k];
    if (std::string_view(a.name, a.length) != std::string_view(b.name, b.length)) return false;
  }
  return true;
}

Result<rapidjson::Pointer> PointerMember(const rapidjson::Value& op, const char* name, size_t i) {
  if (!op.HasMember(name) || !op[name].IsString())
    return Malformed(std::string("\"") + name + "\" saknas", std::string("\"") + name + "\" is required", i);
  const auto& text = op[name];
  if (text.GetStringLength() > 0 && text.GetString()[0] != '/') {
    return Malformed(std::string("\"") + name + "\" måste vara en JSON Pointer som börjar med /",
                     std::string("\"") + name + "\" must be a JSON Pointer starting with /", i);
  }
  rapidjson::Pointer pointer(text.GetString(), text.GetStringLength());
  if (!pointer.IsValid())
    return Malformed(std::string("\"") + name + "\" är ingen giltig JSON Pointer",
                     std::string("\"") + name + "\" is not a valid JSON Pointer", i);
  return pointer;
}

Status ApplyOne(rapidjson::Document& doc, const rapidjson::Value& op, size_t i) {
  if (!op.IsObject()) return Malformed("en operation måste vara ett objekt", "an operation must be an object", i);
  const std::string name = StringMember(op, "op");
  auto path = PointerMember(op, "path", i);
  if (!path) return path.error();
  auto& alloc = doc.GetAllocator();
  if (name == "add" || name == "replace" || name == "test") {
    if (!op.HasMember("value")) return Malformed("\"value\" krävs för " + name, "\"value\" is required for " + name, i);
    rapidjson::Value value(op["value"], alloc);
    if (name == "add") return Add(doc, *path, std::move(value), i);
    rapidjson::Value* target = path->Get(doc);
    if (!target) return CannotApply("sökvägen finns inte", "the path does not exist", i);
    if (name == "test") return *target == value ? Ok() : Status(CannotApply("test misslyckades", "test failed", i));
    *target = value;
    return Ok();
  }
  if (name == "remove") return Remove(doc, *path, i);
  if (name == "move" || name == "copy") {
    auto from = PointerMember(op, "from", i);
    if (!from) return from.error();
    const rapidjson::Value* source = from->Get(doc);
    if (!source) return CannotApply("\"from\" finns inte", "\"from\" does not exist", i);
    rapidjson::Value value(*source, alloc);
    if (name == "move") {
      if (IsPrefix(*from, *path) && from->GetTokenCount() < path->GetTokenCount()) {
        return CannotApply("ett värde kan inte flyttas in i sig självt", "a value cannot be moved into itself", i);
      }
      if (auto removed = Remove(doc, *from, i); !removed) return removed;
    }
    return Add(doc, *path, std::move(value), i);
  }
  return Malformed("okänd op \"" + SafeExcerpt(name, 20) + "\"", "unknown op \"" + SafeExcerpt(name, 20) + "\"", i);
}

}  // namespace

Result<std::string> ApplyJsonPatch(std::string_view document, std::string_view patch) {
  rapidjson::Document doc;
  NARA_RETURN_IF_ERROR(ParseJsonObject(document, doc));
  // The patch is an array, so it is parsed with the same bounded parser wrapped in an object.
  rapidjson::Document wrapper;
  std::string wrapped = "{\"p\":";
  wrapped.append(patch.data(), patch.size());
  wrapped += "}";
  if (auto parsed = ParseJsonObject(wrapped, wrapper); !parsed) {
    return Error::Invalid("invalid", "ogiltig JSON Patch (the patch is not valid JSON)");
  }
  const rapidjson::Value& ops = wrapper["p"];
  if (!ops.IsArray()) return Error::Invalid("invalid", "en JSON Patch är en array av operationer (a JSON Patch is an array)");
  for (rapidjson::SizeType i = 0; i < ops.Size(); ++i) {
    NARA_RETURN_IF_ERROR(ApplyOne(doc, ops[i], i));
  }
  return ToJson(doc);
}

}  // namespace nara::fhir
