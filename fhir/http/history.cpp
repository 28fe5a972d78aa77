#include "fhir/http/history.h"

#include <algorithm>

#include "fhir/http/access.h"
#include "fhir/http/protection.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/bundle.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/json/json.h"
#include "fhir/search/date_param.h"

namespace nara::fhir {
namespace {

constexpr int kMaxHistoryCount = 1000;

// A page of history names whose data it shows (audit); a municipality sees its residents' only.
std::optional<HttpResponse> AuditHistory(RouteContext& c, const std::vector<StoredResource>& resources) {
  if (!c.audit.action.empty()) c.audit.AddAll(resources);
  const Caller& caller = c.request.caller;
  if (caller.role != "municipality" || resources.empty()) return std::nullopt;
  auto checked = c.api.store().Transact([&](ResourceTransaction& tx) -> Status {
    for (const auto& patient : c.audit.patient_ids) {
      if (!IsResidentOf(tx, caller, patient)) {
        return Error{ErrorKind::forbidden, "forbidden", "patienten tillhör inte kommunen (not a resident)", {}};
      }
    }
    return Ok();
  });
  if (!checked) return ErrorResponse(checked.error());
  return std::nullopt;
}

// Protected identity (docs/api.md section 8): withheld versions leave the page, redacted Patients
// stay; the issues say that something was left out. Recorded in the audit detail.
Result<std::vector<Issue>> ScreenHistory(RouteContext& c, std::vector<StoredResource>& versions, int& removed) {
  removed = 0;
  if (std::none_of(versions.begin(), versions.end(), [](const auto& v) { return IsPatientData(v.type); })) {
    return std::vector<Issue>();
  }
  ProtectionScreen screen(c.request.caller);
  auto screened = c.api.store().Transact([&](ResourceTransaction& tx) -> Status {
    removed = screen.Screen(tx.Registry(), versions);
    return Ok();
  });
  if (!screened) return screened.error();
  if (!c.audit.action.empty()) AddProtectionNote(c.audit.detail, c.request.method + " " + c.audit.resource_type, screen);
  if (removed == 0) return std::vector<Issue>();
  return std::vector<Issue>{SuppressedIssue()};
}

// The change feed: versions oldest first in commit-safe order (registry/resource_store.h,
// ChangeQuery). `next` while more are there now; `poll` always: where to continue later.
HttpResponse Feed(RouteContext& c, const std::string& type, const HistoryQuery& history, const ChangePosition& after,
                  const QueryParams& canonical) {
  ChangeQuery query;
  query.type = type;
  query.since = history.since;
  query.after = after;
  query.count = history.count;
  auto page = c.api.store().Changes(query);
  if (!page) return ErrorResponse(page.error());
  if (auto refused_page = AuditHistory(c, page->resources)) return *refused_page;
  int removed = 0;
  auto issues = ScreenHistory(c, page->resources, removed);
  if (!issues) return ErrorResponse(issues.error());
  const std::string url_base = c.request.base_url + (type.empty() ? "" : "/" + type) + "/_history";
  auto link = [&](const ChangePosition& position) {
    QueryParams params = canonical;
    params.emplace_back("_cursor", FormatChangeCursor(position));
    return url_base + "?" + EncodeQuery(params);
  };
  std::vector<BundleLink> links{{"self", link(after)}};
  if (page->has_more) links.push_back({"next", link(page->last)});
  links.push_back({"poll", link(page->last)});
  return JsonResponse(200, HistoryJson(c.request.base_url, page->resources, std::nullopt, links, *issues,
                                       (type.empty() ? "" : type + "/") + "_history"));
}

}  // namespace

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

HttpResponse History(RouteContext& c) {
  const std::string type = c.match.type ? c.match.type->type : "";
  const std::string id = c.match.shape == Shape::instance_history ? c.match.id : "";
  HistoryQuery query;
  query.type = type;
  query.id = id;
  QueryParams canonical;
  std::optional<ChangePosition> cursor;
  for (const auto& [name, value] : c.request.query) {
    if (name == "_cursor") {
      cursor = ParseChangeCursor(value);
      if (!cursor) return ErrorResponse(Error::Invalid("invalid", "_cursor är ogiltig (use the link the server gave)"));
    } else if (name == "_count" || name == "_offset") {
      if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
        return ErrorResponse(Error::Invalid("invalid", name + " måste vara ett heltal ≥ 0 (" + name + " must be a non-negative integer)"));
      }
      (name == "_count" ? query.count : query.offset) = std::stoi(value);
    } else if (name == "_since") {
      auto range = ParseDateRange(value);
      if (!range) return ErrorResponse(range.error());
      query.since = range->start;
      canonical.emplace_back(name, value);
    } else if (name != "_format" && name != "_pretty" && c.prefs.strict) {
      return ErrorResponse(Error::Invalid("not-supported", "okänd _history-parameter " + SafeExcerpt(name, 40) +
                                                               " (unknown _history parameter " + SafeExcerpt(name, 40) +
                                                               ")"));
    }
  }
  query.count = std::min(query.count, kMaxHistoryCount);
  canonical.emplace_back("_count", std::to_string(query.count));
  // System and type history with _since or _cursor is the change feed (docs/api.md section 1).
  if (id.empty() && (query.since || cursor)) return Feed(c, type, query, cursor.value_or(ChangePosition{}), canonical);
  if (!id.empty()) {
    auto current = c.api.store().ReadVersion(type, id, 1);
    if (!current && current.error().kind == ErrorKind::not_found) return ErrorResponse(current.error());
  }
  auto page = c.api.store().History(query);
  if (!page) return ErrorResponse(page.error());
  if (auto refused_page = AuditHistory(c, page->resources)) return *refused_page;
  int removed = 0;
  auto issues = ScreenHistory(c, page->resources, removed);
  if (!issues) return ErrorResponse(issues.error());
  // A withheld resource's own history answers as one that does not exist, like its read.
  if (!id.empty() && removed > 0) return ErrorResponse(WithheldAsNotFound(type, id));
  std::string url_base = c.request.base_url + (type.empty() ? "" : "/" + type) + (id.empty() ? "" : "/" + id) + "/_history";
  // A total would count what was left out.
  return JsonResponse(200, HistoryJson(c.request.base_url, page->resources, removed > 0 ? std::nullopt : page->total,
                                       PageLinks(url_base, canonical, query.offset, query.count, page->has_more),
                                       *issues, (type.empty() ? "" : type + "/") + (id.empty() ? "" : id + "/") + "_history"));
}

}  // namespace nara::fhir
