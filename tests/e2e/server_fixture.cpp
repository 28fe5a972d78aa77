#include "tests/e2e/server_fixture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "tests/support/pg_cluster.h"

namespace nara::e2e {

Server& Server::Shared() {
  static Server server;
  return server;
}

Server::Server() {
  char templ[] = "/tmp/nara-e2e-pki-XXXXXX";
  if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
  pki_dir_ = templ;
  database_url_ = testing::PgCluster::Shared().CreateDatabase("e2e");
  port_ = testing::FreePort();
  ops_port_ = testing::FreePort();
  auto [pki_code, pki_out] = testing::RunNara({"dev-pki", pki_dir_}, {});
  if (pki_code != 0) throw std::runtime_error("nara dev-pki failed: " + pki_out);
  auto [migrate_code, migrate_out] = testing::RunNara({"migrate"}, Env());
  if (migrate_code != 0) throw std::runtime_error("nara migrate failed: " + migrate_out);
  process_ = std::make_unique<testing::ServerProcess>(std::vector<std::string>{"serve"}, Env());
  if (!process_->WaitHealthy(ops_port_)) {
    throw std::runtime_error("nara serve did not become healthy:\n" + process_->log());
  }
}

std::map<std::string, std::string> Server::Env() const {
  return {
      {"NARA_DATABASE_URL", database_url_},
      {"NARA_PORT", std::to_string(port_)},
      {"NARA_OPS_PORT", std::to_string(ops_port_)},
      {"NARA_BIND_ADDRESS", "127.0.0.1"},
      {"NARA_TLS_CERT", Pki("server.pem")},
      {"NARA_TLS_KEY", Pki("server.key")},
      {"NARA_TLS_CA", Pki("ca-bundle.pem")},
      {"NARA_TLS_CRL", Pki("crl.pem")},
      {"NARA_ACCESS_FILE", Pki("access.json")},
      // Issue 7's concurrency tests open 64 connections at once on top of the other tests' kept-alive
      // ones; a connection beyond the workers is answered 503 at once (app/server/connection_guard.h).
      {"NARA_THREADS", "96"},
      {"NARA_DB_POOL_SIZE", "24"},
      {"NARA_EXPORT_DIR", pki_dir_ + "/export"},  // bulk export files: a temp folder, never ./var
      // Subscriptions may name endpoints on this machine (tests/e2e/subscription_test.cpp has its own servers).
      {"NARA_SUBSCRIPTION_ENDPOINT_ALLOWLIST", "localhost"},
      {"NARA_SUBSCRIPTION_CLIENT_CERT", Pki("clients/nara-server.pem")},
      {"NARA_SUBSCRIPTION_CLIENT_KEY", Pki("clients/nara-server.key")},
  };
}

std::unique_ptr<testing::TlsClient> Server::Client(const std::string& name) const {
  testing::ClientIdentity identity;
  if (!name.empty()) identity = {Pki("clients/" + name + ".pem"), Pki("clients/" + name + ".key")};
  return std::make_unique<testing::TlsClient>("localhost", port_, Pki("ca-bundle.pem"), identity);
}

}  // namespace nara::e2e
