// Access policy: which clients may call the registry (access.json, docs/api.md §6), and the
// authorization decision for one request as a pure function of caller × action × target.
//
// access.json: {"clients":[{"hsaId":"SE…","name":"…","role":"ehr|municipality|statistics|
// citizen-portal|admin","organizations":["SE…"],"rateLimitPerMinute":N}]}
// Invariants of a parsed AccessPolicy: every hsaId and organization is a syntactically valid
// HSA-id, hsaIds are unique, every role is one of the five. Parsing is strict (unknown or repeated
// member names are errors): a misspelt "organisations" must fail loudly, not silently drop rights.
//
// Decide() knows nothing about HTTP, the database or FHIR JSON: the authorize stage resolves the
// target's organization chains, episode kind, managing unit type and the patient's kommun first.
// Everything not explicitly allowed below is denied (fail closed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/caller.h"
#include "registry/result.h"

namespace nara::auth {

enum class Role { ehr, municipality, statistics, citizen_portal, admin };

// "ehr", "municipality", "statistics", "citizen-portal", "admin" (the access.json spelling).
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

struct ClientEntry {
  std::string hsa_id;
  std::string name;
  Role role = Role::ehr;
  std::vector<std::string> organizations;  // HSA-ids of the units the client acts for
  int rate_limit_per_minute = 0;           // 0: no per-client limit (enforced outside auth/)
};

class AccessPolicy {
 public:
  AccessPolicy() = default;  // no clients: every caller is unknown

  // Errors: Error::Invalid("structure" | "required" | "value", text naming clients[i] and the field).
  static Result<AccessPolicy> Parse(std::string_view json);
  // As Parse, with the path in the error text; an unreadable file is Error::Invalid("not-found", …).
  static Result<AccessPolicy> Load(const std::string& path);

  // The certificate's caller with role, name (the certificate CN when the file gives none) and
  // organizations filled in. An HSA-id not in the file: ErrorKind::forbidden (403, docs/api.md §6).
  Result<Caller> Identify(const Caller& from_certificate) const;

  const std::vector<ClientEntry>& clients() const { return clients_; }
  const ClientEntry* Find(std::string_view hsa_id) const;

 private:
  std::vector<ClientEntry> clients_;
  std::unordered_map<std::string, size_t> by_hsa_id_;
};

// Holds the policy in force and reloads access.json when its modification time, size or inode changes,
// looking at most once per `interval`. Thread-safe. A new file that does not parse (or a missing
// file) leaves the previous policy in force and is reported once per broken version through
// `on_error`; replace the file atomically (write + rename) to avoid reading it half-written.
// If the very first load fails the policy is empty (every caller gets 403) and load_status() says
// why: app/ should refuse to start on that.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::string path, std::chrono::milliseconds interval = std::chrono::seconds(2),
                        std::function<void(const std::string&)> on_error = {});

  std::shared_ptr<const AccessPolicy> Current();
  // Ok if the file as last seen parsed; else the error (the policy in force is the last good one).
  Status load_status() const;

 private:
  struct FileStamp {
    bool exists = false;
    std::chrono::nanoseconds mtime{0};
    std::uintmax_t size = 0;
    std::uintmax_t inode = 0;  // a file renamed into place with a preserved mtime is still new
    bool operator==(const FileStamp& o) const {
      return exists == o.exists && mtime == o.mtime && size == o.size && inode == o.inode;
    }
    bool operator!=(const FileStamp& o) const { return !(*this == o); }
  };
  FileStamp Stamp() const;
  // mu_ held. Returns the message for on_error_, which is called after mu_ is released (so the
  // hook may log, or even call Current(), without deadlocking).
  std::optional<std::string> Reload(const FileStamp& stamp);

  const std::string path_;
  const std::chrono::milliseconds interval_;
  const std::function<void(const std::string&)> on_error_;

  mutable std::mutex mu_;
  std::shared_ptr<const AccessPolicy> current_;
  std::chrono::steady_clock::time_point last_check_;
  FileStamp seen_;                     // the version last loaded or attempted
  std::optional<Error> last_error_;    // set while the file as last seen is broken
};

// the decision

// What the request does. The router maps vread → read, PATCH → update, POST _search → search,
// conditional create → create; a transaction/batch Bundle is decided per entry.
enum class Action { read, search, create, update, delete_, history, operation, export_, evaluate_measure, read_audit };

struct Target {
  // "Patient", "EpisodeOfCare", "CareTeam", "DocumentReference", "Organization", "Practitioner",
  // "PractitionerRole", "AuditEvent", "Measure", "CapabilityStatement", "Group", … ;
  // "" for system-level interactions (system history/search, system $export).
  std::string resource_type;
  // "$fixed-contacts", "$list-status", "$export", "$evaluate-measure"; "" for plain interactions.
  std::string operation;
  // Organization HSA-ids the target belongs to, each with its chain of parents up the partOf tree
  // (nearest first), e.g. a SÄBO unit: {"SE2120000184-1001", "SE2120000184-0001"}. A caller's
  // "organizations or below them" matches if any caller organization appears in any chain.
  // For an update, decide once for the stored version and once for the new content: both must be
  // allowed (otherwise a unit could move another unit's listing to itself).
  std::vector<std::vector<std::string>> organization_chains;
  std::string episode_kind;        // "listning" | "saebo" | "hemsjukvard" for EpisodeOfCare, "" otherwise
  std::string managing_unit_type;  // CareTeam/EpisodeOfCare: type of the managing unit ("saebo", …)
  // Municipality reads: the patient lives in (or is a SÄBO resident of) one of the caller's
  // kommuner. For a search the authorize stage can set this only when the search is restricted to
  // such patients (or filters the result set); the policy cannot see results.
  bool patient_in_callers_kommun = false;
  // For the refusal text only (never decides): the managing unit as "name (Organization/id)" and the
  // name of the kommun above it ("" when there is none).
  std::string managing_unit_label = {};
  std::string managing_unit_kommun = {};
};

struct Decision {
  bool allowed = false;
  std::string reason;  // Swedish + English; for the 403 OperationOutcome and the audit log; no personnummer
  std::string detail_code = {};  // NR/CodeSystem/outcome-detail for a refusal a client can act on, e.g. other-municipality
};

Decision Decide(const Caller& caller, Action action, const Target& target);

// A write decided before its body is read: allowed when some content could be allowed (Decide over
// the contents that change the answer: each episode kind, each kind of managing unit, the caller's
// own organizations as the target's); otherwise the refusal for the type alone. So a role that may
// never write a type hears 403 before anything about the body, and the PDL log says "refused".
// The write is decided again on its content once that is read.
Decision DecideBeforeContent(const Caller& caller, Action action, const std::string& type);

std::string_view ActionName(Action action);  // "read", "delete", "export", … (for logs and reasons)

}  // namespace nara::auth
