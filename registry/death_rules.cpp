// docs/api.md §4 rule 6: recording a death ends what is running on the date of death.
// Its header is registry/rules.h, shared by the three rule files: the rules read the same facts and return
// the same plans, and a caller (fhir/resources/registry_writes.cpp) wants all of them from one include.
#include "registry/rules.h"

#include <algorithm>

namespace nara {
namespace {

// Still running on or after the date of death: open, or ending later than the death.
bool RunsPast(const Period& period, Date death) { return !period.end || *period.end > death; }

// Ends on the date of death; something that was to start later never ran, so its end is its start
// (an empty period) rather than a date before it.
Date EndFor(const Period& period, Date death) { return std::max(death, period.start); }

}  // namespace

DeathPlan PlanDeath(Date date_of_death, const std::vector<EpisodeFacts>& episodes,
                    const std::vector<ContactFacts>& contacts) {
  DeathPlan plan;
  for (const EpisodeFacts& episode : episodes) {
    if (episode.status == EpisodeStatus::active && RunsPast(episode.period, date_of_death)) {
      plan.finish_episodes.emplace_back(episode.id, EndFor(episode.period, date_of_death));
    }
  }
  for (const ContactFacts& contact : contacts) {
    if (contact.status == ContactStatus::active && RunsPast(contact.period, date_of_death)) {
      plan.end_contacts.emplace_back(contact.id, EndFor(contact.period, date_of_death));
    }
  }
  return plan;
}

}  // namespace nara
