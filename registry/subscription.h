// Change notifications, the domain part (docs/api.md section 10): the topics, which topics a change of
// one resource hits, the filters a subscriber sets and whether a change falls under them, the retry
// schedule and the endpoint allowlist. Plain C++: fhir/ turns JSON versions into VersionFacts and the
// adapter resolves units and kommuner into a ChangeScope.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/result.h"

namespace nara {

// NR/SubscriptionTopic/… The six of the contract, and two more: residence-change, a resident's kommun
// changed (the kommun a resident moves out of, and the one moved into, must hear of it), and
// hemsjukvard-change, home health care registered, changed or ended by the kommun (the vårdcentral
// that lists the person must hear of it, as of a move into a SÄBO).
enum class Topic {
  listing_change,
  fixed_contact_change,
  saebo_change,
  patient_death,
  waitlist_change,
  patientkontrakt_change,
  residence_change,
  hemsjukvard_change,
};

const std::vector<Topic>& AllTopics();
std::string_view TopicCode(Topic topic);   // "listing-change"
std::string TopicUrl(Topic topic);         // https://fhir.nara-registry.org/SubscriptionTopic/listing-change
std::string_view TopicTitle(Topic topic);  // Swedish, with English in parentheses
// The resource type whose changes the topic reports ("EpisodeOfCare", "Patient", …).
std::string_view TopicResourceType(Topic topic);
std::optional<Topic> ParseTopicUrl(std::string_view url);  // also accepts the bare code

// What one version of a resource says, as far as the topics care. exists = false for "no version"
// (before a create) and for a tombstone.
struct VersionFacts {
  bool exists = false;
  std::string kind;        // EpisodeOfCare "listning"/"saebo"/"hemsjukvard"; CareTeam "fast-kontakt";
                           // DocumentReference "patientkontrakt"; Task "fast-lakarkontakt-ko"
  std::string patient_id;  // Patient: its own id
  std::string unit_id;     // managing organization (EpisodeOfCare, CareTeam), custodian (DocumentReference)
  std::string role_id;     // Task.focus (a PractitionerRole): its unit is the queue's unit
  std::string kommun;      // Patient: kommunkod of the current address
  bool deceased = false;   // Patient
};

struct ResourceChange {
  std::string type, id;
  int version = 0;
  VersionFacts before, after;  // the previous version and this one
};

// Topics the change hits: a listing, SÄBO or home-care episode, fixed contact, Patientkontrakt or queue entry that
// was created, changed or deleted; a patient that became deceased; a patient whose kommun changed.
std::vector<Topic> TopicsOf(const ResourceChange& change);

// backport-filter-criteria: `managing-organization` (a unit, or a kommun or region above it) and
// `patient`, each with comma-separated values (any of them), different names all holding.
struct SubscriptionFilter {
  std::vector<std::string> organizations;  // Organization ids
  std::vector<std::string> patients;       // Patient ids
};

// "[Type?]managing-organization=Organization/1,Organization/2&patient=Patient/3", several criteria
// joined by the caller with '&'. Invalid (400-class, code "value") on an unknown name or a bad value.
Result<SubscriptionFilter> ParseFilterCriteria(std::string_view text);
std::string FormatFilterCriteria(const SubscriptionFilter& filter);  // name=value,value&name=value

// Where a change happened: its patient, every unit concerned (the managing units before and after,
// with all their partOf parents) and the patient's kommuner before and after.
struct ChangeScope {
  std::string patient_id;
  std::vector<std::string> units;    // Organization ids
  std::vector<std::string> kommuner; // kommunkoder
};

// A filter Organization as resolved by the adapter: its id and, for a kommun, its kommunkod, under
// which a resident of the kommun is "below" it even when cared for elsewhere.
struct FilterOrganization {
  std::string id;
  std::string kommun;  // "" unless the Organization is a kommun
};

bool FilterMatches(const SubscriptionFilter& filter, const std::vector<FilterOrganization>& organizations,
                   const ChangeScope& scope);

// Delivery retries: the wait before attempt n+1 after n failures in a row (1 s, 2 s, 4 s … capped).
struct RetryPolicy {
  int first_delay_ms = 1000;
  int max_delay_ms = 300000;
  int max_attempts = 10;  // failures in a row after which the subscription turns `error`
};
int RetryDelayMs(const RetryPolicy& policy, int failures);

// subscription.endpoint-allowlist: the endpoint is https and its host is one of `allowlist`
// (host names compared without case, addresses as written; any port). Error: business_rule
// "endpoint-not-allowed" or invalid "value" for a URL that is not https.
Status CheckEndpoint(std::string_view endpoint, const std::vector<std::string>& allowlist);
// The host of an http(s) URL ("" when it has none); IPv6 literals without their brackets.
std::string EndpointHost(std::string_view endpoint);

}  // namespace nara
