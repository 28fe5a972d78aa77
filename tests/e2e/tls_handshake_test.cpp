// Mutual TLS at the door: only certificates from the configured SITHS-style CA get in (docs/api.md section 6).
#include <gtest/gtest.h>

#include "tests/e2e/json_helpers.h"
#include "tests/e2e/server_fixture.h"

namespace nara::e2e {
namespace {

TEST(TlsHandshake, TrustedClientCertificateIsServed) {
  auto client = Server::Shared().Client("ehr");
  auto result = client->Request("GET", "/fhir/metadata");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(At(Parse(result.body), "/resourceType"), "CapabilityStatement");
}

TEST(TlsHandshake, NoClientCertificateFailsAtHandshake) {
  auto client = Server::Shared().Client("");
  auto result = client->Request("GET", "/fhir/metadata");
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.error.empty());
}

TEST(TlsHandshake, CertificateFromAnotherCaFailsAtHandshake) {
  auto client = Server::Shared().Client("foreign");
  auto result = client->Request("GET", "/fhir/metadata");
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.error.empty());
}

TEST(TlsHandshake, ExpiredRevokedAndNonClientAuthCertificatesFail) {
  for (const char* name : {"expired", "revoked", "no-client-auth"}) {
    auto client = Server::Shared().Client(name);
    auto result = client->Request("GET", "/fhir/metadata");
    EXPECT_EQ(result.status, 0) << name;
    EXPECT_FALSE(result.error.empty()) << name;
  }
}

TEST(TlsHandshake, CertificateWithoutHsaIdIsUnauthenticated) {
  auto client = Server::Shared().Client("no-hsa-id");
  auto result = client->Request("GET", "/fhir/metadata");
  ASSERT_EQ(result.status, 401) << result.error;
  EXPECT_EQ(IssueCode(result.body), "login");
  // The caller's integrator reads why, Swedish first and English after.
  EXPECT_EQ(At(Parse(result.body), "/issue/0/diagnostics"),
            "certifikatet saknar HSA-id i subject serialNumber (certificate has no HSA-id in subject serialNumber)");
}

TEST(TlsHandshake, OperationsEndpointsAnswerOnLoopback) {
  EXPECT_EQ(testing::HttpGetStatus(Server::Shared().ops_port(), "/healthz"), 200);
  EXPECT_EQ(testing::HttpGetStatus(Server::Shared().ops_port(), "/readyz"), 200);
}

}  // namespace
}  // namespace nara::e2e
