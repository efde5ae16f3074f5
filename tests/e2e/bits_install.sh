#!/usr/bin/env bash
# opendo becomes the prefix's BITS service and gives it back (docs/bits.md, "Switching a prefix to
# opendo's BITS"): Wine's BITS answers first; `dosvc install --bits` (over a running Wine BITS)
# makes all ten BITS classes opendo's, served by DoSvc's process; sc stop BITS leaves DoSvc
# serving; a second install keeps Wine's snapshot; `uninstall --bits` restores every touched key
# exactly and Wine's BITS answers again; a Wine update (wineboot -u re-runs wine.inf) resets the
# switch, /util /version says so and /util /repairservice re-applies it; a full uninstall gives
# BITS back too. Leaves the prefix as tests/run.sh made it: DoSvc installed, BITS Wine's.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d)
trap 'bits_switch_off; rm -rf "$tmp"' EXIT

bits_client="$top/build/win/tests/bits_install_client.exe"
bc() { wine "$bits_client" "$@" </dev/null 2>/dev/null | tr -d '\r'; }
admin() { wine 'C:\Program Files\opendo\doadmin.exe' "$@" </dev/null 2>&1 | tr -d '\r'; return "${PIPESTATUS[0]}"; }
reg_value() { wine reg query "$1" /v "$2" </dev/null 2>/dev/null | tr -d '\r' | awk -v v="$2" '$1 == v { $1 = $2 = ""; sub(/^ +/, ""); print }'; }

bits_appid='{69AD4AEE-51BE-439B-A92C-86AE490E8B30}'
service_key='HKLM\System\CurrentControlSet\Services\BITS'
svchost_key='HKLM\Software\Microsoft\Windows NT\CurrentVersion\SvcHost'
bitsadmin_exe="$WINEPREFIX/drive_c/windows/system32/bitsadmin.exe"
# The ten BITS classes, from the IDL's coclasses (uuid line a few lines above each).
bits_clsids=$(grep -B4 'coclass BackgroundCopyManager' "$top/idl/deliveryoptimization.idl" |
              sed -n 's/.*uuid(\([0-9a-fA-F-]*\)).*/{\1}/p' | tr a-f A-F)
# Every key the switch touches (with everything below it), and system32\bitsadmin.exe.
dump() {
    local key
    for key in "$service_key" "$svchost_key" "HKLM\\Software\\Classes\\AppID\\$bits_appid" \
               'HKLM\Software\Classes\AppID\BITS' 'HKLM\Software\opendo\BITS'; do
        echo "## $key"
        wine reg query "$key" /s </dev/null 2>&1 | tr -d '\r'
    done
    for clsid in $bits_clsids; do
        echo "## CLSID $clsid"
        wine reg query "HKLM\\Software\\Classes\\CLSID\\$clsid" /s </dev/null 2>&1 | tr -d '\r'
    done
    echo "## bitsadmin.exe: $(sha "$bitsadmin_exe" || true)"
}
# Cancels $do_job (a job of the DO class made to show DoSvc serves): the store as it was.
cancel_do_job() { [ -z "$do_job" ] || admin /cancel "$do_job" >/dev/null; }
class_results() { bc classes | awk '{ print $3 }' | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }'; }
# The pid of the last "<what>, pid N" line of the service log.
logged_pid() { grep -a "$1, pid " "$log_path" | tail -n 1 | sed 's/.*, pid \([0-9]*\).*/\1/'; }
wine_answers() {
    local name=$1
    check "$name: the BITS service is Wine's (svchost -k netsvcs)" \
        bash -c "[[ \"\$1\" == *svchost.exe*netsvcs* ]]" _ "$(reg_value "$service_key" ImagePath)"
    check "$name: CLSID_BackgroundCopyManager answers, and it is Wine's BITS (SetDisplayName: E_NOTIMPL)" \
        [ "$(bc probe)" = "SERVER wine 0x80004001" ]
    check "$name: only CLSID_BackgroundCopyManager is registered (1_5 ... 10_3: REGDB_E_CLASSNOTREG)" \
        [ "$(class_results)" = "0x00000000 x1 0x80040154 x9 " ]
}

# --- Wine's BITS answers first (and runs: the switch must stop it)
wine_answers "before"
check "before: Wine's BITS service runs after the activation" [ "$(service_state BITS)" = RUNNING ]
check "before: BITS is in svchost's netsvcs group" \
    bash -c "[[ \"\$1\" == *BITS* ]]" _ "$(reg_value "$svchost_key" netsvcs)"
dump >"$tmp/before"
check "before: doadmin /util /version says Wine's qmgr answers BITS" \
    bash -c "grep -q '^BITS  *: Wine.s qmgr (C:.windows.system32.svchost.exe -k netsvcs)' <<<\"\$1\"" _ "$(admin /util /version)"

# --- the switch
check "install --bits: exits 0 over a running Wine BITS" bits_switch_on
check "install --bits: Wine's BITS was stopped" [ "$(service_state BITS)" = STOPPED ]
check "install --bits: the BITS service is dosvc.exe" \
    [ "$(reg_value "$service_key" ImagePath)" = '"C:\Program Files\opendo\dosvc.exe"' ]
check "install --bits: BITS is a SERVICE_WIN32_SHARE_PROCESS service (Type 0x20)" \
    [ "$(reg_value "$service_key" Type)" = 0x20 ]
check "install --bits: its display name says opendo" \
    bash -c "[[ \"\$1\" == *opendo* ]]" _ "$(reg_value "$service_key" DisplayName)"
check "install --bits: BITS left svchost's netsvcs group, fontcache and Schedule stayed" \
    [ "$(reg_value "$svchost_key" netsvcs)" = 'fontcache\0Schedule' ]
check "install --bits: bitsadmin.exe in system32 is doadmin.exe" \
    [ "$(sha "$bitsadmin_exe")" = "$(sha "$WINEPREFIX/drive_c/Program Files/opendo/doadmin.exe")" ]
check "install --bits: all ten BITS classes activate (CLSCTX_LOCAL_SERVER)" \
    [ "$(class_results)" = "0x00000000 x10 " ]
check "install --bits: sc query BITS says RUNNING (activation started it)" [ "$(service_state BITS)" = RUNNING ]
check "install --bits: DoSvc runs too" [ "$(service_state)" = RUNNING ]
dosvc_pid=$(logged_pid "service started")
check "install --bits: the BITS classes are served by DoSvc's process (pid ${dosvc_pid:-?})" \
    [ "$(logged_pid "serving the BITS classes")" = "${dosvc_pid:-none}" ]
check "install --bits: CLSID_BackgroundCopyManager is opendo (SetDisplayName: S_OK)" \
    [ "$(bc probe)" = "SERVER opendo 0x00000000" ]
job=$(bc create "made through CLSID_BackgroundCopyManager" | awk '/^JOB / { print $2 }')
check "install --bits: a job made through CLSID_BackgroundCopyManager" [ -n "$job" ]
check "install --bits: it is in DoSvc's store and log" grep -aq "$job.*job.create" "$log_path"
check "bitsadmin: 'wine bitsadmin /list /allusers' runs doadmin and lists that job" \
    bash -c "wine bitsadmin /list /allusers </dev/null 2>/dev/null | tr -d '\r' | grep -q '^$job made through CLSID_BackgroundCopyManager SUSPENDED'"
check "install --bits: doadmin /util /version says opendo answers BITS" \
    bash -c "grep -q '^BITS  *: opendo (service BITS -> dosvc.exe)' <<<\"\$1\"" _ "$(admin /util /version)"

# --- sc stop BITS: the BITS classes go, DoSvc keeps serving in the same process
revoked() { grep -ac 'no longer serving the BITS classes' "$log_path"; }
revoked_before=$(revoked)
service_stop BITS
check "sc stop BITS: BITS is STOPPED" [ "$(service_state BITS)" = STOPPED ]
check "sc stop BITS: DoSvc still RUNNING" [ "$(service_state)" = RUNNING ]
check "sc stop BITS: DoSvc's process revoked the BITS classes" [ "$(revoked)" = $((revoked_before + 1)) ]
do_job=$(create_job "sc stop BITS" "after sc stop BITS" 2>/dev/null)
check "sc stop BITS: DoSvc still serves the DO class" [ -n "$do_job" ]
cancel_do_job
check "sc stop BITS: ... in the same process" [ "$(logged_pid "service started")" = "$dosvc_pid" ]
check "sc stop BITS: activation starts BITS again; the job is still there (cancelled through it)" \
    [ "$(bc cancel "$job")" = "CANCEL 0x00000000" ]
check "sc stop BITS: BITS RUNNING again" [ "$(service_state BITS)" = RUNNING ]

# --- a second install keeps the snapshot, which is Wine's
wine reg query 'HKLM\Software\opendo\BITS\Saved' /s </dev/null 2>/dev/null | tr -d '\r' >"$tmp/saved1"
check "install --bits twice: exits 0" bits_switch_on
wine reg query 'HKLM\Software\opendo\BITS\Saved' /s </dev/null 2>/dev/null | tr -d '\r' >"$tmp/saved2"
check "install --bits twice: the snapshot is unchanged" cmp -s "$tmp/saved1" "$tmp/saved2"
check "install --bits twice: the snapshot holds Wine's BITS (svchost -k netsvcs)" \
    grep -q 'ImagePath.*svchost.exe -k netsvcs' "$tmp/saved2"

# --- uninstall --bits restores everything exactly
check "uninstall --bits: exits 0" bits_switch_off
dump >"$tmp/after"
if diff "$tmp/before" "$tmp/after" >"$tmp/diff"; then
    ok "uninstall --bits: every touched key (and bitsadmin.exe) is as before install --bits"
else
    not_ok "uninstall --bits: every touched key (and bitsadmin.exe) is as before install --bits"
    sed 's/^/#   /' "$tmp/diff"
fi
wine_answers "after uninstall --bits"
do_job=$(create_job "uninstall --bits" "after uninstall --bits" 2>/dev/null)
check "after uninstall --bits: DoSvc is installed and serves the DO class" [ -n "$do_job" ]
cancel_do_job

# --- switched again; a Wine update resets it; /util /repairservice repairs it
check "reinstall: install --bits exits 0" bits_switch_on
check "reinstall: CLSID_BackgroundCopyManager is opendo again" [ "$(bc probe)" = "SERVER opendo 0x00000000" ]
wineboot -u </dev/null >/dev/null 2>&1
check "wineboot -u: re-ran wine.inf, the BITS service is svchost again" \
    bash -c "[[ \"\$1\" == *svchost.exe*netsvcs* ]]" _ "$(reg_value "$service_key" ImagePath)"
version=$(admin /util /version); status=$?
check "after the reset: doadmin /util /version says the switch was reset, and how to repair it" \
    bash -c "grep -q '^BITS  *: switched to opendo but reset (a Wine update re-ran wine.inf): run doadmin /util /repairservice' <<<\"\$1\"" _ "$version"
check "after the reset: /util /version exits 1 (broken)" [ "$status" = 1 ]
check "/util /repairservice: exits 0" bash -c "wine 'C:\Program Files\opendo\doadmin.exe' /util /repairservice </dev/null >/dev/null 2>&1"
check "/util /repairservice: /util /version says opendo answers BITS" \
    bash -c "grep -q '^BITS  *: opendo (service BITS -> dosvc.exe)' <<<\"\$1\"" _ "$(admin /util /version)"
check "/util /repairservice: all ten BITS classes activate" [ "$(class_results)" = "0x00000000 x10 " ]
check "/util /repairservice: CLSID_BackgroundCopyManager is opendo" [ "$(bc probe)" = "SERVER opendo 0x00000000" ]

# --- a full uninstall gives BITS back too, and leaves Wine's BITS marshalable (doproxy.dll's
# unregistration removes the Interface keys both share; Wine's qmgrprxy.dll registers them again)
manager_proxy() { wine reg query 'HKCR\Interface\{5CE34C0D-0DC9-4C1F-897C-DAA1B78CEE7C}\ProxyStubClsid32' /ve \
                  </dev/null 2>/dev/null | tr -d '\r' | awk '/REG_SZ/ { print $3 }'; }
check "full uninstall: exits 0" bash -c "wine '$dosvc_exe' uninstall </dev/null >/dev/null 2>&1"
dump >"$tmp/final"
if diff "$tmp/before" "$tmp/final" >"$tmp/diff"; then
    ok "full uninstall: every key install --bits touched is as before"
else
    not_ok "full uninstall: every key install --bits touched is as before"
    sed 's/^/#   /' "$tmp/diff"
fi
check "full uninstall: IBackgroundCopyManager's proxy/stub is Wine's qmgrprxy.dll again" \
    [ "$(manager_proxy)" = '{5CE34C0D-0DC9-4C1F-897C-DAA1B78CEE7C}' ]
wine_answers "after a full uninstall"
check "scripts/install.sh installs DoSvc again (as tests/run.sh left the prefix)" \
    bash -c "bash '$top/scripts/install.sh' >'$tmp/install.log' 2>&1"
check "after install.sh: the prefix is not switched, Wine's BITS answers" [ "$(bc probe)" = "SERVER wine 0x80004001" ]
e2e_exit
