/* End-to-end client for tests/e2e/transfers.sh: download jobs through DoSvc (DCOM, doproxy.dll),
 * one case per run. Checks are reported in the tests/check.h format, named
 * "transfers: LABEL: ...". Local names are relative to C:\opendo-tests\transfers\ (the script
 * creates the directories, serves the files and compares SHA-256 and server statistics).
 * Usage: transfers_client COMMAND LABEL [key=value...] ARGS
 *   complete LABEL [opts] LOCAL URL [LOCAL URL...]
 *       one job with these files (AddFileSet; with ranges=, AddFileWithRanges), Resume; it must
 *       reach TRANSFERRED without client action; progress and per-file progress; Complete ->
 *       ACKNOWLEDGED, the local files there and not hidden, no temporary file left
 *   error LABEL [opts] LOCAL URL CODE CONTEXT
 *       the job must end in ERROR with CODE and CONTEXT: the error object, its file, nothing
 *       transferred; Cancel -> CANCELLED, no temporary file left
 *   suspend LABEL LOCAL URL
 *       Suspend once bytes are durable: SUSPENDED, progress frozen (prints "SUSPENDED_AT n");
 *       Resume -> TRANSFERRED, Complete
 *   cancel LABEL LOCAL URL
 *       Cancel once bytes are durable: the hidden temporary file goes, the state is CANCELLED
 *   start LABEL LOCAL URL MIN_BYTES
 *       Resume, wait for MIN_BYTES durable, print "JOB {id}" and "PROGRESS n", exit (the job runs on)
 *   finish LABEL JOB PROGRESS LOCAL
 *       after the prefix was killed: GetJob, progress kept (>= PROGRESS), TRANSFERRED, Complete
 * Options: retry=S (SetMinimumRetryDelay), noprogress=S (SetNoProgressTimeout), total=N (the
 *   BytesTotal expected), ranges=OFF:LEN[,OFF:LEN...] (one file), do=1 (ranges through
 *   IDeliveryOptimizationJob::AddFileWithRanges instead of IBackgroundCopyJob3's),
 *   transient=CODE (a TRANSIENT_ERROR with CODE, context REMOTE_FILE, must be seen first),
 *   errors=N (GetErrorCount at the end), wait=MS (at least this long seen in TRANSIENT_ERROR),
 *   minms=MS (error: the ERROR comes no sooner), timeout=S (default 60). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define LOCAL_ROOT L"C:\\opendo-tests\\transfers\\"
#define MAX_FILES 8
#define MAX_RANGES 16
#define POLL_MS 20
#define SETTLE_MS 300      /* Suspend/Cancel: the transfer's final checkpoint lands well within */
#define FROZEN_MS 1200     /* longer than the engine's 1 s checkpoint tick */
#define CONTEXT_REMOTE_FILE 5

static char label[128];

/* "transfers: LABEL: <what>"; a few buffers so that two names can be live at once. */
static const char *nm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("transfers", label, fmt, ap);
    va_end(ap);
    return name;
}

/* ---- arguments ---------------------------------------------------------------------------------- */

typedef struct options {
    ULONG retry, no_progress, timeout_s;
    int has_retry, has_no_progress, use_do;
    UINT64 total;                      /* BG_SIZE_UNKNOWN: not checked */
    HRESULT transient;                 /* 0: no TRANSIENT_ERROR required */
    LONG errors;                       /* -1: not checked */
    DWORD wait_ms, min_ms;
    BG_FILE_RANGE ranges[MAX_RANGES];
    DWORD range_count;
    ULONG security_flags;              /* SetSecurityFlags when not 0 */
    ULONG max_time;                    /* SetMaximumDownloadTime when not 0 */
    int kept;                          /* error: bytes were received before it (and stay) */
    const WCHAR *remote;               /* the first file's GetRemoteName once TRANSFERRED (NULL: not checked) */
} options_t;

static UINT64 number(const WCHAR *text)
{
    return wcstoull(text, NULL, 0);
}

static int parse_ranges(const WCHAR *text, options_t *o)
{
    const WCHAR *p = text;
    while (*p && o->range_count < MAX_RANGES) {
        WCHAR *end;
        BG_FILE_RANGE *r = &o->ranges[o->range_count++];
        r->InitialOffset = wcstoull(p, &end, 0);
        if (*end != L':')
            return 0;
        r->Length = wcstoull(end + 1, &end, 0);
        if (*end != L',' && *end)
            return 0;
        p = *end ? end + 1 : end;
    }
    return !*p;
}

/* One key=value option; 0 when it is not one. */
static int parse_option(const WCHAR *arg, options_t *o)
{
    const WCHAR *eq = wcschr(arg, L'=');
    if (!eq)
        return 0;
    size_t n = (size_t)(eq - arg);
    const WCHAR *v = eq + 1;
#define KEY(k) (n == wcslen(k) && !wcsncmp(arg, k, n))
    if (KEY(L"retry"))
        o->retry = (ULONG)number(v), o->has_retry = 1;
    else if (KEY(L"noprogress"))
        o->no_progress = (ULONG)number(v), o->has_no_progress = 1;
    else if (KEY(L"total"))
        o->total = number(v);
    else if (KEY(L"ranges"))
        return parse_ranges(v, o);
    else if (KEY(L"do"))
        o->use_do = number(v) != 0;
    else if (KEY(L"transient"))
        o->transient = (HRESULT)(ULONG)number(v);
    else if (KEY(L"errors"))
        o->errors = (LONG)number(v);
    else if (KEY(L"wait"))
        o->wait_ms = (DWORD)number(v);
    else if (KEY(L"minms"))
        o->min_ms = (DWORD)number(v);
    else if (KEY(L"timeout"))
        o->timeout_s = (ULONG)number(v);
    else if (KEY(L"kept"))
        o->kept = number(v) != 0;
    else if (KEY(L"maxtime"))
        o->max_time = (ULONG)number(v);
    else if (KEY(L"securityflags"))
        o->security_flags = (ULONG)number(v);
    else if (KEY(L"remote"))
        o->remote = v;
    else
        return 0;
#undef KEY
    return 1;
}

/* Consumes the options at argv[*i...]; returns 0 on an unknown one. */
static int parse_options(int argc, WCHAR **argv, int *i, options_t *o)
{
    memset(o, 0, sizeof *o);
    o->total = BG_SIZE_UNKNOWN;
    o->errors = -1;
    o->timeout_s = 60;
    for (; *i < argc && wcschr(argv[*i], L'='); (*i)++)
        if (!parse_option(argv[*i], o)) {
            printf("not ok - %s\n", nm("option %ls is understood", argv[*i]));
            check_failures++;
            return 0;
        }
    return 1;
}

static const WCHAR *local_path(const WCHAR *relative)
{
    static WCHAR bufs[MAX_FILES][MAX_PATH];
    static int next;
    WCHAR *buf = bufs[next++ % MAX_FILES];
    _snwprintf(buf, MAX_PATH, L"%ls%ls", LOCAL_ROOT, relative);
    buf[MAX_PATH - 1] = 0;
    return buf;
}

/* ---- the job ------------------------------------------------------------------------------------ */

static IBackgroundCopyManager *connect_manager(void)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    CHECK_HR(hr, S_OK, nm("CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER)"));
    return SUCCEEDED(hr) ? manager : NULL;
}

static IBackgroundCopyJob3 *as_job3(IBackgroundCopyJob *job, const char *how)
{
    IBackgroundCopyJob3 *job3 = NULL;
    HRESULT hr = job ? IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3) : E_POINTER;
    if (job)
        IBackgroundCopyJob_Release(job);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IBackgroundCopyJob3) on the %s job", how));
    return SUCCEEDED(hr) ? job3 : NULL;
}

/* Another interface of the job, or NULL (no job, or not answered). */
static void *job_interface(IBackgroundCopyJob3 *job3, REFIID iid)
{
    void *other = NULL;
    if (!job3 || FAILED(IBackgroundCopyJob3_QueryInterface(job3, iid, &other)))
        return NULL;
    return other;
}

/* CreateJob with the options' retry delay and no-progress timeout. */
static IBackgroundCopyJob3 *new_job(IBackgroundCopyManager *manager, const options_t *o, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[160];
    _snwprintf(name, 160, L"transfers: %hs", label);
    name[159] = 0;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id, &job);
    CHECK_HR(hr, S_OK, nm("CreateJob"));
    IBackgroundCopyJob3 *job3 = SUCCEEDED(hr) ? as_job3(job, "new") : NULL;
    if (job3 && o->has_retry)
        CHECK_HR(IBackgroundCopyJob3_SetMinimumRetryDelay(job3, o->retry), S_OK,
                 nm("SetMinimumRetryDelay(%lu)", (unsigned long)o->retry));
    if (job3 && o->has_no_progress)
        CHECK_HR(IBackgroundCopyJob3_SetNoProgressTimeout(job3, o->no_progress), S_OK,
                 nm("SetNoProgressTimeout(%lu)", (unsigned long)o->no_progress));
    IBackgroundCopyJob4 *job4 = o->max_time ? job_interface(job3, &IID_IBackgroundCopyJob4) : NULL;
    if (job4) {
        CHECK_HR(IBackgroundCopyJob4_SetMaximumDownloadTime(job4, o->max_time), S_OK,
                 nm("SetMaximumDownloadTime(%lu)", (unsigned long)o->max_time));
        IBackgroundCopyJob4_Release(job4);
    }
    IBackgroundCopyJobHttpOptions *http =
        o->security_flags ? job_interface(job3, &IID_IBackgroundCopyJobHttpOptions) : NULL;
    if (http) {
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetSecurityFlags(http, o->security_flags), S_OK,
                 nm("SetSecurityFlags(0x%lx)", (unsigned long)o->security_flags));
        IBackgroundCopyJobHttpOptions_Release(http);
    }
    return job3;
}

static HRESULT add_ranged_file(IBackgroundCopyJob3 *job, const options_t *o, const WCHAR *url, const WCHAR *local)
{
    if (!o->use_do)
        return IBackgroundCopyJob3_AddFileWithRanges(job, url, local, o->range_count, (BG_FILE_RANGE *)o->ranges);
    IDeliveryOptimizationJob *do_job = NULL;
    HRESULT hr = IBackgroundCopyJob3_QueryInterface(job, &IID_IDeliveryOptimizationJob, (void **)&do_job);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IDeliveryOptimizationJob)"));
    if (SUCCEEDED(hr)) {
        hr = IDeliveryOptimizationJob_AddFileWithRanges(do_job, L"ranged-file", url, local, o->range_count,
                                                        (BG_FILE_RANGE *)o->ranges, BG_SIZE_UNKNOWN);
        IDeliveryOptimizationJob_Release(do_job);
    }
    return hr;
}

/* pairs: LOCAL URL [LOCAL URL...]. Ranges (one file) through AddFileWithRanges, else AddFileSet. */
static int add_files(IBackgroundCopyJob3 *job, const options_t *o, int count, WCHAR **pairs)
{
    HRESULT hr;
    if (o->range_count) {
        hr = add_ranged_file(job, o, pairs[1], local_path(pairs[0]));
        CHECK_HR(hr, S_OK, nm("%s AddFileWithRanges(%lu ranges)", o->use_do ? "IDeliveryOptimizationJob" : "Job3",
                              (unsigned long)o->range_count));
        return SUCCEEDED(hr);
    }
    BG_FILE_INFO files[MAX_FILES];
    for (int i = 0; i < count; i++) {
        files[i].RemoteName = pairs[2 * i + 1];
        files[i].LocalName = (WCHAR *)local_path(pairs[2 * i]);
    }
    hr = IBackgroundCopyJob3_AddFileSet(job, (ULONG)count, files);
    CHECK_HR(hr, S_OK, nm("AddFileSet(%d file%s)", count, count == 1 ? "" : "s"));
    return SUCCEEDED(hr);
}

static BG_JOB_STATE state_of(IBackgroundCopyJob3 *job)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    return SUCCEEDED(IBackgroundCopyJob3_GetState(job, &state)) ? state : (BG_JOB_STATE)-1;
}

static BG_JOB_PROGRESS progress_of(IBackgroundCopyJob3 *job)
{
    BG_JOB_PROGRESS p;
    memset(&p, 0xff, sizeof p);
    IBackgroundCopyJob3_GetProgress(job, &p);
    return p;
}

static ULONG error_count_of(IBackgroundCopyJob3 *job)
{
    ULONG n = (ULONG)-1;
    IBackgroundCopyJob3_GetErrorCount(job, &n);
    return n;
}

/* GetError and IBackgroundCopyError::GetError in one; returns GetError's HRESULT. */
static HRESULT job_error(IBackgroundCopyJob3 *job, BG_ERROR_CONTEXT *context, HRESULT *code,
                         IBackgroundCopyError **keep)
{
    IBackgroundCopyError *error = NULL;
    *context = (BG_ERROR_CONTEXT)-1;
    *code = S_OK;
    HRESULT hr = IBackgroundCopyJob3_GetError(job, &error);
    if (SUCCEEDED(hr) && error) {
        IBackgroundCopyError_GetError(error, context, code);
        if (keep)
            *keep = error;
        else
            IBackgroundCopyError_Release(error);
    }
    return hr;
}

/* ---- watching a job until it gets somewhere ----------------------------------------------------- */

typedef struct watch {
    BG_JOB_STATE state;
    BG_JOB_PROGRESS progress;
    UINT64 last_bytes;
    int went_back, over_total;         /* BytesTransferred decreased / exceeded BytesTotal */
    int saw_transient;
    DWORD transient_ms;                /* time seen in TRANSIENT_ERROR */
    HRESULT transient_get_error;       /* GetError's result in the first TRANSIENT_ERROR seen */
    HRESULT transient_code;
    BG_ERROR_CONTEXT transient_context;
    ULONG transient_errors;            /* GetErrorCount then */
    DWORD elapsed_ms;                  /* since the watch began */
} watch_t;

static void watch_init(watch_t *w)
{
    memset(w, 0, sizeof *w);
    w->state = (BG_JOB_STATE)-1;
}

static void look(IBackgroundCopyJob3 *job, watch_t *w, DWORD step_ms)
{
    BG_JOB_STATE state = state_of(job);
    BG_JOB_PROGRESS p = progress_of(job);
    if (p.BytesTransferred < w->last_bytes)
        w->went_back = 1;
    if (p.BytesTotal != BG_SIZE_UNKNOWN && p.BytesTransferred > p.BytesTotal)
        w->over_total = 1;
    w->last_bytes = p.BytesTransferred;
    w->progress = p;
    if (state == BG_JOB_STATE_TRANSIENT_ERROR) {
        if (!w->saw_transient) {
            w->saw_transient = 1;
            w->transient_get_error = job_error(job, &w->transient_context, &w->transient_code, NULL);
            w->transient_errors = error_count_of(job);
        }
        if (w->state == BG_JOB_STATE_TRANSIENT_ERROR)
            w->transient_ms += step_ms;
    }
    w->state = state;
}

#define STATE_BIT(s) (1u << (s))
#define ENDS (STATE_BIT(BG_JOB_STATE_TRANSFERRED) | STATE_BIT(BG_JOB_STATE_ERROR))

/* Polls until the state is in `stop` or (min_bytes > 0) that many bytes are durable; 0 on
 * timeout. The time spent is in w->elapsed_ms. */
static int wait_for(IBackgroundCopyJob3 *job, watch_t *w, unsigned stop, UINT64 min_bytes, DWORD timeout_ms)
{
    DWORD start = GetTickCount(), last = start;
    for (;;) {
        DWORD now = GetTickCount();
        look(job, w, now - last);
        last = now;
        w->elapsed_ms = now - start;
        if ((w->state < 32 && (stop & STATE_BIT(w->state))) ||
            (min_bytes && w->progress.BytesTransferred != BG_SIZE_UNKNOWN && w->progress.BytesTransferred >= min_bytes))
            return 1;
        if (now - start > timeout_ms)
            return 0;
        Sleep(POLL_MS);
    }
}

static void show_error(IBackgroundCopyJob3 *job)
{
    BG_ERROR_CONTEXT context;
    HRESULT code;
    HRESULT hr = job_error(job, &context, &code, NULL);
    printf("#   state %d, GetError 0x%08lx: code 0x%08lx, context %d; %llu of %llu bytes\n",
           (int)state_of(job), (unsigned long)hr, (unsigned long)code, (int)context,
           (unsigned long long)progress_of(job).BytesTransferred, (unsigned long long)progress_of(job).BytesTotal);
}

static int wait_state(IBackgroundCopyJob3 *job, watch_t *w, BG_JOB_STATE want, DWORD timeout_ms, const char *what)
{
    wait_for(job, w, ENDS | STATE_BIT(want), 0, timeout_ms);
    int reached = CHECK(w->state == want, nm("%s", what));
    if (!reached)
        show_error(job);
    return reached;
}

/* The checks every watch makes: progress never went back nor beyond the total. */
static void check_watch(const watch_t *w)
{
    CHECK(!w->went_back, nm("GetProgress: BytesTransferred never decreased while polled"));
    CHECK(!w->over_total, nm("GetProgress: BytesTransferred never exceeded BytesTotal"));
}

static void check_transient(const watch_t *w, const options_t *o)
{
    if (!o->transient)
        return;
    if (!CHECK(w->saw_transient, nm("TRANSIENT_ERROR seen first")))
        return;
    CHECK_HR(w->transient_get_error, S_OK, nm("GetError in TRANSIENT_ERROR is S_OK"));
    CHECK_HR(w->transient_code, o->transient, nm("the transient error code is 0x%08lx", (unsigned long)o->transient));
    CHECK(w->transient_context == CONTEXT_REMOTE_FILE, nm("the transient error context is REMOTE_FILE (5)"));
    CHECK(w->transient_errors >= 1 && w->transient_errors != (ULONG)-1,
          nm("GetErrorCount in TRANSIENT_ERROR counts the error"));
    if (o->wait_ms && !CHECK(w->transient_ms >= o->wait_ms, nm("TRANSIENT_ERROR lasted at least %lu ms",
                                                                 (unsigned long)o->wait_ms)))
        printf("#   seen for %lu ms\n", (unsigned long)w->transient_ms);
}

/* ---- files and their directories ---------------------------------------------------------------- */

/* Number of "~opendo-*.tmp" files in the directory of path; the attributes of the last one. */
static int temp_files(const WCHAR *path, DWORD *attributes)
{
    WCHAR pattern[MAX_PATH];
    wcsncpy(pattern, path, MAX_PATH - 20);
    pattern[MAX_PATH - 20] = 0;
    WCHAR *slash = wcsrchr(pattern, L'\\');
    wcscpy(slash ? slash + 1 : pattern, L"~opendo-*.tmp");
    WIN32_FIND_DATAW data;
    HANDLE find = FindFirstFileW(pattern, &data);
    int n = 0;
    if (find == INVALID_HANDLE_VALUE)
        return 0;
    do {
        n++;
        if (attributes)
            *attributes = data.dwFileAttributes;
    } while (FindNextFileW(find, &data));
    FindClose(find);
    return n;
}

static IBackgroundCopyFile2 *file_at(IBackgroundCopyJob3 *job, ULONG index)
{
    IEnumBackgroundCopyFiles *e = NULL;
    IBackgroundCopyFile *file = NULL;
    IBackgroundCopyFile2 *file2 = NULL;
    ULONG fetched = 0;
    if (FAILED(IBackgroundCopyJob3_EnumFiles(job, &e)))
        return NULL;
    if ((index == 0 || SUCCEEDED(IEnumBackgroundCopyFiles_Skip(e, index))) &&
        IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched) == S_OK && fetched == 1) {
        IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        IBackgroundCopyFile_Release(file);
    }
    IEnumBackgroundCopyFiles_Release(e);
    return file2;
}

static int same_ranges(IBackgroundCopyFile2 *file, const options_t *o)
{
    DWORD count = 0;
    BG_FILE_RANGE *got = NULL;
    int same = SUCCEEDED(IBackgroundCopyFile2_GetFileRanges(file, &count, &got)) && count == o->range_count;
    for (DWORD i = 0; same && i < count; i++)
        same = got[i].InitialOffset == o->ranges[i].InitialOffset && got[i].Length == o->ranges[i].Length;
    CoTaskMemFree(got);
    return same;
}

/* IBackgroundCopyFile5 HTTP_RESPONSE_HEADERS: the last response's header text ("HTTP/1.1 2..."). */
static int has_response_headers(IBackgroundCopyFile2 *file)
{
    IBackgroundCopyFile5 *file5 = NULL;
    BITS_FILE_PROPERTY_VALUE value = {0};
    int ok = SUCCEEDED(IBackgroundCopyFile2_QueryInterface(file, &IID_IBackgroundCopyFile5, (void **)&file5)) &&
             SUCCEEDED(IBackgroundCopyFile5_GetProperty(file5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &value)) &&
             value.String && !wcsncmp(value.String, L"HTTP/1.1 2", 10);
    CoTaskMemFree(value.String);
    if (file5)
        IBackgroundCopyFile5_Release(file5);
    return ok;
}

/* In TRANSFERRED every file is whole but not yet available: BITS sets Completed only once
 * Complete made the file available to the user. */
static void check_file_progress(IBackgroundCopyJob3 *job, int count, const options_t *o)
{
    int all = 1, headers = 1;
    for (int i = 0; i < count; i++) {
        IBackgroundCopyFile2 *file = file_at(job, (ULONG)i);
        BG_FILE_PROGRESS p;
        memset(&p, 0xff, sizeof p);
        HRESULT hr = file ? IBackgroundCopyFile2_GetProgress(file, &p) : E_POINTER;
        if (FAILED(hr) || p.Completed || p.BytesTransferred != p.BytesTotal) {
            all = 0;
            printf("#   file %d: GetProgress 0x%08lx, %llu of %llu bytes, Completed %d\n", i, (unsigned long)hr,
                   (unsigned long long)p.BytesTransferred, (unsigned long long)p.BytesTotal, (int)p.Completed);
        }
        if (file && o->range_count)
            CHECK(same_ranges(file, o), nm("IBackgroundCopyFile2::GetFileRanges returns the ranges added"));
        headers = headers && file && has_response_headers(file);
        if (file)
            IBackgroundCopyFile2_Release(file);
    }
    CHECK(all, nm("every file's GetProgress: BytesTransferred == BytesTotal, not yet Completed (before Complete)"));
    CHECK(headers, nm("every file's File5 HTTP_RESPONSE_HEADERS holds the response (\"HTTP/1.1 2..\")"));
    IBackgroundCopyFile2 *first = o->remote ? file_at(job, 0) : NULL;
    if (first) {
        WCHAR *remote = NULL;
        if (!CHECK(SUCCEEDED(IBackgroundCopyFile2_GetRemoteName(first, &remote)) && remote && !wcscmp(remote, o->remote),
                   nm("GetRemoteName is %ls", o->remote)))
            printf("#   it is %ls\n", remote ? remote : L"(none)");
        CoTaskMemFree(remote);
        IBackgroundCopyFile2_Release(first);
    }
}

/* ---- the end of a job --------------------------------------------------------------------------- */

static void complete_job(IBackgroundCopyJob3 *job, int count, WCHAR **pairs)
{
    CHECK_HR(IBackgroundCopyJob3_Complete(job), S_OK, nm("Complete"));
    CHECK(state_of(job) == BG_JOB_STATE_ACKNOWLEDGED, nm("the completed job is ACKNOWLEDGED"));
    int visible = 1, temps = 0, readable = 1;
    for (int i = 0; i < count; i++) {
        const WCHAR *local = local_path(pairs[2 * i]);
        DWORD attributes = GetFileAttributesW(local);
        visible = visible && attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_HIDDEN);
        temps += temp_files(local, NULL);
        /* A reader that shares read only, as an installer's signature check does: no handle of the
         * service (its last flush's) may hold the file for writing once Complete returned. */
        HANDLE f = CreateFileW(local, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
        if (f == INVALID_HANDLE_VALUE) {
            printf("#   %ls: CreateFileW(GENERIC_READ, FILE_SHARE_READ) failed: %lu\n", local, GetLastError());
            readable = 0;
        } else {
            CloseHandle(f);
        }
    }
    CHECK(visible, nm("Complete left every local file in place, not hidden"));
    CHECK(readable, nm("right after Complete each local file opens for a reader that shares read only"));
    CHECK(temps == 0, nm("no temporary file is left beside the local files"));
}

static void cancel_job(IBackgroundCopyJob3 *job, const WCHAR *local)
{
    CHECK_HR(IBackgroundCopyJob3_Cancel(job), S_OK, nm("Cancel"));
    CHECK(state_of(job) == BG_JOB_STATE_CANCELLED, nm("the cancelled job is CANCELLED"));
    CHECK(temp_files(local, NULL) == 0, nm("Cancel removed the temporary file"));
}

static void check_transferred(IBackgroundCopyJob3 *job, int count, const options_t *o)
{
    BG_JOB_PROGRESS p = progress_of(job);
    UINT64 total = o->total;
    CHECK(p.FilesTotal == (ULONG)count && p.FilesTransferred == (ULONG)count,
          nm("GetProgress: %d of %d files", count, count));
    if (total == BG_SIZE_UNKNOWN)
        total = p.BytesTotal;
    if (!CHECK(p.BytesTransferred == total && p.BytesTotal == total,
               nm("GetProgress: BytesTransferred == BytesTotal == %llu", (unsigned long long)total)))
        printf("#   %llu of %llu\n", (unsigned long long)p.BytesTransferred, (unsigned long long)p.BytesTotal);
    if (o->errors >= 0) {
        ULONG n = error_count_of(job);
        if (!CHECK(n == (ULONG)o->errors, nm("GetErrorCount is %ld", (long)o->errors)))
            printf("#   got %lu\n", (unsigned long)n);
    }
    IBackgroundCopyError *error = NULL;
    CHECK_HR(IBackgroundCopyJob3_GetError(job, &error), DO_E_ERROR_INFORMATION_UNAVAILABLE,
             nm("GetError in TRANSFERRED is DO_E_ERROR_INFORMATION_UNAVAILABLE"));
    if (error)
        IBackgroundCopyError_Release(error);
    check_file_progress(job, count, o);
}

/* ---- commands ----------------------------------------------------------------------------------- */

/* A new job with count files (pairs: url, local name, ...), resumed and watched from now; NULL
 * (nothing left behind) when it cannot be set up. */
static IBackgroundCopyJob3 *resumed_job(IBackgroundCopyManager *manager, const options_t *o, int count,
                                        WCHAR **pairs, watch_t *w)
{
    GUID id;
    IBackgroundCopyJob3 *job = new_job(manager, o, &id);
    if (!job || !add_files(job, o, count, pairs)) {
        if (job)
            IBackgroundCopyJob3_Cancel(job), IBackgroundCopyJob3_Release(job);
        return NULL;
    }
    CHECK_HR(IBackgroundCopyJob3_Resume(job), S_OK, nm("Resume"));
    watch_init(w);
    return job;
}

static int cmd_complete(IBackgroundCopyManager *manager, const options_t *o, int count, WCHAR **pairs)
{
    watch_t w;
    IBackgroundCopyJob3 *job = resumed_job(manager, o, count, pairs, &w);
    if (!job)
        return 1;
    if (wait_state(job, &w, BG_JOB_STATE_TRANSFERRED, o->timeout_s * 1000,
                   "the job reaches TRANSFERRED without client action")) {
        printf("#   TRANSFERRED after %lu ms\n", (unsigned long)w.elapsed_ms);
        check_watch(&w);
        check_transient(&w, o);
        check_transferred(job, count, o);
        complete_job(job, count, pairs);
    } else {
        IBackgroundCopyJob3_Cancel(job);
    }
    IBackgroundCopyJob3_Release(job);
    return 0;
}

static void check_error_object(IBackgroundCopyError *error, const WCHAR *url)
{
    IBackgroundCopyFile *file = NULL;
    LPWSTR text = NULL;
    const WCHAR *colon = wcschr(url, L':');
    CHECK(SUCCEEDED(IBackgroundCopyError_GetProtocol(error, &text)) && text && colon &&
              wcslen(text) == (size_t)(colon - url) && !wcsncmp(text, url, wcslen(text)),
          nm("IBackgroundCopyError::GetProtocol names the URL's scheme"));
    CoTaskMemFree(text);
    text = NULL;
    HRESULT hr = IBackgroundCopyError_GetFile(error, &file);
    CHECK_HR(hr, S_OK, nm("IBackgroundCopyError::GetFile"));
    if (SUCCEEDED(hr)) {
        CHECK(SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &text)) && text && !wcscmp(text, url),
              nm("the error's file is the one that failed (its remote name)"));
        CoTaskMemFree(text);
        IBackgroundCopyFile_Release(file);
    }
    text = NULL;
    hr = IBackgroundCopyError_GetErrorDescription(error, 0, &text);
    CHECK(SUCCEEDED(hr) && text && text[0], nm("IBackgroundCopyError::GetErrorDescription gives a text"));
    CoTaskMemFree(text);
}

static int cmd_error(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args)
{
    const WCHAR *local = local_path(args[0]), *url = args[1];
    HRESULT want_code = (HRESULT)(ULONG)number(args[2]);
    BG_ERROR_CONTEXT want_context = (BG_ERROR_CONTEXT)number(args[3]);
    watch_t w;
    IBackgroundCopyJob3 *job = resumed_job(manager, o, 1, args, &w);
    if (!job)
        return 1;
    if (wait_state(job, &w, BG_JOB_STATE_ERROR, o->timeout_s * 1000, "the job reaches ERROR")) {
        printf("#   ERROR after %lu ms\n", (unsigned long)w.elapsed_ms);
        if (o->min_ms && !CHECK(w.elapsed_ms >= o->min_ms, nm("ERROR came no sooner than %lu ms", (unsigned long)o->min_ms)))
            printf("#   after %lu ms\n", (unsigned long)w.elapsed_ms);
        check_transient(&w, o);
        BG_ERROR_CONTEXT context;
        HRESULT code;
        IBackgroundCopyError *error = NULL;
        CHECK_HR(job_error(job, &context, &code, &error), S_OK, nm("GetError in ERROR is S_OK"));
        CHECK_HR(code, want_code, nm("the error code is 0x%08lx", (unsigned long)want_code));
        CHECK_HR(context, want_context, nm("the error context is %d", (int)want_context));
        if (error) {
            check_error_object(error, url);
            IBackgroundCopyError_Release(error);
        }
        ULONG errors = error_count_of(job);
        CHECK(errors >= 1 && errors != (ULONG)-1, nm("GetErrorCount counts the error (%lu)", (unsigned long)errors));
        UINT64 got = progress_of(job).BytesTransferred;
        if (o->kept)
            CHECK(got > 0 && got != BG_SIZE_UNKNOWN, nm("GetProgress: the bytes received before the error are kept"));
        else
            CHECK(got == 0, nm("GetProgress: nothing was transferred"));
        CHECK(temp_files(local, NULL) == 1, nm("the temporary file stays while the job is in ERROR"));
    }
    cancel_job(job, local);
    IBackgroundCopyJob3_Release(job);
    return 0;
}

/* Resumes the job and waits until some bytes are durable while it is TRANSFERRING. */
static int run_until_bytes(IBackgroundCopyJob3 *job, watch_t *w, UINT64 min_bytes)
{
    CHECK_HR(IBackgroundCopyJob3_Resume(job), S_OK, nm("Resume"));
    watch_init(w);
    int got = wait_for(job, w, ENDS, min_bytes, 30000) && w->state == BG_JOB_STATE_TRANSFERRING &&
              w->progress.BytesTransferred < w->progress.BytesTotal;
    if (!CHECK(got, nm("TRANSFERRING with %llu+ bytes durable, not all", (unsigned long long)min_bytes)))
        show_error(job);
    return got;
}

static IBackgroundCopyJob3 *running_job(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args,
                                        UINT64 min_bytes, watch_t *w)
{
    GUID id;
    IBackgroundCopyJob3 *job = new_job(manager, o, &id);
    if (job && add_files(job, o, 1, args) && run_until_bytes(job, w, min_bytes))
        return job;
    if (job)
        IBackgroundCopyJob3_Cancel(job), IBackgroundCopyJob3_Release(job);
    return NULL;
}

static int cmd_suspend(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args)
{
    watch_t w;
    IBackgroundCopyJob3 *job = running_job(manager, o, args, 1, &w);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob3_Suspend(job), S_OK, nm("Suspend while TRANSFERRING"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("the job is SUSPENDED"));
    Sleep(SETTLE_MS);
    UINT64 before = progress_of(job).BytesTransferred;
    Sleep(FROZEN_MS);
    BG_JOB_PROGRESS after = progress_of(job);
    if (!CHECK(after.BytesTransferred == before && before > 0 && before < after.BytesTotal,
               nm("progress stays at its value while SUSPENDED (%d ms)", FROZEN_MS)))
        printf("#   %llu, then %llu of %llu\n", (unsigned long long)before,
               (unsigned long long)after.BytesTransferred, (unsigned long long)after.BytesTotal);
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("the job is still SUSPENDED"));
    printf("SUSPENDED_AT %llu\n", (unsigned long long)before);
    CHECK_HR(IBackgroundCopyJob3_Resume(job), S_OK, nm("Resume"));
    watch_init(&w);
    if (wait_state(job, &w, BG_JOB_STATE_TRANSFERRED, 60000, "the resumed job reaches TRANSFERRED")) {
        CHECK(w.progress.BytesTransferred >= before, nm("the resumed job kept its progress"));
        check_watch(&w);
        check_transferred(job, 1, o);
        complete_job(job, 1, args);
    } else {
        IBackgroundCopyJob3_Cancel(job);
    }
    IBackgroundCopyJob3_Release(job);
    return 0;
}

static int cmd_cancel(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args)
{
    watch_t w;
    IBackgroundCopyJob3 *job = running_job(manager, o, args, 1, &w);
    if (!job)
        return 1;
    DWORD attributes = 0;
    int temps = temp_files(local_path(args[0]), &attributes);
    CHECK(temps == 1 && (attributes & FILE_ATTRIBUTE_HIDDEN),
          nm("while TRANSFERRING, one hidden ~opendo-*.tmp is beside the local name"));
    cancel_job(job, local_path(args[0]));
    IBackgroundCopyJob3_Release(job);
    return 0;
}

/* SetValidationState of the job's first file through IBackgroundCopyFile3. */
static HRESULT set_validation(IBackgroundCopyJob3 *job, BOOL valid)
{
    IBackgroundCopyFile2 *file = file_at(job, 0);
    IBackgroundCopyFile3 *file3 = NULL;
    HRESULT hr = file ? IBackgroundCopyFile2_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3)
                      : E_POINTER;
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyFile3_SetValidationState(file3, valid);
    if (file3)
        IBackgroundCopyFile3_Release(file3);
    if (file)
        IBackgroundCopyFile2_Release(file);
    return hr;
}

/* The application rejects the downloaded file: ERROR with BG_E_VALIDATION_FAILED and progress 0;
 * Resume downloads it again; TRUE and Complete put it in place (the script checks its hash). */
static int cmd_validate(IBackgroundCopyManager *manager, const options_t *o, WCHAR **pairs)
{
    watch_t w;
    IBackgroundCopyJob3 *job = resumed_job(manager, o, 1, pairs, &w);
    if (!job)
        return 1;
    if (wait_state(job, &w, BG_JOB_STATE_TRANSFERRED, o->timeout_s * 1000, "the job reaches TRANSFERRED")) {
        CHECK_HR(set_validation(job, FALSE), S_OK, nm("IBackgroundCopyFile3::SetValidationState(FALSE)"));
        IBackgroundCopyError *error = NULL;
        HRESULT code = 0;
        BG_ERROR_CONTEXT context = 0;
        if (SUCCEEDED(IBackgroundCopyJob3_GetError(job, &error)))
            IBackgroundCopyError_GetError(error, &context, &code), IBackgroundCopyError_Release(error);
        CHECK(state_of(job) == BG_JOB_STATE_ERROR && code == (HRESULT)0x80200053 && context == BG_ERROR_CONTEXT_REMOTE_FILE,
              nm("the job is in ERROR with BG_E_VALIDATION_FAILED (0x80200053), context REMOTE_FILE"));
        CHECK(progress_of(job).BytesTransferred == 0, nm("GetProgress: the rejected bytes no longer count"));
        CHECK_HR(IBackgroundCopyJob3_Resume(job), S_OK, nm("Resume"));
        watch_init(&w);
        if (wait_state(job, &w, BG_JOB_STATE_TRANSFERRED, o->timeout_s * 1000, "Resume downloads the file again")) {
            CHECK_HR(set_validation(job, TRUE), S_OK, nm("SetValidationState(TRUE)"));
            complete_job(job, 1, pairs);
        }
    }
    if (state_of(job) != BG_JOB_STATE_ACKNOWLEDGED)
        IBackgroundCopyJob3_Cancel(job);
    IBackgroundCopyJob3_Release(job);
    return 0;
}

static void print_guid(const char *tag, const GUID *id)
{
    WCHAR text[40];
    StringFromGUID2(id, text, 40);
    printf("%s %ls\n", tag, text);
}

static int cmd_start(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args)
{
    watch_t w;
    IBackgroundCopyJob3 *job = running_job(manager, o, args, number(args[2]), &w);
    if (!job)
        return 1;
    GUID id;
    CHECK_HR(IBackgroundCopyJob3_GetId(job, &id), S_OK, nm("GetId"));
    print_guid("JOB", &id);
    printf("PROGRESS %llu\n", (unsigned long long)w.progress.BytesTransferred);
    IBackgroundCopyJob3_Release(job);
    return 0;
}

static int cmd_finish(IBackgroundCopyManager *manager, const options_t *o, WCHAR **args)
{
    GUID id;
    UINT64 kept = number(args[1]);
    IBackgroundCopyJob *found = NULL;
    if (FAILED(CLSIDFromString(args[0], &id)))
        return 2;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &id, &found), S_OK, nm("GetJob finds the job after the restart"));
    IBackgroundCopyJob3 *job = found ? as_job3(found, "found") : NULL;
    if (!job)
        return 1;
    watch_t w;
    watch_init(&w);
    look(job, &w, 0);
    if (!CHECK(w.progress.BytesTransferred >= kept && w.progress.BytesTransferred != BG_SIZE_UNKNOWN,
               nm("the progress reported before the kill was kept (%llu+ bytes)", (unsigned long long)kept)))
        printf("#   %llu\n", (unsigned long long)w.progress.BytesTransferred);
    if (wait_state(job, &w, BG_JOB_STATE_TRANSFERRED, 60000, "the job reaches TRANSFERRED after the restart")) {
        check_watch(&w);
        check_transferred(job, 1, o);
        complete_job(job, 1, args + 2);
    } else {
        IBackgroundCopyJob3_Cancel(job);
    }
    IBackgroundCopyJob3_Release(job);
    return 0;
}

/* ---- main --------------------------------------------------------------------------------------- */

static int run(IBackgroundCopyManager *manager, const WCHAR *cmd, int argc, WCHAR **argv)
{
    options_t o;
    int i = 0;
    if (!parse_options(argc, argv, &i, &o))
        return 2;
    argc -= i, argv += i;
    if (!wcscmp(cmd, L"complete") && argc >= 2 && argc % 2 == 0 && argc / 2 <= MAX_FILES &&
        (!o.range_count || argc == 2))
        return cmd_complete(manager, &o, argc / 2, argv);
    if (!wcscmp(cmd, L"validate") && argc == 2)
        return cmd_validate(manager, &o, argv);
    if (!wcscmp(cmd, L"error") && argc == 4)
        return cmd_error(manager, &o, argv);
    if (!wcscmp(cmd, L"suspend") && argc == 2)
        return cmd_suspend(manager, &o, argv);
    if (!wcscmp(cmd, L"cancel") && argc == 2)
        return cmd_cancel(manager, &o, argv);
    if (!wcscmp(cmd, L"start") && argc == 3)
        return cmd_start(manager, &o, argv);
    if (!wcscmp(cmd, L"finish") && argc == 3)
        return cmd_finish(manager, &o, argv);
    printf("not ok - %s\n", nm("command %ls with %d arguments is known", cmd, argc));
    return 2;
}

int wmain(int argc, WCHAR **argv)
{
    if (argc < 3)
        return 2;
    snprintf(label, sizeof label, "%ls", argv[2]);
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    IBackgroundCopyManager *manager = connect_manager();
    int status = 1;
    if (manager) {
        status = run(manager, argv[1], argc - 3, argv + 3);
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
