#include "app/tools/report.h"

#include <cstdio>
#include <fstream>

#include "app/log.h"
#include "fhir/operations/report.h"
#include "fhir/operations/report_html.h"
#include "pg/pg_measures.h"

namespace nara::app {
namespace {

constexpr const char* kReportUsage =
    "usage: nara report --as-of YYYY-MM-DD [--format csv|json|html] [--out FILE] [--subject ORGANIZATION-ID]";

}  // namespace

Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args) {
  ReportOptions options;
  bool have_date = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& name = args[i];
    if (i + 1 >= args.size()) return Error::Invalid("invalid", std::string("missing value for ") + name + "\n" + kReportUsage);
    const std::string& value = args[++i];
    if (name == "--as-of") {
      auto date = Date::Parse(value);
      if (!date) return Error::Invalid("invalid", "--as-of must be a date YYYY-MM-DD\n" + std::string(kReportUsage));
      options.as_of = *date;
      have_date = true;
    } else if (name == "--format") {
      if (value != "csv" && value != "json" && value != "html") {
        return Error::Invalid("invalid", "--format is csv, json or html\n" + std::string(kReportUsage));
      }
      options.format = value;
    } else if (name == "--out") {
      options.out = value;
    } else if (name == "--subject") {
      options.subject = value.rfind("Organization/", 0) == 0 ? value.substr(13) : value;
    } else {
      return Error::Invalid("invalid", "unknown option " + name + "\n" + kReportUsage);
    }
  }
  if (!have_date) return Error::Invalid("invalid", "--as-of is required\n" + std::string(kReportUsage));
  return options;
}

Result<std::string> RenderReport(MeasureStore& store, const ReportOptions& options) {
  auto data = fhir::CollectReport(store, options.as_of, options.subject, fhir::ReportTimestampNow());
  if (!data) return data.error();
  if (options.format == "html") return fhir::RenderHtmlReport(*data);
  return options.format == "json" ? fhir::ReportJson(*data) : fhir::ReportCsv(*data);
}

int Report(const Config& config, const std::vector<std::string>& args, std::ostream& out) {
  auto options = ParseReportArgs(args);
  if (!options) {
    std::fprintf(stderr, "%s\n", options.error().text.c_str());
    return 64;
  }
  pg::PgMeasures measures(config.database_url, 1, config.database_role);
  auto text = RenderReport(measures, *options);
  if (!text) {
    Log("error", "report.failed", {{"detail", text.error().text}});
    return 1;
  }
  if (options->out.empty()) {
    out << *text;
    out.flush();
    return out ? 0 : 1;
  }
  std::ofstream file(options->out, std::ios::binary | std::ios::trunc);
  file << *text;
  file.close();
  if (!file) {
    Log("error", "report.write_failed", {{"file", options->out}});
    return 1;
  }
  Log("info", "report.written", {{"file", options->out}, {"format", options->format},
                                 {"as_of", options->as_of.ToString()}});
  return 0;
}

}  // namespace nara::app
