// The Patient answer cache (docs/internals.md "The Patient answer cache", docs/api.md section 12) used as
// clients use it: two `nara serve` nodes on one database, over mutual TLS. A write is seen at once on
// the node that made it and on the other node as soon as the database's notification arrives; every
// read answered from the cache still has its audit row.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "registry/date.h"
#include "tests/e2e/json_helpers.h"
#include "tests/e2e/own_server.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/scrape.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int VersionOf(const testing::HttpResult& read) {
  auto doc = Parse(read.body);
  return std::stoi(doc["meta"]["versionId"].GetString());
}

std::string GeneralPractitionerOf(const testing::HttpResult& read) {
  auto doc = Parse(read.body);
  std::string refs;
  if (!doc.HasMember("generalPractitioner")) return refs;
  for (const auto& ref : doc["generalPractitioner"].GetArray()) refs += std::string(ref["reference"].GetString()) + " ";
  return refs;
}

class PatientCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_a_ = std::make_unique<OwnServer>("pcache");
    ASSERT_TRUE(node_a_->Migrate());
    node_b_ = std::make_unique<OwnServer>("pcache-b",
                                          std::map<std::string, std::string>{{"NARA_DATABASE_URL", node_a_->database_url()}});
    ASSERT_TRUE(node_a_->Start());
    ASSERT_TRUE(node_b_->Start());
    auto admin = node_a_->Client("admin");
    ASSERT_EQ(admin->Request("PUT", "/fhir/Organization/pc-region",
                             reg::OrganizationJson("pc-region", reg::kRegionHsa, "region"), reg::kFhirJson).status, 201);
    for (const char* unit : {"pc-vc1", "pc-vc2"}) {
      auto put = admin->Request("PUT", std::string("/fhir/Organization/") + unit,
                                reg::OrganizationJson(unit, reg::UnitHsa(reg::kRegionHsa), "vardcentral", "pc-region"),
                                reg::kFhirJson);
      ASSERT_EQ(put.status, 201) << put.body;
    }
    auto patient = admin->Request("PUT", "/fhir/Patient/pc-patient",
                                  reg::PatientWithPnr("pc-patient", reg::NextPersonnummer(), "Före"), reg::kFhirJson);
    ASSERT_EQ(patient.status, 201) << patient.body;
    auto listing = admin->Request("PUT", "/fhir/EpisodeOfCare/pc-listing",
                                  reg::EpisodeJson("pc-listing", "pc-patient", "pc-vc1", "2025-01-01"), reg::kFhirJson);
    ASSERT_EQ(listing.status, 201) << listing.body;
  }
  // Waits until the node's feed listens (the cache serves nothing before).
  static bool Live(const OwnServer& node) {
    for (int i = 0; i < 200; ++i) {
      if (Sample(Scrape(node.ops_port()), "nara_patient_cache_live") == 1) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  static double Hits(const OwnServer& node) {
    return Sample(Scrape(node.ops_port()), "nara_patient_cache_lookups_total{result=\"hit\"}");
  }
  static double ListHits(const OwnServer& node) {
    return Sample(Scrape(node.ops_port()), "nara_doctor_list_lookups_total{result=\"hit\"}");
  }
  // Dr pc-doc's role at pc-vc1 with the fast läkarkontakt of `patients` (created, listed at pc-vc1).
  void DoctorWithList(const std::vector<std::string>& patients) {
    auto admin = node_a_->Client("admin");
    ASSERT_EQ(admin->Request("PUT", "/fhir/Practitioner/pc-doc", reg::PractitionerJson("pc-doc", "Berg"),
                             reg::kFhirJson).status, 201);
    ASSERT_EQ(admin->Request("PUT", "/fhir/PractitionerRole/pc-doc-role",
                             reg::RoleJson("pc-doc-role", "pc-doc", "pc-vc1", "lakare", 1100, 1.0), reg::kFhirJson).status,
              201);
    for (const auto& patient : patients) {
      auto put = admin->Request("PUT", "/fhir/Patient/" + patient,
                                reg::PatientWithPnr(patient, reg::NextPersonnummer(), "Listad"), reg::kFhirJson);
      ASSERT_EQ(put.status, 201) << put.body;
      put = admin->Request("PUT", "/fhir/EpisodeOfCare/" + patient + "-listing",
                           reg::EpisodeJson(patient + "-listing", patient, "pc-vc1", "2025-01-01"), reg::kFhirJson);
      ASSERT_EQ(put.status, 201) << put.body;
      put = admin->Request("PUT", "/fhir/CareTeam/" + patient + "-doctor",
                           reg::CareTeamJson(patient + "-doctor", patient, "pc-doc-role", "pc-vc1", "2025-01-01"),
                           reg::kFhirJson);
      ASSERT_EQ(put.status, 201) << put.body;
    }
  }
  // The pages of the doctor's list, `count` a page, walked by their next links: each page's body.
  static std::vector<std::string> ListPages(testing::TlsClient& client, int count) {
    std::vector<std::string> pages;
    std::string url = "/fhir/Patient?general-practitioner=PractitionerRole/pc-doc-role&_count=" + std::to_string(count);
    while (!url.empty() && pages.size() < 10) {
      auto page = client.Request("GET", url);
      EXPECT_EQ(page.status, 200) << page.body;
      pages.push_back(page.body);
      url.clear();
      auto doc = Parse(page.body);
      if (!doc.HasMember("link")) break;
      for (const auto& link : doc["link"].GetArray()) {
        if (std::string(link["relation"].GetString()) != "next") continue;
        url = link["url"].GetString();
        url = url.substr(url.find("/fhir/"));
      }
    }
    return pages;
  }
  static std::vector<std::string> Listed(const std::vector<std::string>& pages) {
    std::vector<std::string> refs;
    for (const auto& page : pages) {
      for (const auto& ref : reg::EntryRefs(page)) refs.push_back(ref);
    }
    return refs;
  }
  std::unique_ptr<OwnServer> node_a_, node_b_;
};

// A doctor's list (fhir/search/doctor_list_page.h): the pages answered from kept answers are the very
// bytes the general search gave, every patient on them audited; a change of the list through this
// node is seen at once, through the other node once its notification arrives.
TEST_F(PatientCacheTest, ADoctorsListFromKeptAnswersIsTheSearchsAnswerAndMovesWithItsContacts) {
  ASSERT_NO_FATAL_FAILURE(DoctorWithList({"pc-p1", "pc-p2", "pc-p3"}));
  ASSERT_TRUE(Live(*node_a_));
  ASSERT_TRUE(Live(*node_b_));
  auto ehr_a = node_a_->Client("ehr");
  const std::vector<std::string> first = ListPages(*ehr_a, 2);  // read the general way, and kept
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(Listed(first), (std::vector<std::string>{"Patient/pc-p1", "Patient/pc-p2", "Patient/pc-p3"}));
  EXPECT_NE(first[0].find("\"total\":3"), std::string::npos) << first[0];
  // Read again until a whole walk came from what is kept (the setup's own notifications may still
  // arrive and forget some of it): the same bytes.
  std::vector<std::string> again;
  bool from_kept = false;
  for (int i = 0; i < 100 && !from_kept; ++i) {
    const double list_hits = ListHits(*node_a_), hits = Hits(*node_a_);
    again = ListPages(*ehr_a, 2);
    from_kept = ListHits(*node_a_) == list_hits + 2 && Hits(*node_a_) == hits + 3;
    if (!from_kept) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(from_kept) << "both pages from the kept list, every patient from a kept answer";
  EXPECT_EQ(again, first);

  // A page answered from what is kept has its audit row naming each patient on it (asked again
  // until one is: a loaded machine may leave the feed silent long enough to stop serving a moment).
  testing::HttpResult page;
  bool page_from_kept = false;
  for (int i = 0; i < 100 && !page_from_kept; ++i) {
    const double hits = Hits(*node_a_);
    page = ehr_a->Request("GET", "/fhir/Patient?general-practitioner=PractitionerRole/pc-doc-role&_count=2");
    ASSERT_EQ(page.status, 200);
    page_from_kept = Hits(*node_a_) == hits + 2;
  }
  ASSERT_TRUE(page_from_kept);
  auto [code, out] = testing::Psql(node_a_->database_url(),
                                   "SELECT array_to_string(ARRAY(SELECT unnest(patient_ids) ORDER BY 1), ',') FROM "
                                   "audit_event WHERE action = 'search' AND outcome = 'success' AND request_id = '" +
                                       page.headers["x-request-id"] + "'");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(Trimmed(out), "pc-p1,pc-p2");

  // Node b keeps the list too.
  auto ehr_b = node_b_->Client("ehr");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Listed(ListPages(*ehr_b, 2)), Listed(first));

  // Through node a: pc-p2's contact ends and pc-patient gets one; node a's list shows it at once.
  auto admin_a = node_a_->Client("admin");
  const std::string today = Date::Today().ToString();
  auto ended = admin_a->Request("PUT", "/fhir/CareTeam/pc-p2-doctor",
                                reg::CareTeamJson("pc-p2-doctor", "pc-p2", "pc-doc-role", "pc-vc1", "2025-01-01", "2",
                                                  "inactive", today),
                                reg::kFhirJson);
  ASSERT_EQ(ended.status, 200) << ended.body;
  auto added = admin_a->Request("PUT", "/fhir/CareTeam/pc-patient-doctor",
                                reg::CareTeamJson("pc-patient-doctor", "pc-patient", "pc-doc-role", "pc-vc1", today),
                                reg::kFhirJson);
  ASSERT_EQ(added.status, 201) << added.body;
  const std::vector<std::string> want{"Patient/pc-p1", "Patient/pc-p3", "Patient/pc-patient"};
  EXPECT_EQ(Listed(ListPages(*ehr_a, 2)), want);

  // Node b kept the old list; it follows once the notification arrives (bounded here by 10 s).
  std::vector<std::string> at_b;
  for (int i = 0; i < 200; ++i) {
    at_b = Listed(ListPages(*ehr_b, 2));
    if (at_b == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(at_b, want);
}

TEST_F(PatientCacheTest, AWriteIsSeenAtOnceOnItsNodeAndOnTheOtherOnceItsNotificationArrives) {
  ASSERT_TRUE(Live(*node_a_));
  ASSERT_TRUE(Live(*node_b_));
  auto ehr_a = node_a_->Client("ehr");
  auto ehr_b = node_b_->Client("ehr");
  // Both nodes keep the answer (the second read on each is a hit).
  for (auto* client : {ehr_a.get(), ehr_b.get()}) {
    for (int i = 0; i < 2; ++i) {
      auto read = client->Request("GET", "/fhir/Patient/pc-patient");
      ASSERT_EQ(read.status, 200) << read.body;
      EXPECT_EQ(VersionOf(read), 1);
      EXPECT_EQ(GeneralPractitionerOf(read), "Organization/pc-vc1 ");
    }
  }
  EXPECT_GE(Hits(*node_a_), 1);
  EXPECT_GE(Hits(*node_b_), 1);

  // A new version through node a: node a answers it at once.
  auto admin_a = node_a_->Client("admin");
  auto put = admin_a->Request("PUT", "/fhir/Patient/pc-patient",
                              reg::PatientWithPnr("pc-patient", reg::NextPersonnummer(), "Efter"), reg::kFhirJson);
  ASSERT_EQ(put.status, 200) << put.body;
  auto at_a = ehr_a->Request("GET", "/fhir/Patient/pc-patient");
  ASSERT_EQ(at_a.status, 200);
  EXPECT_EQ(VersionOf(at_a), 2);

  // A change of listing (another resource naming the patient) through node a: the derived
  // generalPractitioner at once on node a.
  auto moved = admin_a->Request("PUT", "/fhir/EpisodeOfCare/pc-listing-2",
                                reg::EpisodeJson("pc-listing-2", "pc-patient", "pc-vc2", Date::Today().ToString()), reg::kFhirJson);
  ASSERT_EQ(moved.status, 201) << moved.body;
  at_a = ehr_a->Request("GET", "/fhir/Patient/pc-patient");
  EXPECT_EQ(GeneralPractitionerOf(at_a), "Organization/pc-vc2 ");

  // Node b forgets its answer when the notification arrives (docs/api.md section 12: milliseconds
  // normally; bounded here by 10 s so that a loaded machine does not fail the test).
  testing::HttpResult at_b;
  for (int i = 0; i < 200; ++i) {
    at_b = ehr_b->Request("GET", "/fhir/Patient/pc-patient");
    ASSERT_EQ(at_b.status, 200);
    if (GeneralPractitionerOf(at_b) == "Organization/pc-vc2 ") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(VersionOf(at_b), 2);
  EXPECT_EQ(GeneralPractitionerOf(at_b), "Organization/pc-vc2 ");
}

TEST_F(PatientCacheTest, EveryReadAnsweredFromTheCacheHasItsAuditRow) {
  ASSERT_TRUE(Live(*node_b_));
  auto ehr = node_b_->Client("ehr");
  std::vector<std::string> request_ids;
  for (int i = 0; i < 10; ++i) {
    auto read = ehr->Request("GET", "/fhir/Patient/pc-patient");
    ASSERT_EQ(read.status, 200) << read.body;
    ASSERT_FALSE(read.headers["x-request-id"].empty());
    request_ids.push_back(read.headers["x-request-id"]);
  }
  EXPECT_GE(Hits(*node_b_), 9);
  std::string in;
  for (const auto& id : request_ids) in += (in.empty() ? "'" : ",'") + id + "'";
  auto [code, out] = testing::Psql(node_a_->database_url(),
                                   "SELECT count(DISTINCT request_id) FROM audit_event WHERE action = 'read' AND "
                                   "outcome = 'success' AND patient_ids @> ARRAY['pc-patient'] AND request_id IN (" +
                                       in + ")");
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(Trimmed(out), "10");
}

}  // namespace
}  // namespace nara::e2e
