// A migration that fails half-way leaves no partial state (issue 8): its statements before the failure
// are rolled back with it, schema_migration does not record it, the migrations before it stay applied,
// and a corrected migration then applies cleanly.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "pg/migrations.h"
#include "tests/support/pg_cluster.h"

namespace nara::pg {
namespace {

std::string Query(const std::string& url, const std::string& sql) {
  auto [code, out] = testing::Psql(url, sql);
  EXPECT_EQ(code, 0) << sql << ": " << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Every table, column, index, constraint and trigger of the public schema, and the migrations recorded.
std::string SchemaFingerprint(const std::string& url) {
  return Query(url,
               "SELECT string_agg(x, ',' ORDER BY x) FROM ("
               " SELECT table_name || '.' || column_name || ':' || data_type AS x FROM information_schema.columns"
               "  WHERE table_schema = 'public'"
               " UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public'"
               " UNION ALL SELECT 'constraint ' || conname FROM pg_constraint c JOIN pg_namespace n"
               "  ON n.oid = c.connamespace WHERE n.nspname = 'public'"
               " UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE NOT tgisinternal"
               " UNION ALL SELECT 'migration ' || name FROM schema_migration) s");
}

std::set<std::string> Items(const std::string& fingerprint) {
  std::set<std::string> items;
  size_t start = 0;
  while (start <= fingerprint.size()) {
    const size_t comma = fingerprint.find(',', start);
    items.insert(fingerprint.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

std::set<std::string> Difference(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  for (const auto& item : a) {
    if (!b.count(item)) out.insert(item);
  }
  return out;
}

TEST(Migrations, AFailureHalfWayLeavesNoPartialState) {
  const std::string url = testing::PgCluster::Shared().CreateDatabase("migfail");
  auto base = ApplyMigrations(url);
  ASSERT_TRUE(base) << base.error().text;
  ASSERT_FALSE(base->applied.empty());
  const std::string before = SchemaFingerprint(url);
  ASSERT_NE(before.find("migration " + EmbeddedMigrations().back().name), std::string::npos) << before;

  std::vector<Migration> list = EmbeddedMigrations();
  list.push_back({"9998_good.sql", "CREATE TABLE probe_good (x int PRIMARY KEY); INSERT INTO probe_good VALUES (1);"});
  list.push_back({"9999_bad.sql",
                  "CREATE TABLE probe_bad (x int);"
                  "ALTER TABLE schema_migration ADD COLUMN probe_column int;"
                  "CREATE INDEX probe_index ON schema_migration (applied_at);"
                  "INSERT INTO probe_bad VALUES (1);"
                  "SELECT 1 / 0;"  // fails here, half-way
                  "CREATE TABLE probe_never (x int);"});
  auto failed = ApplyMigrations(url, list);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().text.find("migration 9999_bad.sql failed, nothing of it applied"), std::string::npos)
      << failed.error().text;
  EXPECT_NE(failed.error().text.find("division by zero"), std::string::npos) << failed.error().text;

  // The schema is exactly as before plus the good migration; nothing of the bad one exists.
  const auto added = Difference(Items(SchemaFingerprint(url)), Items(before));
  EXPECT_EQ(added, (std::set<std::string>{"probe_good.x:integer", "index probe_good_pkey",
                                          "constraint probe_good_pkey", "migration 9998_good.sql"}));
  EXPECT_TRUE(Difference(Items(before), Items(SchemaFingerprint(url))).empty());
  EXPECT_EQ(Query(url, "SELECT to_regclass('probe_bad') IS NULL AND to_regclass('probe_never') IS NULL"), "t");
  EXPECT_EQ(Query(url, "SELECT count(*) FROM schema_migration WHERE name = '9999_bad.sql'"), "0");
  // The embedded list (what `nara serve` checks) is current: the test migrations are not part of it.
  auto pending = PendingMigrations(url);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());

  // A corrected migration applies, once.
  list.back().sql = "CREATE TABLE probe_bad (x int); INSERT INTO probe_bad VALUES (1);";
  auto fixed = ApplyMigrations(url, list);
  ASSERT_TRUE(fixed) << fixed.error().text;
  EXPECT_EQ(fixed->applied, std::vector<std::string>{"9999_bad.sql"});
  EXPECT_EQ(Query(url, "SELECT count(*) FROM probe_bad"), "1");
  EXPECT_EQ(Query(url, "SELECT count(*) FROM probe_good"), "1");
}

}  // namespace
}  // namespace nara::pg
