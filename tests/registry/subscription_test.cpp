// docs/api.md section 10: which topics a change hits, how filters match a change's scope, the retry
// schedule and the endpoint allowlist (registry/subscription.*).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/subscription.h"

namespace nara {
namespace {

VersionFacts Episode(const std::string& kind, const std::string& unit) {
  VersionFacts facts;
  facts.exists = true;
  facts.kind = kind;
  facts.patient_id = "pat-1";
  facts.unit_id = unit;
  return facts;
}

VersionFacts Person(const std::string& kommun, bool deceased = false) {
  VersionFacts facts;
  facts.exists = true;
  facts.patient_id = "pat-1";
  facts.kommun = kommun;
  facts.deceased = deceased;
  return facts;
}

ResourceChange Change(const std::string& type, VersionFacts before, VersionFacts after) {
  return ResourceChange{type, "x", 2, std::move(before), std::move(after)};
}

TEST(SubscriptionTopicsTest, EachKindOfChangeHitsItsTopic) {
  EXPECT_EQ(TopicsOf(Change("EpisodeOfCare", {}, Episode("listning", "vc-a"))),
            std::vector<Topic>{Topic::listing_change});
  EXPECT_EQ(TopicsOf(Change("EpisodeOfCare", Episode("saebo", "s"), {})), std::vector<Topic>{Topic::saebo_change})
      << "a deleted SÄBO episode is a change too";
  EXPECT_EQ(TopicsOf(Change("EpisodeOfCare", Episode("hemsjukvard", "h"), Episode("hemsjukvard", "h"))),
            std::vector<Topic>{Topic::hemsjukvard_change});
  EXPECT_EQ(TopicUrl(Topic::hemsjukvard_change), "https://fhir.nara-registry.org/SubscriptionTopic/hemsjukvard-change");
  EXPECT_EQ(TopicsOf(Change("CareTeam", {}, Episode("fast-kontakt", "vc-a"))),
            std::vector<Topic>{Topic::fixed_contact_change});
  EXPECT_EQ(TopicsOf(Change("DocumentReference", {}, Episode("patientkontrakt", "vc-a"))),
            std::vector<Topic>{Topic::patientkontrakt_change});
  EXPECT_TRUE(TopicsOf(Change("DocumentReference", {}, Episode("sip", "vc-a"))).empty());
  EXPECT_EQ(TopicsOf(Change("Task", {}, Episode("fast-lakarkontakt-ko", ""))),
            std::vector<Topic>{Topic::waitlist_change});
  EXPECT_TRUE(TopicsOf(Change("Organization", {}, Episode("", ""))).empty());
}

TEST(SubscriptionTopicsTest, ADeathIsNewsOnceAndAMoveIsAChangeOfKommun) {
  EXPECT_EQ(TopicsOf(Change("Patient", Person("0180"), Person("0180", true))),
            std::vector<Topic>{Topic::patient_death});
  EXPECT_TRUE(TopicsOf(Change("Patient", Person("0180", true), Person("0180", true))).empty())
      << "correcting the date of death is not a second death";
  EXPECT_EQ(TopicsOf(Change("Patient", Person("0180"), Person("1280"))), std::vector<Topic>{Topic::residence_change});
  EXPECT_EQ(TopicsOf(Change("Patient", Person("0180"), Person(""))), std::vector<Topic>{Topic::residence_change})
      << "an address leaving every kommun is a move out";
  EXPECT_TRUE(TopicsOf(Change("Patient", {}, Person("0180"))).empty()) << "a new patient has not moved";
  EXPECT_EQ(TopicsOf(Change("Patient", Person("0180"), Person("1280", true))),
            (std::vector<Topic>{Topic::patient_death, Topic::residence_change}));
}

TEST(SubscriptionTopicsTest, TopicUrlsRoundTripAndBareCodesAreAccepted) {
  for (Topic topic : AllTopics()) {
    EXPECT_EQ(ParseTopicUrl(TopicUrl(topic)), topic);
    EXPECT_EQ(ParseTopicUrl(TopicCode(topic)), topic);
  }
  EXPECT_EQ(TopicUrl(Topic::listing_change), "https://fhir.nara-registry.org/SubscriptionTopic/listing-change");
  EXPECT_FALSE(ParseTopicUrl("https://fhir.nara-registry.org/SubscriptionTopic/nope").has_value());
}

TEST(SubscriptionFilterTest, ParsesNormalisesAndRefusesWhatItDoesNotKnow) {
  auto filter = ParseFilterCriteria("EpisodeOfCare?managing-organization=Organization/vc-a,vc-b&patient=Patient/p1");
  ASSERT_TRUE(filter.ok());
  EXPECT_EQ(filter->organizations, (std::vector<std::string>{"vc-a", "vc-b"}));
  EXPECT_EQ(filter->patients, std::vector<std::string>{"p1"});
  EXPECT_EQ(FormatFilterCriteria(*filter), "managing-organization=Organization/vc-a,Organization/vc-b&patient=Patient/p1");
  EXPECT_TRUE(ParseFilterCriteria("").ok());
  EXPECT_EQ(ParseFilterCriteria("status=active").error().detail_code, "value");
  EXPECT_FALSE(ParseFilterCriteria("patient=Patient/a b").ok());
  EXPECT_FALSE(ParseFilterCriteria("patient").ok());
}

TEST(SubscriptionFilterTest, AChangeOfListingIsHeardAtTheOldUnitTheNewUnitAndAboveThem) {
  SubscriptionFilter at_a{{"vc-a"}, {}}, at_b{{"vc-b"}, {}}, at_region{{"region"}, {}}, at_c{{"vc-c"}, {}};
  ChangeScope scope{"pat-1", {"vc-a", "region", "vc-b"}, {"0180"}};
  auto orgs = [](const SubscriptionFilter& f) {
    std::vector<FilterOrganization> out;
    for (const auto& id : f.organizations) out.push_back({id, ""});
    return out;
  };
  EXPECT_TRUE(FilterMatches(at_a, orgs(at_a), scope));
  EXPECT_TRUE(FilterMatches(at_b, orgs(at_b), scope));
  EXPECT_TRUE(FilterMatches(at_region, orgs(at_region), scope));
  EXPECT_FALSE(FilterMatches(at_c, orgs(at_c), scope));
  EXPECT_TRUE(FilterMatches({}, {}, scope)) << "no filter: every change of the topic";
  EXPECT_TRUE(FilterMatches({{}, {"pat-1"}}, {}, scope));
  EXPECT_FALSE(FilterMatches({{}, {"pat-2"}}, {}, scope));
  EXPECT_FALSE(FilterMatches({{"vc-a"}, {"pat-2"}}, orgs(at_a), scope)) << "both criteria must hold";
}

TEST(SubscriptionFilterTest, AKommunHearsOfItsResidentsBeforeAndAfterAMove) {
  SubscriptionFilter kommun{{"stockholm"}, {}};
  const std::vector<FilterOrganization> resolved{{"stockholm", "0180"}};
  EXPECT_TRUE(FilterMatches(kommun, resolved, ChangeScope{"p", {}, {"0180", "1280"}})) << "moved out";
  EXPECT_TRUE(FilterMatches(kommun, resolved, ChangeScope{"p", {}, {"1280", "0180"}})) << "moved in";
  EXPECT_FALSE(FilterMatches(kommun, resolved, ChangeScope{"p", {}, {"1280"}}));
  EXPECT_TRUE(FilterMatches(kommun, resolved, ChangeScope{"p", {"saebo-1", "stockholm"}, {}})) << "its SÄBO unit";
}

TEST(SubscriptionDeliveryTest, RetriesBackOffExponentiallyUpToTheCap) {
  RetryPolicy policy{1000, 8000, 10};
  EXPECT_EQ(RetryDelayMs(policy, 1), 1000);
  EXPECT_EQ(RetryDelayMs(policy, 2), 2000);
  EXPECT_EQ(RetryDelayMs(policy, 3), 4000);
  EXPECT_EQ(RetryDelayMs(policy, 4), 8000);
  EXPECT_EQ(RetryDelayMs(policy, 30), 8000);
}

TEST(SubscriptionDeliveryTest, OnlyHttpsEndpointsOnAllowedHosts) {
  const std::vector<std::string> allow{"ehr.region.se", "127.0.0.1", "::1"};
  EXPECT_TRUE(CheckEndpoint("https://EHR.region.se:9443/hook?x=1", allow).ok());
  EXPECT_TRUE(CheckEndpoint("https://127.0.0.1:1234/", allow).ok());
  EXPECT_TRUE(CheckEndpoint("https://[::1]:8443/hook", allow).ok());
  EXPECT_EQ(CheckEndpoint("http://ehr.region.se/hook", allow).error().detail_code, "value");
  EXPECT_EQ(CheckEndpoint("https://evil.example/hook", allow).error().detail_code, "endpoint-not-allowed");
  EXPECT_EQ(CheckEndpoint("https://ehr.region.se.evil.example/", allow).error().detail_code, "endpoint-not-allowed");
  EXPECT_EQ(CheckEndpoint("https://user@evil.example/", allow).error().detail_code, "endpoint-not-allowed");
  EXPECT_EQ(EndpointHost("https://a@ehr.region.se:1/x"), "ehr.region.se");
  EXPECT_FALSE(CheckEndpoint("https://ehr.region.se/", {}).ok()) << "an empty allowlist allows nothing";
}

}  // namespace
}  // namespace nara
