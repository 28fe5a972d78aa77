// Bundle rendering for search results (searchset) and history. Stored resource text is spliced in
// verbatim: it was written by the server and is never parsed again on the read path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "registry/resource_store.h"

namespace nara::fhir {

struct BundleLink {
  std::string relation;  // self, next, previous
  std::string url;
};

// `included`: _include/_revinclude results, after the matches with search.mode "include".
std::string SearchsetJson(const std::string& base_url, const std::vector<StoredResource>& matches,
                          std::optional<long> total, const std::vector<BundleLink>& links,
                          const std::vector<Issue>& outcome_issues,
                          const std::vector<StoredResource>& included = {});

std::string HistoryJson(const std::string& base_url, const std::vector<StoredResource>& versions,
                        std::optional<long> total, const std::vector<BundleLink>& links);

// Escapes text as a JSON string literal including the quotes.
std::string JsonString(const std::string& text);

}  // namespace nara::fhir
