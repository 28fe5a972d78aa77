// A fresh database with every migration applied: what nearly every PostgreSQL test fixture starts from.
#pragma once

#include <stdexcept>
#include <string>

#include "pg/migrations.h"
#include "tests/support/pg_cluster.h"

namespace nara::testing {

// Creates the database (named from prefix, see PgCluster::CreateDatabase) and migrates it. Throws when
// migrating fails, which fails the test or fixture that asked (GoogleTest reports the exception).
inline std::string MigratedDatabase(const std::string& prefix) {
  std::string url = PgCluster::Shared().CreateDatabase(prefix);
  auto applied = pg::ApplyMigrations(url);
  if (!applied.ok()) throw std::runtime_error("migrations failed on " + prefix + ": " + applied.error().text);
  return url;
}

}  // namespace nara::testing
