#include "fhir/router.h"

#include <Poco/StringTokenizer.h>

#include "fhir/access.h"
#include "fhir/audit_event.h"
#include "fhir/bundle.h"
#include "fhir/capability.h"
#include "fhir/date_param.h"
#include "fhir/http_util.h"
#include "fhir/json.h"
#include "fhir/measure_resources.h"
#include "fhir/operation_outcome.h"
#include "fhir/resource_mapper.h"
#include "fhir/resource_types.h"
#include "fhir/registry_views.h"
#include "fhir/search_params.h"
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

// RFC 9110 15.5.6: a 405 names the methods that are allowed.
HttpResponse MethodNotAllowed(const std::string& method, const std::string& what, const std::string& allow) {
  Issue issue;
  issue.code = "not-supported";
  issue.text = "metoden " + SafeExcerpt(method, 16) + " stöds inte för " + what + " (method not allowed; use " +
               allow + ")";
  HttpResponse response = ErrorResponse(405, issue);
  response.SetHeader("Allow", allow);
  return response;
}

HttpResponse NotFoundPath(const std::string& text) {
  Issue issue;
  issue.code = "not-found";
  issue.text = text;
  return ErrorResponse(404, issue);
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", kFhirJson);
  response.body = std::move(body);
  return response;
}

void AddVersionHeaders(HttpResponse& response, const StoredResource& resource, const std::string& base_url,
                       bool location) {
  response.SetHeader("ETag", WeakEtag(resource.version));
  response.SetHeader("Last-Modified", HttpDate(resource.last_updated));
  if (location) {
    response.SetHeader("Location", base_url + "/" + resource.type + "/" + resource.id + "/_history/" +
                                       std::to_string(resource.version));
  }
}

// The body a write returns, as the client's Prefer header asks (FHIR R4 3.1.0.4).
HttpResponse WriteResponse(int status, const StoredResource& resource, const std::vector<Issue>& warnings,
                           const HttpRequest& request, const Preferences& prefs) {
  HttpResponse response;
  response.status = status;
  AddVersionHeaders(response, resource, request.base_url, true);
  if (prefs.return_kind == "minimal") return response;
  response.SetHeader("Content-Type", kFhirJson);
  if (prefs.return_kind == "OperationOutcome") {
    std::vector<Issue> issues = warnings;
    Issue info;
    info.severity = "information";
    info.code = "informational";
    info.text = resource.type + "/" + resource.id + " version " + std::to_string(resource.version) +
                (status == 201 ? " skapad (created)" : " sparad (updated)");
    issues.push_back(info);
    response.body = OperationOutcomeJson(issues);
  } else {
    response.body = resource.json;
  }
  return response;
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

// A key that serialises identical conditional creates (same type and criteria) until commit.
std::string ConditionKey(const SearchQuery& query) {
  std::string key = "conditional-create:" + query.type;
  for (const auto& criterion : query.criteria) {
    key += "&" + criterion.param + ":" + criterion.modifier + "=";
    for (const auto& value : criterion.any_of) {
      key += (value.system ? *value.system + "|" : std::string("*|")) + value.value + "," ;
    }
  }
  return key;
}

}  // namespace

Status FhirApi::CheckResident(const Caller& caller, const StoredResource& resource, RequestAudit& audit) {
  if (audit.action.empty() || resource.json.empty()) return Ok();
  rapidjson::Document doc;
  if (!ParseJsonObject(resource.json, doc)) return Ok();
  audit.AddResource(resource.type, resource.id, doc);
  if (caller.role != "municipality") return Ok();
  const auto patients = PatientIdsOf(resource.type, resource.id, doc);
  return store_.Transact([&](ResourceTransaction& tx) -> Status {
    for (const auto& patient : patients) {
      if (!IsResidentOf(tx, caller, patient)) {
        return Error{ErrorKind::forbidden, "forbidden",
                     "kommunen får bara läsa sina invånares uppgifter (a municipality reads its own residents only)", {}};
      }
    }
    return Ok();
  });
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
    return MethodNotAllowed(method, "basen (transaction/batch Bundles are not supported yet)", "GET");
  }
  if (segments[0] == "metadata" && segments.size() == 1) {
    if (method != "GET") return MethodNotAllowed(method, "metadata", "GET");
    if (auto no = refused(auth::Action::read, {"CapabilityStatement", "", {}, "", "", false})) return *no;
    return JsonResponse(200, CapabilityStatementJson(request.base_url, options_.software_version));
  }

  auto run_history = [&](const std::string& type, const std::string& id) -> HttpResponse {
    if (method != "GET") return MethodNotAllowed(method, "_history", "GET");
    if (type.empty() || IsPatientData(type)) audit.Begin("history", type, id);
    if (auto no = refused(auth::Action::history, {type, "", {}, "", "", false})) return *no;
    HistoryQuery query;
    query.type = type;
    query.id = id;
    QueryParams canonical;
    for (const auto& [name, value] : request.query) {
      if (name == "_count" || name == "_offset") {
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
    if (!id.empty()) {
      auto current = store_.ReadVersion(type, id, 1);
      if (!current && current.error().kind == ErrorKind::not_found) return ErrorResponse(current.error());
    }
    auto page = store_.History(query);
    if (!page) return ErrorResponse(page.error());
    if (!audit.action.empty()) audit.AddAll(page->resources);
    if (caller.role == "municipality" && !page->resources.empty()) {
      // A municipality sees the history of its residents only.
      auto checked = store_.Transact([&](ResourceTransaction& tx) -> Status {
        for (const auto& patient : audit.patient_ids) {
          if (!IsResidentOf(tx, caller, patient)) {
            return Error{ErrorKind::forbidden, "forbidden", "patienten tillhör inte kommunen (not a resident)", {}};
          }
        }
        return Ok();
      });
      if (!checked) return ErrorResponse(checked.error());
    }
    std::string url_base = request.base_url + (type.empty() ? "" : "/" + type) + (id.empty() ? "" : "/" + id) + "/_history";
    return JsonResponse(200, HistoryJson(request.base_url, page->resources, page->total,
                                         PageLinks(url_base, canonical, query.offset, query.count, page->has_more)));
  };

  if (segments[0] == "_history" && segments.size() == 1) return run_history("", "");

  // GET AuditEvent?patient=&agent=&date= : the PDL log, for admin only (API.md section 6). Reading
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

  // ---- measures (API.md section 5): served from the definitions, not the resource store ----
  if (segments[0] == "Measure") return RouteMeasure(request, segments);
  // ---- end measures ----
  // ---- bulk export (fhir/bulk_export.h) ----
  if (IsBulkExportPath(segments)) return RouteBulkExport(request, segments, options_.exports, audit);

  const ResourceTypeDef* type = FindType(segments[0]);
  if (!type) {
    return NotFoundPath("resurstypen " + SafeExcerpt(segments[0]) + " finns inte här (unknown resource type)");
  }

  auto run_search = [&](const QueryParams& params) -> HttpResponse {
    if (IsPatientData(type->type)) audit.Begin("search", type->type, "");
    if (auto no = refused(auth::Action::search, {type->type, "", {}, "", "", false})) return *no;
    QueryParams filtered;
    for (const auto& pair : params) {
      if (pair.first != "_format" && pair.first != "_pretty") filtered.push_back(pair);
    }
    // has-free-capacity (API.md section 5) is answered by the registry, not the search index: it
    // becomes the list of PractitionerRoles with free places, at the unit given by `organization`.
    std::optional<bool> free_capacity;
    std::string unit_filter;
    if (type->type == "PractitionerRole") {
      QueryParams rest;
      for (auto& pair : filtered) {
        if (pair.first == "has-free-capacity") {
          if (pair.second != "true" && pair.second != "false") {
            return ErrorResponse(Error::Invalid("invalid", "has-free-capacity is true or false"));
          }
          free_capacity = pair.second == "true";
        } else {
          if (pair.first == "organization") {
            std::string ref_type;
            if (!ParseReference(pair.second, ref_type, unit_filter)) unit_filter = pair.second;
          }
          rest.push_back(std::move(pair));
        }
      }
      filtered = std::move(rest);
    }
    auto parsed = ParseSearch(*type, filtered, prefs.strict);
    if (!parsed) return ErrorResponse(parsed.error());
    if (free_capacity) {
      SearchCriterion ids;
      ids.kind = SearchKind::id;
      ids.param = "_id";
      std::vector<std::string> matching;
      auto loads = store_.Transact([&](ResourceTransaction& tx) -> Status {
        matching.clear();
        for (const auto& [role, listed] : tx.Registry().DoctorLoads(unit_filter, Date::Today())) {
          if ((role.capacity - listed > 0) == *free_capacity) matching.push_back(role.id);
        }
        return Ok();
      });
      if (!loads) return ErrorResponse(loads.error());
      if (matching.empty()) matching.push_back("-");  // no role has this id: an empty result
      for (const auto& id : matching) {
        SearchValue value;
        value.value = id;
        ids.any_of.push_back(value);
      }
      parsed->query.criteria.push_back(std::move(ids));
      parsed->canonical.emplace_back("has-free-capacity", *free_capacity ? "true" : "false");
    }
    // A municipality sees its residents only, decided per resource after the search: a total would
    // count the others, so none is given (FHIR allows a searchset without total).
    const bool residents_only = caller.role == "municipality" && IsPatientData(type->type);
    if (residents_only) parsed->query.want_total = false;
    auto page = store_.Search(parsed->query);
    if (!page) return ErrorResponse(page.error());
    if (residents_only && !page->resources.empty()) {
      // Others are left out of the page.
      auto filtered_page = store_.Transact([&](ResourceTransaction& tx) -> Status {
        std::vector<StoredResource> kept;
        for (auto& resource : page->resources) {
          rapidjson::Document doc;
          if (!ParseJsonObject(resource.json, doc)) continue;
          const auto patients = PatientIdsOf(resource.type, resource.id, doc);
          if (!patients.empty() && IsResidentOf(tx, caller, patients.front())) kept.push_back(std::move(resource));
        }
        if (kept.size() != page->resources.size()) page->total.reset();
        page->resources = std::move(kept);
        return Ok();
      });
      if (!filtered_page) return ErrorResponse(filtered_page.error());
    }
    if (!audit.action.empty()) audit.AddAll(page->resources);
    if (type->type == "Patient" && !page->resources.empty()) {
      auto decorated = store_.Transact([&](ResourceTransaction& tx) -> Status {
        for (auto& patient : page->resources) {
          patient.json = PatientWithGeneralPractitioner(tx.Registry(), patient, Date::Today());
        }
        return Ok();
      });
      if (!decorated) return ErrorResponse(decorated.error());
    }
    std::vector<Issue> issues;
    if (!parsed->ignored.empty()) {
      Issue issue;
      issue.severity = "warning";
      issue.code = "not-supported";
      issue.text = "okända sökparametrar ignorerades (unknown search parameters ignored):";
      for (const auto& name : parsed->ignored) issue.text += " " + SafeExcerpt(name);
      issues.push_back(issue);
    }
    if (parsed->summary_count) page->resources.clear();
    return JsonResponse(200, SearchsetJson(request.base_url, page->resources, page->total,
                                           PageLinks(request.base_url + "/" + type->type, parsed->canonical,
                                                     parsed->query.offset, parsed->query.count, page->has_more),
                                           issues));
  };

  // A write is decided on what it touches (the unit chain of the new content and, on update or
  // delete, of the stored version) inside its transaction, and audited there (commits with it).
  auto decide_write = [&](ResourceTransaction& tx, auth::Action action, const rapidjson::Value* content,
                          const std::string& id) -> Status {
    if (content) {
      // Named before deciding, so that a refused write is logged against its patient too.
      if (!audit.action.empty()) audit.AddResource(type->type, id, *content);
      const auth::Decision decision = auth::Decide(caller, action, TargetOf(tx.Registry(), type->type, content));
      if (!decision.allowed) return Forbidden(decision);
    }
    if (action == auth::Action::create) return Ok();
    auto stored = tx.Read(type->type, id);
    if (!stored) return Ok();  // nothing stored yet (update as create) or gone: the content decides
    rapidjson::Document old;
    if (!ParseJsonObject(stored->json, old)) return Ok();
    const auth::Decision decision = auth::Decide(caller, action, TargetOf(tx.Registry(), type->type, &old));
    if (!decision.allowed) return Forbidden(decision);
    if (!audit.action.empty()) audit.AddResource(type->type, id, old);
    return Ok();
  };
  auto audit_write = [&](ResourceTransaction& tx, int http_status) -> Status {
    if (audit.action.empty()) return Ok();
    return tx.AppendAudit(AuditRecordFor(request, audit, http_status));
  };

  // [type]
  if (segments.size() == 1) {
    if (method == "GET") return run_search(request.query);
    if (method != "POST") return MethodNotAllowed(method, type->type, "GET, POST");
    if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
    auto prepared = PrepareResource(request.body, *type, std::nullopt);
    if (!prepared) return ErrorResponse(prepared.error());
    WriteRequest write;
    write.type = type->type;
    // The id is chosen before the transaction so the registry facts can name the new resource.
    write.id = NewResourceId();
    if (IsPatientData(type->type)) audit.Begin("create", type->type, "");
    write.must_not_exist = true;
    write.index = prepared->index;
    const rapidjson::Document& doc = prepared->doc;
    write.render = [&doc, &type](const VersionInfo& info) { return RenderVersion(doc, type->type, info); };

    const std::string condition = request.Header("if-none-exist");
    std::optional<SearchQuery> match_query;
    if (!condition.empty()) {
      std::string query_text = condition;
      if (const auto q = query_text.find('?'); q != std::string::npos) query_text = query_text.substr(q + 1);
      auto parsed = ParseSearch(*type, ParseQueryString(query_text), /*strict=*/true);
      if (!parsed) return ErrorResponse(parsed.error());
      if (parsed->query.criteria.empty()) {
        return ErrorResponse(Error::Invalid("invalid", "If-None-Exist needs at least one search criterion"));
      }
      match_query = parsed->query;
      match_query->count = 2;
      match_query->offset = 0;
      match_query->want_total = false;
    }
    std::optional<StoredResource> existing;
    WriteOutcome outcome;
    std::vector<Issue> warnings;
    auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
      existing.reset();
      warnings = prepared->warnings;
      if (auto allowed = decide_write(tx, auth::Action::create, &doc, write.id); !allowed) return allowed;
      if (match_query) {
        tx.LockKey(ConditionKey(*match_query));
        auto page = tx.Search(*match_query);
        if (!page) return page.error();
        if (page->resources.size() > 1) {
          return Error::PreconditionFailed("If-None-Exist matchar flera resurser (matches more than one resource)");
        }
        if (page->resources.size() == 1) {
          existing = page->resources.front();
          if (!audit.action.empty()) audit.AddAll({*existing});
          return audit_write(tx, 200);
        }
      }
      auto written = registry_.Write(tx, write, doc, warnings);
      if (!written) return written.error();
      outcome = std::move(*written);
      if (!audit.action.empty()) audit.AddResource(type->type, outcome.resource.id, doc);
      return audit_write(tx, 201);
    });
    audit.recorded = status.ok();
    if (!status) return ErrorResponse(status.error());
    if (existing) return WriteResponse(200, *existing, {}, request, prefs);
    return WriteResponse(201, outcome.resource, warnings, request, prefs);
  }

  // Patient/$fixed-contacts?identifier=SYSTEM|VALUE: what 1177 shows a citizen (API.md section 5).
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
      auto resource = store_.Read(type->type, id);
      if (!resource) return ErrorResponse(resource.error());
      if (auto visible = CheckResident(caller, *resource, audit); !visible) return ErrorResponse(visible.error());
      if (type->type == "Patient") {
        auto decorated = store_.Transact([&](ResourceTransaction& tx) -> Status {
          resource->json = PatientWithGeneralPractitioner(tx.Registry(), *resource, Date::Today());
          return Ok();
        });
        if (!decorated) return ErrorResponse(decorated.error());
      }
      HttpResponse response = JsonResponse(200, resource->json);
      AddVersionHeaders(response, *resource, request.base_url, false);
      return response;
    }
    if (method == "PUT") {
      if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
      auto if_match = ParseIfMatch(request.Header("if-match"));
      if (!if_match) return ErrorResponse(if_match.error());
      auto prepared = PrepareResource(request.body, *type, id);
      if (!prepared) return ErrorResponse(prepared.error());
      if (IsPatientData(type->type)) audit.Begin("update", type->type, id);
      WriteRequest write;
      write.type = type->type;
      write.id = id;
      write.if_match = *if_match;
      write.index = prepared->index;
      const rapidjson::Document& doc = prepared->doc;
      write.render = [&doc, &type](const VersionInfo& info) { return RenderVersion(doc, type->type, info); };
      WriteOutcome outcome;
      std::vector<Issue> warnings;
      auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
        warnings = prepared->warnings;
        if (auto allowed = decide_write(tx, auth::Action::update, &doc, id); !allowed) return allowed;
        auto written = registry_.Write(tx, write, doc, warnings);
        if (!written) return written.error();
        outcome = std::move(*written);
        if (!audit.action.empty()) audit.AddResource(type->type, id, doc);
        return audit_write(tx, outcome.created ? 201 : 200);
      });
      audit.recorded = status.ok();
      if (!status) return ErrorResponse(status.error());
      return WriteResponse(outcome.created ? 201 : 200, outcome.resource, warnings, request, prefs);
    }
    if (method == "DELETE") {
      auto if_match = ParseIfMatch(request.Header("if-match"));
      if (!if_match) return ErrorResponse(if_match.error());
      StoredResource deleted;
      if (IsPatientData(type->type)) audit.Begin("delete", type->type, id);
      if (auto no = refused(auth::Action::delete_, {type->type, "", {}, "", "", false})) return *no;
      auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
        if (auto allowed = decide_write(tx, auth::Action::delete_, nullptr, id); !allowed) return allowed;
        auto result = registry_.Delete(tx, type->type, id, *if_match);
        if (!result) return result.error();
        deleted = std::move(*result);
        return audit_write(tx, 200);
      });
      audit.recorded = status.ok();
      if (!status) return ErrorResponse(status.error());
      Issue info;
      info.severity = "information";
      info.code = "informational";
      info.text = type->type + "/" + id + " raderad (deleted); historiken finns kvar (history is kept)";
      HttpResponse response = JsonResponse(200, OperationOutcomeJson({info}));
      response.SetHeader("ETag", WeakEtag(deleted.version));
      return response;
    }
    return MethodNotAllowed(method, type->type + "/[id]", "GET, PUT, DELETE");
  }

  // PractitionerRole/{id}/$list-status and Organization/{id}/$list-status (API.md section 5).
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

// ---- measures (API.md section 5) ------------------------------------------------------------------
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
