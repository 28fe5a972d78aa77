// Running test code on many threads at once: a start gate releases every thread together, so
// concurrent writers really race instead of running one after another as they are created.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nara::testing {

class StartGate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Calls fn(i) for i in [0, threads) on as many threads, all released at once; returns when all are done.
template <typename Fn>
void RunConcurrently(int threads, Fn fn) {
  StartGate gate;
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      gate.Wait();
      fn(i);
    });
  }
  gate.Open();
  for (auto& worker : workers) worker.join();
}

}  // namespace nara::testing
