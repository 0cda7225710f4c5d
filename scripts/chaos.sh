#!/usr/bin/env bash
# make chaos: every nemesis fault (tests/faults/test_nemesis.py, three sites,
# and tests/faults/test_five_sites.py, five; docs/FAULTS.md) for CHAOS_ROUNDS rounds (default 5), a fresh system for every fault of
# every round, then per fault kind: rounds, the median and worst write-
# unavailability window (ms), total writes lost (must be 0) and failed
# rounds. Ends with "N passed, N failed" (tests over all rounds).
#   CHAOS_ROUNDS=5  CHAOS_K='kill_primary or cut'  (a pytest -k filter)
#   FAULT_TIME_SCALE=0.06 (the load's --time-scale)  NEMESIS_PROMOTE=1 (promote.sh)
#   OUT=build/chaos/<date>: each round's log and results.jsonl
# About 5 minutes a round; bounded (each test's waits are).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${CHAOS_ROUNDS:-${1:-5}}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "chaos: CHAOS_ROUNDS must be a whole number >= 1" >&2; exit 2; }
OUT=${OUT:-build/chaos/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export BARDO_BIN=${BARDO_BIN:-$PWD/build/release/bin}
export NEMESIS_RESULTS=$OUT/results.jsonl
: >"$NEMESIS_RESULTS"
K=${CHAOS_K:-not checker_can_fail}
passed=0; failed=0
for ((r = 1; r <= ROUNDS; r++)); do
    log=$OUT/round-$r.log
    /usr/bin/python3 -m pytest -s -q -p no:cacheprovider tests/faults/test_nemesis.py tests/faults/test_five_sites.py -k "$K" >"$log" 2>&1
    p=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | awk '{print $1+0}')
    f=$(grep -oE '[0-9]+ (failed|error)' "$log" | awk '{s+=$1} END {print s+0}')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    echo "round $r/$ROUNDS: ${p:-0} passed, ${f:-0} failed ($log)"
    grep -ao 'fault=.*' "$log" | sed 's/^/  /'
done
echo
echo "per fault over $ROUNDS round(s) (window: fault -> first 201 of a create sent after it):"
/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/faults"); import nemesis; print(nemesis.summarize(sys.argv[1]))' "$NEMESIS_RESULTS"
lost=$(/usr/bin/python3 -c 'import json, sys; print(sum(json.loads(l)["lost"] for l in open(sys.argv[1]) if l.strip()))' "$NEMESIS_RESULTS")
echo "writes lost in all rounds: $lost (must be 0)"
echo "results: $OUT"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$lost" -eq 0 ]
