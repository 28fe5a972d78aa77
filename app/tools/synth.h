// `nara synth --people N [--seed S] [--as-of DATE] --out FILE.ndjson`: a deterministic Swedish-like
// population as NDJSON, one resource per line, in dependency order (Organization, Practitioner,
// PractitionerRole, Patient, EpisodeOfCare, CareTeam, DocumentReference) with client-assigned ids, so
// `nara import` (or PUT one by one) resolves every reference. Every line is a resource the API
// accepts and the registry rules allow; two years of history before --as-of (finished listings after
// changes of listing, contacts ended at death) are included.
//
// The same options give a byte-identical file. Memory does not grow with N: units are kept, residents
// are recomputed from (seed, index) in each pass (app/tools/synth_plan.h); only a bitset of taken
// personnummer (~12 MB) and a place counter per doctor are kept.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "registry/date.h"
#include "registry/result.h"

namespace nara::app {

struct SynthOptions {
  long people = 0;
  uint64_t seed = 1;
  Date as_of = *Date::FromCivil(2026, 11, 1);  // the end of the history; fixed so files are reproducible
  std::string out;                             // "-" = stdout
};

struct SynthStats {
  std::map<std::string, long> resources;  // per resource type
  long patients = 0;
  long samordningsnummer = 0;
  long deceased = 0;
  long listed = 0;         // alive and listed on as_of
  long with_doctor = 0;    // alive with an active fast läkarkontakt on as_of
  long saebo_residents = 0;  // alive and living in a SÄBO on as_of
  long home_care = 0;        // alive with hemsjukvård on as_of
  long changes = 0;        // changes of listing in the history
};

Result<SynthOptions> ParseSynthArgs(const std::vector<std::string>& args);

// Writes the population to `out`.
Result<SynthStats> WriteSynth(const SynthOptions& options, std::ostream& out);

// The command: 0 ok, 64 usage, 1 failure (logged). A summary goes to the log (stderr).
int Synth(const std::vector<std::string>& args);

}  // namespace nara::app
