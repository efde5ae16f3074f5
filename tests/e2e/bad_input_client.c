/* End-to-end client for tests/e2e/bad_input.sh: every method of every interface of the DO API
 * driven through DCOM (doproxy.dll) with bad input (NULL pointers, empty and over-long strings,
 * invalid enum values, GUIDs, URLs, local paths and ranges) and in every state the service can
 * reach (SUSPENDED with and without files, a file without a download sink, resumed and settled
 * in TRANSIENT_ERROR (its URL is unreachable), CANCELLED, ACKNOWLEDGED). The cases are one table: method, what is wrong, a one-line case function and the
 * documented HRESULT (jobs.h, doerrors.h, docs/spec). Each case prints
 * "ok - bad input: <method> <what> -> 0x%08lx" (tests/check.h), and the run ends with
 * "# bad-input cases: N". Usage: bad_input_client COMMAND [ARGS]
 *   refs           creates the two reference jobs (known values, files, ranges, credentials; one
 *                  SUSPENDED, one resumed and settled in TRANSIENT_ERROR); prints "JOB {GUID}" for each
 *   snapshot       a canonical text dump of every job the caller can enumerate (every getter,
 *                  times and files with names, ranges and properties included), sorted by id
 *   run [FILTER]   the bad-input cases (only those whose method or description contains FILTER,
 *                  and the final checks); every job it creates is cancelled at the end
 *   alive          CreateJob + GetJob + Cancel still work
 *   cleanup {GUID}...  cancels the reference jobs
 * Local names live in C:\opendo-tests\bad-input\, which the script creates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define LOCAL_DIR L"C:\\opendo-tests\\bad-input\\"
#define REMOTE L"http://127.0.0.1:1/bad-input/x.bin"

/* Codes that are not DO_E_* (doerrors.h). */
#define HR_NULL_REF HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER)            /* 0x800706F4: proxy */
#define HR_ENUM_RANGE HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE)   /* 0x800706F5: proxy */
#define HR_INVALID_TAG HRESULT_FROM_WIN32(RPC_S_INVALID_TAG)              /* 0x800706C6: proxy */
#define HR_MID_NOT_FOUND HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND)       /* 0x8007013D */
#define HR_E_NOT_SET HRESULT_FROM_WIN32(ERROR_NOT_FOUND)                  /* 0x80070490 */
#define BG_E_PROXY_LIST_TOO_LARGE ((HRESULT)0x80200018)
#define BG_E_PROXY_BYPASS_LIST_TOO_LARGE ((HRESULT)0x80200019)
#define BG_E_INVALID_AUTH_TARGET ((HRESULT)0x80200027)
#define BG_E_INVALID_AUTH_SCHEME ((HRESULT)0x80200028)
#define BG_E_INVALID_PROXY_INFO ((HRESULT)0x8020003F)
#define BG_E_INVALID_CREDENTIALS ((HRESULT)0x80200040)

/* ---- a growing text buffer (the snapshot) ------------------------------------------------------ */

typedef struct dstr {
    char *p;
    size_t n, cap;
} dstr_t;

static void ds_printf(dstr_t *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return;
    if (d->n + (size_t)need + 1 > d->cap) {
        size_t cap = (d->cap ? d->cap * 2 : 4096) + (size_t)need;
        char *p = realloc(d->p, cap);
        if (!p)
            return;
        d->p = p, d->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(d->p + d->n, d->cap - d->n, fmt, ap);
    va_end(ap);
    d->n += (size_t)need;
}

/* A wide string, quoted: printable ASCII as is (" and \ escaped), everything else as \uXXXX. */
static void ds_wstr(dstr_t *d, const WCHAR *s)
{
    if (!s) {
        ds_printf(d, "(null)");
        return;
    }
    ds_printf(d, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ds_printf(d, "\\%c", (char)*s);
        else if (*s >= 0x20 && *s < 0x7F)
            ds_printf(d, "%c", (char)*s);
        else
            ds_printf(d, "\\u%04x", (unsigned)*s);
    }
    ds_printf(d, "\"");
}

static void ds_guid(dstr_t *d, const GUID *g)
{
    WCHAR text[40];
    StringFromGUID2(g, text, 40);
    ds_printf(d, "%ls", text);
}

static uint64_t ft64(FILETIME ft)
{
    return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

/* ---- the canonical dump of one job ------------------------------------------------------------- */

#define HRX(hr) ((unsigned long)(uint32_t)(hr))

static void dump_variant(dstr_t *d, const VARIANT *v)
{
    switch (V_VT(v)) {
    case VT_EMPTY: ds_printf(d, "VT_EMPTY"); break;
    case VT_BSTR: ds_printf(d, "VT_BSTR "); ds_wstr(d, V_BSTR(v)); break;
    case VT_BOOL: ds_printf(d, "VT_BOOL %d", V_BOOL(v) ? 1 : 0); break;
    case VT_UI8: ds_printf(d, "VT_UI8 %llu", (unsigned long long)V_UI8(v)); break;
    default: ds_printf(d, "VT %u", (unsigned)V_VT(v)); break;
    }
}

static void dump_file(dstr_t *d, ULONG index, IBackgroundCopyFile *file)
{
    IBackgroundCopyFile5 *f = NULL;
    IDeliveryOptimizationFile *df = NULL;
    IDeliveryOptimizationFile2 *df2 = NULL;
    HRESULT hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile5, (void **)&f);
    ds_printf(d, "  file %lu: QI(File5) 0x%08lx\n", (unsigned long)index, HRX(hr));
    if (FAILED(hr))
        return;
    LPWSTR s = NULL;
    hr = IBackgroundCopyFile5_GetRemoteName(f, &s);
    ds_printf(d, "    remote name 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    hr = IBackgroundCopyFile5_GetLocalName(f, &s);
    ds_printf(d, "    local name 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    hr = IBackgroundCopyFile5_GetTemporaryName(f, &s);
    ds_printf(d, "    temporary name 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    BG_FILE_PROGRESS fp;
    memset(&fp, 0, sizeof fp);
    hr = IBackgroundCopyFile5_GetProgress(f, &fp);
    ds_printf(d, "    progress 0x%08lx total %llu transferred %llu completed %d\n", HRX(hr),
              (unsigned long long)fp.BytesTotal, (unsigned long long)fp.BytesTransferred, fp.Completed);
    DWORD count = 0;
    BG_FILE_RANGE *ranges = NULL;
    hr = IBackgroundCopyFile5_GetFileRanges(f, &count, &ranges);
    ds_printf(d, "    ranges 0x%08lx count %lu", HRX(hr), (unsigned long)count);
    for (DWORD i = 0; ranges && i < count; i++)
        ds_printf(d, " (%llu,%llu)", (unsigned long long)ranges[i].InitialOffset,
                  (unsigned long long)ranges[i].Length);
    ds_printf(d, "\n");
    CoTaskMemFree(ranges);
    BOOL b = 2;
    hr = IBackgroundCopyFile5_GetValidationState(f, &b);
    ds_printf(d, "    validation state 0x%08lx %d\n", HRX(hr), b);
    b = 2;
    hr = IBackgroundCopyFile5_IsDownloadedFromPeer(f, &b);
    ds_printf(d, "    downloaded from peer 0x%08lx %d\n", HRX(hr), b);
    UINT64 origin = 0, peers = 0;
    hr = IBackgroundCopyFile5_GetPeerDownloadStats(f, &origin, &peers);
    ds_printf(d, "    peer download stats 0x%08lx %llu %llu\n", HRX(hr), (unsigned long long)origin,
              (unsigned long long)peers);
    BITS_FILE_PROPERTY_VALUE pv;
    pv.String = NULL;
    hr = IBackgroundCopyFile5_GetProperty(f, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &pv);
    ds_printf(d, "    response headers 0x%08lx ", HRX(hr)), ds_wstr(d, pv.String), ds_printf(d, "\n");
    CoTaskMemFree(pv.String);
    hr = IBackgroundCopyFile5_QueryInterface(f, &IID_IDeliveryOptimizationFile, (void **)&df);
    if (SUCCEEDED(hr)) {
        DOSwarmStats st;
        memset(&st, 0, sizeof st);
        hr = IDeliveryOptimizationFile_GetStats(df, &st);
        ds_printf(d, "    stats 0x%08lx fileId ", HRX(hr)), ds_wstr(d, st.fileId);
        ds_printf(d, " sourceURL "), ds_wstr(d, st.sourceURL);
        ds_printf(d, " size %llu downloaded %llu http %llu lan %llu group %llu internet %llu doinc %llu"
                     " up %llu/%llu/%llu conns %u/%u/%u/%u/%u duration %u mode %d status %d background %d\n",
                  (unsigned long long)st.fileSize, (unsigned long long)st.totalBytesDownloaded,
                  (unsigned long long)st.bytesFromHttp, (unsigned long long)st.bytesFromLanPeers,
                  (unsigned long long)st.bytesFromGroupPeers, (unsigned long long)st.bytesFromInternetPeers,
                  (unsigned long long)st.bytesFromDoinc, (unsigned long long)st.bytesToLanPeers,
                  (unsigned long long)st.bytesToGroupPeers, (unsigned long long)st.bytesToInternetPeers,
                  st.httpConnectionCount, st.doincConnectionCount, st.lanConnectionCount,
                  st.groupConnectionCount, st.internetConnectionCount, st.downloadDuration,
                  (int)st.downloadMode, (int)st.status, st.isBackground);
        CoTaskMemFree(st.fileId);
        CoTaskMemFree(st.sourceURL);
        IDeliveryOptimizationFile_Release(df);
    } else {
        ds_printf(d, "    QI(IDeliveryOptimizationFile) 0x%08lx\n", HRX(hr));
    }
    hr = IBackgroundCopyFile5_QueryInterface(f, &IID_IDeliveryOptimizationFile2, (void **)&df2);
    if (SUCCEEDED(hr)) {
        for (int id = DOFilePropertyId_DecryptionInfo; id <= DOFilePropertyId_TotalSizeBytes; id++) {
            VARIANT v;
            VariantInit(&v);
            hr = IDeliveryOptimizationFile2_GetProperty(df2, (DOFilePropertyId)id, &v);
            ds_printf(d, "    DO file property %d 0x%08lx ", id, HRX(hr)), dump_variant(d, &v), ds_printf(d, "\n");
            VariantClear(&v);
        }
        IDeliveryOptimizationFile2_Release(df2);
    } else {
        ds_printf(d, "    QI(IDeliveryOptimizationFile2) 0x%08lx\n", HRX(hr));
    }
    IBackgroundCopyFile5_Release(f);
}

/* Every getter of IBackgroundCopyJob..Job5 and IDeliveryOptimizationJob2, and every file. */
static void dump_job(dstr_t *d, IBackgroundCopyJob5 *j)
{
    HRESULT hr;
    GUID id = GUID_NULL;
    hr = IBackgroundCopyJob5_GetId(j, &id);
    ds_printf(d, "job "), ds_guid(d, &id), ds_printf(d, " (GetId 0x%08lx)\n", HRX(hr));
    BG_JOB_TYPE type = (BG_JOB_TYPE)-1;
    hr = IBackgroundCopyJob5_GetType(j, &type);
    ds_printf(d, "  type 0x%08lx %d\n", HRX(hr), (int)type);
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    hr = IBackgroundCopyJob5_GetState(j, &state);
    ds_printf(d, "  state 0x%08lx %d\n", HRX(hr), (int)state);
    BG_JOB_PROGRESS jp;
    memset(&jp, 0, sizeof jp);
    hr = IBackgroundCopyJob5_GetProgress(j, &jp);
    ds_printf(d, "  progress 0x%08lx bytes %llu/%llu files %lu/%lu\n", HRX(hr),
              (unsigned long long)jp.BytesTransferred, (unsigned long long)jp.BytesTotal,
              (unsigned long)jp.FilesTransferred, (unsigned long)jp.FilesTotal);
    BG_JOB_TIMES jt;
    memset(&jt, 0, sizeof jt);
    hr = IBackgroundCopyJob5_GetTimes(j, &jt);
    ds_printf(d, "  times 0x%08lx creation %llx modification %llx completion %llx\n", HRX(hr),
              (unsigned long long)ft64(jt.CreationTime), (unsigned long long)ft64(jt.ModificationTime),
              (unsigned long long)ft64(jt.TransferCompletionTime));
    IBackgroundCopyError *err = NULL;
    hr = IBackgroundCopyJob5_GetError(j, &err);
    ds_printf(d, "  error 0x%08lx %s\n", HRX(hr), err ? "object" : "none");
    if (err)
        IBackgroundCopyError_Release(err);
    LPWSTR s = NULL, s2 = NULL;
    hr = IBackgroundCopyJob5_GetOwner(j, &s);
    ds_printf(d, "  owner 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    hr = IBackgroundCopyJob5_GetDisplayName(j, &s);
    ds_printf(d, "  display name 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    hr = IBackgroundCopyJob5_GetDescription(j, &s);
    ds_printf(d, "  description 0x%08lx ", HRX(hr)), ds_wstr(d, s), ds_printf(d, "\n"), CoTaskMemFree(s), s = NULL;
    BG_JOB_PRIORITY priority = (BG_JOB_PRIORITY)-1;
    hr = IBackgroundCopyJob5_GetPriority(j, &priority);
    ds_printf(d, "  priority 0x%08lx %d\n", HRX(hr), (int)priority);
    ULONG u = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetNotifyFlags(j, &u);
    ds_printf(d, "  notify flags 0x%08lx 0x%lx\n", HRX(hr), (unsigned long)u);
    IUnknown *sink = NULL;
    hr = IBackgroundCopyJob5_GetNotifyInterface(j, &sink);
    ds_printf(d, "  notify interface 0x%08lx %s\n", HRX(hr), sink ? "set" : "none");
    if (sink)
        IUnknown_Release(sink);
    u = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetMinimumRetryDelay(j, &u);
    ds_printf(d, "  minimum retry delay 0x%08lx %lu\n", HRX(hr), (unsigned long)u);
    u = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetNoProgressTimeout(j, &u);
    ds_printf(d, "  no-progress timeout 0x%08lx %lu\n", HRX(hr), (unsigned long)u);
    u = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetErrorCount(j, &u);
    ds_printf(d, "  error count 0x%08lx %lu\n", HRX(hr), (unsigned long)u);
    BG_JOB_PROXY_USAGE usage = (BG_JOB_PROXY_USAGE)-1;
    hr = IBackgroundCopyJob5_GetProxySettings(j, &usage, &s, &s2);
    ds_printf(d, "  proxy 0x%08lx usage %d list ", HRX(hr), (int)usage), ds_wstr(d, s);
    ds_printf(d, " bypass "), ds_wstr(d, s2), ds_printf(d, "\n");
    CoTaskMemFree(s), CoTaskMemFree(s2), s = s2 = NULL;
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(j, &s, &s2);
    ds_printf(d, "  notify command line 0x%08lx program ", HRX(hr)), ds_wstr(d, s);
    ds_printf(d, " parameters "), ds_wstr(d, s2), ds_printf(d, "\n");
    CoTaskMemFree(s), CoTaskMemFree(s2), s = s2 = NULL;
    DWORD dw = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetFileACLFlags(j, &dw);
    ds_printf(d, "  file ACL flags 0x%08lx 0x%lx\n", HRX(hr), (unsigned long)dw);
    dw = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetPeerCachingFlags(j, &dw);
    ds_printf(d, "  peer caching flags 0x%08lx 0x%lx\n", HRX(hr), (unsigned long)dw);
    u = 0xdeadbeef;
    hr = IBackgroundCopyJob5_GetMaximumDownloadTime(j, &u);
    ds_printf(d, "  maximum download time 0x%08lx %lu\n", HRX(hr), (unsigned long)u);
    BITS_JOB_PROPERTY_VALUE pv;
    memset(&pv, 0, sizeof pv);
    hr = IBackgroundCopyJob5_GetProperty(j, BITS_JOB_PROPERTY_ID_COST_FLAGS, &pv);
    ds_printf(d, "  cost flags 0x%08lx 0x%lx\n", HRX(hr), (unsigned long)pv.Dword);
    memset(&pv, 0, sizeof pv);
    hr = IBackgroundCopyJob5_GetProperty(j, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &pv);
    ds_printf(d, "  notification CLSID 0x%08lx ", HRX(hr)), ds_guid(d, &pv.ClsID), ds_printf(d, "\n");
    IDeliveryOptimizationJob2 *dj2 = NULL;
    hr = IBackgroundCopyJob5_QueryInterface(j, &IID_IDeliveryOptimizationJob2, (void **)&dj2);
    if (SUCCEEDED(hr)) {
        VARIANT v;
        VariantInit(&v);
        hr = IDeliveryOptimizationJob2_GetProperty(dj2, DOJobPropertyId_ExtendedErrorInfo, &v);
        ds_printf(d, "  extended error info 0x%08lx ", HRX(hr)), dump_variant(d, &v), ds_printf(d, "\n");
        VariantClear(&v);
        IDeliveryOptimizationJob2_Release(dj2);
    } else {
        ds_printf(d, "  QI(IDeliveryOptimizationJob2) 0x%08lx\n", HRX(hr));
    }
    IEnumBackgroundCopyFiles *e = NULL;
    hr = IBackgroundCopyJob5_EnumFiles(j, &e);
    ULONG count = 0;
    if (e)
        IEnumBackgroundCopyFiles_GetCount(e, &count);
    ds_printf(d, "  files 0x%08lx %lu\n", HRX(hr), (unsigned long)count);
    for (ULONG i = 0; e && i < count; i++) {
        IBackgroundCopyFile *file = NULL;
        ULONG fetched = 0;
        hr = IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched);
        if (hr != S_OK || !file) {
            ds_printf(d, "  file %lu: Next 0x%08lx\n", (unsigned long)i, HRX(hr));
            break;
        }
        dump_file(d, i, file);
        IBackgroundCopyFile_Release(file);
    }
    if (e)
        IEnumBackgroundCopyFiles_Release(e);
}

static IBackgroundCopyJob5 *as_job5(IBackgroundCopyJob *job)
{
    IBackgroundCopyJob5 *job5 = NULL;
    if (job && FAILED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5)))
        job5 = NULL;
    return job5;
}

typedef struct listed {
    WCHAR key[40];
    IBackgroundCopyJob5 *job;
} listed_t;

static int compare_listed(const void *a, const void *b)
{
    return wcscmp(((const listed_t *)a)->key, ((const listed_t *)b)->key);
}

/* Every job the caller can enumerate (all users when allowed), sorted by id. */
static int dump_all(IBackgroundCopyManager *manager, dstr_t *d)
{
    IEnumBackgroundCopyJobs *e = NULL;
    HRESULT hr = IBackgroundCopyManager_EnumJobs(manager, BG_JOB_ENUM_ALL_USERS, &e);
    if (FAILED(hr))
        hr = IBackgroundCopyManager_EnumJobs(manager, 0, &e);
    if (FAILED(hr)) {
        ds_printf(d, "EnumJobs 0x%08lx\n", HRX(hr));
        return 0;
    }
    ULONG count = 0;
    IEnumBackgroundCopyJobs_GetCount(e, &count);
    listed_t *list = calloc(count ? count : 1, sizeof *list);
    ULONG n = 0;
    IBackgroundCopyJob *job;
    ULONG fetched = 0;
    while (list && n < count && IEnumBackgroundCopyJobs_Next(e, 1, &job, &fetched) == S_OK && fetched == 1) {
        GUID id = GUID_NULL;
        IBackgroundCopyJob_GetId(job, &id);
        StringFromGUID2(&id, list[n].key, 40);
        list[n].job = as_job5(job);
        IBackgroundCopyJob_Release(job);
        n++;
    }
    IEnumBackgroundCopyJobs_Release(e);
    qsort(list, n, sizeof *list, compare_listed);
    ds_printf(d, "jobs %lu\n", (unsigned long)n);
    for (ULONG i = 0; i < n; i++) {
        if (list[i].job) {
            dump_job(d, list[i].job);
            IBackgroundCopyJob5_Release(list[i].job);
        } else {
            ds_printf(d, "job %ls: no IBackgroundCopyJob5\n", list[i].key);
        }
    }
    free(list);
    return 1;
}

static int dump_one(IBackgroundCopyJob5 *job, dstr_t *d)
{
    d->n = 0;
    if (d->p)
        d->p[0] = 0;
    dump_job(d, job);
    return d->p != NULL;
}

/* ---- helpers ----------------------------------------------------------------------------------- */

static IBackgroundCopyManager *connect_manager(void)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr)) /* quiet on success: the snapshot output is compared as a whole */
        CHECK_HR(hr, S_OK, "bad input: CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER)");
    return SUCCEEDED(hr) ? manager : NULL;
}

static const WCHAR *local_name(const WCHAR *file)
{
    static WCHAR bufs[8][MAX_PATH];
    static int next;
    WCHAR *buf = bufs[next++ % 8];
    _snwprintf(buf, MAX_PATH, L"%ls%ls", LOCAL_DIR, file);
    buf[MAX_PATH - 1] = 0;
    return buf;
}

/* A setup step: silent when it works, a "not ok - bad input: setup: ..." line when it does not
 * (setup steps are not cases). */
static int setup_ok(HRESULT hr, const char *what)
{
    char name[300];
    snprintf(name, sizeof name, "bad input: setup: %s", what);
    if (FAILED(hr))
        CHECK_HR(hr, S_OK, name);
    return SUCCEEDED(hr);
}

static IBackgroundCopyJob5 *new_job(IBackgroundCopyManager *m, const WCHAR *name, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    GUID dummy;
    HRESULT hr = IBackgroundCopyManager_CreateJob(m, name, BG_JOB_TYPE_DOWNLOAD, id ? id : &dummy, &job);
    char what[300];
    dstr_t quoted = {0};
    ds_wstr(&quoted, name); /* ASCII only: non-ASCII as \uXXXX */
    snprintf(what, sizeof what, "CreateJob(%s)", quoted.p ? quoted.p : "?");
    free(quoted.p);
    if (!setup_ok(hr, what))
        return NULL;
    IBackgroundCopyJob5 *job5 = as_job5(job);
    IBackgroundCopyJob_Release(job);
    setup_ok(job5 ? S_OK : E_NOINTERFACE, "QueryInterface(IBackgroundCopyJob5)");
    return job5;
}

/* File 0 of a job, as File5 (and its DO interfaces). */
static int first_file(IBackgroundCopyJob5 *job, IBackgroundCopyFile5 **f, IDeliveryOptimizationFile **df,
                      IDeliveryOptimizationFile2 **df2, IEnumBackgroundCopyFiles **keep_enum)
{
    IEnumBackgroundCopyFiles *e = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    HRESULT hr = IBackgroundCopyJob5_EnumFiles(job, &e);
    if (SUCCEEDED(hr))
        hr = IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched);
    if (hr == S_OK)
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile5, (void **)f);
    if (SUCCEEDED(hr) && df)
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IDeliveryOptimizationFile, (void **)df);
    if (SUCCEEDED(hr) && df2)
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IDeliveryOptimizationFile2, (void **)df2);
    if (file)
        IBackgroundCopyFile_Release(file);
    if (e && keep_enum && SUCCEEDED(hr)) {
        IEnumBackgroundCopyFiles_Reset(e);
        *keep_enum = e;
    } else if (e) {
        IEnumBackgroundCopyFiles_Release(e);
    }
    return setup_ok(hr == S_FALSE ? E_FAIL : hr, "the job's first file object (EnumFiles, Next, QueryInterface)");
}

/* ---- the context of the cases ------------------------------------------------------------------- */

typedef struct outs {
    LPWSTR s1, s2;
    ULONG u;
    DWORD dw;
    BOOL b;
    UINT64 q1, q2;
    GUID g;
    BG_JOB_TYPE type;
    BG_JOB_STATE state;
    BG_JOB_PRIORITY priority;
    BG_JOB_PROXY_USAGE usage;
    BG_JOB_PROGRESS jp;
    BG_JOB_TIMES jt;
    BG_FILE_PROGRESS fp;
    BG_JOB_REPLY_PROGRESS rp;
    BITS_JOB_PROPERTY_VALUE jpv;
    BITS_FILE_PROPERTY_VALUE fpv;
    DOSwarmStats stats;
    VARIANT v;
    BG_FILE_RANGE *ranges;
    byte *buffer;
    IBackgroundCopyJob *job;
    IBackgroundCopyJob *jobs[2];
    IBackgroundCopyFile *files[2];
    IBackgroundCopyError *err;
    IUnknown *unk;
    void *obj;
    IEnumBackgroundCopyJobs *ej;
    IEnumBackgroundCopyFiles *ef;
} outs_t;

typedef struct ctx {
    IBackgroundCopyManager *m;
    /* SUSPENDED, one file (the bad-argument cases run on it; it must stay unchanged) */
    IBackgroundCopyJob5 *susp;
    IDeliveryOptimizationJob *susp_do;
    IDeliveryOptimizationJob2 *susp_do2;
    IBackgroundCopyFile5 *file;
    IDeliveryOptimizationFile *dofile;
    IDeliveryOptimizationFile2 *dofile2;
    IEnumBackgroundCopyFiles *efiles;
    IEnumBackgroundCopyJobs *ejobs;
    IBackgroundCopyJob5 *empty;  /* SUSPENDED, no files */
    IBackgroundCopyJob5 *scratch; /* SUSPENDED, no files: calls that may wrongly run in the service */
    IDeliveryOptimizationJob2 *scratch_do2;
    IBackgroundCopyJob5 *nosink; /* SUSPENDED, one DO file without a local name */
    IBackgroundCopyJob5 *queued; /* resumed, one file: settled in TRANSIENT_ERROR */
    IDeliveryOptimizationFile2 *queued_dofile2;
    /* job objects (and file objects) of jobs made final while the objects existed */
    IBackgroundCopyJob5 *cancelled, *acked;
    IDeliveryOptimizationJob *cancelled_do, *acked_do;
    IDeliveryOptimizationJob2 *cancelled_do2, *acked_do2;
    IBackgroundCopyFile5 *cancelled_file, *acked_file;
    IDeliveryOptimizationFile *cancelled_dofile, *acked_dofile;
    IDeliveryOptimizationFile2 *cancelled_dofile2, *acked_dofile2;
    GUID cancelled_id, acked_id;
    /* values */
    BG_FILE_INFO good_info[1], bad_set[2], null_remote_set[1], null_local_set[1];
    BG_AUTH_CREDENTIALS cred;
    BSTR bstr;
    WCHAR local_good[MAX_PATH], local_good2[MAX_PATH];
    dstr_t before_susp, before_empty, before_nosink, before_scratch;
    outs_t o;
} ctx_t;

static void outs_clear(outs_t *o)
{
    CoTaskMemFree(o->s1);
    CoTaskMemFree(o->s2);
    CoTaskMemFree(o->fpv.String);
    CoTaskMemFree(o->stats.fileId);
    CoTaskMemFree(o->stats.sourceURL);
    CoTaskMemFree(o->ranges);
    CoTaskMemFree(o->buffer);
    VariantClear(&o->v);
    if (o->job)
        IBackgroundCopyJob_Release(o->job);
    for (int i = 0; i < 2; i++) {
        if (o->jobs[i])
            IBackgroundCopyJob_Release(o->jobs[i]);
        if (o->files[i])
            IBackgroundCopyFile_Release(o->files[i]);
    }
    if (o->err)
        IBackgroundCopyError_Release(o->err);
    if (o->unk)
        IUnknown_Release(o->unk);
    if (o->obj)
        IUnknown_Release((IUnknown *)o->obj);
    if (o->ej)
        IEnumBackgroundCopyJobs_Release(o->ej);
    if (o->ef)
        IEnumBackgroundCopyFiles_Release(o->ef);
    memset(o, 0, sizeof *o);
}

/* ---- bad values --------------------------------------------------------------------------------- */

static WCHAR name257[258], desc1025[1026], url2201[2202], local261[262], prog261[262];
static WCHAR params4001[4002], user301[302], prefix2201[2202];
static WCHAR *proxy32768;
static const WCHAR lone_surrogate[] = {L'b', L'a', L'd', L' ', 0xD800, L'!', 0};
static const GUID random_guid = {0x3f2504e0, 0x4f89, 0x41d3, {0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01}};
static const GUID some_clsid = {0x0a1b2c3d, 0x4e5f, 0x4a6b, {0x8c, 0x9d, 0xae, 0xbf, 0xc0, 0xd1, 0xe2, 0xf3}};

static void fill(WCHAR *out, const WCHAR *prefix, WCHAR c, size_t total)
{
    size_t n = wcslen(prefix);
    wcscpy(out, prefix);
    for (size_t i = n; i < total; i++)
        out[i] = c;
    out[total] = 0;
}

static void make_values(void)
{
    fill(name257, L"", L'n', 257);
    fill(desc1025, L"", L'd', 1025);
    fill(url2201, L"http://127.0.0.1:1/", L'u', 2201);
    fill(prefix2201, L"http://127.0.0.1:2/", L'p', 2201);
    fill(local261, LOCAL_DIR, L'l', 261);
    fill(prog261, L"C:\\", L'p', 261);
    fill(params4001, L"", L'a', 4001);
    fill(user301, L"", L'u', 301);
    proxy32768 = malloc(32769 * sizeof(WCHAR));
    if (proxy32768)
        fill(proxy32768, L"", L'x', 32768);
}

/* ---- the case functions --------------------------------------------------------------------------- */

typedef HRESULT (*case_fn)(ctx_t *c);
typedef struct bad_case {
    const char *method, *what;
    case_fn fn;
    HRESULT want;
} bad_case_t;

#define CASE(fn, expr) \
    static HRESULT fn(ctx_t *c) { (void)c; return (expr); }

/* Short names for the objects. */
#define M c->m
#define J c->susp
#define O (&c->o)

/* Calls with ranges (arrays are static: the table has one-liners). */
static BG_FILE_RANGE r_ok[1] = {{0, 10}};
static BG_FILE_RANGE r_offset_eof[1] = {{BG_LENGTH_TO_EOF, 10}};
static BG_FILE_RANGE r_zero_length[1] = {{100, 0}};
static BG_FILE_RANGE r_overlap[2] = {{0, 10}, {5, 10}};
static BG_FILE_RANGE r_same_offset[2] = {{100, 5}, {100, 0}};
static BG_FILE_RANGE r_after_eof[2] = {{0, 10}, {BG_LENGTH_TO_EOF - 1, BG_LENGTH_TO_EOF}};
static BG_FILE_RANGE r_wrap[1] = {{10, BG_LENGTH_TO_EOF - 5}};
static BG_FILE_RANGE r_past_size[1] = {{200, 10}};
static BG_FILE_RANGE r_eof_then_more[2] = {{0, BG_LENGTH_TO_EOF}, {100, 10}};

static HRESULT job3_ranges(ctx_t *c, DWORD n, BG_FILE_RANGE *r)
{
    return IBackgroundCopyJob5_AddFileWithRanges(c->susp, REMOTE, c->local_good, n, r);
}
static HRESULT do_ranges(ctx_t *c, DWORD n, BG_FILE_RANGE *r, UINT64 size)
{
    return IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"bad-input-id", REMOTE, c->local_good, n, r, size);
}
static HRESULT add_file(ctx_t *c, const WCHAR *remote, const WCHAR *local)
{
    return IBackgroundCopyJob5_AddFile(c->susp, remote, local);
}
static HRESULT set_creds(ctx_t *c, int target, int scheme, LPWSTR user)
{
    BG_AUTH_CREDENTIALS cred;
    memset(&cred, 0, sizeof cred);
    cred.Target = (BG_AUTH_TARGET)target;
    cred.Scheme = (BG_AUTH_SCHEME)scheme;
    if (scheme >= BG_AUTH_SCHEME_BASIC && scheme <= BG_AUTH_SCHEME_PASSPORT) {
        cred.Credentials.Basic.UserName = user;
        cred.Credentials.Basic.Password = (LPWSTR)L"secret";
    }
    return IBackgroundCopyJob5_SetCredentials(c->susp, &cred);
}
static HRESULT job5_set(ctx_t *c, int id)
{
    BITS_JOB_PROPERTY_VALUE v;
    memset(&v, 0, sizeof v);
    return IBackgroundCopyJob5_SetProperty(c->susp, (BITS_JOB_PROPERTY_ID)id, v);
}
static HRESULT file5_set(IBackgroundCopyFile5 *f, int id, const WCHAR *text)
{
    BITS_FILE_PROPERTY_VALUE v;
    v.String = (LPWSTR)text;
    return IBackgroundCopyFile5_SetProperty(f, (BITS_FILE_PROPERTY_ID)id, v);
}
static HRESULT job2_set(IDeliveryOptimizationJob2 *j, int id, ctx_t *c)
{
    VARIANT v;
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = c->bstr;
    return IDeliveryOptimizationJob2_SetProperty(j, (DOJobPropertyId)id, &v);
}
static HRESULT file2_set_bstr(IDeliveryOptimizationFile2 *f, int id, const WCHAR *text)
{
    VARIANT v;
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(text);
    HRESULT hr = IDeliveryOptimizationFile2_SetProperty(f, (DOFilePropertyId)id, &v);
    VariantClear(&v);
    return hr;
}
static HRESULT file2_set_vt(IDeliveryOptimizationFile2 *f, int id, VARTYPE vt)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = vt;
    if (vt == VT_UI8)
        V_UI8(&v) = 100;
    else if (vt == VT_BOOL)
        V_BOOL(&v) = VARIANT_TRUE;
    else if (vt == VT_I4)
        V_I4(&v) = 1;
    return IDeliveryOptimizationFile2_SetProperty(f, (DOFilePropertyId)id, &v);
}
static HRESULT do2_add(ctx_t *c, const WCHAR *id, const WCHAR *remote, DWORD n, BG_FILE_RANGE *r, REFIID riid)
{
    return IDeliveryOptimizationJob2_AddFile(c->susp_do2, id, remote, n, r, riid, &c->o.obj);
}
/* GetState must succeed on a final job and report the final state. */
static HRESULT state_is(IBackgroundCopyJob5 *j, BG_JOB_STATE want)
{
    BG_JOB_STATE got = (BG_JOB_STATE)-1;
    HRESULT hr = IBackgroundCopyJob5_GetState(j, &got);
    if (SUCCEEDED(hr) && got != want) {
        printf("#   state %d, want %d\n", (int)got, (int)want);
        return E_UNEXPECTED;
    }
    return hr;
}
/* Waits (≤ 10 s) until the job is in the state: a resumed job whose file points at
 * http://127.0.0.1:1 goes QUEUED -> TRANSFERRING -> TRANSIENT_ERROR within milliseconds now that
 * the service downloads, then waits min_retry_delay (600 s): a stable state for the cases. */
static HRESULT wait_state(IBackgroundCopyJob5 *j, BG_JOB_STATE want)
{
    BG_JOB_STATE got = (BG_JOB_STATE)-1;
    for (int i = 0; i < 200; i++) {
        HRESULT hr = IBackgroundCopyJob5_GetState(j, &got);
        if (FAILED(hr))
            return hr;
        if (got == want)
            return S_OK;
        Sleep(50);
    }
    printf("#   state %d, waited for %d\n", (int)got, (int)want);
    return E_UNEXPECTED;
}
/* Resume of the resumed job (TRANSIENT_ERROR: retried at once), then waits until it is back in
 * TRANSIENT_ERROR so that the later cases on it see a stable state. */
static HRESULT resume_settled(IBackgroundCopyJob5 *j)
{
    HRESULT hr = IBackgroundCopyJob5_Resume(j);
    return FAILED(hr) ? hr : wait_state(j, BG_JOB_STATE_TRANSIENT_ERROR);
}
/* The job still dumps exactly as before the cases (nothing half-written by a refused call). */
static HRESULT unchanged(IBackgroundCopyJob5 *j, const dstr_t *before)
{
    dstr_t now = {0};
    dump_one(j, &now);
    int same = now.p && before->p && !strcmp(now.p, before->p);
    if (!same && now.p && before->p) { /* the lines that differ, as comments */
        const char *x = before->p, *y = now.p;
        while (*x || *y) {
            size_t lx = strcspn(x, "\n"), ly = strcspn(y, "\n");
            if (lx != ly || memcmp(x, y, lx))
                printf("#   before: %.*s\n#   now:    %.*s\n", (int)lx, x, (int)ly, y);
            x += lx + (x[lx] ? 1 : 0);
            y += ly + (y[ly] ? 1 : 0);
        }
    }
    free(now.p);
    return same ? S_OK : E_FAIL;
}
/* Under Wine's rpcrt4 a NULL [out] pointer to an interface pointer is not refused before the call:
 * the call runs in the service and only the client's unmarshalling fails (0x800706F4). The jobs
 * such a refused CreateJob left behind (by display name) are cancelled here and reported. */
static HRESULT no_job_named(ctx_t *c, const WCHAR *name)
{
    IEnumBackgroundCopyJobs *e = NULL;
    HRESULT hr = IBackgroundCopyManager_EnumJobs(c->m, 0, &e);
    if (FAILED(hr))
        return hr;
    IBackgroundCopyJob *job;
    ULONG fetched = 0, found = 0;
    while (IEnumBackgroundCopyJobs_Next(e, 1, &job, &fetched) == S_OK && fetched == 1) {
        LPWSTR got = NULL;
        if (SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &got)) && got && !wcscmp(got, name)) {
            found++;
            IBackgroundCopyJob_Cancel(job);
        }
        CoTaskMemFree(got);
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(e);
    if (found)
        printf("#   %lu job(s) \"%ls\" created by the refused call (cancelled now)\n", (unsigned long)found, name);
    return found ? E_FAIL : S_OK;
}
static HRESULT file_count_is(IBackgroundCopyJob5 *j, ULONG want)
{
    BG_JOB_PROGRESS p;
    memset(&p, 0, sizeof p);
    HRESULT hr = IBackgroundCopyJob5_GetProgress(j, &p);
    return FAILED(hr) ? hr : p.FilesTotal == want ? S_OK : E_FAIL;
}

/* An object without IBackgroundCopyCallback (SetNotifyInterface must refuse it). */
static HRESULT STDMETHODCALLTYPE plain_query_interface(IUnknown *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown)) {
        *out = iface;
        return S_OK; /* static object: no reference counting */
    }
    *out = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE plain_add_ref(IUnknown *iface) { (void)iface; return 2; }
static ULONG STDMETHODCALLTYPE plain_release(IUnknown *iface) { (void)iface; return 1; }
static IUnknownVtbl plain_vtbl = {plain_query_interface, plain_add_ref, plain_release};
static IUnknown plain_object = {&plain_vtbl};

/* CreateJob with an empty display name is valid (0..256 units); the job is cancelled again. */
static HRESULT create_and_cancel(ctx_t *c, const WCHAR *name)
{
    HRESULT hr = IBackgroundCopyManager_CreateJob(c->m, name, BG_JOB_TYPE_DOWNLOAD, &c->o.g, &c->o.job);
    HRESULT cancel = c->o.job ? IBackgroundCopyJob_Cancel(c->o.job) : S_OK;
    return FAILED(hr) ? hr : cancel;
}

/* -- IBackgroundCopyManager */
CASE(mgr_create_null_name, IBackgroundCopyManager_CreateJob(M, NULL, BG_JOB_TYPE_DOWNLOAD, &O->g, &O->job))
CASE(mgr_create_257, IBackgroundCopyManager_CreateJob(M, name257, BG_JOB_TYPE_DOWNLOAD, &O->g, &O->job))
CASE(mgr_create_surrogate, IBackgroundCopyManager_CreateJob(M, lone_surrogate, BG_JOB_TYPE_DOWNLOAD, &O->g, &O->job))
CASE(mgr_create_type_upload, IBackgroundCopyManager_CreateJob(M, L"bad input", BG_JOB_TYPE_UPLOAD, &O->g, &O->job))
CASE(mgr_create_type_reply, IBackgroundCopyManager_CreateJob(M, L"bad input", BG_JOB_TYPE_UPLOAD_REPLY, &O->g, &O->job))
CASE(mgr_create_type_3, IBackgroundCopyManager_CreateJob(M, L"bad input", (BG_JOB_TYPE)3, &O->g, &O->job))
CASE(mgr_create_type_7fff, IBackgroundCopyManager_CreateJob(M, L"bad input", (BG_JOB_TYPE)0x7FFF, &O->g, &O->job))
CASE(mgr_create_type_8000, IBackgroundCopyManager_CreateJob(M, L"bad input", (BG_JOB_TYPE)0x8000, &O->g, &O->job))
CASE(mgr_create_type_neg, IBackgroundCopyManager_CreateJob(M, L"bad input", (BG_JOB_TYPE)-1, &O->g, &O->job))
#define NULL_ID_NAME L"bad input: CreateJob with a NULL pJobId"
#define NULL_JOB_NAME L"bad input: CreateJob with a NULL ppJob"
CASE(mgr_create_null_id, IBackgroundCopyManager_CreateJob(M, NULL_ID_NAME, BG_JOB_TYPE_DOWNLOAD, NULL, &O->job))
CASE(mgr_create_null_job, IBackgroundCopyManager_CreateJob(M, NULL_JOB_NAME, BG_JOB_TYPE_DOWNLOAD, &O->g, NULL))
CASE(mgr_create_null_id_no_job, no_job_named(c, NULL_ID_NAME))
CASE(mgr_create_null_job_no_job, no_job_named(c, NULL_JOB_NAME))
CASE(mgr_create_empty, create_and_cancel(c, L""))
CASE(mgr_get_random, IBackgroundCopyManager_GetJob(M, &random_guid, &O->job))
CASE(mgr_get_null_guid, IBackgroundCopyManager_GetJob(M, &GUID_NULL, &O->job))
CASE(mgr_get_cancelled, IBackgroundCopyManager_GetJob(M, &c->cancelled_id, &O->job))
CASE(mgr_get_acked, IBackgroundCopyManager_GetJob(M, &c->acked_id, &O->job))
CASE(mgr_get_null_id, IBackgroundCopyManager_GetJob(M, NULL, &O->job))
CASE(mgr_get_null_out, IBackgroundCopyManager_GetJob(M, &random_guid, NULL))
CASE(mgr_enum_flag_2, IBackgroundCopyManager_EnumJobs(M, 0x2, &O->ej))
CASE(mgr_enum_flag_all, IBackgroundCopyManager_EnumJobs(M, 0xFFFFFFFF, &O->ej))
CASE(mgr_enum_null, IBackgroundCopyManager_EnumJobs(M, 0, NULL))
CASE(mgr_desc_unknown, IBackgroundCopyManager_GetErrorDescription(M, (HRESULT)0x8FED4321, 0x409, &O->s1))
CASE(mgr_desc_null, IBackgroundCopyManager_GetErrorDescription(M, DO_E_JOB_NOT_FOUND, 0x409, NULL))

/* -- IBackgroundCopyJob: files */
CASE(job_addset_zero, IBackgroundCopyJob5_AddFileSet(J, 0, c->good_info))
CASE(job_addset_null, IBackgroundCopyJob5_AddFileSet(J, 1, NULL))
CASE(job_addset_null_remote, IBackgroundCopyJob5_AddFileSet(J, 1, c->null_remote_set))
CASE(job_addset_null_local, IBackgroundCopyJob5_AddFileSet(J, 1, c->null_local_set))
CASE(job_addset_one_bad, IBackgroundCopyJob5_AddFileSet(J, 2, c->bad_set))
CASE(job_add_null_remote, add_file(c, NULL, c->local_good))
CASE(job_add_null_local, add_file(c, REMOTE, NULL))
CASE(job_add_empty_remote, add_file(c, L"", c->local_good))
CASE(job_add_empty_local, add_file(c, REMOTE, L""))
CASE(job_add_url_2201, add_file(c, url2201, c->local_good))
CASE(job_add_url_ftp, add_file(c, L"ftp://x/y", c->local_good))
CASE(job_add_url_gopher, add_file(c, L"gopher://h/x", c->local_good))
CASE(job_add_url_no_host, add_file(c, L"http://", c->local_good))
CASE(job_add_url_empty_host, add_file(c, L"http:///x", c->local_good))
CASE(job_add_url_no_scheme, add_file(c, L"no scheme", c->local_good))
CASE(job_add_url_space, add_file(c, L"http://h/a b", c->local_good))
CASE(job_add_url_bad_scheme, add_file(c, L"1http://h/x", c->local_good))
CASE(job_add_url_control, add_file(c, L"http://h/a\tb", c->local_good))
CASE(job_add_url_surrogate, add_file(c, lone_surrogate, c->local_good))
CASE(job_add_url_relative, add_file(c, L"relative\\remote.bin", c->local_good))
CASE(job_add_url_unc_short, add_file(c, L"\\\\server", c->local_good))
CASE(job_add_local_261, add_file(c, REMOTE, local261))
CASE(job_add_local_relative, add_file(c, REMOTE, L"relative.bin"))
CASE(job_add_local_drive, add_file(c, REMOTE, L"C:"))
CASE(job_add_local_dir, add_file(c, REMOTE, LOCAL_DIR))
CASE(job_add_local_wildcard, add_file(c, REMOTE, LOCAL_DIR L"*.bin"))
CASE(job_add_local_question, add_file(c, REMOTE, LOCAL_DIR L"a?.bin"))
CASE(job_add_local_missing_dir, add_file(c, REMOTE, LOCAL_DIR L"no-such-dir\\x.bin"))
CASE(job_add_local_colon, add_file(c, REMOTE, LOCAL_DIR L"a:b.bin"))
CASE(job_enum_files_null, IBackgroundCopyJob5_EnumFiles(J, NULL))
/* -- IBackgroundCopyJob: state */
CASE(job_resume_empty, IBackgroundCopyJob5_Resume(c->empty))
CASE(job_resume_nosink, IBackgroundCopyJob5_Resume(c->nosink))
CASE(job_get_error_susp, IBackgroundCopyJob5_GetError(J, &O->err))
CASE(job_get_error_queued, IBackgroundCopyJob5_GetError(c->queued, &O->err))
CASE(job_get_error_null, IBackgroundCopyJob5_GetError(J, NULL))
CASE(job_resume_queued, resume_settled(c->queued))
CASE(job_get_state_queued, state_is(c->queued, BG_JOB_STATE_TRANSIENT_ERROR))
CASE(job_set_name_empty_queued, IBackgroundCopyJob5_SetDisplayName(c->queued, L""))
CASE(job_set_desc_empty_queued, IBackgroundCopyJob5_SetDescription(c->queued, L""))
CASE(job_set_notify_plain, IBackgroundCopyJob5_SetNotifyInterface(J, &plain_object))
CASE(job_get_state_susp, state_is(J, BG_JOB_STATE_SUSPENDED))
/* -- IBackgroundCopyJob: NULL out pointers */
CASE(job_get_id_null, IBackgroundCopyJob5_GetId(J, NULL))
CASE(job_get_type_null, IBackgroundCopyJob5_GetType(J, NULL))
CASE(job_get_progress_null, IBackgroundCopyJob5_GetProgress(J, NULL))
CASE(job_get_times_null, IBackgroundCopyJob5_GetTimes(J, NULL))
CASE(job_get_state_null, IBackgroundCopyJob5_GetState(J, NULL))
CASE(job_get_owner_null, IBackgroundCopyJob5_GetOwner(J, NULL))
CASE(job_get_name_null, IBackgroundCopyJob5_GetDisplayName(J, NULL))
CASE(job_get_desc_null, IBackgroundCopyJob5_GetDescription(J, NULL))
CASE(job_get_priority_null, IBackgroundCopyJob5_GetPriority(J, NULL))
CASE(job_get_notify_flags_null, IBackgroundCopyJob5_GetNotifyFlags(J, NULL))
CASE(job_get_notify_iface_null, IBackgroundCopyJob5_GetNotifyInterface(J, NULL))
CASE(job_get_retry_null, IBackgroundCopyJob5_GetMinimumRetryDelay(J, NULL))
CASE(job_get_noprogress_null, IBackgroundCopyJob5_GetNoProgressTimeout(J, NULL))
CASE(job_get_error_count_null, IBackgroundCopyJob5_GetErrorCount(J, NULL))
CASE(job_get_proxy_null_usage, IBackgroundCopyJob5_GetProxySettings(J, NULL, &O->s1, &O->s2))
CASE(job_get_proxy_null_list, IBackgroundCopyJob5_GetProxySettings(J, &O->usage, NULL, &O->s2))
CASE(job_get_proxy_null_bypass, IBackgroundCopyJob5_GetProxySettings(J, &O->usage, &O->s1, NULL))
/* -- IBackgroundCopyJob: setters */
CASE(job_set_name_null, IBackgroundCopyJob5_SetDisplayName(J, NULL))
CASE(job_set_name_257, IBackgroundCopyJob5_SetDisplayName(J, name257))
CASE(job_set_name_surrogate, IBackgroundCopyJob5_SetDisplayName(J, lone_surrogate))
CASE(job_set_desc_null, IBackgroundCopyJob5_SetDescription(J, NULL))
CASE(job_set_desc_1025, IBackgroundCopyJob5_SetDescription(J, desc1025))
CASE(job_set_desc_surrogate, IBackgroundCopyJob5_SetDescription(J, lone_surrogate))
CASE(job_set_priority_4, IBackgroundCopyJob5_SetPriority(J, (BG_JOB_PRIORITY)4))
CASE(job_set_priority_7fff, IBackgroundCopyJob5_SetPriority(J, (BG_JOB_PRIORITY)0x7FFF))
CASE(job_set_priority_8000, IBackgroundCopyJob5_SetPriority(J, (BG_JOB_PRIORITY)0x8000))
CASE(job_set_priority_neg, IBackgroundCopyJob5_SetPriority(J, (BG_JOB_PRIORITY)-1))
CASE(job_set_notify_flags_40, IBackgroundCopyJob5_SetNotifyFlags(J, 0x40))
CASE(job_set_notify_flags_ranges, IBackgroundCopyJob5_SetNotifyFlags(J, BG_NOTIFY_FILE_RANGES_TRANSFERRED))
CASE(job_set_notify_flags_all, IBackgroundCopyJob5_SetNotifyFlags(J, 0xFFFFFFFF))
CASE(job_set_proxy_usage_4, IBackgroundCopyJob5_SetProxySettings(J, (BG_JOB_PROXY_USAGE)4, NULL, NULL))
CASE(job_set_proxy_usage_8000, IBackgroundCopyJob5_SetProxySettings(J, (BG_JOB_PROXY_USAGE)0x8000, NULL, NULL))
CASE(job_set_proxy_override_null, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_OVERRIDE, NULL, NULL))
CASE(job_set_proxy_override_empty, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_OVERRIDE, L"", NULL))
CASE(job_set_proxy_preconfig_list, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_PRECONFIG, L"proxy:80", NULL))
CASE(job_set_proxy_noproxy_bypass, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, L"<local>"))
CASE(job_set_proxy_list_32768, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_OVERRIDE, proxy32768, NULL))
CASE(job_set_proxy_bypass_32768, IBackgroundCopyJob5_SetProxySettings(J, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy:80", proxy32768))
/* -- IBackgroundCopyJob2 */
CASE(job2_cmd_empty, IBackgroundCopyJob5_SetNotifyCmdLine(J, L"", NULL))
CASE(job2_cmd_261, IBackgroundCopyJob5_SetNotifyCmdLine(J, prog261, NULL))
CASE(job2_cmd_params_only, IBackgroundCopyJob5_SetNotifyCmdLine(J, NULL, L"/c x"))
CASE(job2_cmd_params_4001, IBackgroundCopyJob5_SetNotifyCmdLine(J, L"C:\\windows\\system32\\cmd.exe", params4001))
CASE(job2_cmd_surrogate, IBackgroundCopyJob5_SetNotifyCmdLine(J, lone_surrogate, NULL))
CASE(job2_get_cmd_null_program, IBackgroundCopyJob5_GetNotifyCmdLine(J, NULL, &O->s2))
CASE(job2_get_cmd_null_params, IBackgroundCopyJob5_GetNotifyCmdLine(J, &O->s1, NULL))
CASE(job2_reply_progress, IBackgroundCopyJob5_GetReplyProgress(J, &O->rp))
CASE(job2_reply_progress_null, IBackgroundCopyJob5_GetReplyProgress(J, NULL))
CASE(job2_reply_data, IBackgroundCopyJob5_GetReplyData(J, &O->buffer, &O->q1))
CASE(job2_reply_data_null_length, IBackgroundCopyJob5_GetReplyData(J, &O->buffer, NULL))
CASE(job2_reply_data_null_buffer, IBackgroundCopyJob5_GetReplyData(J, NULL, &O->q1))
CASE(job2_set_reply_name_null, IBackgroundCopyJob5_SetReplyFileName(J, NULL))
CASE(job2_set_reply_name_261, IBackgroundCopyJob5_SetReplyFileName(J, local261))
CASE(job2_get_reply_name, IBackgroundCopyJob5_GetReplyFileName(J, &O->s1))
CASE(job2_get_reply_name_null, IBackgroundCopyJob5_GetReplyFileName(J, NULL))
CASE(job2_creds_null, IBackgroundCopyJob5_SetCredentials(J, NULL))
CASE(job2_creds_target_0, set_creds(c, 0, BG_AUTH_SCHEME_BASIC, (LPWSTR)L"user"))
CASE(job2_creds_target_3, set_creds(c, 3, BG_AUTH_SCHEME_BASIC, (LPWSTR)L"user"))
CASE(job2_creds_scheme_0, set_creds(c, BG_AUTH_TARGET_SERVER, 0, NULL))
CASE(job2_creds_scheme_6, set_creds(c, BG_AUTH_TARGET_SERVER, 6, NULL))
CASE(job2_creds_user_301, set_creds(c, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC, user301))
CASE(job2_creds_user_surrogate, set_creds(c, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC, (LPWSTR)lone_surrogate))
CASE(job2_remove_target_0, IBackgroundCopyJob5_RemoveCredentials(J, (BG_AUTH_TARGET)0, BG_AUTH_SCHEME_BASIC))
CASE(job2_remove_target_3, IBackgroundCopyJob5_RemoveCredentials(J, (BG_AUTH_TARGET)3, BG_AUTH_SCHEME_BASIC))
CASE(job2_remove_scheme_0, IBackgroundCopyJob5_RemoveCredentials(J, BG_AUTH_TARGET_SERVER, (BG_AUTH_SCHEME)0))
CASE(job2_remove_scheme_6, IBackgroundCopyJob5_RemoveCredentials(J, BG_AUTH_TARGET_SERVER, (BG_AUTH_SCHEME)6))
CASE(job2_remove_target_8000, IBackgroundCopyJob5_RemoveCredentials(J, (BG_AUTH_TARGET)0x8000, BG_AUTH_SCHEME_BASIC))
CASE(job2_remove_none, IBackgroundCopyJob5_RemoveCredentials(c->scratch, BG_AUTH_TARGET_PROXY, BG_AUTH_SCHEME_NTLM))
CASE(job2_remove_none_unchanged, unchanged(c->scratch, &c->before_scratch))
/* -- IBackgroundCopyJob3 */
CASE(job3_prefix_null_old, IBackgroundCopyJob5_ReplaceRemotePrefix(J, NULL, L"http://h/"))
CASE(job3_prefix_null_new, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://h/", NULL))
CASE(job3_prefix_empty_old, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"", L"http://h/"))
CASE(job3_prefix_empty_new, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://", L""))
CASE(job3_prefix_2201, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://127.0.0.1:1/", prefix2201))
CASE(job3_prefix_to_ftp, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://", L"ftp://"))
CASE(job3_prefix_to_bad_url, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://127.0.0.1:1/", L"http:///"))
CASE(job3_prefix_surrogate, IBackgroundCopyJob5_ReplaceRemotePrefix(J, L"http://", lone_surrogate))
CASE(job3_ranges_zero, job3_ranges(c, 0, r_ok))
CASE(job3_ranges_null, job3_ranges(c, 1, NULL))
CASE(job3_ranges_offset_eof, job3_ranges(c, 1, r_offset_eof))
CASE(job3_ranges_zero_length, job3_ranges(c, 1, r_zero_length))
CASE(job3_ranges_overlap, job3_ranges(c, 2, r_overlap))
CASE(job3_ranges_same_offset, job3_ranges(c, 2, r_same_offset))
CASE(job3_ranges_wrap, job3_ranges(c, 1, r_wrap))
CASE(job3_ranges_eof_then_more, job3_ranges(c, 2, r_eof_then_more))
CASE(job3_ranges_huge_offset, job3_ranges(c, 2, r_after_eof))
CASE(job3_ranges_bad_url, IBackgroundCopyJob5_AddFileWithRanges(J, L"ftp://x/y", c->local_good, 1, r_ok))
CASE(job3_ranges_bad_local, IBackgroundCopyJob5_AddFileWithRanges(J, REMOTE, L"relative.bin", 1, r_ok))
CASE(job3_acl_flags_10, IBackgroundCopyJob5_SetFileACLFlags(J, 0x10))
CASE(job3_get_acl_null, IBackgroundCopyJob5_GetFileACLFlags(J, NULL))
/* -- IBackgroundCopyJob4 */
CASE(job4_peer_flags_8, IBackgroundCopyJob5_SetPeerCachingFlags(J, 0x8))
CASE(job4_peer_flags_all, IBackgroundCopyJob5_SetPeerCachingFlags(J, 0xFFFFFFFF))
CASE(job4_get_peer_null, IBackgroundCopyJob5_GetPeerCachingFlags(J, NULL))
CASE(job4_integrity, IBackgroundCopyJob5_GetOwnerIntegrityLevel(J, &O->u))
CASE(job4_integrity_null, IBackgroundCopyJob5_GetOwnerIntegrityLevel(J, NULL))
CASE(job4_elevation, IBackgroundCopyJob5_GetOwnerElevationState(J, &O->b))
CASE(job4_elevation_null, IBackgroundCopyJob5_GetOwnerElevationState(J, NULL))
CASE(job4_get_max_time_null, IBackgroundCopyJob5_GetMaximumDownloadTime(J, NULL))
/* -- IBackgroundCopyJob5 */
CASE(job5_set_dynamic, job5_set(c, BITS_JOB_PROPERTY_DYNAMIC_CONTENT))
CASE(job5_set_high_perf, job5_set(c, BITS_JOB_PROPERTY_HIGH_PERFORMANCE))
CASE(job5_set_max_size, job5_set(c, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE))
CASE(job5_set_6, job5_set(c, 6))
CASE(job5_set_stored_creds, job5_set(c, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS))
CASE(job5_set_8, job5_set(c, 8))
CASE(job5_set_interval, job5_set(c, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS))
CASE(job5_set_on_demand, job5_set(c, BITS_JOB_PROPERTY_ON_DEMAND_MODE))
CASE(job5_set_0, job5_set(c, 0))
CASE(job5_set_11, job5_set(c, 11))
CASE(job5_get_dynamic, IBackgroundCopyJob5_GetProperty(J, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &O->jpv))
CASE(job5_get_max_size, IBackgroundCopyJob5_GetProperty(J, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &O->jpv))
CASE(job5_get_stored_creds, IBackgroundCopyJob5_GetProperty(J, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, &O->jpv))
CASE(job5_get_on_demand, IBackgroundCopyJob5_GetProperty(J, BITS_JOB_PROPERTY_ON_DEMAND_MODE, &O->jpv))
CASE(job5_get_0, IBackgroundCopyJob5_GetProperty(J, (BITS_JOB_PROPERTY_ID)0, &O->jpv))
CASE(job5_get_null, IBackgroundCopyJob5_GetProperty(J, BITS_JOB_PROPERTY_ID_COST_FLAGS, NULL))
/* -- IDeliveryOptimizationJob */
CASE(dojob_null_id, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, NULL, REMOTE, c->local_good, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_null_remote, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", NULL, c->local_good, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_null_local, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", REMOTE, NULL, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_empty_local, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", REMOTE, L"", 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_id_2201, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, url2201, REMOTE, c->local_good, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_bad_url, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", L"http://h/a b", c->local_good, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_ftp_url, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", L"ftp://x/y", c->local_good, 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_missing_dir, IDeliveryOptimizationJob_AddFileWithRanges(c->susp_do, L"id", REMOTE, LOCAL_DIR L"no-such-dir\\x.bin", 0, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_null, do_ranges(c, 1, NULL, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_offset_eof, do_ranges(c, 1, r_offset_eof, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_zero_length, do_ranges(c, 1, r_zero_length, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_overlap, do_ranges(c, 2, r_overlap, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_same_offset, do_ranges(c, 2, r_same_offset, BG_SIZE_UNKNOWN))
CASE(dojob_ranges_past_size, do_ranges(c, 1, r_past_size, 100))
CASE(dojob_ranges_end_past_size, do_ranges(c, 1, r_ok, 5))
/* -- IDeliveryOptimizationJob2 */
CASE(dojob2_null_id, do2_add(c, NULL, REMOTE, 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_null_remote, do2_add(c, L"id", NULL, 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_empty_remote, do2_add(c, L"id", L"", 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_ftp_remote, do2_add(c, L"id", L"ftp://x/y", 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_no_host, do2_add(c, L"id", L"http://", 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_id_2201, do2_add(c, url2201, REMOTE, 0, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_ranges_null, do2_add(c, L"id", REMOTE, 1, NULL, &IID_IDeliveryOptimizationFile))
CASE(dojob2_ranges_overlap, do2_add(c, L"id", REMOTE, 2, r_overlap, &IID_IDeliveryOptimizationFile))
CASE(dojob2_ranges_offset_eof, do2_add(c, L"id", REMOTE, 1, r_offset_eof, &IID_IDeliveryOptimizationFile))
CASE(dojob2_riid_job, do2_add(c, L"id", REMOTE, 0, NULL, &IID_IBackgroundCopyJob))
CASE(dojob2_riid_null, do2_add(c, L"id", REMOTE, 0, NULL, NULL))
CASE(dojob2_object_null, IDeliveryOptimizationJob2_AddFile(c->scratch_do2, L"id", REMOTE, 0, NULL, &IID_IDeliveryOptimizationFile, NULL))
CASE(dojob2_object_null_no_file, file_count_is(c->scratch, 0))
CASE(dojob2_get_1, IDeliveryOptimizationJob2_GetProperty(c->susp_do2, (DOJobPropertyId)1, &O->v))
CASE(dojob2_get_7fff, IDeliveryOptimizationJob2_GetProperty(c->susp_do2, (DOJobPropertyId)0x7FFF, &O->v))
CASE(dojob2_get_8000, IDeliveryOptimizationJob2_GetProperty(c->susp_do2, (DOJobPropertyId)0x8000, &O->v))
CASE(dojob2_get_null, IDeliveryOptimizationJob2_GetProperty(c->susp_do2, DOJobPropertyId_ExtendedErrorInfo, NULL))
CASE(dojob2_set_read_only, job2_set(c->susp_do2, DOJobPropertyId_ExtendedErrorInfo, c))
CASE(dojob2_set_1, job2_set(c->susp_do2, 1, c))
CASE(dojob2_set_8000, job2_set(c->susp_do2, 0x8000, c))
CASE(dojob2_set_null, IDeliveryOptimizationJob2_SetProperty(c->susp_do2, DOJobPropertyId_ExtendedErrorInfo, NULL))

/* -- IEnumBackgroundCopyJobs */
CASE(ejobs_next_2_null, IEnumBackgroundCopyJobs_Next(c->ejobs, 2, O->jobs, NULL))
CASE(ejobs_next_0_null, IEnumBackgroundCopyJobs_Next(c->ejobs, 0, O->jobs, NULL))
CASE(ejobs_next_null_array, IEnumBackgroundCopyJobs_Next(c->ejobs, 1, NULL, &O->u))
CASE(ejobs_skip_past_end, IEnumBackgroundCopyJobs_Skip(c->ejobs, 0xFFFFFFFF))
CASE(ejobs_next_at_end, IEnumBackgroundCopyJobs_Next(c->ejobs, 1, O->jobs, &O->u))
CASE(ejobs_reset, IEnumBackgroundCopyJobs_Reset(c->ejobs))
CASE(ejobs_clone_null, IEnumBackgroundCopyJobs_Clone(c->ejobs, NULL))
CASE(ejobs_count_null, IEnumBackgroundCopyJobs_GetCount(c->ejobs, NULL))
/* -- IEnumBackgroundCopyFiles */
CASE(efiles_next_2_null, IEnumBackgroundCopyFiles_Next(c->efiles, 2, O->files, NULL))
CASE(efiles_next_0_null, IEnumBackgroundCopyFiles_Next(c->efiles, 0, O->files, NULL))
CASE(efiles_next_null_array, IEnumBackgroundCopyFiles_Next(c->efiles, 1, NULL, &O->u))
CASE(efiles_skip_past_end, IEnumBackgroundCopyFiles_Skip(c->efiles, 0xFFFFFFFF))
CASE(efiles_next_at_end, IEnumBackgroundCopyFiles_Next(c->efiles, 1, O->files, &O->u))
CASE(efiles_reset, IEnumBackgroundCopyFiles_Reset(c->efiles))
CASE(efiles_clone_null, IEnumBackgroundCopyFiles_Clone(c->efiles, NULL))
CASE(efiles_count_null, IEnumBackgroundCopyFiles_GetCount(c->efiles, NULL))

/* -- IBackgroundCopyFile..File5 (file 0 of the SUSPENDED job) */
#define F c->file
CASE(file_remote_null, IBackgroundCopyFile5_GetRemoteName(F, NULL))
CASE(file_local_null, IBackgroundCopyFile5_GetLocalName(F, NULL))
CASE(file_progress_null, IBackgroundCopyFile5_GetProgress(F, NULL))
CASE(file2_ranges_null_count, IBackgroundCopyFile5_GetFileRanges(F, NULL, &O->ranges))
CASE(file2_ranges_null_array, IBackgroundCopyFile5_GetFileRanges(F, &O->dw, NULL))
CASE(file2_set_remote_null, IBackgroundCopyFile5_SetRemoteName(F, NULL))
CASE(file2_set_remote_empty, IBackgroundCopyFile5_SetRemoteName(F, L""))
CASE(file2_set_remote_2201, IBackgroundCopyFile5_SetRemoteName(F, url2201))
CASE(file2_set_remote_ftp, IBackgroundCopyFile5_SetRemoteName(F, L"ftp://x/y"))
CASE(file2_set_remote_no_host, IBackgroundCopyFile5_SetRemoteName(F, L"http://"))
CASE(file2_set_remote_empty_host, IBackgroundCopyFile5_SetRemoteName(F, L"http:///x"))
CASE(file2_set_remote_no_scheme, IBackgroundCopyFile5_SetRemoteName(F, L"no scheme"))
CASE(file2_set_remote_space, IBackgroundCopyFile5_SetRemoteName(F, L"http://h/a b"))
CASE(file2_set_remote_surrogate, IBackgroundCopyFile5_SetRemoteName(F, lone_surrogate))
CASE(file3_temp_null, IBackgroundCopyFile5_GetTemporaryName(F, NULL))
CASE(file3_validation_null, IBackgroundCopyFile5_GetValidationState(F, NULL))
CASE(file3_peer_null, IBackgroundCopyFile5_IsDownloadedFromPeer(F, NULL))
CASE(file4_stats_null_origin, IBackgroundCopyFile5_GetPeerDownloadStats(F, NULL, &O->q2))
CASE(file4_stats_null_peers, IBackgroundCopyFile5_GetPeerDownloadStats(F, &O->q1, NULL))
CASE(file5_set_headers, file5_set(F, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, L"X-Bad: 1"))
CASE(file5_set_headers_null, file5_set(F, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, NULL))
CASE(file5_set_0, file5_set(F, 0, L"x"))
CASE(file5_set_2, file5_set(F, 2, L"x"))
CASE(file5_get_0, IBackgroundCopyFile5_GetProperty(F, (BITS_FILE_PROPERTY_ID)0, &O->fpv))
CASE(file5_get_2, IBackgroundCopyFile5_GetProperty(F, (BITS_FILE_PROPERTY_ID)2, &O->fpv))
CASE(file5_get_null, IBackgroundCopyFile5_GetProperty(F, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, NULL))
/* -- IDeliveryOptimizationFile / File2 */
CASE(dofile_stats_null, IDeliveryOptimizationFile_GetStats(c->dofile, NULL))
CASE(dofile2_get_7, IDeliveryOptimizationFile2_GetProperty(c->dofile2, (DOFilePropertyId)7, &O->v))
CASE(dofile2_get_7fff, IDeliveryOptimizationFile2_GetProperty(c->dofile2, (DOFilePropertyId)0x7FFF, &O->v))
CASE(dofile2_get_8000, IDeliveryOptimizationFile2_GetProperty(c->dofile2, (DOFilePropertyId)0x8000, &O->v))
CASE(dofile2_get_decryption, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_DecryptionInfo, &O->v))
CASE(dofile2_get_integrity_info, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_IntegrityCheckInfo, &O->v))
CASE(dofile2_get_mandatory_unset, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_IntegrityCheckMandatory, &O->v))
CASE(dofile2_get_memory_stream, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_DownloadSinkMemoryStream, &O->v))
CASE(dofile2_get_size_unknown, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_TotalSizeBytes, &O->v))
CASE(dofile2_get_null, IDeliveryOptimizationFile2_GetProperty(c->dofile2, DOFilePropertyId_TotalSizeBytes, NULL))
CASE(dofile2_set_7, file2_set_vt(c->dofile2, 7, VT_UI8))
CASE(dofile2_set_7fff, file2_set_vt(c->dofile2, 0x7FFF, VT_UI8))
CASE(dofile2_set_8000, file2_set_vt(c->dofile2, 0x8000, VT_UI8))
CASE(dofile2_set_null, IDeliveryOptimizationFile2_SetProperty(c->dofile2, DOFilePropertyId_TotalSizeBytes, NULL))
CASE(dofile2_set_size_bstr, file2_set_bstr(c->dofile2, DOFilePropertyId_TotalSizeBytes, L"100"))
CASE(dofile2_set_size_i4, file2_set_vt(c->dofile2, DOFilePropertyId_TotalSizeBytes, VT_I4))
CASE(dofile2_set_mandatory_ui8, file2_set_vt(c->dofile2, DOFilePropertyId_IntegrityCheckMandatory, VT_UI8))
CASE(dofile2_set_decryption_bool, file2_set_vt(c->dofile2, DOFilePropertyId_DecryptionInfo, VT_BOOL))
CASE(dofile2_set_sink_path_empty_vt, file2_set_vt(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, VT_EMPTY))
CASE(dofile2_set_sink_path_relative, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, L"relative.bin"))
CASE(dofile2_set_sink_path_empty, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, L""))
CASE(dofile2_set_sink_path_drive, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, L"C:"))
CASE(dofile2_set_sink_path_dir, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, LOCAL_DIR))
CASE(dofile2_set_sink_path_wildcard, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, LOCAL_DIR L"*.bin"))
CASE(dofile2_set_sink_path_missing, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, LOCAL_DIR L"no-such-dir\\x.bin"))
CASE(dofile2_set_sink_path_261, file2_set_bstr(c->dofile2, DOFilePropertyId_DownloadSinkFilePath, local261))
CASE(dofile2_set_sink_iface_empty, file2_set_vt(c->dofile2, DOFilePropertyId_DownloadSinkInterface, VT_EMPTY))
CASE(dofile2_set_memory_stream, file2_set_vt(c->dofile2, DOFilePropertyId_DownloadSinkMemoryStream, VT_EMPTY))
CASE(dofile2_set_queued, file2_set_vt(c->queued_dofile2, DOFilePropertyId_TotalSizeBytes, VT_UI8))

/* -- nothing half-written: the jobs the refused calls ran on are as they were. (Rows elsewhere
 * check the same for the calls that may have effects although refused: CreateJob and
 * IDeliveryOptimizationJob2::AddFile with a NULL out pointer, which Wine's rpcrt4 sends to the
 * service and refuses only when unmarshalling the reply; RemoveCredentials with nothing to
 * remove.) */
CASE(unchanged_susp, unchanged(J, &c->before_susp))
CASE(unchanged_empty, unchanged(c->empty, &c->before_empty))
CASE(unchanged_nosink, unchanged(c->nosink, &c->before_nosink))
CASE(unchanged_susp_count, file_count_is(J, 1))
CASE(unchanged_empty_count, file_count_is(c->empty, 0))

/* -- calls in the final states: every method of the job object with valid arguments.
 * X(id, method, call): j, dj, dj2 are the job object's interfaces. */
#define FINAL_JOB_CALLS(X) \
    X(add_file_set, "IBackgroundCopyJob::AddFileSet", IBackgroundCopyJob5_AddFileSet(j, 1, c->good_info)) \
    X(add_file, "IBackgroundCopyJob::AddFile", IBackgroundCopyJob5_AddFile(j, REMOTE, c->local_good)) \
    X(enum_files, "IBackgroundCopyJob::EnumFiles", IBackgroundCopyJob5_EnumFiles(j, &O->ef)) \
    X(suspend, "IBackgroundCopyJob::Suspend", IBackgroundCopyJob5_Suspend(j)) \
    X(resume, "IBackgroundCopyJob::Resume", IBackgroundCopyJob5_Resume(j)) \
    X(cancel, "IBackgroundCopyJob::Cancel", IBackgroundCopyJob5_Cancel(j)) \
    X(complete, "IBackgroundCopyJob::Complete", IBackgroundCopyJob5_Complete(j)) \
    X(get_id, "IBackgroundCopyJob::GetId", IBackgroundCopyJob5_GetId(j, &O->g)) \
    X(get_type, "IBackgroundCopyJob::GetType", IBackgroundCopyJob5_GetType(j, &O->type)) \
    X(get_progress, "IBackgroundCopyJob::GetProgress", IBackgroundCopyJob5_GetProgress(j, &O->jp)) \
    X(get_times, "IBackgroundCopyJob::GetTimes", IBackgroundCopyJob5_GetTimes(j, &O->jt)) \
    X(get_error, "IBackgroundCopyJob::GetError", IBackgroundCopyJob5_GetError(j, &O->err)) \
    X(get_owner, "IBackgroundCopyJob::GetOwner", IBackgroundCopyJob5_GetOwner(j, &O->s1)) \
    X(set_name, "IBackgroundCopyJob::SetDisplayName", IBackgroundCopyJob5_SetDisplayName(j, L"renamed")) \
    X(get_name, "IBackgroundCopyJob::GetDisplayName", IBackgroundCopyJob5_GetDisplayName(j, &O->s1)) \
    X(set_desc, "IBackgroundCopyJob::SetDescription", IBackgroundCopyJob5_SetDescription(j, L"described")) \
    X(get_desc, "IBackgroundCopyJob::GetDescription", IBackgroundCopyJob5_GetDescription(j, &O->s1)) \
    X(set_priority, "IBackgroundCopyJob::SetPriority", IBackgroundCopyJob5_SetPriority(j, BG_JOB_PRIORITY_HIGH)) \
    X(get_priority, "IBackgroundCopyJob::GetPriority", IBackgroundCopyJob5_GetPriority(j, &O->priority)) \
    X(set_notify_flags, "IBackgroundCopyJob::SetNotifyFlags", IBackgroundCopyJob5_SetNotifyFlags(j, BG_NOTIFY_JOB_TRANSFERRED)) \
    X(get_notify_flags, "IBackgroundCopyJob::GetNotifyFlags", IBackgroundCopyJob5_GetNotifyFlags(j, &O->u)) \
    X(set_notify_iface, "IBackgroundCopyJob::SetNotifyInterface", IBackgroundCopyJob5_SetNotifyInterface(j, NULL)) \
    X(get_notify_iface, "IBackgroundCopyJob::GetNotifyInterface", IBackgroundCopyJob5_GetNotifyInterface(j, &O->unk)) \
    X(set_retry, "IBackgroundCopyJob::SetMinimumRetryDelay", IBackgroundCopyJob5_SetMinimumRetryDelay(j, 60)) \
    X(get_retry, "IBackgroundCopyJob::GetMinimumRetryDelay", IBackgroundCopyJob5_GetMinimumRetryDelay(j, &O->u)) \
    X(set_noprogress, "IBackgroundCopyJob::SetNoProgressTimeout", IBackgroundCopyJob5_SetNoProgressTimeout(j, 60)) \
    X(get_noprogress, "IBackgroundCopyJob::GetNoProgressTimeout", IBackgroundCopyJob5_GetNoProgressTimeout(j, &O->u)) \
    X(get_error_count, "IBackgroundCopyJob::GetErrorCount", IBackgroundCopyJob5_GetErrorCount(j, &O->u)) \
    X(set_proxy, "IBackgroundCopyJob::SetProxySettings", IBackgroundCopyJob5_SetProxySettings(j, BG_JOB_PROXY_USAGE_PRECONFIG, NULL, NULL)) \
    X(get_proxy, "IBackgroundCopyJob::GetProxySettings", IBackgroundCopyJob5_GetProxySettings(j, &O->usage, &O->s1, &O->s2)) \
    X(take_ownership, "IBackgroundCopyJob::TakeOwnership", IBackgroundCopyJob5_TakeOwnership(j)) \
    X(set_cmd, "IBackgroundCopyJob2::SetNotifyCmdLine", IBackgroundCopyJob5_SetNotifyCmdLine(j, NULL, NULL)) \
    X(get_cmd, "IBackgroundCopyJob2::GetNotifyCmdLine", IBackgroundCopyJob5_GetNotifyCmdLine(j, &O->s1, &O->s2)) \
    X(reply_progress, "IBackgroundCopyJob2::GetReplyProgress", IBackgroundCopyJob5_GetReplyProgress(j, &O->rp)) \
    X(reply_data, "IBackgroundCopyJob2::GetReplyData", IBackgroundCopyJob5_GetReplyData(j, &O->buffer, &O->q1)) \
    X(set_reply_name, "IBackgroundCopyJob2::SetReplyFileName", IBackgroundCopyJob5_SetReplyFileName(j, c->local_good)) \
    X(get_reply_name, "IBackgroundCopyJob2::GetReplyFileName", IBackgroundCopyJob5_GetReplyFileName(j, &O->s1)) \
    X(set_creds, "IBackgroundCopyJob2::SetCredentials", IBackgroundCopyJob5_SetCredentials(j, &c->cred)) \
    X(remove_creds, "IBackgroundCopyJob2::RemoveCredentials", IBackgroundCopyJob5_RemoveCredentials(j, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC)) \
    X(replace_prefix, "IBackgroundCopyJob3::ReplaceRemotePrefix", IBackgroundCopyJob5_ReplaceRemotePrefix(j, L"http://127.0.0.1:1/", L"http://127.0.0.1:2/")) \
    X(add_ranges, "IBackgroundCopyJob3::AddFileWithRanges", IBackgroundCopyJob5_AddFileWithRanges(j, REMOTE, c->local_good, 1, r_ok)) \
    X(set_acl, "IBackgroundCopyJob3::SetFileACLFlags", IBackgroundCopyJob5_SetFileACLFlags(j, BG_COPY_FILE_OWNER)) \
    X(get_acl, "IBackgroundCopyJob3::GetFileACLFlags", IBackgroundCopyJob5_GetFileACLFlags(j, &O->dw)) \
    X(set_peer, "IBackgroundCopyJob4::SetPeerCachingFlags", IBackgroundCopyJob5_SetPeerCachingFlags(j, BG_JOB_ENABLE_PEERCACHING_CLIENT)) \
    X(get_peer, "IBackgroundCopyJob4::GetPeerCachingFlags", IBackgroundCopyJob5_GetPeerCachingFlags(j, &O->dw)) \
    X(integrity, "IBackgroundCopyJob4::GetOwnerIntegrityLevel", IBackgroundCopyJob5_GetOwnerIntegrityLevel(j, &O->u)) \
    X(elevation, "IBackgroundCopyJob4::GetOwnerElevationState", IBackgroundCopyJob5_GetOwnerElevationState(j, &O->b)) \
    X(set_max_time, "IBackgroundCopyJob4::SetMaximumDownloadTime", IBackgroundCopyJob5_SetMaximumDownloadTime(j, 60)) \
    X(get_max_time, "IBackgroundCopyJob4::GetMaximumDownloadTime", IBackgroundCopyJob5_GetMaximumDownloadTime(j, &O->u)) \
    X(set_property, "IBackgroundCopyJob5::SetProperty", job5_set_cost(j)) \
    X(get_property, "IBackgroundCopyJob5::GetProperty", IBackgroundCopyJob5_GetProperty(j, BITS_JOB_PROPERTY_ID_COST_FLAGS, &O->jpv)) \
    X(do_add_ranges, "IDeliveryOptimizationJob::AddFileWithRanges", IDeliveryOptimizationJob_AddFileWithRanges(dj, L"id", REMOTE, c->local_good, 0, NULL, BG_SIZE_UNKNOWN)) \
    X(do2_add_file, "IDeliveryOptimizationJob2::AddFile", IDeliveryOptimizationJob2_AddFile(dj2, L"id", REMOTE, 0, NULL, &IID_IDeliveryOptimizationFile, &O->obj)) \
    X(do2_get, "IDeliveryOptimizationJob2::GetProperty", IDeliveryOptimizationJob2_GetProperty(dj2, DOJobPropertyId_ExtendedErrorInfo, &O->v)) \
    X(do2_set, "IDeliveryOptimizationJob2::SetProperty", job2_set(dj2, DOJobPropertyId_ExtendedErrorInfo, c))

/* The same for the file objects of those jobs. X(id, method, call): f, df, df2. */
#define FINAL_FILE_CALLS(X) \
    X(remote, "IBackgroundCopyFile::GetRemoteName", IBackgroundCopyFile5_GetRemoteName(f, &O->s1)) \
    X(local, "IBackgroundCopyFile::GetLocalName", IBackgroundCopyFile5_GetLocalName(f, &O->s1)) \
    X(progress, "IBackgroundCopyFile::GetProgress", IBackgroundCopyFile5_GetProgress(f, &O->fp)) \
    X(ranges, "IBackgroundCopyFile2::GetFileRanges", IBackgroundCopyFile5_GetFileRanges(f, &O->dw, &O->ranges)) \
    X(set_remote, "IBackgroundCopyFile2::SetRemoteName", IBackgroundCopyFile5_SetRemoteName(f, REMOTE)) \
    X(temp, "IBackgroundCopyFile3::GetTemporaryName", IBackgroundCopyFile5_GetTemporaryName(f, &O->s1)) \
    X(set_validation, "IBackgroundCopyFile3::SetValidationState", IBackgroundCopyFile5_SetValidationState(f, TRUE)) \
    X(get_validation, "IBackgroundCopyFile3::GetValidationState", IBackgroundCopyFile5_GetValidationState(f, &O->b)) \
    X(from_peer, "IBackgroundCopyFile3::IsDownloadedFromPeer", IBackgroundCopyFile5_IsDownloadedFromPeer(f, &O->b)) \
    X(peer_stats, "IBackgroundCopyFile4::GetPeerDownloadStats", IBackgroundCopyFile5_GetPeerDownloadStats(f, &O->q1, &O->q2)) \
    X(get_property, "IBackgroundCopyFile5::GetProperty", IBackgroundCopyFile5_GetProperty(f, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &O->fpv)) \
    X(stats, "IDeliveryOptimizationFile::GetStats", IDeliveryOptimizationFile_GetStats(df, &O->stats)) \
    X(do2_get, "IDeliveryOptimizationFile2::GetProperty", IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_TotalSizeBytes, &O->v)) \
    X(do2_set, "IDeliveryOptimizationFile2::SetProperty", file2_set_vt(df2, DOFilePropertyId_TotalSizeBytes, VT_UI8))

static HRESULT job5_set_cost(IBackgroundCopyJob5 *j)
{
    BITS_JOB_PROPERTY_VALUE v;
    memset(&v, 0, sizeof v);
    v.Dword = BITS_COST_STATE_TRANSFER_UNRESTRICTED;
    return IBackgroundCopyJob5_SetProperty(j, BITS_JOB_PROPERTY_ID_COST_FLAGS, v);
}

#define DEF_FINAL_JOB(id, method, call)                                                           \
    static HRESULT cancelled_##id(ctx_t *c)                                                     \
    {                                                                                           \
        IBackgroundCopyJob5 *j = c->cancelled;                                                  \
        IDeliveryOptimizationJob *dj = c->cancelled_do;                                         \
        IDeliveryOptimizationJob2 *dj2 = c->cancelled_do2;                                      \
        (void)j, (void)dj, (void)dj2;                                                           \
        return (call);                                                                          \
    }                                                                                           \
    static HRESULT acked_##id(ctx_t *c)                                                         \
    {                                                                                           \
        IBackgroundCopyJob5 *j = c->acked;                                                      \
        IDeliveryOptimizationJob *dj = c->acked_do;                                             \
        IDeliveryOptimizationJob2 *dj2 = c->acked_do2;                                          \
        (void)j, (void)dj, (void)dj2;                                                           \
        return (call);                                                                          \
    }
FINAL_JOB_CALLS(DEF_FINAL_JOB)

#define DEF_FINAL_FILE(id, method, call)                                                          \
    static HRESULT cancelled_file_##id(ctx_t *c)                                                \
    {                                                                                           \
        IBackgroundCopyFile5 *f = c->cancelled_file;                                            \
        IDeliveryOptimizationFile *df = c->cancelled_dofile;                                    \
        IDeliveryOptimizationFile2 *df2 = c->cancelled_dofile2;                                 \
        (void)f, (void)df, (void)df2;                                                           \
        return (call);                                                                          \
    }                                                                                           \
    static HRESULT acked_file_##id(ctx_t *c)                                                    \
    {                                                                                           \
        IBackgroundCopyFile5 *f = c->acked_file;                                                \
        IDeliveryOptimizationFile *df = c->acked_dofile;                                        \
        IDeliveryOptimizationFile2 *df2 = c->acked_dofile2;                                     \
        (void)f, (void)df, (void)df2;                                                           \
        return (call);                                                                          \
    }
FINAL_FILE_CALLS(DEF_FINAL_FILE)

CASE(cancelled_get_state, state_is(c->cancelled, BG_JOB_STATE_CANCELLED))
CASE(acked_get_state, state_is(c->acked, BG_JOB_STATE_ACKNOWLEDGED))

#define ROW_CANCELLED(id, method, call) {method, "on a CANCELLED job", cancelled_##id, DO_E_INVALID_STATE},
#define ROW_ACKED(id, method, call) {method, "on an ACKNOWLEDGED job", acked_##id, DO_E_INVALID_STATE},
#define ROW_CANCELLED_FILE(id, method, call) {method, "on a file of a CANCELLED job", cancelled_file_##id, DO_E_INVALID_STATE},
#define ROW_ACKED_FILE(id, method, call) {method, "on a file of an ACKNOWLEDGED job", acked_file_##id, DO_E_INVALID_STATE},

#define NULL_OUT "NULL out pointer (refused by the proxy)"
#define NULL_IN "NULL [in] pointer (refused by the proxy)"
#define ENUM16 "enum value beyond 16 bits (refused by the proxy)"
#define NO_ARM "id without a union arm (refused by the proxy)"

static const bad_case_t cases[] = {
    /* IBackgroundCopyManager */
    {"IBackgroundCopyManager::CreateJob", "NULL display name: " NULL_IN, mgr_create_null_name, HR_NULL_REF},
    {"IBackgroundCopyManager::CreateJob", "display name of 257 chars", mgr_create_257, E_INVALIDARG},
    {"IBackgroundCopyManager::CreateJob", "display name with a lone surrogate", mgr_create_surrogate, E_INVALIDARG},
    {"IBackgroundCopyManager::CreateJob", "type BG_JOB_TYPE_UPLOAD (not in DO)", mgr_create_type_upload, E_NOTIMPL},
    {"IBackgroundCopyManager::CreateJob", "type BG_JOB_TYPE_UPLOAD_REPLY (not in DO)", mgr_create_type_reply, E_NOTIMPL},
    {"IBackgroundCopyManager::CreateJob", "type 3", mgr_create_type_3, E_INVALIDARG},
    {"IBackgroundCopyManager::CreateJob", "type 0x7FFF", mgr_create_type_7fff, E_INVALIDARG},
    {"IBackgroundCopyManager::CreateJob", "type 0x8000: " ENUM16, mgr_create_type_8000, HR_ENUM_RANGE},
    {"IBackgroundCopyManager::CreateJob", "type -1: " ENUM16, mgr_create_type_neg, HR_ENUM_RANGE},
    {"IBackgroundCopyManager::CreateJob", "NULL pJobId: " NULL_OUT, mgr_create_null_id, HR_NULL_REF},
    {"IBackgroundCopyManager::CreateJob", "NULL pJobId: no job left behind", mgr_create_null_id_no_job, S_OK},
    {"IBackgroundCopyManager::CreateJob", "NULL ppJob: " NULL_OUT, mgr_create_null_job, HR_NULL_REF},
    {"IBackgroundCopyManager::CreateJob", "NULL ppJob: no job left behind", mgr_create_null_job_no_job, S_OK},
    {"IBackgroundCopyManager::CreateJob", "empty display name (valid; cancelled again)", mgr_create_empty, S_OK},
    {"IBackgroundCopyManager::GetJob", "random GUID", mgr_get_random, DO_E_JOB_NOT_FOUND},
    {"IBackgroundCopyManager::GetJob", "GUID_NULL", mgr_get_null_guid, DO_E_JOB_NOT_FOUND},
    {"IBackgroundCopyManager::GetJob", "id of a CANCELLED job", mgr_get_cancelled, DO_E_JOB_NOT_FOUND},
    {"IBackgroundCopyManager::GetJob", "id of an ACKNOWLEDGED job", mgr_get_acked, DO_E_JOB_NOT_FOUND},
    {"IBackgroundCopyManager::GetJob", "NULL jobID: " NULL_IN, mgr_get_null_id, HR_NULL_REF},
    {"IBackgroundCopyManager::GetJob", "NULL ppJob: " NULL_OUT, mgr_get_null_out, HR_NULL_REF},
    {"IBackgroundCopyManager::EnumJobs", "unknown flag 0x2", mgr_enum_flag_2, E_INVALIDARG},
    {"IBackgroundCopyManager::EnumJobs", "flags 0xFFFFFFFF", mgr_enum_flag_all, E_INVALIDARG},
    {"IBackgroundCopyManager::EnumJobs", "NULL ppEnum: " NULL_OUT, mgr_enum_null, HR_NULL_REF},
    {"IBackgroundCopyManager::GetErrorDescription", "unknown code 0x8FED4321", mgr_desc_unknown, HR_MID_NOT_FOUND},
    {"IBackgroundCopyManager::GetErrorDescription", "NULL out: " NULL_OUT, mgr_desc_null, HR_NULL_REF},
    /* IBackgroundCopyJob: files */
    {"IBackgroundCopyJob::AddFileSet", "count 0", job_addset_zero, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFileSet", "NULL set: " NULL_IN, job_addset_null, HR_NULL_REF},
    {"IBackgroundCopyJob::AddFileSet", "a NULL RemoteName", job_addset_null_remote, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFileSet", "a NULL LocalName", job_addset_null_local, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFileSet", "a good file and an ftp:// one (all or none)", job_addset_one_bad, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "NULL URL: " NULL_IN, job_add_null_remote, HR_NULL_REF},
    {"IBackgroundCopyJob::AddFile", "NULL local name: " NULL_IN, job_add_null_local, HR_NULL_REF},
    {"IBackgroundCopyJob::AddFile", "empty URL", job_add_empty_remote, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "empty local name", job_add_empty_local, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL of 2201 chars", job_add_url_2201, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL ftp://x/y", job_add_url_ftp, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL gopher://h/x", job_add_url_gopher, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL http://", job_add_url_no_host, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL http:///x", job_add_url_empty_host, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL \"no scheme\"", job_add_url_no_scheme, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL http://h/a b", job_add_url_space, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL 1http://h/x (not a scheme)", job_add_url_bad_scheme, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL with a tab", job_add_url_control, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "URL with a lone surrogate", job_add_url_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "relative remote path", job_add_url_relative, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "remote \\\\server (no share)", job_add_url_unc_short, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name of 261 chars", job_add_local_261, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "relative local name", job_add_local_relative, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name C:", job_add_local_drive, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name ending in \\ (a directory)", job_add_local_dir, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name with *", job_add_local_wildcard, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name with ?", job_add_local_question, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name in a missing directory", job_add_local_missing_dir, E_INVALIDARG},
    {"IBackgroundCopyJob::AddFile", "local name with a : after the drive", job_add_local_colon, E_INVALIDARG},
    {"IBackgroundCopyJob::EnumFiles", "NULL out: " NULL_OUT, job_enum_files_null, HR_NULL_REF},
    /* IBackgroundCopyJob: state */
    {"IBackgroundCopyJob::Resume", "a job without files", job_resume_empty, DO_E_JOB_EMPTY},
    {"IBackgroundCopyJob::Resume", "a DO file without a download sink", job_resume_nosink, DO_E_FILE_DOWNLOADSINK_UNSPECIFIED},
    {"IBackgroundCopyJob::GetError", "SUSPENDED job without error", job_get_error_susp, DO_E_ERROR_INFORMATION_UNAVAILABLE},
    {"IBackgroundCopyJob::GetError", "resumed job (TRANSIENT_ERROR: unreachable URL) has an error object", job_get_error_queued, S_OK},
    {"IBackgroundCopyJob::GetError", "NULL out: " NULL_OUT, job_get_error_null, HR_NULL_REF},
    {"IBackgroundCopyJob::Resume", "a TRANSIENT_ERROR job (retried, back in TRANSIENT_ERROR)", job_resume_queued, S_OK},
    {"IBackgroundCopyJob::GetState", "resumed job is TRANSIENT_ERROR", job_get_state_queued, S_OK},
    {"IBackgroundCopyJob::SetDisplayName", "empty on a TRANSIENT_ERROR job (valid)", job_set_name_empty_queued, S_OK},
    {"IBackgroundCopyJob::SetDescription", "empty on a TRANSIENT_ERROR job (valid)", job_set_desc_empty_queued, S_OK},
    {"IBackgroundCopyJob::SetNotifyInterface", "an object without IBackgroundCopyCallback", job_set_notify_plain, E_NOINTERFACE},
    {"IBackgroundCopyJob::GetState", "SUSPENDED job is SUSPENDED", job_get_state_susp, S_OK},
    {"IBackgroundCopyJob::GetId", "NULL out: " NULL_OUT, job_get_id_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetType", "NULL out: " NULL_OUT, job_get_type_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetProgress", "NULL out: " NULL_OUT, job_get_progress_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetTimes", "NULL out: " NULL_OUT, job_get_times_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetState", "NULL out: " NULL_OUT, job_get_state_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetOwner", "NULL out: " NULL_OUT, job_get_owner_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetDisplayName", "NULL out: " NULL_OUT, job_get_name_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetDescription", "NULL out: " NULL_OUT, job_get_desc_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetPriority", "NULL out: " NULL_OUT, job_get_priority_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetNotifyFlags", "NULL out: " NULL_OUT, job_get_notify_flags_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetNotifyInterface", "NULL out: " NULL_OUT, job_get_notify_iface_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetMinimumRetryDelay", "NULL out: " NULL_OUT, job_get_retry_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetNoProgressTimeout", "NULL out: " NULL_OUT, job_get_noprogress_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetErrorCount", "NULL out: " NULL_OUT, job_get_error_count_null, HR_NULL_REF},
    {"IBackgroundCopyJob::GetProxySettings", "NULL usage: " NULL_OUT, job_get_proxy_null_usage, HR_NULL_REF},
    {"IBackgroundCopyJob::GetProxySettings", "NULL list: " NULL_OUT, job_get_proxy_null_list, HR_NULL_REF},
    {"IBackgroundCopyJob::GetProxySettings", "NULL bypass list: " NULL_OUT, job_get_proxy_null_bypass, HR_NULL_REF},
    /* IBackgroundCopyJob: setters */
    {"IBackgroundCopyJob::SetDisplayName", "NULL: " NULL_IN, job_set_name_null, HR_NULL_REF},
    {"IBackgroundCopyJob::SetDisplayName", "257 chars", job_set_name_257, E_INVALIDARG},
    {"IBackgroundCopyJob::SetDisplayName", "lone surrogate", job_set_name_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob::SetDescription", "NULL: " NULL_IN, job_set_desc_null, HR_NULL_REF},
    {"IBackgroundCopyJob::SetDescription", "1025 chars", job_set_desc_1025, E_INVALIDARG},
    {"IBackgroundCopyJob::SetDescription", "lone surrogate", job_set_desc_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob::SetPriority", "priority 4", job_set_priority_4, E_INVALIDARG},
    {"IBackgroundCopyJob::SetPriority", "priority 0x7FFF", job_set_priority_7fff, E_INVALIDARG},
    {"IBackgroundCopyJob::SetPriority", "priority 0x8000: " ENUM16, job_set_priority_8000, HR_ENUM_RANGE},
    {"IBackgroundCopyJob::SetPriority", "priority -1: " ENUM16, job_set_priority_neg, HR_ENUM_RANGE},
    {"IBackgroundCopyJob::SetNotifyFlags", "unknown flag 0x40", job_set_notify_flags_40, E_NOTIMPL},
    {"IBackgroundCopyJob::SetNotifyFlags", "BG_NOTIFY_FILE_RANGES_TRANSFERRED (not in DO)", job_set_notify_flags_ranges, E_NOTIMPL},
    {"IBackgroundCopyJob::SetNotifyFlags", "0xFFFFFFFF", job_set_notify_flags_all, E_NOTIMPL},
    {"IBackgroundCopyJob::SetProxySettings", "usage 4", job_set_proxy_usage_4, E_INVALIDARG},
    {"IBackgroundCopyJob::SetProxySettings", "usage 0x8000: " ENUM16, job_set_proxy_usage_8000, HR_ENUM_RANGE},
    {"IBackgroundCopyJob::SetProxySettings", "OVERRIDE without a list", job_set_proxy_override_null, BG_E_INVALID_PROXY_INFO},
    {"IBackgroundCopyJob::SetProxySettings", "OVERRIDE with an empty list", job_set_proxy_override_empty, BG_E_INVALID_PROXY_INFO},
    {"IBackgroundCopyJob::SetProxySettings", "PRECONFIG with a list", job_set_proxy_preconfig_list, BG_E_INVALID_PROXY_INFO},
    {"IBackgroundCopyJob::SetProxySettings", "NO_PROXY with a bypass list", job_set_proxy_noproxy_bypass, BG_E_INVALID_PROXY_INFO},
    {"IBackgroundCopyJob::SetProxySettings", "proxy list of 32768 chars", job_set_proxy_list_32768, BG_E_PROXY_LIST_TOO_LARGE},
    {"IBackgroundCopyJob::SetProxySettings", "bypass list of 32768 chars", job_set_proxy_bypass_32768, BG_E_PROXY_BYPASS_LIST_TOO_LARGE},
    /* IBackgroundCopyJob2 */
    {"IBackgroundCopyJob2::SetNotifyCmdLine", "empty program", job2_cmd_empty, E_INVALIDARG},
    {"IBackgroundCopyJob2::SetNotifyCmdLine", "program of 261 chars", job2_cmd_261, E_INVALIDARG},
    {"IBackgroundCopyJob2::SetNotifyCmdLine", "parameters without a program", job2_cmd_params_only, E_INVALIDARG},
    {"IBackgroundCopyJob2::SetNotifyCmdLine", "parameters of 4001 chars", job2_cmd_params_4001, E_INVALIDARG},
    {"IBackgroundCopyJob2::SetNotifyCmdLine", "program with a lone surrogate", job2_cmd_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob2::GetNotifyCmdLine", "NULL program: " NULL_OUT, job2_get_cmd_null_program, HR_NULL_REF},
    {"IBackgroundCopyJob2::GetNotifyCmdLine", "NULL parameters: " NULL_OUT, job2_get_cmd_null_params, HR_NULL_REF},
    {"IBackgroundCopyJob2::GetReplyProgress", "download job (upload only)", job2_reply_progress, E_NOTIMPL},
    {"IBackgroundCopyJob2::GetReplyProgress", "NULL: " NULL_IN, job2_reply_progress_null, HR_NULL_REF},
    {"IBackgroundCopyJob2::GetReplyData", "download job (upload only)", job2_reply_data, E_NOTIMPL},
    {"IBackgroundCopyJob2::GetReplyData", "NULL length (unique)", job2_reply_data_null_length, E_NOTIMPL},
    {"IBackgroundCopyJob2::GetReplyData", "NULL buffer: " NULL_OUT, job2_reply_data_null_buffer, HR_NULL_REF},
    {"IBackgroundCopyJob2::SetReplyFileName", "NULL (unique)", job2_set_reply_name_null, E_NOTIMPL},
    {"IBackgroundCopyJob2::SetReplyFileName", "261 chars", job2_set_reply_name_261, E_NOTIMPL},
    {"IBackgroundCopyJob2::GetReplyFileName", "download job (upload only)", job2_get_reply_name, E_NOTIMPL},
    {"IBackgroundCopyJob2::GetReplyFileName", "NULL out: " NULL_OUT, job2_get_reply_name_null, HR_NULL_REF},
    {"IBackgroundCopyJob2::SetCredentials", "NULL: " NULL_IN, job2_creds_null, HR_NULL_REF},
    {"IBackgroundCopyJob2::SetCredentials", "target 0", job2_creds_target_0, BG_E_INVALID_AUTH_TARGET},
    {"IBackgroundCopyJob2::SetCredentials", "target 3", job2_creds_target_3, BG_E_INVALID_AUTH_TARGET},
    {"IBackgroundCopyJob2::SetCredentials", "scheme 0", job2_creds_scheme_0, BG_E_INVALID_AUTH_SCHEME},
    {"IBackgroundCopyJob2::SetCredentials", "scheme 6", job2_creds_scheme_6, BG_E_INVALID_AUTH_SCHEME},
    {"IBackgroundCopyJob2::SetCredentials", "user name of 301 chars", job2_creds_user_301, BG_E_INVALID_CREDENTIALS},
    {"IBackgroundCopyJob2::SetCredentials", "user name with a lone surrogate", job2_creds_user_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob2::RemoveCredentials", "target 0", job2_remove_target_0, BG_E_INVALID_AUTH_TARGET},
    {"IBackgroundCopyJob2::RemoveCredentials", "target 3", job2_remove_target_3, BG_E_INVALID_AUTH_TARGET},
    {"IBackgroundCopyJob2::RemoveCredentials", "scheme 0", job2_remove_scheme_0, BG_E_INVALID_AUTH_SCHEME},
    {"IBackgroundCopyJob2::RemoveCredentials", "scheme 6", job2_remove_scheme_6, BG_E_INVALID_AUTH_SCHEME},
    {"IBackgroundCopyJob2::RemoveCredentials", "target 0x8000: " ENUM16, job2_remove_target_8000, HR_ENUM_RANGE},
    {"IBackgroundCopyJob2::RemoveCredentials", "credentials never set", job2_remove_none, S_FALSE},
    {"IBackgroundCopyJob2::RemoveCredentials", "credentials never set: the job is unchanged (ModificationTime too)",
     job2_remove_none_unchanged, S_OK},
    /* IBackgroundCopyJob3 */
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "NULL old prefix: " NULL_IN, job3_prefix_null_old, HR_NULL_REF},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "NULL new prefix: " NULL_IN, job3_prefix_null_new, HR_NULL_REF},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "empty old prefix", job3_prefix_empty_old, E_INVALIDARG},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "empty new prefix", job3_prefix_empty_new, E_INVALIDARG},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "new prefix of 2201 chars", job3_prefix_2201, E_INVALIDARG},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "http:// -> ftp:// (no file changes)", job3_prefix_to_ftp, E_INVALIDARG},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "-> http:/// (no host)", job3_prefix_to_bad_url, E_INVALIDARG},
    {"IBackgroundCopyJob3::ReplaceRemotePrefix", "new prefix with a lone surrogate", job3_prefix_surrogate, E_INVALIDARG},
    {"IBackgroundCopyJob3::AddFileWithRanges", "range count 0", job3_ranges_zero, E_INVALIDARG},
    {"IBackgroundCopyJob3::AddFileWithRanges", "NULL ranges: refused in the proxy (widl marshals the [in] array and faults)",
     job3_ranges_null, (HRESULT)0xC0000005 /* STATUS_ACCESS_VIOLATION; MIDL proxies give 0x800706F4 */},
    {"IBackgroundCopyJob3::AddFileWithRanges", "offset BG_LENGTH_TO_EOF", job3_ranges_offset_eof, DO_E_INVALID_RANGE},
    {"IBackgroundCopyJob3::AddFileWithRanges", "length 0", job3_ranges_zero_length, DO_E_INVALID_RANGE},
    {"IBackgroundCopyJob3::AddFileWithRanges", "overlapping (0,10) (5,10)", job3_ranges_overlap, DO_E_OVERLAPPING_RANGES},
    {"IBackgroundCopyJob3::AddFileWithRanges", "same offset (100,5) (100,0)", job3_ranges_same_offset, DO_E_OVERLAPPING_RANGES},
    {"IBackgroundCopyJob3::AddFileWithRanges", "offset + length wraps 64 bits", job3_ranges_wrap, DO_E_INVALID_RANGE},
    {"IBackgroundCopyJob3::AddFileWithRanges", "a range after one to EOF", job3_ranges_eof_then_more, DO_E_OVERLAPPING_RANGES},
    {"IBackgroundCopyJob3::AddFileWithRanges", "offset beyond INT64_MAX", job3_ranges_huge_offset, DO_E_INVALID_RANGE},
    {"IBackgroundCopyJob3::AddFileWithRanges", "URL ftp://x/y", job3_ranges_bad_url, E_INVALIDARG},
    {"IBackgroundCopyJob3::AddFileWithRanges", "relative local name", job3_ranges_bad_local, E_INVALIDARG},
    {"IBackgroundCopyJob3::SetFileACLFlags", "unknown flag 0x10", job3_acl_flags_10, E_INVALIDARG},
    {"IBackgroundCopyJob3::GetFileACLFlags", "NULL out: " NULL_OUT, job3_get_acl_null, HR_NULL_REF},
    /* IBackgroundCopyJob4 */
    {"IBackgroundCopyJob4::SetPeerCachingFlags", "unknown flag 0x8", job4_peer_flags_8, E_INVALIDARG},
    {"IBackgroundCopyJob4::SetPeerCachingFlags", "0xFFFFFFFF", job4_peer_flags_all, E_INVALIDARG},
    {"IBackgroundCopyJob4::GetPeerCachingFlags", "NULL out: " NULL_OUT, job4_get_peer_null, HR_NULL_REF},
    {"IBackgroundCopyJob4::GetOwnerIntegrityLevel", "not recorded by opendo", job4_integrity, E_NOTIMPL},
    {"IBackgroundCopyJob4::GetOwnerIntegrityLevel", "NULL out: " NULL_OUT, job4_integrity_null, HR_NULL_REF},
    {"IBackgroundCopyJob4::GetOwnerElevationState", "not recorded by opendo", job4_elevation, E_NOTIMPL},
    {"IBackgroundCopyJob4::GetOwnerElevationState", "NULL out: " NULL_OUT, job4_elevation_null, HR_NULL_REF},
    {"IBackgroundCopyJob4::GetMaximumDownloadTime", "NULL out: " NULL_OUT, job4_get_max_time_null, HR_NULL_REF},
    /* IBackgroundCopyJob5 */
    {"IBackgroundCopyJob5::SetProperty", "DYNAMIC_CONTENT (not in DO)", job5_set_dynamic, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "HIGH_PERFORMANCE (not in DO)", job5_set_high_perf, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "MAX_DOWNLOAD_SIZE (not in DO)", job5_set_max_size, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "id 6", job5_set_6, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "USE_STORED_CREDENTIALS (not in DO)", job5_set_stored_creds, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "id 8", job5_set_8, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "MINIMUM_NOTIFICATION_INTERVAL_MS (not in DO)", job5_set_interval, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "ON_DEMAND_MODE (not in DO)", job5_set_on_demand, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::SetProperty", "id 0: " NO_ARM, job5_set_0, HR_INVALID_TAG},
    {"IBackgroundCopyJob5::SetProperty", "id 11: " NO_ARM, job5_set_11, HR_INVALID_TAG},
    {"IBackgroundCopyJob5::GetProperty", "DYNAMIC_CONTENT (not in DO)", job5_get_dynamic, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::GetProperty", "MAX_DOWNLOAD_SIZE (not in DO)", job5_get_max_size, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::GetProperty", "USE_STORED_CREDENTIALS (not in DO)", job5_get_stored_creds, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::GetProperty", "ON_DEMAND_MODE (not in DO)", job5_get_on_demand, DO_E_UNKNOWN_PROPERTY_ID},
    {"IBackgroundCopyJob5::GetProperty", "id 0: " NO_ARM, job5_get_0, HR_INVALID_TAG},
    {"IBackgroundCopyJob5::GetProperty", "NULL out: " NULL_OUT, job5_get_null, HR_NULL_REF},
    /* IDeliveryOptimizationJob */
    {"IDeliveryOptimizationJob::AddFileWithRanges", "NULL fileId: " NULL_IN, dojob_null_id, HR_NULL_REF},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "NULL URL: " NULL_IN, dojob_null_remote, HR_NULL_REF},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "NULL local name: " NULL_IN, dojob_null_local, HR_NULL_REF},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "empty local name", dojob_empty_local, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "fileId of 2201 chars", dojob_id_2201, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "URL http://h/a b", dojob_bad_url, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "URL ftp://x/y", dojob_ftp_url, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "local name in a missing directory", dojob_missing_dir, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "range count 1, NULL ranges (unique)", dojob_ranges_null, E_INVALIDARG},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "offset BG_LENGTH_TO_EOF", dojob_ranges_offset_eof, DO_E_INVALID_RANGE},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "length 0", dojob_ranges_zero_length, DO_E_INVALID_RANGE},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "overlapping (0,10) (5,10)", dojob_ranges_overlap, DO_E_OVERLAPPING_RANGES},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "same offset (100,5) (100,0)", dojob_ranges_same_offset, DO_E_OVERLAPPING_RANGES},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "range starting past the file size", dojob_ranges_past_size, DO_E_INVALID_RANGE},
    {"IDeliveryOptimizationJob::AddFileWithRanges", "range ending past the file size", dojob_ranges_end_past_size, DO_E_INVALID_RANGE},
    /* IDeliveryOptimizationJob2 */
    {"IDeliveryOptimizationJob2::AddFile", "NULL fileId: " NULL_IN, dojob2_null_id, HR_NULL_REF},
    {"IDeliveryOptimizationJob2::AddFile", "NULL URL (unique)", dojob2_null_remote, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "empty URL", dojob2_empty_remote, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "URL ftp://x/y", dojob2_ftp_remote, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "URL http://", dojob2_no_host, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "fileId of 2201 chars", dojob2_id_2201, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "range count 1, NULL ranges (unique)", dojob2_ranges_null, E_INVALIDARG},
    {"IDeliveryOptimizationJob2::AddFile", "overlapping ranges", dojob2_ranges_overlap, DO_E_OVERLAPPING_RANGES},
    {"IDeliveryOptimizationJob2::AddFile", "offset BG_LENGTH_TO_EOF", dojob2_ranges_offset_eof, DO_E_INVALID_RANGE},
    {"IDeliveryOptimizationJob2::AddFile", "riid IBackgroundCopyJob", dojob2_riid_job, E_NOINTERFACE},
    {"IDeliveryOptimizationJob2::AddFile", "NULL riid: " NULL_IN, dojob2_riid_null, HR_NULL_REF},
    {"IDeliveryOptimizationJob2::AddFile", "NULL object: " NULL_OUT, dojob2_object_null, HR_NULL_REF},
    {"IDeliveryOptimizationJob2::AddFile", "NULL object: no file added", dojob2_object_null_no_file, S_OK},
    {"IDeliveryOptimizationJob2::GetProperty", "unknown id 1", dojob2_get_1, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationJob2::GetProperty", "unknown id 0x7FFF", dojob2_get_7fff, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationJob2::GetProperty", "id 0x8000: " ENUM16, dojob2_get_8000, HR_ENUM_RANGE},
    {"IDeliveryOptimizationJob2::GetProperty", "NULL out: " NULL_OUT, dojob2_get_null, HR_NULL_REF},
    {"IDeliveryOptimizationJob2::SetProperty", "ExtendedErrorInfo (read-only)", dojob2_set_read_only, DO_E_READ_ONLY_PROPERTY},
    {"IDeliveryOptimizationJob2::SetProperty", "unknown id 1", dojob2_set_1, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationJob2::SetProperty", "id 0x8000: " ENUM16, dojob2_set_8000, HR_ENUM_RANGE},
    {"IDeliveryOptimizationJob2::SetProperty", "NULL value: " NULL_IN, dojob2_set_null, HR_NULL_REF},
    /* IEnumBackgroundCopyJobs */
    {"IEnumBackgroundCopyJobs::Next", "celt 2, NULL pceltFetched", ejobs_next_2_null, E_INVALIDARG},
    {"IEnumBackgroundCopyJobs::Next", "celt 0, NULL pceltFetched", ejobs_next_0_null, E_INVALIDARG},
    {"IEnumBackgroundCopyJobs::Next", "NULL array: " NULL_OUT, ejobs_next_null_array, HR_NULL_REF},
    {"IEnumBackgroundCopyJobs::Skip", "0xFFFFFFFF (past the end)", ejobs_skip_past_end, S_FALSE},
    {"IEnumBackgroundCopyJobs::Next", "at the end", ejobs_next_at_end, S_FALSE},
    {"IEnumBackgroundCopyJobs::Reset", "after running past the end", ejobs_reset, S_OK},
    {"IEnumBackgroundCopyJobs::Clone", "NULL out: " NULL_OUT, ejobs_clone_null, HR_NULL_REF},
    {"IEnumBackgroundCopyJobs::GetCount", "NULL out: " NULL_OUT, ejobs_count_null, HR_NULL_REF},
    /* IEnumBackgroundCopyFiles */
    {"IEnumBackgroundCopyFiles::Next", "celt 2, NULL pceltFetched", efiles_next_2_null, E_INVALIDARG},
    {"IEnumBackgroundCopyFiles::Next", "celt 0, NULL pceltFetched", efiles_next_0_null, E_INVALIDARG},
    {"IEnumBackgroundCopyFiles::Next", "NULL array: " NULL_OUT, efiles_next_null_array, HR_NULL_REF},
    {"IEnumBackgroundCopyFiles::Skip", "0xFFFFFFFF (past the end)", efiles_skip_past_end, S_FALSE},
    {"IEnumBackgroundCopyFiles::Next", "at the end", efiles_next_at_end, S_FALSE},
    {"IEnumBackgroundCopyFiles::Reset", "after running past the end", efiles_reset, S_OK},
    {"IEnumBackgroundCopyFiles::Clone", "NULL out: " NULL_OUT, efiles_clone_null, HR_NULL_REF},
    {"IEnumBackgroundCopyFiles::GetCount", "NULL out: " NULL_OUT, efiles_count_null, HR_NULL_REF},
    /* IBackgroundCopyFile..File5 */
    {"IBackgroundCopyFile::GetRemoteName", "NULL out: " NULL_OUT, file_remote_null, HR_NULL_REF},
    {"IBackgroundCopyFile::GetLocalName", "NULL out: " NULL_OUT, file_local_null, HR_NULL_REF},
    {"IBackgroundCopyFile::GetProgress", "NULL out: " NULL_OUT, file_progress_null, HR_NULL_REF},
    {"IBackgroundCopyFile2::GetFileRanges", "NULL count (unique)", file2_ranges_null_count, E_INVALIDARG},
    {"IBackgroundCopyFile2::GetFileRanges", "NULL ranges: " NULL_OUT, file2_ranges_null_array, HR_NULL_REF},
    {"IBackgroundCopyFile2::SetRemoteName", "NULL: " NULL_IN, file2_set_remote_null, HR_NULL_REF},
    {"IBackgroundCopyFile2::SetRemoteName", "empty URL", file2_set_remote_empty, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL of 2201 chars", file2_set_remote_2201, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL ftp://x/y", file2_set_remote_ftp, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL http://", file2_set_remote_no_host, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL http:///x", file2_set_remote_empty_host, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL \"no scheme\"", file2_set_remote_no_scheme, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL http://h/a b", file2_set_remote_space, E_INVALIDARG},
    {"IBackgroundCopyFile2::SetRemoteName", "URL with a lone surrogate", file2_set_remote_surrogate, E_INVALIDARG},
    {"IBackgroundCopyFile3::GetTemporaryName", "NULL out: " NULL_OUT, file3_temp_null, HR_NULL_REF},
    {"IBackgroundCopyFile3::GetValidationState", "NULL out: " NULL_OUT, file3_validation_null, HR_NULL_REF},
    {"IBackgroundCopyFile3::IsDownloadedFromPeer", "NULL out: " NULL_OUT, file3_peer_null, HR_NULL_REF},
    {"IBackgroundCopyFile4::GetPeerDownloadStats", "NULL pFromOrigin: " NULL_OUT, file4_stats_null_origin, HR_NULL_REF},
    {"IBackgroundCopyFile4::GetPeerDownloadStats", "NULL pFromPeers: " NULL_OUT, file4_stats_null_peers, HR_NULL_REF},
    {"IBackgroundCopyFile5::SetProperty", "HTTP_RESPONSE_HEADERS (read-only)", file5_set_headers, DO_E_READ_ONLY_PROPERTY},
    {"IBackgroundCopyFile5::SetProperty", "HTTP_RESPONSE_HEADERS NULL (read-only)", file5_set_headers_null, DO_E_READ_ONLY_PROPERTY},
    {"IBackgroundCopyFile5::SetProperty", "id 0: " NO_ARM, file5_set_0, HR_INVALID_TAG},
    {"IBackgroundCopyFile5::SetProperty", "id 2: " NO_ARM, file5_set_2, HR_INVALID_TAG},
    {"IBackgroundCopyFile5::GetProperty", "id 0: " NO_ARM, file5_get_0, HR_INVALID_TAG},
    {"IBackgroundCopyFile5::GetProperty", "id 2: " NO_ARM, file5_get_2, HR_INVALID_TAG},
    {"IBackgroundCopyFile5::GetProperty", "NULL out: " NULL_OUT, file5_get_null, HR_NULL_REF},
    /* IDeliveryOptimizationFile / File2 */
    {"IDeliveryOptimizationFile::GetStats", "NULL out: " NULL_OUT, dofile_stats_null, HR_NULL_REF},
    {"IDeliveryOptimizationFile2::GetProperty", "unknown id 7", dofile2_get_7, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationFile2::GetProperty", "unknown id 0x7FFF", dofile2_get_7fff, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationFile2::GetProperty", "id 0x8000: " ENUM16, dofile2_get_8000, HR_ENUM_RANGE},
    {"IDeliveryOptimizationFile2::GetProperty", "DecryptionInfo (write-only)", dofile2_get_decryption, DO_E_WRITE_ONLY_PROPERTY},
    {"IDeliveryOptimizationFile2::GetProperty", "IntegrityCheckInfo (write-only)", dofile2_get_integrity_info, DO_E_WRITE_ONLY_PROPERTY},
    {"IDeliveryOptimizationFile2::GetProperty", "IntegrityCheckMandatory never set", dofile2_get_mandatory_unset, HR_E_NOT_SET},
    {"IDeliveryOptimizationFile2::GetProperty", "DownloadSinkMemoryStream", dofile2_get_memory_stream, DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED},
    {"IDeliveryOptimizationFile2::GetProperty", "TotalSizeBytes unknown", dofile2_get_size_unknown, HR_E_NOT_SET},
    {"IDeliveryOptimizationFile2::GetProperty", "NULL out: " NULL_OUT, dofile2_get_null, HR_NULL_REF},
    {"IDeliveryOptimizationFile2::SetProperty", "unknown id 7", dofile2_set_7, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationFile2::SetProperty", "unknown id 0x7FFF", dofile2_set_7fff, DO_E_UNKNOWN_PROPERTY_ID},
    {"IDeliveryOptimizationFile2::SetProperty", "id 0x8000: " ENUM16, dofile2_set_8000, HR_ENUM_RANGE},
    {"IDeliveryOptimizationFile2::SetProperty", "NULL value (unique)", dofile2_set_null, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "TotalSizeBytes as VT_BSTR", dofile2_set_size_bstr, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "TotalSizeBytes as VT_I4", dofile2_set_size_i4, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "IntegrityCheckMandatory as VT_UI8", dofile2_set_mandatory_ui8, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DecryptionInfo as VT_BOOL", dofile2_set_decryption_bool, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath as VT_EMPTY", dofile2_set_sink_path_empty_vt, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath relative", dofile2_set_sink_path_relative, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath empty", dofile2_set_sink_path_empty, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath C:", dofile2_set_sink_path_drive, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath ending in \\", dofile2_set_sink_path_dir, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath with *", dofile2_set_sink_path_wildcard, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath in a missing directory", dofile2_set_sink_path_missing, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkFilePath of 261 chars", dofile2_set_sink_path_261, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkInterface as VT_EMPTY", dofile2_set_sink_iface_empty, E_INVALIDARG},
    {"IDeliveryOptimizationFile2::SetProperty", "DownloadSinkMemoryStream", dofile2_set_memory_stream, DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED},
    /* QUEUED/TRANSFERRING refuse it (DO_E_INVALID_STATE) but last only milliseconds now that the
     * service downloads; TRANSIENT_ERROR, where the resumed job waits, allows file changes. */
    {"IDeliveryOptimizationFile2::SetProperty", "TotalSizeBytes on a file of a TRANSIENT_ERROR job (allowed)", dofile2_set_queued, S_OK},
    /* states: every method of the job and file objects of final jobs */
    {"IBackgroundCopyJob::GetState", "on a CANCELLED job is S_OK and CANCELLED", cancelled_get_state, S_OK},
    FINAL_JOB_CALLS(ROW_CANCELLED)
    FINAL_FILE_CALLS(ROW_CANCELLED_FILE)
    {"IBackgroundCopyJob::GetState", "on an ACKNOWLEDGED job is S_OK and ACKNOWLEDGED", acked_get_state, S_OK},
    FINAL_JOB_CALLS(ROW_ACKED)
    FINAL_FILE_CALLS(ROW_ACKED_FILE)
    /* nothing half-written */
    {"IBackgroundCopyJob (SUSPENDED job, one file)", "unchanged by every refused call (all getters, files, times)", unchanged_susp, S_OK},
    {"IBackgroundCopyJob (SUSPENDED job, one file)", "still has exactly one file", unchanged_susp_count, S_OK},
    {"IBackgroundCopyJob (SUSPENDED job, no files)", "unchanged by the refused Resume", unchanged_empty, S_OK},
    {"IBackgroundCopyJob (SUSPENDED job, no files)", "still has no file", unchanged_empty_count, S_OK},
    {"IBackgroundCopyJob (SUSPENDED job, DO file without sink)", "unchanged by the refused Resume", unchanged_nosink, S_OK},
};

/* ---- setup of the context --------------------------------------------------------------------------- */

static int job_with_file(IBackgroundCopyManager *m, const WCHAR *name, const WCHAR *local, GUID *id,
                         IBackgroundCopyJob5 **out)
{
    *out = new_job(m, name, id);
    return *out && setup_ok(IBackgroundCopyJob5_AddFile(*out, REMOTE, local), "AddFile");
}

static int qi_do(IBackgroundCopyJob5 *j, IDeliveryOptimizationJob **dj, IDeliveryOptimizationJob2 **dj2)
{
    return setup_ok(IBackgroundCopyJob5_QueryInterface(j, &IID_IDeliveryOptimizationJob, (void **)dj),
                    "QueryInterface(IDeliveryOptimizationJob)") &&
           setup_ok(IBackgroundCopyJob5_QueryInterface(j, &IID_IDeliveryOptimizationJob2, (void **)dj2),
                    "QueryInterface(IDeliveryOptimizationJob2)");
}

static int setup(ctx_t *c)
{
    wcscpy(c->local_good, local_name(L"good.bin"));
    wcscpy(c->local_good2, local_name(L"good2.bin"));
    c->good_info[0].RemoteName = (LPWSTR)REMOTE;
    c->good_info[0].LocalName = c->local_good;
    c->bad_set[0] = c->good_info[0];
    c->bad_set[1].RemoteName = (LPWSTR)L"ftp://x/y";
    c->bad_set[1].LocalName = c->local_good2;
    c->null_remote_set[0].RemoteName = NULL;
    c->null_remote_set[0].LocalName = c->local_good;
    c->null_local_set[0].RemoteName = (LPWSTR)REMOTE;
    c->null_local_set[0].LocalName = NULL;
    c->cred.Target = BG_AUTH_TARGET_SERVER;
    c->cred.Scheme = BG_AUTH_SCHEME_BASIC;
    c->cred.Credentials.Basic.UserName = (LPWSTR)L"user";
    c->cred.Credentials.Basic.Password = (LPWSTR)L"password";
    c->bstr = SysAllocString(L"overwritten?");
    if (!proxy32768 || !c->bstr)
        return setup_ok(E_OUTOFMEMORY, "allocations");

    if (!job_with_file(c->m, L"bad input: SUSPENDED", local_name(L"suspended.bin"), NULL, &c->susp) ||
        !qi_do(c->susp, &c->susp_do, &c->susp_do2) ||
        !first_file(c->susp, &c->file, &c->dofile, &c->dofile2, &c->efiles))
        return 0;
    if (!(c->empty = new_job(c->m, L"bad input: empty", NULL)))
        return 0;
    if (!(c->scratch = new_job(c->m, L"bad input: scratch", NULL)) ||
        !setup_ok(IBackgroundCopyJob5_QueryInterface(c->scratch, &IID_IDeliveryOptimizationJob2, (void **)&c->scratch_do2),
                  "QueryInterface(IDeliveryOptimizationJob2) on the scratch job"))
        return 0;
    if (!(c->nosink = new_job(c->m, L"bad input: DO file without sink", NULL)))
        return 0;
    IDeliveryOptimizationJob2 *nosink_do2 = NULL;
    IUnknown *obj = NULL;
    HRESULT hr = IBackgroundCopyJob5_QueryInterface(c->nosink, &IID_IDeliveryOptimizationJob2, (void **)&nosink_do2);
    if (SUCCEEDED(hr))
        hr = IDeliveryOptimizationJob2_AddFile(nosink_do2, L"no-sink", REMOTE, 0, NULL,
                                               &IID_IDeliveryOptimizationFile, (void **)&obj);
    if (obj)
        IUnknown_Release(obj);
    if (nosink_do2)
        IDeliveryOptimizationJob2_Release(nosink_do2);
    if (!setup_ok(hr, "IDeliveryOptimizationJob2::AddFile without a local name"))
        return 0;
    IBackgroundCopyFile5 *qfile = NULL;
    if (!job_with_file(c->m, L"bad input: QUEUED", local_name(L"queued.bin"), NULL, &c->queued) ||
        !first_file(c->queued, &qfile, NULL, &c->queued_dofile2, NULL) ||
        !setup_ok(IBackgroundCopyJob5_Resume(c->queued), "Resume (QUEUED job)") ||
        !setup_ok(wait_state(c->queued, BG_JOB_STATE_TRANSIENT_ERROR),
                  "the resumed job reaches TRANSIENT_ERROR (unreachable URL)"))
        return 0;
    IBackgroundCopyFile5_Release(qfile);
    if (!job_with_file(c->m, L"bad input: CANCELLED", local_name(L"cancelled.bin"), &c->cancelled_id, &c->cancelled) ||
        !qi_do(c->cancelled, &c->cancelled_do, &c->cancelled_do2) ||
        !first_file(c->cancelled, &c->cancelled_file, &c->cancelled_dofile, &c->cancelled_dofile2, NULL) ||
        !setup_ok(IBackgroundCopyJob5_Cancel(c->cancelled), "Cancel"))
        return 0;
    if (!job_with_file(c->m, L"bad input: ACKNOWLEDGED", local_name(L"acked.bin"), &c->acked_id, &c->acked) ||
        !qi_do(c->acked, &c->acked_do, &c->acked_do2) ||
        !first_file(c->acked, &c->acked_file, &c->acked_dofile, &c->acked_dofile2, NULL) ||
        !setup_ok(IBackgroundCopyJob5_Complete(c->acked), "Complete"))
        return 0;
    if (!setup_ok(IBackgroundCopyManager_EnumJobs(c->m, 0, &c->ejobs), "EnumJobs(0)"))
        return 0;
    dump_one(c->susp, &c->before_susp);
    dump_one(c->empty, &c->before_empty);
    dump_one(c->nosink, &c->before_nosink);
    dump_one(c->scratch, &c->before_scratch);
    return setup_ok(c->before_susp.p && c->before_empty.p && c->before_nosink.p && c->before_scratch.p ? S_OK : E_OUTOFMEMORY,
                    "dumps of the jobs before the cases");
}

#define RELEASE(p, type) do { if (p) type##_Release(p); (p) = NULL; } while (0)

/* Cancels the jobs the run created (the dumps before and after must then be identical). */
static void teardown(ctx_t *c)
{
    IBackgroundCopyJob5 *live[] = {c->susp, c->empty, c->scratch, c->nosink, c->queued};
    const char *names[] = {"SUSPENDED", "empty", "scratch", "DO file without sink", "QUEUED"};
    for (int i = 0; i < 5; i++) {
        if (!live[i])
            continue;
        char name[200];
        snprintf(name, sizeof name, "bad input: cleanup: Cancel the %s job", names[i]);
        CHECK_HR(IBackgroundCopyJob5_Cancel(live[i]), S_OK, name);
    }
    RELEASE(c->file, IBackgroundCopyFile5);
    RELEASE(c->dofile, IDeliveryOptimizationFile);
    RELEASE(c->dofile2, IDeliveryOptimizationFile2);
    RELEASE(c->efiles, IEnumBackgroundCopyFiles);
    RELEASE(c->ejobs, IEnumBackgroundCopyJobs);
    RELEASE(c->queued_dofile2, IDeliveryOptimizationFile2);
    RELEASE(c->susp_do, IDeliveryOptimizationJob);
    RELEASE(c->susp_do2, IDeliveryOptimizationJob2);
    RELEASE(c->scratch_do2, IDeliveryOptimizationJob2);
    RELEASE(c->cancelled_do, IDeliveryOptimizationJob);
    RELEASE(c->cancelled_do2, IDeliveryOptimizationJob2);
    RELEASE(c->acked_do, IDeliveryOptimizationJob);
    RELEASE(c->acked_do2, IDeliveryOptimizationJob2);
    RELEASE(c->cancelled_file, IBackgroundCopyFile5);
    RELEASE(c->cancelled_dofile, IDeliveryOptimizationFile);
    RELEASE(c->cancelled_dofile2, IDeliveryOptimizationFile2);
    RELEASE(c->acked_file, IBackgroundCopyFile5);
    RELEASE(c->acked_dofile, IDeliveryOptimizationFile);
    RELEASE(c->acked_dofile2, IDeliveryOptimizationFile2);
    RELEASE(c->susp, IBackgroundCopyJob5);
    RELEASE(c->empty, IBackgroundCopyJob5);
    RELEASE(c->scratch, IBackgroundCopyJob5);
    RELEASE(c->nosink, IBackgroundCopyJob5);
    RELEASE(c->queued, IBackgroundCopyJob5);
    RELEASE(c->cancelled, IBackgroundCopyJob5);
    RELEASE(c->acked, IBackgroundCopyJob5);
    SysFreeString(c->bstr);
    free(c->before_susp.p);
    free(c->before_empty.p);
    free(c->before_nosink.p);
    free(c->before_scratch.p);
}

/* filter: run only the cases whose method or description contains it (and the final checks). */
static int cmd_run(IBackgroundCopyManager *m, const WCHAR *filter)
{
    char only[200] = "";
    if (filter)
        snprintf(only, sizeof only, "%ls", filter);
    static ctx_t ctx; /* large: not on the stack */
    ctx_t *c = &ctx;
    memset(c, 0, sizeof *c);
    c->m = m;
    if (!setup(c)) {
        teardown(c);
        return 1;
    }
    size_t n = sizeof cases / sizeof cases[0], run = 0;
    for (size_t i = 0; i < n; i++) {
        const bad_case_t *k = &cases[i];
        if (only[0] && !strstr(k->method, only) && !strstr(k->what, only) && !strstr(k->method, "(SUSPENDED job"))
            continue;
        HRESULT hr = k->fn(c);
        char name[600];
        snprintf(name, sizeof name, "bad input: %s %s -> 0x%08lx", k->method, k->what, HRX(k->want));
        CHECK_HR(hr, k->want, name);
        outs_clear(&c->o);
        run++;
    }
    printf("# bad-input cases: %lu\n", (unsigned long)run);
    teardown(c);
    return 0;
}

/* ---- reference jobs ---------------------------------------------------------------------------------- */

static void print_guid(const char *tag, const GUID *id)
{
    WCHAR text[40];
    StringFromGUID2(id, text, 40);
    printf("%s %ls\n", tag, text);
    fflush(stdout);
}

static int cmd_refs(IBackgroundCopyManager *m)
{
    GUID id_a, id_b;
    IBackgroundCopyJob5 *a = new_job(m, L"bad input: reference A \u00e9\u20ac", &id_a);
    if (!a)
        return 1;
    int ok = 1;
    ok &= setup_ok(IBackgroundCopyJob5_SetDescription(a, L"reference job A: must not change"), "A: SetDescription");
    ok &= setup_ok(IBackgroundCopyJob5_SetPriority(a, BG_JOB_PRIORITY_HIGH), "A: SetPriority");
    ok &= setup_ok(IBackgroundCopyJob5_SetNotifyFlags(a, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_MODIFICATION), "A: SetNotifyFlags");
    ok &= setup_ok(IBackgroundCopyJob5_SetMinimumRetryDelay(a, 777), "A: SetMinimumRetryDelay");
    ok &= setup_ok(IBackgroundCopyJob5_SetNoProgressTimeout(a, 888), "A: SetNoProgressTimeout");
    ok &= setup_ok(IBackgroundCopyJob5_SetProxySettings(a, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy-a:8080", L"<local>"), "A: SetProxySettings");
    ok &= setup_ok(IBackgroundCopyJob5_SetNotifyCmdLine(a, L"C:\\windows\\system32\\cmd.exe", L"/c echo A"), "A: SetNotifyCmdLine");
    BG_AUTH_CREDENTIALS cred;
    memset(&cred, 0, sizeof cred);
    cred.Target = BG_AUTH_TARGET_PROXY;
    cred.Scheme = BG_AUTH_SCHEME_NTLM;
    cred.Credentials.Basic.UserName = (LPWSTR)L"ref-user";
    cred.Credentials.Basic.Password = (LPWSTR)L"ref-password";
    ok &= setup_ok(IBackgroundCopyJob5_SetCredentials(a, &cred), "A: SetCredentials");
    ok &= setup_ok(IBackgroundCopyJob5_SetFileACLFlags(a, BG_COPY_FILE_OWNER | BG_COPY_FILE_GROUP), "A: SetFileACLFlags");
    ok &= setup_ok(IBackgroundCopyJob5_SetPeerCachingFlags(a, BG_JOB_ENABLE_PEERCACHING_CLIENT), "A: SetPeerCachingFlags");
    ok &= setup_ok(IBackgroundCopyJob5_SetMaximumDownloadTime(a, 4242), "A: SetMaximumDownloadTime");
    BITS_JOB_PROPERTY_VALUE pv;
    memset(&pv, 0, sizeof pv);
    pv.Dword = BITS_COST_STATE_TRANSFER_STANDARD;
    ok &= setup_ok(IBackgroundCopyJob5_SetProperty(a, BITS_JOB_PROPERTY_ID_COST_FLAGS, pv), "A: SetProperty(COST_FLAGS)");
    memset(&pv, 0, sizeof pv);
    pv.ClsID = some_clsid;
    ok &= setup_ok(IBackgroundCopyJob5_SetProperty(a, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, pv), "A: SetProperty(NOTIFICATION_CLSID)");
    ok &= setup_ok(IBackgroundCopyJob5_AddFile(a, L"http://127.0.0.1:1/ref/a1.bin", local_name(L"ref-a1.bin")), "A: AddFile");
    BG_FILE_RANGE ranges[2] = {{1000, 10}, {0, 100}};
    ok &= setup_ok(IBackgroundCopyJob5_AddFileWithRanges(a, L"https://127.0.0.1:1/ref/a2.bin", local_name(L"ref-a2.bin"), 2, ranges),
                   "A: AddFileWithRanges");
    IDeliveryOptimizationJob *dj = NULL;
    HRESULT hr = IBackgroundCopyJob5_QueryInterface(a, &IID_IDeliveryOptimizationJob, (void **)&dj);
    if (SUCCEEDED(hr)) {
        BG_FILE_RANGE r[1] = {{4096, BG_LENGTH_TO_EOF}};
        hr = IDeliveryOptimizationJob_AddFileWithRanges(dj, L"ref-file-id", L"http://127.0.0.1:1/ref/a3.bin",
                                                        local_name(L"ref-a3.bin"), 1, r, 1u << 20);
        IDeliveryOptimizationJob_Release(dj);
    }
    ok &= setup_ok(hr, "A: IDeliveryOptimizationJob::AddFileWithRanges");
    IBackgroundCopyFile5 *f = NULL;
    IDeliveryOptimizationFile2 *df2 = NULL;
    if (first_file(a, &f, NULL, &df2, NULL)) {
        VARIANT v;
        VariantInit(&v);
        V_VT(&v) = VT_BOOL;
        V_BOOL(&v) = VARIANT_TRUE;
        ok &= setup_ok(IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_IntegrityCheckMandatory, &v),
                       "A: file 0 IntegrityCheckMandatory");
        IBackgroundCopyFile5_Release(f);
        IDeliveryOptimizationFile2_Release(df2);
    } else {
        ok = 0;
    }
    IBackgroundCopyJob5_Release(a);

    IBackgroundCopyJob5 *b = new_job(m, L"bad input: reference B", &id_b);
    if (!b)
        return 1;
    ok &= setup_ok(IBackgroundCopyJob5_SetDescription(b, L"reference job B: QUEUED"), "B: SetDescription");
    ok &= setup_ok(IBackgroundCopyJob5_SetPriority(b, BG_JOB_PRIORITY_FOREGROUND), "B: SetPriority");
    ok &= setup_ok(IBackgroundCopyJob5_AddFile(b, L"http://127.0.0.1:1/ref/b1.bin", local_name(L"ref-b1.bin")), "B: AddFile");
    ok &= setup_ok(IBackgroundCopyJob5_Resume(b), "B: Resume");
    /* Its URL is unreachable: B settles in TRANSIENT_ERROR (retry in 600 s) before any snapshot. */
    ok &= setup_ok(wait_state(b, BG_JOB_STATE_TRANSIENT_ERROR), "B: reaches TRANSIENT_ERROR");
    IBackgroundCopyJob5_Release(b);
    print_guid("JOB", &id_a);
    print_guid("JOB", &id_b);
    return ok ? 0 : 1;
}

/* ---- snapshot, alive, cleanup -------------------------------------------------------------------------- */

static int cmd_snapshot(IBackgroundCopyManager *m)
{
    dstr_t d = {0};
    int ok = dump_all(m, &d);
    if (d.p)
        fputs(d.p, stdout);
    free(d.p);
    return ok && d.p ? 0 : 1;
}

static int cmd_alive(IBackgroundCopyManager *m)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_CreateJob(m, L"bad input: alive", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    CHECK_HR(hr, S_OK, "bad input: after the run: CreateJob works");
    if (FAILED(hr))
        return 1;
    IBackgroundCopyJob *again = NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(m, &id, &again), S_OK, "bad input: after the run: GetJob finds the new job");
    if (again)
        IBackgroundCopyJob_Release(again);
    CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, "bad input: after the run: Cancel works");
    IBackgroundCopyJob_Release(job);
    return 0;
}

static int cmd_cleanup(IBackgroundCopyManager *m, int argc, WCHAR **argv)
{
    for (int i = 0; i < argc; i++) {
        GUID id;
        IBackgroundCopyJob *job = NULL;
        char name[200];
        snprintf(name, sizeof name, "bad input: cleanup: Cancel the reference job %ls", argv[i]);
        HRESULT hr = CLSIDFromString(argv[i], &id);
        if (SUCCEEDED(hr))
            hr = IBackgroundCopyManager_GetJob(m, &id, &job);
        if (SUCCEEDED(hr))
            hr = IBackgroundCopyJob_Cancel(job);
        if (job)
            IBackgroundCopyJob_Release(job);
        CHECK_HR(hr, S_OK, name);
    }
    return 0;
}

int wmain(int argc, WCHAR **argv)
{
    if (argc < 2)
        return 2;
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    make_values();
    IBackgroundCopyManager *m = connect_manager();
    int status = 1;
    if (m) {
        const WCHAR *cmd = argv[1];
        if (!wcscmp(cmd, L"refs"))
            status = cmd_refs(m);
        else if (!wcscmp(cmd, L"snapshot"))
            status = cmd_snapshot(m);
        else if (!wcscmp(cmd, L"run"))
            status = cmd_run(m, argc > 2 ? argv[2] : NULL);
        else if (!wcscmp(cmd, L"alive"))
            status = cmd_alive(m);
        else if (!wcscmp(cmd, L"cleanup"))
            status = cmd_cleanup(m, argc - 2, argv + 2);
        else
            status = 2;
        IBackgroundCopyManager_Release(m);
    }
    free(proxy32768);
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
