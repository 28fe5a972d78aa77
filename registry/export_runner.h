// ExportRunner: runs queued $export jobs (registry/export_store.h) into NDJSON files, one per resource
// type, in the job's own folder <dir>/<job id>/<Type>.ndjson — one stored FHIR JSON per line, written
// as the rows stream in (constant memory). Types without resources get no file. A cancelled job's
// folder is removed; a job whose run fails is marked failed with a reason a client can read. Used by
// the server's export worker (app/server/export_worker.*); no threads of its own.
#pragma once

#include <atomic>
#include <string>

#include "registry/export_store.h"

namespace nara {

class ExportRunner {
 public:
  // stop: set by the server on shutdown; a job broken off by it stays running in the store and is
  // recovered at the next start (ExportStore::RecoverInterrupted).
  // worker_id: as announced to the store (ExportStore::Announce).
  ExportRunner(ExportStore& store, std::string dir, std::string worker_id, const std::atomic<bool>& stop);

  // The folder of a job's files (nothing is created).
  static std::string JobFolder(const std::string& dir, const std::string& job_id);
  // The file name of a type's resources: <Type>.ndjson.
  static std::string FileName(const std::string& type);

  // Claims the oldest queued job and runs it to its end. False when no job was queued. *problem (when
  // given) says what went wrong for the server's log: the store could not be reached, or why the job
  // failed (an exception's text stays there and never reaches the client, it might quote data).
  bool RunNext(std::string* problem = nullptr);
  // Removes expired jobs (finished more than retention_seconds ago) with their folders.
  Status ExpireOld(long retention_seconds);
  // Removes a job's folder under dir; true when nothing of it is left.
  static bool RemoveFolder(const std::string& dir, const std::string& job_id);

 private:
  ExportStore& store_;
  std::string dir_;
  std::string worker_id_;
  const std::atomic<bool>& stop_;
};

}  // namespace nara
