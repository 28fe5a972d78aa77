// ConnectionGuard: keeps slow or idle clients from holding the FHIR server's worker threads.
//
// Poco's HTTPServer gives each connection a worker thread for as long as it lasts and its timeouts are
// per read: a client that trickles one byte at a time (slowloris), or connects and never finishes the
// TLS handshake, could keep a worker forever. The guard gives every connection a deadline for getting a
// whole request in (TLS handshake, headers, body); a watchdog thread shuts down the socket of any
// connection still reading when its deadline passes, which ends the blocked read on the worker. While
// the server works on a request there is no deadline (the database has its own bounds).
//
// It also counts the connections being served: one beyond `max_active` is answered 503 (see
// guarded_http_server.h) instead of waiting behind slow clients.
//
// Thread-safe. Each connection registers on its own worker thread; Reading()/Working() act on the
// calling thread's connection, so the request handler needs no handle to it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace nara::app {

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_timeout(peer)` is called (outside the lock) for each connection closed for being too slow.
  ConnectionGuard(std::chrono::milliseconds request_timeout, std::function<void(const std::string&)> on_timeout = {});
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Registers the calling thread's connection (socket fd `fd`, in the reading state) for its lifetime.
  // `timeout` overrides the guard's request timeout for this connection (e.g. a short one for a
  // connection that only gets a 503). Unregisters before the socket is closed, so the watchdog never
  // touches a reused descriptor.
  class Registration {
   public:
    // `counted`: false for a connection that only gets a 503, so it does not make the next one look
    // like overload too.
    Registration(ConnectionGuard& guard, int fd, std::string peer, std::chrono::milliseconds timeout,
                 bool counted = true);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    int active() const { return active_; }  // counted connections, this one included, when it registered

   private:
    ConnectionGuard& guard_;
    int active_ = 0;
  };

  // The calling thread's connection starts waiting for a request: its deadline runs from now.
  void Reading();
  // The calling thread's connection has its whole request: no deadline until Reading() again.
  void Working();
  // From now on every connection that waits for a request is closed (graceful shutdown: the in-flight
  // requests finish, idle keep-alive connections do not hold the server up). A connection that goes
  // back to waiting after its answer is closed by the watchdog a grace tick later, so the answer is
  // read by the client first (the handler also sends Connection: close).
  void CloseIdle();
  // Shuts down every registered connection (the end of a graceful shutdown's grace period).
  void CloseAll();

  int active() const;  // counted connections registered now
  bool closing() const;  // CloseIdle() was called: answer with Connection: close
  std::chrono::milliseconds request_timeout() const { return request_timeout_; }

 private:
  struct Entry {
    int fd = -1;
    std::string peer;
    std::chrono::milliseconds timeout{0};
    bool counted = true;
    bool reading = true;
    bool closed = false;
    Clock::time_point since;
  };

  void Watch();
  void Shutdown(Entry& entry);  // mu_ held
  int Counted() const;          // mu_ held

  const std::chrono::milliseconds request_timeout_;
  const std::function<void(const std::string&)> on_timeout_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::list<Entry> entries_;
  bool closing_idle_ = false;
  bool stop_ = false;
  std::thread watchdog_;
};

}  // namespace nara::app
