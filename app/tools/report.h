// `nara report --as-of DATE [--format csv|json|html] [--out FILE] [--subject ORG-ID]`: the five indicators
// of docs/api.md section 5 as of a date, the same figures as Measure/{id}/$evaluate-measure (both come from
// the MeasureStore). National unless --subject names a region, kommun or vårdcentral.
//
// csv: a header, then per measure one total line (stratifier and stratum empty) and one line per
// stratum: measure,stratifier,stratum,numerator,denominator,score,goal. listning-per-lakare adds the
// list-size histogram (stratifier list-size: numerator = doctors in the bin, denominator = all doctors)
// and its vårdcentral lines score listed per doctor FTE.
// json: an array of the five MeasureReport resources.
// --format html writes one self-contained page with inline SVG charts (app/tools/report_html.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "app/config.h"
#include "registry/measures.h"

namespace nara::app {

struct ReportOptions {
  Date as_of;
  std::string format = "csv";  // csv | json
  std::string out;             // "" = stdout
  std::string subject;         // "" = national; else an Organization id
};

// Parses the arguments after `report`; an invalid error with a usage text on bad input.
Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args);

// The report text from evaluated results (one per measure, in MeasureDefinitions() order).
std::string ReportCsv(const std::vector<MeasureResult>& results);
std::string ReportJson(const std::vector<MeasureResult>& results);

// Evaluates the five measures and renders them.
Result<std::string> RenderReport(MeasureStore& store, const ReportOptions& options);

// The command: 0 ok, 64 usage, 1 failure (logged).
int Report(const Config& config, const std::vector<std::string>& args, std::ostream& out);

}  // namespace nara::app
