#!/usr/bin/env bash
# The stress test: starts a fresh bardo (empty store) with each process in
# its cgroup (conf/limits.env), replays the official Gatling profile with
# bardo-load from outside those cgroups, records what each component used,
# stops bardo, and leaves everything in one folder. See docs/STRESS.md.
#
#   scripts/stress.sh [--scale X] [--time X] [--out DIR] [--no-cgroups]
#                     [--data generated|official|DIR] [--strict] [--ceiling]
#                     [--fault KIND@SECONDS] [-- bardo-load options...]
#   (SCALE, TIME, OUT, DATA, STRICT=1, FAULT, BARDO_CGROUPS=0 from the environment too)
#
# --fault KIND@SECONDS (docs/FAULTS.md): at SECONDS into the official-length
# run (times --time: 120 at --time 0.1 is 12 s in) whichever store is
# primary then is hit, and never healed: cut-primary-site (sites.sh cut of
# its whole site; needs sites, i.e. root) or kill-primary (kill -9). The
# end of the summary says what was hit when, and the count against the 201s
# seen and the KOs (fault.txt).
#
# STRESS_AFTER=CMD: run CMD (bash -c, with OUT, BARDO_RUN and BARDO_PORT
# exported) after the load and before bardo is stopped: what the full
# system looks like at the end (scripts/stress_million.sh measures search
# there); its output goes to OUT/after.txt and the summary.
#
# --data: the payload and term files sent (scripts/data.sh, docs/DATA.md):
# generated (default, made by bardo-load in build/data/generated), official
# (downloaded once and verified) or a directory holding the two files.
# --time is bardo-load's --time-scale (0.1: the same shape in 20.5 s).
# --ceiling measures nginx alone (conf/nginx-ceiling.conf.in answers every
# request itself) under the whole budget (TOTAL_* in conf/limits.env).
# Output folder (default build/stress/<date>-s<scale>-t<time>):
#   summary.txt  the Gatling-style summary     summary.json, report.html
#   cgroups.txt  CPU and memory per component  cgroups.json  machine.txt
#   run/         the system's logs
# Exit: bardo-load's (3 with --strict and a KO, a wrong count or one short of
# the perfect count); 1 when the data set cannot be had (scripts/data.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}; TIME=${TIME:-1}; OUT=${OUT:-}; STRICT=${STRICT:-0}; CEILING=${CEILING:-0}
DATA=${DATA:-generated}
export BARDO_CGROUPS=${BARDO_CGROUPS:-1}
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --time) TIME=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --no-cgroups) BARDO_CGROUPS=0; shift ;;
        --strict) STRICT=1; shift ;;
        --ceiling) CEILING=1; shift ;;
        --data) DATA=$2; shift 2 ;;
        --fault) FAULT=$2; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) sed -n '2,30p' "$0" >&2; exit 2 ;;
    esac
done
FAULT=${FAULT:-}
if [ -n "$FAULT" ] && ! [[ $FAULT =~ ^(cut-primary-site|kill-primary)@[0-9]+(\.[0-9]+)?$ ]]; then
    echo "stress: --fault must be cut-primary-site@SECONDS or kill-primary@SECONDS, not '$FAULT'" >&2; exit 2
fi
OUT=${OUT:-build/stress/$(date +%Y%m%d-%H%M%S)-s$SCALE-t$TIME}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
export BARDO_RUN=$OUT/run
source scripts/env.sh
source scripts/cgroup.sh
LOAD=${BARDO_LOAD:-$ROOT/build/release/bin/bardo-load}
[ -x "$LOAD" ] || { echo "stress: $LOAD missing; make build build/release/bin/bardo-load" >&2; exit 1; }
DATA_DIR=$(BARDO_LOAD=$LOAD scripts/data.sh "$DATA") || exit 1

if curl -s -o /dev/null "http://127.0.0.1:$BARDO_PORT/" 2>/dev/null; then
    echo "stress: something already answers on :$BARDO_PORT; 'make down' (or set BARDO_PORT)" >&2
    exit 1
fi
start_ceiling() { # nginx alone, in one cgroup with the whole budget
    cg_limits
    export CEILING_CPUS CEILING_MEM_MB
    CEILING_CPUS=$TOTAL_CPUS      # the whole budget: what bardo's services share
    CEILING_MEM_MB=$TOTAL_MEM_MB
    mkdir -p "$BARDO_RUN/nginx-tmp"
    local user_line="" prefix=()
    [ "$(id -u)" -eq 0 ] && user_line="user root;"
    sed -e "s|@RUN@|$BARDO_RUN|g" -e "s|@PORT@|$BARDO_PORT|g" -e "s|@USER@|$user_line|" \
        conf/nginx-ceiling.conf.in >"$BARDO_RUN/nginx.conf"
    if [ "$BARDO_CGROUPS" = 1 ] && cg_setup ceiling; then
        prefix=(scripts/cgroup.sh exec ceiling)
        echo "cgroups: nginx alone under $CEILING_CPUS CPU, $CEILING_MEM_MB MB in $(cg_dir cpu)"
    fi
    setsid ${prefix[@]+"${prefix[@]}"} "$BARDO_NGINX" -p "$BARDO_RUN" -c "$BARDO_RUN/nginx.conf" \
        -e "$BARDO_RUN/nginx-error.log" -g "daemon off;" >"$BARDO_RUN/ceiling.log" 2>&1 </dev/null &
    echo $! >"$BARDO_RUN/ceiling.pid"
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$BARDO_PORT/health" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "stress: the ceiling nginx did not start; see $BARDO_RUN" >&2; return 1
}

stop_all() {
    if [ -s "$BARDO_RUN/ceiling.pid" ]; then
        local pid; pid=$(cat "$BARDO_RUN/ceiling.pid")
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$BARDO_RUN/ceiling.pid"; sleep 0.2; cg_remove
    else
        scripts/down.sh >/dev/null 2>&1
    fi
    return 0
}
# --fault: the primary now (highest epoch answering ROLE primary), hit at
# FAULT_AT s after the load starts; what happened goes to fault.txt.
fault_primary() { # prints "index addr" of the primary
    local i=0 a best="" be=-1 pw
    pw=$(awk '$1 == "admin" { print $2 }' "$BARDO_RUN/credentials")
    for a in $(tr ',' ' ' <"$BARDO_RUN/stores"); do
        mapfile -t args < <(rcli_args "$a")
        # shellcheck disable=SC2046
        set -- $(REDISCLI_AUTH=$pw timeout 1 redis-cli --no-auth-warning --user admin "${args[@]}" ROLE 2>/dev/null)
        [ "${1:-}" = primary ] && [ "$2" -gt "$be" ] && be=$2 && best="$i $a"
        i=$((i + 1))
    done
    echo "$best"
}
run_fault() { # kind at_seconds
    local kind=$1 at=$2 p i addr letters=abcdefg
    sleep "$at"
    p=$(fault_primary)
    [ -n "$p" ] || { echo "fault: no primary at ${at} s: nothing hit"; return; }
    i=${p%% *}; addr=${p#* }
    case $kind in
        cut-primary-site) scripts/sites.sh cut "${letters:i:1}" &&
            echo "fault: cut site ${letters:i:1} (store-${letters:i:1}, the primary, $addr) off at ${at} s, never restored" ;;
        kill-primary) kill -KILL "$(cat "$BARDO_RUN/store-${letters:i:1}.pid")" &&
            echo "fault: kill -9 store-${letters:i:1} (the primary, $addr) at ${at} s, never restarted" ;;
    esac
}
fault_pid=""
stop_fault() {
    if [ -n "$fault_pid" ]; then kill "$fault_pid" 2>/dev/null || true; wait "$fault_pid" 2>/dev/null || true; fi
    fault_pid=""
}
trap 'stop_fault; stop_all' EXIT
if [ "$CEILING" = 1 ]; then start_ceiling; else scripts/up.sh; fi | tee "$OUT/up.txt"
grep -q '^cgroups:' "$OUT/up.txt" && limited=1 || limited=0

{ echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(free -m | awk '/^Mem:/ {print $2}') MB"
  echo "kernel: $(uname -r)"; echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo '+dirty')"
  echo "date: $(date -Is)"; echo "under cgroup limits: $limited"; echo "ceiling: $CEILING"
  echo "command: scripts/stress.sh --scale $SCALE --time $TIME --data $DATA ${extra[*]}"
  echo "data: $DATA ($DATA_DIR)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"; } >"$OUT/machine.txt"

what=bardo; [ "$CEILING" = 1 ] && what="CEILING: nginx alone answering itself"
label="$what $([ $limited = 1 ] && echo "under the conf/limits.env cgroup limits" || echo "WITHOUT cgroup limits")"
cg_snapshot $CG_SERVICES ceiling >"$OUT/cgroups.before"
rc=0
if [ -n "$FAULT" ]; then
    if [ "${FAULT%@*}" = cut-primary-site ] && ! grep -q ' up ' "$BARDO_RUN/sites.log" 2>/dev/null; then
        echo "stress: --fault $FAULT needs sites (root, namespaces): see $BARDO_RUN/sites.log" >&2; exit 1
    fi
    FAULT_AT=$(awk -v s="${FAULT#*@}" -v t="$TIME" 'BEGIN { printf "%.3f", s * t }')
    run_fault "${FAULT%@*}" "$FAULT_AT" >"$OUT/fault.txt" 2>&1 &
    fault_pid=$!
fi
"$LOAD" --url "http://127.0.0.1:$BARDO_PORT" --scale "$SCALE" --time-scale "$TIME" \
    --payloads "$DATA_DIR/pessoas-payloads.tsv" --terms "$DATA_DIR/termos-busca.tsv" --out "$OUT" --label "$label" $([ "$STRICT" = 1 ] && echo --strict) ${extra[@]+"${extra[@]}"} | tee "$OUT/summary.txt" || rc=$?
cg_snapshot $CG_SERVICES ceiling >"$OUT/cgroups.after"
if [ -n "${STRESS_AFTER:-}" ]; then
    OUT=$OUT BARDO_RUN=$BARDO_RUN BARDO_PORT=$BARDO_PORT DATA_DIR=$DATA_DIR bash -c "$STRESS_AFTER" \
        >"$OUT/after.txt" 2>&1 || echo "stress: STRESS_AFTER failed (see $OUT/after.txt)" >&2
    tee -a "$OUT/summary.txt" <"$OUT/after.txt"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
[ $limited = 1 ] && scripts/stress_cgroups.py "$OUT" | tee -a "$OUT/summary.txt"
if [ -n "$FAULT" ]; then
    stop_fault
    /usr/bin/python3 - "$OUT/summary.json" >>"$OUT/fault.txt" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ko = s.get("ko", 0)
print("fault result: count %s vs %s 201s seen (%s); %s KO of %s requests (aim: 0)" % (
    s.get("count_after"), s.get("created_201"),
    "equal" if s.get("count_after") == s.get("created_201") else "DIFFERENT", ko, s.get("requests")))
PY
    tee -a "$OUT/summary.txt" <"$OUT/fault.txt"
fi
echo "stress: results in $OUT"
exit $rc
