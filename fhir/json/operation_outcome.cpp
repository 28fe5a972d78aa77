#include "fhir/json/operation_outcome.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nara::fhir {

int HttpStatusFor(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid:
      // Content that parses but breaks a rule of the profile (a bad personnummer) is 422;
      // a request that cannot be understood at all is 400 (FHIR R4 RESTful API, 3.1.0.4).
      // A JSON Patch that cannot apply to the resource is 422 too (FHIR R4 3.1.0.7.3).
      return (error.detail_code == "value" || error.detail_code == "required" || error.detail_code == "invariant" ||
              error.detail_code == "processing")
                 ? 422
                 : 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::gone: return 410;
    case ErrorKind::conflict: return 409;
    case ErrorKind::precondition_failed: return 412;
    case ErrorKind::business_rule: return 422;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::unauthenticated: return 401;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::too_large: return 413;
    case ErrorKind::not_supported: return 405;
  }
  return 500;
}

Issue IssueFor(const Error& error) {
  Issue issue;
  issue.text = error.text;
  issue.expression = error.location;
  switch (error.kind) {
    case ErrorKind::invalid:
      issue.code = error.detail_code.empty() ? "invalid" : error.detail_code;
      break;
    case ErrorKind::not_found: issue.code = "not-found"; break;
    case ErrorKind::gone: issue.code = "deleted"; break;
    case ErrorKind::conflict: issue.code = "conflict"; break;
    case ErrorKind::precondition_failed: issue.code = "conflict"; break;
    case ErrorKind::business_rule:
      issue.code = "business-rule";
      issue.detail_code = error.detail_code;
      break;
    case ErrorKind::forbidden:
      issue.code = "forbidden";
      if (error.detail_code != "forbidden") issue.detail_code = error.detail_code;  // e.g. other-municipality
      break;
    case ErrorKind::unauthenticated: issue.code = "login"; break;
    case ErrorKind::unavailable: issue.code = "transient"; break;
    case ErrorKind::too_large: issue.code = "too-costly"; break;
    case ErrorKind::not_supported: issue.code = "not-supported"; break;
  }
  return issue;
}

std::string OperationOutcomeJson(const std::vector<Issue>& issues) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  for (const auto& issue : issues) {
    w.StartObject();
    w.Key("severity");
    w.String(issue.severity.c_str());
    w.Key("code");
    w.String(issue.code.c_str());
    if (!issue.detail_code.empty()) {
      w.Key("details");
      w.StartObject();
      w.Key("coding");
      w.StartArray();
      w.StartObject();
      w.Key("system");
      w.String(kOutcomeDetailSystem);
      w.Key("code");
      w.String(issue.detail_code.c_str());
      w.EndObject();
      w.EndArray();
      w.Key("text");
      w.String(issue.text.c_str(), static_cast<rapidjson::SizeType>(issue.text.size()));
      w.EndObject();
    }
    w.Key("diagnostics");
    w.String(issue.text.c_str(), static_cast<rapidjson::SizeType>(issue.text.size()));
    if (!issue.expression.empty()) {
      w.Key("expression");
      w.StartArray();
      w.String(issue.expression.c_str());
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

HttpResponse ErrorResponse(int status, const Issue& issue) {
  HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", kFhirJson);
  if (status == 503) response.SetHeader("Retry-After", "5");
  response.body = OperationOutcomeJson({issue});
  return response;
}

HttpResponse ErrorResponse(const Error& error) { return ErrorResponse(HttpStatusFor(error), IssueFor(error)); }

HttpResponse RequestErrorResponse(const Error& error) {
  return ErrorResponse(error.kind == ErrorKind::invalid ? 400 : HttpStatusFor(error), IssueFor(error));
}

}  // namespace nara::fhir
