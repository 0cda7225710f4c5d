#!/usr/bin/env bash
# Builds every fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and runs each for
# FUZZ_SECONDS (default 20; `make fuzz` uses 300). Findings are saved in
# build/fuzz/artifacts/ and fail the run.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-20}
out=build/fuzz
mkdir -p "$out/artifacts"
# netdelay links libnetfilter_queue and parses nothing from outside
lib_srcs=$(ls src/*/*.c | grep -v -e '^src/cmd/' -e '^src/netdelay/')
flags="-std=c17 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
fail=0
for f in fuzz/fuzz_*.c; do
    name=$(basename "$f" .c); name=${name#fuzz_}
    # shellcheck disable=SC2086
    if ! clang $flags "$f" $lib_srcs -luuid -lm -lprotobuf-c -lssl -lcrypto -o "$out/fuzz_$name" 2>"$out/$name.build.log"; then
        echo "fuzz $name: BUILD FAILED"; cat "$out/$name.build.log"; fail=1; continue
    fi
    work=$(mktemp -d)                      # new inputs go here, not into the repo
    corpus=fuzz/corpus/$name; mkdir -p "$corpus"
    if "$out/fuzz_$name" -max_total_time="$secs" -print_final_stats=0 \
        -artifact_prefix="$out/artifacts/${name}-" "$work" "$corpus" >"$out/$name.log" 2>&1; then
        echo "fuzz $name: ok ($(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -1))"
    else
        echo "fuzz $name: FAILED, see $out/$name.log"; tail -30 "$out/$name.log"; fail=1
    fi
    rm -rf "$work"
done
exit $fail
