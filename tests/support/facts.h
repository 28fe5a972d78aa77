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

// A patient in Stockholm (kommun 0180), no dates.
inline PatientFacts MakePatient(const std::string& id) {
  PatientFacts p;
  p.id = id;
  p.gender = "female";
  p.kommun = "0180";
  return p;
}

}  // namespace nara::testing
