#!/usr/bin/env bash
# Figure 6 (issue "hot paths"): a doctor's list as a first-class read, against nginx serving the same
# bytes over the same mutual TLS (goal: ratio >= 0.25 for each of the two reads, pages/s).
#   bench/doctor_list.sh [--people N] [--seconds S] [--connections C]   default 100 000 people, 20 s, 16
#   bench/doctor_list.sh --smoke                                        1 000 people, 2 s, no warm-up: checks the script works
#   --profile   also load pg_stat_statements: statements per page, and where the database's time went
#   --perf      also a machine-wide perf profile of the Nara runs (by process, top symbols)
# The read: the standard Patient search parameter, `Patient?general-practitioner=PractitionerRole/X`,
# for the doctor with the longest list in the imported population (about 1 100 at full scale):
#   - the whole list in one page: `_count=5000` (a doctor's list may come whole, docs/api.md);
#   - the first page a clinician's screen shows: `_count=50`.
# Each page is audited (one row naming every patient on it) and every Patient carries its derived
# generalPractitioner. Anchor: nginx (bench/nginx.sh) serving the very bytes of those pages as static
# files, same wrk, same connections, same time. p99 is printed for each; the ratio printed last is the
# lower of the two.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/wrk.sh"
source "$(dirname "$0")/nginx.sh"

people=100000 seconds=20 connections=16 warm=1 profile=0 perf=0
while (($#)); do
  case $1 in
    --people) people=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --smoke) people=1000 seconds=2 warm=0; shift ;;
    --profile) profile=1; shift ;;
    --perf) perf=1; shift ;;
    *) echo "usage: bench/doctor_list.sh [--people N] [--seconds S] [--connections C] [--profile] [--perf] | --smoke" >&2; exit 2 ;;
  esac
done

bench_start_cluster
((profile)) && bench_enable_statements
bench_load_population registry "$people"
NARA_THREADS=$((3 * connections)) bench_serve registry

bench_longest_list
listed=$in_force  # what Patient?general-practitioner finds
bench_header "6, a doctor's list, Patient?general-practitioner (people $people, list of $listed, $connections connections, $seconds s each)"

# Walk the whole list once as a client would, check it is the whole list, keep each page's bytes.
base="https://localhost:$BENCH_PORT"
url="$base/fhir/Patient?general-practitioner=PractitionerRole/$role&_count=5000"
pages=() seen=0
while [[ -n $url ]]; do
  pages+=("${url#"$base"}")
  page=$BENCH_NGINX_ROOT/html/list${#pages[@]}.json
  code=$(bench_curl_as ehr -o "$page" -w '%{http_code}' "$url")
  [[ $code == 200 ]] || { echo "bench: list page answered $code" >&2; head -c 2000 "$page" >&2; exit 1; }
  seen=$((seen + $(jq '[.entry[]? | select(.search.mode == "match")] | length' "$page")))
  url=$(jq -r '[.link[]? | select(.relation == "next") | .url][0] // empty' "$page")
done
((seen == listed)) || { echo "bench: the search found $seen of the $listed on the list" >&2; exit 1; }
gp=$(jq -r '[.entry[0].resource.generalPractitioner[]?.reference] | join(",")' "$BENCH_NGINX_ROOT/html/list1.json")
[[ $gp == *"PractitionerRole/$role"* ]] || { echo "bench: a listed Patient without its generalPractitioner ($gp)" >&2; exit 1; }
list_bytes=$(wc -c "$BENCH_NGINX_ROOT"/html/list*.json | awk '$2 != "total" { printf "%s%s", sep, $1; sep = "+" }')
static_list=$(cd "$BENCH_NGINX_ROOT/html" && ls list*.json | sed 's|^|/|' | tr '\n' ' ')
first="/fhir/Patient?general-practitioner=PractitionerRole/$role&_count=50"
code=$(bench_curl_as ehr -o "$BENCH_NGINX_ROOT/html/first.json" -w '%{http_code}' "$base$first")
[[ $code == 200 ]] || { echo "bench: first page answered $code" >&2; exit 1; }
first_bytes=$(wc -c <"$BENCH_NGINX_ROOT/html/first.json")
bench_nginx_start first.json
nginx="https://localhost:$BENCH_NGINX_PORT"

run() {  # run NAME URL [list pages]: one wrk run of C connections for S seconds
  local name=$1 target=$2 list=${3:-}
  sleep 1  # let the previous run's connections close
  if [[ -n $list ]]; then
    LIST_PAGES="$list" bench_wrk ehr "$BENCH_WORK/$name.txt" -t 2 -c "$connections" -d "${seconds}s" \
      -s "$BENCH_ROOT/bench/list_pages.lua" "$target"
  else
    bench_wrk ehr "$BENCH_WORK/$name.txt" -t 2 -c "$connections" -d "${seconds}s" "$target"
  fi
}
if ((warm)); then
  LIST_PAGES="${pages[*]}" bench_wrk ehr "$BENCH_WORK/warm.txt" -t 2 -c "$connections" -d 2s \
    -s "$BENCH_ROOT/bench/list_pages.lua" "$base"
fi
profiled() {  # profiled NAME URL [list pages]: a Nara run, with the profiles asked for
  ((profile)) && bench_statements_reset registry
  ((perf)) && bench_perf_start "$seconds"
  run "$@"
  ((profile)) && bench_statements_report registry "$(bench_wrk_requests "$BENCH_WORK/$1.txt")" page
  ((perf)) && bench_perf_report
  return 0
}
profiled nara_list "$base" "${pages[*]}"
run nginx_list "$nginx" "$static_list"
profiled nara_first "$base$first"
run nginx_first "$nginx/first.json"

line() {  # line LABEL FILE BYTES
  echo "$1: $(bench_wrk_requests "$2") pages, $(bench_wrk_rps "$2") pages/s, p50 $(bench_wrk_ms "$2" 50) ms, p99 $(bench_wrk_ms "$2" 99) ms ($3 bytes)"
}
line "nara whole list (${#pages[@]} page)" "$BENCH_WORK/nara_list.txt" "$list_bytes"
line "nginx whole list, same bytes" "$BENCH_WORK/nginx_list.txt" "$list_bytes"
line "nara first page (_count=50)" "$BENCH_WORK/nara_first.txt" "$first_bytes"
line "nginx first page, same bytes" "$BENCH_WORK/nginx_first.txt" "$first_bytes"
list_ratio=$(bench_div "$(bench_wrk_rps "$BENCH_WORK/nara_list.txt")" "$(bench_wrk_rps "$BENCH_WORK/nginx_list.txt")")
first_ratio=$(bench_div "$(bench_wrk_rps "$BENCH_WORK/nara_first.txt")" "$(bench_wrk_rps "$BENCH_WORK/nginx_first.txt")")
echo "ratio whole list (nara pages/s / nginx pages/s, goal >= 0.25): $list_ratio"
echo "ratio first page (nara pages/s / nginx pages/s, goal >= 0.25): $first_ratio"
echo "ratio (the lower of the two, goal >= 0.25): $(awk -v a="$list_ratio" -v b="$first_ratio" 'BEGIN { print (a < b ? a : b) }')"
