#!/usr/bin/env bash
# Where a store's CPU goes under the stress profile: starts
# scripts/stress.sh (fresh system, cgroups, sites) in the background,
# samples one process with perf for SECONDS once the load is going, and
# prints the share per library and the top symbols. Asserts nothing.
#   bench/perf_store.sh [PROCESS] [SECONDS] [-- stress.sh options]
# Defaults: store-a (the primary), 30 s, --scale 4 --time 0.25. PROCESS is
# any name up.sh starts (store-b, api-1, nginx...). In a VM without a PMU
# perf samples the cpu-clock, so kernel time lands on the lines that
# re-enable interrupts (finish_task_switch): read the kernel as one block.
set -euo pipefail
cd "$(dirname "$0")/.."
PROC=${1:-store-a}; SECS=${2:-30}; shift $(( $# > 2 ? 2 : $# )); [ "${1:-}" = -- ] && shift
STRESS_ARGS=("$@"); [ ${#STRESS_ARGS[@]} -gt 0 ] || STRESS_ARGS=(--scale 4 --time 0.25)
command -v perf >/dev/null || { echo "perf_store: perf is not installed (linux-perf)" >&2; exit 1; }
OUT=build/stress/perf-$(date +%Y%m%d-%H%M%S)-$PROC
mkdir -p "$OUT"
scripts/stress.sh "${STRESS_ARGS[@]}" --out "$OUT/stress" -- --procedural 1 --quiet >"$OUT/stress.log" 2>&1 &
stress=$!
for _ in $(seq 600); do [ -s "$OUT/stress/run/$PROC.pid" ] && grep -q 'bardo is up' "$OUT/stress.log" 2>/dev/null && break; sleep 0.1; done
sleep 3 # into the load's ramp
pid=$(cat "$OUT/stress/run/$PROC.pid")
perf record -F 2000 -g -p "$pid" -o "$OUT/perf.data" -- sleep "$SECS" >/dev/null 2>&1 || true
wait "$stress" || true
echo "perf of $PROC (pid $pid) for $SECS s under scripts/stress.sh ${STRESS_ARGS[*]}; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
perf report -i "$OUT/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%'
perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --percent-limit 0.5 --stdio -g none 2>/dev/null |
    grep '%' | grep -v kernel.kallsyms | head -20
echo "perf data: $OUT/perf.data"
