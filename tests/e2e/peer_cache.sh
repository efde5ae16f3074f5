#!/usr/bin/env bash
# End-to-end (in process, under Wine): the BITS manager's IBitsPeerCacheAdministration and its
# empty enumerators (peer_cache_test.exe, tests/e2e/peer_cache_test.c). Its check lines go to
# stdout; exits non-zero when it fails.
. "$(dirname "$0")/lib.sh"

exe="$top/build/win/tests/peer_cache_test.exe"
if [ ! -f "$exe" ]; then
    not_ok "peer cache: peer_cache_test.exe is built" "$exe is missing"
    e2e_exit
fi
client_program=$exe client_label="peer cache: peer_cache_test"
run_client
e2e_exit
