// Text ⇄ enum for every value: each value's name maps back to the value, each name is distinct, and text
// that names no value is refused (the FHIR mapping and the adapter rely on all three).
#include "registry/facts.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace nara {
namespace {

// Every value of E, from the first to `other` (facts.h keeps `other` last).
template <typename E>
std::vector<E> AllValues() {
  std::vector<E> all;
  for (int i = 0; i <= static_cast<int>(E::other); ++i) all.push_back(static_cast<E>(i));
  return all;
}

template <typename E>
void ExpectEveryValueRoundTrips(const char* (*name_of)(E), std::optional<E> (*from_name)(std::string_view)) {
  std::set<std::string> names;
  for (E value : AllValues<E>()) {
    const std::string name = name_of(value);
    SCOPED_TRACE(name);
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << "two values share the name";
    std::optional<E> back = from_name(name);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, value);
    EXPECT_EQ(name_of(*back), name);
  }
  for (std::string_view unknown : {"", "Active", "planned", "suspended", "entered_in_error", "okänd", "other "}) {
    EXPECT_FALSE(from_name(unknown).has_value()) << unknown;
  }
}

TEST(FactsNames, EveryUnitTypeRoundTrips) { ExpectEveryValueRoundTrips<UnitType>(UnitTypeName, UnitTypeFromName); }

TEST(FactsNames, EveryEpisodeStatusRoundTrips) {
  ExpectEveryValueRoundTrips<EpisodeStatus>(EpisodeStatusName, EpisodeStatusFromName);
}

TEST(FactsNames, EveryContactStatusRoundTrips) {
  ExpectEveryValueRoundTrips<ContactStatus>(ContactStatusName, ContactStatusFromName);
}

// The codes are the FHIR ones (EpisodeOfCare.status, CareTeam.status, NR organization-type), not C++ spellings.
TEST(FactsNames, UsesTheFhirCodes) {
  EXPECT_STREQ(EpisodeStatusName(EpisodeStatus::entered_in_error), "entered-in-error");
  EXPECT_STREQ(ContactStatusName(ContactStatus::entered_in_error), "entered-in-error");
  EXPECT_STREQ(UnitTypeName(UnitType::saebo), "saebo");
  EXPECT_EQ(UnitTypeFromName("vardcentral"), UnitType::vardcentral);
}

}  // namespace
}  // namespace nara
