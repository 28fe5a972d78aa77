// The registry's own resources (docs/api.md §3), checked after the checks common to every type
// (fhir/resources/resource_mapper.h). Implemented in fhir/resources/registry_resources.cpp.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "registry/resource_store.h"
#include "registry/result.h"

namespace nara::fhir {

// The registry's own rules on a resource that passed the common checks, called by PrepareResource:
// EpisodeOfCare, CareTeam, DocumentReference: structure, codes (docs/api.md §3) and search index;
// PractitionerRole: fte and list-capacity extensions; Organization: municipality and serves-saebo
// extensions (serves-saebo indexed); Patient: a client-supplied generalPractitioner (derived) is
// removed with a warning. Errors: Error::Invalid("structure" | "required" | "value", text, FHIRPath).
Status CheckRegistryResource(rapidjson::Document& doc, const std::string& type, IndexEntries& index,
                             std::vector<Issue>& warnings);

}  // namespace nara::fhir
