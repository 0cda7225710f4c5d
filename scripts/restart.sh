#!/usr/bin/env bash
# Starts one process of a running bardo again, exactly as scripts/up.sh
# first started it (its NAME.cmd), e.g. a store replica after a kill -9:
#   scripts/restart.sh store-b
set -euo pipefail
source "$(dirname "$0")/env.sh"
name=${1:?usage: restart.sh NAME (store-a .. store-e with SITES=5, api-1, api-2)}
cmd="$BARDO_RUN/$name.cmd"
[ -s "$cmd" ] || { echo "restart: no $cmd (was it started by up.sh?)" >&2; exit 1; }
pid=$(cat "$BARDO_RUN/$name.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "restart: $name is still running (pid $pid)" >&2; exit 1
fi
# the credentials up.sh used (a file named in the environment, never argv)
[ -e "$BARDO_RUN/credentials" ] || { echo "restart: no $BARDO_RUN/credentials" >&2; exit 1; }
unset BARDO_SECRET
BARDO_CREDENTIALS_FILE=$(readlink -f "$BARDO_RUN/credentials") eval "setsid $(cat "$cmd") >>\"$BARDO_RUN/$name.log\" 2>&1 </dev/null &"
echo $! >"$BARDO_RUN/$name.pid"
echo "restarted $name (pid $!)"
