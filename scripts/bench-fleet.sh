#!/usr/bin/env bash
# make bench-fleet: many clients, one file, one cache host (issue 12). Measures and reports; never
# a timed test.
#
#   origin  nginx on 127.0.0.1 serving one random file (FLEET_MIB MiB), each connection capped
#           (limit_rate) so that one whole fetch takes FLEET_ORIGIN_SECONDS: the cold phase of
#           the cache overlaps with all clients asking; its access log records the bytes sent;
#   cache   stock nginx as scripts/cache-host.sh configures it (slice + proxy_cache_lock), its
#           access log with one line per slice (log_subrequest) and $upstream_cache_status;
#   clients tests/bench/fleet_clients: FLEET_CLIENTS jobs of one native job manager (the real
#           scheduler and transfer engine), each downloading the file to its own file, all
#           resumed at once through the cache host;
# then every download's SHA-256 is checked. Two runs, each with a fresh cache and fresh logs:
# the cache as configured ("lock"), and the control with proxy_cache_lock off ("nolock").
#
# Prints a markdown table and writes it, with the method, as the "Fleet" section of FLEET_OUT
# (docs/benchmarks.md; the section is replaced, the rest of the file kept; scripts/bench.sh keeps
# this section when it rewrites the file).
#
# Knobs (environment): FLEET_MIB (16), FLEET_CLIENTS (1000), FLEET_ORIGIN_SECONDS (4),
# FLEET_RUNS ("lock nolock"), FLEET_PORTS ("ORIGIN CACHE"; default: two free ports),
# FLEET_DIR (build/bench-fleet: deleted first), FLEET_OUT (docs/benchmarks.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/loopback-nginx.sh"

MIB=${FLEET_MIB:-16}
CLIENTS=${FLEET_CLIENTS:-1000}
ORIGIN_SECONDS=${FLEET_ORIGIN_SECONDS:-4}
RUNS=${FLEET_RUNS:-"lock nolock"}
dir=${FLEET_DIR:-$top/build/bench-fleet}
OUT=${FLEET_OUT:-$top/docs/benchmarks.md}
clients_bin=$top/build/native-opt/fleet_clients
SLICE_MIB=1 # the cache host's slice size (scripts/cache-host.sh)

say() { printf 'bench-fleet: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# A command line or knob we refuse (nothing has been started or written yet): exit 2.
refuse() {
    say "$*"
    echo "usage: bash scripts/bench-fleet.sh   (no arguments; the knobs are FLEET_* environment variables)" >&2
    exit 2
}
[ $# -eq 0 ] || refuse "unexpected argument '$1'"
for run in $RUNS; do
    case $run in lock|nolock) ;; *) refuse "unknown run '$run' in FLEET_RUNS (known: lock nolock)" ;; esac
done
for knob in "$MIB" "$CLIENTS" "$ORIGIN_SECONDS"; do
    case $knob in ''|*[!0-9]*|0*) refuse "FLEET_MIB, FLEET_CLIENTS and FLEET_ORIGIN_SECONDS are whole numbers from 1, not '$knob'" ;; esac
done
# `make bench-fleet` has built the client; run directly, this script builds it.
make -s -C "$top" build/native-opt/fleet_clients
for tool in nginx sha256sum python3; do
    command -v $tool >/dev/null || die "$tool is missing (scripts/bootstrap.sh installs it)"
done

# Every client holds a socket and a file in the engine, and in the origin up to a connection (the
# control); plus slack. Only the soft limit is raised: the cache host's nginx raises its workers'
# own (worker_rlimit_nofile) up to the hard limit, and needs far more (one request of a 16 MiB
# file was seen holding all 16 slices' cache files open at once).
nofile=$((CLIENTS * 2 + 1024))
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge "$nofile" ] ||
    die "$CLIENTS clients need $nofile open files; the hard limit is $(ulimit -Hn)"
ulimit -Sn "$nofile"

if [ -n "${FLEET_PORTS:-}" ]; then read -r origin_port cache_port <<<"$FLEET_PORTS"
else read -r origin_port cache_port <<<"$(loopback_free_ports 2)"; fi
origin=127.0.0.1:$origin_port
cache=127.0.0.1:$cache_port

rm -rf "$dir"
mkdir -p "$dir/www" "$dir/origin"
# Every client's file stays on disk until the SHA-256 check of its run.
need_kib=$((CLIENTS * MIB * 1024 + 1048576))
free_kib=$(df -Pk "$dir" | awk 'NR == 2 {print $4}')
[ "$free_kib" -ge "$need_kib" ] ||
    die "$CLIENTS × ${MIB} MiB need $((need_kib / 1048576)) GiB free in $dir; $((free_kib / 1048576)) GiB are"

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    loopback_nginx_stop
    stop_cache
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- origin ------------------------------------------------------------------------------------

start_origin() {
    : >"$dir/origin/access.log"
    LOOPBACK_NGINX_CONNECTIONS=$nofile loopback_nginx_start "$dir/origin" "  log_format sent '\$status \$body_bytes_sent';
  server { listen $origin; root $dir/www; limit_rate $((MIB * 1024 / ORIGIN_SECONDS))k;
           access_log $dir/origin/access.log sent; }" ||
        die "the origin did not start: see $dir/origin/nginx-error.log"
}

# ---- one run -----------------------------------------------------------------------------------

# Starts the cache host with an empty cache; $1 = lock|nolock (the control: --cache-lock off).
start_cache() {
    local lock=on
    [ "$1" = lock ] || lock=off
    rm -rf "$dir/cache"
    bash "$top/scripts/cache-host.sh" start --listen "$cache" --cache-dir "$dir/cache" --allow "$origin" \
        --cache-lock "$lock" >"$dir/cache-start.log" 2>&1 ||
        die "the cache host did not start: see $dir/cache-start.log"
}

stop_cache() { bash "$top/scripts/cache-host.sh" stop --cache-dir "$dir/cache" >/dev/null 2>&1 || true; }

# "HITS MISSES" of the cache's access log (slices), as `cache-host.sh stats` counts them.
cache_counts() {
    bash "$top/scripts/cache-host.sh" stats --cache-dir "$dir/cache" |
        awk '$1 == "hits" {h = $2} $1 == "misses" {m = $2} END {printf "%d %d\n", h, m}'
}

# Number of downloads with the SHA-256 $1 (the rest are missing or wrong); the files are deleted.
count_right() {
    local right
    right=$(find "$dir/clients/C:/dl" -name '*.bin' -print0 |
            xargs -0 -r -P 2 -n 64 sha256sum | awk -v want="$1" '$1 == want {n++} END {print n + 0}')
    rm -rf "$dir/clients"
    echo "$right"
}

# One run ($1 = lock|nolock): "fleet RUN MIB CLIENTS ORIGIN_BYTES RIGHT WALL CPU PEAK HITS MISSES
# FROM_CACHE TRANSFERRED ERRORS" on stdout.
measure_run() {
    local run=$1 line origin_bytes right
    start_origin
    start_cache "$run"
    say "run '$run': $CLIENTS clients, ${MIB} MiB, origin capped at $((MIB * 1024 / ORIGIN_SECONDS)) KiB/s a connection"
    rm -rf "$dir/clients"
    line=$("$clients_bin" "$dir/clients" "http://$origin/fleet.bin" "$CLIENTS" "$cache" || true)
    stop_cache
    loopback_nginx_stop
    [ -n "$line" ] || die "fleet_clients printed nothing: see $dir/clients/engine.log"
    say "$line"
    origin_bytes=$(awk '{n += $2} END {printf "%.0f", n}' "$dir/origin/access.log")
    cp "$dir/origin/access.log" "$dir/origin-$run.log"
    cp "$dir/cache/logs/access.log" "$dir/cache-$run.log"
    right=$(count_right "$sha")
    set -- $line # FLEET jobs N transferred T errors E wall_s W cpu_s C peak_rss_kib R from_cache B
    echo "fleet $run $MIB $CLIENTS $origin_bytes $right ${9} ${11} ${13} $(cache_counts) ${15} ${5} ${7}"
}

# ---- the runs and the report ---------------------------------------------------------------------

say "the served file: ${MIB} MiB of random bytes"
head -c $((MIB * 1048576)) /dev/urandom >"$dir/www/fleet.bin"
sha=$(sha256sum "$dir/www/fleet.bin" | cut -d' ' -f1)
results=$dir/results.txt
: >"$results"
for run in $RUNS; do
    measure_run "$run" >>"$results"
done

export FLEET_NGINX FLEET_DATE FLEET_MACHINE FLEET_COMMIT FLEET_ORIGIN_KIB=$((MIB * 1024 / ORIGIN_SECONDS))
export FLEET_SLICE_MIB=$SLICE_MIB
FLEET_NGINX=$(nginx -v 2>&1 | sed 's/^.*nginx\///')
FLEET_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
FLEET_MACHINE="$(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
FLEET_COMMIT=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- 2>/dev/null || FLEET_COMMIT="$FLEET_COMMIT + local changes"
python3 "$top/tests/bench/fleet_report.py" "$results" "$OUT"
