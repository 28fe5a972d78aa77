#include "fhir/resources/subscription_resource.h"

#include <rapidjson/document.h>

#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "registry/date.h"
#include "registry/ids.h"

namespace nara::fhir {
namespace {

using rapidjson::Value;

constexpr const char* kTaskCode = "https://fhir.nara-registry.org/CodeSystem/task-code";

// A Reference element, or the first of an array of them.
std::string FirstReferenceId(const Value& resource, const char* element, const char* type) {
  const Value* value = Member(resource, element);
  if (value == nullptr) return {};
  if (value->IsArray()) {
    if (value->Empty()) return {};
    value = &(*value)[0];
  }
  return ReferenceId(*value, type);
}

Error Unprocessable(const std::string& text, const std::string& location) {
  return Error::Invalid("value", text, location);
}

// A non-negative integer extension of `element` (valueUnsignedInt / valuePositiveInt / valueInteger).
Result<int> IntExtension(const Value& element, const char* url, int fallback, int min, int max,
                         const std::string& location) {
  const auto found = FindExtensions(element, url);
  if (found.empty()) return fallback;
  for (const char* name : {"valueUnsignedInt", "valuePositiveInt", "valueInteger"}) {
    const Value* value = Member(*found[0], name);
    if (value == nullptr) continue;
    if (!value->IsInt() || value->GetInt() < min || value->GetInt() > max) break;
    return value->GetInt();
  }
  return Unprocessable(location + " ska vara ett heltal " + std::to_string(min) + "–" + std::to_string(max) +
                           " (must be an integer in range)",
                       location);
}

std::string Reference(const std::string& base_url, const std::string& type, const std::string& id) {
  return base_url + "/" + type + "/" + id;
}

}  // namespace

Result<SubscriptionRecord> SubscriptionFromJson(const std::string& body, const std::vector<std::string>& allowlist) {
  rapidjson::Document doc;
  NARA_RETURN_IF_ERROR(ParseJsonObject(body, doc));
  if (StringMember(doc, "resourceType") != "Subscription") {
    return Error::Invalid("structure", "resourceType ska vara Subscription (resourceType must be Subscription)");
  }
  SubscriptionRecord record;
  const std::string criteria = StringMember(doc, "criteria");
  const auto topic = ParseTopicUrl(criteria);
  if (!topic) {
    return Unprocessable("criteria ska vara ett av registrets ämnen, t.ex. " + TopicUrl(Topic::listing_change) +
                             " (criteria must be a topic canonical URL; see docs/api.md section 10)",
                         "Subscription.criteria");
  }
  record.topic = TopicUrl(*topic);
  // backport-filter-criteria on _criteria, each one criterion; all of them must hold.
  std::string joined;
  if (const Value* criteria_ext = Member(doc, "_criteria")) {
    for (const Value* ext : FindExtensions(*criteria_ext, backport::kFilterCriteria)) {
      const std::string text = StringMember(*ext, "valueString");
      if (text.empty())
        return Unprocessable(
            "backport-filter-criteria saknar valueString "
            "(backport-filter-criteria has no valueString)",
            "Subscription._criteria");
      if (const auto question = text.find('?'); question != std::string::npos &&
                                                text.substr(0, question) != TopicResourceType(*topic)) {
        return Unprocessable("filtret gäller " + SafeExcerpt(text.substr(0, question), 40) + " men ämnet gäller " +
                                 std::string(TopicResourceType(*topic)) + " (filter resource type does not match the topic)",
                             "Subscription._criteria");
      }
      joined += (joined.empty() ? "" : "&") + text.substr(text.find('?') == std::string::npos ? 0 : text.find('?') + 1);
    }
  }
  auto filter = ParseFilterCriteria(joined);
  if (!filter) return Unprocessable(filter.error().text, "Subscription._criteria");
  record.filters = FormatFilterCriteria(*filter);

  const Value* channel = Member(doc, "channel");
  if (channel == nullptr || !channel->IsObject()) {
    return Error::Invalid("required", "channel saknas (channel is required)", "Subscription.channel");
  }
  const Value* type = Member(*channel, "type");
  const std::string channel_type = type ? StringMember(*channel, "type") : "";
  if (channel_type != "rest-hook") {
    return Unprocessable("channel.type ska vara rest-hook (only rest-hook is supported)", "Subscription.channel.type");
  }
  record.endpoint = StringMember(*channel, "endpoint");
  if (record.endpoint.empty()) {
    return Error::Invalid("required", "channel.endpoint saknas (endpoint is required)", "Subscription.channel.endpoint");
  }
  if (record.endpoint.size() > 2000)
    return Unprocessable("channel.endpoint är för lång (channel.endpoint is too long)",
                         "Subscription.channel.endpoint");
  NARA_RETURN_IF_ERROR(CheckEndpoint(record.endpoint, allowlist));

  const std::string mime = StringMember(*channel, "payload");
  if (!mime.empty() && mime != "application/fhir+json" && mime != "application/json") {
    return Unprocessable("channel.payload ska vara application/fhir+json (JSON only)", "Subscription.channel.payload");
  }
  record.payload = mime.empty() ? "empty" : "id-only";
  if (const Value* payload_ext = Member(*channel, "_payload")) {
    const auto found = FindExtensions(*payload_ext, backport::kPayloadContent);
    if (!found.empty()) {
      record.payload = StringMember(*found[0], "valueCode");
      if (record.payload != "empty" && record.payload != "id-only" && record.payload != "full-resource") {
        return Unprocessable(
            "backport-payload-content ska vara empty, id-only eller full-resource "
            "(backport-payload-content must be empty, id-only or full-resource)",
            "Subscription.channel._payload");
      }
      if (mime.empty() && record.payload != "empty") {
        return Error::Invalid("required",
                              "channel.payload (application/fhir+json) krävs för " + record.payload +
                                  " (channel.payload is required for " + record.payload + ")",
                              "Subscription.channel.payload");
      }
    }
  }
  auto heartbeat = IntExtension(*channel, backport::kHeartbeatPeriod, 0, 0, kMaxHeartbeatSeconds,
                                "Subscription.channel.extension(backport-heartbeat-period)");
  if (!heartbeat) return heartbeat.error();
  auto timeout = IntExtension(*channel, backport::kTimeout, 10, 1, kMaxTimeoutSeconds,
                              "Subscription.channel.extension(backport-timeout)");
  if (!timeout) return timeout.error();
  auto max_count = IntExtension(*channel, backport::kMaxCount, 20, 1, kMaxEventsPerNotification,
                                "Subscription.channel.extension(backport-max-count)");
  if (!max_count) return max_count.error();
  record.heartbeat_seconds = *heartbeat;
  record.timeout_seconds = *timeout;
  record.max_count = *max_count;

  // Kept as sent, less what the server decides (id, meta, status, error).
  for (const char* owned : {"id", "meta", "status", "error"}) doc.RemoveMember(owned);
  record.body = ToJson(doc);
  record.status = "requested";
  return record;
}

std::string SubscriptionJson(const SubscriptionRecord& record) {
  rapidjson::Document doc;
  doc.Parse(record.body.c_str());
  if (!doc.IsObject()) doc.SetObject();
  rapidjson::Document out;
  out.SetObject();
  out.AddMember("resourceType", "Subscription", out.GetAllocator());
  out.AddMember("id", Value(record.id.c_str(), out.GetAllocator()), out.GetAllocator());
  Value meta(rapidjson::kObjectType), profiles(rapidjson::kArrayType);
  profiles.PushBack(Value(backport::kSubscriptionProfile, out.GetAllocator()), out.GetAllocator());
  meta.AddMember("profile", profiles, out.GetAllocator());
  out.AddMember("meta", meta, out.GetAllocator());
  out.AddMember("status", Value(record.status.c_str(), out.GetAllocator()), out.GetAllocator());
  if (!record.error.empty()) out.AddMember("error", Value(record.error.c_str(), out.GetAllocator()), out.GetAllocator());
  for (auto& member : doc.GetObject()) {
    const std::string name = member.name.GetString();
    if (name == "resourceType") continue;
    out.AddMember(Value(name.c_str(), out.GetAllocator()), Value(member.value, out.GetAllocator()), out.GetAllocator());
  }
  return ToJson(out);
}

std::string SubscriptionStatusJson(const SubscriptionRecord& record, const std::string& base_url,
                                   const std::string& type, const std::vector<SubscriptionEventRecord>& events) {
  std::string out = "{\"resourceType\":\"Parameters\",\"meta\":{\"profile\":[" + JsonString(backport::kStatusProfile) +
                    "]},\"parameter\":[";
  out += "{\"name\":\"subscription\",\"valueReference\":{\"reference\":" +
         JsonString(Reference(base_url, "Subscription", record.id)) + "}}";
  out += ",{\"name\":\"topic\",\"valueCanonical\":" + JsonString(record.topic) + "}";
  out += ",{\"name\":\"status\",\"valueCode\":" + JsonString(record.status) + "}";
  out += ",{\"name\":\"type\",\"valueCode\":" + JsonString(type) + "}";
  // R4 has no integer64: the Backport IG carries event numbers as strings.
  out += ",{\"name\":\"events-since-subscription-start\",\"valueString\":" +
         JsonString(std::to_string(record.events_since_start)) + "}";
  for (const auto& event : events) {
    out += ",{\"name\":\"notification-event\",\"part\":[{\"name\":\"event-number\",\"valueString\":" +
           JsonString(std::to_string(event.number)) + "},{\"name\":\"timestamp\",\"valueInstant\":" +
           JsonString(event.recorded) + "}";
    if (record.payload != "empty") {
      out += ",{\"name\":\"focus\",\"valueReference\":{\"reference\":" +
             JsonString(Reference(base_url, event.resource.type, event.resource.id) + "/_history/" +
                        std::to_string(event.resource.version)) +
             "}}";
    }
    out += "]}";
  }
  if (!record.error.empty()) {
    out += ",{\"name\":\"error\",\"valueCodeableConcept\":{\"text\":" + JsonString(record.error) + "}}";
  }
  return out + "]}";
}

std::string NotificationBundleJson(const SubscriptionRecord& record, const std::string& base_url,
                                   const std::string& type, const std::vector<SubscriptionEventRecord>& events,
                                   const std::string& payload_override) {
  const std::string payload = payload_override.empty() ? record.payload : payload_override;
  SubscriptionRecord shown = record;
  shown.payload = payload;
  std::string out = "{\"resourceType\":\"Bundle\",\"id\":" + JsonString(NewResourceId()) +
                    ",\"type\":\"history\",\"timestamp\":" + JsonString(NowRfc3339()) + ",\"entry\":[";
  out += "{\"fullUrl\":" + JsonString("urn:uuid:" + NewResourceId()) +
         ",\"resource\":" + SubscriptionStatusJson(shown, base_url, type, events) +
         ",\"request\":{\"method\":\"GET\",\"url\":" + JsonString("Subscription/" + record.id + "/$status") +
         "},\"response\":{\"status\":\"200\"}}";
  if (payload != "empty") {
    for (const auto& event : events) {
      const StoredResource& r = event.resource;
      const std::string url = r.type + "/" + r.id;
      out += ",{\"fullUrl\":" + JsonString(base_url + "/" + url);
      if (payload == "full-resource" && !r.deleted && !r.json.empty()) out += ",\"resource\":" + r.json;
      const char* method = r.deleted ? "DELETE" : r.version == 1 ? "POST" : "PUT";
      out += ",\"request\":{\"method\":\"" + std::string(method) + "\",\"url\":" +
             JsonString(r.version == 1 && !r.deleted ? r.type : url) + "},\"response\":{\"status\":\"" +
             (r.deleted ? "204" : r.version == 1 ? "201" : "200") + "\",\"etag\":" +
             JsonString("W/\"" + std::to_string(r.version) + "\"") + ",\"lastModified\":" + JsonString(r.last_updated) +
             "}}";
    }
  }
  return out + "]}";
}

VersionFacts FactsOfVersion(const StoredResource& version) {
  VersionFacts facts;
  if (version.deleted || version.json.empty()) return facts;
  rapidjson::Document doc;
  if (!ParseJsonObject(version.json, doc)) return facts;
  facts.exists = true;
  const std::string& type = version.type;
  if (type == "EpisodeOfCare") {
    facts.kind = EpisodeKindName(KindOfEpisode(doc));
    facts.patient_id = FirstReferenceId(doc, "patient", "Patient");
    facts.unit_id = FirstReferenceId(doc, "managingOrganization", "Organization");
  } else if (type == "CareTeam") {
    if (IsFixedContactCareTeam(doc)) facts.kind = nr::kFastKontakt;
    facts.patient_id = FirstReferenceId(doc, "subject", "Patient");
    facts.unit_id = FirstReferenceId(doc, "managingOrganization", "Organization");
  } else if (type == "DocumentReference") {
    if (const Value* doc_type = Member(doc, "type")) facts.kind = CodeOf(*doc_type, nr::kDocumentType);
    facts.patient_id = FirstReferenceId(doc, "subject", "Patient");
    facts.unit_id = FirstReferenceId(doc, "custodian", "Organization");
  } else if (type == "Task") {
    if (const Value* code = Member(doc, "code")) facts.kind = CodeOf(*code, kTaskCode);
    facts.patient_id = FirstReferenceId(doc, "for", "Patient");
    facts.role_id = FirstReferenceId(doc, "focus", "PractitionerRole");
  } else if (type == "Patient") {
    const PatientFacts patient = PatientFactsFromPatient(doc, version.id);
    facts.patient_id = version.id;
    facts.kommun = patient.kommun;
    facts.deceased = patient.deceased.has_value();
  }
  return facts;
}

}  // namespace nara::fhir
