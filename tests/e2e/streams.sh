#!/usr/bin/env bash
# End-to-end: stream downloads of the IDOManager API (streams_client.exe,
# tests/e2e/streams_client.c). nginx serves a random file and tests/fault_server.py drips one
# slowly; the client's own IStream must receive the file's bytes through Write only, in order,
# with explicit ranges, {0, DO_LENGTH_TO_EOF} and no ranges; a failing Write stops the download;
# a client that dies in the middle of a stream costs its download only, one that dies inside its
# status callback costs nothing (its download goes on), and no spool file is left at the end.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/streams_client.exe"
if [ ! -f "$exe" ]; then
    not_ok "streams: streams_client.exe is built" "$exe is missing"
    e2e_exit
fi
client_program=$exe client_label="streams: streams_client"
tmp=$(mktemp -d /tmp/opendo-streams.XXXXXX)
cleanup() {
    loopback_nginx_stop
    stop_fault_server
    rm -rf "$tmp" "$WINEPREFIX/drive_c/opendo-tests/streams"
}
trap cleanup EXIT
mkdir -p "$tmp/www" "$WINEPREFIX/drive_c/opendo-tests/streams"
head -c $((2 * 1024 * 1024 + 333)) /dev/urandom >"$tmp/www/s.bin"
cp "$tmp/www/s.bin" "$WINEPREFIX/drive_c/opendo-tests/streams/expected.bin"
head -c 20000 /dev/urandom >"$tmp/www/slow.bin"
port=$(loopback_free_ports 1)
check "streams: nginx serves the file on 127.0.0.1:$port" \
    loopback_nginx_start "$tmp" "server { listen 127.0.0.1:$port; root $tmp/www; }"
check "streams: the fault server runs" start_fault_server "$tmp/www" "$tmp"
check "streams: DoSvc is running" service_start

url="http://127.0.0.1:$port/s.bin"
run_client write "$url" 'C:\opendo-tests\streams\expected.bin'
run_client failing "http://127.0.0.1:$fault_port/slow/slow.bin"
run_client sinks "$url"
run_client -q child "http://127.0.0.1:$fault_port/slow/slow.bin"
dead=$(printf '%s\n' "$out" | awk '$1 == "DOWNLOAD" { print $2; exit }')
if [ -n "$dead" ]; then
    ok "streams: the child died in its first Write (download $dead)"
    run_client after-death "$dead"
else
    not_ok "streams: the child died in its first Write" "$(printf '%s' "$out" | head -c 300)"
fi
# The same for a client that dies inside its IDODownloadStatusCallback: its download goes on.
run_client -q callback-child "http://127.0.0.1:$fault_port/rate/65536/slow.bin" 'C:\opendo-tests\streams\orphan.bin'
orphan=$(printf '%s\n' "$out" | awk '$1 == "DOWNLOAD" { print $2; exit }')
if [ -n "$orphan" ]; then
    ok "streams: the callback child died in its first OnStatusChange (download $orphan)"
    run_client after-callback-death "$orphan"
    check "streams: the service logged the callback of the dead client as gone" grep -q "callback.gone" "$log_path"
else
    not_ok "streams: the callback child died in its first OnStatusChange" "$(printf '%s' "$out" | head -c 300)"
fi
run_client write "$url" 'C:\opendo-tests\streams\expected.bin'
spool="$WINEPREFIX/drive_c/ProgramData/opendo/streams"
check "streams: no spool file is left ($(ls "$spool" 2>/dev/null | wc -l) in $spool)" \
    [ -z "$(ls -A "$spool" 2>/dev/null)" ]
check "streams: the service logged the aborted download of the dead client" \
    grep -q "the client holding the stream is gone" "$log_path"
check "streams: DoSvc is still running" [ "$(service_state)" = RUNNING ]
e2e_exit
