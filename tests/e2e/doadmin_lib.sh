# Sourced by the end-to-end scripts that drive doadmin (doadmin.sh, diagnostics.sh), after
# lib.sh: the wrapper scripts/install.sh writes, and helpers that run doadmin and compare its
# output with the documented layouts. The sourcing script sets $tmp (a scratch directory) first.
doadmin="${OPENDO_BIN_DIR:-$top/build/bin}/doadmin"
if [ ! -x "$doadmin" ]; then
    not_ok "doadmin: the wrapper $doadmin exists (scripts/install.sh writes it)"
    e2e_exit
fi

# ---- helpers -----------------------------------------------------------------------------------
# da ARGS...: runs doadmin; stdout in $tmp/out, stderr in $tmp/err, the exit status in $rc.
rc=0
# doadmin explains every failure on stderr; a non-zero exit with nothing there is the Wine
# process failing under it (seen once in CI: exit 1 after the complete, right output). That is
# said, and the command runs once more, so that the check judges doadmin's own answer.
da() {
    "$doadmin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" != 0 ] && [ ! -s "$tmp/err" ]; then
        echo "# doadmin $1: exit $rc with nothing on stderr: run again"
        "$doadmin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
        rc=$?
    fi
}
guid_re='\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}'
time_re='[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}:[0-9]{2} [AP]M'
mask() { sed -E "s/$guid_re/{GUID}/g; s#$time_re#TIME#g"; }
banner=$'DOADMIN version 0.9.0 (opendo)\nDelivery Optimization administration tool, bitsadmin-compatible.\n'
# The first GUID of the last stdout.
last_guid() { grep -oE "$guid_re" "$tmp/out" | head -n 1; }
show_diff() { sed 's/^/#   /' "$tmp/diff"; }

# expect NAME STATUS LINES: the last run exited STATUS, said nothing on stderr, and its stdout
# (masked) is the banner and then LINES, line by line.
expect() {
    local name=$1 want_rc=$2 want=$3
    if [ "$rc" = "$want_rc" ] && [ ! -s "$tmp/err" ] &&
        diff <(printf '%s\n' "$banner" "$want") <(mask <"$tmp/out") >"$tmp/diff"; then
        ok "$name"
    else
        not_ok "$name" "status $rc (want $want_rc), stderr: $(head -c 300 "$tmp/err")"
        show_diff
    fi
}
# refused NAME STATUS TEXT: the last run exited STATUS, printed only the banner, and wrote one
# line to stderr: "doadmin: " ... containing TEXT.
refused() {
    local name=$1 want_rc=$2 text=$3 lines
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" = "$want_rc" ] && [ "$lines" = 1 ] && grep -q '^doadmin: ' "$tmp/err" &&
        grep -qF -- "$text" "$tmp/err" && diff <(printf '%s\n' "$banner") "$tmp/out" >"$tmp/diff"; then
        ok "$name"
    else
        not_ok "$name" "status $rc (want $want_rc), $lines stderr line(s): $(head -c 400 "$tmp/err")"
        show_diff
    fi
}
# value NAME WANT ARGS...: /rawreturn ARGS prints exactly the bytes of WANT (no line end).
value() {
    local name=$1 want=$2
    shift 2
    da /rawreturn "$@"
    if [ "$rc" = 0 ] && cmp -s <(printf '%s' "$want") "$tmp/out"; then
        ok "$name"
    else
        not_ok "$name" "status $rc, got '$(head -c 300 "$tmp/out")' (want '$want'), stderr: $(head -c 300 "$tmp/err")"
    fi
}
snapshot() { "$doadmin" /list /allusers /verbose </dev/null 2>&1; }
quiet_success() { [ "$rc" = 0 ] && [ ! -s "$tmp/err" ]; }
no_cr() { ! grep -q $'\r' "$1"; }
# exactly_one_error_line STATUS REGEX: the last run exited STATUS with one stderr line matching REGEX.
exactly_one_error_line() {
    [ "$rc" = "$1" ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qE "$2" "$tmp/err" && return 0
    echo "#   status $rc (want $1), stderr: $(head -c 400 "$tmp/err")"
    return 1
}
# The last progress line of file $1 matches $2.
last_progress_line() { grep '^job=' "$1" | tail -n 1 | grep -qE "$2"; }
sha() { sha256sum "$1" 2>/dev/null | awk '{print $1}'; }
same_file() { [ -n "$(sha "$2")" ] && [ "$(sha "$1")" = "$(sha "$2")" ]; }
# Waits up to $2 seconds until /getstate of job $1 says $3.
wait_state() {
    local i
    for i in $(seq 1 $(($2 * 2))); do
        [ "$("$doadmin" /rawreturn /getstate "$1" </dev/null 2>/dev/null)" = "$3" ] && return 0
        sleep 0.5
    done
    return 1
}
progress_re="^job=$guid_re state=(QUEUED|CONNECTING|TRANSFERRING|SUSPENDED|ERROR|TRANSIENT_ERROR|TRANSFERRED|ACKNOWLEDGED|CANCELED) files=[0-9]+/[0-9]+ bytes=[0-9]+/([0-9]+|UNKNOWN) percent=([0-9]+|UNKNOWN) rate=[0-9]+ eta=([0-9]+|UNKNOWN) name=.*\$"
# Every line of the file that starts with job= has the documented form; at least one does.
progress_lines_parse() { grep -q '^job=' "$1" && ! grep '^job=' "$1" | grep -qvE "$progress_re"; }
# finish PID [PATTERN [SECONDS]]: Ctrl+C (SIGINT) to the doadmin.exe whose command line matches
# PATTERN when given (not empty), then waits up to SECONDS (30) for the wrapper PID (killed after
# that); $rc is its exit status.
finish() {
    local i
    [ -n "${2:-}" ] && pkill -INT -f "$2"
    for i in $(seq 1 $((${3:-30} * 2))); do kill -0 "$1" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$1" 2>/dev/null && { echo "#   still running after 30 s: killed"; pkill -KILL -f "${2:-doadmin.exe}"; }
    wait "$1"
    rc=$?
}
# The bytes of the job= lines never go down.
bytes_never_decrease() {
    grep -o ' bytes=[0-9]*' "$1" | cut -d= -f2 | awk 'NR > 1 && $1 < last { bad = 1 } { last = $1 } END { exit bad }'
}

