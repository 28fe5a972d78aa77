// The CapabilityStatement, generated from the same type table that drives routing and search, so it
// lists exactly what works (API.md section 1).
#pragma once

#include <string>

namespace nara::fhir {

std::string CapabilityStatementJson(const std::string& base_url, const std::string& software_version);

}  // namespace nara::fhir
