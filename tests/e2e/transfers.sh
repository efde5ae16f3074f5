#!/usr/bin/env bash
# End-to-end: downloads through the real service. build/win/tests/transfers_client.exe
# (tests/e2e/transfers_client.c) drives DoSvc over DCOM; nginx (well-behaved, http and https) and
# tests/fault_server.py (faults on demand, /stats of the bytes it served) run on 127.0.0.1. Each
# case checks what really happened: SHA-256 of the file in the prefix against the source, job
# states, error codes and contexts, and the bytes the server sent. The cases are listed in
# docs/transfer.md ("Tests").
. "$(dirname "$0")/lib.sh"
. "$top/scripts/test-pki.sh"

exe="$top/build/win/tests/transfers_client.exe"
tls_exe="$top/build/win/tests/tls_client.exe"
for f in "$exe" "$tls_exe"; do
    [ -f "$f" ] || { not_ok "transfers: $(basename "$f") is built (make all)"; e2e_exit; }
done
for tool in nginx openssl python3; do
    command -v "$tool" >/dev/null || { not_ok "transfers: $tool is installed"; e2e_exit; }
done

MiB=$((1024 * 1024))
tmp=$(mktemp -d /tmp/opendo-transfers.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/transfers"   # C:\opendo-tests\transfers\ in the prefix
ca_imported=
cleanup() {
    [ -n "$ca_imported" ] &&
        wine "$tls_exe" remove-ca "$(winepath -w "$tmp/ca.pem" 2>/dev/null)" </dev/null >/dev/null 2>&1
    stop_fault_server
    loopback_nginx_stop
    rm -rf "$tmp" "$dest"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client_program=$exe client_label="transfers: transfers_client" client_timeout=180

# refetched PATH SIZE: the bytes the fault server sent for PATH beyond SIZE (nothing if unknown).
refetched() {
    local bytes
    bytes=$(fault_stat "$1" bytes)
    [ -n "$bytes" ] && echo $((bytes - $2))
}
matches() { [[ $1 =~ $2 ]]; }
# ranges_on_disk SOURCE FILE OFF:LEN,...: FILE holds the ranges of SOURCE one after another, in
# the order given, and nothing else (BITS' AddFileWithRanges layout; docs/transfer.md).
ranges_on_disk() {
    python3 -c '
import sys
src = open(sys.argv[1], "rb").read()
got = open(sys.argv[2], "rb").read()
ranges = [tuple(map(int, r.split(":"))) for r in sys.argv[3].split(",")]
sys.exit(got != b"".join(src[o:o + n] for o, n in ranges))' "$@"
}
# expect NAME ACTUAL OP WANTED [DETAIL]: a numeric or string comparison reported as one check.
expect() {
    local name=$1 got=$2 op=$3 want=$4
    if [ -n "$got" ] && [ "$got" "$op" "$want" ]; then
        ok "$name"
    else
        not_ok "$name" "got ${got:-nothing}, want $op $want${5:+ ($5)}"
    fi
}

# ---- sources, servers, PKI -------------------------------------------------------------------
mkdir -p "$www"
make_sources() {
    head -c $((MiB + 1)) /dev/urandom >"$www/m1.bin" &&
        head -c $((3 * MiB)) /dev/urandom >"$www/m2.bin" &&
        : >"$www/m3.bin" &&
        head -c $((256 * MiB)) /dev/urandom >"$www/big.bin" &&
        head -c $((2 * MiB)) /dev/urandom >"$www/f.bin" &&
        head -c $((6 * MiB)) /dev/urandom >"$www/paced.bin" &&
        head -c $((32 * MiB)) /dev/urandom >"$www/kill.bin" &&
        head -c $((3 * MiB)) /dev/urandom >"$www/machine.bin"
}
pki() {
    cd "$tmp" &&
        pki_ca ca "opendo transfers CA $$" && pki_ca other "opendo untrusted CA $$" &&
        pki_leaf localhost ca trusted &&
        pki_leaf localhost other untrusted && cat untrusted.pem other.pem >untrusted-chain.pem &&
        pki_leaf otherhost ca wrongname
}
start_nginx() {
    local attempt blocks p
    for attempt in 1 2 3 4 5; do
        read -r http_port p_trusted p_untrusted p_wrongname <<<"$(loopback_free_ports 4)"
        blocks="  server { listen 127.0.0.1:$http_port; root $www; location /forbidden/ { deny all; } }"
        for p in trusted:trusted untrusted:untrusted-chain wrongname:wrongname; do
            local var="p_${p%%:*}"
            blocks+=$'\n'"  server { listen 127.0.0.1:${!var} ssl; root $www;"
            blocks+=" ssl_certificate $tmp/${p#*:}.pem; ssl_certificate_key $tmp/${p%%:*}.key; }"
        done
        loopback_nginx_start "$tmp" "$blocks" && return 0
    done
    return 1
}
if ! make_sources; then
    not_ok "transfers: the source files are made" "$(df -h "$tmp" | tail -n 1)"
    e2e_exit
fi
if ! (pki) >"$tmp/pki.log" 2>&1; then
    not_ok "transfers: a test PKI made with openssl" "$(tail -n 3 "$tmp/pki.log")"
    e2e_exit
fi
if ! start_nginx || ! start_fault_server "$www" "$tmp"; then
    not_ok "transfers: nginx and the fault server listen on 127.0.0.1" \
        "$(tail -n 3 "$tmp/nginx-error.log" "$tmp/fault.err" 2>/dev/null)"
    e2e_exit
fi
ok "transfers: sources, PKI, nginx (http, https) and the fault server are ready"
echo "#   nginx http :$http_port, https :$p_trusted :$p_untrusted :$p_wrongname; fault server :$fault_port"
nginx_url="http://127.0.0.1:$http_port"
fault_url="http://127.0.0.1:$fault_port"
mkdir -p "$dest"/{multi,big,https,status,retry,drop,suspend,cancel,kill,noprogress,ranges,machine}

# ---- 1. three files in one job (the last one empty) ------------------------------------------
run_client complete "multi-file job" total=$((4 * MiB + 1)) \
    'multi\m1.bin' "$nginx_url/m1.bin" 'multi\m2.bin' "$nginx_url/m2.bin" 'multi\m3.bin' "$nginx_url/m3.bin"
for f in m1 m2 m3; do
    check "transfers: multi-file job: $f.bin: SHA-256 of both sides match" same_file "$www/$f.bin" "$dest/multi/$f.bin"
done

# ---- 2. 256 MiB ------------------------------------------------------------------------------
run_client complete "256 MiB file" total=$((256 * MiB)) timeout=120 'big\big.bin' "$nginx_url/big.bin"
check "transfers: 256 MiB file: SHA-256 of both sides match" same_file "$www/big.bin" "$dest/big/big.bin"
rm -f "$www/big.bin" "$dest/big/big.bin"

# ---- 3. HTTPS: the service's own certificate check (service/security/tls_verify.c) --------------------
# The test CA goes into the prefix's LocalMachine\Root; the service is stopped so that it reads
# the root store afresh (a chain engine reads it once per process) and starts again on demand.
ca_imported=1
import_out=$(wine "$tls_exe" import-ca "$(winepath -w "$tmp/ca.pem" 2>/dev/null)" </dev/null 2>/dev/null | tr -d '\r')
check "transfers: https: the test CA is imported into LocalMachine\\Root" \
    bash -c 'grep -q "^ok - " <<<"$1" && ! grep -q "^not ok - " <<<"$1"' _ "$import_out"
service_stop
run_client complete "https, trusted CA" 'https\trusted.bin' "https://localhost:$p_trusted/f.bin"
check "transfers: https, trusted CA: SHA-256 of both sides match" same_file "$www/f.bin" "$dest/https/trusted.bin"
run_client error "https, untrusted CA" 'https\untrusted.bin' "https://localhost:$p_untrusted/f.bin" 0x80D05002 5
run_client error "https, certificate for another host" 'https\wrongname.bin' \
    "https://localhost:$p_wrongname/f.bin" 0x80D05002 5
# A job's BG_SSL_IGNORE_UNKNOWN_CA (SetSecurityFlags 0x8) lets the untrusted CA pass, and says so in
# the log every time; an administrator's AllowJobCertificateErrors = 0 overrules it.
run_client complete "https, untrusted CA, BG_SSL_IGNORE_UNKNOWN_CA" securityflags=0x8 \
    'https\ignored.bin' "https://localhost:$p_untrusted/f.bin"
check "transfers: https, untrusted CA, BG_SSL_IGNORE_UNKNOWN_CA: SHA-256 of both sides match" \
    same_file "$www/f.bin" "$dest/https/ignored.bin"
check "transfers: https, BG_SSL_IGNORE_UNKNOWN_CA: the service logged the check it skipped (WARN tls.ignore)" \
    grep -q "WARN .* tls.ignore file 0: the job's security flags (BG_SSL_IGNORE_UNKNOWN_CA) let these certificate errors pass for https://localhost:$p_untrusted/" "$log_path"
# The download API's SecurityFlags (WinHTTP's SECURITY_FLAG_IGNORE_UNKNOWN_CA 0x100), through
# dodownload (IDOManager, as winget): the same rule, logged under the name the client used.
dodownload() {
    timeout 120 wine 'C:\Program Files\opendo\dodownload.exe' "$@" </dev/null >"$tmp/dodownload.out" 2>&1
}
dodownload /timeout 20 "https://localhost:$p_untrusted/f.bin" 'C:\dl-refused.bin'
expect "transfers: download API, https, untrusted CA, no SecurityFlags: refused (exit 1)" "$?" -eq 1 \
    "$(tail -n 1 "$tmp/dodownload.out" | tr -d '\r')"
dodownload /securityflags 0x100 "https://localhost:$p_untrusted/f.bin" "$(winepath -w "$dest/https/do-ignored.bin" 2>/dev/null)"
expect "transfers: download API, https, untrusted CA, SecurityFlags 0x100: dodownload exits 0" "$?" -eq 0 \
    "$(tail -n 1 "$tmp/dodownload.out" | tr -d '\r')"
check "transfers: download API, https, untrusted CA, SecurityFlags 0x100: SHA-256 of both sides match" \
    same_file "$www/f.bin" "$dest/https/do-ignored.bin"
check "transfers: download API, SecurityFlags 0x100: the service logged the check it skipped by its WinHTTP name" \
    grep -q "WARN .* tls.ignore file 0: the job's security flags (SECURITY_FLAG_IGNORE_UNKNOWN_CA) let these certificate errors pass for https://localhost:$p_untrusted/" "$log_path"
service_stop
wine reg add 'HKLM\SOFTWARE\opendo\Security' /v AllowJobCertificateErrors /t REG_DWORD /d 0 /f </dev/null >/dev/null 2>&1
run_client error "https, untrusted CA, BG_SSL_IGNORE_UNKNOWN_CA overruled by AllowJobCertificateErrors 0" \
    securityflags=0x8 'https\overruled.bin' "https://localhost:$p_untrusted/f.bin" 0x80D05002 5
service_stop
wine reg delete 'HKLM\SOFTWARE\opendo\Security' /f </dev/null >/dev/null 2>&1

# ---- 4. HTTP 404 and 403 ---------------------------------------------------------------------
run_client error "HTTP 404" 'status\404.bin' "$nginx_url/missing.bin" 0x80190194 5
# MaximumDownloadTime 1 s on a transfer that takes 90 s: ERROR BG_E_MAXDOWNLOAD_TIMEOUT, GENERAL_QUEUE_MANAGER
run_client error "maximum download time" maxtime=1 kept=1 'status\maxtime.bin' "$fault_url/rate/65536/paced.bin" 0x80200054 2
run_client error "HTTP 403" 'status\403.bin' "$nginx_url/forbidden/f.bin" 0x80190193 5

# ---- 5. transient errors: 500 twice, then the file; 503 with Retry-After ----------------------
run_client complete "HTTP 500 twice, then recovery" retry=1 transient=0x801901F4 errors=2 wait=1800 timeout=10 \
    'retry\flaky.bin' "$fault_url/flaky/2/f.bin"
check "transfers: HTTP 500 twice, then recovery: SHA-256 of both sides match" \
    same_file "$www/f.bin" "$dest/retry/flaky.bin"
expect "transfers: HTTP 500 twice, then recovery: the server saw 3 requests" \
    "$(fault_stat /flaky/2/f.bin requests)" -eq 3
# MinimumRetryDelay 0: only the server's Retry-After (2 s) can keep the job waiting.
run_client complete "HTTP 503 with Retry-After: 2" retry=0 transient=0x801901F7 errors=1 wait=1800 timeout=10 \
    'retry\after.bin' "$fault_url/retry-after/2/f.bin"
check "transfers: HTTP 503 with Retry-After: 2: SHA-256 of both sides match" \
    same_file "$www/f.bin" "$dest/retry/after.bin"

# ---- 6. the connection drops after every 512 KiB: resumed with Range each time ---------------
run_client complete "mid-body drops" retry=0 errors=3 'drop\f.bin' "$fault_url/drop/524288/f.bin"
check "transfers: mid-body drops: SHA-256 of both sides match" same_file "$www/f.bin" "$dest/drop/f.bin"
expect "transfers: mid-body drops: each request resumed where the last one was cut" \
    "$(fault_stat /drop/524288/f.bin starts)" = "0 524288 1048576 1572864"
expect "transfers: mid-body drops: no byte was fetched twice (bytes served = file size)" \
    "$(fault_stat /drop/524288/f.bin bytes)" -eq $((2 * MiB))

# ---- redirects: BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT makes the final URL the remote name ------------
run_client complete "redirect, ALLOW_SILENT" remote="$fault_url/redirect/2/f.bin" \
    'retry\silent.bin' "$fault_url/redirect/2/f.bin"
run_client complete "redirect, ALLOW_REPORT" securityflags=0x100 remote="$fault_url/redirect/0/f.bin" \
    'retry\reported.bin' "$fault_url/redirect/2/f.bin"
check "transfers: redirect, ALLOW_REPORT: SHA-256 of both sides match" same_file "$www/f.bin" "$dest/retry/reported.bin"

# ---- the application rejects a downloaded file (IBackgroundCopyFile3::SetValidationState(FALSE)) ---
run_client validate "validation failed" 'retry\validated.bin' "$nginx_url/m1.bin"
check "transfers: validation failed: the file downloaded again is in place (SHA-256)" \
    same_file "$www/m1.bin" "$dest/retry/validated.bin"

# ---- 7. Suspend while transferring (6 MiB at 3 MiB/s), Resume --------------------------------
run_client suspend "suspend and resume" 'suspend\paced.bin' "$fault_url/rate/3145728/paced.bin"
at=$(tagged SUSPENDED_AT)
check "transfers: suspend and resume: SHA-256 of both sides match" same_file "$www/paced.bin" "$dest/suspend/paced.bin"
expect "transfers: suspend and resume: the resumed request starts at the suspended offset" \
    "$(fault_stat /rate/3145728/paced.bin starts)" = "0 ${at:-?}"
again=$(refetched /rate/3145728/paced.bin $((6 * MiB)))
echo "#   suspended at ${at:-?}; served twice: ${again:-?} bytes"
expect "transfers: suspend and resume: less than 1 MiB served twice (no full re-download)" "$again" -lt "$MiB"

# ---- 8. Cancel while transferring: a file already at the local name stays untouched ----------
head -c 100000 /dev/urandom >"$tmp/precious.bin"
cp "$tmp/precious.bin" "$dest/cancel/paced.bin"
run_client cancel "cancel" 'cancel\paced.bin' "$fault_url/rate/2097152/paced.bin"
check "transfers: cancel: the file already at the local name is untouched" \
    same_file "$tmp/precious.bin" "$dest/cancel/paced.bin"
check "transfers: cancel: only that file is left in the directory" \
    [ "$(ls -A "$dest/cancel")" = paced.bin ]

# ---- 9. the whole prefix killed mid-transfer (32 MiB at 8 MiB/s), restarted by activation ----
# The kill comes once the server has sent 14.5 MiB, wherever that falls between checkpoints
# (4 MiB apart: at 8 MiB/s the 4 MiB rule fires every 0.5 s, before the 1 s one). Re-fetched
# after the restart: what was written but not yet checkpointed (< 4 MiB, plus at most one 512 KiB
# write whose checkpoint was under way) and what was in flight and lost with the process (curl's
# 512 KiB receive buffer, and the loopback socket buffers, which stay nearly empty because the
# server is paced far below what the service drains, except while a checkpoint's commit holds the
# engine). Hence the bound: 4 MiB + 1.5 MiB. The machine did not restart: the bytes written count,
# flushed or not (docs/transfer.md "Durability").
kill_path=/rate/8388608/kill.bin
# Waits (at most 10 s) until the fault server has sent at least $1 bytes of $kill_path.
served_at_least() {
    local i bytes
    for i in $(seq 1 200); do
        bytes=$(fault_stat "$kill_path" bytes)
        [ "${bytes:-0}" -ge "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
run_client start "hard kill" 'kill\kill.bin' "$fault_url$kill_path" $((4 * MiB))
kill_job=$(tagged JOB) kill_progress=$(tagged PROGRESS)
check "transfers: hard kill: the server sent 14.5 MiB, the kill comes now" served_at_least $((29 * MiB / 2))
wineserver -k
check "transfers: hard kill: the prefix is up again" wine_prefix_up
if [ -n "$kill_job" ]; then
    run_client finish "hard kill" "$kill_job" "$kill_progress" 'kill\kill.bin'
    check "transfers: hard kill: SHA-256 of both sides match" same_file "$www/kill.bin" "$dest/kill/kill.bin"
    starts=$(fault_stat "$kill_path" starts)
    echo "#   requests started at: $starts; progress reported before the kill: $kill_progress"
    check "transfers: hard kill: two requests, the second resumed from a checkpoint" matches "$starts" '^0 [1-9][0-9]*$'
    expect "transfers: hard kill: resumed at or after the progress reported before the kill" \
        "${starts#0 }" -ge "${kill_progress:-1}"
    again=$(refetched "$kill_path" $((32 * MiB)))
    echo "#   re-fetched after the restart: ${again:-?} bytes"
    expect "transfers: hard kill: re-fetched at most 4 MiB (checkpoint interval) + 1.5 MiB" \
        "$again" -le $((11 * MiB / 2))
else
    not_ok "transfers: hard kill: the job was running when the prefix was killed"
fi

# ---- 10. no progress: 500 forever, NoProgressTimeout 2 s (ERROR not before ~2 s: 100 ms of slack
# for the service starting its clock just before the client starts its own) ----------------------
run_client error "no progress" retry=1 noprogress=2 transient=0x801901F4 minms=1900 \
    'noprogress\x.bin' "$fault_url/status/500" 0x80D02002 5

# ---- 11. ranges -------------------------------------------------------------------------------
ranges=700000:200000,100000:50000,1500000:4096   # not in offset order: BITS keeps the order given
run_client complete "ranges" ranges="$ranges" total=254096 'ranges\r.bin' "$fault_url/file/f.bin"
check "transfers: ranges: the file holds exactly the source's ranges, one after another in the order given" \
    ranges_on_disk "$www/f.bin" "$dest/ranges/r.bin" "$ranges"
expect "transfers: ranges: one request per range, from each range's offset" \
    "$(fault_stat /file/f.bin starts)" = "700000 100000 1500000"
expect "transfers: ranges: the server sent the ranges' bytes only" "$(fault_stat /file/f.bin bytes)" -eq 254096
# The same ranges with the connection cut every 40000 bytes: each request resumes inside its range.
run_client complete "ranges, connection cut every 40000 bytes" retry=0 ranges="${ranges%,*}" total=250000 \
    'ranges\cut.bin' "$fault_url/drop/40000/f.bin"
check "transfers: ranges, connection cut every 40000 bytes: the ranges are one after another in the order given" \
    ranges_on_disk "$www/f.bin" "$dest/ranges/cut.bin" "${ranges%,*}"
expect "transfers: ranges, connection cut every 40000 bytes: each request resumed where the last was cut" \
    "$(fault_stat /drop/40000/f.bin starts)" = "700000 740000 780000 820000 860000 100000 140000"
expect "transfers: ranges, connection cut every 40000 bytes: no byte was fetched twice" \
    "$(fault_stat /drop/40000/f.bin bytes)" -eq 250000
run_client error "ranges from a server without range support" do=1 ranges=100000:50000 \
    'ranges\norange.bin' "$fault_url/norange/f.bin" 0x80D05011 5

# ---- 12. a machine restart, played: the service stopped with a TRANSFERRED job whose last flush
# the store says had not ended (1 MiB of 3 MiB durable), and the boot it last started in is an
# hour earlier than this one. The next start fetches the rest again from the durable bytes. ----
machine_path=/rate/1048576/machine.bin   # ~3 s: checkpoints while it runs
# TRANSFERRED within 10 s, as dosvc.log says (the store cannot be read while Wine's SQLite holds it)
machine_transferred() {
    local i
    for i in $(seq 1 100); do
        grep -q "$machine_job .* job.transferred " "$log_path" && return 0
        sleep 0.1
    done
    return 1
}
run_client start "machine restart" 'machine\m.bin' "$fault_url$machine_path" $((MiB / 2))
machine_job=$(tagged JOB)
check "transfers: machine restart: the job is TRANSFERRED (dosvc.log: job.transferred)" machine_transferred
service_stop
played=$(sqlite3 "$db_path" "UPDATE files SET bytes_durable = $MiB WHERE local_name LIKE '%machine\\m.bin';
SELECT changes(); UPDATE service_boot SET boot_time = boot_time - 3600; SELECT changes();" 2>&1 | tr '\n' ' ')
expect "transfers: machine restart: the store now says 1 MiB durable and an earlier boot" "$played" = "1 1 "
if [ -n "$machine_job" ]; then
    run_client finish "machine restart" "$machine_job" "$MiB" 'machine\m.bin'
    check "transfers: machine restart: SHA-256 of both sides match" same_file "$www/machine.bin" "$dest/machine/m.bin"
    expect "transfers: machine restart: the second request started at the durable bytes" \
        "$(fault_stat "$machine_path" starts)" = "0 $MiB"
    expect "transfers: machine restart: the bytes not known durable were fetched again, no more" \
        "$(refetched "$machine_path" $((3 * MiB)))" -eq $((2 * MiB))
    check "transfers: machine restart: dosvc.log says why (job.recover)" grep -q \
        "job.recover the machine restarted before file 0's last 2097152 bytes were known to be on disk: it is fetched again from byte 1048576 (TRANSFERRED -> QUEUED)" \
        "$log_path"
else
    not_ok "transfers: machine restart: the job was TRANSFERRED before the service stopped"
fi

check "transfers: DoSvc is still running" [ "$(service_state)" = RUNNING ]
e2e_exit
