#!/usr/bin/env bash
# Every test bardo has, in order of cost. Exits non-zero on any failure and
# ends with the line "N passed, N failed" that CI reads.
#   lint → gcc and clang builds (-Werror) → unit tests → the scripts'
#   own tests (data.sh, stress_find_scale.sh) → unit tests under
#   ASan+UBSan → black-box tests on the real processes (release, then
#   ASan+UBSan builds) → sites (namespaces, delay) → fault tests (kill,
#   cut off, promote, during load) → the stress test's short run → the
#   docker-compose deployment under podman (limits, black box, stress) →
#   a short fuzz run of every parser.
# Set TEST_ONLY="unit blackbox ..." to run some steps only.
set -uo pipefail
cd "$(dirname "$0")/.."
LOG=build/test-logs
mkdir -p "$LOG"
passed=0; failed=0; failures=()
JOBS=$(nproc)

want() { [ -z "${TEST_ONLY:-}" ] || [[ " $TEST_ONLY " == *" $1 "* ]]; }

record() { # name, rc, passed-count, failed-count
    passed=$((passed + $3)); failed=$((failed + $4))
    if [ "$2" -ne 0 ] || [ "$4" -ne 0 ]; then
        failures+=("$1"); echo "FAIL  $1 ($3 passed, $4 failed; log: $LOG/$1.log)"
        tail -25 "$LOG/$1.log" | sed 's/^/      /'
    else
        echo "ok    $1 ($3 passed)"
    fi
}

step() { # name, command... : one check
    local name=$1; shift
    "$@" >"$LOG/$name.log" 2>&1
    local rc=$?
    if [ $rc -eq 0 ]; then record "$name" 0 1 0; else record "$name" $rc 0 1; fi
}

unit() { # variant: run every cmocka binary, count its tests
    local v=$1 p=0 f=0 rc=0 t
    : >"$LOG/unit-$v.log"
    for t in build/"$v"/tests/test_*; do
        "$t" >>"$LOG/unit-$v.log" 2>&1 || rc=1
    done
    p=$(grep -o '\[  PASSED  \] [0-9]* test' "$LOG/unit-$v.log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -o '\[  FAILED  \] [0-9]* test' "$LOG/unit-$v.log" | awk '{s+=$4} END {print s+0}')
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a crash prints no summary
    record "unit-$v" "$rc" "$p" "$f"
}

pytest_step() { # name, folder, variant
    local name=$1 dir=$2 v=$3 p f rc
    BARDO_BIN="$PWD/build/$v/bin" /usr/bin/python3 -m pytest -q -p no:cacheprovider "$dir" \
        >"$LOG/$name.log" 2>&1
    rc=$?
    p=$(grep -oE '[0-9]+ passed' "$LOG/$name.log" | tail -1 | awk '{print $1+0}')
    f=$(grep -oE '[0-9]+ (failed|error)' "$LOG/$name.log" | awk '{s+=$1} END {print s+0}')
    [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
    record "$name" "$rc" "${p:-0}" "$f"
}

counted() { # name, command...: a script that ends with "N passed, N failed"
    local name=$1 p f rc; shift
    "$@" >"$LOG/$name.log" 2>&1
    rc=$?
    p=$(grep -oE '^[0-9]+ passed' "$LOG/$name.log" | tail -1 | awk '{print $1+0}')
    f=$(grep -oE '[0-9]+ failed' "$LOG/$name.log" | tail -1 | awk '{print $1+0}')
    [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
    record "$name" "$rc" "${p:-0}" "${f:-0}"
}

want lint && step lint scripts/lint.sh
if want build; then
    step build-gcc make -j"$JOBS" build tests benches VARIANT=release CC=gcc
    step build-clang make -j"$JOBS" build tests benches VARIANT=clang CC=clang
    step build-asan make -j"$JOBS" build tests VARIANT=asan CC=gcc
fi
want unit && unit release
want data && counted data tests/data/test_data.sh
want scripts && counted scripts tests/scripts/test_find_scale.sh
want unit && unit asan
want blackbox && pytest_step blackbox-release tests/blackbox release
want blackbox && ASAN_OPTIONS=detect_leaks=1 pytest_step blackbox-asan tests/blackbox asan
want sites && counted sites tests/sites/test_sites.sh
want faults && pytest_step faults tests/faults release
want stress && step stress-short scripts/stress_short.sh
want browser && counted browser tests/browser/test_browser.sh
want compose && counted compose scripts/compose_test.sh
want fuzz && step fuzz scripts/fuzz.sh

echo
[ ${#failures[@]} -gt 0 ] && echo "failed steps: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
