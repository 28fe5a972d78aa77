#include "fhir/search/date_param.h"

#include <cstdint>
#include <cstdio>
#include <ctime>

namespace nara::fhir {
namespace {

constexpr size_t kMaxDateLength = 64;  // the longest valid form is 35 characters
constexpr size_t kMaxEcho = 40;

// The input in an error text only when it is short printable ASCII: a date never needs more, and
// anything else could be noise that does not belong in an OperationOutcome.
std::string Echo(std::string_view text) {
  if (text.size() > kMaxEcho) return "";
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return "";
  }
  return " '" + std::string(text) + "'";
}

// Swedish first, English after in parentheses (docs/api.md): `sv` and `en` say the same.
Error InvalidDate(std::string_view text, const std::string& sv, const std::string& en) {
  return Error::Invalid("invalid",
                        "ogiltigt datum" + Echo(text) + ": " + sv + " (Invalid date" + Echo(text) + ": " + en + ")");
}

const char* const kFormSv = "väntade YYYY, YYYY-MM, YYYY-MM-DD eller YYYY-MM-DDThh:mm[:ss[.fff]] med Z eller ±hh:mm";
const char* const kForm =
    "expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]] with Z or ±hh:mm";

enum class Precision { year, month, day, minute, second, fraction };

// Reads exactly `n` ASCII digits at `pos` (no sign, no space: strtol/sscanf would allow both).
bool ReadDigits(std::string_view text, size_t& pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  out = value;
  return true;
}

bool ReadChar(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// Seconds since the epoch of 00:00 UTC on a date; false when the date does not exist (timegm
// normalises 2023-02-29 to 2023-03-01, so a round trip through gmtime_r tells).
bool DayStart(int year, int month, int day, int64_t& seconds) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  const std::time_t t = timegm(&tm);
  std::tm back{};
  if (gmtime_r(&t, &back) == nullptr) return false;
  if (back.tm_year != year - 1900 || back.tm_mon != month - 1 || back.tm_mday != day) return false;
  seconds = static_cast<int64_t>(t);
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

std::string FormatMillis(int64_t millis) {
  const int64_t seconds = FloorDiv(millis, 1000);
  const int ms = static_cast<int>(millis - seconds * 1000);
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buffer;
}

}  // namespace

Result<DateRange> ParseDateRange(std::string_view text) {
  if (text.empty()) return InvalidDate(text, "tomt värde", "empty value");
  if (text.size() > kMaxDateLength) return InvalidDate(text, "för långt", "too long");

  size_t pos = 0;
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int fraction_digits = 0;
  int64_t fraction_ms = 0;  // the fraction truncated to milliseconds
  int offset_minutes = 0;
  Precision precision = Precision::year;

  if (!ReadDigits(text, pos, 4, year)) return InvalidDate(text, kFormSv, kForm);
  if (pos < text.size()) {
    if (!ReadChar(text, pos, '-') || !ReadDigits(text, pos, 2, month)) return InvalidDate(text, kFormSv, kForm);
    precision = Precision::month;
  }
  if (pos < text.size()) {
    if (!ReadChar(text, pos, '-') || !ReadDigits(text, pos, 2, day)) return InvalidDate(text, kFormSv, kForm);
    precision = Precision::day;
  }
  if (pos < text.size()) {
    if (!ReadChar(text, pos, 'T') || !ReadDigits(text, pos, 2, hour) || !ReadChar(text, pos, ':') ||
        !ReadDigits(text, pos, 2, minute)) {
      return InvalidDate(text, kFormSv, kForm);
    }
    precision = Precision::minute;
    if (ReadChar(text, pos, ':')) {
      if (!ReadDigits(text, pos, 2, second)) return InvalidDate(text, kFormSv, kForm);
      precision = Precision::second;
      if (ReadChar(text, pos, '.')) {
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (fraction_digits < 3) fraction_ms = fraction_ms * 10 + (text[pos] - '0');
          ++fraction_digits;
          ++pos;
        }
        if (fraction_digits == 0 || fraction_digits > 9) {
          return InvalidDate(text, "sekunddelen ska ha 1 till 9 siffror",
                             "the fraction of a second takes 1 to 9 digits");
        }
        for (int i = fraction_digits; i < 3; ++i) fraction_ms *= 10;
        precision = Precision::fraction;
      }
    }
    if (ReadChar(text, pos, 'Z')) {
      // UTC
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int tz_hour = 0, tz_minute = 0;
      if (!ReadDigits(text, pos, 2, tz_hour) || !ReadChar(text, pos, ':') || !ReadDigits(text, pos, 2, tz_minute)) {
        return InvalidDate(text, "tidszonen måste vara Z eller ±hh:mm", "timezone must be Z or ±hh:mm");
      }
      // FHIR's dateTime regex: offsets from -14:00 to +14:00.
      if (tz_minute > 59 || tz_hour > 14 || (tz_hour == 14 && tz_minute != 0)) {
        return InvalidDate(text, "tidszonens förskjutning är utanför tillåtet intervall",
                           "timezone offset out of range");
      }
      offset_minutes = sign * (tz_hour * 60 + tz_minute);
    }
    if (pos != text.size()) return InvalidDate(text, kFormSv, kForm);
  }

  // FHIR's regex has no year 0000 (and neither has PostgreSQL).
  if (year < 1) return InvalidDate(text, "året måste vara 0001 eller senare", "year must be 0001 or later");
  if (month < 1 || month > 12) return InvalidDate(text, "månaden måste vara 01 till 12", "month must be 01 to 12");
  if (hour > 23 || minute > 59 || second > 60)
    return InvalidDate(text, "klockslaget är utanför tillåtet intervall", "time out of range");
  int64_t day_start = 0;
  if (!DayStart(year, month, day, day_start))
    return InvalidDate(text, "dagen finns inte i kalendern", "no such day in the calendar");

  const int64_t start_seconds = day_start + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  const int64_t start = start_seconds * 1000 + fraction_ms;
  int64_t end = 0;
  switch (precision) {
    case Precision::year: {
      int64_t next = 0;
      if (!DayStart(year + 1, 1, 1, next)) return InvalidDate(text, kFormSv, kForm);
      end = next * 1000;
      break;
    }
    case Precision::month: {
      int64_t next = 0;
      const bool december = month == 12;
      if (!DayStart(december ? year + 1 : year, december ? 1 : month + 1, 1, next))
        return InvalidDate(text, kFormSv, kForm);
      end = next * 1000;
      break;
    }
    case Precision::day: end = start + int64_t{86400000}; break;
    case Precision::minute: end = start + 60000; break;
    case Precision::second: end = start + 1000; break;
    case Precision::fraction: {
      int64_t step = 1;  // milliseconds denoted by the last digit given (at least one)
      for (int i = fraction_digits; i < 3; ++i) step *= 10;
      end = start + step;
      break;
    }
  }

  int64_t first = 0, last = 0;
  if (!DayStart(1, 1, 1, first) || !DayStart(10000, 1, 1, last)) return InvalidDate(text, kFormSv, kForm);
  if (start < first * 1000) return InvalidDate(text, "före 0001-01-01T00:00:00Z", "before 0001-01-01T00:00:00Z");
  if (end > last * 1000) return InvalidDate(text, "efter 9999-12-31T23:59:59Z", "after 9999-12-31T23:59:59Z");
  return DateRange{FormatMillis(start), FormatMillis(end)};
}

Result<std::pair<DatePrefix, DateRange>> ParseDateSearchValue(std::string_view text) {
  DatePrefix prefix = DatePrefix::eq;
  if (text.size() >= 2 && text[0] >= 'a' && text[0] <= 'z' && text[1] >= 'a' && text[1] <= 'z') {
    const std::string_view p = text.substr(0, 2);
    if (p == "eq") {
      prefix = DatePrefix::eq;
    } else if (p == "ne") {
      prefix = DatePrefix::ne;
    } else if (p == "lt") {
      prefix = DatePrefix::lt;
    } else if (p == "gt") {
      prefix = DatePrefix::gt;
    } else if (p == "le") {
      prefix = DatePrefix::le;
    } else if (p == "ge") {
      prefix = DatePrefix::ge;
    } else if (p == "sa") {
      prefix = DatePrefix::sa;
    } else if (p == "eb") {
      prefix = DatePrefix::eb;
    } else if (p == "ap") {
      return Error::Invalid("not-supported",
                            "datumprefixet 'ap' stöds inte; använd eq, ne, lt, gt, le, ge, sa eller eb "
                            "(The date prefix 'ap' is not supported; use eq, ne, lt, gt, le, ge, sa or eb)");
    } else {
      return InvalidDate(text, "okänt prefix; väntade eq, ne, lt, gt, le, ge, sa eller eb",
                         "unknown prefix; expected eq, ne, lt, gt, le, ge, sa or eb");
    }
    text.remove_prefix(2);
  }
  auto range = ParseDateRange(text);
  if (!range) return range.error();
  return std::make_pair(prefix, std::move(range).value());
}

}  // namespace nara::fhir
