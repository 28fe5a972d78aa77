// The CapabilityStatement, generated from the route table (fhir/http/routes.h: interactions and
// operations) and the resource type definitions (fhir/resources/resource_types.h: search
// parameters), the tables that drive routing and search, so it lists exactly what works
// (docs/api.md section 1).
#pragma once

#include <string>
#include <vector>

#include "fhir/resources/resource_types.h"

namespace nara::fhir {

// What `_include` and `_revinclude` accept when searching `type` ("Source:param"), as listed in
// searchInclude and searchRevInclude: every reference parameter of the type, and every reference
// parameter of any type that can point at it.
std::vector<std::string> SearchIncludes(const ResourceTypeDef& type);
std::vector<std::string> SearchRevIncludes(const ResourceTypeDef& type);

std::string CapabilityStatementJson(const std::string& base_url, const std::string& software_version);

}  // namespace nara::fhir
