// Issue 7 over real mutual TLS: transaction and batch Bundles with the registry rules inside them,
// PATCH, conditional update and delete, optimistic locking under 64 concurrent writers, and the
// system history change feed as a poller uses it.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/concurrency.h"

namespace nara::e2e {
namespace {

using reg::kFhirJson;

std::string Entry(const std::string& method, const std::string& url, const std::string& resource = "",
                  const std::string& full_url = "") {
  std::string entry = "{";
  if (!full_url.empty()) entry += R"("fullUrl":")" + full_url + R"(",)";
  if (!resource.empty()) entry += R"("resource":)" + resource + ",";
  return entry + R"("request":{"method":")" + method + R"(","url":")" + url + R"("}})";
}

std::string Bundle(const std::string& type, const std::vector<std::string>& entries) {
  std::string body = R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)";
  for (size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + entries[i];
  return body + "]}";
}

// A resource JSON without its "id" member (POST entries get their id from the server).
std::string WithoutId(const std::string& json) {
  const auto start = json.find(R"("id":")");
  const auto end = json.find('"', start + 6);
  return json.substr(0, start) + json.substr(end + 2);
}

std::string Total(testing::TlsClient& client, const std::string& query) {
  return At(Parse(client.Request("GET", "/fhir/" + query + (query.find('?') == std::string::npos ? "?" : "&") +
                                            "_summary=count").body),
            "/total");
}

TEST(FhirDepth, TransactionCreatesAPatientWithListingAndDoctorFromUrnReferences) {
  reg::World w("tx1");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc, "lakare", 5);
  const std::string pnr = reg::NextPersonnummer();
  const std::string patient = "urn:uuid:0b7c7a5e-1111-4aaa-8bbb-000000000001";
  const std::string bundle = Bundle("transaction", {
      Entry("POST", "Patient", WithoutId(reg::PatientWithPnr("x", pnr, "Transaktionsson")), patient),
      Entry("POST", "EpisodeOfCare", WithoutId(reg::EpisodeJson("x", "P", vc, "2026-01-10")).replace(
                WithoutId(reg::EpisodeJson("x", "P", vc, "2026-01-10")).find("Patient/P"), 9, patient)),
      Entry("POST", "CareTeam", WithoutId(reg::CareTeamJson("x", "P", doctor, vc, "2026-01-10")).replace(
                WithoutId(reg::CareTeamJson("x", "P", doctor, vc, "2026-01-10")).find("Patient/P"), 9, patient)),
  });
  auto result = w.admin().Request("POST", "/fhir", bundle, kFhirJson);
  ASSERT_EQ(result.status, 200) << result.body;
  auto doc = Parse(result.body);
  EXPECT_EQ(At(doc, "/type"), "transaction-response");
  for (const char* status : {"/entry/0/response/status", "/entry/1/response/status", "/entry/2/response/status"}) {
    EXPECT_EQ(At(doc, status), "201 Created") << result.body.substr(0, 800);
  }
  const std::string patient_id = At(doc, "/entry/0/resource/id");
  ASSERT_FALSE(patient_id.empty());
  EXPECT_EQ(At(doc, "/entry/1/resource/patient/reference"), "Patient/" + patient_id);
  EXPECT_EQ(At(doc, "/entry/2/resource/subject/reference"), "Patient/" + patient_id);
  // The registry saw all three: the derived generalPractitioner names the unit and the doctor.
  auto read = Parse(w.Get("Patient/" + patient_id).body);
  EXPECT_EQ(At(read, "/generalPractitioner/0/reference"), "Organization/" + vc);
  EXPECT_EQ(At(read, "/generalPractitioner/1/reference"), "PractitionerRole/" + doctor);
}

TEST(FhirDepth, TransactionBreakingARuleRollsBackEveryEntry) {
  reg::World w("tx2");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc, "lakare", 1);
  const std::string first = w.Patient("p1");
  const std::string second = w.Patient("p2");
  w.Require(w.List(w.Id("l1"), first, vc, "2026-01-10"), "listing p1");
  w.Require(w.Contact(w.Id("c1"), first, doctor, vc, "2026-01-10"), "doctor p1");
  // The doctor is full (capacity 1): the second patient's listing must not survive the refusal.
  const std::string bundle = Bundle("transaction", {
      Entry("PUT", "EpisodeOfCare/" + w.Id("l2"), reg::EpisodeJson(w.Id("l2"), second, vc, "2026-01-10")),
      Entry("PUT", "CareTeam/" + w.Id("c2"), reg::CareTeamJson(w.Id("c2"), second, doctor, vc, "2026-01-10")),
  });
  auto result = w.ehr().Request("POST", "/fhir", bundle, kFhirJson);
  EXPECT_EQ(result.status, 422) << result.body;
  EXPECT_EQ(reg::DetailCode(result.body), "list-full");
  EXPECT_NE(result.body.find("Bundle.entry[1]"), std::string::npos) << result.body;
  EXPECT_EQ(w.Get("EpisodeOfCare/" + w.Id("l2")).status, 404) << "the listing of a failed transaction was kept";
  EXPECT_EQ(Total(w.ehr(), "EpisodeOfCare?patient=Patient/" + second), "0");
}

TEST(FhirDepth, BatchEntriesStandAlone) {
  reg::World w("bt1");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p1");
  const std::string bundle = Bundle("batch", {
      Entry("PUT", "EpisodeOfCare/" + w.Id("l1"), reg::EpisodeJson(w.Id("l1"), patient, vc, "2026-02-01")),
      Entry("PUT", "EpisodeOfCare/" + w.Id("l2"), reg::EpisodeJson(w.Id("l2"), patient, w.Id("nowhere"), "2026-02-01")),
      Entry("GET", "Patient/" + patient),
  });
  auto result = w.ehr().Request("POST", "/fhir", bundle, kFhirJson);
  ASSERT_EQ(result.status, 200) << result.body;
  auto doc = Parse(result.body);
  EXPECT_EQ(At(doc, "/type"), "batch-response");
  EXPECT_EQ(At(doc, "/entry/0/response/status"), "201 Created");
  EXPECT_EQ(At(doc, "/entry/1/response/status").substr(0, 1), "4") << result.body.substr(0, 800);
  EXPECT_EQ(At(doc, "/entry/1/response/outcome/resourceType"), "OperationOutcome");
  EXPECT_EQ(At(doc, "/entry/2/resource/id"), patient);
  EXPECT_EQ(w.Get("EpisodeOfCare/" + w.Id("l1")).status, 200);
}

TEST(FhirDepth, PatchEndsAListingAndTheRulesFollow) {
  reg::World w("pt1");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p1");
  w.Require(w.List(w.Id("l1"), patient, vc, "2026-01-10"), "listing");
  std::map<std::string, std::string> headers = {{"Content-Type", "application/json-patch+json"}, {"If-Match", "W/\"1\""}};
  auto patched = w.ehr().Request("PATCH", "/fhir/EpisodeOfCare/" + w.Id("l1"),
                                 R"([{"op":"replace","path":"/status","value":"finished"},
                                     {"op":"add","path":"/period/end","value":"2026-03-01"}])", headers);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.headers["etag"], "W/\"2\"");
  EXPECT_EQ(At(Parse(patched.body), "/period/end"), "2026-03-01");
  // The same If-Match is stale now.
  auto stale = w.ehr().Request("PATCH", "/fhir/EpisodeOfCare/" + w.Id("l1"),
                               R"([{"op":"replace","path":"/status","value":"active"}])", headers);
  EXPECT_EQ(stale.status, 412) << stale.body;
  // A patch the rules refuse (a listing at a unit that is not a vårdcentral) writes nothing.
  const std::string kommun = w.Kommun();
  auto refused = w.ehr().Request("PATCH", "/fhir/EpisodeOfCare/" + w.Id("l1"),
                                 R"([{"op":"replace","path":"/managingOrganization/reference","value":"Organization/)" +
                                     kommun + R"("}])", {{"Content-Type", "application/json-patch+json"}});
  EXPECT_GE(refused.status, 403) << refused.body;
  EXPECT_EQ(At(Parse(w.Get("EpisodeOfCare/" + w.Id("l1")).body), "/meta/versionId"), "2");
  auto wrong_type = w.ehr().Request("PATCH", "/fhir/EpisodeOfCare/" + w.Id("l1"), "[]", kFhirJson);
  EXPECT_EQ(wrong_type.status, 415);
}

TEST(FhirDepth, ConditionalUpdateAndDeleteByPersonnummer) {
  auto admin = Server::Shared().Client("admin");
  const std::string pnr = reg::NextPersonnummer();
  const std::string query = "identifier=" + reg::kPersonnummerSystem + "%7C" + pnr;
  auto created = admin->Request("PUT", "/fhir/Patient?" + query, PatientJson(pnr, "Villkorsson"), kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = At(Parse(created.body), "/id");
  auto updated = admin->Request("PUT", "/fhir/Patient?" + query, PatientJson(pnr, "Villkorsdotter"), kFhirJson);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(At(Parse(updated.body), "/id"), id);
  EXPECT_EQ(updated.headers["etag"], "W/\"2\"");
  auto deleted = admin->Request("DELETE", "/fhir/Patient?" + query);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(admin->Request("GET", "/fhir/Patient/" + id).status, 410);
  EXPECT_EQ(admin->Request("DELETE", "/fhir/Patient").status, 400) << "a conditional delete without criteria";
}

// Issue 7: 64 concurrent updates with the same If-Match: exactly one succeeds, the rest get 412,
// and the versions stay 1, 2 with no duplicate.
// An HSA-id names one unit or person of the directory (docs/api.md section 2): a second Organization
// or Practitioner with one is a 409 naming the holder, and a conditional create by the HSA-id then
// finds the one there is (it was a 412 for ever once two held it).
TEST(FhirDepth, AnHsaIdBelongsToOneLiveUnitOrPerson) {
  reg::World w("hsa-one");
  auto admin = Server::Shared().Client("admin");
  const std::string holder = reg::SharedRegion();
  const std::string duplicate = w.Id("dup");
  auto refused = admin->Request("PUT", "/fhir/Organization/" + duplicate,
                                reg::OrganizationJson(duplicate, reg::kRegionHsa, "region"), kFhirJson);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("identifieraren (urn:oid:1.2.752.29.4.19) tillhör redan Organization/" + holder +
                              " (the identifier already belongs to Organization/" + holder + ")"),
            std::string::npos)
      << refused.body;
  EXPECT_EQ(admin->Request("GET", "/fhir/Organization/" + duplicate).status, 404) << "nothing written";

  auto found =
      admin->Request("POST", "/fhir/Organization", WithoutId(reg::OrganizationJson("x", reg::kRegionHsa, "region")),
                     {{"Content-Type", "application/fhir+json"},
                      {"If-None-Exist", "identifier=" + reg::kHsaSystem + "|" + reg::kRegionHsa}});
  EXPECT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(At(Parse(found.body), "/id"), holder);

  const std::string doctor_hsa = reg::UnitHsa(reg::kRegionHsa);
  const auto practitioner = [&](const std::string& id) {
    return R"({"resourceType":"Practitioner","id":")" + id + R"(","identifier":[{"system":")" + reg::kHsaSystem +
           R"(","value":")" + doctor_hsa + R"("}],"name":[{"family":"Dubbelsson"}]})";
  };
  EXPECT_EQ(admin->Request("PUT", "/fhir/Practitioner/" + w.Id("pr-1"), practitioner(w.Id("pr-1")), kFhirJson).status,
            201);
  auto twice = admin->Request("PUT", "/fhir/Practitioner/" + w.Id("pr-2"), practitioner(w.Id("pr-2")), kFhirJson);
  EXPECT_EQ(twice.status, 409) << twice.body;
  // The holder keeps it through its own updates.
  EXPECT_EQ(admin->Request("PUT", "/fhir/Practitioner/" + w.Id("pr-1"), practitioner(w.Id("pr-1")), kFhirJson).status,
            200);
}

TEST(FhirDepth, SixtyFourConcurrentIfMatchWritesMakeExactlyOneVersion) {
  constexpr int kClients = 64;
  auto admin = Server::Shared().Client("admin");
  for (const std::string method : {"PUT", "PATCH"}) {
    const std::string pnr = reg::NextPersonnummer();
    auto created = admin->Request("POST", "/fhir/Patient", PatientJson(pnr, "Samtidigsson"), kFhirJson);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = At(Parse(created.body), "/id");
    std::atomic<int> ok{0}, precondition{0}, other{0};
    nara::testing::RunConcurrently(kClients, [&](int i) {
      auto client = Server::Shared().Client("admin");
      const std::string family = "Vinnare" + std::to_string(i);
      auto result = method == "PUT"
          ? client->Request("PUT", "/fhir/Patient/" + id, PatientJson(pnr, family, id),
                            {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}})
          : client->Request("PATCH", "/fhir/Patient/" + id,
                            R"([{"op":"replace","path":"/name/0/family","value":")" + family + R"("}])",
                            {{"Content-Type", "application/json-patch+json"}, {"If-Match", "W/\"1\""}});
      if (result.status == 200) ok++;
      else if (result.status == 412) precondition++;
      else other++;
    });
    EXPECT_EQ(ok.load(), 1) << method;
    EXPECT_EQ(precondition.load(), kClients - 1) << method;
    EXPECT_EQ(other.load(), 0) << method;
    auto history = Parse(admin->Request("GET", "/fhir/Patient/" + id + "/_history").body);
    EXPECT_EQ(At(history, "/total"), "2") << method;
  }
}

// The change feed as a municipality's or EHR's poller uses it: follow `next`, keep `poll`, come back.
TEST(FhirDepth, SystemHistoryFeedGivesEveryChangeOnceAcrossPolls) {
  auto admin = Server::Shared().Client("admin");
  // Start from now: the poll link of a feed read from the current end.
  std::string poll;
  {
    auto first = Parse(admin->Request("GET", "/fhir/_history?_since=2000-01-01T00:00:00Z&_count=1000").body);
    std::string next;
    for (const auto& link : first["link"].GetArray()) {
      const std::string relation = link["relation"].GetString();
      if (relation == "poll") poll = link["url"].GetString();
      if (relation == "next") next = link["url"].GetString();
    }
    while (!next.empty()) {
      auto page = Parse(admin->Request("GET", next.substr(next.find("/fhir/"))).body);
      next.clear();
      for (const auto& link : page["link"].GetArray()) {
        const std::string relation = link["relation"].GetString();
        if (relation == "poll") poll = link["url"].GetString();
        if (relation == "next") next = link["url"].GetString();
      }
    }
  }
  ASSERT_NE(poll.find("_cursor="), std::string::npos) << poll;
  // Writes from several clients at once, then polls in small pages until nothing is new.
  std::vector<std::string> written(12);
  nara::testing::RunConcurrently(static_cast<int>(written.size()), [&](int i) {
    auto client = Server::Shared().Client("admin");
    const std::string id = "feed-org-" + std::to_string(i);
    auto put = client->Request("PUT", "/fhir/Organization/" + id,
                               R"({"resourceType":"Organization","id":")" + id + R"(","name":"Feed )" +
                                   std::to_string(i) + R"("})", kFhirJson);
    if (put.status == 201) written[i] = "Organization/" + id;
  });
  std::multiset<std::string> seen;
  std::string url = poll.substr(poll.find("/fhir/"));
  url = url.replace(url.find("_count="), url.find('&', url.find("_count=")) - url.find("_count="), "_count=5");
  for (int round = 0; round < 50; ++round) {
    auto page = Parse(admin->Request("GET", url).body);
    ASSERT_TRUE(page.IsObject() && page.HasMember("link"));
    if (page.HasMember("entry")) {
      for (const auto& entry : page["entry"].GetArray()) {
        if (entry.HasMember("resource")) {
          seen.insert(std::string(entry["resource"]["resourceType"].GetString()) + "/" +
                      entry["resource"]["id"].GetString());
        }
      }
    }
    std::string next, again;
    for (const auto& link : page["link"].GetArray()) {
      const std::string relation = link["relation"].GetString();
      if (relation == "next") next = link["url"].GetString();
      if (relation == "poll") again = link["url"].GetString();
    }
    if (next.empty() && !page.HasMember("entry")) break;
    url = (next.empty() ? again : next).substr((next.empty() ? again : next).find("/fhir/"));
  }
  for (const auto& ref : written) {
    ASSERT_FALSE(ref.empty());
    EXPECT_EQ(seen.count(ref), 1u) << ref << " must come exactly once";
  }
}

}  // namespace
}  // namespace nara::e2e
