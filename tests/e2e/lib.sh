# Sourced by the end-to-end test scripts: reporting in the tests/check.h format, and helpers to
# drive the prefix that tests/run.sh created and installed (OPENDO_TEST_PREFIX).
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${OPENDO_TEST_PREFIX:?run the end-to-end tests through tests/run.sh}"
. "$top/scripts/wine-env.sh" "$OPENDO_TEST_PREFIX"
. "$top/scripts/service-control.sh"
. "$top/scripts/loopback-nginx.sh"

e2e_failures=0
ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1${2:+: $2}"; e2e_failures=$((e2e_failures + 1)); }
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

client_exe="$top/build/win/tests/e2e_client.exe"
# Runs the e2e client; its check lines go to stdout, and its exit status is returned.
client() { wine "$client_exe" "$@" </dev/null 2>/dev/null | tr -d '\r'; return "${PIPESTATUS[0]}"; }

# Creates a job and prints its id; the client's own check lines go to stderr of this function.
create_job() {
    local label=$1 name=$2 out
    out=$(client "$label" create "$name")
    printf '%s\n' "$out" | grep -v '^JOB ' >&2
    printf '%s\n' "$out" | awk '/^JOB / {print $2}'
}

# Runs one command of a test's own client program ($client_program; $client_label names it in
# messages): keeps its whole output in $out, prints its check and comment lines (not with -q),
# and counts a failing run once: through its own "not ok" lines, or as "<label> <command> exits
# cleanly". At most $client_timeout seconds (600). Returns the client's status.
out=
run_client() {
    local quiet= status
    [ "$1" = -q ] && { quiet=1; shift; }
    out=$(timeout "${client_timeout:-600}" wine "$client_program" "$@" </dev/null 2>/dev/null | tr -d '\r'
          exit "${PIPESTATUS[0]}")
    status=$?
    [ -n "$quiet" ] || printf '%s\n' "$out" | grep -aE '^(ok|not ok) - |^#' || true
    if [ "$status" -ne 0 ]; then
        if printf '%s\n' "$out" | grep -aq '^not ok - '; then
            e2e_failures=$((e2e_failures + 1))
        else
            not_ok "$client_label $1 exits cleanly" "status $status"
        fi
    fi
    return "$status"
}

# The value of the first "TAG value" line of the last client run ($out).
tagged() { printf '%s\n' "$out" | awk -v tag="$1" '$1 == tag { print $2; exit }'; }
sha() { sha256sum "$1" 2>/dev/null | awk '{print $1}'; }
# same_file SOURCE COPY: equal SHA-256 (prints both when not).
same_file() {
    local want got
    want=$(sha "$1") got=$(sha "$2")
    [ -n "$got" ] && [ "$got" = "$want" ] && return 0
    echo "#   source $want, downloaded ${got:-missing}"
    return 1
}

# start_fault_server ROOT DIR: tests/fault_server.py serving ROOT on a free loopback port (its
# output in DIR); sets fault_port and fault_pid. stop_fault_server ends it.
fault_pid= fault_port=
start_fault_server() {
    local i
    python3 "$top/tests/fault_server.py" 0 "$1" 900 >"$2/fault.out" 2>"$2/fault.err" &
    fault_pid=$!
    for i in $(seq 1 100); do
        fault_port=$(awk '$1 == "PORT" { print $2 }' "$2/fault.out")
        [ -n "$fault_port" ] && return 0
        kill -0 "$fault_pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
stop_fault_server() {
    [ -n "$fault_pid" ] && kill "$fault_pid" 2>/dev/null && wait "$fault_pid" 2>/dev/null
    fault_pid=
}
# fault_stat PATH FIELD: bytes, requests or starts (space-separated) the fault server counted.
fault_stat() {
    python3 -c '
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen("http://127.0.0.1:%s/stats" % sys.argv[1], timeout=10))
value = stats.get(sys.argv[2], {}).get(sys.argv[3], "")
print(" ".join(map(str, value)) if isinstance(value, list) else value)' "$fault_port" "$1" "$2"
}

db_path="$WINEPREFIX/drive_c/ProgramData/opendo/jobs.db"
log_path="$WINEPREFIX/drive_c/ProgramData/opendo/dosvc.log"
e2e_exit() { exit $((e2e_failures > 0)); }

# The prefix's BITS switched to opendo and back (`dosvc.exe install --bits` / `uninstall --bits`,
# docs/bits.md), for the tests of the BITS classes. tests/run.sh runs every tests/e2e/*.sh in ONE
# prefix, alphabetically, so every script must leave the prefix as it found it: BITS NOT switched
# (Wine's BITS answering). A script that calls bits_switch_on calls bits_switch_off before it
# ends, also when it fails: `trap bits_switch_off EXIT` right after switching.
# bits_switch_on is idempotent (a second call keeps the first snapshot of Wine's BITS); both
# return dosvc.exe's exit status.
dosvc_exe='C:\Program Files\opendo\dosvc.exe'
bits_switch_on()  { wine "$dosvc_exe" install --bits </dev/null >/dev/null 2>&1; }
bits_switch_off() { wine "$dosvc_exe" uninstall --bits </dev/null >/dev/null 2>&1; }
