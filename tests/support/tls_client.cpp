#include "tests/support/tls_client.h"

#include "tests/support/response_capture.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>

#include <csignal>
#include <exception>
#include <istream>
#include <mutex>
#include <ostream>

namespace nara::testing {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool HasHeader(const std::map<std::string, std::string>& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (Lower(key) == name) return true;
  }
  return false;
}

Poco::Net::Context::Ptr MakeClientContext(const std::string& ca_file, const ClientIdentity& identity) {
  using Poco::Net::Context;
  Context::Params params;
  params.caLocation = ca_file;
  params.certificateFile = identity.cert_file;
  params.privateKeyFile = identity.key_file;
  params.verificationMode = Context::VERIFY_RELAXED;  // a client always verifies the server with this
  params.loadDefaultCAs = false;
  Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
  context->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                            Context::PROTO_TLSV1_1);
  return context;
}

}  // namespace

TlsClient::TlsClient(std::string host, int port, std::string ca_file, ClientIdentity identity)
    : host_(std::move(host)), port_(port), ca_file_(std::move(ca_file)), identity_(std::move(identity)) {
  // A server that refuses us may close before our request is written; without this the write
  // would kill the test binary with SIGPIPE instead of returning an error.
  static std::once_flag sigpipe_once;
  std::call_once(sigpipe_once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

TlsClient::~TlsClient() = default;

HttpResult TlsClient::Request(const std::string& method, const std::string& path_and_query,
                              const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpResult result;
  try {
    if (!session_) {
      session_ = std::make_unique<Poco::Net::HTTPSClientSession>(
          host_, static_cast<Poco::UInt16>(port_), MakeClientContext(ca_file_, identity_));
      session_->setTimeout(Poco::Timespan(30, 0));
      session_->setKeepAlive(true);
    }
    Poco::Net::HTTPRequest request(method, path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty() && !HasHeader(headers, "content-type")) request.setContentType("application/fhir+json");
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session_->sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session_->receiveResponse(response);
    Poco::StreamCopier::copyToString(in, result.body);
    result.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) result.headers[Lower(name)] = value;
    CaptureResponse(response.getContentType(), result.body);
    if (!response.getKeepAlive()) session_.reset();
  } catch (const Poco::Exception& e) {
    result = HttpResult{};
    result.error = e.displayText();
    session_.reset();
  } catch (const std::exception& e) {
    result = HttpResult{};
    result.error = e.what();
    session_.reset();
  }
  if (result.status == 0 && result.error.empty()) result.error = "no response";
  return result;
}

}  // namespace nara::testing
