// Fault tests (issue 8): nothing acknowledged is ever lost, and the server keeps serving.
//
// - Fault.KillDuringWritesLosesNothingAcknowledged: SIGKILL of `nara serve` in the middle of a stream of
//   PUTs; after a restart every acknowledged write reads back, and every unanswered one is either there
//   completely or not at all (checked through the API and directly in the tables).
// - Fault.KillDuringReadsLeavesNoAnsweredReadUnlogged: SIGKILL in a storm of reads; every read answered
//   200 has its audit row (the rows of concurrent reads are committed in batches before the answers).
// - Fault.PostgresRestartUnderLoad: PostgreSQL stopped and started under load; while it is down every
//   request gets a quick 503 OperationOutcome (transient) with Retry-After and /readyz says 503; once it is
//   back the same server process serves again by itself.
// - Fault.TerminatedPoolConnectionsAreReplacedWithoutErrors: every pooled backend ended by
//   pg_terminate_backend; the next requests get fresh connections instead of one failure per stale one.
//
// Each test runs its own `nara serve` on its own database, so the shared server is not disturbed; stopping
// PostgreSQL does reach the shared server too, so the second test checks that it still answers afterwards.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kPnrSystem = "http://electronichealth.se/identifier/personnummer";
const std::map<std::string, std::string> kFhirJson = {{"Content-Type", "application/fhir+json"}};

long MsSince(Clock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - t).count());
}

// A valid personnummer YYYYMMDDNNNC, distinct for every n below 20 million: birth number n % 1000 on
// the (n / 1000)-th day of a 28-day-month calendar from 1940-01-01.
std::string PersonnummerFor(int n) {
  const int day_index = n / 1000;
  const int year = 1940 + day_index / (12 * 28);
  const int month = 1 + (day_index / 28) % 12;
  const int day = 1 + day_index % 28;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%03d", year, month, day, n % 1000);
  const std::string eleven(buf);
  int sum = 0;
  for (size_t i = 2; i < eleven.size(); ++i) {  // Luhn over YYMMDDNNN, weights 2,1,2,...
    const int p = (eleven[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += p / 10 + p % 10;
  }
  return eleven + static_cast<char>('0' + (10 - sum % 10) % 10);
}

using testing::PsqlValue;

// The ids of the resources in a searchset Bundle.
std::vector<std::string> EntryIds(const std::string& body) {
  std::vector<std::string> ids;
  auto doc = Parse(body);
  if (!doc.IsObject() || !doc.HasMember("entry") || !doc["entry"].IsArray()) return ids;
  for (const auto& entry : doc["entry"].GetArray()) {
    if (entry.IsObject() && entry.HasMember("resource") && entry["resource"].IsObject() &&
        entry["resource"].HasMember("id") && entry["resource"]["id"].IsString()) {
      ids.push_back(entry["resource"]["id"].GetString());
    }
  }
  return ids;
}

// kill -9 during writes

struct Write {
  std::string id;
  std::string family;
  std::string personnummer;
  int status = 0;  // 0 = no answer
};

TEST(Fault, KillDuringWritesLosesNothingAcknowledged) {
  OwnServer server("fault");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());

  constexpr int kWriters = 4;
  constexpr int kMaxWritesPerThread = 20000;
  constexpr auto kMaxWriteTime = std::chrono::seconds(20);
  std::atomic<int> counter{0};
  std::atomic<int> acked{0};
  std::vector<std::vector<Write>> writes(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      auto client = server.Client();
      const auto started = Clock::now();
      for (int i = 0; i < kMaxWritesPerThread && Clock::now() - started < kMaxWriteTime; ++i) {
        const int n = counter++;
        Write w{"fault-kill-" + std::to_string(n), "Kill" + std::to_string(n) + "sson", PersonnummerFor(n), 0};
        auto result = client->Request("PUT", "/fhir/Patient/" + w.id, PatientJson(w.personnummer, w.family, w.id),
                                      kFhirJson);
        w.status = result.status;
        if (w.status >= 200 && w.status < 300) acked++;
        writes[t].push_back(w);
        if (result.status == 0) break;  // the server is gone: this write's fate is unknown, stop here
      }
    });
  }
  // Kill once enough writes are acknowledged (not after a fixed time: under ASan or a loaded machine the
  // first TLS handshakes alone can take longer than any window that is short on a quiet one).
  const auto writing = Clock::now();
  while (acked < 40 && Clock::now() - writing < std::chrono::seconds(15)) std::this_thread::sleep_for(milliseconds(20));
  std::this_thread::sleep_for(milliseconds(100));  // and while writes are still in flight
  const int exit_status = server.process().Terminate(SIGKILL);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(exit_status, 128 + SIGKILL);

  std::vector<Write> acknowledged;
  std::vector<Write> unanswered;
  for (const auto& per_thread : writes) {
    for (const auto& w : per_thread) {
      if (w.status >= 200 && w.status < 300) {
        acknowledged.push_back(w);
      } else if (w.status == 0) {
        unanswered.push_back(w);
      } else {
        ADD_FAILURE() << "PUT " << w.id << " got " << w.status << " before the kill";
      }
    }
  }
  ASSERT_GE(acknowledged.size(), 20u) << "too few writes acknowledged before the kill to mean anything";
  ASSERT_GE(unanswered.size(), 1u) << "every writer should have lost its last request to the kill";

  // The tables are consistent: no half-applied write.
  const std::string& url = server.database_url();
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_current c WHERE NOT EXISTS (SELECT 1 FROM resource_version v "
                           "WHERE v.res_type = c.res_type AND v.res_id = c.res_id AND v.version = c.version)"),
            "0")
      << "resource_current rows without their version";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_version v WHERE NOT EXISTS (SELECT 1 FROM resource_current c "
                           "WHERE c.res_type = v.res_type AND c.res_id = v.res_id AND c.version >= v.version)"),
            "0")
      << "resource_version rows without their current row";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_current c WHERE c.res_type = 'Patient' AND NOT c.deleted "
                           "AND NOT EXISTS (SELECT 1 FROM search_token t WHERE t.res_type = 'Patient' "
                           "AND t.res_id = c.res_id AND t.param = 'identifier')"),
            "0")
      << "Patient versions without their identifier index rows";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM search_token t WHERE NOT EXISTS (SELECT 1 FROM resource_current c "
                           "WHERE c.res_type = t.res_type AND c.res_id = t.res_id AND NOT c.deleted)"),
            "0")
      << "index rows of resources that do not exist";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM unique_identifier u WHERE NOT EXISTS (SELECT 1 FROM resource_current c "
                           "WHERE c.res_type = u.res_type AND c.res_id = u.res_id AND NOT c.deleted)"),
            "0")
      << "unique identifiers claimed by resources that do not exist";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_current c WHERE c.res_type = 'Patient' AND NOT c.deleted "
                           "AND NOT EXISTS (SELECT 1 FROM unique_identifier u WHERE u.res_type = 'Patient' "
                           "AND u.res_id = c.res_id)"),
            "0")
      << "Patients whose personnummer is not claimed";
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_version WHERE version <> 1"), "0")
      << "each id was written once";

  // A new server on the same database serves every acknowledged write.
  ASSERT_TRUE(server.Start());
  auto client = server.Client();
  for (size_t i = 0; i < acknowledged.size(); ++i) {
    const auto& w = acknowledged[i];
    auto read = client->Request("GET", "/fhir/Patient/" + w.id);
    ASSERT_EQ(read.status, 200) << "acknowledged write of " << w.id << " lost: " << read.body;
    auto doc = Parse(read.body);
    EXPECT_EQ(At(doc, "/meta/versionId"), "1") << w.id;
    EXPECT_EQ(At(doc, "/name/0/family"), w.family) << w.id;
    EXPECT_EQ(At(doc, "/identifier/0/value"), w.personnummer) << w.id;
    if (i % 25 == 0) {  // a sample is enough through the API; the SQL above covered the index for all
      auto found = client->Request("GET", "/fhir/Patient?identifier=" + kPnrSystem + "|" + w.personnummer);
      ASSERT_EQ(found.status, 200) << found.body;
      EXPECT_EQ(EntryIds(found.body), std::vector<std::string>{w.id});
    }
  }

  // Every unanswered write is there completely, or not at all.
  size_t unanswered_present = 0;
  for (const auto& w : unanswered) {
    auto read = client->Request("GET", "/fhir/Patient/" + w.id);
    auto found = client->Request("GET", "/fhir/Patient?identifier=" + kPnrSystem + "|" + w.personnummer);
    ASSERT_EQ(found.status, 200) << found.body;
    if (read.status == 404) {
      EXPECT_TRUE(EntryIds(found.body).empty()) << "absent " << w.id << " still found by identifier";
      continue;
    }
    ASSERT_EQ(read.status, 200) << w.id << ": " << read.body;
    ++unanswered_present;
    auto doc = Parse(read.body);
    EXPECT_EQ(At(doc, "/meta/versionId"), "1") << w.id;
    EXPECT_EQ(At(doc, "/name/0/family"), w.family) << w.id;
    EXPECT_EQ(At(doc, "/identifier/0/value"), w.personnummer) << w.id;
    EXPECT_EQ(EntryIds(found.body), std::vector<std::string>{w.id});
  }

  std::printf("[fault] %zu writes acknowledged, %zu unanswered at SIGKILL (%zu of them stored)\n",
              acknowledged.size(), unanswered.size(), unanswered_present);

  // Nothing else is there: only the writes that were made.
  EXPECT_EQ(PsqlValue(url, "SELECT count(*) FROM resource_current WHERE res_type = 'Patient'"),
            std::to_string(acknowledged.size() + unanswered_present));
}

// kill -9 during reads

// PDL: a read is answered only once its audit row is committed, also now that rows of concurrent
// reads are written in batches (pg/internal/audit_writer.h). SIGKILL in a storm of reads: every read
// that was answered 200 has its row, found by the X-Request-Id the answer carried.
TEST(Fault, KillDuringReadsLeavesNoAnsweredReadUnlogged) {
  OwnServer server("faultread");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  const std::string id = "fault-read-1";
  {
    auto admin = server.Client();
    auto put = admin->Request("PUT", "/fhir/Patient/" + id, PatientJson(PersonnummerFor(1), "Lässon", id), kFhirJson);
    ASSERT_EQ(put.status, 201) << put.body;
  }

  constexpr int kReaders = 8;
  constexpr auto kMaxReadTime = std::chrono::seconds(30);
  std::mutex mu;
  std::vector<std::string> answered;  // request ids of the 200s
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kReaders; ++t) {
    threads.emplace_back([&] {
      auto client = server.Client("ehr");
      const auto started = Clock::now();
      while (Clock::now() - started < kMaxReadTime) {
        auto read = client->Request("GET", "/fhir/Patient/" + id);
        if (read.status == 0) break;  // the server is gone
        if (read.status != 200) {
          ADD_FAILURE() << "GET answered " << read.status << " before the kill: " << read.body;
          break;
        }
        std::lock_guard<std::mutex> lock(mu);
        answered.push_back(read.headers["x-request-id"]);
        ++count;
      }
    });
  }
  const auto reading = Clock::now();
  while (count < 400 && Clock::now() - reading < std::chrono::seconds(20)) std::this_thread::sleep_for(milliseconds(20));
  std::this_thread::sleep_for(milliseconds(50));  // while reads are in flight
  EXPECT_EQ(server.process().Terminate(SIGKILL), 128 + SIGKILL);
  for (auto& thread : threads) thread.join();
  ASSERT_GE(answered.size(), 100u) << "too few reads answered before the kill to mean anything";

  // Every answered read has its row (counted in slices: one psql command line holds only so much).
  size_t logged = 0;
  for (size_t from = 0; from < answered.size(); from += 1000) {
    std::string in;
    for (size_t i = from; i < std::min(answered.size(), from + 1000); ++i) {
      ASSERT_FALSE(answered[i].empty()) << "an answer without X-Request-Id";
      in += (in.empty() ? "'" : ",'") + answered[i] + "'";
    }
    const std::string n = PsqlValue(server.database_url(),
                                    "SELECT count(DISTINCT request_id) FROM audit_event WHERE action = 'read' AND "
                                    "outcome = 'success' AND patient_ids @> ARRAY['" + id + "'] AND request_id IN (" +
                                        in + ")");
    logged += std::stoul(n);
  }
  EXPECT_EQ(logged, answered.size()) << "answered reads without their audit row";
  std::printf("[fault] %zu reads answered before SIGKILL, every one logged; %s rows in the log\n", answered.size(),
              PsqlValue(server.database_url(), "SELECT count(*) FROM audit_event WHERE action = 'read'").c_str());
}

// pooled connections terminated by PostgreSQL

// Runs `per_thread` GETs of the patient on each of `threads` clients at once; returns the statuses.
std::vector<int> ConcurrentReads(const OwnServer& server, const std::string& id, int threads, int per_thread) {
  std::mutex mu;
  std::vector<int> statuses;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto client = server.Client();
      for (int i = 0; i < per_thread; ++i) {
        const int status = client->Request("GET", "/fhir/Patient/" + id).status;
        std::lock_guard<std::mutex> lock(mu);
        statuses.push_back(status);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return statuses;
}

// An administrator (or an idle-session timeout) ends every backend of the server's pool while it is
// idle: the next requests must not fail once per stale connection, they get fresh ones.
TEST(Fault, TerminatedPoolConnectionsAreReplacedWithoutErrors) {
  OwnServer server("fault");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  auto client = server.Client();
  auto seed = client->Request("PUT", "/fhir/Patient/fault-term",
                              PatientJson(PersonnummerFor(700), "Termsson", "fault-term"), kFhirJson);
  ASSERT_EQ(seed.status, 201) << seed.body;
  for (int status : ConcurrentReads(server, "fault-term", 6, 10)) ASSERT_EQ(status, 200);

  const std::string terminated = PsqlValue(
      server.database_url(),
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  ASSERT_NE(terminated, "0") << "the server held no idle connections to terminate";
  ASSERT_EQ(terminated.find("psql failed"), std::string::npos) << terminated;
  std::this_thread::sleep_for(milliseconds(200));  // the backends are gone, their sockets closed

  for (int status : ConcurrentReads(server, "fault-term", 6, 10)) EXPECT_EQ(status, 200);
  EXPECT_EQ(testing::HttpGetStatus(server.ops_port(), "/readyz", milliseconds(3000)), 200);
  auto write = client->Request("PUT", "/fhir/Patient/fault-term-2",
                               PatientJson(PersonnummerFor(701), "Termsson", "fault-term-2"), kFhirJson);
  EXPECT_EQ(write.status, 201) << write.body;
}

// PostgreSQL stopped and started under load

enum Phase : int { kRunning = 0, kStopping = 1, kDown = 2, kStarting = 3, kUp = 4 };

struct Outcome {
  std::string what;  // "GET Patient/x", "PUT Patient/y"
  Phase phase_before;
  Phase phase_after;
  long started_ms;  // since the test's time origin
  long elapsed_ms;
  int status;
  std::string issue_code;
  std::string retry_after;
  std::string error;
};

// Starts the cluster again if the test stops half-way, so the tests after it still have a database.
class ClusterGuard {
 public:
  explicit ClusterGuard(std::atomic<int>& phase) : phase_(phase) {}
  ~ClusterGuard() {
    const int phase = phase_.load();
    if (phase == kStopping || phase == kDown || phase == kStarting) {
      try {
        testing::PgCluster::Shared().Start();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "could not restart the test cluster: " << e.what();
      }
    }
  }
  ClusterGuard(const ClusterGuard&) = delete;
  ClusterGuard& operator=(const ClusterGuard&) = delete;

 private:
  std::atomic<int>& phase_;
};

TEST(Fault, PostgresRestartUnderLoad) {
  if (testing::PgCluster::Shared().external()) GTEST_SKIP() << "needs the private test cluster";
  // The shared server must be up before PostgreSQL goes away, so the test also shows it recovers.
  ASSERT_EQ(Server::Shared().Client("admin")->Request("GET", "/fhir/Patient?_count=1").status, 200);

  OwnServer server("fault");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  const pid_t server_pid = server.process().pid();
  {
    auto seed = server.Client()->Request("PUT", "/fhir/Patient/fault-seed",
                                         PatientJson(PersonnummerFor(500), "Seedsson", "fault-seed"), kFhirJson);
    ASSERT_EQ(seed.status, 201) << seed.body;
  }

  const auto origin = Clock::now();
  std::atomic<int> phase{kRunning};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Outcome> outcomes;
  ClusterGuard guard(phase);

  constexpr int kLoadThreads = 3;
  constexpr int kMaxRequestsPerThread = 20000;
  constexpr auto kMaxLoadTime = std::chrono::seconds(60);
  std::atomic<int> counter{1000};
  std::vector<std::thread> threads;
  for (int t = 0; t < kLoadThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = server.Client();
      for (int i = 0; i < kMaxRequestsPerThread && !stop && Clock::now() - origin < kMaxLoadTime; ++i) {
        Outcome o;
        testing::HttpResult result;
        o.phase_before = static_cast<Phase>(phase.load());
        o.started_ms = MsSince(origin);
        const auto started = Clock::now();
        if ((t + i) % 3 == 0) {
          const int n = counter++;
          const std::string id = "fault-load-" + std::to_string(n);
          o.what = "PUT Patient/" + id;
          result = client->Request("PUT", "/fhir/Patient/" + id, PatientJson(PersonnummerFor(n), "Lastsson", id),
                                   kFhirJson);
        } else if ((t + i) % 3 == 1) {
          o.what = "GET Patient/fault-seed";
          result = client->Request("GET", "/fhir/Patient/fault-seed");
        } else {
          o.what = "GET Patient?family=Seedsson";
          result = client->Request("GET", "/fhir/Patient?family=Seedsson");
        }
        o.elapsed_ms = MsSince(started);
        o.phase_after = static_cast<Phase>(phase.load());
        o.status = result.status;
        o.error = result.error;
        if (result.status >= 400) o.issue_code = IssueCode(result.body);
        o.retry_after = result.headers["retry-after"];
        {
          std::lock_guard<std::mutex> lock(mu);
          outcomes.push_back(o);
        }
        std::this_thread::sleep_for(milliseconds(5));
      }
    });
  }
  auto count_where = [&](auto predicate) {
    std::lock_guard<std::mutex> lock(mu);
    return std::count_if(outcomes.begin(), outcomes.end(), predicate);
  };

  // Load is served before PostgreSQL stops: waited for, not assumed after a fixed time (slow under ASan).
  auto served = [](const Outcome& o) { return o.status >= 200 && o.status < 300; };
  while (count_where(served) <= 5 && Clock::now() - origin < std::chrono::seconds(20)) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GT(count_where(served), 5)
      << "no load was served before PostgreSQL stopped";

  phase = kStopping;
  testing::PgCluster::Shared().Stop();
  phase = kDown;
  const auto down_at = Clock::now();

  // While it is down: /readyz says so, quickly, and requests keep getting answers.
  {
    const auto probe = Clock::now();
    EXPECT_EQ(testing::HttpGetStatus(server.ops_port(), "/readyz", milliseconds(5000)), 503);
    EXPECT_LT(MsSince(probe), 3000) << "/readyz was slow to say not ready";
  }
  auto own = server.Client();
  {
    const auto probe = Clock::now();
    auto read = own->Request("GET", "/fhir/Patient/fault-seed");
    EXPECT_LT(MsSince(probe), 3000) << "a request with the database down took too long";
    EXPECT_EQ(read.status, 503) << read.error << read.body;
    if (read.status == 503) {
      EXPECT_EQ(IssueCode(read.body), "transient");
      EXPECT_FALSE(read.headers["retry-after"].empty());
    }
  }
  auto down_outcomes = [](const Outcome& o) { return o.phase_before == kDown && o.phase_after == kDown; };
  while (count_where(down_outcomes) < 30 && Clock::now() - down_at < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(milliseconds(300));

  phase = kStarting;
  testing::PgCluster::Shared().Start();
  phase = kUp;
  const auto up_at = Clock::now();

  // Back up: the same process serves again by itself, within a few seconds.
  bool read_ok = false, write_ok = false, ready = false;
  int attempt = 0;
  while (!(read_ok && write_ok && ready) && Clock::now() - up_at < std::chrono::seconds(15)) {
    if (!read_ok) read_ok = own->Request("GET", "/fhir/Patient/fault-seed").status == 200;
    if (!write_ok) {
      const std::string id = "fault-after-" + std::to_string(attempt++);
      write_ok = own->Request("PUT", "/fhir/Patient/" + id, PatientJson(PersonnummerFor(900 + attempt), "Eftersson", id),
                              kFhirJson)
                     .status == 201;
    }
    if (!ready) ready = testing::HttpGetStatus(server.ops_port(), "/readyz", milliseconds(3000)) == 200;
    if (!(read_ok && write_ok && ready)) std::this_thread::sleep_for(milliseconds(100));
  }
  const long recovery_ms = MsSince(up_at);
  EXPECT_TRUE(read_ok) << "reads did not recover after PostgreSQL came back";
  EXPECT_TRUE(write_ok) << "writes did not recover after PostgreSQL came back";
  EXPECT_TRUE(ready) << "/readyz did not recover after PostgreSQL came back";
  EXPECT_LT(recovery_ms, 5000) << "recovery took too long";
  std::this_thread::sleep_for(milliseconds(1500));  // the load runs on the recovered server a while
  stop = true;
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(server.process().running()) << "the server died:\n" << server.process().log();
  EXPECT_EQ(server.process().pid(), server_pid);

  long down_503 = 0, after_ok = 0, after_503 = 0;
  for (const auto& o : outcomes) {
    const std::string where = o.what + " at " + std::to_string(o.started_ms) + " ms (phase " +
                              std::to_string(o.phase_before) + "→" + std::to_string(o.phase_after) + ")";
    // Never a hang, a dropped connection, a 500 or a client error, whatever the phase.
    EXPECT_NE(o.status, 0) << where << ": no answer: " << o.error;
    EXPECT_TRUE((o.status >= 200 && o.status < 300) || o.status == 503) << where << ": status " << o.status;
    EXPECT_LT(o.elapsed_ms, 5000) << where << ": took " << o.elapsed_ms << " ms";
    if (o.status == 503) {
      EXPECT_EQ(o.issue_code, "transient") << where;
      EXPECT_FALSE(o.retry_after.empty()) << where << ": 503 without Retry-After";
    }
    if (o.phase_before == kDown && o.phase_after == kDown) {
      EXPECT_EQ(o.status, 503) << where << ": the database was down";
      if (o.status == 503) ++down_503;
    }
    if (o.phase_before == kUp) {
      const bool settled = o.started_ms > std::chrono::duration_cast<milliseconds>(up_at - origin).count() + 2000;
      if (o.status == 503) {
        ++after_503;
        EXPECT_FALSE(settled) << where << ": still 503 two seconds after PostgreSQL came back";
      } else {
        ++after_ok;
      }
    }
  }
  EXPECT_GE(down_503, 10) << "too few requests while PostgreSQL was down";
  EXPECT_GE(after_ok, 10) << "too few requests served after PostgreSQL came back";
  std::printf("[fault] %zu requests: %ld got 503 while PostgreSQL was down, after it came back %ld ok and %ld 503; "
              "recovered in %ld ms\n",
              outcomes.size(), down_503, after_ok, after_503, recovery_ms);

  // The shared server went through the same restart: it must answer again too.
  auto admin = Server::Shared().Client("admin");
  auto metadata = admin->Request("GET", "/fhir/metadata");
  EXPECT_EQ(metadata.status, 200) << metadata.body;
  auto search = admin->Request("GET", "/fhir/Patient?_count=1");
  EXPECT_EQ(search.status, 200) << search.body;
}

}  // namespace
}  // namespace nara::e2e
