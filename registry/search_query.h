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
};

enum class DatePrefix { eq, ne, lt, gt, le, ge };

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
  std::string modifier;             // "", "exact", "contains", "missing"
  bool missing = false;             // with modifier "missing": true = must have no value
  std::vector<SearchValue> any_of;  // OR-ed values (comma in FHIR)
};

struct SearchQuery {
  std::string type;
  std::vector<SearchCriterion> criteria;  // AND-ed
  int count = 50;
  int offset = 0;
  bool want_total = true;
  bool sort_last_updated_desc = false;    // _sort=-_lastUpdated; default is _lastUpdated ascending by id
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
