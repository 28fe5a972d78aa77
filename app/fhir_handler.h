// The boundary between Poco's HTTPS server and the FHIR layer: reads the caller from the verified
// client certificate, applies its rate limit (429), bounds the body, converts to fhir::HttpRequest, and turns any unexpected
// exception into a 500 OperationOutcome with a request id (never a crash, never patient data logged).
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <atomic>

#include "app/config.h"
#include "app/rate_limiter.h"
#include "auth/access_policy.h"
#include "fhir/router.h"

namespace nara::app {

struct RequestCounters {
  std::atomic<long> total{0};
  std::atomic<long> status_2xx{0}, status_4xx{0}, status_5xx{0};
};

class FhirHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  FhirHandlerFactory(fhir::FhirApi& api, auth::PolicyHolder& policy, const Config& config, RateLimiter& limiter,
                     RequestCounters& counters)
      : api_(api), policy_(policy), config_(config), limiter_(limiter), counters_(counters) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

 private:
  fhir::FhirApi& api_;
  auth::PolicyHolder& policy_;
  const Config& config_;
  RateLimiter& limiter_;
  RequestCounters& counters_;
};

}  // namespace nara::app
