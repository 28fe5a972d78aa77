#include "pg/internal/connection_pool.h"

#include <poll.h>

namespace nara::pg {
namespace {

// Whether an idle connection is still usable, without a round trip. An idle connection has nothing
// to read: if its socket is readable, PostgreSQL has closed it or sent its last words (57P01
// admin_shutdown on a restart, an idle-session timeout), and the next query on it would fail.
bool LooksAlive(pqxx::connection& conn) {
  if (!conn.is_open()) return false;
  const int fd = conn.sock();
  if (fd < 0) return false;
  pollfd p{};
  p.fd = fd;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) == 0;
}

}  // namespace

ConnectionPool::ConnectionPool(std::string url, int max_size, std::string role)
    : url_(std::move(url)), role_(std::move(role)), max_size_(max_size) {}

std::unique_ptr<pqxx::connection> ConnectionPool::Open() const {
  auto conn = std::make_unique<pqxx::connection>(url_);
  if (!role_.empty()) {
    // set_variable rather than a plain SET ROLE: libpqxx 6 may transparently reconnect a broken
    // connection, and restores only variables set through it. A reconnection that silently ran as
    // the login role (often the tables' owner) would void the audit log's grant.
    try {
      conn->set_variable("ROLE", conn->quote_name(role_));
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const pqxx::sql_error& e) {
      // A missing role or a login role that may not take it: no usable connection (503), not a bug.
      throw pqxx::broken_connection("cannot SET ROLE " + role_ + ": " + e.what());
    }
  }
  return conn;
}

ConnectionPool::Lease ConnectionPool::Acquire(std::chrono::milliseconds timeout) {
  std::vector<std::unique_ptr<pqxx::connection>> dead;  // closed after the lock is released
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (LooksAlive(*conn)) {
        ++leased_;
        return Lease(this, std::move(conn));
      }
      // The server went away while this connection was idle: its slot is free for a new one.
      --open_;
      dead.push_back(std::move(conn));
    }
    if (open_ < max_size_) break;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= max_size_) {
      throw pqxx::broken_connection("no database connection free within the time limit");
    }
  }
  ++open_;
  ++leased_;
  lock.unlock();
  try {
    return Lease(this, Open());
  } catch (...) {
    std::lock_guard<std::mutex> relock(mu_);
    --open_;
    --leased_;
    cv_.notify_one();
    throw;
  }
}

int ConnectionPool::in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leased_;
}

int ConnectionPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(idle_.size());
}

void ConnectionPool::Return(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

void ConnectionPool::DropIdle() {
  std::vector<std::unique_ptr<pqxx::connection>> idle;  // closed after the lock is released
  std::lock_guard<std::mutex> lock(mu_);
  idle.swap(idle_);
  open_ -= static_cast<int>(idle.size());
  cv_.notify_all();
}

void ConnectionPool::Forget() {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  --open_;
  cv_.notify_one();
}

}  // namespace nara::pg
