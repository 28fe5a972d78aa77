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

// The period decides, not the stored status: a listing or contact already given a later end (a
// change of listing dated after the death, an end a clerk set in advance) still runs past the death
// and must be cut back to it. What has no end but is not active never ran.
bool EpisodeRunsPast(const EpisodeFacts& e, Date death) {
  if (e.status == EpisodeStatus::active) return RunsPast(e.period, death);
  return e.status == EpisodeStatus::finished && e.period.end && *e.period.end > death;
}

bool ContactRunsPast(const ContactFacts& c, Date death) {
  if (c.status == ContactStatus::active) return RunsPast(c.period, death);
  return c.status == ContactStatus::inactive && c.period.end && *c.period.end > death;
}

}  // namespace

DeathPlan PlanDeath(Date date_of_death, const std::vector<EpisodeFacts>& episodes,
                    const std::vector<ContactFacts>& contacts) {
  DeathPlan plan;
  for (const EpisodeFacts& episode : episodes) {
    if (!EpisodeRunsPast(episode, date_of_death)) continue;
    // An episode due to start on or after the death never ran: cancelled, not finished.
    if (episode.period.start >= date_of_death) {
      plan.cancel_episodes.push_back(episode.id);
    } else {
      plan.finish_episodes.emplace_back(episode.id, date_of_death);
    }
  }
  for (const ContactFacts& contact : contacts) {
    if (ContactRunsPast(contact, date_of_death)) {
      plan.end_contacts.emplace_back(contact.id, EndFor(contact.period, date_of_death));
    }
  }
  return plan;
}

}  // namespace nara
