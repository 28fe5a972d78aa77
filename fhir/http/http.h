// HttpRequest / HttpResponse: what the FHIR layer sees of HTTP, free of Poco so the whole request
// pipeline runs in unit tests without sockets. app/ converts to and from the real server.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "registry/caller.h"

namespace nara::fhir {

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded, in request order

struct HttpRequest {
  std::string method;                          // GET, POST, ...
  bool head = false;                           // a HEAD, served as this GET without the body
  std::string path;                            // below the base, e.g. "/Patient/123/_history/2"
  QueryParams query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool body_too_large = false;                 // the adapter stopped reading at the size limit
  std::string base_url;                        // e.g. https://localhost:8443/fhir
  std::string request_id;
  Caller caller;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is this file's content instead, streamed by the HTTP adapter without loading
  // it (bulk export files can be gigabytes).
  std::string body_file;

  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

inline constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

}  // namespace nara::fhir
