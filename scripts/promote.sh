#!/usr/bin/env bash
# A planned handover. Failover needs nobody: the stores elect a new primary
# when one dies (src/repl/election.h). This moves the primary on purpose
# (maintenance of its site): it asks every store for its ROLE and sends
# FAILOVER to the replica that holds the most (highest seq), or to ADDR;
# that node stands at once for the next epoch and wins only if its log is
# as up to date as a majority's, so nothing acknowledged is lost. A node
# whose ROLE says `syncing` (a full resync under way) is never chosen.
# The APIs follow within a poll (100 ms); the old primary steps down.
#   scripts/promote.sh            the most up-to-date replica
#   scripts/promote.sh ADDR       that store (host:port or unix:/path)
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -s "$BARDO_RUN/stores" ] || { echo "promote: no $BARDO_RUN/stores: is bardo up?" >&2; exit 1; }
# FAILOVER is the admin user's (docs/SECURITY.md); redis-cli takes the
# password from the environment, never from its command line (ps shows it).
export REDISCLI_AUTH
REDISCLI_AUTH=$(awk '$1 == "admin" { print $2 }' "$BARDO_RUN/credentials" 2>/dev/null || true)
[ -n "$REDISCLI_AUTH" ] || { echo "promote: no admin password in $BARDO_RUN/credentials" >&2; exit 1; }

rcli() { # addr args... (rcli_args: the address, and TLS when it is on)
    local a=$1 args; shift
    mapfile -t args < <(rcli_args "$a")
    timeout 3 redis-cli --no-auth-warning --user admin "${args[@]}" "$@"
}

target=${1:-}
if [ -z "$target" ]; then
    best=-1
    for a in $(tr ',' ' ' <"$BARDO_RUN/stores"); do
        role=$(rcli "$a" ROLE 2>/dev/null || true)
        # shellcheck disable=SC2086
        set -- $role
        if [ "${1:-}" = syncing ]; then # its data is not whole; its seq is its old one
            echo "promote: $a is in the middle of a full resync (seq $3): skipped"
            continue
        fi
        [ "${1:-}" = replica ] || continue
        echo "promote: $a is a replica at seq $3 (epoch $2)"
        if [ "$3" -gt "$best" ]; then best=$3; target=$a; fi
    done
fi
[ -n "$target" ] || { echo "promote: no reachable replica to promote" >&2; exit 1; }
out=$(rcli "$target" FAILOVER 2>&1)
echo "promote: $target: $out"
case $out in OK*) exit 0 ;; *) exit 1 ;; esac
