// docs/api.md §4 rules 1, 2 (the change-of-listing part), 6, 7 and 8 for listings at a vårdcentral, and the
// same one-at-a-time shape for SÄBO residency and hemsjukvård episodes.
// Its header is registry/rules.h, shared by the three rule files: the rules read the same facts and return
// the same plans, and a caller (fhir/resources/registry_writes.cpp) wants all of them from one include.
#include "registry/rules.h"

#include <algorithm>
#include <string>
#include <vector>

namespace nara {
namespace {

// Cancelled and entered-in-error episodes never happened: they neither overlap nor count as changes.
bool Happened(const EpisodeFacts& e) {
  return e.status != EpisodeStatus::cancelled && e.status != EpisodeStatus::entered_in_error;
}

std::string Describe(const Period& p) {
  return p.start.ToString() + " – " + (p.end ? p.end->ToString() : std::string("tillsvidare"));
}

// Rule 8: periods must let any past date be answered, so two episodes that happened may not share a
// day. Half-open periods: one ending on the day the next starts does not overlap it (rule 1).
std::optional<Error> CheckNoOverlap(const EpisodeFacts& proposed, const std::vector<EpisodeFacts>& others,
                                    const std::vector<std::string>& replaced_ids, const char* what) {
  for (const EpisodeFacts& other : others) {
    if (other.id == proposed.id || !Happened(other)) continue;
    if (std::find(replaced_ids.begin(), replaced_ids.end(), other.id) != replaced_ids.end()) continue;
    if (!other.period.Overlaps(proposed.period)) continue;
    return Error::BusinessRule(
        rule_codes::kOverlap,
        std::string("Perioden ") + Describe(proposed.period) + " överlappar " + what + " EpisodeOfCare/" +
            other.id + " (" + Describe(other.period) + "). Rätta period.start/period.end så att perioderna "
            "möts utan att överlappa, eller markera den felaktiga som entered-in-error. (The period overlaps "
            "another episode of the patient; correct the dates or mark the wrong one entered-in-error.)");
  }
  return std::nullopt;
}

std::optional<Error> CheckUnit(const EpisodeFacts& proposed, const std::optional<UnitFacts>& unit,
                               UnitType wanted, const char* wrong_type_code, const char* wanted_text) {
  if (!unit) {
    return Error::BusinessRule(
        rule_codes::kUnknownReference,
        "Enheten Organization/" + proposed.unit_id + " finns inte i registret. Kontrollera "
        "managingOrganization eller registrera enheten först. (The managing organization is unknown.)");
  }
  if (unit->type != wanted) {
    const std::string named = unit->name.empty() ? "Organization/" + unit->id
                                                 : unit->name + " (Organization/" + unit->id + ")";
    return Error::BusinessRule(wrong_type_code, named + " är inte " + wanted_text +
                                                    ". Ange rätt enhet i managingOrganization. (" +
                                                    "The managing organization has the wrong type.)");
  }
  return std::nullopt;
}

// docs/api.md §4 rule 6: a deceased patient gets nothing new that starts on or after the date of death.
std::optional<Error> CheckAlive(const PatientFacts& patient, Date start, const char* what) {
  if (patient.deceased && *patient.deceased <= start) {
    return Error::BusinessRule(
        rule_codes::kDeceased, "Patienten avled " + patient.deceased->ToString() + "; " + what + " kan inte börja " +
                                   start.ToString() + ", på eller efter dödsdagen. Kontrollera startdatumet. (The "
                                   "patient is deceased; nothing new can start on or after the date of death.)");
  }
  return std::nullopt;
}

// An update that keeps an active episode at the same unit from the same day (e.g. sets its end) is
// not a new episode: nothing is replaced and no change is counted.
bool IsSameRunningEpisode(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous) {
  return previous && previous->status == EpisodeStatus::active && previous->unit_id == proposed.unit_id &&
         previous->period.start == proposed.period.start;
}

// Shared by listings and residencies. A non-active proposal records history or ends an episode:
// only overlap matters, and only for one that happened (finished). An active one that is not merely
// an edit of the running episode replaces whatever is active on its start date (rule 1, a SÄBO move).
struct EpisodeChange {
  std::vector<const EpisodeFacts*> replaced;
};

Result<EpisodeChange> PlanEpisode(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                  const std::vector<EpisodeFacts>& others, const char* what) {
  EpisodeChange change;
  if (proposed.status != EpisodeStatus::active) {
    if (proposed.status == EpisodeStatus::finished) {
      if (auto overlap = CheckNoOverlap(proposed, others, {}, what)) return *overlap;
    }
    return change;
  }
  // Rules 1 and 8: a running episode is never moved to another unit in place — that would rewrite
  // where the patient was listed (or lived) and slip past the change of listing. A move is a new
  // episode, which finishes this one.
  if (previous && previous->status == EpisodeStatus::active && previous->unit_id != proposed.unit_id) {
    return Error::BusinessRule(
        rule_codes::kUnitChange,
        std::string("Enheten för ") + what + " kan inte ändras på en pågående episod. Registrera en ny "
        "EpisodeOfCare vid den nya enheten; den nuvarande avslutas då automatiskt. (A running episode "
        "cannot be moved to another unit; create a new one and the current one is finished.)");
  }
  if (IsSameRunningEpisode(proposed, previous)) {
    // A longer or reopened period must still not run into the next episode.
    if (auto overlap = CheckNoOverlap(proposed, others, {}, what)) return *overlap;
    return change;
  }
  std::vector<std::string> replaced_ids;
  for (const EpisodeFacts& other : others) {
    if (other.id != proposed.id && other.ActiveOn(proposed.period.start)) {
      change.replaced.push_back(&other);
      replaced_ids.push_back(other.id);
    }
  }
  // What is not replaced must lie entirely before or after the new period: an active episode that
  // starts later, or a finished one the new period reaches back into, is a conflict a clerk resolves.
  if (auto overlap = CheckNoOverlap(proposed, others, replaced_ids, what)) return *overlap;
  return change;
}

// docs/api.md §4 rule 7. A listing is a change when another listing of the patient ended on its start
// date (rule 1 makes old period.end = new period.start) at a different vårdcentral: a new episode at
// the same unit is not a change of vårdcentral. Returns the start dates of the changes, ascending.
std::vector<Date> ChangesIn(const std::vector<EpisodeFacts>& listings, Date from, Date to) {
  std::vector<Date> starts;
  for (const EpisodeFacts& listing : listings) {
    if (!Happened(listing) || listing.period.start < from || listing.period.start > to) continue;
    const bool follows_another = std::any_of(listings.begin(), listings.end(), [&](const EpisodeFacts& before) {
      return before.id != listing.id && Happened(before) && before.period.end == listing.period.start &&
             before.unit_id != listing.unit_id;
    });
    if (follows_another) starts.push_back(listing.period.start);
  }
  std::sort(starts.begin(), starts.end());
  return starts;
}

std::optional<Error> CheckChangeLimit(Date start, const ListingContext& context) {
  const int max = context.max_changes_per_year;
  if (max <= 0) return std::nullopt;  // listing.max-changes-per-year = 0: no limit
  // The twelve months before the new start, both ends included: a change exactly a year earlier counts.
  const std::vector<Date> earlier = ChangesIn(context.listings, start.AddYears(-1), start);
  const int count = static_cast<int>(earlier.size());
  if (count < max) return std::nullopt;
  // The next change is allowed once the (count - max + 1) oldest changes have left the window: from
  // the first day whose window starts after the last of them. Searched rather than computed because
  // AddYears folds Feb 29 onto Feb 28 (a change on 2023-02-28 is still inside the 2024-02-29 window).
  const Date leaving = earlier[static_cast<size_t>(count - max)];
  Date next_allowed = leaving.AddYears(1);
  while (next_allowed.AddYears(-1) <= leaving) next_allowed = next_allowed.AddDays(1);
  return Error::BusinessRule(
      rule_codes::kChangeLimit,
      "Patienten har redan bytt vårdcentral " + std::to_string(count) + " gånger de senaste tolv månaderna (max " +
          std::to_string(max) + "). Ett nytt byte kan börja tidigast " + next_allowed.ToString() +
          "; behåll nuvarande listning till dess. (The patient has already changed vårdcentral " +
          std::to_string(count) + " times in the last twelve months, max " + std::to_string(max) + ".)");
}

}  // namespace

Result<ListingPlan> PlanListing(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                const ListingContext& context) {
  const char* what = "listningen";
  if (proposed.status == EpisodeStatus::active) {
    if (auto e = CheckUnit(proposed, context.unit, UnitType::vardcentral, rule_codes::kNotAVardcentral,
                           "en vårdcentral (type vardcentral)")) {
      return *e;
    }
    if (auto e = CheckAlive(context.patient, proposed.period.start, "en ny listning")) return *e;
  }
  auto change = PlanEpisode(proposed, previous, context.listings, what);
  if (!change.ok()) return change.error();

  // Setting an end on the running listing (IsSameRunningEpisode) deliberately leaves the fast
  // läkarkontakt at that unit alone: a patient leaving without a new listing is the EHR's business
  // to follow up (rule 2 only ties the contact to a *change* of listing).
  ListingPlan plan;
  if (change->replaced.empty()) return plan;

  const Date start = proposed.period.start;
  plan.is_change = true;
  std::vector<std::string> old_units;
  bool changes_vardcentral = false;
  for (const EpisodeFacts* old : change->replaced) {
    plan.finish_listings.emplace_back(old->id, start);  // rule 1: old period.end = new period.start
    if (old->unit_id != proposed.unit_id) {
      old_units.push_back(old->unit_id);
      changes_vardcentral = true;
    }
  }
  if (changes_vardcentral) {
    if (auto e = CheckChangeLimit(start, context)) return *e;
  }

  // Rule 2: the fast läkarkontakt belongs to the listing unit, so leaving that unit ends it. One that
  // was to start later never runs: its end is its start, not a date before it.
  for (const ContactFacts& contact : context.contacts) {
    if (contact.role != ContactRole::fast_lakarkontakt || contact.status != ContactStatus::active) continue;
    if (!contact.ActiveOn(start) && !(contact.period.start > start)) continue;
    if (std::find(old_units.begin(), old_units.end(), contact.managing_unit_id) == old_units.end()) continue;
    plan.end_contacts.emplace_back(contact.id, std::max(start, contact.period.start));
  }
  return plan;
}

namespace {

// SÄBO residency and hemsjukvård: one episode of the kind at a time, registered by the kommun. A new
// active episode finishes the previous one on its start date (a move, a change of hemsjukvård unit) as
// a listing change does; no limit on the number of changes (rule 7 is about listings only).
Result<ListingPlan> PlanOneAtATime(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                   const ResidencyContext& context, UnitType unit_type, const char* wrong_type_code,
                                   const char* unit_text, const char* new_text, const char* what) {
  if (proposed.status == EpisodeStatus::active) {
    if (auto e = CheckUnit(proposed, context.unit, unit_type, wrong_type_code, unit_text)) return *e;
    if (auto e = CheckAlive(context.patient, proposed.period.start, new_text)) return *e;
  }
  auto change = PlanEpisode(proposed, previous, context.residencies, what);
  if (!change.ok()) return change.error();
  ListingPlan plan;
  for (const EpisodeFacts* old : change->replaced) {
    plan.finish_listings.emplace_back(old->id, proposed.period.start);
  }
  plan.is_change = !plan.finish_listings.empty();
  return plan;
}

}  // namespace

Result<ListingPlan> PlanResidency(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                  const ResidencyContext& context) {
  return PlanOneAtATime(proposed, previous, context, UnitType::saebo, rule_codes::kNotASaebo,
                        "ett särskilt boende (type saebo)", "ett nytt SÄBO-boende", "boendet");
}

Result<ListingPlan> PlanHomeCare(const EpisodeFacts& proposed, const std::optional<EpisodeFacts>& previous,
                                 const ResidencyContext& context) {
  return PlanOneAtATime(proposed, previous, context, UnitType::hemsjukvard, rule_codes::kNotAHemsjukvard,
                        "en hemsjukvårdsenhet (type hemsjukvard)", "en ny hemsjukvårdsepisod", "hemsjukvården");
}

}  // namespace nara
