// Measures end-to-end (docs/api.md section 5): a small population written over mTLS, then the statistics
// client evaluates the indicators for its vårdcentral and gets exactly the counts this test computes
// from what it wrote; `nara report` prints the same figures. The e2e database is shared by every
// test in the binary, so the figures are asserted for this world's own vårdcentral (subject).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {
namespace {

using reg::World;

struct Figures {
  long numerator = -1, denominator = -1;
  double score = -1;
  std::string goal_url;
  double goal = -1;
};

Figures FiguresOf(const std::string& body) {
  Figures f;
  auto doc = Parse(body);
  if (!doc.IsObject() || !doc.HasMember("group")) return f;
  for (const auto& p : doc["group"][0]["population"].GetArray()) {
    const std::string code = p["code"]["coding"][0]["code"].GetString();
    if (code == "numerator") f.numerator = p["count"].GetInt64();
    if (code == "denominator") f.denominator = p["count"].GetInt64();
  }
  if (const auto* score = rapidjson::Pointer("/group/0/measureScore/value").Get(doc)) f.score = score->GetDouble();
  if (doc.HasMember("extension")) {
    f.goal_url = doc["extension"][0]["url"].GetString();
    f.goal = doc["extension"][0]["valueDecimal"].GetDouble();
  }
  return f;
}

// The CSV line of `measure` with the given stratifier/stratum ("" "" = the total line), split.
// The CSV line of `nara report --format csv` (Swedish Excel: BOM, ';', decimal comma) dated `date` for a
// measure, Indelning (stratifier name, "" for the total) and Id; {} when there is none. Columns:
// Datum;Mått-id;Mått;Indelning;Id;Namn;Täljare;Nämnare;Värde;Mål (no field of these tests is quoted).
std::vector<std::string> CsvRow(const std::string& csv, const std::string& date, const std::string& measure,
                                const std::string& stratifier, const std::string& id) {
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t semi; (semi = line.find(';', start)) != std::string::npos; start = semi + 1) {
      fields.push_back(line.substr(start, semi - start));
    }
    fields.push_back(line.substr(start));
    if (fields.size() == 10 && fields[0] == date && fields[1] == measure && fields[3] == stratifier &&
        fields[4] == id) {
      return fields;
    }
  }
  return {};
}

// A count as the published report shows it (small numbers suppressed, docs/api.md section 11).
std::string Published(long n) { return n < 5 ? "<5" : std::to_string(n); }

class MeasureE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new World("ms-pop");
    World& w = *world_;
    vc_ = w.Vardcentral("vc");
    const std::string doctor = w.Staff("dr", vc_, "lakare", 2000, 1.0);
    const std::string nurse = w.Staff("ssk", vc_, "sjukskoterska");
    // Five residents listed at vc from 2024-01-01; three of them get a fast läkarkontakt on
    // 2024-02-01, one of the other two a fast vårdkontakt (nurse, role 1).
    for (int i = 0; i < 5; ++i) {
      const std::string patient = w.Patient("p" + std::to_string(i));
      World::Require(w.List(w.Id("l" + std::to_string(i)), patient, vc_, "2024-01-01"), "listing");
      if (i < 3) {
        World::Require(w.Contact(w.Id("flk" + std::to_string(i)), patient, doctor, vc_, "2024-02-01"), "läkarkontakt");
      } else if (i == 3) {
        World::Require(w.Contact(w.Id("fvk" + std::to_string(i)), patient, nurse, vc_, "2024-02-01", "1"),
                       "vårdkontakt");
      }
    }
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  static testing::HttpResult Evaluate(testing::TlsClient& client, const std::string& measure,
                                      const std::string& query) {
    return client.Request("GET", "/fhir/Measure/" + measure + "/$evaluate-measure" + query);
  }

  static World* world_;
  static std::string vc_;
};

World* MeasureE2e::world_ = nullptr;
std::string MeasureE2e::vc_;

TEST_F(MeasureE2e, StatisticsGetsTheCountsOfItsVardcentral) {
  auto stats = Server::Shared().Client("statistics");
  auto report = Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01&subject=Organization/" + vc_);
  ASSERT_EQ(report.status, 200) << report.body.substr(0, 600);
  auto doc = Parse(report.body);
  EXPECT_EQ(At(doc, "/resourceType"), "MeasureReport");
  EXPECT_EQ(At(doc, "/status"), "complete");
  EXPECT_EQ(At(doc, "/type"), "summary");
  EXPECT_EQ(At(doc, "/measure"), reg::kNr + "/Measure/fast-lakarkontakt-andel");
  EXPECT_EQ(At(doc, "/subject/reference"), "Organization/" + vc_);
  EXPECT_EQ(At(doc, "/period/end"), "2025-01-01");
  const Figures f = FiguresOf(report.body);
  EXPECT_EQ(f.numerator, 3);
  EXPECT_EQ(f.denominator, 5);
  EXPECT_DOUBLE_EQ(f.score, 0.6);
  EXPECT_EQ(f.goal_url, reg::kNr + "/StructureDefinition/measure-goal");
  EXPECT_DOUBLE_EQ(f.goal, 0.55);

  // Periods decide: one day before the listings nobody is in the population; before the contacts
  // everybody is listed but nobody has a fast läkarkontakt.
  auto before = FiguresOf(
      Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2023-12-31&subject=Organization/" + vc_).body);
  EXPECT_EQ(before.numerator, 0);
  EXPECT_EQ(before.denominator, 0);
  auto listed_only = FiguresOf(
      Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2024-01-15&subject=Organization/" + vc_).body);
  EXPECT_EQ(listed_only.numerator, 0);
  EXPECT_EQ(listed_only.denominator, 5);

  auto vardkontakt = FiguresOf(
      Evaluate(*stats, "fast-vardkontakt-andel", "?periodEnd=2025-01-01&subject=Organization/" + vc_).body);
  EXPECT_EQ(vardkontakt.numerator, 1);
  EXPECT_EQ(vardkontakt.denominator, 5);

  // listning-per-lakare: five listings, one läkare of 1.0 FTE.
  auto per_doctor = Evaluate(*stats, "listning-per-lakare", "?periodEnd=2025-01-01&subject=Organization/" + vc_);
  ASSERT_EQ(per_doctor.status, 200) << per_doctor.body.substr(0, 600);
  const Figures l = FiguresOf(per_doctor.body);
  EXPECT_EQ(l.numerator, 5);
  EXPECT_EQ(l.denominator, 1);
  EXPECT_DOUBLE_EQ(l.score, 5.0);
  EXPECT_DOUBLE_EQ(l.goal, 1100);

  // admin may evaluate too.
  auto admin = Server::Shared().Client("admin");
  EXPECT_EQ(Evaluate(*admin, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01&subject=Organization/" + vc_).status,
            200);
}

TEST_F(MeasureE2e, RefusalsAndBadInput) {
  auto stats = Server::Shared().Client("statistics");
  auto ehr = Server::Shared().Client("ehr");
  auto refused = Evaluate(*ehr, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01");
  EXPECT_EQ(refused.status, 403) << refused.body.substr(0, 300);
  EXPECT_EQ(IssueCode(refused.body), "forbidden");

  auto missing = Evaluate(*stats, "fast-lakarkontakt-andel", "");
  EXPECT_EQ(missing.status, 400) << missing.body.substr(0, 300);
  EXPECT_EQ(At(Parse(missing.body), "/resourceType"), "OperationOutcome");
  EXPECT_EQ(Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2025-13-01").status, 400);
  EXPECT_EQ(Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=yesterday").status, 400);
  EXPECT_EQ(Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01&subject=Patient/x").status, 400);

  auto unknown_subject =
      Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01&subject=Organization/ms-no-such-unit");
  EXPECT_EQ(unknown_subject.status, 404) << unknown_subject.body.substr(0, 300);
  EXPECT_EQ(Evaluate(*stats, "no-such-measure", "?periodEnd=2025-01-01").status, 404);
  // POST takes a Parameters body (docs/api.md section 1): "{}" is not one.
  EXPECT_EQ(stats->Request("POST", "/fhir/Measure/fast-lakarkontakt-andel/$evaluate-measure", "{}").status, 400);
}

// The type-level form of FHIR R4 (Measure/$evaluate-measure?measure=…), as generic statistics tools call
// it: the same report as the instance form, whichever of its names the parameter gives, by GET and POST.
TEST_F(MeasureE2e, TheTypeLevelFormGivesTheSameReport) {
  auto stats = Server::Shared().Client("statistics");
  const std::string query = "periodEnd=2025-01-01&subject=Organization/" + vc_;
  const Figures instance = FiguresOf(Evaluate(*stats, "fast-lakarkontakt-andel", "?" + query).body);
  ASSERT_EQ(instance.denominator, 5);
  std::string canonical;  // the url, percent-encoded as a query value
  for (const char ch : reg::kNr + "/Measure/fast-lakarkontakt-andel") {
    canonical += ch == ':' ? std::string("%3A") : ch == '/' ? std::string("%2F") : std::string(1, ch);
  }
  for (const std::string& name :
       {std::string("fast-lakarkontakt-andel"), std::string("Measure/fast-lakarkontakt-andel"), canonical}) {
    auto report = stats->Request("GET", "/fhir/Measure/$evaluate-measure?measure=" + name + "&" + query);
    ASSERT_EQ(report.status, 200) << name << ": " << report.body.substr(0, 600);
    EXPECT_EQ(At(Parse(report.body), "/measure"), reg::kNr + "/Measure/fast-lakarkontakt-andel");
    const Figures f = FiguresOf(report.body);
    EXPECT_EQ(f.numerator, instance.numerator) << name;
    EXPECT_EQ(f.denominator, instance.denominator) << name;
  }
  auto posted = stats->Request("POST", "/fhir/Measure/$evaluate-measure",
                               R"({"resourceType":"Parameters","parameter":[)"
                               R"({"name":"measure","valueString":"fast-lakarkontakt-andel"},)"
                               R"({"name":"periodEnd","valueDate":"2025-01-01"},)"
                               R"({"name":"subject","valueString":"Organization/)" +
                                   vc_ + R"("}]})");
  ASSERT_EQ(posted.status, 200) << posted.body.substr(0, 600);
  EXPECT_EQ(FiguresOf(posted.body).numerator, instance.numerator);

  EXPECT_EQ(stats->Request("GET", "/fhir/Measure/$evaluate-measure?" + query).status, 400);
  EXPECT_EQ(stats->Request("GET", "/fhir/Measure/$evaluate-measure?measure=no-such-measure&" + query).status, 404);
  auto ehr = Server::Shared().Client("ehr");
  EXPECT_EQ(ehr->Request("GET", "/fhir/Measure/$evaluate-measure?measure=fast-lakarkontakt-andel&" + query).status,
            403);
}

TEST_F(MeasureE2e, MeasuresAreReadableByEveryRole) {
  auto ehr = Server::Shared().Client("ehr");
  auto list = ehr->Request("GET", "/fhir/Measure");
  ASSERT_EQ(list.status, 200) << list.body.substr(0, 300);
  auto doc = Parse(list.body);
  EXPECT_EQ(At(doc, "/resourceType"), "Bundle");
  EXPECT_EQ(At(doc, "/type"), "searchset");
  EXPECT_EQ(At(doc, "/total"), "11");
  ASSERT_TRUE(doc["entry"].IsArray());
  EXPECT_EQ(doc["entry"].Size(), 11u);
  std::vector<std::string> ids;
  for (const auto& e : doc["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
  EXPECT_EQ(ids, (std::vector<std::string>{"fast-lakarkontakt-andel", "saebo-fast-lakarkontakt-andel",
                                           "fast-vardkontakt-andel", "listning-per-lakare", "patientkontrakt-antal",
                                           "kontinuitet-coc-lakare", "kontinuitet-coc-alla", "kontinuitet-upc",
                                           "kontinuitet-fast-lakare-andel", "hemsjukvard-fast-vardkontakt-andel",
                                           "hemsjukvard-sip-andel"}));

  auto stats = Server::Shared().Client("statistics");
  auto one = stats->Request("GET", "/fhir/Measure/saebo-fast-lakarkontakt-andel");
  ASSERT_EQ(one.status, 200) << one.body.substr(0, 300);
  auto measure = Parse(one.body);
  EXPECT_EQ(At(measure, "/resourceType"), "Measure");
  EXPECT_EQ(At(measure, "/url"), reg::kNr + "/Measure/saebo-fast-lakarkontakt-andel");
  EXPECT_EQ(At(measure, "/status"), "active");
  EXPECT_EQ(stats->Request("GET", "/fhir/Measure/no-such-measure").status, 404);

  // The CapabilityStatement advertises Measure with $evaluate-measure.
  auto metadata = ehr->Request("GET", "/fhir/metadata");
  ASSERT_EQ(metadata.status, 200);
  EXPECT_NE(metadata.body.find("\"type\":\"Measure\""), std::string::npos);
  EXPECT_NE(metadata.body.find("\"name\":\"evaluate-measure\""), std::string::npos);
}

TEST_F(MeasureE2e, ReportCommandPrintsTheSameFigures) {
  // For this world's vårdcentral: the same counts as computed from the data written above.
  auto [code, out] = testing::RunNara({"report", "--as-of", "2025-01-01", "--format", "csv", "--subject", vc_},
                                      Server::Shared().Env());
  ASSERT_EQ(code, 0) << out;
  ASSERT_EQ(out.rfind("\xEF\xBB\xBF", 0), 0u) << "no UTF-8 BOM";
  EXPECT_NE(out.find("Datum;Mått-id;Mått;Indelning;Id;Namn;Täljare;Nämnare;Värde;Mål\r\n"), std::string::npos) << out;
  // Three of the five residents have a fast läkarkontakt: 3 is under 5, so shown as <5 and the share hidden.
  auto total = CsvRow(out, "2025-01-01", "fast-lakarkontakt-andel", "", vc_);
  ASSERT_EQ(total.size(), 10u) << out;
  EXPECT_EQ(total[6], "<5");
  EXPECT_EQ(total[7], "5");
  EXPECT_EQ(total[8], "");
  EXPECT_EQ(total[9], "0,55");
  auto unit = CsvRow(out, "2025-01-01", "fast-lakarkontakt-andel", "Vårdcentral", vc_);
  ASSERT_EQ(unit.size(), 10u) << out;
  EXPECT_NE(unit[5].find("Test vardcentral"), std::string::npos) << "the unit by its name: " << unit[5];
  EXPECT_EQ(unit[6], "<5");
  EXPECT_EQ(unit[7], "5");
  auto listed = CsvRow(out, "2025-01-01", "listning-per-lakare", "", vc_);
  ASSERT_EQ(listed.size(), 10u) << out;
  EXPECT_EQ(listed[6], "5");
  EXPECT_EQ(listed[8], "5");  // 5 listed per 1.0 doctor FTE
  EXPECT_EQ(listed[9], "1100");
  // The trend: one line per earlier month end, the last one 2024-12-31.
  EXPECT_EQ(CsvRow(out, "2024-12-31", "fast-lakarkontakt-andel", "", "").size(), 10u) << out;

  // National: the same figures as $evaluate-measure without a subject (the database is quiet while
  // this test runs: gtest runs the tests of this binary one after the other).
  auto stats = Server::Shared().Client("statistics");
  const Figures national =
      FiguresOf(Evaluate(*stats, "fast-lakarkontakt-andel", "?periodEnd=2025-01-01").body);
  ASSERT_GE(national.denominator, 5);
  auto [ncode, nout] = testing::RunNara({"report", "--as-of", "2025-01-01", "--format", "csv"}, Server::Shared().Env());
  ASSERT_EQ(ncode, 0) << nout;
  auto row = CsvRow(nout, "2025-01-01", "fast-lakarkontakt-andel", "", "");
  ASSERT_EQ(row.size(), 10u) << nout;
  EXPECT_EQ(row[6], Published(national.numerator));
  EXPECT_EQ(row[7], Published(national.denominator));

  // JSON (to a file): an array of five MeasureReports.
  const std::string file = ::testing::TempDir() + "/nara-measure-report.json";
  auto [jcode, jout] = testing::RunNara(
      {"report", "--as-of", "2025-01-01", "--format", "json", "--subject", vc_, "--out", file}, Server::Shared().Env());
  ASSERT_EQ(jcode, 0) << jout;
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(file.c_str());
  rapidjson::Document reports;
  reports.Parse(text.c_str(), text.size());
  ASSERT_FALSE(reports.HasParseError()) << text.substr(0, 600);
  ASSERT_TRUE(reports.IsArray());
  ASSERT_EQ(reports.Size(), 11u);  // docs/api.md sections 5 and 11
  EXPECT_STREQ(reports[0]["resourceType"].GetString(), "MeasureReport");
  EXPECT_EQ(reports[0]["group"][0]["population"][2]["count"].GetInt64(), 3);
  EXPECT_EQ(reports[0]["group"][0]["population"][1]["count"].GetInt64(), 5);

  // HTML (rendered and checked in report_html_test.cpp) goes to stdout without --out.
  auto [hcode, hout] = testing::RunNara({"report", "--as-of", "2025-01-01", "--format", "html"}, Server::Shared().Env());
  EXPECT_EQ(hcode, 0) << hout;
  EXPECT_NE(hout.find("<svg id=\"chart-region\""), std::string::npos) << hout;
  auto [mcode, mout] = testing::RunNara({"report", "--format", "csv"}, Server::Shared().Env());
  EXPECT_EQ(mcode, 64) << mout;
}

// Audit rows of $report calls by a role (the audit table, read directly).
long ReportAuditRows(const std::string& role) {
  auto [code, out] = testing::Psql(Server::Shared().database_url(),
                                   "SELECT count(*) FROM audit_event WHERE action = 'operation' AND agent_role = '" +
                                       role + "'");
  EXPECT_EQ(code, 0) << out;
  return std::stol(out);
}

TEST_F(MeasureE2e, ReportPageForStatisticsAndAdminOnly) {
  auto stats = Server::Shared().Client("statistics");
  const long audited_before = ReportAuditRows("statistics");
  const std::string path = "/fhir/$report?periodEnd=2025-01-01&subject=Organization/" + vc_;
  auto page = stats->Request("GET", path);
  ASSERT_EQ(page.status, 200) << page.body.substr(0, 600);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(page.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.body.find("Test vardcentral " + vc_), std::string::npos) << "the subject by its name";
  EXPECT_NE(page.body.find("id=\"suppression\""), std::string::npos);
  EXPECT_NE(page.body.find("&lt;5"), std::string::npos) << "3 of 5 with a fast läkarkontakt is shown as <5";
  EXPECT_NE(page.body.find("<svg id=\"trend-kontinuitet-coc-lakare\""), std::string::npos);
  EXPECT_GT(ReportAuditRows("statistics"), audited_before) << "$report is audited";

  // The same page as the command writes (apart from the generation time).
  auto [code, out] = testing::RunNara({"report", "--as-of", "2025-01-01", "--format", "html", "--subject", vc_},
                                      Server::Shared().Env());
  ASSERT_EQ(code, 0) << out;
  const auto without_time = [](std::string html) {
    const auto at = html.find("Rapporten skapad:");
    return at == std::string::npos ? html : html.substr(0, at) + html.substr(html.find("</div>", at));
  };
  EXPECT_EQ(without_time(page.body), without_time(out));

  // CSV for Excel.
  auto csv = stats->Request("GET", path + "&_format=csv");
  ASSERT_EQ(csv.status, 200) << csv.body.substr(0, 600);
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF" "Datum;", 0), 0u);
  EXPECT_EQ(CsvRow(csv.body, "2025-01-01", "fast-lakarkontakt-andel", "", vc_).at(7), "5");

  // admin too; the other roles are refused.
  EXPECT_EQ(Server::Shared().Client("admin")->Request("GET", path).status, 200);
  for (const char* role : {"ehr", "municipality", "citizen-portal"}) {
    EXPECT_EQ(Server::Shared().Client(role)->Request("GET", path).status, 403) << role;
  }
  // Bad input: an OperationOutcome, Swedish first.
  auto missing = stats->Request("GET", "/fhir/$report");
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_NE(missing.body.find("periodEnd"), std::string::npos);
  EXPECT_EQ(stats->Request("GET", "/fhir/$report?periodEnd=2025-13-01").status, 400);
  EXPECT_EQ(stats->Request("GET", "/fhir/$report?periodEnd=2025-01-01&subject=Organization/nope").status, 404);

  // Advertised.
  auto metadata = stats->Request("GET", "/fhir/metadata");
  EXPECT_NE(metadata.body.find("\"name\":\"report\""), std::string::npos);
}

}  // namespace
}  // namespace nara::e2e
