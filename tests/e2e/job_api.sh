#!/usr/bin/env bash
# End-to-end: the job API across processes (job_api_client.exe, tests/e2e/job_api_client.c).
# Every slot of IBackgroundCopyJob..Job5, IDeliveryOptimizationJob/Job2,
# IBackgroundCopyJobHttpOptions and the manager is called through DCOM with real values; the values
# set survive sc stop / sc start, the notify interface does not. The client's check lines ("job api: ...") go to stdout; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/job_api_client.exe"
if [ ! -f "$exe" ]; then
    not_ok "job api: job_api_client.exe is built" "$exe is missing"
    e2e_exit
fi
# The local names of the jobs' files live here (C:\opendo-tests\job-api\).
mkdir -p "$WINEPREFIX/drive_c/opendo-tests/job-api"

client_program=$exe client_label="job api: job_api_client"
# The value of the first "TAG value..." line of the last command's output.
tagged() { printf '%s\n' "$out" | awk -v tag="$1" '$1 == tag { $1 = ""; sub(/^ /, ""); print; exit }'; }

check "job api: DoSvc is running" service_start

# --- jobs whose values must survive the restart
run_client props
props_job=$(tagged JOB)
props_times=$(tagged TIMES)
check "job api: props printed its job id" [ -n "$props_job" ]
run_client notify
notify_job=$(tagged JOB)
check "job api: notify printed its job id" [ -n "$notify_job" ]
run_client queued
queued_job=$(tagged JOB)
check "job api: queued printed its job id" [ -n "$queued_job" ]
run_client http
http_job=$(tagged JOB)
check "job api: http printed its job id" [ -n "$http_job" ]

# --- everything that needs no restart
run_client states
run_client files
run_client errors
run_client slots
run_client owner
check "job api: DoSvc is still running after the API calls" [ "$(service_state)" = RUNNING ]

# --- sc stop / sc start: every value is read back from the store
service_stop
check "job api: sc stop DoSvc stops the service" [ "$(service_state)" = STOPPED ]
# Credentials are stored DPAPI-encrypted: the password set by 'props' must appear nowhere in the
# database files (jobs.db, -wal, -shm), neither as UTF-8 nor as UTF-16.
check "job api: the credential password is not stored in clear" python3 -c '
import glob, sys
data = b"".join(open(f, "rb").read() for f in glob.glob(sys.argv[1] + "*"))
secret = "kept across restarts"
sys.exit(not data or any(secret.encode(e) in data for e in ("utf-8", "utf-16-le")))' "$db_path"
check "job api: sc start DoSvc starts it again" service_start
if [ -n "$props_job" ] && [ -n "$notify_job" ] && [ -n "$queued_job" ]; then
    # shellcheck disable=SC2086 # props_times is two words (creation, modification) or empty
    run_client verify "$props_job" "$notify_job" "$queued_job" $props_times
else
    not_ok "job api: after restart: the jobs to verify exist"
fi
if [ -n "$http_job" ]; then
    run_client http "$http_job"
else
    not_ok "job api: after restart: the http options job to verify exists"
fi

# --- the service downloads: nginx on 127.0.0.1 serves a 5 MiB file; the job brings it into the
# prefix (TRANSFERRED, Complete) and the SHA-256 of both sides match. With arguments, from
# /private/ (Basic: alice / s3cret) with those credentials (SetCredentials, DPAPI in the store).
download_check() {
    local tmp port status=1 path=/data.bin
    [ $# -gt 0 ] && path=/private/data.bin
    command -v nginx >/dev/null || { echo "#   nginx is not installed"; return 1; }
    tmp=$(mktemp -d /tmp/opendo-download.XXXXXX) || return 1
    mkdir -p "$tmp/www"
    head -c $((5 * 1024 * 1024)) /dev/urandom >"$tmp/www/data.bin"
    rm -f "$WINEPREFIX/drive_c/opendo-tests/job-api/download.bin"
    port=$(loopback_free_ports 1)
    printf 'alice:{PLAIN}s3cret\n' >"$tmp/htpasswd"
    if loopback_nginx_start "$tmp" "server { listen 127.0.0.1:$port; root $tmp/www;
            location /private/ { auth_basic opendo; auth_basic_user_file $tmp/htpasswd; alias $tmp/www/; } }" &&
       run_client download "http://127.0.0.1:$port$path" "$@"; then
        local want got
        want=$(sha256sum "$tmp/www/data.bin" | awk '{print $1}')
        got=$(sha256sum "$WINEPREFIX/drive_c/opendo-tests/job-api/download.bin" 2>/dev/null | awk '{print $1}')
        echo "#   source $want, downloaded ${got:-missing}"
        [ -n "$got" ] && [ "$got" = "$want" ] && status=0
    fi
    loopback_nginx_stop
    rm -rf "$tmp" "$WINEPREFIX/drive_c/opendo-tests/job-api/download.bin"
    return "$status"
}
check "job api: download: the service downloads a 5 MiB file over http (SHA-256 of both sides match)" download_check
check "job api: download with credentials: Basic credentials reach the server (SHA-256 of both sides match)" \
    download_check alice s3cret

check "job api: the service logged the changes" grep -q "description changed by" "$log_path"
check "job api: the service logged the security flags change" grep -q "security flags changed by" "$log_path"
e2e_exit
