#include "app/tools/reindex.h"

#include <iostream>

#include "app/log.h"
#include "app/tools/migrated.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"

namespace nara::app {

Result<IndexEntries> IndexStoredBody(const std::string& type, const std::string& id, const std::string& body) {
  const fhir::ResourceTypeDef* def = fhir::FindType(type);
  if (def == nullptr) {
    return Error::Invalid("not-supported",
                          "typen " + type + " indexeras inte (this release does not index " + type + ")");
  }
  auto prepared = fhir::PrepareResource(body, *def, id);
  if (!prepared) return prepared.error();
  return std::move(prepared->index);
}

int Reindex(const Config& config, const std::vector<std::string>& args) {
  pg::ReindexOptions options;
  options.database_url = config.database_url;
  if (args.size() == 2 && args[0] == "--type") {
    options.type = args[1];
  } else if (!args.empty()) {
    std::cerr << "usage: nara reindex [--type TYPE]\n";
    return 64;
  }
  if (!options.type.empty() && fhir::FindType(options.type) == nullptr) {
    std::cerr << "nara reindex: unknown resource type " << options.type << "\n";
    return 64;
  }
  if (!DatabaseMigrated(config.database_url, "reindex.not_migrated")) return 1;
  long batches = 0;
  options.progress = [&batches](long seen, long rewritten) {
    if (++batches % 100 == 0) {  // every 50 000 resources read
      Log("info", "reindex.progress", {{"seen", std::to_string(seen)}, {"rewritten", std::to_string(rewritten)}});
    }
  };
  auto report = pg::Reindex(options, IndexStoredBody);
  if (!report) {
    Log("error", "reindex.failed", {{"detail", report.error().text}});
    std::cerr << "nara reindex: " << report.error().text << "\n";
    return 1;
  }
  Log("info", "reindex.done",
      {{"seen", std::to_string(report->seen)},
       {"rewritten", std::to_string(report->rewritten)},
       {"refused", std::to_string(report->failed)}});
  std::cout << "reindexed: " << report->seen << " live resources read, " << report->rewritten
            << " with index rows made again, " << report->failed << " refused\n";
  if (report->failed > 0) {
    std::cerr << "nara reindex: " << report->failed << " bodies were refused by this release's checks and keep "
              << "their index rows as they were; the first: " << report->first_failure << "\n";
    return 1;
  }
  return 0;
}

}  // namespace nara::app
