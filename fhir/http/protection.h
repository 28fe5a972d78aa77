// Protected identity at the FHIR layer (docs/api.md section 8): who sees a protected patient's data,
// and the screen every read path passes its resources through before they leave.
//
// A protected patient (registry/protection.h) is seen in full by admin, the citizen portal (the
// citizen's own view) and an ehr whose organizations cover the patient's active listing unit or the
// managing unit of one of the patient's active fixed contacts (CareTeams). Anyone else gets the
// Patient redacted (no address, telecom, generalPractitioner, municipality extension; labelled
// v3-ObservationValue#REDACTED) and never the patient's EpisodeOfCare, CareTeam or DocumentReference:
// those reveal where the person is cared for.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fhir/json/operation_outcome.h"
#include "registry/caller.h"
#include "registry/resource_store.h"

namespace nara::fhir {

enum class Sight {
  open,      // not a protected patient's data
  full,      // a protected patient's, and the caller sees everything
  redacted,  // a protected Patient without where the person lives and is cared for
  withheld,  // a protected patient's EpisodeOfCare, CareTeam or DocumentReference: not released
};

// Screens the resources of one request. Remembers per patient what it found, and counts what it did
// for the audit record (AuditNote).
class ProtectionScreen {
 public:
  explicit ProtectionScreen(const Caller& caller) : caller_(caller) {}
  // It keeps a reference to the caller, which must outlive it: never a temporary.
  explicit ProtectionScreen(Caller&&) = delete;

  // Screens in place: withheld resources are removed, Patients the caller may not see in full are
  // redacted. `drop_redacted`: a Patient here is here because of where the person is cared for or
  // lives (a search's _include/_revinclude through a listing or contact, a search by address or by a
  // doctor's or unit's list), which is itself what must not be revealed, so a protected Patient not
  // seen in full is removed rather than redacted. Returns the number of resources removed.
  int Screen(RegistryTransaction& reg, std::vector<StoredResource>& resources, bool drop_redacted = false);
  // One resource (read, vread): its sight; a redacted Patient's json is replaced.
  Sight ScreenOne(RegistryTransaction& reg, StoredResource& resource);

  // Whether this screen looked the patient up and found no protection: the patient's Patient is
  // seen alike by every caller (Sight::open).
  bool FoundUnprotected(const std::string& patient_id) const;

  // "" when no protected patient's data was met; else what was done, for AuditRecord::detail.
  std::string AuditNote() const;

 private:
  // Fills protected_ for the patients not looked up yet.
  void LookUp(RegistryTransaction& reg, const std::vector<std::string>& patient_ids);
  bool SeesAll(RegistryTransaction& reg, const std::string& patient_id);
  Sight SightOf(RegistryTransaction& reg, const std::string& type, const std::vector<std::string>& patients);

  const Caller& caller_;
  std::map<std::string, bool> protected_;  // patient id → protected
  std::map<std::string, bool> sees_all_;   // protected patient id → the caller sees everything
  int full_ = 0, redacted_ = 0, withheld_ = 0;
};

// A write of a Patient that sets (was_marked false, marked true) or removes the protection mark: only
// admin may (nara import writes around the API); anyone else gets 403 forbidden.
Status CheckProtectionMark(const Caller& caller, bool was_marked, bool marked);

// The Patient without address, telecom, generalPractitioner and the municipality extension, with
// meta.security v3-ObservationValue#REDACTED added. Text that does not parse is returned unchanged.
std::string RedactedPatientJson(const std::string& json);

// The answer to a read (version 0) or vread of a withheld resource: the same 404 as for a resource that
// does not exist (the PostgreSQL store's wording, pg/pg_store.cpp), so that nothing tells them apart.
Error WithheldAsNotFound(const std::string& type, const std::string& id, int version = 0);

// Screens one resource (a vread, a history entry) in a transaction of its own.
Result<Sight> ScreenInOwnTransaction(ResourceStore& store, ProtectionScreen& screen, StoredResource& resource);

// The search Bundle's note that something was left out, without naming whom (issue code suppressed).
Issue SuppressedIssue();

// Adds the screen's note to an audit detail when it met protected data (AuditRecord::detail; an empty
// detail stands for `base`, e.g. "GET Patient", as AuditRecordFor writes it); else leaves it as it is.
void AddProtectionNote(std::string& detail, const std::string& base, const ProtectionScreen& screen);

}  // namespace nara::fhir
