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
// The same from matches held elsewhere (kept answers, fhir/search/doctor_list_page.h), not copied.
std::string SearchsetJsonOfViews(const std::string& base_url, const std::vector<const StoredResource*>& matches,
                                 std::optional<long> total, const std::vector<BundleLink>& links,
                                 const std::vector<Issue>& outcome_issues,
                                 const std::vector<StoredResource>& included = {});

// `outcome_issues`: a note about the page (e.g. protected entries left out), as a last entry whose
// resource is an OperationOutcome, with request GET `history_url` and response 200 — a history Bundle's
// entries must carry request and response and may not carry search (R4 bdl-2, bdl-3, bdl-4).
std::string HistoryJson(const std::string& base_url, const std::vector<StoredResource>& versions,
                        std::optional<long> total, const std::vector<BundleLink>& links,
                        const std::vector<Issue>& outcome_issues = {}, const std::string& history_url = {});

// Escapes text as a JSON string literal including the quotes.
std::string JsonString(const std::string& text);

}  // namespace nara::fhir
