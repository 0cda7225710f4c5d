#!/usr/bin/env bash
# make bench: performance figures, each printed with the command that made
# it. Asserts nothing about time. Results go to build/bench/<stamp>.txt.
#   1. the store alone, in-process (bench/store_bench.c), at 100k and 1M people
#   2. the whole stack (nginx + 2 APIs + store primary + 2 replicas, K=1,
#      sites 1 ms apart) under wrk with bench/mix.lua, three 10 s runs,
#      median reported
#   3. replication and recovery at 1M people (bench/repl_bench.sh)
# The cost of K=1 against K=0 under the stress test: bench/k_bench.sh.
# BENCH_SIZES="100000 1000000"  BENCH_WRK_RUNS=3  BENCH_WRK_SECONDS=10
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/rinha-2023-q3
sizes=${BENCH_SIZES:-"100000 1000000"}
runs=${BENCH_WRK_RUNS:-3}
secs=${BENCH_WRK_SECONDS:-10}
out=build/bench; mkdir -p "$out"
report="$out/$(date -u +%Y%m%dT%H%M%SZ).txt"
make -s -j"$(nproc)" build benches VARIANT=release >/dev/null

{
echo "# bardo benchmarks, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
    echo; echo "## store alone, $n people"
    echo "\$ build/release/bench/store_bench $DATA/pessoas-payloads.tsv $DATA/termos-busca.tsv $n"
    build/release/bench/store_bench "$DATA/pessoas-payloads.tsv" "$DATA/termos-busca.tsv" "$n"
done

echo; echo "## whole stack: nginx + 2 APIs + store, wrk mix (bench/mix.lua)"
run=$(mktemp -d); chmod 755 "$run"
export BARDO_RUN=$run BARDO_PORT=${BENCH_PORT:-19990}
trap 'scripts/down.sh >/dev/null; rm -rf "$run"' EXIT
scripts/up.sh >/dev/null
cmd="wrk -t1 -c64 -d${secs}s -s bench/mix.lua http://127.0.0.1:$BARDO_PORT"
echo "\$ $cmd   (x$runs, median)"
rates=()
for i in $(seq "$runs"); do
    r=$($cmd | awk '/Requests\/sec/{print $2}')
    echo "run $i: $r req/s"; rates+=("$r")
done
printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median: %s req/s\n", a[int((NR+1)/2)]}'
echo "people after the runs: $(curl -s "http://127.0.0.1:$BARDO_PORT/contagem-pessoas")"
scripts/down.sh >/dev/null
echo; echo "## replication and recovery (bench/repl_bench.sh ${BENCH_REPL_N:-1000000})"
BARDO_RUN= bench/repl_bench.sh "${BENCH_REPL_N:-1000000}"
} 2>&1 | tee "$report"
echo "report: $report"
