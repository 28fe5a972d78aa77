// Subscription (R5 Backport IG STU 1.1 on R4, docs/api.md section 10) as JSON: the Subscription a client
// posts, read back with its status; the notification Bundle (type history, first entry the
// backport-subscription-status-r4 Parameters) for handshakes, heartbeats, events and $events; and the
// facts of a stored version that decide its topics (registry/subscription.h).
#pragma once

#include <string>
#include <vector>

#include "registry/subscription.h"
#include "registry/subscription_store.h"

namespace nara::fhir {

namespace backport {
inline constexpr const char* kBase = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";
inline constexpr const char* kSubscriptionProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription";
inline constexpr const char* kStatusProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4";
inline constexpr const char* kFilterCriteria =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria";
inline constexpr const char* kPayloadContent =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content";
inline constexpr const char* kHeartbeatPeriod =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period";
inline constexpr const char* kTimeout =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-timeout";
inline constexpr const char* kMaxCount =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-max-count";
}  // namespace backport

// Bounds a client may ask for (seconds, events per notification).
inline constexpr int kMaxTimeoutSeconds = 120;
inline constexpr int kMaxHeartbeatSeconds = 86400;
inline constexpr int kMaxEventsPerNotification = 100;

// A posted Subscription as a record (id, owner and status left for the caller to set). Errors are
// 400/422 OperationOutcomes: unknown topic, bad filter, channel not rest-hook, endpoint not https or
// not in the allowlist (422 endpoint-not-allowed), payload content other than empty/id-only/full-resource.
Result<SubscriptionRecord> SubscriptionFromJson(const std::string& body, const std::vector<std::string>& allowlist);

// The Subscription as stored, with id, meta.profile, status and error.
std::string SubscriptionJson(const SubscriptionRecord& record);

// backport-subscription-status-r4 Parameters. type: handshake | heartbeat | event-notification |
// query-status | query-event.
std::string SubscriptionStatusJson(const SubscriptionRecord& record, const std::string& base_url,
                                   const std::string& type, const std::vector<SubscriptionEventRecord>& events);

// A notification Bundle (type history): the status Parameters, then per event the resource as the
// subscription's payload says (full-resource: the version; id-only: a request naming it; empty: none).
// payload_override: "" = the subscription's own.
std::string NotificationBundleJson(const SubscriptionRecord& record, const std::string& base_url,
                                   const std::string& type, const std::vector<SubscriptionEventRecord>& events,
                                   const std::string& payload_override = "");

// The facts of a stored version that decide its topics (a tombstone or empty JSON: exists = false).
VersionFacts FactsOfVersion(const StoredResource& version);

}  // namespace nara::fhir
