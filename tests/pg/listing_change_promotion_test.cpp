// Freeing a place on a doctor's list over FhirApi and a real PgStore (docs/api.md section 9). A change
// of listing frees the place at the doctor the patient leaves: with somebody waiting the first in line
// gets it in the same transaction; with nobody waiting the change only frees it (the write
// bench/change_listing.sh measures). Ending a fast läkarkontakt takes no place, so it does not wait
// for another transaction that is freeing a place on the same doctor (schema/0013_free_place.sql).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "fhir/http/http.h"
#include "fhir/http/router.h"
#include "pg/pg_store.h"
#include "registry/date.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/pg/lock_waits.h"
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
    url_ = nara::testing::MigratedDatabase("promote");
    store_ = std::make_unique<pg::PgStore>(url_, 4);
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

  // A vårdcentral with one doctor ("doc", capacity 2) and two listed patients on the doctor's list.
  void TwoOnTheList() {
    Put("Organization", "region", reg::OrganizationJson("region", "SE2321000016-0001", "region"));
    Put("Organization", "vc1", reg::OrganizationJson("vc1", "SE2321000016-V001", "vardcentral", "region"));
    Put("Practitioner", "pr", reg::PractitionerJson("pr", "Berg"));
    Put("PractitionerRole", "doc", reg::RoleJson("doc", "pr", "vc1", "lakare", 2));
    for (const char* p : {"a", "b"}) {
      Put("Patient", p, reg::PatientWithPnr(p, reg::NextPersonnummer(), p));
      Put("EpisodeOfCare", std::string("l-") + p, reg::EpisodeJson(std::string("l-") + p, p, "vc1", "2024-01-01"));
      Put("CareTeam", std::string("ct-") + p, reg::CareTeamJson(std::string("ct-") + p, p, "doc", "vc1", "2024-02-01"));
    }
  }

  std::string url_;
  std::unique_ptr<pg::PgStore> store_;
  std::unique_ptr<FhirApi> api_;
};

TEST_F(ListingChangePromotionTest, EndingAContactDoesNotWaitForAnotherFreerOfTheSameDoctor) {
  TwoOnTheList();
  // Another transaction freeing a place on the doctor, as far as its lock goes (nobody waits).
  pqxx::connection other(url_);
  pqxx::work freer(other);
  ASSERT_FALSE(freer.exec1("SELECT registry_lock_role_to_free('doc')")[0].as<bool>());

  std::atomic<bool> done{false};
  auto ended = std::async(std::launch::async, [&] {
    HttpResponse r = Send("PUT", "/CareTeam/ct-a",
                          reg::CareTeamJson("ct-a", "a", "doc", "vc1", "2024-02-01", "2", "inactive", "2024-06-01"));
    done = true;
    return r;
  });
  // Until the end is written or it waits for a lock: a state, never a time.
  const bool waited = nara::testing::SomeoneWaitsForALockBefore(url_, [&] { return done.load(); });
  freer.commit();
  const HttpResponse r = ended.get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(waited) << "ending a contact waited for another transaction freeing a place on the doctor";
  EXPECT_EQ(reg::ParamNumber(Send("GET", "/PractitionerRole/doc/$list-status").body, "listed"), 1);
}

TEST_F(ListingChangePromotionTest, TakingAPlaceStillWaitsForAFreerOfTheSameDoctor) {
  TwoOnTheList();
  Put("Patient", "c", reg::PatientWithPnr("c", reg::NextPersonnummer(), "c"));
  Put("EpisodeOfCare", "l-c", reg::EpisodeJson("l-c", "c", "vc1", "2024-01-01"));
  Put("CareTeam", "ct-a", reg::CareTeamJson("ct-a", "a", "doc", "vc1", "2024-02-01", "2", "inactive", "2024-06-01"));
  // A transaction freeing the other place, not yet committed.
  pqxx::connection other(url_);
  pqxx::work freer(other);
  freer.exec0("UPDATE registry_contact SET status = 'inactive', valid_to = DATE '2024-06-01' WHERE careteam_id = 'ct-b'");
  ASSERT_FALSE(freer.exec1("SELECT registry_lock_role_to_free('doc')")[0].as<bool>());

  std::atomic<bool> done{false};
  auto taken = std::async(std::launch::async, [&] {
    HttpResponse r = Send("PUT", "/CareTeam/ct-c", reg::CareTeamJson("ct-c", "c", "doc", "vc1", "2024-07-01"));
    done = true;
    return r;
  });
  const bool waited = nara::testing::SomeoneWaitsForALockBefore(url_, [&] { return done.load(); });
  freer.commit();
  const HttpResponse r = taken.get();
  EXPECT_TRUE(waited) << "a new contact counted the list before the freer committed";
  ASSERT_EQ(r.status, 201) << r.body;
}

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
