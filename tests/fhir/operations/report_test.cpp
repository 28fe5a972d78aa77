// The published report (fhir/operations/report.h, report_html.h) from a hand-built ReportData: small
// numbers as "<5" with the share hidden, names instead of ids, the CSV Swedish Excel reads (BOM, ';',
// decimal comma, one date column) and the trend charts with their goal lines.
#include "fhir/operations/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/operations/report_html.h"

namespace nara::fhir {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

// Every measure with a national figure and a few strata, and a trend whose figure rises by month.
ReportData Sample() {
  ReportData data;
  data.as_of = D(2026, 11, 30);
  data.generated_at = "2026-12-05 10:00";
  data.unit_names = {{"r1", "Region Norr"}, {"r2", "Region Syd"}, {"vc1", "Vårdcentralen Björken"}};
  data.kommun_names = {{"0180", "Stockholms kommun"}};
  const auto dates = TrendDates(data.as_of);
  for (const auto& def : MeasureDefinitions()) {
    MeasureResult r;
    r.measure_id = def.id;
    r.period_end = data.as_of;
    r.numerator = 600;
    r.denominator = 1000;
    r.score = def.kind == MeasureKind::proportion || def.kind == MeasureKind::mean ? 0.6 : 600.0;
    r.strata = {{kStratRegion, "r1", 40, 60, std::nullopt},
                {kStratRegion, "r2", 3, 4, std::nullopt},
                {kStratKommun, "0180", 2, 10, std::nullopt},
                {kStratVardcentral, "vc1", 30, 45, std::nullopt},
                {kStratAgeBand, "18-64", 100, 200, std::nullopt},
                {kStratSex, "female", 7, 9, std::nullopt}};
    if (def.kind == MeasureKind::mean) {
      for (auto& s : r.strata) {
        s.numerator = s.denominator;
        s.score = 0.5;
      }
    }
    data.results.push_back(r);
    std::vector<TrendPoint> trend;
    for (size_t i = 0; i < dates.size(); ++i) {
      const long n = i == 0 ? 2 : 500 + static_cast<long>(i);  // the first month is small: suppressed
      // Means count people in both (the population); the others have 1000 in the denominator.
      trend.push_back({dates[i], n, def.kind == MeasureKind::mean ? n : 1000, static_cast<double>(n) / 1000});
    }
    data.trends.push_back(trend);
  }
  return data;
}

std::vector<std::vector<std::string>> Lines(const std::string& csv) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_FALSE(line.empty() || line.back() != '\r') << "lines end in CRLF: " << line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t semi; (semi = line.find(';', start)) != std::string::npos; start = semi + 1) {
      fields.push_back(line.substr(start, semi - start));
    }
    fields.push_back(line.substr(start));
    out.push_back(fields);
  }
  return out;
}

const std::vector<std::string>* Find(const std::vector<std::vector<std::string>>& lines, const std::string& date,
                                     const std::string& measure, const std::string& id) {
  for (const auto& f : lines) {
    if (f.size() == 10 && f[0] == date && f[1] == measure && f[4] == id) return &f;
  }
  return nullptr;
}

std::string Comma(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", value);
  std::string text = buf;
  while (text.back() == '0') text.pop_back();
  text[text.find('.')] = ',';
  return text;
}

TEST(ReportCsv, SwedishExcelWithNamesAndSmallNumbersSuppressed) {
  const ReportData data = Sample();
  const std::string csv = ReportCsv(data);
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u) << "UTF-8 BOM first";
  const auto lines = Lines(csv.substr(3));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], (std::vector<std::string>{"Datum", "Mått-id", "Mått", "Indelning", "Id", "Namn", "Täljare",
                                                "Nämnare", "Värde", "Mål"}));
  for (const auto& f : lines) EXPECT_EQ(f.size(), 10u);

  const std::string flk = kMeasureFastLakarkontakt;
  const auto* r1 = Find(lines, "2026-11-30", flk, "r1");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ((*r1)[3], "Region");
  EXPECT_EQ((*r1)[5], "Region Norr");
  EXPECT_EQ((*r1)[6], "40");
  EXPECT_EQ((*r1)[7], "60");
  EXPECT_EQ((*r1)[8], Comma(40.0 / 60.0));
  EXPECT_EQ((*r1)[9], "0,55");
  // Both counts under 5: neither shown, nor the share.
  const auto* r2 = Find(lines, "2026-11-30", flk, "r2");
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ((*r2)[6], "<5");
  EXPECT_EQ((*r2)[7], "<5");
  EXPECT_EQ((*r2)[8], "");
  // A numerator under 5 hides the share even with a larger denominator; the kommun by its name.
  const auto* kommun = Find(lines, "2026-11-30", flk, "0180");
  ASSERT_NE(kommun, nullptr);
  EXPECT_EQ((*kommun)[5], "Stockholms kommun");
  EXPECT_EQ((*kommun)[6], "<5");
  EXPECT_EQ((*kommun)[7], "10");
  EXPECT_EQ((*kommun)[8], "");
  EXPECT_EQ((*Find(lines, "2026-11-30", flk, "18-64"))[5], "18–64 år");
  EXPECT_EQ((*Find(lines, "2026-11-30", flk, "female"))[5], "Kvinnor");
  // The trend: the earlier month ends in the same date column, the first one suppressed.
  const auto dates = TrendDates(data.as_of);
  for (size_t i = 0; i + 1 < dates.size(); ++i) {
    const auto* point = Find(lines, dates[i].ToString(), flk, "");
    ASSERT_NE(point, nullptr) << dates[i].ToString();
    EXPECT_EQ((*point)[5], "Hela landet");
    EXPECT_EQ((*point)[8], i == 0 ? "" : Comma(static_cast<double>(500 + i) / 1000)) << dates[i].ToString();
  }
  // Every measure is in it.
  for (const auto& def : MeasureDefinitions()) EXPECT_NE(Find(lines, "2026-11-30", def.id, ""), nullptr) << def.id;
}

TEST(ReportCsv, FieldsWithTheSeparatorAreQuoted) {
  ReportData data = Sample();
  data.unit_names["r1"] = "Region \"Norr\"; Övre";
  const std::string csv = ReportCsv(data);
  EXPECT_NE(csv.find(";\"Region \"\"Norr\"\"; Övre\";"), std::string::npos);
}

TEST(ReportHtml, NamesTrendsAndSuppression) {
  const ReportData data = Sample();
  const std::string html = RenderHtmlReport(data);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<html lang=\"sv\">"), std::string::npos);
  EXPECT_NE(html.find("Region Norr"), std::string::npos);
  EXPECT_NE(html.find("Stockholms kommun"), std::string::npos);
  EXPECT_NE(html.find("Vårdcentralen Björken"), std::string::npos);
  EXPECT_NE(html.find("&lt;5"), std::string::npos);
  EXPECT_NE(html.find("id=\"suppression\""), std::string::npos);
  EXPECT_NE(html.find("2026-12-05 10:00 UTC"), std::string::npos);
  EXPECT_NE(html.find("Dataunderlag per: <strong>2026-11-30"), std::string::npos);
  for (const auto& def : MeasureDefinitions()) {
    const auto at = html.find("<svg id=\"trend-" + def.id + "\"");
    ASSERT_NE(at, std::string::npos) << def.id;
    const std::string svg = html.substr(at, html.find("</svg>", at) - at);
    // 23 published points (the first is suppressed) on one line.
    size_t points = 0;
    for (auto p = svg.find("<circle"); p != std::string::npos; p = svg.find("<circle", p + 1)) ++points;
    EXPECT_EQ(points, 23u) << def.id;
    EXPECT_NE(svg.find("<path class=\"trend\" d=\"M"), std::string::npos) << def.id;
    if (def.goal || def.relative_goal) {
      EXPECT_NE(svg.find("class=\"goal\""), std::string::npos) << def.id;
    }
  }
  // The suppressed region has no bar in the coverage chart.
  const auto chart = html.find("<svg id=\"chart-region\"");
  ASSERT_NE(chart, std::string::npos);
  const std::string svg = html.substr(chart, html.find("</svg>", chart) - chart);
  EXPECT_NE(svg.find("Region Norr"), std::string::npos);
  EXPECT_EQ(svg.find("Region Syd"), std::string::npos);
  // Accessible tables, nothing from the network.
  EXPECT_NE(html.find("<caption>"), std::string::npos);
  EXPECT_NE(html.find("<th scope=\"col\">"), std::string::npos);
  EXPECT_NE(html.find("<th scope=\"row\">"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

// The number after `attribute="` in the first element of `svg` whose text starts with `element`.
double AttributeOf(const std::string& svg, const std::string& element, const std::string& attribute) {
  const auto at = svg.find(element);
  EXPECT_NE(at, std::string::npos) << element;
  if (at == std::string::npos) return 0;
  const auto value = svg.find(attribute + "=\"", at);
  return std::stod(svg.substr(value + attribute.size() + 2));
}

// The goal's label is written where the line starts, on the side away from the data there: above the
// line when the trend runs below the goal, below it when the trend runs above, never on the trend.
TEST(ReportHtml, TheGoalLabelStaysOffTheTrendLine) {
  for (const double level : {0.40, 0.62}) {  // the goal of this measure is 55 %
    ReportData data = Sample();
    for (size_t m = 0; m < MeasureDefinitions().size(); ++m) {
      for (auto& point : data.trends[m]) point.score = level;
    }
    const std::string html = RenderHtmlReport(data);
    const auto at = html.find(std::string("<svg id=\"trend-") + kMeasureFastLakarkontakt + "\"");
    ASSERT_NE(at, std::string::npos);
    const std::string svg = html.substr(at, html.find("</svg>", at) - at);
    const double line = AttributeOf(svg, "<line class=\"goal\"", "y1");
    const double label = AttributeOf(svg, "<text class=\"goal-label\"", "y");
    if (level < 0.55) {
      EXPECT_LT(label, line) << "the trend runs below the goal: the label above the line";
    } else {
      EXPECT_GT(label, line) << "the trend runs above the goal: the label below the line";
    }
  }
}

}  // namespace
}  // namespace nara::fhir

namespace nara::fhir {
namespace {

// The visit share counts visits: it is hidden when fewer than 5 patients stand behind it (the COC
// population of the same stratum), and its visit counts with it, though they are 5 or more.
TEST(ReportCsv, VisitShareOfFewerThanFivePatientsIsHidden) {
  ReportData data = Sample();
  for (auto& r : data.results) {
    if (r.measure_id != kMeasureCocLakare) continue;
    for (auto& s : r.strata) {
      if (s.value == "vc1") s.numerator = s.denominator = 3;
    }
  }
  const auto lines = Lines(ReportCsv(data).substr(3));
  const auto* share = Find(lines, "2026-11-30", kMeasureFastLakareAndel, "vc1");
  ASSERT_NE(share, nullptr);
  EXPECT_EQ((*share)[6], "");
  EXPECT_EQ((*share)[7], "");
  EXPECT_EQ((*share)[8], "");
  // The region, with enough patients behind it, is shown.
  const auto* region = Find(lines, "2026-11-30", kMeasureFastLakareAndel, "r1");
  ASSERT_NE(region, nullptr);
  EXPECT_EQ((*region)[6], "40");
  EXPECT_EQ((*region)[8], Comma(40.0 / 60.0));
  const std::string html = RenderHtmlReport(data);
  EXPECT_NE(html.find("Vårdcentralen Björken"), std::string::npos);
}

}  // namespace
}  // namespace nara::fhir
