// Log: one JSON object per line on stderr (docs/api.md section 7). Callers pass only ids, codes and
// counts: a personnummer never goes into a log line.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace nara::app {

using LogField = std::pair<const char*, std::string>;

void Log(const char* level, const char* event, std::initializer_list<LogField> fields = {});

// While one of these lives (`nara serve` holds one while it serves), "info" lines wait in memory and
// reach stderr together, at most 50 ms after they were logged or once 64 kB have gathered; a line
// of any other level goes out at once, after everything logged before it. The request line was about
// a tenth of the server's CPU on a GET Patient, half of it the write(2) each line had to itself (and
// under systemd, a wake-up of journald each). What a kill -9 takes is the last 50 ms of info lines; the
// audit log, which is PostgreSQL's, loses nothing. The destructor writes what waits.
class LogBuffering {
 public:
  LogBuffering();
  ~LogBuffering();
  LogBuffering(const LogBuffering&) = delete;
  LogBuffering& operator=(const LogBuffering&) = delete;
};

// Masks what could be a personnummer or samordningsnummer: 12 digits, 10 digits (not an HSA-id's
// organisation number after "SE"), or 6/8 digits with - or + and 4 more. Every field goes through it,
// so even an unexpected database error text cannot put one into the log (docs/api.md section 7).
std::string MaskPersonIds(const std::string& text);

}  // namespace nara::app
