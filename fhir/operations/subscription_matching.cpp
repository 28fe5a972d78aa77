#include "fhir/operations/subscription_matching.h"

#include <algorithm>
#include <map>
#include <set>

#include "fhir/http/access.h"
#include "fhir/http/protection.h"
#include "fhir/resources/subscription_resource.h"
#include "registry/date.h"
#include "registry/identifier_system.h"
#include "registry/search_query.h"

namespace nara::fhir {
namespace {

// Bound on partOf chains: a cycle written by mistake must not hang the dispatcher.
constexpr int kMaxChainDepth = 12;

void AddChain(RegistryTransaction& reg, std::string unit_id, std::vector<std::string>& units) {
  std::set<std::string> seen;
  for (int depth = 0; depth < kMaxChainDepth && !unit_id.empty() && seen.insert(unit_id).second; ++depth) {
    if (std::find(units.begin(), units.end(), unit_id) == units.end()) units.push_back(unit_id);
    auto unit = reg.Unit(unit_id);
    if (!unit) break;
    unit_id = unit->part_of;
  }
}

void AddUnique(std::vector<std::string>& values, const std::string& value) {
  if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
}

// The episode a patient has now or had last: the active one, else the one that started last.
const EpisodeFacts* CurrentOrLast(const std::vector<EpisodeFacts>& episodes) {
  const Date today = Date::Today();
  const EpisodeFacts* last = nullptr;
  for (const auto& episode : episodes) {
    if (episode.ActiveOn(today)) return &episode;
    if (episode.status == EpisodeStatus::entered_in_error) continue;
    if (!last || last->period.start < episode.period.start) last = &episode;
  }
  return last;
}

// docs/api.md sections 8 and 10: of a protected person's data a subscriber hears only when it would be
// shown everything. Even a redacted notice would say which unit, SÄBO or kommun the person belongs to
// (that is what the subscription is filtered on), which is what protection keeps from outsiders.
// The version an event shows: the new one, or for a delete the one before it.
const StoredResource& Shown(const OutboxChange& change) {
  return change.after.deleted || change.after.json.empty() ? change.before : change.after;
}

// Whether the change is a protected person's data at all: admin sees everything, so its sight is
// `open` exactly when there is nothing to screen. Asked once per change, not per subscription.
bool IsProtectedData(ResourceTransaction& tx, const OutboxChange& change) {
  StoredResource shown = Shown(change);
  if (shown.json.empty()) return false;  // nothing to show: no patient data in the event
  static const Caller kAdmin{"", "", "admin", "", {}};
  ProtectionScreen screen(kAdmin);
  return screen.ScreenOne(tx.Registry(), shown) != Sight::open;
}

bool SeesInFull(ResourceTransaction& tx, const Caller& owner, const OutboxChange& change) {
  StoredResource shown = Shown(change);
  ProtectionScreen screen(owner);
  const Sight sight = screen.ScreenOne(tx.Registry(), shown);
  return sight == Sight::open || sight == Sight::full;
}

}  // namespace

bool MaySubscribe(const Caller& caller) {
  return caller.role == "ehr" || caller.role == "municipality" || caller.role == "admin";
}

ChangeScope ScopeOf(ResourceTransaction& tx, const ResourceChange& change) {
  auto& reg = tx.Registry();
  ChangeScope scope;
  scope.patient_id = change.after.exists ? change.after.patient_id : change.before.patient_id;
  if (scope.patient_id.empty()) scope.patient_id = change.before.patient_id;
  for (const VersionFacts* facts : {&change.before, &change.after}) {
    if (!facts->exists) continue;
    AddChain(reg, facts->unit_id, scope.units);
    if (!facts->role_id.empty()) {
      if (auto role = reg.Role(facts->role_id)) AddChain(reg, role->unit_id, scope.units);
    }
    AddUnique(scope.kommuner, facts->kommun);
  }
  if (scope.patient_id.empty()) return scope;
  if (change.type == "Patient") {
    // A death or a move concerns where the resident is (or was last) listed and living.
    if (const auto* listing = CurrentOrLast(reg.Listings(scope.patient_id))) AddChain(reg, listing->unit_id, scope.units);
    if (const auto* home = CurrentOrLast(reg.Residencies(scope.patient_id))) AddChain(reg, home->unit_id, scope.units);
  } else if (auto patient = tx.Read("Patient", scope.patient_id)) {
    AddUnique(scope.kommuner, FactsOfVersion(*patient).kommun);
  }
  return scope;
}

bool MayHearOf(ResourceTransaction& tx, const Caller& owner, const ResourceChange& change, const ChangeScope& scope) {
  auth::Target target;
  target.resource_type = change.type;
  if (owner.role == "municipality") {
    // Its residents: living in one of its kommuner, or in one of its SÄBO units, before or after.
    bool resident = false;
    const auto kommuner = CallerKommuner(tx, owner);
    for (const auto& kommun : scope.kommuner) {
      resident = resident || std::count(kommuner.begin(), kommuner.end(), kommun) > 0;
    }
    // A unit of its own among those concerned (a SÄBO of the kommun, with the kommun in its chain).
    for (const auto& unit_id : scope.units) {
      if (resident) break;
      auto unit = tx.Registry().Unit(unit_id);
      resident = unit && std::count(owner.organizations.begin(), owner.organizations.end(), unit->hsa_id) > 0;
    }
    target.patient_in_callers_kommun = resident;
  }
  return auth::Decide(owner, auth::Action::read, target).allowed;
}

std::vector<std::pair<std::string, std::string>> MatchSubscriptions(
    ResourceTransaction& tx, const auth::AccessPolicy& policy, const OutboxChange& change,
    const std::vector<SubscriptionRecord>& subscriptions) {
  ResourceChange resource_change;
  resource_change.type = change.after.type;
  resource_change.id = change.after.id;
  resource_change.version = change.after.version;
  if (change.has_before) resource_change.before = FactsOfVersion(change.before);
  resource_change.after = FactsOfVersion(change.after);
  const auto topics = TopicsOf(resource_change);
  std::vector<std::pair<std::string, std::string>> matches;
  if (topics.empty()) return matches;
  std::vector<std::string> urls;
  for (Topic topic : topics) urls.push_back(TopicUrl(topic));

  std::optional<ChangeScope> scope;  // looked up once, when a subscription wants the topic
  std::optional<bool> is_protected;  // likewise
  std::map<std::string, FilterOrganization> organizations;
  for (const auto& subscription : subscriptions) {
    if (std::find(urls.begin(), urls.end(), subscription.topic) == urls.end()) continue;
    auto filter = ParseFilterCriteria(subscription.filters);
    if (!filter) continue;  // stored normalised: cannot happen
    if (!scope) scope = ScopeOf(tx, resource_change);
    std::vector<FilterOrganization> resolved;
    for (const auto& id : filter->organizations) {
      auto known = organizations.find(id);
      if (known == organizations.end()) {
        FilterOrganization organization{id, ""};
        if (auto unit = tx.Registry().Unit(id); unit && unit->type == UnitType::kommun) organization.kommun = unit->kommun;
        known = organizations.emplace(id, organization).first;
      }
      resolved.push_back(known->second);
    }
    if (!FilterMatches(*filter, resolved, *scope)) continue;
    auto owner = policy.Identify(Caller{subscription.owner_hsa_id, "", "", "", {}});
    if (!owner || !MayHearOf(tx, *owner, resource_change, *scope)) continue;
    if (!is_protected) is_protected = IsProtectedData(tx, change);
    if (*is_protected && !SeesInFull(tx, *owner, change)) continue;
    matches.emplace_back(subscription.id, subscription.topic);
  }
  return matches;
}

}  // namespace nara::fhir
