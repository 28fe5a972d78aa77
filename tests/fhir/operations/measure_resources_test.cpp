// Measure and MeasureReport JSON (fhir/operations/measure_resources.h): valid JSON, the FHIR R4 fields the
// statistics clients read, the goal beside the figures, and the listning-per-lakare histogram.
#include "fhir/operations/measure_resources.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <set>
#include <string>

#include "fhir/resources/resource_types.h"

namespace nara::fhir {
namespace {

rapidjson::Document ParseOk(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  EXPECT_TRUE(doc.IsObject()) << text;
  return doc;
}

const rapidjson::Value* At(const rapidjson::Document& doc, const char* pointer) {
  return rapidjson::Pointer(pointer).Get(doc);
}

std::string Text(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = At(doc, pointer);
  return v && v->IsString() ? v->GetString() : std::string("<missing ") + pointer + ">";
}

double Number(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* v = At(doc, pointer);
  return v && v->IsNumber() ? v->GetDouble() : -12345;
}

TEST(MeasureJson, EveryDefinitionIsAnActiveMeasureWithItsCanonicalUrl) {
  ASSERT_EQ(MeasureDefinitions().size(), 11u);
  for (const auto& def : MeasureDefinitions()) {
    auto doc = ParseOk(MeasureJson(def, kNrBase));
    EXPECT_EQ(Text(doc, "/resourceType"), "Measure");
    EXPECT_EQ(Text(doc, "/id"), def.id);
    EXPECT_EQ(Text(doc, "/url"), std::string(kNrBase) + "/Measure/" + def.id);
    EXPECT_EQ(Text(doc, "/url"), MeasureCanonical(def.id));
    EXPECT_EQ(Text(doc, "/status"), "active");
    EXPECT_EQ(Text(doc, "/title"), def.title);
    EXPECT_EQ(Text(doc, "/description"), def.description);
    EXPECT_EQ(Text(doc, "/scoring/coding/0/system"), "http://terminology.hl7.org/CodeSystem/measure-scoring");
    const std::string scoring = Text(doc, "/scoring/coding/0/code");
    std::set<std::string> populations;
    for (const auto& p : (*At(doc, "/group/0/population")).GetArray()) {
      populations.insert(p["code"]["coding"][0]["code"].GetString());
    }
    std::set<std::string> stratifiers;
    for (const auto& s : (*At(doc, "/group/0/stratifier")).GetArray()) {
      stratifiers.insert(s["code"]["coding"][0]["code"].GetString());
    }
    for (const auto& code : def.stratifiers) EXPECT_TRUE(stratifiers.count(code)) << def.id << " " << code;
    switch (def.kind) {
      case MeasureKind::proportion:
        EXPECT_EQ(scoring, "proportion");
        EXPECT_EQ(populations, (std::set<std::string>{"initial-population", "denominator", "numerator"}));
        EXPECT_EQ(Text(doc, "/improvementNotation/coding/0/code"), "increase");
        break;
      case MeasureKind::ratio:
        EXPECT_EQ(scoring, "ratio");
        EXPECT_EQ(populations, (std::set<std::string>{"initial-population", "denominator", "numerator"}));
        EXPECT_TRUE(stratifiers.count(kStratListSize));
        break;
      case MeasureKind::count:
        EXPECT_EQ(scoring, "cohort");
        EXPECT_EQ(populations, (std::set<std::string>{"initial-population"}));
        break;
      case MeasureKind::mean:
        EXPECT_EQ(scoring, "continuous-variable");
        EXPECT_EQ(populations, (std::set<std::string>{"initial-population", "measure-population"}));
        EXPECT_EQ(Text(doc, "/improvementNotation/coding/0/code"), "increase");
        break;
    }
    if (def.relative_goal) {
      EXPECT_EQ(Text(doc, "/extension/0/url"), kRelativeGoalExtension);
      EXPECT_DOUBLE_EQ(Number(doc, "/extension/0/valueDecimal"), *def.relative_goal);
    } else if (def.goal) {
      EXPECT_EQ(Text(doc, "/extension/0/url"), kMeasureGoalExtension);
      EXPECT_DOUBLE_EQ(Number(doc, "/extension/0/valueDecimal"), *def.goal);
    } else {
      EXPECT_EQ(At(doc, "/extension"), nullptr) << def.id;
    }
  }
}

TEST(MeasureJson, GoalsAreTheOnesOfApiMd) {
  auto goal_of = [](const char* id) {
    auto doc = ParseOk(MeasureJson(*FindMeasure(id), kNrBase));
    return Number(doc, "/extension/0/valueDecimal");
  };
  EXPECT_DOUBLE_EQ(goal_of(kMeasureFastLakarkontakt), 0.55);
  EXPECT_DOUBLE_EQ(goal_of(kMeasureSaeboFastLakarkontakt), 0.80);
  EXPECT_DOUBLE_EQ(goal_of(kMeasureListningPerLakare), 1100);
}

MeasureResult ProportionResult() {
  MeasureResult r;
  r.measure_id = kMeasureFastLakarkontakt;
  r.period_end = *Date::Parse("2025-06-30");
  r.subject = "vc-1";
  r.numerator = 3;
  r.denominator = 5;
  r.score = 0.6;
  r.goal = 0.55;
  r.strata = {{kStratAgeBand, "18-64", 2, 3, std::nullopt}, {kStratAgeBand, "80+", 1, 2, std::nullopt}, {kStratSex, "female", 3, 5, std::nullopt}};
  return r;
}

TEST(MeasureReportJson, SummaryWithPopulationsScoreGoalAndStrata) {
  const auto result = ProportionResult();
  auto doc = ParseOk(MeasureReportJson(result, *FindMeasure(result.measure_id), "2025-07-01T08:00:00Z"));
  EXPECT_EQ(Text(doc, "/resourceType"), "MeasureReport");
  EXPECT_EQ(Text(doc, "/status"), "complete");
  EXPECT_EQ(Text(doc, "/type"), "summary");
  EXPECT_EQ(Text(doc, "/measure"), MeasureCanonical(kMeasureFastLakarkontakt));
  EXPECT_EQ(Text(doc, "/subject/reference"), "Organization/vc-1");
  EXPECT_EQ(Text(doc, "/date"), "2025-07-01T08:00:00Z");
  EXPECT_EQ(Text(doc, "/period/end"), "2025-06-30");
  EXPECT_EQ(At(doc, "/reporter"), nullptr);
  EXPECT_EQ(Text(doc, "/extension/0/url"), kMeasureGoalExtension);
  EXPECT_DOUBLE_EQ(Number(doc, "/extension/0/valueDecimal"), 0.55);
  std::map<std::string, double> counts;
  for (const auto& p : (*At(doc, "/group/0/population")).GetArray()) {
    counts[p["code"]["coding"][0]["code"].GetString()] = p["count"].GetDouble();
  }
  EXPECT_EQ(counts["numerator"], 3);
  EXPECT_EQ(counts["denominator"], 5);
  EXPECT_EQ(counts["initial-population"], 5);
  EXPECT_DOUBLE_EQ(Number(doc, "/group/0/measureScore/value"), 0.6);

  // Every stratifier of the definition is present; strata under theirs.
  const auto& stratifiers = *At(doc, "/group/0/stratifier");
  ASSERT_EQ(stratifiers.Size(), FindMeasure(kMeasureFastLakarkontakt)->stratifiers.size());
  bool saw_80 = false;
  for (const auto& s : stratifiers.GetArray()) {
    const std::string code = s["code"][0]["coding"][0]["code"].GetString();
    for (const auto& stratum : s["stratum"].GetArray()) {
      const std::string value = stratum["value"]["text"].GetString();
      if (code == kStratAgeBand && value == "80+") {
        saw_80 = true;
        EXPECT_DOUBLE_EQ(stratum["measureScore"]["value"].GetDouble(), 0.5);
        EXPECT_EQ(stratum["population"].Size(), 3u);
      }
      EXPECT_TRUE(code == kStratAgeBand || code == kStratSex) << code;
    }
  }
  EXPECT_TRUE(saw_80);
}

TEST(MeasureReportJson, NationalHasNoSubjectAndNoScoreWithoutDenominator) {
  MeasureResult r;
  r.measure_id = kMeasureSaeboFastLakarkontakt;
  r.period_end = *Date::Parse("2024-01-01");
  auto doc = ParseOk(MeasureReportJson(r, *FindMeasure(r.measure_id)));
  EXPECT_EQ(At(doc, "/subject"), nullptr);
  EXPECT_EQ(At(doc, "/group/0/measureScore"), nullptr);
  EXPECT_DOUBLE_EQ(Number(doc, "/extension/0/valueDecimal"), 0.80);  // from the definition
  EXPECT_EQ(Text(doc, "/date").size(), 20u);
}

TEST(MeasureReportJson, ListningPerLakareCarriesHistogramAndUnitFte) {
  MeasureResult r;
  r.measure_id = kMeasureListningPerLakare;
  r.period_end = *Date::Parse("2025-01-01");
  r.numerator = 1500;
  r.denominator = 2;
  r.score = 1000;
  r.goal = 1100;
  r.strata = {{kStratVardcentral, "vc-a", 1500, 2, std::nullopt}};
  ListSizeDistribution dist;
  dist.doctors = {{"r1", "vc-a", 1.0, 1000, 900}, {"r2", "vc-a", 0.5, 600, 600}};
  for (const auto& label : ListSizeBinLabels()) dist.bins.push_back({label, 0});
  dist.units = {{"vc-a", 1500, 2, 1.5, 1000.0}};
  r.list_sizes = dist;
  r.list_sizes->bins[2].doctors = 1;  // 80-99 %
  r.list_sizes->bins[3].doctors = 1;  // full
  auto doc = ParseOk(MeasureReportJson(r, *FindMeasure(r.measure_id)));
  EXPECT_DOUBLE_EQ(Number(doc, "/extension/0/valueDecimal"), 1100);
  EXPECT_DOUBLE_EQ(Number(doc, "/group/0/measureScore/value"), 1000);
  bool saw_unit = false, saw_hist = false;
  for (const auto& s : (*At(doc, "/group/0/stratifier")).GetArray()) {
    const std::string code = s["code"][0]["coding"][0]["code"].GetString();
    if (code == kStratVardcentral) {
      ASSERT_EQ(s["stratum"].Size(), 1u);
      const auto& stratum = s["stratum"][0];
      EXPECT_STREQ(stratum["value"]["text"].GetString(), "vc-a");
      EXPECT_DOUBLE_EQ(stratum["measureScore"]["value"].GetDouble(), 1000);
      EXPECT_STREQ(stratum["extension"][0]["url"].GetString(), kDoctorFteExtension);
      EXPECT_DOUBLE_EQ(stratum["extension"][0]["valueDecimal"].GetDouble(), 1.5);
      saw_unit = true;
    }
    if (code == kStratListSize) {
      ASSERT_EQ(s["stratum"].Size(), ListSizeBinLabels().size());
      long doctors = 0;
      for (const auto& stratum : s["stratum"].GetArray()) doctors += stratum["population"][0]["count"].GetInt64();
      EXPECT_EQ(doctors, 2);
      saw_hist = true;
    }
  }
  EXPECT_TRUE(saw_unit);
  EXPECT_TRUE(saw_hist);
}

TEST(MeasureReportJson, CountIsACohortWithTheCountAsScore) {
  MeasureResult r;
  r.measure_id = kMeasurePatientkontrakt;
  r.period_end = *Date::Parse("2025-01-01");
  r.numerator = 7;
  r.score = 7;
  r.strata = {{kStratAgeBand, "65-79", 7, 0, std::nullopt}};
  auto doc = ParseOk(MeasureReportJson(r, *FindMeasure(r.measure_id)));
  ASSERT_EQ((*At(doc, "/group/0/population")).Size(), 1u);
  EXPECT_EQ(Text(doc, "/group/0/population/0/code/coding/0/code"), "initial-population");
  EXPECT_DOUBLE_EQ(Number(doc, "/group/0/population/0/count"), 7);
  EXPECT_DOUBLE_EQ(Number(doc, "/group/0/stratifier/0/stratum/0/measureScore/value"), 7);
  EXPECT_EQ(At(doc, "/extension"), nullptr);
}

}  // namespace
}  // namespace nara::fhir
