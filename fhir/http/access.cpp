#include "fhir/http/access.h"

#include <algorithm>
#include <set>

#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/identifier_system.h"

namespace nara::fhir {
namespace {

// Bound on partOf chains: a cycle written by mistake must not hang a request.
constexpr int kMaxChainDepth = 12;

std::string ReferencedId(const rapidjson::Value& resource, const char* element, const char* want_type) {
  if (!resource.IsObject() || !resource.HasMember(element)) return {};
  const rapidjson::Value* value = &resource[element];
  if (value->IsArray()) {
    if (value->Empty()) return {};
    value = &(*value)[0];
  }
  std::string type, id;
  if (!ParseReference(StringMember(*value, "reference"), type, id) || type != want_type) return {};
  return id;
}

// The unit's HSA-id followed by those of its parents, nearest first.
std::vector<std::string> ChainOf(RegistryTransaction& reg, std::string unit_id, std::string* unit_type) {
  std::vector<std::string> chain;
  std::set<std::string> seen;
  for (int depth = 0; depth < kMaxChainDepth && !unit_id.empty() && seen.insert(unit_id).second; ++depth) {
    auto unit = reg.Unit(unit_id);
    if (!unit) break;
    if (depth == 0 && unit_type) *unit_type = std::string(UnitTypeName(unit->type));
    if (!unit->hsa_id.empty()) chain.push_back(unit->hsa_id);
    unit_id = unit->part_of;
  }
  return chain;
}

// The refusal wording's unit and the kommun above it (auth::Target::managing_unit_label, _kommun).
void NameUnit(RegistryTransaction& reg, std::string unit_id, auth::Target& target) {
  auto unit = reg.Unit(unit_id);
  if (!unit) return;
  target.managing_unit_label =
      unit->name.empty() ? "Organization/" + unit->id : unit->name + " (Organization/" + unit->id + ")";
  std::set<std::string> seen;
  for (int depth = 0; depth < kMaxChainDepth && unit && seen.insert(unit->id).second; ++depth) {
    if (unit->type == UnitType::kommun) {
      target.managing_unit_kommun = unit->name.empty() ? "Organization/" + unit->id : unit->name;
      return;
    }
    if (unit->part_of.empty()) return;
    unit = reg.Unit(unit->part_of);
  }
}

}  // namespace

auth::Target TargetOf(RegistryTransaction& reg, const std::string& type, const rapidjson::Value* resource) {
  auth::Target target;
  target.resource_type = type;
  if (!resource) return target;
  std::string unit_id;
  if (type == "EpisodeOfCare") {
    unit_id = ReferencedId(*resource, "managingOrganization", "Organization");
    target.episode_kind = EpisodeKindName(KindOfEpisode(*resource));
  } else if (type == "CareTeam") {
    unit_id = ReferencedId(*resource, "managingOrganization", "Organization");
  } else if (type == "DocumentReference") {
    unit_id = ReferencedId(*resource, "custodian", "Organization");
  } else if (type == "Task") {
    unit_id = ReferencedId(*resource, "owner", "Organization");
  } else if (type == "Encounter") {
    unit_id = ReferencedId(*resource, "serviceProvider", "Organization");
  } else if (type == "PractitionerRole") {
    unit_id = ReferencedId(*resource, "organization", "Organization");
  }
  if (!unit_id.empty()) {
    NameUnit(reg, unit_id, target);
    auto chain = ChainOf(reg, unit_id, &target.managing_unit_type);
    if (!chain.empty()) target.organization_chains.push_back(std::move(chain));
  }
  return target;
}

std::vector<std::string> PatientIdsOf(const std::string& type, const std::string& id, const rapidjson::Value& resource) {
  if (type == "Patient") return {id};
  const char* member = type == "EpisodeOfCare" ? "patient" : type == "Task" ? "for" : "subject";
  std::string patient = ReferencedId(resource, member, "Patient");
  if (patient.empty()) return {};
  return {patient};
}

std::vector<std::string> PatientIdsOfStored(const StoredResource& resource) {
  if (resource.type == "Patient") return {resource.id};
  if (resource.json.empty()) return {};
  rapidjson::Document doc;
  // Stored text was validated when written: parsed without ParseJsonObject's checks for hostile input.
  doc.Parse<rapidjson::kParseIterativeFlag>(resource.json.data(), resource.json.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  return PatientIdsOf(resource.type, resource.id, doc);
}

bool CoversUnit(RegistryTransaction& reg, const Caller& caller, const std::string& unit_id) {
  for (const auto& hsa : ChainOf(reg, unit_id, nullptr)) {
    if (std::find(caller.organizations.begin(), caller.organizations.end(), hsa) != caller.organizations.end()) {
      return true;
    }
  }
  return false;
}

bool IsResidentOf(ResourceTransaction& tx, const Caller& caller, const std::string& patient_id) {
  auto& reg = tx.Registry();
  // Living, or about to live, in one of the municipality's SÄBO units: the caller's organization is
  // in the SÄBO's partOf chain — the same test that lets it register the residency (rule 5).
  const Date today = Date::Today();
  for (const auto& residency : reg.Residencies(patient_id)) {
    if (residency.ActiveOnOrAfter(today) && CoversUnit(reg, caller, residency.unit_id)) return true;
  }
  // Cared for by one of its hemsjukvård units, which may serve someone registered in another kommun.
  for (const auto& home_care : reg.HomeCare(patient_id)) {
    if (home_care.ActiveOnOrAfter(today) && CoversUnit(reg, caller, home_care.unit_id)) return true;
  }
  const auto kommuner = CallerKommuner(tx, caller);
  if (kommuner.empty()) return false;
  auto patient = reg.LockPatient(patient_id);
  return patient && std::find(kommuner.begin(), kommuner.end(), patient->kommun) != kommuner.end();
}

std::vector<std::string> CallerKommuner(ResourceTransaction& tx, const Caller& caller) {
  std::vector<std::string> kommuner;
  for (const auto& hsa : caller.organizations) {
    // A live HSA-id names one Organization (schema/0018), but one stored before may still be shared and
    // an ended one still matches: look at all of them.
    auto found = tx.Search(IdentifierSearch("Organization", systems::kHsaId, hsa, 1000));
    if (!found) continue;
    for (const auto& org : found->resources) {
      auto unit = tx.Registry().Unit(org.id);
      if (unit && !unit->kommun.empty() && std::find(kommuner.begin(), kommuner.end(), unit->kommun) == kommuner.end()) {
        kommuner.push_back(unit->kommun);
      }
    }
  }
  return kommuner;
}

Error Forbidden(const auth::Decision& decision) {
  return Error{ErrorKind::forbidden, decision.detail_code.empty() ? "forbidden" : decision.detail_code,
               decision.reason, {}};
}

}  // namespace nara::fhir
