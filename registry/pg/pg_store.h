// PgStore: the ResourceStore port on PostgreSQL (schema/0001_resources.sql).
// Concurrency by construction: the current-version row is locked FOR UPDATE before a new version is
// written (If-Match cannot lose an update), unique identifiers are a primary key (no duplicate person
// under concurrent creates), and LockKey is a transaction-scoped advisory lock (conditional create).
#pragma once

#include <memory>
#include <string>

#include "registry/resource_store.h"

namespace nara::pg {

class ConnectionPool;

class PgStore final : public ResourceStore {
 public:
  PgStore(const std::string& url, int pool_size);
  ~PgStore() override;

  Status Transact(const std::function<Status(ResourceTransaction&)>& work) override;
  Result<StoredResource> Read(std::string_view type, std::string_view id) override;
  Result<StoredResource> ReadVersion(std::string_view type, std::string_view id, int version) override;
  Result<SearchPage> History(const HistoryQuery& query) override;
  Result<SearchPage> Search(const SearchQuery& query) override;
  Status Ping() override;

  int pool_in_use() const;
  int pool_size() const;

 private:
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace nara::pg
