// ParseJsonObject refuses text a FHIR string may not hold (R4: [ \r\n\t\S]+) before anything is
// stored: a NUL would otherwise reach PostgreSQL and turn into a 500.
#include "fhir/json/json.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace nara::fhir
