// Protected identity (issue 17, docs/api.md section 8) over real mutual TLS and PostgreSQL: a person
// with sekretessmarkering is listed at a vårdcentral, has a fast läkarkontakt and a Patientkontrakt.
// For every role and every read path the test looks at what comes back; and, property-style, no
// response to an outside caller holds the person's address, telephone, or any id of the units and
// the doctor that care for them.
//
// A server of its own (OwnServer) with an access.json that adds an ehr acting for another region
// (the dev PKI's `unlisted` certificate), so "an ehr that does not care for the person" exists.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {
namespace {

using reg::World;

// The dev PKI's HSA-ids (auth/dev_pki.cpp). `unlisted` (SE2321000016-E006) is here an ehr of another region.
const char* kAccessJson = R"({"clients":[
  {"hsaId":"SE2321000016-E001","name":"EHR covering","role":"ehr","organizations":["SE2321000016-0001"]},
  {"hsaId":"SE2321000016-E006","name":"EHR elsewhere","role":"ehr","organizations":["SE2321000099-0001"]},
  {"hsaId":"SE2120000184-K001","name":"Solna","role":"municipality","organizations":["SE2120000184-0001"]},
  {"hsaId":"SE2021005521-S001","name":"Socialstyrelsen","role":"statistics","organizations":[]},
  {"hsaId":"SE5565594230-P001","name":"1177","role":"citizen-portal","organizations":[]},
  {"hsaId":"SE2321000016-A001","name":"Admin","role":"admin","organizations":[]}
]})";

const std::string kMunicipalityExt = reg::kNr + "/StructureDefinition/municipality";
const std::string kKommunSystem = reg::kNr + "/CodeSystem/kommun";
const std::string kMark =
    R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},)";
// What must never reach an outside caller.
const std::string kStreet = "Hemlighetsgränd 13";
const std::string kPostal = "17199";
const std::string kPhone = "0701239876";

std::string ProtectedPatientJson(const std::string& id, const std::string& pnr) {
  return R"({"resourceType":"Patient","id":")" + id + R"(",)" + kMark + R"("identifier":[{"system":")" +
         reg::kPersonnummerSystem + R"(","value":")" + pnr + R"("}],"name":[{"family":"Skyddadsson",
         "given":["Sigrid"]}],"gender":"female","birthDate":"1931-03-01",
         "telecom":[{"system":"phone","value":")" + kPhone + R"("}],
         "address":[{"use":"home","extension":[{"url":")" + kMunicipalityExt + R"(","valueCoding":{"system":")" +
         kKommunSystem + R"(","code":"0184"}}],"line":[")" + kStreet + R"("],"postalCode":")" + kPostal +
         R"(","city":"Solna"}]})";
}

struct Paths {
  std::string label, path;
};

class ProtectedIdentity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new OwnServer("protected", {{"NARA_ACCESS_FILE", WriteTempFile("access.json", kAccessJson)}});
    ASSERT_TRUE(server_->Migrate());
    ASSERT_TRUE(server_->Start());
    auto admin = server_->Client("admin");
    auto ehr = server_->Client("ehr");
    // The region the covering ehr acts for, a vårdcentral in it, a doctor there, and Solna kommun.
    World::Put(*admin, "Organization", "pi-region", reg::OrganizationJson("pi-region", reg::kRegionHsa, "region"));
    World::Put(*admin, "Organization", "pi-vc",
               reg::OrganizationJson("pi-vc", kVcHsa, "vardcentral", "pi-region"));
    World::Put(*admin, "Organization", "pi-solna", reg::KommunJson("pi-solna", reg::kKommunHsa, "0184"));
    World::Put(*admin, "Practitioner", "pi-doc-pr", reg::PractitionerJson("pi-doc-pr", "Läkarsson"));
    World::Put(*admin, "PractitionerRole", "pi-doc", reg::RoleJson("pi-doc", "pi-doc-pr", "pi-vc", "lakare"));
    pnr_ = reg::NextPersonnummer();
    // Only admin marks a person as protected.
    World::Put(*admin, "Patient", "pi-sigrid", ProtectedPatientJson("pi-sigrid", pnr_));
    World::Require(ehr->Request("PUT", "/fhir/EpisodeOfCare/pi-listing",
                                reg::EpisodeJson("pi-listing", "pi-sigrid", "pi-vc", "2024-01-01"), reg::kFhirJson),
                   "listing");
    World::Require(ehr->Request("PUT", "/fhir/CareTeam/pi-doctor",
                                reg::CareTeamJson("pi-doctor", "pi-sigrid", "pi-doc", "pi-vc", "2024-01-01"),
                                reg::kFhirJson),
                   "fast läkarkontakt");
    World::Require(ehr->Request("PUT", "/fhir/DocumentReference/pi-contract",
                                reg::ContractJson("pi-contract", "pi-sigrid", "pi-vc", "pi-doctor"), reg::kFhirJson),
                   "Patientkontrakt");
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // Every read path of section 8, as GET paths below the host.
  static std::vector<Paths> ReadPaths() {
    const std::string pnr = reg::kPersonnummerSystem + "|" + pnr_;
    return {
        {"read Patient", "/fhir/Patient/pi-sigrid"},
        {"vread Patient", "/fhir/Patient/pi-sigrid/_history/1"},
        {"read EpisodeOfCare", "/fhir/EpisodeOfCare/pi-listing"},
        {"vread EpisodeOfCare", "/fhir/EpisodeOfCare/pi-listing/_history/1"},
        {"read CareTeam", "/fhir/CareTeam/pi-doctor"},
        {"vread CareTeam", "/fhir/CareTeam/pi-doctor/_history/1"},
        {"read DocumentReference", "/fhir/DocumentReference/pi-contract"},
        {"vread DocumentReference", "/fhir/DocumentReference/pi-contract/_history/1"},
        {"search Patient identifier", "/fhir/Patient?identifier=" + pnr},
        {"search Patient name", "/fhir/Patient?name=Skyddadsson"},
        {"search Patient family", "/fhir/Patient?family=Skyddadsson"},
        {"search Patient given", "/fhir/Patient?given=Sigrid&family=Skyddadsson"},
        {"search Patient gender", "/fhir/Patient?gender=female&family=Skyddadsson"},
        {"search Patient _id", "/fhir/Patient?_id=pi-sigrid"},
        {"search Patient birthdate", "/fhir/Patient?birthdate=1931-03-01&family=Skyddadsson"},
        {"search Patient address", "/fhir/Patient?address=Hemlighetsgr"},
        {"search Patient address-city", "/fhir/Patient?address-city=Solna&family=Skyddadsson"},
        {"search Patient address-postalcode", "/fhir/Patient?address-postalcode=17199"},
        {"search Patient municipality", "/fhir/Patient?municipality=0184&family=Skyddadsson"},
        {"doctor's list of Patients", "/fhir/Patient?general-practitioner=PractitionerRole/pi-doc"},
        {"unit's list of Patients", "/fhir/Patient?general-practitioner=Organization/pi-vc"},
        {"search Patient _revinclude", "/fhir/Patient?_id=pi-sigrid&_revinclude=EpisodeOfCare:patient"
                                       "&_revinclude=CareTeam:subject&_revinclude=DocumentReference:subject"},
        {"search EpisodeOfCare by patient", "/fhir/EpisodeOfCare?patient=Patient/pi-sigrid"},
        {"unit's list", "/fhir/EpisodeOfCare?organization=Organization/pi-vc&_include=EpisodeOfCare:patient"},
        {"doctor's list", "/fhir/CareTeam?participant=PractitionerRole/pi-doc&_include=CareTeam:subject"},
        {"search DocumentReference", "/fhir/DocumentReference?subject=Patient/pi-sigrid"},
        {"Patient history", "/fhir/Patient/pi-sigrid/_history"},
        {"EpisodeOfCare history", "/fhir/EpisodeOfCare/pi-listing/_history"},
        {"type history", "/fhir/CareTeam/_history"},
        {"change feed", "/fhir/EpisodeOfCare/_history?_since=2000-01-01T00:00:00Z"},
        {"$fixed-contacts", "/fhir/Patient/$fixed-contacts?identifier=" + pnr},
    };
  }

  static constexpr const char* kVcHsa = "SE2321000016-PI01";
  static OwnServer* server_;
  static std::string pnr_;
};

OwnServer* ProtectedIdentity::server_ = nullptr;
std::string ProtectedIdentity::pnr_;

bool Has(const std::string& body, const std::string& what) { return body.find(what) != std::string::npos; }

// What an outside caller must never see, in any body.
const std::vector<std::string>& Secrets() {
  static const std::vector<std::string> secrets = {kStreet, kPostal, kPhone,   "pi-vc",    "SE2321000016-PI01",
                                                   "pi-doc", "pi-listing", "pi-doctor", "pi-contract"};
  return secrets;
}

TEST_F(ProtectedIdentity, OnlyAdminSetsOrRemovesTheMark) {
  auto ehr = server_->Client("ehr");
  const std::string pnr = reg::NextPersonnummer();
  auto created = ehr->Request("PUT", "/fhir/Patient/pi-other", ProtectedPatientJson("pi-other", pnr), reg::kFhirJson);
  EXPECT_EQ(created.status, 403) << created.body;
  EXPECT_EQ(IssueCode(created.body), "forbidden");
  EXPECT_TRUE(Has(created.body, "endast administratören")) << created.body;
  std::string unmarked = ProtectedPatientJson("pi-sigrid", pnr_);
  unmarked.erase(unmarked.find(kMark), kMark.size());
  auto dropped = ehr->Request("PUT", "/fhir/Patient/pi-sigrid", unmarked, reg::kFhirJson);
  EXPECT_EQ(dropped.status, 403) << dropped.body;
  // The registry keeps the mark per patient.
  EXPECT_EQ(testing::Psql(server_->database_url(),
                          "SELECT protected FROM registry_patient WHERE patient_id = 'pi-sigrid'").second.substr(0, 1),
            "t");
}

TEST_F(ProtectedIdentity, WhoCaresForThePersonAdminAndTheCitizenSeeEverything) {
  for (const char* role : {"ehr", "admin"}) {
    auto client = server_->Client(role);
    auto patient = client->Request("GET", "/fhir/Patient/pi-sigrid");
    ASSERT_EQ(patient.status, 200) << role << patient.body;
    EXPECT_TRUE(Has(patient.body, kStreet)) << role;
    EXPECT_TRUE(Has(patient.body, "Organization/pi-vc")) << role << " (generalPractitioner)";
    EXPECT_FALSE(Has(patient.body, "REDACTED")) << role;
    for (const char* path : {"/fhir/EpisodeOfCare/pi-listing", "/fhir/CareTeam/pi-doctor",
                             "/fhir/DocumentReference/pi-contract", "/fhir/EpisodeOfCare/pi-listing/_history/1"}) {
      EXPECT_EQ(client->Request("GET", path).status, 200) << role << " " << path;
    }
    for (const char* path : {"/fhir/Patient?address-postalcode=17199", "/fhir/Patient?general-practitioner=PractitionerRole/pi-doc"}) {
      auto found = client->Request("GET", path);
      EXPECT_TRUE(Has(found.body, kStreet)) << role << " " << path << ": " << found.body;
    }
    auto list = client->Request("GET", "/fhir/CareTeam?participant=PractitionerRole/pi-doc&_include=CareTeam:subject");
    EXPECT_TRUE(Has(list.body, "\"pi-doctor\"")) << role << list.body;
    EXPECT_TRUE(Has(list.body, kStreet)) << role;
    EXPECT_FALSE(Has(list.body, "suppressed")) << role;
  }
  auto citizen = server_->Client("citizen-portal");
  auto own = citizen->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem + "|" + pnr_);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_TRUE(Has(own.body, "EpisodeOfCare/pi-listing")) << own.body;
  EXPECT_TRUE(Has(own.body, "CareTeam/pi-doctor")) << own.body;
  EXPECT_TRUE(Has(own.body, kStreet));
}

// The property: for every outside role and every read path, no body holds an address, telephone or id
// of where the person is cared for; a Patient that is returned is the labelled, redacted one; a search
// that left something out says so without naming anyone.
TEST_F(ProtectedIdentity, NoPathTellsAnOutsideCallerWhereThePersonIsCaredFor) {
  for (const char* role : {"unlisted", "municipality", "statistics"}) {
    auto client = server_->Client(role);
    for (const auto& [label, path] : ReadPaths()) {
      auto result = client->Request("GET", path);
      ASSERT_TRUE(result.error.empty()) << role << " " << label << ": " << result.error;
      EXPECT_TRUE(result.status == 200 || result.status == 403 || result.status == 404)
          << role << " " << label << " → " << result.status << " " << result.body;
      for (const auto& secret : Secrets()) {
        if (Has(path, secret)) continue;  // the caller's own words come back in links and 404 texts
        EXPECT_FALSE(Has(result.body, secret)) << role << " " << label << " reveals " << secret << ": " << result.body;
      }
      // What came back as resources (a self link repeats the caller's own query).
      const auto at = result.body.find("\"entry\"");
      const std::string entries = at == std::string::npos ? "" : result.body.substr(at);
      if (label.find("address") != std::string::npos || label.find("municipality") != std::string::npos ||
          label.find("list") != std::string::npos) {
        EXPECT_FALSE(Has(entries, "Skyddadsson")) << role << " " << label << ": " << result.body;
      }
      if (result.status == 200 && Has(path.find('?') == std::string::npos ? result.body : entries, "Skyddadsson")) {
        EXPECT_TRUE(Has(result.body, "\"REDACTED\"")) << role << " " << label << ": " << result.body;
      }
    }
  }
}

TEST_F(ProtectedIdentity, TheOutsideEhrGetsTheRedactedPatientAnd404sLikeMissingOnes) {
  auto outside = server_->Client("unlisted");
  auto patient = outside->Request("GET", "/fhir/Patient/pi-sigrid");
  ASSERT_EQ(patient.status, 200) << patient.body;
  auto doc = Parse(patient.body);
  EXPECT_EQ(At(doc, "/name/0/family"), "Skyddadsson");
  EXPECT_FALSE(doc.HasMember("address"));
  EXPECT_FALSE(doc.HasMember("telecom"));
  EXPECT_FALSE(doc.HasMember("generalPractitioner"));
  EXPECT_TRUE(Has(patient.body, "http://terminology.hl7.org/CodeSystem/v3-ObservationValue")) << patient.body;

  // A withheld resource answers exactly as one that does not exist (but for the id in the text).
  for (const std::string type : {"EpisodeOfCare", "CareTeam", "DocumentReference"}) {
    const std::string id = type == "EpisodeOfCare" ? "pi-listing" : type == "CareTeam" ? "pi-doctor" : "pi-contract";
    auto withheld = outside->Request("GET", "/fhir/" + type + "/" + id);
    auto missing = outside->Request("GET", "/fhir/" + type + "/pi-nosuch");
    EXPECT_EQ(withheld.status, 404) << type;
    std::string as_missing = withheld.body;
    as_missing.replace(as_missing.find(id), id.size(), "pi-nosuch");
    EXPECT_EQ(as_missing, missing.body) << type;
    auto vwithheld = outside->Request("GET", "/fhir/" + type + "/" + id + "/_history/1");
    auto vmissing = outside->Request("GET", "/fhir/" + type + "/pi-nosuch/_history/1");
    EXPECT_EQ(vwithheld.status, 404);
    std::string vas_missing = vwithheld.body;
    vas_missing.replace(vas_missing.find(id), id.size(), "pi-nosuch");
    EXPECT_EQ(vas_missing, vmissing.body) << type;
  }

  // A search that left something out: an OperationOutcome entry, search.mode outcome, code suppressed.
  auto search = outside->Request("GET", "/fhir/EpisodeOfCare?patient=Patient/pi-sigrid");
  ASSERT_EQ(search.status, 200) << search.body;
  auto bundle = Parse(search.body);
  ASSERT_TRUE(bundle.HasMember("entry")) << search.body;
  ASSERT_EQ(bundle["entry"].Size(), 1u) << search.body;
  EXPECT_EQ(At(bundle, "/entry/0/search/mode"), "outcome");
  EXPECT_EQ(At(bundle, "/entry/0/resource/issue/0/code"), "suppressed");
  // The note names nobody (the self link repeats the caller's own query).
  EXPECT_FALSE(Has(search.body.substr(search.body.find("\"entry\"")), "pi-sigrid")) << search.body;
  EXPECT_FALSE(bundle.HasMember("total"));

  // $fixed-contacts: the redacted Patient and the note, nothing else.
  auto fixed = outside->Request("GET", "/fhir/Patient/$fixed-contacts?identifier=" + reg::kPersonnummerSystem + "|" + pnr_);
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  auto fixed_doc = Parse(fixed.body);
  ASSERT_EQ(fixed_doc["entry"].Size(), 2u) << fixed.body;
  EXPECT_EQ(At(fixed_doc, "/entry/1/resource/issue/0/code"), "suppressed");
}

TEST_F(ProtectedIdentity, CountsStillIncludeThePerson) {
  auto admin = server_->Client("admin");
  auto as_admin = admin->Request("GET", "/fhir/Organization/pi-vc/$list-status");
  ASSERT_EQ(as_admin.status, 200) << as_admin.body;
  EXPECT_EQ(reg::ParamNumber(as_admin.body, "listed"), 1) << as_admin.body;
  // Anyone who may ask gets the same count.
  for (const char* role : {"unlisted", "statistics"}) {
    auto status = server_->Client(role)->Request("GET", "/fhir/Organization/pi-vc/$list-status");
    if (status.status == 200) {
      EXPECT_EQ(status.body, as_admin.body) << role;
    }
  }
}

TEST_F(ProtectedIdentity, EveryAccessIsAuditedWithItsOutcome) {
  auto outside = server_->Client("unlisted");
  ASSERT_EQ(outside->Request("GET", "/fhir/Patient/pi-sigrid").status, 200);
  ASSERT_EQ(outside->Request("GET", "/fhir/CareTeam/pi-doctor").status, 404);
  auto ehr = server_->Client("ehr");
  ASSERT_EQ(ehr->Request("GET", "/fhir/Patient/pi-sigrid").status, 200);
  auto [code, out] = testing::Psql(server_->database_url(),
                                   "SELECT agent_hsa_id || ' ' || detail FROM audit_event "
                                   "WHERE 'pi-sigrid' = ANY(patient_ids) AND action IN ('read') ORDER BY id");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(Has(out, "SE2321000016-E006 GET Patient; skyddad identitet: 1 maskerad (protected identity: 1 redacted)"))
      << out;
  EXPECT_TRUE(Has(out, "SE2321000016-E006 GET CareTeam; skyddad identitet: 1 undanhållen")) << out;
  EXPECT_TRUE(Has(out, "SE2321000016-E001 GET Patient; skyddad identitet: 1 fullständig (protected identity: 1 full)"))
      << out;
}

// $export: statistics gets the Patient redacted and nothing of where the person is cared for; admin all.
TEST_F(ProtectedIdentity, ExportLeavesOutWhereThePersonIsCaredFor) {
  const std::map<std::string, std::string> async = {{"Accept", "application/fhir+json"}, {"Prefer", "respond-async"}};
  auto run = [&](const char* role) {
    auto client = server_->Client(role);
    auto kick = client->Request("GET", "/fhir/$export?_type=Patient,EpisodeOfCare,CareTeam,DocumentReference", "", async);
    EXPECT_EQ(kick.status, 202) << role << kick.body;
    std::string location = kick.headers["content-location"];
    location = location.substr(location.find("/fhir/"));
    testing::HttpResult done;
    for (int i = 0; i < 1200; ++i) {  // bounded by polls, not by time
      done = client->Request("GET", location);
      if (done.status != 202) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(done.status, 200) << done.body;
    std::string all;
    auto manifest = Parse(done.body);
    for (const auto& file : manifest["output"].GetArray()) {
      std::string url = file["url"].GetString();
      all += client->Request("GET", url.substr(url.find("/fhir/")), "", {{"Accept", "application/fhir+ndjson"}}).body;
    }
    return all;
  };
  const std::string statistics = run("statistics");
  EXPECT_TRUE(Has(statistics, "Skyddadsson")) << "the person is counted";
  for (const auto& secret : Secrets()) EXPECT_FALSE(Has(statistics, secret)) << secret;
  EXPECT_TRUE(Has(statistics, "REDACTED"));
  const std::string admin = run("admin");
  for (const char* whole : {"pi-listing", "pi-doctor", "pi-contract", "Hemlighetsgränd 13"}) {
    EXPECT_TRUE(Has(admin, whole)) << whole;
  }
}

}  // namespace
}  // namespace nara::e2e
