#!/usr/bin/env bash
# On-demand jobs of the BITS classes end to end (docs/bits.md, "On-demand jobs"):
# BITS_JOB_PROPERTY_ON_DEMAND_MODE, IBackgroundCopyFile6 and IBackgroundCopyCallback3 through the
# installed service, with the prefix switched to opendo's BITS. build/win/tests/bits_file6_client.exe
# (tests/e2e/bits_file6_client.c) asks for two ranges of a file served by tests/fault_server.py
# (whose /stats counts the bytes it sent); this script checks the bytes at those offsets of the
# temporary file against the source, restarts the services, and after the rest is requested
# compares the completed file (SHA-256) and the bytes served with the file's size.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/bits_file6_client.exe"
[ -f "$exe" ] || { not_ok "file6: bits_file6_client.exe is built (make all)"; e2e_exit; }
declare -F bits_switch_on >/dev/null && declare -F bits_switch_off >/dev/null ||
    { not_ok "file6: lib.sh provides bits_switch_on and bits_switch_off"; e2e_exit; }
client_program=$exe client_label="file6: bits_file6_client" client_timeout=180

tmp=$(mktemp -d /tmp/opendo-file6.XXXXXX)
www="$tmp/www"
dest="$WINEPREFIX/drive_c/opendo-tests/file6"   # C:\opendo-tests\file6\ in the prefix
cleanup() { stop_fault_server; bits_switch_off >/dev/null 2>&1; rm -rf "$tmp" "$dest"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

size=$((3 * 1024 * 1024 + 17))
mkdir -p "$www" "$dest"
head -c "$size" /dev/urandom >"$www/d.bin"
cp "$www/d.bin" "$dest/src.bin"
if ! start_fault_server "$www" "$tmp"; then
    not_ok "file6: the fault server listens on 127.0.0.1" "$(tail -n 3 "$tmp/fault.err" 2>/dev/null)"
    e2e_exit
fi
check "file6: the prefix is switched to opendo's BITS" bits_switch_on

# Paced (1 MiB/s), so that several FileRangesTransferred calls come and their spacing shows.
path="/rate/1048576/d.bin"
url="http://127.0.0.1:$fault_port$path"
ranges="100000:300000,2000000:700000"
run_client request "$url" "$size" "$ranges"
job=$(tagged JOB) temp=$(tagged TEMP) filled=$(tagged FILLED)
temp_unix=$( [ -n "$temp" ] && winepath -u "$temp" 2>/dev/null)
check "file6: the client printed the job, its temporary file and the filled ranges" \
    test -n "$job" -a -n "$temp_unix" -a -n "$filled"
# bytes_at SOURCE COPY OFF:LEN,...: COPY holds SOURCE's bytes at each range's own offset.
bytes_at() {
    python3 -c '
import sys
src = open(sys.argv[1], "rb").read()
got = open(sys.argv[2], "rb").read()
ranges = [tuple(map(int, r.split(":"))) for r in sys.argv[3].split(",")]
sys.exit(any(got[o:o + n] != src[o:o + n] for o, n in ranges))' "$@"
}
check "file6: the temporary file holds the source's bytes at the requested offsets" \
    bytes_at "$www/d.bin" "$temp_unix" "$ranges,0:1"
served=$(fault_stat "$path" bytes)
check "file6: only the requested bytes (and the first) were fetched: $served" [ "$served" = $((1 + 300000 + 700000)) ]

# Both services stop (BITS's process ends with DoSvc's); the next activation of a BITS class
# starts them again.
service_stop BITS
service_stop
check "file6: sc stop BITS and DoSvc stop both services" \
    test "$(service_state BITS)" = STOPPED -a "$(service_state)" = STOPPED
[ -n "$job" ] && run_client finish "$job" "$size" "$filled"
check "file6: the completed file is byte-exact (SHA-256)" [ "$(sha "$dest/d.bin")" = "$(sha "$www/d.bin")" ]
served=$(fault_stat "$path" bytes)
check "file6: every byte fetched exactly once: $served of $size" [ "$served" = "$size" ]

run_client ineligible "$url" 'C:\opendo-tests\file6\src.bin'
e2e_exit
