// ExportStore: the port behind FHIR Bulk Data $export (docs/api.md section 5). It keeps export jobs (they
// outlive the server process), tells which virtual Groups exist, and streams a job's resources from
// one consistent database snapshot into an ExportSink, row by row, so memory stays constant whatever
// the size of the registry. The adapter is pg/pg_export.*; the job runner that writes the
// NDJSON files is registry/export_runner.*.
//
// Groups are virtual and read-only, derived from the units (no Group resource is stored):
//  - listed-<Organization id>: the patients listed at that vårdcentral today (a listning episode in force);
//  - saebo-<Organization id>:  the residents of that kommun's SÄBO units today (a saebo episode in force at
//    a SÄBO unit whose partOf is the kommun).
// Membership is decided in the export's snapshot, so the members and their data agree.
//
// Invariants: a job's owner is the HSA-id that kicked it off and never changes; status moves
// queued → running → completed | failed, and any of those → cancelled; a cancelled job is never
// found again (polling it is 404). Plain C++17 (docs/architecture.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/result.h"

namespace nara {

// The resource types a registry export may contain, in the order they are written.
const std::vector<std::string>& ExportableTypes();
// The Patient compartment types among them (the default of Patient- and Group-level exports).
const std::vector<std::string>& PatientCompartmentTypes();

// The detail code of the error Create returns when export.max-jobs jobs are already active (429).
inline constexpr const char* kTooManyExportJobs = "too-many-jobs";

enum class ExportLevel { system, patient, group };
std::string_view ExportLevelName(ExportLevel level);  // "system" | "patient" | "group"

struct ExportRequest {
  std::string owner_hsa_id;
  ExportLevel level = ExportLevel::system;
  std::string group_id;            // level group only
  std::vector<std::string> types;  // never empty: the caller resolves the default
  std::optional<std::string> since;  // RFC 3339 UTC
  std::string request_url;         // the kick-off URL, echoed in the manifest
  // The caller may not see where protected patients are cared for (docs/api.md section 8): their
  // Patients go out redacted (and not at all in a Group's export, whose membership is a unit's list),
  // their EpisodeOfCare, CareTeam, DocumentReference and Encounter not at all.
  bool withhold_protected = false;
};

struct ExportFile {
  std::string type;
  std::string name;  // <Type>.ndjson, in the job's folder
  long count = 0;    // resources (lines) in the file
};

struct ExportJob {
  std::string id;
  ExportRequest request;
  std::string status;  // queued | running | completed | failed | cancelled
  std::string transaction_time;  // RFC 3339 UTC; set when completed
  std::string progress;          // while running, e.g. "CareTeam (5/7)"
  std::string error;             // failed: why, without patient data
  int attempts = 0;              // runs started
  std::vector<ExportFile> files;  // completed: in export order
};

struct ExportGroup {
  std::string id;       // listed-<unit> | saebo-<kommun unit>
  std::string kind;     // listed | saebo
  std::string unit_id;  // the Organization id
  std::string unit_name;
  long members = 0;     // as of today
};

// Receives a job's resources from ExportStore::Stream, one type after the other.
class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual Status BeginType(const std::string& type, int index, int total) = 0;
  virtual Status Resource(std::string_view json) = 0;  // the stored FHIR JSON of one current version
  virtual Status EndType() = 0;
  // Asked between batches of rows: false stops the stream with Error::Unavailable("cancelled").
  virtual bool KeepGoing() = 0;
};

class ExportStore {
 public:
  virtual ~ExportStore() = default;

  // A new queued job with a fresh random id, unless max_active jobs are already queued or running
  // (then ErrorKind::unavailable with detail_code kTooManyExportJobs). Race-free among servers.
  virtual Result<ExportJob> Create(const ExportRequest& request, int max_active) = 0;
  // A job that is not cancelled; ErrorKind::not_found otherwise.
  virtual Result<ExportJob> Find(const std::string& id) = 0;
  // Cancels a queued, running, completed or failed job; not_found for an unknown or cancelled one.
  virtual Status Cancel(const std::string& id) = 0;
  virtual Result<long> ActiveJobs() = 0;  // queued + running
  // Jobs queued and running now, all servers together (the nara_export_jobs gauge).
  struct ActiveCounts {
    long queued = 0, running = 0;
  };
  virtual Result<ActiveCounts> CountActive() = 0;

  // the worker's side
  // This process runs jobs as worker_id from now until the store is destroyed (or the process dies):
  // the store keeps a sign of life for it that other servers can see. Call once, before ClaimNext.
  virtual Status Announce(const std::string& worker_id) = 0;
  // Takes the oldest queued job for worker_id (queued → running, attempts + 1); nullopt when none is queued.
  virtual Result<std::optional<ExportJob>> ClaimNext(const std::string& worker_id) = 0;
  virtual Status SetProgress(const std::string& id, const std::string& progress) = 0;
  // running → completed with its files; a job cancelled meanwhile stays cancelled (returns not_found).
  virtual Status Complete(const std::string& id, const std::string& transaction_time,
                          const std::vector<ExportFile>& files) = 0;
  virtual Status Fail(const std::string& id, const std::string& why) = 0;
  // Jobs left running by a worker that is no longer alive (its server stopped or died) are queued
  // again, or failed once they have been started max_attempts times; jobs of live workers (this
  // process's and other servers') are left alone. Returns how many were queued again.
  virtual Result<long> RecoverInterrupted(int max_attempts) = 0;
  // Removes jobs that finished (or were cancelled) more than retention_seconds ago; returns their ids
  // so their folders can be removed too.
  virtual Result<std::vector<std::string>> Expire(long retention_seconds) = 0;

  // Streams every type of the job from one REPEATABLE READ READ ONLY snapshot; returns the snapshot's
  // instant (RFC 3339 UTC, the manifest's transactionTime).
  virtual Result<std::string> Stream(const ExportJob& job, ExportSink& sink) = 0;
  // Breaks off a Stream in progress from another thread (server shutdown); the job stays running and
  // is recovered at the next start.
  virtual void Interrupt() = 0;

  // groups
  virtual Result<std::optional<ExportGroup>> FindGroup(const std::string& id) = 0;
  virtual Result<std::vector<ExportGroup>> ListGroups() = 0;
};

}  // namespace nara
