// fhir/resources/registry_resources.cpp through PrepareResource: EpisodeOfCare, CareTeam, DocumentReference,
// the registry extensions on Organization and PractitionerRole, the derived Patient.generalPractitioner,
// and the search parameters of the new types (resource_types.cpp, search_params.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "fhir/search/search_params.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

const char* const kNr = "https://fhir.nara-registry.org";

const ResourceTypeDef& Type(const char* name) {
  const ResourceTypeDef* def = FindType(name);
  EXPECT_NE(def, nullptr) << name;
  static const ResourceTypeDef kNone{"None", {}, "", {}};
  return def == nullptr ? kNone : *def;
}

PreparedResource Prepare(const char* type, const std::string& body) {
  auto prepared = PrepareResource(body, Type(type), std::nullopt);
  EXPECT_TRUE(prepared.ok()) << (prepared.ok() ? "" : prepared.error().text + " at " + prepared.error().location)
                             << "\nbody: " << body;
  if (!prepared.ok()) return PreparedResource{};
  return std::move(prepared).value();
}

Error PrepareError(const char* type, const std::string& body) {
  auto prepared = PrepareResource(body, Type(type), std::nullopt);
  EXPECT_FALSE(prepared.ok()) << "accepted: " << body;
  if (prepared.ok()) return Error::Invalid("accepted", "");
  EXPECT_EQ(prepared.error().kind, ErrorKind::invalid);
  EXPECT_FALSE(prepared.error().text.empty());
  return prepared.error();
}

using Triple = std::tuple<std::string, std::string, std::string>;

std::vector<Triple> Tokens(const IndexEntries& index) {
  std::vector<Triple> out;
  for (const auto& t : index.tokens) out.emplace_back(t.param, t.system, t.code);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Triple> Refs(const IndexEntries& index) {
  std::vector<Triple> out;
  for (const auto& r : index.references) out.emplace_back(r.param, r.target_type, r.target_id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Triple> Periods(const IndexEntries& index) {
  std::vector<Triple> out;
  for (const auto& p : index.periods) out.emplace_back(p.param, p.start, p.end);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Triple> Sorted(std::vector<Triple> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Replaces the first occurrence of `from` in `text` (the test fails when it is not there).
std::string With(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

// EpisodeOfCare

const std::string kListing = R"({"resourceType":"EpisodeOfCare",
    "identifier":[{"system":"urn:x","value":"ep-1"}],
    "status":"active",
    "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],
    "patient":{"reference":"Patient/p-1"},
    "managingOrganization":{"reference":"Organization/vc-1"},
    "period":{"start":"2025-01-01"}})";

TEST(RegistryEpisodeOfCare, ListingIsIndexed) {
  PreparedResource p = Prepare("EpisodeOfCare", kListing);
  EXPECT_EQ(Tokens(p.index), Sorted({
                                 {"identifier", "urn:x", "ep-1"},
                                 {"status", "http://hl7.org/fhir/episode-of-care-status", "active"},
                                 {"type", std::string(kNr) + "/CodeSystem/episode-type", "listning"},
                             }));
  EXPECT_EQ(Refs(p.index), Sorted({{"patient", "Patient", "p-1"}, {"organization", "Organization", "vc-1"}}));
  EXPECT_EQ(Periods(p.index), Sorted({{"date", "2025-01-01T00:00:00.000Z", ""}}));
  EXPECT_TRUE(p.warnings.empty());
}

TEST(RegistryEpisodeOfCare, PeriodEndIsExclusiveAndDateTimesUseTheirInstant) {
  PreparedResource closed = Prepare(
      "EpisodeOfCare", With(kListing, R"({"start":"2025-01-01"})", R"({"start":"2025-01-01","end":"2025-06-01"})"));
  EXPECT_EQ(Periods(closed.index), Sorted({{"date", "2025-01-01T00:00:00.000Z", "2025-06-01T00:00:00.000Z"}}));

  PreparedResource times = Prepare(
      "EpisodeOfCare", With(kListing, R"({"start":"2025-01-01"})",
                            R"({"start":"2025-01-01T10:00:00+02:00","end":"2025-06-01T12:30:00.5Z"})"));
  EXPECT_EQ(Periods(times.index), Sorted({{"date", "2025-01-01T08:00:00.000Z", "2025-06-01T12:30:00.500Z"}}));

  // An empty period (ended the day it began) is allowed; an end before the start is not.
  Prepare("EpisodeOfCare", With(kListing, R"({"start":"2025-01-01"})", R"({"start":"2025-01-01","end":"2025-01-01"})"));
  Error backwards = PrepareError(
      "EpisodeOfCare", With(kListing, R"({"start":"2025-01-01"})", R"({"start":"2025-01-02","end":"2025-01-01"})"));
  EXPECT_EQ(backwards.detail_code, "value");
  EXPECT_EQ(backwards.location, "EpisodeOfCare.period.end");
}

TEST(RegistryEpisodeOfCare, SaeboIsAccepted) {
  PreparedResource p = Prepare("EpisodeOfCare", With(kListing, "\"listning\"", "\"saebo\""));
  const auto tokens = Tokens(p.index);
  EXPECT_NE(std::find(tokens.begin(), tokens.end(),
                      Triple{"type", std::string(kNr) + "/CodeSystem/episode-type", "saebo"}),
            tokens.end());
}

// Home health care (docs/api.md section 11): type hemsjukvard, with the SIP date as extension sip.
TEST(RegistryEpisodeOfCare, HemsjukvardWithASipDateIsAccepted) {
  const std::string home = With(With(kListing, "\"listning\"", "\"hemsjukvard\""), R"("status":"active",)",
                                R"("status":"active","extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/sip","valueDate":"2025-02-01"}],)");
  PreparedResource p = Prepare("EpisodeOfCare", home);
  const auto tokens = Tokens(p.index);
  EXPECT_NE(std::find(tokens.begin(), tokens.end(),
                      Triple{"type", std::string(kNr) + "/CodeSystem/episode-type", "hemsjukvard"}),
            tokens.end());
  const std::string sip = "EpisodeOfCare.extension('https://fhir.nara-registry.org/StructureDefinition/sip')";
  // Only on hemsjukvard, once, and a full date.
  Error on_listing = PrepareError("EpisodeOfCare", With(home, "\"hemsjukvard\"", "\"listning\""));
  EXPECT_EQ(on_listing.location, sip);
  EXPECT_NE(on_listing.text.find("hemsjukvårdsepisod"), std::string::npos) << on_listing.text;
  Error twice = PrepareError("EpisodeOfCare", With(home, R"("valueDate":"2025-02-01"}])",
                                                   R"("valueDate":"2025-02-01"},{"url":"https://fhir.nara-registry.org/StructureDefinition/sip","valueDate":"2025-03-01"}])"));
  EXPECT_EQ(twice.location, sip);
  for (const char* bad : {R"("valueDate":"2025-02")", R"("valueDate":"2025-02-30")", R"("valueDate":20250201)",
                          R"("valueDateTime":"2025-02-01T10:00:00Z")"}) {
    Error e = PrepareError("EpisodeOfCare", With(home, R"("valueDate":"2025-02-01")", bad));
    EXPECT_EQ(e.location.rfind(sip, 0), 0u) << bad << " " << e.location;
  }
}

TEST(RegistryEpisodeOfCare, Errors) {
  struct Case {
    std::string body;
    const char* code;
    const char* location;
  };
  const std::vector<Case> cases = {
      {With(kListing, R"("status":"active",)", ""), "required", "EpisodeOfCare.status"},
      {With(kListing, R"("status":"active")", R"("status":"open")"), "value", "EpisodeOfCare.status"},
      {With(kListing, R"("status":"active")", R"("status":1)"), "structure", "EpisodeOfCare.status"},
      {With(kListing, "\"listning\"", "\"hemtjanst\""), "value", "EpisodeOfCare.type"},
      {With(kListing, R"("system":"https://fhir.nara-registry.org/CodeSystem/episode-type")", R"("system":"urn:other")"),
       "value", "EpisodeOfCare.type"},
      {With(kListing, R"("type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],)",
            ""),
       "required", "EpisodeOfCare.type"},
      {With(kListing, R"("type":[{)", R"("type":[7,{)"), "structure", "EpisodeOfCare.type[0]"},
      {With(kListing, R"([{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}])",
            R"({"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]})"),
       "structure", "EpisodeOfCare.type"},
      {With(kListing, R"("patient":{"reference":"Patient/p-1"},)", ""), "required", "EpisodeOfCare.patient"},
      {With(kListing, "Patient/p-1", "Practitioner/p-1"), "value", "EpisodeOfCare.patient.reference"},
      {With(kListing, "Patient/p-1", "#p1"), "value", "EpisodeOfCare.patient.reference"},
      {With(kListing, R"({"reference":"Patient/p-1"})", R"("Patient/p-1")"), "structure", "EpisodeOfCare.patient"},
      {With(kListing, R"("managingOrganization":{"reference":"Organization/vc-1"},)", ""), "required",
       "EpisodeOfCare.managingOrganization"},
      {With(kListing, "Organization/vc-1", "Patient/vc-1"), "value", "EpisodeOfCare.managingOrganization.reference"},
      {With(kListing, R"(,
    "period":{"start":"2025-01-01"})", ""),
       "required", "EpisodeOfCare.period.start"},
      {With(kListing, R"({"start":"2025-01-01"})", R"({"end":"2025-01-01"})"), "required", "EpisodeOfCare.period.start"},
      {With(kListing, R"({"start":"2025-01-01"})", R"("2025-01-01")"), "structure", "EpisodeOfCare.period"},
      {With(kListing, "2025-01-01", "2025-02-30"), "value", "EpisodeOfCare.period.start"},
      {With(kListing, "2025-01-01", "2025-01"), "value", "EpisodeOfCare.period.start"},
      {With(kListing, "2025-01-01", "2025-01-01T10:00:00"), "value", "EpisodeOfCare.period.start"},
      {With(kListing, R"({"start":"2025-01-01"})", R"({"start":"2025-01-01","end":20250101})"), "structure",
       "EpisodeOfCare.period.end"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Error error = PrepareError("EpisodeOfCare", c.body);
    EXPECT_EQ(error.detail_code, c.code) << error.text;
    EXPECT_EQ(error.location, c.location) << error.text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error.text));  // docs/api.md, "Errors"
  }
}

// CareTeam

const std::string kCareTeam = R"({"resourceType":"CareTeam",
    "status":"active",
    "category":[{"coding":[{"system":"https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs","code":"fast-kontakt"}]}],
    "subject":{"reference":"Patient/p-1"},
    "participant":[{"role":[{"coding":[{"system":"urn:oid:1.2.752.129.5.1.69","code":"2"}]}],
                    "member":{"reference":"PractitionerRole/r-1"}}],
    "managingOrganization":[{"reference":"Organization/vc-1"}],
    "period":{"start":"2025-02-01"},
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/begin-reason",
                  "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/begin-reason","code":"patientens-val"}}]})";

TEST(RegistryCareTeam, FixedContactIsIndexed) {
  PreparedResource p = Prepare("CareTeam", kCareTeam);
  EXPECT_EQ(Tokens(p.index),
            Sorted({
                {"status", "http://hl7.org/fhir/care-team-status", "active"},
                {"category", "https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs", "fast-kontakt"},
                {"role", "urn:oid:1.2.752.129.5.1.69", "2"},
            }));
  EXPECT_EQ(Refs(p.index), Sorted({
                               {"patient", "Patient", "p-1"},
                               {"subject", "Patient", "p-1"},
                               {"participant", "PractitionerRole", "r-1"}, {"member", "PractitionerRole", "r-1"},
                               {"organization", "Organization", "vc-1"},
                               {"managing-organization", "Organization", "vc-1"},
                           }));
  EXPECT_EQ(Periods(p.index), Sorted({{"date", "2025-02-01T00:00:00.000Z", ""}}));
}

TEST(RegistryCareTeam, NrCategoryOtherParticipantsAndEndedPeriod) {
  std::string body = With(kCareTeam, "https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs",
                          "https://fhir.nara-registry.org/CodeSystem/careteam-category");
  body = With(body, R"("member":{"reference":"PractitionerRole/r-1"}})",
              R"("member":{"reference":"PractitionerRole/r-1"}},{"member":{"reference":"Practitioner/pr-9"}})");
  body = With(body, R"({"start":"2025-02-01"})", R"({"start":"2025-02-01","end":"2025-03-01"})");
  body = With(body, R"("managingOrganization":[{"reference":"Organization/vc-1"}],)", "");
  PreparedResource p = Prepare("CareTeam", body);
  EXPECT_EQ(Refs(p.index), Sorted({
                               {"patient", "Patient", "p-1"},
                               {"subject", "Patient", "p-1"},
                               {"participant", "PractitionerRole", "r-1"}, {"member", "PractitionerRole", "r-1"},
                               {"participant", "Practitioner", "pr-9"}, {"member", "Practitioner", "pr-9"},
                           }));
  EXPECT_EQ(Periods(p.index), Sorted({{"date", "2025-02-01T00:00:00.000Z", "2025-03-01T00:00:00.000Z"}}));
}

TEST(RegistryCareTeam, ReasonAsString) {
  Prepare("CareTeam", With(kCareTeam, R"("valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/begin-reason","code":"patientens-val"})",
                           R"("valueString":"Patienten valde")"));
}

TEST(RegistryCareTeam, Errors) {
  struct Case {
    std::string body;
    const char* code;
    const char* location;
  };
  const std::string role = R"("role":[{"coding":[{"system":"urn:oid:1.2.752.129.5.1.69","code":"2"}]}],)";
  const std::vector<Case> cases = {
      {With(kCareTeam, R"("status":"active",)", ""), "required", "CareTeam.status"},
      {With(kCareTeam, R"("status":"active")", R"("status":"finished")"), "value", "CareTeam.status"},
      {With(kCareTeam, "\"fast-kontakt\"", "\"longitudinal\""), "value", "CareTeam.category"},
      {With(kCareTeam, R"("category":[)", R"("other":[)"), "required", "CareTeam.category"},
      {With(kCareTeam, R"("category":[{"coding":[{)", R"("category":[{"coding":[{"code":7},{)"), "structure",
       "CareTeam.category[0].coding"},
      {With(kCareTeam, R"("subject":{"reference":"Patient/p-1"},)", ""), "required", "CareTeam.subject"},
      {With(kCareTeam, "Patient/p-1", "Group/g-1"), "value", "CareTeam.subject.reference"},
      {With(kCareTeam, "PractitionerRole/r-1", "Practitioner/r-1"), "value", "CareTeam.participant[0].member.reference"},
      {With(kCareTeam, R"(,
                    "member":{"reference":"PractitionerRole/r-1"})", ""),
       "required", "CareTeam.participant[0].member"},
      {With(kCareTeam, role, ""), "required", "CareTeam.participant[0].role"},
      {With(kCareTeam, R"("code":"2")", R"("code":"5")"), "value", "CareTeam.participant[0].role"},
      {With(kCareTeam, "urn:oid:1.2.752.129.5.1.69", "urn:oid:1.2.3"), "value", "CareTeam.participant[0].role"},
      {With(kCareTeam, R"("participant":[{)", R"("participant":[],"x":[{)"), "required", "CareTeam.participant"},
      {With(kCareTeam, R"("participant":[{)", R"("participant":[7,{)"), "structure", "CareTeam.participant[0]"},
      {With(kCareTeam, R"([{"reference":"Organization/vc-1"}])", R"({"reference":"Organization/vc-1"})"), "structure",
       "CareTeam.managingOrganization"},
      {With(kCareTeam, R"([{"reference":"Organization/vc-1"}])", R"([{"reference":"Patient/vc-1"}])"), "value",
       "CareTeam.managingOrganization[0].reference"},
      {With(kCareTeam, R"({"start":"2025-02-01"})", R"({})"), "required", "CareTeam.period.start"},
      {With(kCareTeam, R"({"start":"2025-02-01"})", R"({"start":"2025-02-01","end":"2025-13-01"})"), "value",
       "CareTeam.period.end"},
      {With(kCareTeam, R"("valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/begin-reason","code":"patientens-val"})",
            R"("valueInteger":3)"),
       "value", "CareTeam.extension('https://fhir.nara-registry.org/StructureDefinition/begin-reason')"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    Error error = PrepareError("CareTeam", c.body);
    EXPECT_EQ(error.detail_code, c.code) << error.text;
    EXPECT_EQ(error.location, c.location) << error.text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error.text));  // docs/api.md, "Errors"
  }
}

// DocumentReference

const std::string kContract = R"({"resourceType":"DocumentReference",
    "masterIdentifier":{"system":"urn:oid:1.2.752.29.4.19.99","value":"doc-123"},
    "status":"current",
    "type":{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/document-type","code":"patientkontrakt"}]},
    "subject":{"reference":"Patient/p-1"},
    "date":"2025-03-04T10:15:30.250+01:00",
    "author":[{"reference":"PractitionerRole/r-1"}],
    "custodian":{"reference":"Organization/vc-1"},
    "content":[{"attachment":{"url":"https://journal.example/doc/123"}}],
    "context":{"related":[{"reference":"CareTeam/ct-1"},{"reference":"DocumentReference/sip-1"}]},
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/agreed-time",
                  "valueDateTime":"2025-03-10T09:00:00+01:00"}]})";

TEST(RegistryDocumentReference, ContractIsIndexed) {
  PreparedResource p = Prepare("DocumentReference", kContract);
  EXPECT_EQ(Tokens(p.index), Sorted({
                                 {"identifier", "urn:oid:1.2.752.29.4.19.99", "doc-123"},
                                 {"status", "http://hl7.org/fhir/document-reference-status", "current"},
                                 {"type", std::string(kNr) + "/CodeSystem/document-type", "patientkontrakt"},
                             }));
  EXPECT_EQ(Refs(p.index), Sorted({
                               {"patient", "Patient", "p-1"},
                               {"subject", "Patient", "p-1"},
                               {"custodian", "Organization", "vc-1"},
                               {"related", "CareTeam", "ct-1"},
                               {"related", "DocumentReference", "sip-1"},
                           }));
  // The instant as the millisecond it names.
  EXPECT_EQ(Periods(p.index), Sorted({{"date", "2025-03-04T09:15:30.250Z", "2025-03-04T09:15:30.251Z"}}));
}

TEST(RegistryDocumentReference, DateAsADayAndSipWithoutMasterIdentifier) {
  std::string body = With(kContract, "2025-03-04T10:15:30.250+01:00", "2025-03-04");
  PreparedResource day = Prepare("DocumentReference", body);
  EXPECT_EQ(Periods(day.index), Sorted({{"date", "2025-03-04T00:00:00.000Z", "2025-03-05T00:00:00.000Z"}}));

  body = With(kContract, R"("masterIdentifier":{"system":"urn:oid:1.2.752.29.4.19.99","value":"doc-123"},)", "");
  body = With(body, "\"patientkontrakt\"", "\"sip\"");
  body = With(body, R"("date":"2025-03-04T10:15:30.250+01:00",)", "");
  PreparedResource sip = Prepare("DocumentReference", body);
  EXPECT_TRUE(sip.index.periods.empty());
  for (const auto& token : sip.index.tokens) EXPECT_NE(token.param, "identifier");
}

TEST(RegistryDocumentReference, IdentifierAndMasterIdentifierShareTheParameter) {
  PreparedResource p = Prepare(
      "DocumentReference",
      With(kContract, R"("status":"current",)", R"("status":"current","identifier":[{"system":"urn:y","value":"v"}],)"));
  const auto tokens = Tokens(p.index);
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), Triple{"identifier", "urn:y", "v"}), tokens.end());
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), Triple{"identifier", "urn:oid:1.2.752.29.4.19.99", "doc-123"}),
            tokens.end());
}

TEST(RegistryDocumentReference, Errors) {
  struct Case {
    std::string body;
    const char* code;
    const char* location;
  };
  const std::vector<Case> cases = {
      {With(kContract, R"("status":"current",)", ""), "required", "DocumentReference.status"},
      {With(kContract, R"("status":"current")", R"("status":"preliminary")"), "value", "DocumentReference.status"},
      {With(kContract, "\"patientkontrakt\"", "\"epikris\""), "value", "DocumentReference.type"},
      {With(kContract, R"("type":{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/document-type","code":"patientkontrakt"}]})",
            R"("type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/document-type","code":"patientkontrakt"}]}])"),
       "structure", "DocumentReference.type"},
      {With(kContract, R"("masterIdentifier":{"system":"urn:oid:1.2.752.29.4.19.99","value":"doc-123"},)", ""),
       "required", "DocumentReference.masterIdentifier"},
      {With(kContract, R"("value":"doc-123")", R"("value":"")"), "required", "DocumentReference.masterIdentifier.value"},
      {With(kContract, R"({"system":"urn:oid:1.2.752.29.4.19.99","value":"doc-123"})", R"("doc-123")"), "structure",
       "DocumentReference.masterIdentifier"},
      {With(kContract, R"("subject":{"reference":"Patient/p-1"},)", ""), "required", "DocumentReference.subject"},
      {With(kContract, "Patient/p-1", "Organization/p-1"), "value", "DocumentReference.subject.reference"},
      {With(kContract, "Organization/vc-1", "Practitioner/vc-1"), "value", "DocumentReference.custodian.reference"},
      {With(kContract, R"([{"reference":"PractitionerRole/r-1"}])", R"({"reference":"PractitionerRole/r-1"})"),
       "structure", "DocumentReference.author"},
      {With(kContract, "2025-03-04T10:15:30.250+01:00", "2025-03-04T10:15"), "value", "DocumentReference.date"},
      {With(kContract, R"("date":"2025-03-04T10:15:30.250+01:00")", R"("date":1741079730)"), "structure",
       "DocumentReference.date"},
      {With(kContract, R"("url":"https://journal.example/doc/123")", R"("title":"Kontrakt")"), "required",
       "DocumentReference.content[0].attachment.url"},
      {With(kContract, R"([{"attachment":{"url":"https://journal.example/doc/123"}}])", "[]"), "required",
       "DocumentReference.content"},
      {With(kContract, R"("content":[)", R"("contents":[)"), "required", "DocumentReference.content"},
      {With(kContract, R"("related":[)", R"("related":[{"reference":"#x"},)"), "value",
       "DocumentReference.context.related[0].reference"},
      {With(kContract, R"("context":{"related":[{"reference":"CareTeam/ct-1"},{"reference":"DocumentReference/sip-1"}]})",
            R"("context":[{"related":[{"reference":"CareTeam/ct-1"}]}])"),
       "structure", "DocumentReference.context"},
      {With(kContract, "2025-03-10T09:00:00+01:00", "när det passar"), "value",
       "DocumentReference.extension('https://fhir.nara-registry.org/StructureDefinition/agreed-time').valueDateTime"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto prepared = PrepareResource(c.body, Type("DocumentReference"), std::nullopt);
    ASSERT_FALSE(prepared.ok());
    EXPECT_EQ(prepared.error().detail_code, c.code) << prepared.error().text;
    EXPECT_EQ(prepared.error().location, c.location) << prepared.error().text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(prepared.error().text));  // docs/api.md, "Errors"
  }
}

// registry extensions on base types

const std::string kRole = R"({"resourceType":"PractitionerRole","active":false,
    "practitioner":{"reference":"Practitioner/pr-1"},"organization":{"reference":"Organization/vc-1"},
    "code":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/profession","code":"lakare"}]}],
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5},
                 {"url":"https://fhir.nara-registry.org/StructureDefinition/list-capacity","valueInteger":600}]})";

TEST(RegistryPractitionerRole, ActiveTokenAndValidExtensions) {
  PreparedResource p = Prepare("PractitionerRole", kRole);
  const auto tokens = Tokens(p.index);
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), Triple{"active", "", "false"}), tokens.end());
  Prepare("PractitionerRole", With(kRole, "0.5", "1"));
  Prepare("PractitionerRole", With(kRole, "0.5", "1.0"));
  Prepare("PractitionerRole", With(kRole, "600", "0"));
  PreparedResource no_active = Prepare("PractitionerRole", With(kRole, R"("active":false,)", ""));
  for (const auto& token : no_active.index.tokens) EXPECT_NE(token.param, "active");
}

TEST(RegistryPractitionerRole, ExtensionErrors) {
  const std::string fte = "PractitionerRole.extension('https://fhir.nara-registry.org/StructureDefinition/fte')";
  const std::string cap =
      "PractitionerRole.extension('https://fhir.nara-registry.org/StructureDefinition/list-capacity')";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {With(kRole, "0.5", "0"), fte + ".valueDecimal"},
      {With(kRole, "0.5", "-0.5"), fte + ".valueDecimal"},
      {With(kRole, "0.5", "1.01"), fte + ".valueDecimal"},
      {With(kRole, "0.5", "\"0.5\""), fte + ".valueDecimal"},
      {With(kRole, R"("valueDecimal":0.5)", R"("valueInteger":1)"), fte + ".valueDecimal"},
      {With(kRole, R"({"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5},)",
            R"({"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5},
               {"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5},)"),
       fte},
      {With(kRole, "600", "-1"), cap + ".valueInteger"},
      {With(kRole, "600", "600.5"), cap + ".valueInteger"},
      {With(kRole, "600", "99999999999"), cap + ".valueInteger"},
  };
  for (const auto& [body, location] : cases) {
    SCOPED_TRACE(body);
    Error error = PrepareError("PractitionerRole", body);
    EXPECT_TRUE(error.detail_code == "value" || error.detail_code == "required") << error.detail_code;
    EXPECT_EQ(error.location, location);
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error.text));  // docs/api.md, "Errors"
  }
}

const std::string kUnit = R"({"resourceType":"Organization","name":"VC Öst",
    "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/organization-type","code":"vardcentral"}]}],
    "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/municipality",
                  "valueCoding":{"system":"https://fhir.nara-registry.org/CodeSystem/kommun","code":"0180"}},
                 {"url":"https://fhir.nara-registry.org/StructureDefinition/serves-saebo",
                  "valueReference":{"reference":"Organization/saebo-1"}},
                 {"url":"https://fhir.nara-registry.org/StructureDefinition/serves-saebo",
                  "valueReference":{"reference":"Organization/saebo-2"}}]})";

TEST(RegistryOrganization, ServesSaeboIsIndexed) {
  PreparedResource p = Prepare("Organization", kUnit);
  EXPECT_EQ(Refs(p.index), Sorted({{"serves-saebo", "Organization", "saebo-1"},
                                   {"serves-saebo", "Organization", "saebo-2"}}));
}

TEST(RegistryOrganization, ExtensionErrors) {
  const std::vector<std::string> bodies = {
      With(kUnit, R"("code":"0180")", R"("code":"180")"),
      With(kUnit, R"("code":"0180")", R"("code":"01a0")"),
      With(kUnit, "https://fhir.nara-registry.org/CodeSystem/kommun", "urn:other"),
      With(kUnit, "Organization/saebo-1", "Patient/saebo-1"),
      With(kUnit, R"("valueReference":{"reference":"Organization/saebo-1"})", R"("valueString":"saebo-1")"),
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    Error error = PrepareError("Organization", body);
    EXPECT_TRUE(error.detail_code == "value" || error.detail_code == "required") << error.detail_code;
    EXPECT_EQ(error.location.rfind("Organization.extension('https://fhir.nara-registry.org/StructureDefinition/", 0),
              0u)
        << error.location;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error.text));  // docs/api.md, "Errors"
  }
}

TEST(RegistryPatient, ClientGeneralPractitionerIsDroppedWithAWarning) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","gender":"female",
      "generalPractitioner":[{"reference":"Organization/elsewhere"}]})");
  EXPECT_FALSE(p.doc.HasMember("generalPractitioner"));
  EXPECT_TRUE(p.doc.HasMember("gender"));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].severity, "warning");
  EXPECT_EQ(p.warnings[0].expression, "Patient.generalPractitioner");
  EXPECT_FALSE(p.warnings[0].text.empty());

  PreparedResource plain = Prepare("Patient", R"({"resourceType":"Patient","gender":"female"})");
  EXPECT_TRUE(plain.warnings.empty());
}

// search parameters

TEST(RegistrySearch, NewTypesAndParametersAreServed) {
  const std::vector<std::pair<const char*, std::vector<const char*>>> expected = {
      {"EpisodeOfCare", {"identifier", "patient", "organization", "status", "type", "date"}},
      {"CareTeam",
       {"identifier", "patient", "subject", "category", "status", "participant", "role", "organization",
        "managing-organization", "date"}},
      {"DocumentReference", {"identifier", "patient", "subject", "type", "status", "custodian", "related", "date"}},
      {"PractitionerRole", {"active"}},
      {"Organization", {"serves-saebo"}},
  };
  for (const auto& [type, params] : expected) {
    const ResourceTypeDef& def = Type(type);
    for (const char* name : params) {
      const SearchParamDef* param = def.FindParam(name);
      ASSERT_NE(param, nullptr) << type << "." << name;
      EXPECT_FALSE(param->documentation.empty());
      if (std::string(name) == "date") {
        EXPECT_EQ(param->type, ParamType::date);
        EXPECT_EQ(param->kind, SearchKind::period);
      }
    }
  }
  EXPECT_EQ(Type("CareTeam").FindParam("participant")->type, ParamType::reference);
  EXPECT_EQ(Type("EpisodeOfCare").FindParam("patient")->target_type, "Patient");
  EXPECT_EQ(Type("PractitionerRole").FindParam("active")->kind, SearchKind::token);
}

TEST(RegistrySearch, DateOnAPeriodParsesLikeLastUpdated) {
  auto parsed = ParseSearch(Type("EpisodeOfCare"), {{"date", "2025-06-01"}}, true);
  ASSERT_TRUE(parsed.ok()) << parsed.error().text;
  ASSERT_EQ(parsed->query.criteria.size(), 1u);
  const SearchCriterion& c = parsed->query.criteria[0];
  EXPECT_EQ(c.kind, SearchKind::period);
  EXPECT_EQ(c.param, "date");
  ASSERT_EQ(c.any_of.size(), 1u);
  EXPECT_EQ(c.any_of[0].prefix, DatePrefix::eq);
  EXPECT_EQ(c.any_of[0].range_start, "2025-06-01T00:00:00.000Z");
  EXPECT_EQ(c.any_of[0].range_end, "2025-06-02T00:00:00.000Z");

  auto ranged = ParseSearch(Type("CareTeam"), {{"date", "ge2025-01,lt2024"}}, true);
  ASSERT_TRUE(ranged.ok()) << ranged.error().text;
  const SearchCriterion& r = ranged->query.criteria[0];
  EXPECT_EQ(r.kind, SearchKind::period);
  ASSERT_EQ(r.any_of.size(), 2u);
  EXPECT_EQ(r.any_of[0].prefix, DatePrefix::ge);
  EXPECT_EQ(r.any_of[0].range_start, "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(r.any_of[0].range_end, "2025-02-01T00:00:00.000Z");
  EXPECT_EQ(r.any_of[1].prefix, DatePrefix::lt);
  EXPECT_EQ(r.any_of[1].range_end, "2025-01-01T00:00:00.000Z");

  auto missing = ParseSearch(Type("DocumentReference"), {{"date:missing", "true"}}, true);
  ASSERT_TRUE(missing.ok()) << missing.error().text;
  EXPECT_EQ(missing->query.criteria[0].kind, SearchKind::period);
  EXPECT_TRUE(missing->query.criteria[0].missing);

  auto bad = ParseSearch(Type("EpisodeOfCare"), {{"date", "2025-02-30"}}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail_code, "invalid");
  auto unsupported = ParseSearch(Type("EpisodeOfCare"), {{"date", "ap2025"}}, true);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().detail_code, "not-supported");
  auto modifier = ParseSearch(Type("EpisodeOfCare"), {{"date:exact", "2025"}}, true);
  ASSERT_FALSE(modifier.ok());
  EXPECT_EQ(modifier.error().detail_code, "invalid");
}

}  // namespace
}  // namespace nara::fhir
