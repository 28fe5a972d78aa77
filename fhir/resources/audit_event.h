// AuditEvent (docs/api.md section 6): the audit log's records (registry/audit.h) rendered as FHIR R4
// AuditEvent resources, and `GET AuditEvent?patient=&agent=&date=` parsed into an AuditQuery.
// AuditEvent is read-only and admin-only: the server writes it, nobody changes it.
//
// Rendering: id is the row's number; type is audit-event-type `rest`, subtype the FHIR
// restful-interaction code (= the record's action); action C (create), R (read, vread, history),
// U (update), D (delete), E (search and operation: FHIR counts a query as "execute"); outcome 0
// success, 4 refused, 8 failed; agent[0] the caller by HSA-id (requestor), agent[1] the unit acted
// for, when known; entity per resource and per patient (role 1 Patient), and one for the request id.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "registry/audit.h"
#include "registry/result.h"

namespace nara::fhir {

inline constexpr const char* kAuditObserverName = "Nära Registry";

std::string AuditEventJson(const StoredAudit& audit);

// `params`: URL-decoded (name, value) pairs in request order. Supported:
//   patient=Patient/ID | ID            one patient (a second, different one is not supported)
//   agent=HSA-ID | SYSTEM|HSA-ID       SYSTEM the HSA-id system or one of its aliases (docs/api.md §2)
//   date=[eq|ge|gt|le|lt]DATE          repeatable (AND): narrows [from, to); ne, sa, eb, ap refused
//   _count (0..1000, default 50, larger is cut to 1000), _offset, _summary=count (count 0),
//   _format, _pretty, _total (accepted, the total is always given)
// An empty value is skipped (FHIR). Anything else: with `ignored` null, an error
// (Error::Invalid("not-supported")) — `Prefer: handling=strict`; otherwise its name is appended to
// *ignored (once, cleaned for display) and the search goes on (lenient).
// Errors are ErrorKind::invalid (400) and never repeat a searched patient or agent value.
Result<AuditQuery> ParseAuditSearch(const std::vector<std::pair<std::string, std::string>>& params,
                                    std::vector<std::string>* ignored = nullptr);

// The parameters that reproduce query, for a searchset's self and next links (without _offset):
// patient, agent, date=ge…, date=lt…, _count.
std::vector<std::pair<std::string, std::string>> AuditSearchLinkParams(const AuditQuery& query);

}  // namespace nara::fhir
