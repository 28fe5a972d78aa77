#include "fhir/resource_types.h"

namespace nara::fhir {
namespace {

std::vector<SearchParamDef> Common() {
  return {
      {"_id", ParamType::token, SearchKind::id, "", "Logical id of the resource"},
      {"_lastUpdated", ParamType::date, SearchKind::last_updated, "", "When the resource version was written"},
  };
}

ResourceTypeDef Make(std::string type, std::string doc, std::vector<SearchParamDef> own) {
  auto params = Common();
  params.insert(params.end(), own.begin(), own.end());
  return ResourceTypeDef{std::move(type), std::move(params), std::move(doc)};
}

std::vector<ResourceTypeDef> BuildTypes() {
  const SearchParamDef identifier{"identifier", ParamType::token, SearchKind::token, "",
                                  "system|value; Swedish identifier system aliases are normalised"};
  return {
      Make("Patient", "A resident, identified by personnummer or samordningsnummer",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Any part of a name (prefix, case-insensitive)"},
            {"family", ParamType::string, SearchKind::text, "", "Family name"},
            {"given", ParamType::string, SearchKind::text, "", "Given name"},
            {"gender", ParamType::token, SearchKind::token, "", "male | female | other | unknown"}}),
      Make("Organization", "A care unit, municipality, SÄBO unit, region or system owner, by HSA-id",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Name or alias"},
            {"type", ParamType::token, SearchKind::token, "", "organization-type code"},
            {"partof", ParamType::reference, SearchKind::reference, "Organization", "The parent organization"}}),
      Make("Practitioner", "A licensed person, by HSA-id",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Any part of a name"},
            {"family", ParamType::string, SearchKind::text, "", "Family name"},
            {"given", ParamType::string, SearchKind::text, "", "Given name"}}),
      Make("PractitionerRole", "A practitioner working at a unit",
           {identifier,
            {"practitioner", ParamType::reference, SearchKind::reference, "Practitioner", "The practitioner"},
            {"organization", ParamType::reference, SearchKind::reference, "Organization", "The unit"},
            {"role", ParamType::token, SearchKind::token, "", "Profession code (PractitionerRole.code)"}}),
  };
}

}  // namespace

const SearchParamDef* ResourceTypeDef::FindParam(std::string_view name) const {
  for (const auto& param : search_params) {
    if (param.name == name) return &param;
  }
  return nullptr;
}

const std::vector<ResourceTypeDef>& SupportedTypes() {
  static const std::vector<ResourceTypeDef> kTypes = BuildTypes();
  return kTypes;
}

const ResourceTypeDef* FindType(std::string_view type) {
  for (const auto& def : SupportedTypes()) {
    if (def.type == type) return &def;
  }
  return nullptr;
}

}  // namespace nara::fhir
