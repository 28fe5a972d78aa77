// Building registry facts in tests (registry/facts.h) without repeating every field.
#pragma once

#include <optional>
#include <string>

#include "registry/facts.h"

namespace nara::testing {

inline EpisodeFacts MakeEpisode(const std::string& id, const std::string& patient, const std::string& unit, Date start,
                                std::optional<Date> end = std::nullopt,
                                EpisodeStatus status = EpisodeStatus::active) {
  EpisodeFacts e;
  e.id = id;
  e.patient_id = patient;
  e.unit_id = unit;
  e.status = status;
  e.period = Period{start, end};
  return e;
}

}  // namespace nara::testing
