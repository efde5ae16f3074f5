/* bench_client: the one client of `make bench` (scripts/bench.sh). It is built against mingw-w64's
 * own <bits.h>, not opendo's headers, so that the very same binary drives opendo's DoSvc and
 * Wine's built-in BITS (qmgr); the class to activate is the first argument after the command.
 *
 *   bench_client api CLSID[,CLSID...] [N] API round trips, N timed iterations each (default 2000);
 *                                         with several classes, in alternating blocks of 50,
 *                                         result names get "#k" (k-th class) appended
 *   bench_client getjob CLSID IDFILE [N|Ts [REFCLSID]]
 *                                         GetJob of the ids in IDFILE, in file order, cycling: N
 *                                         calls, or as many as T seconds allow; with REFCLSID,
 *                                         GetJob of a job of that class in alternating blocks too
 *                                         (rows "getjob_ref..."), as a pace reference; also prints
 *                                         the 99th percentile and the worst call (_p99, _max)
 *   bench_client startup SERVICE CLSID [IDFILE]
 *                                         StartService -> RUNNING -> first CoCreateInstance+GetJob
 *   bench_client create CLSID COUNT       create COUNT jobs, print "JOB {id}" for each
 *   bench_client download CLSID URL LOCAL one file, as a BITS client downloads it: CreateJob,
 *                                         AddFile, Resume, GetState every DOWNLOAD_POLL_MS until
 *                                         TRANSFERRED, Complete; times CreateJob..Complete
 *                                         (download_total) and Resume..TRANSFERRED seen
 *                                         (download_transfer), prints the bytes (download_bytes)
 *   bench_client many CLSID URL DIR COUNT COUNT jobs downloading at once, each URL to its own file
 *                                         DIR\NNNN.bin: all created with their file first, then all
 *                                         resumed; GetState of every unfinished job every
 *                                         MANY_POLL_MS until all are TRANSFERRED, then Complete;
 *                                         times first Resume .. last TRANSFERRED seen
 *                                         (many_transfer), prints the sum of the jobs' bytes
 *                                         (many_bytes) and the jobs completed (many_jobs)
 *
 * Any other command line (an argument that starts with '-' or '/', a missing or extra one) prints
 * the usage on stderr, does nothing and exits 2.
 *
 * Every measurement is printed as one machine-readable line
 *   RESULT name median_us p95_us
 * (a single-shot measurement prints its value twice). IDFILE holds one job id per line as 32 hex
 * digits in GUID memory order (what `SELECT hex(id) FROM jobs` prints for opendo's store); a
 * Windows path, e.g. Z:\tmp\ids.txt. Any failed call ends the run with a message and status 1.
 * Timing uses QueryPerformanceCounter around the call alone; the work needed to repeat it
 * (Release of a returned object, CoTaskMemFree) is outside the timed span, or timed as its own
 * row where it is a cross-process call too. */
#ifndef COBJMACROS
#define COBJMACROS
#endif
#include <initguid.h>
#include <windows.h>
#include <bits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "doerrors.h"
#include "bits_job_error.h"

#define DEFAULT_ITERATIONS 2000
#define MAX_IDS 100000
#define STARTUP_TIMEOUT_MS 60000
#define DOWNLOAD_POLL_MS 10
#define DOWNLOAD_TIMEOUT_MS (30 * 60 * 1000)
#define MANY_POLL_MS 100
#define MANY_MAX_JOBS 1000
#ifndef BG_E_NOT_FOUND
#define BG_E_NOT_FOUND ((HRESULT)0x80200001L)
#endif

static LARGE_INTEGER frequency;

static double now_us(void)
{
    LARGE_INTEGER t;
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart * 1e6 / (double)frequency.QuadPart;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Prints "RESULT name median p95" over n samples (sorted in place). */
static void report(const char *name, double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, compare_doubles);
    double median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
    size_t p95 = (n * 95 + 99) / 100; /* nearest-rank */
    printf("RESULT %s %.1f %.1f\n", name, median, samples[p95 ? p95 - 1 : 0]);
    fflush(stdout);
}

static void report_once(const char *name, double value_us)
{
    printf("RESULT %s %.1f %.1f\n", name, value_us, value_us);
    fflush(stdout);
}

static int fail(const char *what, HRESULT hr)
{
    fprintf(stderr, "bench_client: %s failed: 0x%08lx\n", what, (unsigned long)hr);
    return 1;
}

static double *samples_new(size_t n)
{
    double *samples = calloc(n ? n : 1, sizeof *samples);
    if (!samples) {
        fprintf(stderr, "bench_client: out of memory\n");
        exit(1);
    }
    return samples;
}

static int parse_count(const wchar_t *text, long min, long max, long *out)
{
    wchar_t *end = NULL;
    long value = wcstol(text, &end, 10);
    if (!*text || *end || value < min || value > max)
        return 0;
    *out = value;
    return 1;
}

/* "N" (a count) or "Ns" (seconds). */
static int parse_count_or_seconds(const wchar_t *text, long *count, double *seconds)
{
    size_t length = wcslen(text);
    if (length > 1 && text[length - 1] == L's') {
        wchar_t number[16];
        long value;
        if (length > ARRAYSIZE(number))
            return 0;
        wmemcpy(number, text, length - 1);
        number[length - 1] = 0;
        if (!parse_count(number, 1, 3600, &value))
            return 0;
        *seconds = (double)value;
        return 1;
    }
    return parse_count(text, 1, 10000000, count);
}

static HRESULT connect_manager(const CLSID *clsid, IBackgroundCopyManager **manager)
{
    *manager = NULL;
    return CoCreateInstance(clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                            (void **)manager);
}

/* ---- api: the round trips of the API, one row each ------------------------------------------- */

/* With several classes, every operation runs in blocks of API_BLOCK iterations, taking the
 * servers in turn (and who goes first in turn), so that they share the machine's state alike. */
#define API_BLOCK 50
#define MAX_SERVERS 4

enum { ROW_ACTIVATE, ROW_GETJOB, ROW_GETJOB_RELEASE, ROW_GETJOB_COLD, ROW_GETJOB_COLD_RELEASE,
       ROW_GETSTATE, ROW_GETDISPLAYNAME, ROW_CREATEJOB, ROW_CANCEL, ROW_COUNT };
static const char *const row_names[ROW_COUNT] = {"activate", "getjob", "getjob_release",
                                                 "getjob_cold", "getjob_cold_release",
                                                 "getstate", "getdisplayname", "createjob",
                                                 "cancel"};

typedef struct server {
    CLSID clsid;
    IBackgroundCopyManager *manager;
    IBackgroundCopyJob *job; /* held for the whole run, as a client holding its job would */
    GUID id;
    GUID cold_id; /* a second job, of which this client holds no reference */
    IBackgroundCopyJob **created; /* by the CreateJob row, cancelled by the Cancel row */
    size_t created_count;
    double *samples[ROW_COUNT];
} server_t;

static double elapsed_since(double start)
{
    return now_us() - start;
}

/* One iteration of an operation; the sample goes to slot (if >= 0) of the operation's row(s). */
static HRESULT step(server_t *s, int op, size_t i, long slot)
{
    HRESULT hr = S_OK;
    double start = now_us(), elapsed = 0;
    switch (op) {
    case ROW_ACTIVATE: {
        IBackgroundCopyManager *manager = NULL;
        hr = connect_manager(&s->clsid, &manager);
        elapsed = elapsed_since(start);
        if (manager)
            IBackgroundCopyManager_Release(manager);
        break;
    }
    case ROW_GETJOB:
    case ROW_GETJOB_COLD: { /* the Release of the returned object is timed as its own row */
        IBackgroundCopyJob *job = NULL;
        hr = IBackgroundCopyManager_GetJob(s->manager, op == ROW_GETJOB ? &s->id : &s->cold_id, &job);
        elapsed = elapsed_since(start);
        double released = now_us();
        if (job)
            IBackgroundCopyJob_Release(job);
        if (slot >= 0)
            s->samples[op + 1][slot] = elapsed_since(released);
        break;
    }
    case ROW_GETSTATE: {
        BG_JOB_STATE state;
        hr = IBackgroundCopyJob_GetState(s->job, &state);
        elapsed = elapsed_since(start);
        break;
    }
    case ROW_GETDISPLAYNAME: {
        LPWSTR name = NULL;
        hr = IBackgroundCopyJob_GetDisplayName(s->job, &name);
        elapsed = elapsed_since(start);
        CoTaskMemFree(name);
        break;
    }
    case ROW_CREATEJOB: {
        GUID id;
        hr = IBackgroundCopyManager_CreateJob(s->manager, L"opendo bench job", BG_JOB_TYPE_DOWNLOAD,
                                              &id, &s->created[i]);
        elapsed = elapsed_since(start);
        if (SUCCEEDED(hr))
            s->created_count = i + 1;
        break;
    }
    case ROW_CANCEL:
        if (i >= s->created_count)
            return E_UNEXPECTED;
        hr = IBackgroundCopyJob_Cancel(s->created[i]);
        elapsed = elapsed_since(start);
        IBackgroundCopyJob_Release(s->created[i]);
        s->created[i] = NULL;
        break;
    }
    if (slot >= 0)
        s->samples[op][slot] = elapsed;
    return hr;
}

/* Runs warmup + n iterations of op on every server, in alternating blocks. */
static int run_op(server_t *servers, int count, int op, size_t warmup, size_t n)
{
    size_t total = warmup + n;
    for (size_t block = 0; block * API_BLOCK < total; block++) {
        for (int k = 0; k < count; k++) {
            server_t *s = &servers[(k + block) % (size_t)count];
            for (size_t i = block * API_BLOCK; i < total && i < (block + 1) * API_BLOCK; i++) {
                HRESULT hr = step(s, op, i, i >= warmup ? (long)(i - warmup) : -1);
                if (FAILED(hr))
                    return fail(row_names[op], hr);
            }
        }
    }
    return 0;
}

static void report_row(server_t *servers, int count, int row, size_t n)
{
    for (int k = 0; k < count; k++) {
        char name[64];
        if (count > 1)
            snprintf(name, sizeof name, "%s#%d", row_names[row], k + 1);
        else
            snprintf(name, sizeof name, "%s", row_names[row]);
        report(name, servers[k].samples[row], n);
    }
}

/* Activation (server already running), then the reads while each server holds just one job of
 * this client (Wine's GetJob walks a list), then CreateJob and Cancel of every created job. */
static int command_api(const CLSID *clsids, int count, size_t n)
{
    server_t servers[MAX_SERVERS] = {0};
    size_t warmup = n / 10 < 50 ? 50 : n / 10, activations = n / 20 < 20 ? 20 : n / 20;
    int status = 0;
    for (int k = 0; k < count && !status; k++) {
        server_t *s = &servers[k];
        s->clsid = clsids[k];
        s->created = calloc(warmup + n, sizeof *s->created);
        for (int row = 0; row < ROW_COUNT; row++)
            s->samples[row] = samples_new(n);
        HRESULT hr = connect_manager(&s->clsid, &s->manager); /* starts the server if needed */
        if (SUCCEEDED(hr))
            hr = s->created ? IBackgroundCopyManager_CreateJob(s->manager,
                                                               L"opendo bench: the job read back",
                                                               BG_JOB_TYPE_DOWNLOAD, &s->id, &s->job)
                            : E_OUTOFMEMORY;
        IBackgroundCopyJob *cold = NULL;
        if (SUCCEEDED(hr))
            hr = IBackgroundCopyManager_CreateJob(s->manager, L"opendo bench: the job not held",
                                                  BG_JOB_TYPE_DOWNLOAD, &s->cold_id, &cold);
        if (cold)
            IBackgroundCopyJob_Release(cold);
        if (FAILED(hr))
            status = fail("CoCreateInstance+CreateJob", hr);
    }
    static const int ops[] = {ROW_ACTIVATE, ROW_GETJOB, ROW_GETJOB_COLD, ROW_GETSTATE,
                              ROW_GETDISPLAYNAME, ROW_CREATEJOB, ROW_CANCEL};
    for (size_t o = 0; o < ARRAYSIZE(ops) && !status; o++) {
        int op = ops[o];
        status = op == ROW_ACTIVATE ? run_op(servers, count, op, 5, activations)
                                    : run_op(servers, count, op, warmup, n);
        if (!status)
            report_row(servers, count, op, op == ROW_ACTIVATE ? activations : n);
        if (!status && (op == ROW_GETJOB || op == ROW_GETJOB_COLD))
            report_row(servers, count, op + 1, n);
    }
    for (int k = 0; k < count; k++) {
        server_t *s = &servers[k];
        for (size_t i = 0; i < s->created_count; i++) {
            if (s->created[i]) {
                IBackgroundCopyJob_Cancel(s->created[i]);
                IBackgroundCopyJob_Release(s->created[i]);
            }
        }
        IBackgroundCopyJob *cold = NULL;
        if (s->manager && SUCCEEDED(IBackgroundCopyManager_GetJob(s->manager, &s->cold_id, &cold))) {
            IBackgroundCopyJob_Cancel(cold);
            IBackgroundCopyJob_Release(cold);
        }
        if (s->job) {
            IBackgroundCopyJob_Cancel(s->job);
            IBackgroundCopyJob_Release(s->job);
        }
        if (s->manager)
            IBackgroundCopyManager_Release(s->manager);
        free(s->created);
        for (int row = 0; row < ROW_COUNT; row++)
            free(s->samples[row]);
    }
    return status;
}

/* "{clsid}[,{clsid}...]" */
static int parse_clsids(const wchar_t *text, CLSID *out, int max)
{
    int count = 0;
    while (*text && count < max) {
        wchar_t one[40];
        size_t length = wcscspn(text, L",");
        if (length >= ARRAYSIZE(one))
            return 0;
        wmemcpy(one, text, length);
        one[length] = 0;
        if (FAILED(CLSIDFromString(one, &out[count++])))
            return 0;
        text += length + (text[length] == L',');
    }
    return *text ? 0 : count;
}

/* ---- getjob: GetJob over a list of existing ids ------------------------------------------------ */

static int hex_digit(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Reads up to MAX_IDS ids (32 hex digits each, GUID memory order) from path. */
static size_t read_ids(const wchar_t *path, GUID **out)
{
    FILE *file = _wfopen(path, L"r");
    if (!file) {
        fwprintf(stderr, L"bench_client: cannot open %ls\n", path);
        return 0;
    }
    GUID *ids = calloc(MAX_IDS, sizeof *ids);
    size_t count = 0;
    char line[128];
    while (ids && count < MAX_IDS && fgets(line, sizeof line, file)) {
        unsigned char bytes[16];
        int ok = 1;
        for (int i = 0; i < 16 && ok; i++) {
            int high = hex_digit((unsigned char)line[2 * i]);
            int low = high < 0 ? -1 : hex_digit((unsigned char)line[2 * i + 1]);
            ok = low >= 0;
            bytes[i] = (unsigned char)(high * 16 + low);
        }
        if (ok)
            memcpy(&ids[count++], bytes, sizeof bytes);
    }
    fclose(file);
    if (!count)
        free(ids), ids = NULL;
    *out = ids;
    return count;
}

/* A growing list of samples. */
typedef struct series {
    double *v;
    size_t n, cap;
} series_t;

static void series_add(series_t *s, double value)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "bench_client: out of memory\n");
            exit(1);
        }
        s->v = v, s->cap = cap;
    }
    s->v[s->n++] = value;
}

/* "RESULT name median p95", then "RESULT name_p99 v v" and "RESULT name_max v v". */
static void report_with_tail(const char *name, series_t *s)
{
    if (!s->n)
        return;
    report(name, s->v, s->n); /* sorts */
    char tail[64];
    size_t p99 = (s->n * 99 + 99) / 100;
    snprintf(tail, sizeof tail, "%s_p99", name);
    report_once(tail, s->v[p99 ? p99 - 1 : 0]);
    snprintf(tail, sizeof tail, "%s_max", name);
    report_once(tail, s->v[s->n - 1]);
}

/* GetJob of the ids in the file (none of them held by this client), in blocks of API_BLOCK: n
 * calls, or (seconds > 0) as many as fit in that time, so that a run can span the service's
 * periodic work. With a reference class, its own job (not held either) is read in alternating
 * blocks, so that runs at different store sizes can be compared on a machine that changes pace. */
static int command_getjob(const CLSID *clsid, const wchar_t *id_file, size_t n, double seconds,
                          const CLSID *ref)
{
    GUID *ids = NULL;
    size_t count = read_ids(id_file, &ids);
    if (!count)
        return fail("reading the id file", E_INVALIDARG);
    IBackgroundCopyManager *manager = NULL, *ref_manager = NULL;
    GUID ref_id = {0};
    HRESULT hr = connect_manager(clsid, &manager);
    if (SUCCEEDED(hr) && ref)
        hr = connect_manager(ref, &ref_manager);
    if (SUCCEEDED(hr) && ref) {
        IBackgroundCopyJob *job = NULL;
        hr = IBackgroundCopyManager_CreateJob(ref_manager, L"opendo bench: reference job",
                                              BG_JOB_TYPE_DOWNLOAD, &ref_id, &job);
        if (job)
            IBackgroundCopyJob_Release(job);
    }
    size_t warmup = seconds > 0 || n / 10 < 50 ? 50 : n / 10;
    series_t samples = {0}, ref_samples = {0};
    int status = FAILED(hr) ? fail("CoCreateInstance+CreateJob", hr) : 0;
    double measuring_since = 0;
    for (size_t block = 0, i = 0; !status; block++) {
        if (seconds > 0 ? measuring_since && now_us() - measuring_since >= seconds * 1e6
                        : i >= warmup + n)
            break;
        size_t first = i;
        for (int side = 0; side < (ref ? 2 : 1) && !status; side++) {
            int reference = ref && (side + block) % 2; /* who goes first alternates too */
            for (i = first; i < first + API_BLOCK && (seconds > 0 || i < warmup + n); i++) {
                if (i == warmup && !measuring_since)
                    measuring_since = now_us();
                IBackgroundCopyJob *job = NULL;
                double start = now_us();
                hr = reference ? IBackgroundCopyManager_GetJob(ref_manager, &ref_id, &job)
                               : IBackgroundCopyManager_GetJob(manager, &ids[i % count], &job);
                double elapsed = now_us() - start;
                if (FAILED(hr)) {
                    status = fail(reference ? "GetJob (reference)" : "GetJob", hr);
                    break;
                }
                IBackgroundCopyJob_Release(job);
                if (i >= warmup)
                    series_add(reference ? &ref_samples : &samples, elapsed);
            }
        }
    }
    if (!status) {
        report_with_tail("getjob", &samples);
        report_with_tail("getjob_ref", &ref_samples);
        printf("INFO ids %lu calls %lu\n", (unsigned long)count, (unsigned long)samples.n);
    }
    if (ref_manager) {
        IBackgroundCopyJob *job = NULL;
        if (SUCCEEDED(IBackgroundCopyManager_GetJob(ref_manager, &ref_id, &job))) {
            IBackgroundCopyJob_Cancel(job);
            IBackgroundCopyJob_Release(job);
        }
        IBackgroundCopyManager_Release(ref_manager);
    }
    if (manager)
        IBackgroundCopyManager_Release(manager);
    free(samples.v);
    free(ref_samples.v);
    free(ids);
    return status;
}

/* ---- startup: service start to the first answered GetJob --------------------------------------- */

static int command_startup(const wchar_t *service, const CLSID *clsid, const wchar_t *id_file)
{
    GUID id = {0x0badbe7c, 0x0000, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 1}}; /* unknown by default */
    GUID *ids = NULL;
    if (id_file && read_ids(id_file, &ids))
        id = ids[0];
    free(ids);

    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE svc = scm ? OpenServiceW(scm, service, SERVICE_START | SERVICE_QUERY_STATUS) : NULL;
    if (!svc) {
        HRESULT hr = HRESULT_FROM_WIN32(GetLastError());
        if (scm)
            CloseServiceHandle(scm);
        return fail("OpenService", hr);
    }
    int status = 0;
    double start = now_us();
    if (!StartServiceW(svc, 0, NULL))
        status = fail("StartService", HRESULT_FROM_WIN32(GetLastError()));
    SERVICE_STATUS state = {0};
    while (!status && QueryServiceStatus(svc, &state) && state.dwCurrentState != SERVICE_RUNNING) {
        if (state.dwCurrentState == SERVICE_STOPPED && now_us() - start > 1e6)
            status = fail("service start (stopped again)", E_FAIL);
        else if (now_us() - start > STARTUP_TIMEOUT_MS * 1e3)
            status = fail("service start (timeout)", HRESULT_FROM_WIN32(ERROR_TIMEOUT));
        else
            Sleep(1);
    }
    double running = now_us();
    if (!status) {
        IBackgroundCopyManager *manager = NULL;
        HRESULT hr = connect_manager(clsid, &manager);
        double connected = now_us();
        IBackgroundCopyJob *job = NULL;
        if (SUCCEEDED(hr))
            hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
        double answered = now_us();
        if (job)
            IBackgroundCopyJob_Release(job);
        if (manager)
            IBackgroundCopyManager_Release(manager);
        if (FAILED(hr) && hr != (HRESULT)BG_E_NOT_FOUND && hr != DO_E_JOB_NOT_FOUND) {
            status = fail("first CoCreateInstance+GetJob", hr);
        } else {
            report_once("startup_running", running - start);
            report_once("startup_first_connect", connected - start);
            report_once("startup_first_getjob", answered - start);
            printf("INFO first_getjob_hr 0x%08lx\n", (unsigned long)hr);
        }
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return status;
}

/* ---- create: jobs for the store to hold ------------------------------------------------------- */

static int command_create(const CLSID *clsid, long count)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = connect_manager(clsid, &manager);
    if (FAILED(hr))
        return fail("CoCreateInstance", hr);
    int status = 0;
    for (long i = 0; i < count && !status; i++) {
        GUID id;
        IBackgroundCopyJob *job = NULL;
        hr = IBackgroundCopyManager_CreateJob(manager, L"opendo bench: stored job",
                                              BG_JOB_TYPE_DOWNLOAD, &id, &job);
        if (FAILED(hr)) {
            status = fail("CreateJob", hr);
            break;
        }
        IBackgroundCopyJob_Release(job);
        wchar_t text[40];
        StringFromGUID2(&id, text, ARRAYSIZE(text));
        printf("JOB %ls\n", text);
    }
    IBackgroundCopyManager_Release(manager);
    return status;
}

/* ---- download: one file through the BITS API ---------------------------------------------------- */

/* Polls the job until TRANSFERRED (S_OK), ERROR or a final state (E_FAIL) or the time limit. */
static HRESULT wait_transferred(IBackgroundCopyJob *job)
{
    double start = now_us();
    for (;;) {
        BG_JOB_STATE state;
        HRESULT hr = IBackgroundCopyJob_GetState(job, &state);
        if (FAILED(hr))
            return hr;
        if (state == BG_JOB_STATE_TRANSFERRED)
            return S_OK;
        if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_CANCELLED ||
            state == BG_JOB_STATE_ACKNOWLEDGED)
            return E_FAIL;
        if (now_us() - start > DOWNLOAD_TIMEOUT_MS * 1e3)
            return HRESULT_FROM_WIN32(ERROR_TIMEOUT);
        Sleep(DOWNLOAD_POLL_MS);
    }
}

/* CreateJob, AddFile and Resume; *what names the call that failed. */
static HRESULT start_download(IBackgroundCopyManager *manager, const wchar_t *url,
                              const wchar_t *local, IBackgroundCopyJob **job, const char **what)
{
    GUID id;
    *what = "CreateJob";
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, L"opendo bench download",
                                                  BG_JOB_TYPE_DOWNLOAD, &id, job);
    if (SUCCEEDED(hr)) {
        *what = "AddFile";
        hr = IBackgroundCopyJob_AddFile(*job, url, local);
    }
    if (SUCCEEDED(hr)) {
        *what = "Resume";
        hr = IBackgroundCopyJob_Resume(*job);
    }
    return hr;
}

/* GetProgress (the bytes transferred), then Complete; *what names the call that failed. */
static HRESULT complete_download(IBackgroundCopyJob *job, UINT64 *bytes, const char **what)
{
    BG_JOB_PROGRESS progress = {0};
    *what = "GetProgress";
    HRESULT hr = IBackgroundCopyJob_GetProgress(job, &progress);
    *bytes = progress.BytesTransferred;
    if (SUCCEEDED(hr)) {
        *what = "Complete";
        hr = IBackgroundCopyJob_Complete(job);
    }
    return hr;
}

static int command_download(const CLSID *clsid, const wchar_t *url, const wchar_t *local)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = connect_manager(clsid, &manager); /* outside the timed span */
    if (FAILED(hr))
        return fail("CoCreateInstance", hr);
    IBackgroundCopyJob *job = NULL;
    const char *what = NULL;
    UINT64 bytes = 0;
    double start = now_us();
    hr = start_download(manager, url, local, &job, &what);
    double resumed = now_us();
    if (SUCCEEDED(hr)) {
        what = "waiting for TRANSFERRED";
        hr = wait_transferred(job);
    }
    double transferred = now_us();
    if (SUCCEEDED(hr))
        hr = complete_download(job, &bytes, &what);
    double completed = now_us();
    int status = 0;
    if (FAILED(hr) && job) {
        print_job_error(stderr, L"bench_client: the job's ", job);
        IBackgroundCopyJob_Cancel(job);
    }
    if (FAILED(hr)) {
        status = fail(what, hr);
    } else {
        report_once("download_total", completed - start);
        report_once("download_transfer", transferred - resumed);
        printf("RESULT download_bytes %llu %llu\n", (unsigned long long)bytes, (unsigned long long)bytes);
    }
    if (job)
        IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return status;
}

/* ---- many: COUNT downloads at once in one service --------------------------------------------- */

/* One sweep of GetState over the unfinished jobs: done[i] set for those TRANSFERRED; E_FAIL when
 * one is in ERROR or a final state; *left = the jobs still unfinished. */
static HRESULT sweep_states(IBackgroundCopyJob **jobs, char *done, long count, long *left)
{
    *left = 0;
    for (long i = 0; i < count; i++) {
        if (done[i])
            continue;
        BG_JOB_STATE state;
        HRESULT hr = IBackgroundCopyJob_GetState(jobs[i], &state);
        if (FAILED(hr))
            return hr;
        if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_CANCELLED ||
            state == BG_JOB_STATE_ACKNOWLEDGED) {
            print_job_error(stderr, L"bench_client: a job's ", jobs[i]);
            return E_FAIL;
        }
        done[i] = state == BG_JOB_STATE_TRANSFERRED;
        *left += !done[i];
    }
    return S_OK;
}

static HRESULT wait_all_transferred(IBackgroundCopyJob **jobs, char *done, long count)
{
    double start = now_us();
    for (;;) {
        long left;
        HRESULT hr = sweep_states(jobs, done, count, &left);
        if (FAILED(hr) || !left)
            return hr;
        if (now_us() - start > DOWNLOAD_TIMEOUT_MS * 1e3)
            return HRESULT_FROM_WIN32(ERROR_TIMEOUT);
        Sleep(MANY_POLL_MS);
    }
}

/* CreateJob and AddFile of job i (URL to DIR\NNNN.bin). */
static HRESULT create_many_job(IBackgroundCopyManager *manager, const wchar_t *url, const wchar_t *dir,
                               long i, IBackgroundCopyJob **job)
{
    GUID id;
    wchar_t local[MAX_PATH];
    if (_snwprintf(local, ARRAYSIZE(local), L"%ls\\%04ld.bin", dir, i) < 0)
        return E_INVALIDARG;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, L"opendo bench: one of many", BG_JOB_TYPE_DOWNLOAD,
                                                  &id, job);
    return SUCCEEDED(hr) ? IBackgroundCopyJob_AddFile(*job, url, local) : hr;
}

static int command_many(const CLSID *clsid, const wchar_t *url, const wchar_t *dir, long count)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = connect_manager(clsid, &manager);
    if (FAILED(hr))
        return fail("CoCreateInstance", hr);
    IBackgroundCopyJob **jobs = calloc((size_t)count, sizeof *jobs);
    char *done = calloc((size_t)count, 1);
    const char *what = "CreateJob/AddFile";
    hr = jobs && done ? S_OK : E_OUTOFMEMORY;
    for (long i = 0; i < count && SUCCEEDED(hr); i++)
        hr = create_many_job(manager, url, dir, i, &jobs[i]);
    double start = now_us();
    if (SUCCEEDED(hr))
        what = "Resume";
    for (long i = 0; i < count && SUCCEEDED(hr); i++)
        hr = IBackgroundCopyJob_Resume(jobs[i]);
    if (SUCCEEDED(hr)) {
        what = "waiting for TRANSFERRED";
        hr = wait_all_transferred(jobs, done, count);
    }
    double transferred = now_us();
    UINT64 total = 0;
    long completed = 0;
    for (long i = 0; i < count && SUCCEEDED(hr); i++) {
        UINT64 bytes = 0;
        hr = complete_download(jobs[i], &bytes, &what);
        total += bytes;
        completed += SUCCEEDED(hr);
    }
    for (long i = 0; jobs && i < count && jobs[i]; i++) {
        if (FAILED(hr))
            IBackgroundCopyJob_Cancel(jobs[i]);
        IBackgroundCopyJob_Release(jobs[i]);
    }
    int status = FAILED(hr) ? fail(what, hr) : 0;
    if (!status) {
        report_once("many_transfer", transferred - start);
        printf("RESULT many_bytes %llu %llu\n", (unsigned long long)total, (unsigned long long)total);
        printf("RESULT many_jobs %ld %ld\n", completed, completed);
    }
    free(jobs);
    free(done);
    IBackgroundCopyManager_Release(manager);
    return status;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_client api CLSID[,CLSID...] [N]\n"
                    "       bench_client getjob CLSID IDFILE [N|Ts [REFCLSID]]\n"
                    "       bench_client startup SERVICE CLSID [IDFILE]\n"
                    "       bench_client create CLSID COUNT\n"
                    "       bench_client download CLSID URL LOCAL\n"
                    "       bench_client many CLSID URL DIR COUNT\n");
    return 2;
}

int wmain(int argc, wchar_t **argv)
{
    QueryPerformanceFrequency(&frequency);
    if (argc < 3)
        return usage();
    for (int i = 1; i < argc; i++) /* there are no options: "-x" or "/x" is a mistake */
        if (argv[i][0] == L'-' || argv[i][0] == L'/')
            return usage();
    const wchar_t *command = argv[1];
    int startup = !wcscmp(command, L"startup");
    CLSID clsid = {0};
    if (argc < 3 + startup)
        return usage();
    if (wcscmp(command, L"api") && FAILED(CLSIDFromString(argv[2 + startup], &clsid)))
        return usage();
    long n = DEFAULT_ITERATIONS;
    double seconds = 0;
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 1;
    int status;
    CLSID clsids[MAX_SERVERS];
    int servers = 0;
    if (!wcscmp(command, L"api") && argc <= 4 && (argc < 4 || parse_count(argv[3], 1, 10000000, &n)) &&
        (servers = parse_clsids(argv[2], clsids, MAX_SERVERS)) > 0)
        status = command_api(clsids, servers, (size_t)n);
    else if (!wcscmp(command, L"getjob") && argc >= 4 && argc <= 6 &&
             (argc < 5 || parse_count_or_seconds(argv[4], &n, &seconds)) &&
             (argc < 6 || SUCCEEDED(CLSIDFromString(argv[5], &clsids[0]))))
        status = command_getjob(&clsid, argv[3], (size_t)n, seconds, argc == 6 ? &clsids[0] : NULL);
    else if (startup && argc <= 5)
        status = command_startup(argv[2], &clsid, argc == 5 ? argv[4] : NULL);
    else if (!wcscmp(command, L"create") && argc == 4 && parse_count(argv[3], 1, 10000000, &n))
        status = command_create(&clsid, n);
    else if (!wcscmp(command, L"download") && argc == 5)
        status = command_download(&clsid, argv[3], argv[4]);
    else if (!wcscmp(command, L"many") && argc == 6 && parse_count(argv[5], 1, MANY_MAX_JOBS, &n))
        status = command_many(&clsid, argv[3], argv[4], n);
    else
        status = usage();
    CoUninitialize();
    fflush(stdout);
    return status;
}
