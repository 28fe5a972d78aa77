#include "auth/tls_context.h"
#include "auth/openssl_ptr.h"

#include <Poco/Exception.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <vector>

namespace nara::auth {
namespace {

std::string OpenSslErrors() {
  std::string text;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    text += text.empty() ? "" : "; ";
    text += buf;
  }
  return text;
}

[[noreturn]] void Fail(const std::string& what) {
  std::string detail = OpenSslErrors();
  throw std::runtime_error(detail.empty() ? what : what + ": " + detail);
}

void RequireReadable(const std::string& path, const char* what) {
  if (path.empty()) throw std::runtime_error(std::string("TLS ") + what + " file is not configured");
  if (access(path.c_str(), R_OK) != 0) {
    throw std::runtime_error(std::string("TLS ") + what + " file '" + path + "' is missing or unreadable");
  }
}

// Every CRL in a PEM file. A file without one is an error: CRL_CHECK would then refuse every client.
std::vector<CrlPtr> LoadCrls(const std::string& path) {
  RequireReadable(path, "CRL");
  ERR_clear_error();
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) Fail("cannot open CRL file '" + path + "'");
  std::vector<CrlPtr> crls;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) crls.emplace_back(crl);
  // The loop ends with "no start line" at end of file; anything else is a damaged entry.
  unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  } else if (last != 0) {
    Fail("CRL file '" + path + "' is damaged");
  }
  if (crls.empty()) throw std::runtime_error("CRL file '" + path + "' contains no CRL");
  return crls;
}

// Adds the new CRLs first and only then drops the others, under the store's own lock. Verifiers
// take their own references to CRLs, so a handshake that is checking right now keeps what it has.
// (Swapping in a fresh X509_STORE with SSL_CTX_set_cert_store instead would free the old store
// under a concurrent handshake that still points at it.)
void InstallCrls(X509_STORE* store, const std::vector<CrlPtr>& crls) {
  for (const CrlPtr& crl : crls) {
    if (!X509_STORE_add_crl(store, crl.get())) Fail("cannot add a CRL to the trust store");
  }
  X509_STORE_lock(store);
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = sk_X509_OBJECT_num(objects) - 1; i >= 0; --i) {
    X509_OBJECT* object = sk_X509_OBJECT_value(objects, i);
    if (X509_OBJECT_get_type(object) != X509_LU_CRL) continue;
    X509_CRL* held = X509_OBJECT_get0_X509_CRL(object);
    bool current = std::any_of(crls.begin(), crls.end(),
                               [held](const CrlPtr& crl) { return X509_CRL_match(held, crl.get()) == 0; });
    if (!current) {
      (void)sk_X509_OBJECT_delete(objects, i);
      X509_OBJECT_free(object);
    }
  }
  X509_STORE_unlock(store);
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void LogWarning(const std::string& message, const std::string& file) {
  std::string line = "{\"level\":\"warn\",\"component\":\"tls\",\"msg\":\"" + JsonEscape(message) +
                     "\",\"file\":\"" + JsonEscape(file) + "\"}\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

Poco::Net::Context::Ptr MakeServerContext(const TlsSettings& settings) {
  RequireReadable(settings.cert_file, "certificate");
  RequireReadable(settings.key_file, "private key");
  RequireReadable(settings.ca_file, "CA");
  std::vector<CrlPtr> crls;
  if (!settings.crl_file.empty()) crls = LoadCrls(settings.crl_file);

  using Poco::Net::Context;
  Context::Params params;
  params.certificateFile = settings.cert_file;  // Poco 1.11 loads it with SSL_CTX_use_certificate_chain_file
  params.privateKeyFile = settings.key_file;
  params.caLocation = settings.ca_file;
  params.verificationMode = Context::VERIFY_STRICT;  // a client certificate is required
  params.loadDefaultCAs = false;                     // only our anchors, never the system's public CAs
  params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
  Context::Ptr context;
  try {
    context = new Context(Context::TLS_SERVER_USE, params);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("TLS context: " + e.displayText());
  }
  context->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                            Context::PROTO_TLSV1_1);
  // Poco would otherwise match the *client* certificate against a host name and silently drop
  // every connection; the caller is identified by HSA-id instead (peer_identity.h).
  context->enableExtendedCertificateVerification(false);

  SSL_CTX* ctx = context->sslContext();
  ERR_clear_error();
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) Fail("cannot require TLS 1.2");
  if (!SSL_CTX_check_private_key(ctx)) {
    Fail("TLS private key '" + settings.key_file + "' does not match certificate '" + settings.cert_file + "'");
  }
  // A resumed session skips certificate and CRL checks; a revoked client could keep resuming.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 0);

  // Tells clients which CAs we accept, so one holding several certificates picks a SITHS one.
  STACK_OF(X509_NAME)* ca_names = SSL_load_client_CA_file(settings.ca_file.c_str());
  if (ca_names == nullptr) Fail("CA file '" + settings.ca_file + "' has no certificates");
  SSL_CTX_set_client_CA_list(ctx, ca_names);

  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  // OpenSSL's server side defaults to this purpose too; being explicit keeps a certificate
  // without the clientAuth EKU out even if that default ever changes.
  if (!X509_STORE_set_purpose(store, X509_PURPOSE_SSL_CLIENT) || !SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT)) {
    Fail("cannot set the clientAuth purpose");
  }
  if (!crls.empty()) InstallCrls(store, crls);
  return context;
}

bool CrlReloader::FileStamp::operator==(const FileStamp& o) const {
  return exists == o.exists && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
         size == o.size && inode == o.inode;
}

CrlReloader::CrlReloader(Poco::Net::Context::Ptr ctx, TlsSettings settings, std::chrono::milliseconds interval)
    : ctx_(std::move(ctx)), settings_(std::move(settings)), interval_(interval) {
  if (settings_.crl_file.empty()) return;
  // The context was just built from the file as it is now.
  last_ = Stamp();
  thread_ = std::thread([this] { Run(); });
}

CrlReloader::~CrlReloader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CrlReloader::FileStamp CrlReloader::Stamp() const {
  FileStamp stamp;
  struct stat st {};
  if (stat(settings_.crl_file.c_str(), &st) == 0) {
    stamp.exists = true;
    stamp.mtime = st.st_mtim;
    stamp.size = st.st_size;
    stamp.inode = st.st_ino;
  }
  return stamp;
}

bool CrlReloader::ReloadIfChanged() {
  if (settings_.crl_file.empty()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  FileStamp now = Stamp();
  if (now == last_) return false;
  // Remembered even when the load fails, so a broken file is reported once, not every poll.
  last_ = now;
  try {
    std::vector<CrlPtr> crls = LoadCrls(settings_.crl_file);
    InstallCrls(SSL_CTX_get_cert_store(ctx_->sslContext()), crls);
    return true;
  } catch (const std::exception& e) {
    ERR_clear_error();
    LogWarning(std::string("CRL reload failed, keeping the CRLs in force: ") + e.what(), settings_.crl_file);
    return false;
  }
}

void CrlReloader::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    ReloadIfChanged();  // never throws: failures are logged inside
    lock.lock();
  }
}

}  // namespace nara::auth
