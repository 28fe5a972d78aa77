#include "app/server/guarded_http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/TCPServerConnection.h>

#include "app/server/http_connection_loop.h"
#include "fhir/json/operation_outcome.h"

namespace nara::app {
namespace {

class OverloadedHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& out) override {
    fhir::Issue issue;
    issue.code = "transient";
    issue.text = "servern är fullt upptagen, försök igen om en stund (the server is at capacity, retry shortly)";
    const fhir::HttpResponse response = fhir::ErrorResponse(503, issue);
    out.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    for (const auto& [name, value] : response.headers) {
      if (name != "Retry-After") out.set(name, value);
    }
    out.set("Retry-After", "1");
    out.setKeepAlive(false);  // the connection goes back to the queue's end, not ahead of it
    out.setContentLength(static_cast<std::streamsize>(response.body.size()));
    out.sendBuffer(response.body.data(), response.body.size());
  }
};

class OverloadedHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit OverloadedHandlerFactory(std::function<void()> on_overload) : on_overload_(std::move(on_overload)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    if (on_overload_) on_overload_();
    return new OverloadedHandler;
  }

 private:
  std::function<void()> on_overload_;
};

class GuardedConnection final : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, ConnectionGuard& guard,
                    Poco::Net::HTTPServerParams::Ptr params, Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr overloaded, int max_active)
      : TCPServerConnection(socket),
        guard_(guard),
        params_(std::move(params)),
        handlers_(std::move(handlers)),
        overloaded_(std::move(overloaded)),
        max_active_(max_active) {}

  void run() override {
    const bool overloaded = guard_.active() >= max_active_;
    const auto timeout = overloaded ? std::min(kOverloadRequestTimeout, guard_.request_timeout()) : guard_.request_timeout();
    std::string peer;
    try {
      peer = socket().peerAddress().toString();
    } catch (const std::exception&) {
      return;  // gone before we started
    }
    ConnectionGuard::Registration registration(guard_, socket().impl()->sockfd(), peer, timeout, !overloaded);
    // Per read and write; the guard bounds the whole request. A client that stops reading our
    // response cannot hold the worker longer than this either.
    const Poco::Timespan per_io(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
    socket().setReceiveTimeout(per_io);
    socket().setSendTimeout(per_io);
    ServeHttpConnection(socket(), params_, overloaded ? overloaded_ : handlers_);
  }

 private:
  ConnectionGuard& guard_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr overloaded_;
  int max_active_;
};

}  // namespace

GuardedConnectionFactory::GuardedConnectionFactory(ConnectionGuard& guard, Poco::Net::HTTPServerParams::Ptr params,
                                                   Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, int max_active,
                                                   std::function<void()> on_overload)
    : guard_(guard),
      params_(std::move(params)),
      handlers_(std::move(handlers)),
      overloaded_(new OverloadedHandlerFactory(std::move(on_overload))),
      max_active_(max_active) {}

Poco::Net::TCPServerConnection* GuardedConnectionFactory::createConnection(const Poco::Net::StreamSocket& socket) {
  return new GuardedConnection(socket, guard_, params_, handlers_, overloaded_, max_active_);
}

}  // namespace nara::app
