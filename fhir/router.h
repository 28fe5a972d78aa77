// FhirApi: the FHIR REST interface over a ResourceStore. Stages per request: negotiate format →
// route → parse → execute against the store → render. Every failure becomes an OperationOutcome.
#pragma once

#include <string>

#include "fhir/http.h"
#include "fhir/request_audit.h"
#include "fhir/registry_writes.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct ApiOptions {
  std::string software_version = "0.1.0";
  RegistryOptions registry;
};

class FhirApi {
 public:
  FhirApi(ResourceStore& store, ApiOptions options);

  // Never throws for bad input; unexpected exceptions are left to the HTTP boundary (500 + log).
  HttpResponse Handle(const HttpRequest& request);

  // A request refused before routing (no HSA-id: 401, unknown HSA-id: 403): answered, and audited
  // like any refusal (HSLF-FS 2016:40 4 kap. 9 §: attempts count too).
  HttpResponse Refuse(const HttpRequest& request, const Error& error);

 private:
  HttpResponse Route(const HttpRequest& request, RequestAudit& audit);
  // Records the resource in the audit and, for a municipality caller, refuses a non-resident's data.
  Status CheckResident(const Caller& caller, const StoredResource& resource, RequestAudit& audit);

  ResourceStore& store_;
  ApiOptions options_;
  RegistryWrites registry_;
};

}  // namespace nara::fhir
