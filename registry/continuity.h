// Continuity of care (docs/api.md section 11): the visits the journals report (Encounter), as the
// registry keeps them (schema/0010_continuity_visits.sql), and the continuity indices over one
// patient's visits. Plain C++17 (docs/architecture.md); the adapter computing them over the whole
// registry in SQL is pg/pg_measures.*, and these functions are the reference it is tested against.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/date.h"

namespace nara {

// Encounter.class (http://terminology.hl7.org/CodeSystem/v3-ActCode): mottagningsbesök, digital
// (virtual) and hembesök.
enum class VisitClass { AMB, VR, HH };
const char* VisitClassName(VisitClass c);
std::optional<VisitClass> VisitClassFromName(std::string_view name);

// One Encounter. Only a finished one counts (Encounter.status; entered-in-error and the rest do not).
struct VisitFacts {
  std::string id;
  std::string patient_id;
  std::string unit_id;               // serviceProvider
  std::string practitioner_role_id;  // the primary performer (participant type PPRF); "" = none named
  VisitClass visit_class = VisitClass::AMB;
  std::string status;                // Encounter.status as written
  Date date;                         // the date part of period.start
  bool Counts() const { return status == "finished"; }
};

// The indices over one patient's counted visits, each visit named by its provider (a
// PractitionerRole id; the caller decides which visits and providers count). N = visits,
// nᵢ = visits with provider i. nullopt when undefined (COC needs N >= 2, UPC N >= 1).
// Bice–Boxerman continuity of care: (Σnᵢ² − N) / (N(N − 1)).
std::optional<double> BiceBoxermanCoc(const std::vector<std::string>& providers);
// Usual provider of care: max nᵢ / N.
std::optional<double> UsualProviderOfCare(const std::vector<std::string>& providers);

}  // namespace nara
