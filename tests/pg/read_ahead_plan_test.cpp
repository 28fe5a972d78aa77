// The read-ahead statement (pg/internal/read_ahead_sql.h) against a real cluster: PostgreSQL must be
// able to keep one generic plan for it. A prepared statement is planned for its parameters five
// times, then its generic plan is used only if it costs no more than those custom plans did; the
// read ahead once joined unnest($1, $2), whose generic plan assumes ten keys where a call brings
// two, so every call was planned again (2 594 plans for 2 594 calls, 0.5 ms each, in a figure 2 run
// with pg_stat_statements.track_planning: bench/RESULTS.md, thirteenth round).
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "pg/internal/pq_util.h"
#include "pg/internal/read_ahead_sql.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

TEST(ReadAheadPlanTest, EveryArityKeepsAGenericPlanAfterItsFirstCustomPlans) {
  const std::string url = nara::testing::MigratedDatabase("readaheadplan");
  pqxx::connection conn(url);
  {
    // A few thousand resources, so a plan's cost depends on how many keys it expects.
    pqxx::work tx(conn);
    tx.exec0(
        "INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
        "SELECT t, t || '-' || n, 1, now(), '{}' FROM generate_series(1, 3000) n, "
        "unnest(ARRAY['EpisodeOfCare', 'CareTeam']) t");
    tx.exec0(
        "INSERT INTO resource_current (res_type, res_id, version, last_updated) "
        "SELECT res_type, res_id, version, last_updated FROM resource_version");
    tx.exec0("ANALYZE resource_current");
    tx.exec0("ANALYZE resource_version");
    tx.commit();
  }
  for (size_t keys = 1; keys <= kReadAheadKeysPerStatement; ++keys) {
    const std::string name = ReadAheadStatementName(keys);
    for (int call = 0; call < 12; ++call) {
      std::vector<std::string> types, ids;
      for (size_t k = 0; k < keys; ++k) {
        const std::string type = k % 2 ? "CareTeam" : "EpisodeOfCare";
        types.push_back(type);
        ids.push_back(type + "-" + std::to_string(call * 100 + k + 1));
      }
      pqxx::work tx(conn);
      const auto rows =
          ExecPrepared(tx, name.c_str(), ReadAheadSql(keys).c_str(), TextArrayLiteral(types), TextArrayLiteral(ids));
      EXPECT_EQ(rows.size(), keys) << name << " call " << call;
      tx.commit();
    }
    pqxx::read_transaction tx(conn);
    const auto plans =
        tx.exec_params1("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1", name);
    EXPECT_LE(plans[1].as<int>(), 5) << name << ": custom plans";
    EXPECT_GE(plans[0].as<int>(), 7) << name << ": generic plans";
  }
}

}  // namespace
}  // namespace nara::pg
