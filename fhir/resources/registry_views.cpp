#include "fhir/resources/registry_views.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdio>
#include <set>

#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "registry/rules.h"

namespace nara::fhir {
namespace {

// ÖK 2021 (god och nära vård): about 1100 listed patients per full-time GP.
constexpr int kListedPerDoctorTarget = 1100;

std::optional<EpisodeFacts> ActiveListing(RegistryTransaction& reg, const std::string& patient_id, Date on) {
  for (auto& listing : reg.Listings(patient_id)) {
    if (listing.ActiveOn(on)) return listing;
  }
  return std::nullopt;
}

std::optional<ContactFacts> ActiveDoctor(RegistryTransaction& reg, const std::string& patient_id, Date on) {
  for (auto& contact : reg.Contacts(patient_id)) {
    if (contact.role == ContactRole::fast_lakarkontakt && contact.ActiveOn(on)) return contact;
  }
  return std::nullopt;
}

SearchCriterion Criterion(SearchKind kind, const char* param, const std::string& value,
                          const std::string& target_type = "") {
  SearchCriterion criterion;
  criterion.kind = kind;
  criterion.param = param;
  SearchValue one;
  one.value = value;
  one.target_type = target_type;
  criterion.any_of.push_back(one);
  return criterion;
}

class ParametersWriter {
 public:
  ParametersWriter() : w_(buffer_) {
    w_.StartObject();
    w_.Key("resourceType");
    w_.String("Parameters");
    w_.Key("parameter");
    w_.StartArray();
  }
  void Integer(const char* name, long value) {
    Open(name);
    w_.Key("valueInteger");
    w_.Int64(value);
    w_.EndObject();
  }
  void Decimal(const char* name, double value) {
    Open(name);
    w_.Key("valueDecimal");
    // Two decimals are what a report shows; keep JSON numbers short and stable.
    w_.Double(std::round(value * 100.0) / 100.0);
    w_.EndObject();
  }
  void Reference(const char* name, const std::string& reference) {
    Open(name);
    w_.Key("valueReference");
    w_.StartObject();
    w_.Key("reference");
    w_.String(reference.c_str());
    w_.EndObject();
    w_.EndObject();
  }
  void Date(const char* name, const std::string& date) {
    Open(name);
    w_.Key("valueDate");
    w_.String(date.c_str());
    w_.EndObject();
  }
  std::string Finish() {
    w_.EndArray();
    w_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  void Open(const char* name) {
    w_.StartObject();
    w_.Key("name");
    w_.String(name);
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

}  // namespace

std::string PatientWithGeneralPractitioner(RegistryTransaction& reg, const StoredResource& patient, Date on) {
  const auto listing = ActiveListing(reg, patient.id, on);
  const auto doctor = ActiveDoctor(reg, patient.id, on);
  rapidjson::Document doc;
  if (!ParseJsonObject(patient.json, doc)) return patient.json;
  SetGeneralPractitioner(doc, listing ? listing->unit_id : "", doctor ? doctor->practitioner_role_id : "");
  return ToJson(doc);
}

// No doctor's queue comes near this; it bounds one answer's memory if a data error made one.
constexpr int kMaxQueueRead = 100000;

// waiting: how many wait now; waiting-median-days: the median of their waits so far in whole days
// (left out when nobody waits), the figure Norway's statistics report for fastlege queues.
static void AddWaiting(ParametersWriter& out, const std::vector<QueueEntry>& waiting) {
  out.Integer("waiting", static_cast<long>(waiting.size()));
  std::vector<int> days;
  const Date today = Date::Today();
  for (const auto& entry : waiting) days.push_back(WaitDays(entry.authored_on, today));
  if (auto median = MedianDays(days)) out.Decimal("waiting-median-days", *median);
}

Result<std::string> RoleListStatus(ResourceTransaction& tx, const std::string& role_id, Date on) {
  auto stored = tx.Read("PractitionerRole", role_id);
  if (!stored) return stored.error();
  auto role = tx.Registry().Role(role_id);
  if (!role) return Error::NotFound("PractitionerRole/" + role_id + " saknas i registret (not in the registry)");
  // listed: in force on the date. free: what was left then — the places in use on the date, or, when
  // more, the places active contacts hold from then on (a future-dated contact already takes one).
  const int listed = tx.Registry().CountDoctorContactsOn(role_id, on);
  const int taken = std::max(listed, tx.Registry().CountDoctorContacts(role_id, on));
  ParametersWriter out;
  out.Reference("practitioner-role", "PractitionerRole/" + role_id);
  out.Date("date", on.ToString());
  out.Integer("capacity", role->capacity);
  out.Integer("listed", listed);
  out.Integer("free", std::max(0, role->capacity - taken));
  // docs/api.md section 9: people in the doctor's waiting list now (the queue has no past dates).
  AddWaiting(out, tx.Registry().Waiting(role_id, kMaxQueueRead));
  return out.Finish();
}

Result<std::string> UnitListStatus(ResourceTransaction& tx, const std::string& unit_id, Date on) {
  auto stored = tx.Read("Organization", unit_id);
  if (!stored) return stored.error();
  auto& reg = tx.Registry();
  const long listed = reg.CountListingsAtUnit(unit_id, on);
  double fte = 0;
  for (const auto& [role, count] : reg.DoctorLoads(unit_id, on)) fte += role.fte;
  ParametersWriter out;
  out.Reference("organization", "Organization/" + unit_id);
  out.Date("date", on.ToString());
  out.Integer("listed", listed);
  out.Decimal("doctor-fte", fte);
  if (fte > 0) out.Decimal("listed-per-doctor-fte", static_cast<double>(listed) / fte);
  out.Integer("target", kListedPerDoctorTarget);
  // docs/api.md section 9: the people waiting now for the unit's doctors.
  std::vector<QueueEntry> waiting;
  for (const auto& [role, count] : reg.DoctorLoads(unit_id, on)) {
    for (auto& entry : reg.Waiting(role.id, kMaxQueueRead)) waiting.push_back(std::move(entry));
  }
  AddWaiting(out, waiting);
  return out.Finish();
}

// The Task JSON with extension NR/StructureDefinition/queue-position (valueInteger, 1 = first in line).
static std::string WithQueuePosition(const std::string& json, int position) {
  rapidjson::Document doc;
  if (!ParseJsonObject(json, doc)) return json;
  auto& alloc = doc.GetAllocator();
  rapidjson::Value ext(rapidjson::kObjectType);
  ext.AddMember("url", rapidjson::Value(nr::kQueuePositionExt, alloc), alloc);
  ext.AddMember("valueInteger", position, alloc);
  auto it = doc.FindMember("extension");
  if (it == doc.MemberEnd() || !it->value.IsArray()) {
    if (it != doc.MemberEnd()) doc.EraseMember(it);
    doc.AddMember("extension", rapidjson::Value(rapidjson::kArrayType), alloc);
    it = doc.FindMember("extension");
  }
  it->value.PushBack(ext, alloc);
  return ToJson(doc);
}

Result<std::string> FixedContactsBundle(ResourceTransaction& tx, const std::string& patient_id,
                                        const std::string& base_url, Date on) {
  auto& reg = tx.Registry();
  auto patient = tx.Read("Patient", patient_id);
  if (!patient) return patient.error();
  std::vector<StoredResource> entries;
  std::set<std::string> seen;
  auto add = [&](const std::string& type, const std::string& id) {
    if (id.empty() || !seen.insert(type + "/" + id).second) return;
    auto resource = tx.Read(type, id);
    if (resource) entries.push_back(std::move(*resource));
  };
  StoredResource decorated = *patient;
  decorated.json = PatientWithGeneralPractitioner(reg, *patient, on);
  entries.push_back(decorated);
  seen.insert("Patient/" + patient_id);
  if (auto listing = ActiveListing(reg, patient_id, on)) {
    add("EpisodeOfCare", listing->id);
    add("Organization", listing->unit_id);
  }
  for (const auto& contact : reg.Contacts(patient_id)) {
    if (!contact.ActiveOn(on)) continue;
    add("CareTeam", contact.id);
    add("PractitionerRole", contact.practitioner_role_id);
    if (auto role = reg.Role(contact.practitioner_role_id)) add("Practitioner", role->practitioner_id);
    add("Organization", contact.managing_unit_id);
  }
  // docs/api.md section 9: the citizen's place in line, with the doctor waited for. The Task carries
  // its position in this answer only (extension queue-position); authoredOn is since when.
  for (const auto& entry : reg.WaitingOfPatient(patient_id)) {
    auto task = tx.Read("Task", entry.task_id);
    if (!task || !seen.insert("Task/" + entry.task_id).second) continue;
    task->json = WithQueuePosition(task->json, reg.QueuePosition(entry));
    entries.push_back(std::move(*task));
    add("PractitionerRole", entry.role_id);
    if (auto role = reg.Role(entry.role_id)) {
      add("Practitioner", role->practitioner_id);
      add("Organization", role->unit_id);
    }
  }
  SearchQuery contracts;
  contracts.type = "DocumentReference";
  contracts.count = 20;
  contracts.want_total = false;
  contracts.criteria.push_back(Criterion(SearchKind::reference, "subject", patient_id, "Patient"));
  contracts.criteria.push_back(Criterion(SearchKind::token, "status", "current"));
  contracts.criteria.push_back(Criterion(SearchKind::token, "type", "patientkontrakt"));
  auto found = tx.Search(contracts);
  if (!found) return found.error();
  for (auto& document : found->resources) {
    if (seen.insert("DocumentReference/" + document.id).second) entries.push_back(std::move(document));
  }
  // No `total`: FHIR R4 bdl-1 allows it on a searchset or history only. The patient is always the
  // first entry, so `entry` is never empty.
  std::string out = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ",";
    out += "{\"fullUrl\":" + JsonString(base_url + "/" + entries[i].type + "/" + entries[i].id) +
           ",\"resource\":" + entries[i].json + "}";
  }
  return out + "]}";
}

}  // namespace nara::fhir
