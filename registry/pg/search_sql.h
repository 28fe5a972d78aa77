// Translation of a SearchQuery into one parameterised SQL WHERE clause over resource_current (alias c).
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

// Escapes % _ and \ for a LIKE pattern (with the default escape character \).
std::string EscapeLike(const std::string& text);

}  // namespace nara::pg
