// Structure, codes and search index of the registry's own resources (docs/api.md §3): EpisodeOfCare
// (listning, saebo), CareTeam (fast-kontakt), DocumentReference (patientkontrakt, sip), and the
// registry extensions on Organization and PractitionerRole. Called by PrepareResource after the
// checks common to every type (fhir/resources/resource_mapper.cpp), so `extension` is already known to be an
// array of objects and identifier[] is indexed.
//
// Errors are Error::Invalid with the FHIR IssueType as detail code: "structure" (400: not the shape
// FHIR defines), "required" and "value" (422: a well-formed resource this registry does not accept),
// and a FHIRPath location. Texts never repeat a client's value (it could be a personnummer).
#include "fhir/resources/registry_resources.h"

#include <initializer_list>
#include <string>
#include <vector>

#include "fhir/search/date_param.h"
#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/continuity.h"
#include "registry/date.h"

namespace nara::fhir {
namespace {

using rapidjson::Value;

Error Structure(const std::string& text, const std::string& where) { return Error::Invalid("structure", text, where); }
Error Required(const std::string& what, const std::string& where) {
  return Error::Invalid("required", what + " saknas (" + what + " is required)", where);
}
Error BadValue(const std::string& text, const std::string& where) { return Error::Invalid("value", text, where); }

// A string member that must be present and one of `allowed`; its value is returned in `out`.
Status CheckCode(const Value& r, const char* name, const std::string& where, const std::vector<std::string>& allowed,
                 std::string& out) {
  const Value* v = Member(r, name);
  if (v == nullptr) return Required(name, where);
  if (!v->IsString())
    return Structure(std::string(name) + " måste vara en sträng (" + name + " must be a string)", where);
  out.assign(v->GetString(), v->GetStringLength());
  for (const auto& code : allowed) {
    if (out == code) return Ok();
  }
  std::string list;
  for (const auto& code : allowed) list += (list.empty() ? "" : ", ") + code;
  return BadValue(std::string(name) + " måste vara en av: " + list + " (" + name + " must be one of: " + list + ")",
                  where);
}

// A Reference object. Sets type/id when it has a reference Type/id; `target` (if not empty) is the
// only type allowed. A reference that is not Type/id (e.g. "#contained") is refused: the registry
// must be able to follow every reference it keeps.
Status CheckReference(const Value& ref, const std::string& where, const char* target, bool required, std::string& type,
                      std::string& id) {
  type.clear();
  id.clear();
  if (!ref.IsObject()) return Structure("en Reference måste vara ett objekt (a Reference must be an object)", where);
  const Value* reference = Member(ref, "reference");
  if (reference != nullptr && !reference->IsString())
    return Structure("reference måste vara en sträng (reference must be a string)", where + ".reference");
  const std::string text =
      reference == nullptr ? "" : std::string(reference->GetString(), reference->GetStringLength());
  if (text.empty()) {
    if (required) return Required("reference", where + ".reference");
    return Ok();
  }
  if (!ParseReference(text, type, id))
    return BadValue("reference måste vara Typ/id (reference must be Type/id)", where + ".reference");
  if (target != nullptr && *target != '\0' && type != target) {
    return BadValue("reference måste peka på " + std::string(target) + " (reference must point at " + target + ")",
                    where + ".reference");
  }
  return Ok();
}

// A required or optional single Reference member, indexed under each of `params`.
Status IndexReferenceMember(const Value& r, const char* name, const std::string& where, const char* target,
                            bool required, std::initializer_list<const char*> params, IndexEntries& index) {
  const Value* ref = Member(r, name);
  if (ref == nullptr) {
    if (required) return Required(name, where);
    return Ok();
  }
  std::string type, id;
  if (auto s = CheckReference(*ref, where, target, required, type, id); !s) return s;
  if (!id.empty()) {
    for (const char* param : params) index.references.push_back({param, type, id});
  }
  return Ok();
}

// A CodeableConcept object: coding[] of objects with string system/code; each coding indexed as a token.
Status IndexConcept(const Value& concept_value, const std::string& where, const char* param, IndexEntries& index) {
  if (!concept_value.IsObject())
    return Structure("ett CodeableConcept måste vara ett objekt (a CodeableConcept must be an object)", where);
  const Value* codings = Member(concept_value, "coding");
  if (codings == nullptr) return Ok();
  if (!codings->IsArray()) return Structure("coding måste vara en lista (coding must be an array)", where + ".coding");
  for (const auto& coding : codings->GetArray()) {
    if (!coding.IsObject())
      return Structure("coding får bara innehålla objekt (coding must hold objects)", where + ".coding");
    for (const char* field : {"system", "code"}) {
      const Value* v = Member(coding, field);
      if (v != nullptr && !v->IsString())
        return Structure(std::string(field) + " måste vara en sträng (" + field + " must be a string)",
                         where + ".coding");
    }
    const std::string code = StringMember(coding, "code");
    if (param != nullptr && !code.empty()) index.tokens.push_back({param, StringMember(coding, "system"), code});
  }
  return Ok();
}

// An array of CodeableConcepts, each indexed.
Status IndexConceptArray(const Value& concepts, const std::string& where, const char* param, IndexEntries& index) {
  if (!concepts.IsArray())
    return Structure("måste vara en lista av CodeableConcept (must be an array of CodeableConcepts)", where);
  for (rapidjson::SizeType i = 0; i < concepts.Size(); ++i) {
    if (auto s = IndexConcept(concepts[i], where + "[" + std::to_string(i) + "]", param, index); !s) return s;
  }
  return Ok();
}

// A FHIR date (YYYY-MM-DD) or dateTime with time and zone, as the instant it begins (RFC 3339 UTC).
Result<std::string> InstantOf(const Value& v, const std::string& where) {
  if (!v.IsString())
    return Structure("måste vara en sträng med date eller dateTime (must be a date or dateTime string)", where);
  const std::string text(v.GetString(), v.GetStringLength());
  auto day = Date::Parse(text);
  if (!day) return BadValue(day.error().text, where);
  auto range = ParseDateRange(text);
  if (!range) return BadValue("inget giltigt date eller dateTime (not a valid date or dateTime)", where);
  return range->start;
}

// period {start, end}: start required when `start_required`; end exclusive, not before start.
// Indexed under `param` as [start, end) with "" for an open end.
Status IndexPeriod(const Value& r, const std::string& type, bool start_required, const char* param,
                   IndexEntries& index) {
  const std::string where = type + ".period";
  const Value* period = Member(r, "period");
  if (period == nullptr) {
    if (start_required) return Required("period.start", where + ".start");
    return Ok();
  }
  if (!period->IsObject()) return Structure("period måste vara ett objekt (period must be an object)", where);
  IndexEntries::PeriodRange range{param, "", ""};
  if (const Value* start = Member(*period, "start")) {
    auto instant = InstantOf(*start, where + ".start");
    if (!instant) return instant.error();
    range.start = *instant;
  } else if (start_required) {
    return Required("period.start", where + ".start");
  }
  if (const Value* end = Member(*period, "end")) {
    auto instant = InstantOf(*end, where + ".end");
    if (!instant) return instant.error();
    range.end = *instant;
  }
  if (!range.start.empty() && !range.end.empty() && range.end < range.start) {
    return BadValue("period.end får inte vara före period.start (period.end is before period.start)", where + ".end");
  }
  if (!range.start.empty() || !range.end.empty()) index.periods.push_back(std::move(range));
  return Ok();
}

// EpisodeOfCare

Status CheckEpisodeOfCare(const Value& r, IndexEntries& index) {
  const std::string t = "EpisodeOfCare";
  std::string status;
  if (auto s =
          CheckCode(r, "status", t + ".status",
                    {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}, status);
      !s) {
    return s;
  }
  index.tokens.push_back({"status", nr::kEpisodeStatusSystem, status});
  const Value* type = Member(r, "type");
  if (type == nullptr) return Required("type", t + ".type");
  if (auto s = IndexConceptArray(*type, t + ".type", "type", index); !s) return s;
  const EpisodeKind kind = KindOfEpisode(r);
  if (kind == EpisodeKind::other) {
    return BadValue("type måste vara listning, saebo eller hemsjukvard (" + std::string(nr::kEpisodeType) +
                        "); registret håller bara dessa (this registry keeps only listning, saebo and hemsjukvard "
                        "episodes)",
                    t + ".type");
  }
  // The SIP date (docs/api.md section 11) belongs to home health care: once, on a hemsjukvard episode.
  const auto sips = FindExtensions(r, nr::kSipExt);
  const std::string sip_where = t + ".extension('" + std::string(nr::kSipExt) + "')";
  if (!sips.empty() && kind != EpisodeKind::hemsjukvard) {
    return BadValue("SIP-datum anges bara på en hemsjukvårdsepisod (type hemsjukvard) (the sip extension belongs on "
                    "a hemsjukvard episode)",
                    sip_where);
  }
  if (sips.size() > 1) return BadValue("SIP-datum får anges en gång (the sip extension may be given only once)", sip_where);
  for (const Value* ext : sips) {
    const Value* value = Member(*ext, "valueDate");
    if (value == nullptr) return Required("valueDate", sip_where + ".valueDate");
    if (!value->IsString() || value->GetStringLength() != 10 || !Date::Parse(value->GetString())) {
      return BadValue("SIP-datumet måste vara ett datum ÅÅÅÅ-MM-DD (the SIP date must be YYYY-MM-DD)",
                      sip_where + ".valueDate");
    }
  }
  if (auto s = IndexReferenceMember(r, "patient", t + ".patient", "Patient", true, {"patient"}, index); !s) return s;
  if (auto s = IndexReferenceMember(r, "managingOrganization", t + ".managingOrganization", "Organization", true,
                                    {"organization"}, index);
      !s) {
    return s;
  }
  return IndexPeriod(r, t, true, "date", index);
}

// CareTeam

// begin-reason / end-reason: valueCoding (with a code) or valueString, once each.
Status CheckReasonExtensions(const Value& r, const std::string& t) {
  for (const char* url : {nr::kBeginReasonExt, nr::kEndReasonExt}) {
    const auto found = FindExtensions(r, url);
    const std::string where = t + ".extension('" + url + "')";
    if (found.size() > 1)
      return BadValue("tillägget får anges högst en gång (the extension may be given only once)", where);
    for (const Value* ext : found) {
      const Value* coding = Member(*ext, "valueCoding");
      const Value* text = Member(*ext, "valueString");
      if ((coding == nullptr) == (text == nullptr)) {
        return BadValue(
            "orsaken anges som valueCoding eller valueString (the reason is a valueCoding or a valueString)", where);
      }
      if (text != nullptr && (!text->IsString() || text->GetStringLength() == 0)) {
        return BadValue("valueString måste vara en icke-tom sträng (valueString must be a non-empty string)",
                        where + ".valueString");
      }
      if (coding != nullptr && (!coding->IsObject() || StringMember(*coding, "code").empty())) {
        return BadValue("valueCoding saknar code (valueCoding needs a code)", where + ".valueCoding");
      }
    }
  }
  return Ok();
}

Status CheckCareTeam(const Value& r, IndexEntries& index) {
  const std::string t = "CareTeam";
  std::string status;
  if (auto s = CheckCode(r, "status", t + ".status",
                         {"proposed", "active", "suspended", "inactive", "entered-in-error"}, status);
      !s) {
    return s;
  }
  index.tokens.push_back({"status", nr::kCareTeamStatusSystem, status});

  const Value* category = Member(r, "category");
  if (category == nullptr) return Required("category", t + ".category");
  if (auto s = IndexConceptArray(*category, t + ".category", "category", index); !s) return s;
  if (!IsFixedContactCareTeam(r)) {
    return BadValue("category måste vara fast-kontakt (" + std::string(nr::kIneraCareTeamCategory) +
                        "); registret håller bara fasta kontakter (this registry keeps only fixed contacts)",
                    t + ".category");
  }

  if (auto s = IndexReferenceMember(r, "subject", t + ".subject", "Patient", true, {"patient", "subject"}, index); !s) {
    return s;
  }

  const Value* participants = Member(r, "participant");
  if (participants == nullptr) return Required("participant", t + ".participant");
  if (!participants->IsArray())
    return Structure("participant måste vara en lista (participant must be an array)", t + ".participant");
  if (participants->Empty()) return Required("participant[0]", t + ".participant");
  for (rapidjson::SizeType i = 0; i < participants->Size(); ++i) {
    const Value& participant = (*participants)[i];
    const std::string where = t + ".participant[" + std::to_string(i) + "]";
    if (!participant.IsObject())
      return Structure("participant får bara innehålla objekt (participant must hold objects)", where);
    // participant[0] is the fixed contact itself (Inera's CareTeam guide); others are kept as sent.
    const bool first = i == 0;
    if (auto s = IndexReferenceMember(participant, "member", where + ".member", first ? "PractitionerRole" : nullptr,
                                      first, {"participant", "member"}, index);
        !s) {
      return s;
    }
    const Value* role = Member(participant, "role");
    if (role == nullptr) {
      if (first) return Required("participant[0].role", where + ".role");
      continue;
    }
    if (auto s = IndexConceptArray(*role, where + ".role", "role", index); !s) return s;
    if (first) {
      const std::string code = CodeOf(*role, nr::kContactRole);
      if (code != "1" && code != "2" && code != "3" && code != "4") {
        return BadValue("participant[0].role måste vara typ av fast kontakt 1–4 (" + std::string(nr::kContactRole) +
                            ") (the role must be a contact type 1-4)",
                        where + ".role");
      }
    }
  }

  if (const Value* orgs = Member(r, "managingOrganization")) {
    if (!orgs->IsArray())
      return Structure(
          "managingOrganization måste vara en lista av Reference "
          "(managingOrganization must be an array of References)",
          t + ".managingOrganization");
    for (rapidjson::SizeType i = 0; i < orgs->Size(); ++i) {
      std::string type, id;
      const std::string where = t + ".managingOrganization[" + std::to_string(i) + "]";
      if (auto s = CheckReference((*orgs)[i], where, "Organization", false, type, id); !s) return s;
      if (!id.empty()) {
        index.references.push_back({"organization", type, id});
        index.references.push_back({"managing-organization", type, id});
      }
    }
  }
  if (auto s = CheckReasonExtensions(r, t); !s) return s;
  return IndexPeriod(r, t, true, "date", index);
}

// DocumentReference

Status CheckDocumentReference(const Value& r, IndexEntries& index) {
  const std::string t = "DocumentReference";
  std::string status;
  if (auto s = CheckCode(r, "status", t + ".status", {"current", "superseded", "entered-in-error"}, status); !s) {
    return s;
  }
  index.tokens.push_back({"status", nr::kDocumentStatusSystem, status});

  const Value* type = Member(r, "type");
  if (type == nullptr) return Required("type", t + ".type");
  if (auto s = IndexConcept(*type, t + ".type", "type", index); !s) return s;
  const std::string kind = CodeOf(*type, nr::kDocumentType);
  if (kind != "patientkontrakt" && kind != "sip") {
    return BadValue("type måste vara patientkontrakt eller sip (" + std::string(nr::kDocumentType) +
                        ") (this registry keeps only patient contracts and SIPs)",
                    t + ".type");
  }

  // masterIdentifier: the journal's document id; a patient contract is found by it.
  if (const Value* master = Member(r, "masterIdentifier")) {
    const std::string where = t + ".masterIdentifier";
    if (!master->IsObject())
      return Structure(
          "masterIdentifier måste vara ett Identifier-objekt (masterIdentifier must be an Identifier object)", where);
    for (const char* field : {"system", "value"}) {
      const Value* v = Member(*master, field);
      if (v != nullptr && !v->IsString())
        return Structure(std::string(field) + " måste vara en sträng (" + field + " must be a string)", where);
    }
    const std::string value = StringMember(*master, "value");
    if (value.empty()) return Required("masterIdentifier.value", where + ".value");
    index.tokens.push_back({"identifier", StringMember(*master, "system"), value});
  } else if (kind == "patientkontrakt") {
    return Required("masterIdentifier", t + ".masterIdentifier");
  }

  if (auto s = IndexReferenceMember(r, "subject", t + ".subject", "Patient", true, {"patient", "subject"}, index); !s) {
    return s;
  }
  if (auto s = IndexReferenceMember(r, "custodian", t + ".custodian", "Organization", false, {"custodian"}, index);
      !s) {
    return s;
  }
  if (const Value* authors = Member(r, "author")) {
    if (!authors->IsArray())
      return Structure("author måste vara en lista av Reference (author must be an array of References)",
                       t + ".author");
    for (rapidjson::SizeType i = 0; i < authors->Size(); ++i) {
      std::string type_name, id;
      if (auto s =
              CheckReference((*authors)[i], t + ".author[" + std::to_string(i) + "]", nullptr, false, type_name, id);
          !s) {
        return s;
      }
    }
  }

  // date (instant): a point in time, indexed as the millisecond it names; a bare date as its day.
  if (const Value* date = Member(r, "date")) {
    auto start = InstantOf(*date, t + ".date");
    if (!start) return start.error();
    const std::string text(date->GetString(), date->GetStringLength());
    auto range = ParseDateRange(text.size() == 10 ? text : *start);
    if (!range) return BadValue("ingen giltig tidpunkt (not a valid instant)", t + ".date");
    index.periods.push_back({"date", range->start, range->end});
  }

  const Value* content = Member(r, "content");
  if (content == nullptr) return Required("content", t + ".content");
  if (!content->IsArray()) return Structure("content måste vara en lista (content must be an array)", t + ".content");
  if (content->Empty()) return Required("content[0]", t + ".content");
  for (rapidjson::SizeType i = 0; i < content->Size(); ++i) {
    const std::string where = t + ".content[" + std::to_string(i) + "].attachment";
    const Value& item = (*content)[i];
    if (!item.IsObject())
      return Structure("content får bara innehålla objekt (content must hold objects)", t + ".content");
    const Value* attachment = Member(item, "attachment");
    if (attachment == nullptr) return Required("content.attachment", where);
    if (!attachment->IsObject())
      return Structure("attachment måste vara ett objekt (attachment must be an object)", where);
    const Value* url = Member(*attachment, "url");
    if (url != nullptr && !url->IsString())
      return Structure("url måste vara en sträng (url must be a string)", where + ".url");
    // The registry keeps a link to the document in the journal (or NPÖ), never the document.
    if (i == 0 && (url == nullptr || url->GetStringLength() == 0))
      return Required("content[0].attachment.url", where + ".url");
  }

  if (const Value* context = Member(r, "context")) {
    if (!context->IsObject())
      return Structure("context måste vara ett objekt (context must be an object)", t + ".context");
    if (const Value* related = Member(*context, "related")) {
      if (!related->IsArray())
        return Structure(
            "context.related måste vara en lista av Reference "
            "(context.related must be an array of References)",
            t + ".context.related");
      for (rapidjson::SizeType i = 0; i < related->Size(); ++i) {
        std::string type_name, id;
        if (auto s = CheckReference((*related)[i], t + ".context.related[" + std::to_string(i) + "]", nullptr, false,
                                    type_name, id);
            !s) {
          return s;
        }
        if (!id.empty()) index.references.push_back({"related", type_name, id});
      }
    }
  }

  for (const Value* ext : FindExtensions(r, nr::kAgreedTimeExt)) {
    const std::string where = t + ".extension('" + std::string(nr::kAgreedTimeExt) + "').valueDateTime";
    const Value* value = Member(*ext, "valueDateTime");
    if (value == nullptr) return Required("valueDateTime", where);
    NARA_RETURN_IF_ERROR(InstantOf(*value, where));
  }
  return Ok();
}

// Task (docs/api.md section 9): a place in a full doctor's waiting list. The registry writes these;
// the checks keep what a client sends back (a withdrawal) to the same shape.
Status CheckTask(const Value& r, IndexEntries& index) {
  const std::string t = "Task";
  std::string status;
  if (auto s = CheckCode(r, "status", t + ".status", {"requested", "completed", "cancelled"}, status); !s) return s;
  index.tokens.push_back({"status", nr::kTaskStatusSystem, status});
  std::string intent;
  if (auto s = CheckCode(r, "intent", t + ".intent", {"order", "proposal", "plan"}, intent); !s) return s;
  const Value* code = Member(r, "code");
  if (code == nullptr) return Required("code", t + ".code");
  if (auto s = IndexConcept(*code, t + ".code", "code", index); !s) return s;
  if (!HasCoding(*code, nr::kTaskCode, nr::kFastLakarkontaktKo)) {
    return BadValue("code måste vara fast-lakarkontakt-ko (" + std::string(nr::kTaskCode) +
                        "); registret håller bara köplatser (this registry keeps only waiting-list places)",
                    t + ".code");
  }
  if (auto s = IndexReferenceMember(r, "for", t + ".for", "Patient", true, {"patient", "subject"}, index); !s) return s;
  if (auto s = IndexReferenceMember(r, "focus", t + ".focus", "PractitionerRole", true, {"focus"}, index); !s) return s;
  if (auto s = IndexReferenceMember(r, "owner", t + ".owner", "Organization", false, {"owner"}, index); !s) return s;
  const Value* authored = Member(r, "authoredOn");
  if (authored == nullptr) return Required("authoredOn", t + ".authoredOn");
  auto start = InstantOf(*authored, t + ".authoredOn");
  if (!start) return start.error();
  // The place in line: the millisecond it names (as DocumentReference.date), sorted by its start.
  auto range = ParseDateRange(*start);
  if (!range) return BadValue("ingen giltig tidpunkt (not a valid instant)", t + ".authoredOn");
  index.periods.push_back({"authored-on", range->start, range->end});
  return Ok();
}

// Encounter (docs/api.md section 11): a visit the journal reports, with no diagnosis and no reason.

Status CheckEncounter(const Value& r, IndexEntries& index) {
  const std::string t = "Encounter";
  // The registry learns that a visit happened, never why: clinical content stays in the journal
  // (Patientdatalagen: only what the purpose needs).
  for (const char* clinical : {"reasonCode", "reasonReference", "diagnosis", "hospitalization"}) {
    if (Member(r, clinical) != nullptr) {
      return BadValue(std::string("Registret tar inte emot diagnos eller kontaktorsak: ta bort ") + clinical +
                          " (the registry keeps no diagnosis or reason for a visit; leave out " + clinical + ")",
                      t + "." + clinical);
    }
  }
  std::string status;
  if (auto s = CheckCode(r, "status", t + ".status",
                         {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                          "entered-in-error", "unknown"},
                         status);
      !s) {
    return s;
  }
  index.tokens.push_back({"status", nr::kEncounterStatusSystem, status});

  // identifier: the journal system and its contact id, which makes a repeated delivery a no-op.
  const Value* identifiers = Member(r, "identifier");
  if (identifiers == nullptr || !identifiers->IsArray() || identifiers->Empty()) {
    return Required("identifier", t + ".identifier");
  }
  const Value& first = (*identifiers)[0];
  if (StringMember(first, "system").empty()) return Required("identifier.system", t + ".identifier[0].system");
  index.unique.push_back({"", StringMember(first, "system"), StringMember(first, "value")});

  const Value* visit_class = Member(r, "class");
  if (visit_class == nullptr) return Required("class", t + ".class");
  if (!visit_class->IsObject())
    return Structure("class måste vara ett Coding-objekt (class must be a Coding object)", t + ".class");
  const std::string class_system = StringMember(*visit_class, "system");
  const std::string class_code = StringMember(*visit_class, "code");
  if ((!class_system.empty() && class_system != nr::kActCodeSystem) || !VisitClassFromName(class_code)) {
    return BadValue("class måste vara AMB, VR eller HH (" + std::string(nr::kActCodeSystem) +
                        ") (class must be AMB, VR or HH)",
                    t + ".class");
  }
  index.tokens.push_back({"class", nr::kActCodeSystem, class_code});

  if (auto s = IndexReferenceMember(r, "subject", t + ".subject", "Patient", true, {"patient", "subject"}, index); !s) {
    return s;
  }
  if (auto s = IndexReferenceMember(r, "serviceProvider", t + ".serviceProvider", "Organization", true,
                                    {"service-provider"}, index);
      !s) {
    return s;
  }
  if (const Value* participants = Member(r, "participant")) {
    if (!participants->IsArray())
      return Structure("participant måste vara en lista (participant must be an array)", t + ".participant");
    int primary = 0;
    for (rapidjson::SizeType i = 0; i < participants->Size(); ++i) {
      const std::string where = t + ".participant[" + std::to_string(i) + "]";
      const Value& p = (*participants)[i];
      if (!p.IsObject())
        return Structure("participant får bara innehålla objekt (participant must hold objects)", where);
      if (const Value* type = Member(p, "type")) {
        if (auto s = IndexConceptArray(*type, where + ".type", nullptr, index); !s) return s;
        if (HasCoding(*type, nr::kParticipationTypeSystem, "PPRF")) ++primary;
      }
      if (auto s = IndexReferenceMember(p, "individual", where + ".individual", "PractitionerRole", false,
                                        {"participant"}, index);
          !s) {
        return s;
      }
    }
    if (primary > 1) {
      return BadValue("högst en deltagare kan vara primär utförare (PPRF) (at most one participant is the primary "
                      "performer)",
                      t + ".participant");
    }
  }
  return IndexPeriod(r, t, true, "date", index);
}

// registry extensions on base types

// fte: 0 < x ≤ 1 (docs/api.md §3); list-capacity: an integer ≥ 0. Each at most once.
Status CheckRoleExtensions(const Value& r) {
  const std::string t = "PractitionerRole";
  const auto fte = FindExtensions(r, nr::kFteExt);
  const std::string fte_where = t + ".extension('" + std::string(nr::kFteExt) + "')";
  if (fte.size() > 1) return BadValue("fte får anges högst en gång (fte may be given only once)", fte_where);
  for (const Value* ext : fte) {
    const Value* v = Member(*ext, "valueDecimal");
    if (v == nullptr) return Required("valueDecimal", fte_where + ".valueDecimal");
    if (!v->IsNumber() || !(v->GetDouble() > 0.0 && v->GetDouble() <= 1.0)) {
      return BadValue("fte (tjänstgöringsgrad) måste vara ett tal större än 0 och högst 1 (fte must be in (0, 1])",
                      fte_where + ".valueDecimal");
    }
  }
  const auto capacity = FindExtensions(r, nr::kListCapacityExt);
  const std::string capacity_where = t + ".extension('" + std::string(nr::kListCapacityExt) + "')";
  if (capacity.size() > 1)
    return BadValue("list-capacity får anges högst en gång (list-capacity may be given only once)", capacity_where);
  for (const Value* ext : capacity) {
    const Value* v = Member(*ext, "valueInteger");
    if (v == nullptr) return Required("valueInteger", capacity_where + ".valueInteger");
    if (!v->IsInt() || v->GetInt() < 0) {
      return BadValue("list-capacity måste vara ett heltal, 0 eller mer (list-capacity must be an integer >= 0)",
                      capacity_where + ".valueInteger");
    }
  }
  return Ok();
}

bool IsKommunCode(const std::string& code) {
  if (code.size() != 4) return false;
  for (char ch : code) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

// municipality: valueCoding with a 4-digit kommunkod, once; serves-saebo: valueReference to an
// Organization, any number, indexed so a SÄBO's vårdcentraler can be found (docs/api.md §4 rule 2).
Status CheckOrganizationExtensions(const Value& r, IndexEntries& index) {
  const std::string t = "Organization";
  const auto municipality = FindExtensions(r, nr::kMunicipalityExt);
  const std::string m_where = t + ".extension('" + std::string(nr::kMunicipalityExt) + "').valueCoding";
  if (municipality.size() > 1)
    return BadValue("municipality får anges högst en gång (municipality may be given only once)", m_where);
  for (const Value* ext : municipality) {
    const Value* coding = Member(*ext, "valueCoding");
    if (coding == nullptr) return Required("valueCoding", m_where);
    if (!coding->IsObject())
      return Structure("valueCoding måste vara ett Coding-objekt (valueCoding must be a Coding object)", m_where);
    const std::string system = StringMember(*coding, "system");
    if (!system.empty() && system != nr::kKommun) {
      return BadValue(
          "municipality måste använda " + std::string(nr::kKommun) + " (municipality must use " + nr::kKommun + ")",
          m_where + ".system");
    }
    if (!IsKommunCode(StringMember(*coding, "code"))) {
      return BadValue("kommunkod måste vara fyra siffror (a kommun code is 4 digits, e.g. 0180)", m_where + ".code");
    }
  }
  const auto serves = FindExtensions(r, nr::kServesSaeboExt);
  for (size_t i = 0; i < serves.size(); ++i) {
    const std::string where =
        t + ".extension('" + std::string(nr::kServesSaeboExt) + "')[" + std::to_string(i) + "].valueReference";
    const Value* ref = Member(*serves[i], "valueReference");
    if (ref == nullptr) return Required("valueReference", where);
    std::string type, id;
    if (auto s = CheckReference(*ref, where, "Organization", true, type, id); !s) return s;
    index.references.push_back({"serves-saebo", type, id});
  }
  return Ok();
}

// Patient.generalPractitioner is derived from the listing and the fast läkarkontakt (docs/api.md §3): what
// a client sends is dropped, and the client is told.
void DropGeneralPractitioner(rapidjson::Document& doc, std::vector<Issue>& warnings) {
  auto it = doc.FindMember("generalPractitioner");
  if (it == doc.MemberEnd()) return;
  doc.EraseMember(it);
  Issue issue;
  issue.severity = "warning";
  issue.code = "informational";
  issue.text =
      "generalPractitioner sätts av registret (listning och fast läkarkontakt) och ignorerades "
      "(generalPractitioner is derived by the registry; the value sent was ignored)";
  issue.expression = "Patient.generalPractitioner";
  warnings.push_back(std::move(issue));
}

}  // namespace

Status CheckRegistryResource(rapidjson::Document& doc, const std::string& type, IndexEntries& index,
                             std::vector<Issue>& warnings) {
  if (type == "EpisodeOfCare") return CheckEpisodeOfCare(doc, index);
  if (type == "CareTeam") return CheckCareTeam(doc, index);
  if (type == "DocumentReference") return CheckDocumentReference(doc, index);
  if (type == "Task") return CheckTask(doc, index);
  if (type == "Encounter") return CheckEncounter(doc, index);
  if (type == "PractitionerRole") return CheckRoleExtensions(doc);
  if (type == "Organization") return CheckOrganizationExtensions(doc, index);
  if (type == "Patient") DropGeneralPractitioner(doc, warnings);
  return Ok();
}

}  // namespace nara::fhir
