#!/usr/bin/env bash
# tests/e2e/marshal.sh: round trip of every method of every interface of the DO IDL through
# doproxy.dll, between marshal_test.exe and the out-of-process echo server (tests/echo/).
# Prints the test's check lines ("ok - ..." / "not ok - ...") on stdout; exits non-zero on failure.
#
# Prefix: $OPENDO_TEST_PREFIX when the test runner gives one (the runner owns it: left running),
# else build/tests/wine (created if needed, stopped at the end).  Either way this script installs
# what it needs itself: doproxy.dll + echosrv.exe + marshal_test.exe into C:\opendo-tests\,
# regsvr32 of the proxy, and the echo server's LocalServer32 registration.
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD="$TOP/build"
ECHO_CLSID='{1B16FAB0-D10A-458C-BCD6-CDC95B729D81}'   # tests/echo/echo.h
PROXY_CLSID='{52E1DB2B-FAD4-429F-8815-13C04CD8152A}'  # proxy-stub/module.mk
START=$(date +%s)

if [ -n "${OPENDO_TEST_PREFIX:-}" ]; then
    PREFIX="$OPENDO_TEST_PREFIX"
    OWN_PREFIX=0
else
    PREFIX="$BUILD/tests/wine"
    OWN_PREFIX=1
fi
# shellcheck source=../../scripts/wine-env.sh
. "$TOP/scripts/wine-env.sh" "$PREFIX"

fail() { echo "not ok - marshal.sh: $*"; exit 1; }

for f in doproxy.dll tests/echosrv.exe tests/marshal_test.exe; do
    [ -f "$BUILD/win/$f" ] || fail "$BUILD/win/$f is missing (run make)"
done

# The persistent wineserver and the session's system processes inherit the handles of whoever
# boots the prefix: keep our stdout (often a pipe to the test runner) out of them.
if [ "$OWN_PREFIX" = 1 ]; then
    trap 'wine_prefix_down' EXIT
fi
wine_prefix_up </dev/null >/dev/null 2>&1 || fail "the Wine prefix $PREFIX did not start"

DEST="$WINEPREFIX/drive_c/opendo-tests"
mkdir -p "$DEST" "$BUILD/tests"
LOG="$BUILD/tests/marshal-wine.log"
: >"$LOG"
cp "$BUILD/win/doproxy.dll" "$BUILD/win/tests/echosrv.exe" "$BUILD/win/tests/marshal_test.exe" "$DEST/" \
    || fail "cannot copy the test programs into $DEST"

# Proxy/stub registration (Interface\{iid}\ProxyStubClsid32 for all 36 IIDs; see docs/proxy-stub.md).
# If the prefix already has doproxy.dll registered elsewhere (the runner's install step), that
# registration is put back at the end.
PREV_PROXY=$(wine reg query "HKCR\\CLSID\\$PROXY_CLSID\\InprocServer32" /ve </dev/null 2>/dev/null \
    | tr -d '\r' | awk -F'REG_SZ[ \t]+' 'NF > 1 { print $2; exit }')
restore_proxy() {
    case "$PREV_PROXY" in
        ''|'C:\opendo-tests\doproxy.dll') ;;
        *) wine regsvr32 /s "$PREV_PROXY" </dev/null >>"$LOG" 2>&1 ;;
    esac
}
wine regsvr32 /s 'C:\opendo-tests\doproxy.dll' </dev/null >>"$LOG" 2>&1 \
    || fail "regsvr32 doproxy.dll failed (see $LOG)"
# The echo server, a test-only local server class.
wine reg add "HKCR\\CLSID\\$ECHO_CLSID" /ve /d 'opendo marshalling echo server (tests only)' /f \
    </dev/null >>"$LOG" 2>&1 || fail "reg add of the echo server class failed (see $LOG)"
wine reg add "HKCR\\CLSID\\$ECHO_CLSID\\LocalServer32" /ve /d 'C:\opendo-tests\echosrv.exe' /f \
    </dev/null >>"$LOG" 2>&1 || fail "reg add of the echo server LocalServer32 failed (see $LOG)"

# Wine console programs write straight to the unix stdout when it is not a console: pipe it.
OUT=$(timeout 240 wine 'C:\opendo-tests\marshal_test.exe' </dev/null 2>>"$LOG" | cat; exit "${PIPESTATUS[0]}")
RC=$?
restore_proxy
printf '%s\n' "$OUT" | tr -d '\r'

OKS=$(printf '%s\n' "$OUT" | grep -c '^ok - ')
NOTOKS=$(printf '%s\n' "$OUT" | grep -c '^not ok - ')
echo "# marshal.sh: $OKS ok, $NOTOKS not ok, exit code $RC, $(( $(date +%s) - START )) s"
if [ "$RC" -ne 0 ] || [ "$NOTOKS" -ne 0 ] || [ "$OKS" -eq 0 ]; then
    [ "$NOTOKS" -ne 0 ] || echo "not ok - marshal.sh: marshal_test.exe exited with $RC (see $LOG)"
    exit 1
fi
exit 0
