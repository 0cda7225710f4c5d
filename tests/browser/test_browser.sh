#!/usr/bin/env bash
# The pages in a real browser (scripts/test.sh's `browser` step):
#  1. starts a fresh bardo (scripts/up.sh: with sites when root, so the
#     store picture has three nodes in three sites) on its own port and run
#     folder, keeps a light load on it (creates, searches, counts), and has
#     check_pages.js load the dashboard through nginx in headless chromium:
#     no console error, cards, nodes, chart; build/test-logs/dashboard.png;
#     then it kills replica store-c and waits for the page to mark it;
#  2. checks the newest short stress run's report.html the same way
#     (build/test-logs/report.png); when there is none, runs
#     scripts/stress_short.sh, which makes one and checks it.
# Fails loudly (never skips) when chromium or playwright-core is missing.
# Ends with "N passed, N failed". Every process it starts is stopped.
#   BROWSER_PORT=19993  BROWSER_PAGES="dashboard report"  BROWSER_LOAD_LOOPS=1
#   DASHBOARD_SHOT_POLLS=3 (polls before the screenshot; scripts/screenshot.sh)
set -uo pipefail
cd "$(dirname "$0")/../.."
LOG=build/test-logs
mkdir -p "$LOG"
passed=0; failed=0
tally() { # output of check_pages.js: add its counts
    local p f
    p=$(grep -oE '^[0-9]+ passed' <<<"$1" | tail -1 | awk '{print $1+0}')
    f=$(grep -oE '[0-9]+ failed' <<<"$1" | tail -1 | awk '{print $1+0}')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
}
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

for need in "${CHROMIUM:-/usr/bin/chromium}" tests/browser/node_modules/playwright-core; do
    [ -e "$need" ] || { echo "FAIL $need is missing: run scripts/deps.sh"; failed=$((failed + 1)); }
done
[ "$failed" -eq 0 ] || finish

export BARDO_PORT=${BROWSER_PORT:-19993}
BARDO_RUN=$(mktemp -d /tmp/bardo-browser-XXXXXX); export BARDO_RUN
chmod 755 "$BARDO_RUN"
PAGES=" ${BROWSER_PAGES:-dashboard report} "
load_pids=()
cleanup() {
    local p
    for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    load_pids=()
    scripts/down.sh >/dev/null 2>&1
    rm -rf "$BARDO_RUN"
}
trap cleanup EXIT

URL=http://127.0.0.1:$BARDO_PORT
light_load() { # about 20 requests/s until killed; $1 keeps apelidos apart
    local i=0
    while :; do
        i=$((i + 1))
        curl -s -o /dev/null -m 2 -X POST "$URL/pessoas" -H 'Content-Type: application/json' \
            -d "{\"apelido\":\"b$$-$1-$i\",\"nome\":\"Browser $i\",\"nascimento\":\"1990-01-0$((i % 9 + 1))\",\"stack\":[\"C\"]}"
        curl -s -o /dev/null -m 2 "$URL/pessoas?t=Browser"
        [ $((i % 5)) -eq 0 ] && curl -s -o /dev/null -m 2 "$URL/contagem-pessoas"
        sleep 0.1
    done
}

if [[ $PAGES != *" dashboard "* ]]; then
    :
elif timeout 60 scripts/up.sh >"$LOG/browser-up.log" 2>&1; then
    for ((k = 0; k < ${BROWSER_LOAD_LOOPS:-1}; k++)); do light_load "$k" & load_pids+=($!); done
    sleep 2 # a few creates before the page opens, so the numbers move
    out=$(timeout -k 5 120 node tests/browser/check_pages.js dashboard "$URL/" "$BARDO_RUN" "$LOG/dashboard.png" 2>&1)
    echo "$out"; tally "$out"
else
    echo "FAIL scripts/up.sh did not start bardo:"; sed 's/^/    /' "$LOG/browser-up.log"
    failed=$((failed + 1))
fi
cleanup; trap - EXIT
[[ $PAGES == *" report "* ]] || finish

report=$(ls -td build/stress/short-*/ 2>/dev/null | while read -r d; do
    [ -s "$d/report.html" ] && echo "$d/report.html" && break; done)
if [ -n "$report" ]; then
    echo "report: $report"
    out=$(timeout -k 5 90 node tests/browser/check_pages.js report "$report" "$LOG/report.png" 2>&1)
    echo "$out"; tally "$out"
else
    echo "report: no short stress run yet: running scripts/stress_short.sh"
    if scripts/stress_short.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi
finish
