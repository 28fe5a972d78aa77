#include "fhir/json/json_patch.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace nara::fhir
