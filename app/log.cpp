#include "app/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace nara::app {

std::string MaskPersonIds(const std::string& text) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && is_digit(text[end])) ++end;
    const size_t run = end - i;
    size_t masked_end = end;
    // An HSA-id's organisation number (10 or 12 digits) follows "SE": not a person.
    const bool after_se = i >= 2 && text.compare(i - 2, 2, "SE") == 0;
    bool mask = (run == 12 || run == 10) && !after_se;
    if ((run == 6 || run == 8) && end + 5 <= text.size() && (text[end] == '-' || text[end] == '+')) {
      size_t tail = end + 1;
      while (tail < text.size() && is_digit(text[tail])) ++tail;
      if (tail - end - 1 == 4) {
        mask = true;
        masked_end = tail;
      }
    }
    out += mask ? std::string("<personnummer>") : text.substr(i, masked_end - i);
    i = masked_end;
  }
  return out;
}

void Log(const char* level, const char* event, std::initializer_list<LogField> fields) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("ts"); w.String(ts);
  w.Key("level"); w.String(level);
  w.Key("event"); w.String(event);
  for (const auto& [key, value] : fields) {
    const std::string safe = MaskPersonIds(value);
    w.Key(key);
    w.String(safe.c_str(), static_cast<rapidjson::SizeType>(safe.size()));
  }
  w.EndObject();
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s\n", buffer.GetString());
  std::fflush(stderr);
}

}  // namespace nara::app
