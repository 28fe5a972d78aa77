// Schema migrations: schema/NNNN_name.sql compiled into the binary (see CMakeLists.txt), applied in
// name order, each in its own transaction, recorded in schema_migration. Applying is idempotent and
// serialised by an advisory lock, so two `nara migrate` at once do no harm.
#pragma once

#include <string>
#include <vector>

#include "registry/result.h"

namespace nara::pg {

struct Migration {
  std::string name;  // file name, e.g. 0001_resources.sql
  std::string sql;
};

const std::vector<Migration>& EmbeddedMigrations();

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this call
  int already_applied = 0;
};

// Applies every embedded migration not yet recorded in the database at url.
Result<MigrationReport> ApplyMigrations(const std::string& url);
// The same with an explicit list (tests use it to show a failing migration leaves no trace): on the
// first failure it stops; the failed migration is rolled back whole, the ones before it stay applied.
Result<MigrationReport> ApplyMigrations(const std::string& url, const std::vector<Migration>& migrations);

// Names of embedded migrations the database at url has not applied (empty = current).
Result<std::vector<std::string>> PendingMigrations(const std::string& url);

}  // namespace nara::pg
