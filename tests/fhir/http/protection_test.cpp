// Protected identity (docs/api.md section 8) at the FHIR layer, over the in-memory store: the mark
// is admin's to set, and a caller who does not care for the person gets the Patient redacted and
// nothing that tells where the person is cared for. The same paths over TLS and PostgreSQL:
// tests/e2e/protected_identity_test.cpp.
#include <gtest/gtest.h>

#include <type_traits>

#include "fhir/http/protection.h"
#include "tests/fhir/http/router_fixture.h"

namespace nara::fhir {
namespace {

constexpr const char* kMark =
    R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]})";
constexpr const char* kCoveringUnit = "SE2321000016-1001";
constexpr const char* kOtherUnit = "SE2321000016-2002";

std::string ProtectedPatient(bool marked) {
  return std::string(R"({"resourceType":"Patient",)") + (marked ? std::string(kMark) + "," : "") +
         R"("identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}],
  "name":[{"family":"Åberg","given":["Anna"]}],"gender":"female","birthDate":"1971-06-25",
  "telecom":[{"system":"phone","value":"070-1234567"}],
  "address":[{"use":"home","line":["Hemliga gränd 7"],"postalCode":"90325","city":"Umeå"}]})";
}

HttpRequest As(HttpRequest request, const std::string& role, const std::string& unit = "") {
  request.caller.role = role;
  request.caller.hsa_id = "SE2321000016-C" + role.substr(0, 3);
  request.caller.organizations.clear();
  if (!unit.empty()) request.caller.organizations.push_back(unit);
  return request;
}

class Protection : public Router {
 protected:
  void SetUp() override {
    patient_ = CreatePatient(ProtectedPatient(true));
    ASSERT_FALSE(patient_.empty());
    // The vårdcentral the patient is listed at, known to the registry by its HSA-id.
    UnitFacts unit;
    unit.id = "vc1";
    unit.hsa_id = kCoveringUnit;
    unit.type = UnitType::vardcentral;
    store_.registry.units[unit.id] = unit;
    EpisodeFacts listing;
    listing.id = "ep1";
    listing.patient_id = patient_;
    listing.unit_id = "vc1";
    listing.period.start = *Date::Parse("2020-01-01");
    store_.registry.listings.push_back(listing);
    // A Patientkontrakt about the patient, stored as it is (the rules are not under test here).
    document_ = Seed("DocumentReference", R"({"resourceType":"DocumentReference","status":"current",
      "subject":{"reference":"Patient/)" + patient_ + R"("},"custodian":{"reference":"Organization/vc1"},
      "content":[{"attachment":{"url":"urn:oid:1.2.752.129.2.1.2.1#kontrakt-1"}}]})");
  }

  std::string Seed(const std::string& type, const std::string& json) {
    std::string id;
    auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
      WriteRequest write;
      write.type = type;
      write.render = [&](const VersionInfo& info) {
        return "{\"id\":\"" + info.id + "\",\"meta\":{\"versionId\":\"" + std::to_string(info.version) + "\"}," +
               json.substr(1);
      };
      auto written = tx.Write(write);
      if (!written) return written.error();
      id = written->resource.id;
      return Ok();
    });
    EXPECT_TRUE(status);
    return id;
  }

  std::string patient_, document_;
};

TEST_F(Protection, OnlyAdminSetsOrRemovesTheMark) {
  // An ehr may register a person, but not as protected.
  auto create = As(Req("POST", "/Patient", ProtectedPatient(true)), "ehr", kCoveringUnit);
  const HttpResponse refused = Do(create);
  EXPECT_EQ(ExpectOutcome(refused, 403), "forbidden");
  EXPECT_NE(refused.body.find("endast administratören"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("(only admin"), std::string::npos) << refused.body;

  // Removing it by an update is refused too; keeping it is an ordinary update.
  const std::string unmarked = ProtectedPatient(false);
  const std::string with_id = R"({"id":")" + patient_ + "\"," + unmarked.substr(1);
  EXPECT_EQ(ExpectOutcome(Do(As(Req("PUT", "/Patient/" + patient_, with_id), "ehr", kCoveringUnit)), 403), "forbidden");
  const std::string marked = ProtectedPatient(true);
  const std::string kept = R"({"id":")" + patient_ + "\"," + marked.substr(1);
  EXPECT_EQ(Do(As(Req("PUT", "/Patient/" + patient_, kept), "ehr", kCoveringUnit)).status, 200);

  // admin removes it; the registry forgets the protection with it.
  EXPECT_EQ(Do(Req("PUT", "/Patient/" + patient_, with_id)).status, 200);
  EXPECT_FALSE(store_.registry.patients.at(patient_).is_protected);
  EXPECT_EQ(Do(Req("PUT", "/Patient/" + patient_, kept)).status, 200);
  EXPECT_TRUE(store_.registry.patients.at(patient_).is_protected);
}

TEST_F(Protection, AnOutsideEhrCannotWriteTheRedactedViewBack) {
  // Shown the person without address and telephone, an outside ehr must not store that view: it
  // would erase them for everyone.
  const HttpResponse read = Do(As(Req("GET", "/Patient/" + patient_), "ehr", kOtherUnit));
  ASSERT_EQ(read.status, 200) << read.body;
  const HttpResponse put = Do(As(Req("PUT", "/Patient/" + patient_, read.body), "ehr", kOtherUnit));
  EXPECT_EQ(ExpectOutcome(put, 403), "forbidden");
  EXPECT_NE(put.body.find("skyddad identitet"), std::string::npos) << put.body;
  EXPECT_EQ(ExpectOutcome(Do(As(Req("DELETE", "/Patient/" + patient_), "ehr", kOtherUnit)), 403), "forbidden");
  // Nothing changed: the stored person still has the address.
  const HttpResponse stored = Do(Req("GET", "/Patient/" + patient_));
  ASSERT_EQ(stored.status, 200);
  EXPECT_NE(stored.body.find("90325"), std::string::npos) << stored.body;
  EXPECT_NE(stored.body.find("\"versionId\":\"1\""), std::string::npos) << stored.body;
}

TEST_F(Protection, TheRegistryKnowsTheMark) {
  EXPECT_TRUE(store_.registry.patients.at(patient_).is_protected);
  EXPECT_FALSE(store_.registry.patients.at(CreatePatient(R"({"resourceType":"Patient",
    "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"191212121212"}]})")).is_protected);
}

TEST_F(Protection, AnOutsideEhrReadsTheRedactedPatientAndAuditSaysSo) {
  const HttpResponse read = Do(As(Req("GET", "/Patient/" + patient_), "ehr", kOtherUnit));
  ASSERT_EQ(read.status, 200) << read.body;
  for (const char* gone : {"Hemliga", "90325", "070-1234567", "\"address\"", "\"telecom\"", "generalPractitioner"}) {
    EXPECT_EQ(read.body.find(gone), std::string::npos) << gone << " in " << read.body;
  }
  EXPECT_NE(read.body.find("Åberg"), std::string::npos);
  EXPECT_NE(read.body.find(R"("code":"REDACTED")"), std::string::npos) << read.body;
  ASSERT_FALSE(store_.audit.empty());
  EXPECT_NE(store_.audit.back().detail.find("protected identity: 1 redacted"), std::string::npos)
      << store_.audit.back().detail;
  EXPECT_EQ(store_.audit.back().patient_ids, std::vector<std::string>{patient_});
}

TEST_F(Protection, WhoCaresForThePersonSeesEverything) {
  for (const auto& request : {As(Req("GET", "/Patient/" + patient_), "ehr", kCoveringUnit),
                              Req("GET", "/Patient/" + patient_)}) {
    const HttpResponse read = Do(request);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_NE(read.body.find("Hemliga gränd 7"), std::string::npos) << read.body;
    EXPECT_EQ(read.body.find("REDACTED"), std::string::npos);
    EXPECT_NE(store_.audit.back().detail.find("protected identity: 1 full"), std::string::npos)
        << store_.audit.back().detail;
  }
  // A fixed contact managed by the caller's unit counts like the listing.
  store_.registry.listings.clear();
  ContactFacts contact;
  contact.id = "ct1";
  contact.patient_id = patient_;
  contact.managing_unit_id = "vc1";
  contact.period.start = *Date::Parse("2020-01-01");
  store_.registry.contacts.push_back(contact);
  EXPECT_NE(Do(As(Req("GET", "/Patient/" + patient_), "ehr", kCoveringUnit)).body.find("Hemliga"), std::string::npos);
  // An ended contact does not.
  store_.registry.contacts.back().period.end = *Date::Parse("2021-01-01");
  EXPECT_EQ(Do(As(Req("GET", "/Patient/" + patient_), "ehr", kCoveringUnit)).body.find("Hemliga"), std::string::npos);
}

TEST_F(Protection, WithheldResourcesReadAsMissing) {
  const HttpResponse missing = Do(As(Req("GET", "/DocumentReference/nosuch"), "ehr", kOtherUnit));
  const HttpResponse withheld = Do(As(Req("GET", "/DocumentReference/" + document_), "ehr", kOtherUnit));
  EXPECT_EQ(ExpectOutcome(withheld, 404), "not-found");
  EXPECT_EQ(withheld.body.find(patient_), std::string::npos);
  EXPECT_NE(store_.audit.back().detail.find("withheld"), std::string::npos) << store_.audit.back().detail;
  const HttpResponse vread = Do(As(Req("GET", "/DocumentReference/" + document_ + "/_history/1"), "ehr", kOtherUnit));
  EXPECT_EQ(ExpectOutcome(vread, 404), "not-found");
  EXPECT_EQ(Do(As(Req("GET", "/DocumentReference/" + document_ + "/_history"), "ehr", kOtherUnit)).status, 404);
  EXPECT_EQ(Do(As(Req("GET", "/DocumentReference/" + document_), "ehr", kCoveringUnit)).status, 200);
  EXPECT_EQ(Do(Req("GET", "/DocumentReference/" + document_ + "/_history/1")).status, 200);
}

TEST_F(Protection, SearchesAndHistoryLeaveWithheldOutWithoutNamingThePatient) {
  // A search and a type's history (the change feed needs PostgreSQL: tests/e2e).
  for (const std::string path : {"/DocumentReference", "/DocumentReference/_history"}) {
    auto get = [&path] {
      HttpRequest r = Req("GET", path.substr(0, path.find('?')));
      if (path.back() == '?') r.query.emplace_back("_since", "2000-01-01");
      return r;
    };
    const HttpResponse found = Do(As(get(), "ehr", kOtherUnit));
    ASSERT_EQ(found.status, 200) << path << found.body;
    EXPECT_EQ(found.body.find(document_), std::string::npos) << path << found.body;
    EXPECT_EQ(found.body.find("Hemliga"), std::string::npos) << path << found.body;
    EXPECT_NE(found.body.find(R"("code":"suppressed")"), std::string::npos) << path << found.body;
    EXPECT_EQ(found.body.find("\"total\""), std::string::npos) << path << found.body;

    const HttpResponse full = Do(get());
    EXPECT_NE(full.body.find(document_), std::string::npos) << path << full.body;
    EXPECT_EQ(full.body.find("suppressed"), std::string::npos) << path << full.body;
  }
  const HttpResponse patients = Do(As(Req("GET", "/Patient"), "ehr", kOtherUnit));
  EXPECT_NE(patients.body.find("REDACTED"), std::string::npos) << patients.body;
  EXPECT_EQ(patients.body.find("Hemliga"), std::string::npos) << patients.body;
}

TEST_F(Protection, AConditionalCreateThatFindsThePersonAnswersWithTheRedactedPatient) {
  auto create = As(Req("POST", "/Patient", ProtectedPatient(false)), "ehr", kOtherUnit);
  create.headers["if-none-exist"] = "identifier=urn:oid:1.2.752.129.2.1.3.1|197106254787";
  const HttpResponse found = Do(create);
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.body.find("Hemliga"), std::string::npos) << found.body;
  EXPECT_NE(found.body.find("REDACTED"), std::string::npos) << found.body;
}

// A screen keeps a reference to its caller: one made for a temporary Caller read a dead object
// (ASan: stack-use-after-scope in subscription matching). Such a screen must not compile.
static_assert(std::is_constructible_v<ProtectionScreen, const Caller&>);
static_assert(!std::is_constructible_v<ProtectionScreen, Caller&&>,
              "a ProtectionScreen must not be made for a temporary Caller: it keeps a reference to it");

TEST(RedactedPatientJson, KeepsWhoNotWhere) {
  const std::string redacted = RedactedPatientJson(R"({"resourceType":"Patient","id":"p","meta":{"versionId":"2"},
    "name":[{"family":"Åberg"}],"telecom":[{"value":"1"}],"generalPractitioner":[{"reference":"Organization/x"}],
    "address":[{"city":"Umeå","extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
    "valueCoding":{"code":"2480"}}]}],
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality","valueCoding":{"code":"2480"}}]})");
  EXPECT_EQ(redacted,
            R"({"resourceType":"Patient","id":"p","meta":{"versionId":"2","security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue","code":"REDACTED","display":"redacted"}]},"name":[{"family":"Åberg"}]})");
  EXPECT_EQ(RedactedPatientJson(redacted), redacted);  // once labelled, stays as it is
}

}  // namespace
}  // namespace nara::fhir
