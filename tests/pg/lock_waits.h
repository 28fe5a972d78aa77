// Whether a transaction had to wait for a row lock, told by PostgreSQL itself (pg_stat_activity), for
// the concurrency tests in tests/pg/: a state either way, never a time.
#pragma once

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <thread>

namespace nara::testing {

// Returns once some session of the database at `url` waits for a lock (true), or once done() holds
// (false).
inline bool SomeoneWaitsForALockBefore(const std::string& url, const std::function<bool()>& done) {
  pqxx::connection watcher(url);
  for (;;) {
    if (done()) return false;
    pqxx::read_transaction tx(watcher);
    if (tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")[0].as<int>() > 0) {
      return true;
    }
    tx.commit();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace nara::testing
