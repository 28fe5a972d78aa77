// Log: one JSON object per line on stderr (API.md section 7). Callers pass only ids, codes and
// counts: a personnummer never goes into a log line.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace nara::app {

using LogField = std::pair<const char*, std::string>;

void Log(const char* level, const char* event, std::initializer_list<LogField> fields = {});

}  // namespace nara::app
