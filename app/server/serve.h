// `nara serve`: the FHIR server over mutual TLS plus the local operations endpoints.
#pragma once

#include "app/config.h"

namespace nara::app {

// Runs until SIGINT or SIGTERM; returns the process exit code.
int Serve(const Config& config);

}  // namespace nara::app
