// The Subscription entry of the CapabilityStatement (docs/api.md section 10): the backport profile, the
// interactions and operations fhir/operations/subscriptions.h serves, and the topics as the Backport
// IG's capabilitystatement-subscriptiontopic-canonical extensions (R4 has no SubscriptionTopic).
#pragma once

#include <string>

namespace nara::fhir {

// One CapabilityStatement.rest.resource object, as JSON text.
std::string SubscriptionCapabilityJson();

}  // namespace nara::fhir
