#!/usr/bin/env bash
# Installs, from Debian's packages, whatever bardo needs and the machine
# lacks. Quiet and quick when everything is already there.
set -euo pipefail
PKGS=(gcc clang clang-tidy make libcmocka-dev uuid-dev libclang-rt-14-dev
      nginx-light wrk redis-tools curl python3 python3-pytest procps iproute2
      protobuf-c-compiler libprotobuf-c-dev nodejs)  # nodejs: the stress report's check
# sites (scripts/sites.sh, bardo-netdelay; docs/SITES.md)
PKGS+=(iptables libnetfilter-queue-dev iputils-ping)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# nginx-light's postinst would start a system nginx on :80; bardo runs its own.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
