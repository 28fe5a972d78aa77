#include "app/server/connection_guard.h"

#include <sys/socket.h>

#include <algorithm>
#include <vector>

namespace nara::app {
namespace {

// The calling worker thread's connection; set by Registration for the connection's lifetime.
thread_local void* current_entry = nullptr;

}  // namespace

ConnectionGuard::ConnectionGuard(std::chrono::milliseconds request_timeout,
                                 std::function<void(const std::string&)> on_timeout)
    : request_timeout_(request_timeout), on_timeout_(std::move(on_timeout)), watchdog_([this] { Watch(); }) {}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
}

ConnectionGuard::Registration::Registration(ConnectionGuard& guard, int fd, std::string peer,
                                            std::chrono::milliseconds timeout, bool counted)
    : guard_(guard) {
  std::lock_guard<std::mutex> lock(guard_.mu_);
  guard_.entries_.push_back(Entry{fd, std::move(peer), timeout, counted, true, false, Clock::now()});
  current_entry = &guard_.entries_.back();
  active_ = guard_.Counted();
  if (guard_.closing_idle_) guard_.Shutdown(guard_.entries_.back());
}

ConnectionGuard::Registration::~Registration() {
  std::lock_guard<std::mutex> lock(guard_.mu_);
  auto* entry = static_cast<Entry*>(current_entry);
  guard_.entries_.remove_if([entry](const Entry& e) { return &e == entry; });
  current_entry = nullptr;
}

void ConnectionGuard::Reading() {
  std::lock_guard<std::mutex> lock(mu_);
  auto* entry = static_cast<Entry*>(current_entry);
  if (!entry) return;
  entry->reading = true;
  entry->since = Clock::now();
}

void ConnectionGuard::Working() {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto* entry = static_cast<Entry*>(current_entry)) entry->reading = false;
}

void ConnectionGuard::CloseIdle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_idle_ = true;
  }
  wake_.notify_all();  // the watchdog closes the waiting connections
}

void ConnectionGuard::CloseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_idle_ = true;
  for (Entry& entry : entries_) Shutdown(entry);
}

bool ConnectionGuard::closing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closing_idle_;
}

int ConnectionGuard::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Counted();
}

int ConnectionGuard::Counted() const {
  int n = 0;
  for (const Entry& entry : entries_) n += entry.counted ? 1 : 0;
  return n;
}

// shutdown(2), not close: the worker still owns the descriptor; its blocked read (or SSL handshake)
// returns, Poco throws, and the worker ends the connection and closes the socket itself.
void ConnectionGuard::Shutdown(Entry& entry) {
  if (entry.closed) return;
  entry.closed = true;
  ::shutdown(entry.fd, SHUT_RDWR);
}

void ConnectionGuard::Watch() {
  // A quarter of the timeout (at most 250 ms) between looks: a deadline is kept to within that.
  const auto tick = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(250), request_timeout_ / 4);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::max(tick, std::chrono::milliseconds(10)));
    const auto now = Clock::now();
    std::vector<std::string> timed_out;
    for (Entry& entry : entries_) {
      if (!entry.reading || entry.closed) continue;
      if (now - entry.since > entry.timeout) {
        Shutdown(entry);
        timed_out.push_back(entry.peer);
      } else if (closing_idle_ && now - entry.since > tick) {
        Shutdown(entry);  // shutting down: an idle connection goes, after a tick's grace for its last answer
      }
    }
    if (!timed_out.empty() && on_timeout_) {
      lock.unlock();
      for (const auto& peer : timed_out) on_timeout_(peer);
      lock.lock();
    }
  }
}

}  // namespace nara::app
