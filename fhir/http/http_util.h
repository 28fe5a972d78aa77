// HTTP details of the FHIR RESTful API: content negotiation, Prefer, ETag/If-Match, dates, URLs.
#pragma once

#include <optional>
#include <string>

#include "fhir/http/http.h"
#include "registry/result.h"

namespace nara::fhir {

struct Preferences {
  std::string return_kind = "representation";  // minimal | representation | OperationOutcome
  bool strict = false;                         // handling=strict
  bool waitlist = false;                       // waitlist=true: queue at a full doctor (docs/api.md section 9)
};
Preferences ParsePrefer(const std::string& header);

// 406 when the client will only take XML (Accept or _format); 415 for an XML or other non-JSON body.
std::optional<Error> CheckResponseFormat(const HttpRequest& request);
std::optional<Error> CheckRequestContentType(const HttpRequest& request);

// W/"3" or "3" → 3; nullopt when absent; error when malformed.
Result<std::optional<int>> ParseIfMatch(const std::string& header);
std::string WeakEtag(int version);
// If-None-Match (RFC 9110 13.1.2, weak comparison): "*" or any listed tag, W/ or not, names `version`.
bool IfNoneMatchHits(const std::string& header, int version);

// RFC 3339 (2026-11-23T10:00:00.123Z) → RFC 7231 HTTP-date (Mon, 23 Nov 2026 10:00:00 GMT).
std::string HttpDate(const std::string& rfc3339);
// If-Modified-Since (RFC 9110 13.1.3): `last_modified` (an HTTP-date) is not later than the date the
// header gives. False when the header is absent, not an HTTP-date, or later than the server's clock.
bool NotModifiedSince(const std::string& if_modified_since, const std::string& last_modified);

// a=b&c=d (x-www-form-urlencoded or a query string) → decoded pairs.
QueryParams ParseQueryString(const std::string& text);
std::string EncodeQuery(const QueryParams& params);

}  // namespace nara::fhir
