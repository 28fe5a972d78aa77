#!/usr/bin/env bash
# Figure 5: national Measure/fast-lakarkontakt-andel/$evaluate-measure against a hand-written SQL
# aggregate of the same figure with the same strata (goal: Nära <= 1.5 x the SQL; <= 10 s at 10.6 M).
#   bench/evaluate_measure.sh [--people N]   default 200 000 people (`nara synth --seed 1`, imported)
#   bench/evaluate_measure.sh --smoke        2 000 people: checks the script works (not a measurement)
# Nära: GET over mutual TLS with the statistics certificate, the whole request timed by curl. Anchor:
# psql running one SELECT (numerator and denominator by region, kommun, vårdcentral, age band and sex,
# GROUPING SETS), timed by psql's \timing (the client round trip). Best of
# three for each, after one warm-up. Both must give the same national numerator and denominator.
source "$(dirname "$0")/common.sh"

bench_people_args 200000 2000 "$@"
as_of=2026-11-01

bench_start_cluster
bench_load_population registry "$people" --as-of "$as_of"
bench_serve registry
bench_header "5, national \$evaluate-measure (people $people, as of $as_of)"

url="https://localhost:$BENCH_PORT/fhir/Measure/fast-lakarkontakt-andel/\$evaluate-measure?periodEnd=$as_of"
best_nara=""
for run in 0 1 2 3; do
  t=$(bench_curl_as statistics -o "$BENCH_WORK/report.json" -w '%{time_total}' "$url")
  ((run == 0)) && continue  # warm-up
  best_nara=$(awk -v a="$t" -v b="${best_nara:-1e9}" 'BEGIN { print (a < b ? a : b) }')
done
nara_num=$(jq '[.group[0].population[] | select(.code.coding[0].code == "numerator") | .count][0]' "$BENCH_WORK/report.json")
nara_den=$(jq '[.group[0].population[] | select(.code.coding[0].code == "denominator") | .count][0]' "$BENCH_WORK/report.json")

# The anchor: what a statistician would write by hand against the typed tables.
sql="
WITH d AS (SELECT DATE '$as_of' AS d),
listed AS (SELECT DISTINCT ON (patient_id) patient_id, unit_id FROM registry_listing, d
           WHERE kind = 'listning' AND status IN ('active', 'finished') AND period @> d.d
           ORDER BY patient_id, valid_from DESC),
doctor AS (SELECT DISTINCT patient_id FROM registry_contact, d WHERE role_code = 2
           AND (status = 'active' OR (status = 'inactive' AND valid_to IS NOT NULL)) AND period @> d.d),
r AS (SELECT p.gender, p.kommun, l.unit_id AS vc, u.part_of AS region,
             CASE WHEN age(d.d, p.birth_date) < interval '18 years' THEN '0-17'
                  WHEN age(d.d, p.birth_date) < interval '65 years' THEN '18-64'
                  WHEN age(d.d, p.birth_date) < interval '80 years' THEN '65-79' ELSE '80+' END AS band,
             dr.patient_id IS NOT NULL AS has
      FROM registry_patient p CROSS JOIN d LEFT JOIN listed l USING (patient_id)
      LEFT JOIN registry_unit u ON u.unit_id = l.unit_id LEFT JOIN doctor dr USING (patient_id)
      WHERE (p.deceased IS NULL OR p.deceased > d.d) AND p.birth_date <= d.d)
SELECT region, kommun, vc, band, gender, count(*) FILTER (WHERE has) AS numerator, count(*) AS denominator
FROM r GROUP BY GROUPING SETS ((), (region), (kommun), (vc), (band), (gender))"
best_sql=""
for run in 0 1 2 3; do
  # psql's \timing: the statement's round trip from the client, without psql's own start-up.
  psql -X -At -F ' ' "$(bench_url registry)" -c '\timing on' -c "$sql" >"$BENCH_WORK/sql.raw"
  ((run == 0)) && continue
  t=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$BENCH_WORK/sql.raw" | awk '{ printf "%.3f", $1 / 1000 }')
  best_sql=$(awk -v a="$t" -v b="${best_sql:-1e9}" 'BEGIN { print (a < b ? a : b) }')
done
grep -v '^Time: \|^Timing is on' "$BENCH_WORK/sql.raw" >"$BENCH_WORK/sql.out"
# The grand total is the row with every grouping column NULL (printed as five empty fields).
read -r sql_num sql_den < <(awk 'NF == 2 { print $1, $2 }' "$BENCH_WORK/sql.out")
strata=$(wc -l <"$BENCH_WORK/sql.out")

echo "nara \$evaluate-measure: ${best_nara} s (numerator $nara_num, denominator $nara_den)"
echo "hand-written SQL aggregate: ${best_sql} s (numerator $sql_num, denominator $sql_den, $strata rows)"
[[ $nara_num == "$sql_num" && $nara_den == "$sql_den" ]] || { echo "bench: the figures differ" >&2; exit 1; }
echo "projected at 10.6 M residents (linear): nara $(awk -v s="$best_nara" -v n="$people" 'BEGIN { printf "%.1f", s * 10600000 / n }') s (goal <= 10 s)"
echo "ratio (nara time / SQL time, goal <= 1.5): $(bench_div "$best_nara" "$best_sql")"
