#!/usr/bin/env bash
# End-to-end: the IDOManager / IDODownload / IDODownloadStatusCallback API (idomanager.md) through
# the real service, proxy/stub and Wine. build/win/tests/downloads_client.exe
# (tests/e2e/downloads_client.c) does the COM side and compares SHA-256 of what lands at LocalPath
# with the sources; this script serves them (nginx: well-behaved, a 302 and a 403;
# tests/fault_server.py: paced, flaky, dropping), checks what the fault server saw (/stats),
# restarts the service and kills the whole prefix for NonVolatile downloads, and runs
# tools/dodownload.exe as installed.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/downloads_client.exe"
[ -f "$exe" ] || { not_ok "downloads: downloads_client.exe is built (make all)"; e2e_exit; }
for tool in nginx python3; do
    command -v "$tool" >/dev/null || { not_ok "downloads: $tool is installed"; e2e_exit; }
done

MiB=$((1024 * 1024))
tmp=$(mktemp -d /tmp/opendo-downloads.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/downloads"   # C:\opendo-tests\downloads in the prefix
dest_w='C:\opendo-tests\downloads'
cleanup() {
    stop_fault_server
    loopback_nginx_stop
    rm -rf "$tmp" "$dest"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client_program=$exe client_label="downloads: downloads_client" client_timeout=240
expect() {
    local name=$1 got=$2 op=$3 want=$4
    if [ -n "$got" ] && [ "$got" "$op" "$want" ]; then ok "$name"; else not_ok "$name" "got ${got:-nothing}, want $op $want"; fi
}

# ---- sources and servers ------------------------------------------------------------------------
mkdir -p "$www" "$dest"
make_sources() {
    local f
    head -c $((2 * MiB)) /dev/urandom >"$www/f.bin" && head -c $((2 * MiB)) /dev/urandom >"$www/g.bin" &&
        head -c $((4 * MiB)) /dev/urandom >"$www/p.bin" || return 1
    for f in p0 p1 p2 p3; do head -c $((4 * MiB)) /dev/urandom >"$www/$f.bin" || return 1; done
    for f in c1 c2 c3 c4; do head -c $((8 * MiB)) /dev/urandom >"$www/$f.bin" || return 1; done
}
http_port=$(loopback_free_ports 1)
if ! make_sources || ! start_fault_server "$www" "$tmp" || ! loopback_nginx_start "$tmp" "  server { listen 127.0.0.1:$http_port; root $www;
    location /forbidden/ { deny all; } location = /moved { return 302 /f.bin; } }"; then
    not_ok "downloads: sources, nginx and the fault server are ready" \
        "$(tail -n 3 "$tmp/nginx-error.log" "$tmp/fault.err" 2>/dev/null)"
    e2e_exit
fi
ok "downloads: sources, nginx and the fault server are ready"
nginx_url="http://127.0.0.1:$http_port"
fault_url="http://127.0.0.1:$fault_port"
www_w=$(winepath -w "$www" 2>/dev/null)
echo "#   nginx :$http_port, fault server :$fault_port, sources $www_w"
check "downloads: DoSvc is running" service_start
args=("$nginx_url" "$fault_url" "$www_w" "$dest_w")

# ---- 1, 2, 7: activation, properties, enumeration, bad input -------------------------------------
run_client api "${args[@]}"

# ---- 3: the state table ----------------------------------------------------------------------------
run_client states "${args[@]}"

# ---- 4: errors, retries, Pause/Start(NULL) resumes with a Range request ----------------------------
run_client errors "${args[@]}"
paused_at=$(tagged PAUSED_AT)
starts=$(fault_stat /rate/524288/p.bin starts)
echo "#   paced download paused at ${paused_at:-?}; responses started at: ${starts:-?}"
expect "downloads: errors: paced: two responses, the second after the Pause" "$(wc -w <<<"$starts")" -eq 2
expect "downloads: errors: paced: the resumed response starts past 0 (a Range request)" "$(awk '{print $2}' <<<"$starts")" -gt 0
expect "downloads: errors: paced: ... at the offset where the paused download stopped (its BytesTransferred)" \
    "$(awk '{print $2}' <<<"$starts")" = "$paused_at"
expect "downloads: errors: 500 once: the fault server saw 2 requests" "$(fault_stat /flaky/1/g.bin requests)" -eq 2
starts=$(fault_stat /drop/1500000/g.bin starts)
expect "downloads: errors: dropped connection: resumed with a Range request past 0 ($starts)" "$(awk '{print $2}' <<<"$starts")" -gt 0

# ---- 5, 6, 9: callbacks, BlockingMode, concurrency ---------------------------------------------------
run_client callbacks "${args[@]}"
run_client blocking "${args[@]}"
run_client concurrency "${args[@]}"

# ---- 8: NonVolatile across sc stop/start and a hard kill of the prefix ------------------------------
# Pair 1 lives through both restarts, pair 2 through the hard kill only; each NonVolatile survivor
# is then started and must complete.
make_pair() { run_client persist-make "${args[@]}" "$1" && nv=$(tagged NV) vol=$(tagged VOL) && [ -n "$nv" ] && [ -n "$vol" ]; }
if make_pair 1; then
    nv1=$nv vol1=$vol
    service_stop
    check "downloads: persistence: sc stop stops DoSvc" [ "$(service_state)" = STOPPED ]
    check "downloads: persistence: sc start starts it again" service_start
    echo "# after sc stop / sc start"
    run_client persist-check "${args[@]}" "$nv1" "$vol1" 1
    if make_pair 2; then
        wineserver -k
        wineserver -w
        wine_prefix_up
        echo "# after a hard kill of the prefix (wineserver -k)"
        run_client persist-check "${args[@]}" "$nv1" "$vol1" 1
        run_client persist-check "${args[@]}" "$nv" "$vol" 2
        run_client persist-finish "${args[@]}" "$nv" 2
    else
        not_ok "downloads: persistence: persist-make printed a second pair of ids"
    fi
    run_client persist-finish "${args[@]}" "$nv1" 1
    check "downloads: persistence: the service logged dropping the volatile downloads" \
        grep -q "dropped at start-up: the download was not NonVolatile" "$log_path"
else
    not_ok "downloads: persistence: persist-make printed the two ids"
fi

# ---- 10: tools/dodownload.exe as installed -----------------------------------------------------------
dodownload='C:\Program Files\opendo\dodownload.exe'
rm -f "$dest/tool.bin" "$dest/tool404.bin"
wine "$dodownload" "$nginx_url/f.bin" "$dest_w\\tool.bin" </dev/null >"$tmp/tool.out" 2>"$tmp/tool.err"
expect "downloads: dodownload: a download exits 0" "$?" -eq 0
expect "downloads: dodownload: SHA-256 of the file equals the source's" "$(sha "$dest/tool.bin")" = "$(sha "$www/f.bin")"
wine "$dodownload" "$nginx_url/missing.bin" "$dest_w\\tool404.bin" </dev/null >"$tmp/tool.out" 2>"$tmp/tool.err"
expect "downloads: dodownload: a 404 exits 1" "$?" -eq 1
check "downloads: dodownload: a 404 prints 0x80190194 on stderr" grep -q "0x80190194" "$tmp/tool.err"
check "downloads: dodownload: nothing left at the path of the 404" [ ! -e "$dest/tool404.bin" ]
check "downloads: DoSvc is still running" [ "$(service_state)" = RUNNING ]
e2e_exit
