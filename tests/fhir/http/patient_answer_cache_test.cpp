// PatientAnswerCache (fhir/http/patient_answer_cache.h): what may be served, and what a change or an
// interrupted feed takes away. The feed itself and the server's use of it are tested against
// PostgreSQL and over TLS (tests/pg/patient_feed_test.cpp, tests/e2e/patient_cache_test.cpp).
#include "fhir/http/patient_answer_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace nara::fhir {
namespace {

const Date kToday = Date::FromDays(20000);

PatientAnswerCache::PatientIds Ids(std::vector<std::string> ids) {
  return std::make_shared<const std::vector<std::string>>(std::move(ids));
}

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

TEST(PatientAnswerCache, WhenFullTheAnswerUsedLeastRecentlyGoesFirst) {
  // Two answers per stripe at most (64 over 32 stripes): three patients of one stripe.
  PatientAnswerCache cache(64);
  cache.SetLive(true);  // every stripe's stamp is now the same
  cache.Forget("a");    // a's stripe's stamp moves on: the ids with the same stamp share its stripe
  std::vector<std::string> ids{"a"};
  for (int i = 0; i < 10000 && ids.size() < 3; ++i) {
    const std::string id = "p" + std::to_string(i);
    if (cache.Stamp(id) == cache.Stamp("a")) ids.push_back(id);
  }
  ASSERT_EQ(ids.size(), 3u);
  const std::string &a = ids[0], &b = ids[1], &c = ids[2];
  cache.Fill(a, cache.Stamp(a), Answer(a, 1), kToday);
  cache.Fill(b, cache.Stamp(b), Answer(b, 1), kToday);
  ASSERT_TRUE(cache.Find(a, kToday));  // a used after b
  cache.Fill(c, cache.Stamp(c), Answer(c, 1), kToday);
  EXPECT_TRUE(cache.Find(a, kToday));
  EXPECT_FALSE(cache.Find(b, kToday)) << "the least recently used goes";
  EXPECT_TRUE(cache.Find(c, kToday));
  // Kept again after being forgotten, an answer takes one place, not two.
  cache.Forget(a);
  cache.Fill(a, cache.Stamp(a), Answer(a, 2), kToday);
  EXPECT_EQ(cache.counts().entries, 2);
  EXPECT_EQ(cache.Find(a, kToday)->version, 2);
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

// Doctors' lists: the same protocol as answers, forgotten by their own name, by ForgetLists (this
// node wrote), with everything, and at midnight.
TEST(PatientAnswerCache, ADoctorsListIsKeptUntilItsRoleOrEverythingIsForgotten) {
  PatientAnswerCache cache(100);
  cache.FillList("r1", cache.StampLists(), Ids({"p1", "p2"}), kToday);
  cache.SetLive(true);
  EXPECT_FALSE(cache.FindList("r1", kToday)) << "nothing kept before the feed listens";
  cache.FillList("r1", cache.StampLists(), Ids({"p1", "p2"}), kToday);
  cache.FillList("r2", cache.StampLists(), Ids({"p3"}), kToday);
  ASSERT_TRUE(cache.FindList("r1", kToday));
  EXPECT_EQ(*cache.FindList("r1", kToday), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_FALSE(cache.FindList("r1", Date::FromDays(kToday.days() + 1))) << "a list holds for its date";

  cache.ForgetList("r1");  // the feed names the list
  EXPECT_FALSE(cache.FindList("r1", kToday));
  EXPECT_TRUE(cache.FindList("r2", kToday));
  cache.Forget("r2");  // a patient's id is not a list's name
  EXPECT_TRUE(cache.FindList("r2", kToday));

  // A list read that raced any list's change keeps nothing.
  const auto stamp = cache.StampLists();
  cache.ForgetList("r9");
  cache.FillList("r1", stamp, Ids({"p1"}), kToday);
  EXPECT_FALSE(cache.FindList("r1", kToday));

  cache.FillList("r1", cache.StampLists(), Ids({"p1"}), kToday);
  cache.ForgetLists();
  EXPECT_FALSE(cache.FindList("r1", kToday));
  EXPECT_FALSE(cache.FindList("r2", kToday));
  cache.FillList("r1", cache.StampLists(), Ids({"p1"}), kToday);
  cache.SetLive(false);
  cache.SetLive(true);
  EXPECT_FALSE(cache.FindList("r1", kToday)) << "an interrupted feed forgets the lists too";
  EXPECT_EQ(cache.counts().lists, 0);
}

// A search's answers are kept by stamps taken for every stripe before its read.
TEST(PatientAnswerCache, AnswersFoundBySearchAreKeptUnlessTheirPatientWasForgottenMeanwhile) {
  PatientAnswerCache cache(100);
  cache.SetLive(true);
  const PatientAnswerCache::Stamps stamps = cache.StampAll();  // before the search
  cache.Forget("p2");                                          // a change commits meanwhile
  // A patient whose stripe the change did not touch (every stripe's stamp is equal after SetLive,
  // p2's has moved on since).
  std::string other = "p1";
  for (int i = 0; cache.Stamp(other) == cache.Stamp("p2"); ++i) other = "q" + std::to_string(i);
  for (const std::string& id : {std::string("p2"), other}) cache.Fill(id, stamps, Answer(id, 1), kToday);
  EXPECT_FALSE(cache.Find("p2", kToday));
  EXPECT_TRUE(cache.Find(other, kToday));
}

}  // namespace
}  // namespace nara::fhir
