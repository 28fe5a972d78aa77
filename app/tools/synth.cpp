#include "app/tools/synth.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <unordered_map>

#include "app/log.h"
#include "app/tools/synth_geography.h"
#include "app/tools/synth_plan.h"
#include "registry/code_systems.h"
#include "registry/identifier_system.h"
#include "registry/personnummer.h"

namespace nara::app {
namespace {

using synth::Kommuner;
using synth::PersonPlan;
using synth::World;

std::string Q(const std::string& s) { return "\"" + s + "\""; }  // our own texts: no quotes or controls

std::string Hsa(const std::string& value) {
  return "\"identifier\":[{\"system\":\"" + std::string(systems::kHsaId) + "\",\"value\":" + Q(value) + "}]";
}

std::string Coding(const std::string& system, const std::string& code) {
  return "{\"system\":" + Q(system) + ",\"code\":" + Q(code) + "}";
}

std::string Ref(const std::string& type, const std::string& id) {
  return "{\"reference\":\"" + type + "/" + id + "\"}";
}

std::string MunicipalityExt(int kommun) {
  return "{\"url\":\"" + std::string(nr::kMunicipalityExt) + "\",\"valueCoding\":{\"system\":\"" +
         nr::kKommun + "\",\"code\":" + Q(Kommuner()[kommun].code) + ",\"display\":" +
         Q(Kommuner()[kommun].name) + "}}";
}

std::string Organization(const std::string& id, const std::string& hsa, const std::string& name, const char* type,
                         const std::string& part_of, const std::string& extensions) {
  std::string json = "{\"resourceType\":\"Organization\",\"id\":" + Q(id) + ",\"active\":true," + Hsa(hsa) +
                     ",\"type\":[{\"coding\":[" + Coding(nr::kOrganizationType, type) +
                     "]}],\"name\":" + Q(name);
  if (!part_of.empty()) json += ",\"partOf\":" + Ref("Organization", part_of);
  if (!extensions.empty()) json += ",\"extension\":[" + extensions + "]";
  return json + "}";
}

std::string Period(Date start, const std::optional<Date>& end) {
  std::string json = "\"period\":{\"start\":\"" + start.ToString() + "\"";
  if (end) json += ",\"end\":\"" + end->ToString() + "\"";
  return json + "}";
}

std::string Episode(const std::string& id, const char* kind, const std::string& patient, const std::string& unit,
                    Date start, const std::optional<Date>& end) {
  return "{\"resourceType\":\"EpisodeOfCare\",\"id\":" + Q(id) + ",\"status\":" + Q(end ? "finished" : "active") +
         ",\"type\":[{\"coding\":[" + Coding(nr::kEpisodeType, kind) +
         "]}],\"patient\":" + Ref("Patient", patient) + ",\"managingOrganization\":" + Ref("Organization", unit) +
         "," + Period(start, end) + "}";
}

// role: typ av fast kontakt (urn:oid:1.2.752.129.5.1.69). An ended contact says why (NR end-reason).
std::string Contact(const std::string& id, const std::string& patient, const char* role_code,
                    const std::string& practitioner_role, const std::string& unit, Date start,
                    const std::optional<Date>& end, const char* end_reason) {
  std::string json = "{\"resourceType\":\"CareTeam\",\"id\":" + Q(id) + ",\"status\":" + Q(end ? "inactive" : "active") +
                     ",\"category\":[{\"coding\":[" +
                     Coding(nr::kIneraCareTeamCategory, nr::kFastKontakt) +
                     "]}],\"subject\":" + Ref("Patient", patient) + ",\"participant\":[{\"role\":[{\"coding\":[" +
                     Coding(nr::kContactRole, role_code) + "]}],\"member\":" +
                     Ref("PractitionerRole", practitioner_role) + "}],\"managingOrganization\":[" +
                     Ref("Organization", unit) + "]," + Period(start, end);
  if (end) {
    json += ",\"extension\":[{\"url\":\"" + std::string(nr::kEndReasonExt) + "\",\"valueCoding\":" +
            Coding(nr::kEndReasonSystem, end_reason) + "}]";
  }
  return json + "}";
}

std::string TwoDigits(int n) { return std::string(1, static_cast<char>('0' + n / 10)) + static_cast<char>('0' + n % 10); }

// Unique personnummer without keeping the population: one bit per (birth day, serial, kind) taken.
// A collision takes the next free serial of the same parity (the sex digit), as Skatteverket would.
class PersonIds {
 public:
  PersonIds(Date first_day, Date last_day)
      : first_(first_day), days_(last_day.days() - first_day.days() + 1), taken_(static_cast<size_t>(days_) * 2000) {}

  Result<std::string> Assign(Date birth, bool female, bool samordning, synth::Rng& rng) {
    const size_t day = static_cast<size_t>(birth.days() - first_.days());
    int serial = rng.Between(1, 999);
    if ((serial % 2 == 0) != female) serial = serial == 999 ? 998 : serial + 1;
    for (int tries = 0; tries < 500; ++tries, serial = serial + 2 > 999 ? (female ? 2 : 1) : serial + 2) {
      const size_t bit = (day * 1000 + static_cast<size_t>(serial)) * 2 + (samordning ? 1 : 0);
      if (taken_[bit]) continue;
      taken_[bit] = true;
      const std::string date = birth.ToString();  // YYYY-MM-DD
      const int dd = std::stoi(date.substr(8, 2)) + (samordning ? 60 : 0);
      const std::string nine = date.substr(2, 2) + date.substr(5, 2) + TwoDigits(dd) + TwoDigits(serial / 10) +
                               static_cast<char>('0' + serial % 10);
      return date.substr(0, 2) + nine + static_cast<char>('0' + PersonIdCheckDigit(nine));
    }
    return Error::Invalid("value", "no free personnummer serial for a birth date (population too large)");
  }

 private:
  Date first_;
  int days_;
  std::vector<bool> taken_;
};

class Writer {
 public:
  Writer(const SynthOptions& options, std::ostream& out) : options_(options), out_(out) {}

  Result<SynthStats> Run() {
    world_ = synth::MakeWorld(options_.seed, options_.people);
    Organizations();
    Staff();
    if (auto s = People(); !s) return s.error();
    for (int pass = 0; pass < 4; ++pass) {
      ForEachPerson([&](const PersonPlan& p) {
        if (pass == 0) Episodes(p);
        if (pass == 1) Contacts(p);
        if (pass == 2) Contract(p);
        if (pass == 3) Visits(p);
      });
    }
    out_.flush();
    if (!out_) return Error::Unavailable("could not write the synthetic population (disk full?)");
    return stats_;
  }

 private:
  void Line(const char* type, const std::string& json) {
    out_ << json << '\n';
    ++stats_.resources[type];
  }

  template <typename F>
  void ForEachPerson(F f) {
    for (size_t k = 0; k < world_.kommuner.size(); ++k) {
      const auto& units = world_.kommuner[k];
      for (long i = 0; i < units.people; ++i) {
        f(synth::MakePersonPlan(options_.seed, world_, units.first_person + i, static_cast<int>(k), options_.as_of));
      }
    }
  }

  void Organizations() {
    for (const auto& region : synth::Regions()) {
      Line("Organization", Organization("region-" + region.county, "SE23210000" + region.county + "-1", region.name,
                                        "region", "", ""));
    }
    const auto& kommuner = Kommuner();
    for (size_t k = 0; k < kommuner.size(); ++k) {
      const std::string code = kommuner[k].code;
      Line("Organization", Organization("kommun-" + code, "SE212000" + code + "-1",
                                        std::string(kommuner[k].name) + " kommun", "kommun", "",
                                        MunicipalityExt(static_cast<int>(k))));
    }
    // SÄBO units before the vårdcentraler whose serves-saebo names them.
    for (const auto& unit : world_.saebo) {
      Line("Organization", Organization(unit.id, unit.hsa_id, unit.name, "saebo",
                                        std::string("kommun-") + Kommuner()[unit.kommun].code,
                                        MunicipalityExt(unit.kommun)));
    }
    for (const auto& unit : world_.hemsjukvard) {
      Line("Organization", Organization(unit.id, unit.hsa_id, unit.name, "hemsjukvard",
                                        std::string("kommun-") + Kommuner()[unit.kommun].code,
                                        MunicipalityExt(unit.kommun)));
    }
    std::vector<std::vector<int>> serves(world_.vardcentraler.size());
    for (size_t s = 0; s < world_.saebo.size(); ++s) serves[world_.saebo_served_by[s]].push_back(static_cast<int>(s));
    for (size_t v = 0; v < world_.vardcentraler.size(); ++v) {
      const auto& unit = world_.vardcentraler[v];
      std::string extensions = MunicipalityExt(unit.kommun);
      for (int s : serves[v]) {
        extensions += ",{\"url\":\"" + std::string(nr::kServesSaeboExt) + "\",\"valueReference\":" +
                      Ref("Organization", world_.saebo[s].id) + "}";
      }
      const std::string county = std::string(Kommuner()[unit.kommun].code).substr(0, 2);
      Line("Organization", Organization(unit.id, unit.hsa_id, unit.name, "vardcentral", "region-" + county, extensions));
    }
  }

  void Staff() {
    const std::string profession_system = std::string(nr::kProfession);
    for (size_t i = 0; i < world_.staff.size(); ++i) {
      const auto& s = world_.staff[i];
      // Names come from a resident's plan machinery so staff look like the population.
      const auto plan = synth::MakePersonPlan(options_.seed ^ 0x57AFF, world_, static_cast<long>(i), 0, options_.as_of);
      Line("Practitioner", "{\"resourceType\":\"Practitioner\",\"id\":" + Q(s.practitioner_id) + ",\"active\":true," +
                               Hsa(s.hsa_id) + ",\"name\":[{\"family\":" + Q(plan.family) + ",\"given\":[" +
                               Q(plan.given) + "]}],\"qualification\":[{\"code\":{\"coding\":[" +
                               Coding(profession_system, s.profession) + "]}}]}");
    }
    for (const auto& s : world_.staff) {
      std::string extensions = "{\"url\":\"" + std::string(nr::kFteExt) + "\",\"valueDecimal\":" +
                               FteText(s.fte) + "}";
      if (s.profession == "lakare") {
        extensions += ",{\"url\":\"" + std::string(nr::kListCapacityExt) + "\",\"valueInteger\":" +
                      std::to_string(s.capacity) + "}";
      }
      Line("PractitionerRole", "{\"resourceType\":\"PractitionerRole\",\"id\":" + Q(s.role_id) +
                                   ",\"active\":true,\"practitioner\":" + Ref("Practitioner", s.practitioner_id) +
                                   ",\"organization\":" + Ref("Organization", s.unit_id) + ",\"code\":[{\"coding\":[" +
                                   Coding(profession_system, s.profession) + "]}],\"extension\":[" + extensions + "]}");
    }
  }

  static std::string FteText(double fte) {
    std::string text = std::to_string(fte);  // "0.750000"
    while (text.size() > 3 && text.back() == '0') text.pop_back();
    return text;
  }

  Status People() {
    PersonIds ids(options_.as_of.AddYears(-101), options_.as_of);
    Status status = Ok();
    ForEachPerson([&](const PersonPlan& p) {
      if (!status) return;
      synth::Rng rng(synth::Mix(options_.seed ^ 0x1D, static_cast<uint64_t>(p.index)));
      auto pnr = ids.Assign(p.birth, p.female, p.samordningsnummer, rng);
      if (!pnr) {
        status = pnr.error();
        return;
      }
      std::string json = "{\"resourceType\":\"Patient\",\"id\":" + Q(p.id) + ",\"identifier\":[{\"system\":\"" +
                         (p.samordningsnummer ? systems::kSamordningsnummer : systems::kPersonnummer) +
                         "\",\"value\":\"" + *pnr +
                         "\"}],\"name\":[{\"family\":" + Q(p.family) + ",\"given\":[" + Q(p.given) +
                         "]}],\"gender\":" + Q(p.female ? "female" : "male") + ",\"birthDate\":\"" +
                         p.birth.ToString() + "\",\"address\":[{\"use\":\"home\",\"city\":" +
                         Q(Kommuner()[p.kommun].name) + ",\"extension\":[" + MunicipalityExt(p.kommun) + "]}]";
      if (p.death) json += ",\"deceasedDateTime\":\"" + p.death->ToString() + "\"";
      Line("Patient", json + "}");
      ++stats_.patients;
      if (p.samordningsnummer) ++stats_.samordningsnummer;
      if (p.death) ++stats_.deceased;
    });
    return status;
  }

  void Episodes(const PersonPlan& p) {
    if (p.listed) {
      const std::string vc1 = world_.vardcentraler[p.vc1].id;
      if (p.change) {
        Line("EpisodeOfCare", Episode(p.id + "-l1", "listning", p.id, vc1, p.listed_from, p.change));
        Line("EpisodeOfCare", Episode(p.id + "-l2", "listning", p.id, world_.vardcentraler[p.vc2].id, *p.change, p.death));
        ++stats_.changes;
      } else {
        Line("EpisodeOfCare", Episode(p.id + "-l1", "listning", p.id, vc1, p.listed_from, p.death));
      }
      if (!p.death) ++stats_.listed;
    }
    if (p.saebo >= 0) {
      Line("EpisodeOfCare", Episode(p.id + "-s", "saebo", p.id, world_.saebo[p.saebo].id, p.saebo_from, p.death));
      if (!p.death) ++stats_.saebo_residents;
    }
    if (p.home_care) {
      std::string json = Episode(p.id + "-h", "hemsjukvard", p.id,
                                 world_.hemsjukvard[world_.kommuner[p.kommun].hemsjukvard].id, p.home_care_from,
                                 p.death);
      // The SIP date as it stood on as_of: one dated after a death or after as_of was never made.
      if (p.home_care_sip && *p.home_care_sip < (p.death ? *p.death : options_.as_of)) {
        json.insert(1, "\"extension\":[{\"url\":\"" + std::string(nr::kSipExt) + "\",\"valueDate\":\"" +
                           p.home_care_sip->ToString() + "\"}],");
      }
      Line("EpisodeOfCare", json);
      if (!p.death) ++stats_.home_care;
    }
  }

  // A doctor at the vårdcentral with a free place, starting from a resident-specific one so lists
  // fill evenly; -1 when every list is full (the resident then has no fast läkarkontakt, as in life).
  int DoctorWithFreePlace(int vc, long index) {
    const auto& doctors = world_.doctors_at[vc];
    const size_t start = synth::Mix(options_.seed ^ 0xD0C, static_cast<uint64_t>(index)) % doctors.size();
    for (size_t i = 0; i < doctors.size(); ++i) {
      const int d = doctors[(start + i) % doctors.size()];
      if (placed_[d] < world_.staff[d].capacity) return d;
    }
    return -1;
  }

  int AnyDoctor(int vc, long index) {
    const auto& doctors = world_.doctors_at[vc];
    return doctors[synth::Mix(options_.seed ^ 0xD0D, static_cast<uint64_t>(index)) % doctors.size()];
  }

  int CareUnitVc(const PersonPlan& p) const { return p.change && p.care_from >= *p.change ? p.vc2 : p.vc1; }

  void Contacts(const PersonPlan& p) {
    if (placed_.empty()) placed_.assign(world_.staff.size(), 0);
    if (p.listed && p.wants_doctor) {
      Date start = p.saebo >= 0 ? std::max(p.listed_from, p.saebo_from) : p.listed_from;
      if (p.change) {
        // The fast läkarkontakt at the old unit ended with the change of listing (docs/api.md §4 rule 2).
        const auto& old_doctor = world_.staff[AnyDoctor(p.vc1, p.index)];
        Line("CareTeam", Contact(p.id + "-flk1", p.id, "2", old_doctor.role_id, old_doctor.unit_id, p.listed_from,
                                 p.change, "byte-av-listning"));
        start = *p.change;
      }
      const int vc = p.current_vc();
      const int doctor = p.death ? AnyDoctor(vc, p.index) : DoctorWithFreePlace(vc, p.index);
      if (doctor >= 0) {
        const auto& role = world_.staff[doctor];
        Line("CareTeam", Contact(p.id + "-flk2", p.id, "2", role.role_id, role.unit_id, start, p.death, "avliden"));
        fast_doctor_[p.index] = {doctor, start};
        if (!p.death) {
          ++placed_[doctor];
          ++stats_.with_doctor;
        }
      }
    }
    if (p.care_contact) {
      const int nurse = p.saebo >= 0 ? world_.nurse_at_saebo[p.saebo] : world_.nurse_at_vc[CareUnitVc(p)];
      const auto& role = world_.staff[nurse];
      Line("CareTeam", Contact(p.id + "-fvk", p.id, "1", role.role_id, role.unit_id, p.care_from, p.death, "avliden"));
    }
    // The hemsjukvård unit's nurse (one fast vårdkontakt per managing unit: beside one at the vårdcentral).
    if (p.home_care && p.home_care_nurse) {
      const auto& role = world_.staff[world_.nurse_at_hemsjukvard[world_.kommuner[p.kommun].hemsjukvard]];
      Line("CareTeam", Contact(p.id + "-hfvk", p.id, "1", role.role_id, role.unit_id, p.home_care_from, p.death,
                               "avliden"));
    }
  }

  // A reference to the Patientkontrakt in the journal of the unit holding the fast vårdkontakt.
  void Contract(const PersonPlan& p) {
    if (!p.contract) return;
    const std::string unit = p.saebo >= 0 ? world_.saebo[p.saebo].id : world_.vardcentraler[CareUnitVc(p)].id;
    const std::string id = p.id + "-pk";
    const std::string date = p.care_from.AddDays(7).ToString();
    Line("DocumentReference",
         "{\"resourceType\":\"DocumentReference\",\"id\":" + Q(id) +
             ",\"status\":\"current\",\"masterIdentifier\":{\"system\":\"" + std::string(nr::kDocumentIdSystem) +
             "\",\"value\":\"PK-" +
             p.id + "\"},\"type\":{\"coding\":[" + Coding(nr::kDocumentType, "patientkontrakt") +
             "]},\"subject\":" + Ref("Patient", p.id) + ",\"date\":\"" + date + "T09:00:00+01:00\",\"custodian\":" +
             Ref("Organization", unit) +
             ",\"content\":[{\"attachment\":{\"contentType\":\"text/html\",\"url\":\"https://journal.example.se/npo/"
             "patientkontrakt/" + id + "\"}}],\"context\":{\"related\":[" + Ref("CareTeam", p.id + "-fvk") +
             "]},\"extension\":[{\"url\":\"" + nr::kAgreedTimeExt + "\",\"valueDateTime\":\"" + date +
             "T10:30:00+01:00\"}]}");
  }

  // Visits in primary care (docs/api.md section 11) at the current listing over the two years before
  // as_of (or since the listing began), until death: visits per year by age as in Swedish primary care
  // (more for the old), most with the fast läkarkontakt while there is one, some with colleagues and
  // nurses, a tenth at another vårdcentral; about a fifth digital (VR), home visits (HH) mostly for
  // the 80+. Finished, except a few cancelled.
  void Visits(const PersonPlan& p) {
    if (!p.listed) return;
    synth::Rng rng(synth::Mix(options_.seed ^ 0xE1C, static_cast<uint64_t>(p.index)));
    const int vc = p.current_vc();
    const Date from = std::max(p.change ? *p.change : p.listed_from, options_.as_of.AddDays(-730));
    const Date until = p.death ? std::min(*p.death, options_.as_of) : options_.as_of;
    if (until <= from) return;
    const int days = until.days() - from.days();
    const double per_year = p.age < 18 ? 1.5 : p.age < 65 ? 1.8 : p.age < 80 ? 3.5 : 5.0;
    const int visits = static_cast<int>(per_year * days / 365.0 * rng.Between(50, 150) / 100.0 + 0.5);
    const auto fast = fast_doctor_.find(p.index);
    for (int k = 0; k < visits; ++k) {
      const Date date = from.AddDays(rng.Below(days));
      int unit = vc;
      int staff = -1;
      if (rng.Chance(0.10)) {
        unit = rng.Below(static_cast<int>(world_.vardcentraler.size()));
      } else if (fast != fast_doctor_.end() && date >= fast->second.second && rng.Chance(0.70)) {
        staff = fast->second.first;
      }
      if (staff < 0) {
        staff = rng.Chance(0.25) ? world_.nurse_at_vc[unit]
                                 : AnyDoctor(unit, p.index * 31 + k);
      }
      const auto& role = world_.staff[staff];
      const char* visit_class = p.age >= 80 && rng.Chance(0.25) ? "HH" : rng.Chance(0.2) ? "VR" : "AMB";
      const std::string id = p.id + "-v" + std::to_string(k + 1);
      Line("Encounter",
           "{\"resourceType\":\"Encounter\",\"id\":" + Q(id) +
               ",\"identifier\":[{\"system\":\"https://journal.example.se/kontakt-id\",\"value\":" + Q(id) +
               "}],\"status\":" + Q(rng.Chance(0.03) ? "cancelled" : "finished") + ",\"class\":" +
               Coding(nr::kActCodeSystem, visit_class) + ",\"subject\":" + Ref("Patient", p.id) +
               ",\"participant\":[{\"type\":[{\"coding\":[" + Coding(nr::kParticipationTypeSystem, "PPRF") +
               "]}],\"individual\":" + Ref("PractitionerRole", role.role_id) + "}],\"serviceProvider\":" +
               Ref("Organization", role.unit_id) + ",\"period\":{\"start\":\"" + date.ToString() + "\"}}");
    }
  }

  const SynthOptions& options_;
  std::ostream& out_;
  World world_;
  SynthStats stats_;
  std::vector<int> placed_;  // active fast läkarkontakter per staff index
  std::unordered_map<long, std::pair<int, Date>> fast_doctor_;  // person index → (staff index, from)
};

bool ParseLong(const std::string& text, long& value) {
  if (text.empty() || text.size() > 12) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  value = std::stol(text);
  return true;
}

}  // namespace

Result<SynthOptions> ParseSynthArgs(const std::vector<std::string>& args) {
  const Error usage = Error::Invalid(
      "value", "usage: nara synth --people N [--seed S] [--as-of YYYY-MM-DD] --out FILE.ndjson  (--out - for stdout)");
  SynthOptions options;
  bool have_people = false;
  for (size_t i = 0; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return usage;
    const std::string& flag = args[i];
    const std::string& value = args[i + 1];
    long number = 0;
    if (flag == "--people" && ParseLong(value, number) && number > 0) {
      options.people = number;
      have_people = true;
    } else if (flag == "--seed" && ParseLong(value, number)) {
      options.seed = static_cast<uint64_t>(number);
    } else if (flag == "--as-of") {
      auto date = Date::Parse(value);
      if (!date || value.size() != 10) return usage;
      options.as_of = *date;
    } else if (flag == "--out" && !value.empty()) {
      options.out = value;
    } else {
      return usage;
    }
  }
  if (!have_people || options.out.empty()) return usage;
  return options;
}

Result<SynthStats> WriteSynth(const SynthOptions& options, std::ostream& out) { return Writer(options, out).Run(); }

int Synth(const std::vector<std::string>& args) {
  auto options = ParseSynthArgs(args);
  if (!options) {
    std::cerr << options.error().text << "\n";
    return 64;
  }
  std::ofstream file;
  std::unique_ptr<char[]> buffer(new char[1 << 20]);
  std::ostream* out = &std::cout;
  if (options->out != "-") {
    file.rdbuf()->pubsetbuf(buffer.get(), 1 << 20);
    file.open(options->out, std::ios::binary | std::ios::trunc);
    if (!file) {
      Log("error", "synth.failed", {{"detail", "cannot write " + options->out}});
      return 1;
    }
    out = &file;
  }
  auto stats = WriteSynth(*options, *out);
  if (!stats) {
    Log("error", "synth.failed", {{"detail", stats.error().text}});
    return 1;
  }
  std::string by_type;
  for (const auto& [type, count] : stats->resources) {
    by_type += (by_type.empty() ? "" : " ") + type + "=" + std::to_string(count);
  }
  Log("info", "synth.done",
      {{"people", std::to_string(stats->patients)},
       {"samordningsnummer", std::to_string(stats->samordningsnummer)},
       {"deceased", std::to_string(stats->deceased)},
       {"listed", std::to_string(stats->listed)},
       {"with_fast_lakarkontakt", std::to_string(stats->with_doctor)},
       {"saebo_residents", std::to_string(stats->saebo_residents)},
       {"home_care", std::to_string(stats->home_care)},
       {"changes_of_listing", std::to_string(stats->changes)},
       {"resources", by_type}});
  return 0;
}

}  // namespace nara::app
