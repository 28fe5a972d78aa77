// The access policy: access.json parsing, Identify, reloading, and the decision table
// caller × action × target → allow/deny (docs/api.md §6).
#include "auth/access_policy.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <utime.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace nara::auth {
namespace {

namespace fs = std::filesystem;

// Organisations (HSA-ids as in auth/dev_pki.cpp where they exist there).
const std::string kRegion = "SE2321000016-0001";        // Region Stockholm (dev PKI ehr org)
const std::string kVc = "SE2321000016-1234";            // a vårdcentral in Region Stockholm
const std::string kVc2 = "SE2321000016-1299";           // a sibling vårdcentral, same region
const std::string kOtherRegion = "SE2321000032-0001";   // another region
const std::string kOtherVc = "SE2321000032-2001";       // a vårdcentral there
const std::string kSolna = "SE2120000184-0001";         // Solna stad (dev PKI municipality org)
const std::string kSolnaSaebo = "SE2120000184-1001";    // a SÄBO in Solna
const std::string kSolnaHsv = "SE2120000184-2001";      // Solna hemsjukvård
const std::string kSundbyberg = "SE2120000191-0001";    // another kommun
const std::string kSundbybergSaebo = "SE2120000191-1001";

Caller MakeCaller(std::string role, std::vector<std::string> orgs = {}) {
  Caller c;
  c.hsa_id = "SE2321000016-X001";
  c.role = std::move(role);
  c.organizations = std::move(orgs);
  return c;
}

Target T(std::string type, std::vector<std::vector<std::string>> chains = {}) {
  Target t;
  t.resource_type = std::move(type);
  t.organization_chains = std::move(chains);
  return t;
}
Target Op(std::string type, std::string op) {
  Target t = T(std::move(type));
  t.operation = std::move(op);
  return t;
}
Target Episode(std::string kind, std::vector<std::vector<std::string>> chains, std::string unit_type = {}) {
  Target t = T("EpisodeOfCare", std::move(chains));
  t.episode_kind = std::move(kind);
  t.managing_unit_type = std::move(unit_type);
  return t;
}
Target Team(std::string unit_type, std::vector<std::vector<std::string>> chains) {
  Target t = T("CareTeam", std::move(chains));
  t.managing_unit_type = std::move(unit_type);
  return t;
}
Target Resident(std::string type, bool in_kommun) {
  Target t = T(std::move(type));
  t.patient_in_callers_kommun = in_kommun;
  return t;
}

const std::vector<std::string> kVcChain = {kVc, kRegion};
const std::vector<std::string> kVc2Chain = {kVc2, kRegion};
const std::vector<std::string> kOtherVcChain = {kOtherVc, kOtherRegion};
const std::vector<std::string> kSolnaSaeboChain = {kSolnaSaebo, kSolna};
const std::vector<std::string> kSolnaHsvChain = {kSolnaHsv, kSolna};
const std::vector<std::string> kSundbybergSaeboChain = {kSundbybergSaebo, kSundbyberg};

const Caller kAdmin = MakeCaller("admin");
const Caller kEhrRegion = MakeCaller("ehr", {kRegion});
const Caller kEhrVc = MakeCaller("ehr", {kVc});
const Caller kEhrNoOrgs = MakeCaller("ehr");
const Caller kSolnaKommun = MakeCaller("municipality", {kSolna});
const Caller kStatistics = MakeCaller("statistics");
const Caller kPortal = MakeCaller("citizen-portal");
const Caller kNoRole = MakeCaller("");

struct Row {
  const char* name;
  Caller caller;
  Action action;
  Target target;
  bool allowed;
};

const bool kAllow = true;
const bool kDeny = false;

std::vector<Row> Table() {
  using A = Action;
  return {
      // everyone: metadata, conformance resources; an unknown role nothing
      {"admin reads metadata", kAdmin, A::read, T("CapabilityStatement"), kAllow},
      {"ehr reads metadata", kEhrRegion, A::read, T("CapabilityStatement"), kAllow},
      {"municipality reads metadata", kSolnaKommun, A::read, T("CapabilityStatement"), kAllow},
      {"statistics reads metadata", kStatistics, A::read, T("CapabilityStatement"), kAllow},
      {"portal reads metadata", kPortal, A::read, T("CapabilityStatement"), kAllow},
      {"no role reads metadata", kNoRole, A::read, T("CapabilityStatement"), kDeny},
      {"unknown role reads metadata", MakeCaller("doctor"), A::read, T("CapabilityStatement"), kDeny},
      {"portal reads a CodeSystem", kPortal, A::read, T("CodeSystem"), kAllow},
      {"statistics searches StructureDefinition", kStatistics, A::search, T("StructureDefinition"), kAllow},
      {"ehr creates a CodeSystem", kEhrRegion, A::create, T("CodeSystem"), kDeny},
      {"municipality updates a Measure", kSolnaKommun, A::update, T("Measure"), kDeny},

      // admin: everything, except rewriting the audit trail
      {"admin reads Patient", kAdmin, A::read, T("Patient"), kAllow},
      {"admin deletes Patient", kAdmin, A::delete_, T("Patient"), kAllow},
      {"admin creates Organization", kAdmin, A::create, T("Organization"), kAllow},
      {"admin updates Practitioner", kAdmin, A::update, T("Practitioner"), kAllow},
      {"admin deletes PractitionerRole", kAdmin, A::delete_, T("PractitionerRole"), kAllow},
      {"admin writes a saebo episode anywhere", kAdmin, A::create, Episode("saebo", {kSundbybergSaeboChain}), kAllow},
      {"admin reads audit", kAdmin, A::read_audit, T("AuditEvent"), kAllow},
      {"admin searches AuditEvent", kAdmin, A::search, T("AuditEvent"), kAllow},
      {"admin exports", kAdmin, A::export_, Op("", "$export"), kAllow},
      {"admin evaluates a measure", kAdmin, A::evaluate_measure, Op("Measure", "$evaluate-measure"), kAllow},
      {"admin system history", kAdmin, A::history, T(""), kAllow},
      {"admin creates AuditEvent", kAdmin, A::create, T("AuditEvent"), kDeny},
      {"admin updates AuditEvent", kAdmin, A::update, T("AuditEvent"), kDeny},
      {"admin deletes AuditEvent", kAdmin, A::delete_, T("AuditEvent"), kDeny},

      // ehr: read all registry data
      {"ehr reads Patient", kEhrRegion, A::read, T("Patient"), kAllow},
      {"ehr searches Patient", kEhrRegion, A::search, T("Patient"), kAllow},
      {"ehr Patient history", kEhrRegion, A::history, T("Patient"), kAllow},
      {"ehr reads Organization", kEhrRegion, A::read, T("Organization"), kAllow},
      {"ehr searches Practitioner", kEhrRegion, A::search, T("Practitioner"), kAllow},
      {"ehr reads PractitionerRole", kEhrRegion, A::read, T("PractitionerRole"), kAllow},
      {"ehr searches EpisodeOfCare", kEhrRegion, A::search, T("EpisodeOfCare"), kAllow},
      {"ehr CareTeam history", kEhrRegion, A::history, T("CareTeam"), kAllow},
      {"ehr reads DocumentReference", kEhrRegion, A::read, T("DocumentReference"), kAllow},
      {"ehr reads another region's listing", kEhrVc, A::read, Episode("listning", {kOtherVcChain}), kAllow},
      {"ehr without orgs reads Patient", kEhrNoOrgs, A::read, T("Patient"), kAllow},
      {"ehr system history", kEhrRegion, A::history, T(""), kDeny},
      {"ehr reads MeasureReport", kEhrRegion, A::read, T("MeasureReport"), kDeny},
      {"ehr reads Group", kEhrRegion, A::read, T("Group"), kDeny},
      // ehr: operations
      {"ehr $list-status PractitionerRole", kEhrRegion, A::operation, Op("PractitionerRole", "$list-status"), kAllow},
      {"ehr $list-status Organization", kEhrRegion, A::operation, Op("Organization", "$list-status"), kAllow},
      {"ehr $fixed-contacts", kEhrRegion, A::operation, Op("Patient", "$fixed-contacts"), kAllow},
      {"ehr other operation", kEhrRegion, A::operation, Op("Patient", "$everything"), kDeny},
      {"ehr operation without name", kEhrRegion, A::operation, Op("Patient", ""), kDeny},
      {"ehr $export", kEhrRegion, A::export_, Op("", "$export"), kDeny},
      {"ehr $export as operation", kEhrRegion, A::operation, Op("Patient", "$export"), kDeny},
      {"ehr $evaluate-measure", kEhrRegion, A::evaluate_measure, Op("Measure", "$evaluate-measure"), kDeny},
      {"ehr $evaluate-measure as operation", kEhrRegion, A::operation, Op("Measure", "$evaluate-measure"), kDeny},
      {"ehr reads audit", kEhrRegion, A::read_audit, T("AuditEvent"), kDeny},
      {"ehr reads AuditEvent", kEhrRegion, A::read, T("AuditEvent"), kDeny},
      {"ehr searches AuditEvent", kEhrRegion, A::search, T("AuditEvent"), kDeny},
      // ehr: writes for its own units or below them
      {"ehr (region) lists at a vc below it", kEhrRegion, A::create, Episode("listning", {kVcChain}), kAllow},
      {"ehr (vc) lists at its own vc", kEhrVc, A::create, Episode("listning", {kVcChain}), kAllow},
      {"ehr updates a listing below it", kEhrRegion, A::update, Episode("listning", {kVcChain}), kAllow},
      {"ehr deletes a listing below it", kEhrRegion, A::delete_, Episode("listning", {kVcChain}), kAllow},
      {"ehr lists at the region itself", kEhrRegion, A::create, Episode("listning", {{kRegion}}), kAllow},
      {"ehr listing where one of two chains matches", kEhrVc, A::update,
       Episode("listning", {kOtherVcChain, kVcChain}), kAllow},
      {"ehr lists in another region", kEhrRegion, A::create, Episode("listning", {kOtherVcChain}), kDeny},
      {"ehr (vc) lists at a sibling vc", kEhrVc, A::create, Episode("listning", {kVc2Chain}), kDeny},
      {"ehr (vc) writes at its parent region", kEhrVc, A::create, Episode("listning", {{kRegion}}), kDeny},
      {"ehr lists without a resolved unit", kEhrRegion, A::create, Episode("listning", {}), kDeny},
      {"ehr without orgs lists", kEhrNoOrgs, A::create, Episode("listning", {kVcChain}), kDeny},
      {"ehr writes a saebo episode", kEhrRegion, A::create, Episode("saebo", {kVcChain}), kDeny},
      {"ehr writes an episode of unknown kind", kEhrRegion, A::create, Episode("", {kVcChain}), kDeny},
      {"ehr creates CareTeam below it", kEhrRegion, A::create, Team("vardcentral", {kVcChain}), kAllow},
      {"ehr updates CareTeam below it", kEhrRegion, A::update, Team("vardcentral", {kVcChain}), kAllow},
      {"ehr deletes CareTeam below it", kEhrRegion, A::delete_, Team("vardcentral", {kVcChain}), kAllow},
      {"ehr creates CareTeam elsewhere", kEhrRegion, A::create, Team("vardcentral", {kOtherVcChain}), kDeny},
      {"ehr writes a Solna SÄBO CareTeam", kEhrRegion, A::update, Team("saebo", {kSolnaSaeboChain}), kDeny},
      {"ehr creates DocumentReference below it", kEhrRegion, A::create, T("DocumentReference", {kVcChain}), kAllow},
      {"ehr updates DocumentReference below it", kEhrVc, A::update, T("DocumentReference", {kVcChain}), kAllow},
      {"ehr deletes DocumentReference below it", kEhrVc, A::delete_, T("DocumentReference", {kVcChain}), kAllow},
      {"ehr creates DocumentReference elsewhere", kEhrVc, A::create, T("DocumentReference", {kVc2Chain}), kDeny},
      {"ehr creates Patient", kEhrRegion, A::create, T("Patient"), kAllow},
      {"ehr updates Patient", kEhrVc, A::update, T("Patient"), kAllow},
      {"ehr deletes Patient", kEhrRegion, A::delete_, T("Patient"), kDeny},
      {"ehr creates Organization", kEhrRegion, A::create, T("Organization", {kVcChain}), kDeny},
      {"ehr updates Organization", kEhrRegion, A::update, T("Organization", {kVcChain}), kDeny},
      {"ehr deletes Organization", kEhrRegion, A::delete_, T("Organization", {kVcChain}), kDeny},
      {"ehr creates Practitioner", kEhrRegion, A::create, T("Practitioner"), kDeny},
      {"ehr updates PractitionerRole", kEhrRegion, A::update, T("PractitionerRole", {kVcChain}), kDeny},
      {"ehr creates AuditEvent", kEhrRegion, A::create, T("AuditEvent"), kDeny},

      // municipality: SÄBO episodes and SÄBO/hemsjukvård contacts of its own units
      {"kommun creates a saebo episode at its SÄBO", kSolnaKommun, A::create, Episode("saebo", {kSolnaSaeboChain}, "saebo"),
       kAllow},
      {"kommun updates a saebo episode at its SÄBO", kSolnaKommun, A::update, Episode("saebo", {kSolnaSaeboChain}), kAllow},
      {"kommun deletes a saebo episode at its SÄBO", kSolnaKommun, A::delete_, Episode("saebo", {kSolnaSaeboChain}), kAllow},
      {"kommun writes another kommun's SÄBO", kSolnaKommun, A::create, Episode("saebo", {kSundbybergSaeboChain}), kDeny},
      {"kommun updates another kommun's SÄBO", kSolnaKommun, A::update, Episode("saebo", {kSundbybergSaeboChain}), kDeny},
      {"kommun writes a saebo episode without unit", kSolnaKommun, A::create, Episode("saebo", {}), kDeny},
      {"kommun writes a listning", kSolnaKommun, A::create, Episode("listning", {kSolnaSaeboChain}), kDeny},
      {"kommun writes a vc listning", kSolnaKommun, A::create, Episode("listning", {kVcChain}), kDeny},
      {"kommun creates SÄBO CareTeam", kSolnaKommun, A::create, Team("saebo", {kSolnaSaeboChain}), kAllow},
      {"kommun updates SÄBO CareTeam", kSolnaKommun, A::update, Team("saebo", {kSolnaSaeboChain}), kAllow},
      {"kommun deletes SÄBO CareTeam", kSolnaKommun, A::delete_, Team("saebo", {kSolnaSaeboChain}), kAllow},
      {"kommun creates hemsjukvård CareTeam", kSolnaKommun, A::create, Team("hemsjukvard", {kSolnaHsvChain}), kAllow},
      {"kommun deletes hemsjukvård CareTeam", kSolnaKommun, A::delete_, Team("hemsjukvard", {kSolnaHsvChain}), kAllow},
      {"kommun creates CareTeam at another kommun's SÄBO", kSolnaKommun, A::create, Team("saebo", {kSundbybergSaeboChain}),
       kDeny},
      {"kommun creates vårdcentral CareTeam", kSolnaKommun, A::create, Team("vardcentral", {kVcChain}), kDeny},
      {"kommun creates CareTeam of other unit type in its chain", kSolnaKommun, A::create,
       Team("vardcentral", {kSolnaSaeboChain}), kDeny},
      {"kommun creates CareTeam of unknown unit type", kSolnaKommun, A::create, Team("", {kSolnaSaeboChain}), kDeny},
      {"kommun creates DocumentReference", kSolnaKommun, A::create, T("DocumentReference", {kSolnaHsvChain}), kDeny},
      {"kommun creates Patient", kSolnaKommun, A::create, T("Patient"), kDeny},
      {"kommun updates Patient", kSolnaKommun, A::update, Resident("Patient", true), kDeny},
      {"kommun creates Organization", kSolnaKommun, A::create, T("Organization", {kSolnaSaeboChain}), kDeny},
      {"kommun updates PractitionerRole", kSolnaKommun, A::update, T("PractitionerRole", {kSolnaSaeboChain}), kDeny},
      // municipality: reads its residents
      {"kommun reads a resident", kSolnaKommun, A::read, Resident("Patient", true), kAllow},
      {"kommun reads a non-resident", kSolnaKommun, A::read, Resident("Patient", false), kDeny},
      {"kommun searches residents' episodes", kSolnaKommun, A::search, Resident("EpisodeOfCare", true), kAllow},
      {"kommun searches non-residents' episodes", kSolnaKommun, A::search, Resident("EpisodeOfCare", false), kDeny},
      {"kommun reads a resident's CareTeam", kSolnaKommun, A::read, Resident("CareTeam", true), kAllow},
      {"kommun reads a non-resident's CareTeam", kSolnaKommun, A::read, Resident("CareTeam", false), kDeny},
      {"kommun reads a resident's contract", kSolnaKommun, A::read, Resident("DocumentReference", true), kAllow},
      {"kommun reads a non-resident's contract", kSolnaKommun, A::read, Resident("DocumentReference", false), kDeny},
      {"kommun reads a resident's history", kSolnaKommun, A::history, Resident("Patient", true), kDeny},
      {"kommun reads Organization", kSolnaKommun, A::read, T("Organization"), kAllow},
      {"kommun reads Practitioner", kSolnaKommun, A::read, T("Practitioner"), kAllow},
      {"kommun reads PractitionerRole", kSolnaKommun, A::read, T("PractitionerRole"), kAllow},
      {"kommun searches PractitionerRole", kSolnaKommun, A::search, T("PractitionerRole"), kAllow},
      {"kommun $fixed-contacts", kSolnaKommun, A::operation, Op("Patient", "$fixed-contacts"), kDeny},
      {"kommun $list-status", kSolnaKommun, A::operation, Op("PractitionerRole", "$list-status"), kDeny},
      {"kommun $export", kSolnaKommun, A::export_, Op("", "$export"), kDeny},
      {"kommun $evaluate-measure", kSolnaKommun, A::evaluate_measure, Op("Measure", "$evaluate-measure"), kDeny},
      {"kommun reads audit", kSolnaKommun, A::read_audit, T("AuditEvent"), kDeny},

      // statistics: $evaluate-measure and $export only
      {"statistics $evaluate-measure", kStatistics, A::evaluate_measure, Op("Measure", "$evaluate-measure"), kAllow},
      {"statistics $evaluate-measure as operation", kStatistics, A::operation, Op("Measure", "$evaluate-measure"), kAllow},
      {"statistics system $export", kStatistics, A::export_, Op("", "$export"), kAllow},
      {"statistics Patient/$export", kStatistics, A::export_, Op("Patient", "$export"), kAllow},
      {"statistics Group/$export as operation", kStatistics, A::operation, Op("Group", "$export"), kAllow},
      {"statistics reads Measure", kStatistics, A::read, T("Measure"), kAllow},
      {"statistics searches Measure", kStatistics, A::search, T("Measure"), kAllow},
      {"statistics reads Patient", kStatistics, A::read, T("Patient"), kDeny},
      {"statistics searches Patient", kStatistics, A::search, T("Patient"), kDeny},
      {"statistics reads a resident with the kommun flag", kStatistics, A::read, Resident("Patient", true), kDeny},
      {"statistics reads Organization", kStatistics, A::read, T("Organization"), kDeny},
      {"statistics searches CareTeam", kStatistics, A::search, T("CareTeam"), kDeny},
      {"statistics $fixed-contacts", kStatistics, A::operation, Op("Patient", "$fixed-contacts"), kDeny},
      {"statistics $list-status", kStatistics, A::operation, Op("Organization", "$list-status"), kDeny},
      {"statistics creates a listing", kStatistics, A::create, Episode("listning", {kVcChain}), kDeny},
      {"statistics exports AuditEvent", kStatistics, A::export_, Op("AuditEvent", "$export"), kDeny},
      {"statistics reads audit", kStatistics, A::read_audit, T("AuditEvent"), kDeny},

      // citizen portal: $fixed-contacts, a change of listing, choosing a unit/doctor
      {"portal $fixed-contacts", kPortal, A::operation, Op("Patient", "$fixed-contacts"), kAllow},
      {"portal creates a listing anywhere", kPortal, A::create, Episode("listning", {kOtherVcChain}), kAllow},
      {"portal creates a listing, unit unresolved", kPortal, A::create, Episode("listning", {}), kAllow},
      {"portal creates a saebo episode", kPortal, A::create, Episode("saebo", {kSolnaSaeboChain}), kDeny},
      {"portal updates a listing", kPortal, A::update, Episode("listning", {kVcChain}), kDeny},
      {"portal deletes a listing", kPortal, A::delete_, Episode("listning", {kVcChain}), kDeny},
      {"portal reads Organization", kPortal, A::read, T("Organization"), kAllow},
      {"portal searches Organization", kPortal, A::search, T("Organization"), kAllow},
      {"portal reads PractitionerRole", kPortal, A::read, T("PractitionerRole"), kAllow},
      {"portal searches PractitionerRole", kPortal, A::search, T("PractitionerRole"), kAllow},
      {"portal reads Practitioner (the doctor's name)", kPortal, A::read, T("Practitioner"), kAllow},
      {"portal searches Practitioner", kPortal, A::search, T("Practitioner"), kDeny},
      {"portal reads Patient", kPortal, A::read, T("Patient"), kDeny},
      {"portal searches EpisodeOfCare", kPortal, A::search, T("EpisodeOfCare"), kDeny},
      {"portal creates CareTeam", kPortal, A::create, Team("vardcentral", {kVcChain}), kDeny},
      {"portal creates Patient", kPortal, A::create, T("Patient"), kDeny},
      {"portal history of PractitionerRole", kPortal, A::history, T("PractitionerRole"), kDeny},
      {"portal $list-status", kPortal, A::operation, Op("PractitionerRole", "$list-status"), kDeny},
      {"portal $export", kPortal, A::export_, Op("", "$export"), kDeny},
      {"portal $evaluate-measure", kPortal, A::evaluate_measure, Op("Measure", "$evaluate-measure"), kDeny},
      {"portal reads audit", kPortal, A::read_audit, T("AuditEvent"), kDeny},
  };
}

TEST(DecideTest, Table) {
  for (const Row& row : Table()) {
    const Decision d = Decide(row.caller, row.action, row.target);
    EXPECT_EQ(d.allowed, row.allowed) << row.name << ": " << d.reason;
    // Both languages, for the OperationOutcome and the audit log.
    EXPECT_NE(d.reason.find(" ("), std::string::npos) << row.name << ": " << d.reason;
    EXPECT_EQ(d.reason.back(), ')') << row.name << ": " << d.reason;
  }
}

TEST(DecideTest, ReasonsSaySpecificallyWhy) {
  EXPECT_NE(Decide(kEhrVc, Action::create, Episode("listning", {kOtherVcChain})).reason.find("below them"),
            std::string::npos);
  // Rule 5: another kommun's SÄBO is named, with whose it is, and carries a detail code.
  Target foreign = Episode("saebo", {kSundbybergSaeboChain});
  foreign.managing_unit_label = "Solgården (Organization/saebo-1)";
  foreign.managing_unit_kommun = "Sundbybergs kommun";
  const Decision other = Decide(kSolnaKommun, Action::create, foreign);
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.detail_code, "other-municipality");
  EXPECT_EQ(other.reason.rfind("Solgården (Organization/saebo-1) hör till Sundbybergs kommun, inte till ", 0), 0u)
      << other.reason;
  EXPECT_NE(Decide(kSolnaKommun, Action::read, Resident("Patient", false)).reason.find("not a resident"),
            std::string::npos);
  EXPECT_NE(Decide(kEhrRegion, Action::delete_, T("Patient")).reason.find("only admin"), std::string::npos);
  EXPECT_NE(Decide(kStatistics, Action::read, T("Patient")).reason.find("role statistics may not read Patient"),
            std::string::npos);
  EXPECT_NE(Decide(kEhrRegion, Action::search, T("AuditEvent")).reason.find("only admin may read AuditEvent"),
            std::string::npos);
  EXPECT_NE(Decide(kAdmin, Action::delete_, T("AuditEvent")).reason.find("written only by the server"),
            std::string::npos);
}

// A write decided before its body is read: allowed when some content could be allowed, so the body's
// own faults are reported to those who may write; a role that never may is refused at once.
TEST(DecideTest, BeforeContentRefusesOnlyWhatNoContentCouldAllow) {
  struct Case {
    const char* name;
    Caller caller;
    Action action;
    const char* type;
    bool allowed;
  };
  const Case cases[] = {
      {"ehr creates a listing or a contact for its units", kEhrVc, Action::create, "EpisodeOfCare", kAllow},
      {"ehr creates a CareTeam", kEhrVc, Action::create, "CareTeam", kAllow},
      {"ehr updates a Task (a withdrawal)", kEhrVc, Action::update, "Task", kAllow},
      {"ehr registers a Patient", kEhrVc, Action::create, "Patient", kAllow},
      {"ehr never deletes a Patient", kEhrVc, Action::delete_, "Patient", kDeny},
      {"ehr never writes an Organization", kEhrVc, Action::create, "Organization", kDeny},
      {"a municipality writes SÄBO episodes", kSolnaKommun, Action::create, "EpisodeOfCare", kAllow},
      {"a municipality writes SÄBO contacts", kSolnaKommun, Action::update, "CareTeam", kAllow},
      {"a municipality never writes a Patient", kSolnaKommun, Action::create, "Patient", kDeny},
      {"statistics never writes", kStatistics, Action::create, "EpisodeOfCare", kDeny},
      {"the portal creates a listing", kPortal, Action::create, "EpisodeOfCare", kAllow},
      {"the portal never updates one", kPortal, Action::update, "EpisodeOfCare", kDeny},
      {"the portal never creates a CareTeam", kPortal, Action::create, "CareTeam", kDeny},
      {"admin writes anything", kAdmin, Action::create, "Organization", kAllow},
      {"nobody writes AuditEvent", kAdmin, Action::create, "AuditEvent", kDeny},
  };
  for (const Case& c : cases) {
    const Decision d = DecideBeforeContent(c.caller, c.action, c.type);
    EXPECT_EQ(d.allowed, c.allowed) << c.name << ": " << d.reason;
  }
  // The refusal is the one for the type alone.
  EXPECT_EQ(DecideBeforeContent(kPortal, Action::create, "CareTeam").reason,
            Decide(kPortal, Action::create, T("CareTeam")).reason);
  EXPECT_NE(DecideBeforeContent(kEhrVc, Action::delete_, "Patient").reason.find("only admin"), std::string::npos);
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role r : {Role::ehr, Role::municipality, Role::statistics, Role::citizen_portal, Role::admin}) {
    ASSERT_TRUE(ParseRole(RoleName(r)).has_value());
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(RoleName(Role::citizen_portal), "citizen-portal");
  EXPECT_FALSE(ParseRole("citizen_portal").has_value());
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
}

// access.json

// The shape auth/dev_pki.cpp writes.
const char* kDevPkiAccessJson = R"json({
  "clients": [
    {"hsaId": "SE2321000016-E001", "name": "Journalsystem Region Stockholm (TEST)", "role": "ehr", "organizations": ["SE2321000016-0001"]},
    {"hsaId": "SE2120000184-K001", "name": "Solna stad verksamhetssystem (TEST)", "role": "municipality", "organizations": ["SE2120000184-0001"]},
    {"hsaId": "SE2021005521-S001", "name": "Socialstyrelsen statistik (TEST)", "role": "statistics", "organizations": []},
    {"hsaId": "SE5565594230-P001", "name": "1177 Vårdguiden (TEST)", "role": "citizen-portal", "organizations": []},
    {"hsaId": "SE2321000016-A001", "name": "Nära Registry förvaltning (TEST)", "role": "admin", "organizations": []}
  ]
}
)json";

TEST(AccessPolicyTest, ParsesTheDevPkiFile) {
  Result<AccessPolicy> policy = AccessPolicy::Parse(kDevPkiAccessJson);
  ASSERT_TRUE(policy.ok()) << policy.error().text;
  ASSERT_EQ(policy->clients().size(), 5u);
  const ClientEntry& ehr = policy->clients()[0];
  EXPECT_EQ(ehr.hsa_id, "SE2321000016-E001");
  EXPECT_EQ(ehr.name, "Journalsystem Region Stockholm (TEST)");
  EXPECT_EQ(ehr.role, Role::ehr);
  EXPECT_EQ(ehr.organizations, std::vector<std::string>{"SE2321000016-0001"});
  EXPECT_EQ(ehr.rate_limit_per_minute, 0);
  EXPECT_EQ(policy->clients()[1].role, Role::municipality);
  EXPECT_EQ(policy->clients()[2].role, Role::statistics);
  EXPECT_EQ(policy->clients()[3].role, Role::citizen_portal);
  EXPECT_EQ(policy->clients()[3].name, "1177 Vårdguiden (TEST)");
  EXPECT_EQ(policy->clients()[4].role, Role::admin);
  ASSERT_NE(policy->Find("SE2120000184-K001"), nullptr);
  EXPECT_EQ(policy->Find("SE2120000184-K001")->role, Role::municipality);
  EXPECT_EQ(policy->Find("SE2120000184-K999"), nullptr);
}

TEST(AccessPolicyTest, OptionalFields) {
  Result<AccessPolicy> policy = AccessPolicy::Parse(
      R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","rateLimitPerMinute":600,
                      "organizations":["SE2321000016-0001","SE2321000016-0001","SE232100001600-1234"]}]})");
  ASSERT_TRUE(policy.ok()) << policy.error().text;
  const ClientEntry& c = policy->clients()[0];
  EXPECT_EQ(c.rate_limit_per_minute, 600);
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.organizations, (std::vector<std::string>{"SE2321000016-0001", "SE232100001600-1234"}));

  Result<AccessPolicy> empty = AccessPolicy::Parse(R"({"clients":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->clients().empty());
}

struct BadFile {
  const char* json;
  const char* expected_text;  // a fragment of the error text
};

TEST(AccessPolicyTest, RejectsBadFilesWithAClearText) {
  const std::vector<BadFile> cases = {
      {"", "not valid JSON"},
      {"{\"clients\":[}", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {"{}", "missing \"clients\""},
      {R"({"clients":{}})", "\"clients\" must be an array"},
      {R"({"clients":[], "extra": 1})", "unknown member \"extra\""},
      {R"({"clients":["SE2321000016-E001"]})", "clients[0] is not an object"},
      {R"({"clients":[{"role":"ehr"}]})", "clients[0]: missing \"hsaId\""},
      {R"({"clients":[{"hsaId":42,"role":"ehr"}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"se2321000016-E001","role":"ehr"}]})", "\"se2321000016-E001\" is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016E001","role":"ehr"}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE232100001-E001","role":"ehr"}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016-","role":"ehr"}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016-E 01","role":"ehr"}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr"},{"hsaId":"SE2321000016-E001","role":"admin"}]})",
       "clients[1] (SE2321000016-E001): duplicate hsaId SE2321000016-E001 (also clients[0])"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"doctor"}]})", "unknown role \"doctor\""},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"citizen_portal"}]})", "unknown role \"citizen_portal\""},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":7}]})", "unknown role (not a string)"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001"}]})", "clients[0] (SE2321000016-E001): missing \"role\""},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","name":5}]})", "\"name\" must be a string"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","organizations":"SE2321000016-0001"}]})",
       "\"organizations\" must be an array"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","organizations":["Region Stockholm"]}]})",
       "organization \"Region Stockholm\" is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","organizations":[1]}]})", "is not an HSA-id"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","rateLimitPerMinute":-1}]})", "rateLimitPerMinute"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","rateLimitPerMinute":"60"}]})", "rateLimitPerMinute"},
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","rateLimitPerMinute":1.5}]})", "rateLimitPerMinute"},
      // A misspelling must not silently drop a client's units.
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","organisations":["SE2321000016-0001"]}]})",
       "unknown member \"organisations\""},
      // A second "role" must not hide behind the first.
      {R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr","role":"admin"}]})", "\"role\" appears twice"},
      {R"({"clients":[], "clients":[]})", "\"clients\" appears twice"},
  };
  for (const BadFile& c : cases) {
    Result<AccessPolicy> policy = AccessPolicy::Parse(c.json);
    ASSERT_FALSE(policy.ok()) << c.json;
    EXPECT_EQ(policy.error().kind, ErrorKind::invalid) << c.json;
    EXPECT_NE(policy.error().text.find(c.expected_text), std::string::npos)
        << c.json << "\n  got: " << policy.error().text << "\n  expected to contain: " << c.expected_text;
  }
}

TEST(AccessPolicyTest, IdentifyFillsInTheCaller) {
  Result<AccessPolicy> policy = AccessPolicy::Parse(kDevPkiAccessJson);
  ASSERT_TRUE(policy.ok());
  Caller cert;
  cert.hsa_id = "SE2120000184-K001";
  cert.common_name = "Solna stad verksamhetssystem (TEST)";
  Result<Caller> caller = policy->Identify(cert);
  ASSERT_TRUE(caller.ok()) << caller.error().text;
  EXPECT_EQ(caller->hsa_id, "SE2120000184-K001");
  EXPECT_EQ(caller->common_name, cert.common_name);
  EXPECT_EQ(caller->role, "municipality");
  EXPECT_EQ(caller->name, "Solna stad verksamhetssystem (TEST)");
  EXPECT_EQ(caller->organizations, std::vector<std::string>{"SE2120000184-0001"});

  cert.hsa_id = "SE5565594230-P001";
  caller = policy->Identify(cert);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->role, "citizen-portal");
  EXPECT_TRUE(caller->organizations.empty());
}

TEST(AccessPolicyTest, IdentifyUsesTheCertificateNameWhenTheFileHasNone) {
  Result<AccessPolicy> policy = AccessPolicy::Parse(R"({"clients":[{"hsaId":"SE2321000016-E001","role":"ehr"}]})");
  ASSERT_TRUE(policy.ok());
  Caller cert;
  cert.hsa_id = "SE2321000016-E001";
  cert.common_name = "Journalsystem (TEST)";
  Result<Caller> caller = policy->Identify(cert);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->name, "Journalsystem (TEST)");
}

TEST(AccessPolicyTest, IdentifyUnknownIsForbidden) {
  Result<AccessPolicy> policy = AccessPolicy::Parse(kDevPkiAccessJson);
  ASSERT_TRUE(policy.ok());
  Caller cert;
  cert.hsa_id = "SE2321000016-E004";  // a valid certificate, not in the file
  Result<Caller> caller = policy->Identify(cert);
  ASSERT_FALSE(caller.ok());
  EXPECT_EQ(caller.error().kind, ErrorKind::forbidden);
  EXPECT_EQ(caller.error().text, "okänt HSA-id SE2321000016-E004 (unknown caller)");

  cert.hsa_id = "";
  caller = policy->Identify(cert);
  ASSERT_FALSE(caller.ok());
  EXPECT_EQ(caller.error().kind, ErrorKind::forbidden);
  EXPECT_EQ(caller.error().text, "okänt HSA-id (unknown caller)");

  cert.hsa_id = "SE2321000016-e001\n<script>";  // not echoed
  caller = policy->Identify(cert);
  ASSERT_FALSE(caller.ok());
  EXPECT_EQ(caller.error().text, "okänt HSA-id (unknown caller)");

  EXPECT_FALSE(AccessPolicy().Identify(cert).ok());
}

// files and reloading

class PolicyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "nara-policy-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    path_ = (dir_ / "access.json").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes the file and sets its modification time `seconds` from a fixed base, so that a change
  // is seen regardless of the file system's timestamp resolution.
  void Write(const std::string& text, int seconds) {
    {
      std::ofstream out(path_, std::ios::binary | std::ios::trunc);
      out << text;
    }
    struct utimbuf times;
    times.actime = times.modtime = base_ + seconds;
    ASSERT_EQ(utime(path_.c_str(), &times), 0);
  }

  static std::string OneClient(const std::string& hsa_id, const std::string& role = "ehr") {
    return R"({"clients":[{"hsaId":")" + hsa_id + R"(","role":")" + role + R"("}]})";
  }

  fs::path dir_;
  std::string path_;
  const std::time_t base_ = std::time(nullptr) - 3600;
};

TEST_F(PolicyFileTest, LoadReadsTheFileAndNamesItInErrors) {
  Write(kDevPkiAccessJson, 0);
  Result<AccessPolicy> policy = AccessPolicy::Load(path_);
  ASSERT_TRUE(policy.ok()) << policy.error().text;
  EXPECT_EQ(policy->clients().size(), 5u);

  Write(R"({"clients":[{"hsaId":"SE2321000016-E001","role":"doctor"}]})", 1);
  policy = AccessPolicy::Load(path_);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.error().kind, ErrorKind::invalid);
  EXPECT_EQ(policy.error().text.rfind(path_ + ": ", 0), 0u) << policy.error().text;
  EXPECT_NE(policy.error().text.find("unknown role"), std::string::npos);

  Result<AccessPolicy> missing = AccessPolicy::Load((dir_ / "nope.json").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::invalid);
  EXPECT_NE(missing.error().text.find("nope.json"), std::string::npos);
}

TEST_F(PolicyFileTest, ReloadsWhenTheFileChangesAndKeepsTheOldPolicyOnABrokenFile) {
  std::vector<std::string> errors;
  Write(OneClient("SE2321000016-E001"), 0);
  PolicyHolder holder(path_, std::chrono::milliseconds(0), [&](const std::string& e) { errors.push_back(e); });
  EXPECT_TRUE(holder.load_status().ok());
  std::shared_ptr<const AccessPolicy> first = holder.Current();
  ASSERT_NE(first->Find("SE2321000016-E001"), nullptr);

  Write(OneClient("SE2321000016-E002"), 10);
  std::shared_ptr<const AccessPolicy> second = holder.Current();
  EXPECT_EQ(second->Find("SE2321000016-E001"), nullptr);
  ASSERT_NE(second->Find("SE2321000016-E002"), nullptr);
  // A request still holding the previous policy keeps a valid one.
  EXPECT_NE(first->Find("SE2321000016-E001"), nullptr);

  // Broken: the previous policy stays, the error is reported once however often we ask.
  Write(R"({"clients":[{"hsaId":"SE2321000016-E003","role":"doctor"}]})", 20);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(holder.Current()->Find("SE2321000016-E002"), nullptr);
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("unknown role"), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find(path_), std::string::npos) << errors[0];
  EXPECT_FALSE(holder.load_status().ok());
  EXPECT_NE(holder.load_status().error().text.find("unknown role"), std::string::npos);

  // Fixed again.
  Write(OneClient("SE2321000016-E004", "admin"), 30);
  ASSERT_NE(holder.Current()->Find("SE2321000016-E004"), nullptr);
  EXPECT_EQ(holder.Current()->Find("SE2321000016-E004")->role, Role::admin);
  EXPECT_TRUE(holder.load_status().ok());
  EXPECT_EQ(errors.size(), 1u);

  // Broken in a new way (even with the same modification time but a new size): reported again.
  Write("{", 30);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E004"), nullptr);
  EXPECT_EQ(errors.size(), 2u);

  // Removed: still the last good policy, reported once.
  fs::remove(path_);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E004"), nullptr);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E004"), nullptr);
  EXPECT_EQ(errors.size(), 3u);

  // Back: loaded.
  Write(OneClient("SE2321000016-E005"), 40);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E005"), nullptr);
  EXPECT_EQ(errors.size(), 3u);

  // Renamed into place with the same size and modification time (cp -p, then mv): a new inode.
  const std::string staged = path_ + ".new";
  {
    std::ofstream out(staged, std::ios::binary);
    out << OneClient("SE2321000016-E006");
  }
  struct utimbuf times;
  times.actime = times.modtime = base_ + 40;
  ASSERT_EQ(utime(staged.c_str(), &times), 0);
  fs::rename(staged, path_);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E006"), nullptr);
  EXPECT_EQ(errors.size(), 3u);
}

TEST_F(PolicyFileTest, LooksAtTheFileAtMostOncePerInterval) {
  Write(OneClient("SE2321000016-E001"), 0);
  PolicyHolder holder(path_, std::chrono::hours(1));
  Write(OneClient("SE2321000016-E002"), 10);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E001"), nullptr);
  EXPECT_EQ(holder.Current()->Find("SE2321000016-E002"), nullptr);

  PolicyHolder quick(path_, std::chrono::milliseconds(20));
  Write(OneClient("SE2321000016-E003"), 20);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_NE(quick.Current()->Find("SE2321000016-E003"), nullptr);
}

TEST_F(PolicyFileTest, AFirstLoadThatFailsLeavesAnEmptyPolicy) {
  std::vector<std::string> errors;
  PolicyHolder holder(path_, std::chrono::milliseconds(0), [&](const std::string& e) { errors.push_back(e); });
  EXPECT_FALSE(holder.load_status().ok());
  EXPECT_TRUE(holder.Current()->clients().empty());
  Caller cert;
  cert.hsa_id = "SE2321000016-E001";
  EXPECT_EQ(holder.Current()->Identify(cert).error().kind, ErrorKind::forbidden);
  EXPECT_EQ(errors.size(), 1u);

  Write(OneClient("SE2321000016-E001"), 0);
  EXPECT_TRUE(holder.Current()->Identify(cert).ok());
  EXPECT_TRUE(holder.load_status().ok());
}

TEST_F(PolicyFileTest, TheErrorHookMayCallBackIntoTheHolder) {
  Write(OneClient("SE2321000016-E001"), 0);
  PolicyHolder* self = nullptr;
  size_t clients_seen_in_hook = 99;
  PolicyHolder holder(path_, std::chrono::milliseconds(0),
                      [&](const std::string&) { clients_seen_in_hook = self->Current()->clients().size(); });
  self = &holder;
  Write("not json", 10);
  EXPECT_EQ(holder.Current()->clients().size(), 1u);
  EXPECT_EQ(clients_seen_in_hook, 1u);
}

TEST_F(PolicyFileTest, ConcurrentReadersAlwaysSeeAWholePolicy) {
  Write(OneClient("SE2321000016-E000"), 0);
  std::atomic<int> errors{0};
  PolicyHolder holder(path_, std::chrono::milliseconds(0), [&](const std::string&) { ++errors; });
  std::atomic<bool> stop{false};
  std::atomic<long> bad{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop) {
        std::shared_ptr<const AccessPolicy> p = holder.Current();
        if (!p || p->clients().size() != 1) ++bad;
      }
    });
  }
  for (int i = 1; i <= 20; ++i) {
    // Replaced atomically, as an operator should.
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << OneClient("SE2321000016-E" + std::to_string(100 + i));
    }
    struct utimbuf times;
    times.actime = times.modtime = base_ + i;
    ASSERT_EQ(utime(tmp.c_str(), &times), 0);
    fs::rename(tmp, path_);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_NE(holder.Current()->Find("SE2321000016-E120"), nullptr);
}

}  // namespace
}  // namespace nara::auth
