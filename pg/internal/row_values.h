// The search values a type keeps on its current row instead of in the index tables
// (schema/0022_row_search_values.sql): its one status token and its one period. A change of listing
// finishes an episode and ends a care team, and their status and period are what changes: as index
// rows each such version deleted and wrote two rows, as columns they ride on the current row's update
// (bench/RESULTS.md, fifteenth round). Internal to pg: the writers (the write statements, the import,
// the reindex) split a version's values with SplitIndexOf, and the search reads the columns where
// they describe the current version (RowValuesCurrentSql) and the index rows elsewhere.
#pragma once

#include <optional>
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
// (`upgrade.status-index-rows`, docs/deployment.md section 9). The entries are copied only when
// values are taken out of them (every write and every imported line splits; most keep all).
class SplitIndex {
 public:
  explicit SplitIndex(const IndexEntries& index) : index_(&index) {}
  const IndexEntries& rows() const { return trimmed_ ? *trimmed_ : *index_; }  // for the index tables
  RowValues row;

 private:
  friend SplitIndex SplitIndexOf(std::string_view, const IndexEntries&, bool);
  const IndexEntries* index_;  // the caller's, which must outlive the split
  std::optional<IndexEntries> trimmed_;
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

// SQL for a FROM clause: the owner's row token as a source `t` of columns (system, code), or its row
// period as a source `p` of column (period), with the columns of the index table of the same alias in
// pg/internal/search_sql.cpp; no row when the resource has none.
std::string RowTokenSource(const std::string& owner);
std::string RowPeriodSource(const std::string& owner);

}  // namespace nara::pg
