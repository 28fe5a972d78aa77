// Search parameter parsing: the decoded query string of `GET /fhir/{type}?...` becomes a SearchQuery
// the store can run, or an error a client can act on (docs/api.md section 1, "Search results").
//
// Invariants of a ParsedSearch: every criterion names a parameter of the type's table with a modifier
// its parameter type supports; 0 <= count <= 1000; nothing a client sent is silently dropped: it is
// applied (and in `canonical`), refused with an error, skipped because FHIR says so (an empty value,
// `_format`, `_pretty`), or listed in `ignored` (lenient handling only).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fhir/resources/resource_types.h"
#include "registry/result.h"
#include "registry/search_query.h"

namespace nara::fhir {

inline constexpr int kDefaultCount = 50;
inline constexpr int kMaxCount = 1000;
// A doctor's or a unit's list (Patient?general-practitioner) may come whole in one page: bounded by
// the list's capacity (about 1 100 a full-time doctor), not by the size of the registry.
inline constexpr int kMaxListCount = 5000;
// The most values (OR-ed values and :missing tests, over all criteria) one search may carry: each
// becomes up to three SQL bind parameters, and PostgreSQL takes at most 65535.
inline constexpr size_t kMaxSearchValues = 1000;
// The most _include and _revinclude parameters one search may carry (each is one more query).
inline constexpr size_t kMaxIncludeSpecs = 20;
// The most resources _include/_revinclude add to one page (beyond it: a warning in the outcome).
inline constexpr int kMaxIncluded = 1000;

struct ParsedSearch {
  SearchQuery query;               // type, criteria, count, offset, want_total, sort
  bool summary_count = false;      // _summary=count: total only, no entries
  std::vector<std::string> ignored;  // names (as sent, with modifier) ignored under lenient handling,
                                     // once each, cleaned for display (at most ~100 bytes, valid UTF-8)
  // The parameters applied, as (name[:modifier], decoded value) in request order, for the self and
  // next links: criteria, `_count` (always, the effective count), `_sort` and `_total` when given,
  // `_summary=count`. Never `_offset` (the link adds its own), `_format` or `_pretty` (the router's).
  std::vector<std::pair<std::string, std::string>> canonical;
  std::string cursor;                 // _cursor as sent (opaque; fhir/search/search_cursor.h decodes it)
  std::vector<std::string> elements;  // _elements: top-level element names to keep ("" = all)
};

// Beyond FHIR's basic types: chaining one level (`subject:Patient.identifier=…`, `patient.name=…`;
// the target type comes from the modifier or the parameter's only target), `:not` on tokens,
// `_sort` (one key: `_id`, `_lastUpdated`, `date` where the type has one; `-` descending),
// `_include`/`_revinclude` (`Type:param[:Target]`, reference parameters), `_elements`, `_cursor`.
// An unsupported `_include`, `_revinclude`, `_sort` or chain is refused under strict handling and
// listed in `ignored` otherwise.
//
// `params`: URL-decoded (name, value) pairs in request order; a repeated name is AND.
// `strict`: `Prefer: handling=strict` — an unknown or unsupported parameter (or an unsupported
// `_sort`/`_summary` value) is an error instead of being ignored.
// Errors (all ErrorKind::invalid, so 400): detail code "not-supported" for what strict handling
// refuses, "too-costly" beyond kMaxSearchValues, "invalid" for everything malformed (bad integers,
// modifiers, ids, dates, tokens), whatever the handling. Error texts never repeat a value a client
// searched for (it may be a personnummer) except a malformed date (at most 40 printable ASCII
// characters), and quote at most ~100 bytes of a parameter name, cleaned to printable UTF-8.
// max_count: the largest _count honoured (a larger one is reduced to it).
Result<ParsedSearch> ParseSearch(const ResourceTypeDef& type,
                                 const std::vector<std::pair<std::string, std::string>>& params, bool strict,
                                 int max_count = kMaxCount);

// Errors about a result or paging parameter, shared with the AuditEvent search; `name` as it is to be
// shown (quoted or not).
Error ParamTakesNoModifier(const std::string& name);
Error ParamGivenTwice(const std::string& name);
Error ParamNotWholeNumber(const std::string& name);

}  // namespace nara::fhir
