#include "auth/dev_pki.h"
#include "auth/openssl_ptr.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace nara::auth {
namespace {

namespace fs = std::filesystem;

constexpr long kDay = 24 * 60 * 60;
// Certificates start an hour back so a client whose clock is a little behind still accepts them.
constexpr long kSkew = 60 * 60;

[[noreturn]] void Fail(const std::string& what) {
  std::string text = what;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    text += text == what ? ": " : "; ";
    text += buf;
  }
  throw std::runtime_error(text);
}

void Check(int ok, const std::string& what) {
  if (ok <= 0) Fail(what);
}

enum class Profile { root_ca, issuing_ca, server, client, server_auth_only };

struct Subject {
  std::string common_name;
  std::string organization;
  std::string hsa_id;  // empty: no serialNumber attribute
};

struct Validity {  // seconds relative to now
  long not_before_seconds = -kSkew;
  long not_after_seconds = 2 * 365 * kDay;
};

struct Issued {
  CertPtr cert;
  KeyPtr key;
};

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) Fail("generating an EC P-256 key");
  return key;
}

// 128 random bits, top bit clear so the DER INTEGER stays positive and 16 bytes long.
void SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  Check(RAND_bytes(bytes, sizeof bytes), "generating a serial number");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) Fail("setting a serial number");
}

void AddEntry(X509_NAME* name, int nid, const std::string& value) {
  // MBSTRING_UTF8 lets OpenSSL pick UTF8String for å/ä/ö and PrintableString where the
  // attribute demands it (C, serialNumber).
  Check(X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0),
        "adding subject attribute " + value);
}

void SetSubject(X509* cert, const Subject& subject) {
  X509_NAME* name = X509_get_subject_name(cert);
  AddEntry(name, NID_countryName, "SE");
  AddEntry(name, NID_organizationName, subject.organization);
  AddEntry(name, NID_commonName, subject.common_name);
  if (!subject.hsa_id.empty()) AddEntry(name, NID_serialNumber, subject.hsa_id);
}

void AddExtension(X509V3_CTX* ctx, X509* cert, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext) Fail(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value);
  Check(X509_add_ext(cert, ext.get(), -1), std::string("adding extension ") + OBJ_nid2sn(nid));
}

void AddProfileExtensions(X509* cert, X509* issuer_cert, Profile profile) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
  switch (profile) {
    case Profile::root_ca:
      AddExtension(&ctx, cert, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(&ctx, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Profile::issuing_ca:
      AddExtension(&ctx, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      AddExtension(&ctx, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Profile::server:
      AddExtension(&ctx, cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(&ctx, cert, NID_key_usage, "critical,digitalSignature");
      AddExtension(&ctx, cert, NID_ext_key_usage, "serverAuth");
      AddExtension(&ctx, cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
      break;
    case Profile::client:
      AddExtension(&ctx, cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(&ctx, cert, NID_key_usage, "critical,digitalSignature");
      AddExtension(&ctx, cert, NID_ext_key_usage, "clientAuth");
      break;
    case Profile::server_auth_only:
      AddExtension(&ctx, cert, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(&ctx, cert, NID_key_usage, "critical,digitalSignature");
      AddExtension(&ctx, cert, NID_ext_key_usage, "serverAuth");
      break;
  }
  // The subject key id must exist before the authority key id of a self-signed CA can refer to it.
  AddExtension(&ctx, cert, NID_subject_key_identifier, "hash");
  AddExtension(&ctx, cert, NID_authority_key_identifier, "keyid:always");
}

// Issues a certificate; issuer == nullptr makes it self-signed.
Issued Issue(const Subject& subject, Profile profile, Validity validity, const Issued* issuer) {
  Issued out{CertPtr(X509_new()), NewKey()};
  X509* cert = out.cert.get();
  if (!cert) Fail("allocating a certificate");
  Check(X509_set_version(cert, X509_VERSION_3), "setting version");
  SetRandomSerial(cert);
  SetSubject(cert, subject);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  EVP_PKEY* issuer_key = issuer ? issuer->key.get() : out.key.get();
  Check(X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)), "setting issuer");
  if (!X509_time_adj_ex(X509_getm_notBefore(cert), 0, validity.not_before_seconds, nullptr) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert), 0, validity.not_after_seconds, nullptr)) {
    Fail("setting validity");
  }
  Check(X509_set_pubkey(cert, out.key.get()), "setting public key");
  AddProfileExtensions(cert, issuer_cert, profile);
  Check(X509_sign(cert, issuer_key, EVP_sha256()), "signing " + subject.common_name);
  return out;
}

CrlPtr MakeCrl(const Issued& ca, const std::vector<X509*>& revoked) {
  CrlPtr crl(X509_CRL_new());
  if (!crl) Fail("allocating a CRL");
  Check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "setting CRL version");
  Check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())), "setting CRL issuer");
  time_t now = time(nullptr);
  TimePtr this_update(X509_time_adj_ex(nullptr, 0, -kSkew, &now));
  // A dev PKI is made once and reused by every ./run.sh: its CRL lives as long as its certificates
  // (two years), or the server would refuse every client a month later. A real CA publishes often.
  TimePtr next_update(X509_time_adj_ex(nullptr, 2 * 365, 0, &now));
  if (!this_update || !next_update) Fail("computing CRL dates");
  Check(X509_CRL_set1_lastUpdate(crl.get(), this_update.get()), "setting CRL thisUpdate");
  Check(X509_CRL_set1_nextUpdate(crl.get(), next_update.get()), "setting CRL nextUpdate");
  for (X509* cert : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    if (!entry || !X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert)) ||
        !X509_REVOKED_set_revocationDate(entry, this_update.get()) || !X509_CRL_add0_revoked(crl.get(), entry)) {
      X509_REVOKED_free(entry);
      Fail("adding a revoked serial");
    }
  }
  Check(X509_CRL_sort(crl.get()), "sorting CRL");
  IntPtr number(ASN1_INTEGER_new());
  if (!number || !ASN1_INTEGER_set(number.get(), 1)) Fail("building CRL number");
  Check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0), "adding CRL number");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.cert.get(), nullptr, nullptr, crl.get(), 0);
  ExtPtr akid(X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!akid || !X509_CRL_add_ext(crl.get(), akid.get(), -1)) Fail("adding CRL authority key id");
  Check(X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()), "signing CRL");
  return crl;
}

template <typename Writer>
std::string ToPem(Writer write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) <= 0) Fail("encoding PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* cert) {
  return ToPem([cert](BIO* b) { return PEM_write_bio_X509(b, cert); });
}
std::string KeyPem(EVP_PKEY* key) {
  return ToPem([key](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
}
std::string CrlPem(X509_CRL* crl) {
  return ToPem([crl](BIO* b) { return PEM_write_bio_X509_CRL(b, crl); });
}

// Opens with the final mode so a private key is never readable by others, not even briefly.
void WriteFile(const fs::path& path, const std::string& content, mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  // fchmod: an existing file would keep its old mode, and umask would narrow a new one.
  int error = fchmod(fd, mode) == 0 ? 0 : errno;
  for (size_t done = 0; error == 0 && done < content.size();) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
    } else {
      done += static_cast<size_t>(n);
    }
  }
  if (close(fd) != 0 && error == 0) error = errno;
  if (error != 0) throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(error));
}

void WriteKey(const fs::path& path, EVP_PKEY* key) { WriteFile(path, KeyPem(key), 0600); }

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct ClientSpec {
  const char* file = "";
  Subject subject;
  Profile profile = Profile::client;
  Validity validity;
  const char* role = nullptr;  // set: listed in access.json
  std::vector<std::string> organizations;
  bool foreign = false;  // issued by the foreign CA instead of the issuing CA
  bool revoked = false;  // listed in the issuing CA's CRL

  void WithRole(const char* r, std::vector<std::string> orgs) {
    role = r;
    organizations = std::move(orgs);
  }
};

std::vector<ClientSpec> ClientSpecs() {
  std::vector<ClientSpec> specs;
  auto add = [&specs](const char* file, std::string cn, std::string org, std::string hsa_id) -> ClientSpec& {
    ClientSpec& spec = specs.emplace_back();
    spec.file = file;
    spec.subject = {std::move(cn), std::move(org), std::move(hsa_id)};
    return spec;
  };
  add("ehr", "Journalsystem Region Stockholm (TEST)", "Region Stockholm", "SE2321000016-E001")
      .WithRole("ehr", {"SE2321000016-0001"});
  add("municipality", "Solna stad verksamhetssystem (TEST)", "Solna stad", "SE2120000184-K001")
      .WithRole("municipality", {"SE2120000184-0001"});
  add("statistics", "Socialstyrelsen statistik (TEST)", "Socialstyrelsen", "SE2021005521-S001")
      .WithRole("statistics", {});
  add("citizen-portal", "1177 Vårdguiden (TEST)", "Inera AB", "SE5565594230-P001").WithRole("citizen-portal", {});
  add("admin", "Nära Registry förvaltning (TEST)", "Nära Registry TEST", "SE2321000016-A001").WithRole("admin", {});
  add("expired", "Journalsystem utgånget (TEST)", "Region Stockholm", "SE2321000016-E002").validity =
      Validity{-2 * 365 * kDay, -kDay};
  add("revoked", "Journalsystem spärrat (TEST)", "Region Stockholm", "SE2321000016-E003").revoked = true;
  add("no-hsa-id", "Journalsystem utan HSA-id (TEST)", "Region Stockholm", "");
  add("no-client-auth", "Journalsystem utan clientAuth (TEST)", "Region Stockholm", "SE2321000016-E004").profile =
      Profile::server_auth_only;
  add("foreign", "Främmande journalsystem (TEST)", "Främmande organisation", "SE2321000016-E005").foreign = true;
  // A valid certificate whose HSA-id the access policy does not know: gets in, and gets 403.
  add("unlisted", "Journalsystem utan behörighet (TEST)", "Region Stockholm", "SE2321000016-E006");
  // The registry's own function certificate for the calls it makes: subscription notifications to
  // rest-hook endpoints (docs/api.md section 10, subscription.client-cert). No role: nobody calls us with it.
  add("nara-server", "Nära Registry notifieringar (TEST)", "Nära Registry TEST", "SE2321000016-N001");
  return specs;
}

std::string AccessJson(const std::vector<ClientSpec>& specs) {
  std::string out = "{\n  \"clients\": [";
  bool first = true;
  for (const ClientSpec& spec : specs) {
    if (!spec.role) continue;
    out += first ? "\n" : ",\n";
    first = false;
    out += "    {\"hsaId\": " + JsonString(spec.subject.hsa_id) + ", \"name\": " +
           JsonString(spec.subject.common_name) + ", \"role\": " + JsonString(spec.role) +
           ", \"organizations\": [";
    for (size_t i = 0; i < spec.organizations.size(); ++i) {
      out += (i ? ", " : "") + JsonString(spec.organizations[i]);
    }
    out += "]}";
  }
  return out + "\n  ]\n}\n";
}

void Generate(const fs::path& dir) {
  fs::create_directories(dir / "clients");
  const std::string org = "Nära Registry TEST";
  const Validity ten_years{-kSkew, 10 * 365 * kDay};
  const Validity two_years;

  Issued root = Issue({"Nära e-id Root CA v2 (TEST)", org, ""}, Profile::root_ca, ten_years, nullptr);
  Issued issuing = Issue({"Nära e-id Function CA v1 (TEST)", org, ""}, Profile::issuing_ca, ten_years, &root);
  Issued foreign_ca = Issue({"Foreign Root CA (TEST)", "Foreign Test Org", ""}, Profile::root_ca, ten_years, nullptr);
  Issued server = Issue({"localhost", org, ""}, Profile::server, two_years, &issuing);

  const std::string root_pem = CertPem(root.cert.get());
  const std::string issuing_pem = CertPem(issuing.cert.get());
  const std::string foreign_ca_pem = CertPem(foreign_ca.cert.get());
  WriteFile(dir / "root-ca.pem", root_pem);
  WriteKey(dir / "root-ca.key", root.key.get());
  WriteFile(dir / "issuing-ca.pem", issuing_pem);
  WriteKey(dir / "issuing-ca.key", issuing.key.get());
  WriteFile(dir / "foreign-ca.pem", foreign_ca_pem);
  WriteFile(dir / "server.pem", CertPem(server.cert.get()) + issuing_pem);
  WriteKey(dir / "server.key", server.key.get());

  const std::vector<ClientSpec> specs = ClientSpecs();
  std::vector<Issued> revoked;
  for (const ClientSpec& spec : specs) {
    const Issued& ca = spec.foreign ? foreign_ca : issuing;
    Issued client = Issue(spec.subject, spec.profile, spec.validity, &ca);
    const std::string leaf_pem = CertPem(client.cert.get());
    const fs::path base = dir / "clients" / spec.file;
    WriteFile(base.string() + ".pem", leaf_pem);
    WriteKey(base.string() + ".key", client.key.get());
    WriteFile(base.string() + ".chain.pem", leaf_pem + (spec.foreign ? foreign_ca_pem : issuing_pem));
    if (spec.revoked) revoked.push_back(std::move(client));
  }

  std::vector<X509*> revoked_certs;
  for (const Issued& r : revoked) revoked_certs.push_back(r.cert.get());
  CrlPtr issuing_crl = MakeCrl(issuing, revoked_certs);
  CrlPtr root_crl = MakeCrl(root, {});
  WriteFile(dir / "crl.pem", CrlPem(issuing_crl.get()) + CrlPem(root_crl.get()));
  WriteFile(dir / "access.json", AccessJson(specs));
  // Last: its presence is what marks the PKI as complete.
  WriteFile(dir / "ca-bundle.pem", issuing_pem + root_pem);
}

}  // namespace

Status CreateDevPki(const std::string& dir) {
  try {
    if (dir.empty()) return Error::Invalid("required", "dev-pki needs a directory");
    if (fs::exists(fs::path(dir) / "ca-bundle.pem")) return Ok();
    Generate(dir);
    return Ok();
  } catch (const std::exception& e) {
    ERR_clear_error();
    return Error::Invalid("exception", std::string("dev-pki in ") + dir + ": " + e.what());
  }
}

}  // namespace nara::auth
