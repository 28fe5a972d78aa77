// The history route handler (docs/api.md section 1): instance, type and system history, paged by
// _offset; type and system history with _since or _cursor are the change feed.
#pragma once

#include <optional>
#include <string>

#include "fhir/http/routes.h"
#include "registry/resource_store.h"

namespace nara::fhir {

HttpResponse History(RouteContext& c);  // GET _history, [type]/_history, [type]/[id]/_history

// A feed position as the client sees it: "<txid>.<seq>", opaque.
std::string FormatChangeCursor(const ChangePosition& position);
std::optional<ChangePosition> ParseChangeCursor(const std::string& text);

}  // namespace nara::fhir
