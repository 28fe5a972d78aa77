// The throw-away cluster every integration test stands on: it starts, and hands out separate databases.
#include <gtest/gtest.h>

#include "tests/support/pg_cluster.h"

namespace nara::testing {
namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(PgClusterSmoke, CreatedDatabaseAcceptsConnections) {
  std::string url = PgCluster::Shared().CreateDatabase();
  auto [status, out] = Psql(url, "select 1");
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(Trimmed(out), "1");
}

TEST(PgClusterSmoke, TwoCallsGiveTwoDifferentDatabases) {
  std::string a = PgCluster::Shared().CreateDatabase("smoke");
  std::string b = PgCluster::Shared().CreateDatabase("smoke");
  EXPECT_NE(a, b);
  auto [status_a, name_a] = Psql(a, "select current_database()");
  auto [status_b, name_b] = Psql(b, "select current_database()");
  ASSERT_EQ(status_a, 0) << name_a;
  ASSERT_EQ(status_b, 0) << name_b;
  EXPECT_NE(Trimmed(name_a), Trimmed(name_b));
  EXPECT_EQ(Trimmed(name_a).rfind("smoke_", 0), 0u) << name_a;

  // A table made in one is not visible in the other.
  ASSERT_EQ(Psql(a, "create table only_in_a(x int)").first, 0);
  auto [status, out] = Psql(b, "select to_regclass('only_in_a') is null");
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(Trimmed(out), "t");
}

TEST(PgClusterSmoke, AdminUrlReachesMaintenanceDatabase) {
  auto [status, out] = Psql(PgCluster::Shared().admin_url(), "select 1");
  EXPECT_EQ(status, 0) << out;
}

}  // namespace
}  // namespace nara::testing
