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
python3 - "$root" <<'PY'
import json, os, statistics, sys
root = sys.argv[1]
rows = {}
for d in sorted(os.listdir(root)):
    p = os.path.join(root, d)
    if not os.path.isdir(p) or not os.path.exists(os.path.join(p, "summary.json")):
        continue
    s = json.load(open(os.path.join(p, "summary.json")))
    g = json.load(open(os.path.join(p, "cgroups.json")))
    create = next(k for k in s["kinds"] if k["label"] == "POST /pessoas")
    stores = sum(c["cpu_s"] for c in g["components"] if c["component"].startswith("store"))
    s["_create_p50"], s["_create_p99"] = create["p50_ms"], create["p99_ms"]
    s["_store_ms_per_1000"] = 1e6 * stores / max(create["requests"], 1)
    rows.setdefault(d.split("-")[0], []).append(s)
print("\n| links | runs | requests | KO | create p50 ms | create p99 ms | all p99 ms | stores' CPU ms per 1,000 creations | count = 201s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for k, runs in sorted(rows.items()):
    med = lambda key: statistics.median(r[key] for r in runs)
    ok = all(r["count_after"] == r["created_201"] for r in runs)
    print("| %s | %d | %d | %d | %.2f | %.2f | %.2f | %.0f | %s |" % (
        "TLS 1.3" if k == "tls1" else "plaintext", len(runs), med("requests"),
        sum(r["ko"] for r in runs), med("_create_p50"), med("_create_p99"), med("p99_ms"),
        med("_store_ms_per_1000"), "yes" if ok else "NO"))
PY
