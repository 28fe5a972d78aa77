// PgExport: the ExportStore port (registry/export_store.h) over schema/0005_export.sql (jobs and
// files) and the stored FHIR versions (0001_resources.sql). A job's resources are read in one
// REPEATABLE READ READ ONLY transaction, each type with one COPY (SELECT ...) TO STDOUT streamed row by
// row, so the export is one snapshot and needs constant memory whatever the size of the registry.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "registry/export_store.h"

namespace pqxx {
class connection_base;  // libpqxx 6: pqxx::connection is an alias of a subclass
}

namespace nara::pg {

class ConnectionPool;

class PgExport final : public ExportStore {
 public:
  // role: as PgStore (SET ROLE on every connection); "" = the login role of url. The pool needs room
  // for a stream and the job updates made while it runs (3 or more).
  explicit PgExport(const std::string& url, int pool_size = 3, std::string role = "");
  ~PgExport() override;

  // Called after each Create that queued a job, on the caller's thread: the server wakes its export
  // worker with it, so a job starts at once instead of at the worker's next look. Set before use.
  void OnCreated(std::function<void()> created) { on_created_ = std::move(created); }

  Result<ExportJob> Create(const ExportRequest& request, int max_active) override;
  Result<ExportJob> Find(const std::string& id) override;
  Status Cancel(const std::string& id) override;
  Result<long> ActiveJobs() override;
  Result<ActiveCounts> CountActive() override;
  Status Announce(const std::string& worker_id) override;
  Result<std::optional<ExportJob>> ClaimNext(const std::string& worker_id) override;
  Status SetProgress(const std::string& id, const std::string& progress) override;
  Status Complete(const std::string& id, const std::string& transaction_time,
                  const std::vector<ExportFile>& files) override;
  Status Fail(const std::string& id, const std::string& why) override;
  Result<long> RecoverInterrupted(int max_attempts) override;
  Result<std::vector<std::string>> Expire(long retention_seconds) override;
  Result<std::string> Stream(const ExportJob& job, ExportSink& sink) override;
  void Interrupt() override;
  Result<std::optional<ExportGroup>> FindGroup(const std::string& id) override;
  Result<std::vector<ExportGroup>> ListGroups() override;

  // How many rows are streamed between two looks at whether the job is still wanted (a cancelled
  // job stops within this many rows; each look is a query on another connection).
  static constexpr int kCheckRows = 5000;

  // One line of COPY ... TO STDOUT (text format, one column) into out, the value it stands for;
  // false for NULL or a line COPY could not have written. Public for the tests.
  static bool UnescapeCopyText(std::string_view line, std::string& out);

 private:
  struct Liveness;  // the connection holding this process's worker lock
  std::unique_ptr<ConnectionPool> pool_;
  std::function<void()> on_created_;
  std::string url_;
  std::unique_ptr<Liveness> liveness_;
  std::string worker_id_;
  std::mutex streaming_mu_;
  pqxx::connection_base* streaming_ = nullptr;  // the connection a Stream is reading on, for Interrupt
  bool interrupted_ = false;

  // The sign of life is still there (after a PostgreSQL restart it is taken again); false if not.
  bool EnsureAlive();
};

}  // namespace nara::pg
