#!/usr/bin/env bash
# make bench: opendo's DoSvc against Wine's built-in BITS (qmgr, same prefix, same client binary)
# and (download rows still to come) native curl; in one go on this machine. Never a timed test:
# it measures and reports, writes docs/benchmarks.md and prints it.
#
#   1. a fresh prefix (build/bench/wine, torn down at exit), opendo installed into it, Wine's
#      BITS service started next to DoSvc;
#   2. API round trips: tools/bench_client.c drives both servers from one process, in
#      alternating blocks of 50 calls, BENCH_REPS times (the two servers' order alternates
#      between runs); per server and call, the median over the runs of each run's median;
#   3. GetJob latency with 10 .. 100,000 jobs in the store: the store is filled directly with
#      sqlite3 (copies of one job created through the API, new random ids) while DoSvc is
#      stopped; GetJob of random stored ids, with Wine's BITS GetJob measured in alternating
#      blocks as a pace reference (the machine's speed drifts; the reference cancels that out);
#      at the largest size, GetJob without a pause for BENCH_SUSTAIN seconds (longer than the
#      scheduler's 30-s idle pass), for the worst call: a stall shows there, not in a median;
#   4. service start-up (StartService -> RUNNING -> first GetJob answered), for every store size.
# Knobs (environment): BENCH_ITERATIONS (2000), BENCH_REPS (3), BENCH_STARTS (3),
# BENCH_SCALES ("10 1000 10000 100000"), BENCH_SUSTAIN (40), BENCH_OUT (docs/benchmarks.md),
# BENCH_PREFIX (build/bench/wine: deleted first and at exit, so never point it at a prefix you keep).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bench_dir=$top/build/bench
prefix=${BENCH_PREFIX:-$bench_dir/wine}
. "$top/scripts/wine-env.sh" "$prefix"
. "$top/scripts/service-control.sh"

ITERATIONS=${BENCH_ITERATIONS:-2000}
REPS=${BENCH_REPS:-3}
STARTS=${BENCH_STARTS:-3}
SCALES=${BENCH_SCALES:-"10 1000 10000 100000"}
SUSTAIN=${BENCH_SUSTAIN:-40}
OUT=${BENCH_OUT:-$top/docs/benchmarks.md}
ID_SAMPLE=1000                                    # GetJob cycles through this many random ids
CLSID_DO='{5B99FA76-721C-423C-ADAC-56D03C8A8007}'  # CLSID_DeliveryOptimization (DoSvc)
CLSID_BITS='{4991D34B-80A1-4291-83B6-3328366B9097}' # CLSID_BackgroundCopyManager (Wine's BITS)

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

# `make bench` has built everything (it depends on `all`); the client comes from tools/bench.mk,
# included from tools/module.mk (or named here until it is).
if grep -q 'bench\.mk' "$top/tools/module.mk"; then
    make -s -C "$top" build/win/bench_client.exe
else
    make -s -C "$top" -f Makefile -f tools/bench.mk build/win/bench_client.exe
fi
for tool in sqlite3 python3; do
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

# ---- 2. start-up and GetJob with 0 .. 100,000 jobs in the store -------------------------------

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

stop_service DoSvc
left=$(jobs_in_store)
[ "$left" = 0 ] || say "note: $left job(s) left in the store after the API runs"
say "start-up with an empty store, against Wine's BITS (empty, in memory) [$(elapsed)]"
measure_startups 0 "" yes
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
    say "$have jobs in the store: start-up x$STARTS, GetJob x$REPS [$(elapsed)]"
    measure_startups "$have" "$work_win\\ids.txt" no
    for rep in $(seq 1 "$REPS"); do
        client getjob "$CLSID_DO" "$work_win\\ids.txt" "$ITERATIONS" "$CLSID_BITS" |
            record scale "$have" "$rep"
    done
done
if [ "$SUSTAIN" -gt 0 ]; then
    say "$have jobs in the store: GetJob without a pause for $SUSTAIN s [$(elapsed)]"
    client getjob "$CLSID_DO" "$work_win\\ids.txt" "${SUSTAIN}s" "$CLSID_BITS" | record sustain "$have" 1
fi
stop_service DoSvc
stop_service BITS

# ---- 3. the report ---------------------------------------------------------------------------

commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$top" diff --quiet HEAD -- 2>/dev/null || commit="$commit + local changes"
export BENCH_CPUS BENCH_CPU BENCH_MEM BENCH_KERNEL BENCH_WINE BENCH_FS BENCH_COMMIT BENCH_RUNTIME \
       BENCH_ITERATIONS=$ITERATIONS BENCH_REPS=$REPS BENCH_STARTS=$STARTS BENCH_ID_SAMPLE=$ID_SAMPLE \
       BENCH_SUSTAIN=$SUSTAIN
BENCH_CPUS=$(nproc)
BENCH_CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
BENCH_MEM=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
BENCH_KERNEL=$(uname -r)
BENCH_WINE=$(wine --version 2>/dev/null)
BENCH_FS=$(df -PT "$bench_dir" | awk 'NR == 2 {print $2}')
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
    "sustain": int(e["BENCH_SUSTAIN"]),
}
FLAT_LIMIT = 1.25   # "flat": GetJob at 100,000 jobs within 25 % of GetJob at 10 jobs (paced)
STALL_MS = 100      # and no call waits this long while the service looks at its whole store
PENDING = "pending: make bench does not measure downloads yet"

api, scale, start, populate, sustain = {}, {}, {}, {}, {}
for line in open(results_path):
    w = line.split()
    if w[0] == "api":              # api REP SERVER ROW MEDIAN P95
        api.setdefault((w[2], w[3]), {})[int(w[1])] = (float(w[4]), float(w[5]))
    elif w[0] == "scale":          # scale COUNT REP ROW MEDIAN P95
        scale.setdefault(int(w[1]), {}).setdefault(w[3], []).append((float(w[4]), float(w[5])))
    elif w[0] == "startup":        # startup SERVER COUNT REP ROW VALUE VALUE
        start.setdefault((w[1], int(w[2])), {}).setdefault(w[4], []).append(float(w[5]))
    elif w[0] == "populate":       # populate COUNT seconds S
        populate[int(w[1])] = float(w[3])
    elif w[0] == "sustain":        # sustain COUNT REP ROW MEDIAN P95
        sustain.setdefault(int(w[1]), {})[w[3]] = (float(w[4]), float(w[5]))

med = statistics.median
def us(x):
    return (f"{x / 1e6:.1f} s" if x >= 1e6 else f"{x / 1000:.2f} ms" if x >= 1000
            else f"{x:.0f} µs" if x >= 1 else "< 1 µs")
def ms(x): return f"{x / 1000:.0f} ms"
def verdict(ratio, limit): return "**PASS**" if ratio <= limit else "**FAIL**"
lines, passes, fails = [], 0, 0
def out(s=""): lines.append(s)

# --- API rows: (label, row, target limit or None, target text)
API_ROWS = [
    ("GetJob, job held by the client", "getjob", 1.0, "≤ 1.00× Wine"),
    ("GetJob, job not held by the client", "getjob_cold", 1.0, "≤ 1.00× Wine"),
    ("GetState", "getstate", 1.0, "≤ 1.00× Wine"),
    ("CreateJob (opendo durable, Wine in memory)", "createjob", 2.0, "≤ 2.00× Wine"),
    ("GetDisplayName", "getdisplayname", None, "—"),
    ("Cancel (opendo durable)", "cancel", None, "—"),
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
        passes, fails = passes + (ratio <= limit), fails + (ratio > limit)
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

out("# Benchmarks")
out()
out(f"Generated by `make bench` (`scripts/bench.sh`) on {env['date']}; do not edit by hand. "
    f"Commit {env['commit']}; the run took {env['runtime'] // 60} min {env['runtime'] % 60} s.")
out()
out(f"**Machine:** {env['cpus']} CPUs ({env['cpu']}), {env['mem']} RAM, Linux {env['kernel']}, "
    f"{env['wine']}, prefix on {env['fs']}.")
out()
out(f"**Summary:** {passes} target(s) met, {fails} missed; download throughput {PENDING}.")
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
    "commits every change (fsync) before it returns.")
out()
out("**Ratios are time ratios, opendo / Wine: lower is better; below 1.00 opendo is faster.** "
    "\"Per run\" gives the lowest and highest ratio of the single runs: cross-process calls under "
    "Wine on a virtual machine change pace by up to 5× from one minute to the next (idle vCPUs "
    "wake up slowly), so read the ratios, not the absolute times.")
out()
out("## API round trips (both servers running)")
out()
out("| call | opendo | Wine BITS | opendo / Wine | per run | target | result |")
out("|---|---:|---:|---:|---:|---|---|")
lines.extend(api_table)
out()
out("\"Job held\": the client holds a reference to the job it asks for (BITS hands out the same "
    "object again, so no new proxy is needed); \"not held\": the client holds none, as after a "
    "restart. The Release rows time the client's Release of the object GetJob returned: a "
    "cross-process call when it was the last reference.")
out()
out("## GetJob latency and the number of jobs in the store")
out()
out(f"The store is filled directly with sqlite3 while DoSvc is stopped (copies of a job created "
    f"through the API, new random ids), then GetJob cycles through {env['id_sample']:,} random "
    "stored ids (none held by the client). Wine's BITS GetJob of one job it holds in memory "
    "(not held by the client) runs in alternating blocks as the pace reference.")
out()
out("| jobs in the store | opendo GetJob | worst call | Wine BITS GetJob (reference) | "
    "opendo / reference | vs 10 jobs, raw | vs 10 jobs, paced |")
out("|---:|---:|---:|---:|---:|---:|---:|")
lines.extend(scale_table)
out()
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
out(f"`StartService` to RUNNING, and to the first `CoCreateInstance` + `GetJob` answered (a stored "
    f"id; an unknown id for an empty store), timed by the client; median of {env['starts']} starts "
    "each, the service stopped with `sc stop` before each. DoSvc reports RUNNING once its store is "
    "open: that includes SQLite's `PRAGMA integrity_check` of the whole database and the 30-day "
    "expiry pass.")
out()
out("| service | store | start → RUNNING | start → first GetJob answered | range |")
out("|---|---|---:|---:|---:|")
lines.extend(start_table)
out()
out("## Downloads")
out()
out("| case | opendo | Wine BITS | curl (native) | opendo / curl | target | result |")
out("|---|---|---|---|---|---|---|")
for case in ("one large file over HTTP (MB/s)", "many small files over HTTP (files/s)"):
    out(f"| {case} | {PENDING} | {PENDING} | {PENDING} | — | — | — |")
out()
open(out_path, "w").write("\n".join(lines))
PY
say "done in $(elapsed); wrote ${OUT#$top/}"
echo
cat "$OUT"
