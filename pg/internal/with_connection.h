// WithConnection: runs work on a pooled connection and turns a lost database into `unavailable`
// (503 + Retry-After) instead of an exception, for every PostgreSQL adapter (store, export, ...).
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "pg/internal/connection_pool.h"
#include "registry/result.h"

namespace nara::pg {

// Whether a query error means the connection itself is gone: PostgreSQL shutting down or crashing
// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now), the database dropped
// (57P04), or a link failure (class 08). libpqxx 6 reports the 57P states as a plain sql_error.
inline bool IsConnectionLoss(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
}

// Whether the server refused a write because it is a read-only hot standby (25006
// read_only_sql_transaction): a URL without target_session_attrs=read-write that landed on a standby,
// or a primary demoted under the connection. Not the caller's fault and not a bug: the connection is
// dropped so the next one looks for the primary again, and the request gets 503 + Retry-After.
inline bool IsReadOnlyServer(const pqxx::sql_error& e) { return e.sqlstate() == "25006"; }

inline Error DatabaseUnavailable() {
  return Error::Unavailable("databasen är inte nåbar just nu (database unavailable), försök igen");
}

// Runs fn with a pooled connection, turning connection loss into `unavailable` (503 with Retry-After):
// the connection is discarded, with the idle ones (see ConnectionPool), and the request is not retried
// here, since a write may or may not have reached the database.
template <typename T, typename Fn>
Result<T> WithConnection(ConnectionPool& pool, Fn fn) {
  std::optional<ConnectionPool::Lease> lease;
  try {
    lease.emplace(pool.Acquire());
  } catch (const pqxx::broken_connection&) {
    return DatabaseUnavailable();
  }
  try {
    return fn(**lease);
  } catch (const pqxx::broken_connection&) {
    lease->Discard();
    return DatabaseUnavailable();
  } catch (const pqxx::in_doubt_error&) {
    // The connection broke during COMMIT: the write may or may not be stored. Never a 2xx, then.
    lease->Discard();
    return Error::Unavailable(
        "förbindelsen till databasen bröts under sparandet, okänt om ändringen sparades "
        "(connection lost during commit, outcome unknown); läs resursen och försök igen");
  } catch (const pqxx::sql_error& e) {
    if (IsReadOnlyServer(e)) {
      lease->Discard();
      return Error::Unavailable(
          "databasen tar inte emot ändringar just nu (the database is a read-only standby), försök igen");
    }
    if (!IsConnectionLoss(e)) throw;
    lease->Discard();
    return DatabaseUnavailable();
  }
}

}  // namespace nara::pg
