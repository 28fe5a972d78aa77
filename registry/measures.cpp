#include "registry/measures.h"

#include <algorithm>
#include <string>

namespace nara {

namespace {
const std::vector<std::string> kContinuityStrata = {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand,
                                                    kStratSex, kStratSaebo};
// Home care: by where the resident is registered, by the hemsjukvård unit, age band and sex.
const std::vector<std::string> kHomeCareStrata = {kStratKommun, kStratUnit, kStratAgeBand, kStratSex};
}  // namespace

const std::vector<MeasureDefinition>& MeasureDefinitions() {
  static const std::vector<MeasureDefinition> kDefinitions = {
      {kMeasureFastLakarkontakt, "Andel invånare med fast läkarkontakt",
       "Residents alive and registered on periodEnd with a fast läkarkontakt (CareTeam role 2) in force on "
       "periodEnd / residents alive and registered on periodEnd.",
       MeasureKind::proportion, 0.55,  // ÖK 2021 (God och nära vård): 55 % with a fast läkarkontakt
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}, std::nullopt, false},
      {kMeasureSaeboFastLakarkontakt, "Andel SÄBO-boende med fast läkarkontakt",
       "Residents with a saebo EpisodeOfCare in force on periodEnd and a fast läkarkontakt in force on "
       "periodEnd / residents with a saebo EpisodeOfCare in force on periodEnd.",
       MeasureKind::proportion, 0.80,  // ÖK 2021: 80 % of SÄBO residents
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}, std::nullopt, false},
      {kMeasureFastVardkontakt, "Andel invånare med fast vårdkontakt",
       "Residents with a fast vårdkontakt (CareTeam role 1, 3 or 4) in force on periodEnd / residents.",
       MeasureKind::proportion, std::nullopt,
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}, std::nullopt, false},
      {kMeasureListningPerLakare, "Listade per läkare",
       "Listings in force on periodEnd at vårdcentraler (numerator) and active läkare PractitionerRoles "
       "(denominator); score = listings per läkare FTE, against 1100. With the distribution of each doctor's "
       "fast-läkarkontakt list against capacity and listed per doctor FTE per vårdcentral.",
       MeasureKind::ratio, kListedPerDoctorTarget, {kStratVardcentral}, std::nullopt, false},
      {kMeasurePatientkontrakt, "Antal aktuella patientkontrakt",
       "DocumentReferences of type patientkontrakt whose version in force on periodEnd has status current, "
       "for residents alive and registered on periodEnd, by age band and custodian unit.",
       MeasureKind::count, std::nullopt, {kStratAgeBand, kStratUnit}, std::nullopt, false},
      // Continuity (docs/api.md section 11): goal +20 % against a baseline (God och nära vård).
      {kMeasureCocLakare, "Kontinuitetsindex (COC) för läkarbesök",
       "Mean Bice–Boxerman COC, (Σnᵢ² − N) / (N(N − 1)), over the finished doctor visits of each resident listed on "
       "periodEnd with at least minVisits such visits in the window before periodEnd (nᵢ: visits with doctor i), "
       "at the listing unit unless scope=all.",
       MeasureKind::mean, std::nullopt, kContinuityStrata, 0.20, true},
      {kMeasureCocAlla, "Kontinuitetsindex (COC) för alla yrkesgrupper",
       "As kontinuitet-coc-lakare over the visits with every profession.", MeasureKind::mean, std::nullopt,
       kContinuityStrata, 0.20, true},
      {kMeasureUpc, "Andel besök hos den vanligaste läkaren (UPC)",
       "Mean usual provider of care, max nᵢ / N, over the same doctor visits and residents as "
       "kontinuitet-coc-lakare.",
       MeasureKind::mean, std::nullopt, kContinuityStrata, 0.20, true},
      {kMeasureFastLakareAndel, "Andel läkarbesök hos den fasta läkarkontakten",
       "Doctor visits with the patient's fast läkarkontakt in force on the visit's date / doctor visits, over the "
       "same visits and residents as kontinuitet-coc-lakare.",
       MeasureKind::proportion, std::nullopt, kContinuityStrata, 0.20, true},
      // Home health care (docs/api.md section 11). Seed goal (Gävleborg, God och nära vård): everyone in
      // home health care has a fast vårdkontakt and a SIP, so the goal is 100 %.
      {kMeasureHemsjukvardFastVardkontakt, "Andel i hemsjukvård med fast vårdkontakt",
       "Residents with a hemsjukvard EpisodeOfCare in force on periodEnd who have a fast vårdkontakt (CareTeam role 1 "
       "or 4) managed by that hemsjukvård unit in force on periodEnd / residents with a hemsjukvard EpisodeOfCare in "
       "force on periodEnd.",
       MeasureKind::proportion, 1.0, kHomeCareStrata, std::nullopt, false, true},
      {kMeasureHemsjukvardSip, "Andel i hemsjukvård med SIP",
       "Residents with a hemsjukvard EpisodeOfCare in force on periodEnd whose SIP (extension sip on the episode) is "
       "dated on or before periodEnd / residents with a hemsjukvard EpisodeOfCare in force on periodEnd.",
       MeasureKind::proportion, 1.0, kHomeCareStrata, std::nullopt, false, true},
  };
  return kDefinitions;
}

const MeasureDefinition* FindMeasure(std::string_view id) {
  for (const auto& def : MeasureDefinitions()) {
    if (def.id == id) return &def;
  }
  return nullptr;
}

int AgeOn(Date birth_date, Date on) {
  int years = on.year() - birth_date.year();
  if (birth_date.AddYears(years) > on) --years;
  return years;
}

std::string AgeBand(int age_years) {
  if (age_years < 18) return "0-17";
  if (age_years < 65) return "18-64";
  if (age_years < 80) return "65-79";
  return "80+";
}

std::string AgeBandOn(const std::optional<Date>& birth_date, Date on) {
  if (!birth_date) return kStratumUnknown;
  return AgeBand(AgeOn(*birth_date, on));
}

const std::vector<std::string>& AgeBands() {
  static const std::vector<std::string> kBands = {"0-17", "18-64", "65-79", "80+"};
  return kBands;
}

std::string SexStratum(const std::string& gender) {
  if (gender == "male" || gender == "female" || gender == "other") return gender;
  return kStratumUnknown;
}

const std::vector<std::string>& ListSizeBinLabels() {
  static const std::vector<std::string> kLabels = {"0-49%", "50-79%", "80-99%", "100%", "over"};
  return kLabels;
}

std::string ListSizeBinOf(long listed, int capacity) {
  if (listed > capacity) return "over";
  if (listed == capacity) return "100%";
  // Integer comparisons (listed * 100 against capacity * p), so a bin edge is exact.
  const long scaled = listed * 100;
  if (scaled < 50L * capacity) return "0-49%";
  if (scaled < 80L * capacity) return "50-79%";
  return "80-99%";
}

Result<std::pair<int, int>> ParseWindow(std::string_view text) {
  const Error bad = Error::Invalid("invalid", "window måste vara en period som P18M, P1Y6M eller P90D (window must "
                                              "be an ISO 8601 duration of years, months and days, e.g. P18M)");
  if (text.size() < 3 || text[0] != 'P') return bad;
  long months = 0, days = 0, number = -1;
  char last = 'P';
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      number = (number < 0 ? 0 : number) * 10 + (c - '0');
      if (number > 100000) return bad;
      continue;
    }
    // Each unit once, in the order Y, M, D.
    const bool in_order = (c == 'Y' && last == 'P') || (c == 'M' && (last == 'P' || last == 'Y')) ||
                          (c == 'D' && last != 'D');
    if (number < 0 || !in_order) return bad;
    if (c == 'Y') months += 12 * number;
    if (c == 'M') months += number;
    if (c == 'D') days += number;
    last = c;
    number = -1;
  }
  if (number >= 0 || (months == 0 && days == 0) || months > 1200) return bad;
  return std::make_pair(static_cast<int>(months), static_cast<int>(days));
}

std::vector<Date> TrendDates(Date period_end, int months) {
  std::vector<Date> dates;
  if (months <= 0) return dates;
  const std::string text = period_end.ToString();  // YYYY-MM-DD
  int year = std::stoi(text.substr(0, 4)), month = std::stoi(text.substr(5, 2));
  // The first day of period_end's month; each step back gives the previous month's last day.
  Date first = *Date::FromCivil(year, month, 1);
  dates.push_back(period_end);
  for (int i = 1; i < months; ++i) {
    dates.push_back(first.AddDays(-1));
    if (--month == 0) {
      month = 12;
      --year;
    }
    first = *Date::FromCivil(year, month, 1);
  }
  std::reverse(dates.begin(), dates.end());
  return dates;
}

Result<std::vector<TrendPoint>> MeasureStore::Trend(const std::string& measure_id, const std::vector<Date>& dates,
                                                    const std::string& subject_unit_id,
                                                    const ContinuityOptions& continuity) {
  ContinuityOptions options = continuity;
  options.baseline.reset();
  std::vector<TrendPoint> points;
  for (const Date d : dates) {
    auto result = Evaluate(measure_id, d, subject_unit_id, options);
    if (!result) return result.error();
    points.push_back({d, result->numerator, result->denominator, result->score});
  }
  return points;
}

}  // namespace nara
