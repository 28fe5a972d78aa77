// The end-to-end environment shared by every e2e test in this binary: a fresh database in the
// throw-away cluster, a dev PKI from `nara dev-pki`, `nara migrate`, and a real `nara serve`
// listening on free ports. Clients talk to it over real mutual TLS.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "tests/support/server_process.h"
#include "tests/support/tls_client.h"

namespace nara::e2e {

class Server {
 public:
  static Server& Shared();  // started on first use, stopped at process exit

  // The environment that points a `nara` command at this test's database and PKI.
  std::map<std::string, std::string> Env() const;
  std::string Pki(const std::string& file) const { return pki_dir_ + "/" + file; }
  const std::string& database_url() const { return database_url_; }
  int port() const { return port_; }
  int ops_port() const { return ops_port_; }

  // A client presenting clients/NAME.pem (e.g. "ehr"); "" = no client certificate.
  std::unique_ptr<testing::TlsClient> Client(const std::string& name = "ehr") const;
  std::string ServerLog() const { return process_->log(); }

 private:
  Server();
  std::string pki_dir_;
  std::string database_url_;
  int port_ = 0;
  int ops_port_ = 0;
  std::unique_ptr<testing::ServerProcess> process_;
};

}  // namespace nara::e2e
