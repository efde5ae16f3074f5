/* End-to-end client for tests/e2e/callbacks.sh: the service calls the clients back. This process
 * implements IBackgroundCopyCallback2 itself (MTA: the service's calls arrive on RPC threads),
 * registers it with SetNotifyInterface, lets the service download from nginx on loopback and
 * checks what arrives, and with what objects; it also reads IDeliveryOptimizationFile::GetStats
 * after a download. Checks are named "callbacks: ...". Usage:
 *   callbacks_client transfer BASE SIZE_A SIZE_B   BASE a.bin and b.bin (sizes in bytes): every
 *                                                  flag, TRANSFERRED only, DISABLE, a failing
 *                                                  JobTransferred, a sink registered late
 *   callbacks_client error BASE                    BASE missing.bin (404): JobError
 *   callbacks_client clsid BASE                    no sink but a NOTIFICATION_CLSID: this program
 *                                                  again, started by COM (the script registers it)
 *   callbacks_client cmdline BASE                  the notify command line (cmd.exe writing a file)
 *   callbacks_client orphan BASE                   a job (not resumed) whose sink is this process,
 *                                                  which then exits; prints "JOB {GUID}"
 *   callbacks_client orphan-check JOB              that job downloads: its dead sink is dropped, a
 *                                                  new one gets JobTransferred
 *   callbacks_client -Embedding                    the COM server of the clsid test
 * Local names live in C:\opendo-tests\callbacks\, which the script creates. */
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

#define DIR L"C:\\opendo-tests\\callbacks\\"
#define FLAGS_ALL (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR | BG_NOTIFY_JOB_MODIFICATION | \
                   BG_NOTIFY_FILE_TRANSFERRED)
#define HR_404 ((HRESULT)0x80190194)

/* The class of the clsid test; callbacks.sh registers this program as its LocalServer32. */
static const GUID CLSID_TestCallback = {0x6f0c3b1e, 0x9a4d, 0x4c5e, {0x8b, 0x21, 0x3d, 0x7e, 0x5a, 0x90, 0x14, 0xc2}};

static const char *section = "";

static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("callbacks", section, fmt, ap);
    va_end(ap);
    return name;
}

/* ---- the sink: records every call, with what the objects handed in say ---------------------------- */

typedef struct sink {
    IBackgroundCopyCallback2 iface;
    LONG refs;
    CRITICAL_SECTION lock;
    HANDLE final;              /* set by a JobTransferred answered S_OK, and by JobError */
    GUID job;                  /* the job it was registered for */
    int fail_first;            /* JobTransferred answers E_FAIL this many times first */
    const WCHAR *log_path;     /* the clsid server writes its JobTransferred calls here */
    int callback1_only;        /* answers E_NOINTERFACE for IBackgroundCopyCallback2 */
    int transferred, errors, files, files_complete, files_late;
    LONG modifications, foreign;  /* counted without the lock */
    BG_JOB_STATE transferred_state, error_state;
    DWORD transferred_at[4];
    WCHAR file_names[4][300];
    BG_ERROR_CONTEXT error_context;
    HRESULT error_code;
    WCHAR error_file[300];
    int error_description;     /* GetErrorDescription gave a text */
} sink_t;

static sink_t *impl(IBackgroundCopyCallback2 *iface)
{
    return (sink_t *)iface;
}

/* Whether the job object is the sink's job (a call for another job counts as foreign). */
static void check_job(sink_t *sink, IBackgroundCopyJob *job)
{
    GUID id;
    int same = job && SUCCEEDED(IBackgroundCopyJob_GetId(job, &id)) && IsEqualGUID(&id, &sink->job);
    if (!same)
        InterlockedIncrement(&sink->foreign);
}

static BG_JOB_STATE state_of(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    return job && SUCCEEDED(IBackgroundCopyJob_GetState(job, &state)) ? state : (BG_JOB_STATE)-1;
}

static HRESULT STDMETHODCALLTYPE sink_query_interface(IBackgroundCopyCallback2 *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyCallback) ||
        (IsEqualIID(riid, &IID_IBackgroundCopyCallback2) && !impl(iface)->callback1_only)) {
        *out = iface;
        InterlockedIncrement(&impl(iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_add_ref(IBackgroundCopyCallback2 *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE sink_release(IBackgroundCopyCallback2 *iface)
{
    return (ULONG)InterlockedDecrement(&impl(iface)->refs); /* sinks live as long as the process */
}

static void log_line(const WCHAR *path, const GUID *id, BG_JOB_STATE state)
{
    WCHAR text[40];
    StringFromGUID2(id, text, 40);
    FILE *f = _wfopen(path, L"a");
    if (f) {
        fprintf(f, "JobTransferred %ls state %d\n", text, (int)state);
        fclose(f);
    }
}

static HRESULT STDMETHODCALLTYPE sink_job_transferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job)
{
    sink_t *sink = impl(iface);
    BG_JOB_STATE state = state_of(job);
    GUID id = {0};
    if (job)
        IBackgroundCopyJob_GetId(job, &id);
    if (sink->log_path) {
        sink->job = id; /* the server learns its job from the call */
        log_line(sink->log_path, &id, state);
    }
    check_job(sink, job);
    EnterCriticalSection(&sink->lock);
    int call = sink->transferred++;
    if (call < 4)
        sink->transferred_at[call] = GetTickCount();
    sink->transferred_state = state;
    LeaveCriticalSection(&sink->lock);
    if (call < sink->fail_first)
        return E_FAIL;
    SetEvent(sink->final);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_job_error(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                IBackgroundCopyError *error)
{
    sink_t *sink = impl(iface);
    check_job(sink, job);
    BG_ERROR_CONTEXT context = 0;
    HRESULT code = S_OK;
    IBackgroundCopyFile *file = NULL;
    LPWSTR remote = NULL, text = NULL;
    if (error && SUCCEEDED(IBackgroundCopyError_GetError(error, &context, &code)) &&
        SUCCEEDED(IBackgroundCopyError_GetFile(error, &file)))
        IBackgroundCopyFile_GetRemoteName(file, &remote);
    int described = error && SUCCEEDED(IBackgroundCopyError_GetErrorDescription(error, 0x0409, &text)) &&
                    text && text[0];
    BG_JOB_STATE state = state_of(job);
    EnterCriticalSection(&sink->lock);
    sink->errors++;
    sink->error_context = context;
    sink->error_code = code;
    sink->error_state = state;
    sink->error_description = described;
    if (remote)
        wcsncpy(sink->error_file, remote, 299);
    LeaveCriticalSection(&sink->lock);
    CoTaskMemFree(remote);
    CoTaskMemFree(text);
    if (file)
        IBackgroundCopyFile_Release(file);
    SetEvent(sink->final);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_job_modification(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                       DWORD reserved)
{
    (void)reserved;
    sink_t *sink = impl(iface);
    check_job(sink, job);
    InterlockedIncrement(&sink->modifications);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_file_transferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                       IBackgroundCopyFile *file)
{
    sink_t *sink = impl(iface);
    check_job(sink, job);
    LPWSTR remote = NULL;
    BG_FILE_PROGRESS progress = {0};
    int complete = file && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &remote)) &&
                   SUCCEEDED(IBackgroundCopyFile_GetProgress(file, &progress)) &&
                   progress.BytesTotal == progress.BytesTransferred && progress.BytesTotal > 0;
    EnterCriticalSection(&sink->lock);
    int call = sink->files++;
    if (call < 4 && remote)
        wcsncpy(sink->file_names[call], remote, 299);
    sink->files_complete += complete;
    sink->files_late += sink->transferred > 0;
    LeaveCriticalSection(&sink->lock);
    CoTaskMemFree(remote);
    return S_OK;
}

static IBackgroundCopyCallback2Vtbl sink_vtbl = {
    sink_query_interface, sink_add_ref, sink_release, sink_job_transferred, sink_job_error,
    sink_job_modification, sink_file_transferred,
};

static sink_t *new_sink(int fail_first)
{
    sink_t *sink = calloc(1, sizeof *sink);
    if (!sink)
        ExitProcess(3);
    sink->iface.lpVtbl = &sink_vtbl;
    sink->refs = 1;
    sink->fail_first = fail_first;
    sink->transferred_state = sink->error_state = (BG_JOB_STATE)-1;
    InitializeCriticalSection(&sink->lock);
    sink->final = CreateEventW(NULL, TRUE, FALSE, NULL);
    return sink;
}

/* A snapshot of the counters (taken under the sink's lock). */
static sink_t counts(sink_t *sink)
{
    EnterCriticalSection(&sink->lock);
    sink_t copy = *sink;
    LeaveCriticalSection(&sink->lock);
    return copy;
}

/* ---- jobs -------------------------------------------------------------------------------------- */

static IBackgroundCopyManager *manager;

static WCHAR *url_of(WCHAR *buf, const WCHAR *base, const WCHAR *name)
{
    swprintf(buf, 600, L"%ls%ls", base, name);
    return buf;
}

static WCHAR *local_of(WCHAR *buf, const char *job, const WCHAR *name)
{
    swprintf(buf, 300, DIR L"%hs-%ls", job, name);
    return buf;
}

/* A job named after the section with the given files (NULL-terminated remote names under base),
 * notify flags (0: the default) and minimum retry delay; sink (may be NULL) registered. */
static IBackgroundCopyJob *new_job(const WCHAR *base, const WCHAR *const *files, ULONG flags, ULONG retry_delay,
                                   sink_t *sink, GUID *id)
{
    WCHAR name[100], url[600], local[300];
    swprintf(name, 100, L"callbacks: %hs", section);
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id, &job);
    CHECK_HR(hr, S_OK, nm("CreateJob"));
    if (FAILED(hr))
        return NULL;
    for (int i = 0; files[i]; i++)
        CHECK_HR(IBackgroundCopyJob_AddFile(job, url_of(url, base, files[i]), local_of(local, section, files[i])),
                 S_OK, nm("AddFile(%ls)", files[i]));
    if (flags)
        CHECK_HR(IBackgroundCopyJob_SetNotifyFlags(job, flags), S_OK, nm("SetNotifyFlags(0x%lx)", flags));
    CHECK_HR(IBackgroundCopyJob_SetMinimumRetryDelay(job, retry_delay), S_OK,
             nm("SetMinimumRetryDelay(%lu)", retry_delay));
    if (sink) {
        sink->job = *id;
        CHECK_HR(IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&sink->iface), S_OK,
                 nm("SetNotifyInterface(an IBackgroundCopyCallback2 of this process)"));
    }
    return job;
}

static int wait_state(IBackgroundCopyJob *job, BG_JOB_STATE want, DWORD ms)
{
    for (DWORD waited = 0; waited < ms; waited += 50) {
        if (state_of(job) == want)
            return 1;
        Sleep(50);
    }
    return 0;
}

static void finish(IBackgroundCopyJob *job, int complete)
{
    if (!job)
        return;
    HRESULT hr = complete ? IBackgroundCopyJob_Complete(job) : IBackgroundCopyJob_Cancel(job);
    CHECK_HR(hr, S_OK, nm(complete ? "Complete" : "Cancel"));
    IBackgroundCopyJob_Release(job);
}

/* ---- transfer: the callbacks of a download ------------------------------------------------------- */

static const WCHAR *const two_files[] = {L"a.bin", L"b.bin", NULL};
static const WCHAR *const one_file[] = {L"a.bin", NULL};

static int ends_with(const WCHAR *text, const WCHAR *tail)
{
    size_t a = wcslen(text), b = wcslen(tail);
    return a >= b && !wcscmp(text + a - b, tail);
}

/* GetStats of every file after the download: real figures, sizes from the script. */
static void check_stats(IBackgroundCopyJob *job, const UINT64 *sizes)
{
    IEnumBackgroundCopyFiles *files = NULL;
    CHECK_HR(IBackgroundCopyJob_EnumFiles(job, &files), S_OK, nm("EnumFiles"));
    for (int i = 0; files && i < 2; i++) {
        IBackgroundCopyFile *file = NULL;
        IDeliveryOptimizationFile *do_file = NULL;
        DOSwarmStats stats;
        memset(&stats, 0, sizeof stats);
        HRESULT hr = IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL);
        if (hr == S_OK)
            hr = IBackgroundCopyFile_QueryInterface(file, &IID_IDeliveryOptimizationFile, (void **)&do_file);
        if (hr == S_OK)
            hr = IDeliveryOptimizationFile_GetStats(do_file, &stats);
        CHECK_HR(hr, S_OK, nm("file %d: IDeliveryOptimizationFile::GetStats", i));
        if (!CHECK(stats.fileSize == sizes[i] && stats.bytesFromHttp >= sizes[i] &&
                       stats.totalBytesDownloaded == stats.bytesFromHttp && stats.bytesFromLanPeers == 0,
                   nm("file %d: GetStats: fileSize %llu, bytesFromHttp = totalBytesDownloaded >= the size", i,
                      (unsigned long long)sizes[i])))
            printf("#   fileSize %llu bytesFromHttp %llu total %llu\n", (unsigned long long)stats.fileSize,
                   (unsigned long long)stats.bytesFromHttp, (unsigned long long)stats.totalBytesDownloaded);
        if (!CHECK(stats.httpConnectionCount >= 1 && stats.httpConnectionCount <= 3 &&
                       stats.downloadDuration < 60000 && stats.status == SwarmStatus_Complete &&
                       stats.isBackground == TRUE,
                   nm("file %d: GetStats: 1-3 HTTP connections, downloadDuration < 60000 ms, Complete, "
                      "background", i)))
            printf("#   connections %u duration %u status %d background %d\n", stats.httpConnectionCount,
                   stats.downloadDuration, (int)stats.status, (int)stats.isBackground);
        CoTaskMemFree(stats.fileId);
        CoTaskMemFree(stats.sourceURL);
        if (do_file)
            IDeliveryOptimizationFile_Release(do_file);
        if (file)
            IBackgroundCopyFile_Release(file);
    }
    if (files)
        IEnumBackgroundCopyFiles_Release(files);
}

/* Both files with every notify flag and sink registered, resumed; returns once JobTransferred
 * arrived (NULL when the job could not be made). */
static IBackgroundCopyJob *transferred_with_every_flag(const WCHAR *base, sink_t *sink, GUID *id)
{
    IBackgroundCopyJob *job = new_job(base, two_files, FLAGS_ALL, 1, sink, id);
    if (!job)
        return NULL;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(WaitForSingleObject(sink->final, 60000) == WAIT_OBJECT_0, nm("JobTransferred arrives within 60 s"));
    return job;
}

static void transfer_all_flags(const WCHAR *base, const UINT64 *sizes)
{
    section = "every flag";
    sink_t *sink = new_sink(0);
    GUID id;
    IBackgroundCopyJob *job = transferred_with_every_flag(base, sink, &id);
    if (!job)
        return;
    Sleep(2500); /* a second JobTransferred (retry delay 1 s) would come in this time */
    sink_t c = counts(sink);
    if (!CHECK(c.files == 2 && ends_with(c.file_names[0], L"/a.bin") && ends_with(c.file_names[1], L"/b.bin"),
               nm("FileTransferred once per file, a.bin then b.bin (IBackgroundCopyFile::GetRemoteName)")))
        printf("#   %d calls: %ls, %ls\n", c.files, c.file_names[0], c.file_names[1]);
    CHECK(c.files_complete == 2 && c.files_late == 0,
          nm("each FileTransferred file reports all its bytes, and both come before JobTransferred"));
    if (!CHECK(c.transferred == 1 && c.transferred_state == BG_JOB_STATE_TRANSFERRED,
               nm("JobTransferred once; the job object handed in says TRANSFERRED")))
        printf("#   %d calls, state %d\n", c.transferred, (int)c.transferred_state);
    CHECK(c.modifications >= 1, nm("JobModification seen (state changes, progress)"));
    CHECK(c.errors == 0 && c.foreign == 0, nm("no JobError; every job object handed in is this job (GetId)"));
    check_stats(job, sizes);
    finish(job, 1);
}

/* The sink saw want_transferred JobTransferred calls and no other callback. */
static void check_only_transferred(sink_t *sink, int want_transferred, const char *name)
{
    sink_t c = counts(sink);
    if (!CHECK(c.transferred == want_transferred && c.files == 0 && c.modifications == 0 && c.errors == 0, name))
        printf("#   transferred %d files %d modifications %ld errors %d\n", c.transferred, c.files,
               c.modifications, c.errors);
}

static void transfer_only(const WCHAR *base)
{
    section = "TRANSFERRED only";
    sink_t *sink = new_sink(0);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, two_files, BG_NOTIFY_JOB_TRANSFERRED, 1, sink, &id);
    if (!job)
        return;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(WaitForSingleObject(sink->final, 60000) == WAIT_OBJECT_0, nm("JobTransferred arrives within 60 s"));
    Sleep(1500);
    check_only_transferred(sink, 1, nm("flags 0x1: JobTransferred once, no FileTransferred, no JobModification"));
    finish(job, 1);
}

static void transfer_disabled(const WCHAR *base)
{
    section = "DISABLE";
    sink_t *sink = new_sink(0);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, two_files, FLAGS_ALL | BG_NOTIFY_DISABLE, 1, sink, &id);
    if (!job)
        return;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, 60000), nm("the job reaches TRANSFERRED"));
    Sleep(2000);
    check_only_transferred(sink, 0, nm("flags 0x1F (DISABLE with every other flag): no callback at all"));
    finish(job, 1);
}

static void transfer_retry(const WCHAR *base)
{
    section = "JobTransferred fails once";
    sink_t *sink = new_sink(1);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 2, sink, &id);
    if (!job)
        return;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(WaitForSingleObject(sink->final, 60000) == WAIT_OBJECT_0,
          nm("after E_FAIL, JobTransferred is called again and answered S_OK"));
    Sleep(3000);
    sink_t c = counts(sink);
    DWORD gap = c.transferred >= 2 ? c.transferred_at[1] - c.transferred_at[0] : 0;
    if (!CHECK(c.transferred == 2 && gap >= 1500 && gap < 10000,
               nm("called twice, the second time after the job's minimum retry delay (2 s), then no more")))
        printf("#   %d calls, %lu ms apart\n", c.transferred, gap);
    finish(job, 1);
}

static void transfer_late(const WCHAR *base)
{
    section = "registered after the event";
    GUID id;
    IBackgroundCopyJob *job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 1, NULL, &id);
    if (!job)
        return;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, 60000), nm("the job reaches TRANSFERRED (no sink yet)"));
    sink_t *sink = new_sink(0);
    sink->job = id;
    CHECK_HR(IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&sink->iface), S_OK,
             nm("SetNotifyInterface on the TRANSFERRED job"));
    CHECK(WaitForSingleObject(sink->final, 10000) == WAIT_OBJECT_0 && counts(sink).transferred == 1,
          nm("JobTransferred still arrives (BITS calls a sink registered after the event)"));
    finish(job, 1);
}

/* A sink of BITS 1.5's interface only: FileTransferred cannot be called (the service must not
 * log it as delivered; the script reads the log for the job printed as "CALLBACK1JOB"). */
static void transfer_callback1_only(const WCHAR *base)
{
    section = "a sink without IBackgroundCopyCallback2";
    sink_t *sink = new_sink(0);
    sink->callback1_only = 1;
    GUID id;
    IBackgroundCopyJob *job = transferred_with_every_flag(base, sink, &id);
    if (!job)
        return;
    sink_t c = counts(sink);
    CHECK(c.transferred == 1 && c.files == 0, nm("JobTransferred once, and no FileTransferred call"));
    WCHAR text[40];
    StringFromGUID2(&id, text, 40);
    printf("CALLBACK1JOB %ls\n", text);
    finish(job, 1);
}

static int cmd_transfer(const WCHAR *base, const UINT64 *sizes)
{
    transfer_all_flags(base, sizes);
    transfer_only(base);
    transfer_disabled(base);
    transfer_retry(base);
    transfer_late(base);
    transfer_callback1_only(base);
    return 0;
}

/* ---- error: JobError for a 404 ------------------------------------------------------------------ */

static int cmd_error(const WCHAR *base)
{
    section = "404";
    static const WCHAR *const missing[] = {L"missing.bin", NULL};
    sink_t *sink = new_sink(0);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, missing, 0, 1, sink, &id);
    if (!job)
        return 1;
    ULONG flags = 0;
    IBackgroundCopyJob_GetNotifyFlags(job, &flags);
    CHECK(flags == (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR), nm("the default notify flags are 0x3"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(WaitForSingleObject(sink->final, 30000) == WAIT_OBJECT_0, nm("JobError arrives within 30 s"));
    Sleep(2000);
    sink_t c = counts(sink);
    if (!CHECK(c.errors == 1 && c.error_state == BG_JOB_STATE_ERROR,
               nm("JobError once; the job object handed in says ERROR")))
        printf("#   %d calls, state %d\n", c.errors, (int)c.error_state);
    if (!CHECK(c.error_context == BG_ERROR_CONTEXT_REMOTE_FILE && c.error_code == HR_404 &&
                   ends_with(c.error_file, L"/missing.bin") && c.error_description,
               nm("the error object: REMOTE_FILE, 0x80190194, GetFile is missing.bin, a description")))
        printf("#   context %d code 0x%08lx file %ls\n", (int)c.error_context, (unsigned long)c.error_code,
               c.error_file);
    CHECK(c.transferred == 0 && c.modifications == 0 && c.files == 0 && c.foreign == 0,
          nm("nothing else: the default flags ask for no JobModification"));
    finish(job, 0);
    return 0;
}

/* ---- clsid: no sink, a NOTIFICATION_CLSID ------------------------------------------------------- */

#define CLSID_LOG DIR L"clsid.txt"

static int file_has(const WCHAR *path, const char *text)
{
    char buf[4096] = "";
    FILE *f = _wfopen(path, L"r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return strstr(buf, text) != NULL;
}

static int wait_file_has(const WCHAR *path, const char *text, DWORD ms)
{
    for (DWORD waited = 0; waited < ms; waited += 100) {
        if (file_has(path, text))
            return 1;
        Sleep(100);
    }
    return 0;
}

static int cmd_clsid(const WCHAR *base)
{
    section = "NOTIFICATION_CLSID";
    DeleteFileW(CLSID_LOG);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 1, NULL, &id);
    IBackgroundCopyJob5 *job5 = NULL;
    if (!job || FAILED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5)))
        return 1;
    BITS_JOB_PROPERTY_VALUE value;
    memset(&value, 0, sizeof value);
    value.ClsID = CLSID_TestCallback;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value), S_OK,
             nm("SetProperty(NOTIFICATION_CLSID, this program's test class)"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    WCHAR wide[40];
    char line[80];
    StringFromGUID2(&id, wide, 40);
    snprintf(line, sizeof line, "JobTransferred %ls state %d", wide, (int)BG_JOB_STATE_TRANSFERRED);
    if (!CHECK(wait_file_has(CLSID_LOG, line, 60000),
               nm("the service activated the class and called its JobTransferred (job object: this job, TRANSFERRED)")))
        printf("#   wanted \"%s\" in clsid.txt\n", line);
    IUnknown *registered = (IUnknown *)1;
    CHECK(SUCCEEDED(IBackgroundCopyJob_GetNotifyInterface(job, &registered)) && registered == NULL,
          nm("the activated object is not the registered interface (GetNotifyInterface stays NULL)"));
    IBackgroundCopyJob5_Release(job5);
    finish(job, 1);
    return 0;
}

/* COM started this program for CLSID_TestCallback: serve one JobTransferred, then leave. */
static HRESULT STDMETHODCALLTYPE factory_query_interface(IClassFactory *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE factory_add_ref(IClassFactory *iface)
{
    (void)iface;
    return 2;
}
static ULONG STDMETHODCALLTYPE factory_release(IClassFactory *iface)
{
    (void)iface;
    return 1;
}
static sink_t *served;
static HRESULT STDMETHODCALLTYPE factory_create_instance(IClassFactory *iface, IUnknown *outer, REFIID riid,
                                                         void **out)
{
    (void)iface;
    *out = NULL;
    return outer ? CLASS_E_NOAGGREGATION : sink_query_interface(&served->iface, riid, out);
}
static HRESULT STDMETHODCALLTYPE factory_lock_server(IClassFactory *iface, BOOL lock)
{
    (void)iface, (void)lock;
    return S_OK;
}
static IClassFactoryVtbl factory_vtbl = {factory_query_interface, factory_add_ref, factory_release,
                                         factory_create_instance, factory_lock_server};
static IClassFactory factory = {&factory_vtbl};

static int serve_clsid(void)
{
    served = new_sink(0);
    served->log_path = CLSID_LOG;
    DWORD cookie = 0;
    if (FAILED(CoRegisterClassObject(&CLSID_TestCallback, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER,
                                     REGCLS_MULTIPLEUSE, &cookie)))
        return 1;
    WaitForSingleObject(served->final, 60000);
    Sleep(500); /* let the call return to the service */
    CoRevokeClassObject(cookie);
    return 0;
}

/* ---- cmdline: SetNotifyCmdLine ------------------------------------------------------------------- */

/* A job whose command line writes DIR<marker>.txt when it runs. */
/* SetNotifyCmdLine: cmd.exe writes "ran" into DIR\<marker>.txt. */
static void set_cmdline(IBackgroundCopyJob *job, const char *marker)
{
    WCHAR parameters[300];
    swprintf(parameters, 300, L"cmd.exe /c echo ran> " DIR L"%hs.txt", marker);
    IBackgroundCopyJob2 *job2 = NULL;
    if (job && SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2))) {
        CHECK_HR(IBackgroundCopyJob2_SetNotifyCmdLine(job2, L"C:\\windows\\system32\\cmd.exe", parameters), S_OK,
                 nm("SetNotifyCmdLine(cmd.exe, \"%ls\")", parameters));
        IBackgroundCopyJob2_Release(job2);
    }
}

static IBackgroundCopyJob *cmdline_job(const WCHAR *base, const char *marker, sink_t *sink, GUID *id)
{
    IBackgroundCopyJob *job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 600, sink, id);
    if (job)
        set_cmdline(job, marker);
    return job;
}


static int cmd_cmdline(const WCHAR *base)
{
    GUID id;
    section = "command line";
    DeleteFileW(DIR L"cmdline-alone.txt");
    IBackgroundCopyJob *job = cmdline_job(base, "cmdline-alone", NULL, &id);
    if (job) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK(wait_file_has(DIR L"cmdline-alone.txt", "ran", 60000),
              nm("without a sink, the program runs when the job is TRANSFERRED"));
        finish(job, 1);
    }
    section = "command line set after TRANSFERRED";
    DeleteFileW(DIR L"cmdline-late.txt");
    job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 600, NULL, &id);
    if (job) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, 60000), nm("the job reaches TRANSFERRED (no command line yet)"));
        set_cmdline(job, "cmdline-late");
        CHECK(wait_file_has(DIR L"cmdline-late.txt", "ran", 30000),
              nm("the program set on the TRANSFERRED job runs (BITS runs it whenever it is due)"));
        finish(job, 1);
    }
    section = "command line and a sink";
    DeleteFileW(DIR L"cmdline-sink.txt");
    sink_t *sink = new_sink(0);
    job = cmdline_job(base, "cmdline-sink", sink, &id);
    if (job) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK(WaitForSingleObject(sink->final, 60000) == WAIT_OBJECT_0, nm("JobTransferred arrives"));
        Sleep(2000);
        CHECK(GetFileAttributesW(DIR L"cmdline-sink.txt") == INVALID_FILE_ATTRIBUTES,
              nm("a sink that answers S_OK: the program does not run"));
        finish(job, 1);
    }
    section = "command line and a failing sink";
    DeleteFileW(DIR L"cmdline-failing.txt");
    sink = new_sink(100);
    job = cmdline_job(base, "cmdline-failing", sink, &id);
    if (job) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK(wait_file_has(DIR L"cmdline-failing.txt", "ran", 60000) && counts(sink).transferred == 1,
              nm("JobTransferred answers E_FAIL: the program runs (BITS rule)"));
        finish(job, 1);
    }
    return 0;
}

/* ---- orphan: a sink whose process has exited -------------------------------------------------- */

static int cmd_orphan(const WCHAR *base)
{
    section = "sink of an exited process";
    sink_t *sink = new_sink(0);
    GUID id;
    IBackgroundCopyJob *job = new_job(base, one_file, BG_NOTIFY_JOB_TRANSFERRED, 1, sink, &id);
    if (!job)
        return 1;
    WCHAR text[40];
    StringFromGUID2(&id, text, 40);
    printf("JOB %ls\n", text);
    IBackgroundCopyJob_Release(job);
    return 0; /* the process exits with its sink still registered */
}

static int cmd_orphan_check(const WCHAR *id_text)
{
    section = "sink of an exited process";
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = CLSIDFromString(id_text, &id);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    CHECK_HR(hr, S_OK, nm("GetJob"));
    if (FAILED(hr))
        return 1;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, 60000), nm("the job reaches TRANSFERRED"));
    IUnknown *registered = (IUnknown *)1;
    for (int i = 0; i < 50 && registered; i++) { /* the JobTransferred call fails, then the sink goes */
        if (registered != (IUnknown *)1)
            IUnknown_Release(registered);
        Sleep(100);
        if (FAILED(IBackgroundCopyJob_GetNotifyInterface(job, &registered)))
            registered = (IUnknown *)1;
    }
    CHECK(registered == NULL, nm("the dead sink is dropped (GetNotifyInterface gives NULL)"));
    sink_t *sink = new_sink(0);
    sink->job = id;
    CHECK_HR(IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&sink->iface), S_OK,
             nm("SetNotifyInterface(a sink of this process)"));
    CHECK(WaitForSingleObject(sink->final, 10000) == WAIT_OBJECT_0 && counts(sink).transferred == 1,
          nm("the new sink gets JobTransferred"));
    finish(job, 1);
    return 0;
}

int wmain(int argc, WCHAR **argv)
{
    if (argc < 2 || FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    if (!_wcsicmp(argv[1], L"-Embedding") || !_wcsicmp(argv[1], L"/Embedding"))
        return serve_clsid();
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    section = "connect";
    CHECK_HR(hr, S_OK, nm("CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER)"));
    int status = 2;
    if (SUCCEEDED(hr)) {
        if (!wcscmp(argv[1], L"transfer") && argc == 5) {
            UINT64 sizes[2] = {_wcstoui64(argv[3], NULL, 10), _wcstoui64(argv[4], NULL, 10)};
            status = cmd_transfer(argv[2], sizes);
        } else if (!wcscmp(argv[1], L"error") && argc == 3)
            status = cmd_error(argv[2]);
        else if (!wcscmp(argv[1], L"clsid") && argc == 3)
            status = cmd_clsid(argv[2]);
        else if (!wcscmp(argv[1], L"cmdline") && argc == 3)
            status = cmd_cmdline(argv[2]);
        else if (!wcscmp(argv[1], L"orphan") && argc == 3)
            status = cmd_orphan(argv[2]);
        else if (!wcscmp(argv[1], L"orphan-check") && argc == 3)
            status = cmd_orphan_check(argv[2]);
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
