// Read, vread, search and the single-resource writes (fhir/http/interactions.cpp).
#include "tests/fhir/http/router_fixture.h"

#include <string>

#include "registry/identifier_system.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

TEST_F(Router, CreateReturns201WithLocationEtagAndBody) {
  HttpResponse r = Do(Req("POST", "/Patient", kPatient));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"1\"");
  EXPECT_EQ(HeaderValue(r, "Content-Type"), kFhirJson);
  EXPECT_FALSE(HeaderValue(r, "Last-Modified").empty());
  EXPECT_NE(HeaderValue(r, "Last-Modified").find("GMT"), std::string::npos);
  rapidjson::Document doc = ParseJson(r.body);
  ASSERT_TRUE(doc.IsObject());
  const std::string id = doc["id"].GetString();
  EXPECT_TRUE(IsValidId(id));
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/1");
  EXPECT_STREQ(doc["resourceType"].GetString(), "Patient");
  EXPECT_STREQ(doc["meta"]["versionId"].GetString(), "1");
  EXPECT_STREQ(doc["identifier"][0]["system"].GetString(), systems::kPersonnummer);
  EXPECT_EQ(store_.Count("Patient"), 1u);
}

TEST_F(Router, CreateIgnoresBodyId) {
  HttpResponse r = Do(Req("POST", "/Patient", R"({"resourceType":"Patient","id":"chosen-by-client","identifier":[{"system":"http://electronichealth.se/identifier/nationelltReservnummer","value":"R1"}]})"));
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(HeaderValue(r, "Location").find("chosen-by-client"), std::string::npos);
}

TEST_F(Router, PreferMinimalAndOperationOutcome) {
  HttpRequest minimal = Req("POST", "/Organization", R"({"resourceType":"Organization","name":"VC"})");
  minimal.headers["prefer"] = "return=minimal";
  HttpResponse m = Do(minimal);
  EXPECT_EQ(m.status, 201);
  EXPECT_TRUE(m.body.empty());
  EXPECT_FALSE(HeaderValue(m, "Location").empty());
  EXPECT_EQ(HeaderValue(m, "ETag"), "W/\"1\"");

  HttpRequest oo = Req("POST", "/Organization", R"({"resourceType":"Organization","name":"VC 2"})");
  oo.headers["prefer"] = "return=OperationOutcome";
  HttpResponse o = Do(oo);
  EXPECT_EQ(o.status, 201);
  rapidjson::Document doc = ParseJson(o.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(doc["issue"][0]["severity"].GetString(), "information");
}

TEST_F(Router, ReadAndVread) {
  const std::string id = CreatePatient();
  ASSERT_FALSE(id.empty());
  HttpResponse read = Do(Req("GET", "/Patient/" + id));
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(HeaderValue(read, "ETag"), "W/\"1\"");
  EXPECT_TRUE(HeaderValue(read, "Location").empty());
  EXPECT_STREQ(ParseJson(read.body)["id"].GetString(), id.c_str());
  HttpResponse vread = Do(Req("GET", "/Patient/" + id + "/_history/1"));
  EXPECT_EQ(vread.status, 200);
  EXPECT_EQ(vread.body, read.body);
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + id + "/_history/2")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/nobody")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Organization/" + id)), 404), "not-found");
}

TEST_F(Router, BadIdsAre400) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/bad id")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + std::string(65, 'a'))), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/a_b")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient/bad id")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/bad id", R"({"resourceType":"Patient","id":"bad id"})")), 400),
            "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/abc")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/-1")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/x/_history/1234567890")), 400), "invalid");
  EXPECT_EQ(store_.transactions, 0);
}

TEST_F(Router, UpdateWithIfMatch) {
  const std::string id = CreatePatient();
  const std::string body = R"({"resourceType":"Patient","id":")" + id + R"(","gender":"male","identifier":[{"system":"http://electronichealth.se/identifier/nationelltReservnummer","value":"R1"}]})";
  HttpRequest put = Req("PUT", "/Patient/" + id, body);
  put.headers["if-match"] = "W/\"1\"";
  HttpResponse r = Do(put);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/2");
  EXPECT_STREQ(ParseJson(r.body)["meta"]["versionId"].GetString(), "2");
  // the same If-Match again is now stale
  EXPECT_EQ(ExpectOutcome(Do(put), 412), "conflict");
  HttpRequest junk = put;
  junk.headers["if-match"] = "junk";
  EXPECT_EQ(ExpectOutcome(Do(junk), 400), "invalid");
}

TEST_F(Router, UpdateIdRules) {
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient","id":"p2"})")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient"})")), 400), "invalid");
  // update as create
  HttpResponse created = Do(Req("PUT", "/Patient/p1", R"({"resourceType":"Patient","id":"p1","identifier":[{"system":"http://electronichealth.se/identifier/nationelltReservnummer","value":"R1"}]})"));
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(HeaderValue(created, "Location"), kBase + "/Patient/p1/_history/1");
}

TEST_F(Router, DeleteThenReadIsGone) {
  const std::string id = CreatePatient();
  HttpResponse del = Do(Req("DELETE", "/Patient/" + id));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(HeaderValue(del, "ETag"), "W/\"2\"");
  EXPECT_STREQ(ParseJson(del.body)["resourceType"].GetString(), "OperationOutcome");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/" + id)), 410), "deleted");
  EXPECT_EQ(ExpectOutcome(Do(Req("DELETE", "/Patient/nobody")), 404), "not-found");
}

TEST_F(Router, DuplicatePersonnummerIs409) {
  const std::string holder = CreatePatient();
  HttpResponse again = Do(Req("POST", "/Patient", kPatient));
  EXPECT_EQ(ExpectOutcome(again, 409), "conflict");
  EXPECT_STREQ(ParseJson(again.body)["issue"][0]["diagnostics"].GetString(),
               IdentifierTakenText(systems::kPersonnummer, "Patient/" + holder).c_str());
  EXPECT_EQ(store_.Count("Patient"), 1u);
}

TEST_F(Router, ConditionalCreateReturnsTheExistingMatch) {
  const std::string id = CreatePatient();
  HttpRequest again = Req("POST", "/Patient", kPatient);
  again.headers["if-none-exist"] = std::string("identifier=") + systems::kPersonnummer + "|" + kPnr;
  HttpResponse r = Do(again);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "Location"), kBase + "/Patient/" + id + "/_history/1");
  EXPECT_EQ(store_.Count("Patient"), 1u);
  ASSERT_FALSE(store_.locked_keys.empty());
  // the lock key does not depend on the alias the client used
  HttpRequest alias = again;
  alias.headers["if-none-exist"] = std::string("identifier=urn:oid:1.2.752.129.2.1.3.1|") + kPnr;
  EXPECT_EQ(Do(alias).status, 200);
  EXPECT_EQ(store_.locked_keys.back(), store_.locked_keys.front());

  HttpRequest empty = again;
  empty.headers["if-none-exist"] = "_count=1";
  EXPECT_EQ(ExpectOutcome(Do(empty), 400), "invalid");
  HttpRequest unknown = again;
  unknown.headers["if-none-exist"] = "nonsense=1";
  ExpectOutcome(Do(unknown), 400);
}

TEST_F(Router, SearchReturnsASearchset) {
  CreatePatient();
  HttpRequest search = Req("GET", "/Patient");
  search.query = {{"gender", "female"}, {"_format", "json"}};
  HttpResponse r = Do(search);
  EXPECT_EQ(r.status, 200);
  rapidjson::Document doc = ParseJson(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "searchset");
  EXPECT_EQ(doc["total"].GetInt64(), 1);
  ASSERT_EQ(doc["entry"].Size(), 1u);
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "match");
  const std::string self = doc["link"][0]["url"].GetString();
  EXPECT_EQ(self.rfind(kBase + "/Patient?", 0), 0u) << self;
  EXPECT_EQ(self.find("_format"), std::string::npos) << self;
}

TEST_F(Router, UnknownSearchParameterStrictAndLenient) {
  HttpRequest lenient = Req("GET", "/Organization");
  lenient.query = {{"shoe-size", "42"}};
  HttpResponse l = Do(lenient);
  EXPECT_EQ(l.status, 200);
  rapidjson::Document doc = ParseJson(l.body);
  ASSERT_EQ(doc["entry"].Size(), 1u);
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "outcome");
  EXPECT_STREQ(doc["entry"][0]["resource"]["resourceType"].GetString(), "OperationOutcome");

  HttpRequest strict = lenient;
  strict.headers["prefer"] = "handling=strict";
  ExpectOutcome(Do(strict), 400);
}

TEST_F(Router, PostSearch) {
  CreatePatient();
  HttpRequest form = Req("POST", "/Patient/_search", "gender=female");
  form.headers["content-type"] = "application/x-www-form-urlencoded";
  HttpResponse r = Do(form);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ParseJson(r.body)["total"].GetInt64(), 1);
  HttpRequest json = Req("POST", "/Patient/_search", "{}");
  EXPECT_EQ(ExpectOutcome(Do(json), 415), "not-supported");
}

// The refusals the router itself writes read Swedish first, English after (docs/api.md, "Errors").
TEST_F(Router, ItsOwnRefusalsAreSwedishFirst) {
  const std::string id = CreatePatient();
  HttpRequest history = Req("GET", "/Patient/" + id + "/_history");
  history.query = {{"_foo", "1"}};
  history.headers["prefer"] = "handling=strict";
  HttpRequest json_search = Req("POST", "/Patient/_search", "{}");
  HttpRequest list_status = Req("GET", "/PractitionerRole/r-1/$list-status");
  list_status.query = {{"date", "igår"}};
  HttpRequest other_type = Req("PUT", "/Patient/" + id, R"({"resourceType":"Practitioner","id":")" + id + "\"}");
  HttpRequest other_id = Req("PUT", "/Patient/" + id, R"({"resourceType":"Patient","id":"another"})");
  HttpRequest no_id = Req("PUT", "/Patient/" + id, R"({"resourceType":"Patient"})");
  HttpRequest fhir_patch = Req("PATCH", "/Patient/" + id, R"([{"op":"remove","path":"/gender"}])");
  HttpRequest stale_patch = Req("PATCH", "/Patient/" + id, R"([{"op":"remove","path":"/gender"}])");
  stale_patch.headers["content-type"] = "application/json-patch+json";
  stale_patch.headers["if-match"] = "W/\"99\"";
  const std::vector<std::pair<HttpRequest, std::string>> cases = {
      {history, "okänd _history-parameter _foo (unknown _history parameter _foo)"},
      {json_search,
       "POST _search tar application/x-www-form-urlencoded (POST _search takes application/x-www-form-urlencoded)"},
      {list_status, "date måste vara ett datum YYYY-MM-DD (date must be YYYY-MM-DD)"},
      {other_type, ""},
      {other_id, "id i kroppen stämmer inte med id i adressen (id in the body does not match the id in the URL)"},
      {no_id, ""},
      {fhir_patch, "PATCH tar application/json-patch+json (PATCH takes application/json-patch+json)"},
      // The same words as the store's own 412 (registry/resource_store.h).
      {stale_patch,
       "If-Match anger version 99 men aktuell version är 1 (If-Match names version 99 but the current "
       "version is 1)"},
  };
  for (const auto& [request, text] : cases) {
    SCOPED_TRACE(request.method + " " + request.path);
    HttpResponse r = Do(request);
    EXPECT_GE(r.status, 400) << r.body;
    rapidjson::Document doc = ParseJson(r.body);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("issue")) << r.body;
    const std::string diagnostics = doc["issue"][0]["diagnostics"].GetString();
    EXPECT_TRUE(nara::testing::IsSwedishFirst(diagnostics));
    if (!text.empty()) {
      EXPECT_EQ(diagnostics, text);
    }
  }
}

}  // namespace
}  // namespace nara::fhir
