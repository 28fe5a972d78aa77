#include "auth/access_policy.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "registry/audit.h"
#include "registry/hsa_id.h"

namespace nara::auth {
namespace {

// For error texts: a value from the file, shortened and stripped of control characters.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 64)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (text.size() > 64) out += "…";
  return out + "\"";
}

std::string_view Str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Every member name known and none repeated (RapidJSON keeps both copies of a repeated name, and
// a second "role" must not be able to hide behind the first).
Status CheckMembers(const rapidjson::Value& obj, const std::set<std::string_view>& known, const std::string& where) {
  std::set<std::string_view> seen;
  for (const auto& m : obj.GetObject()) {
    const std::string_view name = Str(m.name);
    if (!seen.insert(name).second) {
      return Error::Invalid("structure", where + ": " + Quote(name) + " appears twice");
    }
    if (!known.count(name)) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Error::Invalid("structure", where + ": unknown member " + Quote(name) + " (expected " + list + ")");
    }
  }
  return Ok();
}

Result<ClientEntry> ParseClient(const rapidjson::Value& v, const std::string& where_index) {
  if (!v.IsObject()) return Error::Invalid("structure", where_index + " is not an object");
  const rapidjson::Value::ConstMemberIterator hsa = v.FindMember("hsaId");
  if (hsa == v.MemberEnd()) return Error::Invalid("required", where_index + ": missing \"hsaId\"");
  if (!hsa->value.IsString() || !HsaId::Parse(Str(hsa->value)).ok()) {
    return Error::Invalid("value", where_index + ": \"hsaId\" " +
                                       (hsa->value.IsString() ? Quote(Str(hsa->value)) + " " : std::string()) +
                                       "is not an HSA-id (SE + 10 or 12 digits + '-' + 1–31 letters/digits)");
  }
  ClientEntry entry;
  entry.hsa_id = std::string(Str(hsa->value));
  const std::string where = where_index + " (" + entry.hsa_id + ")";

  if (Status s = CheckMembers(v, {"hsaId", "name", "role", "organizations", "rateLimitPerMinute"}, where); !s) {
    return s.error();
  }
  if (auto name = v.FindMember("name"); name != v.MemberEnd()) {
    if (!name->value.IsString()) return Error::Invalid("value", where + ": \"name\" must be a string");
    entry.name = std::string(Str(name->value));
  }
  const auto role = v.FindMember("role");
  if (role == v.MemberEnd()) return Error::Invalid("required", where + ": missing \"role\"");
  std::optional<Role> parsed_role = role->value.IsString() ? ParseRole(Str(role->value)) : std::nullopt;
  if (!parsed_role) {
    return Error::Invalid("value", where + ": unknown role " +
                                       (role->value.IsString() ? Quote(Str(role->value)) : std::string("(not a string)")) +
                                       " (expected ehr, municipality, statistics, citizen-portal or admin)");
  }
  entry.role = *parsed_role;
  if (auto orgs = v.FindMember("organizations"); orgs != v.MemberEnd()) {
    if (!orgs->value.IsArray()) return Error::Invalid("value", where + ": \"organizations\" must be an array");
    for (const auto& org : orgs->value.GetArray()) {
      if (!org.IsString() || !HsaId::Parse(Str(org)).ok()) {
        return Error::Invalid("value", where + ": organization " +
                                           (org.IsString() ? Quote(Str(org)) + " " : std::string()) +
                                           "is not an HSA-id");
      }
      std::string id(Str(org));
      if (std::find(entry.organizations.begin(), entry.organizations.end(), id) == entry.organizations.end()) {
        entry.organizations.push_back(std::move(id));
      }
    }
  }
  if (auto limit = v.FindMember("rateLimitPerMinute"); limit != v.MemberEnd()) {
    if (!limit->value.IsInt() || limit->value.GetInt() < 0) {
      return Error::Invalid("value", where + ": \"rateLimitPerMinute\" must be a whole number ≥ 0 (0: no limit)");
    }
    entry.rate_limit_per_minute = limit->value.GetInt();
  }
  return entry;
}

// the decision

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool IsReadLike(Action a) { return a == Action::read || a == Action::search || a == Action::history; }
bool IsWrite(Action a) { return a == Action::create || a == Action::update || a == Action::delete_; }

// Registry data (docs/api.md §3) an ehr may read.
bool IsRegistryData(std::string_view type) {
  return IsOneOf(type, {"Patient", "Organization", "Practitioner", "PractitionerRole", "EpisodeOfCare", "CareTeam",
                        "DocumentReference", "Task", "Encounter"});
}
bool IsDirectory(std::string_view type) { return IsOneOf(type, {"Organization", "Practitioner", "PractitionerRole"}); }

// Definitional (conformance) resources: no personal data, the same content as the published
// implementation guide. Every known client may read and search them — an EHR validating against
// a StructureDefinition or a statistics client reading a Measure's definition gains nothing
// worth protecting, and refusing them only breaks standard FHIR clients.
bool IsConformance(std::string_view type) {
  return IsOneOf(type, {"CapabilityStatement", "CodeSystem", "ValueSet", "StructureDefinition", "OperationDefinition",
                        "SearchParameter", "Measure"});
}

// The chain rule: "organizations or below them" (docs/api.md §6). No chains (the authorize stage could
// not resolve the managing organization) never matches.
bool Covers(const Caller& caller, const Target& target) {
  for (const auto& chain : target.organization_chains) {
    for (const std::string& org : chain) {
      if (std::find(caller.organizations.begin(), caller.organizations.end(), org) != caller.organizations.end()) {
        return true;
      }
    }
  }
  return false;
}

struct Verb {
  std::string_view sv, en;
};
Verb VerbOf(Action a) {
  switch (a) {
    case Action::read: return {"läsa", "read"};
    case Action::search: return {"söka", "search"};
    case Action::create: return {"skapa", "create"};
    case Action::update: return {"ändra", "update"};
    case Action::delete_: return {"radera", "delete"};
    case Action::history: return {"läsa historik för", "read the history of"};
    case Action::operation: return {"anropa", "call"};
    case Action::export_: return {"exportera", "export"};
    case Action::evaluate_measure: return {"beräkna indikatorer", "evaluate measures"};
    case Action::read_audit: return {"läsa", "read"};
  }
  return {"?", "?"};
}

// The object of the sentence, in Swedish and English ("" for none).
struct What {
  std::string sv, en;
};
What WhatOf(Action a, const Target& t) {
  if (a == Action::read_audit) return {"AuditEvent", "AuditEvent"};
  if (a == Action::export_ || a == Action::evaluate_measure) return {t.resource_type, t.resource_type};
  if (a == Action::operation) {
    if (t.operation.empty()) return {"en namnlös operation", "an unnamed operation"};
    std::string op = t.resource_type.empty() ? t.operation : t.resource_type + "/" + t.operation;
    return {op, op};
  }
  if (t.resource_type.empty()) return {"hela registret", "the whole registry"};
  return {t.resource_type, t.resource_type};
}

Decision Allow(std::string sv, std::string en) { return {true, std::move(sv) + " (" + std::move(en) + ")"}; }
Decision Deny(std::string sv, std::string en) { return {false, std::move(sv) + " (" + std::move(en) + ")"}; }

Decision DenyRole(std::string_view role, Action a, const Target& t) {
  const Verb v = VerbOf(a);
  const What what = WhatOf(a, t);
  std::string sv = "Rollen " + std::string(role) + " får inte " + std::string(v.sv);
  std::string en = "role " + std::string(role) + " may not " + std::string(v.en);
  if (!what.sv.empty()) sv += " " + what.sv;
  if (!what.en.empty()) en += " " + what.en;
  return Deny(std::move(sv), std::move(en));
}

Decision DenyNotBelow() {
  return Deny("Målets enhet ligger inte under någon av anroparens organisationer",
              "the target's organization is not one of the caller's organizations or below them");
}

Decision DecideEhr(const Caller& caller, Action action, const Target& t) {
  if (IsReadLike(action) && IsRegistryData(t.resource_type)) {
    return Allow("ehr får läsa registerdata", "ehr may read registry data");
  }
  if (action == Action::operation && IsOneOf(t.operation, {"$list-status", "$fixed-contacts"})) {
    return Allow("ehr får anropa " + t.operation, "ehr may call " + t.operation);
  }
  if (!IsWrite(action)) return DenyRole("ehr", action, t);

  if (t.resource_type == "Patient") {
    // Registering the demographics of a resident the unit treats is the journal system's job; the
    // patient has no managing unit yet, so no chain rule. Deleting a person from the national
    // registry (a tombstone hiding every listing and contact) is förvaltning's decision: admin only.
    if (action == Action::delete_) {
      return Deny("Endast förvaltningen (admin) får radera en Patient", "only admin may delete a Patient");
    }
    return Allow("ehr får registrera och ändra patientuppgifter", "ehr may create and update Patient");
  }
  if (t.resource_type == "EpisodeOfCare" && t.episode_kind != "listning") {
    // Registry rule 5: SÄBO episodes belong to the municipality owning the SÄBO. An episode whose
    // kind the authorize stage could not tell is refused too (fail closed).
    return Deny("ehr får endast skriva listningar; SÄBO- och hemsjukvårdsepisoder registreras av kommunen",
                "ehr may write only listning episodes; saebo and hemsjukvard episodes are registered by the "
                "municipality");
  }
  // Task: withdrawing a place in line at the unit's own doctor (docs/api.md section 9).
  if (IsOneOf(t.resource_type, {"EpisodeOfCare", "CareTeam", "DocumentReference", "Task", "Encounter"})) {
    if (!Covers(caller, t)) return DenyNotBelow();
    return Allow("ehr får skriva för egna enheter", "ehr may write for its own units");
  }
  return DenyRole("ehr", action, t);
}

// Rules 4 and 5 for a kommun writing at a SÄBO or hemsjukvård unit of another kommun: named, with a
// detail code, so the clerk sees which unit and whose it is.
Decision DenyOtherMunicipality(const Caller& caller, const Target& t) {
  const std::string unit = t.managing_unit_label.empty() ? std::string("Enheten") : t.managing_unit_label;
  const std::string owner = t.managing_unit_kommun.empty() ? std::string("en annan kommun") : t.managing_unit_kommun;
  const std::string self = caller.name.empty() ? caller.hsa_id : caller.name;
  Decision d = Deny(unit + " hör till " + owner + ", inte till " + self + ". En kommun registrerar boende och fast "
                        "vårdkontakt endast för sina egna SÄBO- och hemsjukvårdsenheter",
                    "the unit belongs to another municipality; a municipality registers residency and fixed "
                    "contacts only for its own saebo and hemsjukvard units");
  d.detail_code = "other-municipality";
  return d;
}

Decision DecideMunicipality(const Caller& caller, Action action, const Target& t) {
  // "Read its residents" (docs/api.md §6): current state only. History is refused: older versions show
  // where a person lived and was listed before moving to the kommun, which SÄBO and hemsjukvård
  // work does not need (least privilege, PDL 4 kap.).
  if ((action == Action::read || action == Action::search) && IsPatientData(t.resource_type)) {
    if (!t.patient_in_callers_kommun) {
      return Deny("Patienten är inte invånare i anroparens kommun",
                  "the patient is not a resident of the caller's municipality");
    }
    return Allow("kommunen får läsa uppgifter om sina invånare", "a municipality may read its residents' data");
  }
  // Directory data carries no patient data; search is needed to find the PractitionerRole to name
  // as fast vårdkontakt at the kommun's own units.
  if ((action == Action::read || action == Action::search) && IsDirectory(t.resource_type)) {
    return Allow("kommunen får läsa katalogdata", "a municipality may read directory data");
  }
  if (IsWrite(action)) {
    const bool municipal_episode =
        t.resource_type == "EpisodeOfCare" && IsOneOf(t.episode_kind, {"saebo", "hemsjukvard"});
    const bool own_care_team =
        t.resource_type == "CareTeam" && IsOneOf(t.managing_unit_type, {"saebo", "hemsjukvard"});
    if (municipal_episode || own_care_team) {
      // Registry rules 4 and 5: only for the kommun's own units (partOf chain up to the kommun).
      if (!Covers(caller, t)) return DenyOtherMunicipality(caller, t);
      return Allow("kommunen får skriva för egna SÄBO- och hemsjukvårdsenheter",
                   "a municipality may write for its own saebo and hemsjukvard units");
    }
    if (t.resource_type == "CareTeam") {
      return Deny("Kommunen får endast registrera fast vårdkontakt för SÄBO och hemsjukvård",
                  "a municipality may register fixed contacts only for saebo and hemsjukvard units");
    }
  }
  return DenyRole("municipality", action, t);
}

Decision DecideStatistics(Action action, const Target& t) {
  // Aggregates and pseudonymisable bulk data for official statistics; no single-patient reads
  // (Measure and CapabilityStatement are allowed above as conformance resources).
  if (action == Action::evaluate_measure) {
    return Allow("statistik får beräkna indikatorer", "statistics may evaluate measures");
  }
  if (action == Action::export_) return Allow("statistik får exportera", "statistics may export");
  return DenyRole("statistics", action, t);
}

Decision DecideCitizenPortal(Action action, const Target& t) {
  if (action == Action::operation && t.operation == "$fixed-contacts") {
    return Allow("invånartjänsten får visa fasta kontakter", "the citizen portal may call $fixed-contacts");
  }
  // A change of listing the citizen asks for may go to any vårdcentral (free choice, HSL 7 kap.
  // 3 §), so no chain rule. Ending or editing a listing stays with the units (ehr).
  if (action == Action::create && t.resource_type == "EpisodeOfCare") {
    if (t.episode_kind != "listning") {
      return Deny("Invånartjänsten får endast skapa listningar", "the citizen portal may create only listning episodes");
    }
    return Allow("invånartjänsten får skapa en omlistning", "the citizen portal may create a change of listing");
  }
  // Choosing a unit and a doctor: units and roles are public catalogue data. Searching
  // Organization is allowed as well (a unit cannot be chosen without listing the units).
  if ((action == Action::read || action == Action::search) &&
      IsOneOf(t.resource_type, {"Organization", "PractitionerRole"})) {
    return Allow("invånartjänsten får läsa enheter och läkarroller",
                 "the citizen portal may read Organization and PractitionerRole");
  }
  // The portal must show the citizen the name of the chosen or assigned doctor, which only the
  // Practitioner carries: it may read one it was pointed to (by a PractitionerRole), but not search
  // the staff directory.
  if (action == Action::read && t.resource_type == "Practitioner") {
    return Allow("invånartjänsten får läsa läkarens namn", "the citizen portal may read a Practitioner by id");
  }
  return DenyRole("citizen-portal", action, t);
}

}  // namespace

// roles

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::ehr: return "ehr";
    case Role::municipality: return "municipality";
    case Role::statistics: return "statistics";
    case Role::citizen_portal: return "citizen-portal";
    case Role::admin: return "admin";
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view text) {
  for (Role r : {Role::ehr, Role::municipality, Role::statistics, Role::citizen_portal, Role::admin}) {
    if (RoleName(r) == text) return r;
  }
  return std::nullopt;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::read: return "read";
    case Action::search: return "search";
    case Action::create: return "create";
    case Action::update: return "update";
    case Action::delete_: return "delete";
    case Action::history: return "history";
    case Action::operation: return "operation";
    case Action::export_: return "export";
    case Action::evaluate_measure: return "evaluate-measure";
    case Action::read_audit: return "read-audit";
  }
  return "";
}

// AccessPolicy

Result<AccessPolicy> AccessPolicy::Parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError()) {
    return Error::Invalid("structure", "access policy is not valid JSON (offset " + std::to_string(doc.GetErrorOffset()) +
                                           ": " + rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  if (!doc.IsObject()) return Error::Invalid("structure", "access policy must be a JSON object {\"clients\": [...]}");
  if (Status s = CheckMembers(doc, {"clients"}, "access policy"); !s) return s.error();
  const auto clients = doc.FindMember("clients");
  if (clients == doc.MemberEnd()) return Error::Invalid("required", "access policy: missing \"clients\"");
  if (!clients->value.IsArray()) return Error::Invalid("structure", "access policy: \"clients\" must be an array");

  AccessPolicy policy;
  size_t index = 0;
  for (const auto& item : clients->value.GetArray()) {
    const std::string where = "access policy: clients[" + std::to_string(index++) + "]";
    Result<ClientEntry> entry = ParseClient(item, where);
    if (!entry) return entry.error();
    if (policy.by_hsa_id_.count(entry->hsa_id)) {
      return Error::Invalid("value", where + " (" + entry->hsa_id + "): duplicate hsaId " + entry->hsa_id + " (also clients[" +
                                         std::to_string(policy.by_hsa_id_[entry->hsa_id]) + "])");
    }
    policy.by_hsa_id_.emplace(entry->hsa_id, policy.clients_.size());
    policy.clients_.push_back(std::move(entry).value());
  }
  return policy;
}

Result<AccessPolicy> AccessPolicy::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Invalid("not-found", "cannot read access policy file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error::Invalid("not-found", "cannot read access policy file " + path);
  Result<AccessPolicy> policy = Parse(text.str());
  if (!policy) {
    Error e = policy.error();
    e.text = path + ": " + e.text;
    return e;
  }
  return policy;
}

const ClientEntry* AccessPolicy::Find(std::string_view hsa_id) const {
  const auto it = by_hsa_id_.find(std::string(hsa_id));
  return it == by_hsa_id_.end() ? nullptr : &clients_[it->second];
}

Result<Caller> AccessPolicy::Identify(const Caller& from_certificate) const {
  const ClientEntry* entry = Find(from_certificate.hsa_id);
  if (!entry) {
    // Echo the id only when it looks like one: the text ends up in a response and in logs.
    const std::string id = HsaId::Parse(from_certificate.hsa_id).ok() ? from_certificate.hsa_id + " " : std::string();
    return Error{ErrorKind::forbidden, "forbidden", "okänt HSA-id " + id + "(unknown caller)", {}};
  }
  Caller caller = from_certificate;
  caller.role = std::string(RoleName(entry->role));
  caller.name = entry->name.empty() ? from_certificate.common_name : entry->name;
  caller.organizations = entry->organizations;
  return caller;
}

// PolicyHolder

PolicyHolder::PolicyHolder(std::string path, std::chrono::milliseconds interval,
                           std::function<void(const std::string&)> on_error)
    : path_(std::move(path)), interval_(interval), on_error_(std::move(on_error)) {
  std::optional<std::string> message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::make_shared<const AccessPolicy>();
    message = Reload(Stamp());
    last_check_ = std::chrono::steady_clock::now();
  }
  if (message && on_error_) on_error_(*message);
}

PolicyHolder::FileStamp PolicyHolder::Stamp() const {
  FileStamp stamp;
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return stamp;
  stamp.exists = true;
  stamp.mtime = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  stamp.size = static_cast<std::uintmax_t>(st.st_size);
  stamp.inode = static_cast<std::uintmax_t>(st.st_ino);
  return stamp;
}

std::optional<std::string> PolicyHolder::Reload(const FileStamp& stamp) {
  seen_ = stamp;
  Result<AccessPolicy> loaded = AccessPolicy::Load(path_);
  if (loaded) {
    current_ = std::make_shared<const AccessPolicy>(std::move(loaded).value());
    last_error_.reset();
    return std::nullopt;
  }
  last_error_ = loaded.error();
  return "access policy not (re)loaded: " + loaded.error().text + "; keeping the previous policy with " +
         std::to_string(current_->clients().size()) + " clients";
}

std::shared_ptr<const AccessPolicy> PolicyHolder::Current() {
  std::optional<std::string> message;
  std::shared_ptr<const AccessPolicy> current;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_check_ >= interval_) {
      last_check_ = now;
      const FileStamp stamp = Stamp();
      if (stamp != seen_) message = Reload(stamp);
    }
    current = current_;
  }
  if (message && on_error_) on_error_(*message);
  return current;
}

Status PolicyHolder::load_status() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_error_) return *last_error_;
  return Ok();
}

// Decide

Decision Decide(const Caller& caller, Action action, const Target& target) {
  const std::optional<Role> role = ParseRole(caller.role);
  if (!role) {
    return Deny("Anroparen har ingen roll i åtkomstpolicyn", "the caller has no role in the access policy");
  }
  // One name per thing, whatever the router called it: the operations with their own action,
  // and any non-write access to AuditEvent (read, search, history, an export of it) is an audit read.
  if (action == Action::operation && target.operation == "$export") action = Action::export_;
  if (action == Action::operation && target.operation == "$evaluate-measure") action = Action::evaluate_measure;
  // $report is the measures as a page (docs/api.md section 11): the same aggregates, the same roles.
  if (action == Action::operation && target.operation == "$report") action = Action::evaluate_measure;
  if (target.resource_type == "AuditEvent" && !IsWrite(action)) action = Action::read_audit;

  // The audit trail is append-only (docs/api.md §6, docs/architecture.md: INSERT/SELECT grant only): not even
  // admin writes, corrects or deletes it through the API.
  if (target.resource_type == "AuditEvent" && IsWrite(action)) {
    return Deny("AuditEvent skrivs endast av servern och kan inte ändras",
                "AuditEvent is written only by the server and cannot be changed");
  }
  if (*role == Role::admin) return Allow("förvaltningen (admin) får allt", "admin may do everything");
  if (action == Action::read_audit) {
    return Deny("Endast förvaltningen (admin) får läsa AuditEvent", "only admin may read AuditEvent");
  }
  if ((action == Action::read || action == Action::search) && IsConformance(target.resource_type)) {
    return Allow("alla klienter får läsa definitioner", "every client may read conformance resources");
  }
  switch (*role) {
    case Role::ehr: return DecideEhr(caller, action, target);
    case Role::municipality: return DecideMunicipality(caller, action, target);
    case Role::statistics: return DecideStatistics(action, target);
    case Role::citizen_portal: return DecideCitizenPortal(action, target);
    case Role::admin: break;
  }
  return DenyRole(caller.role, action, target);
}

Decision DecideBeforeContent(const Caller& caller, Action action, const std::string& type) {
  Target alone;
  alone.resource_type = type;
  std::vector<std::vector<std::string>> own;
  for (const auto& organization : caller.organizations) own.push_back({organization});
  for (const char* kind : {"", "listning", "saebo", "hemsjukvard"}) {
    for (const char* unit_type : {"", "vardcentral", "saebo", "hemsjukvard"}) {
      Target some = alone;
      some.episode_kind = kind;
      some.managing_unit_type = unit_type;
      some.organization_chains = own;
      if (Decision d = Decide(caller, action, some); d.allowed) return d;
    }
  }
  return Decide(caller, action, alone);
}

}  // namespace nara::auth
