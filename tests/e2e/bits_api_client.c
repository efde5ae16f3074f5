/* bits_api_client: a BITS client written against mingw-w64's own BITS headers (bits.h ...
 * bits5_0.h, bitsmsg.h), as any BITS application is, talking to opendo once a prefix is switched
 * to it (tests/e2e/bits_api.sh). The 4.0-10.3 class ids and the interfaces mingw-w64 lacks are
 * defined here from the SDK values (bits.md sections 0-2), as are the DO class and DO interface
 * ids it checks are NOT answered. Commands (each prints check lines, exits non-zero on failure):
 *   classes                 every versioned BITS class activates and is a BITS manager
 *   api                     BITS return codes of the BITS classes, and their interfaces
 *   cross                   a DO job is invisible through BITS, a BITS job through DO
 *   download URL PATH       a download with IBackgroundCopyCallback2: JobTransferred and
 *                           FileTransferred arrive, Complete; prints "JOB id"
 *   error URL PATH          an HTTP 404: BG_E_HTTP_ERROR_404, context REMOTE_FILE, texts
 *   limit N                 N+1 jobs: prints "ADMIN 0|1", "CREATED n" and "REFUSED 0x..."
 *   create URL PATH         a SUSPENDED job with one file; prints "JOB id"
 *   find ID                 found again by GetJob: SUSPENDED, its name and file, a BITS job
 *   resume-complete ID PATH found again (as find), then resumed and completed */
#include <windows.h>
#include <initguid.h>
#include <objbase.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <bits.h>
#include <bits1_5.h>
#include <bits2_0.h>
#include <bits2_5.h>
#include <bits3_0.h>
#include <bits5_0.h>
#include <bitsmsg.h>

#include "../check.h"

/* ---- what mingw-w64 lacks (bits.md sections 0-2) --------------------------------------------- */

DEFINE_GUID(CLSID_BackgroundCopyManager4_0, 0xbb6df56b, 0xcace, 0x11dc, 0x99, 0x92, 0x00, 0x19, 0xb9, 0x3a, 0x3a, 0x84);
DEFINE_GUID(CLSID_BackgroundCopyManager5_0, 0x1ecca34c, 0xe88a, 0x44e3, 0x8d, 0x6a, 0x89, 0x21, 0xbd, 0xe9, 0xe4, 0x52);
DEFINE_GUID(CLSID_BackgroundCopyManager10_1, 0x4bd3e4e1, 0x7bd4, 0x4a2b, 0x99, 0x64, 0x49, 0x64, 0x00, 0xde, 0x51, 0x93);
DEFINE_GUID(CLSID_BackgroundCopyManager10_2, 0x4575438f, 0xa6c8, 0x4976, 0xb0, 0xfe, 0x2f, 0x26, 0xb8, 0x0d, 0x95, 0x9e);
DEFINE_GUID(CLSID_BackgroundCopyManager10_3, 0x5fd42ad5, 0xc04e, 0x4d36, 0xad, 0xc7, 0xe0, 0x8f, 0xf1, 0x57, 0x37, 0xad);
DEFINE_GUID(IID_IBackgroundCopyFile3_, 0x659cdeaa, 0x489e, 0x11d9, 0xa9, 0xcd, 0x00, 0x0d, 0x56, 0x96, 0x52, 0x51);
DEFINE_GUID(IID_IBackgroundCopyFile5_, 0x85c1657f, 0xdafc, 0x40e8, 0x88, 0x34, 0xdf, 0x18, 0xea, 0x25, 0x71, 0x7e);
/* the DO class and DO-only interfaces (do-api.md section 2) */
DEFINE_GUID(CLSID_DeliveryOptimization_, 0x5b99fa76, 0x721c, 0x423c, 0xad, 0xac, 0x56, 0xd0, 0x3c, 0x8a, 0x80, 0x07);
DEFINE_GUID(IID_IDOManager_, 0x400e2d4a, 0x1431, 0x4c1a, 0xa7, 0x48, 0x39, 0xca, 0x47, 0x2c, 0xfd, 0xb1);
DEFINE_GUID(IID_IDeliveryOptimizationJob_, 0xee2584cf, 0xa69c, 0x4848, 0xb6, 0x33, 0x26, 0x49, 0x96, 0x2b, 0x3e, 0xf7);
DEFINE_GUID(IID_IDeliveryOptimizationFile_, 0xb76b9699, 0xe99e, 0x4101, 0x80, 0x3f, 0xa2, 0x0e, 0x32, 0x5d, 0x93, 0xe2);

#define T_BG_E_TOO_MANY_JOBS_PER_USER ((HRESULT)0x80200049L) /* past mingw-w64's bitsmsg.h */
#define T_DO_E_JOB_NOT_FOUND ((HRESULT)0x80D02003L)
#define T_DO_E_JOB_EMPTY ((HRESULT)0x80D02004L)

static const char *section = "";

static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("bits api", section, fmt, ap);
    va_end(ap);
    return name;
}

static const struct {
    const CLSID *clsid;
    const char *name;
} classes[] = {
    {&CLSID_BackgroundCopyManager, "BackgroundCopyManager"},
    {&CLSID_BackgroundCopyManager1_5, "BackgroundCopyManager1_5"},
    {&CLSID_BackgroundCopyManager2_0, "BackgroundCopyManager2_0"},
    {&CLSID_BackgroundCopyManager2_5, "BackgroundCopyManager2_5"},
    {&CLSID_BackgroundCopyManager3_0, "BackgroundCopyManager3_0"},
    {&CLSID_BackgroundCopyManager4_0, "BackgroundCopyManager4_0"},
    {&CLSID_BackgroundCopyManager5_0, "BackgroundCopyManager5_0"},
    {&CLSID_BackgroundCopyManager10_1, "BackgroundCopyManager10_1"},
    {&CLSID_BackgroundCopyManager10_2, "BackgroundCopyManager10_2"},
    {&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3"},
};

static IBackgroundCopyManager *activate(const CLSID *clsid, HRESULT *hr_out)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                                  (void **)&manager);
    if (hr_out)
        *hr_out = hr;
    return SUCCEEDED(hr) ? manager : NULL;
}

/* The manager of the BITS class every command uses (the newest one). */
static IBackgroundCopyManager *bits_manager(void)
{
    HRESULT hr;
    IBackgroundCopyManager *manager = activate(&CLSID_BackgroundCopyManager10_3, &hr);
    CHECK_HR(hr, S_OK, nm("activate BackgroundCopyManager10_3"));
    return manager;
}

static int answers(IUnknown *object, REFIID riid)
{
    IUnknown *other = NULL;
    HRESULT hr = IUnknown_QueryInterface(object, riid, (void **)&other);
    if (other)
        IUnknown_Release(other);
    return hr == S_OK;
}

static WCHAR *wide(const char *text)
{
    static WCHAR buffers[4][600];
    static int next;
    WCHAR *buffer = buffers[next++ % 4];
    MultiByteToWideChar(CP_UTF8, 0, text, -1, buffer, 600);
    return buffer;
}

static IBackgroundCopyJob *new_job(IBackgroundCopyManager *manager, const WCHAR *name, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id, &job), S_OK,
             nm("CreateJob \"%ls\"", name));
    return job;
}

static BG_JOB_STATE state_of(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    return SUCCEEDED(IBackgroundCopyJob_GetState(job, &state)) ? state : (BG_JOB_STATE)-1;
}

/* Polls the job's state until one of the two, for at most limit_ms; the last state seen. */
static BG_JOB_STATE wait_state(IBackgroundCopyJob *job, BG_JOB_STATE a, BG_JOB_STATE b, DWORD limit_ms)
{
    DWORD start = GetTickCount();
    BG_JOB_STATE state;
    while ((state = state_of(job)) != a && state != b && GetTickCount() - start < limit_ms)
        Sleep(50);
    return state;
}

static void print_id(const GUID *id)
{
    WCHAR text[40];
    StringFromGUID2(id, text, 40);
    printf("JOB %ls\n", text);
}

/* ---- classes ----------------------------------------------------------------------------------- */

static int cmd_classes(void)
{
    section = "classes";
    for (size_t i = 0; i < ARRAYSIZE(classes); i++) {
        HRESULT hr;
        IBackgroundCopyManager *manager = activate(classes[i].clsid, &hr);
        CHECK_HR(hr, S_OK, nm("%s activates (CLSCTX_LOCAL_SERVER, IID_IBackgroundCopyManager)",
                              classes[i].name));
        if (!manager)
            continue;
        CHECK(!answers((IUnknown *)manager, &IID_IDOManager_), nm("%s does not answer IDOManager",
                                                                  classes[i].name));
        GUID unknown;
        IBackgroundCopyJob *job = (IBackgroundCopyJob *)1;
        CoCreateGuid(&unknown);
        CHECK_HR(IBackgroundCopyManager_GetJob(manager, &unknown, &job), BG_E_NOT_FOUND,
                 nm("%s: GetJob of an unknown id is BG_E_NOT_FOUND", classes[i].name));
        CHECK(job == NULL, nm("%s: ... and the job pointer is NULL", classes[i].name));
        IBackgroundCopyManager_Release(manager);
    }
    HRESULT hr;
    IBackgroundCopyManager *do_manager = activate(&CLSID_DeliveryOptimization_, &hr);
    CHECK_HR(hr, S_OK, nm("the DO class still activates"));
    if (do_manager) {
        CHECK(answers((IUnknown *)do_manager, &IID_IDOManager_), nm("the DO class answers IDOManager"));
        GUID unknown;
        IBackgroundCopyJob *job = NULL;
        CoCreateGuid(&unknown);
        CHECK_HR(IBackgroundCopyManager_GetJob(do_manager, &unknown, &job), T_DO_E_JOB_NOT_FOUND,
                 nm("the DO class keeps DO's code: GetJob of an unknown id is DO_E_JOB_NOT_FOUND"));
        IBackgroundCopyManager_Release(do_manager);
    }
    return CHECK_EXIT_CODE();
}

/* ---- api: codes and interfaces ----------------------------------------------------------------- */

static int caller_is_admin(void)
{
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD size = sizeof sid;
    BOOL member = FALSE;
    return CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, sid, &size) &&
           CheckTokenMembership(NULL, sid, &member) && member;
}

static void check_description(IBackgroundCopyManager *manager, HRESULT code, const char *name)
{
    LPWSTR text = NULL;
    CHECK_HR(IBackgroundCopyManager_GetErrorDescription(manager, code, 0x409, &text), S_OK,
             nm("GetErrorDescription(%s)", name));
    CHECK(text && text[0], nm("... describes %s", name));
    printf("# %s: %ls\n", name, text ? text : L"(none)");
    CoTaskMemFree(text);
}

static void check_job_interfaces(IBackgroundCopyJob *job)
{
    CHECK(answers((IUnknown *)job, &IID_IBackgroundCopyJob5), nm("a BITS job answers IBackgroundCopyJob5"));
    CHECK(answers((IUnknown *)job, &IID_IBackgroundCopyJob4), nm("... IBackgroundCopyJob4"));
    CHECK(answers((IUnknown *)job, &IID_IBackgroundCopyJobHttpOptions),
          nm("... IBackgroundCopyJobHttpOptions"));
    CHECK(!answers((IUnknown *)job, &IID_IDeliveryOptimizationJob_),
          nm("... but not IDeliveryOptimizationJob (DO only)"));
}

static void check_file_interfaces(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *files = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    CHECK_HR(IBackgroundCopyJob_EnumFiles(job, &files), S_OK, nm("EnumFiles"));
    if (files) {
        CHECK_HR(IEnumBackgroundCopyFiles_Next(files, 1, &file, &fetched), S_OK, nm("Next: the file"));
        IEnumBackgroundCopyFiles_Release(files);
    }
    if (!file)
        return;
    CHECK(answers((IUnknown *)file, &IID_IBackgroundCopyFile2) &&
              answers((IUnknown *)file, &IID_IBackgroundCopyFile3_) &&
              answers((IUnknown *)file, &IID_IBackgroundCopyFile5_),
          nm("a file of a BITS job answers IBackgroundCopyFile2, File3 and File5"));
    CHECK(!answers((IUnknown *)file, &IID_IDeliveryOptimizationFile_),
          nm("... but not IDeliveryOptimizationFile (DO only)"));
    IBackgroundCopyFile_Release(file);
}

static void check_codes(IBackgroundCopyManager *manager, IBackgroundCopyJob *job)
{
    IBackgroundCopyError *error = (IBackgroundCopyError *)1;
    CHECK_HR(IBackgroundCopyJob_Resume(job), BG_E_EMPTY, nm("Resume without files: BG_E_EMPTY"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("... and the job stays SUSPENDED"));
    CHECK_HR(IBackgroundCopyJob_GetError(job, &error), BG_E_ERROR_INFORMATION_UNAVAILABLE,
             nm("GetError without an error: BG_E_ERROR_INFORMATION_UNAVAILABLE"));
    CHECK(error == NULL, nm("... and the error pointer is NULL"));
    IBackgroundCopyJob5 *job5 = NULL;
    IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    BITS_JOB_PROPERTY_VALUE value = {0};
    CHECK_HR(job5 ? IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value) : E_NOINTERFACE,
             S_OK, nm("Job5 GetProperty(COST_FLAGS)"));
    printf("# cost flags 0x%08lx\n", (unsigned long)value.Dword);
    if (job5)
        IBackgroundCopyJob5_Release(job5);
    IBackgroundCopyJob3 *job3 = NULL;
    IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    BG_FILE_RANGE overlapping[2] = {{0, 100}, {50, 10}}, beyond[1] = {{BG_LENGTH_TO_EOF, 10}};
    if (job3) {
        CHECK_HR(IBackgroundCopyJob3_AddFileWithRanges(job3, L"http://127.0.0.1:1/r", L"C:\\r.bin", 2, overlapping),
                 BG_E_OVERLAPPING_RANGES, nm("AddFileWithRanges of overlapping ranges: BG_E_OVERLAPPING_RANGES"));
        CHECK_HR(IBackgroundCopyJob3_AddFileWithRanges(job3, L"http://127.0.0.1:1/r", L"C:\\r.bin", 1, beyond),
                 BG_E_INVALID_RANGE, nm("AddFileWithRanges at offset BG_LENGTH_TO_EOF: BG_E_INVALID_RANGE"));
        IBackgroundCopyJob3_Release(job3);
    }
    GUID unknown;
    IBackgroundCopyJob *none = NULL;
    CoCreateGuid(&unknown);
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &unknown, &none), BG_E_NOT_FOUND,
             nm("GetJob of an unknown id: BG_E_NOT_FOUND"));
    GUID id;
    IBackgroundCopyJob *upload = NULL;
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, L"upload", BG_JOB_TYPE_UPLOAD, &id, &upload), E_NOTIMPL,
             nm("CreateJob of an upload job: E_NOTIMPL (download jobs only)"));
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, L"reply", BG_JOB_TYPE_UPLOAD_REPLY, &id, &upload),
             E_NOTIMPL, nm("CreateJob of an upload-reply job: E_NOTIMPL"));
    IEnumBackgroundCopyJobs *all = NULL;
    HRESULT want = caller_is_admin() ? S_OK : E_ACCESSDENIED;
    printf("# the client %s an administrator\n", want == S_OK ? "is" : "is not");
    CHECK_HR(IBackgroundCopyManager_EnumJobs(manager, BG_JOB_ENUM_ALL_USERS, &all), want,
             nm("EnumJobs(BG_JOB_ENUM_ALL_USERS): S_OK for an administrator, else E_ACCESSDENIED"));
    if (all)
        IEnumBackgroundCopyJobs_Release(all);
}

static void check_final(IBackgroundCopyManager *manager, IBackgroundCopyJob *job, const GUID *id)
{
    CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, nm("Cancel"));
    CHECK(state_of(job) == BG_JOB_STATE_CANCELLED, nm("GetState of the cancelled job: CANCELLED"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), BG_E_INVALID_STATE, nm("Resume after Cancel: BG_E_INVALID_STATE"));
    CHECK_HR(IBackgroundCopyJob_Cancel(job), BG_E_INVALID_STATE, nm("Cancel again: BG_E_INVALID_STATE"));
    CHECK_HR(IBackgroundCopyJob_Complete(job), BG_E_INVALID_STATE, nm("Complete after Cancel: BG_E_INVALID_STATE"));
    CHECK_HR(IBackgroundCopyJob_SetDescription(job, L"late"), BG_E_INVALID_STATE,
             nm("a setter after Cancel: BG_E_INVALID_STATE"));
    CHECK_HR(IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/x", L"C:\\x.bin"), BG_E_INVALID_STATE,
             nm("AddFile after Cancel: BG_E_INVALID_STATE"));
    IBackgroundCopyJob *again = NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, id, &again), BG_E_NOT_FOUND,
             nm("GetJob of the cancelled job: BG_E_NOT_FOUND"));
}

static int cmd_api(void)
{
    section = "api";
    IBackgroundCopyManager *manager = bits_manager();
    if (!manager)
        return 1;
    GUID id;
    IBackgroundCopyJob *job = new_job(manager, L"bits api: codes", &id);
    if (!job)
        return 1;
    IBackgroundCopyJob *found = NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &id, &found), S_OK, nm("GetJob finds the new job"));
    CHECK(found == job, nm("... as the object the client already holds"));
    if (found)
        IBackgroundCopyJob_Release(found);
    check_job_interfaces(job);
    check_codes(manager, job);
    CHECK_HR(IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/f.bin", L"C:\\bits-api-f.bin"), S_OK,
             nm("AddFile"));
    check_file_interfaces(job);
    check_description(manager, BG_E_NOT_FOUND, "BG_E_NOT_FOUND");
    check_description(manager, T_BG_E_TOO_MANY_JOBS_PER_USER, "BG_E_TOO_MANY_JOBS_PER_USER");
    check_description(manager, BG_E_HTTP_ERROR_404, "BG_E_HTTP_ERROR_404");
    check_final(manager, job, &id);
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

/* ---- cross: each API sees its own jobs --------------------------------------------------------- */

static int listed(IBackgroundCopyManager *manager, const GUID *id)
{
    IEnumBackgroundCopyJobs *jobs = NULL;
    IBackgroundCopyJob *job = NULL;
    int found = 0;
    if (FAILED(IBackgroundCopyManager_EnumJobs(manager, 0, &jobs)))
        return -1;
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK) {
        GUID other;
        found |= SUCCEEDED(IBackgroundCopyJob_GetId(job, &other)) && IsEqualGUID(&other, id);
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    return found;
}

static int cmd_cross(void)
{
    section = "cross";
    HRESULT hr;
    IBackgroundCopyManager *bits = bits_manager(), *dom = activate(&CLSID_DeliveryOptimization_, &hr);
    CHECK_HR(hr, S_OK, nm("activate the DO class"));
    if (!bits || !dom)
        return 1;
    GUID do_id, bits_id;
    IBackgroundCopyJob *do_job = new_job(dom, L"bits api: a DO job", &do_id);
    IBackgroundCopyJob *bits_job = new_job(bits, L"bits api: a BITS job", &bits_id);
    if (!do_job || !bits_job)
        return 1;
    IBackgroundCopyJob *job = NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(bits, &do_id, &job), BG_E_NOT_FOUND,
             nm("GetJob of the DO job through a BITS class: BG_E_NOT_FOUND"));
    CHECK_HR(IBackgroundCopyManager_GetJob(dom, &bits_id, &job), T_DO_E_JOB_NOT_FOUND,
             nm("GetJob of the BITS job through the DO class: DO_E_JOB_NOT_FOUND"));
    CHECK(listed(bits, &bits_id) == 1 && listed(bits, &do_id) == 0,
          nm("EnumJobs of a BITS class lists the BITS job, not the DO job"));
    CHECK(listed(dom, &do_id) == 1 && listed(dom, &bits_id) == 0,
          nm("EnumJobs of the DO class lists the DO job, not the BITS job"));
    CHECK(answers((IUnknown *)do_job, &IID_IDeliveryOptimizationJob_),
          nm("the DO job answers IDeliveryOptimizationJob"));
    CHECK_HR(IBackgroundCopyJob_Resume(do_job), T_DO_E_JOB_EMPTY, nm("the DO job keeps DO's codes: DO_E_JOB_EMPTY"));
    CHECK_HR(IBackgroundCopyJob_Resume(bits_job), BG_E_EMPTY, nm("the BITS job answers BITS's: BG_E_EMPTY"));
    CHECK_HR(IBackgroundCopyJob_Cancel(do_job), S_OK, nm("cancel the DO job"));
    CHECK_HR(IBackgroundCopyJob_Cancel(bits_job), S_OK, nm("cancel the BITS job"));
    IBackgroundCopyJob_Release(do_job);
    IBackgroundCopyJob_Release(bits_job);
    IBackgroundCopyManager_Release(dom);
    IBackgroundCopyManager_Release(bits);
    return CHECK_EXIT_CODE();
}

/* ---- the callback sink ------------------------------------------------------------------------- */

typedef struct sink {
    IBackgroundCopyCallback2 iface;
    HANDLE done;                 /* JobTransferred or JobError */
    LONG transferred, errors, files;
    WCHAR file_local[MAX_PATH];  /* the local name FileTransferred's file reports */
} sink_t;

static HRESULT STDMETHODCALLTYPE sink_query_interface(IBackgroundCopyCallback2 *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualIID(riid, &IID_IBackgroundCopyCallback2)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_add_ref(IBackgroundCopyCallback2 *iface)
{
    (void)iface;
    return 2; /* lives as long as the process */
}

static ULONG STDMETHODCALLTYPE sink_release(IBackgroundCopyCallback2 *iface)
{
    (void)iface;
    return 1;
}

static HRESULT STDMETHODCALLTYPE sink_job_transferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job)
{
    (void)job;
    sink_t *sink = (sink_t *)iface;
    InterlockedIncrement(&sink->transferred);
    SetEvent(sink->done);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_job_error(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                IBackgroundCopyError *error)
{
    (void)job, (void)error;
    sink_t *sink = (sink_t *)iface;
    InterlockedIncrement(&sink->errors);
    SetEvent(sink->done);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_job_modification(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                       DWORD reserved)
{
    (void)iface, (void)job, (void)reserved;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_file_transferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                       IBackgroundCopyFile *file)
{
    (void)job;
    sink_t *sink = (sink_t *)iface;
    LPWSTR local = NULL;
    if (file && SUCCEEDED(IBackgroundCopyFile_GetLocalName(file, &local)) && local)
        wcsncpy(sink->file_local, local, MAX_PATH - 1);
    CoTaskMemFree(local);
    InterlockedIncrement(&sink->files);
    return S_OK;
}

static IBackgroundCopyCallback2Vtbl sink_vtbl = {
    sink_query_interface, sink_add_ref, sink_release, sink_job_transferred, sink_job_error,
    sink_job_modification, sink_file_transferred,
};

/* ---- download, error ------------------------------------------------------------------------- */

/* The BITS manager (*manager) and a new job of it with one file, or NULL. */
static IBackgroundCopyJob *job_with_file(const char *url, const char *path, IBackgroundCopyManager **manager,
                                         GUID *id)
{
    IBackgroundCopyJob *job = (*manager = bits_manager()) ? new_job(*manager, L"bits api: a download", id) : NULL;
    if (job)
        CHECK_HR(IBackgroundCopyJob_AddFile(job, wide(url), wide(path)), S_OK, nm("AddFile %s", url));
    return job;
}

static int cmd_download(const char *url, const char *path)
{
    section = "download";
    IBackgroundCopyManager *manager;
    GUID id;
    IBackgroundCopyJob *job = job_with_file(url, path, &manager, &id);
    if (!job)
        return 1;
    print_id(&id);
    sink_t sink = {{&sink_vtbl}, CreateEventW(NULL, TRUE, FALSE, NULL), 0, 0, 0, L""};
    CHECK_HR(IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR |
                                                        BG_NOTIFY_FILE_TRANSFERRED),
             S_OK, nm("SetNotifyFlags(TRANSFERRED | ERROR | FILE_TRANSFERRED)"));
    CHECK_HR(IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&sink.iface), S_OK,
             nm("SetNotifyInterface(an IBackgroundCopyCallback2 of this process)"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(WaitForSingleObject(sink.done, 120000) == WAIT_OBJECT_0, nm("a callback arrives"));
    CHECK(sink.transferred == 1 && sink.errors == 0, nm("JobTransferred was called, JobError was not"));
    CHECK(sink.files == 1 && !wcscmp(sink.file_local, wide(path)),
          nm("FileTransferred was called with the file (its local name)"));
    CHECK(state_of(job) == BG_JOB_STATE_TRANSFERRED, nm("GetState: TRANSFERRED"));
    BG_JOB_PROGRESS progress = {0};
    CHECK(SUCCEEDED(IBackgroundCopyJob_GetProgress(job, &progress)) && progress.FilesTransferred == 1 &&
              progress.BytesTransferred == progress.BytesTotal,
          nm("GetProgress: every byte of the one file"));
    CHECK_HR(IBackgroundCopyJob_Complete(job), S_OK, nm("Complete"));
    CHECK(state_of(job) == BG_JOB_STATE_ACKNOWLEDGED, nm("GetState after Complete: ACKNOWLEDGED"));
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

static void check_error_object(IBackgroundCopyError *error, const char *url)
{
    BG_ERROR_CONTEXT context = 0;
    HRESULT code = S_OK;
    CHECK_HR(IBackgroundCopyError_GetError(error, &context, &code), S_OK, nm("IBackgroundCopyError::GetError"));
    CHECK_HR(code, BG_E_HTTP_ERROR_404, nm("the code is BG_E_HTTP_ERROR_404 (0x80190194)"));
    CHECK(context == BG_ERROR_CONTEXT_REMOTE_FILE, nm("the context is BG_ERROR_CONTEXT_REMOTE_FILE"));
    LPWSTR text = NULL, context_text = NULL, remote = NULL;
    CHECK_HR(IBackgroundCopyError_GetErrorDescription(error, 0x409, &text), S_OK, nm("GetErrorDescription"));
    CHECK(text && wcsstr(text, L"404"), nm("... a text about HTTP 404"));
    printf("# description: %ls\n", text ? text : L"(none)");
    CHECK_HR(IBackgroundCopyError_GetErrorContextDescription(error, 0x409, &context_text), S_OK,
             nm("GetErrorContextDescription"));
    CHECK(context_text && context_text[0], nm("... a text"));
    printf("# context description: %ls\n", context_text ? context_text : L"(none)");
    IBackgroundCopyFile *file = NULL;
    CHECK_HR(IBackgroundCopyError_GetFile(error, &file), S_OK, nm("GetFile"));
    CHECK(file && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &remote)) && !wcscmp(remote, wide(url)),
          nm("... the failing file"));
    CHECK(file && !answers((IUnknown *)file, &IID_IDeliveryOptimizationFile_),
          nm("... a BITS file (no IDeliveryOptimizationFile)"));
    if (file)
        IBackgroundCopyFile_Release(file);
    CoTaskMemFree(text);
    CoTaskMemFree(context_text);
    CoTaskMemFree(remote);
}

static int cmd_error(const char *url, const char *path)
{
    section = "404";
    IBackgroundCopyManager *manager;
    GUID id;
    IBackgroundCopyJob *job = job_with_file(url, path, &manager, &id);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    BG_JOB_STATE state = wait_state(job, BG_JOB_STATE_ERROR, BG_JOB_STATE_TRANSFERRED, 120000);
    CHECK(state == BG_JOB_STATE_ERROR, nm("the job goes to ERROR"));
    IBackgroundCopyError *error = NULL;
    CHECK_HR(IBackgroundCopyJob_GetError(job, &error), S_OK, nm("GetError"));
    if (error) {
        check_error_object(error, url);
        IBackgroundCopyError_Release(error);
    }
    CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, nm("Cancel"));
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

/* ---- limit: creates up to count + 1 jobs, reports what happened, cancels them ---------------- */

static int cmd_limit(int count)
{
    section = "limit";
    IBackgroundCopyManager *manager = bits_manager();
    if (!manager || count < 1 || count > 1000)
        return 1;
    IBackgroundCopyJob **jobs = calloc((size_t)count + 1, sizeof *jobs);
    int created = 0;
    HRESULT refused = S_OK;
    for (int i = 0; i <= count && refused == S_OK; i++) {
        GUID id;
        refused = IBackgroundCopyManager_CreateJob(manager, L"bits api: limit", BG_JOB_TYPE_DOWNLOAD, &id,
                                                   &jobs[i]);
        created += refused == S_OK;
    }
    printf("ADMIN %d\nCREATED %d\nREFUSED 0x%08lx\n", caller_is_admin(), created, (unsigned long)refused);
    int cancelled = 1;
    for (int i = 0; i < created; i++) {
        cancelled &= SUCCEEDED(IBackgroundCopyJob_Cancel(jobs[i]));
        IBackgroundCopyJob_Release(jobs[i]);
    }
    CHECK(cancelled, nm("the jobs made are cancelled"));
    free(jobs);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

/* ---- persistence: create, and later find again and complete ---------------------------------- */

static int cmd_create(const char *url, const char *path)
{
    section = "persistence";
    IBackgroundCopyManager *manager;
    GUID id;
    IBackgroundCopyJob *job = job_with_file(url, path, &manager, &id);
    if (!job)
        return 1;
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("the new job is SUSPENDED"));
    print_id(&id);
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

/* GetJob of id through a BITS class: found, still SUSPENDED, its name, still a BITS job. */
static IBackgroundCopyJob *find_job(IBackgroundCopyManager *manager, const char *id_text)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    if (FAILED(CLSIDFromString(wide(id_text), &id)))
        return NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, &id, &job), S_OK,
             nm("GetJob through a BITS class finds the job"));
    if (!job)
        return NULL;
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("it is still SUSPENDED"));
    LPWSTR name = NULL;
    CHECK(SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &name)) && !wcscmp(name, L"bits api: a download"),
          nm("its display name is kept"));
    CoTaskMemFree(name);
    BG_JOB_PROGRESS progress = {0};
    CHECK(SUCCEEDED(IBackgroundCopyJob_GetProgress(job, &progress)) && progress.FilesTotal == 1,
          nm("its file is kept"));
    CHECK(!answers((IUnknown *)job, &IID_IDeliveryOptimizationJob_), nm("it is still a BITS job"));
    return job;
}

static int cmd_find(const char *id_text)
{
    section = "persistence";
    IBackgroundCopyManager *manager = bits_manager();
    IBackgroundCopyJob *job = manager ? find_job(manager, id_text) : NULL;
    if (job)
        IBackgroundCopyJob_Release(job);
    if (manager)
        IBackgroundCopyManager_Release(manager);
    return job ? CHECK_EXIT_CODE() : 1;
}

static int cmd_resume_complete(const char *id_text, const char *path)
{
    section = "persistence";
    IBackgroundCopyManager *manager = bits_manager();
    IBackgroundCopyJob *job = manager ? find_job(manager, id_text) : NULL;
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, BG_JOB_STATE_ERROR, 120000) == BG_JOB_STATE_TRANSFERRED,
          nm("it transfers"));
    CHECK_HR(IBackgroundCopyJob_Complete(job), S_OK, nm("Complete"));
    printf("# completed into %s\n", path);
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(manager);
    return CHECK_EXIT_CODE();
}

int wmain(int argc, wchar_t **wargv)
{
    static char args[5][600];
    char *argv[5] = {NULL};
    for (int i = 0; i < argc && i < 5; i++) {
        WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, args[i], sizeof args[i], NULL, NULL);
        argv[i] = args[i];
    }
    if (argc < 2 || argc > 5 || FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    /* IDENTIFY at least, as BITS clients must (bits.md section 6) */
    CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_CONNECT, RPC_C_IMP_LEVEL_IMPERSONATE,
                         NULL, EOAC_NONE, NULL);
    int status = 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "classes"))
        status = cmd_classes();
    else if (!strcmp(cmd, "api"))
        status = cmd_api();
    else if (!strcmp(cmd, "cross"))
        status = cmd_cross();
    else if (!strcmp(cmd, "download") && argc == 4)
        status = cmd_download(argv[2], argv[3]);
    else if (!strcmp(cmd, "error") && argc == 4)
        status = cmd_error(argv[2], argv[3]);
    else if (!strcmp(cmd, "limit") && argc == 3)
        status = cmd_limit(atoi(argv[2]));
    else if (!strcmp(cmd, "create") && argc == 4)
        status = cmd_create(argv[2], argv[3]);
    else if (!strcmp(cmd, "find") && argc == 3)
        status = cmd_find(argv[2]);
    else if (!strcmp(cmd, "resume-complete") && argc == 4)
        status = cmd_resume_complete(argv[2], argv[3]);
    CoUninitialize();
    return status;
}
