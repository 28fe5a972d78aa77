// Translation of a SearchQuery into parameterised SQL over resource_current (alias c).
// Values always travel as bind parameters, never spliced into SQL text.
#pragma once

#include <string>
#include <vector>

#include "registry/search_query.h"

namespace nara::pg {

class SqlParams {
 public:
  // Adds a bind value and returns its placeholder ($n).
  std::string Add(std::string value);
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

// "c.res_type = $1 AND NOT c.deleted AND ..." for the query's type and criteria.
std::string SearchWhereClause(const SearchQuery& query, SqlParams& params);

// One page of matches in the query's order: columns res_id, version, deleted, body, updated (RFC
// 3339) and sort_key (text: "" for id order; "=" and the value, or "" for none, for a text order; else
// the key as RFC 3339 with microseconds or "infinity"/"-infinity"), at most query.count + 1 rows after query.offset,
// after (or before) the query's cursor. A `before` page comes in reverse order: the caller turns it round. When
// TotalInPage(query), every row also carries `total`, the number of all matches (no row: no total).
std::string SearchPageSql(const SearchQuery& query, SqlParams& params);

// Whether the page query counts the matches itself: a total is wanted and a reference criterion
// names its targets, so the matches are the few (a doctor's list, a unit's listings) that the page
// query reads and sorts in full anyway. Otherwise (a type's every resource, a common token) the
// page stops early in index order and a count of its own is cheaper than a window over them all.
bool TotalInPage(const SearchQuery& query);

// The resources one include spec adds for the matches `ids` (of type match_type): columns res_type,
// res_id, version, deleted, body, updated; live only; ordered by type and id; at most `limit` rows.
std::string IncludeSql(const IncludeSpec& spec, bool reverse, const std::string& match_type,
                       const std::vector<std::string>& ids, int limit, SqlParams& params);

// Escapes % _ and \ for a LIKE pattern (with the default escape character \).
std::string EscapeLike(const std::string& text);

}  // namespace nara::pg
