// The waiting-list Task (docs/api.md section 9) and the CareTeam a promotion creates, as FHIR JSON:
// the facts read from a Task (registry/waitlist.h) and the versions the registry writes itself.
#pragma once

#include <rapidjson/document.h>

#include <string>

#include "registry/date.h"
#include "registry/result.h"
#include "registry/waitlist.h"

namespace nara::fhir {

// for, focus, status, authoredOn, output[0].valueReference CareTeam. Input has passed CheckTask
// (fhir/resources/registry_resources.cpp); Error::Invalid only when a reference is missing.
Result<QueueEntry> QueueEntryFromTask(const rapidjson::Value& task, const std::string& id);

// A new requested entry: code fast-lakarkontakt-ko, for, focus, owner (the doctor's unit), authoredOn.
rapidjson::Document NewQueueTask(const std::string& patient_id, const std::string& role_id, const std::string& unit_id,
                                 const std::string& authored_on);
// status completed, output the CareTeam, lastModified now.
void CompleteQueueTask(rapidjson::Document& task, const std::string& careteam_id, const std::string& now);
// status cancelled, statusReason {coding reason_code, text}, lastModified now.
void CancelQueueTask(rapidjson::Document& task, const std::string& reason_code, const std::string& text,
                     const std::string& now);
// The fast läkarkontakt a promotion creates: active from `start`, begin-reason from-queue.
rapidjson::Document NewPromotedCareTeam(const std::string& patient_id, const std::string& role_id,
                                        const std::string& unit_id, Date start);

}  // namespace nara::fhir
