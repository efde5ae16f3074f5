# Sourced, never run: a headless, quiet Wine environment bound to one prefix.
#   . scripts/wine-env.sh [PREFIX]      (default: $WINEPREFIX, else build/wine)
# Provides: wine_prefix_up (create/boot the prefix, keep a persistent wineserver),
#           wine_prefix_down (stop the prefix's wineserver and every process in it).
_opendo_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WINEPREFIX="${1:-${WINEPREFIX:-$_opendo_top/build/wine}}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="mscoree,mshtml="
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY

wine_prefix_up() {
    mkdir -p "$(dirname "$WINEPREFIX")"
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        wineboot -i </dev/null >/dev/null 2>&1 || return 1
        wineserver -w </dev/null >/dev/null 2>&1
    fi
    # A persistent wineserver keeps services alive between client runs. `wineserver -p` exits 2
    # when the prefix's wineserver already runs: its session is up, nothing more to do.
    local status=0
    wineserver -p </dev/null >/dev/null 2>&1 || status=$?
    [ "$status" = 2 ] && return 0
    # A new wineserver: the session is booted by a first process with handles on /dev/null, so
    # that system processes never hold our pipes open (stderr goes to a file, not a pipe). A
    # loaded machine can fail a boot now and then: it is tried again, and a last failure says why.
    local attempt words
    words=$(mktemp)
    for attempt in 1 2 3; do
        if wine cmd /c exit </dev/null >/dev/null 2>"$words"; then
            rm -f "$words"
            return 0
        fi
        sleep "$attempt"
    done
    echo "wine-env: the Wine session of $WINEPREFIX did not start (3 attempts); Wine said:" >&2
    sed 's/^/  /' "$words" >&2
    rm -f "$words"
    return 1
}

wine_prefix_down() {
    wineserver -k >/dev/null 2>&1
    wineserver -w >/dev/null 2>&1
    return 0
}
