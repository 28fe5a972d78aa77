#include "fhir/json/bundle.h"

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

StoredResource Stored(const std::string& type, const std::string& id, int version, bool deleted = false) {
  StoredResource r;
  r.type = type;
  r.id = id;
  r.version = version;
  r.last_updated = "2026-11-23T10:00:0" + std::to_string(version) + ".000Z";
  r.deleted = deleted;
  if (!deleted) {
    r.json = R"({"resourceType":")" + type + R"(","id":")" + id + R"(","meta":{"versionId":")" +
             std::to_string(version) + R"(","lastUpdated":")" + r.last_updated + R"("},"name":[{"family":"Åberg"}]})";
  }
  return r;
}

const std::string kBase = "https://localhost:8443/fhir";

TEST(Bundle, IncludedResourcesFollowTheMatchesWithModeInclude) {
  const std::string text = SearchsetJson(kBase, {Stored("CareTeam", "ct1", 1)}, 1, {}, {},
                                         {Stored("Patient", "p1", 2), Stored("PractitionerRole", "r1", 1)});
  rapidjson::Document doc = ParseJson(text);
  ASSERT_EQ(doc["entry"].Size(), 3u);
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "match");
  EXPECT_EQ(doc["entry"][1]["fullUrl"].GetString(), kBase + "/Patient/p1");
  EXPECT_STREQ(doc["entry"][1]["search"]["mode"].GetString(), "include");
  EXPECT_STREQ(doc["entry"][2]["resource"]["resourceType"].GetString(), "PractitionerRole");
  EXPECT_STREQ(doc["entry"][2]["search"]["mode"].GetString(), "include");
  EXPECT_EQ(doc["total"].GetInt64(), 1) << "the total counts matches only";
}

TEST(Bundle, SearchsetWithMatchesLinksTotalAndOutcome) {
  std::vector<StoredResource> matches = {Stored("Patient", "p1", 1), Stored("Patient", "p2", 3)};
  std::vector<BundleLink> links = {{"self", kBase + "/Patient?name=%C3%85berg&_count=2"},
                                   {"next", kBase + "/Patient?name=%C3%85berg&_count=2&_offset=2"}};
  Issue warning;
  warning.severity = "warning";
  warning.code = "not-supported";
  warning.text = "okända sökparametrar ignorerades: foo";
  const std::string text = SearchsetJson(kBase, matches, 5, links, {warning});
  rapidjson::Document doc = ParseJson(text);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["resourceType"].GetString(), "Bundle");
  EXPECT_STREQ(doc["type"].GetString(), "searchset");
  ASSERT_TRUE(doc.HasMember("total"));
  EXPECT_EQ(doc["total"].GetInt64(), 5);
  ASSERT_EQ(doc["link"].Size(), 2u);
  EXPECT_STREQ(doc["link"][0]["relation"].GetString(), "self");
  EXPECT_EQ(doc["link"][0]["url"].GetString(), links[0].url);
  EXPECT_STREQ(doc["link"][1]["relation"].GetString(), "next");
  EXPECT_EQ(doc["link"][1]["url"].GetString(), links[1].url);
  ASSERT_EQ(doc["entry"].Size(), 3u);
  EXPECT_EQ(doc["entry"][0]["fullUrl"].GetString(), kBase + "/Patient/p1");
  EXPECT_STREQ(doc["entry"][0]["resource"]["id"].GetString(), "p1");
  EXPECT_STREQ(doc["entry"][0]["search"]["mode"].GetString(), "match");
  EXPECT_EQ(doc["entry"][1]["fullUrl"].GetString(), kBase + "/Patient/p2");
  EXPECT_STREQ(doc["entry"][1]["resource"]["meta"]["versionId"].GetString(), "3");
  EXPECT_STREQ(doc["entry"][1]["search"]["mode"].GetString(), "match");
  const auto& outcome = doc["entry"][2];
  EXPECT_FALSE(outcome.HasMember("fullUrl"));
  EXPECT_STREQ(outcome["resource"]["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(outcome["resource"]["issue"][0]["severity"].GetString(), "warning");
  EXPECT_STREQ(outcome["search"]["mode"].GetString(), "outcome");
  // the stored text is spliced verbatim
  EXPECT_NE(text.find(matches[0].json), std::string::npos);
}

TEST(Bundle, SearchsetEmptyAndWithoutTotal) {
  rapidjson::Document empty = ParseJson(SearchsetJson(kBase, {}, 0, {{"self", kBase + "/Patient?_count=50"}}, {}));
  EXPECT_EQ(empty["total"].GetInt64(), 0);
  EXPECT_FALSE(empty.HasMember("entry")) << "FHIR JSON has no empty arrays";

  rapidjson::Document no_total = ParseJson(SearchsetJson(kBase, {Stored("Organization", "o1", 1)}, std::nullopt, {}, {}));
  EXPECT_FALSE(no_total.HasMember("total"));
  EXPECT_EQ(no_total["entry"].Size(), 1u);
  EXPECT_FALSE(no_total.HasMember("link")) << "FHIR JSON has no empty arrays";

  // only an outcome entry (no matches)
  Issue info;
  info.severity = "information";
  info.code = "informational";
  info.text = "x";
  rapidjson::Document only_outcome = ParseJson(SearchsetJson(kBase, {}, 0, {}, {info}));
  ASSERT_EQ(only_outcome["entry"].Size(), 1u);
  EXPECT_STREQ(only_outcome["entry"][0]["search"]["mode"].GetString(), "outcome");
}

TEST(Bundle, HistoryEntriesHaveRequestAndResponse) {
  std::vector<StoredResource> versions = {Stored("Patient", "p1", 3, /*deleted=*/true), Stored("Patient", "p1", 2),
                                          Stored("Patient", "p1", 1)};
  const std::string text =
      HistoryJson(kBase, versions, 3, {{"self", kBase + "/Patient/p1/_history?_count=50"}});
  rapidjson::Document doc = ParseJson(text);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["resourceType"].GetString(), "Bundle");
  EXPECT_STREQ(doc["type"].GetString(), "history");
  EXPECT_EQ(doc["total"].GetInt64(), 3);
  ASSERT_EQ(doc["link"].Size(), 1u);
  EXPECT_STREQ(doc["link"][0]["relation"].GetString(), "self");
  ASSERT_EQ(doc["entry"].Size(), 3u);

  const auto& deleted = doc["entry"][0];
  EXPECT_EQ(deleted["fullUrl"].GetString(), kBase + "/Patient/p1");
  EXPECT_FALSE(deleted.HasMember("resource"));
  EXPECT_STREQ(deleted["request"]["method"].GetString(), "DELETE");
  EXPECT_STREQ(deleted["request"]["url"].GetString(), "Patient/p1");
  EXPECT_STREQ(deleted["response"]["etag"].GetString(), "W/\"3\"");
  EXPECT_STREQ(deleted["response"]["status"].GetString(), "204");

  const auto& updated = doc["entry"][1];
  EXPECT_STREQ(updated["resource"]["meta"]["versionId"].GetString(), "2");
  EXPECT_STREQ(updated["request"]["method"].GetString(), "PUT");
  EXPECT_STREQ(updated["request"]["url"].GetString(), "Patient/p1");
  EXPECT_STREQ(updated["response"]["etag"].GetString(), "W/\"2\"");
  EXPECT_STREQ(updated["response"]["status"].GetString(), "200");
  EXPECT_STREQ(updated["response"]["lastModified"].GetString(), "2026-11-23T10:00:02.000Z");

  const auto& created = doc["entry"][2];
  EXPECT_STREQ(created["request"]["method"].GetString(), "POST");
  EXPECT_STREQ(created["request"]["url"].GetString(), "Patient");
  EXPECT_STREQ(created["response"]["etag"].GetString(), "W/\"1\"");
  EXPECT_STREQ(created["response"]["status"].GetString(), "201");
  EXPECT_STREQ(created["resource"]["id"].GetString(), "p1");
}

TEST(Bundle, HistoryEmptyWithoutTotal) {
  rapidjson::Document doc = ParseJson(HistoryJson(kBase, {}, std::nullopt, {}));
  EXPECT_FALSE(doc.HasMember("total"));
  EXPECT_EQ(doc["entry"].Size(), 0u);
}

TEST(Bundle, LinksWithSpecialCharactersStayValid) {
  const std::string url = kBase + "/Patient?name=\"quoted\"\\back";
  rapidjson::Document doc = ParseJson(SearchsetJson(kBase, {}, 0, {{"self", url}}, {}));
  EXPECT_EQ(doc["link"][0]["url"].GetString(), url);
}

TEST(Bundle, JsonStringEscapes) {
  EXPECT_EQ(JsonString(""), "\"\"");
  EXPECT_EQ(JsonString("abc"), "\"abc\"");
  EXPECT_EQ(JsonString("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(JsonString("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(JsonString("line\nnext\ttab\r"), "\"line\\nnext\\ttab\\r\"");
  EXPECT_EQ(JsonString(std::string("\x01", 1)), "\"\\u0001\"");
  EXPECT_EQ(JsonString(std::string("nul\0x", 5)), "\"nul\\u0000x\"");
  EXPECT_EQ(JsonString("Åberg"), "\"Åberg\"");
  const std::string tricky = std::string("q\"b\\s/c\x1f\x7f\b\fé");
  const std::string literal = JsonString(tricky);
  rapidjson::Document doc;
  const std::string wrapped = "[" + literal + "]";
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(wrapped.c_str(), wrapped.size());
  ASSERT_FALSE(doc.HasParseError()) << literal;
  EXPECT_EQ(std::string(doc[0].GetString(), doc[0].GetStringLength()), tricky);
}

}  // namespace
}  // namespace nara::fhir
