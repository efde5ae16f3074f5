#!/usr/bin/env bash
# End-to-end: bad input (bad_input_client.exe, tests/e2e/bad_input_client.c). Every method of
# every interface is called with NULL pointers, empty and over-long strings, invalid enum values,
# GUIDs, URLs, local paths and ranges, and in every state; each call gets its documented HRESULT.
# Nothing is half-written: the snapshot of every job (all getters, files, times) and the
# database dump (sqlite3 .dump, service stopped) are identical before and after the run (the run
# cancels every job it creates); PRAGMA integrity_check is ok; and the service still works.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/bad_input_client.exe"
if [ ! -f "$exe" ]; then
    not_ok "bad input: bad_input_client.exe is built" "$exe is missing"
    e2e_exit
fi
# The local names of the cases live here (C:\opendo-tests\bad-input\); the "missing directory"
# cases rely on C:\opendo-tests\bad-input\no-such-dir\ not existing.
mkdir -p "$WINEPREFIX/drive_c/opendo-tests/bad-input"
rm -rf "$WINEPREFIX/drive_c/opendo-tests/bad-input/no-such-dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-bad-input.XXXXXX")
trap 'rm -rf "$work"' EXIT

client_program=$exe client_label="bad input: bad_input_client"

# Two files must be identical; otherwise a not ok with the first lines of the diff.
same_files() {
    local name=$1 a=$2 b=$3
    if cmp -s "$a" "$b"; then
        ok "$name"
    else
        not_ok "$name" "they differ"
        diff -u "$a" "$b" | head -n 40 | sed 's/^/#   /'
    fi
}

db_dump() { sqlite3 "$db_path" .dump >"$1" 2>"$work/sqlite3.err"; }

check "bad input: DoSvc is running" service_start

# --- the reference jobs: known values, files, ranges, credentials (one SUSPENDED, one QUEUED)
run_client refs
refs=$(printf '%s\n' "$out" | awk '/^JOB / {print $2}')
check "bad input: the two reference jobs were created" [ "$(printf '%s\n' "$refs" | grep -c .)" -eq 2 ]

# --- the database before, with the service stopped
service_stop
check "bad input: sc stop DoSvc stops the service" [ "$(service_state)" = STOPPED ]
check "bad input: sqlite3 .dump of the database before the run" db_dump "$work/db-before.sql"
check "bad input: sc start DoSvc starts it again" service_start

# --- the cases, between two snapshots of every job
run_client -q snapshot && printf '%s\n' "$out" >"$work/snapshot-before.txt"
lists_refs() {
    local j
    [ -n "$refs" ] || return 1
    for j in $refs; do grep -qF "job $j " "$work/snapshot-before.txt" || return 1; done
}
check "bad input: the snapshot before the run lists the reference jobs" lists_refs
run_client run
cases=$(printf '%s\n' "$out" | awk '/^# bad-input cases:/ {print $4}')
check "bad input: the run reported its number of cases" [ -n "$cases" ]
check "bad input: DoSvc is still running after the run" [ "$(service_state)" = RUNNING ]
run_client -q snapshot && printf '%s\n' "$out" >"$work/snapshot-after.txt"
same_files "bad input: every job (getters, times, files) is unchanged by the run" \
    "$work/snapshot-before.txt" "$work/snapshot-after.txt"

# --- the database after: intact, and identical (the run cancelled every job it created)
service_stop
check "bad input: sc stop DoSvc stops the service after the run" [ "$(service_state)" = STOPPED ]
integrity=$(sqlite3 "$db_path" 'PRAGMA integrity_check' 2>&1)
if [ "$integrity" = ok ]; then
    ok "bad input: PRAGMA integrity_check on the database is ok"
else
    not_ok "bad input: PRAGMA integrity_check on the database is ok" "$(printf '%s' "$integrity" | head -n 3 | tr '\n' ' ')"
fi
check "bad input: sqlite3 .dump of the database after the run" db_dump "$work/db-after.sql"
same_files "bad input: the database holds nothing half-written (dump identical to the one before)" \
    "$work/db-before.sql" "$work/db-after.sql"

# --- the service still works
check "bad input: sc start DoSvc starts it after the run" service_start
run_client alive
# shellcheck disable=SC2086 # one argument per reference job id
[ -n "$refs" ] && run_client cleanup $refs
e2e_exit
