// Facts: the registry's view of each concept, as kept in the typed tables (schema/0003_registry.sql) and as the
// rules read them. fhir/ extracts them from resources on write; pg keeps them with periods
// so any past date can be answered. Ids are the FHIR logical ids of the resources they come from.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/date.h"

namespace nara {

// NR/CodeSystem/organization-type. `other` stays last in each enum here: the "for every value" tests walk up to it.
enum class UnitType { region, vardcentral, kommun, saebo, hemsjukvard, specialistmottagning, other };

struct UnitFacts {
  std::string id;
  std::string hsa_id;
  std::string name;
  UnitType type = UnitType::other;
  std::string part_of;                    // Organization id (SÄBO → kommun, vårdcentral → region)
  std::string kommun;                     // 4-digit kommunkod
  std::vector<std::string> serves_saebo;  // vårdcentral: SÄBO Organization ids it serves
  bool active = true;
};

struct PatientFacts {
  std::string id;
  std::optional<Date> deceased;  // date of death
  std::optional<Date> birth_date;
  std::string gender;            // male | female | other | unknown
  std::string kommun;            // of the current address
  // Sekretessmarkering / skyddad folkbokföring: meta.security v3-Confidentiality#R (docs/api.md section 8).
  // Where such a person is cared for is shown only to those who care for them.
  bool is_protected = false;
};

struct RoleFacts {
  std::string id;
  std::string practitioner_id;
  std::string unit_id;
  std::string profession;  // NR/CodeSystem/profession: lakare, sjukskoterska, ...
  bool active = true;
  double fte = 1.0;        // 0 < fte <= 1
  int capacity = 1100;     // list-capacity; default round(1100 × fte)
};

enum class EpisodeStatus { active, finished, cancelled, entered_in_error, other };

// EpisodeOfCare type listning (at a vårdcentral), saebo (residency in a SÄBO unit) or hemsjukvard
// (home health care by a kommun's hemsjukvård unit).
struct EpisodeFacts {
  std::string id;
  std::string patient_id;
  std::string unit_id;
  EpisodeStatus status = EpisodeStatus::active;
  Period period;
  // hemsjukvard: the date of the patient's SIP (samordnad individuell plan), extension
  // NR/StructureDefinition/sip; none = no SIP recorded. Kept for the measures only: the rules never read it.
  std::optional<Date> sip;
  bool ActiveOn(Date d) const { return status == EpisodeStatus::active && period.Contains(d); }
  // In force on d or due to start later (not ended by d, not an empty period): a SÄBO residency the
  // kommun has registered ahead of the move already makes the person its resident.
  bool ActiveOnOrAfter(Date d) const {
    return status == EpisodeStatus::active && (!period.end || (*period.end > d && *period.end > period.start));
  }
};

// Typ av fast kontakt, urn:oid:1.2.752.129.5.1.69.
enum class ContactRole {
  fast_vardkontakt = 1,
  fast_lakarkontakt = 2,
  fast_omsorgskontakt_hemtjanst = 3,
  fast_vardkontakt_samordning = 4,
};

enum class ContactStatus { active, inactive, entered_in_error, other };

// CareTeam category fast-kontakt: one named fixed contact.
struct ContactFacts {
  std::string id;
  std::string patient_id;
  ContactRole role = ContactRole::fast_lakarkontakt;
  std::string practitioner_role_id;
  std::string managing_unit_id;
  ContactStatus status = ContactStatus::active;
  Period period;
  std::string begin_reason;
  std::string end_reason;
  bool ActiveOn(Date d) const { return status == ContactStatus::active && period.Contains(d); }
};

// round(1100 × fte): the ÖK target of 1100 listed per full-time GP.
int DefaultListCapacity(double fte);

// Text ⇄ enum, the one home of each mapping: the code a FHIR resource carries and the text the typed tables
// keep (schema/0003_registry.sql) are the same words. Name: the code of a value. FromName: the value of a
// code, nullopt for text that names none (the caller decides: the FHIR mapping and the adapter take `other`).
const char* UnitTypeName(UnitType type);  // NR/CodeSystem/organization-type
std::optional<UnitType> UnitTypeFromName(std::string_view name);
const char* EpisodeStatusName(EpisodeStatus status);  // EpisodeOfCare.status
std::optional<EpisodeStatus> EpisodeStatusFromName(std::string_view name);
const char* ContactStatusName(ContactStatus status);  // CareTeam.status
std::optional<ContactStatus> ContactStatusFromName(std::string_view name);

}  // namespace nara
