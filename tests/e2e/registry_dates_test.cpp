// Dates decide (docs/api.md sections 4 and 5): a change of listing or a death dated relative to today
// is seen through every "now" view as its period says, over mutual TLS against real PostgreSQL.
//
// Unlike tests/e2e/registry_test.cpp these tests need dates after today, so they are computed from
// Date::Today() (UTC, as the server reads it): what they check is the same on any day they run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/date.h"
#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::Contains;
using reg::EntryRefs;
using reg::World;

std::string Day(int days_from_today) { return Date::Today().AddDays(days_from_today).ToString(); }

// The end-reason code on a CareTeam ("" when none).
std::string EndReason(const rapidjson::Document& careteam) {
  if (!careteam.HasMember("extension") || !careteam["extension"].IsArray()) return {};
  for (const auto& ext : careteam["extension"].GetArray()) {
    if (ext.HasMember("url") && std::string(ext["url"].GetString()) == reg::kEndReason &&
        ext.HasMember("valueCoding") && ext["valueCoding"].HasMember("code")) {
      return ext["valueCoding"]["code"].GetString();
    }
  }
  return {};
}

TEST(RegistryDates, AChangeOfListingDatedTomorrowLeavesTodayAsItIs) {
  World w("rd-tmrw");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string doctor = w.Staff("doc", vc1);
  const std::string patient = w.Patient("p");
  const std::string l1 = w.Id("l1"), l2 = w.Id("l2"), ct = w.Id("ct");
  World::Require(w.List(l1, patient, vc1, "2024-01-10"), "listing");
  World::Require(w.Contact(ct, patient, doctor, vc1, "2024-02-01"), "fast läkarkontakt");

  const std::string tomorrow = Day(1);
  auto change = w.List(l2, patient, vc2, tomorrow);
  ASSERT_EQ(change.status, 201) << change.body;

  // The old listing and the doctor run until tomorrow: still active today, with their end set.
  auto old = Parse(w.Get("EpisodeOfCare/" + l1).body);
  EXPECT_EQ(At(old, "/status"), "active");
  EXPECT_EQ(At(old, "/period/end"), tomorrow);
  auto careteam = Parse(w.Get("CareTeam/" + ct).body);
  EXPECT_EQ(At(careteam, "/status"), "active");
  EXPECT_EQ(At(careteam, "/period/end"), tomorrow);
  EXPECT_EQ(EndReason(careteam), "byte-av-listning");

  // Every "now" view answers from what is in force today.
  auto read = Parse(w.Get("Patient/" + patient).body);
  EXPECT_EQ(At(read, "/generalPractitioner/0/reference"), "Organization/" + vc1);
  EXPECT_EQ(At(read, "/generalPractitioner/1/reference"), "PractitionerRole/" + doctor);

  auto citizen = Server::Shared().Client("citizen-portal");
  auto fixed = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem +
                                           "%7C" + w.Pnr(patient));
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  const auto refs = EntryRefs(fixed.body);
  EXPECT_TRUE(Contains(refs, "EpisodeOfCare/" + l1)) << fixed.body.substr(0, 2000);
  EXPECT_TRUE(Contains(refs, "CareTeam/" + ct)) << fixed.body.substr(0, 2000);
  EXPECT_FALSE(Contains(refs, "EpisodeOfCare/" + l2)) << "not in force before tomorrow";

  // As of tomorrow the new listing is the one in force.
  auto tomorrows = w.Get("EpisodeOfCare?patient=Patient/" + patient + "&date=" + tomorrow);
  ASSERT_EQ(tomorrows.status, 200) << tomorrows.body;
  EXPECT_EQ(EntryRefs(tomorrows.body), std::vector<std::string>{"EpisodeOfCare/" + l2});
}

TEST(RegistryDates, APlannedListingIsAChangeOfListingFromItsStart) {
  World w("rd-plan");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string patient = w.Patient("p");
  const std::string l1 = w.Id("l1"), l2 = w.Id("l2");
  World::Require(w.List(l1, patient, vc1, "2024-01-10"), "listing");
  const std::string start = Day(3);
  auto planned = w.ehr().Request("PUT", "/fhir/EpisodeOfCare/" + l2,
                                 reg::EpisodeJson(l2, patient, vc2, start, "listning", "planned"), reg::kFhirJson);
  ASSERT_EQ(planned.status, 201) << planned.body;
  auto old = Parse(w.Get("EpisodeOfCare/" + l1).body);
  EXPECT_EQ(At(old, "/status"), "active");
  EXPECT_EQ(At(old, "/period/end"), start);
  EXPECT_EQ(At(Parse(w.Get("Patient/" + patient).body), "/generalPractitioner/0/reference"), "Organization/" + vc1);
  auto then = w.Get("EpisodeOfCare?patient=Patient/" + patient + "&date=" + start);
  EXPECT_EQ(EntryRefs(then.body), std::vector<std::string>{"EpisodeOfCare/" + l2}) << then.body.substr(0, 1000);
}

TEST(RegistryDates, DeathEndsOrCancelsWhatRunsPastItFutureDatedIncluded) {
  World w("rd-dead");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string doctor = w.Staff("doc", vc1);
  const std::string patient = w.Patient("p");
  const std::string l1 = w.Id("l1"), l2 = w.Id("l2"), ct = w.Id("ct");
  World::Require(w.List(l1, patient, vc1, "2024-01-10"), "listing");
  World::Require(w.Contact(ct, patient, doctor, vc1, "2024-02-01"), "fast läkarkontakt");
  // A change of listing registered in advance, five days from now.
  World::Require(w.List(l2, patient, vc2, Day(5)), "future change of listing");

  const std::string today = Day(0);
  auto died = w.admin().Request("PUT", "/fhir/Patient/" + patient,
                                reg::PatientWithPnr(patient, w.Pnr(patient), "Registersson", today + "T08:30:00+01:00"),
                                reg::kFhirJson);
  ASSERT_EQ(died.status, 200) << died.body;

  auto old = Parse(w.Get("EpisodeOfCare/" + l1).body);
  EXPECT_EQ(At(old, "/status"), "finished");
  EXPECT_EQ(At(old, "/period/end"), today);
  auto next = Parse(w.Get("EpisodeOfCare/" + l2).body);
  EXPECT_EQ(At(next, "/status"), "cancelled") << "it never ran";
  auto careteam = Parse(w.Get("CareTeam/" + ct).body);
  EXPECT_EQ(At(careteam, "/status"), "inactive");
  EXPECT_EQ(At(careteam, "/period/end"), today);
  EXPECT_EQ(EndReason(careteam), "avliden");
  auto running = w.Get("EpisodeOfCare?patient=Patient/" + patient + "&status=active");
  ASSERT_EQ(running.status, 200) << running.body;
  EXPECT_TRUE(EntryRefs(running.body).empty()) << running.body.substr(0, 1000);
  EXPECT_EQ(At(Parse(w.Get("Patient/" + patient).body), "/generalPractitioner/0/reference"), "");
}

TEST(RegistryDates, AKommunReadsTheResidentItIsToReceive) {
  World w("rd-saebo");
  const std::string saebo = w.Saebo("saebo");
  const std::string patient = w.Patient("p");  // no address in the kommun
  EXPECT_EQ(w.municipality().Request("GET", "/fhir/Patient/" + patient).status, 403) << "not yet a resident";

  // A move into the kommun's SÄBO in ten days, registered by the kommun now.
  const std::string residency = w.Id("s1");
  World::Require(w.MoveIntoSaebo(residency, patient, saebo, Day(10)), "future SÄBO residency");
  auto read = w.municipality().Request("GET", "/fhir/Patient/" + patient);
  EXPECT_EQ(read.status, 200) << read.body;
  auto episode = w.municipality().Request("GET", "/fhir/EpisodeOfCare/" + residency);
  EXPECT_EQ(episode.status, 200) << episode.body;
}

TEST(RegistryDates, TheCitizenPortalReadsTheDoctorsName) {
  World w("rd-name");
  const std::string vc = w.Vardcentral("vc");
  w.Staff("doc", vc);
  auto citizen = Server::Shared().Client("citizen-portal");
  auto read = citizen->Request("GET", "/fhir/Practitioner/" + w.Id("doc-pr"));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(At(Parse(read.body), "/name/0/family"), "Läkarsson doc");
  // By id only: the staff directory is not searchable from the public-facing portal.
  EXPECT_EQ(citizen->Request("GET", "/fhir/Practitioner?name=L%C3%A4karsson").status, 403);
}

TEST(RegistryDates, AResidentNeedsANationalIdentity) {
  World w("rd-ident");
  const std::string id = w.Id("p");
  auto none = w.admin().Request("PUT", "/fhir/Patient/" + id,
                                R"({"resourceType":"Patient","id":")" + id + R"(","gender":"female"})", reg::kFhirJson);
  EXPECT_EQ(none.status, 422) << none.body;
  EXPECT_EQ(IssueCode(none.body), "required");
  EXPECT_EQ(At(Parse(none.body), "/issue/0/expression/0"), "Patient.identifier");
  EXPECT_EQ(At(Parse(none.body), "/issue/0/diagnostics").rfind("Patienten saknar personnummer", 0), 0u) << none.body;

  // A PUT may not take it away from a registered patient either.
  const std::string patient = w.Patient("q");
  auto removed = w.admin().Request("PUT", "/fhir/Patient/" + patient,
                                   R"({"resourceType":"Patient","id":")" + patient + R"(","gender":"male"})",
                                   reg::kFhirJson);
  EXPECT_EQ(removed.status, 422) << removed.body;
  EXPECT_EQ(IssueCode(removed.body), "required");
  EXPECT_EQ(At(Parse(w.Get("Patient/" + patient).body), "/meta/versionId"), "1");

  // A reservnummer is enough.
  const std::string reserv = w.Id("r");
  auto created = w.admin().Request(
      "PUT", "/fhir/Patient/" + reserv,
      R"({"resourceType":"Patient","id":")" + reserv +
          R"(","identifier":[{"system":"http://electronichealth.se/identifier/nationelltReservnummer","value":"RD1"}]})",
      reg::kFhirJson);
  EXPECT_EQ(created.status, 201) << created.body;
}

TEST(RegistryDates, RefusalsNameTheDoctorsAndUnits) {
  World w("rd-names");
  const std::string vc1 = w.Vardcentral("vc1"), vc2 = w.Vardcentral("vc2");
  const std::string full = w.Staff("full", vc1, "lakare", 1), free = w.Staff("free", vc1, "lakare", 3);
  const std::string elsewhere = w.Staff("else", vc2);
  const std::string p1 = w.Patient("p1"), p2 = w.Patient("p2");
  World::Require(w.List(w.Id("l1"), p1, vc1, "2024-01-01"), "listing");
  World::Require(w.List(w.Id("l2"), p2, vc1, "2024-01-01"), "listing");
  World::Require(w.Contact(w.Id("ct1"), p1, full, vc1, "2024-02-01"), "fast läkarkontakt");

  auto refused = w.Contact(w.Id("ct2"), p2, full, vc1, "2024-02-01");
  ASSERT_EQ(refused.status, 422) << refused.body;
  const std::string text = At(Parse(refused.body), "/issue/0/diagnostics");
  EXPECT_NE(text.find("Listan för Doktor Läkarsson full (PractitionerRole/" + full + ") är full"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Doktor Läkarsson free (PractitionerRole/" + free + "): 3 lediga platser"), std::string::npos)
      << text;

  auto wrong_unit = w.Contact(w.Id("ct3"), p2, elsewhere, vc2, "2024-02-01");
  ASSERT_EQ(wrong_unit.status, 422) << wrong_unit.body;
  const std::string where = At(Parse(wrong_unit.body), "/issue/0/diagnostics");
  EXPECT_NE(where.find("Doktor Läkarsson else (PractitionerRole/" + elsewhere + ") hör till Test vardcentral " + vc2 +
                       " (Organization/" + vc2 + "), men patienten är listad på Test vardcentral " + vc1 +
                       " (Organization/" + vc1 + ")"),
            std::string::npos)
      << where;
}

TEST(RegistryDates, AnotherKommunsSaeboIsRefusedByNameWithADetailCode) {
  World w("rd-other");
  const std::string other_hsa = "SE2120000183-0001";  // not the municipality client's organization
  const std::string kommun_b = w.Id("kommun-b"), saebo_b = w.Id("saebo-b");
  World::Put(w.admin(), "Organization", kommun_b, reg::OrganizationJson(kommun_b, reg::UnitHsa(other_hsa), "kommun"));
  World::Put(w.admin(), "Organization", saebo_b,
             reg::OrganizationJson(saebo_b, reg::UnitHsa(other_hsa), "saebo", kommun_b));
  const std::string patient = w.Patient("p");

  auto refused = w.MoveIntoSaebo(w.Id("s1"), patient, saebo_b, "2024-03-01");
  ASSERT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(IssueCode(refused.body), "forbidden");
  EXPECT_EQ(reg::DetailCode(refused.body), "other-municipality") << refused.body;
  const std::string text = At(Parse(refused.body), "/issue/0/diagnostics");
  EXPECT_EQ(text.rfind("Test saebo " + saebo_b + " (Organization/" + saebo_b + ") hör till Test kommun " + kommun_b +
                           ", inte till ",
                       0),
            0u)
      << text;
}

TEST(RegistryDates, MeasuresAreAsOfPeriodEndAndSayWhenAStartWouldBeIgnored) {
  auto stats = Server::Shared().Client("statistics");
  const std::string base = "/fhir/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2025-06-30";
  EXPECT_EQ(stats->Request("GET", base).status, 200);
  EXPECT_EQ(stats->Request("GET", base + "&periodStart=2025-06-30").status, 200) << "the same day says nothing new";
  auto ranged = stats->Request("GET", base + "&periodStart=2025-01-01");
  EXPECT_EQ(ranged.status, 400) << ranged.body;
  EXPECT_EQ(IssueCode(ranged.body), "invalid");
  EXPECT_EQ(At(Parse(ranged.body), "/issue/0/diagnostics").rfind("Måtten gäller per periodEnd", 0), 0u) << ranged.body;
  EXPECT_EQ(stats->Request("GET", base + "&periodStart=januari").status, 400);
}

}  // namespace
}  // namespace nara::e2e
