// Subscription JSON (fhir/resources/subscription_resource.*): what a posted Subscription must be, how it
// reads back, the notification Bundle of the Backport IG, and the facts a stored version gives topics.
#include "fhir/resources/subscription_resource.h"
#include "tests/support/swedish_first.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

namespace nara::fhir {
namespace {

const std::vector<std::string> kAllow{"journal.region.se"};
const std::string kBackport = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";

std::string Posted(const std::string& criteria = "https://fhir.nara-registry.org/SubscriptionTopic/listing-change",
                   const std::string& endpoint = "https://journal.region.se/hook", const std::string& extra_channel = "",
                   const std::string& filter = "EpisodeOfCare?managing-organization=Organization/vc-1") {
  return R"({"resourceType":"Subscription","id":"client-chose","status":"active","criteria":")" + criteria +
         R"(","_criteria":{"extension":[{"url":")" + kBackport + R"(backport-filter-criteria","valueString":")" +
         filter + R"("}]},"channel":{"type":"rest-hook","endpoint":")" + endpoint +
         R"(","payload":"application/fhir+json","_payload":{"extension":[{"url":")" + kBackport +
         R"(backport-payload-content","valueCode":"full-resource"}]})" + extra_channel + "}}";
}

TEST(SubscriptionResource, AValidSubscriptionBecomesARecordInStatusRequested) {
  auto record = SubscriptionFromJson(
      Posted("https://fhir.nara-registry.org/SubscriptionTopic/listing-change", "https://journal.region.se/hook",
             R"(,"extension":[{"url":")" + kBackport + R"(backport-heartbeat-period","valueUnsignedInt":60},{"url":")" +
                 kBackport + R"(backport-timeout","valueUnsignedInt":30}])"),
      kAllow);
  ASSERT_TRUE(record.ok()) << record.error().text;
  EXPECT_EQ(record->topic, "https://fhir.nara-registry.org/SubscriptionTopic/listing-change");
  EXPECT_EQ(record->filters, "managing-organization=Organization/vc-1");
  EXPECT_EQ(record->payload, "full-resource");
  EXPECT_EQ(record->heartbeat_seconds, 60);
  EXPECT_EQ(record->timeout_seconds, 30);
  EXPECT_EQ(record->max_count, 20);
  EXPECT_EQ(record->status, "requested") << "the client's status is not taken";
  EXPECT_EQ(record->body.find("client-chose"), std::string::npos) << "the server gives the id";

  record->id = "s1";
  rapidjson::Document doc;
  doc.Parse(SubscriptionJson(*record).c_str());
  EXPECT_STREQ(doc["id"].GetString(), "s1");
  EXPECT_STREQ(doc["status"].GetString(), "requested");
  EXPECT_EQ(std::string(doc["meta"]["profile"][0].GetString()), kBackport + "backport-subscription");
  EXPECT_STREQ(doc["channel"]["endpoint"].GetString(), "https://journal.region.se/hook");
}

TEST(SubscriptionResource, WhatIsRefusedAndWithWhichCode) {
  auto code = [](const std::string& body) {
    auto record = SubscriptionFromJson(body, kAllow);
    if (record.ok()) return std::string("ok");
    EXPECT_TRUE(nara::testing::IsSwedishFirst(record.error().text));  // docs/api.md, "Errors"
    return record.error().detail_code;
  };
  EXPECT_EQ(code(Posted("https://example.org/SubscriptionTopic/admission")), "value");
  EXPECT_EQ(code(Posted("https://fhir.nara-registry.org/SubscriptionTopic/listing-change", "https://evil.example/")),
            "endpoint-not-allowed");
  EXPECT_EQ(code(Posted("https://fhir.nara-registry.org/SubscriptionTopic/listing-change", "http://journal.region.se/")),
            "value");
  EXPECT_EQ(code(Posted("https://fhir.nara-registry.org/SubscriptionTopic/listing-change",
                        "https://journal.region.se/hook", "", "CareTeam?patient=Patient/p")),
            "value")
      << "the filter's type must be the topic's";
  EXPECT_EQ(code(Posted("https://fhir.nara-registry.org/SubscriptionTopic/listing-change",
                        "https://journal.region.se/hook",
                        R"(,"extension":[{"url":")" + kBackport + R"(backport-timeout","valueUnsignedInt":9999}])")),
            "value");
  EXPECT_EQ(code(R"({"resourceType":"Subscription","criteria":"listing-change","channel":{"type":"websocket"}})"), "value");
  EXPECT_EQ(code(R"({"resourceType":"Subscription","criteria":"listing-change"})"), "required");
  EXPECT_EQ(code(R"({"resourceType":"Patient"})"), "structure");
}

TEST(SubscriptionResource, ANotificationIsAHistoryBundleLedByTheStatusParameters) {
  SubscriptionRecord record;
  record.id = "s1";
  record.topic = "https://fhir.nara-registry.org/SubscriptionTopic/listing-change";
  record.status = "active";
  record.payload = "id-only";
  record.events_since_start = 7;
  SubscriptionEventRecord event;
  event.number = 7;
  event.recorded = "2026-12-05T10:00:00.000Z";
  event.resource = StoredResource{"EpisodeOfCare", "ep-1", 2, "2026-12-05T10:00:00.000Z", false,
                                  R"({"resourceType":"EpisodeOfCare","id":"ep-1"})"};
  rapidjson::Document doc;
  doc.Parse(NotificationBundleJson(record, "https://nara.example/fhir", "event-notification", {event}).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["type"].GetString(), "history");
  const auto& status = doc["entry"][0]["resource"];
  EXPECT_STREQ(status["resourceType"].GetString(), "Parameters");
  std::map<std::string, std::string> values;
  for (const auto& p : status["parameter"].GetArray()) {
    const std::string name = p["name"].GetString();
    if (p.HasMember("valueCode")) values[name] = p["valueCode"].GetString();
    if (p.HasMember("valueString")) values[name] = p["valueString"].GetString();
    if (name == "notification-event") {
      EXPECT_STREQ(p["part"][0]["valueString"].GetString(), "7");
      EXPECT_STREQ(p["part"][2]["valueReference"]["reference"].GetString(),
                   "https://nara.example/fhir/EpisodeOfCare/ep-1/_history/2");
    }
  }
  EXPECT_EQ(values["type"], "event-notification");
  EXPECT_EQ(values["status"], "active");
  EXPECT_EQ(values["events-since-subscription-start"], "7");
  ASSERT_EQ(doc["entry"].Size(), 2u);
  EXPECT_STREQ(doc["entry"][1]["fullUrl"].GetString(), "https://nara.example/fhir/EpisodeOfCare/ep-1");
  EXPECT_FALSE(doc["entry"][1].HasMember("resource")) << "id-only carries no resource";
  doc.Parse(NotificationBundleJson(record, "https://nara.example/fhir", "query-event", {event}, "full-resource").c_str());
  EXPECT_STREQ(doc["entry"][1]["resource"]["id"].GetString(), "ep-1");
}

TEST(SubscriptionResource, FactsOfAVersionForTheTopics) {
  const std::string episode =
      R"({"resourceType":"EpisodeOfCare","type":[{"coding":[{"system":"https://fhir.nara-registry.org/CodeSystem/episode-type","code":"listning"}]}],)"
      R"("patient":{"reference":"Patient/p1"},"managingOrganization":{"reference":"Organization/vc-1"}})";
  auto facts = FactsOfVersion(StoredResource{"EpisodeOfCare", "e1", 1, "", false, episode});
  EXPECT_TRUE(facts.exists);
  EXPECT_EQ(facts.kind, "listning");
  EXPECT_EQ(facts.patient_id, "p1");
  EXPECT_EQ(facts.unit_id, "vc-1");
  EXPECT_FALSE(FactsOfVersion(StoredResource{"EpisodeOfCare", "e1", 2, "", true, ""}).exists) << "a tombstone";
  for (const std::string kind : {"saebo", "hemsjukvard"}) {
    std::string other = episode;
    other.replace(other.find("listning"), 8, kind);
    EXPECT_EQ(FactsOfVersion(StoredResource{"EpisodeOfCare", "e2", 1, "", false, other}).kind, kind);
  }
  const std::string patient =
      R"({"resourceType":"Patient","deceasedDateTime":"2025-01-02","address":[{"use":"home","extension":[{"url":)"
      R"("https://fhir.nara-registry.org/StructureDefinition/municipality","valueCoding":{"code":"0180"}}]}]})";
  auto person = FactsOfVersion(StoredResource{"Patient", "p1", 3, "", false, patient});
  EXPECT_EQ(person.patient_id, "p1");
  EXPECT_EQ(person.kommun, "0180");
  EXPECT_TRUE(person.deceased);
}

}  // namespace
}  // namespace nara::fhir
