// RequestAudit: what one request did to patient data, collected while it is handled, and turned
// into the AuditRecord the log keeps (registry/audit.h). `recorded` is set when a write appended the
// record in its own transaction; otherwise FhirApi::Handle appends it after the response is known.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "fhir/http/http.h"
#include "registry/audit.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct RequestAudit {
  std::string action;  // "" = the request touched no patient data: nothing to log
  std::string resource_type;
  std::vector<std::string> resource_ids;
  std::vector<std::string> patient_ids;
  std::string detail;  // "" = "METHOD type"; an operation may name what it did (e.g. the $export job)
  bool recorded = false;

  void Begin(std::string act, std::string type, const std::string& id);
  void AddResource(const std::string& type, const std::string& id, const rapidjson::Value& resource);
  void AddNamed(const std::string& id, const std::vector<std::string>& patients);  // a resource and its patients
  void AddAll(const std::vector<StoredResource>& resources);  // parses each to find its patient
  void AddAll(const std::vector<const StoredResource*>& resources);
};

AuditRecord AuditRecordFor(const HttpRequest& request, const RequestAudit& audit, int http_status);

}  // namespace nara::fhir
