#include "tests/support/pg_cluster.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <tuple>

#ifndef NARA_SOURCE_DIR
#error "NARA_SOURCE_DIR must be defined (the repository root, as a string literal)"
#endif

namespace nara::testing {
namespace {

constexpr int kPort = 5432;  // only names the socket file: the cluster listens on no TCP port
// PgReplicatedCluster's: distinct from each other and from kPort, so no socket name can be mistaken.
constexpr int kPrimaryPort = 5441;
constexpr int kStandbyPort = 5442;

std::string ClusterScript() { return std::string(NARA_SOURCE_DIR) + "/scripts/pg-cluster.sh"; }

std::string PsqlBinary() {
  const char* bin = "/usr/lib/postgresql/15/bin/psql";
  return ::access(bin, X_OK) == 0 ? bin : "psql";
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// A short base folder for temporary clusters: Unix socket paths are limited to ~107 bytes.
std::string TempBase() {
  const char* t = std::getenv("TMPDIR");
  if (t != nullptr && *t == '/' && std::strlen(t) <= 60) return t;
  return "/tmp";
}

std::string RunScriptOrThrow(const std::string& args) {
  auto [status, out] = RunShell("bash " + ShellQuote(ClusterScript()) + " " + args);
  if (status != 0) {
    throw std::runtime_error("pg-cluster.sh " + args + " failed (exit " + std::to_string(status) + "):\n" + out);
  }
  return out;
}

std::string PercentEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string DatabaseName(const std::string& prefix, int counter) {
  std::string p;
  for (unsigned char c : prefix) {
    p += (std::isalnum(c) || c == '_') ? static_cast<char>(std::tolower(c)) : '_';
  }
  if (p.empty()) p = "t";
  std::string suffix = "_" + std::to_string(counter) + "_" + std::to_string(::getpid());
  if (p.size() + suffix.size() > 63) p.resize(63 - suffix.size());  // NAMEDATALEN - 1
  return p + suffix;
}

}  // namespace

std::pair<int, std::string> RunShell(const std::string& command) {
  std::string full = "( " + command + " ) 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed for: " + command);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = ::pclose(pipe);
  if (status == -1) return {-1, out};
  if (WIFEXITED(status)) return {WEXITSTATUS(status), out};
  if (WIFSIGNALED(status)) return {128 + WTERMSIG(status), out};
  return {-1, out};
}

std::pair<int, std::string> Psql(const std::string& url, const std::string& sql) {
  return RunShell(ShellQuote(PsqlBinary()) + " -X -q -v ON_ERROR_STOP=1 -At -d " + ShellQuote(url) + " -c " +
                  ShellQuote(sql) + " </dev/null");
}

std::string PsqlValue(const std::string& url, const std::string& sql) {
  auto [code, out] = Psql(url, sql);
  return code == 0 ? Trim(out) : "psql failed: " + out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string WithDatabase(const std::string& url, const std::string& dbname) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    size_t len = std::strlen(scheme);
    if (url.compare(0, len, scheme) != 0) continue;
    size_t end_of_authority = url.find_first_of("/?", len);
    if (end_of_authority == std::string::npos) return url + "/" + PercentEncode(dbname);
    if (url[end_of_authority] == '?') {
      return url.substr(0, end_of_authority) + "/" + PercentEncode(dbname) + url.substr(end_of_authority);
    }
    size_t end_of_path = url.find('?', end_of_authority);
    std::string rest = end_of_path == std::string::npos ? "" : url.substr(end_of_path);
    return url.substr(0, end_of_authority) + "/" + PercentEncode(dbname) + rest;
  }
  // key=value form: a later keyword overrides an earlier one.
  std::string quoted;
  for (char c : dbname) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return url + " dbname='" + quoted + "'";
}

PgCluster& PgCluster::Shared() {
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() : owner_pid_(::getpid()) {
  const char* external = std::getenv("NARA_TEST_DATABASE_URL");
  if (external != nullptr && *external != '\0') {
    external_ = true;
    admin_url_ = external;
    return;
  }
  std::string templ = TempBase() + "/nara-pg-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + templ + ": " + std::strerror(errno));
  }
  dir_ = templ;
  try {
    RunScriptOrThrow("start " + ShellQuote(dir_) + " " + std::to_string(kPort));
    admin_url_ = Trim(RunScriptOrThrow("url " + ShellQuote(dir_) + " postgres"));
  } catch (...) {
    RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

PgCluster::~PgCluster() {
  if (::getpid() != owner_pid_) return;  // a forked child (e.g. a death test) leaves the cluster alone
  try {
    if (external_) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const std::string& db : created_) {
        Psql(admin_url_, "DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
      }
      return;
    }
    RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_));
    const char* keep = std::getenv("NARA_TEST_KEEP_CLUSTER");
    if (keep != nullptr && std::string(keep) == "1") {
      std::cerr << "PgCluster: kept " << dir_ << "\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  } catch (...) {
    // Nothing sensible to do at process exit.
  }
}

std::string PgCluster::CreateDatabase(const std::string& prefix) {
  std::string name = DatabaseName(prefix, ++counter_);
  std::string create = "CREATE DATABASE \"" + name + "\"";
  auto [status, out] = Psql(admin_url_, create);
  if (status != 0 && out.find("already exists") != std::string::npos) {
    // A leftover from an earlier run with the same pid (only possible on an external server).
    Psql(admin_url_, "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    std::tie(status, out) = Psql(admin_url_, create);
  }
  if (status != 0) throw std::runtime_error("CREATE DATABASE " + name + " failed:\n" + out);
  if (external_) {
    std::lock_guard<std::mutex> lock(mu_);
    created_.push_back(name);
  }
  return WithDatabase(admin_url_, name);
}

std::string PgCluster::admin_url() const { return admin_url_; }

std::string PgCluster::dir() const { return dir_; }

void PgCluster::Stop() {
  if (external_) throw std::runtime_error("PgCluster::Stop is not available with NARA_TEST_DATABASE_URL");
  RunScriptOrThrow("stop " + ShellQuote(dir_));
}

void PgCluster::Start() {
  if (external_) throw std::runtime_error("PgCluster::Start is not available with NARA_TEST_DATABASE_URL");
  RunScriptOrThrow("start " + ShellQuote(dir_) + " " + std::to_string(kPort));
}

PgReplicatedCluster::PgReplicatedCluster() : owner_pid_(::getpid()) {
  std::string templ = TempBase() + "/nara-repl-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + templ + ": " + std::strerror(errno));
  }
  dir_ = templ;
  try {
    RunScriptOrThrow("start " + ShellQuote(dir_ + "/primary") + " " + std::to_string(kPrimaryPort));
    RunScriptOrThrow("standby " + ShellQuote(dir_ + "/primary") + " " + ShellQuote(dir_ + "/standby") + " " +
                     std::to_string(kStandbyPort) + " standby1");
  } catch (...) {
    RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_ + "/standby"));
    RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_ + "/primary"));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

PgReplicatedCluster::~PgReplicatedCluster() {
  if (::getpid() != owner_pid_) return;
  // The primary may already be dead (KillPrimary): stop is then a no-op.
  RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_ + "/standby"));
  RunShell("bash " + ShellQuote(ClusterScript()) + " stop " + ShellQuote(dir_ + "/primary"));
  const char* keep = std::getenv("NARA_TEST_KEEP_CLUSTER");
  if (keep != nullptr && std::string(keep) == "1") {
    std::cerr << "PgReplicatedCluster: kept " << dir_ << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgReplicatedCluster::CreateDatabase(const std::string& prefix) {
  std::string name = DatabaseName(prefix, ++counter_);
  auto [status, out] = Psql(primary_url("postgres"), "CREATE DATABASE \"" + name + "\"");
  if (status != 0) throw std::runtime_error("CREATE DATABASE " + name + " failed:\n" + out);
  return name;
}

std::string PgReplicatedCluster::primary_url(const std::string& dbname) const {
  return "postgresql://postgres@/" + PercentEncode(dbname) + "?host=" + PercentEncode(dir_ + "/primary/sock") +
         "&port=" + std::to_string(kPrimaryPort);
}

std::string PgReplicatedCluster::standby_url(const std::string& dbname) const {
  return "postgresql://postgres@/" + PercentEncode(dbname) + "?host=" + PercentEncode(dir_ + "/standby/sock") +
         "&port=" + std::to_string(kStandbyPort);
}

std::string PgReplicatedCluster::failover_url(const std::string& dbname) const {
  return "postgresql://postgres@/" + PercentEncode(dbname) + "?host=" + PercentEncode(dir_ + "/primary/sock") + "," +
         PercentEncode(dir_ + "/standby/sock") + "&port=" + std::to_string(kPrimaryPort) + "," +
         std::to_string(kStandbyPort) + "&target_session_attrs=read-write";
}

void PgReplicatedCluster::KillPrimary() { RunScriptOrThrow("kill " + ShellQuote(dir_ + "/primary")); }

void PgReplicatedCluster::PromoteStandby() { RunScriptOrThrow("promote " + ShellQuote(dir_ + "/standby")); }

}  // namespace nara::testing
