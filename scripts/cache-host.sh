#!/usr/bin/env bash
# A cache host for a fleet of Delivery Optimization clients (opendo's or Windows'), built on a
# stock engine: Debian's nginx (default) or squid. docs/fleet.md explains every line it generates.
#
#   cache-host.sh start --listen ADDR:PORT --cache-dir DIR --allow ORIGIN[,ORIGIN...]
#                       [--max-size SIZE] [--engine nginx|squid] [--resolver IP[,IP...]]
#                       [--cache-lock on|off]
#   cache-host.sh stop --cache-dir DIR
#   cache-host.sh status --cache-dir DIR
#   cache-host.sh stats --cache-dir DIR    (what DIR/logs/access.log says: hit ratios, bytes)
#
# Clients ask for http://ADDR:PORT/<path>?<query>&cacheHostOrigin=<origin> (or send the origin in
# the Host header); an allowed origin's file is fetched once, kept in DIR/cache and served to all.
# Everything of one cache host lives in DIR: the generated configuration, the pid file, the logs
# (DIR/logs/access.log, DIR/logs/error.log) and the cache. Exit status: 0 done, 1 failed (the
# reason on stderr), 2 bad command line (nothing changed), 3 status of a cache host not running.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    cat <<'EOF'
usage: cache-host.sh start --listen ADDR:PORT --cache-dir DIR --allow ORIGIN[,ORIGIN...]
                           [--max-size SIZE] [--engine nginx|squid] [--resolver IP[,IP...]]
                           [--cache-lock on|off]
       cache-host.sh stop --cache-dir DIR
       cache-host.sh status --cache-dir DIR
       cache-host.sh stats --cache-dir DIR

  --listen ADDR:PORT   where clients connect: an IPv4 address, [IPv6] or * (all), and a port
  --cache-dir DIR      configuration, pid file, logs and the cache itself (created if missing)
  --allow ORIGINS      the origins served, host[:port] (port 80 if none), comma-separated;
                       requests for any other origin get 404
  --max-size SIZE      how much the cache may hold, e.g. 500m, 20g, 2t (default 10g)
  --engine ENGINE      nginx (default; 1 MiB slices) or squid (whole objects)
  --resolver IPS       DNS servers for origins given by name (default: /etc/resolv.conf's);
                       not used when every origin is an IP address
  --cache-lock off     let concurrent misses each go to the origin (nginx: proxy_cache_lock,
                       squid: collapsed_forwarding); only to measure what the lock saves
EOF
}

# bad TEXT: a command line we refuse; nothing has been changed yet.
bad() {
    echo "cache-host.sh: $*" >&2
    usage >&2
    exit 2
}
fail() {
    echo "cache-host.sh: $*" >&2
    exit 1
}

ipv4_re='([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})'
label_re='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
ipv6_re='\[[0-9A-Fa-f:.]+\]'

valid_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && [ "$((10#$1))" -ge 1 ] && [ "$((10#$1))" -le 65535 ]; }
valid_ipv4() {
    [[ $1 =~ ^$ipv4_re$ ]] || return 1
    local i
    for i in 1 2 3 4; do [ "$((10#${BASH_REMATCH[$i]}))" -le 255 ] || return 1; done
}
is_ip() { valid_ipv4 "$1" || [[ $1 =~ ^$ipv6_re$ ]]; }
valid_host() { is_ip "$1" || { [[ $1 =~ ^$label_re(\.$label_re)*$ ]] && ! [[ $1 =~ ^[0-9.]+$ ]]; }; }

# parse_size SIZE: the number of bytes of a size written as nginx writes one (N, Nk, Nm, Ng, Nt).
parse_size() {
    [[ $1 =~ ^([0-9]{1,9})([kKmMgGtT]?)$ ]] || return 1
    local n=$((10#${BASH_REMATCH[1]})) shift=0
    case ${BASH_REMATCH[2]} in k | K) shift=10 ;; m | M) shift=20 ;; g | G) shift=30 ;; t | T) shift=40 ;; esac
    [ "$n" -gt 0 ] || return 1
    echo $((n << shift))
}

# canonical_origin ORIGIN: lower-case host, ":port" only when it is not 80.
canonical_origin() {
    local host=${1,,} port=80 with_port='^(.*[^:]):([0-9]+)$'
    if [[ $host =~ $with_port ]] && [[ ${BASH_REMATCH[1]} != \[*[^]] ]]; then
        host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
    fi
    valid_host "$host" && valid_port "$port" || return 1
    port=$((10#$port))
    if [ "$port" -eq 80 ]; then echo "$host"; else echo "$host:$port"; fi
}

# --- the command line --------------------------------------------------------------------------

command=${1:-}
case $command in
start | stop | status | stats) shift ;;
-h | --help) usage; exit 0 ;;
"") bad "no command" ;;
*) bad "unknown command '$command'" ;;
esac

listen='' cache_dir='' allow='' max_size=10g engine='' resolver='' cache_lock=on
while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
    --listen | --cache-dir | --allow | --max-size | --engine | --resolver | --cache-lock)
        [ $# -ge 2 ] && [[ $2 != --* ]] || bad "$opt needs a value"
        value=$2
        shift 2 ;;
    --*=*) bad "write '${opt%%=*} VALUE', not '$opt'" ;;
    -h | --help) usage; exit 0 ;;
    *) bad "unknown option '$opt'" ;;
    esac
    [ "$command" = start ] || [ "$opt" = --cache-dir ] || bad "$command takes only --cache-dir"
    case $opt in
    --listen) listen=$value ;;
    --cache-dir) cache_dir=$value ;;
    --allow) allow=$value ;;
    --max-size) max_size=$value ;;
    --engine) engine=$value ;;
    --resolver) resolver=$value ;;
    --cache-lock) cache_lock=$value ;;
    esac
done

[ -n "$cache_dir" ] || bad "--cache-dir is required"
[ ! -e "$cache_dir" ] || [ -d "$cache_dir" ] || bad "--cache-dir $cache_dir is not a directory"

if [ "$command" = start ]; then
    [ -n "$listen" ] || bad "--listen is required"
    [ -n "$allow" ] || bad "--allow is required"
    listen_re='^(.*):([0-9]*)$'
    if [[ $listen =~ $listen_re ]]; then
        listen_host=${BASH_REMATCH[1]} listen_port=${BASH_REMATCH[2]}
    else
        bad "--listen $listen is not ADDR:PORT"
    fi
    if ! { [ "$listen_host" = "*" ] || is_ip "$listen_host"; } || ! valid_port "$listen_port"; then
        bad "--listen $listen: ADDR is an IPv4 address, [IPv6] or *, PORT 1-65535"
    fi
    listen_port=$((10#$listen_port))

    origins=()
    IFS=, read -r -a allow_items <<<"$allow"
    for item in "${allow_items[@]}"; do
        origin=$(canonical_origin "$item") || bad "--allow: '$item' is not host[:port]"
        case " ${origins[*]} " in *" $origin "*) ;; *) origins+=("$origin") ;; esac
    done
    [ ${#origins[@]} -gt 0 ] || bad "--allow names no origin"

    max_size_bytes=$(parse_size "$max_size") || bad "--max-size $max_size is not a size like 500m, 20g or 2t"
    [ "$max_size_bytes" -ge $((16 << 20)) ] || bad "--max-size $max_size: at least 16m"

    engine=${engine:-nginx}
    case $engine in nginx | squid) ;; *) bad "--engine is nginx or squid, not '$engine'" ;; esac
    case $cache_lock in on | off) ;; *) bad "--cache-lock is on or off, not '$cache_lock'" ;; esac

    if [ -n "$resolver" ]; then
        IFS=, read -r -a resolvers <<<"$resolver"
        for item in "${resolvers[@]}"; do is_ip "$item" || bad "--resolver: '$item' is not an IP address"; done
    fi
fi

# --- running engines ---------------------------------------------------------------------------

# The engine and pid file of the cache host in DIR (the engine is recorded at start).
recorded_engine() { cat "$cache_dir/engine" 2>/dev/null || echo nginx; }
pid_file() { echo "$cache_dir/$(recorded_engine).pid"; }

# running_pid: the pid of the engine's main process if it runs (a stale pid file, or a pid now
# used by another program, counts as not running).
running_pid() {
    local pid comm
    pid=$(cat "$(pid_file)" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$(recorded_engine)" ]
    echo "$pid"
}

port_open() { (: </dev/tcp/"$1"/"$2") 2>/dev/null; }

# The address a local client uses to reach the listening socket.
probe_host() {
    case $listen_host in
    "*" | 0.0.0.0) echo 127.0.0.1 ;;
    "[::]") echo ::1 ;;
    \[*) local h=${listen_host#[}; echo "${h%]}" ;;
    *) echo "$listen_host" ;;
    esac
}

stop_cache_host() {
    local pid i
    if ! pid=$(running_pid); then
        rm -f "$(pid_file)"
        echo "cache host in $cache_dir: not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    # nginx's master exits after its workers, squid's parent after its kid: when the pid is gone,
    # so is the engine. A fast shutdown takes well under a second; give it 30 s, then kill.
    for i in $(seq 1 300); do
        [ -d "/proc/$pid" ] || break
        sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
        echo "cache-host.sh: $(recorded_engine) (pid $pid) ignored TERM for 30 s; killing it" >&2
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
        while [ -d "/proc/$pid" ]; do sleep 0.1; done
    fi
    rm -f "$(pid_file)"
    echo "cache host in $cache_dir: stopped (was pid $pid)"
}

status_cache_host() {
    local pid
    if pid=$(running_pid); then
        echo "cache host in $cache_dir: running ($(recorded_engine), pid $pid, $(cat "$cache_dir/listen" 2>/dev/null))"
        return 0
    fi
    echo "cache host in $cache_dir: not running"
    return 3
}

# stats: the access log summed up. nginx writes one line per client request (slice range "-")
# and one per further 1 MiB slice: hits and misses count slices. squid writes one line per
# request: a hit is a request that fetched nothing itself (squid logs one collapsed onto another
# client's fetch as TCP_MISS with no upstream bytes). Bytes from the origin include nginx's
# response headers.
stats_cache_host() {
    local log=$cache_dir/logs/access.log
    [ -r "$log" ] || fail "no access log in $cache_dir/logs"
    awk -F'"' -v engine="$(recorded_engine)" '
        function ratio(a, b) { return b > 0 ? sprintf("%.4f", a / b) : "-" }
        {
            split($3, f, " ")   # status, cache status, bytes sent, upstream address, upstream bytes
            status = f[2]; sent = f[3]; n = split(f[5], up, /[ ,:]+/)
            if (engine == "squid" && status == "NONE_NONE") next   # connections without a request
            if (engine == "squid" || $4 == "-" || $4 == "") { requests++; to_clients += sent }
            fetched = 0
            for (i = 1; i <= n; i++) if (up[i] ~ /^[0-9]+$/) fetched += up[i]
            from_origin += fetched
            if (engine == "squid") { if (status !~ /DENIED/) { if (fetched > 0) misses++; else hits++ } }
            else if (status ~ /HIT|UPDATING|STALE|REVALIDATED/) hits++
            else if (status ~ /MISS|EXPIRED|BYPASS/) misses++
        }
        END {
            unit = engine == "squid" ? "requests" : "slices"
            printf "engine %s\nrequests %d\nbytes_to_clients %.0f\nbytes_from_origin %.0f\n", engine, requests, to_clients, from_origin
            printf "hits %d %s\nmisses %d %s\nhit_ratio %s\n", hits, unit, misses, unit, ratio(hits, hits + misses)
            printf "byte_hit_ratio %s\n", (to_clients > 0 ? sprintf("%.4f", 1 - from_origin / to_clients) : "-")
        }' "$log"
}

# --- nginx -------------------------------------------------------------------------------------

# nginx_origin_pattern ORIGIN: a case-insensitive map pattern for what a client may send for the
# canonical ORIGIN (":" and an IPv6 literal's brackets may arrive percent-encoded; ":80" may be
# written or left out).
nginx_origin_pattern() {
    local host=${1%:*} port=80 escaped
    [ "$host" = "$1" ] || port=${1##*:}
    [[ $1 =~ ^\[[^]]*\]$ ]] && host=$1 port=80
    escaped=$(printf '%s' "$host" | sed 's/\./\\./g; s/\[/(\\[|%5B)/; s/\]/(\\]|%5D)/')
    if [ "$port" = 80 ]; then
        printf '"~*^%s((:|%%3A)80)?$"' "$escaped"
    else
        printf '"~*^%s(:|%%3A)%s$"' "$escaped" "$port"
    fi
}

# One entry of the keys zone holds about 8,000 keys per MiB and one key per 1 MiB slice.
nginx_keys_zone_mib() {
    local slices=$((max_size_bytes >> 20))
    local mib=$((slices / 8000 + 1))
    [ "$mib" -ge 16 ] || mib=16
    echo "$mib"
}

# The resolver line: only when an origin is a name.
nginx_resolver() {
    local origin names=
    for origin in "${origins[@]}"; do is_ip "${origin%:*}" || is_ip "$origin" || names=1; done
    [ -n "$names" ] || return 0
    local servers=${resolver//,/ }
    [ -n "$servers" ] || servers=$(awk '$1 == "nameserver" { printf "%s%s", sep, $2; sep = " " }' /etc/resolv.conf 2>/dev/null)
    [ -n "$servers" ] || fail "an origin is a name and no DNS server is known: give --resolver"
    echo "    resolver $servers valid=300s;"
}

write_nginx_conf() {
    local d=$1 origin t
    cat <<EOF
# Generated by scripts/cache-host.sh at every start; edits are lost. docs/fleet.md explains it.
# --listen $listen --allow ${origins[*]} --max-size $max_size --cache-lock $cache_lock
daemon on;
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
EOF
    [ "$(id -u)" -ne 0 ] || echo "user $worker_user;"
    cat <<EOF
worker_rlimit_nofile 16384;
events { worker_connections 4096; }

http {
    sendfile on;
    tcp_nopush on;
    server_tokens off;
    default_type application/octet-stream;
EOF
    for t in client_body proxy fastcgi uwsgi scgi; do echo "    ${t}_temp_path $d/tmp/$t;"; done
    nginx_resolver
    cat <<EOF

    # The origin: the cacheHostOrigin query argument (any case), else the Host header.
    map \$arg_cachehostorigin \$origin_asked {
        ""      \$http_host;
        default \$arg_cachehostorigin;
    }
    # Allowed origins, written as the upstream request's host[:port]; anything else is "".
    map \$origin_asked \$origin {
        default "";
EOF
    for origin in "${origins[@]}"; do
        printf '        %s "%s";\n' "$(nginx_origin_pattern "$origin")" "$origin"
    done
    cat <<EOF
    }
    # The path as the client sent it (undecoded), and its query without cacheHostOrigin.
    map \$request_uri \$origin_path {
        "~^(?<path>[^?]*)" \$path;
    }
    map \$args \$origin_args {
        "~*^(?<before>.*)&cachehostorigin=[^&]*(?<after>.*)\$" \$before\$after;
        "~*^cachehostorigin=[^&]*&?(?<after>.*)\$"            \$after;
        default                                              \$args;
    }
    map \$origin_args \$origin_query {
        ""      "";
        default ?\$origin_args;
    }

    proxy_cache_path $d/cache levels=1:2 keys_zone=cache_host:$(nginx_keys_zone_mib)m
                     max_size=$max_size inactive=30d use_temp_path=off;

    log_format cache_host '\$time_iso8601 \$remote_addr "\$request" \$status '
                          '\$upstream_cache_status \$body_bytes_sent '
                          '\$upstream_addr \$upstream_bytes_received "\$slice_range"';
    access_log $d/logs/access.log cache_host;
    log_subrequest on;

    server {
        listen $listen;
        default_type text/plain;
        if (\$origin = "") {
            return 404 "cache host: origin not allowed\n";
        }

        location / {
            slice 1m;
            proxy_cache cache_host;
            proxy_cache_key \$origin\$origin_path\$slice_range;
            proxy_cache_valid 200 206 30d;
            proxy_ignore_headers Expires Cache-Control Set-Cookie X-Accel-Expires;
            proxy_cache_lock $cache_lock;
            proxy_cache_lock_timeout 1h;
            proxy_cache_lock_age 5m;
            proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;

            proxy_http_version 1.1;
            proxy_set_header Host \$origin;
            proxy_set_header Range \$slice_range;
            proxy_set_header Accept-Encoding "";
            proxy_connect_timeout 10s;
            proxy_pass http://\$origin\$origin_path\$origin_query;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
    }
}
EOF
}

# wait_listening: until the engine has written its pid file and accepts connections (0), or
# 20 s passed or it died (1).
wait_listening() {
    local i host pid=
    host=$(probe_host)
    for i in $(seq 1 200); do
        pid=$(running_pid) && port_open "$host" "$listen_port" && return 0
        [ -z "$pid" ] || [ -d "/proc/$pid" ] || return 1
        sleep 0.1
    done
    return 1
}

start_nginx() {
    local d=$1
    write_nginx_conf "$d" >"$d/nginx.conf"
    nginx -t -q -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" ||
        fail "nginx refused the configuration $d/nginx.conf (see above)"
    nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf" </dev/null ||
        fail "nginx did not start; see $d/logs/error.log"
    wait_listening || { tail -n 5 "$d/logs/error.log" >&2; stop_cache_host >/dev/null; fail "nginx does not answer on $listen"; }
}

# --- start -------------------------------------------------------------------------------------

# As root the engine's workers drop to this user; it must be able to write the cache and logs.
worker_user_for() { case $1 in nginx) echo www-data ;; squid) echo proxy ;; esac; }

start_cache_host() {
    local d pid
    command -v "$engine" >/dev/null || fail "$engine is not installed (scripts/bootstrap.sh installs it)"
    if pid=$(running_pid); then
        fail "a cache host already runs in $cache_dir (pid $pid); stop it first"
    fi
    mkdir -p "$cache_dir"
    d=$(cd "$cache_dir" && pwd)
    mkdir -p "$d/cache" "$d/logs" "$d/tmp"
    worker_user=$(worker_user_for "$engine")
    if [ "$(id -u)" -eq 0 ]; then
        touch "$d/logs/access.log" "$d/logs/error.log"
        chown "$worker_user" "$d/cache" "$d/logs" "$d/tmp" "$d/logs/access.log" "$d/logs/error.log"
        runuser -u "$worker_user" -- test -w "$d/cache" ||
            fail "$engine's user $worker_user cannot write $d/cache (is a parent directory closed to it?); choose another --cache-dir"
    fi
    echo "$engine" >"$d/engine"
    echo "$listen" >"$d/listen"
    case $engine in
    nginx) start_nginx "$d" ;;
    squid) . "$top/scripts/cache-host-squid.sh"; start_squid "$d" ;;
    esac
    echo "cache host in $d: running ($engine, pid $(running_pid), listening on $listen, origins ${origins[*]})"
}

case $command in
start) start_cache_host ;;
stop) stop_cache_host ;;
status) status_cache_host ;;
stats) stats_cache_host ;;
esac
