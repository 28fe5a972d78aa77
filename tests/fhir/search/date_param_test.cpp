#include "fhir/search/date_param.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

void ExpectRange(std::string_view text, const std::string& start, const std::string& end) {
  auto range = ParseDateRange(text);
  ASSERT_TRUE(range.ok()) << text << ": " << range.error().text;
  EXPECT_EQ(range->start, start) << text;
  EXPECT_EQ(range->end, end) << text;
}

void ExpectInvalid(std::string_view text) {
  auto range = ParseDateRange(text);
  ASSERT_FALSE(range.ok()) << text << " parsed as [" << range->start << ", " << range->end << ")";
  EXPECT_EQ(range.error().kind, ErrorKind::invalid) << text;
  EXPECT_EQ(range.error().detail_code, "invalid") << text;
  EXPECT_FALSE(range.error().text.empty());
}

TEST(DateRange, YearCoversTheWholeYear) {
  ExpectRange("2026", "2026-01-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z");
}

TEST(DateRange, MonthCoversTheWholeMonth) {
  ExpectRange("2026-02", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z");
  ExpectRange("2026-12", "2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z");
}

TEST(DateRange, DayCoversTheWholeUtcDay) {
  ExpectRange("2026-01-01", "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z");
  ExpectRange("2026-12-31", "2026-12-31T00:00:00.000Z", "2027-01-01T00:00:00.000Z");
}

TEST(DateRange, LeapDayOnlyInLeapYears) {
  ExpectRange("2024-02-29", "2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z");
  ExpectRange("2000-02-29", "2000-02-29T00:00:00.000Z", "2000-03-01T00:00:00.000Z");  // divisible by 400
  ExpectInvalid("2023-02-29");
  ExpectInvalid("1900-02-29");  // divisible by 100, not by 400
  ExpectInvalid("2024-02-30");
  ExpectInvalid("2023-02-30");
  ExpectInvalid("2026-04-31");
  ExpectInvalid("2026-01-32");
  ExpectInvalid("2026-01-00");
}

TEST(DateRange, MinuteAndSecondPrecision) {
  ExpectRange("2026-01-01T10:00Z", "2026-01-01T10:00:00.000Z", "2026-01-01T10:01:00.000Z");
  ExpectRange("2026-01-01T10:00:00Z", "2026-01-01T10:00:00.000Z", "2026-01-01T10:00:01.000Z");
  ExpectRange("2026-01-01T23:59:59Z", "2026-01-01T23:59:59.000Z", "2026-01-02T00:00:00.000Z");
}

TEST(DateRange, TimezoneOffsetIsConvertedToUtc) {
  ExpectRange("2026-01-01T10:00:00+01:00", "2026-01-01T09:00:00.000Z", "2026-01-01T09:00:01.000Z");
  ExpectRange("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z", "2025-12-31T23:30:01.000Z");
  ExpectRange("2026-01-01T23:00:00-05:30", "2026-01-02T04:30:00.000Z", "2026-01-02T04:30:01.000Z");
  ExpectRange("2026-06-01T12:00+14:00", "2026-05-31T22:00:00.000Z", "2026-05-31T22:01:00.000Z");
}

TEST(DateRange, MissingTimezoneIsUtc) {
  ExpectRange("2026-01-01T10:00:00", "2026-01-01T10:00:00.000Z", "2026-01-01T10:00:01.000Z");
  ExpectRange("2026-01-01T10:00", "2026-01-01T10:00:00.000Z", "2026-01-01T10:01:00.000Z");
}

TEST(DateRange, FractionSetsThePrecision) {
  ExpectRange("2026-01-01T10:00:00.123Z", "2026-01-01T10:00:00.123Z", "2026-01-01T10:00:00.124Z");
  ExpectRange("2026-01-01T10:00:00.1Z", "2026-01-01T10:00:00.100Z", "2026-01-01T10:00:00.200Z");
  ExpectRange("2026-01-01T10:00:00.12Z", "2026-01-01T10:00:00.120Z", "2026-01-01T10:00:00.130Z");
  ExpectRange("2026-01-01T10:00:00.999Z", "2026-01-01T10:00:00.999Z", "2026-01-01T10:00:01.000Z");
  // Beyond milliseconds: cut to the millisecond that holds the instant.
  ExpectRange("2026-01-01T10:00:00.123456Z", "2026-01-01T10:00:00.123Z", "2026-01-01T10:00:00.124Z");
  ExpectRange("2026-01-01T10:00:00.123+02:00", "2026-01-01T08:00:00.123Z", "2026-01-01T08:00:00.124Z");
}

TEST(DateRange, LeapSecondAsFhirAllows) {
  ExpectRange("2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z", "2017-01-01T00:00:01.000Z");
}

TEST(DateRange, BoundsOfTheCalendar) {
  ExpectRange("0001", "0001-01-01T00:00:00.000Z", "0002-01-01T00:00:00.000Z");
  ExpectRange("9999", "9999-01-01T00:00:00.000Z", "10000-01-01T00:00:00.000Z");
  ExpectRange("9999-12", "9999-12-01T00:00:00.000Z", "10000-01-01T00:00:00.000Z");
  ExpectRange("1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500Z", "1969-12-31T23:59:59.600Z");
  ExpectInvalid("0000");
  ExpectInvalid("0001-01-01T00:30+01:00");  // before year 1 in UTC
  ExpectInvalid("9999-12-31T23:30-01:00");  // after year 9999 in UTC
}

TEST(DateRange, MalformedIsInvalid) {
  for (const char* text :
       {"", "26", "202", "20260", "2026-1", "2026-1-01", "2026-01-1", "2026/01/01", "2026-13", "2026-00",
        "2026-01-01T", "2026-01-01T10", "2026-01-01T10:0", "2026-01-01T24:00Z", "2026-01-01T10:60Z",
        "2026-01-01T10:00:61Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00.1234567890Z",
        "2026-01-01T10:00:00+1:00", "2026-01-01T10:00:00+0100", "2026-01-01T10:00:00+15:00",
        "2026-01-01T10:00:00+14:30", "2026-01-01T10:00:00+01:60", "2026-01-01T10:00:00ZZ",
        "2026-01-01T10:00:00 ", " 2026", "2026-01-01Z", "2026Z", "2026-01-01t10:00Z", "+2026", "-2026",
        "２０２６", "2026-01-01T10:00.5Z", "abcd"}) {
    ExpectInvalid(text);
  }
}

TEST(DateRange, HugeAndOddInputIsRefusedWithoutEcho) {
  const std::string huge(100000, '9');
  auto range = ParseDateRange(huge);
  ASSERT_FALSE(range.ok());
  EXPECT_LT(range.error().text.size(), 200u);
  auto odd = ParseDateRange(std::string("2026-\xff\x00-01", 10));
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().text.find('\xff'), std::string::npos);
}

TEST(DateRange, ErrorNamesTheShortInput) {
  auto range = ParseDateRange("2023-02-29");
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.error().text.find("2023-02-29"), std::string::npos);
}

TEST(DateSearchValue, NoPrefixMeansEq) {
  auto v = ParseDateSearchValue("2026-01-01");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first, DatePrefix::eq);
  EXPECT_EQ(v->second.start, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(v->second.end, "2026-01-02T00:00:00.000Z");
}

TEST(DateSearchValue, EachSupportedPrefix) {
  const std::pair<const char*, DatePrefix> cases[] = {{"eq", DatePrefix::eq}, {"ne", DatePrefix::ne},
                                                      {"lt", DatePrefix::lt}, {"gt", DatePrefix::gt},
                                                      {"le", DatePrefix::le}, {"ge", DatePrefix::ge}};
  for (const auto& [prefix, expected] : cases) {
    auto v = ParseDateSearchValue(std::string(prefix) + "2026-01-01");
    ASSERT_TRUE(v.ok()) << prefix;
    EXPECT_EQ(v->first, expected) << prefix;
    EXPECT_EQ(v->second.start, "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(v->second.end, "2026-01-02T00:00:00.000Z");
  }
}

TEST(DateSearchValue, PrefixWithDateTime) {
  auto v = ParseDateSearchValue("lt2026-01-01T10:00:00+01:00");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first, DatePrefix::lt);
  EXPECT_EQ(v->second.start, "2026-01-01T09:00:00.000Z");
}

TEST(DateSearchValue, StartsAfterAndEndsBefore) {
  auto sa = ParseDateSearchValue("sa2026-01-01");
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->first, DatePrefix::sa);
  EXPECT_EQ(sa->second.end, "2026-01-02T00:00:00.000Z");
  auto eb = ParseDateSearchValue("eb2026");
  ASSERT_TRUE(eb.ok());
  EXPECT_EQ(eb->first, DatePrefix::eb);
  EXPECT_EQ(eb->second.start, "2026-01-01T00:00:00.000Z");
}

TEST(DateSearchValue, UnsupportedPrefixesAreNotSupported) {
  for (const char* text : {"ap2026"}) {
    auto v = ParseDateSearchValue(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().kind, ErrorKind::invalid);
    EXPECT_EQ(v.error().detail_code, "not-supported") << text;
  }
}

TEST(DateSearchValue, UnknownOrMalformedPrefixIsInvalid) {
  for (const char* text : {"xx2026", "GE2026", "g2026", "ge", "gege2026", "ge 2026", "eq2023-02-29", ""}) {
    auto v = ParseDateSearchValue(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().detail_code, "invalid") << text;
  }
}

// Swedish first, English after in parentheses (docs/api.md, "Errors"): one bad value per error site.
TEST(DateParam, EveryErrorTextIsSwedishThenEnglishInParentheses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "ogiltigt datum '': tomt värde (Invalid date '': empty value)"},
      {std::string(70, '1'), "ogiltigt datum: för långt (Invalid date: too long)"},
      {"20x6",
       "ogiltigt datum '20x6': väntade YYYY, YYYY-MM, YYYY-MM-DD eller YYYY-MM-DDThh:mm[:ss[.fff]] med Z eller "
       "±hh:mm (Invalid date '20x6': expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]] with Z "
       "or ±hh:mm)"},
      {"2026-01-01T10:00:00.Z", ""},
      {"2026-01-01T10:00:00X", ""},
      {"2026-01-01T10:00:00+25:00", ""},
      {"0000",
       "ogiltigt datum '0000': året måste vara 0001 eller senare (Invalid date '0000': year must be 0001 or "
       "later)"},
      {"2026-13", ""},
      {"2026-01-01T24:00:00Z", ""},
      {"2026-02-30",
       "ogiltigt datum '2026-02-30': dagen finns inte i kalendern (Invalid date '2026-02-30': no such "
       "day in the calendar)"},
      {"0001-01-01T00:00:00+01:00", ""},
      {"9999-12-31T23:59:59-01:00", ""},
  };
  for (const auto& [text, expected] : cases) {
    auto range = ParseDateRange(text);
    ASSERT_FALSE(range.ok()) << text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(range.error().text)) << text;
    if (!expected.empty()) {
      EXPECT_EQ(range.error().text, expected);
    }
  }
  for (const char* text : {"ap2026", "xx2026"}) {
    auto value = ParseDateSearchValue(text);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(value.error().text)) << text;
  }
}

}  // namespace
}  // namespace nara::fhir
