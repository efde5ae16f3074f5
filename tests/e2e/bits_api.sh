#!/usr/bin/env bash
# End-to-end: BITS semantics through the BITS classes (docs/bits.md). The prefix is switched to
# opendo's BITS (bits_switch_on) and back at the end (bits_switch_off); build/win/tests/
# bits_api_client.exe (tests/e2e/bits_api_client.c, mingw-w64's own BITS headers) is the client.
# Checked: every versioned class activates; BITS codes (BG_E_*) and interfaces of BITS jobs and
# files; a DO job invisible through BITS and a BITS job invisible through DO; a download from
# nginx byte-exact, with JobTransferred and FileTransferred; a 404 as BG_E_HTTP_ERROR_404 in
# context REMOTE_FILE with its texts; the BITS policy MaxJobsPerUser (doadmin /config, the log,
# the administrators' exemption); a BITS job surviving sc stop/start of BITS and of DoSvc and a
# hard kill, found again through a BITS class in the same state, then completing byte-exact.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/bits_api_client.exe"
[ -f "$exe" ] || { not_ok "bits api: bits_api_client.exe is built (make all)"; e2e_exit; }
command -v nginx >/dev/null || { not_ok "bits api: nginx is installed"; e2e_exit; }

tmp=$(mktemp -d /tmp/opendo-bits-api.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/bits"   # C:\opendo-tests\bits\ in the prefix
policy_key='HKLM\Software\Policies\Microsoft\Windows\BITS'
cleanup() {
    wine reg delete "$policy_key" /f </dev/null >/dev/null 2>&1
    bits_switch_off >/dev/null 2>&1
    loopback_nginx_stop
    rm -rf "$tmp" "$dest"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client_program=$exe client_label="bits api: bits_api_client" client_timeout=300

# sc_do stop|start SERVICE STATE: the control, then a wait for the state.
sc_do() { wine sc "$1" "$2" </dev/null >/dev/null 2>&1; service_wait "$3" "$2"; }

# Whether a dosvc.exe of this prefix runs (other prefixes' are not ours).
dosvc_running() {
    local pid
    for pid in $(pgrep -f 'opendo.dosvc\.exe'); do
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "WINEPREFIX=$WINEPREFIX" && return 0
    done
    return 1
}
# Waits (up to ~10 s) until none is left: a kill takes effect asynchronously.
dosvc_gone() {
    local i
    for i in $(seq 1 50); do
        dosvc_running || return 0
        sleep 0.2
    done
    return 1
}

# ---- the switch --------------------------------------------------------------------------------
check "bits api: the prefix is switched to opendo's BITS (bits_switch_on)" bits_switch_on
mkdir -p "$www" "$dest"
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$www/d.bin"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$www/p.bin"
port=$(loopback_free_ports 1)
check "bits api: nginx serves the sources on 127.0.0.1:$port" \
    loopback_nginx_start "$tmp" "server { listen 127.0.0.1:$port; root $www; }"
url="http://127.0.0.1:$port"

# ---- classes, codes, interfaces, visibility -------------------------------------------------
run_client classes
run_client api
run_client cross

# ---- a download, with callbacks, byte-exact -------------------------------------------------
run_client download "$url/d.bin" 'C:\opendo-tests\bits\d.bin'
check "bits api: download: the completed file is the source, byte for byte (SHA-256)" \
    same_file "$www/d.bin" "$dest/d.bin"
job=$(tagged JOB)
logged_as_bits_job() { grep -F "$1" "$log_path" | grep -qE " job\.create created by S-1-[0-9-]+ as a BITS job, "; }
check "bits api: download: the log says the job was created as a BITS job" logged_as_bits_job "$job"

# ---- HTTP 404 ---------------------------------------------------------------------------------
run_client error "$url/missing.bin" 'C:\opendo-tests\bits\missing.bin'
check "bits api: 404: nothing is left at the destination" test ! -e "$dest/missing.bin"

# ---- the BITS policies ------------------------------------------------------------------------
sc_do stop BITS STOPPED
sc_do stop DoSvc STOPPED
wine reg add "$policy_key" /v MaxJobsPerUser /t REG_DWORD /d 2 /f </dev/null >/dev/null 2>&1
wine reg add "$policy_key" /v JobInactivityTimeout /t REG_DWORD /d 7 /f </dev/null >/dev/null 2>&1
check "bits api: policy: BITS starts again" sc_do start BITS RUNNING
run_client limit 2
if [ "$(tagged ADMIN)" = 1 ]; then
    # Under Wine every client is an administrator (even with a restricted token, the service
    # sees the process's user): exempt, as with BITS. The refusal is in tests/unit/test_bits_rules.
    check "bits api: policy: an administrator is exempt from MaxJobsPerUser 2 (3 jobs made)" \
        test "$(tagged CREATED)" = 3 -a "$(tagged REFUSED)" = 0x00000000
else
    check "bits api: policy: the third job over MaxJobsPerUser 2 is BG_E_TOO_MANY_JOBS_PER_USER" \
        test "$(tagged CREATED)" = 2 -a "$(tagged REFUSED)" = 0x80200049
fi
check "bits api: policy: the service logs the BITS limits in force" \
    grep -q "BITS jobs (administrators and service accounts exempt): limits: 2 jobs per user, 300 per machine, 200 files per job, 500 ranges per file" "$log_path"
config=$("$OPENDO_BIN_DIR/doadmin" /config 2>/dev/null | tr -d '\r')
check "bits api: policy: doadmin /config shows BitsMaxJobsPerUser 2 from the BITS policy key" \
    grep -qx 'BitsMaxJobsPerUserProvider: Registry HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\BITS\\MaxJobsPerUser' <<<"$config"
check "bits api: policy: ... with its value" grep -qx 'BitsMaxJobsPerUser: 2' <<<"$config"
check "bits api: policy: doadmin /config shows BitsJobInactivityTimeout 7 (days)" \
    grep -qx 'BitsJobInactivityTimeout: 7' <<<"$config"
check "bits api: policy: BitsMaxFilesPerJob keeps its default 200" \
    grep -qx 'BitsMaxFilesPerJob: 200' <<<"$config"
check "bits api: policy: the DO limit keeps opendo's own default" grep -qx 'MaxJobsPerUser: 200000' <<<"$config"
sc_do stop BITS STOPPED
sc_do stop DoSvc STOPPED
wine reg delete "$policy_key" /f </dev/null >/dev/null 2>&1

# ---- persistence: sc stop/start of BITS and of DoSvc, then a hard kill ------------------------
run_client create "$url/p.bin" 'C:\opendo-tests\bits\p.bin'
job=$(tagged JOB)
check "bits api: persistence: a SUSPENDED BITS job with one file (${job:-none})" test -n "$job"
check "bits api: persistence: sc stop BITS" sc_do stop BITS STOPPED
check "bits api: persistence: sc start BITS" sc_do start BITS RUNNING
run_client find "$job"
check "bits api: persistence: sc stop DoSvc" sc_do stop DoSvc STOPPED
check "bits api: persistence: BITS stopped with it, or stops" sc_do stop BITS STOPPED
run_client find "$job"
# A hard kill of dosvc.exe, then the prefix restarts: under Wine 8 a killed service stays
# "RUNNING" with a stale class registration until the prefix restarts (toolchain notes).
check "bits api: persistence: dosvc.exe runs (the activation started it)" dosvc_running
wine taskkill /F /IM dosvc.exe </dev/null 2>&1 | tr -d '\r' | sed 's/^/# taskkill: /'
check "bits api: persistence: every dosvc.exe was killed (taskkill /F)" dosvc_gone
wineserver -k >/dev/null 2>&1
wineserver -w >/dev/null 2>&1
# Up again as the runner brings it up: with a persistent wineserver. A wineserver that some
# client started on the way ends the prefix 3 s after its last client, services included, and
# every later script would see DoSvc vanish in the middle of its downloads.
check "bits api: persistence: the prefix is up again" wine_prefix_up
run_client resume-complete "$job" 'C:\opendo-tests\bits\p.bin'
check "bits api: persistence: the job completes byte-exact after the restarts and the kill" \
    same_file "$www/p.bin" "$dest/p.bin"

check "bits api: the prefix gets Wine's BITS back (bits_switch_off)" bits_switch_off
e2e_exit
