// PATCH and the conditional writes (fhir/http/router_writes.cpp).
#include "tests/fhir/http/router_fixture.h"

#include <string>

#include "registry/identifier_system.h"

namespace nara::fhir {
namespace {

HttpRequest PatchReq(const std::string& path, const std::string& patch) {
  HttpRequest r = Req("PATCH", path, patch);
  r.headers["content-type"] = "application/json-patch+json";
  return r;
}

std::string Family(const std::string& patient_json) {
  rapidjson::Document doc = ParseJson(patient_json);
  return doc["name"][0]["family"].GetString();
}

TEST_F(Router, PatchChangesOneElementAsANewVersion) {
  const std::string id = CreatePatient();
  HttpResponse r = Do(PatchReq("/Patient/" + id, R"([{"op":"test","path":"/name/0/family","value":"Åberg"},
      {"op":"replace","path":"/name/0/family","value":"Berg"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(Family(r.body), "Berg");
  auto stored = store_.Read("Patient", id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version, 2);
  EXPECT_EQ(Family(stored->json), "Berg");
  // The identifier is untouched and still canonical.
  EXPECT_NE(stored->json.find("http://electronichealth.se/identifier/personnummer"), std::string::npos);
}

TEST_F(Router, PatchIsCheckedLikeAPut) {
  const std::string id = CreatePatient();
  // A failed test op changes nothing: 422 processing.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"([{"op":"test","path":"/gender","value":"male"},
      {"op":"replace","path":"/gender","value":"other"}])")), 422), "processing");
  // The patched resource breaks a rule (a personnummer with a wrong check digit): 422 value.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id,
                                      R"([{"op":"replace","path":"/identifier/0/value","value":"197106254788"}])")),
                          422), "value");
  // Changing the id is not an update of this resource.
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"([{"op":"replace","path":"/id","value":"other"}])")), 400),
            "invalid");
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/" + id, R"({"op":"add"})")), 400), "invalid");
  EXPECT_EQ(ExpectOutcome(Do(PatchReq("/Patient/nobody", R"([])")), 404), "not-found");
  HttpRequest stale = PatchReq("/Patient/" + id, R"([{"op":"remove","path":"/gender"}])");
  stale.headers["if-match"] = "W/\"7\"";
  EXPECT_EQ(ExpectOutcome(Do(stale), 412), "conflict");
  auto stored = store_.Read("Patient", id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->version, 1) << "no refused patch may write a version";
}

TEST_F(Router, ConditionalUpdateCreatesThenUpdatesTheOneMatch) {
  HttpRequest put = Req("PUT", "/Patient", kPatient);
  put.query = {{"identifier", std::string(systems::kPersonnummer) + "|" + kPnr}};
  HttpResponse first = Do(put);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = ParseJson(first.body)["id"].GetString();
  HttpResponse second = Do(put);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(std::string(ParseJson(second.body)["id"].GetString()), id);
  EXPECT_EQ(HeaderValue(second, "ETag"), "W/\"2\"");
  EXPECT_EQ(store_.Count("Patient"), 1u);
  EXPECT_FALSE(store_.locked_keys.empty()) << "a conditional write must serialise on its criteria";
  // A body naming another id than the match is refused.
  HttpRequest wrong = put;
  wrong.body = R"({"resourceType":"Patient","id":"someone-else",
    "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"197106254787"}]})";
  EXPECT_EQ(ExpectOutcome(Do(wrong), 400), "invalid");
}

TEST_F(Router, ConditionalDeleteDeletesTheMatchOrNothing) {
  const std::string id = CreatePatient();
  HttpRequest del = Req("DELETE", "/Patient");
  del.query = {{"identifier", std::string(systems::kPersonnummer) + "|" + kPnr}};
  HttpResponse r = Do(del);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"2\"");
  EXPECT_EQ(Do(Req("GET", "/Patient/" + id)).status, 410);
  HttpResponse again = Do(del);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("nothing matched"), std::string::npos);
}

}  // namespace
}  // namespace nara::fhir
