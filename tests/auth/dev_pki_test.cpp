// The dev PKI is checked the way the server checks clients: an X509_STORE trusting ca-bundle.pem,
// with every CRL in crl.pem, CRL_CHECK | CRL_CHECK_ALL and the SSL client purpose.
#include "auth/dev_pki.h"

#include <Poco/Net/X509Certificate.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/openssl_ptr.h"
#include "auth/peer_identity.h"

namespace nara::auth {
namespace {

namespace fs = std::filesystem;


const std::vector<std::string> kRoleClients = {"ehr", "municipality", "statistics", "citizen-portal", "admin"};
const std::vector<std::string> kAllClients = {"ehr",     "municipality", "statistics", "citizen-portal",
                                              "admin",   "expired",      "revoked",    "no-hsa-id",
                                              "no-client-auth", "foreign", "nara-server"};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<CertPtr> ReadCerts(const fs::path& path) {
  std::vector<CertPtr> certs;
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return certs;
  while (X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr)) certs.emplace_back(x);
  fclose(f);
  return certs;
}

CertPtr ReadCert(const fs::path& path) {
  std::vector<CertPtr> certs = ReadCerts(path);
  return certs.empty() ? nullptr : std::move(certs.front());
}

class DevPkiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/nara-dev-pki-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = fs::path(tmpl);
    dir_ = root_ / "pki";  // not existing yet: CreateDevPki must create it
    Status status = CreateDevPki(dir_.string());
    ASSERT_TRUE(status.ok()) << status.error().text;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  // Verification error for a certificate file, as the server's store would report it.
  static int Verify(const fs::path& cert_file, int purpose, const fs::path& anchors, bool with_crls = true) {
    StorePtr store(X509_STORE_new());
    EXPECT_EQ(X509_STORE_load_file(store.get(), anchors.c_str()), 1);
    if (with_crls) {
      X509_LOOKUP* lookup = X509_STORE_add_lookup(store.get(), X509_LOOKUP_file());
      EXPECT_EQ(X509_load_crl_file(lookup, (dir_ / "crl.pem").c_str(), X509_FILETYPE_PEM), 2);
      X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    X509_STORE_set_purpose(store.get(), purpose);
    CertPtr cert = ReadCert(cert_file);
    EXPECT_NE(cert, nullptr) << cert_file;
    if (!cert) return -1;
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
    int ok = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    EXPECT_EQ(ok == 1, error == X509_V_OK);
    return error;
  }
  static int VerifyClient(const std::string& name) {
    return Verify(dir_ / "clients" / (name + ".pem"), X509_PURPOSE_SSL_CLIENT, dir_ / "ca-bundle.pem");
  }

  static fs::path root_;
  static fs::path dir_;
};

fs::path DevPkiTest::root_;
fs::path DevPkiTest::dir_;

TEST_F(DevPkiTest, WritesEveryFileWithPrivateKeysOwnerOnly) {
  std::vector<std::string> files = {"root-ca.pem", "root-ca.key", "issuing-ca.pem", "issuing-ca.key",
                                    "ca-bundle.pem", "server.pem", "server.key", "crl.pem",
                                    "foreign-ca.pem", "access.json"};
  for (const std::string& client : kAllClients) {
    for (const char* ext : {".pem", ".key", ".chain.pem"}) files.push_back("clients/" + client + ext);
  }
  for (const std::string& file : files) {
    fs::path path = dir_ / file;
    ASSERT_TRUE(fs::exists(path)) << file;
    EXPECT_GT(fs::file_size(path), 0u) << file;
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    // Keys for the owner only; certificates and policy are meant to be shared.
    unsigned expected = path.extension() == ".key" ? 0600u : 0644u;
    EXPECT_EQ(st.st_mode & 0777, expected) << file;
  }
}

TEST_F(DevPkiTest, CaBundleIsIssuingThenRootAndServerPemCarriesTheChain) {
  EXPECT_EQ(ReadFile(dir_ / "ca-bundle.pem"), ReadFile(dir_ / "issuing-ca.pem") + ReadFile(dir_ / "root-ca.pem"));
  std::vector<CertPtr> server = ReadCerts(dir_ / "server.pem");
  ASSERT_EQ(server.size(), 2u);
  CertPtr issuing = ReadCert(dir_ / "issuing-ca.pem");
  EXPECT_EQ(X509_cmp(server[1].get(), issuing.get()), 0);
  EXPECT_EQ(X509_check_issued(issuing.get(), server[0].get()), X509_V_OK);
  EXPECT_EQ(X509_check_host(server[0].get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server[0].get(), "127.0.0.1", 0), 1);
}

TEST_F(DevPkiTest, CasAreMarkedAsCas) {
  CertPtr root = ReadCert(dir_ / "root-ca.pem");
  CertPtr issuing = ReadCert(dir_ / "issuing-ca.pem");
  EXPECT_EQ(X509_check_ca(root.get()), 1);
  EXPECT_EQ(X509_check_ca(issuing.get()), 1);
  EXPECT_EQ(X509_get_pathlen(issuing.get()), 0);
  EXPECT_EQ(X509_check_issued(root.get(), root.get()), X509_V_OK);  // self-signed
  EXPECT_EQ(X509_check_issued(root.get(), issuing.get()), X509_V_OK);
  CertPtr ehr = ReadCert(dir_ / "clients/ehr.pem");
  EXPECT_EQ(X509_check_ca(ehr.get()), 0);
}

TEST_F(DevPkiTest, RoleClientsVerify) {
  for (const std::string& client : kRoleClients) {
    EXPECT_EQ(VerifyClient(client), X509_V_OK) << client;
  }
  EXPECT_EQ(VerifyClient("no-hsa-id"), X509_V_OK);  // trusted; refused later for naming nobody
}

TEST_F(DevPkiTest, ExpiredClientFails) { EXPECT_EQ(VerifyClient("expired"), X509_V_ERR_CERT_HAS_EXPIRED); }

TEST_F(DevPkiTest, RevokedClientFails) { EXPECT_EQ(VerifyClient("revoked"), X509_V_ERR_CERT_REVOKED); }

TEST_F(DevPkiTest, RevokedClientIsOtherwiseValid) {
  EXPECT_EQ(Verify(dir_ / "clients/revoked.pem", X509_PURPOSE_SSL_CLIENT, dir_ / "ca-bundle.pem", false),
            X509_V_OK);
}

TEST_F(DevPkiTest, ClientWithoutClientAuthFails) {
  EXPECT_EQ(VerifyClient("no-client-auth"), X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(DevPkiTest, ForeignClientFailsButChainsToItsOwnCa) {
  EXPECT_EQ(VerifyClient("foreign"), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(Verify(dir_ / "clients/foreign.pem", X509_PURPOSE_SSL_CLIENT, dir_ / "foreign-ca.pem", false),
            X509_V_OK);
}

TEST_F(DevPkiTest, ServerCertificateIsForServersOnly) {
  EXPECT_EQ(Verify(dir_ / "server.pem", X509_PURPOSE_SSL_SERVER, dir_ / "ca-bundle.pem"), X509_V_OK);
  EXPECT_EQ(Verify(dir_ / "server.pem", X509_PURPOSE_SSL_CLIENT, dir_ / "ca-bundle.pem"), X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(DevPkiTest, TheServersOwnClientCertificateIsForClients) {
  // What the server presents when it calls subscription endpoints (docs/api.md section 10).
  EXPECT_EQ(Verify(dir_ / "clients/nara-server.pem", X509_PURPOSE_SSL_CLIENT, dir_ / "ca-bundle.pem"), X509_V_OK);
}

TEST_F(DevPkiTest, ChainFilesAreLeafThenIssuer) {
  for (const std::string& client : kAllClients) {
    std::string issuer = client == "foreign" ? "foreign-ca.pem" : "issuing-ca.pem";
    EXPECT_EQ(ReadFile(dir_ / "clients" / (client + ".chain.pem")),
              ReadFile(dir_ / "clients" / (client + ".pem")) + ReadFile(dir_ / issuer))
        << client;
  }
}

TEST_F(DevPkiTest, CallerFromEhrCertificate) {
  CertPtr cert = ReadCert(dir_ / "clients/ehr.pem");
  Result<Caller> caller = CallerFromCertificate(cert.get());
  ASSERT_TRUE(caller.ok()) << caller.error().text;
  EXPECT_EQ(caller->hsa_id, "SE2321000016-E001");
  EXPECT_EQ(caller->common_name, "Journalsystem Region Stockholm (TEST)");
  EXPECT_EQ(caller->role, "");
}

TEST_F(DevPkiTest, CallerFromPocoCertificateDecodesUtf8) {
  Poco::Net::X509Certificate cert((dir_ / "clients/citizen-portal.pem").string());
  Result<Caller> caller = CallerFromCertificate(cert.certificate());
  ASSERT_TRUE(caller.ok()) << caller.error().text;
  EXPECT_EQ(caller->hsa_id, "SE5565594230-P001");
  EXPECT_EQ(caller->common_name, "1177 Vårdguiden (TEST)");
}

TEST_F(DevPkiTest, CertificateWithoutHsaIdIsUnauthenticated) {
  CertPtr cert = ReadCert(dir_ / "clients/no-hsa-id.pem");
  Result<Caller> caller = CallerFromCertificate(cert.get());
  ASSERT_FALSE(caller.ok());
  EXPECT_EQ(caller.error().kind, ErrorKind::unauthenticated);
  // Swedish first, English after, as every refusal.
  EXPECT_EQ(caller.error().text,
            "certifikatet saknar HSA-id i subject serialNumber (certificate has no HSA-id in subject serialNumber)");
  Result<Caller> none = CallerFromCertificate(static_cast<const X509*>(nullptr));
  EXPECT_EQ(none.error().kind, ErrorKind::unauthenticated);
  EXPECT_EQ(none.error().text, "klientcertifikat saknas (client certificate required)");
}

TEST_F(DevPkiTest, CertificateWithMalformedSerialNumberIsUnauthenticated) {
  CertPtr cert = ReadCert(dir_ / "clients/ehr.pem");
  X509_NAME* name = X509_get_subject_name(cert.get());
  int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  ASSERT_GE(index, 0);
  X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, index));
  const unsigned char bad[] = "197106254787";  // a personnummer is not an HSA-id
  ASSERT_EQ(X509_NAME_add_entry_by_NID(name, NID_serialNumber, MBSTRING_ASC, bad, -1, -1, 0), 1);
  Result<Caller> caller = CallerFromCertificate(cert.get());
  ASSERT_FALSE(caller.ok());
  EXPECT_EQ(caller.error().kind, ErrorKind::unauthenticated);
}

TEST_F(DevPkiTest, AccessJsonListsTheFiveRoleClients) {
  std::string json = ReadFile(dir_ / "access.json");
  EXPECT_NE(json.find("\"clients\""), std::string::npos);
  const std::map<std::string, std::string> roles = {{"SE2321000016-E001", "ehr"},
                                                    {"SE2120000184-K001", "municipality"},
                                                    {"SE2021005521-S001", "statistics"},
                                                    {"SE5565594230-P001", "citizen-portal"},
                                                    {"SE2321000016-A001", "admin"}};
  for (const auto& [hsa_id, role] : roles) {
    size_t at = json.find("\"hsaId\": \"" + hsa_id + "\"");
    ASSERT_NE(at, std::string::npos) << hsa_id;
    size_t line_end = json.find('\n', at);
    std::string line = json.substr(at, line_end - at);
    EXPECT_NE(line.find("\"role\": \"" + role + "\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"name\": \""), std::string::npos) << line;
  }
  EXPECT_NE(json.find("\"organizations\": [\"SE2321000016-0001\"]"), std::string::npos);
  EXPECT_NE(json.find("\"organizations\": [\"SE2120000184-0001\"]"), std::string::npos);
  EXPECT_NE(json.find("1177 Vårdguiden (TEST)"), std::string::npos);
  EXPECT_EQ(json.find("SE2321000016-E003"), std::string::npos);  // test-only clients get no role
}

TEST_F(DevPkiTest, SecondCallKeepsTheExistingFiles) {
  std::map<std::string, std::string> before;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) before[entry.path().string()] = ReadFile(entry.path());
  }
  Status status = CreateDevPki(dir_.string());
  ASSERT_TRUE(status.ok()) << status.error().text;
  std::map<std::string, std::string> after;
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) after[entry.path().string()] = ReadFile(entry.path());
  }
  EXPECT_EQ(before.size(), 46u);  // 10 in the folder, 3 per client
  EXPECT_EQ(before, after);
}

TEST_F(DevPkiTest, UnwritableDirectoryIsAnErrorNotACrash) {
  fs::path file = root_ / "a-file";
  std::ofstream(file) << "x";
  Status status = CreateDevPki((file / "pki").string());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().text.find("a-file"), std::string::npos) << status.error().text;
}

}  // namespace
}  // namespace nara::auth
