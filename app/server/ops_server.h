// Operations endpoints on plain HTTP bound to 127.0.0.1 (docs/api.md section 7): /healthz (the process
// serves), /readyz (database reachable, migrations current, and the primary: its role is in the answer), /metrics (Prometheus text).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <string>

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

// Binds `socket` to `address` and listens, alone: SO_REUSEADDR (a restart may bind while the old
// process's connections linger in TIME_WAIT) but not SO_REUSEPORT, which Poco's ServerSocket(address)
// also sets, so that a second instance on the same port would silently share it and take half the
// connections. Returns "" or why the port cannot be had (e.g. "Address already in use").
std::string ListenExclusively(Poco::Net::ServerSocket& socket, const Poco::Net::SocketAddress& address, int backlog);

}  // namespace nara::app
