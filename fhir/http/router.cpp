#include "fhir/http/router.h"

#include <Poco/StringTokenizer.h>

#include "fhir/http/access.h"
#include "fhir/http/http_util.h"
#include "fhir/http/operation_parameters.h"
#include "fhir/http/protection.h"
#include "fhir/http/responses.h"
#include "fhir/http/routes.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/resources/audit_event.h"
#include "fhir/resources/registry_views.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  Poco::StringTokenizer tokens(path, "/", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  for (const auto& token : tokens) out.push_back(token);
  return out;
}

// The body a row takes, checked before anything else (415).
std::optional<HttpResponse> CheckBody(const HttpRequest& request, BodyCheck check) {
  switch (check) {
    case BodyCheck::none: return std::nullopt;
    case BodyCheck::fhir:
      if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
      return std::nullopt;
    case BodyCheck::json_patch:
      if (request.Header("content-type").find("application/json-patch+json") == std::string::npos) {
        return ErrorResponse(415, IssueFor(Error{ErrorKind::not_supported, "not-supported",
                                                 "PATCH tar application/json-patch+json (PATCH takes application/json-patch+json)", {}}));
      }
      return std::nullopt;
    case BodyCheck::parameters:
      if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
      if (auto error = CheckRequestContentType(request)) return ErrorResponse(415, IssueFor(*error));
      return std::nullopt;
    case BodyCheck::form:
      if (!request.body.empty() &&
          request.Header("content-type").find("application/x-www-form-urlencoded") == std::string::npos) {
        return ErrorResponse(415, IssueFor(Error{ErrorKind::not_supported,
                                                 "not-supported",
                                                 "POST _search tar application/x-www-form-urlencoded "
                                                 "(POST _search takes application/x-www-form-urlencoded)",
                                                 {}}));
      }
      return std::nullopt;
  }
  return std::nullopt;
}

// The policy at type level (auth/access_policy.h); resource-level checks follow in the handlers.
std::optional<HttpResponse> Authorize(const Caller& caller, auth::Action action, auth::Target target) {
  // A municipality's reads of patient data are decided per patient (CheckResident, and the search
  // filter): at type level they may go ahead.
  if (caller.role == "municipality" && IsPatientData(target.resource_type) &&
      (action == auth::Action::read || action == auth::Action::search)) {
    target.patient_in_callers_kommun = true;
  }
  const auth::Decision decision = auth::Decide(caller, action, target);
  if (decision.allowed) return std::nullopt;
  return ErrorResponse(Forbidden(decision));
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
  const std::vector<std::string> patients = PatientIdsOfStored(resource);
  audit.AddNamed(resource.id, patients);
  if (caller.role != "municipality") return Ok();
  for (const auto& patient : patients) {
    if (!IsResidentOf(*tx, caller, patient)) {
      return Error{ErrorKind::forbidden, "forbidden",
                   "kommunen får bara läsa sina invånares uppgifter (a municipality reads its own residents only)", {}};
    }
  }
  return Ok();
}

namespace {

HttpResponse AnswerRead(const HttpRequest& request, const StoredResource& resource) {
  HttpResponse found = JsonResponse(200, resource.json);
  AddVersionHeaders(found, resource, request.base_url, false);
  return NotModifiedOr(request, resource.version, std::move(found));
}

}  // namespace

void FhirApi::ForgetAnswersOf(const RequestAudit& audit) {
  if (!options_.patient_answers || audit.patient_ids.empty()) return;
  for (const auto& patient : audit.patient_ids) options_.patient_answers->Forget(patient);
  // A write may have put one of its patients on any doctor's list: the caller reads its own write at
  // once, the lists' own notifications arrive only after the answer.
  options_.patient_answers->ForgetLists();
}

// Not for a municipality (whose resident check reads the database each time), and not when the
// client echoes a commit position from another node (X-Nara-Commit-Lsn, docs/api.md section 12):
// then it reads what that node committed, exactly.
PatientAnswerCache* FhirApi::AnswersFor(const HttpRequest& request, const std::string& type) {
  PatientAnswerCache* cache = options_.patient_answers;
  if (!cache || type != "Patient" || request.caller.role == "municipality") return nullptr;
  if (!request.Header("x-nara-commit-lsn").empty()) return nullptr;
  return cache;
}

// GET [type]/[id] on one connection without a transaction block (ResourceStore::Autocommit): the
// current version and, for a Patient, in the same round trip the facts behind the derived
// generalPractitioner and the protection screen (ResourceTransaction::ReadToAnswer); then the
// municipality's resident check. The PDL audit record is not written here but by Handle() once the
// connection is back in the pool: it joins the audit writer's next batch and is committed before the
// answer leaves. A refusal or a missing resource is audited the same way with its status.
HttpResponse FhirApi::ReadCurrentAudited(const HttpRequest& request, const std::string& type, const std::string& id,
                                         RequestAudit& audit) {
  const Date today = Date::Today();
  PatientAnswerCache* cache = AnswersFor(request, type);
  if (cache) {
    if (auto kept = cache->Find(id, today)) {
      audit.AddResource(type, id, rapidjson::Value());  // as CheckResidentIn names a Patient
      return AnswerRead(request, *kept);
    }
  }
  const std::uint64_t stamp = cache ? cache->Stamp(id) : 0;  // before the read: see PatientAnswerCache::Fill
  HttpResponse response;
  const Status status = store_.Autocommit([&](ResourceTransaction& tx) -> Status {
    response = [&]() -> HttpResponse {
      auto resource = tx.ReadToAnswer(type, id);
      if (!resource) return ErrorResponse(resource.error());
      if (auto visible = CheckResidentIn(&tx, request.caller, *resource, audit); !visible) {
        return ErrorResponse(visible.error());
      }
      if (type == "Patient") resource->json = PatientWithGeneralPractitioner(tx.Registry(), *resource, today);
      // Protected identity (docs/api.md section 8): redacted, or a 404 like any missing resource.
      ProtectionScreen screen(request.caller);
      const Sight sight = screen.ScreenOne(tx.Registry(), *resource);
      AddProtectionNote(audit.detail, request.method + " " + type, screen);
      if (sight == Sight::withheld) return ErrorResponse(WithheldAsNotFound(type, id));
      // Only an answer every caller gets alike is kept: no protected identity involved.
      if (cache && sight == Sight::open) cache->Fill(id, stamp, *resource, today);
      return AnswerRead(request, *resource);
    }();
    return Ok();
  });
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
  if (request.method == "HEAD") {
    // RFC 9110 9.3.2: the GET's answer and headers; the adapter leaves the body out. Audited as the GET.
    HttpRequest get = request;
    get.method = "GET";
    get.head = true;
    return Handle(get);
  }
  RequestAudit audit;
  HttpResponse response = Route(request, audit);
  // Whatever else than a read may have changed the patients it names (a write, an operation).
  if (request.method != "GET") ForgetAnswersOf(audit);
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
  // A refusal releases nothing, so it is answered even when its audit record cannot be written.
  (void)store_.AppendAudit(AuditRecordFor(request, audit, response.status));
  return response;
}

HttpResponse FhirApi::Route(const HttpRequest& request, RequestAudit& audit) {
  // route
  auto matched = MatchPath(Segments(request.path));
  if (auto* answered = std::get_if<HttpResponse>(&matched)) return std::move(*answered);
  const RouteMatch& match = std::get<RouteMatch>(matched);
  const auto rows = RoutesFor(match);
  const fhir::Route* route = nullptr;  // (Route alone names this member function)
  for (const fhir::Route* row : rows) {
    if (std::string_view(row->method) == "*" || request.method == row->method) {
      route = row;
      break;
    }
  }
  if (request.method == "OPTIONS" && (rows.empty() || std::string_view(rows[0]->method) != "*")) {
    // What the path takes, from the table; the capabilities themselves are at metadata.
    HttpResponse options;
    options.status = 204;
    options.SetHeader("Allow", AllowedMethods(rows));
    return options;
  }
  if (route && request.head && !TakesHead(*route)) route = nullptr;
  if (!route) {
    return MethodNotAllowed(request.head ? "HEAD" : request.method, ShapeName(match), AllowedMethods(rows));
  }
  if (auto refused = CheckBody(request, route->body)) return *refused;
  // audit: named before the decision, so that a refusal is logged too
  const std::string type = *route->target_type ? route->target_type : (match.type ? match.type->type : "");
  if (route->audit_when == AuditWhen::always || (route->audit_when == AuditWhen::patient_data && IsPatientData(type))) {
    audit.Begin(route->audit_verb, type, match.type ? match.id : "");
  }
  // authorize
  if (route->action) {
    const std::string operation = *route->operation ? std::string("$") + route->operation : "";
    if (auto refused = Authorize(request.caller, *route->action, {type, operation, {}, "", "", false})) return *refused;
  }
  // parse, execute, render
  if (route->body == BodyCheck::parameters) {
    // An operation's POST: its Parameters become the query of the same GET, which the handler serves.
    auto parameters = ParametersAsQuery(request.body);
    if (!parameters) return ErrorResponse(parameters.error());
    HttpRequest as_get = request;
    as_get.method = "GET";
    as_get.body.clear();
    as_get.query.insert(as_get.query.end(), parameters->begin(), parameters->end());
    RouteContext context{*this, as_get, match, audit, ParsePrefer(request.Header("prefer"))};
    return route->handler(context);
  }
  RouteContext context{*this, request, match, audit, ParsePrefer(request.Header("prefer"))};
  return route->handler(context);
}

}  // namespace nara::fhir
