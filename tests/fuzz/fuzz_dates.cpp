// Fuzz target: the date parsers — registry Date (registry/date.h) and FHIR date search values
// (fhir/search/date_param.h). An accepted date prints and parses back to itself; a search range is never
// empty or reversed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/search/date_param.h"
#include "registry/date.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Both ends are RFC 3339 UTC with milliseconds (24 characters), except the end 10000-01-01T00:00:00.000Z.
void CheckRange(const nara::fhir::DateRange& range) {
  NARA_FUZZ_CHECK(range.start.size() == 24);
  NARA_FUZZ_CHECK(range.end.size() == 24 || range.end.rfind("10000-01-01T", 0) == 0);
  NARA_FUZZ_CHECK(range.end.size() == 25 || range.start < range.end);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto date = nara::Date::Parse(text)) {
    auto again = nara::Date::Parse(date->ToString());
    NARA_FUZZ_CHECK(again && *again == *date);
  }
  if (auto range = nara::fhir::ParseDateRange(text)) CheckRange(*range);
  if (auto value = nara::fhir::ParseDateSearchValue(text)) CheckRange(value->second);
  return 0;
}
