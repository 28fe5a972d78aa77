#include "fhir/resources/encounter_resource.h"

#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "registry/code_systems.h"

namespace nara::fhir {

using rapidjson::Value;

Result<VisitFacts> VisitFromEncounter(const rapidjson::Value& encounter, const std::string& id) {
  VisitFacts facts;
  facts.id = id;
  const Value* subject = Member(encounter, "subject");
  facts.patient_id = subject == nullptr ? "" : ReferenceId(*subject, "Patient");
  if (facts.patient_id.empty()) {
    return Error::Invalid("required", "subject måste vara en referens till Patient (subject must reference a Patient)",
                          "Encounter.subject");
  }
  const Value* provider = Member(encounter, "serviceProvider");
  facts.unit_id = provider == nullptr ? "" : ReferenceId(*provider, "Organization");
  if (facts.unit_id.empty()) {
    return Error::Invalid("required",
                          "serviceProvider måste vara en referens till Organization (must reference an Organization)",
                          "Encounter.serviceProvider");
  }
  if (const Value* participants = Member(encounter, "participant"); participants && participants->IsArray()) {
    for (const auto& p : participants->GetArray()) {
      const Value* type = Member(p, "type");
      const Value* individual = Member(p, "individual");
      if (type && individual && HasCoding(*type, nr::kParticipationTypeSystem, "PPRF")) {
        facts.practitioner_role_id = ReferenceId(*individual, "PractitionerRole");
      }
    }
    if (facts.practitioner_role_id.empty() && participants->Size() == 1) {
      if (const Value* individual = Member((*participants)[0], "individual")) {
        facts.practitioner_role_id = ReferenceId(*individual, "PractitionerRole");
      }
    }
  }
  const Value* visit_class = Member(encounter, "class");
  const auto parsed_class = VisitClassFromName(visit_class ? StringMember(*visit_class, "code") : "");
  if (!parsed_class) {
    return Error::Invalid("value", "class måste vara AMB, VR eller HH (class must be AMB, VR or HH)", "Encounter.class");
  }
  facts.visit_class = *parsed_class;
  facts.status = StringMember(encounter, "status");
  const Value* period = Member(encounter, "period");
  const Value* start = period ? Member(*period, "start") : nullptr;
  if (start == nullptr || !start->IsString()) {
    return Error::Invalid("required", "period.start saknas (period.start is required)", "Encounter.period.start");
  }
  auto date = Date::Parse(start->GetString());
  if (!date) return Error::Invalid("value", date.error().text, "Encounter.period.start");
  facts.date = *date;
  return facts;
}

std::optional<SearchQuery> EncounterIdentity(const rapidjson::Value& encounter) {
  const Value* identifiers = Member(encounter, "identifier");
  if (identifiers == nullptr || !identifiers->IsArray() || identifiers->Empty()) return std::nullopt;
  const Value& first = (*identifiers)[0];
  const std::string system = StringMember(first, "system"), value = StringMember(first, "value");
  if (system.empty() || value.empty()) return std::nullopt;
  // Two rows are enough to tell one from many (MatchOne, fhir/http/router_writes.cpp).
  return IdentifierSearch("Encounter", system, value, 2);
}

}  // namespace nara::fhir
