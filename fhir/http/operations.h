// The route handlers of the registry's operations (docs/api.md section 5): Patient/$fixed-contacts,
// [PractitionerRole|Organization]/[id]/$list-status, and the bulk export paths, which
// fhir/operations/bulk_export.cpp answers whole (access, audit and 405 included).
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse FixedContacts(RouteContext& c);  // GET Patient/$fixed-contacts?identifier=SYSTEM|VALUE
HttpResponse ListStatus(RouteContext& c);     // GET [type]/[id]/$list-status[?date=YYYY-MM-DD]
HttpResponse BulkExport(RouteContext& c);     // $export, Patient/$export, Group…, $export-status, $export-file

}  // namespace nara::fhir
