// nara synth (app/tools/synth.*): deterministic, valid for our own API, and within the registry rules.
#include "app/tools/synth.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>
#include <sstream>

#include "app/tools/synth_geography.h"
#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "registry/measures.h"
#include "registry/personnummer.h"

namespace nara::app {
namespace {

std::string Generate(long people, uint64_t seed) {
  SynthOptions options;
  options.people = people;
  options.seed = seed;
  options.out = "-";
  std::ostringstream out;
  auto stats = WriteSynth(options, out);
  EXPECT_TRUE(stats) << (stats ? "" : stats.error().text);
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Synth, SameSeedGivesTheSameBytesAndAnotherSeedDoes) {
  const std::string a = Generate(3000, 42);
  EXPECT_EQ(a, Generate(3000, 42));
  EXPECT_NE(a, Generate(3000, 43));
}

TEST(Synth, RealGeography) {
  const auto& kommuner = synth::Kommuner();
  ASSERT_EQ(kommuner.size(), 290u);
  std::set<std::string> codes, counties;
  for (const auto& k : kommuner) {
    EXPECT_EQ(std::string(k.code).size(), 4u);
    codes.insert(k.code);
    counties.insert(std::string(k.code).substr(0, 2));
  }
  EXPECT_EQ(codes.size(), 290u);
  EXPECT_EQ(counties.size(), 21u);
  EXPECT_EQ(synth::Regions().size(), 21u);
  for (const char* code : {"0180", "1480", "1280", "0380", "2584", "0980"}) EXPECT_TRUE(codes.count(code)) << code;
  for (const auto& region : synth::Regions()) EXPECT_TRUE(counties.count(region.county)) << region.county;
}

// Every line is accepted by the same validation POST/PUT uses, every reference points at a resource
// on an earlier line, identifiers are valid and unique, and the facts keep the registry rules.
TEST(Synth, EveryLineIsAValidResourceInDependencyOrderWithinTheRules) {
  const long people = 20000;
  const auto lines = Lines(Generate(people, 7));
  std::set<std::string> seen;
  std::set<std::string> person_ids;
  std::map<std::string, long> per_type;
  std::map<std::string, RoleFacts> roles;
  std::map<std::string, std::vector<EpisodeFacts>> listings;
  std::map<std::string, std::vector<ContactFacts>> doctors;
  std::map<std::string, Date> deaths;
  std::set<std::string> kommun_codes;
  long samordning = 0;
  const Date as_of = *Date::FromCivil(2026, 11, 1);
  for (size_t n = 0; n < lines.size(); ++n) {
    rapidjson::Document doc;
    ASSERT_TRUE(fhir::ParseJsonObject(lines[n], doc)) << "line " << n + 1;
    const std::string type = doc["resourceType"].GetString();
    const std::string id = doc["id"].GetString();
    const auto* def = fhir::FindType(type);
    ASSERT_NE(def, nullptr) << type;
    auto prepared = fhir::PrepareResource(lines[n], *def, id);
    ASSERT_TRUE(prepared) << "line " << n + 1 << ": " << prepared.error().text;
    for (const auto& ref : prepared->index.references) {
      EXPECT_TRUE(seen.count(ref.target_type + "/" + ref.target_id))
          << "line " << n + 1 << " refers to " << ref.target_type << "/" << ref.target_id << " before it exists";
    }
    EXPECT_TRUE(seen.insert(type + "/" + id).second) << "duplicate id " << type << "/" << id;
    ++per_type[type];
    if (type == "Patient") {
      const std::string system = doc["identifier"][0]["system"].GetString();
      const std::string value = doc["identifier"][0]["value"].GetString();
      const bool samordningsnummer = system == "http://electronichealth.se/identifier/samordningsnummer";
      samordning += samordningsnummer;
      auto pnr = PersonId::Parse(value, samordningsnummer ? PersonIdKind::samordningsnummer : PersonIdKind::personnummer);
      ASSERT_TRUE(pnr) << "line " << n + 1 << ": " << pnr.error().text;
      EXPECT_EQ(pnr->birth_date(), doc["birthDate"].GetString());
      EXPECT_EQ(pnr->is_female(), std::string(doc["gender"].GetString()) == "female");
      EXPECT_TRUE(person_ids.insert(value).second) << "duplicate person id on line " << n + 1;
      const auto facts = fhir::PatientFactsFromPatient(prepared->doc, id);
      kommun_codes.insert(facts.kommun);
      if (facts.deceased) deaths[id] = *facts.deceased;
    } else if (type == "PractitionerRole") {
      roles[id] = fhir::RoleFromPractitionerRole(prepared->doc, id);
    } else if (type == "EpisodeOfCare" && fhir::KindOfEpisode(prepared->doc) == fhir::EpisodeKind::listning) {
      auto facts = fhir::EpisodeFromResource(prepared->doc, id);
      ASSERT_TRUE(facts);
      listings[facts->patient_id].push_back(*facts);
    } else if (type == "CareTeam") {
      auto facts = fhir::ContactFromResource(prepared->doc, id);
      ASSERT_TRUE(facts);
      if (facts->role == ContactRole::fast_lakarkontakt) doctors[facts->patient_id].push_back(*facts);
      if (deaths.count(facts->patient_id)) {
        EXPECT_NE(facts->status, ContactStatus::active) << id << ": active after death";
      }
    }
  }
  // The order the importer and a client need: units and staff before residents and their registrations.
  EXPECT_EQ(per_type["Patient"], people);
  // Regions, kommuner, ≥1 vårdcentral and SÄBO each, one hemsjukvård unit each.
  EXPECT_EQ(per_type["Organization"], 21 + 290 + 290 + 290 + 290);
  EXPECT_GT(samordning, people / 200);  // ~1 %
  EXPECT_LT(samordning, people / 50);
  EXPECT_GT(kommun_codes.size(), 280u);  // nearly every kommun has residents even at 20 000

  long listed_now = 0, doctor_now = 0;
  std::map<std::string, int> placed;
  for (const auto& [patient, episodes] : listings) {
    for (size_t i = 0; i < episodes.size(); ++i) {
      for (size_t j = i + 1; j < episodes.size(); ++j) {
        EXPECT_FALSE(episodes[i].period.Overlaps(episodes[j].period)) << patient << ": overlapping listings";
      }
    }
    for (const auto& e : episodes) listed_now += e.ActiveOn(as_of);
  }
  for (const auto& [patient, contacts] : doctors) {
    int active = 0;
    for (const auto& c : contacts) {
      const RoleFacts& role = roles.at(c.practitioner_role_id);
      EXPECT_EQ(role.profession, "lakare");
      EXPECT_EQ(c.managing_unit_id, role.unit_id);
      if (c.status != ContactStatus::active) continue;
      ++active;
      ++placed[c.practitioner_role_id];
      // Rule 2: listed at the doctor's unit when the contact began (SÄBO residents are listed at
      // the vårdcentral serving their SÄBO, so this holds for them too).
      bool at_unit = false;
      for (const auto& l : listings[patient]) at_unit |= l.ActiveOn(c.period.start) && l.unit_id == role.unit_id;
      EXPECT_TRUE(at_unit) << c.id;
    }
    EXPECT_LE(active, 1) << patient;
    doctor_now += active;
  }
  for (const auto& [role, count] : placed) EXPECT_LE(count, roles.at(role).capacity) << role;
  const long alive = people - static_cast<long>(deaths.size());
  EXPECT_GT(listed_now, alive * 92 / 100);
  EXPECT_LT(listed_now, alive * 98 / 100);
  EXPECT_GT(doctor_now, alive * 55 / 100);
  EXPECT_LT(doctor_now, alive * 65 / 100);
  EXPECT_GT(deaths.size(), 0u);
}

// docs/api.md section 11: a visit history the continuity measures can mean something on — visits at
// the listing unit, most with the fast läkarkontakt, some elsewhere, some digital and some at home.
TEST(Synth, VisitHistories) {
  const auto lines = Lines(Generate(5000, 3));
  std::map<std::string, std::string> listing_unit, fast_role;  // patient → current unit / flk role
  std::map<std::string, long> classes;
  long visits = 0, elsewhere = 0, with_fast = 0, doctor_like = 0, patients = 0;
  std::map<std::string, std::string> profession;  // role → profession
  for (const auto& line : lines) {
    rapidjson::Document doc;
    ASSERT_TRUE(fhir::ParseJsonObject(line, doc));
    const std::string type = doc["resourceType"].GetString();
    const std::string id = doc["id"].GetString();
    if (type == "Patient") ++patients;
    if (type == "PractitionerRole") {
      profession[id] = fhir::RoleFromPractitionerRole(doc, id).profession;
    } else if (type == "EpisodeOfCare" && fhir::KindOfEpisode(doc) == fhir::EpisodeKind::listning) {
      auto e = fhir::EpisodeFromResource(doc, id);
      ASSERT_TRUE(e);
      if (!e->period.end) listing_unit[e->patient_id] = e->unit_id;
    } else if (type == "CareTeam" && id.size() > 5 && id.substr(id.size() - 5) == "-flk2") {
      auto c = fhir::ContactFromResource(doc, id);
      ASSERT_TRUE(c);
      fast_role[c->patient_id] = c->practitioner_role_id;
    } else if (type == "Encounter") {
      const std::string patient = fhir::ReferenceId(doc["subject"], "Patient");
      const std::string unit = fhir::ReferenceId(doc["serviceProvider"], "Organization");
      const std::string role = fhir::ReferenceId(doc["participant"][0]["individual"], "PractitionerRole");
      ++visits;
      ++classes[doc["class"]["code"].GetString()];
      if (listing_unit.count(patient) && listing_unit[patient] != unit) ++elsewhere;
      if (profession[role] == "lakare" && fast_role.count(patient)) {
        ++doctor_like;
        with_fast += fast_role[patient] == role;
      }
    }
  }
  // About 2 visits per person and year over two years (more for the old).
  EXPECT_GT(visits, patients * 3);
  EXPECT_LT(visits, patients * 8);
  EXPECT_GT(classes["AMB"], visits / 2);
  EXPECT_GT(classes["VR"], visits / 10);
  EXPECT_GT(classes["HH"], 0);
  EXPECT_GT(elsewhere, visits / 20);
  EXPECT_LT(elsewhere, visits / 5);
  // Most doctor visits of those who have a fast läkarkontakt are with it.
  EXPECT_GT(with_fast, doctor_like / 2);
  EXPECT_LT(with_fast, doctor_like * 95 / 100);
}

// docs/api.md section 11: hemsjukvård for about 2–3 % of the 65+ at home, at the kommun's hemsjukvård
// unit, most with a SIP on or after the start and the unit's nurse as fast vårdkontakt, some without.
TEST(Synth, HomeCare) {
  const auto lines = Lines(Generate(20000, 11));
  const Date as_of = *Date::FromCivil(2026, 11, 1);
  std::map<std::string, std::string> unit_type;
  std::map<std::string, PatientFacts> patients;
  std::map<std::string, EpisodeFacts> home_care;  // patient → episode in force on as_of
  std::set<std::string> saebo_residents;
  std::map<std::string, std::string> nurse_unit;  // patient → managing unit of a role-1 contact in force
  for (const auto& line : lines) {
    rapidjson::Document doc;
    ASSERT_TRUE(fhir::ParseJsonObject(line, doc));
    const std::string type = doc["resourceType"].GetString();
    const std::string id = doc["id"].GetString();
    if (type == "Organization") {
      unit_type[id] = UnitTypeName(fhir::UnitFromOrganization(doc, id).type);
    } else if (type == "Patient") {
      patients[id] = fhir::PatientFactsFromPatient(doc, id);
    } else if (type == "EpisodeOfCare") {
      auto e = fhir::EpisodeFromResource(doc, id);
      ASSERT_TRUE(e);
      const auto kind = fhir::KindOfEpisode(doc);
      if (kind == fhir::EpisodeKind::saebo && e->ActiveOn(as_of)) saebo_residents.insert(e->patient_id);
      if (kind != fhir::EpisodeKind::hemsjukvard) continue;
      EXPECT_EQ(unit_type[e->unit_id], "hemsjukvard") << id;
      if (e->sip) {
        EXPECT_GE(*e->sip, e->period.start) << id;
      }
      if (e->ActiveOn(as_of)) home_care[e->patient_id] = *e;
    } else if (type == "CareTeam") {
      auto c = fhir::ContactFromResource(doc, id);
      ASSERT_TRUE(c);
      if (c->role == ContactRole::fast_vardkontakt && c->ActiveOn(as_of)) nurse_unit[c->patient_id] = c->managing_unit_id;
    }
  }
  long older = 0, with_sip = 0, with_nurse = 0;
  for (const auto& [id, p] : patients) {
    if (!p.deceased && p.birth_date && AgeOn(*p.birth_date, as_of) >= 65 && !saebo_residents.count(id)) ++older;
  }
  for (const auto& [patient, e] : home_care) {
    EXPECT_FALSE(saebo_residents.count(patient)) << patient << ": home care is for those living at home";
    with_sip += e.sip && *e.sip <= as_of;
    with_nurse += nurse_unit.count(patient) && nurse_unit[patient] == e.unit_id;
  }
  const long n = static_cast<long>(home_care.size());
  EXPECT_GT(n, older * 15 / 1000) << older;
  EXPECT_LT(n, older * 45 / 1000) << older;
  EXPECT_GT(with_sip, n * 70 / 100);
  EXPECT_LT(with_sip, n);
  EXPECT_GT(with_nurse, n * 70 / 100);
  EXPECT_LT(with_nurse, n);
}

TEST(Synth, ArgumentsAreCheckedWithAUsageText) {
  EXPECT_TRUE(ParseSynthArgs({"--people", "10", "--out", "x.ndjson"}));
  EXPECT_FALSE(ParseSynthArgs({"--people", "0", "--out", "x.ndjson"}));
  EXPECT_FALSE(ParseSynthArgs({"--people", "ten", "--out", "x.ndjson"}));
  EXPECT_FALSE(ParseSynthArgs({"--people", "10"}));
  EXPECT_FALSE(ParseSynthArgs({"--people", "10", "--out", "x", "--as-of", "2026-13-01"}));
  auto parsed = ParseSynthArgs({"--people", "10", "--seed", "9", "--as-of", "2025-01-01", "--out", "-"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->seed, 9u);
  EXPECT_EQ(parsed->as_of.ToString(), "2025-01-01");
}

}  // namespace
}  // namespace nara::app
