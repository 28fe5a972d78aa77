// The route handlers of Subscription (docs/api.md section 10): thin adapters from the route table to
// fhir/operations/subscriptions.h, with the store and allowlist of ApiOptions::subscriptions.
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse SubscriptionSearchRoute(RouteContext& c);
HttpResponse SubscriptionCreateRoute(RouteContext& c);
HttpResponse SubscriptionReadRoute(RouteContext& c);
HttpResponse SubscriptionUpdateRoute(RouteContext& c);
HttpResponse SubscriptionDeleteRoute(RouteContext& c);
HttpResponse SubscriptionStatusRoute(RouteContext& c);
HttpResponse SubscriptionEventsRoute(RouteContext& c);

}  // namespace nara::fhir
