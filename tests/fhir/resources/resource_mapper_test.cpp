#include "fhir/resources/resource_mapper.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "fhir/resources/resource_types.h"
#include "registry/identifier_system.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

const ResourceTypeDef& Type(const char* name) {
  const ResourceTypeDef* def = FindType(name);
  EXPECT_NE(def, nullptr) << name;
  return *def;
}

PreparedResource Prepare(const char* type, const std::string& body,
                         const std::optional<std::string>& url_id = std::nullopt) {
  auto prepared = PrepareResource(body, Type(type), url_id);
  EXPECT_TRUE(prepared.ok()) << (prepared.ok() ? "" : prepared.error().text) << "\nbody: " << body;
  if (!prepared.ok()) return PreparedResource{};
  return std::move(prepared).value();
}

Error PrepareError(const char* type, const std::string& body,
                   const std::optional<std::string>& url_id = std::nullopt) {
  auto prepared = PrepareResource(body, Type(type), url_id);
  EXPECT_FALSE(prepared.ok()) << "accepted: " << body;
  if (prepared.ok()) return Error::Invalid("accepted", "");
  EXPECT_EQ(prepared.error().kind, ErrorKind::invalid);
  EXPECT_FALSE(prepared.error().text.empty());
  return prepared.error();
}

using TokenTuple = std::tuple<std::string, std::string, std::string>;
using TextTuple = std::tuple<std::string, std::string, std::string>;
using RefTuple = std::tuple<std::string, std::string, std::string>;

std::vector<TokenTuple> Tokens(const std::vector<IndexEntries::Token>& tokens) {
  std::vector<TokenTuple> out;
  for (const auto& t : tokens) out.emplace_back(t.param, t.system, t.code);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TextTuple> Texts(const IndexEntries& index) {
  std::vector<TextTuple> out;
  for (const auto& t : index.texts) out.emplace_back(t.param, t.value, t.normalized);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<RefTuple> Refs(const IndexEntries& index) {
  std::vector<RefTuple> out;
  for (const auto& r : index.references) out.emplace_back(r.param, r.target_type, r.target_id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TokenTuple> Sorted(std::vector<TokenTuple> v) {
  std::sort(v.begin(), v.end());
  return v;
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

constexpr const char* kPnr = "197106254787";
constexpr const char* kSnr = "196109732393";
constexpr const char* kHsa = "SE2321000016-1234";
constexpr const char* kGender = "http://hl7.org/fhir/administrative-gender";

const std::string kPatient = R"({
  "resourceType": "Patient",
  "identifier": [{"system": "http://electronichealth.se/identifier/personnummer", "value": "197106254787"}],
  "name": [{"family": "Åberg", "given": ["Anna", "Maria"], "text": "Anna Maria Åberg"}],
  "gender": "female",
  "birthDate": "1971-06-25",
  "active": true
})";

// Patient

TEST(ResourceMapperPatient, ValidPatientIsAcceptedAndIndexed) {
  PreparedResource p = Prepare("Patient", kPatient);
  EXPECT_TRUE(p.doc.IsObject());
  EXPECT_EQ(Tokens(p.index.tokens),
            Sorted({{"identifier", systems::kPersonnummer, kPnr},
                                                           {"gender", kGender, "female"}}));
  EXPECT_EQ(Texts(p.index), Sorted({
                                {"family", "Åberg", "åberg"},
                                {"name", "Åberg", "åberg"},
                                {"given", "Anna", "anna"},
                                {"name", "Anna", "anna"},
                                {"given", "Maria", "maria"},
                                {"name", "Maria", "maria"},
                                {"name", "Anna Maria Åberg", "anna maria åberg"},
                            }));
  EXPECT_TRUE(p.index.references.empty());
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, systems::kPersonnummer);
  EXPECT_EQ(p.index.unique[0].code, kPnr);
}

TEST(ResourceMapperPatient, NormalisedTextIsLowerCasedIncludingSwedishLetters) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","name":[{"family":"ÖSTLUND-ÄNGÅ"}]})");
  ASSERT_FALSE(p.index.texts.empty());
  for (const auto& t : p.index.texts) {
    EXPECT_EQ(t.value, "ÖSTLUND-ÄNGÅ");
    EXPECT_EQ(t.normalized, "östlund-ängå");
  }
}

TEST(ResourceMapperPatient, MinimalPatientHasEmptyIndex) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient"})");
  EXPECT_TRUE(p.index.tokens.empty());
  EXPECT_TRUE(p.index.texts.empty());
  EXPECT_TRUE(p.index.references.empty());
  EXPECT_TRUE(p.index.unique.empty());
}

TEST(ResourceMapperPatient, EveryGenderCodeIsAccepted) {
  for (const char* gender : {"male", "female", "other", "unknown"}) {
    PreparedResource p =
        Prepare("Patient", std::string(R"({"resourceType":"Patient","gender":")") + gender + "\"}");
    EXPECT_EQ(Tokens(p.index.tokens), (std::vector<TokenTuple>{{"gender", kGender, gender}}));
  }
}

// A clerk reads the first words: validation errors are Swedish first, English after in parentheses.
TEST(ResourceMapperPatient, ErrorsAreSwedishFirstEnglishAfter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"resourceType":"Patient","gender":"kvinna"})", "gender måste vara male, female, other eller unknown ("},
      {R"({"resourceType":"Patient","birthDate":"1971-13"})", "birthDate måste vara ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD ("},
      {R"({"resourceType":"Patient","active":"ja"})", "active måste vara true eller false (active must be true or false)"},
      {R"({"resourceType":"Patient","address":{}})", "address måste vara en lista (address must be an array)"},
      {R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer",
          "value":"197106254780"}]})", "personnummer har fel kontrollsiffra (personnummer has an invalid check digit)"},
  };
  for (const auto& [body, words] : cases) {
    const Error error = PrepareError("Patient", body);
    EXPECT_EQ(error.text.rfind(words, 0), 0u) << error.text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error.text));
  }
}

TEST(ResourceMapperPatient, PersonnummerAliasIsNormalisedInDocumentAndIndex) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient",
      "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]})");
  ASSERT_TRUE(p.doc.HasMember("identifier"));
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), systems::kPersonnummer);
  EXPECT_EQ(Tokens(p.index.tokens), (std::vector<TokenTuple>{{"identifier", systems::kPersonnummer, kPnr}}));
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, systems::kPersonnummer);
}

TEST(ResourceMapperPatient, SamordningsnummerIsUniqueWithCanonicalSystem) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient",
      "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.3","value":"196109732393"}]})");
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), systems::kSamordningsnummer);
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, systems::kSamordningsnummer);
  EXPECT_EQ(p.index.unique[0].code, kSnr);
}

TEST(ResourceMapperPatient, EndedIdentifierIsIndexedButNotUnique) {
  // A samordningsnummer replaced by a personnummer: both are searchable, only the live one is unique.
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/samordningsnummer","value":"196109732393",
       "period":{"end":"2026-01-01"}},
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}]})");
  EXPECT_EQ(Tokens(p.index.tokens),
            Sorted({{"identifier", systems::kSamordningsnummer, kSnr},
                                                           {"identifier", systems::kPersonnummer, kPnr}}));
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, systems::kPersonnummer);
  EXPECT_EQ(p.index.unique[0].code, kPnr);
}

TEST(ResourceMapperPatient, PeriodWithOnlyStartStaysUnique) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787",
       "period":{"start":"1971-06-25"}}]})");
  EXPECT_EQ(p.index.unique.size(), 1u);
}

TEST(ResourceMapperPatient, OtherIdentifierSystemsAreNotUnique) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"urn:oid:1.2.752.74.9.1","value":"RES123"},
      {"system":"https://example.org/mrn","value":"anything goes"},
      {"value":"no-system"}]})");
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), systems::kReservnummer);
  EXPECT_EQ(Tokens(p.index.tokens), Sorted({
                                        {"identifier", systems::kReservnummer, "RES123"},
                                        {"identifier", "https://example.org/mrn", "anything goes"},
                                        {"identifier", "", "no-system"},
                                    }));
  EXPECT_TRUE(p.index.unique.empty());
  EXPECT_FALSE(p.doc["identifier"][2].HasMember("system"));
}

TEST(ResourceMapperPatient, BadPersonnummerIsValueErrorWithoutTheNumber) {
  const std::string bad = "197106254788";  // wrong check digit
  Error e = PrepareError("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":")" + bad + "\"}]}");
  EXPECT_EQ(e.detail_code, "value");
  EXPECT_EQ(HttpStatusFor(e), 422);
  EXPECT_EQ(e.text.find(bad), std::string::npos) << e.text;
  EXPECT_EQ(e.text.find("19710625"), std::string::npos) << e.text;
  EXPECT_EQ(e.location, "Patient.identifier[0].value");
}

TEST(ResourceMapperPatient, BadPersonnummerViaAliasAndWrongKindAreRejected) {
  Error e1 = PrepareError("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254788"}]})");
  EXPECT_EQ(e1.detail_code, "value");
  EXPECT_EQ(e1.text.find("197106254788"), std::string::npos);
  // a samordningsnummer under the personnummer system
  Error e2 = PrepareError("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"196109732393"}]})");
  EXPECT_EQ(e2.detail_code, "value");
  EXPECT_EQ(e2.text.find("196109732393"), std::string::npos);
  // with a separator
  Error e3 = PrepareError("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"19710625-4787"}]})");
  EXPECT_EQ(e3.detail_code, "value");
  EXPECT_EQ(e3.text.find("4787"), std::string::npos);
}

TEST(ResourceMapperPatient, IdentifierWithoutValueIsRequiredError) {
  Error e = PrepareError("Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer"}]})");
  EXPECT_EQ(e.detail_code, "required");
  EXPECT_EQ(HttpStatusFor(e), 422);
}

TEST(ResourceMapperPatient, IdentifierStructureErrors) {
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","identifier":{"value":"x"}})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","identifier":["x"]})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","identifier":[{"system":1,"value":"x"}]})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","identifier":[{"value":197106254787}]})")
                .detail_code,
            "structure");
}

TEST(ResourceMapperPatient, GenderOutsideValueSetIsValueError) {
  Error e = PrepareError("Patient", R"({"resourceType":"Patient","gender":"x"})");
  EXPECT_EQ(e.detail_code, "value");
  EXPECT_EQ(e.location, "Patient.gender");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","gender":"Male"})").detail_code, "value");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","gender":1})").detail_code, "structure");
}

TEST(ResourceMapperPatient, BirthDateMustBeAFhirDate) {
  for (const char* ok : {"1990", "1990-12", "1990-12-31", "2000-02-29"}) {
    Prepare("Patient", std::string(R"({"resourceType":"Patient","birthDate":")") + ok + "\"}");
  }
  for (const char* bad : {"1990-13-01", "1990-00-10", "1990-01-32", "90-01-01", "1990-1-1", "1990-01-01T10:00:00Z",
                          ""}) {
    Error e = PrepareError("Patient", std::string(R"({"resourceType":"Patient","birthDate":")") + bad + "\"}");
    EXPECT_EQ(e.detail_code, "value") << bad;
    EXPECT_EQ(e.location, "Patient.birthDate") << bad;
  }
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","birthDate":19900101})").detail_code, "structure");
}

TEST(ResourceMapperPatient, BirthDateMustBeARealCalendarDate) {
  // FHIR R4 date: "Dates SHALL be valid dates". 1990-02-30 passes the month/day regex.
  auto prepared = PrepareResource(R"({"resourceType":"Patient","birthDate":"1990-02-30"})", Type("Patient"),
                                  std::nullopt);
  if (prepared.ok()) {
    FAIL() << "regression: fhir/resources/resource_mapper.cpp IsDate accepts impossible dates such as 1990-02-30 "
                    "(regex only checks month 01-12 and day 01-31)";
  }
  EXPECT_EQ(prepared.error().detail_code, "value");
}

TEST(ResourceMapperPatient, DeceasedAndBooleansAreChecked) {
  Prepare("Patient", R"({"resourceType":"Patient","deceasedDateTime":"2026-03-01T10:00:00+01:00"})");
  Prepare("Patient", R"({"resourceType":"Patient","deceasedDateTime":"2026-03-01"})");
  Prepare("Patient", R"({"resourceType":"Patient","deceasedBoolean":false})");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","deceasedDateTime":"yesterday"})").detail_code,
            "value");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","deceasedBoolean":"true"})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","active":"yes"})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","address":{}})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","telecom":[1]})").detail_code, "structure");
}

TEST(ResourceMapperPatient, NameStructureErrors) {
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","name":{"family":"A"}})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","name":"Anna"})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","name":[{"given":["Anna",1]}]})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","name":[{"given":"Anna"}]})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","name":[{"family":["A"]}]})").detail_code,
            "structure");
  Error e = PrepareError("Patient", R"({"resourceType":"Patient","name":[{"given":[42]}]})");
  EXPECT_EQ(e.detail_code, "structure");
  EXPECT_EQ(HttpStatusFor(e), 400);
}

// common checks

TEST(ResourceMapperCommon, MalformedJsonIsStructureError) {
  for (const char* body : {"", "{", "{\"resourceType\":\"Patient\",}", "not json", "{\"a\":1} trailing",
                           "{\"resourceType\":\"Patient\" \"id\":\"1\"}"}) {
    Error e = PrepareError("Patient", body);
    EXPECT_EQ(e.detail_code, "structure") << body;
    EXPECT_EQ(HttpStatusFor(e), 400) << body;
  }
}

TEST(ResourceMapperCommon, InvalidUtf8IsStructureError) {
  Error e = PrepareError("Patient", std::string("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"\xff\xfe\"}]}"));
  EXPECT_EQ(e.detail_code, "structure");
}

TEST(ResourceMapperCommon, NonObjectIsStructureError) {
  for (const char* body : {"[]", "[{\"resourceType\":\"Patient\"}]", "\"Patient\"", "42", "null", "true"}) {
    Error e = PrepareError("Patient", body);
    EXPECT_EQ(e.detail_code, "structure") << body;
    EXPECT_EQ(HttpStatusFor(e), 400) << body;
  }
}

TEST(ResourceMapperCommon, ResourceTypeMissingOrMismatched) {
  EXPECT_EQ(PrepareError("Patient", R"({"id":"1"})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":""})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":7})").detail_code, "structure");
  Error e = PrepareError("Patient", R"({"resourceType":"Organization","name":"X"})");
  EXPECT_EQ(HttpStatusFor(e), 400);
  EXPECT_NE(e.text.find("Patient"), std::string::npos);
  PrepareError("Organization", kPatient);
  PrepareError("Patient", R"({"resourceType":"patient"})");
}

TEST(ResourceMapperCommon, UpdateNeedsMatchingBodyId) {
  // create: a body id is ignored
  Prepare("Patient", R"({"resourceType":"Patient","id":"whatever"})");
  Prepare("Patient", R"({"resourceType":"Patient","id":"p1"})", std::string("p1"));
  Error missing = PrepareError("Patient", R"({"resourceType":"Patient"})", std::string("p1"));
  EXPECT_EQ(HttpStatusFor(missing), 400);
  Error mismatch = PrepareError("Patient", R"({"resourceType":"Patient","id":"p2"})", std::string("p1"));
  EXPECT_EQ(HttpStatusFor(mismatch), 400);
  EXPECT_EQ(mismatch.location, "Patient.id");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","id":1})", std::string("1")).detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","id":1})").detail_code, "structure");
}

TEST(ResourceMapperCommon, MetaTextExtensionContainedStructure) {
  Prepare("Patient", R"({"resourceType":"Patient","meta":{"profile":["x"]},
      "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
      "extension":[{"url":"u","valueString":"v"}],"contained":[{"resourceType":"Organization"}]})");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","meta":[]})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","text":"hello"})").detail_code, "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","extension":{"url":"u"}})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Patient", R"({"resourceType":"Patient","contained":[1]})").detail_code, "structure");
}

std::string Nested(int depth) {
  std::string inner;
  for (int i = 0; i < depth; ++i) inner += "[";
  for (int i = 0; i < depth; ++i) inner += "]";
  return R"({"resourceType":"Patient","extension":[{"url":"u","valueString":"x","x":)" + inner + "}]}";
}

TEST(ResourceMapperCommon, DeepNestingIsAnErrorNotACrash) {
  Error e = PrepareError("Patient", Nested(100));
  EXPECT_EQ(e.detail_code, "structure");
  EXPECT_EQ(HttpStatusFor(e), 400);
  // far deeper than any recursive parser's stack would survive
  EXPECT_EQ(PrepareError("Patient", Nested(200000)).detail_code, "structure");
  std::string objects = R"({"resourceType":"Patient","a":)";
  for (int i = 0; i < 100; ++i) objects += R"({"a":)";
  objects += "1";
  for (int i = 0; i < 101; ++i) objects += "}";
  EXPECT_EQ(PrepareError("Patient", objects).detail_code, "structure");
}

TEST(ResourceMapperCommon, ModerateNestingIsAccepted) {
  Prepare("Patient", Nested(20));
}

TEST(ResourceMapperCommon, DuplicateMemberNamesAreRejected) {
  // FHIR JSON objects must not repeat a property. RapidJSON keeps both; the checks look at the first
  // one, RenderVersion writes both, and every common JSON reader then takes the last, unchecked one.
  auto prepared = PrepareResource(
      R"({"resourceType":"Patient","gender":"male","gender":"x",
          "identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}],
          "identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})",
      Type("Patient"), std::nullopt);
  if (prepared.ok()) {
    FAIL() << "regression: duplicate JSON member names are accepted; validation checks the first "
                    "'gender'/'identifier', RenderVersion stores both and readers take the last "
                    "(gender \"x\", an invalid personnummer, an alias system) — fhir/json/json.cpp ParseJsonObject "
                    "should reject duplicate keys (400 structure)";
  }
  EXPECT_EQ(prepared.error().detail_code, "structure");
}

// Organization

TEST(ResourceMapperOrganization, ValidOrganizationIsIndexed) {
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization",
      "identifier":[{"system":"urn:oid:1.2.752.129.2.1.4.1","value":"SE2321000016-1234"}],
      "active":true,
      "name":"Vårdcentralen Källan",
      "alias":["VC Källan","Källan"],
      "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/organization-type","code":"vardcentral"}]}],
      "partOf":{"reference":"Organization/region-1"},
      "address":[{"city":"Göteborg"}]})");
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), "urn:oid:1.2.752.29.4.19");
  EXPECT_EQ(Tokens(p.index.tokens), Sorted({
                                        {"identifier", "urn:oid:1.2.752.29.4.19", kHsa},
                                        {"type", "https://fhir.nara-registry.org/CodeSystem/organization-type",
                                         "vardcentral"},
                                    }));
  EXPECT_EQ(Texts(p.index), Sorted({
                                {"name", "Vårdcentralen Källan", "vårdcentralen källan"},
                                {"name", "VC Källan", "vc källan"},
                                {"name", "Källan", "källan"},
                            }));
  EXPECT_EQ(Refs(p.index), (std::vector<RefTuple>{{"partof", "Organization", "region-1"}}));
  // An HSA-id names one object of the directory: one live Organization (docs/api.md section 2).
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, "urn:oid:1.2.752.29.4.19");
  EXPECT_EQ(p.index.unique[0].code, kHsa);
}

TEST(ResourceMapperOrganization, SecondHsaAliasIsNormalised) {
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization",
      "identifier":[{"system":"urn:oid:1.2.752.29.6.2.1","value":"SE2321000016-1234"}]})");
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), systems::kHsaId);
}

TEST(ResourceMapperOrganization, TypeAsSingleConceptAndSeveralCodings) {
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization",
      "type":[{"coding":[{"system":"s1","code":"a"},{"code":"b"},{"system":"s3"}]},{"text":"no coding"}]})");
  EXPECT_EQ(Tokens(p.index.tokens),
            Sorted({{"type", "s1", "a"}, {"type", "", "b"}}));
}

TEST(ResourceMapperOrganization, BadHsaIdIsValueError) {
  for (const char* bad : {"se2321000016-1234", "SE2321000016", "SE123-1", "SE2321000016-"}) {
    Error e = PrepareError("Organization",
                           std::string(R"({"resourceType":"Organization","identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":")") +
                               bad + "\"}]}");
    EXPECT_EQ(e.detail_code, "value") << bad;
    EXPECT_EQ(HttpStatusFor(e), 422) << bad;
    EXPECT_EQ(e.location, "Organization.identifier[0].value");
  }
  // also under an alias
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","identifier":[
      {"system":"urn:oid:1.2.752.129.2.1.4.1","value":"nope"}]})")
                .detail_code,
            "value");
}

TEST(ResourceMapperOrganization, StructureErrors) {
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","name":["X"]})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","alias":"X"})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","alias":["X",2]})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","type":["vardcentral"]})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","type":[{"coding":{"code":"a"}}]})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","type":[{"coding":[{"code":1}]}]})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","partOf":"Organization/1"})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Organization", R"({"resourceType":"Organization","partOf":{"reference":1}})")
                .detail_code,
            "structure");
}

TEST(ResourceMapperOrganization, ReferenceMustBeTypeSlashId) {
  for (const char* bad : {"region-1", "organization/region-1", "#contained", "Organization/", "Organization/a b",
                          "urn:uuid:1234"}) {
    Error e = PrepareError("Organization",
                           std::string(R"({"resourceType":"Organization","partOf":{"reference":")") + bad + "\"}}");
    EXPECT_EQ(e.detail_code, "value") << bad;
    EXPECT_EQ(e.location, "Organization.partOf.reference") << bad;
  }
  // a reference by identifier only (no literal reference) is accepted and not indexed
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization",
      "partOf":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000016-0001"}}})");
  EXPECT_TRUE(p.index.references.empty());
}

TEST(ResourceMapperOrganization, EmptyAliasIsNotIndexed) {
  // name "" is skipped; an empty alias should be skipped the same way (an empty text row would make
  // name:missing=false match an organization without any real name).
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization","alias":[""]})");
  if (!p.index.texts.empty()) {
    FAIL() << "regression: fhir/resources/resource_mapper.cpp CheckOrganization indexes an empty alias as a name text row "
                    "(name \"\" is skipped, alias \"\" is not)";
  }
  EXPECT_TRUE(p.index.texts.empty());
}

// Practitioner

TEST(ResourceMapperPractitioner, ValidPractitionerIsIndexed) {
  PreparedResource p = Prepare("Practitioner", R"({"resourceType":"Practitioner",
      "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000016-1234"},
                    {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}],
      "active":true,
      "name":[{"family":"Lind","given":["Erik"]}],
      "qualification":[{"code":{"coding":[{"code":"lakare"}]}}]})");
  EXPECT_EQ(Tokens(p.index.tokens), Sorted({
                                        {"identifier", systems::kHsaId, kHsa},
                                        {"identifier", systems::kPersonnummer, kPnr},
                                    }));
  EXPECT_EQ(Texts(p.index), Sorted({
                                {"family", "Lind", "lind"},
                                {"name", "Lind", "lind"},
                                {"given", "Erik", "erik"},
                                {"name", "Erik", "erik"},
                            }));
  // The HSA-id is the Practitioner's own; the personnummer is claimed by the Patient it may also be.
  ASSERT_EQ(p.index.unique.size(), 1u);
  EXPECT_EQ(p.index.unique[0].system, systems::kHsaId);
  EXPECT_EQ(p.index.unique[0].code, kHsa);
}

TEST(ResourceMapperPractitioner, Errors) {
  EXPECT_EQ(PrepareError("Practitioner", R"({"resourceType":"Practitioner","name":{"family":"X"}})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Practitioner", R"({"resourceType":"Practitioner","qualification":{}})").detail_code,
            "structure");
  EXPECT_EQ(PrepareError("Practitioner", R"({"resourceType":"Practitioner","identifier":[
      {"system":"urn:oid:1.2.752.29.4.19","value":"SE-1"}]})")
                .detail_code,
            "value");
}

// PractitionerRole

TEST(ResourceMapperPractitionerRole, ValidRoleIsIndexed) {
  PreparedResource p = Prepare("PractitionerRole", R"({"resourceType":"PractitionerRole",
      "identifier":[{"system":"urn:oid:1.2.752.129.2.1.4.1","value":"SE2321000016-1234"}],
      "active":true,
      "practitioner":{"reference":"Practitioner/pr-1","display":"Erik Lind"},
      "organization":{"reference":"https://other.example/fhir/Organization/vc-1/_history/3"},
      "code":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/profession","code":"lakare"}]}],
      "extension":[{"url":"https://fhir.nara-registry.org/StructureDefinition/fte","valueDecimal":0.5}]})");
  EXPECT_STREQ(p.doc["identifier"][0]["system"].GetString(), systems::kHsaId);
  EXPECT_EQ(Refs(p.index), Sorted({
                               {"practitioner", "Practitioner", "pr-1"},
                               {"organization", "Organization", "vc-1"},
                           }));
  EXPECT_EQ(Tokens(p.index.tokens), Sorted({
                                        {"active", "", "true"},
                                        {"identifier", systems::kHsaId, kHsa},
                                        {"role", "https://fhir.nara-registry.org/CodeSystem/profession", "lakare"},
                                    }));
  EXPECT_TRUE(p.index.texts.empty());
}

TEST(ResourceMapperPractitionerRole, Errors) {
  EXPECT_EQ(PrepareError("PractitionerRole",
                         R"({"resourceType":"PractitionerRole","practitioner":{"reference":"pr-1"}})")
                .detail_code,
            "value");
  EXPECT_EQ(PrepareError("PractitionerRole",
                         R"({"resourceType":"PractitionerRole","organization":{"reference":"#org"}})")
                .detail_code,
            "value");
  EXPECT_EQ(PrepareError("PractitionerRole", R"({"resourceType":"PractitionerRole","practitioner":[]})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("PractitionerRole", R"({"resourceType":"PractitionerRole","code":[{"coding":[1]}]})")
                .detail_code,
            "structure");
  EXPECT_EQ(PrepareError("PractitionerRole", R"({"resourceType":"PractitionerRole","active":1})").detail_code,
            "structure");
}

// RenderVersion

TEST(ResourceMapperRender, StampsIdAndMetaFirstAndKeepsTheRest) {
  PreparedResource p = Prepare("Patient", R"({"resourceType":"Patient","id":"client-id",
      "meta":{"versionId":"99","lastUpdated":"1999-01-01T00:00:00Z",
              "profile":["http://example.org/StructureDefinition/p"],"tag":[{"code":"t"}]},
      "gender":"male",
      "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}],
      "extension":[{"url":"u","valueInteger":3}],
      "name":[{"family":"Ek"}]})");
  VersionInfo info{"server-id", 7, "2026-11-23T10:00:00.123Z"};
  const std::string text = RenderVersion(p.doc, "Patient", info);
  ASSERT_EQ(text.rfind(R"({"resourceType":"Patient","id":"server-id","meta":{"versionId":"7","lastUpdated":"2026-11-23T10:00:00.123Z")", 0),
            0u)
      << text;
  rapidjson::Document out = ParseJson(text);
  ASSERT_TRUE(out.IsObject());
  auto it = out.MemberBegin();
  EXPECT_STREQ(it->name.GetString(), "resourceType");
  ++it;
  EXPECT_STREQ(it->name.GetString(), "id");
  ++it;
  EXPECT_STREQ(it->name.GetString(), "meta");
  const auto& meta = out["meta"];
  EXPECT_STREQ(meta["versionId"].GetString(), "7");
  EXPECT_STREQ(meta["lastUpdated"].GetString(), "2026-11-23T10:00:00.123Z");
  EXPECT_EQ(meta.MemberCount(), 4u);  // versionId, lastUpdated, profile, tag: the client's versionId is gone
  ASSERT_TRUE(meta.HasMember("profile"));
  EXPECT_STREQ(meta["profile"][0].GetString(), "http://example.org/StructureDefinition/p");
  EXPECT_STREQ(meta["tag"][0]["code"].GetString(), "t");
  EXPECT_EQ(text.find("\"99\""), std::string::npos);
  EXPECT_EQ(text.find("1999-01-01"), std::string::npos);
  EXPECT_EQ(text.find("client-id"), std::string::npos);
  EXPECT_STREQ(out["gender"].GetString(), "male");
  EXPECT_STREQ(out["identifier"][0]["system"].GetString(), systems::kPersonnummer);  // normalised
  EXPECT_EQ(out["extension"][0]["valueInteger"].GetInt(), 3);
  EXPECT_STREQ(out["name"][0]["family"].GetString(), "Ek");
  EXPECT_EQ(out.MemberCount(), 7u);  // resourceType id meta gender identifier extension name
}

TEST(ResourceMapperRender, WithoutClientMeta) {
  PreparedResource p = Prepare("Organization", R"({"resourceType":"Organization","name":"Källan \"VC\""})");
  const std::string text = RenderVersion(p.doc, "Organization", VersionInfo{"o1", 1, "2026-01-01T00:00:00.000Z"});
  rapidjson::Document out = ParseJson(text);
  EXPECT_EQ(out["meta"].MemberCount(), 2u);
  EXPECT_STREQ(out["name"].GetString(), "Källan \"VC\"");
  EXPECT_STREQ(out["id"].GetString(), "o1");
}

void ExpectSameIndex(const IndexEntries& a, const IndexEntries& b) {
  EXPECT_EQ(Tokens(a.tokens), Tokens(b.tokens));
  EXPECT_EQ(Texts(a), Texts(b));
  EXPECT_EQ(Refs(a), Refs(b));
  EXPECT_EQ(Tokens(a.unique), Tokens(b.unique));
}

TEST(ResourceMapperRender, RoundTripKeepsTheIndex) {
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"Patient", R"({"resourceType":"Patient","identifier":[
          {"system":"urn:oid:1.2.752.129.2.1.3.3","value":"196109732393","period":{"end":"2025-01-01"}},
          {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}],
          "name":[{"family":"Åberg","given":["Anna"],"text":"Anna Åberg"}],"gender":"female","birthDate":"1971-06-25"})"},
      {"Organization", R"({"resourceType":"Organization",
          "identifier":[{"system":"urn:oid:1.2.752.129.2.1.4.1","value":"SE2321000016-1234"}],
          "name":"VC Öst","alias":["Öst"],"type":[{"coding":[{"system":"s","code":"vardcentral"}]}],
          "partOf":{"reference":"Organization/r1"}})"},
      {"Practitioner", R"({"resourceType":"Practitioner","name":[{"family":"Lind","given":["Erik","Johan"]}],
          "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000016-1234"}]})"},
      {"PractitionerRole", R"({"resourceType":"PractitionerRole","practitioner":{"reference":"Practitioner/p1"},
          "organization":{"reference":"Organization/o1"},"code":[{"coding":[{"system":"s","code":"lakare"}]}]})"},
  };
  for (const auto& [type, body] : cases) {
    SCOPED_TRACE(type);
    PreparedResource first = Prepare(type, body);
    const std::string stored = RenderVersion(first.doc, type, VersionInfo{"x1", 2, "2026-11-23T10:00:00.123Z"});
    // the stored text is a valid update body for the same id
    PreparedResource second = Prepare(type, stored, std::string("x1"));
    ExpectSameIndex(first.index, second.index);
    // and rendering again gives the same text
    EXPECT_EQ(RenderVersion(second.doc, type, VersionInfo{"x1", 2, "2026-11-23T10:00:00.123Z"}), stored);
  }
}

// ParseReference / IsValidId

TEST(ResourceMapperReference, ParseReferenceVectors) {
  struct Case {
    const char* reference;
    bool ok;
    const char* type;
    const char* id;
  };
  const Case cases[] = {
      {"Patient/123", true, "Patient", "123"},
      {"Organization/vc-1.a", true, "Organization", "vc-1.a"},
      {"https://fhir.example.se/fhir/Patient/abc", true, "Patient", "abc"},
      {"http://localhost:8443/fhir/PractitionerRole/r-1/_history/4", true, "PractitionerRole", "r-1"},
      {"Patient/123/_history/2", true, "Patient", "123"},
      {"#contained", false, "", ""},
      {"patient/123", false, "", ""},
      {"Patient", false, "", ""},
      {"Patient/", false, "", ""},
      {"/123", false, "", ""},
      {"Patient/a b", false, "", ""},
      {"Patient/a_b", false, "", ""},
      {"Pat1ent/1", false, "", ""},
      {"", false, "", ""},
      {"urn:uuid:8f2c5a2e-1d1b-4c1e-9b5e-1a2b3c4d5e6f", false, "", ""},
  };
  for (const auto& c : cases) {
    std::string type, id;
    EXPECT_EQ(ParseReference(c.reference, type, id), c.ok) << c.reference;
    if (c.ok) {
      EXPECT_EQ(type, c.type) << c.reference;
      EXPECT_EQ(id, c.id) << c.reference;
    }
  }
  std::string type, id;
  EXPECT_TRUE(ParseReference("Patient/" + std::string(64, 'a'), type, id));
  EXPECT_FALSE(ParseReference("Patient/" + std::string(65, 'a'), type, id));
}

TEST(ResourceMapperReference, IsValidIdVectors) {
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("ABC-def.123"));
  EXPECT_TRUE(IsValidId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId("a_b"));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId("å"));
  EXPECT_FALSE(IsValidId("id%20"));
  EXPECT_FALSE(IsValidId(std::string("a\0b", 3)));
  // Dots alone: a URL path resolves them, so no client could address the resource.
  EXPECT_FALSE(IsValidId("."));
  EXPECT_FALSE(IsValidId(".."));
  EXPECT_FALSE(IsValidId("..."));
  EXPECT_TRUE(IsValidId("a.."));
  EXPECT_TRUE(IsValidId(".-."));
}

}  // namespace
}  // namespace nara::fhir
