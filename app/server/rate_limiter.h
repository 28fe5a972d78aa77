// RateLimiter: the per-client request budget of access.json ("rateLimitPerMinute", docs/api.md section 6),
// as one token bucket per HSA-id. A bucket holds at most `limit` tokens and refills at limit/60 per
// second, so a client may burst its whole minute at once but never exceed the limit over any minute
// by more than one burst. A limit of 0 means no limit (and no bucket).
//
// Thread-safe. The clock is injected so tests can drive time; buckets exist only for callers that
// have a limit, so memory is bounded by the policy, not by traffic. A changed limit (access.json
// reloaded) starts that client's bucket afresh.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nara::app {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  explicit RateLimiter(Now now = [] { return Clock::now(); }) : now_(std::move(now)) {}

  struct Verdict {
    bool allowed = true;
    int retry_after_seconds = 0;  // when refused: whole seconds until a token is back (≥ 1)
  };

  // Takes one token from the caller's bucket if it has one.
  Verdict Take(std::string_view hsa_id, int limit_per_minute);

 private:
  struct Bucket {
    int limit = 0;
    double tokens = 0;
    Clock::time_point refreshed;
  };

  Now now_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace nara::app
