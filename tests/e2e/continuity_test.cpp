// Continuity of care end-to-end (docs/api.md section 11): the Encounter feed over mTLS — idempotent on
// identifier, no diagnosis or reason, ehr only for its own units, single and Bundle, audited.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::World;

const std::string kJournal = "urn:oid:1.2.752.129.2.1.2.99";  // a journal system's contact ids (test)

// An Encounter without id (a POST), finished unless told, with the role as primary performer (PPRF).
std::string EncounterJson(const std::string& contact_id, const std::string& patient, const std::string& unit,
                          const std::string& role, const std::string& date, const std::string& visit_class = "AMB",
                          const std::string& extra = "") {
  std::string json = R"({"resourceType":"Encounter","identifier":[{"system":")" + kJournal + R"(","value":")" +
                     contact_id + R"("}],"status":"finished","class":{"system":)" +
                     R"("http://terminology.hl7.org/CodeSystem/v3-ActCode","code":")" + visit_class +
                     R"("},"subject":)" + reg::Ref("Patient/" + patient) + R"(,"serviceProvider":)" +
                     reg::Ref("Organization/" + unit);
  if (!role.empty()) {
    json += R"(,"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/)"
            R"(v3-ParticipationType","code":"PPRF"}]}],"individual":)" +
            reg::Ref("PractitionerRole/" + role) + "}]";
  }
  return json + R"(,"period":{"start":")" + date + R"("})" + extra + "}";
}

long Total(testing::TlsClient& client, const std::string& query) {
  auto doc = Parse(client.Request("GET", "/fhir/" + query + "&_summary=count").body);
  const auto* total = rapidjson::Pointer("/total").Get(doc);
  return total && total->IsInt64() ? total->GetInt64() : -1;
}

TEST(ContinuityFeed, ASecondPostWithTheSameIdentifierAnswersTheFirst) {
  World w("cf-idem");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc);
  const std::string patient = w.Patient("p");
  const std::string body = EncounterJson(w.Id("k1"), patient, vc, doctor, "2025-03-01");
  auto first = w.ehr().Request("POST", "/fhir/Encounter", body, reg::kFhirJson);
  ASSERT_EQ(first.status, 201) << first.body.substr(0, 600);
  const std::string id = At(Parse(first.body), "/id");
  auto again = w.ehr().Request("POST", "/fhir/Encounter", body, reg::kFhirJson);
  ASSERT_EQ(again.status, 200) << again.body.substr(0, 600);
  EXPECT_EQ(At(Parse(again.body), "/id"), id);
  EXPECT_EQ(Total(w.ehr(), "Encounter?identifier=" + kJournal + "|" + w.Id("k1")), 1);
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient), 1);
  // Searchable by what the measures use.
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient + "&class=AMB&status=finished"), 1);
  EXPECT_EQ(Total(w.ehr(), "Encounter?participant=PractitionerRole/" + doctor), 1);
  // Another visit may not take over the identifier of the first: it is unique among live Encounters.
  auto second = w.ehr().Request("POST", "/fhir/Encounter", EncounterJson(w.Id("k2"), patient, vc, doctor, "2025-04-01"),
                                reg::kFhirJson);
  ASSERT_EQ(second.status, 201) << second.body.substr(0, 600);
  const std::string second_id = At(Parse(second.body), "/id");
  std::string taken = EncounterJson(w.Id("k1"), patient, vc, doctor, "2025-04-01");
  taken.insert(1, R"("id":")" + second_id + R"(",)");
  auto clash = w.ehr().Request("PUT", "/fhir/Encounter/" + second_id, taken, reg::kFhirJson);
  EXPECT_EQ(clash.status, 409) << clash.body.substr(0, 600);
}

TEST(ContinuityFeed, ADiagnosisOrReasonIsRefused) {
  World w("cf-diag");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");
  for (const std::string clinical :
       {R"(,"reasonCode":[{"text":"Hosta"}])", R"(,"diagnosis":[{"condition":{"reference":"Condition/x"}}])"}) {
    auto result = w.ehr().Request("POST", "/fhir/Encounter", EncounterJson(w.Id("k"), patient, vc, "", "2025-03-01",
                                                                            "AMB", clinical),
                                  reg::kFhirJson);
    EXPECT_EQ(result.status, 422) << result.body.substr(0, 600);
    EXPECT_NE(result.body.find("diagnos eller kontaktorsak"), std::string::npos) << result.body.substr(0, 600);
  }
  auto inpatient = w.ehr().Request("POST", "/fhir/Encounter",
                                   EncounterJson(w.Id("k2"), patient, vc, "", "2025-03-01", "IMP"), reg::kFhirJson);
  EXPECT_EQ(inpatient.status, 422) << inpatient.body.substr(0, 600);
  EXPECT_EQ(At(Parse(inpatient.body), "/issue/0/expression/0"), "Encounter.class");
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient), 0);
}

TEST(ContinuityFeed, EhrWritesOnlyForItsOwnUnitsAndStatisticsCannotRead) {
  World w("cf-own");
  const std::string patient = w.Patient("p");
  // A vårdcentral outside the ehr client's region (its own HSA-id, no partOf).
  const std::string other = w.Id("other");
  World::Put(w.admin(), "Organization", other,
             reg::OrganizationJson(other, "SE2321000099-0042", "vardcentral"));
  auto refused = w.ehr().Request("POST", "/fhir/Encounter", EncounterJson(w.Id("k"), patient, other, "", "2025-03-01"),
                                 reg::kFhirJson);
  EXPECT_EQ(refused.status, 403) << refused.body.substr(0, 600);
  auto by_kommun = w.municipality().Request(
      "POST", "/fhir/Encounter", EncounterJson(w.Id("k"), patient, w.Vardcentral("vc"), "", "2025-03-01"),
      reg::kFhirJson);
  EXPECT_EQ(by_kommun.status, 403) << by_kommun.body.substr(0, 600);
  auto stats = Server::Shared().Client("statistics");
  EXPECT_EQ(stats->Request("GET", "/fhir/Encounter?patient=Patient/" + patient).status, 403);
}

TEST(ContinuityFeed, ATransactionDeliversVisitsOnceAndIsAudited) {
  World w("cf-tx");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc);
  const std::string patient = w.Patient("p");
  auto entry = [&](const std::string& contact, const std::string& date, const std::string& visit_class) {
    return R"({"resource":)" + EncounterJson(w.Id(contact), patient, vc, doctor, date, visit_class) +
           R"(,"request":{"method":"POST","url":"Encounter"}})";
  };
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)" +
                             entry("a", "2025-01-10", "AMB") + "," + entry("b", "2025-02-10", "VR") + "," +
                             entry("c", "2025-03-10", "HH") + "]}";
  auto tx = w.ehr().Request("POST", "/fhir", bundle, reg::kFhirJson);
  ASSERT_EQ(tx.status, 200) << tx.body.substr(0, 800);
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient), 3);
  // The same delivery again, as a batch: every entry answers the visit already stored.
  std::string batch = bundle;
  batch.replace(batch.find("\"transaction\""), 13, "\"batch\"");
  auto replay = w.ehr().Request("POST", "/fhir", batch, reg::kFhirJson);
  ASSERT_EQ(replay.status, 200) << replay.body.substr(0, 800);
  // Each entry's own status, not any "201" in the body: a lastUpdated at millisecond .201 has one too.
  const auto replayed = Parse(replay.body);
  for (int i = 0; i < 3; ++i) {
    const std::string pointer = "/entry/" + std::to_string(i) + "/response/status";
    EXPECT_EQ(At(replayed, pointer.c_str()).rfind("200", 0), 0u) << replay.body.substr(0, 800);
  }
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient), 3);

  auto audit = w.admin().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient + "&_count=100");
  ASSERT_EQ(audit.status, 200) << audit.body.substr(0, 600);
  EXPECT_NE(audit.body.find("Encounter/"), std::string::npos) << "the visits' writes name the Encounters";
}

// The figures of one MeasureReport: measureScore, the first population count and the extensions by url.
struct Report {
  int status = 0;
  double score = -1;
  long population = -1;
  std::map<std::string, std::string> extensions;  // url → valueDecimal or valueDate as text
  std::string body;
};

Report Evaluate(testing::TlsClient& client, const std::string& measure, const std::string& query) {
  Report r;
  auto result = client.Request("GET", "/fhir/Measure/" + measure + "/$evaluate-measure" + query);
  r.status = result.status;
  r.body = result.body;
  auto doc = Parse(result.body);
  if (const auto* score = rapidjson::Pointer("/group/0/measureScore/value").Get(doc)) r.score = score->GetDouble();
  if (const auto* count = rapidjson::Pointer("/group/0/population/0/count").Get(doc)) r.population = count->GetInt64();
  if (doc.IsObject() && doc.HasMember("extension")) {
    for (const auto& ext : doc["extension"].GetArray()) {
      const std::string url = ext["url"].GetString();
      if (ext.HasMember("valueDecimal")) r.extensions[url] = std::to_string(ext["valueDecimal"].GetDouble());
      if (ext.HasMember("valueDate")) r.extensions[url] = ext["valueDate"].GetString();
    }
  }
  return r;
}

// docs/api.md section 11, the worked example: one unit, D1 the fast läkarkontakt of A and C;
// A = D1 D1 D2 D1 D3 D1 → COC 0.4, UPC 4/6, share 4/6; C = D1 D2 D3 → COC 0, UPC 1/3; unit mean COC 0.2.
TEST(ContinuityMeasures, TheWorkedExampleOfTheContract) {
  World w("cm-example");
  const std::string vc = w.Vardcentral("vc");
  const std::string elsewhere = w.Vardcentral("vc2");
  const std::string d1 = w.Staff("d1", vc), d2 = w.Staff("d2", vc), d3 = w.Staff("d3", vc);
  const std::string nurse = w.Staff("ssk", vc, "sjukskoterska");
  const std::string a = w.Patient("a"), c = w.Patient("c");
  for (const auto& p : {a, c}) {
    World::Require(w.List(w.Id("l-" + p), p, vc, "2024-01-01"), "listing");
    World::Require(w.Contact(w.Id("flk-" + p), p, d1, vc, "2024-01-01"), "fast läkarkontakt");
  }
  int n = 0;
  const auto visit = [&](const std::string& patient, const std::string& unit, const std::string& role,
                         const std::string& date, const std::string& visit_class = "AMB") {
    auto r = w.ehr().Request("POST", "/fhir/Encounter",
                             EncounterJson(w.Id("k" + std::to_string(n++)), patient, unit, role, date, visit_class),
                             reg::kFhirJson);
    World::Require(r, "visit");
  };
  const std::vector<std::string> a_doctors = {d1, d1, d2, d1, d3, d1};
  for (size_t i = 0; i < a_doctors.size(); ++i) visit(a, vc, a_doctors[i], "2025-0" + std::to_string(i + 1) + "-10");
  visit(c, vc, d1, "2025-01-15");
  visit(c, vc, d2, "2025-02-15");
  visit(c, vc, d3, "2025-06-15");
  // Not counted by the doctor measures: a nurse visit; not at the listing unit: a visit elsewhere.
  visit(a, vc, nurse, "2025-07-01");
  visit(a, elsewhere, d2, "2025-07-02");
  // Not counted at all: before the window, and not finished.
  visit(c, vc, d1, "2023-12-01");
  World::Require(w.ehr().Request("POST", "/fhir/Encounter",
                                 EncounterJson(w.Id("planned"), c, vc, d1, "2025-08-01").replace(
                                     EncounterJson(w.Id("planned"), c, vc, d1, "2025-08-01").find("finished"), 8,
                                     "planned"),
                                 reg::kFhirJson),
                 "planned visit");

  auto stats = Server::Shared().Client("statistics");
  const std::string at = "?periodEnd=2025-12-31&subject=Organization/" + vc;
  const Report coc = Evaluate(*stats, "kontinuitet-coc-lakare", at);
  ASSERT_EQ(coc.status, 200) << coc.body.substr(0, 800);
  EXPECT_EQ(coc.population, 2);
  EXPECT_NEAR(coc.score, 0.2, 1e-9) << coc.body.substr(0, 1500);
  const Report upc = Evaluate(*stats, "kontinuitet-upc", at);
  EXPECT_NEAR(upc.score, (4.0 / 6.0 + 1.0 / 3.0) / 2, 1e-9) << upc.body.substr(0, 1500);
  const Report share = Evaluate(*stats, "kontinuitet-fast-lakare-andel", at);
  EXPECT_NEAR(share.score, 5.0 / 9.0, 1e-9) << share.body.substr(0, 1500);  // (4 + 1) / (6 + 3)

  // minVisits 4 leaves A alone: its own figures.
  EXPECT_NEAR(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&minVisits=4").score, 0.4, 1e-9);
  EXPECT_NEAR(Evaluate(*stats, "kontinuitet-upc", at + "&minVisits=4").score, 4.0 / 6.0, 1e-9);
  EXPECT_NEAR(Evaluate(*stats, "kontinuitet-fast-lakare-andel", at + "&minVisits=4").score, 4.0 / 6.0, 1e-9);
  // scope=all counts A's visit elsewhere: D1×4 D2×2 D3 → (16 + 4 + 1 − 7) / 42 = 1/3.
  EXPECT_NEAR(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&scope=all&minVisits=4").score, 1.0 / 3.0, 1e-9);
  // All professions: A has the nurse too: D1×4 D2 D3 N → (16 + 1 + 1 + 1 − 7) / 42 = 2/7.
  EXPECT_NEAR(Evaluate(*stats, "kontinuitet-coc-alla", at + "&minVisits=4").score, 2.0 / 7.0, 1e-9);
  // Only digital visits: nobody has three.
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&class=VR").population, 0);
  // A window of six months back from 2025-12-31 holds A's visits of July only.
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&window=P6M").population, 0);

  // baseline 2025-03-31: A = D1 D1 D2 → 1/3 (C has two visits, below minVisits); change (0.2 − 1/3) / (1/3).
  Report base = Evaluate(*stats, "kontinuitet-coc-lakare", at + "&baseline=2025-03-31");
  ASSERT_EQ(base.status, 200) << base.body.substr(0, 800);
  const std::string sd = reg::kNr + "/StructureDefinition/";
  EXPECT_EQ(base.extensions[sd + "measure-baseline-date"], "2025-03-31");
  const auto number = [&](const std::string& name) {
    const std::string& text = base.extensions[sd + name];
    return text.empty() ? -999.0 : std::stod(text);
  };
  EXPECT_NEAR(number("measure-baseline-score"), 1.0 / 3.0, 1e-6) << base.body.substr(0, 800);
  EXPECT_NEAR(number("measure-relative-change"), -0.4, 1e-6);
  EXPECT_NEAR(number("measure-relative-goal"), 0.2, 1e-6);

  // Bad parameters are refused, and so are continuity parameters on other measures.
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&window=18M").status, 400);
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&minVisits=0").status, 400);
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&scope=region").status, 400);
  EXPECT_EQ(Evaluate(*stats, "kontinuitet-coc-lakare", at + "&class=IMP").status, 400);
  EXPECT_EQ(Evaluate(*stats, "fast-lakarkontakt-andel", at + "&window=P18M").status, 400);
}

}  // namespace
}  // namespace nara::e2e
