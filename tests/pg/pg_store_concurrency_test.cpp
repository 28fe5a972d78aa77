// PgStore under concurrent writers against a real PostgreSQL cluster: one winner for one identifier,
// If-Match races, versions without gaps, lastUpdated never going backwards.
#include "tests/pg/pg_store_fixture.h"

namespace nara::pg {
namespace {

// Concurrency

TEST_F(PgStoreTest, ConcurrentCreatesOfOnePersonMakeExactlyOne) {
  constexpr int kThreads = 20;
  const IndexEntries pnr = WithUnique(kPnrSystem, kPnr);
  std::atomic<int> ok{0}, conflicts{0}, other{0};
  RunConcurrently(kThreads, [&](int) {
    auto written = WriteOne(*store_, Request("Patient", "", pnr));
    if (written.ok()) {
      ++ok;
    } else if (written.error().kind == ErrorKind::conflict) {
      ++conflicts;
    } else {
      ++other;
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM unique_identifier"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_current"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_version"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token"), 1);
  EXPECT_EQ(store_->pool_in_use(), 0);
}

TEST_F(PgStoreTest, ConcurrentIfMatchUpdatesLetExactlyOneWin) {
  constexpr int kThreads = 20;
  auto created = WriteOne(*store_, Request("Patient", ""));
  ASSERT_TRUE(created.ok());
  const std::string id = created->resource.id;
  std::atomic<int> ok{0}, stale{0}, other{0};
  RunConcurrently(kThreads, [&](int) {
    WriteRequest request = Request("Patient", id);
    request.if_match = 1;
    auto written = WriteOne(*store_, request);
    if (written.ok()) {
      ++ok;
    } else if (written.error().kind == ErrorKind::precondition_failed) {
      ++stale;
    } else {
      ++other;
    }
  });
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(stale.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(store_->Read("Patient", id)->version, 2);
  EXPECT_EQ(StoredVersions("Patient", id), (std::vector<int>{1, 2}));
}

TEST_F(PgStoreTest, ConcurrentUnconditionalUpdatesGetDistinctVersionsWithoutGaps) {
  constexpr int kThreads = 20;
  auto created = WriteOne(*store_, Request("Patient", ""));
  ASSERT_TRUE(created.ok());
  const std::string id = created->resource.id;
  std::mutex mu;
  std::vector<int> versions;
  std::atomic<int> failures{0};
  RunConcurrently(kThreads, [&](int) {
    auto written = WriteOne(*store_, Request("Patient", id));
    if (!written.ok()) {
      ++failures;
      return;
    }
    // The JSON carries the version it was written as.
    EXPECT_NE(written->resource.json.find("\"versionId\":\"" + std::to_string(written->resource.version) + "\""),
              std::string::npos);
    std::lock_guard<std::mutex> lock(mu);
    versions.push_back(written->resource.version);
  });
  EXPECT_EQ(failures.load(), 0);
  std::sort(versions.begin(), versions.end());
  std::vector<int> expected;
  for (int v = 2; v <= kThreads + 1; ++v) expected.push_back(v);
  EXPECT_EQ(versions, expected);
  std::vector<int> all{1};
  all.insert(all.end(), expected.begin(), expected.end());
  EXPECT_EQ(StoredVersions("Patient", id), all);
  EXPECT_EQ(store_->Read("Patient", id)->version, kThreads + 1);
}

TEST_F(PgStoreTest, ConcurrentWritesOfOneNewClientIdCreateOnce) {
  constexpr int kThreads = 20;
  std::atomic<int> created{0}, failures{0};
  RunConcurrently(kThreads, [&](int) {
    auto written = WriteOne(*store_, Request("Patient", "same-new-id"));
    if (!written.ok()) {
      ++failures;
    } else if (written->created) {
      ++created;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), 1);
  std::vector<int> expected;
  for (int v = 1; v <= kThreads; ++v) expected.push_back(v);
  EXPECT_EQ(StoredVersions("Patient", "same-new-id"), expected);
}

// meta.lastUpdated must not go backwards from one version to the next: `_since` polling and
// `_lastUpdated` searches depend on it. Here a writer that had to wait for the row lock is
// forced to commit after a version stamped later than the moment it started waiting.
TEST_F(PgStoreTest, LastUpdatedNeverGoesBackwardsAcrossVersions) {
  // Regression (fixed): PgTransaction::Write (pg/pg_store.cpp) takes NowRfc3339() before LockCurrent(); a writer that waits for the row lock stamps its version with the time it started waiting, earlier than the version committed before it
  auto created = WriteOne(*store_, Request("Patient", "clock"));
  ASSERT_TRUE(created.ok());
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      auto v2 = tx.Write(Request("Patient", "clock"));  // takes the row lock
      EXPECT_TRUE(v2.ok());
      holding = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      auto v3 = tx.Write(Request("Patient", "clock"));  // stamped ~300 ms later
      EXPECT_TRUE(v3.ok());
      return Ok();
    });
    EXPECT_TRUE(status.ok());
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto v4 = WriteOne(*store_, Request("Patient", "clock"));  // waits for the holder's commit
  holder.join();
  ASSERT_TRUE(v4.ok()) << v4.error().text;
  EXPECT_EQ(v4->resource.version, 4);
  auto v3 = store_->ReadVersion("Patient", "clock", 3);
  ASSERT_TRUE(v3.ok());
  EXPECT_GE(v4->resource.last_updated, v3->last_updated);
  HistoryQuery since;
  since.type = "Patient";
  since.id = "clock";
  since.since = v3->last_updated;
  auto page = store_->History(since);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->resources.size(), 2u) << "the current version must be in _history?_since=<previous version>";
}

}  // namespace
}  // namespace nara::pg
