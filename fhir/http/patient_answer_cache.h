// PatientAnswerCache: the answers to GET Patient/{id} this server computed (the current version with
// its derived generalPractitioner), kept so that reading the same patient again needs no database
// read. Its audit record is still written and committed before every answer (Patientdatalagen): the
// cache saves the read, never the log. docs/internals.md "The Patient answer cache".
//
// Never stale beyond what docs/api.md section 12 states, because an answer is forgotten
//  - by this server itself, before the answer of a write it committed leaves (FhirApi::Handle forgets
//    every patient the write's audit record names): a caller reads its own writes at once;
//  - by the database's change feed (schema/0014_patient_answer_feed.sql, pg/patient_feed.h) for any
//    committed change on any node or by any tool, as soon as its notification arrives;
//  - entirely while that feed is not listening (SetLive(false)): then nothing is served or kept;
//  - at midnight: an answer holds for the date it was computed on (generalPractitioner depends on it).
// A read that raced a change must not put back what the change made stale: Fill is given the stamp
// taken before its database read and keeps nothing when a Forget of that patient came in between.
//
// Only answers every caller gets alike are kept (no protected identity; see FhirApi::ReadCurrentAudited).
// Thread-safe; stripes keep the request threads off each other's locks.
//
// It also keeps doctors' lists: for a PractitionerRole, the ids of the patients Patient?general-
// practitioner=PractitionerRole/{id} finds on a date, in the database's id order (fhir/search/
// doctor_list_page.h serves a page of it from the kept answers). A list is forgotten when the feed
// names it (ForgetList: a fast läkarkontakt of that role changed, or a patient with one was
// deleted or restored), when this server commits a write naming any patient (ForgetLists: a write
// here may have moved a patient onto any list), with everything else, and at midnight.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "registry/date.h"
#include "registry/resource_store.h"

namespace nara::fhir {

class PatientAnswerCache {
 public:
  static constexpr std::chrono::milliseconds kDeafAfter{3000};
  // At most `capacity` answers (the one used least recently goes first). The cache starts not live.
  explicit PatientAnswerCache(std::size_t capacity, std::chrono::milliseconds deaf_after = kDeafAfter);

  // The stamp to take before the database read whose answer may be kept.
  std::uint64_t Stamp(const std::string& patient_id) const;
  // Stamps for answers not known before the read (a search's matches): one per stripe.
  using Stamps = std::array<std::uint64_t, 32>;
  Stamps StampAll() const;
  // The answer for `on` (today), if kept and the feed is live (null otherwise). Shared, not copied: a
  // doctor's list page splices 1100 of them.
  using Answer = std::shared_ptr<const StoredResource>;
  Answer Find(const std::string& patient_id, Date on);
  // Keeps the answer unless, since `stamp` was taken, the patient was forgotten or the feed stopped.
  void Fill(const std::string& patient_id, std::uint64_t stamp, const StoredResource& answer, Date on);
  void Fill(const std::string& patient_id, const Stamps& stamps, const StoredResource& answer, Date on);

  // A doctor's list: the same protocol (stamp before the read, kept unless forgotten meanwhile).
  using PatientIds = std::shared_ptr<const std::vector<std::string>>;
  PatientIds FindList(const std::string& role_id, Date on);
  std::uint64_t StampLists() const;
  void FillList(const std::string& role_id, std::uint64_t stamp, PatientIds patient_ids, Date on);
  void ForgetList(const std::string& role_id);  // the feed named this doctor's list
  void ForgetLists();

  void Forget(const std::string& patient_id);  // a committed change named this patient
  void ForgetAll();                            // a bulk change, or the feed was interrupted
  // Whether the change feed is listening; false forgets everything and keeps nothing until true.
  void SetLive(bool live);
  // The feed heard a notification (its own heartbeat at least every second, pg/patient_feed.h).
  // Silence longer than deaf_after counts as not live for serving and keeping: a connection that
  // hangs without failing must not leave answers served that a change made stale. Heard again after
  // such a silence, everything is forgotten first (the changes queued meanwhile arrive after it).
  void Heard();
  bool live() const;

  struct Counts {
    long hits = 0, misses = 0, fills = 0, forgotten = 0, entries = 0;
    long list_hits = 0, list_misses = 0, lists = 0;
  };
  Counts counts() const;

 private:
  static constexpr std::size_t kStripes = std::tuple_size<Stamps>::value;
  struct Entry {
    Answer answer;
    Date on;
    std::list<std::string>::iterator place;  // in Stripe::recent
  };
  struct Stripe {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
    std::list<std::string> recent;  // the ids kept, the most recently used first: the last goes when full
    std::uint64_t generation = 0;   // moves on every Forget in this stripe
  };
  static std::size_t StripeIndex(const std::string& patient_id);
  Stripe& StripeOf(const std::string& patient_id);
  const Stripe& StripeOf(const std::string& patient_id) const;

  const std::size_t per_stripe_;
  const std::int64_t deaf_after_;  // steady_clock ticks
  std::array<Stripe, kStripes> stripes_;
  struct List {
    PatientIds patient_ids;
    Date on;
  };
  mutable std::mutex lists_mu_;
  std::unordered_map<std::string, List> lists_;  // role id → list
  std::uint64_t lists_generation_ = 0;          // moves whenever a list is forgotten
  const std::size_t max_lists_;
  std::atomic<bool> live_{false};
  std::atomic<std::int64_t> heard_{0};  // steady_clock, nanoseconds since its epoch
  std::atomic<long> hits_{0}, misses_{0}, fills_{0}, forgotten_{0}, list_hits_{0}, list_misses_{0};
};

}  // namespace nara::fhir
