// Log: one JSON object per line on stderr (docs/api.md section 7). Callers pass only ids, codes and
// counts: a personnummer never goes into a log line.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace nara::app {

using LogField = std::pair<const char*, std::string>;

void Log(const char* level, const char* event, std::initializer_list<LogField> fields = {});

// Masks what could be a personnummer or samordningsnummer: 12 digits, 10 digits (not an HSA-id's
// organisation number after "SE"), or 6/8 digits with - or + and 4 more. Every field goes through it,
// so even an unexpected database error text cannot put one into the log (docs/api.md section 7).
std::string MaskPersonIds(const std::string& text);

}  // namespace nara::app
