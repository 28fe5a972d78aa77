#include "registry/facts.h"

#include <cmath>

namespace nara {

// ÖK 2021 (överenskommelse om god och nära vård): 1100 listed per full-time GP; a part-time doctor's
// default list capacity is the same share of it (docs/api.md §3, PractitionerRole list-capacity).
int DefaultListCapacity(double fte) {
  constexpr double kListedPerFullTimeGp = 1100.0;
  return static_cast<int>(std::lround(kListedPerFullTimeGp * fte));
}

namespace {

template <typename E>
struct Named {
  E value;
  const char* name;
};

constexpr Named<UnitType> kUnitTypes[] = {
    {UnitType::region, "region"},
    {UnitType::vardcentral, "vardcentral"},
    {UnitType::kommun, "kommun"},
    {UnitType::saebo, "saebo"},
    {UnitType::hemsjukvard, "hemsjukvard"},
    {UnitType::specialistmottagning, "specialistmottagning"},
    {UnitType::other, "other"},
};

constexpr Named<EpisodeStatus> kEpisodeStatuses[] = {
    {EpisodeStatus::active, "active"},
    {EpisodeStatus::finished, "finished"},
    {EpisodeStatus::cancelled, "cancelled"},
    {EpisodeStatus::entered_in_error, "entered-in-error"},
    {EpisodeStatus::other, "other"},
};

constexpr Named<ContactStatus> kContactStatuses[] = {
    {ContactStatus::active, "active"},
    {ContactStatus::inactive, "inactive"},
    {ContactStatus::entered_in_error, "entered-in-error"},
    {ContactStatus::other, "other"},
};

template <typename E, size_t N>
const char* NameIn(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "other";  // unreachable while each table lists every value (tests/registry/facts_test.cpp)
}

template <typename E, size_t N>
std::optional<E> ValueIn(const Named<E> (&table)[N], std::string_view name) {
  for (const auto& entry : table) {
    if (name == entry.name) return entry.value;
  }
  return std::nullopt;
}

}  // namespace

const char* UnitTypeName(UnitType type) { return NameIn(kUnitTypes, type); }
std::optional<UnitType> UnitTypeFromName(std::string_view name) { return ValueIn(kUnitTypes, name); }
const char* EpisodeStatusName(EpisodeStatus status) { return NameIn(kEpisodeStatuses, status); }
std::optional<EpisodeStatus> EpisodeStatusFromName(std::string_view name) { return ValueIn(kEpisodeStatuses, name); }
const char* ContactStatusName(ContactStatus status) { return NameIn(kContactStatuses, status); }
std::optional<ContactStatus> ContactStatusFromName(std::string_view name) { return ValueIn(kContactStatuses, name); }

}  // namespace nara
