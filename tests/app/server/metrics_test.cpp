// /metrics: the interaction labels, counters and the latency histogram in Prometheus text format.
#include "app/server/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace nara::app {
namespace {

using std::chrono::milliseconds;

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(InteractionOf, NamesTheFhirInteraction) {
  EXPECT_EQ(InteractionOf("GET", "/metadata"), "capabilities");
  EXPECT_EQ(InteractionOf("GET", "/Patient/abc"), "read");
  EXPECT_EQ(InteractionOf("GET", "/Patient/abc/_history/2"), "vread");
  EXPECT_EQ(InteractionOf("GET", "/Patient/abc/_history"), "history-instance");
  EXPECT_EQ(InteractionOf("GET", "/Patient/_history"), "history-type");
  EXPECT_EQ(InteractionOf("GET", "/_history"), "history-system");
  EXPECT_EQ(InteractionOf("PUT", "/Patient/abc"), "update");
  EXPECT_EQ(InteractionOf("PATCH", "/Patient/abc"), "patch");
  EXPECT_EQ(InteractionOf("DELETE", "/Patient/abc"), "delete");
  EXPECT_EQ(InteractionOf("POST", "/Patient"), "create");
  EXPECT_EQ(InteractionOf("GET", "/Patient"), "search-type");
  EXPECT_EQ(InteractionOf("POST", "/Patient/_search"), "search-type");
  EXPECT_EQ(InteractionOf("GET", ""), "search-system");
  EXPECT_EQ(InteractionOf("POST", ""), "transaction-or-batch");
  EXPECT_EQ(InteractionOf("POST", "/"), "transaction-or-batch");
  EXPECT_EQ(InteractionOf("GET", "/PractitionerRole/x/$list-status"), "operation");
  EXPECT_EQ(InteractionOf("GET", "/Patient/$fixed-contacts"), "operation");
  EXPECT_EQ(InteractionOf("DELETE", "/Patient"), "other");
  EXPECT_EQ(InteractionOf("GET", "/a/b/c/d/e"), "other");
}

TEST(Metrics, CountsRequestsByInteractionAndStatus) {
  Metrics metrics;
  metrics.ObserveRequest("read", 200, milliseconds(3));
  metrics.ObserveRequest("read", 200, milliseconds(4));
  metrics.ObserveRequest("read", 404, milliseconds(1));
  metrics.ObserveRequest("create", 201, milliseconds(30));
  const std::string text = metrics.Render({});
  EXPECT_TRUE(Has(text, "# TYPE nara_http_requests_total counter")) << text;
  EXPECT_TRUE(Has(text, R"(nara_http_requests_total{interaction="read",status="200"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_http_requests_total{interaction="read",status="404"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_http_requests_total{interaction="create",status="201"} 1)")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Metrics metrics;
  metrics.ObserveRequest("search-type", 200, milliseconds(3));     // ≤ 0.005
  metrics.ObserveRequest("search-type", 200, milliseconds(40));    // ≤ 0.05
  metrics.ObserveRequest("search-type", 200, milliseconds(20000)); // beyond 10: +Inf only
  const std::string text = metrics.Render({});
  const std::string b = R"(nara_http_request_duration_seconds_bucket{interaction="search-type",le=")";
  EXPECT_TRUE(Has(text, "# TYPE nara_http_request_duration_seconds histogram")) << text;
  EXPECT_TRUE(Has(text, b + R"(0.005"} 1)")) << text;
  EXPECT_TRUE(Has(text, b + R"(0.025"} 1)")) << text;
  EXPECT_TRUE(Has(text, b + R"(0.05"} 2)")) << text;
  EXPECT_TRUE(Has(text, b + R"(10"} 2)")) << text;
  EXPECT_TRUE(Has(text, b + R"(+Inf"} 3)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_http_request_duration_seconds_count{interaction="search-type"} 3)")) << text;
  const std::string sum = R"(nara_http_request_duration_seconds_sum{interaction="search-type"} )";
  const size_t at = text.find(sum);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(at + sum.size())), 20.043, 1e-9);
}

TEST(Metrics, GaugesCountersAndTheExportHook) {
  Metrics metrics;
  std::string text = metrics.Render({3, 5, 16, 42});
  EXPECT_TRUE(Has(text, R"(nara_db_pool_connections{state="in_use"} 3)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_db_pool_connections{state="idle"} 5)")) << text;
  EXPECT_TRUE(Has(text, "nara_db_pool_max 16")) << text;
  EXPECT_TRUE(Has(text, "nara_audit_rows_written_total 42")) << text;
  EXPECT_TRUE(Has(text, R"(nara_export_jobs{state="running"} 0)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_export_jobs{state="queued"} 0)")) << text;
  EXPECT_TRUE(Has(text, "nara_http_overloaded_total 0")) << text;
  metrics.SetExportJobs("running", 2);
  metrics.CountOverloaded();
  metrics.CountTimedOut();
  metrics.CountTimedOut();
  text = metrics.Render({});
  EXPECT_TRUE(Has(text, R"(nara_export_jobs{state="running"} 2)")) << text;
  EXPECT_TRUE(Has(text, "nara_http_overloaded_total 1")) << text;
  EXPECT_TRUE(Has(text, "nara_http_connections_timed_out_total 2")) << text;
}

TEST(Metrics, SubscriptionCallsLatencyAndTheDatabaseGauges) {
  Metrics metrics;
  std::string text = metrics.Render({});
  // Before any call: the counters at 0 for every type and outcome; no source, no gauges.
  EXPECT_TRUE(Has(text, R"(nara_subscription_deliveries_total{type="event-notification",outcome="ok"} 0)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_deliveries_total{type="handshake",outcome="failed"} 0)")) << text;
  EXPECT_TRUE(Has(text, "nara_subscription_delivery_latency_seconds_count 0")) << text;
  EXPECT_EQ(text.find("nara_subscription_outbox_backlog"), std::string::npos) << text;

  metrics.ObserveSubscriptionCall("handshake", true);
  metrics.ObserveSubscriptionCall("event-notification", true);
  metrics.ObserveSubscriptionCall("event-notification", false);
  metrics.ObserveSubscriptionCall("event-notification", false);
  metrics.ObserveEventDelivered(milliseconds(30));   // ≤ 0.05
  metrics.ObserveEventDelivered(milliseconds(700));  // ≤ 1
  metrics.ObserveEventDelivered(milliseconds(-5));   // another node's clock ahead: counted as 0
  int reads = 0;
  metrics.SetSubscriptionSource([&reads](Metrics::SubscriptionGauges& gauges) {
    ++reads;
    gauges.outbox = 7;
    gauges.by_status = {{"active", 2, 3}, {"error", 1, 40}};
    return true;
  });
  text = metrics.Render({});
  EXPECT_EQ(reads, 1) << "read once per scrape";
  EXPECT_TRUE(Has(text, R"(nara_subscription_deliveries_total{type="handshake",outcome="ok"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_deliveries_total{type="event-notification",outcome="ok"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_deliveries_total{type="event-notification",outcome="failed"} 2)")) << text;
  EXPECT_TRUE(Has(text, "# TYPE nara_subscription_delivery_latency_seconds histogram")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_delivery_latency_seconds_bucket{le="0.005"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_delivery_latency_seconds_bucket{le="0.05"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_delivery_latency_seconds_bucket{le="1"} 3)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_delivery_latency_seconds_bucket{le="+Inf"} 3)")) << text;
  EXPECT_TRUE(Has(text, "nara_subscription_delivery_latency_seconds_count 3")) << text;
  EXPECT_TRUE(Has(text, "nara_subscription_outbox_backlog 7")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscriptions{status="active"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscriptions{status="requested"} 0)")) << "every status, 0 when none";
  EXPECT_TRUE(Has(text, R"(nara_subscription_events_pending{status="error"} 40)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_subscription_events_pending{status="off"} 0)")) << text;
  // The database away: the gauges are left out rather than shown as 0.
  metrics.SetSubscriptionSource([](Metrics::SubscriptionGauges&) { return false; });
  text = metrics.Render({});
  EXPECT_EQ(text.find("nara_subscription_outbox_backlog"), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "nara_subscription_delivery_latency_seconds_count 3")) << text;
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) metrics.ObserveRequest("read", 200, milliseconds(1));
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.Render({});
  EXPECT_TRUE(Has(text, R"(nara_http_requests_total{interaction="read",status="200"} 4000)")) << text;
  EXPECT_TRUE(Has(text, R"(nara_http_request_duration_seconds_count{interaction="read"} 4000)")) << text;
}

}  // namespace
}  // namespace nara::app
