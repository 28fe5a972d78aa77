// The dispatcher (fhir/http/router.cpp): format negotiation, the route table's 404s and 405s,
// refusals, and the PDL audit stage.
#include "tests/fhir/http/router_fixture.h"

#include <string>

namespace nara::fhir {
namespace {

TEST_F(Router, MetadataIsTheCapabilityStatement) {
  HttpResponse r = Do(Req("GET", "/metadata"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderValue(r, "Content-Type"), kFhirJson);
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "CapabilityStatement");
  EXPECT_STREQ(doc["software"]["version"].GetString(), "1.2.3");
  EXPECT_STREQ(doc["implementation"]["url"].GetString(), kBase.c_str());
  EXPECT_EQ(store_.transactions, 0);
}

TEST_F(Router, MetadataWithJsonFormatAndPostIsNotAllowed) {
  HttpRequest r = Req("GET", "/metadata");
  r.query.emplace_back("_format", "json");
  r.headers["accept"] = "application/fhir+json";
  EXPECT_EQ(Do(r).status, 200);
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/metadata", "{}")), 405), "not-supported");
}

TEST_F(Router, UnknownTypeIs404) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Foo")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Foo/1")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Observation", "{}")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/patient/1")), 404), "not-found");
}

TEST_F(Router, UnknownPathBelowAnInstanceIs404) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/foo")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/1/extra")), 404), "not-found");
}

TEST_F(Router, UnsupportedMethodsAndFormsAre405Or415Or400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("PATCH", "/Patient", "[]")), 405), "not-supported");
  // PATCH takes JSON Patch only; a FHIR JSON body is not a patch.
  EXPECT_EQ(ExpectOutcome(Do(Req("PATCH", "/Patient/p1", "[]")), 415), "not-supported");
  // A conditional delete needs criteria: without them it would name every Patient.
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/_search")), 405), "not-supported");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient/p1/_history/1", "{}")), 405), "not-supported");
}

TEST_F(Router, MethodNotAllowedCarriesAllowHeader) {
  // RFC 9110 15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
  HttpResponse r = Do(Req("PATCH", "/Patient", "[]"));
  ASSERT_EQ(r.status, 405);
  if (HeaderValue(r, "Allow").empty()) {
    FAIL() << "regression: fhir/http/router.cpp MethodNotAllowed sends 405 without an Allow header";
  }
  EXPECT_NE(HeaderValue(r, "Allow").find("POST"), std::string::npos);
}

TEST_F(Router, BodyTooLargeIs413) {
  HttpRequest r = Req("POST", "/Patient", "{\"resourceType\":\"Patient\"");
  r.body_too_large = true;
  EXPECT_EQ(ExpectOutcome(Do(r), 413), "too-costly");
  EXPECT_EQ(store_.transactions, 0);
}

TEST_F(Router, XmlAcceptIs406) {
  HttpRequest r = Req("GET", "/Patient/p1");
  r.headers["accept"] = "application/fhir+xml";
  EXPECT_EQ(ExpectOutcome(Do(r), 406), "not-supported");
  HttpRequest f = Req("GET", "/metadata");
  f.query.emplace_back("_format", "xml");
  EXPECT_EQ(ExpectOutcome(Do(f), 406), "not-supported");
  HttpRequest post = Req("POST", "/Patient", kPatient);
  post.headers["accept"] = "application/xml";
  EXPECT_EQ(ExpectOutcome(Do(post), 406), "not-supported");
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, LenientAcceptIsServed) {
  HttpRequest r = Req("GET", "/metadata");
  r.headers["accept"] = "application/fhir+json;q=0.9, */*";
  EXPECT_EQ(Do(r).status, 200);
}

TEST_F(Router, XmlOrMissingContentTypeIs415) {
  HttpRequest xml = Req("POST", "/Patient", "<Patient xmlns=\"http://hl7.org/fhir\"/>");
  xml.headers["content-type"] = "application/fhir+xml";
  EXPECT_EQ(ExpectOutcome(Do(xml), 415), "not-supported");
  HttpRequest none = Req("POST", "/Patient", kPatient);
  none.headers.erase("content-type");
  EXPECT_EQ(ExpectOutcome(Do(none), 415), "not-supported");
  HttpRequest put = Req("PUT", "/Patient/p1", kPatient);
  put.headers["content-type"] = "text/xml";
  EXPECT_EQ(ExpectOutcome(Do(put), 415), "not-supported");
  HttpRequest plain_json = Req("POST", "/Patient", kPatient);
  plain_json.headers["content-type"] = "application/json";
  EXPECT_EQ(Do(plain_json).status, 201);
}

TEST_F(Router, MalformedJsonIs400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", "{\"resourceType\":\"Patient\",")), 400), "structure");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", "[1,2]")), 400), "structure");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", R"({"resourceType":"Organization"})")), 400), "invalid");
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, DeeplyNestedBodyIs400) {
  std::string body = R"({"resourceType":"Patient","extension":[{"url":"u","x":)";
  for (int i = 0; i < 100000; ++i) body += "[";
  for (int i = 0; i < 100000; ++i) body += "]";
  body += "}]}";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient", body)), 400), "structure");
}

TEST_F(Router, InvalidPersonnummerIs422WithoutTheNumber) {
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":"Patient","identifier":[
      {"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})"));
  EXPECT_EQ(ExpectOutcome(r, 422), "value");
  EXPECT_EQ(r.body.find("197106254788"), std::string::npos) << r.body;
  EXPECT_EQ(store_.Count("Patient"), 0u);
}

TEST_F(Router, ErrorTextsStayValidUtf8) {
  // The resourceType echoed in the error text is cut to 64 bytes; here that falls inside an "Å".
  std::string type = "a";
  for (int i = 0; i < 40; ++i) type += "Å";
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":")" + type + "\"}"));
  ASSERT_EQ(r.status, 400);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str(), r.body.size());
  HttpResponse path = Do(Req("GET", "/" + type));
  ASSERT_EQ(path.status, 404);
  rapidjson::Document path_doc;
  path_doc.Parse<rapidjson::kParseValidateEncodingFlag>(path.body.c_str(), path.body.size());
  if (doc.HasParseError() || path_doc.HasParseError()) {
    FAIL() << "regression: OperationOutcome bodies carry invalid UTF-8 when an echoed client value is cut "
                    "mid-character: fhir/resources/resource_mapper.cpp PrepareResource resource_type.substr(0, 64) "
                    "(resourceType mismatch) and fhir/http/router.cpp segments[0].substr(0, 64) (unknown type); "
                    "same pattern for _format value.substr(0, 40) in http_util.cpp and method.substr(0, 16)";
  }
  ExpectOutcome(r, 400);
  ExpectOutcome(path, 404);
}

TEST_F(Router, WritesAndReadsOfPatientDataAreAuditedOnce) {
  const std::string id = CreatePatient();
  ASSERT_EQ(store_.audit.size(), 1u);
  EXPECT_EQ(store_.audit[0].action, "create");
  EXPECT_EQ(store_.audit[0].patient_ids, std::vector<std::string>{id});
  EXPECT_EQ(store_.audit[0].outcome, "success");
  EXPECT_EQ(store_.audit[0].agent_hsa_id, "SE2321000016-A001");
  ASSERT_EQ(Do(Req("GET", "/Patient/" + id)).status, 200);
  ASSERT_EQ(store_.audit.size(), 2u);
  EXPECT_EQ(store_.audit[1].action, "read");
  EXPECT_EQ(store_.audit[1].resource_ids, std::vector<std::string>{id});
  // Directory data is not patient data: no record.
  ASSERT_EQ(Do(Req("GET", "/metadata")).status, 200);
  EXPECT_EQ(store_.audit.size(), 2u);
}

TEST_F(Router, ARoleThatMayNotReadPatientsIsRefusedAndTheRefusalAudited) {
  const std::string id = CreatePatient();
  HttpRequest read = Req("GET", "/Patient/" + id);
  read.caller.role = "statistics";
  read.caller.hsa_id = "SE2021005521-S001";
  EXPECT_EQ(ExpectOutcome(Do(read), 403), "forbidden");
  ASSERT_EQ(store_.audit.size(), 2u);
  EXPECT_EQ(store_.audit[1].outcome, "refused");
  EXPECT_EQ(store_.audit[1].http_status, 403);
  EXPECT_EQ(store_.audit[1].agent_hsa_id, "SE2021005521-S001");
}

// A role that may not write a type at all is refused before its body is read: 403, logged as refused,
// not a 422 about the body. A role that may write the type still hears about the body's faults.
TEST_F(Router, AWriteNoContentCouldAllowIsRefusedBeforeTheBody) {
  const std::string invalid_team = R"({"resourceType":"CareTeam"})";
  HttpRequest portal = Req("POST", "/CareTeam", invalid_team);
  portal.caller.role = "citizen-portal";
  portal.caller.hsa_id = "SE5565594230-P001";
  EXPECT_EQ(ExpectOutcome(Do(portal), 403), "forbidden");
  ASSERT_FALSE(store_.audit.empty());
  EXPECT_EQ(store_.audit.back().outcome, "refused");
  EXPECT_EQ(store_.audit.back().http_status, 403);

  HttpRequest statistics = Req("PUT", "/EpisodeOfCare/e1", R"({"resourceType":"EpisodeOfCare"})");
  statistics.caller.role = "statistics";
  statistics.caller.hsa_id = "SE2021005521-S001";
  HttpResponse put = Do(statistics);
  EXPECT_EQ(ExpectOutcome(put, 403), "forbidden");
  // A PUT goes on if it may update or create; refused, it is refused in the words of an update.
  EXPECT_EQ(std::string(ParseJson(put.body)["issue"][0]["diagnostics"].GetString()),
            "Rollen statistics får inte ändra EpisodeOfCare (role statistics may not update EpisodeOfCare)");
  HttpRequest erase = Req("DELETE", "/Patient");
  erase.query = {{"identifier", "x"}};
  erase.caller.role = "statistics";
  erase.caller.hsa_id = "SE2021005521-S001";
  EXPECT_EQ(ExpectOutcome(Do(erase), 403), "forbidden");

  HttpRequest ehr = Req("POST", "/CareTeam", invalid_team);
  ehr.caller.role = "ehr";
  ehr.caller.hsa_id = "SE2321000016-E001";
  ehr.caller.organizations = {"SE2321000016-0001"};
  EXPECT_EQ(ExpectOutcome(Do(ehr), 422), "required");
}

TEST_F(Router, AnUnknownCallerIsRefusedBeforeRouting) {
  HttpRequest read = Req("GET", "/Patient/abc");
  read.caller.role.clear();
  HttpResponse r = api_.Refuse(read, Error{ErrorKind::forbidden, "forbidden", "okänt HSA-id (unknown caller)", {}});
  EXPECT_EQ(ExpectOutcome(r, 403), "forbidden");
  ASSERT_EQ(store_.audit.size(), 1u);
  EXPECT_EQ(store_.audit[0].outcome, "refused");
  EXPECT_EQ(store_.audit[0].resource_ids, std::vector<std::string>{"abc"});
}

}  // namespace
}  // namespace nara::fhir
