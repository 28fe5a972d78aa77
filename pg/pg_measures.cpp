#include "pg/pg_measures.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "pg/internal/connection_pool.h"
#include "pg/internal/pg_homecare_measures.h"
#include "pg/internal/read_router.h"

namespace nara::pg {
namespace {

// Which population a subject Organization restricts to (registry/measures.h, MeasureStore).
enum class Scope { national, vardcentral, region, kommun };

// What a resident row must carry for a measure: its numerator flag, and whether the population is
// only the SÄBO residents. Only what the measure needs is joined: every flag is a join over all
// residents, which a measure that does not count it would pay for and not use.
enum class Counted { nothing, lakare, vard };
struct Needs {
  Counted counted = Counted::nothing;
  bool saebo_only = false;
};

// The date parameters, as days since 1970-01-01 (Date's unit, as PgRegistry passes them). One-shot
// statements are planned with the values bound, so each `DATE '1970-01-01' + $n::int` is folded to a
// constant and the planner estimates `period @> D` from the statistics (a CROSS JOIN with a params
// row hid D from it: row estimates off by 1 000x, sorts instead of hashes, no parallel plans).
//  $1 the period end D; $2 subject Organization id; $3 the subject kommun's kommunkod;
//  $4, $5, $6 the latest birth dates of a resident aged 18, 65, 80 on D (LatestBirthDateAged).
#define NARA_DAY(n) "(DATE '1970-01-01' + $" #n "::int)"
constexpr const char* kD = NARA_DAY(1);

// The common table expressions every measure query starts from.
//  - params: unreferenced, so never executed; it only gives each parameter its type, as a statement
//    whose scope filter leaves $2 or $3 unused must still declare them;
//  - region_of: each unit's region, following partOf up to the nearest unit of type region (a few
//    thousand units: the walk costs milliseconds, against seconds for the residents);
//  - listed / saebo / lakare / vard: what was in force on D. The period decides, not today's status: a
//    finished episode counts for the dates it covers, an inactive contact only when it has an end
//    (one made inactive without an end date never ran as far as the registry can tell), and what never
//    happened (cancelled, entered-in-error, other) never counts — as PgRegistry's as-of counts;
//  - residents: patients alive on D (born on or before D, no death or one after D), one row each,
//    with their strata and the measure's numerator flag. A patient with two listings in force (which
//    rule 1 prevents) is attributed to the later one. The age band compares the birth date with three
//    thresholds computed once (no per-resident date arithmetic).
// Each unit's region (CommonTables and TrendTables), ending in ", ".
#define NARA_REGION_OF                                                                                      \
  "chain (start_id, cur_id, depth) AS ("                                                                   \
  "  SELECT unit_id, unit_id, 0 FROM registry_unit "                                                       \
  "  UNION ALL "                                                                                            \
  "  SELECT ch.start_id, u.part_of, ch.depth + 1 FROM chain ch JOIN registry_unit u ON u.unit_id = ch.cur_id " \
  "  WHERE u.type <> 'region' AND u.part_of <> '' AND ch.depth < 32), "                                     \
  "region_of AS ("                                                                                          \
  "  SELECT DISTINCT ON (ch.start_id) ch.start_id AS unit_id, ch.cur_id AS region_id "                      \
  "  FROM chain ch JOIN registry_unit u ON u.unit_id = ch.cur_id AND u.type = 'region' "                    \
  "  ORDER BY ch.start_id, ch.depth), "
constexpr const char* kRegionOf = NARA_REGION_OF;
#undef NARA_REGION_OF

// The vårdcentraler in scope (listning-per-lakare), as CommonTables and TrendTables name them.
std::string UnitsInScope(Scope scope) {
  return "units AS ("
         "  SELECT u.unit_id FROM registry_unit u "
         "  LEFT JOIN region_of ro ON ro.unit_id = u.unit_id "
         "  WHERE u.type = 'vardcentral' AND " +
         std::string(scope == Scope::vardcentral ? "u.unit_id = $2"
                     : scope == Scope::region    ? "ro.region_id = $2"
                     : scope == Scope::kommun    ? "u.kommun = $3"
                                                 : "TRUE") +
         ") ";
}

std::string CommonTables(Scope scope, const Needs& needs) {
  const std::string d = kD;
  const std::string contact_in_force =
      "(c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) AND c.period @> " + d;
  std::string filter = "TRUE";
  switch (scope) {
    case Scope::national: break;
    case Scope::vardcentral: filter = "ls.unit_id = $2"; break;
    case Scope::region: filter = "ls.unit_id IN (SELECT unit_id FROM region_of WHERE region_id = $2)"; break;
    case Scope::kommun: filter = "pt.kommun = $3"; break;
  }
  // The SÄBO measure's population is ~1 % of the residents: restricting the listings and contacts to
  // it before they are sorted and grouped saves that work for the other 99 %.
  const auto only_saebo = [&](const std::string& alias) {
    return needs.saebo_only ? " AND " + alias + ".patient_id IN (SELECT patient_id FROM saebo)" : std::string();
  };
  filter += only_saebo("pt");
  std::string counted = "false";
  std::string counted_join;
  if (needs.counted == Counted::lakare) {
    counted = "(k.patient_id IS NOT NULL)";
    counted_join = "  LEFT JOIN lakare k ON k.patient_id = pt.patient_id ";
  } else if (needs.counted == Counted::vard) {
    counted = "(k.patient_id IS NOT NULL)";
    counted_join = "  LEFT JOIN vard k ON k.patient_id = pt.patient_id ";
  }
  return
      std::string("WITH RECURSIVE params AS (SELECT $1::int, $2::text, $3::text, $4::int, $5::int, $6::int), ") +
      kRegionOf +
      "listed AS ("
      "  SELECT DISTINCT ON (l.patient_id) l.patient_id, l.unit_id FROM registry_listing l "
      "  WHERE l.kind = 'listning' AND l.status IN ('active', 'finished') AND l.period @> " + d + only_saebo("l") +
      "  ORDER BY l.patient_id, l.valid_from DESC, l.episode_id), "
      "saebo AS ("
      "  SELECT DISTINCT l.patient_id FROM registry_listing l "
      "  WHERE l.kind = 'saebo' AND l.status IN ('active', 'finished') AND l.period @> " + d + "), "
      "lakare AS (SELECT DISTINCT c.patient_id FROM registry_contact c WHERE c.role_code = 2 AND " +
      contact_in_force + only_saebo("c") + "), "
      "vard AS (SELECT DISTINCT c.patient_id FROM registry_contact c WHERE c.role_code IN (1, 3, 4) AND " +
      contact_in_force + "), "
      "residents AS ("
      "  SELECT pt.patient_id, "
      "    CASE WHEN pt.gender IN ('male', 'female', 'other') THEN pt.gender ELSE 'unknown' END AS sex, "
      "    COALESCE(NULLIF(pt.kommun, ''), 'none') AS kommun, "
      "    ls.unit_id AS unit, "
      "    CASE WHEN pt.birth_date IS NULL THEN 'unknown' WHEN pt.birth_date > " NARA_DAY(4) " THEN '0-17' "
      "         WHEN pt.birth_date > " NARA_DAY(5) " THEN '18-64' WHEN pt.birth_date > " NARA_DAY(6) " THEN '65-79' "
      "         ELSE '80+' END AS age_band, " +
      counted + " AS counted "
      "  FROM registry_patient pt "
      "  LEFT JOIN listed ls ON ls.patient_id = pt.patient_id " +
      counted_join +
      "  WHERE (pt.deceased IS NULL OR pt.deceased > " + d + ") AND (pt.birth_date IS NULL OR pt.birth_date <= " + d +
      ")    AND " + filter + "), " +
      UnitsInScope(scope);
}

// One row per stratum: the stratifier ("" for the whole population), its value, the population and
// the numerator. One pass over the residents groups them by kommun, listing unit, age band and sex;
// the region of a resident is the region of the listing unit, so the region strata are sums of the
// unit strata (a join of ~1 200 rows, not one per resident, and no sort of the residents by region).
// Unlisted residents (unit NULL) are the vårdcentral and region "none"; the vårdcentral rows are
// summed by their shown value so they group exactly as COALESCE(unit, 'none') per resident would.
const char* kResidentCounts =
    ", counts AS ("
    "  SELECT CASE WHEN GROUPING(kommun) = 0 THEN 'kommun' WHEN GROUPING(unit) = 0 THEN 'vardcentral' "
    "              WHEN GROUPING(age_band) = 0 THEN 'age-band' WHEN GROUPING(sex) = 0 THEN 'sex' ELSE '' END AS stratifier, "
    "         COALESCE(kommun, age_band, sex, '') AS value, unit, "
    "         count(*) AS population, count(*) FILTER (WHERE counted) AS hits "
    "  FROM residents GROUP BY GROUPING SETS ((), (kommun), (unit), (age_band), (sex))) "
    "SELECT stratifier, value, population, hits FROM counts WHERE stratifier <> 'vardcentral' "
    "UNION ALL "
    "SELECT 'vardcentral', COALESCE(unit, 'none'), sum(population)::bigint, sum(hits)::bigint FROM counts "
    "WHERE stratifier = 'vardcentral' GROUP BY 2 "
    "UNION ALL "
    "SELECT 'region', COALESCE(ro.region_id, 'none'), sum(c.population)::bigint, sum(c.hits)::bigint "
    "FROM counts c LEFT JOIN region_of ro ON ro.unit_id = c.unit WHERE c.stratifier = 'vardcentral' GROUP BY 2";

// Patient contracts (docs/api.md section 5): the document's own dates decide, not when the registry
// heard of it, so a registry loaded at go-live reports the past. Each DocumentReference as it stands
// now (its latest version; a deleted or entered-in-error one never counts) of type patientkontrakt
// (NR/CodeSystem/document-type, fhir/resources/registry_mapping.h kDocumentType; not included here,
// the adapter sits below fhir/) is dated by its `date` (the date part as written) or, without one,
// the UTC day its first version was stored. It counts on D when dated on or before D and its subject
// is a resident in scope, if current; if superseded, only until it was replaced: from the date of the
// contract whose relatesTo says it replaces it, or else of the patient's next later-dated contract
// (one superseded by nothing the registry knows never counts: when it ended is unknown).
// versions, docs (each patient contract as it stands now, dated), replacing (kContractCounts, kTrendContracts).
#define NARA_CONTRACT_DOCS \
    ", versions AS ("                                                                                             \
    "  SELECT DISTINCT ON (v.res_id) v.res_id, v.deleted, v.body, "                                               \
    "         min(v.last_updated) OVER (PARTITION BY v.res_id) AS first_stored "                                  \
    "  FROM resource_version v WHERE v.res_type = 'DocumentReference' "                                           \
    "  ORDER BY v.res_id, v.version DESC), "                                                                      \
    "docs AS ("                                                                                                   \
    "  SELECT x.res_id AS id, x.j, x.j->>'status' AS status, "                                                    \
    "         substring(x.j->'subject'->>'reference' FROM 'Patient/([^/]+)') AS patient_id, "                     \
    "         COALESCE(substring(x.j->'custodian'->>'reference' FROM 'Organization/([^/]+)'), 'none') AS unit, "  \
    "         CASE WHEN x.j->>'date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN left(x.j->>'date', 10)::date "          \
    "              WHEN x.j->>'date' ~ '^[0-9]{4}-[0-9]{2}$' THEN (x.j->>'date' || '-01')::date "                 \
    "              WHEN x.j->>'date' ~ '^[0-9]{4}$' THEN (x.j->>'date' || '-01-01')::date "                       \
    "              ELSE (x.first_stored AT TIME ZONE 'UTC')::date END AS d "                                      \
    "  FROM (SELECT res_id, first_stored, body::jsonb AS j FROM versions WHERE NOT deleted) x "                   \
    "  WHERE x.j->>'status' IN ('current', 'superseded') AND EXISTS ("                                            \
    "    SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(x.j->'type'->'coding') = 'array' "             \
    "                                            THEN x.j->'type'->'coding' ELSE '[]'::jsonb END) cd "            \
    "    WHERE cd->>'system' = 'https://fhir.nara-registry.org/CodeSystem/document-type' "                        \
    "      AND cd->>'code' = 'patientkontrakt')), "                                                               \
    "replacing AS ("                                                                                              \
    "  SELECT substring(rt->'target'->>'reference' FROM 'DocumentReference/([^/]+)') AS old_id, y.d "             \
    "  FROM docs y CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(y.j->'relatesTo') = 'array' "   \
    "                                                          THEN y.j->'relatesTo' ELSE '[]'::jsonb END) rt "   \
    "  WHERE rt->>'code' = 'replaces'), "
const char* kContractCounts =
    NARA_CONTRACT_DOCS
    "contracts AS ("
    "  SELECT x.patient_id, x.unit FROM docs x "
    "  WHERE x.d <= " NARA_DAY(1) " AND (x.status = 'current' OR COALESCE("
    "    (SELECT min(r.d) FROM replacing r WHERE r.old_id = x.id), "
    "    (SELECT min(y.d) FROM docs y WHERE y.patient_id = x.patient_id AND y.id <> x.id AND y.d > x.d)) > "
    NARA_DAY(1) ")) "
    "SELECT CASE WHEN GROUPING(r.age_band) = 0 THEN 'age-band' WHEN GROUPING(k.unit) = 0 THEN 'unit' ELSE '' END, "
    "       COALESCE(r.age_band, k.unit, ''), count(*) "
    "FROM contracts k JOIN residents r ON r.patient_id = k.patient_id "
    "GROUP BY GROUPING SETS ((), (r.age_band), (k.unit))";

// listning-per-lakare: active lakare roles at vårdcentraler in scope with their role-2 contacts in force
// on D (as PgRegistry::CountDoctorContactsOn). registry_role keeps no history, so "active" is the role
// as it stands now.
const char* kDoctorLoads =
    "SELECT r.role_id, r.unit_id, r.fte::float8, r.capacity, count(c.careteam_id) "
    "FROM registry_role r JOIN units un ON un.unit_id = r.unit_id "
    "LEFT JOIN registry_contact c ON c.practitioner_role_id = r.role_id AND c.role_code = 2 "
    "  AND (c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) AND c.period @> " NARA_DAY(1) " "
    "WHERE r.active AND r.profession = 'lakare' "
    "GROUP BY r.role_id, r.unit_id, r.fte, r.capacity ORDER BY r.role_id";

// Listings in force on D per vårdcentral in scope (as PgRegistry::CountListingsAtUnit), in one grouped
// join: a count per unit would scan the listings once per vårdcentral (the unit index covers only
// active listings, and a finished one in force on D counts too).
const char* kUnitListings =
    "SELECT un.unit_id, count(l.episode_id) FROM units un "
    "LEFT JOIN registry_listing l ON l.unit_id = un.unit_id AND l.kind = 'listning' "
    "  AND l.status IN ('active', 'finished') AND l.period @> " NARA_DAY(1) " "
    "GROUP BY un.unit_id ORDER BY un.unit_id";

// Continuity of care (docs/api.md section 11), after CommonTables with the continuity parameters
//  $7, $8 the window in months and days; $9 'all' for visits anywhere, else 'unit' (at the listing
//  unit on D); $10 the class ('' = all); $11 't' for doctor visits only; $12 minVisits.
// cv: the counted visits of residents listed on D: finished, in (D − window, D], with a named primary
// performer. A provider is the person (the PractitionerRole's Practitioner; the role itself when it
// names none), so a doctor met at two units under two roles is one provider.
// per_patient: N, Σnᵢ², max nᵢ per resident with at least minVisits counted visits; flk: visits with
// the fast läkarkontakt (the same person) in force on the visit's date, as the measures of section 5
// decide "in force". scored: one row per resident in the population with the index (NULL where it is
// undefined: COC needs two visits) and the strata; the groups are summed as kResidentCounts does.
const char* kContinuityTables =
    ", cv AS ("
    "  SELECT r.patient_id, vi.visit_date, COALESCE(NULLIF(ro.practitioner_id, ''), vi.practitioner_role_id) AS provider "
    "  FROM residents r JOIN registry_visit vi ON vi.patient_id = r.patient_id "
    "  LEFT JOIN registry_role ro ON ro.role_id = vi.practitioner_role_id "
    "  WHERE r.unit IS NOT NULL AND vi.status = 'finished' AND vi.practitioner_role_id <> '' "
    "    AND vi.visit_date <= " NARA_DAY(1) " "
    "    AND vi.visit_date > (" NARA_DAY(1) " - make_interval(months => $7::int, days => $8::int))::date "
    "    AND ($9::text = 'all' OR vi.unit_id = r.unit) "
    "    AND ($10::text = '' OR vi.class = $10::text) "
    "    AND (NOT $11::bool OR ro.profession = 'lakare')), "
    "per_provider AS (SELECT patient_id, provider, count(*) AS ni FROM cv GROUP BY patient_id, provider), "
    "per_patient AS ("
    "  SELECT patient_id, sum(ni)::bigint AS n, sum(ni * ni)::bigint AS sq, max(ni)::bigint AS mx "
    "  FROM per_provider GROUP BY patient_id HAVING sum(ni) >= $12::int), "
    "flk AS ("
    "  SELECT cv.patient_id, count(*) AS hits FROM cv WHERE EXISTS ("
    "    SELECT 1 FROM registry_contact c JOIN registry_role cr ON cr.role_id = c.practitioner_role_id "
    "    WHERE c.patient_id = cv.patient_id AND c.role_code = 2 "
    "      AND (c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) "
    "      AND c.period @> cv.visit_date AND COALESCE(NULLIF(cr.practitioner_id, ''), cr.role_id) = cv.provider) "
    "  GROUP BY cv.patient_id), "
    "scored AS ("
    "  SELECT r.sex, r.kommun, r.unit, r.age_band, CASE WHEN s.patient_id IS NULL THEN 'nej' ELSE 'ja' END AS saebo, "
    "         CASE WHEN $13::text = 'coc' THEN CASE WHEN p.n > 1 THEN (p.sq - p.n)::float8 / (p.n * (p.n - 1)) END "
    "              WHEN $13::text = 'upc' THEN p.mx::float8 / p.n ELSE 0 END AS value, "
    "         COALESCE(f.hits, 0) AS hits, p.n "
    "  FROM per_patient p JOIN residents r ON r.patient_id = p.patient_id "
    "  LEFT JOIN saebo s ON s.patient_id = p.patient_id LEFT JOIN flk f ON f.patient_id = p.patient_id), "
    "counts AS ("
    "  SELECT CASE WHEN GROUPING(kommun) = 0 THEN 'kommun' WHEN GROUPING(unit) = 0 THEN 'vardcentral' "
    "              WHEN GROUPING(age_band) = 0 THEN 'age-band' WHEN GROUPING(sex) = 0 THEN 'sex' "
    "              WHEN GROUPING(saebo) = 0 THEN 'saebo' ELSE '' END AS stratifier, "
    "         COALESCE(kommun, age_band, sex, saebo, '') AS value, unit, "
    "         count(*) AS population, COALESCE(sum(value), 0) AS total, sum(hits)::bigint AS hits, sum(n)::bigint AS visits "
    "  FROM scored WHERE value IS NOT NULL "
    "  GROUP BY GROUPING SETS ((), (kommun), (unit), (age_band), (sex), (saebo))) "
    "SELECT stratifier, value, population, total, hits, visits FROM counts WHERE stratifier <> 'vardcentral' "
    "UNION ALL "
    "SELECT 'vardcentral', unit, sum(population)::bigint, sum(total), sum(hits)::bigint, sum(visits)::bigint "
    "FROM counts WHERE stratifier = 'vardcentral' GROUP BY 2 "
    "UNION ALL "
    "SELECT 'region', COALESCE(ro.region_id, 'none'), sum(c.population)::bigint, sum(c.total), sum(c.hits)::bigint, "
    "       sum(c.visits)::bigint "
    "FROM counts c LEFT JOIN region_of ro ON ro.unit_id = c.unit WHERE c.stratifier = 'vardcentral' GROUP BY 2";

size_t StratifierRank(const MeasureDefinition& def, const std::string& stratifier) {
  const auto it = std::find(def.stratifiers.begin(), def.stratifiers.end(), stratifier);
  return static_cast<size_t>(it - def.stratifiers.begin());
}

void SortStrata(const MeasureDefinition& def, std::vector<StratumResult>& strata) {
  std::sort(strata.begin(), strata.end(), [&](const StratumResult& a, const StratumResult& b) {
    const size_t ra = StratifierRank(def, a.stratifier), rb = StratifierRank(def, b.stratifier);
    if (ra != rb) return ra < rb;
    return a.value < b.value;
  });
}

std::optional<double> Ratio(double numerator, double denominator) {
  if (denominator <= 0) return std::nullopt;
  return numerator / denominator;
}

// The largest birth date of someone aged `years` or more on `on`. AgeOn (registry/measures.h) counts
// the birthdays passed, b.AddYears(years) <= on, and AddYears never decreases as b grows, so the
// residents of that age are exactly those born on or before this date. Found with AddYears itself
// (29 February + n years = 28 February in a common year), so the SQL bands agree with AgeBandOn.
Date LatestBirthDateAged(int years, Date on) {
  Date b = on.AddYears(-years);
  while (b.AddDays(1).AddYears(years) <= on) b = b.AddDays(1);
  while (b.AddYears(years) > on) b = b.AddDays(-1);
  return b;
}

// The statement parameters $1..$6 of CommonTables.
using Params = std::vector<std::string>;

pqxx::result Run(pqxx::transaction_base& tx, const std::string& sql, const Params& p) {
  return tx.exec_params(sql, p[0], p[1], p[2], p[3], p[4], p[5]);
}

Needs NeedsOf(const MeasureDefinition& def) {
  Needs needs;
  if (def.id == kMeasureFastLakarkontakt) needs.counted = Counted::lakare;
  if (def.id == kMeasureSaeboFastLakarkontakt) needs = {Counted::lakare, true};
  if (def.id == kMeasureFastVardkontakt) needs.counted = Counted::vard;
  return needs;
}

void EvaluateProportion(pqxx::transaction_base& tx, const std::string& prefix, const Params& params,
                        MeasureResult& out) {
  // kResidentCounts: (stratifier, value, denominator, numerator).
  const int num = 3, den = 2;
  const auto rows = Run(tx, prefix + kResidentCounts, params);
  for (const auto& row : rows) {
    const std::string stratifier = row[0].as<std::string>();
    const long n = row[num].as<long>(), d = row[den].as<long>();
    if (stratifier.empty()) {
      out.numerator = n;
      out.denominator = d;
    } else if (d > 0) {
      out.strata.push_back({stratifier, row[1].as<std::string>(), n, d, std::nullopt});
    }
  }
  out.score = Ratio(static_cast<double>(out.numerator), static_cast<double>(out.denominator));
}

void EvaluateContracts(pqxx::transaction_base& tx, const std::string& prefix, const Params& params,
                       MeasureResult& out) {
  const auto rows = Run(tx, prefix + kContractCounts, params);
  for (const auto& row : rows) {
    const std::string stratifier = row[0].as<std::string>();
    const long n = row[2].as<long>();
    if (stratifier.empty()) {
      out.numerator = n;
    } else if (n > 0) {
      out.strata.push_back({stratifier, row[1].as<std::string>(), n, 0, std::nullopt});
    }
  }
  out.denominator = 0;
  out.score = static_cast<double>(out.numerator);
}

void EvaluateListSizes(pqxx::transaction_base& tx, const std::string& prefix, const Params& params,
                       MeasureResult& out) {
  ListSizeDistribution dist;
  for (const auto& label : ListSizeBinLabels()) dist.bins.push_back({label, 0});
  std::map<std::string, UnitListedPerFte> units;
  for (const auto& row : Run(tx, prefix + kUnitListings, params)) {
    UnitListedPerFte u;
    u.unit_id = row[0].as<std::string>();
    u.listed = row[1].as<long>();
    units.emplace(u.unit_id, u);
  }
  for (const auto& row : Run(tx, prefix + kDoctorLoads, params)) {
    DoctorListSize d;
    d.role_id = row[0].as<std::string>();
    d.unit_id = row[1].as<std::string>();
    d.fte = row[2].as<double>();
    d.capacity = row[3].as<int>();
    d.listed = row[4].as<long>();
    const std::string bin = ListSizeBinOf(d.listed, d.capacity);
    for (auto& b : dist.bins) {
      if (b.label == bin) ++b.doctors;
    }
    auto& unit = units[d.unit_id];  // present: kDoctorLoads joins the same units
    unit.unit_id = d.unit_id;
    unit.doctors += 1;
    unit.doctor_fte += d.fte;
    dist.doctors.push_back(std::move(d));
  }
  double fte = 0;
  long listed = 0, doctors = 0;
  for (auto& entry : units) {
    UnitListedPerFte& u = entry.second;
    u.listed_per_fte = Ratio(static_cast<double>(u.listed), u.doctor_fte);
    listed += u.listed;
    doctors += u.doctors;
    fte += u.doctor_fte;
    out.strata.push_back({kStratVardcentral, u.unit_id, u.listed, u.doctors, std::nullopt});
    dist.units.push_back(u);
  }
  out.numerator = listed;
  out.denominator = doctors;
  out.score = Ratio(static_cast<double>(listed), fte);
  out.list_sizes = std::move(dist);
}

// One continuity figure as of params[0] (docs/api.md section 11): the mean index (mean kinds) or
// flk visits / doctor visits (kontinuitet-fast-lakare-andel), with strata.
void EvaluateContinuity(pqxx::transaction_base& tx, const std::string& prefix, const Params& p,
                        const MeasureDefinition& def, const ContinuityOptions& o, MeasureResult& out) {
  const bool doctors = def.id != kMeasureCocAlla;
  const std::string index = def.id == kMeasureUpc ? "upc" : def.kind == MeasureKind::mean ? "coc" : "share";
  const auto rows = tx.exec_params(prefix + kContinuityTables, p[0], p[1], p[2], p[3], p[4], p[5], o.window_months,
                                   o.window_days, o.scope_all ? "all" : "unit", o.visit_class, doctors,
                                   o.min_visits, index);
  const bool share = index == "share";
  for (const auto& row : rows) {
    const std::string stratifier = row[0].as<std::string>();
    const long population = row[2].as<long>();
    const double total = row[3].as<double>();
    const long hits = row[4].is_null() ? 0 : row[4].as<long>();
    const long visits = row[5].is_null() ? 0 : row[5].as<long>();
    StratumResult s{stratifier, row[1].as<std::string>(), share ? hits : population, share ? visits : population,
                    std::nullopt};
    s.score = share ? Ratio(static_cast<double>(hits), static_cast<double>(visits))
                    : Ratio(total, static_cast<double>(population));
    if (stratifier.empty()) {
      out.numerator = s.numerator;
      out.denominator = s.denominator;
      out.score = s.score;
    } else if (s.denominator > 0) {
      out.strata.push_back(std::move(s));
    }
  }
}

// The trend (MeasureStore::Trend): the headline figure of a measure as of many dates in one statement.
// dates: the dates as days since 1970-01-01 ($1 int[]); every "in force on D" of CommonTables becomes a
// join of the dates to the period ranges (each table read once, the dates joined as a 24-row inner
// side), and each CTE carries its date d. No strata: a trend point is the whole population in scope.
//  $1 the dates; $2 subject Organization id; $3 the subject kommun's kommunkod.
std::string TrendTables(Scope scope, const Needs& needs) {
  const std::string contact_in_force =
      "(c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) AND c.period @> dt.d";
  std::string filter = "TRUE";
  switch (scope) {
    case Scope::national: break;
    case Scope::vardcentral: filter = "ls.unit_id = $2"; break;
    case Scope::region: filter = "ls.unit_id IN (SELECT unit_id FROM region_of WHERE region_id = $2)"; break;
    case Scope::kommun: filter = "pt.kommun = $3"; break;
  }
  if (needs.saebo_only) filter += " AND (dt.d, pt.patient_id) IN (SELECT d, patient_id FROM saebo)";
  // Joined, not asked per row: an IN (subquery) in the select list is a SubPlan the planner may run
  // once per resident and date.
  std::string counted = "false", counted_join;
  if (needs.counted != Counted::nothing) {
    counted = "(k.patient_id IS NOT NULL)";
    counted_join = std::string("  LEFT JOIN ") + (needs.counted == Counted::lakare ? "lakare" : "vard") +
                   " k ON k.d = dt.d AND k.patient_id = pt.patient_id ";
  }
  return std::string(
             "WITH RECURSIVE params AS (SELECT $1::int[], $2::text, $3::text), "
             "dates AS (SELECT DISTINCT (DATE '1970-01-01' + x)::date AS d FROM unnest($1::int[]) x), ") +
         kRegionOf +
         "listed AS ("
         "  SELECT DISTINCT ON (dt.d, l.patient_id) dt.d, l.patient_id, l.unit_id "
         "  FROM dates dt JOIN registry_listing l ON l.period @> dt.d "
         "  WHERE l.kind = 'listning' AND l.status IN ('active', 'finished') "
         "  ORDER BY dt.d, l.patient_id, l.valid_from DESC, l.episode_id), "
         "saebo AS ("
         "  SELECT DISTINCT dt.d, l.patient_id FROM dates dt JOIN registry_listing l ON l.period @> dt.d "
         "  WHERE l.kind = 'saebo' AND l.status IN ('active', 'finished')), "
         "lakare AS (SELECT DISTINCT dt.d, c.patient_id FROM dates dt JOIN registry_contact c ON c.role_code = 2 AND " +
         contact_in_force + "), "
         "vard AS (SELECT DISTINCT dt.d, c.patient_id FROM dates dt JOIN registry_contact c ON c.role_code IN (1, 3, 4) AND " +
         contact_in_force + "), "
         "residents AS ("
         "  SELECT dt.d, pt.patient_id, ls.unit_id AS unit, " + counted + " AS counted "
         "  FROM dates dt JOIN registry_patient pt "
         "    ON (pt.deceased IS NULL OR pt.deceased > dt.d) AND (pt.birth_date IS NULL OR pt.birth_date <= dt.d) "
         "  LEFT JOIN listed ls ON ls.d = dt.d AND ls.patient_id = pt.patient_id " +
         counted_join + "  WHERE " + filter + "), " +
         UnitsInScope(scope);
}

// Proportions: (d, residents, counted residents).
const char* kTrendResidents =
    "SELECT d - DATE '1970-01-01', count(*), count(*) FILTER (WHERE counted) FROM residents GROUP BY d";

// Patient contracts: (d, contracts of residents in scope). `until`: the date a superseded contract was
// replaced (kContractCounts' rule, computed once per contract instead of once per date).
const char* kTrendContracts =
    NARA_CONTRACT_DOCS
    "spans AS ("
    "  SELECT x.patient_id, x.d, x.status, COALESCE("
    "    (SELECT min(r.d) FROM replacing r WHERE r.old_id = x.id), "
    "    (SELECT min(y.d) FROM docs y WHERE y.patient_id = x.patient_id AND y.id <> x.id AND y.d > x.d)) AS until "
    "  FROM docs x), "
    "contracts AS ("
    "  SELECT dt.d, k.patient_id FROM dates dt JOIN spans k "
    "    ON k.d <= dt.d AND (k.status = 'current' OR k.until > dt.d)) "
    "SELECT k.d - DATE '1970-01-01', count(*) FROM contracts k JOIN residents r ON r.d = k.d AND r.patient_id = k.patient_id GROUP BY k.d";

// listning-per-lakare: (d, listings in force at the vårdcentraler in scope); the doctors are kTrendDoctors.
const char* kTrendListings =
    "SELECT dt.d - DATE '1970-01-01', count(*) FROM dates dt JOIN registry_listing l ON l.period @> dt.d "
    "JOIN units un ON un.unit_id = l.unit_id "
    "WHERE l.kind = 'listning' AND l.status IN ('active', 'finished') GROUP BY dt.d";
// The active lakare roles at vårdcentraler in scope, in kDoctorLoads' order (registry_role keeps no
// history: the same for every date).
const char* kTrendDoctors =
    "SELECT r.unit_id, r.fte::float8 FROM registry_role r JOIN units un ON un.unit_id = r.unit_id "
    "WHERE r.active AND r.profession = 'lakare' ORDER BY r.role_id";

// Continuity: kContinuityTables per date, without strata. $4, $5 window months and days; $6 'all' or
// 'unit'; $7 class; $8 doctors only; $9 minVisits. Returns (d, population, Σ index, flk visits, visits).
// vis: each finished visit with a named performer in the widest window once, with its provider and,
// for the share, whether it was with the fast läkarkontakt in force on its date (that depends on the
// visit alone, so it is asked once per visit, not once per date whose window holds it); cv joins them
// to the residents per date, and the counts of each date come from one grouping of cv.
std::string TrendContinuity(const std::string& index) {
  const bool share = index == "share";
  const std::string flk =
      share ? "EXISTS ("
              "    SELECT 1 FROM registry_contact c JOIN registry_role cr ON cr.role_id = c.practitioner_role_id "
              "    WHERE c.patient_id = vi.patient_id AND c.role_code = 2 "
              "      AND (c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) "
              "      AND c.period @> vi.visit_date "
              "      AND COALESCE(NULLIF(cr.practitioner_id, ''), cr.role_id) = "
              "          COALESCE(NULLIF(ro.practitioner_id, ''), vi.practitioner_role_id))"
            : "false";
  return
      ", vis AS ("
      "  SELECT vi.patient_id, vi.visit_date, vi.unit_id, "
      "         COALESCE(NULLIF(ro.practitioner_id, ''), vi.practitioner_role_id) AS provider, " + flk + " AS flk "
      "  FROM registry_visit vi LEFT JOIN registry_role ro ON ro.role_id = vi.practitioner_role_id "
      "  WHERE vi.status = 'finished' AND vi.practitioner_role_id <> '' "
      "    AND vi.visit_date <= (SELECT max(d) FROM dates) "
      "    AND vi.visit_date > ((SELECT min(d) FROM dates) - make_interval(months => $4::int, days => $5::int))::date "
      "    AND ($7::text = '' OR vi.class = $7::text) "
      "    AND (NOT $8::bool OR ro.profession = 'lakare')), "
      "cv AS ("
      "  SELECT r.d, r.patient_id, v.provider, v.flk "
      "  FROM residents r JOIN vis v ON v.patient_id = r.patient_id "
      "  WHERE r.unit IS NOT NULL AND v.visit_date <= r.d "
      "    AND v.visit_date > (r.d - make_interval(months => $4::int, days => $5::int))::date "
      "    AND ($6::text = 'all' OR v.unit_id = r.unit)), "
      "per_provider AS ("
      "  SELECT d, patient_id, provider, count(*) AS ni, count(*) FILTER (WHERE flk) AS hits "
      "  FROM cv GROUP BY d, patient_id, provider), "
      "per_patient AS ("
      "  SELECT d, patient_id, sum(ni)::bigint AS n, sum(ni * ni)::bigint AS sq, max(ni)::bigint AS mx, "
      "         sum(hits)::bigint AS hits "
      "  FROM per_provider GROUP BY d, patient_id HAVING sum(ni) >= $9::int), "
      "scored AS (SELECT d, " +
      std::string(index == "coc"   ? "CASE WHEN n > 1 THEN (sq - n)::float8 / (n * (n - 1)) END"
                  : index == "upc" ? "mx::float8 / n"
                                   : "0::float8") +
      " AS value, hits, n FROM per_patient) "
      "SELECT d - DATE '1970-01-01', count(*), COALESCE(sum(value), 0), sum(hits)::bigint, sum(n)::bigint FROM scored "
      "WHERE value IS NOT NULL GROUP BY d";
}

// The ids Trend computes in one pass; any other measure (one added later) is evaluated date by date
// by MeasureStore::Trend until it gets its trend statement here.
bool HasTrendStatement(const std::string& id) {
  for (const char* known : {kMeasureFastLakarkontakt, kMeasureSaeboFastLakarkontakt, kMeasureFastVardkontakt,
                            kMeasureListningPerLakare, kMeasurePatientkontrakt, kMeasureCocLakare, kMeasureCocAlla,
                            kMeasureUpc, kMeasureFastLakareAndel, kMeasureHemsjukvardFastVardkontakt,
                            kMeasureHemsjukvardSip}) {
    if (id == known) return true;
  }
  return false;
}

// The subject's scope and kommunkod; not_found / invalid as Evaluate answers them.
Result<std::pair<Scope, std::string>> ResolveSubject(pqxx::transaction_base& tx, const std::string& subject_unit_id) {
  if (subject_unit_id.empty()) return std::make_pair(Scope::national, std::string());
  const auto unit = tx.exec_params("SELECT type, kommun FROM registry_unit WHERE unit_id = $1", subject_unit_id);
  if (unit.empty()) return Error::NotFound("okänd enhet (unknown Organization): " + subject_unit_id);
  const std::string type = unit[0][0].as<std::string>();
  const std::string kommun = unit[0][1].as<std::string>();
  if (type == "vardcentral") return std::make_pair(Scope::vardcentral, kommun);
  if (type == "region") return std::make_pair(Scope::region, kommun);
  if (type == "kommun") return std::make_pair(Scope::kommun, kommun);
  return Error::Invalid("value", "subject måste vara en region, kommun eller vårdcentral "
                                 "(subject must be a region, kommun or vårdcentral)", "subject");
}

#undef NARA_CONTRACT_DOCS

#undef NARA_DAY

}  // namespace

PgMeasures::PgMeasures(const std::string& url, int pool_size, std::string role)
    : pool_(std::make_unique<ConnectionPool>(url, pool_size, std::move(role))) {}

PgMeasures::~PgMeasures() = default;

Result<MeasureResult> PgMeasures::Evaluate(const std::string& measure_id, Date period_end,
                                           const std::string& subject_unit_id, const ContinuityOptions& continuity) {
  const MeasureDefinition* def = FindMeasure(measure_id);
  if (def == nullptr) return Error::NotFound("okänt mått (unknown measure): " + measure_id);
  // On the hot standby when reads are routed (pg/read_routing.h), unless the caller's own latest write
  // is not there yet.
  return RoutedRead<MeasureResult>(router_, *pool_, [&](pqxx::connection& conn) -> Result<MeasureResult> {
    // One snapshot for every number of the report; read-only so it can never block a writer's rule.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(conn);
    auto subject = ResolveSubject(tx, subject_unit_id);
    if (!subject) return subject.error();
    const Scope scope = subject->first;
    const std::string subject_kommun = subject->second;
    const std::string prefix = CommonTables(scope, NeedsOf(*def));
    const auto day = [](Date d) { return std::to_string(d.days()); };
    const auto params_on = [&](Date d) {
      return Params{day(d), subject_unit_id, subject_kommun, day(LatestBirthDateAged(18, d)),
                    day(LatestBirthDateAged(65, d)), day(LatestBirthDateAged(80, d))};
    };
    const Params params = params_on(period_end);

    MeasureResult out;
    out.measure_id = def->id;
    out.period_end = period_end;
    out.subject = subject_unit_id;
    out.goal = def->goal;
    switch (def->kind) {
      case MeasureKind::proportion:
        if (def->home_care) EvaluateHomeCare(tx, prefix, params, *def, out);
        else if (!def->continuity) EvaluateProportion(tx, prefix, params, out);
        break;
      case MeasureKind::count: EvaluateContracts(tx, prefix, params, out); break;
      case MeasureKind::ratio: EvaluateListSizes(tx, prefix, params, out); break;
      case MeasureKind::mean: break;
    }
    if (def->continuity) {
      out.relative_goal = def->relative_goal;
      EvaluateContinuity(tx, prefix, params, *def, continuity, out);
      if (continuity.baseline) {
        // The same definition as of the baseline date, in the same snapshot.
        MeasureResult base;
        EvaluateContinuity(tx, prefix, params_on(*continuity.baseline), *def, continuity, base);
        out.baseline_date = continuity.baseline;
        out.baseline_score = base.score;
        if (base.score && out.score && *base.score > 0) out.relative_change = (*out.score - *base.score) / *base.score;
      }
    }
    SortStrata(*def, out.strata);
    tx.commit();
    return out;
  });
}

Result<std::vector<TrendPoint>> PgMeasures::Trend(const std::string& measure_id, const std::vector<Date>& dates,
                                                  const std::string& subject_unit_id,
                                                  const ContinuityOptions& continuity) {
  const MeasureDefinition* def = FindMeasure(measure_id);
  if (def == nullptr) return Error::NotFound("okänt mått (unknown measure): " + measure_id);
  if (!HasTrendStatement(def->id)) return MeasureStore::Trend(measure_id, dates, subject_unit_id, continuity);
  try {
    auto lease = pool_->Acquire();
    try {
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*lease);
      auto subject = ResolveSubject(tx, subject_unit_id);
      if (!subject) return subject.error();
      std::string days = "{";
      for (const Date d : dates) days += (days.size() > 1 ? "," : "") + std::to_string(d.days());
      days += "}";
      const std::string prefix = TrendTables(subject->first, NeedsOf(*def));
      const std::string& kommun = subject->second;
      // Per date (days since 1970-01-01, as every statement's first column gives it).
      std::map<int, TrendPoint> by_day;
      const auto day_of = [](const pqxx::field& f) { return f.as<int>(); };
      if (def->continuity) {
        const bool share = def->kind == MeasureKind::proportion;
        const std::string index = def->id == kMeasureUpc ? "upc" : share ? "share" : "coc";
        const auto rows = tx.exec_params(prefix + TrendContinuity(index), days, subject_unit_id, kommun,
                                         continuity.window_months, continuity.window_days,
                                         continuity.scope_all ? "all" : "unit", continuity.visit_class,
                                         def->id != kMeasureCocAlla, continuity.min_visits);
        for (const auto& row : rows) {
          TrendPoint& p = by_day[day_of(row[0])];
          const long population = row[1].as<long>();
          const long hits = row[3].is_null() ? 0 : row[3].as<long>();
          const long visits = row[4].is_null() ? 0 : row[4].as<long>();
          p.numerator = share ? hits : population;
          p.denominator = share ? visits : population;
          p.score = share ? Ratio(static_cast<double>(hits), static_cast<double>(visits))
                          : Ratio(row[2].as<double>(), static_cast<double>(population));
        }
      } else if (def->home_care) {
        for (const auto& row : HomeCareTrend(tx, prefix, days, subject_unit_id, kommun, *def)) {
          TrendPoint& p = by_day[day_of(row[0])];
          p.denominator = row[1].as<long>();
          p.numerator = row[2].as<long>();
          p.score = Ratio(static_cast<double>(p.numerator), static_cast<double>(p.denominator));
        }
      } else if (def->kind == MeasureKind::proportion) {
        for (const auto& row : tx.exec_params(prefix + kTrendResidents, days, subject_unit_id, kommun)) {
          TrendPoint& p = by_day[day_of(row[0])];
          p.denominator = row[1].as<long>();
          p.numerator = row[2].as<long>();
          p.score = Ratio(static_cast<double>(p.numerator), static_cast<double>(p.denominator));
        }
      } else if (def->kind == MeasureKind::count) {
        for (const auto& row : tx.exec_params(prefix + kTrendContracts, days, subject_unit_id, kommun)) {
          by_day[day_of(row[0])].numerator = row[1].as<long>();
        }
      } else if (def->kind == MeasureKind::ratio) {
        // The FTE summed as EvaluateListSizes sums it (per unit in role order, then over the units in
        // id order), so the score is the same double.
        std::map<std::string, double> unit_fte;
        long doctors = 0;
        for (const auto& row : tx.exec_params(prefix + kTrendDoctors, days, subject_unit_id, kommun)) {
          unit_fte[row[0].as<std::string>()] += row[1].as<double>();
          ++doctors;
        }
        double fte = 0;
        for (const auto& entry : unit_fte) fte += entry.second;
        for (const auto& row : tx.exec_params(prefix + kTrendListings, days, subject_unit_id, kommun)) {
          by_day[day_of(row[0])].numerator = row[1].as<long>();
        }
        for (const Date d : dates) {
          TrendPoint& p = by_day[d.days()];
          p.denominator = doctors;
          p.score = Ratio(static_cast<double>(p.numerator), fte);
        }
      }
      tx.commit();
      std::vector<TrendPoint> points;
      for (const Date d : dates) {
        TrendPoint p = by_day.count(d.days()) ? by_day[d.days()] : TrendPoint{};
        p.date = d;
        if (def->kind == MeasureKind::count) p.score = static_cast<double>(p.numerator);
        points.push_back(p);
      }
      return points;
    } catch (const pqxx::broken_connection&) {
      lease.Discard();
      throw;
    }
  } catch (const pqxx::broken_connection&) {
    return Error::Unavailable("databasen är inte nåbar just nu (database unavailable), försök igen");
  }
}

Result<std::vector<UnitLabel>> PgMeasures::UnitLabels() {
  try {
    auto lease = pool_->Acquire();
    try {
      pqxx::read_transaction tx(*lease);
      std::vector<UnitLabel> labels;
      for (const auto& row : tx.exec("SELECT unit_id, name, type, kommun FROM registry_unit "
                                     "WHERE type IN ('region', 'kommun', 'vardcentral') ORDER BY unit_id")) {
        labels.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                          row[3].as<std::string>()});
      }
      tx.commit();
      return labels;
    } catch (const pqxx::broken_connection&) {
      lease.Discard();
      throw;
    }
  } catch (const pqxx::broken_connection&) {
    return Error::Unavailable("databasen är inte nåbar just nu (database unavailable), försök igen");
  }
}

}  // namespace nara::pg
