// The subscription outbox and its numbering (pg/pg_subscriptions.*, schema/0007_subscriptions.sql)
// against a real PostgreSQL: an event exists exactly when its change committed; every subscription's
// events are numbered 1..N without gap or repeat, also with concurrent writers and two dispatching
// nodes; a write that waited for another's row lock gets its events after all of the other's; a
// subscription is leased to one node at a time; failures back off and end in `error`.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pg/pg_store.h"
#include "pg/pg_subscriptions.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/pg_store_fixture.h"  // Request
#include "tests/pg/write_one.h"
#include "tests/support/concurrency.h"

namespace nara::pg {
namespace {

constexpr const char* kTopic = "https://fhir.nara-registry.org/SubscriptionTopic/listing-change";

SubscriptionRecord Record(const std::string& id) {
  SubscriptionRecord record;
  record.id = id;
  record.owner_hsa_id = "SE2321000016-E001";
  record.topic = kTopic;
  record.payload = "id-only";
  record.endpoint = "https://localhost:9/hook";
  record.timeout_seconds = 1;
  record.body = R"({"resourceType":"Subscription"})";
  return record;
}

// Every subscription hears of every change.
std::vector<std::pair<std::string, std::string>> All(const OutboxChange&, const std::vector<SubscriptionRecord>& subs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : subs) out.emplace_back(s.id, kTopic);
  return out;
}

class SubscriptionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("subs");
    store_ = std::make_unique<PgStore>(url_, 12, "nara_server");
    subs_ = std::make_unique<PgSubscriptions>(url_, 2, "nara_server");
  }

  void Write(const std::string& type, const std::string& id) {
    auto written = nara::testing::WriteOne(*store_, Request(type, id));
    ASSERT_TRUE(written.ok()) << written.error().text;
  }

  void DispatchEverything(SubscriptionStore& subs) {
    for (;;) {
      auto taken = subs.Dispatch(100, All);
      ASSERT_TRUE(taken.ok()) << taken.error().text;
      if (*taken == 0) return;
    }
  }

  // "Type/id/version" of a subscription's events, in number order; checks the numbers are 1..N.
  std::vector<std::string> EventKeys(const std::string& id) {
    auto events = subs_->Events(id, 1, 1'000'000, 100'000);
    EXPECT_TRUE(events.ok());
    std::vector<std::string> keys;
    long long expected = 1;
    for (const auto& event : *events) {
      EXPECT_EQ(event.number, expected++) << "a gap or a repeat in the numbering";
      keys.push_back(event.resource.type + "/" + event.resource.id + "/" + std::to_string(event.resource.version));
    }
    return keys;
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
  std::unique_ptr<PgSubscriptions> subs_;
};

TEST_F(SubscriptionStoreTest, AnEventExistsExactlyWhenItsChangeCommitted) {
  ASSERT_TRUE(subs_->Create(Record("s1")).ok());
  Write("EpisodeOfCare", "a");
  Status refused = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(Request("EpisodeOfCare", "rolled-back"));
    if (!written) return written.error();
    return Error::BusinessRule("list-full", "the rule said no after the write");
  });
  ASSERT_FALSE(refused.ok());
  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto gone = tx.Delete("EpisodeOfCare", "a", std::nullopt);
    return gone ? Ok() : Status(gone.error());
  });
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*subs_->OutboxBacklog(), 2);

  DispatchEverything(*subs_);
  EXPECT_EQ(*subs_->OutboxBacklog(), 0);
  EXPECT_EQ(EventKeys("s1"), (std::vector<std::string>{"EpisodeOfCare/a/1", "EpisodeOfCare/a/2"}));
  auto events = subs_->Events("s1", 2, 2, 10);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_TRUE(events->front().resource.deleted);
  EXPECT_EQ(subs_->Get("s1")->events_since_start, 2);
}

TEST_F(SubscriptionStoreTest, ConcurrentWritersAndTwoDispatchingNodesNumberEverySubscriptionWithoutGap) {
  for (const char* id : {"s1", "s2", "s3"}) ASSERT_TRUE(subs_->Create(Record(id)).ok());
  PgSubscriptions other_node(url_, 2, "nara_server");
  constexpr int kWriters = 6, kWrites = 40;
  std::atomic<bool> writing{true};
  // Two nodes dispatch while the writers write.
  auto dispatcher = [&](SubscriptionStore& subs) {
    return std::async(std::launch::async, [&] {
      while (writing) ASSERT_TRUE(subs.Dispatch(50, All).ok());
    });
  };
  auto node_a = dispatcher(*subs_);
  auto node_b = dispatcher(other_node);
  nara::testing::RunConcurrently(kWriters, [&](int writer) {
    for (int i = 0; i < kWrites; ++i) {
      // Half the writes go to one shared resource, so writers also wait for each other's row locks.
      const std::string id = i % 2 ? "shared" : "w" + std::to_string(writer) + "-" + std::to_string(i);
      auto written = nara::testing::WriteOne(*store_, Request("EpisodeOfCare", id));
      ASSERT_TRUE(written.ok()) << written.error().text;
    }
  });
  writing = false;
  node_a.get();
  node_b.get();
  DispatchEverything(other_node);

  for (const char* id : {"s1", "s2", "s3"}) {
    const auto keys = EventKeys(id);
    ASSERT_EQ(keys.size(), static_cast<size_t>(kWriters * kWrites)) << id;
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size()) << "a change numbered twice";
    // The shared resource's versions arrive in the order they were written: 1, 2, 3 …
    int last_shared = 0;
    for (const auto& key : keys) {
      if (key.rfind("EpisodeOfCare/shared/", 0) != 0) continue;
      const int version = std::stoi(key.substr(std::string("EpisodeOfCare/shared/").size()));
      EXPECT_EQ(version, last_shared + 1);
      last_shared = version;
    }
    EXPECT_EQ(last_shared, kWriters * kWrites / 2);
  }
}

// /metrics' view (SubscriptionStats): the outbox backlog, and by status the subscriptions and their
// events numbered but not acknowledged.
TEST_F(SubscriptionStoreTest, StatsCountTheBacklogAndThePendingEventsByStatus) {
  auto empty = subs_->Stats();
  ASSERT_TRUE(empty.ok()) << empty.error().text;
  EXPECT_EQ(empty->outbox, 0);
  EXPECT_TRUE(empty->by_status.empty());
  ASSERT_TRUE(subs_->Create(Record("s1")).ok());
  ASSERT_TRUE(subs_->Create(Record("s2")).ok());
  ASSERT_TRUE(subs_->Create(Record("s3")).ok());
  for (const char* id : {"a", "b", "c"}) Write("EpisodeOfCare", id);
  EXPECT_EQ(subs_->Stats()->outbox, 3);
  DispatchEverything(*subs_);
  ASSERT_TRUE(subs_->RecordDelivered("s1", "node-a", 2, "active").ok());  // 1 of 3 still pending
  ASSERT_TRUE(subs_->RecordFailure("s2", "node-a", 0, true, "gave up").ok());  // error, 3 pending
  auto stats = subs_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.error().text;
  EXPECT_EQ(stats->outbox, 0);
  std::map<std::string, std::pair<long long, long long>> by_status;
  for (const auto& s : stats->by_status) by_status[s.status] = {s.subscriptions, s.pending};
  EXPECT_EQ(by_status, (std::map<std::string, std::pair<long long, long long>>{
                           {"active", {1, 1}}, {"error", {1, 3}}, {"requested", {1, 3}}}));
}

TEST_F(SubscriptionStoreTest, AWriteThatWaitedForAnothersLockComesAfterAllOfIt) {
  ASSERT_TRUE(subs_->Create(Record("s1")).ok());
  Write("EpisodeOfCare", "a");
  DispatchEverything(*subs_);
  // T1 writes A and holds its row lock. T2 writes B (so B is its first change), then waits for A.
  // T1 writes C and commits; T2 then writes A and commits. In commit order T1's A and C come before
  // T2's B and A, although T2 wrote B before T1 wrote C.
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  auto advance = [&](int to) {
    std::lock_guard<std::mutex> lock(mu);
    stage = to;
    cv.notify_all();
  };
  auto await = [&](int at) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stage >= at; });
  };
  auto t1 = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      if (auto w = tx.Write(Request("EpisodeOfCare", "a")); !w) return w.error();
      advance(1);
      await(3);
      if (auto w = tx.Write(Request("EpisodeOfCare", "c")); !w) return w.error();
      return Ok();
    });
  });
  await(1);
  auto t2 = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      if (auto w = tx.Write(Request("EpisodeOfCare", "b")); !w) return w.error();
      advance(2);
      if (auto w = tx.Write(Request("EpisodeOfCare", "a")); !w) return w.error();  // waits for T1
      return Ok();
    });
  });
  await(2);
  // Until T2 is seen waiting for the lock (a state, not a time).
  pqxx::connection watcher(url_);
  for (;;) {
    pqxx::read_transaction tx(watcher);
    if (tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")[0].as<int>() > 0) break;
    tx.commit();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  advance(3);
  ASSERT_TRUE(t1.get().ok());
  ASSERT_TRUE(t2.get().ok());
  DispatchEverything(*subs_);
  EXPECT_EQ(EventKeys("s1"), (std::vector<std::string>{"EpisodeOfCare/a/1", "EpisodeOfCare/a/2", "EpisodeOfCare/c/1",
                                                       "EpisodeOfCare/b/1", "EpisodeOfCare/a/3"}));
}

TEST_F(SubscriptionStoreTest, OneNodeHoldsTheLeaseAndFailuresEndInErrorWhileEventsGoOnBeingNumbered) {
  ASSERT_TRUE(subs_->Create(Record("s1")).ok());
  auto first = subs_->ClaimDue("node-a", 10);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().status, "requested");
  EXPECT_TRUE(subs_->ClaimDue("node-b", 10)->empty()) << "leased to node-a";
  ASSERT_TRUE(subs_->RecordDelivered("s1", "node-a", 0, "active").ok());
  EXPECT_EQ(subs_->Get("s1")->status, "active");
  EXPECT_TRUE(subs_->ClaimDue("node-b", 10)->empty()) << "nothing to send";

  Write("EpisodeOfCare", "a");
  DispatchEverything(*subs_);
  auto due = subs_->ClaimDue("node-b", 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().events_since_start, 1);
  EXPECT_EQ(due->front().delivered_through, 0);
  ASSERT_TRUE(subs_->RecordFailure("s1", "node-b", 60'000, false, "down").ok());
  EXPECT_TRUE(subs_->ClaimDue("node-a", 10)->empty()) << "backing off";
  ASSERT_TRUE(subs_->RecordFailure("s1", "node-b", 0, true, "gave up").ok());
  auto gave_up = subs_->Get("s1");
  EXPECT_EQ(gave_up->status, "error");
  EXPECT_EQ(gave_up->error, "gave up");
  EXPECT_EQ(gave_up->attempts, 2);
  EXPECT_TRUE(subs_->ClaimDue("node-a", 10)->empty()) << "no delivery in error";

  Write("EpisodeOfCare", "b");
  DispatchEverything(*subs_);
  EXPECT_EQ(EventKeys("s1"), (std::vector<std::string>{"EpisodeOfCare/a/1", "EpisodeOfCare/b/1"}));

  ASSERT_TRUE(subs_->Reactivate("s1").ok());
  auto again = subs_->ClaimDue("node-a", 10);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().status, "requested");
  EXPECT_EQ(again->front().attempts, 0);
  ASSERT_TRUE(subs_->RecordDelivered("s1", "node-a", 2, "active").ok());
  EXPECT_EQ(subs_->Get("s1")->delivered_through, 2);
  ASSERT_TRUE(subs_->Remove("s1").ok());
  EXPECT_EQ(subs_->Get("s1").error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace nara::pg
