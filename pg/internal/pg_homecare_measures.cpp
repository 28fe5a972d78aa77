#include "pg/internal/pg_homecare_measures.h"

namespace nara::pg {
namespace {

// After the common tables (residents: alive on D and in scope, with sex, kommun and age band):
//  - hsv: the hemsjukvård episode in force on D of each resident, as `listed` picks a listing (the
//    period decides, not today's status; cancelled or entered-in-error never counts). A patient with
//    two in force (which the one-at-a-time rule prevents) is attributed to the later one;
//  - hit: $7 'sip': the episode's SIP is dated on or before D. $7 'fvk': a fast vårdkontakt
//    (role 1 or 4) managed by that hemsjukvård unit in force on D — the responsible nurse the kommun
//    names. Role 3 (fast omsorgskontakt i hemtjänsten) is social care, not health care, and does not count;
//  - one pass groups the population by kommun, unit (the hemsjukvård unit), age band and sex.
// Whether the hemsjukvård episode h (patient_id, unit_id, sip_date) meets the measure on the date
// `d` (an SQL expression); `kind`: the parameter holding 'sip' or 'fvk'. One rule for a single date
// and for the trend.
std::string Hit(const std::string& d, const std::string& kind) {
  return "CASE WHEN " + kind + "::text = 'sip' THEN COALESCE(h.sip_date <= " + d + ", false) "
         "ELSE EXISTS (SELECT 1 FROM registry_contact c WHERE c.patient_id = h.patient_id "
         "  AND c.role_code IN (1, 4) AND c.managing_unit_id = h.unit_id "
         "  AND (c.status = 'active' OR (c.status = 'inactive' AND c.valid_to IS NOT NULL)) "
         "  AND c.period @> " + d + ") END";
}

const std::string kHomeCareCounts =
    ", hsv AS ("
    "  SELECT DISTINCT ON (l.patient_id) l.patient_id, l.unit_id, l.sip_date FROM registry_listing l "
    "  WHERE l.kind = 'hemsjukvard' AND l.status IN ('active', 'finished') "
    "    AND l.period @> (DATE '1970-01-01' + $1::int) "
    "  ORDER BY l.patient_id, l.valid_from DESC, l.episode_id), "
    "flagged AS ("
    "  SELECT r.kommun, h.unit_id AS unit, r.age_band, r.sex, " + Hit("(DATE '1970-01-01' + $1::int)", "$7") + " AS hit "
    "  FROM hsv h JOIN residents r ON r.patient_id = h.patient_id) "
    "SELECT CASE WHEN GROUPING(kommun) = 0 THEN 'kommun' WHEN GROUPING(unit) = 0 THEN 'unit' "
    "            WHEN GROUPING(age_band) = 0 THEN 'age-band' WHEN GROUPING(sex) = 0 THEN 'sex' ELSE '' END, "
    "       COALESCE(kommun, unit, age_band, sex, ''), count(*), count(*) FILTER (WHERE hit) "
    "FROM flagged GROUP BY GROUPING SETS ((), (kommun), (unit), (age_band), (sex))";

// The trend (pg_measures.cpp TrendTables: `dates`, and `residents` per date): the same episode choice
// and rule for every date at once, (d, population, hits) per date. $4: 'sip' or 'fvk'.
const std::string kHomeCareTrend =
    ", hsv AS ("
    "  SELECT DISTINCT ON (dt.d, l.patient_id) dt.d, l.patient_id, l.unit_id, l.sip_date "
    "  FROM dates dt JOIN registry_listing l ON l.period @> dt.d "
    "  WHERE l.kind = 'hemsjukvard' AND l.status IN ('active', 'finished') "
    "  ORDER BY dt.d, l.patient_id, l.valid_from DESC, l.episode_id), "
    "flagged AS ("
    "  SELECT h.d, " + Hit("h.d", "$4") + " AS hit "
    "  FROM hsv h JOIN residents r ON r.d = h.d AND r.patient_id = h.patient_id) "
    "SELECT d - DATE '1970-01-01', count(*), count(*) FILTER (WHERE hit) FROM flagged GROUP BY d";

std::string HitKind(const MeasureDefinition& def) { return def.id == kMeasureHemsjukvardSip ? "sip" : "fvk"; }

}  // namespace

void EvaluateHomeCare(pqxx::transaction_base& tx, const std::string& prefix, const std::vector<std::string>& p,
                      const MeasureDefinition& def, MeasureResult& out) {
  const auto rows = tx.exec_params(prefix + kHomeCareCounts, p[0], p[1], p[2], p[3], p[4], p[5], HitKind(def));
  out.numerator = 0;
  out.denominator = 0;
  for (const auto& row : rows) {
    const std::string stratifier = row[0].as<std::string>();
    const long d = row[2].as<long>(), n = row[3].as<long>();
    if (stratifier.empty()) {
      out.numerator = n;
      out.denominator = d;
    } else if (d > 0) {
      out.strata.push_back({stratifier, row[1].as<std::string>(), n, d, std::nullopt});
    }
  }
  if (out.denominator > 0) out.score = static_cast<double>(out.numerator) / static_cast<double>(out.denominator);
}

pqxx::result HomeCareTrend(pqxx::transaction_base& tx, const std::string& prefix, const std::string& days,
                          const std::string& subject_unit_id, const std::string& kommun, const MeasureDefinition& def) {
  return tx.exec_params(prefix + kHomeCareTrend, days, subject_unit_id, kommun, HitKind(def));
}

}  // namespace nara::pg
