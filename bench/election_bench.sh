#!/usr/bin/env bash
# The cost of automatic failover: the stress test against this checkout
# (elections: ROLE polls and replica heartbeats every 100 ms, VOTE, the
# no-op rule) and against a build of BASE (default a016c22, the last
# commit before elections: 200 ms polls, 500 ms heartbeats, failover by
# hand), side by side, alternating base, this, base, this, ... so that the
# shared machine's noise falls on both. Each run: a fresh bardo under the
# conf/limits.env cgroups, sites in namespaces (root), K = 1 of 3, TLS on
# as `make up` sets it, the official profile at --scale S --time T. The
# scripts (up.sh, stress.sh) are this checkout's for both; only the
# programs differ (BARDO_BIN).
#   bench/election_bench.sh [SCALE [TIME [ROUNDS]]]    (defaults 2 0.25 3)
#   BASE=<commit>, DATA=generated|official|DIR (scripts/data.sh)
# Prints medians: creates' p50/p99, all requests' p99, and the stores' CPU
# per 1,000 creations (cgroup counters). Runs stay in build/stress/election-bench-*/.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-2}; T=${2:-0.25}; R=${3:-3}; BASE=${BASE:-a016c22}
[ "$(id -u)" -eq 0 ] || { echo "election_bench: needs root (sites in namespaces, cgroups)" >&2; exit 3; }
root=build/stress/election-bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$root"
make -s -j"$(nproc)" build VARIANT=release >/dev/null
base_src=build/election-bench-base
if [ ! -d "$base_src" ]; then git worktree add -q --detach "$base_src" "$BASE"; fi
git -C "$base_src" checkout -q --detach "$BASE"
make -s -C "$base_src" -j"$(nproc)" build VARIANT=release >/dev/null
declare -A BIN=([base]="$PWD/$base_src/build/release/bin" [elect]="$PWD/build/release/bin")
for r in $(seq "$R"); do
    for v in base elect; do
        out=$root/$v-r$r
        BARDO_BIN=${BIN[$v]} BARDO_LOAD=$PWD/build/release/bin/bardo-load BARDO_PORT=${ELECTION_BENCH_PORT:-19985} \
            scripts/stress.sh --scale "$S" --time "$T" --data "${DATA:-generated}" --out "$out" -- --quiet \
            >"$out.log" 2>&1 || true
        echo "$v round $r: $(python3 -c "import json;d=json.load(open('$out/summary.json'));print('requests',d['requests'],'ko',d['ko'],'p99',d['p99_ms'],'count',d['count_after'],'201s',d['created_201'])" 2>/dev/null || echo "no summary (see $out.log)")"
    done
done
python3 bench/bench_table.py "$root" base="before elections ($BASE)" elect="with elections (this checkout)"
