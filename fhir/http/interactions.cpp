#include "fhir/http/interactions.h"

#include "fhir/conformance/capability.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/search/search_handler.h"

namespace nara::fhir {

HttpResponse Capabilities(RouteContext& c) {
  return JsonResponse(200, CapabilityStatementJson(c.request.base_url, c.api.options().software_version));
}

// A transaction or batch Bundle (FHIR R4 3.1.0.11); each entry is decided and audited on its own.
HttpResponse HandleBundleRoute(RouteContext& c) { return c.api.HandleBundle(c.request); }

HttpResponse Search(RouteContext& c) {
  QueryParams params = c.request.query;
  if (c.match.shape == Shape::type_search) {  // POST _search: the form body adds to the URL's parameters
    for (auto& pair : ParseQueryString(c.request.body)) params.push_back(std::move(pair));
  }
  return HandleSearch(c.api.store(), *c.match.type, c.request, params, c.prefs.strict, c.audit);
}

// The writes decide access per resource, on the stored version and the new content
// (FhirApi::ExecuteWrite). [type] without an id: a create, or a conditional update/delete on
// [type]?criteria.
HttpResponse Write(RouteContext& c) {
  auto plan = c.api.PlanWrite(c.request, *c.match.type, c.match.shape == Shape::instance ? c.match.id : "");
  if (!plan) return ErrorResponse(plan.error());
  return c.api.RunWrite(c.request, *plan, c.audit);
}

HttpResponse Read(RouteContext& c) {
  return c.api.ReadCurrentAudited(c.request, c.match.type->type, c.match.id, c.audit);
}

HttpResponse VRead(RouteContext& c) {
  const std::string& vid = c.match.vid;
  if (vid.empty() || vid.size() > 9 || vid[0] == '0' || vid.find_first_not_of("0123456789") != std::string::npos) {
    return ErrorResponse(Error::Invalid("invalid", "versionId must be a positive integer"));
  }
  auto resource = c.api.store().ReadVersion(c.match.type->type, c.match.id, std::stoi(vid));
  if (!resource) return ErrorResponse(resource.error());
  if (auto visible = c.api.CheckResident(c.request.caller, *resource, c.audit); !visible) {
    return ErrorResponse(visible.error());
  }
  HttpResponse response = JsonResponse(200, resource->json);
  AddVersionHeaders(response, *resource, c.request.base_url, false);
  return response;
}

}  // namespace nara::fhir
