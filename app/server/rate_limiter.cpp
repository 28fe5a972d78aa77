#include "app/server/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace nara::app {

RateLimiter::Verdict RateLimiter::Take(std::string_view hsa_id, int limit_per_minute) {
  if (limit_per_minute <= 0) return {};
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(std::string(hsa_id));
  Bucket& bucket = it->second;
  if (inserted || bucket.limit != limit_per_minute) {
    bucket = Bucket{limit_per_minute, static_cast<double>(limit_per_minute), now};
  }
  const double per_second = limit_per_minute / 60.0;
  const double elapsed = std::chrono::duration<double>(now - bucket.refreshed).count();
  if (elapsed > 0) {
    bucket.tokens = std::min<double>(limit_per_minute, bucket.tokens + elapsed * per_second);
    bucket.refreshed = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return {};
  }
  const double wait = (1.0 - bucket.tokens) / per_second;
  return {false, std::max(1, static_cast<int>(std::ceil(wait - 1e-9)))};
}

}  // namespace nara::app
