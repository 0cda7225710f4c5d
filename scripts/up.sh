#!/usr/bin/env bash
# Starts the whole system in the background and returns once nginx on
# $BARDO_PORT answers /health with 200:
#   store-a  the store primary, site a        api-1, api-2  on this host
#   store-b  a replica, site b                nginx         on this host
#   store-c  a replica, site c
# SITES=5 (or 7) makes five (seven) store sites: store-a the primary in
# site a, replicas store-b .. store-e in sites b .. e; any other number than
# 3, 5 or 7 is refused (scripts/env.sh). The APIs are given every store.
# The front (nginx, the APIs) stays in the root namespace, outside every
# site: it reaches each store over the bridge, undelayed, so cutting the
# primary's site off (sites.sh cut/block) leaves the APIs able to reach
# the other sites, as a front behind a global load balancer would.
# Sites are network namespaces with ≥1 ms round trips between them
# (scripts/sites.sh, docs/SITES.md); where they are impossible (not root,
# BARDO_SITES=0) every process runs here, on Unix sockets, and it says so.
# A write is acknowledged once K replicas in other sites hold it: K is the
# stores' own default, a majority of the nodes with the primary (nodes/2:
# 1 of 3, 2 of 5), or BARDO_MIN_REPLICAS when set (the store refuses less
# than a majority, but 0). PIDs and logs go to $BARDO_RUN; scripts/down.sh
# stops what this started. BARDO_DATA_DIR=DIR gives each store a data
# directory DIR/store-X (snapshots + journal on disk; off by default: RAM
# only). BARDO_FRONT=l4 puts nginx in front as an L4 (stream) proxy,
# conf/nginx-l4.conf.in, instead of the HTTP proxy (issue 14's experiment;
# needs libnginx-mod-stream). BARDO_CGROUPS=1 puts each process in its own
# cgroup with its service's limits from conf/limits.env (scripts/cgroup.sh;
# `make stress` does this).
set -euo pipefail
source "$(dirname "$0")/env.sh"
LETTERS=$(site_letters) || exit 2
N=${#LETTERS}
STORE_LETTERS=$(sed 's/./& /g' <<<"$LETTERS")        # "a b c ..." for the loops below
STORE_NAMES=$(sed 's/./store-& /g' <<<"$LETTERS")     # "store-a store-b ..."
mkdir -p "$BARDO_RUN/nginx-tmp"
if [ -s "$BARDO_RUN/nginx.pid" ] && kill -0 "$(cat "$BARDO_RUN/nginx.pid")" 2>/dev/null; then
    echo "bardo is already up (nginx pid $(cat "$BARDO_RUN/nginx.pid")); 'make down' first" >&2
    exit 1
fi

if [ "${BARDO_CGROUPS:-0}" = 1 ]; then
    source "$(dirname "$0")/cgroup.sh"
    # shellcheck disable=SC2086
    cg_setup nginx api-1 api-2 $STORE_NAMES && echo "cgroups: each process under conf/limits.env in $(cg_dir cpu)" || BARDO_CGROUPS=0
    [ "$BARDO_CGROUPS" = 1 ] && [ "$N" -gt 3 ] &&
        echo "cgroups: the $((N - 1)) replicas each get REPLICA_* limits: beyond the Rinha's budget (conf/limits.env counts two)"
fi

start() { # name, command... (kept in NAME.cmd: scripts/restart.sh reruns it)
    local name=$1; shift
    [ "${BARDO_CGROUPS:-0}" = 1 ] && set -- "$ROOT/scripts/cgroup.sh" exec "$name" "$@"
    printf '%q ' "$@" >"$BARDO_RUN/$name.cmd"
    setsid "$@" >"$BARDO_RUN/$name.log" 2>&1 < /dev/null &
    echo $! >"$BARDO_RUN/$name.pid"
}

fail() { echo "up: $*; see $BARDO_RUN/*.log" >&2; "$ROOT/scripts/down.sh" >/dev/null; exit 1; }

# The stores' credentials (docs/SECURITY.md): the caller's file
# (BARDO_CREDENTIALS_FILE), or the run folder's, made fresh (0600) the
# first time: one random password each for the users api, replica and
# admin. scripts/restart.sh, promote.sh and the tests read it from there.
# An old BARDO_SECRET becomes the password of all three.
CREDS=${BARDO_CREDENTIALS_FILE:-$BARDO_RUN/credentials}
if [ -n "${BARDO_SECRET:-}" ] && [ -z "${BARDO_CREDENTIALS_FILE:-}" ]; then
    (umask 077; printf 'api %s\nreplica %s\nadmin %s\n' "$BARDO_SECRET" "$BARDO_SECRET" "$BARDO_SECRET" >"$CREDS")
elif [ ! -s "$CREDS" ]; then
    [ -z "${BARDO_CREDENTIALS_FILE:-}" ] || fail "no credentials in $CREDS"
    pw() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    (umask 077; printf 'api %s\nreplica %s\nadmin %s\n' "$(pw)" "$(pw)" "$(pw)" >"$CREDS")
fi
unset BARDO_SECRET
[ "$CREDS" = "$BARDO_RUN/credentials" ] || ln -sfn "$CREDS" "$BARDO_RUN/credentials"
export BARDO_CREDENTIALS_FILE=$CREDS

# Where each store listens (STORE_X), and how a process is put in its site.
SITES_SH="$ROOT/scripts/sites.sh"
if BARDO_SITES_ID=${BARDO_SITES_ID:-} "$SITES_SH" up "$N" >"$BARDO_RUN/sites.log" 2>&1; then
    for s in $STORE_LETTERS; do declare "STORE_${s^^}=$("$SITES_SH" addr "$s"):6380"; done
    in_site() { SITE_CMD=("$SITES_SH" exec "$1"); } # the words that run a command in site $1
    echo "sites: store-a in site a, replicas in $(echo "${LETTERS:1}" | sed 's/./&, /g; s/, $//') (≥1 ms apart); api-1, api-2, nginx on this host"
else
    [ $? -eq 3 ] || fail "sites.sh up failed"
    for s in $STORE_LETTERS; do declare "STORE_${s^^}=unix:$BARDO_RUN/store-$s.sock"; done
    in_site() { SITE_CMD=(); }
    echo "sites: not possible here ($(tail -1 "$BARDO_RUN/sites.log")); all $N stores on this host, no distance"
fi
store_addr() { local v="STORE_${1^^}"; echo "${!v}"; } # letter -> its store's address
PEERS=$(for s in $STORE_LETTERS; do store_addr "$s"; done | paste -sd,)
echo "$PEERS" >"$BARDO_RUN/stores"

# TLS on every TCP link (API -> store, replica -> primary, ROLE polls):
# a fresh CA in $TLS_DIR for this run, a certificate per process naming
# its address, and one for the admin (redis-cli, promote.sh, the tests).
# Unix sockets never leave the host and stay plaintext; BARDO_TLS=0 turns
# it off (bench/tls_bench.sh measures the difference).
rm -rf "$TLS_DIR"
tls_args() { :; }
if [[ "$STORE_A" != unix:* ]] && [ "${BARDO_TLS:-1}" = 1 ]; then
    mapfile -t CERT_NAMES < <(for s in $STORE_LETTERS; do a=$(store_addr "$s"); echo "store-$s=${a%:*}"; done)
    "$ROOT/scripts/certs.sh" "$TLS_DIR" "${CERT_NAMES[@]}" api-1 api-2 admin || fail "scripts/certs.sh failed"
    tls_args() { printf '%s\n' --tls-ca "$TLS_DIR/ca.crt" --tls-cert "$TLS_DIR/$1.crt" --tls-key "$TLS_DIR/$1.key"; }
    echo "tls: every link between sites is TLS 1.3, certificates in $TLS_DIR"
fi

# A store is up when it answers PING as the admin user (before AUTH it
# answers nothing but AUTH). The password goes through the environment
# (REDISCLI_AUTH), never the command line, which ps shows.
ADMIN_PW=$(awk '$1 == "admin" { print $2 }' "$CREDS")
store_ok() { # addr: answers PING
    mapfile -t args < <(rcli_args "$1")
    REDISCLI_AUTH=$ADMIN_PW redis-cli --no-auth-warning --user admin "${args[@]}" PING 2>/dev/null | grep -qx PONG
}

for s in $STORE_LETTERS; do
    role=replica; [ $s = a ] && role=primary
    in_site "$s"
    mapfile -t TLS_ARGS < <(tls_args "store-$s")
    start "store-$s" ${SITE_CMD[@]+"${SITE_CMD[@]}"} "$BARDO_BIN/bardo-store" --listen "$(store_addr "$s")" \
        --name "store-$s" --site "site-$s" --role $role --peers "$PEERS" \
        ${BARDO_MIN_REPLICAS:+--min-replicas "$BARDO_MIN_REPLICAS"} ${TLS_ARGS[@]+"${TLS_ARGS[@]}"} \
        ${BARDO_DATA_DIR:+--data-dir "$BARDO_DATA_DIR/store-$s"} ${BARDO_STORE_ARGS:-}
done
for s in $STORE_LETTERS; do
    for _ in $(seq 100); do store_ok "$(store_addr "$s")" && break; sleep 0.05; done
    store_ok "$(store_addr "$s")" || fail "store-$s did not start"
done
# K as the primary derived it (its "listening ... (K=n)" line)
K=$(sed -n 's/.*listening on .*(K=\([0-9]*\)[,)].*/\1/p' "$BARDO_RUN/store-a.log" | head -1)
for i in 1 2; do
    addr_var="API${i}_ADDR"
    mapfile -t TLS_ARGS < <(tls_args "api-$i")
    start "api-$i" "$BARDO_BIN/bardo-api" --name "api-$i" --listen "${!addr_var}" \
        --store "$PEERS" ${TLS_ARGS[@]+"${TLS_ARGS[@]}"} ${BARDO_API_ARGS:-}
done

user_line=""; [ "$(id -u)" -eq 0 ] && user_line="user root;"
sed -e "s|@RUN@|$BARDO_RUN|g" -e "s|@PORT@|$BARDO_PORT|g" -e "s|@USER@|$user_line|" \
    -e "s|@API1@|$API1_ADDR|" -e "s|@API2@|$API2_ADDR|" \
    "$ROOT/conf/nginx${BARDO_FRONT:+-$BARDO_FRONT}.conf.in" >"$BARDO_RUN/nginx.conf"
"$BARDO_NGINX" -t -q -p "$BARDO_RUN" -c "$BARDO_RUN/nginx.conf" -e "$BARDO_RUN/nginx-error.log"
start nginx "$BARDO_NGINX" -p "$BARDO_RUN" -c "$BARDO_RUN/nginx.conf" -e "$BARDO_RUN/nginx-error.log" -g "daemon off;"

# Ready when both APIs have found the primary (their /health says "ok",
# not "degraded": a store node answers but no primary yet).
health_ok() { curl -fsS "$@" 2>/dev/null | grep -q '"status":"ok"'; }
for _ in $(seq 200); do
    if health_ok --unix-socket "$BARDO_RUN/api-1.sock" http://x/health &&
       health_ok --unix-socket "$BARDO_RUN/api-2.sock" http://x/health &&
       health_ok "http://127.0.0.1:$BARDO_PORT/health"; then
        echo "bardo is up on :$BARDO_PORT ($N stores, K=$K; logs and pids in $BARDO_RUN)"
        exit 0
    fi
    sleep 0.05
done
fail "bardo did not answer on :$BARDO_PORT"
