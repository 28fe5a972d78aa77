// Server-assigned logical ids: random version-4 UUIDs, so ids reveal nothing (no personnummer, no
// sequence that leaks volumes) and never collide across servers.
#pragma once

#include <string>
#include <string_view>

namespace nara {

std::string NewResourceId();

// A FHIR logical id: [A-Za-z0-9\-\.]{1,64} (ASCII, independent of the locale). Ids from a client are checked
// with it; NewResourceId's always pass. An id of dots only is refused: a URL path cannot carry it.
bool IsValidId(std::string_view id);

}  // namespace nara
