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
    # A persistent wineserver keeps services alive between client runs; the session is booted
    # with handles on /dev/null so that system processes never hold our pipes open.
    wineserver -p </dev/null >/dev/null 2>&1 || true   # already persistent: fine
    wine cmd /c exit </dev/null >/dev/null 2>&1
}

wine_prefix_down() {
    wineserver -k >/dev/null 2>&1
    wineserver -w >/dev/null 2>&1
    return 0
}
