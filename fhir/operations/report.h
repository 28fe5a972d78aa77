// The report people read (docs/api.md sections 7 and 11): every measure the registry lists as of a
// date, its 24-month trend, and the names of the units it is stratified by. Served by `nara report`
// (app/tools/report.h) and `GET [base]/$report` (fhir/http/report.h) from the same code.
//
// Small numbers (docs/api.md section 11): what is published (the HTML page and the CSV) shows any
// count of people under kSmallNumberLimit as "<5" and hides the share computed from it, so nobody can be
// singled out in a small unit. The JSON (MeasureReports, as $evaluate-measure gives the statistics role)
// is not suppressed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "registry/measures.h"

namespace nara::fhir {

inline constexpr long kSmallNumberLimit = 5;
inline constexpr const char* kSmallNumberText = "<5";

struct ReportData {
  Date as_of;
  std::string subject;       // "" = the whole country; else an Organization id
  std::string generated_at;  // UTC, YYYY-MM-DD HH:MM
  std::vector<MeasureResult> results;          // one per measure, in MeasureDefinitions() order
  std::vector<std::vector<TrendPoint>> trends;  // parallel to results: TrendDates(as_of)
  std::map<std::string, std::string> unit_names;    // Organization id → name
  std::map<std::string, std::string> kommun_names;  // kommunkod → the kommun's name
};

// Evaluates every measure of MeasureDefinitions() as of `as_of` with its trend, and reads the names.
Result<ReportData> CollectReport(MeasureStore& store, Date as_of, const std::string& subject,
                                 const std::string& generated_at);

// The current UTC time as ReportData::generated_at writes it.
std::string ReportTimestampNow();

// Whether a count of people is published as "<5".
inline bool IsSmall(long people) { return people < kSmallNumberLimit; }

// Whether a stratum's (or total's) figures are suppressed: a count under 5 people in the numerator or
// the denominator. count measures have no denominator; listning-per-lakare's denominator counts doctors,
// not patients, so only its numerator (listed patients) decides.
bool IsSuppressed(const MeasureDefinition& def, long numerator, long denominator);

// Whether a published figure is hidden: IsSuppressed, and for kontinuitet-fast-lakare-andel, whose
// counts are visits, also when fewer than 5 patients stand behind it (kontinuitet-coc-lakare's population
// of the same stratum: the same patients under the default parameters the report uses). stratifier ""
// is the total.
bool IsHidden(const ReportData& data, const MeasureDefinition& def, const std::string& stratifier,
              const std::string& value, long numerator, long denominator);
// The same for point `index` of a measure's trend.
bool IsTrendPointHidden(const ReportData& data, const MeasureDefinition& def, size_t index);

// The name a stratum value is shown by: a unit's or kommun's name, the Swedish label of an age band,
// sex or SÄBO value; the value itself when nothing better is known.
std::string StratumName(const ReportData& data, const std::string& stratifier, const std::string& value);
// Swedish name of a stratifier (region → "Region", age-band → "Åldersgrupp", …).
std::string StratifierName(const std::string& stratifier);
// The subject as shown: its name, or "Hela landet".
std::string SubjectName(const ReportData& data);

// A number with a Swedish decimal comma and at most `decimals` decimals (trailing zeros dropped).
std::string SwedishDecimal(double value, int decimals);

// CSV for Swedish Excel: UTF-8 with a BOM, ';' between fields, decimal comma, one date column (Datum),
// names beside ids, small numbers suppressed. Columns:
//   Datum;Mått-id;Mått;Indelning;Id;Namn;Täljare;Nämnare;Värde;Mål
// Per measure: one line per earlier trend date (Indelning empty), then on the report date the total
// line and one line per stratum. listning-per-lakare adds its list-size bins (Indelning listfyllnad).
std::string ReportCsv(const ReportData& data);

// An array of the MeasureReports (unsuppressed).
std::string ReportJson(const ReportData& data);

}  // namespace nara::fhir
