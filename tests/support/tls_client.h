// TlsClient: an HTTPS client with an optional client certificate, for end-to-end tests that drive
// the server as a real SITHS client would.
//
// It trusts only ca_file and checks the server's host name. Requests share one kept-alive
// connection, reopened after a failure. It never throws: a refused handshake, a reset or a timeout
// comes back as status 0 with `error` set, so tests can assert on refusals directly.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace Poco::Net {
class HTTPSClientSession;
}

namespace nara::testing {

struct ClientIdentity {
  std::string cert_file;  // leaf, optionally followed by its chain; empty = no client certificate
  std::string key_file;
};

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string error;  // non-empty if the connection or handshake failed
};

class TlsClient {
 public:
  TlsClient(std::string host, int port, std::string ca_file, ClientIdentity identity);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Content-Type defaults to application/fhir+json when there is a body and none was given.
  HttpResult Request(const std::string& method, const std::string& path_and_query, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {});

 private:
  std::string host_;
  int port_;
  std::string ca_file_;
  ClientIdentity identity_;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session_;
};

}  // namespace nara::testing
