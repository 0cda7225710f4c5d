#!/usr/bin/env bash
# Replication and recovery at N people (default 1,000,000), each figure
# with how it was made. Asserts nothing. Part of `make bench`, or alone:
#   bench/repl_bench.sh [N]     DATA=generated|official|DIR (scripts/data.sh)
# 1. a primary in site a (K=0, data directory) filled with N people over
#    RESP (bench/store_fill.c): fill rate, memory per person (RSS)
# 2. SNAPSHOT of the whole state to the data directory: its time
# 3. a new replica in site b, ≥1 ms away: the full resync's time, memory
#    per person on the replica
# 4. kill -9 of the primary, restart: recovery time (snapshot + journal)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
B=build/release/bin
make -s -j"$(nproc)" build benches VARIANT=release >/dev/null
run=$(mktemp -d /tmp/bardo-replbench-XXXXXX); chmod 755 "$run"
# the stores' users (docs/SECURITY.md): a fresh file, 0600, read by the
# stores and store_fill through the environment; redis-cli is the admin
export BARDO_RUN=$run BARDO_CREDENTIALS_FILE=$run/credentials
pw() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
(umask 077; printf 'api %s\nreplica %s\nadmin %s\n' "$(pw)" "$(pw)" "$(pw)" >"$BARDO_CREDENTIALS_FILE")
REDISCLI_AUTH=$(awk '$1 == "admin" { print $2 }' "$BARDO_CREDENTIALS_FILE"); export REDISCLI_AUTH
SITES=scripts/sites.sh
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; sleep 0.3; "$SITES" down >/dev/null 2>&1 || true; rm -rf "$run"; }
trap cleanup EXIT

if "$SITES" up 2 >"$run/sites.log" 2>&1; then
    A=$("$SITES" addr a):6380; Bb=$("$SITES" addr b):6380
    IN_A=("$SITES" exec a); IN_B=("$SITES" exec b)   # exec: the PID is the store's
    echo "sites: primary in site a ($A), replica in site b ($Bb), ≥1 ms round trip"
else
    A=unix:$run/a.sock; Bb=unix:$run/b.sock
    IN_A=(); IN_B=()
    echo "sites: not possible here, both on this host"
fi
rcli() { local a=$1; shift; case $a in unix:*) redis-cli --no-auth-warning --user admin -s "${a#unix:}" "$@" ;; *) redis-cli --no-auth-warning --user admin -h "${a%:*}" -p "${a##*:}" "$@" ;; esac; }
wait_ping() { for _ in $(seq 600); do rcli "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
ms() { date +%s%3N; }

primary=("${IN_A[@]}" "$B/bardo-store" --listen "$A" --name store-a --site site-a --peers "$A,$Bb"
         --min-replicas 0 --data-dir "$run/data-a" --expected "$N")
"${primary[@]}" >"$run/a.log" 2>&1 & pids+=($!); pa=$!
wait_ping "$A"
echo; echo "## fill: $N people over RESP (build/release/bench/store_fill)"
build/release/bench/store_fill "$A" "$N" "$(scripts/data.sh "${DATA:-generated}")/pessoas-payloads.tsv"
echo "primary RSS: $(( $(rss_kb $pa) / 1024 )) MiB = $(( $(rss_kb $pa) * 1024 / N )) B/person"

echo; echo "## snapshot (SNAPSHOT command, data directory, fsync + rename)"
echo "$(rcli "$A" SNAPSHOT)"; ls -l "$run"/data-a | awk 'NR>1{print "  " $5 " B  " $9}'

echo; echo "## full resync: a new replica in site b"
t0=$(ms)
"${IN_B[@]}" "$B/bardo-store" --listen "$Bb" --name store-b --site site-b --role replica \
     --peers "$A,$Bb" --min-replicas 0 --expected "$N" >"$run/b.log" 2>&1 & pids+=($!); pb=$!
for _ in $(seq 6000); do
    set -- $(rcli "$Bb" ROLE 2>/dev/null || echo x 0 0)
    [ "${3:-0}" -ge "$N" ] && break; sleep 0.05
done
echo "replica caught up to seq ${3:-?} in $(( $(ms) - t0 )) ms (from start, connect and SYNC included)"
echo "replica RSS: $(( $(rss_kb $pb) / 1024 )) MiB = $(( $(rss_kb $pb) * 1024 / N )) B/person"
grep -h "full resync\|resuming" "$run/b.log" | sed 's/^/  /'

echo; echo "## recovery: kill -9 of the primary, restart from its data directory"
kill -9 $pa; wait $pa 2>/dev/null || true
t0=$(ms)
"${primary[@]}" >>"$run/a.log" 2>&1 & pids+=($!)
sleep 0.2
wait_ping "$A"
echo "primary answering again after $(( $(ms) - t0 )) ms, with $(rcli "$A" PCOUNT) people"
grep -h "recovered" "$run/a.log" | tail -1 | sed 's/^/  /'
