#include "fhir/http/router.h"

#include <Poco/StringTokenizer.h>

#include "fhir/http/access.h"
#include "fhir/resources/audit_event.h"
#include "fhir/json/bundle.h"
#include "fhir/conformance/capability.h"
#include "fhir/search/date_param.h"
#include "fhir/http/http_util.h"
#include "fhir/json/json.h"
#include "fhir/operations/measure_resources.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "fhir/http/responses.h"
#include "fhir/resources/registry_views.h"
#include "fhir/search/search_handler.h"
#include "fhir/search/search_params.h"
#include "registry/identifier_system.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

constexpr int kMaxHistoryCount = 1000;

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  Poco::StringTokenizer tokens(path, "/", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  for (const auto& token : tokens) out.push_back(token);
  return out;
}

std::vector<BundleLink> PageLinks(const std::string& url_base, const QueryParams& canonical, int offset, int count,
                                  bool has_more) {
  auto with_offset = [&](int value) {
    QueryParams params = canonical;
    if (value > 0) params.emplace_back("_offset", std::to_string(value));
    const std::string query = EncodeQuery(params);
    return url_base + (query.empty() ? "" : "?" + query);
  };
  std::vector<BundleLink> links{{"self", with_offset(offset)}};
  if (has_more && count > 0) links.push_back({"next", with_offset(offset + count)});
  if (offset > 0) links.push_back({"previous", with_offset(std::max(0, offset - count))});
  return links;
}

// A feed position as the client sees it: "<txid>.<seq>", opaque.
std::string FormatChangeCursor(const ChangePosition& position) {
  return position.txid + "." + std::to_string(position.seq);
}

std::optional<ChangePosition> ParseChangeCursor(const std::string& text) {
  const auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || dot > 20 || text.size() - dot - 1 > 18) {
    return std::nullopt;
  }
  const std::string txid = text.substr(0, dot);
  const std::string seq = text.substr(dot + 1);
  if (txid.find_first_not_of("0123456789") != std::string::npos ||
      seq.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return ChangePosition{txid, std::stoll(seq)};
}

}  // namespace

Status FhirApi::CheckResident(const Caller& caller, const StoredResource& resource, RequestAudit& audit) {
  if (audit.action.empty() || resource.json.empty() || caller.role != "municipality") {
    return CheckResidentIn(nullptr, caller, resource, audit);
  }
  return store_.Transact(
      [&](ResourceTransaction& tx) -> Status { return CheckResidentIn(&tx, caller, resource, audit); });
}

// Names the resource's patients in the audit and, for a municipality, checks each is its resident.
// tx may be null when no check is needed (any caller but a municipality).
Status FhirApi::CheckResidentIn(ResourceTransaction* tx, const Caller& caller, const StoredResource& resource,
                                RequestAudit& audit) {
  if (audit.action.empty() || resource.json.empty()) return Ok();
  rapidjson::Document doc;
  if (!ParseJsonObject(resource.json, doc)) return Ok();
  audit.AddResource(resource.type, resource.id, doc);
  if (caller.role != "municipality") return Ok();
  for (const auto& patient : PatientIdsOf(resource.type, resource.id, doc)) {
    if (!IsResidentOf(*tx, caller, patient)) {
      return Error{ErrorKind::forbidden, "forbidden",
                   "kommunen får bara läsa sina invånares uppgifter (a municipality reads its own residents only)", {}};
    }
  }
  return Ok();
}

// GET [type]/[id] on one connection without a transaction block (ResourceStore::Autocommit): the
// current version, the municipality's resident check, the derived Patient.generalPractitioner, and
// the PDL audit record last, the only write, committing on its own before the answer leaves. A
// refusal or a missing resource is audited the same way with its status.
HttpResponse FhirApi::ReadCurrentAudited(const HttpRequest& request, const std::string& type, const std::string& id,
                                         RequestAudit& audit) {
  HttpResponse response;
  const Status status = store_.Autocommit([&](ResourceTransaction& tx) -> Status {
    response = [&]() -> HttpResponse {
      auto resource = tx.Read(type, id);
      if (!resource) return ErrorResponse(resource.error());
      if (auto visible = CheckResidentIn(&tx, request.caller, *resource, audit); !visible) {
        return ErrorResponse(visible.error());
      }
      if (type == "Patient") resource->json = PatientWithGeneralPractitioner(tx.Registry(), *resource, Date::Today());
      HttpResponse found = JsonResponse(200, resource->json);
      AddVersionHeaders(found, *resource, request.base_url, false);
      return found;
    }();
    if (audit.action.empty()) return Ok();
    if (auto appended = tx.AppendAudit(AuditRecordFor(request, audit, response.status)); !appended) return appended;
    audit.recorded = true;
    return Ok();
  });
  // The audit row was not written: nothing is released. Handle() tries the record once more on its
  // own and answers 503 if that fails too.
  if (!status) return ErrorResponse(status.error());
  return response;
}

FhirApi::FhirApi(ResourceStore& store, ApiOptions options)
    : store_(store), options_(std::move(options)), registry_(options_.registry) {}

HttpResponse FhirApi::Handle(const HttpRequest& request) {
  if (request.body_too_large) {
    return ErrorResponse(Error{ErrorKind::too_large, "too-costly",
                               "kroppen är större än 1 MiB (request body too large)", {}});
  }
  if (auto error = CheckResponseFormat(request)) {
    return ErrorResponse(406, IssueFor(*error));
  }
  RequestAudit audit;
  HttpResponse response = Route(request, audit);
  // Patientdatalagen: no access to patient data leaves without its audit record. Writes recorded it
  // in their own transaction; reads and refusals are recorded here.
  if (!audit.action.empty() && !audit.recorded) {
    auto appended = store_.AppendAudit(AuditRecordFor(request, audit, response.status));
    if (!appended && response.status < 400) {
      return ErrorResponse(Error::Unavailable("loggen kunde inte skrivas, uppgifterna lämnas inte ut "
                                              "(the audit log could not be written; nothing is released)"));
    }
  }
  return response;
}

HttpResponse FhirApi::Refuse(const HttpRequest& request, const Error& error) {
  HttpResponse response = ErrorResponse(error);
  const auto segments = Segments(request.path);
  RequestAudit audit;
  const std::string type = segments.empty() ? "" : SafeExcerpt(segments[0], 64);
  audit.Begin(request.method == "GET" ? (segments.size() >= 2 ? "read" : "search")
              : request.method == "POST" ? "create" : request.method == "PUT" ? "update"
              : request.method == "DELETE" ? "delete" : "operation",
              type, segments.size() >= 2 && IsValidId(segments[1]) ? segments[1] : "");
  store_.AppendAudit(AuditRecordFor(request, audit, response.status));
  return response;
}

HttpResponse FhirApi::Route(const HttpRequest& request, RequestAudit& audit) {
  const auto segments = Segments(request.path);
  const std::string& method = request.method;
  const Preferences prefs = ParsePrefer(request.Header("prefer"));
  const Caller& caller = request.caller;
  // The policy at type level (auth/access_policy.h); resource-level checks follow where needed.
  auto refused = [&](auth::Action action, auth::Target target) -> std::optional<HttpResponse> {
    // A municipality's reads of patient data are decided per patient (CheckResident, and the search
    // filter): at type level they may go ahead.
    if (caller.role == "municipality" && IsPatientData(target.resource_type) &&
        (action == auth::Action::read || action == auth::Action::search)) {
      target.patient_in_callers_kommun = true;
    }
    const auth::Decision decision = auth::Decide(caller, action, target);
    if (decision.allowed) return std::nullopt;
    return ErrorResponse(Forbidden(decision));
  };

  if (segments.empty()) {
    // POST [base]: a transaction or batch Bundle (FHIR R4 3.1.0.11).
    if (method != "POST") return MethodNotAllowed(method, "basen (the base takes transaction/batch Bundles)", "POST");
    if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
    return HandleBundle(request);
  }
  if (segments[0] == "metadata" && segments.size() == 1) {
    if (method != "GET") return MethodNotAllowed(method, "metadata", "GET");
    if (auto no = refused(auth::Action::read, {"CapabilityStatement", "", {}, "", "", false})) return *no;
    return JsonResponse(200, CapabilityStatementJson(request.base_url, options_.software_version));
  }

  if (segments[0] == "Subscription") return RouteSubscription(request, segments, options_.subscriptions, audit);

  // A page of history names whose data it shows (audit); a municipality sees its residents' only.
  auto audit_history = [&](const std::vector<StoredResource>& resources) -> std::optional<HttpResponse> {
    if (!audit.action.empty()) audit.AddAll(resources);
    if (caller.role != "municipality" || resources.empty()) return std::nullopt;
    auto checked = store_.Transact([&](ResourceTransaction& tx) -> Status {
      for (const auto& patient : audit.patient_ids) {
        if (!IsResidentOf(tx, caller, patient)) {
          return Error{ErrorKind::forbidden, "forbidden", "patienten tillhör inte kommunen (not a resident)", {}};
        }
      }
      return Ok();
    });
    if (!checked) return ErrorResponse(checked.error());
    return std::nullopt;
  };

  // The change feed: versions oldest first in commit-safe order (registry/resource_store.h,
  // ChangeQuery). `next` while more are there now; `poll` always: where to continue later.
  auto run_feed = [&](const std::string& type, const HistoryQuery& history, const ChangePosition& after,
                      const QueryParams& canonical) -> HttpResponse {
    ChangeQuery query;
    query.type = type;
    query.since = history.since;
    query.after = after;
    query.count = history.count;
    auto page = store_.Changes(query);
    if (!page) return ErrorResponse(page.error());
    if (auto refused_page = audit_history(page->resources)) return *refused_page;
    const std::string url_base = request.base_url + (type.empty() ? "" : "/" + type) + "/_history";
    auto link = [&](const ChangePosition& position) {
      QueryParams params = canonical;
      params.emplace_back("_cursor", FormatChangeCursor(position));
      return url_base + "?" + EncodeQuery(params);
    };
    std::vector<BundleLink> links{{"self", link(after)}};
    if (page->has_more) links.push_back({"next", link(page->last)});
    links.push_back({"poll", link(page->last)});
    return JsonResponse(200, HistoryJson(request.base_url, page->resources, std::nullopt, links));
  };

  auto run_history = [&](const std::string& type, const std::string& id) -> HttpResponse {
    if (method != "GET") return MethodNotAllowed(method, "_history", "GET");
    if (type.empty() || IsPatientData(type)) audit.Begin("history", type, id);
    if (auto no = refused(auth::Action::history, {type, "", {}, "", "", false})) return *no;
    HistoryQuery query;
    query.type = type;
    query.id = id;
    QueryParams canonical;
    std::optional<ChangePosition> cursor;
    for (const auto& [name, value] : request.query) {
      if (name == "_cursor") {
        cursor = ParseChangeCursor(value);
        if (!cursor) return ErrorResponse(Error::Invalid("invalid", "_cursor är ogiltig (use the link the server gave)"));
      } else if (name == "_count" || name == "_offset") {
        if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
          return ErrorResponse(Error::Invalid("invalid", name + " must be a non-negative integer"));
        }
        (name == "_count" ? query.count : query.offset) = std::stoi(value);
      } else if (name == "_since") {
        auto range = ParseDateRange(value);
        if (!range) return ErrorResponse(range.error());
        query.since = range->start;
        canonical.emplace_back(name, value);
      } else if (name != "_format" && name != "_pretty" && prefs.strict) {
        return ErrorResponse(Error::Invalid("not-supported", "unknown _history parameter " + SafeExcerpt(name, 40)));
      }
    }
    query.count = std::min(query.count, kMaxHistoryCount);
    canonical.emplace_back("_count", std::to_string(query.count));
    // System and type history with _since or _cursor is the change feed (docs/api.md section 1).
    if (id.empty() && (query.since || cursor)) return run_feed(type, query, cursor.value_or(ChangePosition{}), canonical);
    if (!id.empty()) {
      auto current = store_.ReadVersion(type, id, 1);
      if (!current && current.error().kind == ErrorKind::not_found) return ErrorResponse(current.error());
    }
    auto page = store_.History(query);
    if (!page) return ErrorResponse(page.error());
    if (auto refused_page = audit_history(page->resources)) return *refused_page;
    std::string url_base = request.base_url + (type.empty() ? "" : "/" + type) + (id.empty() ? "" : "/" + id) + "/_history";
    return JsonResponse(200, HistoryJson(request.base_url, page->resources, page->total,
                                         PageLinks(url_base, canonical, query.offset, query.count, page->has_more)));
  };

  if (segments[0] == "_history" && segments.size() == 1) return run_history("", "");

  // GET AuditEvent?patient=&agent=&date= : the PDL log, for admin only (docs/api.md section 6). Reading
  // the log is itself logged: who looked at whose accesses.
  if (segments[0] == "AuditEvent" && segments.size() == 1) {
    if (method != "GET") return MethodNotAllowed(method, "AuditEvent", "GET");
    audit.Begin("search", "AuditEvent", "");
    if (auto no = refused(auth::Action::read_audit, {"AuditEvent", "", {}, "", "", false})) return *no;
    QueryParams params;
    for (const auto& pair : request.query) {
      if (pair.first != "_format" && pair.first != "_pretty") params.push_back(pair);
    }
    std::vector<std::string> ignored;
    auto query = ParseAuditSearch(params, prefs.strict ? nullptr : &ignored);
    if (!query) return ErrorResponse(query.error());
    if (!query->patient_id.empty()) audit.patient_ids.push_back(query->patient_id);
    auto total = store_.CountAudit(*query);
    if (!total) return ErrorResponse(total.error());
    auto found = store_.SearchAudit(*query);
    if (!found) return ErrorResponse(found.error());
    std::string entries;
    for (const auto& record : *found) {
      if (!entries.empty()) entries += ",";
      entries += "{\"fullUrl\":" + JsonString(request.base_url + "/AuditEvent/" + std::to_string(record.id)) +
                 ",\"resource\":" + AuditEventJson(record) + ",\"search\":{\"mode\":\"match\"}}";
    }
    const auto links = PageLinks(request.base_url + "/AuditEvent", AuditSearchLinkParams(*query), query->offset,
                                 query->count, query->offset + static_cast<long>(found->size()) < *total);
    std::string body = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":" + std::to_string(*total) +
                       ",\"link\":[";
    for (size_t i = 0; i < links.size(); ++i) {
      body += (i ? "," : "") + std::string("{\"relation\":") + JsonString(links[i].relation) + ",\"url\":" +
              JsonString(links[i].url) + "}";
    }
    return JsonResponse(200, body + "],\"entry\":[" + entries + "]}");
  }

  // ---- measures (docs/api.md section 5): served from the definitions, not the resource store ----
  if (segments[0] == "Measure") return RouteMeasure(request, segments);
  // ---- end measures ----
  // ---- bulk export (fhir/operations/bulk_export.h) ----
  if (IsBulkExportPath(segments)) return RouteBulkExport(request, segments, options_.exports, audit);

  const ResourceTypeDef* type = FindType(segments[0]);
  if (!type) {
    return NotFoundPath("resurstypen " + SafeExcerpt(segments[0]) + " finns inte här (unknown resource type)");
  }

  auto run_search = [&](const QueryParams& params) -> HttpResponse {
    if (IsPatientData(type->type)) audit.Begin("search", type->type, "");
    if (auto no = refused(auth::Action::search, {type->type, "", {}, "", "", false})) return *no;
    return HandleSearch(store_, *type, request, params, prefs.strict, audit);  // fhir/search/search_handler.cpp
  };

  // [type]: search, create, and the conditional update and delete PUT/DELETE [type]?criteria.
  if (segments.size() == 1) {
    if (method == "GET") return run_search(request.query);
    if (method != "POST" && method != "PUT" && method != "DELETE") {
      return MethodNotAllowed(method, type->type, "GET, POST, PUT, DELETE");
    }
    if (method != "DELETE") {
      if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
    }
    auto plan = PlanWrite(request, *type, "");
    if (!plan) return ErrorResponse(plan.error());
    return RunWrite(request, *plan, audit);
  }

  // Patient/$fixed-contacts?identifier=SYSTEM|VALUE: what 1177 shows a citizen (docs/api.md section 5).
  if (segments.size() == 2 && segments[1] == "$fixed-contacts" && type->type == "Patient") {
    if (method != "GET") return MethodNotAllowed(method, "$fixed-contacts", "GET");
    audit.Begin("operation", "Patient", "");
    if (auto no = refused(auth::Action::operation, {"Patient", "$fixed-contacts", {}, "", "", false})) return *no;
    std::string identifier;
    for (const auto& [name, value] : request.query) {
      if (name == "identifier") identifier = value;
    }
    const auto bar = identifier.find('|');
    if (bar == std::string::npos || bar == 0 || bar + 1 == identifier.size()) {
      return ErrorResponse(Error::Invalid("required", "$fixed-contacts needs identifier=SYSTEM|VALUE"));
    }
    const SearchQuery by_identifier =
        IdentifierSearch("Patient", CanonicalSystem(identifier.substr(0, bar)), identifier.substr(bar + 1), 2);
    std::string body;
    auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
      auto found = tx.Search(by_identifier);
      if (!found) return found.error();
      if (found->resources.empty()) return Error::NotFound("ingen patient med den identifieraren (no such patient)");
      if (found->resources.size() > 1) return Error::Conflict("identifieraren matchar flera patienter");
      audit.AddAll({found->resources.front()});
      auto bundle = FixedContactsBundle(tx, found->resources.front().id, request.base_url, Date::Today());
      if (!bundle) return bundle.error();
      body = std::move(*bundle);
      return Ok();
    });
    if (!status) return ErrorResponse(status.error());
    return JsonResponse(200, body);
  }

  // [type]/_search and [type]/_history
  if (segments.size() == 2 && segments[1] == "_search") {
    if (method != "POST") return MethodNotAllowed(method, "_search", "POST");
    QueryParams params = request.query;
    const std::string content_type = request.Header("content-type");
    if (!request.body.empty()) {
      if (content_type.find("application/x-www-form-urlencoded") == std::string::npos) {
        return ErrorResponse(415, IssueFor(Error{ErrorKind::not_supported, "not-supported",
                                                 "POST _search takes application/x-www-form-urlencoded", {}}));
      }
      for (auto& pair : ParseQueryString(request.body)) params.push_back(std::move(pair));
    }
    return run_search(params);
  }
  if (segments.size() == 2 && segments[1] == "_history") return run_history(type->type, "");

  const std::string& id = segments[1];
  if (!IsValidId(id)) return ErrorResponse(Error::Invalid("invalid", "ogiltigt id (ids are 1–64 of A–Z a–z 0–9 - .)"));

  // [type]/[id]
  if (segments.size() == 2) {
    if (method == "GET") {
      if (IsPatientData(type->type)) audit.Begin("read", type->type, id);
      if (auto no = refused(auth::Action::read, {type->type, "", {}, "", "", false})) return *no;
      return ReadCurrentAudited(request, type->type, id, audit);
    }
    if (method == "PUT" || method == "PATCH" || method == "DELETE") {
      if (method == "PUT") {
        if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
      }
      if (method == "PATCH") {
        // JSON Patch only (FHIR R4 3.1.0.7.3); FHIRPath Patch (a Parameters body) is not supported.
        const std::string content_type = request.Header("content-type");
        if (content_type.find("application/json-patch+json") == std::string::npos) {
          return ErrorResponse(415, IssueFor(Error{ErrorKind::not_supported, "not-supported",
                                                   "PATCH tar application/json-patch+json (JSON Patch)", {}}));
        }
      }
      auto plan = PlanWrite(request, *type, id);
      if (!plan) return ErrorResponse(plan.error());
      return RunWrite(request, *plan, audit);
    }
    return MethodNotAllowed(method, type->type + "/[id]", "GET, PUT, PATCH, DELETE");
  }

  // PractitionerRole/{id}/$list-status and Organization/{id}/$list-status (docs/api.md section 5).
  if (segments.size() == 3 && segments[2] == "$list-status" &&
      (type->type == "PractitionerRole" || type->type == "Organization")) {
    if (method != "GET") return MethodNotAllowed(method, "$list-status", "GET");
    if (auto no = refused(auth::Action::operation, {type->type, "$list-status", {}, "", "", false})) return *no;
    Date on = Date::Today();
    for (const auto& [name, value] : request.query) {
      if (name != "date") continue;
      auto parsed = Date::Parse(value);
      if (!parsed) return ErrorResponse(Error::Invalid("invalid", "date must be YYYY-MM-DD"));
      on = *parsed;
    }
    std::string body;
    auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
      auto result = type->type == "PractitionerRole" ? RoleListStatus(tx, id, on) : UnitListStatus(tx, id, on);
      if (!result) return result.error();
      body = std::move(*result);
      return Ok();
    });
    if (!status) return ErrorResponse(status.error());
    return JsonResponse(200, body);
  }

  // [type]/[id]/_history[/vid]
  if (segments[2] == "_history" && segments.size() == 3) return run_history(type->type, id);
  if (segments[2] == "_history" && segments.size() == 4) {
    if (method != "GET") return MethodNotAllowed(method, "vread", "GET");
    if (IsPatientData(type->type)) audit.Begin("vread", type->type, id);
    if (auto no = refused(auth::Action::read, {type->type, "", {}, "", "", false})) return *no;
    const std::string& vid = segments[3];
    if (vid.empty() || vid.size() > 9 || vid[0] == '0' || vid.find_first_not_of("0123456789") != std::string::npos) {
      return ErrorResponse(Error::Invalid("invalid", "versionId must be a positive integer"));
    }
    auto resource = store_.ReadVersion(type->type, id, std::stoi(vid));
    if (!resource) return ErrorResponse(resource.error());
    if (auto visible = CheckResident(caller, *resource, audit); !visible) return ErrorResponse(visible.error());
    HttpResponse response = JsonResponse(200, resource->json);
    AddVersionHeaders(response, *resource, request.base_url, false);
    return response;
  }
  return NotFoundPath("okänd sökväg (unknown path)");
}

// ---- measures (docs/api.md section 5) ------------------------------------------------------------------
// GET Measure (searchset of the five), GET Measure/{id}, and
// GET Measure/{id}/$evaluate-measure?periodEnd=YYYY-MM-DD[&subject=Organization/X][&reportType=summary].
// Reading the definitions is open to every role (conformance resources); evaluating is decided as
// Action::evaluate_measure (statistics and admin). The reports are aggregates: no patient is
// named, so nothing is written to the PDL log.
HttpResponse FhirApi::RouteMeasure(const HttpRequest& request, const std::vector<std::string>& segments) {
  const std::string& method = request.method;
  auto refused = [&](auth::Action action, const std::string& operation) -> std::optional<HttpResponse> {
    const auth::Decision decision = auth::Decide(request.caller, action, {"Measure", operation, {}, "", "", false});
    if (decision.allowed) return std::nullopt;
    return ErrorResponse(Forbidden(decision));
  };
  if (segments.size() == 1) {
    if (method != "GET") return MethodNotAllowed(method, "Measure", "GET");
    if (auto no = refused(auth::Action::search, "")) return *no;
    std::string filter_id;
    for (const auto& [name, value] : request.query) {
      if (name == "_id") filter_id = value;
    }
    std::string entries;
    long total = 0;
    for (const auto& def : MeasureDefinitions()) {
      if (!filter_id.empty() && def.id != filter_id) continue;
      if (total++) entries += ",";
      entries += "{\"fullUrl\":" + JsonString(request.base_url + "/Measure/" + def.id) +
                 ",\"resource\":" + MeasureJson(def, kNrBase) + ",\"search\":{\"mode\":\"match\"}}";
    }
    QueryParams self;
    if (!filter_id.empty()) self.emplace_back("_id", filter_id);
    const std::string query = EncodeQuery(self);
    return JsonResponse(200, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":" + std::to_string(total) +
                                 ",\"link\":[{\"relation\":\"self\",\"url\":" +
                                 JsonString(request.base_url + "/Measure" + (query.empty() ? "" : "?" + query)) +
                                 "}],\"entry\":[" + entries + "]}");
  }
  const std::string& id = segments[1];
  if (!IsValidId(id)) return ErrorResponse(Error::Invalid("invalid", "ogiltigt id (ids are 1–64 of A–Z a–z 0–9 - .)"));
  if (segments.size() == 2) {
    if (method != "GET") return MethodNotAllowed(method, "Measure/[id]", "GET");
    if (auto no = refused(auth::Action::read, "")) return *no;
    const MeasureDefinition* def = FindMeasure(id);
    if (!def) return NotFoundPath("indikatorn " + SafeExcerpt(id) + " finns inte (unknown Measure)");
    return JsonResponse(200, MeasureJson(*def, kNrBase));
  }
  if (segments.size() != 3 || segments[2] != "$evaluate-measure") {
    return NotFoundPath("okänd sökväg (unknown path)");
  }
  if (method != "GET") return MethodNotAllowed(method, "$evaluate-measure", "GET");
  if (auto no = refused(auth::Action::operation, "$evaluate-measure")) return *no;
  const MeasureDefinition* def = FindMeasure(id);
  if (!def) return NotFoundPath("indikatorn " + SafeExcerpt(id) + " finns inte (unknown Measure)");
  if (!options_.measures) {
    Issue issue;
    issue.code = "not-supported";
    issue.text = "$evaluate-measure är inte konfigurerad på den här servern (no measure engine configured)";
    return ErrorResponse(501, issue);
  }
  std::optional<Date> period_end;
  std::string subject;
  for (const auto& [name, value] : request.query) {
    if (name == "periodEnd") {
      auto parsed = Date::Parse(value);
      if (!parsed) {
        return ErrorResponse(Error::Invalid("invalid", "periodEnd måste vara ett datum YYYY-MM-DD (periodEnd must be "
                                                       "a date YYYY-MM-DD)"));
      }
      period_end = *parsed;
    } else if (name == "subject") {
      std::string ref_type, ref_id;
      if (!ParseReference(value, ref_type, ref_id) || ref_type != "Organization" || !IsValidId(ref_id)) {
        return ErrorResponse(Error::Invalid("invalid", "subject must be Organization/[id] (a region, kommun or "
                                                       "vårdcentral)"));
      }
      subject = ref_id;
    } else if (name == "reportType") {
      if (value != "summary") {
        return ErrorResponse(Error::Invalid("not-supported", "only reportType=summary is supported"));
      }
    } else if (name == "periodStart") {
      // Measures are "as of periodEnd"; a start adds nothing but must still be a date.
      if (!Date::Parse(value)) return ErrorResponse(Error::Invalid("invalid", "periodStart must be YYYY-MM-DD"));
    }
  }
  if (!period_end) {
    return ErrorResponse(Error::Invalid("invalid", "$evaluate-measure behöver periodEnd=YYYY-MM-DD (periodEnd is "
                                                   "required)"));
  }
  auto result = options_.measures->Evaluate(def->id, *period_end, subject);
  if (!result) return ErrorResponse(result.error());
  return JsonResponse(200, MeasureReportJson(*result, *def));
}
// ---- end measures ----------------------------------------------------------------------------------

}  // namespace nara::fhir
