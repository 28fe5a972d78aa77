#include "fhir/operations/report.h"

#include <cstdio>
#include <ctime>

#include "fhir/operations/measure_resources.h"

namespace nara::fhir {
namespace {

// Excel with a Swedish locale reads a file as UTF-8 only with a byte order mark.
constexpr const char* kBom = "\xEF\xBB\xBF";

// A field is quoted when it holds the separator, a quote or a line break; quotes doubled.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(";\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void CsvLine(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? ";" : "") + CsvField(fields[i]);
  out += "\r\n";  // what Excel itself writes
}

std::string OptionalDecimal(const std::optional<double>& value) {
  return value ? SwedishDecimal(*value, 6) : std::string();
}

// A count of people as published: "<5" under the limit.
std::string People(long n) { return IsSmall(n) ? kSmallNumberText : std::to_string(n); }

}  // namespace

std::string SwedishDecimal(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string text = buf;
  if (auto dot = text.find('.'); dot != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') {
      text.pop_back();
    } else {
      text[dot] = ',';
    }
  }
  if (text == "-0") text = "0";
  return text;
}

std::string ReportTimestampNow() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &utc);
  return buf;
}

Result<ReportData> CollectReport(MeasureStore& store, Date as_of, const std::string& subject,
                                 const std::string& generated_at) {
  ReportData data;
  data.as_of = as_of;
  data.subject = subject;
  data.generated_at = generated_at;
  const std::vector<Date> dates = TrendDates(as_of);
  for (const auto& def : MeasureDefinitions()) {
    auto result = store.Evaluate(def.id, as_of, subject);
    if (!result) return result.error();
    auto trend = store.Trend(def.id, dates, subject, ContinuityOptions{});
    if (!trend) return trend.error();
    data.results.push_back(std::move(*result));
    data.trends.push_back(std::move(*trend));
  }
  auto labels = store.UnitLabels();
  if (!labels) return labels.error();
  for (const auto& label : *labels) {
    if (!label.name.empty()) data.unit_names[label.id] = label.name;
    if (label.type == "kommun" && !label.kommun.empty() && !label.name.empty()) {
      data.kommun_names[label.kommun] = label.name;
    }
  }
  return data;
}

bool IsSuppressed(const MeasureDefinition& def, long numerator, long denominator) {
  switch (def.kind) {
    case MeasureKind::count:
    case MeasureKind::ratio: return IsSmall(numerator);
    case MeasureKind::mean: return IsSmall(denominator);  // the population; numerator = denominator
    case MeasureKind::proportion: return IsSmall(numerator) || IsSmall(denominator);
  }
  return true;
}

namespace {

// The patients behind the visit share: kontinuitet-coc-lakare's result, or nullptr.
const MeasureResult* PatientsBehindShare(const ReportData& data, size_t* index = nullptr) {
  for (size_t i = 0; i < data.results.size(); ++i) {
    if (data.results[i].measure_id == kMeasureCocLakare) {
      if (index) *index = i;
      return &data.results[i];
    }
  }
  return nullptr;
}

}  // namespace

bool IsHidden(const ReportData& data, const MeasureDefinition& def, const std::string& stratifier,
              const std::string& value, long numerator, long denominator) {
  if (IsSuppressed(def, numerator, denominator)) return true;
  if (def.id != kMeasureFastLakareAndel) return false;
  const MeasureResult* coc = PatientsBehindShare(data);
  if (!coc) return false;
  if (stratifier.empty()) return IsSmall(coc->denominator);
  for (const auto& s : coc->strata) {
    if (s.stratifier == stratifier && s.value == value) return IsSmall(s.denominator);
  }
  return true;  // no patient in the stratum with a defined index
}

bool IsTrendPointHidden(const ReportData& data, const MeasureDefinition& def, size_t index) {
  size_t m = 0;
  while (m < data.results.size() && data.results[m].measure_id != def.id) ++m;
  if (m >= data.trends.size() || index >= data.trends[m].size()) return true;
  const TrendPoint& p = data.trends[m][index];
  if (IsSuppressed(def, p.numerator, p.denominator)) return true;
  if (def.id != kMeasureFastLakareAndel) return false;
  size_t c = 0;
  if (!PatientsBehindShare(data, &c) || c >= data.trends.size() || index >= data.trends[c].size()) return false;
  return IsSmall(data.trends[c][index].denominator);
}

std::string StratifierName(const std::string& stratifier) {
  if (stratifier == kStratRegion) return "Region";
  if (stratifier == kStratKommun) return "Kommun";
  if (stratifier == kStratVardcentral) return "Vårdcentral";
  if (stratifier == kStratAgeBand) return "Åldersgrupp";
  if (stratifier == kStratSex) return "Kön";
  if (stratifier == kStratUnit) return "Enhet";
  if (stratifier == kStratSaebo) return "SÄBO-boende";
  if (stratifier == kStratListSize) return "Listfyllnad";
  return stratifier;
}

std::string StratumName(const ReportData& data, const std::string& stratifier, const std::string& value) {
  if (stratifier == kStratAgeBand) {
    if (value == kStratumUnknown) return "Okänd ålder";
    std::string band = value;
    if (auto dash = band.find('-'); dash != std::string::npos) band.replace(dash, 1, "–");
    return band + " år";
  }
  if (stratifier == kStratSex) {
    if (value == "male") return "Män";
    if (value == "female") return "Kvinnor";
    if (value == "other") return "Annat";
    return "Okänt kön";
  }
  if (stratifier == kStratSaebo) return value == "ja" ? "Bor på SÄBO" : "Bor inte på SÄBO";
  if (stratifier == kStratKommun) {
    if (value == kStratumNone) return "Okänd kommun";
    auto it = data.kommun_names.find(value);
    return it != data.kommun_names.end() ? it->second : value;
  }
  if (value == kStratumNone) {
    if (stratifier == kStratRegion) return "Ingen region";
    if (stratifier == kStratVardcentral) return "Inte listad";
    return "Ingen";
  }
  auto it = data.unit_names.find(value);
  return it != data.unit_names.end() ? it->second : value;
}

std::string SubjectName(const ReportData& data) {
  if (data.subject.empty()) return "Hela landet";
  auto it = data.unit_names.find(data.subject);
  return it != data.unit_names.end() ? it->second : data.subject;
}

std::string ReportCsv(const ReportData& data) {
  std::string out = kBom;
  CsvLine(out, {"Datum", "Mått-id", "Mått", "Indelning", "Id", "Namn", "Täljare", "Nämnare", "Värde", "Mål"});
  const std::string as_of = data.as_of.ToString();
  for (size_t m = 0; m < data.results.size(); ++m) {
    const MeasureResult& result = data.results[m];
    const MeasureDefinition* def = FindMeasure(result.measure_id);
    if (!def) continue;
    const std::optional<double> goal = result.goal ? result.goal : def->goal;
    const std::string goal_text = OptionalDecimal(goal);
    const bool count = def->kind == MeasureKind::count;
    // A line: the counts as published and the value unless suppressed.
    const auto line = [&](const std::string& date, const std::string& stratifier, const std::string& id,
                          const std::string& name, long numerator, long denominator, std::optional<double> value,
                          bool hidden) {
      const bool people_denominator = def->kind == MeasureKind::proportion || def->kind == MeasureKind::mean;
      // Visit counts hidden for fewer than 5 patients would still give the share away: left empty.
      const bool blank = hidden && !IsSuppressed(*def, numerator, denominator);
      CsvLine(out, {date, def->id, def->title, stratifier.empty() ? "" : StratifierName(stratifier), id, name,
                    blank ? "" : People(numerator),
                    blank || count ? "" : people_denominator ? People(denominator) : std::to_string(denominator),
                    hidden ? "" : OptionalDecimal(value), goal_text});
    };
    if (m < data.trends.size()) {
      for (size_t i = 0; i < data.trends[m].size(); ++i) {
        const TrendPoint& p = data.trends[m][i];
        if (p.date == data.as_of) continue;  // the report date's total follows
        line(p.date.ToString(), "", "", SubjectName(data), p.numerator, p.denominator, p.score,
             IsTrendPointHidden(data, *def, i));
      }
    }
    line(as_of, "", data.subject, SubjectName(data), result.numerator, result.denominator, result.score,
         IsHidden(data, *def, "", "", result.numerator, result.denominator));
    std::map<std::string, std::optional<double>> per_fte;
    if (result.list_sizes) {
      for (const auto& unit : result.list_sizes->units) per_fte[unit.unit_id] = unit.listed_per_fte;
    }
    for (const auto& s : result.strata) {
      std::optional<double> value = s.score;
      if (!value && count) value = static_cast<double>(s.numerator);
      if (!value && def->kind == MeasureKind::ratio) {
        if (auto it = per_fte.find(s.value); it != per_fte.end()) value = it->second;
      }
      if (!value && def->kind == MeasureKind::proportion && s.denominator > 0) {
        value = static_cast<double>(s.numerator) / static_cast<double>(s.denominator);
      }
      line(as_of, s.stratifier, s.value, StratumName(data, s.stratifier, s.value), s.numerator, s.denominator, value,
           IsHidden(data, *def, s.stratifier, s.value, s.numerator, s.denominator));
    }
    if (result.list_sizes) {
      // Doctors per bin: counts of doctors, not of patients, so never suppressed.
      const long doctors = static_cast<long>(result.list_sizes->doctors.size());
      for (const auto& bin : result.list_sizes->bins) {
        CsvLine(out, {as_of, def->id, def->title, StratifierName(kStratListSize), bin.label, bin.label,
                      std::to_string(bin.doctors), std::to_string(doctors), "", ""});
      }
    }
  }
  return out;
}

std::string ReportJson(const ReportData& data) {
  std::string out = "[";
  for (const auto& result : data.results) {
    const MeasureDefinition* def = FindMeasure(result.measure_id);
    if (!def) continue;
    if (out.size() > 1) out += ",\n";
    out += MeasureReportJson(result, *def);
  }
  return out + "]\n";
}

}  // namespace nara::fhir
