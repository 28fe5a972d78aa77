#include "fhir/http/protection.h"

#include <algorithm>

#include "fhir/http/access.h"
#include "fhir/json/json.h"
#include "registry/audit.h"
#include "registry/code_systems.h"
#include "registry/protection.h"

namespace nara::fhir {
namespace {

// The callers who see every protected patient's data (docs/api.md section 8). The citizen portal
// reaches patient data only through the citizen's own $fixed-contacts.
bool SeesEveryone(const Caller& caller) { return caller.role == "admin" || caller.role == "citizen-portal"; }

}  // namespace

void ProtectionScreen::LookUp(RegistryTransaction& reg, const std::vector<std::string>& patient_ids) {
  std::vector<std::string> unknown;
  for (const auto& id : patient_ids) {
    // (inserted as not protected at once: a doctor's list names 1100 patients, a search of the
    // unknown ones so far made that 600 000 comparisons)
    if (protected_.emplace(id, false).second) unknown.push_back(id);
  }
  if (unknown.empty()) return;
  for (const auto& id : reg.ProtectedAmong(unknown)) protected_[id] = true;
}

bool ProtectionScreen::SeesAll(RegistryTransaction& reg, const std::string& patient_id) {
  if (SeesEveryone(caller_)) return true;
  if (caller_.role != "ehr") return false;
  if (auto known = sees_all_.find(patient_id); known != sees_all_.end()) return known->second;
  // Those who care for the person today: the listing unit, and the unit managing a fixed contact.
  const Date today = Date::Today();
  bool covers = false;
  for (const auto& listing : reg.Listings(patient_id)) {
    if (listing.ActiveOn(today) && CoversUnit(reg, caller_, listing.unit_id)) {
      covers = true;
      break;
    }
  }
  if (!covers) {
    for (const auto& contact : reg.Contacts(patient_id)) {
      if (contact.ActiveOn(today) && CoversUnit(reg, caller_, contact.managing_unit_id)) {
        covers = true;
        break;
      }
    }
  }
  sees_all_[patient_id] = covers;
  return covers;
}

Sight ProtectionScreen::SightOf(RegistryTransaction& reg, const std::string& type,
                                const std::vector<std::string>& patients) {
  bool any_protected = false;
  for (const auto& patient : patients) {
    if (!protected_[patient]) continue;
    any_protected = true;
    if (!SeesAll(reg, patient)) return type == "Patient" ? Sight::redacted : Sight::withheld;
  }
  return any_protected ? Sight::full : Sight::open;
}

bool ProtectionScreen::FoundUnprotected(const std::string& patient_id) const {
  const auto found = protected_.find(patient_id);
  return found != protected_.end() && !found->second;
}

int ProtectionScreen::Screen(RegistryTransaction& reg, std::vector<StoredResource>& resources, bool drop_redacted) {
  std::vector<std::vector<std::string>> patients_of(resources.size());
  std::vector<std::string> all;
  for (size_t i = 0; i < resources.size(); ++i) {
    if (!IsPatientData(resources[i].type)) continue;
    patients_of[i] = PatientIdsOfStored(resources[i]);
    all.insert(all.end(), patients_of[i].begin(), patients_of[i].end());
  }
  if (all.empty()) return 0;
  LookUp(reg, all);
  std::vector<StoredResource> kept;
  kept.reserve(resources.size());
  int removed = 0;
  for (size_t i = 0; i < resources.size(); ++i) {
    switch (SightOf(reg, resources[i].type, patients_of[i])) {
      case Sight::open: break;
      case Sight::full: ++full_; break;
      case Sight::redacted:
        if (drop_redacted) {
          ++withheld_;
          ++removed;
          continue;
        }
        ++redacted_;
        if (!resources[i].json.empty()) resources[i].json = RedactedPatientJson(resources[i].json);
        break;
      case Sight::withheld:
        ++withheld_;
        ++removed;
        continue;
    }
    kept.push_back(std::move(resources[i]));
  }
  resources = std::move(kept);
  return removed;
}

Sight ProtectionScreen::ScreenOne(RegistryTransaction& reg, StoredResource& resource) {
  if (!IsPatientData(resource.type)) return Sight::open;
  const auto patients = PatientIdsOfStored(resource);
  if (patients.empty()) return Sight::open;
  LookUp(reg, patients);
  const Sight sight = SightOf(reg, resource.type, patients);
  switch (sight) {
    case Sight::open: break;
    case Sight::full: ++full_; break;
    case Sight::redacted:
      ++redacted_;
      if (!resource.json.empty()) resource.json = RedactedPatientJson(resource.json);
      break;
    case Sight::withheld: ++withheld_; break;
  }
  return sight;
}

std::string ProtectionScreen::AuditNote() const {
  if (full_ + redacted_ + withheld_ == 0) return {};
  std::string sv, en;
  auto add = [&](int n, const char* swedish, const char* english) {
    if (n == 0) return;
    sv += (sv.empty() ? "" : ", ") + std::to_string(n) + " " + swedish;
    en += (en.empty() ? "" : ", ") + std::to_string(n) + " " + english;
  };
  add(full_, "fullständig", "full");
  add(redacted_, "maskerad", "redacted");
  add(withheld_, "undanhållen", "withheld");
  return "skyddad identitet: " + sv + " (protected identity: " + en + ")";
}

Status CheckProtectionMark(const Caller& caller, bool was_marked, bool marked) {
  if (was_marked == marked || caller.role == "admin") return Ok();
  return Error{ErrorKind::forbidden, "forbidden",
               marked ? "endast administratören får sätta skyddad identitet, meta.security v3-Confidentiality#R "
                        "(only admin may mark a patient as protected)"
                      : "endast administratören får ta bort skyddad identitet, meta.security v3-Confidentiality#R "
                        "(only admin may remove a patient's protection)",
               "Patient.meta.security"};
}

std::string RedactedPatientJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return json;
  auto& alloc = doc.GetAllocator();
  for (const char* element : {"address", "telecom", "generalPractitioner"}) doc.RemoveMember(element);
  if (auto ext = doc.FindMember("extension"); ext != doc.MemberEnd() && ext->value.IsArray()) {
    auto& list = ext->value;
    for (auto it = list.Begin(); it != list.End();) {
      if (it->IsObject() && StringMember(*it, "url") == nr::kMunicipalityExt) it = list.Erase(it);
      else ++it;
    }
    if (list.Empty()) doc.RemoveMember("extension");
  }
  if (!doc.HasMember("meta") || !doc["meta"].IsObject()) {
    doc.RemoveMember("meta");
    doc.AddMember("meta", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
  auto& meta = doc["meta"];
  if (!meta.HasMember("security") || !meta["security"].IsArray()) {
    meta.RemoveMember("security");
    meta.AddMember("security", rapidjson::Value(rapidjson::kArrayType), alloc);
  }
  for (const auto& existing : meta["security"].GetArray()) {
    if (existing.IsObject() && StringMember(existing, "code") == protection::kRedacted &&
        StringMember(existing, "system") == protection::kObservationValueSystem) {
      return ToJson(doc);
    }
  }
  rapidjson::Value coding(rapidjson::kObjectType);
  coding.AddMember("system", rapidjson::StringRef(protection::kObservationValueSystem), alloc);
  coding.AddMember("code", rapidjson::StringRef(protection::kRedacted), alloc);
  coding.AddMember("display", "redacted", alloc);
  meta["security"].PushBack(coding, alloc);
  return ToJson(doc);
}

Error WithheldAsNotFound(const std::string& type, const std::string& id, int version) {
  if (version > 0) {
    return Error::NotFound(type + "/" + id + "/_history/" + std::to_string(version) + " finns inte (no such version)");
  }
  return Error::NotFound(type + "/" + id + " finns inte (does not exist)");
}

Result<Sight> ScreenInOwnTransaction(ResourceStore& store, ProtectionScreen& screen, StoredResource& resource) {
  if (!IsPatientData(resource.type) || resource.json.empty()) return Sight::open;
  Sight sight = Sight::open;
  const std::string original = resource.json;
  auto status = store.Transact([&](ResourceTransaction& tx) -> Status {
    resource.json = original;  // a retried transaction screens the stored text again
    sight = screen.ScreenOne(tx.Registry(), resource);
    return Ok();
  });
  if (!status) return status.error();
  return sight;
}

Issue SuppressedIssue() {
  Issue issue;
  issue.severity = "information";
  issue.code = "suppressed";
  issue.text = "uppgifter om skyddade personer har utelämnats (information about protected persons was left out)";
  return issue;
}

void AddProtectionNote(std::string& detail, const std::string& base, const ProtectionScreen& screen) {
  const std::string note = screen.AuditNote();
  if (note.empty()) return;
  detail = (detail.empty() ? base : detail) + "; " + note;
}

}  // namespace nara::fhir
