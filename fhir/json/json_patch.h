// JSON Patch (RFC 6902) over RapidJSON documents, for FHIR PATCH (R4 3.1.0.7.3,
// `application/json-patch+json`). The patch applies whole or not at all: it works on a copy.
#pragma once

#include <string>
#include <string_view>

#include "registry/result.h"

namespace nara::fhir {

// Applies `patch` (a JSON array of operations: add, remove, replace, move, copy, test) to the JSON
// object `document` and returns the patched text.
// Errors: Invalid("invalid") for a malformed patch (not an array, unknown op, bad pointer, missing
// value/from) — a 400; Error{unprocessable, "processing"} when a well-formed patch cannot apply (a
// path that does not exist, a failed test, moving a value into itself) — a 422, as FHIR asks.
Result<std::string> ApplyJsonPatch(std::string_view document, std::string_view patch);

}  // namespace nara::fhir
