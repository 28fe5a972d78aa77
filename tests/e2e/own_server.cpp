#include "tests/e2e/own_server.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "tests/e2e/server_fixture.h"
#include "tests/support/pg_cluster.h"

namespace nara::e2e {

OwnServer::OwnServer(const std::string& prefix, std::map<std::string, std::string> overrides)
    : database_url_(testing::PgCluster::Shared().CreateDatabase(prefix)), overrides_(std::move(overrides)) {}

std::map<std::string, std::string> OwnServer::Env() const {
  auto env = Server::Shared().Env();
  env["NARA_DATABASE_URL"] = database_url_;
  env["NARA_PORT"] = std::to_string(port_);
  env["NARA_OPS_PORT"] = std::to_string(ops_port_);
  for (const auto& [name, value] : overrides_) env[name] = value;
  return env;
}

::testing::AssertionResult OwnServer::Migrate() const {
  auto [code, out] = testing::RunNara({"migrate"}, Env());
  if (code != 0) return ::testing::AssertionFailure() << "nara migrate failed (" << code << "): " << out;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult OwnServer::Start() {
  port_ = testing::FreePort();
  ops_port_ = testing::FreePort();
  process_ = std::make_unique<testing::ServerProcess>(std::vector<std::string>{"serve"}, Env());
  if (!process_->WaitHealthy(ops_port_)) {
    return ::testing::AssertionFailure() << "nara serve did not become healthy:\n" << process_->log();
  }
  return ::testing::AssertionSuccess();
}

std::unique_ptr<testing::TlsClient> OwnServer::Client(const std::string& name) const {
  const auto& shared = Server::Shared();
  return std::make_unique<testing::TlsClient>(
      "localhost", port_, shared.Pki("ca-bundle.pem"),
      testing::ClientIdentity{shared.Pki("clients/" + name + ".pem"), shared.Pki("clients/" + name + ".key")});
}

std::string WriteTempFile(const std::string& name, const std::string& content) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/nara-" + name + "-XXXXXX";
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
  const std::string path = templ + "/" + name;
  std::ofstream(path) << content;
  return path;
}

}  // namespace nara::e2e
