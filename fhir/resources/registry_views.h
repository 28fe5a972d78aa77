// Read-side views of the registry: the derived Patient.generalPractitioner and the operations
// $list-status (PractitionerRole, Organization) and Patient/$fixed-contacts (docs/api.md section 5).
#pragma once

#include <string>

#include "fhir/http/http.h"
#include "registry/resource_store.h"

namespace nara::fhir {

// The stored Patient JSON with generalPractitioner derived as of `on`: [listing unit Organization,
// fast läkarkontakt PractitionerRole], either absent when there is none (docs/api.md section 3).
std::string PatientWithGeneralPractitioner(RegistryTransaction& reg, const StoredResource& patient, Date on);

// Parameters: capacity, listed, free.
Result<std::string> RoleListStatus(ResourceTransaction& tx, const std::string& role_id, Date on);
// Parameters: listed, doctor-fte, listed-per-doctor-fte, target (1100).
Result<std::string> UnitListStatus(ResourceTransaction& tx, const std::string& unit_id, Date on);
// Bundle (collection): the patient, active listing with its unit, fast läkarkontakt and fast
// vårdkontakter with their roles and practitioners, and the current Patientkontrakt references.
Result<std::string> FixedContactsBundle(ResourceTransaction& tx, const std::string& patient_id,
                                        const std::string& base_url, Date on);

}  // namespace nara::fhir
