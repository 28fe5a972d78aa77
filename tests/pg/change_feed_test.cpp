// The change feed (ResourceStore::Changes, schema/0006_change_feed.sql) against a real PostgreSQL:
// every version delivered once, in an order a poller can continue from, and a transaction that
// commits after a later one is held back until it commits instead of being skipped.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/pg_store_fixture.h"  // Request

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

// "Type/id/version" of each change, in feed order.
std::vector<std::string> Keys(const ChangePage& page) {
  std::vector<std::string> keys;
  for (const auto& r : page.resources) keys.push_back(r.type + "/" + r.id + "/" + std::to_string(r.version));
  return keys;
}

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("feed");
    store_ = std::make_unique<PgStore>(url_, 8);
  }

  void Write(const std::string& type, const std::string& id) {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto written = tx.Write(Request(type, id));
      if (!written) return written.error();
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << status.error().text;
  }

  ChangePage Changes(const ChangePosition& after, int count = 50, const std::string& type = "") {
    ChangeQuery query;
    query.after = after;
    query.count = count;
    query.type = type;
    auto page = store_->Changes(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().text);
    return page.ok() ? *page : ChangePage{};
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

TEST_F(ChangeFeedTest, PagesDeliverEveryVersionOnceAndAnEmptyPageKeepsThePosition) {
  Write("Patient", "a");
  Write("Patient", "a");
  Write("Organization", "u");
  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto gone = tx.Delete("Patient", "a", std::nullopt);
    if (!gone) return gone.error();
    return Ok();
  });
  ASSERT_TRUE(deleted.ok());

  ChangePage first = Changes({}, 2);
  EXPECT_TRUE(first.has_more);
  ChangePage second = Changes(first.last, 2);
  EXPECT_FALSE(second.has_more);
  std::vector<std::string> all = Keys(first);
  for (const auto& key : Keys(second)) all.push_back(key);
  EXPECT_EQ(all, (std::vector<std::string>{"Patient/a/1", "Patient/a/2", "Organization/u/1", "Patient/a/3"}));
  EXPECT_TRUE(second.resources.back().deleted);

  ChangePage empty = Changes(second.last);
  EXPECT_TRUE(empty.resources.empty());
  EXPECT_EQ(empty.last.txid, second.last.txid);
  EXPECT_EQ(empty.last.seq, second.last.seq);

  Write("Patient", "b");
  EXPECT_EQ(Keys(Changes(empty.last)), (std::vector<std::string>{"Patient/b/1"}));
  EXPECT_EQ(Keys(Changes({}, 50, "Organization")), (std::vector<std::string>{"Organization/u/1"}));
}

TEST_F(ChangeFeedTest, ATransactionCommittingLateIsHeldBackNotMissed) {
  // T1 writes X and stays open; T2 (started later, so a later transaction id) writes Y and commits.
  std::mutex mu;
  std::condition_variable cv;
  bool x_written = false, release = false;
  auto t1 = std::async(std::launch::async, [&] {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto written = tx.Write(Request("Patient", "x"));
      if (!written) return written.error();
      std::unique_lock<std::mutex> lock(mu);
      x_written = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return Ok();
    });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return x_written; }));
  }
  Write("Patient", "y");

  // A poll now must not hand out Y: X (an earlier transaction) could still commit before it.
  ChangePage during = Changes({});
  EXPECT_TRUE(during.resources.empty()) << "Y delivered while X's earlier transaction was still open";

  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(t1.get().ok());

  ChangePage after = Changes(during.last);
  EXPECT_EQ(Keys(after), (std::vector<std::string>{"Patient/x/1", "Patient/y/1"}));
  EXPECT_TRUE(Changes(after.last).resources.empty()) << "nothing may be delivered twice";
}

TEST_F(ChangeFeedTest, SinceLeavesOutOlderVersions) {
  Write("Patient", "old");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Write("Patient", "new");
  auto all = Changes({});
  ASSERT_EQ(all.resources.size(), 2u);
  ChangeQuery query;
  query.since = all.resources[1].last_updated;  // inclusive: the newer version's own time
  auto page = store_->Changes(query);
  ASSERT_TRUE(page.ok()) << page.error().text;
  EXPECT_EQ(Keys(*page), (std::vector<std::string>{"Patient/new/1"}));
}

}  // namespace
}  // namespace nara::pg
