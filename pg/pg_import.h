// PgImport: loads a file of new resources into the registry in ONE database transaction, with COPY,
// into the same tables the normal write path fills (resource_version with the exact JSON,
// resource_current, the search indexes, unique_identifier, the typed registry tables of
// schema/0003_registry.sql). All or nothing: any violation rolls the whole import back.
//
// Rows are prepared (validated, rendered, indexed, facts extracted) by the caller, one per line of
// the file, and added in file order, a batch at a time. Each Send() loads a sealed batch into the
// tables with a COPY per table (the first opens the transaction), so PostgreSQL stores one batch while
// the caller validates and formats the next, and memory holds two batches, not the file. Every line's type, id and
// unique identifiers are also spooled to files in a folder of the caller's choice: Commit() loads
// them into temporary tables that the messages name lines from, then checks every registry rule
// set-based in SQL over the whole registry (existing rows included), naming the first offending line
// and rule:
//   ids new and unique, personnummer/samordningsnummer unique, every reference resolves, listings at
//   a vårdcentral, residencies in a SÄBO and hemsjukvård at a hemsjukvard unit, one listing / residency /
//   hemsjukvård episode at a time, one active fast
//   läkarkontakt and one fast vårdkontakt per managing unit, the doctor is a lakare at the listing
//   unit (or serves the SÄBO), capacity, nothing active for the deceased, the change limit (rule 7).
// The registry may be empty or not: an import only creates resources, an id already present is a
// violation (an update goes through the API, where the rules plan the change).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "registry/continuity.h"
#include "registry/facts.h"
#include "registry/resource_store.h"
#include "registry/result.h"

namespace nara::pg {

// One resource of the import file, ready to store.
struct ImportRow {
  long line = 0;  // 1-based line number in the file, for messages
  std::string type, id;
  std::string body;  // the JSON of version 1, meta included (RenderVersion)
  IndexEntries index;
  // The typed-table facts of the resource, when it has any (at most one is set).
  std::optional<PatientFacts> patient;
  std::optional<UnitFacts> unit;
  std::optional<RoleFacts> role;
  std::optional<EpisodeFacts> listing;
  std::optional<EpisodeFacts> residency;
  std::optional<EpisodeFacts> home_care;  // EpisodeOfCare type hemsjukvard (schema/0011_homecare.sql)
  std::optional<ContactFacts> contact;
  std::optional<VisitFacts> visit;  // Encounter (schema/0010_continuity_visits.sql)
};

struct ImportOptions {
  std::string database_url;
  std::string spool_dir;           // an existing folder for the spool files (removed afterwards)
  std::string last_updated;        // the instant of every version, RFC 3339 UTC with milliseconds
  int max_changes_per_year = 2;    // listing.max-changes-per-year (rule 7); 0 = no limit
  bool check_capacity = true;      // false under capacity.mode = warn (rule 3 then only warns)
  // Called after each phase of Commit() (a COPY into a table, a rule check) with its name, rows, seconds.
  std::function<void(const std::string& phase, long rows, double seconds)> progress;
};

class PgImport {
 public:
  explicit PgImport(ImportOptions options);
  ~PgImport();
  PgImport(const PgImport&) = delete;
  PgImport& operator=(const PgImport&) = delete;

  // Formats one row into the batch being built (no database work).
  Status Add(const ImportRow& row);
  // How many lines the whole file is expected to have (0 = unknown), before the first Send(): a
  // table's secondary indexes are dropped and rebuilt once when the import brings it at least as many
  // rows as it holds.
  void ExpectLines(long lines);
  // Ends the batch being built (it goes to the next Send(); new rows start another) and spools its
  // lines and identifiers. Not while a Send() runs.
  Status Seal();
  // Loads the sealed batch into the tables (the first call connects). It may run on another thread
  // while Add() builds the next batch. Fails when the database cannot be reached; a row the database
  // refuses (an id or identifier given twice or already stored) is reported by Commit(), after every
  // line was validated, as the rule it breaks.
  Status Send();
  // Sends the last rows, loads the spools and checks the rules in the same transaction; commits only
  // when all hold.
  // Error::BusinessRule (rule code, "line N (Type/id): ...") for a violated rule, Error::Conflict for a
  // duplicate id or identifier, Error::Unavailable when the database fails.
  Result<std::map<std::string, long>> Commit();

 private:
  struct Spools;
  struct Stream;
  Status Start();
  Result<std::map<std::string, long>> LoadAndCheck();
  ImportOptions options_;
  std::unique_ptr<Spools> spools_;
  std::unique_ptr<Stream> stream_;  // the transaction, from the first Send()
  long expected_lines_ = 0;
  std::map<std::string, long> counts_;
};

}  // namespace nara::pg
