// The command line as an operator meets it: every command answers --help, and a second `nara serve`
// on a port another one holds refuses to start instead of sharing it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/registry_fixture.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/server_process.h"

namespace nara::e2e {
namespace {

TEST(Cli, EveryCommandAnswersHelp) {
  for (const std::string command : {"serve", "migrate", "dev-pki", "demo-load", "audit-extract", "report", "synth",
                                    "import", "reindex", "version"}) {
    for (const std::string flag : {"--help", "-h"}) {
      // No database, no files: --help must not need them (nor run the command).
      auto [code, output] = testing::RunNara({command, flag}, {{"NARA_DATABASE_URL", "postgresql://nowhere.invalid/x"}});
      EXPECT_EQ(code, 0) << command << " " << flag << ": " << output;
      EXPECT_EQ(output.rfind("usage: nara", 0), 0u) << command << " " << flag << ": " << output;
      EXPECT_NE(output.find(" " + command), std::string::npos) << output;
    }
  }
  // Also after other arguments, as `nara report --as-of 2026-01-01 --help`.
  auto [code, output] = testing::RunNara({"report", "--as-of", "2026-01-01", "--help"}, {});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("--as-of DATE"), std::string::npos) << output;
  // The overview lists every command.
  auto [all_code, all] = testing::RunNara({"--help"}, {});
  EXPECT_EQ(all_code, 0);
  for (const char* command : {"serve", "migrate", "report", "synth", "import", "reindex", "audit-extract"}) {
    EXPECT_NE(all.find(std::string("  ") + command), std::string::npos) << command << "\n" << all;
  }
}

// `nara reindex` on the shared server's database, which only this release has written: every live
// resource is read and none needs its index rows made again; a wrong argument is a usage error.
TEST(Cli, ReindexReadsEveryLiveResourceAndRewritesNoneThisReleaseWrote) {
  Server& server = Server::Shared();
  const auto written =
      server.Client("admin")->Request("PUT", "/fhir/Patient/cli-reindex-1",
                                      PatientJson("198704121238", "Omindexsson", "cli-reindex-1"), reg::kFhirJson);
  ASSERT_TRUE(written.status == 201 || written.status == 200) << written.body;
  auto env = server.Env();
  auto [code, output] = testing::RunNara({"reindex"}, env);
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find(" with index rows made again, 0 refused"), std::string::npos) << output;
  EXPECT_NE(output.find("reindexed: "), std::string::npos) << output;
  EXPECT_EQ(output.find("reindexed: 0 "), std::string::npos) << output;  // at least the patient above
  EXPECT_NE(output.find(" read, 0 with index rows made again"), std::string::npos) << output;
  auto [typed, typed_output] = testing::RunNara({"reindex", "--type", "Patient"}, env);
  EXPECT_EQ(typed, 0) << typed_output;
  EXPECT_EQ(testing::RunNara({"reindex", "--type", "Nothing"}, env).first, 64);
  EXPECT_EQ(testing::RunNara({"reindex", "now"}, env).first, 64);
}

TEST(Cli, SecondServerOnATakenOpsPortRefusesToStart) {
  Server& running = Server::Shared();
  auto env = running.Env();
  env["NARA_PORT"] = std::to_string(testing::FreePort());
  env["NARA_OPS_PORT"] = std::to_string(running.ops_port());  // held by the shared server
  auto [code, output] = testing::RunNara({"serve"}, env);
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("serve.port_unavailable"), std::string::npos) << output;
  EXPECT_NE(output.find("\"ops_port\":\"" + std::to_string(running.ops_port()) + "\""), std::string::npos) << output;
  // The FHIR port likewise.
  env["NARA_PORT"] = std::to_string(running.port());
  env["NARA_OPS_PORT"] = std::to_string(testing::FreePort());
  auto [fhir_code, fhir_output] = testing::RunNara({"serve"}, env);
  EXPECT_EQ(fhir_code, 2) << fhir_output;
  EXPECT_NE(fhir_output.find("serve.port_unavailable"), std::string::npos) << fhir_output;
  // The first server still answers.
  EXPECT_EQ(testing::HttpGetStatus(running.ops_port(), "/healthz"), 200);
}

}  // namespace
}  // namespace nara::e2e
