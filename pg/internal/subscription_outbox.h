// The write side of the subscription outbox (schema/0007_subscriptions.sql): what a write
// transaction appends, with its last statement (pg/internal/write_together.h), for the versions it
// wrote. Internal to pg.
#pragma once

#include <string>
#include <vector>

#include "pg/internal/pq_util.h"

namespace nara::pg {

struct OutboxEntry {
  std::string type, id;
  int version;
};

// The append, its three parameters numbered from first. Drawn after every row lock of the write is
// held (in the statement that ends the transaction), so a write that waited for another's lock gets
// later positions than all of the other's: see the migration's comment.
inline std::string OutboxAppendSql(int first) {
  const std::string t = "$" + std::to_string(first), i = "$" + std::to_string(first + 1),
                    v = "$" + std::to_string(first + 2);
  return "INSERT INTO subscription_outbox (res_type, res_id, version) SELECT x.t, x.i, x.v FROM unnest(" + t +
         "::text[], " + i + "::text[], " + v + "::int[]) WITH ORDINALITY AS x(t, i, v, n) ORDER BY x.n";
}

inline std::vector<std::string> OutboxAppendParams(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> types, ids, versions;
  for (const auto& entry : entries) {
    types.push_back(entry.type);
    ids.push_back(entry.id);
    versions.push_back(std::to_string(entry.version));
  }
  return {TextArrayLiteral(types), TextArrayLiteral(ids), TextArrayLiteral(versions)};
}

}  // namespace nara::pg
