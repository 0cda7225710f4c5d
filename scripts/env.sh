# Shared settings for the scripts that start and stop bardo (sourced).
# Override any of them from the environment:
#   BARDO_PORT  public port (9999)     BARDO_RUN   run folder (./run)
#   BARDO_BIN   programs' folder       BARDO_NGINX nginx binary
#   BARDO_API_ARGS extra arguments for both API instances
#   SITES       store sites (3): store-a, the primary, in site a and one
#               replica in each other site; an odd number from 3 to 7
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BARDO_PORT=${BARDO_PORT:-9999}
BARDO_RUN=${BARDO_RUN:-$ROOT/run}
BARDO_BIN=${BARDO_BIN:-$ROOT/build/release/bin}
BARDO_NGINX=${BARDO_NGINX:-/usr/sbin/nginx}
STORE_ADDR="unix:$BARDO_RUN/store.sock"
API1_ADDR="unix:$BARDO_RUN/api-1.sock"
API2_ADDR="unix:$BARDO_RUN/api-2.sock"
# TLS between sites (docs/SECURITY.md): up.sh makes $BARDO_RUN/tls when the
# stores listen on TCP, unless BARDO_TLS=0.
TLS_DIR="$BARDO_RUN/tls"

# The store sites' letters for SITES (default 3): "abc", "abcde", ... Odd,
# so that a majority outlives any site's loss; at most 7, as the stores and
# the APIs know at most 8 nodes (REPL_MAX_PEERS, DIR_MAX). Anything else:
# a message on stderr and status 2.
site_letters() {
    local n=${SITES:-3}
    if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 3 ] || [ "$n" -gt 7 ] || [ $((n % 2)) -eq 0 ]; then
        echo "SITES=$n: the number of store sites must be odd, from 3 to 7 (a majority" \
             "must outlive a site; the stores know at most 8 nodes)" >&2
        return 2
    fi
    echo "abcdefg" | cut -c1-"$n"
}

# redis-cli's arguments to reach store ADDR as the admin user: -s PATH or
# -h HOST -p PORT, plus the TLS flags and the admin's certificate when the
# links are encrypted. The password goes through REDISCLI_AUTH (never argv).
rcli_args() { # addr
    case $1 in
        unix:*) printf '%s
' -s "${1#unix:}" ;;
        *) printf '%s
' -h "${1%:*}" -p "${1##*:}"
           [ -s "$TLS_DIR/ca.crt" ] && printf '%s
' --tls --cacert "$TLS_DIR/ca.crt" \
               --cert "$TLS_DIR/admin.crt" --key "$TLS_DIR/admin.key" ;;
    esac
    return 0
}
