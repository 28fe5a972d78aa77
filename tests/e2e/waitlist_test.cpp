// The waiting list for a full doctor over mutual TLS (docs/api.md section 9): queueing with
// `Prefer: waitlist=true` or a `proposed` CareTeam, one place per person, the queue in order,
// promotion in the transaction that frees a place (a contact ends or is deleted, capacity is
// raised), cancellation on death, a listing elsewhere or a move, $list-status and $fixed-contacts,
// and no double promotion or overrun under 64 concurrent releases and requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "registry/date.h"
#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::DetailCode;
using reg::EntryRefs;
using reg::ParamNumber;
using reg::World;

const std::map<std::string, std::string> kQueue = {{"Content-Type", "application/fhir+json"},
                                                   {"Prefer", "waitlist=true"}};

// A fast läkarkontakt request that may queue.
testing::HttpResult AskToQueue(World& /*w*/, testing::TlsClient& client, const std::string& id, const std::string& patient,
                               const std::string& role, const std::string& unit) {
  return client.Request("PUT", "/fhir/CareTeam/" + id, reg::CareTeamJson(id, patient, role, unit, "2024-03-01"),
                        kQueue);
}

std::string TaskId(const testing::HttpResult& result) {
  auto doc = Parse(result.body);
  EXPECT_EQ(At(doc, "/resourceType"), "Task") << result.body;
  return At(doc, "/id");
}

// Ends a fast läkarkontakt as a clerk would: status inactive with an end date in the past.
testing::HttpResult EndContact(World& /*w*/, testing::TlsClient& client, const std::string& id, const std::string& patient,
                               const std::string& role, const std::string& unit) {
  return client.Request("PUT", "/fhir/CareTeam/" + id,
                        reg::CareTeamJson(id, patient, role, unit, "2024-02-01", "2", "inactive", "2024-06-01"),
                        reg::kFhirJson);
}

std::vector<std::string> Queue(World& w, const std::string& role) {
  auto result = w.Get("Task?focus=PractitionerRole/" + role + "&status=requested");
  EXPECT_EQ(result.status, 200) << result.body;
  return EntryRefs(result.body);
}

TEST(Waitlist, FullDoctorQueuesInOrderAndTheFirstIsPromotedWhenAPlaceFrees) {
  World w("wl-basic");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("doc", vc, "lakare", 1);
  std::vector<std::string> p;
  for (int i = 0; i < 4; ++i) {
    p.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), p[i], vc, "2024-01-01"), "listing");
  }
  World::Require(w.Contact(w.Id("ct0"), p[0], doctor, vc, "2024-02-01"), "the one place");

  // Without asking to queue: refused as before.
  auto refused = w.Contact(w.Id("ct3"), p[3], doctor, vc, "2024-03-01");
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(DetailCode(refused.body), "list-full") << refused.body;

  auto first = AskToQueue(w, w.ehr(), w.Id("ct1"), p[1], doctor, vc);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string task1 = TaskId(first);
  EXPECT_NE(first.headers["location"].find("/Task/" + task1 + "/_history/1"), std::string::npos)
      << first.headers["location"];
  auto doc1 = Parse(first.body);
  EXPECT_EQ(At(doc1, "/status"), "requested");
  EXPECT_EQ(At(doc1, "/code/coding/0/system"), "https://fhir.nara-registry.org/CodeSystem/task-code");
  EXPECT_EQ(At(doc1, "/code/coding/0/code"), "fast-lakarkontakt-ko");
  EXPECT_EQ(At(doc1, "/for/reference"), "Patient/" + p[1]);
  EXPECT_EQ(At(doc1, "/focus/reference"), "PractitionerRole/" + doctor);
  EXPECT_FALSE(At(doc1, "/authoredOn").empty());
  // Nothing was written under the CareTeam id the client chose.
  EXPECT_EQ(w.Get("CareTeam/" + w.Id("ct1")).status, 404);

  // A proposed CareTeam queues too.
  const std::string proposed_id = w.Id("ct2");
  auto second = w.ehr().Request(
      "PUT", "/fhir/CareTeam/" + proposed_id,
      reg::CareTeamJson(proposed_id, p[2], doctor, vc, "2024-03-01", "2", "proposed"), reg::kFhirJson);
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string task2 = TaskId(second);

  // One place in line per person.
  auto again = AskToQueue(w, w.ehr(), w.Id("ct1b"), p[1], doctor, vc);
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(DetailCode(again.body), "queue-limit") << again.body;

  EXPECT_EQ(Queue(w, doctor), (std::vector<std::string>{"Task/" + task1, "Task/" + task2}));
  auto status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "waiting"), 2) << status;
  EXPECT_EQ(ParamNumber(status, "waiting-median-days"), 0) << status;  // both joined today
  EXPECT_EQ(ParamNumber(status, "free"), 0) << status;
  auto unit_status = w.Get("Organization/" + vc + "/$list-status").body;
  EXPECT_EQ(ParamNumber(unit_status, "waiting"), 2) << unit_status;

  // The citizen sees the place in line and since when.
  auto contacts = w.Get("Patient/$fixed-contacts?identifier=http://electronichealth.se/identifier/personnummer|" +
                        w.Pnr(p[2]));
  ASSERT_EQ(contacts.status, 200) << contacts.body;
  EXPECT_TRUE(reg::Contains(EntryRefs(contacts.body), "Task/" + task2)) << contacts.body;
  EXPECT_NE(contacts.body.find(R"("url":"https://fhir.nara-registry.org/StructureDefinition/queue-position","valueInteger":2)"),
            std::string::npos)
      << contacts.body;

  // The place frees: the first in line gets it in the same transaction.
  auto ended = EndContact(w, w.ehr(), w.Id("ct0"), p[0], doctor, vc);
  ASSERT_EQ(ended.status, 200) << ended.body;
  auto promoted = Parse(w.Get("Task/" + task1).body);
  EXPECT_EQ(At(promoted, "/status"), "completed");
  const std::string output = At(promoted, "/output/0/valueReference/reference");
  ASSERT_EQ(output.rfind("CareTeam/", 0), 0u) << output;
  auto team = Parse(w.Get(output).body);
  EXPECT_EQ(At(team, "/status"), "active");
  EXPECT_EQ(At(team, "/subject/reference"), "Patient/" + p[1]);
  EXPECT_EQ(At(team, "/participant/0/member/reference"), "PractitionerRole/" + doctor);
  EXPECT_EQ(At(team, "/extension/0/valueCoding/code"), "from-queue");
  EXPECT_EQ(At(Parse(w.Get("Task/" + task2).body), "/status"), "requested");
  EXPECT_EQ(Queue(w, doctor), (std::vector<std::string>{"Task/" + task2}));
  status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "listed"), 1) << status;
  EXPECT_EQ(ParamNumber(status, "waiting"), 1) << status;

  // Capacity raised: the next in line gets the new place.
  World::Put(w.admin(), "PractitionerRole", doctor, reg::RoleJson(doctor, w.Id("doc-pr"), vc, "lakare", 2));
  EXPECT_EQ(At(Parse(w.Get("Task/" + task2).body), "/status"), "completed");
  EXPECT_TRUE(Queue(w, doctor).empty());
  status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "listed"), 2) << status;
  EXPECT_EQ(ParamNumber(status, "waiting"), 0) << status;
  EXPECT_EQ(ParamNumber(status, "waiting-median-days"), -1) << status;  // left out when nobody waits
}

TEST(Waitlist, ProposedToADoctorWithRoomIsRegisteredAtOnce) {
  World w("wl-room");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("doc", vc, "lakare", 3);
  const std::string patient = w.Patient("p");
  World::Require(w.List(w.Id("l"), patient, vc, "2024-01-01"), "listing");
  const std::string id = w.Id("ct");
  auto result = w.ehr().Request("PUT", "/fhir/CareTeam/" + id,
                                reg::CareTeamJson(id, patient, doctor, vc, "2024-03-01", "2", "proposed"),
                                {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=OperationOutcome"}});
  ASSERT_EQ(result.status, 201) << result.body;
  EXPECT_NE(result.body.find("registrerades direkt"), std::string::npos) << result.body;
  EXPECT_EQ(At(Parse(w.Get("CareTeam/" + id).body), "/status"), "active");
  EXPECT_EQ(ParamNumber(w.Get("PractitionerRole/" + doctor + "/$list-status").body, "listed"), 1);
}

TEST(Waitlist, DeathListingElsewhereAndWithdrawalCancelTheEntryWithAReason) {
  World w("wl-cancel");
  const std::string vc = w.Vardcentral("vc"), other = w.Vardcentral("other");
  const std::string doctor = w.Staff("doc", vc, "lakare", 1);
  std::vector<std::string> p;
  for (int i = 0; i < 4; ++i) {
    p.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), p[i], vc, "2024-01-01"), "listing");
  }
  World::Require(w.Contact(w.Id("ct0"), p[0], doctor, vc, "2024-02-01"), "the one place");
  std::vector<std::string> tasks;
  for (int i = 1; i < 4; ++i) {
    auto queued = AskToQueue(w, w.ehr(), w.Id("ct" + std::to_string(i)), p[i], doctor, vc);
    ASSERT_EQ(queued.status, 201) << queued.body;
    tasks.push_back(TaskId(queued));
  }

  // Death.
  World::Put(w.admin(), "Patient", p[1], reg::PatientWithPnr(p[1], w.Pnr(p[1]), "Registersson", "2025-01-05"));
  auto dead = Parse(w.Get("Task/" + tasks[0]).body);
  EXPECT_EQ(At(dead, "/status"), "cancelled");
  EXPECT_EQ(At(dead, "/statusReason/coding/0/code"), "avliden");
  EXPECT_FALSE(At(dead, "/statusReason/text").empty());

  // A listing at another vårdcentral.
  World::Require(w.List(w.Id("l2b"), p[2], other, "2025-02-01"), "listing elsewhere");
  auto moved = Parse(w.Get("Task/" + tasks[1]).body);
  EXPECT_EQ(At(moved, "/status"), "cancelled");
  EXPECT_EQ(At(moved, "/statusReason/coding/0/code"), "listad-annan-enhet");

  // Withdrawn by the unit: only requested → cancelled is accepted.
  auto stored = w.Get("Task/" + tasks[2]);
  std::string body = stored.body;
  const std::string from = R"("status":"requested")";
  body.replace(body.find(from), from.size(), R"("status":"completed")");
  auto wrong = w.ehr().Request("PUT", "/fhir/Task/" + tasks[2], body, reg::kFhirJson);
  EXPECT_EQ(wrong.status, 422) << wrong.body;
  body = stored.body;
  body.replace(body.find(from), from.size(), R"("status":"cancelled")");
  auto withdrawn = w.ehr().Request("PUT", "/fhir/Task/" + tasks[2], body, reg::kFhirJson);
  EXPECT_EQ(withdrawn.status, 200) << withdrawn.body;
  EXPECT_TRUE(Queue(w, doctor).empty());
  // Stored as the registry's own cancellations are: why (aterkallad) and when (lastModified now, not the
  // time the client sent back), in the answer and in the Task read afterwards.
  for (const auto& task : {Parse(withdrawn.body), Parse(w.Get("Task/" + tasks[2]).body)}) {
    EXPECT_EQ(At(task, "/status"), "cancelled");
    EXPECT_EQ(At(task, "/statusReason/coding/0/system"), reg::kNr + "/CodeSystem/end-reason");
    EXPECT_EQ(At(task, "/statusReason/coding/0/code"), "aterkallad");
    EXPECT_FALSE(At(task, "/statusReason/text").empty());
    EXPECT_GT(At(task, "/lastModified"), At(Parse(stored.body), "/lastModified"));
    EXPECT_EQ(At(task, "/meta/versionId"), "2");
  }
  // Sent again (a retry after a lost answer): the same version, not a refusal and not a second change.
  auto again = w.ehr().Request("PUT", "/fhir/Task/" + tasks[2], body, reg::kFhirJson);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(At(Parse(again.body), "/meta/versionId"), "2");
  EXPECT_EQ(At(Parse(again.body), "/statusReason/coding/0/code"), "aterkallad");

  // With nobody in line, a freed place stays free.
  ASSERT_EQ(EndContact(w, w.ehr(), w.Id("ct0"), p[0], doctor, vc).status, 200);
  auto status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "listed"), 0) << status;
  EXPECT_EQ(ParamNumber(status, "waiting"), 0) << status;
  // A Task is not a way around CareTeam: creating one directly is refused.
  auto direct = w.ehr().Request("POST", "/fhir/Task", stored.body, reg::kFhirJson);
  EXPECT_EQ(direct.status, 422) << direct.body;
}

// waitlist.effective = next-month: the promoted contact starts on the first of next month, and the
// place counts against the list from the promotion on (rule 3 counts future-dated contacts).
TEST(Waitlist, NextMonthStartsThePromotedContactOnTheFirstOfNextMonth) {
  OwnServer server("wl-next", {{"NARA_WAITLIST_EFFECTIVE", "next-month"}});
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  auto admin = server.Client("admin");
  auto ehr = server.Client("ehr");
  const std::string region = "wln-region", vc = "wln-vc", doctor = "wln-doc";
  World::Put(*admin, "Organization", region, reg::OrganizationJson(region, reg::kRegionHsa, "region"));
  World::Put(*admin, "Organization", vc,
             reg::OrganizationJson(vc, reg::UnitHsa(reg::kRegionHsa), "vardcentral", region));
  World::Put(*admin, "Practitioner", "wln-pr", reg::PractitionerJson("wln-pr", "Månadsson"));
  World::Put(*admin, "PractitionerRole", doctor, reg::RoleJson(doctor, "wln-pr", vc, "lakare", 1));
  for (const std::string p : {"wln-p0", "wln-p1"}) {
    World::Put(*admin, "Patient", p, reg::PatientWithPnr(p, reg::NextPersonnummer(), "Månadsson"));
    World::Put(*ehr, "EpisodeOfCare", p + "-l", reg::EpisodeJson(p + "-l", p, vc, "2024-01-01"));
  }
  World::Put(*ehr, "CareTeam", "wln-ct0", reg::CareTeamJson("wln-ct0", "wln-p0", doctor, vc, "2024-02-01"));
  auto queued = ehr->Request("PUT", "/fhir/CareTeam/wln-ct1",
                             reg::CareTeamJson("wln-ct1", "wln-p1", doctor, vc, "2024-03-01"), kQueue);
  ASSERT_EQ(queued.status, 201) << queued.body;
  const std::string task = TaskId(queued);
  auto ended = ehr->Request("PUT", "/fhir/CareTeam/wln-ct0",
                            reg::CareTeamJson("wln-ct0", "wln-p0", doctor, vc, "2024-02-01", "2", "inactive",
                                              "2024-06-01"),
                            reg::kFhirJson);
  ASSERT_EQ(ended.status, 200) << ended.body;

  auto promoted = Parse(ehr->Request("GET", "/fhir/Task/" + task).body);
  ASSERT_EQ(At(promoted, "/status"), "completed");
  auto team = Parse(ehr->Request("GET", "/fhir/" + At(promoted, "/output/0/valueReference/reference")).body);
  // The first of next month, worked out here from today's date.
  const std::string today = nara::Date::Today().ToString();
  int year = std::stoi(today.substr(0, 4)), month = std::stoi(today.substr(5, 2)) + 1;
  if (month == 13) {
    month = 1;
    ++year;
  }
  char first[32];  // room for any int year the compiler can imagine
  std::snprintf(first, sizeof first, "%04d-%02d-01", year, month);
  EXPECT_EQ(At(team, "/period/start"), first);
  EXPECT_EQ(At(team, "/status"), "active");
  auto status = ehr->Request("GET", "/fhir/PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "free"), 0) << status;
  EXPECT_EQ(ParamNumber(status, "waiting"), 0) << status;
}

TEST(Waitlist, NoDoublePromotionOrOverrunUnder64ConcurrentReleasesAndRequests) {
  constexpr int kCapacity = 16;       // holders, each releasing its place
  constexpr int kRequests = 48;       // new patients asking to queue
  constexpr int kWaitingBefore = 8;   // already in line before the run
  World w("wl-conc");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("doc", vc, "lakare", kCapacity);
  std::vector<std::string> patients;
  const int total = kCapacity + kWaitingBefore + kRequests;
  for (int i = 0; i < total; ++i) {
    patients.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), patients[i], vc, "2024-01-01"), "listing");
  }
  for (int i = 0; i < kCapacity; ++i) {
    World::Require(w.Contact(w.Id("ct" + std::to_string(i)), patients[i], doctor, vc, "2024-02-01"), "holder");
  }
  std::vector<std::string> before;  // in line before the run, oldest first
  for (int i = kCapacity; i < kCapacity + kWaitingBefore; ++i) {
    auto queued = AskToQueue(w, w.ehr(), w.Id("ct" + std::to_string(i)), patients[i], doctor, vc);
    World::Require(queued, "queue before the run");
    before.push_back(TaskId(queued));
  }

  std::mutex mu;
  std::vector<std::string> unexpected;
  std::atomic<int> direct{0}, queued{0};
  reg::RunTogether(kCapacity + kRequests, "ehr", [&](int i, testing::TlsClient& client) {
    testing::HttpResult result;
    if (i < kCapacity) {
      result = EndContact(w, client, w.Id("ct" + std::to_string(i)), patients[i], doctor, vc);
      if (result.status == 200) return;
    } else {
      const int n = kWaitingBefore + i;  // patients[kCapacity + kWaitingBefore ...]
      result = AskToQueue(w, client, w.Id("ct" + std::to_string(n)), patients[n], doctor, vc);
      if (result.status == 201) {
        (At(Parse(result.body), "/resourceType") == "Task" ? queued : direct)++;
        return;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    unexpected.push_back(std::to_string(i) + ": " + std::to_string(result.status) + " " + result.body.substr(0, 300));
  });
  ASSERT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected, first " << unexpected.front();
  EXPECT_EQ(direct.load() + queued.load(), kRequests);

  // Capacity: exactly full (48 + 8 people wanted the 16 places freed), never more.
  auto status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "listed"), kCapacity) << status;
  auto active = w.Get("CareTeam?participant=PractitionerRole/" + doctor + "&status=active&_summary=count");
  EXPECT_EQ(At(Parse(active.body), "/total"), std::to_string(kCapacity)) << active.body;

  // Each Task promoted at most once, each to its own CareTeam for its own patient.
  auto tasks = w.Get("Task?focus=PractitionerRole/" + doctor + "&_count=200");
  ASSERT_EQ(tasks.status, 200) << tasks.body;
  auto bundle = Parse(tasks.body);
  std::set<std::string> outputs;
  std::vector<std::string> completed_since, requested_since;
  int completed = 0, requested = 0;
  for (const auto& entry : bundle["entry"].GetArray()) {
    const auto& task = entry["resource"];
    const std::string state = task["status"].GetString();
    const std::string since = task["authoredOn"].GetString();
    if (state == "completed") {
      ++completed;
      ASSERT_EQ(task["output"].Size(), 1u);
      const std::string output = task["output"][0]["valueReference"]["reference"].GetString();
      EXPECT_TRUE(outputs.insert(output).second) << output << " promoted twice";
      auto team = Parse(w.Get(output).body);
      EXPECT_EQ(At(team, "/subject/reference"), task["for"]["reference"].GetString());
      EXPECT_EQ(At(team, "/status"), "active");
      completed_since.push_back(since);
    } else {
      EXPECT_EQ(state, "requested");
      ++requested;
      requested_since.push_back(since);
    }
  }
  EXPECT_EQ(completed + direct.load(), kCapacity);
  EXPECT_EQ(completed + requested, kWaitingBefore + queued.load());
  EXPECT_EQ(ParamNumber(status, "waiting"), requested) << status;
  // Queue order: nobody still waiting joined before anyone promoted; the 8 oldest went first.
  ASSERT_FALSE(completed_since.empty());
  if (!requested_since.empty()) {
    EXPECT_LE(*std::max_element(completed_since.begin(), completed_since.end()),
              *std::min_element(requested_since.begin(), requested_since.end()));
  }
  for (const auto& id : before) EXPECT_EQ(At(Parse(w.Get("Task/" + id).body), "/status"), "completed") << id;
  // The queue search lists what is left oldest first.
  auto left = w.Get("Task?focus=PractitionerRole/" + doctor + "&status=requested&_count=200");
  std::vector<std::string> order;
  const auto page = Parse(left.body);  // kept: the loop below walks inside it
  for (const auto& entry : page["entry"].GetArray()) order.push_back(entry["resource"]["authoredOn"].GetString());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

}  // namespace
}  // namespace nara::e2e
