// Server TLS context for SITHS-style mutual TLS (docs/api.md section 6).
//
// Invariants of a context from MakeServerContext: TLS 1.2 or newer; a client certificate is
// required and must chain to ca_file, be within its validity dates and carry the clientAuth EKU;
// with a CRL file, every certificate in the chain (leaf and CAs) must be covered by a CRL and not
// revoked. Any failure ends the handshake. Sessions are never resumed, so every connection is
// checked against the CRLs in force at that moment.
#pragma once

#include <Poco/Net/Context.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

namespace nara::auth {

struct TlsSettings {
  std::string cert_file;  // server certificate, leaf first then its CA chain (sent to clients)
  std::string key_file;
  std::string ca_file;    // trust anchors for client certificates (issuing + root CA)
  std::string crl_file;   // PEM CRLs for every CA in ca_file; empty = no revocation check
};

// Throws std::runtime_error naming the file when one is missing, unreadable or unusable.
Poco::Net::Context::Ptr MakeServerContext(const TlsSettings& settings);

// Reloads settings.crl_file into a live context when the file changes (mtime, size or inode),
// polled by a background thread every `interval`. New handshakes see the new CRLs; handshakes in
// progress are unaffected. A broken or missing new file keeps the CRLs in force and logs one line
// to stderr. Without a crl_file it does nothing.
class CrlReloader {
 public:
  CrlReloader(Poco::Net::Context::Ptr ctx, TlsSettings settings,
              std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~CrlReloader();
  CrlReloader(const CrlReloader&) = delete;
  CrlReloader& operator=(const CrlReloader&) = delete;

  // Returns true if the file had changed and its CRLs are now in force.
  bool ReloadIfChanged();

 private:
  struct FileStamp {
    bool exists = false;
    timespec mtime{};
    off_t size = 0;
    ino_t inode = 0;
    bool operator==(const FileStamp& o) const;
  };
  FileStamp Stamp() const;
  void Run();

  Poco::Net::Context::Ptr ctx_;
  TlsSettings settings_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;  // one reload at a time, whether from the thread or a direct call
  std::condition_variable wake_;
  bool stopping_ = false;
  FileStamp last_;
  std::thread thread_;
};

}  // namespace nara::auth
