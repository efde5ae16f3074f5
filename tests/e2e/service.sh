#!/usr/bin/env bash
# The service end to end: activation starts it, jobs survive sc stop/start and a hard kill of the
# whole prefix (no STOP control, as in a power loss), unknown ids and bad input are refused.
. "$(dirname "$0")/lib.sh"

# --- activation starts the service on demand
service_stop
check "activation: DoSvc is stopped before the first client" [ "$(service_state)" = STOPPED ]
job1=$(create_job activation "first job, créé via DCOM" 2>/dev/null)
check "activation: CreateJob returned a job id" [ -n "$job1" ]
check "activation: CoCreateInstance started DoSvc" [ "$(service_state)" = RUNNING ]

# --- sc stop / sc start keeps the job
client "restart" expect "$job1" "first job, créé via DCOM"
service_stop
check "restart: sc stop DoSvc stops the service" [ "$(service_state)" = STOPPED ]
check "restart: clean stop is logged" grep -q "service stopped cleanly" "$log_path"
check "restart: sc start DoSvc starts it again" service_start
client "after sc stop/start" expect "$job1" "first job, créé via DCOM"

# --- hard kill of the whole prefix keeps the job (committed before CreateJob returned)
job2=$(create_job "power loss" "job created just before a hard kill" 2>/dev/null)
check "power loss: second job created" [ -n "$job2" ]
wineserver -k
wineserver -w
wine_prefix_up
client "after hard kill" expect "$job2" "job created just before a hard kill"
client "after hard kill" expect "$job1" "first job, créé via DCOM"
check "after hard kill: the service checked the store's integrity at start-up" \
    bash -c "grep 'job store' '$log_path' | tail -n 1 | grep -q 'integrity ok'"
if command -v sqlite3 >/dev/null; then
    # The store is the service's alone while it runs (locking_mode=EXCLUSIVE, docs/store.md).
    check "store: while DoSvc runs, another process cannot read the database (it is locked)" \
        bash -c "! sqlite3 -cmd '.timeout 200' '$db_path' 'SELECT count(*) FROM jobs' >/dev/null 2>&1"
    service_stop
    check "after hard kill: PRAGMA integrity_check on the database is ok (service stopped)" \
        bash -c "[ \"\$(sqlite3 '$db_path' 'PRAGMA integrity_check')\" = ok ]"
    service_start
fi

# --- a client built against mingw-w64's own <bits.h> (not our IDL) interoperates
demo_exe="$top/build/win/dodemo.exe"
demo_out=$(wine "$demo_exe" create "bits.h client job" </dev/null 2>/dev/null | tr -d '\r')
demo_job=$(printf '%s\n' "$demo_out" | awk '/^JOB / {print $2}')
check "bits.h client: CreateJob through mingw's IBackgroundCopyManager" [ -n "$demo_job" ]
check "bits.h client: GetJob finds its job again" \
    bash -c "wine '$demo_exe' show '$demo_job' </dev/null 2>/dev/null | tr -d '\r' | grep -q 'display name   bits.h client job'"
client "bits.h client job" expect "$demo_job" "bits.h client job"

# --- unknown ids, bad input, enumeration
client "unknown id" notfound
client "bad input" badinput
client "enumeration" enum "$job1" "$job2"
check "bad input: the service is still running" [ "$(service_state)" = RUNNING ]

# --- local names are checked with the caller's identity: a drive mapped onto /sys, where even
# root may not create files, stands for a directory the caller cannot write to
ln -sfn /sys "$WINEPREFIX/dosdevices/s:"
client "local path" localpath 'S:\opendo-denied.bin' 'C:\no-such-directory\file.bin'
rm -f "$WINEPREFIX/dosdevices/s:"
check "log: every created job is logged with its id, owner and event" \
    grep -qE "^[^ ]+ INFO  $job2 S-1-[0-9-]+ job\.create created by " "$log_path"

# --- limits come from the registry at start-up
limits_key='HKLM\SOFTWARE\opendo\Limits'
service_stop
wine reg add "$limits_key" /v MaxJobsPerUser /t REG_DWORD /d 1 /f </dev/null >/dev/null 2>&1
service_start
client "limits" limit
check "limits: the limit in force is logged" grep -q "limits: 1 jobs per user" "$log_path"
service_stop
wine reg delete "$limits_key" /f </dev/null >/dev/null 2>&1

# --- and the transfer settings: concurrency and the background bandwidth cap (KiB/s)
transfers_key='HKLM\SOFTWARE\opendo\Transfers'
wine reg add "$transfers_key" /v MaxBackgroundTransfers /t REG_DWORD /d 2 /f </dev/null >/dev/null 2>&1
wine reg add "$transfers_key" /v MaxBackgroundDownloadBandwidth /t REG_DWORD /d 512 /f </dev/null >/dev/null 2>&1
service_start
check "transfer settings: at most 2 background transfers, from the registry" \
    grep -q "at most 2 background transfer(s) at a time" "$log_path"
check "transfer settings: background downloads capped at 512 KiB/s, from the registry" \
    grep -q "background downloads capped at 524288 bytes/s" "$log_path"
service_stop
wine reg delete "$transfers_key" /f </dev/null >/dev/null 2>&1
service_start

# --- jobs older than 30 days are cancelled and removed at start-up (DO_E_JOB_TOO_OLD logged)
if command -v sqlite3 >/dev/null; then
    service_stop
    month_ago=$(( ($(date +%s) - 31 * 86400 + 11644473600) * 10000000 ))
    sqlite3 "$db_path" "UPDATE jobs SET creation_time = $month_ago WHERE id = (SELECT id FROM jobs LIMIT 1)"
    expected_left=$(( $(sqlite3 "$db_path" 'SELECT count(*) FROM jobs') - 1 ))
    service_start
    service_stop
    check "expiry: a job older than 30 days is removed at start-up" \
        [ "$(sqlite3 "$db_path" 'SELECT count(*) FROM jobs')" = "$expected_left" ]
    service_start
    check "expiry: its removal is logged with DO_E_JOB_TOO_OLD" grep -q "older than 30 days (DO_E_JOB_TOO_OLD 0x80d0200c)" "$log_path"
    client "expiry" notfound
fi
e2e_exit
