// Metrics: the server's counters and gauges for /metrics, in the Prometheus text exposition format
// (version 0.0.4). Owned by `nara serve` and passed to whoever records (no global registry).
//
// Label values come from small fixed sets only (the FHIR interaction of a request, its HTTP status,
// an export job state), never from request content: a scrape stays small whatever clients send, and
// no identifier can reach the metrics. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nara::app {

// The FHIR interaction a request asks for, from its method and path below the base ("/Patient/1"):
// read, vread, update, patch, delete, history-instance, history-type, history-system, create,
// search-type, search-system, capabilities, batch (a Bundle POSTed to the base), operation, other.
std::string_view InteractionOf(std::string_view method, std::string_view path);

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram's buckets; +Inf is implied.
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};

  // One FHIR request answered (including refusals: 401, 403, 429, 503…).
  void ObserveRequest(std::string_view interaction, int status, std::chrono::nanoseconds duration);
  // A connection answered 503 because every worker was busy.
  void CountOverloaded() { overloaded_++; }
  // A connection closed because its request did not arrive in time (slow or silent client).
  void CountTimedOut() { timed_out_++; }
  // Gauge hook for the Bulk Data $export worker: jobs currently in `state` ("queued", "running").
  // Both states read 0 until a worker sets them.
  void SetExportJobs(std::string_view state, long jobs);

  // Change notifications (docs/api.md section 10). One call to an endpoint finished: type handshake,
  // heartbeat or event-notification; ok = the endpoint answered 2xx.
  void ObserveSubscriptionCall(std::string_view type, bool ok);
  // One event acknowledged by its endpoint, `latency` after its change was stamped (meta.lastUpdated,
  // taken in the writing transaction just before it commits).
  void ObserveEventDelivered(std::chrono::nanoseconds latency);
  // What the database says at scrape time (outbox backlog, subscriptions and pending events by
  // status); the source returns false when it could not be read (the gauges are then left out).
  struct SubscriptionGauges {
    long long outbox = 0;
    struct ByStatus {
      std::string status;
      long long subscriptions = 0, pending = 0;
    };
    std::vector<ByStatus> by_status;
  };
  void SetSubscriptionSource(std::function<bool(SubscriptionGauges&)> source);
  // The Patient answer cache (cache.patient-answers), read at scrape time; left out when not set.
  struct PatientCacheGauges {
    long hits = 0, misses = 0, fills = 0, forgotten = 0, entries = 0;
    bool live = false;
    long list_hits = 0, list_misses = 0, lists = 0;
  };
  void SetPatientCacheSource(std::function<PatientCacheGauges()> source);

  // Values read from elsewhere at scrape time.
  struct Scrape {
    int pool_in_use = 0;
    int pool_idle = 0;
    int pool_max = 0;
    long audit_rows_written = 0;
    long audit_batches_written = 0;  // batches the reads' and refusals' rows went in
    // Replication as the node sees its database (pg/pg_replication.h); db_known false: not reachable.
    bool db_known = false;
    bool db_primary = true;
    double replication_lag_seconds = -1;  // -1: not known (no standby, or not visible to the login role)
    long standbys = 0;
    long sync_standbys = 0;
    // Read routing (database.read-url, pg/read_routing.h); read_routing false: not configured.
    bool read_routing = false;
    long reads_standby = 0;
    long reads_primary = 0;
    long reads_primary_lagging = 0;      // the standby had not replayed the caller's write in time
    long reads_primary_unreachable = 0;  // the standby could not be reached
    double read_lag_seconds = -1;        // the read database's replay lag; -1 unknown or unreachable
  };
  std::string Render(const Scrape& scrape) const;

 private:
  struct Histogram {
    std::array<long, kBuckets.size()> buckets{};  // non-cumulative counts per bucket
    long count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, long> requests_;  // (interaction, status) → count
  std::map<std::string, Histogram> durations_;            // interaction → latency
  std::map<std::string, long> export_jobs_{{"queued", 0}, {"running", 0}};
  std::map<std::pair<std::string, bool>, long> subscription_calls_;  // (type, ok) → count
  Histogram event_latency_;
  std::function<bool(SubscriptionGauges&)> subscription_source_;
  std::function<PatientCacheGauges()> patient_cache_source_;
  std::atomic<long> overloaded_{0};
  std::atomic<long> timed_out_{0};
};

}  // namespace nara::app
