#include "app/server/export_worker.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "app/log.h"
#include "registry/export_runner.h"
#include "registry/ids.h"

namespace nara::app {
namespace {

// How soon a new job is noticed when the worker is idle (one indexed query per tick). A job kicked off
// on this server wakes the worker at once (Wake); the poll finds those queued through other servers.
constexpr auto kIdlePoll = std::chrono::milliseconds(250);
constexpr auto kExpireEvery = std::chrono::minutes(1);
constexpr auto kReportEvery = std::chrono::seconds(1);

}  // namespace

ExportWorker::ExportWorker(ExportStore& store, std::string dir, long retention_seconds)
    : store_(store), dir_(std::move(dir)), retention_seconds_(retention_seconds) {}

ExportWorker::~ExportWorker() { Stop(); }

void ExportWorker::Start() {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) Log("error", "export.dir", {{"detail", error.message()}, {"dir", dir_}});
  worker_id_ = NewResourceId();
  if (auto announced = store_.Announce(worker_id_); !announced) {
    // Without a sign of life another server could take our jobs over: run none rather than run twice.
    Log("error", "export.announce_failed", {{"detail", announced.error().text}});
    return;
  }
  thread_ = std::thread([this] { Loop(); });
  // Its own thread: the worker's may sit in one long export for minutes.
  if (report_) reporter_ = std::thread([this] { Report(); });
}

void ExportWorker::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  store_.Interrupt();
  wake_.notify_all();
  thread_.join();
  if (reporter_.joinable()) reporter_.join();
}

void ExportWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void ExportWorker::Report() {
  while (!stop_) {
    if (auto counts = store_.CountActive(); counts) report_(counts->queued, counts->running);
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, kReportEvery, [this] { return stop_.load(); });
  }
}

void ExportWorker::Loop() {
  ExportRunner runner(store_, dir_, worker_id_, stop_);
  auto next_expiry = std::chrono::steady_clock::now();
  auto next_recovery = next_expiry;
  while (!stop_) {
    if (std::chrono::steady_clock::now() >= next_recovery) {
      auto recovered = store_.RecoverInterrupted(kMaxAttempts);
      if (!recovered) {
        Log("warn", "export.recover_failed", {{"detail", recovered.error().text}});
      } else if (*recovered > 0) {
        Log("info", "export.recovered", {{"requeued", std::to_string(*recovered)}});
      }
      next_recovery = std::chrono::steady_clock::now() + kRecoverEvery;
    }
    if (std::chrono::steady_clock::now() >= next_expiry) {
      if (auto expired = runner.ExpireOld(retention_seconds_); !expired) {
        Log("warn", "export.expire_failed", {{"detail", expired.error().text}});
      }
      next_expiry = std::chrono::steady_clock::now() + kExpireEvery;
    }
    std::string problem;
    running_ = 1;
    const bool ran = runner.RunNext(&problem);
    running_ = 0;
    if (!problem.empty()) Log(ran ? "error" : "warn", ran ? "export.job_failed" : "export.claim_failed", {{"detail", problem}});
    if (ran) continue;
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, kIdlePoll, [this] { return stop_.load() || woken_; });
    woken_ = false;
  }
}

}  // namespace nara::app
