// `nara report --as-of DATE [--format csv|json|html] [--out FILE] [--subject ORG-ID]`: every measure of
// docs/api.md sections 5 and 11 as of a date with its 24-month trend, the same figures as
// Measure/{id}/$evaluate-measure (both come from the MeasureStore) and the same page as GET [base]/$report.
// National unless --subject names a region, kommun or vårdcentral. The formats are
// fhir/operations/report.h's: csv for Swedish Excel (';', decimal comma, BOM, small numbers as "<5"),
// json (MeasureReports), html (one self-contained page, fhir/operations/report_html.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "app/config.h"
#include "registry/measures.h"

namespace nara::app {

struct ReportOptions {
  Date as_of;
  std::string format = "csv";  // csv | json | html
  std::string out;             // "" = stdout
  std::string subject;         // "" = national; else an Organization id
};

// Parses the arguments after `report`; an invalid error with a usage text on bad input.
Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args);

// Evaluates every measure with its trend and renders them in options.format.
Result<std::string> RenderReport(MeasureStore& store, const ReportOptions& options);

// The command: 0 ok, 64 usage, 1 failure (logged).
int Report(const Config& config, const std::vector<std::string>& args, std::ostream& out);

}  // namespace nara::app
