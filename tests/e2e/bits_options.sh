#!/usr/bin/env bash
# End-to-end: the BITS-only interfaces of opendo's BITS classes (docs/bits.md), with
# build/win/tests/bits_options_client.exe (tests/e2e/bits_options_client.c). The prefix is switched
# to opendo's BITS (lib.sh's bits_switch_on) and given back at the end (bits_switch_off). Checked:
# IBitsPeerCacheAdministration (S_FALSE everywhere, empty enumerators; not on the DO manager);
# IBackgroundCopyJobHttpOptions2/3 (a PROPFIND job with write-only headers, both kept across sc
# stop/start, the method and the headers seen by the server, the file byte-exact); IBitsTokenOptions
# (flags, SetHelperToken/GetHelperTokenSid/ClearHelperToken; after a restart the token is gone:
# ERROR BG_E_TOKEN_REQUIRED; a new token and Resume complete the job byte-exact); server
# certificate callbacks over https with the test PKI of tls.sh (a refusal: TRANSIENT_ERROR with
# the callback's code in context 8; an acceptance: byte-exact; a client gone: ERROR
# BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED; after a restart the job waits for its callback
# to be registered again, with the same error, then completes byte-exact).
. "$(dirname "$0")/lib.sh"
. "$top/scripts/test-pki.sh"

exe="$top/build/win/tests/bits_options_client.exe"
tls_exe="$top/build/win/tests/tls_client.exe"
[ -f "$exe" ] && [ -f "$tls_exe" ] ||
    { not_ok "bits options: bits_options_client.exe and tls_client.exe are built (make all)"; e2e_exit; }
for tool in openssl nginx; do
    command -v "$tool" >/dev/null || { not_ok "bits options: $tool is installed"; e2e_exit; }
done

tmp=$(mktemp -d /tmp/opendo-bits-options.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/bits-options"   # C:\opendo-tests\bits-options\ in the prefix
ca_imported=
cleanup() {
    bits_switch_off
    [ -z "$ca_imported" ] || wine "$tls_exe" remove-ca "$ca_imported" </dev/null >/dev/null 2>&1
    loopback_nginx_stop
    stop_fault_server
    rm -rf "$tmp" "$dest"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

client_program=$exe client_label="bits options: bits_options_client" client_timeout=300
# The services stopped and started again: what survives is what the store kept.
restart() {
    service_stop BITS && service_stop DoSvc && [ "$(service_state DoSvc)" = STOPPED ] && service_start DoSvc
}

check "bits options: the prefix is switched to opendo's BITS (bits_switch_on)" bits_switch_on
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

# ---- server certificate callbacks over https ---------------------------------------------------
pki() { cd "$tmp" && pki_ca ca "opendo bits options CA $$" && pki_leaf localhost ca trusted; }
check "bits options: certificate: a test PKI (openssl)" eval '(pki) >"$tmp/pki.log" 2>&1'
ca_win=$(winepath -w "$tmp/ca.pem" 2>/dev/null)
import_ca() { wine "$tls_exe" import-ca "$ca_win" </dev/null 2>/dev/null | tr -d '\r' | grep -q '^ok - '; }
check "bits options: certificate: its CA is trusted by the prefix (LocalMachine Root)" import_ca && ca_imported=$ca_win
https_port=$(loopback_free_ports 1)
head -c $((200 * 1024 + 3)) /dev/urandom >"$www/c.bin"
check "bits options: certificate: nginx serves https://localhost:$https_port with it" \
    loopback_nginx_start "$tmp" "server { listen 127.0.0.1:$https_port ssl; root $www; ssl_certificate $tmp/trusted.pem; ssl_certificate_key $tmp/trusted.key; }"
run_client cert "https://localhost:$https_port/c.bin" 'C:\opendo-tests\bits-options\c.bin'
check "bits options: certificate: the accepted download is the source, byte for byte" same_file "$www/c.bin" "$dest/c.bin"
run_client cert-gone "https://localhost:$https_port/c.bin" 'C:\opendo-tests\bits-options\gone.bin'
job=$(tagged JOB)
[ -n "$job" ] && run_client cert-run "$job"
check "bits options: certificate: nothing was written for the refused job" test ! -e "$dest/gone.bin"
run_client cert-gone "https://localhost:$https_port/c.bin" 'C:\opendo-tests\bits-options\again.bin'
job=$(tagged JOB)
check "bits options: certificate: DoSvc and BITS stop and start again" restart
[ -n "$job" ] && run_client cert-again "$job"
check "bits options: certificate: registered again after the restart, the download is the source" \
    same_file "$www/c.bin" "$dest/again.bin"

check "bits options: the prefix gets Wine's BITS back (bits_switch_off)" bits_switch_off
e2e_exit
