#!/usr/bin/env bash
# Tests scripts/stress_find_scale.sh's search without running a stress
# test: BARDO_STRESS points it at a fake stress.sh that writes a
# summary.json passing up to a boundary scale (FAKE_BOUNDARY, or
# FAKE_CEIL_BOUNDARY with --ceiling) and failing above it, and that fails
# the first run at the scale FAKE_FLAKY (a noisy machine) to show
# --repeat 3 deciding by majority. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
export BARDO_FIND_ROOT=$W/find BARDO_STRESS=$W/fake_stress.sh
passed=0; failed=0
check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok    $name"
    else failed=$((failed + 1)); echo "FAIL  $name"; fi
}

cat >"$BARDO_STRESS" <<'FAKE'
#!/usr/bin/env bash
scale= out= ceiling=0
while [ $# -gt 0 ]; do
    case $1 in --scale) scale=$2; shift 2 ;; --out) out=$2; shift 2 ;;
               --ceiling) ceiling=1; shift ;; --) break ;; *) shift ;; esac
done
mkdir -p "$out"
boundary=${FAKE_BOUNDARY:-5}; [ $ceiling = 1 ] && boundary=${FAKE_CEIL_BOUNDARY:-10}
seen=$(dirname "$out")/seen-$scale; n=$(($(cat "$seen" 2>/dev/null || echo 0) + 1)); echo $n >"$seen"
python3 - "$out/summary.json" "$scale" "$boundary" "${FAKE_FLAKY:-none}" "$n" <<'PY'
import json, sys
path, scale, boundary, flaky, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
ok = scale <= boundary and not (flaky != "none" and float(flaky) == scale and n == 1)
peak = 1000 * scale
json.dump({"ko": 0 if ok else 7, "p99_ms": 10, "interrupted": False, "count_matches": True,
           "perfect": True, "requests": 100, "created_201": 50, "count_after": 50,
           "perfect_count": 50, "series": [[0, 0, 0, peak], [1, 0, 0, peak / 2], [2, 0, 0, 0]]},
          open(path, "w"))
PY
FAKE
chmod +x "$BARDO_STRESS"

find_scale() { scripts/stress_find_scale.sh --time 0.01 "$@" 2>"$W/stderr"; }
table_of() { sed -n 's/^runs in //p' "$1"; }

find_scale >"$W/r1.out"
check "repeat 1: largest passing scale within 10 % of the boundary" grep -q '^largest passing scale: 5 (first failing: 5.5' "$W/r1.out"
check "repeat 1: one run per scale" test "$(grep -c '^ *[0-9.]* \(pass\|fail\) ' "$(table_of "$W/r1.out")/find_scale.txt")" = 6

FAKE_FLAKY=4 find_scale --repeat 1 >"$W/r2.out"
check "repeat 1: a flaky failure at 4 misleads the search" grep -q "^largest passing scale: 3.75 (first failing: 4;" "$W/r2.out"

FAKE_FLAKY=4 find_scale --repeat 3 >"$W/r3.out"
t3=$(table_of "$W/r3.out")/find_scale.txt
check "repeat 3: the flaky failure at 4 is outvoted" grep -q '^largest passing scale: 5 (first failing: 5.5' "$W/r3.out"
check "repeat 3: scale 4 decided pass by 2 to 1" grep -q '^ *4 decided pass (2 pass, 1 fail)' "$t3"
check "repeat 3: a pass while doubling takes one run" grep -q '^ *2 decided pass (1 pass, 0 fail)' "$t3"
check "repeat 3: a failure takes a majority" grep -q '^ *8 decided fail (0 pass, 2 fail)' "$t3"
check "repeat 3: bisection scales take a majority" grep -q '^ *5 decided pass (2 pass, 0 fail)' "$t3"

check "repeat must be odd" bash -c '! scripts/stress_find_scale.sh --repeat 2 2>/dev/null'

find_scale --both >"$W/both.out"
check "both: ratio of the largest passing scales" grep -q '^ratio to the ceiling: scale 0.50, peak OK/s 0.50' "$W/both.out"
check "both: the ceiling searched" grep -q '^ceiling: largest passing scale 10,' "$W/both.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
