// ParseJsonObject refuses text a FHIR string may not hold (R4: [ \r\n\t\S]+) before anything is
// stored: a NUL would otherwise reach PostgreSQL and turn into a 500.
#include "fhir/json/json.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

Status Parse(const std::string& text) {
  rapidjson::Document doc;
  return ParseJsonObject(text, doc);
}

TEST(Json, ControlCharactersInStringsAreRefused) {
  for (const std::string text : {R"({"name":[{"family":"Berg\u0000son"}]})",
                                 R"({"identifier":[{"value":"19650812117\u0000"}]})", R"({"given":["a\u0001"]})",
                                 R"({"a\u001f":1})", R"({"text":{"div":"\u001b[31m"}})"}) {
    Status status = Parse(text);
    ASSERT_FALSE(status.ok()) << text;
    EXPECT_EQ(status.error().kind, ErrorKind::invalid) << text;
    EXPECT_EQ(status.error().detail_code, "structure") << text;
    EXPECT_EQ(status.error().text.rfind("text med kontrolltecken", 0), 0u) << status.error().text;
    EXPECT_EQ(status.error().text.find('\0'), std::string::npos);
  }
}

TEST(Json, TabCarriageReturnAndLineFeedAreAllowed) {
  EXPECT_TRUE(Parse(R"({"family":"a\tb\r\nc","note":["x\ny"],"deleted":"\u007f é"})").ok());
}

// Swedish first, English after in parentheses (docs/api.md, "Errors").
TEST(Json, ErrorTextsAreSwedishThenEnglishInParentheses) {
  const std::string deep = std::string(kMaxJsonDepth, '[');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":)" + deep + std::string(kMaxJsonDepth, ']') + "}",
       "JSON nästlad djupare än 64 nivåer (JSON nested deeper than 64 levels)"},
      {R"({"a":1,"a":2})", "JSON-objektet upprepar egenskapen 'a' (JSON object repeats the property 'a')"},
      {"[1]",
       "innehållet måste vara ett JSON-objekt (en FHIR-resurs) (the body must be a JSON object (a FHIR resource))"},
      {R"({"a":"\u0001"})", ""},
      // RapidJSON words its own finding in English only, so it stands in the English part.
      {R"({"resourceType":)", "ogiltig JSON vid byte 16 (malformed JSON at byte offset 16: Invalid value.)"},
  };
  for (const auto& [text, expected] : cases) {
    rapidjson::Document doc;
    Status parsed = ParseJsonObject(text, doc);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(parsed.error().text));
    if (!expected.empty()) {
      EXPECT_EQ(parsed.error().text, expected);
    }
  }
}

}  // namespace
}  // namespace nara::fhir
