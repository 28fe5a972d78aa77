// Failover (issue 16, docs/api.md section 12): two `nara serve` nodes on one registry whose
// NARA_DATABASE_URL names a primary and its synchronous hot standby (libpq multi-host URL,
// target_session_attrs=read-write). A stream of changes of listing runs through both nodes; the primary
// is killed with kill -9 and the standby promoted. Shown:
// - the same node processes serve writes again, without a restart;
// - every write answered 2xx is on the new primary (synchronous replication loses no acknowledged write);
// - the requests in between get 503 + Retry-After (an OperationOutcome `transient`), never another answer;
// - /readyz and /metrics say the database's role and the replication lag (also for a node on the standby);
// - no duplicate versions: a client that got a 503 reads the listing back before it writes it again (as
//   the 503's text asks), and every listing then has one version per change made to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
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
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/scrape.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

enum Phase : int { kBefore = 0, kPrimaryDead = 1, kPromoted = 2 };

struct Answer {
  int node;
  Phase phase_before;
  Phase phase_after;
  std::string what;
  int status;
  std::string retry_after;
  std::string issue_code;
  std::string error;
};

using testing::PsqlValue;

// GET of the operations port: {status, body}.
std::pair<int, std::string> OpsGet(int ops_port, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(ops_port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return {static_cast<int>(response.getStatus()), body};
}

// The date `days` after 2020-01-01 (YYYY-MM-DD): each change of listing starts a day after the last.
std::string DayAfter2020(int days) {
  int y, m, d;
  reg::CivilFromDays(18262 + days, y, m, d);  // 18262 = days from 1970-01-01 to 2020-01-01
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

TEST(Failover, PromotedStandbyServesBothNodesWithoutLosingAcknowledgedWrites) {
  if (testing::PgCluster::Shared().external()) GTEST_SKIP() << "starts clusters of its own; not with NARA_TEST_DATABASE_URL";
  const auto test_start = Clock::now();
  testing::PgReplicatedCluster pg;
  const std::string db = pg.CreateDatabase("failover");
  const std::map<std::string, std::string> env = {
      {"NARA_DATABASE_URL", pg.failover_url(db)},
      {"NARA_LISTING_MAX_CHANGES_PER_YEAR", "0"},  // a change a day for the test, not two a year
      {"NARA_THREADS", "8"},
      {"NARA_DB_POOL_SIZE", "4"},
  };
  OwnServer node_a("failover-a", env), node_b("failover-b", env);
  ASSERT_TRUE(node_a.Migrate());
  ASSERT_TRUE(node_a.Start());
  ASSERT_TRUE(node_b.Start());
  const pid_t pid_a = node_a.process().pid(), pid_b = node_b.process().pid();
  OwnServer* nodes[2] = {&node_a, &node_b};

  // Each node says its database is the primary, with one synchronous standby, and the lag it sees.
  for (OwnServer* node : nodes) {
    auto [status, body] = OpsGet(node->ops_port(), "/readyz");
    EXPECT_EQ(status, 200) << body;
    EXPECT_EQ(body, R"({"status":"ready","database":"primary","standbys":1,"synchronous_standbys":1})");
    const std::string metrics = Scrape(node->ops_port());
    EXPECT_EQ(Sample(metrics, "nara_db_primary"), 1) << metrics;
    EXPECT_EQ(Sample(metrics, R"(nara_db_standbys{sync="true"})"), 1) << metrics;
    EXPECT_EQ(Sample(metrics, R"(nara_db_standbys{sync="false"})"), 0) << metrics;
    EXPECT_GE(Sample(metrics, "nara_db_replication_lag_seconds"), 0) << metrics;
  }

  // A node whose database.url names the standby alone could store no write: /readyz takes it out of the
  // load balancer, and /metrics shows the standby's view.
  {
    auto on_standby = env;
    on_standby["NARA_DATABASE_URL"] = pg.standby_url(db);
    OwnServer node_s("failover-s", on_standby);
    ASSERT_TRUE(node_s.Start());
    auto [status, body] = OpsGet(node_s.ops_port(), "/readyz");
    EXPECT_EQ(status, 503) << body;
    EXPECT_NE(body.find(R"("database":"standby")"), std::string::npos) << body;
    const std::string metrics = Scrape(node_s.ops_port());
    EXPECT_EQ(Sample(metrics, "nara_db_primary"), 0) << metrics;
    EXPECT_GE(Sample(metrics, "nara_db_replication_lag_seconds"), 0) << metrics;
    EXPECT_EQ(Sample(metrics, R"(nara_db_standbys{sync="true"})"), -1) << "a standby has none: " << metrics;
    // A write sent to it anyway is 503 + Retry-After, not an error of the server (and the node lives on).
    auto put = node_s.Client("admin")->Request(
        "PUT", "/fhir/Organization/fo-readonly",
        reg::OrganizationJson("fo-readonly", reg::UnitHsa(reg::kRegionHsa), "region"), reg::kFhirJson);
    EXPECT_EQ(put.status, 503) << put.body;
    EXPECT_FALSE(put.headers["retry-after"].empty());
    EXPECT_TRUE(node_s.process().running()) << node_s.process().log();
  }

  // Two vårdcentraler of the ehr client's region, and the patients the writers move between them.
  constexpr int kWriters = 4;  // two per node, each with a patient of its own
  std::vector<std::string> patients;
  std::string units[2];
  {
    auto admin = node_a.Client("admin");
    auto put = [&](const std::string& type, const std::string& id, const std::string& json) {
      auto r = admin->Request("PUT", "/fhir/" + type + "/" + id, json, reg::kFhirJson);
      ASSERT_TRUE(r.status == 201 || r.status == 200) << type << "/" << id << ": " << r.status << " " << r.body;
    };
    put("Organization", "fo-region", reg::OrganizationJson("fo-region", reg::kRegionHsa, "region"));
    for (int u = 0; u < 2; ++u) {
      units[u] = "fo-vc" + std::to_string(u);
      put("Organization", units[u],
          reg::OrganizationJson(units[u], reg::UnitHsa(reg::kRegionHsa), "vardcentral", "fo-region"));
    }
    for (int w = 0; w < kWriters; ++w) {
      patients.push_back("fo-p" + std::to_string(w));
      put("Patient", patients.back(), reg::PatientWithPnr(patients.back(), reg::NextPersonnummer(), "Failoversson"));
    }
  }

  std::atomic<int> phase{kBefore};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Answer> answers;
  std::vector<std::vector<std::string>> acknowledged(kWriters);  // listing ids answered 2xx, per writer
  std::vector<int> stored(kWriters, 0);  // listings each writer knows stored (2xx, or read back after a 503)
  std::atomic<int> acked_before{0};
  std::atomic<int> acked_after[2] = {{0}, {0}};
  std::atomic<int> unavailable{0};
  constexpr auto kMaxWriteTime = seconds(45);
  const auto writing = Clock::now();

  auto record = [&](const Answer& a) {
    std::lock_guard<std::mutex> lock(mu);
    answers.push_back(a);
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      const int node = w % 2;
      auto ehr = nodes[node]->Client("ehr");
      const std::string& patient = patients[w];
      // Listing k of this patient: at vårdcentral k % 2, from day k. Each is a change of listing that
      // finishes listing k-1 in the same transaction (docs/api.md section 4 rule 1).
      for (int k = 1; !stop && Clock::now() - writing < kMaxWriteTime;) {
        const std::string id = patient + "-l" + std::to_string(k);
        Answer a{node, static_cast<Phase>(phase.load()), kBefore, "PUT EpisodeOfCare/" + id, 0, "", "", ""};
        auto put = ehr->Request("PUT", "/fhir/EpisodeOfCare/" + id,
                                reg::EpisodeJson(id, patient, units[k % 2], DayAfter2020(k)), reg::kFhirJson);
        a.phase_after = static_cast<Phase>(phase.load());
        a.status = put.status;
        a.error = put.error;
        a.retry_after = put.headers["retry-after"];
        if (put.status >= 400) a.issue_code = At(Parse(put.body), "/issue/0/code");
        record(a);
        if (put.status == 201) {
          {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged[w].push_back(id);
            stored[w] = k;
          }
          (a.phase_before == kPromoted ? acked_after[node] : acked_before)++;
          ++k;
          continue;
        }
        if (put.status != 503) return;  // a wrong answer: reported below, this writer stops
        unavailable++;
        // The write may or may not be stored: read it back (on the same node) until the database answers.
        for (;;) {
          if (stop || Clock::now() - writing >= kMaxWriteTime) return;
          std::this_thread::sleep_for(milliseconds(100));
          Answer r{node, static_cast<Phase>(phase.load()), kBefore, "GET EpisodeOfCare/" + id, 0, "", "", ""};
          auto read = ehr->Request("GET", "/fhir/EpisodeOfCare/" + id);
          r.phase_after = static_cast<Phase>(phase.load());
          r.status = read.status;
          r.error = read.error;
          r.retry_after = read.headers["retry-after"];
          if (read.status >= 400) r.issue_code = At(Parse(read.body), "/issue/0/code");
          record(r);
          if (read.status == 503) continue;
          if (read.status == 200) {  // stored before the primary died, and replicated: the next change
            std::lock_guard<std::mutex> lock(mu);
            stored[w] = k++;
          }
          if (read.status != 200 && read.status != 404) return;  // a wrong answer
          break;  // 404: not stored, write it again
        }
      }
    });
  }
  auto wait_for = [&](auto done, seconds limit) {
    const auto since = Clock::now();
    while (!done() && Clock::now() - since < limit) std::this_thread::sleep_for(milliseconds(20));
    return done();
  };

  // Enough changes acknowledged through both nodes; then the primary dies in the middle of the stream.
  EXPECT_TRUE(wait_for([&] { return acked_before >= 30; }, seconds(20))) << "too few writes before the kill";
  pg.KillPrimary();
  phase = kPrimaryDead;
  // Until the standby is promoted no server accepts writes: the nodes answer 503, quickly.
  EXPECT_TRUE(wait_for([&] { return unavailable >= kWriters; }, seconds(10))) << "no 503 while no primary existed";
  {
    const auto probe = Clock::now();
    EXPECT_EQ(testing::HttpGetStatus(node_a.ops_port(), "/readyz", milliseconds(5000)), 503);
    EXPECT_LT(Clock::now() - probe, seconds(3)) << "/readyz was slow to say not ready";
  }
  pg.PromoteStandby();
  phase = kPromoted;
  // The same processes write again, through the new primary, with no restart.
  EXPECT_TRUE(wait_for([&] { return acked_after[0] >= 10 && acked_after[1] >= 10; }, seconds(20)))
      << "writes after the promotion: node a " << acked_after[0] << ", node b " << acked_after[1];
  stop = true;
  for (auto& t : writers) t.join();

  EXPECT_TRUE(node_a.process().running());
  EXPECT_TRUE(node_b.process().running());
  EXPECT_EQ(node_a.process().pid(), pid_a);
  EXPECT_EQ(node_b.process().pid(), pid_b);
  // The former standby is the primary now, with no standby of its own (until one is attached).
  for (OwnServer* node : nodes) {
    auto [status, body] = OpsGet(node->ops_port(), "/readyz");
    EXPECT_EQ(status, 200) << body;
    EXPECT_EQ(body, R"({"status":"ready","database":"primary","standbys":0,"synchronous_standbys":0})");
    const std::string metrics = Scrape(node->ops_port());
    EXPECT_EQ(Sample(metrics, "nara_db_primary"), 1) << metrics;
    EXPECT_EQ(Sample(metrics, R"(nara_db_standbys{sync="true"})"), 0) << metrics;
    EXPECT_EQ(Sample(metrics, "nara_db_replication_lag_seconds"), -1) << "no standby, no lag: " << metrics;
  }

  // Every answer was a success, or 503 + Retry-After `transient`; a read back of a lost write 404.
  int answered_503 = 0;
  for (const auto& a : answers) {
    const bool read = a.what.rfind("GET", 0) == 0;
    if (a.status == 201 || (read && (a.status == 200 || a.status == 404))) continue;
    if (a.status == 503) {
      ++answered_503;
      EXPECT_EQ(a.issue_code, "transient") << a.what;
      EXPECT_FALSE(a.retry_after.empty()) << a.what << ": 503 without Retry-After";
      EXPECT_NE(a.phase_before, kPromoted) << a.what << ": 503 after the promotion had finished";
      continue;
    }
    ADD_FAILURE() << a.what << " on node " << a.node << " answered " << a.status << " " << a.error
                  << " (phase " << a.phase_before << "→" << a.phase_after << ")";
  }
  EXPECT_GE(answered_503, 1);

  // On the new primary (the former standby, asked directly): every acknowledged listing, and no
  // duplicate versions.
  const std::string new_primary = pg.standby_url(db);
  EXPECT_EQ(PsqlValue(new_primary, "SELECT pg_is_in_recovery()"), "f");
  size_t total_acknowledged = 0;
  for (int w = 0; w < kWriters; ++w) {
    total_acknowledged += acknowledged[w].size();
    for (const auto& id : acknowledged[w]) {
      EXPECT_EQ(PsqlValue(new_primary, "SELECT count(*) FROM resource_current WHERE res_type = 'EpisodeOfCare' "
                                       "AND res_id = '" + id + "' AND NOT deleted"),
                "1")
          << "acknowledged listing " << id << " is not on the new primary";
    }
    // Listings 1..stored exist, none beyond: the client wrote listing k+1 only once k was stored.
    EXPECT_EQ(PsqlValue(new_primary, "SELECT count(*) FROM resource_current WHERE res_type = 'EpisodeOfCare' "
                                     "AND res_id LIKE '" + patients[w] + "-l%'"),
              std::to_string(stored[w]))
        << patients[w];
    // One listing in force: each change finished the one before it, once.
    EXPECT_EQ(PsqlValue(new_primary, "SELECT string_agg(episode_id, ',') FROM registry_listing WHERE patient_id = '" +
                                         patients[w] + "' AND status = 'active'"),
              patients[w] + "-l" + std::to_string(stored[w]));
  }
  // Every listing has version 1 (written) and, if a later change finished it, version 2 — nothing more,
  // no gap.
  EXPECT_EQ(PsqlValue(new_primary, "SELECT count(*) FROM (SELECT res_id FROM resource_version WHERE res_type = "
                                   "'EpisodeOfCare' GROUP BY res_id HAVING count(*) <> max(version) "
                                   "OR max(version) > 2) odd"),
            "0");
  EXPECT_EQ(PsqlValue(new_primary, "SELECT count(*) FROM resource_current WHERE res_type = 'EpisodeOfCare' "
                                   "AND version <> 2 AND res_id NOT IN (SELECT episode_id FROM registry_listing "
                                   "WHERE status = 'active')"),
            "0")
      << "a finished listing without exactly its second version";

  // And through the API of the nodes themselves.
  auto reader = node_b.Client("ehr");
  for (int w = 0; w < kWriters; ++w) {
    for (const auto& id : acknowledged[w]) {
      auto read = reader->Request("GET", "/fhir/EpisodeOfCare/" + id);
      ASSERT_EQ(read.status, 200) << id << ": " << read.body;
    }
  }
  const long elapsed = static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - test_start).count());
  std::printf("[failover] %zu changes acknowledged (%d before the kill, %d + %d after the promotion), %d answers "
              "503 in between, %ld ms in all\n",
              total_acknowledged, acked_before.load(), acked_after[0].load(), acked_after[1].load(), answered_503,
              elapsed);
}

}  // namespace
}  // namespace nara::e2e
