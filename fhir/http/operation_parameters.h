// An operation invoked by POST with a Parameters body (FHIR R4 3.1.0.11 / Operations 2.1.0.1.6):
// the same request as the GET with those parameters in the query, so each operation has one parser.
#pragma once

#include <string>

#include "fhir/http/http.h"
#include "registry/result.h"

namespace nara::fhir {

// Each parameter of a Parameters resource as a query pair, with its value written as the GET query
// would carry it: valueString, valueCode, valueDate, valueDateTime, valueInstant, valueUri, valueId …
// as they are; valueBoolean and the numbers as their JSON text; valueIdentifier as SYSTEM|VALUE;
// valueReference as its reference. An empty body has no parameters. A part or a resource parameter,
// or any other value type, is a 400 (none of this server's operations takes one).
Result<QueryParams> ParametersAsQuery(const std::string& body);

}  // namespace nara::fhir
