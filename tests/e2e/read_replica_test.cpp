// Reads from a hot standby (issue 16, docs/api.md section 12): a node whose NARA_DATABASE_READ_URL names
// the standby of its primary sends searches there, and a caller still reads its own writes at once. Real
// PostgreSQL primary + hot standby (tests/support PgReplicatedCluster), real TLS. Shown:
// - 50 times: a write, then at once a search through the same node by the same caller, finds it;
// - with the standby's replay paused, the writer's search still finds its write (the node waits
//   database.read-wait-ms, then reads the primary), while a caller who wrote nothing gets the standby's
//   older state (so searches do go to the standby), unless it echoes the writer's X-Nara-Commit-Lsn;
// - /metrics counts the routed reads by database (nara_db_reads_total{pool=...}); measures are routed too;
// - a node whose read URL leads nowhere still answers from the primary; /readyz says `degraded`;
// - a Patient a search found on a lagging standby is never kept as the answer to its read by id.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <utility>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/scrape.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

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

// PostgreSQL's text form of a WAL position, e.g. 16/B374D848.
bool IsLsn(const std::string& text) { return std::regex_match(text, std::regex("[0-9A-F]{1,8}/[0-9A-F]{1,8}")); }

using testing::PsqlValue;

// How many Organizations with this id a search through `client` finds ("" when the search failed).
std::string Found(testing::TlsClient& client, const std::string& id,
                  const std::map<std::string, std::string>& headers = {}) {
  auto search = client.Request("GET", "/fhir/Organization?_id=" + id, "", headers);
  EXPECT_EQ(search.status, 200) << search.body;
  if (search.status != 200) return "";
  return At(Parse(search.body), "/total");
}

double Reads(int ops_port, const std::string& pool) {
  return Sample(Scrape(ops_port), "nara_db_reads_total{pool=\"" + pool + "\"}");
}

TEST(ReadReplica, CallerReadsItsOwnWritesThroughAStandbyAndOthersReadTheStandby) {
  if (testing::PgCluster::Shared().external())
    GTEST_SKIP() << "starts clusters of its own; not with NARA_TEST_DATABASE_URL";
  testing::PgReplicatedCluster pg;
  const std::string db = pg.CreateDatabase("readurl");
  OwnServer node("readurl", {{"NARA_DATABASE_URL", pg.primary_url(db)},
                             {"NARA_DATABASE_READ_URL", pg.standby_url(db)},
                             {"NARA_THREADS", "4"},
                             {"NARA_DB_POOL_SIZE", "4"}});
  ASSERT_TRUE(node.Migrate());
  ASSERT_TRUE(node.Start());
  {
    auto [status, body] = OpsGet(node.ops_port(), "/readyz");
    EXPECT_EQ(status, 200) << body;
    EXPECT_EQ(body, R"({"status":"ready","database":"primary","standbys":1,"synchronous_standbys":1,)"
                    R"("reads":"read-url","read_database":"standby"})");
  }
  auto admin = node.Client("admin");
  auto ehr = node.Client("ehr");
  auto write = [&](const std::string& id) {
    auto put = admin->Request("PUT", "/fhir/Organization/" + id,
                              reg::OrganizationJson(id, reg::UnitHsa(reg::kRegionHsa), "vardcentral"), reg::kFhirJson);
    EXPECT_EQ(put.status, 201) << put.body;
    return put;
  };

  // Read-your-writes, again and again: each search right after its write.
  constexpr int kRounds = 50;
  for (int i = 0; i < kRounds; ++i) {
    const std::string id = "rr-org" + std::to_string(i);
    auto put = write(id);
    // The commit position, for a client that goes on through another node.
    EXPECT_TRUE(IsLsn(put.headers["x-nara-commit-lsn"])) << put.headers["x-nara-commit-lsn"];
    ASSERT_EQ(Found(*admin, id), "1") << "round " << i << ": the writer's search missed its own write";
  }
  const double standby_reads = Reads(node.ops_port(), "standby");
  const double primary_reads = Reads(node.ops_port(), "primary");
  EXPECT_EQ(standby_reads + primary_reads, kRounds) << Scrape(node.ops_port());

  // The standby stops replaying: what is written now is on the primary only (its WAL still reaches the
  // standby, so synchronous commit goes on).
  ASSERT_EQ(testing::Psql(pg.standby_url(db), "SELECT pg_wal_replay_pause()").first, 0);
  const std::string late = "rr-late";
  auto put = write(late);
  const std::string lsn = put.headers["x-nara-commit-lsn"];
  ASSERT_TRUE(IsLsn(lsn)) << lsn;
  // Not on the standby.
  EXPECT_EQ(PsqlValue(pg.standby_url(db),
                      "SELECT count(*) FROM resource_current WHERE res_type = 'Organization' AND res_id = '" + late + "'"),
            "0");

  // The writer still sees it: after the wait, from the primary.
  const double lagging_before = Sample(Scrape(node.ops_port()), R"(nara_db_read_fallbacks_total{reason="lagging"})");
  EXPECT_EQ(Found(*admin, late), "1");
  EXPECT_EQ(Sample(Scrape(node.ops_port()), R"(nara_db_read_fallbacks_total{reason="lagging"})"), lagging_before + 1);

  // Another caller, who wrote nothing, reads the standby as it is: without the write.
  const double standby_before = Reads(node.ops_port(), "standby");
  EXPECT_EQ(Found(*ehr, late), "0") << "a caller with no write of its own was not sent to the standby";
  EXPECT_EQ(Found(*ehr, "rr-org0"), "1");
  EXPECT_EQ(Reads(node.ops_port(), "standby"), standby_before + 2);
  // Unless it brings the writer's commit position (as a client moving between nodes would its own).
  EXPECT_EQ(Found(*ehr, late, {{"X-Nara-Commit-Lsn", lsn}}), "1");
  // A position that is no position is ignored, like any unusable hint.
  EXPECT_EQ(Found(*ehr, late, {{"X-Nara-Commit-Lsn", "not-an-lsn"}}), "0");

  // Replay resumes: the standby catches up, and the other caller sees the write there (bounded polls).
  ASSERT_EQ(testing::Psql(pg.standby_url(db), "SELECT pg_wal_replay_resume()").first, 0);
  std::string seen;
  for (int i = 0; i < 200 && seen != "1"; ++i) {
    seen = Found(*ehr, late);
    if (seen != "1") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(seen, "1");
  // And the writer, whose write the standby now has, reads the standby again.
  const double standby_again = Reads(node.ops_port(), "standby");
  EXPECT_EQ(Found(*admin, late), "1");
  EXPECT_EQ(Reads(node.ops_port(), "standby"), standby_again + 1);

  // Measures are routed like searches: a statistician's national report runs on the standby.
  auto stats = node.Client("statistics");
  const double standby_measure = Reads(node.ops_port(), "standby");
  auto report = stats->Request("GET", "/fhir/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-11-01");
  EXPECT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(At(Parse(report.body), "/resourceType"), "MeasureReport");
  EXPECT_EQ(Reads(node.ops_port(), "standby"), standby_measure + 1);
}

// The Patient answer cache (fhir/http/patient_answer_cache.h) keeps the Patients a search computed,
// but never from the standby: its state may be older than the notifications the node has heard, and a
// read by id must answer the current version (docs/api.md section 12).
TEST(ReadReplica, APatientFoundOnALaggingStandbyIsNeverKeptAsTheReadsAnswer) {
  if (testing::PgCluster::Shared().external())
    GTEST_SKIP() << "starts clusters of its own; not with NARA_TEST_DATABASE_URL";
  testing::PgReplicatedCluster pg;
  const std::string db = pg.CreateDatabase("readkeep");
  OwnServer node("readkeep", {{"NARA_DATABASE_URL", pg.primary_url(db)},
                              {"NARA_DATABASE_READ_URL", pg.standby_url(db)}});
  ASSERT_TRUE(node.Migrate());
  ASSERT_TRUE(node.Start());
  bool live = false;
  for (int i = 0; i < 200 && !live; ++i) {
    live = Sample(Scrape(node.ops_port()), "nara_patient_cache_live") == 1;
    if (!live) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(live);
  auto admin = node.Client("admin");
  auto ehr = node.Client("ehr");
  const std::string pnr = reg::NextPersonnummer();
  auto put = admin->Request("PUT", "/fhir/Patient/rk-patient", reg::PatientWithPnr("rk-patient", pnr, "Först"),
                            reg::kFhirJson);
  ASSERT_EQ(put.status, 201) << put.body;
  // Version 2 is committed on the primary while the standby, paused, still has version 1.
  std::string on_standby;
  for (int i = 0; i < 200 && on_standby != "1"; ++i) {
    on_standby = PsqlValue(pg.standby_url(db), "SELECT count(*) FROM resource_current WHERE "
                                               "res_type = 'Patient' AND res_id = 'rk-patient'");
    if (on_standby != "1") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(on_standby, "1");
  ASSERT_EQ(testing::Psql(pg.standby_url(db), "SELECT pg_wal_replay_pause()").first, 0);
  put = admin->Request("PUT", "/fhir/Patient/rk-patient", reg::PatientWithPnr("rk-patient", pnr, "Sedan"),
                       reg::kFhirJson);
  ASSERT_EQ(put.status, 200) << put.body;

  // A caller who wrote nothing searches the standby and finds version 1, as searches may.
  const double standby_reads = Reads(node.ops_port(), "standby");
  auto found = ehr->Request("GET", "/fhir/Patient?_id=rk-patient");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(At(Parse(found.body), "/entry/0/resource/meta/versionId"), "1");
  EXPECT_EQ(Reads(node.ops_port(), "standby"), standby_reads + 1);
  // Its read by id is the current version: what the search found on the standby was not kept.
  for (int i = 0; i < 2; ++i) {
    auto read = ehr->Request("GET", "/fhir/Patient/rk-patient");
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(At(Parse(read.body), "/meta/versionId"), "2") << "read " << i;
  }
  ASSERT_EQ(testing::Psql(pg.standby_url(db), "SELECT pg_wal_replay_resume()").first, 0);
}

TEST(ReadReplica, NodeWhoseReadDatabaseIsUnreachableAnswersFromThePrimary) {
  // A read URL that leads nowhere (no server on that socket): the node starts, and its reads run on the
  // primary (its own database on the shared test cluster).
  const std::string nowhere = WriteTempFile("no-standby", "");
  OwnServer node("readurl-dead", {{"NARA_DATABASE_READ_URL", "postgresql://postgres@/nara?host=" +
                                                                 nowhere.substr(0, nowhere.rfind('/')) + "&port=1"}});
  ASSERT_TRUE(node.Migrate());
  ASSERT_TRUE(node.Start());
  auto admin = node.Client("admin");
  for (int i = 0; i < 3; ++i) {
    const std::string id = "rd-org" + std::to_string(i);
    auto put = admin->Request("PUT", "/fhir/Organization/" + id,
                              reg::OrganizationJson(id, reg::UnitHsa(reg::kRegionHsa), "vardcentral"), reg::kFhirJson);
    ASSERT_EQ(put.status, 201) << put.body;
    EXPECT_EQ(Found(*admin, id), "1");
  }
  auto ehr = node.Client("ehr");
  EXPECT_EQ(Found(*ehr, "rd-org0"), "1");
  const std::string metrics = Scrape(node.ops_port());
  EXPECT_EQ(Sample(metrics, R"(nara_db_reads_total{pool="standby"})"), 0) << metrics;
  EXPECT_EQ(Sample(metrics, R"(nara_db_reads_total{pool="primary"})"), 4) << metrics;
  EXPECT_EQ(Sample(metrics, R"(nara_db_read_fallbacks_total{reason="unreachable"})"), 4) << metrics;
  // Ready (every answer is right), but degraded: the primary carries the reads.
  auto [status, body] = OpsGet(node.ops_port(), "/readyz");
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find(R"("status":"degraded")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("read_database":"unreachable")"), std::string::npos) << body;
}

}  // namespace
}  // namespace nara::e2e
