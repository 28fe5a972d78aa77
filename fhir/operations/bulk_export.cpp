#include "fhir/operations/bulk_export.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>

#include "fhir/http/access.h"
#include "fhir/json/bundle.h"
#include "fhir/search/date_param.h"
#include "fhir/http/http_util.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "fhir/http/responses.h"
#include "registry/export_runner.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

constexpr const char* kNdjson = "application/fhir+ndjson";
const std::string kGroupKindSystem = std::string(kNrBase) + "/CodeSystem/group-kind";
const std::string kGroupCharacteristicSystem = std::string(kNrBase) + "/CodeSystem/group-characteristic";

HttpResponse Information(int status, const std::string& text) {
  Issue issue;
  issue.severity = "information";
  issue.code = "informational";
  issue.text = text;
  return JsonResponse(status, OperationOutcomeJson({issue}));
}

HttpResponse NoSuchJob() {
  return ErrorResponse(Error::NotFound("exportjobbet finns inte, är avbrutet eller tillhör någon annan "
                                       "(no such export job, cancelled, or not yours)"));
}

HttpResponse MethodNotAllowed(const std::string& what, const std::string& allow) {
  Issue issue;
  issue.code = "not-supported";
  issue.text = "metoden stöds inte för " + what + " (method not allowed; use " + allow + ")";
  HttpResponse response = ErrorResponse(405, issue);
  response.SetHeader("Allow", allow);
  return response;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Bulk Data 2.0: application/fhir+ndjson, with application/ndjson and ndjson as abbreviations. A '+'
// left unencoded in a query string arrives as a space (form encoding), so that spelling is taken too.
bool IsNdjsonFormat(const std::string& value) {
  return value == "application/fhir+ndjson" || value == "application/fhir ndjson" || value == "application/ndjson" ||
         value == "ndjson";
}

std::optional<HttpResponse> Refused(const HttpRequest& request, const std::string& type) {
  const auth::Decision decision = auth::Decide(request.caller, auth::Action::export_, {type, "$export", {}, "", "", false});
  if (decision.allowed) return std::nullopt;
  return ErrorResponse(Forbidden(decision));
}

std::string ManifestJson(const ExportJob& job, const std::string& base_url) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("transactionTime"); w.String(job.transaction_time.c_str());
  w.Key("request"); w.String(job.request.request_url.c_str());
  // The files are served only over the same mutual TLS, to the same client certificate's HSA-id.
  w.Key("requiresAccessToken"); w.Bool(true);
  w.Key("output");
  w.StartArray();
  for (const auto& file : job.files) {
    const std::string url = base_url + "/$export-file/" + job.id + "/" + file.name;
    w.StartObject();
    w.Key("type"); w.String(file.type.c_str());
    w.Key("url"); w.String(url.c_str());
    w.Key("count"); w.Int64(file.count);
    w.EndObject();
  }
  w.EndArray();
  w.Key("error"); w.StartArray(); w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// GET [base]/$export, Patient/$export, Group/{id}/$export.
HttpResponse KickOff(const HttpRequest& request, ExportLevel level, const std::string& group_id,
                     const ExportOptions& options, RequestAudit& audit) {
  if (request.method != "GET") return MethodNotAllowed("$export", "GET");
  const std::string target_type = level == ExportLevel::system ? "" : level == ExportLevel::patient ? "Patient" : "Group";
  audit.Begin("operation", target_type, group_id);
  if (auto no = Refused(request, target_type)) return *no;
  const Preferences prefs = ParsePrefer(request.Header("prefer"));

  ExportRequest job;
  job.owner_hsa_id = request.caller.hsa_id;
  // Protected identity (docs/api.md section 8): only admin exports where protected patients are cared for.
  job.withhold_protected = request.caller.role != "admin";
  job.level = level;
  job.group_id = group_id;
  job.types = level == ExportLevel::system ? ExportableTypes() : PatientCompartmentTypes();
  for (const auto& [name, value] : request.query) {
    if (name == "_outputFormat") {
      if (!IsNdjsonFormat(value)) {
        return ErrorResponse(Error::Invalid("not-supported", "_outputFormat " + SafeExcerpt(value, 40) +
                                                                 " stöds inte: endast application/fhir+ndjson "
                                                                 "(only application/fhir+ndjson is supported)"));
      }
    } else if (name == "_type") {
      std::vector<std::string> types;
      for (const auto& type : SplitComma(value)) {
        if (!Contains(ExportableTypes(), type)) {
          return ErrorResponse(Error::Invalid("not-supported", "_type " + SafeExcerpt(type, 40) +
                                                                   " kan inte exporteras (cannot be exported; one of "
                                                                   "Organization, Practitioner, PractitionerRole, "
                                                                   "Patient, EpisodeOfCare, CareTeam, DocumentReference, Encounter)"));
        }
        if (!Contains(types, type)) types.push_back(type);
      }
      // The registry's order, whatever order the client listed them in (references point backwards).
      std::vector<std::string> ordered;
      for (const auto& type : ExportableTypes()) {
        if (Contains(types, type)) ordered.push_back(type);
      }
      job.types = std::move(ordered);
    } else if (name == "_since") {
      auto range = ParseDateRange(value);
      if (!range) {
        return ErrorResponse(Error::Invalid("invalid", "_since måste vara en tidpunkt, t.ex. 2026-11-23T10:00:00Z "
                                                       "(_since must be an instant; encode + as %2B)"));
      }
      job.since = range->start;
    } else if (name == "_typeFilter") {
      // Bulk Data 2.0: a server that cannot apply _typeFilter should say so, so the client can ask
      // again without it; ignoring it would export far more patient data than was asked for.
      return ErrorResponse(Error::Invalid("not-supported", "_typeFilter stöds inte; begränsa med _type och _since "
                                                           "(_typeFilter is not supported; narrow the export with "
                                                           "_type and _since)"));
    } else if (name == "_format" || name == "_pretty") {
      // handled by content negotiation
    } else if (prefs.strict) {
      return ErrorResponse(Error::Invalid("not-supported", "okänd parameter " + SafeExcerpt(name, 40) +
                                                               " för $export (unknown $export parameter; supported: "
                                                               "_outputFormat, _type, _since)"));
    }
  }
  std::string query = EncodeQuery(request.query);
  job.request_url = request.base_url + request.path + (query.empty() ? "" : "?" + query);

  auto created = options.store->Create(job, options.max_jobs);
  if (!created) {
    if (created.error().detail_code == kTooManyExportJobs) {
      Issue issue;
      issue.code = "throttled";
      issue.text = created.error().text;
      HttpResponse response = ErrorResponse(429, issue);
      response.SetHeader("Retry-After", "30");
      return response;
    }
    return ErrorResponse(created.error());
  }
  audit.resource_ids.push_back(created->id);
  std::string detail = "$export " + std::string(ExportLevelName(level)) + (group_id.empty() ? "" : " " + group_id) +
                       " job " + created->id + " _type=";
  for (size_t i = 0; i < job.types.size(); ++i) detail += (i ? "," : "") + job.types[i];
  if (job.since) detail += " _since=" + *job.since;
  audit.detail = detail;

  HttpResponse response = Information(202, "exporten är startad; följ Content-Location (export started; poll "
                                           "Content-Location)");
  response.SetHeader("Content-Location", request.base_url + "/$export-status/" + created->id);
  return response;
}

// GET / DELETE [base]/$export-status/{job}.
HttpResponse Status(const HttpRequest& request, const std::string& job_id, const ExportOptions& options) {
  if (request.method != "GET" && request.method != "DELETE") return MethodNotAllowed("$export-status", "GET, DELETE");
  if (auto no = Refused(request, "")) return *no;
  if (!IsValidId(job_id)) return NoSuchJob();
  auto job = options.store->Find(job_id);
  if (!job) return job.error().kind == ErrorKind::not_found ? NoSuchJob() : ErrorResponse(job.error());
  if (job->request.owner_hsa_id != request.caller.hsa_id) return NoSuchJob();

  if (request.method == "DELETE") {
    auto cancelled = options.store->Cancel(job_id);
    if (!cancelled) return cancelled.error().kind == ErrorKind::not_found ? NoSuchJob() : ErrorResponse(cancelled.error());
    // A running job's worker notices at its next batch and removes what it wrote after this.
    ExportRunner::RemoveFolder(options.dir, job_id);
    return Information(202, "exporten är avbruten och filerna borttagna (export cancelled, files removed)");
  }
  if (job->status == "queued" || job->status == "running") {
    HttpResponse response = Information(202, job->status == "queued" ? "exporten väntar (export queued)"
                                                                     : "exporten pågår (export in progress)");
    response.SetHeader("X-Progress", job->status == "queued" ? "queued" : job->progress);
    response.SetHeader("Retry-After", std::to_string(options.retry_after_seconds));
    return response;
  }
  if (job->status == "failed") {
    // Bulk Data 2.0 "Response - Error Status": the export itself failed (not a polling error), so a
    // 5XX with an OperationOutcome; the job is over and a new kick-off is the way on.
    Issue issue;
    issue.severity = "fatal";
    issue.code = "exception";
    issue.text = "exporten misslyckades (the export failed): " + job->error;
    return ErrorResponse(500, issue);
  }
  // The manifest is plain JSON of the Bulk Data spec, not a FHIR resource.
  HttpResponse manifest;
  manifest.status = 200;
  manifest.SetHeader("Content-Type", "application/json");
  manifest.body = ManifestJson(*job, request.base_url);
  return manifest;
}

// GET [base]/$export-file/{job}/{file}.
HttpResponse File(const HttpRequest& request, const std::string& job_id, const std::string& file_name,
                  const ExportOptions& options, RequestAudit& audit) {
  if (request.method != "GET") return MethodNotAllowed("$export-file", "GET");
  audit.Begin("read", "", job_id);
  if (auto no = Refused(request, "")) return *no;
  if (!IsValidId(job_id)) return NoSuchJob();
  auto job = options.store->Find(job_id);
  if (!job) return job.error().kind == ErrorKind::not_found ? NoSuchJob() : ErrorResponse(job.error());
  if (job->request.owner_hsa_id != request.caller.hsa_id || job->status != "completed") return NoSuchJob();
  for (const auto& file : job->files) {
    if (file.name != file_name) continue;
    audit.resource_type = file.type;
    audit.detail = "$export-file job " + job_id + " " + file.name + " (" + std::to_string(file.count) + " resources)";
    HttpResponse response;
    response.status = 200;
    response.SetHeader("Content-Type", kNdjson);
    response.body_file = ExportRunner::JobFolder(options.dir, job_id) + "/" + file.name;
    return response;
  }
  return ErrorResponse(Error::NotFound("filen finns inte i exporten (no such file in the export)"));
}

// GET [base]/Group and [base]/Group/{id}: the virtual groups.
HttpResponse Groups(const HttpRequest& request, const std::vector<std::string>& segments, const ExportOptions& options) {
  if (request.method != "GET") return MethodNotAllowed("Group", "GET");
  if (auto no = Refused(request, "Group")) return *no;
  if (segments.size() == 2) {
    auto group = options.store->FindGroup(segments[1]);
    if (!group) return ErrorResponse(group.error());
    if (!*group) {
      return ErrorResponse(Error::NotFound("gruppen finns inte: listed-<vårdcentralens Organization-id> eller "
                                           "saebo-<kommunens Organization-id> (no such Group)"));
    }
    return JsonResponse(200, GroupJson(**group));
  }
  // The virtual groups are few (one per vårdcentral and kommun): no search parameters, every one listed
  // (or the first _count of them).
  std::optional<size_t> count;
  for (const auto& [name, value] : request.query) {
    if (name == "_count") {
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
        return ErrorResponse(Error::Invalid("invalid", "_count måste vara ett heltal ≥ 0 (_count must be a non-negative integer)"));
      }
      count = std::stoul(value);
    } else if (name != "_format" && name != "_pretty" && ParsePrefer(request.Header("prefer")).strict) {
      return ErrorResponse(Error::Invalid("not-supported", "Group söks utan parametrar (GET Group takes no search "
                                                           "parameters but _count): " + SafeExcerpt(name, 40)));
    }
  }
  auto groups = options.store->ListGroups();
  if (!groups) return ErrorResponse(groups.error());
  const size_t total = groups->size();
  if (count && *count < total) groups->resize(*count);
  std::string entries;
  for (const auto& group : *groups) {
    if (!entries.empty()) entries += ",";
    entries += "{\"fullUrl\":" + JsonString(request.base_url + "/Group/" + group.id) + ",\"resource\":" +
               GroupJson(group) + ",\"search\":{\"mode\":\"match\"}}";
  }
  return JsonResponse(200, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":" + std::to_string(total) +
                       ",\"link\":[{\"relation\":\"self\",\"url\":" + JsonString(request.base_url + "/Group") + "}]" +
                       // FHIR JSON has no empty arrays: _count=0 (or no unit yet) leaves `entry` out.
                       (entries.empty() ? "" : ",\"entry\":[" + entries + "]") + "}");
}

}  // namespace

bool IsBulkExportPath(const std::vector<std::string>& segments) {
  if (segments.empty()) return false;
  const std::string& first = segments[0];
  if (first == "$export" || first == "$export-status" || first == "$export-file" || first == "Group") return true;
  return segments.size() == 2 && first == "Patient" && segments[1] == "$export";
}

HttpResponse RouteBulkExport(const HttpRequest& request, const std::vector<std::string>& segments,
                             const ExportOptions& options, RequestAudit& audit) {
  if (!options.store) {
    Issue issue;
    issue.code = "not-supported";
    issue.text = "$export är inte konfigurerad på den här servern (no export store configured)";
    return ErrorResponse(501, issue);
  }
  const std::string& first = segments[0];
  if (first == "$export" && segments.size() == 1) return KickOff(request, ExportLevel::system, "", options, audit);
  if (first == "Patient") return KickOff(request, ExportLevel::patient, "", options, audit);
  if (first == "Group" && segments.size() == 3 && segments[2] == "$export") {
    // The group must exist now; its members are fixed by the export's own snapshot.
    if (auto no = Refused(request, "Group")) {
      audit.Begin("operation", "Group", segments[1]);
      return *no;
    }
    auto group = options.store->FindGroup(segments[1]);
    if (!group) return ErrorResponse(group.error());
    if (!*group) return ErrorResponse(Error::NotFound("gruppen finns inte (no such Group)"));
    return KickOff(request, ExportLevel::group, segments[1], options, audit);
  }
  if (first == "Group" && segments.size() <= 2) return Groups(request, segments, options);
  if (first == "$export-status" && segments.size() == 2) return Status(request, segments[1], options);
  if (first == "$export-file" && segments.size() == 3) return File(request, segments[1], segments[2], options, audit);
  return ErrorResponse(Error::NotFound("okänd sökväg (unknown path)"));
}

std::string GroupJson(const ExportGroup& group) {
  const bool listed = group.kind == "listed";
  const std::string unit_ref = "Organization/" + group.unit_id;
  const std::string name = (listed ? "Listade vid " : "Boende på SÄBO i ") + group.unit_name;
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("resourceType"); w.String("Group");
  w.Key("id"); w.String(group.id.c_str());
  w.Key("active"); w.Bool(true);
  w.Key("type"); w.String("person");
  // Defined by a rule, not a stored member list: the members are whoever meets it on the day asked.
  w.Key("actual"); w.Bool(false);
  w.Key("code");
  w.StartObject();
  w.Key("coding"); w.StartArray(); w.StartObject();
  w.Key("system"); w.String(kGroupKindSystem.c_str());
  w.Key("code"); w.String(group.kind.c_str());
  w.EndObject(); w.EndArray();
  w.EndObject();
  w.Key("name"); w.String(name.c_str());
  w.Key("quantity"); w.Int64(group.members);
  w.Key("managingEntity"); w.StartObject(); w.Key("reference"); w.String(unit_ref.c_str()); w.EndObject();
  w.Key("characteristic");
  w.StartArray();
  w.StartObject();
  w.Key("code");
  w.StartObject();
  w.Key("coding"); w.StartArray(); w.StartObject();
  w.Key("system"); w.String(kGroupCharacteristicSystem.c_str());
  w.Key("code"); w.String(listed ? "listed-at" : "saebo-resident-in");
  w.EndObject(); w.EndArray();
  w.Key("text"); w.String(listed ? "listad vid vårdcentralen i dag (listed at the vårdcentral today)"
                                 : "bor i dag på ett SÄBO som kommunen äger (lives in one of the kommun's SÄBO today)");
  w.EndObject();
  w.Key("valueReference"); w.StartObject(); w.Key("reference"); w.String(unit_ref.c_str()); w.EndObject();
  w.Key("exclude"); w.Bool(false);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace nara::fhir
