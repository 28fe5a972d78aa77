#include "fhir/search/search_elements.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>

#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

constexpr const char* kObservationValue = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

// Elements with minimum cardinality 1 in R4 for the types served here: kept even when not asked for.
const std::vector<std::string>& RequiredElements(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> kRequired = {
      {"EpisodeOfCare", {"status", "patient"}},
      {"DocumentReference", {"status", "content"}},
  };
  static const std::vector<std::string> kNone;
  const auto it = kRequired.find(type);
  return it == kRequired.end() ? kNone : it->second;
}

bool Wanted(const std::string& name, const std::vector<std::string>& elements, const std::string& type) {
  if (name == "resourceType" || name == "id" || name == "meta") return true;
  const auto& required = RequiredElements(type);
  return std::find(elements.begin(), elements.end(), name) != elements.end() ||
         std::find(required.begin(), required.end(), name) != required.end();
}

}  // namespace

std::string SubsetElements(const std::string& json, const std::vector<std::string>& elements) {
  rapidjson::Document doc;
  if (!ParseJsonObject(json, doc)) return json;
  const std::string type = StringMember(doc, "resourceType");
  rapidjson::Document out;
  out.SetObject();
  auto& alloc = out.GetAllocator();
  for (auto& member : doc.GetObject()) {
    const std::string name(member.name.GetString(), member.name.GetStringLength());
    if (!Wanted(name, elements, type)) continue;
    out.AddMember(rapidjson::Value(member.name, alloc), rapidjson::Value(member.value, alloc), alloc);
  }
  if (!out.HasMember("meta") || !out["meta"].IsObject()) {
    out.RemoveMember("meta");
    out.AddMember("meta", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
  rapidjson::Value& meta = out["meta"];
  if (!meta.HasMember("tag") || !meta["tag"].IsArray()) {
    meta.RemoveMember("tag");
    meta.AddMember("tag", rapidjson::Value(rapidjson::kArrayType), alloc);
  }
  rapidjson::Value tag(rapidjson::kObjectType);
  tag.AddMember("system", rapidjson::Value(kObservationValue, alloc), alloc);
  tag.AddMember("code", "SUBSETTED", alloc);
  tag.AddMember("display", "subsetted", alloc);
  meta["tag"].PushBack(tag, alloc);
  return ToJson(out);
}

}  // namespace nara::fhir
