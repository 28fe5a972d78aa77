// The real `nara` binary run as a child process, for end-to-end tests.
#ifndef NARA_TESTS_SUPPORT_SERVER_PROCESS_H_
#define NARA_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nara::testing {

// Runs NARA_BINARY with `args` (argv[1…]; the binary itself is argv[0]) and the parent's environment plus
// `env` (which wins over inherited variables of the same name). stdout and stderr go to one log file in a
// fresh temporary folder. The child gets SIGTERM if the test process dies.
// The destructor sends SIGTERM, waits up to 10 s, then SIGKILL; when the current test has failed it prints
// the tail of the log to stderr and keeps the folder, otherwise it removes the folder.
// Exit statuses are the shell's: the exit code, or 128+N when ended by signal N.
class ServerProcess {
 public:
  ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits until `GET http://127.0.0.1:OPS_PORT/healthz` answers 200. False on timeout or if the process exited.
  bool WaitHealthy(int ops_port, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal` (if still running), waits up to 10 s, then SIGKILL; returns the exit status.
  int Terminate(int signal = SIGTERM);
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;  // contents of the log file so far
  const std::string& log_path() const { return log_path_; }

 private:
  bool Reap(bool block);  // true once the child has been reaped; sets status_

  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
  std::string dir_;
  std::string log_path_;
};

// Runs `nara ARGS…` to completion with the parent's environment plus `env`; returns {exit status, stdout+stderr}.
std::pair<int, std::string> RunNara(std::vector<std::string> args, std::map<std::string, std::string> env);

// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close).
int FreePort();

// Status code of `GET http://127.0.0.1:PORT/PATH` over plain HTTP/1.1, or -1 if no HTTP answer within `timeout`.
int HttpGetStatus(int port, const std::string& path,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

}  // namespace nara::testing

#endif  // NARA_TESTS_SUPPORT_SERVER_PROCESS_H_
