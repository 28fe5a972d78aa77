// SubscriptionWorker: the server's change-notification engine (docs/api.md section 10).
//
// One dispatcher thread numbers the outbox into per-subscription events (SubscriptionStore::Dispatch,
// one dispatcher at a time across every node on the database) and leases subscriptions that need a
// call (handshake, events, heartbeat). Each leased subscription is delivered on a thread of its own,
// at most max_parallel at once, so one slow or dead endpoint holds one thread for at most its
// timeout and never delays the others. A call is an HTTPS POST of a notification Bundle with the
// server's own certificate as client certificate, to an endpoint that must still be in the allowlist;
// a 2xx acknowledges every event in it. A failure is retried after 1 s, 2 s, 4 s … (RetryPolicy);
// after max_attempts failures in a row the subscription turns `error` and delivery stops until the
// client reactivates it; its events keep being numbered, so `$events` lets it catch up.
//
// Nothing is kept in memory that a crash would lose: events are numbered in the database, and what
// the endpoint acknowledged is recorded there after each call (at least once: a crash between the
// endpoint's 2xx and that record sends those events again).
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/access_policy.h"
#include "registry/resource_store.h"
#include "registry/subscription.h"
#include "registry/subscription_store.h"

namespace nara::app {

class Metrics;

struct SubscriptionWorkerOptions {
  std::string base_url;                 // of this FHIR server, for references in notifications
  std::vector<std::string> allowlist;   // subscription.endpoint-allowlist
  std::string endpoint_ca;              // trust anchors for endpoints' server certificates
  std::string client_cert, client_key;  // the server's own certificate, presented to endpoints
  RetryPolicy retry;
  std::chrono::milliseconds poll{50};   // how often an idle dispatcher looks at the outbox (2 cheap queries)
  int max_parallel = 16;                // deliveries in flight at once
  int dispatch_batch = 500;             // outbox rows numbered per transaction
  Metrics* metrics = nullptr;           // calls and delivery latency for /metrics (none: not counted)
};

class SubscriptionWorker {
 public:
  SubscriptionWorker(SubscriptionStore& subscriptions, ResourceStore& store, auth::PolicyHolder& policy,
                     SubscriptionWorkerOptions options);
  ~SubscriptionWorker();
  SubscriptionWorker(const SubscriptionWorker&) = delete;
  SubscriptionWorker& operator=(const SubscriptionWorker&) = delete;

  void Start();
  // Stops dispatching and waits for deliveries in flight (each bounded by its timeout).
  void Stop();
  // Something to do (a subscription created, a write committed): look now rather than at the next poll.
  void Wake();

  long delivered() const { return delivered_; }  // notifications acknowledged by endpoints
  long failed() const { return failed_; }        // calls that failed

 private:
  void Loop();
  void DispatchAll();
  void StartDeliveries();
  // Starts a delivery thread for a claimed subscription (under mu_).
  void Launch(const SubscriptionRecord& record);
  void Deliver(const SubscriptionRecord& record);
  // POSTs body to the endpoint; "" on a 2xx, else what went wrong (for Subscription.error).
  std::string Post(const SubscriptionRecord& record, const std::string& body);
  // One call on `session` (opened when null; reset after a failure).
  std::string PostOn(const SubscriptionRecord& record, const std::string& body,
                     std::unique_ptr<Poco::Net::HTTPSClientSession>& session);
  void ReapFinished();
  // The PDL audit record of a notification carrying these events, in the log before it is sent.
  Status Audit(const SubscriptionRecord& record, const std::vector<SubscriptionEventRecord>& events);

  SubscriptionStore& subscriptions_;
  ResourceStore& store_;
  auth::PolicyHolder& policy_;
  const SubscriptionWorkerOptions options_;
  const std::string node_;
  const Poco::Net::Context::Ptr context_;  // TLS client context for endpoints, made once
  std::atomic<bool> stop_{false};
  std::atomic<long> delivered_{0};
  std::atomic<long> failed_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;
  // Deliveries in flight: subscription id → its thread, and the ids that have finished.
  std::map<std::string, std::thread> deliveries_;
  std::vector<std::string> finished_;
  // Claimed again while the last delivery's thread had released its lease but not yet reported back:
  // delivered by a new thread once that one is reaped (ReapFinished), since the claim holds the lease.
  std::map<std::string, SubscriptionRecord> claimed_in_flight_;
  // Kept-alive connections by subscription id, with the endpoint they go to (under mu_); a delivery
  // takes its subscription's out while it runs.
  std::map<std::string, std::pair<std::string, std::unique_ptr<Poco::Net::HTTPSClientSession>>> connections_;
  std::thread thread_;
};

}  // namespace nara::app
