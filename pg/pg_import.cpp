#include "pg/pg_import.h"

#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <vector>

#include "pg/pg_audit.h"
#include "pg/internal/pg_import_checks.h"

namespace nara::pg {
namespace {

// COPY text format (PostgreSQL docs, COPY "Text Format"): tab-separated, \N for NULL, and a
// backslash, tab, newline or carriage return inside a value escaped with a backslash.
// Runs without a special character are appended whole: this is the import's hottest loop (every byte
// of every stored JSON body passes here).
void Field(std::string& out, std::string_view value) {
  size_t run = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(value.data() + run, i - run);
    out += '\\';
    out += c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    run = i + 1;
  }
  out.append(value.data() + run, value.size() - run);
}

constexpr const char* kNull = "\\N";

std::string DateText(const std::optional<Date>& d) { return d ? d->ToString() : kNull; }

// tstzrange literal; an empty bound is unbounded (an open period), as in PgTransaction::InsertIndexes.
std::string RangeText(const IndexEntries::PeriodRange& p) {
  std::string text = p.start.empty() ? "(" : "[\"" + p.start + "\"";
  text += ",";
  text += p.end.empty() ? ")" : "\"" + p.end + "\")";
  return text;
}

// One table's rows in COPY text format, spooled to a file until Commit().
struct Spool {
  Spool(std::string t, std::vector<std::string> c) : table(std::move(t)), columns(std::move(c)) {}
  std::string table;
  std::vector<std::string> columns;
  std::string path;
  std::ofstream file;
  long rows = 0;
  std::string line;  // reused row buffer

  // Appends the fields of one row; a value that is exactly kNull is NULL (no stored value ever is: ids,
  // codes, dates and whole JSON objects), the rest escaped.
  void Row(std::initializer_list<std::string_view> values) {
    line.clear();
    bool first = true;
    for (std::string_view v : values) {
      if (!first) line += '\t';
      first = false;
      if (v == kNull) line += kNull;
      else Field(line, v);
    }
    line += '\n';
    file.write(line.data(), static_cast<std::streamsize>(line.size()));
    ++rows;
  }
};

}  // namespace

// Load order: the temp tables the identity checks need, then the stored resources and indexes.
struct PgImport::Spools {
  Spool line{"import_line", {"res_type", "res_id", "line"}};
  Spool unique{"import_unique", {"system", "value", "res_type", "res_id", "line"}};
  Spool current{"resource_current", {"res_type", "res_id", "version", "last_updated", "deleted"}};
  Spool version{"resource_version", {"res_type", "res_id", "version", "last_updated", "deleted", "body"}};
  Spool token{"search_token", {"res_type", "res_id", "param", "system", "code"}};
  Spool text{"search_text", {"res_type", "res_id", "param", "value", "normalized"}};
  Spool reference{"search_reference", {"res_type", "res_id", "param", "target_type", "target_id"}};
  Spool period{"search_period", {"res_type", "res_id", "param", "period"}};
  Spool patient{"registry_patient", {"patient_id", "deceased", "birth_date", "gender", "kommun", "protected"}};
  Spool unit{"registry_unit", {"unit_id", "hsa_id", "name", "type", "part_of", "kommun", "serves_saebo", "active"}};
  Spool role{"registry_role", {"role_id", "practitioner_id", "unit_id", "profession", "active", "fte", "capacity"}};
  Spool listing{"registry_listing",
                {"episode_id", "kind", "patient_id", "unit_id", "status", "valid_from", "valid_to", "sip_date"}};
  Spool contact{"registry_contact", {"careteam_id", "patient_id", "role_code", "practitioner_role_id",
                                     "managing_unit_id", "status", "valid_from", "valid_to", "begin_reason",
                                     "end_reason"}};
  Spool visit{"registry_visit", {"encounter_id", "patient_id", "unit_id", "practitioner_role_id", "class", "status",
                                 "visit_date"}};
  std::vector<Spool*> All() {
    return {&line, &unique, &current, &version, &token, &text, &reference, &period,
            &patient, &unit, &role, &listing, &contact, &visit};
  }
};

PgImport::PgImport(ImportOptions options) : options_(std::move(options)), spools_(new Spools) {
  for (Spool* spool : spools_->All()) {
    spool->path = options_.spool_dir + "/" + spool->table + ".copy";
    spool->file.open(spool->path, std::ios::binary | std::ios::trunc);
  }
}

PgImport::~PgImport() {
  for (Spool* spool : spools_->All()) {
    spool->file.close();
    std::remove(spool->path.c_str());
  }
}

Status PgImport::Add(const ImportRow& r) {
  Spools& s = *spools_;
  const std::string line = std::to_string(r.line);
  const std::string& ts = options_.last_updated;
  s.line.Row({r.type, r.id, line});
  s.current.Row({r.type, r.id, "1", ts, "f"});
  s.version.Row({r.type, r.id, "1", ts, "f", r.body});
  for (const auto& t : r.index.tokens) s.token.Row({r.type, r.id, t.param, t.system, t.code});
  for (const auto& t : r.index.texts) s.text.Row({r.type, r.id, t.param, t.value, t.normalized});
  for (const auto& t : r.index.references) s.reference.Row({r.type, r.id, t.param, t.target_type, t.target_id});
  for (const auto& p : r.index.periods) s.period.Row({r.type, r.id, p.param, RangeText(p)});
  for (const auto& u : r.index.unique) s.unique.Row({u.system, u.code, r.type, r.id, line});
  if (r.patient) {
    const auto& p = *r.patient;
    s.patient.Row({p.id, DateText(p.deceased), DateText(p.birth_date), p.gender, p.kommun, p.is_protected ? "t" : "f"});
  }
  if (r.unit) {
    const auto& u = *r.unit;
    std::string array = "{";
    for (size_t i = 0; i < u.serves_saebo.size(); ++i) array += (i ? ",\"" : "\"") + u.serves_saebo[i] + "\"";
    array += "}";
    s.unit.Row({u.id, u.hsa_id, u.name, UnitTypeName(u.type), u.part_of, u.kommun, array, u.active ? "t" : "f"});
  }
  if (r.role) {
    const auto& role = *r.role;
    char fte[32];
    std::snprintf(fte, sizeof fte, "%.6f", role.fte);
    s.role.Row({role.id, role.practitioner_id, role.unit_id, role.profession, role.active ? "t" : "f", fte,
                std::to_string(role.capacity)});
  }
  auto episode = [&](const EpisodeFacts& e, const char* kind) {
    s.listing.Row({e.id, kind, e.patient_id, e.unit_id, EpisodeStatusName(e.status), e.period.start.ToString(),
                   DateText(e.period.end), DateText(e.sip)});
  };
  if (r.listing) episode(*r.listing, "listning");
  if (r.residency) episode(*r.residency, "saebo");
  if (r.home_care) episode(*r.home_care, "hemsjukvard");
  if (r.contact) {
    const auto& c = *r.contact;
    s.contact.Row({c.id, c.patient_id, std::to_string(static_cast<int>(c.role)), c.practitioner_role_id,
                   c.managing_unit_id, ContactStatusName(c.status), c.period.start.ToString(), DateText(c.period.end),
                   c.begin_reason, c.end_reason});
  }
  if (r.visit) {
    const auto& v = *r.visit;
    s.visit.Row({v.id, v.patient_id, v.unit_id, v.practitioner_role_id, VisitClassName(v.visit_class), v.status,
                 v.date.ToString()});
  }
  ++counts_[r.type];
  if (!s.version.file) return Error::Unavailable("could not write the import spool in " + options_.spool_dir);
  return Ok();
}

namespace {

// Streams a spool file into its table: COPY data is a byte stream, so whole blocks of lines go in one
// write (write_raw_line adds the final newline of each block). libpqxx 6.4 keeps stream_to's raw
// write private; tablewriter has it public (deprecated there, removed in 7: revisit on upgrade).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void Load(pqxx::transaction_base& tx, Spool& spool) {
  spool.file.close();
  std::ifstream in(spool.path, std::ios::binary);
  pqxx::tablewriter copy(tx, spool.table, spool.columns.begin(), spool.columns.end());
  std::vector<char> block(1 << 20);
  std::string carry;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    carry.append(block.data(), static_cast<size_t>(got));
    const size_t last = carry.rfind('\n');
    if (last == std::string::npos) continue;
    copy.write_raw_line(carry.substr(0, last));
    carry.erase(0, last + 1);
  }
  if (!carry.empty()) copy.write_raw_line(carry);
  copy.complete();
}
#pragma GCC diagnostic pop

// A load larger than what a table already holds is faster with its secondary indexes built once
// afterwards (a sort) than maintained row by row: they are dropped before the COPY and created again
// from their own definitions after it, in the same transaction. Primary keys and unique constraints
// stay (they also guard the load). DROP INDEX locks the table until commit, so this happens only for
// a bulk load (an empty or small registry), never for a small import into a large, serving one.
std::vector<std::string> DropSecondaryIndexes(pqxx::transaction_base& tx, const Spool& spool) {
  const auto size = tx.exec_params(
      "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1)", spool.table);
  if (size.empty() || size[0][0].as<long>() > spool.rows) return {};
  const auto indexes = tx.exec_params(
      "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
      "WHERE i.indrelid = to_regclass($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
      "i.indexrelid)",
      spool.table);
  std::vector<std::string> definitions;
  for (const auto& row : indexes) {
    tx.exec0("DROP INDEX " + row[0].as<std::string>());
    definitions.push_back(row[1].as<std::string>());
  }
  return definitions;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<std::map<std::string, long>> PgImport::Commit() {
  Spools& s = *spools_;
  for (Spool* spool : s.All()) {
    spool->file.flush();
    if (!spool->file) return Error::Unavailable("could not write the import spool in " + options_.spool_dir);
  }
  ImportCheckOptions check_options{options_.max_changes_per_year, options_.check_capacity, options_.progress};
  auto phase = [&](const std::string& name, long rows, std::chrono::steady_clock::time_point start) {
    if (options_.progress) options_.progress(name, rows, Since(start));
  };
  try {
    pqxx::connection conn(options_.database_url);
    pqxx::work tx(conn);
    // The rule checks join millions of rows: hash joins in memory rather than spilled to disk.
    tx.exec0("SET LOCAL work_mem = '256MB'");
    tx.exec0("SET LOCAL maintenance_work_mem = '512MB'");
    // One '*' for the servers' Patient answer caches at commit instead of a notification per row
    // (schema/0014_patient_answer_feed.sql).
    tx.exec0("SET LOCAL nara.patient_feed = 'off'");
    tx.exec("SELECT pg_notify('nara_patient_changed', '*')");
    tx.exec0("CREATE TEMP TABLE import_line (res_type text NOT NULL, res_id text NOT NULL, line bigint NOT NULL) "
             "ON COMMIT DROP");
    tx.exec0("CREATE TEMP TABLE import_unique (system text NOT NULL, value text NOT NULL, res_type text NOT NULL, "
             "res_id text NOT NULL, line bigint NOT NULL) ON COMMIT DROP");
    for (Spool* spool : {&s.line, &s.unique}) {
      const auto start = std::chrono::steady_clock::now();
      Load(tx, *spool);
      phase("copy " + spool->table, spool->rows, start);
    }
    tx.exec0("CREATE INDEX ON import_line (res_type, res_id)");
    tx.exec0("CREATE INDEX ON import_line (line)");
    tx.exec0("ANALYZE import_line");
    tx.exec0("ANALYZE import_unique");
    if (auto error = CheckImportIdentities(tx, check_options)) return *error;
    for (Spool* spool : s.All()) {
      if (spool == &s.line || spool == &s.unique) continue;
      const auto start = std::chrono::steady_clock::now();
      const std::vector<std::string> rebuild = DropSecondaryIndexes(tx, *spool);
      Load(tx, *spool);
      for (const auto& definition : rebuild) tx.exec0(definition);
      phase("copy " + spool->table + (rebuild.empty() ? "" : " (indexes rebuilt)"), spool->rows, start);
    }
    {
      const auto start = std::chrono::steady_clock::now();
      tx.exec0("INSERT INTO unique_identifier (system, value, res_type, res_id) "
               "SELECT system, value, res_type, res_id FROM import_unique");
      tx.exec0("ANALYZE resource_current; ANALYZE search_reference; ANALYZE registry_patient; "
               "ANALYZE registry_unit; ANALYZE registry_role; ANALYZE registry_listing; ANALYZE registry_contact");
      phase("unique identifiers and statistics", s.unique.rows, start);
    }
    if (auto error = CheckImportRules(tx, check_options)) return *error;
    // One record for the whole import, in its transaction (a row per patient would double the load);
    // the patients' log extracts therefore do not list it: the administrator's log does.
    AuditRecord audit;
    audit.request_id = "import-" + options_.last_updated;
    audit.agent_role = "admin";
    audit.agent_name = "nara import (command line)";
    audit.action = "create";
    audit.outcome = "success";
    for (const auto& [type, count] : counts_) {
      audit.detail += (audit.detail.empty() ? "bulk import: " : ", ") + type + " " + std::to_string(count);
    }
    if (auto appended = InsertAudit(tx, audit); !appended) return appended.error();
    const auto start = std::chrono::steady_clock::now();
    tx.commit();
    phase("commit", 0, start);
  } catch (const pqxx::broken_connection& e) {
    return Error::Unavailable(std::string("database unavailable: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    return Error::Unavailable(std::string("import failed in the database: ") + e.what());
  }
  return counts_;
}

}  // namespace nara::pg
