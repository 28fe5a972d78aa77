#include "registry/pg/connection_pool.h"

namespace nara::pg {

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
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (idle_.empty() && open_ >= max_size_) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= max_size_) {
      throw pqxx::broken_connection("no database connection free within the time limit");
    }
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    ++leased_;
    lock.unlock();
    if (!conn->is_open()) {
      // The server went away while this connection was idle: reopen it.
      try {
        conn = Open();
      } catch (...) {
        std::lock_guard<std::mutex> relock(mu_);
        --open_;
        --leased_;
        cv_.notify_one();
        throw;
      }
    }
    return Lease(this, std::move(conn));
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

void ConnectionPool::Return(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

void ConnectionPool::Forget() {
  std::lock_guard<std::mutex> lock(mu_);
  --leased_;
  --open_;
  cv_.notify_one();
}

}  // namespace nara::pg
