#include "fhir/http/http_util.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

// Prefer

TEST(HttpUtilPrefer, Defaults) {
  Preferences p = ParsePrefer("");
  EXPECT_EQ(p.return_kind, "representation");
  EXPECT_FALSE(p.strict);
}

TEST(HttpUtilPrefer, ReturnKinds) {
  EXPECT_EQ(ParsePrefer("return=minimal").return_kind, "minimal");
  EXPECT_EQ(ParsePrefer("return=representation").return_kind, "representation");
  EXPECT_EQ(ParsePrefer("return=OperationOutcome").return_kind, "OperationOutcome");
  EXPECT_EQ(ParsePrefer("return=nonsense").return_kind, "representation");
  EXPECT_FALSE(ParsePrefer("return=minimal").strict);
}

TEST(HttpUtilPrefer, Handling) {
  EXPECT_TRUE(ParsePrefer("handling=strict").strict);
  EXPECT_FALSE(ParsePrefer("handling=lenient").strict);
  EXPECT_FALSE(ParsePrefer("handling=other").strict);
  EXPECT_EQ(ParsePrefer("handling=strict").return_kind, "representation");
}

TEST(HttpUtilPrefer, Combinations) {
  for (const char* header : {"return=minimal, handling=strict", "return=minimal;handling=strict",
                             "handling=strict; return=minimal", "  return=minimal ,handling=strict  ",
                             "respond-async, return=minimal, handling=strict", "wait=10;return=minimal,handling=strict"}) {
    Preferences p = ParsePrefer(header);
    EXPECT_EQ(p.return_kind, "minimal") << header;
    EXPECT_TRUE(p.strict) << header;
  }
  Preferences last = ParsePrefer("handling=strict, handling=lenient, return=OperationOutcome");
  EXPECT_FALSE(last.strict);
  EXPECT_EQ(last.return_kind, "OperationOutcome");
}

TEST(HttpUtilPrefer, WhitespaceAroundEqualsAndQuotedValues) {
  // RFC 7240 section 2: preference = token [ BWS "=" BWS word ], word = token / quoted-string.
  const Preferences spaced = ParsePrefer("return = minimal; handling = strict");
  const Preferences quoted = ParsePrefer("return=\"minimal\", handling=\"strict\"");
  if (spaced.return_kind != "minimal" || !spaced.strict || quoted.return_kind != "minimal" || !quoted.strict) {
    FAIL() << "regression: fhir/http/http_util.cpp ParsePrefer ignores RFC 7240 forms \"return = minimal\" (BWS) "
                    "and return=\"minimal\" (quoted-string)";
  }
}

// content negotiation

HttpRequest WithAccept(const std::string& accept) {
  HttpRequest r;
  r.method = "GET";
  if (!accept.empty()) r.headers["accept"] = accept;
  return r;
}

HttpRequest WithFormat(const std::string& format) {
  HttpRequest r;
  r.method = "GET";
  r.query.emplace_back("_format", format);
  return r;
}

void ExpectNotSupported(const std::optional<Error>& error, const std::string& what) {
  ASSERT_TRUE(error.has_value()) << what;
  EXPECT_EQ(error->kind, ErrorKind::not_supported) << what;
  EXPECT_FALSE(error->text.empty()) << what;
}

TEST(HttpUtilFormat, FormatParameter) {
  for (const char* ok : {"json", "application/fhir+json", "application/json", "application/fhir+json; fhirVersion=4.0",
                         "JSON"}) {
    EXPECT_FALSE(CheckResponseFormat(WithFormat(ok)).has_value()) << ok;
  }
  for (const char* bad : {"xml", "application/fhir+xml", "text/xml", "html", "ttl"}) {
    ExpectNotSupported(CheckResponseFormat(WithFormat(bad)), bad);
  }
}

TEST(HttpUtilFormat, FormatOverridesAccept) {
  HttpRequest r = WithFormat("json");
  r.headers["accept"] = "application/fhir+xml";
  EXPECT_FALSE(CheckResponseFormat(r).has_value());
  HttpRequest x = WithFormat("xml");
  x.headers["accept"] = "application/fhir+json";
  ExpectNotSupported(CheckResponseFormat(x), "xml over json");
}

TEST(HttpUtilFormat, AcceptHeader) {
  EXPECT_FALSE(CheckResponseFormat(WithAccept("")).has_value());
  for (const char* ok : {"application/fhir+json", "application/fhir+json;q=0.9, */*", "application/json",
                         "*/*", "application/*", "application/fhir+xml;q=0.9, application/fhir+json",
                         "APPLICATION/FHIR+JSON; charset=utf-8",
                         "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}) {
    EXPECT_FALSE(CheckResponseFormat(WithAccept(ok)).has_value()) << ok;
  }
  for (const char* bad : {"application/fhir+xml", "application/xml", "text/xml", "application/fhir+xml;q=1.0",
                          "text/html"}) {
    ExpectNotSupported(CheckResponseFormat(WithAccept(bad)), bad);
  }
  auto error = CheckResponseFormat(WithAccept("application/fhir+xml"));
  ASSERT_TRUE(error);
  EXPECT_NE(error->text.find("XML"), std::string::npos) << error->text;
}

// The FHIR version media-type parameter (FHIR R4 3.1.0.1.8): this server speaks R4 only, so a range
// that asks for another version is not acceptable (406 when nothing else in Accept is), a body that
// says it is another version is refused (415), and 4.0 or 4.0.1 is the same as no parameter.
TEST(HttpUtilFormat, AnotherFhirVersionIsNotAcceptableNorAccepted) {
  for (const char* ok :
       {"application/fhir+json; fhirVersion=4.0", "application/fhir+json;fhirVersion=4.0.1",
        "application/fhir+json; FHIRVERSION=\"4.0\"", "application/fhir+json; fhirVersion=5.0, */*;q=0.1",
        "application/fhir+json; fhirVersion=3.0, application/fhir+json; fhirVersion=4.0"}) {
    EXPECT_FALSE(CheckResponseFormat(WithAccept(ok)).has_value()) << ok;
  }
  for (const char* bad : {"application/fhir+json; fhirVersion=5.0", "application/json;fhirVersion=3.0",
                          "application/fhir+json; fhirVersion=4.3; q=1", "application/fhir+json; fhirVersion="}) {
    ExpectNotSupported(CheckResponseFormat(WithAccept(bad)), bad);
  }
  auto error = CheckResponseFormat(WithAccept("application/fhir+json; fhirVersion=5.0"));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->text,
            "FHIR-version 5.0 stöds inte: endast 4.0 (R4) (FHIR version 5.0 is not supported: only 4.0, R4)");
  ExpectNotSupported(CheckResponseFormat(WithFormat("application/fhir+json; fhirVersion=5.0")), "_format R5");
  EXPECT_FALSE(CheckResponseFormat(WithFormat("application/fhir+json; fhirVersion=4.0")).has_value());

  HttpRequest r5_body;
  r5_body.method = "POST";
  r5_body.headers["content-type"] = "application/fhir+json; fhirVersion=5.0";
  auto refused = CheckRequestContentType(r5_body);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->kind, ErrorKind::not_supported);
  EXPECT_EQ(refused->text,
            "FHIR-version 5.0 stöds inte: endast 4.0 (R4) (FHIR version 5.0 is not supported: only 4.0, R4)");
}

// Bulk export files are NDJSON (fhir/operations/bulk_export.h): a client may ask for exactly that there, and
// only there.
TEST(HttpUtilFormat, NdjsonIsAcceptableForExportFilesOnly) {
  HttpRequest file = WithAccept("application/fhir+ndjson");
  file.path = "/$export-file/job/Patient.ndjson";
  EXPECT_FALSE(CheckResponseFormat(file).has_value());
  file.headers["accept"] = "Application/NDJSON";
  EXPECT_FALSE(CheckResponseFormat(file).has_value());
  file.headers["accept"] = "application/fhir+xml";
  ExpectNotSupported(CheckResponseFormat(file), "xml for a file");
  HttpRequest read = WithAccept("application/fhir+ndjson");
  read.path = "/Patient/1";
  ExpectNotSupported(CheckResponseFormat(read), "ndjson for a read");
}

HttpRequest WithContentType(const std::string& type) {
  HttpRequest r;
  r.method = "POST";
  if (!type.empty()) r.headers["content-type"] = type;
  return r;
}

TEST(HttpUtilFormat, RequestContentType) {
  for (const char* ok : {"application/fhir+json", "application/fhir+json; charset=utf-8",
                         "application/fhir+json;charset=UTF-8;fhirVersion=4.0", "application/json",
                         "Application/JSON"}) {
    EXPECT_FALSE(CheckRequestContentType(WithContentType(ok)).has_value()) << ok;
  }
  for (const char* bad : {"application/fhir+xml", "application/xml", "text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data"}) {
    ExpectNotSupported(CheckRequestContentType(WithContentType(bad)), bad);
  }
  ExpectNotSupported(CheckRequestContentType(WithContentType("")), "missing");
}

// Swedish first, English after in parentheses (docs/api.md, "Errors").
TEST(HttpUtilFormat, RequestContentTypeTextsAreSwedishFirst) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"",
       "Content-Type måste vara application/fhir+json, ingen angavs (Content-Type must be application/fhir+json "
       "(none was given))"},
      {"application/fhir+xml",
       "Content-Type måste vara application/fhir+json, XML stöds inte (Content-Type must be "
       "application/fhir+json (XML is not supported))"},
      {"text/plain", "Content-Type måste vara application/fhir+json (Content-Type must be application/fhir+json)"},
  };
  for (const auto& [type, text] : cases) {
    const auto error = CheckRequestContentType(WithContentType(type));
    ASSERT_TRUE(error.has_value()) << type;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(error->text));
    EXPECT_EQ(error->text, text);
  }
  auto bad = ParseIfMatch("W/\"x\"");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().text, "If-Match måste vara en ETag som W/\"3\" (If-Match must be an ETag like W/\"3\")");
}

// ETag / If-Match

TEST(HttpUtilEtag, ParseIfMatch) {
  auto weak = ParseIfMatch("W/\"3\"");
  ASSERT_TRUE(weak.ok());
  EXPECT_EQ(*weak.value(), 3);
  auto strong = ParseIfMatch("\"3\"");
  ASSERT_TRUE(strong.ok());
  EXPECT_EQ(*strong.value(), 3);
  auto spaced = ParseIfMatch("  W/\"12\"  ");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(*spaced.value(), 12);
  auto empty = ParseIfMatch("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty.value().has_value());
  auto blank = ParseIfMatch("   ");
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank.value().has_value());
}

TEST(HttpUtilEtag, MalformedIfMatchIsInvalid) {
  for (const char* bad : {"junk", "W/\"abc\"", "W/\"\"", "\"\"", "W/\"-1\"", "W/\"1.5\"", "W/\"99999999999\"",
                          "W/\"3\", W/\"4\"", "w/\"3\""}) {
    auto parsed = ParseIfMatch(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().kind, ErrorKind::invalid) << bad;
    EXPECT_EQ(HttpStatusFor(parsed.error()), 400) << bad;
  }
}

TEST(HttpUtilEtag, WeakEtag) {
  EXPECT_EQ(WeakEtag(1), "W/\"1\"");
  EXPECT_EQ(WeakEtag(42), "W/\"42\"");
  auto back = ParseIfMatch(WeakEtag(17));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back.value(), 17);
}

// dates

TEST(HttpUtilDate, Rfc3339ToHttpDate) {
  EXPECT_EQ(HttpDate("2026-11-23T10:00:00.123Z"), "Mon, 23 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(HttpDate("2026-11-23T10:00:00Z"), "Mon, 23 Nov 2026 10:00:00 GMT");
  EXPECT_EQ(HttpDate("2024-02-29T23:59:59.999Z"), "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(HttpDate("2000-01-01T00:00:00.000Z"), "Sat, 01 Jan 2000 00:00:00 GMT");
  EXPECT_EQ(HttpDate("1999-12-31T23:59:59.000Z"), "Fri, 31 Dec 1999 23:59:59 GMT");
}

TEST(HttpUtilDate, GarbageGivesEmpty) {
  EXPECT_EQ(HttpDate(""), "");
  EXPECT_EQ(HttpDate("yesterday"), "");
  EXPECT_EQ(HttpDate("2026-11-23"), "");
}

// query strings

TEST(HttpUtilQuery, ParseDecodes) {
  QueryParams p = ParseQueryString(
      "identifier=http%3A%2F%2Felectronichealth.se%2Fidentifier%2Fpersonnummer%7C197106254787&name=Anna+Maria&"
      "family=%C3%85berg&plus=a%2Bb");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (std::pair<std::string, std::string>{
                      "identifier", "http://electronichealth.se/identifier/personnummer|197106254787"}));
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"name", "Anna Maria"}));
  EXPECT_EQ(p[2], (std::pair<std::string, std::string>{"family", "Åberg"}));
  EXPECT_EQ(p[3], (std::pair<std::string, std::string>{"plus", "a+b"}));
}

TEST(HttpUtilQuery, EmptyValuesAndMissingEquals) {
  QueryParams p = ParseQueryString("a=&b&&c=1&=x&d=e=f");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], (std::pair<std::string, std::string>{"a", ""}));
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"b", ""}));
  EXPECT_EQ(p[2], (std::pair<std::string, std::string>{"c", "1"}));
  EXPECT_EQ(p[3], (std::pair<std::string, std::string>{"", "x"}));
  EXPECT_EQ(p[4], (std::pair<std::string, std::string>{"d", "e=f"}));
  EXPECT_TRUE(ParseQueryString("").empty());
  EXPECT_TRUE(ParseQueryString("&&").empty());
}

TEST(HttpUtilQuery, RepeatedNamesKeepOrder) {
  QueryParams p = ParseQueryString("_lastUpdated=ge2026&_lastUpdated=lt2027&name%3Aexact=X");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].second, "ge2026");
  EXPECT_EQ(p[1].second, "lt2027");
  EXPECT_EQ(p[2].first, "name:exact");
}

TEST(HttpUtilQuery, BadPercentEscapeDoesNotThrow) {
  QueryParams p;
  ASSERT_NO_THROW(p = ParseQueryString("a=%ZZ&b=%&c=%4"));
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].first, "a");
  EXPECT_EQ(p[1].first, "b");
  EXPECT_EQ(p[2].first, "c");
}

TEST(HttpUtilQuery, EncodeRoundTrip) {
  const QueryParams params = {
      {"identifier", "http://electronichealth.se/identifier/personnummer|197106254787"},
      {"name", "Anna Maria"},
      {"family", "Åberg & Söner"},
      {"weird", "a=b+c#d?e%f"},
      {"empty", ""},
      {"name:exact", "x,y"},
  };
  const std::string encoded = EncodeQuery(params);
  EXPECT_EQ(encoded.find(' '), std::string::npos) << encoded;
  EXPECT_EQ(encoded.find('#'), std::string::npos) << encoded;
  EXPECT_EQ(ParseQueryString(encoded), params) << encoded;
  EXPECT_EQ(EncodeQuery({}), "");
  EXPECT_EQ(EncodeQuery({{"_count", "50"}, {"_offset", "100"}}), "_count=50&_offset=100");
}

}  // namespace
}  // namespace nara::fhir
