#include "fhir/resources/registry_writes.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "fhir/resources/encounter_resource.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "registry/identifier_system.h"
#include "registry/rules.h"

namespace nara::fhir {
namespace {

// Reasons written into end-reason when the registry itself ends a contact (NR/CodeSystem/end-reason).
constexpr const char* kEndReasonListingChange = "byte-av-listning";
constexpr const char* kEndReasonDeath = "avliden";

Error UnknownPatient(const std::string& patient_id) {
  return Error::BusinessRule(rule_codes::kUnknownReference,
                             "Patient/" + patient_id + " finns inte i registret: registrera patienten först. "
                             "(Unknown patient; register the patient first.)");
}

// Re-renders a stored resource after `change` edited its JSON, as a new version.
template <typename Change>
Result<rapidjson::Document> Rewrite(ResourceTransaction& tx, const std::string& type, const std::string& id,
                                    Change change) {
  auto stored = tx.Read(type, id);
  if (!stored) return stored.error();
  rapidjson::Document doc;
  if (auto parsed = ParseJsonObject(stored->json, doc); !parsed) return parsed.error();
  change(doc);
  auto prepared = PrepareResource(ToJson(doc), *FindType(type), id);
  if (!prepared) return prepared.error();
  WriteRequest write;
  write.type = type;
  write.id = id;
  write.if_match = stored->version;  // the patient lock is held: nobody else changes it meanwhile
  write.index = prepared->index;
  const rapidjson::Document& content = prepared->doc;
  write.render = [&content, &type](const VersionInfo& info) { return RenderVersion(content, type, info); };
  auto written = tx.Write(write);
  if (!written) return written.error();
  return std::move(prepared->doc);
}

// Re-renders an episode after `change` and keeps its row in step.
template <typename Change>
Status RewriteEpisode(ResourceTransaction& tx, const std::string& id, Change change) {
  auto doc = Rewrite(tx, "EpisodeOfCare", id, change);
  if (!doc) return doc.error();
  auto facts = EpisodeFromResource(*doc, id);
  if (!facts) return facts.error();
  if (KindOfEpisode(*doc) == EpisodeKind::saebo) tx.Registry().PutResidency(*facts);
  else tx.Registry().PutListing(*facts);
  return Ok();
}

Status FinishEpisodeResource(ResourceTransaction& tx, const std::string& id, Date end) {
  const Date today = Date::Today();
  return RewriteEpisode(tx, id, [&](rapidjson::Document& d) { FinishEpisode(d, end, today); });
}

Status CancelEpisodeResource(ResourceTransaction& tx, const std::string& id) {
  return RewriteEpisode(tx, id, [](rapidjson::Document& d) { CancelEpisode(d); });
}

Status EndContactResource(ResourceTransaction& tx, const std::string& id, Date end, const char* reason) {
  const Date today = Date::Today();
  auto doc = Rewrite(tx, "CareTeam", id, [&](rapidjson::Document& d) { EndContact(d, end, reason, today); });
  if (!doc) return doc.error();
  auto facts = ContactFromResource(*doc, id);
  if (!facts) return facts.error();
  tx.Registry().PutContact(*facts);
  return Ok();
}

Status ApplyEpisodePlan(ResourceTransaction& tx, const ListingPlan& plan) {
  for (const auto& [id, end] : plan.finish_listings) {
    if (auto s = FinishEpisodeResource(tx, id, end); !s) return s;
  }
  for (const auto& [id, end] : plan.end_contacts) {
    if (auto s = EndContactResource(tx, id, end, kEndReasonListingChange); !s) return s;
  }
  return Ok();
}

template <typename Facts>
std::vector<Facts> Without(std::vector<Facts> all, const std::string& id) {
  all.erase(std::remove_if(all.begin(), all.end(), [&](const Facts& f) { return f.id == id; }), all.end());
  return all;
}

Status CheckEpisode(ResourceTransaction& tx, const RegistryOptions& options, const std::string& id,
                    const rapidjson::Document& doc) {
  auto facts = EpisodeFromResource(doc, id);
  if (!facts) return facts.error();
  auto& reg = tx.Registry();
  auto patient = reg.LockPatient(facts->patient_id);
  if (!patient) return UnknownPatient(facts->patient_id);
  Result<ListingPlan> plan = ListingPlan{};
  if (KindOfEpisode(doc) == EpisodeKind::saebo) {
    ResidencyContext context{*patient, reg.Unit(facts->unit_id), Without(reg.Residencies(facts->patient_id), id)};
    plan = PlanResidency(*facts, reg.Residency(id), context);
  } else {
    ListingContext context{*patient, reg.Unit(facts->unit_id), Without(reg.Listings(facts->patient_id), id),
                           reg.Contacts(facts->patient_id), options.max_changes_per_year};
    plan = PlanListing(*facts, reg.Listing(id), context);
  }
  if (!plan) return plan.error();
  return ApplyEpisodePlan(tx, *plan);
}

// "Given Family" of a Practitioner's first name (its text when that is all there is); "" if unknown.
std::string PractitionerName(ResourceTransaction& tx, const std::string& practitioner_id) {
  if (practitioner_id.empty()) return {};
  auto stored = tx.Read("Practitioner", practitioner_id);
  if (!stored) return {};
  rapidjson::Document doc;
  if (!ParseJsonObject(stored->json, doc)) return {};
  const auto names = doc.FindMember("name");
  if (names == doc.MemberEnd() || !names->value.IsArray() || names->value.Empty()) return {};
  const rapidjson::Value& name = names->value[0];
  if (!name.IsObject()) return {};
  std::string text;
  if (const auto given = name.FindMember("given"); given != name.MemberEnd() && given->value.IsArray()) {
    for (const auto& part : given->value.GetArray()) {
      if (part.IsString()) text += (text.empty() ? "" : " ") + std::string(part.GetString());
    }
  }
  const std::string family = StringMember(name, "family");
  if (!family.empty()) text += (text.empty() ? "" : " ") + family;
  return text.empty() ? StringMember(name, "text") : text;
}

// The names a refusal is worded with (ContactContext::role_names, unit_names): looked up only once a
// contact is refused, so an accepted write reads no Practitioner.
void NameTheParties(ResourceTransaction& tx, const ContactFacts& proposed, ContactContext& context) {
  auto& reg = tx.Registry();
  std::vector<const RoleFacts*> roles;
  if (context.role) roles.push_back(&*context.role);
  for (const RoleLoad& colleague : context.colleagues) roles.push_back(&colleague.role);
  std::vector<std::string> units = {proposed.managing_unit_id};
  for (const RoleFacts* role : roles) {
    context.role_names[role->id] = PractitionerName(tx, role->practitioner_id);
    units.push_back(role->unit_id);
  }
  for (const EpisodeFacts& listing : context.listings) units.push_back(listing.unit_id);
  for (const std::string& unit_id : units) {
    if (unit_id.empty() || context.unit_names.count(unit_id)) continue;
    auto unit = reg.Unit(unit_id);
    context.unit_names[unit_id] = unit ? unit->name : "";
  }
}

Status CheckContact(ResourceTransaction& tx, const RegistryOptions& options, const std::string& id,
                    const rapidjson::Document& doc, std::vector<Issue>& warnings) {
  auto facts = ContactFromResource(doc, id);
  if (!facts) return facts.error();
  auto& reg = tx.Registry();
  auto patient = reg.LockPatient(facts->patient_id);
  if (!patient) return UnknownPatient(facts->patient_id);
  ContactContext context;
  context.patient = *patient;
  context.today = Date::Today();
  // The doctor's role row is locked: concurrent assignments to the last places queue here (rule 3).
  context.role = facts->role == ContactRole::fast_lakarkontakt ? reg.LockRole(facts->practitioner_role_id)
                                                               : reg.Role(facts->practitioner_role_id);
  if (context.role) {
    context.role_unit = reg.Unit(context.role->unit_id);
    context.listed_on_role = reg.CountDoctorContacts(context.role->id, context.today);
    for (auto& [role, listed] : reg.DoctorLoadsAtUnit(context.role->unit_id, context.today)) {
      if (role.id != context.role->id) context.colleagues.push_back(RoleLoad{role, listed});
    }
  }
  context.listings = reg.Listings(facts->patient_id);
  context.residencies = reg.Residencies(facts->patient_id);
  context.contacts = Without(reg.Contacts(facts->patient_id), id);
  context.capacity_warn_only = options.capacity_warn_only;
  const auto previous = reg.Contact(id);
  auto plan = PlanContact(*facts, previous, context);
  if ((!plan && plan.error().kind == ErrorKind::business_rule) || (plan && !plan->warnings.empty())) {
    // Worded again with the doctors' and units' names (the same facts, so the same decision).
    NameTheParties(tx, *facts, context);
    plan = PlanContact(*facts, previous, context);
  }
  if (!plan) return plan.error();
  for (const auto& text : plan->warnings) {
    Issue issue;
    issue.severity = "warning";
    issue.code = "business-rule";
    issue.detail_code = rule_codes::kListFull;
    issue.text = text;
    warnings.push_back(issue);
  }
  return Ok();
}

// A resident is known by a national identity (docs/api.md section 2): without one the registry can
// neither find the person again nor tell two apart. The mapper has made the systems canonical.
bool HasPersonIdentifier(const rapidjson::Document& patient) {
  const auto identifiers = patient.FindMember("identifier");
  if (identifiers == patient.MemberEnd() || !identifiers->value.IsArray()) return false;
  for (const auto& identifier : identifiers->value.GetArray()) {
    if (!identifier.IsObject()) continue;
    const std::string system = StringMember(identifier, "system");
    if (system == systems::kPersonnummer || system == systems::kSamordningsnummer ||
        system == systems::kReservnummer) {
      return true;
    }
  }
  return false;
}

Status CheckPatient(ResourceTransaction& tx, const std::string& id, const rapidjson::Document& doc) {
  if (!HasPersonIdentifier(doc)) {
    return Error::Invalid("required",
                          "Patienten saknar personnummer, samordningsnummer eller reservnummer: ange ett av dem i "
                          "identifier. (A resident needs a personnummer, samordningsnummer or reservnummer in "
                          "identifier.)",
                          "Patient.identifier");
  }
  auto& reg = tx.Registry();
  const PatientFacts facts = PatientFactsFromPatient(doc, id);
  const auto previous = reg.LockPatient(id);
  // Rule 6: recording a death ends what is running on that date.
  if (facts.deceased && (!previous || previous->deceased != facts.deceased)) {
    std::vector<EpisodeFacts> episodes = reg.Listings(id);
    for (auto& residency : reg.Residencies(id)) episodes.push_back(residency);
    const DeathPlan plan = PlanDeath(*facts.deceased, episodes, reg.Contacts(id));
    for (const auto& [episode_id, end] : plan.finish_episodes) {
      if (auto s = FinishEpisodeResource(tx, episode_id, end); !s) return s;
    }
    for (const auto& episode_id : plan.cancel_episodes) {
      if (auto s = CancelEpisodeResource(tx, episode_id); !s) return s;
    }
    for (const auto& [careteam_id, end] : plan.end_contacts) {
      if (auto s = EndContactResource(tx, careteam_id, end, kEndReasonDeath); !s) return s;
    }
  }
  return Ok();
}

Status CheckDocument(ResourceTransaction& tx, const rapidjson::Document& doc) {
  std::string type, patient_id;
  const std::string subject = doc.HasMember("subject") ? StringMember(doc["subject"], "reference") : "";
  if (!ParseReference(subject, type, patient_id) || type != "Patient") return Ok();  // validated by the mapper
  if (!tx.Registry().LockPatient(patient_id)) return UnknownPatient(patient_id);
  return Ok();
}

// Keeps the typed tables in step with the version just written.
Status Record(ResourceTransaction& tx, const std::string& type, const std::string& id, const rapidjson::Document& doc) {
  auto& reg = tx.Registry();
  if (type == "Patient") {
    reg.PutPatient(PatientFactsFromPatient(doc, id));
  } else if (type == "Organization") {
    reg.PutUnit(UnitFromOrganization(doc, id));
  } else if (type == "PractitionerRole") {
    reg.PutRole(RoleFromPractitionerRole(doc, id));
  } else if (type == "EpisodeOfCare") {
    auto facts = EpisodeFromResource(doc, id);
    if (!facts) return facts.error();
    if (KindOfEpisode(doc) == EpisodeKind::saebo) reg.PutResidency(*facts);
    else reg.PutListing(*facts);
  } else if (type == "CareTeam") {
    auto facts = ContactFromResource(doc, id);
    if (!facts) return facts.error();
    reg.PutContact(*facts);
  } else if (type == "Encounter") {
    auto facts = VisitFromEncounter(doc, id);
    if (!facts) return facts.error();
    reg.PutVisit(*facts);
  }
  return Ok();
}

}  // namespace

Result<WriteOutcome> RegistryWrites::Write(ResourceTransaction& tx, const WriteRequest& request,
                                           const rapidjson::Document& doc, std::vector<Issue>& warnings) const {
  const std::string& type = request.type;
  Status checked = Ok();
  if (type == "EpisodeOfCare") checked = CheckEpisode(tx, options_, request.id, doc);
  else if (type == "CareTeam") checked = CheckContact(tx, options_, request.id, doc, warnings);
  else if (type == "Patient") checked = CheckPatient(tx, request.id, doc);
  else if (type == "DocumentReference" || type == "Encounter") checked = CheckDocument(tx, doc);
  if (!checked) return checked.error();
  auto written = tx.Write(request);
  if (!written) return written.error();
  if (auto recorded = Record(tx, type, written->resource.id, doc); !recorded) return recorded.error();
  return written;
}

Result<StoredResource> RegistryWrites::Delete(ResourceTransaction& tx, const std::string& type, const std::string& id,
                                              std::optional<int> if_match) const {
  if (type == "Patient") {
    // A registered patient's listing and contacts would go on counting against units and doctors
    // with nobody behind them: end them first (or record the death, which ends them).
    auto& reg = tx.Registry();
    reg.LockPatient(id);
    const Date today = Date::Today();
    bool busy = false;
    for (const auto& e : reg.Listings(id)) busy |= e.status == EpisodeStatus::active && (!e.period.end || *e.period.end > today);
    for (const auto& e : reg.Residencies(id)) busy |= e.status == EpisodeStatus::active && (!e.period.end || *e.period.end > today);
    for (const auto& c : reg.Contacts(id)) busy |= c.status == ContactStatus::active && (!c.period.end || *c.period.end > today);
    if (busy) {
      return Error::BusinessRule(rule_codes::kActiveRegistrations,
                                 "Patient/" + id + " har en pågående listning, boende eller fast kontakt. Avsluta dem "
                                 "först, eller registrera dödsfall. (End the patient's listing and contacts first.)");
    }
  }
  auto deleted = tx.Delete(type, id, if_match);
  if (!deleted) return deleted;
  tx.Registry().Remove(type, id);
  return deleted;
}

}  // namespace nara::fhir
