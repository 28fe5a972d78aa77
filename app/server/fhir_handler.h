// The boundary between Poco's HTTPS server and the FHIR layer: reads the caller from the verified
// client certificate, applies its rate limit (429), bounds the body, converts to fhir::HttpRequest, and turns any unexpected
// exception into a 500 OperationOutcome with a request id (never a crash, never patient data logged).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "app/config.h"
#include "app/server/connection_guard.h"
#include "app/server/metrics.h"
#include "app/server/rate_limiter.h"
#include "auth/access_policy.h"
#include "fhir/http/router.h"

namespace nara::app {

// What every FHIR request handler works with; all owned by `nara serve`.
struct FhirHandlerContext {
  fhir::FhirApi& api;
  auth::PolicyHolder& policy;
  const Config& config;
  RateLimiter& limiter;
  ConnectionGuard& guard;  // told when a request has fully arrived and when the next one is awaited
  Metrics& metrics;
};

class FhirHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit FhirHandlerFactory(FhirHandlerContext context) : context_(context) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

 private:
  FhirHandlerContext context_;
};

}  // namespace nara::app
