// `nara audit-extract --patient PNR`: the patient's log extract — which units accessed the
// patient's data and when (Patientdatalagen 8 kap. 2 §: a patient may ask who has read their record).
#pragma once

#include <ostream>
#include <string>

#include "app/config.h"

namespace nara::app {

int AuditExtract(const Config& config, const std::string& person_id, std::ostream& out);

}  // namespace nara::app
