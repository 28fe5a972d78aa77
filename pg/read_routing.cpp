#include "pg/read_routing.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "pg/internal/read_router.h"

namespace nara::pg {
namespace {

thread_local ReadSession* current_session = nullptr;

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string FormatLsn(Lsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xFFFFFFFFu));
  return buf;
}

std::optional<Lsn> ParseLsn(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash > 8 || text.size() - slash - 1 == 0 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  Lsn parts[2] = {0, 0};
  std::string_view halves[2] = {text.substr(0, slash), text.substr(slash + 1)};
  for (int i = 0; i < 2; ++i) {
    for (const char ch : halves[i]) {
      int digit;
      if (ch >= '0' && ch <= '9') {
        digit = ch - '0';
      } else if (ch >= 'A' && ch <= 'F') {
        digit = ch - 'A' + 10;
      } else if (ch >= 'a' && ch <= 'f') {
        digit = ch - 'a' + 10;
      } else {
        return std::nullopt;
      }
      parts[i] = parts[i] * 16 + static_cast<Lsn>(digit);
    }
  }
  return (parts[0] << 32) | parts[1];
}

ReadSession::ReadSession(std::string caller, Lsn echoed)
    : caller_(std::move(caller)), echoed_(echoed), previous_(current_session) {
  current_session = this;
}

ReadSession::~ReadSession() { current_session = previous_; }

ReadSession* ReadSession::Current() { return current_session; }

ReadRouter::Impl::Impl(ReadRoutingOptions opts)
    : options(std::move(opts)), pool(options.url, options.pool_size, options.role) {}

void ReadRouter::Impl::RecordCommit(pqxx::connection& conn) {
  ReadSession* session = ReadSession::Current();
  if (session == nullptr) return;
  // A failure here is the primary's failure, after the commit: the write stands, and the next
  // statement on this connection reports the problem. Without the position the caller's next read
  // takes the standby as it is, which the 2xx already promised it would not: so the caller's reads go
  // to the primary (position "infinite") until it writes again.
  Lsn lsn = ~Lsn{0};
  try {
    pqxx::nontransaction tx(conn);
    const auto row = tx.exec1("SELECT pg_current_wal_insert_lsn()::text");
    if (auto parsed = ParseLsn(row[0].as<std::string>())) lsn = *parsed;
  } catch (const pqxx::broken_connection&) {
  } catch (const pqxx::sql_error&) {
  }
  session->SetCommitted(lsn == ~Lsn{0} ? 0 : lsn);
  Remember(session->caller(), lsn);
}

void ReadRouter::Impl::Remember(const std::string& caller, Lsn lsn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(caller); it != index_.end()) {
    // Positions only grow on one primary, so the larger wins (two requests of one caller may record out
    // of order); an unknown one (~0) is replaced by the next known.
    Lsn& known = it->second->second;
    known = known == ~Lsn{0} ? lsn : std::max(known, lsn);
    recent_.splice(recent_.begin(), recent_, it->second);
    return;
  }
  recent_.emplace_front(caller, lsn);
  index_[caller] = recent_.begin();
  // The least recently writing caller goes first: its write is the oldest, most likely replayed long ago.
  while (recent_.size() > options.max_callers) {
    index_.erase(recent_.back().first);
    recent_.pop_back();
  }
}

Lsn ReadRouter::Impl::KnownReplayed(const std::string& server) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = replayed_.find(server);
  return it == replayed_.end() ? 0 : it->second;
}

void ReadRouter::Impl::SawReplayed(const std::string& server, Lsn lsn) {
  std::lock_guard<std::mutex> lock(mu_);
  // Bounded: entries of connections long closed are only forgotten, and a forgotten one costs one check.
  if (replayed_.size() >= 4096 && replayed_.find(server) == replayed_.end()) replayed_.clear();
  Lsn& known = replayed_[server];
  known = std::max(known, lsn);
}

Lsn ReadRouter::Impl::Needed() {
  ReadSession* session = ReadSession::Current();
  if (session == nullptr) return 0;
  Lsn need = std::max(session->echoed(), session->committed());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = index_.find(session->caller()); it != index_.end()) need = std::max(need, it->second->second);
  return need;
}

void ReadRouter::Impl::MarkUnreachable() {
  ++unreachable;
  last_failed = true;
  skip_until_ms = NowMs() + options.retry_unreachable.count();
}

std::optional<ConnectionPool::Lease> ReadRouter::Impl::StandbyAt(Lsn need) {
  if (need == ~Lsn{0}) {  // the caller's last commit position is unknown (RecordCommit)
    ++lagging;
    return std::nullopt;
  }
  if (NowMs() < skip_until_ms.load()) {
    ++unreachable;
    return std::nullopt;
  }
  std::optional<ConnectionPool::Lease> lease;
  try {
    lease.emplace(pool.Acquire(options.wait));
  } catch (const pqxx::broken_connection&) {
    // Every standby connection busy is load, not a dead standby: the primary takes this read.
    if (pool.in_use() >= pool.max_size()) {
      ++lagging;
    } else {
      MarkUnreachable();
    }
    return std::nullopt;
  }
  last_failed = false;
  if (need == 0) return lease;
  // The server this connection reached, and its backend: a key no other server shares.
  const char* host = (*lease)->hostname();
  const char* port = (*lease)->port();
  const std::string server =
      std::string(host ? host : "") + ":" + (port ? port : "") + "/" + std::to_string((*lease)->backendpid());
  if (KnownReplayed(server) >= need) return lease;
  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  auto pause = std::chrono::microseconds(500);
  try {
    for (;;) {
      pqxx::nontransaction tx(**lease);
      const auto row = tx.exec1("SELECT pg_last_wal_replay_lsn()::text");
      // NULL: the server is not in recovery, a primary (the standby promoted by a failover), which
      // has every commit it acknowledged.
      if (row[0].is_null()) return lease;
      const auto replayed = ParseLsn(row[0].as<std::string>());
      if (replayed) SawReplayed(server, *replayed);
      if (replayed && *replayed >= need) return lease;
      if (std::chrono::steady_clock::now() + pause > deadline) break;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(10000));
    }
  } catch (const pqxx::broken_connection&) {
    lease->Discard();
    MarkUnreachable();
    return std::nullopt;
  } catch (const pqxx::sql_error& e) {
    if (!IsConnectionLoss(e)) throw;
    lease->Discard();
    MarkUnreachable();
    return std::nullopt;
  }
  ++lagging;
  return std::nullopt;
}

ReadRouter::ReadRouter(ReadRoutingOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ReadRouter::~ReadRouter() = default;

ReadCounts ReadRouter::counts() const {
  return ReadCounts{impl_->standby_reads.load(), impl_->primary_reads.load(), impl_->lagging.load(),
                    impl_->unreachable.load()};
}

bool ReadRouter::standby_unreachable() const { return impl_->last_failed.load(); }

}  // namespace nara::pg
