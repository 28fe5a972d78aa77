// SubscriptionReceiver: a rest-hook endpoint on loopback for the subscription end-to-end tests, an
// HTTPS server that checks the caller's certificate like any SITHS client (auth::MakeServerContext:
// chain to the test PKI, validity, clientAuth EKU), so a notification that arrives proves the server
// called with its own client certificate. It records each acknowledged notification; it can be told
// to answer 503 (down) or to hold requests unanswered (hang) until released.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace nara::e2e {

struct Notification {
  std::string type;          // handshake | heartbeat | event-notification
  std::string subscription;  // the Subscription's id
  std::string status;        // as the notification says
  long long since_start = 0;
  std::vector<long long> numbers;     // event numbers, in order
  std::vector<std::string> focus;     // Type/id/_history/n of each event
  std::vector<std::string> resources; // fullUrl of each entry after the first
  std::string body;
  std::string caller;  // subject of the client certificate the server presented
  std::chrono::steady_clock::time_point arrived;  // when the request was read
};

class SubscriptionReceiver {
 public:
  enum class Mode { ok, down, hang };

  explicit SubscriptionReceiver(Mode mode = Mode::ok);
  ~SubscriptionReceiver();

  std::string Endpoint() const;  // https://localhost:PORT/hook
  void SetMode(Mode mode);
  // Lets every held request go (answered 200 and recorded).
  void Release();

  std::vector<Notification> Received() const;
  int attempts() const;  // requests seen, answered or not
  int held() const;      // requests held unanswered right now
  // Waits (a bounded while) until `done(Received())`; false if it never became true.
  bool WaitFor(const std::function<bool(const std::vector<Notification>&)>& done,
               std::chrono::seconds limit = std::chrono::seconds(40)) const;
  // Waits until some request is held (hang mode).
  bool WaitHeld(std::chrono::seconds limit = std::chrono::seconds(40)) const;

  // Event numbers received for one subscription, in arrival order (event notifications only).
  std::vector<long long> Numbers(const std::string& subscription) const;

  // Called by the request handler.
  int Handle(const std::string& body, const std::string& caller);

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  Mode mode_;
  bool released_ = false;
  bool stopping_ = false;
  int attempts_ = 0;
  int held_ = 0;
  std::vector<Notification> received_;
  int port_ = 0;
  std::unique_ptr<Poco::ThreadPool> threads_;  // its own: held requests never starve another receiver
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// The event numbers are exactly 1..n (each at least once), with n = expected. Explains otherwise.
std::string GaplessProblem(std::vector<long long> numbers, long long expected);

}  // namespace nara::e2e
