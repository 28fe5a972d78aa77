// registry/measures.*: the five measure definitions (fixed ids, goals, strata) and the pure functions
// the evaluation and its tests share (exact age, age band, sex stratum, list-size bin).
#include "registry/measures.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

TEST(MeasureDefinitions, FixedIdsInContractOrder) {
  std::vector<std::string> ids;
  for (const auto& def : MeasureDefinitions()) ids.push_back(def.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"fast-lakarkontakt-andel", "saebo-fast-lakarkontakt-andel",
                                           "fast-vardkontakt-andel", "listning-per-lakare",
                                           "patientkontrakt-antal", "kontinuitet-coc-lakare",
                                           "kontinuitet-coc-alla", "kontinuitet-upc",
                                           "kontinuitet-fast-lakare-andel", "hemsjukvard-fast-vardkontakt-andel",
                                           "hemsjukvard-sip-andel"}));
}

// docs/api.md section 11: the home-care measures are proportions over the residents in home health care
// on periodEnd, stratified by kommun, the hemsjukvård unit, age band and sex; the seed goal is everyone.
TEST(MeasureDefinitions, HomeCareMeasures) {
  for (const char* id : {kMeasureHemsjukvardFastVardkontakt, kMeasureHemsjukvardSip}) {
    const MeasureDefinition* def = FindMeasure(id);
    ASSERT_NE(def, nullptr) << id;
    EXPECT_TRUE(def->home_care);
    EXPECT_FALSE(def->continuity);
    EXPECT_EQ(def->kind, MeasureKind::proportion);
    EXPECT_EQ(def->goal, 1.0);
    EXPECT_EQ(def->stratifiers, (std::vector<std::string>{kStratKommun, kStratUnit, kStratAgeBand, kStratSex}));
  }
}

// docs/api.md section 11: the four continuity measures take the continuity parameters and aim at +20 %.
TEST(MeasureDefinitions, ContinuityMeasuresHaveARelativeGoal) {
  for (const char* id : {kMeasureCocLakare, kMeasureCocAlla, kMeasureUpc, kMeasureFastLakareAndel}) {
    const MeasureDefinition* def = FindMeasure(id);
    ASSERT_NE(def, nullptr) << id;
    EXPECT_TRUE(def->continuity) << id;
    ASSERT_TRUE(def->relative_goal.has_value()) << id;
    EXPECT_DOUBLE_EQ(*def->relative_goal, 0.20);
    EXPECT_FALSE(def->goal.has_value()) << id;
  }
  EXPECT_EQ(FindMeasure(kMeasureFastLakareAndel)->kind, MeasureKind::proportion);
  EXPECT_EQ(FindMeasure(kMeasureCocLakare)->kind, MeasureKind::mean);
  EXPECT_FALSE(FindMeasure(kMeasureFastLakarkontakt)->continuity);
}

TEST(ParseWindow, YearsMonthsAndDays) {
  EXPECT_EQ(*ParseWindow("P18M"), std::make_pair(18, 0));
  EXPECT_EQ(*ParseWindow("P1Y6M"), std::make_pair(18, 0));
  EXPECT_EQ(*ParseWindow("P90D"), std::make_pair(0, 90));
  EXPECT_EQ(*ParseWindow("P2Y10D"), std::make_pair(24, 10));
  for (const char* bad : {"", "P", "18M", "P0M", "PT1H", "P1W", "P6M1Y", "P1M1M", "PM", "P18", "P-1M"}) {
    EXPECT_FALSE(ParseWindow(bad)) << bad;
  }
}

TEST(MeasureDefinitions, GoalsAndKinds) {
  const MeasureDefinition* gp = FindMeasure("fast-lakarkontakt-andel");
  ASSERT_NE(gp, nullptr);
  ASSERT_TRUE(gp->goal.has_value());
  EXPECT_DOUBLE_EQ(*gp->goal, 0.55);
  EXPECT_EQ(gp->kind, MeasureKind::proportion);

  const MeasureDefinition* saebo = FindMeasure("saebo-fast-lakarkontakt-andel");
  ASSERT_NE(saebo, nullptr);
  ASSERT_TRUE(saebo->goal.has_value());
  EXPECT_DOUBLE_EQ(*saebo->goal, 0.80);
  EXPECT_EQ(saebo->kind, MeasureKind::proportion);

  const MeasureDefinition* vard = FindMeasure("fast-vardkontakt-andel");
  ASSERT_NE(vard, nullptr);
  EXPECT_FALSE(vard->goal.has_value());
  EXPECT_EQ(vard->kind, MeasureKind::proportion);

  const MeasureDefinition* lists = FindMeasure("listning-per-lakare");
  ASSERT_NE(lists, nullptr);
  ASSERT_TRUE(lists->goal.has_value());
  EXPECT_DOUBLE_EQ(*lists->goal, 1100);
  EXPECT_EQ(lists->kind, MeasureKind::ratio);

  const MeasureDefinition* contracts = FindMeasure("patientkontrakt-antal");
  ASSERT_NE(contracts, nullptr);
  EXPECT_FALSE(contracts->goal.has_value());
  EXPECT_EQ(contracts->kind, MeasureKind::count);

  EXPECT_EQ(FindMeasure("no-such-measure"), nullptr);
  EXPECT_EQ(FindMeasure(""), nullptr);
}

TEST(MeasureDefinitions, ProportionsStratifiedByRegionKommunVardcentralAgeBandSex) {
  const std::vector<std::string> all = {"region", "kommun", "vardcentral", "age-band", "sex"};
  for (const char* id : {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt}) {
    const MeasureDefinition* def = FindMeasure(id);
    ASSERT_NE(def, nullptr) << id;
    EXPECT_EQ(def->stratifiers, all) << id;
    EXPECT_FALSE(def->title.empty()) << id;
    EXPECT_FALSE(def->description.empty()) << id;
  }
  EXPECT_EQ(FindMeasure(kMeasurePatientkontrakt)->stratifiers, (std::vector<std::string>{"age-band", "unit"}));
  EXPECT_EQ(FindMeasure(kMeasureListningPerLakare)->stratifiers, (std::vector<std::string>{"vardcentral"}));
}

TEST(MeasureAge, BirthdayCountsOnItsDay) {
  const Date born = D(2008, 6, 15);
  EXPECT_EQ(AgeOn(born, D(2026, 6, 14)), 17);
  EXPECT_EQ(AgeOn(born, D(2026, 6, 15)), 18);
  EXPECT_EQ(AgeOn(born, D(2026, 6, 16)), 18);
  EXPECT_EQ(AgeOn(born, born), 0);
  EXPECT_EQ(AgeOn(born, D(2009, 6, 14)), 0);
  EXPECT_EQ(AgeOn(born, D(2009, 6, 15)), 1);
  // Month before the birthday month, later day: still not had the birthday.
  EXPECT_EQ(AgeOn(D(1960, 3, 1), D(2025, 2, 28)), 64);
  EXPECT_EQ(AgeOn(D(1960, 3, 1), D(2025, 3, 1)), 65);
}

TEST(MeasureAge, LeapDayBirthdayIsTwentyEighthFebruaryInCommonYears) {
  const Date born = D(2008, 2, 29);
  EXPECT_EQ(AgeOn(born, D(2026, 2, 27)), 17);
  EXPECT_EQ(AgeOn(born, D(2026, 2, 28)), 18);  // Date::AddYears: 29 Feb → 28 Feb
  EXPECT_EQ(AgeOn(born, D(2026, 3, 1)), 18);
  EXPECT_EQ(AgeOn(born, D(2028, 2, 28)), 19);  // leap year: the birthday is the 29th
  EXPECT_EQ(AgeOn(born, D(2028, 2, 29)), 20);
}

TEST(MeasureAge, BandsAtEveryBoundary) {
  EXPECT_EQ(AgeBand(0), "0-17");
  EXPECT_EQ(AgeBand(17), "0-17");
  EXPECT_EQ(AgeBand(18), "18-64");
  EXPECT_EQ(AgeBand(64), "18-64");
  EXPECT_EQ(AgeBand(65), "65-79");
  EXPECT_EQ(AgeBand(79), "65-79");
  EXPECT_EQ(AgeBand(80), "80+");
  EXPECT_EQ(AgeBand(107), "80+");
  EXPECT_EQ(AgeBands(), (std::vector<std::string>{"0-17", "18-64", "65-79", "80+"}));

  // The day before and the day of each band's first birthday.
  const Date on = D(2026, 11, 23);
  struct Case {
    int years;
    std::string before, at;
  };
  for (const Case& c : {Case{18, "0-17", "18-64"}, Case{65, "18-64", "65-79"}, Case{80, "65-79", "80+"}}) {
    const Date birthday_today = on.AddYears(-c.years);
    EXPECT_EQ(AgeBandOn(birthday_today, on), c.at) << c.years;
    EXPECT_EQ(AgeBandOn(birthday_today.AddDays(1), on), c.before) << c.years;
  }
  EXPECT_EQ(AgeBandOn(std::nullopt, on), "unknown");
}

TEST(MeasureStrata, SexStratum) {
  EXPECT_EQ(SexStratum("male"), "male");
  EXPECT_EQ(SexStratum("female"), "female");
  EXPECT_EQ(SexStratum("other"), "other");
  EXPECT_EQ(SexStratum("unknown"), "unknown");
  EXPECT_EQ(SexStratum(""), "unknown");
}

TEST(MeasureListSize, BinsAgainstCapacity) {
  EXPECT_EQ(ListSizeBinLabels(), (std::vector<std::string>{"0-49%", "50-79%", "80-99%", "100%", "over"}));
  EXPECT_EQ(ListSizeBinOf(0, 1100), "0-49%");
  EXPECT_EQ(ListSizeBinOf(549, 1100), "0-49%");
  EXPECT_EQ(ListSizeBinOf(550, 1100), "50-79%");
  EXPECT_EQ(ListSizeBinOf(879, 1100), "50-79%");
  EXPECT_EQ(ListSizeBinOf(880, 1100), "80-99%");
  EXPECT_EQ(ListSizeBinOf(1099, 1100), "80-99%");
  EXPECT_EQ(ListSizeBinOf(1100, 1100), "100%");
  EXPECT_EQ(ListSizeBinOf(1101, 1100), "over");
  EXPECT_EQ(ListSizeBinOf(0, 0), "100%");
  EXPECT_EQ(ListSizeBinOf(1, 0), "over");
  // Every bin label comes from the list.
  const std::set<std::string> labels(ListSizeBinLabels().begin(), ListSizeBinLabels().end());
  for (long listed : {0L, 1L, 2L, 3L, 4L}) EXPECT_EQ(labels.count(ListSizeBinOf(listed, 3)), 1u) << listed;
}

}  // namespace
}  // namespace nara

namespace nara {
namespace {

Date Day(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

TEST(TrendDates, MonthEndsBeforeThePeriodEndThenThePeriodEnd) {
  const auto dates = TrendDates(Day(2026, 12, 5));
  ASSERT_EQ(dates.size(), 24u);
  EXPECT_EQ(dates.front(), Day(2025, 1, 31));
  EXPECT_EQ(dates[1], Day(2025, 2, 28));
  EXPECT_EQ(dates[22], Day(2026, 11, 30));
  EXPECT_EQ(dates.back(), Day(2026, 12, 5));
}

TEST(TrendDates, AMonthEndPeriodEndGivesMonthEndsOnly) {
  const auto dates = TrendDates(Day(2024, 3, 31), 3);
  ASSERT_EQ(dates.size(), 3u);
  EXPECT_EQ(dates[0], Day(2024, 1, 31));
  EXPECT_EQ(dates[1], Day(2024, 2, 29));  // a leap year
  EXPECT_EQ(dates[2], Day(2024, 3, 31));
  EXPECT_TRUE(TrendDates(Day(2024, 3, 31), 0).empty());
}

}  // namespace
}  // namespace nara
