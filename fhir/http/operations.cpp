#include "fhir/http/operations.h"

#include "fhir/http/protection.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/bundle.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/operations/bulk_export.h"
#include "fhir/resources/registry_views.h"
#include "fhir/search/search_params.h"
#include "registry/identifier_system.h"

namespace nara::fhir {

// What 1177 shows a citizen: the patient found by identifier, with its fixed contacts.
HttpResponse FixedContacts(RouteContext& c) {
  std::string identifier;
  for (const auto& [name, value] : c.request.query) {
    if (name == "identifier") identifier = value;
  }
  const auto bar = identifier.find('|');
  if (bar == std::string::npos || bar == 0 || bar + 1 == identifier.size()) {
    return RequestErrorResponse(Error::Invalid(
        "required", "$fixed-contacts behöver identifier=SYSTEM|VALUE ($fixed-contacts needs identifier=SYSTEM|VALUE)"));
  }
  const std::string system = CanonicalSystem(identifier.substr(0, bar));
  const std::string value = identifier.substr(bar + 1);
  // A personnummer with a wrong check digit names nobody: a bad request, not a missing patient.
  if (auto valid = ValidateIdentifier(system, value); !valid) {
    // 400, not the 422 a stored resource's invalid value gets: the request itself is malformed.
    // The validator's text is already Swedish first, English after: it follows whole.
    return RequestErrorResponse(
        Error::Invalid("value", "identifieraren är inget giltigt " + SystemLabel(system) + ": " + valid.error().text));
  }
  const SearchQuery by_identifier = IdentifierSearch("Patient", system, value, 2);
  std::string body;
  auto status = c.api.store().Transact([&](ResourceTransaction& tx) -> Status {
    auto found = tx.Search(by_identifier);
    if (!found) return found.error();
    if (found->resources.empty()) return Error::NotFound("ingen patient med den identifieraren (no such patient)");
    if (found->resources.size() > 1)
      return Error::Conflict(
          "identifieraren matchar flera patienter "
          "(the identifier matches more than one patient)");
    c.audit.AddAll({found->resources.front()});
    // Protected identity (docs/api.md section 8): a caller who may not see where the person is cared
    // for gets the redacted Patient alone, and a note that the rest was left out.
    ProtectionScreen screen(c.request.caller);
    StoredResource patient = found->resources.front();
    const Sight sight = screen.ScreenOne(tx.Registry(), patient);
    AddProtectionNote(c.audit.detail, c.request.method + " Patient", screen);
    if (sight == Sight::redacted) {
      body = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"fullUrl\":" +
             JsonString(c.request.base_url + "/Patient/" + patient.id) + ",\"resource\":" + patient.json +
             "},{\"resource\":" + OperationOutcomeJson({SuppressedIssue()}) + "}]}";
      return Ok();
    }
    auto bundle = FixedContactsBundle(tx, found->resources.front().id, c.request.base_url, Date::Today());
    if (!bundle) return bundle.error();
    body = std::move(*bundle);
    return Ok();
  });
  if (!status) return ErrorResponse(status.error());
  return JsonResponse(200, body);
}

HttpResponse ListStatus(RouteContext& c) {
  Date on = Date::Today();
  for (const auto& [name, value] : c.request.query) {
    if (name != "date") continue;
    auto parsed = Date::Parse(value);
    if (!parsed)
      return ErrorResponse(Error::Invalid("invalid", "date måste vara ett datum YYYY-MM-DD (date must be YYYY-MM-DD)"));
    on = *parsed;
  }
  const bool role = c.match.type->type == "PractitionerRole";
  std::string body;
  auto status = c.api.store().Transact([&](ResourceTransaction& tx) -> Status {
    auto result = role ? RoleListStatus(tx, c.match.id, on) : UnitListStatus(tx, c.match.id, on);
    if (!result) return result.error();
    body = std::move(*result);
    return Ok();
  });
  if (!status) return ErrorResponse(status.error());
  return JsonResponse(200, body);
}

HttpResponse BulkExport(RouteContext& c) {
  return RouteBulkExport(c.request, c.match.segments, c.api.options().exports, c.audit);
}

}  // namespace nara::fhir
