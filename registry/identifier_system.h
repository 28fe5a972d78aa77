// Identifier systems of docs/api.md section 2 (HL7 Sweden base profiles): the canonical system URIs,
// the aliases accepted on input, and the value rule each system imposes.
//
// Invariant: every alias maps to exactly one canonical system, and outputs only ever use the
// canonical one. The functions below take canonical systems but also normalise an alias first,
// so a caller that forgot to call CanonicalSystem still gets the right rule.
#pragma once

#include <string>
#include <string_view>

#include "registry/result.h"

namespace nara {
namespace systems {

inline constexpr const char* kPersonnummer = "http://electronichealth.se/identifier/personnummer";
inline constexpr const char* kSamordningsnummer = "http://electronichealth.se/identifier/samordningsnummer";
inline constexpr const char* kReservnummer = "http://electronichealth.se/identifier/nationelltReservnummer";
inline constexpr const char* kHsaId = "urn:oid:1.2.752.29.4.19";

}  // namespace systems

// The canonical system for an accepted alias (exact match); any other system unchanged.
std::string CanonicalSystem(std::string_view system);

// Checks a value against its system's rule: PersonId::Parse for personnummer and
// samordningsnummer (the kind must match the system), HsaId::Parse for HSA-id, 1–20 characters
// [A-Za-z0-9] for nationellt reservnummer (regional formats differ; there is no check digit).
// Other systems are not ours to judge: Ok. Errors are Error::Invalid("value", ...) without the value.
Status ValidateIdentifier(std::string_view canonical_system, std::string_view value);

// Whether an identifier of this system belongs to at most one live resource of the type (docs/api.md
// section 2): a Patient's personnummer or samordningsnummer, an Organization's or a Practitioner's
// HSA-id (one object of the directory). Claimed across types, so only where no other type may
// legitimately hold the same value: a doctor who is also a patient has one personnummer on both.
bool IsUniqueIdentifierOf(std::string_view resource_type, std::string_view canonical_system);

// The text of the 409 for an identifier another live resource holds (`holder`: "Type/id"), Swedish
// first: what every store answers when a claim finds the identifier taken.
std::string IdentifierTakenText(std::string_view canonical_system, std::string_view holder);

// A short label for messages: "personnummer", "samordningsnummer", "nationellt reservnummer",
// "HSA-id"; "identifier" for any other system.
std::string SystemLabel(std::string_view canonical_system);

}  // namespace nara
