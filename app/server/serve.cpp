#include "app/server/serve.h"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <csignal>
#include <thread>
#include <tuple>

#include "app/server/connection_guard.h"
#include "app/server/export_worker.h"
#include "app/server/fhir_handler.h"
#include "app/server/guarded_http_server.h"
#include "app/log.h"
#include "app/server/ops_server.h"
#include "app/server/subscription_worker.h"
#include "auth/tls_context.h"
#include "fhir/http/router.h"
#include "pg/migrations.h"
#include "pg/pg_export.h"
#include "pg/pg_measures.h"
#include "pg/pg_replication.h"
#include "pg/patient_feed.h"
#include "pg/pg_store.h"
#include "pg/pg_subscriptions.h"
#include "pg/read_routing.h"

namespace nara::app {
namespace {

Poco::Net::HTTPServerParams::Ptr ServerParams(int threads, int queue, int keep_alive_seconds, int timeout_seconds) {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(threads);
  params->setMaxQueued(queue);
  params->setKeepAlive(true);
  // A thread per keep-alive connection: a short idle timeout frees workers.
  params->setKeepAliveTimeout(Poco::Timespan(keep_alive_seconds, 0));
  params->setMaxKeepAliveRequests(1000);
  params->setTimeout(Poco::Timespan(timeout_seconds, 0));
  return params;
}

int WaitForTermination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace

int Serve(const Config& config) {
  // Block the termination signals in every thread started from here on; main waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto pending = pg::PendingMigrations(config.database_url);
  if (!pending) {
    Log("error", "serve.database_unreachable", {{"detail", pending.error().text}});
    return 2;
  }
  if (!pending->empty()) {
    Log("error", "serve.not_migrated",
        {{"detail", "the database lacks " + std::to_string(pending->size()) + " migration(s), first " +
                        pending->front() + ": run `nara migrate`"}});
    return 2;
  }

  if (config.access_file.empty()) {
    Log("error", "serve.no_access_policy", {{"detail", "access.file (NARA_ACCESS_FILE) must name the access policy"}});
    return 2;
  }
  auth::PolicyHolder policy(config.access_file, std::chrono::seconds(2), [](const std::string& problem) {
    Log("error", "access_policy.reload_failed", {{"detail", problem}});
  });
  if (auto loaded = policy.load_status(); !loaded) {
    Log("error", "serve.access_policy", {{"detail", loaded.error().text}});
    return 2;
  }
  pg::PgStore store(config.database_url, config.db_pool_size, config.database_role);
  store.WriteStatusIndexRows(config.upgrade_status_index_rows == "on");
  if (auto ready = store.Ping(); !ready) {
    Log("error", "serve.database", {{"detail", ready.error().text + " (is database.role " + config.database_role +
                                                   " granted to the login role? run `nara migrate`)"}});
    return 2;
  }
  pg::PgMeasures measures(config.database_url, 2, config.database_role);
  // database.read-url: searches and measures on a hot standby, each caller reading its own writes.
  std::unique_ptr<pg::ReadRouter> reads;
  std::unique_ptr<pg::PgReplication> read_replication;
  if (!config.database_read_url.empty()) {
    pg::ReadRoutingOptions read_options;
    read_options.url = config.database_read_url;
    read_options.pool_size = config.db_pool_size;
    read_options.role = config.database_role;
    read_options.wait = std::chrono::milliseconds(config.database_read_wait_ms);
    reads = std::make_unique<pg::ReadRouter>(read_options);
    read_replication = std::make_unique<pg::PgReplication>(config.database_read_url);
    store.RouteReads(reads.get());
    measures.RouteReads(reads.get());
  }
  fhir::ApiOptions api_options = ApiOptionsFrom(config);
  api_options.measures = &measures;
  Metrics metrics;  // before the export worker, which reports to it until it stops
  // bulk export: jobs in PostgreSQL, run by one background worker
  pg::PgExport exports(config.database_url, 4, config.database_role);
  api_options.exports.store = &exports;
  ExportWorker export_worker(exports, config.export_dir, config.export_retention_hours * 3600L);
  export_worker.OnCounts([&metrics](long queued, long running) {
    metrics.SetExportJobs("queued", queued);
    metrics.SetExportJobs("running", running);
  });
  exports.OnCreated([&export_worker] { export_worker.Wake(); });  // a kick-off starts its job at once
  export_worker.Start();
  // Change notifications: numbered and delivered by one background worker per node.
  pg::PgSubscriptions subscriptions(config.database_url, 3, config.database_role);
  SubscriptionWorkerOptions worker_options;
  worker_options.base_url = config.public_base_url.empty() ? "https://localhost:" + std::to_string(config.port) + "/fhir"
                                                           : config.public_base_url;
  worker_options.allowlist = EndpointAllowlist(config);
  worker_options.endpoint_ca = config.subscription_endpoint_ca;
  worker_options.client_cert = config.subscription_client_cert;
  worker_options.client_key = config.subscription_client_key;
  worker_options.retry.first_delay_ms = config.subscription_retry_first_ms;
  worker_options.retry.max_attempts = config.subscription_max_attempts;
  worker_options.metrics = &metrics;
  std::unique_ptr<SubscriptionWorker> subscription_worker;
  try {
    subscription_worker = std::make_unique<SubscriptionWorker>(subscriptions, store, policy, worker_options);
  } catch (const std::exception& e) {
    Log("error", "serve.subscription_tls", {{"detail", e.what()}});
    return 2;
  }
  api_options.subscriptions.store = &subscriptions;
  api_options.subscriptions.allowlist = worker_options.allowlist;
  api_options.subscriptions.on_changed = [&subscription_worker] { subscription_worker->Wake(); };
  subscription_worker->Start();
  // Answers to GET Patient kept between reads, forgotten on every committed change the database's
  // feed announces (fhir/http/patient_answer_cache.h, pg/patient_feed.h).
  std::unique_ptr<fhir::PatientAnswerCache> patient_answers;
  std::unique_ptr<pg::PatientFeed> patient_feed;
  if (config.patient_answer_cache > 0) {
    patient_answers = std::make_unique<fhir::PatientAnswerCache>(static_cast<std::size_t>(config.patient_answer_cache));
    fhir::PatientAnswerCache* cache = patient_answers.get();
    pg::PatientFeedHandlers handlers;
    handlers.changed = [cache](const std::string& patient) { cache->Forget(patient); };
    handlers.list_changed = [cache](const std::string& role) { cache->ForgetList(role); };
    handlers.all_changed = [cache] { cache->ForgetAll(); };
    handlers.heard = [cache] { cache->Heard(); };
    handlers.live = [cache](bool live, const std::string& why) {
      cache->SetLive(live);
      if (live) {
        Log("info", "patient_feed.listening");
      } else if (!why.empty()) {
        Log("warn", "patient_feed.lost", {{"detail", why}});
      }
    };
    patient_feed = std::make_unique<pg::PatientFeed>(config.database_url, handlers);
    api_options.patient_answers = cache;
    metrics.SetPatientCacheSource([cache] {
      const auto c = cache->counts();
      return Metrics::PatientCacheGauges{c.hits,   c.misses,      c.fills,      c.forgotten, c.entries,
                                         cache->live(), c.list_hits, c.list_misses, c.lists};
    });
  }
  fhir::FhirApi api(store, api_options);
  RateLimiter limiter;

  auth::TlsSettings tls{config.tls_cert, config.tls_key, config.tls_ca, config.tls_crl};
  Poco::Net::Context::Ptr context;
  try {
    context = auth::MakeServerContext(tls);
  } catch (const std::exception& e) {
    Log("error", "serve.tls_config", {{"detail", e.what()}});
    return 2;
  }
  // Poco consults the SSLManager's handler when a certificate fails verification: reject, never prompt.
  Poco::Net::SSLManager::instance().initializeServer(nullptr, new Poco::Net::RejectCertificateHandler(true), context);
  std::unique_ptr<auth::CrlReloader> crl_reloader;
  if (!config.tls_crl.empty()) crl_reloader = std::make_unique<auth::CrlReloader>(context, tls);

  // Declared before the servers and pools: it outlives every connection it watches.
  ConnectionGuard guard(std::chrono::seconds(config.request_timeout_seconds), [&metrics](const std::string& peer) {
    metrics.CountTimedOut();
    Log("warn", "connection.timed_out", {{"peer", peer}});
  });
  // `threads` workers serve requests; kOverloadThreads more only answer 503 when those are all busy.
  const int fhir_threads = config.threads + kOverloadThreads;
  Poco::ThreadPool fhir_pool(2, fhir_threads + 2);
  Poco::ThreadPool ops_pool(1, 4);
  // A port another process holds is a refusal to start, never a silently shared port (ListenExclusively).
  Poco::Net::SecureServerSocket fhir_socket(context);
  Poco::Net::ServerSocket ops_socket;
  for (auto [socket, host, port, backlog, name] :
       {std::tuple<Poco::Net::ServerSocket*, std::string, int, int, const char*>{&fhir_socket, config.bind_address,
                                                                                config.port, 128, "port"},
        {&ops_socket, "127.0.0.1", config.ops_port, 64, "ops_port"}}) {
    const std::string failure =
        ListenExclusively(*socket, Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)), backlog);
    if (!failure.empty()) {
      Log("error", "serve.port_unavailable", {{name, std::to_string(port)}, {"detail", failure}});
      return 2;
    }
  }
  auto fhir_params =
      ServerParams(fhir_threads, config.queue, config.keep_alive_seconds, config.request_timeout_seconds);
  Poco::Net::HTTPRequestHandlerFactory::Ptr fhir_handlers(
      new FhirHandlerFactory(FhirHandlerContext{api, policy, config, limiter, guard, metrics}));
  Poco::Net::TCPServer fhir_server(
      new GuardedConnectionFactory(guard, fhir_params, fhir_handlers, config.threads,
                                   [&metrics] { metrics.CountOverloaded(); }), fhir_pool,
      fhir_socket, fhir_params);
  pg::PgReplication replication(config.database_url);
  Poco::Net::HTTPServer ops_server(new OpsHandlerFactory(store, replication, metrics, reads.get(), read_replication.get()), ops_pool, ops_socket,
                                   ServerParams(2, 16, 2, 10));
  LogBuffering log_buffering;  // request lines gather; written at the latest 50 ms later (app/log.h)
  fhir_server.start();
  ops_server.start();
  Log("info", "serve.started", {{"port", std::to_string(config.port)}, {"ops_port", std::to_string(config.ops_port)},
                                 {"threads", std::to_string(config.threads)},
                                 {"reads", config.database_read_url.empty() ? "primary" : "read-url"}});

  const int signal = WaitForTermination();
  Log("info", "serve.stopping", {{"signal", std::to_string(signal)}});
  // Graceful: stop accepting, close connections that wait for a request, let in-flight requests
  // finish (bounded), then close the rest.
  fhir_server.stop();
  fhir_socket.close();  // new connections are refused now, not left in the listen backlog unanswered
  guard.CloseIdle();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fhir_server.currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  guard.CloseAll();
  ops_server.stopAll(true);
  fhir_pool.joinAll();
  export_worker.Stop();
  subscription_worker->Stop();
  Log("info", "serve.stopped");
  return 0;
}

}  // namespace nara::app
