// `nara import FILE.ndjson` (docs/api.md section 7): loads a file of new resources — Patient, Organization,
// Practitioner, PractitionerRole, EpisodeOfCare, CareTeam, DocumentReference, one JSON resource per
// line with its id, in any order — all or nothing, in one database transaction with COPY
// (pg/pg_import.h). Each line goes through the same validation and index extraction as a
// PUT (fhir::PrepareResource) and is stored as version 1 with meta.versionId and meta.lastUpdated;
// the registry rules are then checked over the whole registry. Progress (rows/s, ETA) on stderr.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "pg/pg_import.h"
#include "registry/result.h"

namespace nara::app {

struct ImportFileOptions {
  std::string database_url;
  int max_changes_per_year = 2;
  bool check_capacity = true;
  std::string spool_parent;  // folder for the temporary spool folder; "" = $TMPDIR or /tmp
  bool log_progress = true;
};

struct ImportSummary {
  long lines = 0;
  std::map<std::string, long> resources;  // per type
  double seconds = 0;
};

// One line of the file as a row to store, stamped as version 1 at last_updated. Errors name the line.
Result<pg::ImportRow> PrepareImportLine(std::string_view text, long line, const std::string& last_updated);

// Reads NDJSON from `in` (total_bytes, when known, gives the ETA) and imports it.
Result<ImportSummary> ImportStream(std::istream& in, uint64_t total_bytes, const ImportFileOptions& options);

// The command: 0 imported, 64 usage, 1 nothing imported (the reason logged and printed on stderr).
int Import(const Config& config, const std::vector<std::string>& args);

}  // namespace nara::app
