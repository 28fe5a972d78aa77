// OperationOutcome: every error leaves the server as one, with the HTTP status its Error kind
// demands. The mapping kind → status lives here and nowhere else (docs/architecture.md "Errors").
#pragma once

#include <string>
#include <vector>

#include "fhir/http/http.h"
#include "registry/result.h"

namespace nara::fhir {

struct Issue {
  std::string severity = "error";  // fatal | error | warning | information
  std::string code;                // FHIR IssueType: invalid, value, business-rule, not-found, ...
  std::string text;
  std::string detail_code;         // NR/CodeSystem/outcome-detail code (list-full, change-limit, ...)
  std::string expression;          // FHIRPath of the offending element
};

// Codes of NR/CodeSystem/outcome-detail appear in issue.details.coding.
inline constexpr const char* kOutcomeDetailSystem = "https://fhir.nara-registry.org/CodeSystem/outcome-detail";

int HttpStatusFor(const Error& error);
Issue IssueFor(const Error& error);
std::string OperationOutcomeJson(const std::vector<Issue>& issues);
HttpResponse ErrorResponse(const Error& error);
// An error in the request itself (a query value, an operation's parameter), not in a resource it
// carries: an invalid kind is 400 whatever its issue code, where HttpStatusFor gives content that
// breaks a profile rule ("value", "required") 422. Other kinds as ErrorResponse.
HttpResponse RequestErrorResponse(const Error& error);
HttpResponse ErrorResponse(int status, const Issue& issue);

}  // namespace nara::fhir
