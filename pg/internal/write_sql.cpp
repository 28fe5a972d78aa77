#include "pg/internal/write_sql.h"

#include <iterator>
#include <optional>
#include <vector>

#include "pg/internal/row_values.h"

namespace nara::pg {
namespace {

// Write statements' row values (pg/internal/row_values.h) are $7 to $11 (after type, id, version,
// lastUpdated, body, digests) and their index values start at $12; a reindex's row values are $5 to $9
// (after type, id, version, digests), its index values from $10.
constexpr int kWriteRowValues = 7;
constexpr int kWriteFirstValue = 12;
constexpr int kReindexRowValues = 5;
constexpr int kReindexFirstValue = 10;

// ", column = value" for each row value column, the values from the parameters from $first (or, for
// none, all NULL).
std::string SetRowValues(std::optional<int> first) {
  const std::vector<std::string> values = first ? RowValueExpressions(*first) : std::vector<std::string>();
  std::string sql;
  for (size_t i = 0; i < std::size(kRowValueColumns); ++i)
    sql += std::string(", ") + kRowValueColumns[i] + " = " + (first ? values[i] : "NULL");
  return sql;
}

// ", column" and ", value" lists of the row value columns, for an INSERT.
std::string RowValueColumnList() {
  std::string sql;
  for (const char* column : kRowValueColumns) sql += std::string(", ") + column;
  return sql;
}

int FirstValueParam(int tables, const IndexTable& of, int first_value) {
  int param = first_value;
  for (const auto& table : kIndexTables) {
    if (&table == &of) break;
    if (Covers(tables, table)) param += 3;
  }
  return param;
}

int ParamAfterValues(int tables) {
  int param = kWriteFirstValue;
  for (const auto& table : kIndexTables) param += Covers(tables, table) ? 3 : 0;
  return param;
}

std::string NewValues(int tables, const IndexTable& table, int first_value = kWriteFirstValue) {
  const int first = FirstValueParam(tables, table, first_value);
  const auto p = [&](int i) { return "$" + std::to_string(first + i) + "::text[]"; };
  return "unnest(" + p(0) + ", " + p(1) + ", " + p(2) + ") AS n(a, b, c)";
}

// Whether row x of the table holds the values of n.
std::string Same(const IndexTable& table) { return std::string("(") + table.x_columns + ") = (" + table.values + ")"; }

// The index rows of the row in `cur` go away: all of them (a tombstone, a reindex), or only those
// whose values the new version no longer has (a next version, in the covered tables). Sub-statements of one
// statement share its snapshot, so these deletes never see the rows the same statement inserts.
enum class Rows { all, changed };

std::string DeleteIndexRows(Rows which, int tables) {
  std::string sql;
  for (const auto& table : kIndexTables) {
    if (!Covers(tables, table)) continue;
    sql += std::string(", d_") + table.name + " AS (DELETE FROM " + table.name +
           " x USING cur WHERE x.res_type = cur.res_type AND x.res_id = cur.res_id";
    if (which == Rows::changed)
      sql += " AND NOT EXISTS (SELECT 1 FROM " + NewValues(tables, table) + " WHERE " + Same(table) + ")";
    sql += ")";
  }
  return sql;
}

// A version's unique identifiers go too: they are claimed again by a statement of their own (Finish),
// which sees this delete.
constexpr const char* kDeleteUniqueIdentifiers =
    ", d_unique AS (DELETE FROM unique_identifier x USING cur WHERE x.res_type = cur.res_type AND x.res_id = "
    "cur.res_id)";

// The index rows of the covered tables, for the row in `cur`: every value, or (Rows::changed) only
// those the current rows (o_<table>) lack.
std::string InsertIndexRows(Rows which, int tables, int first_value) {
  std::string sql;
  for (const auto& table : kIndexTables) {
    if (!Covers(tables, table)) continue;
    sql += std::string(", i_") + table.name + " AS (INSERT INTO " + table.name + " (res_type, res_id, " +
           table.columns + ") SELECT " + (which == Rows::changed ? "DISTINCT " : "") + "cur.res_type, cur.res_id, " +
           table.values + " FROM cur, " + NewValues(tables, table, first_value);
    if (which == Rows::changed)
      sql += std::string(" WHERE NOT EXISTS (SELECT 1 FROM o_") + table.name + " x WHERE " + Same(table) + ")";
    sql += ")";
  }
  return sql;
}

// The version row and the index rows of the covered tables, written only when `cur` (the current-row
// claim or update) did write: every value (a first version) or only the values the current rows lack
// (a next version, whose unchanged rows stay as they are: a finished episode rewrites its status and
// period, not its patient, unit and identifiers). Then the statement's answer: whether it wrote.
std::string InsertVersionAndIndexRows(Rows which, int tables) {
  std::string sql;
  // The current rows, found by their owner: asked per value instead, the planner may take the lookup
  // index (res_type, param, code, system) and walk every active episode for the status token.
  if (which == Rows::changed) {
    for (const auto& table : kIndexTables) {
      if (!Covers(tables, table)) continue;
      sql += std::string(", o_") + table.name + " AS MATERIALIZED (SELECT " + table.x_columns + " FROM " + table.name +
             " x, cur WHERE x.res_type = cur.res_type AND x.res_id = cur.res_id)";
    }
  }
  sql +=
      ", ver AS (INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
      "SELECT cur.res_type, cur.res_id, $3::int, $4::timestamptz, $5::text FROM cur)";
  return sql + InsertIndexRows(which, tables, kWriteFirstValue) + " SELECT count(*) FROM cur";
}

// Version 1 of an id nobody holds: claims the current row; a concurrent claimant of the same id makes
// it write nothing (ON CONFLICT waits for that claimant's outcome first). Covers the tables it has
// rows in (no other rows can exist).
std::string WriteNewSql(int tables) {
  std::string row_values;
  for (const auto& value : RowValueExpressions(kWriteRowValues)) row_values += ", " + value;
  return "WITH cur AS (INSERT INTO resource_current (res_type, res_id, version, last_updated, index_digests, "
         "index_digests_version" +
         RowValueColumnList() +
         ") VALUES ($1::text, $2::text, $3::int, $4::timestamptz, "
         "$6::text[], $3::int" +
         row_values +
         ") ON CONFLICT DO NOTHING "
         "RETURNING res_type, res_id)" +
         InsertVersionAndIndexRows(Rows::all, tables);
}

// The next version of an existing id: writes only while the current row is still the expected one
// (its version, whether it is a tombstone) and not dated after a bound, so a guess that has gone stale
// writes nothing. The UPDATE takes the row lock; a writer that waited for it re-checks the guard on
// the new row, and then no other write has come between the statement's snapshot and its own, so the
// index rows it compares against are the current version's, and the digests it was chosen by are
// those of the rows in the tables it leaves alone.
std::string WriteNextSql(int tables) {
  const int guard = ParamAfterValues(tables);
  const auto p = [&](int i) { return "$" + std::to_string(guard + i); };
  return "WITH cur AS (UPDATE resource_current SET version = $3::int, last_updated = $4::timestamptz, "
         "deleted = false, index_digests = $6::text[], index_digests_version = $3::int" +
         SetRowValues(kWriteRowValues) + " WHERE res_type = $1::text AND res_id = $2::text AND version = " + p(0) +
         "::int AND deleted = " + p(1) + "::boolean AND last_updated <= " + p(2) +
         "::timestamptz RETURNING res_type, res_id)" + DeleteIndexRows(Rows::changed, tables) +
         kDeleteUniqueIdentifiers + InsertVersionAndIndexRows(Rows::changed, tables);
}

// The index rows alone (ReindexStatementFor): the current row's digests move to the version's values
// while it is still that live version.
std::string ReindexSql(int tables) {
  return "WITH cur AS (UPDATE resource_current SET index_digests = $4::text[], index_digests_version = version" +
         SetRowValues(kReindexRowValues) +
         " WHERE res_type = $1::text AND res_id = $2::text AND version = $3::int AND NOT deleted "
         "RETURNING res_type, res_id)" +
         DeleteIndexRows(Rows::all, tables) + InsertIndexRows(Rows::all, tables, kReindexFirstValue) +
         " SELECT count(*) FROM cur";
}

}  // namespace

int TablesWithRows(const std::vector<std::string>& digests) {
  int tables = 0;
  for (size_t t = 0; t < std::size(kIndexTables); ++t) {
    if (!digests[t].empty()) tables |= kIndexTables[t].bit;
  }
  return tables;
}

int TablesThatChange(const std::vector<std::string>& recorded, const std::vector<std::string>& digests) {
  if (recorded.size() != kRecordedDigests) return kAllIndexTables;
  int tables = 0;
  for (size_t t = 0; t < std::size(kIndexTables); ++t) {
    if (recorded[t] != digests[t]) tables |= kIndexTables[t].bit;
  }
  return tables;
}

void AppendCoveredValues(int tables, const IndexColumns& values, std::vector<std::string>& params) {
  for (size_t t = 0; t < std::size(kIndexTables); ++t) {
    if (Covers(tables, kIndexTables[t])) params.insert(params.end(), values[t].begin(), values[t].end());
  }
}

const WriteStatement& WriteStatementFor(bool next, int tables) {
  static const auto statements = [] {
    std::vector<WriteStatement> all;
    for (int next = 0; next < 2; ++next) {
      for (int set = 0; set <= kAllIndexTables; ++set) {
        all.push_back({std::string(next ? "nara_write_next_" : "nara_write_new_") + std::to_string(set),
                       next ? WriteNextSql(set) : WriteNewSql(set)});
      }
    }
    return all;
  }();
  return statements[(next ? kAllIndexTables + 1 : 0) + tables];
}

const char* const kTombstoneName = "nara_write_tombstone";
const std::string& TombstoneSql() {
  static const std::string sql =
      "WITH cur AS (UPDATE resource_current SET version = $3::int, last_updated = $4::timestamptz, deleted = true, "
      "index_digests = ARRAY['', '', '', '', ''], index_digests_version = $3::int" +
      SetRowValues(std::nullopt) + " WHERE res_type = $1::text AND res_id = $2::text RETURNING res_type, res_id)" +
      DeleteIndexRows(Rows::all, kAllIndexTables) + kDeleteUniqueIdentifiers +
      ", ver AS (INSERT INTO resource_version (res_type, res_id, version, last_updated, deleted) "
      "SELECT cur.res_type, cur.res_id, $3::int, $4::timestamptz, true FROM cur) "
      "SELECT count(*) FROM cur";
  return sql;
}

const WriteStatement& ReindexStatementFor(int tables) {
  static const auto statements = [] {
    std::vector<WriteStatement> all;
    for (int set = 0; set <= kAllIndexTables; ++set)
      all.push_back({"nara_reindex_" + std::to_string(set), ReindexSql(set)});
    return all;
  }();
  return statements[tables];
}

}  // namespace nara::pg
