#!/usr/bin/env bash
# make bench: opendo's DoSvc against Wine's built-in BITS (qmgr, same prefix, same client binary)
# and, for downloads, native Linux curl; in one go on this machine. Never a timed test: it
# measures and reports, writes docs/benchmarks.md and prints it.
#
#   1. a fresh prefix (build/bench/wine, torn down at exit), opendo installed into it, Wine's
#      BITS service started next to DoSvc;
#   2. API round trips: tools/bench_client.c drives both servers from one process, in
#      alternating blocks of 50 calls, BENCH_REPS times (the two servers' order alternates
#      between runs); per server and call, the median over the runs of each run's median;
#   3. downloads from nginx on 127.0.0.1 (scripts/loopback-nginx.sh): a 1 GiB file over http by
#      DoSvc and Wine's BITS (bench_client download: CreateJob, AddFile, Resume, GetState until
#      TRANSFERRED, Complete) and by native curl (-o file); a 100 MiB file over https by the same
#      three (a throw-away CA made with openssl, imported into the prefix's LocalMachine\Root by
#      tls_client.exe import-ca; curl --cacert). BENCH_DL_REPS times each, the clients' order
#      rotating; every file's SHA-256 checked; the service's CPU time (utime + stime of its
#      process in /proc) and peak memory (VmHWM, reset through clear_refs before each download),
#      curl's from getrusage. Runs before the store is filled (step 4);
#   4. GetJob latency with 10 .. 100,000 jobs in the store: the store is filled directly with
#      sqlite3 (copies of one job created through the API, new random ids) while DoSvc is
#      stopped; GetJob of random stored ids, with Wine's BITS GetJob measured in alternating
#      blocks as a pace reference (the machine's speed drifts; the reference cancels that out);
#      at the largest size, GetJob without a pause for BENCH_SUSTAIN seconds (longer than the
#      scheduler's 30-s idle pass), for the worst call: a stall shows there, not in a median;
#   5. service start-up (StartService -> RUNNING -> first GetJob answered), for every store size;
#   6. the BITS classes (run right after steps 2 and 3): `dosvc install --bits` makes opendo the
#      prefix's BITS service, the client then drives CLSID_BackgroundCopyManager (opendo now) in
#      alternating blocks with CLSID_DeliveryOptimization (the pace reference that links these
#      rows to Wine's BITS, measured in steps 2 and 3 of the same run) and downloads the 1 GiB
#      file through it; `dosvc uninstall --bits` gives the class back to Wine's BITS;
#   7. many downloads in one service (after steps 3 and 6): HKLM\SOFTWARE\opendo\Transfers\
#      MaxBackgroundTransfers set to BENCH_MANY_JOBS and DoSvc restarted, then `bench_client
#      many` creates BENCH_MANY_JOBS jobs, each downloading one BENCH_MANY_MIB file from nginx on
#      127.0.0.1 to its own file, resumes them all at once and waits for all; every file's
#      SHA-256 checked; the service's CPU time and peak memory as in step 3; afterwards the
#      registry value is removed and DoSvc restarted.
# Knobs (environment): BENCH_SECTIONS ("api download bits many scale startup": which steps run; a
# run without all of them writes build/bench/benchmarks-partial.md unless BENCH_OUT says where),
# BENCH_ITERATIONS (2000), BENCH_REPS (3), BENCH_STARTS (3), BENCH_SCALES ("10 1000 10000 100000"),
# BENCH_SUSTAIN (40), BENCH_DL_REPS (3), BENCH_DL_MIB (1024: the http file), BENCH_DL_TLS_MIB (100:
# the https file), BENCH_MANY_JOBS (200), BENCH_MANY_MIB (16: the file each of them downloads),
# BENCH_OUT (docs/benchmarks.md), BENCH_PREFIX (build/bench/wine: deleted first and at exit, so
# never point it at a prefix you keep).
set -euo pipefail
bench_usage="usage: bash scripts/bench.sh   (no arguments; the knobs are BENCH_* environment variables)"
bench_refuse() { echo "bench: $*" >&2; echo "$bench_usage" >&2; exit 2; }
[ $# -eq 0 ] || bench_refuse "unexpected argument '$1'"
top=$(cd "$(dirname "$0")/.." && pwd)
bench_dir=$top/build/bench
prefix=${BENCH_PREFIX:-$bench_dir/wine}
. "$top/scripts/wine-env.sh" "$prefix"
. "$top/scripts/service-control.sh"
. "$top/scripts/loopback-nginx.sh"
. "$top/scripts/test-pki.sh"

ITERATIONS=${BENCH_ITERATIONS:-2000}
REPS=${BENCH_REPS:-3}
STARTS=${BENCH_STARTS:-3}
SCALES=${BENCH_SCALES:-"10 1000 10000 100000"}
SUSTAIN=${BENCH_SUSTAIN:-40}
DL_REPS=${BENCH_DL_REPS:-3}
DL_MIB=${BENCH_DL_MIB:-1024}
DL_TLS_MIB=${BENCH_DL_TLS_MIB:-100}
MANY_JOBS=${BENCH_MANY_JOBS:-200}
MANY_MIB=${BENCH_MANY_MIB:-16}
ALL_SECTIONS="api download bits many scale startup"
SECTIONS=${BENCH_SECTIONS:-$ALL_SECTIONS}
for section in $SECTIONS; do
    case " $ALL_SECTIONS " in
        *" $section "*) ;;
        *) bench_refuse "unknown section '$section' in BENCH_SECTIONS (known: $ALL_SECTIONS)" ;;
    esac
done
for knob in "$ITERATIONS" "$REPS" "$STARTS" $SCALES "$SUSTAIN" "$DL_REPS" "$DL_MIB" "$DL_TLS_MIB" \
    "$MANY_JOBS" "$MANY_MIB"; do
    case $knob in ''|*[!0-9]*|0*) bench_refuse "BENCH_ITERATIONS, _REPS, _STARTS, _SCALES, _SUSTAIN, _DL_REPS, _DL_MIB, _DL_TLS_MIB, _MANY_JOBS and _MANY_MIB are whole numbers from 1, not '$knob'" ;; esac
done
wants() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; } # $1 = a section
partial=
for section in $ALL_SECTIONS; do wants "$section" || partial=1; done
if [ -n "$partial" ]; then
    OUT=${BENCH_OUT:-$bench_dir/benchmarks-partial.md}
else
    OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
fi
ID_SAMPLE=1000                                    # GetJob cycles through this many random ids
CLSID_DO='{5B99FA76-721C-423C-ADAC-56D03C8A8007}'  # CLSID_DeliveryOptimization (DoSvc)
CLSID_BITS='{4991D34B-80A1-4291-83B6-3328366B9097}' # CLSID_BackgroundCopyManager (Wine's BITS;
                                                    # opendo's in the bits section)
dosvc_win='C:\Program Files\opendo\dosvc.exe'

results=$bench_dir/results/results.txt            # kept after the run: one measurement a line
work_win='C:\opendo-bench'                        # the client and its id files, inside the prefix
work_dir=$WINEPREFIX/drive_c/opendo-bench
db=$WINEPREFIX/drive_c/ProgramData/opendo/jobs.db
started=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
elapsed() { echo "$(( $(date +%s) - started )) s"; }

# ---- prefix, teardown ------------------------------------------------------------------------

# The prefix is the bench's own: marked as such, deleted before and after the run. A directory
# without the mark is somebody's prefix (BENCH_PREFIX pointing at the wrong place): refused.
marker=$WINEPREFIX/.opendo-bench-prefix
if [ -e "$WINEPREFIX" ] && [ ! -e "$marker" ]; then
    say "refusing to use $WINEPREFIX: it exists and was not made by scripts/bench.sh"
    exit 1
fi

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    loopback_nginx_stop
    if [ -e "$marker" ]; then
        if [ -f "$WINEPREFIX/system.reg" ]; then
            say "tearing down the prefix $WINEPREFIX"
            wine_prefix_down
        fi
        rm -rf "$WINEPREFIX"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ---------------------------------------------------------------------------------

# Runs the client in the prefix; its stdout without CRs. On failure, shows its stderr.
client() {
    local out
    if ! out=$(wine "$work_win\\bench_client.exe" "$@" </dev/null 2>"$bench_dir/results/client.err"); then
        say "bench_client $* failed:"
        tr -d '\r' <"$bench_dir/results/client.err" | tail -n 5 >&2
        return 1
    fi
    printf '%s\n' "$out" | tr -d '\r'
}

# State word of any service (service_state of service-control.sh is DoSvc's).
state_of() {
    wine sc query "$1" </dev/null 2>/dev/null | tr -d '\r' | awk '/STATE/ {print $4; exit}'
}

stop_service() { # $1 = name; waits for STOPPED
    local i
    case "$(state_of "$1")" in
        RUNNING|START_PENDING) wine sc stop "$1" </dev/null >/dev/null 2>&1 || true ;;
    esac
    for i in $(seq 1 150); do
        [ "$(state_of "$1")" = STOPPED ] && return 0
        sleep 0.2
    done
    say "$1 does not stop"
    return 1
}

start_service() { # $1 = name; waits for RUNNING
    local i
    wine sc start "$1" </dev/null >/dev/null 2>&1 || true
    for i in $(seq 1 150); do
        [ "$(state_of "$1")" = RUNNING ] && return 0
        sleep 0.2
    done
    say "$1 does not start"
    return 1
}

# "RESULT name median p95" lines of the client -> "tag... name median p95" lines of $results.
record() { # $@ = tag words; stdin = client output
    local line
    while read -r line; do
        case "$line" in
            RESULT\ *) printf '%s %s\n' "$*" "${line#RESULT }" >>"$results" ;;
        esac
    done
}

jobs_in_store() { sqlite3 "$db" 'SELECT count(*) FROM jobs'; }

# Fills the store (DoSvc stopped) up to $1 jobs with copies of a stored job, each with a new
# random id (GUID memory order, as the service stores it); everything else is the template's,
# so the copies belong to this user and are as young as the template.
populate() {
    local target=$1 have cols
    have=$(jobs_in_store)
    [ "$have" -ge 1 ] || { say "no template job in the store"; return 1; }
    [ "$target" -gt "$have" ] || return 0
    cols=$(sqlite3 "$db" "SELECT group_concat(name, ', ') FROM pragma_table_info('jobs') WHERE name <> 'id'")
    sqlite3 "$db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $((target - have)))
                   INSERT INTO jobs (id, $cols) SELECT randomblob(16), $cols
                   FROM n, (SELECT $cols FROM jobs ORDER BY rowid LIMIT 1);"
}

# ---- 0. build and prefix ---------------------------------------------------------------------

# `make bench` has built everything (it depends on `all`); run directly, this script builds what
# it needs: the client (tools/bench.mk) and, for the download section, tls_client.exe
# (tests/e2e/tls.mk), which makes the prefix trust the test CA.
make -s -C "$top" build/win/bench_client.exe build/win/tests/tls_client.exe
tools="sqlite3 python3"
if wants download; then tools="$tools nginx openssl curl sha256sum"; fi
if wants many; then tools="$tools nginx sha256sum"; fi
for tool in $tools; do
    command -v $tool >/dev/null || { say "$tool is missing (scripts/bootstrap.sh installs it)"; exit 1; }
done

mkdir -p "$bench_dir/results"
: >"$results"
say "fresh prefix $WINEPREFIX"
if [ -f "$WINEPREFIX/system.reg" ]; then wine_prefix_down; fi
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
touch "$marker"
wine_prefix_up
bash "$top/scripts/install.sh" >/dev/null
mkdir -p "$work_dir"
cp "$top/build/win/bench_client.exe" "$work_dir/"

say "starting DoSvc and Wine's BITS (svchost -k netsvcs, qmgr.dll)"
start_service DoSvc
start_service BITS

# ---- 1. API round trips ----------------------------------------------------------------------

for rep in $(seq 1 "$REPS"); do
    wants api || break
    if [ $((rep % 2)) = 1 ]; then order=(opendo wine); else order=(wine opendo); fi
    classes=()
    for s in "${order[@]}"; do
        if [ "$s" = opendo ]; then classes+=("$CLSID_DO"); else classes+=("$CLSID_BITS"); fi
    done
    say "API round trips, run $rep of $REPS (${order[*]}, $ITERATIONS calls each) [$(elapsed)]"
    client api "${classes[0]},${classes[1]}" "$ITERATIONS" |
        sed -e "s/^RESULT \([a-z_]*\)#1 /RESULT ${order[0]} \1 /" \
            -e "s/^RESULT \([a-z_]*\)#2 /RESULT ${order[1]} \1 /" | record api "$rep"
done

# ---- 2. downloads: DoSvc, Wine's BITS and native curl from nginx on 127.0.0.1 -----------------

www=$bench_dir/www                                # the served files, kept between runs
dl_dir=$work_dir/dl                               # every download lands here (prefix's drive)
CLK_TCK=$(getconf CLK_TCK)

# Linux PID of the process of this prefix whose command line matches $1 (a pgrep -f pattern).
prefix_pid() {
    local p
    for p in $(pgrep -f -- "$1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "WINEPREFIX=$WINEPREFIX"; then
            echo "$p"
            return 0
        fi
    done
    say "no process '$1' in $WINEPREFIX"
    return 1
}

# utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat, after the name).
cpu_seconds() { sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$CLK_TCK" '{printf "%.2f", ($12 + $13) / hz}'; }
# Peak resident memory (KiB) since start or since reset_peak (clear_refs 5 resets VmHWM).
peak_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }

# A served file of $2 MiB (random, made once, then kept): $1 = its name. Prints its SHA-256.
served_file() {
    local path=$www/$1
    if [ "$(stat -c %s "$path" 2>/dev/null || echo 0)" != $(($2 * 1048576)) ]; then
        head -c $(($2 * 1048576)) /dev/urandom >"$path.part" && mv "$path.part" "$path"
    fi
    sha256sum "$path" | cut -d' ' -f1
}

# "sha256" when $1 has the SHA-256 $2, else what is wrong with it.
verify_download() {
    local size
    size=$(stat -c %s "$1" 2>/dev/null) || { echo "missing"; return; }
    if [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; then echo sha256; else echo "wrong:${size}B"; fi
}

# Every download starts alike: its file gone and nothing of an earlier one left to write back.
clear_download() { rm -f "$dl_dir/$1"; sync; }

# One download through a BITS-style service. $1 case (http|https), $2 opendo|wine, $3 rep,
# $4 CLSID, $5 URL, $6 the service's process (pgrep -f pattern), $7 expected SHA-256.
# Records "download CASE WHO REP ok BYTES SECONDS CPU WINESERVER_CPU PEAK_KIB CHECK", or
# "download CASE WHO REP failed WHY".
download_service() {
    local case=$1 who=$2 rep=$3 file=$2-$1.bin pid ws cpu0 ws0 out secs bytes cpu ws_cpu
    clear_download "$file"
    if ! pid=$(prefix_pid "$6") || ! ws=$(prefix_pid '^[^ ]*wineserver(64)? '); then
        echo "download $case $who $rep failed no process '$6' or wineserver in the prefix" >>"$results"
        return 0
    fi
    reset_peak "$pid"
    cpu0=$(cpu_seconds "$pid") ws0=$(cpu_seconds "$ws")
    if ! out=$(client download "$4" "$5" "$work_win\\dl\\$file"); then
        echo "download $case $who $rep failed $(tr -d '\r' <"$bench_dir/results/client.err" | tail -n 2 | tr '\n' ' ')" >>"$results"
        return 0
    fi
    cpu=$(awk -v a="$cpu0" -v b="$(cpu_seconds "$pid")" 'BEGIN {print b - a}')
    ws_cpu=$(awk -v a="$ws0" -v b="$(cpu_seconds "$ws")" 'BEGIN {print b - a}')
    secs=$(printf '%s\n' "$out" | awk '/^RESULT download_total / {printf "%.3f", $3 / 1e6}')
    bytes=$(printf '%s\n' "$out" | awk '/^RESULT download_bytes / {print $3}')
    echo "download $case $who $rep ok $bytes $secs $cpu $ws_cpu $(peak_kib "$pid")" \
         "$(verify_download "$dl_dir/$file" "$7")" >>"$results"
    rm -f "$dl_dir/$file"
}

# The same with native curl (-o file), timed and measured by getrusage in a python parent.
# $1 case, $2 rep, $3 URL, $4 expected SHA-256, $5... more curl options.
download_curl() {
    local case=$1 rep=$2 url=$3 sha=$4 file=curl-$1.bin out secs cpu rss
    shift 4
    clear_download "$file"
    if ! out=$(python3 -c 'import resource, subprocess, sys, time
start = time.monotonic()
status = subprocess.run(sys.argv[1:]).returncode
wall = time.monotonic() - start
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {r.ru_utime + r.ru_stime:.2f} {r.ru_maxrss}")
sys.exit(status)' curl -sS --noproxy '*' "$@" -o "$dl_dir/$file" "$url" 2>"$bench_dir/results/curl.err"); then
        echo "download $case curl $rep failed $(tail -n 1 "$bench_dir/results/curl.err")" >>"$results"
        return 0
    fi
    read -r secs cpu rss <<<"$out"
    echo "download $case curl $rep ok $(stat -c %s "$dl_dir/$file") $secs $cpu 0 $rss" \
         "$(verify_download "$dl_dir/$file" "$sha")" >>"$results"
    rm -f "$dl_dir/$file"
}

# Rep $2 of case $1 from $3 (URL) with SHA-256 $4 and $5 the CA for curl (or ""): the three
# clients, the first one rotating with the rep.
download_rep() {
    local case=$1 rep=$2 url=$3 sha=$4 ca=$5 i who
    local order=(opendo wine curl)
    for i in 0 1 2; do
        who=${order[$(((rep + i - 1) % 3))]}
        case $who in
            opendo) download_service "$case" opendo "$rep" "$CLSID_DO" "$url" 'dosvc\.exe' "$sha" ;;
            wine) download_service "$case" wine "$rep" "$CLSID_BITS" "$url" 'svchost\.exe -k netsvcs' "$sha" ;;
            curl) download_curl "$case" "$rep" "$url" "$sha" ${ca:+--cacert "$ca"} ;;
        esac
    done
}

# One untimed download of $1 by each client first: a fresh service process's (and a fresh
# prefix's) first transfer is much slower (measured: 8.3 s instead of 2.8 s for 1 GiB), and no
# client should pay for that in the table.
download_warm_up() {
    local clsid
    for clsid in "$CLSID_DO" "$CLSID_BITS"; do
        client download "$clsid" "$1" "$work_win\\dl\\warm-up.bin" >/dev/null || say "warm-up download by $clsid failed"
        rm -f "$dl_dir/warm-up.bin"
    done
    curl -sS --noproxy '*' -o "$dl_dir/warm-up.bin" "$1" || say "warm-up download by curl failed"
    rm -f "$dl_dir/warm-up.bin"
}

# The ceiling of a durable download on this disk: the http file copied into the prefix's drive
# and made durable (dd bs=4M conv=fsync), timed; "disk REP MB/s" in $results.
measure_disk() {
    local t0 t1
    t0=$(date +%s.%N)
    dd if="$www/large.bin" of="$dl_dir/dd.bin" bs=4M conv=fsync status=none || return 0
    t1=$(date +%s.%N)
    awk -v r="$1" -v b="$(stat -c %s "$dl_dir/dd.bin")" -v a="$t0" -v z="$t1" \
        'BEGIN {printf "disk %s %.1f\n", r, b / (z - a) / 1e6}' >>"$results"
    rm -f "$dl_dir/dd.bin"
}

measure_downloads() {
    local sha_http sha_https port tls_port rep
    mkdir -p "$www" "$dl_dir" "$bench_dir/tls"
    say "downloads: the served files (${DL_MIB} MiB, ${DL_TLS_MIB} MiB) and a test CA [$(elapsed)]"
    sha_http=$(served_file large.bin "$DL_MIB")
    sha_https=$(served_file medium.bin "$DL_TLS_MIB")
    (cd "$bench_dir/tls" && rm -f ./* && pki_ca ca "opendo bench CA $$" && pki_leaf localhost ca server) \
        >"$bench_dir/results/pki.log" 2>&1 || { say "openssl failed: see $bench_dir/results/pki.log"; return 1; }
    wine "$top/build/win/tests/tls_client.exe" import-ca "$(winepath -w "$bench_dir/tls/ca.pem")" \
        </dev/null >"$bench_dir/results/import-ca.log" 2>&1 ||
        { say "import-ca failed: see $bench_dir/results/import-ca.log"; return 1; }
    read -r port tls_port <<<"$(loopback_free_ports 2)"
    loopback_nginx_start "$bench_dir/nginx" "  server { listen 127.0.0.1:$port; root $www; }
  server { listen 127.0.0.1:$tls_port ssl; root $www;
           ssl_certificate $bench_dir/tls/server.pem; ssl_certificate_key $bench_dir/tls/server.key; }" ||
        { say "nginx did not start: see $bench_dir/nginx/nginx-error.log"; return 1; }
    say "downloads: warming up (${DL_TLS_MIB} MiB over http by each client, not measured) [$(elapsed)]"
    download_warm_up "http://127.0.0.1:$port/medium.bin"
    for rep in $(seq 1 "$DL_REPS"); do
        measure_disk "$rep"
        say "downloads, run $rep of $DL_REPS: ${DL_MIB} MiB over http [$(elapsed)]"
        download_rep http "$rep" "http://127.0.0.1:$port/large.bin" "$sha_http" ""
        say "downloads, run $rep of $DL_REPS: ${DL_TLS_MIB} MiB over https [$(elapsed)]"
        download_rep https "$rep" "https://localhost:$tls_port/medium.bin" "$sha_https" "$bench_dir/tls/ca.pem"
    done
    if wants bits; then
        measure_bits_classes "http://127.0.0.1:$port/large.bin" "$sha_http"
    fi
    loopback_nginx_stop
}

# ---- 2b. the BITS classes: opendo as the prefix's BITS service ---------------------------------

# `dosvc install --bits` or `dosvc uninstall --bits` ($1), logged in results/.
bits_switch() {
    wine "$dosvc_win" "$1" --bits </dev/null >>"$bench_dir/results/bits-switch.log" 2>&1 ||
        { say "dosvc $1 --bits failed: see $bench_dir/results/bits-switch.log"; return 1; }
}

# With opendo as the BITS service: API round trips of the BITS class against the DO class (one
# process, alternating blocks), then, given a URL ($1) and its SHA-256 ($2), downloads through
# the BITS class; afterwards Wine's BITS is the BITS service again.
measure_bits_classes() {
    local rep order classes s
    say "the BITS classes: dosvc install --bits [$(elapsed)]"
    stop_service BITS
    bits_switch install || return 1
    start_service BITS
    for rep in $(seq 1 "$REPS"); do
        wants api || break
        if [ $((rep % 2)) = 1 ]; then order=(bits do); else order=(do bits); fi
        classes=()
        for s in "${order[@]}"; do
            if [ "$s" = do ]; then classes+=("$CLSID_DO"); else classes+=("$CLSID_BITS"); fi
        done
        say "the BITS classes: API round trips, run $rep of $REPS (${order[*]}) [$(elapsed)]"
        client api "${classes[0]},${classes[1]}" "$ITERATIONS" |
            sed -e "s/^RESULT \([a-z_]*\)#1 /RESULT ${order[0]} \1 /" \
                -e "s/^RESULT \([a-z_]*\)#2 /RESULT ${order[1]} \1 /" | record bitsapi "$rep"
    done
    if [ -n "${1:-}" ]; then
        for rep in $(seq 1 "$DL_REPS"); do
            say "the BITS classes: ${DL_MIB} MiB over http, run $rep of $DL_REPS [$(elapsed)]"
            download_service http opendo_bits "$rep" "$CLSID_BITS" "$1" 'dosvc\.exe' "$2"
        done
    fi
    stop_service BITS
    bits_switch uninstall || return 1
    start_service BITS
    say "the BITS classes: Wine's BITS is the BITS service again [$(elapsed)]"
}

if wants download; then
    measure_downloads
elif wants bits; then
    measure_bits_classes
fi

# ---- 2c. many downloads at once in one service -------------------------------------------------

transfers_key='HKLM\SOFTWARE\opendo\Transfers'

# Until killed: doadmin /perfsnap's BackgroundDownloadCount every 2 s, one number a line on stdout
# (proof that the downloads ran at once, not one after another).
sample_running_downloads() {
    while sleep 2; do
        wine "C:\Program Files\opendo\doadmin.exe" /perfsnap </dev/null 2>/dev/null |
            tr -d '\r' | awk '$1 == "BackgroundDownloadCount" {print $NF}'
    done
}

# Records "many ok JOBS BYTES SECONDS CPU WS_CPU PEAK_KIB RIGHT MOST_RUNNING" or "many failed WHY".
measure_many() {
    local sha port pid ws cpu0 ws0 out secs bytes jobs cpu ws_cpu right sampler most
    local dir=$work_dir/many
    mkdir -p "$www" "$dir"
    say "$MANY_JOBS downloads at once: MaxBackgroundTransfers $MANY_JOBS, DoSvc restarted [$(elapsed)]"
    sha=$(served_file many.bin "$MANY_MIB")
    wine reg add "$transfers_key" /v MaxBackgroundTransfers /t REG_DWORD /d "$MANY_JOBS" /f </dev/null >/dev/null 2>&1
    stop_service DoSvc
    start_service DoSvc
    read -r port <<<"$(loopback_free_ports 1)"
    LOOPBACK_NGINX_CONNECTIONS=$((MANY_JOBS + 64)) loopback_nginx_start "$bench_dir/nginx" \
        "  server { listen 127.0.0.1:$port; root $www; }" ||
        { say "nginx did not start: see $bench_dir/nginx/nginx-error.log"; return 1; }
    if ! pid=$(prefix_pid 'dosvc\.exe') || ! ws=$(prefix_pid '^[^ ]*wineserver(64)? '); then
        echo "many failed no dosvc.exe or wineserver in the prefix" >>"$results"
    else
        reset_peak "$pid"
        cpu0=$(cpu_seconds "$pid") ws0=$(cpu_seconds "$ws")
        sample_running_downloads >"$bench_dir/results/many-running.txt" &
        sampler=$!
        if out=$(client many "$CLSID_DO" "http://127.0.0.1:$port/many.bin" "$work_win\\many" "$MANY_JOBS"); then
            kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
            most=$(sort -n "$bench_dir/results/many-running.txt" | tail -n 1)
            cpu=$(awk -v a="$cpu0" -v b="$(cpu_seconds "$pid")" 'BEGIN {print b - a}')
            ws_cpu=$(awk -v a="$ws0" -v b="$(cpu_seconds "$ws")" 'BEGIN {print b - a}')
            secs=$(printf '%s\n' "$out" | awk '/^RESULT many_transfer / {printf "%.3f", $3 / 1e6}')
            bytes=$(printf '%s\n' "$out" | awk '/^RESULT many_bytes / {print $3}')
            jobs=$(printf '%s\n' "$out" | awk '/^RESULT many_jobs / {print $3}')
            right=$(find "$dir" -name '*.bin' -print0 | xargs -0 -r -P 2 -n 50 sha256sum |
                    awk -v want="$sha" '$1 == want {n++} END {print n + 0}')
            echo "many ok $jobs $bytes $secs $cpu $ws_cpu $(peak_kib "$pid") $right ${most:-0}" >>"$results"
        else
            kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
            echo "many failed $(tr -d '\r' <"$bench_dir/results/client.err" | tail -n 2 | tr '\n' ' ')" >>"$results"
        fi
    fi
    loopback_nginx_stop
    rm -rf "$dir"
    wine reg delete "$transfers_key" /v MaxBackgroundTransfers /f </dev/null >/dev/null 2>&1
    stop_service DoSvc
    start_service DoSvc
}

if wants many; then
    measure_many
fi

# ---- 3. start-up and GetJob with 0 .. 100,000 jobs in the store -------------------------------

# Start-ups of DoSvc with the store as it is (STARTS times), then of Wine's BITS when asked.
measure_startups() { # $1 = jobs in the store, $2 = id file (Windows path) or "", $3 = also BITS
    local r
    for r in $(seq 1 "$STARTS"); do
        stop_service DoSvc
        client startup DoSvc "$CLSID_DO" ${2:+"$2"} | record startup opendo "$1" "$r"
        if [ "$3" = yes ]; then
            stop_service BITS
            client startup BITS "$CLSID_BITS" | record startup wine 0 "$r"
        fi
    done
}

# GetJob with 10 .. 100,000 jobs in the store (scale), start-ups at each size (startup).
measure_store_sizes() {
    local count have t0 t1 rep left
    stop_service DoSvc
    left=$(jobs_in_store)
    [ "$left" = 0 ] || say "note: $left job(s) left in the store after the API runs and downloads"
    if wants startup; then
        say "start-up with an empty store, against Wine's BITS (empty, in memory) [$(elapsed)]"
        measure_startups 0 "" yes
    fi
    start_service BITS
    client create "$CLSID_DO" 1 >/dev/null # the template of every stored job

    for count in $SCALES; do
        stop_service DoSvc
        t0=$(date +%s.%N)
        populate "$count"
        t1=$(date +%s.%N)
        have=$(jobs_in_store)
        awk -v n="$have" -v a="$t0" -v b="$t1" 'BEGIN {printf "populate %s seconds %.2f\n", n, b - a}' >>"$results"
        sqlite3 "$db" "SELECT hex(id) FROM jobs ORDER BY random() LIMIT $ID_SAMPLE" >"$work_dir/ids.txt"
        say "$have jobs in the store [$(elapsed)]"
        if wants startup; then measure_startups "$have" "$work_win\\ids.txt" no; fi
        for rep in $(seq 1 "$REPS"); do
            wants scale || break
            client getjob "$CLSID_DO" "$work_win\\ids.txt" "$ITERATIONS" "$CLSID_BITS" |
                record scale "$have" "$rep"
        done
    done
    if wants scale && [ "$SUSTAIN" -gt 0 ]; then
        say "$have jobs in the store: GetJob without a pause for $SUSTAIN s [$(elapsed)]"
        client getjob "$CLSID_DO" "$work_win\\ids.txt" "${SUSTAIN}s" "$CLSID_BITS" | record sustain "$have" 1
    fi
}

if wants scale || wants startup; then
    measure_store_sizes
fi
stop_service DoSvc
stop_service BITS

# ---- 4. the report ---------------------------------------------------------------------------

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- 2>/dev/null || commit="$commit + local changes"
export BENCH_CPUS BENCH_CPU BENCH_MEM BENCH_KERNEL BENCH_WINE BENCH_FS BENCH_COMMIT BENCH_RUNTIME \
       BENCH_ITERATIONS=$ITERATIONS BENCH_REPS=$REPS BENCH_STARTS=$STARTS BENCH_ID_SAMPLE=$ID_SAMPLE \
       BENCH_SUSTAIN=$SUSTAIN BENCH_DL_REPS=$DL_REPS BENCH_DL_MIB=$DL_MIB BENCH_DL_TLS_MIB=$DL_TLS_MIB \
       BENCH_MANY_JOBS=$MANY_JOBS BENCH_MANY_MIB=$MANY_MIB BENCH_SECTIONS=$SECTIONS BENCH_CURL BENCH_NGINX
BENCH_CPUS=$(nproc)
BENCH_CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
BENCH_MEM=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
BENCH_KERNEL=$(uname -r)
BENCH_WINE=$(wine --version 2>/dev/null)
BENCH_FS=$(df -PT "$WINEPREFIX" | awk 'NR == 2 {print $2}')
BENCH_CURL=$(curl --version 2>/dev/null | awk 'NR == 1 {print $2}')
BENCH_NGINX=$(nginx -v 2>&1 | sed 's/^.*nginx\///')
BENCH_COMMIT=$commit
BENCH_RUNTIME=$(( $(date +%s) - started ))

python3 - "$results" "$OUT" <<'PY'
import datetime, os, statistics, sys
results_path, out_path = sys.argv[1], sys.argv[2]
e = os.environ
env = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpus": e["BENCH_CPUS"], "cpu": e["BENCH_CPU"], "mem": e["BENCH_MEM"],
    "kernel": e["BENCH_KERNEL"], "wine": e["BENCH_WINE"], "fs": e["BENCH_FS"],
    "commit": e["BENCH_COMMIT"], "iterations": int(e["BENCH_ITERATIONS"]),
    "reps": int(e["BENCH_REPS"]), "starts": int(e["BENCH_STARTS"]),
    "runtime": int(e["BENCH_RUNTIME"]), "id_sample": int(e["BENCH_ID_SAMPLE"]),
    "sustain": int(e["BENCH_SUSTAIN"]), "dl_reps": int(e["BENCH_DL_REPS"]),
    "dl_mib": int(e["BENCH_DL_MIB"]), "dl_tls_mib": int(e["BENCH_DL_TLS_MIB"]),
    "sections": e["BENCH_SECTIONS"].split(), "curl": e["BENCH_CURL"], "nginx": e["BENCH_NGINX"],
    "many_jobs": int(e["BENCH_MANY_JOBS"]), "many_mib": int(e["BENCH_MANY_MIB"]),
}
FLAT_LIMIT = 1.25   # "flat": GetJob at 100,000 jobs within 25 % of GetJob at 10 jobs (paced)
STALL_MS = 100      # and no call waits this long while the service looks at its whole store
PEAK_MIB = 64       # the service's peak memory during the large download

api, bitsapi, scale, start, populate, sustain, dl, many, disk = {}, {}, {}, {}, {}, {}, {}, None, []
for line in open(results_path):
    w = line.split()
    if w[0] == "api":              # api REP SERVER ROW MEDIAN P95
        api.setdefault((w[2], w[3]), {})[int(w[1])] = (float(w[4]), float(w[5]))
    elif w[0] == "bitsapi":        # bitsapi REP bits|do ROW MEDIAN P95
        bitsapi.setdefault((w[2], w[3]), {})[int(w[1])] = (float(w[4]), float(w[5]))
    elif w[0] == "scale":          # scale COUNT REP ROW MEDIAN P95
        scale.setdefault(int(w[1]), {}).setdefault(w[3], []).append((float(w[4]), float(w[5])))
    elif w[0] == "startup":        # startup SERVER COUNT REP ROW VALUE VALUE
        start.setdefault((w[1], int(w[2])), {}).setdefault(w[4], []).append(float(w[5]))
    elif w[0] == "populate":       # populate COUNT seconds S
        populate[int(w[1])] = float(w[3])
    elif w[0] == "sustain":        # sustain COUNT REP ROW MEDIAN P95
        sustain.setdefault(int(w[1]), {})[w[3]] = (float(w[4]), float(w[5]))
    elif w[0] == "disk":           # disk REP MB/s
        disk.append(float(w[2]))
    elif w[0] == "download":       # download CASE WHO REP ok BYTES SECONDS CPU WS_CPU PEAK_KIB CHECK
        runs = dl.setdefault((w[1], w[2]), {})  # or: download CASE WHO REP failed WHY...
        runs[int(w[3])] = (dict(bytes=int(w[5]), secs=float(w[6]), cpu=float(w[7]), ws=float(w[8]),
                                peak=int(w[9]), check=w[10]) if w[4] == "ok" else " ".join(w[5:]))
    elif w[0] == "many":           # many ok JOBS BYTES SECONDS CPU WS_CPU PEAK_KIB RIGHT MOST_RUNNING,
        many = (dict(jobs=int(w[2]), bytes=int(w[3]), secs=float(w[4]), cpu=float(w[5]), ws=float(w[6]),
                     peak=int(w[7]), right=int(w[8]), most=int(w[9]))  # or: many failed WHY...
                if w[1] == "ok" else " ".join(w[2:]))

med = statistics.median
def us(x):
    return (f"{x / 1e6:.1f} s" if x >= 1e6 else f"{x / 1000:.2f} ms" if x >= 1000
            else f"{x:.0f} µs" if x >= 1 else "< 1 µs")
def ms(x): return f"{x / 1000:.0f} ms"
# Ratios are judged as printed, to two decimals: the runs of one row differ by more than that.
def verdict(ratio, limit): return "**PASS**" if round(ratio, 2) <= limit else "**FAIL**"
lines, passes, fails = [], 0, 0
def out(s=""): lines.append(s)

# --- API rows: (label, row, target limit or None, target text)
API_ROWS = [
    ("GetJob, job held by the client", "getjob", 1.0, "≤ 1.00× Wine"),
    ("GetJob, job not held by the client", "getjob_cold", 1.0, "≤ 1.00× Wine"),
    ("GetState", "getstate", 1.0, "≤ 1.00× Wine"),
    ("CreateJob (opendo durable, Wine in memory)", "createjob", 2.0, "≤ 2.00× Wine"),
    ("GetDisplayName", "getdisplayname", 1.0, "≤ 1.00× Wine"),
    ("Cancel (opendo durable)", "cancel", 1.5, "≤ 1.50× Wine"),
    ("Release of a GetJob result, job held", "getjob_release", None, "—"),
    ("Release of a GetJob result, job not held", "getjob_cold_release", None, "—"),
    ("Activation (CoCreateInstance, server running)", "activate", None, "—"),
]
api_table = []
for label, row, limit, target in API_ROWS:
    o, w = api.get(("opendo", row)), api.get(("wine", row))
    if not o or not w:
        continue
    o_med, w_med = med(v[0] for v in o.values()), med(v[0] for v in w.values())
    o_p95, w_p95 = med(v[1] for v in o.values()), med(v[1] for v in w.values())
    # Paired: each run's opendo median over the same run's Wine median (Wine's local Release,
    # under 1 µs, gets no ratio).
    per_run = sorted(o[r][0] / w[r][0] for r in o if r in w and w[r][0] >= 1)
    ratio = med(per_run) if per_run and w_med >= 1 else None
    result = "—"
    if limit is not None and ratio is not None:
        result = verdict(ratio, limit)
        passes, fails = passes + (result == "**PASS**"), fails + (result != "**PASS**")
    spread = f"{per_run[0]:.2f}–{per_run[-1]:.2f}" if per_run and ratio is not None else "—"
    api_table.append(f"| {label} | {us(o_med)} ({us(o_p95)}) | {us(w_med)} ({us(w_p95)}) | "
                     f"{f'{ratio:.2f}×' if ratio is not None else '—'} | {spread} | {target} | {result} |")

# --- GetJob scaling
scale_table, flat = [], None
counts = sorted(scale)
base = None
for c in counts:
    o = scale[c].get("getjob", []); r = scale[c].get("getjob_ref", [])
    if not o or not r:
        continue
    o_med, o_p95, r_med = med(v[0] for v in o), med(v[1] for v in o), med(v[0] for v in r)
    paced = med(a[0] / b[0] for a, b in zip(o, r))
    if base is None:
        base = (o_med, paced, c)
    raw_x, paced_x = o_med / base[0], paced / base[1]
    worst = max(v[0] for v in scale[c].get("getjob_max", [(0, 0)]))
    scale_table.append(f"| {c:,} | {us(o_med)} ({us(o_p95)}) | {us(worst)} | {us(r_med)} | "
                       f"{paced:.2f} | {raw_x:.2f}× | {paced_x:.2f}× |")
    flat = (c, paced_x)
flat_ok = None
if flat and base and flat[0] > base[2]:
    flat_ok = flat[1] <= FLAT_LIMIT
    passes, fails = passes + flat_ok, fails + (not flat_ok)
stall = None
for c, rows in sorted(sustain.items()):
    if "getjob" in rows and "getjob_max" in rows:
        stall = (c, rows["getjob"], rows["getjob_p99"][0], rows["getjob_max"][0],
                 rows.get("getjob_ref_max", (0, 0))[0])
if stall:
    stall_ok = stall[3] <= STALL_MS * 1000
    passes, fails = passes + stall_ok, fails + (not stall_ok)

# --- start-up
start_table = []
for (server, c) in sorted(start, key=lambda k: (k[0] != "opendo", k[1])):
    m = start[(server, c)]
    name = "opendo DoSvc" if server == "opendo" else "Wine BITS (jobs in memory)"
    store = f"{c:,} jobs" if c else "empty"
    fill = f" (filled in {populate[c]:.1f} s)" if populate.get(c, 0) >= 0.05 else ""
    start_table.append(f"| {name} | {store}{fill} | {ms(med(m['startup_running']))} | "
                       f"{ms(med(m['startup_first_getjob']))} | "
                       f"{ms(min(m['startup_first_getjob']))}–{ms(max(m['startup_first_getjob']))} |")

# --- downloads: throughput ratios (higher is better), CPU, memory
def size_label(mib): return f"{mib // 1024} GiB" if mib % 1024 == 0 else f"{mib} MiB"
DL_CASES = [("http", f"{size_label(env['dl_mib'])} over http"),
            ("https", f"{size_label(env['dl_tls_mib'])} over https")]
DL_WHO = [("opendo", "opendo DoSvc"), ("wine", "Wine BITS"), ("curl", "curl (native)")]
# (case, numerator, denominator, limit or None): "numerator at least limit × denominator"
DL_TARGETS = [("http", "opendo", "wine", 5.0), ("http", "opendo", "curl", 0.6),
              ("https", "opendo", "curl", 0.5), ("https", "opendo", "wine", None)]

def dl_ok(case, who):
    """The successful runs: {rep: run} (throughput in MB/s added)."""
    runs = {r: dict(v, mbps=v["bytes"] / v["secs"] / 1e6)
            for r, v in dl.get((case, who), {}).items() if isinstance(v, dict)}
    return runs

def dl_failure(case, who):
    why = [v for v in dl.get((case, who), {}).values() if isinstance(v, str)]
    return why[0][:160] if why else None

def per_gib(run, key): return run[key] / (run["bytes"] / 2**30)

def dl_cell(case, who, metric):
    runs = dl_ok(case, who).values()
    if not runs:
        why = dl_failure(case, who)
        return f"failed: {why}" if why else "—"
    if metric == "mbps":
        v = [r["mbps"] for r in runs]
        return f"{med(v):.0f} MB/s ({min(v):.0f}–{max(v):.0f})"
    if metric == "cpu":
        return f"{med(per_gib(r, 'cpu') for r in runs):.2f} s"
    if metric == "ws":
        return f"{med(per_gib(r, 'ws') for r in runs):.2f} s" if who != "curl" else "—"
    if metric == "peak":
        return f"{max(r['peak'] for r in runs) / 1024:.0f} MiB"
    good = sum(r["check"] == "sha256" for r in runs)
    bad = [r["check"] for r in runs if r["check"] != "sha256"]
    return f"{good} of {len(dl.get((case, who), {}))}" + (f" ({', '.join(bad)})" if bad else "")

DL_METRICS = [("MB/s, median (range)", "mbps"),
              ("CPU seconds per GiB, service process (curl: curl)", "cpu"),
              ("CPU seconds per GiB, wineserver", "ws"),
              ("peak memory, highest run (service: VmHWM; curl: max RSS)", "peak"),
              ("SHA-256 right", "check")]
dl_table = []
for case, case_label in DL_CASES:
    if not any((case, who) in dl for who, _ in DL_WHO):
        continue
    for metric_label, metric in DL_METRICS:
        dl_table.append(f"| {case_label}: {metric_label} | " +
                        " | ".join(dl_cell(case, who, metric) for who, _ in DL_WHO) + " |")

dl_targets = []
def dl_result(ok):
    global passes, fails
    passes, fails = passes + ok, fails + (not ok)
    return "**PASS**" if ok else "**FAIL**"
for case, num, den, limit in DL_TARGETS:
    a, b = dl_ok(case, num), dl_ok(case, den)
    if (case, num) not in dl:
        continue
    case_label = dict(DL_CASES)[case]
    label = f"{case_label}: {dict(DL_WHO)[num]} / {dict(DL_WHO)[den]} throughput"
    paired = sorted(a[r]["mbps"] / b[r]["mbps"] for r in a if r in b)
    wrong = any(r["check"] != "sha256" for r in a.values()) or len(a) < len(dl[(case, num)])
    target = f"≥ {limit:.2f}×" if limit is not None else "—"
    if not paired:
        why = dl_failure(case, den) or dl_failure(case, num) or "no run of both"
        dl_targets.append(f"| {label} | not measured: {why} | — | {target} | "
                          f"{dl_result(False) if limit is not None else '—'} |")
        continue
    ratio = med(paired)
    result = dl_result(round(ratio, 2) >= limit and not wrong) if limit is not None else "—"
    note = " (a download failed or was wrong)" if wrong else ""
    dl_targets.append(f"| {label} | {ratio:.2f}×{note} | {paired[0]:.2f}–{paired[-1]:.2f} | "
                      f"{target} | {result} |")
peak_runs = dl_ok("http", "opendo")
if peak_runs:
    peak = max(r["peak"] for r in peak_runs.values()) / 1024
    dl_targets.append(f"| {DL_CASES[0][1]}: opendo DoSvc peak memory (VmHWM), highest run | "
                      f"{peak:.0f} MiB | {min(r['peak'] for r in peak_runs.values()) / 1024:.0f}–"
                      f"{peak:.0f} MiB | ≤ {PEAK_MIB} MiB | {dl_result(peak <= PEAK_MIB)} |")

# --- the BITS classes: opendo's BITS class against its DO class (same blocks) and, paced by the
# DO class, against Wine's BITS of the API section; downloads through the BITS class.
BITS_LIMIT = 1.10   # the BITS personality costs what the DO class costs
BITS_ROWS = [("GetJob, job held by the client", "getjob", BITS_LIMIT),
             ("GetJob, job not held by the client", "getjob_cold", BITS_LIMIT),
             ("GetState", "getstate", BITS_LIMIT),
             ("CreateJob", "createjob", BITS_LIMIT),
             ("Activation (CoCreateInstance, server running)", "activate", None)]
def paired_ratio(a, b):
    runs = sorted(a[r][0] / b[r][0] for r in a if r in b and b[r][0] >= 1)
    return (med(runs), runs) if runs else (None, [])
bits_table = []
for label, row, limit in BITS_ROWS:
    b, d = bitsapi.get(("bits", row)), bitsapi.get(("do", row))
    if not b or not d:
        continue
    b_med, d_med = med(v[0] for v in b.values()), med(v[0] for v in d.values())
    b_over_d, runs = paired_ratio(b, d)
    o, w = api.get(("opendo", row)), api.get(("wine", row))
    o_over_w = paired_ratio(o, w)[0] if o and w else None
    wine_cell = us(med(v[0] for v in w.values())) if w else "—"
    paced = f"{b_over_d * o_over_w:.2f}×" if b_over_d is not None and o_over_w is not None else "—"
    result = "—"
    if limit is not None and b_over_d is not None:
        result = verdict(b_over_d, limit)
        passes, fails = passes + (result == "**PASS**"), fails + (result != "**PASS**")
    bits_table.append(f"| {label} | {us(b_med)} | {us(d_med)} | "
                      f"{f'{b_over_d:.2f}×' if b_over_d is not None else '—'} "
                      f"({runs[0]:.2f}–{runs[-1]:.2f}) | {wine_cell} | {paced} | "
                      f"{f'≤ {limit:.2f}× DO class' if limit else '—'} | {result} |")
bits_dl = dl_ok("http", "opendo_bits")
if ("http", "opendo_bits") in dl:
    wine_dl = dl_ok("http", "wine")
    if bits_dl and wine_dl:
        mbps = [r["mbps"] for r in bits_dl.values()]
        ratio = med(mbps) / med(r["mbps"] for r in wine_dl.values())
        wrong = any(r["check"] != "sha256" for r in bits_dl.values()) or len(bits_dl) < len(dl[("http", "opendo_bits")])
        result = dl_result(ratio >= 5.0 and not wrong)
        bits_table.append(f"| {size_label(env['dl_mib'])} over http: MB/s, median (range); SHA-256 right "
                          f"| {med(mbps):.0f} MB/s ({min(mbps):.0f}–{max(mbps):.0f}); "
                          f"{dl_cell('http', 'opendo_bits', 'check')} | — | — | "
                          f"{dl_cell('http', 'wine', 'mbps')} | {ratio:.2f}× (throughput) | "
                          f"≥ 5.00× Wine | {result} |")
    else:
        bits_table.append(f"| {size_label(env['dl_mib'])} over http | "
                          f"{dl_cell('http', 'opendo_bits', 'mbps')} | — | — | — | — | ≥ 5.00× Wine | "
                          f"{dl_result(False)} |")

# --- many downloads in one service: all complete with the right bytes.
many_ok = (isinstance(many, dict) and many["right"] == env["many_jobs"]
           and many["bytes"] == env["many_jobs"] * env["many_mib"] * 2**20)
if "many" in env["sections"]:
    passes, fails = passes + many_ok, fails + (not many_ok)

out("# Benchmarks")
out()
out(f"Generated by `make bench` (`scripts/bench.sh`) on {env['date']}; do not edit by hand. "
    f"Commit {env['commit']}; the run took {env['runtime'] // 60} min {env['runtime'] % 60} s.")
out()
out(f"**Machine:** {env['cpus']} CPUs ({env['cpu']}), {env['mem']} RAM, Linux {env['kernel']}, "
    f"{env['wine']}, prefix on {env['fs']}.")
out()
skipped = [x for x in ("api", "download", "bits", "many", "scale", "startup") if x not in env["sections"]]
out(f"**Summary:** {passes} target(s) met, {fails} missed" +
    (f"; a partial run (BENCH_SECTIONS=\"{' '.join(env['sections'])}\"): not measured: "
     f"{', '.join(skipped)}." if skipped else "."))
out()
out("**How:** one client binary (`tools/bench_client.c`, built against mingw-w64's own `<bits.h>`) "
    "drives opendo's DoSvc (`CLSID_DeliveryOptimization`) and Wine's built-in BITS "
    "(`CLSID_BackgroundCopyManager`, `svchost -k netsvcs` + qmgr.dll) in the same fresh prefix, "
    "in alternating blocks of 50 calls, so that both share the machine's state alike. Every call "
    "is timed alone with QueryPerformanceCounter after a warm-up. In that prefix opendo's "
    "doproxy.dll is the registered proxy/stub for the BITS interfaces, so both servers are "
    "reached through the same proxy code. "
    f"{env['iterations']} calls per row and run, {env['reps']} runs; a time is the median over the "
    "runs of each run's median (in brackets: the same for the 95th percentile), a ratio the "
    "median of the runs' ratios. Wine's BITS keeps its jobs in memory and establishes no caller "
    "identity; opendo establishes the caller (its token) and reads SQLite on every call, and "
    "commits every change (fsync) before it returns. Downloads (the same client, plus native "
    "curl, from nginx on 127.0.0.1) are described in their section.")
out()
out("**API ratios are time ratios, opendo / Wine: lower is better; below 1.00 opendo is faster.** "
    "Download ratios are throughput ratios: higher is better. "
    "\"Per run\" gives the lowest and highest ratio of the single runs: cross-process calls under "
    "Wine on a virtual machine change pace by up to 5× from one minute to the next (idle vCPUs "
    "wake up slowly), so read the ratios, not the absolute times. A target is judged on the ratio as printed, to two decimals (the single runs of a row differ by more than that).")
out()
def not_run(section):
    out(f"Not measured in this run (BENCH_SECTIONS without `{section}`).")
    out()

def table(rows):
    lines.extend(rows)
    out()

out("## API round trips (both servers running)")
out()
if "api" not in env["sections"]:
    not_run("api")
else:
    table(["| call | opendo | Wine BITS | opendo / Wine | per run | target | result |",
           "|---|---:|---:|---:|---:|---|---|"] + api_table)
    out("\"Job held\": the client holds a reference to the job it asks for (BITS hands out the "
        "same object again, so no new proxy is needed); \"not held\": the client holds none, as "
        "after a restart. The Release rows time the client's Release of the object GetJob "
        "returned: a cross-process call when it was the last reference.")
    out()
out("## Downloads")
out()
if "download" not in env["sections"]:
    not_run("download")
else:
    out(f"nginx {env['nginx']} on 127.0.0.1 serves a random {size_label(env['dl_mib'])} file "
        f"over http and a {size_label(env['dl_tls_mib'])} one over https (a throw-away CA made "
        "with openssl and imported into the prefix's LocalMachine\\Root; the certificate is for "
        "`localhost`). `bench_client download` does what a BITS client does — CreateJob, AddFile, "
        "Resume, GetState every 10 ms until TRANSFERRED, Complete — against DoSvc and against "
        "Wine's BITS (WinHTTP), timed from CreateJob to Complete's return; native curl "
        f"{env['curl']} runs `curl -o file` (`--cacert` for https), timed as a process. Every file "
        "lands in the prefix's drive_c and its SHA-256 is checked afterwards. First each client "
        "downloads the https file once over http, unmeasured (a fresh service's first transfer is "
        "much slower). Then the three clients "
        f"take turns, who goes first rotating, {env['dl_reps']} runs each; MB/s is 10^6 bytes per "
        "second, the median of the runs (range in brackets); a ratio is the median of the runs' "
        "ratios. CPU time is utime + stime of the service's process (`dosvc.exe`; Wine's BITS: "
        "`svchost -k netsvcs`) from /proc before and after, per GiB downloaded (the client's "
        "10-ms polling included); wineserver's own CPU time is listed apart (every Wine process's "
        "I/O goes through it); curl's from getrusage. Peak memory is the service's VmHWM, reset "
        "(clear_refs) before each download. DoSvc flushes the file every 100 ms while it downloads "
        "and Complete waits for the last flush (docs/transfer.md, \"Durability\"), and it commits a "
        "progress record at each checkpoint; curl and Wine's BITS never flush. This section runs "
        "before the store is filled for the scaling runs.")
    out()
    table(["| download | " + " | ".join(label for _, label in DL_WHO) + " |", "|---|---:|---:|---:|"]
          + dl_table)
    if disk:
        out(f"**The disk:** copying the http file into the prefix's drive and making it durable "
            f"(`dd bs=4M conv=fsync`, once per run) took the disk {med(disk):.0f} MB/s "
            f"({min(disk):.0f}–{max(disk):.0f}). DoSvc makes every byte durable before it reports "
            f"TRANSFERRED (it flushes as the data arrives, so the disk writes while the network "
            f"reads); curl's and Wine's BITS's bytes may still be in the page cache when they finish. "
            f"The ratio to curl therefore compares a durable download with a page-cache one "
            f"(docs/transfer.md, \"Where a 1 GiB download's time goes now\").")
        out()
    table(["| target | measured | per run | target | result |", "|---|---:|---:|---|---|"] + dl_targets)
out("## The BITS classes (opendo as the prefix's BITS service)")
out()
if "bits" not in env["sections"]:
    not_run("bits")
else:
    out("`dosvc install --bits` makes opendo the prefix's BITS service (docs/bits.md): "
        "`CLSID_BackgroundCopyManager` is then served by dosvc.exe, in the process that serves "
        "`CLSID_DeliveryOptimization`. The same client drives the two classes in alternating blocks "
        "(the first column against the second: what the BITS personality costs), and the BITS class "
        "against Wine's BITS of the API section above, paced by the DO class measured in both "
        "(BITS class / DO class × DO class / Wine; lower is better). Then the "
        f"{size_label(env['dl_mib'])} file of the downloads section is downloaded through the BITS "
        f"class, {env['dl_reps']} times, against Wine's BITS's runs of that section. Afterwards "
        "`dosvc uninstall --bits` gives the class back to Wine's BITS for the sections below.")
    out()
    table(["| call | opendo BITS class | opendo DO class (same blocks) | BITS / DO class (per run) | "
           "Wine BITS (API section) | opendo BITS class / Wine | target | result |",
           "|---|---:|---:|---:|---:|---:|---|---|"] + bits_table)
out(f"## {env['many_jobs']} concurrent downloads in one DoSvc")
out()
if "many" not in env["sections"]:
    not_run("many")
else:
    out(f"`HKLM\\SOFTWARE\\opendo\\Transfers\\MaxBackgroundTransfers` set to {env['many_jobs']} and "
        f"DoSvc restarted; then `bench_client many` creates {env['many_jobs']} jobs through the DO "
        f"class (CreateJob, AddFile), each downloading the same {size_label(env['many_mib'])} random "
        "file from nginx on 127.0.0.1 to its own file, resumes them all, polls every unfinished "
        "job's GetState every 100 ms until all are TRANSFERRED, and completes them. Throughput is "
        "the jobs' bytes over first Resume .. last TRANSFERRED seen (10^6 bytes per second); the "
        "service's CPU time and peak memory (VmHWM, reset before) as in the downloads section, "
        "for the whole run including the client's calls; every file's SHA-256 checked. \"Most "
        "running at once\" is the highest BackgroundDownloadCount of `doadmin /perfsnap`, sampled "
        "every 2 s during the run. Afterwards "
        "the registry value is removed and DoSvc restarted.")
    out()
    if isinstance(many, dict):
        table(["| downloads | most running at once | SHA-256 right | aggregate throughput | wall time | "
               "DoSvc CPU (user + sys) | wineserver CPU | DoSvc peak memory (VmHWM) |",
               "|---:|---:|---:|---:|---:|---:|---:|---:|",
               f"| {many['jobs']} of {env['many_jobs']} completed | {many['most']} | {many['right']} of {env['many_jobs']} | "
               f"{many['bytes'] / many['secs'] / 1e6:.0f} MB/s ({many['bytes'] / 2**30:.2f} GiB) | "
               f"{many['secs']:.1f} s | {many['cpu']:.2f} s | {many['ws']:.2f} s | {many['peak'] / 1024:.0f} MiB |"])
        out(f"Target: all {env['many_jobs']} downloads complete with the right SHA-256 — "
            f"{'**PASS**' if many_ok else '**FAIL**'}.")
        out()
    else:
        out(f"Failed: {many or 'no result'} — **FAIL**.")
        out()
out("## GetJob latency and the number of jobs in the store")
out()
if "scale" not in env["sections"]:
    not_run("scale")
else:
    out(f"The store is filled directly with sqlite3 while DoSvc is stopped (copies of a job created "
        f"through the API, new random ids), then GetJob cycles through {env['id_sample']:,} random "
        "stored ids (none held by the client). Wine's BITS GetJob of one job it holds in memory "
        "(not held by the client) runs in alternating blocks as the pace reference.")
    out()
    table(["| jobs in the store | opendo GetJob | worst call | Wine BITS GetJob (reference) | "
           "opendo / reference | vs 10 jobs, raw | vs 10 jobs, paced |",
           "|---:|---:|---:|---:|---:|---:|---:|"] + scale_table)
if flat_ok is not None:
    out(f"Target: GetJob latency flat from {base[2]:,} to {flat[0]:,} jobs (paced ratio ≤ "
        f"{FLAT_LIMIT:.2f}×): {flat[1]:.2f}× — {verdict(flat[1], FLAT_LIMIT)}.")
    out()
if stall:
    out(f"Without a pause for {env['sustain']} s at {stall[0]:,} jobs (longer than the scheduler's "
        f"30-s idle pass over the store): median {us(stall[1][0])}, p95 {us(stall[1][1])}, p99 "
        f"{us(stall[2])}, worst {us(stall[3])} (Wine's worst in the same run: {us(stall[4])}). "
        f"Target: latency flat means no stalls either, worst call ≤ {STALL_MS} ms — "
        f"{'**PASS**' if stall[3] <= STALL_MS * 1000 else '**FAIL**'}.")
    out()
out("## Service start-up")
out()
if "startup" not in env["sections"]:
    not_run("startup")
else:
    out(f"`StartService` to RUNNING, and to the first `CoCreateInstance` + `GetJob` answered (a "
        f"stored id; an unknown id for an empty store), timed by the client; median of "
        f"{env['starts']} starts each, the service stopped with `sc stop` before each. DoSvc "
        "reports RUNNING once its store is open: that includes SQLite's `PRAGMA integrity_check` "
        "of the whole database and the 30-day expiry pass.")
    out()
    table(["| service | store | start → RUNNING | start → first GetJob answered | range |",
           "|---|---|---:|---:|---:|"] + start_table)
# The "Fleet" section is written by `make bench-fleet` (scripts/bench-fleet.sh): kept as it is.
import re
previous = open(out_path).read() if os.path.exists(out_path) else ""
fleet = re.search(r"^## Fleet\b.*?(?=^## |\Z)", previous, flags=re.S | re.M)
if fleet:
    out(fleet.group(0).rstrip("\n"))
    out()
open(out_path, "w").write("\n".join(lines))
PY
say "done in $(elapsed); wrote ${OUT#$top/}"
echo
cat "$OUT"
