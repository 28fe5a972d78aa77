// Read routing (docs/api.md section 12): with database.read-url a node sends searches and measure
// evaluations ($evaluate-measure, MeasureReports) to a hot standby, and still lets each caller read its
// own writes.
//
// How: after a transaction that wrote commits, the adapter asks the primary, on the same connection,
// for its WAL insert position (pg_current_wal_insert_lsn()). That position is at or after the end of
// the commit record just written, so a standby whose pg_last_wal_replay_lsn() has reached it has
// replayed the commit, and a snapshot taken there sees the write. The position is remembered per caller
// (HSA-id) on this node, in a bounded map (least recently written out first), and handed back to the
// client in the X-Nara-Commit-Lsn response header. A routed read of that caller first checks the
// standby's replay position, polling cheaply up to database.read-wait-ms, and otherwise reads the
// primary. A caller who wrote nothing (on this node, or in the header it echoes) reads the standby as it
// is: at most the replication lag behind.
//
// Why the insert position read after COMMIT and not pg_current_wal_lsn(): the write position may still
// be before the commit record under synchronous_commit=off; the insert position never is. It may be a
// little later than the commit (other sessions' records), which only makes the check conservative.
//
// The caller travels with the request thread (ReadSession), so the registry ports stay free of it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace nara::pg {

using Lsn = std::uint64_t;  // a WAL position; 0 = none

// PostgreSQL's text form, e.g. "16/B374D848", and back (nullopt for anything else).
std::string FormatLsn(Lsn lsn);
std::optional<Lsn> ParseLsn(std::string_view text);

// The request being served on this thread: whose it is, the commit position the client echoed (the
// X-Nara-Commit-Lsn of an answer from any node), and the position of this request's own last commit.
// Scoped: constructed around the handling of one request, on the thread that handles it.
class ReadSession {
 public:
  ReadSession(std::string caller, Lsn echoed);
  ~ReadSession();
  ReadSession(const ReadSession&) = delete;
  ReadSession& operator=(const ReadSession&) = delete;

  const std::string& caller() const { return caller_; }
  Lsn echoed() const { return echoed_; }
  Lsn committed() const { return committed_; }  // 0: this request committed no write
  void SetCommitted(Lsn lsn) { committed_ = lsn > committed_ ? lsn : committed_; }

  static ReadSession* Current();  // nullptr outside a request (workers, tools)

 private:
  std::string caller_;
  Lsn echoed_;
  Lsn committed_ = 0;
  ReadSession* previous_;
};

struct ReadRoutingOptions {
  std::string url;                      // database.read-url: libpq URL of the hot standby (or several, multi-host)
  int pool_size = 8;                    // connections to it
  std::string role;                     // SET ROLE on each, as the primary's pools
  std::chrono::milliseconds wait{200};  // database.read-wait-ms: longest wait for the caller's commit
  std::size_t max_callers = 100000;     // callers whose last commit position is remembered
  // After the standby could not be reached, reads skip it this long (no connection attempt per request).
  std::chrono::milliseconds retry_unreachable{2000};
};

// Counters for /metrics: routed reads by where they ran, and why a read went to the primary.
struct ReadCounts {
  long standby = 0;
  long primary = 0;
  long primary_lagging = 0;      // the standby had not replayed the caller's commit within the wait
  long primary_unreachable = 0;  // the standby could not be reached (or was skipped after that)
};

class ReadRouter {
 public:
  explicit ReadRouter(ReadRoutingOptions options);
  ~ReadRouter();

  ReadCounts counts() const;
  // Whether the last attempt to reach the standby failed (for /readyz).
  bool standby_unreachable() const;

  struct Impl;  // pg/internal/read_router.h: the pool, the per-caller positions, the routed read
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace nara::pg
