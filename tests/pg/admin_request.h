// A request to the FHIR API (fhir::FhirApi::Handle, no HTTP) as the registry's administrator, for the
// PostgreSQL tests that check what a stored change looks like through the API.
#pragma once

#include <string>
#include <utility>

#include "fhir/http/http.h"

namespace nara::testing {

// method and path ("/Patient/p-1"); a body is sent as application/fhir+json.
inline fhir::HttpRequest AdminRequest(const std::string& method, const std::string& path, std::string body = "",
                                      fhir::QueryParams query = {}) {
  fhir::HttpRequest request;
  request.method = method;
  request.path = path;
  request.query = std::move(query);
  if (!body.empty()) request.headers["content-type"] = "application/fhir+json";
  request.body = std::move(body);
  request.base_url = "https://test/fhir";
  request.caller.hsa_id = "SE2321000016-ADMIN";
  request.caller.role = "admin";
  return request;
}

}  // namespace nara::testing
