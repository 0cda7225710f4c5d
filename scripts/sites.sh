#!/usr/bin/env bash
# Sites: network namespaces standing for data centres ~100 km apart
# (docs/SITES.md). Root only.
#
#   sites.sh up [N]          N sites (default 3): site-a, site-b, site-c
#   sites.sh down            remove everything `up` made
#   sites.sh exec SITE CMD.. run CMD inside SITE (same PID: `exec`s it)
#   sites.sh addr SITE       print SITE's IPv4 address
#   sites.sh ns SITE         print SITE's namespace name
#   sites.sh status          the sites that are up, or exit 1
#   sites.sh cut SITE        cut SITE off (its link down), for fault tests
#   sites.sh restore SITE    bring SITE's link back
#   sites.sh block S1 S2     drop all traffic between sites S1 and S2 (both
#                            ways; each keeps its other links), fault tests
#   sites.sh unblock S1 S2   remove exactly the rules `block S1 S2` added
#   (SITE is "a" or "site-a"; "root" for addr means the root namespace)
#
# Layout: each site is a namespace bardo-<id>-<letter> with lo and one veth
# ("eth0"; bs<id>-<letter> on the root side) into a bridge bs<id> in the
# root namespace. One /24 per run, 10.77.<k>.0/24 with the first free k (or
# BARDO_SITES_NET=10.77.<k>): the bridge (root namespace) is .1, site-a
# .11, site-b .12, ... Each site sends the packets it addresses to another
# site through an NFQUEUE queue held by its own bardo-netdelay, which adds
# BARDO_SITES_DELAY_US (500) microseconds: one delay each way, so a round
# trip between two sites is >= 1 ms. Traffic inside a site (lo) and between a site and the root
# namespace is not delayed.
#
# Run id: BARDO_SITES_ID ([a-z0-9], at most 8), by default a hash of
# $BARDO_RUN, so two checkouts or CI jobs never share names. State (the
# /24, delayer PIDs and logs) lives in $BARDO_RUN/sites-<id>/.
#
# Exit codes: 0 ok; 1 failure; 2 usage; 3 sites impossible here (not root,
# no `ip netns`, no iptables/NFQUEUE, or BARDO_SITES=0): callers then run
# every process on 127.0.0.1 in the root namespace and say so.
set -uo pipefail
source "$(dirname "$0")/env.sh"

EXIT_NO_SITES=3
SITES_ID=${BARDO_SITES_ID:-$(printf '%s' "$BARDO_RUN" | md5sum | cut -c1-6)}
DELAY_US=${BARDO_SITES_DELAY_US:-500}
NETDELAY=${BARDO_NETDELAY:-$BARDO_BIN/bardo-netdelay}
STATE=$BARDO_RUN/sites-$SITES_ID
BRIDGE=bs$SITES_ID
TAG=bardo-sites-$SITES_ID          # iptables comment on our root-namespace rule
LOCK=/run/lock/bardo-sites.lock    # serialises the choice of a free /24
LETTERS=abcdefghijklmnopqrstuvwxyz

die() { echo "sites: $*" >&2; exit 1; }
nosites() { echo "sites: no sites here: $*; run every process on 127.0.0.1 instead" >&2; exit $EXIT_NO_SITES; }

[[ $SITES_ID =~ ^[a-z0-9]{1,8}$ ]] || { echo "sites: BARDO_SITES_ID must be 1-8 of [a-z0-9]" >&2; exit 2; }

# --- names ------------------------------------------------------------------
letter() { # "a" | "site-a" -> a
    local s=${1#site-}
    [[ ${#s} -eq 1 && $LETTERS == *"$s"* ]] || { echo "sites: no such site '$1'" >&2; exit 2; }
    echo "$s"
}
index_of() { local p=${LETTERS%%"$1"*}; echo ${#p}; }
ns_name() { echo "bardo-$SITES_ID-$1"; }
veth_name() { echo "bs$SITES_ID-$1"; }
state_get() { [ -s "$STATE/env" ] && sed -n "s/^$1=//p" "$STATE/env"; }
site_addr() { echo "$(state_get NET).$((11 + $(index_of "$1")))"; }
is_up() { [ -s "$STATE/env" ] && ip netns list 2>/dev/null | grep -qw "$(ns_name a)"; }
leftovers() { ip link show "$BRIDGE" >/dev/null 2>&1 || ip netns list 2>/dev/null | grep -q "^bardo-$SITES_ID-"; }
need_site() { # letter: dies unless that site of this run is up
    is_up || die "sites $SITES_ID are not up"
    [ "$(index_of "$1")" -lt "$(state_get N)" ] || die "site-$1 is not up"
}

# --- can we? ------------------------------------------------------------------
check_possible() {
    [ "${BARDO_SITES:-1}" != 0 ] || nosites "disabled by BARDO_SITES=0"
    [ "$(id -u)" -eq 0 ] || nosites "namespaces need root (uid $(id -u))"
    command -v ip >/dev/null || nosites "no 'ip' command (iproute2)"
    command -v iptables >/dev/null || nosites "no iptables (scripts/deps.sh installs it)"
    [ -x "$NETDELAY" ] || die "no $NETDELAY: build it first (make build)"
    local probe="bardo-$SITES_ID-probe"
    ip netns add "$probe" 2>/dev/null || nosites "'ip netns add' fails here"
    local ok=1
    ip netns exec "$probe" iptables -t mangle -A POSTROUTING -d 192.0.2.1 \
        -j NFQUEUE --queue-num 0 --queue-bypass 2>/dev/null || ok=0
    ip netns del "$probe"
    [ $ok -eq 1 ] || nosites "iptables cannot use NFQUEUE in a namespace"
}

# The first 10.77.<k>.0/24 that no interface or route here uses.
free_net() {
    local k used
    used=$(ip -4 -o addr show; ip -4 route show table all)
    for k in $(seq 0 255); do
        grep -q "10\.77\.$k\." <<<"$used" || { echo "10.77.$k"; return 0; }
    done
    return 1
}

# --- up -------------------------------------------------------------------
make_bridge() { # net
    ip link add "$BRIDGE" type bridge || return 1
    # Our bridge must not pass through the host's firewall (br_netfilter).
    ip link set "$BRIDGE" type bridge nf_call_iptables 0 2>/dev/null
    ip addr add "$1.1/24" dev "$BRIDGE" && ip link set "$BRIDGE" up
}

# br_netfilter may still send bridged packets to the root FORWARD chain
# (global sysctl): let ours through whatever its policy, with a tagged rule.
allow_forward() {
    [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] || return 0
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$TAG" -j ACCEPT
}

make_site() { # letter net
    local l=$1 net=$2 ns veth addr
    ns=$(ns_name "$l"); veth=$(veth_name "$l"); addr=$(site_addr "$l")
    ip netns add "$ns" || return 1
    ip link add "$veth" type veth peer name eth0 netns "$ns" || return 1
    ip link set "$veth" master "$BRIDGE" up || return 1
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
    delay_site "$l" "$net"
}

# Packets leaving site $1 for another site go to its own delayer (queue 0 of
# its namespace); packets for the root namespace (.1) leave at once.
delay_site() { # letter net
    local l=$1 net=$2 ns
    ns=$(ns_name "$l")
    start_delayer "$l" || return 1
    ip netns exec "$ns" sh -e -c "
        iptables -t mangle -N BARDO_DELAY
        iptables -t mangle -A BARDO_DELAY -d $net.1 -j RETURN
        iptables -t mangle -A BARDO_DELAY -d $net.0/24 -j NFQUEUE --queue-num 0 --queue-bypass
        iptables -t mangle -A POSTROUTING -o eth0 -j BARDO_DELAY"
}

start_delayer() { # letter
    local l=$1 ns pid
    ns=$(ns_name "$l")
    ip netns exec "$ns" setsid "$NETDELAY" --queue 0 --delay-us "$DELAY_US" \
        >"$STATE/netdelay-$l.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$STATE/netdelay-$l.pid"
    for _ in $(seq 100); do # bound: its queue shows up in its namespace
        ip netns exec "$ns" awk '$1 == 0 { f = 1 } END { exit !f }' \
            /proc/net/netfilter/nfnetlink_queue 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    echo "sites: the delayer of site-$l did not start:" >&2
    cat "$STATE/netdelay-$l.log" >&2
    return 1
}

cmd_up() { # [N]
    local n=${1:-3} net l i
    if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 26 ]; then
        echo "sites: N must be 1-26" >&2; exit 2
    fi
    if is_up; then die "sites $SITES_ID are already up ($STATE); 'sites.sh down' first"; fi
    check_possible
    leftovers && cmd_down >/dev/null 2>&1   # a crashed run with our id
    mkdir -p "$STATE" "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    flock -w 30 9 || die "cannot lock $LOCK"
    net=${BARDO_SITES_NET:-$(free_net)} || die "no free 10.77.<k>.0/24 left"
    printf 'ID=%s\nNET=%s\nN=%s\nDELAY_US=%s\n' "$SITES_ID" "$net" "$n" "$DELAY_US" >"$STATE/env"
    if ! make_bridge "$net"; then cmd_down >/dev/null; die "cannot make bridge $BRIDGE"; fi
    exec 9>&-   # the /24 is ours now
    allow_forward || { cmd_down >/dev/null; die "cannot add the FORWARD rule"; }
    for ((i = 0; i < n; i++)); do
        l=${LETTERS:i:1}
        make_site "$l" "$net" || { cmd_down >/dev/null; die "cannot make site-$l"; }
    done
    echo "sites: $n up ($(for ((i = 0; i < n; i++)); do l=${LETTERS:i:1}; printf 'site-%s %s  ' "$l" "$(site_addr "$l")"; done)root $net.1), ${DELAY_US} us each way between sites"
}

# --- down -----------------------------------------------------------------
stop_pids() { # pid... : TERM, then KILL after 3 s
    local p alive
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null
    for _ in $(seq 60); do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && return 0
        sleep 0.05
    done
    kill -KILL "$@" 2>/dev/null
}

cmd_down() {
    local f ns pids=() others rule
    for f in "$STATE"/netdelay-*.pid; do
        [ -s "$f" ] && pids+=("$(cat "$f")")
    done
    stop_pids "${pids[@]}"
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^bardo-$SITES_ID-"); do
        # Anything else still running in our namespaces (stores left by a
        # caller) would keep the namespace and its veth alive.
        others=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [ -n "$others" ] && echo "sites: stopping what still runs in $ns: $others" >&2
        # shellcheck disable=SC2086
        stop_pids $others
        ip netns del "$ns"
    done
    for f in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^bs$SITES_ID(-[a-z])?$"); do
        ip link del "$f" 2>/dev/null
    done
    while rule=$(iptables -S FORWARD 2>/dev/null | grep -m1 -- "--comment $TAG"); do
        # shellcheck disable=SC2086
        iptables ${rule/-A /-D } || break
    done
    rm -rf "$STATE"
    echo "sites: $SITES_ID down"
}

# --- the rest -----------------------------------------------------------------
cmd_exec() { # site cmd...
    local l
    l=$(letter "$1") || exit 2; shift
    need_site "$l"
    [ $# -gt 0 ] || { echo "usage: sites.sh exec SITE CMD..." >&2; exit 2; }
    export BARDO_SITE=${BARDO_SITE:-site-$l}
    exec ip netns exec "$(ns_name "$l")" "$@"
}

cmd_addr() {
    if [ "$1" = root ]; then
        is_up || die "sites $SITES_ID are not up"
        echo "$(state_get NET).1"; return
    fi
    local l
    l=$(letter "$1") || exit 2
    need_site "$l"
    site_addr "$l"
}

cmd_link() { # site up|down: restore or cut the site's only link (fault tests)
    local l
    l=$(letter "$1") || exit 2
    need_site "$l"
    ip link set "$(veth_name "$l")" "$2"
}

# block/unblock: in each of the two namespaces, DROP rules on the peer's
# address (INPUT and OUTPUT, so nothing crosses either way; connections
# already open stall, as on a real partition), tagged with a comment naming
# the pair so `unblock` and `down` (which deletes the namespaces) remove
# exactly those. Blocking twice adds nothing.
BLOCK_TAG=bardo-block-$SITES_ID
chain_rule() { # action(-C|-I|-D) ns chain peer-addr tag
    local match=-s; [ "$3" = OUTPUT ] && match=-d
    ip netns exec "$2" iptables "$1" "$3" "$match" "$4" -m comment --comment "$5" -j DROP 2>/dev/null
}
cmd_block() { # site1 site2 on|off
    local a b tag from to ns chain
    a=$(letter "$1") || exit 2; b=$(letter "$2") || exit 2
    [ "$a" != "$b" ] || { echo "sites: block needs two different sites" >&2; exit 2; }
    need_site "$a"; need_site "$b"
    tag="$BLOCK_TAG-$(printf '%s\n' "$a" "$b" | sort | tr -d '\n')"   # the pair, in order
    for from in "$a" "$b"; do
        to=$a; [ "$from" = "$a" ] && to=$b
        ns=$(ns_name "$from")
        for chain in INPUT OUTPUT; do
            if [ "$3" = on ]; then
                chain_rule -C "$ns" $chain "$(site_addr "$to")" "$tag" ||
                    chain_rule -I "$ns" $chain "$(site_addr "$to")" "$tag" ||
                    die "cannot block site-$from from site-$to"
            else
                while chain_rule -C "$ns" $chain "$(site_addr "$to")" "$tag"; do
                    chain_rule -D "$ns" $chain "$(site_addr "$to")" "$tag" || break
                done
            fi
        done
    done
}

cmd_status() {
    is_up || { echo "sites: $SITES_ID not up"; exit 1; }
    cat "$STATE/env"
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    exec) shift; [ $# -ge 1 ] || exit 2; cmd_exec "$@" ;;
    addr) [ $# -eq 2 ] || exit 2; cmd_addr "$2" ;;
    ns) [ $# -eq 2 ] || exit 2; ns_name "$(letter "$2")" ;;
    status) cmd_status ;;
    cut) [ $# -eq 2 ] || exit 2; cmd_link "$2" down ;;
    restore) [ $# -eq 2 ] || exit 2; cmd_link "$2" up ;;
    block) [ $# -eq 3 ] || exit 2; cmd_block "$2" "$3" on ;;
    unblock) [ $# -eq 3 ] || exit 2; cmd_block "$2" "$3" off ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
