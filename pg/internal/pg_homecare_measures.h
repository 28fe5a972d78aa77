// The home-care measures of docs/api.md section 11 (hemsjukvard-fast-vardkontakt-andel,
// hemsjukvard-sip-andel): their SQL, kept apart from pg_measures.cpp, which gives them its common
// table expressions (the residents in scope on D and their strata) and its one snapshot.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "registry/measures.h"

namespace nara::pg {

// Evaluates `def` (MeasureDefinition::home_care) after `prefix`, the common tables of pg_measures.cpp
// bound to `params` ($1 D, $2..$6 as there), into `out`: numerator, denominator, score and strata.
void EvaluateHomeCare(pqxx::transaction_base& tx, const std::string& prefix, const std::vector<std::string>& params,
                      const MeasureDefinition& def, MeasureResult& out);

// The measure `def` on every date of the trend in one statement, after `prefix` (pg_measures.cpp
// TrendTables, bound to days, subject and kommun as $1..$3): rows (day, population, hits) per date.
pqxx::result HomeCareTrend(pqxx::transaction_base& tx, const std::string& prefix, const std::string& days,
                          const std::string& subject_unit_id, const std::string& kommun, const MeasureDefinition& def);

}  // namespace nara::pg
