# Shared by the bench/ scripts (sourced): a private PostgreSQL cluster, timing, and the header every
# result starts with (machine, date, commit), so each figure is measured against its anchor on the
# same machine in the same run.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NARA=${NARA:-$BENCH_ROOT/build/release/app/nara}
[[ -x $NARA ]] || NARA=$BENCH_ROOT/build/test/app/nara
[[ -x $NARA ]] || { echo "bench: no nara binary (build first, or set NARA=...)" >&2; exit 2; }

# A work folder under $TMPDIR the postgres user can traverse (the cluster runs as postgres when we are root).
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/nara-bench.XXXXXX")
chmod 0755 "$BENCH_WORK"
bench_cleanup() {
  "$BENCH_ROOT/scripts/pg-cluster.sh" stop "$BENCH_WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$BENCH_WORK"
}
trap bench_cleanup EXIT

# Starts the cluster (tuned as a bulk-load server would be, identically for Nära and the anchor) and
# prints nothing; bench_url DB gives a database's URL.
bench_start_cluster() {
  "$BENCH_ROOT/scripts/pg-cluster.sh" start "$BENCH_WORK/pg" >/dev/null 2>&1
}
bench_url() { "$BENCH_ROOT/scripts/pg-cluster.sh" url "$BENCH_WORK/pg" "$1"; }
bench_createdb() {
  psql -X -q -v ON_ERROR_STOP=1 "$(bench_url postgres)" -c "CREATE DATABASE \"$1\"" >/dev/null
  NARA_DATABASE_URL=$(bench_url "$1") "$NARA" migrate >/dev/null 2>&1
}

# bench_load_population DB PEOPLE [nara synth options...]: a migrated database DB holding `nara synth
# --seed 1`'s population of PEOPLE, imported with `nara import` and analyzed (the population file stays
# in $BENCH_WORK/population.ndjson).
bench_load_population() {
  local db=$1 people=$2
  shift 2
  bench_createdb "$db"
  "$NARA" synth --people "$people" --seed 1 "$@" --out "$BENCH_WORK/population.ndjson" 2>/dev/null
  NARA_DATABASE_URL=$(bench_url "$db") "$NARA" import "$BENCH_WORK/population.ndjson" 2>"$BENCH_WORK/import.log" ||
    { tail -n 3 "$BENCH_WORK/import.log" >&2; exit 1; }
  psql -X -q "$(bench_url "$db")" -c "VACUUM ANALYZE" >/dev/null
}

# bench_people_args DEFAULT SMOKE "$@": the options of the scripts that take only a population size,
# `[--people N | --smoke]`; sets people (DEFAULT, N, or SMOKE for --smoke).
bench_people_args() {
  people=$1
  local smoke=$2
  shift 2
  while (($#)); do
    case $1 in
      --people) people=$2; shift 2 ;;
      --smoke) people=$smoke; shift ;;
      *) echo "usage: bench/$(basename "$0") [--people N | --smoke]" >&2; exit 2 ;;
    esac
  done
}

# bench_change_args USAGE "$@": the options of the change-of-listing scripts (change_listing.sh,
# change_listing_floor.sh): [--people N] [--requests R] [--clients C] | --smoke; sets people, requests,
# clients and seconds (pgbench's run), and `flags` (the script's own options, as given).
bench_change_args() {
  local usage=$1
  shift
  people=20000 requests=4000 clients=16 seconds=20 flags=()
  while (($#)); do
    case $1 in
      --people) people=$2; shift 2 ;;
      --requests) requests=$2; shift 2 ;;
      --clients) clients=$2; shift 2 ;;
      --smoke) people=1000 requests=200 seconds=3; shift ;;
      --*) flags+=("$1"); shift ;;
      *) echo "usage: $usage" >&2; exit 2 ;;
    esac
  done
}

bench_now() { date +%s.%N; }
bench_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
bench_div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

bench_header() {
  local model mem
  model=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
  echo "figure: $1"
  echo "machine: $(nproc) cores ($model), $mem RAM, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "postgresql: $(psql --version | awk '{ print $3 }')"
}

bench_free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts `nara serve` on database $1 with a fresh dev PKI; sets BENCH_PORT, BENCH_OPS_PORT, BENCH_PKI and the curl
# arguments for a role's certificate: bench_curl_as ROLE ARGS...
bench_serve() {
  BENCH_PKI=$BENCH_WORK/pki
  "$NARA" dev-pki "$BENCH_PKI" >/dev/null 2>&1
  BENCH_PORT=$(bench_free_port)
  BENCH_OPS_PORT=$(bench_free_port)
  local ops=$BENCH_OPS_PORT
  NARA_DATABASE_URL=$(bench_url "$1") NARA_TLS_CERT=$BENCH_PKI/server.pem NARA_TLS_KEY=$BENCH_PKI/server.key \
    NARA_TLS_CA=$BENCH_PKI/ca-bundle.pem NARA_TLS_CRL=$BENCH_PKI/crl.pem NARA_ACCESS_FILE=$BENCH_PKI/access.json \
    NARA_PORT=$BENCH_PORT NARA_OPS_PORT=$ops "$NARA" serve 2>"$BENCH_WORK/serve.log" &
  BENCH_SERVER_PID=$!
  trap 'kill "$BENCH_SERVER_PID" 2>/dev/null; wait "$BENCH_SERVER_PID" 2>/dev/null; bench_cleanup' EXIT
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$ops/readyz" 2>/dev/null && return 0
    kill -0 "$BENCH_SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "bench: nara serve did not become ready" >&2
  tail -n 5 "$BENCH_WORK/serve.log" >&2
  exit 1
}
bench_curl_as() {
  local role=$1
  shift
  curl -sS --cert "$BENCH_PKI/clients/$role.pem" --key "$BENCH_PKI/clients/$role.key" \
    --cacert "$BENCH_PKI/ca-bundle.pem" "$@"
}

# pg_stat_statements for a --profile run: bench_enable_statements restarts the cluster with it loaded
# (call right after bench_start_cluster); bench_statements_reset DB before the measured part;
# bench_statements_report DB N WHAT prints the statements per WHAT (N of them: requests, changes…) and
# the ten that took most time, which is how RESULTS.md counts round trips. Planning is counted too: a
# prepared statement should be planned a few times per connection and then keep its generic plan, so
# plans close to calls mark one PostgreSQL plans on every call (the read ahead did until 12-07).
bench_enable_statements() {
  psql -X -q "$(bench_url postgres)" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
  "$BENCH_ROOT/scripts/pg-cluster.sh" stop "$BENCH_WORK/pg" >/dev/null 2>&1
  bench_start_cluster
  # (known only once the library is loaded)
  psql -X -q "$(bench_url postgres)" -c "ALTER SYSTEM SET pg_stat_statements.track_planning = on" \
    -c "SELECT pg_reload_conf()" >/dev/null
}
bench_statements_reset() {
  psql -X -q "$(bench_url "$1")" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "SELECT pg_stat_statements_reset()" >/dev/null
}
bench_statements_report() {
  local db=$1 n=$2 what=$3
  echo "profile: statements per $what (pg_stat_statements over $n), and the ten that took most time"
  echo "  (per $what: calls | execution | plans | planning | statement)"
  psql -X -At -F ' | ' "$(bench_url "$db")" -c "
    SELECT 'all', round(sum(calls)::numeric / $n, 2), round(sum(total_exec_time)::numeric / $n, 3) || ' ms',
           round(sum(plans)::numeric / $n, 2), round(sum(total_plan_time)::numeric / $n, 3) || ' ms'
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query NOT LIKE '%pg_stat_statements%'" \
    -c "SELECT round(calls::numeric / $n, 2), round(total_exec_time::numeric / $n, 3) || ' ms',
               round(plans::numeric / $n, 2), round(total_plan_time::numeric / $n, 3) || ' ms',
               left(regexp_replace(query, '\s+', ' ', 'g'), 100)
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time + total_plan_time DESC LIMIT 10" | sed 's/^/  /'
}

# A machine-wide perf profile of a measured run (--perf): bench_perf_start SECONDS records every CPU
# with call graphs in the background; bench_perf_report prints where the time went by process and
# the top symbols, the form bench/RESULTS.md keeps profiles in.
bench_perf_start() {
  perf record -a -g -o "$BENCH_WORK/perf.data" -- sleep "$1" >/dev/null 2>&1 &
  BENCH_PERF_PID=$!
}
bench_perf_report() {
  wait "$BENCH_PERF_PID" 2>/dev/null || true
  echo "perf: share of all samples by process"
  # (|| true: head closing the pipe early is not a failure of the run)
  perf report -i "$BENCH_WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9]' | head -n 8 | sed 's/^/  /' || true
  echo "perf: top symbols (no children)"
  perf report -i "$BENCH_WORK/perf.data" --no-children --sort comm,sym --stdio -g none 2>/dev/null |
    grep -E '^ +[0-9]' | head -n 25 | sed 's/^/  /' || true
}

# bench_listing_moves N: N changes of listing as a `curl --parallel -K` config in $BENCH_WORK/requests.curl
# (database `registry`, the server of bench_serve, the admin certificate): residents listed today with
# no change in the last year (so rule 7 allows one more) and not in SÄBO, each to another vårdcentral of
# the same region, from today (set in $today). $BENCH_WORK/moves.txt keeps the (patient, unit) pairs.
bench_listing_moves() {
  local config=$BENCH_WORK/requests.curl first=1 moves patient unit
  today=$(date -u +%Y-%m-%d)
  psql -X -At -F ' ' "$(bench_url registry)" -c "
    SELECT l.patient_id, (SELECT v.unit_id FROM registry_unit v WHERE v.type = 'vardcentral' AND v.part_of = u.part_of
                          AND v.unit_id <> l.unit_id ORDER BY v.unit_id LIMIT 1)
    FROM registry_listing l JOIN registry_unit u ON u.unit_id = l.unit_id
    WHERE l.kind = 'listning' AND l.status = 'active' AND l.valid_to IS NULL AND l.valid_from < DATE '$today' - 400
      AND NOT EXISTS (SELECT 1 FROM registry_listing s WHERE s.patient_id = l.patient_id AND s.kind = 'saebo')
    ORDER BY l.patient_id LIMIT $1" >"$BENCH_WORK/moves.txt"
  moves=$(wc -l <"$BENCH_WORK/moves.txt")
  ((moves == $1)) || { echo "bench: only $moves residents to move (raise --people)" >&2; exit 1; }
  while read -r patient unit; do
    ((first)) || echo next
    first=0
    cat <<CURL
url = "https://localhost:$BENCH_PORT/fhir/EpisodeOfCare"
cert = "$BENCH_PKI/clients/admin.pem"
key = "$BENCH_PKI/clients/admin.key"
cacert = "$BENCH_PKI/ca-bundle.pem"
header = "Content-Type: application/fhir+json"
header = "Prefer: return=minimal"
data = "{\"resourceType\":\"EpisodeOfCare\",\"status\":\"active\",\"type\":[{\"coding\":[{\"system\":\"https://fhir.nara-registry.org/CodeSystem/episode-type\",\"code\":\"listning\"}]}],\"patient\":{\"reference\":\"Patient/$patient\"},\"managingOrganization\":{\"reference\":\"Organization/$unit\"},\"period\":{\"start\":\"$today\"}}"
output = "/dev/null"
write-out = "%{http_code}\\n"
CURL
  done <"$BENCH_WORK/moves.txt" >"$config"
}

# CPU time in µs: of one process (utime + stime), and of the whole machine busy (all but idle and iowait).
ticks_us() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.0f", $1 * 1000000 / t }'; }
process_cpu_us() { awk '{ print $14 + $15 }' "/proc/$1/stat" | ticks_us; }
machine_busy_us() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat | ticks_us; }
# PostgreSQL's own CPU while a part runs: every process of the cluster (the postmaster and its
# children) sampled every 0.2 s, so backends that come and go with pgbench count too, each from its
# first sample to its last (what a backend spends in its first and last 0.2 s is not seen: under 2 %
# of a 20 s run). postgres_cpu_stop prints the µs.
postgres_cpu_start() {
  local postmaster
  postmaster=$(head -n 1 "$BENCH_WORK/pg/data/postmaster.pid")
  (while :; do
    awk -v pm="$postmaster" '$1 == pm || $4 == pm { print $1, $14 + $15 }' /proc/[0-9]*/stat 2>/dev/null || true
    sleep 0.2
  done) >"$BENCH_WORK/postgres_cpu.txt" &
  POSTGRES_SAMPLER=$!
}
postgres_cpu_stop() {
  kill "$POSTGRES_SAMPLER"
  wait "$POSTGRES_SAMPLER" 2>/dev/null || true
  awk '{ if (!($1 in first)) first[$1] = $2; last[$1] = $2 } END { for (p in last) t += last[p] - first[p]; print t + 0 }' \
    "$BENCH_WORK/postgres_cpu.txt" | ticks_us
}
# The CPU of this shell's finished children (curl, pgbench): the `times` builtin's second line, which
# must run in this shell, not in a $(...) subshell (whose children are none of them).
children_cpu_us() {
  times >"$BENCH_WORK/times.txt"
  sed -n 2p "$BENCH_WORK/times.txt" | sed 's/[ms]/ /g' |
    awk '{ printf "%.0f", ($1 * 60 + $2 + $3 * 60 + $4) * 1000000 }' >"$BENCH_WORK/children_us.txt"
}
per() { awk -v a="$1" -v n="$2" 'BEGIN { printf "%.0f", a / n }'; }

# bench_measure_changes: $requests changes of listing (bench_listing_moves) sent by `curl --parallel`
# ($clients at a time) to the server bench_serve started, each required to answer 201, with the CPU
# each side spent. Sets CHANGES_RATE (changes/s) and, in µs per change, CHANGES_SERVER_US (the
# server), CHANGES_CURL_US (curl), CHANGES_POSTGRES_US (the cluster's processes) and
# CHANGES_MACHINE_US (the whole machine busy). Used by change_listing_floor.sh and change_listing_ab.sh.
bench_measure_changes() {
  local children0 children1 server0 server1 machine0 machine1 t0 t1 postgres_us created
  bench_listing_moves "$requests"
  children_cpu_us; children0=$(<"$BENCH_WORK/children_us.txt")
  server0=$(process_cpu_us "$BENCH_SERVER_PID") machine0=$(machine_busy_us)
  postgres_cpu_start
  t0=$(bench_now)
  curl -s --show-error --parallel --parallel-max "$clients" -K "$BENCH_WORK/requests.curl" >"$BENCH_WORK/codes.txt" 2>"$BENCH_WORK/curl.err" || true
  t1=$(bench_now)
  server1=$(process_cpu_us "$BENCH_SERVER_PID") machine1=$(machine_busy_us)
  postgres_us=$(postgres_cpu_stop)
  children_cpu_us; children1=$(<"$BENCH_WORK/children_us.txt")
  created=$(grep -c '^201$' "$BENCH_WORK/codes.txt" || true)
  ((created == requests)) || { echo "bench: $created of $requests changes answered 201" >&2; exit 1; }
  CHANGES_RATE=$(bench_div "$requests" "$(bench_secs "$t0" "$t1")")
  CHANGES_SERVER_US=$(per $((server1 - server0)) "$requests")
  CHANGES_CURL_US=$(per $((children1 - children0)) "$requests")
  CHANGES_MACHINE_US=$(per $((machine1 - machine0)) "$requests")
  CHANGES_POSTGRES_US=$(per "$postgres_us" "$requests")
}

# bench_longest_list: the doctor with the longest list in database `registry`, for the list benchmarks
# (list_search.sh, two_nodes.sh, doctor_list.sh). Sets role (the PractitionerRole id), listed (its
# active fast läkarkontakter with no end: what CareTeam?participant=…&status=active finds) and
# in_force (those in force today: what Patient?general-practitioner finds).
bench_longest_list() {
  read -r role listed in_force < <(psql -X -At -F ' ' "$(bench_url registry)" -c "
    SELECT practitioner_role_id, count(*) FILTER (WHERE valid_to IS NULL),
           count(*) FILTER (WHERE valid_from <= current_date AND (valid_to IS NULL OR valid_to >= current_date))
    FROM registry_contact WHERE role_code = '2' AND status = 'active'
    GROUP BY practitioner_role_id ORDER BY 2 DESC, practitioner_role_id LIMIT 1")
  [[ -n $role ]] || { echo "bench: no doctor with a list" >&2; exit 1; }
}
