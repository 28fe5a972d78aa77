// PgRegistry: RegistryTransaction over the typed registry tables (schema/0003_registry.sql), inside
// the pqxx transaction of the surrounding PgTransaction. Internal to the adapter (includes pqxx).
#pragma once

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registry/registry_store.h"
#include "registry/resource_store.h"

namespace nara::pg {

// The patients whose fast läkarkontakt is the role (a doctor's list), or who are listed at the unit,
// in force on a date: SQL with the given placeholders for the id and the date (days since
// 1970-01-01), one home for PatientsOfDoctor/PatientsListedAt and the search's general-practitioner
// (search_sql.cpp). May name a patient more than once.
std::string PatientsOfDoctorSql(const std::string& role_param, const std::string& days_param);
std::string PatientsListedAtSql(const std::string& unit_param, const std::string& days_param);

// Rows of registry_listing (every kind) and registry_contact that a write transaction has put but not
// yet sent: they go to the database with the statement that ends the transaction
// (pg/internal/write_together.h), or earlier, just before a statement that could read them. Keyed
// by id, so a row put twice is sent once, as last put (what two upserts in a row would leave).
struct PendingRegistryRows {
  std::map<std::string, std::pair<std::string, EpisodeFacts>> episodes;  // episode id -> (kind, facts)
  std::map<std::string, ContactFacts> contacts;                          // CareTeam id -> facts
  bool empty() const { return episodes.empty() && contacts.empty(); }
};

// The upserts of pending rows as statements that can share a round trip (write_together.cpp): each
// column travels as one text[] parameter, numbered from `first`, so the text depends on `first` only.
std::string EpisodeRowsUpsertSql(int first);  // 8 parameters
std::vector<std::string> EpisodeRowsParams(const PendingRegistryRows& rows);
std::string ContactRowsUpsertSql(int first);  // 10 parameters
std::vector<std::string> ContactRowsParams(const PendingRegistryRows& rows);

class PgRegistry final : public RegistryTransaction {
 public:
  // defer_row_writes: episode and contact rows wait in PendingRegistryRows for the transaction's
  // last statement (a transaction that ends with write_together.h's statement); false: each put is
  // sent at once (a connection without a transaction to end, whose statements commit one by one).
  PgRegistry(pqxx::transaction_base& tx, bool defer_row_writes) : tx_(tx), defer_row_writes_(defer_row_writes) {}

  std::optional<PatientFacts> LockPatient(const std::string& patient_id) override;
  std::optional<RoleFacts> LockRole(const std::string& role_id) override;
  bool LockRoleToFree(const std::string& role_id) override;  // schema/0013_free_place.sql
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

  // The current version of Patient patient_id (nullopt: no row; a tombstone comes back deleted) and,
  // in the same statement, the patient's episodes, contacts and protection, which this transaction's
  // later Listings/Residencies/Contacts/ProtectedAmong for the patient answer from memory. For
  // answers that only read (GET Patient/{id}): the facts are the statement's snapshot, not locked.
  std::optional<StoredResource> ReadPatientWithRows(const std::string& patient_id);

  // Sends the pending rows now, in one statement. Called before every statement that reads
  // registry_listing or registry_contact (this class's reads and counts, a search's
  // general-practitioner) and before a savepoint, which could otherwise roll back rows put before it.
  // A Patient's write reads registry_contact in its trigger (schema/0015_doctor_list_feed.sql) to
  // name the patient's doctors' lists, but needs no flush: a pending contact names its own lists, old
  // and new, when it is sent, in the same transaction.
  void FlushPending();
  // The pending rows, for the statement that ends the transaction; none are left pending.
  PendingRegistryRows TakePending();
  void Prefetch(const std::vector<std::string>& patient_ids) override;

  struct PatientRows {
    std::vector<EpisodeFacts> listings, residencies, home_care;
    std::vector<ContactFacts> contacts;
  };


 private:
  // pg/internal/pg_waitlist.cpp: a requested entry back from a 'waiting' row of the patient's rows.
  static QueueEntry WaitingFromPatientRow(const pqxx::row& r);
  // What one transaction has already read, so a write's access decision and rules do not ask twice
  // (bench/change_listing.sh). Each is a read taken a little earlier in the same transaction; a row
  // read before the patient's lock is read again once the lock is taken (LockPatient), and a write
  // through this class drops what it could have made stale.
  // The episodes and contacts of a patient locked by LockPatient (read with the lock, or in one query
  // for all three kinds once a write has made them stale), or remembered from
  // ReadPatientWithRows/Prefetch; nullptr for any other patient.
  const PatientRows* KnownPatientRows(const std::string& patient_id);
  // Keeps the rows (and requested waiting-list entries) read for a locked patient.
  void KeepLockedRows(const std::string& patient_id, const pqxx::result& rows);
  // Keeps rows read without a lock for this transaction's later reads (not for a locked patient).
  void Remember(const std::string& patient_id, PatientRows rows, bool is_protected);
  void ForgetPatientRows() {
    patient_rows_.clear();
    known_protected_.clear();
  }

  // A put of an episode or contact row: pending, or sent at once without defer_row_writes_.
  void PutEpisodeRow(const char* kind, const EpisodeFacts& facts);
  // The pending episode with this id if it is of this kind: nullopt = not pending; a nullopt inside =
  // pending as another kind (so no episode of this kind has the id).
  std::optional<std::optional<EpisodeFacts>> PendingEpisode(const char* kind, const std::string& id) const;

  pqxx::transaction_base& tx_;
  const bool defer_row_writes_;
  PendingRegistryRows pending_;
  // Units read, with the partOf chain above each (access decisions walk it); nullopt = no such unit.
  std::map<std::string, std::optional<UnitFacts>> units_;
  std::set<std::string> locked_patients_;
  // Rows of locked patients, and of patients read by ReadPatientWithRows or Prefetch while not locked.
  std::map<std::string, PatientRows> patient_rows_;
  std::map<std::string, bool> known_protected_;  // from ReadPatientWithRows and Prefetch
  // Locked patients' requested waiting-list entries, read with their rows (KnownPatientRows). Kept
  // apart because only a write of an entry makes them stale, not the episode and contact writes that
  // drop the rows (a change of listing writes those before it looks for entries to cancel).
  std::map<std::string, std::vector<QueueEntry>> locked_waiting_;
};

}  // namespace nara::pg
