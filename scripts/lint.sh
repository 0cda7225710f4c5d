#!/usr/bin/env bash
# The spec's rule, enforced: no function longer than 50 lines
# (clang-tidy readability-function-size, LineThreshold 50, see .clang-tidy).
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' 2>/dev/null || find src tests fuzz bench -name '*.c')
[ -n "$files" ] || files=$(find src tests fuzz bench -name '*.c')
# shellcheck disable=SC2086
out=$(clang-tidy --quiet $files -- -std=c17 -D_GNU_SOURCE -Isrc 2>&1)
rc=$?
if [ $rc -ne 0 ] || echo "$out" | grep -q 'readability-function-size'; then
    echo "$out" | grep -E 'warning|error' | head -40
    echo "lint: functions over 50 lines (or clang-tidy failed)"
    exit 1
fi
echo "lint: every function is at most 50 lines ($(echo "$files" | wc -w) files)"
