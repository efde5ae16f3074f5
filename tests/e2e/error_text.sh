#!/usr/bin/env bash
# End-to-end: the service's message catalog and service/messages/error_text.c (error_text_test.exe, built
# by service/messages/messages.mk), run in the runner's prefix. Its check lines go to stdout as they are;
# exits non-zero when it fails.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/error_text_test.exe"
if [ ! -f "$exe" ]; then
    not_ok "error_text_test.exe is built" "$exe is missing"
    e2e_exit
fi
out=$(wine "$exe" </dev/null 2>/dev/null | tr -d '\r'; exit "${PIPESTATUS[0]}")
status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok - '; then
    not_ok "error_text_test.exe exits cleanly" "status $status"
fi
[ "$status" -eq 0 ] || e2e_failures=$((e2e_failures + 1))
e2e_exit
