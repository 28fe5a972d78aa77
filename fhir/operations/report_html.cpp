#include "app/tools/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

namespace nara::app {
namespace {

// text

// A number with `decimals` decimals and a Swedish decimal comma; a trailing ",0…" is dropped.
std::string Decimal(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string text = buf;
  if (auto dot = text.find('.'); dot != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    else text[dot] = ',';
  }
  return text;
}

// 0.545 → "54,5 %".
std::string Percent(double fraction) { return Decimal(fraction * 100.0, 1) + " %"; }

// An SVG coordinate (always a decimal point).
std::string Coord(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.1f", value);
  return buf;
}

const MeasureResult* FindResult(const std::vector<MeasureResult>& results, const std::string& id) {
  for (const auto& result : results) {
    if (result.measure_id == id) return &result;
  }
  return nullptr;
}

std::optional<double> GoalOf(const MeasureResult& result) {
  if (result.goal) return result.goal;
  const MeasureDefinition* def = FindMeasure(result.measure_id);
  return def ? def->goal : std::nullopt;
}

std::string TitleOf(const std::string& measure_id) {
  const MeasureDefinition* def = FindMeasure(measure_id);
  return def ? def->title : measure_id;
}

// tables (the data under every chart)

std::string Table(const std::string& caption, const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table><caption>" + HtmlEscape(caption) + "</caption><thead><tr>";
  for (const auto& h : headers) out += "<th scope=\"col\">" + HtmlEscape(h) + "</th>";
  out += "</tr></thead><tbody>";
  if (rows.empty()) {
    out += "<tr><td colspan=\"" + std::to_string(headers.size()) + "\">Inga data / no data</td></tr>";
  }
  for (const auto& row : rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      out += (i == 0 ? "<th scope=\"row\">" : "<td>") + HtmlEscape(row[i]) + (i == 0 ? "</th>" : "</td>");
    }
    out += "</tr>";
  }
  return out + "</tbody></table>\n";
}

// charts

struct Bar {
  std::string label;
  double value = 0;
  std::string value_text;
};

std::string SvgOpen(const std::string& id, double width, double height, const std::string& label) {
  return "<svg id=\"" + HtmlEscape(id) + "\" class=\"chart\" role=\"img\" aria-label=\"" + HtmlEscape(label) +
         "\" width=\"" + Coord(width) + "\" height=\"" + Coord(height) + "\" viewBox=\"0 0 " + Coord(width) + " " +
         Coord(height) + "\">";
}

std::string NoData(const std::string& id, const std::string& label) {
  return SvgOpen(id, 760, 40, label) +
         "<text x=\"10\" y=\"25\" class=\"muted\">Inga data för datumet / no data for the date</text></svg>\n";
}

// Horizontal bars on a 0..scale axis, in the given order, with an optional dashed goal line.
std::string HorizontalBars(const std::string& id, const std::string& label, const std::vector<Bar>& bars,
                           double scale, std::optional<double> goal, const std::string& goal_text) {
  if (bars.empty()) return NoData(id, label);
  const double width = 760, label_width = 230, plot_x = 240, plot_width = 420, row = 24, top = 30;
  const double height = top + row * static_cast<double>(bars.size()) + 10;
  std::string out = SvgOpen(id, width, height, label);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double y = top + row * static_cast<double>(i);
    const double w = scale > 0 ? std::clamp(bar.value / scale, 0.0, 1.0) * plot_width : 0;
    std::string name = bar.label;
    if (name.size() > 34) name = name.substr(0, 32) + "…";
    out += "<text x=\"" + Coord(label_width) + "\" y=\"" + Coord(y + 16) + "\" text-anchor=\"end\">" +
           HtmlEscape(name) + "</text>";
    out += "<rect class=\"track\" x=\"" + Coord(plot_x) + "\" y=\"" + Coord(y + 4) + "\" width=\"" +
           Coord(plot_width) + "\" height=\"16\"/>";
    out += "<rect class=\"bar\" x=\"" + Coord(plot_x) + "\" y=\"" + Coord(y + 4) + "\" width=\"" + Coord(w) +
           "\" height=\"16\"><title>" + HtmlEscape(bar.label + ": " + bar.value_text) + "</title></rect>";
    out += "<text x=\"" + Coord(plot_x + plot_width + 8) + "\" y=\"" + Coord(y + 16) + "\">" +
           HtmlEscape(bar.value_text) + "</text>";
  }
  if (goal && scale > 0) {
    const double x = plot_x + std::clamp(*goal / scale, 0.0, 1.0) * plot_width;
    out += "<line class=\"goal\" x1=\"" + Coord(x) + "\" y1=\"" + Coord(top - 6) + "\" x2=\"" + Coord(x) +
           "\" y2=\"" + Coord(height - 6) + "\"/>";
    out += "<text class=\"goal-label\" x=\"" + Coord(x) + "\" y=\"" + Coord(top - 10) + "\" text-anchor=\"middle\">" +
           HtmlEscape(goal_text) + "</text>";
  }
  return out + "</svg>\n";
}

// Columns on a 0..max axis, evenly spaced, labels below and values above.
std::string Columns(const std::string& id, const std::string& label, const std::vector<Bar>& columns,
                    const std::string& axis_label) {
  if (columns.empty()) return NoData(id, label);
  const double width = 760, height = 310, left = 70, right = 740, top = 50, bottom = 250;
  double max = 0;
  for (const auto& c : columns) max = std::max(max, c.value);
  if (max <= 0) max = 1;
  std::string out = SvgOpen(id, width, height, label);
  out += "<line class=\"axis\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(bottom) + "\" x2=\"" + Coord(right) +
         "\" y2=\"" + Coord(bottom) + "\"/>";
  out += "<line class=\"axis\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(top) + "\" x2=\"" + Coord(left) +
         "\" y2=\"" + Coord(bottom) + "\"/>";
  out += "<text x=\"" + Coord(left - 8) + "\" y=\"" + Coord(top + 4) + "\" text-anchor=\"end\">" +
         HtmlEscape(Decimal(max, 1)) + "</text>";
  out += "<text x=\"" + Coord(left - 8) + "\" y=\"" + Coord(bottom) + "\" text-anchor=\"end\">0</text>";
  out += "<text class=\"muted\" x=\"" + Coord(left) + "\" y=\"" + Coord(top - 32) + "\">" + HtmlEscape(axis_label) +
         "</text>";
  const double slot = (right - left) / static_cast<double>(columns.size());
  const double col_width = std::min(80.0, slot * 0.6);
  for (size_t i = 0; i < columns.size(); ++i) {
    const Bar& c = columns[i];
    const double h = std::max(0.0, c.value / max) * (bottom - top);
    const double cx = left + slot * (static_cast<double>(i) + 0.5);
    out += "<rect class=\"bar\" x=\"" + Coord(cx - col_width / 2) + "\" y=\"" + Coord(bottom - h) + "\" width=\"" +
           Coord(col_width) + "\" height=\"" + Coord(h) + "\"><title>" + HtmlEscape(c.label + ": " + c.value_text) +
           "</title></rect>";
    out += "<text x=\"" + Coord(cx) + "\" y=\"" + Coord(bottom - h - 6) + "\" text-anchor=\"middle\">" +
           HtmlEscape(c.value_text) + "</text>";
    out += "<text x=\"" + Coord(cx) + "\" y=\"" + Coord(bottom + 20) + "\" text-anchor=\"middle\">" +
           HtmlEscape(c.label) + "</text>";
  }
  return out + "</svg>\n";
}

// sections

std::string KpiCard(const std::vector<MeasureResult>& results, const std::string& measure_id,
                    const std::string& english) {
  const MeasureResult* result = FindResult(results, measure_id);
  const std::string id = "chart-kpi-" + measure_id;
  std::string out = "<div class=\"kpi\"><h3>" + HtmlEscape(TitleOf(measure_id)) + "<span class=\"en\">" +
                    HtmlEscape(english) + "</span></h3>";
  if (!result) return out + NoData(id, english) + "</div>\n";
  const std::optional<double> goal = GoalOf(*result);
  out += "<p class=\"big\">" + (result->score ? HtmlEscape(Percent(*result->score)) : std::string("–")) + "</p>";
  out += "<p class=\"goal-text\">" +
         (goal ? HtmlEscape("Mål / goal: " + Percent(*goal)) : std::string("Inget nationellt mål / no national goal")) +
         "</p>";
  out += "<p class=\"muted\">" + HtmlEscape(std::to_string(result->numerator) + " av / of " +
                                            std::to_string(result->denominator)) + "</p>";
  const double width = 300, plot = 280, x0 = 10;
  const double w = result->score ? std::clamp(*result->score, 0.0, 1.0) * plot : 0;
  out += SvgOpen(id, width, 44, english);
  out += "<rect class=\"track\" x=\"" + Coord(x0) + "\" y=\"14\" width=\"" + Coord(plot) + "\" height=\"18\"/>";
  out += "<rect class=\"bar\" x=\"" + Coord(x0) + "\" y=\"14\" width=\"" + Coord(w) + "\" height=\"18\"><title>" +
         HtmlEscape(result->score ? Percent(*result->score) : "–") + "</title></rect>";
  if (goal) {
    const double x = x0 + std::clamp(*goal, 0.0, 1.0) * plot;
    out += "<line class=\"goal\" x1=\"" + Coord(x) + "\" y1=\"6\" x2=\"" + Coord(x) + "\" y2=\"40\"/>";
  }
  return out + "</svg></div>\n";
}

std::string CoverageSection(const MeasureResult* result, const std::string& stratifier, const std::string& id,
                            const std::string& heading, const std::string& english, const std::string& none_label) {
  std::string out = "<h3>" + HtmlEscape(heading) + "<span class=\"en\">" + HtmlEscape(english) + "</span></h3>\n";
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;
  std::optional<double> goal;
  if (result) {
    goal = GoalOf(*result);
    std::vector<const StratumResult*> strata;
    for (const auto& s : result->strata) {
      if (s.stratifier == stratifier && s.denominator > 0) strata.push_back(&s);
    }
    auto score = [](const StratumResult* s) {
      return static_cast<double>(s->numerator) / static_cast<double>(s->denominator);
    };
    std::stable_sort(strata.begin(), strata.end(), [&](const StratumResult* a, const StratumResult* b) {
      if (score(a) != score(b)) return score(a) > score(b);
      return a->value < b->value;
    });
    for (const StratumResult* s : strata) {
      const std::string name = s->value == kStratumNone ? none_label : s->value;
      bars.push_back({name, score(s), Percent(score(s))});
      rows.push_back({name, std::to_string(s->numerator), std::to_string(s->denominator), Percent(score(s))});
    }
  }
  out += HorizontalBars(id, english, bars, 1.0, goal, goal ? "Mål " + Percent(*goal) : "");
  out += Table(heading + " / " + english, {"Enhet / unit", "Täljare / numerator", "Nämnare / denominator", "Andel / share"},
               rows);
  return out;
}

std::string BinLabel(const std::string& bin) {
  if (bin == "over") return "över / over 100 %";
  if (bin == "100%") return "100 % (fullt / full)";
  std::string out = bin;
  if (auto dash = out.find('-'); dash != std::string::npos) out.replace(dash, 1, "–");
  if (!out.empty() && out.back() == '%') out.insert(out.size() - 1, " ");
  return out;
}

std::string ListSizeSection(const MeasureResult* result) {
  std::string out;
  out += "<h3>Läkarnas listor mot kapacitet<span class=\"en\">Doctors' list sizes against capacity</span></h3>\n";
  std::vector<Bar> columns;
  std::vector<std::vector<std::string>> rows;
  const ListSizeDistribution* dist = result && result->list_sizes ? &*result->list_sizes : nullptr;
  if (dist) {
    for (const auto& bin : dist->bins) {
      columns.push_back({BinLabel(bin.label), static_cast<double>(bin.doctors), std::to_string(bin.doctors)});
      rows.push_back({BinLabel(bin.label), std::to_string(bin.doctors)});
    }
  }
  out += Columns("chart-list-size", "Doctors by list size relative to capacity", columns,
                 "Antal läkare / number of doctors");
  out += Table("Läkare per listfyllnad / doctors by list fill", {"Listad / kapacitet (listed / capacity)",
                                                                 "Läkare / doctors"},
               rows);

  const double target = dist ? dist->target : kListedPerDoctorTarget;
  const std::string target_text = Decimal(target, 0);
  out += "<h3>Listade per läkartjänst (heltid) per vårdcentral<span class=\"en\">Listed per doctor FTE per "
         "vårdcentral, target " +
         HtmlEscape(target_text) + "</span></h3>\n";
  std::vector<Bar> bars;
  rows.clear();
  double max = target;
  if (dist) {
    std::vector<const UnitListedPerFte*> units;
    for (const auto& u : dist->units) units.push_back(&u);
    std::stable_sort(units.begin(), units.end(), [](const UnitListedPerFte* a, const UnitListedPerFte* b) {
      const double va = a->listed_per_fte.value_or(-1), vb = b->listed_per_fte.value_or(-1);
      if (va != vb) return va > vb;
      return a->unit_id < b->unit_id;
    });
    for (const UnitListedPerFte* u : units) {
      const std::string per_fte = u->listed_per_fte ? Decimal(*u->listed_per_fte, 1) : "– (inga läkare / no doctors)";
      if (u->listed_per_fte) {
        bars.push_back({u->unit_id, *u->listed_per_fte, per_fte});
        max = std::max(max, *u->listed_per_fte);
      }
      rows.push_back({u->unit_id, std::to_string(u->listed), std::to_string(u->doctors), Decimal(u->doctor_fte, 2),
                      per_fte});
    }
  }
  out += HorizontalBars("chart-per-fte", "Listed per doctor FTE per vårdcentral", bars, max * 1.1, target,
                        "Mål " + target_text);
  out += Table("Listade per läkartjänst / listed per doctor FTE",
               {"Vårdcentral", "Listade / listed", "Läkare / doctors", "Heltider / FTE", "Listade per heltid / per FTE"},
               rows);
  return out;
}

std::string AgeBandSection(const MeasureResult* result) {
  std::string out = "<h3>Patientkontrakt per åldersgrupp<span class=\"en\">Current patient contracts by age band"
                    "</span></h3>\n";
  std::map<std::string, long> counts;
  if (result) {
    for (const auto& s : result->strata) {
      if (s.stratifier == kStratAgeBand) counts[s.value] += s.numerator;
    }
  }
  std::vector<std::string> bands = AgeBands();
  if (counts.count(kStratumUnknown)) bands.push_back(kStratumUnknown);
  std::vector<Bar> columns;
  std::vector<std::vector<std::string>> rows;
  if (result) {
    for (const auto& band : bands) {
      const long n = counts.count(band) ? counts[band] : 0;
      const std::string label = band == kStratumUnknown ? "okänd / unknown" : band + " år";
      columns.push_back({label, static_cast<double>(n), std::to_string(n)});
      rows.push_back({label, std::to_string(n)});
    }
  }
  out += Columns("chart-age-band", "Current patient contracts by age band", columns,
                 "Antal kontrakt / number of contracts");
  out += Table("Patientkontrakt per åldersgrupp / contracts by age band", {"Åldersgrupp / age band", "Antal / count"},
               rows);
  if (result) {
    out += "<p class=\"muted\">Totalt / total: " + HtmlEscape(std::to_string(result->numerator)) + "</p>\n";
  }
  return out;
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1120px;color:#1d2733;background:#fff}
h1{margin:0 0 4px;font-size:28px}h2{margin:32px 0 8px;border-bottom:2px solid #d6dde6;padding-bottom:4px}
h3{margin:20px 0 6px}.en{display:block;font-weight:normal;font-size:0.8em;color:#5b6775}
.muted{color:#5b6775;fill:#5b6775}.kpis{display:flex;gap:16px;flex-wrap:wrap}
.kpi{flex:1 1 300px;border:1px solid #d6dde6;border-radius:8px;padding:12px 16px;background:#f7f9fb}
.kpi h3{margin:0 0 8px;font-size:16px}.big{font-size:44px;font-weight:bold;margin:4px 0;color:#0b5394}
.goal-text{margin:0;font-weight:bold}
svg.chart{display:block;margin:8px 0;font-size:13px}svg.chart text{fill:#1d2733}
rect.bar{fill:#2f7fc1}rect.track{fill:#e3e9f0}line.goal{stroke:#c62828;stroke-width:2;stroke-dasharray:5 3}
svg.chart text.goal-label{fill:#c62828;font-weight:bold}line.axis{stroke:#5b6775}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid #d6dde6;padding:3px 8px;text-align:left}td{text-align:right}thead th{background:#eef2f6}
footer{margin-top:32px;font-size:12px;color:#5b6775}
)";

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderHtmlReport(const std::vector<MeasureResult>& results, Date as_of) {
  const std::string date = as_of.ToString();
  const std::string subject = results.empty() ? std::string() : results.front().subject;
  std::string out = "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + HtmlEscape("Nära Registry – fasta kontakter " + date) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<header>\n";
  out += "<h1>Fasta kontakter i primärvården<span class=\"en\">Fixed contacts in primary care – Nära Registry "
         "report</span></h1>\n";
  out += "<p>Per datum / as of <strong>" + HtmlEscape(date) + "</strong> · " +
         (subject.empty() ? std::string("Hela landet / whole country")
                          : "Enhet / unit: <strong>" + HtmlEscape(subject) + "</strong>") +
         "</p>\n</header>\n";

  out += "<section id=\"kpi\">\n<h2>Nationella nyckeltal<span class=\"en\">Key figures against the goals</span>"
         "</h2>\n<div class=\"kpis\">\n";
  out += KpiCard(results, kMeasureFastLakarkontakt, "Residents with a fast läkarkontakt");
  out += KpiCard(results, kMeasureSaeboFastLakarkontakt, "SÄBO residents with a fast läkarkontakt");
  out += KpiCard(results, kMeasureFastVardkontakt, "Residents with a fast vårdkontakt");
  out += "</div>\n";
  std::vector<std::vector<std::string>> kpi_rows;
  for (const char* id : {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt}) {
    const MeasureResult* r = FindResult(results, id);
    if (!r) continue;
    const std::optional<double> goal = GoalOf(*r);
    kpi_rows.push_back({TitleOf(id), std::to_string(r->numerator), std::to_string(r->denominator),
                        r->score ? Percent(*r->score) : "–", goal ? Percent(*goal) : "–"});
  }
  out += Table("Nyckeltal / key figures", {"Mått / measure", "Täljare / numerator", "Nämnare / denominator",
                                           "Andel / share", "Mål / goal"},
               kpi_rows);
  out += "</section>\n";

  const MeasureResult* flk = FindResult(results, kMeasureFastLakarkontakt);
  out += "<section id=\"coverage\">\n<h2>Fast läkarkontakt per region och kommun<span class=\"en\">Fast "
         "läkarkontakt coverage by region and municipality, sorted by coverage</span></h2>\n";
  out += CoverageSection(flk, kStratRegion, "chart-region", "Per region", "By region", "ingen region / none");
  out += CoverageSection(flk, kStratKommun, "chart-kommun", "Per kommun", "By municipality (kommunkod)",
                         "okänd kommun / none");
  out += "</section>\n";

  out += "<section id=\"list-size\">\n<h2>Listning per läkare<span class=\"en\">Listings per doctor</span></h2>\n";
  out += ListSizeSection(FindResult(results, kMeasureListningPerLakare));
  out += "</section>\n";

  out += "<section id=\"contracts\">\n<h2>Patientkontrakt<span class=\"en\">Patient contracts</span></h2>\n";
  out += AgeBandSection(FindResult(results, kMeasurePatientkontrakt));
  out += "</section>\n";

  out += "<footer>Skapad av / generated by <code>nara report --format html</code> · Definitioner enligt "
         "docs/api.md avsnitt 5 / definitions as in docs/api.md section 5</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace nara::app
