// The write side of the subscription outbox (schema/0007_subscriptions.sql): what a write
// transaction appends, as its last statement, for the versions it wrote. Internal to pg.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "pg/internal/pq_util.h"

namespace nara::pg {

struct OutboxEntry {
  std::string type, id;
  int version;
};

// Drawn after every row lock of the write is held (just before COMMIT), so a write that waited for
// another's lock gets later positions than all of the other's: see the migration's comment.
inline void AppendOutbox(pqxx::transaction_base& tx, const std::vector<OutboxEntry>& entries) {
  if (entries.empty()) return;
  std::vector<std::string> types, ids, versions;
  for (const auto& entry : entries) {
    types.push_back(entry.type);
    ids.push_back(entry.id);
    versions.push_back(std::to_string(entry.version));
  }
  ExecPrepared(tx, "nara_outbox_append",
               "INSERT INTO subscription_outbox (res_type, res_id, version) "
               "SELECT x.t, x.i, x.v FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS x(t, i, v, n) "
               "ORDER BY x.n",
               TextArrayLiteral(types), TextArrayLiteral(ids), TextArrayLiteral(versions));
}

}  // namespace nara::pg
