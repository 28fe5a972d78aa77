// A change of listing frees the place at the doctor the patient leaves (docs/api.md section 9), over
// FhirApi and a real PgStore: with somebody waiting the first in line gets the place in the same
// transaction; with nobody waiting the change only frees it. This is the write bench/change_listing.sh
// measures, whose freeing now takes the role's weaker lock (schema/0013_free_place.sql).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <memory>
#include <string>

#include "fhir/http/http.h"
#include "fhir/http/router.h"
#include "pg/pg_store.h"
#include "registry/date.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/pg/migrated_database.h"

namespace nara::fhir {
namespace {

namespace reg = nara::e2e::reg;

std::string At(const std::string& body, const char* pointer) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) return "<not JSON>";
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  return v != nullptr && v->IsString() ? v->GetString() : "";
}

class ListingChangePromotionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<pg::PgStore>(nara::testing::MigratedDatabase("promote"), 4);
    api_ = std::make_unique<FhirApi>(*store_, ApiOptions{});
  }

  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body = "",
                    std::map<std::string, std::string> headers = {}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    request.headers = std::move(headers);
    request.body = body;
    if (!body.empty()) request.headers["content-type"] = "application/fhir+json";
    request.base_url = "https://test/fhir";
    request.caller.hsa_id = "SE2321000016-A001";
    request.caller.role = "admin";
    request.request_id = "test";
    return api_->Handle(request);
  }

  void Put(const std::string& type, const std::string& id, const std::string& json) {
    const HttpResponse r = Send("PUT", "/" + type + "/" + id, json);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << type << "/" << id << ": " << r.status << " " << r.body;
  }

  std::unique_ptr<pg::PgStore> store_;
  std::unique_ptr<FhirApi> api_;
};

TEST_F(ListingChangePromotionTest, TheDoctorsPlaceGoesToTheFirstInLineOrStaysFree) {
  Put("Organization", "region", reg::OrganizationJson("region", "SE2321000016-0001", "region"));
  Put("Organization", "vc1", reg::OrganizationJson("vc1", "SE2321000016-V001", "vardcentral", "region"));
  Put("Organization", "vc2", reg::OrganizationJson("vc2", "SE2321000016-V002", "vardcentral", "region"));
  Put("Practitioner", "pr-full", reg::PractitionerJson("pr-full", "Full"));
  Put("Practitioner", "pr-free", reg::PractitionerJson("pr-free", "Ledig"));
  Put("PractitionerRole", "full", reg::RoleJson("full", "pr-full", "vc1", "lakare", 1));
  Put("PractitionerRole", "free", reg::RoleJson("free", "pr-free", "vc1", "lakare", 1));
  for (const char* p : {"mover", "waiter", "alone"}) {
    Put("Patient", p, reg::PatientWithPnr(p, reg::NextPersonnummer(), p));
    Put("EpisodeOfCare", std::string("l-") + p, reg::EpisodeJson(std::string("l-") + p, p, "vc1", "2024-01-01"));
  }
  Put("CareTeam", "ct-mover", reg::CareTeamJson("ct-mover", "mover", "full", "vc1", "2024-02-01"));
  Put("CareTeam", "ct-alone", reg::CareTeamJson("ct-alone", "alone", "free", "vc1", "2024-02-01"));
  const HttpResponse queued = Send("PUT", "/CareTeam/ct-waiter",
                                   reg::CareTeamJson("ct-waiter", "waiter", "full", "vc1", "2024-03-01"),
                                   {{"prefer", "waitlist=true"}});
  ASSERT_EQ(queued.status, 201) << queued.body;
  ASSERT_EQ(At(queued.body, "/resourceType"), "Task") << queued.body;
  const std::string task = At(queued.body, "/id");

  // The mover lists at vc2: the contact at the full doctor ends and the waiter gets the place.
  const std::string today = Date::Today().ToString();
  const HttpResponse moved = Send("POST", "/EpisodeOfCare", reg::EpisodeJson("", "mover", "vc2", today));
  ASSERT_EQ(moved.status, 201) << moved.body;
  const std::string promoted = Send("GET", "/Task/" + task).body;
  EXPECT_EQ(At(promoted, "/status"), "completed") << promoted;
  const std::string output = At(promoted, "/output/0/valueReference/reference");
  const std::string team = Send("GET", "/" + output).body;
  EXPECT_EQ(At(team, "/subject/reference"), "Patient/waiter") << team;
  EXPECT_EQ(At(team, "/participant/0/member/reference"), "PractitionerRole/full") << team;
  EXPECT_EQ(At(team, "/status"), "active") << team;
  EXPECT_EQ(At(Send("GET", "/CareTeam/ct-mover").body, "/status"), "inactive");

  // Nobody waits for the other doctor: the change frees the place and promotes nobody.
  const HttpResponse alone = Send("POST", "/EpisodeOfCare", reg::EpisodeJson("", "alone", "vc2", today));
  ASSERT_EQ(alone.status, 201) << alone.body;
  EXPECT_EQ(At(Send("GET", "/CareTeam/ct-alone").body, "/status"), "inactive");
  const std::string list = Send("GET", "/PractitionerRole/free/$list-status").body;
  EXPECT_EQ(reg::ParamNumber(list, "listed"), 0) << list;
  EXPECT_EQ(reg::ParamNumber(list, "waiting"), 0) << list;
}

}  // namespace
}  // namespace nara::fhir
