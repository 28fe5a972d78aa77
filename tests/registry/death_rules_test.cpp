// docs/api.md §4 rule 6: PlanDeath ends what is running on the date of death.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "registry/rules.h"

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

EpisodeFacts Episode(std::string id, Date start, std::optional<Date> end = std::nullopt,
                     EpisodeStatus status = EpisodeStatus::active) {
  EpisodeFacts e;
  e.id = std::move(id);
  e.patient_id = "pat-1";
  e.unit_id = "vc-1";
  e.status = status;
  e.period = {start, end};
  return e;
}

ContactFacts Contact(std::string id, Date start, std::optional<Date> end = std::nullopt,
                     ContactStatus status = ContactStatus::active) {
  ContactFacts c;
  c.id = std::move(id);
  c.patient_id = "pat-1";
  c.practitioner_role_id = "dr-1";
  c.managing_unit_id = "vc-1";
  c.status = status;
  c.period = {start, end};
  return c;
}

const Date kDeath = D(2024, 3, 1);

std::pair<std::string, Date> Ends(const char* id, Date d) { return {id, d}; }

TEST(PlanDeath, RunningListingAndContactEndOnTheDateOfDeath) {
  auto plan = PlanDeath(kDeath, {Episode("list", D(2020, 1, 1))}, {Contact("doc", D(2020, 2, 1))});
  ASSERT_EQ(plan.finish_episodes.size(), 1u);
  EXPECT_EQ(plan.finish_episodes[0], Ends("list", kDeath));
  ASSERT_EQ(plan.end_contacts.size(), 1u);
  EXPECT_EQ(plan.end_contacts[0], Ends("doc", kDeath));
}

TEST(PlanDeath, PeriodsEndingAfterTheDeathAreCutBackToIt) {
  auto plan = PlanDeath(kDeath, {Episode("list", D(2020, 1, 1), D(2024, 12, 31))},
                        {Contact("doc", D(2020, 2, 1), D(2024, 3, 2))});
  ASSERT_EQ(plan.finish_episodes.size(), 1u);
  EXPECT_EQ(plan.finish_episodes[0], Ends("list", kDeath));
  ASSERT_EQ(plan.end_contacts.size(), 1u);
  EXPECT_EQ(plan.end_contacts[0], Ends("doc", kDeath));
}

TEST(PlanDeath, PeriodsAlreadyEndedByTheDateOfDeathAreLeftAlone) {
  // Half-open: a period ending on the date of death does not run on it.
  auto plan = PlanDeath(kDeath, {Episode("old", D(2020, 1, 1), D(2023, 1, 1)), Episode("edge", D(2023, 1, 1), kDeath)},
                        {Contact("old", D(2020, 1, 1), D(2023, 1, 1)), Contact("edge", D(2023, 1, 1), kDeath)});
  EXPECT_TRUE(plan.finish_episodes.empty());
  EXPECT_TRUE(plan.end_contacts.empty());
}

TEST(PlanDeath, AnEpisodeDueToStartAfterTheDeathIsCancelled) {
  // It never ran: cancelled rather than finished; a contact due later ends on its own start.
  auto plan = PlanDeath(kDeath, {Episode("next", D(2024, 5, 1), D(2024, 5, 20))}, {Contact("doc", D(2024, 4, 1))});
  EXPECT_TRUE(plan.finish_episodes.empty());
  EXPECT_EQ(plan.cancel_episodes, std::vector<std::string>{"next"});
  ASSERT_EQ(plan.end_contacts.size(), 1u);
  EXPECT_EQ(plan.end_contacts[0], Ends("doc", D(2024, 4, 1)));
}

TEST(PlanDeath, AnEpisodeStartingOnTheDateOfDeathIsCancelled) {
  auto plan = PlanDeath(kDeath, {Episode("same-day", kDeath)}, {});
  EXPECT_TRUE(plan.finish_episodes.empty());
  EXPECT_EQ(plan.cancel_episodes, std::vector<std::string>{"same-day"});
}

TEST(PlanDeath, AnEndAlreadySetAfterTheDeathIsCutBackWhateverTheStatus) {
  // A change of listing dated after the death ended the old listing and the doctor in advance
  // (byte-av-listning); the death comes first, so it is what ends them.
  auto plan = PlanDeath(kDeath, {Episode("old", D(2020, 1, 1), D(2024, 3, 10), EpisodeStatus::finished)},
                        {Contact("doc", D(2020, 1, 1), D(2024, 3, 10), ContactStatus::inactive)});
  ASSERT_EQ(plan.finish_episodes.size(), 1u);
  EXPECT_EQ(plan.finish_episodes[0], Ends("old", kDeath));
  ASSERT_EQ(plan.end_contacts.size(), 1u);
  EXPECT_EQ(plan.end_contacts[0], Ends("doc", kDeath));
}

TEST(PlanDeath, WhatNeverRanOrEndedBeforeIsLeftAlone) {
  auto plan = PlanDeath(kDeath,
                        {Episode("finished", D(2020, 1, 1), D(2023, 1, 1), EpisodeStatus::finished),
                         Episode("finished-open", D(2020, 1, 1), std::nullopt, EpisodeStatus::finished),
                         Episode("cancelled", D(2020, 1, 1), D(2025, 1, 1), EpisodeStatus::cancelled),
                         Episode("error", D(2020, 1, 1), std::nullopt, EpisodeStatus::entered_in_error),
                         Episode("other", D(2020, 1, 1), std::nullopt, EpisodeStatus::other)},
                        {Contact("inactive", D(2020, 1, 1), std::nullopt, ContactStatus::inactive),
                         Contact("error", D(2020, 1, 1), D(2025, 1, 1), ContactStatus::entered_in_error)});
  EXPECT_TRUE(plan.finish_episodes.empty());
  EXPECT_TRUE(plan.cancel_episodes.empty());
  EXPECT_TRUE(plan.end_contacts.empty());
}

TEST(PlanDeath, EndsEverythingRunningAtOnce) {
  // A listing, a SÄBO residency, a fast läkarkontakt and two fast vårdkontakter.
  auto plan = PlanDeath(kDeath, {Episode("list", D(2020, 1, 1)), Episode("saebo", D(2022, 1, 1))},
                        {Contact("doc", D(2020, 1, 1)), Contact("nurse", D(2021, 1, 1)),
                         Contact("omsorg", D(2022, 1, 1))});
  EXPECT_EQ(plan.finish_episodes.size(), 2u);
  EXPECT_EQ(plan.end_contacts.size(), 3u);
}

TEST(PlanDeath, NothingToEndGivesAnEmptyPlan) {
  auto plan = PlanDeath(kDeath, {}, {});
  EXPECT_TRUE(plan.finish_episodes.empty());
  EXPECT_TRUE(plan.end_contacts.empty());
}

}  // namespace
}  // namespace nara
