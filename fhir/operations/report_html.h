// `nara report --format html`: the five indicators of docs/api.md section 5 as one self-contained HTML5 file.
//
// Inline CSS and inline <svg> charts only: no scripts, no fonts, images or style sheets from anywhere,
// no URL at all, so the file opens offline and can be mailed as it is. Swedish headings with English
// subtitles. Sections:
//  1. KPI row (svg#chart-kpi): the three proportions as big percentages with their goal, each with a
//     horizontal bar and a goal marker;
//  2. fast läkarkontakt per region (svg#chart-region) and per kommun (svg#chart-kommun), horizontal
//     bars sorted by coverage (descending), with the 55 % goal line;
//  3. the histogram of doctors' list sizes against capacity (svg#chart-list-size) and listed per doctor
//     FTE per vårdcentral (svg#chart-per-fte) against the 1100 target line;
//  4. current patientkontrakt by age band (svg#chart-age-band), a column chart.
// Every bar is a <rect class="bar">; every chart is followed by a table of its data. All text is
// escaped (& < > " ').
#pragma once

#include <string>
#include <vector>

#include "registry/measures.h"

namespace nara::app {

// `results`: one per measure, in MeasureDefinitions() order (missing measures render as "no data").
std::string RenderHtmlReport(const std::vector<MeasureResult>& results, Date as_of);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace nara::app
