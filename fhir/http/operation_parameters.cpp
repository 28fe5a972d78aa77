#include "fhir/http/operation_parameters.h"

#include <rapidjson/document.h>

#include <cstring>

#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

constexpr const char* kAsText[] = {"valueString", "valueCode",     "valueDate", "valueDateTime", "valueInstant",
                                   "valueUri",    "valueCanonical", "valueUrl", "valueId",       "valueOid",
                                   "valueTime",   "valueMarkdown"};
constexpr const char* kAsNumber[] = {"valueInteger", "valuePositiveInt", "valueUnsignedInt", "valueDecimal"};

Error Invalid(const std::string& text) { return Error::Invalid("invalid", text); }

Result<std::string> ValueOf(const rapidjson::Value& parameter, const std::string& name) {
  for (const auto& member : parameter.GetObject()) {
    const char* key = member.name.GetString();
    if (std::strncmp(key, "value", 5) != 0) continue;
    const rapidjson::Value& value = member.value;
    for (const char* text : kAsText) {
      if (std::strcmp(key, text) == 0 && value.IsString()) return std::string(value.GetString(), value.GetStringLength());
    }
    for (const char* number : kAsNumber) {
      if (std::strcmp(key, number) == 0 && value.IsNumber()) return ToJson(value);
    }
    if (std::strcmp(key, "valueBoolean") == 0 && value.IsBool()) return std::string(value.GetBool() ? "true" : "false");
    if (std::strcmp(key, "valueIdentifier") == 0 && value.IsObject()) {
      const std::string system = StringMember(value, "system"), id_value = StringMember(value, "value");
      if (id_value.empty()) return Invalid("parametern " + SafeExcerpt(name) + " saknar identifier.value (has no value)");
      return system + "|" + id_value;
    }
    if (std::strcmp(key, "valueReference") == 0 && value.IsObject()) {
      const std::string reference = StringMember(value, "reference");
      if (reference.empty()) return Invalid("parametern " + SafeExcerpt(name) + " saknar reference (has no reference)");
      return reference;
    }
    return Invalid("parametern " + SafeExcerpt(name) + " har en värdetyp som inte stöds: " + SafeExcerpt(key) +
                   " (unsupported value type)");
  }
  return Invalid("parametern " + SafeExcerpt(name) + " saknar värde (parameter has no value[x])");
}

}  // namespace

Result<QueryParams> ParametersAsQuery(const std::string& body) {
  QueryParams params;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return params;
  rapidjson::Document doc;
  NARA_RETURN_IF_ERROR(ParseJsonObject(body, doc));
  if (StringMember(doc, "resourceType") != "Parameters") {
    return Invalid("en operation tar en Parameters-resurs i POST (an operation's POST body is a Parameters resource)");
  }
  if (!doc.HasMember("parameter")) return params;
  if (!doc["parameter"].IsArray()) return Invalid("Parameters.parameter ska vara en lista (must be an array)");
  for (const auto& parameter : doc["parameter"].GetArray()) {
    if (!parameter.IsObject()) return Invalid("Parameters.parameter ska vara objekt (must be objects)");
    const std::string name = StringMember(parameter, "name");
    if (name.empty()) return Invalid("en parameter saknar name (a parameter has no name)");
    if (parameter.HasMember("part") || parameter.HasMember("resource")) {
      return Invalid("parametern " + SafeExcerpt(name) + " har part eller resource, som ingen operation här tar "
                     "(no operation here takes a part or resource parameter)");
    }
    auto value = ValueOf(parameter, name);
    if (!value) return value.error();
    params.emplace_back(name, std::move(*value));
  }
  return params;
}

}  // namespace nara::fhir
