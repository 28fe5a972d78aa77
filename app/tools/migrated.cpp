#include "app/tools/migrated.h"

#include "app/log.h"
#include "pg/migrations.h"

namespace nara::app {

bool DatabaseMigrated(const std::string& database_url, const char* event) {
  auto pending = pg::PendingMigrations(database_url);
  if (pending && pending->empty()) return true;
  Log("error", event, {{"detail", "run `nara migrate` first"}});
  return false;
}

}  // namespace nara::app
