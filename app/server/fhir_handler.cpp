#include "app/server/fhir_handler.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/DeflatingStream.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/URI.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "app/log.h"
#include "auth/peer_identity.h"
#include "fhir/http/http_util.h"
#include "fhir/json/operation_outcome.h"
#include "pg/read_routing.h"

namespace nara::app {
namespace {

std::string NewRequestId() {
  static std::atomic<unsigned long> counter{0};
  static const unsigned long start = static_cast<unsigned long>(
      std::chrono::system_clock::now().time_since_epoch().count() & 0xffffff);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06lx-%08lx", start, counter.fetch_add(1) + 1);
  return buf;
}

// A file descriptor closed however the send ends.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// Read from disk and written to the TLS socket this much at a time: SSL_write cuts it into 16 KiB
// records. Poco's sendFile goes through its 4 KiB stream buffers instead: a read(2), a TLS record and
// a write(2) for every 4 KiB (about 62 000 each for a 255 MB export).
constexpr size_t kFileChunk = size_t{256} << 10;

// Bodies below this go out as they are: gzip's header and the CPU cost buy nothing for an
// OperationOutcome or a single resource. A 1000-entry searchset page (about 148 kB) shrinks to a tenth.
constexpr size_t kGzipAbove = 1024;

// Whether Accept-Encoding (RFC 9110 12.5.3) takes gzip: listed (or "*") without q=0.
bool AcceptsGzip(const std::string& accept_encoding) {
  Poco::StringTokenizer items(accept_encoding, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  for (const auto& item : items) {
    Poco::StringTokenizer parts(item, ";", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    if (parts.count() == 0) continue;
    const std::string coding = Poco::toLower(parts[0]);
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    bool refused = false;
    for (size_t i = 1; i < parts.count(); ++i) {
      std::string q = Poco::toLower(Poco::replace(parts[i], " ", ""));
      if (q.rfind("q=", 0) == 0 && std::strtod(q.c_str() + 2, nullptr) <= 0.0) refused = true;
    }
    if (!refused) return true;
  }
  return false;
}

std::string Gzip(const std::string& body) {
  std::ostringstream compressed;
  Poco::DeflatingOutputStream gzip(compressed, Poco::DeflatingStreamBuf::STREAM_GZIP);
  gzip.write(body.data(), static_cast<std::streamsize>(body.size()));
  gzip.close();
  return compressed.str();
}

// Every byte, in calls of at most kFileChunk (sendBytes takes an int; SSL_write cuts 16 KiB records).
void SendAll(Poco::Net::StreamSocket& socket, const char* data, size_t size) {
  for (size_t sent = 0; sent < size;) {
    const int n = socket.sendBytes(data + sent, static_cast<int>(std::min<size_t>(size - sent, kFileChunk)));
    if (n <= 0) throw std::runtime_error("response send failed");
    sent += static_cast<size_t>(n);
  }
}

// The status line, the headers and the body, written to the TLS socket by us rather than through
// Poco's sendBuffer, whose 4 KiB stream buffer makes every 4 KiB of a body a TLS record and a write(2)
// of its own (a doctor's whole list: 204 of each, each waking the client; here 52 records of 16 KiB).
// A body up to kOneWriteBelow goes out with the headers in one SSL_write; a larger one after them, so
// it is not copied. HEAD: the GET's headers, no body (RFC 9110 9.3.2). Poco's response object never
// counts itself sent; its connection loop only looks at that when the handler throws a Poco exception,
// and Send is the handler's last step.
constexpr size_t kOneWriteBelow = size_t{64} << 10;

void SendWhole(Poco::Net::HTTPServerResponse& out, Poco::Net::StreamSocket& socket, const std::string& body, bool head) {
  out.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostringstream header;
  out.write(header);
  std::string wire = header.str();
  if (head) return SendAll(socket, wire.data(), wire.size());
  if (body.size() < kOneWriteBelow) {
    wire += body;
    return SendAll(socket, wire.data(), wire.size());
  }
  SendAll(socket, wire.data(), wire.size());
  SendAll(socket, body.data(), body.size());
}

void Send(Poco::Net::HTTPServerResponse& out, Poco::Net::StreamSocket& socket, const fhir::HttpResponse& response,
          const std::string& request_id, bool head, bool gzip) {
  FileDescriptor file;
  struct stat info {};
  if (!response.body_file.empty()) {
    // Opened before anything is sent: a job cancelled now removes the file, but what is open stays
    // readable to its end, so the length sent is the length delivered.
    file.fd = ::open(response.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0 || ::fstat(file.fd, &info) != 0) {
      fhir::Issue issue;
      issue.code = "not-found";
      issue.text = "exportfilen finns inte längre (the export file is gone)";
      Send(out, socket, fhir::ErrorResponse(404, issue), request_id, head, gzip);
      return;
    }
  }
  out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
  for (const auto& [name, value] : response.headers) out.set(name, value);
  out.set("X-Request-Id", request_id);
  // An unread oversized body is still on the wire: the connection cannot be reused.
  if (response.status == 413) out.setKeepAlive(false);
  if (file.fd >= 0) {
    if (head) {  // HEAD: the GET's headers, no body (RFC 9110 9.3.2)
      out.setContentLength64(static_cast<Poco::Int64>(info.st_size));
      out.send().flush();
      return;
    }
    // A bulk export file: the header through Poco, then the body straight to the socket, streamed
    // from disk in chunks and never loaded whole.
    out.setContentLength64(static_cast<Poco::Int64>(info.st_size));
    out.send().flush();
    std::vector<char> buffer(kFileChunk);
    for (off_t left = info.st_size; left > 0;) {
      const ssize_t got = ::read(file.fd, buffer.data(), std::min<size_t>(buffer.size(), static_cast<size_t>(left)));
      if (got <= 0) throw std::runtime_error("export file read failed");  // the client sees a short body
      SendAll(socket, buffer.data(), static_cast<size_t>(got));
      left -= got;
    }
    return;
  }
  if (response.body.size() > kGzipAbove) {
    // A cache between us and the client must not hand the gzip form to one that did not ask for it.
    out.set("Vary", "Accept-Encoding");
    if (gzip) {
      const std::string compressed = Gzip(response.body);
      out.set("Content-Encoding", "gzip");
      SendWhole(out, socket, compressed, head);
      return;
    }
  }
  SendWhole(out, socket, response.body, head);
}

class FhirHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FhirHandler(FhirHandlerContext context)
      : api_(context.api),
        policy_(context.policy),
        config_(context.config),
        limiter_(context.limiter),
        guard_(context.guard),
        metrics_(context.metrics) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
    const auto started = std::chrono::steady_clock::now();
    fhir::HttpRequest request;
    request.request_id = NewRequestId();
    fhir::HttpResponse response;
    try {
      response = Process(in, request);
    } catch (const std::exception& e) {
      // Unexpected: log the exception class of failure with the request id, not the request content.
      Log("error", "request.exception", {{"request_id", request.request_id}, {"what", e.what()}});
      fhir::Issue issue;
      issue.severity = "fatal";
      issue.code = "exception";
      issue.text = "internt fel (internal error), request id " + request.request_id;
      response = fhir::ErrorResponse(500, issue);
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    // The method is set only for requests under the FHIR base; anything else is "other".
    metrics_.ObserveRequest(request.method.empty() ? "other" : InteractionOf(request.method, request.path),
                            response.status, elapsed);
    Log("info", "request", {{"request_id", request.request_id}, {"method", in.getMethod()},
                             {"resource", request.path.substr(0, request.path.find('/', 1))},
                             {"status", std::to_string(response.status)}, {"ms", std::to_string(ms)},
                             {"caller", request.caller.hsa_id}});
    try {
      if (guard_.closing()) out.setKeepAlive(false);  // shutting down: this is the connection's last answer
      Send(out, dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(in).socket(), response, request.request_id,
           in.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD, AcceptsGzip(in.get("Accept-Encoding", "")));
    } catch (const std::exception& e) {
      // Part of the answer may be on the wire: nothing more can follow it on this connection.
      out.setKeepAlive(false);
      Log("warn", "response.failed", {{"request_id", request.request_id}, {"what", e.what()}});
    }
    guard_.Reading();  // the next request on this connection has request-timeout.seconds to arrive
  }

 private:
  fhir::HttpResponse Process(Poco::Net::HTTPServerRequest& in, fhir::HttpRequest& request) {
    Poco::URI uri(in.getURI());
    const std::string path = uri.getPath();
    if (path != "/fhir" && path.rfind("/fhir/", 0) != 0) {
      fhir::Issue issue;
      issue.code = "not-found";
      issue.text = "FHIR-basen är /fhir (the FHIR base is /fhir)";
      return fhir::ErrorResponse(404, issue);
    }
    request.method = in.getMethod();
    request.path = path.substr(5);
    request.query = fhir::ParseQueryString(uri.getRawQuery());
    for (const auto& [name, value] : in) {
      std::string lower = name;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      request.headers[lower] = value;
    }
    request.base_url = config_.public_base_url.empty() ? "https://" + in.getHost() + "/fhir" : config_.public_base_url;
    ReadBody(in, request);
    guard_.Working();  // the whole request is in: no deadline while we work on it

    // The TLS layer already verified chain, dates, EKU and revocation; here the identity, then who
    // that is in the access policy (docs/api.md section 6). Refusals are audited.
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(in);
    Poco::Net::SecureStreamSocket socket(impl.socket());
    auto caller = auth::CallerOfConnection(socket);
    if (!caller) return api_.Refuse(request, caller.error());
    request.caller = *caller;
    const auto policy = policy_.Current();
    auto identified = policy->Identify(*caller);
    if (!identified) return api_.Refuse(request, identified.error());
    request.caller = std::move(*identified);
    // After identification, so an unknown caller gets its 403 and a known one is held to its own budget.
    if (const auth::ClientEntry* entry = policy->Find(request.caller.hsa_id)) {
      const auto verdict = limiter_.Take(entry->hsa_id, entry->rate_limit_per_minute);
      if (!verdict.allowed) return Throttled(entry->rate_limit_per_minute, verdict.retry_after_seconds);
    }
    // Read routing (pg/read_routing.h): the caller's reads see its own writes, also those made through
    // another node when the client echoes that node's X-Nara-Commit-Lsn (a malformed value is ignored,
    // as any hint that cannot be used).
    pg::ReadSession session(request.caller.hsa_id, pg::ParseLsn(request.Header("x-nara-commit-lsn")).value_or(0));
    fhir::HttpResponse response = api_.Handle(request);
    if (session.committed() != 0) response.SetHeader("X-Nara-Commit-Lsn", pg::FormatLsn(session.committed()));
    return response;
  }

  // Not audited: a throttled request touches no patient data. No personnummer in the text.
  static fhir::HttpResponse Throttled(int limit_per_minute, int retry_after_seconds) {
    fhir::Issue issue;
    issue.code = "throttled";
    issue.text = "för många anrop: klienten får göra " + std::to_string(limit_per_minute) +
                 " anrop per minut, försök igen om " + std::to_string(retry_after_seconds) +
                 " s (rate limit of " + std::to_string(limit_per_minute) + " requests per minute exceeded, retry after " +
                 std::to_string(retry_after_seconds) + " s)";
    auto response = fhir::ErrorResponse(429, issue);
    response.SetHeader("Retry-After", std::to_string(retry_after_seconds));
    return response;
  }

  // A body over the limit is read and thrown away up to kDrainLimit before the 413 goes out: a client
  // still sending would otherwise hit a reset connection and never see the OperationOutcome.
  // Beyond the drain limit the connection is simply closed after the 413.
  static constexpr long kDrainFactor = 16;

  void ReadBody(Poco::Net::HTTPServerRequest& in, fhir::HttpRequest& request) {
    // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has no body. Poco
    // reads such a POST, PUT, PATCH, OPTIONS or TRACE until the connection closes, which held the
    // client until the read timeout and then closed without an answer.
    if (!in.hasContentLength() && !in.getChunkedTransferEncoding()) return;
    const long limit = config_.max_body_bytes;
    const long drain_limit = limit * kDrainFactor;
    std::istream& stream = in.stream();
    char buffer[16384];
    if (in.hasContentLength() && in.getContentLength64() > limit) {
      request.body_too_large = true;
      if (in.getContentLength64() > drain_limit) return;
    }
    long seen = 0;
    while (stream && seen <= drain_limit) {
      stream.read(buffer, sizeof buffer);
      const auto got = stream.gcount();
      seen += got;
      if (seen > limit) {
        request.body_too_large = true;
        request.body.clear();
      } else {
        request.body.append(buffer, static_cast<size_t>(got));
      }
    }
  }

  fhir::FhirApi& api_;
  auth::PolicyHolder& policy_;
  const Config& config_;
  RateLimiter& limiter_;
  ConnectionGuard& guard_;
  Metrics& metrics_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* FhirHandlerFactory::createRequestHandler(const Poco::Net::HTTPServerRequest&) {
  return new FhirHandler(context_);
}

}  // namespace nara::app
