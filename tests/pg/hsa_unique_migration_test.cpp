// Migration 0018 (schema/0018_directory_hsa_unique.sql): Organizations and Practitioners stored
// before an HSA-id was unique claim theirs. Where two already share one, the one created first keeps
// it; the other stays as it is, and its next write naming the HSA-id is refused (409) until one of
// them gives it up. An HSA-id ended with period.end, or on a deleted resource, claims nothing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pg/migrations.h"
#include "pg/pg_store.h"
#include "registry/identifier_system.h"
#include "registry/resource_store.h"
#include "tests/pg/write_one.h"
#include "tests/support/pg_cluster.h"

namespace nara::pg {
namespace {

constexpr const char* kTheMigration = "0018_directory_hsa_unique.sql";

std::string Query(const std::string& url, const std::string& sql) {
  auto [code, out] = testing::Psql(url, sql);
  EXPECT_EQ(code, 0) << sql << ": " << out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// A version as stored before the migration: the body names the HSA-id, and nothing claims it.
WriteRequest Unclaimed(const std::string& type, const std::string& id, const std::string& identifier_json) {
  WriteRequest request;
  request.type = type;
  request.id = id;
  request.render = [type, identifier_json](const VersionInfo& info) {
    return R"({"resourceType":")" + type + R"(","id":")" + info.id + R"(","identifier":)" + identifier_json + "}";
  };
  return request;
}

std::string Hsa(const std::string& value, const std::string& period = "") {
  return R"([{"system":"urn:oid:1.2.752.29.4.19","value":")" + value + R"(")" + period + "}]";
}

TEST(HsaUniqueMigration, StoredUnitsAndPeopleClaimTheirHsaIdsAndTheFirstCreatedKeepsAShared) {
  const std::string url = testing::PgCluster::Shared().CreateDatabase("hsauniq");
  std::vector<Migration> before;
  for (const auto& migration : EmbeddedMigrations()) {
    if (migration.name != kTheMigration) before.push_back(migration);
  }
  ASSERT_EQ(before.size() + 1, EmbeddedMigrations().size()) << "the migration is embedded";
  ASSERT_TRUE(ApplyMigrations(url, before).ok());

  PgStore store(url, 2);
  // "b-first" is created before "a-second", so the lower id is not what decides.
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("Organization", "b-first", Hsa("SE2321000016-0001"))).ok());
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("Organization", "a-second", Hsa("SE2321000016-0001"))).ok());
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("Practitioner", "doc", Hsa("SE2321000016-1234"))).ok());
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("Organization", "renamed",
                                                 Hsa("SE2321000016-0009", R"(,"period":{"end":"2024-01-01"})")))
                  .ok());
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("Organization", "gone", Hsa("SE2321000016-0007"))).ok());
  ASSERT_TRUE(store
                  .Transact([](ResourceTransaction& tx) -> Status {
                    auto deleted = tx.Delete("Organization", "gone", std::nullopt);
                    return deleted ? Status(Ok()) : Status(deleted.error());
                  })
                  .ok());
  ASSERT_TRUE(testing::WriteOne(store, Unclaimed("PractitionerRole", "role", Hsa("SE2321000016-5555"))).ok());

  ASSERT_TRUE(ApplyMigrations(url).ok());
  EXPECT_EQ(Query(url,
                  "SELECT string_agg(value || '=' || res_type || '/' || res_id, ',' ORDER BY value) "
                  "FROM unique_identifier"),
            "SE2321000016-0001=Organization/b-first,SE2321000016-1234=Practitioner/doc");

  // The second holder's next write that names the HSA-id is the duplicate; its stored version stays.
  WriteRequest second = Unclaimed("Organization", "a-second", Hsa("SE2321000016-0001"));
  second.index.unique.push_back({"", systems::kHsaId, "SE2321000016-0001"});
  auto refused = testing::WriteOne(store, second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_NE(refused.error().text.find("Organization/b-first"), std::string::npos) << refused.error().text;
  EXPECT_EQ(Query(url, "SELECT version FROM resource_current WHERE res_id = 'a-second'"), "1");
}

}  // namespace
}  // namespace nara::pg
