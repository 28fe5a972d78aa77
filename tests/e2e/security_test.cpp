// Authorization and audit over real mutual TLS (docs/api.md section 6, docs/security.md "The access policy",
// "The PDL audit"): what each role of access.json may do, 403 OperationOutcomes with code forbidden,
// and the audit log — one row per request that reads or writes patient data, refusals included,
// append-only for the server's database role, readable as AuditEvent by admin only, and the log
// extract for one person (`nara audit-extract`).
//
// Handshake refusals (no certificate, foreign CA, expired, revoked, no clientAuth, no HSA-id) are in
// tls_handshake_test.cpp. Audit rows are read back from the audit_event table with psql as the
// cluster superuser. Every test uses its own ids (prefix "sec-…"), so rows are found by patient id.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/server_process.h"

namespace nara::e2e {
namespace {

using reg::Contains;
using reg::DetailCode;
using reg::EntryRefs;
using reg::World;

const std::string kMunicipalityExt = reg::kNr + "/StructureDefinition/municipality";
const std::string kKommunSystem = reg::kNr + "/CodeSystem/kommun";
const std::string kEhrHsa = "SE2321000016-E001";       // clients/ehr.pem
const std::string kUnlistedHsa = "SE2321000016-E006";  // clients/unlisted.pem, not in access.json
const std::string kOtherKommunHsa = "SE2120000183-0001";
const std::string kOtherRegionHsa = "SE2321000099-0001";

// the audit table

struct AuditRow {
  std::string id, action, outcome, agent_hsa_id, agent_role, unit, http_status, resource_type;
  std::vector<std::string> patient_ids, resource_ids;
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// Rows of audit_event matching `where` (SQL), oldest first. Ids in these tests are [a-z0-9-] only.
std::vector<AuditRow> AuditRows(const std::string& where) {
  auto [code, out] = testing::Psql(
      Server::Shared().database_url(),
      "SELECT id, action, outcome, agent_hsa_id, agent_role, unit, http_status, resource_type, "
      "array_to_string(patient_ids, ','), array_to_string(resource_ids, ',') FROM audit_event WHERE " +
          where + " ORDER BY id");
  EXPECT_EQ(code, 0) << out;
  std::vector<AuditRow> rows;
  for (const auto& line : Split(out, '\n')) {
    if (line.empty()) continue;
    auto f = Split(line + "|", '|');  // a trailing empty field survives getline
    if (f.size() < 10) {
      ADD_FAILURE() << "unexpected psql line: " << line;
      continue;
    }
    AuditRow row{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], Split(f[8], ','), Split(f[9], ',')};
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<AuditRow> RowsForPatient(const std::string& patient_id) {
  return AuditRows("'" + patient_id + "' = ANY(patient_ids)");
}

std::string Describe(const std::vector<AuditRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    out += "\n  #" + r.id + " " + r.action + " " + r.resource_type + " " + r.outcome + " " + r.http_status + " " +
           r.agent_hsa_id + "/" + r.agent_role + " unit=" + r.unit + " resources=[";
    for (const auto& id : r.resource_ids) out += id + " ";
    out += "] patients=[";
    for (const auto& id : r.patient_ids) out += id + " ";
    out += "]";
  }
  return out;
}

// data

// A Patient whose current home address is in kommun `kommun` (4-digit kommunkod).
std::string PatientInKommun(const std::string& id, const std::string& pnr, const std::string& family,
                            const std::string& kommun) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","identifier":[{"system":")" + reg::kPersonnummerSystem +
         R"(","value":")" + pnr + R"("}],"name":[{"family":")" + family +
         R"(","given":["Test"]}],"gender":"female","address":[{"use":"home","extension":[{"url":")" +
         kMunicipalityExt + R"(","valueCoding":{"system":")" + kKommunSystem + R"(","code":")" + kommun +
         R"("}}],"line":["Testgatan 1"],"city":"Testby"}]})";
}

// The Solna kommun (HSA-id SE2120000184-0001, kommunkod 0184) the municipality client acts for,
// with its kommunkod: the server finds the caller's kommun through it. One per server.
const std::string& SolnaKommun() { return reg::SharedKommun(); }

std::string IdFromLocation(const testing::HttpResult& result) {
  // .../fhir/TYPE/ID/_history/N
  auto it = result.headers.find("location");
  if (it == result.headers.end()) return {};
  auto parts = Split(it->second, '/');
  return parts.size() >= 3 ? parts[parts.size() - 3] : std::string();
}

void ExpectForbidden(const testing::HttpResult& result, const std::string& what) {
  EXPECT_EQ(result.status, 403) << what << ": " << result.error << " " << result.body.substr(0, 400);
  EXPECT_EQ(IssueCode(result.body), "forbidden") << what;
}

// 1. unknown HSA-id

TEST(Security, UnlistedCallerIsForbiddenAndAudited) {
  World w("sec-unl");
  const std::string patient = w.Patient("p");
  auto unlisted = Server::Shared().Client("unlisted");
  auto result = unlisted->Request("GET", "/fhir/Patient/" + patient);
  ExpectForbidden(result, "unlisted reads a Patient");
  EXPECT_EQ(result.body.find("Registersson"), std::string::npos) << "patient data in a refusal";

  auto rows = AuditRows("agent_hsa_id = '" + kUnlistedHsa + "' AND '" + patient + "' = ANY(patient_ids)");
  ASSERT_EQ(rows.size(), 1u) << Describe(RowsForPatient(patient));
  EXPECT_EQ(rows[0].outcome, "refused");
  EXPECT_EQ(rows[0].http_status, "403");
  EXPECT_EQ(rows[0].action, "read");
  EXPECT_EQ(rows[0].resource_type, "Patient");
  EXPECT_EQ(rows[0].agent_role, "") << "an unknown caller has no role";
}

// 2. statistics never reads a Patient

TEST(Security, StatisticsMayNotReadPatients) {
  World w("sec-stat");
  const std::string patient = w.Patient("p");
  auto statistics = Server::Shared().Client("statistics");
  ExpectForbidden(statistics->Request("GET", "/fhir/Patient/" + patient), "statistics reads a Patient");
  ExpectForbidden(statistics->Request("GET", "/fhir/Patient?_id=" + patient), "statistics searches Patient");
  ExpectForbidden(statistics->Request("GET", "/fhir/EpisodeOfCare?patient=Patient/" + patient),
                  "statistics searches EpisodeOfCare");

  auto rows = AuditRows("agent_role = 'statistics' AND '" + patient + "' = ANY(patient_ids)");
  ASSERT_EQ(rows.size(), 1u) << "the read names the patient" << Describe(RowsForPatient(patient));
  EXPECT_EQ(rows[0].action, "read");
  EXPECT_EQ(rows[0].outcome, "refused");
  EXPECT_EQ(rows[0].http_status, "403");
  EXPECT_EQ(rows[0].agent_hsa_id, "SE2021005521-S001");
}

// 3. municipality writes at its own units

TEST(Security, MunicipalityWritesOnlyAtItsOwnSaebo) {
  World w("sec-mun");
  const std::string solna = SolnaKommun();
  // Kommun B (Sundbyberg) with a SÄBO of its own.
  const std::string kommun_b = w.Id("kommun-b"), saebo_b = w.Id("saebo-b"), own_saebo = w.Id("saebo-own");
  World::Put(w.admin(), "Organization", kommun_b, reg::KommunJson(kommun_b, reg::UnitHsa(kOtherKommunHsa), "0183"));
  World::Put(w.admin(), "Organization", saebo_b,
             reg::OrganizationJson(saebo_b, reg::UnitHsa(kOtherKommunHsa), "saebo", kommun_b));
  World::Put(w.admin(), "Organization", own_saebo,
             reg::OrganizationJson(own_saebo, reg::UnitHsa(reg::kKommunHsa), "saebo", solna));
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");

  auto foreign = w.MoveIntoSaebo(w.Id("s-b"), patient, saebo_b, "2024-03-01");
  ExpectForbidden(foreign, "Solna registers a resident of Sundbyberg's SÄBO");
  EXPECT_EQ(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + w.Id("s-b")).status, 404) << "nothing written";

  auto own = w.MoveIntoSaebo(w.Id("s-own"), patient, own_saebo, "2024-03-01");
  EXPECT_EQ(own.status, 201) << own.body;

  auto listing = w.municipality().Request("PUT", "/fhir/EpisodeOfCare/" + w.Id("l1"),
                                          reg::EpisodeJson(w.Id("l1"), patient, vc, "2024-01-01"), reg::kFhirJson);
  ExpectForbidden(listing, "municipality writes a listning");
  EXPECT_EQ(w.admin().Request("GET", "/fhir/EpisodeOfCare/" + w.Id("l1")).status, 404) << "nothing written";

  // The refused writes are in the log as refused (found by the episode ids they named), the allowed
  // one as a success.
  for (const std::string& refused : {w.Id("s-b"), w.Id("l1")}) {
    auto rows = AuditRows("agent_role = 'municipality' AND '" + refused + "' = ANY(resource_ids)");
    ASSERT_EQ(rows.size(), 1u) << refused << Describe(rows);
    EXPECT_EQ(rows[0].outcome, "refused") << refused;
    EXPECT_EQ(rows[0].http_status, "403") << refused;
    EXPECT_EQ(rows[0].resource_type, "EpisodeOfCare") << refused;
  }
  auto allowed = AuditRows("agent_role = 'municipality' AND action IN ('create', 'update') AND '" + w.Id("s-own") +
                           "' = ANY(resource_ids)");
  ASSERT_EQ(allowed.size(), 1u) << Describe(allowed);
  EXPECT_EQ(allowed[0].outcome, "success");
  EXPECT_TRUE(Contains(allowed[0].patient_ids, patient));
}

// "Read its residents (address in its kommun, or living in its SÄBO)": a SÄBO is the kommun's by
// partOf, as for writing the residency (docs/api.md rule 5); the SÄBO Organization itself carries no kommunkod.
TEST(Security, MunicipalityReadsTheResidentsOfItsSaebo) {
  World w("sec-sres");
  const std::string solna = SolnaKommun();
  const std::string saebo = w.Id("saebo");
  World::Put(w.admin(), "Organization", saebo,
             reg::OrganizationJson(saebo, reg::UnitHsa(reg::kKommunHsa), "saebo", solna));
  const std::string resident = w.Patient("p"), outsider = w.Patient("q");  // no address on file
  World::Require(w.MoveIntoSaebo(w.Id("s1"), resident, saebo, "2024-03-01"), "SÄBO residency");

  auto patient = w.municipality().Request("GET", "/fhir/Patient/" + resident);
  EXPECT_EQ(patient.status, 200) << patient.body;
  auto episode = w.municipality().Request("GET", "/fhir/EpisodeOfCare/" + w.Id("s1"));
  EXPECT_EQ(episode.status, 200) << episode.body;
  auto found = w.municipality().Request("GET", "/fhir/EpisodeOfCare?patient=Patient/" + resident);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(EntryRefs(found.body), std::vector<std::string>{"EpisodeOfCare/" + w.Id("s1")}) << found.body;
  ExpectForbidden(w.municipality().Request("GET", "/fhir/Patient/" + outsider), "a patient not living there");
}

// 4. ehr writes below its region; deletes

TEST(Security, EhrWritesOnlyBelowItsOrganizationAndNeverDeletesPatients) {
  World w("sec-ehr");
  const std::string region_b = w.Id("region-b"), vc_b = w.Id("vc-b");
  World::Put(w.admin(), "Organization", region_b,
             reg::OrganizationJson(region_b, reg::UnitHsa(kOtherRegionHsa), "region"));
  World::Put(w.admin(), "Organization", vc_b,
             reg::OrganizationJson(vc_b, reg::UnitHsa(kOtherRegionHsa), "vardcentral", region_b));
  const std::string vc = w.Vardcentral("vc");
  const std::string listed = w.Patient("listed"), unlisted = w.Patient("free");

  ExpectForbidden(w.List(w.Id("l-b"), listed, vc_b, "2024-01-01"), "ehr lists at another region's vårdcentral");
  EXPECT_EQ(w.Get("EpisodeOfCare/" + w.Id("l-b")).status, 404) << "nothing written";
  auto own = w.List(w.Id("l1"), listed, vc, "2024-01-01");
  EXPECT_EQ(own.status, 201) << own.body;

  // Update is decided on the stored version too: the EHR cannot take over another region's listing.
  const std::string other = w.Patient("other");
  World::Require(w.admin().Request("PUT", "/fhir/EpisodeOfCare/" + w.Id("l-b2"),
                                   reg::EpisodeJson(w.Id("l-b2"), other, vc_b, "2024-01-01"), reg::kFhirJson),
                 "listing in region B (admin)");
  ExpectForbidden(w.List(w.Id("l-b2"), other, vc, "2024-01-01"), "ehr moves region B's listing to its own unit");
  EXPECT_EQ(At(Parse(w.Get("EpisodeOfCare/" + w.Id("l-b2")).body), "/managingOrganization/reference"),
            "Organization/" + vc_b);

  ExpectForbidden(w.ehr().Request("DELETE", "/fhir/Patient/" + unlisted), "ehr deletes a Patient");
  EXPECT_EQ(w.Get("Patient/" + unlisted).status, 200) << "still there";

  auto deleted = w.admin().Request("DELETE", "/fhir/Patient/" + unlisted);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  auto gone = w.Get("Patient/" + unlisted);
  EXPECT_TRUE(gone.status == 410 || gone.status == 404) << gone.status;

  auto registered = w.admin().Request("DELETE", "/fhir/Patient/" + listed);
  EXPECT_EQ(registered.status, 422) << registered.body;
  EXPECT_EQ(IssueCode(registered.body), "business-rule") << registered.body;
  EXPECT_EQ(DetailCode(registered.body), "active-registrations") << registered.body;
  EXPECT_EQ(w.Get("Patient/" + listed).status, 200) << "a registered patient stays";
}

// A refused write names the patient it was about, so the person's log extract shows the attempt.
TEST(Security, RefusedWritesAreLoggedForThePatient) {
  World w("sec-rfw");
  const std::string region_b = w.Id("region-b"), vc_b = w.Id("vc-b");
  World::Put(w.admin(), "Organization", region_b,
             reg::OrganizationJson(region_b, reg::UnitHsa(kOtherRegionHsa), "region"));
  World::Put(w.admin(), "Organization", vc_b,
             reg::OrganizationJson(vc_b, reg::UnitHsa(kOtherRegionHsa), "vardcentral", region_b));
  const std::string patient = w.Patient("p");
  ExpectForbidden(w.List(w.Id("l-b"), patient, vc_b, "2024-01-01"), "ehr lists at another region's vårdcentral");

  auto rows = AuditRows("'" + w.Id("l-b") + "' = ANY(resource_ids)");
  ASSERT_EQ(rows.size(), 1u) << Describe(rows);
  EXPECT_EQ(rows[0].outcome, "refused");
  EXPECT_EQ(rows[0].action, "update");
  EXPECT_EQ(rows[0].agent_role, "ehr");
  EXPECT_TRUE(Contains(rows[0].patient_ids, patient)) << "the refused write does not name its patient" << Describe(rows);
}

// 5. municipality reads its residents

struct Patients {
  World w{"sec-res"};
  std::string family = "Sakerhetsgranskadsson";
  std::string resident, stranger;
  Patients() {
    SolnaKommun();
    resident = w.Id("solna");
    stranger = w.Id("sthlm");
    // The resident first: an ascending search shows it on page 1.
    World::Put(w.admin(), "Patient", resident, PatientInKommun(resident, reg::NextPersonnummer(), family, "0184"));
    World::Put(w.admin(), "Patient", stranger, PatientInKommun(stranger, reg::NextPersonnummer(), family, "0180"));
  }
};

Patients& ResidentsWorld() {
  static Patients patients;
  return patients;
}

TEST(Security, MunicipalityReadsOnlyItsResidents) {
  Patients& p = ResidentsWorld();
  auto& municipality = p.w.municipality();

  auto own = municipality.Request("GET", "/fhir/Patient/" + p.resident);
  EXPECT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(At(Parse(own.body), "/id"), p.resident);
  ExpectForbidden(municipality.Request("GET", "/fhir/Patient/" + p.stranger), "Solna reads a Stockholm resident");

  auto all = p.w.admin().Request("GET", "/fhir/Patient?family=" + p.family);
  ASSERT_EQ(all.status, 200) << all.body;
  const auto all_refs = EntryRefs(all.body);
  EXPECT_EQ(all_refs.size(), 2u) << all.body;
  EXPECT_EQ(At(Parse(all.body), "/total"), "2");

  auto mine = municipality.Request("GET", "/fhir/Patient?family=" + p.family);
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(EntryRefs(mine.body), std::vector<std::string>{"Patient/" + p.resident}) << mine.body;
  const std::string total = At(Parse(mine.body), "/total");
  EXPECT_TRUE(total.empty() || total == "1") << "the total counts patients the caller may not see: " << total;
  EXPECT_EQ(mine.body.find(p.stranger), std::string::npos) << "the hidden patient's id leaks: " << mine.body;

  // The refused read is audited as refused, for the municipality's unit.
  auto rows = AuditRows("agent_role = 'municipality' AND '" + p.stranger + "' = ANY(patient_ids)");
  ASSERT_EQ(rows.size(), 1u) << Describe(rows);
  EXPECT_EQ(rows[0].outcome, "refused");
  EXPECT_EQ(rows[0].http_status, "403");
  EXPECT_EQ(rows[0].unit, reg::kKommunHsa);
}

// A page or a count must not reveal how many matching patients the municipality may not see.
TEST(Security, MunicipalitySearchDoesNotCountHiddenPatients) {
  Patients& p = ResidentsWorld();
  auto& municipality = p.w.municipality();

  auto counted = municipality.Request("GET", "/fhir/Patient?family=" + p.family + "&_summary=count");
  ASSERT_EQ(counted.status, 200) << counted.body;
  const std::string count_total = At(Parse(counted.body), "/total");
  EXPECT_TRUE(count_total.empty() || count_total == "1") << "_summary=count counts hidden patients: " << counted.body;

  // Page 1 of size 1 holds the resident only (ascending order); its total must not count the other.
  auto paged = municipality.Request("GET", "/fhir/Patient?family=" + p.family + "&_count=1");
  ASSERT_EQ(paged.status, 200) << paged.body;
  EXPECT_EQ(EntryRefs(paged.body), std::vector<std::string>{"Patient/" + p.resident}) << paged.body;
  const std::string page_total = At(Parse(paged.body), "/total");
  EXPECT_TRUE(page_total.empty() || page_total == "1") << "a page's total counts hidden patients: " << paged.body;
}

// 6. citizen portal

TEST(Security, CitizenPortalGetsFixedContactsButNotThePatient) {
  World w("sec-cit");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");
  World::Require(w.List(w.Id("l1"), patient, vc, "2024-01-01"), "listing");
  auto citizen = Server::Shared().Client("citizen-portal");

  auto contacts = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem +
                                              "%7C" + w.Pnr(patient));
  ASSERT_EQ(contacts.status, 200) << contacts.body;
  EXPECT_EQ(At(Parse(contacts.body), "/resourceType"), "Bundle");
  EXPECT_TRUE(Contains(EntryRefs(contacts.body), "Patient/" + patient)) << contacts.body.substr(0, 800);

  ExpectForbidden(citizen->Request("GET", "/fhir/Patient/" + patient), "citizen portal reads Patient/{id}");
  ExpectForbidden(citizen->Request("GET", "/fhir/Patient?_id=" + patient), "citizen portal searches Patient");
  ExpectForbidden(citizen->Request("GET", "/fhir/EpisodeOfCare/" + w.Id("l1")), "citizen portal reads a listing");

  auto rows = AuditRows("agent_role = 'citizen-portal' AND '" + patient + "' = ANY(patient_ids)");
  ASSERT_EQ(rows.size(), 2u) << "$fixed-contacts and the refused read" << Describe(rows);
  EXPECT_EQ(rows[0].action, "operation");
  EXPECT_EQ(rows[0].outcome, "success");
  EXPECT_EQ(rows[1].action, "read");
  EXPECT_EQ(rows[1].outcome, "refused");
}

// 7. reads and writes are audited

TEST(Security, ReadsWritesAndSearchesAppendOneAuditRowEach) {
  World w("sec-aud");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");
  const size_t before_read = RowsForPatient(patient).size();

  ASSERT_EQ(w.Get("Patient/" + patient).status, 200);
  auto rows = RowsForPatient(patient);
  ASSERT_EQ(rows.size(), before_read + 1) << Describe(rows);
  const AuditRow read = rows.back();
  EXPECT_EQ(read.action, "read");
  EXPECT_EQ(read.resource_type, "Patient");
  EXPECT_TRUE(Contains(read.patient_ids, patient));
  EXPECT_EQ(read.outcome, "success");
  EXPECT_EQ(read.http_status, "200");
  EXPECT_EQ(read.agent_role, "ehr");
  EXPECT_EQ(read.agent_hsa_id, kEhrHsa);
  EXPECT_EQ(read.unit, reg::kRegionHsa);

  std::string body = reg::EpisodeJson("", patient, vc, "2024-01-01");
  body.erase(body.find(R"("id":"",)"), std::string(R"("id":"",)").size());
  auto created = w.ehr().Request("POST", "/fhir/EpisodeOfCare", body, reg::kFhirJson);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string episode = IdFromLocation(created);
  ASSERT_FALSE(episode.empty()) << "no Location";
  rows = RowsForPatient(patient);
  ASSERT_EQ(rows.size(), before_read + 2) << Describe(rows);
  const AuditRow create = rows.back();
  EXPECT_EQ(create.action, "create");
  EXPECT_EQ(create.resource_type, "EpisodeOfCare");
  EXPECT_TRUE(Contains(create.resource_ids, episode)) << episode;
  EXPECT_TRUE(Contains(create.patient_ids, patient));
  EXPECT_EQ(create.outcome, "success");
  EXPECT_EQ(create.http_status, "201");
  EXPECT_EQ(create.agent_role, "ehr");
  EXPECT_EQ(create.unit, reg::kRegionHsa);

  auto found = w.Get("EpisodeOfCare?patient=Patient/" + patient);
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(EntryRefs(found.body), std::vector<std::string>{"EpisodeOfCare/" + episode});
  rows = RowsForPatient(patient);
  ASSERT_EQ(rows.size(), before_read + 3) << Describe(rows);
  const AuditRow search = rows.back();
  EXPECT_EQ(search.action, "search");
  EXPECT_EQ(search.resource_type, "EpisodeOfCare");
  EXPECT_EQ(search.resource_ids, std::vector<std::string>{episode});
  EXPECT_EQ(search.patient_ids, std::vector<std::string>{patient});
  EXPECT_EQ(search.outcome, "success");
  EXPECT_EQ(search.agent_role, "ehr");

  // Directory data is not patient data: reading a unit appends nothing for the patient.
  ASSERT_EQ(w.Get("Organization/" + vc).status, 200);
  EXPECT_EQ(RowsForPatient(patient).size(), before_read + 3);
}

// 8. append-only

TEST(Security, AuditLogIsAppendOnly) {
  World w("sec-app");
  const std::string patient = w.Patient("p");
  ASSERT_EQ(w.Get("Patient/" + patient).status, 200);
  auto rows = RowsForPatient(patient);
  ASSERT_FALSE(rows.empty());
  const std::string row = rows.back().id;
  const std::string& url = Server::Shared().database_url();
  // Each attempt runs in a transaction that is rolled back, so a hole in the guard cannot damage the
  // log the other tests read.
  auto attempt = [&](const std::string& sql) { return testing::Psql(url, "BEGIN; " + sql + "; ROLLBACK"); };

  auto update = attempt("SET ROLE nara_server; UPDATE audit_event SET outcome = 'failed' WHERE id = " + row);
  EXPECT_NE(update.first, 0) << update.second;
  EXPECT_NE(update.second.find("permission denied"), std::string::npos) << update.second;
  auto remove = attempt("SET ROLE nara_server; DELETE FROM audit_event WHERE id = " + row);
  EXPECT_NE(remove.first, 0) << remove.second;
  EXPECT_NE(remove.second.find("permission denied"), std::string::npos) << remove.second;
  auto truncate = attempt("SET ROLE nara_server; TRUNCATE audit_event");
  EXPECT_NE(truncate.first, 0) << truncate.second;
  EXPECT_NE(truncate.second.find("permission denied"), std::string::npos) << truncate.second;

  auto insert = attempt(
      "SET ROLE nara_server; INSERT INTO audit_event (action, outcome, request_id) "
      "VALUES ('read', 'success', 'sec-append-only') RETURNING request_id || ':' || current_user");
  EXPECT_EQ(insert.first, 0) << insert.second;
  EXPECT_NE(insert.second.find("sec-append-only:nara_server"), std::string::npos) << insert.second;

  // The owner (here a superuser, no SET ROLE) is stopped by the trigger.
  auto owner_update = attempt("UPDATE audit_event SET outcome = 'failed' WHERE id = " + row);
  EXPECT_NE(owner_update.first, 0) << owner_update.second;
  EXPECT_NE(owner_update.second.find("append-only"), std::string::npos) << owner_update.second;
  auto owner_delete = attempt("DELETE FROM audit_event WHERE id = " + row);
  EXPECT_NE(owner_delete.first, 0) << owner_delete.second;
  EXPECT_NE(owner_delete.second.find("append-only"), std::string::npos) << owner_delete.second;
  auto owner_truncate = attempt("TRUNCATE audit_event");
  EXPECT_NE(owner_truncate.first, 0) << owner_truncate.second;
  EXPECT_NE(owner_truncate.second.find("append-only"), std::string::npos) << owner_truncate.second;

  rows = RowsForPatient(patient);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.back().id, row);
  EXPECT_EQ(rows.back().outcome, "success") << "the row is unchanged";
}

// 9. AuditEvent for admin

TEST(Security, AuditEventSearchIsForAdminOnly) {
  World w("sec-aev");
  const std::string patient = w.Patient("p");
  ASSERT_EQ(w.Get("Patient/" + patient).status, 200);
  ASSERT_EQ(w.Get("Patient?_id=" + patient).status, 200);
  const size_t rows_before = RowsForPatient(patient).size();  // admin's create + 2 ehr accesses

  auto result = w.admin().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient);
  ASSERT_EQ(result.status, 200) << result.body;
  auto doc = Parse(result.body);
  EXPECT_EQ(At(doc, "/resourceType"), "Bundle");
  EXPECT_EQ(At(doc, "/type"), "searchset");
  ASSERT_TRUE(doc.HasMember("entry") && doc["entry"].IsArray()) << result.body.substr(0, 500);
  const auto& entries = doc["entry"].GetArray();
  EXPECT_EQ(entries.Size(), rows_before) << result.body.substr(0, 2000);
  int by_ehr = 0;
  for (const auto& entry : entries) {
    ASSERT_TRUE(entry.IsObject() && entry.HasMember("resource"));
    const auto& event = entry["resource"];
    EXPECT_EQ(std::string(event["resourceType"].GetString()), "AuditEvent");
    bool names_patient = false;
    if (event.HasMember("entity") && event["entity"].IsArray()) {
      for (const auto& entity : event["entity"].GetArray()) {
        const auto* ref = rapidjson::Pointer("/what/reference").Get(entity);
        if (ref && ref->IsString() && ref->GetString() == "Patient/" + patient) names_patient = true;
      }
    }
    EXPECT_TRUE(names_patient) << "an entry without entity Patient/" << patient;
    const auto* who = rapidjson::Pointer("/agent/0/who/identifier/value").Get(event);
    if (who && who->IsString() && who->GetString() == kEhrHsa) ++by_ehr;
  }
  EXPECT_EQ(by_ehr, 2) << result.body.substr(0, 3000);

  auto by_agent = w.admin().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient +
                                               "&agent=" + reg::kHsaSystem + "%7C" + kEhrHsa);
  ASSERT_EQ(by_agent.status, 200) << by_agent.body;
  EXPECT_EQ(At(Parse(by_agent.body), "/total"), "2") << by_agent.body.substr(0, 500);

  ExpectForbidden(w.ehr().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient), "ehr reads AuditEvent");
  ExpectForbidden(w.municipality().Request("GET", "/fhir/AuditEvent?patient=Patient/" + patient),
                  "municipality reads AuditEvent");
}

// 10. log extract for one person

TEST(Security, AuditExtractListsEveryAccessWithoutLoggingThePersonnummer) {
  World w("sec-ext");
  const std::string vc = w.Vardcentral("vc");
  const std::string patient = w.Patient("p");
  const std::string pnr = w.Pnr(patient);
  // Accesses by the region's EHR, two of them naming the personnummer in the request line.
  ASSERT_EQ(w.Get("Patient/" + patient).status, 200);
  ASSERT_EQ(w.Get("Patient?identifier=" + reg::kPersonnummerSystem + "%7C" + pnr).status, 200);
  World::Require(w.List(w.Id("l1"), patient, vc, "2024-01-01"), "listing");
  auto citizen = Server::Shared().Client("citizen-portal");
  ASSERT_EQ(citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem + "%7C" +
                                        pnr).status,
            200);

  const auto rows = RowsForPatient(patient);
  size_t ehr_rows = 0;
  for (const auto& r : rows) ehr_rows += r.unit == reg::kRegionHsa;
  ASSERT_EQ(ehr_rows, 3u) << Describe(rows);

  auto [code, out] = testing::RunNara({"audit-extract", "--patient", pnr}, Server::Shared().Env());
  ASSERT_EQ(code, 0) << out;
  size_t headers = 0, lines = 0, region_lines = 0;
  for (const auto& line : Split(out, '\n')) {
    if (line.rfind("# Loggutdrag", 0) == 0) {
      ++headers;
      continue;
    }
    auto fields = Split(line, '\t');
    if (fields.size() != 5) continue;  // log lines
    ++lines;
    if (fields[2] == reg::kRegionHsa) ++region_lines;
  }
  EXPECT_EQ(headers, 1u) << out;
  EXPECT_EQ(lines, rows.size()) << out << Describe(rows);
  EXPECT_EQ(region_lines, ehr_rows) << out;

  const std::string log = Server::Shared().ServerLog();
  EXPECT_EQ(log.find(pnr), std::string::npos) << "the personnummer is in the server log";
  EXPECT_EQ(log.find(pnr.substr(2)), std::string::npos) << "the 10-digit personnummer is in the server log";
}

}  // namespace
}  // namespace nara::e2e
