#!/usr/bin/env bash
# Prepare a Debian 12 machine to build and test opendo:
#   1. install the Debian binary packages (only if one is missing; needs root then),
#   2. cross-build the static Windows dependencies (scripts/build-deps.sh -> build/deps).
# Idempotent; a second run uses neither apt nor the network and takes well under a second.
#   bash scripts/bootstrap.sh        (any cwd)
set -euo pipefail
[ $# -eq 0 ] || { echo "bootstrap.sh: unexpected argument '$1'" >&2; echo "usage: bash scripts/bootstrap.sh   (no arguments)" >&2; exit 2; }

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# clang and libclang-rt-dev build the fuzz targets (tests/fuzz); the latter holds the sanitizer and
# libFuzzer runtimes, which clang only recommends, and the install below takes no recommendations.
PACKAGES=(
    mingw-w64 mingw-w64-tools wine wine64 libwine-dev cmake tcl nginx libz-mingw-w64-dev
    libuv1-dev libsqlite3-dev libcurl4-openssl-dev dpkg-dev pkg-config openssl ca-certificates sqlite3 python3
    squid
    clang libclang-rt-dev
)

. "$TOP/scripts/bootstrap-lib.sh"

missing_packages() {
    # One dpkg-query for all; unknown packages make it fail and print nothing for them.
    local installed
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
    local p
    for p in "${PACKAGES[@]}"; do
        printf '%s\n' "$installed" | grep -qx "$p install ok installed" || echo "$p"
    done
}

# nginx and squid come with a system service each; the tests and scripts/cache-host.sh start
# their own on loopback or where asked, so keep the packaged ones stopped and disabled.
disable_system_service() {
    local name=$1
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
        systemctl disable --now "$name" >/dev/null 2>&1 || true
    else
        if command -v service >/dev/null; then service "$name" stop >/dev/null 2>&1 || true; fi
        if command -v update-rc.d >/dev/null; then update-rc.d "$name" disable >/dev/null 2>&1 || true; fi
    fi
}

command -v dpkg-query >/dev/null || die "this script expects Debian 12 (dpkg-query not found)"
mapfile -t MISSING < <(missing_packages)
if [ ${#MISSING[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages (${MISSING[*]}); run as root to install them"
    say "Debian packages: ${#MISSING[@]} of ${#PACKAGES[@]} missing (${MISSING[*]})"
    log=$(mktemp /tmp/opendo-bootstrap-apt.XXXXXX.log)
    export DEBIAN_FRONTEND=noninteractive
    step packages 1 2 "apt-get update (output: $log)"
    run "$log" apt-get update
    step packages 2 2 "apt-get install ${PACKAGES[*]}"
    run "$log" apt-get install -y --no-install-recommends -o APT::Status-Fd=1 "${PACKAGES[@]}"
    rm -f "$log"
    for service in nginx squid; do
        case " ${MISSING[*]} " in *" $service "*) disable_system_service "$service" ;; esac
    done
    mapfile -t MISSING < <(missing_packages)
    [ ${#MISSING[@]} -eq 0 ] || die "still missing after install: ${MISSING[*]}"
    say "Debian packages installed"
else
    say "Debian packages present"
fi

bash "$TOP/scripts/build-deps.sh"
