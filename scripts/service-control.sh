# Sourced after wine-env.sh: start/stop/query DoSvc (or the service named by the optional argument,
# e.g. BITS) in the current prefix with Wine's sc.exe.

# Prints the service state word (RUNNING, STOPPED, ...), or NONE when it is not installed.
service_state() {
    local out
    out=$(wine sc query "${1:-DoSvc}" </dev/null 2>/dev/null | tr -d '\r') || true
    local state
    state=$(printf '%s\n' "$out" | awk '/STATE/ {print $4; exit}')
    echo "${state:-NONE}"
}

# Waits (up to ~20 s) for the service (DoSvc, or $2) to reach state $1.
service_wait() {
    local want=$1 name=${2:-DoSvc} i
    for i in $(seq 1 100); do
        [ "$(service_state "$name")" = "$want" ] && return 0
        sleep 0.2
    done
    return 1
}

service_stop() {
    local name=${1:-DoSvc}
    case "$(service_state "$name")" in
        RUNNING|START_PENDING) wine sc stop "$name" </dev/null >/dev/null 2>&1 || true
                               service_wait STOPPED "$name" ;;
    esac
    return 0
}

service_start() {
    local name=${1:-DoSvc}
    wine sc start "$name" </dev/null >/dev/null 2>&1 || true
    service_wait RUNNING "$name"
}
