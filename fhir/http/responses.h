// The HTTP responses the FHIR interactions share: JSON bodies, version headers, the body a write
// returns as Prefer asks, 404/405 for paths and methods.
#pragma once

#include <string>
#include <vector>

#include "fhir/http/http.h"
#include "fhir/http/http_util.h"
#include "fhir/json/bundle.h"
#include "fhir/json/operation_outcome.h"
#include "registry/resource_store.h"

namespace nara::fhir {

HttpResponse JsonResponse(int status, std::string body);

// RFC 9110 15.5.6: a 405 names the methods that are allowed.
HttpResponse MethodNotAllowed(const std::string& method, const std::string& what, const std::string& allow);
HttpResponse NotFoundPath(const std::string& text);

// The self, next and previous links of an offset-paged Bundle; `canonical` holds the parameters
// that select the results (without _offset).
std::vector<BundleLink> PageLinks(const std::string& url_base, const QueryParams& canonical, int offset, int count,
                                  bool has_more);

// ETag, Last-Modified and (for writes) Location …/_history/n.
void AddVersionHeaders(HttpResponse& response, const StoredResource& resource, const std::string& base_url,
                       bool location);

// The body a write returns, as the client's Prefer header asks (FHIR R4 3.1.0.4).
HttpResponse WriteResponse(int status, const StoredResource& resource, const std::vector<Issue>& warnings,
                           const HttpRequest& request, const Preferences& prefs);

}  // namespace nara::fhir
