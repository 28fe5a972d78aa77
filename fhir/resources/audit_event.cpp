#include "fhir/resources/audit_event.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <climits>
#include <optional>

#include "fhir/search/date_param.h"
#include "fhir/json/json.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/search/search_params.h"
#include "registry/hsa_id.h"
#include "registry/identifier_system.h"

namespace nara::fhir {
namespace {

constexpr const char* kAuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr const char* kRestfulInteraction = "http://hl7.org/fhir/restful-interaction";
constexpr const char* kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr const char* kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr size_t kMaxAgentLength = 64;

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Member(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  Str(w, value);
}

void Coding(Writer& w, const char* system, const std::string& code, const char* display) {
  w.StartObject();
  Member(w, "system", system);
  Member(w, "code", code);
  if (display) Member(w, "display", display);
  w.EndObject();
}

// FHIR R4 AuditEvent.action (audit-event-action): a search is a query, which FHIR files under E.
const char* ActionCode(const std::string& action) {
  if (action == "create") return "C";
  if (action == "update") return "U";
  if (action == "delete") return "D";
  if (action == "search" || action == "operation") return "E";
  return "R";  // read, vread, history
}

// FHIR R4 AuditEvent.outcome (audit-event-outcome).
const char* OutcomeCode(const std::string& outcome) {
  if (outcome == "success") return "0";
  if (outcome == "refused") return "4";  // minor failure: the request was refused, nothing happened
  return "8";                            // serious failure
}

void HsaIdentifier(Writer& w, const std::string& value) {
  w.Key("identifier");
  w.StartObject();
  Member(w, "system", systems::kHsaId);
  Member(w, "value", value);
  w.EndObject();
}

void Entity(Writer& w, const std::string& reference, bool patient) {
  w.StartObject();
  w.Key("what");
  w.StartObject();
  Member(w, "reference", reference);
  w.EndObject();
  w.Key("type");
  if (patient) {
    Coding(w, kEntityType, "1", "Person");
    w.Key("role");
    Coding(w, kObjectRole, "1", "Patient");
  } else {
    Coding(w, kEntityType, "2", "System Object");
  }
  w.EndObject();
}

// search parameters

Error Unsupported(const std::string& text) { return Error::Invalid("not-supported", text); }

std::string Quoted(const std::string& name) { return "'" + SafeExcerpt(name, 100) + "'"; }

std::optional<int> NonNegative(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > INT_MAX) return std::nullopt;
  return static_cast<int>(value);
}

// RFC 3339 UTC instants of the same form, but the end of year 9999 is "10000-…": longer is later.
bool Later(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}

class AuditSearchParser {
 public:
  explicit AuditSearchParser(std::vector<std::string>* ignored) : ignored_(ignored) {}

  Status Add(const std::string& full_name, const std::string& value) {
    if (value.empty()) return Ok();  // FHIR: a parameter without a value is ignored
    const size_t colon = full_name.find(':');
    const std::string name = full_name.substr(0, colon);
    const bool modified = colon != std::string::npos;
    if (name == "_format" || name == "_pretty" || name == "_total") return NoModifier(full_name, modified);
    if (name == "patient") {
      if (modified && full_name.substr(colon + 1) != "Patient") {
        return Error::Invalid("invalid", "patient tar ingen annan modifierare än :Patient (patient takes no modifier but :Patient)");
      }
      return AddPatient(value);
    }
    if (modified && (name == "agent" || name == "date" || name == "_count" || name == "_offset" || name == "_summary")) {
      return NoModifier(full_name, modified);
    }
    if (name == "agent") return AddAgent(value);
    if (name == "date") return AddDate(value);
    if (name == "_count" || name == "_offset") return AddPaging(name, value);
    if (name == "_summary") {
      if (value != "count") {
        return Unknown(full_name + "=" + value,
                       "bara _summary=count stöds för AuditEvent "
                       "(Only _summary=count is supported for AuditEvent)");
      }
      summary_count_ = true;
      return Ok();
    }
    const bool unknown = name.empty() || name[0] != '_';
    return Unknown(full_name, (unknown ? "okänd sökparameter " : "sökparametern ") + Quoted(full_name) +
                                  " stöds inte för AuditEvent (" +
                                  (unknown ? "Unknown search parameter " : "The search parameter ") +
                                  Quoted(full_name) + " is not supported for AuditEvent)");
  }

  AuditQuery Finish() {
    if (summary_count_) query_.count = 0;
    return query_;
  }

 private:
  static Status NoModifier(const std::string& full_name, bool modified) {
    if (!modified) return Ok();
    return ParamTakesNoModifier(Quoted(full_name));
  }

  Status Unknown(const std::string& full_name, const std::string& text) {
    if (ignored_ == nullptr) return Unsupported(text);
    std::string clean = SafeExcerpt(full_name, 100);
    if (std::find(ignored_->begin(), ignored_->end(), clean) == ignored_->end()) ignored_->push_back(std::move(clean));
    return Ok();
  }

  Status AddPatient(const std::string& value) {
    if (value.find(',') != std::string::npos)
      return Unsupported("patient: en patient per AuditEvent-sökning (patient: one patient per AuditEvent search)");
    std::string id = value;
    if (value.find('/') != std::string::npos) {
      std::string type;
      if (!ParseReference(value, type, id) || type != "Patient") {
        return Error::Invalid("invalid", "patient måste vara Patient/[id] eller [id] (patient must be Patient/[id] or [id])");
      }
    }
    if (!IsValidId(id))
      return Error::Invalid("invalid", "patient: inget giltigt resurs-id (patient: not a valid resource id)");
    if (!query_.patient_id.empty() && query_.patient_id != id) {
      return Unsupported("patient: en patient per AuditEvent-sökning (patient: one patient per AuditEvent search)");
    }
    query_.patient_id = id;
    return Ok();
  }

  Status AddAgent(const std::string& value) {
    if (value.find(',') != std::string::npos)
      return Unsupported("agent: ett HSA-id per AuditEvent-sökning (agent: one HSA-id per AuditEvent search)");
    std::string hsa = value;
    if (const size_t bar = value.find('|'); bar != std::string::npos) {
      if (CanonicalSystem(value.substr(0, bar)) != systems::kHsaId) {
        return Error::Invalid("invalid", std::string("agent: systemet måste vara ") + systems::kHsaId +
                                             " (agent: the system must be " + systems::kHsaId + ")");
      }
      hsa = value.substr(bar + 1);
    }
    // Any non-empty printable value: access.json, not the HSA format, decides who may call.
    if (hsa.empty() || hsa.size() > kMaxAgentLength ||
        std::any_of(hsa.begin(), hsa.end(), [](char c) { return c <= 0x20 || c == 0x7f || c == '|'; })) {
      return Error::Invalid("invalid", "agent måste vara ett HSA-id, t.ex. SE2321000016-1234 (agent must be an HSA-id)");
    }
    if (!query_.agent_hsa_id.empty() && query_.agent_hsa_id != hsa) {
      return Unsupported("agent: ett HSA-id per AuditEvent-sökning (agent: one HSA-id per AuditEvent search)");
    }
    query_.agent_hsa_id = hsa;
    return Ok();
  }

  Status AddDate(const std::string& value) {
    auto parsed = ParseDateSearchValue(value);
    if (!parsed) return parsed.error();
    const auto& [prefix, range] = *parsed;
    switch (prefix) {
      case DatePrefix::eq: NarrowFrom(range.start); NarrowTo(range.end); break;
      case DatePrefix::ge: NarrowFrom(range.start); break;
      case DatePrefix::gt: NarrowFrom(range.end); break;
      case DatePrefix::lt: NarrowTo(range.start); break;
      case DatePrefix::le: NarrowTo(range.end); break;
      case DatePrefix::sa:
      case DatePrefix::eb:
        return Unsupported(
            "date: prefixen sa och eb stöds inte för AuditEvent "
            "(date: the prefixes sa and eb are not supported for AuditEvent)");
      case DatePrefix::ne:
        return Unsupported(
            "date: prefixet ne stöds inte för AuditEvent "
            "(date: the prefix ne is not supported for AuditEvent)");
    }
    return Ok();
  }

  void NarrowFrom(const std::string& instant) {
    if (!query_.from || Later(instant, *query_.from)) query_.from = instant;
  }
  void NarrowTo(const std::string& instant) {
    if (!query_.to || Later(*query_.to, instant)) query_.to = instant;
  }

  Status AddPaging(const std::string& name, const std::string& value) {
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) {
      return ParamGivenTwice(name);
    }
    seen_.push_back(name);
    const std::optional<int> number = NonNegative(value);
    if (!number) return ParamNotWholeNumber(name);
    if (name == "_count") {
      query_.count = std::min(*number, kMaxCount);
    } else {
      if (*number == INT_MAX) return Error::Invalid("invalid", "_offset är för stort (the parameter _offset is too large)");
      query_.offset = *number;
    }
    return Ok();
  }

  std::vector<std::string>* ignored_;
  AuditQuery query_;
  bool summary_count_ = false;
  std::vector<std::string> seen_;
};

}  // namespace

std::string AuditEventJson(const StoredAudit& audit) {
  const AuditRecord& r = audit.record;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Member(w, "resourceType", "AuditEvent");
  Member(w, "id", std::to_string(audit.id));
  w.Key("meta");
  w.StartObject();
  Member(w, "versionId", "1");
  Member(w, "lastUpdated", audit.recorded);
  w.EndObject();

  w.Key("type");
  Coding(w, kAuditEventType, "rest", "RESTful Operation");
  w.Key("subtype");
  w.StartArray();
  Coding(w, kRestfulInteraction, r.action, nullptr);
  w.EndArray();
  Member(w, "action", ActionCode(r.action));
  Member(w, "recorded", audit.recorded);
  Member(w, "outcome", OutcomeCode(r.outcome));
  std::string description = r.http_status > 0 ? "HTTP " + std::to_string(r.http_status) : "";
  if (!r.detail.empty()) description += (description.empty() ? "" : ": ") + r.detail;
  if (!description.empty()) Member(w, "outcomeDesc", description);

  w.Key("agent");
  w.StartArray();
  w.StartObject();  // the caller
  if (!r.agent_role.empty()) {
    w.Key("role");
    w.StartArray();
    w.StartObject();
    Member(w, "text", r.agent_role);
    w.EndObject();
    w.EndArray();
  }
  w.Key("who");
  w.StartObject();
  if (!r.agent_hsa_id.empty()) {
    HsaIdentifier(w, r.agent_hsa_id);
  } else {
    Member(w, "display", "okänd anropare (unidentified caller)");
  }
  w.EndObject();
  if (!r.agent_name.empty()) Member(w, "name", r.agent_name);
  w.Key("requestor");
  w.Bool(true);
  w.EndObject();
  if (!r.unit.empty()) {  // the unit the access was made on behalf of
    w.StartObject();
    w.Key("role");
    w.StartArray();
    w.StartObject();
    Member(w, "text", "vårdenhet (unit acted for)");
    w.EndObject();
    w.EndArray();
    w.Key("who");
    w.StartObject();
    if (HsaId::Parse(r.unit).ok()) {
      HsaIdentifier(w, r.unit);
    } else {
      Member(w, "reference", "Organization/" + r.unit);
    }
    w.EndObject();
    w.Key("requestor");
    w.Bool(false);
    w.EndObject();
  }
  w.EndArray();

  w.Key("source");
  w.StartObject();
  w.Key("observer");
  w.StartObject();
  Member(w, "display", kAuditObserverName);
  w.EndObject();
  w.EndObject();

  w.Key("entity");
  w.StartArray();
  for (const auto& id : r.resource_ids) {
    // A Patient read is already the patient entity below.
    if (r.resource_type == "Patient" &&
        std::find(r.patient_ids.begin(), r.patient_ids.end(), id) != r.patient_ids.end()) {
      continue;
    }
    Entity(w, r.resource_type + "/" + id, false);
  }
  for (const auto& id : r.patient_ids) Entity(w, "Patient/" + id, true);
  if (!r.request_id.empty()) {
    w.StartObject();
    Member(w, "name", "request-id");
    Member(w, "description", r.request_id);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<AuditQuery> ParseAuditSearch(const std::vector<std::pair<std::string, std::string>>& params,
                                    std::vector<std::string>* ignored) {
  AuditSearchParser parser(ignored);
  for (const auto& [name, value] : params) {
    NARA_RETURN_IF_ERROR(parser.Add(name, value));
  }
  return parser.Finish();
}

std::vector<std::pair<std::string, std::string>> AuditSearchLinkParams(const AuditQuery& query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!query.patient_id.empty()) out.emplace_back("patient", "Patient/" + query.patient_id);
  if (!query.agent_hsa_id.empty()) out.emplace_back("agent", std::string(systems::kHsaId) + "|" + query.agent_hsa_id);
  if (query.from) out.emplace_back("date", "ge" + *query.from);
  if (query.to) out.emplace_back("date", "lt" + *query.to);
  out.emplace_back("_count", std::to_string(query.count));
  return out;
}

}  // namespace nara::fhir
