// The feed behind the Patient answer cache (schema/0014_patient_answer_feed.sql, 0015_doctor_list_feed.sql,
// pg/patient_feed.h),
// against a real PostgreSQL: a committed change to anything an answer is made of names its patient,
// a rolled-back one names nobody, a bulk load sends one '*', and a lost connection is reported and
// listened to again.
#include "pg/patient_feed.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

// What the feed reported, in order ("live", "lost", "*", or a patient id); heartbeats left out.
class Heard {
 public:
  PatientFeedHandlers Handlers() {
    PatientFeedHandlers h;
    h.changed = [this](const std::string& id) { Add(id); };
    h.list_changed = [this](const std::string& role) { Add("PractitionerRole/" + role); };
    h.all_changed = [this] { Add("*"); };
    h.live = [this](bool live, const std::string&) { Add(live ? "live" : "lost"); };
    h.heard = [] {};
    return h;
  }
  // Waits (bounded) until `what` has been reported `times` times.
  bool WaitFor(const std::string& what, int times = 1) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return CountLocked(what) >= times; });
  }
  int Count(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    return CountLocked(what);
  }

 private:
  void Add(const std::string& what) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(what);
    }
    cv_.notify_all();
  }
  int CountLocked(const std::string& what) const {
    int n = 0;
    for (const auto& e : events_) n += e == what;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

class PatientFeedTest : public ::testing::Test {
 protected:
  void SetUp() override { url_ = testing::MigratedDatabase("patient_feed"); }
  void Exec(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  std::string url_;
};

TEST_F(PatientFeedTest, ACommittedChangeToWhatAnAnswerIsMadeOfNamesItsPatient) {
  Heard heard;
  PatientFeed feed(url_, heard.Handlers());
  ASSERT_TRUE(heard.WaitFor("live"));

  Exec("INSERT INTO registry_patient (patient_id) VALUES ('pf-patient')");
  ASSERT_TRUE(heard.WaitFor("pf-patient", 1));
  Exec("INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from) "
       "VALUES ('pf-ep', 'listning', 'pf-listed', 'u1', 'active', DATE '2026-01-01')");
  ASSERT_TRUE(heard.WaitFor("pf-listed", 1));
  Exec("INSERT INTO registry_contact (careteam_id, patient_id, role_code, status, valid_from) "
       "VALUES ('pf-ct', 'pf-contact', 2, 'active', DATE '2026-01-01')");
  ASSERT_TRUE(heard.WaitFor("pf-contact", 1));
  // The current version of a Patient; another type's row names nobody.
  Exec("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) VALUES "
       "('Patient', 'pf-resource', 1, now(), '{}'), ('Organization', 'pf-org', 1, now(), '{}');"
       "INSERT INTO resource_current (res_type, res_id, version, last_updated) VALUES "
       "('Patient', 'pf-resource', 1, now()), ('Organization', 'pf-org', 1, now())");
  ASSERT_TRUE(heard.WaitFor("pf-resource", 1));
  // An update and a delete name the patient too (and an update that moves a row names both patients).
  Exec("UPDATE registry_listing SET patient_id = 'pf-moved' WHERE episode_id = 'pf-ep'");
  ASSERT_TRUE(heard.WaitFor("pf-moved", 1));
  ASSERT_TRUE(heard.WaitFor("pf-listed", 2));
  Exec("DELETE FROM registry_contact WHERE careteam_id = 'pf-ct'");
  ASSERT_TRUE(heard.WaitFor("pf-contact", 2));
  EXPECT_EQ(heard.Count("pf-org"), 0);
}

// schema/0015_doctor_list_feed.sql: a change of who is on a doctor's list names the list.
TEST_F(PatientFeedTest, AChangeOfWhoIsOnADoctorsListNamesTheList) {
  Heard heard;
  PatientFeed feed(url_, heard.Handlers());
  ASSERT_TRUE(heard.WaitFor("live"));
  // A fast läkarkontakt names its role's list as well as its patient; another kind of contact does not.
  Exec("INSERT INTO registry_contact (careteam_id, patient_id, role_code, practitioner_role_id, status, valid_from) "
       "VALUES ('pf-dl', 'pf-listed', 2, 'pf-role-a', 'active', DATE '2026-01-01'), "
       "('pf-nurse', 'pf-listed', 1, 'pf-role-n', 'active', DATE '2026-01-01')");
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-a", 1));
  // Moved to another doctor: both lists.
  Exec("UPDATE registry_contact SET practitioner_role_id = 'pf-role-b' WHERE careteam_id = 'pf-dl'");
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-b", 1));
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-a", 2));
  // The Patient deleted (the list holds live Patients): its doctor's list; a new version that stays
  // live names the patient only.
  Exec("INSERT INTO resource_version (res_type, res_id, version, last_updated, body) VALUES "
       "('Patient', 'pf-listed', 1, now(), '{}'), ('Patient', 'pf-listed', 2, now(), '{}'), "
       "('Patient', 'pf-listed', 3, now(), '{}')");
  Exec("INSERT INTO resource_current (res_type, res_id, version, last_updated) VALUES ('Patient', 'pf-listed', 1, now())");
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-b", 2));  // a Patient that comes into being
  Exec("UPDATE resource_current SET version = 2 WHERE res_type = 'Patient' AND res_id = 'pf-listed'");
  ASSERT_TRUE(heard.WaitFor("pf-listed", 4));  // (one per transaction: PostgreSQL folds the same payload)
  Exec("UPDATE resource_current SET version = 3, deleted = true WHERE res_type = 'Patient' AND res_id = 'pf-listed'");
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-b", 3));
  Exec("DELETE FROM registry_contact WHERE careteam_id = 'pf-dl'");
  ASSERT_TRUE(heard.WaitFor("PractitionerRole/pf-role-b", 4));
  EXPECT_EQ(heard.Count("PractitionerRole/pf-role-b"), 4);  // (the version that stayed live named none)
  EXPECT_EQ(heard.Count("PractitionerRole/pf-role-n"), 0);
}

TEST_F(PatientFeedTest, ARolledBackChangeNamesNobodyAndABulkLoadSendsOneForgetEverything) {
  Heard heard;
  PatientFeed feed(url_, heard.Handlers());
  ASSERT_TRUE(heard.WaitFor("live"));
  {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec("INSERT INTO registry_patient (patient_id) VALUES ('pf-rolled-back')");
    tx.abort();
  }
  // As nara import does (pg/pg_import.cpp): rows without a notification each, one '*' at commit.
  Exec("SET LOCAL nara.patient_feed = 'off';"
       "INSERT INTO registry_patient (patient_id) SELECT 'pf-bulk-' || i FROM generate_series(1, 1000) i;"
       "SELECT pg_notify('nara_patient_changed', '*')");
  Exec("INSERT INTO registry_patient (patient_id) VALUES ('pf-after')");  // notifications arrive in commit order
  ASSERT_TRUE(heard.WaitFor("pf-after"));
  EXPECT_EQ(heard.Count("*"), 1);
  EXPECT_EQ(heard.Count("pf-rolled-back"), 0);
  EXPECT_EQ(heard.Count("pf-bulk-1"), 0);
  EXPECT_EQ(heard.Count("pf-bulk-1000"), 0);
}

TEST_F(PatientFeedTest, ALostConnectionIsReportedAndListenedToAgain) {
  Heard heard;
  PatientFeed feed(url_, heard.Handlers(), std::chrono::milliseconds(50));
  ASSERT_TRUE(heard.WaitFor("live"));
  // The listener's backend is the one that sends the heartbeats.
  Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
       "query LIKE '%pg_notify(''nara_patient_changed'', '''')%'");
  ASSERT_TRUE(heard.WaitFor("lost"));
  ASSERT_TRUE(heard.WaitFor("live", 2));
  EXPECT_GE(feed.reconnects(), 1);
  Exec("INSERT INTO registry_patient (patient_id) VALUES ('pf-after-reconnect')");
  EXPECT_TRUE(heard.WaitFor("pf-after-reconnect"));
}

TEST_F(PatientFeedTest, ADatabaseWhoseWritersDoNotAnnounceChangesIsNeverLive) {
  Exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET nara.patient_feed = ''off''', current_database()); END $$");
  Heard heard;
  PatientFeed feed(url_, heard.Handlers());
  ASSERT_TRUE(heard.WaitFor("lost"));
  EXPECT_EQ(heard.Count("live"), 0);
}

}  // namespace
}  // namespace nara::pg
