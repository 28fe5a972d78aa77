// `nara reindex [--type TYPE]`: the search-index rows of every live resource (of one type) made again
// from its current body by this release's indexer (pg/pg_reindex.h), after an upgrade that changes
// what is searchable (docs/operations.md). Rewrites only what differs; safe beside running servers.
#pragma once

#include <string>
#include <vector>

#include "app/config.h"
#include "pg/pg_reindex.h"

namespace nara::app {

// What this release's indexer makes of a stored body: the checks and extraction of a PUT of it.
Result<IndexEntries> IndexStoredBody(const std::string& type, const std::string& id, const std::string& body);

// The command: 0 done, 64 usage, 1 the database failed or a body was refused (the first one named).
int Reindex(const Config& config, const std::vector<std::string>& args);

}  // namespace nara::app
