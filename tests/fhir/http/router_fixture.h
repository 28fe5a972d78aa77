// What the FhirApi unit tests share: requests as an admin caller, the checks of an
// OperationOutcome, and the Router fixture over the in-memory store (tests/support/fake_store.h).
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "fhir/http/http_util.h"
#include "fhir/http/router.h"
#include "tests/support/fake_store.h"

namespace nara::fhir {

inline const std::string kBase = "https://localhost:8443/fhir";
inline constexpr const char* kPnr = "197106254787";

inline const std::string kPatient = R"({"resourceType":"Patient",
  "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}],
  "name":[{"family":"Åberg","given":["Anna"]}],"gender":"female","birthDate":"1971-06-25"})";

inline HttpRequest Req(std::string method, std::string path, std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.base_url = kBase;
  r.request_id = "test";
  // Routing is under test here, not the access policy (auth/ has its table test): an admin caller.
  r.caller.hsa_id = "SE2321000016-A001";
  r.caller.role = "admin";
  if (!r.body.empty()) r.headers["content-type"] = "application/fhir+json";
  return r;
}

inline std::string HeaderValue(const HttpResponse& response, const std::string& name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return {};
}

inline rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << "not valid JSON: " << text;
  return doc;
}

// An error response: the status, a FHIR JSON content type, and an OperationOutcome with an error issue.
inline std::string ExpectOutcome(const HttpResponse& response, int status) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(HeaderValue(response, "Content-Type"), kFhirJson);
  rapidjson::Document doc = ParseJson(response.body);
  if (!doc.IsObject()) {
    ADD_FAILURE() << "not an object: " << response.body;
    return {};
  }
  EXPECT_TRUE(doc.HasMember("resourceType") && doc["resourceType"].IsString() &&
              std::string(doc["resourceType"].GetString()) == "OperationOutcome")
      << response.body;
  if (!doc.HasMember("issue") || !doc["issue"].IsArray() || doc["issue"].Empty()) {
    ADD_FAILURE() << "no issue: " << response.body;
    return {};
  }
  const auto& issue = doc["issue"][0];
  EXPECT_STREQ(issue["severity"].GetString(), "error");
  EXPECT_TRUE(issue["diagnostics"].IsString());
  EXPECT_GT(issue["diagnostics"].GetStringLength(), 0u);
  return issue["code"].GetString();
}

class Router : public ::testing::Test {
 protected:
  Router() : api_(store_, ApiOptions{"1.2.3", {}, nullptr, {}, {}}) {}

  HttpResponse Do(const HttpRequest& request) { return api_.Handle(request); }

  // Creates a Patient and returns its id.
  std::string CreatePatient(const std::string& body = kPatient) {
    HttpResponse r = Do(Req("POST", "/Patient", body));
    EXPECT_EQ(r.status, 201) << r.body;
    rapidjson::Document doc = ParseJson(r.body);
    return doc.IsObject() && doc.HasMember("id") ? doc["id"].GetString() : std::string();
  }

  FakeStore store_;
  FhirApi api_;
};

}  // namespace nara::fhir
