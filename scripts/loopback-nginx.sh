# Sourced: nginx on 127.0.0.1 for the end-to-end tests, the demo and the benchmarks.
#   loopback_free_ports N          prints N free TCP ports of 127.0.0.1, space-separated
#   loopback_nginx_start DIR BLOCKS   runs nginx in the foreground of a background job, with its
#                                  configuration, pid, logs and temp files in DIR and BLOCKS (the
#                                  text of the server { } blocks) inside http { }; waits until
#                                  every "listen 127.0.0.1:PORT" of BLOCKS answers. Sets
#                                  LOOPBACK_NGINX_PID; returns 1 (see DIR/nginx-error.log) if not.
#                                  LOOPBACK_NGINX_CONNECTIONS (default 64): worker_connections.
#   loopback_nginx_stop            stops it (safe to call twice)

loopback_free_ports() {
    python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()' "$1"
}

loopback_port_open() { (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

loopback_nginx_start() {
    local dir=$1 blocks=$2 t i port up
    mkdir -p "$dir/nginx-tmp"
    {
        echo "daemon off; master_process off; worker_processes 1;"
        echo "pid $dir/nginx.pid; error_log $dir/nginx-error.log warn;"
        [ "$(id -u)" = 0 ] && echo "user root;"
        echo "events { worker_connections ${LOOPBACK_NGINX_CONNECTIONS:-64}; }"
        echo "http { access_log off; default_type application/octet-stream;"
        for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/nginx-tmp/$t;"; done
        printf '%s\n' "$blocks"
        echo "}"
    } >"$dir/nginx.conf"
    nginx -p "$dir" -e "$dir/nginx-error.log" -c "$dir/nginx.conf" </dev/null >/dev/null 2>&1 &
    LOOPBACK_NGINX_PID=$!
    for i in $(seq 1 50); do
        up=1
        for port in $(printf '%s\n' "$blocks" | grep -o 'listen 127\.0\.0\.1:[0-9]*' | cut -d: -f2); do
            loopback_port_open "$port" || up=
        done
        [ -n "$up" ] && return 0
        kill -0 "$LOOPBACK_NGINX_PID" 2>/dev/null || break
        sleep 0.1
    done
    loopback_nginx_stop
    return 1
}

loopback_nginx_stop() {
    [ -n "${LOOPBACK_NGINX_PID:-}" ] || return 0
    kill "$LOOPBACK_NGINX_PID" 2>/dev/null
    wait "$LOOPBACK_NGINX_PID" 2>/dev/null
    LOOPBACK_NGINX_PID=
}
