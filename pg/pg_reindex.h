// Reindex: the search-index rows of every live resource made again from its current body by today's
// indexer, so a search parameter that a release adds or changes also finds what was written before it
// (docs/operations.md "After an upgrade that changes searching").
//
// Each current row records digests of the values its index rows were written from
// (resource_current.index_digests, schema/0020): only the tables whose digest differs from what the
// indexer makes of the body now are rewritten, so a second run, or a run after a release that changed
// nothing, reads every body and writes nothing. No new version is made: the resource did not change.
// It runs beside the servers: a batch of resources per transaction, and each rewrite is guarded on the
// version it was made from, so a resource written meanwhile (whose writer made its rows) is left to
// that write. Unique identifiers are not claimed again.
#pragma once

#include <functional>
#include <string>

#include "registry/resource_store.h"
#include "registry/result.h"

namespace nara::pg {

struct ReindexOptions {
  std::string database_url;
  std::string type;  // one resource type; "" for every type
  int batch = 500;   // resources read per transaction
  // After each batch: the resources read so far and those rewritten.
  std::function<void(long seen, long rewritten)> progress;
};

struct ReindexReport {
  long seen = 0;              // live resources read
  long rewritten = 0;         // whose index rows were made again
  long failed = 0;            // whose body today's indexer refused: left as they were
  std::string first_failure;  // "Type/id: reason" of the first of them
};

// What today's indexer makes of a stored body (the same checks and extraction as a PUT of it).
using Indexer =
    std::function<Result<IndexEntries>(const std::string& type, const std::string& id, const std::string& body)>;

// Fails only when the database does; a body the indexer refuses is counted and skipped.
Result<ReindexReport> Reindex(const ReindexOptions& options, const Indexer& indexer);

}  // namespace nara::pg
