#include "app/server/ops_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>

namespace nara::app {
namespace {

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  OpsHandler(pg::PgStore& store, pg::PgReplication& replication, const Metrics& metrics)
      : store_(store), replication_(replication), metrics_(metrics) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    const std::string path = in.getURI().substr(0, in.getURI().find('?'));
    int status = 200;
    std::string body;
    std::string type = "application/json";
    if (path == "/healthz") {
      body = "{\"status\":\"ok\"}";
    } else if (path == "/readyz") {
      auto ready = store_.Ping();
      auto replication = ready ? replication_.Status() : Result<pg::ReplicationStatus>(ready.error());
      if (!replication) {
        status = 503;
        body = "{\"status\":\"not-ready\",\"reason\":\"" + Escape(replication.error().text) + "\"}";
      } else if (!replication->primary) {
        // A node writes through database.url: on a standby every write would fail. Take it out of the
        // load balancer (without target_session_attrs=read-write libpq may land on a standby).
        status = 503;
        body = "{\"status\":\"not-ready\",\"database\":\"standby\",\"reason\":\"databasen är en standby "
               "som inte tar emot skrivningar (the database is a read-only standby)\"}";
      } else {
        body = "{\"status\":\"ready\",\"database\":\"primary\",\"standbys\":" +
               std::to_string(replication->standbys) + ",\"synchronous_standbys\":" +
               std::to_string(replication->sync_standbys) + "}";
      }
    } else if (path == "/metrics") {
      type = "text/plain; version=0.0.4";
      Metrics::Scrape scrape{store_.pool_in_use(), store_.pool_idle(), store_.pool_size(), store_.audit_rows_written(),
                             store_.audit_batches_written()};
      if (auto replication = replication_.Status(); replication) {
        scrape.db_known = true;
        scrape.db_primary = replication->primary;
        scrape.replication_lag_seconds = replication->lag_seconds;
        scrape.standbys = replication->standbys;
        scrape.sync_standbys = replication->sync_standbys;
      }
      body = metrics_.Render(scrape);
    } else {
      status = 404;
      body = "{\"status\":\"not-found\"}";
    }
    out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    out.setContentType(type);
    out.setContentLength(static_cast<std::streamsize>(body.size()));
    out.sendBuffer(body.data(), body.size());
  }

 private:
  static std::string Escape(const std::string& text) {
    std::string out;
    for (char ch : text) {
      if (ch == '"' || ch == '\\') out.push_back('\\');
      if (static_cast<unsigned char>(ch) >= 0x20) out.push_back(ch);
    }
    return out;
  }

  pg::PgStore& store_;
  pg::PgReplication& replication_;
  const Metrics& metrics_;
};

}  // namespace

std::string ListenExclusively(Poco::Net::ServerSocket& socket, const Poco::Net::SocketAddress& address, int backlog) {
  try {
    socket.bind(address, true, false);
    socket.listen(backlog);
    return "";
  } catch (const Poco::Exception& e) {
    return e.displayText();
  }
}

Poco::Net::HTTPRequestHandler* OpsHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest&) {
  return new OpsHandler(store_, replication_, metrics_);
}

}  // namespace nara::app
