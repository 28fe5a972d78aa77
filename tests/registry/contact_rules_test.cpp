// docs/api.md §4 rules 2, 3, 4 and 6: PlanContact.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "registry/rules.h"

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

RoleFacts Role(std::string id, std::string unit, std::string profession = "lakare", int capacity = 1100) {
  RoleFacts r;
  r.id = std::move(id);
  r.practitioner_id = "pr-" + r.id;
  r.unit_id = std::move(unit);
  r.profession = std::move(profession);
  r.capacity = capacity;
  return r;
}

RoleLoad Load(std::string id, int capacity, int listed) {
  return RoleLoad{Role(std::move(id), "vc-1", "lakare", capacity), listed};
}

EpisodeFacts Episode(std::string id, std::string unit, Date start, std::optional<Date> end = std::nullopt) {
  EpisodeFacts e;
  e.id = std::move(id);
  e.patient_id = "pat-1";
  e.unit_id = std::move(unit);
  e.period = {start, end};
  return e;
}

ContactFacts Contact(std::string id, ContactRole role, std::string role_id, std::string unit, Date start,
                     std::optional<Date> end = std::nullopt, ContactStatus status = ContactStatus::active) {
  ContactFacts c;
  c.id = std::move(id);
  c.patient_id = "pat-1";
  c.role = role;
  c.practitioner_role_id = std::move(role_id);
  c.managing_unit_id = std::move(unit);
  c.status = status;
  c.period = {start, end};
  return c;
}

const Date kToday = D(2024, 3, 1);

// A patient listed at vc-1 since 2020; the doctor's role dr-1 works there with free places.
ContactContext Context() {
  ContactContext c;
  c.patient.id = "pat-1";
  c.role = Role("dr-1", "vc-1");
  UnitFacts unit;
  unit.id = "vc-1";
  unit.type = UnitType::vardcentral;
  c.role_unit = unit;
  c.listings = {Episode("list-1", "vc-1", D(2020, 1, 1))};
  c.listed_on_role = 10;
  c.today = kToday;
  return c;
}

// Managed, as rule 2 requires, by the doctor's own unit.
ContactFacts NewDoctor(Date start = kToday, std::string unit = "vc-1") {
  return Contact("ct-new", ContactRole::fast_lakarkontakt, "dr-1", std::move(unit), start);
}

const std::optional<ContactFacts> kNew;  // no previous version: a create

void ExpectRule(const Result<ContactPlan>& r, const char* code) {
  ASSERT_FALSE(r.ok()) << "accepted; expected " << code;
  EXPECT_EQ(r.error().kind, ErrorKind::business_rule);
  EXPECT_EQ(r.error().detail_code, code) << r.error().text;
  EXPECT_NE(r.error().text.find('('), std::string::npos) << "no English gloss: " << r.error().text;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Ending and the general checks

TEST(PlanContact, DoctorAtTheListingUnitIsAccepted) {
  auto r = PlanContact(NewDoctor(), kNew, Context());
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->warnings.empty());
}

TEST(PlanContact, EndingAContactIsAlwaysAllowed) {
  auto ctx = Context();
  ctx.role.reset();
  ctx.listings.clear();
  ctx.patient.deceased = D(2020, 1, 1);
  ctx.listed_on_role = 5000;
  ctx.contacts = {Contact("other", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2020, 1, 1))};
  for (ContactStatus status : {ContactStatus::inactive, ContactStatus::entered_in_error}) {
    auto proposed = NewDoctor();
    proposed.status = status;
    auto r = PlanContact(proposed, NewDoctor(), ctx);
    ASSERT_TRUE(r.ok()) << r.error().text;
    EXPECT_TRUE(r->warnings.empty());
  }
}

TEST(PlanContact, ContactStartingOnTheDateOfDeathIsRefused) {
  auto ctx = Context();
  ctx.patient.deceased = kToday;
  ExpectRule(PlanContact(NewDoctor(), kNew, ctx), rule_codes::kDeceased);
  auto nurse = Contact("ct-n", ContactRole::fast_vardkontakt, "dr-1", "vc-1", D(2024, 4, 1));
  ExpectRule(PlanContact(nurse, kNew, ctx), rule_codes::kDeceased);
}

TEST(PlanContact, ContactStartingBeforeDeathIsNotRefusedForDeath) {
  auto ctx = Context();
  ctx.patient.deceased = kToday.AddDays(1);
  EXPECT_TRUE(PlanContact(NewDoctor(), kNew, ctx).ok());
}

TEST(PlanContact, UnknownRoleIsAnUnknownReference) {
  auto ctx = Context();
  ctx.role.reset();
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kUnknownReference);
  EXPECT_TRUE(Contains(r.error().text, "PractitionerRole/dr-1")) << r.error().text;
}

TEST(PlanContact, InactiveRoleIsRefusedForEveryKindOfContact) {
  auto ctx = Context();
  ctx.role->active = false;
  ExpectRule(PlanContact(NewDoctor(), kNew, ctx), rule_codes::kRoleInactive);
  for (ContactRole role : {ContactRole::fast_vardkontakt, ContactRole::fast_omsorgskontakt_hemtjanst,
                           ContactRole::fast_vardkontakt_samordning}) {
    ExpectRule(PlanContact(Contact("ct-n", role, "dr-1", "vc-1", kToday), kNew, ctx), rule_codes::kRoleInactive);
  }
}

// Rule 2: fast läkarkontakt

TEST(PlanContact, FastLakarkontaktMustBeADoctor) {
  auto ctx = Context();
  ctx.role->profession = "sjukskoterska";
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kNotADoctor);
  EXPECT_TRUE(Contains(r.error().text, "fast vårdkontakt")) << r.error().text;  // tells what to do instead
}

TEST(PlanContact, SecondFastLakarkontaktIsRefusedUntilTheFirstIsEnded) {
  auto ctx = Context();
  ctx.contacts = {Contact("ct-old", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2021, 1, 1))};
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kAlreadyHasDoctor);
  EXPECT_TRUE(Contains(r.error().text, "CareTeam/ct-old")) << r.error().text;
  EXPECT_TRUE(Contains(r.error().text, "Avsluta den först")) << r.error().text;
}

TEST(PlanContact, FastLakarkontaktActiveTodayBlocksOneStartingLater) {
  auto ctx = Context();
  ctx.contacts = {Contact("ct-old", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2021, 1, 1), D(2024, 6, 1))};
  ExpectRule(PlanContact(NewDoctor(D(2024, 7, 1)), kNew, ctx), rule_codes::kAlreadyHasDoctor);
}

TEST(PlanContact, FastLakarkontaktOverlappingTheProposedPeriodBlocksIt) {
  auto ctx = Context();
  ctx.contacts = {Contact("ct-future", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2024, 6, 1))};
  ExpectRule(PlanContact(NewDoctor(), kNew, ctx), rule_codes::kAlreadyHasDoctor);
}

TEST(PlanContact, FastLakarkontaktEndedOnTheNewStartDoesNotBlock) {
  auto ctx = Context();
  ctx.today = D(2024, 5, 1);
  ctx.contacts = {Contact("ct-old", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2021, 1, 1), kToday)};
  EXPECT_TRUE(PlanContact(NewDoctor(kToday), kNew, ctx).ok());
}

TEST(PlanContact, EndedOrOtherKindsOfContactDoNotBlockAFastLakarkontakt) {
  auto ctx = Context();
  ctx.contacts = {
      Contact("ct-inactive", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2021, 1, 1), std::nullopt,
              ContactStatus::inactive),
      Contact("ct-error", ContactRole::fast_lakarkontakt, "dr-2", "vc-1", D(2021, 1, 1), std::nullopt,
              ContactStatus::entered_in_error),
      Contact("ct-nurse", ContactRole::fast_vardkontakt, "ssk-1", "vc-1", D(2021, 1, 1)),
  };
  EXPECT_TRUE(PlanContact(NewDoctor(), kNew, ctx).ok());
}

TEST(PlanContact, DoctorAtAnotherUnitThanTheListingIsRefused) {
  auto ctx = Context();
  ctx.role = Role("dr-1", "vc-2");
  auto r = PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx);
  ExpectRule(r, rule_codes::kWrongUnit);
  EXPECT_TRUE(Contains(r.error().text, "Organization/vc-1")) << r.error().text;  // where the patient is listed
}

TEST(PlanContact, FastLakarkontaktIsManagedByTheDoctorsOwnUnit) {
  // Listed at vc-1 with a vc-1 doctor, but managed by vc-3: refused, or a change of listing could
  // not find the contact to end it.
  auto r = PlanContact(NewDoctor(kToday, "vc-3"), kNew, Context());
  ExpectRule(r, rule_codes::kWrongUnit);
  EXPECT_TRUE(Contains(r.error().text, "Organization/vc-1")) << r.error().text;
  ExpectRule(PlanContact(NewDoctor(kToday, ""), kNew, Context()), rule_codes::kWrongUnit);
}

TEST(PlanContact, UnlistedPatientCannotGetAFastLakarkontakt) {
  auto ctx = Context();
  ctx.listings.clear();
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kWrongUnit);
  EXPECT_TRUE(Contains(r.error().text, "inte listad")) << r.error().text;
}

TEST(PlanContact, UnitIsJudgedByTheListingOnTheContactsStartDate) {
  // Listed at vc-1 until 2024-06-01, at vc-2 from then: a vc-1 doctor may start before, not after.
  auto ctx = Context();
  ctx.listings = {Episode("list-1", "vc-1", D(2020, 1, 1), D(2024, 6, 1)), Episode("list-2", "vc-2", D(2024, 6, 1))};
  EXPECT_TRUE(PlanContact(NewDoctor(D(2024, 5, 31)), kNew, ctx).ok());
  ExpectRule(PlanContact(NewDoctor(D(2024, 6, 1)), kNew, ctx), rule_codes::kWrongUnit);
}

TEST(PlanContact, SaeboResidentMayHaveADoctorFromAVardcentralServingTheSaebo) {
  auto ctx = Context();
  ctx.role = Role("dr-1", "vc-2");
  ctx.role_unit->id = "vc-2";
  ctx.role_unit->serves_saebo = {"saebo-x", "saebo-y"};
  ctx.residencies = {Episode("res-1", "saebo-y", D(2023, 1, 1))};
  EXPECT_TRUE(PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx).ok());
  ctx.listings.clear();  // also when not listed at all
  EXPECT_TRUE(PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx).ok());
}

TEST(PlanContact, SaeboNotServedByTheDoctorsUnitIsRefused) {
  auto ctx = Context();
  ctx.role = Role("dr-1", "vc-2");
  ctx.role_unit->id = "vc-2";
  ctx.role_unit->serves_saebo = {"saebo-x"};
  ctx.residencies = {Episode("res-1", "saebo-z", D(2023, 1, 1))};
  ExpectRule(PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx), rule_codes::kWrongUnit);
}

TEST(PlanContact, FormerSaeboResidencyDoesNotQualify) {
  auto ctx = Context();
  ctx.role = Role("dr-1", "vc-2");
  ctx.role_unit->id = "vc-2";
  ctx.role_unit->serves_saebo = {"saebo-x"};
  ctx.residencies = {Episode("res-1", "saebo-x", D(2020, 1, 1), D(2024, 1, 1))};
  ExpectRule(PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx), rule_codes::kWrongUnit);
}

// Rule 3: capacity

TEST(PlanContact, RoleWithOneFreePlaceAcceptsTheContact) {
  auto ctx = Context();
  ctx.role->capacity = 550;
  ctx.listed_on_role = 549;
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->warnings.empty());
}

TEST(PlanContact, RoleExactlyFullRefusesTheContact) {
  auto ctx = Context();
  ctx.role->capacity = 550;
  ctx.listed_on_role = 550;
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  EXPECT_TRUE(Contains(r.error().text, "PractitionerRole/dr-1 är full (550 av 550 platser)")) << r.error().text;
}

TEST(PlanContact, OverfullRoleRefusesTheContact) {
  // Capacity lowered below the current list: no new places until it drops under the new capacity.
  auto ctx = Context();
  ctx.role->capacity = 500;
  ctx.listed_on_role = 550;
  ExpectRule(PlanContact(NewDoctor(), kNew, ctx), rule_codes::kListFull);
}

TEST(PlanContact, FullListNamesColleaguesWithFreePlacesMostFreeFirst) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.colleagues = {Load("dr-a", 1100, 1090), Load("dr-full", 1100, 1100), Load("dr-b", 1100, 600),
                    Load("dr-c", 550, 549)};
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  const std::string& text = r.error().text;
  const size_t b = text.find("PractitionerRole/dr-b: 500 lediga platser");
  const size_t a = text.find("PractitionerRole/dr-a: 10 lediga platser");
  const size_t c = text.find("PractitionerRole/dr-c: 1 ledig plats");
  ASSERT_NE(b, std::string::npos) << text;
  ASSERT_NE(a, std::string::npos) << text;
  ASSERT_NE(c, std::string::npos) << text;
  EXPECT_LT(b, a);
  EXPECT_LT(a, c);
  EXPECT_FALSE(Contains(text, "dr-full")) << text;
}

TEST(PlanContact, RefusalsNameDoctorsAndUnitsKeepingTheReferences) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.colleagues = {Load("dr-b", 1100, 600)};
  ctx.role_names = {{"dr-1", "Anna Berg"}, {"dr-b", "Lars Lindqvist"}};
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  EXPECT_TRUE(Contains(r.error().text, "Listan för Anna Berg (PractitionerRole/dr-1) är full")) << r.error().text;
  EXPECT_TRUE(Contains(r.error().text, "Lars Lindqvist (PractitionerRole/dr-b): 500 lediga platser")) << r.error().text;
}

TEST(PlanContact, FullListNamesAtMostFiveColleagues) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  for (int i = 1; i <= 8; ++i) {
    ctx.colleagues.push_back(Load("col-" + std::to_string(i), 1100, 1100 - i * 10));  // col-8 has most free
  }
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  const std::string& text = r.error().text;
  for (int i = 4; i <= 8; ++i) EXPECT_TRUE(Contains(text, "PractitionerRole/col-" + std::to_string(i) + ":")) << i;
  for (int i = 1; i <= 3; ++i) EXPECT_FALSE(Contains(text, "PractitionerRole/col-" + std::to_string(i) + ":")) << i;
  EXPECT_LT(text.find("col-8"), text.find("col-4"));
}

TEST(PlanContact, ColleaguesWithEqualFreePlacesAreListedById) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.colleagues = {Load("dr-z", 1100, 1000), Load("dr-m", 1100, 1000)};
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  EXPECT_LT(r.error().text.find("dr-m"), r.error().text.find("dr-z")) << r.error().text;
}

TEST(PlanContact, FullListWithNoFreeColleagueSaysSo) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.colleagues = {Load("dr-a", 1100, 1100), Load("dr-b", 500, 501)};
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  EXPECT_TRUE(Contains(r.error().text, "Ingen annan läkare vid enheten har lediga platser")) << r.error().text;
  EXPECT_FALSE(Contains(r.error().text, "dr-a")) << r.error().text;
}

TEST(PlanContact, InactiveColleaguesAreNotOffered) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.colleagues = {Load("dr-gone", 1100, 0)};
  ctx.colleagues[0].role.active = false;
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ExpectRule(r, rule_codes::kListFull);
  EXPECT_FALSE(Contains(r.error().text, "dr-gone")) << r.error().text;
}

TEST(PlanContact, WarnModeAcceptsAFullListWithAWarning) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  ctx.capacity_warn_only = true;
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_TRUE(Contains(r->warnings[0], "PractitionerRole/dr-1")) << r->warnings[0];
  EXPECT_TRUE(Contains(r->warnings[0], "capacity.mode = warn")) << r->warnings[0];
}

TEST(PlanContact, WarnModeGivesNoWarningWhenThereIsRoom) {
  auto ctx = Context();
  ctx.listed_on_role = 1099;
  ctx.capacity_warn_only = true;
  auto r = PlanContact(NewDoctor(), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->warnings.empty());
}

TEST(PlanContact, UpdateOfACountedContactIsNotRefusedForAFullList) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  auto previous = NewDoctor(D(2023, 1, 1));
  auto proposed = previous;
  proposed.period.end = D(2024, 12, 31);
  proposed.end_reason = "flyttat";
  auto r = PlanContact(proposed, previous, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->warnings.empty());
}

TEST(PlanContact, MovingAContactToAFullRoleIsRefused) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  auto previous = Contact("ct-new", ContactRole::fast_lakarkontakt, "dr-other", "vc-1", D(2023, 1, 1));
  ExpectRule(PlanContact(NewDoctor(D(2023, 1, 1)), previous, ctx), rule_codes::kListFull);
}

TEST(PlanContact, ReactivatingAContactOnAFullRoleIsRefused) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  auto previous = NewDoctor(D(2023, 1, 1));
  previous.status = ContactStatus::inactive;
  ExpectRule(PlanContact(NewDoctor(D(2023, 1, 1)), previous, ctx), rule_codes::kListFull);
}

TEST(PlanContact, TurningAVardkontaktIntoALakarkontaktOnAFullRoleIsRefused) {
  auto ctx = Context();
  ctx.listed_on_role = 1100;
  auto previous = Contact("ct-new", ContactRole::fast_vardkontakt, "dr-1", "vc-1", D(2023, 1, 1));
  ExpectRule(PlanContact(NewDoctor(D(2023, 1, 1)), previous, ctx), rule_codes::kListFull);
}

TEST(PlanContact, CapacityDoesNotLimitFastVardkontakt) {
  auto ctx = Context();
  ctx.listed_on_role = 5000;
  auto nurse = Contact("ct-n", ContactRole::fast_vardkontakt, "dr-1", "vc-1", kToday);
  auto r = PlanContact(nurse, kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->warnings.empty());
}

// Rule 4: fast vårdkontakt (roles 1, 3, 4)

ContactContext NurseContext() {
  auto ctx = Context();
  ctx.role = Role("ssk-1", "hsv-1", "sjukskoterska");
  ctx.listings.clear();  // no listing needed
  return ctx;
}

TEST(PlanContact, FastVardkontaktMayBeAnyLicensedRole) {
  auto ctx = NurseContext();
  for (const char* profession : {"sjukskoterska", "fysioterapeut", "arbetsterapeut", "lakare"}) {
    ctx.role->profession = profession;
    for (ContactRole role : {ContactRole::fast_vardkontakt, ContactRole::fast_omsorgskontakt_hemtjanst,
                             ContactRole::fast_vardkontakt_samordning}) {
      auto r = PlanContact(Contact("ct-n", role, "ssk-1", "hsv-1", kToday), kNew, ctx);
      EXPECT_TRUE(r.ok()) << profession << ": " << r.error().text;
    }
  }
}

TEST(PlanContact, FastVardkontaktNeedsARoleWithAProfession) {
  auto ctx = NurseContext();
  ctx.role->profession.clear();
  ExpectRule(PlanContact(Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", kToday), kNew, ctx),
             rule_codes::kRoleInactive);
}

TEST(PlanContact, SecondFastVardkontaktAtTheSameOrganizationIsRefused) {
  auto ctx = NurseContext();
  ctx.contacts = {Contact("ct-old", ContactRole::fast_vardkontakt_samordning, "ssk-2", "hsv-1", D(2023, 1, 1))};
  auto r = PlanContact(Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", kToday), kNew, ctx);
  ExpectRule(r, rule_codes::kContactExists);
  EXPECT_TRUE(Contains(r.error().text, "CareTeam/ct-old")) << r.error().text;
}

TEST(PlanContact, FastVardkontaktAtAnotherOrganizationIsAccepted) {
  auto ctx = NurseContext();
  ctx.contacts = {Contact("ct-old", ContactRole::fast_omsorgskontakt_hemtjanst, "ssk-2", "hemtjanst-1",
                          D(2023, 1, 1))};
  EXPECT_TRUE(
      PlanContact(Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", kToday), kNew, ctx).ok());
}

TEST(PlanContact, FastLakarkontaktAtTheSameOrganizationDoesNotBlockAFastVardkontakt) {
  auto ctx = NurseContext();
  ctx.contacts = {Contact("ct-doc", ContactRole::fast_lakarkontakt, "dr-1", "hsv-1", D(2023, 1, 1))};
  EXPECT_TRUE(
      PlanContact(Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", kToday), kNew, ctx).ok());
}

TEST(PlanContact, EndedFastVardkontaktAtTheSameOrganizationDoesNotBlock) {
  auto ctx = NurseContext();
  ctx.contacts = {
      Contact("ct-ended", ContactRole::fast_vardkontakt, "ssk-2", "hsv-1", D(2023, 1, 1), kToday),
      Contact("ct-inactive", ContactRole::fast_vardkontakt, "ssk-2", "hsv-1", D(2023, 1, 1), std::nullopt,
              ContactStatus::inactive),
  };
  EXPECT_TRUE(
      PlanContact(Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", kToday), kNew, ctx).ok());
}

TEST(PlanContact, UpdatingTheOnlyFastVardkontaktIsAccepted) {
  // The contact under update is not in ctx.contacts; even if a caller left it in, it is not a rival.
  auto ctx = NurseContext();
  auto current = Contact("ct-n", ContactRole::fast_vardkontakt, "ssk-1", "hsv-1", D(2023, 1, 1));
  ctx.contacts = {current};
  auto proposed = current;
  proposed.period.end = D(2024, 12, 31);
  EXPECT_TRUE(PlanContact(proposed, current, ctx).ok());
}

TEST(PlanContact, ErrorTextsCarryNoPersonalIdentityNumber) {
  for (const char* id : {"197106254787", "196109732393"}) {
    auto ctx = Context();
    ctx.patient.id = id;
    ctx.listed_on_role = 1100;
    ctx.colleagues = {Load("dr-a", 1100, 10)};
    auto full = PlanContact(NewDoctor(), kNew, ctx);
    ctx.role = Role("dr-1", "vc-2");
    auto wrong_unit = PlanContact(NewDoctor(kToday, "vc-2"), kNew, ctx);
    ASSERT_FALSE(full.ok());
    ASSERT_FALSE(wrong_unit.ok());
    EXPECT_FALSE(Contains(full.error().text, id));
    EXPECT_FALSE(Contains(wrong_unit.error().text, id));
  }
}

}  // namespace
}  // namespace nara
