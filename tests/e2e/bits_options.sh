#!/usr/bin/env bash
# End-to-end: the BITS-only interfaces of opendo's BITS classes (docs/bits.md), with
# build/win/tests/bits_options_client.exe (tests/e2e/bits_options_client.c). The prefix is switched
# to opendo's BITS (dosvc install --bits) and given back at the end (uninstall --bits). Checked:
# IBitsPeerCacheAdministration (S_FALSE everywhere, empty enumerators; not on the DO manager);
# IBackgroundCopyJobHttpOptions2/3 (a PROPFIND job with write-only headers, both kept across sc
# stop/start, the method and the headers seen by the server, the file byte-exact); IBitsTokenOptions
# (flags, SetHelperToken/GetHelperTokenSid/ClearHelperToken; after a restart the token is gone:
# ERROR BG_E_TOKEN_REQUIRED; a new token and Resume complete the job byte-exact).
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/bits_options_client.exe"
dosvc='C:\Program Files\opendo\dosvc.exe'
[ -f "$exe" ] || { not_ok "bits options: bits_options_client.exe is built (make all)"; e2e_exit; }

tmp=$(mktemp -d /tmp/opendo-bits-options.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/bits-options"   # C:\opendo-tests\bits-options\ in the prefix
bits_on() { wine "$dosvc" install --bits </dev/null >/dev/null 2>&1; }
bits_off() { wine "$dosvc" uninstall --bits </dev/null >/dev/null 2>&1; }
cleanup() {
    bits_off
    stop_fault_server
    rm -rf "$tmp" "$dest"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client_program=$exe client_label="bits options: bits_options_client" client_timeout=300
# The services stopped and started again: what survives is what the store kept.
restart() {
    wine sc stop BITS </dev/null >/dev/null 2>&1
    service_wait STOPPED BITS && service_stop && [ "$(service_state)" = STOPPED ] && service_start
}

check "bits options: the prefix is switched to opendo's BITS (dosvc install --bits)" bits_on
mkdir -p "$www" "$dest"
head -c $((1024 * 1024 + 5)) /dev/urandom >"$www/m.bin"
head -c $((300 * 1024)) /dev/urandom >"$www/t.bin"
check "bits options: the fault server serves the sources" start_fault_server "$www" "$tmp"
url="http://127.0.0.1:$fault_port/file"

run_client peer

run_client method-new "$url/m.bin" 'C:\opendo-tests\bits-options\m.bin'
job=$(tagged JOB)
check "bits options: method: DoSvc and BITS stop and start again" restart
[ -n "$job" ] && run_client method-run "$job"
check "bits options: method: the file is the source, byte for byte" same_file "$www/m.bin" "$dest/m.bin"
check "bits options: method: the server received PROPFIND requests only" \
    test "$(fault_stat /file/m.bin seen_methods | tr ' ' '\n' | sort -u)" = PROPFIND
check "bits options: method: the write-only header was sent" \
    grep -q 'X-Secret: s1' <<<"$(fault_stat /file/m.bin seen_x_headers)"

run_client token-new "$url/t.bin" 'C:\opendo-tests\bits-options\t.bin'
job=$(tagged JOB)
check "bits options: token: DoSvc and BITS stop and start again" restart
[ -n "$job" ] && run_client token-run "$job"
check "bits options: token: the file is the source, byte for byte (renamed as the helper token)" \
    same_file "$www/t.bin" "$dest/t.bin"
check "bits options: token: the service logged the missing token" \
    grep -q "helper token required" "$log_path"

check "bits options: the prefix gets Wine's BITS back (dosvc uninstall --bits)" bits_off
e2e_exit
