#!/usr/bin/env bash
# cgroup v1 helpers: each process of bardo in its own group with the CPU
# quota and memory limit of its service (conf/limits.env), as the Rinha's
# docker-compose limits would. Sourced by up.sh, down.sh and stress.sh;
# also run as `cgroup.sh exec SERVICE CMD...` (what up.sh's start() uses)
# to enter the group before exec'ing CMD, so children (nginx's worker) are
# born inside it.
#
# Groups: /sys/fs/cgroup/{cpu,cpuacct,memory}/bardo-<port>/<service>
# (the port names a running copy; BARDO_CGROUP_NAME overrides it).
# Services: nginx, api-1, api-2, store-a (the primary), store-b and
# store-c (the replicas, REPLICA_* limits), and with SITES=5 (7) store-d,
# store-e (.. store-g), replicas too (up.sh names them to cg_setup).
# When the hierarchy is not writable, cg_setup says so and returns 1; the
# caller then runs unlimited.
CG_ROOT=${CG_ROOT:-/sys/fs/cgroup}
CG_CONTROLLERS="cpu cpuacct memory"
CG_SERVICES="nginx api-1 api-2 $(echo "abcdefg" | cut -c1-"${SITES:-3}" 2>/dev/null | sed 's/./store-& /g')"

cg_name() { echo "bardo-${BARDO_CGROUP_NAME:-${BARDO_PORT:-9999}}"; }

cg_limits() { # -> sets NGINX_CPUS ... from conf/limits.env
    local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    # shellcheck disable=SC1091
    source "$root/conf/limits.env"
}

cg_service_limits() { # service -> "cpus mem_mb"
    cg_limits
    case $1 in
        nginx) echo "$NGINX_CPUS $NGINX_MEM_MB" ;;
        api-*) echo "$API_CPUS $API_MEM_MB" ;;
        store|store-a) echo "$STORE_CPUS $STORE_MEM_MB" ;;
        store-*) echo "$REPLICA_CPUS $REPLICA_MEM_MB" ;;
        ceiling) echo "${CEILING_CPUS:-$TOTAL_CPUS} ${CEILING_MEM_MB:-$TOTAL_MEM_MB}" ;;
        *) echo "cgroup.sh: unknown service $1" >&2; return 1 ;;
    esac
}

cg_dir() { echo "$CG_ROOT/$1/$(cg_name)${2:+/$2}"; } # controller [service]

cg_writable() {
    local c
    for c in $CG_CONTROLLERS; do
        [ -w "$CG_ROOT/$c" ] && [ -e "$CG_ROOT/$c/cgroup.procs" ] || return 1
    done
}

cg_setup_one() { # service: create its groups and set its limits
    local s=$1 cpus mem c
    read -r cpus mem < <(cg_service_limits "$s") || return 1
    for c in $CG_CONTROLLERS; do mkdir -p "$(cg_dir "$c" "$s")" || return 1; done
    local cpu; cpu=$(cg_dir cpu "$s")
    echo 100000 >"$cpu/cpu.cfs_period_us" &&
    awk -v c="$cpus" 'BEGIN { printf "%d\n", c * 100000 + 0.5 }' >"$cpu/cpu.cfs_quota_us" &&
    echo $((mem * 1024 * 1024)) >"$(cg_dir memory "$s")/memory.limit_in_bytes"
}

cg_setup() { # [services...]: all of bardo's by default
    if ! cg_writable; then
        echo "cgroup.sh: $CG_ROOT/{cpu,cpuacct,memory} not writable: running WITHOUT limits" >&2
        return 1
    fi
    local s
    for s in ${*:-$CG_SERVICES}; do
        cg_setup_one "$s" || { echo "cgroup.sh: cannot set up $s: running WITHOUT limits" >&2; return 1; }
    done
}

cg_enter() { # service [pid]: move a process (default: this shell) into it
    local c pid=${2:-$BASHPID}
    for c in $CG_CONTROLLERS; do echo "$pid" >"$(cg_dir "$c" "$1")/cgroup.procs" || return 1; done
}

cg_read() { cat "$1" 2>/dev/null || echo 0; }

cg_snapshot() { # one line per service: name cpu_ns throttled_ns nr_throttled mem_max rss user_ns sys_ns
    local s
    for s in ${*:-$CG_SERVICES}; do
        [ -d "$(cg_dir memory "$s")" ] || continue
        local stat; stat=$(cat "$(cg_dir cpu "$s")/cpu.stat" 2>/dev/null)
        echo "$s $(cg_read "$(cg_dir cpuacct "$s")/cpuacct.usage")" \
             "$(echo "$stat" | awk '/^throttled_time/ {print $2}')" \
             "$(echo "$stat" | awk '/^nr_throttled/ {print $2}')" \
             "$(cg_read "$(cg_dir memory "$s")/memory.max_usage_in_bytes")" \
             "$(awk '/^total_rss / {print $2}' "$(cg_dir memory "$s")/memory.stat" 2>/dev/null)" \
             "$(cg_read "$(cg_dir cpuacct "$s")/cpuacct.usage_user")" \
             "$(cg_read "$(cg_dir cpuacct "$s")/cpuacct.usage_sys")"
    done
}

cg_remove() { # removes the groups (their processes must be gone)
    local c s
    for c in $CG_CONTROLLERS; do
        [ -d "$(cg_dir "$c")" ] || continue
        for s in "$(cg_dir "$c")"/*/; do [ -d "$s" ] && rmdir "$s" 2>/dev/null; done
        rmdir "$(cg_dir "$c")" 2>/dev/null
    done
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    [ "${1:-}" = exec ] && [ $# -ge 3 ] || { echo "usage: cgroup.sh exec SERVICE CMD..." >&2; exit 2; }
    svc=$2; shift 2
    cg_enter "$svc" || echo "cgroup.sh: could not enter $svc's group: running unlimited" >&2
    exec "$@"
fi
