// The conformance resources this server serves read-only (docs/api.md section 3, "Conformance resources"):
// OperationDefinition, SearchParameter, CodeSystem and StructureDefinition. They are generated in code from
// the tables that already drive the server — the route table (fhir/http/routes.h), the resource types with
// their search parameters and operations (fhir/resources/resource_types.h) and the URIs of
// registry/code_systems.h — so that what they say is what the server does. No database is involved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nara::fhir {

struct ConformanceResource {
  std::string type;  // OperationDefinition, SearchParameter, CodeSystem, StructureDefinition
  std::string id;
  std::string url;   // the canonical the CapabilityStatement and the resources point at
  std::string json;  // the resource, FHIR R4 JSON
};

// Every served conformance resource, built once.
const std::vector<ConformanceResource>& ConformanceResources();
// The types above, in that order.
const std::vector<std::string>& ConformanceTypes();
bool IsConformanceType(std::string_view type);

// The canonical of a search parameter this registry defines beyond FHIR R4's own, or "" for one FHIR
// defines (whose definition is FHIR's: the CapabilityStatement leaves it out).
std::string SearchParameterCanonical(const std::string& type, const std::string& name);

}  // namespace nara::fhir
