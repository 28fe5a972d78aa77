#include "fhir/http/conformance_resources.h"

#include "auth/access_policy.h"
#include "fhir/conformance/definitions.h"
#include "fhir/http/access.h"
#include "fhir/http/responses.h"
#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"

namespace nara::fhir {
namespace {

const std::string& PathType(const RouteContext& c) { return c.match.segments.at(0); }

// The path names the type, so the decision is taken here rather than from the row (one row serves the four).
std::optional<HttpResponse> Refused(const RouteContext& c, auth::Action action) {
  const auth::Decision decision = auth::Decide(c.request.caller, action, {PathType(c), "", {}, "", "", false});
  if (decision.allowed) return std::nullopt;
  return ErrorResponse(Forbidden(decision));
}

StoredResource AsStored(const ConformanceResource& resource) {
  StoredResource stored;
  stored.type = resource.type;
  stored.id = resource.id;
  stored.json = resource.json;
  return stored;
}

}  // namespace

HttpResponse ConformanceSearch(RouteContext& c) {
  if (auto no = Refused(c, auth::Action::search)) return *no;
  const std::string& type = PathType(c);
  std::string url, id;
  QueryParams self;
  for (const auto& [name, value] : c.request.query) {
    if (name == "url") {
      // A canonical may carry |version; these resources have one version each, so it is not compared.
      url = value.substr(0, value.find('|'));
      self.emplace_back(name, value);
    } else if (name == "_id") {
      id = value;
      self.emplace_back(name, value);
    }
  }
  std::vector<StoredResource> matches;
  for (const auto& resource : ConformanceResources()) {
    if (resource.type != type || (!url.empty() && resource.url != url) || (!id.empty() && resource.id != id)) continue;
    matches.push_back(AsStored(resource));
  }
  const std::string query = EncodeQuery(self);
  const std::vector<BundleLink> links{{"self", c.request.base_url + "/" + type + (query.empty() ? "" : "?" + query)}};
  return JsonResponse(200, SearchsetJson(c.request.base_url, matches, static_cast<long>(matches.size()), links, {}));
}

HttpResponse ConformanceRead(RouteContext& c) {
  if (auto no = Refused(c, auth::Action::read)) return *no;
  for (const auto& resource : ConformanceResources()) {
    if (resource.type == PathType(c) && resource.id == c.match.id) return JsonResponse(200, resource.json);
  }
  return NotFoundPath(PathType(c) + "/" + SafeExcerpt(c.match.id) + " finns inte (unknown " + PathType(c) + ")");
}

}  // namespace nara::fhir
