// A doctor's list as a first-class read (docs/internals.md "The Patient answer cache"):
// Patient?general-practitioner=PractitionerRole/{id}, a clinician opening their list, answered from
// what the server already keeps: the list (the patients' ids, one statement when not kept) and each
// listed patient's answer to GET Patient/{id} (the current version with its derived
// generalPractitioner). No body is read, decorated or screened again, and the page is the very bytes
// the general search gives (same entries, total, links).
//
// Only a page every caller gets alike is answered so: a caller the answers may serve
// (FhirApi::AnswersFor), a plain page of one role's list (no other criterion, _include,
// _elements or _summary; id order; `next` cursors), and every patient on the page with a kept
// answer. A protected patient never has one, so a page with one goes the general way, which leaves
// them out for those who may not see them. Otherwise nullopt, and the general search answers (and
// keeps the answers it computed for the next time).
#pragma once

#include <optional>
#include <vector>

#include "fhir/http/patient_answer_cache.h"
#include "registry/resource_store.h"
#include "registry/result.h"
#include "registry/search_query.h"

namespace nara::fhir {

// A page of kept answers: what SearchPage says of a page, with the matches shared, not copied.
struct KeptPage {
  std::vector<PatientAnswerCache::Answer> answers;
  std::optional<long> total;
  bool has_more = false;
  bool has_previous = false;

  std::vector<const StoredResource*> Matches() const;
};

Result<std::optional<KeptPage>> DoctorsListPage(ResourceStore& store, PatientAnswerCache& answers,
                                                const SearchQuery& query);

}  // namespace nara::fhir
