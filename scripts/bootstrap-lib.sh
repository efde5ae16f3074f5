# Sourced by scripts/bootstrap.sh and scripts/build-deps.sh: progress lines a person can follow
# while the bootstrap runs for minutes on a fresh machine. Every line carries the time since the
# bootstrap began (OPENDO_BOOTSTRAP_START, shared by both scripts); each step says where it is in
# its phase ("[deps 3/5]"), and a step that runs long says every 15 s (OPENDO_PROGRESS_EVERY) how
# far it has got.
: "${OPENDO_BOOTSTRAP_START:=$(date +%s)}" "${OPENDO_PROGRESS_EVERY:=15}"
export OPENDO_BOOTSTRAP_START

elapsed() {
    local s=$(($(date +%s) - OPENDO_BOOTSTRAP_START))
    printf '%d:%02d' $((s / 60)) $((s % 60))
}
say() { echo "bootstrap $(elapsed)  $*"; }
die() { echo "bootstrap $(elapsed)  error: $*" >&2; exit 1; }

# step PHASE K N TEXT: announce step K of N of a phase.
step() { say "[$1 $2/$3] $4"; }

# How far a long command has got, read off its log: a CMake/make percentage, apt's status lines
# (apt-get -o APT::Status-Fd=1), or else the log's last line.
progress_hint() {
    local log=$1 pct status kind what
    pct=$(grep -o '^\[ *[0-9]*%\]' "$log" | tail -n 1 | tr -d '[ %]')
    status=$(grep -aE '^(dl|pm)status:' "$log" | tail -n 1)
    if [ -n "$pct" ]; then
        echo "$pct% built"
    elif [ -n "$status" ]; then
        IFS=: read -r kind _ pct what <<<"$status"
        [ "$kind" = dlstatus ] && kind=downloading || kind=installing
        echo "$kind ${pct%%.*}%: $what"
    else
        tail -n 1 "$log" | cut -c1-80
    fi
}

# run LOG CMD...: run CMD with its output appended to LOG; every OPENDO_PROGRESS_EVERY seconds a
# line says how far it has got. On failure: the last lines of LOG, and stop.
run() {
    local log=$1; shift
    "$@" >>"$log" 2>&1 &
    local pid=$! next=$((SECONDS + OPENDO_PROGRESS_EVERY))
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.2
        if [ "$SECONDS" -ge "$next" ]; then
            say "    ... $(progress_hint "$log")"
            next=$((SECONDS + OPENDO_PROGRESS_EVERY))
        fi
    done
    if ! wait "$pid"; then
        echo "bootstrap $(elapsed)  error: '$*' failed; last lines of $log:" >&2
        tail -n 40 "$log" >&2
        exit 1
    fi
}
