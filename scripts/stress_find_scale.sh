#!/usr/bin/env bash
# Finds the largest --scale at which the stress profile passes: 0 KO, p99
# at most 100 ms and (for bardo) /contagem-pessoas equal to the 201s seen
# and to the perfect count (bardo-load's, for the procedural stream).
# Payloads are procedural (bardo-load --procedural 1) so that big scales
# insert new people instead of replaying the file's 100,000 lines.
#   scripts/stress_find_scale.sh [--time T] [--start S] [--max-runs N]
#                                [--p99 MS] [--repeat R] [--ceiling | --both]
# Defaults: --time 1 (the full 3 min 25 s profile per run), --start 2,
# --max-runs 8, --p99 100, --repeat 1. Doubles the scale while runs pass,
# then bisects between the last pass and the first failure until they are
# within 10 % or max-runs scales have been decided.
# --repeat R (odd): near the boundary a scale is decided by the majority of
# up to R runs (it stops as soon as one verdict has (R+1)/2): every failure,
# and every scale once bisection has begun. A pass while doubling, far
# below the boundary, is taken from one run. Each run is (205 x T + ~10) s.
# --ceiling searches nginx alone (see scripts/stress.sh) instead of bardo.
# --both searches bardo, then the ceiling, in this one invocation (the same
# machine, minutes apart) and prints their ratio: largest passing scales,
# and the median peak OK/s at each one's largest passing scale.
# Results: build/stress/find-<date>[-ceiling]-XXXX/ (one folder per run,
# find_scale.txt with one line per run and the decision per scale).
set -uo pipefail
cd "$(dirname "$0")/.."
TIME=1; START=2; MAX_RUNS=8; P99=100; REPEAT=1; CEIL=(); BOTH=0; ARGS=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --time) TIME=$2; shift 2 ;;
        --start) START=$2; shift 2 ;;
        --max-runs) MAX_RUNS=$2; shift 2 ;;
        --p99) P99=$2; shift 2 ;;
        --repeat) REPEAT=$2; shift 2 ;;
        --ceiling) CEIL=(--ceiling); shift ;;
        --both) BOTH=1; shift ;;
        *) sed -n '2,22p' "$0" >&2; exit 2 ;;
    esac
done
[[ $REPEAT =~ ^[0-9]+$ ]] && [ $((REPEAT % 2)) -eq 1 ] || { echo "--repeat must be odd" >&2; exit 2; }

# --both: this script twice, then the ratio of what the two tables say.
if [ "$BOTH" = 1 ]; then
    rest=(); for a in "${ARGS[@]}"; do [ "$a" = --both ] || rest+=("$a"); done
    out=$(mktemp); trap 'rm -f "$out"' EXIT
    "$0" ${rest[@]+"${rest[@]}"} | tee "$out" || exit 1
    bardo=$(sed -n 's/^runs in //p' "$out")
    "$0" ${rest[@]+"${rest[@]}"} --ceiling | tee "$out" || exit 1
    ceiling=$(sed -n 's/^runs in //p' "$out")
    python3 scripts/stress_ratio.py "$bardo/find_scale.txt" "$ceiling/find_scale.txt" |
        tee "$ceiling/ratio.txt"
    exit 0
fi

STRESS=${BARDO_STRESS:-scripts/stress.sh}     # tests put a fake one here
FIND_ROOT=${BARDO_FIND_ROOT:-build/stress}
mkdir -p "$FIND_ROOT"
DIR=$(mktemp -d "$FIND_ROOT/find-$(date +%Y%m%d-%H%M%S)${CEIL[*]:+-ceiling}-XXXX") || exit 1
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

runs_done() { find "$DIR" -maxdepth 1 -name 'scale-*.log' | wc -l; }
run() { # scale -> prints the verdict line, appends to the table (runs in a subshell)
    local s=$1 out; out=$DIR/scale-$1-run$(($(runs_done) + 1))
    "$STRESS" --scale "$s" --time "$TIME" --out "$out" ${CEIL[@]+"${CEIL[@]}"} \
        -- --procedural 1 --quiet >"$out.log" 2>&1
    if [ ! -s "$out/summary.json" ]; then # the run did not happen: stop, do not bisect on it
        echo "stress_find_scale: scale $s produced no summary (see $out.log); stopping" >&2
        exit 1
    fi
    local v; v=$(verdict "$out/summary.json")
    printf "%8s %s\n" "$s" "$v" | tee -a "$TABLE" >&2
    echo "$v"
}

decide() { # scale, bisecting(0|1) -> pass|fail: one run, or the majority of up to REPEAT
    local s=$1 bisecting=$2 passes=0 fails=0 need=$(((REPEAT + 1) / 2)) v
    while [ $passes -lt $need ] && [ $fails -lt $need ]; do
        v=$(run "$s") || exit 1
        if [ "${v%% *}" = pass ]; then passes=$((passes + 1)); else fails=$((fails + 1)); fi
        [ "$bisecting" = 0 ] && [ $fails -eq 0 ] && break # doubling, far below: one pass does
    done
    local d=fail; [ $passes -gt $fails ] && d=pass
    printf "%8s decided %s (%d pass, %d fail)\n" "$s" "$d" $passes $fails | tee -a "$TABLE" >&2
    echo $d
}

printf "%8s %s\n" scale "verdict requests ko p99_ms created_201 count perfect peak_ok_per_s" | tee "$TABLE"
echo "# repeat $REPEAT, time scale $TIME, p99 <= $P99 ms" >>"$TABLE"
lo=0; hi=0; s=$START; decided=0
while [ $decided -lt "$MAX_RUNS" ]; do
    bisecting=0; [ "$hi" != 0 ] && bisecting=1
    d=$(decide "$s" $bisecting) || exit 1; decided=$((decided + 1))
    if [ "$d" = pass ]; then lo=$s; else hi=$s; fi
    if [ "$hi" = 0 ]; then s=$(awk "BEGIN { print $s * 2 }"); continue; fi
    [ "$lo" = 0 ] && { [ "$(awk "BEGIN { print ($hi <= 0.25) }")" = 1 ] && break; s=$(awk "BEGIN { print $hi / 2 }"); continue; }
    [ "$(awk "BEGIN { print ($hi / $lo <= 1.1) }")" = 1 ] && break
    s=$(awk "BEGIN { printf \"%.3g\", ($lo + $hi) / 2 }")
done
echo "runs in $DIR"
echo "largest passing scale: ${lo} (first failing: ${hi}; time scale $TIME; repeat $REPEAT; $(runs_done) runs)" | tee -a "$TABLE"
