// ExportWorker: the server's background thread that runs queued $export jobs (registry/export_runner.h)
// one after the other, and removes expired jobs and their files. Jobs live in PostgreSQL, so the worker
// keeps nothing that a restart would lose: at start and then every kRecoverEvery it queues again the
// jobs whose server is gone (or fails them cleanly after kMaxAttempts runs) — only those: each worker
// announces a random id the store keeps a sign of life for, so servers sharing a database never take
// over each other's running jobs. Stop() never hangs on a long export: it breaks off the database read
// in progress, and that job is recovered by the next server to look.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "registry/export_store.h"

namespace nara::app {

class ExportWorker {
 public:
  // A job interrupted by this many server stops is failed instead of being run again.
  static constexpr int kMaxAttempts = 3;
  // How often orphaned jobs are looked for after the start (a server that died a moment ago may still
  // look alive to PostgreSQL at our start, until its connections are gone).
  static constexpr std::chrono::seconds kRecoverEvery{5};

  ExportWorker(ExportStore& store, std::string dir, long retention_seconds);
  ~ExportWorker();
  ExportWorker(const ExportWorker&) = delete;
  ExportWorker& operator=(const ExportWorker&) = delete;

  // Told the queued and running jobs (all servers) about once a second while the worker runs, for
  // the nara_export_jobs gauge (app/server/metrics.h). Set before Start; must outlive the worker.
  void OnCounts(std::function<void(long queued, long running)> report) { report_ = std::move(report); }

  void Start();
  void Stop();
  // A job was queued: look for it now rather than at the next idle poll (any thread; cheap).
  void Wake();
  // Export jobs running in this process right now (for /metrics: nara_export_jobs_running).
  long running() const { return running_; }

 private:
  void Loop();
  void Report();

  ExportStore& store_;
  const std::string dir_;
  const long retention_seconds_;
  std::string worker_id_;
  std::function<void(long, long)> report_;
  std::atomic<bool> stop_{false};
  std::atomic<long> running_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;  // under mu_: Wake() was called since the worker last looked
  std::thread thread_;
  std::thread reporter_;
};

}  // namespace nara::app
