#!/usr/bin/env bash
# Builds Nära Registry with its tests and runs them all (unit, PostgreSQL integration, end-to-end).
#   ./test.sh              RelWithDebInfo build in build/test
#   ./test.sh --sanitize   AddressSanitizer + UBSan build in build/sanitize
#   ./test.sh --no-fuzz    skip the libFuzzer step (clang build in build/fuzz, NARA_FUZZ_SECONDS each target)
# Every FHIR response the end-to-end tests receive is kept (NARA_TEST_CAPTURE_DIR) and each distinct shape
# is validated against the R4 StructureDefinitions and JSON schema (scripts/validate-fhir) after ctest.
# The test binaries start their own throw-away PostgreSQL clusters (tests/support/pg_cluster.cpp);
# set NARA_TEST_DATABASE_URL to use an existing server instead. CTEST_PARALLEL_LEVEL runs tests in parallel.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

build=build/test
fuzz=1
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNARA_BUILD_TESTS=ON -DNARA_SANITIZE=OFF)
for arg in "$@"; do
  case $arg in
    --sanitize)
      build=build/sanitize
      cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNARA_BUILD_TESTS=ON -DNARA_SANITIZE=ON)
      # The full unwinder gives exact leak stacks, so scripts/lsan.supp can name one library function.
      export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0}
      export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
      export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0}
      ;;
    --no-fuzz)
      fuzz=0
      ;;
    -h | --help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "test.sh: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

scripts/install-deps.sh
# The validator's npm packages, pinned by scripts/validate-fhir/package-lock.json.
if [[ scripts/validate-fhir/package-lock.json -nt scripts/validate-fhir/node_modules/.package-lock.json ]]; then
  npm ci --prefix scripts/validate-fhir --no-audit --no-fund --loglevel=error >/dev/null
fi

# A build folder configured with another generator cannot be reused with Ninja.
if [[ -f $build/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
cmake -S . -B "$build" -G Ninja "${cmake_flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"

# Test temp files (PostgreSQL clusters, server logs) go under a short /tmp folder the postgres user can
# traverse: the clusters run as `postgres` when we are root, and Unix socket paths must stay short.
TMPDIR=$(mktemp -d /tmp/nara-test.XXXXXX)
chmod 0755 "$TMPDIR"
export TMPDIR
log=$TMPDIR/ctest.log
ctest_status=0

# shellcheck disable=SC2317  # invoked by trap
cleanup() {
  # Stop any cluster a test binary left running (e.g. one killed by a ctest timeout).
  local pidfile
  while IFS= read -r pidfile; do
    scripts/pg-cluster.sh stop "$(dirname "$(dirname "$pidfile")")" || true
  done < <(find "$TMPDIR" -maxdepth 4 -path '*/data/postmaster.pid' 2>/dev/null)
  if ((ctest_status == 0)); then
    rm -rf "$TMPDIR"
  else
    echo "test.sh: test temp files kept in $TMPDIR" >&2
  fi
}
trap cleanup EXIT

export NARA_TEST_CAPTURE_DIR=$TMPDIR/responses
mkdir -p "$NARA_TEST_CAPTURE_DIR"
set +e
ctest --test-dir "$build" --output-on-failure --no-tests=error 2>&1 | tee "$log"
ctest_status=${PIPESTATUS[0]}
set -e

# Conformance: every distinct response shape the tests saw, against the R4 definitions.
validate_passed=0
validate_failed=0
if node scripts/validate-fhir/validate.mjs "$NARA_TEST_CAPTURE_DIR" >"$TMPDIR/validate.log" 2>&1; then
  validate_passed=1
  tail -n 1 "$TMPDIR/validate.log"
else
  cat "$TMPDIR/validate.log" >&2
  echo "test.sh: responses that are not valid FHIR R4 (above)" >&2
  validate_failed=1
  ctest_status=1
fi

# Fuzzing: each libFuzzer target (tests/fuzz) briefly from its seed corpus; a crash fails the run. Only the
# libraries the fuzzers link are built, with clang, in build/fuzz. New corpus entries go to a temp folder,
# so the committed seeds stay as they are.
fuzz_passed=0
fuzz_failed=0
if ((fuzz)); then
  fuzz_log=$TMPDIR/fuzz.log
  fuzz_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNARA_FUZZ=ON -DNARA_BUILD_TESTS=OFF)
  # The compiler is chosen once, when the folder is new: naming it again would make CMake start over.
  [[ -f build/fuzz/CMakeCache.txt ]] || fuzz_flags+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
  if cmake -S . -B build/fuzz -G Ninja "${fuzz_flags[@]}" >"$fuzz_log" 2>&1 &&
     cmake --build build/fuzz -j"$(nproc)" --target nara_fuzzers >>"$fuzz_log" 2>&1; then
    for corpus in tests/fuzz/corpus/*/; do
      name=$(basename "$corpus")
      work=$TMPDIR/fuzz-$name
      mkdir -p "$work"
      if build/fuzz/tests/fuzz/fuzz_"$name" -max_total_time="${NARA_FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=2048 \
           -artifact_prefix="$work/" "$work" "$corpus" >"$work/log" 2>&1; then
        echo "fuzz_$name: ok ($(grep -Eo 'Done [0-9]+ runs' "$work/log" | tail -n 1))"
        fuzz_passed=$((fuzz_passed + 1))
      else
        echo "fuzz_$name: FAILED (crash input and log in $work)" >&2
        tail -n 40 "$work/log" >&2
        fuzz_failed=$((fuzz_failed + 1))
        ctest_status=1
      fi
    done
  else
    cat "$fuzz_log" >&2
    echo "test.sh: the fuzz build failed" >&2
    fuzz_failed=1
    ctest_status=1
  fi
fi

# "100% tests passed, 0 tests failed out of 3"
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
if [[ $summary =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
  failed=${BASH_REMATCH[1]}
  total=${BASH_REMATCH[2]}
  echo "$((total - failed + fuzz_passed + validate_passed)) passed, $((failed + fuzz_failed + validate_failed)) failed"
  if ((failed > 0 && ctest_status == 0)); then ctest_status=1; fi
else
  echo "test.sh: no ctest summary found (ctest exit $ctest_status)" >&2
  echo "0 passed, 0 failed"
  ((ctest_status != 0)) || ctest_status=1
fi
exit "$ctest_status"
