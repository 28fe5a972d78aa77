// The route handler of GET AuditEvent?patient=&agent=&date=: the PDL log as a searchset, for admin
// only (docs/api.md section 6). Reading the log is itself logged: who looked at whose accesses.
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse AuditSearch(RouteContext& c);

}  // namespace nara::fhir
