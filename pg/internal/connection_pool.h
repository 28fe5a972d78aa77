// ConnectionPool: a fixed upper bound of libpqxx connections shared by the server's worker threads.
// Connections are opened lazily. An idle connection the server has closed (or sent its shutdown notice
// on) is noticed without a round trip when it is next taken and replaced by a fresh one; a connection
// that fails in use is discarded together with every idle one (they went down with it). So the server
// survives a PostgreSQL restart without restarting itself, and without a failed request per stale
// connection. Internal to the adapter (includes pqxx).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace nara::pg {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() { if (pool_ && conn_) pool_->Return(std::move(conn_)); }
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    // The connection failed: do not give it back, and drop the idle ones too (very likely dead as well).
    void Discard() {
      conn_.reset();
      if (pool_) {
        pool_->Forget();
        pool_->DropIdle();
      }
      pool_ = nullptr;
    }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // role: when not empty, every connection runs SET ROLE role as soon as it is opened, so the server
  // works with that role's privileges only (schema/0004_audit.sql: nara_server may not change the
  // audit log). The login role in url must be allowed to SET ROLE to it.
  ConnectionPool(std::string url, int max_size, std::string role = "");

  // Waits up to timeout for a connection; throws pqxx::broken_connection if none can be had.
  Lease Acquire(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  int max_size() const { return max_size_; }
  int in_use() const;
  int idle() const;  // open and waiting in the pool

 private:
  void Return(std::unique_ptr<pqxx::connection> conn);
  void Forget();
  void DropIdle();  // closes every idle connection
  // A new connection, with role_ set; throws pqxx::broken_connection when either step fails.
  std::unique_ptr<pqxx::connection> Open() const;

  const std::string url_;
  const std::string role_;
  const int max_size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections handed out or idle
  int leased_ = 0;
};

}  // namespace nara::pg
