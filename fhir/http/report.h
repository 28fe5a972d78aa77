// GET [base]/$report?periodEnd=YYYY-MM-DD[&subject=Organization/X][&_format=html|csv]: the report people
// read (docs/api.md sections 7 and 11), the page `nara report --format html` writes (or its CSV), for
// statistics and admin (as $evaluate-measure; 403 for others). text/html; charset=utf-8 (or text/csv).
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse ReportPage(RouteContext& c);

}  // namespace nara::fhir
