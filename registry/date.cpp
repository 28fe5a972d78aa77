#include "registry/date.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace nara {
namespace {

// Bounds well inside what days_from_civil can compute in an int; registry dates are far narrower.
constexpr int kMinYear = -999999;
constexpr int kMaxYear = 999999;

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms": days_from_civil.
int DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);                // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;    // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              // [0, 146096]
  return era * 146097 + static_cast<int>(doe) - 719468;
}

struct Civil {
  int year;
  int month;
  int day;
};

// Howard Hinnant: civil_from_days, the inverse of DaysFromCivil.
Civil CivilFromDays(int z) {
  z += 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);                // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int y = static_cast<int>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                       // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;               // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                  // [1, 12]
  return {y + (m <= 2), static_cast<int>(m), static_cast<int>(d)};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `count` digits at `pos`; false if any is not a digit or the text is too short.
bool ReadNumber(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int n = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    n = n * 10 + (text[i] - '0');
  }
  *out = n;
  return true;
}

// The time part of a FHIR dateTime after the 'T': hh:mm:ss[.f+](Z|±hh:mm). FHIR requires the zone
// whenever a time is given, so a time without one is malformed, not local time.
bool IsFhirTime(std::string_view t) {
  int hh = 0, mm = 0, ss = 0;
  if (!ReadNumber(t, 0, 2, &hh) || !ReadNumber(t, 3, 2, &mm) || !ReadNumber(t, 6, 2, &ss)) return false;
  if (t[2] != ':' || t[5] != ':' || hh > 23 || mm > 59 || ss > 60) return false;  // 60: leap second
  size_t pos = 8;
  if (pos < t.size() && t[pos] == '.') {
    const size_t first = ++pos;
    while (pos < t.size() && IsDigit(t[pos])) ++pos;
    if (pos == first) return false;
  }
  std::string_view zone = t.substr(pos);
  if (zone == "Z") return true;
  int zh = 0, zm = 0;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
         ReadNumber(zone, 1, 2, &zh) && ReadNumber(zone, 4, 2, &zm) && zm <= 59 &&
         (zh < 14 || (zh == 14 && zm == 0));
}

// The input is not echoed: a mistyped field could hold a personnummer, which no error text may carry.
// `sv` and `en` say the same: Swedish first, English after in parentheses.
Error InvalidDate(const char* sv, const char* en) {
  return Error::Invalid("value", std::string("ogiltigt datum: ") + sv + " (invalid date: " + en + ")");
}

}  // namespace

std::optional<Date> Date::FromCivil(int year, int month, int day) {
  if (year < kMinYear || year > kMaxYear || month < 1 || month > 12) return std::nullopt;
  if (day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  return FromDays(DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)));
}

Result<Date> Date::Parse(std::string_view text) {
  // A date is exactly YYYY-MM-DD (FHIR date, full precision); a longer value must be a dateTime,
  // whose date is taken as written: the registry's periods are civil dates, not instants.
  int year = 0, month = 0, day = 0;
  if (!ReadNumber(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ReadNumber(text, 5, 2, &month) || text[7] != '-' || !ReadNumber(text, 8, 2, &day)) {
    return InvalidDate("väntade YYYY-MM-DD", "expected YYYY-MM-DD");
  }
  if (text.size() > 10 && (text[10] != 'T' || !IsFhirTime(text.substr(11)))) {
    return InvalidDate("väntade YYYY-MM-DD eller YYYY-MM-DDThh:mm:ss+hh:mm",
                       "expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+hh:mm");
  }
  if (year == 0) return InvalidDate("år 0000 finns inte", "there is no year 0000");
  auto date = FromCivil(year, month, day);
  if (!date) return InvalidDate("dagen finns inte i kalendern", "not a calendar day");
  return *date;
}

Date Date::Today() {
  using std::chrono::system_clock;
  // system_clock counts from 1970-01-01 00:00 UTC; floor so an instant before the epoch stays on its day.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           system_clock::now().time_since_epoch()).count();
  constexpr long long kSecondsPerDay = 86400;
  long long days = seconds / kSecondsPerDay;
  if (seconds % kSecondsPerDay < 0) --days;
  return FromDays(static_cast<int>(days));
}

std::string Date::ToString() const {
  const Civil c = CivilFromDays(days_);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buffer;
}

int Date::year() const { return CivilFromDays(days_).year; }

Date Date::AddYears(int n) const {
  const Civil c = CivilFromDays(days_);
  const int year = c.year + n;
  // 29 February has no counterpart in a common year: take the last day of February, so the twelve
  // months before 2024-02-29 begin on 2023-02-28 (date.h; the window of docs/api.md §4 rule 7).
  const int day = (c.month == 2 && c.day == 29 && !IsLeapYear(year)) ? 28 : c.day;
  return FromDays(DaysFromCivil(year, static_cast<unsigned>(c.month), static_cast<unsigned>(day)));
}

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace nara
