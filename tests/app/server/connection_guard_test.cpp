// ConnectionGuard: a connection still waiting for its request past the deadline is shut down; one the
// server works on is not; shutting down closes idle connections. Driven with socket pairs: the test
// holds the peer end and sees the shutdown as end of stream. Bounds are generous; nothing is timed.
#include "app/server/connection_guard.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nara::app {
namespace {

using std::chrono::milliseconds;

// True once the peer end reads end of stream (the guard shut the other end down), within `limit`.
bool PeerSeesEnd(int peer, milliseconds limit) {
  pollfd p{peer, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return false;
  char byte;
  return ::read(peer, &byte, 1) == 0;
}

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  int server() const { return fds[0]; }
  int peer() const { return fds[1]; }
};

// Runs `body` on a thread of its own with the server end registered, as a worker would, and keeps the
// registration until `release` is set.
class Worker {
 public:
  Worker(ConnectionGuard& guard, int fd, milliseconds timeout, std::function<void(ConnectionGuard&)> body)
      : thread_([this, &guard, fd, timeout, body] {
          ConnectionGuard::Registration registration(guard, fd, "peer-" + std::to_string(fd), timeout);
          active_at_start_ = registration.active();
          if (body) body(guard);
          {
            std::lock_guard<std::mutex> lock(mu_);
            ready_ = true;
          }
          cv_.notify_all();
          std::unique_lock<std::mutex> lock(mu_);
          cv_.wait(lock, [this] { return release_; });
        }) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return ready_; });
  }
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  int active_at_start() const { return active_at_start_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  bool release_ = false;
  int active_at_start_ = 0;
  std::thread thread_;
};

TEST(ConnectionGuard, ASilentConnectionIsShutDownAtItsDeadline) {
  std::mutex mu;
  std::vector<std::string> timed_out;
  ConnectionGuard guard(milliseconds(50), [&](const std::string& peer) {
    std::lock_guard<std::mutex> lock(mu);
    timed_out.push_back(peer);
  });
  SocketPair pair;
  Worker worker(guard, pair.server(), milliseconds(50), nullptr);
  EXPECT_TRUE(PeerSeesEnd(pair.peer(), milliseconds(10000)));
  // The callback runs right after the shutdown, outside the lock: wait for it as generously.
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!timed_out.empty()) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(timed_out, std::vector<std::string>{"peer-" + std::to_string(pair.server())});
}

TEST(ConnectionGuard, AConnectionBeingWorkedOnHasNoDeadline) {
  ConnectionGuard guard(milliseconds(50));
  SocketPair pair;
  Worker worker(guard, pair.server(), milliseconds(50), [](ConnectionGuard& g) { g.Working(); });
  // Many deadlines pass while it works: still open.
  EXPECT_FALSE(PeerSeesEnd(pair.peer(), milliseconds(500)));
  EXPECT_EQ(guard.active(), 1);
  EXPECT_EQ(worker.active_at_start(), 1);
}

TEST(ConnectionGuard, ReadingAgainRestartsTheDeadline) {
  ConnectionGuard guard(milliseconds(50));
  SocketPair pair;
  Worker worker(guard, pair.server(), milliseconds(50), [](ConnectionGuard& g) {
    g.Working();
    g.Reading();
  });
  EXPECT_TRUE(PeerSeesEnd(pair.peer(), milliseconds(10000)));
}

TEST(ConnectionGuard, UncountedConnectionsDoNotCountAsActive) {
  ConnectionGuard guard(std::chrono::hours(1));
  SocketPair a, b;
  Worker counted(guard, a.server(), std::chrono::hours(1), nullptr);
  std::thread uncounted([&] {
    ConnectionGuard::Registration registration(guard, b.server(), "overloaded", std::chrono::hours(1), false);
    EXPECT_EQ(registration.active(), 1);
    EXPECT_EQ(guard.active(), 1);
  });
  uncounted.join();
  EXPECT_EQ(guard.active(), 1);
}

TEST(ConnectionGuard, CloseIdleClosesWaitingConnectionsAndKeepsWorkingOnes) {
  ConnectionGuard guard(std::chrono::hours(1));
  SocketPair idle, busy;
  Worker idle_worker(guard, idle.server(), std::chrono::hours(1), nullptr);
  Worker busy_worker(guard, busy.server(), std::chrono::hours(1), [](ConnectionGuard& g) { g.Working(); });
  EXPECT_EQ(guard.active(), 2);
  EXPECT_FALSE(guard.closing());
  guard.CloseIdle();
  EXPECT_TRUE(guard.closing());
  EXPECT_TRUE(PeerSeesEnd(idle.peer(), milliseconds(10000)));
  EXPECT_FALSE(PeerSeesEnd(busy.peer(), milliseconds(300)));
  guard.CloseAll();
  EXPECT_TRUE(PeerSeesEnd(busy.peer(), milliseconds(10000)));
}

}  // namespace
}  // namespace nara::app
