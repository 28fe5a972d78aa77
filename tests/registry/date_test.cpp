#include "registry/date.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <utility>

#include "registry/facts.h"

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

void ExpectRejected(std::string_view text) {
  auto r = Date::Parse(text);
  ASSERT_FALSE(r.ok()) << "accepted '" << text << "'";
  EXPECT_EQ(r.error().kind, ErrorKind::invalid);
  EXPECT_EQ(r.error().detail_code, "value");
}

TEST(Date, EpochIsDayZero) {
  EXPECT_EQ(D(1970, 1, 1).days(), 0);
  EXPECT_EQ(D(1970, 1, 2).days(), 1);
  EXPECT_EQ(D(1969, 12, 31).days(), -1);
  EXPECT_EQ(D(2000, 3, 1).days(), 11017);
}

TEST(Date, RoundTripsThroughCivilFormEveryDayOverFourCenturies) {
  // 1900-01-01 to 2300-01-01 covers both kinds of century year (1900 common, 2000 leap).
  int expected = D(1900, 1, 1).days();
  for (int y = 1900; y < 2300; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= 31; ++d) {
        auto date = Date::FromCivil(y, m, d);
        if (!date) continue;
        ASSERT_EQ(date->days(), expected) << y << "-" << m << "-" << d;
        ASSERT_EQ(date->year(), y);
        ++expected;
      }
    }
  }
  EXPECT_EQ(expected, D(2300, 1, 1).days());
}

TEST(Date, FromCivilRejectsImpossibleDates) {
  EXPECT_FALSE(Date::FromCivil(2023, 2, 29));
  EXPECT_FALSE(Date::FromCivil(1900, 2, 29));  // century, not divisible by 400
  EXPECT_TRUE(Date::FromCivil(2000, 2, 29));
  EXPECT_TRUE(Date::FromCivil(2024, 2, 29));
  EXPECT_FALSE(Date::FromCivil(2023, 4, 31));
  EXPECT_FALSE(Date::FromCivil(2023, 13, 1));
  EXPECT_FALSE(Date::FromCivil(2023, 0, 1));
  EXPECT_FALSE(Date::FromCivil(2023, 1, 0));
}

TEST(Date, ToStringIsZeroPaddedIso) {
  EXPECT_EQ(D(2024, 3, 5).ToString(), "2024-03-05");
  EXPECT_EQ(D(1970, 1, 1).ToString(), "1970-01-01");
  EXPECT_EQ(D(812, 12, 31).ToString(), "0812-12-31");
  EXPECT_EQ(Date::FromDays(-1).ToString(), "1969-12-31");
}

TEST(Date, ParsesPlainDate) {
  auto r = Date::Parse("2024-02-29");
  ASSERT_TRUE(r.ok()) << r.error().text;
  EXPECT_EQ(*r, D(2024, 2, 29));
}

TEST(Date, ParsesDatePartOfDateTimeAsWrittenWithoutZoneShift) {
  // 23:30 at +02:00 is 21:30 UTC the same day; 00:30+02:00 is the previous day in UTC. The written
  // date is what a clerk means, so it is kept either way.
  EXPECT_EQ(*Date::Parse("2024-05-01T00:30:00+02:00"), D(2024, 5, 1));
  EXPECT_EQ(*Date::Parse("2024-05-01T23:30:00-05:00"), D(2024, 5, 1));
  EXPECT_EQ(*Date::Parse("2024-05-01T12:00:00Z"), D(2024, 5, 1));
  EXPECT_EQ(*Date::Parse("2024-05-01T12:00:00.123456Z"), D(2024, 5, 1));
  EXPECT_EQ(*Date::Parse("2024-05-01T12:00:00.5+14:00"), D(2024, 5, 1));
}

TEST(Date, RejectsImpossibleCalendarDate) {
  ExpectRejected("2023-02-30");
  ExpectRejected("2023-02-29");
  ExpectRejected("2023-04-31");
  ExpectRejected("2023-13-01");
  ExpectRejected("2023-00-10");
  ExpectRejected("2023-01-00");
  ExpectRejected("0000-01-01");
}

TEST(Date, RejectsWrongShape) {
  ExpectRejected("");
  ExpectRejected("2023-2-1");
  ExpectRejected("2023-02-1");
  ExpectRejected("20230201");
  ExpectRejected("2023/02/01");
  ExpectRejected("2023-02");  // FHIR partial dates are not precise enough for a registry period
  ExpectRejected("2023");
  ExpectRejected(" 2023-02-01");
  ExpectRejected("2023-02-01 ");
  ExpectRejected("+2023-02-01");
}

TEST(Date, RejectsMalformedTimePart) {
  ExpectRejected("2023-02-01T");
  ExpectRejected("2023-02-01T12:00:00");        // FHIR requires a zone with a time
  ExpectRejected("2023-02-01T12:00Z");
  ExpectRejected("2023-02-01T24:00:00Z");
  ExpectRejected("2023-02-01T12:60:00Z");
  ExpectRejected("2023-02-01T12:00:00.Z");
  ExpectRejected("2023-02-01T12:00:00+0200");
  ExpectRejected("2023-02-01T12:00:00+15:00");
  ExpectRejected("2023-02-01 12:00:00Z");
  ExpectRejected("2023-02-01Tnoon");
}

TEST(Date, ErrorTextDoesNotEchoTheInput) {
  // A personnummer typed into a date field must not come back in an error text.
  auto r = Date::Parse("197106254787");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().text.find("197106254787"), std::string::npos) << r.error().text;
}

// Swedish first, English after, each part a whole sentence (docs/api.md, "Errors").
TEST(Date, ErrorTextsAreSwedishThenEnglish) {
  const std::pair<const char*, const char*> cases[] = {
      {"2023-2-01", "ogiltigt datum: väntade YYYY-MM-DD (invalid date: expected YYYY-MM-DD)"},
      {"2023-02-01T12", "ogiltigt datum: väntade YYYY-MM-DD eller YYYY-MM-DDThh:mm:ss+hh:mm (invalid date: expected "
                        "YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+hh:mm)"},
      {"0000-01-01", "ogiltigt datum: år 0000 finns inte (invalid date: there is no year 0000)"},
      {"2023-02-29", "ogiltigt datum: dagen finns inte i kalendern (invalid date: not a calendar day)"},
  };
  for (const auto& [text, expected] : cases) {
    auto r = Date::Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().text, expected);
  }
}

TEST(Date, TodayIsTheUtcDayOfTheSystemClock) {
  const long long before = static_cast<long long>(std::time(nullptr)) / 86400;
  const Date today = Date::Today();
  const long long after = static_cast<long long>(std::time(nullptr)) / 86400;
  EXPECT_GE(today.days(), before);  // before/after: the test may run across midnight UTC
  EXPECT_LE(today.days(), after);
  EXPECT_GE(today, D(2024, 1, 1));
}

TEST(Date, AddYearsKeepsMonthAndDay) {
  EXPECT_EQ(D(2023, 6, 15).AddYears(1), D(2024, 6, 15));
  EXPECT_EQ(D(2023, 6, 15).AddYears(-1), D(2022, 6, 15));
  EXPECT_EQ(D(2023, 12, 31).AddYears(-10), D(2013, 12, 31));
  EXPECT_EQ(D(2023, 6, 15).AddYears(0), D(2023, 6, 15));
}

TEST(Date, AddYearsMovesLeapDayToFebruary28InCommonYears) {
  EXPECT_EQ(D(2024, 2, 29).AddYears(1), D(2025, 2, 28));
  EXPECT_EQ(D(2024, 2, 29).AddYears(-1), D(2023, 2, 28));
  EXPECT_EQ(D(2024, 2, 29).AddYears(4), D(2028, 2, 29));
  EXPECT_EQ(D(2000, 2, 29).AddYears(100), D(2100, 2, 28));
}

TEST(Date, AddDaysCrossesMonthAndYear) {
  EXPECT_EQ(D(2023, 12, 31).AddDays(1), D(2024, 1, 1));
  EXPECT_EQ(D(2024, 3, 1).AddDays(-1), D(2024, 2, 29));
}

TEST(Period, IsHalfOpenSoAnEndingAndAStartOnTheSameDayDoNotOverlap) {
  // docs/api.md §4 rule 1: old period.end = new period.start; on that day only the new one runs.
  const Period old_listing{D(2023, 1, 1), D(2024, 3, 1)};
  const Period new_listing{D(2024, 3, 1), std::nullopt};
  EXPECT_FALSE(old_listing.Overlaps(new_listing));
  EXPECT_FALSE(new_listing.Overlaps(old_listing));
  EXPECT_TRUE(old_listing.Contains(D(2024, 2, 29)));
  EXPECT_FALSE(old_listing.Contains(D(2024, 3, 1)));
  EXPECT_TRUE(new_listing.Contains(D(2024, 3, 1)));
}

TEST(Period, OpenPeriodsOverlapEverythingAfterTheirStart) {
  const Period open{D(2023, 1, 1), std::nullopt};
  EXPECT_TRUE(open.Overlaps(Period{D(2030, 1, 1), D(2030, 1, 2)}));
  EXPECT_TRUE(open.Overlaps(Period{D(2022, 1, 1), std::nullopt}));
  EXPECT_FALSE(open.Overlaps(Period{D(2022, 1, 1), D(2023, 1, 1)}));
  EXPECT_TRUE(open.Overlaps(Period{D(2022, 1, 1), D(2023, 1, 2)}));
}

TEST(DefaultListCapacity, IsElevenHundredPerFullTimeRounded) {
  // ÖK 2021: 1100 listed per full-time GP.
  EXPECT_EQ(DefaultListCapacity(1.0), 1100);
  EXPECT_EQ(DefaultListCapacity(0.5), 550);
  EXPECT_EQ(DefaultListCapacity(0.75), 825);
  EXPECT_EQ(DefaultListCapacity(0.333), 366);  // 366.3
  EXPECT_EQ(DefaultListCapacity(0.3335), 367);  // 366.85
  EXPECT_EQ(DefaultListCapacity(0.0005), 1);    // 0.55 rounds up
}

}  // namespace
}  // namespace nara
