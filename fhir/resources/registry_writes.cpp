#include "fhir/resources/registry_writes.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "fhir/resources/encounter_resource.h"
#include "fhir/resources/registry_mapping.h"
#include "fhir/resources/resource_mapper.h"
#include "fhir/resources/resource_types.h"
#include "fhir/resources/task_resource.h"
#include "registry/identifier_system.h"
#include "registry/ids.h"
#include "registry/rules.h"
#include "registry/waitlist.h"

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

// An episode's row, by its kind.
void PutEpisodeFacts(RegistryTransaction& reg, EpisodeKind kind, const EpisodeFacts& facts) {
  if (kind == EpisodeKind::saebo) reg.PutResidency(facts);
  else if (kind == EpisodeKind::hemsjukvard) reg.PutHomeCare(facts);
  else reg.PutListing(facts);
}

// Re-renders an episode after `change` and keeps its row in step.
template <typename Change>
Status RewriteEpisode(ResourceTransaction& tx, const std::string& id, Change change) {
  auto doc = Rewrite(tx, "EpisodeOfCare", id, change);
  if (!doc) return doc.error();
  auto facts = EpisodeFromResource(*doc, id);
  if (!facts) return facts.error();
  PutEpisodeFacts(tx.Registry(), KindOfEpisode(*doc), *facts);
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
  // Every resource the plan rewrites is the locked patient's: read them all in one round trip.
  std::vector<std::pair<std::string, std::string>> rewritten;
  for (const auto& [id, end] : plan.finish_listings) rewritten.emplace_back("EpisodeOfCare", id);
  for (const auto& [id, end] : plan.end_contacts) rewritten.emplace_back("CareTeam", id);
  tx.ReadAhead(rewritten);
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

Status CheckContactFacts(ResourceTransaction& tx, const RegistryOptions& options, const std::string& id,
                         const Result<ContactFacts>& facts, std::vector<Issue>& warnings) {
  if (!facts) return facts.error();
  auto& reg = tx.Registry();
  auto patient = reg.LockPatient(facts->patient_id);
  if (!patient) return UnknownPatient(facts->patient_id);
  ContactContext context;
  context.patient = *patient;
  context.today = Date::Today();
  context.listings = reg.Listings(facts->patient_id);
  context.residencies = reg.Residencies(facts->patient_id);
  context.contacts = Without(reg.Contacts(facts->patient_id), id);
  context.capacity_warn_only = options.capacity_warn_only;
  const auto previous = reg.Contact(id);  // read with the patient's rows just above
  // The doctor's role row is locked when the contact takes a place there: concurrent assignments to
  // the last places queue here (rule 3). An edit of a place already held (its end, say) takes none,
  // and the place it may free is PromoteWaiting's, under the freers' lighter lock.
  context.role = facts->role == ContactRole::fast_lakarkontakt && TakesNewPlace(*facts, previous)
                     ? reg.LockRole(facts->practitioner_role_id)
                     : reg.Role(facts->practitioner_role_id);
  if (context.role) {
    context.role_unit = reg.Unit(context.role->unit_id);
    context.listed_on_role = reg.CountDoctorContacts(context.role->id, context.today);
    for (auto& [role, listed] : reg.DoctorLoadsAtUnit(context.role->unit_id, context.today)) {
      if (role.id != context.role->id) context.colleagues.push_back(RoleLoad{role, listed});
    }
  }
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

// Writes a resource the registry composed itself (a queue Task, a promoted CareTeam) as version 1.
Result<WriteOutcome> CreateComposed(ResourceTransaction& tx, const std::string& type, const std::string& id,
                                    const rapidjson::Document& doc) {
  auto prepared = PrepareResource(ToJson(doc), *FindType(type), std::nullopt);  // a create: the id is `id`
  if (!prepared) return prepared.error();
  WriteRequest write;
  write.type = type;
  write.id = id;
  write.must_not_exist = true;
  write.index = prepared->index;
  const rapidjson::Document& content = prepared->doc;
  write.render = [&content, &type](const VersionInfo& info) { return RenderVersion(content, type, info); };
  return tx.Write(write);
}

// docs/api.md section 9: a place in line for a patient (locked) at a full doctor's role (locked).
Result<WriteOutcome> Enqueue(ResourceTransaction& tx, const ContactFacts& request) {
  auto& reg = tx.Registry();
  if (auto limit = CheckQueueLimit(reg.WaitingOfPatient(request.patient_id)); !limit) return limit.error();
  const auto role = reg.Role(request.practitioner_role_id);
  QueueEntry entry;
  entry.task_id = NewResourceId();
  entry.patient_id = request.patient_id;
  entry.role_id = request.practitioner_role_id;
  // Taken under the role lock, so the order of authoredOn is the order the queue was joined in.
  entry.authored_on = NowRfc3339();
  const rapidjson::Document task =
      NewQueueTask(entry.patient_id, entry.role_id, role ? role->unit_id : "", entry.authored_on);
  auto written = CreateComposed(tx, "Task", entry.task_id, task);
  if (!written) return written.error();
  reg.PutQueueEntry(entry);
  return written;
}

// Re-renders a queue Task after `change` and keeps its row in step.
template <typename Change>
Status RewriteTask(ResourceTransaction& tx, const std::string& task_id, Change change) {
  auto doc = Rewrite(tx, "Task", task_id, change);
  if (!doc) return doc.error();
  auto entry = QueueEntryFromTask(*doc, task_id);
  if (!entry) return entry.error();
  tx.Registry().PutQueueEntry(*entry);
  return Ok();
}

Status CancelQueueEntry(ResourceTransaction& tx, const std::string& task_id, const char* reason,
                        const std::string& text) {
  const std::string now = NowRfc3339();
  return RewriteTask(tx, task_id, [&](rapidjson::Document& d) { CancelQueueTask(d, reason, text, now); });
}

// Cancels the patient's requested entries that `keep` does not accept, with the reason given.
template <typename Keep>
Status CancelPatientEntries(ResourceTransaction& tx, const std::string& patient_id, const char* reason,
                            const std::string& text, Keep keep) {
  for (const QueueEntry& entry : tx.Registry().WaitingOfPatient(patient_id)) {
    if (keep(entry)) continue;
    if (auto s = CancelQueueEntry(tx, entry.task_id, reason, text); !s) return s;
  }
  return Ok();
}

// docs/api.md section 9: while the role has a free place, the oldest requested entry becomes a fast
// läkarkontakt in this same transaction. When nobody waits for the role (most places freed) there is
// nothing to promote, and LockRoleToFree's weaker lock lets transactions freeing places on one doctor
// commit side by side instead of one after the other (issue 15), while still keeping anyone who would
// queue from counting the list before this transaction commits. When somebody waits, the role row is
// locked FOR UPDATE, so two transactions freeing places on one doctor promote one after the other and
// never the same entry twice; the count is the one rule 3 uses (future-dated contacts included), so
// a promotion never overruns the list. An entry whose patient no longer qualifies (rules 2 and 6) is
// cancelled with the rule's text and the next one is tried.
Status PromoteWaiting(ResourceTransaction& tx, const RegistryOptions& options, const std::string& role_id) {
  if (role_id.empty()) return Ok();
  auto& reg = tx.Registry();
  if (!reg.LockRoleToFree(role_id)) return Ok();
  const auto role = reg.LockRole(role_id);
  if (!role) return Ok();
  if (!role->active) {
    for (const QueueEntry& entry : reg.Waiting(role_id, 10000)) {
      if (auto s = CancelQueueEntry(tx, entry.task_id, queue_reasons::kRoleInactive,
                                    "Läkarens roll är inte längre aktiv. (The doctor's role is no longer active.)");
          !s) {
        return s;
      }
    }
    return Ok();
  }
  const Date today = Date::Today();
  while (reg.CountDoctorContacts(role_id, today) < role->capacity) {
    const auto next = reg.Waiting(role_id, 1);
    if (next.empty()) break;
    const QueueEntry& entry = next.front();
    if (!reg.LockPatient(entry.patient_id)) {
      if (auto s = CancelQueueEntry(tx, entry.task_id, queue_reasons::kNoLongerEligible,
                                    "Patienten finns inte längre i registret. (The patient is no longer registered.)");
          !s) {
        return s;
      }
      continue;
    }
    ContactFacts proposed;
    proposed.id = NewResourceId();
    proposed.patient_id = entry.patient_id;
    proposed.role = ContactRole::fast_lakarkontakt;
    proposed.practitioner_role_id = role_id;
    proposed.managing_unit_id = role->unit_id;
    proposed.status = ContactStatus::active;
    proposed.period.start = PromotionStart(today, options.waitlist_effective);
    proposed.begin_reason = queue_reasons::kFromQueue;
    std::vector<Issue> ignored;
    if (auto allowed = CheckContactFacts(tx, options, proposed.id, proposed, ignored); !allowed) {
      if (auto s = CancelQueueEntry(tx, entry.task_id, queue_reasons::kNoLongerEligible,
                                    "Patienten uppfyller inte längre villkoren för platsen: " + allowed.error().text);
          !s) {
        return s;
      }
      continue;
    }
    const rapidjson::Document team =
        NewPromotedCareTeam(proposed.patient_id, role_id, role->unit_id, proposed.period.start);
    auto written = CreateComposed(tx, "CareTeam", proposed.id, team);
    if (!written) return written.error();
    reg.PutContact(proposed);
    const std::string now = NowRfc3339();
    if (auto s = RewriteTask(tx, entry.task_id,
                             [&](rapidjson::Document& d) { CompleteQueueTask(d, proposed.id, now); });
        !s) {
      return s;
    }
  }
  return Ok();
}

// The doctors' roles of fast läkarkontakter among `careteam_ids` (whose places an ending frees).
std::vector<std::string> DoctorRolesOf(RegistryTransaction& reg, const std::vector<std::string>& careteam_ids) {
  std::vector<std::string> roles;
  for (const auto& id : careteam_ids) {
    auto contact = reg.Contact(id);
    if (contact && contact->role == ContactRole::fast_lakarkontakt &&
        std::find(roles.begin(), roles.end(), contact->practitioner_role_id) == roles.end()) {
      roles.push_back(contact->practitioner_role_id);
    }
  }
  return roles;
}

Status PromoteAll(ResourceTransaction& tx, const RegistryOptions& options, const std::vector<std::string>& roles) {
  for (const auto& role_id : roles) {
    if (auto s = PromoteWaiting(tx, options, role_id); !s) return s;
  }
  return Ok();
}

// A proposed fast läkarkontakt to a doctor with a free place: no need to wait, so the contact is
// registered at once as active (docs/api.md section 9), and the answer says so.
Result<WriteOutcome> CreateProposedNow(ResourceTransaction& tx, const WriteRequest& request,
                                       const rapidjson::Document& doc, std::vector<Issue>& warnings) {
  rapidjson::Document active;
  active.CopyFrom(doc, active.GetAllocator());
  active["status"].SetString("active", active.GetAllocator());
  auto written = CreateComposed(tx, "CareTeam", request.id, active);
  if (!written) return written.error();
  auto facts = ContactFromResource(active, request.id);
  if (!facts) return facts.error();
  tx.Registry().PutContact(*facts);
  Issue info;
  info.severity = "information";
  info.code = "informational";
  info.text = "Läkaren har en ledig plats: den fasta läkarkontakten registrerades direkt (status active) i stället "
              "för att köas. (The doctor has a free place; the contact was registered as active instead of queued.)";
  warnings.push_back(info);
  return written;
}

// A client's write of a queue Task: the only change a client makes is a withdrawal (requested →
// cancelled) of an entry the registry wrote; places in line are taken through CareTeam. True when the
// entry is cancelled already and the write asks for nothing else: a retry, answered with what is stored.
Result<bool> CheckTask(ResourceTransaction& tx, const std::string& id, const rapidjson::Document& doc) {
  auto proposed = QueueEntryFromTask(doc, id);
  if (!proposed) return proposed.error();
  auto& reg = tx.Registry();
  reg.LockPatient(proposed->patient_id);
  const auto stored = reg.QueueEntryOf(id);
  if (!stored) {
    return Error::BusinessRule(
        "use-careteam",
        "En köplats skapas genom att registrera fast läkarkontakt (CareTeam) med Prefer: waitlist=true eller "
        "status proposed. (A place in line is taken by a CareTeam create with Prefer: waitlist=true or status "
        "proposed.)");
  }
  if (stored->patient_id != proposed->patient_id || stored->role_id != proposed->role_id ||
      stored->authored_on != proposed->authored_on) {
    return Error::BusinessRule("queue-change",
                               "for, focus och authoredOn för en köplats kan inte ändras. (The patient, doctor and "
                               "place in line of a waiting-list entry cannot be changed.)");
  }
  if (stored->status == QueueStatus::cancelled && proposed->status == QueueStatus::cancelled) return true;
  if (stored->status != QueueStatus::requested || proposed->status != QueueStatus::cancelled) {
    return Error::BusinessRule("queue-change",
                               "En köplats kan bara återkallas: status requested → cancelled. (A waiting-list entry "
                               "can only be withdrawn, from requested to cancelled.)");
  }
  return false;
}

// new_id: the id was chosen by the server for this create (WriteRequest::must_not_exist), so no
// episode is stored under it and none is looked up (a round trip per create).
Status CheckEpisode(ResourceTransaction& tx, const RegistryOptions& options, const std::string& id, bool new_id,
                    const rapidjson::Document& doc) {
  auto facts = EpisodeFromResource(doc, id);
  if (!facts) return facts.error();
  auto& reg = tx.Registry();
  const auto stored = [&](auto lookup) { return new_id ? std::nullopt : (reg.*lookup)(id); };
  auto patient = reg.LockPatient(facts->patient_id);
  if (!patient) return UnknownPatient(facts->patient_id);
  Result<ListingPlan> plan = ListingPlan{};
  if (KindOfEpisode(doc) == EpisodeKind::saebo) {
    ResidencyContext context{*patient, reg.Unit(facts->unit_id), Without(reg.Residencies(facts->patient_id), id)};
    plan = PlanResidency(*facts, stored(&RegistryTransaction::Residency), context);
  } else if (KindOfEpisode(doc) == EpisodeKind::hemsjukvard) {
    ResidencyContext context{*patient, reg.Unit(facts->unit_id), Without(reg.HomeCare(facts->patient_id), id)};
    plan = PlanHomeCare(*facts, stored(&RegistryTransaction::HomeCareEpisode), context);
  } else {
    ListingContext context{*patient, reg.Unit(facts->unit_id), Without(reg.Listings(facts->patient_id), id),
                           reg.Contacts(facts->patient_id), options.max_changes_per_year};
    plan = PlanListing(*facts, stored(&RegistryTransaction::Listing), context);
  }
  if (!plan) return plan.error();
  std::vector<std::string> ended;
  for (const auto& [careteam_id, end] : plan->end_contacts) ended.push_back(careteam_id);
  const std::vector<std::string> freed_roles = DoctorRolesOf(reg, ended);
  if (auto s = ApplyEpisodePlan(tx, *plan); !s) return s;
  // docs/api.md section 9: a listing at another unit cancels a place in line for a doctor elsewhere.
  if (KindOfEpisode(doc) == EpisodeKind::listning && facts->status == EpisodeStatus::active) {
    auto cancelled = CancelPatientEntries(
        tx, facts->patient_id, queue_reasons::kListedElsewhere,
        "Patienten har listats på en annan vårdcentral. (The patient was listed at another unit.)",
        [&](const QueueEntry& entry) {
          const auto role = reg.Role(entry.role_id);
          return role && role->unit_id == facts->unit_id;
        });
    if (!cancelled) return cancelled;
  }
  return PromoteAll(tx, options, freed_roles);
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

Status CheckPatient(ResourceTransaction& tx, const RegistryOptions& options, const std::string& id,
                    const rapidjson::Document& doc) {
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
    for (auto& home_care : reg.HomeCare(id)) episodes.push_back(home_care);
    const DeathPlan plan = PlanDeath(*facts.deceased, episodes, reg.Contacts(id));
    for (const auto& [episode_id, end] : plan.finish_episodes) {
      if (auto s = FinishEpisodeResource(tx, episode_id, end); !s) return s;
    }
    for (const auto& episode_id : plan.cancel_episodes) {
      if (auto s = CancelEpisodeResource(tx, episode_id); !s) return s;
    }
    std::vector<std::string> ended;
    for (const auto& [careteam_id, end] : plan.end_contacts) {
      if (auto s = EndContactResource(tx, careteam_id, end, kEndReasonDeath); !s) return s;
      ended.push_back(careteam_id);
    }
    // docs/api.md section 9: a death cancels the place in line and frees the doctor's place.
    auto cancelled = CancelPatientEntries(tx, id, queue_reasons::kDeceased,
                                          "Patienten har avlidit. (The patient has died.)",
                                          [](const QueueEntry&) { return false; });
    if (!cancelled) return cancelled;
    if (auto s = PromoteAll(tx, options, DoctorRolesOf(reg, ended)); !s) return s;
  }
  // A move to another kommun (folkbokföring) cancels a place in line: the resident chooses again
  // where they now live, as Norway's queue ends on moving out of the doctor's area.
  if (previous && !previous->kommun.empty() && !facts.kommun.empty() && previous->kommun != facts.kommun) {
    auto cancelled = CancelPatientEntries(tx, id, queue_reasons::kMoved,
                                          "Patienten har flyttat till en annan kommun. (The patient moved to another "
                                          "municipality.)",
                                          [](const QueueEntry&) { return false; });
    if (!cancelled) return cancelled;
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
    PutEpisodeFacts(reg, KindOfEpisode(doc), *facts);
  } else if (type == "CareTeam") {
    auto facts = ContactFromResource(doc, id);
    if (!facts) return facts.error();
    reg.PutContact(*facts);
  } else if (type == "Task") {
    auto entry = QueueEntryFromTask(doc, id);
    if (!entry) return entry.error();
    reg.PutQueueEntry(*entry);
  } else if (type == "Encounter") {
    auto facts = VisitFromEncounter(doc, id);
    if (!facts) return facts.error();
    reg.PutVisit(*facts);
  }
  return Ok();
}

// A withdrawal is stored as the registry's own cancellations are (docs/api.md section 9): statusReason
// aterkallad and lastModified now, whatever the client sent in them, so every cancelled place in line
// says why and when.
Result<WriteOutcome> WithdrawQueueEntry(ResourceTransaction& tx, const WriteRequest& request,
                                        const rapidjson::Document& doc) {
  auto already = CheckTask(tx, request.id, doc);
  if (!already) return already.error();
  if (*already) {
    auto current = tx.Read("Task", request.id);
    if (!current) return current.error();
    return WriteOutcome{std::move(*current), false};
  }
  rapidjson::Document withdrawn;
  withdrawn.CopyFrom(doc, withdrawn.GetAllocator());
  CancelQueueTask(withdrawn, queue_reasons::kWithdrawn,
                  "Köplatsen återkallades av enheten. (The place in line was withdrawn by the unit.)", NowRfc3339());
  WriteRequest write = request;  // statusReason and lastModified are not searched: the index stands
  const std::string& type = request.type;
  write.render = [&withdrawn, &type](const VersionInfo& info) { return RenderVersion(withdrawn, type, info); };
  auto written = tx.Write(write);
  if (!written) return written.error();
  if (auto recorded = Record(tx, "Task", written->resource.id, withdrawn); !recorded) return recorded.error();
  return written;
}

}  // namespace

Result<WriteOutcome> RegistryWrites::Write(ResourceTransaction& tx, const WriteRequest& request,
                                           const rapidjson::Document& doc, std::vector<Issue>& warnings,
                                           bool queue_if_full) const {
  const std::string& type = request.type;
  Status checked = Ok();
  std::optional<ContactFacts> previous_contact;
  if (type == "EpisodeOfCare") {
    checked = CheckEpisode(tx, options_, request.id, request.must_not_exist, doc);
  } else if (type == "CareTeam") {
    auto facts = ContactFromResource(doc, request.id);
    if (!facts) return facts.error();
    // A create's id is new (CheckEpisode): no stored contact to look up.
    if (!request.must_not_exist) previous_contact = tx.Registry().Contact(request.id);
    // docs/api.md section 9: a new fast läkarkontakt that asks to queue (Prefer: waitlist=true, or
    // status proposed) is checked as an active one; a full list then queues instead of refusing.
    const bool proposed = StringMember(doc, "status") == "proposed";
    const bool new_doctor = facts->role == ContactRole::fast_lakarkontakt && !previous_contact;
    if (new_doctor && (proposed || queue_if_full)) {
      ContactFacts asked = *facts;
      asked.status = ContactStatus::active;
      std::vector<Issue> found;
      checked = CheckContactFacts(tx, options_, request.id, asked, found);
      if (!checked && checked.error().detail_code == rule_codes::kListFull) return Enqueue(tx, asked);
      if (!checked) return checked.error();
      if (proposed) return CreateProposedNow(tx, request, doc, warnings);
      warnings.insert(warnings.end(), found.begin(), found.end());
    } else {
      checked = CheckContactFacts(tx, options_, request.id, facts, warnings);
    }
  } else if (type == "Patient") {
    checked = CheckPatient(tx, options_, request.id, doc);
  } else if (type == "DocumentReference" || type == "Encounter") {
    checked = CheckDocument(tx, doc);
  } else if (type == "Task") {
    return WithdrawQueueEntry(tx, request, doc);
  }
  if (!checked) return checked.error();
  auto written = tx.Write(request);
  if (!written) return written.error();
  if (auto recorded = Record(tx, type, written->resource.id, doc); !recorded) return recorded.error();
  // A place that may have freed goes to the first in line (docs/api.md section 9): the doctor of a
  // contact that ended, moved or was withdrawn, or a role whose capacity (or status) changed.
  if (previous_contact && previous_contact->role == ContactRole::fast_lakarkontakt) {
    if (auto s = PromoteWaiting(tx, options_, previous_contact->practitioner_role_id); !s) return s.error();
  }
  if (type == "PractitionerRole") {
    if (auto s = PromoteWaiting(tx, options_, written->resource.id); !s) return s.error();
  }
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
    for (const auto& e : reg.HomeCare(id)) busy |= e.status == EpisodeStatus::active && (!e.period.end || *e.period.end > today);
    for (const auto& c : reg.Contacts(id)) busy |= c.status == ContactStatus::active && (!c.period.end || *c.period.end > today);
    if (busy) {
      return Error::BusinessRule(rule_codes::kActiveRegistrations,
                                 "Patient/" + id + " har en pågående listning, boende eller fast kontakt. Avsluta dem "
                                 "först, eller registrera dödsfall. (End the patient's listing and contacts first.)");
    }
  }
  std::optional<ContactFacts> contact;
  if (type == "CareTeam") contact = tx.Registry().Contact(id);
  auto deleted = tx.Delete(type, id, if_match);
  if (!deleted) return deleted;
  tx.Registry().Remove(type, id);
  // A deleted fast läkarkontakt frees its place for the first in line (docs/api.md section 9).
  if (contact && contact->role == ContactRole::fast_lakarkontakt) {
    if (auto s = PromoteWaiting(tx, options_, contact->practitioner_role_id); !s) return s.error();
  }
  return deleted;
}

}  // namespace nara::fhir
