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
  std::string body = "{\"resourceType\":\"Bundle\",\"type\":" + JsonString(type) + ",\"entry\":[";
  for (size_t i = 0; i < entries.size(); ++i) body += (i ? "," : "") + entries[i];
  return JsonResponse(200, body + "]}");
}

// An error that names its entry, so a client knows which of a thousand entries to mend.
HttpResponse EntryError(size_t index, const Error& error) {
  Issue issue = IssueFor(error);
  const std::string where = "Bundle.entry[" + std::to_string(index) + "]";
  issue.expression = issue.expression.empty() ? where : where + "." + issue.expression;
  issue.text = where + ": " + issue.text;
  return ErrorResponse(HttpStatusFor(error), issue);
}

// Rewrites every `reference` that names a urn:uuid fullUrl of this Bundle to Type/id.
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
  // 1. Ids for the creates, so that references to their urn:uuid fullUrls can be rewritten.
  std::map<std::string, std::string> new_ids;     // fullUrl → Type/id
  std::vector<std::string> create_ids(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    BundleEntryRequest& entry = entries[i];
    if (entry.method != "POST") continue;
    create_ids[i] = NewResourceId();
    if (entry.full_url.rfind("urn:uuid:", 0) == 0) {
      if (new_ids.count(entry.full_url)) {
        return EntryError(i, Error::Invalid("value", "fullUrl is used twice in the Bundle", "fullUrl"));
      }
      new_ids[entry.full_url] = entry.segments[0] + "/" + create_ids[i];
    }
  }
  // 2. Plan every write: parse and validate everything before the database is touched.
  std::vector<std::optional<PlannedWrite>> plans(entries.size());
  std::set<std::string> targets;
  for (size_t i = 0; i < entries.size(); ++i) {
    BundleEntryRequest& entry = entries[i];
    if (entry.method == "GET") continue;
    const ResourceTypeDef* type = FindType(entry.segments[0]);
    if (!type || entry.segments.size() > 2) {
      return EntryError(i, Error::NotFound("okänd sökväg i request.url (unknown resource type or path)"));
    }
    const std::string id = entry.segments.size() == 2 ? entry.segments[1] : "";
    if (!id.empty() && !IsValidId(id)) return EntryError(i, Error::Invalid("invalid", "ogiltigt id i request.url"));
    if ((entry.method == "POST" && !id.empty()) || (entry.method == "PATCH" && id.empty())) {
      return EntryError(i, Error::Invalid("value", entry.method + " needs request.url " +
                                                       (entry.method == "POST" ? "[type]" : "[type]/[id]"),
                                          "request.url"));
    }
    // FHIR R4 3.1.0.11.2: a resource is the target of at most one write in a transaction.
    if (!id.empty() && !targets.insert(type->type + "/" + id).second) {
      return EntryError(i, Error::Invalid("value", "the transaction writes " + type->type + "/" + id + " twice",
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
    if (!plan) return EntryError(i, plan.error());
    plans[i].emplace(std::move(*plan));
  }
  // 3. All writes in one database transaction, in FHIR's order.
  std::vector<size_t> order;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (plans[i]) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return Phase(entries[a].method) < Phase(entries[b].method); });
  std::vector<WriteDone> done(entries.size());
  std::vector<RequestAudit> audits(entries.size());
  size_t failed = 0;
  auto status = store_.Transact([&](ResourceTransaction& tx) -> Status {
    for (size_t i : order) {
      auto executed = ExecuteWrite(tx, entries[i].request, *plans[i], audits[i]);
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
    HttpResponse response = EntryError(failed, status.error());
    if (!audit.action.empty()) store_.AppendAudit(AuditRecordFor(entries[failed].request, audit, response.status));
    return response;
  }
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
