#include "auth/peer_identity.h"

#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/Session.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <string>

#include "registry/hsa_id.h"

namespace nara::auth {
namespace {

Error Unauthenticated(std::string text) { return {ErrorKind::unauthenticated, "login", std::move(text), {}}; }

// The single value of attribute `nid`, as UTF-8; nullopt when absent, repeated or not decodable.
// A repeated serialNumber would make the caller ambiguous, so it counts as absent.
std::optional<std::string> SingleEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0 || X509_NAME_get_index_by_NID(name, nid, index) >= 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return std::nullopt;
  std::string value(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return value;
}

}  // namespace

Result<Caller> CallerFromCertificate(const X509* cert) {
  if (cert == nullptr) return Unauthenticated("klientcertifikat saknas (client certificate required)");
  const X509_NAME* subject = X509_get_subject_name(cert);
  std::optional<std::string> serial = SingleEntry(subject, NID_serialNumber);
  if (!serial || !HsaId::Parse(*serial).ok()) {
    return Unauthenticated(
        "certifikatet saknar HSA-id i subject serialNumber (certificate has no HSA-id in subject serialNumber)");
  }
  Caller caller;
  caller.hsa_id = std::move(*serial);
  caller.common_name = SingleEntry(subject, NID_commonName).value_or("");
  return caller;
}

Result<Caller> CallerOfConnection(Poco::Net::SecureStreamSocket& socket) {
  // The session reference keeps the certificate alive while it is read.
  const Poco::Net::Session::Ptr session = socket.currentSession();
  const X509* certificate = session ? SSL_SESSION_get0_peer(session->sslSession()) : nullptr;
  return CallerFromCertificate(certificate);  // an absent certificate is refused there
}

}  // namespace nara::auth
