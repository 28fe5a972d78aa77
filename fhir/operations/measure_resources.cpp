#include "fhir/operations/measure_resources.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <ctime>
#include <map>

#include "fhir/resources/resource_types.h"

namespace nara::fhir {

const char* const kMeasureGoalExtension = "https://fhir.nara-registry.org/StructureDefinition/measure-goal";
const char* const kDoctorFteExtension = "https://fhir.nara-registry.org/StructureDefinition/doctor-fte";
const char* const kRelativeGoalExtension = "https://fhir.nara-registry.org/StructureDefinition/measure-relative-goal";
const char* const kBaselineDateExtension = "https://fhir.nara-registry.org/StructureDefinition/measure-baseline-date";
const char* const kBaselineScoreExtension = "https://fhir.nara-registry.org/StructureDefinition/measure-baseline-score";
const char* const kRelativeChangeExtension =
    "https://fhir.nara-registry.org/StructureDefinition/measure-relative-change";
const char* const kMeasureStratifierSystem = "https://fhir.nara-registry.org/CodeSystem/measure-stratifier";

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kScoringSystem = "http://terminology.hl7.org/CodeSystem/measure-scoring";
constexpr const char* kPopulationSystem = "http://terminology.hl7.org/CodeSystem/measure-population";
constexpr const char* kImprovementSystem = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation";

void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// A finite decimal (JSON has no NaN/Inf; the engine never gives them, but stay valid regardless).
void Decimal(Writer& w, double value) {
  if (std::isfinite(value)) {
    w.Double(value);
  } else {
    w.Int(0);
  }
}

void CodeableConcept(Writer& w, const char* system, const std::string& code, const std::string& text = "") {
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  Str(w, "system", system);
  Str(w, "code", code);
  w.EndObject();
  w.EndArray();
  if (!text.empty()) Str(w, "text", text);
  w.EndObject();
}

void DecimalExtension(Writer& w, const char* url, double value) {
  w.StartObject();
  Str(w, "url", url);
  w.Key("valueDecimal");
  Decimal(w, value);
  w.EndObject();
}

const char* ScoringCode(MeasureKind kind) {
  switch (kind) {
    case MeasureKind::proportion: return "proportion";
    case MeasureKind::ratio: return "ratio";
    case MeasureKind::count: return "cohort";
    case MeasureKind::mean: return "continuous-variable";
  }
  return "proportion";
}

// The population codes of a kind, in report order.
std::vector<std::string> PopulationCodes(MeasureKind kind) {
  if (kind == MeasureKind::count) return {"initial-population"};
  if (kind == MeasureKind::mean) return {"initial-population", "measure-population"};
  return {"initial-population", "denominator", "numerator"};
}

long PopulationCount(MeasureKind kind, const std::string& code, long numerator, long denominator) {
  if (kind == MeasureKind::count) return numerator;
  if (code == "numerator") return numerator;
  return denominator;  // initial-population = denominator: the population is the denominator
}

std::string PopulationDescription(const MeasureDefinition& def, const std::string& code) {
  if (def.kind == MeasureKind::count) return "Aktuella patientkontrakt (current patient contracts)";
  if (def.kind == MeasureKind::mean) {
    return "Listade invånare med minst minVisits räknade besök i fönstret (listed residents with at least "
           "minVisits counted visits in the window)";
  }
  if (def.continuity) {
    return code == "numerator" ? "Läkarbesök hos den fasta läkarkontakten (doctor visits with the fast läkarkontakt)"
                               : "Räknade läkarbesök (counted doctor visits)";
  }
  if (def.kind == MeasureKind::ratio) {
    return code == "numerator" ? "Listningar på vårdcentral (listings in force)"
                               : "Aktiva läkarroller (active läkare PractitionerRoles)";
  }
  if (def.home_care) {
    return code == "numerator" ? (def.id == kMeasureHemsjukvardSip ? "Med SIP daterad senast periodEnd (with a SIP "
                                                                     "dated on or before periodEnd)"
                                                                   : "Med fast vårdkontakt vid hemsjukvårdsenheten "
                                                                     "(with a fast vårdkontakt at the unit)")
                               : "Invånare i hemsjukvård (residents in home health care on periodEnd)";
  }
  return code == "numerator" ? "I täljaren (in the numerator)" : "Invånare i populationen (residents in scope)";
}

// The name a CQL library would give the population (the CQF convention: "Initial Population").
std::string CqlPopulationName(const std::string& code) {
  if (code == "initial-population") return "Initial Population";
  if (code == "denominator") return "Denominator";
  if (code == "numerator") return "Numerator";
  if (code == "measure-population") return "Measure Population";
  return code;
}

// Measure criteria: the registry computes them in code (registry/measures.h), not from an expression
// a client could run, so the criterion is named the way R4 Measures name their CQL definitions
// (language text/cql, expression the definition's name: the R4 value set has no text/cql-identifier,
// that came in R5) and the prose goes in the description (text/plain is no expression language).
void Criteria(Writer& w, const std::string& identifier, const std::string& prose) {
  w.Key("criteria");
  w.StartObject();
  Str(w, "description", prose);
  Str(w, "language", "text/cql");
  Str(w, "expression", identifier);
  w.EndObject();
}

void Populations(Writer& w, MeasureKind kind, long numerator, long denominator) {
  w.Key("population");
  w.StartArray();
  for (const auto& code : PopulationCodes(kind)) {
    w.StartObject();
    w.Key("code");
    CodeableConcept(w, kPopulationSystem, code);
    w.Key("count");
    w.Int64(PopulationCount(kind, code, numerator, denominator));
    w.EndObject();
  }
  w.EndArray();
}

void MeasureScore(Writer& w, const std::optional<double>& score) {
  if (!score) return;
  w.Key("measureScore");
  w.StartObject();
  w.Key("value");
  Decimal(w, *score);
  w.EndObject();
}

std::optional<double> StratumScore(MeasureKind kind, long numerator, long denominator) {
  if (kind == MeasureKind::count) return static_cast<double>(numerator);
  if (kind == MeasureKind::proportion && denominator > 0) {
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
  return std::nullopt;
}

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string MeasureCanonical(const std::string& measure_id) {
  return std::string(kNrBase) + "/Measure/" + measure_id;
}

std::string MeasureJson(const MeasureDefinition& def, const std::string& canonical_base) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Str(w, "resourceType", "Measure");
  Str(w, "id", def.id);
  if (def.goal || def.relative_goal) {
    w.Key("extension");
    w.StartArray();
    if (def.goal) DecimalExtension(w, kMeasureGoalExtension, *def.goal);
    if (def.relative_goal) DecimalExtension(w, kRelativeGoalExtension, *def.relative_goal);
    w.EndArray();
  }
  Str(w, "url", canonical_base + "/Measure/" + def.id);
  Str(w, "title", def.title);
  Str(w, "status", "active");
  w.Key("experimental");
  w.Bool(false);
  Str(w, "publisher", "Nära Registry");
  Str(w, "description", def.description);
  w.Key("scoring");
  CodeableConcept(w, kScoringSystem, ScoringCode(def.kind));
  if (def.kind == MeasureKind::proportion || def.kind == MeasureKind::mean) {
    w.Key("improvementNotation");
    CodeableConcept(w, kImprovementSystem, "increase");
  }
  if (def.goal) {
    const bool proportion = def.kind == MeasureKind::proportion;
    const long shown = std::lround(proportion ? *def.goal * 100 : *def.goal);
    Str(w, "guidance", std::string("Mål (goal): ") + std::to_string(shown) +
                           (proportion ? " %" : " listade per läkare-FTE (listed per doctor FTE)"));
  } else if (def.relative_goal) {
    Str(w, "guidance", "Mål (goal): +" + std::to_string(std::lround(*def.relative_goal * 100)) +
                           " % mot baslinjen (against the baseline; evaluate with baseline=YYYY-MM-DD)");
  }
  w.Key("group");
  w.StartArray();
  w.StartObject();
  w.Key("population");
  w.StartArray();
  for (const auto& code : PopulationCodes(def.kind)) {
    w.StartObject();
    w.Key("code");
    CodeableConcept(w, kPopulationSystem, code);
    Str(w, "description", PopulationDescription(def, code));
    Criteria(w, CqlPopulationName(code), def.description);
    w.EndObject();
  }
  w.EndArray();
  std::vector<std::string> stratifiers = def.stratifiers;
  if (def.id == kMeasureListningPerLakare) stratifiers.push_back(kStratListSize);
  if (!stratifiers.empty()) {  // FHIR JSON has no empty arrays
    w.Key("stratifier");
    w.StartArray();
    for (const auto& code : stratifiers) {
      w.StartObject();
      w.Key("code");
      CodeableConcept(w, kMeasureStratifierSystem, code, code);
      Criteria(w, code, "Stratifiering efter " + code + " (stratified by " + code + ")");
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string MeasureReportJson(const MeasureResult& result, const MeasureDefinition& def, const std::string& generated) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  const std::optional<double> goal = result.goal ? result.goal : def.goal;
  w.StartObject();
  Str(w, "resourceType", "MeasureReport");
  if (goal || result.relative_goal || result.baseline_date) {
    w.Key("extension");
    w.StartArray();
    if (goal) DecimalExtension(w, kMeasureGoalExtension, *goal);
    if (result.relative_goal) DecimalExtension(w, kRelativeGoalExtension, *result.relative_goal);
    if (result.baseline_date) {
      w.StartObject();
      Str(w, "url", kBaselineDateExtension);
      Str(w, "valueDate", result.baseline_date->ToString());
      w.EndObject();
    }
    if (result.baseline_score) DecimalExtension(w, kBaselineScoreExtension, *result.baseline_score);
    if (result.relative_change) DecimalExtension(w, kRelativeChangeExtension, *result.relative_change);
    w.EndArray();
  }
  Str(w, "status", "complete");
  Str(w, "type", "summary");
  Str(w, "measure", MeasureCanonical(def.id));
  if (!result.subject.empty()) {
    w.Key("subject");
    w.StartObject();
    Str(w, "reference", "Organization/" + result.subject);
    w.EndObject();
  }
  Str(w, "date", generated.empty() ? NowUtc() : generated);
  w.Key("period");
  w.StartObject();
  Str(w, "start", result.period_end.ToString());
  Str(w, "end", result.period_end.ToString());
  w.EndObject();
  w.Key("group");
  w.StartArray();
  w.StartObject();
  Populations(w, def.kind, result.numerator, result.denominator);
  MeasureScore(w, result.score);

  // Per-unit FTE figures of listning-per-lakare, by unit id.
  std::map<std::string, const UnitListedPerFte*> units;
  if (result.list_sizes) {
    for (const auto& unit : result.list_sizes->units) units[unit.unit_id] = &unit;
  }
  std::vector<std::string> stratifiers = def.stratifiers;
  for (const auto& stratum : result.strata) {
    bool known = false;
    for (const auto& s : stratifiers) known = known || s == stratum.stratifier;
    if (!known) stratifiers.push_back(stratum.stratifier);
  }
  // FHIR JSON has no empty arrays: a stratifier without strata has its code only, and a report
  // without stratifiers no `stratifier`.
  const bool any_stratifier = !stratifiers.empty() || result.list_sizes;
  if (any_stratifier) {
    w.Key("stratifier");
    w.StartArray();
  }
  for (const auto& code : stratifiers) {
    w.StartObject();
    w.Key("code");
    w.StartArray();
    CodeableConcept(w, kMeasureStratifierSystem, code, code);
    w.EndArray();
    bool any_stratum = false;
    for (const auto& stratum : result.strata) {
      if (stratum.stratifier != code) continue;
      if (!any_stratum) {
        w.Key("stratum");
        w.StartArray();
        any_stratum = true;
      }
      w.StartObject();
      std::optional<double> score =
          stratum.score ? stratum.score : StratumScore(def.kind, stratum.numerator, stratum.denominator);
      const UnitListedPerFte* unit = nullptr;
      if (def.kind == MeasureKind::ratio) {
        if (auto it = units.find(stratum.value); it != units.end()) unit = it->second;
        if (unit) score = unit->listed_per_fte;
      }
      if (unit) {
        w.Key("extension");
        w.StartArray();
        DecimalExtension(w, kDoctorFteExtension, unit->doctor_fte);
        w.EndArray();
      }
      w.Key("value");
      w.StartObject();
      Str(w, "text", stratum.value);
      w.EndObject();
      Populations(w, def.kind, stratum.numerator, stratum.denominator);
      MeasureScore(w, score);
      w.EndObject();
    }
    if (any_stratum) w.EndArray();
    w.EndObject();
  }
  // The histogram of doctors' list sizes against their capacity: doctors per bin.
  if (result.list_sizes) {
    w.StartObject();
    w.Key("code");
    w.StartArray();
    CodeableConcept(w, kMeasureStratifierSystem, kStratListSize,
                    "Läkarnas listor mot kapacitet (list size against capacity)");
    w.EndArray();
    if (!result.list_sizes->bins.empty()) {
      w.Key("stratum");
      w.StartArray();
    }
    for (const auto& bin : result.list_sizes->bins) {
      w.StartObject();
      w.Key("value");
      w.StartObject();
      Str(w, "text", bin.label);
      w.EndObject();
      w.Key("population");
      w.StartArray();
      w.StartObject();
      w.Key("code");
      CodeableConcept(w, kPopulationSystem, "initial-population");
      w.Key("count");
      w.Int64(bin.doctors);
      w.EndObject();
      w.EndArray();
      w.EndObject();
    }
    if (!result.list_sizes->bins.empty()) w.EndArray();
    w.EndObject();
  }
  if (any_stratifier) w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace nara::fhir
