// Per-client rate limits from access.json (issue 8, docs/api.md section 6): over mTLS, a client over its
// rateLimitPerMinute gets 429 with an OperationOutcome and Retry-After; other clients are not affected.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"

namespace nara::e2e {
namespace {

// The dev PKI's HSA-ids (auth/dev_pki.cpp): the EHR gets a tiny budget, admin none.
const char* kAccessJson = R"({"clients":[
  {"hsaId":"SE2321000016-E001","name":"EHR","role":"ehr","organizations":["SE2321000016-0001"],"rateLimitPerMinute":2},
  {"hsaId":"SE2321000016-A001","name":"Admin","role":"admin","organizations":[]}
]})";

TEST(RateLimit, ClientOverItsLimitGets429WithRetryAfter) {
  OwnServer server("ratelimit", {{"NARA_ACCESS_FILE", WriteTempFile("access.json", kAccessJson)}});
  ASSERT_TRUE(server.Migrate());
  ASSERT_TRUE(server.Start());
  auto ehr = server.Client("ehr");
  auto admin = server.Client("admin");

  // The bucket starts full: the whole minute's budget is served.
  for (int i = 0; i < 2; ++i) {
    auto ok = ehr->Request("GET", "/fhir/Patient?_count=1");
    ASSERT_EQ(ok.status, 200) << i << ": " << ok.body;
  }
  // Then refused; a token comes back every 30 s, so eight more requests cannot all pass.
  testing::HttpResult refused;
  for (int i = 0; i < 8 && refused.status != 429; ++i) refused = ehr->Request("GET", "/fhir/Patient?_count=1");
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(IssueCode(refused.body), "throttled");
  const std::string retry_after = refused.headers["retry-after"];
  ASSERT_FALSE(retry_after.empty());
  const int seconds = std::stoi(retry_after);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 30);
  EXPECT_NE(refused.body.find("2 requests per minute"), std::string::npos) << refused.body;

  // Another client has its own budget (admin: none), and the throttled one is still refused.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(admin->Request("GET", "/fhir/Patient?_count=1").status, 200) << i;
  EXPECT_EQ(ehr->Request("GET", "/fhir/metadata").status, 429);

  // Throttling is not a failure of the server: it keeps serving and says nothing about a 500.
  EXPECT_TRUE(server.process().running());
  EXPECT_EQ(server.process().log().find("request.exception"), std::string::npos);
}

}  // namespace
}  // namespace nara::e2e
