// The audit log (Patientdatalagen 4 kap. 3 §, HSLF-FS 2016:40 4 kap. 9–10 §; docs/api.md section 6):
// every request that reads or writes patient data appends one AuditRecord — who, what, on behalf of
// which unit, when, outcome — and refused requests are audited too. A write appends its record in
// the write's own transaction (ResourceTransaction::AppendAudit); a read or a refusal in a
// transaction of its own (ResourceStore::AppendAudit). Records are never changed or removed: the
// server's database role may only INSERT and SELECT them (schema/0004_audit.sql).
//
// Invariants: patient_ids are Patient resource ids, never a personnummer; detail never contains a
// personnummer (the PostgreSQL adapter masks one that slips in); action and outcome take only the
// values listed below (the adapter refuses others as invalid).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nara {

// The resource types that hold patient data (docs/api.md section 6): reading or searching them is audited, and
// the access policy restricts who may. Conformance and directory resources (Organization, Practitioner,
// PractitionerRole) are not patient data.
inline bool IsPatientData(std::string_view resource_type) {
  return resource_type == "Patient" || resource_type == "EpisodeOfCare" || resource_type == "CareTeam" ||
         resource_type == "DocumentReference" || resource_type == "Task" ||  // Task: a place in a waiting list
         resource_type == "Encounter";  // a visit (docs/api.md section 11)
}

struct AuditRecord {
  std::string request_id;    // the id in the server's log line for this request
  std::string agent_hsa_id;  // the caller's HSA-id; "" only when the certificate named none
  std::string agent_role;    // ehr | municipality | statistics | citizen-portal | admin ("" if unknown)
  std::string agent_name;
  std::vector<std::string> agent_organizations;  // HSA-ids of the units the caller acts for
  std::string action;  // read | vread | search | create | update | delete | history | operation
  std::string resource_type;
  std::vector<std::string> resource_ids;  // logical ids of resource_type touched or returned
  std::vector<std::string> patient_ids;   // Patient ids whose data was touched
  // The unit the access is made on behalf of: the caller's first organization or the target's unit;
  // may be "". With the time, this is what the patient's log extract shows (`nara audit-extract`).
  std::string unit;
  std::string outcome;  // success | refused | failed
  int http_status = 0;
  std::string detail;   // short free text for the administrator
};

// GET AuditEvent?patient=&agent=&date= (admin only), and the patient's log extract. Empty strings
// match everything.
struct AuditQuery {
  std::string patient_id;    // a Patient id: records whose patient_ids contain it
  std::string agent_hsa_id;  // records made by this caller
  std::optional<std::string> from, to;  // RFC 3339; recorded in [from, to)
  int count = 50;   // page size; 0 = none (a count only)
  int offset = 0;
};

struct StoredAudit {
  long id = 0;           // the row's bigserial: increasing in insertion order
  std::string recorded;  // RFC 3339 UTC with milliseconds, e.g. 2026-11-23T10:00:00.123Z
  AuditRecord record;
};

}  // namespace nara
