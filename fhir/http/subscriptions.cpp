#include "fhir/http/subscriptions.h"

#include "fhir/http/router.h"
#include "fhir/operations/subscriptions.h"

namespace nara::fhir {

HttpResponse SubscriptionSearchRoute(RouteContext& c) {
  return SearchSubscriptions(c.request, c.api.options().subscriptions);
}

HttpResponse SubscriptionCreateRoute(RouteContext& c) {
  return CreateSubscription(c.request, c.api.options().subscriptions);
}

HttpResponse SubscriptionReadRoute(RouteContext& c) {
  return ReadSubscription(c.request, c.api.options().subscriptions, c.match.id);
}

HttpResponse SubscriptionUpdateRoute(RouteContext& c) {
  return UpdateSubscription(c.request, c.api.options().subscriptions, c.match.id);
}

HttpResponse SubscriptionDeleteRoute(RouteContext& c) {
  return DeleteSubscription(c.request, c.api.options().subscriptions, c.match.id);
}

HttpResponse SubscriptionStatusRoute(RouteContext& c) {
  return SubscriptionStatus(c.request, c.api.options().subscriptions, c.match.id);
}

HttpResponse SubscriptionEventsRoute(RouteContext& c) {
  return SubscriptionEvents(c.request, c.api.options().subscriptions, c.match.id, c.audit);
}

}  // namespace nara::fhir
