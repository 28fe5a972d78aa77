#!/usr/bin/env bash
# Figure 2: change-of-listing throughput (POST EpisodeOfCare listning for a listed resident at another
# vårdcentral: the old listing finished, the fast läkarkontakt there ended, the new one written, audit,
# one transaction) against pgbench TPC-B on the same cluster (goal: ratio >= 0.5).
#   bench/change_listing.sh [--people N] [--requests R] [--clients C]   default 20 000 people, 4 000, 16
#   bench/change_listing.sh --smoke                                     1 000 people, 200 requests
#   --profile   also load pg_stat_statements and print the statements per change and where time went
#               (every statement the server sent, BEGIN and COMMIT included; how the count came down:
#               docs/internals.md "What a write costs the database")
#   --perf      also a machine-wide perf profile of the changes (by process, top symbols)
# Nära: `curl --parallel` (C transfers at a time over reused keep-alive mutual-TLS connections, admin
# certificate), each request a different resident, all must answer 201; requests/s over the whole run.
# Anchor: `pgbench -c C -j 2 -T 20` TPC-B (scale 10) in another database of the same cluster: tps.
source "$(dirname "$0")/common.sh"

usage="bench/change_listing.sh [--people N] [--requests R] [--clients C] [--profile] [--perf] | --smoke"
bench_change_args "$usage" "$@"
profile=0 perf=0
for flag in "${flags[@]}"; do
  case $flag in
    --profile) profile=1 ;;
    --perf) perf=1 ;;
    *) echo "usage: $usage" >&2; exit 2 ;;
  esac
done

bench_start_cluster
((profile)) && bench_enable_statements
bench_load_population registry "$people"
bench_serve registry
bench_header "2, change of listing (people $people, $requests requests, $clients at a time)"

bench_listing_moves "$requests"
config=$BENCH_WORK/requests.curl

((profile)) && bench_statements_reset registry
((perf)) && bench_perf_start 5  # (the first seconds of a run of about 7)
t0=$(bench_now)
curl -s --show-error --parallel --parallel-max "$clients" -K "$config" >"$BENCH_WORK/codes.txt" 2>"$BENCH_WORK/curl.err" || true
t1=$(bench_now)
nara_s=$(bench_secs "$t0" "$t1")
created=$(grep -c '^201$' "$BENCH_WORK/codes.txt" || true)
if ((created != requests)); then
  echo "bench: $created of $requests changes answered 201 ($(sort "$BENCH_WORK/codes.txt" | uniq -c | tr '\n' ' '))" >&2
  exit 1
fi
finished=$(psql -X -At "$(bench_url registry)" -c "SELECT count(*) FROM registry_listing WHERE kind = 'listning' AND valid_to = DATE '$today'")
nara_rate=$(bench_div "$requests" "$nara_s")

((profile)) && bench_statements_report registry "$requests" change
((perf)) && bench_perf_report
bench_createdb tpcb
pgbench -q -i -s 10 "$(bench_url tpcb)" >/dev/null 2>&1
tps=$(pgbench -n -c "$clients" -j 2 -T "$seconds" "$(bench_url tpcb)" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)

echo "nara change of listing: $requests in ${nara_s} s = $nara_rate changes/s ($finished old listings finished)"
echo "pgbench TPC-B, scale 10, $clients clients: $tps tps"
echo "ratio (nara changes/s / pgbench tps, goal >= 0.5): $(bench_div "$nara_rate" "$tps")"
