#!/usr/bin/env bash
# Tests scripts/data.sh without the internet: the official download is
# pointed (BARDO_DATA_URL) at a python3 http.server on 127.0.0.1 serving a
# good and a bad copy, at a loopback port where nothing listens, and at one
# that accepts and never answers. The success path uses test pins (the
# hashes of the good copy); mismatches are checked against the real pins.
# Also: generated (deterministic, the official shape), a directory, errors.
#   tests/data/test_data.sh     (DATA_TEST_PORT=19982: uses it, +1, +2)
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
PORT=${DATA_TEST_PORT:-19982}; DEAD=$((PORT + 1)); MUTE=$((PORT + 2))
export BARDO_LOAD=${BARDO_LOAD:-$PWD/build/release/bin/bardo-load}
[ -x "$BARDO_LOAD" ] || make -s build/release/bin/bardo-load VARIANT=release >/dev/null
W=$(mktemp -d); pids=()
cleanup() { for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
passed=0; failed=0
check() { # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok    $name"
    else failed=$((failed + 1)); echo "FAIL  $name"; fi
}
R=stress-test/user-files/resources
blob() { git hash-object --no-filters "$1"; }

# --- the served copies: good/ (a small pair, pinned by the test), bad/ ---
mkdir -p "$W/www/good/$R" "$W/www/bad/$R" "$W/www/half/$R"
printf 'payload\n{"apelido": "a", "nome": "b", "nascimento": "2000-01-01", "stack": null}\n' >"$W/www/good/$R/pessoas-payloads.tsv"
printf 't\nabc\n' >"$W/www/good/$R/termos-busca.tsv"
cp "$W/www/good/$R/"* "$W/www/bad/$R/"; echo '{"tampered": 1}' >>"$W/www/bad/$R/pessoas-payloads.tsv"
cp "$W/www/good/$R/pessoas-payloads.tsv" "$W/www/half/$R/"   # no terms: a 404
(cd "$W/www" && exec python3 -m http.server "$PORT" --bind 127.0.0.1) >"$W/http.log" 2>&1 &
pids+=($!)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); conns = []
while True: conns.append(s.accept()[0])  # accepts, never answers
' "$MUTE" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

GOOD_P=$(blob "$W/www/good/$R/pessoas-payloads.tsv"); GOOD_T=$(blob "$W/www/good/$R/termos-busca.tsv")
GOOD_S=$(sha256sum "$W/www/good/$R/termos-busca.tsv" | cut -d' ' -f1)
test_pins() { env BARDO_DATA_PAYLOADS_BLOB="$GOOD_P" BARDO_DATA_TERMS_BLOB="$GOOD_T" BARDO_DATA_TERMS_SHA256="$GOOD_S" "$@"; }
run() { # root url [pins...] -> rc in $rc, stdout in $out, stderr in $err
    out=$(BARDO_DATA_ROOT=$1 BARDO_DATA_URL=$2 BARDO_DATA_TIMEOUT=2 ${3:-} scripts/data.sh official 2>"$W/err"); rc=$?
    err=$(cat "$W/err")
}
nothing_left() { [ ! -e "$1/official" ] && [ -z "$(ls -A "$1" 2>/dev/null)" ]; }
one_clear_sentence() { [ "$(grep -c 'cannot get the official data set' <<<"$err")" = 1 ] && grep -q 'DATA=generated works offline' <<<"$err"; }

# --- official: success with the test pins, then served from the cache ---
run "$W/ok" "http://127.0.0.1:$PORT/good" test_pins
check "download: exit 0 and the cache folder printed" [ "$rc" = 0 -a "$out" = "$W/ok/official" ]
check "download: the files are the served ones" cmp -s "$W/ok/official/pessoas-payloads.tsv" "$W/www/good/$R/pessoas-payloads.tsv"
check "download: the payload file's SHA-256 is printed" grep -q "SHA-256 $(sha256sum "$W/www/good/$R/pessoas-payloads.tsv" | cut -d' ' -f1)" <<<"$err"
check "download: no temporary folder left" [ "$(ls -A "$W/ok")" = official ]
run "$W/ok" "http://127.0.0.1:$DEAD/good" test_pins
check "cache: verified copy used with the server unreachable" [ "$rc" = 0 -a "$out" = "$W/ok/official" ]
check "cache: the real pins reject the test copy" bash -c "BARDO_DATA_ROOT='$W/ok' BARDO_DATA_URL=http://127.0.0.1:$DEAD BARDO_DATA_TIMEOUT=2 scripts/data.sh official 2>/dev/null; [ \$? = 1 ]"

# --- official: failures, each one sentence, exit 1, no file left ---
run "$W/bad" "http://127.0.0.1:$PORT/bad"
check "real pins, wrong bytes: exit 1" [ "$rc" = 1 -a -z "$out" ]
check "real pins, wrong bytes: says the blob id differs" grep -q "does not match the pins: pessoas-payloads.tsv has git blob id" <<<"$err"
check "real pins, wrong bytes: one clear sentence" one_clear_sentence
check "real pins, wrong bytes: nothing left" nothing_left "$W/bad"
run "$W/bad2" "http://127.0.0.1:$PORT/bad" test_pins
check "test pins, tampered payloads: refused" eval '[ "$rc" = 1 ] && grep -q "git blob id" <<<"$err"' 
run "$W/half" "http://127.0.0.1:$PORT/half" test_pins
check "404: exit 1, says the server refused" eval '[ "$rc" = 1 ] && grep -q "refused the request" <<<"$err"' 
check "404: nothing left (not even the payload file that came)" nothing_left "$W/half"
run "$W/dead" "http://127.0.0.1:$DEAD"
check "unreachable port: exit 1, says refused or unreachable" eval '[ "$rc" = 1 ] && grep -q "refused or the host is unreachable" <<<"$err"'
check "unreachable port: one clear sentence" one_clear_sentence
check "unreachable port: nothing left" nothing_left "$W/dead"
t0=$(date +%s); run "$W/mute" "http://127.0.0.1:$MUTE"; t1=$(date +%s)
check "silent server: exit 1, says it timed out" eval '[ "$rc" = 1 ] && grep -q "timed out" <<<"$err"' 
check "silent server: gave up within the bound" [ $((t1 - t0)) -le 8 ]
check "silent server: nothing left" nothing_left "$W/mute"

# --- generated, directories, usage ---
out=$(BARDO_DATA_ROOT="$W/gen" scripts/data.sh generated 2>/dev/null)
check "generated: made when missing" [ "$out" = "$W/gen/generated" -a -s "$out/pessoas-payloads.tsv" ]
check "generated: 100,000 payloads and 5,000 terms after the headers" bash -c \
    '[ "$(head -1 "$0/pessoas-payloads.tsv")" = payload ] && [ "$(wc -l <"$0/pessoas-payloads.tsv")" = 100001 ] && [ "$(head -1 "$0/termos-busca.tsv")" = t ] && [ "$(wc -l <"$0/termos-busca.tsv")" = 5001 ]' "$out"
sum1=$(cat "$out"/*.tsv | sha256sum)
"$BARDO_LOAD" --write-data "$W/again" >/dev/null
check "generated: deterministic (the same bytes again)" [ "$(cat "$W/again"/*.tsv | sha256sum)" = "$sum1" ]
"$BARDO_LOAD" --write-data "$W/seed7" --seed 7 >/dev/null
check "generated: another seed, other bytes" [ "$(cat "$W/seed7"/*.tsv | sha256sum)" != "$sum1" ]
touch -d '2000-01-01' "$out/pessoas-payloads.tsv"
BARDO_DATA_ROOT="$W/gen" scripts/data.sh >/dev/null 2>&1
check "generated: rewritten when older than bardo-load" [ "$out/pessoas-payloads.tsv" -nt "$BARDO_LOAD" ]
check "directory: printed as an absolute path" [ "$(cd "$W" && "$OLDPWD/scripts/data.sh" again 2>/dev/null)" = "$W/again" ]
mkdir -p "$W/empty"
check "directory without the files: exit 1" bash -c 'scripts/data.sh "$0" 2>/dev/null; [ $? = 1 ]' "$W/empty"
check "unknown name: exit 1" bash -c 'scripts/data.sh no-such-set 2>/dev/null; [ $? = 1 ]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
