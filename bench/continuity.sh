#!/usr/bin/env bash
# Figure 6 (issue 19): a national continuity figure, Measure/kontinuitet-coc-lakare/$evaluate-measure as
# of a date, against a hand-written SQL aggregate of the same figure with the same strata
# (goal: Nära <= 1.5 x the SQL at 1 M people with their visit history).
#   bench/continuity.sh [--people N]   default 20 000 people (`nara synth --seed 1`, visits included, imported)
#   bench/continuity.sh --smoke        2 000 people: checks the script works (not a measurement)
# Nära: GET over mutual TLS with the statistics certificate, the whole request timed by curl. Anchor:
# psql running one SELECT (mean Bice–Boxerman COC over the doctor visits at the listing unit in the 18
# months up to the date, residents with at least 3 such visits; by region, kommun, vårdcentral, age
# band, sex and SÄBO residency, GROUPING SETS), timed by psql's \timing. Best of three for each, after
# one warm-up. Both must give the same national population and mean.
source "$(dirname "$0")/common.sh"

bench_people_args 20000 2000 "$@"
as_of=2026-11-01

bench_start_cluster
bench_load_population registry "$people" --as-of "$as_of"
bench_serve registry
visits=$(psql -X -At "$(bench_url registry)" -c "SELECT count(*) FROM registry_visit")
bench_header "6, national kontinuitet-coc-lakare \$evaluate-measure (people $people, visits $visits, as of $as_of)"

url="https://localhost:$BENCH_PORT/fhir/Measure/kontinuitet-coc-lakare/\$evaluate-measure?periodEnd=$as_of"
best_nara=""
for run in 0 1 2 3; do
  t=$(bench_curl_as statistics -o "$BENCH_WORK/report.json" -w '%{time_total}' "$url")
  ((run == 0)) && continue  # warm-up
  best_nara=$(awk -v a="$t" -v b="${best_nara:-1e9}" 'BEGIN { print (a < b ? a : b) }')
done
nara_pop=$(jq '[.group[0].population[] | select(.code.coding[0].code == "measure-population") | .count][0]' \
  "$BENCH_WORK/report.json")
nara_mean=$(jq '.group[0].measureScore.value' "$BENCH_WORK/report.json")

# The anchor: what a statistician would write by hand against the typed tables. A doctor is the
# person behind the PractitionerRole (one doctor at two units is one provider).
sql="
WITH d AS (SELECT DATE '$as_of' AS d),
listed AS (SELECT DISTINCT ON (patient_id) patient_id, unit_id FROM registry_listing, d
           WHERE kind = 'listning' AND status IN ('active', 'finished') AND period @> d.d
           ORDER BY patient_id, valid_from DESC),
saebo AS (SELECT DISTINCT patient_id FROM registry_listing, d
          WHERE kind = 'saebo' AND status IN ('active', 'finished') AND period @> d.d),
r AS (SELECT p.patient_id, p.gender, p.kommun, l.unit_id AS vc, u.part_of AS region,
             CASE WHEN age(d.d, p.birth_date) < interval '18 years' THEN '0-17'
                  WHEN age(d.d, p.birth_date) < interval '65 years' THEN '18-64'
                  WHEN age(d.d, p.birth_date) < interval '80 years' THEN '65-79' ELSE '80+' END AS band,
             s.patient_id IS NOT NULL AS in_saebo
      FROM registry_patient p CROSS JOIN d JOIN listed l USING (patient_id)
      LEFT JOIN registry_unit u ON u.unit_id = l.unit_id LEFT JOIN saebo s USING (patient_id)
      WHERE (p.deceased IS NULL OR p.deceased > d.d) AND p.birth_date <= d.d),
per_doctor AS (
  SELECT v.patient_id, COALESCE(NULLIF(ro.practitioner_id, ''), ro.role_id) AS doctor, count(*) AS n
  FROM r JOIN registry_visit v ON v.patient_id = r.patient_id AND v.unit_id = r.vc
  JOIN registry_role ro ON ro.role_id = v.practitioner_role_id CROSS JOIN d
  WHERE v.status = 'finished' AND ro.profession = 'lakare'
    AND v.visit_date <= d.d AND v.visit_date > (d.d - interval '18 months')::date
  GROUP BY 1, 2),
coc AS (SELECT patient_id, (sum(n * n) - sum(n))::float8 / (sum(n) * (sum(n) - 1)) AS coc
        FROM per_doctor GROUP BY patient_id HAVING sum(n) >= 3)
SELECT count(*) AS population, round(avg(c.coc)::numeric, 9) AS mean, r.region, r.kommun, r.vc, r.band, r.gender,
       r.in_saebo
FROM coc c JOIN r USING (patient_id)
GROUP BY GROUPING SETS ((), (r.region), (r.kommun), (r.vc), (r.band), (r.gender), (r.in_saebo))"
best_sql=""
for run in 0 1 2 3; do
  psql -X -At -F ' ' "$(bench_url registry)" -c '\timing on' -c "$sql" >"$BENCH_WORK/sql.raw"
  ((run == 0)) && continue
  t=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$BENCH_WORK/sql.raw" | awk '{ printf "%.3f", $1 / 1000 }')
  best_sql=$(awk -v a="$t" -v b="${best_sql:-1e9}" 'BEGIN { print (a < b ? a : b) }')
done
grep -v '^Time: \|^Timing is on' "$BENCH_WORK/sql.raw" >"$BENCH_WORK/sql.out"
# The grand total is the row with every grouping column NULL (printed as six empty fields).
read -r sql_pop sql_mean < <(awk 'NF == 2 { print $1, $2 }' "$BENCH_WORK/sql.out")
strata=$(wc -l <"$BENCH_WORK/sql.out")

echo "nara \$evaluate-measure: ${best_nara} s (population $nara_pop, mean COC $nara_mean)"
echo "hand-written SQL aggregate: ${best_sql} s (population $sql_pop, mean COC $sql_mean, $strata rows)"
[[ -n $nara_pop && $nara_pop == "$sql_pop" && $nara_pop -gt 0 ]] || { echo "bench: the populations differ" >&2; exit 1; }
awk -v a="$nara_mean" -v b="$sql_mean" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }' ||
  { echo "bench: the means differ" >&2; exit 1; }
echo "ratio (nara time / SQL time, goal <= 1.5): $(bench_div "$best_nara" "$best_sql")"
