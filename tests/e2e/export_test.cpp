// Bulk Data $export end to end (docs/api.md section 5, fhir/operations/bulk_export.h): the real `nara serve` over real
// mutual TLS, driven as a Bulk Data client would — kick-off, poll Content-Location until the manifest,
// download every file, parse every NDJSON line and count per type against what the test wrote.
//
// On the shared server: system level (against the registry's own counts), Patient level with _type and
// _since, both kinds of virtual Group, bad parameters, the roles (ehr, municipality, citizen-portal 403),
// ownership (another caller never sees the job or its files), DELETE, and the PDL audit records.
// On a server of the test's own (export.max-jobs = 2): while a table lock held by the test keeps a job
// running, the third kick-off is 429; SIGTERM does not hang on the running export; the job survives a
// graceful stop and a kill -9 and completes after the restart; completed files survive a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/scrape.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/server_process.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

using reg::World;
namespace fs = std::filesystem;

const std::map<std::string, std::string> kAsync = {{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}};

// The path below the host of an absolute URL the server gave (Content-Location, manifest urls).
std::string PathOf(const std::string& url) {
  const auto at = url.find("/fhir/");
  return at == std::string::npos ? url : url.substr(at);
}

using testing::PsqlValue;

// Kick-off: 202 with a Content-Location; returns the status path ("" after a failed expectation).
std::string KickOff(testing::TlsClient& client, const std::string& path) {
  auto result = client.Request("GET", path, "", kAsync);
  EXPECT_EQ(result.status, 202) << path << ": " << result.error << result.body.substr(0, 400);
  if (result.status != 202) return "";
  const std::string location = result.headers["content-location"];
  EXPECT_NE(location.find("/fhir/$export-status/"), std::string::npos) << location;
  return PathOf(location);
}

// Polls until the job is no longer running; every 202 on the way must carry X-Progress and Retry-After.
// Bounded by a number of polls, not by time.
testing::HttpResult PollDone(testing::TlsClient& client, const std::string& status_path, int max_polls = 1200) {
  testing::HttpResult result;
  for (int i = 0; i < max_polls; ++i) {
    result = client.Request("GET", status_path);
    if (result.status != 202) return result;
    EXPECT_FALSE(result.headers["x-progress"].empty());
    EXPECT_FALSE(result.headers["retry-after"].empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << status_path << " still running after " << max_polls << " polls";
  return result;
}

// Downloads every file of a manifest: per type, the ids of the resources, checking that each line is
// one JSON resource of the file's type and that the manifest's count is the number of lines.
std::map<std::string, std::vector<std::string>> Download(testing::TlsClient& client, const std::string& manifest) {
  std::map<std::string, std::vector<std::string>> out;
  auto doc = Parse(manifest);
  EXPECT_TRUE(doc.IsObject() && doc.HasMember("output") && doc["output"].IsArray()) << manifest.substr(0, 300);
  if (!doc.IsObject() || !doc.HasMember("output")) return out;
  for (const auto& file : doc["output"].GetArray()) {
    const std::string type = file["type"].GetString();
    auto result = client.Request("GET", PathOf(file["url"].GetString()), "", {{"Accept", "application/fhir+ndjson"}});
    EXPECT_EQ(result.status, 200) << file["url"].GetString() << " " << result.body.substr(0, 300);
    EXPECT_EQ(result.headers["content-type"], "application/fhir+ndjson");
    size_t start = 0;
    long lines = 0;
    while (start < result.body.size()) {
      size_t end = result.body.find('\n', start);
      EXPECT_NE(end, std::string::npos) << "every line ends with a newline";
      if (end == std::string::npos) end = result.body.size();
      rapidjson::Document line;
      line.Parse(result.body.c_str() + start, end - start);
      EXPECT_FALSE(line.HasParseError()) << result.body.substr(start, std::min<size_t>(end - start, 200));
      if (!line.HasParseError()) {
        EXPECT_EQ(At(line, "/resourceType"), type);
        EXPECT_FALSE(At(line, "/meta/versionId").empty());
        out[type].push_back(At(line, "/id"));
      }
      ++lines;
      start = end + 1;
    }
    EXPECT_EQ(lines, file["count"].GetInt64()) << type;
  }
  return out;
}

// The whole client flow: kick off, poll, check the manifest's frame, download.
std::map<std::string, std::vector<std::string>> Export(testing::TlsClient& client, const std::string& path,
                                                       std::string* job_status_path = nullptr) {
  const std::string status_path = KickOff(client, path);
  if (status_path.empty()) return {};
  if (job_status_path) *job_status_path = status_path;
  auto done = PollDone(client, status_path);
  EXPECT_EQ(done.status, 200) << done.body.substr(0, 400);
  // Bulk Data 2.0: the manifest is application/json (it is not a FHIR resource).
  EXPECT_EQ(done.headers["content-type"].find("application/json"), 0u) << done.headers["content-type"];
  auto manifest = Parse(done.body);
  EXPECT_EQ(At(manifest, "/transactionTime").size(), 24u) << done.body.substr(0, 200);
  // The kick-off URL (its query re-encoded, equivalent).
  const std::string request_path = path.substr(5, path.find('?') - 5);
  EXPECT_NE(At(manifest, "/request").find("/fhir" + request_path), std::string::npos) << At(manifest, "/request");
  EXPECT_TRUE(manifest.HasMember("requiresAccessToken") && manifest["requiresAccessToken"].GetBool());
  EXPECT_TRUE(manifest.HasMember("error") && manifest["error"].IsArray() && manifest["error"].Empty());
  return Download(client, done.body);
}

std::set<std::string> AsSet(const std::vector<std::string>& ids) { return {ids.begin(), ids.end()}; }

std::string JobId(const std::string& status_path) { return status_path.substr(status_path.rfind('/') + 1); }

// A small population: two vårdcentraler, a kommun with a SÄBO, listings, a fast läkarkontakt and a
// Patientkontrakt at vc-a, two SÄBO residents listed at vc-b.
struct Population {
  std::string vc_a, vc_b, kommun;
  std::vector<std::string> listed_a, listed_b, saebo_residents;
  std::vector<std::string> episodes_a, episodes_b;  // every EpisodeOfCare of the patients listed there
  std::vector<std::string> careteams_a, contracts_a;
  std::vector<std::string> encounters_a;  // a visit of listed_a[0] with the doctor (docs/api.md section 11)
};

Population Build(World& w) {
  Population p;
  const std::string saebo = w.Saebo("saebo");
  p.kommun = w.Kommun();
  p.vc_a = w.Vardcentral("vc-a");
  p.vc_b = w.Vardcentral("vc-b", {saebo});
  const std::string doctor = w.Staff("dr-a", p.vc_a);
  for (int i = 0; i < 3; ++i) {
    const std::string patient = w.Patient("pa" + std::to_string(i));
    World::Require(w.List(w.Id("la" + std::to_string(i)), patient, p.vc_a, "2025-01-01"), "listing");
    p.listed_a.push_back(patient);
    p.episodes_a.push_back(w.Id("la" + std::to_string(i)));
  }
  World::Require(w.Contact(w.Id("ct-a0"), p.listed_a[0], doctor, p.vc_a, "2025-02-01"), "fast läkarkontakt");
  p.careteams_a.push_back(w.Id("ct-a0"));
  World::Put(w.ehr(), "DocumentReference", w.Id("doc-a0"),
             reg::ContractJson(w.Id("doc-a0"), p.listed_a[0], p.vc_a, w.Id("ct-a0")));
  p.contracts_a.push_back(w.Id("doc-a0"));
  const std::string encounter = w.Id("enc-a0");
  World::Put(w.ehr(), "Encounter", encounter,
             R"({"resourceType":"Encounter","id":")" + encounter +
                 R"(","identifier":[{"system":"urn:oid:1.2.752.129.2.1.2.99","value":")" + encounter +
                 R"("}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
                 R"("code":"AMB"},"subject":)" + reg::Ref("Patient/" + p.listed_a[0]) + R"(,"serviceProvider":)" +
                 reg::Ref("Organization/" + p.vc_a) +
                 R"(,"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/)"
                 R"(v3-ParticipationType","code":"PPRF"}]}],"individual":)" + reg::Ref("PractitionerRole/" + doctor) +
                 R"(}],"period":{"start":"2025-03-03T09:00:00+01:00"}})");
  p.encounters_a.push_back(encounter);
  for (int i = 0; i < 2; ++i) {
    const std::string patient = w.Patient("pb" + std::to_string(i));
    World::Require(w.List(w.Id("lb" + std::to_string(i)), patient, p.vc_b, "2025-01-01"), "listing");
    World::Require(w.MoveIntoSaebo(w.Id("sb" + std::to_string(i)), patient, saebo, "2025-03-01"), "saebo");
    p.listed_b.push_back(patient);
    p.saebo_residents.push_back(patient);
    p.episodes_b.push_back(w.Id("lb" + std::to_string(i)));
    p.episodes_b.push_back(w.Id("sb" + std::to_string(i)));
  }
  return p;
}

// on the shared server

TEST(Export, GroupsExportExactlyTheirPatientsAndTheirData) {
  World w("exp-grp");
  const Population p = Build(w);
  auto stats = Server::Shared().Client("statistics");

  auto group = stats->Request("GET", "/fhir/Group/listed-" + p.vc_a);
  ASSERT_EQ(group.status, 200) << group.body;
  auto doc = Parse(group.body);
  EXPECT_EQ(At(doc, "/resourceType"), "Group");
  EXPECT_FALSE(doc["actual"].GetBool());
  EXPECT_EQ(At(doc, "/type"), "person");
  EXPECT_EQ(doc["quantity"].GetInt(), 3);
  EXPECT_EQ(At(doc, "/characteristic/0/valueReference/reference"), "Organization/" + p.vc_a);
  auto groups = stats->Request("GET", "/fhir/Group");
  ASSERT_EQ(groups.status, 200);
  EXPECT_TRUE(reg::Contains(reg::EntryRefs(groups.body), "Group/saebo-" + p.kommun));
  EXPECT_EQ(stats->Request("GET", "/fhir/Group/listed-" + p.kommun).status, 404) << "a kommun lists nobody";
  EXPECT_EQ(stats->Request("GET", "/fhir/Group/listed-" + p.kommun + "/$export", "", kAsync).status, 404);

  auto listed = Export(*stats, "/fhir/Group/listed-" + p.vc_a + "/$export");
  EXPECT_EQ(AsSet(listed["Patient"]), AsSet(p.listed_a));
  EXPECT_EQ(AsSet(listed["EpisodeOfCare"]), AsSet(p.episodes_a));
  EXPECT_EQ(AsSet(listed["CareTeam"]), AsSet(p.careteams_a));
  EXPECT_EQ(AsSet(listed["DocumentReference"]), AsSet(p.contracts_a));
  EXPECT_EQ(AsSet(listed["Encounter"]), AsSet(p.encounters_a)) << "the visits are in the Patient compartment";
  EXPECT_EQ(listed.count("Organization"), 0u) << "the default of a Group export is the Patient compartment";

  auto saebo = Export(*stats, "/fhir/Group/saebo-" + p.kommun + "/$export");
  EXPECT_EQ(AsSet(saebo["Patient"]), AsSet(p.saebo_residents));
  EXPECT_EQ(AsSet(saebo["EpisodeOfCare"]), AsSet(p.episodes_b)) << "their listings and SÄBO residencies";
  EXPECT_EQ(saebo.count("CareTeam"), 0u);
  EXPECT_EQ(saebo.count("Encounter"), 0u) << "the SÄBO residents have no visits";

  // _type=Encounter alone: the group's visits only.
  auto visits = Export(*stats, "/fhir/Group/listed-" + p.vc_a + "/$export?_type=Encounter");
  EXPECT_EQ(visits.size(), 1u);
  EXPECT_EQ(AsSet(visits["Encounter"]), AsSet(p.encounters_a));
}

TEST(Export, SystemLevelHasEveryCurrentResourceOnceAndIsAudited) {
  World w("exp-sys");
  const Population p = Build(w);
  // A deleted patient is not exported.
  const std::string gone = w.Patient("gone");
  ASSERT_EQ(w.admin().Request("DELETE", "/fhir/Patient/" + gone).status, 200);
  auto stats = Server::Shared().Client("statistics");
  std::string status_path;
  auto files = Export(*stats, "/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson", &status_path);
  for (const char* type : {"Organization", "Practitioner", "PractitionerRole", "Patient", "EpisodeOfCare", "CareTeam",
                           "DocumentReference", "Encounter"}) {
    auto count = w.admin().Request("GET", std::string("/fhir/") + type + "?_summary=count");
    ASSERT_EQ(count.status, 200);
    const long total = Parse(count.body)["total"].GetInt64();
    EXPECT_EQ(static_cast<long>(files[type].size()), total) << type;
    EXPECT_EQ(AsSet(files[type]).size(), files[type].size()) << type << ": every resource once";
  }
  const auto patients = AsSet(files["Patient"]);
  for (const auto& id : p.listed_a) EXPECT_TRUE(patients.count(id)) << id;
  for (const auto& id : p.saebo_residents) EXPECT_TRUE(patients.count(id)) << id;
  EXPECT_FALSE(patients.count(gone));
  EXPECT_TRUE(AsSet(files["Organization"]).count(p.vc_b));

  // PDL: one record for the kick-off naming the job, one per file downloaded.
  const std::string job = JobId(status_path);
  const std::string& db = Server::Shared().database_url();
  EXPECT_EQ(PsqlValue(db, "SELECT count(*) FROM audit_event WHERE action = 'operation' AND agent_role = 'statistics' "
                          "AND outcome = 'success' AND detail LIKE '$export system job " + job + " %' "
                          "AND resource_ids @> ARRAY['" + job + "']"), "1");
  EXPECT_EQ(PsqlValue(db, "SELECT count(*) FROM audit_event WHERE action = 'read' AND detail LIKE '$export-file job " +
                              job + " %'"), "8");
}

TEST(Export, PatientLevelWithTypeAndSince) {
  World w("exp-since");
  const Population p = Build(w);
  auto stats = Server::Shared().Client("statistics");
  const std::string since = PsqlValue(Server::Shared().database_url(),
                                      "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
  ASSERT_EQ(since.size(), 24u) << since;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // lastUpdated strictly after `since`
  const std::string late = w.Patient("late");
  World::Require(w.List(w.Id("l-late"), late, p.vc_a, "2026-01-01"), "listing");
  // An older patient changed after `since` is in it too, with its new version.
  auto old = w.admin().Request("GET", "/fhir/Patient/" + p.listed_b[0]);
  ASSERT_EQ(old.status, 200);
  World::Put(w.admin(), "Patient", p.listed_b[0],
             reg::PatientWithPnr(p.listed_b[0], w.Pnr(p.listed_b[0]), "Senare"));

  auto files = Export(*stats, "/fhir/Patient/$export?_type=EpisodeOfCare,Patient&_since=" + since);
  EXPECT_EQ(AsSet(files["Patient"]), (std::set<std::string>{late, p.listed_b[0]}));
  EXPECT_EQ(AsSet(files["EpisodeOfCare"]), (std::set<std::string>{w.Id("l-late")}));
  EXPECT_EQ(files.size(), 2u) << "only the types asked for";

  auto everything = Export(*stats, "/fhir/Patient/$export?_type=Patient");
  EXPECT_GE(everything["Patient"].size(), p.listed_a.size() + p.listed_b.size() + 1);
  EXPECT_EQ(everything.size(), 1u);
}

TEST(Export, ALineIsByteForByteTheResourceAGetReturnsWhateverItsStringsHold) {
  // The worker reads with COPY, whose text format escapes backslashes and control characters: a name
  // full of JSON escapes (\\ \" \t \n \r \/) and UTF-8 must come out as the server stores it (other
  // control characters are refused at parse: FHIR strings may not hold them).
  // Not listed anywhere: a read adds the derived generalPractitioner, which the export (the stored
  // version) does not have.
  World w("exp-esc");
  const std::string id = w.Id("p-esc");
  const std::string family = R"(Back\\slash \"citat\" tab\there ny\nrad cr\r \/ \\N Åsa Ölund 中文 😀\\)";
  World::Put(w.admin(), "Patient", id, reg::PatientWithPnr(id, reg::NextPersonnummer(), family));
  auto read = w.admin().Request("GET", "/fhir/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  ASSERT_NE(read.body.find("Ölund 中文 😀"), std::string::npos) << read.body;

  auto stats = Server::Shared().Client("statistics");
  const std::string status_path = KickOff(*stats, "/fhir/Patient/$export?_type=Patient");
  ASSERT_FALSE(status_path.empty());
  auto done = PollDone(*stats, status_path);
  ASSERT_EQ(done.status, 200) << done.body;
  auto manifest = Parse(done.body);
  ASSERT_EQ(manifest["output"].Size(), 1u);
  auto file = stats->Request("GET", PathOf(manifest["output"][0]["url"].GetString()));
  ASSERT_EQ(file.status, 200);
  const size_t at = file.body.find("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"");
  ASSERT_NE(at, std::string::npos) << "the patient is in the export";
  ASSERT_TRUE(at == 0 || file.body[at - 1] == '\n');
  const size_t end = file.body.find('\n', at);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(file.body.substr(at, end - at), read.body);
}

// Files go out straight from disk to the TLS socket in large pieces: the body is the file to its last
// byte with the length announced, the connection serves the next request, and a file missing on disk
// is a 404 OperationOutcome.
TEST(Export, AFileIsSentWholeAndAMissingOneIsA404) {
  World w("exp-file");
  Build(w);
  auto stats = Server::Shared().Client("statistics");
  const std::string status_path = KickOff(*stats, "/fhir/$export?_type=Patient");
  ASSERT_FALSE(status_path.empty());
  auto done = PollDone(*stats, status_path);
  ASSERT_EQ(done.status, 200) << done.body;
  auto manifest = Parse(done.body);
  ASSERT_EQ(manifest["output"].Size(), 1u);
  const std::string file = PathOf(manifest["output"][0]["url"].GetString());
  const std::string on_disk = Server::Shared().Pki("export/" + JobId(status_path)) + "/Patient.ndjson";
  ASSERT_TRUE(fs::exists(on_disk));
  std::ifstream in(on_disk, std::ios::binary);
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (int i = 0; i < 2; ++i) {  // twice on one kept-alive connection
    auto got = stats->Request("GET", file);
    ASSERT_EQ(got.status, 200) << got.error;
    EXPECT_EQ(got.headers["content-length"], std::to_string(expected.size()));
    EXPECT_EQ(got.headers["content-type"], "application/fhir+ndjson");
    EXPECT_EQ(got.body, expected);
  }
  fs::remove(on_disk);
  auto gone = stats->Request("GET", file);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(IssueCode(gone.body), "not-found");
  EXPECT_EQ(stats->Request("GET", "/fhir/metadata").status, 200);
}

TEST(Export, BadParametersAreRefusedWithAnOperationOutcome) {
  auto stats = Server::Shared().Client("statistics");
  const std::map<std::string, std::string> strict = {{"Prefer", "respond-async, handling=strict"}};
  for (const std::string query : {"_outputFormat=text%2Fcsv", "_type=AuditEvent", "_type=Patient,Nonsense",
                                  "_since=yesterday", "_since=2026-13-01"}) {
    auto result = stats->Request("GET", "/fhir/$export?" + query, "", kAsync);
    EXPECT_EQ(result.status, 400) << query;
    EXPECT_FALSE(IssueCode(result.body).empty()) << query;
  }
  auto unknown = stats->Request("GET", "/fhir/$export?_shoesize=42", "", strict);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(IssueCode(unknown.body), "not-supported");
  // _typeFilter is refused whatever the handling: ignoring it would export more than was asked for.
  for (const auto& headers : {strict, kAsync}) {
    auto filtered = stats->Request("GET", "/fhir/$export?_typeFilter=Patient%3Fgender%3Dmale", "", headers);
    EXPECT_EQ(filtered.status, 400);
    EXPECT_EQ(IssueCode(filtered.body), "not-supported");
  }
  // A POST kick-off takes a Parameters body (docs/api.md section 1): "{}" is not one.
  EXPECT_EQ(stats->Request("POST", "/fhir/$export", "{}", kAsync).status, 400);
  EXPECT_EQ(stats->Request("GET", "/fhir/$export-status/no-such-job").status, 404);
  EXPECT_EQ(stats->Request("GET", "/fhir/Group/listed-no-such-unit/$export", "", kAsync).status, 404);
  EXPECT_EQ(stats->Request("GET", "/fhir/Group?name=x", "", strict).status, 400);
  EXPECT_EQ(stats->Request("GET", "/fhir/Group?name=x").status, 200) << "lenient: ignored";
  // _count=0: a total and no entries, without an empty `entry` array (FHIR JSON has none).
  auto none = stats->Request("GET", "/fhir/Group?_count=0");
  ASSERT_EQ(none.status, 200) << none.body.substr(0, 300);
  EXPECT_FALSE(Parse(none.body).HasMember("entry")) << none.body.substr(0, 300);
  EXPECT_FALSE(At(Parse(none.body), "/total").empty());
  // Accepted: the ndjson spellings, and an unknown parameter under lenient handling (ignored).
  for (const std::string query : {"_outputFormat=application%2Fndjson", "_outputFormat=ndjson", "_shoesize=x"}) {
    const std::string status_path = KickOff(*stats, "/fhir/$export?_type=Organization&" + query);
    if (status_path.empty()) continue;
    EXPECT_EQ(stats->Request("DELETE", status_path).status, 202) << query;
  }
}

TEST(Export, OnlyStatisticsAndAdminMayExport) {
  World w("exp-roles");
  const std::string vc = w.Vardcentral("vc");
  for (const char* role : {"ehr", "municipality", "citizen-portal"}) {
    auto client = Server::Shared().Client(role);
    for (const std::string& path : std::vector<std::string>{"/fhir/$export", "/fhir/Patient/$export", "/fhir/Group/listed-" + vc + "/$export",
                                   "/fhir/Group", "/fhir/Group/listed-" + vc}) {
      auto result = client->Request("GET", path, "", kAsync);
      EXPECT_EQ(result.status, 403) << role << " " << path;
      EXPECT_EQ(IssueCode(result.body), "forbidden") << role << " " << path;
    }
  }
  auto admin = Server::Shared().Client("admin");
  const std::string status_path = KickOff(*admin, "/fhir/$export?_type=Organization");
  ASSERT_FALSE(status_path.empty());
  EXPECT_EQ(PollDone(*admin, status_path).status, 200);
}

TEST(Export, OnlyTheCallerWhoStartedAJobSeesItAndDeleteCancels) {
  World w("exp-own");
  Build(w);
  auto stats = Server::Shared().Client("statistics");
  auto admin = Server::Shared().Client("admin");
  auto ehr = Server::Shared().Client("ehr");
  const std::string status_path = KickOff(*stats, "/fhir/$export?_type=Patient,Organization");
  ASSERT_FALSE(status_path.empty());
  auto done = PollDone(*stats, status_path);
  ASSERT_EQ(done.status, 200);
  auto manifest = Parse(done.body);
  ASSERT_EQ(manifest["output"].Size(), 2u);
  const std::string file = PathOf(manifest["output"][0]["url"].GetString());
  const std::string folder = Server::Shared().Pki("export/" + JobId(status_path));
  EXPECT_TRUE(fs::exists(folder + "/Patient.ndjson"));

  // Another caller — even admin, who may export — gets nothing of this job; ehr may not export at all.
  EXPECT_EQ(admin->Request("GET", status_path).status, 404);
  EXPECT_EQ(admin->Request("GET", file).status, 404);
  EXPECT_EQ(admin->Request("DELETE", status_path).status, 404);
  EXPECT_EQ(ehr->Request("GET", file).status, 403);
  EXPECT_EQ(ehr->Request("GET", status_path).status, 403);
  EXPECT_EQ(stats->Request("GET", file).status, 200) << "the owner still can";
  EXPECT_EQ(stats->Request("GET", status_path.substr(0, status_path.rfind('/') + 1) + JobId(status_path) +
                                      "/../x").status, 404);
  EXPECT_EQ(stats->Request("GET", file.substr(0, file.rfind('/') + 1) + "AuditEvent.ndjson").status, 404);

  // DELETE: 202, then the job and its files are gone.
  auto cancelled = stats->Request("DELETE", status_path);
  EXPECT_EQ(cancelled.status, 202) << cancelled.body;
  EXPECT_EQ(stats->Request("GET", status_path).status, 404);
  EXPECT_EQ(stats->Request("GET", file).status, 404);
  EXPECT_EQ(stats->Request("DELETE", status_path).status, 404);
  EXPECT_FALSE(fs::exists(folder));
}

// on a server of the test's own

class ExportServer {
 public:
  // export_dir "" = a fresh folder of its own.
  explicit ExportServer(std::string export_dir = "")
      : database_url_(testing::PgCluster::Shared().CreateDatabase("export")), export_dir_(std::move(export_dir)) {
    if (export_dir_.empty()) export_dir_ = Server::Shared().Pki("own-export-" + std::to_string(::getpid()));
  }
  std::map<std::string, std::string> Env() const {
    auto env = Server::Shared().Env();
    env["NARA_DATABASE_URL"] = database_url_;
    env["NARA_PORT"] = std::to_string(port_);
    env["NARA_OPS_PORT"] = std::to_string(ops_port_);
    env["NARA_EXPORT_DIR"] = export_dir_;
    env["NARA_EXPORT_MAX_JOBS"] = "2";
    return env;
  }
  ::testing::AssertionResult Start() {
    port_ = testing::FreePort();
    ops_port_ = testing::FreePort();
    if (!migrated_) {
      auto [code, out] = testing::RunNara({"migrate"}, Env());
      if (code != 0) return ::testing::AssertionFailure() << "migrate: " << out;
      migrated_ = true;
    }
    process_ = std::make_unique<testing::ServerProcess>(std::vector<std::string>{"serve"}, Env());
    if (!process_->WaitHealthy(ops_port_)) return ::testing::AssertionFailure() << process_->log();
    return ::testing::AssertionSuccess();
  }
  std::unique_ptr<testing::TlsClient> Client(const std::string& name) const {
    const auto& shared = Server::Shared();
    return std::make_unique<testing::TlsClient>(
        "localhost", port_, shared.Pki("ca-bundle.pem"),
        testing::ClientIdentity{shared.Pki("clients/" + name + ".pem"), shared.Pki("clients/" + name + ".key")});
  }
  testing::ServerProcess& process() { return *process_; }
  const std::string& database_url() const { return database_url_; }
  int ops_port() const { return ops_port_; }

 private:
  std::string database_url_, export_dir_;
  bool migrated_ = false;
  int port_ = 0, ops_port_ = 0;
  std::unique_ptr<testing::ServerProcess> process_;
};

// Polls until the job's X-Progress says it is running (not queued); false if it never does.
bool WaitRunning(testing::TlsClient& client, const std::string& status_path) {
  for (int i = 0; i < 600; ++i) {
    auto result = client.Request("GET", status_path);
    if (result.status == 202 && result.headers["x-progress"] != "queued") return true;
    if (result.status != 202) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(Export, LimitRestartAndShutdownWhileAJobRuns) {
  ExportServer server;
  ASSERT_TRUE(server.Start());
  std::vector<std::string> patients;
  {
    auto admin = server.Client("admin");
    for (int i = 0; i < 5; ++i) {
      const std::string id = "exp-restart-" + std::to_string(i);
      World::Put(*admin, "Patient", id, reg::PatientWithPnr(id, reg::NextPersonnummer(), "Omstartsson"));
      patients.push_back(id);
    }
  }
  // The test holds a lock that the export's read must wait for: job A stays running as long as it is held.
  auto lock_conn = std::make_unique<pqxx::connection>(server.database_url());
  auto lock = std::make_unique<pqxx::work>(*lock_conn);
  lock->exec("LOCK TABLE resource_version IN ACCESS EXCLUSIVE MODE");

  std::string job_a;
  {
    auto stats = server.Client("statistics");
    job_a = KickOff(*stats, "/fhir/Patient/$export");
    ASSERT_FALSE(job_a.empty());
    ASSERT_TRUE(WaitRunning(*stats, job_a));
    const std::string job_b = KickOff(*stats, "/fhir/$export");
    ASSERT_FALSE(job_b.empty());
    // The gauge the worker keeps: reported about once a second, so an earlier report (A still queued)
    // may be there first; looked at a bounded number of times until it shows both jobs.
    std::string scrape;
    for (int i = 0; i < 200; ++i) {
      scrape = Scrape(server.ops_port());
      if (Sample(scrape, R"(nara_export_jobs{state="queued"})") == 1 &&
          Sample(scrape, R"(nara_export_jobs{state="running"})") == 1) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(Sample(scrape, R"(nara_export_jobs{state="running"})"), 1) << scrape;
    EXPECT_EQ(Sample(scrape, R"(nara_export_jobs{state="queued"})"), 1) << scrape;
    // export.max-jobs = 2: a running and a queued job are the limit.
    auto third = stats->Request("GET", "/fhir/$export", "", kAsync);
    EXPECT_EQ(third.status, 429) << third.body;
    EXPECT_EQ(IssueCode(third.body), "throttled");
    EXPECT_FALSE(third.headers["retry-after"].empty());
    // Cancelling the queued one frees its place.
    EXPECT_EQ(stats->Request("DELETE", job_b).status, 202);
    EXPECT_EQ(stats->Request("GET", job_b).status, 404);
  }

  // A graceful stop does not wait for the blocked export: it breaks it off and exits cleanly.
  EXPECT_EQ(server.process().Terminate(SIGTERM), 0) << server.process().log();
  ASSERT_TRUE(server.Start());
  {
    auto stats = server.Client("statistics");
    ASSERT_TRUE(WaitRunning(*stats, job_a)) << "the interrupted job is run again after the restart";
  }
  // Now the server dies in the middle of it.
  EXPECT_EQ(server.process().Terminate(SIGKILL), 128 + SIGKILL);
  lock->abort();
  lock.reset();
  lock_conn.reset();
  ASSERT_TRUE(server.Start());

  std::string transaction_time;
  {
    auto stats = server.Client("statistics");
    auto done = PollDone(*stats, job_a);
    ASSERT_EQ(done.status, 200) << done.body;
    transaction_time = At(Parse(done.body), "/transactionTime");
    auto files = Download(*stats, done.body);
    EXPECT_EQ(AsSet(files["Patient"]), AsSet(patients));
  }  // the client's kept-alive connection closes here, so the stop below need not wait for it

  // A completed job's manifest and files survive a restart.
  EXPECT_EQ(server.process().Terminate(SIGTERM), 0);
  ASSERT_TRUE(server.Start());
  auto stats = server.Client("statistics");
  auto after = stats->Request("GET", job_a);
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(At(Parse(after.body), "/transactionTime"), transaction_time);
  EXPECT_EQ(AsSet(Download(*stats, after.body)["Patient"]), AsSet(patients));
}

// A job that cannot be carried out (here: the export folder cannot be created, as on a full or
// read-only disk) ends failed; polling it is the Bulk Data error status, 500 with an OperationOutcome
// that says why, and the server goes on serving.
TEST(Export, AFailedJobAnswersItsPollWithAnOperationOutcome) {
  ExportServer server(Server::Shared().Pki("ca-bundle.pem") + "/export");  // below a regular file
  ASSERT_TRUE(server.Start());
  auto stats = server.Client("statistics");
  const std::string status_path = KickOff(*stats, "/fhir/$export?_type=Organization");
  ASSERT_FALSE(status_path.empty());
  auto failed = PollDone(*stats, status_path);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(IssueCode(failed.body), "exception");
  EXPECT_NE(failed.body.find("export folder"), std::string::npos) << failed.body;
  EXPECT_EQ(stats->Request("GET", "/fhir/metadata").status, 200);
  // Failed jobs no longer count against export.max-jobs.
  for (int i = 0; i < 3; ++i) {
    const std::string again = KickOff(*stats, "/fhir/$export?_type=Organization");
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(PollDone(*stats, again).status, 500);
  }
}

}  // namespace
}  // namespace nara::e2e
