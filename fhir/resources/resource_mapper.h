// ResourceMapper: FHIR JSON ⇄ what the store keeps. On the way in it checks the resource's structure
// and Swedish identifiers, normalises identifier system aliases to the canonical systems (docs/api.md
// section 2), and extracts the search index; on the way out it stamps id and meta per version.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "fhir/resources/resource_types.h"
#include "registry/ids.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct PreparedResource {
  rapidjson::Document doc;
  IndexEntries index;
  std::vector<Issue> warnings;  // accepted, but the client should know (e.g. ignored elements)
};

// Parses and validates body as a resource of `type`. For update, url_id is the id in the URL and the
// body's id must equal it; for create (url_id nullopt) a body id is ignored as FHIR requires.
Result<PreparedResource> PrepareResource(std::string_view body, const ResourceTypeDef& type,
                                         const std::optional<std::string>& url_id);
// The same for a body already parsed by ParseJsonObject (fhir/json/json.h), which it takes over: a
// caller that had to look inside first (nara import reads resourceType and id) parses once.
Result<PreparedResource> PrepareParsedResource(rapidjson::Document& parsed, const ResourceTypeDef& type,
                                               const std::optional<std::string>& url_id);

// The JSON stored for a version: resourceType, id, meta (versionId, lastUpdated) first, then the rest.
std::string RenderVersion(const rapidjson::Document& doc, const std::string& type, const VersionInfo& info);

// Parses "Type/id", or an absolute URL ending in Type/id; false for anything else (e.g. "#contained").
bool ParseReference(std::string_view reference, std::string& type, std::string& id);

}  // namespace nara::fhir
