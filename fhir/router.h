// FhirApi: the FHIR REST interface over a ResourceStore. Stages per request: negotiate format →
// route → parse → execute against the store → render. Every failure becomes an OperationOutcome.
#pragma once

#include <string>

#include "fhir/http.h"
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

 private:
  HttpResponse Route(const HttpRequest& request);

  ResourceStore& store_;
  ApiOptions options_;
  RegistryWrites registry_;
};

}  // namespace nara::fhir
