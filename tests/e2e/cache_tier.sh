#!/usr/bin/env bash
# opendo-test: native (tests/run.sh runs it before the Wine prefix exists; it needs no Wine)
#
# The cache tier (scripts/cache-host.sh) end to end, with curl as the clients: a rate-limited
# origin nginx on loopback serves random files, the cache host under test serves them to clients
# that ask the way Delivery Optimization clients ask (http://cache/path?query&cacheHostOrigin=O,
# or with the origin in the Host header). What the origin served is read from its access log.
# First nginx (slices, locking), then the same case with --engine squid.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/scripts/loopback-nginx.sh"

failures=0
ok()     { echo "ok - $1"; }
not_ok() { echo "not ok - $1${2:+: $2}"; failures=$((failures + 1)); }
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cache_host() { bash "$top/scripts/cache-host.sh" "$@"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/opendo-cache-tier.XXXXXX")
chmod 755 "$work" # as root, the engines' workers (www-data, proxy) write the cache dirs below
cleanup() {
    local dir
    for dir in "$work"/cache-*; do [ -d "$dir" ] && cache_host stop --cache-dir "$dir" >/dev/null 2>&1; done
    loopback_nginx_stop
    rm -rf "$work"
}
trap cleanup EXIT

# The origin: files of 16 MiB and a bit (17 slices of 1 MiB), 20 MB/s per connection so that
# concurrent clients really overlap; its access log has the path with query, status and bytes.
size=$((16 * 1024 * 1024 + 12345))
mkdir -p "$work/www"
for f in one.bin many.bin squid.bin squid-many.bin; do head -c "$size" /dev/urandom >"$work/www/$f"; done
head -c 1000 /dev/urandom >"$work/www/small.bin"
read -r origin_port nginx_port squid_port <<<"$(loopback_free_ports 3)"
origin=127.0.0.1:$origin_port
origin_log=$work/origin-access.log
loopback_nginx_start "$work" "log_format origin '\$request_uri \$status \$body_bytes_sent';
server { listen 127.0.0.1:$origin_port; listen [::1]:$origin_port; root $work/www; limit_rate 20m;
         access_log $origin_log origin; }" || { not_ok "origin nginx starts"; exit 1; }

# origin_bytes [PATH]: body bytes the origin has served (for PATH only, if given).
origin_bytes() { awk -v p="${1:-}" 'p == "" || index($1, p) == 1 { s += $3 } END { print s + 0 }' "$origin_log"; }
sha() { sha256sum "$1" | awk '{print $1}'; }
same_file() { [ -f "$2" ] && [ "$(sha "$1")" = "$(sha "$2")" ]; }
port_closed() { ! (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# process_tree PID: PID and all its descendants (an engine's workers, squid's kid and helpers).
process_tree() {
    local child
    echo "$1"
    for child in $(ps -o pid= --ppid "$1"); do process_tree "$child"; done
}
# all_gone PIDS: none of them runs any more.
all_gone() {
    local pid
    for pid in "$@"; do [ ! -d "/proc/$pid" ] || { echo "#   pid $pid still runs"; return 1; }; done
}

# get URL OUT [curl options...]: downloads URL to OUT; prints "STATUS" and keeps the response
# headers in OUT.headers.
get() {
    local url=$1 out=$2; shift 2
    curl -s -o "$out" -D "$out.headers" -w '%{http_code}' "$@" "$url"
}
header() { tr -d '\r' <"$1.headers" | awk -v h="$2" 'tolower($1) == tolower(h) ":" { $1 = ""; sub(/^ /, ""); print }'; }

# concurrent_cold_clients LABEL FILE N: N clients at once fetch the cold FILE through the cache at
# $c, each with its own query; every copy must be right and the origin must have served ~1 copy.
concurrent_cold_clients() {
    local label=$1 file=$2 n=$3 i right=0 served pids=()
    for i in $(seq 1 "$n"); do
        curl -s -o "$work/$file.$i" "$c/$file?client=$i&cacheHostOrigin=$origin" &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 1 "$n"); do same_file "$work/www/$file" "$work/$file.$i" && right=$((right + 1)); done
    check "$label$n concurrent cold clients: all $n SHA-256 right" test "$right" -eq "$n"
    served=$(origin_bytes "/$file")
    check "$label$n concurrent cold clients: origin served $served bytes for $size (<= 1.05x)" \
        test "$((served * 100))" -le "$((size * 105))"
}

# check_stats LABEL REQUESTS HITS MISSES UNIT: what cache-host.sh stats says of $cache.
check_stats() {
    local label=$1 stats
    stats=$(cache_host stats --cache-dir "$cache")
    check "${label}stats: $2 requests, $3 hits and $4 misses ($5)" \
        test "$(printf '%s\n' "$stats" | grep -E '^(requests|hits|misses) ' | tr '\n' ' ')" = \
        "requests $2 hits $3 $5 misses $4 $5 "
    printf '%s\n' "$stats" | sed 's/^/#   /'
}

# check_stop LABEL ENGINE PORT: cache-host.sh stop ends the engine of $cache, all its processes.
check_stop() {
    local label=$1 engine=$2 port=$3 pid tree
    pid=$(cat "$cache/$engine.pid")
    tree=$(process_tree "$pid")
    cache_host stop --cache-dir "$cache" >/dev/null
    check "${label}stop: exit 0" test $? -eq 0
    # shellcheck disable=SC2086 # one pid per word
    check "${label}stop: $engine's $(echo $tree | wc -w) processes (pid $pid and its workers or helpers) are all gone" all_gone $tree
    check "${label}stop: the port is closed" port_closed "$port"
}

# --- the command line ----------------------------------------------------------------------------

# refused WHAT ARGS...: exit status 2, a usage text, and no cache directory created.
refused() {
    local what=$1 status; shift
    cache_host "$@" >"$work/refused.out" 2>&1
    status=$?
    if [ "$status" -eq 2 ] && grep -q '^usage: cache-host.sh' "$work/refused.out" && [ ! -e "$work/cache-refused" ]; then
        ok "refused with exit status 2 and usage, nothing created: $what"
    else
        not_ok "refused with exit status 2 and usage, nothing created: $what" "status $status"
        sed 's/^/#   /' "$work/refused.out"
    fi
}
good=(--listen "127.0.0.1:$nginx_port" --cache-dir "$work/cache-refused" --allow "$origin")
refused "no command"
refused "unknown command" restart --cache-dir "$work/cache-refused"
refused "unknown option" start "${good[@]}" --verbose
refused "option=value form" start "${good[@]}" --max-size=1g
refused "option without its value" start "${good[@]}" --max-size
refused "no --allow" start --listen "127.0.0.1:$nginx_port" --cache-dir "$work/cache-refused"
refused "no --listen" start --cache-dir "$work/cache-refused" --allow "$origin"
refused "no --cache-dir" start --listen "127.0.0.1:$nginx_port" --allow "$origin"
refused "port 0" start --listen 127.0.0.1:0 --cache-dir "$work/cache-refused" --allow "$origin"
refused "port 70000" start --listen 127.0.0.1:70000 --cache-dir "$work/cache-refused" --allow "$origin"
refused "listen address 300.0.0.1" start --listen 300.0.0.1:8080 --cache-dir "$work/cache-refused" --allow "$origin"
refused "listen without a port" start --listen 127.0.0.1 --cache-dir "$work/cache-refused" --allow "$origin"
refused "origin with a scheme" start "${good[@]/$origin/http://$origin}"
refused "origin with a path" start "${good[@]/$origin/$origin/x}"
refused "origin with port 0" start "${good[@]/$origin/example.org:0}"
refused "empty origin list" start "${good[@]/$origin/,}"
refused "size 10q" start "${good[@]}" --max-size 10q
refused "size 1m (below 16m)" start "${good[@]}" --max-size 1m
refused "engine varnish" start "${good[@]}" --engine varnish
refused "resolver not an IP" start "${good[@]}" --resolver dns.example
refused "cache lock maybe" start "${good[@]}" --cache-lock maybe
refused "stop with --listen" stop --cache-dir "$work/cache-refused" --listen "127.0.0.1:$nginx_port"
refused "status without --cache-dir" status

# --- nginx -----------------------------------------------------------------------------------

cache=$work/cache-nginx
c=http://127.0.0.1:$nginx_port
if ! cache_host start --listen "127.0.0.1:$nginx_port" --cache-dir "$cache" --allow "$origin,Other.Example:8080,[::1]:$origin_port" \
    --max-size 1g >"$work/start.out" 2>&1; then
    not_ok "nginx cache host starts" "$(cat "$work/start.out")"
    exit 1
fi
ok "nginx cache host starts"
check "status says running" bash -c "bash '$top/scripts/cache-host.sh' status --cache-dir '$cache' | grep -q 'running (nginx'"
cache_host start --listen "127.0.0.1:$nginx_port" --cache-dir "$cache" --allow "$origin" >/dev/null 2>&1
check "a second start in the same directory fails (exit 1)" test $? -eq 1
check "an origin given by name: the configuration has a resolver line" grep -q '^    resolver ' "$cache/nginx.conf"
check "origins are matched in any case" grep -qF '"~*^other\.example(:|%3A)8080$" "other.example:8080";' "$cache/nginx.conf"

status=$(get "$c/one.bin?P1=1700000000&P4=c2lnbmF0dXJl&cacheHostOrigin=$origin" "$work/one.1")
check "whole file through cacheHostOrigin: 200" test "$status" = 200
check "whole file through cacheHostOrigin: SHA-256 right" same_file "$work/www/one.bin" "$work/one.1"
check "whole file: X-Cache-Status MISS (first client)" test "$(header "$work/one.1" X-Cache-Status)" = MISS
check "origin served the file once ($(origin_bytes /one.bin) bytes for $size)" test "$(origin_bytes /one.bin)" -eq "$size"
check "origin got the client's query without cacheHostOrigin" \
    test "$(awk '{print $1}' "$origin_log" | sort -u)" = "/one.bin?P1=1700000000&P4=c2lnbmF0dXJl"
check "origin got 1 MiB range requests (17 of them)" test "$(grep -c ' 206 ' "$origin_log")" -eq 17

status=$(get "$c/one.bin?P1=1800000000&P4=b3RoZXI&CacheHostOrigin=${origin/:/%3A}" "$work/one.2")
check "second client, other query, %3A in the origin: 200" test "$status" = 200
check "second client: SHA-256 right" same_file "$work/www/one.bin" "$work/one.2"
check "second client: X-Cache-Status HIT" test "$(header "$work/one.2" X-Cache-Status)" = HIT
check "second client: origin served nothing more" test "$(origin_bytes /one.bin)" -eq "$size"

status=$(get "$c/one.bin?cacheHostOrigin=$origin&x=3" "$work/one.range" -H 'Range: bytes=9000000-9999999')
check "Range in the middle: 206" test "$status" = 206
check "Range in the middle: Content-Range" test "$(header "$work/one.range" Content-Range)" = "bytes 9000000-9999999/$size"
check "Range in the middle: the right 1,000,000 bytes" \
    cmp -s "$work/one.range" <(tail -c +9000001 "$work/www/one.bin" | head -c 1000000)

status=$(get "$c/one.bin" "$work/one.host" -H "Host: $origin")
check "origin in the Host header: 200, SHA-256 right" bash -c "[ $status = 200 ] && cmp -s '$work/www/one.bin' '$work/one.host'"
check "origin served nothing for the range and Host-header clients" test "$(origin_bytes)" -eq "$size"

status=$(get "$c/one.bin?cacheHostOrigin=127.0.0.2:$origin_port" "$work/denied.1")
check "origin not allowed: 404" test "$status" = 404
check "origin not allowed: a one-line text body" test "$(cat "$work/denied.1")" = "cache host: origin not allowed"
status=$(get "$c/one.bin?cacheHostOrigin=127.0.0.1" "$work/denied.2")
check "allowed host on another port (80): 404" test "$status" = 404
status=$(get "$c/one.bin" "$work/denied.3")
check "no origin at all (Host is the cache itself): 404" test "$status" = 404
check "origin saw none of the refused requests" test "$(wc -l <"$origin_log")" -eq 17

status=$(get "$c/small.bin?cacheHostOrigin=%5B::1%5D%3A$origin_port" "$work/small.1")
check "an IPv6 origin, its brackets and colon percent-encoded: 200, the right bytes" \
    bash -c "[ $status = 200 ] && cmp -s '$work/www/small.bin' '$work/small.1'"

# 20 clients at once on a cold file: the slice locks let one request per slice reach the origin.
concurrent_cold_clients "" many.bin 20
misses=$(awk '/many\.bin/ && $7 == "MISS"' "$cache/logs/access.log" | wc -l)
check "cache log: $misses slice misses for the 17 slices" test "$misses" -eq 17
check "cache log: upstream bytes summed from the log cover the file" \
    test "$(awk '/many\.bin/ && $10 != "-" { s += $10 } END { print s + 0 }' "$cache/logs/access.log")" -ge "$size"

# 35 misses: 17 slices per large file, small.bin's one; 359 hits: one.bin's second client 17
# slices, the range 2, the Host-form client 17; many.bin 20 x 17 - 17
check_stats "" 28 359 35 slices
check_stop "" nginx "$nginx_port"
cache_host status --cache-dir "$cache" >/dev/null
check "status after stop: exit 3" test $? -eq 3
cache_host stop --cache-dir "$cache" >/dev/null
check "stop again: exit 0 (nothing to stop)" test $? -eq 0

# --- squid -----------------------------------------------------------------------------------

cache=$work/cache-squid
c=http://127.0.0.1:$squid_port
: >"$origin_log"
if ! cache_host start --engine squid --listen "127.0.0.1:$squid_port" --cache-dir "$cache" --allow "$origin" \
    --max-size 1g >"$work/start.out" 2>&1; then
    not_ok "squid cache host starts" "$(cat "$work/start.out")"
    exit 1
fi
ok "squid cache host starts"

status=$(get "$c/squid.bin?P1=1&cacheHostOrigin=$origin" "$work/squid.1")
check "squid: whole file, 200, SHA-256 right" bash -c "[ $status = 200 ] && cmp -s '$work/www/squid.bin' '$work/squid.1'"
check "squid: origin got the client's query without cacheHostOrigin" \
    test "$(awk '{print $1}' "$origin_log" | sort -u)" = "/squid.bin?P1=1"
status=$(get "$c/squid.bin?P1=2&cacheHostOrigin=$origin" "$work/squid.2")
check "squid: second client, other query: 200, SHA-256 right" \
    bash -c "[ $status = 200 ] && cmp -s '$work/www/squid.bin' '$work/squid.2'"
check "squid: second client from the cache (X-Cache HIT)" grep -qi '^X-Cache: HIT' "$work/squid.2.headers"
check "squid: origin served the file once" test "$(origin_bytes /squid.bin)" -eq "$size"
status=$(get "$c/squid.bin?cacheHostOrigin=$origin" "$work/squid.range" -H 'Range: bytes=9000000-9999999')
check "squid: Range in the middle, 206 and the right bytes" \
    bash -c "[ $status = 206 ] && cmp -s '$work/squid.range' <(tail -c +9000001 '$work/www/squid.bin' | head -c 1000000)"
status=$(get "$c/squid.bin" "$work/squid.host" -H "Host: $origin")
check "squid: origin in the Host header, 200 and SHA-256 right" \
    bash -c "[ $status = 200 ] && cmp -s '$work/www/squid.bin' '$work/squid.host'"
status=$(get "$c/squid.bin?cacheHostOrigin=127.0.0.2:$origin_port" "$work/squid.denied")
check "squid: origin not allowed, 404" test "$status" = 404
check "squid: origin not allowed, a one-line body" test "$(cat "$work/squid.denied")" = "cache host: origin not allowed"
check "squid: origin served nothing more" test "$(origin_bytes)" -eq "$size"

concurrent_cold_clients "squid: " squid-many.bin 10

# 2 misses: one per file; 12 hits: the second client, the range, the Host form and 9 of the 10
# concurrent clients (the 404 is neither)
check_stats "squid: " 15 12 2 requests
check_stop "squid: " squid "$squid_port"

[ "$failures" -eq 0 ]
