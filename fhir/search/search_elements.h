// _elements (FHIR R4 3.1.1.5.9): a match reduced to the top-level elements a client asked for, plus
// resourceType, id, meta and the elements its type requires (so it stays a valid resource), marked
// with meta.tag SUBSETTED (http://terminology.hl7.org/CodeSystem/v3-ObservationValue) as the spec says.
#pragma once

#include <string>
#include <vector>

namespace nara::fhir {

// `json`: a resource as stored (valid JSON); returned unchanged when it cannot be parsed.
std::string SubsetElements(const std::string& json, const std::vector<std::string>& elements);

}  // namespace nara::fhir
