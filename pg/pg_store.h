// PgStore: the ResourceStore port on PostgreSQL (schema/0001_resources.sql).
// Concurrency by construction: the current-version row is locked FOR UPDATE before a new version is
// written (If-Match cannot lose an update), unique identifiers are a primary key (no duplicate person
// under concurrent creates), and LockKey is a transaction-scoped advisory lock (conditional create).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "registry/resource_store.h"

namespace nara::pg {

class AuditWriter;
class ConnectionPool;
class ReadRouter;

class PgStore final : public ResourceStore {
 public:
  // role: the database role every pooled connection takes (SET ROLE) before any work, e.g.
  // "nara_server" (schema/0004_audit.sql); "" = the login role of url.
  PgStore(const std::string& url, int pool_size, std::string role = "");
  ~PgStore() override;

  Status Transact(const std::function<Status(ResourceTransaction&)>& work) override;
  Status Autocommit(const std::function<Status(ResourceTransaction&)>& work) override;
  Result<StoredResource> Read(std::string_view type, std::string_view id) override;
  Result<StoredResource> ReadVersion(std::string_view type, std::string_view id, int version) override;
  Result<SearchPage> History(const HistoryQuery& query) override;
  Result<ChangePage> Changes(const ChangeQuery& query) override;
  Result<SearchPage> Search(const SearchQuery& query) override;
  Status Ping() override;

  // audit (registry/audit.h, pg/pg_audit.*)
  Status AppendAudit(const AuditRecord& record) override;
  Result<std::vector<StoredAudit>> SearchAudit(const AuditQuery& query) override;
  Result<long> CountAudit(const AuditQuery& query) override;

  // Searches go through router (a hot standby, pg/read_routing.h) from now on, and every committed
  // write tells it the caller's commit position. Not owned; nullptr: everything on the primary.
  void RouteReads(ReadRouter* router) { router_ = router; }

  // Writes also put episodes' and care teams' status and period into the index tables, where nodes of
  // a release before schema/0022 look for them while a rolling upgrade is under way
  // (`upgrade.status-index-rows`, docs/deployment.md section 9). Set before the store is used.
  void WriteStatusIndexRows(bool on) { status_index_rows_ = on; }

  int pool_in_use() const;
  int pool_idle() const;
  int pool_size() const;
  // Audit rows this store has committed, and the batches the reads' rows went in (for /metrics).
  long audit_rows_written() const;
  long audit_batches_written() const;

 private:
  std::unique_ptr<ConnectionPool> pool_;
  std::unique_ptr<AuditWriter> audit_writer_;  // reads' and refusals' rows, in batches
  ReadRouter* router_ = nullptr;
  bool status_index_rows_ = false;
  std::atomic<long> audit_rows_written_{0};
};

}  // namespace nara::pg
