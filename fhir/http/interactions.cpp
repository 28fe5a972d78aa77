#include "fhir/http/interactions.h"

#include "auth/access_policy.h"
#include "fhir/conformance/capability.h"
#include "fhir/http/access.h"
#include "fhir/http/protection.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/search/search_elements.h"
#include "fhir/search/search_handler.h"
#include "fhir/search/search_params.h"

namespace nara::fhir {
namespace {

// _elements and _summary on a read or vread mean what they mean on a search, parsed by the search's
// parser: _elements subsets (tagged SUBSETTED), _summary=false is the whole resource, and what a
// search ignores under lenient handling (other _summary values) is ignored here too.
Result<std::vector<std::string>> ReadElements(const RouteContext& c) {
  QueryParams shaping;
  for (const auto& pair : c.request.query) {
    if (pair.first == "_elements" || pair.first == "_summary") shaping.push_back(pair);
  }
  if (shaping.empty()) return std::vector<std::string>();
  auto parsed = ParseSearch(*c.match.type, shaping, c.prefs.strict);
  if (!parsed) return parsed.error();
  if (parsed->summary_count) {
    return Error::Invalid("invalid", "_summary=count gäller sökningar, inte läsning (_summary=count is for searches)");
  }
  return parsed->elements;
}

HttpResponse Subset(HttpResponse read, const std::vector<std::string>& elements) {
  if (read.status == 200 && !elements.empty()) read.body = SubsetElements(read.body, elements);
  return read;
}

}  // namespace

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
  return HandleSearch(c.api.store(), *c.match.type, c.request, params, c.prefs.strict, c.audit,
                      c.api.AnswersFor(c.request, c.match.type->type));
}

// The writes decide access per resource, on the stored version and the new content
// (FhirApi::ExecuteWrite). [type] without an id: a create, or a conditional update/delete on
// [type]?criteria.
HttpResponse Write(RouteContext& c) {
  // A role that may not write this type at all is told so before anything about the body.
  const std::string& type = c.match.type->type;
  const Caller& caller = c.request.caller;
  const std::string& method = c.request.method;
  const auth::Action action = method == "POST"     ? auth::Action::create
                              : method == "DELETE" ? auth::Action::delete_
                                                   : auth::Action::update;
  auth::Decision may = auth::DecideBeforeContent(caller, action, type);
  // A PUT may create: it goes on if it may update or create, and is refused in the words of an update.
  if (!may.allowed && method == "PUT") {
    if (auth::Decision create = auth::DecideBeforeContent(caller, auth::Action::create, type); create.allowed) {
      may = std::move(create);
    }
  }
  const std::string id = c.match.shape == Shape::instance ? c.match.id : "";
  if (!may.allowed) {
    // Logged like any refused write (FhirApi::RunWrite names the same), before the body is read.
    if (IsPatientData(type)) c.audit.Begin(std::string(auth::ActionName(action)), type, id);
    return ErrorResponse(Forbidden(may));
  }
  auto plan = c.api.PlanWrite(c.request, *c.match.type, id);
  if (!plan) return ErrorResponse(plan.error());
  return c.api.RunWrite(c.request, *plan, c.audit);
}

HttpResponse Read(RouteContext& c) {
  auto elements = ReadElements(c);
  if (!elements) return ErrorResponse(elements.error());
  return Subset(c.api.ReadCurrentAudited(c.request, c.match.type->type, c.match.id, c.audit), *elements);
}

HttpResponse VRead(RouteContext& c) {
  const std::string& vid = c.match.vid;
  if (vid.empty() || vid.size() > 9 || vid[0] == '0' || vid.find_first_not_of("0123456789") != std::string::npos) {
    return ErrorResponse(Error::Invalid("invalid", "versionId måste vara ett positivt heltal (versionId must be a positive integer)"));
  }
  auto elements = ReadElements(c);
  if (!elements) return ErrorResponse(elements.error());
  auto resource = c.api.store().ReadVersion(c.match.type->type, c.match.id, std::stoi(vid));
  if (!resource) return ErrorResponse(resource.error());
  if (auto visible = c.api.CheckResident(c.request.caller, *resource, c.audit); !visible) {
    return ErrorResponse(visible.error());
  }
  // Protected identity (docs/api.md section 8): redacted, or the 404 of a version that does not exist.
  ProtectionScreen screen(c.request.caller);
  auto sight = ScreenInOwnTransaction(c.api.store(), screen, *resource);
  if (!sight) return ErrorResponse(sight.error());
  if (!c.audit.action.empty()) AddProtectionNote(c.audit.detail, c.request.method + " " + c.match.type->type, screen);
  if (*sight == Sight::withheld) return ErrorResponse(WithheldAsNotFound(c.match.type->type, c.match.id, std::stoi(vid)));
  HttpResponse response = JsonResponse(200, resource->json);
  AddVersionHeaders(response, *resource, c.request.base_url, false);
  return Subset(NotModifiedOr(c.request, resource->version, std::move(response)), *elements);
}

}  // namespace nara::fhir
