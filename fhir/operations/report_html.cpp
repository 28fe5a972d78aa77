#include "fhir/operations/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

namespace nara::fhir {
namespace {

// text

std::string Decimal(double value, int decimals) { return SwedishDecimal(value, decimals); }

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

std::string BinLabel(const std::string& bin) {
  if (bin == "over") return "över 100 %";
  if (bin == "100%") return "100 % (fullt)";
  std::string out = bin;
  if (auto dash = out.find('-'); dash != std::string::npos) out.replace(dash, 1, "–");
  if (!out.empty() && out.back() == '%') out.insert(out.size() - 1, " ");
  return out;
}

// sections

const MeasureDefinition& Def(const MeasureResult& result) { return *FindMeasure(result.measure_id); }

// A measure's value as shown: a percentage for proportions, a decimal index for means (COC, UPC),
// listed per FTE for the ratio, a count for counts.
std::string ValueText(const MeasureDefinition& def, double value) {
  switch (def.kind) {
    case MeasureKind::proportion: return Percent(value);
    case MeasureKind::mean: return Decimal(value, 3);
    case MeasureKind::ratio: return Decimal(value, 1);
    case MeasureKind::count: return Decimal(value, 0);
  }
  return Decimal(value, 3);
}

// The shown value of a figure, or "–" when suppressed or undefined.
std::string ShownValue(const MeasureDefinition& def, bool hidden, const std::optional<double>& score) {
  if (hidden || !score) return "–";
  return ValueText(def, *score);
}

std::string People(long n) { return IsSmall(n) ? kSmallNumberText : std::to_string(n); }

// Short Swedish month labels for the trend axis ("jan 25").
std::string MonthLabel(Date d) {
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"};
  const std::string text = d.ToString();
  return std::string(kMonths[std::stoi(text.substr(5, 2)) - 1]) + " " + text.substr(2, 2);
}

// The goal a trend is drawn against: the measure's goal, or for the continuity measures +20 % on the
// trend's first published point (God och nära vård sets a rise, not a level).
struct TrendGoal {
  std::optional<double> value;
  std::string text;
};

TrendGoal GoalOfTrend(const MeasureDefinition& def, const MeasureResult& result, const std::vector<TrendPoint>& trend,
                      const std::vector<bool>& hidden) {
  TrendGoal goal;
  const std::optional<double> level = result.goal ? result.goal : def.goal;
  if (level) {
    goal.value = level;
    goal.text = "Mål " + ValueText(def, *level);
  } else if (def.relative_goal) {
    for (size_t i = 0; i < trend.size(); ++i) {
      const TrendPoint& p = trend[i];
      if (p.score && !hidden[i]) {
        goal.value = *p.score * (1 + *def.relative_goal);
        goal.text = "Mål +" + Decimal(*def.relative_goal * 100, 0) + " % mot " + MonthLabel(p.date);
        break;
      }
    }
  }
  return goal;
}

// 1, 2, 2.5 or 5 times a power of ten, at least `value` (an axis maximum people read easily).
double RoundUp(double value) {
  if (value <= 0) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// A line chart of the trend with its goal line; suppressed points leave a gap.
std::string TrendChart(const std::string& id, const MeasureDefinition& def, const std::vector<TrendPoint>& trend,
                       const std::vector<bool>& hidden, const TrendGoal& goal) {
  const std::string label = "Utveckling: " + def.title;
  if (trend.empty()) return NoData(id, label);
  const double width = 760, height = 240, left = 70, right = 730, top = 24, bottom = 190;
  // Shares and indices on 0..1 (or up to a goal above 1: +20 % on a high index may lie beyond reach);
  // counts and ratios up to a round number above the highest value or goal.
  const bool unit_scale = def.kind == MeasureKind::proportion || def.kind == MeasureKind::mean;
  double max = unit_scale ? 1.0 : 0;
  if (goal.value) max = std::max(max, *goal.value);
  if (!unit_scale) {
    for (const auto& p : trend) {
      if (p.score) max = std::max(max, *p.score);
    }
    max = RoundUp(max * 1.05);
  }
  const auto x_of = [&](size_t i) {
    return trend.size() == 1 ? (left + right) / 2
                             : left + (right - left) * static_cast<double>(i) / static_cast<double>(trend.size() - 1);
  };
  const auto y_of = [&](double v) { return bottom - std::clamp(v / max, 0.0, 1.0) * (bottom - top); };
  std::string out = SvgOpen(id, width, height, label);
  // Axes with the bottom, middle and top of the scale.
  for (double f : {0.0, 0.5, 1.0}) {
    const double y = y_of(f * max);
    out += "<line class=\"grid\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(y) + "\" x2=\"" + Coord(right) +
           "\" y2=\"" + Coord(y) + "\"/>";
    out += "<text x=\"" + Coord(left - 8) + "\" y=\"" + Coord(y + 4) + "\" text-anchor=\"end\">" +
           HtmlEscape(ValueText(def, f * max)) + "</text>";
  }
  for (size_t i = 0; i < trend.size(); ++i) {
    if (i % 3 != (trend.size() - 1) % 3) continue;  // every third month, ending at the report date
    out += "<text x=\"" + Coord(x_of(i)) + "\" y=\"" + Coord(bottom + 20) + "\" text-anchor=\"middle\">" +
           HtmlEscape(MonthLabel(trend[i].date)) + "</text>";
  }
  if (goal.value) {
    const double y = y_of(*goal.value);
    out += "<line class=\"goal\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(y) + "\" x2=\"" + Coord(right) +
           "\" y2=\"" + Coord(y) + "\"/>";
    // At the left, where the line starts (the last point's value is written at the right), on the
    // side away from the trend there: below the goal line when the first drawn point lies above it.
    bool trend_above = false;
    for (size_t i = 0; i < trend.size(); ++i) {
      if (!trend[i].score || hidden[i]) continue;
      trend_above = *trend[i].score > *goal.value;
      break;
    }
    out += "<text class=\"goal-label\" x=\"" + Coord(left + 6) + "\" y=\"" + Coord(trend_above ? y + 14 : y - 6) +
           "\">" + HtmlEscape(goal.text) + "</text>";
  }
  // The line, broken where a point is suppressed or undefined.
  std::string path;
  bool pen_down = false;
  for (size_t i = 0; i < trend.size(); ++i) {
    const TrendPoint& p = trend[i];
    if (!p.score || hidden[i]) {
      pen_down = false;
      continue;
    }
    path += (pen_down ? " L" : " M") + Coord(x_of(i)) + " " + Coord(y_of(*p.score));
    pen_down = true;
  }
  if (!path.empty()) out += "<path class=\"trend\" d=\"" + path.substr(1) + "\"/>";
  for (size_t i = 0; i < trend.size(); ++i) {
    const TrendPoint& p = trend[i];
    if (!p.score || hidden[i]) continue;
    out += "<circle class=\"point\" cx=\"" + Coord(x_of(i)) + "\" cy=\"" + Coord(y_of(*p.score)) +
           "\" r=\"3\"><title>" + HtmlEscape(p.date.ToString() + ": " + ValueText(def, *p.score)) + "</title></circle>";
  }
  const TrendPoint& last = trend.back();
  if (last.score && !hidden.back()) {
    out += "<text class=\"last\" x=\"" + Coord(x_of(trend.size() - 1)) + "\" y=\"" + Coord(y_of(*last.score) - 10) +
           "\" text-anchor=\"end\">" + HtmlEscape(ValueText(def, *last.score)) + "</text>";
  }
  return out + "</svg>\n";
}

std::string TrendSection(const ReportData& data) {
  std::string out = "<section id=\"trend\">\n<h2>Utveckling de senaste 24 månaderna<span class=\"en\">Ett värde per "
                    "månadsslut och på rapportdagen, med målet (streckad linje)</span></h2>\n<div class=\"trends\">\n";
  for (size_t m = 0; m < data.results.size() && m < data.trends.size(); ++m) {
    const MeasureResult& result = data.results[m];
    const MeasureDefinition& def = Def(result);
    const auto& trend = data.trends[m];
    std::vector<bool> hidden;
    for (size_t i = 0; i < trend.size(); ++i) hidden.push_back(IsTrendPointHidden(data, def, i));
    const TrendGoal goal = GoalOfTrend(def, result, trend, hidden);
    out += "<figure class=\"trend-card\"><figcaption><h3>" + HtmlEscape(def.title) + "</h3></figcaption>\n";
    out += TrendChart("trend-" + def.id, def, trend, hidden, goal);
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < trend.size(); ++i) {
      const TrendPoint& p = trend[i];
      const bool blank = hidden[i] && !IsSuppressed(def, p.numerator, p.denominator);  // visits of < 5 patients
      if (blank) {
        rows.push_back({p.date.ToString(), "–", "–", "–"});
        continue;
      }
      rows.push_back({p.date.ToString(), People(p.numerator),
                      def.kind == MeasureKind::count ? "" :
                      def.kind == MeasureKind::ratio ? std::to_string(p.denominator) : People(p.denominator),
                      ShownValue(def, hidden[i], p.score)});
    }
    out += "<details><summary>Tabell</summary>" +
           Table(def.title + " per månadsslut", {"Datum", "Täljare", "Nämnare", "Värde"}, rows) + "</details>";
    out += "</figure>\n";
  }
  return out + "</div>\n</section>\n";
}

// One row per stratum value of `stratifier`, a column per measure (coverage and continuity side by
// side): the population of the first measure and each measure's value.
std::string SideBySide(const ReportData& data, const std::string& stratifier, const std::string& caption,
                       const std::vector<const char*>& measure_ids, bool sort_by_name) {
  std::vector<const MeasureResult*> results;
  std::vector<std::string> headers = {StratifierName(stratifier), "Invånare"};
  for (const char* id : measure_ids) {
    const MeasureResult* r = FindResult(data.results, id);
    if (!r) continue;
    results.push_back(r);
    headers.push_back(Def(*r).title);
  }
  std::vector<std::string> values;
  for (const MeasureResult* r : results) {
    for (const auto& s : r->strata) {
      if (s.stratifier == stratifier && std::find(values.begin(), values.end(), s.value) == values.end()) {
        values.push_back(s.value);
      }
    }
  }
  if (sort_by_name) {
    std::stable_sort(values.begin(), values.end(), [&](const std::string& a, const std::string& b) {
      return StratumName(data, stratifier, a) < StratumName(data, stratifier, b);
    });
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& value : values) {
    std::vector<std::string> row = {StratumName(data, stratifier, value), "–"};
    for (size_t i = 0; i < results.size(); ++i) {
      const MeasureDefinition& def = Def(*results[i]);
      std::string cell = "–";
      for (const auto& s : results[i]->strata) {
        if (s.stratifier != stratifier || s.value != value) continue;
        std::optional<double> score = s.score;
        if (!score && s.denominator > 0) score = static_cast<double>(s.numerator) / static_cast<double>(s.denominator);
        const bool hidden = IsHidden(data, def, s.stratifier, s.value, s.numerator, s.denominator);
        cell = hidden ? kSmallNumberText : ShownValue(def, false, score);
        if (i == 0) row[1] = People(s.denominator);
      }
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
  }
  return Table(caption, headers, rows);
}

// Coverage bars per region or kommun, by name, sorted by coverage; suppressed strata are left out of
// the chart (the table shows them as <5).
std::string CoverageChart(const ReportData& data, const MeasureResult* result, const std::string& stratifier,
                          const std::string& id, const std::string& label) {
  std::vector<Bar> bars;
  std::optional<double> goal;
  if (result) {
    const MeasureDefinition& def = Def(*result);
    goal = GoalOf(*result);
    for (const auto& s : result->strata) {
      if (s.stratifier != stratifier || s.denominator <= 0 ||
          IsHidden(data, def, s.stratifier, s.value, s.numerator, s.denominator)) {
        continue;
      }
      const double score = static_cast<double>(s.numerator) / static_cast<double>(s.denominator);
      bars.push_back({StratumName(data, stratifier, s.value), score, Percent(score)});
    }
    std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) {
      if (a.value != b.value) return a.value > b.value;
      return a.label < b.label;
    });
  }
  return HorizontalBars(id, label, bars, 1.0, goal, goal ? "Mål " + Percent(*goal) : "");
}

std::string KpiCard(const ReportData& data, const std::string& measure_id) {
  const MeasureResult* result = FindResult(data.results, measure_id);
  const std::string id = "chart-kpi-" + measure_id;
  std::string out = "<div class=\"kpi\"><h3>" + HtmlEscape(TitleOf(measure_id)) + "</h3>";
  if (!result) return out + NoData(id, TitleOf(measure_id)) + "</div>\n";
  const MeasureDefinition& def = Def(*result);
  const bool hidden = IsHidden(data, def, "", "", result->numerator, result->denominator);
  const std::optional<double> goal = GoalOf(*result);
  out += "<p class=\"big\">" + HtmlEscape(ShownValue(def, hidden, result->score)) +
         "</p>";
  out += "<p class=\"goal-text\">" + (goal ? HtmlEscape("Mål: " + Percent(*goal)) : std::string("Inget nationellt mål")) +
         "</p>";
  out += "<p class=\"muted\">" + HtmlEscape(People(result->numerator) + " av " + People(result->denominator)) + "</p>";
  const double width = 300, plot = 280, x0 = 10;
  const double w = result->score && !hidden ? std::clamp(*result->score, 0.0, 1.0) * plot : 0;
  out += SvgOpen(id, width, 44, TitleOf(measure_id));
  out += "<rect class=\"track\" x=\"" + Coord(x0) + "\" y=\"14\" width=\"" + Coord(plot) + "\" height=\"18\"/>";
  out += "<rect class=\"bar\" x=\"" + Coord(x0) + "\" y=\"14\" width=\"" + Coord(w) + "\" height=\"18\"/>";
  if (goal) {
    const double x = x0 + std::clamp(*goal, 0.0, 1.0) * plot;
    out += "<line class=\"goal\" x1=\"" + Coord(x) + "\" y1=\"6\" x2=\"" + Coord(x) + "\" y2=\"40\"/>";
  }
  return out + "</svg></div>\n";
}

std::string ListSizeSection(const ReportData& data) {
  const MeasureResult* result = FindResult(data.results, kMeasureListningPerLakare);
  std::string out = "<h3>Läkarnas listor mot kapacitet</h3>\n";
  std::vector<Bar> columns;
  std::vector<std::vector<std::string>> rows;
  const ListSizeDistribution* dist = result && result->list_sizes ? &*result->list_sizes : nullptr;
  if (dist) {
    for (const auto& bin : dist->bins) {
      columns.push_back({BinLabel(bin.label), static_cast<double>(bin.doctors), std::to_string(bin.doctors)});
      rows.push_back({BinLabel(bin.label), std::to_string(bin.doctors)});
    }
  }
  out += Columns("chart-list-size", "Läkare per listfyllnad", columns, "Antal läkare");
  out += Table("Läkare per listfyllnad", {"Listade i förhållande till kapacitet", "Läkare"}, rows);
  const double target = dist ? dist->target : kListedPerDoctorTarget;
  const std::string target_text = Decimal(target, 0);
  out += "<h3>Listade per läkartjänst (heltid) per vårdcentral, mål " + HtmlEscape(target_text) + "</h3>\n";
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
      const std::string name = StratumName(data, kStratVardcentral, u->unit_id);
      const bool hidden = IsSmall(u->listed);
      const std::string per_fte = !u->listed_per_fte ? "– (inga läkare)" : hidden ? "–" : Decimal(*u->listed_per_fte, 1);
      if (u->listed_per_fte && !hidden) {
        bars.push_back({name, *u->listed_per_fte, per_fte});
        max = std::max(max, *u->listed_per_fte);
      }
      rows.push_back({name, People(u->listed), std::to_string(u->doctors), Decimal(u->doctor_fte, 2), per_fte});
    }
  }
  out += HorizontalBars("chart-per-fte", "Listade per läkartjänst per vårdcentral", bars, max * 1.1, target,
                        "Mål " + target_text);
  out += Table("Listade per läkartjänst", {"Vårdcentral", "Listade", "Läkare", "Heltider", "Listade per heltid"}, rows);
  return out;
}

std::string ContractSection(const ReportData& data) {
  const MeasureResult* result = FindResult(data.results, kMeasurePatientkontrakt);
  std::string out = "<h3>Aktuella patientkontrakt per åldersgrupp</h3>\n";
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
      const std::string label = StratumName(data, kStratAgeBand, band);
      columns.push_back({label, IsSmall(n) ? 0.0 : static_cast<double>(n), People(n)});
      rows.push_back({label, People(n)});
    }
    rows.push_back({"Totalt", People(result->numerator)});
  }
  out += Columns("chart-age-band", "Patientkontrakt per åldersgrupp", columns, "Antal kontrakt");
  out += Table("Patientkontrakt per åldersgrupp", {"Åldersgrupp", "Antal"}, rows);
  return out;
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1d2733;background:#fff}
h1{margin:0 0 4px;font-size:28px}h2{margin:32px 0 8px;border-bottom:2px solid #d6dde6;padding-bottom:4px}
h3{margin:12px 0 6px;font-size:16px}.en{display:block;font-weight:normal;font-size:0.75em;color:#5b6775}
.meta{display:flex;gap:24px;flex-wrap:wrap;margin:8px 0}.meta div{background:#f7f9fb;border:1px solid #d6dde6;border-radius:6px;padding:6px 10px}
.muted{color:#5b6775;fill:#5b6775}.kpis{display:flex;gap:16px;flex-wrap:wrap}
.kpi{flex:1 1 300px;border:1px solid #d6dde6;border-radius:8px;padding:12px 16px;background:#f7f9fb}
.kpi h3{margin:0 0 8px}.big{font-size:40px;font-weight:bold;margin:4px 0;color:#0b5394}
.goal-text{margin:0;font-weight:bold}.note{background:#fff8e1;border-left:4px solid #f9a825;padding:8px 12px}
.trends{display:grid;grid-template-columns:repeat(auto-fit,minmax(540px,1fr));gap:12px}
.trend-card{margin:0;border:1px solid #d6dde6;border-radius:8px;padding:8px 12px}
.trend-card svg.chart{width:100%;height:auto}
svg.chart{display:block;margin:8px 0;font-size:13px}svg.chart text{fill:#1d2733}
rect.bar{fill:#2f7fc1}rect.track{fill:#e3e9f0}line.goal{stroke:#c62828;stroke-width:2;stroke-dasharray:6 4}
svg.chart text.goal-label{fill:#c62828;font-weight:bold}line.axis{stroke:#5b6775}line.grid{stroke:#e3e9f0}
path.trend{fill:none;stroke:#0b5394;stroke-width:2.5}circle.point{fill:#0b5394}svg.chart text.last{font-weight:bold;fill:#0b5394}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border:1px solid #d6dde6;padding:3px 8px;text-align:left}td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#eef2f6}
details{margin:4px 0}summary{cursor:pointer;color:#0b5394}
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

std::string RenderHtmlReport(const ReportData& data) {
  const std::string date = data.as_of.ToString();
  const std::string subject = SubjectName(data);
  std::string out = "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + HtmlEscape("Fasta kontakter och kontinuitet – " + subject + " " + date) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<header>\n";
  out += "<h1>Fasta kontakter och kontinuitet i primärvården</h1>\n";
  out += "<div class=\"meta\"><div>Område: <strong>" + HtmlEscape(subject) + "</strong></div>";
  out += "<div>Dataunderlag per: <strong>" + HtmlEscape(date) + "</strong></div>";
  out += "<div>Rapporten skapad: <strong>" + HtmlEscape(data.generated_at) + " UTC</strong></div></div>\n";
  out += "<p class=\"note\" id=\"suppression\">Små tal visas inte: där täljaren eller nämnaren är färre än " +
         std::to_string(kSmallNumberLimit) + " personer står &quot;" + HtmlEscape(kSmallNumberText) +
         "&quot; och andelen eller värdet döljs (–), så att ingen enskild kan pekas ut.</p>\n</header>\n<main>\n";

  out += "<section id=\"kpi\">\n<h2>Nyckeltal mot målen</h2>\n<div class=\"kpis\">\n";
  for (const char* id : {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt}) {
    out += KpiCard(data, id);
  }
  out += "</div>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& result : data.results) {
    const MeasureDefinition& def = Def(result);
    const std::optional<double> goal = GoalOf(result);
    std::string goal_text = goal ? ValueText(def, *goal) : "–";
    if (!goal && def.relative_goal) goal_text = "+" + Decimal(*def.relative_goal * 100, 0) + " % mot utgångsläget";
    rows.push_back({def.title, People(result.numerator),
                    def.kind == MeasureKind::count ? "" :
                    def.kind == MeasureKind::ratio ? std::to_string(result.denominator) : People(result.denominator),
                    ShownValue(def, IsHidden(data, def, "", "", result.numerator, result.denominator), result.score),
                    goal_text});
  }
  out += Table("Alla mått per " + date, {"Mått", "Täljare", "Nämnare", "Värde", "Mål"}, rows);
  out += "</section>\n";

  out += TrendSection(data);

  const std::vector<const char*> side_by_side = {kMeasureFastLakarkontakt, kMeasureFastVardkontakt, kMeasureCocLakare,
                                                 kMeasureCocAlla, kMeasureUpc, kMeasureFastLakareAndel};
  const MeasureResult* flk = FindResult(data.results, kMeasureFastLakarkontakt);
  out += "<section id=\"coverage\">\n<h2>Fast läkarkontakt och kontinuitet per region och kommun</h2>\n";
  out += "<h3>Fast läkarkontakt per region</h3>\n";
  out += CoverageChart(data, flk, kStratRegion, "chart-region", "Fast läkarkontakt per region");
  out += SideBySide(data, kStratRegion, "Täckning och kontinuitet per region", side_by_side, true);
  out += "<h3>Fast läkarkontakt per kommun</h3>\n";
  out += CoverageChart(data, flk, kStratKommun, "chart-kommun", "Fast läkarkontakt per kommun");
  out += SideBySide(data, kStratKommun, "Täckning och kontinuitet per kommun", side_by_side, true);
  out += "<h3>Per vårdcentral</h3>\n";
  out += SideBySide(data, kStratVardcentral, "Täckning och kontinuitet per vårdcentral", side_by_side, true);
  out += "</section>\n";

  out += "<section id=\"age-sex\">\n<h2>Ålder och kön</h2>\n";
  out += SideBySide(data, kStratAgeBand, "Täckning och kontinuitet per åldersgrupp",
                    {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt, kMeasureCocLakare,
                     kMeasureFastLakareAndel},
                    false);
  out += SideBySide(data, kStratSex, "Täckning och kontinuitet per kön",
                    {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt, kMeasureCocLakare,
                     kMeasureFastLakareAndel},
                    false);
  out += "</section>\n";

  out += "<section id=\"list-size\">\n<h2>Listning per läkare</h2>\n" + ListSizeSection(data) + "</section>\n";
  out += "<section id=\"contracts\">\n<h2>Patientkontrakt</h2>\n" + ContractSection(data) + "</section>\n";

  out += "</main>\n<footer><p>Definitioner: docs/api.md avsnitt 5 och 11. Kontinuitetsmåtten: besök de senaste 18 "
         "månaderna hos listade med minst 3 besök, på listningsenheten. Utvecklingen visar värdet vid varje "
         "månadsslut och på rapportdagen. Skapad av Nära Registry.</p></footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace nara::fhir
