#!/usr/bin/env bash
# make demo: install opendo into build/wine and show its main job end to end: a client creates
# a job through DCOM (which starts DoSvc on demand), the service is stopped and started with
# sc, the whole prefix is killed hard, and GetJob finds the same job every time.
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

step "8. The service's main job: download a 64 MiB file from a web server (nginx on 127.0.0.1)"
www=$(mktemp -d /tmp/opendo-demo.XXXXXX)
trap 'loopback_nginx_stop; rm -rf "$www"' EXIT
mkdir -p "$www/www" "$WINEPREFIX/drive_c/Downloads"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$www/www/demo.bin"
rm -f "$WINEPREFIX/drive_c/Downloads/demo.bin"
port=$(loopback_free_ports 1)
loopback_nginx_start "$www" "server { listen 127.0.0.1:$port; root $www/www; }" ||
    { echo "demo: nginx did not start" >&2; exit 1; }
demo download "http://127.0.0.1:$port/demo.bin" 'C:\Downloads\demo.bin'
echo "SHA-256 on the server:    $(sha256sum "$www/www/demo.bin" | cut -d' ' -f1)"
echo "SHA-256 in the prefix:    $(sha256sum "$WINEPREFIX/drive_c/Downloads/demo.bin" | cut -d' ' -f1)"
loopback_nginx_stop

step "Done"
service_stop
wine_prefix_down
cat <<TXT
The prefix stays installed: run any client against the service with
  WINEPREFIX=$WINEPREFIX wine client.exe
(DoSvc starts on demand). The service log is
  $WINEPREFIX/drive_c/ProgramData/opendo/dosvc.log
TXT
