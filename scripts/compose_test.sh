#!/usr/bin/env bash
# The compose deployment, tested for real (podman + podman-compose):
#   1. the compose files and nginx.conf are what conf/limits.env and their
#      templates give (scripts/compose_gen.sh --check), within the budget;
#   2. the stack comes up (scripts/compose.sh up) on its own port and
#      project, so a `make up` or `make compose-up` left running is no bother;
#   3. inside each container, the CPU quota and memory limit are the ones
#      conf/limits.env declares; everything runs unprivileged; only nginx
#      publishes a port and nothing in the stack listens on TCP but nginx;
#   4. each container's healthcheck passes (podman healthcheck run: without
#      systemd podman does not schedule them by itself);
#   5. the black-box API tests run against it (BARDO_TARGET_URL, with the
#      socket volume for the tests that talk to api-1/api-2/the store);
#   6. all three stores restarted (empty; the APIs must find the primary
#      again), a short stress run (bardo-load, the official profile at
#      --time-scale 0.1) with 0 KO and the exact count, when bardo-load is
#      built (COMPOSE_TEST_STRESS=0 skips it);
#   7. every container stops on SIGTERM alone, within 5 s, exit code 0, the
#      programs having logged their "stopping" line; then the stack is removed.
# Prints "N passed, N failed" last; exits non-zero on any failure.
# Environment: COMPOSE_TEST_PORT (19998), COMPOSE_TEST_TIME (0.1),
# BARDO_COMPOSE_FILE (deploy/docker-compose.yml; the Rinha folder's file
# runs too, with the same locally built image).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
if [ "$(id -u)" -ne 0 ]; then # deploy/containers.conf: rootful podman, cgroupfs, runc
    echo "skip  compose: podman runs the stack as root here (uid $(id -u)); run make test as root for it"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/containers.conf}
export BARDO_PORT=${COMPOSE_TEST_PORT:-19998} BARDO_COMPOSE_PROJECT=bardo-test
LOG=build/test-logs/compose
mkdir -p "$LOG"
passed=0; failed=0; t_start=$SECONDS
ok() { passed=$((passed + 1)); echo "ok    $*"; }
ko() { failed=$((failed + 1)); echo "FAIL  $*"; }
check() { # name, command...: one check, its output in $LOG/<name>.log
    local name=$1; shift
    if "$@" >"$LOG/$name.log" 2>&1; then ok "$name"; else ko "$name (log: $LOG/$name.log)"; tail -15 "$LOG/$name.log" | sed 's/^/      /'; fi
}
# shellcheck disable=SC1091
source conf/limits.env
SERVICES="store-a store-b store-c api-1 api-2 nginx"

ctr() { podman ps -a --filter "label=io.podman.compose.project=$BARDO_COMPOSE_PROJECT" \
            --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1; }

limits_of() { # service -> "quota_us limit_bytes"
    local cpus mem
    case $1 in
        nginx) cpus=$NGINX_CPUS mem=$NGINX_MEM_MB ;;
        api-*) cpus=$API_CPUS mem=$API_MEM_MB ;;
        store-a) cpus=$STORE_CPUS mem=$STORE_MEM_MB ;;
        store-*) cpus=$REPLICA_CPUS mem=$REPLICA_MEM_MB ;;
    esac
    awk -v c="$cpus" -v m="$mem" 'BEGIN { printf "%d %d\n", c * 100000 + 0.5, m * 1048576 }'
}

check_limits() { # every service: the cgroup the container sees, from inside
    local s c want got rc=0
    for s in $SERVICES; do
        c=$(ctr "$s"); [ -n "$c" ] || { echo "$s: no container"; rc=1; continue; }
        want="100000 $(limits_of "$s")"
        got=$(podman exec "$c" sh -c 'cat /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes' | tr '\n' ' ' | sed 's/ $//')
        echo "$s: period quota memory = $got (conf/limits.env: $want)"
        [ "$got" = "$want" ] || { echo "  MISMATCH"; rc=1; }
    done
    return $rc
}

check_isolation() { # unprivileged; only nginx publishes a port or listens on TCP
    local s c rc=0 user ports listen hex
    for s in $SERVICES; do
        c=$(ctr "$s")
        user=$(podman exec "$c" id -u)
        ports=$(podman port "$c" | tr '\n' ' ')
        # LISTEN sockets (state 0A) in the container's own network namespace
        listen=""
        for hex in $(podman exec "$c" sh -c 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null' |
                     awk '$4 == "0A" { n = split($2, a, ":"); print a[n] }'); do
            listen+="$((16#$hex)) "
        done
        echo "$s: uid $user; published: ${ports:-none}; TCP listening: ${listen:-none}"
        [ "$user" != 0 ] || { echo "  runs as root"; rc=1; }
        if [ "$s" = nginx ]; then
            [[ "$ports" == "9999/tcp -> 0.0.0.0:$BARDO_PORT "* ]] || { echo "  nginx should publish 9999 only"; rc=1; }
        else
            [ -z "$ports" ] && [ -z "$listen" ] || { echo "  $s must not be reachable from outside"; rc=1; }
        fi
    done
    return $rc
}

check_health() {
    local s c rc=0
    for s in $SERVICES; do
        c=$(ctr "$s")
        if podman healthcheck run "$c"; then echo "$s: healthy"; else echo "$s: UNHEALTHY"; rc=1; fi
    done
    return $rc
}

blackbox() {
    local sockets; sockets=$(podman volume inspect "${BARDO_COMPOSE_PROJECT}_sockets" -f '{{.Mountpoint}}')
    local creds; creds=$(podman volume inspect "${BARDO_COMPOSE_PROJECT}_credentials" -f '{{.Mountpoint}}')
    BARDO_TARGET_URL="http://127.0.0.1:$BARDO_PORT" BARDO_TARGET_SOCKETS="$sockets" \
        BARDO_TARGET_CREDENTIALS="$creds/credentials" \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs tests/blackbox
}

stress() {
    COMPOSE_STRESS_TIME=${COMPOSE_TEST_TIME:-0.1} scripts/compose.sh stress --strict --quiet
}

restart_store() { # all three stores at once, so none keeps a person
    podman restart -t 5 "$(ctr store-a)" "$(ctr store-b)" "$(ctr store-c)" || return 1
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BARDO_PORT/contagem-pessoas")" = 200 ] &&
            [ "$(curl -s "http://127.0.0.1:$BARDO_PORT/contagem-pessoas")" = 0 ] &&
            [ "$(curl -s "http://127.0.0.1:$BARDO_PORT/contagem-pessoas")" = 0 ] &&
            { echo "both APIs reach the new, empty store"; return 0; }
        sleep 0.1
    done
    echo "the APIs did not reach the restarted store within 10 s"; return 1
}

stop_cleanly() { # SIGTERM each container; must exit by itself, 0, "stopping" logged
    local s c t0 code rc=0
    for s in nginx api-1 api-2 store-c store-b store-a; do
        c=$(ctr "$s"); t0=$(date +%s.%N)
        local before; before=$(podman logs "$c" 2>&1 | grep -c 'info: stopping')
        podman stop -t 5 "$c" >/dev/null 2>&1
        code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
        local took; took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        echo "$s: exit code $code after ${took} s"
        # exit 137 = SIGKILL after the 5 s grace: SIGTERM was not enough
        [ "$code" = 0 ] || { echo "  did not stop cleanly on SIGTERM"; rc=1; }
        if [ "$s" != nginx ]; then
            [ "$(podman logs "$c" 2>&1 | grep -c 'info: stopping')" -gt "$before" ] ||
                { echo "  no 'stopping' line in its log"; rc=1; }
        fi
    done
    return $rc
}

echo "compose test: project $BARDO_COMPOSE_PROJECT on :$BARDO_PORT, logs in $LOG"
check compose-files scripts/compose_gen.sh --check
scripts/compose.sh down >/dev/null 2>&1   # a stack a killed run left behind
t_up=$SECONDS
if scripts/compose.sh up >"$LOG/compose-up.log" 2>&1; then
    ok "compose-up ($((SECONDS - t_up)) s, build included)"
    check compose-limits check_limits
    check compose-isolation check_isolation
    check compose-health check_health
    check compose-blackbox blackbox
    grep -E '[0-9]+ passed' "$LOG/compose-blackbox.log" | tail -1 | sed 's/^/      /'
    if [ "${COMPOSE_TEST_STRESS:-1}" = 1 ] && [ -x build/release/bin/bardo-load ]; then
        # an empty store, so the count can be compared with the 201s seen;
        # the APIs must find the new store by themselves
        check compose-store-restart restart_store
        check compose-stress stress
        grep -E 'failed \(KO\)|201 Created seen|contagem-pessoas  ' "$LOG/compose-stress.log" | head -3 | sed 's/^/      /'
    else
        echo "skip  compose-stress (build/release/bin/bardo-load not built, or COMPOSE_TEST_STRESS=0)"
    fi
    check compose-sigterm stop_cleanly
else
    ko "compose-up (log: $LOG/compose-up.log)"; tail -30 "$LOG/compose-up.log" | sed 's/^/      /'
fi
scripts/compose.sh down >"$LOG/compose-down.log" 2>&1 || ko "compose-down (log: $LOG/compose-down.log)"
echo "compose test: $((SECONDS - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
