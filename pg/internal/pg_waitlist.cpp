// PgRegistry's waiting-list rows (registry_waitlist, schema/0008_waitlist.sql; docs/api.md section 9).
#include <string>
#include <vector>

#include "pg/internal/pg_registry.h"
#include "pg/internal/pq_util.h"

namespace nara::pg {
namespace {

// authored_on leaves as the RFC 3339 text the Task carries (UTC, milliseconds).
const std::string kColumns =
    "task_id, patient_id, role_id, status, " + Rfc3339Sql("authored_on") + ", output_careteam_id";

QueueEntry EntryFrom(const pqxx::row& r) {
  QueueEntry e;
  e.task_id = r[0].as<std::string>();
  e.patient_id = r[1].as<std::string>();
  e.role_id = r[2].as<std::string>();
  // The CHECK constraint allows only QueueStatusName's words.
  e.status = QueueStatusFromName(r[3].as<std::string>()).value_or(QueueStatus::cancelled);
  e.authored_on = r[4].as<std::string>();
  e.output_careteam_id = r[5].as<std::string>();
  return e;
}

std::vector<QueueEntry> EntriesFrom(const pqxx::result& rows) {
  std::vector<QueueEntry> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(EntryFrom(row));
  return out;
}

const std::string kWaitingSql = std::string("SELECT ") + kColumns +
    " FROM registry_waitlist WHERE role_id = $1 AND status = 'requested' ORDER BY authored_on, task_id LIMIT $2";
const std::string kOfPatientSql = std::string("SELECT ") + kColumns +
    " FROM registry_waitlist WHERE patient_id = $1 AND status = 'requested' ORDER BY authored_on, task_id";
const std::string kEntrySql = std::string("SELECT ") + kColumns + " FROM registry_waitlist WHERE task_id = $1";

}  // namespace

std::vector<QueueEntry> PgRegistry::Waiting(const std::string& role_id, int limit) {
  return EntriesFrom(ExecPrepared(tx_, "nara_wl_waiting", kWaitingSql.c_str(), role_id, limit));
}

int PgRegistry::CountWaiting(const std::string& role_id) {
  const auto rows = ExecPrepared(tx_, "nara_wl_count",
      "SELECT count(*) FROM registry_waitlist WHERE role_id = $1 AND status = 'requested'", role_id);
  return rows[0][0].as<int>();
}

// A 'waiting' row of registry_patient_rows (schema/0019_patient_rows.sql): the place in line where the
// contacts' managing unit goes, the output CareTeam where their begin reason goes.
QueueEntry PgRegistry::WaitingFromPatientRow(const pqxx::row& r) {
  QueueEntry e;
  e.task_id = r[1].as<std::string>();
  e.patient_id = r[2].as<std::string>();
  e.role_id = r[3].as<std::string>();
  e.status = QueueStatus::requested;
  e.authored_on = r[8].as<std::string>();
  e.output_careteam_id = r[9].as<std::string>();
  return e;
}

std::vector<QueueEntry> PgRegistry::WaitingOfPatient(const std::string& patient_id) {
  // A locked patient's entries came with its other rows (KnownPatientRows). At most one is requested
  // (registry_waitlist_one_per_patient), so their order needs no sorting.
  if (locked_patients_.count(patient_id)) {
    if (auto known = locked_waiting_.find(patient_id); known != locked_waiting_.end()) return known->second;
    patient_rows_.erase(patient_id);  // so the read below runs: they come only with a fresh read
    KnownPatientRows(patient_id);
    return locked_waiting_[patient_id];
  }
  return EntriesFrom(ExecPrepared(tx_, "nara_wl_of_patient", kOfPatientSql.c_str(), patient_id));
}

std::optional<QueueEntry> PgRegistry::QueueEntryOf(const std::string& task_id) {
  const auto rows = ExecPrepared(tx_, "nara_wl_entry", kEntrySql.c_str(), task_id);
  if (rows.empty()) return std::nullopt;
  return EntryFrom(rows[0]);
}

int PgRegistry::QueuePosition(const QueueEntry& entry) {
  const auto rows = ExecPrepared(tx_, "nara_wl_position",
      "SELECT count(*) FROM registry_waitlist WHERE role_id = $1 AND status = 'requested' "
      "AND (authored_on, task_id) <= ($2::timestamptz, $3)",
      entry.role_id, entry.authored_on, entry.task_id);
  return rows[0][0].as<int>();
}

void PgRegistry::PutQueueEntry(const QueueEntry& e) {
  ForgetPatientRows();
  locked_waiting_.clear();  // the patient's requested entries (and the entry may have moved patient)
  ExecPrepared(tx_, "nara_wl_put",
      "INSERT INTO registry_waitlist (task_id, patient_id, role_id, status, authored_on, output_careteam_id) "
      "VALUES ($1, $2, $3, $4, $5::timestamptz, $6) ON CONFLICT (task_id) DO UPDATE SET "
      "patient_id = EXCLUDED.patient_id, role_id = EXCLUDED.role_id, status = EXCLUDED.status, "
      "authored_on = EXCLUDED.authored_on, output_careteam_id = EXCLUDED.output_careteam_id",
      e.task_id, e.patient_id, e.role_id, std::string(QueueStatusName(e.status)), e.authored_on,
      e.output_careteam_id);
}

}  // namespace nara::pg
