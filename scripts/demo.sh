#!/usr/bin/env bash
# make demo: install opendo into build/wine and show its main job end to end: a client creates
# a job through DCOM (which starts DoSvc on demand), the service is stopped and started with
# sc, the whole prefix is killed hard, and GetJob finds the same job every time. Then the
# administrator's view: doadmin /transfer downloads a large file from a local web server with
# live progress while the service is stopped and started under it (the transfer goes on, the
# hash is checked); a download made through the download API of today (IDOManager, as winget
# makes it: tools/dodownload.exe); and doadmin /list /verbose, /status and /why explain a job a
# 404 broke.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/wine-env.sh"
. "$top/scripts/service-control.sh"
. "$top/scripts/loopback-nginx.sh"

step() { printf '\n== %s\n' "$*"; }
run()  { printf '$ %s\n' "$*"; "$@" </dev/null 2>/dev/null | tr -d '\r'; }
demo() { wine 'C:\Program Files\opendo\dodemo.exe' "$@" </dev/null 2>/dev/null | tr -d '\r'; }

step "1. Install into the Wine prefix $WINEPREFIX"
bash "$top/scripts/install.sh"
service_stop
echo "DoSvc is $(service_state)"

step "2. A client (built against mingw-w64's <bits.h>) activates DeliveryOptimization and creates a job"
out=$(demo create "opendo demo job")
printf '%s\n' "$out" | grep -v '^JOB '
job=$(printf '%s\n' "$out" | awk '/^JOB / {print $2}')
[ -n "$job" ] || { echo "demo: CreateJob failed" >&2; exit 1; }
echo "DoSvc is $(service_state) (started on demand by CoCreateInstance)"

step "3. Stop and start the service with sc"
run wine sc stop DoSvc | grep -E 'STATE|SERVICE_NAME' || true
service_wait STOPPED
echo "DoSvc is $(service_state)"
run wine sc start DoSvc | grep -E 'STATE|SERVICE_NAME' || true
service_wait RUNNING
echo "DoSvc is $(service_state)"

step "4. GetJob($job) after the restart"
demo show "$job"

step "5. Kill the whole prefix hard (wineserver -k: no STOP control, as in a power loss)"
wineserver -k; wineserver -w
wine_prefix_up
echo "prefix restarted; DoSvc is $(service_state)"

step "6. GetJob($job) again: activation restarts the service, the job is still there"
demo show "$job"
grep 'job store' "$WINEPREFIX/drive_c/ProgramData/opendo/dosvc.log" | tail -n 1 | sed 's/^/log: /'

step "7. An unknown job id"
demo show "{00000000-1111-2222-3333-444444444444}" || true

doadmin="$top/build/bin/doadmin"
# Prints a doadmin command line, then runs it; the banner is shown once, on the first.
admin() {
    local arg
    printf '$ doadmin'
    for arg in "$@"; do case "$arg" in *' '*) printf ' "%s"' "$arg" ;; *) printf ' %s' "$arg" ;; esac; done
    printf '\n'
    if [ -n "${banner_shown:-}" ]; then "$doadmin" "$@" </dev/null | tail -n +4; else "$doadmin" "$@" </dev/null; fi
    banner_shown=1
}

step "8. The service's main job, through the admin tool: doadmin /transfer of a 256 MiB file from a web server (nginx on 127.0.0.1, 20 MB/s), with the service stopped and started under it"
www=$(mktemp -d /tmp/opendo-demo.XXXXXX)
trap 'loopback_nginx_stop; rm -rf "$www"' EXIT
mkdir -p "$www/www" "$WINEPREFIX/drive_c/Downloads"
head -c $((256 * 1024 * 1024)) /dev/urandom >"$www/www/demo.bin"
rm -f "$WINEPREFIX/drive_c/Downloads/demo.bin"
port=$(loopback_free_ports 1)
loopback_nginx_start "$www" "server { listen 127.0.0.1:$port; root $www/www; limit_rate 20m; }" ||
    { echo "demo: nginx did not start" >&2; exit 1; }
printf '$ doadmin /transfer "opendo demo download" /download /priority normal http://127.0.0.1:%s/demo.bin C:\\Downloads\\demo.bin\n' "$port"
"$doadmin" /transfer "opendo demo download" /download /priority normal "http://127.0.0.1:$port/demo.bin" \
    'C:\Downloads\demo.bin' </dev/null &
transfer=$!
sleep 5
printf '\n$ wine sc stop DoSvc      (in the middle of the transfer)\n'
wine sc stop DoSvc </dev/null >/dev/null 2>&1 || true
sleep 3
printf '$ wine sc start DoSvc\n'
wine sc start DoSvc </dev/null >/dev/null 2>&1 || true # doadmin's reconnection may have started it
wait "$transfer" || { echo "demo: doadmin /transfer failed" >&2; exit 1; }
echo "SHA-256 on the server:    $(sha256sum "$www/www/demo.bin" | cut -d' ' -f1)"
echo "SHA-256 in the prefix:    $(sha256sum "$WINEPREFIX/drive_c/Downloads/demo.bin" | cut -d' ' -f1)"

step "9. The download API of today (IDOManager / IDODownload), the way winget uses it: tools/dodownload.exe"
head -c $((32 * 1024 * 1024)) /dev/urandom >"$www/www/package.msix"
rm -f "$WINEPREFIX/drive_c/Downloads/package.msix"
printf '$ dodownload /foreground /name "winget-style download" http://127.0.0.1:%s/package.msix C:\\Downloads\\package.msix\n' "$port"
wine 'C:\Program Files\opendo\dodownload.exe' /foreground /name "winget-style download" \
    "http://127.0.0.1:$port/package.msix" 'C:\Downloads\package.msix' </dev/null | tr -d '\r' ||
    { echo "demo: dodownload failed" >&2; exit 1; }
echo "SHA-256 on the server:    $(sha256sum "$www/www/package.msix" | cut -d' ' -f1)"
echo "SHA-256 in the prefix:    $(sha256sum "$WINEPREFIX/drive_c/Downloads/package.msix" | cut -d' ' -f1)"
cmp -s "$www/www/package.msix" "$WINEPREFIX/drive_c/Downloads/package.msix" ||
    { echo "demo: the downloaded file differs" >&2; exit 1; }

step "10. A job a 404 broke, as an administrator sees it: doadmin /list /verbose, /status and /why"
"$doadmin" /create "broken link" </dev/null >/dev/null
"$doadmin" /addfile "broken link" "http://127.0.0.1:$port/no-such-file.bin" 'C:\Downloads\no-such-file.bin' </dev/null >/dev/null
"$doadmin" /resume "broken link" </dev/null >/dev/null
for i in $(seq 1 40); do
    [ "$("$doadmin" /rawreturn /getstate "broken link" </dev/null)" = Error ] && break
    sleep 0.5
done
admin /list /verbose
admin /status "broken link"
admin /why "broken link"
"$doadmin" /cancel "broken link" </dev/null >/dev/null
loopback_nginx_stop

step "Done"
service_stop
wine_prefix_down
cat <<TXT
The prefix stays installed: run any client against the service with
  WINEPREFIX=$WINEPREFIX wine client.exe
(DoSvc starts on demand), and administer it with
  build/bin/doadmin /list, /monitor, /why <job>, /perfsnap, /log, /util /version ... (docs/admin-guide.md)
The service log is
  $WINEPREFIX/drive_c/ProgramData/opendo/dosvc.log
TXT
