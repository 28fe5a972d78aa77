#include "pg/internal/pg_import_checks.h"

#include <chrono>
#include <vector>

#include "registry/rules.h"

namespace nara::pg {
namespace {

// One rule: a query returning (line, detail text) of the first offending line, ordered by line.
struct Check {
  const char* code;  // rule_codes::… or a conflict's name
  ErrorKind kind;
  std::string sql;
};

// Statuses of episodes that never happened (listing_rules.cpp: they neither overlap nor count).
constexpr const char* kHappened = "status NOT IN ('cancelled', 'entered-in-error')";

std::optional<Error> Run(pqxx::transaction_base& tx, const std::vector<Check>& checks,
                         const ImportCheckOptions& options) {
  for (const Check& check : checks) {
    const auto started = std::chrono::steady_clock::now();
    const pqxx::result rows = tx.exec(check.sql);
    if (options.progress) {
      options.progress(std::string("check ") + check.code, 0,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (rows.empty()) continue;
    const long line = rows[0][0].as<long>();
    const auto owner = tx.exec_params("SELECT res_type || '/' || res_id FROM import_line WHERE line = $1", line);
    const std::string what = owner.empty() ? "" : " (" + owner[0][0].as<std::string>() + ")";
    const std::string text = "rad " + std::to_string(line) + what + ": " + rows[0][1].as<std::string>() +
                             " [" + check.code + "]; inget importerades (line " + std::to_string(line) +
                             ": nothing was imported)";
    return Error{check.kind, check.code, text, {}};
  }
  return std::nullopt;
}

// Two periods of one patient in force together, among rows of `table` matching `filter`, with at
// least one of them imported. Only patients with more than one such row are joined.
std::string Overlaps(const char* table, const char* id, const char* type, const std::string& filter,
                     const std::string& same, const std::string& what) {
  return std::string("WITH multi AS (SELECT patient_id FROM ") + table + " WHERE " + filter +
         " GROUP BY patient_id HAVING count(*) > 1), "
         "e AS MATERIALIZED (SELECT t.* FROM " + table + " t JOIN multi USING (patient_id) WHERE " + filter + ") "
         "SELECT COALESCE(la.line, lb.line), '" + what + ": ' || '" + type + "/' || a." + id + " || ' och " + type +
         "/' || b." + id + " || ' gäller samtidigt för Patient/' || a.patient_id || ' (in force at the same time)' "
         "FROM e a JOIN e b ON b.patient_id = a.patient_id AND b." + id + " > a." + id + " AND b.period && a.period" +
         same + " LEFT JOIN import_line la ON la.res_type = '" + type + "' AND la.res_id = a." + id +
         " LEFT JOIN import_line lb ON lb.res_type = '" + type + "' AND lb.res_id = b." + id +
         " WHERE COALESCE(la.line, lb.line) IS NOT NULL ORDER BY 1 LIMIT 1";
}

}  // namespace

std::optional<Error> CheckImportIdentities(pqxx::transaction_base& tx, const ImportCheckOptions& options) {
  const std::vector<Check> checks = {
      {"duplicate-id", ErrorKind::conflict,
       "SELECT max(line), 'samma id som rad ' || min(line) || ' (the same id as an earlier line)' FROM import_line "
       "GROUP BY res_type, res_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1"},
      {"already-exists", ErrorKind::conflict,
       "SELECT l.line, 'finns redan i registret; import skapar bara nya resurser (already in the registry: an "
       "import only creates resources)' FROM import_line l JOIN resource_current c USING (res_type, res_id) "
       "ORDER BY 1 LIMIT 1"},
      // The personnummer itself never goes into the message (docs/api.md section 7): the lines do.
      {"duplicate-identifier", ErrorKind::conflict,
       "SELECT max(line), CASE "
       "WHEN min(res_type) = 'Encounter' THEN "
       "'samma kontakt-id som rad ' || min(line) || ' (the same Encounter identifier as an earlier line)' "
       "WHEN system = 'urn:oid:1.2.752.29.4.19' THEN "
       "'samma HSA-id som rad ' || min(line) || ' (the same HSA-id as an earlier line)' "
       "ELSE 'samma personnummer/samordningsnummer som rad ' || min(line) || "
       "' (the same person identifier as an earlier line)' END "
       "FROM import_unique GROUP BY system, value HAVING count(*) > 1 ORDER BY 1 LIMIT 1"},
      {"identifier-in-use", ErrorKind::conflict,
       "SELECT i.line, CASE WHEN i.res_type = 'Encounter' THEN 'kontakt-id:t finns redan i ' WHEN i.system = "
       "'urn:oid:1.2.752.29.4.19' THEN 'HSA-id:t tillhör redan ' ELSE "
       "'personnumret/samordningsnumret tillhör redan ' END || u.res_type || '/' || u.res_id || "
       "' (the identifier already belongs to a resource)' FROM import_unique i JOIN unique_identifier u "
       "USING (system, value) ORDER BY 1 LIMIT 1"},
  };
  return Run(tx, checks, options);
}

std::optional<Error> CheckImportRules(pqxx::transaction_base& tx, const ImportCheckOptions& options) {
  using namespace rule_codes;
  const std::string happened = kHappened;
  // A place taken on a doctor's list today or later (pg_registry.cpp TakenPlace, rule 3).
  const std::string taken =
      "c.role_code = 2 AND c.status = 'active' AND (c.valid_to IS NULL OR (c.valid_to > CURRENT_DATE AND "
      "c.valid_to > c.valid_from))";
  std::vector<Check> checks = {
      {kUnknownReference, ErrorKind::business_rule,
       "SELECT l.line, r.target_type || '/' || r.target_id || ' finns inte (' || r.param || ': the referenced "
       "resource does not exist)' FROM import_line l JOIN search_reference r ON r.res_type = l.res_type AND "
       "r.res_id = l.res_id WHERE NOT EXISTS (SELECT 1 FROM resource_current c WHERE c.res_type = r.target_type "
       "AND c.res_id = r.target_id AND NOT c.deleted) ORDER BY 1 LIMIT 1"},
      {kNotAVardcentral, ErrorKind::business_rule,
       "SELECT l.line, 'Organization/' || e.unit_id || ' är inte en vårdcentral (a listing is at a vardcentral)' "
       "FROM registry_listing e JOIN import_line l ON l.res_type = 'EpisodeOfCare' AND l.res_id = e.episode_id "
       "LEFT JOIN registry_unit u ON u.unit_id = e.unit_id WHERE e.kind = 'listning' AND u.type IS DISTINCT FROM "
       "'vardcentral' ORDER BY 1 LIMIT 1"},
      {kNotASaebo, ErrorKind::business_rule,
       "SELECT l.line, 'Organization/' || e.unit_id || ' är inte ett SÄBO (a residency is in a saebo unit)' "
       "FROM registry_listing e JOIN import_line l ON l.res_type = 'EpisodeOfCare' AND l.res_id = e.episode_id "
       "LEFT JOIN registry_unit u ON u.unit_id = e.unit_id WHERE e.kind = 'saebo' AND u.type IS DISTINCT FROM "
       "'saebo' ORDER BY 1 LIMIT 1"},
      {kNotAHemsjukvard, ErrorKind::business_rule,
       "SELECT l.line, 'Organization/' || e.unit_id || ' är inte en hemsjukvårdsenhet (home health care is at a "
       "hemsjukvard unit)' FROM registry_listing e JOIN import_line l ON l.res_type = 'EpisodeOfCare' AND "
       "l.res_id = e.episode_id LEFT JOIN registry_unit u ON u.unit_id = e.unit_id WHERE e.kind = 'hemsjukvard' "
       "AND u.type IS DISTINCT FROM 'hemsjukvard' ORDER BY 1 LIMIT 1"},
      // Rule 1 (and one SÄBO at a time): a change finishes the old episode where the new one begins.
      {kOverlap, ErrorKind::business_rule,
       Overlaps("registry_listing", "episode_id", "EpisodeOfCare", happened, " AND b.kind = a.kind",
                "två listningar, boenden eller hemsjukvårdsepisoder")},
      // Rule 2: one active fast läkarkontakt at a time.
      {kAlreadyHasDoctor, ErrorKind::business_rule,
       Overlaps("registry_contact", "careteam_id", "CareTeam", "role_code = 2 AND status = 'active'", "",
                "två fasta läkarkontakter")},
      // Rule 4: one fast vårdkontakt per patient and managing unit.
      {kContactExists, ErrorKind::business_rule,
       Overlaps("registry_contact", "careteam_id", "CareTeam", "role_code IN (1, 3, 4) AND status = 'active'",
                " AND b.managing_unit_id = a.managing_unit_id", "två fasta vårdkontakter vid samma enhet")},
      // Rule 2: the doctor is a lakare, active, and works at the listing unit (or serves the SÄBO).
      {kNotADoctor, ErrorKind::business_rule,
       "SELECT l.line, 'PractitionerRole/' || r.role_id || ' har inte yrket läkare (a fast läkarkontakt is a "
       "doctor)' FROM registry_contact c JOIN import_line l ON l.res_type = 'CareTeam' AND l.res_id = "
       "c.careteam_id JOIN registry_role r ON r.role_id = c.practitioner_role_id WHERE c.role_code = 2 AND "
       "c.status = 'active' AND r.profession <> 'lakare' ORDER BY 1 LIMIT 1"},
      {kRoleInactive, ErrorKind::business_rule,
       "SELECT l.line, 'PractitionerRole/' || r.role_id || ' är inaktiv eller saknar yrke (the role is inactive "
       "or has no licensed profession)' FROM registry_contact c JOIN import_line l ON l.res_type = 'CareTeam' "
       "AND l.res_id = c.careteam_id JOIN registry_role r ON r.role_id = c.practitioner_role_id WHERE "
       "c.status = 'active' AND ((c.role_code = 2 AND NOT r.active) OR r.profession = '') ORDER BY 1 LIMIT 1"},
      {kWrongUnit, ErrorKind::business_rule,
       "SELECT l.line, 'PractitionerRole/' || r.role_id || ' hör till Organization/' || r.unit_id || ', men "
       "patienten var inte listad där ' || c.valid_from || ' och bor inte i ett SÄBO som enheten betjänar, eller "
       "managingOrganization är en annan enhet (the doctor must work at the listing unit)' "
       "FROM registry_contact c JOIN import_line l ON l.res_type = 'CareTeam' AND l.res_id = c.careteam_id "
       "JOIN registry_role r ON r.role_id = c.practitioner_role_id JOIN registry_unit u ON u.unit_id = r.unit_id "
       "WHERE c.role_code = 2 AND c.status = 'active' AND (c.managing_unit_id <> r.unit_id OR ("
       "NOT EXISTS (SELECT 1 FROM registry_listing e WHERE e.patient_id = c.patient_id AND e.kind = 'listning' "
       "AND e.status = 'active' AND e.unit_id = r.unit_id AND e.period @> c.valid_from) AND "
       "NOT EXISTS (SELECT 1 FROM registry_listing s WHERE s.patient_id = c.patient_id AND s.kind = 'saebo' "
       "AND s.status = 'active' AND s.period @> c.valid_from AND s.unit_id = ANY (u.serves_saebo)))) "
       "ORDER BY 1 LIMIT 1"},
      // Rule 6: a deceased patient has nothing running after the date of death, and nothing began then.
      {kDeceased, ErrorKind::business_rule,
       "WITH d AS (SELECT patient_id, deceased FROM registry_patient WHERE deceased IS NOT NULL), "
       "x AS (SELECT 'EpisodeOfCare' AS t, episode_id AS id, patient_id, deceased, status, valid_from, valid_to "
       "FROM registry_listing JOIN d USING (patient_id) UNION ALL SELECT 'CareTeam', careteam_id, patient_id, "
       "deceased, status, valid_from, valid_to FROM registry_contact JOIN d USING (patient_id)) "
       "SELECT COALESCE(lx.line, lp.line), x.t || '/' || x.id || ' gäller efter dödsdagen ' || x.deceased || "
       "' (nothing runs or begins after the date of death)' FROM x LEFT JOIN import_line lx ON lx.res_type = x.t "
       "AND lx.res_id = x.id LEFT JOIN import_line lp ON lp.res_type = 'Patient' AND lp.res_id = x.patient_id "
       "WHERE COALESCE(lx.line, lp.line) IS NOT NULL AND x." + happened + " AND ((x.status = 'active' AND "
       "(x.valid_to IS NULL OR x.valid_to > x.deceased)) OR x.valid_from >= x.deceased) ORDER BY 1 LIMIT 1"},
  };
  if (options.max_changes_per_year > 0) {
    const std::string max = std::to_string(options.max_changes_per_year);
    // Rule 7 as listing_rules.cpp counts it: a change is a listing that starts where another of the
    // patient's listings at another unit ended; at most `max` in the twelve months up to each one.
    checks.push_back(
        {kChangeLimit, ErrorKind::business_rule,
         "WITH l AS MATERIALIZED (SELECT * FROM registry_listing WHERE kind = 'listning' AND " + happened +
             " AND patient_id IN (SELECT patient_id FROM registry_listing WHERE kind = 'listning' GROUP BY 1 "
             "HAVING count(*) > " + max + ")), "
             "ch AS MATERIALIZED (SELECT DISTINCT b.patient_id, b.episode_id, b.valid_from FROM l a JOIN l b ON "
             "a.patient_id = b.patient_id AND a.valid_to = b.valid_from AND a.unit_id <> b.unit_id) "
             "SELECT min(il.line), 'mer än " + max + " byten av vårdcentral på tolv månader för Patient/' || "
             "c.patient_id || ' (more than " + max + " changes of listing in twelve months)' FROM ch c JOIN ch d "
             "ON d.patient_id = c.patient_id AND d.valid_from BETWEEN (c.valid_from - interval '1 year')::date AND "
             "c.valid_from JOIN import_line il ON il.res_type = 'EpisodeOfCare' AND il.res_id = c.episode_id "
             "GROUP BY c.patient_id, c.episode_id HAVING count(*) > " + max + " ORDER BY 1 LIMIT 1"});
  }
  // Rule 3 last: the count is over the whole list, so it names the role's last imported contact.
  if (options.check_capacity) checks.push_back(
      {kListFull, ErrorKind::business_rule,
       "SELECT max(l.line), 'listan för PractitionerRole/' || c.practitioner_role_id || ' är full: ' || count(*) || "
       "' fasta läkarkontakter, list-capacity ' || r.capacity || ' (the doctor''s list is over capacity)' "
       "FROM registry_contact c JOIN registry_role r ON r.role_id = c.practitioner_role_id LEFT JOIN import_line l "
       "ON l.res_type = 'CareTeam' AND l.res_id = c.careteam_id WHERE " + taken +
           " GROUP BY c.practitioner_role_id, r.capacity HAVING count(*) > r.capacity AND count(l.line) > 0 "
           "ORDER BY 1 LIMIT 1"});
  return Run(tx, checks, options);
}

}  // namespace nara::pg
