#include "app/server/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace nara::app {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// The shortest decimal that reads back as the same double: "0.005", not "0.0050000000000000001".
std::string Number(double value) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    // "1e+01" reads back as 10 too, but a bucket bound should read like one.
    if (std::strtod(buf, nullptr) == value && std::string_view(buf).find('e') == std::string_view::npos) break;
  }
  return buf;
}

}  // namespace

std::string_view InteractionOf(std::string_view method, std::string_view path) {
  const auto segments = Segments(path);
  for (const auto& segment : segments) {
    if (!segment.empty() && segment[0] == '$') return "operation";
  }
  const size_t n = segments.size();
  if (n == 0) {
    if (method == "POST") return "transaction-or-batch";  // the body says which; the path does not
    if (method == "GET") return "search-system";
    return "other";
  }
  if (n == 1 && segments[0] == "metadata") return method == "GET" ? "capabilities" : "other";
  if (n == 1 && segments[0] == "_history") return method == "GET" ? "history-system" : "other";
  if (n == 1 && segments[0] == "_search") return method == "POST" ? "search-system" : "other";
  if (n == 1) {
    if (method == "GET") return "search-type";
    if (method == "POST") return "create";
    return "other";
  }
  if (n == 2 && segments[1] == "_search") return method == "POST" ? "search-type" : "other";
  if (n == 2 && segments[1] == "_history") return method == "GET" ? "history-type" : "other";
  if (n == 2) {
    if (method == "GET") return "read";
    if (method == "PUT") return "update";
    if (method == "PATCH") return "patch";
    if (method == "DELETE") return "delete";
    return "other";
  }
  if (n == 3 && segments[2] == "_history") return method == "GET" ? "history-instance" : "other";
  if (n == 4 && segments[2] == "_history") return method == "GET" ? "vread" : "other";
  return "other";
}

void Metrics::ObserveRequest(std::string_view interaction, int status, std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mu_);
  requests_[{std::string(interaction), status}]++;
  Histogram& h = durations_[std::string(interaction)];
  if (bucket < kBuckets.size()) h.buckets[bucket]++;  // beyond the last bound: only in +Inf (count)
  h.count++;
  h.sum += seconds;
}

void Metrics::ObserveSubscriptionCall(std::string_view type, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  subscription_calls_[{std::string(type), ok}]++;
}

void Metrics::ObserveEventDelivered(std::chrono::nanoseconds latency) {
  const double seconds = std::max(0.0, std::chrono::duration<double>(latency).count());  // clocks of two nodes
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mu_);
  if (bucket < kBuckets.size()) event_latency_.buckets[bucket]++;
  event_latency_.count++;
  event_latency_.sum += seconds;
}

void Metrics::SetSubscriptionSource(std::function<bool(SubscriptionGauges&)> source) {
  std::lock_guard<std::mutex> lock(mu_);
  subscription_source_ = std::move(source);
}

void Metrics::SetPatientCacheSource(std::function<PatientCacheGauges()> source) {
  std::lock_guard<std::mutex> lock(mu_);
  patient_cache_source_ = std::move(source);
}

void Metrics::SetExportJobs(std::string_view state, long jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  export_jobs_[std::string(state)] = jobs;
}

std::string Metrics::Render(const Scrape& scrape) const {
  std::string out;
  auto line = [&out](const std::string& name, const std::string& labels, const std::string& value) {
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    out += " " + value + "\n";
  };
  auto header = [&out](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  // The database is read before the lock is taken: a slow query never holds up request threads.
  std::function<bool(SubscriptionGauges&)> source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    source = subscription_source_;
  }
  SubscriptionGauges gauges;
  const bool gauges_known = source && source(gauges);
  std::lock_guard<std::mutex> lock(mu_);

  header("nara_http_requests_total", "counter", "FHIR requests answered, by interaction and HTTP status.");
  for (const auto& [key, count] : requests_) {
    line("nara_http_requests_total", "interaction=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"",
         std::to_string(count));
  }
  header("nara_http_request_duration_seconds", "histogram",
         "Time from the request's arrival to its answer being ready, by interaction.");
  auto histogram = [&line](const std::string& name, const std::string& label, const Histogram& h) {
    const std::string sep = label.empty() ? "" : ",";
    long cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      line(name + "_bucket", label + sep + "le=\"" + Number(kBuckets[i]) + "\"", std::to_string(cumulative));
    }
    line(name + "_bucket", label + sep + "le=\"+Inf\"", std::to_string(h.count));
    line(name + "_sum", label, Number(h.sum));
    line(name + "_count", label, std::to_string(h.count));
  };
  for (const auto& [interaction, h] : durations_) {
    histogram("nara_http_request_duration_seconds", "interaction=\"" + interaction + "\"", h);
  }
  header("nara_http_overloaded_total", "counter", "Connections answered 503 because every worker thread was busy.");
  line("nara_http_overloaded_total", "", std::to_string(overloaded_.load()));
  header("nara_http_connections_timed_out_total", "counter",
         "Connections closed because the request did not arrive within request-timeout.seconds.");
  line("nara_http_connections_timed_out_total", "", std::to_string(timed_out_.load()));
  header("nara_db_pool_connections", "gauge", "PostgreSQL connections of the pool, by state.");
  line("nara_db_pool_connections", "state=\"in_use\"", std::to_string(scrape.pool_in_use));
  line("nara_db_pool_connections", "state=\"idle\"", std::to_string(scrape.pool_idle));
  header("nara_db_pool_max", "gauge", "Upper bound of the PostgreSQL connection pool (db.pool-size).");
  line("nara_db_pool_max", "", std::to_string(scrape.pool_max));
  if (scrape.db_known) {
    header("nara_db_primary", "gauge", "1 when the node's database (database.url) is the primary, 0 when a hot standby.");
    line("nara_db_primary", "", scrape.db_primary ? "1" : "0");
    if (scrape.db_primary) {
      header("nara_db_standbys", "gauge", "Standbys streaming from the primary, by synchronous or asynchronous.");
      line("nara_db_standbys", "sync=\"true\"", std::to_string(scrape.sync_standbys));
      line("nara_db_standbys", "sync=\"false\"", std::to_string(scrape.standbys - scrape.sync_standbys));
    }
    if (scrape.replication_lag_seconds >= 0) {
      header("nara_db_replication_lag_seconds", "gauge",
             "A primary: the largest replay lag of its standbys; a standby: how far its replay is behind.");
      line("nara_db_replication_lag_seconds", "", Number(scrape.replication_lag_seconds));
    }
  }
  if (scrape.read_routing) {
    header("nara_db_reads_total", "counter",
           "Routed reads (searches, measures) by the database that ran them: the standby of database.read-url "
           "or the primary.");
    line("nara_db_reads_total", "pool=\"standby\"", std::to_string(scrape.reads_standby));
    line("nara_db_reads_total", "pool=\"primary\"", std::to_string(scrape.reads_primary));
    header("nara_db_read_fallbacks_total", "counter",
           "Routed reads sent to the primary, by why: the standby had not replayed the caller's last write within "
           "database.read-wait-ms (lagging), or could not be reached (unreachable).");
    line("nara_db_read_fallbacks_total", "reason=\"lagging\"", std::to_string(scrape.reads_primary_lagging));
    line("nara_db_read_fallbacks_total", "reason=\"unreachable\"", std::to_string(scrape.reads_primary_unreachable));
    if (scrape.read_lag_seconds >= 0) {
      header("nara_db_read_replication_lag_seconds", "gauge",
             "How far the read database (database.read-url) replays behind the primary.");
      line("nara_db_read_replication_lag_seconds", "", Number(scrape.read_lag_seconds));
    }
  }
  if (patient_cache_source_) {
    const PatientCacheGauges cache = patient_cache_source_();
    header("nara_patient_cache_lookups_total", "counter",
           "Looks for a kept answer (cache.patient-answers): GET Patient reads and the patients of doctor's list "
           "pages, by whether one was found.");
    line("nara_patient_cache_lookups_total", "result=\"hit\"", std::to_string(cache.hits));
    line("nara_patient_cache_lookups_total", "result=\"miss\"", std::to_string(cache.misses));
    header("nara_patient_cache_fills_total", "counter", "Answers kept after a database read.");
    line("nara_patient_cache_fills_total", "", std::to_string(cache.fills));
    header("nara_patient_cache_forgotten_total", "counter",
           "Kept answers forgotten because a committed change named their patient (or everything was forgotten).");
    line("nara_patient_cache_forgotten_total", "", std::to_string(cache.forgotten));
    header("nara_patient_cache_entries", "gauge", "Answers kept now.");
    line("nara_patient_cache_entries", "", std::to_string(cache.entries));
    header("nara_patient_cache_live", "gauge",
           "1 while the database's change feed is heard (answers are served and kept), 0 otherwise.");
    line("nara_patient_cache_live", "", cache.live ? "1" : "0");
    header("nara_doctor_list_lookups_total", "counter",
           "Doctor's list pages (Patient?general-practitioner=PractitionerRole/{id}) that looked for the kept list, "
           "by whether it was kept.");
    line("nara_doctor_list_lookups_total", "result=\"hit\"", std::to_string(cache.list_hits));
    line("nara_doctor_list_lookups_total", "result=\"miss\"", std::to_string(cache.list_misses));
    header("nara_doctor_lists", "gauge", "Doctors' lists kept now.");
    line("nara_doctor_lists", "", std::to_string(cache.lists));
  }
  header("nara_audit_rows_written_total", "counter", "Audit log rows this process has committed.");
  line("nara_audit_rows_written_total", "", std::to_string(scrape.audit_rows_written));
  header("nara_audit_batches_written_total", "counter",
         "Commits that wrote the audit rows of reads and refusals (rows per batch = rows / batches under load).");
  line("nara_audit_batches_written_total", "", std::to_string(scrape.audit_batches_written));
  header("nara_export_jobs", "gauge", "Bulk Data $export jobs, by state.");
  for (const auto& [state, jobs] : export_jobs_) line("nara_export_jobs", "state=\"" + state + "\"", std::to_string(jobs));
  // Change notifications (docs/api.md section 10).
  header("nara_subscription_deliveries_total", "counter",
         "Calls to subscription endpoints by this node, by notification type and outcome (ok: the endpoint answered 2xx).");
  for (const char* type : {"handshake", "heartbeat", "event-notification"}) {
    for (const bool ok : {true, false}) {
      const auto found = subscription_calls_.find({type, ok});
      line("nara_subscription_deliveries_total",
           std::string("type=\"") + type + "\",outcome=\"" + (ok ? "ok" : "failed") + "\"",
           std::to_string(found == subscription_calls_.end() ? 0 : found->second));
    }
  }
  header("nara_subscription_delivery_latency_seconds", "histogram",
         "Per event acknowledged by this node: from its change's meta.lastUpdated (stamped just before commit) to "
         "the endpoint's 2xx.");
  histogram("nara_subscription_delivery_latency_seconds", "", event_latency_);
  if (gauges_known) {
    header("nara_subscription_outbox_backlog", "gauge",
           "Committed changes not yet numbered into subscription events (all nodes: read from the database).");
    line("nara_subscription_outbox_backlog", "", std::to_string(gauges.outbox));
    // Every status, 0 when none has it, so a dashboard's series never disappear.
    std::map<std::string, std::pair<long long, long long>> by_status{
        {"requested", {0, 0}}, {"active", {0, 0}}, {"error", {0, 0}}, {"off", {0, 0}}};
    for (const auto& s : gauges.by_status) by_status[s.status] = {s.subscriptions, s.pending};
    header("nara_subscriptions", "gauge", "Subscriptions by status (all nodes).");
    for (const auto& [status, counts] : by_status) {
      line("nara_subscriptions", "status=\"" + status + "\"", std::to_string(counts.first));
    }
    header("nara_subscription_events_pending", "gauge",
           "Events numbered but not yet acknowledged by the endpoint, by subscription status (all nodes).");
    for (const auto& [status, counts] : by_status) {
      line("nara_subscription_events_pending", "status=\"" + status + "\"", std::to_string(counts.second));
    }
  }
  return out;
}

}  // namespace nara::app
