#!/usr/bin/env bash
# End-to-end: the service calls its clients back (callbacks_client.exe, tests/e2e/callbacks_client.c).
# nginx on 127.0.0.1 serves two random files; the client registers an IBackgroundCopyCallback2 of
# its own and checks FileTransferred per file, JobTransferred once (again after an E_FAIL, and for
# a sink registered late), JobModification, nothing under BG_NOTIFY_DISABLE or flags that exclude
# an event, JobError with the error object for a 404, GetStats after the download, the
# NOTIFICATION_CLSID (the client registered as a COM server), the notify command line, and the
# sink of a client that has exited (dropped; a new one gets the callback).
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/callbacks_client.exe"
if [ ! -f "$exe" ]; then
    not_ok "callbacks: callbacks_client.exe is built" "$exe is missing"
    e2e_exit
fi
if ! command -v nginx >/dev/null; then
    not_ok "callbacks: nginx is installed"
    e2e_exit
fi
mkdir -p "$WINEPREFIX/drive_c/opendo-tests/callbacks"

client_program=$exe client_label="callbacks: callbacks_client"

tmp=$(mktemp -d /tmp/opendo-callbacks.XXXXXX)
cleanup() { loopback_nginx_stop; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/www"
size_a=$((3 * 1024 * 1024 + 17))
size_b=$((200 * 1024))
head -c "$size_a" /dev/urandom >"$tmp/www/a.bin"
head -c "$size_b" /dev/urandom >"$tmp/www/b.bin"
port=$(loopback_free_ports 1)
check "callbacks: nginx serves the files on 127.0.0.1:$port" \
    loopback_nginx_start "$tmp" "server { listen 127.0.0.1:$port; root $tmp/www; }"
base="http://127.0.0.1:$port/"

# The class of the NOTIFICATION_CLSID test is the client itself, started by COM with -Embedding.
clsid='{6F0C3B1E-9A4D-4C5E-8B21-3D7E5A9014C2}'
class_key="HKLM\\Software\\Classes\\CLSID\\$clsid"
register_class() {
    local server
    server=$(winepath -w "$exe" 2>/dev/null) &&
        wine reg add "$class_key\\LocalServer32" /ve /d "$server" /f </dev/null >/dev/null 2>&1
}
check "callbacks: the test class is registered (LocalServer32 = callbacks_client.exe)" register_class

check "callbacks: DoSvc is running" service_start
run_client transfer "$base" "$size_a" "$size_b"
callback1_job=$(printf '%s\n' "$out" | awk '$1 == "CALLBACK1JOB" {print $2; exit}')
# Every line of the log is true: no "delivered" for a call the sink could not take.
only_true_deliveries() {
    [ -n "$callback1_job" ] && grep -F "$callback1_job" "$log_path" | grep -q "JobTransferred delivered" &&
        ! grep -F "$callback1_job" "$log_path" | grep -q "FileTransferred delivered"
}
check "callbacks: a sink without IBackgroundCopyCallback2: the log says JobTransferred delivered, never FileTransferred" \
    only_true_deliveries
run_client error "$base"
run_client clsid "$base"
run_client cmdline "$base"
run_client orphan "$base"
orphan_job=$(printf '%s\n' "$out" | awk '$1 == "JOB" {print $2; exit}')
if [ -n "$orphan_job" ]; then
    run_client orphan-check "$orphan_job"
    check "callbacks: the service logged the dead sink" grep -q "sink is gone" "$log_path"
else
    not_ok "callbacks: orphan printed its job id"
fi
check "callbacks: the service logged the deliveries" grep -q "JobTransferred delivered" "$log_path"
check "callbacks: DoSvc is still running" [ "$(service_state)" = RUNNING ]

wine reg delete "$class_key" /f </dev/null >/dev/null 2>&1
e2e_exit
