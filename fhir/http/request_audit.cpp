#include "fhir/http/request_audit.h"

#include <algorithm>
#include <unordered_set>

#include "fhir/http/access.h"

namespace nara::fhir {
namespace {

void AddUnique(std::vector<std::string>& list, const std::string& value) {
  if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

void RequestAudit::Begin(std::string act, std::string type, const std::string& id) {
  action = std::move(act);
  resource_type = std::move(type);
  AddUnique(resource_ids, id);
  if (resource_type == "Patient") AddUnique(patient_ids, id);
}

void RequestAudit::AddResource(const std::string& type, const std::string& id, const rapidjson::Value& resource) {
  AddNamed(id, PatientIdsOf(type, id, resource));
}

void RequestAudit::AddNamed(const std::string& id, const std::vector<std::string>& patients) {
  AddUnique(resource_ids, id);
  for (const auto& patient : patients) AddUnique(patient_ids, patient);
}

void RequestAudit::AddAll(const std::vector<StoredResource>& resources) {
  AddAll(ViewsOf(resources));
}

void RequestAudit::AddAll(const std::vector<const StoredResource*>& resources) {
  // A search page names up to a thousand resources: AddUnique's linear look-up made that ~n²/2 id
  // comparisons (a third of the server's CPU for a 1000-entry page). Same order, same lists.
  std::unordered_set<std::string> seen_resources(resource_ids.begin(), resource_ids.end());
  std::unordered_set<std::string> seen_patients(patient_ids.begin(), patient_ids.end());
  auto add = [](std::vector<std::string>& list, std::unordered_set<std::string>& seen, const std::string& value) {
    if (!value.empty() && seen.insert(value).second) list.push_back(value);
  };
  for (const auto* view : resources) {
    const StoredResource& resource = *view;
    add(resource_ids, seen_resources, resource.id);
    for (const auto& patient : PatientIdsOfStored(resource)) add(patient_ids, seen_patients, patient);
  }
}

AuditRecord AuditRecordFor(const HttpRequest& request, const RequestAudit& audit, int http_status) {
  AuditRecord record;
  record.request_id = request.request_id;
  record.agent_hsa_id = request.caller.hsa_id;
  record.agent_role = request.caller.role;
  record.agent_name = request.caller.name.empty() ? request.caller.common_name : request.caller.name;
  record.agent_organizations = request.caller.organizations;
  record.action = audit.action;
  record.resource_type = audit.resource_type;
  record.resource_ids = audit.resource_ids;
  record.patient_ids = audit.patient_ids;
  // On whose behalf (what the patient's log extract shows): the unit the caller acts for.
  record.unit = request.caller.organizations.empty() ? std::string() : request.caller.organizations.front();
  record.outcome = http_status < 400 ? "success" : (http_status == 401 || http_status == 403) ? "refused" : "failed";
  record.http_status = http_status;
  record.detail = audit.detail.empty() ? request.method + " " + audit.resource_type : audit.detail;
  return record;
}

}  // namespace nara::fhir
