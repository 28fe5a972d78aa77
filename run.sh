#!/usr/bin/env bash
# Builds Nära Registry (Release), starts a private PostgreSQL in var/pg (unless NARA_DATABASE_URL is set),
# makes a SITHS-style test PKI in var/pki, migrates, loads the demo data and serves
# https://localhost:${NARA_PORT:-8443}/fhir until Ctrl-C, which stops the server and the private cluster.
# Configuration: the NARA_* environment variables (see docs/api.md section 7).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
root=$PWD

if (($# > 0)); then
  echo "run.sh takes no arguments; configure it with NARA_* environment variables." >&2
  exit 2
fi

scripts/install-deps.sh

build=build/release
if [[ -f $build/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNARA_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
nara=$root/$build/app/nara

pg_dir=var/pg
pg_started=0   # stop the private cluster on exit only if this run started it
server_pid=""
stopping=0

# shellcheck disable=SC2317  # invoked by trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if ((pg_started)); then
    echo "run.sh: stopping PostgreSQL in $pg_dir" >&2
    scripts/pg-cluster.sh stop "$pg_dir" || true
  fi
  exit "$status"
}
# shellcheck disable=SC2317  # invoked by trap
on_signal() {
  if [[ -n $server_pid ]]; then
    stopping=1
    kill -TERM "$server_pid" 2>/dev/null || true   # the main loop below waits for it
  else
    exit 130
  fi
}
trap cleanup EXIT
trap on_signal INT TERM

if [[ -z ${NARA_DATABASE_URL:-} ]]; then
  scripts/pg-cluster.sh status "$pg_dir" >/dev/null 2>&1 || pg_started=1
  scripts/pg-cluster.sh start "$pg_dir"
  NARA_DATABASE_URL=$(scripts/pg-cluster.sh url "$pg_dir")
fi
export NARA_DATABASE_URL

pki=$root/var/pki
"$nara" dev-pki "$pki"
export NARA_TLS_CERT=${NARA_TLS_CERT:-$pki/server.pem}
export NARA_TLS_KEY=${NARA_TLS_KEY:-$pki/server.key}
export NARA_TLS_CA=${NARA_TLS_CA:-$pki/ca-bundle.pem}
export NARA_TLS_CRL=${NARA_TLS_CRL:-$pki/crl.pem}
export NARA_ACCESS_FILE=${NARA_ACCESS_FILE:-$pki/access.json}
export NARA_PORT=${NARA_PORT:-8443}
export NARA_OPS_PORT=${NARA_OPS_PORT:-8081}

"$nara" migrate
"$nara" demo-load

"$nara" serve &
server_pid=$!

# Wait until the server answers on its operations port (or exits).
healthy=0
for _ in $(seq 1 600); do
  kill -0 "$server_pid" 2>/dev/null || break
  if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$NARA_OPS_PORT/healthz" 2>/dev/null; then
    healthy=1
    break
  fi
  sleep 0.1 || true
done

if ((healthy)); then
  base="https://localhost:$NARA_PORT/fhir"
  tls="--cert var/pki/clients/ehr.pem --key var/pki/clients/ehr.key --cacert var/pki/ca-bundle.pem"
  cat <<EOF

Nära Registry is serving $base  (operations: http://127.0.0.1:$NARA_OPS_PORT/healthz, /readyz, /metrics)
Try, from $root:
  curl $tls "$base/Patient?_count=5"
  curl $tls "$base/metadata"
More examples: README.md and docs/client-guide.md; the API reference: docs/api.md.
Press Ctrl-C to stop.

EOF
elif kill -0 "$server_pid" 2>/dev/null && ((stopping == 0)); then
  echo "run.sh: the server is running but http://127.0.0.1:$NARA_OPS_PORT/healthz does not answer 200 yet" >&2
fi

# Wait for the server; a trapped signal interrupts `wait`, so wait again until it has really exited.
status=0
while :; do
  if wait "$server_pid"; then status=0; else status=$?; fi
  kill -0 "$server_pid" 2>/dev/null || break
done
server_pid=""

if ((stopping)) && ((status == 0 || status == 130 || status == 143)); then
  echo "run.sh: server stopped" >&2
  exit 0
fi
exit "$status"
