#!/usr/bin/env bash
# End-to-end: doadmin.exe, the bitsadmin-compatible admin tool (tools/doadmin/), run through the
# Linux wrapper that scripts/install.sh writes ($OPENDO_BIN_DIR/doadmin), against the real
# service and nginx on 127.0.0.1. Outputs are compared line by line with the bitsadmin layouts
# of docs/admin-guide.md (GUIDs and times masked); downloads are checked by SHA-256; every
# refused command must exit non-zero with one line on stderr and change no job.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/doadmin_lib.sh"

command -v nginx >/dev/null || { not_ok "doadmin: nginx is installed"; e2e_exit; }

tmp=$(mktemp -d /tmp/opendo-doadmin.XXXXXX)
dir="$WINEPREFIX/drive_c/opendo-tests/doadmin" # C:\opendo-tests\doadmin\ in the prefix
win='C:\opendo-tests\doadmin'
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    loopback_nginx_stop
    rm -rf "$tmp" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/www" "$dir"
head -c $((3 * 1024 * 1024 + 5)) /dev/urandom >"$tmp/www/data.bin"
head -c 70000 /dev/urandom >"$tmp/www/small.bin"
head -c 5000 /dev/urandom >"$tmp/www/b c.bin"
port=$(loopback_free_ports 1)
check "doadmin: nginx serves the files on 127.0.0.1:$port" loopback_nginx_start "$tmp" \
    "server { listen 127.0.0.1:$port; root $tmp/www; location /slow/ { alias $tmp/www/; limit_rate 1m; } }"
url="http://127.0.0.1:$port"
check "doadmin: DoSvc is running" service_start

# ---- a clean queue: /reset cancels whatever earlier tests left; its lines have the /reset form -
# The lines after the banner: "{GUID} canceled." each, then "N out of N jobs canceled."
reset_lines() {
    local body
    body=$(tail -n +4 "$tmp/out")
    [ "$rc" = 0 ] && ! sed '$d' <<<"$body" | grep -qvE "^$guid_re canceled\.\$" &&
        tail -n 1 <<<"$body" | grep -qE '^([0-9]+) out of \1 jobs canceled\.$'
}
da /reset
check "doadmin: /reset of the leftovers: '{GUID} canceled.' lines, then 'N out of N jobs canceled.'" reset_lines
da /list
expect "doadmin: /list of an empty queue" 0 $'\nListed 0 job(s).'

# ---- create / addfile / list / info / resume / getstate / complete (bitsadmin-examples.md) -----
da /create demo
expect "doadmin: /create prints 'Created job {GUID}.'" 0 'Created job {GUID}.'
demo=$(last_guid)
da /addfile demo "$url/data.bin" "$win\\data.bin"
expect "doadmin: /addfile" 0 "Added $url/data.bin -> $win\\data.bin to the job."
da /list
expect "doadmin: /list: one line per job, then an empty line and 'Listed N job(s).'" 0 \
    $'{GUID} demo SUSPENDED 0 / 1 0 / UNKNOWN\n\nListed 1 job(s).'
check "doadmin: /list shows the GUID /create printed" grep -qF "$demo demo SUSPENDED" "$tmp/out"
da /info demo
expect "doadmin: /info: the job's /list line" 0 '{GUID} demo SUSPENDED 0 / 1 0 / UNKNOWN'
owner=$(wine cmd /c 'echo %COMPUTERNAME%\%USERNAME%' </dev/null 2>/dev/null | tr -d '\r')
# The /info /verbose block of a SUSPENDED job that never ran: $1 display name, $2 priority,
# $3 files, $4 notification flags, $5 retry delay, $6 no-progress timeout, $7 the proxy usage and
# lists, $8 the DESCRIPTION line, $9 the file lines, ${10} the notification command line.
info_block() {
    printf '%s\n' "GUID: {GUID} DISPLAY: $1" "TYPE: DOWNLOAD STATE: SUSPENDED OWNER: $owner" \
        "PRIORITY: $2 FILES: 0 / $3 BYTES: 0 / UNKNOWN" "CREATION TIME: TIME MODIFICATION TIME: TIME" \
        "COMPLETION TIME: UNKNOWN" "NOTIFY INTERFACE: UNREGISTERED NOTIFICATION FLAGS: $4" \
        "RETRY DELAY: $5 NO PROGRESS TIMEOUT: $6 ERROR COUNT: 0" "PROXY USAGE: $7" "$8" "JOB FILES:" \
        "$9" "NOTIFICATION COMMAND LINE: ${10}"
}
da /info "$demo" /verbose
expect "doadmin: /info /verbose: bitsadmin's layout, owner $owner" 0 "$(info_block demo NORMAL 1 3 600 86400 \
    'PRECONFIG PROXY LIST: NULL PROXY BYPASS LIST: NULL' 'DESCRIPTION:' \
    "0 / UNKNOWN WORKING $url/data.bin -> $win\\data.bin" none)"
created=$(grep -oE "CREATION TIME: $time_re" "$tmp/out" | cut -d' ' -f3-)
check "doadmin: /info /verbose: the creation time is local time, now ($created)" python3 -c '
import datetime, sys
t = datetime.datetime.strptime(sys.argv[1], "%m/%d/%Y %I:%M:%S %p")
sys.exit(abs((datetime.datetime.now() - t).total_seconds()) > 120)' "$created"
da /resume demo
expect "doadmin: /resume" 0 'Job resumed.'
check "doadmin: /getstate becomes Transferred" wait_state demo 60 Transferred
da /getstate demo
expect "doadmin: /getstate prints the state as bitsadmin's page spells it" 0 'Transferred'
size=$(stat -c %s "$tmp/www/data.bin")
da /list
expect "doadmin: /list of a transferred job" 0 $'{GUID} demo TRANSFERRED 1 / 1 '"$size / $size"$'\n\nListed 1 job(s).'
da /getcompletiontime demo
check "doadmin: /getcompletiontime of a transferred job is a time" grep -qE "^$time_re\$" "$tmp/out"
da /complete demo
expect "doadmin: /complete" 0 'Job completed.'
check "doadmin: /complete put the file in place (SHA-256 of both sides match)" same_file "$tmp/www/data.bin" "$dir/data.bin"
da /getstate "$demo"
refused "doadmin: /getstate of a completed job: the job is not found" 1 "0x80D02003 - "

# ---- /rawreturn: bare values, exact bytes ----------------------------------------------------
da /rawreturn /create 'Jöb € 1'
raw_guid() { [ "$rc" = 0 ] && [ "$(wc -c <"$tmp/out")" = 38 ] && grep -qE "^$guid_re\$" "$tmp/out"; }
check "doadmin: /rawreturn /create prints the GUID alone (38 bytes, no line end)" raw_guid
raw=$(cat "$tmp/out")
value "doadmin: /rawreturn /getdisplayname: the name in UTF-8" 'Jöb € 1' /getdisplayname "$raw"
value "doadmin: /rawreturn /getstate" 'Suspended' /getstate "$raw"
value "doadmin: /rawreturn /getbytestotal of a job without files" '0' /getbytestotal "$raw"
value "doadmin: /rawreturn /getpriority" 'NORMAL' /getpriority "$raw"
value "doadmin: /rawreturn /gettype" 'DOWNLOAD' /gettype "$raw"
value "doadmin: /rawreturn /getcompletiontime of a new job" 'UNKNOWN' /getcompletiontime "$raw"
value "doadmin: /rawreturn /getowner" "$owner" /getowner "$raw"
da /rawreturn /setpriority "$raw" LOW
check "doadmin: /rawreturn /setpriority prints nothing" quiet_success
check "doadmin: /rawreturn /setpriority: stdout is empty" test ! -s "$tmp/out"
da /rawreturn /list
raw_list() {
    [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && no_cr "$tmp/out" &&
        grep -qE "^$guid_re Jöb € 1 SUSPENDED 0 / 0 0 / 0\$" "$tmp/out"
}
check "doadmin: /rawreturn /list: the job lines only, in UTF-8, no CR" raw_list

# ---- get/set round trips ----------------------------------------------------------------------
da /create props
props=$(last_guid)
printf '# two files, one with a blank in its local name\n\n%s %s\n  %s  "%s"\n' \
    "$url/small.bin" "$win\\small.bin" "$url/b%20c.bin" "$win\\b c.bin" >"$tmp/list.txt"
da /addfileset props "$(winepath -w "$tmp/list.txt" 2>/dev/null)"
expect "doadmin: /addfileset reads bitsadmin's list file (comment, blank line, quoted names)" 0 'Added 2 file(s) to the job.'
da /listfiles props
expect "doadmin: /listfiles" 0 "0 / UNKNOWN WORKING $url/small.bin -> $win\\small.bin
0 / UNKNOWN WORKING $url/b%20c.bin -> $win\\b c.bin

Listed 2 file(s)."
da /addfilewithranges props "$url/data.bin" "$win\\ranges.bin" 0:100,2000:100
expect "doadmin: /addfilewithranges" 0 "Added $url/data.bin -> $win\\ranges.bin (2 range(s)) to the job."
da /addfilewithranges props "$url/data.bin" "$win\\tail.bin" 5000:eof
expect "doadmin: /addfilewithranges with eof" 0 "Added $url/data.bin -> $win\\tail.bin (1 range(s)) to the job."
da /replaceremoteprefix props "$url/b" "$url/slow/b"
expect "doadmin: /replaceremoteprefix" 0 "Remote names starting with $url/b now start with $url/slow/b."
da /listfiles props
expect "doadmin: /listfiles after /replaceremoteprefix; a ranged file counts its ranges" 0 \
    "0 / UNKNOWN WORKING $url/small.bin -> $win\\small.bin
0 / UNKNOWN WORKING $url/slow/b%20c.bin -> $win\\b c.bin
0 / 200 WORKING $url/data.bin -> $win\\ranges.bin
0 / UNKNOWN WORKING $url/data.bin -> $win\\tail.bin

Listed 4 file(s)."

# round SET_SWITCH VALUE... -- GET_SWITCH [ARG...] WANT: the setter on the job props (by its
# GUID), then /rawreturn GET_SWITCH [ARG...] prints exactly WANT.
round() {
    local set=$1 args=() get want
    shift
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    get=$2
    shift 2
    want=${*: -1}
    da "$set" "$props" "${args[@]}"
    if ! quiet_success; then
        not_ok "doadmin: $set ${args[*]}" "status $rc: $(cat "$tmp/err")"
        return
    fi
    value "doadmin: $set ${args[*]}, then $get is '${want//$'\n'/\\n}'" "$want" "$get" "$props" "${@:1:$#-1}"
}
round /setdisplayname 'props renamed, ü' -- /getdisplayname 'props renamed, ü'
round /setdisplayname props -- /getdisplayname props
round /setdescription 'a description' -- /getdescription 'a description'
round /setpriority high -- /getpriority HIGH
round /setminretrydelay 30 -- /getminretrydelay 30
round /setnoprogresstimeout 900 -- /getnoprogresstimeout 900
round /setmaxdownloadtime 0x0E10 -- /getmaxdownloadtime 3600
round /setnotifyflags 0xB -- /getnotifyflags 11
round /setnotifycmdline 'C:\windows\system32\cmd.exe' 'cmd.exe /c exit 0' -- /getnotifycmdline \
    'C:\windows\system32\cmd.exe cmd.exe /c exit 0'
round /setproxysettings OVERRIDE proxy1:80 '<local>' -- /getproxylist proxy1:80
value "doadmin: /getproxybypasslist after OVERRIDE" '<local>' /getproxybypasslist props
value "doadmin: /getproxyusage after OVERRIDE" 'Override' /getproxyusage props
da /info props /verbose
expect "doadmin: /info /verbose shows what was set" 0 "$(info_block props HIGH 4 11 30 900 \
    'OVERRIDE PROXY LIST: proxy1:80 PROXY BYPASS LIST: <local>' 'DESCRIPTION: a description' \
    "0 / UNKNOWN WORKING $url/small.bin -> $win\\small.bin
0 / UNKNOWN WORKING $url/slow/b%20c.bin -> $win\\b c.bin
0 / 200 WORKING $url/data.bin -> $win\\ranges.bin
0 / UNKNOWN WORKING $url/data.bin -> $win\\tail.bin" 'C:\windows\system32\cmd.exe cmd.exe /c exit 0')"
round /setproxysettings NO_PROXY -- /getproxylist NULL
value "doadmin: /getproxyusage after NO_PROXY" 'No_Proxy' /getproxyusage props
round /setnotifycmdline NULL -- /getnotifycmdline none
round /setcustomheaders 'X-One: 1' 'X-Two: two' -- /getcustomheaders $'X-One: 1\nX-Two: two'
round /setcustomheaders NULL -- /getcustomheaders NULL
round /setsecurityflags 0x0201 -- /getsecurityflags 0x0201
round /setaclflag OG -- /getaclflags og
round /setpeercachingflags 3 -- /getpeercachingflags 3
da /setvalidationstate props 1 true
refused "doadmin: /setvalidationstate of a file not yet downloaded: the service's E_PENDING" 1 "/setvalidationstate props: 0x8000000A"
value "doadmin: /getvalidationstate after the refusal is still FALSE" FALSE /getvalidationstate props 1
da /gettemporaryname props 0
check "doadmin: /gettemporaryname: a hidden name beside the local one" \
    grep -qxF "$win\\~opendo-$(echo "$props" | cut -c2-9)-0.tmp" <(tail -n 1 "$tmp/out")
da /setcredentials props SERVER BASIC alice s3cret
expect "doadmin: /setcredentials" 0 'Credentials set.'
da /removecredentials props server basic
expect "doadmin: /removecredentials" 0 'Credentials removed.'
da /removecredentials props SERVER BASIC
expect "doadmin: /removecredentials again: there were none (S_FALSE)" 0 'The job had no such credentials.'
da /takeownership props
expect "doadmin: /takeownership (every Wine process is an administrator)" 0 'Ownership of the job taken.'
da /resume props
da /suspend props
expect "doadmin: /suspend" 0 'Job suspended.'
value "doadmin: /getstate after /suspend" Suspended /getstate props
da /geterrorcount props
expect "doadmin: /geterrorcount" 0 '0'
da /geterror props
refused "doadmin: /geterror of a job without error: the service's text" 1 "0x80D02014 - "

# ---- refused commands: a clear line, a non-zero exit, no job changed -------------------------
da /create dup
da /create dup
before=$(snapshot)
da /frobnicate
refused "doadmin: unknown switch" 2 "unknown switch '/frobnicate'"
da /addfile props "$url/x"
refused "doadmin: missing argument" 2 "missing argument; usage: doadmin /addfile <job> <remote> <local>"
da /resume props extra
refused "doadmin: extra argument" 2 "unexpected argument 'extra'"
da /resume nosuchjob
refused "doadmin: unknown job name: the service's text for DO_E_JOB_NOT_FOUND" 1 \
    "doadmin: /resume nosuchjob: 0x80D02003 - The job was not found"
da /suspend '{00000000-0000-0000-0000-000000000001}'
refused "doadmin: unknown GUID" 1 "0x80D02003 - "
da /cancel dup
refused "doadmin: ambiguous name: refused, with both candidates" 1 "2 jobs have this name"
two_candidates() { [ "$(grep -oE "$guid_re dup" "$tmp/err" | sort -u | wc -l)" = 2 ]; }
check "doadmin: ambiguous name: the line lists both GUIDs and the name" two_candidates
da /addfile props ftp://127.0.0.1/x "$win\\x.bin"
refused "doadmin: bad URL: the service's answer, with the names" 1 "cannot add ftp://127.0.0.1/x -> $win\\x.bin: 0x80070057"
da /addfile props "$url/x" 'relative\x.bin'
refused "doadmin: relative local name" 1 "0x80070057"
da /setpriority props urgent
refused "doadmin: bad priority" 2 "'urgent' is not a priority"
da /setminretrydelay props 12abc
refused "doadmin: bad number" 2 "'12abc' is not a number"
da /setnoprogresstimeout props 4294967296
refused "doadmin: number out of range" 2 "'4294967296' is not a number"
da /addfilewithranges props "$url/x" "$win\\x.bin" 0:abc
refused "doadmin: bad range list" 2 "'0:abc' is not a range list"
da /monitor /refresh 0
refused "doadmin: bad refresh interval" 2 "'0' is not a refresh interval"
da /monitor /refresh
refused "doadmin: option without its value" 2 "missing value after '/refresh'"
da /list /verbose /verbose
refused "doadmin: option given twice" 2 "option given twice: '/verbose'"
da /transfer tbad "$url/small.bin" "$win\\tbad.bin" "$url/small.bin"
refused "doadmin: /transfer with an odd remote/local list" 2 "remote and local names come in pairs"
da /transfer tbad /priority urgent "$url/small.bin" "$win\\tbad.bin"
refused "doadmin: /transfer with a bad priority" 2 "'urgent' is not a priority"
da /create /download /upload tbad
refused "doadmin: /create with two types" 2 "give at most one of"
da /setvalidationstate props 0 maybe
refused "doadmin: bad boolean" 2 "'maybe' is not TRUE or FALSE"
da /gettemporaryname props 7
refused "doadmin: file index out of range" 1 "there is no file 7: the job has 4 file(s)"
da /gettemporaryname props first
refused "doadmin: file index not a number" 2 "'first' is not a file index"
printf '%s\n' "$url/small.bin" >"$tmp/bad-list.txt"
da /addfileset props "$(winepath -w "$tmp/bad-list.txt" 2>/dev/null)"
refused "doadmin: malformed list file: its line number" 2 "line 1: expected a remote name and a local name"
da /setnotifyflags props 0x20
refused "doadmin: a value the service refuses (FILE_RANGES_TRANSFERRED): its answer" 1 "0x80004001 - "
da /setproxysettings props OVERRIDE
refused "doadmin: OVERRIDE without a list: BG_E_INVALID_PROXY_INFO" 1 "0x8020003F - "
da /setdisplayname props "$(printf 'n%.0s' $(seq 1 257))"
refused "doadmin: a 257-character name: E_INVALIDARG" 1 "0x80070057 - "
da /setnotifycmdline props NULL 'x.exe'
refused "doadmin: parameters without a program" 2 "parameters need a program"
da /addfileset props 'C:\no\such\list.txt'
refused "doadmin: a list file that does not exist" 1 "cannot read C:\no\such\list.txt"
da /getreplydata props
refused "doadmin: /getreplydata is not supported by this service" 3 "not supported by this service"
da /sethttpmethod props GET
refused "doadmin: /sethttpmethod is not supported by this service" 3 "not supported by this service"
da /cache /list
refused "doadmin: /cache is not supported by this service" 3 "not supported by this service"
da /create /upload up
refused "doadmin: /create /upload: CreateJob's E_NOTIMPL becomes 'not supported'" 3 \
    "UPLOAD jobs are not supported by this service (CreateJob answered 0x80004001"
da /transfer tup /upload "$url/small.bin" "$win\\tup.bin"
refused "doadmin: /transfer /upload is not supported" 3 "UPLOAD jobs are not supported by this service"
after=$(snapshot)
if [ "$before" = "$after" ] && grep -q '^Listed 4 job(s)\.$' <<<"$after"; then
    ok "doadmin: no refused command changed a job (/list /allusers /verbose before and after)"
else
    not_ok "doadmin: no refused command changed a job (/list /allusers /verbose before and after)"
    diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
fi

# ---- /allusers ---------------------------------------------------------------------------------
da /list /allusers
check "doadmin: /list /allusers (an administrator) lists every job" grep -q '^Listed 4 job(s)\.$' "$tmp/out"
echo "# /allusers refused for a non-administrator: not testable under Wine, whose RPC impersonation"
echo "# gives the service its own token for every caller (docs/admin-guide.md)"

# ---- /reset with its summary -------------------------------------------------------------------
da /list
mapfile -t jobs < <(grep -oE "^$guid_re" "$tmp/out")
da /reset
if [ "$rc" = 0 ] &&
    diff <(printf '%s\n' "$banner"; printf '%s canceled.\n' "${jobs[@]}" | sort; echo "4 out of 4 jobs canceled.") \
        <(head -n 3 "$tmp/out"; tail -n +4 "$tmp/out" | sed '$d' | sort; tail -n 1 "$tmp/out") >"$tmp/diff"; then
    ok "doadmin: /reset: '{GUID} canceled.' for each of the 4 jobs, then '4 out of 4 jobs canceled.'"
else
    not_ok "doadmin: /reset: '{GUID} canceled.' for each of the 4 jobs, then '4 out of 4 jobs canceled.'" "status $rc"
    show_diff
fi
da /list
expect "doadmin: /list after /reset" 0 $'\nListed 0 job(s).'

# ---- /transfer ---------------------------------------------------------------------------------
da /transfer pair /priority foreground "$url/data.bin" "$win\\t1.bin" "$url/small.bin" "$win\\t2.bin"
check "doadmin: /transfer: exit 0, nothing on stderr" quiet_success
check "doadmin: /transfer: t1.bin matches data.bin (SHA-256)" same_file "$tmp/www/data.bin" "$dir/t1.bin"
check "doadmin: /transfer: t2.bin matches small.bin (SHA-256)" same_file "$tmp/www/small.bin" "$dir/t2.bin"
transfer_layout() {
    diff <(printf '%s\n' "$banner") <(head -n 3 "$tmp/out") >/dev/null &&
        sed -n 4p "$tmp/out" | grep -qE "^Created job $guid_re with 2 file\(s\); Ctrl\+C cancels it\.\$" &&
        [ "$(tail -n 1 "$tmp/out")" = "Transfer complete." ] &&
        [ "$(sed -n '5,$p' "$tmp/out" | sed '$d' | grep -vc '^job=')" = 0 ]
}
check "doadmin: /transfer: banner, 'Created job {GUID} with 2 file(s); ...', progress lines, 'Transfer complete.'" transfer_layout
check "doadmin: /transfer: every progress line has the documented form" progress_lines_parse "$tmp/out"
check "doadmin: /transfer: the bytes never go down" bytes_never_decrease "$tmp/out"
total=$(($(stat -c %s "$tmp/www/data.bin") + 70000))
check "doadmin: /transfer: the last progress line is TRANSFERRED, 2/2 files, $total/$total bytes, 100%" \
    last_progress_line "$tmp/out" "state=TRANSFERRED files=2/2 bytes=$total/$total percent=100 .* name=pair\$"
da /list
expect "doadmin: /transfer completed its job (not listed any more)" 0 $'\nListed 0 job(s).'

# A 404: the error lines, the job cancelled, one line on stderr, exit 1.
da /transfer t404 "$url/small.bin" "$win\\ok.bin" "$url/missing.bin" "$win\\missing.bin"
check "doadmin: /transfer 404: exit 1, one stderr line with the code and the service's text" \
    exactly_one_error_line 1 "^doadmin: /transfer t404: the transfer failed, the job was canceled: 0x80190194 - .+"
error_lines() {
    tail -n 4 "$tmp/out" | sed -E "s/$guid_re/{GUID}/" | diff - <(printf '%s\n' \
        "ERROR FILE:    $url/missing.bin -> $win\\missing.bin" \
        "ERROR CODE:    0x80190194 - HTTP 404 (Not Found): the server did not find the requested file." \
        "ERROR CONTEXT: 0x00000005 - The error occurred while the remote file was being processed." \
        "Job {GUID} canceled.") >"$tmp/diff" || { show_diff; return 1; }
}
check "doadmin: /transfer 404: ERROR FILE, CODE and CONTEXT lines, then 'Job {GUID} canceled.'" error_lines
check "doadmin: /transfer 404: the last progress line is ERROR" last_progress_line "$tmp/out" "state=ERROR "
da /list
expect "doadmin: /transfer 404: the job was cancelled" 0 $'\nListed 0 job(s).'
nothing_left() { local f; for f in "$@"; do [ ! -e "$dir/$f" ] || return 1; done; ! ls "$dir" | grep -q '^~opendo'; }
check "doadmin: /transfer 404: no file and no temporary file left" nothing_left missing.bin ok.bin

# Ctrl+C (SIGINT to doadmin.exe): the job it created is cancelled, exit 130.
# (The output files are emptied first: the background shell opens them only after it forked.)
: >"$tmp/out"
: >"$tmp/err"
"$doadmin" /transfer interrupted "$url/slow/data.bin" "$win\\int.bin" >"$tmp/out" 2>"$tmp/err" </dev/null &
wrapper_pid=$!
for i in $(seq 1 40); do grep -q 'state=TRANSFERRING' "$tmp/out" && break; sleep 0.25; done
finish "$wrapper_pid" 'doadmin.exe /transfer interrupted'
check "doadmin: Ctrl+C during /transfer: exit 130, 'stopped by Ctrl+C, job {GUID} canceled' on stderr" \
    exactly_one_error_line 130 "^doadmin: /transfer interrupted: stopped by Ctrl\\+C, job $guid_re canceled\$"
da /list
expect "doadmin: Ctrl+C during /transfer: the job is gone" 0 $'\nListed 0 job(s).'
check "doadmin: Ctrl+C during /transfer: no file and no temporary file left" nothing_left int.bin

# TRANSIENT_ERROR is shown and waited out: the server is not there yet (connection refused); the
# job shows its error in /info and /geterror; then a server comes up, /resume brings the retry
# forward (the service would retry after the 600 s minimum retry delay), and /transfer completes
# the job.
late_port=$(loopback_free_ports 1)
: >"$tmp/late.out"
"$doadmin" /transfer late "http://127.0.0.1:$late_port/small.bin" "$win\\late.bin" >"$tmp/late.out" 2>"$tmp/late.err" </dev/null &
late_pid=$!
for i in $(seq 1 80); do grep -q 'state=TRANSIENT_ERROR' "$tmp/late.out" && break; sleep 0.25; done
still_waiting() { grep -q 'state=TRANSIENT_ERROR' "$tmp/late.out" && kill -0 "$late_pid"; }
check "doadmin: /transfer shows TRANSIENT_ERROR (connection refused) and keeps waiting" still_waiting
da /info late /verbose
transient_info() {
    grep -qxF "TYPE: DOWNLOAD STATE: TRANSIENT_ERROR OWNER: $owner" "$tmp/out" &&
        grep -qE '^RETRY DELAY: 600 NO PROGRESS TIMEOUT: 86400 ERROR COUNT: [1-9][0-9]*$' "$tmp/out" &&
        grep -qxF "ERROR FILE:    http://127.0.0.1:$late_port/small.bin -> $win\\late.bin" "$tmp/out" &&
        grep -qE '^ERROR CODE:    0x[0-9a-f]{8} - .+$' "$tmp/out" &&
        grep -qE '^ERROR CONTEXT: 0x0000000[0-8] - .+$' "$tmp/out"
}
check "doadmin: /info /verbose of a job in TRANSIENT_ERROR: its state, error count and ERROR lines" transient_info
grep -E '^ERROR (FILE|CODE|CONTEXT):' "$tmp/out" >"$tmp/info-errors"
da /geterror late
same_error_lines() {
    [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/info-errors")" = 3 ] &&
        tail -n +4 "$tmp/out" | diff -q - "$tmp/info-errors" >/dev/null
}
check "doadmin: /geterror prints the same three ERROR lines as /info /verbose" same_error_lines
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" "$late_port" </dev/null >/dev/null 2>&1 &
server_pid=$!
for i in $(seq 1 50); do loopback_port_open "$late_port" && break; sleep 0.1; done
da /resume late
finish "$late_pid"
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=
late_done() { [ "$rc" = 0 ] && [ ! -s "$tmp/late.err" ] && [ "$(tail -n 1 "$tmp/late.out")" = "Transfer complete." ]; }
check "doadmin: /transfer after TRANSIENT_ERROR: the retry succeeds, exit 0, 'Transfer complete.'" late_done
check "doadmin: /transfer after TRANSIENT_ERROR: late.bin matches (SHA-256)" same_file "$tmp/www/small.bin" "$dir/late.bin"

# ---- /monitor, redirected: the header, then a line per change, until Ctrl+C -------------------
"$doadmin" /monitor /refresh 1 >"$tmp/monitor" 2>"$tmp/monitor.err" </dev/null &
monitor_pid=$!
sleep 2
da /create watched
watched=$(last_guid)
da /addfile watched "$url/slow/data.bin" "$win\\watched.bin"
da /resume watched
wait_state watched 60 Transferred
sleep 1.5
da /complete watched
sleep 2.5
finish "$monitor_pid" 'doadmin.exe /monitor'
check "doadmin: /monitor: Ctrl+C ends it with status 0, nothing on stderr" \
    test "$rc:$(wc -c <"$tmp/monitor.err")" = "0:0"
monitor_header() {
    diff <(printf '%s\n' "$banner" "MONITORING BACKGROUND COPY MANAGER(1 second refresh)") \
        <(head -n 4 "$tmp/monitor") >/dev/null
}
check "doadmin: /monitor: the banner, then 'MONITORING BACKGROUND COPY MANAGER(1 second refresh)'" monitor_header
monitor_lines() { [ "$(tail -n +5 "$tmp/monitor" | grep -vcE "$progress_re")" = 0 ]; }
check "doadmin: /monitor: every other line is a progress line of the documented form" monitor_lines
grep -F "job=$watched " "$tmp/monitor" >"$tmp/watched"
check "doadmin: /monitor: the job's bytes never go down" bytes_never_decrease "$tmp/watched"
watched_life() {
    grep -q "state=TRANSFERRING" "$tmp/watched" &&
        grep -qE "state=TRANSFERRED files=1/1 bytes=$size/$size percent=100 " "$tmp/watched" &&
        tail -n 1 "$tmp/watched" | grep -q "state=ACKNOWLEDGED .* name=watched\$"
}
check "doadmin: /monitor: the job was seen TRANSFERRING, then TRANSFERRED with all its bytes, then ACKNOWLEDGED" watched_life
check "doadmin: /monitor: no line repeats the one before it (a line per change)" test -z "$(uniq -d "$tmp/watched")"
check "doadmin: redirected output has no CR (the wrapper strips them)" no_cr "$tmp/monitor"

# ---- a console: UTF-16 through WriteConsoleW, a live progress line ----------------------------
on_console() { LC_ALL=C.UTF-8 script -qec "$(printf '%q ' "$doadmin" "$@")" /dev/null </dev/null >"$tmp/console" 2>&1; }
da /create 'Jöb € console'
on_console /list
check "doadmin: on a console, /list writes the name through WriteConsoleW (UTF-8 on the terminal)" \
    grep -qF 'Jöb € console SUSPENDED' "$tmp/console"
da /reset
on_console /transfer live "$url/slow/data.bin" "$win\\live.bin"
rc=$?
check "doadmin: /transfer on a console: exit 0" test "$rc" = 0
check "doadmin: /transfer on a console: live.bin matches (SHA-256)" same_file "$tmp/www/data.bin" "$dir/live.bin"
# What the terminal got, without the console's cursor escape sequences.
terminal_text() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$tmp/console"; }
check "doadmin: /transfer on a console: a live line redrawn in place (CR), with bar, percent, bytes, rate, ETA, state" \
    grep -qaE $'\r''\[#+\] 100%  3\.0 MiB / 3\.0 MiB  [0-9.]+ (B|KiB|MiB)/s  ETA 0:00  TRANSFERRED' <(terminal_text)
check "doadmin: /transfer on a console: the live line was redrawn several times" \
    test "$(terminal_text | tr '\r' '\n' | grep -c '^\[[#.]*\] ')" -gt 3
check "doadmin: /transfer on a console: no plain progress lines" test "$(grep -ac 'job={' "$tmp/console")" = 0
check "doadmin: /transfer on a console: 'Transfer complete.'" grep -qa 'Transfer complete\.' "$tmp/console"

# ---- /help, /?, /examples ----------------------------------------------------------------------
da /help
help=$(cat "$tmp/out")
missing=
for s in /help /? /examples /list /monitor /reset /transfer /create /addfile /addfileset /addfilewithranges \
    /replaceremoteprefix /resume /suspend /cancel /complete /takeownership /info /listfiles /getstate /gettype \
    /getbytestotal /getbytestransferred /getfilestotal /getfilestransferred /getcreationtime \
    /getmodificationtime /getcompletiontime /getdisplayname /getdescription /geterror /geterrorcount /getowner \
    /getpriority /getminretrydelay /getnoprogresstimeout /getmaxdownloadtime /getnotifyflags \
    /getnotifyinterface /getnotifycmdline /getproxyusage /getproxylist /getproxybypasslist /getcustomheaders \
    /getsecurityflags /getclientcertificate /gethttpmethod /getaclflags /getpeercachingflags \
    /gethelpertokenflags /gethelpertokensid /getreplydata /getreplyfilename /getreplyprogress \
    /gettemporaryname /getvalidationstate /setdisplayname /setdescription /setpriority /setminretrydelay \
    /setnoprogresstimeout /setmaxdownloadtime /setnotifyflags /setnotifycmdline /setproxysettings \
    /setcredentials /removecredentials /setcustomheaders /makecustomheaderswriteonly /setsecurityflags \
    /setclientcertificatebyid /setclientcertificatebyname /removeclientcertificate /sethttpmethod /setaclflag \
    /setpeercachingflags /sethelpertoken /sethelpertokenflags /setreplyfilename /setvalidationstate /cache \
    /peercaching /peers; do
    grep -qE "^  $(printf '%s' "$s" | sed 's/?/\\?/')( |\$)" <<<"$help" || missing+=" $s"
done
check "doadmin: /help lists every bitsadmin switch of the spec${missing:+ (missing:$missing)}" test -z "$missing"
da '/?'
check "doadmin: /? prints the same as /help" test "$rc:$(cat "$tmp/out")" = "0:$help"
da /examples
check "doadmin: /examples" grep -q "doadmin /transfer" "$tmp/out"
da /rawreturn /nowrap /wrap /list
check "doadmin: /wrap and /nowrap are accepted (with /rawreturn, an empty queue prints nothing)" \
    test "$rc:$(wc -c <"$tmp/out")" = "0:0"

# ---- a local source is opened for reading as the caller before it is accepted (local_path.c).
# What the caller may not open for reading is refused: a directory (Windows and Wine answer
# ERROR_ACCESS_DENIED), and, when the tests do not run as root, a file with mode 000.
head -c 1000 /dev/urandom >"$dir/readable.bin"
mkdir -p "$dir/a-directory"
da /create sources
da /addfile sources "$win\\a-directory" "$win\\directory-copy.bin"
refused "doadmin: /addfile of a local source the caller may not open for reading: E_ACCESSDENIED" 1 "0x80070005"
da /addfile sources "file:///C:/opendo-tests/doadmin/a-directory" "$win\\directory-copy.bin"
refused "doadmin: /addfile of a file:// source the caller may not open for reading: E_ACCESSDENIED" 1 "0x80070005"
if [ "$(id -u)" != 0 ]; then
    head -c 1000 /dev/urandom >"$dir/secret.bin"
    chmod 000 "$dir/secret.bin"
    da /addfile sources "$win\\secret.bin" "$win\\secret-copy.bin"
    refused "doadmin: /addfile of a local file the caller may not read (mode 000): E_ACCESSDENIED" 1 "0x80070005"
    chmod 600 "$dir/secret.bin"
else
    echo "# running as root, who reads every file: the mode-000 source case is not run"
fi
da /addfile sources "$win\\readable.bin" "$win\\readable-copy.bin"
expect "doadmin: /addfile of a local source the caller may read" 0 \
    "Added $win\\readable.bin -> $win\\readable-copy.bin to the job."
da /listfiles sources
check "doadmin: the refused sources left no file in the job" \
    bash -c 'grep -q "readable.bin" "$1" && ! grep -qE "secret|a-directory" "$1" || { sed "s/^/#   /" "$1"; false; }' \
    _ "$tmp/out"
da /cancel sources

# ---- expiry: a job older than the DO limit (30 days) is cancelled when the service starts, and its
# temporary file, which the service itself wrote, is deleted with the service's identity (no client
# is calling then: maintenance.c, file_ops.c remove_service_file)
da /create expiring
expiring=$(last_guid)
da /addfile expiring "$url/slow/data.bin" "$win\\expiring.bin"
da /resume expiring
expiring_temp=
for _ in $(seq 100); do
    expiring_temp=$(find "$dir" -maxdepth 1 -iname "~opendo-${expiring:1:8}-0.tmp" -size +0 | head -n 1)
    [ -n "$expiring_temp" ] && break
    sleep 0.1
done
da /suspend expiring
check "doadmin: expiry: the job's temporary file holds bytes before" test -s "$expiring_temp"
service_stop
hundred_days=$((100 * 864000000000))
sqlite3 "$db_path" "UPDATE jobs SET creation_time = creation_time - $hundred_days,
    modification_time = modification_time - $hundred_days WHERE display_name = 'expiring'" 2>"$tmp/sqlite3.err"
check "doadmin: expiry: the job is made 100 days old (sqlite3, service stopped)" test ! -s "$tmp/sqlite3.err"
service_start
for _ in $(seq 100); do
    grep -qi "job.expire.*${expiring:1:36}" "$log_path" && [ ! -e "$expiring_temp" ] && break
    sleep 0.1
done
check "doadmin: expiry: the service cancelled the 100-day-old job at start-up (job.expire)" \
    grep -qi "WARN .*${expiring:1:36}.* job.expire .*older than 30 days" "$log_path"
check "doadmin: expiry: its temporary file is gone (the service's own file, deleted with its identity)" \
    test -n "$expiring_temp" -a ! -e "$expiring_temp"
check "doadmin: expiry: no file.cleanup complaint for it" bash -c '! grep -qi "${1}.* file.cleanup " "$2"' _ \
    "${expiring:1:36}" "$log_path"
da /info "$expiring"
check "doadmin: expiry: /info of the expired job fails" test "$rc" != 0

da /reset
e2e_exit
