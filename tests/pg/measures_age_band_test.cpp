// The age-band stratum of PgMeasures (pg/pg_measures.*) on birthdays: the SQL compares each
// birth date with three limits computed once per report, and must agree with AgeBandOn
// (registry/measures.h) for every resident — on the day of an 18th, 65th and 80th birthday, the day
// before and after it, and for those born on 29 February, whose birthday is 28 February in a common
// year (Date::AddYears). The reference here is AgeBandOn itself, counted per report date.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "registry/date.h"
#include "registry/facts.h"
#include "registry/measures.h"
#include "pg/migrations.h"
#include "pg/pg_measures.h"
#include "pg/pg_store.h"
#include "registry/resource_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

// Report dates: a common year's 28 February and 1 March, a leap day, and an ordinary day.
const std::vector<Date> kReportDates = {D(2026, 2, 28), D(2026, 3, 1), D(2024, 2, 29), D(2025, 2, 28),
                                        D(2026, 11, 1)};

// Birth dates on both sides of every band limit of every report date, and every 29 February near them.
std::vector<Date> BirthDates() {
  std::vector<Date> births;
  for (const Date d : kReportDates) {
    for (const int years : {18, 65, 80}) {
      const Date birthday = d.AddYears(-years);
      for (int delta = -2; delta <= 2; ++delta) births.push_back(birthday.AddDays(delta));
      for (int y = birthday.year() - 1; y <= birthday.year() + 1; ++y) {
        if (const auto leap_day = Date::FromCivil(y, 2, 29)) births.push_back(*leap_day);
      }
    }
  }
  return births;
}

class MeasuresAgeBandPg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = new std::string(nara::testing::MigratedDatabase("measures_age_band"));
    births_ = new std::vector<Date>(BirthDates());
    PgStore store(*url_, 1);
    const Status written = store.Transact([&](ResourceTransaction& tx) -> Status {
      for (size_t i = 0; i < births_->size(); ++i) {
        PatientFacts p;
        p.id = "born-" + std::to_string(i);
        p.birth_date = (*births_)[i];
        p.gender = "female";
        tx.Registry().PutPatient(p);
      }
      return Ok();
    });
    ASSERT_TRUE(written.ok()) << written.error().text;
  }
  static void TearDownTestSuite() {
    delete births_;
    delete url_;
    births_ = nullptr;
    url_ = nullptr;
  }

  static std::string* url_;
  static std::vector<Date>* births_;
};

std::string* MeasuresAgeBandPg::url_ = nullptr;
std::vector<Date>* MeasuresAgeBandPg::births_ = nullptr;

TEST_F(MeasuresAgeBandPg, BandsAgreeWithAgeBandOnAroundBirthdays) {
  PgMeasures measures(*url_);
  for (const Date d : kReportDates) {
    SCOPED_TRACE("as of " + d.ToString());
    std::map<std::string, long> want;
    long residents = 0;
    for (const Date birth : *births_) {
      if (birth > d) continue;  // not born yet: not a resident
      ++want[AgeBandOn(birth, d)];
      ++residents;
    }
    // The population straddles every limit on every date, so a band off by one day shows.
    for (const auto& band : AgeBands()) EXPECT_GT(want[band], 0) << band;

    const auto got = measures.Evaluate(kMeasureFastLakarkontakt, d, "");
    ASSERT_TRUE(got.ok()) << got.error().text;
    EXPECT_EQ(got->denominator, residents);
    std::map<std::string, long> bands;
    for (const auto& s : got->strata) {
      if (s.stratifier == kStratAgeBand) bands[s.value] = s.denominator;
    }
    EXPECT_EQ(bands, want);
  }
}

}  // namespace
}  // namespace nara::pg
