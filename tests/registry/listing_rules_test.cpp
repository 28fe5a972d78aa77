// docs/api.md §4 rules 1, 2 (change of listing), 6, 7 and 8: PlanListing and PlanResidency.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "registry/rules.h"

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

UnitFacts Unit(std::string id, UnitType type) {
  UnitFacts u;
  u.id = std::move(id);
  u.type = type;
  return u;
}

EpisodeFacts Episode(std::string id, std::string unit, Date start, std::optional<Date> end = std::nullopt,
                     EpisodeStatus status = EpisodeStatus::active) {
  EpisodeFacts e;
  e.id = std::move(id);
  e.patient_id = "pat-1";
  e.unit_id = std::move(unit);
  e.status = status;
  e.period = {start, end};
  return e;
}

ContactFacts Contact(std::string id, ContactRole role, std::string unit, Date start,
                     std::optional<Date> end = std::nullopt, ContactStatus status = ContactStatus::active) {
  ContactFacts c;
  c.id = std::move(id);
  c.patient_id = "pat-1";
  c.role = role;
  c.practitioner_role_id = "role-" + c.id;
  c.managing_unit_id = std::move(unit);
  c.status = status;
  c.period = {start, end};
  return c;
}

// The patient, listed so far nowhere; the proposed listings below name vc-new.
ListingContext Context() {
  ListingContext c;
  c.patient.id = "pat-1";
  c.unit = Unit("vc-new", UnitType::vardcentral);
  return c;
}

void ExpectRule(const Result<ListingPlan>& r, const char* code) {
  ASSERT_FALSE(r.ok()) << "accepted; expected " << code;
  EXPECT_EQ(r.error().kind, ErrorKind::business_rule);
  EXPECT_EQ(r.error().detail_code, code) << r.error().text;
  EXPECT_NE(r.error().text.find('('), std::string::npos) << "no English gloss: " << r.error().text;
}

const std::optional<EpisodeFacts> kNew;  // no previous version: a create

// The ordinary cases

TEST(PlanListing, FirstListingIsAcceptedAndIsNotAChange) {
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, Context());
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanListing, ChangeOfListingFinishesThePreviousOneOnTheNewStartDate) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2022, 5, 10))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
  ASSERT_EQ(r->finish_listings.size(), 1u);
  EXPECT_EQ(r->finish_listings[0].first, "old");
  EXPECT_EQ(r->finish_listings[0].second, D(2024, 3, 1));
}

TEST(PlanListing, ChangeReplacesAListingThatHadAnEndDateStillAhead) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2022, 5, 10), D(2024, 12, 31))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->finish_listings.size(), 1u);
  EXPECT_EQ(r->finish_listings[0].second, D(2024, 3, 1));
}

TEST(PlanListing, ListingThatEndedBeforeTheNewStartIsNeitherReplacedNorAnOverlap) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2020, 1, 1), D(2023, 1, 1), EpisodeStatus::finished),
                  Episode("lapsed", "vc-old", D(2023, 1, 1), D(2024, 1, 1))};  // active but already over
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
}

TEST(PlanListing, SeveralListingsActiveOnTheStartAreAllFinished) {
  // Data that broke rule 1 before this change is repaired by it rather than left in place.
  auto ctx = Context();
  ctx.listings = {Episode("a", "vc-a", D(2022, 1, 1)), Episode("b", "vc-b", D(2023, 1, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->finish_listings.size(), 2u);
  EXPECT_EQ(r->finish_listings[0], std::make_pair(std::string("a"), D(2024, 3, 1)));
  EXPECT_EQ(r->finish_listings[1], std::make_pair(std::string("b"), D(2024, 3, 1)));
}

// Unit and death

TEST(PlanListing, UnknownUnitIsAnUnknownReference) {
  auto ctx = Context();
  ctx.unit.reset();
  auto r = PlanListing(Episode("new", "vc-missing", D(2024, 3, 1)), kNew, ctx);
  ExpectRule(r, rule_codes::kUnknownReference);
  EXPECT_NE(r.error().text.find("Organization/vc-missing"), std::string::npos) << r.error().text;
}

TEST(PlanListing, UnitThatIsNotAVardcentralIsRefused) {
  for (UnitType type : {UnitType::saebo, UnitType::kommun, UnitType::region, UnitType::specialistmottagning,
                        UnitType::hemsjukvard, UnitType::other}) {
    auto ctx = Context();
    ctx.unit = Unit("vc-new", type);
    ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kNotAVardcentral);
  }
}

TEST(PlanListing, ListingStartingOnTheDateOfDeathIsRefused) {
  auto ctx = Context();
  ctx.patient.deceased = D(2024, 3, 1);
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ExpectRule(r, rule_codes::kDeceased);
  EXPECT_NE(r.error().text.find("2024-03-01"), std::string::npos) << r.error().text;
}

TEST(PlanListing, ListingStartingAfterDeathIsRefused) {
  auto ctx = Context();
  ctx.patient.deceased = D(2024, 2, 1);
  ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kDeceased);
}

TEST(PlanListing, ListingStartingTheDayBeforeDeathIsNotRefusedForDeath) {
  auto ctx = Context();
  ctx.patient.deceased = D(2024, 3, 2);
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx).ok());
}

// History and ending: non-active proposals

TEST(PlanListing, FinishedHistoryIsRecordedWithoutUnitOrDeathChecks) {
  auto ctx = Context();
  ctx.unit.reset();                       // e.g. a vårdcentral that has since closed
  ctx.patient.deceased = D(2020, 1, 1);  // history may be recorded after death
  auto r = PlanListing(Episode("hist", "vc-closed", D(2015, 1, 1), D(2018, 1, 1), EpisodeStatus::finished),
                       kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
}

TEST(PlanListing, FinishedListingOverlappingAnotherIsRefused) {
  auto ctx = Context();
  ctx.listings = {Episode("current", "vc-new", D(2017, 6, 1))};
  auto r = PlanListing(Episode("hist", "vc-old", D(2015, 1, 1), D(2018, 1, 1), EpisodeStatus::finished), kNew,
                       ctx);
  ExpectRule(r, rule_codes::kOverlap);
  EXPECT_NE(r.error().text.find("EpisodeOfCare/current"), std::string::npos) << r.error().text;
}

TEST(PlanListing, FinishedListingOverlappingAnotherFinishedOneIsRefused) {
  auto ctx = Context();
  ctx.listings = {Episode("older", "vc-a", D(2010, 1, 1), D(2016, 1, 1), EpisodeStatus::finished)};
  ExpectRule(PlanListing(Episode("hist", "vc-old", D(2015, 1, 1), D(2018, 1, 1), EpisodeStatus::finished),
                         kNew, ctx),
             rule_codes::kOverlap);
}

TEST(PlanListing, FinishedListingEndingOnTheDayTheNextStartsIsAccepted) {
  auto ctx = Context();
  ctx.listings = {Episode("current", "vc-new", D(2018, 1, 1))};
  EXPECT_TRUE(PlanListing(Episode("hist", "vc-old", D(2015, 1, 1), D(2018, 1, 1), EpisodeStatus::finished),
                          kNew, ctx)
                  .ok());
}

TEST(PlanListing, FinishedListingMayOverlapCancelledOrEnteredInErrorListings) {
  auto ctx = Context();
  ctx.listings = {Episode("c", "vc-a", D(2016, 1, 1), std::nullopt, EpisodeStatus::cancelled),
                  Episode("e", "vc-b", D(2016, 1, 1), std::nullopt, EpisodeStatus::entered_in_error)};
  EXPECT_TRUE(PlanListing(Episode("hist", "vc-old", D(2015, 1, 1), D(2018, 1, 1), EpisodeStatus::finished),
                          kNew, ctx)
                  .ok());
}

TEST(PlanListing, EndingTheRunningListingByFinishingItIsAccepted) {
  auto ctx = Context();
  ctx.listings = {Episode("next", "vc-b", D(2024, 6, 1))};
  auto previous = Episode("cur", "vc-new", D(2022, 1, 1));
  auto r = PlanListing(Episode("cur", "vc-new", D(2022, 1, 1), D(2024, 6, 1), EpisodeStatus::finished), previous,
                       ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->finish_listings.empty());
}

TEST(PlanListing, CancelledAndEnteredInErrorAreAcceptedEvenWhereTheyOverlap) {
  auto ctx = Context();
  ctx.unit.reset();
  ctx.patient.deceased = D(2020, 1, 1);
  ctx.listings = {Episode("current", "vc-new", D(2010, 1, 1))};
  for (EpisodeStatus status : {EpisodeStatus::cancelled, EpisodeStatus::entered_in_error}) {
    auto r = PlanListing(Episode("x", "vc-old", D(2021, 1, 1), std::nullopt, status), kNew, ctx);
    ASSERT_TRUE(r.ok()) << r.error().text;
    EXPECT_TRUE(r->finish_listings.empty());
    EXPECT_TRUE(r->end_contacts.empty());
  }
}

// Updates of the running listing

TEST(PlanListing, AddingAnEndToTheRunningListingChangesNothingElse) {
  auto ctx = Context();
  ctx.max_changes_per_year = 1;
  ctx.listings = {Episode("a", "vc-a", D(2023, 6, 1), D(2023, 9, 1), EpisodeStatus::finished),
                  Episode("b", "vc-b", D(2023, 9, 1), D(2024, 1, 1), EpisodeStatus::finished)};
  ctx.contacts = {Contact("doc", ContactRole::fast_lakarkontakt, "vc-new", D(2024, 1, 1))};
  auto previous = Episode("cur", "vc-new", D(2024, 1, 1));
  auto r = PlanListing(Episode("cur", "vc-new", D(2024, 1, 1), D(2024, 8, 1)), previous, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
  // The fast läkarkontakt is not ended with the listing: without a new listing that is the EHR's call.
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanListing, ExtendingTheRunningListingIntoTheNextOneIsAnOverlap) {
  auto ctx = Context();
  ctx.listings = {Episode("next", "vc-b", D(2024, 8, 1))};
  auto previous = Episode("cur", "vc-new", D(2024, 1, 1), D(2024, 8, 1));
  ExpectRule(PlanListing(Episode("cur", "vc-new", D(2024, 1, 1)), previous, ctx), rule_codes::kOverlap);
}

TEST(PlanListing, UpdateThatMovesTheStartIsCheckedAsANewListing) {
  auto ctx = Context();
  ctx.listings = {Episode("other", "vc-a", D(2023, 1, 1))};
  auto previous = Episode("cur", "vc-new", D(2024, 6, 1));
  auto r = PlanListing(Episode("cur", "vc-new", D(2024, 5, 1)), previous, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
  ASSERT_EQ(r->finish_listings.size(), 1u);
  EXPECT_EQ(r->finish_listings[0].second, D(2024, 5, 1));
}

TEST(PlanListing, ReopeningAFinishedListingIsCheckedAsANewListing) {
  auto ctx = Context();
  ctx.patient.deceased = D(2024, 1, 1);
  auto previous = Episode("cur", "vc-new", D(2024, 2, 1), D(2024, 3, 1), EpisodeStatus::finished);
  ExpectRule(PlanListing(Episode("cur", "vc-new", D(2024, 2, 1)), previous, ctx), rule_codes::kDeceased);
}

TEST(PlanListing, UpdateOfTheRunningListingStillNeedsAVardcentral) {
  auto ctx = Context();
  ctx.unit = Unit("vc-new", UnitType::saebo);
  auto previous = Episode("cur", "vc-new", D(2024, 1, 1));
  ExpectRule(PlanListing(Episode("cur", "vc-new", D(2024, 1, 1), D(2024, 8, 1)), previous, ctx),
             rule_codes::kNotAVardcentral);
}

// Overlap of a new listing (rules 1 and 8)

TEST(PlanListing, ActiveListingStartingAfterTheNewOneIsAnOverlap) {
  auto ctx = Context();
  ctx.listings = {Episode("future", "vc-a", D(2024, 6, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ExpectRule(r, rule_codes::kOverlap);
  EXPECT_NE(r.error().text.find("EpisodeOfCare/future"), std::string::npos) << r.error().text;
}

TEST(PlanListing, NewListingEndingTheDayALaterOneStartsIsNotAnOverlap) {
  auto ctx = Context();
  ctx.listings = {Episode("future", "vc-a", D(2024, 6, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1), D(2024, 6, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
}

TEST(PlanListing, NewListingReachingBackIntoAFinishedListingIsAnOverlap) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-a", D(2020, 1, 1), D(2024, 6, 1), EpisodeStatus::finished)};
  ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kOverlap);
}

TEST(PlanListing, NewListingStartingTheDayAFinishedOneEndedIsNotAChange) {
  // The previous listing was ended on its own (not by this change), so nothing is replaced now.
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-a", D(2020, 1, 1), D(2024, 3, 1), EpisodeStatus::finished)};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
}

// Rule 7: at most N changes in twelve months

// Two earlier changes: vc-a → vc-b on `first`, vc-b → vc-c on `second`; vc-c is the current listing.
ListingContext WithTwoChanges(Date first, Date second) {
  auto ctx = Context();
  ctx.listings = {Episode("a", "vc-a", D(2015, 1, 1), first, EpisodeStatus::finished),
                  Episode("b", "vc-b", first, second, EpisodeStatus::finished),
                  Episode("c", "vc-c", second)};
  return ctx;
}

TEST(PlanListing, ThirdChangeWithinTwelveMonthsIsRefused) {
  auto ctx = WithTwoChanges(D(2023, 9, 1), D(2024, 1, 15));
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ExpectRule(r, rule_codes::kChangeLimit);
  EXPECT_NE(r.error().text.find("bytt vårdcentral 2 gånger de senaste tolv månaderna (max 2)"),
            std::string::npos)
      << r.error().text;
  // The oldest change (2023-09-01) leaves the window after 2024-09-01.
  EXPECT_NE(r.error().text.find("2024-09-02"), std::string::npos) << r.error().text;
}

TEST(PlanListing, ChangeExactlyTwelveMonthsBeforeCounts) {
  auto ctx = WithTwoChanges(D(2023, 3, 1), D(2024, 1, 15));
  ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kChangeLimit);
}

TEST(PlanListing, ChangeTwelveMonthsAndOneDayBeforeDoesNotCount) {
  auto ctx = WithTwoChanges(D(2023, 2, 28), D(2024, 1, 15));
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
}

TEST(PlanListing, TwelveMonthWindowFromALeapDayStartsOnFebruary28) {
  // 2024-02-29 minus a year is 2023-02-28 (Date::AddYears): a change that day still counts.
  ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 2, 29)), kNew,
                         WithTwoChanges(D(2023, 2, 28), D(2024, 1, 15))),
             rule_codes::kChangeLimit);
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 2, 29)), kNew,
                          WithTwoChanges(D(2023, 2, 27), D(2024, 1, 15)))
                  .ok());
}

TEST(PlanListing, ChangeLimitTextGivesTheFirstDayANewChangeIsAllowed) {
  // Window of 2024-02-29 is [2023-02-28, 2024-02-29], so a change on 2023-02-28 leaves it only on
  // 2024-03-01: that is the first day a third change is allowed, and the text says so.
  auto ctx = WithTwoChanges(D(2023, 2, 28), D(2023, 6, 1));
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 2, 28)), kNew, ctx);
  ExpectRule(r, rule_codes::kChangeLimit);
  EXPECT_NE(r.error().text.find("tidigast 2024-03-01"), std::string::npos) << r.error().text;
  ExpectRule(PlanListing(Episode("new", "vc-new", D(2024, 2, 29)), kNew, ctx), rule_codes::kChangeLimit);
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx).ok());
}

TEST(PlanListing, SecondChangeWithinTwelveMonthsIsAccepted) {
  auto ctx = Context();
  ctx.listings = {Episode("a", "vc-a", D(2015, 1, 1), D(2023, 9, 1), EpisodeStatus::finished),
                  Episode("b", "vc-b", D(2023, 9, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
}

TEST(PlanListing, ConfiguredLimitIsUsed) {
  auto ctx = Context();
  ctx.max_changes_per_year = 1;
  ctx.listings = {Episode("a", "vc-a", D(2015, 1, 1), D(2023, 9, 1), EpisodeStatus::finished),
                  Episode("b", "vc-b", D(2023, 9, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ExpectRule(r, rule_codes::kChangeLimit);
  EXPECT_NE(r.error().text.find("1 gånger de senaste tolv månaderna (max 1)"), std::string::npos)
      << r.error().text;
}

TEST(PlanListing, LimitZeroMeansNoLimit) {
  auto ctx = WithTwoChanges(D(2023, 9, 1), D(2024, 1, 15));
  ctx.max_changes_per_year = 0;
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx).ok());
}

TEST(PlanListing, FirstListingIsNeverLimited) {
  // Two changes last autumn, then the listing was ended (moved abroad); listing again is not a change.
  auto ctx = Context();
  ctx.listings = {Episode("a", "vc-a", D(2015, 1, 1), D(2023, 9, 1), EpisodeStatus::finished),
                  Episode("b", "vc-b", D(2023, 9, 1), D(2023, 10, 1), EpisodeStatus::finished),
                  Episode("c", "vc-c", D(2023, 10, 1), D(2023, 12, 1), EpisodeStatus::finished)};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
}

TEST(PlanListing, CancelledOrErroneousListingsDoNotCountAsChanges) {
  auto ctx = Context();
  ctx.listings = {Episode("a", "vc-a", D(2015, 1, 1), D(2023, 9, 1), EpisodeStatus::finished),
                  Episode("x", "vc-x", D(2023, 9, 1), D(2023, 9, 2), EpisodeStatus::entered_in_error),
                  Episode("y", "vc-y", D(2023, 9, 2), std::nullopt, EpisodeStatus::cancelled),
                  Episode("b", "vc-b", D(2023, 9, 1))};
  // Only a → b is a change: x was never a listing, and y follows only the erroneous x.
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx).ok());
}

TEST(PlanListing, NewEpisodeAtTheSameVardcentralIsNeitherLimitedNorCounted) {
  // A new episode at the unit where the patient is already listed is not a change of vårdcentral.
  auto ctx = WithTwoChanges(D(2023, 9, 1), D(2024, 1, 15));
  ctx.unit = Unit("vc-c", UnitType::vardcentral);
  auto same = PlanListing(Episode("new", "vc-c", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(same.ok()) << same.error().text;
  EXPECT_TRUE(same->is_change);  // it still replaces the running episode (rule 1)
  ASSERT_EQ(same->finish_listings.size(), 1u);
  EXPECT_EQ(same->finish_listings[0].first, "c");

  auto ctx2 = Context();
  ctx2.listings = {Episode("a", "vc-a", D(2015, 1, 1), D(2023, 9, 1), EpisodeStatus::finished),
                   Episode("a2", "vc-a", D(2023, 9, 1), D(2023, 10, 1), EpisodeStatus::finished),
                   Episode("a3", "vc-a", D(2023, 10, 1))};
  EXPECT_TRUE(PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx2).ok());
}

// Rule 2: a change of listing ends the fast läkarkontakt at the old unit

TEST(PlanListing, ChangeEndsTheFastLakarkontaktAtTheOldUnit) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2020, 1, 1))};
  ctx.contacts = {Contact("doc", ContactRole::fast_lakarkontakt, "vc-old", D(2020, 2, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->end_contacts.size(), 1u);
  EXPECT_EQ(r->end_contacts[0], std::make_pair(std::string("doc"), D(2024, 3, 1)));
}

TEST(PlanListing, ChangeEndsAFastLakarkontaktDueToStartLaterOnItsStart) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2020, 1, 1))};
  ctx.contacts = {Contact("doc", ContactRole::fast_lakarkontakt, "vc-old", D(2024, 5, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  ASSERT_EQ(r->end_contacts.size(), 1u);
  EXPECT_EQ(r->end_contacts[0].second, D(2024, 5, 1));  // never runs; no end before its start
}

TEST(PlanListing, ChangeLeavesOtherContactsAlone) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-old", D(2020, 1, 1))};
  ctx.contacts = {
      Contact("elsewhere", ContactRole::fast_lakarkontakt, "vc-saebo-service", D(2020, 2, 1)),
      Contact("nurse", ContactRole::fast_vardkontakt, "vc-old", D(2020, 2, 1)),
      Contact("hemtjanst", ContactRole::fast_omsorgskontakt_hemtjanst, "vc-old", D(2020, 2, 1)),
      Contact("ended", ContactRole::fast_lakarkontakt, "vc-old", D(2020, 2, 1), std::nullopt,
              ContactStatus::inactive),
      Contact("past", ContactRole::fast_lakarkontakt, "vc-old", D(2020, 2, 1), D(2023, 1, 1)),
      Contact("error", ContactRole::fast_lakarkontakt, "vc-old", D(2020, 2, 1), std::nullopt,
              ContactStatus::entered_in_error),
  };
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanListing, FirstListingEndsNoContacts) {
  auto ctx = Context();
  ctx.contacts = {Contact("doc", ContactRole::fast_lakarkontakt, "vc-other", D(2020, 2, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanListing, NewEpisodeAtTheSameUnitKeepsTheFastLakarkontakt) {
  auto ctx = Context();
  ctx.listings = {Episode("old", "vc-new", D(2020, 1, 1))};
  ctx.contacts = {Contact("doc", ContactRole::fast_lakarkontakt, "vc-new", D(2020, 2, 1))};
  auto r = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanListing, ErrorTextsCarryNoPersonalIdentityNumber) {
  // Even if a caller used a personnummer or samordningsnummer as the patient's id, no text repeats it.
  for (const char* id : {"197106254787", "196109732393"}) {
    auto ctx = WithTwoChanges(D(2023, 9, 1), D(2024, 1, 15));
    ctx.patient.id = id;
    ctx.patient.deceased = D(2025, 1, 1);
    auto limit = PlanListing(Episode("new", "vc-new", D(2024, 3, 1)), kNew, ctx);
    auto dead = PlanListing(Episode("new", "vc-new", D(2025, 3, 1)), kNew, ctx);
    ASSERT_FALSE(limit.ok());
    ASSERT_FALSE(dead.ok());
    EXPECT_EQ(limit.error().text.find(id), std::string::npos);
    EXPECT_EQ(dead.error().text.find(id), std::string::npos);
  }
}

// SÄBO residency

ResidencyContext Residency() {
  ResidencyContext c;
  c.patient.id = "pat-1";
  c.unit = Unit("saebo-new", UnitType::saebo);
  return c;
}

TEST(PlanResidency, FirstResidencyIsAcceptedAndIsNotAMove) {
  auto r = PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, Residency());
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
}

TEST(PlanResidency, MovingFinishesThePreviousResidencyOnTheMovingDay) {
  auto ctx = Residency();
  ctx.residencies = {Episode("old", "saebo-old", D(2022, 1, 1))};
  auto r = PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
  ASSERT_EQ(r->finish_listings.size(), 1u);
  EXPECT_EQ(r->finish_listings[0], std::make_pair(std::string("old"), D(2024, 3, 1)));
  EXPECT_TRUE(r->end_contacts.empty());
}

TEST(PlanResidency, MovesAreNotLimited) {
  auto ctx = Residency();
  ctx.residencies = {Episode("a", "saebo-a", D(2023, 6, 1), D(2023, 9, 1), EpisodeStatus::finished),
                     Episode("b", "saebo-b", D(2023, 9, 1), D(2023, 12, 1), EpisodeStatus::finished),
                     Episode("c", "saebo-c", D(2023, 12, 1), D(2024, 1, 1), EpisodeStatus::finished),
                     Episode("d", "saebo-d", D(2024, 1, 1))};
  auto r = PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
}

TEST(PlanResidency, UnitThatIsNotASaeboIsRefused) {
  auto ctx = Residency();
  ctx.unit = Unit("saebo-new", UnitType::vardcentral);
  ExpectRule(PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kNotASaebo);
}

TEST(PlanResidency, UnknownUnitIsAnUnknownReference) {
  auto ctx = Residency();
  ctx.unit.reset();
  ExpectRule(PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kUnknownReference);
}

TEST(PlanResidency, DeceasedPatientGetsNoNewResidency) {
  auto ctx = Residency();
  ctx.patient.deceased = D(2024, 3, 1);
  ExpectRule(PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kDeceased);
}

TEST(PlanResidency, LaterResidencyIsAnOverlap) {
  auto ctx = Residency();
  ctx.residencies = {Episode("later", "saebo-a", D(2024, 6, 1))};
  ExpectRule(PlanResidency(Episode("new", "saebo-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kOverlap);
}

TEST(PlanResidency, FinishedHistoryIsOnlyCheckedForOverlap) {
  auto ctx = Residency();
  ctx.unit.reset();
  ctx.patient.deceased = D(2020, 1, 1);
  ctx.residencies = {Episode("cur", "saebo-a", D(2019, 1, 1))};
  EXPECT_TRUE(PlanResidency(Episode("h", "saebo-x", D(2015, 1, 1), D(2019, 1, 1), EpisodeStatus::finished), kNew,
                            ctx)
                  .ok());
  ExpectRule(PlanResidency(Episode("h", "saebo-x", D(2015, 1, 1), D(2019, 1, 2), EpisodeStatus::finished), kNew,
                           ctx),
             rule_codes::kOverlap);
}

TEST(PlanResidency, EndingTheRunningResidencyIsAccepted) {
  auto ctx = Residency();
  auto previous = Episode("cur", "saebo-new", D(2022, 1, 1));
  auto r = PlanResidency(Episode("cur", "saebo-new", D(2022, 1, 1), D(2024, 3, 1)), previous, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_FALSE(r->is_change);
  EXPECT_TRUE(r->finish_listings.empty());
}

// Hemsjukvård (docs/api.md section 11): one episode at a time at a hemsjukvard unit, like SÄBO.

ResidencyContext HomeCare() {
  ResidencyContext c;
  c.patient.id = "pat-1";
  c.unit = Unit("hsv-new", UnitType::hemsjukvard);
  return c;
}

TEST(PlanHomeCare, FirstEpisodeIsAcceptedAndANewUnitFinishesThePrevious) {
  auto first = PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, HomeCare());
  ASSERT_TRUE(first.ok()) << first.error().text;
  EXPECT_FALSE(first->is_change);
  auto ctx = HomeCare();
  ctx.residencies = {Episode("old", "hsv-old", D(2022, 1, 1))};
  auto r = PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, ctx);
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_TRUE(r->is_change);
  ASSERT_EQ(r->finish_listings.size(), 1u);
  EXPECT_EQ(r->finish_listings[0], std::make_pair(std::string("old"), D(2024, 3, 1)));
}

TEST(PlanHomeCare, OnlyAtAHemsjukvardUnitAndNotForTheDeceased) {
  auto ctx = HomeCare();
  ctx.unit = Unit("hsv-new", UnitType::saebo);
  ExpectRule(PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kNotAHemsjukvard);
  ctx = HomeCare();
  ctx.unit.reset();
  ExpectRule(PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kUnknownReference);
  ctx = HomeCare();
  ctx.patient.deceased = D(2024, 3, 1);
  ExpectRule(PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kDeceased);
  ctx = HomeCare();
  ctx.residencies = {Episode("later", "hsv-a", D(2024, 6, 1))};
  ExpectRule(PlanHomeCare(Episode("new", "hsv-new", D(2024, 3, 1)), kNew, ctx), rule_codes::kOverlap);
}

}  // namespace
}  // namespace nara
