#include "fhir/conformance/capability.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fhir/conformance/definitions.h"
#include "fhir/http/routes.h"
#include "fhir/resources/subscription_resource.h"
#include "registry/subscription.h"
#include "fhir/resources/resource_types.h"

namespace nara::fhir {
namespace {

const char* TypeName(ParamType type) {
  switch (type) {
    case ParamType::token: return "token";
    case ParamType::string: return "string";
    case ParamType::reference: return "reference";
    case ParamType::date: return "date";
  }
  return "token";
}

template <typename W>
void Code(W& w, const char* key, const char* value) {
  w.StartObject();
  w.Key(key);
  w.String(value);
  w.EndObject();
}

bool HasMethod(std::string_view method) {
  for (const auto& route : Routes()) {
    if (route.method == method) return true;
  }
  return false;
}

bool HasRow(Shape shape) {
  for (const auto& route : Routes()) {
    if (route.shape == shape) return true;
  }
  return false;
}

// An operation of the type's definition is served if a row of its level names it.
bool Served(const OperationDef& op) {
  const Shape shape = op.instance ? Shape::instance_operation : Shape::type_operation;
  for (const auto& route : Routes()) {
    if (route.shape == shape && op.name == route.operation) return true;
  }
  return false;
}

// searchParam for the types served outside the resource type table (AuditEvent, Measure, Subscription,
// the conformance resources): name, type and documentation of each.
struct FixedParam {
  const char* name;
  const char* type;
  const char* documentation;
};

template <typename W>
void SearchParams(W& w, std::initializer_list<FixedParam> params) {
  w.Key("searchParam");
  w.StartArray();
  for (const auto& param : params) {
    w.StartObject();
    w.Key("name"); w.String(param.name);
    w.Key("type"); w.String(param.type);
    w.Key("documentation"); w.String(param.documentation);
    w.EndObject();
  }
  w.EndArray();
}

// The Bulk Data 2.0 operations (fhir/operations/bulk_export.h), where a row of the route table serves them.
template <typename W>
void BulkExportOperation(W& w, Shape shape, const char* name, const char* documentation) {
  if (!HasRow(shape)) return;
  const std::string definition = std::string("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/") + name;
  w.StartObject();
  w.Key("name"); w.String("export");
  w.Key("definition"); w.String(definition.c_str());
  w.Key("documentation"); w.String(documentation);
  w.EndObject();
}

// The interactions the route rows of `shapes` serve, in the order of FHIR's value sets.
template <typename W>
void Interactions(W& w, std::initializer_list<Shape> shapes) {
  static const char* const kOrder[] = {"read", "vread", "update", "patch", "delete", "history-instance",
                                       "history-type", "create", "search-type", "transaction", "batch",
                                       "search-system", "history-system"};
  w.Key("interaction");
  w.StartArray();
  for (const char* code : kOrder) {
    bool served = false;
    for (const auto& route : Routes()) {
      if (std::find(shapes.begin(), shapes.end(), route.shape) == shapes.end()) continue;
      for (const char* interaction : route.interactions) served = served || std::string_view(interaction) == code;
    }
    if (served) Code(w, "code", code);
  }
  w.EndArray();
}

}  // namespace

std::vector<std::string> SearchIncludes(const ResourceTypeDef& type) {
  std::vector<std::string> out;
  for (const auto& param : type.search_params) {
    if (param.kind == SearchKind::reference) out.push_back(type.type + ":" + param.name);
  }
  return out;
}

std::vector<std::string> SearchRevIncludes(const ResourceTypeDef& type) {
  std::vector<std::string> out;
  for (const auto& source : SupportedTypes()) {
    for (const auto& param : source.search_params) {
      if (param.kind != SearchKind::reference) continue;
      if (param.target_type.empty() || param.target_type == type.type) out.push_back(source.type + ":" + param.name);
    }
  }
  return out;
}

std::string CapabilityStatementJson(const std::string& base_url, const std::string& software_version) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("resourceType"); w.String("CapabilityStatement");
  w.Key("status"); w.String("active");
  w.Key("date"); w.String("2026-11-23");
  w.Key("publisher"); w.String("Nära Registry");
  w.Key("kind"); w.String("instance");
  w.Key("instantiates");
  w.StartArray(); w.String("http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"); w.EndArray();
  w.Key("software");
  w.StartObject();
  w.Key("name"); w.String("Nära Registry");
  w.Key("version"); w.String(software_version.c_str());
  w.EndObject();
  w.Key("implementation");
  w.StartObject();
  w.Key("description"); w.String("Nära Registry: the population registry of fixed contacts (fast läkarkontakt, fast vårdkontakt)");
  w.Key("url"); w.String(base_url.c_str());
  w.EndObject();
  w.Key("fhirVersion"); w.String("4.0.1");
  w.Key("format"); w.StartArray(); w.String("application/fhir+json"); w.String("json"); w.EndArray();
  if (HasMethod("PATCH")) {  // JSON Patch only (fhir/http/routes.cpp)
    w.Key("patchFormat"); w.StartArray(); w.String("application/json-patch+json"); w.EndArray();
  }
  w.Key("rest");
  w.StartArray();
  w.StartObject();
  w.Key("mode"); w.String("server");
  w.Key("security");
  w.StartObject();
  w.Key("description");
  w.String("Mutual TLS: a client certificate from the configured SITHS-style CA is required; the caller is the "
           "HSA-id in the certificate subject serialNumber.");
  w.EndObject();
  w.Key("resource");
  w.StartArray();
  for (const auto& type : SupportedTypes()) {
    w.StartObject();
    w.Key("type"); w.String(type.type.c_str());
    w.Key("documentation"); w.String(type.documentation.c_str());
    Interactions(w, {Shape::type, Shape::type_search, Shape::type_history, Shape::instance, Shape::instance_history,
                     Shape::vread});
    w.Key("versioning"); w.String("versioned-update");
    w.Key("readHistory"); w.Bool(true);
    w.Key("updateCreate"); w.Bool(true);
    w.Key("conditionalCreate"); w.Bool(true);
    w.Key("conditionalRead"); w.String("full-support");  // If-None-Match and If-Modified-Since
    w.Key("conditionalUpdate"); w.Bool(true);
    w.Key("conditionalDelete"); w.String("single");
    w.Key("searchParam");
    w.StartArray();
    for (const auto& param : type.search_params) {
      w.StartObject();
      w.Key("name"); w.String(param.name.c_str());
      w.Key("type"); w.String(TypeName(param.type));
      std::string documentation = param.documentation;
      if (param.kind == SearchKind::reference && param.name != "has-free-capacity") {
        documentation += param.target_type.empty()
                             ? "; chainable one level with the target type named: " + param.name + ":Type.param"
                             : "; chainable one level: " + param.name + ".param";
      }
      // The registry's own parameters point at their SearchParameter, served here (FHIR's own need none).
      const std::string definition = SearchParameterCanonical(type.type, param.name);
      if (!definition.empty()) {
        w.Key("definition"); w.String(definition.c_str());
      }
      w.Key("documentation"); w.String(documentation.c_str());
      w.EndObject();
    }
    w.EndArray();
    // _include/_revinclude work over every reference parameter (fhir/search/search_params.cpp AddInclude).
    // FHIR JSON has no empty arrays: a type without any is left without the element.
    for (const auto& [key, includes] : {std::pair<const char*, std::vector<std::string>>{"searchInclude", SearchIncludes(type)},
                                        {"searchRevInclude", SearchRevIncludes(type)}}) {
      if (includes.empty()) continue;
      w.Key(key);
      w.StartArray();
      for (const auto& include : includes) w.String(include.c_str());
      w.EndArray();
    }
    const bool patient_export = type.type == "Patient" && HasRow(Shape::export_patient);  // Patient/$export
    const bool any_operation = std::any_of(type.operations.begin(), type.operations.end(), Served);
    if (any_operation || patient_export) {
      w.Key("operation");
      w.StartArray();
      if (patient_export) {
        BulkExportOperation(w, Shape::export_patient, "patient-export",
                            "GET Patient/$export: every patient's Patient, EpisodeOfCare, CareTeam, "
                            "DocumentReference and Encounter as NDJSON (_type, _since); statistics and admin only");
      }
      for (const auto& op : type.operations) {
        if (!Served(op)) continue;
        w.StartObject();
        w.Key("name"); w.String(op.name.c_str());
        const std::string definition = std::string(kNrBase) + "/OperationDefinition/" + type.type + "-" + op.name;
        w.Key("definition"); w.String(definition.c_str());
        w.Key("documentation"); w.String(op.documentation.c_str());
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  // The audit log: searchable by admin only, never written through the API (docs/api.md section 6).
  w.StartObject();
  w.Key("type"); w.String("AuditEvent");
  w.Key("documentation"); w.String("The Patientdatalagen access log, written by the server; admin only");
  Interactions(w, {Shape::audit_search});
  SearchParams(w, {{"patient", "reference", "Patient whose data was accessed"},
                   {"agent", "token", "HSA-id of the caller"},
                   {"date", "date", "When (ge/gt/le/lt/eq)"}});
  w.EndObject();
  // The five fixed Measures, read-only, with $evaluate-measure (docs/api.md section 5).
  w.StartObject();
  w.Key("type"); w.String("Measure");
  w.Key("documentation");
  w.String("The indicators of Socialstyrelsen (fixed ids, read-only); $evaluate-measure for statistics and admin");
  Interactions(w, {Shape::measure_type, Shape::measure_instance});
  SearchParams(w, {{"_id", "token", "The Measure id"}});
  if (HasRow(Shape::measure_evaluate)) {
    w.Key("operation");
    w.StartArray();
    w.StartObject();
    w.Key("name"); w.String("evaluate-measure");
    w.Key("definition"); w.String("http://hl7.org/fhir/OperationDefinition/Measure-evaluate-measure");
    w.Key("documentation");
    w.String("GET Measure/[id]/$evaluate-measure?periodEnd=YYYY-MM-DD[&subject=Organization/X], or "
             "Measure/$evaluate-measure with measure=[id or url]: a summary MeasureReport as of periodEnd, "
             "stratified; statistics and admin only");
    w.EndObject();
    w.EndArray();
  }
  w.EndObject();
  // Change notifications (docs/api.md section 10): the Backport IG's Subscription, with the topics as its
  // capabilitystatement-subscriptiontopic-canonical extensions (R4 has no SubscriptionTopic).
  if (HasRow(Shape::subscription_type)) {
    w.StartObject();
    w.Key("extension");
    w.StartArray();
    for (Topic topic : AllTopics()) {
      w.StartObject();
      w.Key("url"); w.String((std::string(backport::kBase) + "capabilitystatement-subscriptiontopic-canonical").c_str());
      w.Key("valueCanonical"); w.String(TopicUrl(topic).c_str());
      w.EndObject();
    }
    w.EndArray();
    w.Key("type"); w.String("Subscription");
    w.Key("profile"); w.String(backport::kSubscriptionProfile);
    w.Key("documentation");
    w.String("Change notifications: criteria = a topic of the extensions, backport-filter-criteria "
             "managing-organization and patient, rest-hook over mutual TLS to allowlisted https endpoints; ehr, "
             "municipality and admin, each seeing its own");
    Interactions(w, {Shape::subscription_type, Shape::subscription_instance});
    SearchParams(w, {{"status", "token", "requested | active | error | off"}});
    w.Key("operation");
    w.StartArray();
    for (const auto& [name, documentation] :
         {std::pair<const char*, const char*>{"status", "GET Subscription/[id]/$status: the status Parameters"},
          {"events", "GET Subscription/[id]/$events?eventsSinceNumber=&eventsUntilNumber=&content=: past events "
                     "again, for catch-up"}}) {
      bool served = false;
      for (const auto& route : Routes()) {
        served = served || (route.shape == Shape::subscription_operation && std::string_view(route.operation) == name);
      }
      if (!served) continue;
      w.StartObject();
      w.Key("name"); w.String(name);
      const std::string definition =
          std::string("http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-") + name;
      w.Key("definition"); w.String(definition.c_str());
      w.Key("documentation"); w.String(documentation);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  // Bulk export: the virtual Groups (listed-<vårdcentral>, saebo-<kommun>) and Group/$export.
  w.StartObject();
  w.Key("type"); w.String("Group");
  w.Key("documentation");
  w.String("Virtual, read-only groups for bulk export: listed-<Organization id> (patients listed at a vårdcentral "
           "today), saebo-<Organization id> (residents of a kommun's SÄBO units today); statistics and admin only");
  Interactions(w, {Shape::group_type, Shape::group_instance});
  w.Key("operation");
  w.StartArray();
  BulkExportOperation(w, Shape::export_group, "group-export",
                      "GET Group/[id]/$export: the group's patients and their EpisodeOfCare, CareTeam, "
                      "DocumentReference and Encounter as NDJSON (_type, _since)");
  w.EndArray();
  w.EndObject();
  // The conformance resources the pointers above name, generated from the same tables
  // (fhir/conformance/definitions.h): read and search by url or _id, for every role.
  if (HasRow(Shape::conformance_type)) {
    for (const auto& type : ConformanceTypes()) {
      w.StartObject();
      w.Key("type"); w.String(type.c_str());
      w.Key("documentation");
      w.String("Read-only, generated from the server's own tables; search by url or _id");
      Interactions(w, {Shape::conformance_type, Shape::conformance_instance});
      SearchParams(w, {{"_id", "token", "Logical id"}, {"url", "uri", "The canonical URL"}});
      w.EndObject();
    }
  }
  w.EndArray();
  Interactions(w, {Shape::base, Shape::system_history});
  w.Key("operation");
  w.StartArray();
  BulkExportOperation(w, Shape::export_system, "export",
                      "GET [base]/$export: every registry resource as NDJSON, one file per type, from one snapshot "
                      "(_type, _since, _outputFormat=application/fhir+ndjson); async: 202 + Content-Location "
                      "[base]/$export-status/[job]; statistics and admin only");
  if (HasRow(Shape::report)) {
    const std::string definition = std::string(kNrBase) + "/OperationDefinition/report";
    w.StartObject();
    w.Key("name"); w.String("report");
    w.Key("definition"); w.String(definition.c_str());
    w.Key("documentation");
    w.String("GET [base]/$report?periodEnd=YYYY-MM-DD[&subject=Organization/X][&_format=csv]: the report people "
             "read, every measure with its 24-month trend, as HTML (or CSV for Excel); small numbers shown as <5; "
             "statistics and admin only");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace nara::fhir
