// PatientFeed: listens on the database's channel nara_patient_changed (schema/0014_patient_answer_feed.sql)
// and tells the server which patients' answers to forget (fhir/http/patient_answer_cache.h).
//
// One thread with one connection of its own. While it listens, every committed change to a patient's
// answer on any node arrives as that patient's id ('*': forget everything, after a bulk import).
// Whenever the connection is lost (or libpqxx silently reconnected it: a new backend pid) changes may
// have gone unheard, so it reports not live (the cache forgets everything and keeps nothing) until
// it listens again. A doctor's list arrives as "PractitionerRole/{id}" (list_changed). It also sends itself an empty notification every second: `heard` is called for
// every notification, so a connection that hangs without failing shows as silence (the cache then
// stops serving, PatientAnswerCache::Heard).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace nara::pg {

struct PatientFeedHandlers {
  std::function<void(const std::string& patient_id)> changed;  // one patient's answer is stale
  // Who is on this PractitionerRole's list may have changed (schema/0015_doctor_list_feed.sql).
  std::function<void(const std::string& role_id)> list_changed;
  std::function<void()> all_changed;                           // every answer is stale
  // Listening (true) or not (false); `why` says what interrupted it ("" when stopping or live).
  std::function<void(bool live, const std::string& why)> live;
  std::function<void()> heard;                                 // any notification, heartbeats included
};

class PatientFeed {
 public:
  // Starts listening at once (in the background); `live(true)` once LISTEN is in effect.
  PatientFeed(std::string url, PatientFeedHandlers handlers,
              std::chrono::milliseconds heartbeat = std::chrono::milliseconds(1000));
  ~PatientFeed();  // stops listening: live(false)
  PatientFeed(const PatientFeed&) = delete;
  PatientFeed& operator=(const PatientFeed&) = delete;

  long notifications() const { return notifications_.load(); }
  long reconnects() const { return reconnects_.load(); }

 private:
  void Run();
  void ListenUntilLost(bool& listened);
  bool SleepUnlessStopping(std::chrono::milliseconds how_long);

  const std::string url_;
  const PatientFeedHandlers handlers_;
  const std::chrono::milliseconds heartbeat_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<long> notifications_{0};
  std::atomic<long> reconnects_{0};
  std::thread thread_;
};

}  // namespace nara::pg
