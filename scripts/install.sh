#!/usr/bin/env bash
# Installs opendo into a Wine prefix ($WINEPREFIX, default build/wine): binaries under
# C:\Program Files\opendo, the DoSvc service, the COM class/AppID and the proxy/stub DLL.
# Idempotent: a running DoSvc is stopped first so its binary can be replaced.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/wine-env.sh"
. "$top/scripts/service-control.sh"

wine_prefix_up
dest="$WINEPREFIX/drive_c/Program Files/opendo"
service_stop
mkdir -p "$dest"
for f in dosvc.exe doproxy.dll dodemo.exe; do
    cp "$top/build/win/$f" "$dest/"
done
wine 'C:\Program Files\opendo\dosvc.exe' install </dev/null
echo "install: opendo installed into $WINEPREFIX (C:\\Program Files\\opendo)"
