#include "tests/support/server_process.h"

#include <cstdlib>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#ifndef NARA_BINARY
#error "NARA_BINARY must be defined (path of the nara executable, as a string literal)"
#endif

extern char** environ;

namespace nara::testing {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string TempBase() {
  const char* t = std::getenv("TMPDIR");
  return (t != nullptr && *t == '/') ? t : "/tmp";
}

// argv and envp for execve, built before fork: the child may only make async-signal-safe calls.
class ExecImage {
 public:
  ExecImage(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    strings_.push_back(NARA_BINARY);
    for (const auto& a : args) strings_.push_back(a);
    argc_ = strings_.size();
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry = *e;
      if (env.count(entry.substr(0, entry.find('='))) == 0) strings_.push_back(entry);
    }
    for (const auto& [key, value] : env) strings_.push_back(key + "=" + value);
    for (size_t i = 0; i < strings_.size(); ++i) {
      (i < argc_ ? argv_ : envp_).push_back(strings_[i].data());
    }
    argv_.push_back(nullptr);
    envp_.push_back(nullptr);
  }
  char* const* argv() { return argv_.data(); }
  char* const* envp() { return envp_.data(); }

 private:
  std::vector<std::string> strings_;
  size_t argc_ = 0;
  std::vector<char*> argv_, envp_;
};

// Forks and execs NARA_BINARY with stdout and stderr on `out_fd` and stdin on /dev/null.
pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, int out_fd) {
  if (::access(NARA_BINARY, X_OK) != 0) {
    throw std::runtime_error(std::string("nara binary not executable: ") + NARA_BINARY);
  }
  ExecImage image(args, env);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) throw std::runtime_error("open /dev/null failed");
  pid_t parent = ::getpid();
  static const char kExecFailed[] = "ServerProcess: execve(" NARA_BINARY ") failed\n";

  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(null_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::close_range(3, ~0U, 0);  // no leaked descriptors (e.g. another child's pipe) in the server
    // Note: the "parent" is the thread that forked, not the process: start servers from a thread
    // that outlives them (the test's main thread), or they get SIGTERM when that thread ends.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the test process died before prctl
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
    ::execve(NARA_BINARY, image.argv(), image.envp());
    ssize_t ignored = ::write(2, kExecFailed, sizeof kExecFailed - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(null_fd);
  return pid;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
  std::string templ = TempBase() + "/nara-server-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + templ + ": " + std::strerror(errno));
  }
  dir_ = templ;
  log_path_ = dir_ + "/server.log";
  int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + log_path_ + ": " + std::strerror(errno));
  try {
    pid_ = Spawn(args, env, fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Terminate(SIGTERM);
  // A failed test keeps the log; so does NARA_TEST_KEEP_LOGS=1 (the shared e2e server outlives every test).
  if (::testing::Test::HasFailure() || std::getenv("NARA_TEST_KEEP_LOGS")) {
    std::string text = log();
    constexpr size_t kTail = 8000;
    if (text.size() > kTail) text = "…" + text.substr(text.size() - kTail);
    std::cerr << "---- nara log (" << log_path_ << ", kept) ----\n" << text << "\n---- end of nara log ----\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool ServerProcess::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exited_ = true;
    status_ = DecodeStatus(status);
    return true;
  }
  if (r < 0) {  // not our child any more (someone else reaped it): treat as gone
    exited_ = true;
    return true;
  }
  return false;
}

bool ServerProcess::running() { return !Reap(false); }

int ServerProcess::Terminate(int signal) {
  if (Reap(false)) return status_;
  ::kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Reap(false)) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  Reap(true);
  return status_;
}

bool ServerProcess::WaitHealthy(int ops_port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!running()) return false;
    if (HttpGetStatus(ops_port, "/healthz") == 200) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::pair<int, std::string> RunNara(std::vector<std::string> args, std::map<std::string, std::string> env) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  pid_t pid;
  try {
    pid = Spawn(args, env, fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  return {r == pid ? DecodeStatus(status) : -1, out};
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

int HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int status = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      std::string response;
      char buf[512];
      while (response.find("\r\n") == std::string::npos && response.size() < 4096) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        response.append(buf, static_cast<size_t>(n));
      }
      // "HTTP/1.1 200 OK"
      if (response.compare(0, 5, "HTTP/") == 0) {
        size_t sp = response.find(' ');
        if (sp != std::string::npos && sp + 4 <= response.size()) {
          std::string code = response.substr(sp + 1, 3);
          if (code.find_first_not_of("0123456789") == std::string::npos) status = std::stoi(code);
        }
      }
    }
  }
  ::close(fd);
  return status;
}

}  // namespace nara::testing
