/* End-to-end client for tests/e2e/bits_file6.sh: on-demand jobs of the BITS classes
 * (BITS_JOB_PROPERTY_ON_DEMAND_MODE, IBackgroundCopyFile6, IBackgroundCopyCallback3) through the
 * installed service. Checks are named "file6: ...". Local names live in C:\opendo-tests\file6\,
 * which the script creates; it serves the source with tests/fault_server.py and compares bytes.
 * Usage:
 *   bits_file6_client request URL SIZE OFF:LEN,OFF:LEN   an on-demand job of one file of SIZE
 *       bytes: the property, File6, the size learned (SUSPENDED), the two ranges requested
 *       (out-of-file ones refused), FileRangesTransferred calls covering exactly them, spaced by
 *       the job's minimum notification interval, GetFilledFileRanges, SUSPENDED again; prints
 *       "JOB {id}", "TEMP path" and "FILLED off+len,..." (the script checks the bytes)
 *   bits_file6_client finish JOB SIZE FILLED             after a service restart: the filled
 *       ranges are the same, the rest requested (to EOF): TRANSFERRED, Complete
 *   bits_file6_client ineligible URL LOCALPATH           BG_E_RANDOM_ACCESS_NOT_SUPPORTED for a
 *       job not on demand and for a local source; the property's own codes; the DO class's
 *       objects know neither the property nor File6 */
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

#define DIR L"C:\\opendo-tests\\file6\\"
#define POLL_MS 20
#define INTERVAL_MS 300 /* the job's minimum notification interval */
#define MAX_RANGES 64
#define HR_BG_E_INVALID_RANGE ((HRESULT)0x8020002B)
#define HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED ((HRESULT)0x8020006D)
#define HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME ((HRESULT)0x80200062)
#define HR_BG_E_UNKNOWN_PROPERTY_ID ((HRESULT)0x80200057)

static const char *section = "";

/* CHECK_HR as an expression: whether got is want. */
static int expect_hr(HRESULT got, HRESULT want, const char *name)
{
    CHECK_HR(got, want, name);
    return got == want;
}

/* A call that must succeed: its code is printed when it does not. */
static int check_ok(HRESULT hr, const char *name)
{
    if (!check_report(SUCCEEDED(hr), name, __FILE__, __LINE__))
        printf("#   got 0x%08lx\n", (unsigned long)hr);
    return SUCCEEDED(hr);
}

static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("file6", section, fmt, ap);
    va_end(ap);
    return name;
}

/* ---- ranges as text: "off+len,off+len" (decimal) -------------------------------------------------- */

typedef struct ranges {
    BG_FILE_RANGE r[MAX_RANGES];
    DWORD count;
} ranges_t;

static int compare_ranges(const void *a, const void *b)
{
    const BG_FILE_RANGE *x = a, *y = b;
    return x->InitialOffset < y->InitialOffset ? -1 : x->InitialOffset > y->InitialOffset;
}

/* Adds one range, keeping the list sorted and merged (touching ranges join). */
static void ranges_add(ranges_t *set, UINT64 offset, UINT64 length)
{
    if (set->count < MAX_RANGES)
        set->r[set->count++] = (BG_FILE_RANGE){offset, length};
    qsort(set->r, set->count, sizeof *set->r, compare_ranges);
    DWORD out = 0;
    for (DWORD i = 0; i < set->count; i++) {
        BG_FILE_RANGE *last = out ? &set->r[out - 1] : NULL;
        UINT64 end = set->r[i].InitialOffset + set->r[i].Length;
        if (last && set->r[i].InitialOffset <= last->InitialOffset + last->Length) {
            if (end > last->InitialOffset + last->Length)
                last->Length = end - last->InitialOffset;
        } else {
            set->r[out++] = set->r[i];
        }
    }
    set->count = out;
}

static void ranges_text(const BG_FILE_RANGE *r, DWORD count, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (DWORD i = 0; i < count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%llu+%llu", i ? "," : "",
                                 (unsigned long long)r[i].InitialOffset, (unsigned long long)r[i].Length);
}

/* "off:len,off:len" from the command line. */
static DWORD parse_ranges(const char *text, BG_FILE_RANGE *out, DWORD max)
{
    DWORD n = 0;
    unsigned long long o, l;
    int used;
    while (n < max && sscanf(text, "%llu:%llu%n", &o, &l, &used) == 2) {
        out[n++] = (BG_FILE_RANGE){o, l};
        text += used;
        if (*text++ != ',')
            break;
    }
    return n;
}

/* ---- the sink: IBackgroundCopyCallback3, recording FileRangesTransferred ------------------------- */

typedef struct sink {
    IBackgroundCopyCallback3 iface;
    CRITICAL_SECTION lock;
    GUID job;
    ranges_t told;         /* every range reported, merged */
    int calls, foreign, empty;
    DWORD last_ms, min_gap_ms;
} sink_t;

static sink_t *impl(IBackgroundCopyCallback3 *iface)
{
    return (sink_t *)iface;
}

static HRESULT STDMETHODCALLTYPE sink_query_interface(IBackgroundCopyCallback3 *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualIID(riid, &IID_IBackgroundCopyCallback2) || IsEqualIID(riid, &IID_IBackgroundCopyCallback3)) {
        *out = iface;
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE sink_add_ref(IBackgroundCopyCallback3 *iface)
{
    (void)iface;
    return 2; /* the sink lives as long as the process */
}

static ULONG STDMETHODCALLTYPE sink_release(IBackgroundCopyCallback3 *iface)
{
    (void)iface;
    return 1;
}

static HRESULT STDMETHODCALLTYPE sink_job(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job)
{
    (void)iface, (void)job;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_job_error(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                                IBackgroundCopyError *error)
{
    (void)iface, (void)job, (void)error;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_modification(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                                   DWORD reserved)
{
    (void)iface, (void)job, (void)reserved;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_file(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                           IBackgroundCopyFile *file)
{
    (void)iface, (void)job, (void)file;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE sink_file_ranges(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                                  IBackgroundCopyFile *file, DWORD count,
                                                  const BG_FILE_RANGE *ranges)
{
    sink_t *sink = impl(iface);
    GUID id = {0};
    LPWSTR remote = NULL;
    int ours = job && SUCCEEDED(IBackgroundCopyJob_GetId(job, &id)) && IsEqualGUID(&id, &sink->job) &&
               file && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &remote));
    CoTaskMemFree(remote);
    DWORD now = GetTickCount();
    EnterCriticalSection(&sink->lock);
    if (sink->calls && (!sink->min_gap_ms || now - sink->last_ms < sink->min_gap_ms))
        sink->min_gap_ms = now - sink->last_ms;
    sink->last_ms = now;
    sink->calls++;
    sink->foreign += !ours;
    sink->empty += count == 0;
    for (DWORD i = 0; i < count; i++)
        ranges_add(&sink->told, ranges[i].InitialOffset, ranges[i].Length);
    LeaveCriticalSection(&sink->lock);
    return S_OK;
}

static IBackgroundCopyCallback3Vtbl sink_vtbl = {
    sink_query_interface, sink_add_ref, sink_release, sink_job, sink_job_error, sink_modification,
    sink_file, sink_file_ranges,
};

/* ---- helpers -------------------------------------------------------------------------------------- */

static IBackgroundCopyManager *manager(const CLSID *clsid, const char *name)
{
    IBackgroundCopyManager *m = NULL;
    HRESULT hr = CoCreateInstance(clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager, (void **)&m);
    CHECK_HR(hr, S_OK, nm("CoCreateInstance(%s)", name));
    return SUCCEEDED(hr) ? m : NULL;
}

static BG_JOB_STATE state_of(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    IBackgroundCopyJob_GetState(job, &state);
    return state;
}

/* Waits for state (and, when total is not 0, the job's BytesTotal). */
static int wait_state(IBackgroundCopyJob *job, BG_JOB_STATE state, UINT64 total, DWORD timeout_ms)
{
    for (DWORD waited = 0; waited < timeout_ms; waited += POLL_MS) {
        BG_JOB_PROGRESS p = {0};
        IBackgroundCopyJob_GetProgress(job, &p);
        if (state_of(job) == state && (!total || p.BytesTotal == total))
            return 1;
        Sleep(POLL_MS);
    }
    printf("#   state %d, wanted %d\n", (int)state_of(job), (int)state);
    return 0;
}

static IBackgroundCopyFile6 *first_file6(IBackgroundCopyJob *job, HRESULT *qi)
{
    IEnumBackgroundCopyFiles *files = NULL;
    IBackgroundCopyFile *file = NULL;
    IBackgroundCopyFile6 *file6 = NULL;
    *qi = E_FAIL;
    if (SUCCEEDED(IBackgroundCopyJob_EnumFiles(job, &files)) &&
        IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
        *qi = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile6, (void **)&file6);
    if (file)
        IBackgroundCopyFile_Release(file);
    if (files)
        IEnumBackgroundCopyFiles_Release(files);
    return file6;
}

static HRESULT set_on_demand(IBackgroundCopyJob *job, BOOL on)
{
    IBackgroundCopyJob5 *job5 = NULL;
    HRESULT hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    if (SUCCEEDED(hr)) {
        BITS_JOB_PROPERTY_VALUE v = {0};
        v.Enable = on;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, v);
        IBackgroundCopyJob5_Release(job5);
    }
    return hr;
}

static IBackgroundCopyJob *new_job(IBackgroundCopyManager *m, const WCHAR *remote, const WCHAR *local, BOOL on_demand)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(m, L"file6", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    if (SUCCEEDED(hr) && on_demand)
        hr = set_on_demand(job, TRUE);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob_AddFile(job, remote, local);
    if (!check_ok(hr, nm("a job made (on demand: %d)", on_demand)) && job) {
        IBackgroundCopyJob_Release(job);
        job = NULL;
    }
    return job;
}

static int filled_text(IBackgroundCopyFile6 *file6, char *out, size_t size)
{
    DWORD count = 0;
    BG_FILE_RANGE *r = NULL;
    HRESULT hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &r);
    CHECK_HR(hr, S_OK, nm("GetFilledFileRanges"));
    ranges_text(r, count, out, size);
    CoTaskMemFree(r);
    return SUCCEEDED(hr);
}

static WCHAR *widen(const char *text)
{
    static WCHAR buf[4][600];
    static int next;
    WCHAR *w = buf[next++ % 4];
    MultiByteToWideChar(CP_UTF8, 0, text, -1, w, 600);
    return w;
}

/* ---- request ---------------------------------------------------------------------------------------- */

static int cmd_request(const char *url, UINT64 size, const char *ranges_arg)
{
    section = "request";
    BG_FILE_RANGE asked[2];
    if (!CHECK(parse_ranges(ranges_arg, asked, 2) == 2, nm("two ranges given")))
        return 1;
    IBackgroundCopyManager *m = manager(&CLSID_BackgroundCopyManager10_1, "CLSID_BackgroundCopyManager10_1");
    IBackgroundCopyJob *job = m ? new_job(m, widen(url), DIR L"d.bin", TRUE) : NULL;
    if (!job)
        return 1;
    IBackgroundCopyJob5 *job5 = NULL;
    IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    BITS_JOB_PROPERTY_VALUE v = {0};
    CHECK(SUCCEEDED(IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, &v)) && v.Enable,
          nm("GetProperty(ON_DEMAND_MODE) = TRUE"));
    v.Dword = INTERVAL_MS;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, v), S_OK,
             nm("SetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS, %d)", INTERVAL_MS));
    v.Dword = 0;
    CHECK(SUCCEEDED(IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &v)) &&
              v.Dword == INTERVAL_MS,
          nm("GetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS) = %d", INTERVAL_MS));

    static sink_t sink;
    sink.iface.lpVtbl = &sink_vtbl;
    InitializeCriticalSection(&sink.lock);
    IBackgroundCopyJob_GetId(job, &sink.job);
    CHECK_HR(IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&sink.iface), S_OK, nm("SetNotifyInterface"));
    CHECK_HR(IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR |
                                                        BG_NOTIFY_FILE_RANGES_TRANSFERRED),
             S_OK, nm("SetNotifyFlags with BG_NOTIFY_FILE_RANGES_TRANSFERRED"));

    HRESULT qi;
    IBackgroundCopyFile6 *file6 = first_file6(job, &qi);
    if (!expect_hr(qi, S_OK, nm("the file answers IBackgroundCopyFile6")) || !file6)
        return 1;
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_SUSPENDED, size, 30000), nm("the size learned, nothing asked: SUSPENDED"));
    CHECK_HR(set_on_demand(job, FALSE), HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
             nm("ON_DEMAND_MODE after Resume: BG_E_READ_ONLY_PROPERTY_AFTER_RESUME"));

    BG_FILE_RANGE past = {size - 10, 11}, beyond = {size, 1};
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &past), HR_BG_E_INVALID_RANGE,
             nm("a range past the end: BG_E_INVALID_RANGE"));
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &beyond), HR_BG_E_INVALID_RANGE,
             nm("a range after the end: BG_E_INVALID_RANGE"));
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 0, asked), E_INVALIDARG, nm("no ranges: E_INVALIDARG"));
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 2, asked), S_OK, nm("RequestFileRanges(two ranges)"));
    CHECK_HR(IBackgroundCopyFile6_UpdateDownloadPosition(file6, asked[1].InitialOffset), S_OK,
             nm("UpdateDownloadPosition"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume with the ranges pending"));
    CHECK(wait_state(job, BG_JOB_STATE_SUSPENDED, 0, 60000) && state_of(job) == BG_JOB_STATE_SUSPENDED,
          nm("the requested ranges arrived: SUSPENDED"));

    ranges_t want = {0};
    ranges_add(&want, asked[0].InitialOffset, asked[0].Length);
    ranges_add(&want, asked[1].InitialOffset, asked[1].Length);
    char want_text[400], told_text[400];
    ranges_text(want.r, want.count, want_text, sizeof want_text);
    for (DWORD waited = 0; waited < 10000; waited += POLL_MS) { /* the last call may still travel */
        EnterCriticalSection(&sink.lock);
        ranges_text(sink.told.r, sink.told.count, told_text, sizeof told_text);
        LeaveCriticalSection(&sink.lock);
        if (!strcmp(told_text, want_text))
            break;
        Sleep(POLL_MS);
    }
    if (!CHECK(!strcmp(told_text, want_text), nm("FileRangesTransferred reported exactly the requested ranges")))
        printf("#   reported %s, requested %s\n", told_text, want_text);
    EnterCriticalSection(&sink.lock);
    CHECK(sink.calls >= 1 && !sink.foreign && !sink.empty,
          nm("FileRangesTransferred: %d call(s), each with the job, its file and ranges", sink.calls));
    if (sink.calls >= 2 && !CHECK(sink.min_gap_ms + 20 >= INTERVAL_MS,
                                  nm("FileRangesTransferred calls at least the interval apart")))
        printf("#   smallest gap %lu ms\n", (unsigned long)sink.min_gap_ms);
    LeaveCriticalSection(&sink.lock);

    char filled[400];
    ranges_t expect = want;
    ranges_add(&expect, 0, 1); /* the first byte: how the size was learned */
    ranges_text(expect.r, expect.count, want_text, sizeof want_text);
    if (filled_text(file6, filled, sizeof filled) &&
        !CHECK(!strcmp(filled, want_text), nm("GetFilledFileRanges: the ranges (and the first byte), merged")))
        printf("#   filled %s, want %s\n", filled, want_text);
    LPWSTR temp = NULL;
    IBackgroundCopyFile3 *file3 = NULL;
    IBackgroundCopyFile6_QueryInterface(file6, &IID_IBackgroundCopyFile3, (void **)&file3);
    if (file3 && SUCCEEDED(IBackgroundCopyFile3_GetTemporaryName(file3, &temp)))
        printf("TEMP %ls\n", temp);
    CoTaskMemFree(temp);
    WCHAR id_text[40];
    StringFromGUID2(&sink.job, id_text, 40);
    printf("JOB %ls\nFILLED %s\n", id_text, filled);
    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    if (file3)
        IBackgroundCopyFile3_Release(file3);
    IBackgroundCopyFile6_Release(file6);
    IBackgroundCopyJob5_Release(job5);
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(m);
    return 0;
}

/* ---- finish ----------------------------------------------------------------------------------------- */

static int cmd_finish(const char *job_text, UINT64 size, const char *filled_before)
{
    section = "finish";
    GUID id;
    IBackgroundCopyJob *job = NULL;
    IBackgroundCopyManager *m = manager(&CLSID_BackgroundCopyManager10_1, "CLSID_BackgroundCopyManager10_1");
    if (!m || !CHECK(SUCCEEDED(CLSIDFromString(widen(job_text), &id)), nm("job id")) ||
        !check_ok(IBackgroundCopyManager_GetJob(m, &id, &job), nm("GetJob after the restart")))
        return 1;
    HRESULT qi;
    IBackgroundCopyFile6 *file6 = first_file6(job, &qi);
    if (!expect_hr(qi, S_OK, nm("File6 after the restart")) || !file6)
        return 1;
    char filled[400];
    if (filled_text(file6, filled, sizeof filled) &&
        !CHECK(!strcmp(filled, filled_before), nm("the filled ranges survived the restart")))
        printf("#   filled %s, before %s\n", filled, filled_before);
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("still SUSPENDED"));
    BG_FILE_RANGE rest = {0, BG_LENGTH_TO_EOF};
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &rest), S_OK, nm("RequestFileRanges(0, to EOF)"));
    CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, size, 60000), nm("the whole file present: TRANSFERRED"));
    char whole[64];
    snprintf(whole, sizeof whole, "0+%llu", (unsigned long long)size);
    if (filled_text(file6, filled, sizeof filled) && !CHECK(!strcmp(filled, whole), nm("filled: the whole file")))
        printf("#   filled %s\n", filled);
    CHECK_HR(IBackgroundCopyJob_Complete(job), S_OK, nm("Complete"));
    IBackgroundCopyFile6_Release(file6);
    IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(m);
    return 0;
}

/* ---- ineligible jobs --------------------------------------------------------------------------------- */

static void expect_no_random_access(IBackgroundCopyJob *job, const char *what)
{
    HRESULT qi;
    IBackgroundCopyFile6 *file6 = first_file6(job, &qi);
    BG_FILE_RANGE r = {0, 10};
    DWORD count = 1;
    BG_FILE_RANGE *filled = NULL;
    if (!expect_hr(qi, S_OK, nm("%s: the file answers File6", what)) || !file6)
        return;
    CHECK_HR(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &r), HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             nm("%s: RequestFileRanges: BG_E_RANDOM_ACCESS_NOT_SUPPORTED", what));
    CHECK_HR(IBackgroundCopyFile6_UpdateDownloadPosition(file6, 5), HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             nm("%s: UpdateDownloadPosition: BG_E_RANDOM_ACCESS_NOT_SUPPORTED", what));
    CHECK(IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &filled) == HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED &&
              count == 0 && !filled,
          nm("%s: GetFilledFileRanges: BG_E_RANDOM_ACCESS_NOT_SUPPORTED, nothing returned", what));
    IBackgroundCopyFile6_Release(file6);
}

static int cmd_ineligible(const char *url, const char *local_source)
{
    section = "ineligible";
    IBackgroundCopyManager *bits = manager(&CLSID_BackgroundCopyManager, "CLSID_BackgroundCopyManager");
    IBackgroundCopyManager *dom = manager(&CLSID_DeliveryOptimization, "CLSID_DeliveryOptimization");
    if (!bits || !dom)
        return 1;
    IBackgroundCopyJob *plain = new_job(bits, widen(url), DIR L"plain.bin", FALSE);
    IBackgroundCopyJob *local = new_job(bits, widen(local_source), DIR L"local.bin", TRUE);
    if (plain)
        expect_no_random_access(plain, "a job not on demand");
    if (local)
        expect_no_random_access(local, "a local source");

    GUID id;
    IBackgroundCopyJob *dojob = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(dom, L"do", BG_JOB_TYPE_DOWNLOAD, &id, &dojob);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob_AddFile(dojob, widen(url), DIR L"do.bin");
    if (expect_hr(hr, S_OK, nm("a job of the DO class"))) {
        CHECK_HR(set_on_demand(dojob, TRUE), DO_E_UNKNOWN_PROPERTY_ID, nm("DO class: ON_DEMAND_MODE unknown"));
        CHECK_HR(IBackgroundCopyJob_SetNotifyFlags(dojob, BG_NOTIFY_FILE_RANGES_TRANSFERRED), E_NOTIMPL,
                 nm("DO class: BG_NOTIFY_FILE_RANGES_TRANSFERRED refused"));
        HRESULT qi;
        IBackgroundCopyFile6 *file6 = first_file6(dojob, &qi);
        CHECK(qi == E_NOINTERFACE && !file6, nm("DO class: the file does not answer IBackgroundCopyFile6"));
        IBackgroundCopyJob_Cancel(dojob);
        IBackgroundCopyJob_Release(dojob);
    }
    IBackgroundCopyJob *made[] = {plain, local};
    for (size_t i = 0; i < ARRAYSIZE(made); i++) {
        if (made[i]) {
            IBackgroundCopyJob_Cancel(made[i]);
            IBackgroundCopyJob_Release(made[i]);
        }
    }
    IBackgroundCopyManager_Release(dom);
    IBackgroundCopyManager_Release(bits);
    return 0;
}

int wmain(int argc, wchar_t **wargv)
{
    static char args[5][600];
    char *argv[5] = {0};
    for (int i = 0; i < argc && i < 5; i++) {
        WideCharToMultiByte(CP_UTF8, 0, wargv[i], -1, args[i], sizeof args[i], NULL, NULL);
        argv[i] = args[i];
    }
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    int rc = 2;
    if (argc == 5 && !strcmp(argv[1], "request"))
        rc = cmd_request(argv[2], _strtoui64(argv[3], NULL, 10), argv[4]);
    else if (argc == 5 && !strcmp(argv[1], "finish"))
        rc = cmd_finish(argv[2], _strtoui64(argv[3], NULL, 10), argv[4]);
    else if (argc == 4 && !strcmp(argv[1], "ineligible"))
        rc = cmd_ineligible(argv[2], argv[3]);
    else
        fprintf(stderr, "usage: see tests/e2e/bits_file6_client.c\n");
    CoUninitialize();
    fflush(stdout);
    return rc ? rc : CHECK_EXIT_CODE();
}
