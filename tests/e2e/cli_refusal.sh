#!/usr/bin/env bash
# End-to-end: every program a user runs in the prefix refuses a command line it does not know (an
# unknown or misspelled option or switch, a missing value or argument, an extra argument): exit
# status 2, the usage on stderr, and nothing changed. dosvc.exe: the service's registration, the
# COM class, AppID and proxy/stub keys and the running service are the same before and after
# (`wine reg query`, `sc query`). doadmin, dodownload and dodemo: no job and no download created
# (doadmin /list /allusers lists both before and after), no local file written.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d /tmp/opendo-cli-refusal.XXXXXX)
dir="$WINEPREFIX/drive_c/opendo-tests/cli-refusal" # C:\opendo-tests\cli-refusal\ in the prefix
win='C:\opendo-tests\cli-refusal'
trap 'rm -rf "$tmp" "$dir"' EXIT
mkdir -p "$dir"
programs='C:\Program Files\opendo'
doadmin="${OPENDO_BIN_DIR:-$top/build/bin}/doadmin"
url='http://127.0.0.1:47150/file.bin' # never fetched: every command below is refused first
local_file="$win\\file.bin"

# The keys dosvc.exe install writes, and the service's state.
registration() {
    local key
    for key in 'HKLM\SYSTEM\CurrentControlSet\Services\DoSvc' \
        'HKCR\CLSID\{5B99FA76-721C-423C-ADAC-56D03C8A8007}' 'HKCR\AppID\{5B99FA76-721C-423C-ADAC-56D03C8A8007}' \
        'HKCR\CLSID\{6DA97CEB-34DE-4ADA-8415-25444291C60D}' 'HKCR\CLSID\{52E1DB2B-FAD4-429F-8815-13C04CD8152A}' \
        'HKCR\Interface\{5CE34C0D-0DC9-4C1F-897C-DAA1B78CEE7C}' 'HKLM\SYSTEM\CurrentControlSet\Services\BITS'; do
        echo "== $key"
        wine reg query "$key" /s </dev/null 2>&1 | tr -d '\r'
    done
    echo "== DoSvc $(service_state)"
}
# The ids of every job and download of every user.
jobs() { "$doadmin" /list /allusers </dev/null 2>&1 | grep -oE '\{[0-9A-Fa-f-]{36}\}' | sort; }

# refused NAME USAGE SNAPSHOT EXE ARGS...: the program exits 2 with the line "USAGE..." on stderr,
# and SNAPSHOT (a function) prints the same before and after; no local file was written.
refused() {
    local name=$1 usage=$2 snapshot=$3 exe=$4 before status problem=
    shift 4
    before=$($snapshot)
    timeout 60 wine "$programs\\$exe" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" -eq 2 ] || problem="exit status $status, not 2"
    tr -d '\r' <"$tmp/err" | grep -q "^$usage" || problem="${problem:+$problem; }no '$usage' line on stderr"
    [ "$($snapshot)" = "$before" ] || problem="${problem:+$problem; }$snapshot changed"
    [ ! -e "$dir/file.bin" ] || problem="${problem:+$problem; }$local_file was written"
    if [ -z "$problem" ]; then ok "$name"; else not_ok "$name" "$problem"; tr -d '\r' <"$tmp/err" | head -n 3 | sed 's/^/#   /'; fi
}

# ---- dosvc.exe, with the service installed and running --------------------------------------
check "cli: DoSvc is running" service_start
check "cli: the registration snapshot shows the service and the class" \
    grep -q 'DeliveryOptimization\|dosvc.exe' <(registration)
for args in "install --anything" "uninstall --x" "console --y" "install --bits extra" "install extra" \
    "--bogus" "instal" "uninstall --bist"; do
    # shellcheck disable=SC2086  # the words of $args are the arguments
    refused "cli: dosvc.exe $args: refused, registration and service unchanged" "usage: dosvc" registration \
        dosvc.exe $args
done

# ---- doadmin -----------------------------------------------------------------------------------
# da_refused NAME TEXT ARGS...: doadmin exits 2 with one "doadmin: ..." line on stderr containing
# TEXT and the usage, and no job appears or goes.
da_refused() {
    local name=$1 text=$2 before status problem=
    shift 2
    before=$(jobs)
    "$doadmin" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" -eq 2 ] || problem="exit status $status, not 2"
    [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^doadmin: .*usage: doadmin' "$tmp/err" && grep -qF -- "$text" "$tmp/err" ||
        problem="${problem:+$problem; }stderr is not one usage line with \"$text\""
    [ "$(jobs)" = "$before" ] || problem="${problem:+$problem; }the jobs changed"
    [ ! -e "$dir/file.bin" ] || problem="${problem:+$problem; }$local_file was written"
    if [ -z "$problem" ]; then ok "$name"; else not_ok "$name" "$problem"; head -n 3 "$tmp/err" | sed 's/^/#   /'; fi
}
da_refused "cli: doadmin unknown switch" "unknown switch '/bogus'" /bogus
da_refused "cli: doadmin misspelled switch" "unknown switch '/lsit'" /lsit
da_refused "cli: doadmin misspelled global option" "unknown switch '/rawreturnx'" /rawreturnx /list
da_refused "cli: doadmin missing argument" "missing argument" /create
da_refused "cli: doadmin extra argument" "unexpected argument 'second'" /create first second
da_refused "cli: doadmin /create /dowload (a misspelled option, not a job name)" \
    "unknown option '/dowload'" /create /dowload
da_refused "cli: doadmin /create with a misspelled option and a name" \
    "unknown option '/downlaod'" /create /downlaod cli-job
da_refused "cli: doadmin /list with a misspelled option" "unknown option '/verbos'" /list /verbos
da_refused "cli: doadmin /transfer with a misspelled option" "unknown option '/priorty'" \
    /transfer cli-job /priorty high "$url" "$local_file"
da_refused "cli: doadmin /transfer with an option without its value (at the end)" \
    "missing value after '/priority'" /transfer cli-job "$url" "$local_file" /priority
da_refused "cli: doadmin /transfer with an option as an option's value" \
    "missing value after '/priority'" /transfer cli-job /priority /download "$url" "$local_file"
da_refused "cli: doadmin /transfer with an option it does not take" "unknown option '/verbose'" \
    /transfer cli-job /verbose "$url" "$local_file"

# Free text may start with '/': a description is not an option.
"$doadmin" /rawreturn /create cli-free </dev/null >"$tmp/out" 2>&1
free=$(grep -oE '\{[0-9A-Fa-f-]{36}\}' "$tmp/out" | head -n 1)
"$doadmin" /setdescription "$free" /quiet </dev/null >/dev/null 2>&1
check "cli: doadmin /setdescription takes a text that starts with '/'" \
    test "$("$doadmin" /rawreturn /getdescription "$free" </dev/null 2>/dev/null)" = /quiet
"$doadmin" /cancel "$free" </dev/null >/dev/null 2>&1

# ---- dodownload and dodemo ---------------------------------------------------------------------
refused "cli: dodownload unknown option" "usage: dodownload" jobs dodownload.exe /bogus "$url" "$local_file"
refused "cli: dodownload misspelled option" "usage: dodownload" jobs dodownload.exe /foregrund "$url" "$local_file"
refused "cli: dodownload option with '-'" "usage: dodownload" jobs dodownload.exe --keep "$url" "$local_file"
refused "cli: dodownload malformed /timeout" "usage: dodownload" jobs dodownload.exe /timeout abc "$url" "$local_file"
refused "cli: dodownload malformed /securityflags" "usage: dodownload" jobs dodownload.exe /securityflags 0x1z "$url" "$local_file"
refused "cli: dodownload option without its value" "usage: dodownload" jobs dodownload.exe /name /keep "$url" "$local_file"
refused "cli: dodownload missing argument" "usage: dodownload" jobs dodownload.exe "$url"
refused "cli: dodownload extra argument" "usage: dodownload" jobs dodownload.exe "$url" "$local_file" extra
refused "cli: dodownload option after the URL" "usage: dodownload" jobs dodownload.exe "$url" /keep
refused "cli: dodemo missing argument" "usage: dodemo" jobs dodemo.exe create
refused "cli: dodemo extra argument" "usage: dodemo" jobs dodemo.exe create one two
refused "cli: dodemo misspelled command" "usage: dodemo" jobs dodemo.exe creat cli-job
refused "cli: dodemo an option as the job's name" "usage: dodemo" jobs dodemo.exe create --anything
refused "cli: dodemo download without its local name" "usage: dodemo" jobs dodemo.exe download "$url"
refused "cli: dodemo show --all" "usage: dodemo" jobs dodemo.exe show --all

e2e_exit
