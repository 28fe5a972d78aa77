#include "registry/facts.h"

#include <cmath>

namespace nara {

// ÖK 2021 (överenskommelse om god och nära vård): 1100 listed per full-time GP; a part-time doctor's
// default list capacity is the same share of it (docs/api.md §3, PractitionerRole list-capacity).
int DefaultListCapacity(double fte) {
  constexpr double kListedPerFullTimeGp = 1100.0;
  return static_cast<int>(std::lround(kListedPerFullTimeGp * fte));
}

const char* UnitTypeName(UnitType type) {
  switch (type) {
    case UnitType::region: return "region";
    case UnitType::vardcentral: return "vardcentral";
    case UnitType::kommun: return "kommun";
    case UnitType::saebo: return "saebo";
    case UnitType::hemsjukvard: return "hemsjukvard";
    case UnitType::specialistmottagning: return "specialistmottagning";
    case UnitType::other: return "other";
  }
  return "other";
}

}  // namespace nara
