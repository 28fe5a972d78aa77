// CaptureResponse: keeps a copy of a FHIR JSON response body for the conformance check in test.sh
// (scripts/validate-fhir), so every shape the end-to-end tests make the server produce is validated
// against the R4 StructureDefinitions and JSON schema. Active only when NARA_TEST_CAPTURE_DIR is set.
#pragma once

#include <string>

namespace nara::testing {

// Writes `body` to NARA_TEST_CAPTURE_DIR under a name made from its content (identical bodies are
// kept once). `content_type` decides whether it is captured (FHIR/JSON, NDJSON) and its file ending.
void CaptureResponse(const std::string& content_type, const std::string& body);

}  // namespace nara::testing
