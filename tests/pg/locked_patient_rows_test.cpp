// A locked patient's rows (PgRegistry::KnownPatientRows) bring the patient's requested waiting-list
// entries along (issue 15: one round trip less per change of listing), against a real cluster: they
// answer WaitingOfPatient as the query of its own did, and a write of an entry in the same
// transaction is seen by the next look.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
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
  void SetUp() override { store_ = std::make_unique<PgStore>(nara::testing::MigratedDatabase("lockrows"), 4); }

  void InTx(const std::function<void(RegistryTransaction&)>& fn) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      fn(tx.Registry());
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
  }

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

}  // namespace
}  // namespace nara::pg
