#!/usr/bin/env bash
# Installs, from Debian's packages, whatever bardo needs and the machine
# lacks. Quiet and quick when everything is already there.
set -euo pipefail
PKGS=(gcc clang clang-tidy make libcmocka-dev uuid-dev libclang-rt-14-dev
      nginx-light wrk redis-tools curl python3 python3-pytest procps iproute2
      protobuf-c-compiler libprotobuf-c-dev nodejs)  # nodejs: the stress report's check
PKGS+=(libnginx-mod-stream)  # BARDO_FRONT=l4: nginx as an L4 proxy (conf/nginx-l4.conf.in)
# TLS between sites (src/core/tls.h; scripts/certs.sh makes the CA)
PKGS+=(libssl-dev openssl tcpdump)  # tcpdump: the test that no name crosses in clear
# sites (scripts/sites.sh, bardo-netdelay; docs/SITES.md)
PKGS+=(iptables libnetfilter-queue-dev iputils-ping)
# the browser step (tests/browser, docs/DASHBOARD.md): Debian's chromium,
# driven headless by playwright-core from npm (below)
PKGS+=(chromium fonts-dejavu-core)  # a font, so screenshots have text
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs comes without npm (a nodejs from elsewhere may have it)
command -v npm >/dev/null || missing+=(npm)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # nginx-light's postinst would start a system nginx on :80; bardo runs its own.
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# playwright-core at the version tests/browser/package-lock.json pins, into
# tests/browser/node_modules (git-ignored); it never downloads a browser.
B=$(dirname "$0")/../tests/browser
# node_modules/.bardo-lock: the lock it was installed from.
if ! cmp -s "$B/package-lock.json" "$B/node_modules/.bardo-lock" 2>/dev/null; then
    echo "deps: npm ci in tests/browser"
    (cd "$B" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent &&
        cp package-lock.json node_modules/.bardo-lock)
fi
