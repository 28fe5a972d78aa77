#include "app/tools/import.h"

#include <rapidjson/document.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "app/log.h"
#include "app/tools/migrated.h"
#include "fhir/json/json.h"
#include "fhir/resources/encounter_resource.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "registry/date.h"

namespace nara::app {
namespace {

// What docs/api.md section 7 says an import file holds (Measure, AuditEvent … are the server's own).
bool Importable(const std::string& type) {
  return type == "Patient" || type == "Organization" || type == "Practitioner" || type == "PractitionerRole" ||
         type == "EpisodeOfCare" || type == "CareTeam" || type == "DocumentReference" || type == "Encounter";
}

Error AtLine(long line, const Error& error) {
  Error out = error;
  out.text = "rad " + std::to_string(line) + ": " + error.text +
             (error.location.empty() ? "" : " (" + error.location + ")") + "; inget importerades (line " +
             std::to_string(line) + ": nothing was imported)";
  return out;
}


std::string Fixed(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", value);
  return buf;
}

// A private folder for the spool files, removed when the import ends.
class SpoolDir {
 public:
  explicit SpoolDir(std::string parent) {
    if (parent.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      parent = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    std::string pattern = parent + "/nara-import-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~SpoolDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

Result<pg::ImportRow> PrepareImportLine(std::string_view text, long line, const std::string& last_updated) {
  rapidjson::Document head;
  if (auto parsed = fhir::ParseJsonObject(text, head); !parsed) return AtLine(line, parsed.error());
  const std::string type = fhir::StringMember(head, "resourceType");
  const std::string id = fhir::StringMember(head, "id");
  const fhir::ResourceTypeDef* def = fhir::FindType(type);
  if (def == nullptr || !Importable(type)) {
    return AtLine(line, Error::Invalid("structure", "resourceType '" + type.substr(0, 40) +
                                                        "' kan inte importeras (cannot be imported)"));
  }
  if (id.empty()) return AtLine(line, Error::Invalid("required", "id saknas; import kräver klientens id (id is required)"));
  // The same checks and index extraction as a PUT of this resource with its id, on the document parsed
  // above (parsing is the larger part of validating a line).
  auto prepared = fhir::PrepareParsedResource(head, *def, id);
  if (!prepared) return AtLine(line, prepared.error());
  pg::ImportRow row;
  row.line = line;
  row.type = type;
  row.id = id;
  row.body = fhir::RenderVersion(prepared->doc, type, VersionInfo{id, 1, last_updated});
  row.index = std::move(prepared->index);
  const rapidjson::Document& doc = prepared->doc;
  if (type == "Patient") {
    row.patient = fhir::PatientFactsFromPatient(doc, id);
  } else if (type == "Organization") {
    row.unit = fhir::UnitFromOrganization(doc, id);
  } else if (type == "PractitionerRole") {
    row.role = fhir::RoleFromPractitionerRole(doc, id);
  } else if (type == "EpisodeOfCare") {
    auto facts = fhir::EpisodeFromResource(doc, id);
    if (!facts) return AtLine(line, facts.error());
    const fhir::EpisodeKind kind = fhir::KindOfEpisode(doc);
    if (kind == fhir::EpisodeKind::saebo) row.residency = *facts;
    else if (kind == fhir::EpisodeKind::hemsjukvard) row.home_care = *facts;
    else row.listing = *facts;
  } else if (type == "CareTeam") {
    auto facts = fhir::ContactFromResource(doc, id);
    if (!facts) return AtLine(line, facts.error());
    row.contact = *facts;
  } else if (type == "Encounter") {
    auto facts = fhir::VisitFromEncounter(doc, id);
    if (!facts) return AtLine(line, facts.error());
    row.visit = *facts;
  }
  return row;
}

Result<ImportSummary> ImportStream(std::istream& in, uint64_t total_bytes, const ImportFileOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  SpoolDir spool(options.spool_parent);
  if (spool.path().empty()) return Error::Unavailable("cannot create a spool folder for the import");
  pg::ImportOptions import_options;
  import_options.database_url = options.database_url;
  import_options.spool_dir = spool.path();
  import_options.last_updated = NowRfc3339();
  import_options.max_changes_per_year = options.max_changes_per_year;
  import_options.check_capacity = options.check_capacity;
  if (options.log_progress) {
    import_options.progress = [](const std::string& phase, long rows, double seconds) {
      if (rows == 0) {  // a rule check or the commit: only its time
        Log("info", "import.phase", {{"phase", phase}, {"seconds", Fixed(seconds)}});
        return;
      }
      Log("info", "import.phase", {{"phase", phase}, {"rows", std::to_string(rows)}, {"seconds", Fixed(seconds)},
                                   {"rows_per_s", seconds > 0 ? std::to_string(static_cast<long>(rows / seconds)) : ""}});
    };
  }
  ImportSummary summary;
  {
    pg::PgImport import(import_options);
    uint64_t bytes = 0;
    auto last_report = Clock::now();
    long line = 0;
    // Lines are validated in batches by a few threads (JSON parsing, validation and rendering are the
    // CPU-heavy part of Nära's share) and formatted as COPY rows in file order. A task of its own then
    // loads the batch into the tables (pg/pg_import.h) while the next batch is read, validated and
    // formatted: PostgreSQL works during validation instead of after it, and both cores stay busy.
    const int threads = std::max(1, std::min(8, static_cast<int>(std::thread::hardware_concurrency())));
    constexpr size_t kBatch = 8192;
    std::vector<std::pair<long, std::string>> batch;
    std::vector<std::optional<Result<pg::ImportRow>>> prepared;
    // At most one batch is being loaded while the next is prepared: memory stays at two batches. A
    // future of std::async waits for its task when destroyed, before `import` (declared earlier) is:
    // every return below leaves the loading task finished.
    std::future<Status> loading;
    auto loaded = [&]() -> Status {
      if (!loading.valid()) return Ok();
      return loading.get();
    };
    bool first_batch = true;
    bool more = true;
    while (more) {
      batch.clear();
      std::string text;
      while (batch.size() < kBatch && (more = static_cast<bool>(std::getline(in, text)))) {
        ++line;
        bytes += text.size() + 1;
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are allowed
        batch.emplace_back(line, std::move(text));
      }
      prepared.assign(batch.size(), std::nullopt);
      auto work = [&](size_t first) {
        for (size_t i = first; i < batch.size(); i += static_cast<size_t>(threads)) {
          prepared[i] = PrepareImportLine(batch[i].second, batch[i].first, import_options.last_updated);
        }
      };
      std::vector<std::thread> workers;
      for (int t = 1; t < threads && batch.size() > 1; ++t) workers.emplace_back(work, static_cast<size_t>(t));
      work(0);
      for (auto& worker : workers) worker.join();
      for (const auto& row : prepared) {
        if (!*row) return row->error();
        if (auto formatted = import.Add(**row); !formatted) return formatted.error();
      }
      if (first_batch && total_bytes > 0 && bytes > 0) {  // the first batch tells the file's lines
        import.ExpectLines(static_cast<long>(static_cast<double>(line) * static_cast<double>(total_bytes) / bytes));
      }
      first_batch = false;
      if (auto previous = loaded(); !previous) return previous.error();
      if (auto sealed = import.Seal(); !sealed) return sealed.error();
      loading = std::async(std::launch::async, [&import] { return import.Send(); });
      if (options.log_progress && Clock::now() - last_report > std::chrono::seconds(2)) {
        last_report = Clock::now();
        const double elapsed = std::chrono::duration<double>(last_report - started).count();
        const double rate = line / elapsed;
        std::string eta;
        if (total_bytes > 0 && bytes > 0) eta = Fixed(elapsed * (static_cast<double>(total_bytes) / bytes - 1));
        Log("info", "import.progress", {{"phase", "validate and load"}, {"lines", std::to_string(line)},
                                        {"rows_per_s", std::to_string(static_cast<long>(rate))},
                                        {"eta_s", eta}});
      }
    }
    if (auto last = loaded(); !last) return last.error();
    summary.lines = line;
    if (import_options.progress) {
      import_options.progress("validate and load", line, std::chrono::duration<double>(Clock::now() - started).count());
    }
    auto committed = import.Commit();
    if (!committed) return committed.error();
    summary.resources = *committed;
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

int Import(const Config& config, const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: nara import FILE.ndjson   (- reads standard input)\n";
    return 64;
  }
  if (!DatabaseMigrated(config.database_url, "import.not_migrated")) return 1;
  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t total = 0;
  if (args[0] != "-") {
    file.open(args[0], std::ios::binary | std::ios::ate);
    if (!file) {
      Log("error", "import.failed", {{"detail", "cannot read " + args[0]}});
      return 1;
    }
    total = static_cast<uint64_t>(file.tellg());
    file.seekg(0);
    in = &file;
  }
  ImportFileOptions options;
  options.database_url = config.database_url;
  options.max_changes_per_year = config.listing_max_changes_per_year;
  options.check_capacity = config.capacity_mode != "warn";
  auto summary = ImportStream(*in, total, options);
  if (!summary) {
    Log("error", "import.failed", {{"code", summary.error().detail_code}, {"detail", summary.error().text}});
    std::cerr << "nara import: " << summary.error().text << "\n";
    return 1;
  }
  long resources = 0;
  std::string by_type;
  for (const auto& [type, count] : summary->resources) {
    resources += count;
    by_type += (by_type.empty() ? "" : " ") + type + "=" + std::to_string(count);
  }
  Log("info", "import.done", {{"resources", std::to_string(resources)}, {"seconds", Fixed(summary->seconds)},
                              {"resources_per_s", std::to_string(static_cast<long>(resources / summary->seconds))},
                              {"by_type", by_type}});
  return 0;
}

}  // namespace nara::app
