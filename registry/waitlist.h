// Waiting list for a full doctor (docs/api.md section 9): one queue per fast-läkarkontakt
// PractitionerRole, kept as Task resources (code task-code#fast-lakarkontakt-ko) and mirrored in the
// typed table registry_waitlist (schema/0008_waitlist.sql). As in Norway's fastlegeordning a person
// holds at most one place in line at a time, and a freed place goes to the oldest entry in the same
// transaction that frees it. Pure domain: the adapter reads and locks, fhir/ writes the resources.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/date.h"
#include "registry/result.h"

namespace nara {

namespace rule_codes {
inline constexpr const char* kQueueLimit = "queue-limit";  // docs/api.md section 9: one entry per patient
}  // namespace rule_codes

// Task.status values the registry uses for a queue entry.
enum class QueueStatus { requested, completed, cancelled };
const char* QueueStatusName(QueueStatus status);
std::optional<QueueStatus> QueueStatusFromName(std::string_view name);

struct QueueEntry {
  std::string task_id;
  std::string patient_id;
  std::string role_id;                 // Task.focus: the full doctor's PractitionerRole
  QueueStatus status = QueueStatus::requested;
  std::string authored_on;             // RFC 3339 UTC with milliseconds: the place in line
  std::string output_careteam_id;      // completed: the CareTeam the promotion created
};

// waitlist.effective: when a promoted contact starts. `immediate` (default): the day the place frees;
// `next_month`: the first day of the next month, as Norway's HELFO switches doctors.
enum class WaitlistEffective { immediate, next_month };
std::optional<WaitlistEffective> WaitlistEffectiveFromName(std::string_view name);  // immediate | next-month
Date PromotionStart(Date today, WaitlistEffective effective);

// Reasons written into the CareTeam begin-reason and the Task statusReason (NR/CodeSystem/end-reason
// holds the registry's own end reasons; from-queue is the begin reason of docs/api.md section 9).
namespace queue_reasons {
inline constexpr const char* kFromQueue = "from-queue";
inline constexpr const char* kDeceased = "avliden";
inline constexpr const char* kListedElsewhere = "listad-annan-enhet";
inline constexpr const char* kMoved = "flyttat";
inline constexpr const char* kRoleInactive = "lakare-inaktiv";
inline constexpr const char* kNoLongerEligible = "uppfyller-inte-villkor";
inline constexpr const char* kWithdrawn = "aterkallad";  // by the doctor's unit (PUT status cancelled)
}  // namespace queue_reasons

// One entry per patient at a time: refused with queue-limit while `existing` (the patient's requested
// entries) is not empty. The text names the entry the patient already holds.
Status CheckQueueLimit(const std::vector<QueueEntry>& existing);

// Whole days between joining the queue (authored_on, RFC 3339) and `on`; 0 when on is before it.
int WaitDays(const std::string& authored_on, Date on);
// The median of `days` (the mean of the two middle values for an even count); nullopt when empty.
std::optional<double> MedianDays(std::vector<int> days);

}  // namespace nara
