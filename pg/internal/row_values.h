// The search values a type keeps on its current row instead of in the index tables
// (schema/0022_row_search_values.sql): its one status token and its one period. A change of listing
// finishes an episode and ends a care team, and their status and period are what changes: as index
// rows each such version deleted and wrote two rows, as columns they ride on the current row's update
// (bench/RESULTS.md, fifteenth round). Internal to pg: the writers (the write statements, the import,
// the reindex) split a version's values with SplitIndexOf, and the search reads the columns where
// they describe the current version (RowValuesCurrentSql) and the index rows elsewhere.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "registry/resource_store.h"

namespace nara::pg {

// Whether `param` of `type` is its row token / row period (EpisodeOfCare and CareTeam: status, date).
bool IsRowToken(std::string_view type, std::string_view param);
bool IsRowPeriod(std::string_view type, std::string_view param);

// The row values of a version. on_row false: the type keeps none on its row (or a row parameter came
// with more than one value, which the indexers never make: then they all stay index rows).
struct RowValues {
  bool on_row = false;
  std::string token_system, token_code;  // code "": no status
  std::string period_start, period_end;  // as IndexEntries::PeriodRange; both "": no period
};

// A version's index entries without its row values, and those. also_as_index_rows: the row values
// stay among the index entries too, for the nodes of a release before them while they roll
// (`upgrade.status-index-rows`, docs/deployment.md section 9).
struct SplitIndex {
  IndexEntries rows;  // for the index tables
  RowValues row;
};
SplitIndex SplitIndexOf(std::string_view type, const IndexEntries& index, bool also_as_index_rows = false);

// The row values as five text parameters of a write statement, in the order RowValueExpressions
// reads them: system, code, period start, period end, and the version they describe ("" when not on
// the row).
void AppendRowValueParams(const RowValues& row, int version, std::vector<std::string>& params);

// The columns of resource_current that hold them, and the SQL of their values from those five
// parameters, the first being $first, in the same order.
constexpr const char* kRowValueColumns[] = {"row_token_system", "row_token_code", "row_period", "row_values_version"};
std::vector<std::string> RowValueExpressions(int first);

// SQL: whether the row values of resource_current `owner` describe its current version.
std::string RowValuesCurrentSql(const std::string& owner);

}  // namespace nara::pg
