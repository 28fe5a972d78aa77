// A transaction or batch Bundle as the requests it stands for (FHIR R4 3.1.0.11): parsed and checked
// before anything is executed, so a malformed Bundle is refused whole and each entry becomes an
// HttpRequest the router handles exactly as if it had been sent alone.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/http/http.h"
#include "registry/result.h"

namespace nara::fhir {

// A bound on work per request: a Bundle with more entries is refused whole (413).
inline constexpr size_t kMaxBundleEntries = 1000;

struct BundleEntryRequest {
  std::string method;                 // GET, POST, PUT, PATCH, DELETE
  std::string full_url;               // e.g. urn:uuid:…; "" when absent
  HttpRequest request;                // method, path, query, headers (If-Match, If-None-Exist, Prefer)
  std::vector<std::string> segments;  // the url's path segments: [type] or [type, id]
  const rapidjson::Value* resource = nullptr;  // entry.resource, owned by BundleRequest::doc
};

struct BundleRequest {
  std::string type;  // transaction | batch
  std::unique_ptr<rapidjson::Document> doc;
  // One per Bundle.entry, in order: the request, or why the entry is malformed.
  std::vector<Result<BundleEntryRequest>> entries;
};

// Parses a POST [base] body. Errors for the whole Bundle: not JSON or not a Bundle (400), a type other
// than transaction/batch (422 value), more than kMaxBundleEntries entries (413). Entries carry the
// caller, base URL, request id and Prefer of `outer`.
Result<BundleRequest> ParseBundleRequest(std::string_view body, const HttpRequest& outer);

// The JSON Patch a PATCH entry carries: a Binary with contentType application/json-patch+json and
// base64 data (FHIR R4 3.1.0.7.3).
Result<std::string> PatchFromBinary(const rapidjson::Value& resource);

}  // namespace nara::fhir
