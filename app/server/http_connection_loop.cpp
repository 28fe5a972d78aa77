#include "app/server/http_connection_loop.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Timestamp.h>
#include <poll.h>

#include <cerrno>
#include <memory>

namespace nara::app {
namespace {

// Poco's session, with what it has read ahead of the current request (a pipelined request) in view.
class KeptAliveSession final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  bool ReadAhead() const { return buffered() > 0; }
};

// Whether a request (or a close, or an error, which the read then reports) arrives within `timeout`.
// Bytes already read, by the session or by TLS (decrypted and not yet taken), need no wait.
bool RequestArrives(KeptAliveSession& session, Poco::Net::StreamSocket& socket, const Poco::Timespan& timeout) {
  if (session.ReadAhead() || socket.available() > 0) return true;
  pollfd readable{socket.impl()->sockfd(), POLLIN, 0};
  const int ms = static_cast<int>(timeout.totalMilliseconds());
  for (;;) {
    const int n = ::poll(&readable, 1, ms);
    if (n >= 0) return n > 0;
    if (errno != EINTR) return true;  // the read finds out what is wrong
  }
}

void SendError(Poco::Net::HTTPServerSession& session, Poco::Net::HTTPResponse::HTTPStatus status) {
  Poco::Net::HTTPServerResponseImpl response(session);
  response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
  response.setStatusAndReason(status);
  response.setKeepAlive(false);
  response.send();
  session.setKeepAlive(false);
}

}  // namespace

void ServeHttpConnection(Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                         Poco::Net::HTTPRequestHandlerFactory::Ptr handlers) {
  KeptAliveSession session(socket, params);
  const std::string server = params->getSoftwareVersion();
  // As HTTPServerSession: the first request within the session timeout, the next ones within the
  // keep-alive timeout while the connection is kept alive, at most this many (0: no limit).
  int requests_left = params->getMaxKeepAliveRequests();
  for (bool first = true;; first = false) {
    if (!socket.impl()->initialized()) break;
    if (!first) {
      if (!session.getKeepAlive() || requests_left == 1) break;
      if (requests_left > 1) --requests_left;
    }
    if (!RequestArrives(session, socket, first ? session.getTimeout() : params->getKeepAliveTimeout())) break;
    // The last request the connection takes says so in its answer (Connection: close).
    const bool may_keep_alive = params->getKeepAlive() && requests_left != 1;
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      Poco::Net::HTTPServerRequestImpl request(response, session, params.get());
      response.setDate(Poco::Timestamp());
      response.setVersion(request.getVersion());
      response.setKeepAlive(may_keep_alive && request.getKeepAlive());
      if (!server.empty()) response.set("Server", server);
      try {
        std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(handlers->createRequestHandler(request));
        if (!handler) {
          SendError(session, Poco::Net::HTTPResponse::HTTP_NOT_IMPLEMENTED);
          continue;
        }
        if (request.getExpectContinue() && response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
          response.sendContinue();
        }
        handler->handleRequest(request, response);
        session.setKeepAlive(may_keep_alive && response.getKeepAlive());
      } catch (const Poco::Exception&) {
        if (!response.sent()) {
          try {
            SendError(session, Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
          } catch (...) {
          }
        }
        throw;
      }
    } catch (const Poco::Net::NoMessageException&) {
      break;  // the client closed between requests
    } catch (const Poco::Net::MessageException&) {
      SendError(session, Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);  // a request Poco could not parse
    } catch (const Poco::Exception&) {
      if (session.networkException()) session.networkException()->rethrow();
      throw;
    }
  }
}

}  // namespace nara::app
