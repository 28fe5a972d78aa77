#include "pg/pg_audit.h"
#include "pg/internal/pq_util.h"

#include <algorithm>
#include <cctype>

#include "pg/internal/search_sql.h"
#include "registry/personnummer.h"

namespace nara::pg {
namespace {

using pqxx::prepare::make_dynamic_params;

constexpr const char* kActions[] = {"read", "vread", "search", "create", "update", "delete", "history", "operation"};
constexpr const char* kOutcomes[] = {"success", "refused", "failed"};

const std::string kColumns =
    "id, " + Rfc3339Sql("recorded") +
    ", request_id, agent_hsa_id, "
    "agent_role, agent_name, agent_organizations, action, resource_type, resource_ids, patient_ids, unit, "
    "outcome, http_status, detail";

template <size_t N>
bool OneOf(const std::string& value, const char* const (&list)[N]) {
  return std::find_if(std::begin(list), std::end(list), [&](const char* item) { return value == item; }) !=
         std::end(list);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsPersonId(const std::string& twelve) {
  return PersonId::Parse(twelve, PersonIdKind::personnummer).ok() ||
         PersonId::Parse(twelve, PersonIdKind::samordningsnummer).ok();
}

// The digits of a 10- or 12-digit person id as written ("YYMMDD-NNNC", "YYYYMMDDNNNC", ...) are a
// valid personnummer or samordningsnummer under some century.
bool LooksLikePersonId(const std::string& digits) {
  if (digits.size() == 12) return IsPersonId(digits);
  if (digits.size() == 10) return IsPersonId("19" + digits) || IsPersonId("20" + digits) || IsPersonId("18" + digits);
  return false;
}

StoredAudit RowToAudit(const pqxx::row& row) {
  StoredAudit audit;
  audit.id = row[0].as<long>();
  audit.recorded = row[1].as<std::string>();
  AuditRecord& r = audit.record;
  r.request_id = row[2].as<std::string>();
  r.agent_hsa_id = row[3].as<std::string>();
  r.agent_role = row[4].as<std::string>();
  r.agent_name = row[5].as<std::string>();
  r.agent_organizations = TextArray(row[6]);
  r.action = row[7].as<std::string>();
  r.resource_type = row[8].as<std::string>();
  r.resource_ids = TextArray(row[9]);
  r.patient_ids = TextArray(row[10]);
  r.unit = row[11].as<std::string>();
  r.outcome = row[12].as<std::string>();
  r.http_status = row[13].as<int>();
  r.detail = row[14].as<std::string>();
  return audit;
}

std::string WhereClause(const AuditQuery& query, SqlParams& params) {
  std::string where = "true";
  // @> on ARRAY[$n] is what the GIN index on patient_ids answers.
  if (!query.patient_id.empty()) where += " AND patient_ids @> ARRAY[" + params.Add(query.patient_id) + "]::text[]";
  if (!query.agent_hsa_id.empty()) where += " AND agent_hsa_id = " + params.Add(query.agent_hsa_id);
  if (query.from) where += " AND recorded >= " + params.Add(*query.from) + "::timestamptz";
  if (query.to) where += " AND recorded < " + params.Add(*query.to) + "::timestamptz";
  return where;
}

Error BadInstant() {
  return Error::Invalid("invalid", "date: from/to är inte en giltig tidpunkt (not a valid RFC 3339 instant)");
}

}  // namespace

Status ValidateAuditRecord(const AuditRecord& record) {
  if (!OneOf(record.action, kActions)) {
    return Error::Invalid("value", "audit action must be read, vread, search, create, update, delete, history or operation");
  }
  if (!OneOf(record.outcome, kOutcomes)) {
    return Error::Invalid("value", "audit outcome must be success, refused or failed");
  }
  if (record.http_status < 0) return Error::Invalid("value", "audit http_status must not be negative");
  return Ok();
}

std::string MaskPersonIds(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      out += text[i++];
      continue;
    }
    // A maximal run of digits, with at most one - or + between a 6- or 8-digit date and 4 more digits.
    size_t end = i;
    while (end < text.size() && IsDigit(text[end])) ++end;
    std::string digits(text.substr(i, end - i));
    if ((digits.size() == 6 || digits.size() == 8) && end < text.size() && (text[end] == '-' || text[end] == '+')) {
      size_t tail = end + 1;
      while (tail < text.size() && IsDigit(text[tail])) ++tail;
      if (tail - end - 1 == 4) {
        digits += std::string(text.substr(end + 1, 4));
        end = tail;
      }
    }
    if (LooksLikePersonId(digits)) {
      out += "<personnummer>";
    } else {
      out.append(text.data() + i, end - i);
    }
    i = end;
  }
  return out;
}

Status InsertAudit(pqxx::transaction_base& tx, const AuditRecord& record) {
  if (auto valid = ValidateAuditRecord(record); !valid) return valid;
  InsertAuditRows(tx, {&record});
  return Ok();
}

// One fixed text whatever the number of rows: each column travels as one array parameter, and the
// array columns as arrays of text[] literals that the SELECT casts back, so a batch of 1 and of 500
// rows share one plan. unnest keeps the order, so ids (the bigserial) increase in the order of the
// records.
std::string AuditRowsInsertSql(int first) {
  return "INSERT INTO audit_event (request_id, agent_hsa_id, agent_role, agent_name, agent_organizations, "
         "action, resource_type, resource_ids, patient_ids, unit, outcome, http_status, detail) "
         "SELECT r, h, ro, n, o::text[], a, t, ri::text[], pi::text[], u, oc, s::integer, d FROM unnest(" +
         TextArrayParams(first, 13) + ") AS x(r, h, ro, n, o, a, t, ri, pi, u, oc, s, d)";
}

std::vector<std::string> AuditRowsParams(const std::vector<const AuditRecord*>& records) {
  std::vector<std::string> columns[13];
  for (auto& column : columns) column.reserve(records.size());
  for (const AuditRecord* r : records) {
    columns[0].push_back(r->request_id);
    columns[1].push_back(r->agent_hsa_id);
    columns[2].push_back(r->agent_role);
    columns[3].push_back(r->agent_name);
    columns[4].push_back(TextArrayLiteral(r->agent_organizations));
    columns[5].push_back(r->action);
    columns[6].push_back(r->resource_type);
    columns[7].push_back(TextArrayLiteral(r->resource_ids));
    columns[8].push_back(TextArrayLiteral(r->patient_ids));
    columns[9].push_back(r->unit);
    columns[10].push_back(r->outcome);
    columns[11].push_back(std::to_string(r->http_status));
    columns[12].push_back(MaskPersonIds(r->detail));
  }
  return TextArrayLiterals(columns);
}

void InsertAuditRows(pqxx::transaction_base& tx, const std::vector<const AuditRecord*>& records) {
  static const std::string sql = AuditRowsInsertSql(1);
  ExecPrepared(tx, "nara_insert_audit_rows", sql.c_str(), make_dynamic_params(AuditRowsParams(records)));
}

Result<std::vector<StoredAudit>> SelectAudit(pqxx::transaction_base& tx, const AuditQuery& query) {
  if (query.count < 0 || query.offset < 0) return Error::Invalid("invalid", "count and offset must not be negative");
  std::vector<StoredAudit> out;
  if (query.count == 0) return out;
  SqlParams params;
  const std::string where = WhereClause(query, params);
  try {
    tx.exec0("SAVEPOINT nara_audit_search");
    const auto rows = tx.exec_params(std::string("SELECT ") + kColumns + " FROM audit_event WHERE " + where +
                                         " ORDER BY recorded DESC, id DESC LIMIT " + std::to_string(query.count) +
                                         " OFFSET " + std::to_string(query.offset),
                                     make_dynamic_params(params.values()));
    tx.exec0("RELEASE SAVEPOINT nara_audit_search");
    out.reserve(rows.size());
    for (const auto& row : rows) out.push_back(RowToAudit(row));
  } catch (const pqxx::data_exception&) {
    tx.exec0("ROLLBACK TO SAVEPOINT nara_audit_search");
    return BadInstant();
  }
  return out;
}

Result<long> CountAuditRows(pqxx::transaction_base& tx, const AuditQuery& query) {
  SqlParams params;
  const std::string where = WhereClause(query, params);
  try {
    tx.exec0("SAVEPOINT nara_audit_count");
    const auto rows =
        tx.exec_params("SELECT count(*) FROM audit_event WHERE " + where, make_dynamic_params(params.values()));
    tx.exec0("RELEASE SAVEPOINT nara_audit_count");
    return rows[0][0].as<long>();
  } catch (const pqxx::data_exception&) {
    tx.exec0("ROLLBACK TO SAVEPOINT nara_audit_count");
    return BadInstant();
  }
}

}  // namespace nara::pg
