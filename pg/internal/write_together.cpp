#include "pg/internal/write_together.h"

#include <array>
#include <string>
#include <vector>

#include "pg/pg_audit.h"

namespace nara::pg {
namespace {

// The parts. PostgreSQL runs a WITH's sub-statements and its main query in no set order, which keeps
// the outbox's rule (positions drawn after every row lock of the write is held): the registry rows'
// upserts never take a write's first lock on anything, as each row follows the write of its
// resource's version, which locked the resource_current row in an earlier statement; the audit rows
// lock nothing another write waits for.
enum Part { kEpisodes, kContacts, kAudit, kOutbox, kParts };
constexpr int kParamsOf[kParts] = {8, 10, 13, 3};

std::string PartSql(int part, int first) {
  switch (part) {
    case kEpisodes: return EpisodeRowsUpsertSql(first);
    case kContacts: return ContactRowsUpsertSql(first);
    case kAudit: return AuditRowsInsertSql(first);
    default: return OutboxAppendSql(first);
  }
}

// The statement for a set of parts (bit i: part i): the last part is the main query, the others
// sub-statements of its WITH. Fixed per set, so each set is prepared once per connection.
std::string StatementFor(unsigned set) {
  std::vector<std::string> parts;
  int first = 1;
  for (int part = 0; part < kParts; ++part) {
    if (!(set & (1u << part))) continue;
    parts.push_back(PartSql(part, first));
    first += kParamsOf[part];
  }
  std::string sql;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    sql += (i ? ", w" : "WITH w") + std::to_string(i) + " AS (" + parts[i] + ")";
  }
  return sql + (sql.empty() ? "" : " ") + parts.back();
}

}  // namespace

void WriteTogether(pqxx::transaction_base& tx, const PendingRegistryRows& rows,
                   const std::vector<const AuditRecord*>& audit, const std::vector<OutboxEntry>& outbox) {
  static const std::array<std::string, 1u << kParts> statements = [] {
    std::array<std::string, 1u << kParts> all;
    for (unsigned set = 1; set < all.size(); ++set) all[set] = StatementFor(set);
    return all;
  }();
  static const std::array<std::string, 1u << kParts> names = [] {
    std::array<std::string, 1u << kParts> all;
    for (unsigned set = 1; set < all.size(); ++set) all[set] = "nara_write_together_" + std::to_string(set);
    return all;
  }();
  unsigned set = 0;
  std::vector<std::string> params;
  auto add = [&](Part part, std::vector<std::string> values) {
    set |= 1u << part;
    params.insert(params.end(), values.begin(), values.end());
  };
  if (!rows.episodes.empty()) add(kEpisodes, EpisodeRowsParams(rows));
  if (!rows.contacts.empty()) add(kContacts, ContactRowsParams(rows));
  if (!audit.empty()) add(kAudit, AuditRowsParams(audit));
  if (!outbox.empty()) add(kOutbox, OutboxAppendParams(outbox));
  if (set == 0) return;
  ExecPrepared(tx, names[set].c_str(), statements[set].c_str(), pqxx::prepare::make_dynamic_params(params));
}

}  // namespace nara::pg
