// Continuity of care end-to-end (docs/api.md section 11): the Encounter feed over mTLS — idempotent on
// identifier, no diagnosis or reason, ehr only for its own units, single and Bundle, audited.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

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
  EXPECT_EQ(replay.body.find("201"), std::string::npos) << replay.body.substr(0, 800);
  EXPECT_EQ(Total(w.ehr(), "Encounter?patient=Patient/" + patient), 3);

  auto audit = w.admin().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient + "&_count=100");
  ASSERT_EQ(audit.status, 200) << audit.body.substr(0, 600);
  EXPECT_NE(audit.body.find("Encounter/"), std::string::npos) << "the visits' writes name the Encounters";
}

}  // namespace
}  // namespace nara::e2e
