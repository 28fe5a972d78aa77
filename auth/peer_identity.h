// Peer identity: who the caller is, read from an already verified client certificate.
//
// The HSA-id is the subject's serialNumber attribute (SITHS convention) and must look like one:
// "SE" + 10 or 12 digits (organisation number) + "-" + 1–31 letters/digits. The CN is kept for logs.
// Anything else — no certificate, no serialNumber, two of them, or a malformed one — is an
// unauthenticated error (401): the certificate is trusted but names nobody we can authorize.
// Role, name and organizations stay empty; the access policy fills them in.
#pragma once

#include <openssl/types.h>

#include "registry/caller.h"
#include "registry/result.h"

namespace Poco::Net {
class SecureStreamSocket;
}

namespace nara::auth {

Result<Caller> CallerFromCertificate(const X509* cert);  // nullptr: no client certificate
// The caller of a TLS connection, from the certificate its session holds. Poco's peerCertificate()
// would build an X509Certificate, whose constructor prints the issuer's and subject's names through a
// memory BIO: 9 % of the server's CPU on a GET Patient (bench/RESULTS.md, sixth round).
Result<Caller> CallerOfConnection(Poco::Net::SecureStreamSocket& socket);

}  // namespace nara::auth
