#!/usr/bin/env bash
# Figure 1: GET Patient/{id} over mutual TLS keep-alive against nginx serving a static file of the same
# size over the same mutual TLS (goal: ratio >= 0.25 now; 0.5 is the design target, docs/internals.md
# "What would take the hot paths further").
#   bench/get_patient.sh [--people N] [--seconds S] [--connections C]   default 20 000 people, 20 s, 16
#   bench/get_patient.sh --smoke                                        1 000 people, 2 s, no warm-up: checks the script works
#   --profile   also load pg_stat_statements: statements (round trips) per read, and where time went
#   --perf      also a machine-wide perf profile of the Nara run (by process, top symbols)
#   --no-cache  the server keeps no Patient answers (cache.patient-answers = 0): every read reads the
#               database, as the first read of a patient does
# Nära: `wrk` (2 threads, C keep-alive connections, EHR certificate) reading one imported Patient:
# access decision, the audit record, the current version and the derived generalPractitioner each time.
# Anchor: nginx from Debian on another loopback port with the same server certificate, the same CA and
# a client certificate required (ssl_verify_client on), 2 worker processes (one per core, as Nära gets
# the machine), serving that Patient's exact bytes as a file; same wrk, same connections, same time.
# Both keep at most 1000 requests on a connection (Nära's setting and nginx's default). The ratio,
# printed last, is Nära requests/s / nginx requests/s.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/wrk.sh"
source "$(dirname "$0")/nginx.sh"

people=20000 seconds=20 connections=16 warm=1 profile=0 perf=0 cache=50000
while (($#)); do
  case $1 in
    --people) people=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --smoke) people=1000 seconds=2 warm=0; shift ;;
    --profile) profile=1; shift ;;
    --perf) perf=1; shift ;;
    --no-cache) cache=0; shift ;;
    *) echo "usage: bench/get_patient.sh [--people N] [--seconds S] [--connections C] [--profile] [--perf] [--no-cache] | --smoke" >&2; exit 2 ;;
  esac
done

bench_start_cluster
((profile)) && bench_enable_statements
bench_load_population registry "$people"
# Workers for every connection, also while a previous wrk run's connections are being closed (one
# beyond the workers is answered 503, which would fail the run).
NARA_THREADS=$((3 * connections)) NARA_CACHE_PATIENT_ANSWERS=$cache bench_serve registry
bench_header "1, GET Patient/{id} (people $people, $connections connections, $seconds s each, cache.patient-answers $cache)"

# A listed patient with a fast läkarkontakt: the read derives generalPractitioner from both.
patient=$(psql -X -At "$(bench_url registry)" -c "
  SELECT c.patient_id FROM registry_contact c WHERE c.role_code = '2' AND c.status = 'active'
  ORDER BY c.patient_id LIMIT 1")
[[ -n $patient ]] || { echo "bench: no patient with a fast läkarkontakt" >&2; exit 1; }
nara_url="https://localhost:$BENCH_PORT/fhir/Patient/$patient"
code=$(bench_curl_as ehr -o "$BENCH_NGINX_ROOT/html/patient.json" -w '%{http_code}' "$nara_url")
[[ $code == 200 ]] || { echo "bench: GET Patient answered $code" >&2; exit 1; }
bytes=$(wc -c <"$BENCH_NGINX_ROOT/html/patient.json")

bench_nginx_start patient.json
nginx_url="https://localhost:$BENCH_NGINX_PORT/patient.json"

# A short warm-up of each, then the measured runs.
if ((warm)); then
  bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 1s "$nara_url"
  sleep 1
  bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 1s "$nginx_url"
  sleep 1
fi
((profile)) && bench_statements_reset registry
ctxt0=$(awk '/^ctxt/ { print $2 }' /proc/stat)
((perf)) && bench_perf_start "$seconds"
bench_wrk ehr "$BENCH_WORK/nara.txt" -t 2 -c "$connections" -d "${seconds}s" "$nara_url"
ctxt1=$(awk '/^ctxt/ { print $2 }' /proc/stat)
((profile)) && bench_statements_report registry "$(bench_wrk_requests "$BENCH_WORK/nara.txt")" read
((perf)) && bench_perf_report
sleep 1
bench_wrk ehr "$BENCH_WORK/nginx.txt" -t 2 -c "$connections" -d "${seconds}s" "$nginx_url"

# For context (not the figure): the same read spread over every patient at random (ids from the
# database), as an EHR opening many patients does: with the cache, the first pass reads the database
# and later ones mostly do not (cache.patient-answers holds all of them).
psql -X -At "$(bench_url registry)" -c "SELECT res_id FROM resource_current WHERE res_type = 'Patient' AND NOT deleted" \
  >"$BENCH_WORK/patient_ids.txt"
sleep 1
PATIENT_IDS=$BENCH_WORK/patient_ids.txt bench_wrk ehr "$BENCH_WORK/spread.txt" -t 2 -c "$connections" \
  -d "$(((seconds + 1) / 2))s" -s "$BENCH_ROOT/bench/patient_reads.lua" "https://localhost:$BENCH_PORT"
echo "context, nara GET Patient spread over all $(wc -l <"$BENCH_WORK/patient_ids.txt") patients at random: $(bench_wrk_rps "$BENCH_WORK/spread.txt") requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/spread.txt" 50) ms, p99 $(bench_wrk_ms "$BENCH_WORK/spread.txt" 99) ms"
if ((cache)); then
  echo "context, patient cache (/metrics): $(curl -fsS "http://127.0.0.1:$BENCH_OPS_PORT/metrics" | grep -E '^nara_patient_cache_(lookups_total|entries)' | tr '\n' ' ')"
fi

# For context (not the figure): the same server answering GET metadata, which reads no database and
# writes no audit record: what Poco, TLS and the request path cost without PostgreSQL.
sleep 1
bench_wrk ehr "$BENCH_WORK/metadata.txt" -t 2 -c "$connections" -d "$(((seconds + 1) / 2))s" "https://localhost:$BENCH_PORT/fhir/metadata"
meta_bytes=$(bench_curl_as ehr "https://localhost:$BENCH_PORT/fhir/metadata" | wc -c)
echo "context, nara GET metadata (no database, $meta_bytes-byte body): $(bench_wrk_rps "$BENCH_WORK/metadata.txt") requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/metadata.txt" 50) ms"
# Context switches of the whole machine (kernel counter) over the Nara run, per read: what the round
# trips to PostgreSQL and the hand-offs between threads cost on this VM.
echo "context, context switches per read (whole machine, /proc/stat): $(bench_div "$((ctxt1 - ctxt0))" "$(bench_wrk_requests "$BENCH_WORK/nara.txt")")"
for side in nara nginx; do
  f=$BENCH_WORK/$side.txt
  echo "$side: $(bench_wrk_requests "$f") requests, $(bench_wrk_rps "$f") requests/s, latency p50 $(bench_wrk_ms "$f" 50) ms, p99 $(bench_wrk_ms "$f" 99) ms ($bytes-byte body)"
done
echo "ratio (nara requests/s / nginx requests/s, goal >= 0.25; 0.5 the design target): $(bench_div "$(bench_wrk_rps "$BENCH_WORK/nara.txt")" "$(bench_wrk_rps "$BENCH_WORK/nginx.txt")")"
