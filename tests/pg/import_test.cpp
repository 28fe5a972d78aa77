// nara import (app/tools/import.*, pg/pg_import.*) against a real PostgreSQL: a synthetic
// population lands in the same tables the write path fills and reads back through the API exactly;
// a file with one bad line imports nothing; `nara synth | nara import -` works end to end.
#include "app/tools/import.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "app/tools/synth.h"
#include "fhir/http/router.h"
#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "tests/pg/admin_request.h"
#include "tests/pg/migrated_database.h"
#include "tests/support/pg_cluster.h"

namespace nara::app {
namespace {

using nara::testing::PgCluster;
using nara::testing::Psql;
using nara::testing::RunShell;
using nara::testing::ShellQuote;

std::string Synth(long people, uint64_t seed = 11) {
  SynthOptions options;
  options.people = people;
  options.seed = seed;
  options.out = "-";
  std::ostringstream out;
  EXPECT_TRUE(WriteSynth(options, out));
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text.substr(0, 200);
  return doc;
}

// The index of the first line matching `pattern` (-1 if none).
int Find(const std::vector<std::string>& lines, const std::string& pattern) {
  const std::regex re(pattern);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (std::regex_search(lines[i], re)) return static_cast<int>(i);
  }
  return -1;
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("import");
  }

  Result<ImportSummary> Import(const std::string& text) {
    std::istringstream in(text);
    ImportFileOptions options;
    options.database_url = url_;
    options.log_progress = false;
    return ImportStream(in, text.size(), options);
  }

  long Count(const std::string& sql) {
    auto [status, out] = Psql(url_, sql);
    EXPECT_EQ(status, 0) << out;
    return std::stol(out);
  }

  fhir::HttpResponse Get(fhir::FhirApi& api, const std::string& path, fhir::QueryParams query = {}) {
    return api.Handle(nara::testing::AdminRequest("GET", path, "", std::move(query)));
  }

  // Imports `text`, expects it refused with `code` naming line `line`, and nothing in the database.
  void ExpectRefused(const std::string& text, const std::string& code, int line) {
    auto result = Import(text);
    ASSERT_FALSE(result) << "expected " << code;
    EXPECT_EQ(result.error().detail_code, code) << result.error().text;
    EXPECT_TRUE(std::regex_search(result.error().text, std::regex("^rad " + std::to_string(line) + "[^0-9]")))
        << result.error().text;
    EXPECT_EQ(Count("SELECT count(*) FROM resource_version"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM registry_patient"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM search_token"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM unique_identifier"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM audit_event"), 0);
  }

  std::string url_;
};

TEST_F(ImportTest, ASynthPopulationLandsInEveryTableAndReadsBackThroughTheApi) {
  const std::string text = Synth(3000);
  const auto lines = Lines(text);
  std::map<std::string, long> per_type;
  long listings = 0, residencies = 0, home_care = 0, sips = 0, careteams = 0;
  for (const auto& line : lines) {
    const auto doc = Parse(line);
    const std::string type = doc["resourceType"].GetString();
    ++per_type[type];
    if (type == "EpisodeOfCare") {
      const bool saebo = line.find("\"code\":\"saebo\"") != std::string::npos;
      const bool home = line.find("\"code\":\"hemsjukvard\"") != std::string::npos;
      (saebo ? residencies : home ? home_care : listings)++;
      sips += line.find("/StructureDefinition/sip\"") != std::string::npos;
    }
    if (type == "CareTeam") ++careteams;
  }
  // A bulk load rebuilds secondary indexes after the COPY: the same indexes must be there afterwards.
  const std::string index_list =
      "SELECT string_agg(indexname || ' ' || indexdef, '; ' ORDER BY indexname) FROM pg_indexes "
      "WHERE schemaname = 'public'";
  const auto indexes_before = Psql(url_, index_list);
  auto summary = Import(text);
  ASSERT_TRUE(summary) << summary.error().text;
  EXPECT_EQ(Psql(url_, index_list), indexes_before);
  EXPECT_EQ(summary->lines, static_cast<long>(lines.size()));
  EXPECT_EQ(summary->resources, per_type);
  for (const auto& [type, count] : per_type) {
    EXPECT_EQ(Count("SELECT count(*) FROM resource_current WHERE res_type = '" + type + "' AND version = 1"), count)
        << type;
    EXPECT_EQ(Count("SELECT count(*) FROM resource_version WHERE res_type = '" + type + "'"), count) << type;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM registry_patient"), per_type["Patient"]);
  // Person identifiers, the Encounters' contact ids (docs/api.md section 11) and the units' and
  // practitioners' HSA-ids (section 2; every synthetic one has one).
  EXPECT_EQ(Count("SELECT count(*) FROM unique_identifier"),
            per_type["Patient"] + per_type["Encounter"] + per_type["Organization"] + per_type["Practitioner"]);
  EXPECT_GT(per_type["Encounter"], 0);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_visit"), per_type["Encounter"]);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_unit"), per_type["Organization"]);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_role"), per_type["PractitionerRole"]);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_listing WHERE kind = 'listning'"), listings);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_listing WHERE kind = 'saebo'"), residencies);
  // Hemsjukvård with its SIP dates (docs/api.md section 11).
  EXPECT_GT(home_care, 0);
  EXPECT_GT(sips, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_listing WHERE kind = 'hemsjukvard'"), home_care);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_listing WHERE kind = 'hemsjukvard' AND sip_date IS NOT NULL"), sips);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_contact"), careteams);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_event WHERE action = 'create' AND agent_name = 'nara import (command "
                  "line)' AND detail LIKE '%Patient " + std::to_string(per_type["Patient"]) + "%'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_unit WHERE type = 'vardcentral' AND serves_saebo <> '{}'"), 290);

  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  // The API reads an imported resource as the file had it, with version 1 meta.
  const int patient_line = Find(lines, "\"resourceType\":\"Patient\",\"id\":\"p-1\"");
  ASSERT_GE(patient_line, 0);
  const auto read = Get(api, "/Patient/p-1");
  ASSERT_EQ(read.status, 200) << read.body;
  auto stored = Parse(read.body);
  EXPECT_EQ(std::string(stored["meta"]["versionId"].GetString()), "1");
  stored.RemoveMember("meta");
  stored.RemoveMember("generalPractitioner");  // derived on read from the listing and the doctor
  EXPECT_TRUE(stored == Parse(lines[patient_line])) << read.body;
  // The search index: the patient's episodes are found by reference.
  const auto search = Get(api, "/EpisodeOfCare", {{"patient", "Patient/p-1"}});
  ASSERT_EQ(search.status, 200);
  const long in_file = std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"resourceType\":\"EpisodeOfCare\"") != std::string::npos &&
           l.find("\"patient\":{\"reference\":\"Patient/p-1\"}") != std::string::npos;
  });
  EXPECT_EQ(Parse(search.body)["total"].GetInt64(), in_file);
  // The typed tables: a doctor's $list-status counts the imported active fast läkarkontakter.
  const int contact = Find(lines, "\"status\":\"active\".*\"code\":\"2\"");
  ASSERT_GE(contact, 0);
  const std::string role = std::regex_replace(
      lines[contact], std::regex(".*PractitionerRole/([^\"]+)\".*"), "$1");
  const long active_on_role = std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find("\"status\":\"active\"") != std::string::npos &&
           l.find("PractitionerRole/" + role + "\"") != std::string::npos && l.find("\"code\":\"2\"") != std::string::npos;
  });
  const auto status = Get(api, "/PractitionerRole/" + role + "/$list-status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_NE(status.body.find("\"name\":\"listed\",\"valueInteger\":" + std::to_string(active_on_role)),
            std::string::npos)
      << status.body;

  // Importing the same file again creates nothing: every id exists (the registry was not empty).
  auto again = Import(text);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().detail_code, "already-exists");
  EXPECT_EQ(Count("SELECT count(*) FROM resource_version"), static_cast<long>(lines.size()));
}

// COPY's text format gives backslash, tab and newline a meaning: JSON escapes in a name must come
// back exactly (and be found by the name search).
// The import records each resource's index digests (schema/0020) and its row values (schema/0022) as a
// write would: a next version
// with the same index values records the same ones, so an imported resource's next version, too,
// rewrites only the index tables whose rows change.
TEST_F(ImportTest, TheIndexDigestsAreThoseAWriteRecords) {
  auto summary = Import(Join(Lines(Synth(200))));
  ASSERT_TRUE(summary) << summary.error().text;
  const std::string id = nara::testing::PsqlValue(
      url_, "SELECT res_id FROM resource_current WHERE res_type = 'CareTeam' ORDER BY res_id LIMIT 1");
  const auto digests = [&] {
    return nara::testing::PsqlValue(url_,
                                    "SELECT coalesce(index_digests::text, 'NULL') || ' ' || "
                                    "concat_ws(' ', row_token_system, row_token_code, row_period, "
                                    "row_values_version = version) FROM resource_current "
                                    "WHERE res_type = 'CareTeam' AND res_id = '" +
                                        id + "'");
  };
  const std::string imported = digests();
  EXPECT_EQ(imported.rfind("NULL", 0), std::string::npos);
  EXPECT_EQ(imported.rfind("{\"\",\"\",\"\",\"\",", 0), std::string::npos);  // a care team has index rows
  // Its status and period on its current row (schema/0022), as a write puts them.
  EXPECT_TRUE(std::regex_search(imported, std::regex("\\} http://hl7\\.org/fhir/care-team-status [a-z-]+ \\[.*\\) t$")))
      << imported;
  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  const auto read = Get(api, "/CareTeam/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  // A change no search parameter looks at, so a new version with the same index values.
  const std::string changed = std::regex_replace(read.body, std::regex("^\\{\"resourceType\":\"CareTeam\","),
                                                 "{\"resourceType\":\"CareTeam\",\"name\":\"Fast läkarkontakt\",");
  ASSERT_NE(changed, read.body);
  const auto written = api.Handle(nara::testing::AdminRequest("PUT", "/CareTeam/" + id, changed));
  ASSERT_EQ(written.status, 200) << written.body;
  EXPECT_EQ(Count("SELECT version FROM resource_current WHERE res_type = 'CareTeam' AND res_id = '" + id + "'"), 2);
  EXPECT_EQ(digests(), imported);
}

TEST_F(ImportTest, EscapedCharactersSurviveTheCopy) {
  auto lines = Lines(Synth(200));
  const int patient = Find(lines, "\"resourceType\":\"Patient\",\"id\":\"p-1\"");
  ASSERT_GE(patient, 0);
  lines[patient] = std::regex_replace(lines[patient], std::regex("\"family\":\"[^\"]*\""),
                                      R"("family":"Ö\"Brien\\x\ty\nz")");
  auto summary = Import(Join(lines));
  ASSERT_TRUE(summary) << summary.error().text;
  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  const auto read = Get(api, "/Patient/p-1");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(std::string(Parse(read.body)["name"][0]["family"].GetString()), "Ö\"Brien\\x\ty\nz");
  const auto found = Get(api, "/Patient", {{"family", "ö\"brien"}});
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(Parse(found.body)["total"].GetInt64(), 1) << found.body;
}

TEST_F(ImportTest, ABadPersonnummerImportsNothing) {
  auto lines = Lines(Synth(400));
  const int patient = Find(lines, "\"resourceType\":\"Patient\"");
  ASSERT_GE(patient, 0);
  // Change the check digit (the 12th digit) of the first patient's personnummer.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lines[patient], m, std::regex("\"value\":\"(\\d{11})(\\d)\"")));
  const char wrong = static_cast<char>('0' + (m[2].str()[0] - '0' + 1) % 10);
  lines[patient] = m.prefix().str() + "\"value\":\"" + m[1].str() + wrong + "\"" + m.suffix().str();
  ExpectRefused(Join(lines), "value", patient + 1);
}

TEST_F(ImportTest, ADoctorOverCapacityImportsNothing) {
  auto lines = Lines(Synth(400));
  const int contact = Find(lines, "\"status\":\"active\".*\"code\":\"2\"");
  ASSERT_GE(contact, 0);
  const std::string role =
      std::regex_replace(lines[contact], std::regex(".*PractitionerRole/([^\"]+)\".*"), "$1");
  const int role_line = Find(lines, "\"resourceType\":\"PractitionerRole\",\"id\":\"" + role + "\"");
  ASSERT_GE(role_line, 0);
  lines[role_line] = std::regex_replace(lines[role_line], std::regex("\"valueInteger\":\\d+"), "\"valueInteger\":0");
  // The last active fast läkarkontakt on the role is the line named.
  int last = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("\"status\":\"active\"") != std::string::npos &&
        lines[i].find("PractitionerRole/" + role + "\"") != std::string::npos) {
      last = static_cast<int>(i);
    }
  }
  ExpectRefused(Join(lines), "list-full", last + 1);
}

TEST_F(ImportTest, TwoActiveListingsImportNothing) {
  auto lines = Lines(Synth(400));
  const int listing = Find(lines, "\"id\":\"p-[0-9]+-l1\",\"status\":\"active\"");
  ASSERT_GE(listing, 0);
  std::string second = std::regex_replace(lines[listing], std::regex("-l1\""), "-extra\"");
  second = std::regex_replace(second, std::regex("\"start\":\"[0-9-]+\""), "\"start\":\"2026-06-01\"");
  lines.push_back(second);
  ExpectRefused(Join(lines), "overlapping-period", static_cast<int>(lines.size()));
}

// Hemsjukvård (docs/api.md section 11) is at a unit of type hemsjukvard: one at a vårdcentral imports nothing.
TEST_F(ImportTest, HomeCareAtAVardcentralImportsNothing) {
  auto lines = Lines(Synth(400));
  const int listing = Find(lines, "\"id\":\"p-[0-9]+-l1\",\"status\":\"active\"");
  ASSERT_GE(listing, 0);
  std::string home = std::regex_replace(lines[listing], std::regex("-l1\""), "-hx\"");
  home = std::regex_replace(home, std::regex("\"code\":\"listning\""), "\"code\":\"hemsjukvard\"");
  lines.push_back(home);
  ExpectRefused(Join(lines), "not-a-hemsjukvard", static_cast<int>(lines.size()));
}

TEST_F(ImportTest, ADuplicatePersonnummerAndAnUnknownReferenceImportNothing) {
  const auto lines = Lines(Synth(400));
  const int patient = Find(lines, "\"resourceType\":\"Patient\",\"id\":\"p-1\"");
  ASSERT_GE(patient, 0);
  auto duplicate = lines;
  duplicate.push_back(std::regex_replace(lines[patient], std::regex("\"id\":\"p-1\""), "\"id\":\"p-copy\""));
  ExpectRefused(Join(duplicate), "duplicate-identifier", static_cast<int>(duplicate.size()));

  auto dangling = lines;
  const int contact = Find(lines, "\"resourceType\":\"CareTeam\"");
  ASSERT_GE(contact, 0);
  dangling[contact] = std::regex_replace(lines[contact], std::regex("PractitionerRole/[^\"]+\""),
                                         "PractitionerRole/no-such-role\"");
  ExpectRefused(Join(dangling), "unknown-reference", contact + 1);
}

// An HSA-id names one unit (docs/api.md section 2): a second Organization with one imports nothing,
// and the message says which identifier it is.
TEST_F(ImportTest, AnHsaIdTwiceImportsNothing) {
  const auto lines = Lines(Synth(400));
  ASSERT_NE(lines[0].find("\"resourceType\":\"Organization\""), std::string::npos) << lines[0];
  ASSERT_NE(lines[0].find("urn:oid:1.2.752.29.4.19"), std::string::npos) << lines[0];
  auto twice = lines;
  twice.push_back(std::regex_replace(lines[0], std::regex("\"id\":\"([^\"]+)\""), "\"id\":\"$1-copy\"",
                                     std::regex_constants::format_first_only));
  ExpectRefused(Join(twice), "duplicate-identifier", static_cast<int>(twice.size()));
  auto refused = Import(Join(twice));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().text.find("samma HSA-id som rad 1 (the same HSA-id as an earlier line)"), std::string::npos)
      << refused.error().text;
}

// The same id twice names the second line; an id the registry already holds names its line. Rows are
// streamed into the database while later lines are still being validated, so these also pin that a
// refused file leaves nothing behind.
TEST_F(ImportTest, AnIdTwiceOrAlreadyStoredImportsNothing) {
  const auto lines = Lines(Synth(400));
  const int patient = Find(lines, "\"resourceType\":\"Patient\",\"id\":\"p-1\"");
  ASSERT_GE(patient, 0);
  auto twice = lines;
  twice.push_back(lines[patient]);
  ExpectRefused(Join(twice), "duplicate-id", static_cast<int>(twice.size()));

  const std::string organization = lines[0];
  ASSERT_TRUE(Import(organization + "\n"));
  auto stored = Import("\n" + organization + "\n");
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().detail_code, "already-exists");
  EXPECT_TRUE(std::regex_search(stored.error().text, std::regex("^rad 2 \\(Organization/"))) << stored.error().text;
  EXPECT_EQ(Count("SELECT count(*) FROM resource_version"), 1);

  // A personnummer the registry holds, on a patient with a new id.
  const std::string patient_line = lines[patient];
  ASSERT_TRUE(Import(patient_line + "\n"));
  auto in_use = Import(std::regex_replace(patient_line, std::regex("\"id\":\"p-1\""), "\"id\":\"p-new\"") + "\n");
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().detail_code, "identifier-in-use");
  EXPECT_TRUE(std::regex_search(in_use.error().text, std::regex("^rad 1 \\(Patient/p-new\\)"))) << in_use.error().text;
  EXPECT_EQ(Count("SELECT count(*) FROM resource_version"), 2);
}

// Rows go to the database a batch at a time while later lines are validated: an id repeated early in a
// file of two batches is still named by its line, and nothing of either batch stays.
TEST_F(ImportTest, AnIdRepeatedInTheFirstOfTwoBatchesImportsNothing) {
  auto lines = Lines(Synth(2000));
  ASSERT_GT(lines.size(), 8192u);  // more than one batch of app/tools/import.cpp
  lines.insert(lines.begin() + 1, lines[0]);
  ExpectRefused(Join(lines), "duplicate-id", 2);
}

// Every line is validated before any registry rule is checked: a bad line late in the file is named
// even when an earlier line repeats an id (more lines than one batch of validation, too).
TEST_F(ImportTest, AnInvalidLineIsNamedBeforeARepeatedId) {
  auto lines = Lines(Synth(3000));
  ASSERT_GT(lines.size(), 10000u);
  lines.insert(lines.begin() + 1, lines[0]);
  lines.push_back(R"({"resourceType":"Patient","id":"p-late","birthDate":"not a date"})");
  auto result = Import(Join(lines));
  ASSERT_FALSE(result);
  EXPECT_TRUE(std::regex_search(result.error().text, std::regex("^rad " + std::to_string(lines.size()) + ": ")))
      << result.error().text;
  EXPECT_NE(result.error().text.find("inget importerades (line " + std::to_string(lines.size()) +
                                     ": nothing was imported)"),
            std::string::npos)
      << result.error().text;
  EXPECT_EQ(Count("SELECT count(*) FROM resource_version"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM search_token"), 0);
}

TEST_F(ImportTest, SynthPipedIntoImportOnTheCommandLine) {
  const std::string env = "NARA_DATABASE_URL=" + ShellQuote(url_) + " ";
  const std::string nara = ShellQuote(NARA_BINARY);
  auto [status, out] = RunShell(env + nara + " synth --people 300 --seed 5 --out - | " + env + nara + " import -");
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("\"event\":\"import.done\""), std::string::npos) << out;
  EXPECT_EQ(Count("SELECT count(*) FROM registry_patient"), 300);
  // A refused file: exit 1, the reason on stderr, nothing imported.
  auto [bad_status, bad_out] = RunShell("printf '%s\\n' '{\"resourceType\":\"Patient\"}' | " + env + nara + " import -");
  EXPECT_EQ(bad_status, 1) << bad_out;
  EXPECT_NE(bad_out.find("rad 1"), std::string::npos) << bad_out;
  EXPECT_EQ(Count("SELECT count(*) FROM registry_patient"), 300);
}

}  // namespace
}  // namespace nara::app

namespace nara::app {
namespace {

// docs/api.md section 11: `nara import` takes Encounter lines (the COPY path) into registry_visit; a
// contact id given twice imports nothing.
TEST_F(ImportTest, EncountersLandInTheVisitTableAndADuplicateContactIdImportsNothing) {
  auto lines = Lines(Synth(200));
  const int listing = Find(lines, "\"id\":\"p-1-l1\"");
  ASSERT_GE(listing, 0);
  const std::string unit =
      std::regex_replace(lines[listing], std::regex(".*\"managingOrganization\":\\{\"reference\":\"Organization/([^\"]+)\".*"), "$1");
  ASSERT_NE(unit, lines[listing]);
  const auto encounter = [&](const std::string& id, const std::string& contact, const std::string& date) {
    return R"({"resourceType":"Encounter","id":")" + id +
           R"(","identifier":[{"system":"urn:oid:1.2.752.129.2.1.2.99","value":")" + contact +
           R"("}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"VR"},)"
           R"("subject":{"reference":"Patient/p-1"},"serviceProvider":{"reference":"Organization/)" + unit +
           R"("},"period":{"start":")" + date + R"("}})";
  };
  auto with_visits = lines;
  with_visits.push_back(encounter("e-1", "k-1", "2026-01-10"));
  with_visits.push_back(encounter("e-2", "k-2", "2026-02-10T09:30:00+01:00"));
  auto duplicate = with_visits;
  duplicate.push_back(encounter("e-3", "k-2", "2026-03-10"));
  ExpectRefused(Join(duplicate), "duplicate-identifier", static_cast<int>(duplicate.size()));

  auto summary = Import(Join(with_visits));
  ASSERT_TRUE(summary) << summary.error().text;
  EXPECT_EQ(Count("SELECT count(*) FROM registry_visit WHERE patient_id = 'p-1' AND class = 'VR' AND "
                  "status = 'finished' AND unit_id = '" + unit + "'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM registry_visit WHERE encounter_id = 'e-2' AND visit_date = '2026-02-10'"), 1);
  pg::PgStore store(url_, 2);
  fhir::FhirApi api(store, fhir::ApiOptions{});
  const auto found = Get(api, "/Encounter", {{"identifier", "urn:oid:1.2.752.129.2.1.2.99|k-2"}});
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(Parse(found.body)["total"].GetInt64(), 1) << found.body;
}

}  // namespace
}  // namespace nara::app
