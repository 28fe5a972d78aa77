// A throw-away PostgreSQL cluster for integration and end-to-end tests.
//
// Started once per test process on first use (scripts/pg-cluster.sh start in a fresh temporary folder
// under $TMPDIR or /tmp, reachable only through a Unix socket), stopped and removed when the process exits.
// If NARA_TEST_DATABASE_URL is set, that server is used instead and nothing is started; the URL must name a
// database on which the user may CREATE DATABASE. NARA_TEST_KEEP_CLUSTER=1 keeps the folder for inspection.
#ifndef NARA_TESTS_SUPPORT_PG_CLUSTER_H_
#define NARA_TESTS_SUPPORT_PG_CLUSTER_H_

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace nara::testing {

class PgCluster {
 public:
  static PgCluster& Shared();

  // Creates a fresh, empty database named PREFIX_COUNTER_PID (prefix lower-cased, reduced to [a-z0-9_])
  // and returns its libpq URL. Thread-safe.
  std::string CreateDatabase(const std::string& prefix = "t");
  std::string admin_url() const;  // URL of the `postgres` maintenance database (or NARA_TEST_DATABASE_URL)
  std::string dir() const;        // cluster folder; empty when using NARA_TEST_DATABASE_URL
  bool external() const { return external_; }  // true when using NARA_TEST_DATABASE_URL

  // For fault tests: stop / start the server keeping its data. Throw when external().
  void Stop();
  void Start();

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

 private:
  PgCluster();
  ~PgCluster();

  bool external_ = false;
  pid_t owner_pid_ = 0;  // a forked child must not tear the cluster down
  std::string dir_;
  std::string admin_url_;
  std::atomic<int> counter_{0};
  std::mutex mu_;
  std::vector<std::string> created_;  // databases to drop at exit on an external server
};

// A primary and a synchronous hot standby of its own (scripts/pg-cluster.sh start + standby), each in
// its own folder with its own socket folder and port, reachable only through Unix sockets, for failover
// and read-replica tests. Never NARA_TEST_DATABASE_URL: the test kills and promotes these servers.
// Both are stopped (and the folder removed unless NARA_TEST_KEEP_CLUSTER=1) when the object goes, also
// when the test failed half-way.
class PgReplicatedCluster {
 public:
  PgReplicatedCluster();  // throws std::runtime_error if either server does not come up (nothing left running)
  ~PgReplicatedCluster();
  PgReplicatedCluster(const PgReplicatedCluster&) = delete;
  PgReplicatedCluster& operator=(const PgReplicatedCluster&) = delete;

  // Creates a fresh database on the primary (replicated to the standby) and returns its name.
  std::string CreateDatabase(const std::string& prefix = "t");
  std::string primary_url(const std::string& dbname) const;
  std::string standby_url(const std::string& dbname) const;
  // Both servers, primary first, target_session_attrs=read-write: libpq connects to whichever of them
  // accepts writes (NARA_DATABASE_URL of a node that follows a failover).
  std::string failover_url(const std::string& dbname) const;

  void KillPrimary();     // kill -9 of the primary's postmaster and backends (pg-cluster.sh kill)
  void PromoteStandby();  // pg-cluster.sh promote: the standby takes writes
  std::string dir() const { return dir_; }

 private:
  pid_t owner_pid_ = 0;
  std::string dir_;
  std::atomic<int> counter_{0};
};

// Runs a shell command, returns {exit status, combined stdout+stderr}. Exit status is 128+N if killed by signal N.
std::pair<int, std::string> RunShell(const std::string& command);

// Runs `psql -X -v ON_ERROR_STOP=1 -At URL -c SQL`; returns {exit status, combined output}.
std::pair<int, std::string> Psql(const std::string& url, const std::string& sql);
// The single value a psql query prints (trailing white space removed), or "psql failed: …".
std::string PsqlValue(const std::string& url, const std::string& sql);

// Quotes a string for /bin/sh as a single word.
std::string ShellQuote(const std::string& s);

// Returns the libpq URL (or key=value connection string) `url` with its database replaced by `dbname`.
std::string WithDatabase(const std::string& url, const std::string& dbname);

}  // namespace nara::testing

#endif  // NARA_TESTS_SUPPORT_PG_CLUSTER_H_
