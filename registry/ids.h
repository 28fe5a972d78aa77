// Server-assigned logical ids: random version-4 UUIDs, so ids reveal nothing (no personnummer, no
// sequence that leaks volumes) and never collide across servers.
#pragma once

#include <string>

namespace nara {

std::string NewResourceId();

}  // namespace nara
