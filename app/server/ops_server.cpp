#include "app/server/ops_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>

namespace nara::app {
namespace {

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  OpsHandler(pg::PgStore& store, pg::PgReplication& replication, const Metrics& metrics, pg::ReadRouter* reads,
             pg::PgReplication* read_replication)
      : store_(store), replication_(replication), metrics_(metrics), reads_(reads), read_replication_(read_replication) {}

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
        // With database.read-url: where routed reads go. A read database that cannot be reached leaves
        // the node ready (its reads fall back to the primary, every answer stays right) but `degraded`,
        // so monitoring sees the primary carrying the reads.
        std::string reads;
        std::string state = "ready";
        if (read_replication_ != nullptr) {
          auto read_status = read_replication_->Status();
          if (!read_status) {
            state = "degraded";
            reads = ",\"reads\":\"primary\",\"read_database\":\"unreachable\"";
          } else {
            reads = std::string(",\"reads\":\"read-url\",\"read_database\":\"") +
                    (read_status->primary ? "primary" : "standby") + "\"";
          }
        }
        body = "{\"status\":\"" + state + "\",\"database\":\"primary\",\"standbys\":" +
               std::to_string(replication->standbys) + ",\"synchronous_standbys\":" +
               std::to_string(replication->sync_standbys) + reads + "}";
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
      if (reads_ != nullptr) {
        const pg::ReadCounts counts = reads_->counts();
        scrape.read_routing = true;
        scrape.reads_standby = counts.standby;
        scrape.reads_primary = counts.primary;
        scrape.reads_primary_lagging = counts.primary_lagging;
        scrape.reads_primary_unreachable = counts.primary_unreachable;
        if (read_replication_ != nullptr) {
          if (auto read_status = read_replication_->Status(); read_status && !read_status->primary) {
            scrape.read_lag_seconds = read_status->lag_seconds;
          }
        }
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
  pg::ReadRouter* reads_;
  pg::PgReplication* read_replication_;
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
  return new OpsHandler(store_, replication_, metrics_, reads_, read_replication_);
}

}  // namespace nara::app
