#include "fhir/json/json_patch.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "tests/support/swedish_first.h"

namespace nara::fhir {
namespace {

std::string Apply(const std::string& doc, const std::string& patch) {
  auto result = ApplyJsonPatch(doc, patch);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().text);
  return result.ok() ? *result : "";
}

std::string ErrorCode(const std::string& doc, const std::string& patch) {
  auto result = ApplyJsonPatch(doc, patch);
  EXPECT_FALSE(result.ok()) << "applied: " << *result;
  return result.ok() ? "" : result.error().detail_code;
}

// RFC 6902 appendix A examples, one per operation.
TEST(JsonPatch, AddsToObjectsAndArrays) {
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"), R"({"foo":"bar","baz":"qux"})");
  EXPECT_EQ(Apply(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            R"({"foo":["bar","qux","baz"]})");
  EXPECT_EQ(Apply(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":{"a":1}}])"),
            R"({"foo":["bar",{"a":1}]})");
  EXPECT_EQ(Apply(R"({"foo":"bar"})", R"([{"op":"add","path":"/foo","value":1}])"), R"({"foo":1})");
}

TEST(JsonPatch, RemovesReplacesMovesCopies) {
  EXPECT_EQ(Apply(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"), R"({"foo":"bar"})");
  EXPECT_EQ(Apply(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"), R"({"foo":["bar","baz"]})");
  EXPECT_EQ(Apply(R"({"baz":"qux"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"), R"({"baz":"boo"})");
  EXPECT_EQ(Apply(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                  R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  EXPECT_EQ(Apply(R"({"foo":["all","grass","cows","eat"]})", R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            R"({"foo":["all","cows","eat","grass"]})");
  EXPECT_EQ(Apply(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])"), R"({"a":{"b":1},"c":{"b":1}})");
  EXPECT_EQ(Apply(R"({"a/b":1,"m~n":2})", R"([{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/m~0n"}])"),
            R"({"a/b":3})");
}

TEST(JsonPatch, TestComparesDeeplyAndFailsWhole) {
  EXPECT_EQ(Apply(R"({"baz":"qux","foo":["a",2,"c"]})",
                  R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])"),
            R"({"baz":"qux","foo":["a",2,"c"]})");
  EXPECT_EQ(ErrorCode(R"({"baz":"qux"})", R"([{"op":"add","path":"/x","value":1},{"op":"test","path":"/baz","value":"bar"}])"),
            "processing");
}

TEST(JsonPatch, PathsThatDoNotFitAreProcessingErrors) {
  EXPECT_EQ(ErrorCode(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"foo":"bar"})", R"([{"op":"remove","path":"/nope"}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"foo":"bar"})", R"([{"op":"replace","path":"/nope","value":1}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"foo":[1]})", R"([{"op":"add","path":"/foo/5","value":1}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"foo":[1]})", R"([{"op":"add","path":"/foo/01","value":1}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])"), "processing");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([{"op":"remove","path":""}])"), "processing");
}

TEST(JsonPatch, MalformedPatchesAreInvalid) {
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"({"op":"add"})"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([{"op":"add","path":"a","value":1}])"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([{"op":"add","path":"/b"}])"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([{"op":"move","path":"/b"}])"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"([1])"), "invalid");
  EXPECT_EQ(ErrorCode(R"({"a":1})", R"(not json)"), "invalid");
}

// Swedish first, English after in parentheses (docs/api.md, "Errors"): one bad patch per error site.
TEST(JsonPatch, EveryErrorTextIsSwedishThenEnglishInParentheses) {
  const std::string doc = R"({"resourceType":"Patient","a":{"b":[1]}})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([{"op":"add","path":"","value":1}])",
       "patchen kan inte tillämpas: hela resursen kan inte ersättas med add "
       "(the patch cannot be applied: the whole resource cannot be replaced by add)"},
      {R"([{"op":"add","path":"/x/y","value":1}])",
       "patchen kan inte tillämpas: sökvägens överordnade nod finns inte (the patch cannot be applied: the parent of "
       "the path does not exist)"},
      {R"([{"op":"add","path":"/a/b/5","value":1}])", ""},
      {R"([{"op":"add","path":"/resourceType/x","value":1}])",
       "patchen kan inte tillämpas: sökvägens överordnade nod är varken objekt eller array (the patch cannot be "
       "applied: the parent of the path is not an object or array)"},
      {R"([{"op":"remove","path":""}])", ""},
      {R"([{"op":"remove","path":"/x/y"}])", ""},
      {R"([{"op":"remove","path":"/a/b/3"}])", ""},
      {R"([{"op":"remove","path":"/x"}])",
       "patchen kan inte tillämpas: sökvägen finns inte (the patch cannot be applied: the path does not exist)"},
      {R"([{"op":"remove"}])", "ogiltig JSON Patch: \"path\" saknas (malformed JSON Patch: \"path\" is required)"},
      {R"([{"op":"remove","path":"x"}])", ""},
      {R"([1])",
       "ogiltig JSON Patch: en operation måste vara ett objekt (malformed JSON Patch: an operation must be "
       "an object)"},
      {R"([{"op":"add","path":"/x"}])", ""},
      {R"([{"op":"test","path":"/a","value":2}])",
       "patchen kan inte tillämpas: test misslyckades (the patch cannot be applied: test failed)"},
      {R"([{"op":"replace","path":"/x","value":2}])", ""},
      {R"([{"op":"copy","from":"/x","path":"/y"}])", ""},
      {R"([{"op":"move","from":"/a","path":"/a/b"}])", ""},
      {R"([{"op":"jump","path":"/a"}])",
       "ogiltig JSON Patch: okänd op \"jump\" (malformed JSON Patch: unknown op \"jump\")"},
  };
  for (const auto& [patch, expected] : cases) {
    auto result = ApplyJsonPatch(doc, patch);
    ASSERT_FALSE(result.ok()) << patch;
    EXPECT_TRUE(nara::testing::IsSwedishFirst(result.error().text)) << patch;
    if (!expected.empty()) {
      EXPECT_EQ(result.error().text, expected);
    }
  }
}

}  // namespace
}  // namespace nara::fhir
