// Fuzz target: the request-line and header parsers of the FHIR layer (fhir/http/http_util.h): the query
// string, Prefer, If-Match and Accept/Content-Type negotiation. Any bytes give a value or an error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fhir/http/http_util.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto params = nara::fhir::ParseQueryString(text);
  for (const auto& [name, value] : params) NARA_FUZZ_CHECK(name.size() + value.size() <= text.size());
  (void)nara::fhir::ParsePrefer(text);
  if (auto version = nara::fhir::ParseIfMatch(text); version && version->has_value()) {
    NARA_FUZZ_CHECK(**version >= 0);
  }
  return 0;
}
