#include "fhir/http/measures.h"

#include "fhir/http/responses.h"
#include "fhir/http/router.h"
#include "fhir/json/bundle.h"
#include "fhir/json/json.h"
#include "fhir/json/operation_outcome.h"
#include "fhir/operations/measure_resources.h"
#include "fhir/resources/resource_mapper.h"
#include "registry/continuity.h"


namespace nara::fhir {

Result<Date> MeasurePeriodEnd(const std::string& value) {
  auto parsed = Date::Parse(value);
  if (!parsed || value.size() != 10) {
    return Error::Invalid("invalid", "periodEnd måste vara ett datum YYYY-MM-DD (periodEnd must be a date YYYY-MM-DD)");
  }
  return *parsed;
}

Result<std::string> MeasureSubject(const std::string& value) {
  std::string ref_type, ref_id;
  if (!ParseReference(value, ref_type, ref_id) || ref_type != "Organization" || !IsValidId(ref_id)) {
    return Error::Invalid("invalid", "subject måste vara Organization/[id], en region, kommun eller vårdcentral "
                                     "(subject must be Organization/[id]: a region, kommun or vårdcentral)");
  }
  return ref_id;
}
namespace {

Error NoSuchMeasure(const std::string& name) {
  return Error::NotFound("indikatorn " + SafeExcerpt(name) + " finns inte (unknown Measure)");
}

HttpResponse UnknownMeasure(const std::string& id) { return ErrorResponse(NoSuchMeasure(id)); }

// The Measure a `measure` parameter names: its id, Measure/[id] or its canonical url (FHIR R4 gives the
// parameter as a string; later versions as a canonical, which may carry |version: the Measures have none).
std::string MeasureIdOf(const std::string& name) {
  const std::string canonical_prefix = MeasureCanonical("");
  std::string id = name.substr(0, name.find('|'));
  if (id.rfind(canonical_prefix, 0) == 0) return id.substr(canonical_prefix.size());
  if (id.rfind("Measure/", 0) == 0) return id.substr(8);
  return id;
}

// Which Measure a request evaluates: the instance's, or on the type the one `measure` names. On an
// instance `measure` is not needed, and one naming another Measure is refused, not silently ignored.
Result<const MeasureDefinition*> MeasureToEvaluate(const RouteContext& c) {
  std::optional<std::string> named;
  for (const auto& [name, value] : c.request.query) {
    if (name == "measure") named = value;
  }
  if (c.match.id.empty()) {
    if (!named || named->empty()) {
      return Error::Invalid("invalid",
                            "Measure/$evaluate-measure behöver measure: indikatorns id eller url "
                            "(Measure/$evaluate-measure needs measure: the Measure's id or url)");
    }
    const MeasureDefinition* def = FindMeasure(MeasureIdOf(*named));
    if (!def) return NoSuchMeasure(*named);
    return def;
  }
  const MeasureDefinition* def = FindMeasure(c.match.id);
  if (!def) return NoSuchMeasure(c.match.id);
  if (named && MeasureIdOf(*named) != def->id) {
    return Error::Invalid("invalid", "measure namnger en annan indikator än Measure/" + def->id +
                                         " (measure names another Measure than Measure/" + def->id + ")");
  }
  return def;
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
  auto which = MeasureToEvaluate(c);
  if (!which) return ErrorResponse(which.error());
  const MeasureDefinition* def = *which;
  MeasureStore* measures = c.api.options().measures;
  if (!measures) {
    Issue issue;
    issue.code = "not-supported";
    issue.text = "$evaluate-measure är inte konfigurerad på den här servern (no measure engine configured)";
    return ErrorResponse(501, issue);
  }
  std::optional<Date> period_end, period_start;
  std::string subject;
  ContinuityOptions continuity;
  for (const auto& [name, value] : c.request.query) {
    const bool continuity_param =
        name == "window" || name == "minVisits" || name == "scope" || name == "class" || name == "baseline";
    if (continuity_param && !def->continuity) {
      return ErrorResponse(Error::Invalid("invalid", name + " gäller bara kontinuitetsmåtten (applies to the "
                                                            "continuity measures only, docs/api.md section 11)"));
    }
    if (name == "window") {
      auto window = ParseWindow(value);
      if (!window) return ErrorResponse(window.error());
      continuity.window_months = window->first;
      continuity.window_days = window->second;
    } else if (name == "minVisits") {
      const bool digits = !value.empty() && value.size() <= 4 && value.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || std::stoi(value) < 1) {
        return ErrorResponse(Error::Invalid("invalid", "minVisits måste vara ett heltal 1-9999 (minVisits must be an "
                                                       "integer from 1 to 9999)"));
      }
      continuity.min_visits = std::stoi(value);
    } else if (name == "scope") {
      if (value != "all" && value != "unit") {
        return ErrorResponse(Error::Invalid("invalid", "scope måste vara unit eller all (scope must be unit or all)"));
      }
      continuity.scope_all = value == "all";
    } else if (name == "class") {
      if (!VisitClassFromName(value)) {
        return ErrorResponse(Error::Invalid("invalid", "class måste vara AMB, VR eller HH (class must be AMB, VR or HH)"));
      }
      continuity.visit_class = value;
    } else if (name == "baseline") {
      auto parsed = Date::Parse(value);
      if (!parsed || value.size() != 10) {
        return ErrorResponse(Error::Invalid("invalid", "baseline måste vara ett datum YYYY-MM-DD (baseline must be a "
                                                       "date YYYY-MM-DD)"));
      }
      continuity.baseline = *parsed;
    } else if (name == "periodEnd") {
      auto parsed = MeasurePeriodEnd(value);
      if (!parsed) return ErrorResponse(parsed.error());
      period_end = *parsed;
    } else if (name == "subject") {
      auto parsed = MeasureSubject(value);
      if (!parsed) return ErrorResponse(parsed.error());
      subject = *parsed;
    } else if (name == "reportType") {
      if (value != "summary") {
        return ErrorResponse(Error::Invalid("not-supported", "bara reportType=summary stöds (only reportType=summary is supported)"));
      }
    } else if (name == "periodStart") {
      auto parsed = Date::Parse(value);
      if (!parsed) return ErrorResponse(Error::Invalid("invalid", "periodStart måste vara ett datum YYYY-MM-DD "
                                                                  "(periodStart must be a date YYYY-MM-DD)"));
      period_start = *parsed;
    }
  }
  if (!period_end) {
    return ErrorResponse(Error::Invalid("invalid", "$evaluate-measure behöver periodEnd=YYYY-MM-DD (periodEnd is "
                                                   "required)"));
  }
  // Measures are as of one day (docs/api.md section 5): a period start that differs would be silently
  // ignored, and a statistician would believe a period was measured.
  if (period_start && *period_start != *period_end) {
    return ErrorResponse(Error::Invalid("invalid", "Måtten gäller per periodEnd: utelämna periodStart eller ange "
                                                   "samma datum som periodEnd. (Measures are as of periodEnd; leave "
                                                   "out periodStart or make it equal to periodEnd.)"));
  }
  auto result = measures->Evaluate(def->id, *period_end, subject, continuity);
  if (!result) return ErrorResponse(result.error());
  return JsonResponse(200, MeasureReportJson(*result, *def));
}

}  // namespace nara::fhir
