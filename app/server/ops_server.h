// Operations endpoints on plain HTTP bound to 127.0.0.1 (docs/api.md section 7): /healthz (the process
// serves), /readyz (database reachable, migrations current, and the primary: its role is in the answer), /metrics (Prometheus text).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "app/server/metrics.h"
#include "pg/pg_replication.h"
#include "pg/pg_store.h"

namespace nara::app {

class OpsHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  OpsHandlerFactory(pg::PgStore& store, pg::PgReplication& replication, const Metrics& metrics)
      : store_(store), replication_(replication), metrics_(metrics) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

 private:
  pg::PgStore& store_;
  pg::PgReplication& replication_;
  const Metrics& metrics_;
};

}  // namespace nara::app
