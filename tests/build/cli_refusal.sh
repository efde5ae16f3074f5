#!/usr/bin/env bash
# Every script a user runs refuses a command line it does not know: an unknown or misspelled
# option, an option without its value, an argument a script without arguments is given, a knob
# (environment variable) that is not one of its values. Refusal: exit status 2, the usage text on
# stderr, and nothing changed: no file or directory created, no program started.
#
# The scripts run from a copy of scripts/ (so that a script that did not refuse could touch only
# the copy), with HOME, the prefixes and the work directories inside the test's own directory, and
# with every program they could start (wine, nginx, apt-get, make...) replaced on PATH by a
# stand-in that records its call and fails. Nothing changed = no stand-in was called and the
# listing of the copy and of the state directory is the same before and after.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-cli-refusal.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1${2:+: $2}"; failures=$((failures + 1)); }

tree=$work/tree state=$work/state stand_ins=$work/bin ran=$work/ran
mkdir -p "$tree" "$state/home" "$stand_ins"
cp -r "$top/scripts" "$tree/"
for program in wine wine64 wineserver wineboot nginx squid apt-get apt dpkg-query dpkg-source \
    cmake make openssl python3 sqlite3 sudo systemctl service runuser curl \
    x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres; do
    printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$program" "$ran" >"$stand_ins/$program"
    chmod +x "$stand_ins/$program"
done

export PATH="$stand_ins:$PATH" HOME=$state/home XDG_CACHE_HOME=$state/home/.cache
export WINEPREFIX=$state/prefix BENCH_PREFIX=$state/bench FLEET_DIR=$state/fleet
unset BITS BENCH_SECTIONS BENCH_REPS FLEET_CLIENTS OPENDO_BIN_DIR

listing() { find "$tree" "$state" | sort; }

# refused NAME [VAR=VALUE...] SCRIPT ARGS...: the script, run with those variables, exits 2 with
# the usage on stderr, and changes nothing.
refused() {
    local name=$1 before status problem=
    shift
    local -a vars=()
    while [[ $1 == *=* ]]; do vars+=("$1"); shift; done
    local script=$1
    shift
    before=$(listing)
    : >"$ran"
    env "${vars[@]}" bash "$tree/scripts/$script" "$@" </dev/null >"$work/out" 2>"$work/err"
    status=$?
    [ "$status" -eq 2 ] || problem="exit status $status, not 2"
    grep -q '^usage: ' "$work/err" || problem="${problem:+$problem; }no usage line on stderr"
    [ ! -s "$ran" ] || problem="${problem:+$problem; }started $(head -n 1 "$ran")"
    [ "$(listing)" = "$before" ] || problem="${problem:+$problem; }files changed: $(diff <(echo "$before") <(listing) | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
    if [ -z "$problem" ]; then ok "$name"; else not_ok "$name" "$problem"; sed 's/^/#   /' "$work/err" | head -n 5; fi
}

refused "install.sh --anything" install.sh --anything
refused "install.sh with BITS=yes (make install BITS=yes)" BITS=yes install.sh
refused "demo.sh --fast" demo.sh --fast
refused "bench.sh --quick" bench.sh --quick
refused "bench.sh with BENCH_REPS=three" BENCH_REPS=three bench.sh
refused "bench.sh with an unknown section in BENCH_SECTIONS" BENCH_SECTIONS=apix bench.sh
refused "bench-fleet.sh --clients 5" bench-fleet.sh --clients 5
refused "bench-fleet.sh with FLEET_CLIENTS=1k" FLEET_CLIENTS=1k bench-fleet.sh
refused "bootstrap.sh --yes" bootstrap.sh --yes
refused "build-deps.sh --refresh" build-deps.sh --refresh
refused "apt-deb-src.sh --codename bookworm" apt-deb-src.sh --codename bookworm

cache=$state/cache-host
allow=(--listen 127.0.0.1:47100 --allow 127.0.0.1:47101)
refused "cache-host.sh start --cahce-dir (misspelled option)" cache-host.sh start --cahce-dir "$cache" "${allow[@]}"
refused "cache-host.sh start --bogus (unknown option)" cache-host.sh start --cache-dir "$cache" "${allow[@]}" --bogus
refused "cache-host.sh start --listen without its value, before another option" \
    cache-host.sh start --listen --cache-dir "$cache" --allow 127.0.0.1:47101
refused "cache-host.sh start --allow without its value, at the end" \
    cache-host.sh start --cache-dir "$cache" --listen 127.0.0.1:47100 --allow
refused "cache-host.sh strat (misspelled command)" cache-host.sh strat --cache-dir "$cache" "${allow[@]}"
refused "cache-host.sh stop --listen (an option stop does not take)" \
    cache-host.sh stop --cache-dir "$cache" --listen 127.0.0.1:47100
refused "cache-host.sh stop --cache-dir --listen (an option as the value)" \
    cache-host.sh stop --cache-dir --listen

[ "$failures" -eq 0 ]
