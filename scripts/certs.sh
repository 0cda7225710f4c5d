#!/usr/bin/env bash
# certs.sh DIR NAME[=ADDR[,ADDR...]]...: a small certificate authority for
# the links between sites (docs/SECURITY.md, src/core/tls.h).
#
# In DIR: ca.crt and ca.key (made once, then reused, so a node added later
# is signed by the same CA), and for each NAME, NAME.crt and NAME.key: an
# EC P-256 key and a certificate signed by the CA, valid for both ends of a
# link (serverAuth and clientAuth), naming NAME and every ADDR (an IPv4
# address or a DNS name) in its subjectAltName, so a client can check the
# address it dialled. Keys are mode 0600, DIR 0700. An existing NAME.crt is
# kept, so a certificate you brought (signed by your own ca.crt) is never
# overwritten. CERT_DAYS (default 365) sets the validity.
# Exit: 0 done, 1 openssl failed, 2 usage.
set -euo pipefail

usage() { echo "usage: certs.sh DIR NAME[=ADDR[,ADDR...]]..." >&2; exit 2; }
[ $# -ge 2 ] || usage
dir=$1; shift
days=${CERT_DAYS:-365}
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -gt 0 ] || { echo "certs.sh: CERT_DAYS='$days' is not a whole number > 0" >&2; exit 2; }
command -v openssl >/dev/null || { echo "certs.sh: openssl is missing (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir" && chmod 700 "$dir"
umask 077

ssl() { openssl "$@" 2>"$dir/.openssl.err" || { cat "$dir/.openssl.err" >&2; exit 1; }; }

make_ca() {
    [ -s "$dir/ca.crt" ] && [ -s "$dir/ca.key" ] && return 0
    [ -s "$dir/ca.crt" ] && return 0 # your own CA, without its key: sign nothing
    ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key"
    ssl req -x509 -new -key "$dir/ca.key" -subj "/CN=bardo CA" -days "$days" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        -out "$dir/ca.crt"
}

san_of() { # name, addrs (comma-separated): "DNS:name,IP:a,DNS:b"
    local san="DNS:$1" a
    IFS=, read -ra addrs <<<"${2:-}"
    for a in "${addrs[@]}"; do
        [ -z "$a" ] && continue
        if [[ "$a" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then san+=",IP:$a"; else san+=",DNS:$a"; fi
    done
    echo "$san"
}

make_node() { # NAME[=ADDRS]
    local name=${1%%=*} addrs="" ext
    [[ "$1" == *=* ]] && addrs=${1#*=}
    [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "certs.sh: bad name '$name'" >&2; exit 2; }
    [ -s "$dir/$name.crt" ] && return 0
    [ -s "$dir/ca.key" ] || { echo "certs.sh: no ca.key in $dir to sign $name.crt with" >&2; exit 1; }
    ext="$dir/.$name.ext"
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' \
        "$(san_of "$name" "$addrs")" >"$ext"
    ssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key"
    ssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$dir/.$name.csr"
    ssl x509 -req -in "$dir/.$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days "$days" -extfile "$ext" -out "$dir/$name.crt"
    rm -f "$dir/.$name.csr" "$ext"
}

make_ca
for n in "$@"; do make_node "$n"; done
rm -f "$dir/.openssl.err"
