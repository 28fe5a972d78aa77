// The request loop of one HTTP connection: what Poco's HTTPServerConnection does (keep-alive up to
// the server's limit, the last answer saying Connection: Close, Expect: 100-continue, 400 for what
// is no request), except the wait for the next request: one poll(2) on the socket, where Poco 1.11
// makes, uses and closes an epoll instance for every request (four system calls of a GET Patient's
// seventeen; bench/RESULTS.md, sixth round: 3 µs of the server's CPU per request).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>

namespace nara::app {

void ServeHttpConnection(Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                         Poco::Net::HTTPRequestHandlerFactory::Ptr handlers);

}  // namespace nara::app
