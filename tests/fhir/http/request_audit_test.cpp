#include "fhir/http/request_audit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nara::fhir {
namespace {

StoredResource Team(const std::string& id, const std::string& patient) {
  StoredResource r;
  r.type = "CareTeam";
  r.id = id;
  r.version = 1;
  r.json = R"({"resourceType":"CareTeam","id":")" + id + R"(","status":"active","subject":{"reference":"Patient/)" +
           patient + R"("}})";
  return r;
}

// A search page's audit record names each resource and each patient once, in the order first met,
// after whatever the request named before (the lists are de-duplicated through a set since a page
// holds up to a thousand resources).
TEST(RequestAudit, AddAllNamesEachResourceAndPatientOnceInFirstSeenOrder) {
  RequestAudit audit;
  audit.Begin("read", "Patient", "p2");
  StoredResource patient;
  patient.type = "Patient";
  patient.id = "p3";
  patient.json = R"({"resourceType":"Patient","id":"p3"})";
  StoredResource tombstone;
  tombstone.type = "CareTeam";
  tombstone.id = "ct9";
  tombstone.deleted = true;
  StoredResource no_subject;
  no_subject.type = "CareTeam";
  no_subject.id = "ct8";
  no_subject.json = R"({"resourceType":"CareTeam","id":"ct8"})";
  audit.AddAll({Team("ct1", "p1"), Team("ct2", "p2"), Team("ct1", "p1"), patient, tombstone, no_subject,
                Team("ct3", "p1")});
  EXPECT_EQ(audit.resource_ids, (std::vector<std::string>{"p2", "ct1", "ct2", "p3", "ct9", "ct8", "ct3"}));
  EXPECT_EQ(audit.patient_ids, (std::vector<std::string>{"p2", "p1", "p3"}));
  // A second call goes on from the lists as they are.
  audit.AddAll({Team("ct2", "p2"), Team("ct4", "p4")});
  EXPECT_EQ(audit.resource_ids.back(), "ct4");
  EXPECT_EQ(audit.resource_ids.size(), 8u);
  EXPECT_EQ(audit.patient_ids, (std::vector<std::string>{"p2", "p1", "p3", "p4"}));
}

}  // namespace
}  // namespace nara::fhir
