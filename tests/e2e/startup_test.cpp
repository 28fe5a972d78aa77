// Start-up behaviour a operator relies on: serve refuses an unmigrated database with a clear
// message, migrate is idempotent, dev-pki reuses an existing PKI.
#include <gtest/gtest.h>

#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {
namespace {

TEST(Startup, ServeRefusesAnUnmigratedDatabase) {
  auto env = Server::Shared().Env();
  env["NARA_DATABASE_URL"] = testing::PgCluster::Shared().CreateDatabase("unmigrated");
  env["NARA_PORT"] = std::to_string(testing::FreePort());
  env["NARA_OPS_PORT"] = std::to_string(testing::FreePort());
  auto [code, output] = testing::RunNara({"serve"}, env);
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("nara migrate"), std::string::npos) << output;
}

TEST(Startup, MigrateIsIdempotent) {
  auto [code, output] = testing::RunNara({"migrate"}, Server::Shared().Env());
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("\"applied\":\"0\""), std::string::npos) << output;
}

TEST(Startup, DemoLoadIsIdempotentAndSearchable) {
  auto env = Server::Shared().Env();
  env["NARA_DATABASE_URL"] = testing::PgCluster::Shared().CreateDatabase("demo");
  ASSERT_EQ(testing::RunNara({"migrate"}, env).first, 0);
  auto [first, first_out] = testing::RunNara({"demo-load"}, env);
  ASSERT_EQ(first, 0) << first_out;
  EXPECT_NE(first_out.find("\"already_loaded\":\"false\""), std::string::npos) << first_out;
  auto [second, second_out] = testing::RunNara({"demo-load"}, env);
  ASSERT_EQ(second, 0) << second_out;
  EXPECT_NE(second_out.find("\"already_loaded\":\"true\""), std::string::npos) << second_out;
  auto [count_code, count] = testing::Psql(env["NARA_DATABASE_URL"],
                                           "SELECT count(*) FROM resource_current WHERE res_type = 'Patient'");
  EXPECT_EQ(count_code, 0);
  EXPECT_EQ(count.substr(0, count.find('\n')), "200");
}

}  // namespace
}  // namespace nara::e2e
