#!/usr/bin/env bash
# The stress test's data set: resolves a name to a directory holding
# pessoas-payloads.tsv and termos-busca.tsv and prints that directory (its
# absolute path, alone on stdout; messages go to stderr). See docs/DATA.md.
#   scripts/data.sh [generated|official|DIR]
#   generated  (default) build/data/generated/, written by
#              `bardo-load --write-data` (seed 42, what bardo-load sends when
#              given no file); rewritten when missing or older than bardo-load.
#   official   build/data/official/: the official files, downloaded once from
#              the pinned commit of zanfranceschi/rinha-de-backend-2023-q3
#              and verified against the pins below on every use.
#   DIR        any directory holding the two files (e.g. ../shared/rinha-2023-q3).
# Environment: BARDO_LOAD (bardo-load), BARDO_DATA_ROOT (build/data),
#   BARDO_DATA_URL (base URL of the official files, for tests),
#   BARDO_DATA_TIMEOUT (seconds, 20: to connect, and of no data flowing),
#   BARDO_DATA_PAYLOADS_BLOB, BARDO_DATA_TERMS_BLOB, BARDO_DATA_TERMS_SHA256
#   (the pins, overridable for tests only).
# Exit: 0, 1 when the data set cannot be had (one sentence says why), 2 usage.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA_ROOT=${BARDO_DATA_ROOT:-$ROOT/build/data}
LOAD=${BARDO_LOAD:-$ROOT/build/release/bin/bardo-load}
P=pessoas-payloads.tsv T=termos-busca.tsv
# The official repository at the commit the Rinha ran (b96a268), and where
# the files sit in it.
COMMIT=b96a26810a31fa607a1f47071bca79e13f1161b6
URL=${BARDO_DATA_URL:-https://raw.githubusercontent.com/zanfranceschi/rinha-de-backend-2023-q3/$COMMIT}
FILES=stress-test/user-files/resources
# The pins. Both files are pinned by their git blob ids, read from the
# official repository's tree at that commit (`git ls-tree`): a blob id is
# the SHA-1 of "blob <size>\0" + the bytes, so it identifies the content
# exactly, and it is the only identity of pessoas-payloads.tsv we could
# read without its bytes. termos-busca.tsv's SHA-256 is known as well (a
# byte-identical copy was at hand) and is checked too. The payload file's
# SHA-256 is printed on download, for whoever wants to pin it.
PAYLOADS_BLOB=${BARDO_DATA_PAYLOADS_BLOB:-1675f19adbb3ff93161f4c2fa8615b81269381d9}
TERMS_BLOB=${BARDO_DATA_TERMS_BLOB:-fac915e6548f75037ac8cbf819a972e8d5824dfb}
TERMS_SHA256=${BARDO_DATA_TERMS_SHA256:-3b1f347791ef013939a5d133a1db618bb68cfb0656035fcd2f2e083bcc932b43}
TIMEOUT=${BARDO_DATA_TIMEOUT:-20}

die() { echo "data.sh: $*" >&2; exit 1; }
offline() { die "cannot get the official data set: $*; DATA=generated works offline."; }

blob_id() { # what `git hash-object --no-filters FILE` prints, without git
    { printf 'blob %s\0' "$(stat -c %s "$1")"; cat "$1"; } | sha1sum | cut -d' ' -f1
}
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Prints why dir's official files are not the pinned ones; nothing if they are.
mismatch() {
    local d=$1 b
    for f in $P $T; do [ -f "$d/$f" ] || { echo "$f is missing"; return; }; done
    b=$(blob_id "$d/$P"); [ "$b" = "$PAYLOADS_BLOB" ] || { echo "$P has git blob id $b, not the pinned $PAYLOADS_BLOB"; return; }
    b=$(blob_id "$d/$T"); [ "$b" = "$TERMS_BLOB" ] || { echo "$T has git blob id $b, not the pinned $TERMS_BLOB"; return; }
    b=$(sha256 "$d/$T"); [ "$b" = "$TERMS_SHA256" ] || echo "$T has SHA-256 $b, not the pinned $TERMS_SHA256"
}

curl_why() { # curl's exit code -> what failed
    case $1 in
        5|6) echo "the host could not be resolved (no network?)" ;;
        7) echo "the connection was refused or the host is unreachable" ;;
        22) echo "the server refused the request ($2)" ;;
        28) echo "it timed out (nothing within ${TIMEOUT} s)" ;;
        35|51|58|60) echo "the TLS connection failed" ;;
        *) echo "curl failed with exit code $1 ($2)" ;;
    esac
}

download() { # url file
    local err rc
    err=$(curl -fsS --connect-timeout "$TIMEOUT" --speed-limit 1024 --speed-time "$TIMEOUT" \
        --max-time $((TIMEOUT * 30)) -o "$2" "$1" 2>&1); rc=$?
    [ $rc -eq 0 ] || { echo "$1: $(curl_why $rc "${err#curl: }")"; return 1; }
}

tmp= # the download's temporary folder (global: the EXIT trap removes it)
official() {
    local dest=$DATA_ROOT/official why
    if [ -d "$dest" ]; then
        why=$(mismatch "$dest")
        [ -z "$why" ] && { echo "$dest"; return 0; }
        echo "data.sh: the cached $dest is not the official data ($why); downloading again" >&2
    fi
    command -v curl >/dev/null || offline "curl is not installed"
    mkdir -p "$DATA_ROOT" || die "cannot create $DATA_ROOT"
    tmp=$(mktemp -d "$DATA_ROOT/.official.XXXXXX") || die "cannot create a folder in $DATA_ROOT"
    trap 'rm -rf "$tmp"' EXIT # whatever happens, no half-written file stays
    echo "data.sh: downloading the official data set from $URL" >&2
    for f in $P $T; do why=$(download "$URL/$FILES/$f" "$tmp/$f") || offline "$why"; done
    why=$(mismatch "$tmp")
    [ -z "$why" ] || offline "the download does not match the pins: $why"
    echo "data.sh: verified: $P git blob $PAYLOADS_BLOB, SHA-256 $(sha256 "$tmp/$P"); $T git blob $TERMS_BLOB, SHA-256 $TERMS_SHA256" >&2
    rm -rf "$dest" && mv "$tmp" "$dest" || die "cannot move the download to $dest"
    trap - EXIT
    echo "$dest"
}

generated() {
    local dest=$DATA_ROOT/generated
    [ -x "$LOAD" ] || die "$LOAD is missing: make build/release/bin/bardo-load (or set BARDO_LOAD)"
    if [ ! -f "$dest/$P" ] || [ ! -f "$dest/$T" ] || [ "$LOAD" -nt "$dest/$P" ]; then
        "$LOAD" --write-data "$dest" --seed 42 >&2 || die "bardo-load --write-data $dest failed"
    fi
    echo "$dest"
}

directory() {
    local d=$1
    [ -d "$d" ] || die "'$d' is neither generated, official nor a directory"
    for f in $P $T; do [ -r "$d/$f" ] || die "$d has no readable $f"; done
    (cd "$d" && pwd)
}

[ $# -le 1 ] || { sed -n '2,18p' "$0" >&2; exit 2; }
case ${1:-generated} in
    generated) generated ;;
    official) official ;;
    -h|--help) sed -n '2,18p' "$0" >&2; exit 2 ;;
    *) directory "$1" ;;
esac
