// The plan behind `nara synth`: the units of a synthetic Sweden (World) and, for each resident, what
// happens to them (PersonPlan). Everything is a pure function of (seed, people, as_of, index), so the
// generator can make one pass per resource type without keeping the population in memory: a
// resident's plan is recomputed in each pass instead of stored (10.6 M residents, constant memory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "registry/date.h"

namespace nara::app::synth {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and fully specified, so a seed gives the same
// numbers on every platform (std:: distributions are implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  int Below(int n);                 // uniform in [0, n), n > 0
  int Between(int lo, int hi);      // uniform in [lo, hi], lo <= hi
  bool Chance(double p);            // true with probability p

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t a, uint64_t b);

struct Unit {
  std::string id;
  std::string hsa_id;
  std::string name;
  int kommun = 0;  // index into Kommuner()
};

struct StaffRole {
  std::string practitioner_id;
  std::string role_id;
  std::string hsa_id;
  std::string unit_id;
  std::string profession;  // lakare | sjukskoterska
  double fte = 1.0;
  int capacity = 0;        // list-capacity for doctors (round(1100 × fte)); 0 for nurses
};

struct KommunUnits {
  long people = 0;        // residents generated in this kommun
  long first_person = 0;  // global index of its first resident
  std::vector<int> vardcentraler;   // indexes into World::vardcentraler
  std::vector<int> saebo;           // indexes into World::saebo
  int hemsjukvard = -1;             // index into World::hemsjukvard: the kommun's one hemsjukvård unit
};

struct World {
  std::vector<KommunUnits> kommuner;  // parallel to Kommuner()
  std::vector<Unit> vardcentraler;
  std::vector<Unit> saebo;
  std::vector<int> saebo_served_by;          // per SÄBO: the vårdcentral that serves it
  std::vector<std::vector<int>> doctors_at;  // per vårdcentral: indexes into staff
  std::vector<int> nurse_at_vc;              // per vårdcentral: index into staff
  std::vector<int> nurse_at_saebo;           // per SÄBO: index into staff
  std::vector<Unit> hemsjukvard;             // one hemsjukvård unit per kommun
  std::vector<int> nurse_at_hemsjukvard;     // per hemsjukvård unit: index into staff
  std::vector<StaffRole> staff;
};

// Units proportional to the residents of each kommun: a vårdcentral per ~8 800 (about 1 200 for
// Sweden), a SÄBO unit per ~5 300 (about 2 000), at least one of each per kommun, and a doctor per
// ~1 630 residents of the vårdcentral's share (about 6 500) with a mix of part-time FTEs.
World MakeWorld(uint64_t seed, long people);

// What happens to one resident over the two years of history before as_of.
struct PersonPlan {
  long index = 0;
  std::string id;  // Patient id, "p-<index>"
  int kommun = 0;
  Date birth;
  int age = 0;  // on as_of
  bool female = false;
  bool samordningsnummer = false;
  std::string given, family;
  std::optional<Date> death;
  bool listed = false;
  int vc1 = -1;  // first listing (World::vardcentraler index)
  Date listed_from;
  std::optional<Date> change;  // change of listing: vc1 ends, vc2 begins
  int vc2 = -1;
  int saebo = -1;  // SÄBO residency (World::saebo index), -1 = lives at home
  Date saebo_from;
  bool wants_doctor = false;        // a fast läkarkontakt if a doctor at the unit has a free place
  bool care_contact = false;        // a fast vårdkontakt (SÄBO nurse, or the vårdcentral's nurse for the frail)
  Date care_from;
  bool contract = false;            // a Patientkontrakt reference (needs care_contact, alive)
  // Hemsjukvård (docs/api.md section 11): at home, 65+, from home_care_from at the kommun's unit;
  // most with a SIP (dated home_care_sip) and the unit's nurse as fast vårdkontakt.
  bool home_care = false;
  Date home_care_from;
  std::optional<Date> home_care_sip;
  bool home_care_nurse = false;
  int current_vc() const { return change ? vc2 : vc1; }
};

PersonPlan MakePersonPlan(uint64_t seed, const World& world, long index, int kommun, Date as_of);

}  // namespace nara::app::synth
