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

}  // namespace nara::pg
