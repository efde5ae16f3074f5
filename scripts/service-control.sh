# Sourced after wine-env.sh: start/stop/query DoSvc in the current prefix with Wine's sc.exe.

# Prints the state word (RUNNING, STOPPED, ...) of service $1 (DoSvc by default), or NONE when
# it is not installed.
service_state() {
    local out
    out=$(wine sc query "${1:-DoSvc}" </dev/null 2>/dev/null | tr -d '\r') || true
    local state
    state=$(printf '%s\n' "$out" | awk '/STATE/ {print $4; exit}')
    echo "${state:-NONE}"
}

# Waits (up to ~20 s) for service $2 (DoSvc by default) to reach state $1.
service_wait() {
    local want=$1 i
    for i in $(seq 1 100); do
        [ "$(service_state "${2:-DoSvc}")" = "$want" ] && return 0
        sleep 0.2
    done
    return 1
}

service_stop() {
    case "$(service_state)" in
        RUNNING|START_PENDING) wine sc stop DoSvc </dev/null >/dev/null 2>&1 || true
                               service_wait STOPPED ;;
    esac
    return 0
}

service_start() {
    wine sc start DoSvc </dev/null >/dev/null 2>&1 || true
    service_wait RUNNING
}
