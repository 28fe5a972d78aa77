#include "fhir/resources/registry_mapping.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "fhir/json/json.h"

namespace nara::fhir {
namespace {

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

Date D(const char* text) {
  auto date = Date::Parse(text);
  EXPECT_TRUE(date.ok()) << text;
  return date.ok() ? *date : Date();
}

const char* const kListing = R"({"resourceType":"EpisodeOfCare","id":"ep-1","status":"active",
    "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],
    "patient":{"reference":"Patient/p-1"},
    "managingOrganization":{"reference":"Organization/vc-1"},
    "period":{"start":"2025-01-01"}})";

// EpisodeOfCare

TEST(RegistryMappingEpisode, KindOfEpisode) {
  EXPECT_EQ(KindOfEpisode(Json(kListing)), EpisodeKind::listning);
  EXPECT_EQ(KindOfEpisode(Json(R"({"type":[{"coding":[{"system":"urn:x","code":"a"},
      {"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"saebo"}]}]})")),
            EpisodeKind::saebo);
  EXPECT_EQ(KindOfEpisode(Json(R"({"type":[{"coding":[{"system":"urn:x","code":"listning"}]}]})")), EpisodeKind::other);
  EXPECT_EQ(KindOfEpisode(Json(R"({"status":"active"})")), EpisodeKind::other);
  EXPECT_EQ(KindOfEpisode(Json(R"({"type":"listning"})")), EpisodeKind::other);
}

TEST(RegistryMappingEpisode, HemsjukvardAndItsSipDate) {
  const std::string home = std::string(R"({"resourceType":"EpisodeOfCare","status":"active",
    "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"hemsjukvard"}]}],
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/sip","valueDate":"2025-03-04"}],
    "patient":{"reference":"Patient/p-1"},"managingOrganization":{"reference":"Organization/hsv-1"},
    "period":{"start":"2025-01-01"}})");
  EXPECT_EQ(KindOfEpisode(Json(home.c_str())), EpisodeKind::hemsjukvard);
  EXPECT_STREQ(EpisodeKindName(EpisodeKind::hemsjukvard), "hemsjukvard");
  EXPECT_STREQ(EpisodeKindName(EpisodeKind::other), "");
  auto facts = EpisodeFromResource(Json(home.c_str()), "hsv-ep");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->sip, D("2025-03-04"));
  EXPECT_EQ(facts->unit_id, "hsv-1");
  auto without = EpisodeFromResource(Json(kListing), "ep-1");
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->sip.has_value());
}

TEST(RegistryMappingEpisode, FactsFromAnOpenListing) {
  auto facts = EpisodeFromResource(Json(kListing), "ep-1");
  ASSERT_TRUE(facts.ok()) << facts.error().text;
  EXPECT_EQ(facts->id, "ep-1");
  EXPECT_EQ(facts->patient_id, "p-1");
  EXPECT_EQ(facts->unit_id, "vc-1");
  EXPECT_EQ(facts->status, EpisodeStatus::active);
  EXPECT_EQ(facts->period.start, D("2025-01-01"));
  EXPECT_FALSE(facts->period.end.has_value());
  EXPECT_TRUE(facts->ActiveOn(D("2030-01-01")));
}

TEST(RegistryMappingEpisode, DateTimesGiveTheirDatePartAndStatusesMap) {
  auto facts = EpisodeFromResource(Json(R"({"status":"finished",
      "patient":{"reference":"https://x.example/fhir/Patient/p-2"},
      "managingOrganization":{"reference":"Organization/s-1/_history/2"},
      "period":{"start":"2025-01-01T23:30:00-05:00","end":"2025-06-01T00:10:00+02:00"}})"),
                                   "ep-2");
  ASSERT_TRUE(facts.ok()) << facts.error().text;
  EXPECT_EQ(facts->patient_id, "p-2");
  EXPECT_EQ(facts->unit_id, "s-1");
  EXPECT_EQ(facts->status, EpisodeStatus::finished);
  EXPECT_EQ(facts->period.start, D("2025-01-01"));  // as written, no zone shift
  ASSERT_TRUE(facts->period.end.has_value());
  EXPECT_EQ(*facts->period.end, D("2025-06-01"));
  EXPECT_TRUE(facts->period.Contains(D("2025-05-31")));
  EXPECT_FALSE(facts->period.Contains(D("2025-06-01")));  // end exclusive

  const std::pair<const char*, EpisodeStatus> statuses[] = {
      {"cancelled", EpisodeStatus::cancelled}, {"entered-in-error", EpisodeStatus::entered_in_error},
      {"planned", EpisodeStatus::active},      {"onhold", EpisodeStatus::other},
      {"active", EpisodeStatus::active}};
  for (const auto& [status, expected] : statuses) {
    rapidjson::Document doc = Json(kListing);
    doc["status"].SetString(rapidjson::StringRef(status));
    auto mapped = EpisodeFromResource(doc, "ep-1");
    ASSERT_TRUE(mapped.ok());
    EXPECT_EQ(mapped->status, expected) << status;
  }
}

TEST(RegistryMappingEpisode, Errors) {
  auto no_patient = EpisodeFromResource(Json(R"({"status":"active","managingOrganization":{"reference":"Organization/o"},
      "period":{"start":"2025-01-01"}})"),
                                        "e");
  ASSERT_FALSE(no_patient.ok());
  EXPECT_EQ(no_patient.error().detail_code, "required");
  EXPECT_EQ(no_patient.error().location, "EpisodeOfCare.patient");

  auto wrong_target = EpisodeFromResource(Json(R"({"patient":{"reference":"Patient/p"},
      "managingOrganization":{"reference":"Practitioner/o"},"period":{"start":"2025-01-01"}})"),
                                          "e");
  ASSERT_FALSE(wrong_target.ok());
  EXPECT_EQ(wrong_target.error().location, "EpisodeOfCare.managingOrganization");

  auto no_start = EpisodeFromResource(Json(R"({"patient":{"reference":"Patient/p"},
      "managingOrganization":{"reference":"Organization/o"},"period":{"end":"2025-01-01"}})"),
                                      "e");
  ASSERT_FALSE(no_start.ok());
  EXPECT_EQ(no_start.error().detail_code, "required");
  EXPECT_EQ(no_start.error().location, "EpisodeOfCare.period.start");

  auto bad_end = EpisodeFromResource(Json(R"({"patient":{"reference":"Patient/p"},
      "managingOrganization":{"reference":"Organization/o"},"period":{"start":"2025-01-01","end":"2025-02-30"}})"),
                                     "e");
  ASSERT_FALSE(bad_end.ok());
  EXPECT_EQ(bad_end.error().kind, ErrorKind::invalid);
  EXPECT_EQ(bad_end.error().detail_code, "value");
  EXPECT_EQ(bad_end.error().location, "EpisodeOfCare.period.end");

  auto partial = EpisodeFromResource(Json(R"({"patient":{"reference":"Patient/p"},
      "managingOrganization":{"reference":"Organization/o"},"period":{"start":"2025-01"}})"),
                                     "e");
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.error().detail_code, "value");
}

// CareTeam

const char* const kCareTeam = R"({"resourceType":"CareTeam","status":"active",
    "category":[{"coding":[{"system":"https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs","code":"fast-kontakt"}]}],
    "subject":{"reference":"Patient/p-1"},
    "participant":[{"role":[{"coding":[{"system":"urn:oid:1.2.752.129.5.1.69","code":"2"}]}],
                    "member":{"reference":"PractitionerRole/r-1"}}],
    "managingOrganization":[{"reference":"Organization/vc-1"}],
    "period":{"start":"2025-02-01","end":"2025-08-01"},
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/begin-reason",
                  "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/begin-reason","code":"patientens-val"}},
                 {"url":"https://fhir.nara-registry.org/StructureDefinition/end-reason","valueString":"flyttat"}]})";

TEST(RegistryMappingContact, Facts) {
  auto facts = ContactFromResource(Json(kCareTeam), "ct-1");
  ASSERT_TRUE(facts.ok()) << facts.error().text;
  EXPECT_EQ(facts->id, "ct-1");
  EXPECT_EQ(facts->patient_id, "p-1");
  EXPECT_EQ(facts->role, ContactRole::fast_lakarkontakt);
  EXPECT_EQ(facts->practitioner_role_id, "r-1");
  EXPECT_EQ(facts->managing_unit_id, "vc-1");
  EXPECT_EQ(facts->status, ContactStatus::active);
  EXPECT_EQ(facts->period.start, D("2025-02-01"));
  ASSERT_TRUE(facts->period.end.has_value());
  EXPECT_EQ(*facts->period.end, D("2025-08-01"));
  EXPECT_EQ(facts->begin_reason, "patientens-val");
  EXPECT_EQ(facts->end_reason, "flyttat");
}

TEST(RegistryMappingContact, RolesStatusesAndOptionalParts) {
  const std::pair<const char*, ContactRole> roles[] = {
      {"1", ContactRole::fast_vardkontakt},
      {"2", ContactRole::fast_lakarkontakt},
      {"3", ContactRole::fast_omsorgskontakt_hemtjanst},
      {"4", ContactRole::fast_vardkontakt_samordning}};
  for (const auto& [code, role] : roles) {
    rapidjson::Document doc = Json(kCareTeam);
    doc["participant"][0]["role"][0]["coding"][0]["code"].SetString(rapidjson::StringRef(code));
    auto facts = ContactFromResource(doc, "ct");
    ASSERT_TRUE(facts.ok());
    EXPECT_EQ(facts->role, role) << code;
  }
  const std::pair<const char*, ContactStatus> statuses[] = {{"inactive", ContactStatus::inactive},
                                                            {"entered-in-error", ContactStatus::entered_in_error},
                                                            {"proposed", ContactStatus::other},
                                                            {"suspended", ContactStatus::other}};
  for (const auto& [status, expected] : statuses) {
    rapidjson::Document doc = Json(kCareTeam);
    doc["status"].SetString(rapidjson::StringRef(status));
    auto facts = ContactFromResource(doc, "ct");
    ASSERT_TRUE(facts.ok());
    EXPECT_EQ(facts->status, expected) << status;
  }
  rapidjson::Document bare = Json(kCareTeam);
  bare.RemoveMember("managingOrganization");
  bare.RemoveMember("extension");
  bare["period"].RemoveMember("end");
  auto facts = ContactFromResource(bare, "ct");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->managing_unit_id, "");
  EXPECT_EQ(facts->begin_reason, "");
  EXPECT_EQ(facts->end_reason, "");
  EXPECT_FALSE(facts->period.end.has_value());
}

TEST(RegistryMappingContact, Errors) {
  rapidjson::Document bad_role = Json(kCareTeam);
  bad_role["participant"][0]["role"][0]["coding"][0]["code"].SetString("9");
  auto role = ContactFromResource(bad_role, "ct");
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error().detail_code, "value");
  EXPECT_EQ(role.error().location, "CareTeam.participant[0].role");

  rapidjson::Document no_member = Json(kCareTeam);
  no_member["participant"][0].RemoveMember("member");
  auto member = ContactFromResource(no_member, "ct");
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.error().location, "CareTeam.participant[0].member");

  rapidjson::Document no_subject = Json(kCareTeam);
  no_subject.RemoveMember("subject");
  EXPECT_FALSE(ContactFromResource(no_subject, "ct").ok());

  rapidjson::Document bad_start = Json(kCareTeam);
  bad_start["period"]["start"].SetString("yesterday");
  auto start = ContactFromResource(bad_start, "ct");
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.error().detail_code, "value");
  EXPECT_EQ(start.error().location, "CareTeam.period.start");
}

TEST(RegistryMappingContact, IsFixedContactCareTeam) {
  EXPECT_TRUE(IsFixedContactCareTeam(Json(kCareTeam)));
  EXPECT_TRUE(IsFixedContactCareTeam(Json(R"({"category":[{"coding":[
      {"system":"https://fhir.nara-registry.org/CodeSystem/careteam-category","code":"fast-kontakt"}]}]})")));
  EXPECT_FALSE(IsFixedContactCareTeam(Json(R"({"category":[{"coding":[{"system":"urn:x","code":"fast-kontakt"}]}]})")));
  EXPECT_FALSE(IsFixedContactCareTeam(Json(R"({"status":"active"})")));
}

// Organization, PractitionerRole

TEST(RegistryMappingUnit, Facts) {
  UnitFacts unit = UnitFromOrganization(Json(R"({"resourceType":"Organization","name":"VC Öst",
      "identifier":[{"system":"urn:x","value":"other"},{"system":"urn:oid:1.2.752.129.2.1.4.1","value":"SE2321000016-1234"}],
      "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/organization-type","code":"vardcentral"}]}],
      "partOf":{"reference":"Organization/region-1"},
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
                    "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"0180"}},
                   {"url":"https://fhir.nara-registry.org/StructureDefinition/serves-saebo",
                    "valueReference":{"reference":"Organization/saebo-1"}},
                   {"url":"https://fhir.nara-registry.org/StructureDefinition/serves-saebo",
                    "valueReference":{"reference":"Organization/saebo-2"}}]})"),
                                       "vc-1");
  EXPECT_EQ(unit.id, "vc-1");
  EXPECT_EQ(unit.hsa_id, "SE2321000016-1234");  // an alias system counts as the HSA-id
  EXPECT_EQ(unit.name, "VC Öst");
  EXPECT_EQ(unit.type, UnitType::vardcentral);
  EXPECT_EQ(unit.part_of, "region-1");
  EXPECT_EQ(unit.kommun, "0180");
  EXPECT_EQ(unit.serves_saebo, (std::vector<std::string>{"saebo-1", "saebo-2"}));
  EXPECT_TRUE(unit.active);

  const std::pair<const char*, UnitType> types[] = {
      {"region", UnitType::region}, {"kommun", UnitType::kommun}, {"saebo", UnitType::saebo},
      {"hemsjukvard", UnitType::hemsjukvard}, {"specialistmottagning", UnitType::specialistmottagning},
      {"apotek", UnitType::other}};
  for (const auto& [code, type] : types) {
    rapidjson::Document doc = Json(R"({"active":false,"type":[{"coding":[
        {"system":"https://fhir.nara-registry.org/CodeSystem/organization-type","code":"x"}]}]})");
    doc["type"][0]["coding"][0]["code"].SetString(rapidjson::StringRef(code));
    UnitFacts facts = UnitFromOrganization(doc, "u");
    EXPECT_EQ(facts.type, type) << code;
    EXPECT_FALSE(facts.active);
    EXPECT_TRUE(facts.serves_saebo.empty());
    EXPECT_EQ(facts.kommun, "");
  }
}

TEST(RegistryMappingRole, FactsAndCapacityDefaults) {
  const char* const base = R"({"resourceType":"PractitionerRole",
      "practitioner":{"reference":"Practitioner/pr-1"},"organization":{"reference":"Organization/vc-1"},
      "code":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/profession","code":"lakare"}]}]})";
  RoleFacts role = RoleFromPractitionerRole(Json(base), "r-1");
  EXPECT_EQ(role.id, "r-1");
  EXPECT_EQ(role.practitioner_id, "pr-1");
  EXPECT_EQ(role.unit_id, "vc-1");
  EXPECT_EQ(role.profession, "lakare");
  EXPECT_TRUE(role.active);
  EXPECT_DOUBLE_EQ(role.fte, 1.0);  // default fte 1
  EXPECT_EQ(role.capacity, 1100);   // default round(1100 × 1)

  rapidjson::Document part_time = Json(base);
  part_time.AddMember("active", false, part_time.GetAllocator());
  rapidjson::Document ext = Json(R"([{"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.75}])");
  part_time.AddMember("extension", rapidjson::Value(ext, part_time.GetAllocator()), part_time.GetAllocator());
  RoleFacts half = RoleFromPractitionerRole(part_time, "r-2");
  EXPECT_FALSE(half.active);
  EXPECT_DOUBLE_EQ(half.fte, 0.75);
  EXPECT_EQ(half.capacity, 825);  // round(1100 × 0.75)

  rapidjson::Document odd = Json(base);
  rapidjson::Document odd_ext = Json(R"([{"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.3333}])");
  odd.AddMember("extension", rapidjson::Value(odd_ext, odd.GetAllocator()), odd.GetAllocator());
  EXPECT_EQ(RoleFromPractitionerRole(odd, "r").capacity, 367);  // 366.63 rounded

  rapidjson::Document explicit_capacity = Json(base);
  rapidjson::Document cap_ext = Json(R"([
      {"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5},
      {"url":"https://fhir.nara-registry.org/StructureDefinition/list-capacity","valueInteger":900}])");
  explicit_capacity.AddMember("extension", rapidjson::Value(cap_ext, explicit_capacity.GetAllocator()),
                              explicit_capacity.GetAllocator());
  RoleFacts given = RoleFromPractitionerRole(explicit_capacity, "r-3");
  EXPECT_DOUBLE_EQ(given.fte, 0.5);
  EXPECT_EQ(given.capacity, 900);  // list-capacity wins over the default

  RoleFacts other = RoleFromPractitionerRole(
      Json(R"({"code":[{"coding":[{"system":"urn:x","code":"lakare"},
          {"system":"https://fhir.nara-registry.org/CodeSystem/profession","code":"sjukskoterska"}]}]})"),
      "r-4");
  EXPECT_EQ(other.profession, "sjukskoterska");
  EXPECT_EQ(other.unit_id, "");
}

// Patient

TEST(RegistryMappingPatient, FactsFromACurrentHomeAddress) {
  PatientFacts p = PatientFactsFromPatient(Json(R"({"resourceType":"Patient","gender":"female","birthDate":"1971-06-25",
      "address":[
        {"use":"home","period":{"end":"2020-01-01"},"extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
            "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"1480"}}]},
        {"use":"work","extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
            "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"0180"}}]},
        {"use":"home","period":{"start":"2020-01-01"},"extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
            "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"1280"}}]}]})"),
                                           "p-1");
  EXPECT_EQ(p.id, "p-1");
  EXPECT_EQ(p.gender, "female");
  ASSERT_TRUE(p.birth_date.has_value());
  EXPECT_EQ(*p.birth_date, D("1971-06-25"));
  EXPECT_FALSE(p.deceased.has_value());
  EXPECT_EQ(p.kommun, "1280");  // current (no past end), and home preferred over work
}

TEST(RegistryMappingPatient, CurrentAddressWithoutUse) {
  PatientFacts p = PatientFactsFromPatient(Json(R"({"address":[
        {"use":"old","extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
            "valueCoding":{"code":"1480"}}]},
        {"period":{"end":"2999-01-01"},"extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
            "valueCoding":{"code":"0180"}}]}]})"),
                                           "p");
  EXPECT_EQ(p.kommun, "0180");
  EXPECT_FALSE(p.birth_date.has_value());
  EXPECT_EQ(PatientFactsFromPatient(Json(R"({"address":[{"city":"Umeå"}]})"), "p").kommun, "");
}

TEST(RegistryMappingPatient, BirthDateFromThePersonnummerWhenMissing) {
  // As Navet: the personnummer (or samordningsnummer, day - 60) gives the birth date.
  PatientFacts pnr = PatientFactsFromPatient(Json(R"({"identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}]})"), "p");
  ASSERT_TRUE(pnr.birth_date.has_value());
  EXPECT_EQ(*pnr.birth_date, D("1971-06-25"));
  PatientFacts samordning = PatientFactsFromPatient(Json(R"({"identifier":[
      {"system":"http://electronichealth.se/identifier/samordningsnummer","value":"196109732393"}]})"), "p");
  ASSERT_TRUE(samordning.birth_date.has_value());
  EXPECT_EQ(*samordning.birth_date, D("1961-09-13"));
  // A birthDate written wins; a reservnummer carries no date.
  PatientFacts written = PatientFactsFromPatient(Json(R"({"birthDate":"1971-06-24","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}]})"), "p");
  EXPECT_EQ(*written.birth_date, D("1971-06-24"));
  PatientFacts reserv = PatientFactsFromPatient(Json(R"({"identifier":[
      {"system":"http://electronichealth.se/identifier/nationelltReservnummer","value":"X123"}]})"), "p");
  EXPECT_FALSE(reserv.birth_date.has_value());
}

TEST(RegistryMappingPatient, Death) {
  PatientFacts dated = PatientFactsFromPatient(Json(R"({"deceasedDateTime":"2025-03-01T23:30:00+01:00"})"), "p");
  ASSERT_TRUE(dated.deceased.has_value());
  EXPECT_EQ(*dated.deceased, D("2025-03-01"));  // the date part as written

  PatientFacts day = PatientFactsFromPatient(Json(R"({"deceasedDateTime":"2025-03-02"})"), "p");
  ASSERT_TRUE(day.deceased.has_value());
  EXPECT_EQ(*day.deceased, D("2025-03-02"));

  PatientFacts month = PatientFactsFromPatient(Json(R"({"deceasedDateTime":"2025-03","birthDate":"1940"})"), "p");
  ASSERT_TRUE(month.deceased.has_value());
  EXPECT_EQ(*month.deceased, D("2025-03-01"));
  ASSERT_TRUE(month.birth_date.has_value());
  EXPECT_EQ(*month.birth_date, D("1940-01-01"));

  const Date before = Date::Today();
  PatientFacts flagged = PatientFactsFromPatient(Json(R"({"deceasedBoolean":true})"), "p");
  ASSERT_TRUE(flagged.deceased.has_value());
  EXPECT_GE(*flagged.deceased, before);
  EXPECT_LE(*flagged.deceased, Date::Today());

  EXPECT_FALSE(PatientFactsFromPatient(Json(R"({"deceasedBoolean":false})"), "p").deceased.has_value());
}

// plans applied

TEST(RegistryMappingApply, FinishEpisode) {
  rapidjson::Document doc = Json(kListing);
  FinishEpisode(doc, D("2025-06-01"), D("2025-06-01"));
  EXPECT_EQ(ToJson(doc), ToJson(Json(R"({"resourceType":"EpisodeOfCare","id":"ep-1","status":"finished",
    "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],
    "patient":{"reference":"Patient/p-1"},
    "managingOrganization":{"reference":"Organization/vc-1"},
    "period":{"start":"2025-01-01","end":"2025-06-01"}})")));
  auto facts = EpisodeFromResource(doc, "ep-1");
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->status, EpisodeStatus::finished);
  EXPECT_EQ(*facts->period.end, D("2025-06-01"));

  // An existing end is replaced; a missing period is created.
  FinishEpisode(doc, D("2025-05-01"), D("2025-06-01"));
  EXPECT_STREQ(doc["period"]["end"].GetString(), "2025-05-01");
  rapidjson::Document bare = Json(R"({"status":"active"})");
  FinishEpisode(bare, D("2025-01-02"), D("2025-06-01"));
  EXPECT_EQ(ToJson(bare), R"({"status":"finished","period":{"end":"2025-01-02"}})");
}

TEST(RegistryMappingApply, AnEndNotYetReachedLeavesTheStatus) {
  // The period decides: an end dated after today sets period.end and leaves the episode or contact
  // active until then.
  rapidjson::Document episode = Json(R"({"status":"active","period":{"start":"2025-01-01"}})");
  FinishEpisode(episode, D("2025-06-02"), D("2025-06-01"));
  EXPECT_EQ(ToJson(episode), R"({"status":"active","period":{"start":"2025-01-01","end":"2025-06-02"}})");
  rapidjson::Document careteam = Json(R"({"status":"active","period":{"start":"2025-02-01"}})");
  EndContact(careteam, D("2025-06-02"), "", D("2025-06-01"));
  EXPECT_EQ(ToJson(careteam), R"({"status":"active","period":{"start":"2025-02-01","end":"2025-06-02"}})");
  rapidjson::Document planned = Json(R"({"status":"active","period":{"start":"2025-07-01"}})");
  CancelEpisode(planned);
  EXPECT_EQ(ToJson(planned), R"({"status":"cancelled","period":{"start":"2025-07-01"}})");
}

TEST(RegistryMappingApply, EndContact) {
  rapidjson::Document doc = Json(R"({"resourceType":"CareTeam","status":"active","period":{"start":"2025-02-01"},
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/begin-reason","valueString":"val"},
                   {"url":"https://fhir.nara-registry.org/StructureDefinition/end-reason","valueString":"gammalt"}]})");
  EndContact(doc, D("2025-09-01"), "listning-byte", D("2025-09-01"));
  EXPECT_EQ(ToJson(doc),
            ToJson(Json(R"({"resourceType":"CareTeam","status":"inactive","period":{"start":"2025-02-01","end":"2025-09-01"},
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/begin-reason","valueString":"val"},
                   {"url":"https://fhir.nara-registry.org/StructureDefinition/end-reason",
                    "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/end-reason","code":"listning-byte"}}]})")));

  rapidjson::Document plain = Json(R"({"status":"active","period":{"start":"2025-02-01"}})");
  EndContact(plain, D("2025-03-01"), "avliden", D("2025-06-01"));
  EXPECT_EQ(ToJson(plain), ToJson(Json(R"({"status":"inactive","period":{"start":"2025-02-01","end":"2025-03-01"},
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/end-reason",
                    "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/end-reason","code":"avliden"}}]})")));

  rapidjson::Document no_reason = Json(R"({"status":"active","period":{"start":"2025-02-01"}})");
  EndContact(no_reason, D("2025-03-01"), "", D("2025-06-01"));
  EXPECT_EQ(ToJson(no_reason), R"({"status":"inactive","period":{"start":"2025-02-01","end":"2025-03-01"}})");
}

TEST(RegistryMappingApply, SetGeneralPractitioner) {
  rapidjson::Document doc = Json(R"({"resourceType":"Patient","generalPractitioner":[{"reference":"Organization/old"}],
      "gender":"male"})");
  SetGeneralPractitioner(doc, "vc-1", "r-1");
  EXPECT_EQ(ToJson(doc), R"({"resourceType":"Patient","generalPractitioner":[{"reference":"Organization/vc-1"},)"
                         R"({"reference":"PractitionerRole/r-1"}],"gender":"male"})");
  SetGeneralPractitioner(doc, "", "r-2");
  EXPECT_EQ(ToJson(doc),
            R"({"resourceType":"Patient","generalPractitioner":[{"reference":"PractitionerRole/r-2"}],"gender":"male"})");
  SetGeneralPractitioner(doc, "vc-2", "");
  EXPECT_EQ(ToJson(doc),
            R"({"resourceType":"Patient","generalPractitioner":[{"reference":"Organization/vc-2"}],"gender":"male"})");
  SetGeneralPractitioner(doc, "", "");
  EXPECT_EQ(ToJson(doc), R"({"resourceType":"Patient","gender":"male"})");
  SetGeneralPractitioner(doc, "", "");
  EXPECT_EQ(ToJson(doc), R"({"resourceType":"Patient","gender":"male"})");
  SetGeneralPractitioner(doc, "vc-3", "r-3");
  EXPECT_EQ(ToJson(doc), R"({"resourceType":"Patient","gender":"male","generalPractitioner":[)"
                         R"({"reference":"Organization/vc-3"},{"reference":"PractitionerRole/r-3"}]})");
}

}  // namespace
}  // namespace nara::fhir
