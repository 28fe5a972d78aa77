// The check a command that writes the registry makes before it starts: every embedded migration is
// applied. Otherwise it logs `event` ("run `nara migrate` first") and the command stops.
#pragma once

#include <string>

namespace nara::app {

bool DatabaseMigrated(const std::string& database_url, const char* event);

}  // namespace nara::app
