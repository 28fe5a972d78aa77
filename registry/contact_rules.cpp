// docs/api.md §4 rules 2, 3, 4 and 6 for fixed contacts (CareTeam category fast-kontakt).
// Its header is registry/rules.h, shared by the three rule files: the rules read the same facts and return
// the same plans, and a caller (fhir/resources/registry_writes.cpp) wants all of them from one include.
#include "registry/rules.h"

#include <algorithm>
#include <string>
#include <vector>

namespace nara {

bool TakesNewPlace(const ContactFacts& proposed, const std::optional<ContactFacts>& previous) {
  return !previous || previous->status != ContactStatus::active ||
         previous->role != ContactRole::fast_lakarkontakt ||
         previous->practitioner_role_id != proposed.practitioner_role_id;
}

namespace {

constexpr size_t kMaxColleaguesNamed = 5;  // docs/api.md §4 rule 3: "names up to five PractitionerRoles"

// A contact still counts against the proposed one if it runs today or during the proposed period:
// rule 2 and rule 4 allow one at a time, so the current one must be ended before the next begins.
bool StillRunning(const ContactFacts& other, const ContactFacts& proposed, Date today) {
  return other.status == ContactStatus::active &&
         (other.ActiveOn(today) || other.period.Overlaps(proposed.period));
}

// "Anna Berg (PractitionerRole/x)": the name a clerk knows, the reference a machine acts on.
std::string Named(const std::map<std::string, std::string>& names, const char* type, const std::string& id) {
  const std::string reference = std::string(type) + "/" + id;
  const auto it = names.find(id);
  if (it == names.end() || it->second.empty()) return reference;
  return it->second + " (" + reference + ")";
}
std::string Doctor(const ContactContext& c, const std::string& role_id) {
  return Named(c.role_names, "PractitionerRole", role_id);
}
std::string UnitName(const ContactContext& c, const std::string& unit_id) {
  return Named(c.unit_names, "Organization", unit_id);
}

std::string Places(int n) { return std::to_string(n) + (n == 1 ? " ledig plats" : " lediga platser"); }

// Rule 3: who the clerk can offer instead, most free places first (ties by id, so the text is stable).
std::string FreeColleagues(const ContactContext& context, const std::string& full_role_id) {
  const std::vector<RoleLoad>& colleagues = context.colleagues;
  std::vector<const RoleLoad*> free;
  for (const RoleLoad& c : colleagues) {
    if (c.role.id != full_role_id && c.role.active && c.free() > 0) free.push_back(&c);
  }
  std::sort(free.begin(), free.end(), [](const RoleLoad* a, const RoleLoad* b) {
    return a->free() != b->free() ? a->free() > b->free() : a->role.id < b->role.id;
  });
  if (free.size() > kMaxColleaguesNamed) free.resize(kMaxColleaguesNamed);
  std::string text;
  for (const RoleLoad* c : free) {
    if (!text.empty()) text += "; ";
    text += Doctor(context, c->role.id) + ": " + Places(c->free());
  }
  return text;
}

Result<ContactPlan> PlanDoctor(const ContactFacts& proposed, const std::optional<ContactFacts>& previous,
                               const ContactContext& context) {
  const RoleFacts& role = *context.role;
  // Rule 2: a fast läkarkontakt in primärvård is a doctor.
  if (role.profession != "lakare") {
    return Error::BusinessRule(
        rule_codes::kNotADoctor,
        Doctor(context, role.id) + " har inte yrket läkare (lakare). En fast läkarkontakt måste vara "
        "läkare; välj en läkares roll eller registrera en fast vårdkontakt i stället. (The role is not a "
        "doctor's.)");
  }
  // Rule 2: the fast läkarkontakt is managed by the doctor's own vårdcentral. Keeping the two the
  // same is what lets a change of listing find and end the contact at the old unit.
  if (proposed.managing_unit_id != role.unit_id) {
    return Error::BusinessRule(
        rule_codes::kWrongUnit,
        "managingOrganization för en fast läkarkontakt ska vara läkarens enhet, " + UnitName(context, role.unit_id) +
            ". (The managing organization of a fast läkarkontakt is the doctor's own unit.)");
  }
  // Rule 2: one fast läkarkontakt per patient.
  for (const ContactFacts& other : context.contacts) {
    if (other.id == proposed.id || other.role != ContactRole::fast_lakarkontakt) continue;
    if (!StillRunning(other, proposed, context.today)) continue;
    return Error::BusinessRule(
        rule_codes::kAlreadyHasDoctor,
        "Patienten har redan en fast läkarkontakt (CareTeam/" + other.id + "). Avsluta den först (status "
        "inactive och period.end) och registrera sedan den nya. (The patient already has a fast "
        "läkarkontakt; end the current one first.)");
  }
  // Rule 2: the doctor works where the patient is listed, or, for a SÄBO resident, at a vårdcentral
  // serving that SÄBO.
  const Date start = proposed.period.start;
  const EpisodeFacts* listing = nullptr;
  for (const EpisodeFacts& l : context.listings) {
    if (l.ActiveOn(start)) listing = &l;
  }
  bool unit_ok = listing && listing->unit_id == role.unit_id;
  if (!unit_ok && context.role_unit) {
    const auto& served = context.role_unit->serves_saebo;
    for (const EpisodeFacts& r : context.residencies) {
      if (r.ActiveOn(start) && std::find(served.begin(), served.end(), r.unit_id) != served.end()) unit_ok = true;
    }
  }
  if (!unit_ok) {
    const std::string where =
        listing ? "är listad på " + UnitName(context, listing->unit_id)
                : "är inte listad på någon vårdcentral " + start.ToString();
    return Error::BusinessRule(
        rule_codes::kWrongUnit,
        Doctor(context, role.id) + " hör till " + UnitName(context, role.unit_id) + ", men patienten " + where +
            ". Välj en läkare vid listningsenheten (eller vid en vårdcentral som betjänar patientens SÄBO), "
            "eller lista om patienten först. (The doctor must work at the unit where the patient is listed.)");
  }
  ContactPlan plan;
  // Rule 3: list capacity. The role row is locked by the caller, so listed_on_role is exact.
  if (TakesNewPlace(proposed, previous) && context.listed_on_role >= role.capacity) {
    const std::string full = "Listan för " + Doctor(context, role.id) + " är full (" +
                             std::to_string(context.listed_on_role) + " av " + std::to_string(role.capacity) +
                             " platser).";
    if (context.capacity_warn_only) {
      plan.warnings.push_back(full + " Kontakten registrerades ändå eftersom capacity.mode = warn. (The list "
                                     "is full; accepted because capacity.mode = warn.)");
      return plan;
    }
    const std::string colleagues = FreeColleagues(context, role.id);
    return Error::BusinessRule(
        rule_codes::kListFull,
        full + (colleagues.empty()
                    ? " Ingen annan läkare vid enheten har lediga platser; kontakta verksamhetschefen. (The list "
                      "is full and no other doctor at the unit has free places.)"
                    : " Välj en annan läkare vid enheten: " + colleagues + ". (The list is full; choose one "
                      "of these doctors with free places.)"));
  }
  return plan;
}

Result<ContactPlan> PlanCareContact(const ContactFacts& proposed, const ContactContext& context) {
  const RoleFacts& role = *context.role;
  // Rule 4: any licensed role. The registry knows licensing only through the role's profession code.
  if (role.profession.empty()) {
    return Error::BusinessRule(
        rule_codes::kRoleInactive,
        Doctor(context, role.id) + " saknar yrke (code) och kan inte vara fast vårdkontakt. Ange "
        "yrket på rollen eller välj en legitimerad medarbetares roll. (The role has no licensed profession.)");
  }
  // Rule 4: at most one fast vårdkontakt (roles 1, 3, 4 together) per patient and managing organization.
  for (const ContactFacts& other : context.contacts) {
    if (other.id == proposed.id || other.role == ContactRole::fast_lakarkontakt) continue;
    if (other.managing_unit_id != proposed.managing_unit_id || !StillRunning(other, proposed, context.today)) {
      continue;
    }
    return Error::BusinessRule(
        rule_codes::kContactExists,
        "Patienten har redan en fast vårdkontakt vid " + UnitName(context, proposed.managing_unit_id) + " (CareTeam/" +
            other.id + "). Avsluta den först (status inactive och period.end) eller uppdatera den. (The "
            "patient already has a fast vårdkontakt at this organization; end or update it.)");
  }
  return ContactPlan{};
}

}  // namespace

Result<ContactPlan> PlanContact(const ContactFacts& proposed, const std::optional<ContactFacts>& previous,
                                const ContactContext& context) {
  // Ending a contact (inactive) or withdrawing it (entered-in-error) is always allowed.
  if (proposed.status != ContactStatus::active) return ContactPlan{};

  // Rule 6: nothing new for a deceased patient.
  const PatientFacts& patient = context.patient;
  if (patient.deceased && *patient.deceased <= proposed.period.start) {
    return Error::BusinessRule(
        rule_codes::kDeceased,
        "Patienten avled " + patient.deceased->ToString() + "; en fast kontakt kan inte börja " +
            proposed.period.start.ToString() + ", på eller efter dödsdagen. Kontrollera startdatumet. (The "
            "patient is deceased; no contact can start on or after the date of death.)");
  }
  if (!context.role) {
    return Error::BusinessRule(
        rule_codes::kUnknownReference,
        "PractitionerRole/" + proposed.practitioner_role_id + " finns inte i registret. Kontrollera "
        "participant.member. (The PractitionerRole is unknown.)");
  }
  // Rules 2 and 4: only a role in service can be a fixed contact.
  if (!context.role->active) {
    return Error::BusinessRule(
        rule_codes::kRoleInactive,
        Doctor(context, context.role->id) + " är inte aktiv. Välj en medarbetare som arbetar vid enheten. "
        "(The PractitionerRole is inactive.)");
  }
  if (proposed.role == ContactRole::fast_lakarkontakt) return PlanDoctor(proposed, previous, context);
  return PlanCareContact(proposed, context);
}

}  // namespace nara
