#!/usr/bin/env bash
# The cost of safety: the stress test with K=1 (a write is acknowledged
# once a replica ≥1 ms away holds it) against K=0 (asynchronous), side by
# side, alternating K0, K1, K0, K1, ... so that the shared machine's noise
# falls on both. Each run: a fresh bardo under the conf/limits.env cgroups,
# sites in namespaces, the official profile at --scale S --time T.
#   bench/k_bench.sh [SCALE [TIME [ROUNDS]]]    (defaults 4 0.25 2)
# Prints a table of medians; the runs stay in build/stress/k-bench-*/.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${1:-4}; T=${2:-0.25}; R=${3:-2}
stamp=$(date +%Y%m%d-%H%M%S)
make -s -j"$(nproc)" build VARIANT=release >/dev/null
for r in $(seq "$R"); do
    for k in 0 1; do
        out=build/stress/k-bench-$stamp/k$k-r$r
        BARDO_MIN_REPLICAS=$k BARDO_PORT=${K_BENCH_PORT:-19985} \
            scripts/stress.sh --scale "$S" --time "$T" --out "$out" -- --quiet >/dev/null 2>&1 || true
        echo "K=$k round $r: $(python3 -c "import json;d=json.load(open('$out/summary.json'));print('requests',d['requests'],'ko',d['ko'],'p99',d['p99_ms'],'rps',d['mean_rps'],'count',d['count_after'],'201s',d['created_201'])")"
    done
done
python3 - "build/stress/k-bench-$stamp" <<'PY'
import json, os, statistics, sys
root = sys.argv[1]
rows = {}
for d in sorted(os.listdir(root)):
    s = json.load(open(os.path.join(root, d, "summary.json")))
    rows.setdefault(d.split("-")[0], []).append(s)
print("\n| K | runs | requests | KO | p50 ms | p99 ms | max ms | mean req/s | count = 201s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for k, runs in sorted(rows.items()):
    med = lambda key: statistics.median(r[key] for r in runs)
    ok = all(r["count_after"] == r["created_201"] for r in runs)
    print("| %s | %d | %d | %d | %.2f | %.2f | %.1f | %.0f | %s |" % (
        k[1:], len(runs), med("requests"), sum(r["ko"] for r in runs), med("p50_ms"),
        med("p99_ms"), med("max_ms"), med("mean_rps"), "yes" if ok else "NO"))
PY
