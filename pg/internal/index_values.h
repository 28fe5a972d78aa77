// A version's search-index values as the write statements and the import send them, and what the
// current row records of them (resource_current.index_digests, schema/0020): per index table, a digest,
// so a next version can tell without reading the rows whether a table's rows change at all.
// Internal to pg.
#pragma once

#include <array>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "pg/internal/row_values.h"
#include "registry/resource_store.h"

namespace nara::pg {

// Per index table, in the order of resource_current.index_digests (search_token, search_text,
// search_reference, search_period), its value columns as text[] literals (TextArrayLiteral).
using IndexColumns = std::array<std::vector<std::string>, 4>;
IndexColumns IndexColumnsOf(const IndexEntries& index);

// "" when the table gets no rows (its columns are empty arrays); otherwise 32 hexadecimal digits, the
// first 128 bits of SHA-256 over the table's literals in order. The same values in the same order give
// the same digest on every build and machine.
std::string IndexDigest(const std::vector<std::string>& column_literals);

// What a current row records (resource_current.index_digests): the four tables' digests in the same
// order, then the row values' (schema/0022; "" when the type keeps none on its row), which tells a
// reindex whether they changed.
constexpr size_t kRecordedDigests = 5;
std::vector<std::string> IndexDigests(const IndexColumns& columns, const RowValues& row);

// The digests of a current row as read with kTrustedIndexDigestsSql: none when not recorded (or not
// trusted, or recorded by a release before the row values, with four).
std::vector<std::string> RecordedDigests(const pqxx::field& field);

// SQL for the recorded digests of resource_current c where they describe its current version, else
// NULL: a writer of the release before them (a rolling upgrade) moves the version on and leaves them
// behind (schema/0021_index_digests_version.sql).
constexpr const char* kTrustedIndexDigestsSql =
    "CASE WHEN c.index_digests_version = c.version THEN c.index_digests END";

}  // namespace nara::pg
