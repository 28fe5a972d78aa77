// The registry as its clients see it over mutual TLS (docs/api.md sections 3–5): listing and change of
// listing, the change limit, fast läkarkontakt and list capacity (also under concurrent requests),
// death, SÄBO residents, and the operations $list-status, $fixed-contacts and has-free-capacity.
//
// Dates are fixed and in the past (2024–2025), so every "as of today" answer is about open periods
// and the tests do not depend on the day they run. Each test builds its own units, staff and patients
// under its own id prefix (tests/e2e/registry_fixture.h).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::Contains;
using reg::DetailCode;
using reg::EntryRefs;
using reg::ParamNumber;
using reg::World;

// Asserts a 422 business-rule refusal with `detail` as its detail code.
void ExpectRefused(const testing::HttpResult& result, const std::string& detail) {
  EXPECT_EQ(result.status, 422) << result.body;
  EXPECT_EQ(IssueCode(result.body), "business-rule") << result.body;
  EXPECT_EQ(DetailCode(result.body), detail) << result.body;
}

std::string Diagnostics(const std::string& body) { return At(Parse(body), "/issue/0/diagnostics"); }

// GET a search and return the Bundle's total and the ids of its entries.
struct Found {
  int status = 0;
  std::string total;
  std::vector<std::string> refs;
  std::string body;
};
Found Search(World& w, const std::string& query) {
  auto result = w.Get(query);
  Found found;
  found.status = result.status;
  found.body = result.body;
  if (result.status == 200) {
    found.total = At(Parse(result.body), "/total");
    found.refs = EntryRefs(result.body);
  }
  return found;
}

// 1. listing, change of listing

TEST(Registry, ListingAndChangeOfListing) {
  World w("rt-chg");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string patient = w.Patient("p");
  const std::string l1 = w.Id("l1"), l2 = w.Id("l2");

  auto first = w.List(l1, patient, vc1, "2024-01-10");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.headers["etag"], "W/\"1\"");
  EXPECT_EQ(At(Parse(first.body), "/status"), "active");

  auto second = w.List(l2, patient, vc2, "2024-06-01");
  ASSERT_EQ(second.status, 201) << second.body;

  // Rule 1: the first listing was finished in the same transaction, ending the day the new one starts.
  auto old = w.Get("EpisodeOfCare/" + l1);
  ASSERT_EQ(old.status, 200) << old.body;
  auto old_doc = Parse(old.body);
  EXPECT_EQ(At(old_doc, "/status"), "finished");
  EXPECT_EQ(At(old_doc, "/period/start"), "2024-01-10");
  EXPECT_EQ(At(old_doc, "/period/end"), "2024-06-01");
  EXPECT_EQ(At(old_doc, "/meta/versionId"), "2");
  EXPECT_EQ(old.headers["etag"], "W/\"2\"");
  // Rule 8: nothing overwritten; version 1 is still there as written.
  auto v1 = w.Get("EpisodeOfCare/" + l1 + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(At(Parse(v1.body), "/status"), "active");
  EXPECT_EQ(At(Parse(v1.body), "/period/end"), "");

  auto active = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&status=active");
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(active.total, "1");
  EXPECT_EQ(active.refs, std::vector<std::string>{"EpisodeOfCare/" + l2});

  // Point in time: each date finds the listing in force that day (end exclusive).
  const std::vector<std::pair<std::string, std::string>> in_force = {
      {"2024-03-15", l1}, {"2024-05-31", l1}, {"2024-06-01", l2}, {"2025-01-01", l2}};
  for (const auto& [date, expected] : in_force) {
    auto found = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&date=" + date);
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_EQ(found.refs, std::vector<std::string>{"EpisodeOfCare/" + expected}) << "date " << date;
  }
  auto before = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&date=2023-12-31");
  EXPECT_EQ(before.total, "0") << before.body;

  // The derived generalPractitioner follows the listing.
  auto read = w.Get("Patient/" + patient);
  ASSERT_EQ(read.status, 200);
  auto patient_doc = Parse(read.body);
  EXPECT_EQ(At(patient_doc, "/generalPractitioner/0/reference"), "Organization/" + vc2);
  EXPECT_EQ(At(patient_doc, "/generalPractitioner/1/reference"), "");
}

// 2. change limit (rule 7)

TEST(Registry, ThirdChangeWithinTwelveMonthsIsRefused) {
  World w("rt-lim");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2"), vc3 = w.Vardcentral("vc3"),
                    vc4 = w.Vardcentral("vc4");
  const std::string patient = w.Patient("p");
  ASSERT_EQ(w.List(w.Id("l1"), patient, vc1, "2024-01-01").status, 201);
  ASSERT_EQ(w.List(w.Id("l2"), patient, vc2, "2024-03-01").status, 201);  // change 1
  ASSERT_EQ(w.List(w.Id("l3"), patient, vc3, "2024-05-01").status, 201);  // change 2

  auto third = w.List(w.Id("l4"), patient, vc4, "2024-07-01");
  ExpectRefused(third, "change-limit");
  // The text tells the clerk when a change is possible again: once 2024-03-01 has left the window.
  EXPECT_NE(Diagnostics(third.body).find("2025-03-02"), std::string::npos) << third.body;

  // Refused means nothing happened: the listing at vc3 still runs, version 1, and l4 does not exist.
  auto l3 = w.Get("EpisodeOfCare/" + w.Id("l3"));
  EXPECT_EQ(At(Parse(l3.body), "/status"), "active");
  EXPECT_EQ(At(Parse(l3.body), "/meta/versionId"), "1");
  EXPECT_EQ(w.Get("EpisodeOfCare/" + w.Id("l4")).status, 404);
  auto active = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&status=active");
  EXPECT_EQ(active.refs, std::vector<std::string>{"EpisodeOfCare/" + w.Id("l3")});

  // Twelve months, both ends included: a change exactly a year after 2024-03-01 is still the third.
  ExpectRefused(w.List(w.Id("l5"), patient, vc4, "2025-03-01"), "change-limit");
  auto later = w.List(w.Id("l6"), patient, vc4, "2025-03-02");
  EXPECT_EQ(later.status, 201) << later.body;
  EXPECT_EQ(At(Parse(w.Get("EpisodeOfCare/" + w.Id("l3")).body), "/period/end"), "2025-03-02");
}

// 3. fast läkarkontakt (rule 2)

TEST(Registry, FastLakarkontaktAtTheListingUnit) {
  World w("rt-flk");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string d1 = w.Staff("d1", vc1), d1b = w.Staff("d1b", vc1), d2 = w.Staff("d2", vc2);
  const std::string nurse = w.Staff("ssk", vc1, "sjukskoterska");
  const std::string patient = w.Patient("p"), other = w.Patient("p2");
  World::Require(w.List(w.Id("l1"), patient, vc1, "2024-01-01"), "listing");
  World::Require(w.List(w.Id("l2"), other, vc1, "2024-01-01"), "listing");

  const std::string ct = w.Id("ct1");
  auto created = w.Contact(ct, patient, d1, vc1, "2024-02-01");
  ASSERT_EQ(created.status, 201) << created.body;

  auto read = w.Get("Patient/" + patient);
  ASSERT_EQ(read.status, 200);
  auto doc = Parse(read.body);
  EXPECT_EQ(At(doc, "/generalPractitioner/0/reference"), "Organization/" + vc1) << read.body;
  EXPECT_EQ(At(doc, "/generalPractitioner/1/reference"), "PractitionerRole/" + d1) << read.body;
  auto searched = Parse(w.Get("Patient?_id=" + patient).body);
  EXPECT_EQ(At(searched, "/entry/0/resource/generalPractitioner/1/reference"), "PractitionerRole/" + d1);

  // One fast läkarkontakt per patient.
  ExpectRefused(w.Contact(w.Id("ct2"), patient, d1b, vc1, "2024-03-01"), "fast-lakarkontakt-exists");
  // The doctor must work where the patient is listed.
  ExpectRefused(w.Contact(w.Id("ct3"), other, d2, vc2, "2024-03-01"), "not-at-listing-unit");
  // A fast läkarkontakt is a doctor.
  ExpectRefused(w.Contact(w.Id("ct4"), other, nurse, vc1, "2024-03-01"), "not-a-lakare");
  // Only a role in service can be chosen.
  World::Put(w.admin(), "PractitionerRole", w.Id("retired"),
             reg::RoleJson(w.Id("retired"), w.Id("d1-pr"), vc1, "lakare", -1, -1, /*active=*/false));
  ExpectRefused(w.Contact(w.Id("ct6"), other, w.Id("retired"), vc1, "2024-03-01"), "role-inactive");
  for (const char* refused : {"ct2", "ct3", "ct4", "ct6"}) {
    EXPECT_EQ(w.Get(std::string("CareTeam/") + w.Id(refused)).status, 404) << refused;
  }

  // A change of listing ends the fast läkarkontakt at the old unit on the day of the change.
  ASSERT_EQ(w.List(w.Id("l3"), patient, vc2, "2024-09-01").status, 201);
  auto ended = w.Get("CareTeam/" + ct);
  ASSERT_EQ(ended.status, 200);
  auto ended_doc = Parse(ended.body);
  EXPECT_EQ(At(ended_doc, "/status"), "inactive") << ended.body;
  EXPECT_EQ(At(ended_doc, "/period/start"), "2024-02-01");
  EXPECT_EQ(At(ended_doc, "/period/end"), "2024-09-01");
  EXPECT_EQ(At(ended_doc, "/meta/versionId"), "2");
  EXPECT_NE(ended.body.find(reg::kEndReason), std::string::npos) << "no end-reason: " << ended.body;

  auto after = Parse(w.Get("Patient/" + patient).body);
  EXPECT_EQ(At(after, "/generalPractitioner/0/reference"), "Organization/" + vc2);
  EXPECT_EQ(At(after, "/generalPractitioner/1/reference"), "");
  // …and a doctor at the new unit can now be chosen.
  auto new_doctor = w.Contact(w.Id("ct5"), patient, d2, vc2, "2024-09-15");
  EXPECT_EQ(new_doctor.status, 201) << new_doctor.body;
  EXPECT_EQ(At(Parse(w.Get("Patient/" + patient).body), "/generalPractitioner/1/reference"),
            "PractitionerRole/" + d2);
}

// Rule 2 is about the doctor's unit: a change of listing must end a fast läkarkontakt whose doctor works
// at the old unit, whatever the CareTeam's managingOrganization says (or if it says nothing).
TEST(Registry, ChangeOfListingEndsTheDoctorWhateverTheManagingOrganization) {
  World w("rt-mgo");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2"), vc3 = w.Vardcentral("vc3");
  const std::string doctor = w.Staff("d1", vc1);
  // managing "": no managingOrganization at all.
  for (const std::string& managing : {vc3, std::string()}) {
    SCOPED_TRACE("managingOrganization " + (managing.empty() ? std::string("absent") : managing));
    const std::string tag = managing.empty() ? "none" : "other";
    const std::string patient = w.Patient("p-" + tag), ct = w.Id("ct-" + tag);
    World::Require(w.List(w.Id("l1-" + tag), patient, vc1, "2024-01-01"), "listing");
    auto created = w.Contact(ct, patient, doctor, managing, "2024-02-01");
    // Refused: a fast läkarkontakt is managed by the doctor's own unit (422 not-at-listing-unit), or
    // the access policy finds no unit of the caller's to write for (403).
    EXPECT_TRUE(created.status == 422 || created.status == 403) << created.body;
    ASSERT_EQ(w.List(w.Id("l2-" + tag), patient, vc2, "2024-06-01").status, 201);
    auto gp = Parse(w.Get("Patient/" + patient).body);
    EXPECT_EQ(At(gp, "/generalPractitioner/0/reference"), "Organization/" + vc2);
    EXPECT_EQ(At(gp, "/generalPractitioner/1/reference"), "") << "a doctor at vc1 for a patient listed at vc2";
    if (created.status == 201) {
      auto ended = Parse(w.Get("CareTeam/" + ct).body);
      EXPECT_EQ(At(ended, "/status"), "inactive");
      EXPECT_EQ(At(ended, "/period/end"), "2024-06-01");
    }
  }
}

// An update that moves the running listing to another vårdcentral (same id, same start) is a change of
// listing in all but name: it must not leave the fast läkarkontakt at the old unit running (rule 2),
// nor let a resident change vårdcentral without limit (rule 7).
TEST(Registry, MovingTheRunningListingByUpdateIsAChangeOfListing) {
  World w("rt-move");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2"), vc3 = w.Vardcentral("vc3"),
                    vc4 = w.Vardcentral("vc4");
  const std::string doctor = w.Staff("d1", vc1);
  const std::string patient = w.Patient("p"), listing = w.Id("l1"), ct = w.Id("ct1");
  World::Require(w.List(listing, patient, vc1, "2024-01-01"), "listing");
  World::Require(w.Contact(ct, patient, doctor, vc1, "2024-02-01"), "fast läkarkontakt");

  int moved = 0;
  for (const std::string& unit : {vc2, vc3, vc4, vc1}) {
    auto update = w.List(listing, patient, unit, "2024-01-01");
    // A running listing is not moved in place (422 unit-change): a change of listing is a new one.
    EXPECT_EQ(update.status, unit == vc1 ? 200 : 422) << update.body;
    if (update.status == 200) ++moved;
    auto gp = Parse(w.Get("Patient/" + patient).body);
    const std::string listed_at = At(gp, "/generalPractitioner/0/reference");
    if (listed_at != "Organization/" + vc1) {
      EXPECT_NE(At(gp, "/generalPractitioner/1/reference"), "PractitionerRole/" + doctor)
          << "listed at " << listed_at << " with the fast läkarkontakt of vc1";
    }
  }
  EXPECT_LE(moved, 2) << "rule 7: at most two changes of vårdcentral in twelve months";
}

// 4. capacity (rule 3)

TEST(Registry, FullListNamesAColleagueWithFreePlaces) {
  World w("rt-cap");
  const std::string vc = w.Vardcentral("vc");
  const std::string full = w.Staff("full", vc, "lakare", 2);
  const std::string colleague = w.Staff("free", vc, "lakare", 3);
  std::vector<std::string> patients;
  for (int i = 0; i < 3; ++i) {
    patients.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), patients[i], vc, "2024-01-01"), "listing");
  }
  ASSERT_EQ(w.Contact(w.Id("ct0"), patients[0], full, vc, "2024-02-01").status, 201);
  ASSERT_EQ(w.Contact(w.Id("ct1"), patients[1], full, vc, "2024-02-01").status, 201);

  auto refused = w.Contact(w.Id("ct2"), patients[2], full, vc, "2024-02-01");
  ExpectRefused(refused, "list-full");
  EXPECT_NE(Diagnostics(refused.body).find("PractitionerRole/" + colleague), std::string::npos) << refused.body;

  // Editing a contact already on the full list takes no new place.
  auto edit = w.ehr().Request("PUT", "/fhir/CareTeam/" + w.Id("ct1"),
                              reg::CareTeamJson(w.Id("ct1"), patients[1], full, vc, "2024-01-20"), reg::kFhirJson);
  EXPECT_EQ(edit.status, 200) << edit.body;

  auto status = w.Get("PractitionerRole/" + full + "/$list-status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(At(Parse(status.body), "/resourceType"), "Parameters");
  EXPECT_EQ(ParamNumber(status.body, "capacity"), 2) << status.body;
  EXPECT_EQ(ParamNumber(status.body, "listed"), 2) << status.body;
  EXPECT_EQ(ParamNumber(status.body, "free"), 0) << status.body;

  auto with_free = Search(w, "PractitionerRole?organization=Organization/" + vc + "&has-free-capacity=true");
  ASSERT_EQ(with_free.status, 200) << with_free.body;
  EXPECT_TRUE(Contains(with_free.refs, "PractitionerRole/" + colleague)) << with_free.body;
  EXPECT_FALSE(Contains(with_free.refs, "PractitionerRole/" + full)) << with_free.body;
  auto without_free = Search(w, "PractitionerRole?organization=Organization/" + vc + "&has-free-capacity=false");
  EXPECT_EQ(without_free.refs, std::vector<std::string>{"PractitionerRole/" + full}) << without_free.body;

  // The colleague named takes the patient.
  ASSERT_EQ(w.Contact(w.Id("ct3"), patients[2], colleague, vc, "2024-02-01").status, 201);
  auto colleague_status = w.Get("PractitionerRole/" + colleague + "/$list-status").body;
  EXPECT_EQ(ParamNumber(colleague_status, "capacity"), 3);
  EXPECT_EQ(ParamNumber(colleague_status, "listed"), 1);
  EXPECT_EQ(ParamNumber(colleague_status, "free"), 2);

  // Ending a contact frees its place.
  auto end = w.ehr().Request("PUT", "/fhir/CareTeam/" + w.Id("ct0"),
                             reg::CareTeamJson(w.Id("ct0"), patients[0], full, vc, "2024-02-01", "2", "inactive",
                                               "2024-12-01"),
                             reg::kFhirJson);
  ASSERT_EQ(end.status, 200) << end.body;
  auto freed = w.Get("PractitionerRole/" + full + "/$list-status").body;
  EXPECT_EQ(ParamNumber(freed, "listed"), 1) << freed;
  EXPECT_EQ(ParamNumber(freed, "free"), 1) << freed;
  auto now_free = Search(w, "PractitionerRole?organization=Organization/" + vc + "&has-free-capacity=true");
  EXPECT_TRUE(Contains(now_free.refs, "PractitionerRole/" + full)) << now_free.body;
}

// 5. concurrency

TEST(Registry, CapacityHoldsUnderConcurrentAssignments) {
  constexpr int kPatients = 20;
  constexpr int kCapacity = 5;
  World w("rt-conc");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("doc", vc, "lakare", kCapacity);
  std::vector<std::string> patients;
  for (int i = 0; i < kPatients; ++i) {
    patients.push_back(w.Patient("p" + std::to_string(i)));
    World::Require(w.List(w.Id("l" + std::to_string(i)), patients[i], vc, "2024-01-01"), "listing");
  }

  std::atomic<int> created{0}, full{0};
  std::mutex mu;
  std::vector<std::string> other;
  reg::RunTogether(kPatients, "ehr", [&](int i, testing::TlsClient& client) {
    const std::string id = w.Id("ct" + std::to_string(i));
    auto result = client.Request("PUT", "/fhir/CareTeam/" + id,
                                 reg::CareTeamJson(id, patients[i], doctor, vc, "2024-02-01"), reg::kFhirJson);
    if (result.status == 201) {
      created++;
    } else if (result.status == 422 && DetailCode(result.body) == "list-full") {
      full++;
    } else {
      std::lock_guard<std::mutex> lock(mu);
      other.push_back(std::to_string(result.status) + " " + result.error + " " + result.body.substr(0, 300));
    }
  });
  EXPECT_EQ(created.load(), kCapacity);
  EXPECT_EQ(full.load(), kPatients - kCapacity);
  EXPECT_TRUE(other.empty()) << other.front();

  auto status = w.Get("PractitionerRole/" + doctor + "/$list-status").body;
  EXPECT_EQ(ParamNumber(status, "listed"), kCapacity) << status;
  EXPECT_EQ(ParamNumber(status, "free"), 0) << status;
  auto active = Search(w, "CareTeam?participant=PractitionerRole/" + doctor + "&status=active&_summary=count");
  EXPECT_EQ(active.total, std::to_string(kCapacity)) << active.body;
}

TEST(Registry, ConcurrentListingsOfOnePatientLeaveOneActive) {
  constexpr int kUnits = 10;
  World w("rt-conl");
  std::vector<std::string> units;
  for (int i = 0; i < kUnits; ++i) units.push_back(w.Vardcentral("vc" + std::to_string(i)));
  const std::string patient = w.Patient("p");

  std::atomic<int> created{0}, limited{0};
  std::mutex mu;
  std::vector<std::string> other;
  reg::RunTogether(kUnits, "ehr", [&](int i, testing::TlsClient& client) {
    const std::string id = w.Id("l" + std::to_string(i));
    auto result = client.Request("PUT", "/fhir/EpisodeOfCare/" + id,
                                 reg::EpisodeJson(id, patient, units[i], "2024-04-01"), reg::kFhirJson);
    if (result.status == 201) {
      created++;
    } else if (result.status == 422 && DetailCode(result.body) == "change-limit") {
      limited++;
    } else {
      std::lock_guard<std::mutex> lock(mu);
      other.push_back(std::to_string(result.status) + " " + result.error + " " + result.body.substr(0, 300));
    }
  });
  EXPECT_TRUE(other.empty()) << other.front();
  // Serialised on the patient: the first listing and then two changes (listing.max-changes-per-year 2).
  EXPECT_EQ(created.load(), 3);
  EXPECT_EQ(limited.load(), kUnits - 3);

  auto active = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&status=active");
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(active.total, "1") << active.body;
  // Rule 1 and 8: on the day they all start exactly one listing is in force.
  auto on_day = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&date=2024-04-01");
  EXPECT_EQ(on_day.total, "1") << on_day.body;
}

// 6. death (rule 6)

TEST(Registry, DeathEndsListingAndContacts) {
  World w("rt-dead");
  const std::string vc = w.Vardcentral("vc"), vc2 = w.Vardcentral("vc2"), saebo = w.Saebo("saebo");
  const std::string doctor = w.Staff("doc", vc), doctor2 = w.Staff("doc2", vc2);
  const std::string nurse = w.Staff("ssk", saebo, "sjukskoterska");
  const std::string patient = w.Patient("p");
  const std::string listing = w.Id("l1"), ct = w.Id("ct1"), residency = w.Id("s1"), vk = w.Id("vk1");
  World::Require(w.List(listing, patient, vc, "2024-01-01"), "listing");
  World::Require(w.Contact(ct, patient, doctor, vc, "2024-02-01"), "fast läkarkontakt");
  World::Require(w.MoveIntoSaebo(residency, patient, saebo, "2024-03-01"), "SÄBO residency");
  World::Require(w.municipality().Request("PUT", "/fhir/CareTeam/" + vk,
                                          reg::CareTeamJson(vk, patient, nurse, saebo, "2024-03-01", "1"),
                                          reg::kFhirJson),
                 "fast vårdkontakt");

  auto died = w.admin().Request(
      "PUT", "/fhir/Patient/" + patient,
      reg::PatientWithPnr(patient, w.Pnr(patient), "Registersson", "2025-01-15T08:30:00+01:00"), reg::kFhirJson);
  ASSERT_EQ(died.status, 200) << died.body;

  auto episode = Parse(w.Get("EpisodeOfCare/" + listing).body);
  EXPECT_EQ(At(episode, "/status"), "finished");
  EXPECT_EQ(At(episode, "/period/end"), "2025-01-15");
  EXPECT_EQ(At(episode, "/meta/versionId"), "2");
  auto careteam = Parse(w.Get("CareTeam/" + ct).body);
  EXPECT_EQ(At(careteam, "/status"), "inactive");
  EXPECT_EQ(At(careteam, "/period/end"), "2025-01-15");
  auto lived = Parse(w.Get("EpisodeOfCare/" + residency).body);
  EXPECT_EQ(At(lived, "/status"), "finished");
  EXPECT_EQ(At(lived, "/period/end"), "2025-01-15");
  auto care = Parse(w.Get("CareTeam/" + vk).body);
  EXPECT_EQ(At(care, "/status"), "inactive");
  EXPECT_EQ(At(care, "/period/end"), "2025-01-15");
  EXPECT_EQ(At(Parse(w.Get("Patient/" + patient).body), "/generalPractitioner/0/reference"), "");

  ExpectRefused(w.List(w.Id("l2"), patient, vc2, "2025-02-01"), "deceased");
  ExpectRefused(w.Contact(w.Id("ct2"), patient, doctor2, vc2, "2025-02-01"), "deceased");
  auto active = Search(w, "EpisodeOfCare?patient=Patient/" + patient + "&status=active");
  EXPECT_EQ(active.total, "0") << active.body;
}

// 7. SÄBO residents

TEST(Registry, SaeboResidentMayHaveADoctorFromAServingVardcentral) {
  World w("rt-saebo");
  const std::string saebo = w.Saebo("saebo");
  const std::string serving = w.Vardcentral("vcs", {saebo});
  const std::string listing_unit = w.Vardcentral("vcl");
  const std::string doctor = w.Staff("doc", serving);
  const std::string nurse = w.Staff("ssk", saebo, "sjukskoterska");
  const std::string resident = w.Patient("p"), not_resident = w.Patient("p2");
  World::Require(w.List(w.Id("l1"), resident, listing_unit, "2024-01-01"), "listing");
  World::Require(w.List(w.Id("l2"), not_resident, listing_unit, "2024-01-01"), "listing");

  auto moved_in = w.MoveIntoSaebo(w.Id("s1"), resident, saebo, "2024-03-01");
  ASSERT_EQ(moved_in.status, 201) << moved_in.body;
  auto residency = Search(w, "EpisodeOfCare?patient=Patient/" + resident + "&type=saebo&status=active");
  EXPECT_EQ(residency.refs, std::vector<std::string>{"EpisodeOfCare/" + w.Id("s1")}) << residency.body;
  // A SÄBO residency is not a listing: the listing at vcl still runs.
  auto listing = Search(w, "EpisodeOfCare?patient=Patient/" + resident + "&type=listning&status=active");
  EXPECT_EQ(listing.refs, std::vector<std::string>{"EpisodeOfCare/" + w.Id("l1")}) << listing.body;

  auto doctor_contact = w.Contact(w.Id("ct1"), resident, doctor, serving, "2024-04-01");
  EXPECT_EQ(doctor_contact.status, 201) << doctor_contact.body;
  auto patient_doc = Parse(w.Get("Patient/" + resident).body);
  EXPECT_EQ(At(patient_doc, "/generalPractitioner/0/reference"), "Organization/" + listing_unit);
  EXPECT_EQ(At(patient_doc, "/generalPractitioner/1/reference"), "PractitionerRole/" + doctor);

  // The same doctor for someone who does not live in that SÄBO: not where the patient is listed.
  ExpectRefused(w.Contact(w.Id("ct2"), not_resident, doctor, serving, "2024-04-01"), "not-at-listing-unit");

  // A change of listing ends a fast läkarkontakt at the old unit only: the SÄBO doctor stays.
  const std::string elsewhere = w.Vardcentral("vcx");
  ASSERT_EQ(w.List(w.Id("l3"), resident, elsewhere, "2024-06-01").status, 201);
  auto kept = Parse(w.Get("CareTeam/" + w.Id("ct1")).body);
  EXPECT_EQ(At(kept, "/status"), "active");
  EXPECT_EQ(At(kept, "/period/end"), "");

  // The municipality registers the SÄBO's fast vårdkontakt.
  const std::string vk = w.Id("vk1");
  auto care_contact = w.municipality().Request(
      "PUT", "/fhir/CareTeam/" + vk, reg::CareTeamJson(vk, resident, nurse, saebo, "2024-03-01", "1"), reg::kFhirJson);
  EXPECT_EQ(care_contact.status, 201) << care_contact.body;
}

// 8. $fixed-contacts

TEST(Registry, FixedContactsForTheCitizenPortal) {
  World w("rt-fix");
  const std::string vc0 = w.Vardcentral("vc0"), vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("doc", vc), nurse = w.Staff("ssk", vc, "sjukskoterska");
  const std::string patient = w.Patient("p");
  World::Require(w.List(w.Id("l0"), patient, vc0, "2024-01-01"), "listing");
  World::Require(w.List(w.Id("l1"), patient, vc, "2024-03-01"), "change of listing");
  World::Require(w.Contact(w.Id("flk"), patient, doctor, vc, "2024-04-01", "2"), "fast läkarkontakt");
  World::Require(w.Contact(w.Id("fvk"), patient, nurse, vc, "2024-04-01", "1"), "fast vårdkontakt");
  for (const auto& [name, status] : {std::pair<std::string, std::string>{"pk-old", "superseded"}, {"pk", "current"}}) {
    const std::string id = w.Id(name);
    World::Require(w.ehr().Request("PUT", "/fhir/DocumentReference/" + id,
                                   reg::ContractJson(id, patient, vc, w.Id("fvk"), status), reg::kFhirJson),
                   "patientkontrakt " + name);
  }

  auto citizen = Server::Shared().Client("citizen-portal");
  auto result = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem +
                                            "%7C" + w.Pnr(patient));
  ASSERT_EQ(result.status, 200) << result.body;
  auto bundle = Parse(result.body);
  EXPECT_EQ(At(bundle, "/resourceType"), "Bundle");
  EXPECT_FALSE(bundle.HasMember("total")) << "bdl-1: a collection Bundle has no total";
  const auto refs = EntryRefs(result.body);
  for (const std::string& expected :
       {"Patient/" + patient, "EpisodeOfCare/" + w.Id("l1"), "CareTeam/" + w.Id("flk"), "CareTeam/" + w.Id("fvk"),
        "DocumentReference/" + w.Id("pk")}) {
    EXPECT_TRUE(Contains(refs, expected)) << expected << " missing in " << result.body.substr(0, 2000);
  }
  EXPECT_FALSE(Contains(refs, "EpisodeOfCare/" + w.Id("l0"))) << "the finished listing is not shown";
  EXPECT_FALSE(Contains(refs, "DocumentReference/" + w.Id("pk-old"))) << "a superseded contract is not shown";
  EXPECT_EQ(At(bundle, "/entry/0/resource/resourceType"), "Patient");
  EXPECT_EQ(At(bundle, "/entry/0/resource/generalPractitioner/1/reference"), "PractitionerRole/" + doctor);

  // An alias of the personnummer system finds the same patient.
  auto alias = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=urn:oid:1.2.752.129.2.1.3.1%7C" +
                                           w.Pnr(patient));
  EXPECT_EQ(alias.status, 200) << alias.body;
  EXPECT_EQ(EntryRefs(alias.body), refs);
  auto no_identifier = citizen->Request("GET", "/fhir/Patient/$fixed-contacts");
  EXPECT_EQ(no_identifier.status, 400) << no_identifier.body;
  EXPECT_EQ(At(Parse(no_identifier.body), "/resourceType"), "OperationOutcome");

  auto unknown = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem +
                                             "%7C" + reg::NextPersonnummer());
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(IssueCode(unknown.body), "not-found");
}

// 9. Organization/$list-status

TEST(Registry, UnitListStatusCountsListingsAndDoctorFte) {
  World w("rt-unit");
  const std::string vc = w.Vardcentral("vc"), vc2 = w.Vardcentral("vc2");
  w.Staff("d1", vc, "lakare", -1, 0.5);
  w.Staff("d2", vc, "lakare", -1, 0.75);
  w.Staff("ssk", vc, "sjukskoterska", -1, 1.0);  // not a doctor: no doctor FTE
  World::Put(w.admin(), "Practitioner", w.Id("gone-pr"), reg::PractitionerJson(w.Id("gone-pr"), "Slutat"));
  World::Put(w.admin(), "PractitionerRole", w.Id("gone"),
             reg::RoleJson(w.Id("gone"), w.Id("gone-pr"), vc, "lakare", -1, 1.0, /*active=*/false));
  for (int i = 0; i < 4; ++i) {
    World::Require(w.List(w.Id("l" + std::to_string(i)), w.Patient("p" + std::to_string(i)), vc, "2024-01-01"),
                   "listing");
  }
  World::Require(w.List(w.Id("moved"), w.Id("p3"), vc2, "2024-06-01"), "change of listing");

  auto status = w.Get("Organization/" + vc + "/$list-status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(At(Parse(status.body), "/resourceType"), "Parameters");
  EXPECT_EQ(ParamNumber(status.body, "listed"), 3) << status.body;
  EXPECT_DOUBLE_EQ(ParamNumber(status.body, "doctor-fte"), 1.25) << status.body;
  EXPECT_DOUBLE_EQ(ParamNumber(status.body, "listed-per-doctor-fte"), 2.4) << status.body;
  EXPECT_EQ(ParamNumber(status.body, "target"), 1100) << status.body;
}

// $list-status?date=D answers as of D (rule 8: any past date is reconstructable): what was in force
// then counts, even if it has been finished or ended since.
TEST(Registry, ListStatusAsOfAPastDate) {
  World w("rt-past");
  const std::string vc = w.Vardcentral("vc"), vc2 = w.Vardcentral("vc2");
  const std::string doctor = w.Staff("doc", vc, "lakare", 5);
  const std::string stays = w.Patient("stays"), moves = w.Patient("moves");
  World::Require(w.List(w.Id("l1"), stays, vc, "2024-01-01"), "listing");
  World::Require(w.List(w.Id("l2"), moves, vc, "2024-01-01"), "listing");
  World::Require(w.Contact(w.Id("ct1"), stays, doctor, vc, "2024-02-01"), "fast läkarkontakt");
  World::Require(w.Contact(w.Id("ct2"), moves, doctor, vc, "2024-02-01"), "fast läkarkontakt");
  // The change of listing finishes l2 and ends ct2 on 2024-06-01.
  World::Require(w.List(w.Id("l3"), moves, vc2, "2024-06-01"), "change of listing");
  ASSERT_EQ(At(Parse(w.Get("EpisodeOfCare/" + w.Id("l2")).body), "/period/end"), "2024-06-01");
  ASSERT_EQ(At(Parse(w.Get("CareTeam/" + w.Id("ct2")).body), "/period/end"), "2024-06-01");

  // Today: one listed, one fast läkarkontakt.
  EXPECT_EQ(ParamNumber(w.Get("Organization/" + vc + "/$list-status").body, "listed"), 1);
  EXPECT_EQ(ParamNumber(w.Get("PractitionerRole/" + doctor + "/$list-status").body, "listed"), 1);
  // The searches agree that on 2024-03-01 both listings and both contacts were in force.
  EXPECT_EQ(Search(w, "EpisodeOfCare?organization=Organization/" + vc + "&date=2024-03-01").total, "2");
  EXPECT_EQ(Search(w, "CareTeam?participant=PractitionerRole/" + doctor + "&date=2024-03-01").total, "2");

  auto unit_then = w.Get("Organization/" + vc + "/$list-status?date=2024-03-01");
  ASSERT_EQ(unit_then.status, 200) << unit_then.body;
  EXPECT_EQ(At(Parse(unit_then.body), "/parameter/1/valueDate"), "2024-03-01") << unit_then.body;
  auto role_then = w.Get("PractitionerRole/" + doctor + "/$list-status?date=2024-03-01");
  ASSERT_EQ(role_then.status, 200) << role_then.body;
  EXPECT_EQ(ParamNumber(unit_then.body, "listed"), 2) << unit_then.body;
  EXPECT_EQ(ParamNumber(role_then.body, "listed"), 2) << role_then.body;
  EXPECT_EQ(ParamNumber(role_then.body, "free"), 3) << role_then.body;
}

// 10. refusals

TEST(Registry, RefusedWrites) {
  World w("rt-ref");
  const std::string vc = w.Vardcentral("vc");
  // A kommun under the region, so the EHR is allowed to try and the registry rule is what refuses.
  const std::string kommun = w.Id("kommun-unit");
  World::Put(w.admin(), "Organization", kommun,
             reg::OrganizationJson(kommun, reg::UnitHsa(reg::kRegionHsa), "kommun", w.Region()));
  const std::string patient = w.Patient("p");

  ExpectRefused(w.List(w.Id("l1"), patient, kommun, "2024-01-01"), "not-a-vardcentral");
  ExpectRefused(w.List(w.Id("l2"), w.Id("nobody"), vc, "2024-01-01"), "unknown-reference");

  const std::string untyped = w.Id("l3");
  auto no_type = w.ehr().Request("PUT", "/fhir/EpisodeOfCare/" + untyped,
                                 reg::EpisodeJson(untyped, patient, vc, "2024-01-01", /*kind=*/""), reg::kFhirJson);
  EXPECT_TRUE(no_type.status == 422 || no_type.status == 400) << no_type.status << " " << no_type.body;
  EXPECT_EQ(At(Parse(no_type.body), "/resourceType"), "OperationOutcome") << no_type.body;
  EXPECT_EQ(At(Parse(no_type.body), "/issue/0/expression/0"), "EpisodeOfCare.type") << no_type.body;

  World::Require(w.List(w.Id("l4"), patient, vc, "2024-01-01"), "listing");
  ExpectRefused(w.Contact(w.Id("ct1"), patient, w.Id("no-such-role"), vc, "2024-02-01"), "unknown-reference");

  for (const char* refused : {"l1", "l2", "l3"}) {
    EXPECT_EQ(w.Get(std::string("EpisodeOfCare/") + w.Id(refused)).status, 404) << refused;
  }
  EXPECT_EQ(w.Get("CareTeam/" + w.Id("ct1")).status, 404);
  auto no_role = w.Get("PractitionerRole/" + w.Id("no-such-role") + "/$list-status");
  EXPECT_EQ(no_role.status, 404) << no_role.body;
  EXPECT_EQ(IssueCode(no_role.body), "not-found");
}

}  // namespace

// Patient?general-practitioner: a doctor's list and a unit's listed patients, from the same facts a
// read derives generalPractitioner from (docs/api.md section 1).
TEST(Registry, PatientSearchByGeneralPractitionerIsTheDoctorsList) {
  World w("rt-gp");
  const std::string vc = w.Vardcentral("vc"), other = w.Vardcentral("other");
  const std::string berg = w.Staff("berg", vc), lind = w.Staff("lind", vc);
  const std::string p1 = w.Patient("p1"), p2 = w.Patient("p2"), p3 = w.Patient("p3");
  ASSERT_EQ(w.List(w.Id("l1"), p1, vc, "2024-01-10").status, 201);
  ASSERT_EQ(w.List(w.Id("l2"), p2, vc, "2024-01-10").status, 201);
  ASSERT_EQ(w.List(w.Id("l3"), p3, other, "2024-01-10").status, 201);
  ASSERT_EQ(w.Contact(w.Id("c1"), p1, berg, vc, "2024-01-10").status, 201);
  ASSERT_EQ(w.Contact(w.Id("c2"), p2, lind, vc, "2024-01-10").status, 201);
  using Refs = std::set<std::string>;
  auto refs = [&](const std::string& query) {
    Found found = Search(w, query);
    EXPECT_EQ(found.status, 200) << query << " " << found.body;
    return Refs(found.refs.begin(), found.refs.end());
  };
  EXPECT_EQ(refs("Patient?general-practitioner=PractitionerRole/" + berg), Refs{"Patient/" + p1});
  EXPECT_EQ(refs("Patient?general-practitioner:PractitionerRole=" + berg), Refs{"Patient/" + p1});
  EXPECT_EQ(refs("Patient?general-practitioner=Organization/" + vc), (Refs{"Patient/" + p1, "Patient/" + p2}));
  EXPECT_EQ(refs("Patient?general-practitioner=" + other), Refs{"Patient/" + p3});  // a bare id: role or unit
  EXPECT_EQ(refs("Patient?general-practitioner=PractitionerRole/" + berg + ",PractitionerRole/" + lind),
            (Refs{"Patient/" + p1, "Patient/" + p2}));
  EXPECT_EQ(refs("Patient?general-practitioner=Organization/" + vc + "&general-practitioner=PractitionerRole/" + lind),
            Refs{"Patient/" + p2});
  EXPECT_EQ(refs("Patient?general-practitioner=PractitionerRole/no-such-role"), Refs{});
  // The search agrees with what a read shows.
  const std::string read = w.Get("Patient/" + p1).body;
  EXPECT_NE(read.find("PractitionerRole/" + berg), std::string::npos) << read;
  EXPECT_EQ(Search(w, "Patient?general-practitioner=Location/x").status, 400);
  // Not chainable (no index value holds it): reported as not used, as any unknown parameter is.
  const Found chained = Search(w, "CareTeam?subject:Patient.general-practitioner=PractitionerRole/" + berg);
  EXPECT_NE(chained.body.find("\"mode\":\"outcome\""), std::string::npos) << chained.body;
}

}  // namespace nara::e2e
