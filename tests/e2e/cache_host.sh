#!/usr/bin/env bash
# End-to-end: DoSvc with the cache-host policies downloads through the cache tier (stock nginx
# configured by scripts/cache-host.sh; Squid with its --engine squid), as a fleet would:
#   1. DOCacheHost set: three jobs fetch one file through the cache: SHA-256 right, the origin
#      served the file once, /status counts the bytes from the cache and names the cache host;
#   2. the cache is stopped in the middle of a download: the job falls back to the origin at once
#      and finishes; the origin sent exactly the missing bytes (one Range request from where the
#      cache stopped), and /status counts the bytes on both sides;
#   3. a cache that answers 404 for an origin (not on its allow-list): fallback, and the cache is
#      banned for that origin (the next job goes straight to the origin);
#   4. DODelayCacheServerFallbackBackground keeps a job on a dead cache until the delay expires,
#      then the origin serves it;
#   5. a cache that serves another version of the file (another ETag) and dies: the origin's
#      If-Range answer restarts the file, which ends right (never a mixed file);
#   6. Squid as the cache host: two jobs, the origin served the file once.
# Bans live in the service's memory: the service restarts between cases that must start clean.
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/opendo-cache-host.XXXXXX)
chmod 755 "$tmp" # the cache engines' workers (www-data, proxy when run as root) write below it
. "$(dirname "$0")/doadmin_lib.sh"
command -v nginx >/dev/null || { not_ok "cache_host: nginx is installed"; e2e_exit; }

dir="$WINEPREFIX/drive_c/opendo-tests/cache-host"
win='C:\opendo-tests\cache-host'
policy_key='HKLM\SOFTWARE\Policies\Microsoft\Windows\DeliveryOptimization'
reg() { wine reg "$@" </dev/null >/dev/null 2>&1; }
cache_script="$top/scripts/cache-host.sh"
MiB=$((1024 * 1024))
stale_pid=

cleanup() {
    "$doadmin" /reset </dev/null >/dev/null 2>&1
    service_stop
    reg delete "$policy_key" /f
    service_start
    bash "$cache_script" stop --cache-dir "$tmp/cache" >/dev/null 2>&1
    bash "$cache_script" stop --cache-dir "$tmp/squid" >/dev/null 2>&1
    [ -n "$stale_pid" ] && kill "$stale_pid" 2>/dev/null
    loopback_nginx_stop
    rm -rf "$tmp" "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/www/slow" "$tmp/stale/slow" "$dir"
for f in a:24 b:32 c:4 d:20 e:6 s:10; do
    head -c $((${f#*:} * MiB)) /dev/urandom >"$tmp/www/${f%%:*}.bin"
done
head -c $((12 * MiB)) /dev/urandom >"$tmp/stale/slow/d.bin" # another version of d.bin (its own ETag)

read -r oport oport2 cport fport sport <<<"$(loopback_free_ports 5)"
origin="127.0.0.1:$oport"
origin2="127.0.0.1:$oport2"
# The origins log each request: URI, status, body bytes, Range, If-Range. /slow/ is rate-limited.
check "cache_host: the origins serve the files on $origin and $origin2" loopback_nginx_start "$tmp" "
  log_format origin '\$uri \$status \$body_bytes_sent \"\$http_range\" \"\$http_if_range\"';
  server { listen $origin; root $tmp/www; access_log $tmp/origin.log origin;
           location /slow/ { alias $tmp/www/; limit_rate 2m; } }
  server { listen $origin2; root $tmp/www; access_log $tmp/origin2.log origin; }"

# ---- helpers -----------------------------------------------------------------------------------
set_policy() { reg add "$policy_key" /v "$1" /t "$2" /d "$3" /f; }
restart_service() { service_stop && service_start; }
# config_says TEXT: /config (retried while the service reads a change) holds TEXT.
config_says() {
    local i
    for i in $(seq 40); do
        da /config
        grep -qF -- "$1" "$tmp/out" && return 0
        sleep 0.5
    done
    echo "#   /config lacks: $1"
    grep -i cache "$tmp/out" | sed 's/^/#   | /'
    return 1
}
cache_start() {
    bash "$cache_script" start --listen "127.0.0.1:$cport" --cache-dir "$tmp/cache" --allow "$origin" \
        >"$tmp/cache-start.out" 2>&1 || { sed 's/^/#   | /' "$tmp/cache-start.out"; return 1; }
}
cache_stop() { bash "$cache_script" stop --cache-dir "$tmp/cache" >/dev/null 2>&1; }
port_closed() { ! loopback_port_open "$1"; }
# new_job NAME REMOTE LOCAL: a background job with one file, resumed; its GUID in $job.
new_job() {
    da /create "$1"
    job=$(last_guid)
    "$doadmin" /addfile "$job" "$2" "$win\\$3" </dev/null >/dev/null 2>&1 &&
        "$doadmin" /resume "$job" </dev/null >/dev/null 2>&1
}
# field JOB NAME: NAME's value in /status JOB (or in the snapshot done_right took).
field() {
    local from=$tmp/status-$1
    [ -f "$from" ] || { "$doadmin" /status "$1" </dev/null >"$tmp/status-now" 2>/dev/null; from=$tmp/status-now; }
    sed -nE "s/^$2 +: (.*)\$/\\1/p" "$from" | tr -d '\r' | head -n 1
}
# done_right JOB LOCAL ORIGINAL: the job is TRANSFERRED (its /status and /why kept), completes,
# and LOCAL has the SHA-256 of ORIGINAL (a file of the origin).
done_right() {
    wait_state "$1" 120 Transferred || { echo "#   state: $("$doadmin" /rawreturn /getstate "$1" </dev/null 2>&1)"; return 1; }
    "$doadmin" /status "$1" </dev/null >"$tmp/status-$1" 2>&1
    "$doadmin" /why "$1" </dev/null >"$tmp/why-$1" 2>&1
    "$doadmin" /complete "$1" </dev/null >/dev/null 2>&1
    [ "$(sha "$dir/$2")" = "$(sha "$3")" ] || { echo "#   SHA-256 of $2 differs from $3"; return 1; }
}
# origin_bytes LOG URI: body bytes the origin sent for URI (every request).
origin_bytes() { awk -v u="$2" '$1 == u { n += $3 } END { print n + 0 }' "$1"; }
# direct_requests LOG URI: the origin's requests for URI that are not the cache's bounded slices
# (a client's: no Range, logged "-", or an open "bytes=N-").
direct_requests() { awk -v u="$2" '$1 == u && ($4 == "\"-\"" || $4 ~ /^"bytes=[0-9]+-"$/)' "$1"; }
# wait_bytes JOB N: the job has more than N bytes on disk.
wait_bytes() {
    local i
    for i in $(seq 240); do
        [ "$(field "$1" TotalBytesDownloaded)" -gt "$2" ] 2>/dev/null && return 0
        sleep 0.25
    done
    return 1
}
# says FILE TEXT...: FILE holds every TEXT.
says() {
    local f=$1 text missing=0
    shift
    for text in "$@"; do grep -qF -- "$text" "$f" || { echo "#   missing: $text"; missing=1; }; done
    [ "$missing" = 0 ] || sed 's/^/#   | /' "$f" | head -n 40
    [ "$missing" = 0 ]
}

# ---- 1. through the cache: one origin fetch for three jobs -------------------------------------
check "cache_host: scripts/cache-host.sh starts the cache on 127.0.0.1:$cport for $origin" cache_start
set_policy DOCacheHost REG_SZ "127.0.0.1:$cport"
restart_service
check "cache_host: /config: the cache host is in use" config_says "CacheHostInEffect: in use: 127.0.0.1:$cport"
jobs=()
for i in 1 2 3; do
    new_job "via cache $i" "http://$origin/a.bin" "a$i.bin"
    jobs+=("$job")
done
size=$((24 * MiB))
for i in 1 2 3; do
    check "cache_host: job $i via the cache: TRANSFERRED, SHA-256 right" done_right "${jobs[$((i - 1))]}" "a$i.bin" "$tmp/www/a.bin"
done
served=$(origin_bytes "$tmp/origin.log" /a.bin)
once() { [ "$served" -ge "$size" ] && [ "$served" -le $((size * 105 / 100)) ]; }
check "cache_host: the origin served a.bin once for three jobs ($served bytes for $size)" once
counted() {
    [ "$(field "$1" BytesFromCacheServer)" = "$size" ] && [ "$(field "$1" BytesFromHttp)" = 0 ] &&
        [ "$(field "$1" CacheHost)" = "127.0.0.1:$cport" ] && return 0
    sed 's/^/#   | /' "$tmp/status-$1"
    return 1
}
check "cache_host: /status: BytesFromCacheServer is the file's size, BytesFromHttp 0, CacheHost the cache" counted "${jobs[0]}"
da /perfsnap
perfsnap_counts() { grep -qE "^CacheHostConnections +: [1-9]" "$tmp/out" && grep -qF "127.0.0.1:$cport" "$tmp/out"; }
check "cache_host: /perfsnap: cache-host connections and the cache's line" perfsnap_counts

# ---- 2. the cache stops in the middle of a download ------------------------------------------
new_job "cache dies" "http://$origin/slow/b.bin" "b.bin"
dies=$job
check "cache_host: the slow download starts through the cache" wait_bytes "$dies" $((4 * MiB))
cache_stop
check "cache_host: the cache is stopped (its port is closed)" port_closed "$cport"
check "cache_host: after the cache stopped, the job falls back and finishes: SHA-256 right" \
    done_right "$dies" b.bin "$tmp/www/b.bin"
from_cache=$(field "$dies" BytesFromCacheServer)
from_origin=$(field "$dies" BytesFromHttp)
direct_requests "$tmp/origin.log" /slow/b.bin >"$tmp/direct-b"
one_range() {
    [ "$(wc -l <"$tmp/direct-b")" = 1 ] && grep -qE "^/slow/b.bin 206 $from_origin \"bytes=$from_cache-\"" "$tmp/direct-b" &&
        [ $((from_cache + from_origin)) = $((32 * MiB)) ] && [ "$from_cache" -gt 0 ] && return 0
    echo "#   from cache $from_cache, from the origin $from_origin; the origin's direct requests:"
    sed 's/^/#   | /' "$tmp/direct-b"
    return 1
}
check "cache_host: the origin sent only the rest (one Range request from byte BytesFromCacheServer); the bytes add up" one_range
check "cache_host: /why says the job fell back from the cache, and why" says "$tmp/why-$dies" "127.0.0.1:$cport"
da /log /job "$dies"
check "cache_host: the log has the fallback" says "$tmp/out" "transfer.fallback"

# ---- 3. a cache that does not serve an origin: 404, fallback, ban for that origin -------------
check "cache_host: the cache starts again" cache_start
restart_service
new_job "not allowed" "http://$origin2/e.bin" "e1.bin"
check "cache_host: a 404 from the cache: the job falls back to the origin and finishes" \
    done_right "$job" e1.bin "$tmp/www/e.bin"
check "cache_host: /why of the 404 fallback names the cache's answer" says "$tmp/why-$job" "404"
asked() { grep -c "cacheHostOrigin=127.0.0.1:$oport2\|cacheHostOrigin=127.0.0.1%3A$oport2" "$tmp/cache/logs/access.log" 2>/dev/null; }
first=$(asked)
new_job "not allowed again" "http://$origin2/e.bin" "e2.bin"
check "cache_host: the second job for that origin finishes" done_right "$job" e2.bin "$tmp/www/e.bin"
banned() { [ "$first" -ge 1 ] && [ "$(asked)" = "$first" ] && [ "$(field "$job" BytesFromCacheServer)" = 0 ]; }
check "cache_host: the cache is banned for that origin: the second job did not ask it ($first request(s) before)" banned
new_job "allowed origin still cached" "http://$origin/a.bin" "a4.bin"
check "cache_host: the ban is for that origin only: another origin's file still comes from the cache" \
    done_right "$job" a4.bin "$tmp/www/a.bin"
still_cache() { [ "$(field "$job" BytesFromCacheServer)" = $((24 * MiB)) ]; }
check "cache_host: ... all of it from the cache" still_cache

# ---- 4. a fallback delay keeps the job on a dead cache until it expires ------------------------
cache_stop
set_policy DODelayCacheServerFallbackBackground REG_DWORD 15
restart_service
check "cache_host: /config shows the delay" config_says $'DelayCacheServerFallbackBackground: 15\n'
new_job "delayed" "http://$origin/c.bin" "c.bin"
delayed=$job
sleep 4
not_yet() { [ -z "$(direct_requests "$tmp/origin.log" /c.bin)" ] && [ "$(field "$delayed" TotalBytesDownloaded)" = 0 ]; }
check "cache_host: within the delay the origin has not been asked" not_yet
da /why "$delayed"
check "cache_host: /why within the delay: waiting for the cache host" says "$tmp/out" "127.0.0.1:$cport"
check "cache_host: once the delay expired, the origin serves the job" done_right "$delayed" c.bin "$tmp/www/c.bin"
after() {
    [ "$(direct_requests "$tmp/origin.log" /c.bin | wc -l)" = 1 ] && return 0
    grep '^/c.bin ' "$tmp/origin.log" | sed 's/^/#   | /'
    return 1
}
check "cache_host: ... in one request" after
reg delete "$policy_key" /v DODelayCacheServerFallbackBackground /f

# ---- 5. a cache with another version of the file: the file restarts and ends right -------------
start_stale() {
    mkdir -p "$tmp/stale-nginx"
    cat >"$tmp/stale-nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $tmp/stale-nginx/nginx.pid;
error_log $tmp/stale-nginx/error.log warn; $([ "$(id -u)" = 0 ] && echo "user root;")
events { worker_connections 64; }
http { access_log off; default_type application/octet-stream;
  server { listen 127.0.0.1:$fport; root $tmp/stale; limit_rate 1m; } }
CONF
    nginx -p "$tmp/stale-nginx" -e "$tmp/stale-nginx/error.log" -c "$tmp/stale-nginx/nginx.conf" </dev/null >/dev/null 2>&1 &
    stale_pid=$!
    local i
    for i in $(seq 50); do loopback_port_open "$fport" && return 0; sleep 0.1; done
    return 1
}
check "cache_host: a stale cache on 127.0.0.1:$fport serves an older d.bin" start_stale
set_policy DOCacheHost REG_SZ "127.0.0.1:$fport"
restart_service
check "cache_host: /config: the stale cache is in use" config_says "CacheHostInEffect: in use: 127.0.0.1:$fport"
new_job "changed file" "http://$origin/slow/d.bin" "d.bin"
changed=$job
check "cache_host: the download starts from the stale cache" wait_bytes "$changed" $((2 * MiB))
kill "$stale_pid" 2>/dev/null
wait "$stale_pid" 2>/dev/null
stale_pid=
check "cache_host: the origin's other ETag restarts the file, which ends right" \
    done_right "$changed" d.bin "$tmp/www/d.bin"
restarted() {
    direct_requests "$tmp/origin.log" /slow/d.bin | grep -qE "^/slow/d.bin 200 $((20 * MiB)) \"bytes=[1-9][0-9]*-\" \"[^\"]+\"" &&
        [ "$(field "$changed" BytesFromHttp)" = $((20 * MiB)) ]
}
check "cache_host: the origin answered the If-Range resume with the whole new file" restarted

# ---- 6. Squid as the cache host ---------------------------------------------------------------
squid_start() {
    bash "$cache_script" start --engine squid --listen "127.0.0.1:$sport" --cache-dir "$tmp/squid" --allow "$origin" \
        >"$tmp/squid-start.out" 2>&1 || { sed 's/^/#   | /' "$tmp/squid-start.out"; return 1; }
}
if command -v squid >/dev/null; then
    check "cache_host: scripts/cache-host.sh --engine squid starts Squid on 127.0.0.1:$sport" squid_start
    set_policy DOCacheHost REG_SZ "127.0.0.1:$sport"
    restart_service
    new_job "squid 1" "http://$origin/s.bin" "s1.bin"
    check "cache_host: Squid: the first job, SHA-256 right" done_right "$job" s1.bin "$tmp/www/s.bin"
    new_job "squid 2" "http://$origin/s.bin" "s2.bin"
    check "cache_host: Squid: the second job, SHA-256 right" done_right "$job" s2.bin "$tmp/www/s.bin"
    squid_once() {
        local n
        n=$(origin_bytes "$tmp/origin.log" /s.bin)
        [ "$n" = $((10 * MiB)) ] && [ "$(field "$job" BytesFromCacheServer)" = $((10 * MiB)) ] && return 0
        echo "#   the origin sent $n bytes of s.bin"
        return 1
    }
    check "cache_host: Squid: the origin served s.bin once; the second job's bytes came from Squid" squid_once
else
    not_ok "cache_host: squid is installed (scripts/bootstrap.sh installs it)"
fi
e2e_exit
