// The README's curl examples are requests a reader will paste: every `curl` command in a fenced shell
// block of README.md must carry the status it gives as a trailing comment (`# 200`), and this test runs
// each one, as written, against a real `nara serve` with the demo data and the dev PKI, so a doc example
// that has gone wrong fails here rather than in an integrator's terminal.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/own_server.h"
#include "tests/e2e/server_fixture.h"
#include "tests/support/server_process.h"

namespace nara::e2e {
namespace {

struct Example {
  int line = 0;             // where the command starts in the file, for the failure message
  std::string command;      // continuation lines joined, status comment removed
  int expected_status = 0;  // from the trailing `# NNN`
};

// Every curl command in ```sh / ```bash / ```shell blocks; lines ending in `\` continue the command.
// A curl command without a trailing status comment is kept with expected_status 0, so the test can
// insist that every example in the README says what it gives.
std::vector<Example> CurlExamples(const std::string& path) {
  std::ifstream in(path);
  std::vector<Example> examples;
  std::string line;
  bool in_shell_block = false;
  int number = 0;
  Example pending;
  bool continuing = false;
  static const std::regex status_comment(R"(\s+#\s*([1-5][0-9][0-9])\b.*$)");
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      const std::string info = line.substr(3);
      in_shell_block = !in_shell_block && (info == "sh" || info == "bash" || info == "shell");
      continuing = false;
      continue;
    }
    if (!in_shell_block) continue;
    if (!continuing) {
      const auto start = line.find_first_not_of(' ');
      if (start == std::string::npos || line.compare(start, 5, "curl ") != 0) continue;
      pending = Example{number, "", 0};
      line = line.substr(start);
    }
    continuing = !line.empty() && line.back() == '\\';
    if (continuing) {
      pending.command += line.substr(0, line.size() - 1);
      continue;
    }
    std::smatch match;
    if (std::regex_search(line, match, status_comment)) {
      pending.expected_status = std::stoi(match[1]);
      line = line.substr(0, match.position(0));
    }
    pending.command += line;
    examples.push_back(pending);
  }
  return examples;
}

void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Runs `command` with sh and returns curl's `%{http_code}` (000 when no HTTP answer came).
int RunCurl(const std::string& command, std::string& output) {
  const std::string full = command + " --silent --show-error --output /dev/null --write-out '%{http_code}' 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 512> buffer{};
  output.clear();
  while (fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  pclose(pipe);
  const auto digits = output.size() >= 3 ? output.substr(output.size() - 3) : output;
  try {
    return std::stoi(digits);
  } catch (const std::exception&) {
    return -1;
  }
}

TEST(ReadmeExamples, EveryCurlCommandGivesTheStatusItSays) {
  const auto examples = CurlExamples(std::string(NARA_SOURCE_DIR) + "/README.md");
  // The README shows reads, an operation, a refused write and refused callers: a handful at least.
  ASSERT_GE(examples.size(), 8u) << "README.md lost its curl examples";

  // The examples name demo resources (demo-patient-001, demo-vc-solna, …): a server of this test's own
  // with `nara demo-load`, so the shared server's data stays as its tests expect it.
  OwnServer server("readme");
  ASSERT_TRUE(server.Migrate());
  auto [load_code, load_out] = testing::RunNara({"demo-load"}, server.Env());
  ASSERT_EQ(load_code, 0) << load_out;
  ASSERT_TRUE(server.Start());

  const std::string pki = Server::Shared().Pki("");
  for (const auto& example : examples) {
    SCOPED_TRACE("README.md line " + std::to_string(example.line) + ": " + example.command);
    ASSERT_NE(example.expected_status, 0) << "a README curl example must end with the status it gives, e.g. `# 200`";
    std::string command = example.command;
    ReplaceAll(command, "https://localhost:8443", "https://localhost:" + std::to_string(server.port()));
    ReplaceAll(command, "localhost:8081", "127.0.0.1:" + std::to_string(server.ops_port()));
    ReplaceAll(command, "var/pki/", pki);
    std::string output;
    EXPECT_EQ(RunCurl(command, output), example.expected_status) << "curl said: " << output;
  }
}

}  // namespace
}  // namespace nara::e2e
