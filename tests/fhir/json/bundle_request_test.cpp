#include "fhir/json/bundle_request.h"

#include <gtest/gtest.h>

namespace nara::fhir {
namespace {

HttpRequest Outer() {
  HttpRequest outer;
  outer.base_url = "https://localhost:8443/fhir";
  outer.request_id = "rid-1";
  outer.caller.hsa_id = "SE2321000016-E001";
  outer.caller.role = "ehr";
  outer.headers["prefer"] = "return=minimal";
  return outer;
}

TEST(BundleRequest, EntriesBecomeTheRequestsTheyStandFor) {
  auto parsed = ParseBundleRequest(R"({"resourceType":"Bundle","type":"transaction","entry":[
      {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient",
       "ifNoneExist":"identifier=x|1"}},
      {"request":{"method":"DELETE","url":"https://localhost:8443/fhir/Patient/abc","ifMatch":"W/\"3\""}},
      {"request":{"method":"GET","url":"Patient?name=berg&_count=2"}}]})", Outer());
  ASSERT_TRUE(parsed.ok()) << parsed.error().text;
  EXPECT_EQ(parsed->type, "transaction");
  ASSERT_EQ(parsed->entries.size(), 3u);
  const auto& create = *parsed->entries[0];
  EXPECT_EQ(create.full_url, "urn:uuid:1");
  EXPECT_EQ(create.request.path, "/Patient");
  EXPECT_EQ(create.request.Header("if-none-exist"), "identifier=x|1");
  EXPECT_EQ(create.request.Header("prefer"), "return=minimal");
  EXPECT_EQ(create.request.caller.hsa_id, "SE2321000016-E001");
  ASSERT_NE(create.resource, nullptr);
  const auto& remove = *parsed->entries[1];
  EXPECT_EQ(remove.segments, (std::vector<std::string>{"Patient", "abc"}));
  EXPECT_EQ(remove.request.Header("if-match"), "W/\"3\"");
  const auto& search = *parsed->entries[2];
  EXPECT_EQ(search.request.query, (QueryParams{{"name", "berg"}, {"_count", "2"}}));
}

TEST(BundleRequest, MalformedEntriesAreNamedAndTheBundleErrorsAreWhole) {
  auto parsed = ParseBundleRequest(R"({"resourceType":"Bundle","type":"batch","entry":[
      1, {"request":{"method":"TRACE","url":"Patient"}}, {"request":{"method":"GET","url":"/Patient"}},
      {"request":{"method":"GET","url":"http://elsewhere/fhir/Patient"}}, {"request":{"method":"PUT","url":"Patient/a"}}]})",
                                   Outer());
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->entries.size(), 5u);
  for (const auto& entry : parsed->entries) EXPECT_FALSE(entry.ok());
  EXPECT_EQ(parsed->entries[4].error().detail_code, "required");  // a PUT without its resource

  EXPECT_EQ(ParseBundleRequest(R"({"resourceType":"Patient"})", Outer()).error().kind, ErrorKind::invalid);
  EXPECT_EQ(ParseBundleRequest(R"({"resourceType":"Bundle","type":"searchset"})", Outer()).error().detail_code, "value");
  EXPECT_EQ(ParseBundleRequest(R"({"resourceType":"Bundle","type":"batch","entry":{}})", Outer()).error().detail_code,
            "structure");
  std::string big = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  for (size_t i = 0; i <= kMaxBundleEntries; ++i) big += std::string(i ? "," : "") + "{}";
  EXPECT_EQ(ParseBundleRequest(big + "]}", Outer()).error().kind, ErrorKind::too_large);
}

TEST(BundleRequest, PatchEntriesCarryABase64JsonPatch) {
  rapidjson::Document binary;
  // [{"op":"remove","path":"/gender"}]
  binary.Parse(R"({"resourceType":"Binary","contentType":"application/json-patch+json",
                   "data":"W3sib3AiOiJyZW1vdmUiLCJwYXRoIjoiL2dlbmRlciJ9XQ=="})");
  auto patch = PatchFromBinary(binary);
  ASSERT_TRUE(patch.ok()) << patch.error().text;
  EXPECT_EQ(*patch, R"([{"op":"remove","path":"/gender"}])");
  rapidjson::Document not_base64;
  not_base64.Parse(R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":"***"})");
  EXPECT_FALSE(PatchFromBinary(not_base64).ok());
  rapidjson::Document not_binary;
  not_binary.Parse(R"({"resourceType":"Patient"})");
  EXPECT_FALSE(PatchFromBinary(not_binary).ok());
}

}  // namespace
}  // namespace nara::fhir
