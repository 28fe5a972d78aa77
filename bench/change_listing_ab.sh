#!/usr/bin/env bash
# Two builds of nara on figure 2's changes of listing, alternately, each side's CPU per change: is a
# change to the write path worth keeping? On this VM the throughput of one run moves by a fifth either
# way from one minute to the next, more than most single changes give (bench/RESULTS.md, tenth to
# twelfth rounds), so one run of each says nothing; pairs of runs, the order alternating, do.
#   bench/change_listing_ab.sh --old BIN --new BIN [--pairs N] [--people N] [--requests R] [--clients C]
#                                          default 3 pairs of 20 000 people, 4 000 changes, 16 at a time
#   bench/change_listing_ab.sh --old BIN --new BIN --smoke                    1 pair, 1 000 people, 200
#   --own-schema   each build migrates and loads its own database (to weigh a change of schema: an
#                  index more or less); without it both run on the new build's schema and data
# Each run: a fresh database of the population (`nara synth --seed 1`, loaded and migrated by the new
# build, which the old one must accept), the server of that build, the changes of
# bench/change_listing.sh; per change the CPU of the server, curl, PostgreSQL's processes and the
# machine (bench_measure_changes in common.sh).
# Printed last, new over old, the median over the pairs: PostgreSQL's CPU per change, and the same over
# curl's CPU per change. curl does the same work in every run, so its CPU is a gauge of how fast the
# machine ran: the second ratio takes the machine's phase out of the first.
source "$(dirname "$0")/common.sh"

usage="bench/change_listing_ab.sh --old BIN --new BIN [--pairs N] [--own-schema] [--people N] [--requests R] [--clients C] | --smoke"
old_bin='' new_bin='' pairs=3 own_schema=0 rest=()
while (($#)); do
  case $1 in
    --old) old_bin=$2; shift 2 ;;
    --new) new_bin=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --own-schema) own_schema=1; shift ;;
    --smoke) pairs=1; rest+=("$1"); shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
bench_change_args "$usage" "${rest[@]}"
((${#flags[@]} == 0)) && [[ -x $old_bin && -x $new_bin ]] && ((pairs >= 1)) || { echo "usage: $usage" >&2; exit 2; }

bench_start_cluster
NARA=$new_bin
bench_header "2 A/B, change of listing (people $people, $requests requests, $clients at a time, $pairs pairs)"
echo "old: $old_bin ($("$old_bin" version 2>/dev/null | head -n 1))"
echo "new: $new_bin ($("$new_bin" version 2>/dev/null | head -n 1))"

# One run of the build $2 (old or new) as run $1: prints its line and appends "pair build pg_us curl_us".
run() {
  local pair=$1 which=$2
  psql -X -q "$(bench_url postgres)" -c "DROP DATABASE IF EXISTS registry" >/dev/null 2>&1
  if [[ $which == old ]]; then NARA=$old_bin; else NARA=$new_bin; fi
  ((own_schema)) || NARA=$new_bin
  bench_load_population registry "$people"
  if [[ $which == old ]]; then NARA=$old_bin; else NARA=$new_bin; fi
  bench_serve registry
  bench_measure_changes
  kill "$BENCH_SERVER_PID"
  wait "$BENCH_SERVER_PID" 2>/dev/null || true
  trap bench_cleanup EXIT
  printf 'pair %d %s: %s changes/s; µs per change: server %s, curl %s, PostgreSQL %s, machine %s\n' "$pair" "$which" \
    "$CHANGES_RATE" "$CHANGES_SERVER_US" "$CHANGES_CURL_US" "$CHANGES_POSTGRES_US" "$CHANGES_MACHINE_US"
  echo "$pair $which $CHANGES_POSTGRES_US $CHANGES_CURL_US" >>"$BENCH_WORK/ab.txt"
}
for ((pair = 1; pair <= pairs; pair++)); do
  if ((pair % 2)); then run "$pair" old; run "$pair" new; else run "$pair" new; run "$pair" old; fi
done

# Per pair new/old, raw and over curl's CPU, then the median of the pairs of each.
awk '{ pg[$1, $2] = $3; curl[$1, $2] = $4; n = ($1 > n ? $1 : n) }
     END { for (p = 1; p <= n; p++) printf "%.4f %.4f\n", pg[p, "new"] / pg[p, "old"], pg[p, "new"] / pg[p, "old"] * curl[p, "old"] / curl[p, "new"] }' \
  "$BENCH_WORK/ab.txt" >"$BENCH_WORK/ratios.txt"
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "ratio new/old PostgreSQL CPU per change, median of $pairs pairs: $(cut -d' ' -f1 "$BENCH_WORK/ratios.txt" | median)"
echo "ratio new/old PostgreSQL CPU per change over curl CPU per change, median of $pairs pairs (below 1: new is cheaper): $(cut -d' ' -f2 "$BENCH_WORK/ratios.txt" | median)"
