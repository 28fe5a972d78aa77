#include "fhir/search/search_elements.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

namespace nara::fhir {
namespace {

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

bool IsSubsetted(const rapidjson::Value& resource) {
  for (const auto& tag : resource["meta"]["tag"].GetArray()) {
    if (std::string(tag["code"].GetString()) == "SUBSETTED" &&
        std::string(tag["system"].GetString()) == "http://terminology.hl7.org/CodeSystem/v3-ObservationValue") {
      return true;
    }
  }
  return false;
}

TEST(SearchElements, KeepsTheListedAndTheMandatoryElementsAndTagsSubsetted) {
  const std::string patient =
      R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"2026-11-23T10:00:00.000Z"},)"
      R"("identifier":[{"system":"s","value":"v"}],"name":[{"family":"Berg"}],"gender":"male","birthDate":"1950-01-01"})";
  auto doc = ParseJson(SubsetElements(patient, {"name", "nothing"}));
  EXPECT_STREQ(doc["resourceType"].GetString(), "Patient");
  EXPECT_STREQ(doc["id"].GetString(), "p1");
  EXPECT_STREQ(doc["meta"]["versionId"].GetString(), "2");
  EXPECT_STREQ(doc["name"][0]["family"].GetString(), "Berg");
  EXPECT_FALSE(doc.HasMember("identifier"));
  EXPECT_FALSE(doc.HasMember("gender"));
  EXPECT_FALSE(doc.HasMember("birthDate"));
  EXPECT_TRUE(IsSubsetted(doc));
}

TEST(SearchElements, RequiredElementsOfTheTypeStay) {
  const std::string episode =
      R"({"resourceType":"EpisodeOfCare","id":"e1","meta":{"tag":[{"system":"x","code":"y"}]},"status":"active",)"
      R"("patient":{"reference":"Patient/p1"},"period":{"start":"2026-01-01"}})";
  auto doc = ParseJson(SubsetElements(episode, {"period"}));
  EXPECT_STREQ(doc["status"].GetString(), "active");
  EXPECT_STREQ(doc["patient"]["reference"].GetString(), "Patient/p1");
  EXPECT_TRUE(doc.HasMember("period"));
  ASSERT_EQ(doc["meta"]["tag"].Size(), 2u) << "existing tags are kept";
  EXPECT_TRUE(IsSubsetted(doc));
}

TEST(SearchElements, WithoutMetaOneIsAdded) {
  auto doc = ParseJson(SubsetElements(R"({"resourceType":"Organization","id":"o1","name":"X"})", {"name"}));
  EXPECT_TRUE(IsSubsetted(doc));
  EXPECT_STREQ(doc["name"].GetString(), "X");
}

}  // namespace
}  // namespace nara::fhir
