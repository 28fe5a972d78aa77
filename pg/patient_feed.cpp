#include "pg/patient_feed.h"

#include <pqxx/pqxx>

namespace nara::pg {
namespace {

constexpr const char* kChannel = "nara_patient_changed";
constexpr const char* kListPrefix = "PractitionerRole/";  // schema/0015_doctor_list_feed.sql

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const PatientFeedHandlers& handlers, std::atomic<long>& count)
      : pqxx::notification_receiver(conn, kChannel), handlers_(handlers), count_(count) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    ++count_;
    handlers_.heard();
    if (payload.empty()) return;  // a heartbeat
    if (payload == "*") {
      handlers_.all_changed();
    } else if (payload.compare(0, std::char_traits<char>::length(kListPrefix), kListPrefix) == 0) {
      handlers_.list_changed(payload.substr(std::char_traits<char>::length(kListPrefix)));
    } else {
      handlers_.changed(payload);
    }
  }

 private:
  const PatientFeedHandlers& handlers_;
  std::atomic<long>& count_;
};

}  // namespace

PatientFeed::PatientFeed(std::string url, PatientFeedHandlers handlers, std::chrono::milliseconds heartbeat)
    : url_(std::move(url)), handlers_(std::move(handlers)), heartbeat_(heartbeat), thread_([this] { Run(); }) {}

PatientFeed::~PatientFeed() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

bool PatientFeed::SleepUnlessStopping(std::chrono::milliseconds how_long) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, how_long, [this] { return stopping_.load(); });
}

void PatientFeed::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping_) {
    std::string why;
    bool listened = false;
    try {
      ListenUntilLost(listened);
    } catch (const std::exception& e) {
      why = e.what();
    }
    handlers_.live(false, stopping_ ? "" : (why.empty() ? "the listening connection was lost" : why));
    if (stopping_ || !SleepUnlessStopping(backoff)) break;
    ++reconnects_;
    // Retried quickly after a connection that worked; ever more slowly while the database stays away.
    backoff = listened ? std::chrono::milliseconds(100) : std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void PatientFeed::ListenUntilLost(bool& listened) {
  pqxx::connection conn(url_);
  // A database whose writers were told not to notify (ALTER DATABASE … SET nara.patient_feed = 'off',
  // docs/operations.md) would leave kept answers stale: then this node never goes live.
  {
    pqxx::nontransaction check(conn);
    const auto setting = check.exec("SELECT current_setting('nara.patient_feed', true)");
    if (!setting.empty() && !setting[0][0].is_null() && setting[0][0].as<std::string>() == "off") {
      throw std::runtime_error("nara.patient_feed is off for this database: changes are not announced");
    }
  }
  Receiver receiver(conn, handlers_, notifications_);  // issues LISTEN now
  const int backend = conn.backendpid();
  handlers_.live(true, "");
  listened = true;
  auto next_beat = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= next_beat) {
      // To ourselves (and every other listener): proof that the connection still carries notifications.
      pqxx::nontransaction beat(conn);
      beat.exec(std::string("SELECT pg_notify('") + kChannel + "', '')");
      beat.commit();
      next_beat = std::chrono::steady_clock::now() + heartbeat_;
    }
    conn.await_notification(0, 200000);  // throws broken_connection when the server is gone
    // libpqxx may reconnect a broken connection behind our back and listen again: what was sent in
    // between was never heard, so that counts as lost too.
    if (!conn.is_open() || conn.backendpid() != backend) return;
  }
}

}  // namespace nara::pg
