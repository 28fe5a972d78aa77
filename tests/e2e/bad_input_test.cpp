// Bad input gets a clear OperationOutcome with the right status, never a crash or a 500 (docs/api.md section 1).
#include <gtest/gtest.h>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/fhir+json"}};

struct Case {
  const char* name;
  const char* method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;
  int status;
  const char* issue_code;
  const char* role = "ehr";  // who sends it: one who may write the type, so the content is what is judged
};

TEST(BadInput, EachGetsItsStatusAndAnOperationOutcome) {
  const std::vector<Case> cases = {
      {"malformed JSON", "POST", "/fhir/Patient", "{\"resourceType\":", kJson, 400, "structure"},
      {"not an object", "POST", "/fhir/Patient", "[1,2]", kJson, 400, "structure"},
      {"wrong resourceType", "POST", "/fhir/Patient", R"({"resourceType":"Practitioner"})", kJson, 400, "invalid"},
      {"id mismatch", "PUT", "/fhir/Patient/abc", R"({"resourceType":"Patient","id":"xyz"})", kJson, 400, "invalid"},
      {"unknown type", "GET", "/fhir/Spaceship/1", "", {}, 404, "not-found"},
      {"unknown id", "GET", "/fhir/Patient/does-not-exist", "", {}, 404, "not-found"},
      {"invalid personnummer", "POST", "/fhir/Patient",
       R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}]})",
       kJson, 422, "value"},
      {"samordningsnummer as personnummer", "POST", "/fhir/Patient",
       R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"196109732393"}]})",
       kJson, 422, "value"},
      {"bad HSA-id", "POST", "/fhir/Organization",
       R"({"resourceType":"Organization","identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"se123"}]})", kJson,
       422, "value", "admin"},
      {"XML body", "POST", "/fhir/Patient", "<Patient xmlns=\"http://hl7.org/fhir\"/>",
       {{"Content-Type", "application/fhir+xml"}}, 415, "not-supported"},
      {"XML wanted", "GET", "/fhir/metadata", "", {{"Accept", "application/fhir+xml"}}, 406, "not-supported"},
      {"_format=xml", "GET", "/fhir/Patient?_format=xml", "", {}, 406, "not-supported"},
      {"R5 wanted", "GET", "/fhir/metadata", "", {{"Accept", "application/fhir+json; fhirVersion=5.0"}}, 406,
       "not-supported"},
      {"R5 body", "POST", "/fhir/Patient", R"({"resourceType":"Patient"})",
       {{"Content-Type", "application/fhir+json; fhirVersion=5.0"}}, 415, "not-supported"},
      {"unsupported method", "PATCH", "/fhir/Patient", "", {}, 405, "not-supported"},
      {"bad If-Match", "PUT", "/fhir/Patient/abc", R"({"resourceType":"Patient","id":"abc"})",
       {{"Content-Type", "application/fhir+json"}, {"If-Match", "yesterday"}}, 400, "invalid"},
      {"strict unknown parameter", "GET", "/fhir/Patient?shoe-size=44", "", {{"Prefer", "handling=strict"}}, 400,
       "not-supported"},
      {"bad date", "GET", "/fhir/Patient?_lastUpdated=2023-02-30", "", {}, 400, "invalid"},
      {"outside the FHIR base", "GET", "/admin", "", {}, 404, "not-found"},
      // A role that may not write the type at all is refused before its body is judged.
      {"ehr writing a unit", "POST", "/fhir/Organization",
       R"({"resourceType":"Organization","identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"se123"}]})", kJson,
       403, "forbidden"},
  };
  for (const auto& c : cases) {
    auto result = Server::Shared().Client(c.role)->Request(c.method, c.path, c.body, c.headers);
    EXPECT_EQ(result.status, c.status) << c.name << ": " << result.body.substr(0, 300);
    EXPECT_EQ(IssueCode(result.body), c.issue_code) << c.name;
  }
}

TEST(BadInput, BodyOverOneMebibyteIs413) {
  auto client = Server::Shared().Client("ehr");
  const std::string huge = R"({"resourceType":"Patient","text":{"div":")" + std::string(1100000, 'x') + "\"}}";
  auto result = client->Request("POST", "/fhir/Patient", huge, kJson);
  EXPECT_EQ(result.status, 413) << result.error;
  EXPECT_EQ(IssueCode(result.body), "too-costly");
}

TEST(BadInput, DeeplyNestedJsonIsRefusedNotCrashing) {
  auto client = Server::Shared().Client("ehr");
  std::string nested = R"({"resourceType":"Patient","extension":)";
  for (int i = 0; i < 5000; ++i) nested += "[";
  for (int i = 0; i < 5000; ++i) nested += "]";
  nested += "}";
  auto result = client->Request("POST", "/fhir/Patient", nested, kJson);
  EXPECT_EQ(result.status, 400);
  // And the server still serves.
  EXPECT_EQ(client->Request("GET", "/fhir/metadata").status, 200);
}

TEST(BadInput, PersonnummerNeverAppearsInTheServerLog) {
  auto client = Server::Shared().Client("ehr");
  client->Request("GET", "/fhir/Patient?identifier=197106254787");
  client->Request("POST", "/fhir/Patient", PatientJson("197106254788"), kJson);
  EXPECT_EQ(Server::Shared().ServerLog().find("19710625478"), std::string::npos);
}

}  // namespace
}  // namespace nara::e2e
