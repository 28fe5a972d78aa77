// Measures: the indicators Socialstyrelsen follows (docs/api.md section 5), with their fixed ids, goals and
// strata, and MeasureStore, the port that evaluates one of them exactly as of a date.
//
// "As of D" is decided by periods, never by today's status: a listing or contact counts on D when it
// was in force on D (period contains D and it was not cancelled / entered in error; an inactive contact
// counts only for the dates its period covers). Residents at D are the registered patients alive on D
// (born on or before D, no date of death or one after D). registry_patient has no registration period,
// so every patient row counts as registered.
//
// Plain C++17: no Poco, pqxx or RapidJSON (docs/architecture.md). The adapter is pg/pg_measures.*.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/date.h"
#include "registry/result.h"

namespace nara {

// Fixed Measure ids (docs/api.md section 5).
inline constexpr const char* kMeasureFastLakarkontakt = "fast-lakarkontakt-andel";
inline constexpr const char* kMeasureSaeboFastLakarkontakt = "saebo-fast-lakarkontakt-andel";
inline constexpr const char* kMeasureFastVardkontakt = "fast-vardkontakt-andel";
inline constexpr const char* kMeasureListningPerLakare = "listning-per-lakare";
inline constexpr const char* kMeasurePatientkontrakt = "patientkontrakt-antal";
// Continuity of care (docs/api.md section 11).
inline constexpr const char* kMeasureCocLakare = "kontinuitet-coc-lakare";
inline constexpr const char* kMeasureCocAlla = "kontinuitet-coc-alla";
inline constexpr const char* kMeasureUpc = "kontinuitet-upc";
inline constexpr const char* kMeasureFastLakareAndel = "kontinuitet-fast-lakare-andel";
// Home health care (docs/api.md section 11).
inline constexpr const char* kMeasureHemsjukvardFastVardkontakt = "hemsjukvard-fast-vardkontakt-andel";
inline constexpr const char* kMeasureHemsjukvardSip = "hemsjukvard-sip-andel";

// Stratifier codes, as they appear in StratumResult::stratifier.
inline constexpr const char* kStratRegion = "region";            // Organization id of the region
inline constexpr const char* kStratKommun = "kommun";            // kommunkod of the patient's address
inline constexpr const char* kStratVardcentral = "vardcentral";  // Organization id of the listing unit
inline constexpr const char* kStratAgeBand = "age-band";         // 0-17 | 18-64 | 65-79 | 80+ | unknown
inline constexpr const char* kStratSex = "sex";                  // male | female | other | unknown
inline constexpr const char* kStratUnit = "unit";                // patientkontrakt: custodian Organization id;
                                                                 // hemsjukvard-*: the hemsjukvård unit on D
inline constexpr const char* kStratSaebo = "saebo";              // continuity: ja | nej (a SÄBO resident on D)

// The value of a stratum whose fact is missing (not listed on D, no region above the unit, no custodian).
inline constexpr const char* kStratumNone = "none";
// The age band / sex of a patient without a birth date / gender.
inline constexpr const char* kStratumUnknown = "unknown";

// ÖK 2021 (God och nära vård): 1100 listed per full-time GP is the planning target per doctor.
inline constexpr double kListedPerDoctorTarget = 1100;

enum class MeasureKind {
  proportion,  // numerator / denominator (score 0..1)
  ratio,       // listning-per-lakare: listed per doctor FTE (score = listed / sum of FTE)
  count,       // patientkontrakt-antal: score = numerator, denominator 0 (no population)
  mean,        // continuity indices: score = the mean over the population (denominator) of a per-patient index
};

struct MeasureDefinition {
  std::string id;
  std::string title;        // Swedish, as shown in reports
  std::string description;  // the exact definition, in words
  MeasureKind kind = MeasureKind::proportion;
  std::optional<double> goal;  // 0.55, 0.80 (proportions) or 1100 (listed per doctor FTE)
  std::vector<std::string> stratifiers;
  // The goal as a relative change against a baseline (continuity: +0.20, God och nära vård).
  std::optional<double> relative_goal;
  bool continuity = false;  // takes the continuity parameters (ContinuityOptions)
  bool home_care = false;   // population: residents with a hemsjukvard EpisodeOfCare in force on periodEnd
};

// The five measures of docs/api.md section 5, then the four continuity and two home-care measures of
// section 11, in that order.
const std::vector<MeasureDefinition>& MeasureDefinitions();
// nullptr for an unknown id.
const MeasureDefinition* FindMeasure(std::string_view id);

// Exact age in whole years on `on`: the number of birthdays passed, a birthday counting on its day.
// Someone born on 29 February has their birthday on 28 February in a common year (Date::AddYears).
int AgeOn(Date birth_date, Date on);
// "0-17", "18-64", "65-79", "80+" for an age in years; "unknown" without a birth date.
std::string AgeBand(int age_years);
std::string AgeBandOn(const std::optional<Date>& birth_date, Date on);
// The band labels in order (without "unknown").
const std::vector<std::string>& AgeBands();
// The sex stratum of a Patient.gender: male, female, other; anything else (unknown, "") is "unknown".
std::string SexStratum(const std::string& gender);

struct StratumResult {
  std::string stratifier, value;
  long numerator = 0, denominator = 0;
  std::optional<double> score;  // mean: the stratum's mean (proportions: numerator / denominator)
};

// listning-per-lakare: one active lakare PractitionerRole and its fast-läkarkontakt list on D.
struct DoctorListSize {
  std::string role_id;
  std::string unit_id;
  double fte = 1.0;
  int capacity = 0;
  long listed = 0;  // role-2 contacts naming the role in force on D
};

// One bin of the histogram of doctors' list sizes against their capacity.
struct ListSizeBin {
  std::string label;  // see ListSizeBinLabels()
  long doctors = 0;
};

// listning-per-lakare: one vårdcentral's listings on D against its doctors' FTE.
struct UnitListedPerFte {
  std::string unit_id;
  long listed = 0;        // listings in force on D
  long doctors = 0;       // active lakare roles
  double doctor_fte = 0;  // their summed FTE
  std::optional<double> listed_per_fte;  // listed / doctor_fte; none without doctors
};

struct ListSizeDistribution {
  std::vector<DoctorListSize> doctors;  // by role id
  std::vector<ListSizeBin> bins;        // every bin of ListSizeBinLabels(), in order, empty ones too
  std::vector<UnitListedPerFte> units;  // by unit id
  double target = kListedPerDoctorTarget;
};

// Bins of listed / capacity: "0-49%", "50-79%", "80-99%", "100%" (full), "over" (beyond capacity,
// possible under capacity.mode = warn). A role with capacity 0 is full when empty, over otherwise.
const std::vector<std::string>& ListSizeBinLabels();
std::string ListSizeBinOf(long listed, int capacity);

struct MeasureResult {
  std::string measure_id;
  Date period_end;
  std::string subject;  // "" = national; else the Organization id of a region, kommun or vårdcentral
  long numerator = 0, denominator = 0;
  std::optional<double> score;  // none when the denominator (or FTE) is 0
  std::optional<double> goal;
  // Proportions: every (stratifier, value) with a non-zero denominator; count: non-zero numerator;
  // listning-per-lakare: every vårdcentral in scope (numerator listed, denominator doctors).
  // Ordered by stratifier as listed in the definition, then value (byte order).
  std::vector<StratumResult> strata;
  std::optional<ListSizeDistribution> list_sizes;  // listning-per-lakare only
  // baseline=DATE (continuity): the score as of that date and (score − baseline) / baseline.
  std::optional<Date> baseline_date;
  std::optional<double> baseline_score, relative_change;
  std::optional<double> relative_goal;
};

// The parameters of the continuity measures (docs/api.md section 11). Visits count when finished, in
// (periodEnd − window, periodEnd], with a named primary performer, at the patient's listing unit on
// periodEnd unless scope_all, of `visit_class` unless "". The population: residents listed on
// periodEnd with at least min_visits counted visits.
struct ContinuityOptions {
  int window_months = 18;  // window P18M
  int window_days = 0;
  int min_visits = 3;
  bool scope_all = false;     // scope=all: visits anywhere
  std::string visit_class;    // AMB | VR | HH | "" (all)
  std::optional<Date> baseline;
};
// An ISO 8601 duration of years, months and days (P18M, P1Y6M, P90D) as months and days; an error
// for anything else (weeks, times, zero).
Result<std::pair<int, int>> ParseWindow(std::string_view text);

// One point of a trend: the headline figure of a measure as of `date` (no strata).
struct TrendPoint {
  Date date;
  long numerator = 0, denominator = 0;
  std::optional<double> score;
};

// The dates of a `months`-month trend up to period_end, oldest first: the last day of each month before
// period_end's month, then period_end itself (the month in progress ends at the report date, so the
// trend's last point is the report's own figure). A period_end on a month end gives 24 month ends.
std::vector<Date> TrendDates(Date period_end, int months = 24);

// What a report shows instead of an id: an Organization's name, type (region | kommun | vardcentral) and
// kommunkod (a kommun's stratum value is its kommunkod).
struct UnitLabel {
  std::string id, name, type, kommun;
};

// The port: evaluates a measure as of period_end (inclusive) from one consistent snapshot.
// subject_unit_id "" = the whole country; otherwise the population is restricted to the unit:
//  - vårdcentral: residents listed there on D (doctors and units: that unit);
//  - region: residents listed on D at a vårdcentral whose partOf chain reaches the region;
//  - kommun: residents whose address kommun is the kommun's kommunkod (doctors and units: vårdcentraler
//    located in that kommun).
// Errors: not_found for an unknown measure or unit, invalid for a unit of another type,
// unavailable when the database cannot be reached.
class MeasureStore {
 public:
  virtual ~MeasureStore() = default;
  Result<MeasureResult> Evaluate(const std::string& measure_id, Date period_end,
                                 const std::string& subject_unit_id) {
    return Evaluate(measure_id, period_end, subject_unit_id, ContinuityOptions{});
  }
  // `continuity` is used by the continuity measures only.
  virtual Result<MeasureResult> Evaluate(const std::string& measure_id, Date period_end,
                                         const std::string& subject_unit_id, const ContinuityOptions& continuity) = 0;
  // The headline figure as of each date (TrendDates), the same numbers Evaluate gives date by date;
  // one point per date, in the order given. This default evaluates date by date; an adapter computes
  // the measures it knows in one pass (pg/pg_measures.h). `continuity.baseline` is ignored.
  virtual Result<std::vector<TrendPoint>> Trend(const std::string& measure_id, const std::vector<Date>& dates,
                                                const std::string& subject_unit_id,
                                                const ContinuityOptions& continuity);
  // The regions, kommuner and vårdcentraler with their names (reports name the strata by them); none
  // by default.
  virtual Result<std::vector<UnitLabel>> UnitLabels() { return std::vector<UnitLabel>{}; }
};

}  // namespace nara
