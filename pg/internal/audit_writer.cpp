#include "pg/internal/audit_writer.h"

#include <pthread.h>

#include <ctime>
#include <optional>
#include <vector>

#include "pg/internal/with_connection.h"
#include "pg/pg_audit.h"

namespace nara::pg {
namespace {

// "YYYY-MM" of now + days, UTC.
std::string MonthAhead(int days) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[8];
  std::strftime(out, sizeof out, "%Y-%m", &tm);
  return out;
}

Error NotLogged() {
  return Error::Unavailable("loggen kunde inte skrivas, uppgifterna lämnas inte ut "
                            "(the audit log could not be written; nothing is released)");
}

// 23514 check_violation is also what PostgreSQL raises for a row no partition takes.
bool IsNoPartition(const pqxx::sql_error& e) {
  return e.sqlstate() == "23514" && std::string(e.what()).find("no partition") != std::string::npos;
}

}  // namespace

AuditWriter::AuditWriter(const std::string& url, const std::string& role, int max_batch)
    : pool_(url, 1, role), max_batch_(max_batch), thread_([this] { Run(); }) {}

AuditWriter::~AuditWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  thread_.join();
}

int AuditWriter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(queue_.size());
}

int AuditWriter::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

Status AuditWriter::Append(const AuditRecord& record) {
  NARA_RETURN_IF_ERROR(ValidateAuditRecord(record));
  thread_local Waiter waiter;
  {
    std::lock_guard<std::mutex> mine(waiter.mu);
    waiter.done = false;
  }
  Pending pending{&record, &waiter};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return NotLogged();
    queue_.push_back(&pending);
  }
  work_.notify_one();
  std::unique_lock<std::mutex> mine(waiter.mu);
  waiter.cv.wait(mine, [&] { return waiter.done; });
  return waiter.result;
}

void AuditWriter::Run() {
  pthread_setname_np(pthread_self(), "nara-audit");  // so top, perf and ps -L can tell it apart
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything handed over is written
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      in_flight_ = static_cast<int>(batch.size());
    }
    const Status written = WriteBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_ = 0;
    }
    for (Pending* p : batch) {
      Waiter* waiter = p->waiter;  // p lives on the request thread's stack: not touched once it is done
      {
        std::lock_guard<std::mutex> theirs(waiter->mu);
        waiter->result = p->decided ? p->result : written;  // WriteBatch may have decided some one by one
        waiter->done = true;
      }
      waiter->cv.notify_one();
    }
    batch.clear();
  }
}

Status AuditWriter::WriteBatch(const std::vector<Pending*>& batch) {
  std::vector<const AuditRecord*> records;
  records.reserve(batch.size());
  for (const Pending* p : batch) records.push_back(p->record);
  bool ensured_now = false;
  for (;;) {
    std::optional<ConnectionPool::Lease> lease;
    try {
      lease.emplace(pool_.Acquire());
    } catch (const pqxx::broken_connection&) {
      return NotLogged();
    }
    try {
      EnsurePartitions(**lease);
      // One statement outside a transaction block is its own transaction: one round trip instead of
      // BEGIN, INSERT and COMMIT, all rows or none, and committed (flushed) before the result returns.
      pqxx::nontransaction tx(**lease);
      InsertAuditRows(tx, records);
      rows_written_ += static_cast<long>(records.size());
      ++batches_written_;
      return Ok();
    } catch (const pqxx::broken_connection&) {
      lease->Discard();
      return NotLogged();
    } catch (const pqxx::in_doubt_error&) {
      lease->Discard();  // maybe written, maybe not: either way no answer may claim it was
      return NotLogged();
    } catch (const pqxx::sql_error& e) {
      if (IsConnectionLoss(e) || IsReadOnlyServer(e)) {
        lease->Discard();
        return NotLogged();
      }
      if (IsNoPartition(e) && !ensured_now) {
        // The clock passed the partitions made ahead (a server up for months without a batch, a
        // clock set forward): make them now and try once more.
        partitions_through_.clear();
        ensured_now = true;
        continue;
      }
      if (batch.size() == 1) return NotLogged();
      // Validated records do not fail on their own; should one still do, it must not take the
      // others with it: each is written alone, and only the one that fails is refused.
      for (Pending* p : batch) {
        p->result = WriteBatch({p});
        p->decided = true;
      }
      return Ok();
    }
  }
}

void AuditWriter::EnsurePartitions(pqxx::connection& conn) {
  const std::string needed = MonthAhead(35);
  if (!partitions_through_.empty() && partitions_through_ >= needed) return;
  pqxx::work tx(conn);
  tx.exec("SELECT audit_event_ensure_partitions(3)");
  tx.commit();
  partitions_through_ = needed;
}

}  // namespace nara::pg
