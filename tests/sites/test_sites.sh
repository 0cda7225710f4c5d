#!/usr/bin/env bash
# scripts/sites.sh end to end (docs/SITES.md): sites come up, a round trip
# between two sites is >= 1 ms while inside a site and root -> site stay
# fast, TCP works across sites, two runs side by side do not clash, the
# delayer lets packets through when it stops, and `down` leaves nothing
# behind; then `SITES=5 scripts/up.sh` brings up five stores, one in each
# of five sites (and five on this host with BARDO_SITES=0), a POST and a
# GET work, and scripts/down.sh stops them all (test_up_five); an even
# SITES is refused. Traffic goes only to the namespaces this test makes. About 20 s;
# every wait is bounded. Ends with "N passed, N failed" (", 1 skipped" and
# exit 0 where sites are impossible: not root, no namespaces).
#   BARDO_BIN  where bardo-netdelay is (build/release/bin; built if missing)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SITES=$ROOT/scripts/sites.sh
export BARDO_BIN=${BARDO_BIN:-$ROOT/build/release/bin}
export BARDO_RUN=${TMPDIR:-/tmp}/bardo-sites-test.$$
ID1=t$(printf '%05d' $(($$ % 100000)))   # run ids unique to this test run
ID2=u$(printf '%05d' $(($$ % 100000)))
PY=/usr/bin/python3                     # not a shim: `exec` keeps its PID
passed=0; failed=0; server_pid=""

ok() { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; }
check() { # description, command...
    local what=$1; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
quiet() { "$@" >/dev/null; }
s1() { BARDO_SITES_ID=$ID1 "$SITES" "$@"; }
s2() { BARDO_SITES_ID=$ID2 "$SITES" "$@"; }

cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    [ -d "${UP_RUN:-}" ] && BARDO_RUN=$UP_RUN "$ROOT/scripts/down.sh" >/dev/null 2>&1
    s1 down >/dev/null 2>&1; s2 down >/dev/null 2>&1
    rm -rf "$BARDO_RUN"
}
trap cleanup EXIT

prepare() {
    if ! command -v ping >/dev/null && [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends iputils-ping >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping >/dev/null; }
    fi
    if [ ! -x "$BARDO_BIN/bardo-store" ] && [ "$BARDO_BIN" = "$ROOT/build/release/bin" ]; then
        make -s -C "$ROOT" -j2 build VARIANT=release >/dev/null
    fi
    mkdir -p "$BARDO_RUN"
}

# median RTT in ms of 20 pings: run (s1|s2), from (a|b|c|root), address
median_rtt() {
    local run=$1 from=$2 dst=$3
    local cmd=(ping -n -c 20 -i 0.05 -W 1 "$dst")
    [ "$from" = root ] || cmd=("$run" exec "$from" "${cmd[@]}")
    "${cmd[@]}" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g |
        awk '{v[NR] = $1} END { if (NR < 15) print "nan"; else print v[int((NR + 1) / 2)] }'
}
# true if $1 (ms) compares to $3 as $2 says: ge | lt
cmp_ms() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { if (a == "nan") exit 1; exit !((op == "ge") ? a >= b : a < b) }'; }

test_fallback() {
    local rc
    BARDO_SITES=0 s1 up >/dev/null 2>"$BARDO_RUN/fallback.err"; rc=$?
    check "BARDO_SITES=0: up exits 3 and says so" \
        test $rc -eq 3 -a -n "$(grep 'no sites here' "$BARDO_RUN/fallback.err")"
    if command -v setpriv >/dev/null; then
        # A copy in a world-readable folder: the clone may live where uid
        # 65534 cannot reach (a 0700 home), which would test the folder's
        # mode (exit 126), not sites.sh's refusal.
        local copy; copy=$(mktemp -d "${TMPDIR:-/tmp}/bardo-sites-nobody.XXXXXX")
        cp "$SITES" "$ROOT/scripts/env.sh" "$copy/" && chmod 755 "$copy" && chmod 644 "$copy/env.sh"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$copy/sites.sh" up >/dev/null 2>"$copy/err"; rc=$?
        check "not root: up exits 3 and says why" test $rc -eq 3 -a -n "$(grep 'no sites here' "$copy/err")"
        rm -rf "$copy"
    else
        echo "      (setpriv missing: the not-root refusal is not checked)"
    fi
}

# Packets site $2 of run $1 has sent through its delayer so far.
delayed() { ip netns exec "$($1 ns "$2")" iptables -t mangle -L BARDO_DELAY -v -x -n | awk '/NFQUEUE/ {print $1}'; }

# Times have a floor (the delay) but no ceiling on a busy machine, so
# "not delayed" is checked on the delayers' counters, and times only
# loosely (< 1 ms).
test_rtts() {
    local a=$1 b=$2 c=$3 m a0 b0
    a0=$(delayed s1 a); b0=$(delayed s1 b)
    m=$(median_rtt s1 a "$b"); echo "      site-a -> site-b median RTT $m ms"
    check "site-a -> site-b round trip >= 1.0 ms ($m)" cmp_ms "$m" ge 1.0
    check "both ways went through a delayer" test $(($(delayed s1 a) - a0)) -ge 20 -a $(($(delayed s1 b) - b0)) -ge 20
    m=$(median_rtt s1 c "$b"); echo "      site-c -> site-b median RTT $m ms"
    check "site-c -> site-b round trip >= 1.0 ms ($m)" cmp_ms "$m" ge 1.0
    a0=$(delayed s1 a)
    m=$(median_rtt s1 a "$a"); echo "      inside site-a median RTT $m ms"
    check "inside site-a round trip < 1.0 ms ($m)" cmp_ms "$m" lt 1.0
    m=$(median_rtt s1 root "$a"); echo "      root -> site-a median RTT $m ms"
    check "root -> site-a round trip < 1.0 ms ($m)" cmp_ms "$m" lt 1.0
    m=$(median_rtt s1 a "$(s1 addr root)")
    check "site-a -> root round trip < 1.0 ms ($m)" cmp_ms "$m" lt 1.0
    check "inside site-a and to/from root: not delayed" test "$(delayed s1 a)" -eq "$a0"
}

# An HTTP server in site-b; curl from site-a (delayed) and from site-b and
# the root namespace (not delayed).
test_tcp() {
    local b=$1 web=$BARDO_RUN/web t n0
    mkdir -p "$web" && echo "hello from site-b" >"$web/hello.txt"
    (cd "$web" && BARDO_SITES_ID=$ID1 exec "$SITES" exec b "$PY" -m http.server 8080 --bind "$b") \
        >"$BARDO_RUN/http.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        curl -fsS -m 1 -o /dev/null "http://$b:8080/hello.txt" 2>/dev/null && break; sleep 0.05
    done
    check "TCP site-a -> site-b" test "$(s1 exec a curl -fsS -m 5 "http://$b:8080/hello.txt")" = "hello from site-b"
    t=$(s1 exec a curl -fsS -m 5 -o /dev/null -w '%{time_connect}' "http://$b:8080/hello.txt") || t=nan
    check "TCP handshake site-a -> site-b takes >= 1 ms (${t}s)" cmp_ms "$t" ge 0.001
    check "TCP root -> site-b" test "$(curl -fsS -m 5 "http://$b:8080/hello.txt")" = "hello from site-b"
    n0=$(delayed s1 b)
    check "TCP inside site-b" test "$(s1 exec b curl -fsS -m 5 "http://$b:8080/hello.txt")" = "hello from site-b"
    check "TCP inside site-b and root <-> site-b: not delayed" test "$(delayed s1 b)" -eq "$n0"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
}

# A second run side by side: its own /24, both work, its delayer stops
# cleanly (held packets accepted, fail-open afterwards), its down spares run 1.
test_second_run() {
    local net1 net2 pid m
    check "second run comes up beside the first" quiet s2 up 2
    net1=$(s1 addr root); net2=$(s2 addr root)
    check "the two runs got different networks ($net1, $net2)" test "${net1%.*}" != "${net2%.*}"
    m=$(median_rtt s2 a "$(s2 addr b)")
    check "second run: site-a -> site-b >= 1.0 ms ($m)" cmp_ms "$m" ge 1.0
    pid=$(cat "$BARDO_RUN/sites-$ID2/netdelay-a.pid")
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    check "delayer exits on SIGTERM and reports" grep -q 'packets delayed' "$BARDO_RUN/sites-$ID2/netdelay-a.log"
    m=$(median_rtt s2 a "$(s2 addr b)")
    check "no delayer: packets still pass (fail-open, $m ms)" cmp_ms "$m" lt 100
    s2 down >/dev/null
    check "second run down, first still up" quiet s1 status
}

nothing_left() { # id, pids...
    local id=$1 p; shift
    ip netns list | grep -q "^bardo-$id-" && { echo "      namespaces left"; return 1; }
    ip -o link show | grep -q ": bs${id}[-:@]" && { echo "      links left"; return 1; }
    iptables -S FORWARD 2>/dev/null | grep -q "bardo-sites-$id" && { echo "      rules left"; return 1; }
    for p in "$@"; do kill -0 "$p" 2>/dev/null && { echo "      delayer $p left"; return 1; }; done
    [ ! -e "$BARDO_RUN/sites-$id" ]
}

# --- SITES=5 scripts/up.sh: the whole system with five store sites --------
# run folder and port of the five-site system (its sites' id: a hash of it)
UP_RUN=$BARDO_RUN/up5
UP_PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
up_env() { env BARDO_RUN="$UP_RUN" BARDO_PORT="$UP_PORT" "$@"; }

store_role() { # addr: its ROLE's first word, as the admin
    local pw args
    pw=$(awk '$1 == "admin" { print $2 }' "$UP_RUN/credentials")
    mapfile -t args < <(BARDO_RUN=$UP_RUN bash -c 'source "$0"; rcli_args "$1"' "$ROOT/scripts/env.sh" "$1")
    REDISCLI_AUTH=$pw timeout 3 redis-cli --no-auth-warning --user admin "${args[@]}" "${@:2}" 2>/dev/null
}

roles_ok() { # primary replica replica replica replica, in run/stores' order
    local a got=""
    for a in $(tr ',' ' ' <"$UP_RUN/stores"); do got+="$(store_role "$a" ROLE | cut -d' ' -f1) "; done
    echo "      ROLE: $got"
    [ "$got" = "primary replica replica replica replica " ]
}

held_by_all() { # id: every store holds that person (PGET), within 3 s
    local a n
    for _ in $(seq 30); do
        n=0
        for a in $(tr ',' ' ' <"$UP_RUN/stores"); do
            [ -n "$(store_role "$a" PGET "$1")" ] && n=$((n + 1))
        done
        [ $n -eq 5 ] && return 0
        sleep 0.1
    done
    echo "      $n of 5 stores hold $1"; return 1
}

in_own_sites() { # each store-X's pid in its own namespace, site X
    local l ns
    for l in a b c d e; do
        ns=$(ip netns identify "$(cat "$UP_RUN/store-$l.pid")" 2>/dev/null)
        [ "$ns" = "$(up_env "$SITES" ns "$l")" ] || { echo "      store-$l in '$ns'"; return 1; }
    done
}

post_get() { # a create (201 + Location), then its GET (200 naming it)
    local loc
    loc=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %header{location}' -X POST \
        -H 'Content-Type: application/json' \
        -d '{"apelido":"cinco-'$$'-'"$1"'","nome":"Cinco","nascimento":"2000-01-01","stack":null}' \
        "http://127.0.0.1:$UP_PORT/pessoas")
    [ "${loc%% *}" = 201 ] || { echo "      POST: $loc"; return 1; }
    curl -fsS -m 10 "http://127.0.0.1:$UP_PORT${loc#* }" | grep -q "cinco-$$-$1" || return 1
    CREATED=${loc##*/}
}

all_stopped() { # pids...: none alive
    local p
    for p in "$@"; do kill -0 "$p" 2>/dev/null && { echo "      pid $p alive"; return 1; }; done
    return 0
}

test_up_five() {
    local out pids id rc
    mkdir -p "$UP_RUN"
    out=$(up_env SITES=4 "$ROOT/scripts/up.sh" 2>&1); rc=$?
    check "SITES=4: up.sh refuses (exit 2, says why)" test $rc -eq 2 -a -n "$(grep 'must be odd' <<<"$out")" -a ! -e "$UP_RUN/nginx.pid"
    up_env SITES=5 "$ROOT/scripts/up.sh" >"$BARDO_RUN/up5.log" 2>&1; rc=$?
    check "SITES=5 up.sh: up, 5 stores, K=2" grep -q '(5 stores, K=2;' "$BARDO_RUN/up5.log" ||
        { sed 's/^/      /' "$BARDO_RUN/up5.log"; tail -5 "$UP_RUN"/store-*.log; }
    [ $rc -eq 0 ] || return
    check "five store addresses in run/stores" test "$(tr ',' '\n' <"$UP_RUN/stores" | sort -u | wc -l)" -eq 5
    check "each store in its own site" in_own_sites
    check "store-a primary, store-b .. store-e replicas" roles_ok
    check "POST 201 then GET 200 through nginx" post_get five
    check "the person is on all five stores" held_by_all "$CREATED"
    pids=$(cat "$UP_RUN"/*.pid)
    id=$(printf '%s' "$UP_RUN" | md5sum | cut -c1-6)
    check "down.sh" quiet up_env "$ROOT/scripts/down.sh"
    # shellcheck disable=SC2086
    check "down.sh stopped all 8 processes" all_stopped $pids
    check "down.sh: nothing left of the five sites" nothing_left "$id"
}

test_up_five_here() { # BARDO_SITES=0: five stores on this host (Unix sockets)
    local pids
    up_env BARDO_SITES=0 SITES=5 "$ROOT/scripts/up.sh" >"$BARDO_RUN/up5-here.log" 2>&1
    check "SITES=5 BARDO_SITES=0: five stores on this host" \
        test "$(tr ',' '\n' <"$UP_RUN/stores" | grep -c '^unix:')" -eq 5
    check "BARDO_SITES=0: POST 201 then GET 200" post_get here
    check "BARDO_SITES=0: the person is on all five stores" held_by_all "$CREATED"
    pids=$(cat "$UP_RUN"/*.pid)
    up_env "$ROOT/scripts/down.sh" >/dev/null
    # shellcheck disable=SC2086
    check "BARDO_SITES=0: down.sh stopped them all" all_stopped $pids
}

main() {
    local rc a b c pids
    prepare
    s1 up >"$BARDO_RUN/up.log" 2>&1; rc=$?
    if [ $rc -eq 3 ]; then
        sed 's/^/      /' "$BARDO_RUN/up.log"
        echo "0 passed, 0 failed, 1 skipped"; exit 0
    fi
    check "sites.sh up (3 sites)" test $rc -eq 0 || { cat "$BARDO_RUN/up.log"; }
    [ $rc -eq 0 ] || { echo "$passed passed, $failed failed"; exit 1; }
    a=$(s1 addr a); b=$(s1 addr b); c=$(s1 addr c)
    check "three distinct addresses ($a $b $c)" test "$a" != "$b" -a "$b" != "$c" -a -n "$a"
    # shellcheck disable=SC2016
    check "exec names the site (BARDO_SITE)" test "$(s1 exec b sh -c 'echo $BARDO_SITE')" = site-b
    test_rtts "$a" "$b" "$c"
    test_tcp "$b"
    test_second_run
    pids=$(cat "$BARDO_RUN/sites-$ID1"/netdelay-*.pid)
    check "sites.sh down" quiet s1 down
    # shellcheck disable=SC2086
    check "nothing left: namespaces, links, rules, delayers, state" nothing_left "$ID1" $pids
    check "nothing left of the second run" nothing_left "$ID2"
    test_up_five
    test_up_five_here
    test_fallback
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

main
