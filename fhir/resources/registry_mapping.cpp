#include "fhir/resources/registry_mapping.h"

#include <cmath>
#include <optional>

#include "fhir/json/json.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/identifier_system.h"
#include "registry/personnummer.h"
#include "registry/protection.h"

namespace nara::fhir {
namespace {

using rapidjson::Value;

const Value* FirstOf(const Value* array) {
  if (array == nullptr || !array->IsArray() || array->Empty()) return nullptr;
  return &(*array)[0];
}

// period.start / period.end as a Date; nullopt when absent; an error when present and unparseable.
Result<std::optional<Date>> PeriodDate(const Value& resource, const char* which, const std::string& type) {
  const Value* period = Member(resource, "period");
  const Value* value = period == nullptr ? nullptr : Member(*period, which);
  if (value == nullptr) return std::optional<Date>();
  const std::string where = type + ".period." + which;
  if (!value->IsString())
    return Error::Invalid("structure", where + " måste vara ett datum (" + where + " must be a date string)", where);
  auto date = Date::Parse(std::string_view(value->GetString(), value->GetStringLength()));
  if (!date) return Error::Invalid("value", date.error().text, where);
  return std::optional<Date>(*date);
}

Result<Period> PeriodOf(const Value& resource, const std::string& type) {
  auto start = PeriodDate(resource, "start", type);
  if (!start) return start.error();
  if (!*start) {
    return Error::Invalid("required", "period.start saknas (period.start is required)", type + ".period.start");
  }
  auto end = PeriodDate(resource, "end", type);
  if (!end) return end.error();
  return Period{**start, *end};
}

// A FHIR date or dateTime of any precision as a day: YYYY and YYYY-MM are taken as their first day.
std::optional<Date> EarliestDay(const std::string& text) {
  const std::string padded = text.size() == 4 ? text + "-01-01" : text.size() == 7 ? text + "-01" : text;
  auto day = Date::Parse(padded);
  if (!day) return std::nullopt;
  return *day;
}

// valueCoding.code, else valueString.
std::string ReasonOf(const Value& resource, std::string_view url) {
  for (const Value* ext : FindExtensions(resource, url)) {
    if (const Value* coding = Member(*ext, "valueCoding")) {
      const std::string code = StringMember(*coding, "code");
      if (!code.empty()) return code;
    }
    const std::string text = StringMember(*ext, "valueString");
    if (!text.empty()) return text;
  }
  return "";
}

void SetString(Value& obj, const char* name, const std::string& text, rapidjson::Document::AllocatorType& alloc) {
  Value value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), alloc);
  auto it = obj.FindMember(name);
  if (it != obj.MemberEnd()) {
    it->value = value;
  } else {
    obj.AddMember(Value(name, alloc), value, alloc);
  }
}

void SetPeriodEnd(rapidjson::Document& doc, Date end) {
  auto& alloc = doc.GetAllocator();
  auto it = doc.FindMember("period");
  if (it == doc.MemberEnd() || !it->value.IsObject()) {
    if (it != doc.MemberEnd()) doc.EraseMember(it);
    doc.AddMember("period", Value(rapidjson::kObjectType), alloc);
    it = doc.FindMember("period");
  }
  SetString(it->value, "end", end.ToString(), alloc);
}

Value ReferenceValue(const std::string& reference, rapidjson::Document::AllocatorType& alloc) {
  Value ref(rapidjson::kObjectType);
  ref.AddMember("reference", Value(reference.c_str(), static_cast<rapidjson::SizeType>(reference.size()), alloc),
                alloc);
  return ref;
}

}  // namespace

std::vector<const Value*> FindExtensions(const Value& element, std::string_view url) {
  std::vector<const Value*> found;
  const Value* extensions = Member(element, "extension");
  if (extensions == nullptr || !extensions->IsArray()) return found;
  for (const auto& ext : extensions->GetArray()) {
    if (ext.IsObject() && StringMember(ext, "url") == url) found.push_back(&ext);
  }
  return found;
}

std::string CodeOf(const Value& concepts, std::string_view system) {
  auto from_concept = [&](const Value& concept_value) -> std::string {
    const Value* codings = Member(concept_value, "coding");
    if (codings == nullptr || !codings->IsArray()) return "";
    for (const auto& coding : codings->GetArray()) {
      if (!coding.IsObject() || StringMember(coding, "system") != system) continue;
      std::string code = StringMember(coding, "code");
      if (!code.empty()) return code;
    }
    return "";
  };
  if (!concepts.IsArray()) return from_concept(concepts);
  for (const auto& item : concepts.GetArray()) {
    std::string code = from_concept(item);
    if (!code.empty()) return code;
  }
  return "";
}

bool HasCoding(const Value& concepts, std::string_view system, std::string_view code) {
  auto in_concept = [&](const Value& concept_value) {
    const Value* codings = Member(concept_value, "coding");
    if (codings == nullptr || !codings->IsArray()) return false;
    for (const auto& coding : codings->GetArray()) {
      if (coding.IsObject() && StringMember(coding, "system") == system && StringMember(coding, "code") == code) {
        return true;
      }
    }
    return false;
  };
  if (!concepts.IsArray()) return in_concept(concepts);
  for (const auto& item : concepts.GetArray()) {
    if (in_concept(item)) return true;
  }
  return false;
}

std::string ReferenceId(const Value& reference, std::string_view type) {
  std::string target_type, target_id;
  if (!ParseReference(StringMember(reference, "reference"), target_type, target_id) || target_type != type) {
    return "";
  }
  return target_id;
}

EpisodeKind KindOfEpisode(const Value& episode) {
  const Value* type = Member(episode, "type");
  if (type == nullptr) return EpisodeKind::other;
  const std::string code = CodeOf(*type, nr::kEpisodeType);
  if (code == "listning") return EpisodeKind::listning;
  if (code == "saebo") return EpisodeKind::saebo;
  if (code == "hemsjukvard") return EpisodeKind::hemsjukvard;
  return EpisodeKind::other;
}

const char* EpisodeKindName(EpisodeKind kind) {
  switch (kind) {
    case EpisodeKind::listning: return "listning";
    case EpisodeKind::saebo: return "saebo";
    case EpisodeKind::hemsjukvard: return "hemsjukvard";
    case EpisodeKind::other: break;
  }
  return "";
}

Result<EpisodeFacts> EpisodeFromResource(const Value& episode, const std::string& id) {
  EpisodeFacts facts;
  facts.id = id;
  const Value* patient = Member(episode, "patient");
  facts.patient_id = patient == nullptr ? "" : ReferenceId(*patient, "Patient");
  if (facts.patient_id.empty()) {
    return Error::Invalid("required", "patient måste vara en referens till Patient (patient must reference a Patient)",
                          "EpisodeOfCare.patient");
  }
  const Value* org = Member(episode, "managingOrganization");
  facts.unit_id = org == nullptr ? "" : ReferenceId(*org, "Organization");
  if (facts.unit_id.empty()) {
    return Error::Invalid(
        "required", "managingOrganization måste vara en referens till Organization (must reference an Organization)",
        "EpisodeOfCare.managingOrganization");
  }
  // planned (FHIR: "to start at the date specified in the period.start") is what an integrator sends
  // for a change of listing registered ahead: the period decides when it is in force, as for active.
  // waitlist, onhold: not in force.
  const std::string status = StringMember(episode, "status");
  facts.status = status == "planned" ? EpisodeStatus::active
                                     : EpisodeStatusFromName(status).value_or(EpisodeStatus::other);
  auto period = PeriodOf(episode, "EpisodeOfCare");
  if (!period) return period.error();
  facts.period = *period;
  for (const Value* ext : FindExtensions(episode, nr::kSipExt)) {
    // valueDate is a date, not a dateTime: exactly YYYY-MM-DD.
    const Value* value = Member(*ext, "valueDate");
    const std::string text = value != nullptr && value->IsString() ? value->GetString() : "";
    auto day = Date::Parse(text);
    if (text.size() != 10 || !day) {
      return Error::Invalid("value",
                            "SIP-datumet måste vara ett datum ÅÅÅÅ-MM-DD i valueDate (the SIP date must be a "
                            "valueDate YYYY-MM-DD)",
                            "EpisodeOfCare.extension('" + std::string(nr::kSipExt) + "').valueDate");
    }
    facts.sip = *day;
  }
  return facts;
}

Result<ContactFacts> ContactFromResource(const Value& careteam, const std::string& id) {
  ContactFacts facts;
  facts.id = id;
  const Value* subject = Member(careteam, "subject");
  facts.patient_id = subject == nullptr ? "" : ReferenceId(*subject, "Patient");
  if (facts.patient_id.empty()) {
    return Error::Invalid("required", "subject måste vara en referens till Patient (subject must reference a Patient)",
                          "CareTeam.subject");
  }
  const Value* participant = FirstOf(Member(careteam, "participant"));
  const Value* member = participant == nullptr ? nullptr : Member(*participant, "member");
  facts.practitioner_role_id = member == nullptr ? "" : ReferenceId(*member, "PractitionerRole");
  if (facts.practitioner_role_id.empty()) {
    return Error::Invalid("required",
                          "participant[0].member måste vara en referens till PractitionerRole "
                          "(participant[0].member must reference a PractitionerRole)",
                          "CareTeam.participant[0].member");
  }
  const Value* role = participant == nullptr ? nullptr : Member(*participant, "role");
  const std::string role_code = role == nullptr ? "" : CodeOf(*role, nr::kContactRole);
  if (role_code.size() != 1 || role_code[0] < '1' || role_code[0] > '4') {
    return Error::Invalid("value",
                          "participant[0].role måste ha typ av fast kontakt 1–4 (" + std::string(nr::kContactRole) +
                              ") (participant[0].role must be a contact type 1-4)",
                          "CareTeam.participant[0].role");
  }
  facts.role = static_cast<ContactRole>(role_code[0] - '0');
  if (const Value* org = FirstOf(Member(careteam, "managingOrganization"))) {
    facts.managing_unit_id = ReferenceId(*org, "Organization");
  } else if (const Value* single = Member(careteam, "managingOrganization"); single != nullptr && single->IsObject()) {
    facts.managing_unit_id = ReferenceId(*single, "Organization");
  }
  // proposed, suspended: not in force.
  facts.status = ContactStatusFromName(StringMember(careteam, "status")).value_or(ContactStatus::other);
  auto period = PeriodOf(careteam, "CareTeam");
  if (!period) return period.error();
  facts.period = *period;
  facts.begin_reason = ReasonOf(careteam, nr::kBeginReasonExt);
  facts.end_reason = ReasonOf(careteam, nr::kEndReasonExt);
  return facts;
}

bool IsFixedContactCareTeam(const Value& careteam) {
  const Value* category = Member(careteam, "category");
  if (category == nullptr) return false;
  return HasCoding(*category, nr::kIneraCareTeamCategory, nr::kFastKontakt) ||
         HasCoding(*category, nr::kCareTeamCategory, nr::kFastKontakt);
}

UnitFacts UnitFromOrganization(const Value& org, const std::string& id) {
  UnitFacts facts;
  facts.id = id;
  if (const Value* identifiers = Member(org, "identifier"); identifiers != nullptr && identifiers->IsArray()) {
    for (const auto& identifier : identifiers->GetArray()) {
      if (identifier.IsObject() && CanonicalSystem(StringMember(identifier, "system")) == systems::kHsaId) {
        facts.hsa_id = StringMember(identifier, "value");
        break;
      }
    }
  }
  facts.name = StringMember(org, "name");
  const Value* type = Member(org, "type");
  const std::string code = type == nullptr ? "" : CodeOf(*type, nr::kOrganizationType);
  facts.type = UnitTypeFromName(code).value_or(UnitType::other);
  if (const Value* part_of = Member(org, "partOf")) facts.part_of = ReferenceId(*part_of, "Organization");
  for (const Value* ext : FindExtensions(org, nr::kMunicipalityExt)) {
    if (const Value* coding = Member(*ext, "valueCoding")) {
      facts.kommun = StringMember(*coding, "code");
      break;
    }
  }
  for (const Value* ext : FindExtensions(org, nr::kServesSaeboExt)) {
    const Value* ref = Member(*ext, "valueReference");
    const std::string saebo = ref == nullptr ? "" : ReferenceId(*ref, "Organization");
    if (!saebo.empty()) facts.serves_saebo.push_back(saebo);
  }
  const Value* active = Member(org, "active");
  facts.active = active == nullptr || !active->IsBool() || active->GetBool();
  return facts;
}

RoleFacts RoleFromPractitionerRole(const Value& role, const std::string& id) {
  RoleFacts facts;
  facts.id = id;
  if (const Value* practitioner = Member(role, "practitioner")) {
    facts.practitioner_id = ReferenceId(*practitioner, "Practitioner");
  }
  if (const Value* org = Member(role, "organization")) facts.unit_id = ReferenceId(*org, "Organization");
  if (const Value* code = Member(role, "code")) facts.profession = CodeOf(*code, nr::kProfession);
  const Value* active = Member(role, "active");
  facts.active = active == nullptr || !active->IsBool() || active->GetBool();
  facts.fte = 1.0;  // docs/api.md §3: fte default 1
  for (const Value* ext : FindExtensions(role, nr::kFteExt)) {
    const Value* fte = Member(*ext, "valueDecimal");
    if (fte != nullptr && fte->IsNumber()) {
      facts.fte = fte->GetDouble();
      break;
    }
  }
  facts.capacity = DefaultListCapacity(facts.fte);
  for (const Value* ext : FindExtensions(role, nr::kListCapacityExt)) {
    const Value* capacity = Member(*ext, "valueInteger");
    if (capacity != nullptr && capacity->IsInt()) {
      facts.capacity = capacity->GetInt();
      break;
    }
  }
  return facts;
}

// Without birthDate, the personnummer or samordningsnummer gives the birth date, as Navet does: the
// age bands and "born by D" of the measures then count the resident like any other. A reservnummer
// carries no date.
std::optional<Date> BirthDateFromPersonId(const Value& patient) {
  const Value* identifiers = Member(patient, "identifier");
  if (identifiers == nullptr || !identifiers->IsArray()) return std::nullopt;
  for (const auto& identifier : identifiers->GetArray()) {
    if (!identifier.IsObject()) continue;
    const std::string system = CanonicalSystem(StringMember(identifier, "system"));
    const bool samordning = system == systems::kSamordningsnummer;
    if (system != systems::kPersonnummer && !samordning) continue;
    auto id = PersonId::Parse(StringMember(identifier, "value"),
                              samordning ? PersonIdKind::samordningsnummer : PersonIdKind::personnummer);
    if (!id) continue;
    if (auto day = Date::Parse(id->birth_date())) return *day;
  }
  return std::nullopt;
}

bool HasProtectedMark(const Value& patient) {
  const Value* meta = Member(patient, "meta");
  const Value* security = meta == nullptr ? nullptr : Member(*meta, "security");
  if (security == nullptr || !security->IsArray()) return false;
  for (const auto& coding : security->GetArray()) {
    if (coding.IsObject() && StringMember(coding, "system") == protection::kConfidentialitySystem &&
        StringMember(coding, "code") == protection::kRestricted) {
      return true;
    }
  }
  return false;
}

PatientFacts PatientFactsFromPatient(const Value& patient, const std::string& id) {
  PatientFacts facts;
  facts.id = id;
  facts.is_protected = HasProtectedMark(patient);
  facts.gender = StringMember(patient, "gender");
  if (const std::string birth = StringMember(patient, "birthDate"); !birth.empty()) {
    facts.birth_date = EarliestDay(birth);
  } else {
    facts.birth_date = BirthDateFromPersonId(patient);
  }
  if (const std::string deceased = StringMember(patient, "deceasedDateTime"); !deceased.empty()) {
    facts.deceased = EarliestDay(deceased);
  } else if (const Value* flag = Member(patient, "deceasedBoolean");
             flag != nullptr && flag->IsBool() && flag->GetBool()) {
    facts.deceased = Date::Today();  // dead, date unknown: from now on
  }
  const Value* addresses = Member(patient, "address");
  if (addresses == nullptr || !addresses->IsArray()) return facts;
  const Date today = Date::Today();
  const Value* chosen = nullptr;
  for (const auto& address : addresses->GetArray()) {
    if (!address.IsObject() || StringMember(address, "use") == "old") continue;
    const Value* period = Member(address, "period");
    const std::string end = period == nullptr ? "" : StringMember(*period, "end");
    if (!end.empty()) {
      const std::optional<Date> end_day = EarliestDay(end);
      if (!end_day || *end_day <= today) continue;  // moved away
    }
    std::string kommun;
    for (const Value* ext : FindExtensions(address, nr::kMunicipalityExt)) {
      if (const Value* coding = Member(*ext, "valueCoding")) kommun = StringMember(*coding, "code");
      if (!kommun.empty()) break;
    }
    if (kommun.empty()) continue;
    const bool home = StringMember(address, "use") == "home";
    if (chosen == nullptr || home) {
      chosen = &address;
      facts.kommun = kommun;
      if (home) break;
    }
  }
  return facts;
}

// The period is what decides (docs/api.md section 4 rule 8); the status written with it says what
// holds on the day of the write, so an end dated later leaves the episode or contact active until then.
void FinishEpisode(rapidjson::Document& episode, Date end, Date today) {
  if (end <= today) SetString(episode, "status", "finished", episode.GetAllocator());
  SetPeriodEnd(episode, end);
}

void CancelEpisode(rapidjson::Document& episode) {
  SetString(episode, "status", "cancelled", episode.GetAllocator());
}

void EndContact(rapidjson::Document& careteam, Date end, const std::string& reason_code, Date today) {
  auto& alloc = careteam.GetAllocator();
  if (end <= today) SetString(careteam, "status", "inactive", alloc);
  SetPeriodEnd(careteam, end);
  if (reason_code.empty()) return;
  auto it = careteam.FindMember("extension");
  if (it == careteam.MemberEnd() || !it->value.IsArray()) {
    if (it != careteam.MemberEnd()) careteam.EraseMember(it);
    careteam.AddMember("extension", Value(rapidjson::kArrayType), alloc);
    it = careteam.FindMember("extension");
  }
  Value& extensions = it->value;
  for (auto ext = extensions.Begin(); ext != extensions.End();) {
    if (ext->IsObject() && StringMember(*ext, "url") == nr::kEndReasonExt) {
      ext = extensions.Erase(ext);
    } else {
      ++ext;
    }
  }
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system", Value(nr::kEndReasonSystem, alloc), alloc);
  coding.AddMember("code", Value(reason_code.c_str(), static_cast<rapidjson::SizeType>(reason_code.size()), alloc),
                   alloc);
  Value ext(rapidjson::kObjectType);
  ext.AddMember("url", Value(nr::kEndReasonExt, alloc), alloc);
  ext.AddMember("valueCoding", coding, alloc);
  extensions.PushBack(ext, alloc);
}

void SetGeneralPractitioner(rapidjson::Document& patient, const std::string& unit_id, const std::string& role_id) {
  auto& alloc = patient.GetAllocator();
  const auto existing = patient.FindMember("generalPractitioner");
  if (unit_id.empty() && role_id.empty()) {
    if (existing != patient.MemberEnd()) patient.EraseMember(existing);
    return;
  }
  Value list(rapidjson::kArrayType);
  if (!unit_id.empty()) list.PushBack(ReferenceValue("Organization/" + unit_id, alloc), alloc);
  if (!role_id.empty()) list.PushBack(ReferenceValue("PractitionerRole/" + role_id, alloc), alloc);
  if (existing != patient.MemberEnd()) {
    existing->value = list;  // keeps the element where it was
  } else {
    patient.AddMember("generalPractitioner", list, alloc);
  }
}

}  // namespace nara::fhir
