#include "fhir/conformance/capability.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fhir/conformance/definitions.h"
#include "fhir/resources/resource_types.h"
#include "fhir/search/search_params.h"
#include "registry/subscription.h"

namespace nara::fhir {
namespace {

const char* TypeName(ParamType type) {
  switch (type) {
    case ParamType::token: return "token";
    case ParamType::string: return "string";
    case ParamType::reference: return "reference";
    case ParamType::date: return "date";
  }
  return "?";
}

class Capability : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = CapabilityStatementJson("https://localhost:8443/fhir", "9.8.7");
    doc_.Parse<rapidjson::kParseValidateEncodingFlag>(text_.c_str(), text_.size());
    ASSERT_FALSE(doc_.HasParseError()) << text_;
    ASSERT_TRUE(doc_.IsObject());
  }
  const rapidjson::Value& Rest() { return doc_["rest"][0]; }

  std::string text_;
  rapidjson::Document doc_;
};

TEST_F(Capability, HeaderElements) {
  EXPECT_STREQ(doc_["resourceType"].GetString(), "CapabilityStatement");
  EXPECT_STREQ(doc_["fhirVersion"].GetString(), "4.0.1");
  EXPECT_STREQ(doc_["status"].GetString(), "active");
  EXPECT_STREQ(doc_["kind"].GetString(), "instance");
  EXPECT_TRUE(doc_["date"].IsString());
  EXPECT_STREQ(doc_["software"]["version"].GetString(), "9.8.7");
  EXPECT_STREQ(doc_["implementation"]["url"].GetString(), "https://localhost:8443/fhir");
  std::set<std::string> formats;
  for (const auto& f : doc_["format"].GetArray()) formats.insert(f.GetString());
  EXPECT_TRUE(formats.count("application/fhir+json"));
  for (const auto& f : formats) EXPECT_EQ(f.find("xml"), std::string::npos) << f;
  ASSERT_EQ(doc_["rest"].Size(), 1u);
  EXPECT_STREQ(Rest()["mode"].GetString(), "server");
}

TEST_F(Capability, EveryTypeWithExactlyItsSearchParams) {
  const auto& resources = Rest()["resource"];
  ASSERT_TRUE(resources.IsArray());
  // Every served type, plus AuditEvent (written by the server, searched by admin) and Measure (the
  // fixed indicators) and Group (the virtual groups of bulk export) and Subscription (change
  // notifications): their own tests below; and the four conformance types (definitions_test.cpp).
  ASSERT_EQ(resources.Size(), SupportedTypes().size() + 4 + ConformanceTypes().size());
  std::set<std::string> listed;
  for (const auto& resource : resources.GetArray()) {
    const std::string type = resource["type"].GetString();
    if (type == "AuditEvent" || type == "Measure" || type == "Group" || type == "Subscription" ||
        IsConformanceType(type)) {
      continue;
    }
    EXPECT_TRUE(listed.insert(type).second) << "listed twice: " << type;
    const ResourceTypeDef* def = FindType(type);
    ASSERT_NE(def, nullptr) << "advertised but not served: " << type;
    const auto& params = resource["searchParam"];
    ASSERT_EQ(params.Size(), def->search_params.size()) << type;
    std::set<std::string> names;
    for (rapidjson::SizeType i = 0; i < params.Size(); ++i) {
      const std::string name = params[i]["name"].GetString();
      names.insert(name);
      const SearchParamDef* param = def->FindParam(name);
      ASSERT_NE(param, nullptr) << type << "." << name;
      EXPECT_STREQ(params[i]["type"].GetString(), TypeName(param->type)) << type << "." << name;
    }
    EXPECT_EQ(names.size(), def->search_params.size()) << type << ": duplicate search parameter";
    EXPECT_TRUE(names.count("_id")) << type;
    EXPECT_TRUE(names.count("_lastUpdated")) << type;
  }
  for (const auto& def : SupportedTypes()) EXPECT_TRUE(listed.count(def.type)) << def.type;
}

TEST_F(Capability, InteractionsMatchWhatTheRouterServes) {
  for (const auto& resource : Rest()["resource"].GetArray()) {
    std::set<std::string> codes;
    for (const auto& interaction : resource["interaction"].GetArray()) codes.insert(interaction["code"].GetString());
    const std::string type = resource["type"].GetString();
    if (type == "AuditEvent" || type == "Measure" || type == "Group" || type == "Subscription" ||
        IsConformanceType(type)) {
      continue;
    }
    for (const char* code : {"read", "vread", "update", "patch", "delete", "history-instance", "history-type",
                             "create", "search-type"}) {
      EXPECT_TRUE(codes.count(code)) << resource["type"].GetString() << " " << code;
    }
    EXPECT_TRUE(resource["conditionalCreate"].GetBool());
    EXPECT_TRUE(resource["conditionalUpdate"].GetBool());
    EXPECT_STREQ(resource["conditionalDelete"].GetString(), "single");
    // If-None-Match and If-Modified-Since on read and vread (docs/api.md "Conditional read").
    EXPECT_STREQ(resource["conditionalRead"].GetString(), "full-support");
    EXPECT_STREQ(resource["versioning"].GetString(), "versioned-update");
  }
  std::set<std::string> system;
  for (const auto& interaction : Rest()["interaction"].GetArray()) system.insert(interaction["code"].GetString());
  EXPECT_EQ(system, (std::set<std::string>{"transaction", "batch", "history-system"}));
}

// docs/api.md section 10: Subscription with what fhir/operations/subscriptions.h serves, and every topic.
TEST_F(Capability, SubscriptionListsItsInteractionsOperationsAndTopics) {
  const rapidjson::Value* subscription = nullptr;
  for (const auto& resource : Rest()["resource"].GetArray()) {
    if (std::string(resource["type"].GetString()) == "Subscription") subscription = &resource;
  }
  ASSERT_NE(subscription, nullptr);
  std::set<std::string> codes, operations, topics;
  for (const auto& i : (*subscription)["interaction"].GetArray()) codes.insert(i["code"].GetString());
  for (const auto& o : (*subscription)["operation"].GetArray()) operations.insert(o["name"].GetString());
  for (const auto& e : (*subscription)["extension"].GetArray()) topics.insert(e["valueCanonical"].GetString());
  EXPECT_EQ(codes, (std::set<std::string>{"create", "read", "update", "delete", "search-type"}));
  EXPECT_EQ(operations, (std::set<std::string>{"status", "events"}));
  EXPECT_EQ(topics.size(), AllTopics().size());
  for (Topic topic : AllTopics()) EXPECT_TRUE(topics.count(TopicUrl(topic))) << TopicUrl(topic);
}

// searchInclude/searchRevInclude list exactly what the search parser accepts under strict handling,
// and nothing the parser accepts is missing (every reference parameter that can point there).
TEST_F(Capability, IncludesListedAreTheIncludesThatWork) {
  std::set<std::string> all_includes, all_revincludes;
  for (const auto& resource : Rest()["resource"].GetArray()) {
    const std::string type = resource["type"].GetString();
    const ResourceTypeDef* def = FindType(type);
    if (def == nullptr) continue;  // AuditEvent, Measure: no includes
    size_t references = 0;
    for (const auto& param : def->search_params) references += param.kind == SearchKind::reference ? 1 : 0;
    // FHIR JSON has no empty arrays: a type without reference parameters has no searchInclude.
    ASSERT_EQ(resource.HasMember("searchInclude"), references > 0) << type;
    ASSERT_TRUE(resource.HasMember("searchRevInclude")) << type;  // every type here is referred to
    const rapidjson::Value no_includes(rapidjson::kArrayType);
    const rapidjson::Value& includes = references > 0 ? resource["searchInclude"] : no_includes;
    EXPECT_EQ(includes.Size(), references) << type;
    for (const auto& include : includes.GetArray()) {
      const std::string value = include.GetString();
      all_includes.insert(value);
      auto parsed = ParseSearch(*def, {{"_include", value}}, /*strict=*/true);
      ASSERT_TRUE(parsed.ok()) << type << " _include=" << value;
      EXPECT_EQ(parsed->query.includes.size(), 1u) << value;
    }
    for (const auto& include : resource["searchRevInclude"].GetArray()) {
      const std::string value = include.GetString();
      all_revincludes.insert(type + " <- " + value);
      auto parsed = ParseSearch(*def, {{"_revinclude", value}}, /*strict=*/true);
      ASSERT_TRUE(parsed.ok()) << type << " _revinclude=" << value;
      EXPECT_EQ(parsed->query.revincludes.size(), 1u) << value;
    }
    // Nothing missing: every reference parameter of every type is either listed or refused.
    for (const auto& source : SupportedTypes()) {
      for (const auto& param : source.search_params) {
        if (param.kind != SearchKind::reference) continue;
        const std::string value = source.type + ":" + param.name;
        const bool works = ParseSearch(*def, {{"_revinclude", value}}, true).ok();
        EXPECT_EQ(works, all_revincludes.count(type + " <- " + value) == 1) << type << " _revinclude=" << value;
      }
    }
  }
  // The ones the issue names.
  for (const char* include : {"CareTeam:subject", "CareTeam:participant", "CareTeam:member", "EpisodeOfCare:patient",
                              "EpisodeOfCare:organization", "PractitionerRole:practitioner",
                              "PractitionerRole:organization", "DocumentReference:subject", "Organization:partof"}) {
    EXPECT_TRUE(all_includes.count(include)) << include;
  }
  EXPECT_TRUE(all_revincludes.count("Patient <- CareTeam:subject"));
  EXPECT_TRUE(all_revincludes.count("Patient <- EpisodeOfCare:patient"));
  EXPECT_TRUE(all_revincludes.count("Organization <- PractitionerRole:organization"));
  EXPECT_FALSE(all_revincludes.count("Organization <- CareTeam:subject"));
}

TEST(CapabilityEscaping, BaseUrlAndVersionAreEscaped) {
  const std::string text = CapabilityStatementJson("https://h/\"x\"", "1.0\"\\");
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  ASSERT_FALSE(doc.HasParseError()) << text;
  EXPECT_STREQ(doc["implementation"]["url"].GetString(), "https://h/\"x\"");
  EXPECT_STREQ(doc["software"]["version"].GetString(), "1.0\"\\");
}

TEST_F(Capability, AuditEventIsSearchOnly) {
  const rapidjson::Value* audit = nullptr;
  for (const auto& resource : Rest()["resource"].GetArray()) {
    if (std::string(resource["type"].GetString()) == "AuditEvent") audit = &resource;
  }
  ASSERT_NE(audit, nullptr);
  ASSERT_EQ((*audit)["interaction"].Size(), 1u);
  EXPECT_STREQ((*audit)["interaction"][0]["code"].GetString(), "search-type");
  std::set<std::string> names;
  for (const auto& param : (*audit)["searchParam"].GetArray()) names.insert(param["name"].GetString());
  EXPECT_EQ(names, (std::set<std::string>{"patient", "agent", "date"}));
}

TEST_F(Capability, MeasureIsReadAndSearchWithEvaluateMeasure) {
  const rapidjson::Value* measure = nullptr;
  for (const auto& resource : Rest()["resource"].GetArray()) {
    if (std::string(resource["type"].GetString()) == "Measure") measure = &resource;
  }
  ASSERT_NE(measure, nullptr);
  EXPECT_EQ(FindType("Measure"), nullptr) << "Measure is served from the definitions, not the store";
  std::set<std::string> codes;
  for (const auto& interaction : (*measure)["interaction"].GetArray()) codes.insert(interaction["code"].GetString());
  EXPECT_EQ(codes, (std::set<std::string>{"read", "search-type"}));
  ASSERT_TRUE(measure->HasMember("operation"));
  ASSERT_EQ((*measure)["operation"].Size(), 1u);
  EXPECT_STREQ((*measure)["operation"][0]["name"].GetString(), "evaluate-measure");
  EXPECT_STREQ((*measure)["operation"][0]["definition"].GetString(),
               "http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure");
}

// Bulk Data 2.0 (fhir/operations/bulk_export.h): $export at system level, Patient/$export, and the virtual
// Groups (read, search) with Group/[id]/$export, each naming the Bulk Data OperationDefinition.
TEST_F(Capability, BulkExportOperations) {
  ASSERT_TRUE(doc_.HasMember("instantiates"));
  EXPECT_STREQ(doc_["instantiates"][0].GetString(), "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data");
  ASSERT_TRUE(Rest().HasMember("operation"));
  // $export, then $report (the report people read, docs/api.md section 11).
  ASSERT_EQ(Rest()["operation"].Size(), 2u);
  EXPECT_STREQ(Rest()["operation"][0]["name"].GetString(), "export");
  EXPECT_STREQ(Rest()["operation"][0]["definition"].GetString(),
               "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export");
  EXPECT_STREQ(Rest()["operation"][1]["name"].GetString(), "report");
  std::map<std::string, std::string> export_definition;
  std::set<std::string> group_codes;
  for (const auto& resource : Rest()["resource"].GetArray()) {
    const std::string type = resource["type"].GetString();
    if (type == "Group") {
      for (const auto& interaction : resource["interaction"].GetArray()) group_codes.insert(interaction["code"].GetString());
    }
    if (!resource.HasMember("operation")) continue;
    for (const auto& op : resource["operation"].GetArray()) {
      if (std::string(op["name"].GetString()) == "export") export_definition[type] = op["definition"].GetString();
    }
  }
  EXPECT_EQ(export_definition,
            (std::map<std::string, std::string>{
                {"Patient", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
                {"Group", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}}));
  EXPECT_EQ(group_codes, (std::set<std::string>{"read", "search-type"}));
  EXPECT_EQ(FindType("Group"), nullptr) << "Groups are virtual, not stored";
}

}  // namespace
}  // namespace nara::fhir
