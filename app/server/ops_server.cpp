#include "app/server/ops_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>

namespace nara::app {
namespace {

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  OpsHandler(pg::PgStore& store, const Metrics& metrics) : store_(store), metrics_(metrics) {}

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
      body = metrics_.Render({store_.pool_in_use(), store_.pool_idle(), store_.pool_size(), store_.audit_rows_written()});
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
  return new OpsHandler(store_, metrics_);
}

}  // namespace nara::app
