#include "fhir/http/report.h"

#include "fhir/http/measures.h"

#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/operations/report.h"
#include "fhir/operations/report_html.h"
#include "fhir/resources/resource_mapper.h"

namespace nara::fhir {

HttpResponse ReportPage(RouteContext& c) {
  MeasureStore* measures = c.api.options().measures;
  if (!measures) {
    Issue issue;
    issue.code = "not-supported";
    issue.text = "$report är inte konfigurerad på den här servern (no measure engine configured)";
    return ErrorResponse(501, issue);
  }
  std::optional<Date> period_end;
  std::string subject;
  bool csv = false;
  for (const auto& [name, value] : c.request.query) {
    if (name == "periodEnd") {
      auto parsed = MeasurePeriodEnd(value);
      if (!parsed) return ErrorResponse(parsed.error());
      period_end = *parsed;
    } else if (name == "subject") {
      auto parsed = MeasureSubject(value);
      if (!parsed) return ErrorResponse(parsed.error());
      subject = *parsed;
    } else if (name == "_format") {
      csv = value == "csv" || value == "text/csv";  // CheckResponseFormat let only html and csv through
    } else {
      return ErrorResponse(Error::Invalid("invalid", "okänd parameter " + SafeExcerpt(name, 40) +
                                                         " för $report (unknown parameter; periodEnd, subject, "
                                                         "_format)"));
    }
  }
  if (!period_end) {
    return ErrorResponse(Error::Invalid("invalid", "$report behöver periodEnd=YYYY-MM-DD (periodEnd is required)"));
  }
  auto data = CollectReport(*measures, *period_end, subject, ReportTimestampNow());
  if (!data) return ErrorResponse(data.error());
  HttpResponse response;
  response.status = 200;
  if (csv) {
    response.body = ReportCsv(*data);
    response.SetHeader("Content-Type", "text/csv; charset=utf-8");
    response.SetHeader("Content-Disposition",
                       "attachment; filename=\"nara-rapport-" + period_end->ToString() + ".csv\"");
  } else {
    response.body = RenderHtmlReport(*data);
    response.SetHeader("Content-Type", "text/html; charset=utf-8");
  }
  return response;
}

}  // namespace nara::fhir
