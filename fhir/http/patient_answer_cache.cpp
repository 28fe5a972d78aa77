#include "fhir/http/patient_answer_cache.h"

#include <algorithm>
#include <functional>

namespace nara::fhir {

PatientAnswerCache::PatientAnswerCache(std::size_t capacity, std::chrono::milliseconds deaf_after)
    : per_stripe_(std::max<std::size_t>(1, (capacity + kStripes - 1) / kStripes)),
      deaf_after_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(deaf_after).count()),
      // A list of a full-time doctor holds about 1100 ids, the size of 20 to 50 answers in memory.
      max_lists_(std::max<std::size_t>(16, capacity / 50)) {}

std::size_t PatientAnswerCache::StripeIndex(const std::string& patient_id) {
  return std::hash<std::string>{}(patient_id) % kStripes;
}
PatientAnswerCache::Stripe& PatientAnswerCache::StripeOf(const std::string& patient_id) {
  return stripes_[StripeIndex(patient_id)];
}
const PatientAnswerCache::Stripe& PatientAnswerCache::StripeOf(const std::string& patient_id) const {
  return stripes_[StripeIndex(patient_id)];
}

std::uint64_t PatientAnswerCache::Stamp(const std::string& patient_id) const {
  const Stripe& stripe = StripeOf(patient_id);
  std::lock_guard<std::mutex> lock(stripe.mu);
  return stripe.generation;
}

PatientAnswerCache::Stamps PatientAnswerCache::StampAll() const {
  Stamps stamps{};
  for (std::size_t i = 0; i < kStripes; ++i) {
    std::lock_guard<std::mutex> lock(stripes_[i].mu);
    stamps[i] = stripes_[i].generation;
  }
  return stamps;
}

namespace {
std::int64_t Now() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
}  // namespace

void PatientAnswerCache::Heard() {
  const std::int64_t now = Now();
  if (now - heard_.load() > deaf_after_) ForgetAll();  // before live() can be true again
  heard_.store(now);
}

bool PatientAnswerCache::live() const { return live_.load() && Now() - heard_.load() <= deaf_after_; }

PatientAnswerCache::Answer PatientAnswerCache::Find(const std::string& patient_id, Date on) {
  if (!live()) return nullptr;
  Stripe& stripe = StripeOf(patient_id);
  {
    std::lock_guard<std::mutex> lock(stripe.mu);
    if (auto found = stripe.entries.find(patient_id); found != stripe.entries.end() && found->second.on == on) {
      ++hits_;
      stripe.recent.splice(stripe.recent.begin(), stripe.recent, found->second.place);
      return found->second.answer;
    }
  }
  ++misses_;
  return nullptr;
}

void PatientAnswerCache::Fill(const std::string& patient_id, std::uint64_t stamp, const StoredResource& answer,
                              Date on) {
  Stripe& stripe = StripeOf(patient_id);
  std::lock_guard<std::mutex> lock(stripe.mu);
  // Checked under the stripe's lock, which Forget and SetLive also take: a Forget after this check
  // finds the entry and removes it.
  if (!live() || stripe.generation != stamp) return;
  ++fills_;
  auto shared = std::make_shared<const StoredResource>(answer);
  if (auto found = stripe.entries.find(patient_id); found != stripe.entries.end()) {
    found->second.answer = std::move(shared);
    found->second.on = on;
    stripe.recent.splice(stripe.recent.begin(), stripe.recent, found->second.place);
    return;
  }
  stripe.recent.push_front(patient_id);
  stripe.entries.emplace(patient_id, Entry{std::move(shared), on, stripe.recent.begin()});
  if (stripe.entries.size() > per_stripe_) {
    stripe.entries.erase(stripe.recent.back());
    stripe.recent.pop_back();
  }
}

void PatientAnswerCache::Fill(const std::string& patient_id, const Stamps& stamps, const StoredResource& answer,
                              Date on) {
  Fill(patient_id, stamps[StripeIndex(patient_id)], answer, on);
}

PatientAnswerCache::PatientIds PatientAnswerCache::FindList(const std::string& role_id, Date on) {
  if (!live()) return nullptr;
  {
    std::lock_guard<std::mutex> lock(lists_mu_);
    if (auto found = lists_.find(role_id); found != lists_.end() && found->second.on == on) {
      ++list_hits_;
      return found->second.patient_ids;
    }
  }
  ++list_misses_;
  return nullptr;
}

std::uint64_t PatientAnswerCache::StampLists() const {
  std::lock_guard<std::mutex> lock(lists_mu_);
  return lists_generation_;
}

void PatientAnswerCache::FillList(const std::string& role_id, std::uint64_t stamp, PatientIds patient_ids, Date on) {
  std::lock_guard<std::mutex> lock(lists_mu_);
  if (!live() || lists_generation_ != stamp) return;  // as Fill: checked under the lock Forget takes
  // Full: one list goes (any: lists are few and cheap to read again).
  if (lists_.size() >= max_lists_ && !lists_.count(role_id)) lists_.erase(lists_.begin());
  lists_.insert_or_assign(role_id, List{std::move(patient_ids), on});
}

void PatientAnswerCache::ForgetList(const std::string& role_id) {
  std::lock_guard<std::mutex> lock(lists_mu_);
  ++lists_generation_;
  lists_.erase(role_id);
}

void PatientAnswerCache::ForgetLists() {
  std::lock_guard<std::mutex> lock(lists_mu_);
  ++lists_generation_;
  lists_.clear();
}

void PatientAnswerCache::Forget(const std::string& patient_id) {
  Stripe& stripe = StripeOf(patient_id);
  std::lock_guard<std::mutex> lock(stripe.mu);
  ++stripe.generation;
  if (auto found = stripe.entries.find(patient_id); found != stripe.entries.end()) {
    stripe.recent.erase(found->second.place);
    stripe.entries.erase(found);
    ++forgotten_;
  }
}

void PatientAnswerCache::ForgetAll() {
  for (Stripe& stripe : stripes_) {
    std::lock_guard<std::mutex> lock(stripe.mu);
    ++stripe.generation;
    forgotten_ += static_cast<long>(stripe.entries.size());
    stripe.entries.clear();
    stripe.recent.clear();
  }
  ForgetLists();
}

void PatientAnswerCache::SetLive(bool live) {
  // Not live: forgotten first, so nothing kept from before the interruption is served once live
  // again. Live: forgotten again, so a read that began while not live keeps nothing either.
  if (!live) live_.store(false);
  ForgetAll();
  if (live) {
    heard_.store(Now());
    live_.store(true);
  }
}

PatientAnswerCache::Counts PatientAnswerCache::counts() const {
  Counts c;
  c.hits = hits_.load();
  c.misses = misses_.load();
  c.fills = fills_.load();
  c.forgotten = forgotten_.load();
  c.list_hits = list_hits_.load();
  c.list_misses = list_misses_.load();
  {
    std::lock_guard<std::mutex> lock(lists_mu_);
    c.lists = static_cast<long>(lists_.size());
  }
  for (const Stripe& stripe : stripes_) {
    std::lock_guard<std::mutex> lock(stripe.mu);
    c.entries += static_cast<long>(stripe.entries.size());
  }
  return c;
}

}  // namespace nara::fhir
