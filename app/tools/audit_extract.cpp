#include "app/tools/audit_extract.h"

#include <map>

#include "app/log.h"
#include "registry/identifier_system.h"
#include "registry/personnummer.h"
#include "pg/pg_store.h"

namespace nara::app {
namespace {


}  // namespace

int AuditExtract(const Config& config, const std::string& person_id, std::ostream& out) {
  const bool coordination = PersonId::Parse(person_id, PersonIdKind::samordningsnummer).ok();
  if (!coordination && !PersonId::Parse(person_id, PersonIdKind::personnummer).ok()) {
    Log("error", "audit_extract.invalid", {{"detail", "--patient takes a personnummer or samordningsnummer (12 digits)"}});
    return 64;
  }
  pg::PgStore store(config.database_url, 2, config.database_role);
  auto patients = store.Search(IdentifierSearch(
      "Patient", coordination ? systems::kSamordningsnummer : systems::kPersonnummer, person_id, 10));
  if (!patients) {
    Log("error", "audit_extract.failed", {{"detail", patients.error().text}});
    return 1;
  }
  if (patients->resources.empty()) {
    Log("error", "audit_extract.no_patient", {{"detail", "no patient with that identifier"}});
    return 1;
  }
  std::map<std::string, std::string> unit_names;  // HSA-id → name, looked up once each
  auto unit_name = [&](const std::string& hsa) -> std::string {
    auto it = unit_names.find(hsa);
    if (it != unit_names.end()) return it->second;
    std::string name;
    auto units = store.Search(IdentifierSearch("Organization", systems::kHsaId, hsa, 1));
    if (units && !units->resources.empty()) {
      const std::string& json = units->resources.front().json;
      // The name without a JSON parser: "name":"…" is written by the server itself.
      const auto key = json.find("\"name\":\"");
      if (key != std::string::npos) name = json.substr(key + 8, json.find('"', key + 8) - key - 8);
    }
    return unit_names[hsa] = name;
  };
  out << "# Loggutdrag (log extract): tidpunkt (UTC)\tvårdgivare/enhet (unit)\tHSA-id\tåtgärd (action)\tutfall (outcome)\n";
  long lines = 0;
  for (const auto& patient : patients->resources) {
    AuditQuery query;
    query.patient_id = patient.id;
    query.count = 1000;
    for (;;) {
      auto page = store.SearchAudit(query);
      if (!page) {
        Log("error", "audit_extract.failed", {{"detail", page.error().text}});
        return 1;
      }
      for (const auto& entry : *page) {
        const auto& r = entry.record;
        // Who, as the patient should see it: the unit, or the system's name when it acts for none.
        const std::string who = r.unit.empty() ? r.agent_name : unit_name(r.unit);
        out << entry.recorded << '\t' << who << '\t' << r.unit << '\t' << r.action << '\t' << r.outcome << '\n';
        ++lines;
      }
      if (static_cast<int>(page->size()) < query.count) break;
      query.offset += query.count;
    }
  }
  Log("info", "audit_extract.done", {{"lines", std::to_string(lines)}});
  return 0;
}

}  // namespace nara::app
