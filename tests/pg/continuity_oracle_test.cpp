// The continuity measures of PgMeasures (pg/pg_measures.*, docs/api.md section 11) against a
// hand-written SQL oracle on synthetic data: listings that change, deaths, fast läkarkontakter that
// end, a doctor with roles at two units, nurses, visits elsewhere, cancelled visits and visits without
// a named performer. The oracle is written the long way (correlated subqueries, explicit date
// comparisons instead of ranges, Σnᵢ² per patient by a subquery) and must agree per vårdcentral and
// nationally, for several dates and parameter sets.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "pg/pg_measures.h"
#include "registry/measures.h"
#include "tests/pg/migrated_database.h"

namespace nara::pg {
namespace {

Date D(int y, int m, int d) { return *Date::FromCivil(y, m, d); }

const char* kSynthetic = R"SQL(
SELECT setseed(0.42);
INSERT INTO registry_unit (unit_id, hsa_id, name, type, part_of, kommun) VALUES
  ('r1', '', 'Region', 'region', '', ''), ('vc1', '', 'A', 'vardcentral', 'r1', '0180'),
  ('vc2', '', 'B', 'vardcentral', 'r1', '0180'), ('vc3', '', 'C', 'vardcentral', 'r1', '0181'),
  ('s1', '', 'SÄBO', 'saebo', '', '0180');
-- pr1 works at vc1 (dr1) and vc2 (dr9): one person, two roles.
INSERT INTO registry_role (role_id, practitioner_id, unit_id, profession, capacity) VALUES
  ('dr1', 'pr1', 'vc1', 'lakare', 1000), ('dr2', 'pr2', 'vc1', 'lakare', 1000), ('dr3', 'pr3', 'vc1', 'lakare', 1000),
  ('dr4', 'pr4', 'vc2', 'lakare', 1000), ('dr5', 'pr5', 'vc2', 'lakare', 1000), ('dr9', 'pr1', 'vc2', 'lakare', 1000),
  ('dr6', 'pr6', 'vc3', 'lakare', 1000), ('dr7', '', 'vc3', 'lakare', 1000), ('dr8', 'pr8', 'vc3', 'lakare', 1000),
  ('ns1', 'pn1', 'vc1', 'sjukskoterska', 0), ('ns2', 'pn2', 'vc2', 'sjukskoterska', 0);
INSERT INTO registry_patient (patient_id, deceased, birth_date, gender, kommun)
  SELECT 'p' || i, CASE WHEN i % 20 = 0 THEN DATE '2025-03-01' + i END, DATE '1940-01-01' + (i * 97) % 30000,
         CASE WHEN i % 2 = 0 THEN 'male' ELSE 'female' END, CASE WHEN i % 5 = 0 THEN '0181' ELSE '0180' END
  FROM generate_series(1, 400) i;
INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to)
  SELECT 'l' || i, 'listning', 'p' || i, 'vc' || (i % 3 + 1), CASE WHEN i % 10 = 0 THEN 'finished' ELSE 'active' END,
         DATE '2023-01-01', CASE WHEN i % 10 = 0 THEN DATE '2025-01-01' END
  FROM generate_series(1, 400) i WHERE i % 37 <> 0;
INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to)
  SELECT 'm' || i, 'listning', 'p' || i, 'vc' || ((i + 1) % 3 + 1), 'active', DATE '2025-01-01', NULL
  FROM generate_series(10, 400, 10) i;
INSERT INTO registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to)
  SELECT 's' || i, 'saebo', 'p' || i, 's1', 'active', DATE '2024-01-01', NULL FROM generate_series(9, 400, 9) i;
INSERT INTO registry_contact (careteam_id, patient_id, role_code, practitioner_role_id, managing_unit_id, status,
                              valid_from, valid_to)
  SELECT 'c' || i, 'p' || i, 2,
         (ARRAY['dr1', 'dr2', 'dr3', 'dr4', 'dr5', 'dr9', 'dr6', 'dr7', 'dr8'])[(i % 3) * 3 + (i / 3) % 3 + 1],
         'vc' || (i % 3 + 1), CASE WHEN i % 7 = 0 THEN 'inactive' WHEN i % 29 = 0 THEN 'entered-in-error' ELSE 'active' END,
         DATE '2023-06-01', CASE WHEN i % 7 = 0 THEN DATE '2025-09-01' END
  FROM generate_series(1, 400) i WHERE i % 4 <> 0;
INSERT INTO registry_visit (encounter_id, patient_id, unit_id, practitioner_role_id, class, status, visit_date)
  SELECT 'e' || i || '-' || k, 'p' || i, u.unit, u.role, (ARRAY['AMB', 'VR', 'HH'])[1 + floor(random() * 3)::int],
         CASE WHEN random() < 0.9 THEN 'finished' ELSE 'cancelled' END, DATE '2024-01-01' + floor(random() * 900)::int
  FROM generate_series(1, 400) i, generate_series(1, 1 + (i * 7) % 13) k,
  LATERAL (SELECT CASE WHEN random() < 0.8 + 0 * i THEN i % 3 ELSE floor(random() * 3)::int END AS uu) pick,
  LATERAL (SELECT 'vc' || (pick.uu + 1) AS unit,
                  CASE WHEN random() < 0.05 + 0 * k THEN ''
                       ELSE (ARRAY['dr1', 'dr2', 'dr3', 'ns1', 'dr4', 'dr5', 'dr9', 'ns2', 'dr6', 'dr7', 'dr8', 'dr6'])
                            [pick.uu * 4 + 1 + floor(random() * 4)::int] END AS role) u;
)SQL";

// The oracle, per listing unit and (unit NULL) for the nation: coc population and sum, population,
// upc sum, visits with the fast läkarkontakt, counted visits.
std::string Oracle(Date d, const ContinuityOptions& o, bool doctors) {
  const std::string day = "DATE '" + d.ToString() + "'";
  const std::string window = std::to_string(o.window_months) + " months " + std::to_string(o.window_days) + " days";
  const std::string person =
      "CASE WHEN r.practitioner_id IS NULL OR r.practitioner_id = '' THEN v.practitioner_role_id "
      "ELSE r.practitioner_id END";
  return "WITH home AS (SELECT p.patient_id, (SELECT l.unit_id FROM registry_listing l WHERE l.patient_id = "
         "p.patient_id AND l.kind = 'listning' AND l.status IN ('active', 'finished') AND l.valid_from <= " + day +
         " AND (l.valid_to IS NULL OR l.valid_to > " + day + ") ORDER BY l.valid_from DESC, l.episode_id LIMIT 1) "
         "AS unit FROM registry_patient p WHERE (p.deceased IS NULL OR p.deceased > " + day + ") AND "
         "(p.birth_date IS NULL OR p.birth_date <= " + day + ")), "
         "counted AS (SELECT h.patient_id, h.unit, v.visit_date, " + person + " AS person "
         "FROM home h JOIN registry_visit v ON v.patient_id = h.patient_id "
         "LEFT JOIN registry_role r ON r.role_id = v.practitioner_role_id "
         "WHERE h.unit IS NOT NULL AND v.status = 'finished' AND v.practitioner_role_id <> '' AND v.visit_date <= " +
         day + " AND v.visit_date > (" + day + " - interval '" + window + "')::date" +
         (o.scope_all ? "" : " AND v.unit_id = h.unit") +
         (o.visit_class.empty() ? "" : " AND v.class = '" + o.visit_class + "'") +
         (doctors ? " AND r.profession = 'lakare'" : "") + "), "
         "patients AS (SELECT k.patient_id, k.unit, count(*) AS n, "
         "(SELECT sum(c * c) FROM (SELECT count(*) AS c FROM counted x WHERE x.patient_id = k.patient_id "
         "GROUP BY x.person) q) AS sq, "
         "(SELECT max(c) FROM (SELECT count(*) AS c FROM counted x WHERE x.patient_id = k.patient_id "
         "GROUP BY x.person) q) AS mx, "
         "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM registry_contact ct JOIN registry_role cr ON cr.role_id = "
         "ct.practitioner_role_id WHERE ct.patient_id = k.patient_id AND ct.role_code = 2 AND ct.valid_from <= "
         "k.visit_date AND (ct.valid_to IS NULL OR ct.valid_to > k.visit_date) AND (ct.status = 'active' OR "
         "(ct.status = 'inactive' AND ct.valid_to IS NOT NULL)) AND CASE WHEN cr.practitioner_id = '' THEN cr.role_id "
         "ELSE cr.practitioner_id END = k.person)) AS hits "
         "FROM counted k GROUP BY k.patient_id, k.unit HAVING count(*) >= " + std::to_string(o.min_visits) + ") "
         "SELECT unit, count(*) FILTER (WHERE n > 1), COALESCE(sum(CASE WHEN n > 1 THEN (sq - n)::float8 / "
         "(n * (n - 1)) END), 0), count(*), COALESCE(sum(mx::float8 / n), 0), COALESCE(sum(hits), 0), "
         "COALESCE(sum(n), 0) FROM patients GROUP BY ROLLUP (unit)";
}

struct Figure {
  long population = 0, numerator = 0, denominator = 0;
  double score = NAN;
};

class ContinuityOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = new std::string(nara::testing::MigratedDatabase("continuity"));
    pqxx::connection conn(*url_);
    pqxx::work tx(conn);
    tx.exec(kSynthetic);
    tx.commit();
  }
  static void TearDownTestSuite() {
    delete url_;
    url_ = nullptr;
  }

  // The oracle's figure of `measure` per unit ("" = national).
  static std::map<std::string, Figure> Expected(const std::string& measure, Date d, const ContinuityOptions& o) {
    pqxx::connection conn(*url_);
    pqxx::work tx(conn);
    std::map<std::string, Figure> out;
    for (const auto& row : tx.exec(Oracle(d, o, measure != kMeasureCocAlla))) {
      Figure f;
      const long coc_pop = row[1].as<long>(), pop = row[3].as<long>();
      if (measure == kMeasureFastLakareAndel) {
        f.numerator = row[5].as<long>();
        f.denominator = row[6].as<long>();
        f.population = f.denominator;
        if (f.denominator > 0) f.score = static_cast<double>(f.numerator) / f.denominator;
      } else if (measure == kMeasureUpc) {
        f.population = pop;
        if (pop > 0) f.score = row[4].as<double>() / pop;
      } else {
        f.population = coc_pop;
        if (coc_pop > 0) f.score = row[2].as<double>() / coc_pop;
      }
      out[row[0].is_null() ? "" : row[0].as<std::string>()] = f;
    }
    return out;
  }

  static void Check(const std::string& measure, Date d, const ContinuityOptions& o) {
    SCOPED_TRACE(measure + " as of " + d.ToString());
    const auto expected = Expected(measure, d, o);
    PgMeasures measures(*url_);
    const auto got = measures.Evaluate(measure, d, "", o);
    ASSERT_TRUE(got) << got.error().text;
    const Figure national = expected.count("") ? expected.at("") : Figure{};
    ASSERT_GT(national.population, 20) << "the synthetic data must give the measure something to count";
    EXPECT_EQ(got->denominator, national.population);
    ASSERT_TRUE(got->score.has_value());
    EXPECT_NEAR(*got->score, national.score, 1e-9);
    if (measure == kMeasureFastLakareAndel) {
      EXPECT_EQ(got->numerator, national.numerator);
    }
    long units = 0;
    for (const auto& s : got->strata) {
      if (s.stratifier != kStratVardcentral) continue;
      ++units;
      ASSERT_TRUE(expected.count(s.value)) << s.value;
      const Figure& f = expected.at(s.value);
      EXPECT_EQ(s.denominator, f.population) << s.value;
      ASSERT_TRUE(s.score.has_value()) << s.value;
      EXPECT_NEAR(*s.score, f.score, 1e-9) << s.value;
    }
    long expected_units = 0;
    for (const auto& [unit, f] : expected) expected_units += !unit.empty() && f.population > 0;
    EXPECT_EQ(units, expected_units);
  }

  static std::string* url_;
};

std::string* ContinuityOracle::url_ = nullptr;

TEST_F(ContinuityOracle, DefaultsAgreeForEveryMeasureAndDate) {
  for (Date d : {D(2025, 6, 30), D(2026, 3, 31), D(2025, 9, 1)}) {
    for (const char* m : {kMeasureCocLakare, kMeasureCocAlla, kMeasureUpc, kMeasureFastLakareAndel}) {
      Check(m, d, ContinuityOptions{});
    }
  }
}

TEST_F(ContinuityOracle, ParametersAgree) {
  ContinuityOptions all;
  all.scope_all = true;
  ContinuityOptions amb;
  amb.visit_class = "AMB";
  amb.min_visits = 2;
  ContinuityOptions short_window;
  short_window.window_months = 6;
  short_window.window_days = 15;
  short_window.min_visits = 2;
  for (const auto& o : {all, amb, short_window}) {
    for (const char* m : {kMeasureCocLakare, kMeasureCocAlla, kMeasureUpc, kMeasureFastLakareAndel}) {
      Check(m, D(2025, 12, 31), o);
    }
  }
}

// The 24-month trend of every continuity measure (one statement each) against 24 single-date
// evaluations, nationally and for a vårdcentral, with the defaults and with parameters.
TEST_F(ContinuityOracle, TrendMatchesEvaluationDateByDate) {
  PgMeasures measures(*url_);
  const std::vector<Date> dates = TrendDates(D(2026, 3, 31));
  ContinuityOptions amb_all;
  amb_all.visit_class = "AMB";
  amb_all.scope_all = true;
  amb_all.min_visits = 2;
  amb_all.window_months = 6;
  for (const auto& o : {ContinuityOptions{}, amb_all}) {
    for (const char* m : {kMeasureCocLakare, kMeasureCocAlla, kMeasureUpc, kMeasureFastLakareAndel}) {
      for (const std::string subject : {"", "vc2", "r1"}) {
        SCOPED_TRACE(std::string(m) + " subject '" + subject + "' class '" + o.visit_class + "'");
        const auto trend = measures.Trend(m, dates, subject, o);
        ASSERT_TRUE(trend.ok()) << trend.error().text;
        ASSERT_EQ(trend->size(), dates.size());
        long counted = 0;
        for (size_t i = 0; i < dates.size(); ++i) {
          SCOPED_TRACE(dates[i].ToString());
          const auto one = measures.Evaluate(m, dates[i], subject, o);
          ASSERT_TRUE(one.ok()) << one.error().text;
          const TrendPoint& p = (*trend)[i];
          EXPECT_EQ(p.numerator, one->numerator);
          EXPECT_EQ(p.denominator, one->denominator);
          ASSERT_EQ(p.score.has_value(), one->score.has_value());
          if (p.score) EXPECT_NEAR(*p.score, *one->score, 1e-12);
          counted += p.denominator > 0;
        }
        EXPECT_GT(counted, 12) << "the synthetic visits must give most dates a figure";
      }
    }
  }
}

}  // namespace
}  // namespace nara::pg
