// HTTP basics a FHIR client expects of the dispatcher (issue 14): OPTIONS and unknown methods
// answered from the route table, HEAD as a GET without the body, If-None-Match on read and vread,
// operations a type does not have, the AuditEvent log read one event at a time, $fixed-contacts with
// a personnummer that cannot be one, and patchFormat in the CapabilityStatement.
#include "tests/fhir/http/router_fixture.h"

#include "fhir/http/operation_parameters.h"

#include <string>

namespace nara::fhir {
namespace {

TEST_F(Router, OptionsAnswersAllowFromTheRouteTable) {
  HttpResponse r = Do(Req("OPTIONS", "/Patient"));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(HeaderValue(r, "Allow"), "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  EXPECT_TRUE(r.body.empty());
  HttpResponse instance = Do(Req("OPTIONS", "/Patient/p1"));
  EXPECT_EQ(instance.status, 204);
  EXPECT_EQ(HeaderValue(instance, "Allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(HeaderValue(Do(Req("OPTIONS", "/metadata")), "Allow"), "GET, HEAD, OPTIONS");
  // An operation's GET may act (an export kick-off starts a job): no HEAD for it.
  EXPECT_EQ(HeaderValue(Do(Req("OPTIONS", "/$export")), "Allow"), "GET, POST, OPTIONS");
  EXPECT_EQ(HeaderValue(Do(Req("OPTIONS", "/$export-status/j1")), "Allow"), "GET, HEAD, DELETE, OPTIONS");
  EXPECT_TRUE(store_.audit.empty());
}

TEST_F(Router, UnknownMethodIs405WithAllow) {
  HttpResponse r = Do(Req("TRACE", "/Patient/p1"));
  EXPECT_EQ(ExpectOutcome(r, 405), "not-supported");
  EXPECT_EQ(HeaderValue(r, "Allow"), "GET, HEAD, PUT, PATCH, DELETE, OPTIONS");
  HttpResponse group = Do(Req("POST", "/Group", "{}"));
  EXPECT_EQ(ExpectOutcome(group, 405), "not-supported");
  EXPECT_EQ(HeaderValue(group, "Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(Router, HeadIsTheGetWithItsHeadersAndAuditedLikeIt) {
  const std::string id = CreatePatient();
  const size_t audited = store_.audit.size();
  HttpResponse get = Do(Req("GET", "/Patient/" + id));
  HttpResponse head = Do(Req("HEAD", "/Patient/" + id));
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers, get.headers);
  // The adapter leaves the body out; its length is the GET's (Content-Length).
  EXPECT_EQ(head.body, get.body);
  ASSERT_EQ(store_.audit.size(), audited + 2);
  EXPECT_EQ(store_.audit.back().action, "read");
  EXPECT_EQ(store_.audit.back().resource_ids, std::vector<std::string>{id});
}

TEST_F(Router, HeadOfAnOperationIsRefused) {
  HttpResponse r = Do(Req("HEAD", "/$export"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderValue(r, "Allow"), "GET, POST, OPTIONS");
}

TEST(IfNoneMatch, WeakComparisonOverTheList) {
  EXPECT_TRUE(IfNoneMatchHits("W/\"3\"", 3));
  EXPECT_TRUE(IfNoneMatchHits("\"3\"", 3));
  EXPECT_TRUE(IfNoneMatchHits("W/\"1\", W/\"3\"", 3));
  EXPECT_TRUE(IfNoneMatchHits("*", 7));
  EXPECT_FALSE(IfNoneMatchHits("W/\"2\"", 3));
  EXPECT_FALSE(IfNoneMatchHits("W/\"33\"", 3));
  EXPECT_FALSE(IfNoneMatchHits("3", 3));  // an ETag is quoted
}

TEST_F(Router, IfNoneMatchOfTheCurrentVersionIs304) {
  const std::string id = CreatePatient();
  HttpRequest read = Req("GET", "/Patient/" + id);
  read.headers["if-none-match"] = "W/\"1\"";
  HttpResponse r = Do(read);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"1\"");
  EXPECT_FALSE(HeaderValue(r, "Last-Modified").empty());
  EXPECT_EQ(store_.audit.back().http_status, 304);
  read.headers["if-none-match"] = "W/\"2\"";
  EXPECT_EQ(Do(read).status, 200);

  HttpRequest vread = Req("GET", "/Patient/" + id + "/_history/1");
  vread.headers["if-none-match"] = "\"1\"";
  EXPECT_EQ(Do(vread).status, 304);
}

// If-Modified-Since (RFC 9110 13.1.3), which FHIR R4 allows on a read (3.1.0.1.6 "conditional read"):
// an HTTP-date in any of its three forms; a date that cannot be read, or lies ahead of the server's
// clock, is ignored (the full answer), never an error.
TEST(IfModifiedSince, ComparesWholeSecondsAndIgnoresWhatItCannotUse) {
  const std::string modified = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_TRUE(NotModifiedSince("Sun, 06 Nov 1994 08:49:37 GMT", modified));
  EXPECT_TRUE(NotModifiedSince("Mon, 07 Nov 1994 00:00:00 GMT", modified));
  EXPECT_TRUE(NotModifiedSince("Sunday, 06-Nov-94 08:49:37 GMT", modified));
  EXPECT_TRUE(NotModifiedSince("Sun Nov  6 08:49:37 1994", modified));
  EXPECT_FALSE(NotModifiedSince("Sun, 06 Nov 1994 08:49:36 GMT", modified));
  EXPECT_FALSE(NotModifiedSince("", modified));
  EXPECT_FALSE(NotModifiedSince("1994-11-07T00:00:00Z", modified));  // not an HTTP-date
  EXPECT_FALSE(NotModifiedSince("yesterday", modified));
  EXPECT_FALSE(NotModifiedSince("Fri, 01 Jan 2100 00:00:00 GMT", modified));  // ahead of the clock
}

TEST_F(Router, IfModifiedSinceTheLastModifiedIs304UnlessIfNoneMatchSaysOtherwise) {
  const std::string id = CreatePatient();
  HttpRequest read = Req("GET", "/Patient/" + id);
  const std::string last_modified = HeaderValue(Do(read), "Last-Modified");
  ASSERT_FALSE(last_modified.empty());
  read.headers["if-modified-since"] = last_modified;
  HttpResponse r = Do(read);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HeaderValue(r, "ETag"), "W/\"1\"");
  EXPECT_EQ(HeaderValue(r, "Last-Modified"), last_modified);
  EXPECT_EQ(store_.audit.back().http_status, 304);
  read.headers["if-modified-since"] = "Sat, 01 Jan 2000 00:00:00 GMT";
  EXPECT_EQ(Do(read).status, 200);
  // If-None-Match decides when both are sent (RFC 9110 13.2.2).
  read.headers["if-modified-since"] = last_modified;
  read.headers["if-none-match"] = "W/\"7\"";
  EXPECT_EQ(Do(read).status, 200);
}

TEST_F(Router, AnOperationTheTypeLacksIs404NotABadId) {
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Organization/$fixed-contacts")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Patient/p1/$list-status")), 404), "not-found");
  EXPECT_EQ(ExpectOutcome(Do(Req("GET", "/Measure/$foo")), 404), "not-found");
}

// An operation asked for at the wrong level says where it runs: the integrator's next request is right.
TEST_F(Router, AnOperationAtTheWrongLevelSaysWhereItRuns) {
  const std::pair<const char*, const char*> cases[] = {
      {"/Organization/$fixed-contacts",
       "operationen $fixed-contacts finns inte för Organization (Organization has no operation $fixed-contacts)"},
      {"/PractitionerRole/$list-status",
       "operationen $list-status körs på en enskild resurs: PractitionerRole/[id]/$list-status (the operation runs "
       "on one resource: PractitionerRole/[id]/$list-status)"},
      {"/Patient/p1/$fixed-contacts",
       "operationen $fixed-contacts körs på typen: Patient/$fixed-contacts (the operation runs on the type: "
       "Patient/$fixed-contacts)"},
  };
  for (const auto& [path, text] : cases) {
    HttpResponse r = Do(Req("GET", path));
    EXPECT_EQ(ExpectOutcome(r, 404), "not-found") << path;
    EXPECT_EQ(std::string(ParseJson(r.body)["issue"][0]["diagnostics"].GetString()), text);
  }
}

// FHIR R4 defines $evaluate-measure on the type too, the Measure named by the `measure` parameter (its id,
// Measure/[id] or its canonical url). Routed and checked before the measure engine (none in this fixture).
TEST_F(Router, EvaluateMeasureOnTheTypeNamesTheMeasureInAParameter) {
  const auto evaluate = [&](const std::string& path, QueryParams query) {
    HttpRequest r = Req("GET", path);
    r.query = std::move(query);
    r.query.emplace_back("periodEnd", "2025-01-01");
    return Do(r);
  };
  HttpResponse missing = evaluate("/Measure/$evaluate-measure", {});
  EXPECT_EQ(ExpectOutcome(missing, 400), "invalid");
  EXPECT_EQ(std::string(ParseJson(missing.body)["issue"][0]["diagnostics"].GetString()),
            "Measure/$evaluate-measure behöver measure: indikatorns id eller url (Measure/$evaluate-measure needs "
            "measure: the Measure's id or url)");
  EXPECT_EQ(ExpectOutcome(evaluate("/Measure/$evaluate-measure", {{"measure", "no-such-measure"}}), 404), "not-found");
  // Known, in each of its three names: past the parameter, to the (absent) engine.
  for (const char* name : {"fast-lakarkontakt-andel", "Measure/fast-lakarkontakt-andel",
                           "https://fhir.nara-registry.org/Measure/fast-lakarkontakt-andel"}) {
    EXPECT_EQ(ExpectOutcome(evaluate("/Measure/$evaluate-measure", {{"measure", name}}), 501), "not-supported") << name;
  }
  // On an instance the parameter is not needed; naming another measure there is a contradiction.
  HttpResponse other =
      evaluate("/Measure/fast-lakarkontakt-andel/$evaluate-measure", {{"measure", "fast-vardkontakt-andel"}});
  EXPECT_EQ(ExpectOutcome(other, 400), "invalid");
  EXPECT_EQ(std::string(ParseJson(other.body)["issue"][0]["diagnostics"].GetString()),
            "measure namnger en annan indikator än Measure/fast-lakarkontakt-andel (measure names another Measure "
            "than Measure/fast-lakarkontakt-andel)");
  EXPECT_EQ(ExpectOutcome(evaluate("/Measure/fast-lakarkontakt-andel/$evaluate-measure",
                                   {{"measure", "fast-lakarkontakt-andel"}}),
                          501),
            "not-supported");
}

TEST_F(Router, ASingleAuditEventIsNotReadable) {
  HttpResponse r = Do(Req("GET", "/AuditEvent/17"));
  EXPECT_EQ(ExpectOutcome(r, 404), "not-supported");
  EXPECT_EQ(r.body.find("unknown resource type"), std::string::npos) << r.body;
}

// A missing or unreadable identifier is a malformed request, 400 as a wrong check digit is; not the 422
// a stored resource's missing element gets.
TEST_F(Router, FixedContactsWithoutAnIdentifierIs400) {
  for (const char* identifier :
       {"", "197106254787", "|197106254787", "http://electronichealth.se/identifier/personnummer|"}) {
    HttpRequest r = Req("GET", "/Patient/$fixed-contacts");
    if (*identifier) r.query.emplace_back("identifier", identifier);
    HttpResponse response = Do(r);
    EXPECT_EQ(ExpectOutcome(response, 400), "required") << identifier;
    EXPECT_EQ(std::string(ParseJson(response.body)["issue"][0]["diagnostics"].GetString()),
              "$fixed-contacts behöver identifier=SYSTEM|VALUE ($fixed-contacts needs identifier=SYSTEM|VALUE)");
  }
}

TEST_F(Router, FixedContactsWithAWrongCheckDigitIs400) {
  HttpRequest r = Req("GET", "/Patient/$fixed-contacts");
  r.query.emplace_back("identifier", "http://electronichealth.se/identifier/personnummer|197106254788");
  HttpResponse response = Do(r);
  EXPECT_EQ(ExpectOutcome(response, 400), "value");
  // Swedish first, English after; the validator's own sentence, not a parenthesis inside a parenthesis.
  EXPECT_EQ(std::string(ParseJson(response.body)["issue"][0]["diagnostics"].GetString()),
            "identifieraren är inget giltigt personnummer: personnummer har fel kontrollsiffra (personnummer has an "
            "invalid check digit)");
  EXPECT_EQ(response.body.find("197106254788"), std::string::npos) << "the value is patient data";
}

TEST_F(Router, CapabilityStatementNamesJsonPatch) {
  rapidjson::Document doc = ParseJson(Do(Req("GET", "/metadata")).body);
  ASSERT_TRUE(doc.HasMember("patchFormat"));
  ASSERT_EQ(doc["patchFormat"].Size(), 1u);
  EXPECT_STREQ(doc["patchFormat"][0].GetString(), "application/json-patch+json");
}

TEST_F(Router, AnUnchangedPutMakesNoNewVersion) {
  const std::string id = CreatePatient();
  std::string body = kPatient;
  body.insert(body.find(',') + 1, "\"id\":\"" + id + "\",");
  HttpResponse same = Do(Req("PUT", "/Patient/" + id, body));
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(HeaderValue(same, "ETag"), "W/\"1\"");
  EXPECT_EQ(same.body, Do(Req("GET", "/Patient/" + id)).body);
  // The request is still in the PDL log.
  EXPECT_EQ(store_.audit.back().action, "read");
  EXPECT_EQ(store_.audit[store_.audit.size() - 2].action, "update");

  HttpRequest stale = Req("PUT", "/Patient/" + id, body);
  stale.headers["if-match"] = "W/\"5\"";
  EXPECT_EQ(ExpectOutcome(Do(stale), 412), "conflict");

  std::string changed = body;
  changed.replace(changed.find("Åberg"), 6, "Berg");
  HttpResponse updated = Do(Req("PUT", "/Patient/" + id, changed));
  EXPECT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(HeaderValue(updated, "ETag"), "W/\"2\"");
}

TEST(OperationParameters, EachValueTypeAsTheQueryWouldCarryIt) {
  auto params = ParametersAsQuery(R"({"resourceType":"Parameters","parameter":[
    {"name":"identifier","valueIdentifier":{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254787"}},
    {"name":"date","valueDate":"2024-05-01"},
    {"name":"subject","valueReference":{"reference":"Patient/p1"}},
    {"name":"_type","valueString":"Patient,EpisodeOfCare"},
    {"name":"_count","valueInteger":5},
    {"name":"flag","valueBoolean":false}]})");
  ASSERT_TRUE(params.ok()) << params.error().text;
  const QueryParams expected = {{"identifier", "http://electronichealth.se/identifier/personnummer|197106254787"},
                                {"date", "2024-05-01"},
                                {"subject", "Patient/p1"},
                                {"_type", "Patient,EpisodeOfCare"},
                                {"_count", "5"},
                                {"flag", "false"}};
  EXPECT_EQ(*params, expected);
  auto empty = ParametersAsQuery("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(OperationParameters, WhatNoOperationTakesIsRefused) {
  EXPECT_FALSE(ParametersAsQuery(R"({"resourceType":"Patient"})").ok());
  EXPECT_FALSE(ParametersAsQuery(R"({"resourceType":"Parameters","parameter":[{"name":"x"}]})").ok());
  EXPECT_FALSE(ParametersAsQuery(R"({"resourceType":"Parameters","parameter":[{"name":"x","part":[]}]})").ok());
  EXPECT_FALSE(ParametersAsQuery(R"({"resourceType":"Parameters","parameter":[{"name":"x","valueCoding":{}}]})").ok());
  EXPECT_FALSE(ParametersAsQuery(R"({"resourceType":"Parameters","parameter":[{"valueString":"y"}]})").ok());
  EXPECT_FALSE(ParametersAsQuery("{").ok());
}

TEST_F(Router, OperationsTakePostWithParametersMeaningTheGet) {
  HttpResponse r = Do(Req("POST", "/Patient/$fixed-contacts", R"({"resourceType":"Parameters","parameter":[
    {"name":"identifier","valueIdentifier":{"system":"http://electronichealth.se/identifier/personnummer","value":"197106254788"}}]})"));
  EXPECT_EQ(ExpectOutcome(r, 400), "value");
  EXPECT_NE(r.body.find("inget giltigt personnummer"), std::string::npos) << r.body;
  EXPECT_EQ(store_.audit.back().action, "operation");
  // No parameters at all: the GET without a query.
  HttpResponse no_query = Do(Req("GET", "/Patient/$fixed-contacts"));
  HttpResponse no_parameters = Do(Req("POST", "/Patient/$fixed-contacts"));
  EXPECT_EQ(no_parameters.status, no_query.status);
  EXPECT_EQ(no_parameters.body, no_query.body);
  EXPECT_EQ(ExpectOutcome(Do(Req("POST", "/Patient/$fixed-contacts", R"({"resourceType":"Patient"})")), 400),
            "invalid");
  HttpRequest xml = Req("POST", "/Patient/$fixed-contacts", "<Parameters/>");
  xml.headers["content-type"] = "application/fhir+xml";
  EXPECT_EQ(ExpectOutcome(Do(xml), 415), "not-supported");
  EXPECT_EQ(HeaderValue(Do(Req("OPTIONS", "/Patient/$fixed-contacts")), "Allow"), "GET, POST, OPTIONS");
}

TEST_F(Router, ElementsOnReadAndVreadAsOnASearch) {
  const std::string id = CreatePatient();
  for (const std::string& path : {"/Patient/" + id, "/Patient/" + id + "/_history/1"}) {
    HttpRequest r = Req("GET", path);
    r.query.emplace_back("_elements", "birthDate");
    HttpResponse response = Do(r);
    ASSERT_EQ(response.status, 200) << response.body;
    rapidjson::Document doc = ParseJson(response.body);
    EXPECT_TRUE(doc.HasMember("birthDate")) << path;
    EXPECT_FALSE(doc.HasMember("name")) << path;
    EXPECT_NE(response.body.find("SUBSETTED"), std::string::npos) << path;
  }
  HttpRequest full = Req("GET", "/Patient/" + id);
  full.query.emplace_back("_summary", "false");
  EXPECT_EQ(Do(full).body, Do(Req("GET", "/Patient/" + id)).body);
  HttpRequest count = Req("GET", "/Patient/" + id);
  count.query.emplace_back("_summary", "count");
  EXPECT_EQ(ExpectOutcome(Do(count), 400), "invalid");
  HttpRequest bad = Req("GET", "/Patient/" + id);
  bad.query.emplace_back("_elements", "name.given");
  EXPECT_EQ(ExpectOutcome(Do(bad), 400), "invalid");
}

}  // namespace
}  // namespace nara::fhir
