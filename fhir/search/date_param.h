// Date search values (FHIR R4 "date" search parameter type): a date or dateTime at the precision it
// was written denotes a range of instants, and a prefix compares the stored instant with that range.
//
// Invariants of a DateRange: start < end, both RFC 3339 UTC with milliseconds
// ("YYYY-MM-DDThh:mm:ss.fffZ"), the range half-open [start, end), start from 0001-01-01 and end at
// most 10000-01-01 (the only five-digit year that can occur, as the end of the year 9999).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "registry/result.h"
#include "registry/search_query.h"

namespace nara::fhir {

struct DateRange {
  std::string start;  // inclusive
  std::string end;    // exclusive
};

// Accepted: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.f{1,9}]][Z|±hh:mm]. The range spans
// the precision given: 2026 is the year, 2026-02 the month, 10:00 the minute, 10:00:00.1 a tenth
// of a second. A dateTime with a time MUST carry a timezone in FHIR, but a missing one is taken
// as UTC, as is a date without time (the registry has no local calendar to guess). More than three
// fraction digits are cut to the millisecond (the range then covers that millisecond).
// Dates must be real (2023-02-29 is not); seconds may be 60 (a leap second, as FHIR's regex allows).
// Errors: Error::Invalid("invalid", ...) naming the expected form.
Result<DateRange> ParseDateRange(std::string_view text);

// A date search value: an optional two-letter prefix (eq ne lt gt le ge sa eb; none = eq) and a date.
// The prefix ap is valid FHIR but not supported: Error::Invalid("not-supported", ...).
Result<std::pair<DatePrefix, DateRange>> ParseDateSearchValue(std::string_view text);

}  // namespace nara::fhir
