#include "registry/pg/connection_pool.h"

namespace nara::pg {

ConnectionPool::ConnectionPool(std::string url, int max_size) : url_(std::move(url)), max_size_(max_size) {}

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
        conn = std::make_unique<pqxx::connection>(url_);
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
    return Lease(this, std::make_unique<pqxx::connection>(url_));
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
