// `nara report --format html` end-to-end: a small world written over mTLS, the HTML report written to a
// file, its structure checked (every chart svg present with bars, the goals, no URL of any kind), then
// rendered by headless Chromium: the screenshot must be far from blank (compared with a screenshot of an
// empty page taken the same way) and the DOM Chromium parsed must hold the chart svgs.
// Chromium is required: scripts/install-deps.sh installs it (Debian package `chromium`).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "registry/measures.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

using reg::World;

constexpr const char* kChromium = "/usr/bin/chromium";

const std::vector<std::string> kChartIds = {
    "chart-kpi-fast-lakarkontakt-andel", "chart-kpi-saebo-fast-lakarkontakt-andel",
    "chart-kpi-fast-vardkontakt-andel",  "chart-region",
    "chart-kommun",                      "chart-list-size",
    "chart-per-fte",                     "chart-age-band"};

// The 24-month trend of every measure the registry lists, a line and its points.
std::vector<std::string> TrendIds() {
  std::vector<std::string> ids;
  for (const auto& def : MeasureDefinitions()) ids.push_back("trend-" + def.id);
  return ids;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

long FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "/nara-report-html.XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const char* dir = ::mkdtemp(buf.data());
  return dir ? std::string(dir) : std::string();
}

// The svg element with this id, up to its closing tag ("" when absent).
std::string SvgById(const std::string& html, const std::string& id) {
  const auto start = html.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  const auto end = html.find("</svg>", start);
  return html.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

// Headless Chromium with a fresh profile and no network-facing background services; `mode` is e.g.
// "--screenshot=FILE" or "--dump-dom". Returns the exit status; stdout goes to `out_file`.
int RunChromium(const std::string& dir, const std::string& profile, const std::string& mode,
                const std::string& page, const std::string& out_file) {
  const std::string command = std::string("timeout 60 ") + kChromium +
                              " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                              " --disable-background-networking --disable-component-update --disable-sync"
                              " --hide-scrollbars --user-data-dir='" + dir + "/" + profile + "' " + mode +
                              " --window-size=1200,2400 'file://" + page + "' >'" + out_file + "' 2>>'" + dir +
                              "/chromium.log'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

TEST(ReportHtml, WritesASelfContainedReportThatChromiumRenders) {
  // A vårdcentral in the world's region with one doctor (capacity 8, full time) and a nurse; six
  // residents listed there (at least 5, so the unit is published, not "<5"), five with the doctor as
  // fast läkarkontakt, one also with the nurse as fast vårdkontakt and a current patientkontrakt. Every chart then has at least one bar; the shared e2e
  // database holds other tests' data too, so only the structure is asserted.
  World w("rh");
  const std::string vc = w.Vardcentral("vc");
  const std::string doctor = w.Staff("dr", vc, "lakare", 8, 1.0);
  const std::string nurse = w.Staff("ssk", vc, "sjukskoterska");
  for (int i = 0; i < 6; ++i) {
    const std::string patient = w.Patient("p" + std::to_string(i));
    World::Require(w.List(w.Id("l" + std::to_string(i)), patient, vc, "2024-01-01"), "listing");
    if (i < 5) {
      World::Require(w.Contact(w.Id("flk" + std::to_string(i)), patient, doctor, vc, "2024-02-01"), "läkarkontakt");
    }
    if (i == 0) {
      World::Require(w.Contact(w.Id("fvk"), patient, nurse, vc, "2024-02-01", "1"), "vårdkontakt");
      const std::string contract = w.Id("pk");
      World::Require(w.ehr().Request("PUT", "/fhir/DocumentReference/" + contract,
                                     reg::ContractJson(contract, patient, vc, w.Id("fvk")), reg::kFhirJson),
                     "patientkontrakt");
    }
  }

  // Contracts count by the version written before the day after the date, so the report is as of
  // today (UTC); the listings and contacts began in 2024.
  char today[16];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(today, sizeof today, "%Y-%m-%d", &utc);

  const std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty()) << "mkdtemp failed";
  const std::string report = dir + "/r.html";
  auto [code, out] = testing::RunNara({"report", "--as-of", today, "--format", "html", "--out", report},
                                      Server::Shared().Env());
  ASSERT_EQ(code, 0) << out;
  const std::string html = ReadFile(report);
  ASSERT_FALSE(html.empty());

  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const auto& id : kChartIds) {
    const std::string svg = SvgById(html, id);
    ASSERT_FALSE(svg.empty()) << "no svg#" << id;
    EXPECT_GE(Count(svg, "class=\"bar\""), 1u) << "no bar in svg#" << id;
  }
  // The age-band chart has a column per band, the histogram one per bin.
  EXPECT_GE(Count(SvgById(html, "chart-age-band"), "class=\"bar\""), 4u);
  EXPECT_EQ(Count(SvgById(html, "chart-list-size"), "class=\"bar\""), 5u);
  // The world's vårdcentral is on the per-FTE chart by its name (1 doctor FTE, 6 listed).
  EXPECT_NE(SvgById(html, "chart-per-fte").find("Test vardcentral " + vc), std::string::npos);
  for (const auto& id : TrendIds()) {
    const std::string svg = SvgById(html, id);
    EXPECT_FALSE(svg.empty()) << "no svg#" << id;
  }
  // The shared database holds at least this world's six residents: the coverage trend has a line
  // (the other measures' may be all "<5" there), and its goal line.
  EXPECT_NE(SvgById(html, "trend-fast-lakarkontakt-andel").find("class=\"trend\""), std::string::npos);
  EXPECT_NE(SvgById(html, "trend-fast-lakarkontakt-andel").find("class=\"goal\""), std::string::npos);
  EXPECT_NE(html.find("id=\"suppression\""), std::string::npos);
  EXPECT_NE(html.find("Rapporten skapad:"), std::string::npos);
  EXPECT_NE(html.find("Dataunderlag per: <strong>" + std::string(today)), std::string::npos);
  EXPECT_NE(html.find("55 %"), std::string::npos);
  EXPECT_NE(html.find("80 %"), std::string::npos);
  EXPECT_NE(html.find("1100"), std::string::npos);
  EXPECT_NE(html.find("Fast läkarkontakt per region"), std::string::npos);
  EXPECT_NE(html.find(today), std::string::npos);
  // The contracts by age band end with their total (this world's one contract among the others').
  EXPECT_NE(html.find("<th scope=\"row\">Totalt</th>"), std::string::npos);
  // Self-contained: no URL, no script, no external resource of any kind.
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("//"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);

  // Rendering. Missing Chromium is a failure, not a skip: CI gets it from scripts/install-deps.sh.
  ASSERT_EQ(::access(kChromium, X_OK), 0)
      << kChromium << " is missing: scripts/install-deps.sh should have installed the Debian package "
      << "`chromium` (run it, or `apt-get install chromium`)";
  const std::string empty = dir + "/empty.html";
  std::ofstream(empty) << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body></body></html>\n";

  const std::string shot = dir + "/r.png", empty_shot = dir + "/empty.png";
  EXPECT_EQ(RunChromium(dir, "profile-r", "--screenshot='" + shot + "'", report, dir + "/shot.out"), 0)
      << ReadFile(dir + "/chromium.log");
  EXPECT_EQ(RunChromium(dir, "profile-e", "--screenshot='" + empty_shot + "'", empty, dir + "/empty.out"), 0)
      << ReadFile(dir + "/chromium.log");
  const long shot_size = FileSize(shot), empty_size = FileSize(empty_shot);
  ASSERT_GT(shot_size, 0) << "no screenshot; chromium log:\n" << ReadFile(dir + "/chromium.log");
  ASSERT_GT(empty_size, 0) << "no screenshot of the empty page; chromium log:\n" << ReadFile(dir + "/chromium.log");
  const std::string png = ReadFile(shot);
  EXPECT_EQ(png.compare(0, 8, std::string("\x89PNG\r\n\x1a\n", 8)), 0) << "not a PNG";
  EXPECT_GT(shot_size, 8 * 1024) << "screenshot suspiciously small";
  EXPECT_GT(shot_size, 4 * empty_size) << "screenshot " << shot_size << " bytes is close to a blank page's "
                                       << empty_size << " bytes";

  const std::string dom_file = dir + "/dom.html";
  EXPECT_EQ(RunChromium(dir, "profile-d", "--dump-dom", report, dom_file), 0) << ReadFile(dir + "/chromium.log");
  const std::string dom = ReadFile(dom_file);
  for (const auto& id : kChartIds) EXPECT_NE(dom.find("id=\"" + id + "\""), std::string::npos) << "DOM lacks " << id;
  for (const auto& id : TrendIds()) EXPECT_NE(dom.find("id=\"" + id + "\""), std::string::npos) << "DOM lacks " << id;
  EXPECT_GE(Count(dom, "class=\"bar\""), kChartIds.size());

  // NARA_KEEP_REPORT_HTML=1 keeps the report and screenshots for a look.
  if (!::testing::Test::HasFailure() && !std::getenv("NARA_KEEP_REPORT_HTML")) {
    std::system(("rm -rf '" + dir + "'").c_str());
  } else {
    std::fprintf(stderr, "report_html_test: kept %s\n", dir.c_str());  // NOLINT
  }
}

}  // namespace
}  // namespace nara::e2e
