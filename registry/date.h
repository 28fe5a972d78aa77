// Date: a civil date (no time, no zone) as days since 1970-01-01, the unit registry periods are
// kept in. Period: a half-open range [start, end) of dates; no end = open (still running).
// A change of listing ends the old period on the day the new one starts, so on any date exactly
// one of them contains it (docs/api.md section 4 rule 1).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/result.h"

namespace nara {

class Date {
 public:
  Date() = default;
  static Date FromDays(int days) { Date d; d.days_ = days; return d; }
  static std::optional<Date> FromCivil(int year, int month, int day);  // nullopt for an impossible date
  // "YYYY-MM-DD", or the date part of a FHIR dateTime "YYYY-MM-DDThh:mm:ss…" (as written, no zone shift).
  static Result<Date> Parse(std::string_view text);
  static Date Today();  // in UTC

  int days() const { return days_; }
  std::string ToString() const;  // YYYY-MM-DD
  int year() const;
  Date AddDays(int n) const { return FromDays(days_ + n); }
  Date AddYears(int n) const;   // same month/day, Feb 29 → Feb 28 when needed

  friend bool operator==(Date a, Date b) { return a.days_ == b.days_; }
  friend bool operator!=(Date a, Date b) { return a.days_ != b.days_; }
  friend bool operator<(Date a, Date b) { return a.days_ < b.days_; }
  friend bool operator<=(Date a, Date b) { return a.days_ <= b.days_; }
  friend bool operator>(Date a, Date b) { return a.days_ > b.days_; }
  friend bool operator>=(Date a, Date b) { return a.days_ >= b.days_; }

 private:
  int days_ = 0;
};

struct Period {
  Date start;
  std::optional<Date> end;  // exclusive; nullopt = open

  bool Contains(Date d) const { return start <= d && (!end || d < *end); }
  bool Overlaps(const Period& other) const {
    return (!other.end || start < *other.end) && (!end || other.start < *end);
  }
};

// The current instant as RFC 3339 UTC with milliseconds (2026-11-23T10:00:00.123Z): meta.lastUpdated.
std::string NowRfc3339();

}  // namespace nara
