#include "fhir/search/search_handler.h"

#include <algorithm>
#include <optional>
#include <set>

#include "fhir/http/access.h"
#include "fhir/json/bundle.h"
#include "fhir/http/http_util.h"
#include "fhir/http/protection.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/resources/registry_views.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/http/responses.h"
#include "fhir/search/doctor_list_page.h"
#include "fhir/search/search_cursor.h"
#include "fhir/search/search_elements.h"
#include "fhir/search/search_params.h"
#include "registry/identifier_system.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

std::string LinkUrl(const std::string& url_base, QueryParams params) {
  const std::string query = EncodeQuery(params);
  return url_base + (query.empty() ? "" : "?" + query);
}

// has-free-capacity (docs/api.md section 5) is answered by the registry, not the search index: it becomes
// the list of PractitionerRoles with (or without) free places, at the unit given by `organization`.
struct FreeCapacity {
  std::optional<bool> wanted;
  std::string unit;
};

Result<FreeCapacity> TakeFreeCapacity(QueryParams& params) {
  FreeCapacity out;
  QueryParams rest;
  for (auto& pair : params) {
    if (pair.first == "has-free-capacity") {
      if (pair.second != "true" && pair.second != "false") {
        return Error::Invalid("invalid", "has-free-capacity är true eller false (has-free-capacity is true or false)");
      }
      out.wanted = pair.second == "true";
      continue;
    }
    if (pair.first == "organization") {
      std::string ref_type;
      if (!ParseReference(pair.second, ref_type, out.unit)) out.unit = pair.second;
    }
    rest.push_back(std::move(pair));
  }
  params = std::move(rest);
  return out;
}

Status AddFreeCapacityCriterion(ResourceStore& store, const FreeCapacity& free, ParsedSearch& parsed) {
  SearchCriterion ids;
  ids.kind = SearchKind::id;
  ids.param = "_id";
  std::vector<std::string> matching;
  auto loads = store.Transact([&](ResourceTransaction& tx) -> Status {
    matching.clear();
    for (const auto& [role, listed] : tx.Registry().DoctorLoads(free.unit, Date::Today())) {
      if ((role.capacity - listed > 0) == *free.wanted) matching.push_back(role.id);
    }
    return Ok();
  });
  if (!loads) return loads.error();
  if (matching.empty()) matching.push_back("-");  // no role has this id: an empty result
  for (const auto& id : matching) {
    SearchValue value;
    value.value = id;
    ids.any_of.push_back(value);
  }
  parsed.query.criteria.push_back(std::move(ids));
  parsed.canonical.emplace_back("has-free-capacity", *free.wanted ? "true" : "false");
  return Ok();
}

// Patient?general-practitioner (docs/api.md section 1) is answered by the registry: generalPractitioner
// is derived on every read, so the index holds no value for it. Each occurrence is a set of patients
// (its comma-separated references OR-ed; a bare id may name a role or a unit); occurrences AND.
Result<std::vector<QueryParams::value_type>> TakeGeneralPractitioner(QueryParams& params) {
  std::vector<QueryParams::value_type> taken;
  QueryParams rest;
  for (auto& pair : params) {
    const std::string name = pair.first.substr(0, pair.first.find(':'));
    if (name == "general-practitioner") {
      taken.push_back(std::move(pair));
    } else {
      rest.push_back(std::move(pair));
    }
  }
  params = std::move(rest);
  return taken;
}

Status AddGeneralPractitionerCriteria(const std::vector<QueryParams::value_type>& taken, ParsedSearch& parsed) {
  for (const auto& [name, value] : taken) {
    const auto colon = name.find(':');
    const std::string modifier = colon == std::string::npos ? "" : name.substr(colon + 1);
    if (!modifier.empty() && modifier != "PractitionerRole" && modifier != "Organization") {
      return Error::Invalid("not-supported", "general-practitioner tar PractitionerRole eller Organization (takes "
                                             "a PractitionerRole or an Organization)");
    }
    std::vector<std::pair<std::string, std::string>> wanted;  // (type or "" for a bare id, id)
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = value.find(',', start);
      const std::string one = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? value.size() + 1 : comma + 1;
      std::string ref_type, id;
      if (!ParseReference(one, ref_type, id)) {
        ref_type = modifier;
        id = one;
      }
      if (!IsValidId(id) || (!ref_type.empty() && ref_type != "PractitionerRole" && ref_type != "Organization") ||
          (!modifier.empty() && ref_type != modifier)) {
        return Error::Invalid("invalid", "general-practitioner ska vara PractitionerRole/[id] eller Organization/[id] "
                                         "(must be PractitionerRole/[id] or Organization/[id])");
      }
      wanted.push_back({ref_type, id});
    }
    // Answered by the registry's tables inside the search statement itself (SearchKind::general_practitioner).
    SearchCriterion ids;
    ids.kind = SearchKind::general_practitioner;
    ids.param = "general-practitioner";
    const std::string today = Date::Today().ToString();
    for (const auto& [ref_type, id] : wanted) {
      SearchValue one;
      one.value = id;
      one.target_type = ref_type;
      one.range_start = today;
      ids.any_of.push_back(one);
    }
    parsed.query.criteria.push_back(std::move(ids));
    parsed.canonical.emplace_back(name, value);
  }
  return Ok();
}

// A municipality sees its residents only (docs/api.md section 6): patient data of others is left out,
// matches and included resources alike. Returns whether anything was left out.
Result<bool> KeepResidents(ResourceStore& store, const Caller& caller, std::vector<StoredResource>& resources) {
  bool dropped = false;
  auto status = store.Transact([&](ResourceTransaction& tx) -> Status {
    std::vector<StoredResource> kept;
    for (auto& resource : resources) {
      if (!IsPatientData(resource.type)) {
        kept.push_back(std::move(resource));
        continue;
      }
      const auto patients = PatientIdsOfStored(resource);
      if (!patients.empty() && IsResidentOf(tx, caller, patients.front())) kept.push_back(std::move(resource));
    }
    dropped = kept.size() != resources.size();
    resources = std::move(kept);
    return Ok();
  });
  if (!status) return status.error();
  return dropped;
}

// Included resources are of types the request did not name: the caller must be allowed to search
// each of them, as if it had asked for them directly. Decided before the search on the types the
// includes name (so a refusal does not depend on what exists), and after it on the types found
// through a reference parameter that may point at several.
Status CheckIncludedTypes(const Caller& caller, const std::set<std::string>& types) {
  for (const auto& type : types) {
    auth::Target target{type, "", {}, "", "", false};
    // A municipality's patient data is filtered per patient (KeepResidents), as for its own searches.
    target.patient_in_callers_kommun = caller.role == "municipality" && IsPatientData(type);
    const auth::Decision decision = auth::Decide(caller, auth::Action::search, target);
    if (!decision.allowed) return Forbidden(decision);
  }
  return Ok();
}

// The ids of the patients whose facts a page's decoration and protection screen read.
std::vector<std::string> PatientsToPrefetch(const std::vector<StoredResource>& resources,
                                            const std::vector<StoredResource>& included) {
  std::vector<std::string> ids;
  for (const auto* list : {&resources, &included}) {
    for (const auto& resource : *list) {
      if (resource.type == "Patient") ids.push_back(resource.id);
    }
  }
  return ids;
}

void DecoratePatients(RegistryTransaction& reg, std::vector<StoredResource>& resources, Date today) {
  for (auto& resource : resources) {
    if (resource.type == "Patient") resource.json = PatientWithGeneralPractitioner(reg, resource, today);
  }
}

// The most matches a municipality's _summary=count looks through to count its residents (each is
// tested like a page's matches, KeepResidents): beyond it the count is left out, as before.
constexpr long kMaxResidentCountScan = 100000;

// The number of a municipality's residents among the matches of `query`, by walking the matches in
// pages of kMaxCount; nullopt beyond kMaxResidentCountScan. Nothing is released, so nothing audited.
Result<std::optional<long>> CountResidents(ResourceStore& store, const Caller& caller, SearchQuery query) {
  query.count = kMaxCount;
  query.want_total = false;
  query.includes.clear();
  query.revincludes.clear();
  query.offset = 0;
  query.cursor.reset();
  long residents = 0, scanned = 0;
  while (true) {
    auto page = store.Search(query);
    if (!page) return page.error();
    scanned += static_cast<long>(page->resources.size());
    if (scanned > kMaxResidentCountScan) return std::optional<long>();
    if (page->resources.empty()) break;
    const SearchCursor next{page->last_key, page->resources.back().id, false};
    if (auto kept = KeepResidents(store, caller, page->resources); !kept) return kept.error();
    residents += static_cast<long>(page->resources.size());
    if (!page->has_more) break;
    query.cursor = next;
  }
  return std::optional<long>(residents);
}

// A municipality registers people who move in from another kommun (a SÄBO place): it must find the
// one person a full national identifier names, before they are its resident. Exactly one criterion,
// `identifier=SYSTEM|VALUE` with a personnummer, samordningsnummer or reservnummer system and no
// modifier, nothing included: at most one Patient, released and audited like any other match.
bool IsPersonLookup(const SearchQuery& query) {
  if (query.type != "Patient" || query.criteria.size() != 1 || !query.includes.empty() ||
      !query.revincludes.empty()) {
    return false;
  }
  const SearchCriterion& c = query.criteria.front();
  if (c.param != "identifier" || !c.modifier.empty() || !c.chain.empty() || c.any_of.size() != 1) return false;
  const SearchValue& v = c.any_of.front();
  return v.system && !v.value.empty() &&
         (*v.system == systems::kPersonnummer || *v.system == systems::kSamordningsnummer ||
          *v.system == systems::kReservnummer);
}

// The page's ends in the query's order, for its next and previous links.
struct PageEnds {
  std::optional<SearchCursor> after_last, before_first;
};

// `first_key`, `last_key`: the sort keys of the first and last match (empty in id order).
PageEnds PageEndsOf(const std::vector<const StoredResource*>& matches, const std::string& first_key,
                    const std::string& last_key) {
  PageEnds ends;
  if (!matches.empty()) {
    ends.after_last = SearchCursor{last_key, matches.back()->id, false};
    ends.before_first = SearchCursor{first_key, matches.front()->id, true};
  }
  return ends;
}

// What the links and the total of a page depend on (SearchPage's, or a KeptPage's).
struct PageShape {
  std::optional<long> total;
  bool has_more = false;
  bool has_previous = false;
};

// The searchset Bundle of a page, with its self, next and previous links.
HttpResponse PageResponse(const HttpRequest& request, const ResourceTypeDef& type, const ParsedSearch& parsed,
                          const PageShape& page, const std::vector<const StoredResource*>& matches,
                          const std::vector<StoredResource>& included, const PageEnds& ends,
                          const std::vector<Issue>& issues) {
  const SearchQuery& query = parsed.query;
  const std::string fingerprint = SearchFingerprint(parsed.canonical);
  const std::string url_base = request.base_url + "/" + type.type;
  QueryParams self = parsed.canonical;
  if (query.offset > 0) self.emplace_back("_offset", std::to_string(query.offset));
  if (!parsed.cursor.empty()) self.emplace_back("_cursor", parsed.cursor);
  std::vector<BundleLink> links{{"self", LinkUrl(url_base, self)}};
  if (query.count > 0 && page.has_more && ends.after_last) {
    QueryParams next = parsed.canonical;
    next.emplace_back("_cursor", EncodeCursor(*ends.after_last, fingerprint));
    links.push_back({"next", LinkUrl(url_base, next)});
  }
  if (query.count > 0 && page.has_previous && ends.before_first) {
    QueryParams previous = parsed.canonical;
    previous.emplace_back("_cursor", EncodeCursor(*ends.before_first, fingerprint));
    links.push_back({"previous", LinkUrl(url_base, previous)});
  }
  return JsonResponse(200, SearchsetJsonOfViews(request.base_url, matches, page.total, links, issues, included));
}

}  // namespace

HttpResponse HandleSearch(ResourceStore& store, const ResourceTypeDef& type, const HttpRequest& request,
                          const QueryParams& params, bool strict, RequestAudit& audit, PatientAnswerCache* answers) {
  const Caller& caller = request.caller;
  QueryParams filtered;
  for (const auto& pair : params) {
    if (pair.first != "_format" && pair.first != "_pretty") filtered.push_back(pair);
  }
  FreeCapacity free;
  if (type.type == "PractitionerRole") {
    auto taken = TakeFreeCapacity(filtered);
    if (!taken) return ErrorResponse(taken.error());
    free = *taken;
  }
  std::vector<QueryParams::value_type> general_practitioner;
  if (type.type == "Patient") {
    auto taken = TakeGeneralPractitioner(filtered);
    if (!taken) return ErrorResponse(taken.error());
    general_practitioner = std::move(*taken);
  }
  auto parsed = ParseSearch(type, filtered, strict, general_practitioner.empty() ? kMaxCount : kMaxListCount);
  if (!parsed) return ErrorResponse(parsed.error());
  if (auto added = AddGeneralPractitionerCriteria(general_practitioner, *parsed); !added) {
    return ErrorResponse(added.error());
  }
  if (free.wanted) {
    if (auto added = AddFreeCapacityCriterion(store, free, *parsed); !added) return ErrorResponse(added.error());
  }
  SearchQuery& query = parsed->query;
  const std::string fingerprint = SearchFingerprint(parsed->canonical);
  if (!parsed->cursor.empty()) {
    auto cursor = DecodeCursor(parsed->cursor, fingerprint, query.sort.key);
    if (!cursor) return ErrorResponse(cursor.error());
    query.cursor = *cursor;
  }
  std::set<std::string> named_types;
  for (const auto& spec : query.includes) {
    if (!spec.target_type.empty()) named_types.insert(spec.target_type);
  }
  for (const auto& spec : query.revincludes) named_types.insert(spec.source_type);
  if (auto allowed = CheckIncludedTypes(caller, named_types); !allowed) {
    if (audit.action.empty()) audit.Begin("search", type.type, "");
    return ErrorResponse(allowed.error());
  }
  // A municipality sees its residents only, decided per resource after the search: a total would
  // count the others, so none is given (FHIR allows a searchset without total).
  const bool residents_only = caller.role == "municipality" && !IsPersonLookup(query);
  if (residents_only && IsPatientData(type.type)) query.want_total = false;

  // A doctor's list page, from the kept answers when they hold all of it.
  if (answers && parsed->elements.empty() && !parsed->summary_count && parsed->ignored.empty()) {
    auto kept = DoctorsListPage(store, *answers, query);
    if (!kept) return ErrorResponse(kept.error());
    if (*kept) {
      const std::vector<const StoredResource*> matches = (*kept)->Matches();
      if (!audit.action.empty()) audit.AddAll(matches);
      const PageEnds ends = PageEndsOf(matches, "", "");  // id order: no sort key
      const PageShape shape{(*kept)->total, (*kept)->has_more, (*kept)->has_previous};
      return PageResponse(request, type, *parsed, shape, matches, {}, ends, {});
    }
  }

  // The Patients this search reads may be kept as answers (fhir/http/patient_answer_cache.h), by the
  // stamps taken before the read, and for the date their generalPractitioner is derived for.
  const bool keep_answers = answers != nullptr && type.type == "Patient";
  const PatientAnswerCache::Stamps stamps = keep_answers ? answers->StampAll() : PatientAnswerCache::Stamps{};
  const Date today = Date::Today();
  auto page = store.Search(query);
  if (!page) return ErrorResponse(page.error());
  // The page's ends in the query's order, for the links: taken before any filtering.
  const PageEnds ends = PageEndsOf(ViewsOf(page->resources), page->first_key, page->last_key);
  std::set<std::string> found_types;
  for (const auto& resource : page->included) found_types.insert(resource.type);
  if (auto allowed = CheckIncludedTypes(caller, found_types); !allowed) {
    if (audit.action.empty()) audit.Begin("search", type.type, "");
    return ErrorResponse(allowed.error());
  }
  if (residents_only) {
    auto dropped = KeepResidents(store, caller, page->resources);
    if (!dropped) return ErrorResponse(dropped.error());
    if (*dropped) page->total.reset();
    if (auto included = KeepResidents(store, caller, page->included); !included) {
      return ErrorResponse(included.error());
    }
  }
  // Patientdatalagen: every patient-data resource released is logged, included ones too (a search
  // of Organizations with _revinclude=EpisodeOfCare:organization releases listings).
  if (!audit.action.empty()) audit.AddAll(page->resources);
  std::vector<StoredResource> included_patient_data;
  for (const auto& resource : page->included) {
    if (IsPatientData(resource.type)) included_patient_data.push_back(resource);
  }
  if (!included_patient_data.empty()) {
    if (audit.action.empty()) audit.Begin("search", type.type, "");
    audit.AddAll(included_patient_data);
  }
  // Protected identity (docs/api.md section 8): screened after the decoration, so a redacted Patient
  // loses the derived generalPractitioner too; before _elements, which must not bring back what was
  // removed.
  ProtectionScreen screen(caller);
  int withheld = 0;
  // A Patient found by where the person lives or is cared for (an address, a kommun, a doctor's or a
  // unit's list) is itself that information: such matches are left out, not redacted.
  bool by_where = type.type == "Patient" && !general_practitioner.empty();
  for (const auto& criterion : query.criteria) {
    if (type.type == "Patient" && (criterion.param == "address" || criterion.param == "address-city" ||
                                   criterion.param == "address-postalcode" || criterion.param == "municipality")) {
      by_where = true;
    }
  }
  auto patient_data = [](const StoredResource& r) { return IsPatientData(r.type); };
  const bool any_patient_data = std::any_of(page->resources.begin(), page->resources.end(), patient_data) ||
                                std::any_of(page->included.begin(), page->included.end(), patient_data);
  // Decoration and screen read the same patients' registry rows: on one connection, read once for
  // the whole page (a 1100-patient list was two round trips per patient).
  if (auto screened = !any_patient_data ? Status(Ok()) : store.Autocommit([&](ResourceTransaction& tx) -> Status {
        tx.Registry().Prefetch(PatientsToPrefetch(page->resources, page->included));
        DecoratePatients(tx.Registry(), page->resources, today);
        DecoratePatients(tx.Registry(), page->included, today);
        withheld = screen.Screen(tx.Registry(), page->resources, by_where) +
                   screen.Screen(tx.Registry(), page->included, /*drop_redacted=*/true);
        // Only answers every caller gets alike, and not as of a standby's replay position.
        if (keep_answers && !page->from_standby) {
          for (const auto& match : page->resources) {
            if (screen.FoundUnprotected(match.id)) answers->Fill(match.id, stamps, match, today);
          }
        }
        return Ok();
      });
      !screened) {
    return ErrorResponse(screened.error());
  }
  if (!audit.action.empty()) AddProtectionNote(audit.detail, request.method + " " + type.type, screen);
  // A total would count what was left out.
  if (withheld > 0) page->total.reset();
  if (!parsed->elements.empty()) {
    for (auto& match : page->resources) match.json = SubsetElements(match.json, parsed->elements);
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
  if (withheld > 0) issues.push_back(SuppressedIssue());
  if (page->included_truncated) {
    Issue issue;
    issue.severity = "warning";
    issue.code = "too-costly";
    issue.text = "fler än " + std::to_string(query.max_included) +
                 " inkluderade resurser, resten utelämnades (more included resources than the bound of " +
                 std::to_string(query.max_included) + " per page; use a smaller _count)";
    issues.push_back(issue);
  }
  if (parsed->summary_count) {
    page->resources.clear();
    page->included.clear();
    // A municipality's count is of its residents (docs/api.md section 6), counted here since the
    // store's total would count everyone.
    if (residents_only && IsPatientData(type.type)) {
      auto residents = CountResidents(store, caller, query);
      if (!residents) return ErrorResponse(residents.error());
      page->total = *residents;
    }
  }

  const PageShape shape{page->total, page->has_more, page->has_previous};
  return PageResponse(request, type, *parsed, shape, ViewsOf(page->resources), page->included, ends, issues);
}

}  // namespace nara::fhir
