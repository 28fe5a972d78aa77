#include "app/tools/report.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "app/log.h"
#include "app/tools/report_html.h"
#include "fhir/operations/measure_resources.h"
#include "pg/pg_measures.h"

namespace nara::app {
namespace {

constexpr const char* kReportUsage =
    "usage: nara report --as-of YYYY-MM-DD [--format csv|json|html] [--out FILE] [--subject ORGANIZATION-ID]";

std::string Number(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return buf;
}

std::string OptionalNumber(const std::optional<double>& value) { return value ? Number(*value) : std::string(); }

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void CsvLine(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + CsvField(fields[i]);
  out += "\n";
}

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

std::string ReportCsv(const std::vector<MeasureResult>& results) {
  std::string out;
  CsvLine(out, {"measure", "stratifier", "stratum", "numerator", "denominator", "score", "goal"});
  for (const auto& result : results) {
    const MeasureDefinition* def = FindMeasure(result.measure_id);
    const std::optional<double> goal = result.goal ? result.goal : (def ? def->goal : std::nullopt);
    const std::string goal_text = OptionalNumber(goal);
    const bool ratio = def && def->kind == MeasureKind::ratio;
    const bool count = def && def->kind == MeasureKind::count;
    CsvLine(out, {result.measure_id, "", "", std::to_string(result.numerator), std::to_string(result.denominator),
                  OptionalNumber(result.score), goal_text});
    std::map<std::string, std::optional<double>> per_fte;
    if (result.list_sizes) {
      for (const auto& unit : result.list_sizes->units) per_fte[unit.unit_id] = unit.listed_per_fte;
    }
    for (const auto& stratum : result.strata) {
      std::optional<double> score;
      if (stratum.score) {
        score = stratum.score;  // a mean (continuity), or a proportion the engine computed
      } else if (count) {
        score = static_cast<double>(stratum.numerator);
      } else if (ratio) {
        if (auto it = per_fte.find(stratum.value); it != per_fte.end()) score = it->second;
      } else if (stratum.denominator > 0) {
        score = static_cast<double>(stratum.numerator) / static_cast<double>(stratum.denominator);
      }
      CsvLine(out, {result.measure_id, stratum.stratifier, stratum.value, std::to_string(stratum.numerator),
                    std::to_string(stratum.denominator), OptionalNumber(score), goal_text});
    }
    if (result.list_sizes) {
      const long doctors = static_cast<long>(result.list_sizes->doctors.size());
      for (const auto& bin : result.list_sizes->bins) {
        CsvLine(out, {result.measure_id, fhir::kStratListSize, bin.label, std::to_string(bin.doctors),
                      std::to_string(doctors), "", ""});
      }
    }
  }
  return out;
}

std::string ReportJson(const std::vector<MeasureResult>& results) {
  std::string out = "[";
  for (size_t i = 0; i < results.size(); ++i) {
    const MeasureDefinition* def = FindMeasure(results[i].measure_id);
    if (!def) continue;
    if (out.size() > 1) out += ",\n";
    out += fhir::MeasureReportJson(results[i], *def);
  }
  return out + "]\n";
}

Result<std::string> RenderReport(MeasureStore& store, const ReportOptions& options) {
  std::vector<MeasureResult> results;
  for (const auto& def : MeasureDefinitions()) {
    auto result = store.Evaluate(def.id, options.as_of, options.subject);
    if (!result) return result.error();
    results.push_back(std::move(*result));
  }
  if (options.format == "html") return RenderHtmlReport(results, options.as_of);
  return options.format == "json" ? ReportJson(results) : ReportCsv(results);
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
