#include "fhir/json/operation_outcome.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace nara::fhir {
namespace {

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

Error Make(ErrorKind kind, std::string detail = {}) { return Error{kind, std::move(detail), "text", {}}; }

std::string HeaderValue(const HttpResponse& response, const std::string& name) {
  for (const auto& [n, v] : response.headers) {
    if (n == name) return v;
  }
  return {};
}

TEST(OperationOutcome, HttpStatusForEveryKind) {
  EXPECT_EQ(HttpStatusFor(Error::Invalid("value", "t")), 422);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("required", "t")), 422);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("invariant", "t")), 422);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("structure", "t")), 400);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("invalid", "t")), 400);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("not-supported", "t")), 400);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("too-costly", "t")), 400);
  EXPECT_EQ(HttpStatusFor(Error::Invalid("", "t")), 400);
  EXPECT_EQ(HttpStatusFor(Error::NotFound("t")), 404);
  EXPECT_EQ(HttpStatusFor(Error::Gone("t")), 410);
  EXPECT_EQ(HttpStatusFor(Error::Conflict("t")), 409);
  EXPECT_EQ(HttpStatusFor(Error::PreconditionFailed("t")), 412);
  EXPECT_EQ(HttpStatusFor(Error::BusinessRule("list-full", "t")), 422);
  EXPECT_EQ(HttpStatusFor(Make(ErrorKind::forbidden)), 403);
  EXPECT_EQ(HttpStatusFor(Make(ErrorKind::unauthenticated)), 401);
  EXPECT_EQ(HttpStatusFor(Error::Unavailable("t")), 503);
  EXPECT_EQ(HttpStatusFor(Make(ErrorKind::too_large)), 413);
  EXPECT_EQ(HttpStatusFor(Make(ErrorKind::not_supported)), 405);
}

TEST(OperationOutcome, IssueCodesAreFhirIssueTypes) {
  EXPECT_EQ(IssueFor(Error::Invalid("value", "t")).code, "value");
  EXPECT_EQ(IssueFor(Error::Invalid("structure", "t")).code, "structure");
  EXPECT_EQ(IssueFor(Error::Invalid("", "t")).code, "invalid");
  EXPECT_EQ(IssueFor(Error::NotFound("t")).code, "not-found");
  EXPECT_EQ(IssueFor(Error::Gone("t")).code, "deleted");
  EXPECT_EQ(IssueFor(Error::Conflict("t")).code, "conflict");
  EXPECT_EQ(IssueFor(Error::PreconditionFailed("t")).code, "conflict");
  EXPECT_EQ(IssueFor(Error::BusinessRule("list-full", "t")).code, "business-rule");
  EXPECT_EQ(IssueFor(Make(ErrorKind::forbidden)).code, "forbidden");
  EXPECT_EQ(IssueFor(Make(ErrorKind::unauthenticated)).code, "login");
  EXPECT_EQ(IssueFor(Error::Unavailable("t")).code, "transient");
  EXPECT_EQ(IssueFor(Make(ErrorKind::too_large)).code, "too-costly");
  EXPECT_EQ(IssueFor(Make(ErrorKind::not_supported)).code, "not-supported");
  for (ErrorKind kind : {ErrorKind::invalid, ErrorKind::not_found, ErrorKind::gone, ErrorKind::conflict,
                         ErrorKind::precondition_failed, ErrorKind::business_rule, ErrorKind::forbidden,
                         ErrorKind::unauthenticated, ErrorKind::unavailable, ErrorKind::too_large,
                         ErrorKind::not_supported}) {
    Issue issue = IssueFor(Error{kind, "value", "some text", "Patient.x"});
    EXPECT_EQ(issue.severity, "error");
    EXPECT_EQ(issue.text, "some text");
    EXPECT_EQ(issue.expression, "Patient.x");
    EXPECT_FALSE(issue.code.empty());
  }
}

TEST(OperationOutcome, BusinessRuleCarriesDetailCoding) {
  HttpResponse response = ErrorResponse(Error::BusinessRule("list-full", "listan är full (the list is full)"));
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(HeaderValue(response, "Content-Type"), kFhirJson);
  rapidjson::Document doc = ParseJson(response.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
  ASSERT_EQ(doc["issue"].Size(), 1u);
  const auto& issue = doc["issue"][0];
  EXPECT_STREQ(issue["severity"].GetString(), "error");
  EXPECT_STREQ(issue["code"].GetString(), "business-rule");
  ASSERT_TRUE(issue.HasMember("details"));
  EXPECT_STREQ(issue["details"]["coding"][0]["system"].GetString(), kOutcomeDetailSystem);
  EXPECT_STREQ(issue["details"]["coding"][0]["code"].GetString(), "list-full");
  EXPECT_STREQ(issue["details"]["text"].GetString(), "listan är full (the list is full)");
  EXPECT_STREQ(issue["diagnostics"].GetString(), "listan är full (the list is full)");
  EXPECT_FALSE(issue.HasMember("expression"));
}

TEST(OperationOutcome, JsonHasSeverityCodeDiagnosticsExpression) {
  Issue a;
  a.code = "value";
  a.text = "quote \" backslash \\ newline \n tab \t bell \x07 åäö";
  a.expression = "Patient.identifier[0].value";
  Issue b;
  b.severity = "warning";
  b.code = "not-supported";
  b.text = "second";
  const std::string text = OperationOutcomeJson({a, b});
  rapidjson::Document doc = ParseJson(text);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
  ASSERT_TRUE(doc["issue"].IsArray());
  ASSERT_EQ(doc["issue"].Size(), 2u);
  const auto& first = doc["issue"][0];
  EXPECT_STREQ(first["severity"].GetString(), "error");
  EXPECT_STREQ(first["code"].GetString(), "value");
  EXPECT_EQ(std::string(first["diagnostics"].GetString(), first["diagnostics"].GetStringLength()), a.text);
  ASSERT_TRUE(first["expression"].IsArray());
  EXPECT_STREQ(first["expression"][0].GetString(), "Patient.identifier[0].value");
  EXPECT_FALSE(first.HasMember("details"));
  const auto& second = doc["issue"][1];
  EXPECT_STREQ(second["severity"].GetString(), "warning");
  EXPECT_STREQ(second["code"].GetString(), "not-supported");
  EXPECT_FALSE(second.HasMember("expression"));
}

TEST(OperationOutcome, EmptyIssueListIsStillValidJson) {
  rapidjson::Document doc = ParseJson(OperationOutcomeJson({}));
  EXPECT_TRUE(doc["issue"].IsArray());
}

TEST(OperationOutcome, ErrorResponseStatusAndHeaders) {
  HttpResponse invalid = ErrorResponse(Error::Invalid("value", "bad value", "Patient.gender"));
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(HeaderValue(invalid, "Retry-After"), "");
  rapidjson::Document doc = ParseJson(invalid.body);
  EXPECT_STREQ(doc["issue"][0]["code"].GetString(), "value");
  EXPECT_STREQ(doc["issue"][0]["expression"][0].GetString(), "Patient.gender");

  HttpResponse unavailable = ErrorResponse(Error::Unavailable("databasen är upptagen (database busy)"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_FALSE(HeaderValue(unavailable, "Retry-After").empty());
  EXPECT_EQ(HeaderValue(unavailable, "Content-Type"), kFhirJson);
  EXPECT_STREQ(ParseJson(unavailable.body)["issue"][0]["code"].GetString(), "transient");

  Issue issue;
  issue.code = "not-supported";
  issue.text = "XML";
  HttpResponse explicit_status = ErrorResponse(406, issue);
  EXPECT_EQ(explicit_status.status, 406);
  EXPECT_STREQ(ParseJson(explicit_status.body)["resourceType"].GetString(), "OperationOutcome");
  EXPECT_FALSE(HeaderValue(ErrorResponse(503, issue), "Retry-After").empty());
}

}  // namespace
}  // namespace nara::fhir
