// Fuzz target: FHIR JSON in, for every resource type (fhir/resources/resource_mapper.h PrepareResource).
// The first byte picks the type (and create or update), the rest is the request body. Whatever the
// bytes, the mapper answers with a resource or an error, never a crash; a resource it accepts renders
// to JSON that it accepts again.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& types = nara::fhir::SupportedTypes();
  const auto& type = types[data[0] % types.size()];
  const bool update = (data[0] / types.size()) % 2 == 1;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::optional<std::string> url_id = update ? std::optional<std::string>("fuzz-1") : std::nullopt;

  auto prepared = nara::fhir::PrepareResource(body, type, url_id);
  if (!prepared) return 0;
  const std::string rendered =
      nara::fhir::RenderVersion(prepared->doc, type.type, {"fuzz-1", 1, "2026-11-23T10:00:00.000Z"});
  rapidjson::Document doc;
  doc.Parse(rendered.c_str(), rendered.size());
  NARA_FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  NARA_FUZZ_CHECK(doc.HasMember("resourceType") && doc["resourceType"].IsString() &&
                  type.type == doc["resourceType"].GetString());
  return 0;
}
