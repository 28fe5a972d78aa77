#!/usr/bin/env bash
# Figure 3: `nara import` resources/s against a raw COPY of the same rows (goal: ratio >= 0.7 (issue 15), and all
# Sweden, 10.6 M people, in <= 15 min).
#   bench/import.sh [--people N]   default 100 000 people from `nara synth --seed 1`
#   bench/import.sh --smoke        2 000 people: checks the script works (not a measurement)
# Nära: `nara import FILE` into an empty migrated database (validation of every line, COPY into every
# table, the registry rules checked, one transaction). Anchor: the very rows Nära stored, dumped and
# loaded with plain COPY (psql \copy) into another empty migrated database in one transaction, with
# the same bulk strategy (secondary indexes dropped first, rebuilt after; the Patient change feed's
# per-row notifications off, schema/0014_patient_answer_feed.sql) — the fastest plain load of
# the same data, with no validation and no rule checks. The ratio, printed last, is anchor time / Nära time.
source "$(dirname "$0")/common.sh"

bench_people_args 100000 2000 "$@"

bench_start_cluster
bench_createdb nara_import
bench_createdb raw_copy
file=$BENCH_WORK/population.ndjson
"$NARA" synth --people "$people" --seed 1 --out "$file" 2>/dev/null
lines=$(wc -l <"$file")
bench_header "3, import (people $people, $lines resources, $(du -m "$file" | cut -f1) MB NDJSON)"

t0=$(bench_now)
NARA_DATABASE_URL=$(bench_url nara_import) "$NARA" import "$file" 2>"$BENCH_WORK/import.log" ||
  { tail -n 5 "$BENCH_WORK/import.log" >&2; exit 1; }
t1=$(bench_now)
nara_s=$(bench_secs "$t0" "$t1")
stored=$(psql -X -At "$(bench_url nara_import)" -c "SELECT count(*) FROM resource_current")
[[ $stored == "$lines" ]] || { echo "bench: imported $stored of $lines resources" >&2; exit 1; }

# The same rows, table by table, with the columns Nära writes (seq and generated periods are the
# database's own).
tables=(
  "resource_current (res_type, res_id, version, last_updated, deleted)"
  "resource_version (res_type, res_id, version, last_updated, deleted, body)"
  "search_token (res_type, res_id, param, system, code)"
  "search_text (res_type, res_id, param, value, normalized)"
  "search_reference (res_type, res_id, param, target_type, target_id)"
  "search_period (res_type, res_id, param, period)"
  "unique_identifier (system, value, res_type, res_id)"
  "registry_patient (patient_id, deceased, birth_date, gender, kommun)"
  "registry_unit (unit_id, hsa_id, name, type, part_of, kommun, serves_saebo, active)"
  "registry_role (role_id, practitioner_id, unit_id, profession, active, fte, capacity)"
  "registry_listing (episode_id, kind, patient_id, unit_id, status, valid_from, valid_to)"
  "registry_contact (careteam_id, patient_id, role_code, practitioner_role_id, managing_unit_id, status, valid_from, valid_to, begin_reason, end_reason)"
)
load=$BENCH_WORK/raw_load.sql
names=()
for t in "${tables[@]}"; do names+=("'${t%% *}'"); done
{
  echo "\\set ON_ERROR_STOP 1"
  echo "BEGIN;"
  echo "SET LOCAL maintenance_work_mem = '512MB';"
  # As nara import: one '*' for the servers' Patient answer caches instead of a notification per row.
  echo "SET LOCAL nara.patient_feed = 'off';"
  echo "SELECT pg_notify('nara_patient_changed', '*');"
  echo "CREATE TEMP TABLE rebuild ON COMMIT DROP AS SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i WHERE i.indrelid::regclass::text IN ($(IFS=,; echo "${names[*]}")) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);"
  echo "DO \$\$ DECLARE r record; BEGIN FOR r IN SELECT name FROM rebuild LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP; END \$\$;"
  for t in "${tables[@]}"; do
    name=${t%% *}
    psql -X -q -v ON_ERROR_STOP=1 "$(bench_url nara_import)" -c "\\copy ${t} TO '$BENCH_WORK/$name.copy'"
    echo "\\copy ${t} FROM '$BENCH_WORK/$name.copy'"
  done
  echo "DO \$\$ DECLARE r record; BEGIN FOR r IN SELECT def FROM rebuild LOOP EXECUTE r.def; END LOOP; END \$\$;"
  echo "COMMIT;"
} >"$load"
t0=$(bench_now)
psql -X -q "$(bench_url raw_copy)" -f "$load" >/dev/null
t1=$(bench_now)
raw_s=$(bench_secs "$t0" "$t1")
copied=$(psql -X -At "$(bench_url raw_copy)" -c "SELECT count(*) FROM resource_current")
[[ $copied == "$lines" ]] || { echo "bench: raw COPY loaded $copied of $lines resources" >&2; exit 1; }

# Where Nära's time went (its own phase log), for RESULTS.md.
echo "nara import: ${nara_s} s, $(bench_div "$lines" "$nara_s") resources/s"
echo "raw COPY of the same rows: ${raw_s} s, $(bench_div "$lines" "$raw_s") resources/s"
# Units and staff are a fixed ~23 000 resources; the rest grows with the population.
units=$(grep -c -E '"resourceType":"(Organization|Practitioner|PractitionerRole)"' "$file")
sweden=$(awk -v n="$people" -v l="$lines" -v u="$units" 'BEGIN { printf "%.0f", (l - u) / n * 10600000 + 23000 }')
echo "all Sweden projected ($sweden resources at these rates): nara $(awk -v s="$nara_s" -v l="$lines" -v w="$sweden" 'BEGIN { printf "%.1f", s / l * w / 60 }') min, raw COPY $(awk -v s="$raw_s" -v l="$lines" -v w="$sweden" 'BEGIN { printf "%.1f", s / l * w / 60 }') min (goal <= 15 min)"
echo "nara phases:"
sed -n -e 's/.*"phase":"\([^"]*\)","rows":"\([0-9]*\)","seconds":"\([0-9.]*\)".*/  \1: \3 s (\2 rows)/p' \
  -e 's/.*"phase":"\([^"]*\)","seconds":"\([0-9.]*\)".*/  \1: \2 s/p' "$BENCH_WORK/import.log" | grep -v ': 0.0 s' || true
echo "ratio (raw COPY time / nara import time, goal >= 0.7): $(bench_div "$raw_s" "$nara_s")"
