// MakeServerContext and CrlReloader against a dev PKI: the context's own X509_STORE is asked
// directly (fast, exact error codes), and real handshakes on loopback show that every refused
// certificate really ends the connection.
#include "auth/tls_context.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <utime.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "auth/dev_pki.h"
#include "auth/openssl_ptr.h"
#include "auth/peer_identity.h"

namespace nara::auth {
namespace {

namespace fs = std::filesystem;


std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

// Moves the modification time away from anything the file had, like a deploy tool replacing it.
void SetMtime(const fs::path& path, time_t mtime) {
  utimbuf times{mtime, mtime};
  ASSERT_EQ(utime(path.c_str(), &times), 0);
}

CertPtr ReadCert(const fs::path& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return nullptr;
  CertPtr cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  fclose(f);
  return cert;
}

std::string CrlPem(X509_CRL* crl) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// A CRL from the issuing CA that revokes nothing, as if `revoked` had not been revoked yet.
std::string EmptyIssuingCrlPem(const fs::path& pki) {
  CertPtr ca = ReadCert(pki / "issuing-ca.pem");
  FILE* f = fopen((pki / "issuing-ca.key").c_str(), "r");
  if (!f || !ca) throw std::runtime_error("cannot read the issuing CA");
  KeyPtr key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  fclose(f);
  CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
  time_t now = time(nullptr);
  TimePtr this_update(X509_time_adj_ex(nullptr, 0, -3600, &now));
  TimePtr next_update(X509_time_adj_ex(nullptr, 30, 0, &now));
  X509_CRL_set1_lastUpdate(crl.get(), this_update.get());
  X509_CRL_set1_nextUpdate(crl.get(), next_update.get());
  if (!key || X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) <= 0) throw std::runtime_error("cannot sign a CRL");
  return CrlPem(crl.get());
}

// The root CRL is the second one in crl.pem.
std::string RootCrlPem(const fs::path& pki) {
  std::string all = ReadFile(pki / "crl.pem");
  size_t second = all.find("-----BEGIN X509 CRL-----", 1);
  return all.substr(second);
}

// The verification result the server's context would reach for this certificate.
int VerifyWithContext(const Poco::Net::Context::Ptr& context, const fs::path& cert_file) {
  CertPtr cert = ReadCert(cert_file);
  if (!cert) return -1;
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), SSL_CTX_get_cert_store(context->sslContext()), cert.get(), nullptr);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

int CrlCount(const Poco::Net::Context::Ptr& context) {
  X509_STORE* store = SSL_CTX_get_cert_store(context->sslContext());
  int count = 0;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objects, i)) == X509_LU_CRL) ++count;
  }
  return count;
}

class TlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/nara-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    pki_ = root_ / "pki";
    Status status = CreateDevPki(pki_.string());
    ASSERT_TRUE(status.ok()) << status.error().text;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  void SetUp() override {
    work_ = root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(work_);
  }

  static TlsSettings Settings() {
    return {(pki_ / "server.pem").string(), (pki_ / "server.key").string(), (pki_ / "ca-bundle.pem").string(),
            (pki_ / "crl.pem").string()};
  }
  // Settings whose CRL file is a private copy the test may rewrite, starting with `content`.
  TlsSettings SettingsWithCrl(const std::string& content) {
    TlsSettings settings = Settings();
    settings.crl_file = (work_ / "crl.pem").string();
    WriteFile(settings.crl_file, content);
    return settings;
  }
  static fs::path Client(const std::string& name) { return pki_ / "clients" / (name + ".pem"); }

  static fs::path root_;
  static fs::path pki_;
  fs::path work_;
};

fs::path TlsContextTest::root_;
fs::path TlsContextTest::pki_;

TEST_F(TlsContextTest, LoadsTheDevPki) {
  Poco::Net::Context::Ptr context = MakeServerContext(Settings());
  ASSERT_FALSE(context.isNull());
  SSL_CTX* ctx = context->sslContext();
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_TLSv1_1, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET, 0u);
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx, &chain), 1);
  EXPECT_EQ(sk_X509_num(chain), 1);  // the issuing CA travels with the server certificate
  EXPECT_EQ(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx)), 2);
  unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(SSL_CTX_get_cert_store(ctx)));
  EXPECT_EQ(flags & (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL),
            static_cast<unsigned long>(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL));
  EXPECT_EQ(CrlCount(context), 2);
}

TEST_F(TlsContextTest, StoreRefusesWhatTheServerMustRefuse) {
  Poco::Net::Context::Ptr context = MakeServerContext(Settings());
  EXPECT_EQ(VerifyWithContext(context, Client("ehr")), X509_V_OK);
  EXPECT_EQ(VerifyWithContext(context, Client("no-hsa-id")), X509_V_OK);
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(VerifyWithContext(context, Client("expired")), X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(VerifyWithContext(context, Client("no-client-auth")), X509_V_ERR_INVALID_PURPOSE);
  EXPECT_EQ(VerifyWithContext(context, Client("foreign")), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(TlsContextTest, NoCrlFileMeansNoRevocationCheck) {
  TlsSettings settings = Settings();
  settings.crl_file.clear();
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  EXPECT_EQ(CrlCount(context), 0);
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_OK);
  EXPECT_EQ(VerifyWithContext(context, Client("no-client-auth")), X509_V_ERR_INVALID_PURPOSE);
}

TEST_F(TlsContextTest, ThrowsNamingAMissingFile) {
  std::string missing = (work_ / "missing.pem").string();
  for (std::string TlsSettings::*field :
       {&TlsSettings::cert_file, &TlsSettings::key_file, &TlsSettings::ca_file, &TlsSettings::crl_file}) {
    TlsSettings settings = Settings();
    settings.*field = missing;
    try {
      MakeServerContext(settings);
      ADD_FAILURE() << "no exception for " << missing;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("missing.pem"), std::string::npos) << e.what();
    }
  }
  TlsSettings settings = Settings();
  settings.cert_file.clear();
  EXPECT_THROW(MakeServerContext(settings), std::runtime_error);
}

TEST_F(TlsContextTest, ThrowsForACrlFileWithoutCrls) {
  TlsSettings settings = Settings();
  settings.crl_file = (pki_ / "ca-bundle.pem").string();
  EXPECT_THROW(MakeServerContext(settings), std::runtime_error);
  settings = SettingsWithCrl("-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n");
  EXPECT_THROW(MakeServerContext(settings), std::runtime_error);
}

TEST_F(TlsContextTest, ThrowsForAKeyThatDoesNotMatchTheCertificate) {
  TlsSettings settings = Settings();
  settings.key_file = (pki_ / "clients/ehr.key").string();
  EXPECT_THROW(MakeServerContext(settings), std::runtime_error);
}

TEST_F(TlsContextTest, ReloaderReportsOnlyRealChanges) {
  TlsSettings settings = SettingsWithCrl(ReadFile(pki_ / "crl.pem"));
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  CrlReloader reloader(context, settings, std::chrono::hours(1));
  EXPECT_FALSE(reloader.ReloadIfChanged());
  SetMtime(settings.crl_file, time(nullptr) + 100);
  EXPECT_TRUE(reloader.ReloadIfChanged());
  EXPECT_FALSE(reloader.ReloadIfChanged());
  EXPECT_EQ(CrlCount(context), 2);
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);
}

TEST_F(TlsContextTest, ReloaderPutsANewRevocationInForce) {
  TlsSettings settings = SettingsWithCrl(EmptyIssuingCrlPem(pki_) + RootCrlPem(pki_));
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  CrlReloader reloader(context, settings, std::chrono::hours(1));
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_OK);

  WriteFile(settings.crl_file, ReadFile(pki_ / "crl.pem"));
  SetMtime(settings.crl_file, time(nullptr) + 100);
  EXPECT_TRUE(reloader.ReloadIfChanged());
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(VerifyWithContext(context, Client("ehr")), X509_V_OK);
  EXPECT_EQ(CrlCount(context), 2);  // the superseded issuing CRL is gone
}

TEST_F(TlsContextTest, ReloaderKeepsTheCrlsInForceWhenTheNewFileIsBroken) {
  TlsSettings settings = SettingsWithCrl(ReadFile(pki_ / "crl.pem"));
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  CrlReloader reloader(context, settings, std::chrono::hours(1));

  WriteFile(settings.crl_file, "-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n");
  SetMtime(settings.crl_file, time(nullptr) + 100);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(reloader.ReloadIfChanged());
  EXPECT_FALSE(reloader.ReloadIfChanged());  // reported once, not at every poll
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  EXPECT_NE(log.find("CRL reload failed"), std::string::npos) << log;
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(CrlCount(context), 2);

  fs::remove(settings.crl_file);
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(reloader.ReloadIfChanged());
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("missing"), std::string::npos);
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);

  WriteFile(settings.crl_file, ReadFile(pki_ / "crl.pem"));
  EXPECT_TRUE(reloader.ReloadIfChanged());
}

TEST_F(TlsContextTest, ReloaderPollsInTheBackground) {
  TlsSettings settings = SettingsWithCrl(EmptyIssuingCrlPem(pki_) + RootCrlPem(pki_));
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  CrlReloader reloader(context, settings, std::chrono::milliseconds(10));
  WriteFile(settings.crl_file, ReadFile(pki_ / "crl.pem"));
  SetMtime(settings.crl_file, time(nullptr) + 100);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (VerifyWithContext(context, Client("revoked")) == X509_V_OK && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(VerifyWithContext(context, Client("revoked")), X509_V_ERR_CERT_REVOKED);
}

// Real handshakes on loopback

// Answers 200 with the caller's HSA-id, or 401 when the certificate names nobody.
class WhoAmIHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(request);
    Poco::Net::SecureStreamSocket socket(impl.socket());
    Result<Caller> caller = CallerOfConnection(socket);
    response.setStatus(caller.ok() ? Poco::Net::HTTPResponse::HTTP_OK : Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
    response.setContentType("text/plain");
    response.send() << (caller.ok() ? caller->hsa_id : caller.error().text);
  }
};

class WhoAmIFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new WhoAmIHandler;
  }
};

class LoopbackServer {
 public:
  explicit LoopbackServer(Poco::Net::Context::Ptr context)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context),
        server_(new WhoAmIFactory, socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~LoopbackServer() { server_.stopAll(true); }
  Poco::UInt16 port() const { return socket_.address().port(); }

 private:
  Poco::Net::SecureServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string error;
};

// One GET on a fresh connection (so every call is a full handshake), as a client holding `name`.
Reply Get(Poco::UInt16 port, const fs::path& pki, const std::string& name, const std::string& cert_suffix = ".pem") {
  using Poco::Net::Context;
  Context::Params params;
  params.caLocation = (pki / "ca-bundle.pem").string();
  if (!name.empty()) {
    params.certificateFile = (pki / "clients" / (name + cert_suffix)).string();
    params.privateKeyFile = (pki / "clients" / (name + ".key")).string();
  }
  params.verificationMode = Context::VERIFY_RELAXED;
  params.loadDefaultCAs = false;
  Reply reply;
  try {
    Poco::Net::HTTPSClientSession session("localhost", port, new Context(Context::TLS_CLIENT_USE, params));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/whoami", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), reply.body);
    reply.status = response.getStatus();
  } catch (const Poco::Exception& e) {
    reply.error = e.displayText();
  }
  return reply;
}

class HandshakeTest : public TlsContextTest {
 protected:
  static void SetUpTestSuite() {
    TlsContextTest::SetUpTestSuite();
    std::signal(SIGPIPE, SIG_IGN);  // a refused client may write into a closed connection
  }
};

TEST_F(HandshakeTest, AcceptsValidClientsAndRefusesTheRest) {
  LoopbackServer server(MakeServerContext(Settings()));

  Reply ehr = Get(server.port(), pki_, "ehr");
  EXPECT_EQ(ehr.status, 200) << ehr.error;
  EXPECT_EQ(ehr.body, "SE2321000016-E001");
  Reply chain = Get(server.port(), pki_, "municipality", ".chain.pem");
  EXPECT_EQ(chain.status, 200) << chain.error;
  EXPECT_EQ(chain.body, "SE2120000184-K001");
  Reply anonymous = Get(server.port(), pki_, "no-hsa-id");  // trusted, but names nobody
  EXPECT_EQ(anonymous.status, 401) << anonymous.error;

  for (const char* refused : {"revoked", "expired", "no-client-auth", "foreign", ""}) {
    Reply reply = Get(server.port(), pki_, refused);
    EXPECT_EQ(reply.status, 0) << (*refused ? refused : "no certificate") << ": " << reply.body;
    EXPECT_FALSE(reply.error.empty()) << refused;
  }
}

TEST_F(HandshakeTest, NewHandshakesSeeAReloadedCrl) {
  TlsSettings settings = SettingsWithCrl(EmptyIssuingCrlPem(pki_) + RootCrlPem(pki_));
  Poco::Net::Context::Ptr context = MakeServerContext(settings);
  CrlReloader reloader(context, settings, std::chrono::hours(1));
  LoopbackServer server(context);
  EXPECT_EQ(Get(server.port(), pki_, "revoked").status, 200);

  WriteFile(settings.crl_file, ReadFile(pki_ / "crl.pem"));
  SetMtime(settings.crl_file, time(nullptr) + 100);
  ASSERT_TRUE(reloader.ReloadIfChanged());
  Reply after = Get(server.port(), pki_, "revoked");
  EXPECT_EQ(after.status, 0);
  EXPECT_FALSE(after.error.empty());
  EXPECT_EQ(Get(server.port(), pki_, "ehr").status, 200);
}

}  // namespace
}  // namespace nara::auth
