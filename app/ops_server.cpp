#include "app/ops_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace nara::app {
namespace {

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  OpsHandler(pg::PgStore& store, RequestCounters& counters) : store_(store), counters_(counters) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    const std::string path = in.getURI().substr(0, in.getURI().find('?'));
    int status = 200;
    std::string body;
    std::string type = "application/json";
    if (path == "/healthz") {
      body = "{\"status\":\"ok\"}";
    } else if (path == "/readyz") {
      auto ready = store_.Ping();
      status = ready ? 200 : 503;
      body = ready ? "{\"status\":\"ready\"}" : "{\"status\":\"not-ready\",\"reason\":\"" + Escape(ready.error().text) + "\"}";
    } else if (path == "/metrics") {
      type = "text/plain; version=0.0.4";
      body = "# HELP nara_http_requests_total FHIR requests handled, by status class.\n"
             "# TYPE nara_http_requests_total counter\n"
             "nara_http_requests_total{class=\"2xx\"} " + std::to_string(counters_.status_2xx.load()) + "\n"
             "nara_http_requests_total{class=\"4xx\"} " + std::to_string(counters_.status_4xx.load()) + "\n"
             "nara_http_requests_total{class=\"5xx\"} " + std::to_string(counters_.status_5xx.load()) + "\n"
             "# HELP nara_db_pool_in_use Database connections currently leased.\n"
             "# TYPE nara_db_pool_in_use gauge\n"
             "nara_db_pool_in_use " + std::to_string(store_.pool_in_use()) + "\n"
             "# HELP nara_db_pool_size Database connection pool bound.\n"
             "# TYPE nara_db_pool_size gauge\n"
             "nara_db_pool_size " + std::to_string(store_.pool_size()) + "\n";
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
  RequestCounters& counters_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* OpsHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest&) {
  return new OpsHandler(store_, counters_);
}

}  // namespace nara::app
