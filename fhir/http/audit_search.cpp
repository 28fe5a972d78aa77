#include "fhir/http/audit_search.h"

#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/bundle.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/resources/audit_event.h"

namespace nara::fhir {

HttpResponse AuditSearch(RouteContext& c) {
  QueryParams params;
  for (const auto& pair : c.request.query) {
    if (pair.first != "_format" && pair.first != "_pretty") params.push_back(pair);
  }
  std::vector<std::string> ignored;
  auto query = ParseAuditSearch(params, c.prefs.strict ? nullptr : &ignored);
  if (!query) return ErrorResponse(query.error());
  if (!query->patient_id.empty()) c.audit.patient_ids.push_back(query->patient_id);
  auto total = c.api.store().CountAudit(*query);
  if (!total) return ErrorResponse(total.error());
  auto found = c.api.store().SearchAudit(*query);
  if (!found) return ErrorResponse(found.error());
  std::vector<StoredResource> events;
  events.reserve(found->size());
  for (const auto& record : *found) {
    StoredResource event;
    event.type = "AuditEvent";
    event.id = std::to_string(record.id);
    event.json = AuditEventJson(record);
    events.push_back(std::move(event));
  }
  const auto links = PageLinks(c.request.base_url + "/AuditEvent", AuditSearchLinkParams(*query), query->offset,
                               query->count, query->offset + static_cast<long>(found->size()) < *total);
  return JsonResponse(200, SearchsetJson(c.request.base_url, events, *total, links, {}));
}

}  // namespace nara::fhir
