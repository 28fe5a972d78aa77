// SubscriptionStore: the port for change notifications (docs/api.md section 10; schema/0007).
// Invariants the adapter guarantees:
//  - every committed resource version is in the outbox, written by its own transaction (no event
//    without its change, none lost on a crash);
//  - Dispatch numbers each subscription's events 1, 2, 3 … without gap or repeat, in an order that
//    agrees with commit order for changes that touched the same resource, one dispatcher at a time
//    across every node on the database;
//  - a subscription is delivered by one node at a time (a lease), so an event is sent once per
//    subscription, except after a node died or overran its lease mid-delivery: at least once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "registry/resource_store.h"
#include "registry/result.h"

namespace nara {

struct SubscriptionRecord {
  std::string id;
  std::string owner_hsa_id;
  std::string topic;    // canonical URL
  std::string filters;  // FormatFilterCriteria of the parsed backport-filter-criteria
  std::string payload;  // empty | id-only | full-resource
  std::string endpoint;
  int heartbeat_seconds = 0;
  int timeout_seconds = 10;
  int max_count = 20;
  std::string status;  // requested | active | error | off
  std::string error;
  std::string body;     // the Subscription as the client sent it (without status and id)
  std::string created;  // RFC 3339
  long long events_since_start = 0;
  long long delivered_through = 0;
  int attempts = 0;  // failures in a row
};

struct SubscriptionEventRecord {
  long long number = 0;
  std::string topic;
  std::string recorded;  // RFC 3339
  StoredResource resource;  // the version the event is about (json empty for a tombstone)
};

// One outbox row: a version and the one before it (exists = false when none, or a tombstone).
struct OutboxChange {
  long long position = 0;
  StoredResource before, after;
  bool has_before = false;
};

// What /metrics shows of change notifications (docs/api.md section 10), read in one transaction.
struct SubscriptionStats {
  long long outbox = 0;  // committed changes not yet numbered (the dispatcher's backlog)
  struct ByStatus {
    std::string status;            // requested | active | error | off
    long long subscriptions = 0;   // subscriptions in that status
    long long pending = 0;         // their events numbered but not yet acknowledged by the endpoint
  };
  std::vector<ByStatus> by_status;  // only statuses some subscription has
};

// Which subscriptions (id, topic URL) an outbox change is an event for.
using SubscriptionMatcher = std::function<std::vector<std::pair<std::string, std::string>>(
    const OutboxChange& change, const std::vector<SubscriptionRecord>& subscriptions)>;

class SubscriptionStore {
 public:
  virtual ~SubscriptionStore() = default;

  virtual Status Create(const SubscriptionRecord& record) = 0;
  virtual Result<SubscriptionRecord> Get(const std::string& id) = 0;
  // Every subscription of one owner ("" = all), oldest first.
  virtual Result<std::vector<SubscriptionRecord>> List(const std::string& owner_hsa_id) = 0;
  virtual Status Remove(const std::string& id) = 0;
  // Back to `requested` with its failures forgotten (after a client fixed its endpoint).
  virtual Status Reactivate(const std::string& id) = 0;
  // A new definition (topic, filters, payload, endpoint, heartbeat, timeout, max count, body) for an
  // existing subscription, which goes back to `requested`; its numbering and acknowledged mark stay.
  virtual Status Replace(const SubscriptionRecord& record) = 0;

  // Numbers up to `limit` outbox changes for the subscriptions `match` picks (any status but off);
  // returns how many outbox changes it took (0: the outbox was empty).
  virtual Result<int> Dispatch(int limit, const SubscriptionMatcher& match) = 0;
  // Events first..last (inclusive) of a subscription, in number order, at most `limit`.
  virtual Result<std::vector<SubscriptionEventRecord>> Events(const std::string& id, long long first,
                                                              long long last, int limit) = 0;

  // --- delivery ---
  // Leases up to `limit` subscriptions that need a call now (handshake, events, heartbeat) and that
  // no node holds; `node` names the caller. The lease runs 3 × timeout + 2 s (connect, send and
  // receive are each bounded by the timeout), after which another node may take over.
  virtual Result<std::vector<SubscriptionRecord>> ClaimDue(const std::string& node, int limit) = 0;
  // The endpoint acknowledged everything up to `through`; status becomes `status`; lease released.
  virtual Status RecordDelivered(const std::string& id, const std::string& node, long long through,
                                 const std::string& status) = 0;
  // A failed call: next attempt after delay_ms, or `error` when give_up; lease released.
  virtual Status RecordFailure(const std::string& id, const std::string& node, int delay_ms, bool give_up,
                               const std::string& error) = 0;
  // Outbox rows not yet dispatched (for /metrics and tests).
  virtual Result<long long> OutboxBacklog() = 0;
  // The outbox backlog and, by status, the subscriptions and their events not yet acknowledged.
  virtual Result<SubscriptionStats> Stats() = 0;
};

}  // namespace nara
