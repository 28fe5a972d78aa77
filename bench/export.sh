#!/usr/bin/env bash
# Figure 4: Bulk Data `$export` throughput against `COPY … TO STDOUT` of the same rows from the same
# database (goal: ratio >= 0.7), and the server's peak memory (goal: <= 300 MB).
#   bench/export.sh [--people N]   default 200 000 people (`nara synth --seed 1`, imported)
#   bench/export.sh --smoke        2 000 people: checks the script works (not a measurement)
# Nära: the statistics client's whole export over mutual TLS — `GET $export` kick-off, polling
# `$export-status` every 0.2 s (faster than the Retry-After: 2 the server suggests, so the time is the
# server's work and not the client's patience), then every file in the manifest downloaded to disk.
# Anchor: psql in one REPEATABLE READ READ ONLY transaction (the snapshot the export reads in), for
# each type `COPY (the very SELECT the export worker runs) TO STDOUT` into a file per type. Both must
# give the same number of lines per type. The ratio, printed last, is anchor time / Nära time. Memory:
# VmHWM (peak resident set) of the `nara serve` process from /proc, which includes its start and
# the whole export.
source "$(dirname "$0")/common.sh"

bench_people_args 200000 2000 "$@"

bench_start_cluster
bench_load_population registry "$people"
NARA_EXPORT_DIR=$BENCH_WORK/export-jobs bench_serve registry
bench_header "4, \$export (people $people, $(psql -X -At "$(bench_url registry)" -c "SELECT count(*) FROM resource_current WHERE NOT deleted") resources)"
rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$BENCH_SERVER_PID/status")

# The anchor: the export worker's own SELECT per type (pg/pg_export.cpp TypeQuery), copied out.
types=(Organization Practitioner PractitionerRole Patient EpisodeOfCare CareTeam DocumentReference)
raw=$BENCH_WORK/raw-files
mkdir -p "$raw"
{
  echo "\\set ON_ERROR_STOP 1"
  echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
  for type in "${types[@]}"; do
    echo "\\copy (SELECT v.body FROM resource_current c JOIN resource_version v ON v.res_type = c.res_type AND v.res_id = c.res_id AND v.version = c.version WHERE c.res_type = '$type' AND NOT c.deleted ORDER BY c.res_id) TO '$raw/$type.ndjson'"
  done
  echo "COMMIT;"
} >"$BENCH_WORK/copy.sql"
# One untimed pass of the anchor first, so neither side pays for a cold cache (the rows were just
# imported; without it Nära, measured first, read them cold).
psql -X -q "$(bench_url registry)" -f "$BENCH_WORK/copy.sql" >/dev/null
rm -f "$raw"/*.ndjson

base="https://localhost:$BENCH_PORT/fhir"
out=$BENCH_WORK/nara-files
mkdir -p "$out"
t0=$(bench_now)
status=$(bench_curl_as statistics -D - -o /dev/null -H 'Accept: application/fhir+json' -H 'Prefer: respond-async' \
  "$base/\$export" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ocation: //p')
[[ -n $status ]] || { echo "bench: the kick-off gave no Content-Location" >&2; exit 1; }
while :; do
  code=$(bench_curl_as statistics -o "$BENCH_WORK/manifest.json" -w '%{http_code}' "$status")
  [[ $code == 200 ]] && break
  [[ $code == 202 ]] || { echo "bench: \$export-status answered $code" >&2; cat "$BENCH_WORK/manifest.json" >&2; exit 1; }
  sleep 0.2
done
t_ready=$(bench_now)
while read -r type url; do
  code=$(bench_curl_as statistics -o "$out/$type.ndjson" -w '%{http_code}' "$url")
  [[ $code == 200 ]] || { echo "bench: $type file answered $code" >&2; exit 1; }
done < <(jq -r '.output[] | "\(.type) \(.url)"' "$BENCH_WORK/manifest.json")
t1=$(bench_now)
nara_s=$(bench_secs "$t0" "$t1")
job_s=$(bench_secs "$t0" "$t_ready") download_s=$(bench_secs "$t_ready" "$t1")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$BENCH_SERVER_PID/status")

t0=$(bench_now)
psql -X -q "$(bench_url registry)" -f "$BENCH_WORK/copy.sql" >/dev/null
t1=$(bench_now)
raw_s=$(bench_secs "$t0" "$t1")

lines=0
for type in "${types[@]}"; do
  n=$(cat "$out/$type.ndjson" 2>/dev/null | wc -l)
  r=$(wc -l <"$raw/$type.ndjson")
  [[ $n == "$r" ]] || { echo "bench: $type: \$export gave $n lines, COPY $r" >&2; exit 1; }
  lines=$((lines + n))
done
((lines > 0)) || { echo "bench: nothing exported" >&2; exit 1; }

echo "nara \$export (kick-off, poll, download $(jq '.output | length' "$BENCH_WORK/manifest.json") files, $(du -cm "$out"/*.ndjson | tail -n 1 | cut -f1) MB): ${nara_s} s, $(bench_div "$lines" "$nara_s") resources/s"
echo "  of which the job (kick-off until the manifest): ${job_s} s, the downloads: ${download_s} s"
echo "COPY ... TO STDOUT of the same rows: ${raw_s} s, $(bench_div "$lines" "$raw_s") resources/s"
echo "nara serve memory: VmRSS $((rss_before / 1024)) MB before the export, peak (VmHWM) $((hwm / 1024)) MB (goal <= 300 MB)"
echo "ratio (COPY time / nara \$export time, goal >= 0.7): $(bench_div "$raw_s" "$nara_s")"
