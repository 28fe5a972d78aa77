// The FHIR server's connections: Poco's HTTP connection handling, wrapped so that every connection is
// registered with the ConnectionGuard (request deadline, see connection_guard.h) and so that a
// connection beyond the worker limit gets a quick 503 instead of waiting behind the others.
//
// Threads: the Poco TCPServer runs up to `max_active + kOverloadThreads` connections at once; the
// extra threads only ever answer 503 (with a short deadline), so overload is answered rather than
// queued. Beyond those and the queue, Poco closes new connections at once.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <functional>

#include "app/server/connection_guard.h"

namespace nara::app {

// Worker threads beyond the configured ones that answer 503 during overload.
inline constexpr int kOverloadThreads = 4;
// How long a connection that will only get a 503 may take to send its request.
inline constexpr std::chrono::milliseconds kOverloadRequestTimeout{2000};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  // `max_active`: connections served normally at once (the `threads` setting); `on_overload` is
  // called for each connection answered 503.
  GuardedConnectionFactory(ConnectionGuard& guard, Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr handlers, int max_active,
                           std::function<void()> on_overload);
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  ConnectionGuard& guard_;
  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr overloaded_;
  int max_active_;
};

}  // namespace nara::app
