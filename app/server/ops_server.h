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
#include "pg/read_routing.h"

namespace nara::app {

class OpsHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  // reads, read_replication: the read routing and a view of its database (database.read-url), or
  // both nullptr when reads are not routed.
  OpsHandlerFactory(pg::PgStore& store, pg::PgReplication& replication, const Metrics& metrics,
                    pg::ReadRouter* reads = nullptr, pg::PgReplication* read_replication = nullptr)
      : store_(store), replication_(replication), metrics_(metrics), reads_(reads), read_replication_(read_replication) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

 private:
  pg::PgStore& store_;
  pg::PgReplication& replication_;
  const Metrics& metrics_;
  pg::ReadRouter* reads_;
  pg::PgReplication* read_replication_;
};

// Binds `socket` to `address` and listens, alone: SO_REUSEADDR (a restart may bind while the old
// process's connections linger in TIME_WAIT) but not SO_REUSEPORT, which Poco's ServerSocket(address)
// also sets, so that a second instance on the same port would silently share it and take half the
// connections. Returns "" or why the port cannot be had (e.g. "Address already in use").
std::string ListenExclusively(Poco::Net::ServerSocket& socket, const Poco::Net::SocketAddress& address, int backlog);

}  // namespace nara::app
