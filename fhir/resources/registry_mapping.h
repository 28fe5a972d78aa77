// Registry mapping: the registry facts (registry/facts.h) read from FHIR resources, and the plans of
// the rules (registry/rules.h) applied back to stored resources. Input here has already passed
// PrepareResource (fhir/resources/resource_mapper.h, fhir/resources/registry_resources.cpp), so the readers are lenient
// about what validation guarantees and strict only about what the facts cannot do without (a date).
//
// Periods: FHIR Period.start/end as written (date or dateTime); the registry keeps the date part, as
// written, with end EXCLUSIVE (docs/api.md §4 rule 1: the old listing ends on the day the new one starts).
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

#include "registry/date.h"
#include "registry/facts.h"
#include "registry/code_systems.h"
#include "registry/result.h"

namespace nara::fhir {

// small readers shared with the validators

// The extensions of `element` (an object with "extension": [...]) whose url is `url`, in order.
std::vector<const rapidjson::Value*> FindExtensions(const rapidjson::Value& element, std::string_view url);
// True when a CodeableConcept, or any of an array of them, has a coding system|code.
bool HasCoding(const rapidjson::Value& concepts, std::string_view system, std::string_view code);
// The first code of `system` in a CodeableConcept or an array of them; "" when none.
std::string CodeOf(const rapidjson::Value& concepts, std::string_view system);
// The id of a Reference element pointing at `type` (Type/id or an absolute URL ending so); "" otherwise.
std::string ReferenceId(const rapidjson::Value& reference, std::string_view type);

// facts from resources

enum class EpisodeKind { listning, saebo, hemsjukvard, other };
// The type code of an episode kind ("" for other): registry_listing.kind, auth::Target::episode_kind.
const char* EpisodeKindName(EpisodeKind kind);
// From EpisodeOfCare.type (NR/CodeSystem/episode-type).
EpisodeKind KindOfEpisode(const rapidjson::Value& episode);

// patient, managingOrganization, status, period, the SIP date (extension sip). Error::Invalid("required"/"value", …, FHIRPath)
// when patient, managingOrganization or period.start is missing or a date does not parse.
Result<EpisodeFacts> EpisodeFromResource(const rapidjson::Value& episode, const std::string& id);

// subject, participant[0] (role 1–4, member PractitionerRole), managingOrganization[0], status, period,
// begin-/end-reason (valueCoding.code or valueString). Errors as for EpisodeFromResource.
Result<ContactFacts> ContactFromResource(const rapidjson::Value& careteam, const std::string& id);

// CareTeam.category has fast-kontakt (Inera's system or NR/CodeSystem/careteam-category).
bool IsFixedContactCareTeam(const rapidjson::Value& careteam);

// HSA-id, name, type, partOf, municipality kommun code, serves-saebo targets, active (default true).
UnitFacts UnitFromOrganization(const rapidjson::Value& org, const std::string& id);

// practitioner, organization, profession, active (default true), fte (default 1), capacity
// (list-capacity, default DefaultListCapacity(fte)).
RoleFacts RoleFromPractitionerRole(const rapidjson::Value& role, const std::string& id);

// gender; birthDate (without one: the birth date a personnummer or samordningsnummer gives); date of death: the date part of deceasedDateTime, or today for
// deceasedBoolean true (a partial date — YYYY or YYYY-MM — is taken as its first day); kommun of
// the current address: one without a past period.end and not use=old, preferring use=home.
// The birth date a personnummer or samordningsnummer of the Patient carries (none for a reservnummer):
// the measures' ages and the birthdate search use it when birthDate is absent, as Navet does.
std::optional<Date> BirthDateFromPersonId(const rapidjson::Value& patient);

PatientFacts PatientFactsFromPatient(const rapidjson::Value& patient, const std::string& id);
// meta.security holds v3-Confidentiality#R: a protected person (docs/api.md section 8).
bool HasProtectedMark(const rapidjson::Value& patient);

// plans applied to stored resources (the caller re-renders and writes a new version)

// period.end = end (YYYY-MM-DD), and status finished once the end is reached (end <= today): an
// episode ending later stays active until then (the period decides, docs/api.md section 4).
void FinishEpisode(rapidjson::Document& episode, Date end, Date today);
// status cancelled: an episode that never ran (due to start on or after the date of death).
void CancelEpisode(rapidjson::Document& episode);
// period.end = end, status inactive once the end is reached (end <= today), and the end-reason
// extension replaced by valueCoding {NR/CodeSystem/end-reason, reason_code} (left as it is when
// reason_code is empty).
void EndContact(rapidjson::Document& careteam, Date end, const std::string& reason_code, Date today);
// Patient.generalPractitioner as derived (docs/api.md §3): [Organization/<unit_id>, PractitionerRole/<role_id>],
// either left out when its id is empty; replaces whatever is there; removed when both are empty.
void SetGeneralPractitioner(rapidjson::Document& patient, const std::string& unit_id, const std::string& role_id);

}  // namespace nara::fhir
