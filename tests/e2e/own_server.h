// OwnServer: a `nara serve` of one test's own, on a database of its own, with the shared server's PKI and
// environment plus the test's overrides (a tighter access.json, fewer threads, short timeouts…), so a test
// that kills, overloads or reconfigures the server does not disturb the shared one.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "tests/support/server_process.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {

class OwnServer {
 public:
  // `overrides` win over the shared server's environment (e.g. {"NARA_THREADS", "2"}).
  explicit OwnServer(const std::string& prefix, std::map<std::string, std::string> overrides = {});

  std::map<std::string, std::string> Env() const;
  ::testing::AssertionResult Migrate() const;
  // Starts a new server process on fresh ports (the previous one, if any, must be gone).
  ::testing::AssertionResult Start();

  // A client presenting clients/NAME.pem of the shared PKI.
  std::unique_ptr<testing::TlsClient> Client(const std::string& name = "admin") const;

  testing::ServerProcess& process() { return *process_; }
  const std::string& database_url() const { return database_url_; }
  int port() const { return port_; }
  int ops_port() const { return ops_port_; }

 private:
  std::string database_url_;
  std::map<std::string, std::string> overrides_;
  int port_ = 0;
  int ops_port_ = 0;
  std::unique_ptr<testing::ServerProcess> process_;
};

// Writes `content` to a fresh file under TMPDIR and returns its path (e.g. a test's own access.json).
std::string WriteTempFile(const std::string& name, const std::string& content);

}  // namespace nara::e2e
