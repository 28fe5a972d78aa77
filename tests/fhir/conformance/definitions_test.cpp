// The conformance resources (fhir/conformance/definitions.h) are the server's tables seen as FHIR: every
// pointer of the CapabilityStatement names one, and every code system and extension of
// registry/code_systems.h has one.
#include "fhir/conformance/definitions.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>
#include <string>

#include "fhir/conformance/capability.h"
#include "registry/code_systems.h"

namespace nara::fhir {
namespace {

const ConformanceResource* ByUrl(const std::string& type, const std::string& url) {
  for (const auto& r : ConformanceResources()) {
    if (r.type == type && r.url == url) return &r;
  }
  return nullptr;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST(ConformanceResources, EachHasItsTypeIdAndUrlAndIsUniquePerType) {
  std::set<std::pair<std::string, std::string>> ids, urls;
  for (const auto& r : ConformanceResources()) {
    auto doc = Parse(r.json);
    EXPECT_EQ(doc["resourceType"].GetString(), r.type);
    EXPECT_EQ(doc["id"].GetString(), r.id);
    EXPECT_EQ(doc["url"].GetString(), r.url);
    EXPECT_STREQ(doc["status"].GetString(), "active") << r.id;
    EXPECT_TRUE(ids.insert({r.type, r.id}).second) << r.type << "/" << r.id;
    EXPECT_TRUE(urls.insert({r.type, r.url}).second) << r.url;
  }
}

TEST(ConformanceResources, EveryOperationOfTheCapabilityStatementHasItsDefinitionWithParameters) {
  const std::string text = CapabilityStatementJson("https://localhost/fhir", "1");
  auto cap = Parse(text);
  const auto& rest = cap["rest"][0];
  std::vector<std::pair<std::string, const rapidjson::Value*>> ops;  // (resource type or "", operation)
  for (const auto& resource : rest["resource"].GetArray()) {
    if (!resource.HasMember("operation")) continue;
    for (const auto& op : resource["operation"].GetArray()) ops.push_back({resource["type"].GetString(), &op});
  }
  for (const auto& op : rest["operation"].GetArray()) ops.push_back({"", &op});
  ASSERT_GE(ops.size(), 9u);
  for (const auto& [type, op] : ops) {
    const std::string url = (*op)["definition"].GetString();
    const ConformanceResource* def = ByUrl("OperationDefinition", url);
    ASSERT_NE(def, nullptr) << type << " $" << (*op)["name"].GetString() << " → " << url;
    auto doc = Parse(def->json);
    EXPECT_EQ(doc["code"].GetString(), std::string((*op)["name"].GetString()));
    if (type.empty()) {
      EXPECT_TRUE(doc["system"].GetBool()) << url;
    } else {
      EXPECT_EQ(doc["resource"][0].GetString(), type) << url;
    }
    ASSERT_TRUE(doc.HasMember("parameter")) << url << ": add its parameters in fhir/conformance/definitions.cpp";
    for (const auto& p : doc["parameter"].GetArray()) {
      EXPECT_TRUE(p.HasMember("type")) << url << " " << p["name"].GetString();
      EXPECT_TRUE(p.HasMember("documentation")) << url << " " << p["name"].GetString();
    }
  }
  const ConformanceResource* fixed = nullptr;
  for (const auto& r : ConformanceResources()) {
    if (r.type == "OperationDefinition" && r.id == "Patient-fixed-contacts") fixed = &r;
  }
  ASSERT_NE(fixed, nullptr);
  EXPECT_EQ(fixed->url, "https://fhir.nara-registry.org/OperationDefinition/Patient-fixed-contacts");
  auto doc = Parse(fixed->json);
  EXPECT_STREQ(doc["parameter"][0]["name"].GetString(), "identifier");
  EXPECT_EQ(doc["parameter"][0]["min"].GetInt(), 1);
  EXPECT_STREQ(doc["parameter"][0]["searchType"].GetString(), "token");
}

TEST(ConformanceResources, EverySearchParamDefinitionResolvesAndSaysHowItIsEvaluated) {
  auto cap = Parse(CapabilityStatementJson("https://localhost/fhir", "1"));
  int custom = 0;
  for (const auto& resource : cap["rest"][0]["resource"].GetArray()) {
    if (!resource.HasMember("searchParam")) continue;
    for (const auto& param : resource["searchParam"].GetArray()) {
      if (!param.HasMember("definition")) continue;
      ++custom;
      const ConformanceResource* def = ByUrl("SearchParameter", param["definition"].GetString());
      ASSERT_NE(def, nullptr) << param["definition"].GetString();
      auto doc = Parse(def->json);
      EXPECT_STREQ(doc["code"].GetString(), param["name"].GetString());
      EXPECT_STREQ(doc["type"].GetString(), param["type"].GetString());
      EXPECT_STREQ(doc["base"][0].GetString(), resource["type"].GetString());
      // A parameter on an element has its FHIRPath; one answered from the registry tables says so.
      const std::string description = doc["description"].GetString();
      EXPECT_TRUE(doc.HasMember("expression") || description.find("no FHIRPath") != std::string::npos)
          << def->id << ": add its expression in fhir/conformance/definitions.cpp";
    }
  }
  EXPECT_GE(custom, 2);
  const ConformanceResource* saebo = ByUrl(
      "SearchParameter", "https://fhir.nara-registry.org/SearchParameter/Organization-serves-saebo");
  ASSERT_NE(saebo, nullptr);
  EXPECT_EQ(SearchParameterCanonical("Patient", "identifier"), "") << "FHIR's own parameters are FHIR's";
  EXPECT_NE(ByUrl("SearchParameter",
                  "https://fhir.nara-registry.org/SearchParameter/PractitionerRole-has-free-capacity"),
            nullptr);
}

TEST(ConformanceResources, TheCodeSystemsOfTheRegistryAreServedWithSwedishDisplays) {
  for (const char* url : {nr::kEpisodeType, nr::kCareTeamCategory, nr::kDocumentType, nr::kOrganizationType,
                          nr::kProfession, nr::kKommun, nr::kEndReasonSystem, nr::kContactRole}) {
    const ConformanceResource* cs = ByUrl("CodeSystem", url);
    ASSERT_NE(cs, nullptr) << url;
    auto doc = Parse(cs->json);
    ASSERT_TRUE(doc.HasMember("concept")) << url;
    for (const auto& c : doc["concept"].GetArray()) EXPECT_TRUE(c.HasMember("display")) << url;
  }
  auto roles = Parse(ByUrl("CodeSystem", nr::kContactRole)->json);
  EXPECT_STREQ(roles["content"].GetString(), "complete");
  std::map<std::string, std::string> displays;
  for (const auto& c : roles["concept"].GetArray()) displays[c["code"].GetString()] = c["display"].GetString();
  EXPECT_EQ(displays, (std::map<std::string, std::string>{
                          {"1", "fast vårdkontakt"},
                          {"2", "fast läkarkontakt i primärvård"},
                          {"3", "fast omsorgskontakt i hemtjänsten"},
                          {"4", "fast vårdkontakt med övergripande samordningsansvar"}}));
  EXPECT_NE(std::string(roles["description"].GetString()).find("national"), std::string::npos);
  auto types = Parse(ByUrl("CodeSystem", nr::kOrganizationType)->json);
  EXPECT_EQ(types["count"].GetInt(), static_cast<int>(types["concept"].Size()));
  EXPECT_STREQ(types["concept"][1]["code"].GetString(), "vardcentral");
  EXPECT_STREQ(types["concept"][1]["display"].GetString(), "Vårdcentral");
}

TEST(ConformanceResources, EveryExtensionIsAnExtensionDefinitionWithItsValueType) {
  const std::map<std::string, std::string> value_types = {
      {nr::kFteExt, "decimal"},           {nr::kListCapacityExt, "integer"}, {nr::kMunicipalityExt, "Coding"},
      {nr::kServesSaeboExt, "Reference"}, {nr::kBeginReasonExt, "Coding"},   {nr::kEndReasonExt, "Coding"},
      {nr::kAgreedTimeExt, "dateTime"},   {nr::kSipExt, "date"}};
  for (const auto& [url, value_type] : value_types) {
    const ConformanceResource* sd = ByUrl("StructureDefinition", url);
    ASSERT_NE(sd, nullptr) << url;
    auto doc = Parse(sd->json);
    EXPECT_STREQ(doc["kind"].GetString(), "complex-type");
    EXPECT_STREQ(doc["type"].GetString(), "Extension");
    EXPECT_STREQ(doc["derivation"].GetString(), "constraint");
    EXPECT_GE(doc["context"].Size(), 1u);
    const auto& elements = doc["differential"]["element"];
    const auto& value = elements[elements.Size() - 1];
    EXPECT_STREQ(value["path"].GetString(), "Extension.value[x]");
    EXPECT_EQ(value["type"][0]["code"].GetString(), value_type) << url;
    EXPECT_STREQ(elements[2]["fixedUri"].GetString(), url.c_str());
  }
}

TEST(ConformanceResources, TheCapabilityStatementListsTheFourTypesAsReadable) {
  auto cap = Parse(CapabilityStatementJson("https://localhost/fhir", "1"));
  std::set<std::string> readable;
  for (const auto& resource : cap["rest"][0]["resource"].GetArray()) {
    for (const auto& i : resource["interaction"].GetArray()) {
      if (std::string(i["code"].GetString()) == "read") readable.insert(resource["type"].GetString());
    }
  }
  for (const auto& type : ConformanceTypes()) EXPECT_EQ(readable.count(type), 1u) << type;
}

}  // namespace
}  // namespace nara::fhir
