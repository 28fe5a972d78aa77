// Dev PKI: a SITHS-like TEST PKI for `nara dev-pki DIR`, run.sh and the end-to-end tests.
//
// DIR receives:
//   root-ca.pem/.key        "Nära e-id Root CA v2 (TEST)", self-signed, 10 years
//   issuing-ca.pem/.key     "Nära e-id Function CA v1 (TEST)", signed by the root, pathlen 0
//   ca-bundle.pem           issuing + root: the trust anchors on both sides of the handshake
//   server.pem/.key         CN=localhost, SAN localhost + 127.0.0.1, serverAuth; server.pem is leaf + issuing CA
//   crl.pem                 issuing CA CRL (lists `revoked`) + root CRL (empty), for CRL_CHECK_ALL
//   foreign-ca.pem          an unrelated self-signed CA, issuer of the `foreign` client
//   access.json             docs/api.md section 6 policy for the five role clients
//   clients/NAME.pem/.key/.chain.pem  for NAME in ehr, municipality, statistics, citizen-portal, admin,
//                           expired, revoked, no-hsa-id, no-client-auth, foreign
// Private keys are EC P-256, mode 0600. Client subjects carry the HSA-id in serialNumber.
//
// Idempotent: when DIR/ca-bundle.pem exists nothing is written (run.sh reuses the PKI). ca-bundle.pem
// is written last, so a run that failed half-way is redone from scratch on the next call.
#pragma once

#include <string>

#include "registry/result.h"

namespace nara::auth {

Status CreateDevPki(const std::string& dir);

}  // namespace nara::auth
