#include "fhir/http/responses.h"

#include <algorithm>

#include "fhir/json/json.h"

namespace nara::fhir {

// RFC 9110 15.5.6: a 405 names the methods that are allowed.
HttpResponse MethodNotAllowed(const std::string& method, const std::string& what, const std::string& allow) {
  Issue issue;
  issue.code = "not-supported";
  issue.text = "metoden " + SafeExcerpt(method, 16) + " stöds inte för " + what + " (method not allowed; use " +
               allow + ")";
  HttpResponse response = ErrorResponse(405, issue);
  response.SetHeader("Allow", allow);
  return response;
}

HttpResponse NotFoundPath(const std::string& text) {
  Issue issue;
  issue.code = "not-found";
  issue.text = text;
  return ErrorResponse(404, issue);
}

std::vector<BundleLink> PageLinks(const std::string& url_base, const QueryParams& canonical, int offset, int count,
                                  bool has_more) {
  auto with_offset = [&](int value) {
    QueryParams params = canonical;
    if (value > 0) params.emplace_back("_offset", std::to_string(value));
    const std::string query = EncodeQuery(params);
    return url_base + (query.empty() ? "" : "?" + query);
  };
  std::vector<BundleLink> links{{"self", with_offset(offset)}};
  if (has_more && count > 0) links.push_back({"next", with_offset(offset + count)});
  if (offset > 0) links.push_back({"previous", with_offset(std::max(0, offset - count))});
  return links;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", kFhirJson);
  response.body = std::move(body);
  return response;
}

void AddVersionHeaders(HttpResponse& response, const StoredResource& resource, const std::string& base_url,
                       bool location) {
  response.SetHeader("ETag", WeakEtag(resource.version));
  response.SetHeader("Last-Modified", HttpDate(resource.last_updated));
  if (location) {
    response.SetHeader("Location", base_url + "/" + resource.type + "/" + resource.id + "/_history/" +
                                       std::to_string(resource.version));
  }
}

HttpResponse NotModifiedOr(const HttpRequest& request, int version, HttpResponse read) {
  if (read.status != 200) return read;
  // If-None-Match decides when sent; If-Modified-Since only without it (RFC 9110 13.2.2).
  const std::string etags = request.Header("if-none-match");
  std::string last_modified;
  for (const auto& [name, value] : read.headers) {
    if (name == "Last-Modified") last_modified = value;
  }
  const bool unchanged = etags.empty() ? NotModifiedSince(request.Header("if-modified-since"), last_modified)
                                       : IfNoneMatchHits(etags, version);
  if (!unchanged) return read;
  HttpResponse not_modified;
  not_modified.status = 304;
  for (const auto& [name, value] : read.headers) {
    if (name == "ETag" || name == "Last-Modified") not_modified.SetHeader(name, value);
  }
  return not_modified;
}

// The body a write returns, as the client's Prefer header asks (FHIR R4 3.1.0.4).
HttpResponse WriteResponse(int status, const StoredResource& resource, const std::vector<Issue>& warnings,
                           const HttpRequest& request, const Preferences& prefs) {
  HttpResponse response;
  response.status = status;
  AddVersionHeaders(response, resource, request.base_url, true);
  if (prefs.return_kind == "minimal") return response;
  response.SetHeader("Content-Type", kFhirJson);
  if (prefs.return_kind == "OperationOutcome") {
    std::vector<Issue> issues = warnings;
    Issue info;
    info.severity = "information";
    info.code = "informational";
    info.text = resource.type + "/" + resource.id + " version " + std::to_string(resource.version) +
                (status == 201 ? " skapad (created)" : " sparad (updated)");
    issues.push_back(info);
    response.body = OperationOutcomeJson(issues);
  } else {
    response.body = resource.json;
  }
  return response;
}

}  // namespace nara::fhir
