// Freeing a place on a doctor's list (RegistryTransaction::LockRoleToFree, schema/0013_free_place.sql)
// against a real PostgreSQL cluster, with the transactions interleaved step by step: a freer and a
// joiner of the waiting list always meet whichever locks first, freers of one role do not wait for
// each other when nobody waits, and two freers that both find a queue do not deadlock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "pg/pg_store.h"
#include "registry/date.h"
#include "registry/facts.h"
#include "registry/registry_store.h"
#include "registry/resource_store.h"
#include "registry/waitlist.h"
#include "tests/pg/lock_waits.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

RoleFacts Doctor(int capacity) {
  RoleFacts r;
  r.id = "doc";
  r.practitioner_id = "prac-doc";
  r.unit_id = "vc-1";
  r.profession = "lakare";
  r.capacity = capacity;
  return r;
}

// A fast läkarkontakt on "doc" since a month, or ended today (which frees its place).
ContactFacts Place(const std::string& id, const std::string& patient, bool ended = false) {
  ContactFacts c;
  c.id = id;
  c.patient_id = patient;
  c.role = ContactRole::fast_lakarkontakt;
  c.practitioner_role_id = "doc";
  c.managing_unit_id = "vc-1";
  c.status = ContactStatus::active;
  c.period = Period{Date::Today().AddDays(-30), ended ? std::optional<Date>(Date::Today()) : std::nullopt};
  return c;
}

QueueEntry Entry(const std::string& task_id, const std::string& patient) {
  QueueEntry e;
  e.task_id = task_id;
  e.patient_id = patient;
  e.role_id = "doc";
  e.authored_on = "2026-01-01T00:00:00.000Z";
  return e;
}

// Steps the test's transactions wait for, advanced by whichever thread reaches them.
class Stages {
 public:
  void Advance(int to) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stage_ = std::max(stage_, to);
    }
    cv_.notify_all();
  }
  void Await(int at) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stage_ >= at; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int stage_ = 0;
};

class FreePlaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("free");
    store_ = std::make_unique<PgStore>(url_, 8);
  }

  void InTx(const std::function<void(RegistryTransaction&)>& fn) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      fn(tx.Registry());
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
  }

  bool SomeoneWaitsForALockBefore(const std::function<bool()>& done) {
    return nara::testing::SomeoneWaitsForALockBefore(url_, done);
  }

  // Runs `hold` in a transaction that stays open, holding its locks, while `other` runs in a second
  // one; `waited`: whether some session had to wait for a lock before `other` set its `past` flag
  // (or finished). Then lets `hold` commit; both must commit.
  void OtherWhileHeld(const std::function<void(RegistryTransaction&)>& hold,
                      const std::function<void(RegistryTransaction&, std::atomic<bool>& past)>& other, bool& waited) {
    Stages stages;
    auto holder = std::async(std::launch::async, [&] {
      return store_->Transact([&](ResourceTransaction& tx) -> Status {
        hold(tx.Registry());
        stages.Advance(1);
        stages.Await(2);
        return Ok();
      });
    });
    stages.Await(1);
    std::atomic<bool> past{false};
    auto second = std::async(std::launch::async, [&] {
      Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
        other(tx.Registry(), past);
        return Ok();
      });
      past = true;
      return status;
    });
    waited = SomeoneWaitsForALockBefore([&] { return past.load(); });
    stages.Advance(2);
    ASSERT_TRUE(holder.get().ok());
    ASSERT_TRUE(second.get().ok());
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

// The freer locks first and finds nobody waiting; a joiner that comes before the freer commits must
// wait for that commit and then count the freed place (so it takes it instead of queueing).
TEST_F(FreePlaceTest, AFreerThatFindsNobodyWaitingHoldsOffAJoinerUntilItCommits) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Doctor(1));
    reg.PutContact(Place("ct-h", "p-h"));
  });
  std::optional<bool> someone_waits;
  int listed = -1;
  bool joiner_waited = false;
  ASSERT_NO_FATAL_FAILURE(OtherWhileHeld(
      [&](RegistryTransaction& reg) {
        reg.PutContact(Place("ct-h", "p-h", /*ended=*/true));
        someone_waits = reg.LockRoleToFree("doc");
      },
      [&](RegistryTransaction& reg, std::atomic<bool>& counted) {
        const auto role = reg.LockRole("doc");
        listed = reg.CountDoctorContacts("doc", Date::Today());
        counted = true;
        if (listed >= role->capacity) reg.PutQueueEntry(Entry("task-q", "p-q"));
      },
      joiner_waited));
  ASSERT_TRUE(someone_waits.has_value());
  EXPECT_FALSE(*someone_waits);
  EXPECT_TRUE(joiner_waited) << "the joiner counted the list before the freer committed";
  EXPECT_EQ(listed, 0) << "the joiner must see the freed place, not queue for a full list";
  InTx([&](RegistryTransaction& reg) { EXPECT_EQ(reg.CountWaiting("doc"), 0); });
}

// The race the lock is for: a joiner that saw the list full (the freer had not committed) and a
// freer that looks at the queue before the joiner commits. The freer must wait for the joiner's
// commit and find its entry, or the freed place would stay empty with somebody waiting.
TEST_F(FreePlaceTest, AFreerWaitsForAJoinerThatSawTheListFullAndFindsItsEntry) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Doctor(1));
    reg.PutContact(Place("ct-h", "p-h"));
  });
  Stages stages;
  std::atomic<bool> freer_looked{false};
  std::optional<bool> someone_waits;
  auto freer = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      tx.Registry().PutContact(Place("ct-h", "p-h", /*ended=*/true));
      stages.Advance(1);
      stages.Await(2);
      someone_waits = tx.Registry().LockRoleToFree("doc");
      freer_looked = true;
      return Ok();
    });
  });
  stages.Await(1);
  int listed = -1;
  auto joiner = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto& reg = tx.Registry();
      const auto role = reg.LockRole("doc");
      listed = reg.CountDoctorContacts("doc", Date::Today());
      if (listed >= role->capacity) reg.PutQueueEntry(Entry("task-q", "p-q"));
      stages.Advance(3);
      stages.Await(4);
      return Ok();
    });
  });
  stages.Await(3);  // the joiner has queued and not committed
  stages.Advance(2);
  const bool freer_waited = SomeoneWaitsForALockBefore([&] { return freer_looked.load(); });
  stages.Advance(4);
  ASSERT_TRUE(joiner.get().ok());
  ASSERT_TRUE(freer.get().ok());
  EXPECT_EQ(listed, 1) << "the joiner counts before the freer commits";
  EXPECT_TRUE(freer_waited) << "the freer looked at the queue before the joiner committed";
  ASSERT_TRUE(someone_waits.has_value());
  EXPECT_TRUE(*someone_waits) << "the freer missed the entry that joined while it freed the place";
}

// Two transactions freeing places on one doctor with nobody waiting: the second neither waits for
// the first's commit nor is waited for (issue 15: they used to queue on the role's row lock).
TEST_F(FreePlaceTest, FreersOfOneRoleDoNotWaitForEachOtherWhenNobodyWaits) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Doctor(2));
    reg.PutContact(Place("ct-1", "p-1"));
    reg.PutContact(Place("ct-2", "p-2"));
  });
  bool second_waited = false;
  ASSERT_NO_FATAL_FAILURE(OtherWhileHeld(
      [&](RegistryTransaction& reg) {
        reg.PutContact(Place("ct-1", "p-1", /*ended=*/true));
        EXPECT_FALSE(reg.LockRoleToFree("doc"));
      },
      [&](RegistryTransaction& reg, std::atomic<bool>&) {
        reg.PutContact(Place("ct-2", "p-2", /*ended=*/true));
        EXPECT_FALSE(reg.LockRoleToFree("doc"));
      },
      second_waited));
  EXPECT_FALSE(second_waited) << "the second freer waited for the first one's commit";
  InTx([&](RegistryTransaction& reg) { EXPECT_EQ(reg.CountDoctorContacts("doc", Date::Today()), 0); });
}

// Two freers that both find a queue both go on to LockRole (to promote). Had each kept its weaker
// lock, each would wait for the other's: a deadlock, and one transaction run again. They must take
// their turns instead, each running once.
TEST_F(FreePlaceTest, FreersThatBothFindAQueueTakeTurnsWithoutADeadlock) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Doctor(2));
    reg.PutContact(Place("ct-1", "p-1"));
    reg.PutContact(Place("ct-2", "p-2"));
    reg.PutQueueEntry(Entry("task-q", "p-q"));
  });
  Stages stages;
  std::atomic<int> runs_first{0}, runs_second{0};
  auto first = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      ++runs_first;
      tx.Registry().PutContact(Place("ct-1", "p-1", /*ended=*/true));
      EXPECT_TRUE(tx.Registry().LockRoleToFree("doc"));
      stages.Advance(1);
      stages.Await(2);
      EXPECT_TRUE(tx.Registry().LockRole("doc"));
      return Ok();
    });
  });
  auto second = std::async(std::launch::async, [&] {
    stages.Await(1);
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      ++runs_second;
      tx.Registry().PutContact(Place("ct-2", "p-2", /*ended=*/true));
      EXPECT_TRUE(tx.Registry().LockRoleToFree("doc"));
      stages.Advance(2);
      EXPECT_TRUE(tx.Registry().LockRole("doc"));
      return Ok();
    });
  });
  ASSERT_TRUE(first.get().ok());
  ASSERT_TRUE(second.get().ok());
  EXPECT_EQ(runs_first.load(), 1) << "run again after a deadlock";
  EXPECT_EQ(runs_second.load(), 1) << "run again after a deadlock";
}

// The transaction that took a place on the role (FOR UPDATE) and then frees one there (a contact
// moved within the list) keeps its own lock when the look at the queue gives the weaker one back.
TEST_F(FreePlaceTest, ALockAlreadyHeldStaysWhenTheQueueIsFound) {
  InTx([&](RegistryTransaction& reg) {
    reg.PutRole(Doctor(1));
    reg.PutContact(Place("ct-h", "p-h"));
    reg.PutQueueEntry(Entry("task-q", "p-q"));
  });
  bool other_waited = false;
  ASSERT_NO_FATAL_FAILURE(OtherWhileHeld(
      [&](RegistryTransaction& reg) {
        EXPECT_TRUE(reg.LockRole("doc"));
        EXPECT_TRUE(reg.LockRoleToFree("doc"));
      },
      [&](RegistryTransaction& reg, std::atomic<bool>&) { EXPECT_TRUE(reg.LockRole("doc")); },
      other_waited));
  EXPECT_TRUE(other_waited) << "the role's FOR UPDATE was lost with the weaker lock";
}

}  // namespace
}  // namespace nara::pg
