#include "registry/measures.h"

namespace nara {

const std::vector<MeasureDefinition>& MeasureDefinitions() {
  static const std::vector<MeasureDefinition> kDefinitions = {
      {kMeasureFastLakarkontakt, "Andel invånare med fast läkarkontakt",
       "Residents alive and registered on periodEnd with a fast läkarkontakt (CareTeam role 2) in force on "
       "periodEnd / residents alive and registered on periodEnd.",
       MeasureKind::proportion, 0.55,  // ÖK 2021 (God och nära vård): 55 % with a fast läkarkontakt
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}},
      {kMeasureSaeboFastLakarkontakt, "Andel SÄBO-boende med fast läkarkontakt",
       "Residents with a saebo EpisodeOfCare in force on periodEnd and a fast läkarkontakt in force on "
       "periodEnd / residents with a saebo EpisodeOfCare in force on periodEnd.",
       MeasureKind::proportion, 0.80,  // ÖK 2021: 80 % of SÄBO residents
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}},
      {kMeasureFastVardkontakt, "Andel invånare med fast vårdkontakt",
       "Residents with a fast vårdkontakt (CareTeam role 1, 3 or 4) in force on periodEnd / residents.",
       MeasureKind::proportion, std::nullopt,
       {kStratRegion, kStratKommun, kStratVardcentral, kStratAgeBand, kStratSex}},
      {kMeasureListningPerLakare, "Listade per läkare",
       "Listings in force on periodEnd at vårdcentraler (numerator) and active läkare PractitionerRoles "
       "(denominator); score = listings per läkare FTE, against 1100. With the distribution of each doctor's "
       "fast-läkarkontakt list against capacity and listed per doctor FTE per vårdcentral.",
       MeasureKind::ratio, kListedPerDoctorTarget, {kStratVardcentral}},
      {kMeasurePatientkontrakt, "Antal aktuella patientkontrakt",
       "DocumentReferences of type patientkontrakt whose version in force on periodEnd has status current, "
       "for residents alive and registered on periodEnd, by age band and custodian unit.",
       MeasureKind::count, std::nullopt, {kStratAgeBand, kStratUnit}},
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

}  // namespace nara
