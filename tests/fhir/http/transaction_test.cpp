// Transactions as EHR integrators write them (issue 14): request.url with an unencoded conditional
// search, urn:uuid references to conditional entries, conditional references, and FHIRPath
// expressions that point into the Bundle (fhir/http/router_bundle.cpp).
#include <string>

#include "tests/fhir/http/router_fixture.h"

namespace nara::fhir {
namespace {

const std::string kPnrSearch = "identifier=http://electronichealth.se/identifier/personnummer|197106254787";

const std::string kUnitEntry = R"({"fullUrl":"urn:uuid:0a000000-0000-4000-8000-000000000001",
   "resource":{"resourceType":"Organization","name":"VC Test","active":true,
     "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000016-7001"}],
     "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/organization-type","code":"vardcentral"}]}]},
   "request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=urn:oid:1.2.752.29.4.19|SE2321000016-7001"}})";

std::string Listing(const std::string& patient_reference) {
  return R"({"resource":{"resourceType":"EpisodeOfCare","status":"active",
     "type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],
     "patient":{"reference":")" + patient_reference + R"("},
     "managingOrganization":{"reference":"urn:uuid:0a000000-0000-4000-8000-000000000001"},
     "period":{"start":"2026-01-01"}},
   "request":{"method":"POST","url":"EpisodeOfCare"}})";
}

std::string Transaction(const std::string& entries) {
  return R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}";
}

// The patient entry of "find or create this patient, then list them".
std::string FindOrCreatePatient(const std::string& request) {
  return R"({"fullUrl":"urn:uuid:0a000000-0000-4000-8000-000000000002","resource":)" + kPatient +
         R"(,"request":)" + request + "}";
}

std::string ListedPatient(const HttpResponse& r) {
  rapidjson::Document doc = ParseJson(r.body);
  if (!doc.IsObject() || !doc.HasMember("entry") || doc["entry"].Size() != 3) {
    ADD_FAILURE() << r.body;
    return {};
  }
  return doc["entry"][2]["resource"]["patient"]["reference"].GetString();
}

TEST_F(Router, ConditionalUpdateWithAnUnencodedUrlIsReferableByUrnUuid) {
  const std::string put = R"({"method":"PUT","url":"Patient?)" + kPnrSearch + R"("})";
  // Nothing matches: the patient is created, and the listing names the id it got.
  HttpResponse created = Do(Req("POST", "/", Transaction(kUnitEntry + "," + FindOrCreatePatient(put) + "," +
                                                        Listing("urn:uuid:0a000000-0000-4000-8000-000000000002"))));
  ASSERT_EQ(created.status, 200) << created.body;
  rapidjson::Document doc = ParseJson(created.body);
  EXPECT_STREQ(doc["entry"][1]["response"]["status"].GetString(), "201 Created");
  const std::string patient_id = doc["entry"][1]["resource"]["id"].GetString();
  EXPECT_EQ(ListedPatient(created), "Patient/" + patient_id);
  EXPECT_EQ(store_.Count("Patient"), 1u);
  // The same Bundle again: the condition finds that patient, which is updated and listed again.
  HttpResponse again = Do(Req("POST", "/", Transaction(kUnitEntry + "," + FindOrCreatePatient(put) + "," +
                                                      Listing("urn:uuid:0a000000-0000-4000-8000-000000000002"))));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_STREQ(ParseJson(again.body)["entry"][1]["response"]["status"].GetString(), "200 OK");
  EXPECT_EQ(ListedPatient(again), "Patient/" + patient_id);
  EXPECT_EQ(store_.Count("Patient"), 1u);
}

TEST_F(Router, ConditionalCreateIsReferableByUrnUuid) {
  const std::string existing = CreatePatient();
  const std::string post = R"({"method":"POST","url":"Patient","ifNoneExist":")" + kPnrSearch + R"("})";
  HttpResponse r = Do(Req("POST", "/", Transaction(kUnitEntry + "," + FindOrCreatePatient(post) + "," +
                                                  Listing("urn:uuid:0a000000-0000-4000-8000-000000000002"))));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ListedPatient(r), "Patient/" + existing);
  EXPECT_EQ(store_.Count("Patient"), 1u);
  EXPECT_EQ(store_.Count("EpisodeOfCare"), 1u);
}

TEST_F(Router, ConditionalReferencesResolveToExactlyOneMatch) {
  const std::string existing = CreatePatient();
  const std::string filler = R"({"request":{"method":"GET","url":"Patient/)" + existing + R"("}})";
  HttpResponse one = Do(Req("POST", "/", Transaction(kUnitEntry + "," + filler + "," + Listing("Patient?" + kPnrSearch))));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(ListedPatient(one), "Patient/" + existing);

  // None: the transaction fails and nothing is written.
  const size_t units = store_.Count("Organization");
  HttpResponse none = Do(Req("POST", "/", Transaction(kUnitEntry + "," + filler + "," +
                                                     Listing("Patient?identifier=http://electronichealth.se/"
                                                             "identifier/samordningsnummer|196109732393"))));
  EXPECT_EQ(ExpectOutcome(none, 404), "not-found");
  rapidjson::Document none_doc = ParseJson(none.body);
  EXPECT_STREQ(none_doc["issue"][0]["expression"][0].GetString(), "Bundle.entry[2].resource.patient.reference");
  EXPECT_EQ(none.body.find("196109732393"), std::string::npos) << "no personnummer in an error text";
  EXPECT_EQ(store_.Count("Organization"), units);

  // Several: 412.
  CreatePatient(R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.3",
    "value":"196109732393"}],"gender":"female"})");
  HttpResponse several =
      Do(Req("POST", "/", Transaction(kUnitEntry + "," + filler + "," + Listing("Patient?gender=female"))));
  EXPECT_EQ(ExpectOutcome(several, 412), "conflict");
  EXPECT_EQ(store_.Count("Organization"), units);
}

TEST_F(Router, EntryErrorsPointIntoTheBundleWithFhirPath) {
  HttpResponse r = Do(Req("POST", "/", Transaction(kUnitEntry + "," + Listing("not a reference"))));
  EXPECT_EQ(ExpectOutcome(r, 422), "value");
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["issue"][0]["expression"][0].GetString(), "Bundle.entry[1].resource.patient.reference");
  // An error in the entry's request.
  HttpResponse url = Do(Req("POST", "/", Transaction(R"({"request":{"method":"PUT","url":"/Patient"},"resource":)" +
                                                      kPatient + "}")));
  EXPECT_EQ(ExpectOutcome(url, 422), "value");
  EXPECT_STREQ(ParseJson(url.body)["issue"][0]["expression"][0].GetString(), "Bundle.entry[0].request.url");
}

}  // namespace
}  // namespace nara::fhir
