#include "registry/waitlist.h"

#include <algorithm>

namespace nara {

const char* QueueStatusName(QueueStatus status) {
  switch (status) {
    case QueueStatus::requested: return "requested";
    case QueueStatus::completed: return "completed";
    case QueueStatus::cancelled: return "cancelled";
  }
  return "requested";
}

std::optional<QueueStatus> QueueStatusFromName(std::string_view name) {
  if (name == "requested") return QueueStatus::requested;
  if (name == "completed") return QueueStatus::completed;
  if (name == "cancelled") return QueueStatus::cancelled;
  return std::nullopt;
}

std::optional<WaitlistEffective> WaitlistEffectiveFromName(std::string_view name) {
  if (name == "immediate") return WaitlistEffective::immediate;
  if (name == "next-month") return WaitlistEffective::next_month;
  return std::nullopt;
}

Date PromotionStart(Date today, WaitlistEffective effective) {
  if (effective == WaitlistEffective::immediate) return today;
  const std::string text = today.ToString();  // YYYY-MM-DD
  int year = std::stoi(text.substr(0, 4));
  int month = std::stoi(text.substr(5, 2)) + 1;
  if (month == 13) {
    month = 1;
    ++year;
  }
  return *Date::FromCivil(year, month, 1);
}

Status CheckQueueLimit(const std::vector<QueueEntry>& existing) {
  if (existing.empty()) return Ok();
  const QueueEntry& held = existing.front();
  return Error::BusinessRule(
      rule_codes::kQueueLimit,
      "Patienten står redan i kö hos PractitionerRole/" + held.role_id + " (Task/" + held.task_id +
          "). En person kan stå i en kö i taget: återkalla den platsen (Task.status cancelled) först. (The patient "
          "already holds a place in a waiting list; one at a time.)");
}

int WaitDays(const std::string& authored_on, Date on) {
  auto since = Date::Parse(authored_on);
  if (!since) return 0;
  return std::max(0, on.days() - since->days());
}

std::optional<double> MedianDays(std::vector<int> days) {
  if (days.empty()) return std::nullopt;
  std::sort(days.begin(), days.end());
  const size_t n = days.size();
  if (n % 2 == 1) return days[n / 2];
  return (days[n / 2 - 1] + days[n / 2]) / 2.0;
}

}  // namespace nara
