#include "app/tools/synth_plan.h"

#include <algorithm>
#include <cmath>

#include "app/tools/synth_geography.h"
#include "registry/facts.h"

namespace nara::app::synth {

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int Rng::Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
int Rng::Between(int lo, int hi) { return lo + Below(hi - lo + 1); }
bool Rng::Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

uint64_t Mix(uint64_t a, uint64_t b) {
  Rng rng(a * 0xD1342543DE82EF95ULL + b);
  return rng.Next();
}

namespace {

// Residents per unit at national scale (see World).
constexpr double kPeoplePerVardcentral = 8800;
constexpr double kPeoplePerSaebo = 5300;
constexpr double kPeoplePerDoctor = 1630;

// Sweden's population by five-year age band, per mille (SCB 2023, rounded): 0–4 … 95–99.
constexpr int kAgeBands[] = {56, 60, 62, 59, 58, 66, 69, 65, 63, 64, 66, 63, 57, 54, 52, 46, 30, 16, 7, 2};

const char* const kFemale[] = {"Anna", "Eva", "Maria", "Karin", "Kristina", "Lena", "Sara", "Ingrid", "Elsa",
                               "Astrid", "Märta", "Ebba", "Emma", "Linnea", "Maja", "Alice", "Olivia", "Wilma",
                               "Agnes", "Birgitta", "Margareta", "Elisabeth", "Ulla", "Sofia", "Hanna", "Ida"};
const char* const kMale[] = {"Lars", "Mikael", "Anders", "Johan", "Erik", "Per", "Karl", "Nils", "Olof",
                             "Björn", "Gösta", "Åke", "Lucas", "Oscar", "William", "Liam", "Hugo", "Elias",
                             "Alexander", "Jan", "Peter", "Thomas", "Daniel", "Fredrik", "Mohammed", "Ali"};
const char* const kFamily[] = {"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
                               "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
                               "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Lindström",
                               "Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg",
                               "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg",
                               "Henriksson", "Ali", "Mohammed", "Åberg", "Öberg", "Sjöberg"};

template <size_t N>
const char* Pick(Rng& rng, const char* const (&names)[N]) {
  return names[rng.Below(static_cast<int>(N))];
}

int SampleAge(Rng& rng) {
  int total = 0;
  for (int w : kAgeBands) total += w;
  int x = rng.Below(total);
  for (int band = 0; band < 20; ++band) {
    if (x < kAgeBands[band]) return band * 5 + rng.Below(5);
    x -= kAgeBands[band];
  }
  return 99;
}

// Chance of dying within the two years of history, by age (about 94 000 deaths a year in Sweden).
double DeathChance(int age) {
  if (age >= 85) return 0.30;
  if (age >= 75) return 0.09;
  if (age >= 65) return 0.03;
  if (age >= 50) return 0.008;
  return 0.001;
}

// Largest-remainder split of `people` over the kommuner by population: the counts sum exactly.
std::vector<long> SplitPeople(long people) {
  const auto& kommuner = Kommuner();
  double total = 0;
  for (const auto& k : kommuner) total += k.population;
  std::vector<long> counts(kommuner.size());
  std::vector<std::pair<double, size_t>> remainders;
  long assigned = 0;
  for (size_t i = 0; i < kommuner.size(); ++i) {
    const double share = static_cast<double>(people) * kommuner[i].population / total;
    counts[i] = static_cast<long>(std::floor(share));
    assigned += counts[i];
    remainders.emplace_back(share - std::floor(share), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < people; ++i, ++assigned) ++counts[remainders[i % remainders.size()].second];
  return counts;
}

// Part-time is common among GPs; the mix gives a mean FTE of about 0.86.
double PickFte(Rng& rng) {
  static const double kFte[] = {1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.8, 0.75, 0.6, 0.5};
  return kFte[rng.Below(10)];
}

std::string Padded(long n, int width) {
  std::string s = std::to_string(n);
  return s.size() >= static_cast<size_t>(width) ? s : std::string(width - s.size(), '0') + s;
}

Date Uniform(Rng& rng, Date lo, Date hi) { return Date::FromDays(rng.Between(lo.days(), hi.days())); }

}  // namespace

World MakeWorld(uint64_t seed, long people) {
  const auto& kommuner = Kommuner();
  World world;
  const std::vector<long> counts = SplitPeople(people);
  Rng rng(Mix(seed, 0x5EED));
  long first = 0;
  for (size_t k = 0; k < kommuner.size(); ++k) {
    const std::string code = kommuner[k].code;
    const std::string county = code.substr(0, 2);
    KommunUnits units;
    units.people = counts[k];
    units.first_person = first;
    first += counts[k];
    const long vcs = std::max(1L, std::lround(counts[k] / kPeoplePerVardcentral));
    const long saebos = std::max(1L, std::lround(counts[k] / kPeoplePerSaebo));
    for (long v = 0; v < vcs; ++v) {
      const int vc = static_cast<int>(world.vardcentraler.size());
      units.vardcentraler.push_back(vc);
      Unit unit{"vc-" + code + "-" + std::to_string(v + 1), "SE23210000" + county + "-VC" + code + Padded(v + 1, 3),
                std::string(kommuner[k].name) + " vårdcentral " + std::to_string(v + 1), static_cast<int>(k)};
      world.vardcentraler.push_back(unit);
      world.doctors_at.emplace_back();
      const long doctors = std::max(1L, std::lround(counts[k] / static_cast<double>(vcs) / kPeoplePerDoctor));
      for (long d = 0; d < doctors; ++d) {
        StaffRole role;
        role.practitioner_id = unit.id + "-dr-" + std::to_string(d + 1);
        role.role_id = role.practitioner_id + "-role";
        role.hsa_id = "SE23210000" + county + "-L" + code + Padded(v + 1, 3) + Padded(d + 1, 3);
        role.unit_id = unit.id;
        role.profession = "lakare";
        role.fte = PickFte(rng);
        role.capacity = DefaultListCapacity(role.fte);
        world.doctors_at.back().push_back(static_cast<int>(world.staff.size()));
        world.staff.push_back(role);
      }
      StaffRole nurse;
      nurse.practitioner_id = unit.id + "-ssk";
      nurse.role_id = nurse.practitioner_id + "-role";
      nurse.hsa_id = "SE23210000" + county + "-S" + code + Padded(v + 1, 3);
      nurse.unit_id = unit.id;
      nurse.profession = "sjukskoterska";
      world.nurse_at_vc.push_back(static_cast<int>(world.staff.size()));
      world.staff.push_back(nurse);
    }
    for (long s = 0; s < saebos; ++s) {
      const int index = static_cast<int>(world.saebo.size());
      units.saebo.push_back(index);
      Unit unit{"saebo-" + code + "-" + std::to_string(s + 1), "SE212000" + code + "-SB" + Padded(s + 1, 3),
                std::string(kommuner[k].name) + " vård- och omsorgsboende " + std::to_string(s + 1),
                static_cast<int>(k)};
      world.saebo.push_back(unit);
      world.saebo_served_by.push_back(units.vardcentraler[s % units.vardcentraler.size()]);
      StaffRole nurse;
      nurse.practitioner_id = unit.id + "-ssk";
      nurse.role_id = nurse.practitioner_id + "-role";
      nurse.hsa_id = "SE212000" + code + "-SSK" + Padded(s + 1, 3);
      nurse.unit_id = unit.id;
      nurse.profession = "sjukskoterska";
      world.nurse_at_saebo.push_back(static_cast<int>(world.staff.size()));
      world.staff.push_back(nurse);
    }
    // One hemsjukvård unit per kommun, part of the kommun, with a responsible nurse.
    units.hemsjukvard = static_cast<int>(world.hemsjukvard.size());
    Unit home{"hsv-" + code, "SE212000" + code + "-HSV", std::string(kommuner[k].name) + " hemsjukvård",
              static_cast<int>(k)};
    StaffRole home_nurse;
    home_nurse.practitioner_id = home.id + "-ssk";
    home_nurse.role_id = home_nurse.practitioner_id + "-role";
    home_nurse.hsa_id = "SE212000" + code + "-HSSK";
    home_nurse.unit_id = home.id;
    home_nurse.profession = "sjukskoterska";
    world.hemsjukvard.push_back(home);
    world.nurse_at_hemsjukvard.push_back(static_cast<int>(world.staff.size()));
    world.staff.push_back(home_nurse);
    world.kommuner.push_back(std::move(units));
  }
  return world;
}

PersonPlan MakePersonPlan(uint64_t seed, const World& world, long index, int kommun, Date as_of) {
  Rng rng(Mix(seed, static_cast<uint64_t>(index) + 1));
  PersonPlan p;
  p.index = index;
  p.id = "p-" + std::to_string(index + 1);
  p.kommun = kommun;
  p.age = SampleAge(rng);
  p.birth = as_of.AddYears(-p.age).AddDays(-rng.Between(1, 364));
  p.female = rng.Chance(0.5);
  p.given = p.female ? Pick(rng, kFemale) : Pick(rng, kMale);
  p.family = Pick(rng, kFamily);
  p.samordningsnummer = p.age >= 18 && rng.Chance(0.01);
  const Date window = as_of.AddDays(-730);  // two years of history
  const Date end_of_life = as_of;           // exclusive bound for anything that happens
  if (rng.Chance(DeathChance(p.age))) {
    const Date death = Uniform(rng, std::max(window, p.birth.AddDays(1)), as_of.AddDays(-1));
    p.death = death;
  }
  const Date last = p.death ? *p.death : end_of_life;  // nothing starts on or after this day
  const KommunUnits& units = world.kommuner[kommun];
  // SÄBO: about 80 000 residents, nearly all over 80.
  const double saebo_chance = p.age >= 80 ? 0.14 : (p.age >= 65 ? 0.012 : 0.0);
  if (rng.Chance(saebo_chance)) {
    const Date lo = std::max(as_of.AddYears(-4), p.birth.AddYears(65));
    if (lo < last.AddDays(-1)) {
      p.saebo = units.saebo[rng.Below(static_cast<int>(units.saebo.size()))];
      p.saebo_from = Uniform(rng, lo, last.AddDays(-1));
    }
  }
  // Listing: about 95 %; a SÄBO resident is listed at the vårdcentral serving the SÄBO.
  const Date list_lo = std::max(p.birth, as_of.AddYears(-15));
  const Date list_hi = std::min(as_of.AddDays(-30), last.AddDays(-1));
  if ((p.saebo >= 0 || rng.Chance(0.95)) && list_lo < list_hi) {
    p.listed = true;
    p.vc1 = p.saebo >= 0 ? world.saebo_served_by[p.saebo]
                         : units.vardcentraler[rng.Below(static_cast<int>(units.vardcentraler.size()))];
    p.listed_from = Uniform(rng, list_lo, p.saebo >= 0 ? std::min(list_hi, p.saebo_from) : list_hi);
    // Change of listing within the two years: about 8 % (never for SÄBO residents here, whose listing
    // follows the SÄBO). Another vårdcentral of the kommun, or of the region when the kommun has one.
    if (p.saebo < 0 && rng.Chance(0.08)) {
      const Date lo = std::max(window, p.listed_from.AddDays(1));
      const Date hi = last.AddDays(-1);
      int target = -1;
      if (units.vardcentraler.size() > 1) {
        target = units.vardcentraler[rng.Below(static_cast<int>(units.vardcentraler.size()))];
        if (target == p.vc1) target = units.vardcentraler[(std::find(units.vardcentraler.begin(),
                                                                     units.vardcentraler.end(), p.vc1) -
                                                           units.vardcentraler.begin() + 1) %
                                                          units.vardcentraler.size()];
      } else {
        const std::string county = std::string(Kommuner()[kommun].code).substr(0, 2);
        for (int k : {kommun + 1, kommun - 1}) {
          if (k >= 0 && k < static_cast<int>(Kommuner().size()) &&
              std::string(Kommuner()[k].code).substr(0, 2) == county) {
            target = world.kommuner[k].vardcentraler.front();
            break;
          }
        }
      }
      if (target >= 0 && lo < hi) {
        p.vc2 = target;
        p.change = Uniform(rng, lo, hi);
      }
    }
    // ÖK 2021: a fast läkarkontakt for every resident is the goal; the elderly and SÄBO residents first.
    const double doctor_chance = p.saebo >= 0 ? 0.9 : (p.age >= 75 ? 0.8 : 0.63);
    p.wants_doctor = rng.Chance(doctor_chance);
  }
  // Fast vårdkontakt: every SÄBO resident (the SÄBO nurse), and a third of the frail at home
  // (85+, the vårdcentral's nurse).
  if (p.saebo >= 0) {
    p.care_contact = true;
    p.care_from = p.saebo_from;
  } else if (p.listed && p.age >= 85 && rng.Chance(0.33)) {
    const Date lo = std::max(window, p.listed_from);
    const Date hi = last.AddDays(-1);
    p.care_contact = lo < hi;
    p.care_from = p.care_contact ? Uniform(rng, lo, hi) : Date();
  }
  p.contract = p.care_contact && !p.death && rng.Chance(0.5);
  // Hemsjukvård: about 2.5 % of the 65+ living at home (1.5 % of 65–79, 5 % of 80+), from a draw of
  // its own so the rest of the plan is what it was without it. 85 % have a SIP (within a month), 85 %
  // the unit's nurse as fast vårdkontakt: the seed goal is everyone.
  Rng home(Mix(seed ^ 0x45D, static_cast<uint64_t>(index)));
  const double home_chance = p.saebo >= 0 ? 0.0 : p.age >= 80 ? 0.05 : p.age >= 65 ? 0.015 : 0.0;
  if (home.Chance(home_chance)) {
    const Date lo = std::max(window, p.birth.AddYears(65));
    const Date hi = last.AddDays(-1);
    if (lo < hi) {
      p.home_care = true;
      p.home_care_from = Uniform(home, lo, hi);
      if (home.Chance(0.85)) p.home_care_sip = p.home_care_from.AddDays(home.Between(0, 30));
      p.home_care_nurse = home.Chance(0.85);
    }
  }
  return p;
}

}  // namespace nara::app::synth
