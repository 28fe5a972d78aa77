// Transaction and batch Bundles at the base (fhir/http/router_bundle.cpp).
#include <string>
#include <utility>
#include <vector>

#include "tests/fhir/http/router_fixture.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

TEST_F(Router, BaseTakesOnlyTransactionOrBatchBundles) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/")), 405), "not-supported");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", kPatient)), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"collection"})")), 422), "value");
  HttpResponse empty = Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"transaction"})"));
  EXPECT_EQ(empty.status, 200) << empty.body;
  EXPECT_STREQ(ParseJson(empty.body)["type"].GetString(), "transaction-response");
  // FHIR JSON has no empty arrays: nothing asked, no entry element (not "entry":[]).
  EXPECT_FALSE(ParseJson(empty.body).HasMember("entry")) << empty.body;
  HttpResponse empty_batch = Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"batch"})"));
  EXPECT_EQ(empty_batch.status, 200) << empty_batch.body;
  EXPECT_FALSE(ParseJson(empty_batch.body).HasMember("entry")) << empty_batch.body;
}

const std::string kTwoUnits = R"({"resourceType":"Bundle","type":"transaction","entry":[
  {"fullUrl":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000001",
   "resource":{"resourceType":"Organization","name":"Region Test"},
   "request":{"method":"POST","url":"Organization"}},
  {"fullUrl":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000002",
   "resource":{"resourceType":"Organization","name":"VC Test",
               "partOf":{"reference":"urn:uuid:7f2d1c1e-0000-4000-8000-000000000001"}},
   "request":{"method":"POST","url":"Organization"}}]})";

TEST_F(Router, TransactionResolvesUrnUuidReferences) {
  HttpResponse r = Do(Req("POST", "/", kTwoUnits));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "transaction-response");
  ASSERT_EQ(doc["entry"].Size(), 2u);
  EXPECT_STREQ(doc["entry"][0]["response"]["status"].GetString(), "201 Created");
  const std::string region_id = doc["entry"][0]["resource"]["id"].GetString();
  const std::string part_of = doc["entry"][1]["resource"]["partOf"]["reference"].GetString();
  EXPECT_EQ(part_of, "Organization/" + region_id);
  EXPECT_NE(std::string(doc["entry"][1]["response"]["location"].GetString()).find("/_history/1"), std::string::npos);
  EXPECT_EQ(store_.Count("Organization"), 2u);
  EXPECT_EQ(store_.transactions, 1) << "a transaction Bundle is one database transaction";
}

TEST_F(Router, TransactionFailureRollsBackEverythingAndNamesTheEntry) {
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Organization","name":"VC Test"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]},
     "request":{"method":"POST","url":"Patient"}}]})";
  HttpResponse r = Do(Req("POST", "/", bundle));
  EXPECT_EQ(ExpectOutcome(r, 409), "conflict");
  EXPECT_NE(r.body.find("Bundle.entry[2]"), std::string::npos) << r.body;
  EXPECT_EQ(store_.Count("Organization"), 0u);
  EXPECT_EQ(store_.Count("Patient"), 0u);
  // A malformed entry fails the Bundle before anything is touched.
  const std::string malformed = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Organization","name":"VC"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","gender":7},"request":{"method":"POST","url":"Patient"}}]})";
  const int before = store_.transactions;
  HttpResponse bad = Do(Req("POST", "/", malformed));
  EXPECT_GE(bad.status, 400);
  EXPECT_NE(bad.body.find("Bundle.entry[1]"), std::string::npos) << bad.body;
  EXPECT_EQ(store_.transactions, before);
}

TEST_F(Router, TransactionRefusesTwoWritesOfOneResourceAndOversizedBundles) {
  const std::string twice = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"request":{"method":"DELETE","url":"Patient/a"}},{"request":{"method":"DELETE","url":"Patient/a"}}]})";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", twice)), 422), "value");
  std::string big = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + R"({"request":{"method":"GET","url":"Patient/x"}})";
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/", big + "]}")), 413), "too-costly");
}

// Swedish first, English after in parentheses (docs/api.md, "Errors"), behind the entry's position.
TEST_F(Router, TransactionEntryErrorTextsAreSwedishFirst) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"request":{"method":"DELETE","url":"Patient/a"}},{"request":{"method":"DELETE","url":"Patient/a"}})",
       "Bundle.entry[1]: transaktionen skriver Patient/a två gånger (the transaction writes Patient/a twice)"},
      {R"({"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient/a"}})",
       "Bundle.entry[0]: POST behöver request.url [type] (POST needs request.url [type])"},
  };
  for (const auto& [entries, text] : cases) {
    HttpResponse response =
        Do(Req("POST", "/", R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}"));
    rapidjson::Document doc;
    doc.Parse(response.body.c_str());
    ASSERT_TRUE(doc.IsObject()) << response.body;
    const std::string got = doc["issue"][0]["diagnostics"].GetString();
    EXPECT_TRUE(nara::testing::IsSwedishFirst(got));
    EXPECT_EQ(got, text);
  }
}

TEST_F(Router, BatchEntriesSucceedOrFailAlone) {
  const std::string id = CreatePatient();
  const std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Organization","name":"VC Test"},"request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254788"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient/)" + id + R"("}},
    {"request":{"method":"GET","url":"Patient/nobody"}}]})";
  HttpResponse r = Do(Req("POST", "/", bundle));
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "batch-response");
  ASSERT_EQ(doc["entry"].Size(), 4u);
  EXPECT_STREQ(doc["entry"][0]["response"]["status"].GetString(), "201 Created");
  EXPECT_STREQ(doc["entry"][1]["response"]["status"].GetString(), "422 Unprocessable Entity");
  EXPECT_STREQ(doc["entry"][1]["response"]["outcome"]["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(doc["entry"][2]["resource"]["id"].GetString(), id.c_str());
  EXPECT_STREQ(doc["entry"][3]["response"]["status"].GetString(), "404 Not Found");
  EXPECT_EQ(store_.Count("Organization"), 1u);
}

}  // namespace
}  // namespace nara::fhir
