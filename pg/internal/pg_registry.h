// PgRegistry: RegistryTransaction over the typed registry tables (schema/0003_registry.sql), inside
// the pqxx transaction of the surrounding PgTransaction. Internal to the adapter (includes pqxx).
#pragma once

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "registry/registry_store.h"

namespace nara::pg {

class PgRegistry final : public RegistryTransaction {
 public:
  explicit PgRegistry(pqxx::transaction_base& tx) : tx_(tx) {}

  std::optional<PatientFacts> LockPatient(const std::string& patient_id) override;
  std::optional<RoleFacts> LockRole(const std::string& role_id) override;
  std::vector<std::string> ProtectedAmong(const std::vector<std::string>& patient_ids) override;
  std::optional<UnitFacts> Unit(const std::string& unit_id) override;
  std::optional<RoleFacts> Role(const std::string& role_id) override;
  std::vector<EpisodeFacts> Listings(const std::string& patient_id) override;
  std::vector<EpisodeFacts> Residencies(const std::string& patient_id) override;
  std::vector<EpisodeFacts> HomeCare(const std::string& patient_id) override;
  std::vector<ContactFacts> Contacts(const std::string& patient_id) override;
  std::optional<EpisodeFacts> Listing(const std::string& episode_id) override;
  std::optional<EpisodeFacts> Residency(const std::string& episode_id) override;
  std::optional<EpisodeFacts> HomeCareEpisode(const std::string& episode_id) override;
  std::optional<ContactFacts> Contact(const std::string& careteam_id) override;
  int CountDoctorContacts(const std::string& role_id, Date on) override;
  int CountDoctorContactsOn(const std::string& role_id, Date on) override;
  std::vector<std::pair<RoleFacts, int>> DoctorLoadsAtUnit(const std::string& unit_id, Date on) override;
  std::vector<std::pair<RoleFacts, int>> AllDoctorLoads(Date on) override;
  long CountListingsAtUnit(const std::string& unit_id, Date on) override;
  std::vector<std::string> PatientsOfDoctor(const std::string& role_id, Date on) override;
  std::vector<std::string> PatientsListedAt(const std::string& unit_id, Date on) override;
  void PutPatient(const PatientFacts& facts) override;
  void PutUnit(const UnitFacts& facts) override;
  void PutRole(const RoleFacts& facts) override;
  void PutListing(const EpisodeFacts& facts) override;
  void PutResidency(const EpisodeFacts& facts) override;
  void PutHomeCare(const EpisodeFacts& facts) override;
  void PutContact(const ContactFacts& facts) override;
  // Waiting list: pg/internal/pg_waitlist.cpp.
  std::vector<QueueEntry> Waiting(const std::string& role_id, int limit) override;
  int CountWaiting(const std::string& role_id) override;
  std::vector<QueueEntry> WaitingOfPatient(const std::string& patient_id) override;
  std::optional<QueueEntry> QueueEntryOf(const std::string& task_id) override;
  int QueuePosition(const QueueEntry& entry) override;
  void PutQueueEntry(const QueueEntry& entry) override;
  void PutVisit(const VisitFacts& facts) override;
  void Remove(const std::string& fhir_type, const std::string& id) override;

 private:
  // What one transaction has already read, so a write's access decision and rules do not ask twice
  // (bench/change_listing.sh). Each is a read taken a little earlier in the same transaction, never
  // a row another writer could have changed under a lock this transaction holds; a write through
  // this class drops what it could have made stale.
  struct PatientRows {
    std::vector<EpisodeFacts> listings, residencies, home_care;
    std::vector<ContactFacts> contacts;
  };
  // The episodes and contacts of a patient locked by LockPatient (one query for all three kinds);
  // nullptr for a patient this transaction has not locked.
  const PatientRows* LockedPatientRows(const std::string& patient_id);
  void ForgetPatientRows() { patient_rows_.clear(); }

  pqxx::transaction_base& tx_;
  // Units read, with the partOf chain above each (access decisions walk it); nullopt = no such unit.
  std::map<std::string, std::optional<UnitFacts>> units_;
  std::set<std::string> locked_patients_;
  std::map<std::string, PatientRows> patient_rows_;
};

}  // namespace nara::pg
