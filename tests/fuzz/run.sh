#!/usr/bin/env bash
# Runs libFuzzer targets built by tests/fuzz/fuzz.mk, each for SECONDS on a throw-away copy of its
# committed seeds (tests/fuzz/corpus/<target>/ stays unchanged), one line per target:
#   ok - fuzz: <target> ran N s, no crash        not ok - fuzz: <target> ... (input kept)
# An input that crashes, leaks or trips a sanitizer is kept as build/fuzz/artifacts/<target>-*;
# replay it with build/fuzz/<target> <that file>.
#   bash tests/fuzz/run.sh SECONDS TARGET...
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
seconds=$1; shift

# Corpus copies and the targets' own files (TMPDIR): in memory when the machine allows it.
shm=/dev/shm; [ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
work=$(mktemp -d "$shm/opendo-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tmp"
mkdir -p build/fuzz/artifacts

failures=0
for target in "$@"; do
    program=build/fuzz/$target
    corpus=$work/$target
    mkdir -p "$corpus"
    cp tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null
    log=build/fuzz/$target.log
    if [ ! -x "$program" ]; then
        echo "not ok - fuzz: $target is not built ($program)"
        failures=$((failures + 1))
    elif TMPDIR=$work/tmp "$program" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=1024 -print_final_stats=1 \
            -artifact_prefix="build/fuzz/artifacts/$target-" "$corpus" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "ok - fuzz: $target ran $seconds s, no crash (${runs:-?} inputs)"
    else
        echo "not ok - fuzz: $target failed, see $log and build/fuzz/artifacts/$target-*"
        grep -m1 -E '^==[0-9]+==ERROR|runtime error|fuzz check failed' "$log" | sed 's/^/#   /'
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ]
