// The set-based checks of an import (pg/pg_import.h), run inside its transaction after the
// rows are loaded: each query finds the first offending line of the temp table import_line for one
// registry rule. Internal to pg (includes pqxx).
#pragma once

#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <string>

#include "registry/result.h"

namespace nara::pg {

struct ImportCheckOptions {
  int max_changes_per_year = 2;
  bool check_capacity = true;
  std::function<void(const std::string& phase, long rows, double seconds)> progress;
};

// Before the rows are loaded: ids new and unique, personnummer/samordningsnummer unique.
std::optional<Error> CheckImportIdentities(pqxx::transaction_base& tx, const ImportCheckOptions& options);
// After: references, units, one-at-a-time, doctors, capacity, death, change limit (docs/api.md section 4).
std::optional<Error> CheckImportRules(pqxx::transaction_base& tx, const ImportCheckOptions& options);

}  // namespace nara::pg
