// FhirApi: the FHIR REST interface over a ResourceStore. Stages per request: negotiate format →
// route → parse → execute against the store → render. Every failure becomes an OperationOutcome.
#pragma once

#include <string>
#include <vector>

#include "fhir/bulk_export.h"
#include "fhir/http.h"
#include "fhir/request_audit.h"
#include "fhir/registry_writes.h"
#include "registry/measures.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct ApiOptions {
  std::string software_version = "0.1.0";
  RegistryOptions registry;
  // ---- measures (API.md section 5) ----
  // Evaluates Measure/{id}/$evaluate-measure; nullptr: the operation answers 501 not-supported.
  // Not owned; must outlive the FhirApi.
  MeasureStore* measures = nullptr;
  // ---- end measures ----
  // ---- bulk export (API.md section 5): $export, $export-status, $export-file, Group ----
  ExportOptions exports;
  // ---- end bulk export ----
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
  // GET Measure, Measure/{id}, Measure/{id}/$evaluate-measure (the "measures" section of router.cpp).
  HttpResponse RouteMeasure(const HttpRequest& request, const std::vector<std::string>& segments);
  Status CheckResident(const Caller& caller, const StoredResource& resource, RequestAudit& audit);

  ResourceStore& store_;
  ApiOptions options_;
  RegistryWrites registry_;
};

}  // namespace nara::fhir
