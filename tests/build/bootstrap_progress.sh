#!/usr/bin/env bash
# scripts/bootstrap-lib.sh: what a newcomer watches while the bootstrap runs for minutes. Every
# line carries the time since the bootstrap began; a long step says how far it has got, read off
# its log; a failing step shows why and stops.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-bootstrap-progress.XXXXXX")
trap 'rm -rf "$work"' EXIT

export OPENDO_BOOTSTRAP_START=$(($(date +%s) - 75)) OPENDO_PROGRESS_EVERY=1
# shellcheck source=../../scripts/bootstrap-lib.sh
. "$top/scripts/bootstrap-lib.sh"

failures=0
check() {  # NAME ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then echo "ok - $1"; else
        echo "not ok - $1"; failures=$((failures + 1))
        printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
    fi
}

# How far a step has got, from the kinds of logs the bootstrap writes.
printf '%s\n' '-- Configuring done' '[  9%] Building C object lib/a.o' '[ 45%] Building C object lib/b.o' \
    'make[2]: Leaving directory' >"$work/cmake.log"
check "a CMake build: its last percentage" "$(progress_hint "$work/cmake.log")" "45% built"
printf '%s\n' 'Reading package lists...' 'dlstatus:1:0:Retrieving file 1 of 56' \
    'dlstatus:12:37.8:Retrieving file 12 of 56' >"$work/apt-download.log"
check "apt downloading: its status line" "$(progress_hint "$work/apt-download.log")" \
    "downloading 37%: Retrieving file 12 of 56"
printf '%s\n' 'dlstatus:56:100:Retrieving file 56 of 56' 'Unpacking wine64 (8.0~repack-4) ...' \
    'pmstatus:wine64:61.2:Installing wine64 (amd64)' >"$work/apt-install.log"
check "apt installing: its status line" "$(progress_hint "$work/apt-install.log")" \
    "installing 61%: Installing wine64 (amd64)"
printf '%s\n' 'checking for gcc... gcc' 'configure: creating ./config.status' >"$work/plain.log"
check "anything else: its last line" "$(progress_hint "$work/plain.log")" "configure: creating ./config.status"

# A step that runs long: lines with the elapsed time and how far it has got, while it runs.
slow_step() { echo 'pmstatus:wine64:50:Unpacking wine64 (amd64)'; sleep 3.5; }
# (Every second here: 2 to 4 such lines in 3.5 s, whatever the load, and nothing else.)
out=$(run "$work/slow.log" slow_step; echo "status $?")
heartbeats=$(printf '%s\n' "$out" | grep -c '^bootstrap 1:[1-5][0-9]      \.\.\. installing 50%: Unpacking wine64 (amd64)$')
others=$(printf '%s\n' "$out" | grep -vc '^bootstrap 1:[1-5][0-9]      \.\.\. ')
[ "$heartbeats" -ge 2 ] && [ "$heartbeats" -le 4 ] && heartbeats="2 to 4"
check "a long step: a line per interval with the elapsed time and its progress, then success" \
    "$heartbeats progress lines; other lines: $others, the last: $(printf '%s\n' "$out" | tail -n 1)" \
    "2 to 4 progress lines; other lines: 1, the last: status 0"

# A failing step: the command, the last lines of its log and where it is, and stop.
failing_step() { echo "E: Unable to locate package wine64"; return 100; }
err=$( (run "$work/fail.log" failing_step; echo "not reached") 2>&1 >/dev/null; echo "status $?")
check "a failing step stops with the command, the log's path and its last lines" \
    "$(printf '%s\n' "$err" | sed "s|$work|WORK|; s/^bootstrap 1:[1-5][0-9] /bootstrap T /")" \
    "$(printf '%s\n' "bootstrap T  error: 'failing_step' failed; last lines of WORK/fail.log:" \
        "E: Unable to locate package wine64" "status 1")"

exit $((failures > 0))
