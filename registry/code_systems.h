// Code systems, extensions and identifier systems of the registry's resources (docs/api.md section 3): the one
// home of their URIs, for the FHIR mapping (fhir/resources/) and the tools that write resources (app/tools/).
// Identifier systems (personnummer, HSA-id) are in registry/identifier_system.h.
#pragma once

namespace nara {

namespace nr {
inline constexpr const char* kEpisodeType = "https://fhir.nara-registry.org/CodeSystem/episode-type";
inline constexpr const char* kCareTeamCategory = "https://fhir.nara-registry.org/CodeSystem/careteam-category";
inline constexpr const char* kIneraCareTeamCategory = "https://fhir.inera.se/ig/careteam/CodeSystem/typ-av-careteam-cs";
inline constexpr const char* kFastKontakt = "fast-kontakt";
inline constexpr const char* kContactRole = "urn:oid:1.2.752.129.5.1.69";  // typ av fast kontakt
// masterIdentifier.system of the Patientkontrakt references the tools write (a document id in the journal).
inline constexpr const char* kDocumentIdSystem = "urn:oid:1.2.752.129.2.1.2.1";
inline constexpr const char* kDocumentType = "https://fhir.nara-registry.org/CodeSystem/document-type";
inline constexpr const char* kOrganizationType = "https://fhir.nara-registry.org/CodeSystem/organization-type";
inline constexpr const char* kProfession = "https://fhir.nara-registry.org/CodeSystem/profession";
inline constexpr const char* kKommun = "https://fhir.nara-registry.org/CodeSystem/kommun";
inline constexpr const char* kEndReasonSystem = "https://fhir.nara-registry.org/CodeSystem/end-reason";
inline constexpr const char* kBeginReasonSystem = "https://fhir.nara-registry.org/CodeSystem/begin-reason";
inline constexpr const char* kMunicipalityExt = "https://fhir.nara-registry.org/StructureDefinition/municipality";
inline constexpr const char* kServesSaeboExt = "https://fhir.nara-registry.org/StructureDefinition/serves-saebo";
inline constexpr const char* kFteExt = "https://fhir.nara-registry.org/StructureDefinition/fte";
inline constexpr const char* kListCapacityExt = "https://fhir.nara-registry.org/StructureDefinition/list-capacity";
inline constexpr const char* kBeginReasonExt = "https://fhir.nara-registry.org/StructureDefinition/begin-reason";
inline constexpr const char* kEndReasonExt = "https://fhir.nara-registry.org/StructureDefinition/end-reason";
inline constexpr const char* kAgreedTimeExt = "https://fhir.nara-registry.org/StructureDefinition/agreed-time";
// On a hemsjukvard EpisodeOfCare: valueDate, the date of the patient's SIP (samordnad individuell plan).
inline constexpr const char* kSipExt = "https://fhir.nara-registry.org/StructureDefinition/sip";
// Task.code of a place in a full doctor's waiting list (docs/api.md section 9).
inline constexpr const char* kTaskCode = "https://fhir.nara-registry.org/CodeSystem/task-code";
inline constexpr const char* kFastLakarkontaktKo = "fast-lakarkontakt-ko";
// On a waiting-list Task in Patient/$fixed-contacts: its place in line (1 = next).
inline constexpr const char* kQueuePositionExt = "https://fhir.nara-registry.org/StructureDefinition/queue-position";
inline constexpr const char* kTaskStatusSystem = "http://hl7.org/fhir/task-status";
inline constexpr const char* kEpisodeStatusSystem = "http://hl7.org/fhir/episode-of-care-status";
inline constexpr const char* kCareTeamStatusSystem = "http://hl7.org/fhir/care-team-status";
inline constexpr const char* kDocumentStatusSystem = "http://hl7.org/fhir/document-reference-status";
inline constexpr const char* kEncounterStatusSystem = "http://hl7.org/fhir/encounter-status";
// Encounter.class (AMB, VR, HH) and participant.type (PPRF, the primary performer).
inline constexpr const char* kActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr const char* kParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
}  // namespace nr

}  // namespace nara
