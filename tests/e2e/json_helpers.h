// Reading responses in e2e tests: parse with RapidJSON and pick fields, failing the test loudly.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <string>

namespace nara::e2e {

inline rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << body.substr(0, 300);
  return doc;
}

// The string at a JSON Pointer such as "/meta/versionId", or "" when absent.
inline std::string At(const rapidjson::Document& doc, const char* pointer) {
  const rapidjson::Value* value = rapidjson::Pointer(pointer).Get(doc);
  if (!value) return {};
  if (value->IsString()) return value->GetString();
  if (value->IsInt64()) return std::to_string(value->GetInt64());
  return {};
}

// The FHIR IssueType of the first OperationOutcome issue (checks it is an OperationOutcome).
inline std::string IssueCode(const std::string& body) {
  auto doc = Parse(body);
  EXPECT_EQ(At(doc, "/resourceType"), "OperationOutcome") << body.substr(0, 300);
  return At(doc, "/issue/0/code");
}

inline std::string PatientJson(const std::string& personnummer, const std::string& family = "Testsson",
                               const std::string& id = "") {
  std::string json = R"({"resourceType":"Patient",)";
  if (!id.empty()) json += R"("id":")" + id + R"(",)";
  json += R"("identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
          personnummer + R"("}],"name":[{"family":")" + family + R"(","given":["Test"]}],"gender":"female"})";
  return json;
}

}  // namespace nara::e2e
