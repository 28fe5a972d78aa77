// RegistryTransaction: the typed registry tables (schema/0003_registry.sql) as seen from inside one
// ResourceTransaction. The rules read facts here; writes of the FHIR resources keep them in step.
// Locks make the rules hold under concurrency by construction (docs/architecture.md "Storage"):
//  - LockPatient serialises every listing/contact/residency change of one patient;
//  - LockRole serialises assignments to one PractitionerRole, so capacity is never exceeded;
//  - LockRoleToFree lets transactions that free places on one role run side by side when nobody
//    waits for it, yet never misses an entry that joins its waiting list meanwhile.
#pragma once

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "registry/continuity.h"
#include "registry/facts.h"
#include "registry/waitlist.h"

namespace nara {

class RegistryTransaction {
 public:
  virtual ~RegistryTransaction() = default;

  // Reads with a row lock held until commit. nullopt when there is no such row.
  virtual std::optional<PatientFacts> LockPatient(const std::string& patient_id) = 0;
  virtual std::optional<RoleFacts> LockRole(const std::string& role_id) = 0;
  // For a transaction that may have freed a place on the role (ended, moved or deleted a fast
  // läkarkontakt there): true when requested entries wait for the role, and the caller then takes
  // LockRole to promote. False when nobody waits (or there is no such role), and a lock is held until
  // commit that keeps anyone who takes LockRole (to take a place, queue or promote) from counting the
  // list before this transaction commits, while other freers of the role do not wait for it. So a
  // freed place and an entry that joins the queue at the same time always meet (docs/api.md section 9).
  // A store without a weaker lock may take LockRole itself, as here.
  virtual bool LockRoleToFree(const std::string& role_id) {
    return LockRole(role_id) && CountWaiting(role_id) > 0;
  }

  // The protected ones (PatientFacts::is_protected) among the patients, without row locks: the read
  // paths ask it for every page they release and must not hold up writes.
  virtual std::vector<std::string> ProtectedAmong(const std::vector<std::string>& patient_ids) {
    std::vector<std::string> found;
    for (const auto& id : patient_ids) {
      if (auto patient = LockPatient(id); patient && patient->is_protected) found.push_back(id);
    }
    return found;
  }
  // A hint before reading many patients' facts (a page of Patients): a store may read their
  // episodes, contacts and protection at once, so the Listings/Contacts/ProtectedAmong calls that
  // follow for them need no round trip each. Not locked; work that writes uses LockPatient.
  virtual void Prefetch(const std::vector<std::string>& /*patient_ids*/) {}

  virtual std::optional<UnitFacts> Unit(const std::string& unit_id) = 0;
  virtual std::optional<RoleFacts> Role(const std::string& role_id) = 0;
  virtual std::vector<EpisodeFacts> Listings(const std::string& patient_id) = 0;
  virtual std::vector<EpisodeFacts> Residencies(const std::string& patient_id) = 0;
  virtual std::vector<EpisodeFacts> HomeCare(const std::string& patient_id) = 0;  // hemsjukvard episodes
  virtual std::vector<ContactFacts> Contacts(const std::string& patient_id) = 0;
  virtual std::optional<EpisodeFacts> Listing(const std::string& episode_id) = 0;
  virtual std::optional<EpisodeFacts> Residency(const std::string& episode_id) = 0;
  virtual std::optional<EpisodeFacts> HomeCareEpisode(const std::string& episode_id) = 0;
  virtual std::optional<ContactFacts> Contact(const std::string& careteam_id) = 0;

  // Places taken on the role: active fast-läkarkontakt CareTeams naming it that are in force on `on`
  // or start later. Future-dated ones count, or capacity could be promised away beyond the list
  // (docs/api.md section 4 rule 3: never exceeded).
  virtual int CountDoctorContacts(const std::string& role_id, Date on) = 0;
  // Fast-läkarkontakt CareTeams naming the role that were in force on `on` (for reports as of a date).
  virtual int CountDoctorContactsOn(const std::string& role_id, Date on) = 0;
  // Active lakare roles at a unit with their current loads (for "colleagues with free places").
  virtual std::vector<std::pair<RoleFacts, int>> DoctorLoadsAtUnit(const std::string& unit_id, Date on) = 0;
  // The same for every unit when unit_id is empty (PractitionerRole?has-free-capacity=true).
  std::vector<std::pair<RoleFacts, int>> DoctorLoads(const std::string& unit_id, Date on) {
    return unit_id.empty() ? AllDoctorLoads(on) : DoctorLoadsAtUnit(unit_id, on);
  }
  virtual std::vector<std::pair<RoleFacts, int>> AllDoctorLoads(Date on) = 0;
  // Listings at a unit in force on a date, whatever their status today (Organization/$list-status).
  virtual long CountListingsAtUnit(const std::string& unit_id, Date on) = 0;
  // Whose generalPractitioner names the role or the unit on `on` (Patient?general-practitioner): the
  // patients with a fast läkarkontakt at the role, or listed at the unit, in force that day, as a
  // read derives it. PatientsOfDoctor: only Patients that exist and are not deleted, ordered by id as
  // the database orders them (the order of the search's pages).
  virtual std::vector<std::string> PatientsOfDoctor(const std::string& role_id, Date on) = 0;
  virtual std::vector<std::string> PatientsListedAt(const std::string& unit_id, Date on) = 0;

  // Keep the tables in step with resource writes (upsert by id) and deletes.
  virtual void PutPatient(const PatientFacts& facts) = 0;
  virtual void PutUnit(const UnitFacts& facts) = 0;
  virtual void PutRole(const RoleFacts& facts) = 0;
  virtual void PutListing(const EpisodeFacts& facts) = 0;
  virtual void PutResidency(const EpisodeFacts& facts) = 0;
  virtual void PutHomeCare(const EpisodeFacts& facts) = 0;
  virtual void PutContact(const ContactFacts& facts) = 0;
  // Waiting list (registry/waitlist.h, docs/api.md section 9). Queue order: authored_on, then task id.
  // The oldest `limit` requested entries of a role (the caller holds LockRole when it promotes).
  virtual std::vector<QueueEntry> Waiting(const std::string& role_id, int limit) = 0;
  virtual int CountWaiting(const std::string& role_id) = 0;
  // A patient's requested entries (at most one, docs/api.md section 9).
  virtual std::vector<QueueEntry> WaitingOfPatient(const std::string& patient_id) = 0;
  virtual std::optional<QueueEntry> QueueEntryOf(const std::string& task_id) = 0;
  // 1 for the first in line: the requested entries of its role that are not behind it.
  virtual int QueuePosition(const QueueEntry& entry) = 0;
  virtual void PutQueueEntry(const QueueEntry& entry) = 0;

  virtual void PutVisit(const VisitFacts& facts) = 0;  // Encounter (schema/0010_continuity_visits.sql)
  // Removes the facts row of a deleted resource of this FHIR type (Patient, Organization, ...).
  virtual void Remove(const std::string& fhir_type, const std::string& id) = 0;
};

}  // namespace nara
