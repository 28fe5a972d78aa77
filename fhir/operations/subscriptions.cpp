#include "fhir/operations/subscriptions.h"

#include "fhir/http/http_util.h"
#include "fhir/http/responses.h"
#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/operations/subscription_matching.h"
#include "fhir/resources/subscription_resource.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

constexpr int kMaxEventsPerPage = 1000;

HttpResponse NotSupported() {
  Issue issue;
  issue.code = "not-supported";
  issue.text = "prenumerationer är inte påslagna på denna server (subscriptions are not enabled)";
  return ErrorResponse(501, issue);
}

std::optional<HttpResponse> Refused(const HttpRequest& request) {
  if (MaySubscribe(request.caller)) return std::nullopt;
  return ErrorResponse(Error{ErrorKind::forbidden, "forbidden",
                             "rollen " + request.caller.role +
                                 " får inte prenumerera på ändringar (only ehr, municipality and admin may subscribe)",
                             {}});
}

// The caller's own subscription (admin: any); someone else's is as absent as a missing one.
Result<SubscriptionRecord> Owned(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id) {
  auto record = options.store->Get(id);
  if (!record) return record.error();
  if (request.caller.role != "admin" && record->owner_hsa_id != request.caller.hsa_id) {
    return Error::NotFound("Subscription/" + SafeExcerpt(id, 64) + " finns inte (does not exist)");
  }
  return record;
}

HttpResponse SubscriptionResponse(int status, const HttpRequest& request, const SubscriptionRecord& record) {
  HttpResponse response = JsonResponse(status, SubscriptionJson(record));
  if (status == 201) response.SetHeader("Location", request.base_url + "/Subscription/" + record.id);
  return response;
}

// A non-negative event number parameter ("" = absent).
Result<std::optional<long long>> EventNumber(const HttpRequest& request, const char* name) {
  for (const auto& [key, value] : request.query) {
    if (key != name) continue;
    if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos) {
      return Error::Invalid("invalid", std::string(name) + " ska vara ett icke-negativt heltal (must be a number)");
    }
    return std::optional<long long>(std::stoll(value));
  }
  return std::optional<long long>();
}

std::string QueryValue(const HttpRequest& request, const char* name) {
  for (const auto& [key, value] : request.query) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace

HttpResponse CreateSubscription(const HttpRequest& request, const SubscriptionOptions& options) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  auto record = SubscriptionFromJson(request.body, options.allowlist);
  if (!record) return ErrorResponse(record.error());
  record->id = NewResourceId();
  record->owner_hsa_id = request.caller.hsa_id;
  if (auto created = options.store->Create(*record); !created) return ErrorResponse(created.error());
  // Read back before the dispatcher is woken: the 201 shows the Subscription as created ("requested"),
  // not whatever a quick handshake has already made of it.
  auto stored = options.store->Get(record->id);
  if (options.on_changed) options.on_changed();
  if (!stored) return ErrorResponse(stored.error());
  return SubscriptionResponse(201, request, *stored);
}

HttpResponse ReadSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  auto record = Owned(request, options, id);
  if (!record) return ErrorResponse(record.error());
  return SubscriptionResponse(200, request, *record);
}

HttpResponse UpdateSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  auto existing = Owned(request, options, id);
  if (!existing) return ErrorResponse(existing.error());
  auto record = SubscriptionFromJson(request.body, options.allowlist);
  if (!record) return ErrorResponse(record.error());
  rapidjson::Document doc;
  if (ParseJsonObject(request.body, doc) && doc.HasMember("id") && StringMember(doc, "id") != id) {
    return ErrorResponse(Error::Invalid("invalid", "id i kroppen stämmer inte med adressen (body id does not match the URL)"));
  }
  record->id = id;
  record->owner_hsa_id = existing->owner_hsa_id;
  if (auto replaced = options.store->Replace(*record); !replaced) return ErrorResponse(replaced.error());
  auto stored = options.store->Get(id);  // read before the wake-up, as in CreateSubscription
  if (options.on_changed) options.on_changed();
  if (!stored) return ErrorResponse(stored.error());
  return SubscriptionResponse(200, request, *stored);
}

HttpResponse DeleteSubscription(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  auto record = Owned(request, options, id);
  if (!record) return ErrorResponse(record.error());
  if (auto removed = options.store->Remove(id); !removed) return ErrorResponse(removed.error());
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse SearchSubscriptions(const HttpRequest& request, const SubscriptionOptions& options) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  const Preferences prefs = ParsePrefer(request.Header("prefer"));
  std::string status;
  int count = 50;
  for (const auto& [name, value] : request.query) {
    if (name == "status") {
      status = value;
    } else if (name == "_count") {
      if (value.empty() || value.size() > 4 || value.find_first_not_of("0123456789") != std::string::npos) {
        return ErrorResponse(Error::Invalid("invalid", "_count måste vara ett heltal ≥ 0 (_count must be a non-negative integer)"));
      }
      count = std::stoi(value);
    } else if (name != "_format" && name != "_pretty" && prefs.strict) {
      return ErrorResponse(Error::Invalid("not-supported", "okänd sökparameter " + SafeExcerpt(name, 40) +
                                                               " för Subscription (unknown parameter)"));
    }
  }
  auto records = options.store->List(request.caller.role == "admin" ? "" : request.caller.hsa_id);
  if (!records) return ErrorResponse(records.error());
  std::vector<StoredResource> matches;
  long total = 0;
  for (const auto& record : *records) {
    if (!status.empty() && record.status != status) continue;
    ++total;
    if (static_cast<int>(matches.size()) >= count) continue;
    matches.push_back(StoredResource{"Subscription", record.id, 1, record.created, false, SubscriptionJson(record)});
  }
  QueryParams canonical;
  if (!status.empty()) canonical.emplace_back("status", status);
  const std::string query = EncodeQuery(canonical);
  std::vector<BundleLink> links{{"self", request.base_url + "/Subscription" + (query.empty() ? "" : "?" + query)}};
  return JsonResponse(200, SearchsetJson(request.base_url, matches, total, links, {}));
}

HttpResponse SubscriptionStatus(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id) {
  if (!options.store) return NotSupported();
  if (auto no = Refused(request)) return *no;
  auto record = Owned(request, options, id);
  if (!record) return ErrorResponse(record.error());
  // The IG's $status answers a searchset Bundle of status resources, one per subscription asked for.
  const std::string status = SubscriptionStatusJson(*record, request.base_url, "query-status", {});
  std::string out = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":1,\"link\":[{\"relation\":\"self\",\"url\":" +
                    JsonString(request.base_url + "/Subscription/" + id + "/$status") +
                    "}],\"entry\":[{\"fullUrl\":" + JsonString("urn:uuid:" + NewResourceId()) +
                    ",\"resource\":" + status + ",\"search\":{\"mode\":\"match\"}}]}";
  return JsonResponse(200, out);
}

HttpResponse SubscriptionEvents(const HttpRequest& request, const SubscriptionOptions& options, const std::string& id,
                                RequestAudit& audit) {
  if (!options.store) return NotSupported();
  audit.Begin("operation", "Subscription", id);
  audit.detail = "$events";
  if (auto no = Refused(request)) return *no;
  auto record = Owned(request, options, id);
  if (!record) return ErrorResponse(record.error());
  auto since = EventNumber(request, "eventsSinceNumber");
  if (!since) return ErrorResponse(since.error());
  auto until = EventNumber(request, "eventsUntilNumber");
  if (!until) return ErrorResponse(until.error());
  const std::string content = QueryValue(request, "content");
  if (!content.empty() && content != "empty" && content != "id-only" && content != "full-resource") {
    return RequestErrorResponse(Error::Invalid("value",
                                               "content ska vara empty, id-only eller full-resource "
                                               "(content must be empty, id-only or full-resource)"));
  }
  // Without a lower bound: what the endpoint has not acknowledged yet (the catch-up a client wants).
  const long long first = since->value_or(record->delivered_through + 1);
  const long long last = std::min(until->value_or(record->events_since_start), record->events_since_start);
  std::vector<SubscriptionEventRecord> events;
  if (first <= last) {
    auto loaded = options.store->Events(id, std::max(1LL, first), last, kMaxEventsPerPage);
    if (!loaded) return ErrorResponse(loaded.error());
    events = std::move(*loaded);
  }
  std::vector<StoredResource> shown;
  for (const auto& event : events) shown.push_back(event.resource);
  audit.AddAll(shown);
  return JsonResponse(200, NotificationBundleJson(*record, request.base_url, "query-event", events, content));
}

}  // namespace nara::fhir
