// Fuzz target: transaction/batch Bundle processing before execution (fhir/json/bundle_request.h) and the
// JSON Patch a PATCH entry carries (fhir/json/json_patch.h). Any bytes give a parsed Bundle or an error,
// never a crash or an exception; every entry names a resource type; a patch that applies yields JSON
// that parses again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/bundle_request.h"
#include "fhir/json/json.h"
#include "fhir/json/json_patch.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nara::fhir::HttpRequest outer;
  outer.base_url = "https://localhost:8443/fhir";
  auto bundle = nara::fhir::ParseBundleRequest(text, outer);
  if (bundle) {
    NARA_FUZZ_CHECK(bundle->type == "transaction" || bundle->type == "batch");
    NARA_FUZZ_CHECK(bundle->entries.size() <= nara::fhir::kMaxBundleEntries);
    for (const auto& entry : bundle->entries) {
      if (!entry) continue;
      NARA_FUZZ_CHECK(!entry->segments.empty());
      NARA_FUZZ_CHECK(entry->request.path.size() > 1 && entry->request.path[0] == '/');
      if (entry->method == "PATCH" && entry->resource) {
        if (auto patch = nara::fhir::PatchFromBinary(*entry->resource)) {
          auto patched = nara::fhir::ApplyJsonPatch(R"({"resourceType":"Patient","id":"p"})", *patch);
          rapidjson::Document again;
          if (patched) NARA_FUZZ_CHECK(nara::fhir::ParseJsonObject(*patched, again).ok());
        }
      }
    }
  }
  // The input as a patch of a small resource, too: the patch parser sees every shape the fuzzer makes.
  auto patched = nara::fhir::ApplyJsonPatch(R"({"a":[1,{"b":"c"}],"d":{"e":null}})", text);
  if (patched) {
    rapidjson::Document again;
    NARA_FUZZ_CHECK(nara::fhir::ParseJsonObject(*patched, again).ok());
  }
  return 0;
}
