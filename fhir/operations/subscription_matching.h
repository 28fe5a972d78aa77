// Subscription matching: which subscriptions an outbox change is an event for (docs/api.md section 10).
// A change is an event for a subscription when it hits the subscription's topic
// (registry/subscription.h TopicsOf), falls under its filter (the managing units before and after,
// with their partOf parents; the patient; for a kommun, the patient's kommun before and after), and
// the subscription's owner may read it now (docs/api.md section 6: an ehr reads registry data, a
// municipality its residents — before or after a move, so the kommun moved out of hears of it).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/access_policy.h"
#include "registry/resource_store.h"
#include "registry/subscription.h"
#include "registry/subscription_store.h"

namespace nara::fhir {

// The scope of a change: patient, units concerned (with parents), kommuner before and after.
ChangeScope ScopeOf(ResourceTransaction& tx, const ResourceChange& change);

// Whether `owner` may read the change's resource (section 6 applied to the scope).
bool MayHearOf(ResourceTransaction& tx, const Caller& owner, const ResourceChange& change, const ChangeScope& scope);

// (subscription id, topic URL) for each subscription the change is an event for. Lookups run in tx.
std::vector<std::pair<std::string, std::string>> MatchSubscriptions(
    ResourceTransaction& tx, const auth::AccessPolicy& policy, const OutboxChange& change,
    const std::vector<SubscriptionRecord>& subscriptions);

// Who may own a subscription: an ehr, a municipality or an admin (they read registry data).
bool MaySubscribe(const Caller& caller);

}  // namespace nara::fhir
