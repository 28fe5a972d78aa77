// The statement ResourceTransaction::ReadAhead sends: the live current versions of a few resources
// named by (type, id), in one round trip. Internal to pg.
#pragma once

#include <cstddef>
#include <string>

namespace nara::pg {

// At most this many keys go in one statement; more are read in statements of this many.
constexpr size_t kReadAheadKeysPerStatement = 8;

// The prepared statement's name and text for `keys` keys (1 to kReadAheadKeysPerStatement).
// Parameters: $1 a text[] of the types, $2 a text[] of the ids, pair by pair. Columns: res_type,
// res_id, version, deleted, body, updated (RFC 3339), index_digests (of the version's search-index
// rows, schema/0020; NULL when not recorded). Deleted resources are left out.
std::string ReadAheadStatementName(size_t keys);
const std::string& ReadAheadSql(size_t keys);

}  // namespace nara::pg
