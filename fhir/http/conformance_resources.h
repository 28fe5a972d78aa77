// The route handlers of the conformance resources (docs/api.md section 3, "Conformance resources"):
// GET [type]/[id] and GET [type]?url=&_id= for OperationDefinition, SearchParameter, CodeSystem and
// StructureDefinition, served from fhir/conformance/definitions.h. Every role may read them; they hold no
// patient data, so nothing goes to the PDL log.
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse ConformanceSearch(RouteContext& c);
HttpResponse ConformanceRead(RouteContext& c);

}  // namespace nara::fhir
