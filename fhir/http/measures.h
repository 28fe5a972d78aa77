// The route handlers of the Measures (docs/api.md section 5): GET Measure (a searchset of the five),
// GET Measure/[id] and GET Measure/[id]/$evaluate-measure?periodEnd=YYYY-MM-DD
// [&subject=Organization/X][&reportType=summary]. Served from the definitions, not the resource store.
#pragma once

#include <string>

#include "fhir/http/routes.h"
#include "registry/date.h"
#include "registry/result.h"

namespace nara::fhir {

// The parameters $evaluate-measure and $report share: periodEnd (a date, YYYY-MM-DD) and subject
// (Organization/[id]: a region, kommun or vårdcentral), each a 400 with the same words when malformed.
Result<Date> MeasurePeriodEnd(const std::string& value);
Result<std::string> MeasureSubject(const std::string& value);

HttpResponse MeasureSearch(RouteContext& c);
HttpResponse MeasureRead(RouteContext& c);
HttpResponse MeasureEvaluate(RouteContext& c);

}  // namespace nara::fhir
