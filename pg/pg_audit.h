// The audit log on PostgreSQL (schema/0004_audit.sql, partitioned by month in 0012_audit_by_month.sql): the SQL behind ResourceTransaction::AppendAudit
// and ResourceStore::AppendAudit / SearchAudit / CountAudit (registry/audit.h), inside whatever pqxx
// transaction the caller holds. Internal to the adapter (includes pqxx).
//
// Values travel as bind parameters only. SQL errors other than bad input are left to propagate: an
// audit record that cannot be written must abort the write it belongs to.
#pragma once

#include <pqxx/pqxx>

#include <string>
#include <string_view>
#include <vector>

#include "registry/audit.h"
#include "registry/result.h"

namespace nara::pg {

// Refuses, as Error::Invalid, a record the log cannot hold: an action or outcome outside the lists
// in registry/audit.h, or a negative HTTP status.
Status ValidateAuditRecord(const AuditRecord& record);

// text with every valid personnummer or samordningsnummer (12 digits, or 10 with an optional - or +
// after the date, as people write them) replaced by "<personnummer>": the invariant that a record's
// detail never holds one, kept even when a caller forgets.
std::string MaskPersonIds(std::string_view text);

// Validates and appends one record in tx (detail masked). Returns the error of ValidateAuditRecord;
// throws what pqxx throws.
Status InsertAudit(pqxx::transaction_base& tx, const AuditRecord& record);

// Appends records already validated by ValidateAuditRecord in one statement (details masked), in
// order. Throws what pqxx throws.
void InsertAuditRows(pqxx::transaction_base& tx, const std::vector<const AuditRecord*>& records);

// InsertAuditRows' statement as one that can share a round trip (pg/internal/write_together.h): its
// 13 parameters numbered from first, and their values for records (details masked).
std::string AuditRowsInsertSql(int first);
std::vector<std::string> AuditRowsParams(const std::vector<const AuditRecord*>& records);

// Records matching query, newest first (recorded, then id), query.count from query.offset.
// Error::Invalid for a negative count or offset or a from/to PostgreSQL cannot read as an instant.
Result<std::vector<StoredAudit>> SelectAudit(pqxx::transaction_base& tx, const AuditQuery& query);

// The number of records matching query (count and offset ignored).
Result<long> CountAuditRows(pqxx::transaction_base& tx, const AuditQuery& query);

}  // namespace nara::pg
