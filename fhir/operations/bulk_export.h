// FHIR Bulk Data Access 2.0 $export (docs/api.md section 5), HTTP-free like the rest of fhir/:
//
//   GET [base]/$export | [base]/Patient/$export | [base]/Group/{id}/$export   kick-off → 202 + Content-Location
//   GET [base]/$export-status/{job}      202 + X-Progress + Retry-After while running; 200 + manifest when done;
//                                        a failed job: 500 + OperationOutcome (Bulk Data "error status")
//   DELETE [base]/$export-status/{job}   cancels and removes the files (202)
//   GET [base]/$export-file/{job}/{Type}.ndjson   application/fhir+ndjson, streamed from disk
//   GET [base]/Group, [base]/Group/{id}  the virtual groups listed-<vårdcentral id>, saebo-<kommun id>
//
// Only statistics and admin may call these (auth::Action::export_). Status, files and cancelling are for
// the HSA-id that kicked the job off only: anyone else gets 404, as if the job did not exist.
// Audit (Patientdatalagen): the kick-off is one record naming the export (level, group, types, _since,
// job id), and every file download one record naming the job and the type — not one per patient.
#pragma once

#include <string>
#include <vector>

#include "fhir/http/http.h"
#include "fhir/http/request_audit.h"
#include "registry/export_store.h"

namespace nara::fhir {

struct ExportOptions {
  ExportStore* store = nullptr;  // nullptr: the operations answer 501 not-supported. Not owned.
  std::string dir;               // where the worker writes <job>/<Type>.ndjson
  int max_jobs = 2;              // queued + running jobs at most; beyond: 429 + Retry-After
  int retry_after_seconds = 2;   // polling interval suggested while a job runs
};

// True for the paths above (segments of the path below the base).
bool IsBulkExportPath(const std::vector<std::string>& segments);

HttpResponse RouteBulkExport(const HttpRequest& request, const std::vector<std::string>& segments,
                             const ExportOptions& options, RequestAudit& audit);

// The Group resource of a virtual group (actual = false, characteristic naming the unit).
std::string GroupJson(const ExportGroup& group);

}  // namespace nara::fhir
