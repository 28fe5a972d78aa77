// PgStore (pg/pg_store.*) against a real PostgreSQL cluster: the ResourceStore port's
// invariants — versions, tombstones, If-Match, unique identifiers, search and history — including
// under concurrent writers. Every test gets its own fresh, migrated database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "registry/resource_store.h"
#include "tests/support/concurrency.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/write_one.h"


namespace nara::pg {
namespace {

using nara::testing::PgCluster;

constexpr const char* kPnrSystem = "http://electronichealth.se/identifier/personnummer";
constexpr const char* kPnr = "197106254787";

// The JSON the store is asked to keep: carries id and versionId so each version is distinguishable.
std::string RenderBody(const std::string& type, const VersionInfo& info, const std::string& extra = "") {
  return R"({"resourceType":")" + type + R"(","id":")" + info.id + R"(","meta":{"versionId":")" +
         std::to_string(info.version) + R"("})" + extra + "}";
}

WriteRequest Request(const std::string& type, const std::string& id, IndexEntries index = {},
                     const std::string& extra = "") {
  WriteRequest request;
  request.type = type;
  request.id = id;
  request.index = std::move(index);
  request.render = [type, extra](const VersionInfo& info) { return RenderBody(type, info, extra); };
  return request;
}

IndexEntries WithUnique(const std::string& system, const std::string& value) {
  IndexEntries index;
  index.tokens.push_back({"identifier", system, value});
  index.unique.push_back({"", system, value});
  return index;
}

IndexEntries WithName(const std::string& name) {
  IndexEntries index;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  index.texts.push_back({"name", name, lower});
  return index;
}

// "ok", or the error kind's name: comparable in assertions without touching a missing value.
template <typename T>
std::string KindOf(const Result<T>& result) {
  if (result.ok()) return "ok";
  switch (result.error().kind) {
    case ErrorKind::invalid: return "invalid";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::gone: return "gone";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::precondition_failed: return "precondition_failed";
    case ErrorKind::business_rule: return "business_rule";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::unauthenticated: return "unauthenticated";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::not_supported: return "not_supported";
  }
  return "?";
}

using nara::testing::WriteOne;

Result<StoredResource> DeleteOne(ResourceStore& store, const std::string& type, const std::string& id,
                                 std::optional<int> if_match = std::nullopt) {
  std::optional<StoredResource> out;
  Status status = store.Transact([&](ResourceTransaction& tx) -> Status {
    auto deleted = tx.Delete(type, id, if_match);
    if (!deleted) return deleted.error();
    out = std::move(*deleted);
    return Ok();
  });
  if (!status) return status.error();
  return *out;
}

// Ids of a page, in page order.
std::vector<std::string> Ids(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const auto& r : page.resources) ids.push_back(r.id);
  return ids;
}

std::set<std::string> IdSet(const SearchPage& page) {
  std::set<std::string> ids;
  for (const auto& r : page.resources) ids.insert(r.id);
  return ids;
}

// Distinct millisecond timestamps between consecutive writes, so time filters are exact.
void TickClock() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

using nara::testing::RunConcurrently;

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("pgstore");
    store_ = std::make_unique<PgStore>(url_, 24);
  }

  // A single value from SQL, read directly (not through the store under test).
  long long Scalar(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<long long>();
  }

  std::vector<int> StoredVersions(const std::string& type, const std::string& id) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    std::vector<int> versions;
    for (const auto& row : tx.exec_params(
             "SELECT version FROM resource_version WHERE res_type = $1 AND res_id = $2 ORDER BY version", type, id)) {
      versions.push_back(row[0].as<int>());
    }
    return versions;
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// History

TEST_F(PgStoreTest, HistoryTypeAndSystemLevelWithSinceAndPaging) {
  auto patient = WriteOne(*store_, Request("Patient", "p"));
  ASSERT_TRUE(patient.ok());
  TickClock();
  auto organization = WriteOne(*store_, Request("Organization", "o"));
  ASSERT_TRUE(organization.ok());
  TickClock();
  auto patient2 = WriteOne(*store_, Request("Patient", "p"));
  ASSERT_TRUE(patient2.ok());

  HistoryQuery type_level;
  type_level.type = "Patient";
  auto patients = store_->History(type_level);
  ASSERT_TRUE(patients.ok()) << patients.error().text;
  ASSERT_EQ(patients->resources.size(), 2u);
  EXPECT_EQ(patients->total, 2);
  EXPECT_EQ(patients->resources[0].version, 2);
  EXPECT_EQ(patients->resources[1].version, 1);
  for (const auto& r : patients->resources) EXPECT_EQ(r.type, "Patient");

  HistoryQuery system_level;
  auto all = store_->History(system_level);
  ASSERT_TRUE(all.ok()) << all.error().text;
  ASSERT_EQ(all->resources.size(), 3u);
  EXPECT_EQ(all->total, 3);
  EXPECT_EQ(all->resources[0].type, "Patient");
  EXPECT_EQ(all->resources[0].version, 2);
  EXPECT_EQ(all->resources[1].type, "Organization");
  EXPECT_EQ(all->resources[1].id, "o");
  EXPECT_EQ(all->resources[1].json, organization->resource.json);
  EXPECT_EQ(all->resources[2].type, "Patient");
  EXPECT_EQ(all->resources[2].version, 1);

  // since: versions written at or after the instant.
  HistoryQuery since = system_level;
  since.since = organization->resource.last_updated;
  auto recent = store_->History(since);
  ASSERT_TRUE(recent.ok()) << recent.error().text;
  ASSERT_EQ(recent->resources.size(), 2u);
  EXPECT_EQ(recent->total, 2);
  EXPECT_EQ(recent->resources[0].type, "Patient");
  EXPECT_EQ(recent->resources[1].type, "Organization");
  HistoryQuery since_type = type_level;
  since_type.since = organization->resource.last_updated;
  auto recent_patients = store_->History(since_type);
  ASSERT_TRUE(recent_patients.ok());
  ASSERT_EQ(recent_patients->resources.size(), 1u);
  EXPECT_EQ(recent_patients->resources[0].version, 2);
  HistoryQuery future = system_level;
  future.since = "2999-01-01T00:00:00.000Z";
  auto none = store_->History(future);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->resources.empty());
  EXPECT_EQ(none->total, 0);
  EXPECT_FALSE(none->has_more);

  // Paging.
  HistoryQuery first_page = system_level;
  first_page.count = 2;
  auto p1 = store_->History(first_page);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->resources.size(), 2u);
  EXPECT_TRUE(p1->has_more);
  EXPECT_EQ(p1->total, 3);
  HistoryQuery second_page = first_page;
  second_page.offset = 2;
  auto p2 = store_->History(second_page);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->resources.size(), 1u);
  EXPECT_FALSE(p2->has_more);
  EXPECT_EQ(p2->resources[0].type, "Patient");
  EXPECT_EQ(p2->resources[0].version, 1);
  HistoryQuery total_only = system_level;
  total_only.count = 0;
  auto p0 = store_->History(total_only);
  ASSERT_TRUE(p0.ok());
  EXPECT_TRUE(p0->resources.empty());
  EXPECT_EQ(p0->total, 3);
  EXPECT_FALSE(p0->has_more) << "count 0 is the total only, not a page with more after it";
  HistoryQuery exact = system_level;
  exact.count = 3;
  auto p3 = store_->History(exact);
  ASSERT_TRUE(p3.ok());
  EXPECT_EQ(p3->resources.size(), 3u);
  EXPECT_FALSE(p3->has_more);
}

// ---------------------------------------------------------------------------------------------
// Search

class PgSearchTest : public PgStoreTest {
 protected:
  void SetUp() override {
    PgStoreTest::SetUp();
    if (HasFatalFailure()) return;
    // p1: Andersson, male, identifier sysA|123, organization Organization/o1
    IndexEntries i1 = WithName("Andersson");
    i1.texts.push_back({"given", "Anna", "anna"});
    i1.tokens.push_back({"identifier", "urn:sys:a", "123"});
    i1.tokens.push_back({"gender", "http://hl7.org/fhir/administrative-gender", "male"});
    i1.references.push_back({"organization", "Organization", "o1"});
    // p2: Bengtsson, identifier sysB|123, organization Organization/o2
    IndexEntries i2 = WithName("Bengtsson");
    i2.tokens.push_back({"identifier", "urn:sys:b", "123"});
    i2.references.push_back({"organization", "Organization", "o2"});
    // p3: Sandersson, identifier without system 999
    IndexEntries i3 = WithName("Sandersson");
    i3.tokens.push_back({"identifier", "", "999"});
    for (auto [id, index] : {std::pair{"p1", i1}, std::pair{"p2", i2}, std::pair{"p3", i3}}) {
      auto written = WriteOne(*store_, Request("Patient", id, index));
      ASSERT_TRUE(written.ok()) << written.error().text;
      stamps_.push_back(written->resource.last_updated);
      TickClock();
    }
    // Same index rows on another type: never returned by a Patient search.
    auto org = WriteOne(*store_, Request("Organization", "p9", i1));
    ASSERT_TRUE(org.ok());
  }

  SearchPage Run(SearchQuery query) {
    query.type = query.type.empty() ? "Patient" : query.type;
    auto page = store_->Search(query);
    EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().text);
    return page.ok() ? *page : SearchPage{};
  }

  static SearchQuery One(SearchKind kind, const std::string& param, const std::string& modifier,
                         std::vector<SearchValue> values) {
    SearchQuery query;
    query.type = "Patient";
    SearchCriterion criterion;
    criterion.kind = kind;
    criterion.param = param;
    criterion.modifier = modifier;
    criterion.any_of = std::move(values);
    query.criteria.push_back(std::move(criterion));
    return query;
  }

  static SearchValue Token(std::optional<std::string> system, std::string code) {
    SearchValue v;
    v.system = std::move(system);
    v.value = std::move(code);
    return v;
  }
  static SearchValue Text(std::string value) {
    SearchValue v;
    v.value = std::move(value);
    return v;
  }
  static SearchValue Ref(std::string type, std::string id) {
    SearchValue v;
    v.target_type = std::move(type);
    v.value = std::move(id);
    return v;
  }
  static SearchValue Date(DatePrefix prefix, std::string start, std::string end) {
    SearchValue v;
    v.prefix = prefix;
    v.range_start = std::move(start);
    v.range_end = std::move(end);
    return v;
  }
  static SearchQuery Missing(SearchKind kind, const std::string& param, bool missing) {
    SearchQuery query = One(kind, param, "missing", {});
    query.criteria[0].missing = missing;
    return query;
  }

  using Set = std::set<std::string>;
  std::vector<std::string> stamps_;  // last_updated of p1, p2, p3
};

TEST_F(PgSearchTest, Token) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(std::nullopt, "123")}))), (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("urn:sys:a", "123")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("urn:sys:b", "123")}))), (Set{"p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("urn:sys:c", "123")}))), Set{});
  // "" = explicitly no system.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("", "999")}))), (Set{"p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("", "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(std::nullopt, "12")}))), Set{});
  // OR-ed values.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "",
                          {Token("urn:sys:a", "123"), Token(std::nullopt, "999")}))),
            (Set{"p1", "p3"}));
  // Parameter name matters.
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "gender", "", {Token(std::nullopt, "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "gender", "", {Token(std::nullopt, "male")}))), (Set{"p1"}));
  // AND of two criteria.
  SearchQuery both = One(SearchKind::token, "identifier", "", {Token(std::nullopt, "123")});
  both.criteria.push_back(One(SearchKind::token, "gender", "", {Token(std::nullopt, "male")}).criteria[0]);
  EXPECT_EQ(IdSet(Run(both)), (Set{"p1"}));
}

TEST_F(PgSearchTest, Text) {
  // Default: prefix on the normalised (case-folded) form.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("and")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("andersson")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("ersson")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("and"), Text("beng")}))), (Set{"p1", "p2"}));
  // contains.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("and")}))), (Set{"p1", "p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("ersson")}))), (Set{"p1", "p3"}));
  // exact: the value as written.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {Text("Andersson")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {Text("andersson")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {Text("Anders")}))), Set{});
  // Parameter name matters.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {Text("an")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {Text("and")}))), Set{});
}

TEST_F(PgSearchTest, Reference) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("", "o1")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("Organization", "o1")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("Practitioner", "o1")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("", "o1"), Ref("", "o2")}))),
            (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "practitioner", "", {Ref("", "o1")}))), Set{});
}

TEST_F(PgSearchTest, IdAndMissing) {
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {Text("p1"), Text("p3")}))), (Set{"p1", "p3"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {Text("p9")}))), Set{});  // an Organization id

  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p2", "p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", false))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::reference, "organization", true))), (Set{"p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::reference, "organization", false))), (Set{"p1", "p2"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::text, "given", true))), (Set{"p2", "p3"}));
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::text, "given", false))), (Set{"p1"}));
}

// eq and ne: both ends of the range.
TEST_F(PgSearchTest, LastUpdatedClosedRanges) {
  ASSERT_EQ(stamps_.size(), 3u);
  const std::string& t1 = stamps_[0];
  const std::string& t2 = stamps_[1];
  const std::string& t3 = stamps_[2];
  ASSERT_LT(t1, t2);
  ASSERT_LT(t2, t3);
  auto q = [&](DatePrefix prefix, const std::string& start, const std::string& end) {
    return IdSet(Run(One(SearchKind::last_updated, "_lastUpdated", "", {Date(prefix, start, end)})));
  };
  EXPECT_EQ(q(DatePrefix::eq, t2, t3), (Set{"p2"}));
  EXPECT_EQ(q(DatePrefix::eq, t1, t3), (Set{"p1", "p2"}));
  EXPECT_EQ(q(DatePrefix::ne, t2, t3), (Set{"p1", "p3"}));
  EXPECT_EQ(q(DatePrefix::eq, "2999-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), Set{});
  EXPECT_EQ(q(DatePrefix::eq, "2000-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), (Set{"p1", "p2", "p3"}));
  // OR-ed ranges.
  SearchQuery two = One(SearchKind::last_updated, "_lastUpdated", "", {Date(DatePrefix::eq, t1, t2),
                                                                      Date(DatePrefix::eq, t3, "2999-01-01T00:00:00.000Z")});
  EXPECT_EQ(IdSet(Run(two)), (Set{"p1", "p3"}));
}

// ge, gt, le, lt use one end of the range each; fhir/ always fills in both ends.
TEST_F(PgSearchTest, LastUpdatedOneSidedPrefixes) {
  // Regression (fixed): pg/internal/search_sql.cpp DateCondition always binds range_start and range_end but ge/lt use only the start and gt/le only the end; PostgreSQL refuses the unused parameter: when it is the last one, 08P01 'bind message supplies N parameters, but prepared statement requires N-1' which libpqxx 6 throw
  ASSERT_EQ(stamps_.size(), 3u);
  const std::string& t1 = stamps_[0];
  const std::string& t2 = stamps_[1];
  const std::string& t3 = stamps_[2];
  auto q = [&](DatePrefix prefix, const std::string& start, const std::string& end) {
    return IdSet(Run(One(SearchKind::last_updated, "_lastUpdated", "", {Date(prefix, start, end)})));
  };
  EXPECT_EQ(q(DatePrefix::ge, t2, t3), (Set{"p2", "p3"}));
  EXPECT_EQ(q(DatePrefix::lt, t2, t3), (Set{"p1"}));
  EXPECT_EQ(q(DatePrefix::gt, t1, t2), (Set{"p2", "p3"}));  // at or after the end of [t1, t2)
  EXPECT_EQ(q(DatePrefix::le, t1, t2), (Set{"p1"}));        // before the end of [t1, t2)
  EXPECT_EQ(q(DatePrefix::ge, "2999-01-01T00:00:00.000Z", "2999-01-02T00:00:00.000Z"), Set{});
  EXPECT_EQ(q(DatePrefix::ge, "2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z"), (Set{"p1", "p2", "p3"}));
  // Followed by another criterion, the unused parameter is no longer the last one.
  SearchQuery then_name = One(SearchKind::last_updated, "_lastUpdated", "", {Date(DatePrefix::ge, t1, t2)});
  then_name.criteria.push_back(One(SearchKind::text, "name", "", {Text("and")}).criteria[0]);
  EXPECT_EQ(IdSet(Run(then_name)), (Set{"p1"}));
}

TEST_F(PgSearchTest, PagingTotalAndOrder) {
  SearchQuery all;
  all.type = "Patient";
  all.count = 2;
  SearchPage first = Run(all);
  EXPECT_EQ(Ids(first), (std::vector<std::string>{"p1", "p2"}));  // by id (here also creation order)
  EXPECT_TRUE(first.has_more);
  EXPECT_EQ(first.total, 3);
  all.offset = 2;
  SearchPage second = Run(all);
  EXPECT_EQ(Ids(second), std::vector<std::string>{"p3"});
  EXPECT_FALSE(second.has_more);
  EXPECT_EQ(second.total, 3);
  all.offset = 3;
  SearchPage past = Run(all);
  EXPECT_TRUE(past.resources.empty());
  EXPECT_FALSE(past.has_more);

  SearchQuery exact;
  exact.type = "Patient";
  exact.count = 3;
  EXPECT_FALSE(Run(exact).has_more);

  SearchQuery count_only;
  count_only.type = "Patient";
  count_only.count = 0;
  SearchPage counted = Run(count_only);
  EXPECT_TRUE(counted.resources.empty());
  EXPECT_EQ(counted.total, 3);

  SearchQuery no_total;
  no_total.type = "Patient";
  no_total.want_total = false;
  SearchPage untotalled = Run(no_total);
  EXPECT_FALSE(untotalled.total.has_value());
  EXPECT_EQ(untotalled.resources.size(), 3u);

  SearchQuery desc;
  desc.type = "Patient";
  desc.sort = SearchSort{SortKey::last_updated, true, ""};
  EXPECT_EQ(Ids(Run(desc)), (std::vector<std::string>{"p3", "p2", "p1"}));

  SearchQuery orgs;
  orgs.type = "Organization";
  SearchPage org_page = Run(orgs);
  EXPECT_EQ(Ids(org_page), std::vector<std::string>{"p9"});
  ASSERT_EQ(org_page.resources.size(), 1u);
  EXPECT_EQ(org_page.resources[0].type, "Organization");

  // The stored JSON comes back with the match.
  SearchPage one = Run(One(SearchKind::id, "_id", "", {Text("p2")}));
  ASSERT_EQ(one.resources.size(), 1u);
  EXPECT_EQ(one.resources[0].json, store_->Read("Patient", "p2")->json);
  EXPECT_EQ(one.resources[0].version, 1);
}

TEST_F(PgSearchTest, DeletedResourcesAreNeverReturned) {
  ASSERT_TRUE(DeleteOne(*store_, "Patient", "p2").ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(std::nullopt, "123")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {Text("p2")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("beng")}))), Set{});
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p3"}));
  SearchQuery all;
  all.type = "Patient";
  SearchPage page = Run(all);
  EXPECT_EQ(Ids(page), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(page.total, 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_token WHERE res_id = 'p2'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_id = 'p2'"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_reference WHERE res_id = 'p2'"), 0);
}

TEST_F(PgSearchTest, IndexRowsAreReplacedOnUpdate) {
  IndexEntries renamed = WithName("Svensson");
  renamed.tokens.push_back({"identifier", "urn:sys:a", "456"});
  auto updated = WriteOne(*store_, Request("Patient", "p1", renamed));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("and")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("sve")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "given", "", {Text("anna")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("urn:sys:a", "123")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token("urn:sys:a", "456")}))), (Set{"p1"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("", "o1")}))), Set{});
  EXPECT_EQ(IdSet(Run(Missing(SearchKind::token, "gender", true))), (Set{"p1", "p2", "p3"}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_type = 'Patient' AND res_id = 'p1'"), 1);
  // The Organization with the same id-less index rows was not touched.
  EXPECT_EQ(Scalar("SELECT count(*) FROM search_text WHERE res_type = 'Organization'"), 2);
}

TEST_F(PgSearchTest, SearchInsideATransactionSeesItsOwnWrites) {
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto written = tx.Write(Request("Patient", "p4", WithName("Anderberg")));
    EXPECT_TRUE(written.ok());
    auto page = tx.Search(One(SearchKind::text, "name", "", {Text("and")}));
    EXPECT_TRUE(page.ok());
    if (page.ok()) {
      EXPECT_EQ(IdSet(*page), (Set{"p1", "p4"}));
    }
    auto read = tx.Read("Patient", "p4");
    EXPECT_TRUE(read.ok());
    if (read.ok()) {
      EXPECT_EQ(read->version, 1);
    }
    return Ok();
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("and")}))), (Set{"p1", "p4"}));
}

// SQL metacharacters in search values are data, never SQL or LIKE patterns.
TEST_F(PgSearchTest, InjectionStringsAreJustValues) {
  const std::vector<std::string> hostile = {"' OR 1=1 --", "%", "_", "\\", "'); DROP TABLE resource_version; --",
                                            "\"", "$1", "%%", "\\%"};
  IndexEntries odd = WithName("50%_off\\x");
  odd.tokens.push_back({"identifier", "' OR 1=1 --", "' OR 1=1 --"});
  odd.references.push_back({"organization", "Organization", "'); DROP TABLE resource_version; --"});
  ASSERT_TRUE(WriteOne(*store_, Request("Patient", "odd", odd)).ok());

  for (const auto& value : hostile) {
    SCOPED_TRACE(value);
    const bool is_token = value == "' OR 1=1 --";
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(std::nullopt, value)}))),
              is_token ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(value, value)}))),
              is_token ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::token, "identifier", "", {Token(value, "123")}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text(value)}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {Text(value)}))), Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::id, "_id", "", {Text(value)}))), Set{});
    const bool is_ref = value == "'); DROP TABLE resource_version; --";
    EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref("", value)}))),
              is_ref ? Set{"odd"} : Set{});
    EXPECT_EQ(IdSet(Run(One(SearchKind::reference, "organization", "", {Ref(value, "o1")}))), Set{});
  }
  // LIKE wildcards match only themselves.
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("%")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("_")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("\\")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("%_off\\")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "contains", {Text("'")}))), Set{});
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("50%")}))), (Set{"odd"}));
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("50_")}))), Set{});  // '_' is not "any char"
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "", {Text("5%")}))), Set{});   // '%' is not "anything"
  EXPECT_EQ(IdSet(Run(One(SearchKind::text, "name", "exact", {Text("50%_off\\x")}))), (Set{"odd"}));

  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN "
                   "('resource_version', 'resource_current', 'search_token', 'search_text', "
                   "'search_reference', 'unique_identifier', 'schema_migration')"),
            7);
  EXPECT_EQ(Scalar("SELECT count(*) FROM resource_version WHERE res_type = 'Patient'"), 4);
  auto p1 = store_->Read("Patient", "p1");
  EXPECT_TRUE(p1.ok());
}

// Periods (IndexEntries::periods, SearchKind::period): what was in force on a date.
class PgPeriodSearchTest : public PgSearchTest {
 protected:
  void SetUp() override {
    PgSearchTest::SetUp();
    if (HasFatalFailure()) return;
    IndexEntries closed, open;
    closed.periods.push_back({"date", "2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z"});
    open.periods.push_back({"date", "2022-01-01T00:00:00.000Z", ""});
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "closed", closed)).ok());
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "open", open)).ok());
    ASSERT_TRUE(WriteOne(*store_, Request("EpisodeOfCare", "none")).ok());
  }
  Set Periods(DatePrefix prefix, const std::string& start, const std::string& end) {
    SearchQuery query = One(SearchKind::period, "date", "", {Date(prefix, start, end)});
    query.type = "EpisodeOfCare";
    return IdSet(Run(query));
  }
};

TEST_F(PgPeriodSearchTest, OverlapAndMissing) {
  EXPECT_EQ(Periods(DatePrefix::eq, "2020-06-01T00:00:00.000Z", "2020-07-01T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::eq, "2023-01-01T00:00:00.000Z", "2023-01-02T00:00:00.000Z"), (Set{"open"}));
  EXPECT_EQ(Periods(DatePrefix::eq, "2021-06-01T00:00:00.000Z", "2021-07-01T00:00:00.000Z"), Set{});
  EXPECT_EQ(Periods(DatePrefix::ne, "2020-06-01T00:00:00.000Z", "2020-07-01T00:00:00.000Z"), (Set{"open"}));
  SearchQuery missing = Missing(SearchKind::period, "date", true);
  missing.type = "EpisodeOfCare";
  EXPECT_EQ(IdSet(Run(missing)), (Set{"none"}));
}

TEST_F(PgPeriodSearchTest, OneSidedPrefixes) {
  // Regression (fixed): pg/internal/search_sql.cpp PeriodCondition has the DateCondition defect: it binds range_start and range_end for every prefix but lt/ge use only the start and le/gt only the end, so PostgreSQL refuses the statement (503 via broken_connection, or an uncaught pqxx::sql_error)
  EXPECT_EQ(Periods(DatePrefix::lt, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::ge, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"open"}));
  EXPECT_EQ(Periods(DatePrefix::le, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"closed"}));
  EXPECT_EQ(Periods(DatePrefix::gt, "2021-06-01T00:00:00.000Z", "2021-06-02T00:00:00.000Z"), (Set{"open"}));
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
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
