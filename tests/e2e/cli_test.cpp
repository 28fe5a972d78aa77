// The command line as an operator meets it: every command answers --help, and a second `nara serve`
// on a port another one holds refuses to start instead of sharing it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/server_fixture.h"
#include "tests/support/server_process.h"

namespace nara::e2e {
namespace {

TEST(Cli, EveryCommandAnswersHelp) {
  for (const std::string command : {"serve", "migrate", "dev-pki", "demo-load", "audit-extract", "report", "synth",
                                    "import", "version"}) {
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
  for (const char* command : {"serve", "migrate", "report", "synth", "import", "audit-extract"}) {
    EXPECT_NE(all.find(std::string("  ") + command), std::string::npos) << command << "\n" << all;
  }
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
