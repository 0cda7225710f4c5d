#!/usr/bin/env bash
# The cost of encryption: the stress test with TLS on every link between
# sites (BARDO_TLS=1: API -> store and replica -> primary, docs/SECURITY.md)
# against plaintext links (BARDO_TLS=0), side by side, alternating off, on,
# off, on, ... so that the shared machine's noise falls on both. Each run:
# a fresh bardo under the conf/limits.env cgroups, sites in namespaces
# (root), K as `make up` sets it, the official profile at --scale S
# --time T.
#   bench/tls_bench.sh [SCALE [TIME [ROUNDS]]]    (defaults 2 0.25 3)
#   DATA=generated|official|DIR: the data set (scripts/data.sh)
# Prints a table of medians: creates' p50/p99 (the writes that cross sites
# twice: API -> primary -> replica), all requests' p99, and the stores' CPU
# per 1,000 creations (cgroup counters). Runs stay in build/stress/tls-bench-*/.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-2}; T=${2:-0.25}; R=${3:-3}
[ "$(id -u)" -eq 0 ] || { echo "tls_bench: needs root (sites in namespaces, cgroups)" >&2; exit 3; }
stamp=$(date +%Y%m%d-%H%M%S)
root=build/stress/tls-bench-$stamp
mkdir -p "$root"
make -s -j"$(nproc)" build VARIANT=release >/dev/null
for r in $(seq "$R"); do
    for tls in 0 1; do
        out=$root/tls$tls-r$r
        BARDO_TLS=$tls BARDO_PORT=${TLS_BENCH_PORT:-19986} \
            scripts/stress.sh --scale "$S" --time "$T" --data "${DATA:-generated}" --out "$out" -- --quiet \
            >"$out.log" 2>&1 || true
        echo "TLS=$tls round $r: $(python3 -c "import json;d=json.load(open('$out/summary.json'));print('requests',d['requests'],'ko',d['ko'],'p99',d['p99_ms'],'count',d['count_after'],'201s',d['created_201'])" 2>/dev/null || echo "no summary (see $out.log)")"
    done
done
python3 bench/bench_table.py "$root" tls0=plaintext tls1="TLS 1.3"
