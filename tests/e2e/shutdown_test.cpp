// Graceful shutdown (issue 8): SIGTERM lets a request already being worked on finish and be answered,
// takes no new connections, and the process exits 0.
//
// The request is held in flight deterministically: a psql session holds an ACCESS EXCLUSIVE lock on
// the table the read needs until the test tells it to commit, and the test waits until PostgreSQL shows
// the server's query waiting for that lock before it sends SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Query(const std::string& url, const std::string& sql) {
  auto [code, out] = testing::Psql(url, sql);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return code == 0 ? out : "psql failed: " + out;
}

// Polls `sql` until it prints `want` or `limit` passes.
bool WaitFor(const std::string& url, const std::string& sql, const std::string& want, seconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (Query(url, sql) == want) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

TEST(Shutdown, SigtermFinishesTheRequestInFlight) {
  OwnServer server("shutdown");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  auto client = server.Client("admin");
  auto seed = client->Request("PUT", "/fhir/Patient/shutdown-1", PatientJson("191212121212", "Stoppsson", "shutdown-1"),
                              {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(seed.status, 201) << seed.body;
  const std::string url = server.database_url();

  // A session of our own takes the lock and keeps it until we write COMMIT.
  const std::string psql = "/usr/lib/postgresql/15/bin/psql -X -q -d " + testing::ShellQuote(url) + " >/dev/null 2>&1";
  FILE* locker = ::popen(psql.c_str(), "w");
  ASSERT_NE(locker, nullptr);
  std::fputs("BEGIN; LOCK TABLE resource_current IN ACCESS EXCLUSIVE MODE;\n", locker);
  std::fflush(locker);
  ASSERT_TRUE(WaitFor(url,
                      "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                      "WHERE c.relname = 'resource_current' AND l.mode = 'AccessExclusiveLock' AND l.granted",
                      "1", seconds(20)));

  // The request goes in and waits on the lock inside the server.
  testing::HttpResult in_flight;
  std::thread request([&] { in_flight = server.Client("admin")->Request("GET", "/fhir/Patient/shutdown-1"); });
  const bool waiting = WaitFor(url,
                               "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                               "t", seconds(20));

  // SIGTERM while it waits; the server stops taking connections but keeps working on the request.
  ASSERT_EQ(::kill(server.process().pid(), SIGTERM), 0);
  bool refused = false;
  const auto until = Clock::now() + seconds(20);
  while (!refused && Clock::now() < until) {
    refused = server.Client("admin")->Request("GET", "/fhir/metadata").status == 0;
    if (!refused) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(server.process().running()) << "the server exited with a request in flight";

  std::fputs("COMMIT;\n", locker);
  std::fflush(locker);
  ::pclose(locker);
  request.join();

  EXPECT_TRUE(waiting) << "the request never waited on the lock";
  EXPECT_TRUE(refused) << "new connections were still served after SIGTERM";
  EXPECT_EQ(in_flight.status, 200) << in_flight.error << in_flight.body;
  EXPECT_EQ(At(Parse(in_flight.body), "/name/0/family"), "Stoppsson");
  EXPECT_EQ(server.process().Terminate(SIGTERM), 0) << server.process().log();
  const std::string log = server.process().log();
  EXPECT_NE(log.find("serve.stopped"), std::string::npos) << log;
}

}  // namespace
}  // namespace nara::e2e
