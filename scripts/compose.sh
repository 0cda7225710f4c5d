#!/usr/bin/env bash
# The Rinha deployment (deploy/docker-compose.yml) on this machine, with
# podman and podman-compose from Debian instead of a Docker engine.
#   scripts/compose.sh up     build what is missing, start the stack, wait
#                             until :9999/health answers 200
#   scripts/compose.sh down   stop and remove the stack (and its volume)
#   scripts/compose.sh test   scripts/compose_test.sh (up, tests, down)
#   scripts/compose.sh build  only the images; `base` only the base image
#   scripts/compose.sh stress [bardo-load options]: the official profile
#                             (COMPOSE_STRESS_TIME=1: 3 min 25 s) against
#                             the running stack, CPU and memory per container
# No registry is reachable here, so the base image (Debian 12 minbase) is
# made with debootstrap from the machine's Debian mirror and imported into
# podman once; later runs on the same machine reuse it (BARDO_REBUILD_BASE=1
# makes it again). The image build itself is cached layer by layer.
# Environment: BARDO_PORT (9999), BARDO_COMPOSE_PROJECT (bardo),
# BARDO_COMPOSE_FILE (deploy/docker-compose.yml),
# BARDO_DEBIAN_MIRROR (from /etc/apt/sources.list*), CONTAINERS_CONF,
# BARDO_BUILD_CONTEXT (the repository; another tree with the same layout).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/deploy/containers.conf}
COMPOSE_FILE=${BARDO_COMPOSE_FILE:-deploy/docker-compose.yml}
PROJECT=${BARDO_COMPOSE_PROJECT:-bardo}
BASE_IMAGE=localhost/bardo-base:bookworm
IMAGE=localhost/bardo:latest
export BARDO_PORT=${BARDO_PORT:-9999}   # the host port nginx's 9999 is published on
PORT=$BARDO_PORT

say() { echo "compose: $*"; }

deps() { # what this script needs and make test's deps.sh does not install
    local pkgs=(podman podman-compose debootstrap runc netavark aardvark-dns
                uidmap slirp4netns fuse-overlayfs iptables curl) missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

mirror() { # the machine's Debian mirror (deb822 or one-line sources)
    [ -n "${BARDO_DEBIAN_MIRROR:-}" ] && { echo "$BARDO_DEBIAN_MIRROR"; return; }
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v '^\s*#' | grep -oE 'https?://[^ ]*/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
    echo "${m:-http://deb.debian.org/debian}"
}

base() { # Debian 12 minbase, imported once per machine
    if podman image exists "$BASE_IMAGE" && [ "${BARDO_REBUILD_BASE:-0}" != 1 ]; then return 0; fi
    local m dir; m=$(mirror); dir=$(mktemp -d /var/tmp/bardo-base.XXXXXX)
    say "making the base image $BASE_IMAGE: debootstrap bookworm from $m (about 40 s)"
    # shellcheck disable=SC2064
    trap "rm -rf '$dir'" RETURN
    debootstrap --variant=minbase bookworm "$dir" "$m" >"$dir.log" 2>&1 ||
        { tail -20 "$dir.log" >&2; return 1; }
    rm -f "$dir.log"
    # as Docker's debian:bookworm-slim: no apt caches, lists, docs, man pages
    # or locales; apt installs no recommends.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
           "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/info/*
    find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
        >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/90slim"
    # and, as there, apt deletes the packages it downloaded once installed
    printf 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
        >"$dir/etc/apt/apt.conf.d/docker-clean"
    tar -C "$dir" -c . | podman import -q \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
    say "base image ready ($(podman image inspect -f '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
}

build() {
    base
    local version; version=$(git describe --always --dirty 2>/dev/null || echo unknown)
    say "building $IMAGE ($version)"
    if ! podman build -f deploy/Dockerfile --build-arg BASE_IMAGE="$BASE_IMAGE" \
            --build-arg BARDO_VERSION="$version" -t "$IMAGE" "${BARDO_BUILD_CONTEXT:-.}" \
            >build/compose-build.log 2>&1; then
        tail -30 build/compose-build.log >&2
        say "the image build failed (build/compose-build.log)" >&2
        return 1
    fi
    say "image ready ($(podman image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
}

credentials() { # the stack's users (docs/SECURITY.md), put in its volume
    # before it starts: the caller's BARDO_CREDENTIALS_FILE, or one kept
    # for this machine (build/compose-credentials, 0600, made once). The
    # file goes in through stdin, run as the image's user: never in argv.
    local file=${BARDO_CREDENTIALS_FILE:-build/compose-credentials} vol=${PROJECT}_credentials
    if [ -z "${BARDO_CREDENTIALS_FILE:-}" ] && [ ! -s "$file" ]; then
        pw() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
        (umask 077; printf 'api %s\nreplica %s\nadmin %s\n' "$(pw)" "$(pw)" "$(pw)" >"$file")
    fi
    [ -s "$file" ] || { say "no credentials in $file" >&2; return 1; }
    podman volume exists "$vol" || podman volume create "$vol" >/dev/null
    podman run --rm -i --network none -v "$vol:/run/bardo-credentials" "$IMAGE" \
        sh -c 'umask 077; f=/run/bardo-credentials/credentials; cat >"$f.tmp" && mv "$f.tmp" "$f"' <"$file"
    say "credentials from $file (in the volume $vol)"
}

pc() { podman-compose -p "$PROJECT" -f "$COMPOSE_FILE" "$@"; }

wait_health() { # seconds: until nginx answers /health "ok" three times in a
    local i n=0    # row (round robin: both APIs have found the primary)
    for ((i = 0; i < $1 * 10; i++)); do
        if curl -fsS --max-time 1 "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"status":"ok"'; then
            n=$((n + 1)); [ $n -ge 3 ] && return 0
        else
            n=0
        fi
        sleep 0.1
    done
    return 1
}

up() {
    deps
    scripts/compose_gen.sh   # the compose files follow conf/limits.env
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" 2>/dev/null; then
        say "something already answers on :$PORT ('make down' or 'make compose-down' first)" >&2
        return 1
    fi
    build
    credentials
    local t0=$SECONDS
    pc up -d >build/compose-up.log 2>&1 || { tail -30 build/compose-up.log >&2; return 1; }
    if ! wait_health 60; then
        say "the stack did not answer :$PORT/health within 60 s" >&2
        logs >&2
        return 1
    fi
    say "up on :$PORT in $((SECONDS - t0)) s ($COMPOSE_FILE; 'make compose-down' stops it)"
}

logs() { local c; for c in $(containers); do echo "--- $c"; podman logs --tail 20 "$c" 2>&1; done; }

containers() { podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'; }

down() {
    local t0=$SECONDS
    if [ -z "$(containers)" ]; then say "not running"; return 0; fi
    pc down -v >build/compose-down.log 2>&1 || { tail -30 build/compose-down.log >&2; return 1; }
    say "down in $((SECONDS - t0)) s"
}

svc_ctr() { podman ps --filter "label=io.podman.compose.project=$PROJECT" \
               --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1; }

cg_usage() { # per container: cpu_ns nr_throttled max_mem_bytes, read inside it
    local s c
    for s in store-a store-b store-c api-1 api-2 nginx; do
        c=$(svc_ctr "$s"); [ -n "$c" ] || continue
        echo "$s $(podman exec "$c" sh -c 'cat /sys/fs/cgroup/cpuacct/cpuacct.usage
            sed -n "s/^nr_throttled //p" /sys/fs/cgroup/cpu/cpu.stat
            cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes' | tr '\n' ' ')"
    done
}

stress() { # [bardo-load options]: the official profile against the running stack
    local load=build/release/bin/bardo-load time=${COMPOSE_STRESS_TIME:-1} out rc
    [ -x "$load" ] || { say "$load missing: make build build/release/bin/bardo-load" >&2; return 1; }
    [ -n "$(svc_ctr nginx)" ] || { say "the stack is not up (project $PROJECT)" >&2; return 1; }
    out=build/stress/compose-$(date +%Y%m%d-%H%M%S)-t$time
    mkdir -p "$out"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$out/machine.txt"
    cg_usage >"$out/cgroups.before"
    timeout -k 10 $((60 + ${time%.*} * 400)) "$load" --url "http://127.0.0.1:$PORT" --time-scale "$time" \
        --out "$out" --label "bardo in podman-compose ($COMPOSE_FILE)" "$@" | tee "$out/summary.txt"
    rc=${PIPESTATUS[0]}
    cg_usage >"$out/cgroups.after"
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
    echo "per container (CPU seconds used, CFS periods throttled, peak memory):"
    join <(sort "$out/cgroups.before") <(sort "$out/cgroups.after") |
        awk '{ printf "  %-8s %7.2f s CPU %6d throttled %7.1f MB peak\n", $1, ($5 - $2) / 1e9, $6 - $3, $7 / 1048576 }' |
        tee "$out/cgroups.txt"
    say "results in $out"
    return "$rc"
}

mkdir -p build
case ${1:-} in
    up) up ;;
    down) down ;;
    build) deps; build ;;
    base) deps; base ;;
    logs) logs ;;
    stress) shift; stress "$@" ;;
    test) shift; exec scripts/compose_test.sh "$@" ;;
    *) echo "usage: scripts/compose.sh up|down|test|stress|build|base|logs" >&2; exit 2 ;;
esac
