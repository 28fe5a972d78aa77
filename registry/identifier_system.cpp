#include "registry/identifier_system.h"

#include <algorithm>

#include "registry/hsa_id.h"
#include "registry/personnummer.h"

namespace nara {
namespace {

struct Alias {
  std::string_view alias;
  const char* canonical;
};

// docs/api.md section 2. "nationelltReservnumer" (one n) is a spelling found in deployed systems.
constexpr Alias kAliases[] = {
    {"urn:oid:1.2.752.129.2.1.3.1", systems::kPersonnummer},
    {"urn:oid:1.2.752.129.2.1.3.3", systems::kSamordningsnummer},
    {"urn:oid:1.2.752.74.9.1", systems::kReservnummer},
    {"http://electronichealth.se/identifier/nationelltReservnumer", systems::kReservnummer},
    {"urn:oid:1.2.752.129.2.1.4.1", systems::kHsaId},
    {"urn:oid:1.2.752.29.6.2.1", systems::kHsaId},
};

constexpr size_t kMaxReservnummer = 20;

bool IsAsciiAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

template <typename T>
Status Discard(const Result<T>& parsed) {
  if (!parsed) return parsed.error();
  return Ok();
}

}  // namespace

std::string CanonicalSystem(std::string_view system) {
  for (const Alias& a : kAliases) {
    if (a.alias == system) return a.canonical;
  }
  return std::string(system);
}

Status ValidateIdentifier(std::string_view canonical_system, std::string_view value) {
  const std::string system = CanonicalSystem(canonical_system);
  if (system == systems::kPersonnummer) {
    return Discard(PersonId::Parse(value, PersonIdKind::personnummer));
  }
  if (system == systems::kSamordningsnummer) {
    return Discard(PersonId::Parse(value, PersonIdKind::samordningsnummer));
  }
  if (system == systems::kHsaId) return Discard(HsaId::Parse(value));
  if (system == systems::kReservnummer) {
    if (value.empty() || value.size() > kMaxReservnummer ||
        !std::all_of(value.begin(), value.end(), IsAsciiAlnum)) {
      return Error::Invalid("value", "nationellt reservnummer ska vara 1–20 bokstäver A–Z, a–z eller siffror (nationellt reservnummer must "
                            "be 1–20 letters A–Z, a–z or digits)");
    }
  }
  return Ok();
}

bool IsUniqueIdentifierOf(std::string_view resource_type, std::string_view canonical_system) {
  const std::string system = CanonicalSystem(canonical_system);
  if (resource_type == "Patient") return system == systems::kPersonnummer || system == systems::kSamordningsnummer;
  if (resource_type == "Organization" || resource_type == "Practitioner") return system == systems::kHsaId;
  return false;
}

std::string IdentifierTakenText(std::string_view canonical_system, std::string_view holder) {
  const std::string system(canonical_system), who(holder);
  return "identifieraren (" + system + ") tillhör redan " + who + " (the identifier already belongs to " + who + ")";
}

std::string SystemLabel(std::string_view canonical_system) {
  const std::string system = CanonicalSystem(canonical_system);
  if (system == systems::kPersonnummer) return "personnummer";
  if (system == systems::kSamordningsnummer) return "samordningsnummer";
  if (system == systems::kReservnummer) return "nationellt reservnummer";
  if (system == systems::kHsaId) return "HSA-id";
  return "identifier";
}

}  // namespace nara
