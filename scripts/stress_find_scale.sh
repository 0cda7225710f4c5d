#!/usr/bin/env bash
# Finds the largest --scale at which the stress profile passes: 0 KO, p99
# at most 100 ms and (for bardo) /contagem-pessoas equal to the 201s seen
# and to the perfect count (bardo-load's, for the procedural stream).
# Payloads are procedural (bardo-load --procedural 1) so that big scales
# insert new people instead of replaying the file's 100,000 lines.
#   scripts/stress_find_scale.sh [--time T] [--start S] [--max-runs N]
#                                [--p99 MS] [--ceiling]
# Defaults: --time 1 (the full 3 min 25 s profile per run), --start 2,
# --max-runs 8, --p99 100. Doubles the scale while runs pass, then bisects
# between the last pass and the first failure until they are within 10 %
# or the runs are spent: at most max-runs runs of (205 x T + ~10) s each.
# --ceiling searches nginx alone (see scripts/stress.sh) instead of bardo.
# Results: build/stress/find-<date>/ (one folder per run, find_scale.txt).
set -uo pipefail
cd "$(dirname "$0")/.."
TIME=1; START=2; MAX_RUNS=8; P99=100; CEIL=()
while [ $# -gt 0 ]; do
    case $1 in
        --time) TIME=$2; shift 2 ;;
        --start) START=$2; shift 2 ;;
        --max-runs) MAX_RUNS=$2; shift 2 ;;
        --p99) P99=$2; shift 2 ;;
        --ceiling) CEIL=(--ceiling); shift ;;
        *) sed -n '2,15p' "$0" >&2; exit 2 ;;
    esac
done
DIR=build/stress/find-$(date +%Y%m%d-%H%M%S)${CEIL[*]:+-ceiling}
mkdir -p "$DIR"
TABLE=$DIR/find_scale.txt

verdict() { # summary.json -> "pass|fail requests ko p99 created count peak_rps"
    python3 - "$1" "$P99" "${#CEIL[@]}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); ceiling = sys.argv[3] != "0"
peak = max((r[3] for r in d["series"][:-1]), default=0)  # OK responses/s, last second cut
ok = d["ko"] == 0 and d["p99_ms"] <= float(sys.argv[2]) and not d["interrupted"] \
     and (ceiling or (d["count_matches"] and d["perfect"]))
print("pass" if ok else "fail", d["requests"], d["ko"], d["p99_ms"], d["created_201"],
      d["count_after"], d["perfect_count"], peak)
PY
}

run() { # scale -> prints the verdict line, appends to the table
    local s=$1 out=$DIR/scale-$1
    scripts/stress.sh --scale "$s" --time "$TIME" --out "$out" ${CEIL[@]+"${CEIL[@]}"} \
        -- --procedural 1 --quiet >"$out.log" 2>&1
    if [ ! -s "$out/summary.json" ]; then # the run did not happen: stop, do not bisect on it
        echo "stress_find_scale: scale $s produced no summary (see $out.log); stopping" >&2
        exit 1
    fi
    local v; v=$(verdict "$out/summary.json")
    printf "%8s %s\n" "$s" "$v" | tee -a "$TABLE" >&2
    echo "$v"
}

printf "%8s %s\n" scale "verdict requests ko p99_ms created_201 count perfect peak_ok_per_s" | tee "$TABLE"
lo=0; hi=0; s=$START; runs=0
while [ $runs -lt "$MAX_RUNS" ]; do
    v=$(run "$s") || exit 1; runs=$((runs + 1))
    if [ "${v%% *}" = pass ]; then lo=$s; else hi=$s; fi
    if [ "$hi" = 0 ]; then s=$(awk "BEGIN { print $s * 2 }"); continue; fi
    [ "$lo" = 0 ] && { [ "$(awk "BEGIN { print ($hi <= 0.25) }")" = 1 ] && break; s=$(awk "BEGIN { print $hi / 2 }"); continue; }
    [ "$(awk "BEGIN { print ($hi / $lo <= 1.1) }")" = 1 ] && break
    s=$(awk "BEGIN { printf \"%.3g\", ($lo + $hi) / 2 }")
done
echo "largest passing scale: ${lo} (first failing: ${hi}; time scale $TIME; $runs runs)" | tee -a "$TABLE"
echo "runs in $DIR"
