#include "fhir/json/bundle_request.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/swedish_first.h"

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

// Swedish first, English after in parentheses (docs/api.md, "Errors"): one bad Bundle per error site.
TEST(BundleRequest, EveryErrorTextIsSwedishThenEnglishInParentheses) {
  const std::string head = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  const std::vector<std::pair<std::string, std::string>> entries = {
      {"1", "en post måste vara ett objekt (an entry must be an object)"},
      {"{}", "entry.request (method och url) saknas (entry.request (method and url) is required)"},
      {R"({"request":{"method":"HEAD","url":"Patient"}})",
       "request.method måste vara GET, POST, PUT, PATCH eller DELETE (request.method must be GET, POST, PUT, PATCH or "
       "DELETE)"},
      {R"({"request":{"method":"GET","url":"/Patient"}})",
       "request.url måste vara relativ till basen, t.ex. Patient eller Patient/123 (request.url must be relative to "
       "the base, e.g. Patient or Patient/123)"},
      {R"({"request":{"method":"GET","url":"?x=1"}})",
       "request.url måste ange en resurstyp (request.url must name a resource type)"},
      {R"({"resource":1,"request":{"method":"POST","url":"Patient"}})",
       "entry.resource måste vara ett objekt (entry.resource must be an object)"},
      {R"({"request":{"method":"PUT","url":"Patient/1"}})",
       "entry.resource saknas, det krävs för PUT (entry.resource is required for PUT)"},
  };
  for (const auto& [entry, text] : entries) {
    auto parsed = ParseBundleRequest(head + entry + "]}", Outer());
    ASSERT_TRUE(parsed.ok()) << parsed.error().text;
    ASSERT_EQ(parsed->entries.size(), 1u);
    ASSERT_FALSE(parsed->entries[0].ok()) << entry;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(parsed->entries[0].error().text));
    EXPECT_EQ(parsed->entries[0].error().text, text);
  }
  const std::vector<std::pair<std::string, std::string>> bundles = {
      {R"({"resourceType":"Bundle","type":"collection"})",
       "Bundle.type måste vara transaction eller batch (Bundle.type must be transaction or batch)"},
      {R"({"resourceType":"Bundle","type":"batch","entry":{}})",
       "Bundle.entry måste vara en array (Bundle.entry must be an array)"},
      {"[]",
       "innehållet måste vara ett JSON-objekt (en FHIR-resurs) (the body must be a JSON object (a FHIR resource))"},
  };
  for (const auto& [body, text] : bundles) {
    auto parsed = ParseBundleRequest(body, Outer());
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(parsed.error().text));
    EXPECT_EQ(parsed.error().text, text);
  }
  rapidjson::Document binary;
  binary.Parse(R"({"resourceType":"Patient"})");
  auto not_binary = PatchFromBinary(binary);
  ASSERT_FALSE(not_binary.ok());
  EXPECT_EQ(not_binary.error().text,
            "en PATCH-post ska innehålla en Binary med contentType application/json-patch+json (a PATCH entry carries "
            "a Binary with contentType application/json-patch+json)");
  binary.Parse(R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":"!!"})");
  auto not_base64 = PatchFromBinary(binary);
  ASSERT_FALSE(not_base64.ok());
  EXPECT_EQ(not_base64.error().text, "Binary.data är inte base64 (Binary.data is not base64)");
}

}  // namespace
}  // namespace nara::fhir
