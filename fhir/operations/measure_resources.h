// The indicators of docs/api.md section 5 as FHIR R4 resources: each MeasureDefinition as a Measure (fixed
// id, canonical NR/Measure/<id>) and each MeasureResult as a summary MeasureReport, with the goal
// beside the figures (extension NR/StructureDefinition/measure-goal, valueDecimal).
//
// Scoring per kind: proportion → proportion (initial-population = denominator = residents in scope,
// numerator), ratio (listning-per-lakare) → ratio (numerator listings, denominator active läkare roles,
// measureScore = listings per läkare FTE), count (patientkontrakt-antal) → cohort (initial-population
// = the count, measureScore = the count).
//
// listning-per-lakare carries two further stratifiers: "list-size" (one stratum per bin of
// ListSizeBinLabels(): initial-population = doctors in the bin) and the vårdcentral strata carry their
// summed doctor FTE (extension NR/StructureDefinition/doctor-fte) and listed per FTE as measureScore.
#pragma once

#include <string>

#include "registry/measures.h"

namespace nara::fhir {

// NR/StructureDefinition/measure-goal: the goal (0.55, 0.80 or 1100) on a Measure or MeasureReport.
extern const char* const kMeasureGoalExtension;
// NR/StructureDefinition/doctor-fte: the summed läkare FTE of a vårdcentral stratum.
extern const char* const kDoctorFteExtension;
// Continuity (docs/api.md section 11): the goal as a relative change (+0.20) on a Measure or
// MeasureReport; with baseline=DATE the report also carries that date, the score then and
// (score − baseline score) / baseline score.
extern const char* const kRelativeGoalExtension;
extern const char* const kBaselineDateExtension;
extern const char* const kBaselineScoreExtension;
extern const char* const kRelativeChangeExtension;
// NR/CodeSystem/measure-stratifier: region, kommun, vardcentral, age-band, sex, unit, list-size.
extern const char* const kMeasureStratifierSystem;
// The stratifier code of the list-size histogram of listning-per-lakare.
inline constexpr const char* kStratListSize = "list-size";

// canonical_base: where the canonical url lives (kNrBase): url = canonical_base + "/Measure/" + id.
std::string MeasureJson(const MeasureDefinition& definition, const std::string& canonical_base);

// The canonical url of a measure: kNrBase/Measure/<id>.
std::string MeasureCanonical(const std::string& measure_id);

// A summary MeasureReport: status complete, period start = end = periodEnd (the measure is "as of"),
// subject Organization/<id> unless national, date = now (UTC). `generated` overrides the date
// (RFC 3339) for reproducible output; "" = now.
std::string MeasureReportJson(const MeasureResult& result, const MeasureDefinition& definition,
                              const std::string& generated = "");

}  // namespace nara::fhir
