// FhirApi: the FHIR REST interface over a ResourceStore. Stages per request: negotiate format →
// route (the table in fhir/http/routes.h) → authorize → parse → execute against the store → render
// → audit. Every failure becomes an OperationOutcome.
#pragma once

#include <string>
#include <vector>

#include "fhir/operations/bulk_export.h"
#include "fhir/operations/subscriptions.h"
#include "fhir/http/http.h"
#include "fhir/http/patient_answer_cache.h"
#include "fhir/http/request_audit.h"
#include "fhir/resources/registry_writes.h"
#include "fhir/resources/write_plan.h"
#include "auth/access_policy.h"
#include "registry/measures.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct ApiOptions {
  std::string software_version = "0.1.0";
  RegistryOptions registry;
  // Evaluates Measure/{id}/$evaluate-measure; nullptr: the operation answers 501 not-supported.
  // Not owned; must outlive the FhirApi.
  MeasureStore* measures = nullptr;
  // Bulk export (docs/api.md section 5): $export, $export-status, $export-file, Group.
  ExportOptions exports;
  // Change notifications (docs/api.md section 10): Subscription and its operations.
  SubscriptionOptions subscriptions;
  // Answers to GET Patient/{id} kept between reads (fhir/http/patient_answer_cache.h); nullptr: every
  // read reads the database. Not owned; must outlive the FhirApi.
  PatientAnswerCache* patient_answers = nullptr;
};

// The search criteria of If-None-Exist, of a conditional update/delete, or of a transaction's
// conditional reference (Patient?identifier=…): strict, at least one criterion, count 2.
// `what` names the condition in the error text (fhir/http/router_writes.cpp).
Result<SearchQuery> ParseCondition(const ResourceTypeDef& type, const QueryParams& params, const std::string& what);

// The one resource a condition names (locked until commit), nullopt when none; 412 when more than one.
Result<std::optional<StoredResource>> MatchOne(ResourceTransaction& tx, const SearchQuery& condition);

class FhirApi {
 public:
  FhirApi(ResourceStore& store, ApiOptions options);

  // Never throws for bad input; unexpected exceptions are left to the HTTP boundary (500 + log).
  HttpResponse Handle(const HttpRequest& request);

  // A request refused before routing (no HSA-id: 401, unknown HSA-id: 403): answered, and audited
  // like any refusal (HSLF-FS 2016:40 4 kap. 9 §: attempts count too).
  HttpResponse Refuse(const HttpRequest& request, const Error& error);

  // What the route handlers (fhir/http/*.cpp, one file per concern) build on.
  ResourceStore& store() { return store_; }
  const ApiOptions& options() const { return options_; }
  // Records the resource in the audit and, for a municipality caller, refuses a non-resident's data.
  Status CheckResident(const Caller& caller, const StoredResource& resource, RequestAudit& audit);
  Status CheckResidentIn(ResourceTransaction* tx, const Caller& caller, const StoredResource& resource,
                         RequestAudit& audit);
  // The kept Patient answers (and doctors' lists) that may serve this request, or nullptr.
  PatientAnswerCache* AnswersFor(const HttpRequest& request, const std::string& type);
  HttpResponse ReadCurrentAudited(const HttpRequest& request, const std::string& type, const std::string& id,
                                  RequestAudit& audit);
  // A write committed on this node: the answers kept for the patients its audit record names are
  // forgotten before its own answer leaves, so the caller's next read sees it (docs/api.md section 12).
  void ForgetAnswersOf(const RequestAudit& audit);

  // Writes (fhir/http/router_writes.cpp).
  // Parses and validates a create (POST), update (PUT), patch (PATCH) or delete (DELETE) of `type`;
  // `id` is the URL's id ("" for a create, or a conditional update/delete on [type]?criteria), and
  // `new_id` the id a create gets ("" = a fresh one). Touches nothing.
  Result<PlannedWrite> PlanWrite(const HttpRequest& request, const ResourceTypeDef& type, const std::string& id,
                                 const std::string& new_id = "");
  // Executes a planned write in `tx`: access decision on the new content and the stored version,
  // condition match, registry rules, the write, and its audit record (which commits with it).
  Result<WriteDone> ExecuteWrite(ResourceTransaction& tx, const HttpRequest& request, const PlannedWrite& plan,
                                 RequestAudit& audit);
  Status DecideWrite(ResourceTransaction& tx, const Caller& caller, RequestAudit& audit, const std::string& type,
                     auth::Action action, const rapidjson::Value* content, const std::string& id);
  // One planned write in a transaction of its own, answered as the request's Prefer asks.
  HttpResponse RunWrite(const HttpRequest& request, const PlannedWrite& plan, RequestAudit& audit);
  HttpResponse WriteDoneResponse(const HttpRequest& request, const WriteDone& done);

  // Transaction and batch Bundles (fhir/http/router_bundle.cpp).
  HttpResponse HandleBundle(const HttpRequest& request);

 private:
  // The dispatcher: route → body check → audit → authorize → the row's handler.
  HttpResponse Route(const HttpRequest& request, RequestAudit& audit);

  ResourceStore& store_;
  ApiOptions options_;
  RegistryWrites registry_;
};

}  // namespace nara::fhir
