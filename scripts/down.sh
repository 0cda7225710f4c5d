#!/usr/bin/env bash
# Stops what scripts/up.sh started, by the PIDs it recorded: SIGTERM, then
# SIGKILL for anything still alive after 5 s.
set -uo pipefail
source "$(dirname "$0")/env.sh"
pids=()
# nginx and the APIs first, then every store up.sh started (3, 5 or 7)
for f in "$BARDO_RUN"/{nginx,api-1,api-2}.pid "$BARDO_RUN"/store-?.pid "$BARDO_RUN"/store.pid; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" && pids+=("$pid")
    rm -f "$f"
done
for _ in $(seq 100); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.05
done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p"; done
# the cgroups up.sh made with BARDO_CGROUPS=1, if any (empty now)
source "$(dirname "$0")/cgroup.sh"
[ -d "$(cg_dir cpu)" ] && sleep 0.2 && cg_remove
# the sites (namespaces, delayers) up.sh made, if any
"$(dirname "$0")/sites.sh" down >/dev/null 2>&1 || true
[ ${#pids[@]} -gt 0 ] && echo "bardo is down" || echo "bardo was not running"
exit 0
