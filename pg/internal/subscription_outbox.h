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
  return "INSERT INTO subscription_outbox (res_type, res_id, version) SELECT x.t, x.i, x.v::int FROM unnest(" +
         TextArrayParams(first, 3) + ") WITH ORDINALITY AS x(t, i, v, n) ORDER BY x.n";
}

inline std::vector<std::string> OutboxAppendParams(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> columns[3];
  for (const auto& entry : entries) {
    columns[0].push_back(entry.type);
    columns[1].push_back(entry.id);
    columns[2].push_back(std::to_string(entry.version));
  }
  return TextArrayLiterals(columns);
}

}  // namespace nara::pg
