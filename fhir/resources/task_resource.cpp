#include "fhir/resources/task_resource.h"

#include "fhir/json/json.h"
#include "fhir/resources/registry_mapping.h"
#include "registry/code_systems.h"

namespace nara::fhir {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

Value Str(const std::string& text, Alloc& alloc) {
  return Value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), alloc);
}

Value Ref(const std::string& reference, Alloc& alloc) {
  Value ref(rapidjson::kObjectType);
  ref.AddMember("reference", Str(reference, alloc), alloc);
  return ref;
}

Value Coding(const char* system, const std::string& code, Alloc& alloc) {
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system", Value(system, alloc), alloc);
  coding.AddMember("code", Str(code, alloc), alloc);
  return coding;
}

Value Concept(Value coding, Alloc& alloc) {
  Value codings(rapidjson::kArrayType);
  codings.PushBack(coding, alloc);
  Value concept_value(rapidjson::kObjectType);
  concept_value.AddMember("coding", codings, alloc);
  return concept_value;
}

void Set(Value& obj, const char* name, Value value, Alloc& alloc) {
  if (auto it = obj.FindMember(name); it != obj.MemberEnd()) {
    it->value = value;
  } else {
    obj.AddMember(Value(name, alloc), value, alloc);
  }
}

}  // namespace

Result<QueueEntry> QueueEntryFromTask(const Value& task, const std::string& id) {
  QueueEntry entry;
  entry.task_id = id;
  entry.patient_id = task.HasMember("for") ? ReferenceId(task["for"], "Patient") : "";
  entry.role_id = task.HasMember("focus") ? ReferenceId(task["focus"], "PractitionerRole") : "";
  if (entry.patient_id.empty()) return Error::Invalid("required", "Task.for saknas (Task.for is required)", "Task.for");
  if (entry.role_id.empty()) {
    return Error::Invalid("required", "Task.focus saknas (Task.focus is required)", "Task.focus");
  }
  entry.status = QueueStatusFromName(StringMember(task, "status")).value_or(QueueStatus::cancelled);
  entry.authored_on = StringMember(task, "authoredOn");
  if (const auto outputs = task.FindMember("output"); outputs != task.MemberEnd() && outputs->value.IsArray()) {
    for (const auto& output : outputs->value.GetArray()) {
      if (!output.IsObject() || !output.HasMember("valueReference")) continue;
      entry.output_careteam_id = ReferenceId(output["valueReference"], "CareTeam");
      if (!entry.output_careteam_id.empty()) break;
    }
  }
  return entry;
}

rapidjson::Document NewQueueTask(const std::string& patient_id, const std::string& role_id, const std::string& unit_id,
                                 const std::string& authored_on) {
  rapidjson::Document task(rapidjson::kObjectType);
  auto& alloc = task.GetAllocator();
  task.AddMember("resourceType", "Task", alloc);
  task.AddMember("status", "requested", alloc);
  task.AddMember("intent", "order", alloc);
  Value coding = Coding(nr::kTaskCode, nr::kFastLakarkontaktKo, alloc);
  coding.AddMember("display", Value("Kö till fast läkarkontakt", alloc), alloc);
  task.AddMember("code", Concept(std::move(coding), alloc), alloc);
  task.AddMember("focus", Ref("PractitionerRole/" + role_id, alloc), alloc);
  task.AddMember("for", Ref("Patient/" + patient_id, alloc), alloc);
  task.AddMember("authoredOn", Str(authored_on, alloc), alloc);
  task.AddMember("lastModified", Str(authored_on, alloc), alloc);
  if (!unit_id.empty()) task.AddMember("owner", Ref("Organization/" + unit_id, alloc), alloc);
  return task;
}

void CompleteQueueTask(rapidjson::Document& task, const std::string& careteam_id, const std::string& now) {
  auto& alloc = task.GetAllocator();
  Set(task, "status", Value("completed", alloc), alloc);
  Set(task, "lastModified", Str(now, alloc), alloc);
  Value type(rapidjson::kObjectType);
  type.AddMember("text", "CareTeam (fast läkarkontakt)", alloc);
  Value output(rapidjson::kObjectType);
  output.AddMember("type", type, alloc);
  output.AddMember("valueReference", Ref("CareTeam/" + careteam_id, alloc), alloc);
  Value outputs(rapidjson::kArrayType);
  outputs.PushBack(output, alloc);
  Set(task, "output", std::move(outputs), alloc);
}

void CancelQueueTask(rapidjson::Document& task, const std::string& reason_code, const std::string& text,
                     const std::string& now) {
  auto& alloc = task.GetAllocator();
  Set(task, "status", Value("cancelled", alloc), alloc);
  Set(task, "lastModified", Str(now, alloc), alloc);
  Value reason = Concept(Coding(nr::kEndReasonSystem, reason_code, alloc), alloc);
  reason.AddMember("text", Str(text, alloc), alloc);
  Set(task, "statusReason", std::move(reason), alloc);
}

rapidjson::Document NewPromotedCareTeam(const std::string& patient_id, const std::string& role_id,
                                        const std::string& unit_id, Date start) {
  rapidjson::Document team(rapidjson::kObjectType);
  auto& alloc = team.GetAllocator();
  team.AddMember("resourceType", "CareTeam", alloc);
  Value ext(rapidjson::kObjectType);
  ext.AddMember("url", Value(nr::kBeginReasonExt, alloc), alloc);
  ext.AddMember("valueCoding", Coding(nr::kBeginReasonSystem, queue_reasons::kFromQueue, alloc), alloc);
  Value extensions(rapidjson::kArrayType);
  extensions.PushBack(ext, alloc);
  team.AddMember("extension", extensions, alloc);
  team.AddMember("status", "active", alloc);
  Value categories(rapidjson::kArrayType);
  categories.PushBack(Concept(Coding(nr::kIneraCareTeamCategory, nr::kFastKontakt, alloc), alloc), alloc);
  team.AddMember("category", categories, alloc);
  team.AddMember("subject", Ref("Patient/" + patient_id, alloc), alloc);
  Value period(rapidjson::kObjectType);
  period.AddMember("start", Str(start.ToString(), alloc), alloc);
  team.AddMember("period", period, alloc);
  Value participant(rapidjson::kObjectType);
  Value roles(rapidjson::kArrayType);
  roles.PushBack(Concept(Coding(nr::kContactRole, "2", alloc), alloc), alloc);
  participant.AddMember("role", roles, alloc);
  participant.AddMember("member", Ref("PractitionerRole/" + role_id, alloc), alloc);
  Value participants(rapidjson::kArrayType);
  participants.PushBack(participant, alloc);
  team.AddMember("participant", participants, alloc);
  Value orgs(rapidjson::kArrayType);
  orgs.PushBack(Ref("Organization/" + unit_id, alloc), alloc);
  team.AddMember("managingOrganization", orgs, alloc);
  return team;
}

}  // namespace nara::fhir
