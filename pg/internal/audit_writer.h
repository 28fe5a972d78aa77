// AuditWriter: the audit rows of reads and refusals (ResourceStore::AppendAudit), written in batches
// and still durable before the answer (docs/internals.md "The audit log", bench/RESULTS.md figure 1).
//
// Patientdatalagen: a read is answered only once its audit row is committed. Written one by one,
// every read paid a round trip and a WAL flush of its own, which on a busy server is most of a read's
// cost. Here each request thread hands its record over and waits; one writer thread takes every
// record waiting, inserts them with one statement that is its own transaction (one round trip; its
// implicit COMMIT is synchronous, as any write's), and then wakes each of their threads alone. There is no timer: while one batch commits the next one gathers,
// so a quiet server writes each row at once and a busy one writes larger batches (group commit).
//
// Writes keep their audit row inside their own transaction (ResourceTransaction::AppendAudit): a
// change and its row commit together or not at all. Internal to the adapter (includes pqxx).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "pg/internal/connection_pool.h"
#include "registry/audit.h"
#include "registry/result.h"

namespace nara::pg {

class AuditWriter {
 public:
  // Its own connection (url, role as the pool's), so a batch never waits for a request's connection.
  AuditWriter(const std::string& url, const std::string& role, int max_batch = 500);
  ~AuditWriter();  // the records already handed over are written, then the thread ends

  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Validates the record, hands it to the writer and waits until its batch has committed: Ok, or
  // Unavailable when the database could not take it (nothing may then be released).
  Status Append(const AuditRecord& record);

  long rows_written() const { return rows_written_.load(); }
  long batches_written() const { return batches_written_.load(); }
  // Records handed over and not yet taken into a batch, and those in the batch being written (tests).
  int queued() const;
  int in_flight() const;

 private:
  // Where a request thread waits for its batch: one per thread (thread_local), so the writer wakes
  // exactly the threads of the batch it wrote (a shared condition variable woke every waiting thread
  // after each batch, and those of the next batch went back to sleep: context switches for nothing,
  // which on this VM cost more than the insert). Outliving the request, it may safely be notified
  // after its thread has gone on.
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;  // under mu: the request thread may go
    Status result = Ok();
  };
  struct Pending {
    const AuditRecord* record;
    Waiter* waiter;
    bool decided = false;  // the writer thread's own: result was set record by record
    Status result = Ok();
  };

  void Run();
  // Writes one batch; returns its outcome for every record in it.
  Status WriteBatch(const std::vector<Pending*>& batch);
  // Creates next months' partitions when the month 35 days ahead has none yet (0012_audit_by_month.sql).
  void EnsurePartitions(pqxx::connection& conn);

  ConnectionPool pool_;  // of one connection: reconnects after a failure as the request pool does
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable work_;  // the writer waits here for records
  std::deque<Pending*> queue_;
  int in_flight_ = 0;
  bool stopping_ = false;
  std::string partitions_through_;  // "YYYY-MM": the month up to which partitions are known to exist
  std::atomic<long> rows_written_{0};
  std::atomic<long> batches_written_{0};
  std::thread thread_;
};

}  // namespace nara::pg
