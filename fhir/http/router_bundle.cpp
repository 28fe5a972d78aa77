// POST [base] with a transaction or batch Bundle (FHIR R4 3.1.0.11, docs/api.md section 1).
//  - batch: every entry is an independent request, answered as if sent alone (its own transaction,
//    access decision and audit record); one entry's failure does not touch the others.
//  - transaction: every write entry is planned first (parsed and validated: a malformed entry fails
//    the Bundle before anything is touched), `urn:uuid:` fullUrls get their ids and every reference
//    to them is rewritten, then all writes run in ONE database transaction in FHIR's order (DELETE,
//    POST, PUT, PATCH); any failure rolls back everything and the answer is the failing entry's
//    OperationOutcome, pointing at Bundle.entry[n]. GET entries are answered after the commit.
#include <map>
#include <set>

#include "fhir/http/access.h"
#include "fhir/json/bundle.h"
#include "fhir/json/bundle_request.h"
#include "fhir/json/json.h"
#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/http/http_util.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

std::string StatusText(int status) {
  static const std::map<int, std::string> kReasons = {
      {200, "OK"}, {201, "Created"}, {204, "No Content"}, {400, "Bad Request"}, {401, "Unauthorized"},
      {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"}, {406, "Not Acceptable"},
      {409, "Conflict"}, {410, "Gone"}, {412, "Precondition Failed"}, {413, "Payload Too Large"},
      {415, "Unsupported Media Type"}, {422, "Unprocessable Entity"}, {429, "Too Many Requests"},
      {500, "Internal Server Error"}, {501, "Not Implemented"}, {503, "Service Unavailable"}};
  auto it = kReasons.find(status);
  return std::to_string(status) + (it == kReasons.end() ? "" : " " + it->second);
}

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

// One Bundle.entry of a transaction-response / batch-response from the answer to that entry.
std::string ResponseEntryJson(const HttpResponse& response, const std::string& last_modified) {
  const bool is_outcome = response.body.rfind("{\"resourceType\":\"OperationOutcome\"", 0) == 0;
  std::string entry = "{";
  if (!response.body.empty() && !is_outcome) entry += "\"resource\":" + response.body + ",";
  entry += "\"response\":{\"status\":" + JsonString(StatusText(response.status));
  if (const auto location = HeaderOf(response, "Location"); !location.empty()) {
    entry += ",\"location\":" + JsonString(location);
  }
  if (const auto etag = HeaderOf(response, "ETag"); !etag.empty()) entry += ",\"etag\":" + JsonString(etag);
  if (!last_modified.empty()) entry += ",\"lastModified\":" + JsonString(last_modified);
  if (is_outcome) entry += ",\"outcome\":" + response.body;
  return entry + "}}";
}

HttpResponse BundleResponse(const std::string& type, const std::vector<std::string>& entries) {
  std::string body = "{\"resourceType\":\"Bundle\",\"type\":" + JsonString(type);
  // FHIR JSON has no empty arrays: the answer to an empty Bundle has no entry element.
  if (entries.empty()) return JsonResponse(200, body + "}");
  body += ",\"entry\":[";
  for (size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + entries[i];
  return JsonResponse(200, body + "]}");
}

// Where an entry's error lies as FHIRPath from the Bundle: the resource checkers name elements from
// the resource type ("CareTeam.subject.reference"), the Bundle reader from the entry ("request.url").
std::string EntryExpression(size_t index, const std::string& resource_type, const std::string& location) {
  const std::string entry = "Bundle.entry[" + std::to_string(index) + "]";
  if (location.empty()) return entry;
  if (!resource_type.empty() && (location == resource_type || location.rfind(resource_type + ".", 0) == 0)) {
    return entry + ".resource" + location.substr(resource_type.size());
  }
  for (const char* own : {"request", "resource", "fullUrl"}) {
    const std::string prefix = own;
    if (location == prefix || location.rfind(prefix + ".", 0) == 0 || location.rfind(prefix + "[", 0) == 0) {
      return entry + "." + location;
    }
  }
  return entry;  // a location outside the entry's content: the entry is what a client can mend
}

// An error that names its entry, so a client knows which of a thousand entries to mend.
HttpResponse EntryError(size_t index, const Error& error, const std::string& resource_type = "") {
  Issue issue = IssueFor(error);
  const std::string where = "Bundle.entry[" + std::to_string(index) + "]";
  issue.expression = EntryExpression(index, resource_type, issue.expression);
  issue.text = where + ": " + issue.text;
  return ErrorResponse(HttpStatusFor(error), issue);
}

// Rewrites every `reference` that names a fullUrl or conditional reference of this Bundle to Type/id.
void RewriteReferences(rapidjson::Value& value, const std::map<std::string, std::string>& ids,
                       rapidjson::Document::AllocatorType& alloc) {
  if (value.IsObject()) {
    for (auto& member : value.GetObject()) {
      if (member.value.IsString() && std::string_view(member.name.GetString()) == "reference") {
        auto it = ids.find(member.value.GetString());
        if (it != ids.end()) member.value.SetString(it->second.c_str(), alloc);
      } else {
        RewriteReferences(member.value, ids, alloc);
      }
    }
  } else if (value.IsArray()) {
    for (auto& item : value.GetArray()) RewriteReferences(item, ids, alloc);
  }
}

// A conditional reference (FHIR R4 3.1.0.11.2: "Patient?identifier=…" in a transaction): resolved
// inside the transaction to the one resource its search finds.
struct ConditionalReference {
  const ResourceTypeDef* type = nullptr;
  std::string query;         // after the '?'
  size_t entry = 0;          // the first entry that uses it, for the error
  std::string expression;    // where in that entry, FHIRPath from the resource
  std::string placeholder;   // the id that stands for it until resolved
  SearchQuery condition;     // parsed before the transaction
};

// Collects the conditional references in `value` (keyed by their text), with FHIRPath `path`.
void FindConditionalReferences(const rapidjson::Value& value, const std::string& path, size_t entry,
                               std::map<std::string, ConditionalReference>& found) {
  if (value.IsObject()) {
    for (const auto& member : value.GetObject()) {
      const std::string name = member.name.GetString();
      if (name == "reference" && member.value.IsString()) {
        const std::string text = member.value.GetString();
        const auto q = text.find('?');
        if (q == std::string::npos || found.count(text)) continue;
        const ResourceTypeDef* type = FindType(text.substr(0, q));
        if (!type) continue;  // not a conditional reference to a type of ours: the content check refuses it
        found[text] = {type, text.substr(q + 1), entry, path + ".reference", NewResourceId(), {}};
      } else {
        FindConditionalReferences(member.value, path + "." + name, entry, found);
      }
    }
  } else if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      FindConditionalReferences(value[i], path + "[" + std::to_string(i) + "]", entry, found);
    }
  }
}

// Replaces every occurrence of `from` in `text` by `to`.
void ReplaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// FHIR R4 3.1.0.11.2: deletes first, then creates, then updates (and patches), then reads.
int Phase(const std::string& method) {
  if (method == "DELETE") return 0;
  if (method == "POST") return 1;
  if (method == "PUT" || method == "PATCH") return 2;
  return 3;
}

}  // namespace

HttpResponse FhirApi::HandleBundle(const HttpRequest& request) {
  auto parsed = ParseBundleRequest(request.body, request);
  if (!parsed) return ErrorResponse(parsed.error());
  const std::string& kind = parsed->type;
  std::vector<BundleEntryRequest> entries;
  std::vector<std::optional<Error>> read_errors;
  for (size_t i = 0; i < parsed->entries.size(); ++i) {
    auto& entry = parsed->entries[i];
    if (!entry) {
      if (kind == "transaction") return EntryError(i, entry.error());
      entries.emplace_back();
      read_errors.emplace_back(entry.error());
      continue;
    }
    entries.push_back(std::move(*entry));
    read_errors.emplace_back();
  }

  if (kind == "batch") {
    std::vector<std::string> answers;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (read_errors[i]) {
        answers.push_back(ResponseEntryJson(EntryError(i, *read_errors[i]), ""));
        continue;
      }
      BundleEntryRequest& entry = entries[i];
      if (entry.resource) {
        if (entry.method == "PATCH") {
          auto patch = PatchFromBinary(*entry.resource);
          if (!patch) {
            answers.push_back(ResponseEntryJson(EntryError(i, patch.error()), ""));
            continue;
          }
          entry.request.body = *patch;
          entry.request.headers["content-type"] = "application/json-patch+json";
        } else {
          entry.request.body = ToJson(*entry.resource);
        }
      }
      answers.push_back(ResponseEntryJson(Handle(entry.request), ""));
    }
    return BundleResponse("batch-response", answers);
  }

  // The transaction: every write planned first, then all of them in one database transaction.
  // 1. Ids for the creates, so that references to their urn:uuid fullUrls can be rewritten. The id
  //    of a conditional entry (a create with ifNoneExist, an update of [type]?criteria) and of a
  //    conditional reference is known only inside the transaction: until then a placeholder id
  //    stands for it, so that every entry can be planned (parsed and validated) before anything is
  //    touched.
  std::map<std::string, std::string> new_ids;     // fullUrl or conditional reference → Type/id
  std::vector<std::string> create_ids(entries.size());
  std::map<size_t, std::string> conditional_ids;  // entry → its placeholder id
  for (size_t i = 0; i < entries.size(); ++i) {
    BundleEntryRequest& entry = entries[i];
    const bool conditional = (entry.method == "POST" && !entry.request.Header("if-none-exist").empty()) ||
                             (entry.method == "PUT" && entry.segments.size() == 1);
    if (entry.method != "POST" && !conditional) continue;
    if (entry.method == "POST") create_ids[i] = NewResourceId();
    if (entry.full_url.rfind("urn:uuid:", 0) == 0) {
      if (new_ids.count(entry.full_url)) {
        return EntryError(i, Error::Invalid("value", "fullUrl används två gånger i Bundlen (fullUrl is used twice in the Bundle)", "fullUrl"));
      }
      std::string id = create_ids[i];
      if (conditional) id = conditional_ids[i] = NewResourceId();
      new_ids[entry.full_url] = entry.segments[0] + "/" + id;
    }
  }
  std::map<std::string, ConditionalReference> conditional_refs;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].resource && entries[i].method != "PATCH") {
      FindConditionalReferences(*entries[i].resource, "resource", i, conditional_refs);
    }
  }
  for (auto& [text, ref] : conditional_refs) {
    auto query = ParseCondition(*ref.type, ParseQueryString(ref.query), "en villkorlig referens (a conditional reference)");
    if (!query) {
      Error error = query.error();
      error.location = ref.expression;
      return EntryError(ref.entry, error);
    }
    ref.condition = std::move(*query);
    new_ids[text] = ref.type->type + "/" + ref.placeholder;
  }
  // 2. Plan every write: parse and validate everything before the database is touched.
  std::vector<std::optional<PlannedWrite>> plans(entries.size());
  std::set<std::string> targets;
  for (size_t i = 0; i < entries.size(); ++i) {
    BundleEntryRequest& entry = entries[i];
    if (entry.method == "GET") continue;
    const std::string resource_type = entry.resource ? StringMember(*entry.resource, "resourceType") : "";
    const ResourceTypeDef* type = FindType(entry.segments[0]);
    if (!type || entry.segments.size() > 2) {
      return EntryError(i, Error::NotFound("okänd sökväg i request.url (unknown resource type or path)"));
    }
    const std::string id = entry.segments.size() == 2 ? entry.segments[1] : "";
    if (!id.empty() && !IsValidId(id)) {
      return EntryError(i, Error::Invalid("invalid", "ogiltigt id i request.url (invalid id in request.url)", "request.url"));
    }
    if ((entry.method == "POST" && !id.empty()) || (entry.method == "PATCH" && id.empty())) {
      const std::string form = entry.method == "POST" ? "[type]" : "[type]/[id]";
      return EntryError(i, Error::Invalid("value",
                                          entry.method + " behöver request.url " + form + " (" + entry.method +
                                              " needs request.url " + form + ")",
                                          "request.url"));
    }
    // FHIR R4 3.1.0.11.2: a resource is the target of at most one write in a transaction.
    if (!id.empty() && !targets.insert(type->type + "/" + id).second) {
      const std::string target = type->type + "/" + id;
      return EntryError(i, Error::Invalid("value",
                                          "transaktionen skriver " + target + " två gånger (the transaction writes " +
                                              target + " twice)",
                                          "request.url"));
    }
    if (entry.method == "PATCH") {
      auto patch = PatchFromBinary(*entry.resource);
      if (!patch) return EntryError(i, patch.error());
      entry.request.body = *patch;
    } else if (entry.resource) {
      rapidjson::Document content;
      content.CopyFrom(*entry.resource, content.GetAllocator());
      RewriteReferences(content, new_ids, content.GetAllocator());
      entry.request.body = ToJson(content);
    }
    auto plan = PlanWrite(entry.request, *type, id, create_ids[i]);
    if (!plan) return EntryError(i, plan.error(), resource_type);
    plans[i].emplace(std::move(*plan));
  }
  // Which planned bodies name a placeholder: they are planned again once the ids are known.
  std::vector<std::pair<std::string, std::string>> placeholders;  // Type/placeholder → Type/id
  for (const auto& [i, id] : conditional_ids) placeholders.emplace_back(entries[i].segments[0] + "/" + id, "");
  for (const auto& [text, ref] : conditional_refs) placeholders.emplace_back(ref.type->type + "/" + ref.placeholder, "");
  std::vector<bool> names_placeholder(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    for (const auto& [placeholder, unused] : placeholders) {
      if (plans[i] && entries[i].request.body.find(placeholder) != std::string::npos) names_placeholder[i] = true;
    }
  }
  // 3. All writes in one database transaction, in FHIR's order.
  std::vector<size_t> order;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (plans[i]) order.push_back(i);
  }
  // A conditional update another entry refers to by its urn:uuid ("find or create this patient")
  // runs with the creates, ahead of them, so that what refers to it finds it written.
  const auto phase = [&](size_t i) {
    if (conditional_ids.count(i) && entries[i].method == "PUT") return 1;
    const int p = Phase(entries[i].method);
    return p == 0 ? 0 : p + 1;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return phase(a) < phase(b); });
  std::vector<WriteDone> done(entries.size());
  std::vector<RequestAudit> audits(entries.size());
  size_t failed = 0;
  auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
    // 3a. The conditions, resolved before any write (a retried transaction resolves them again).
    std::map<std::string, std::string> resolved;  // Type/placeholder → Type/id
    std::vector<std::string> resolved_entry_ids(entries.size());
    for (const auto& [i, placeholder] : conditional_ids) {
      const PlannedWrite& plan = *plans[i];
      auto match = MatchOne(tx, *plan.condition);
      if (!match) {
        failed = i;
        return match.error();
      }
      std::string id = plan.id;  // a create: the id chosen for it
      if (*match) {
        id = (*match)->id;
        if (plan.kind == PlannedWrite::Kind::update && !plan.body_id.empty() && plan.body_id != id) {
          failed = i;
          return Error::Invalid("invalid", "id i kroppen är inte den resurs villkoret matchar (the body id is not "
                                           "the resource the condition matches)", plans[i]->type->type + ".id");
        }
      } else if (plan.kind == PlannedWrite::Kind::update) {
        id = plan.body_id.empty() ? NewResourceId() : plan.body_id;
      }
      resolved_entry_ids[i] = id;
      resolved[entries[i].segments[0] + "/" + placeholder] = entries[i].segments[0] + "/" + id;
    }
    for (const auto& conditional : conditional_refs) {
      // A named reference, not a structured binding: C++17 lambdas cannot capture those (clang refuses).
      const ConditionalReference& ref = conditional.second;
      std::optional<StoredResource> one;
      Status found = [&]() -> Status {
        // FHIR R4 3.1.0.11.2: no match or several fail the transaction (412 several, 404 none).
        // The text names the type only: the criteria may hold a personnummer.
        auto match = MatchOne(tx, ref.condition);
        if (!match && match.error().kind == ErrorKind::precondition_failed) {
          return Error::PreconditionFailed("den villkorliga referensen till " + ref.type->type +
                                           " matchar flera resurser (the conditional reference matches more than one "
                                           "resource)");
        }
        if (!match) return match.error();
        if (!*match) {
          return Error::NotFound("den villkorliga referensen till " + ref.type->type +
                                 " matchar ingen resurs (the conditional reference matches nothing)");
        }
        one = **match;
        return Ok();
      }();
      if (!found) {
        Error error = found.error();
        error.location = ref.expression;
        failed = ref.entry;
        return error;
      }
      resolved[ref.type->type + "/" + ref.placeholder] = ref.type->type + "/" + one->id;
    }
    // 3b. Entries that named a placeholder, planned again with the ids found.
    std::vector<std::optional<PlannedWrite>> replans(entries.size());
    for (size_t i : order) {
      if (!names_placeholder[i] && resolved_entry_ids[i].empty()) continue;
      HttpRequest request = entries[i].request;
      for (const auto& [placeholder, id] : resolved) ReplaceAll(request.body, placeholder, id);
      std::string id = entries[i].segments.size() == 2 ? entries[i].segments[1] : "";
      if (plans[i]->kind == PlannedWrite::Kind::update && !resolved_entry_ids[i].empty()) {
        // The condition is settled (its lock is held until commit): an update of the id it found or chose.
        id = resolved_entry_ids[i];
        request.query.clear();
        rapidjson::Document content;  // an update of Type/id names its id in the body (FHIR R4 3.1.0.4)
        if (ParseJsonObject(request.body, content)) {
          content.RemoveMember("id");
          content.AddMember("id", rapidjson::Value(id.c_str(), content.GetAllocator()), content.GetAllocator());
          request.body = ToJson(content);
        }
      }
      auto plan = PlanWrite(request, *plans[i]->type, id, create_ids[i]);
      if (!plan) {
        failed = i;
        return plan.error();
      }
      replans[i].emplace(std::move(*plan));
    }
    for (size_t i : order) {
      const PlannedWrite& plan = replans[i] ? *replans[i] : *plans[i];
      auto executed = ExecuteWrite(tx, entries[i].request, plan, audits[i]);
      if (!executed) {
        failed = i;
        return executed.error();
      }
      done[i] = std::move(*executed);
    }
    return Ok();
  });
  if (!status) {
    // Nothing was written; the refused or failed attempt is logged against its patient all the same.
    const RequestAudit& audit = audits[failed];
    const std::string resource_type =
        entries[failed].resource ? StringMember(*entries[failed].resource, "resourceType") : "";
    HttpResponse response = EntryError(failed, status.error(), resource_type);
    // The refusal releases nothing, so it is answered even when its audit record cannot be written.
    if (!audit.action.empty()) (void)store_.AppendAudit(AuditRecordFor(entries[failed].request, audit, response.status));
    return response;
  }
  for (const RequestAudit& audit : audits) ForgetAnswersOf(audit);  // before the reads below
  // 4. Reads, after the commit, then the answer in the Bundle's order.
  std::vector<std::string> answers;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (plans[i]) {
      answers.push_back(ResponseEntryJson(WriteDoneResponse(entries[i].request, done[i]),
                                          done[i].deleted || done[i].nothing_matched ? "" : done[i].resource.last_updated));
    } else {
      answers.push_back(ResponseEntryJson(Handle(entries[i].request), ""));
    }
  }
  return BundleResponse("transaction-response", answers);
}

}  // namespace nara::fhir
