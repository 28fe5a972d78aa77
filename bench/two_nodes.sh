#!/usr/bin/env bash
# Figure 7: searches through two `nara serve` nodes, one reading the primary and one reading an async hot
# standby (NARA_DATABASE_READ_URL), against one node alone, on the same machine (docs/api.md section 12).
#   bench/two_nodes.sh [--people N] [--seconds S] [--connections C]   default 20 000 people, 20 s, 16
#   bench/two_nodes.sh --smoke                                        1 000 people, 2 s, no warm-up: checks the script works
# The search: a doctor's list as a clinician's screen asks for it (the first page at the default _count,
# `CareTeam?participant=PractitionerRole/X&status=active`, bench/list_search.sh), by the EHR certificate;
# each is audited on the primary (PDL), whichever database answers the search.
# One node alone: `wrk` (2 threads, C keep-alive mutual-TLS connections) against node A (database.url the
# primary, no read URL). Two nodes: two `wrk` at once (1 thread, C/2 connections each), one against node A
# and one against node B (database.url the primary, database.read-url the standby). On one machine the
# nodes, both servers and wrk share the same cores: the ratio shows what the routing costs and what a
# second node and a standby add here, not what more machines would give. The ratio, printed last, is the
# two nodes' requests/s together / node A's alone.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/wrk.sh"

people=20000 seconds=20 connections=16 warm=1
while (($#)); do
  case $1 in
    --people) people=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --smoke) people=1000 seconds=2 warm=0; shift ;;
    *) echo "usage: bench/two_nodes.sh [--people N] [--seconds S] [--connections C] | --smoke" >&2; exit 2 ;;
  esac
done
((connections >= 2)) || { echo "bench: --connections must be 2 or more (split between the nodes)" >&2; exit 2; }

bench_start_cluster
bench_load_population registry "$people"
# An asynchronous hot standby of it (a read replica: the primary never waits for it).
"$BENCH_ROOT/scripts/pg-cluster.sh" standby "$BENCH_WORK/pg" "$BENCH_WORK/standby" "" standby1 --async >/dev/null 2>&1 ||
  { echo "bench: the standby did not start" >&2; exit 1; }
standby_url=$("$BENCH_ROOT/scripts/pg-cluster.sh" url "$BENCH_WORK/standby" registry)
bench_stop_standby() { "$BENCH_ROOT/scripts/pg-cluster.sh" stop "$BENCH_WORK/standby" >/dev/null 2>&1 || true; }
# The standby has replayed the whole population before anything is measured (bounded wait).
target=$(psql -X -At "$(bench_url registry)" -c "SELECT pg_current_wal_lsn()")
for i in $(seq 1 600); do
  [[ $(psql -X -At "$standby_url" -c "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn") == t ]] && break
  ((i < 600)) || { echo "bench: the standby did not catch up" >&2; exit 1; }
  sleep 0.1
done

# Node A as every other figure starts it; node B beside it with the same PKI, reading the standby.
NARA_THREADS=$((3 * connections)) bench_serve registry
port_a=$BENCH_PORT
port_b=$(bench_free_port)
ops_b=$(bench_free_port)
NARA_DATABASE_URL=$(bench_url registry) NARA_DATABASE_READ_URL=$standby_url NARA_THREADS=$((3 * connections)) \
  NARA_TLS_CERT=$BENCH_PKI/server.pem NARA_TLS_KEY=$BENCH_PKI/server.key NARA_TLS_CA=$BENCH_PKI/ca-bundle.pem \
  NARA_TLS_CRL=$BENCH_PKI/crl.pem NARA_ACCESS_FILE=$BENCH_PKI/access.json NARA_PORT=$port_b NARA_OPS_PORT=$ops_b \
  "$NARA" serve 2>"$BENCH_WORK/serve-b.log" &
node_b=$!
trap 'kill "$node_b" "$BENCH_SERVER_PID" 2>/dev/null; wait "$node_b" "$BENCH_SERVER_PID" 2>/dev/null; bench_stop_standby; bench_cleanup' EXIT
for i in $(seq 1 100); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$ops_b/readyz" 2>/dev/null && break
  kill -0 "$node_b" 2>/dev/null && ((i < 100)) || { echo "bench: node B did not become ready" >&2; tail -n 5 "$BENCH_WORK/serve-b.log" >&2; exit 1; }
  sleep 0.2
done
ready_b=$(curl -fsS "http://127.0.0.1:$ops_b/readyz")
[[ $ready_b == *'"read_database":"standby"'* ]] || { echo "bench: node B does not read a standby: $ready_b" >&2; exit 1; }

bench_longest_list
bench_header "7, a doctor's list search (first page) through two nodes (primary + standby reads) vs one (people $people, list of $listed, $connections connections, $seconds s)"
search="/fhir/CareTeam?participant=PractitionerRole/$role&status=active"
# Both nodes give the same answer (the standby has everything).
for port in "$port_a" "$port_b"; do
  code=$(bench_curl_as ehr -o "$BENCH_WORK/page-$port.json" -w '%{http_code}' "https://localhost:$port$search")
  [[ $code == 200 ]] || { echo "bench: the search on port $port answered $code" >&2; exit 1; }
done
a_total=$(jq .total "$BENCH_WORK/page-$port_a.json")
b_total=$(jq .total "$BENCH_WORK/page-$port_b.json")
[[ $a_total == "$b_total" ]] || { echo "bench: node A found $a_total, node B $b_total" >&2; exit 1; }

reads_b() { curl -fsS "http://127.0.0.1:$ops_b/metrics" | awk -v s="nara_db_reads_total{pool=\"$1\"}" '$1 == s { print $2 }'; }
if ((warm)); then
  bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 1s "https://localhost:$port_a$search"
  bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 1s "https://localhost:$port_b$search"
  sleep 1
fi
bench_wrk ehr "$BENCH_WORK/one.txt" -t 2 -c "$connections" -d "${seconds}s" "https://localhost:$port_a$search"
sleep 1
standby_before=$(reads_b standby) primary_before=$(reads_b primary)
half=$((connections / 2))
bench_wrk ehr "$BENCH_WORK/two-a.txt" -t 1 -c "$half" -d "${seconds}s" "https://localhost:$port_a$search" &
wrk_a=$!
bench_wrk ehr "$BENCH_WORK/two-b.txt" -t 1 -c "$((connections - half))" -d "${seconds}s" "https://localhost:$port_b$search"
wait "$wrk_a"
# Counted by node B itself (wrk counts only the answers that arrived within its time).
standby_reads=$(($(reads_b standby) - standby_before))
primary_reads=$(($(reads_b primary) - primary_before))
# Node B's searches ran on the standby (one that fell back to the primary is counted there; none should
# here: the ehr client writes nothing).
((standby_reads > 0)) || { echo "bench: node B sent no search to the standby" >&2; exit 1; }

one=$(bench_wrk_rps "$BENCH_WORK/one.txt")
two_a=$(bench_wrk_rps "$BENCH_WORK/two-a.txt")
two_b=$(bench_wrk_rps "$BENCH_WORK/two-b.txt")
two=$(awk -v a="$two_a" -v b="$two_b" 'BEGIN { printf "%.2f", a + b }')
echo "one node (A, reads the primary): $one requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/one.txt" 50) ms, p99 $(bench_wrk_ms "$BENCH_WORK/one.txt" 99) ms"
echo "two nodes, A (reads the primary): $two_a requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/two-a.txt" 50) ms, p99 $(bench_wrk_ms "$BENCH_WORK/two-a.txt" 99) ms"
echo "two nodes, B (reads the standby): $two_b requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/two-b.txt" 50) ms, p99 $(bench_wrk_ms "$BENCH_WORK/two-b.txt" 99) ms; node B ran $standby_reads searches on the standby, $primary_reads on the primary"
echo "ratio (two nodes' requests/s / one node's, $(nproc) cores shared by both nodes, both servers and wrk): $(bench_div "$two" "$one")"
