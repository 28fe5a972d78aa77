// /metrics end to end (issue 8): requests, latency, audit rows and the pool as a scraper sees them,
// moving with the requests the test makes on a server of its own.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/scrape.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {
namespace {

const std::map<std::string, std::string> kFhirJson = {{"Content-Type", "application/fhir+json"}};

TEST(Metrics, CountersMoveWithTheRequestsMade) {
  OwnServer server("metrics");
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  std::string content_type;
  const std::string before = Scrape(server.ops_port(), &content_type);
  EXPECT_EQ(content_type.rfind("text/plain", 0), 0u) << content_type;
  EXPECT_EQ(Sample(before, R"(nara_http_requests_total{interaction="read",status="200"})"), -1) << before;
  EXPECT_EQ(Sample(before, "nara_audit_rows_written_total"), 0) << before;
  EXPECT_EQ(Sample(before, R"(nara_export_jobs{state="running"})"), 0) << before;
  EXPECT_EQ(Sample(before, "nara_db_pool_max"), 24) << before;  // NARA_DB_POOL_SIZE of the e2e environment

  auto admin = server.Client("admin");
  const std::string patient = PatientJson("191212121212", "Metricsson", "metrics-1");
  ASSERT_EQ(admin->Request("PUT", "/fhir/Patient/metrics-1", patient, kFhirJson).status, 201);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(admin->Request("GET", "/fhir/Patient/metrics-1").status, 200);
  ASSERT_EQ(admin->Request("GET", "/fhir/Patient/metrics-missing").status, 404);
  ASSERT_EQ(admin->Request("GET", "/fhir/Patient?family=Metricsson").status, 200);
  ASSERT_EQ(admin->Request("GET", "/fhir/metadata").status, 200);

  const std::string after = Scrape(server.ops_port());
  EXPECT_EQ(Sample(after, R"(nara_http_requests_total{interaction="update",status="201"})"), 1) << after;
  EXPECT_EQ(Sample(after, R"(nara_http_requests_total{interaction="read",status="200"})"), 3) << after;
  EXPECT_EQ(Sample(after, R"(nara_http_requests_total{interaction="read",status="404"})"), 1) << after;
  EXPECT_EQ(Sample(after, R"(nara_http_requests_total{interaction="search-type",status="200"})"), 1) << after;
  EXPECT_EQ(Sample(after, R"(nara_http_requests_total{interaction="capabilities",status="200"})"), 1) << after;
  // Every read lands in the histogram's +Inf bucket and count; the sum is the time they took.
  EXPECT_EQ(Sample(after, R"(nara_http_request_duration_seconds_bucket{interaction="read",le="+Inf"})"), 4) << after;
  EXPECT_EQ(Sample(after, R"(nara_http_request_duration_seconds_count{interaction="read"})"), 4) << after;
  EXPECT_GT(Sample(after, R"(nara_http_request_duration_seconds_sum{interaction="read"})"), 0) << after;
  // One audit row per request on patient data (the write, four reads, the search), as in the table.
  auto [code, rows] = testing::Psql(server.database_url(), "SELECT count(*) FROM audit_event");
  ASSERT_EQ(code, 0) << rows;
  EXPECT_EQ(Sample(after, "nara_audit_rows_written_total"), std::stod(rows)) << after;
  EXPECT_EQ(Sample(after, "nara_audit_rows_written_total"), 6) << after;
  // The pool has opened connections and none is leased between requests.
  EXPECT_EQ(Sample(after, R"(nara_db_pool_connections{state="in_use"})"), 0) << after;
  EXPECT_GE(Sample(after, R"(nara_db_pool_connections{state="idle"})"), 1) << after;
  // No personnummer or resource id reaches the metrics.
  EXPECT_EQ(after.find("191212121212"), std::string::npos);
  EXPECT_EQ(after.find("metrics-1"), std::string::npos);
}

}  // namespace
}  // namespace nara::e2e
