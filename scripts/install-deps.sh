#!/usr/bin/env bash
# Installs the Debian packages Nära Registry needs to build, test and run, and only those missing.
# Quiet when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libpoco-dev libpqxx-dev rapidjson-dev libssl-dev
  libjemalloc-dev  # the server's allocator (app/CMakeLists.txt)
  postgresql postgresql-contrib
  libgtest-dev googletest
  curl openssl
  nodejs npm  # scripts/validate-fhir: the FHIR conformance check of every response shape (test.sh)
  jq python3  # bench/ scripts: reading MeasureReports, finding a free port
  wrk nginx  # bench/get_patient.sh, bench/list_search.sh: HTTP load over mutual TLS, nginx the anchor of figure 1
  chromium  # headless, for the e2e test that renders the HTML report (tests/e2e/report_html_test.cpp)
  clang libclang-rt-dev  # libFuzzer and the sanitizer runtimes for tests/fuzz (build/fuzz, test.sh)
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: dpkg-query not found; this script supports Debian/Ubuntu only." >&2
  echo "install-deps: please install: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  # NodeSource's nodejs package carries npm and conflicts with Debian's: a working node/npm is enough.
  if [[ $p == nodejs || $p == npm ]] && command -v "${p/nodejs/node}" >/dev/null 2>&1; then
    continue
  fi
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

as_root=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root, and sudo is not available." >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}" >&2
log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
if ! { "${as_root[@]}" apt-get update &&
       "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
