#!/usr/bin/env bash
# End-to-end: the administrator's diagnostics through doadmin and the service's admin interface
# (IOpendoAdmin): /config with the registry settings that set each value, /why of jobs stuck for
# different reasons (suspended without files, a 404, a server that is down, a bandwidth cap and
# the concurrency limit), /status, /perfsnap, /log with its filters, the log's rotation at the
# configured size, the event log source, /util /version and /util /repairservice after a
# registration was broken, and a /transfer that goes on across a service restart (SHA-256).
# A non-administrator's refusal cannot be shown under Wine (every caller is the same
# administrator); tests/unit/test_admin.c covers it with injected identities.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/opendo-diagnostics.XXXXXX)
. "$(dirname "$0")/doadmin_lib.sh"
command -v nginx >/dev/null || { not_ok "diagnostics: nginx is installed"; e2e_exit; }

dir="$WINEPREFIX/drive_c/opendo-tests/diagnostics"
win='C:\opendo-tests\diagnostics'
transfers_key='HKLM\SOFTWARE\opendo\Transfers'
log_key='HKLM\SOFTWARE\opendo\Log'
limits_key='HKLM\SOFTWARE\opendo\Limits'
policy_key='HKLM\SOFTWARE\Policies\Microsoft\Windows\DeliveryOptimization'
admin_class_key='HKLM\Software\Classes\CLSID\{6DA97CEB-34DE-4ADA-8415-25444291C60D}'
reg() { wine reg "$@" </dev/null >/dev/null 2>&1; }
restore_settings() {
    service_stop
    reg delete "$transfers_key" /f
    reg delete "$log_key" /f
    reg delete "$limits_key" /f
    reg delete "$policy_key" /f
}
cleanup() {
    "$doadmin" /reset </dev/null >/dev/null 2>&1
    restore_settings
    service_start
    loopback_nginx_stop
    rm -rf "$tmp" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/www" "$dir"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$tmp/www/capped.bin"
head -c $((48 * 1024 * 1024)) /dev/urandom >"$tmp/www/big.bin"
port=$(loopback_free_ports 1)
down=$(loopback_free_ports 1) # nothing listens there: connections are refused
check "diagnostics: nginx serves the files on 127.0.0.1:$port" loopback_nginx_start "$tmp" \
    "server { listen 127.0.0.1:$port; root $tmp/www; location /slow/ { alias $tmp/www/; limit_rate 6m; } }"
url="http://127.0.0.1:$port"
# has TEXT: the last stdout holds TEXT (a fixed string).
has() { grep -qF -- "$1" "$tmp/out" || { echo "#   missing: $1"; return 1; }; }
# has_all NAME TEXT...: the last run exited 0 and its stdout holds every TEXT.
has_all() {
    local name=$1 missing=0 text
    shift
    for text in "$@"; do has "$text" || missing=1; done
    if [ "$rc" = 0 ] && [ "$missing" = 0 ]; then ok "$name"; else
        not_ok "$name" "status $rc, stderr: $(head -c 300 "$tmp/err")"
        sed 's/^/#   | /' "$tmp/out" | head -n 40
    fi
}
# new_job NAME [REMOTE LOCAL]: a job (resumed when it has a file); its GUID in $job.
new_job() {
    da /create "$1"
    job=$(last_guid)
    [ -n "${2:-}" ] && "$doadmin" /addfile "$job" "$2" "$3" </dev/null >/dev/null 2>&1 &&
        "$doadmin" /resume "$job" </dev/null >/dev/null 2>&1
}

# ---- settings from the registry: /config names the value and where it came from ---------------
"$doadmin" /reset </dev/null >/dev/null 2>&1
service_stop
reg add "$transfers_key" /v MaxBackgroundTransfers /t REG_DWORD /d 1 /f
reg add "$transfers_key" /v MaxBackgroundDownloadBandwidth /t REG_DWORD /d 256 /f
reg add "$log_key" /v MaxLogSizeKB /t REG_DWORD /d 4 /f
reg add "$log_key" /v MaxLogFiles /t REG_DWORD /d 2 /f
reg add "$limits_key" /v MaxFilesPerJob /t REG_DWORD /d 0 /f # out of range: refused
reg add "$limits_key" /v MaxRangesPerFile /t REG_SZ /d 12 /f # not a REG_DWORD: refused
service_start
da /config
has_all "diagnostics: /config: values set in the registry, with their registry value as provider" \
    $'MaxBackgroundTransfers: 1\nMaxBackgroundTransfersProvider: Registry HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundTransfers' \
    $'MaxBackgroundDownloadBandwidth: 256\nMaxBackgroundDownloadBandwidthProvider: Registry HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundDownloadBandwidth' \
    $'MaxLogSizeKB: 4\nMaxLogSizeKBProvider: Registry HKLM\\SOFTWARE\\opendo\\Log\\MaxLogSizeKB' \
    $'MaxJobsPerUser: 200000\nMaxJobsPerUserProvider: Default' \
    $'DownloadMode: 99\n' 'DatabasePath: C:\ProgramData\opendo\jobs.db'
has_all "diagnostics: /config: a value out of range and a value of the wrong type leave the default" \
    $'MaxFilesPerJob: 10000\nMaxFilesPerJobProvider: Default' $'MaxRangesPerFile: 10000\nMaxRangesPerFileProvider: Default'
da /log /errors
has_all "diagnostics: /log /errors: the refused settings are logged with what was used instead" \
    'WARN  - - service.settings MaxFilesPerJob = 0 (Registry HKLM\SOFTWARE\opendo\Limits\MaxFilesPerJob) is out of range 1..4294967295: 10000 is used' \
    'WARN  - - service.settings Registry HKLM\SOFTWARE\opendo\Limits\MaxRangesPerFile is not a REG_DWORD'

# ---- Delivery Optimization's policies, read again as soon as they change -----------------------
# config_shows TEXT...: /config (retried while the service reads the change) holds every TEXT.
config_shows() {
    local tries text missing
    for tries in $(seq 40); do
        da /config
        missing=0
        for text in "$@"; do grep -qF -- "$text" "$tmp/out" || missing=1; done
        [ "$missing" = 0 ] && return 0
        sleep 0.5
    done
    for text in "$@"; do has "$text"; done
    return 1
}
reg add "$policy_key" /v DOCacheHost /t REG_SZ /d "cache1.example:8080, not a host!, [::1]:9" /f
reg add "$policy_key" /v DOCacheHostSource /t REG_DWORD /d 2 /f
reg add "$policy_key" /v DODelayCacheServerFallbackForeground /t REG_DWORD /d 0xffffffff /f
reg add "$policy_key" /v DODelayCacheServerFallbackBackground /t REG_DWORD /d 2592001 /f # out of range
reg add "$policy_key" /v DODownloadMode /t REG_DWORD /d 1 /f
reg add "$policy_key" /v DODisallowCacheServerDownloadsOnVPN /t REG_DWORD /d 1 /f
reg add "$policy_key" /v DOMaxForegroundDownloadBandwidth /t REG_DWORD /d 100 /f
check "diagnostics: policies set while the service runs: /config shows them with their provider" config_shows \
    $'DownloadMode: 1\nDownloadModeProvider: Registry HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeliveryOptimization\\DODownloadMode' \
    'DownloadModeInEffect: 1 (LAN: no peers are used by opendo, it downloads as in 99)' \
    $'CacheHost: cache1.example:8080, not a host!, [::1]:9\nCacheHostProvider: Registry HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DeliveryOptimization\\DOCacheHost' \
    'CacheHostInEffect: in use: cache1.example:8080,[::1]:9 (DHCP option 235 cannot be read' \
    'DOCacheHost is used instead (DOCacheHostSource 2))' $'CacheHostSource: 2\n' \
    $'DelayCacheServerFallbackForeground: -1 (never)\n' \
    $'DelayCacheServerFallbackBackground: 0\nDelayCacheServerFallbackBackgroundProvider: Default' \
    $'DisallowCacheServerDownloadsOnVPN: 1\n' $'MaxForegroundDownloadBandwidth: 100\n'
da /perfsnap
has_all "diagnostics: /perfsnap: the foreground cap of the policy applies at once" \
    'ForegroundBandwidthCap     : 102400 bytes/s'
da /log /errors
has_all "diagnostics: /log /errors: a refused cache host entry and an out-of-range delay are logged" \
    'service.settings cache hosts: "not a host!" not taken' \
    'service.settings DelayCacheServerFallbackBackground = 2592001 (Registry HKLM\SOFTWARE\Policies\Microsoft\Windows\DeliveryOptimization\DODelayCacheServerFallbackBackground) is out of range 0..2592000'
reg delete "$policy_key" /va /f
check "diagnostics: policies removed: /config is back to the defaults" config_shows \
    $'DownloadMode: 99\nDownloadModeProvider: Default' 'CacheHostInEffect: none in use (no cache host configured (DOCacheHost))'

# ---- /why of jobs stuck for different reasons ------------------------------------------------------
new_job "nothing yet"
empty=$job
da /why "nothing yet"
has_all "diagnostics: /why of a new job (by name): SUSPENDED, no files, what to do" \
    "Job $empty \"nothing yet\"" 'It is SUSPENDED: nothing happens until its owner or an administrator resumes it.' \
    'What you can do:' '  * it has no files yet: add them (doadmin /addfile <job> <url> <local>), then doadmin /resume <job>'

new_job "broken link" "$url/missing.bin" "$win\\missing.bin"
broken=$job
check "diagnostics: a job whose file is a 404 ends in ERROR" wait_state "$broken" 30 Error
da /why "$broken"
has_all "diagnostics: /why of a 404: ERROR, the code with its text, the HTTP status, the server's headers, what to do" \
    'It is in ERROR: it stopped and will not try again by itself.' \
    '  code:    0x80190194 - ' '  context: 5 - ' "  file:    0: $url/missing.bin -> $win\\missing.bin" \
    '  HTTP status: 404' "  The server's last response headers:" '    HTTP/1.1 404 Not Found' \
    '  * the server says the file does not exist: check the URL' \
    '  * doadmin /resume <job> tries again; doadmin /cancel <job> gives up' \
    'Recent log lines:' "transfer.error file 0: fatal-remote 0x80190194"

new_job "server down" "http://127.0.0.1:$down/file.bin" "$win\\down.bin"
downjob=$job
check "diagnostics: a job whose server is down goes to TRANSIENT_ERROR" wait_state "$downjob" 30 Transient_Error
da /why "$downjob"
has_all "diagnostics: /why of a server that is down: TRANSIENT_ERROR, when it retries, the error in words, what to do" \
    'It is in TRANSIENT_ERROR: the last attempt failed, and the service will try again by itself' \
    'Next retry: in ' '(its minimum retry delay is 600 s' \
    '  code:    0x80072EFD - No connection to the server could be made' '  context: 5 - ' \
    'No progress for ' 'DO_E_DOWNLOAD_NO_PROGRESS' '  * the server was not reachable from this machine' \
    '  * doadmin /resume <job> retries now'

# A background job held by the bandwidth cap (256 KiB/s), and one waiting for the only slot.
new_job "capped" "$url/capped.bin" "$win\\capped.bin"
capped=$job
check "diagnostics: the capped job transfers" wait_state "$capped" 30 Transferring
new_job "waiting" "$url/capped.bin" "$win\\waiting.bin"
waiting=$job
sleep 1
da /why "$capped"
has_all "diagnostics: /why of a capped job: TRANSFERRING, its rate, the cap and what to do about it" \
    'It is TRANSFERRING file 1 of 1: ' 'Background downloads share a cap of 262144 bytes (256.0 KiB) per second (MaxBackgroundDownloadBandwidth' \
    'MaxBackgroundDownloadBandwidth and the policy DOMaxBackgroundDownloadBandwidth (KiB/s, 0 = none' '/setpriority <job> FOREGROUND'
da /why "$waiting"
has_all "diagnostics: /why of a queued job: it waits for the only background slot, and what to do" \
    'It is QUEUED: it waits to download.' \
    'It waits for a free slot: 1 background download(s) run, the most allowed at once (MaxBackgroundTransfers = 1)' \
    'raise HKLM\SOFTWARE\opendo\Transfers\MaxBackgroundTransfers'

# ---- /status and /perfsnap ---------------------------------------------------------------------
da /status "$capped"
has_all "diagnostics: /status job: Get-DeliveryOptimizationStatus's fields for its file" \
    "JobId                : $capped" 'JobState             : TRANSFERRING' 'FileSize             : 8388608' \
    'Status               : Downloading' 'Priority             : Background' 'DownloadMode         : 99' \
    "SourceURL            : $url/capped.bin" "LocalPath            : $win\\capped.bin" \
    'BytesFromPeers       : 0' 'HttpConnectionCount  : ' 'ExpireOn             : '
live_statistics() {
    grep -qE '^BytesFromHttp +: [1-9][0-9]*$' "$tmp/out" && grep -qE '^HttpConnectionCount +: 1$' "$tmp/out" &&
        grep -qE '^DownloadDuration +: ' "$tmp/out" && ! grep -qE '^DownloadDuration +: 00:00:00\.000$' "$tmp/out"
}
check "diagnostics: /status job: the running transfer's bytes, connection and time count already" live_statistics
da /status
has_all "diagnostics: /status: a block per file of every job" "JobId                : $broken" \
    "JobId                : $waiting" "JobId                : $empty" 'Files                : 0'
da /perfsnap
has_all "diagnostics: /perfsnap: running and pending downloads, the limits, the database, disk space" \
    'BackgroundDownloadCount    : 1' 'BackgroundDownloadsPending : 2' 'MaxBackgroundTransfers     : 1' \
    'BackgroundBandwidthCap     : 262144 bytes/s' 'HttpConnections            : 1' 'JobCount                   : 5' \
    'DatabasePath               : C:\ProgramData\opendo\jobs.db' 'AvailableDiskBytes         : ' 'MemUsageKB'

# ---- /log and its filters --------------------------------------------------------------------
da /log /job "$broken"
only_job() { [ "$rc" = 0 ] && [ -s "$tmp/out" ] && ! tail -n +4 "$tmp/out" | grep -v " $broken " | grep -q .; }
check "diagnostics: /log /job: that job's lines only" only_job
has_all "diagnostics: /log /job: its creation, its file, the 404" "job.create created by" "job.files 1 file(s) added" \
    "ERROR $broken S-1-5-21-0-0-0-1000 transfer.error"
da /log /errors /lines 3
problems_only() { [ "$rc" = 0 ] && [ "$(tail -n +4 "$tmp/out" | wc -l)" = 3 ] && ! tail -n +4 "$tmp/out" | grep -qE '^[^ ]+ INFO '; }
check "diagnostics: /log /errors /lines 3: three WARN or ERROR lines" problems_only
da /log /since 2999-01-01
check "diagnostics: /log /since a later time: nothing after the banner" [ "$rc" = 0 -a "$(wc -l <"$tmp/out")" = 3 ]
da /log /since 10m /lines 100000
check "diagnostics: /log /since 10m: the lines of the last ten minutes" has "job.create created by"
da /log /since yesterday
check "diagnostics: /log /since with a bad time: exit 2, one line" exactly_one_error_line 2 '/since'

# The log's rotation at the configured size (4 KiB, 2 files kept): whole lines, within the cap.
# (The jobs go first: no transfer writes to the log while the files are compared below.)
"$doadmin" /reset </dev/null >/dev/null 2>&1
new_job "log filler"
for i in $(seq 1 40); do
    "$doadmin" /setdescription "$job" "description number $i, long enough to fill the log quickly" </dev/null >/dev/null 2>&1
done
logs="$WINEPREFIX/drive_c/ProgramData/opendo"
rotated() {
    local f
    for f in dosvc.log dosvc.log.1 dosvc.log.2; do
        [ -s "$logs/$f" ] && [ "$(stat -c %s "$logs/$f")" -le 4096 ] && [ "$(tail -c 1 "$logs/$f" | od -An -c | tr -d ' ')" = '\n' ] || return 1
    done
    [ ! -e "$logs/dosvc.log.3" ]
}
check "diagnostics: the log rotates at MaxLogSizeKB (4 KiB): dosvc.log, .1 and .2, whole lines, no .3" rotated
da /log /lines 100000
newest_kept() {
    local total
    total=$(cat "$logs/dosvc.log.2" "$logs/dosvc.log.1" "$logs/dosvc.log" | wc -l)
    [ "$(tail -n +4 "$tmp/out" | wc -l)" = "$total" ] &&
        [ "$(tail -n 1 "$tmp/out")" = "$(tail -n 1 "$logs/dosvc.log" | tr -d '\r')" ] &&
        tail -n 1 "$tmp/out" | grep -q "job.change description changed by" && return 0
    echo "#   $(tail -n +4 "$tmp/out" | wc -l) lines read back, $total in the files"
    return 1
}
check "diagnostics: /log reads every kept file, and the newest line is there" newest_kept

# ---- the event log source, the installation's health and its repair ------------------------------
event_source() {
    wine reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\opendo' /v EventMessageFile \
        </dev/null 2>/dev/null | tr -d '\r' | grep -qi 'REG_EXPAND_SZ.*\\dosvc\.exe'
}
check "diagnostics: the event log source opendo names dosvc.exe's message table" event_source
da /util /version
has_all "diagnostics: /util /version: every binary's version, the registrations, the service's own report" \
    'doadmin          : 0.9.0 (' 'dosvc.exe        : 0.9.0 (C:\Program Files\opendo\dosvc.exe)' \
    'doproxy.dll      : 0.9.0 (C:\Program Files\opendo\doproxy.dll)' 'Service DoSvc    : registered, RUNNING; can start: yes' \
    'COM classes      : DeliveryOptimization and OpendoAdmin, started as DoSvc' 'Event log source : opendo (Application)' \
    'Service       : opendo DoSvc 0.9.0' 'SQLite        : 3.' 'HTTP          : libcurl ' 'SchemaVersion : 8'
reg delete "$admin_class_key" /f
da /util /version
check "diagnostics: /util /version with a class registration removed: exit 1, the part named" \
    exactly_one_error_line 1 'missing or broken: doadmin /util /repairservice repairs them'
check "diagnostics: /util /version names the broken part" has 'COM classes      : NOT registered'
da /util /repairservice
has_all "diagnostics: /util /repairservice registers everything again" \
    'COM classes      : DeliveryOptimization and OpendoAdmin, started as DoSvc' \
    "The service's registration is complete."
da /util /version
check "diagnostics: /util /version after the repair: exit 0" [ "$rc" = 0 ]
da /util
check "diagnostics: /util without /version or /repairservice: exit 2" exactly_one_error_line 2 'usage: doadmin /util'

# ---- /transfer goes on across a service restart -------------------------------------------------
"$doadmin" /reset </dev/null >/dev/null 2>&1
restore_settings
service_start
"$doadmin" /transfer "across a restart" "$url/slow/big.bin" "$win\\big.bin" >"$tmp/transfer.out" 2>&1 </dev/null &
transfer_pid=$!
for i in $(seq 1 60); do grep -q 'state=TRANSFERRING' "$tmp/transfer.out" && break; sleep 0.25; done
sleep 2
wine sc stop DoSvc </dev/null >/dev/null 2>&1
finish "$transfer_pid" "" 120
if [ "$rc" = 0 ]; then
    ok "diagnostics: /transfer across a service restart: it waits, finds the job again and completes (exit 0)"
else
    not_ok "diagnostics: /transfer across a service restart: it waits, finds the job again and completes (exit 0)" "status $rc"
    grep -v '^job=' "$tmp/transfer.out" | tail -n 8 | sed 's/^/#   /'
    tail -n 2 "$tmp/transfer.out" | sed 's/^/#   /'
fi
check "diagnostics: /transfer across a service restart: it said so" \
    grep -q 'Found job .* again; the transfer goes on where it was.' "$tmp/transfer.out"
check "diagnostics: /transfer across a service restart: big.bin matches (SHA-256)" \
    same_file "$tmp/www/big.bin" "$dir/big.bin"
e2e_exit
