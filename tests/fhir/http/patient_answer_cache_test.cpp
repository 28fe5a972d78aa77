// PatientAnswerCache (fhir/http/patient_answer_cache.h): what may be served, and what a change or an
// interrupted feed takes away. The feed itself and the server's use of it are tested against
// PostgreSQL and over TLS (tests/pg/patient_feed_test.cpp, tests/e2e/patient_cache_test.cpp).
#include "fhir/http/patient_answer_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace nara::fhir {
namespace {

const Date kToday = Date::FromDays(20000);

StoredResource Answer(const std::string& id, int version) {
  StoredResource r;
  r.type = "Patient";
  r.id = id;
  r.version = version;
  r.last_updated = "2026-12-05T10:00:00.000Z";
  r.json = R"({"resourceType":"Patient","id":")" + id + R"("})";
  return r;
}

TEST(PatientAnswerCache, NothingIsKeptOrServedUntilTheFeedListens) {
  PatientAnswerCache cache(10);
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  cache.SetLive(true);
  EXPECT_FALSE(cache.Find("p1", kToday));
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  auto found = cache.Find("p1", kToday);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->version, 1);
  EXPECT_EQ(found->json, Answer("p1", 1).json);
}

TEST(PatientAnswerCache, AReadThatRacedAChangeToItsPatientKeepsNothing) {
  PatientAnswerCache cache(10);
  cache.SetLive(true);
  const auto stamp = cache.Stamp("p1");  // taken before the database read
  cache.Forget("p1");                     // the change commits while the read is under way
  cache.Fill("p1", stamp, Answer("p1", 1), kToday);
  EXPECT_FALSE(cache.Find("p1", kToday));
  // A read begun after the change keeps its answer.
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 2), kToday);
  ASSERT_TRUE(cache.Find("p1", kToday));
  EXPECT_EQ(cache.Find("p1", kToday)->version, 2);
}

TEST(PatientAnswerCache, AForgottenPatientIsReadAgainAndOthersStay) {
  PatientAnswerCache cache(100);
  cache.SetLive(true);
  for (const char* id : {"p1", "p2", "p3"}) cache.Fill(id, cache.Stamp(id), Answer(id, 1), kToday);
  cache.Forget("p2");
  EXPECT_TRUE(cache.Find("p1", kToday));
  EXPECT_FALSE(cache.Find("p2", kToday));
  EXPECT_TRUE(cache.Find("p3", kToday));
  cache.ForgetAll();
  EXPECT_FALSE(cache.Find("p1", kToday));
  EXPECT_FALSE(cache.Find("p3", kToday));
  const auto counts = cache.counts();
  EXPECT_EQ(counts.forgotten, 3);
  EXPECT_EQ(counts.entries, 0);
}

TEST(PatientAnswerCache, AnAnswerHoldsForTheDateItWasComputedOn) {
  PatientAnswerCache cache(10);
  cache.SetLive(true);
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  EXPECT_TRUE(cache.Find("p1", kToday));
  EXPECT_FALSE(cache.Find("p1", kToday.AddDays(1)));
}

TEST(PatientAnswerCache, AnInterruptedFeedForgetsEverythingAndAReadBegunMeanwhileKeepsNothing) {
  PatientAnswerCache cache(10);
  cache.SetLive(true);
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  cache.SetLive(false);  // changes may go unheard from now on
  EXPECT_FALSE(cache.live());
  EXPECT_FALSE(cache.Find("p1", kToday));
  const auto stamp = cache.Stamp("p2");  // a read while not listening
  cache.SetLive(true);
  cache.Fill("p2", stamp, Answer("p2", 1), kToday);
  EXPECT_FALSE(cache.Find("p2", kToday));
  EXPECT_FALSE(cache.Find("p1", kToday));  // nothing from before the interruption comes back
}

TEST(PatientAnswerCache, AFeedThatFallsSilentServesNothingAndForgetsEverythingWhenHeardAgain) {
  PatientAnswerCache cache(10, std::chrono::milliseconds(50));
  cache.SetLive(true);
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  ASSERT_TRUE(cache.Find("p1", kToday));
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // no heartbeat heard
  EXPECT_FALSE(cache.live());
  EXPECT_FALSE(cache.Find("p1", kToday));
  cache.Fill("p2", cache.Stamp("p2"), Answer("p2", 1), kToday);  // nothing kept while deaf either
  cache.Heard();  // the connection carries notifications again; those queued meanwhile follow
  EXPECT_TRUE(cache.live());
  EXPECT_FALSE(cache.Find("p1", kToday));
  EXPECT_FALSE(cache.Find("p2", kToday));
}

TEST(PatientAnswerCache, WhenFullTheOldestAnswerGoesFirst) {
  // One answer per stripe at most: of two patients in one stripe only the later is kept.
  PatientAnswerCache cache(1);
  cache.SetLive(true);
  std::string first = "p0", second;
  for (int i = 1; i < 1000 && second.empty(); ++i) {
    const std::string id = "p" + std::to_string(i);
    PatientAnswerCache probe(1);
    probe.SetLive(true);
    probe.Fill(first, probe.Stamp(first), Answer(first, 1), kToday);
    probe.Fill(id, probe.Stamp(id), Answer(id, 1), kToday);
    if (!probe.Find(first, kToday)) second = id;  // same stripe: the first was pushed out
  }
  ASSERT_FALSE(second.empty());
  cache.Fill(first, cache.Stamp(first), Answer(first, 1), kToday);
  cache.Fill(second, cache.Stamp(second), Answer(second, 1), kToday);
  EXPECT_FALSE(cache.Find(first, kToday));
  EXPECT_TRUE(cache.Find(second, kToday));
  EXPECT_LE(cache.counts().entries, 32);
}

TEST(PatientAnswerCache, CountsHitsAndMisses) {
  PatientAnswerCache cache(10);
  cache.SetLive(true);
  EXPECT_FALSE(cache.Find("p1", kToday));
  cache.Fill("p1", cache.Stamp("p1"), Answer("p1", 1), kToday);
  EXPECT_TRUE(cache.Find("p1", kToday));
  EXPECT_TRUE(cache.Find("p1", kToday));
  const auto counts = cache.counts();
  EXPECT_EQ(counts.hits, 2);
  EXPECT_EQ(counts.misses, 1);
  EXPECT_EQ(counts.fills, 1);
  EXPECT_EQ(counts.entries, 1);
}

}  // namespace
}  // namespace nara::fhir
