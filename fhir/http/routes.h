// The route table: every path shape this server answers, the methods each takes, what the request
// is (the capability interaction, the access decision and the audit verb) and the handler that
// serves it. The dispatcher (fhir/http/router.cpp) and the CapabilityStatement
// (fhir/conformance/capability.cpp) both read this one table, so what is advertised is what works.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/access_policy.h"
#include "fhir/http/http.h"
#include "fhir/http/http_util.h"
#include "fhir/http/request_audit.h"
#include "fhir/resources/resource_types.h"

namespace nara::fhir {

class FhirApi;

enum class Shape {
  base,                // POST [base]: transaction and batch Bundles
  metadata,            // metadata
  system_history,      // _history
  audit_search,        // AuditEvent
  measure_type,        // Measure
  measure_instance,    // Measure/[id]
  measure_evaluate,    // Measure/[id]/$evaluate-measure
  measure_evaluate_type,  // Measure/$evaluate-measure?measure=[id or url]
  report,              // $report: the report people read (fhir/http/report.h)
  export_system,       // $export
  export_patient,      // Patient/$export
  export_group,        // Group/[id]/$export
  group_type,          // Group
  group_instance,      // Group/[id]
  export_status,       // $export-status/[job]
  export_file,         // $export-file/[job]/[file]
  export_other,        // any other path below $export…, Group: bulk export answers it
  type,                // [type]
  type_search,         // [type]/_search
  type_history,        // [type]/_history
  type_operation,      // [type]/$[operation] of the type's definition
  instance,            // [type]/[id]
  instance_history,    // [type]/[id]/_history
  vread,               // [type]/[id]/_history/[vid]
  instance_operation,  // [type]/[id]/$[operation] of the type's definition
  subscription_type,       // Subscription (change notifications, fhir/http/subscriptions.h)
  subscription_instance,   // Subscription/[id]
  subscription_operation,  // Subscription/[id]/$status, Subscription/[id]/$events
  conformance_type,        // OperationDefinition, SearchParameter, CodeSystem, StructureDefinition
  conformance_instance,    // [one of those]/[id] (fhir/conformance/definitions.h)
};

// A path matched to its shape, with what the path names.
struct RouteMatch {
  Shape shape = Shape::base;
  const ResourceTypeDef* type = nullptr;  // [type] shapes: the type's definition
  std::string id;                         // [id], or the Measure or Group id
  std::string vid;                        // vread: the version as written (checked by the handler)
  std::string operation;                  // *_operation: the name without $
  std::vector<std::string> segments;      // the whole path, for bulk export
};

// The path's shape, or the answer for a path no shape takes: 404 for an unknown type or path,
// 400 for an id that cannot be one (before the method is looked at, as a client would expect the
// path to be judged first).
std::variant<RouteMatch, HttpResponse> MatchPath(const std::vector<std::string>& segments);

// The stages of one request (docs/api.md section 1): route → (content check) → audit → authorize →
// handler (parse, execute, render). Handlers get the request as routed.
struct RouteContext {
  FhirApi& api;
  const HttpRequest& request;
  const RouteMatch& match;
  RequestAudit& audit;
  Preferences prefs;
};
using Handler = HttpResponse (*)(RouteContext&);

// What the body must be before anything else is looked at (415 otherwise).
enum class BodyCheck {
  none,
  fhir,        // application/fhir+json (CheckRequestContentType)
  json_patch,  // application/json-patch+json
  form,        // application/x-www-form-urlencoded, when there is a body (POST _search)
  parameters,  // an operation's POST: a Parameters resource in FHIR JSON, or no body (no parameters)
};

// When the request is named in the PDL log: never, always, or when the type holds patient data.
enum class AuditWhen { never, always, patient_data };

struct Route {
  Shape shape;
  const char* method;  // "GET", "POST", …; "*": the handler takes every method and answers 405 itself
  // FHIR restful interaction codes the row serves, as the CapabilityStatement lists them ("read",
  // "search-type", "transaction", …); "operation" for an operation row; none for metadata.
  std::vector<const char*> interactions;
  const char* operation;  // operation rows: the name without $; "" otherwise
  BodyCheck body;
  AuditWhen audit_when;
  const char* audit_verb;  // RequestAudit::Begin's action
  // The type-level access decision; none where the handler decides per resource (writes, Bundles,
  // bulk export).
  std::optional<auth::Action> action;
  const char* target_type;  // the decision's resource type when the path names none ("" = the path's)
  Handler handler;
};

const std::vector<Route>& Routes();

// The rows of a matched path (one per method, or one "*" row).
std::vector<const Route*> RoutesFor(const RouteMatch& match);

// What a 405 calls the path ("_history", "Patient/[id]", …) and the methods it takes, from the rows.
std::string ShapeName(const RouteMatch& match);
// Allow lists HEAD after each GET that takes it, and OPTIONS last (the dispatcher answers it).
std::string AllowedMethods(const std::vector<const Route*>& rows);
// HEAD is served as the row's GET without the body: reads, searches and histories, not operations.
bool TakesHead(const Route& row);

}  // namespace nara::fhir
