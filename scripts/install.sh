#!/usr/bin/env bash
# Installs opendo into a Wine prefix ($WINEPREFIX, default build/wine): binaries under
# C:\Program Files\opendo, the DoSvc service, the COM class/AppID and the proxy/stub DLL; then
# writes build/bin/doadmin (or $OPENDO_BIN_DIR/doadmin), which runs doadmin.exe in that prefix
# from Linux. With BITS=1 it also makes opendo the prefix's BITS service (`dosvc.exe install
# --bits`: Wine's BITS registration saved, the BITS service and classes switched to opendo,
# bitsadmin.exe in system32); `dosvc.exe uninstall --bits` gives BITS back (docs/bits.md).
# Idempotent: a running DoSvc (and BITS) is stopped first so its binary can be replaced.
set -euo pipefail
# Refused before anything is sourced or started (wine-env.sh would take an argument as the prefix).
usage="usage: bash scripts/install.sh   (no arguments; BITS=1 also makes opendo the prefix's BITS service)"
[ $# -eq 0 ] || { echo "install.sh: unexpected argument '$1'" >&2; echo "$usage" >&2; exit 2; }
case ${BITS:-0} in 0 | 1) ;; *) echo "install.sh: BITS is 1 or 0, not '$BITS'" >&2; echo "$usage" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/wine-env.sh"
. "$top/scripts/service-control.sh"

wine_prefix_up
dest="$WINEPREFIX/drive_c/Program Files/opendo"
service_stop BITS   # opendo's (its process ends with DoSvc's) or Wine's: both start on demand
service_stop
mkdir -p "$dest"
for f in dosvc.exe doproxy.dll dodemo.exe dodownload.exe doadmin.exe; do
    cp "$top/build/win/$f" "$dest/"
done
wine 'C:\Program Files\opendo\dosvc.exe' install </dev/null
# A prefix switched once stays switched (its bitsadmin.exe is refreshed too) until
# `dosvc.exe uninstall --bits`.
if [ "${BITS:-0}" = 1 ] || wine reg query 'HKLM\Software\opendo\BITS' /v Switched </dev/null >/dev/null 2>&1; then
    wine 'C:\Program Files\opendo\dosvc.exe' install --bits </dev/null
fi

# build/bin/doadmin: doadmin.exe in this prefix, for a Linux administrator. (tests/run.sh puts
# the one of its throw-away prefix elsewhere, so that build/bin/doadmin stays usable.)
bin_dir=${OPENDO_BIN_DIR:-$top/build/bin}
mkdir -p "$bin_dir"
{
    echo '#!/usr/bin/env bash'
    echo "# Written by scripts/install.sh: runs doadmin.exe (C:\\Program Files\\opendo) in the Wine prefix"
    echo "# opendo was installed into. Arguments, stdin and the exit status pass through; a stream that"
    echo "# goes to a file or a pipe loses the CRs of doadmin's Windows line ends, line by line (sed -u:"
    echo "# progress lines arrive as they are written)."
    echo ". $(printf %q "$top/scripts/wine-env.sh") $(printf %q "$WINEPREFIX")"
    cat <<'WRAPPER'
# The session is booted with handles on /dev/null, so that no Wine system process keeps a pipe
# of ours open; a persistent wineserver keeps DoSvc alive after doadmin exits.
wine_prefix_up || { echo "doadmin: cannot start the Wine prefix $WINEPREFIX" >&2; exit 4; }
exe='C:\Program Files\opendo\doadmin.exe'
if [ -t 1 ] && [ -t 2 ]; then
    exec wine "$exe" "$@"
fi
# fd 4 (the real stderr) stays with this script and sed, never with Wine.
err_filter=
if [ ! -t 2 ]; then
    exec 4>&2 2> >(sed -u 's/\r//g' >&4)
    err_filter=$!
fi
if [ -t 1 ]; then
    wine "$exe" "$@" 4>&-
    status=$?
else
    wine "$exe" "$@" 4>&- | sed -u 's/\r//g'
    status=${PIPESTATUS[0]}
fi
if [ -n "$err_filter" ]; then
    exec 2>&4 4>&-
    wait "$err_filter"
fi
exit "$status"
WRAPPER
} >"$bin_dir/doadmin"
chmod +x "$bin_dir/doadmin"
echo "install: opendo installed into $WINEPREFIX (C:\\Program Files\\opendo); $bin_dir/doadmin runs doadmin.exe there"
