#!/usr/bin/env bash
# Regenerates docs/dashboard.png, the picture README shows: the browser
# test's screenshot of the live dashboard (tests/browser/test_browser.sh,
# dashboard part only) against a fresh bardo with sites (run as root for
# three sites) under a light load, taken after 30 polls (60 s) so the chart
# has a history. Fails, and leaves docs/dashboard.png alone, when any check
# of the page fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BROWSER_PAGES=dashboard BROWSER_LOAD_LOOPS=${BROWSER_LOAD_LOOPS:-3} \
    DASHBOARD_SHOT_POLLS=${DASHBOARD_SHOT_POLLS:-30} tests/browser/test_browser.sh
cp build/test-logs/dashboard.png docs/dashboard.png
echo "screenshot: docs/dashboard.png ($(stat -c %s docs/dashboard.png) bytes)"
