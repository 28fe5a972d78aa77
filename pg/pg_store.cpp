#include "pg/pg_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "pg/internal/audit_writer.h"
#include "pg/internal/connection_pool.h"
#include "pg/internal/index_values.h"
#include "pg/internal/pg_registry.h"
#include "pg/internal/pq_util.h"
#include "pg/internal/read_ahead_sql.h"
#include "pg/internal/read_router.h"
#include "pg/internal/row_values.h"
#include "pg/internal/search_sql.h"
#include "pg/internal/subscription_outbox.h"
#include "pg/internal/with_connection.h"
#include "pg/internal/write_sql.h"
#include "pg/internal/write_together.h"
#include "pg/migrations.h"
#include "pg/pg_audit.h"
#include "registry/date.h"
#include "registry/identifier_system.h"
#include "registry/ids.h"

namespace nara::pg {
namespace {

using pqxx::prepare::make_dynamic_params;

// A version's lastUpdated as the text the server writes into meta.lastUpdated.
const std::string kIsoUpdated = Rfc3339Sql("v.last_updated");

constexpr int kMaxTransientRetries = 5;

StoredResource RowToResource(const pqxx::row& row, const std::string& type) {
  // Columns: res_type?, res_id, version, last_updated (iso), deleted, body
  StoredResource resource;
  resource.type = type.empty() ? row["res_type"].as<std::string>() : type;
  resource.id = row["res_id"].as<std::string>();
  resource.version = row["version"].as<int>();
  resource.last_updated = row["updated"].as<std::string>();
  resource.deleted = row["deleted"].as<bool>();
  resource.json = row["body"].is_null() ? std::string() : row["body"].as<std::string>();
  return resource;
}

std::string NotFoundText(std::string_view type, std::string_view id) {
  return std::string(type) + "/" + std::string(id) + " finns inte (does not exist)";
}

// index_digests, when asked: those of the current version (RecordedDigests).
Result<StoredResource> ReadCurrent(pqxx::transaction_base& tx, std::string_view type, std::string_view id,
                                   std::vector<std::string>* index_digests = nullptr) {
  static const std::string sql = std::string("SELECT c.res_id, c.version, c.deleted, v.body, ") + kIsoUpdated +
                                 " AS updated, " + kTrustedIndexDigestsSql +
                                 " AS index_digests FROM resource_current c"
                                 " JOIN resource_version v USING (res_type, res_id, version)"
                                 " WHERE c.res_type = $1 AND c.res_id = $2";
  const auto rows = ExecPrepared(tx, "nara_read_current", sql.c_str(), std::string(type), std::string(id));
  if (rows.empty()) return Error::NotFound(NotFoundText(type, id));
  if (index_digests) *index_digests = RecordedDigests(rows[0]["index_digests"]);
  auto resource = RowToResource(rows[0], std::string(type));
  if (resource.deleted) return Error::Gone(std::string(type) + "/" + std::string(id) + " är raderad (deleted)");
  return resource;
}

constexpr const char* kLockCurrentName = "nara_lock_current";
const std::string kLockCurrentSql = "SELECT version, deleted, " + Rfc3339Sql("last_updated") + ", " +
                                    kTrustedIndexDigestsSql +
                                    " AS index_digests FROM resource_current c "
                                    "WHERE c.res_type = $1::text AND c.res_id = $2::text FOR UPDATE";

constexpr const char* kClaimUniqueName = "nara_claim_unique";
const std::string kClaimUniqueSql =
    "INSERT INTO unique_identifier (system, value, res_type, res_id) VALUES ($1::text, $2::text, $3::text, $4::text) "
    "ON CONFLICT DO NOTHING RETURNING 1";

// The expected current row of a write: its version and whether it is a tombstone; `updated` (RFC 3339,
// milliseconds) when known.
struct CurrentRow {
  int version;
  bool deleted;
  std::string updated;
  std::vector<std::string> index_digests;  // one per index table (schema/0020); none when not known
};

class PgTransaction final : public ResourceTransaction {
 public:
  // end_together: a transaction that ends with EndTogether, which sends its registry rows, audit
  // rows and outbox rows in one statement (pg/internal/write_together.h); otherwise each is sent
  // when it is made (a connection whose statements commit one by one).
  // status_index_rows: PgStore::WriteStatusIndexRows.
  PgTransaction(pqxx::transaction_base& tx, bool end_together, bool status_index_rows)
      : tx_(tx), end_together_(end_together), status_index_rows_(status_index_rows), registry_(tx, end_together) {}

  RegistryTransaction& Registry() override { return registry_; }

  // audit: no savepoint, an audit row that cannot be written aborts the whole write (refused here,
  // or failing with the statement that ends the transaction)
  Status AppendAudit(const AuditRecord& record) override {
    Status appended = end_together_ ? ValidateAuditRecord(record) : InsertAudit(tx_, record);
    if (!appended) return appended;
    if (end_together_) audit_.push_back(record);
    ++audit_rows_;
    return appended;
  }

  // The writes left to the transaction's end, in one statement, just before COMMIT.
  void EndTogether() {
    std::vector<const AuditRecord*> audit;
    for (const auto& record : audit_) audit.push_back(&record);
    WriteTogether(tx_, registry_.TakePending(), audit, written_);
  }
  long audit_rows() const { return audit_rows_; }
  // Versions this transaction wrote, for the subscription outbox (pg/internal/subscription_outbox.h).
  const std::vector<OutboxEntry>& written() const { return written_; }

  Result<StoredResource> Read(std::string_view type, std::string_view id) override {
    Result<StoredResource> read = Error::NotFound("");
    std::vector<std::string> index_digests;
    if (auto ahead = read_ahead_.find(Key(type, id)); ahead != read_ahead_.end()) {
      read = std::move(ahead->second.resource);
      index_digests = std::move(ahead->second.index_digests);
      read_ahead_.erase(ahead);
    } else {
      read = ReadCurrent(tx_, type, id, &index_digests);
    }
    // The version read is the likely base of a write of the same resource in this transaction
    // (rules rewriting an episode, an update deciding on the stored version): see Write.
    if (read) seen_[Key(type, id)] = CurrentRow{read->version, false, read->last_updated, std::move(index_digests)};
    return read;
  }

  void ReadAhead(const std::vector<std::pair<std::string, std::string>>& type_and_id) override {
    if (type_and_id.size() < 2) return;  // one Read is one round trip either way
    // Live versions only: a Read of anything else asks, and answers not found or gone as it would.
    for (size_t first = 0; first < type_and_id.size(); first += kReadAheadKeysPerStatement) {
      const size_t keys = std::min(kReadAheadKeysPerStatement, type_and_id.size() - first);
      std::vector<std::string> types, ids;
      for (size_t k = first; k < first + keys; ++k) {
        types.push_back(type_and_id[k].first);
        ids.push_back(type_and_id[k].second);
      }
      const std::string name = ReadAheadStatementName(keys);
      const auto rows =
          ExecPrepared(tx_, name.c_str(), ReadAheadSql(keys).c_str(), TextArrayLiteral(types), TextArrayLiteral(ids));
      for (const auto& row : rows) {
        StoredResource resource = RowToResource(row, "");
        const std::string key = Key(resource.type, resource.id);
        read_ahead_[key] = ReadAheadRow{std::move(resource), RecordedDigests(row["index_digests"])};
      }
    }
  }

  Result<StoredResource> ReadToAnswer(std::string_view type, std::string_view id) override {
    if (type != "Patient") return Read(type, id);
    auto read = registry_.ReadPatientWithRows(std::string(id));
    if (!read) return Error::NotFound(NotFoundText(type, id));
    if (read->deleted) return Error::Gone(std::string(type) + "/" + std::string(id) + " är raderad (deleted)");
    seen_[Key(type, id)] = CurrentRow{read->version, false, read->last_updated, {}};
    return std::move(*read);
  }

  // A failed write leaves nothing behind, even inside a transaction that goes on and commits: every
  // refusal is decided before anything is written, except a taken unique identifier, which is only
  // known after the claim; writes with unique identifiers therefore run under a savepoint.
  Result<WriteOutcome> Write(const WriteRequest& request) override {
    read_ahead_.erase(Key(request.type, request.id));
    if (request.index.unique.empty()) return WriteVersion(request);
    // Rows still pending stay pending through a rollback to the savepoint (they are in memory), but
    // any sent after it would be rolled back: none are left to send.
    registry_.FlushPending();
    tx_.exec0("SAVEPOINT nara_write");
    auto result = WriteVersion(request);
    tx_.exec0(result ? "RELEASE SAVEPOINT nara_write" : "ROLLBACK TO SAVEPOINT nara_write");
    return result;
  }

  Result<WriteOutcome> WriteVersion(const WriteRequest& request) {
    const std::string id = request.id.empty() ? NewResourceId() : request.id;
    // Fast path: when the current row is known (a new id, If-Match, a version this transaction read),
    // one statement writes, guarded on that row; a wrong guess writes nothing and falls through.
    if (auto expected = Expected(request, id)) {
      std::string now = NowRfc3339();
      if (*expected && now < (*expected)->updated) now = (*expected)->updated;
      if (auto written = TryWrite(request, id, *expected, now, now)) return Finish(request, *written);
    }
    // Slow path: lock the current row (claiming a new id first) and decide on what is there.
    auto current = LockCurrent(request.type, id);
    if (!current) {
      if (request.if_match && *request.if_match != 0) {
        // Decided before anything is written, so the refusal leaves no claimed row behind.
        return Error::PreconditionFailed(request.type + "/" + id + " finns inte i version " +
                                         std::to_string(*request.if_match) + " (" + request.type + "/" + id +
                                         " does not exist in version " + std::to_string(*request.if_match) + ")");
      }
      if (auto written = TryWrite(request, id, std::nullopt, NowRfc3339(), "")) return Finish(request, *written);
      // A concurrent writer claimed the id first: wait for its row and continue as an update.
      current = LockCurrent(request.type, id);
      if (!current) throw std::runtime_error("resource_current: a claimed id has no row");
    }
    const bool existed = !current->deleted;
    if (request.must_not_exist && existed) {
      return Error::Conflict(request.type + "/" + id + " finns redan (already exists)");
    }
    if (request.if_match && *request.if_match != current->version) {
      return VersionConflict(*request.if_match, current->version);
    }
    // Stamped after the row lock is held: a writer that waited never dates its version before the
    // version it waited for (history `_since` and `_lastUpdated` stay truthful).
    std::string now = NowRfc3339();
    if (now < current->updated) now = current->updated;
    auto written = TryWrite(request, id, current, now, "infinity");
    if (!written) throw std::runtime_error("resource_current changed under its row lock");
    return Finish(request, *written);
  }

  Result<StoredResource> Delete(std::string_view type, std::string_view id, std::optional<int> if_match) override {
    // Every refusal below is decided before anything is written: no savepoint needed.
    const std::string t(type), i(id);
    read_ahead_.erase(Key(t, i));
    auto current = LockCurrent(t, i);
    if (!current) return Error::NotFound(NotFoundText(type, id));
    if (if_match && *if_match != current->version) {
      return VersionConflict(*if_match, current->version);
    }
    if (current->deleted) {
      // Deleting a deleted resource changes nothing (FHIR R4 3.1.0.7.1): no new tombstone.
      return StoredResource{t, i, current->version, current->updated, true, {}};
    }
    std::string now = NowRfc3339();
    if (now < current->updated) now = current->updated;
    const int version = current->version + 1;
    ExecPrepared(tx_, kTombstoneName, TombstoneSql().c_str(), t, i, version, now);
    seen_.erase(Key(t, i));
    written_.push_back({t, i, version});
    return StoredResource{t, i, version, now, true, {}};
  }

  Result<SearchPage> Search(const SearchQuery& query) override;

  void LockKey(std::string_view key) override {
    tx_.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", std::string(key));
  }

 private:
  // A version written by TryWrite, before its unique identifiers are claimed.
  struct Written {
    StoredResource resource;
    bool created;
    std::vector<std::string> index_digests;  // of the index rows it left
  };

  static std::string Key(std::string_view type, std::string_view id) {
    return std::string(type) + "/" + std::string(id);
  }

  // What the fast path may assume about the current row: nullopt = nothing to assume (lock first);
  // a nullopt row = the id is new. Only a guess: TryWrite's guard decides.
  std::optional<std::optional<CurrentRow>> Expected(const WriteRequest& request, const std::string& id) const {
    if (request.id.empty() || request.must_not_exist || (request.if_match && *request.if_match == 0)) {
      return std::optional<CurrentRow>();
    }
    const auto seen = seen_.find(Key(request.type, id));
    if (request.if_match) {
      // The version this transaction read, when If-Match names it (a rewrite by the rules): its row
      // also tells which index tables the write leaves alone.
      if (seen != seen_.end() && seen->second.version == *request.if_match)
        return std::optional<CurrentRow>(seen->second);
      return std::optional<CurrentRow>(CurrentRow{*request.if_match, false, "", {}});
    }
    if (seen != seen_.end()) return std::optional<CurrentRow>(seen->second);
    return std::nullopt;
  }

  // One statement: the current row claimed (no `expected`) or moved on from `expected`, the version,
  // the index rows. nullopt when the guard held nothing (someone else's row or version): nothing written.
  // not_after: the latest lastUpdated the current row may have ("infinity" under the row lock).
  std::optional<Written> TryWrite(const WriteRequest& request, const std::string& id,
                                  const std::optional<CurrentRow>& expected, const std::string& now,
                                  const std::string& not_after) {
    const int version = expected ? expected->version + 1 : 1;
    std::string body = request.render(VersionInfo{id, version, now});
    const SplitIndex split = SplitIndexOf(request.type, request.index, status_index_rows_);
    const IndexColumns values = IndexColumnsOf(split.rows());
    const std::vector<std::string> digests = IndexDigests(values, split.row);
    // A first version covers the tables it has rows in; a next version those whose digest changes.
    const int tables = expected ? TablesThatChange(expected->index_digests, digests) : TablesWithRows(digests);
    std::vector<std::string> params = {request.type, id, std::to_string(version), now, body, TextArrayLiteral(digests)};
    AppendRowValueParams(split.row, version, params);
    AppendCoveredValues(tables, values, params);
    if (expected) {
      params.push_back(std::to_string(expected->version));
      params.push_back(expected->deleted ? "true" : "false");
      params.push_back(not_after);
    }
    const WriteStatement& statement = WriteStatementFor(expected.has_value(), tables);
    const pqxx::result rows =
        ExecPrepared(tx_, statement.name.c_str(), statement.sql.c_str(), make_dynamic_params(params));
    if (rows[0][0].as<long>() == 0) return std::nullopt;
    const bool created = !expected || expected->deleted;
    return Written{StoredResource{request.type, id, version, now, false, std::move(body)}, created, digests};
  }

  // Claims the unique identifiers of a written version; a taken one fails the write (the savepoint in
  // Write undoes the version).
  Result<WriteOutcome> Finish(const WriteRequest& request, Written& written) {
    const std::string& id = written.resource.id;
    for (const auto& unique : request.index.unique) {
      // ON CONFLICT waits for a concurrent claimant to commit, then yields nothing: a duplicate.
      const auto claimed = ExecPrepared(tx_, kClaimUniqueName, kClaimUniqueSql.c_str(), unique.system, unique.code,
                                        request.type, id);
      if (claimed.empty()) {
        const auto owner = tx_.exec_params(
            "SELECT res_type, res_id FROM unique_identifier WHERE system = $1 AND value = $2", unique.system,
            unique.code);
        if (!owner.empty() &&
            (owner[0][0].as<std::string>() != request.type || owner[0][1].as<std::string>() != id)) {
          const std::string holder = owner[0][0].as<std::string>() + "/" + owner[0][1].as<std::string>();
          return Error::Conflict(IdentifierTakenText(unique.system, holder));
        }
      }
    }
    if (request.index.unique.empty()) {
      seen_[Key(request.type, id)] =
          CurrentRow{written.resource.version, false, written.resource.last_updated, std::move(written.index_digests)};
    } else {
      seen_.erase(Key(request.type, id));  // a rolled-back savepoint would leave the entry wrong (only a guess)
    }
    written_.push_back({request.type, id, written.resource.version});
    WriteOutcome outcome;
    outcome.resource = std::move(written.resource);
    outcome.created = written.created;
    return outcome;
  }

  std::optional<CurrentRow> LockCurrent(const std::string& type, const std::string& id) {
    const auto rows = ExecPrepared(tx_, kLockCurrentName, kLockCurrentSql.c_str(), type, id);
    if (rows.empty()) return std::nullopt;
    return CurrentRow{rows[0][0].as<int>(), rows[0][1].as<bool>(), rows[0][2].as<std::string>(),
                      RecordedDigests(rows[0][3])};
  }

  pqxx::transaction_base& tx_;
  const bool end_together_;
  const bool status_index_rows_;
  std::vector<AuditRecord> audit_;  // appended, left to EndTogether
  long audit_rows_ = 0;
  std::vector<OutboxEntry> written_;
  // Versions brought by ReadAhead (type/id), each for one Read; a write of the resource drops it.
  struct ReadAheadRow {
    StoredResource resource;
    std::vector<std::string> index_digests;
  };
  std::map<std::string, ReadAheadRow> read_ahead_;
  // Current rows this transaction read or wrote (type/id → version): the fast path's guesses.
  std::map<std::string, CurrentRow> seen_;
  PgRegistry registry_;
};

// Adds what the query's _include and _revinclude specs reach from the page's matches, in the same
// snapshot: live resources only, none twice, none that is already a match, at most max_included.
void AddIncluded(pqxx::transaction_base& tx, const SearchQuery& query, SearchPage& page) {
  if (page.resources.empty() || (query.includes.empty() && query.revincludes.empty())) return;
  std::vector<std::string> ids;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& match : page.resources) {
    ids.push_back(match.id);
    seen.emplace(match.type, match.id);
  }
  auto run = [&](const IncludeSpec& spec, bool reverse) {
    const int room = query.max_included - static_cast<int>(page.included.size());
    if (room <= 0) return;
    SqlParams params;
    const std::string sql = IncludeSql(spec, reverse, query.type, ids, room + 1, params);
    const auto rows = tx.exec_params(sql, make_dynamic_params(params.values()));
    for (const auto& row : rows) {
      StoredResource resource = RowToResource(row, "");
      if (!seen.emplace(resource.type, resource.id).second) continue;
      if (static_cast<int>(page.included.size()) == query.max_included) {
        page.included_truncated = true;
        return;
      }
      page.included.push_back(std::move(resource));
    }
  };
  for (const auto& spec : query.includes) run(spec, false);
  for (const auto& spec : query.revincludes) run(spec, true);
}

Result<SearchPage> RunSearch(pqxx::transaction_base& tx, const SearchQuery& query) {
  SearchPage page;
  // Where TotalInPage, the page query counts the matches itself (a window over the rows it reads
  // anyway) and only a page with no rows needs a count of its own.
  auto count_apart = [&] {
    SqlParams params;
    const std::string where = SearchWhereClause(query, params);
    const auto count = tx.exec_params("SELECT count(*) FROM resource_current c WHERE " + where,
                                      make_dynamic_params(params.values()));
    page.total = count[0][0].as<long>();
  };
  const bool total_in_page = query.count > 0 && TotalInPage(query);
  if (query.want_total && !total_in_page) count_apart();
  if (query.count > 0) {
    SqlParams params;
    const std::string sql = SearchPageSql(query, params);
    const auto rows = tx.exec_params(sql, make_dynamic_params(params.values()));
    if (total_in_page) {
      if (rows.empty()) {
        count_apart();
      } else {
        page.total = rows[0]["total"].as<long>();
      }
    }
    std::vector<std::string> keys;
    bool more_in_travel = false;
    for (const auto& row : rows) {
      if (static_cast<int>(page.resources.size()) == query.count) {
        more_in_travel = true;
        break;
      }
      page.resources.push_back(RowToResource(row, query.type));
      keys.push_back(row["sort_key"].as<std::string>());
    }
    const bool before = query.cursor && query.cursor->before;
    if (before) {
      // Fetched backwards from the cursor: turned round into the query's order.
      std::reverse(page.resources.begin(), page.resources.end());
      std::reverse(keys.begin(), keys.end());
      page.has_previous = more_in_travel;
      page.has_more = true;  // the cursor's own row, unless it went away since
    } else {
      page.has_more = more_in_travel;
      page.has_previous = query.cursor.has_value() || query.offset > 0;
    }
    if (!keys.empty()) {
      page.first_key = keys.front();
      page.last_key = keys.back();
    }
    AddIncluded(tx, query, page);
  }
  return page;
}

Result<SearchPage> PgTransaction::Search(const SearchQuery& query) {
  registry_.FlushPending();  // a search may read the registry's rows (general-practitioner)
  return RunSearch(tx_, query);
}

}  // namespace

PgStore::PgStore(const std::string& url, int pool_size, std::string role)
    : pool_(std::make_unique<ConnectionPool>(url, pool_size, role)),
      audit_writer_(std::make_unique<AuditWriter>(url, role)) {}

PgStore::~PgStore() = default;

int PgStore::pool_in_use() const { return pool_->in_use(); }
int PgStore::pool_idle() const { return pool_->idle(); }
int PgStore::pool_size() const { return pool_->max_size(); }

Status PgStore::Transact(const std::function<Status(ResourceTransaction&)>& work) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    for (int attempt = 0;; ++attempt) {
      try {
        pqxx::work tx(conn);
        PgTransaction unit(tx, true, status_index_rows_);
        Status status = work(unit);
        if (!status) return status;  // pqxx::work rolls back on destruction
        // With the outbox rows: the change's events commit with it (docs/api.md section 10).
        unit.EndTogether();
        tx.commit();
        audit_rows_written_ += unit.audit_rows();
        // A write request's transaction: it wrote versions, or its audit row (reads audit apart from
        // their registry look-ups). Its commit position is what the caller's routed reads must see.
        if (!unit.written().empty() || unit.audit_rows() > 0) RecordCommit(router_, conn);
        return status;
      } catch (const pqxx::transaction_rollback&) {
        // Serialization failure or deadlock: nothing was committed, so run the work again.
        if (attempt + 1 >= kMaxTransientRetries) {
          return Error::Unavailable("för många samtidiga ändringar (too much contention), försök igen");
        }
      }
    }
  });
}

Status PgStore::Autocommit(const std::function<Status(ResourceTransaction&)>& work) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::nontransaction tx(conn);
    PgTransaction unit(tx, false, status_index_rows_);
    Status status = work(unit);
    audit_rows_written_ += unit.audit_rows();
    return status;
  });
}

Result<StoredResource> PgStore::Read(std::string_view type, std::string_view id) {
  return WithConnection<StoredResource>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return ReadCurrent(tx, type, id);
  });
}

Result<StoredResource> PgStore::ReadVersion(std::string_view type, std::string_view id, int version) {
  return WithConnection<StoredResource>(*pool_, [&](pqxx::connection& conn) -> Result<StoredResource> {
    pqxx::read_transaction tx(conn);
    const auto rows = tx.exec_params(
        std::string("SELECT v.res_id, v.version, v.deleted, v.body, ") + kIsoUpdated +
            " AS updated FROM resource_version v WHERE v.res_type = $1 AND v.res_id = $2 AND v.version = $3",
        std::string(type), std::string(id), version);
    if (rows.empty()) {
      return Error::NotFound(std::string(type) + "/" + std::string(id) + "/_history/" + std::to_string(version) +
                             " finns inte (no such version)");
    }
    auto resource = RowToResource(rows[0], std::string(type));
    if (resource.deleted) return Error::Gone("version " + std::to_string(version) + " är en radering (deleted)");
    return resource;
  });
}

Result<SearchPage> PgStore::History(const HistoryQuery& query) {
  return WithConnection<SearchPage>(*pool_, [&](pqxx::connection& conn) -> Result<SearchPage> {
    pqxx::read_transaction tx(conn);
    SqlParams params;
    std::string where = "true";
    if (!query.type.empty()) where += " AND v.res_type = " + params.Add(query.type);
    if (!query.id.empty()) where += " AND v.res_id = " + params.Add(query.id);
    if (query.since) where += " AND v.last_updated >= " + params.Add(*query.since) + "::timestamptz";
    SearchPage page;
    page.total = tx.exec_params("SELECT count(*) FROM resource_version v WHERE " + where,
                                make_dynamic_params(params.values()))[0][0]
                     .as<long>();
    if (query.count == 0) return page;  // _count=0: the total only
    const auto rows = tx.exec_params(
        std::string("SELECT v.res_type, v.res_id, v.version, v.deleted, v.body, ") + kIsoUpdated +
            " AS updated FROM resource_version v WHERE " + where + " ORDER BY v.seq DESC LIMIT " +
            std::to_string(query.count + 1) + " OFFSET " + std::to_string(query.offset),
        make_dynamic_params(params.values()));
    for (const auto& row : rows) {
      if (static_cast<int>(page.resources.size()) == query.count) {
        page.has_more = true;
        break;
      }
      page.resources.push_back(RowToResource(row, ""));
    }
    return page;
  });
}

Result<ChangePage> PgStore::Changes(const ChangeQuery& query) {
  return WithConnection<ChangePage>(*pool_, [&](pqxx::connection& conn) -> Result<ChangePage> {
    // One snapshot for the watermark and the rows: what is below its xmin has finished for good.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
    SqlParams params;
    std::string where = "(v.txid, v.seq) > (" + params.Add(query.after.txid) + "::xid8, " +
                        params.Add(std::to_string(query.after.seq)) + "::bigint)" +
                        " AND v.txid < pg_snapshot_xmin(pg_current_snapshot())";
    if (!query.type.empty()) where += " AND v.res_type = " + params.Add(query.type);
    if (query.since) where += " AND v.last_updated >= " + params.Add(*query.since) + "::timestamptz";
    const auto rows = tx.exec_params(
        std::string("SELECT v.res_type, v.res_id, v.version, v.deleted, v.body, ") + kIsoUpdated +
            " AS updated, v.txid::text AS txid, v.seq FROM resource_version v WHERE " + where +
            " ORDER BY v.txid, v.seq LIMIT " + std::to_string(query.count + 1),
        make_dynamic_params(params.values()));
    ChangePage page;
    page.last = query.after;
    for (const auto& row : rows) {
      if (static_cast<int>(page.resources.size()) == query.count) {
        page.has_more = true;
        break;
      }
      page.resources.push_back(RowToResource(row, ""));
      page.last.txid = row["txid"].as<std::string>();
      page.last.seq = row["seq"].as<long long>();
    }
    return page;
  });
}

Result<SearchPage> PgStore::Search(const SearchQuery& query) {
  bool on_standby = false;
  auto page = RoutedRead<SearchPage>(router_, *pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return RunSearch(tx, query);
  }, &on_standby);
  if (page) page->from_standby = on_standby;
  return page;
}

Status PgStore::Ping() {
  auto pending = WithConnection<std::vector<std::string>>(*pool_, [&](pqxx::connection& conn) -> Result<std::vector<std::string>> {
    pqxx::read_transaction tx(conn);
    std::vector<std::string> missing;
    const bool table = tx.exec1("SELECT to_regclass('schema_migration') IS NOT NULL")[0].as<bool>();
    std::vector<std::string> applied;
    if (table) {
      for (const auto& row : tx.exec("SELECT name FROM schema_migration")) applied.push_back(row[0].as<std::string>());
    }
    for (const auto& migration : EmbeddedMigrations()) {
      if (std::find(applied.begin(), applied.end(), migration.name) == applied.end()) missing.push_back(migration.name);
    }
    return missing;
  });
  if (!pending) return pending.error();
  if (!pending->empty()) {
    return Error::Unavailable("databasen saknar migreringen " + pending->front() + " (run `nara migrate`)");
  }
  return Ok();
}

// audit (pg/pg_audit.*)
// A read's or a refusal's row: in the next batch of the audit writer (pg/internal/audit_writer.h),
// committed before this returns.
Status PgStore::AppendAudit(const AuditRecord& record) { return audit_writer_->Append(record); }

long PgStore::audit_rows_written() const { return audit_rows_written_.load() + audit_writer_->rows_written(); }
long PgStore::audit_batches_written() const { return audit_writer_->batches_written(); }

Result<std::vector<StoredAudit>> PgStore::SearchAudit(const AuditQuery& query) {
  return WithConnection<std::vector<StoredAudit>>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return SelectAudit(tx, query);
  });
}

Result<long> PgStore::CountAudit(const AuditQuery& query) {
  return WithConnection<long>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return CountAuditRows(tx, query);
  });
}

}  // namespace nara::pg
