// The SQL of the write path: a version and its index rows in one statement, and the index rows
// alone (a reindex). Internal to pg.
//
// A write was ~13 round trips (savepoint, lock, current row, version, five index deletes, four index
// inserts, release); it is now one data-modifying CTE, plus the row lock only when the caller's
// expected version is unknown (bench/change_listing.sh, bench/RESULTS.md figure 2). The SQL text is
// fixed (index rows travel as parallel text[] parameters), so each connection prepares it once.
#pragma once

#include <string>
#include <vector>

#include "pg/internal/index_values.h"

namespace nara::pg {

// The four index tables as the write statements see them: the value columns after (res_type, res_id),
// the table's bit in a set of tables, and the values of a version's three
// parallel text[] parameters (unnested as n(a, b, c)) in the form the columns hold them.
struct IndexTable {
  const char* name;
  const char* columns;
  const char* x_columns;  // the same, of a row x
  int bit;
  const char* values;
};
constexpr IndexTable kIndexTables[] = {
    {"search_token", "param, system, code", "x.param, x.system, x.code", 1, "n.a, n.b, n.c"},
    {"search_text", "param, value, normalized", "x.param, x.value, x.normalized", 2, "n.a, n.b, n.c"},
    {"search_reference", "param, target_type, target_id", "x.param, x.target_type, x.target_id", 4, "n.a, n.b, n.c"},
    {"search_period", "param, period", "x.param, x.period", 8,
     "n.a, tstzrange(NULLIF(n.b, '')::timestamptz, NULLIF(n.c, '')::timestamptz, '[)')"},
};
constexpr int kAllIndexTables = 15;

// Whether a set of tables (bits as above) covers the table.
inline bool Covers(int tables, const IndexTable& table) { return (tables & table.bit) != 0; }

// The tables a first version has rows in (a digest that is not "": IndexDigests).
int TablesWithRows(const std::vector<std::string>& digests);
// The tables whose rows change from those a current row recorded (RecordedDigests: all four, or none
// when not known, and then every table) to those of `digests`.
int TablesThatChange(const std::vector<std::string>& recorded, const std::vector<std::string>& digests);
// The value columns of the covered tables, in kIndexTables order, after `params`.
void AppendCoveredValues(int tables, const IndexColumns& values, std::vector<std::string>& params);

// A write statement covers the index tables of a set (`tables`): those whose rows the
// write changes (a first version: those it has rows in; a next version: those whose digest changes,
// resource_current.index_digests, schema/0020). Its parameters: $1 type, $2 id, $3 version,
// $4 lastUpdated, $5 body, $6 the new version's digests (text[], kIndexTables order), $7 to $11 its row
// values (AppendRowValueParams, pg/internal/row_values.h), then three
// text[] per covered table in kIndexTables order (an empty bound of a period is an open side), then a
// next version's guard ($n version, $n+1 deleted, $n+2 the latest lastUpdated). Each set is its own
// prepared text, built once.
struct WriteStatement {
  std::string name, sql;
};
const WriteStatement& WriteStatementFor(bool next, int tables);

// A tombstone version of a locked live row: $1 type, $2 id, $3 version, $4 lastUpdated. It removes
// the rows of every table (and the unique identifiers) and the row values, and records that none are left.
extern const char* const kTombstoneName;
const std::string& TombstoneSql();

// The index rows of the current version rewritten in the covered tables, without a new version (nara
// reindex, pg/pg_reindex.h): $1 type, $2 id, $3 the version they are made from (nothing is written
// when the current row is no longer that live version), $4 its digests (all four), $5 to $9 its row
// values, then three text[] per covered table as above. Answers how many current rows it wrote (0 or 1). Unique
// identifiers are left alone: a reindex does not claim.
const WriteStatement& ReindexStatementFor(int tables);

}  // namespace nara::pg
