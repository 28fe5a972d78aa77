// FhirApi's writes: create, update, patch and delete, each planned before its transaction and
// executed inside it (fhir/resources/write_plan.h), for single requests and for transaction/batch Bundles.
#include "fhir/http/access.h"
#include "fhir/http/protection.h"
#include "fhir/json/json.h"
#include "fhir/json/json_patch.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/encounter_resource.h"
#include "fhir/resources/registry_views.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/search/search_params.h"
#include "registry/ids.h"

namespace nara::fhir {

// The search criteria of If-None-Exist or of a conditional update/delete: strict (an unknown
// parameter must not widen the match to everything), at least one criterion, two rows are enough.
Result<SearchQuery> ParseCondition(const ResourceTypeDef& type, const QueryParams& params, const std::string& what) {
  QueryParams criteria;
  for (const auto& pair : params) {
    if (pair.first != "_format" && pair.first != "_pretty") criteria.push_back(pair);
  }
  auto parsed = ParseSearch(type, criteria, /*strict=*/true);
  if (!parsed) return parsed.error();
  if (parsed->query.criteria.empty()) {
    return Error::Invalid("invalid", what + " behöver minst ett sökkriterium (needs at least one search criterion)");
  }
  SearchQuery query = parsed->query;
  query.count = 2;
  query.offset = 0;
  query.want_total = false;
  return query;
}

// The one resource a condition names, nullopt when none; 412 when it names more than one
// (FHIR R4 3.1.0.8: multiple matches fail the precondition). The lock is held until commit.
Result<std::optional<StoredResource>> MatchOne(ResourceTransaction& tx, const SearchQuery& condition) {
  tx.LockKey(ConditionKey(condition));
  auto page = tx.Search(condition);
  if (!page) return page.error();
  if (page->resources.size() > 1) {
    return Error::PreconditionFailed("villkoret matchar flera resurser (the condition matches more than one resource)");
  }
  if (page->resources.empty()) return std::optional<StoredResource>();
  return std::optional<StoredResource>(page->resources.front());
}


const char* PlannedWrite::AuditAction() const {
  switch (kind) {
    case Kind::create: return "create";
    case Kind::update:
    case Kind::patch: return "update";
    case Kind::remove: return "delete";
  }
  return "update";
}

std::string ConditionKey(const SearchQuery& query) {
  std::string key = "conditional:" + query.type;
  for (const auto& criterion : query.criteria) {
    key += "&" + criterion.param + ":" + criterion.modifier + "=";
    for (const auto& value : criterion.any_of) {
      key += (value.system ? *value.system + "|" : std::string("*|")) + value.value + ",";
    }
  }
  return key;
}

Result<PlannedWrite> FhirApi::PlanWrite(const HttpRequest& request, const ResourceTypeDef& type, const std::string& id,
                                        const std::string& new_id) {
  PlannedWrite plan;
  plan.type = &type;
  plan.id = id;
  const std::string& method = request.method;
  if (method != "POST") {
    auto if_match = ParseIfMatch(request.Header("if-match"));
    if (!if_match) return if_match.error();
    plan.if_match = *if_match;
  }
  if (method == "POST") {
    plan.kind = PlannedWrite::Kind::create;
    auto prepared = PrepareResource(request.body, type, std::nullopt);
    if (!prepared) return prepared.error();
    plan.prepared.emplace(std::move(*prepared));
    // The id is chosen before the transaction so the registry facts (and a Bundle) can name it.
    plan.id = new_id.empty() ? NewResourceId() : new_id;
    std::string condition = request.Header("if-none-exist");
    if (!condition.empty()) {
      if (const auto q = condition.find('?'); q != std::string::npos) condition = condition.substr(q + 1);
      auto query = ParseCondition(type, ParseQueryString(condition), "If-None-Exist");
      if (!query) return query.error();
      plan.condition = std::move(*query);
    } else if (type.type == "Encounter") {
      plan.condition = EncounterIdentity(plan.prepared->doc);  // docs/api.md section 11: idempotent
    }
    return plan;
  }
  if (method == "PUT") {
    plan.kind = PlannedWrite::Kind::update;
    if (id.empty()) {
      auto query = ParseCondition(type, request.query, "en villkorlig uppdatering (a conditional update)");
      if (!query) return query.error();
      plan.condition = std::move(*query);
    }
    auto prepared = PrepareResource(request.body, type, id.empty() ? std::nullopt : std::optional<std::string>(id));
    if (!prepared) return prepared.error();
    if (id.empty()) {
      plan.body_id = StringMember(prepared->doc, "id");
      if (!plan.body_id.empty() && !IsValidId(plan.body_id)) return Error::Invalid("invalid", "ogiltigt id i kroppen (invalid id in the body)", type.type + ".id");
    }
    plan.prepared.emplace(std::move(*prepared));
    return plan;
  }
  if (method == "PATCH") {
    plan.kind = PlannedWrite::Kind::patch;
    plan.patch = request.body;
    return plan;
  }
  if (method == "DELETE") {
    plan.kind = PlannedWrite::Kind::remove;
    if (id.empty()) {
      auto query = ParseCondition(type, request.query, "en villkorlig radering (a conditional delete)");
      if (!query) return query.error();
      plan.condition = std::move(*query);
    }
    return plan;
  }
  return Error{ErrorKind::not_supported, "not-supported", "metoden stöds inte (method not supported)", {}};
}

Status FhirApi::DecideWrite(ResourceTransaction& tx, const Caller& caller, RequestAudit& audit, const std::string& type,
                            auth::Action action, const rapidjson::Value* content, const std::string& id) {
  if (content) {
    // Named before deciding, so that a refused write is logged against its patient too.
    if (!audit.action.empty()) audit.AddResource(type, id, *content);
    const auth::Decision decision = auth::Decide(caller, action, TargetOf(tx.Registry(), type, content));
    if (!decision.allowed) return Forbidden(decision);
  }
  const bool marked = type == "Patient" && content && HasProtectedMark(*content);
  if (action == auth::Action::create) return CheckProtectionMark(caller, false, marked);
  auto stored = tx.Read(type, id);
  // nothing stored yet (update as create) or gone: the content decides
  if (!stored) return CheckProtectionMark(caller, false, marked);
  rapidjson::Document old;
  if (!ParseJsonObject(stored->json, old)) return Ok();
  if (type == "Patient" && HasProtectedMark(old)) {
    // docs/api.md section 8: a caller who is shown the person redacted would write that view back and
    // erase the address and contacts; only those who see everything change a protected patient.
    ProtectionScreen screen(caller);
    StoredResource seen = *stored;
    if (screen.ScreenOne(tx.Registry(), seen) != Sight::full) {
      return Error{ErrorKind::forbidden, "forbidden",
                   "skyddad identitet: bara en enhet som har patienten listad eller som fast kontakt, eller "
                   "administratören, får ändra uppgifterna (protected identity: only a unit caring for the patient, "
                   "or admin, may change this patient)",
                   {}};
    }
  }
  if (type == "Patient" && content) {
    if (auto mark = CheckProtectionMark(caller, HasProtectedMark(old), marked); !mark) return mark;
  }
  // A write is decided on the stored version too: a unit may not take over another unit's resource.
  const auth::Decision decision = auth::Decide(caller, action, TargetOf(tx.Registry(), type, &old));
  if (!decision.allowed) return Forbidden(decision);
  if (!audit.action.empty()) audit.AddResource(type, id, old);
  return Ok();
}

Result<WriteDone> FhirApi::ExecuteWrite(ResourceTransaction& tx, const HttpRequest& request, const PlannedWrite& plan,
                                        RequestAudit& audit) {
  const std::string& type = plan.type->type;
  const Caller& caller = request.caller;
  audit = RequestAudit{};  // a retried transaction starts its record again
  if (IsPatientData(type)) audit.Begin(plan.AuditAction(), type, plan.id);
  WriteDone done;
  std::string id = plan.id;

  auto write = [&](const rapidjson::Document& doc, const IndexEntries& index, std::optional<int> if_match,
                   bool must_not_exist) -> Status {
    WriteRequest request_to_store;
    request_to_store.type = type;
    request_to_store.id = id;
    request_to_store.if_match = if_match;
    request_to_store.must_not_exist = must_not_exist;
    request_to_store.index = index;
    request_to_store.render = [&doc, &type](const VersionInfo& info) { return RenderVersion(doc, type, info); };
    // An update that changes nothing makes no new version (FHIR R4 3.1.0.4 lets a server skip it): the
    // history stays a list of changes, and the answer is the current version. If-Match still decides.
    if (!must_not_exist) {
      auto stored = tx.Read(type, id);
      if (stored && (!if_match || *if_match == stored->version) &&
          RenderVersion(doc, type, {id, stored->version, stored->last_updated}) == stored->json) {
        done.status = 200;
        done.resource = std::move(*stored);
        if (!audit.action.empty()) audit.AddResource(type, id, doc);
        return Ok();
      }
    }
    auto written = registry_.Write(tx, request_to_store, doc, done.warnings,
                                   ParsePrefer(request.Header("prefer")).waitlist);
    if (!written) return written.error();
    done.status = written->created ? 201 : 200;
    done.resource = std::move(written->resource);
    // A queued CareTeam request is answered with the Task written instead (docs/api.md section 9).
    if (!audit.action.empty()) audit.AddResource(done.resource.type, done.resource.id, doc);
    return Ok();
  };

  Status status = [&]() -> Status {
    switch (plan.kind) {
      case PlannedWrite::Kind::create: {
        const auto& doc = plan.prepared->doc;
        done.warnings = plan.prepared->warnings;
        if (auto allowed = DecideWrite(tx, caller, audit, type, auth::Action::create, &doc, id); !allowed) return allowed;
        if (plan.condition) {
          auto match = MatchOne(tx, *plan.condition);
          if (!match) return match.error();
          if (*match) {
            done.found_existing = true;
            done.status = 200;
            done.resource = **match;
            done.warnings.clear();
            if (!audit.action.empty()) audit.AddAll({done.resource});
            // The answer carries the match: protected identity applies as to a read (docs/api.md section 8).
            ProtectionScreen screen(caller);
            const Sight sight = screen.ScreenOne(tx.Registry(), done.resource);
            if (!audit.action.empty()) AddProtectionNote(audit.detail, request.method + " " + type, screen);
            if (sight == Sight::withheld) {
              return Error::PreconditionFailed(
                  "villkoret i If-None-Exist kan inte användas här (the If-None-Exist condition cannot be used here)");
            }
            return Ok();
          }
        }
        return write(doc, plan.prepared->index, std::nullopt, /*must_not_exist=*/true);
      }
      case PlannedWrite::Kind::update: {
        const auto& doc = plan.prepared->doc;
        done.warnings = plan.prepared->warnings;
        if (plan.condition) {
          auto match = MatchOne(tx, *plan.condition);
          if (!match) return match.error();
          if (*match) {
            if (!plan.body_id.empty() && plan.body_id != (*match)->id) {
              return Error::Invalid("invalid", "id i kroppen är inte den resurs villkoret matchar (the body id is not "
                                               "the resource the condition matches)", type + ".id");
            }
            id = (*match)->id;
          } else {
            id = plan.body_id.empty() ? NewResourceId() : plan.body_id;
          }
          if (!audit.action.empty()) audit.resource_ids.push_back(id);
        }
        if (auto allowed = DecideWrite(tx, caller, audit, type, auth::Action::update, &doc, id); !allowed) return allowed;
        return write(doc, plan.prepared->index, plan.if_match, /*must_not_exist=*/false);
      }
      case PlannedWrite::Kind::patch: {
        auto stored = tx.Read(type, id);
        if (!stored) return stored.error();
        if (plan.if_match && *plan.if_match != stored->version) {
          return VersionConflict(*plan.if_match, stored->version);
        }
        auto patched = ApplyJsonPatch(stored->json, plan.patch);
        if (!patched) return patched.error();
        // The patched resource is checked and ruled exactly like a PUT of it.
        auto prepared = PrepareResource(*patched, *plan.type, id);
        if (!prepared) return prepared.error();
        done.warnings = prepared->warnings;
        if (auto allowed = DecideWrite(tx, caller, audit, type, auth::Action::update, &prepared->doc, id); !allowed) {
          return allowed;
        }
        // The version patched is the version replaced: a concurrent writer makes this a 412, never a lost update.
        return write(prepared->doc, prepared->index, stored->version, /*must_not_exist=*/false);
      }
      case PlannedWrite::Kind::remove: {
        const auth::Decision decision = auth::Decide(caller, auth::Action::delete_, {type, "", {}, "", "", false});
        if (!decision.allowed) return Forbidden(decision);
        if (plan.condition) {
          auto match = MatchOne(tx, *plan.condition);
          if (!match) return match.error();
          if (!*match) {
            done.nothing_matched = true;
            return Ok();
          }
          id = (*match)->id;
        }
        if (auto allowed = DecideWrite(tx, caller, audit, type, auth::Action::delete_, nullptr, id); !allowed) return allowed;
        auto deleted = registry_.Delete(tx, type, id, plan.if_match);
        if (!deleted) return deleted.error();
        done.deleted = true;
        done.resource = std::move(*deleted);
        if (!audit.action.empty()) audit.resource_ids.push_back(id);
        return Ok();
      }
    }
    return Ok();
  }();
  if (!status) return status.error();
  // The body answers as a read right after would: with the derived Patient.generalPractitioner.
  if (type == "Patient" && !done.deleted && !done.resource.json.empty()) {
    done.resource.json = PatientWithGeneralPractitioner(tx.Registry(), done.resource, Date::Today());
  }
  if (!audit.action.empty()) {
    NARA_RETURN_IF_ERROR(tx.AppendAudit(AuditRecordFor(request, audit, done.status)));
  }
  return done;
}

HttpResponse FhirApi::WriteDoneResponse(const HttpRequest& request, const WriteDone& done) {
  const Preferences prefs = ParsePrefer(request.Header("prefer"));
  if (done.nothing_matched || done.deleted) {
    Issue info;
    info.severity = "information";
    info.code = "informational";
    info.text = done.nothing_matched
                    ? "inget matchade villkoret, inget raderades (nothing matched the condition; nothing deleted)"
                    : done.resource.type + "/" + done.resource.id +
                          " raderad (deleted); historiken finns kvar (history is kept)";
    HttpResponse response = JsonResponse(200, OperationOutcomeJson({info}));
    if (done.deleted) response.SetHeader("ETag", WeakEtag(done.resource.version));
    return response;
  }
  return WriteResponse(done.status, done.resource, done.warnings, request, prefs);
}

HttpResponse FhirApi::RunWrite(const HttpRequest& request, const PlannedWrite& plan, RequestAudit& audit) {
  WriteDone done;
  auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
    auto executed = ExecuteWrite(tx, request, plan, audit);
    if (!executed) return executed.error();
    done = std::move(*executed);
    return Ok();
  });
  audit.recorded = status.ok();
  if (!status) return ErrorResponse(status.error());
  return WriteDoneResponse(request, done);
}

}  // namespace nara::fhir
