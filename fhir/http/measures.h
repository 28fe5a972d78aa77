// The route handlers of the Measures (docs/api.md section 5): GET Measure (a searchset of the five),
// GET Measure/[id] and GET Measure/[id]/$evaluate-measure?periodEnd=YYYY-MM-DD
// [&subject=Organization/X][&reportType=summary]. Served from the definitions, not the resource store.
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse MeasureSearch(RouteContext& c);
HttpResponse MeasureRead(RouteContext& c);
HttpResponse MeasureEvaluate(RouteContext& c);

}  // namespace nara::fhir
