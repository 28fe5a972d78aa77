// The registry rules of docs/api.md section 4 as pure functions: given the facts read (and locked) in
// the current transaction and a proposed change, decide whether it may happen and what else must
// change with it. No I/O: the storage adapter supplies the facts, fhir/ applies the plan.
// Violations are Error::BusinessRule(detail_code, text) with a text that tells a clerk what to do.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "registry/facts.h"
#include "registry/result.h"

namespace nara {

// Detail codes (NR/CodeSystem/outcome-detail) the rules return.
namespace rule_codes {
inline constexpr const char* kListFull = "list-full";                      // rule 3
inline constexpr const char* kChangeLimit = "change-limit";                // rule 7
inline constexpr const char* kDeceased = "deceased";                       // rule 6
inline constexpr const char* kNotAVardcentral = "not-a-vardcentral";       // rule 1
inline constexpr const char* kNotASaebo = "not-a-saebo";                   // saebo episodes
inline constexpr const char* kNotAHemsjukvard = "not-a-hemsjukvard";       // hemsjukvard episodes
inline constexpr const char* kAlreadyHasDoctor = "fast-lakarkontakt-exists";  // rule 2
inline constexpr const char* kNotADoctor = "not-a-lakare";                 // rule 2
inline constexpr const char* kRoleInactive = "role-inactive";              // rules 2, 4
inline constexpr const char* kWrongUnit = "not-at-listing-unit";           // rule 2
inline constexpr const char* kContactExists = "fast-vardkontakt-exists";   // rule 4
inline constexpr const char* kOverlap = "overlapping-period";              // rules 1, 8
inline constexpr const char* kUnknownReference = "unknown-reference";      // a referenced resource is missing
inline constexpr const char* kUnitChange = "unit-change";                  // rules 1, 8: move by a new episode
inline constexpr const char* kActiveRegistrations = "active-registrations";  // deleting a registered patient
}  // namespace rule_codes

// Rule 1, 6, 7: listing at a vårdcentral

struct ListingContext {
  PatientFacts patient;
  std::optional<UnitFacts> unit;        // the unit named by the proposed listing (nullopt: not found)
  std::vector<EpisodeFacts> listings;   // every listing of the patient (all versions' latest state), excluding the proposed id
  std::vector<ContactFacts> contacts;   // every fixed contact of the patient
  int max_changes_per_year = 2;         // listing.max-changes-per-year; 0 = no limit
};

struct ListingPlan {
  bool is_change = false;                                  // replaces an active listing: a change of listing
  std::vector<std::pair<std::string, Date>> finish_listings;  // episode id → period.end (= new period.start)
  std::vector<std::pair<std::string, Date>> end_contacts;     // fast läkarkontakt CareTeam id → period.end
};

// A listing being created or updated. `previous` is the stored state of the same episode on update.
Result<ListingPlan> PlanListing(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                const ListingContext& context);

// SÄBO residency (registered by the municipality; rule 5 is enforced by the access policy)

struct ResidencyContext {
  PatientFacts patient;
  std::optional<UnitFacts> unit;          // must be of type saebo (hemsjukvard for PlanHomeCare)
  std::vector<EpisodeFacts> residencies;  // the patient's other episodes of the same kind
};

// A SÄBO resident lives in one SÄBO at a time: a new active residency finishes the previous one
// (the move) as a listing change does; no rule on the number of moves.
Result<ListingPlan> PlanResidency(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                  const ResidencyContext& context);
// Hemsjukvård (home health care, registered by the kommun for its own hemsjukvard units; docs/api.md
// section 11): the same shape at a unit of type hemsjukvard. One hemsjukvård episode at a time: a new
// active one finishes the previous one on its start date. Independent of SÄBO residency (a kommun may
// run the nursing at a SÄBO as hemsjukvård), so neither kind ends the other.
Result<ListingPlan> PlanHomeCare(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                 const ResidencyContext& context);

// Rules 2, 3, 4, 6: fixed contacts

struct RoleLoad {
  RoleFacts role;
  int listed = 0;  // active fast-läkarkontakt CareTeams naming it
  int free() const { return role.capacity - listed; }
};

struct ContactContext {
  PatientFacts patient;
  std::optional<RoleFacts> role;          // the PractitionerRole named by participant[0].member (locked)
  std::optional<UnitFacts> role_unit;     // the unit of that role
  std::vector<EpisodeFacts> listings;     // the patient's listings
  std::vector<EpisodeFacts> residencies;  // the patient's saebo episodes
  std::vector<ContactFacts> contacts;     // the patient's other fixed contacts (excluding the proposed id)
  int listed_on_role = 0;                 // active fast-läkarkontakt count on the role, before this change
  std::vector<RoleLoad> colleagues;       // other active lakare roles at the same unit with their loads
  bool capacity_warn_only = false;        // capacity.mode = warn
  Date today;
  // What a clerk knows them by, for the refusal texts: PractitionerRole id → the doctor's name,
  // Organization id → the unit's name. Filled only to word a refusal (the accepted path needs no
  // names); an id missing here is named by its reference alone.
  std::map<std::string, std::string> role_names;
  std::map<std::string, std::string> unit_names;
};

struct ContactPlan {
  std::vector<std::string> warnings;  // accepted anyway (capacity.mode = warn)
};

Result<ContactPlan> PlanContact(const ContactFacts& proposed, const std::optional<ContactFacts>& previous,
                                const ContactContext& context);

// Rule 3 applies to a place being taken on the role; an edit of a contact already counted on the same
// role (e.g. setting its end) takes no new place and is never refused for a full list.
bool TakesNewPlace(const ContactFacts& proposed, const std::optional<ContactFacts>& previous);

// Rule 6: death ends what is running

struct DeathPlan {
  std::vector<std::pair<std::string, Date>> finish_episodes;  // listings and residencies → period.end
  std::vector<std::string> cancel_episodes;                   // due to start on or after the death
  std::vector<std::pair<std::string, Date>> end_contacts;     // CareTeams → period.end (end reason avliden)
};

// When a Patient gets (or changes) a date of death: everything whose period runs past that date ends
// on it, whatever its stored status (future-dated ends included); an episode due to start on or after
// it is cancelled, a contact due to start after it ends on its own start.
DeathPlan PlanDeath(Date date_of_death, const std::vector<EpisodeFacts>& episodes,
                    const std::vector<ContactFacts>& contacts);

}  // namespace nara
