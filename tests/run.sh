#!/usr/bin/env bash
# The one test runner: checks of the build itself (tests/build), native unit tests (ASan/UBSan),
# the fuzz targets (tests/fuzz, a few seconds each),
# the end-to-end tests that need no Wine (tests/e2e scripts marked "# opendo-test: native"),
# then the Wine end-to-end tests in a throw-away prefix that it creates, installs opendo into,
# and always tears down (also on failure or interrupt). Every program reports "ok - ..." /
# "not ok - ..." lines; a program that exits non-zero without reporting a failure counts as one.
# Last line: "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

passed=0
failed=0

# Runs one test program or script, echoing its output and counting its check lines.
run_test() {
    local name=$1; shift
    local out status ok notok
    echo "# $name"
    out=$("$@" 2>&1)
    status=$?
    printf '%s\n' "$out" | grep -aE '^(ok|not ok) - |^# ' || true
    ok=$(printf '%s\n' "$out" | grep -ac '^ok - ')
    notok=$(printf '%s\n' "$out" | grep -ac '^not ok - ')
    if [ "$status" -ne 0 ] && [ "$notok" -eq 0 ]; then
        echo "not ok - $name exited with status $status"
        printf '%s\n' "$out" | grep -avE '^(ok|not ok) - ' | tail -n 20 | sed 's/^/#   /'
        notok=1
    fi
    passed=$((passed + ok))
    failed=$((failed + notok))
}

for t in tests/build/*.sh; do
    run_test "build: $(basename "$t" .sh)" bash "$t"
done

for t in build/native/tests/*; do
    [ -x "$t" ] && run_test "native: $(basename "$t")" "$t"
done

# The libFuzzer targets (tests/fuzz), a few seconds each on a copy of their seeds: they stay green.
for t in tests/fuzz/*.c; do
    target=$(basename "$t" .c)
    run_test "fuzz: $target" bash tests/fuzz/run.sh "${FUZZ_TEST_SECONDS:-5}" "$target"
done

is_native_e2e() { grep -q '^# opendo-test: native' "$1"; }
for t in tests/e2e/*.sh; do
    is_native_e2e "$t" && run_test "e2e (native): $(basename "$t" .sh)" bash "$t"
done

export OPENDO_TEST_PREFIX="$top/build/tests/wine"
export OPENDO_BIN_DIR="$top/build/tests/bin"   # install.sh's doadmin wrapper for this prefix
export WINEPREFIX="$OPENDO_TEST_PREFIX"
. scripts/wine-env.sh "$OPENDO_TEST_PREFIX"
. scripts/service-control.sh
teardown() {
    service_stop >/dev/null 2>&1
    wine_prefix_down
}
trap teardown EXIT
trap 'exit 130' INT TERM

echo "# creating the test prefix $OPENDO_TEST_PREFIX"
wineserver -k >/dev/null 2>&1
rm -rf "$OPENDO_TEST_PREFIX"
if bash scripts/install.sh >build/tests-install.log 2>&1; then
    echo "ok - install into a fresh prefix"
    passed=$((passed + 1))
    for t in tests/e2e/*.sh; do
        case "$t" in *lib.sh) continue ;; esac # sourced by the tests, not tests
        is_native_e2e "$t" && continue
        run_test "e2e: $(basename "$t" .sh)" bash "$t"
    done
else
    echo "not ok - install into a fresh prefix"
    tail -n 20 build/tests-install.log | sed 's/^/#   /'
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
