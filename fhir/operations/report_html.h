// The report people read as one self-contained HTML5 page (docs/api.md sections 7 and 11).
//
// Inline CSS and inline <svg> charts only: no scripts, fonts, images or style sheets from anywhere, no
// URL at all, so the file opens offline and can be mailed as it is. Swedish labels; every unit, region
// and kommun by its name. Sections: key figures against the goals (svg#chart-kpi-<measure>) with a table
// of every measure; the 24-month trend of every measure with its goal line (svg#trend-<measure>, the
// data in a table below each); coverage per region (svg#chart-region) and kommun (svg#chart-kommun) with
// continuity beside it in tables (also per vårdcentral); age and sex; list sizes (svg#chart-list-size,
// svg#chart-per-fte); patient contracts by age band (svg#chart-age-band). Tables have captions and th
// scope. Small numbers are shown as "<5" with the share hidden (fhir/operations/report.h).
#pragma once

#include <string>

#include "fhir/operations/report.h"

namespace nara::fhir {

std::string RenderHtmlReport(const ReportData& data);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace nara::fhir
