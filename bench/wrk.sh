# Shared by the HTTP load scripts (sourced after common.sh): wrk over mutual TLS. wrk has no
# client-certificate option, so bench/wrk_client_cert.c (built here with cc) is preloaded into it and
# hands every TLS context the role's certificate.
command -v wrk >/dev/null || { echo "bench: wrk is not installed (scripts/install-deps.sh)" >&2; exit 2; }
BENCH_WRK_SHIM=$BENCH_WORK/wrk_client_cert.so
cc -O2 -shared -fPIC -o "$BENCH_WRK_SHIM" "$BENCH_ROOT/bench/wrk_client_cert.c" -ldl -lssl

# bench_wrk ROLE OUT ARGS...: wrk --latency as ROLE, its report in OUT (a request may take 30 s before it
# counts as an error: a loaded machine must slow the figure, not fail the run); fails when any answer was not
# 2xx/3xx or a socket error happened (a refused or failed request must never count as throughput).
bench_wrk() {
  local role=$1 out=$2
  shift 2
  WRK_CLIENT_CERT=$BENCH_PKI/clients/$role.pem WRK_CLIENT_KEY=$BENCH_PKI/clients/$role.key \
    LD_PRELOAD=$BENCH_WRK_SHIM wrk --latency --timeout 30s "$@" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
  if grep -q -E 'Non-2xx|Socket errors' "$out"; then
    echo "bench: wrk saw failed requests:" >&2
    cat "$out" >&2
    exit 1
  fi
  grep -q '^Requests/sec:' "$out" || { cat "$out" >&2; exit 1; }
}
# Requests/s and a latency percentile (50, 75, 90, 99) in ms from a wrk report.
bench_wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
bench_wrk_ms() {
  awk -v p="$2%" '$1 == p {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
    printf "%.2f", v }' "$1"
}
bench_wrk_requests() { awk '/requests in/ { print $1 }' "$1"; }
