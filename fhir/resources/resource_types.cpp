#include "fhir/resources/resource_types.h"

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
  return ResourceTypeDef{std::move(type), std::move(params), std::move(doc), {}};
}

std::vector<ResourceTypeDef> BuildTypes() {
  const SearchParamDef identifier{"identifier", ParamType::token, SearchKind::token, "",
                                  "system|value; Swedish identifier system aliases are normalised"};
  const std::string episode_type = std::string(kNrBase) + "/CodeSystem/episode-type";
  const std::string document_type = std::string(kNrBase) + "/CodeSystem/document-type";
  return {
      Make("Patient", "A resident, identified by personnummer or samordningsnummer",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Any part of a name (prefix, case-insensitive)"},
            {"family", ParamType::string, SearchKind::text, "", "Family name"},
            {"given", ParamType::string, SearchKind::text, "", "Given name"},
            {"gender", ParamType::token, SearchKind::token, "", "male | female | other | unknown"},
            {"birthdate", ParamType::date, SearchKind::period, "",
             "Birth date: birthDate, or without one the date in the personnummer or samordningsnummer"},
            {"address", ParamType::string, SearchKind::text, "", "Any part of an address (line, postal code, city)"},
            {"address-city", ParamType::string, SearchKind::text, "", "Postort (address.city)"},
            {"address-postalcode", ParamType::string, SearchKind::text, "",
             "Postnummer (address.postalCode), with or without its space"},
            {"municipality", ParamType::token, SearchKind::token, "",
             "kommunkod of an address (extension municipality), e.g. 0180"},
            // Answered from the registry tables, not the search index (fhir/search/search_handler.cpp):
            // generalPractitioner is derived on every read, so no stored version holds it.
            {"general-practitioner", ParamType::reference, SearchKind::token, "",
             "PractitionerRole (fast läkarkontakt) or Organization (listing unit) in generalPractitioner today"}}),
      Make("Organization", "A care unit, municipality, SÄBO unit, region or system owner, by HSA-id",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Name or alias"},
            {"type", ParamType::token, SearchKind::token, "", "organization-type code"},
            {"partof", ParamType::reference, SearchKind::reference, "Organization", "The parent organization"},
            {"serves-saebo", ParamType::reference, SearchKind::reference, "Organization",
             "A SÄBO unit this vårdcentral serves (extension serves-saebo)"}}),
      Make("Practitioner", "A licensed person, by HSA-id",
           {identifier,
            {"name", ParamType::string, SearchKind::text, "", "Any part of a name"},
            {"family", ParamType::string, SearchKind::text, "", "Family name"},
            {"given", ParamType::string, SearchKind::text, "", "Given name"}}),
      Make("PractitionerRole", "A practitioner working at a unit",
           {identifier,
            {"practitioner", ParamType::reference, SearchKind::reference, "Practitioner", "The practitioner"},
            {"organization", ParamType::reference, SearchKind::reference, "Organization", "The unit"},
            {"role", ParamType::token, SearchKind::token, "", "Profession code (PractitionerRole.code)"},
            {"active", ParamType::token, SearchKind::token, "", "true | false (PractitionerRole.active)"},
            // Answered from the registry tables, not the search index (fhir/http/router.cpp).
            {"has-free-capacity", ParamType::token, SearchKind::token, "",
             "true: doctors (lakare) with free places on their list; combine with organization"}}),
      Make("EpisodeOfCare",
           "Type listning: the patient is listed at a vårdcentral; type saebo: the patient lives in a SÄBO unit; "
           "type hemsjukvard: the patient has home health care from a kommun's hemsjukvård unit",
           {identifier,
            {"patient", ParamType::reference, SearchKind::reference, "Patient", "The patient"},
            {"organization", ParamType::reference, SearchKind::reference, "Organization",
             "The vårdcentral, SÄBO or hemsjukvård unit (managingOrganization)"},
            {"status", ParamType::token, SearchKind::token, "", "active | finished | ... (episode-of-care-status)"},
            {"type", ParamType::token, SearchKind::token, "", "listning | saebo | hemsjukvard (" + episode_type + ")"},
            {"date", ParamType::date, SearchKind::period, "",
             "The period (end exclusive): eq = in force during the given date, ge = still running then"}}),
      Make("CareTeam", "Category fast-kontakt: one named fixed contact of a patient (Inera's CareTeam guide)",
           {identifier,
            {"patient", ParamType::reference, SearchKind::reference, "Patient", "The patient (subject)"},
            {"subject", ParamType::reference, SearchKind::reference, "Patient", "The patient"},
            {"category", ParamType::token, SearchKind::token, "", "fast-kontakt"},
            {"status", ParamType::token, SearchKind::token, "", "active | inactive | ... (care-team-status)"},
            {"participant", ParamType::reference, SearchKind::reference, "",
             "participant.member: the PractitionerRole of the fixed contact"},
            {"member", ParamType::reference, SearchKind::reference, "",
             "participant.member (the name Inera's CareTeam guide uses), same as participant"},
            {"role", ParamType::token, SearchKind::token, "",
             "participant.role: typ av fast kontakt (urn:oid:1.2.752.129.5.1.69) 1-4"},
            {"organization", ParamType::reference, SearchKind::reference, "Organization", "managingOrganization"},
            {"managing-organization", ParamType::reference, SearchKind::reference, "Organization",
             "managingOrganization"},
            {"date", ParamType::date, SearchKind::period, "",
             "The period (end exclusive): eq = in force during the given date"}}),
      Make("DocumentReference", "Type patientkontrakt or sip: a reference to a document held in a journal",
           {{"identifier", ParamType::token, SearchKind::token, "",
             "system|value of identifier or masterIdentifier (the journal's document id)"},
            {"patient", ParamType::reference, SearchKind::reference, "Patient", "The patient (subject)"},
            {"subject", ParamType::reference, SearchKind::reference, "Patient", "The patient"},
            {"type", ParamType::token, SearchKind::token, "", "patientkontrakt | sip (" + document_type + ")"},
            {"status", ParamType::token, SearchKind::token, "", "current | superseded | entered-in-error"},
            {"custodian", ParamType::reference, SearchKind::reference, "Organization", "The journal-holding unit"},
            {"related", ParamType::reference, SearchKind::reference, "",
             "context.related: the fast-vårdkontakt CareTeam, the SIP"},
            {"date", ParamType::date, SearchKind::period, "", "When the reference was made (DocumentReference.date)"}}),
      Make("Task",
           "Code fast-lakarkontakt-ko: a place in a full doctor's waiting list (docs/api.md section 9); written by "
           "the registry, withdrawn by setting status cancelled",
           {{"patient", ParamType::reference, SearchKind::reference, "Patient", "The patient waiting (for)"},
            {"subject", ParamType::reference, SearchKind::reference, "Patient", "The patient waiting (for)"},
            {"focus", ParamType::reference, SearchKind::reference, "PractitionerRole",
             "The doctor's PractitionerRole whose list the patient waits for"},
            {"owner", ParamType::reference, SearchKind::reference, "Organization", "The doctor's vårdcentral"},
            {"status", ParamType::token, SearchKind::token, "", "requested | completed | cancelled (task-status)"},
            {"code", ParamType::token, SearchKind::token, "", "fast-lakarkontakt-ko (" + std::string(kNrBase) +
                                                                "/CodeSystem/task-code)"},
            {"authored-on", ParamType::date, SearchKind::period, "",
             "The place in line (Task.authoredOn); results are sorted by it, oldest first"}}),
      Make("Encounter",
           "A visit the journal reports for continuity of care (docs/api.md section 11): who, where, with whom, how "
           "and when; no diagnosis or reason. A create is idempotent on identifier",
           {identifier,
            {"patient", ParamType::reference, SearchKind::reference, "Patient", "The patient (subject)"},
            {"subject", ParamType::reference, SearchKind::reference, "Patient", "The patient"},
            {"status", ParamType::token, SearchKind::token, "", "finished counts (encounter-status)"},
            {"class", ParamType::token, SearchKind::token, "", "AMB | VR | HH (v3-ActCode)"},
            {"service-provider", ParamType::reference, SearchKind::reference, "Organization", "The unit"},
            {"participant", ParamType::reference, SearchKind::reference, "PractitionerRole",
             "participant.individual"},
            {"date", ParamType::date, SearchKind::period, "", "The period of the visit"}}),
  };
}

}  // namespace

// The registry's operations (docs/api.md section 5), attached to the types they are invoked on.
void AddOperations(std::vector<ResourceTypeDef>& types) {
  for (auto& type : types) {
    if (type.type == "Patient") {
      type.operations.push_back({"fixed-contacts", false,
                                 "GET Patient/$fixed-contacts?identifier=SYSTEM|VALUE: the patient, active listing, "
                                 "fast läkarkontakt, fast vårdkontakter and current Patientkontrakt"});
    } else if (type.type == "PractitionerRole") {
      type.operations.push_back({"list-status", true, "Parameters: capacity, listed, free (optional date=YYYY-MM-DD)"});
    } else if (type.type == "Organization") {
      type.operations.push_back({"list-status", true,
                                 "Parameters: listed, doctor-fte, listed-per-doctor-fte, target 1100 (optional date)"});
    }
  }
}

const SearchParamDef* ResourceTypeDef::FindParam(std::string_view name) const {
  for (const auto& param : search_params) {
    if (param.name == name) return &param;
  }
  return nullptr;
}

const std::vector<ResourceTypeDef>& SupportedTypes() {
  static const std::vector<ResourceTypeDef> kTypes = [] {
    auto types = BuildTypes();
    AddOperations(types);
    return types;
  }();
  return kTypes;
}

const ResourceTypeDef* FindType(std::string_view type) {
  for (const auto& def : SupportedTypes()) {
    if (def.type == type) return &def;
  }
  return nullptr;
}

}  // namespace nara::fhir
