#!/usr/bin/env bash
# The newcomer's first command: nothing may run before the bootstrap has finished, whatever goal a
# user types first and with or without -j (a fresh machine has no widl, no mingw-w64, no deps).
#
# For each goal, in a fresh copy of the tree (no build/), make runs with SHELL set to a guard:
# make runs every recipe line and every $(shell ...) through $(SHELL), so the guard sees all of
# them in the order make starts them. scripts/bootstrap.sh is replaced in the copy by a stand-in
# that takes a second and then fails, as a bootstrap on a machine without network would. The
# guard runs the bootstrap and nothing else (it only records the rest), so the record is exactly
# what make tried to do: the bootstrap alone, first, and nothing during it or after its failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-bootstrap-first.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

# A fresh clone's files: the tree without build/ and .git.
tree=$work/tree
mkdir -p "$tree"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$tree" -xf -

export GUARD_LOG=$work/record
cat >"$work/guard-shell" <<'EOF'
#!/bin/sh
# make calls: guard-shell -c 'command'
printf 'run: %s\n' "$2" >>"$GUARD_LOG"
case "$2" in *scripts/bootstrap.sh*) exec /bin/sh "$@" ;; esac
exit 0
EOF
cat >"$tree/scripts/bootstrap.sh" <<'EOF'
#!/usr/bin/env bash
echo "bootstrap: started" >>"$GUARD_LOG"
sleep 1
echo "bootstrap: failed" >>"$GUARD_LOG"
exit 1
EOF
chmod +x "$work/guard-shell"

# The inner makes are what a user types: nothing of the make that runs this test leaks in.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# run_make ARGS...: make in a fresh copy (no build/) with the guard; the record is left in
# $GUARD_LOG, make's status in $status and its output in $work/make.out.
run_make() {
    rm -rf "$tree/build"
    : >"$GUARD_LOG"
    make -C "$tree" SHELL="$work/guard-shell" "$@" >"$work/make.out" 2>&1
    status=$?
}

expected_record() {
    printf '%s\n' "run: bash scripts/bootstrap.sh" "bootstrap: started" "bootstrap: failed"
}

for goal in "" all test demo install bench bench-fleet cache-host deps build/win/dosvc.exe "all test"; do
    for jobs in "" -j4; do
        # shellcheck disable=SC2086  # goals and -j are separate words on purpose
        run_make $jobs $goal
        name="make ${jobs:+$jobs }${goal:-(no goal)}"
        if [ "$(cat "$GUARD_LOG")" = "$(expected_record)" ] && [ "$status" -ne 0 ]; then
            ok "$name: the bootstrap runs first and alone; its failure stops make (status $status)"
        else
            not_ok "$name: the bootstrap runs first and alone; its failure stops make (status $status)"
            grep -v '^bootstrap: ' "$GUARD_LOG" | head -n 3 | sed 's/^/#   /'
        fi
    done
done

# Cleaning needs none of the bootstrap's tools: a machine without them can clean.
for goal in clean distclean; do
    run_make $goal
    if [ "$status" -eq 0 ] && ! grep -q '^bootstrap: ' "$GUARD_LOG"; then
        ok "make $goal runs without the bootstrap"
    else
        not_ok "make $goal runs without the bootstrap (status $status)"
    fi
done

exit $((failures > 0))
