// The per-client budget of access.json (rateLimitPerMinute) as a token bucket, driven by a fake clock.
#include "app/server/rate_limiter.h"

#include <gtest/gtest.h>

namespace nara::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class FakeClock {
 public:
  RateLimiter::Now Now() {
    return [this] { return now_; };
  }
  void Advance(RateLimiter::Clock::duration by) { now_ += by; }

 private:
  RateLimiter::Clock::time_point now_{seconds(1000)};
};

TEST(RateLimiter, AllowsTheWholeMinuteAsABurstThenRefuses) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(limiter.Take("SE2321000016-E001", 6).allowed) << i;
  const auto refused = limiter.Take("SE2321000016-E001", 6);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 10);  // 6 a minute: one token every 10 s
}

TEST(RateLimiter, RefillsAtTheLimitPerMinute) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(limiter.Take("SE2321000016-E001", 6).allowed);
  clock.Advance(seconds(4));
  auto refused = limiter.Take("SE2321000016-E001", 6);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 6);  // 4 of the 10 s have passed
  clock.Advance(seconds(6));
  EXPECT_TRUE(limiter.Take("SE2321000016-E001", 6).allowed);
  EXPECT_FALSE(limiter.Take("SE2321000016-E001", 6).allowed);
  // A long pause refills to the limit and no further.
  clock.Advance(seconds(3600));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(limiter.Take("SE2321000016-E001", 6).allowed) << i;
  EXPECT_FALSE(limiter.Take("SE2321000016-E001", 6).allowed);
}

TEST(RateLimiter, RetryAfterIsAtLeastOneWholeSecond) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(limiter.Take("SE2321000016-E001", 600).allowed);
  clock.Advance(milliseconds(50));
  auto refused = limiter.Take("SE2321000016-E001", 600);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(RateLimiter, ClientsHaveTheirOwnBuckets) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  ASSERT_TRUE(limiter.Take("SE2321000016-E001", 1).allowed);
  EXPECT_FALSE(limiter.Take("SE2321000016-E001", 1).allowed);
  EXPECT_TRUE(limiter.Take("SE2321000016-M001", 1).allowed);
}

TEST(RateLimiter, ZeroMeansNoLimit) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(limiter.Take("SE2321000016-A001", 0).allowed);
}

TEST(RateLimiter, AChangedLimitStartsAFreshBucket) {
  FakeClock clock;
  RateLimiter limiter(clock.Now());
  ASSERT_TRUE(limiter.Take("SE2321000016-E001", 1).allowed);
  ASSERT_FALSE(limiter.Take("SE2321000016-E001", 1).allowed);
  // access.json reloaded with a higher limit: the client is not held to the old, empty bucket.
  EXPECT_TRUE(limiter.Take("SE2321000016-E001", 3).allowed);
  EXPECT_TRUE(limiter.Take("SE2321000016-E001", 3).allowed);
  EXPECT_TRUE(limiter.Take("SE2321000016-E001", 3).allowed);
  EXPECT_FALSE(limiter.Take("SE2321000016-E001", 3).allowed);
}

}  // namespace
}  // namespace nara::app
