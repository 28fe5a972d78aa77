#include "pg/pg_import.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <vector>

#include "pg/internal/index_values.h"
#include "pg/internal/pg_import_checks.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/row_values.h"
#include "pg/pg_audit.h"

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

// One table's rows in COPY text format: gathered until Seal(), then written by Send() into a COPY of
// the table, or, for the temporary tables the messages come from, appended to a spool file.
struct Rows {
  Rows(std::string t, std::vector<std::string> c) : table(std::move(t)), columns(std::move(c)) {}
  std::string table;
  std::vector<std::string> columns;
  std::string text;      // rows of the batch being built, each ending in a newline
  std::string sealed;    // rows of the sealed batch, for Send()
  long rows = 0;         // every row added
  long sealed_rows = 0;  // every row up to the sealed batch
  double seconds = 0;    // spent in the COPY of this table
  std::string path;      // a spooled table's file (Commit() loads it)
  std::ofstream file;

  // Appends the fields of one row; a value that is exactly kNull is NULL (no stored value ever is: ids,
  // codes, dates and whole JSON objects), the rest escaped.
  void Row(std::initializer_list<std::string_view> values) {
    bool first = true;
    for (std::string_view v : values) {
      if (!first) text += '\t';
      first = false;
      if (v == kNull) text += kNull;
      else Field(text, v);
    }
    text += '\n';
    ++rows;
  }
};

// COPY data is a byte stream: blocks of whole lines go in one write each (write_raw_line adds the
// final newline of a block). libpqxx 6.4 keeps stream_to's raw write private; tablewriter has it
// public (deprecated there, removed in 7: revisit on upgrade).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void WriteLines(pqxx::tablewriter& copy, std::string_view text) {
  constexpr size_t kBlock = 1 << 20;
  while (!text.empty()) {
    size_t end = text.size() - 1;  // the newline ending the last line
    if (text.size() > kBlock) end = text.rfind('\n', kBlock);
    if (end == std::string_view::npos) end = text.find('\n');
    copy.write_raw_line(std::string(text.substr(0, end)));
    text.remove_prefix(end + 1);
  }
}

void Copy(pqxx::transaction_base& tx, const std::string& table, const std::vector<std::string>& columns,
          std::string_view text) {
  pqxx::tablewriter copy(tx, table, columns.begin(), columns.end());
  WriteLines(copy, text);
  copy.complete();
}

// Loads a spool file into its table, a megabyte at a time.
void CopySpool(pqxx::transaction_base& tx, Rows& spool) {
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
    WriteLines(copy, std::string_view(carry).substr(0, last + 1));
    carry.erase(0, last + 1);
  }
  if (!carry.empty()) WriteLines(copy, carry + "\n");
  copy.complete();
}
#pragma GCC diagnostic pop

// A load larger than what a table already holds is faster with its secondary indexes built once
// afterwards (a sort) than maintained row by row: they are dropped before the first COPY and created
// again from their own definitions in Commit(), in the same transaction. Primary keys and unique
// constraints stay (they also guard the load). DROP INDEX locks the table until commit, so this
// happens only for a bulk load (an empty or small registry), never for a small import into a large,
// serving one. `expected` is the rows the whole file is expected to bring to the table.
std::vector<std::string> DropSecondaryIndexes(pqxx::transaction_base& tx, const std::string& table, double expected) {
  const auto size = tx.exec_params(
      "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass($1)", table);
  if (size.empty() || static_cast<double>(size[0][0].as<long>()) > expected) return {};
  const auto indexes = tx.exec_params(
      "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
      "WHERE i.indrelid = to_regclass($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
      "i.indexrelid)",
      table);
  std::vector<std::string> definitions;
  for (const auto& row : indexes) {
    tx.exec0("DROP INDEX " + row[0].as<std::string>());
    definitions.push_back(row[1].as<std::string>());
  }
  return definitions;
}

// The rule checks join millions of rows: hash joins in memory rather than spilled to disk; the index
// rebuilds sort in memory too.
void UseImportMemory(pqxx::transaction_base& tx) {
  tx.exec0("SET LOCAL work_mem = '256MB'");
  tx.exec0("SET LOCAL maintenance_work_mem = '512MB'");
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Every line's type and id and its unique identifiers go to temporary tables (spooled, loaded by
// Commit()) for the messages; the rest straight into the registry's tables.
struct PgImport::Spools {
  Rows line{"import_line", {"res_type", "res_id", "line"}};
  Rows unique{"import_unique", {"system", "value", "res_type", "res_id", "line"}};
  Rows current{"resource_current",
               {"res_type", "res_id", "version", "last_updated", "deleted", "index_digests", "index_digests_version",
                "row_token_system", "row_token_code", "row_period", "row_values_version"}};
  Rows version{"resource_version", {"res_type", "res_id", "version", "last_updated", "deleted", "body"}};
  Rows identifier{"unique_identifier", {"system", "value", "res_type", "res_id"}};
  Rows token{"search_token", {"res_type", "res_id", "param", "system", "code"}};
  Rows text{"search_text", {"res_type", "res_id", "param", "value", "normalized"}};
  Rows reference{"search_reference", {"res_type", "res_id", "param", "target_type", "target_id"}};
  Rows period{"search_period", {"res_type", "res_id", "param", "period"}};
  Rows patient{"registry_patient", {"patient_id", "deceased", "birth_date", "gender", "kommun", "protected"}};
  Rows unit{"registry_unit", {"unit_id", "hsa_id", "name", "type", "part_of", "kommun", "serves_saebo", "active"}};
  Rows role{"registry_role", {"role_id", "practitioner_id", "unit_id", "profession", "active", "fte", "capacity"}};
  Rows listing{"registry_listing",
               {"episode_id", "kind", "patient_id", "unit_id", "status", "valid_from", "valid_to", "sip_date"}};
  Rows contact{"registry_contact", {"careteam_id", "patient_id", "role_code", "practitioner_role_id",
                                    "managing_unit_id", "status", "valid_from", "valid_to", "begin_reason",
                                    "end_reason"}};
  Rows visit{"registry_visit", {"encounter_id", "patient_id", "unit_id", "practitioner_role_id", "class", "status",
                                "visit_date"}};
  std::vector<Rows*> Spooled() { return {&line, &unique}; }
  std::vector<Rows*> All() {
    return {&line, &unique, &current, &version, &identifier, &token, &text, &reference, &period,
            &patient, &unit, &role, &listing, &contact, &visit};
  }
  std::vector<Rows*> Tables() {
    return {&current, &version, &identifier, &token, &text, &reference, &period,
            &patient, &unit, &role, &listing, &contact, &visit};
  }
};

// The import's one transaction, opened by the first Send(). A failure of a COPY (the database refusing
// a row, or gone) is kept and raised by Commit(), so it is reported after every line has been
// validated, as the rules are; the rows that follow are not sent (the transaction is lost).
struct PgImport::Stream {
  explicit Stream(const std::string& url) : conn(url) { tx.emplace(conn); }
  pqxx::connection conn;
  std::optional<pqxx::work> tx;  // a refused load is followed by a second transaction (Commit())
  std::exception_ptr failed;
  std::vector<std::pair<std::string, std::vector<std::string>>> rebuild;  // table, index definitions
};

PgImport::PgImport(ImportOptions options) : options_(std::move(options)), spools_(new Spools) {
  for (Rows* spool : spools_->Spooled()) {
    spool->path = options_.spool_dir + "/" + spool->table + ".copy";
    spool->file.open(spool->path, std::ios::binary | std::ios::trunc);
  }
}

PgImport::~PgImport() {
  stream_.reset();  // rolls back, unless committed
  for (Rows* spool : spools_->Spooled()) {
    spool->file.close();
    std::remove(spool->path.c_str());
  }
}

Status PgImport::Add(const ImportRow& r) {
  Spools& s = *spools_;
  const std::string line = std::to_string(r.line);
  const std::string& ts = options_.last_updated;
  s.line.Row({r.type, r.id, line});
  // As a write (pg/internal/write_sql.h): the row values on the current row, the rest as index rows,
  // and what it records of them (pg/internal/index_values.h), so an imported resource's next version,
  // too, rewrites only the tables whose rows change.
  const SplitIndex split = SplitIndexOf(r.type, r.index);
  const RowValues& row = split.row;
  const bool has_token = row.on_row && !row.token_code.empty();
  const bool has_period = row.on_row && (!row.period_start.empty() || !row.period_end.empty());
  s.current.Row({r.type, r.id, "1", ts, "f", TextArrayLiteral(IndexDigests(IndexColumnsOf(split.rows()), row)), "1",
                 has_token ? row.token_system : kNull, has_token ? row.token_code : kNull,
                 has_period ? RangeText({"", row.period_start, row.period_end}) : kNull, row.on_row ? "1" : kNull});
  s.version.Row({r.type, r.id, "1", ts, "f", r.body});
  const IndexEntries& index = split.rows();
  for (const auto& t : index.tokens) s.token.Row({r.type, r.id, t.param, t.system, t.code});
  for (const auto& t : index.texts) s.text.Row({r.type, r.id, t.param, t.value, t.normalized});
  for (const auto& t : index.references) s.reference.Row({r.type, r.id, t.param, t.target_type, t.target_id});
  for (const auto& p : index.periods) s.period.Row({r.type, r.id, p.param, RangeText(p)});
  for (const auto& u : r.index.unique) {
    s.unique.Row({u.system, u.code, r.type, r.id, line});
    s.identifier.Row({u.system, u.code, r.type, r.id});
  }
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
  return Ok();
}

void PgImport::ExpectLines(long lines) { expected_lines_ = lines; }

Status PgImport::Start() {
  try {
    stream_ = std::make_unique<Stream>(options_.database_url);
    pqxx::work& tx = *stream_->tx;
    UseImportMemory(tx);
    // One '*' for the servers' Patient answer caches at commit instead of a notification per row
    // (schema/0014_patient_answer_feed.sql).
    tx.exec0("SET LOCAL nara.patient_feed = 'off'");
    tx.exec("SELECT pg_notify('nara_patient_changed', '*')");
    // The first rows tell how many each table gets per line; the file's expected lines scale them.
    Spools& s = *spools_;
    const double scale = std::max(1.0, static_cast<double>(expected_lines_) / std::max(1L, s.line.sealed_rows));
    for (Rows* table : s.Tables()) {
      auto definitions = DropSecondaryIndexes(tx, table->table, static_cast<double>(table->sealed_rows) * scale);
      if (!definitions.empty()) stream_->rebuild.emplace_back(table->table, std::move(definitions));
    }
  } catch (const pqxx::broken_connection& e) {
    stream_.reset();
    return Error::Unavailable(std::string("database unavailable: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    stream_.reset();
    return Error::Unavailable(std::string("import failed in the database: ") + e.what());
  }
  return Ok();
}

Status PgImport::Seal() {
  for (Rows* spool : spools_->Spooled()) {
    spool->file.write(spool->text.data(), static_cast<std::streamsize>(spool->text.size()));
    spool->text.clear();
    if (!spool->file) return Error::Unavailable("could not write the import spool in " + options_.spool_dir);
  }
  for (Rows* rows : spools_->All()) {
    std::swap(rows->text, rows->sealed);
    rows->text.clear();
    rows->sealed_rows = rows->rows;
  }
  return Ok();
}

Status PgImport::Send() {
  if (!stream_) NARA_RETURN_IF_ERROR(Start());
  for (Rows* table : spools_->Tables()) {
    if (!stream_->failed && !table->sealed.empty()) {
      const auto start = std::chrono::steady_clock::now();
      try {
        Copy(*stream_->tx, table->table, table->columns, table->sealed);
      } catch (const pqxx::failure&) {
        stream_->failed = std::current_exception();
      }
      table->seconds += Since(start);
    }
    table->sealed.clear();
  }
  return Ok();
}

Result<std::map<std::string, long>> PgImport::Commit() {
  NARA_RETURN_IF_ERROR(Seal());
  NARA_RETURN_IF_ERROR(Send());
  for (Rows* spool : spools_->Spooled()) {
    spool->file.flush();
    if (!spool->file) return Error::Unavailable("could not write the import spool in " + options_.spool_dir);
  }
  try {
    return LoadAndCheck();
  } catch (const pqxx::broken_connection& e) {
    return Error::Unavailable(std::string("database unavailable: ") + e.what());
  } catch (const pqxx::failure& e) {  // an SQL error, or a COPY the database broke off
    return Error::Unavailable(std::string("import failed in the database: ") + e.what());
  }
}

Result<std::map<std::string, long>> PgImport::LoadAndCheck() {
  Spools& s = *spools_;
  Stream& stream = *stream_;
  ImportCheckOptions check_options{options_.max_changes_per_year, options_.check_capacity, options_.progress};
  auto phase = [&](const std::string& name, long rows, double seconds) {
    if (options_.progress) options_.progress(name, rows, seconds);
  };
  // The temporary table of every line's type and id, which the messages name lines from.
  auto lines = [&](pqxx::transaction_base& tx) {
    const auto start = std::chrono::steady_clock::now();
    tx.exec0("CREATE TEMP TABLE import_line (res_type text NOT NULL, res_id text NOT NULL, line bigint NOT NULL) "
             "ON COMMIT DROP");
    CopySpool(tx, s.line);
    tx.exec0("CREATE INDEX ON import_line (res_type, res_id)");
    tx.exec0("CREATE INDEX ON import_line (line)");
    tx.exec0("ANALYZE import_line");
    phase("copy " + s.line.table, s.line.rows, Since(start));
  };
  if (stream.failed) {
    try {
      std::rethrow_exception(stream.failed);
    } catch (const pqxx::unique_violation&) {
      // An id or a personnummer given twice or already stored broke a primary key. The loading
      // transaction is lost; a second one loads only the lines and identifiers, so the message names
      // the line and rule exactly as the checks of a file with no such row would.
      const std::exception_ptr refused = std::current_exception();
      stream.tx.reset();
      stream.tx.emplace(stream.conn);
      pqxx::work& tx = *stream.tx;
      UseImportMemory(tx);
      lines(tx);
      tx.exec0("CREATE TEMP TABLE import_unique (system text NOT NULL, value text NOT NULL, res_type text NOT NULL, "
               "res_id text NOT NULL, line bigint NOT NULL) ON COMMIT DROP");
      CopySpool(tx, s.unique);
      tx.exec0("ANALYZE import_unique");
      if (auto error = CheckImportIdentities(tx, check_options)) return *error;
      std::rethrow_exception(refused);
    }
  }
  // Every row is in: the primary keys of resource_current and unique_identifier have refused any id or
  // identifier given twice or already stored (above), so the identity checks have nothing left to find.
  pqxx::work& tx = *stream.tx;
  for (Rows* table : s.Tables()) {
    if (table->rows > 0) phase("copy " + table->table + " (while validating)", table->rows, table->seconds);
  }
  for (const auto& [name, definitions] : stream.rebuild) {
    const auto start = std::chrono::steady_clock::now();
    for (const auto& definition : definitions) tx.exec0(definition);
    phase("indexes of " + name + " rebuilt", 0, Since(start));
  }
  lines(tx);
  {
    const auto start = std::chrono::steady_clock::now();
    tx.exec0("ANALYZE resource_current; ANALYZE search_reference; ANALYZE registry_patient; "
             "ANALYZE registry_unit; ANALYZE registry_role; ANALYZE registry_listing; ANALYZE registry_contact");
    phase("statistics", 0, Since(start));
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
  phase("commit", 0, Since(start));
  return counts_;
}

}  // namespace nara::pg
