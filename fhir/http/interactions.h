// The route handlers of the FHIR interactions (docs/api.md section 1): capabilities, read, vread,
// search, the single-resource writes and the transaction/batch Bundle at the base. Rows of the route
// table (fhir/http/routes.h); the dispatcher has checked the method, the body's content type and the
// type-level access before they run.
#pragma once

#include "fhir/http/routes.h"

namespace nara::fhir {

HttpResponse Capabilities(RouteContext& c);       // GET metadata
HttpResponse HandleBundleRoute(RouteContext& c);  // POST [base]
HttpResponse Search(RouteContext& c);             // GET [type], POST [type]/_search
HttpResponse Write(RouteContext& c);              // POST/PUT/DELETE [type], PUT/PATCH/DELETE [type]/[id]
HttpResponse Read(RouteContext& c);               // GET [type]/[id]
HttpResponse VRead(RouteContext& c);              // GET [type]/[id]/_history/[vid]

}  // namespace nara::fhir
