// The Subscription endpoints (docs/api.md section 10; R5 Backport IG STU 1.1 on R4), routed by the table
// in fhir/http/routes.cpp (which also checks the body is FHIR JSON):
//   POST   Subscription                 create (→ requested; the handshake follows from the worker)
//   GET    Subscription/{id}            read
//   PUT    Subscription/{id}            replace the definition; back to requested (a new handshake),
//                                       delivery continues after the last acknowledged event
//   DELETE Subscription/{id}            delete (its events go with it)
//   GET    Subscription                 search: the caller's own (admin: all), `status`, `_count`
//   GET    Subscription/{id}/$status    Bundle with the backport-subscription-status-r4 Parameters
//   GET|POST Subscription/{id}/$events  eventsSinceNumber, eventsUntilNumber, content: the events
//                                       again as a notification Bundle (type history), for catch-up
// A subscription belongs to the caller who created it: another caller (but admin) gets 404.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fhir/http/http.h"
#include "fhir/http/request_audit.h"
#include "registry/subscription_store.h"

namespace nara::fhir {

struct SubscriptionOptions {
  // nullptr: the Subscription endpoints answer 501 not-supported. Not owned.
  SubscriptionStore* store = nullptr;
  std::vector<std::string> allowlist;  // subscription.endpoint-allowlist
  std::function<void()> on_changed;    // a subscription was created or re-requested (wakes the worker)
};

HttpResponse CreateSubscription(const HttpRequest& request, const SubscriptionOptions& options);
HttpResponse ReadSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id);
HttpResponse UpdateSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id);
HttpResponse DeleteSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id);
HttpResponse SearchSubscriptions(const HttpRequest& request, const SubscriptionOptions& options);
HttpResponse SubscriptionStatus(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id);
// Names the events' resources and patients in `audit` (they are patient data).
HttpResponse SubscriptionEvents(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id,
                                RequestAudit& audit);

}  // namespace nara::fhir
