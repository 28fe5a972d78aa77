// Encounter (docs/api.md section 11): the facts the continuity measures count, read from a resource
// that passed PrepareResource (fhir/resources/registry_resources.cpp checks its shape and refuses a
// diagnosis or reason), and the identity that makes a repeated delivery of one visit a no-op.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "registry/continuity.h"
#include "registry/result.h"
#include "registry/search_query.h"

namespace nara::fhir {

// subject, serviceProvider, the primary performer (the participant whose type has PPRF; without
// one, a sole participant is taken as it), class, status, the date part of period.start.
Result<VisitFacts> VisitFromEncounter(const rapidjson::Value& encounter, const std::string& id);

// The search that finds an Encounter already delivered with the same identifier (its first: the
// journal system and contact id). A create of an Encounter without If-None-Exist is conditional on
// it, so the journal may resend a visit (after a timeout, a replayed queue) and get the one stored
// back with 200 instead of a second visit that would count twice. nullopt without an identifier.
std::optional<SearchQuery> EncounterIdentity(const rapidjson::Value& encounter);

}  // namespace nara::fhir
