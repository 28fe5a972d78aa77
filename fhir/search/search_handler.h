// Search: GET [type]?… and POST [type]/_search, from the decoded parameters to the searchset Bundle
// (docs/api.md section 1, "Search results"). The router has already decided that the caller may search
// the type; this stage parses, runs the store query with its includes, applies a municipality's
// residents-only filter to matches and included resources alike, audits every patient-data
// resource released, and renders the page with keyset next/previous links (fhir/search/search_cursor.h).
#pragma once

#include "fhir/http/http.h"
#include "fhir/http/patient_answer_cache.h"
#include "fhir/http/request_audit.h"
#include "fhir/resources/resource_types.h"
#include "registry/resource_store.h"

namespace nara::fhir {

// `params`: as sent (the query string, plus the form body of POST _search); `strict`:
// `Prefer: handling=strict`. `answers` (FhirApi::AnswersFor, may be null): the kept Patient answers
// that may serve this caller: a doctor's list page is answered from them when it can be
// (fhir/search/doctor_list_page.h), and the Patients a search reads on the primary are kept there.
HttpResponse HandleSearch(ResourceStore& store, const ResourceTypeDef& type, const HttpRequest& request,
                          const QueryParams& params, bool strict, RequestAudit& audit,
                          PatientAnswerCache* answers = nullptr);

}  // namespace nara::fhir
