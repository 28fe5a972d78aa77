// Access at the FHIR layer: what a request touches, in the terms of the access policy (auth/) and
// the audit log (registry/audit.h). The policy decides on a Target: the resource type, and for a
// registry resource the chain of units above its managing unit (partOf), so that an EHR acting for a
// region may write listings at the region's vårdcentraler and a municipality at its own SÄBO units.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "auth/access_policy.h"
#include "registry/audit.h"  // IsPatientData
#include "registry/resource_store.h"

namespace nara::fhir {

// The policy target of a stored or proposed resource (resource may be null: type level only).
auth::Target TargetOf(RegistryTransaction& reg, const std::string& type, const rapidjson::Value* resource);

// Patient ids a resource concerns: its own id for a Patient, else patient/subject.
std::vector<std::string> PatientIdsOf(const std::string& type, const std::string& id, const rapidjson::Value& resource);
// The same for stored text (written, and so validated, by the server): a Patient's own id without
// reading its text; none for a tombstone or text that does not parse.
std::vector<std::string> PatientIdsOfStored(const StoredResource& resource);

// One of the caller's organizations is the unit (an Organization id) or above it in its partOf chain.
bool CoversUnit(RegistryTransaction& reg, const Caller& caller, const std::string& unit_id);

// A municipality reads "its residents" (docs/api.md section 6): patients whose address is in one of its
// kommuner, or who live in a SÄBO of one of them.
bool IsResidentOf(ResourceTransaction& tx, const Caller& caller, const std::string& patient_id);

// The kommunkoder of the units a caller acts for (its organizations, found by HSA-id), each once.
std::vector<std::string> CallerKommuner(ResourceTransaction& tx, const Caller& caller);

// An Error of kind forbidden with the policy's reason, for a 403 OperationOutcome.
Error Forbidden(const auth::Decision& decision);

}  // namespace nara::fhir
