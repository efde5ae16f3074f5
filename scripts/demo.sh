#!/usr/bin/env bash
# make demo: install opendo into build/wine and show its main job end to end: a client creates
# a job through DCOM (which starts DoSvc on demand), the service is stopped and started with
# sc, the whole prefix is killed hard, and GetJob finds the same job every time. Then the
# administrator's view: doadmin /transfer downloads a large file from a local web server with
# live progress while the service is stopped and started under it (the transfer goes on, the
# hash is checked); a download made through the download API of today (IDOManager, as winget
# makes it: tools/dodownload.exe); doadmin /list /verbose, /status and /why explain a job a 404
# broke. Last, opendo becomes the prefix's BITS service (dosvc install --bits) in place of Wine's,
# a bitsadmin /transfer goes through CLSID_BackgroundCopyManager to DoSvc's process, sc stop BITS
# leaves DoSvc running, and dosvc uninstall --bits gives BITS back to Wine. And a fleet's cache
# host: scripts/cache-host.sh runs one (stock nginx), the policy DOCacheHost points the service
# at it, and two jobs fetch one file while the origin serves it once.
set -euo pipefail
# Refused before anything is sourced or started (wine-env.sh would take an argument as the prefix).
[ $# -eq 0 ] || { echo "demo.sh: unexpected argument '$1'" >&2; echo "usage: bash scripts/demo.sh   (no arguments; make demo)" >&2; exit 2; }
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
# A demo that fails while the prefix's BITS is opendo's gives it back (a switched prefix stays
# switched, even across make install).
bits_switched=
trap 'loopback_nginx_stop; bash "$top/scripts/cache-host.sh" stop --cache-dir "$www/cache" >/dev/null 2>&1
      wine reg delete "$policy_key" /f >/dev/null 2>&1 || true
      rm -rf "$www"; [ -z "$bits_switched" ] || dosvc uninstall --bits >/dev/null' EXIT
policy_key='HKLM\SOFTWARE\Policies\Microsoft\Windows\DeliveryOptimization'
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

step "11. opendo as the prefix's BITS service, and back"
# Prints a dosvc.exe command line, then runs it.
dosvc() {
    printf '$ wine dosvc.exe %s\n' "$*"
    wine 'C:\Program Files\opendo\dosvc.exe' "$@" </dev/null 2>&1 | tr -d '\r'
    return "${PIPESTATUS[0]}"
}
# Who serves BITS: the service's configuration (Wine 8's sc.exe has no qc: it is the registry's).
bits_service() {
    printf '$ wine reg query HKLM\\System\\CurrentControlSet\\Services\\BITS\n'
    wine reg query 'HKLM\System\CurrentControlSet\Services\BITS' </dev/null 2>/dev/null | tr -d '\r' |
        grep -E '^ +(DisplayName|ImagePath|Type) ' || true
}
# Shows doadmin /util /version's BITS line; fails the demo unless it says $1.
bits_version_line() {
    local line
    printf '$ doadmin /util /version | grep ^BITS\n'
    line=$("$doadmin" /util /version </dev/null | grep '^BITS ' || true)
    printf '%s\n' "$line"
    [[ "$line" == *": $1"* ]] || { echo "demo: BITS is not answered by $1" >&2; exit 1; }
}
bits_state() { run wine sc query BITS | grep -E '^\$|SERVICE_NAME|STATE' || true; }
log_path="$WINEPREFIX/drive_c/ProgramData/opendo/dosvc.log"
# A run killed in this step left the prefix switched (install.sh then keeps it so): give it back.
if wine reg query 'HKLM\Software\opendo\BITS' /v Switched </dev/null >/dev/null 2>&1; then
    dosvc uninstall --bits >/dev/null
fi
echo "-- Wine's own BITS answers first: svchost -k netsvcs, loading qmgr.dll (Wine 8's sc has no qc):"
bits_service
bits_version_line "Wine's qmgr"

printf '\n-- The switch:\n'
bits_switched=1
dosvc install --bits
bits_state
bits_version_line "opendo"

printf '\n-- A download the way a Windows admin script makes one (bitsadmin.exe is doadmin under that name,\n'
printf '   using CLSID_BackgroundCopyManager: the activation starts the BITS service on demand):\n'
head -c $((64 * 1024 * 1024)) /dev/urandom >"$www/www/bits-demo.bin"
rm -f "$WINEPREFIX/drive_c/Downloads/bits-demo.bin"
printf '$ wine bitsadmin /transfer "bits demo" http://127.0.0.1:%s/bits-demo.bin C:\\Downloads\\bits-demo.bin\n' "$port"
wine bitsadmin /transfer "bits demo" "http://127.0.0.1:$port/bits-demo.bin" 'C:\Downloads\bits-demo.bin' \
    </dev/null 2>/dev/null | tr -d '\r' >"$www/bits-transfer.out" &
transfer=$!
list=
for i in $(seq 1 40); do   # until the job shows up while it runs, or /transfer ends
    list=$(wine bitsadmin /list /allusers </dev/null 2>/dev/null | tr -d '\r' | tail -n +4 || true)
    grep -q ' bits demo ' <<<"$list" && break
    list=
    kill -0 "$transfer" 2>/dev/null || break
    sleep 0.5
done
if [ -n "$list" ]; then
    printf '$ wine bitsadmin /list /allusers      (while the transfer runs)\n%s\n' "$list"
else
    echo "(the transfer ended before bitsadmin /list /allusers could show it)"
fi
wait "$transfer" || { cat "$www/bits-transfer.out"; echo "demo: bitsadmin /transfer failed" >&2; exit 1; }
printf '(bitsadmin /transfer'"'"'s output)\n'
tail -n +4 "$www/bits-transfer.out" |   # without the banner; of the progress lines, the first and the last
    awk 'NR <= 2 { print; next } { line[NR] = $0 } END { if (NR > 4) print "...";
         for (i = (NR > 4 ? NR - 1 : 3); i <= NR; i++) print line[i] }'
echo "SHA-256 on the server:    $(sha256sum "$www/www/bits-demo.bin" | cut -d' ' -f1)"
echo "SHA-256 in the prefix:    $(sha256sum "$WINEPREFIX/drive_c/Downloads/bits-demo.bin" | cut -d' ' -f1)"
cmp -s "$www/www/bits-demo.bin" "$WINEPREFIX/drive_c/Downloads/bits-demo.bin" ||
    { echo "demo: the downloaded file differs" >&2; exit 1; }
echo "The service log: one process, DoSvc's, serves the BITS classes and made the job:"
grep -a -E 'service started, pid|serving the BITS classes, pid' "$log_path" | tail -n 2 | sed 's/^/log: /'
grep -a 'job.create.*"bits demo"' "$log_path" | tail -n 1 | sed 's/^/log: /'

printf '\n-- sc stop BITS ends the BITS service; DoSvc keeps running:\n'
bits_state
run wine sc stop BITS | grep -E '^\$|SERVICE_NAME|STATE' || true
service_wait STOPPED BITS || { echo "demo: BITS did not stop" >&2; exit 1; }
echo "BITS is $(service_state BITS), DoSvc is $(service_state)"
[ "$(service_state)" = RUNNING ] || { echo "demo: sc stop BITS stopped DoSvc" >&2; exit 1; }

printf '\n-- BITS given back to Wine:\n'
dosvc uninstall --bits
bits_switched=
bits_service
bits_version_line "Wine's qmgr"

step "12. A cache host for a fleet: stock nginx configured by scripts/cache-host.sh, named by the policy DOCacheHost; two jobs fetch one 64 MiB update, the origin serves it once"
chmod 755 "$www" # the cache's nginx workers run as www-data
head -c $((64 * 1024 * 1024)) /dev/urandom >"$www/www/update.bin"
cport=$(loopback_free_ports 1)
run bash "$top/scripts/cache-host.sh" start --listen "127.0.0.1:$cport" --cache-dir "$www/cache" --allow "127.0.0.1:$port"
printf '$ wine reg add %s /v DOCacheHost /t REG_SZ /d 127.0.0.1:%s\n' "$policy_key" "$cport"
wine reg add "$policy_key" /v DOCacheHost /t REG_SZ /d "127.0.0.1:$cport" /f </dev/null >/dev/null 2>&1
for i in $(seq 1 40); do # the service reads a changed policy at once
    "$doadmin" /config </dev/null 2>/dev/null | grep -q "^CacheHostInEffect: in use: 127.0.0.1:$cport" && break
    sleep 0.5
done
admin /config | grep -E '^(CacheHost|DownloadMode)'
for n in 1 2; do
    rm -f "$WINEPREFIX/drive_c/Downloads/update-$n.bin"
    "$doadmin" /create "update on machine $n" </dev/null >/dev/null
    "$doadmin" /addfile "update on machine $n" "http://127.0.0.1:$port/update.bin" "C:\\Downloads\\update-$n.bin" </dev/null >/dev/null
    "$doadmin" /resume "update on machine $n" </dev/null >/dev/null
    for i in $(seq 1 120); do
        [ "$("$doadmin" /rawreturn /getstate "update on machine $n" </dev/null)" = Transferred ] && break
        sleep 0.5
    done
    admin /status "update on machine $n" | grep -E '^(JobName|JobState|BytesFromHttp|BytesFromCacheServer|CacheHost) '
    "$doadmin" /complete "update on machine $n" </dev/null >/dev/null
    cmp -s "$www/www/update.bin" "$WINEPREFIX/drive_c/Downloads/update-$n.bin" ||
        { echo "demo: update-$n.bin differs from the origin's file" >&2; exit 1; }
    echo "SHA-256 in the prefix:    $(sha256sum "$WINEPREFIX/drive_c/Downloads/update-$n.bin" | cut -d' ' -f1)"
done
echo "SHA-256 on the server:    $(sha256sum "$www/www/update.bin" | cut -d' ' -f1)"
run bash "$top/scripts/cache-host.sh" stats --cache-dir "$www/cache"
wine reg delete "$policy_key" /f </dev/null >/dev/null 2>&1 || true
bash "$top/scripts/cache-host.sh" stop --cache-dir "$www/cache" </dev/null
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
