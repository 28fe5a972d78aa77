// RegistryWrites: how a write of a registry resource happens inside its one database transaction
// (docs/api.md section 4): lock the patient (and the doctor's PractitionerRole), read the facts, ask the
// rules in registry/ for a decision and a plan, apply the plan (finish a replaced listing, end the
// fast läkarkontakt at the old unit, end everything at death) as new versions of those resources,
// write the resource itself, and keep the typed registry tables in step. All or nothing.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "registry/resource_store.h"
#include "registry/waitlist.h"

namespace nara::fhir {

struct RegistryOptions {
  int max_changes_per_year = 2;     // listing.max-changes-per-year (0 = no limit)
  bool capacity_warn_only = false;  // capacity.mode = warn
  WaitlistEffective waitlist_effective = WaitlistEffective::immediate;  // waitlist.effective
};

class RegistryWrites {
 public:
  explicit RegistryWrites(RegistryOptions options) : options_(options) {}

  // Writes `request` (whose content is `doc`) after the rules allow it. Warnings go to `warnings`.
  // A new fast läkarkontakt to a full doctor is queued instead when `queue_if_full` (Prefer:
  // waitlist=true) or the CareTeam is `proposed` (docs/api.md section 9): the outcome is then the
  // waiting-list Task written in its place.
  Result<WriteOutcome> Write(ResourceTransaction& tx, const WriteRequest& request, const rapidjson::Document& doc,
                             std::vector<Issue>& warnings, bool queue_if_full = false) const;

  // Deletes (tombstones) a resource and drops its registry facts.
  Result<StoredResource> Delete(ResourceTransaction& tx, const std::string& type, const std::string& id,
                                std::optional<int> if_match) const;

  const RegistryOptions& options() const { return options_; }

 private:
  RegistryOptions options_;
};

}  // namespace nara::fhir
