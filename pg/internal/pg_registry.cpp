#include "pg/internal/pg_registry.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "pg/internal/pq_util.h"
#include "pg/internal/write_together.h"

namespace nara::pg {
namespace {

using pqxx::prepare::make_dynamic_params;

// ExecPrepared (pq_util.h) for SQL assembled from the column lists here: the same text on every call.
template <typename... Args>
pqxx::result Prepared(pqxx::transaction_base& tx, const std::string& name, const std::string& sql, Args&&... args) {
  return ExecPrepared(tx, name.c_str(), sql.c_str(), std::forward<Args>(args)...);
}

// Dates cross the wire as days since 1970-01-01 (Date's own unit), so no text format is involved:
// to SQL as `DATE '1970-01-01' + $n::int`, back as `d - DATE '1970-01-01'`. An empty string is NULL.
constexpr const char* kEpoch = "DATE '1970-01-01'";

std::string DaysParam(Date d) { return std::to_string(d.days()); }
std::string DaysParam(const std::optional<Date>& d) { return d ? DaysParam(*d) : std::string(); }

std::string DateIn(const std::string& placeholder) {
  return "(" + std::string(kEpoch) + " + NULLIF(" + placeholder + ", '')::int)";
}
std::string DateOut(const std::string& column) {
  return "(" + column + " - " + kEpoch + ")";
}

std::optional<Date> OptionalDate(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return Date::FromDays(f.as<int>());
}

// Enum ⇄ text is registry/facts.h's (the CHECK constraints of 0003_registry.sql allow only its names, so the
// `other` a reader falls back to is never taken).

// registry_listing.kind for the three EpisodeOfCare types.
constexpr const char* kListing = "listning";
constexpr const char* kResidency = "saebo";
constexpr const char* kHomeCare = "hemsjukvard";

const std::string kPatientColumns =
    "patient_id, " + DateOut("deceased") + ", " + DateOut("birth_date") + ", gender, kommun, protected";

// The id in column `id`, the other columns of kPatientColumns in order from column `rest`.
PatientFacts PatientFrom(const pqxx::row& r, pqxx::row::size_type id = 0, pqxx::row::size_type rest = 1) {
  PatientFacts p;
  p.id = r[id].as<std::string>();
  p.deceased = OptionalDate(r[rest]);
  p.birth_date = OptionalDate(r[rest + 1]);
  p.gender = r[rest + 2].as<std::string>();
  p.kommun = r[rest + 3].as<std::string>();
  p.is_protected = r[rest + 4].as<bool>();
  return p;
}

// fte leaves as float8: the numeric column keeps six decimals, which float8 represents closely enough.
constexpr const char* kRoleColumns =
    "r.role_id, r.practitioner_id, r.unit_id, r.profession, r.active, r.fte::float8, r.capacity";

RoleFacts RoleFrom(const pqxx::row& r) {
  RoleFacts role;
  role.id = r[0].as<std::string>();
  role.practitioner_id = r[1].as<std::string>();
  role.unit_id = r[2].as<std::string>();
  role.profession = r[3].as<std::string>();
  role.active = r[4].as<bool>();
  role.fte = r[5].as<double>();
  role.capacity = r[6].as<int>();
  return role;
}

const std::string kEpisodeColumns = "episode_id, patient_id, unit_id, status, " + DateOut("valid_from") + ", " +
                                    DateOut("valid_to") + ", " + DateOut("sip_date");

EpisodeFacts EpisodeFrom(const pqxx::row& r) {
  EpisodeFacts e;
  e.id = r[0].as<std::string>();
  e.patient_id = r[1].as<std::string>();
  e.unit_id = r[2].as<std::string>();
  e.status = EpisodeStatusFromName(r[3].as<std::string>()).value_or(EpisodeStatus::other);
  e.period.start = Date::FromDays(r[4].as<int>());
  e.period.end = OptionalDate(r[5]);
  e.sip = OptionalDate(r[6]);
  return e;
}

const std::string kContactColumns = "careteam_id, patient_id, role_code, practitioner_role_id, managing_unit_id, "
                                    "status, " + DateOut("valid_from") + ", " + DateOut("valid_to") +
                                    ", begin_reason, end_reason";

ContactFacts ContactFrom(const pqxx::row& r) {
  ContactFacts c;
  c.id = r[0].as<std::string>();
  c.patient_id = r[1].as<std::string>();
  c.role = static_cast<ContactRole>(r[2].as<int>());
  c.practitioner_role_id = r[3].as<std::string>();
  c.managing_unit_id = r[4].as<std::string>();
  c.status = ContactStatusFromName(r[5].as<std::string>()).value_or(ContactStatus::other);
  c.period.start = Date::FromDays(r[6].as<int>());
  c.period.end = OptionalDate(r[7]);
  c.begin_reason = r[8].as<std::string>();
  c.end_reason = r[9].as<std::string>();
  return c;
}

std::vector<EpisodeFacts> EpisodesOf(pqxx::transaction_base& tx, const char* kind, const std::string& patient_id) {
  const auto rows = Prepared(tx, "nara_reg_episodes_of", "SELECT " + kEpisodeColumns +
      " FROM registry_listing WHERE patient_id = $1 AND kind = $2"
      " ORDER BY valid_from, episode_id",
      patient_id, std::string(kind));
  std::vector<EpisodeFacts> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(EpisodeFrom(row));
  return out;
}

std::optional<EpisodeFacts> EpisodeById(pqxx::transaction_base& tx, const char* kind, const std::string& id) {
  const auto rows = Prepared(tx, "nara_reg_episode_by_id",
      "SELECT " + kEpisodeColumns + " FROM registry_listing WHERE episode_id = $1 AND kind = $2", id,
      std::string(kind));
  if (rows.empty()) return std::nullopt;
  return EpisodeFrom(rows[0]);
}

}  // namespace

std::string EpisodeRowsUpsertSql(int first) {
  const std::string rows = "SELECT i, k, p, u, s, " + DateIn("f") + ", " + DateIn("t") + ", " + DateIn("d") +
                           " FROM unnest(" + TextArrayParams(first, 8) + ") AS x(i, k, p, u, s, f, t, d)";
  return "INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to, "
         "sip_date) " +
         rows +
         " ON CONFLICT (episode_id) DO UPDATE SET kind = EXCLUDED.kind, "
         "patient_id = EXCLUDED.patient_id, unit_id = EXCLUDED.unit_id, status = EXCLUDED.status, "
         "valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, sip_date = EXCLUDED.sip_date";
}

std::vector<std::string> EpisodeRowsParams(const PendingRegistryRows& rows) {
  std::vector<std::string> columns[8];
  for (const auto& [id, row] : rows.episodes) {
    const auto& [kind, e] = row;
    columns[0].push_back(e.id);
    columns[1].push_back(kind);
    columns[2].push_back(e.patient_id);
    columns[3].push_back(e.unit_id);
    columns[4].push_back(std::string(EpisodeStatusName(e.status)));
    columns[5].push_back(DaysParam(e.period.start));
    columns[6].push_back(DaysParam(e.period.end));
    columns[7].push_back(DaysParam(e.sip));
  }
  return TextArrayLiterals(columns);
}

std::string ContactRowsUpsertSql(int first) {
  const std::string rows = "SELECT i, p, r::smallint, pr, mu, s, " + DateIn("f") + ", " + DateIn("t") +
                           ", br, er FROM unnest(" + TextArrayParams(first, 10) +
                           ") AS x(i, p, r, pr, mu, s, f, t, br, er)";
  return "INSERT INTO registry_contact (careteam_id, patient_id, role_code, practitioner_role_id, "
         "managing_unit_id, status, valid_from, valid_to, begin_reason, end_reason) " +
         rows +
         " ON CONFLICT (careteam_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, "
         "role_code = EXCLUDED.role_code, practitioner_role_id = EXCLUDED.practitioner_role_id, "
         "managing_unit_id = EXCLUDED.managing_unit_id, status = EXCLUDED.status, "
         "valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, "
         "begin_reason = EXCLUDED.begin_reason, end_reason = EXCLUDED.end_reason";
}

std::vector<std::string> ContactRowsParams(const PendingRegistryRows& rows) {
  std::vector<std::string> columns[10];
  for (const auto& [id, c] : rows.contacts) {
    columns[0].push_back(c.id);
    columns[1].push_back(c.patient_id);
    columns[2].push_back(std::to_string(static_cast<int>(c.role)));
    columns[3].push_back(c.practitioner_role_id);
    columns[4].push_back(c.managing_unit_id);
    columns[5].push_back(std::string(ContactStatusName(c.status)));
    columns[6].push_back(DaysParam(c.period.start));
    columns[7].push_back(DaysParam(c.period.end));
    columns[8].push_back(c.begin_reason);
    columns[9].push_back(c.end_reason);
  }
  return TextArrayLiterals(columns);
}

void PgRegistry::FlushPending() {
  if (pending_.empty()) return;
  WriteTogether(tx_, TakePending(), {}, {});
}

PendingRegistryRows PgRegistry::TakePending() {
  PendingRegistryRows taken = std::move(pending_);
  pending_ = PendingRegistryRows();
  return taken;
}

void PgRegistry::PutEpisodeRow(const char* kind, const EpisodeFacts& facts) {
  ForgetPatientRows();  // the episode may also have moved from another patient, or changed kind
  pending_.episodes[facts.id] = {kind, facts};
  if (!defer_row_writes_) FlushPending();
}

std::optional<std::optional<EpisodeFacts>> PgRegistry::PendingEpisode(const char* kind, const std::string& id) const {
  const auto found = pending_.episodes.find(id);
  if (found == pending_.episodes.end()) return std::nullopt;
  if (found->second.first != kind) return std::optional<EpisodeFacts>();
  return std::optional<EpisodeFacts>(found->second.second);
}

std::optional<PatientFacts> PgRegistry::LockPatient(const std::string& patient_id) {
  // From here until commit every listing, residency and contact change of this patient waits for
  // us (registry_store.h), so its rows can be read once and kept. Rows remembered from before the
  // lock (ReadPatientWithRows) may be older than the lock: read again.
  if (locked_patients_.count(patient_id) || !pending_.empty()) {
    // Locked before, or rows of this transaction not yet sent: the lock alone, the rows when asked
    // (KnownPatientRows sends the pending rows first, so they are among those read).
    const auto rows =
        Prepared(tx_, "nara_reg_lock_patient",
                 "SELECT " + kPatientColumns + " FROM registry_patient WHERE patient_id = $1 FOR UPDATE", patient_id);
    if (rows.empty()) return std::nullopt;
    if (!locked_patients_.count(patient_id)) patient_rows_.erase(patient_id);
    locked_patients_.insert(patient_id);
    return PatientFrom(rows[0]);
  }
  // The lock and, read after it, the rows a change of this patient goes on to look at: one round trip.
  const auto rows = Prepared(tx_, "nara_reg_lock_patient_with_rows",
                             "SELECT * FROM registry_lock_patient($1) ORDER BY 1, 6, 2", patient_id);
  std::optional<PatientFacts> patient;
  for (const auto& r : rows) {
    if (r[0].as<std::string>() == "patient") patient = PatientFrom(r, 1, 12);  // (schema/0019's columns)
  }
  if (!patient) return std::nullopt;
  locked_patients_.insert(patient_id);
  KeepLockedRows(patient_id, rows);
  return patient;
}

std::vector<std::string> PgRegistry::ProtectedAmong(const std::vector<std::string>& patient_ids) {
  if (patient_ids.empty()) return {};
  // All known from ReadPatientWithRows: no round trip.
  if (std::all_of(patient_ids.begin(), patient_ids.end(), [&](const std::string& id) { return known_protected_.count(id); })) {
    std::vector<std::string> found;
    for (const auto& id : patient_ids) {
      if (known_protected_[id]) found.push_back(id);
    }
    return found;
  }
  // One round trip for a whole page. FHIR ids ([A-Za-z0-9.-]) never hold a comma.
  std::string joined;
  for (const auto& id : patient_ids) joined += (joined.empty() ? "" : ",") + id;
  const auto rows = Prepared(tx_, "nara_reg_protected_among",
      "SELECT patient_id FROM registry_patient WHERE protected AND patient_id = ANY(string_to_array($1, ','))",
      joined);
  std::vector<std::string> found;
  for (const auto& row : rows) found.push_back(row[0].as<std::string>());
  return found;
}

std::optional<RoleFacts> PgRegistry::LockRole(const std::string& role_id) {
  const auto rows = Prepared(tx_, "nara_reg_lock_role",
      std::string("SELECT ") + kRoleColumns + " FROM registry_role r WHERE r.role_id = $1 FOR UPDATE", role_id);
  if (rows.empty()) return std::nullopt;
  return RoleFrom(rows[0]);
}

bool PgRegistry::LockRoleToFree(const std::string& role_id) {
  // One round trip: the FOR SHARE lock, then the look at the queue in a statement of its own (the
  // function's), and the lock given back when it has to become FOR UPDATE (the why is with the SQL).
  const auto rows = Prepared(tx_, "nara_reg_lock_role_to_free", "SELECT registry_lock_role_to_free($1)", role_id);
  return rows[0][0].as<bool>();
}

std::optional<UnitFacts> PgRegistry::Unit(const std::string& unit_id) {
  if (auto known = units_.find(unit_id); known != units_.end()) return known->second;
  // The unit and the units above it: an access decision walks partOf up to the region next. Bounded
  // like that walk (fhir/http/access.cpp), so a cycle written by mistake ends.
  const auto rows = Prepared(tx_, "nara_reg_unit_chain",
      "WITH RECURSIVE chain AS ("
      " SELECT unit_id, hsa_id, name, type, part_of, kommun, serves_saebo, active, 1 AS depth FROM registry_unit"
      " WHERE unit_id = $1"
      " UNION ALL SELECT u.unit_id, u.hsa_id, u.name, u.type, u.part_of, u.kommun, u.serves_saebo, u.active,"
      " c.depth + 1 FROM chain c JOIN registry_unit u ON u.unit_id = c.part_of WHERE c.depth < 12 AND c.part_of <> '')"
      " SELECT unit_id, hsa_id, name, type, part_of, kommun, serves_saebo, active FROM chain ORDER BY depth",
      unit_id);
  units_[unit_id] = std::nullopt;
  for (const auto& r : rows) {
    UnitFacts u;
    u.id = r[0].as<std::string>();
    u.hsa_id = r[1].as<std::string>();
    u.name = r[2].as<std::string>();
    u.type = UnitTypeFromName(r[3].as<std::string>()).value_or(UnitType::other);
    u.part_of = r[4].as<std::string>();
    u.kommun = r[5].as<std::string>();
    u.serves_saebo = TextArray(r[6]);
    u.active = r[7].as<bool>();
    units_[u.id] = std::move(u);
  }
  return units_[unit_id];
}

std::optional<RoleFacts> PgRegistry::Role(const std::string& role_id) {
  const auto rows =
      Prepared(tx_, "nara_reg_role",
          std::string("SELECT ") + kRoleColumns + " FROM registry_role r WHERE r.role_id = $1", role_id);
  if (rows.empty()) return std::nullopt;
  return RoleFrom(rows[0]);
}

namespace {

// Patients' episodes and contacts (and, asked for, requested waiting-list entries) in one row shape:
// (kind, id, patient, unit or role, status, from, to, role code, managing unit, begin reason, end
// reason, SIP date), schema/0019_patient_rows.sql's registry_patient_rows, which the planner inlines.
// Ordered as the single-kind queries give them (kind, then from, then id) by each caller. Adds one
// such row to out.
void AddPatientRow(const pqxx::row& r, const std::string& kind, PgRegistry::PatientRows& out) {
  if (kind == "contact") {
    ContactFacts c;
    c.id = r[1].as<std::string>();
    c.patient_id = r[2].as<std::string>();
    c.practitioner_role_id = r[3].as<std::string>();
    c.status = ContactStatusFromName(r[4].as<std::string>()).value_or(ContactStatus::other);
    c.period.start = Date::FromDays(r[5].as<int>());
    c.period.end = OptionalDate(r[6]);
    c.role = static_cast<ContactRole>(r[7].as<int>());
    c.managing_unit_id = r[8].as<std::string>();
    c.begin_reason = r[9].as<std::string>();
    c.end_reason = r[10].as<std::string>();
    out.contacts.push_back(std::move(c));
    return;
  }
  EpisodeFacts e;
  e.id = r[1].as<std::string>();
  e.patient_id = r[2].as<std::string>();
  e.unit_id = r[3].as<std::string>();
  e.status = EpisodeStatusFromName(r[4].as<std::string>()).value_or(EpisodeStatus::other);
  e.period.start = Date::FromDays(r[5].as<int>());
  e.period.end = OptionalDate(r[6]);
  e.sip = OptionalDate(r[11]);
  (kind == kListing ? out.listings : kind == kHomeCare ? out.home_care : out.residencies).push_back(std::move(e));
}

}  // namespace

const PgRegistry::PatientRows* PgRegistry::KnownPatientRows(const std::string& patient_id) {
  if (auto known = patient_rows_.find(patient_id); known != patient_rows_.end()) return &known->second;
  if (!locked_patients_.count(patient_id)) return nullptr;
  // With the patient's requested waiting-list entries, which a change of listing looks for (to cancel
  // a place in line elsewhere): one round trip less than asking WaitingOfPatient apart.
  FlushPending();
  KeepLockedRows(patient_id,
                 Prepared(tx_, "nara_reg_locked_patient_rows",
                          "SELECT * FROM registry_patient_rows(ARRAY[$1::text], true) ORDER BY 1, 6, 2", patient_id));
  return &patient_rows_[patient_id];
}

void PgRegistry::KeepLockedRows(const std::string& patient_id, const pqxx::result& rows) {
  PatientRows& out = patient_rows_[patient_id];
  out = PatientRows();
  std::vector<QueueEntry>& waiting = locked_waiting_[patient_id];
  waiting.clear();
  for (const auto& r : rows) {
    const std::string kind = r[0].as<std::string>();
    if (kind == "waiting") {
      waiting.push_back(WaitingFromPatientRow(r));
    } else if (kind != "patient") {
      AddPatientRow(r, kind, out);
    }
  }
}

std::optional<StoredResource> PgRegistry::ReadPatientWithRows(const std::string& patient_id) {
  // registry_patient_rows's rows, then the patient's protection ('patient') and its current version
  // ('resource') padded to the same shape with five more columns (12 to 16): version, deleted, body,
  // updated, protected.
  static const std::string sql =
      "SELECT *, NULL::int, NULL::boolean, NULL::text, NULL::text, NULL::boolean FROM "
      "registry_patient_rows(ARRAY[$1::text], false) UNION ALL SELECT 'patient', patient_id, '', '', '', NULL, NULL, "
      "NULL, '', '', '', NULL, NULL, NULL, "
      "NULL, NULL, protected FROM registry_patient WHERE patient_id = $1"
      " UNION ALL SELECT 'resource', c.res_id, '', '', '', NULL, NULL, NULL, '', '', '', NULL, c.version, c.deleted, "
      "v.body, " +
      Rfc3339Sql("v.last_updated") +
      ", NULL "
      "FROM resource_current c JOIN resource_version v USING (res_type, res_id, version) "
      "WHERE c.res_type = 'Patient' AND c.res_id = $1 ORDER BY 1, 6, 2";
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_patient_with_rows", sql, patient_id);
  std::optional<StoredResource> resource;
  PatientRows facts;
  bool is_protected = false;
  for (const auto& r : rows) {
    const std::string kind = r[0].as<std::string>();
    if (kind == "resource") {
      resource.emplace();
      resource->type = "Patient";
      resource->id = r[1].as<std::string>();
      resource->version = r[12].as<int>();
      resource->deleted = r[13].as<bool>();
      resource->json = r[14].is_null() ? std::string() : r[14].as<std::string>();
      resource->last_updated = r[15].as<std::string>();
    } else if (kind == "patient") {
      is_protected = r[16].as<bool>();
    } else {
      AddPatientRow(r, kind, facts);
    }
  }
  Remember(patient_id, std::move(facts), is_protected);
  return resource;
}

void PgRegistry::Remember(const std::string& patient_id, PatientRows rows, bool is_protected) {
  // A locked patient's rows are read after its lock (KnownPatientRows); these may be older.
  if (locked_patients_.count(patient_id)) return;
  patient_rows_[patient_id] = std::move(rows);
  known_protected_[patient_id] = is_protected;
}

void PgRegistry::Prefetch(const std::vector<std::string>& patient_ids) {
  std::string joined;  // FHIR ids ([A-Za-z0-9.-]) never hold a comma
  for (const auto& id : patient_ids) {
    if (patient_rows_.count(id) || locked_patients_.count(id)) continue;
    joined += (joined.empty() ? "" : ",") + id;
  }
  if (joined.empty()) return;
  // The patients' rows, and a 'patient' row each with protection as the role-code column (0/1).
  static const std::string sql =
      "SELECT * FROM registry_patient_rows(string_to_array($1, ','), false)"
      " UNION ALL SELECT 'patient', patient_id, patient_id, '', '', NULL, NULL, protected::int::smallint, '', '', '', "
      "NULL "
      "FROM registry_patient WHERE patient_id = ANY(string_to_array($1, ',')) ORDER BY 1, 6, 2";
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_prefetch_patients", sql, joined);
  std::map<std::string, PatientRows> facts;
  std::map<std::string, bool> is_protected;
  for (const auto& r : rows) {
    const std::string kind = r[0].as<std::string>();
    const std::string patient = r[2].as<std::string>();
    if (kind == "patient") {
      is_protected[patient] = r[7].as<int>() != 0;
      facts[patient];  // a patient with no episode or contact still has (empty) rows
    } else {
      AddPatientRow(r, kind, facts[patient]);
    }
  }
  // A patient id with no registry row at all: no facts, not protected (as the single reads say).
  for (auto& [patient, rows_of] : facts) Remember(patient, std::move(rows_of), is_protected[patient]);
}

std::vector<EpisodeFacts> PgRegistry::Listings(const std::string& patient_id) {
  if (const auto* known = KnownPatientRows(patient_id)) return known->listings;
  FlushPending();
  return EpisodesOf(tx_, kListing, patient_id);
}

std::vector<EpisodeFacts> PgRegistry::Residencies(const std::string& patient_id) {
  if (const auto* known = KnownPatientRows(patient_id)) return known->residencies;
  FlushPending();
  return EpisodesOf(tx_, kResidency, patient_id);
}

std::vector<EpisodeFacts> PgRegistry::HomeCare(const std::string& patient_id) {
  if (const auto* known = KnownPatientRows(patient_id)) return known->home_care;
  FlushPending();
  return EpisodesOf(tx_, kHomeCare, patient_id);
}

std::vector<ContactFacts> PgRegistry::Contacts(const std::string& patient_id) {
  if (const auto* known = KnownPatientRows(patient_id)) return known->contacts;
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_contacts_of",
      "SELECT " + kContactColumns + " FROM registry_contact WHERE patient_id = $1 ORDER BY valid_from, careteam_id",
      patient_id);
  std::vector<ContactFacts> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(ContactFrom(row));
  return out;
}

namespace {

// The row with this id among rows already read, if any.
template <typename Facts>
const Facts* FindById(const std::vector<Facts>& rows, const std::string& id) {
  for (const auto& row : rows) {
    if (row.id == id) return &row;
  }
  return nullptr;
}

}  // namespace

// By id: a row put in this transaction and not yet sent, or a row of a locked patient already read,
// answers without a query (an update of the patient's own episode or contact); any other id is looked
// up, which pending rows cannot change (they hold other ids).
std::optional<EpisodeFacts> PgRegistry::Listing(const std::string& episode_id) {
  if (auto pending = PendingEpisode(kListing, episode_id)) return *pending;
  for (const auto& [patient, rows] : patient_rows_) {
    if (const auto* found = FindById(rows.listings, episode_id)) return *found;
  }
  return EpisodeById(tx_, kListing, episode_id);
}

std::optional<EpisodeFacts> PgRegistry::Residency(const std::string& episode_id) {
  if (auto pending = PendingEpisode(kResidency, episode_id)) return *pending;
  for (const auto& [patient, rows] : patient_rows_) {
    if (const auto* found = FindById(rows.residencies, episode_id)) return *found;
  }
  return EpisodeById(tx_, kResidency, episode_id);
}

std::optional<EpisodeFacts> PgRegistry::HomeCareEpisode(const std::string& episode_id) {
  if (auto pending = PendingEpisode(kHomeCare, episode_id)) return *pending;
  for (const auto& [patient, rows] : patient_rows_) {
    if (const auto* found = FindById(rows.home_care, episode_id)) return *found;
  }
  return EpisodeById(tx_, kHomeCare, episode_id);
}

std::optional<ContactFacts> PgRegistry::Contact(const std::string& careteam_id) {
  if (auto pending = pending_.contacts.find(careteam_id); pending != pending_.contacts.end()) return pending->second;
  for (const auto& [patient, rows] : patient_rows_) {
    if (const auto* found = FindById(rows.contacts, careteam_id)) return *found;
  }
  const auto rows =
      Prepared(tx_, "nara_reg_contact_by_id",
          "SELECT " + kContactColumns + " FROM registry_contact WHERE careteam_id = $1", careteam_id);
  if (rows.empty()) return std::nullopt;
  return ContactFrom(rows[0]);
}


// In force on `on` or starting later (see the port): the places a doctor has given away.
std::string TakenPlace(const char* alias, const std::string& date) {
  const std::string a(alias);
  return a + ".role_code = 2 AND " + a + ".status = 'active' AND (" + a + ".valid_to IS NULL OR (" + a +
         ".valid_to > " + date + " AND " + a + ".valid_to > " + a + ".valid_from))";
}

int PgRegistry::CountDoctorContacts(const std::string& role_id, Date on) {
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_count_doctor_contacts",
      "SELECT count(*) FROM registry_contact c WHERE c.practitioner_role_id = $1 AND " + TakenPlace("c", DateIn("$2")),
      role_id, DaysParam(on));
  return rows[0][0].as<int>();
}

std::vector<std::pair<RoleFacts, int>> PgRegistry::DoctorLoadsAtUnit(const std::string& unit_id, Date on) {
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_doctor_loads_at_unit",
      std::string("SELECT ") + kRoleColumns + ", count(c.careteam_id) FROM registry_role r "
      "LEFT JOIN registry_contact c ON c.practitioner_role_id = r.role_id AND " + TakenPlace("c", DateIn("$2")) + " "
      "WHERE r.unit_id = $1 AND r.active AND r.profession = 'lakare' "
      "GROUP BY r.role_id ORDER BY r.role_id",
      unit_id, DaysParam(on));
  std::vector<std::pair<RoleFacts, int>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.emplace_back(RoleFrom(row), row[7].as<int>());
  return out;
}

std::vector<std::pair<RoleFacts, int>> PgRegistry::AllDoctorLoads(Date on) {
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_all_doctor_loads",
      std::string("SELECT ") + kRoleColumns + ", count(c.careteam_id) FROM registry_role r "
      "LEFT JOIN registry_contact c ON c.practitioner_role_id = r.role_id AND " + TakenPlace("c", DateIn("$1")) + " "
      "WHERE r.active AND r.profession = 'lakare' GROUP BY r.role_id ORDER BY r.role_id",
      DaysParam(on));
  std::vector<std::pair<RoleFacts, int>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.emplace_back(RoleFrom(row), row[7].as<int>());
  return out;
}

// As of a date, the period decides: a listing finished since then was in force on it. Only what
// never happened (cancelled, entered in error) is left out.
long PgRegistry::CountListingsAtUnit(const std::string& unit_id, Date on) {
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_count_listings_at_unit",
      "SELECT count(*) FROM registry_listing WHERE unit_id = $1 AND kind = 'listning' "
      "AND status IN ('active', 'finished') AND period @> " + DateIn("$2"),
      unit_id, DaysParam(on));
  return rows[0][0].as<long>();
}

std::string PatientsOfDoctorSql(const std::string& role_param, const std::string& days_param) {
  return "SELECT patient_id FROM registry_contact WHERE practitioner_role_id = " + role_param +
         " AND role_code = 2 AND status = 'active' AND period @> " + DateIn(days_param);
}

std::string PatientsListedAtSql(const std::string& unit_param, const std::string& days_param) {
  return "SELECT patient_id FROM registry_listing WHERE unit_id = " + unit_param +
         " AND kind = 'listning' AND status = 'active' AND period @> " + DateIn(days_param);
}

std::vector<std::string> PgRegistry::PatientsOfDoctor(const std::string& role_id, Date on) {
  // Exactly what the search finds (pg/internal/search_sql.cpp): live Patients, in their id order.
  static const std::string sql = "SELECT c.res_id FROM resource_current c WHERE c.res_type = 'Patient' AND NOT "
                                 "c.deleted AND c.res_id IN (" + PatientsOfDoctorSql("$1", "$2") + ") ORDER BY c.res_id";
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_patients_of_doctor", sql, role_id, DaysParam(on));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<std::string> PgRegistry::PatientsListedAt(const std::string& unit_id, Date on) {
  static const std::string sql = "SELECT DISTINCT patient_id FROM (" + PatientsListedAtSql("$1", "$2") +
                                 ") p ORDER BY patient_id";
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_patients_listed_at", sql, unit_id, DaysParam(on));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(row[0].as<std::string>());
  return out;
}

int PgRegistry::CountDoctorContactsOn(const std::string& role_id, Date on) {
  // An inactive contact counts for the dates its period covers; one made inactive without an end
  // date never ran as far as the registry can tell.
  FlushPending();
  const auto rows = Prepared(tx_, "nara_reg_count_doctor_contacts_on",
      "SELECT count(*) FROM registry_contact WHERE practitioner_role_id = $1 AND role_code = 2 "
      "AND (status = 'active' OR (status = 'inactive' AND valid_to IS NOT NULL)) AND period @> " + DateIn("$2"),
      role_id, DaysParam(on));
  return rows[0][0].as<int>();
}

void PgRegistry::PutPatient(const PatientFacts& p) {
  known_protected_.erase(p.id);
  Prepared(tx_, "nara_reg_put_patient",
      "INSERT INTO registry_patient (patient_id, deceased, birth_date, gender, kommun, protected) "
      "VALUES ($1, " + DateIn("$2") + ", " + DateIn("$3") + ", $4, $5, $6) "
      "ON CONFLICT (patient_id) DO UPDATE SET deceased = EXCLUDED.deceased, "
      "birth_date = EXCLUDED.birth_date, gender = EXCLUDED.gender, kommun = EXCLUDED.kommun, "
      "protected = EXCLUDED.protected",
      p.id, DaysParam(p.deceased), DaysParam(p.birth_date), p.gender, p.kommun, p.is_protected);
}

void PgRegistry::PutUnit(const UnitFacts& u) {
  units_.clear();  // a unit's row and every chain through it
  // serves_saebo as ARRAY[$9, $10, ...]: one bind parameter per element, nothing spliced.
  std::vector<std::string> params = {u.id,     u.hsa_id, u.name,   UnitTypeName(u.type),
                                     u.part_of, u.kommun, u.active ? "true" : "false"};
  std::string array = "ARRAY[";
  for (size_t i = 0; i < u.serves_saebo.size(); ++i) {
    params.push_back(u.serves_saebo[i]);
    array += (i ? ", $" : "$") + std::to_string(params.size());
  }
  array += "]::text[]";
  tx_.exec_params("INSERT INTO registry_unit (unit_id, hsa_id, name, type, part_of, kommun, active, serves_saebo) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7::boolean, " + array + ") "
                  "ON CONFLICT (unit_id) DO UPDATE SET hsa_id = EXCLUDED.hsa_id, name = EXCLUDED.name, "
                  "type = EXCLUDED.type, part_of = EXCLUDED.part_of, kommun = EXCLUDED.kommun, "
                  "active = EXCLUDED.active, serves_saebo = EXCLUDED.serves_saebo",
                  make_dynamic_params(params));
}

void PgRegistry::PutRole(const RoleFacts& r) {
  Prepared(tx_, "nara_reg_put_role",
      "INSERT INTO registry_role (role_id, practitioner_id, unit_id, profession, active, fte, capacity) "
      "VALUES ($1, $2, $3, $4, $5, $6::float8, $7) "
      "ON CONFLICT (role_id) DO UPDATE SET practitioner_id = EXCLUDED.practitioner_id, "
      "unit_id = EXCLUDED.unit_id, profession = EXCLUDED.profession, active = EXCLUDED.active, "
      "fte = EXCLUDED.fte, capacity = EXCLUDED.capacity",
      r.id, r.practitioner_id, r.unit_id, r.profession, r.active, r.fte, r.capacity);
}

void PgRegistry::PutListing(const EpisodeFacts& facts) { PutEpisodeRow(kListing, facts); }
void PgRegistry::PutResidency(const EpisodeFacts& facts) { PutEpisodeRow(kResidency, facts); }
void PgRegistry::PutHomeCare(const EpisodeFacts& facts) { PutEpisodeRow(kHomeCare, facts); }

void PgRegistry::PutContact(const ContactFacts& c) {
  ForgetPatientRows();
  pending_.contacts[c.id] = c;
  if (!defer_row_writes_) FlushPending();
}

void PgRegistry::PutVisit(const VisitFacts& v) {
  Prepared(tx_, "nara_reg_put_visit",
      "INSERT INTO registry_visit (encounter_id, patient_id, unit_id, practitioner_role_id, class, status, visit_date) "
      "VALUES ($1, $2, $3, $4, $5, $6, " + DateIn("$7") + ") "
      "ON CONFLICT (encounter_id) DO UPDATE SET patient_id = EXCLUDED.patient_id, unit_id = EXCLUDED.unit_id, "
      "practitioner_role_id = EXCLUDED.practitioner_role_id, class = EXCLUDED.class, status = EXCLUDED.status, "
      "visit_date = EXCLUDED.visit_date",
      v.id, v.patient_id, v.unit_id, v.practitioner_role_id, std::string(VisitClassName(v.visit_class)), v.status,
      DaysParam(v.date));
}

void PgRegistry::Remove(const std::string& fhir_type, const std::string& id) {
  FlushPending();  // a row put before its removal must not come back with the transaction's end
  units_.clear();
  ForgetPatientRows();
  locked_waiting_.clear();
  const char* sql = nullptr;
  if (fhir_type == "Patient") {
    sql = "DELETE FROM registry_patient WHERE patient_id = $1";
  } else if (fhir_type == "Organization") {
    sql = "DELETE FROM registry_unit WHERE unit_id = $1";
  } else if (fhir_type == "PractitionerRole") {
    sql = "DELETE FROM registry_role WHERE role_id = $1";
  } else if (fhir_type == "EpisodeOfCare") {
    sql = "DELETE FROM registry_listing WHERE episode_id = $1";
  } else if (fhir_type == "CareTeam") {
    sql = "DELETE FROM registry_contact WHERE careteam_id = $1";
  } else if (fhir_type == "Task") {
    sql = "DELETE FROM registry_waitlist WHERE task_id = $1";
  } else if (fhir_type == "Encounter") {
    sql = "DELETE FROM registry_visit WHERE encounter_id = $1";
  }
  if (sql != nullptr) Prepared(tx_, "nara_reg_remove_" + fhir_type, sql, id);
}

}  // namespace nara::pg
