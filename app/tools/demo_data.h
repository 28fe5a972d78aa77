// The small demo population `run.sh` loads: a region, two vårdcentraler, doctors, a municipality
// with a SÄBO unit and ~200 residents with valid (generated) personnummer. Written through the FHIR
// API itself, so it passes exactly the validation a client's data passes. Loading twice is a no-op.
#pragma once

#include "fhir/http/router.h"
#include "registry/result.h"

namespace nara::app {

struct DemoReport {
  int written = 0;
  bool already_loaded = false;
};

Result<DemoReport> LoadDemoData(fhir::FhirApi& api, int patients = 200);

}  // namespace nara::app
