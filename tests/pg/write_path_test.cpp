// The write path's shortcuts (pg/pg_store.cpp, pg_registry.cpp) against a real PostgreSQL
// cluster: a version and its index rows go in one statement with the index values as text[]
// parameters, guarded on the current row the transaction expects; the registry keeps what one
// transaction has read. Each shortcut must give exactly what the long way gave: the same rows, the
// right version when the guess is stale, and reads that see the transaction's own writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "registry/date.h"
#include "registry/facts.h"
#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "registry/resource_store.h"
#include "tests/support/facts.h"
#include "tests/support/pg_cluster.h"
#include "tests/pg/migrated_database.h"
#include "tests/pg/write_one.h"

namespace nara::pg {
namespace {

using nara::testing::PgCluster;

WriteRequest Request(const std::string& type, const std::string& id, IndexEntries index = {}) {
  return nara::testing::MinimalRequest(type, id, std::move(index));
}

class WritePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = nara::testing::MigratedDatabase("writepath");
    store_ = std::make_unique<PgStore>(url_, 8);
  }

  Result<WriteOutcome> WriteOne(const WriteRequest& request) { return nara::testing::WriteOne(*store_, request); }

  // One transaction that reads the care team (so its current row is known) and writes its next
  // version with these index values, as the rules rewrite a resource.
  Status ReadThenWrite(const std::string& id, const IndexEntries& index) {
    return store_->Transact([&](ResourceTransaction& tx) -> Status {
      if (auto read = tx.Read("CareTeam", id); !read) return read.error();
      auto written = tx.Write(Request("CareTeam", id, index));
      return written ? Ok() : Status(written.error());
    });
  }

  // Rows of a query, each row's columns joined by '|', read directly (not through the store).
  std::vector<std::string> Rows(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    std::vector<std::string> out;
    for (const auto& row : tx.exec(sql)) {
      std::string line;
      for (const auto& field : row) line += (line.empty() ? "" : "|") + (field.is_null() ? "NULL" : field.as<std::string>());
      out.push_back(line);
    }
    return out;
  }

  std::string url_;
  std::unique_ptr<PgStore> store_;
};

// Values that a text[] literal must escape or could misread: quotes, backslashes, braces, commas,
// the word NULL, an empty string, spaces, non-ASCII.
IndexEntries AwkwardIndex(const std::string& suffix) {
  IndexEntries index;
  index.tokens.push_back({"identifier", "urn:sys:\"q\"", "a\\b" + suffix});
  index.tokens.push_back({"identifier", "", "NULL"});
  index.tokens.push_back({"tag", "{x,y}", " spaced , comma " + suffix});
  index.texts.push_back({"name", "Åsa \"Ölund\" {}" + suffix, "åsa \"ölund\" {}" + suffix});
  index.texts.push_back({"name", "", ""});
  index.references.push_back({"organization", "Organization", "o\\1" + suffix});
  index.periods.push_back({"date", "2024-01-01T00:00:00Z", ""});
  index.periods.push_back({"date", "", "2020-05-01T00:00:00Z"});
  return index;
}

std::vector<std::string> IndexRowsFor(const std::string& suffix) {
  return {
      "token|identifier||NULL",
      "token|identifier|urn:sys:\"q\"|a\\b" + suffix,
      "token|tag|{x,y}| spaced , comma " + suffix,
      "text|name||",
      "text|name|Åsa \"Ölund\" {}" + suffix + "|åsa \"ölund\" {}" + suffix,
      "ref|organization|Organization|o\\1" + suffix,
      "period|date|-,2020-05-01|",
      "period|date|2024-01-01,-|",
  };
}

constexpr const char* kIndexRowsSql =
    "SELECT 'token', param, system, code FROM search_token WHERE res_id = 'x' "
    "UNION ALL SELECT 'text', param, value, normalized FROM search_text WHERE res_id = 'x' "
    "UNION ALL SELECT 'ref', param, target_type, target_id FROM search_reference WHERE res_id = 'x' "
    "UNION ALL SELECT 'period', param, coalesce(to_char(lower(period) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '-') || ',' || "
    "coalesce(to_char(upper(period) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), '-'), '' FROM search_period WHERE res_id = 'x'";

// Sorted, so the comparison does not depend on the database's collation.
std::vector<std::string> Sorted(std::vector<std::string> rows) {
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_F(WritePathTest, IndexValuesArriveExactlyAsGivenAndAreReplacedOnUpdate) {
  auto created = WriteOne(Request("Patient", "x", AwkwardIndex("1")));
  ASSERT_TRUE(created.ok()) << created.error().text;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(Sorted(Rows(kIndexRowsSql)), Sorted(IndexRowsFor("1")));

  // Update by If-Match (the one-statement path) and without it (the row lock first): each replaces
  // every index row, none left over, none twice.
  WriteRequest by_version = Request("Patient", "x", AwkwardIndex("2"));
  by_version.if_match = 1;
  auto second = WriteOne(by_version);
  ASSERT_TRUE(second.ok()) << second.error().text;
  EXPECT_EQ(second->resource.version, 2);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(Sorted(Rows(kIndexRowsSql)), Sorted(IndexRowsFor("2")));

  auto third = WriteOne(Request("Patient", "x", AwkwardIndex("3")));
  ASSERT_TRUE(third.ok()) << third.error().text;
  EXPECT_EQ(third->resource.version, 3);
  EXPECT_EQ(Sorted(Rows(kIndexRowsSql)), Sorted(IndexRowsFor("3")));

  auto emptied = WriteOne(Request("Patient", "x"));
  ASSERT_TRUE(emptied.ok()) << emptied.error().text;
  EXPECT_TRUE(Rows(kIndexRowsSql).empty());
  EXPECT_EQ(Rows("SELECT string_agg(version::text, ',' ORDER BY version) FROM resource_version WHERE res_id = 'x'"),
            std::vector<std::string>{"1,2,3,4"});
}

// A next version rewrites only the index rows that changed. An episode that is finished changes its
// status token and its period; its identifier, name, unit rows stay the rows the first version wrote
// (a change of listing writes two next versions: bench/RESULTS.md, figure 2). A row is the same row
// when it still carries the creating transaction's xmin.
TEST_F(WritePathTest, ANextVersionRewritesOnlyTheIndexRowsThatChanged) {
  IndexEntries active = AwkwardIndex("1");
  active.tokens.push_back({"status", "", "active"});
  ASSERT_TRUE(WriteOne(Request("EpisodeOfCare", "x", active)).ok());
  const std::string rewritten_since_first =
      "SELECT count(*) FROM (SELECT xmin FROM search_token WHERE res_id = 'x' UNION ALL SELECT xmin FROM search_text "
      "WHERE res_id = 'x' UNION ALL SELECT xmin FROM search_reference WHERE res_id = 'x' UNION ALL SELECT xmin FROM "
      "search_period WHERE res_id = 'x') r WHERE r.xmin::text <> (SELECT xmin::text FROM resource_version WHERE "
      "res_id = 'x' AND version = 1)";
  ASSERT_EQ(Rows(rewritten_since_first), std::vector<std::string>{"0"});

  IndexEntries finished = AwkwardIndex("1");
  finished.tokens.push_back({"status", "", "finished"});
  finished.periods[0].end = "2025-01-01T00:00:00Z";  // [2024-01-01, ) ends
  WriteRequest by_version = Request("EpisodeOfCare", "x", finished);
  by_version.if_match = 1;
  auto second = WriteOne(by_version);
  ASSERT_TRUE(second.ok()) << second.error().text;
  std::vector<std::string> expected = IndexRowsFor("1");
  std::replace(expected.begin(), expected.end(), std::string("period|date|2024-01-01,-|"),
               std::string("period|date|2024-01-01,2025-01-01|"));
  expected.push_back("token|status||finished");
  EXPECT_EQ(Sorted(Rows(std::string(kIndexRowsSql))), Sorted(expected));
  EXPECT_EQ(Rows(rewritten_since_first), std::vector<std::string>{"2"});

  // The same index again through the locked path: nothing to rewrite. A value given twice is one row
  // more at most, never a row lost (search asks whether a row exists).
  IndexEntries twice = finished;
  twice.tokens.push_back({"status", "", "finished"});
  auto third = WriteOne(Request("EpisodeOfCare", "x", twice));
  ASSERT_TRUE(third.ok()) << third.error().text;
  EXPECT_EQ(third->resource.version, 3);
  EXPECT_EQ(Rows(rewritten_since_first), std::vector<std::string>{"2"});
  EXPECT_EQ(Rows("SELECT count(*) FROM search_token WHERE res_id = 'x' AND code = 'finished'"),
            std::vector<std::string>{"1"});
}

// A version read earlier in the transaction is only a guess: when another transaction has written
// since, the write still lands on top of the newest version (no If-Match), and with If-Match of the
// stale version it is refused without writing anything, even if the transaction goes on and commits.
TEST_F(WritePathTest, AStaleReadFallsBackToTheLockedRow) {
  IndexEntries first;
  first.tokens.push_back({"code", "s", "first"});
  ASSERT_TRUE(WriteOne(Request("Patient", "x", first)).ok());

  IndexEntries mine;
  mine.tokens.push_back({"code", "s", "mine"});
  std::optional<int> written_version;
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto read = tx.Read("Patient", "x");
    EXPECT_TRUE(read.ok());
    if (read.ok()) {
      EXPECT_EQ(read->version, 1);
    }
    // Another transaction (another connection) writes version 2 and commits meanwhile.
    IndexEntries theirs;
    theirs.tokens.push_back({"code", "s", "theirs"});
    auto other = WriteOne(Request("Patient", "x", theirs));
    EXPECT_TRUE(other.ok());

    WriteRequest stale = Request("Patient", "x", mine);
    stale.if_match = 1;
    auto refused = tx.Write(stale);
    EXPECT_FALSE(refused.ok());
    if (!refused.ok()) {
      EXPECT_EQ(refused.error().kind, ErrorKind::precondition_failed);
    }

    auto written = tx.Write(Request("Patient", "x", mine));
    if (!written) return written.error();
    written_version = written->resource.version;
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  ASSERT_TRUE(written_version.has_value());
  EXPECT_EQ(*written_version, 3);
  EXPECT_EQ(Rows("SELECT string_agg(version::text, ',' ORDER BY version) FROM resource_version WHERE res_id = 'x'"),
            std::vector<std::string>{"1,2,3"});
  EXPECT_EQ(Rows("SELECT version FROM resource_current WHERE res_id = 'x'"), std::vector<std::string>{"3"});
  EXPECT_EQ(Rows("SELECT code FROM search_token WHERE res_id = 'x'"), std::vector<std::string>{"mine"});
}

// Reviving a tombstone by If-Match of its version, and a create naming an id that a tombstone holds:
// the one-statement path guesses a live row, finds the tombstone and takes the locked path.
TEST_F(WritePathTest, ATombstoneIsRevivedThroughTheLockedPath) {
  ASSERT_TRUE(WriteOne(Request("Patient", "x")).ok());
  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto tombstone = tx.Delete("Patient", "x", std::nullopt);
    if (!tombstone) return tombstone.error();
    EXPECT_EQ(tombstone->version, 2);
    return Ok();
  });
  ASSERT_TRUE(deleted.ok()) << deleted.error().text;
  WriteRequest revive = Request("Patient", "x");
  revive.if_match = 2;
  auto revived = WriteOne(revive);
  ASSERT_TRUE(revived.ok()) << revived.error().text;
  EXPECT_EQ(revived->resource.version, 3);
  EXPECT_TRUE(revived->created);

  Status deleted_again = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto tombstone = tx.Delete("Patient", "x", 3);
    if (!tombstone) return tombstone.error();
    return Ok();
  });
  ASSERT_TRUE(deleted_again.ok()) << deleted_again.error().text;
  WriteRequest create = Request("Patient", "x");
  create.must_not_exist = true;
  auto recreated = WriteOne(create);
  ASSERT_TRUE(recreated.ok()) << recreated.error().text;
  EXPECT_EQ(recreated->resource.version, 5);
  EXPECT_TRUE(recreated->created);
  auto again = WriteOne(create);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(Rows("SELECT string_agg(version::text || ':' || deleted::text, ',' ORDER BY version) FROM resource_version"),
            std::vector<std::string>{"1:false,2:true,3:false,4:true,5:false"});
}

// The current row records a digest of each index table's values ('' for a table without rows;
// schema/0020), and a next version rewrites only the tables whose digest changes. Whichever way the
// writer knows the current row (read in the transaction, If-Match naming the version read or alone,
// the row lock, or a row written before the record existed), a table the new version no longer uses is emptied, and a
// table left alone keeps its rows.
TEST_F(WritePathTest, ANextVersionEmptiesTheIndexTablesItNoLongerUses) {
  const auto tables = [&](const std::string& id) {
    // The tables with rows, as bits (1 token, 2 text, 4 reference, 8 period).
    return Rows(
        "SELECT coalesce((CASE WHEN d[1] <> '' THEN 1 ELSE 0 END + CASE WHEN d[2] <> '' THEN 2 ELSE 0 END + "
        "CASE WHEN d[3] <> '' THEN 4 ELSE 0 END + CASE WHEN d[4] <> '' THEN 8 ELSE 0 END)::text, 'NULL') "
        "FROM (SELECT index_digests AS d FROM resource_current WHERE res_id = '" +
        id + "') r");
  };
  const auto rows_of = [&](const std::string& id) {
    return Sorted(Rows("SELECT 'token' FROM search_token WHERE res_id = '" + id +
                       "' UNION ALL SELECT 'text' FROM search_text WHERE res_id = '" + id +
                       "' UNION ALL SELECT 'ref' FROM search_reference WHERE res_id = '" + id +
                       "' UNION ALL SELECT 'period' FROM search_period WHERE res_id = '" + id + "'"));
  };
  IndexEntries all = AwkwardIndex("1");
  IndexEntries references_only;
  references_only.references.push_back({"organization", "Organization", "only"});
  for (const std::string how : {"read", "read and if-match", "if-match", "locked", "unrecorded"}) {
    const std::string id = "tables-" + how;
    ASSERT_TRUE(WriteOne(Request("CareTeam", id, all)).ok()) << how;
    EXPECT_EQ(tables(id), std::vector<std::string>{"15"}) << how;
    if (how == "unrecorded") {
      pqxx::connection conn(url_);
      pqxx::work w(conn);
      w.exec0("UPDATE resource_current SET index_digests = NULL WHERE res_id = '" + id + "'");
      w.commit();
    }
    Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
      WriteRequest next = Request("CareTeam", id, references_only);
      if (how == "read" || how == "read and if-match" || how == "unrecorded") {
        if (auto read = tx.Read("CareTeam", id); !read) return read.error();
      }
      if (how == "if-match" || how == "read and if-match") next.if_match = 1;
      auto written = tx.Write(next);
      if (!written) return written.error();
      EXPECT_EQ(written->resource.version, 2) << how;
      return Ok();
    });
    ASSERT_TRUE(status.ok()) << how << ": " << status.error().text;
    EXPECT_EQ(tables(id), std::vector<std::string>{"4"}) << how;
    EXPECT_EQ(rows_of(id), std::vector<std::string>{"ref"}) << how;
  }
  // Read in the transaction, then the same references and a token: the reference row is left as it
  // was (the same row version), the token row is new.
  const auto ref_xmin = [&] { return Rows("SELECT xmin::text FROM search_reference WHERE res_id = 'tables-locked'"); };
  const auto before = ref_xmin();
  IndexEntries more = references_only;
  more.tokens.push_back({"role", "", "2"});  // (not its status: that is a row value, schema/0022)
  Status same = ReadThenWrite("tables-locked", more);
  ASSERT_TRUE(same.ok()) << same.error().text;
  EXPECT_EQ(ref_xmin(), before);
  EXPECT_EQ(rows_of("tables-locked"), Sorted({"ref", "token"}));
  EXPECT_EQ(tables("tables-locked"), std::vector<std::string>{"5"});
  // Read in the transaction, then a version with values in a table the current one has none in.
  Status status = ReadThenWrite("tables-read", all);
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(tables("tables-read"), std::vector<std::string>{"15"});
  EXPECT_EQ(rows_of("tables-read"), Sorted({"token", "token", "token", "text", "text", "ref", "period", "period"}));
  // A tombstone holds no index rows.
  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto gone = tx.Delete("CareTeam", "tables-read", std::nullopt);
    return gone ? Ok() : Status(gone.error());
  });
  ASSERT_TRUE(deleted.ok()) << deleted.error().text;
  EXPECT_EQ(tables("tables-read"), std::vector<std::string>{"0"});
  EXPECT_TRUE(rows_of("tables-read").empty());
}

// During a rolling upgrade a node of the release before the digests writes next versions too: it
// rewrites index rows and the version but not index_digests. Those digests then describe an older
// version and must not be trusted: the next write of a newer node looks at every table.
TEST_F(WritePathTest, DigestsLeftBehindByAWriterThatDoesNotKeepThemAreNotTrusted) {
  IndexEntries first;
  first.tokens.push_back({"role", "", "2"});  // (not its status: that is a row value, schema/0022)
  first.references.push_back({"patient", "Patient", "p1"});
  ASSERT_TRUE(WriteOne(Request("CareTeam", "old-node", first)).ok());
  {
    // What the previous release's next-version statement does: version, index rows, no digests.
    pqxx::connection conn(url_);
    pqxx::work w(conn);
    w.exec0("UPDATE resource_current SET version = 2 WHERE res_id = 'old-node'");
    w.exec0(
        "INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
        "SELECT res_type, res_id, 2, now(), body FROM resource_version WHERE res_id = 'old-node'");
    w.exec0("UPDATE search_token SET code = '1' WHERE res_id = 'old-node'");
    w.commit();
  }
  // A newer node reads version 2 and writes the first version's values again: the token table's
  // recorded digest (of version 1) equals the new one, but its rows say '1'.
  Status status = ReadThenWrite("old-node", first);
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(Rows("SELECT code FROM search_token WHERE res_id = 'old-node'"), std::vector<std::string>{"2"});
}

// ReadAhead (issue 15): the Reads that follow answer as a Read of their own would, once each; a
// deleted or missing resource still answers gone or not found; a write of the resource drops it.
TEST_F(WritePathTest, AReadAheadAnswersTheReadsThatFollowAsTheirOwnReadWould) {
  ASSERT_TRUE(WriteOne(Request("EpisodeOfCare", "ahead-ep")).ok());
  ASSERT_TRUE(WriteOne(Request("CareTeam", "ahead-ct")).ok());
  ASSERT_TRUE(WriteOne(Request("CareTeam", "ahead-gone")).ok());
  Status deleted = store_->Transact([&](ResourceTransaction& tx) -> Status {
    auto gone = tx.Delete("CareTeam", "ahead-gone", std::nullopt);
    return gone ? Ok() : Status(gone.error());
  });
  ASSERT_TRUE(deleted.ok()) << deleted.error().text;
  const auto own_ep = store_->Read("EpisodeOfCare", "ahead-ep");
  const auto own_ct = store_->Read("CareTeam", "ahead-ct");
  ASSERT_TRUE(own_ep.ok() && own_ct.ok());
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.ReadAhead({{"EpisodeOfCare", "ahead-ep"},
                  {"CareTeam", "ahead-ct"},
                  {"CareTeam", "ahead-gone"},
                  {"CareTeam", "ahead-missing"}});
    for (const auto* own : {&*own_ep, &*own_ct}) {
      auto read = tx.Read(own->type, own->id);
      EXPECT_TRUE(read.ok()) << own->id;
      if (!read.ok()) continue;
      EXPECT_EQ(read->version, own->version);
      EXPECT_EQ(read->last_updated, own->last_updated);
      EXPECT_EQ(read->json, own->json);
      EXPECT_FALSE(read->deleted);
    }
    EXPECT_EQ(tx.Read("CareTeam", "ahead-gone").error().kind, ErrorKind::gone);
    EXPECT_EQ(tx.Read("CareTeam", "ahead-missing").error().kind, ErrorKind::not_found);
    // Read ahead again, then written: the next Read is of the new version.
    tx.ReadAhead({{"EpisodeOfCare", "ahead-ep"}, {"CareTeam", "ahead-ct"}});
    WriteRequest next = Request("EpisodeOfCare", "ahead-ep");
    next.if_match = own_ep->version;
    if (auto written = tx.Write(next); !written) return written.error();
    EXPECT_EQ(tx.Read("EpisodeOfCare", "ahead-ep")->version, own_ep->version + 1);
    // The care team was read ahead too, and another transaction writes it before this one reads it
    // (what a caller holding the patient's lock rules out): the Read answers from what was read
    // ahead, no round trip, and a write based on it is refused by its If-Match.
    auto elsewhere = WriteOne(Request("CareTeam", "ahead-ct"));
    EXPECT_TRUE(elsewhere.ok());
    auto stale = tx.Read("CareTeam", "ahead-ct");
    EXPECT_TRUE(stale.ok());
    if (!stale.ok()) return Ok();
    EXPECT_EQ(stale->version, own_ct->version);
    WriteRequest based = Request("CareTeam", "ahead-ct");
    based.if_match = stale->version;
    auto refused = tx.Write(based);
    EXPECT_FALSE(refused.ok());
    if (!refused.ok()) {
      EXPECT_EQ(refused.error().kind, ErrorKind::precondition_failed);
    }
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(store_->Read("CareTeam", "ahead-ct")->version, own_ct->version + 1);
}

// More keys than one read-ahead statement takes are read in several, and every one of them answers
// from what was read ahead: written meanwhile by another transaction, each Read still gives the
// version read ahead (a Read of its own would give the new one).
TEST_F(WritePathTest, AReadAheadOfMoreKeysThanOneStatementTakesCoversThemAll) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (int n = 0; n < 11; ++n) {
    const std::string id = "many-" + std::to_string(n);
    ASSERT_TRUE(WriteOne(Request(n % 2 ? "CareTeam" : "EpisodeOfCare", id)).ok());
    keys.emplace_back(n % 2 ? "CareTeam" : "EpisodeOfCare", id);
  }
  Status status = store_->Transact([&](ResourceTransaction& tx) -> Status {
    tx.ReadAhead(keys);
    for (const auto& [type, id] : keys) EXPECT_TRUE(WriteOne(Request(type, id)).ok()) << id;
    for (const auto& [type, id] : keys) {
      auto read = tx.Read(type, id);
      EXPECT_TRUE(read.ok()) << id;
      if (read.ok()) {
        EXPECT_EQ(read->version, 1) << id;
      }
    }
    return Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().text;
  EXPECT_EQ(store_->Read("CareTeam", "many-9")->version, 2);
}

// Registry reads kept for the transaction

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

ContactFacts Contact(const std::string& id, const std::string& patient, Date start) {
  ContactFacts c;
  c.id = id;
  c.patient_id = patient;
  c.role = ContactRole::fast_lakarkontakt;
  c.practitioner_role_id = "doc";
  c.managing_unit_id = "vc-1";
  c.period = Period{start, std::nullopt};
  c.begin_reason = "val";
  return c;
}

std::vector<std::string> Ids(const std::vector<EpisodeFacts>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id + "@" + r.unit_id + ":" + r.period.start.ToString());
  return ids;
}

std::vector<std::string> Ids(const std::vector<ContactFacts>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) {
    ids.push_back(r.id + "@" + r.practitioner_role_id + "/" + r.managing_unit_id + ":" + r.period.start.ToString() +
                  ":" + r.begin_reason + ":" + r.end_reason);
  }
  return ids;
}

TEST_F(WritePathTest, ALockedPatientsRowsMatchTheUnlockedReadsAndFollowTheTransactionsWrites) {
  using nara::testing::MakeEpisode;
  auto put = [&](const std::function<void(RegistryTransaction&)>& fn) {
    ASSERT_TRUE(store_->Transact([&](ResourceTransaction& tx) -> Status {
                        fn(tx.Registry());
                        return Ok();
                      }).ok());
  };
  put([&](RegistryTransaction& reg) {
    PatientFacts p;
    p.id = "p1";
    reg.PutPatient(p);
    // Same start dates, ids in an order that differs between byte and collation order.
    reg.PutListing(MakeEpisode("ep-b", "p1", "vc-2", D(2020, 1, 1), D(2022, 1, 1), EpisodeStatus::finished));
    reg.PutListing(MakeEpisode("Ep-a", "p1", "vc-1", D(2020, 1, 1), D(2022, 1, 1), EpisodeStatus::finished));
    reg.PutListing(MakeEpisode("ep-c", "p1", "vc-3", D(2022, 1, 1), std::nullopt, EpisodeStatus::active));
    reg.PutResidency(MakeEpisode("ep-s", "p1", "saebo-1", D(2023, 1, 1), std::nullopt, EpisodeStatus::active));
    reg.PutContact(Contact("ct-2", "p1", D(2022, 1, 1)));
    reg.PutContact(Contact("CT-1", "p1", D(2022, 1, 1)));
    reg.PutListing(MakeEpisode("ep-other", "p2", "vc-1", D(2020, 1, 1), std::nullopt, EpisodeStatus::active));
  });
  put([&](RegistryTransaction& reg) {
    const auto listings = Ids(reg.Listings("p1"));
    const auto residencies = Ids(reg.Residencies("p1"));
    const auto contacts = Ids(reg.Contacts("p1"));
    ASSERT_EQ(listings.size(), 3u);
    ASSERT_TRUE(reg.LockPatient("p1"));
    EXPECT_EQ(Ids(reg.Listings("p1")), listings);
    EXPECT_EQ(Ids(reg.Residencies("p1")), residencies);
    EXPECT_EQ(Ids(reg.Contacts("p1")), contacts);
    ASSERT_TRUE(reg.Listing("ep-c"));
    EXPECT_EQ(reg.Listing("ep-c")->unit_id, "vc-3");
    EXPECT_FALSE(reg.Listing("ep-s")) << "a residency is not a listing";
    EXPECT_FALSE(reg.Residency("ep-c")) << "a listing is not a residency";
    ASSERT_TRUE(reg.Listing("ep-other")) << "another patient's episode is still found";
    ASSERT_TRUE(reg.Contact("CT-1"));
    EXPECT_EQ(reg.Contact("CT-1")->begin_reason, "val");

    // Writes in this transaction are seen by the next read: a change of listing, an ended contact,
    // a listing turned into a residency, a removed contact.
    reg.PutListing(MakeEpisode("ep-c", "p1", "vc-3", D(2022, 1, 1), D(2024, 1, 1), EpisodeStatus::finished));
    reg.PutListing(MakeEpisode("ep-d", "p1", "vc-4", D(2024, 1, 1), std::nullopt, EpisodeStatus::active));
    auto ended = Contact("ct-2", "p1", D(2022, 1, 1));
    ended.period.end = D(2024, 1, 1);
    ended.end_reason = "byte-av-listning";
    reg.PutContact(ended);
    EXPECT_EQ(Ids(reg.Listings("p1")).size(), 4u);
    ASSERT_TRUE(reg.Listing("ep-c"));
    EXPECT_EQ(reg.Listing("ep-c")->status, EpisodeStatus::finished);
    ASSERT_TRUE(reg.Contact("ct-2"));
    EXPECT_EQ(reg.Contact("ct-2")->end_reason, "byte-av-listning");
    reg.PutResidency(MakeEpisode("ep-b", "p1", "saebo-2", D(2020, 1, 1), std::nullopt, EpisodeStatus::active));
    EXPECT_EQ(Ids(reg.Listings("p1")).size(), 3u);
    EXPECT_EQ(Ids(reg.Residencies("p1")).size(), 2u);
    EXPECT_FALSE(reg.Listing("ep-b"));
    reg.Remove("CareTeam", "CT-1");
    EXPECT_EQ(Ids(reg.Contacts("p1")).size(), 1u);
    EXPECT_FALSE(reg.Contact("CT-1"));
  });
  // What the next transaction reads, without the lock, is what the locked one ended with.
  put([&](RegistryTransaction& reg) {
    EXPECT_EQ(Ids(reg.Listings("p1")).size(), 3u);
    EXPECT_EQ(Ids(reg.Residencies("p1")).size(), 2u);
    EXPECT_EQ(Ids(reg.Contacts("p1")).size(), 1u);
  });
}

UnitFacts Unit(const std::string& id, UnitType type, const std::string& part_of, const std::string& name) {
  UnitFacts u;
  u.id = id;
  u.hsa_id = "SE-" + id;
  u.name = name;
  u.type = type;
  u.part_of = part_of;
  return u;
}

TEST_F(WritePathTest, UnitsReadWithTheirChainFollowTheTransactionsWritesAndSurviveACycle) {
  auto in_tx = [&](const std::function<void(RegistryTransaction&)>& fn) {
    ASSERT_TRUE(store_->Transact([&](ResourceTransaction& tx) -> Status {
                        fn(tx.Registry());
                        return Ok();
                      }).ok());
  };
  in_tx([&](RegistryTransaction& reg) {
    reg.PutUnit(Unit("region", UnitType::region, "", "Region"));
    reg.PutUnit(Unit("vc", UnitType::vardcentral, "region", "VC"));
    reg.PutUnit(Unit("loop-a", UnitType::other, "loop-b", "A"));
    reg.PutUnit(Unit("loop-b", UnitType::other, "loop-a", "B"));
  });
  in_tx([&](RegistryTransaction& reg) {
    auto vc = reg.Unit("vc");
    ASSERT_TRUE(vc);
    EXPECT_EQ(vc->name, "VC");
    EXPECT_EQ(vc->type, UnitType::vardcentral);
    auto region = reg.Unit(vc->part_of);
    ASSERT_TRUE(region);
    EXPECT_EQ(region->name, "Region");
    EXPECT_EQ(region->hsa_id, "SE-region");
    EXPECT_FALSE(reg.Unit("nowhere"));

    reg.PutUnit(Unit("region", UnitType::region, "", "Region renamed"));
    EXPECT_EQ(reg.Unit("region")->name, "Region renamed");
    reg.PutUnit(Unit("nowhere", UnitType::kommun, "", "Now here"));
    ASSERT_TRUE(reg.Unit("nowhere"));
    reg.Remove("Organization", "vc");
    EXPECT_FALSE(reg.Unit("vc"));

    ASSERT_TRUE(reg.Unit("loop-a"));
    EXPECT_EQ(reg.Unit("loop-a")->part_of, "loop-b");
    EXPECT_EQ(reg.Unit("loop-b")->part_of, "loop-a");
  });
}

}  // namespace
}  // namespace nara::pg
