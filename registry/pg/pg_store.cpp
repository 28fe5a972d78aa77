#include "registry/pg/pg_store.h"
#include "registry/pg/pq_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <string>

#include "registry/pg/connection_pool.h"
#include "registry/pg/migrations.h"
#include "registry/pg/pg_audit.h"
#include "registry/pg/pg_registry.h"
#include "registry/pg/search_sql.h"
#include "registry/pg/with_connection.h"
#include "registry/date.h"
#include "registry/ids.h"

namespace nara::pg {
namespace {

using pqxx::prepare::make_dynamic_params;

// Timestamps leave the database in the same RFC 3339 form the server writes into meta.lastUpdated.
constexpr const char* kIsoUpdated =
    "to_char(v.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

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

Result<StoredResource> ReadCurrent(pqxx::transaction_base& tx, std::string_view type, std::string_view id) {
  static const std::string sql = std::string("SELECT c.res_id, c.version, c.deleted, v.body, ") + kIsoUpdated +
                                 " AS updated FROM resource_current c JOIN resource_version v USING (res_type, res_id, version)"
                                 " WHERE c.res_type = $1 AND c.res_id = $2";
  const auto rows = ExecPrepared(tx, "nara_read_current", sql.c_str(), std::string(type), std::string(id));
  if (rows.empty()) return Error::NotFound(NotFoundText(type, id));
  auto resource = RowToResource(rows[0], std::string(type));
  if (resource.deleted) return Error::Gone(std::string(type) + "/" + std::string(id) + " är raderad (deleted)");
  return resource;
}

void DeleteIndexes(pqxx::transaction_base& tx, const std::string& type, const std::string& id) {
  for (const char* table : {"search_token", "search_text", "search_reference", "search_period", "unique_identifier"}) {
    tx.exec_params(std::string("DELETE FROM ") + table + " WHERE res_type = $1 AND res_id = $2", type, id);
  }
}

// Multi-row INSERT of index rows: one statement per table, values as bind parameters.
template <typename Entry, typename ToColumns>
void InsertRows(pqxx::transaction_base& tx, const char* table, const char* columns, int width,
                const std::vector<Entry>& entries, const std::string& type, const std::string& id,
                ToColumns to_columns) {
  if (entries.empty()) return;
  SqlParams params;
  const std::string type_ph = params.Add(type);
  const std::string id_ph = params.Add(id);
  std::string sql = std::string("INSERT INTO ") + table + " (res_type, res_id, " + columns + ") VALUES ";
  bool first = true;
  for (const auto& entry : entries) {
    std::vector<std::string> cols = to_columns(entry);
    sql += first ? "(" : ", (";
    first = false;
    sql += type_ph + ", " + id_ph;
    for (int i = 0; i < width; ++i) sql += ", " + params.Add(cols[i]);
    sql += ")";
  }
  tx.exec_params(sql, make_dynamic_params(params.values()));
}

class PgTransaction final : public ResourceTransaction {
 public:
  explicit PgTransaction(pqxx::transaction_base& tx) : tx_(tx), registry_(tx) {}

  RegistryTransaction& Registry() override { return registry_; }

  // --- audit: no savepoint, an audit row that cannot be written aborts the whole write ---
  Status AppendAudit(const AuditRecord& record) override {
    Status inserted = InsertAudit(tx_, record);
    if (inserted) ++audit_rows_;
    return inserted;
  }
  long audit_rows() const { return audit_rows_; }
  // --- end audit ---

  Result<StoredResource> Read(std::string_view type, std::string_view id) override {
    return ReadCurrent(tx_, type, id);
  }

  // A failed write leaves nothing behind, even inside a transaction that goes on and commits
  // (a batch): each write runs under a savepoint that is rolled back on error.
  Result<WriteOutcome> Write(const WriteRequest& request) override {
    tx_.exec0("SAVEPOINT nara_write");
    auto result = WriteUnderSavepoint(request);
    tx_.exec0(result ? "RELEASE SAVEPOINT nara_write" : "ROLLBACK TO SAVEPOINT nara_write");
    return result;
  }

  Result<WriteOutcome> WriteUnderSavepoint(const WriteRequest& request) {
    WriteOutcome outcome;
    const std::string id = request.id.empty() ? NewResourceId() : request.id;
    std::string now = NowRfc3339();
    int version = 1;
    bool existed = false;
    if (!request.id.empty()) {
      auto current = LockCurrent(request.type, id);
      if (!current) {
        // Not there yet: claim the id. A concurrent writer of the same new id makes this a no-op,
        // and the lock below then waits for it and continues as an update.
        const auto inserted = tx_.exec_params(
            "INSERT INTO resource_current (res_type, res_id, version, last_updated) VALUES ($1, $2, 1, $3) "
            "ON CONFLICT DO NOTHING RETURNING version",
            request.type, id, now);
        if (inserted.empty()) current = LockCurrent(request.type, id);
      }
      // Stamped after the row lock is held: a writer that waited never dates its version before the
      // version it waited for (history `_since` and `_lastUpdated` stay truthful).
      now = NowRfc3339();
      if (current && now < current->updated) now = current->updated;
      if (current) {
        existed = !current->deleted;
        if (request.must_not_exist && existed) {
          return Error::Conflict(request.type + "/" + id + " finns redan (already exists)");
        }
        if (request.if_match && *request.if_match != current->version) {
          return Error::PreconditionFailed("If-Match anger version " + std::to_string(*request.if_match) +
                                           " men aktuell version är " + std::to_string(current->version) +
                                           " (version conflict: reload and try again)");
        }
        version = current->version + 1;
      } else if (request.if_match && *request.if_match != 0) {
        // Claimed above as version 1; the caller expected an existing version (the savepoint undoes the claim).
        return Error::PreconditionFailed(request.type + "/" + id + " finns inte i version " +
                                         std::to_string(*request.if_match));
      }
      tx_.exec_params(
          "UPDATE resource_current SET version = $3, last_updated = $4, deleted = false "
          "WHERE res_type = $1 AND res_id = $2",
          request.type, id, version, now);
    } else {
      tx_.exec_params(
          "INSERT INTO resource_current (res_type, res_id, version, last_updated) VALUES ($1, $2, 1, $3)",
          request.type, id, now);
    }

    VersionInfo info{id, version, now};
    std::string body = request.render(info);
    tx_.exec_params(
        "INSERT INTO resource_version (res_type, res_id, version, last_updated, body) "
        "VALUES ($1, $2, $3, $4::timestamptz, $5)",
        request.type, id, version, now, body);
    if (existed) DeleteIndexes(tx_, request.type, id);
    if (auto status = InsertIndexes(request, id); !status) return status.error();

    outcome.resource = StoredResource{request.type, id, version, now, false, std::move(body)};
    outcome.created = !existed;
    return outcome;
  }

  Result<StoredResource> Delete(std::string_view type, std::string_view id, std::optional<int> if_match) override {
    tx_.exec0("SAVEPOINT nara_delete");
    auto result = DeleteUnderSavepoint(type, id, if_match);
    tx_.exec0(result ? "RELEASE SAVEPOINT nara_delete" : "ROLLBACK TO SAVEPOINT nara_delete");
    return result;
  }

  Result<StoredResource> DeleteUnderSavepoint(std::string_view type, std::string_view id, std::optional<int> if_match) {
    const std::string t(type), i(id);
    auto current = LockCurrent(t, i);
    if (!current) return Error::NotFound(NotFoundText(type, id));
    if (if_match && *if_match != current->version) {
      return Error::PreconditionFailed("If-Match anger version " + std::to_string(*if_match) +
                                       " men aktuell version är " + std::to_string(current->version));
    }
    if (current->deleted) {
      // Deleting a deleted resource changes nothing (FHIR R4 3.1.0.7.1): no new tombstone.
      return StoredResource{t, i, current->version, current->updated, true, {}};
    }
    const std::string now = NowRfc3339();
    const int version = current->version + 1;
    tx_.exec_params(
        "UPDATE resource_current SET version = $3, last_updated = $4, deleted = true "
        "WHERE res_type = $1 AND res_id = $2",
        t, i, version, now);
    tx_.exec_params(
        "INSERT INTO resource_version (res_type, res_id, version, last_updated, deleted) "
        "VALUES ($1, $2, $3, $4::timestamptz, true)",
        t, i, version, now);
    DeleteIndexes(tx_, t, i);
    return StoredResource{t, i, version, now, true, {}};
  }

  Result<SearchPage> Search(const SearchQuery& query) override;

  void LockKey(std::string_view key) override {
    tx_.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", std::string(key));
  }

 private:
  struct CurrentRow {
    int version;
    bool deleted;
    std::string updated;
  };

  std::optional<CurrentRow> LockCurrent(const std::string& type, const std::string& id) {
    const auto rows = tx_.exec_params(
        "SELECT version, deleted, to_char(last_updated AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM resource_current "
        "WHERE res_type = $1 AND res_id = $2 FOR UPDATE",
        type, id);
    if (rows.empty()) return std::nullopt;
    return CurrentRow{rows[0][0].as<int>(), rows[0][1].as<bool>(), rows[0][2].as<std::string>()};
  }

  Status InsertIndexes(const WriteRequest& request, const std::string& id) {
    const auto& index = request.index;
    InsertRows(tx_, "search_token", "param, system, code", 3, index.tokens, request.type, id,
               [](const IndexEntries::Token& t) { return std::vector<std::string>{t.param, t.system, t.code}; });
    InsertRows(tx_, "search_text", "param, value, normalized", 3, index.texts, request.type, id,
               [](const IndexEntries::Text& t) { return std::vector<std::string>{t.param, t.value, t.normalized}; });
    InsertRows(tx_, "search_reference", "param, target_type, target_id", 3, index.references, request.type, id,
               [](const IndexEntries::Reference& r) {
                 return std::vector<std::string>{r.param, r.target_type, r.target_id};
               });
    // NULLIF: an empty bound is an unbounded side of the range (an open period).
    if (!index.periods.empty()) {
      SqlParams params;
      const std::string type_ph = params.Add(request.type);
      const std::string id_ph = params.Add(id);
      std::string sql = "INSERT INTO search_period (res_type, res_id, param, period) VALUES ";
      for (size_t i = 0; i < index.periods.size(); ++i) {
        const auto& p = index.periods[i];
        sql += (i ? ", (" : "(") + type_ph + ", " + id_ph + ", " + params.Add(p.param) + ", tstzrange(NULLIF(" +
               params.Add(p.start) + ", '')::timestamptz, NULLIF(" + params.Add(p.end) + ", '')::timestamptz, '[)'))";
      }
      tx_.exec_params(sql, make_dynamic_params(params.values()));
    }
    for (const auto& unique : index.unique) {
      // ON CONFLICT waits for a concurrent claimant to commit, then yields nothing: a duplicate.
      const auto claimed = tx_.exec_params(
          "INSERT INTO unique_identifier (system, value, res_type, res_id) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT DO NOTHING RETURNING 1",
          unique.system, unique.code, request.type, id);
      if (claimed.empty()) {
        const auto owner = tx_.exec_params(
            "SELECT res_type, res_id FROM unique_identifier WHERE system = $1 AND value = $2", unique.system,
            unique.code);
        if (!owner.empty() &&
            (owner[0][0].as<std::string>() != request.type || owner[0][1].as<std::string>() != id)) {
          return Error::Conflict("identifieraren (" + unique.system + ") tillhör redan " +
                                 owner[0][0].as<std::string>() + "/" + owner[0][1].as<std::string>() +
                                 " (identifier already in use)");
        }
      }
    }
    return Ok();
  }

  pqxx::transaction_base& tx_;
  long audit_rows_ = 0;
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

Result<SearchPage> PgTransaction::Search(const SearchQuery& query) { return RunSearch(tx_, query); }


}  // namespace

PgStore::PgStore(const std::string& url, int pool_size, std::string role)
    : pool_(std::make_unique<ConnectionPool>(url, pool_size, std::move(role))) {}

PgStore::~PgStore() = default;

int PgStore::pool_in_use() const { return pool_->in_use(); }
int PgStore::pool_idle() const { return pool_->idle(); }
int PgStore::pool_size() const { return pool_->max_size(); }

Status PgStore::Transact(const std::function<Status(ResourceTransaction&)>& work) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    for (int attempt = 0;; ++attempt) {
      try {
        pqxx::work tx(conn);
        PgTransaction unit(tx);
        Status status = work(unit);
        if (!status) return status;  // pqxx::work rolls back on destruction
        tx.commit();
        audit_rows_written_ += unit.audit_rows();
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
    PgTransaction unit(tx);
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
  return WithConnection<SearchPage>(*pool_, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return RunSearch(tx, query);
  });
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

// --- audit (registry/pg/pg_audit.*) ---
Status PgStore::AppendAudit(const AuditRecord& record) {
  return WithConnection<Unit>(*pool_, [&](pqxx::connection& conn) -> Status {
    pqxx::work tx(conn);
    if (auto inserted = InsertAudit(tx, record); !inserted) return inserted;
    tx.commit();
    ++audit_rows_written_;
    return Ok();
  });
}

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
// --- end audit ---

}  // namespace nara::pg
