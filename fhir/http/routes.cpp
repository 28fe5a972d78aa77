#include "fhir/http/routes.h"

#include "fhir/conformance/definitions.h"
#include "fhir/http/audit_search.h"
#include "fhir/http/conformance_resources.h"
#include "fhir/http/history.h"
#include "fhir/http/interactions.h"
#include "fhir/http/measures.h"
#include "fhir/http/operations.h"
#include "fhir/http/report.h"
#include "fhir/http/subscriptions.h"
#include "fhir/http/responses.h"
#include "fhir/operations/bulk_export.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/json/json.h"
#include "fhir/resources/resource_mapper.h"

namespace nara::fhir {
namespace {

using auth::Action;
constexpr auto kNoAudit = AuditWhen::never;
constexpr auto kPatientData = AuditWhen::patient_data;
constexpr std::optional<Action> kPerResource = std::nullopt;

HttpResponse InvalidId() {
  return ErrorResponse(Error::Invalid("invalid", "ogiltigt id (ids are 1–64 of A–Z a–z 0–9 - .)"));
}

HttpResponse UnknownPath() { return NotFoundPath("okänd sökväg (unknown path)"); }

// Where an operation asked for at the wrong level does run, if anywhere.
enum class RunsOn { nowhere, instance, type };

// "$name" asked of `type` at a level where it does not run. When it runs at the other level, the text
// says where, so the integrator's next request is the right one.
HttpResponse UnknownOperation(const std::string& type, const std::string& segment, RunsOn runs_on) {
  const std::string op = SafeExcerpt(segment);
  if (runs_on == RunsOn::instance) {
    const std::string path = type + "/[id]/" + op;
    return NotFoundPath("operationen " + op + " körs på en enskild resurs: " + path +
                        " (the operation runs on one resource: " + path + ")");
  }
  if (runs_on == RunsOn::type) {
    const std::string path = type + "/" + op;
    return NotFoundPath("operationen " + op + " körs på typen: " + path + " (the operation runs on the type: " + path +
                        ")");
  }
  return NotFoundPath("operationen " + op + " finns inte för " + type + " (" + type + " has no operation " + op + ")");
}

// The operation of `type` that `segment` ("$name") invokes, at type or instance level.
const OperationDef* FindOperation(const ResourceTypeDef& type, const std::string& segment, bool instance) {
  if (segment.size() < 2 || segment[0] != '$') return nullptr;
  for (const auto& op : type.operations) {
    if (op.instance == instance && segment.compare(1, std::string::npos, op.name) == 0) return &op;
  }
  return nullptr;
}

Shape BulkExportShape(const std::vector<std::string>& s) {
  if (s[0] == "$export") return s.size() == 1 ? Shape::export_system : Shape::export_other;
  if (s[0] == "Patient") return Shape::export_patient;  // IsBulkExportPath: exactly Patient/$export
  if (s[0] == "Group") {
    if (s.size() == 1) return Shape::group_type;
    if (s.size() == 2) return Shape::group_instance;
    if (s.size() == 3 && s[2] == "$export") return Shape::export_group;
    return Shape::export_other;
  }
  if (s[0] == "$export-status" && s.size() == 2) return Shape::export_status;
  if (s[0] == "$export-file" && s.size() == 3) return Shape::export_file;
  return Shape::export_other;
}

}  // namespace

std::variant<RouteMatch, HttpResponse> MatchPath(const std::vector<std::string>& segments) {
  RouteMatch match;
  match.segments = segments;
  const auto matched = [&](Shape shape) -> std::variant<RouteMatch, HttpResponse> {
    match.shape = shape;
    return match;
  };
  if (segments.empty()) return matched(Shape::base);
  const std::string& first = segments[0];
  const size_t size = segments.size();
  if (first == "metadata" && size == 1) return matched(Shape::metadata);
  if (first == "_history" && size == 1) return matched(Shape::system_history);
  if (first == "$report" && size == 1) return matched(Shape::report);
  if (first == "AuditEvent" && size == 1) return matched(Shape::audit_search);
  if (first == "AuditEvent") {
    // The PDL log is searched, not read one event at a time (docs/api.md section 6).
    Issue issue;
    issue.code = "not-supported";
    issue.text = "enskilda AuditEvent kan inte läsas, sök i AuditEvent i stället (reading a single AuditEvent is "
                 "not supported; search AuditEvent with patient, agent or date)";
    return ErrorResponse(404, issue);
  }
  // The Measures are served from their definitions, not the resource store (docs/api.md section 5).
  if (first == "Measure") {
    if (size == 1) return matched(Shape::measure_type);
    match.id = segments[1];
    constexpr const char* kEvaluate = "$evaluate-measure";  // the Measures' one operation
    if (size == 2 && match.id == kEvaluate) {
      match.id.clear();  // the Measure is named by the `measure` parameter
      return matched(Shape::measure_evaluate_type);
    }
    if (match.id[0] == '$') return UnknownOperation(first, match.id, RunsOn::nowhere);
    if (!IsValidId(match.id)) return InvalidId();
    if (size == 2) return matched(Shape::measure_instance);
    if (size == 3 && segments[2] == kEvaluate) return matched(Shape::measure_evaluate);
    return UnknownPath();
  }
  // Subscriptions live beside the resource store, not in it (docs/api.md section 10).
  if (first == "Subscription") {
    if (size == 1) return matched(Shape::subscription_type);
    match.id = segments[1];
    if (!IsValidId(match.id)) return InvalidId();
    if (size == 2) return matched(Shape::subscription_instance);
    if (size == 3 && (segments[2] == "$status" || segments[2] == "$events")) {
      match.operation = segments[2].substr(1);
      return matched(Shape::subscription_operation);
    }
    return UnknownPath();
  }
  // The conformance resources are generated from the tables, not stored (docs/api.md section 3).
  if (IsConformanceType(first)) {
    if (size == 1) return matched(Shape::conformance_type);
    match.id = segments[1];
    if (!IsValidId(match.id)) return InvalidId();
    if (size == 2) return matched(Shape::conformance_instance);
    return UnknownPath();
  }
  if (IsBulkExportPath(segments)) {
    if (size >= 2) match.id = segments[1];
    return matched(BulkExportShape(segments));
  }
  match.type = FindType(first);
  if (!match.type) {
    return NotFoundPath("resurstypen " + SafeExcerpt(first) + " finns inte här (unknown resource type)");
  }
  if (size == 1) return matched(Shape::type);
  if (size == 2) {
    if (const OperationDef* op = FindOperation(*match.type, segments[1], false)) {
      match.operation = op->name;
      return matched(Shape::type_operation);
    }
    if (segments[1] == "_search") return matched(Shape::type_search);
    if (segments[1] == "_history") return matched(Shape::type_history);
    // "$" cannot begin an id: this names an operation the type does not have.
    if (segments[1][0] == '$') {
      const bool on_instance = FindOperation(*match.type, segments[1], true) != nullptr;
      return UnknownOperation(first, segments[1], on_instance ? RunsOn::instance : RunsOn::nowhere);
    }
  }
  match.id = segments[1];
  if (!IsValidId(match.id)) return InvalidId();
  if (size == 2) return matched(Shape::instance);
  if (size == 3) {
    if (const OperationDef* op = FindOperation(*match.type, segments[2], true)) {
      match.operation = op->name;
      return matched(Shape::instance_operation);
    }
    if (segments[2][0] == '$') {
      const bool on_type = FindOperation(*match.type, segments[2], false) != nullptr;
      return UnknownOperation(first, segments[2], on_type ? RunsOn::type : RunsOn::nowhere);
    }
  }
  if (segments[2] == "_history" && size == 3) return matched(Shape::instance_history);
  if (segments[2] == "_history" && size == 4) {
    match.vid = segments[3];
    return matched(Shape::vread);
  }
  return UnknownPath();
}

const std::vector<Route>& Routes() {
  // Within a shape the rows are in the order a 405's Allow header lists the methods.
  static const std::vector<Route> kRoutes = {
      {Shape::base, "POST", {"transaction", "batch"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource, "", HandleBundleRoute},
      {Shape::metadata, "GET", {}, "", BodyCheck::none, kNoAudit, "", Action::read, "CapabilityStatement", Capabilities},
      {Shape::system_history, "GET", {"history-system"}, "", BodyCheck::none, AuditWhen::always, "history",
       Action::history, "", History},
      // The PDL log, admin only (docs/api.md section 6); reading it is itself logged.
      {Shape::audit_search, "GET", {"search-type"}, "", BodyCheck::none, AuditWhen::always, "search",
       Action::read_audit, "AuditEvent", AuditSearch},
      // Reading the Measure definitions is open to every role; evaluating is statistics and admin.
      // The reports are aggregates: no patient is named, nothing goes to the PDL log.
      {Shape::measure_type, "GET", {"search-type"}, "", BodyCheck::none, kNoAudit, "", Action::search, "Measure",
       MeasureSearch},
      {Shape::measure_instance, "GET", {"read"}, "", BodyCheck::none, kNoAudit, "", Action::read, "Measure",
       MeasureRead},
      {Shape::measure_evaluate, "GET", {"operation"}, "evaluate-measure", BodyCheck::none, kNoAudit, "",
       Action::operation, "Measure", MeasureEvaluate},
      // Every operation also takes POST with a Parameters body, meaning the same as the GET's query
      // (fhir/http/operation_parameters.h): fhir-kit-client's operation() posts.
      {Shape::measure_evaluate, "POST", {"operation"}, "evaluate-measure", BodyCheck::parameters, kNoAudit, "",
       Action::operation, "Measure", MeasureEvaluate},
      // FHIR R4 also defines it on the type, the Measure named by the `measure` parameter.
      {Shape::measure_evaluate_type, "GET", {"operation"}, "evaluate-measure", BodyCheck::none, kNoAudit, "",
       Action::operation, "Measure", MeasureEvaluate},
      {Shape::measure_evaluate_type, "POST", {"operation"}, "evaluate-measure", BodyCheck::parameters, kNoAudit, "",
       Action::operation, "Measure", MeasureEvaluate},
      // The report people read (docs/api.md sections 7 and 11): aggregates as $evaluate-measure, for the
      // same roles; logged, as a published page leaves the registry.
      {Shape::report, "GET", {"operation"}, "report", BodyCheck::none, AuditWhen::always, "operation",
       Action::operation, "", ReportPage},
      // Bulk export decides and audits itself (fhir/operations/bulk_export.cpp); the methods are the
      // table's, so that 405, OPTIONS and HEAD see them.
      {Shape::export_system, "GET", {"operation"}, "export", BodyCheck::none, kNoAudit, "", kPerResource, "", BulkExport},
      {Shape::export_system, "POST", {"operation"}, "export", BodyCheck::parameters, kNoAudit, "", kPerResource, "",
       BulkExport},
      {Shape::export_patient, "GET", {"operation"}, "export", BodyCheck::none, kNoAudit, "", kPerResource, "Patient",
       BulkExport},
      {Shape::export_patient, "POST", {"operation"}, "export", BodyCheck::parameters, kNoAudit, "", kPerResource,
       "Patient", BulkExport},
      {Shape::export_group, "GET", {"operation"}, "export", BodyCheck::none, kNoAudit, "", kPerResource, "Group",
       BulkExport},
      {Shape::export_group, "POST", {"operation"}, "export", BodyCheck::parameters, kNoAudit, "", kPerResource, "Group",
       BulkExport},
      {Shape::group_type, "GET", {"search-type"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "Group", BulkExport},
      {Shape::group_instance, "GET", {"read"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "Group", BulkExport},
      {Shape::export_status, "GET", {}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", BulkExport},
      {Shape::export_status, "DELETE", {}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", BulkExport},
      {Shape::export_file, "GET", {}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", BulkExport},
      {Shape::export_other, "*", {}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", BulkExport},
      // [type]: search, create, and the conditional update and delete PUT/DELETE [type]?criteria.
      {Shape::type, "GET", {"search-type"}, "", BodyCheck::none, kPatientData, "search", Action::search, "", Search},
      {Shape::type, "POST", {"create"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource, "", Write},
      {Shape::type, "PUT", {"update"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource, "", Write},
      {Shape::type, "DELETE", {"delete"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", Write},
      {Shape::type_search, "POST", {"search-type"}, "", BodyCheck::form, kPatientData, "search", Action::search, "",
       Search},
      {Shape::type_history, "GET", {"history-type"}, "", BodyCheck::none, kPatientData, "history", Action::history, "",
       History},
      // Patient/$fixed-contacts: what 1177 shows a citizen (docs/api.md section 5).
      {Shape::type_operation, "GET", {"operation"}, "fixed-contacts", BodyCheck::none, AuditWhen::always, "operation",
       Action::operation, "", FixedContacts},
      {Shape::type_operation, "POST", {"operation"}, "fixed-contacts", BodyCheck::parameters, AuditWhen::always,
       "operation", Action::operation, "", FixedContacts},
      {Shape::instance, "GET", {"read"}, "", BodyCheck::none, kPatientData, "read", Action::read, "", Read},
      {Shape::instance, "PUT", {"update"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource, "", Write},
      // JSON Patch only (FHIR R4 3.1.0.7.3); FHIRPath Patch (a Parameters body) is not supported.
      {Shape::instance, "PATCH", {"patch"}, "", BodyCheck::json_patch, kNoAudit, "", kPerResource, "", Write},
      {Shape::instance, "DELETE", {"delete"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "", Write},
      {Shape::instance_history, "GET", {"history-instance"}, "", BodyCheck::none, kPatientData, "history",
       Action::history, "", History},
      {Shape::vread, "GET", {"vread"}, "", BodyCheck::none, kPatientData, "vread", Action::read, "", VRead},
      // PractitionerRole/{id}/$list-status and Organization/{id}/$list-status (docs/api.md section 5).
      {Shape::instance_operation, "GET", {"operation"}, "list-status", BodyCheck::none, kNoAudit, "",
       Action::operation, "", ListStatus},
      {Shape::instance_operation, "POST", {"operation"}, "list-status", BodyCheck::parameters, kNoAudit, "",
       Action::operation, "", ListStatus},
      // Change notifications (docs/api.md section 10): the handlers decide who may subscribe and answer
      // only for a caller's own subscriptions; $events names its resources in the PDL log.
      {Shape::subscription_type, "GET", {"search-type"}, "", BodyCheck::none, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionSearchRoute},
      {Shape::subscription_type, "POST", {"create"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource, "Subscription",
       SubscriptionCreateRoute},
      {Shape::subscription_instance, "GET", {"read"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "Subscription",
       SubscriptionReadRoute},
      {Shape::subscription_instance, "PUT", {"update"}, "", BodyCheck::fhir, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionUpdateRoute},
      {Shape::subscription_instance, "DELETE", {"delete"}, "", BodyCheck::none, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionDeleteRoute},
      {Shape::subscription_operation, "GET", {"operation"}, "status", BodyCheck::none, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionStatusRoute},
      {Shape::subscription_operation, "GET", {"operation"}, "events", BodyCheck::none, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionEventsRoute},
      {Shape::subscription_operation, "POST", {"operation"}, "events", BodyCheck::none, kNoAudit, "", kPerResource,
       "Subscription", SubscriptionEventsRoute},
      // The conformance resources, read-only for every role and never patient data (docs/api.md section 3);
      // the handlers decide on the path's type, as one row serves the four.
      {Shape::conformance_type, "GET", {"search-type"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "",
       ConformanceSearch},
      {Shape::conformance_instance, "GET", {"read"}, "", BodyCheck::none, kNoAudit, "", kPerResource, "",
       ConformanceRead},
  };
  return kRoutes;
}

std::vector<const Route*> RoutesFor(const RouteMatch& match) {
  std::vector<const Route*> rows;
  for (const auto& route : Routes()) {
    if (route.shape != match.shape) continue;
    if ((match.shape == Shape::type_operation || match.shape == Shape::instance_operation ||
         match.shape == Shape::subscription_operation) &&
        match.operation != route.operation) {
      continue;
    }
    rows.push_back(&route);
  }
  return rows;
}

std::string ShapeName(const RouteMatch& match) {
  switch (match.shape) {
    case Shape::base: return "basen (the base takes transaction/batch Bundles)";
    case Shape::metadata: return "metadata";
    case Shape::system_history:
    case Shape::type_history:
    case Shape::instance_history: return "_history";
    case Shape::audit_search: return "AuditEvent";
    case Shape::measure_type: return "Measure";
    case Shape::measure_instance: return "Measure/[id]";
    case Shape::measure_evaluate:
    case Shape::measure_evaluate_type: return "$evaluate-measure";
    case Shape::type: return match.type->type;
    case Shape::type_search: return "_search";
    case Shape::instance: return match.type->type + "/[id]";
    case Shape::vread: return "vread";
    case Shape::type_operation:
    case Shape::instance_operation:
    case Shape::subscription_operation: return "$" + match.operation;
    case Shape::subscription_type: return "Subscription";
    case Shape::subscription_instance: return "Subscription/[id]";
    case Shape::report: return "$report";
    case Shape::export_system:
    case Shape::export_patient:
    case Shape::export_group: return "$export";
    case Shape::group_type: return "Group";
    case Shape::group_instance: return "Group/[id]";
    case Shape::export_status: return "$export-status";
    case Shape::export_file: return "$export-file";
    case Shape::conformance_type: return match.segments[0];
    case Shape::conformance_instance: return match.segments[0] + "/[id]";
    default: return match.segments.empty() ? "" : match.segments[0];  // export_other: bulk export answers it
  }
}

bool TakesHead(const Route& row) {
  if (std::string_view(row.method) != "GET") return false;
  // An operation's GET may do something (an export kick-off starts a job): HEAD must not.
  for (const char* interaction : row.interactions) {
    if (std::string_view(interaction) == "operation") return false;
  }
  return true;
}

std::string AllowedMethods(const std::vector<const Route*>& rows) {
  std::string allow;
  for (const Route* row : rows) {
    if (!allow.empty()) allow += ", ";
    allow += row->method;
    // HEAD is a GET without the body (FhirApi::Handle), and the dispatcher answers OPTIONS for every path.
    if (TakesHead(*row)) allow += ", HEAD";
  }
  return allow + (allow.empty() ? "" : ", ") + "OPTIONS";
}

}  // namespace nara::fhir
