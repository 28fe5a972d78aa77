#include "fhir/http/measures.h"

#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/operations/measure_resources.h"
#include "fhir/resources/resource_mapper.h"


namespace nara::fhir {
namespace {

HttpResponse UnknownMeasure(const std::string& id) {
  return NotFoundPath("indikatorn " + SafeExcerpt(id) + " finns inte (unknown Measure)");
}

}  // namespace

HttpResponse MeasureSearch(RouteContext& c) {
  std::string filter_id;
  for (const auto& [name, value] : c.request.query) {
    if (name == "_id") filter_id = value;
  }
  std::vector<StoredResource> matches;
  for (const auto& def : MeasureDefinitions()) {
    if (!filter_id.empty() && def.id != filter_id) continue;
    StoredResource measure;
    measure.type = "Measure";
    measure.id = def.id;
    measure.json = MeasureJson(def, kNrBase);
    matches.push_back(std::move(measure));
  }
  QueryParams self;
  if (!filter_id.empty()) self.emplace_back("_id", filter_id);
  const std::string query = EncodeQuery(self);
  const std::vector<BundleLink> links{{"self", c.request.base_url + "/Measure" + (query.empty() ? "" : "?" + query)}};
  return JsonResponse(200, SearchsetJson(c.request.base_url, matches, static_cast<long>(matches.size()), links, {}));
}

HttpResponse MeasureRead(RouteContext& c) {
  const MeasureDefinition* def = FindMeasure(c.match.id);
  if (!def) return UnknownMeasure(c.match.id);
  return JsonResponse(200, MeasureJson(*def, kNrBase));
}

HttpResponse MeasureEvaluate(RouteContext& c) {
  const MeasureDefinition* def = FindMeasure(c.match.id);
  if (!def) return UnknownMeasure(c.match.id);
  MeasureStore* measures = c.api.options().measures;
  if (!measures) {
    Issue issue;
    issue.code = "not-supported";
    issue.text = "$evaluate-measure är inte konfigurerad på den här servern (no measure engine configured)";
    return ErrorResponse(501, issue);
  }
  std::optional<Date> period_end;
  std::string subject;
  for (const auto& [name, value] : c.request.query) {
    if (name == "periodEnd") {
      auto parsed = Date::Parse(value);
      if (!parsed) {
        return ErrorResponse(Error::Invalid("invalid", "periodEnd måste vara ett datum YYYY-MM-DD (periodEnd must be "
                                                       "a date YYYY-MM-DD)"));
      }
      period_end = *parsed;
    } else if (name == "subject") {
      std::string ref_type, ref_id;
      if (!ParseReference(value, ref_type, ref_id) || ref_type != "Organization" || !IsValidId(ref_id)) {
        return ErrorResponse(Error::Invalid("invalid", "subject must be Organization/[id] (a region, kommun or "
                                                       "vårdcentral)"));
      }
      subject = ref_id;
    } else if (name == "reportType") {
      if (value != "summary") {
        return ErrorResponse(Error::Invalid("not-supported", "only reportType=summary is supported"));
      }
    } else if (name == "periodStart") {
      // Measures are "as of periodEnd"; a start adds nothing but must still be a date.
      if (!Date::Parse(value)) return ErrorResponse(Error::Invalid("invalid", "periodStart must be YYYY-MM-DD"));
    }
  }
  if (!period_end) {
    return ErrorResponse(Error::Invalid("invalid", "$evaluate-measure behöver periodEnd=YYYY-MM-DD (periodEnd is "
                                                   "required)"));
  }
  auto result = measures->Evaluate(def->id, *period_end, subject);
  if (!result) return ErrorResponse(result.error());
  return JsonResponse(200, MeasureReportJson(*result, *def));
}

}  // namespace nara::fhir
