#!/usr/bin/env bash
# Figure 6: a doctor's list search, p99 latency at 32 connections (goal: <= 20 ms).
#   bench/list_search.sh [--people N] [--seconds S] [--connections C]   default 100 000 people, 20 s, 32
#   bench/list_search.sh --smoke                                        1 000 people, 2 s, no warm-up: checks the script works
# The search an EHR makes for a doctor's list: the active fast-läkarkontakt CareTeams naming the
# doctor's PractitionerRole, `CareTeam?participant=PractitionerRole/X&status=active&_count=1000`, for
# the role with the longest list in the imported population (about 1100 at full scale). _count is at
# most 1000, so the list is two pages: the second is the `next` link of the first (a keyset cursor),
# and the load asks for the pages in turn (bench/list_pages.lua). Load: `wrk` (2 threads, C keep-alive
# mutual-TLS connections, EHR certificate), its latency distribution over every page request. There is
# no anchor: the goal is absolute; a one-connection run is printed for context (service time without
# queueing). Two more context lines: the first page at the default _count (50, what a clinician's
# screen asks for) at C connections, and nginx (bench/nginx.sh) serving the very bytes of the list's
# pages as static files over the same mutual TLS at C connections: what the machine can do for pages
# of that size without any database or JSON work. The result, printed last, is p99 against the goal.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/wrk.sh"
source "$(dirname "$0")/nginx.sh"

people=100000 seconds=20 connections=32 warm=1
while (($#)); do
  case $1 in
    --people) people=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --smoke) people=1000 seconds=2 warm=0; shift ;;
    *) echo "usage: bench/list_search.sh [--people N] [--seconds S] [--connections C] | --smoke" >&2; exit 2 ;;
  esac
done

bench_start_cluster
bench_load_population registry "$people"
# Enough workers that every connection has one, also while the previous wrk run's connections are
# still being closed (the server finishes their last requests first): a connection beyond the workers
# is answered 503, which would fail the run.
NARA_THREADS=$((3 * connections)) bench_serve registry

bench_longest_list
bench_header "6, a doctor's list search (people $people, list of $listed, $connections connections, $seconds s)"

# Walk the list once as a client would, checking it is the whole list, and keep each page's path.
base="https://localhost:$BENCH_PORT"
url="$base/fhir/CareTeam?participant=PractitionerRole/$role&status=active&_count=1000"
pages=() seen=0
while [[ -n $url ]]; do
  pages+=("${url#"$base"}")
  page=$BENCH_NGINX_ROOT/html/page${#pages[@]}.json  # kept: nginx serves the same bytes
  code=$(bench_curl_as ehr -o "$page" -w '%{http_code}' "$url")
  [[ $code == 200 ]] || { echo "bench: list page answered $code" >&2; cat "$page" >&2; exit 1; }
  seen=$((seen + $(jq '[.entry[]? | select(.search.mode == "match")] | length' "$page")))
  url=$(jq -r '[.link[]? | select(.relation == "next") | .url][0] // empty' "$page")
done
((seen == listed)) || { echo "bench: the search found $seen of the $listed on the list" >&2; exit 1; }
page_bytes=$(wc -c "$BENCH_NGINX_ROOT"/html/page*.json | awk '$2 != "total" { printf "%s%s", sep, $1; sep = "+" }')
static_pages=$(cd "$BENCH_NGINX_ROOT/html" && ls page*.json | sed 's|^|/|' | tr '\n' ' ')
first_page="/fhir/CareTeam?participant=PractitionerRole/$role&status=active"
code=$(bench_curl_as ehr -o "$BENCH_WORK/first.json" -w '%{http_code}' "$base$first_page")
[[ $code == 200 ]] || { echo "bench: first page answered $code" >&2; exit 1; }
first_entries=$(jq '[.entry[]? | select(.search.mode == "match")] | length' "$BENCH_WORK/first.json")
bench_nginx_start page1.json

((warm)) && LIST_PAGES="${pages[*]}" bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 1s -s "$BENCH_ROOT/bench/list_pages.lua" "$base"
sleep 1  # let the last run's connections close
LIST_PAGES="${pages[*]}" bench_wrk ehr "$BENCH_WORK/list.txt" -t 2 -c "$connections" -d "${seconds}s" -s "$BENCH_ROOT/bench/list_pages.lua" "$base"
sleep 1
# For context, one connection: the service time without queueing behind 31 others.
LIST_PAGES="${pages[*]}" bench_wrk ehr "$BENCH_WORK/one.txt" -t 1 -c 1 -d "$(((seconds + 1) / 2))s" -s "$BENCH_ROOT/bench/list_pages.lua" "$base"
sleep 1
# Context: a clinician's screen, the first page at the default _count.
bench_wrk ehr "$BENCH_WORK/first.txt" -t 2 -c "$connections" -d "$(((seconds + 1) / 2))s" "$base$first_page"
sleep 1
# Context: the machine's ceiling for these bytes, nginx serving the same pages in turn.
LIST_PAGES="$static_pages" bench_wrk ehr "$BENCH_WORK/nginx.txt" -t 2 -c "$connections" -d "$(((seconds + 1) / 2))s" \
  -s "$BENCH_ROOT/bench/list_pages.lua" "https://localhost:$BENCH_NGINX_PORT"
echo "one connection: $(bench_wrk_rps "$BENCH_WORK/one.txt") requests/s, p50 $(bench_wrk_ms "$BENCH_WORK/one.txt" 50) ms, p99 $(bench_wrk_ms "$BENCH_WORK/one.txt" 99) ms"
f=$BENCH_WORK/first.txt
echo "context, first page at the default _count ($first_entries entries), $connections connections: $(bench_wrk_rps "$f") requests/s, p50 $(bench_wrk_ms "$f" 50) ms, p99 $(bench_wrk_ms "$f" 99) ms"
f=$BENCH_WORK/nginx.txt
echo "context, nginx serving the same pages' bytes ($page_bytes bytes) over the same mTLS, $connections connections: $(bench_wrk_rps "$f") requests/s, p50 $(bench_wrk_ms "$f" 50) ms, p99 $(bench_wrk_ms "$f" 99) ms"
f=$BENCH_WORK/list.txt
echo "$connections connections, list of $listed in ${#pages[@]} page(s): $(bench_wrk_requests "$f") page requests, $(bench_wrk_rps "$f") requests/s"
echo "latency per page request: p50 $(bench_wrk_ms "$f" 50) ms, p75 $(bench_wrk_ms "$f" 75) ms, p90 $(bench_wrk_ms "$f" 90) ms"
echo "p99 latency per page request (goal <= 20 ms): $(bench_wrk_ms "$f" 99) ms"
