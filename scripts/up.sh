#!/usr/bin/env bash
# Starts the whole system in the background: the store, api-1, api-2 and
# nginx on $BARDO_PORT. Returns once the port answers /health with 200.
# PIDs and logs go to $BARDO_RUN; scripts/down.sh stops what this started.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$BARDO_RUN/nginx-tmp"
if [ -s "$BARDO_RUN/nginx.pid" ] && kill -0 "$(cat "$BARDO_RUN/nginx.pid")" 2>/dev/null; then
    echo "bardo is already up (nginx pid $(cat "$BARDO_RUN/nginx.pid")); 'make down' first" >&2
    exit 1
fi

start() { # name, command...
    local name=$1; shift
    setsid "$@" >"$BARDO_RUN/$name.log" 2>&1 < /dev/null &
    echo $! >"$BARDO_RUN/$name.pid"
}

wait_socket() { # path
    for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "timed out waiting for $1" >&2; return 1
}

start store "$BARDO_BIN/bardo-store" --listen "$STORE_ADDR"
wait_socket "$BARDO_RUN/store.sock"
start api-1 "$BARDO_BIN/bardo-api" --name api-1 --listen "$API1_ADDR" --store "$STORE_ADDR" ${BARDO_API_ARGS:-}
start api-2 "$BARDO_BIN/bardo-api" --name api-2 --listen "$API2_ADDR" --store "$STORE_ADDR" ${BARDO_API_ARGS:-}
wait_socket "$BARDO_RUN/api-1.sock"
wait_socket "$BARDO_RUN/api-2.sock"

user_line=""; [ "$(id -u)" -eq 0 ] && user_line="user root;"
sed -e "s|@RUN@|$BARDO_RUN|g" -e "s|@PORT@|$BARDO_PORT|g" -e "s|@USER@|$user_line|" \
    -e "s|@API1@|$API1_ADDR|" -e "s|@API2@|$API2_ADDR|" \
    "$ROOT/conf/nginx.conf.in" >"$BARDO_RUN/nginx.conf"
"$BARDO_NGINX" -t -q -p "$BARDO_RUN" -c "$BARDO_RUN/nginx.conf" -e "$BARDO_RUN/nginx-error.log"
start nginx "$BARDO_NGINX" -p "$BARDO_RUN" -c "$BARDO_RUN/nginx.conf" -e "$BARDO_RUN/nginx-error.log" -g "daemon off;"

for _ in $(seq 200); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$BARDO_PORT/health" 2>/dev/null; then
        echo "bardo is up on :$BARDO_PORT (logs and pids in $BARDO_RUN)"
        exit 0
    fi
    sleep 0.05
done
echo "bardo did not answer on :$BARDO_PORT; see $BARDO_RUN/*.log" >&2
"$(dirname "$0")/down.sh"
exit 1
