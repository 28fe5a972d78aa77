// PgSubscriptions: the SubscriptionStore port on PostgreSQL (schema/0007_subscriptions.sql). It has a
// pool of its own, so the dispatcher and the delivery threads never wait behind requests for a
// connection, nor requests behind them. The outbox itself is written by PgStore::Transact (pg_store.cpp).
#pragma once

#include <memory>
#include <string>

#include "registry/subscription_store.h"

namespace nara::pg {

class ConnectionPool;

class PgSubscriptions final : public SubscriptionStore {
 public:
  PgSubscriptions(const std::string& url, int pool_size, std::string role = "");
  ~PgSubscriptions() override;

  Status Create(const SubscriptionRecord& record) override;
  Result<SubscriptionRecord> Get(const std::string& id) override;
  Result<std::vector<SubscriptionRecord>> List(const std::string& owner_hsa_id) override;
  Status Remove(const std::string& id) override;
  Status Reactivate(const std::string& id) override;
  Status Replace(const SubscriptionRecord& record) override;
  Result<int> Dispatch(int limit, const SubscriptionMatcher& match) override;
  Result<std::vector<SubscriptionEventRecord>> Events(const std::string& id, long long first, long long last,
                                                      int limit) override;
  Result<std::vector<SubscriptionRecord>> ClaimDue(const std::string& node, int limit) override;
  Status RecordDelivered(const std::string& id, const std::string& node, long long through,
                         const std::string& status) override;
  Status RecordFailure(const std::string& id, const std::string& node, int delay_ms, bool give_up,
                       const std::string& error) override;
  Result<long long> OutboxBacklog() override;
  Result<SubscriptionStats> Stats() override;

 private:
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace nara::pg
