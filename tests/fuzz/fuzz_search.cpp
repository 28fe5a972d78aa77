// Fuzz target: a search's query string (fhir/http/http_util.h ParseQueryString, then fhir/search/search_params.h
// ParseSearch for the type the first byte picks), lenient and strict. Any query string is parsed into
// a search or refused with an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fhir/http/http_util.h"
#include "fhir/search/search_params.h"
#include "fhir/resources/resource_types.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& types = nara::fhir::SupportedTypes();
  const auto& type = types[data[0] % types.size()];
  const std::string query(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto params = nara::fhir::ParseQueryString(query);
  auto lenient = nara::fhir::ParseSearch(type, params, false);
  auto strict = nara::fhir::ParseSearch(type, params, true);
  // Strict refuses more than lenient, never less.
  if (strict) NARA_FUZZ_CHECK(static_cast<bool>(lenient));
  return 0;
}
