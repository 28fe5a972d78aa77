#include "app/server/subscription_worker.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <exception>
#include <ostream>
#include <sstream>

#include "app/log.h"
#include "app/server/metrics.h"
#include "fhir/operations/subscription_matching.h"
#include "fhir/resources/subscription_resource.h"
#include "registry/date.h"
#include "registry/ids.h"

namespace nara::app {
namespace {

// The worker's own bookkeeping (attempts, cursor) failing is not a delivery failure: the row keeps its
// old state, so the delivery is simply tried again. It is logged so an operator sees a sick database.
void NoteBookkeeping(const std::string& subscription, const Status& written) {
  if (!written) Log("warn", "subscription.bookkeeping_failed", {{"subscription", subscription}, {"detail", written.error().text}});
}

// meta.lastUpdated (RFC 3339 UTC with milliseconds, as NowRfc3339 writes it) as a time point;
// nullopt for text of another shape.
std::optional<std::chrono::system_clock::time_point> InstantOf(const std::string& text) {
  auto date = Date::Parse(text);
  int h = 0, m = 0, s = 0, ms = 0;
  if (!date || text.size() < 24 || std::sscanf(text.c_str() + 11, "%2d:%2d:%2d.%3dZ", &h, &m, &s, &ms) != 4) {
    return std::nullopt;
  }
  const auto since_epoch = std::chrono::hours(24LL * date->days() + h) + std::chrono::minutes(m) +
                           std::chrono::seconds(s) + std::chrono::milliseconds(ms);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

Poco::Net::Context::Ptr MakeEndpointContext(const SubscriptionWorkerOptions& options) {
  using Poco::Net::Context;
  Context::Params params;
  params.caLocation = options.endpoint_ca;
  params.certificateFile = options.client_cert;
  params.privateKeyFile = options.client_key;
  params.verificationMode = Context::VERIFY_RELAXED;  // as a client: the endpoint's certificate is checked
  params.loadDefaultCAs = false;
  Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
  context->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                            Context::PROTO_TLSV1_1);
  return context;
}

}  // namespace

SubscriptionWorker::SubscriptionWorker(SubscriptionStore& subscriptions, ResourceStore& store,
                                       auth::PolicyHolder& policy, SubscriptionWorkerOptions options)
    : subscriptions_(subscriptions),
      store_(store),
      policy_(policy),
      options_(std::move(options)),
      node_(NewResourceId()),
      context_(MakeEndpointContext(options_)) {
  if (!options_.metrics) return;
  // The gauges come from the database, so every node shows the same (the outbox and the subscriptions
  // are shared); read only when /metrics is scraped.
  options_.metrics->SetSubscriptionSource([this](Metrics::SubscriptionGauges& gauges) {
    auto stats = subscriptions_.Stats();
    if (!stats) return false;
    gauges.outbox = stats->outbox;
    for (const auto& s : stats->by_status) gauges.by_status.push_back({s.status, s.subscriptions, s.pending});
    return true;
  });
}

SubscriptionWorker::~SubscriptionWorker() {
  if (options_.metrics) options_.metrics->SetSubscriptionSource(nullptr);
  Stop();
}

void SubscriptionWorker::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SubscriptionWorker::Stop() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
  std::map<std::string, std::thread> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running.swap(deliveries_);
  }
  for (auto& [id, thread] : running) thread.join();
}

void SubscriptionWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void SubscriptionWorker::Loop() {
  while (!stop_) {
    // Two independent steps, each caught on its own: numbering that fails (a lock timeout behind a
    // maintenance lock on resource_version, an outbox row the matcher chokes on) must not stop the
    // handshakes, heartbeats and retries of events already numbered, nor the other way round.
    // Nothing is lost either way (a failed step rolled back); it is tried again after a poll.
    try {
      DispatchAll();
    } catch (const std::exception& e) {
      Log("error", "subscription.worker_failed", {{"step", "dispatch"}, {"detail", e.what()}});
    }
    try {
      ReapFinished();
      StartDeliveries();
    } catch (const std::exception& e) {
      Log("error", "subscription.worker_failed", {{"step", "deliver"}, {"detail", e.what()}});
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, options_.poll, [this] { return woken_ || stop_; });
    woken_ = false;
  }
}

void SubscriptionWorker::DispatchAll() {
  // No early return on an empty outbox (OutboxBacklog() == 0): it would skip only numbering, and the
  // failure once blamed on it (a released receiver waiting a minute for its events) was the claim
  // dropped in StartDeliveries; the skip could come back, measured, as a later change.
  // Nobody subscribes (a registry without subscribers): the changes only need to leave the outbox.
  if (auto listed = subscriptions_.List(""); listed && listed->empty()) {
    const auto none = [](const OutboxChange&, const std::vector<SubscriptionRecord>&) {
      return std::vector<std::pair<std::string, std::string>>{};
    };
    for (int taken = options_.dispatch_batch; taken == options_.dispatch_batch && !stop_;) {
      auto dispatched = subscriptions_.Dispatch(options_.dispatch_batch, none);
      if (!dispatched) {
        Log("warn", "subscription.dispatch_failed", {{"detail", dispatched.error().text}});
        return;
      }
      taken = *dispatched;
    }
    return;
  }
  const auto policy = policy_.Current();
  for (int taken = options_.dispatch_batch; taken == options_.dispatch_batch && !stop_;) {
    taken = 0;
    // The lookups (units, patients) run in a transaction of the resource store beside the dispatcher's.
    auto looked = store_.Transact([&](ResourceTransaction& tx) -> Status {
      auto dispatched = subscriptions_.Dispatch(
          options_.dispatch_batch, [&](const OutboxChange& change, const std::vector<SubscriptionRecord>& subscriptions) {
            return fhir::MatchSubscriptions(tx, *policy, change, subscriptions);
          });
      if (!dispatched) return dispatched.error();
      taken = *dispatched;
      return Ok();
    });
    if (!looked) {
      Log("warn", "subscription.dispatch_failed", {{"detail", looked.error().text}});
      return;
    }
  }
}

void SubscriptionWorker::ReapFinished() {
  std::vector<std::thread> done;
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : finished_) {
      auto it = deliveries_.find(id);
      if (it == deliveries_.end()) continue;
      done.push_back(std::move(it->second));
      deliveries_.erase(it);
      ids.push_back(id);
    }
    finished_.clear();
  }
  for (auto& thread : done) thread.join();
  std::vector<SubscriptionRecord> again;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) {
      auto it = claimed_in_flight_.find(id);
      if (it == claimed_in_flight_.end()) continue;
      again.push_back(it->second);
      claimed_in_flight_.erase(it);
    }
  }
  for (auto& record : again) {
    // As it is now: the reaped delivery may have moved delivered_through since the claim was read.
    if (auto fresh = subscriptions_.Get(record.id); fresh) record = *fresh;
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_ && !deliveries_.count(record.id)) Launch(record);
  }
}

void SubscriptionWorker::StartDeliveries() {
  int room;
  {
    std::lock_guard<std::mutex> lock(mu_);
    room = options_.max_parallel - static_cast<int>(deliveries_.size());
  }
  if (room <= 0 || stop_) return;
  auto due = subscriptions_.ClaimDue(node_, room);
  if (!due) {
    Log("warn", "subscription.claim_failed", {{"detail", due.error().text}});
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& record : *due) {
    // Still here: its delivery released the lease (it is done with the database) but its thread has
    // not reported back yet. This claim holds the lease now, so it must not be dropped: that would
    // leave the subscription unclaimable until the lease runs out (a whole endpoint timeout; a
    // released receiver then waited a minute for its events). Delivered once that thread is reaped.
    if (deliveries_.count(record.id)) {
      claimed_in_flight_[record.id] = record;
      Log("info", "subscription.claimed_in_flight", {{"subscription", record.id}});
      continue;
    }
    Launch(record);
  }
}

void SubscriptionWorker::Launch(const SubscriptionRecord& record) {
  deliveries_.emplace(record.id, std::thread([this, record] {
                        try {
                          Deliver(record);
                        } catch (const std::exception& e) {
                          Log("error", "subscription.delivery_crashed", {{"subscription", record.id}, {"detail", e.what()}});
                        }
                        {
                          std::lock_guard<std::mutex> done(mu_);
                          finished_.push_back(record.id);
                        }
                        Wake();  // its next batch, if any, need not wait for the poll
                      }));
}

void SubscriptionWorker::Deliver(const SubscriptionRecord& record) {
  std::string type = "heartbeat";
  std::vector<SubscriptionEventRecord> events;
  long long through = record.delivered_through;
  if (record.status == "requested") {
    type = "handshake";
  } else if (record.events_since_start > record.delivered_through) {
    auto loaded = subscriptions_.Events(record.id, record.delivered_through + 1, record.events_since_start,
                                        record.max_count);
    if (!loaded) {
      NoteBookkeeping(record.id, subscriptions_.RecordFailure(record.id, node_, options_.retry.first_delay_ms, false, loaded.error().text));
      return;
    }
    events = std::move(*loaded);
    type = "event-notification";
    if (!events.empty()) through = events.back().number;
  }
  SubscriptionRecord shown = record;
  if (type == "handshake") shown.events_since_start = 0;
  const std::string body = fhir::NotificationBundleJson(shown, options_.base_url, type, events);
  // Patientdatalagen: patient data leaves only with its audit record, written before the call (an
  // attempt that fails is logged too, as a refused read would be).
  if (!events.empty() && record.payload != "empty") {
    if (auto audited = Audit(record, events); !audited) {
      NoteBookkeeping(record.id, subscriptions_.RecordFailure(record.id, node_, options_.retry.first_delay_ms, false, audited.error().text));
      return;
    }
  }
  const std::string problem = Post(record, body);
  if (options_.metrics) {
    options_.metrics->ObserveSubscriptionCall(type, problem.empty());
    if (problem.empty()) {
      const auto now = std::chrono::system_clock::now();
      for (const auto& event : events) {
        if (auto stamped = InstantOf(event.resource.last_updated)) options_.metrics->ObserveEventDelivered(now - *stamped);
      }
    }
  }
  if (problem.empty()) {
    ++delivered_;
    NoteBookkeeping(record.id, subscriptions_.RecordDelivered(record.id, node_, through, "active"));
    return;
  }
  ++failed_;
  const int failures = record.attempts + 1;
  const bool give_up = failures >= options_.retry.max_attempts;
  Log("warn", "subscription.delivery_failed",
      {{"subscription", record.id}, {"attempt", std::to_string(failures)}, {"detail", problem}});
  NoteBookkeeping(record.id, subscriptions_.RecordFailure(record.id, node_, RetryDelayMs(options_.retry, failures), give_up,
                               give_up ? "leveransen misslyckades " + std::to_string(failures) +
                                             " gånger i rad (delivery failed): " + problem
                                       : problem));
}

Status SubscriptionWorker::Audit(const SubscriptionRecord& record, const std::vector<SubscriptionEventRecord>& events) {
  AuditRecord audit;
  audit.request_id = "subscription-" + record.id;
  audit.agent_hsa_id = record.owner_hsa_id;
  if (auto owner = policy_.Current()->Identify(Caller{record.owner_hsa_id, "", "", "", {}})) {
    audit.agent_role = owner->role;
    audit.agent_name = owner->name;
    audit.agent_organizations = owner->organizations;
    if (!owner->organizations.empty()) audit.unit = owner->organizations.front();
  }
  audit.action = "read";
  audit.resource_type = events.front().resource.type;
  for (const auto& event : events) {
    const auto& resource = event.resource;
    if (resource.type == audit.resource_type) audit.resource_ids.push_back(resource.id);
    const std::string patient = fhir::FactsOfVersion(resource).patient_id;
    if (!patient.empty() &&
        std::find(audit.patient_ids.begin(), audit.patient_ids.end(), patient) == audit.patient_ids.end()) {
      audit.patient_ids.push_back(patient);
    }
  }
  audit.outcome = "success";
  audit.http_status = 200;
  audit.detail = "notifiering Subscription/" + record.id + " händelse " + std::to_string(events.front().number) + "–" +
                 std::to_string(events.back().number) + " (rest-hook notification)";
  return store_.AppendAudit(audit);
}

std::string SubscriptionWorker::Post(const SubscriptionRecord& record, const std::string& body) {
  // The allowlist in force now decides, not the one at creation.
  if (auto allowed = CheckEndpoint(record.endpoint, options_.allowlist); !allowed) return allowed.error().text;
  // The connection kept from this subscription's last call, if it went to the same endpoint: a TLS
  // handshake per notification would cap a busy subscription's rate.
  std::unique_ptr<Poco::Net::HTTPSClientSession> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = connections_.find(record.id);
    if (it != connections_.end()) {
      if (it->second.first == record.endpoint) kept = std::move(it->second.second);
      connections_.erase(it);
    }
  }
  const bool reused = kept != nullptr;
  std::string problem = PostOn(record, body, kept);
  if (!problem.empty() && reused) {
    // The endpoint may have closed the idle connection: once more on a new one.
    kept.reset();
    problem = PostOn(record, body, kept);
  }
  if (problem.empty() && kept) {
    std::lock_guard<std::mutex> lock(mu_);
    connections_[record.id] = {record.endpoint, std::move(kept)};
  }
  return problem;
}

std::string SubscriptionWorker::PostOn(const SubscriptionRecord& record, const std::string& body,
                                       std::unique_ptr<Poco::Net::HTTPSClientSession>& session) {
  try {
    Poco::URI uri(record.endpoint);
    if (!session) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context_);
      session->setKeepAlive(true);
    }
    session->setTimeout(Poco::Timespan(record.timeout_seconds, 0));
    const std::string path = uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.setContentType("application/fhir+json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    request.set("X-Subscription-Id", record.id);
    std::ostream& out = session->sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::ostringstream ignored;
    Poco::StreamCopier::copyStream(in, ignored, 8192);
    const int status = static_cast<int>(response.getStatus());
    if (status >= 200 && status < 300) return {};
    session.reset();
    return "mottagaren svarade " + std::to_string(status) + " (endpoint answered " + std::to_string(status) + ")";
  } catch (const Poco::Exception& e) {
    session.reset();
    return "anropet misslyckades (call failed): " + e.displayText();
  } catch (const std::exception& e) {
    session.reset();
    return std::string("anropet misslyckades (call failed): ") + e.what();
  }
}

}  // namespace nara::app
