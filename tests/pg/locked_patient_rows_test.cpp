// A locked patient's rows (PgRegistry::LockPatient, KnownPatientRows) come with the lock and bring the
// patient's requested waiting-list entries along (issue 15: round trips less per change of listing),
// against a real cluster: they answer WaitingOfPatient as the query of its own did, a write of an
// entry in the same transaction is seen by the next look, and a lock that had to wait reads what the
// lock's previous holder committed.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "pg/pg_store.h"
#include "registry/facts.h"
#include "registry/registry_store.h"
#include "registry/resource_store.h"
#include "registry/waitlist.h"
#include "tests/pg/migrated_database.h"
#include "tests/support/facts.h"

namespace nara::pg {
namespace {

QueueEntry Entry(const std::string& task_id, const std::string& patient, const std::string& role,
                 QueueStatus status = QueueStatus::requested) {
  QueueEntry e;
  e.task_id = task_id;
  e.patient_id = patient;
  e.role_id = role;
  e.status = status;
  e.authored_on = "2026-03-04T05:06:07.089Z";
  return e;
}

PatientFacts Patient(const std::string& id) { return nara::testing::MakePatient(id); }

class LockedPatientRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("lockrows");
    store_ = std::make_unique<PgStore>(url_, 4);
  }

  void InTx(const std::function<void(RegistryTransaction&)>& fn) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      fn(tx.Registry());
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

TEST_F(LockedPatientRowsTest, ALockedPatientsRequestedEntriesAreThoseOfTheEntriesOwnQuery) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutPatient(Patient("p1"));
    reg.PutPatient(Patient("p2"));
    reg.PutQueueEntry(Entry("t-old", "p1", "doc-a", QueueStatus::cancelled));
    reg.PutQueueEntry(Entry("t-done", "p1", "doc-b", QueueStatus::completed));
    reg.PutQueueEntry(Entry("t-now", "p1", "doc-c"));
    reg.PutQueueEntry(Entry("t-other", "p2", "doc-c"));
  });
  std::vector<QueueEntry> unlocked;
  InTx([&](RegistryTransaction& reg) { unlocked = reg.WaitingOfPatient("p1"); });
  InTx([&](RegistryTransaction& reg) {
    ASSERT_TRUE(reg.LockPatient("p1"));
    const auto locked = reg.WaitingOfPatient("p1");
    ASSERT_EQ(locked.size(), 1u);
    ASSERT_EQ(unlocked.size(), 1u);
    for (const QueueEntry* e : std::vector<const QueueEntry*>{&locked[0], &unlocked[0]}) {
      EXPECT_EQ(e->task_id, "t-now");
      EXPECT_EQ(e->patient_id, "p1");
      EXPECT_EQ(e->role_id, "doc-c");
      EXPECT_EQ(e->status, QueueStatus::requested);
      EXPECT_EQ(e->authored_on, "2026-03-04T05:06:07.089Z");
      EXPECT_EQ(e->output_careteam_id, "");
    }
    EXPECT_TRUE(reg.Listings("p1").empty()) << "the entries are not taken for episodes";
    EXPECT_TRUE(reg.Contacts("p1").empty()) << "the entries are not taken for contacts";
  });
}

TEST_F(LockedPatientRowsTest, AnEntryWrittenUnderTheLockIsSeenByTheNextLook) {
  InTx([&](RegistryTransaction& reg) { reg.PutPatient(Patient("p1")); });
  InTx([&](RegistryTransaction& reg) {
    ASSERT_TRUE(reg.LockPatient("p1"));
    EXPECT_TRUE(reg.WaitingOfPatient("p1").empty());
    reg.PutQueueEntry(Entry("t-1", "p1", "doc-a"));
    ASSERT_EQ(reg.WaitingOfPatient("p1").size(), 1u);
    reg.PutQueueEntry(Entry("t-1", "p1", "doc-a", QueueStatus::cancelled));
    EXPECT_TRUE(reg.WaitingOfPatient("p1").empty()) << "a cancelled entry no longer waits";
  });
}

TEST_F(LockedPatientRowsTest, ALockThatWaitedReadsWhatItsHolderCommitted) {
  PatientFacts patient = Patient("p1");
  patient.is_protected = true;
  InTx([&](RegistryTransaction& reg) { reg.PutPatient(patient); });

  // Another writer holds the patient's lock and gives the patient a listing and a place in line.
  pqxx::connection holder_conn(url_);
  pqxx::work holder(holder_conn);
  holder.exec("SELECT 1 FROM registry_patient WHERE patient_id = 'p1' FOR UPDATE");
  holder.exec(
      "INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from) "
      "VALUES ('ep-held', 'listning', 'p1', 'vc-1', 'active', DATE '2025-01-01')");
  holder.exec(
      "INSERT INTO registry_waitlist (task_id, patient_id, role_id, status, authored_on) "
      "VALUES ('t-held', 'p1', 'doc-a', 'requested', TIMESTAMPTZ '2025-01-02T03:04:05.678Z')");

  std::optional<PatientFacts> locked;
  std::vector<EpisodeFacts> listings;
  std::vector<QueueEntry> waiting;
  std::thread waiter([&] {
    InTx([&](RegistryTransaction& reg) {
      locked = reg.LockPatient("p1");
      listings = reg.Listings("p1");
      waiting = reg.WaitingOfPatient("p1");
    });
  });
  // Commit only once the waiter is blocked on the lock, so its rows are read after a wait.
  pqxx::connection watch(url_);
  bool blocked = false;
  for (int i = 0; i < 500 && !blocked; ++i) {
    pqxx::nontransaction look(watch);
    blocked = look.exec1(
                      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                      "datname = current_database()")[0]
                  .as<int>() > 0;
    if (!blocked) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  holder.commit();
  waiter.join();
  ASSERT_TRUE(blocked) << "the waiter never waited for the lock";

  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->id, "p1");
  EXPECT_TRUE(locked->is_protected);
  EXPECT_EQ(locked->kommun, patient.kommun);
  ASSERT_EQ(listings.size(), 1u) << "the listing its holder committed while the lock waited";
  EXPECT_EQ(listings[0].id, "ep-held");
  EXPECT_EQ(listings[0].unit_id, "vc-1");
  ASSERT_EQ(waiting.size(), 1u) << "the place in line its holder committed while the lock waited";
  EXPECT_EQ(waiting[0].task_id, "t-held");
  EXPECT_EQ(waiting[0].authored_on, "2025-01-02T03:04:05.678Z");
}

TEST_F(LockedPatientRowsTest, NoSuchPatientIsNotLockedAndHasNoRows) {
  InTx([&](RegistryTransaction& reg) {
    EXPECT_FALSE(reg.LockPatient("p-nobody"));
    EXPECT_TRUE(reg.Listings("p-nobody").empty());
    EXPECT_TRUE(reg.WaitingOfPatient("p-nobody").empty());
  });
}

}  // namespace
}  // namespace nara::pg
