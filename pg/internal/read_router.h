// The adapter's side of read routing (pg/read_routing.h): the standby's pool, the callers' last commit
// positions, and RoutedRead, which runs a read on the standby when that is safe for the caller and on
// the primary otherwise. Internal to the adapter (includes pqxx).
#pragma once

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <utility>

#include "pg/internal/connection_pool.h"
#include "pg/internal/with_connection.h"
#include "pg/read_routing.h"
#include "registry/result.h"

namespace nara::pg {

struct ReadRouter::Impl {
  explicit Impl(ReadRoutingOptions opts);

  // After a COMMIT of a transaction that wrote, on the connection that ran it (the primary): the
  // caller of the current request must read this write from now on. Outside a request: nothing.
  void RecordCommit(pqxx::connection& conn);

  // The position the current caller's reads must see (0: none), from this node's memory and the
  // position the client echoed.
  Lsn Needed();

  // A standby connection that has replayed `need` (waiting up to options.wait), or nullopt: then the
  // read goes to the primary, and the reason is counted.
  std::optional<ConnectionPool::Lease> StandbyAt(Lsn need);

  // The standby failed in use: skip it for a while.
  void MarkUnreachable();

  ReadRoutingOptions options;
  ConnectionPool pool;
  std::atomic<long> standby_reads{0}, primary_reads{0}, lagging{0}, unreachable{0};
  std::atomic<long long> skip_until_ms{0};  // steady clock, ms: before it the standby is not tried
  std::atomic<bool> last_failed{false};

 private:
  void Remember(const std::string& caller, Lsn lsn);
  // The replay position a standby last reported, by server: a connection that has seen its server
  // replay past a caller's position needs no round trip to know it again (replay never goes back on one
  // server). By server and backend, not by caller: with several standbys in the read URL, connections
  // of one pool may reach different servers, each at its own position.
  Lsn KnownReplayed(const std::string& server);
  void SawReplayed(const std::string& server, Lsn lsn);

  std::mutex mu_;
  // Most recently written first; index_ points into it.
  std::list<std::pair<std::string, Lsn>> recent_;
  std::unordered_map<std::string, std::list<std::pair<std::string, Lsn>>::iterator> index_;
  std::unordered_map<std::string, Lsn> replayed_;  // "host:port/backend pid" → position
};

// Runs a read-only fn(pqxx::connection&) on the standby when router is set and the caller's own
// writes are replayed there, else on primary (as WithConnection). A standby that fails during the read
// (gone, or a query cancelled by a recovery conflict) is not the caller's problem: the read runs again
// on the primary, which is safe because fn only reads. `on_standby`, if given, is set when the
// answer came from the standby.
template <typename T, typename Fn>
Result<T> RoutedRead(ReadRouter* router, ConnectionPool& primary, Fn fn, bool* on_standby = nullptr) {
  if (router == nullptr) return WithConnection<T>(primary, fn);
  ReadRouter::Impl& impl = router->impl();
  if (auto lease = impl.StandbyAt(impl.Needed())) {
    try {
      Result<T> result = fn(**lease);
      ++impl.standby_reads;
      if (on_standby != nullptr) *on_standby = true;
      return result;
    } catch (const pqxx::broken_connection&) {
      lease->Discard();
      impl.MarkUnreachable();
    } catch (const pqxx::transaction_rollback&) {
      // 40001 "canceling statement due to conflict with recovery": the standby's replay won.
      ++impl.lagging;
    } catch (const pqxx::sql_error& e) {
      if (!IsConnectionLoss(e)) throw;
      lease->Discard();
      impl.MarkUnreachable();
    }
  }
  ++impl.primary_reads;
  return WithConnection<T>(primary, fn);
}

// After a commit: the hook PgStore and friends call when routing is on (router may be null).
inline void RecordCommit(ReadRouter* router, pqxx::connection& conn) {
  if (router != nullptr) router->impl().RecordCommit(conn);
}

}  // namespace nara::pg
