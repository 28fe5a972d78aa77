// registry/waitlist.*: the pure parts of the waiting list (docs/api.md section 9).
#include "registry/waitlist.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nara {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

TEST(Waitlist, PromotionStartsTodayOrOnTheFirstOfNextMonth) {
  EXPECT_EQ(PromotionStart(D(2026, 3, 14), WaitlistEffective::immediate), D(2026, 3, 14));
  EXPECT_EQ(PromotionStart(D(2026, 3, 14), WaitlistEffective::next_month), D(2026, 4, 1));
  EXPECT_EQ(PromotionStart(D(2026, 3, 1), WaitlistEffective::next_month), D(2026, 4, 1));
  EXPECT_EQ(PromotionStart(D(2026, 12, 31), WaitlistEffective::next_month), D(2027, 1, 1));
}

TEST(Waitlist, EffectiveNamesAreTheConfigurationWords) {
  EXPECT_EQ(WaitlistEffectiveFromName("immediate"), WaitlistEffective::immediate);
  EXPECT_EQ(WaitlistEffectiveFromName("next-month"), WaitlistEffective::next_month);
  EXPECT_FALSE(WaitlistEffectiveFromName("next_month"));
  EXPECT_FALSE(WaitlistEffectiveFromName(""));
}

TEST(Waitlist, StatusNamesRoundTrip) {
  for (QueueStatus s : {QueueStatus::requested, QueueStatus::completed, QueueStatus::cancelled}) {
    EXPECT_EQ(QueueStatusFromName(QueueStatusName(s)), s);
  }
  EXPECT_FALSE(QueueStatusFromName("in-progress"));
}

TEST(Waitlist, OnePlaceInLinePerPerson) {
  EXPECT_TRUE(CheckQueueLimit({}).ok());
  QueueEntry held;
  held.task_id = "t1";
  held.role_id = "doc-1";
  auto refused = CheckQueueLimit({held});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::business_rule);
  EXPECT_EQ(refused.error().detail_code, "queue-limit");
  EXPECT_NE(refused.error().text.find("Task/t1"), std::string::npos) << refused.error().text;
  EXPECT_NE(refused.error().text.find("(The patient"), std::string::npos) << refused.error().text;
}

TEST(Waitlist, WaitDaysAndMedian) {
  EXPECT_EQ(WaitDays("2026-03-01T10:00:00.000Z", D(2026, 3, 11)), 10);
  EXPECT_EQ(WaitDays("2026-03-01T10:00:00.000Z", D(2026, 3, 1)), 0);
  EXPECT_EQ(WaitDays("2026-03-05T10:00:00.000Z", D(2026, 3, 1)), 0);  // joined after the date asked about
  EXPECT_FALSE(MedianDays({}));
  EXPECT_EQ(*MedianDays({7}), 7);
  EXPECT_EQ(*MedianDays({9, 1, 5}), 5);
  EXPECT_EQ(*MedianDays({10, 1, 4, 6}), 5);
}

}  // namespace
}  // namespace nara
