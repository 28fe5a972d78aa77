#include "app/log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>

namespace nara::app {
namespace {

constexpr auto kLogDelay = std::chrono::milliseconds(50);
constexpr size_t kWriteAbove = size_t{64} << 10;

// Where lines go. Never destroyed: a line logged while the process exits still has a home.
struct LogSink {
  std::mutex mu;  // also orders the writes: lines reach stderr in the order they were logged
  std::condition_variable waiting;
  std::string pending;
  int buffering = 0;  // LogBuffering objects alive
  bool writer_started = false;

  void WriteLocked() {
    size_t done = 0;
    while (done < pending.size()) {
      const ssize_t n = ::write(STDERR_FILENO, pending.data() + done, pending.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr gone: nothing better to do with a log line
      done += static_cast<size_t>(n);
    }
    pending.clear();
  }

  // Sleeps until a line waits, gives the lines after it kLogDelay to join, writes them all.
  [[noreturn]] void WriteWhatWaits() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      waiting.wait(lock, [&] { return !pending.empty(); });
      waiting.wait_for(lock, kLogDelay);
      WriteLocked();
    }
  }
};

LogSink& Sink() {
  static LogSink* sink = new LogSink;
  return *sink;
}

}  // namespace

LogBuffering::LogBuffering() {
  LogSink& sink = Sink();
  std::lock_guard<std::mutex> lock(sink.mu);
  ++sink.buffering;
  if (!sink.writer_started) {
    sink.writer_started = true;
    std::thread([&sink] {
      pthread_setname_np(pthread_self(), "nara-log");
      sink.WriteWhatWaits();
    }).detach();
    std::atexit([] {  // an exit() that skips the destructor still writes what waits
      std::lock_guard<std::mutex> lock(Sink().mu);
      Sink().buffering = 0;
      Sink().WriteLocked();
    });
  }
}

LogBuffering::~LogBuffering() {
  LogSink& sink = Sink();
  std::lock_guard<std::mutex> lock(sink.mu);
  if (sink.buffering > 0) --sink.buffering;
  sink.WriteLocked();
}

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
  LogSink& sink = Sink();
  std::lock_guard<std::mutex> lock(sink.mu);
  const bool was_empty = sink.pending.empty();
  sink.pending.append(buffer.GetString(), buffer.GetSize());
  sink.pending += '\n';
  if (sink.buffering == 0 || std::strcmp(level, "info") != 0 || sink.pending.size() >= kWriteAbove) {
    sink.WriteLocked();
  } else if (was_empty) {
    sink.waiting.notify_one();
  }
}

}  // namespace nara::app
