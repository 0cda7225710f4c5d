#!/usr/bin/env bash
# The stress test's short run, for `make test`: the official profile's
# shape compressed ten times in time (--time-scale 0.1: 20.5 s, about
# 11,500 requests), against a fresh bardo on its own port (under the cgroup
# limits when they are writable). Fails on any KO or when /contagem-pessoas
# differs from the 201s seen, or when its HTML report does not render
# (tests/report/check_report.js in node against a stub DOM, then
# tests/browser/check_pages.js in headless chromium, which also saves
# build/test-logs/report.png). Bounded: killed after 150 s.
#   STRESS_SHORT_TIME=0.1  STRESS_SHORT_PORT=19997  (environment overrides)
#   STRESS_SHORT_LOAD_ARGS="--payloads F --terms F"  (more bardo-load options)
set -uo pipefail
cd "$(dirname "$0")/.."
export BARDO_PORT=${STRESS_SHORT_PORT:-19997}
out=build/stress/short-$(date +%Y%m%d-%H%M%S)
timeout -k 10 150 scripts/stress.sh --time "${STRESS_SHORT_TIME:-0.1}" --strict --out "$out" \
    -- --quiet ${STRESS_SHORT_LOAD_ARGS:-}
rc=$?
if [ $rc -eq 0 ]; then # the HTML report renders: its script runs, verdict, cards, charts
    node tests/report/check_report.js "$out/report.html" src/load/report.html || rc=4
fi
if [ $rc -eq 0 ]; then # ... and in a real browser: no console error, charts drawn
    mkdir -p build/test-logs
    timeout -k 5 90 node tests/browser/check_pages.js report "$out/report.html" build/test-logs/report.png || rc=5
fi
case $rc in
    0) echo "stress-short: ok (0 KO, count equals the 201s seen; $out)" ;;
    3) echo "stress-short: FAILED: KO or count mismatch, see $out/summary.txt" ;;
    4) echo "stress-short: FAILED: the HTML report does not render (tests/report/check_report.js)" ;;
    5) echo "stress-short: FAILED: the HTML report fails in chromium (tests/browser/check_pages.js)" ;;
    124|137) echo "stress-short: FAILED: did not finish within 150 s" ;;
    *) echo "stress-short: FAILED (exit $rc), see $out" ;;
esac
exit $rc
