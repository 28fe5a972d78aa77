#include "pg/migrations.h"

#include <pqxx/pqxx>
#include <set>

namespace nara::pg {
namespace {

// Arbitrary constant: the advisory lock that serialises concurrent migrators.
constexpr long long kMigrationLock = 0x6e617261'6d696772LL;  // "naramigr"

void EnsureMigrationTable(pqxx::connection& conn) {
  pqxx::work tx(conn);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migration ("
      " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  tx.commit();
}

std::set<std::string> AppliedNames(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::set<std::string> names;
  for (const auto& row : tx.exec("SELECT name FROM schema_migration")) names.insert(row[0].as<std::string>());
  return names;
}

}  // namespace

Result<MigrationReport> ApplyMigrations(const std::string& url) { return ApplyMigrations(url, EmbeddedMigrations()); }

Result<MigrationReport> ApplyMigrations(const std::string& url, const std::vector<Migration>& migrations) {
  std::string current;  // the migration being applied, for the error text
  try {
    pqxx::connection conn(url);
    {
      pqxx::nontransaction nt(conn);
      nt.exec_params("SELECT pg_advisory_lock($1)", kMigrationLock);
    }
    EnsureMigrationTable(conn);
    const auto applied = AppliedNames(conn);
    MigrationReport report;
    for (const auto& migration : migrations) {
      if (applied.count(migration.name)) {
        ++report.already_applied;
        continue;
      }
      current = migration.name;
      pqxx::work tx(conn);
      tx.exec(migration.sql);
      tx.exec_params("INSERT INTO schema_migration (name) VALUES ($1)", migration.name);
      tx.commit();
      report.applied.push_back(migration.name);
    }
    pqxx::nontransaction nt(conn);
    nt.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLock);
    return report;
  } catch (const pqxx::broken_connection& e) {
    return Error::Unavailable(std::string("database unreachable: ") + e.what());
  } catch (const std::exception& e) {
    return Error{ErrorKind::invalid, "exception", "migration " + current + " failed, nothing of it applied: " + e.what(), {}};
  }
}

Result<std::vector<std::string>> PendingMigrations(const std::string& url) {
  try {
    pqxx::connection conn(url);
    std::set<std::string> applied;
    {
      pqxx::read_transaction tx(conn);
      auto exists = tx.exec1("SELECT to_regclass('schema_migration') IS NOT NULL")[0].as<bool>();
      if (exists) {
        for (const auto& row : tx.exec("SELECT name FROM schema_migration")) applied.insert(row[0].as<std::string>());
      }
    }
    std::vector<std::string> pending;
    for (const auto& migration : EmbeddedMigrations()) {
      if (!applied.count(migration.name)) pending.push_back(migration.name);
    }
    return pending;
  } catch (const std::exception& e) {
    return Error::Unavailable(std::string("database unreachable: ") + e.what());
  }
}

}  // namespace nara::pg
