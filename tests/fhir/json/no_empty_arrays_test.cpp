// FHIR JSON never carries an empty array (R4 JSON format: "an array may not be empty"; the official
// R4 JSON schema and the StructureDefinitions both reject one). Every writer of a FHIR shape is run
// here in the case that leaves an element without values, and its output walked for any `[]`.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "fhir/conformance/capability.h"
#include "fhir/json/bundle.h"
#include "fhir/operations/measure_resources.h"
#include "fhir/resources/resource_types.h"
#include "registry/measures.h"

namespace nara::fhir {
namespace {

// The JSON Pointer paths of every empty array in `value`.
void FindEmptyArrays(const rapidjson::Value& value, const std::string& path, std::vector<std::string>& out) {
  if (value.IsArray()) {
    if (value.Empty()) out.push_back(path);
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      FindEmptyArrays(value[i], path + "/" + std::to_string(i), out);
    }
  } else if (value.IsObject()) {
    for (const auto& member : value.GetObject()) {
      FindEmptyArrays(member.value, path + "/" + member.name.GetString(), out);
    }
  }
}

std::vector<std::string> EmptyArrays(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json.substr(0, 300);
  std::vector<std::string> out;
  if (!doc.HasParseError()) FindEmptyArrays(doc, "", out);
  return out;
}

std::string Joined(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += p + " ";
  return out;
}

TEST(NoEmptyArrays, TheWalkerFindsThem) {  // the check itself must be able to fail
  EXPECT_EQ(EmptyArrays(R"({"a":[],"b":[{"c":[]}],"d":[1]})"), (std::vector<std::string>{"/a", "/b/0/c"}));
}

TEST(NoEmptyArrays, EmptySearchsetAndHistory) {
  const std::string searchset = SearchsetJson("https://h/fhir", {}, 0L, {}, {}, {});
  EXPECT_TRUE(EmptyArrays(searchset).empty()) << Joined(EmptyArrays(searchset)) << searchset;
  const std::string with_link = SearchsetJson("https://h/fhir", {}, 0L, {{"self", "https://h/fhir/Patient"}}, {}, {});
  EXPECT_TRUE(EmptyArrays(with_link).empty()) << with_link;
  const std::string history = HistoryJson("https://h/fhir", {}, 0L, {});
  EXPECT_TRUE(EmptyArrays(history).empty()) << Joined(EmptyArrays(history)) << history;
  // And a non-empty page still has its entries and links.
  StoredResource patient{"Patient", "p1", 1, "2026-01-01T00:00:00Z", false, R"({"resourceType":"Patient","id":"p1"})"};
  rapidjson::Document doc;
  doc.Parse(SearchsetJson("https://h/fhir", {patient}, 1L, {{"self", "u"}}, {}, {}).c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("entry") && doc.HasMember("link"));
  EXPECT_EQ(doc["entry"].Size(), 1u);
}

TEST(NoEmptyArrays, CapabilityStatement) {
  const std::string json = CapabilityStatementJson("https://h/fhir", "test");
  EXPECT_TRUE(EmptyArrays(json).empty()) << Joined(EmptyArrays(json));
}

TEST(NoEmptyArrays, MeasuresAndEmptyReports) {
  for (const auto& def : MeasureDefinitions()) {
    const std::string measure = MeasureJson(def, kNrBase);
    EXPECT_TRUE(EmptyArrays(measure).empty()) << def.id << ": " << Joined(EmptyArrays(measure));
    // A report over a population without anyone in it: no strata, and no list-size bins.
    MeasureResult result;
    result.measure_id = def.id;
    result.period_end = Date::FromDays(20000);
    if (def.id == kMeasureListningPerLakare) result.list_sizes = ListSizeDistribution{};
    const std::string report = MeasureReportJson(result, def, "2026-01-01T00:00:00Z");
    EXPECT_TRUE(EmptyArrays(report).empty()) << def.id << ": " << Joined(EmptyArrays(report));
  }
}

// Measure criteria use an expression language of R4 (text/plain is none); the prose is the description.
TEST(MeasureShape, CriteriaNameAnExpressionLanguage) {
  for (const auto& def : MeasureDefinitions()) {
    rapidjson::Document doc;
    doc.Parse(MeasureJson(def, kNrBase).c_str());
    ASSERT_TRUE(doc.IsObject());
    const auto& group = doc["group"][0];
    std::vector<const rapidjson::Value*> criteria;
    for (const auto& population : group["population"].GetArray()) criteria.push_back(&population["criteria"]);
    if (group.HasMember("stratifier")) {
      for (const auto& stratifier : group["stratifier"].GetArray()) criteria.push_back(&stratifier["criteria"]);
    }
    ASSERT_FALSE(criteria.empty()) << def.id;
    for (const auto* c : criteria) {
      EXPECT_STREQ((*c)["language"].GetString(), "text/cql") << def.id;
      EXPECT_GT((*c)["expression"].GetStringLength(), 0u) << def.id;
      EXPECT_GT((*c)["description"].GetStringLength(), 0u) << def.id;
    }
  }
}

}  // namespace
}  // namespace nara::fhir
