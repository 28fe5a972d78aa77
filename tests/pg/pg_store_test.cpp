// PgStore (pg/pg_store.*) against a real PostgreSQL cluster: migrations, versions, tombstones, If-Match,
// unique identifiers and transactions. Every test gets its own fresh, migrated database.
// Search and history: pg_store_search_test.cpp; concurrent writers: pg_store_concurrency_test.cpp.
#include "tests/pg/pg_store_fixture.h"

namespace nara::pg {
namespace {

// Migrations

TEST(PgMigrations, FreshDatabaseListsEveryEmbeddedMigrationAsPending) {
  const std::string url = PgCluster::Shared().CreateDatabase("migr");
  auto pending = PendingMigrations(url);
  ASSERT_TRUE(pending.ok()) << pending.error().text;
  EXPECT_NE(std::find(pending->begin(), pending->end(), "0001_resources.sql"), pending->end());
  EXPECT_EQ(pending->size(), EmbeddedMigrations().size());
}

TEST(PgMigrations, ApplyingTwiceAppliesNothingTheSecondTime) {
  const std::string url = PgCluster::Shared().CreateDatabase("migr");
  auto first = ApplyMigrations(url);
  ASSERT_TRUE(first.ok()) << first.error().text;
  EXPECT_EQ(first->applied.size(), EmbeddedMigrations().size());
  EXPECT_EQ(first->already_applied, 0);
  ASSERT_FALSE(first->applied.empty());
  EXPECT_EQ(first->applied.front(), "0001_resources.sql");

  auto second = ApplyMigrations(url);
  ASSERT_TRUE(second.ok()) << second.error().text;
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->already_applied, static_cast<int>(EmbeddedMigrations().size()));

  auto pending = PendingMigrations(url);
  ASSERT_TRUE(pending.ok()) << pending.error().text;
  EXPECT_TRUE(pending->empty());

  auto [status, out] = nara::testing::Psql(url, "select count(*) from schema_migration");
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(std::stoi(out), static_cast<int>(EmbeddedMigrations().size()));
}

TEST(PgMigrations, PingSucceedsAfterMigrating) {
  const std::string url = PgCluster::Shared().CreateDatabase("migr");
  ASSERT_TRUE(ApplyMigrations(url).ok());
  PgStore store(url, 2);
  auto ping = store.Ping();
  EXPECT_TRUE(ping.ok()) << ping.error().text;
  EXPECT_EQ(store.pool_in_use(), 0);
}

TEST(PgMigrations, PingFailsBeforeMigrating) {
  // Regression (fixed): PgStore::Ping() on an unmigrated database throws pqxx::undefined_table (pg/pg_store.cpp, Ping: SELECT name FROM schema_migration; WithConnection only catches broken_connection) instead of returning Error::Unavailable
  const std::string url = PgCluster::Shared().CreateDatabase("migr");
  PgStore store(url, 2);
  Status before = Ok();
  EXPECT_NO_THROW(before = store.Ping());
  EXPECT_FALSE(before.ok());
  if (!before.ok()) {
    EXPECT_EQ(before.error().kind, ErrorKind::unavailable);
  }
  ASSERT_TRUE(ApplyMigrations(url).ok());
  EXPECT_TRUE(store.Ping().ok());
}

// Versions

TEST_F(PgStoreTest, CreateAssignsIdAndVersionOneThenUpdatesCountUp) {
  std::vector<VersionInfo> rendered;
  WriteRequest create = Request("Patient", "");
  create.render = [&](const VersionInfo& info) {
    rendered.push_back(info);
    return RenderBody("Patient", info);
  };
  auto created = WriteOne(*store_, create);
  ASSERT_TRUE(created.ok()) << created.error().text;
  const std::string id = created->resource.id;
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(created->resource.version, 1);
  EXPECT_TRUE(created->created);
  EXPECT_FALSE(created->resource.deleted);
  EXPECT_EQ(created->resource.type, "Patient");
  EXPECT_TRUE(std::regex_match(created->resource.last_updated,
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << created->resource.last_updated;
  ASSERT_EQ(rendered.size(), 1u);
  EXPECT_EQ(rendered[0].id, id);
  EXPECT_EQ(rendered[0].version, 1);
  EXPECT_EQ(rendered[0].last_updated, created->resource.last_updated);
  EXPECT_EQ(created->resource.json, RenderBody("Patient", rendered[0]));

  std::vector<std::string> bodies{created->resource.json};
  for (int expected = 2; expected <= 3; ++expected) {
    TickClock();
    auto updated = WriteOne(*store_, Request("Patient", id, {}, R"(,"n":)" + std::to_string(expected)));
    ASSERT_TRUE(updated.ok()) << updated.error().text;
    EXPECT_EQ(updated->resource.id, id);
    EXPECT_EQ(updated->resource.version, expected);
    EXPECT_FALSE(updated->created);
    bodies.push_back(updated->resource.json);
  }
  EXPECT_EQ(bodies[2], R"({"resourceType":"Patient","id":")" + id + R"(","meta":{"versionId":"3"},"n":3})");

  auto latest = store_->Read("Patient", id);
  ASSERT_TRUE(latest.ok()) << latest.error().text;
  EXPECT_EQ(latest->version, 3);
  EXPECT_EQ(latest->json, bodies[2]);
  EXPECT_FALSE(latest->deleted);

  for (int v = 1; v <= 3; ++v) {
    auto old = store_->ReadVersion("Patient", id, v);
    ASSERT_TRUE(old.ok()) << old.error().text;
    EXPECT_EQ(old->version, v);
    EXPECT_EQ(old->json, bodies[v - 1]);
  }
  auto missing_version = store_->ReadVersion("Patient", id, 4);
  ASSERT_FALSE(missing_version.ok());
  EXPECT_EQ(missing_version.error().kind, ErrorKind::not_found);

  auto other_type = store_->Read("Organization", id);
  ASSERT_FALSE(other_type.ok());
  EXPECT_EQ(other_type.error().kind, ErrorKind::not_found);
  auto unknown = store_->Read("Patient", "no-such-id");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::not_found);
  EXPECT_EQ(StoredVersions("Patient", id), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(store_->pool_in_use(), 0);
}

TEST_F(PgStoreTest, ServerAssignedIdsAreDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto created = WriteOne(*store_, Request("Patient", ""));
    ASSERT_TRUE(created.ok()) << created.error().text;
    ids.insert(created->resource.id);
  }
  EXPECT_EQ(ids.size(), 10u);
}

TEST_F(PgStoreTest, ClientIdCreatesVersionOne) {
  auto created = WriteOne(*store_, Request("Patient", "client-1"));
  ASSERT_TRUE(created.ok()) << created.error().text;
  EXPECT_EQ(created->resource.id, "client-1");
  EXPECT_EQ(created->resource.version, 1);
  EXPECT_TRUE(created->created);
}

TEST_F(PgStoreTest, IfMatchWrongVersionFailsWithoutNewVersion) {
  auto created = WriteOne(*store_, Request("Patient", ""));
  ASSERT_TRUE(created.ok());
  const std::string id = created->resource.id;

  WriteRequest stale = Request("Patient", id);
  stale.if_match = 2;
  auto refused = WriteOne(*store_, stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::precondition_failed);
  // Swedish first, English after, saying the same (docs/api.md, "Errors").
  EXPECT_EQ(refused.error().text,
            "If-Match anger version 2 men aktuell version är 1 (If-Match names version 2 but the current version is 1)");
  EXPECT_EQ(store_->Read("Patient", id)->version, 1);
  EXPECT_EQ(StoredVersions("Patient", id), std::vector<int>{1});

  WriteRequest fresh = Request("Patient", id);
  fresh.if_match = 1;
  auto accepted = WriteOne(*store_, fresh);
  ASSERT_TRUE(accepted.ok()) << accepted.error().text;
  EXPECT_EQ(accepted->resource.version, 2);
  EXPECT_EQ(StoredVersions("Patient", id), (std::vector<int>{1, 2}));
}

TEST_F(PgStoreTest, IfMatchOnMissingIdFailsAndCreatesNothing) {
  WriteRequest request = Request("Patient", "ghost");
  request.if_match = 1;
  auto refused = WriteOne(*store_, request);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::precondition_failed);
  EXPECT_EQ(refused.error().text, "Patient/ghost finns inte i version 1 (Patient/ghost does not exist in version 1)");
  auto read = store_->Read("Patient", "ghost");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::not_found);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_current"), 0);
}

// A Write that fails must leave nothing behind, even if the surrounding work then commits
// (e.g. a batch that records the failure and carries on).
TEST_F(PgStoreTest, FailedWriteLeavesNothingInACommittedTransaction) {
  // Regression (fixed): PgTransaction::Write (pg/pg_store.cpp) returns precondition_failed for if_match on a missing client id, or conflict on a taken unique identifier, only after it has already inserted resource_current / resource_version / index rows; when the caller continues and commits, a resource_current ro
  IndexEntries pnr = WithUnique(kPnrSystem, kPnr);
  auto owner = WriteOne(*store_, Request("Patient", "owner", pnr));
  ASSERT_TRUE(owner.ok());

  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    WriteRequest ghost = Request("Patient", "ghost");
    ghost.if_match = 1;
    auto refused = tx.Write(ghost);
    EXPECT_FALSE(refused.ok());
    auto duplicate = tx.Write(Request("Patient", "dup", pnr));
    EXPECT_FALSE(duplicate.ok());
    if (!duplicate.ok()) {
      EXPECT_EQ(duplicate.error().kind, ErrorKind::conflict);
    }
    return Ok();  // the work carries on and commits
  });
  ASSERT_TRUE(status.ok()) << status.error().text;

  EXPECT_EQ(KindOf(store_->Read("Patient", "dup")), "not_found");
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_current WHERE res_id IN ('ghost', 'dup')"), 0);
  auto ghost = WriteOne(*store_, Request("Patient", "ghost"));
  ASSERT_TRUE(ghost.ok());
  EXPECT_EQ(ghost->resource.version, 1);
  SearchQuery query;
  query.type = "Patient";
  SearchCriterion criterion;
  criterion.kind = SearchKind::token;
  criterion.param = "identifier";
  SearchValue value;
  value.system = kPnrSystem;
  value.value = kPnr;
  criterion.any_of.push_back(value);
  query.criteria.push_back(criterion);
  auto page = store_->Search(query);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), std::vector<std::string>{"owner"});
}

// Delete

TEST_F(PgStoreTest, DeleteWritesATombstoneAndKeepsHistory) {
  auto created = WriteOne(*store_, Request("Patient", ""));
  ASSERT_TRUE(created.ok());
  const std::string id = created->resource.id;
  TickClock();
  auto updated = WriteOne(*store_, Request("Patient", id));
  ASSERT_TRUE(updated.ok());
  TickClock();

  auto wrong = DeleteOne(*store_, "Patient", id, 1);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::precondition_failed);
  EXPECT_EQ(store_->Read("Patient", id)->version, 2);

  auto deleted = DeleteOne(*store_, "Patient", id, 2);
  ASSERT_TRUE(deleted.ok()) << deleted.error().text;
  EXPECT_EQ(deleted->version, 3);
  EXPECT_TRUE(deleted->deleted);
  EXPECT_TRUE(deleted->json.empty());

  auto read = store_->Read("Patient", id);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::gone);
  auto v1 = store_->ReadVersion("Patient", id, 1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->json, created->resource.json);
  auto v2 = store_->ReadVersion("Patient", id, 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->json, updated->resource.json);
  auto tombstone = store_->ReadVersion("Patient", id, 3);
  ASSERT_FALSE(tombstone.ok());
  EXPECT_EQ(tombstone.error().kind, ErrorKind::gone);

  HistoryQuery history;
  history.type = "Patient";
  history.id = id;
  auto page = store_->History(history);
  ASSERT_TRUE(page.ok()) << page.error().text;
  ASSERT_EQ(page->resources.size(), 3u);
  EXPECT_EQ(page->total, 3);
  EXPECT_FALSE(page->has_more);
  EXPECT_EQ(page->resources[0].version, 3);
  EXPECT_TRUE(page->resources[0].deleted);
  EXPECT_TRUE(page->resources[0].json.empty());
  EXPECT_EQ(page->resources[1].version, 2);
  EXPECT_EQ(page->resources[1].json, updated->resource.json);
  EXPECT_EQ(page->resources[2].version, 1);
  EXPECT_EQ(page->resources[2].json, created->resource.json);
  for (const auto& r : page->resources) {
    EXPECT_EQ(r.type, "Patient");
    EXPECT_EQ(r.id, id);
  }

  // Deleting again changes nothing.
  auto again = DeleteOne(*store_, "Patient", id);
  ASSERT_TRUE(again.ok()) << again.error().text;
  EXPECT_EQ(again->version, 3);
  EXPECT_TRUE(again->deleted);
  EXPECT_EQ(StoredVersions("Patient", id), (std::vector<int>{1, 2, 3}));

  // An update revives it with the next version number.
  auto revived = WriteOne(*store_, Request("Patient", id));
  ASSERT_TRUE(revived.ok()) << revived.error().text;
  EXPECT_EQ(revived->resource.version, 4);
  EXPECT_TRUE(revived->created);
  auto now = store_->Read("Patient", id);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->version, 4);
  EXPECT_EQ(now->json, revived->resource.json);
  EXPECT_EQ(StoredVersions("Patient", id), (std::vector<int>{1, 2, 3, 4}));
}

TEST_F(PgStoreTest, DeleteOfUnknownIdIsNotFound) {
  auto deleted = DeleteOne(*store_, "Patient", "never-was");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().kind, ErrorKind::not_found);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_version"), 0);
}

TEST_F(PgStoreTest, MustNotExistOnALiveIdIsConflict) {
  WriteRequest first = Request("Patient", "fixed-id");
  first.must_not_exist = true;
  auto created = WriteOne(*store_, first);
  ASSERT_TRUE(created.ok()) << created.error().text;
  EXPECT_EQ(created->resource.version, 1);

  auto again = WriteOne(*store_, first);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(StoredVersions("Patient", "fixed-id"), std::vector<int>{1});
}

// Unique identifiers

TEST_F(PgStoreTest, UniqueIdentifierBelongsToOneLiveResource) {
  const IndexEntries pnr = WithUnique(kPnrSystem, kPnr);
  auto first = WriteOne(*store_, Request("Patient", "", pnr));
  ASSERT_TRUE(first.ok()) << first.error().text;
  const std::string owner = first->resource.id;

  auto second = WriteOne(*store_, Request("Patient", "", pnr));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::conflict);
  EXPECT_EQ(second.error().text.find(kPnr), std::string::npos) << "error text must not carry a personnummer";
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_current"), 1);

  // Another type may not claim it either (unique across types).
  auto other_type = WriteOne(*store_, Request("RelatedPerson", "", pnr));
  ASSERT_FALSE(other_type.ok());
  EXPECT_EQ(other_type.error().kind, ErrorKind::conflict);

  // The owner keeps it through updates.
  auto kept = WriteOne(*store_, Request("Patient", owner, pnr));
  ASSERT_TRUE(kept.ok()) << kept.error().text;
  EXPECT_EQ(kept->resource.version, 2);

  // Once the owner is deleted, another resource may claim it.
  ASSERT_TRUE(DeleteOne(*store_, "Patient", owner).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM unique_identifier"), 0);
  auto successor = WriteOne(*store_, Request("Patient", "", pnr));
  ASSERT_TRUE(successor.ok()) << successor.error().text;
  EXPECT_NE(successor->resource.id, owner);

  // Reviving the deleted owner with the same identifier is now the duplicate.
  auto revive = WriteOne(*store_, Request("Patient", owner, pnr));
  ASSERT_FALSE(revive.ok());
  EXPECT_EQ(revive.error().kind, ErrorKind::conflict);
  EXPECT_EQ(KindOf(store_->Read("Patient", owner)), "gone");

  // An owner that drops the identifier releases it.
  auto dropped = WriteOne(*store_, Request("Patient", successor->resource.id));
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM unique_identifier"), 0);
  auto revived = WriteOne(*store_, Request("Patient", owner, pnr));
  ASSERT_TRUE(revived.ok()) << revived.error().text;
  EXPECT_EQ(revived->resource.version, 4);
}

// Transactions

TEST_F(PgStoreTest, WorkReturningAnErrorRollsBackItsWrites) {
  std::string id;
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(Request("Patient", "", WithUnique(kPnrSystem, kPnr)));
    EXPECT_TRUE(written.ok());
    if (written.ok()) id = written->resource.id;
    auto second = tx.Write(Request("Organization", "org-in-tx"));
    EXPECT_TRUE(second.ok());
    return Error::BusinessRule("test-rule", "refused after writing");
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::business_rule);
  EXPECT_EQ(status.error().detail_code, "test-rule");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(KindOf(store_->Read("Patient", id)), "not_found");
  EXPECT_EQ(KindOf(store_->Read("Organization", "org-in-tx")), "not_found");
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_version"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_current"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM unique_identifier"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token"), 0);
  EXPECT_EQ(store_->pool_in_use(), 0);
  // The identifier was never claimed.
  EXPECT_TRUE(WriteOne(*store_, Request("Patient", "", WithUnique(kPnrSystem, kPnr))).ok());
}

TEST_F(PgStoreTest, ExceptionInsideWorkPropagatesAndRollsBack) {
  auto existing = WriteOne(*store_, Request("Patient", "kept"));
  ASSERT_TRUE(existing.ok());
  EXPECT_THROW(store_->Transact([&](ResourceTransaction& tx) -> Status {
    EXPECT_TRUE(tx.Write(Request("Patient", "kept")).ok());
    EXPECT_TRUE(tx.Write(Request("Patient", "lost")).ok());
    EXPECT_TRUE(tx.Delete("Patient", "kept", std::nullopt).ok());
    throw std::runtime_error("unexpected");
  }),
               std::runtime_error);
  EXPECT_EQ(KindOf(store_->Read("Patient", "lost")), "not_found");
  auto kept = store_->Read("Patient", "kept");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->version, 1);
  EXPECT_EQ(StoredVersions("Patient", "kept"), std::vector<int>{1});
  EXPECT_EQ(store_->pool_in_use(), 0);
  // The connection is healthy afterwards.
  auto after = WriteOne(*store_, Request("Patient", "kept"));
  ASSERT_TRUE(after.ok()) << after.error().text;
  EXPECT_EQ(after->resource.version, 2);
}

TEST_F(PgStoreTest, AllWritesOfOneTransactionCommitTogether) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    for (const char* id : {"a", "b", "c"}) {
      auto written = tx.Write(Request("Patient", id));
      if (!written) return written.error();
    }
    return Ok();
  });
  ASSERT_TRUE(status.ok());
  for (const char* id : {"a", "b", "c"}) EXPECT_TRUE(store_->Read("Patient", id).ok()) << id;
}

TEST_F(PgStoreTest, LockKeySerialisesTransactionsNamingTheSameKey) {
  std::atomic<bool> holding{false};
  std::atomic<bool> holder_done{false};
  std::atomic<bool> waiter_saw_holder_done{false};
  std::thread holder([&] {
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      tx.LockKey("conditional-create:Patient&identifier");
      holding = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      holder_done = true;
      return Ok();
    });
    EXPECT_TRUE(status.ok());
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status other_key = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.LockKey("another-key");
    EXPECT_FALSE(holder_done.load()) << "a different key must not wait";
    return Ok();
  });
  EXPECT_TRUE(other_key.ok());
  Status same_key = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.LockKey("conditional-create:Patient&identifier");
    waiter_saw_holder_done = holder_done.load();
    return Ok();
  });
  holder.join();
  EXPECT_TRUE(same_key.ok());
  EXPECT_TRUE(waiter_saw_holder_done.load());
}

}  // namespace
}  // namespace nara::pg
