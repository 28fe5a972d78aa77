// SearchQuery: a parsed FHIR search, independent of HTTP and SQL. fhir/ builds it from the
// query string (knowing each parameter's type); the store adapter turns it into SQL.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nara {

enum class SearchKind {
  id,            // _id
  token,         // system|code on IndexEntries::tokens
  text,          // string parameter on IndexEntries::texts (prefix match unless exact/contains)
  reference,     // Type/id on IndexEntries::references
  last_updated,  // _lastUpdated on the version timestamp
  period,        // a date parameter over IndexEntries::periods: the stored period vs the searched range
  // Patient?general-practitioner, from the registry's own tables: patients whose fast läkarkontakt is
  // the PractitionerRole `value` (target_type "PractitionerRole"), or who are listed at the unit
  // `value` ("Organization"), or either ("" for a bare id), in force on the date range_start
  // (YYYY-MM-DD). Values OR.
  general_practitioner,
};

// sa: starts after the searched range; eb: ends before it (FHIR R4 3.1.1.4.6).
enum class DatePrefix { eq, ne, lt, gt, le, ge, sa, eb };

struct SearchValue {
  std::optional<std::string> system;  // token: nullopt = any system; "" = no system
  std::string value;                  // token code, text (case-folded unless :exact), id, or reference target id
  std::string target_type;            // reference: resource type of the target (may be empty)
  DatePrefix prefix = DatePrefix::eq; // last_updated
  std::string range_start;            // last_updated: [range_start, range_end) in RFC 3339 UTC
  std::string range_end;
};

struct SearchCriterion {
  SearchKind kind = SearchKind::token;
  std::string param;
  std::string modifier;             // "", "exact", "contains", "missing", "not" (token: none of the values)
  bool missing = false;             // with modifier "missing": true = must have no value
  std::vector<SearchValue> any_of;  // OR-ed values (comma in FHIR)
  // Chaining, one level (`subject:Patient.identifier=…`): `param` is a reference parameter and one of
  // its targets, a live resource of `chain_type`, matches chain[0]. Empty: no chain.
  std::string chain_type;
  std::vector<SearchCriterion> chain;
};

// The result order. Every order ends with the id, so it is total and a position in it (a cursor)
// names one place between two rows.
enum class SortKey {
  id,            // the default: ids never change, so paging by id is stable under concurrent writes
  last_updated,  // meta.lastUpdated (changes on every write)
  period_start,  // the start of a date parameter's period (a missing period sorts last in either direction)
  text,          // a string parameter: the first of its values in Swedish alphabetical order (a resource
                 // without one sorts last in either direction)
};

struct SearchSort {
  SortKey key = SortKey::id;
  bool descending = false;
  std::string param;  // period_start, text: the parameter whose values are the key
};

// Keyset paging: the page holds the rows strictly after (or, `before`, strictly before) this
// position in the query's order. `key` is the sort key as the store reported it (SearchPage::
// first_key/last_key): empty for id order; an RFC 3339 instant or ±infinity for last_updated and
// period_start; for text "=" and the value, or empty for a resource without one. `id` the row's id.
struct SearchCursor {
  std::string key;
  std::string id;
  bool before = false;
};

// _include (`source_type` = the searched type: the resources the matches' `param` references point
// at) or _revinclude (resources of `source_type` whose `param` points at a match).
// `target_type`: only targets of this type ("" = any).
struct IncludeSpec {
  std::string source_type;
  std::string param;
  std::string target_type;
};

struct SearchQuery {
  std::string type;
  std::vector<SearchCriterion> criteria;  // AND-ed
  int count = 50;
  int offset = 0;
  bool want_total = true;
  SearchSort sort;
  std::optional<SearchCursor> cursor;
  std::vector<IncludeSpec> includes;
  std::vector<IncludeSpec> revincludes;
  // The most resources includes may add to one page; beyond it SearchPage::included_truncated.
  int max_included = 1000;
};

// A search by one identifier (token system|value): person and unit look-ups by personnummer or
// HSA-id. want_total is off: callers look at what is found.
inline SearchQuery IdentifierSearch(std::string type, std::string system, std::string value, int count) {
  SearchQuery query;
  query.type = std::move(type);
  query.count = count;
  query.want_total = false;
  SearchCriterion criterion;
  criterion.kind = SearchKind::token;
  criterion.param = "identifier";
  SearchValue one;
  one.system = std::move(system);
  one.value = std::move(value);
  criterion.any_of.push_back(std::move(one));
  query.criteria.push_back(std::move(criterion));
  return query;
}

}  // namespace nara
