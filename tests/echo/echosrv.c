/* echosrv.exe: an out-of-process COM server (LocalServer32, MTA, REGCLS_MULTIPLEUSE) whose objects
 * implement every interface of idl/deliveryoptimization.idl by echoing: setters store their
 * inputs, getters hand them back or values derived from them (echo_data.h).  It proves, together
 * with marshal_test.exe, that doproxy.dll marshals every parameter of every method.
 *
 * Objects: manager (IBackgroundCopyManager, IDOManager, IOpendoAdmin, IBitsPeerCacheAdministration)
 * -> jobs (IBackgroundCopyJob..Job5, IDeliveryOptimizationJob/Job2, IBackgroundCopyJobHttpOptions..3,
 * IBitsTokenOptions) -> files (IBackgroundCopyFile..File6, IDeliveryOptimizationFile/File2);
 * downloads (IDODownload); peer-cache records (IBitsPeerCacheRecord) and peers (IBitsPeer);
 * enumerators of files, jobs, records, peers and downloads (IEnumUnknown); error objects.  The
 * server calls back the client's sink (IBackgroundCopyCallback/Callback2/Callback3) and its
 * IBackgroundCopyServerCertificateValidationCallback from IBackgroundCopyJob::Resume, and a
 * download's IDODownloadStatusCallback and IStream (VT_UNKNOWN properties) from IDODownload::Start,
 * Pause, Abort and Finalize.  It exits once its last object is released (or after a 5-minute
 * safety timeout), or dies on purpose on ECHO_CMD_DIE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "echo_data.h"

/* ------------------------------------------------------------------------------------------ */
/* process-wide state                                                                          */

static CRITICAL_SECTION g_cs;       /* guards every object's state and g_lastcall */
static LONG g_objects;              /* live objects (manager, jobs, files, enums, errors) */
static HANDLE g_done;               /* set when g_objects drops back to 0 */
static WCHAR g_lastcall[1024];      /* log line of the last setter that has no getter */

static void obj_created(void) { InterlockedIncrement(&g_objects); }
static void obj_destroyed(void)
{
    if (InterlockedDecrement(&g_objects) == 0)
        SetEvent(g_done);
}

static WCHAR *str_dup(const WCHAR *s)
{
    if (!s)
        return NULL;
    size_t n = (wcslen(s) + 1) * sizeof(WCHAR);
    WCHAR *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void str_set(WCHAR **slot, const WCHAR *s)
{
    WCHAR *n = str_dup(s);
    free(*slot);
    *slot = n;
}

/* Out-string: a CoTaskMem copy, or NULL for NULL. */
static HRESULT co_str(const WCHAR *s, LPWSTR *out)
{
    if (!out)
        return E_INVALIDARG;
    *out = NULL;
    if (!s)
        return S_OK;
    size_t n = (wcslen(s) + 1) * sizeof(WCHAR);
    *out = CoTaskMemAlloc(n);
    if (!*out)
        return E_OUTOFMEMORY;
    memcpy(*out, s, n);
    return S_OK;
}

static void lastcall(const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    EnterCriticalSection(&g_cs);
    _vsnwprintf(g_lastcall, ARRAYSIZE(g_lastcall) - 1, fmt, ap);
    g_lastcall[ARRAYSIZE(g_lastcall) - 1] = 0;
    LeaveCriticalSection(&g_cs);
    va_end(ap);
}

static const WCHAR *nz(const WCHAR *s) { return s ? s : L"(null)"; }

/* ------------------------------------------------------------------------------------------ */
/* files                                                                                       */

#define N_DOFILE_PROPS 7

typedef struct EchoFile {
    IBackgroundCopyFile6 IBackgroundCopyFile6_iface;
    IDeliveryOptimizationFile IDeliveryOptimizationFile_iface;
    IDeliveryOptimizationFile2 IDeliveryOptimizationFile2_iface;
    LONG ref;
    unsigned index;
    WCHAR *remote, *local, *file_id, *headers;
    BG_FILE_RANGE *ranges;
    DWORD nranges;
    BG_FILE_RANGE *requested; /* IBackgroundCopyFile6::RequestFileRanges, in order */
    DWORD nrequested;
    UINT64 size;
    BOOL validation;
    VARIANT props[N_DOFILE_PROPS];
    BOOL props_set[N_DOFILE_PROPS];
} EchoFile;

static inline EchoFile *file_from_bg(IBackgroundCopyFile6 *i) { return CONTAINING_RECORD(i, EchoFile, IBackgroundCopyFile6_iface); }
static inline EchoFile *file_from_do(IDeliveryOptimizationFile *i) { return CONTAINING_RECORD(i, EchoFile, IDeliveryOptimizationFile_iface); }
static inline EchoFile *file_from_do2(IDeliveryOptimizationFile2 *i) { return CONTAINING_RECORD(i, EchoFile, IDeliveryOptimizationFile2_iface); }

static HRESULT STDMETHODCALLTYPE file_QueryInterface(IBackgroundCopyFile6 *iface, REFIID riid, void **ppv)
{
    EchoFile *f = file_from_bg(iface);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyFile)
        || IsEqualIID(riid, &IID_IBackgroundCopyFile2) || IsEqualIID(riid, &IID_IBackgroundCopyFile3)
        || IsEqualIID(riid, &IID_IBackgroundCopyFile4) || IsEqualIID(riid, &IID_IBackgroundCopyFile5)
        || IsEqualIID(riid, &IID_IBackgroundCopyFile6))
        *ppv = &f->IBackgroundCopyFile6_iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationFile))
        *ppv = &f->IDeliveryOptimizationFile_iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationFile2))
        *ppv = &f->IDeliveryOptimizationFile2_iface;
    else
        return E_NOINTERFACE;
    InterlockedIncrement(&f->ref);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE file_AddRef(IBackgroundCopyFile6 *iface)
{
    return InterlockedIncrement(&file_from_bg(iface)->ref);
}

static ULONG STDMETHODCALLTYPE file_Release(IBackgroundCopyFile6 *iface)
{
    EchoFile *f = file_from_bg(iface);
    LONG r = InterlockedDecrement(&f->ref);
    if (!r) {
        free(f->remote);
        free(f->local);
        free(f->file_id);
        free(f->headers);
        free(f->ranges);
        free(f->requested);
        for (int i = 0; i < N_DOFILE_PROPS; i++)
            VariantClear(&f->props[i]);
        free(f);
        obj_destroyed();
    }
    return r;
}

static HRESULT STDMETHODCALLTYPE file_GetRemoteName(IBackgroundCopyFile6 *iface, LPWSTR *pVal)
{
    EchoFile *f = file_from_bg(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(f->remote, pVal);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE file_GetLocalName(IBackgroundCopyFile6 *iface, LPWSTR *pVal)
{
    EchoFile *f = file_from_bg(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(f->local, pVal);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE file_GetProgress(IBackgroundCopyFile6 *iface, BG_FILE_PROGRESS *pVal)
{
    EchoFile *f = file_from_bg(iface);
    *pVal = echo_file_progress(f->index, f->size);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_GetFileRanges(IBackgroundCopyFile6 *iface, DWORD *RangeCount, BG_FILE_RANGE **Ranges)
{
    EchoFile *f = file_from_bg(iface);
    if (!RangeCount || !Ranges)
        return E_INVALIDARG;
    *Ranges = NULL;
    *RangeCount = 0;
    EnterCriticalSection(&g_cs);
    HRESULT hr = S_FALSE;
    if (f->nranges) {
        *Ranges = CoTaskMemAlloc(f->nranges * sizeof(BG_FILE_RANGE));
        if (*Ranges) {
            memcpy(*Ranges, f->ranges, f->nranges * sizeof(BG_FILE_RANGE));
            *RangeCount = f->nranges;
            hr = S_OK;
        } else
            hr = E_OUTOFMEMORY;
    }
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE file_SetRemoteName(IBackgroundCopyFile6 *iface, LPCWSTR Val)
{
    EchoFile *f = file_from_bg(iface);
    if (!Val[0])
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    str_set(&f->remote, Val);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_GetTemporaryName(IBackgroundCopyFile6 *iface, LPWSTR *pFilename)
{
    EchoFile *f = file_from_bg(iface);
    WCHAR buf[4096];
    EnterCriticalSection(&g_cs);
    _snwprintf(buf, ARRAYSIZE(buf) - 1, L"%ls.do-tmp", f->local ? f->local : L"");
    LeaveCriticalSection(&g_cs);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, pFilename);
}

static HRESULT STDMETHODCALLTYPE file_SetValidationState(IBackgroundCopyFile6 *iface, BOOL state)
{
    file_from_bg(iface)->validation = state;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_GetValidationState(IBackgroundCopyFile6 *iface, BOOL *pState)
{
    *pState = file_from_bg(iface)->validation;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_IsDownloadedFromPeer(IBackgroundCopyFile6 *iface, BOOL *pVal)
{
    *pVal = (file_from_bg(iface)->index & 1) ? TRUE : FALSE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_GetPeerDownloadStats(IBackgroundCopyFile6 *iface, UINT64 *pFromOrigin, UINT64 *pFromPeers)
{
    EchoFile *f = file_from_bg(iface);
    *pFromOrigin = ECHO_FROM_ORIGIN(f->index);
    *pFromPeers = ECHO_FROM_PEERS(f->index);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_SetProperty(IBackgroundCopyFile6 *iface, BITS_FILE_PROPERTY_ID PropertyId, BITS_FILE_PROPERTY_VALUE PropertyValue)
{
    EchoFile *f = file_from_bg(iface);
    if (PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    str_set(&f->headers, PropertyValue.String);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_GetProperty(IBackgroundCopyFile6 *iface, BITS_FILE_PROPERTY_ID PropertyId, BITS_FILE_PROPERTY_VALUE *PropertyValue)
{
    EchoFile *f = file_from_bg(iface);
    PropertyValue->String = NULL;
    if (PropertyId != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(f->headers ? f->headers : L"HTTP/1.1 200 OK\r\nServer: echo\r\n", &PropertyValue->String);
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* IBackgroundCopyFile6: the position is logged (ECHO_CMD_LASTCALL), requested ranges are appended
 * and GetFilledFileRanges hands them back (S_FALSE, 0 and NULL before any). */
static HRESULT STDMETHODCALLTYPE file_UpdateDownloadPosition(IBackgroundCopyFile6 *iface, UINT64 offset)
{
    lastcall(L"UpdateDownloadPosition file=%u offset=%llu", file_from_bg(iface)->index, (unsigned long long)offset);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE file_RequestFileRanges(IBackgroundCopyFile6 *iface, DWORD count, const BG_FILE_RANGE ranges[])
{
    EchoFile *f = file_from_bg(iface);
    if (!count)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    BG_FILE_RANGE *n = realloc(f->requested, (f->nrequested + count) * sizeof(*n));
    if (n) {
        memcpy(n + f->nrequested, ranges, count * sizeof(*n));
        f->requested = n;
        f->nrequested += count;
    }
    LeaveCriticalSection(&g_cs);
    return n ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE file_GetFilledFileRanges(IBackgroundCopyFile6 *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    EchoFile *f = file_from_bg(iface);
    *count = 0;
    *ranges = NULL;
    EnterCriticalSection(&g_cs);
    HRESULT hr = f->nrequested ? S_OK : S_FALSE;
    if (f->nrequested) {
        *ranges = CoTaskMemAlloc(f->nrequested * sizeof(**ranges));
        if (*ranges) {
            memcpy(*ranges, f->requested, f->nrequested * sizeof(**ranges));
            *count = f->nrequested;
        } else
            hr = E_OUTOFMEMORY;
    }
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IBackgroundCopyFile6Vtbl file_vtbl = {
    .QueryInterface = file_QueryInterface,
    .AddRef = file_AddRef,
    .Release = file_Release,
    .GetRemoteName = file_GetRemoteName,
    .GetLocalName = file_GetLocalName,
    .GetProgress = file_GetProgress,
    .GetFileRanges = file_GetFileRanges,
    .SetRemoteName = file_SetRemoteName,
    .GetTemporaryName = file_GetTemporaryName,
    .SetValidationState = file_SetValidationState,
    .GetValidationState = file_GetValidationState,
    .IsDownloadedFromPeer = file_IsDownloadedFromPeer,
    .GetPeerDownloadStats = file_GetPeerDownloadStats,
    .SetProperty = file_SetProperty,
    .GetProperty = file_GetProperty,
    .UpdateDownloadPosition = file_UpdateDownloadPosition,
    .RequestFileRanges = file_RequestFileRanges,
    .GetFilledFileRanges = file_GetFilledFileRanges,
};

static HRESULT STDMETHODCALLTYPE dofile_QueryInterface(IDeliveryOptimizationFile *iface, REFIID riid, void **ppv)
{
    return file_QueryInterface(&file_from_do(iface)->IBackgroundCopyFile6_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE dofile_AddRef(IDeliveryOptimizationFile *iface)
{
    return file_AddRef(&file_from_do(iface)->IBackgroundCopyFile6_iface);
}
static ULONG STDMETHODCALLTYPE dofile_Release(IDeliveryOptimizationFile *iface)
{
    return file_Release(&file_from_do(iface)->IBackgroundCopyFile6_iface);
}

static HRESULT STDMETHODCALLTYPE dofile_GetStats(IDeliveryOptimizationFile *iface, DOSwarmStats *s)
{
    EchoFile *f = file_from_do(iface);
    memset(s, 0, sizeof(*s));
    echo_swarm_numbers(s, f->index, f->size);
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(f->file_id, &s->fileId);
    if (SUCCEEDED(hr))
        hr = co_str(f->remote, &s->sourceURL);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IDeliveryOptimizationFileVtbl dofile_vtbl = {
    .QueryInterface = dofile_QueryInterface,
    .AddRef = dofile_AddRef,
    .Release = dofile_Release,
    .GetStats = dofile_GetStats,
};

static HRESULT STDMETHODCALLTYPE dofile2_QueryInterface(IDeliveryOptimizationFile2 *iface, REFIID riid, void **ppv)
{
    return file_QueryInterface(&file_from_do2(iface)->IBackgroundCopyFile6_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE dofile2_AddRef(IDeliveryOptimizationFile2 *iface)
{
    return file_AddRef(&file_from_do2(iface)->IBackgroundCopyFile6_iface);
}
static ULONG STDMETHODCALLTYPE dofile2_Release(IDeliveryOptimizationFile2 *iface)
{
    return file_Release(&file_from_do2(iface)->IBackgroundCopyFile6_iface);
}

static HRESULT STDMETHODCALLTYPE dofile2_GetProperty(IDeliveryOptimizationFile2 *iface, DOFilePropertyId id, VARIANT *v)
{
    EchoFile *f = file_from_do2(iface);
    VariantInit(v);
    if ((unsigned)id >= N_DOFILE_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&g_cs);
    HRESULT hr = f->props_set[id] ? VariantCopy(v, &f->props[id]) : HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* NULL (the parameter is [unique]) clears the property and returns S_FALSE. */
static HRESULT STDMETHODCALLTYPE dofile2_SetProperty(IDeliveryOptimizationFile2 *iface, DOFilePropertyId id, const VARIANT *v)
{
    EchoFile *f = file_from_do2(iface);
    if ((unsigned)id >= N_DOFILE_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&g_cs);
    HRESULT hr = VariantClear(&f->props[id]);
    f->props_set[id] = FALSE;
    if (v && SUCCEEDED(hr)) {
        hr = VariantCopy(&f->props[id], (VARIANT *)v);
        f->props_set[id] = SUCCEEDED(hr);
    } else if (SUCCEEDED(hr))
        hr = S_FALSE;
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IDeliveryOptimizationFile2Vtbl dofile2_vtbl = {
    .QueryInterface = dofile2_QueryInterface,
    .AddRef = dofile2_AddRef,
    .Release = dofile2_Release,
    .GetProperty = dofile2_GetProperty,
    .SetProperty = dofile2_SetProperty,
};

static EchoFile *file_create(unsigned index, const WCHAR *file_id, const WCHAR *remote, const WCHAR *local,
                             DWORD nranges, const BG_FILE_RANGE *ranges, UINT64 size)
{
    EchoFile *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->IBackgroundCopyFile6_iface.lpVtbl = &file_vtbl;
    f->IDeliveryOptimizationFile_iface.lpVtbl = &dofile_vtbl;
    f->IDeliveryOptimizationFile2_iface.lpVtbl = &dofile2_vtbl;
    f->ref = 1;
    f->index = index;
    f->file_id = str_dup(file_id);
    f->remote = str_dup(remote);
    f->local = str_dup(local);
    f->size = size;
    if (nranges && ranges) {
        f->ranges = malloc(nranges * sizeof(*ranges));
        if (f->ranges) {
            memcpy(f->ranges, ranges, nranges * sizeof(*ranges));
            f->nranges = nranges;
        }
    }
    for (int i = 0; i < N_DOFILE_PROPS; i++)
        VariantInit(&f->props[i]);
    obj_created();
    return f;
}

/* ------------------------------------------------------------------------------------------ */
/* enumerators (files, jobs, peer-cache records and peers, IDOManager::EnumDownloads' IEnumUnknown) */

typedef enum EnumKind { ENUM_FILES, ENUM_JOBS, ENUM_DOWNLOADS, ENUM_RECORDS, ENUM_PEERS } EnumKind;

typedef struct EchoEnum {
    IEnumBackgroundCopyFiles IEnumBackgroundCopyFiles_iface;
    IEnumBackgroundCopyJobs IEnumBackgroundCopyJobs_iface;
    IEnumUnknown IEnumUnknown_iface;
    IEnumBitsPeerCacheRecords IEnumBitsPeerCacheRecords_iface;
    IEnumBitsPeers IEnumBitsPeers_iface;
    LONG ref;
    EnumKind kind; /* the one interface this enumerator answers */
    IUnknown **items; /* IBackgroundCopyFile *, IBackgroundCopyJob *, IDODownload *, IBitsPeerCacheRecord *
                         or IBitsPeer *, AddRef'd */
    ULONG n, pos;
} EchoEnum;

static EchoEnum *enum_create(EnumKind kind, IUnknown **items, ULONG n, ULONG pos)
{
    EchoEnum *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    extern const IEnumBackgroundCopyFilesVtbl enumfiles_vtbl;
    extern const IEnumBackgroundCopyJobsVtbl enumjobs_vtbl;
    extern const IEnumUnknownVtbl enumunk_vtbl;
    extern const IEnumBitsPeerCacheRecordsVtbl enumrecords_vtbl;
    extern const IEnumBitsPeersVtbl enumpeers_vtbl;
    e->IEnumBackgroundCopyFiles_iface.lpVtbl = &enumfiles_vtbl;
    e->IEnumBackgroundCopyJobs_iface.lpVtbl = &enumjobs_vtbl;
    e->IEnumUnknown_iface.lpVtbl = &enumunk_vtbl;
    e->IEnumBitsPeerCacheRecords_iface.lpVtbl = &enumrecords_vtbl;
    e->IEnumBitsPeers_iface.lpVtbl = &enumpeers_vtbl;
    e->ref = 1;
    e->kind = kind;
    e->items = calloc(n ? n : 1, sizeof(*e->items));
    if (!e->items) {
        free(e);
        return NULL;
    }
    for (ULONG i = 0; i < n; i++) {
        e->items[i] = items[i];
        IUnknown_AddRef(items[i]);
    }
    e->n = n;
    e->pos = pos;
    obj_created();
    return e;
}

static ULONG enum_release(EchoEnum *e)
{
    LONG r = InterlockedDecrement(&e->ref);
    if (!r) {
        for (ULONG i = 0; i < e->n; i++)
            IUnknown_Release(e->items[i]);
        free(e->items);
        free(e);
        obj_destroyed();
    }
    return r;
}

static HRESULT enum_next(EchoEnum *e, ULONG celt, IUnknown **rgelt, ULONG *fetched)
{
    if (!rgelt || (!fetched && celt != 1))
        return E_INVALIDARG;
    ULONG got = 0;
    EnterCriticalSection(&g_cs);
    while (got < celt && e->pos < e->n) {
        rgelt[got] = e->items[e->pos++];
        IUnknown_AddRef(rgelt[got]);
        got++;
    }
    LeaveCriticalSection(&g_cs);
    if (fetched)
        *fetched = got;
    return got == celt ? S_OK : S_FALSE;
}

static HRESULT enum_skip(EchoEnum *e, ULONG celt)
{
    HRESULT hr = S_OK;
    EnterCriticalSection(&g_cs);
    if (e->n - e->pos < celt) {
        e->pos = e->n;
        hr = S_FALSE;
    } else
        e->pos += celt;
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* A copy at the same position (Clone). */
static EchoEnum *enum_clone(EchoEnum *e)
{
    EnterCriticalSection(&g_cs);
    EchoEnum *c = enum_create(e->kind, e->items, e->n, e->pos);
    LeaveCriticalSection(&g_cs);
    return c;
}

/* QueryInterface of each of the three interfaces: only the enumerator's own kind answers. */
static HRESULT enum_query(EchoEnum *e, EnumKind kind, const IID *own, void *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (e->kind != kind || !(IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, own)))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&e->ref);
    return S_OK;
}

/* The five methods of an IEnumXxx of this server, for the enumerator kind KIND answering IFACE
 * (whose Next hands out ITEM pointers): prefix_QueryInterface ... prefix_GetCount and prefix_vtbl. */
#define ECHO_ENUM_INTERFACE(prefix, IFACE, ITEM, KIND)                                            \
    static inline EchoEnum *prefix##_from(IFACE *i) { return CONTAINING_RECORD(i, EchoEnum, IFACE##_iface); } \
    static HRESULT STDMETHODCALLTYPE prefix##_QueryInterface(IFACE *iface, REFIID riid, void **ppv)   \
    {                                                                                             \
        return enum_query(prefix##_from(iface), KIND, &IID_##IFACE, iface, riid, ppv);            \
    }                                                                                             \
    static ULONG STDMETHODCALLTYPE prefix##_AddRef(IFACE *iface) { return InterlockedIncrement(&prefix##_from(iface)->ref); } \
    static ULONG STDMETHODCALLTYPE prefix##_Release(IFACE *iface) { return enum_release(prefix##_from(iface)); } \
    static HRESULT STDMETHODCALLTYPE prefix##_Next(IFACE *iface, ULONG celt, ITEM **rgelt, ULONG *fetched) \
    {                                                                                             \
        return enum_next(prefix##_from(iface), celt, (IUnknown **)rgelt, fetched);                \
    }                                                                                             \
    static HRESULT STDMETHODCALLTYPE prefix##_Skip(IFACE *iface, ULONG celt) { return enum_skip(prefix##_from(iface), celt); } \
    static HRESULT STDMETHODCALLTYPE prefix##_Reset(IFACE *iface)                                 \
    {                                                                                             \
        prefix##_from(iface)->pos = 0;                                                            \
        return S_OK;                                                                              \
    }                                                                                             \
    static HRESULT STDMETHODCALLTYPE prefix##_Clone(IFACE *iface, IFACE **ppenum)                 \
    {                                                                                             \
        EchoEnum *c = enum_clone(prefix##_from(iface));                                           \
        *ppenum = c ? &c->IFACE##_iface : NULL;                                                   \
        return c ? S_OK : E_OUTOFMEMORY;                                                          \
    }                                                                                             \
    static HRESULT STDMETHODCALLTYPE prefix##_GetCount(IFACE *iface, ULONG *puCount)              \
    {                                                                                             \
        *puCount = prefix##_from(iface)->n;                                                       \
        return S_OK;                                                                              \
    }                                                                                             \
    const IFACE##Vtbl prefix##_vtbl = {                                                           \
        .QueryInterface = prefix##_QueryInterface,                                                \
        .AddRef = prefix##_AddRef,                                                                \
        .Release = prefix##_Release,                                                              \
        .Next = prefix##_Next,                                                                    \
        .Skip = prefix##_Skip,                                                                    \
        .Reset = prefix##_Reset,                                                                  \
        .Clone = prefix##_Clone,                                                                  \
        .GetCount = prefix##_GetCount,                                                            \
    };

ECHO_ENUM_INTERFACE(enumfiles, IEnumBackgroundCopyFiles, IBackgroundCopyFile, ENUM_FILES)
ECHO_ENUM_INTERFACE(enumjobs, IEnumBackgroundCopyJobs, IBackgroundCopyJob, ENUM_JOBS)
ECHO_ENUM_INTERFACE(enumrecords, IEnumBitsPeerCacheRecords, IBitsPeerCacheRecord, ENUM_RECORDS)
ECHO_ENUM_INTERFACE(enumpeers, IEnumBitsPeers, IBitsPeer, ENUM_PEERS)

static inline EchoEnum *enum_from_unk(IEnumUnknown *i) { return CONTAINING_RECORD(i, EchoEnum, IEnumUnknown_iface); }

static HRESULT STDMETHODCALLTYPE enumunk_QueryInterface(IEnumUnknown *iface, REFIID riid, void **ppv)
{
    return enum_query(enum_from_unk(iface), ENUM_DOWNLOADS, &IID_IEnumUnknown, iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE enumunk_AddRef(IEnumUnknown *iface) { return InterlockedIncrement(&enum_from_unk(iface)->ref); }
static ULONG STDMETHODCALLTYPE enumunk_Release(IEnumUnknown *iface) { return enum_release(enum_from_unk(iface)); }
static HRESULT STDMETHODCALLTYPE enumunk_Next(IEnumUnknown *iface, ULONG celt, IUnknown **rgelt, ULONG *fetched)
{
    return enum_next(enum_from_unk(iface), celt, rgelt, fetched);
}
static HRESULT STDMETHODCALLTYPE enumunk_Skip(IEnumUnknown *iface, ULONG celt) { return enum_skip(enum_from_unk(iface), celt); }
static HRESULT STDMETHODCALLTYPE enumunk_Reset(IEnumUnknown *iface)
{
    enum_from_unk(iface)->pos = 0;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE enumunk_Clone(IEnumUnknown *iface, IEnumUnknown **ppenum)
{
    EchoEnum *c = enum_clone(enum_from_unk(iface));
    *ppenum = c ? &c->IEnumUnknown_iface : NULL;
    return c ? S_OK : E_OUTOFMEMORY;
}

const IEnumUnknownVtbl enumunk_vtbl = {
    .QueryInterface = enumunk_QueryInterface,
    .AddRef = enumunk_AddRef,
    .Release = enumunk_Release,
    .Next = enumunk_Next,
    .Skip = enumunk_Skip,
    .Reset = enumunk_Reset,
    .Clone = enumunk_Clone,
};

/* ------------------------------------------------------------------------------------------ */
/* peer-cache records and peers (IBitsPeerCacheRecord, IBitsPeer): made on demand by the        */
/* manager's IBitsPeerCacheAdministration; every value derives from the index (echo_data.h)     */

typedef struct EchoPeerItem {
    IBitsPeerCacheRecord IBitsPeerCacheRecord_iface;
    IBitsPeer IBitsPeer_iface;
    LONG ref;
    unsigned n;
} EchoPeerItem;

static inline EchoPeerItem *record_from(IBitsPeerCacheRecord *i) { return CONTAINING_RECORD(i, EchoPeerItem, IBitsPeerCacheRecord_iface); }
static inline EchoPeerItem *peer_from(IBitsPeer *i) { return CONTAINING_RECORD(i, EchoPeerItem, IBitsPeer_iface); }

/* A record answers IBitsPeerCacheRecord only, a peer IBitsPeer only. */
static HRESULT peer_item_query(EchoPeerItem *p, const IID *own, void *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, own))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&p->ref);
    return S_OK;
}

static ULONG peer_item_release(EchoPeerItem *p)
{
    LONG r = InterlockedDecrement(&p->ref);
    if (!r) {
        free(p);
        obj_destroyed();
    }
    return r;
}

static HRESULT STDMETHODCALLTYPE record_QueryInterface(IBitsPeerCacheRecord *iface, REFIID riid, void **ppv)
{
    return peer_item_query(record_from(iface), &IID_IBitsPeerCacheRecord, iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE record_AddRef(IBitsPeerCacheRecord *iface) { return InterlockedIncrement(&record_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE record_Release(IBitsPeerCacheRecord *iface) { return peer_item_release(record_from(iface)); }

static HRESULT STDMETHODCALLTYPE record_GetId(IBitsPeerCacheRecord *iface, GUID *id)
{
    *id = echo_record_id(record_from(iface)->n);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE record_GetOriginUrl(IBitsPeerCacheRecord *iface, LPWSTR *url)
{
    WCHAR buf[64];
    echo_record_url(record_from(iface)->n, buf);
    return co_str(buf, url);
}

static HRESULT STDMETHODCALLTYPE record_GetFileSize(IBitsPeerCacheRecord *iface, UINT64 *size)
{
    *size = echo_record_size(record_from(iface)->n);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE record_GetFileModificationTime(IBitsPeerCacheRecord *iface, FILETIME *t)
{
    *t = echo_record_time(record_from(iface)->n, 0);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE record_GetLastAccessTime(IBitsPeerCacheRecord *iface, FILETIME *t)
{
    *t = echo_record_time(record_from(iface)->n, 1);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE record_IsFileValidated(IBitsPeerCacheRecord *iface)
{
    return echo_record_validated(record_from(iface)->n) ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE record_GetFileRanges(IBitsPeerCacheRecord *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    unsigned n = record_from(iface)->n;
    *count = 0;
    *ranges = CoTaskMemAlloc(echo_record_nranges(n) * sizeof(**ranges));
    if (!*ranges)
        return E_OUTOFMEMORY;
    for (DWORD k = 0; k < echo_record_nranges(n); k++)
        (*ranges)[k] = echo_record_range(n, k);
    *count = echo_record_nranges(n);
    return S_OK;
}

static const IBitsPeerCacheRecordVtbl record_vtbl = {
    .QueryInterface = record_QueryInterface,
    .AddRef = record_AddRef,
    .Release = record_Release,
    .GetId = record_GetId,
    .GetOriginUrl = record_GetOriginUrl,
    .GetFileSize = record_GetFileSize,
    .GetFileModificationTime = record_GetFileModificationTime,
    .GetLastAccessTime = record_GetLastAccessTime,
    .IsFileValidated = record_IsFileValidated,
    .GetFileRanges = record_GetFileRanges,
};

static HRESULT STDMETHODCALLTYPE peer_QueryInterface(IBitsPeer *iface, REFIID riid, void **ppv)
{
    return peer_item_query(peer_from(iface), &IID_IBitsPeer, iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE peer_AddRef(IBitsPeer *iface) { return InterlockedIncrement(&peer_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE peer_Release(IBitsPeer *iface) { return peer_item_release(peer_from(iface)); }

static HRESULT STDMETHODCALLTYPE peer_GetPeerName(IBitsPeer *iface, LPWSTR *name)
{
    WCHAR buf[64];
    echo_peer_name(peer_from(iface)->n, buf);
    return co_str(buf, name);
}

static HRESULT STDMETHODCALLTYPE peer_IsAuthenticated(IBitsPeer *iface, BOOL *auth)
{
    *auth = echo_peer_authenticated(peer_from(iface)->n);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE peer_IsAvailable(IBitsPeer *iface, BOOL *online)
{
    *online = echo_peer_available(peer_from(iface)->n);
    return S_OK;
}

static const IBitsPeerVtbl peer_vtbl = {
    .QueryInterface = peer_QueryInterface,
    .AddRef = peer_AddRef,
    .Release = peer_Release,
    .GetPeerName = peer_GetPeerName,
    .IsAuthenticated = peer_IsAuthenticated,
    .IsAvailable = peer_IsAvailable,
};

static EchoPeerItem *peer_item_create(unsigned n)
{
    EchoPeerItem *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->IBitsPeerCacheRecord_iface.lpVtbl = &record_vtbl;
    p->IBitsPeer_iface.lpVtbl = &peer_vtbl;
    p->ref = 1;
    p->n = n;
    obj_created();
    return p;
}

/* An enumerator of the items whose bit is set in mask (records: IBitsPeerCacheRecord, peers:
 * IBitsPeer). */
static EchoEnum *peer_items_enum(EnumKind kind, unsigned mask)
{
    IUnknown *items[32];
    ULONG n = 0;
    for (unsigned i = 0; i < 32; i++) {
        if (!(mask & (1u << i)))
            continue;
        EchoPeerItem *p = peer_item_create(i);
        if (!p)
            break;
        items[n++] = kind == ENUM_RECORDS ? (IUnknown *)&p->IBitsPeerCacheRecord_iface : (IUnknown *)&p->IBitsPeer_iface;
    }
    EchoEnum *e = enum_create(kind, items, n, 0);
    for (ULONG i = 0; i < n; i++)
        IUnknown_Release(items[i]);
    return e;
}

/* ------------------------------------------------------------------------------------------ */
/* error objects                                                                               */

typedef struct EchoError {
    IBackgroundCopyError IBackgroundCopyError_iface;
    LONG ref;
    EchoFile *file; /* may be NULL */
} EchoError;

static inline EchoError *error_from(IBackgroundCopyError *i) { return CONTAINING_RECORD(i, EchoError, IBackgroundCopyError_iface); }

static HRESULT STDMETHODCALLTYPE error_QueryInterface(IBackgroundCopyError *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IBackgroundCopyError))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&error_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE error_AddRef(IBackgroundCopyError *iface) { return InterlockedIncrement(&error_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE error_Release(IBackgroundCopyError *iface)
{
    EchoError *e = error_from(iface);
    LONG r = InterlockedDecrement(&e->ref);
    if (!r) {
        if (e->file)
            file_Release(&e->file->IBackgroundCopyFile6_iface);
        free(e);
        obj_destroyed();
    }
    return r;
}
static HRESULT STDMETHODCALLTYPE error_GetError(IBackgroundCopyError *iface, BG_ERROR_CONTEXT *pContext, HRESULT *pCode)
{
    (void)iface;
    *pContext = ECHO_ERROR_CONTEXT;
    *pCode = ECHO_ERROR_CODE;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE error_GetFile(IBackgroundCopyError *iface, IBackgroundCopyFile **pVal)
{
    EchoError *e = error_from(iface);
    *pVal = NULL;
    if (!e->file)
        return ECHO_DO_E_FILE_NOT_AVAILABLE;
    file_AddRef(&e->file->IBackgroundCopyFile6_iface);
    *pVal = (IBackgroundCopyFile *)&e->file->IBackgroundCopyFile6_iface;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE error_GetErrorDescription(IBackgroundCopyError *iface, DWORD LanguageId, LPWSTR *p)
{
    WCHAR buf[128];
    (void)iface;
    _snwprintf(buf, ARRAYSIZE(buf) - 1, L"error description lang=%lu", (unsigned long)LanguageId);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, p);
}
static HRESULT STDMETHODCALLTYPE error_GetErrorContextDescription(IBackgroundCopyError *iface, DWORD LanguageId, LPWSTR *p)
{
    WCHAR buf[128];
    (void)iface;
    _snwprintf(buf, ARRAYSIZE(buf) - 1, L"contexte \u00e9 \u4e2d lang=%lu", (unsigned long)LanguageId);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, p);
}
static HRESULT STDMETHODCALLTYPE error_GetProtocol(IBackgroundCopyError *iface, LPWSTR *p)
{
    (void)iface;
    return co_str(ECHO_PROTOCOL, p);
}

static const IBackgroundCopyErrorVtbl error_vtbl = {
    .QueryInterface = error_QueryInterface,
    .AddRef = error_AddRef,
    .Release = error_Release,
    .GetError = error_GetError,
    .GetFile = error_GetFile,
    .GetErrorDescription = error_GetErrorDescription,
    .GetErrorContextDescription = error_GetErrorContextDescription,
    .GetProtocol = error_GetProtocol,
};

static EchoError *error_create(EchoFile *file)
{
    EchoError *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->IBackgroundCopyError_iface.lpVtbl = &error_vtbl;
    e->ref = 1;
    e->file = file;
    if (file)
        file_AddRef(&file->IBackgroundCopyFile6_iface);
    obj_created();
    return e;
}

/* ------------------------------------------------------------------------------------------ */
/* jobs                                                                                        */

#define N_JOB_PROPS 11
#define N_DOJOB_PROPS 4

typedef struct EchoJob {
    IBackgroundCopyJob5 IBackgroundCopyJob5_iface;
    IDeliveryOptimizationJob IDeliveryOptimizationJob_iface;
    IDeliveryOptimizationJob2 IDeliveryOptimizationJob2_iface;
    IBackgroundCopyJobHttpOptions3 IBackgroundCopyJobHttpOptions3_iface;
    LONG ref;
    unsigned index;
    GUID id;
    BG_JOB_TYPE type;
    BG_JOB_STATE state;
    BG_JOB_PRIORITY priority;
    BG_JOB_PROXY_USAGE proxy_usage;
    WCHAR *name, *description, *owner, *proxy_list, *proxy_bypass, *cmd_prog, *cmd_params, *reply_file;
    ULONG notify_flags, retry_delay, noprogress_timeout, max_download_time;
    DWORD acl_flags, peer_flags;
    IUnknown *sink;
    EchoFile **files;
    unsigned nfiles, cap;
    BITS_JOB_PROPERTY_VALUE props[N_JOB_PROPS];
    VARIANT doprops[N_DOJOB_PROPS];
    BOOL doprops_set[N_DOJOB_PROPS];
    /* IBackgroundCopyJobHttpOptions3 */
    BOOL cert_set, cert_has_hash;
    BG_CERT_STORE_LOCATION cert_location;
    WCHAR *cert_store, *cert_subject, *http_headers;
    BYTE cert_hash[ECHO_CERT_HASH_SIZE];
    ULONG security_flags;
    /* IBackgroundCopyJobHttpOptions2/3 */
    WCHAR *http_method;
    BOOL headers_write_only;
    IBackgroundCopyServerCertificateValidationCallback *cert_callback;
    /* IBitsTokenOptions */
    IBitsTokenOptions IBitsTokenOptions_iface;
    DWORD token_flags;
    BOOL has_token;
} EchoJob;

static inline EchoJob *job_from(IBackgroundCopyJob5 *i) { return CONTAINING_RECORD(i, EchoJob, IBackgroundCopyJob5_iface); }
static inline EchoJob *job_from_do(IDeliveryOptimizationJob *i) { return CONTAINING_RECORD(i, EchoJob, IDeliveryOptimizationJob_iface); }
static inline EchoJob *job_from_do2(IDeliveryOptimizationJob2 *i) { return CONTAINING_RECORD(i, EchoJob, IDeliveryOptimizationJob2_iface); }
static inline EchoJob *job_from_http(IBackgroundCopyJobHttpOptions3 *i) { return CONTAINING_RECORD(i, EchoJob, IBackgroundCopyJobHttpOptions3_iface); }
static inline EchoJob *job_from_token(IBitsTokenOptions *i) { return CONTAINING_RECORD(i, EchoJob, IBitsTokenOptions_iface); }

static HRESULT STDMETHODCALLTYPE job_QueryInterface(IBackgroundCopyJob5 *iface, REFIID riid, void **ppv)
{
    EchoJob *j = job_from(iface);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyJob)
        || IsEqualIID(riid, &IID_IBackgroundCopyJob2) || IsEqualIID(riid, &IID_IBackgroundCopyJob3)
        || IsEqualIID(riid, &IID_IBackgroundCopyJob4) || IsEqualIID(riid, &IID_IBackgroundCopyJob5))
        *ppv = &j->IBackgroundCopyJob5_iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationJob))
        *ppv = &j->IDeliveryOptimizationJob_iface;
    else if (IsEqualIID(riid, &IID_IDeliveryOptimizationJob2))
        *ppv = &j->IDeliveryOptimizationJob2_iface;
    else if (IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions) || IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions2)
             || IsEqualIID(riid, &IID_IBackgroundCopyJobHttpOptions3))
        *ppv = &j->IBackgroundCopyJobHttpOptions3_iface;
    else if (IsEqualIID(riid, &IID_IBitsTokenOptions))
        *ppv = &j->IBitsTokenOptions_iface;
    else
        return E_NOINTERFACE;
    InterlockedIncrement(&j->ref);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE job_AddRef(IBackgroundCopyJob5 *iface) { return InterlockedIncrement(&job_from(iface)->ref); }

static ULONG STDMETHODCALLTYPE job_Release(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    LONG r = InterlockedDecrement(&j->ref);
    if (!r) {
        for (unsigned i = 0; i < j->nfiles; i++)
            file_Release(&j->files[i]->IBackgroundCopyFile6_iface);
        free(j->files);
        if (j->sink)
            IUnknown_Release(j->sink);
        free(j->name);
        free(j->description);
        free(j->owner);
        free(j->proxy_list);
        free(j->proxy_bypass);
        free(j->cmd_prog);
        free(j->cmd_params);
        free(j->reply_file);
        free(j->cert_store);
        free(j->cert_subject);
        free(j->http_headers);
        free(j->http_method);
        if (j->cert_callback)
            IBackgroundCopyServerCertificateValidationCallback_Release(j->cert_callback);
        for (int i = 0; i < N_DOJOB_PROPS; i++)
            VariantClear(&j->doprops[i]);
        free(j);
        obj_destroyed();
    }
    return r;
}

/* Appends a file (the job takes the creation reference); call with g_cs held. */
static HRESULT job_add_file(EchoJob *j, EchoFile *f)
{
    if (!f)
        return E_OUTOFMEMORY;
    if (j->nfiles == j->cap) {
        unsigned cap = j->cap ? j->cap * 2 : 8;
        EchoFile **n = realloc(j->files, cap * sizeof(*n));
        if (!n) {
            file_Release(&f->IBackgroundCopyFile6_iface);
            return E_OUTOFMEMORY;
        }
        j->files = n;
        j->cap = cap;
    }
    j->files[j->nfiles++] = f;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_AddFileSet(IBackgroundCopyJob5 *iface, ULONG cFileCount, BG_FILE_INFO *pFileSet)
{
    EchoJob *j = job_from(iface);
    HRESULT hr = S_OK;
    for (ULONG i = 0; i < cFileCount; i++)
        if (!pFileSet[i].RemoteName || !pFileSet[i].LocalName)
            return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    for (ULONG i = 0; i < cFileCount && SUCCEEDED(hr); i++)
        hr = job_add_file(j, file_create(j->nfiles, NULL, pFileSet[i].RemoteName, pFileSet[i].LocalName, 0, NULL,
                                         DO_UNKNOWN_FILE_SIZE));
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_AddFile(IBackgroundCopyJob5 *iface, LPCWSTR RemoteUrl, LPCWSTR LocalName)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = job_add_file(j, file_create(j->nfiles, NULL, RemoteUrl, LocalName, 0, NULL, DO_UNKNOWN_FILE_SIZE));
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_EnumFiles(IBackgroundCopyJob5 *iface, IEnumBackgroundCopyFiles **pEnum)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    IUnknown **items = calloc(j->nfiles ? j->nfiles : 1, sizeof(*items));
    EchoEnum *e = NULL;
    if (items) {
        for (unsigned i = 0; i < j->nfiles; i++)
            items[i] = (IUnknown *)&j->files[i]->IBackgroundCopyFile6_iface;
        e = enum_create(ENUM_FILES, items, j->nfiles, 0);
        free(items);
    }
    LeaveCriticalSection(&g_cs);
    *pEnum = e ? &e->IEnumBackgroundCopyFiles_iface : NULL;
    return e ? S_OK : E_OUTOFMEMORY;
}

static BOOL job_final(EchoJob *j) { return j->state == BG_JOB_STATE_CANCELLED || j->state == BG_JOB_STATE_ACKNOWLEDGED; }

static HRESULT STDMETHODCALLTYPE job_Suspend(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    HRESULT hr = S_OK;
    EnterCriticalSection(&g_cs);
    if (job_final(j))
        hr = ECHO_BG_E_INVALID_STATE;
    else
        j->state = BG_JOB_STATE_SUSPENDED;
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* IBackgroundCopyServerCertificateValidationCallback: the job, its first file, a certificate and a
 * serialized store (ECHO_CERT_*, ECHO_STORE_*).  Returns the failure bit 0x40 unless the client's
 * verdict is ECHO_CB_CERT_HR. */
static unsigned job_call_cert_callback(EchoJob *j, IBackgroundCopyServerCertificateValidationCallback *cb, EchoFile *file)
{
    BYTE *cert = malloc(ECHO_CERT_LEN), *store = malloc(ECHO_STORE_LEN);
    unsigned failed = 0x40;
    if (cert && store && file) {
        for (unsigned i = 0; i < ECHO_CERT_LEN; i++)
            cert[i] = ECHO_CERT_BYTE(i);
        for (unsigned i = 0; i < ECHO_STORE_LEN; i++)
            store[i] = ECHO_STORE_BYTE(i);
        HRESULT hr = IBackgroundCopyServerCertificateValidationCallback_ValidateServerCertificate(
            cb, (IBackgroundCopyJob *)&j->IBackgroundCopyJob5_iface, (IBackgroundCopyFile *)&file->IBackgroundCopyFile6_iface,
            ECHO_CERT_LEN, cert, ECHO_CERT_ENCODING, ECHO_STORE_LEN, store);
        if (hr == ECHO_CB_CERT_HR)
            failed = 0;
    }
    free(cert);
    free(store);
    return failed;
}

/* IBackgroundCopyCallback3::FileRangesTransferred with the ranges asked for on the first file.
 * Returns the failure bit 0x20 unless the sink answers ECHO_CB_RANGES_HR. */
static unsigned job_call_ranges_callback(EchoJob *j, IUnknown *sink, EchoFile *file)
{
    IBackgroundCopyCallback3 *cb3 = NULL;
    BG_FILE_RANGE *ranges = NULL;
    DWORD n = 0;
    unsigned failed = 0x20;
    if (!file || FAILED(IUnknown_QueryInterface(sink, &IID_IBackgroundCopyCallback3, (void **)&cb3)))
        return failed;
    EnterCriticalSection(&g_cs);
    if (file->nrequested && (ranges = malloc(file->nrequested * sizeof(*ranges)))) {
        memcpy(ranges, file->requested, file->nrequested * sizeof(*ranges));
        n = file->nrequested;
    }
    LeaveCriticalSection(&g_cs);
    if (n && IBackgroundCopyCallback3_FileRangesTransferred(cb3, (IBackgroundCopyJob *)&j->IBackgroundCopyJob5_iface,
                                                            (IBackgroundCopyFile *)&file->IBackgroundCopyFile6_iface, n, ranges)
                 == ECHO_CB_RANGES_HR)
        failed = 0;
    free(ranges);
    IBackgroundCopyCallback3_Release(cb3);
    return failed;
}

/* The callbacks of IBackgroundCopyCallback/Callback2 selected by the flags; failure bits 0x01-0x10. */
static unsigned job_call_sink(EchoJob *j, IUnknown *sink, ULONG flags, EchoFile *file)
{
    unsigned failed = 0;
    IBackgroundCopyJob *job = (IBackgroundCopyJob *)&j->IBackgroundCopyJob5_iface;
    IBackgroundCopyCallback *cb = NULL;
    IBackgroundCopyCallback2 *cb2 = NULL;
    if (FAILED(IUnknown_QueryInterface(sink, &IID_IBackgroundCopyCallback, (void **)&cb)))
        failed |= 0x10;
    if (cb && (flags & BG_NOTIFY_JOB_TRANSFERRED) && IBackgroundCopyCallback_JobTransferred(cb, job) != ECHO_CB_TRANSFERRED_HR)
        failed |= 0x01;
    if (cb && (flags & BG_NOTIFY_JOB_ERROR)) {
        EchoError *err = error_create(file);
        if (!err || IBackgroundCopyCallback_JobError(cb, job, &err->IBackgroundCopyError_iface) != ECHO_CB_ERROR_HR)
            failed |= 0x02;
        if (err)
            error_Release(&err->IBackgroundCopyError_iface);
    }
    if (cb && (flags & BG_NOTIFY_JOB_MODIFICATION)
        && IBackgroundCopyCallback_JobModification(cb, job, ECHO_JOBMOD_RESERVED) != ECHO_CB_MODIFIED_HR)
        failed |= 0x04;
    if (flags & BG_NOTIFY_FILE_TRANSFERRED) {
        if (FAILED(IUnknown_QueryInterface(sink, &IID_IBackgroundCopyCallback2, (void **)&cb2)) || !file
            || IBackgroundCopyCallback2_FileTransferred(cb2, job, (IBackgroundCopyFile *)&file->IBackgroundCopyFile6_iface)
                   != ECHO_CB_FILE_HR)
            failed |= 0x08;
    }
    if (flags & BG_NOTIFY_FILE_RANGES_TRANSFERRED)
        failed |= job_call_ranges_callback(j, sink, file);
    if (cb2)
        IBackgroundCopyCallback2_Release(cb2);
    if (cb)
        IBackgroundCopyCallback_Release(cb);
    return failed;
}

/* Resume: QUEUED, then the certificate callback (when one is set) and every callback selected by
 * the notify flags are invoked synchronously on the registered objects, with objects of this
 * server as arguments.  Returns ECHO_RESUME_CALLBACKS_OK when something was called and every
 * callback returned the agreed code, S_OK when nothing was registered, 0x80EC00xx (bit mask of
 * failed callbacks) otherwise. */
static HRESULT STDMETHODCALLTYPE job_Resume(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    IUnknown *sink = NULL;
    IBackgroundCopyServerCertificateValidationCallback *cert_cb = NULL;
    ULONG flags;
    EchoFile *file = NULL;
    EnterCriticalSection(&g_cs);
    if (job_final(j)) {
        LeaveCriticalSection(&g_cs);
        return ECHO_BG_E_INVALID_STATE;
    }
    j->state = BG_JOB_STATE_QUEUED;
    flags = j->notify_flags;
    if ((sink = j->sink))
        IUnknown_AddRef(sink);
    if ((cert_cb = j->cert_callback))
        IBackgroundCopyServerCertificateValidationCallback_AddRef(cert_cb);
    if (j->nfiles) {
        file = j->files[0];
        file_AddRef(&file->IBackgroundCopyFile6_iface);
    }
    LeaveCriticalSection(&g_cs);

    unsigned failed = 0;
    if (cert_cb) {
        failed |= job_call_cert_callback(j, cert_cb, file);
        IBackgroundCopyServerCertificateValidationCallback_Release(cert_cb);
    }
    if (sink) {
        failed |= job_call_sink(j, sink, flags, file);
        IUnknown_Release(sink);
    }
    if (file)
        file_Release(&file->IBackgroundCopyFile6_iface);
    if (failed)
        return (HRESULT)(0x80EC0000u | failed);
    return sink || cert_cb ? ECHO_RESUME_CALLBACKS_OK : S_OK;
}

static HRESULT STDMETHODCALLTYPE job_Cancel(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    HRESULT hr = S_OK;
    EnterCriticalSection(&g_cs);
    if (job_final(j))
        hr = ECHO_BG_E_INVALID_STATE;
    else
        j->state = BG_JOB_STATE_CANCELLED;
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_Complete(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    HRESULT hr = ECHO_BG_S_PARTIAL_COMPLETE;
    EnterCriticalSection(&g_cs);
    if (job_final(j))
        hr = ECHO_BG_E_INVALID_STATE;
    else
        j->state = BG_JOB_STATE_ACKNOWLEDGED;
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_GetId(IBackgroundCopyJob5 *iface, GUID *pVal)
{
    *pVal = job_from(iface)->id;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE job_GetType(IBackgroundCopyJob5 *iface, BG_JOB_TYPE *pVal)
{
    *pVal = job_from(iface)->type;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE job_GetProgress(IBackgroundCopyJob5 *iface, BG_JOB_PROGRESS *pVal)
{
    *pVal = echo_job_progress(job_from(iface)->nfiles);
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE job_GetTimes(IBackgroundCopyJob5 *iface, BG_JOB_TIMES *pVal)
{
    *pVal = echo_job_times(job_from(iface)->index);
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE job_GetState(IBackgroundCopyJob5 *iface, BG_JOB_STATE *pVal)
{
    *pVal = job_from(iface)->state;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE job_GetError(IBackgroundCopyJob5 *iface, IBackgroundCopyError **ppError)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    EchoError *e = error_create(j->nfiles ? j->files[0] : NULL);
    LeaveCriticalSection(&g_cs);
    *ppError = e ? &e->IBackgroundCopyError_iface : NULL;
    return e ? S_OK : E_OUTOFMEMORY;
}

#define STRING_GETTER(fn, member)                                                                 \
    static HRESULT STDMETHODCALLTYPE fn(IBackgroundCopyJob5 *iface, LPWSTR *pVal)                 \
    {                                                                                             \
        EchoJob *j = job_from(iface);                                                             \
        EnterCriticalSection(&g_cs);                                                              \
        HRESULT hr = co_str(j->member, pVal);                                                     \
        LeaveCriticalSection(&g_cs);                                                              \
        return hr;                                                                                \
    }
#define STRING_SETTER(fn, member)                                                                 \
    static HRESULT STDMETHODCALLTYPE fn(IBackgroundCopyJob5 *iface, LPCWSTR Val)                  \
    {                                                                                             \
        EchoJob *j = job_from(iface);                                                             \
        EnterCriticalSection(&g_cs);                                                              \
        str_set(&j->member, Val);                                                                 \
        LeaveCriticalSection(&g_cs);                                                              \
        return S_OK;                                                                              \
    }
#define ULONG_ACCESSORS(set, get, type, member)                                                   \
    static HRESULT STDMETHODCALLTYPE set(IBackgroundCopyJob5 *iface, type v)                      \
    {                                                                                             \
        job_from(iface)->member = v;                                                              \
        return S_OK;                                                                              \
    }                                                                                             \
    static HRESULT STDMETHODCALLTYPE get(IBackgroundCopyJob5 *iface, type *p)                     \
    {                                                                                             \
        *p = job_from(iface)->member;                                                             \
        return S_OK;                                                                              \
    }

STRING_GETTER(job_GetOwner, owner)
STRING_SETTER(job_SetDisplayName, name)
STRING_GETTER(job_GetDisplayName, name)
STRING_SETTER(job_SetDescription, description)
STRING_GETTER(job_GetDescription, description)
ULONG_ACCESSORS(job_SetPriority, job_GetPriority, BG_JOB_PRIORITY, priority)
ULONG_ACCESSORS(job_SetNotifyFlags, job_GetNotifyFlags, ULONG, notify_flags)
ULONG_ACCESSORS(job_SetMinimumRetryDelay, job_GetMinimumRetryDelay, ULONG, retry_delay)
ULONG_ACCESSORS(job_SetNoProgressTimeout, job_GetNoProgressTimeout, ULONG, noprogress_timeout)
ULONG_ACCESSORS(job_SetFileACLFlags, job_GetFileACLFlags, DWORD, acl_flags)
ULONG_ACCESSORS(job_SetPeerCachingFlags, job_GetPeerCachingFlags, DWORD, peer_flags)
ULONG_ACCESSORS(job_SetMaximumDownloadTime, job_GetMaximumDownloadTime, ULONG, max_download_time)
STRING_SETTER(job_SetReplyFileName, reply_file)
STRING_GETTER(job_GetReplyFileName, reply_file)

static HRESULT STDMETHODCALLTYPE job_SetNotifyInterface(IBackgroundCopyJob5 *iface, IUnknown *Val)
{
    EchoJob *j = job_from(iface);
    if (Val)
        IUnknown_AddRef(Val);
    EnterCriticalSection(&g_cs);
    IUnknown *old = j->sink;
    j->sink = Val;
    LeaveCriticalSection(&g_cs);
    if (old)
        IUnknown_Release(old);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetNotifyInterface(IBackgroundCopyJob5 *iface, IUnknown **pVal)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    *pVal = j->sink;
    if (j->sink)
        IUnknown_AddRef(j->sink);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetErrorCount(IBackgroundCopyJob5 *iface, ULONG *Errors)
{
    *Errors = 40 + job_from(iface)->nfiles;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_SetProxySettings(IBackgroundCopyJob5 *iface, BG_JOB_PROXY_USAGE usage, const WCHAR *list, const WCHAR *bypass)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    j->proxy_usage = usage;
    str_set(&j->proxy_list, list);
    str_set(&j->proxy_bypass, bypass);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetProxySettings(IBackgroundCopyJob5 *iface, BG_JOB_PROXY_USAGE *usage, LPWSTR *list, LPWSTR *bypass)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    *usage = j->proxy_usage;
    HRESULT hr = co_str(j->proxy_list, list);
    if (SUCCEEDED(hr))
        hr = co_str(j->proxy_bypass, bypass);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_TakeOwnership(IBackgroundCopyJob5 *iface)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    str_set(&j->owner, ECHO_OWNER_TAKEN);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_SetNotifyCmdLine(IBackgroundCopyJob5 *iface, LPCWSTR Program, LPCWSTR Parameters)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    str_set(&j->cmd_prog, Program);
    str_set(&j->cmd_params, Parameters);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetNotifyCmdLine(IBackgroundCopyJob5 *iface, LPWSTR *pProgram, LPWSTR *pParameters)
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(j->cmd_prog, pProgram);
    if (SUCCEEDED(hr))
        hr = co_str(j->cmd_params, pParameters);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_GetReplyProgress(IBackgroundCopyJob5 *iface, BG_JOB_REPLY_PROGRESS *p)
{
    (void)iface;
    p->BytesTotal += 1;
    p->BytesTransferred *= 2;
    return S_OK;
}

/* *pLength in: how many bytes the caller wants (0: ECHO_REPLY_LEN). */
static HRESULT STDMETHODCALLTYPE job_GetReplyData(IBackgroundCopyJob5 *iface, byte **ppBuffer, UINT64 *pLength)
{
    (void)iface;
    if (!ppBuffer || !pLength)
        return E_INVALIDARG;
    UINT64 n = *pLength ? *pLength : ECHO_REPLY_LEN;
    *ppBuffer = NULL;
    *pLength = 0;
    if (n > 1u << 20)
        return E_INVALIDARG;
    *ppBuffer = CoTaskMemAlloc((SIZE_T)n);
    if (!*ppBuffer)
        return E_OUTOFMEMORY;
    for (UINT64 i = 0; i < n; i++)
        (*ppBuffer)[i] = ECHO_REPLY_BYTE(i);
    *pLength = n;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_SetCredentials(IBackgroundCopyJob5 *iface, BG_AUTH_CREDENTIALS *c)
{
    (void)iface;
    if (c->Scheme >= BG_AUTH_SCHEME_BASIC && c->Scheme <= BG_AUTH_SCHEME_PASSPORT)
        lastcall(L"SetCredentials target=%d scheme=%d user=%ls password=%ls", (int)c->Target, (int)c->Scheme,
                 nz(c->Credentials.Basic.UserName), nz(c->Credentials.Basic.Password));
    else
        lastcall(L"SetCredentials target=%d scheme=%d (no credentials)", (int)c->Target, (int)c->Scheme);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_RemoveCredentials(IBackgroundCopyJob5 *iface, BG_AUTH_TARGET Target, BG_AUTH_SCHEME Scheme)
{
    (void)iface;
    lastcall(L"RemoveCredentials target=%d scheme=%d", (int)Target, (int)Scheme);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_ReplaceRemotePrefix(IBackgroundCopyJob5 *iface, LPCWSTR OldPrefix, LPCWSTR NewPrefix)
{
    EchoJob *j = job_from(iface);
    size_t ol = wcslen(OldPrefix);
    unsigned replaced = 0;
    EnterCriticalSection(&g_cs);
    for (unsigned i = 0; i < j->nfiles; i++) {
        EchoFile *f = j->files[i];
        if (f->remote && !wcsncmp(f->remote, OldPrefix, ol)) {
            size_t n = wcslen(NewPrefix) + wcslen(f->remote + ol) + 1;
            WCHAR *s = malloc(n * sizeof(WCHAR));
            if (s) {
                wcscpy(s, NewPrefix);
                wcscat(s, f->remote + ol);
                free(f->remote);
                f->remote = s;
                replaced++;
            }
        }
    }
    LeaveCriticalSection(&g_cs);
    return replaced ? S_OK : S_FALSE;
}

static HRESULT STDMETHODCALLTYPE job_AddFileWithRanges(IBackgroundCopyJob5 *iface, LPCWSTR RemoteUrl, LPCWSTR LocalName, DWORD RangeCount, BG_FILE_RANGE Ranges[])
{
    EchoJob *j = job_from(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = job_add_file(j, file_create(j->nfiles, NULL, RemoteUrl, LocalName, RangeCount, Ranges, DO_UNKNOWN_FILE_SIZE));
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE job_GetOwnerIntegrityLevel(IBackgroundCopyJob5 *iface, ULONG *pLevel)
{
    (void)iface;
    *pLevel = ECHO_INTEGRITY;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetOwnerElevationState(IBackgroundCopyJob5 *iface, BOOL *pElevated)
{
    *pElevated = (job_from(iface)->peer_flags & 1) ? TRUE : FALSE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_SetProperty(IBackgroundCopyJob5 *iface, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE v)
{
    EchoJob *j = job_from(iface);
    if ((unsigned)id >= N_JOB_PROPS || id == 0)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    j->props[id] = v;
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE job_GetProperty(IBackgroundCopyJob5 *iface, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE *v)
{
    EchoJob *j = job_from(iface);
    memset(v, 0, sizeof(*v));
    if ((unsigned)id >= N_JOB_PROPS || id == 0)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    *v = j->props[id];
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static const IBackgroundCopyJob5Vtbl job_vtbl = {
    .QueryInterface = job_QueryInterface,
    .AddRef = job_AddRef,
    .Release = job_Release,
    .AddFileSet = job_AddFileSet,
    .AddFile = job_AddFile,
    .EnumFiles = job_EnumFiles,
    .Suspend = job_Suspend,
    .Resume = job_Resume,
    .Cancel = job_Cancel,
    .Complete = job_Complete,
    .GetId = job_GetId,
    .GetType = job_GetType,
    .GetProgress = job_GetProgress,
    .GetTimes = job_GetTimes,
    .GetState = job_GetState,
    .GetError = job_GetError,
    .GetOwner = job_GetOwner,
    .SetDisplayName = job_SetDisplayName,
    .GetDisplayName = job_GetDisplayName,
    .SetDescription = job_SetDescription,
    .GetDescription = job_GetDescription,
    .SetPriority = job_SetPriority,
    .GetPriority = job_GetPriority,
    .SetNotifyFlags = job_SetNotifyFlags,
    .GetNotifyFlags = job_GetNotifyFlags,
    .SetNotifyInterface = job_SetNotifyInterface,
    .GetNotifyInterface = job_GetNotifyInterface,
    .SetMinimumRetryDelay = job_SetMinimumRetryDelay,
    .GetMinimumRetryDelay = job_GetMinimumRetryDelay,
    .SetNoProgressTimeout = job_SetNoProgressTimeout,
    .GetNoProgressTimeout = job_GetNoProgressTimeout,
    .GetErrorCount = job_GetErrorCount,
    .SetProxySettings = job_SetProxySettings,
    .GetProxySettings = job_GetProxySettings,
    .TakeOwnership = job_TakeOwnership,
    .SetNotifyCmdLine = job_SetNotifyCmdLine,
    .GetNotifyCmdLine = job_GetNotifyCmdLine,
    .GetReplyProgress = job_GetReplyProgress,
    .GetReplyData = job_GetReplyData,
    .SetReplyFileName = job_SetReplyFileName,
    .GetReplyFileName = job_GetReplyFileName,
    .SetCredentials = job_SetCredentials,
    .RemoveCredentials = job_RemoveCredentials,
    .ReplaceRemotePrefix = job_ReplaceRemotePrefix,
    .AddFileWithRanges = job_AddFileWithRanges,
    .SetFileACLFlags = job_SetFileACLFlags,
    .GetFileACLFlags = job_GetFileACLFlags,
    .SetPeerCachingFlags = job_SetPeerCachingFlags,
    .GetPeerCachingFlags = job_GetPeerCachingFlags,
    .GetOwnerIntegrityLevel = job_GetOwnerIntegrityLevel,
    .GetOwnerElevationState = job_GetOwnerElevationState,
    .SetMaximumDownloadTime = job_SetMaximumDownloadTime,
    .GetMaximumDownloadTime = job_GetMaximumDownloadTime,
    .SetProperty = job_SetProperty,
    .GetProperty = job_GetProperty,
};

/* IDeliveryOptimizationJob */
static HRESULT STDMETHODCALLTYPE dojob_QueryInterface(IDeliveryOptimizationJob *iface, REFIID riid, void **ppv)
{
    return job_QueryInterface(&job_from_do(iface)->IBackgroundCopyJob5_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE dojob_AddRef(IDeliveryOptimizationJob *iface) { return job_AddRef(&job_from_do(iface)->IBackgroundCopyJob5_iface); }
static ULONG STDMETHODCALLTYPE dojob_Release(IDeliveryOptimizationJob *iface) { return job_Release(&job_from_do(iface)->IBackgroundCopyJob5_iface); }

static HRESULT STDMETHODCALLTYPE dojob_AddFileWithRanges(IDeliveryOptimizationJob *iface, LPCWSTR fileId, LPCWSTR remoteUrl, LPCWSTR localName,
                                                        DWORD rangeCount, BG_FILE_RANGE *ranges, UINT64 fileSize)
{
    EchoJob *j = job_from_do(iface);
    if (!localName[0])
        return E_INVALIDARG;
    if (rangeCount && !ranges)
        return E_POINTER;
    EnterCriticalSection(&g_cs);
    HRESULT hr = job_add_file(j, file_create(j->nfiles, fileId, remoteUrl, localName, rangeCount, ranges, fileSize));
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IDeliveryOptimizationJobVtbl dojob_vtbl = {
    .QueryInterface = dojob_QueryInterface,
    .AddRef = dojob_AddRef,
    .Release = dojob_Release,
    .AddFileWithRanges = dojob_AddFileWithRanges,
};

/* IDeliveryOptimizationJob2 */
static HRESULT STDMETHODCALLTYPE dojob2_QueryInterface(IDeliveryOptimizationJob2 *iface, REFIID riid, void **ppv)
{
    return job_QueryInterface(&job_from_do2(iface)->IBackgroundCopyJob5_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE dojob2_AddRef(IDeliveryOptimizationJob2 *iface) { return job_AddRef(&job_from_do2(iface)->IBackgroundCopyJob5_iface); }
static ULONG STDMETHODCALLTYPE dojob2_Release(IDeliveryOptimizationJob2 *iface) { return job_Release(&job_from_do2(iface)->IBackgroundCopyJob5_iface); }

/* The file gets no local name (an empty one) and the size DO_UNKNOWN_FILE_SIZE. */
static HRESULT STDMETHODCALLTYPE dojob2_AddFile(IDeliveryOptimizationJob2 *iface, LPCWSTR fileId, LPCWSTR remoteUrl, DWORD rangeCount,
                                               BG_FILE_RANGE *ranges, REFIID riid, void **object)
{
    EchoJob *j = job_from_do2(iface);
    *object = NULL;
    if (rangeCount && !ranges)
        return E_POINTER;
    EnterCriticalSection(&g_cs);
    EchoFile *f = file_create(j->nfiles, fileId, remoteUrl, L"", rangeCount, ranges, DO_UNKNOWN_FILE_SIZE);
    HRESULT hr = f ? file_QueryInterface(&f->IBackgroundCopyFile6_iface, riid, object) : E_OUTOFMEMORY;
    if (SUCCEEDED(hr))
        hr = job_add_file(j, f);
    else if (f)
        file_Release(&f->IBackgroundCopyFile6_iface);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE dojob2_GetProperty(IDeliveryOptimizationJob2 *iface, DOJobPropertyId id, VARIANT *v)
{
    EchoJob *j = job_from_do2(iface);
    VariantInit(v);
    if ((unsigned)id >= N_DOJOB_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&g_cs);
    HRESULT hr;
    if (j->doprops_set[id])
        hr = VariantCopy(v, &j->doprops[id]);
    else if (id == DOJobPropertyId_ExtendedErrorInfo) {
        V_VT(v) = VT_BSTR;
        V_BSTR(v) = SysAllocString(L"{\"echo\":\"extended error info\"}");
        hr = V_BSTR(v) ? S_OK : E_OUTOFMEMORY;
    } else
        hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE dojob2_SetProperty(IDeliveryOptimizationJob2 *iface, DOJobPropertyId id, const VARIANT *v)
{
    EchoJob *j = job_from_do2(iface);
    if ((unsigned)id >= N_DOJOB_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&g_cs);
    HRESULT hr = VariantClear(&j->doprops[id]);
    if (SUCCEEDED(hr))
        hr = VariantCopy(&j->doprops[id], (VARIANT *)v);
    j->doprops_set[id] = SUCCEEDED(hr);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IDeliveryOptimizationJob2Vtbl dojob2_vtbl = {
    .QueryInterface = dojob2_QueryInterface,
    .AddRef = dojob2_AddRef,
    .Release = dojob2_Release,
    .AddFile = dojob2_AddFile,
    .GetProperty = dojob2_GetProperty,
    .SetProperty = dojob2_SetProperty,
};

/* IBackgroundCopyJobHttpOptions3: the certificate set by ID or by name comes back as it was given
 * (no certificate: ECHO_E_NO_CERTIFICATE and NULL/0 outs); headers and flags are echoed, NULL
 * headers read back as S_FALSE and NULL. */
static HRESULT STDMETHODCALLTYPE http_QueryInterface(IBackgroundCopyJobHttpOptions3 *iface, REFIID riid, void **ppv)
{
    return job_QueryInterface(&job_from_http(iface)->IBackgroundCopyJob5_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE http_AddRef(IBackgroundCopyJobHttpOptions3 *iface) { return job_AddRef(&job_from_http(iface)->IBackgroundCopyJob5_iface); }
static ULONG STDMETHODCALLTYPE http_Release(IBackgroundCopyJobHttpOptions3 *iface) { return job_Release(&job_from_http(iface)->IBackgroundCopyJob5_iface); }

/* call with g_cs held */
static void http_clear_certificate(EchoJob *j)
{
    j->cert_set = j->cert_has_hash = FALSE;
    j->cert_location = BG_CERT_STORE_LOCATION_CURRENT_USER;
    str_set(&j->cert_store, NULL);
    str_set(&j->cert_subject, NULL);
    memset(j->cert_hash, 0, sizeof(j->cert_hash));
}

static HRESULT STDMETHODCALLTYPE http_SetClientCertificateByID(IBackgroundCopyJobHttpOptions3 *iface, BG_CERT_STORE_LOCATION location,
                                                               LPCWSTR store, byte *hash)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    http_clear_certificate(j);
    j->cert_set = j->cert_has_hash = TRUE;
    j->cert_location = location;
    str_set(&j->cert_store, store);
    memcpy(j->cert_hash, hash, sizeof(j->cert_hash));
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE http_SetClientCertificateByName(IBackgroundCopyJobHttpOptions3 *iface, BG_CERT_STORE_LOCATION location,
                                                                 LPCWSTR store, LPCWSTR subject)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    http_clear_certificate(j);
    j->cert_set = TRUE;
    j->cert_location = location;
    str_set(&j->cert_store, store);
    str_set(&j->cert_subject, subject);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

/* S_FALSE when there was none. */
static HRESULT STDMETHODCALLTYPE http_RemoveClientCertificate(IBackgroundCopyJobHttpOptions3 *iface)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = j->cert_set ? S_OK : S_FALSE;
    http_clear_certificate(j);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE http_GetClientCertificate(IBackgroundCopyJobHttpOptions3 *iface, BG_CERT_STORE_LOCATION *location,
                                                           LPWSTR *store, byte **hash, LPWSTR *subject)
{
    EchoJob *j = job_from_http(iface);
    *location = BG_CERT_STORE_LOCATION_CURRENT_USER;
    *store = *subject = NULL;
    *hash = NULL;
    EnterCriticalSection(&g_cs);
    HRESULT hr = j->cert_set ? S_OK : ECHO_E_NO_CERTIFICATE;
    if (j->cert_set) {
        *location = j->cert_location;
        hr = co_str(j->cert_store, store);
        if (SUCCEEDED(hr))
            hr = co_str(j->cert_subject, subject);
        if (SUCCEEDED(hr) && j->cert_has_hash) {
            *hash = CoTaskMemAlloc(sizeof(j->cert_hash));
            if (*hash)
                memcpy(*hash, j->cert_hash, sizeof(j->cert_hash));
            else
                hr = E_OUTOFMEMORY;
        }
        if (FAILED(hr)) {
            CoTaskMemFree(*store);
            CoTaskMemFree(*subject);
            *store = *subject = NULL;
        }
    }
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE http_SetCustomHeaders(IBackgroundCopyJobHttpOptions3 *iface, LPCWSTR headers)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    str_set(&j->http_headers, headers);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE http_GetCustomHeaders(IBackgroundCopyJobHttpOptions3 *iface, LPWSTR *headers)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    HRESULT hr = co_str(j->headers_write_only ? NULL : j->http_headers, headers);
    if (hr == S_OK && j->headers_write_only)
        hr = E_ACCESSDENIED;
    else if (hr == S_OK && !j->http_headers)
        hr = S_FALSE;
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE http_SetSecurityFlags(IBackgroundCopyJobHttpOptions3 *iface, ULONG flags)
{
    job_from_http(iface)->security_flags = flags;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE http_GetSecurityFlags(IBackgroundCopyJobHttpOptions3 *iface, ULONG *flags)
{
    *flags = job_from_http(iface)->security_flags;
    return S_OK;
}

/* IBackgroundCopyJobHttpOptions2: the method is echoed; before any SetHttpMethod it is the job
 * type's default. */
static HRESULT STDMETHODCALLTYPE http_SetHttpMethod(IBackgroundCopyJobHttpOptions3 *iface, LPCWSTR method)
{
    EchoJob *j = job_from_http(iface);
    if (!method[0])
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    str_set(&j->http_method, method);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE http_GetHttpMethod(IBackgroundCopyJobHttpOptions3 *iface, LPWSTR *method)
{
    EchoJob *j = job_from_http(iface);
    EnterCriticalSection(&g_cs);
    const WCHAR *dflt = j->type == BG_JOB_TYPE_DOWNLOAD ? ECHO_METHOD_DOWNLOAD : ECHO_METHOD_UPLOAD;
    HRESULT hr = co_str(j->http_method ? j->http_method : dflt, method);
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* IBackgroundCopyJobHttpOptions3: the callback is kept (an object that is not one:
 * E_NOINTERFACE; NULL removes it) and called from Resume; write-only headers read back as
 * E_ACCESSDENIED and NULL. */
static HRESULT STDMETHODCALLTYPE http_SetServerCertificateValidationInterface(IBackgroundCopyJobHttpOptions3 *iface, IUnknown *unk)
{
    EchoJob *j = job_from_http(iface);
    IBackgroundCopyServerCertificateValidationCallback *cb = NULL;
    if (unk && FAILED(IUnknown_QueryInterface(unk, &IID_IBackgroundCopyServerCertificateValidationCallback, (void **)&cb)))
        return E_NOINTERFACE;
    EnterCriticalSection(&g_cs);
    IBackgroundCopyServerCertificateValidationCallback *old = j->cert_callback;
    j->cert_callback = cb;
    LeaveCriticalSection(&g_cs);
    if (old)
        IBackgroundCopyServerCertificateValidationCallback_Release(old);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE http_MakeCustomHeadersWriteOnly(IBackgroundCopyJobHttpOptions3 *iface)
{
    job_from_http(iface)->headers_write_only = TRUE;
    return S_OK;
}

static const IBackgroundCopyJobHttpOptions3Vtbl http_vtbl = {

    .QueryInterface = http_QueryInterface,
    .AddRef = http_AddRef,
    .Release = http_Release,
    .SetClientCertificateByID = http_SetClientCertificateByID,
    .SetClientCertificateByName = http_SetClientCertificateByName,
    .RemoveClientCertificate = http_RemoveClientCertificate,
    .GetClientCertificate = http_GetClientCertificate,
    .SetCustomHeaders = http_SetCustomHeaders,
    .GetCustomHeaders = http_GetCustomHeaders,
    .SetSecurityFlags = http_SetSecurityFlags,
    .GetSecurityFlags = http_GetSecurityFlags,
    .SetHttpMethod = http_SetHttpMethod,
    .GetHttpMethod = http_GetHttpMethod,
    .SetServerCertificateValidationInterface = http_SetServerCertificateValidationInterface,
    .MakeCustomHeadersWriteOnly = http_MakeCustomHeadersWriteOnly,
};

/* IBitsTokenOptions: flags echoed (unknown bits: E_INVALIDARG); SetHelperToken "captures" a token
 * whose SID is ECHO_OWNER, ClearHelperToken drops it, GetHelperTokenSid is NULL without one. */
static HRESULT STDMETHODCALLTYPE token_QueryInterface(IBitsTokenOptions *iface, REFIID riid, void **ppv)
{
    return job_QueryInterface(&job_from_token(iface)->IBackgroundCopyJob5_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE token_AddRef(IBitsTokenOptions *iface) { return job_AddRef(&job_from_token(iface)->IBackgroundCopyJob5_iface); }
static ULONG STDMETHODCALLTYPE token_Release(IBitsTokenOptions *iface) { return job_Release(&job_from_token(iface)->IBackgroundCopyJob5_iface); }

static HRESULT STDMETHODCALLTYPE token_SetHelperTokenFlags(IBitsTokenOptions *iface, DWORD flags)
{
    if (flags & ~(DWORD)(BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK))
        return E_INVALIDARG;
    job_from_token(iface)->token_flags = flags;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE token_GetHelperTokenFlags(IBitsTokenOptions *iface, DWORD *flags)
{
    *flags = job_from_token(iface)->token_flags;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE token_SetHelperToken(IBitsTokenOptions *iface)
{
    job_from_token(iface)->has_token = TRUE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE token_ClearHelperToken(IBitsTokenOptions *iface)
{
    job_from_token(iface)->has_token = FALSE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE token_GetHelperTokenSid(IBitsTokenOptions *iface, LPWSTR *sid)
{
    return co_str(job_from_token(iface)->has_token ? ECHO_OWNER : NULL, sid);
}

static const IBitsTokenOptionsVtbl token_vtbl = {
    .QueryInterface = token_QueryInterface,
    .AddRef = token_AddRef,
    .Release = token_Release,
    .SetHelperTokenFlags = token_SetHelperTokenFlags,
    .GetHelperTokenFlags = token_GetHelperTokenFlags,
    .SetHelperToken = token_SetHelperToken,
    .ClearHelperToken = token_ClearHelperToken,
    .GetHelperTokenSid = token_GetHelperTokenSid,
};


static EchoJob *job_create(unsigned index, const WCHAR *name, BG_JOB_TYPE type)
{
    EchoJob *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->IBackgroundCopyJob5_iface.lpVtbl = &job_vtbl;
    j->IDeliveryOptimizationJob_iface.lpVtbl = &dojob_vtbl;
    j->IDeliveryOptimizationJob2_iface.lpVtbl = &dojob2_vtbl;
    j->IBackgroundCopyJobHttpOptions3_iface.lpVtbl = &http_vtbl;
    j->IBitsTokenOptions_iface.lpVtbl = &token_vtbl;
    j->ref = 1;
    j->index = index;
    j->id = echo_job_id(index);
    j->type = type;
    j->state = BG_JOB_STATE_SUSPENDED;
    j->priority = BG_JOB_PRIORITY_NORMAL;
    j->name = str_dup(name);
    j->description = str_dup(L"");
    j->owner = str_dup(ECHO_OWNER);
    for (int i = 0; i < N_DOJOB_PROPS; i++)
        VariantInit(&j->doprops[i]);
    obj_created();
    return j;
}

/* ------------------------------------------------------------------------------------------ */
/* downloads (IDODownload)                                                                     */

#define N_DL_PROPS 30 /* DODownloadProperty_Id .. DODownloadProperty_HttpStatusCode */

/* The VARIANT type of each property (do-api.md section 12); SetProperty refuses any other, as
 * dosvc does, except VT_EMPTY for the two interface properties (it clears them). */
static const VARTYPE dl_prop_vt[N_DL_PROPS] = {
    VT_BSTR, VT_BSTR, VT_BSTR, VT_BSTR, VT_BSTR, VT_BSTR,   /* Id .. HttpCustomHeaders */
    VT_UI4, VT_UI4, VT_UI4, VT_UI4, VT_UI4,                /* CostPolicy .. NoProgressTimeoutSeconds */
    VT_BOOL, VT_BOOL, VT_UNKNOWN, VT_UNKNOWN,              /* ForegroundPriority .. StreamInterface */
    VT_ARRAY | VT_UI1, VT_BOOL, VT_BSTR, VT_BSTR, VT_BSTR, /* SecurityContext .. IntegrityCheckInfo */
    VT_BOOL, VT_UI8, VT_BOOL, VT_BSTR, VT_BOOL, VT_BOOL,   /* IntegrityCheckMandatory .. NonVolatile */
    VT_BSTR, VT_BSTR, VT_BSTR, VT_UI4,                     /* HttpRedirectionTarget .. HttpStatusCode */
};

static BOOL dl_prop_read_only(DODownloadProperty id)
{
    return id == DODownloadProperty_Id || id >= DODownloadProperty_HttpRedirectionTarget;
}

typedef struct EchoDownload {
    IDODownload IDODownload_iface;
    LONG ref;
    unsigned index;
    DODownloadState state;
    VARIANT props[N_DL_PROPS];
    BOOL props_set[N_DL_PROPS];
} EchoDownload;

static inline EchoDownload *dl_from(IDODownload *i) { return CONTAINING_RECORD(i, EchoDownload, IDODownload_iface); }

static HRESULT STDMETHODCALLTYPE dl_QueryInterface(IDODownload *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IDODownload))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&dl_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE dl_AddRef(IDODownload *iface) { return InterlockedIncrement(&dl_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE dl_Release(IDODownload *iface)
{
    EchoDownload *d = dl_from(iface);
    LONG r = InterlockedDecrement(&d->ref);
    if (!r) {
        for (int i = 0; i < N_DL_PROPS; i++)
            VariantClear(&d->props[i]);
        free(d);
        obj_destroyed();
    }
    return r;
}

/* The object a VT_UNKNOWN property holds, QueryInterface'd to iid (NULL when unset or empty). */
static void *dl_prop_object(EchoDownload *d, DODownloadProperty id, REFIID iid)
{
    void *obj = NULL;
    EnterCriticalSection(&g_cs);
    IUnknown *unk = d->props_set[id] && V_VT(&d->props[id]) == VT_UNKNOWN ? V_UNKNOWN(&d->props[id]) : NULL;
    if (unk)
        IUnknown_AddRef(unk);
    LeaveCriticalSection(&g_cs);
    if (unk) {
        if (FAILED(IUnknown_QueryInterface(unk, iid, &obj)))
            obj = NULL;
        IUnknown_Release(unk);
    }
    return obj;
}

/* Enters a state, then (outside the lock) calls the client back: OnStatusChange with this
 * download (or with NULL when pass_self is FALSE) and the new status, and, when write_stream,
 * ECHO_STREAM_LEN bytes into the StreamInterface in two Writes.  Returns ECHO_NOTIFY_OK when
 * every call returned what was agreed, S_OK when there was nothing to call, 0x80EC01xx (mask of
 * failures) otherwise. */
static HRESULT dl_enter(EchoDownload *d, DODownloadState state, BOOL pass_self, BOOL write_stream)
{
    EnterCriticalSection(&g_cs);
    d->state = state;
    LeaveCriticalSection(&g_cs);
    DO_DOWNLOAD_STATUS status = echo_download_status(d->index, state);
    IDODownloadStatusCallback *cb = dl_prop_object(d, DODownloadProperty_CallbackInterface, &IID_IDODownloadStatusCallback);
    IStream *stm = write_stream ? dl_prop_object(d, DODownloadProperty_StreamInterface, &IID_IStream) : NULL;
    unsigned failed = 0;
    if (cb) {
        if (IDODownloadStatusCallback_OnStatusChange(cb, pass_self ? &d->IDODownload_iface : NULL, &status) != ECHO_CB_STATUS_HR)
            failed |= 0x01;
        IDODownloadStatusCallback_Release(cb);
    }
    if (stm) {
        BYTE *buf = malloc(ECHO_STREAM_LEN);
        ULONG first = 65536, w1 = 0, w2 = 0;
        for (ULONG i = 0; buf && i < ECHO_STREAM_LEN; i++)
            buf[i] = ECHO_STREAM_BYTE(i);
        if (!buf || IStream_Write(stm, buf, first, &w1) != S_OK || w1 != first
            || IStream_Write(stm, buf + first, ECHO_STREAM_LEN - first, &w2) != S_OK || w2 != ECHO_STREAM_LEN - first)
            failed |= 0x02;
        free(buf);
        IStream_Release(stm);
    }
    if (failed)
        return (HRESULT)(0x80EC0100u | failed);
    return cb || stm ? ECHO_NOTIFY_OK : S_OK;
}

/* Logs the ranges (echo_describe_ranges) and calls back; not after Finalize or Abort. */
static HRESULT STDMETHODCALLTYPE dl_Start(IDODownload *iface, const DO_DOWNLOAD_RANGES_INFO *ranges)
{
    EchoDownload *d = dl_from(iface);
    WCHAR line[128];
    EnterCriticalSection(&g_cs);
    BOOL over = d->state == DODownloadState_Finalized || d->state == DODownloadState_Aborted;
    LeaveCriticalSection(&g_cs);
    if (over)
        return ECHO_DO_E_INVALID_STATE;
    echo_describe_ranges(ranges, line);
    lastcall(L"%ls", line);
    return dl_enter(d, DODownloadState_Transferring, TRUE, TRUE);
}

/* Pause calls the callback with a NULL download (the argument may be NULL, older header). */
static HRESULT STDMETHODCALLTYPE dl_Pause(IDODownload *iface) { return dl_enter(dl_from(iface), DODownloadState_Paused, FALSE, FALSE); }
static HRESULT STDMETHODCALLTYPE dl_Abort(IDODownload *iface) { return dl_enter(dl_from(iface), DODownloadState_Aborted, TRUE, FALSE); }
static HRESULT STDMETHODCALLTYPE dl_Finalize(IDODownload *iface) { return dl_enter(dl_from(iface), DODownloadState_Finalized, TRUE, FALSE); }

static HRESULT STDMETHODCALLTYPE dl_GetStatus(IDODownload *iface, DO_DOWNLOAD_STATUS *status)
{
    EchoDownload *d = dl_from(iface);
    EnterCriticalSection(&g_cs);
    *status = echo_download_status(d->index, d->state);
    LeaveCriticalSection(&g_cs);
    return S_OK;
}

/* Unknown id: DO_E_UNKNOWN_PROPERTY_ID; never set: E_NOT_SET; both with VT_EMPTY. */
static HRESULT STDMETHODCALLTYPE dl_GetProperty(IDODownload *iface, DODownloadProperty id, VARIANT *v)
{
    EchoDownload *d = dl_from(iface);
    VariantInit(v);
    if ((unsigned)id >= N_DL_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&g_cs);
    HRESULT hr = d->props_set[id] ? VariantCopy(v, &d->props[id]) : ECHO_E_NOT_SET;
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* Stores the value and logs what arrived (echo_describe_property). */
static HRESULT STDMETHODCALLTYPE dl_SetProperty(IDODownload *iface, DODownloadProperty id, const VARIANT *v)
{
    EchoDownload *d = dl_from(iface);
    WCHAR line[128];
    if ((unsigned)id >= N_DL_PROPS)
        return ECHO_DO_E_UNKNOWN_PROPERTY_ID;
    if (dl_prop_read_only(id))
        return ECHO_DO_E_READ_ONLY_PROPERTY;
    if (V_VT(v) != dl_prop_vt[id] && !(V_VT(v) == VT_EMPTY && dl_prop_vt[id] == VT_UNKNOWN))
        return E_INVALIDARG;
    echo_describe_property(id, v, line);
    lastcall(L"%ls", line);
    EnterCriticalSection(&g_cs);
    HRESULT hr = VariantClear(&d->props[id]);
    if (SUCCEEDED(hr))
        hr = VariantCopy(&d->props[id], (VARIANT *)v);
    d->props_set[id] = SUCCEEDED(hr);
    LeaveCriticalSection(&g_cs);
    return hr;
}

static const IDODownloadVtbl dl_vtbl = {
    .QueryInterface = dl_QueryInterface,
    .AddRef = dl_AddRef,
    .Release = dl_Release,
    .Start = dl_Start,
    .Pause = dl_Pause,
    .Abort = dl_Abort,
    .Finalize = dl_Finalize,
    .GetStatus = dl_GetStatus,
    .GetProperty = dl_GetProperty,
    .SetProperty = dl_SetProperty,
};

static HRESULT dl_preset(EchoDownload *d, DODownloadProperty id, const WCHAR *s)
{
    V_VT(&d->props[id]) = VT_BSTR;
    V_BSTR(&d->props[id]) = SysAllocString(s);
    d->props_set[id] = TRUE;
    return V_BSTR(&d->props[id]) ? S_OK : E_OUTOFMEMORY;
}

/* The n-th download: Id and the read-only HTTP properties are the server's. */
static EchoDownload *dl_create(unsigned index)
{
    EchoDownload *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->IDODownload_iface.lpVtbl = &dl_vtbl;
    d->ref = 1;
    d->index = index;
    d->state = DODownloadState_Created;
    for (int i = 0; i < N_DL_PROPS; i++)
        VariantInit(&d->props[i]);
    obj_created();
    WCHAR id[37];
    echo_download_id(index, id);
    V_VT(&d->props[DODownloadProperty_HttpStatusCode]) = VT_UI4;
    V_UI4(&d->props[DODownloadProperty_HttpStatusCode]) = ECHO_HTTP_STATUS;
    d->props_set[DODownloadProperty_HttpStatusCode] = TRUE;
    if (FAILED(dl_preset(d, DODownloadProperty_Id, id)) || FAILED(dl_preset(d, DODownloadProperty_HttpRedirectionTarget, ECHO_HTTP_REDIRECT))
        || FAILED(dl_preset(d, DODownloadProperty_HttpResponseHeaders, ECHO_HTTP_HEADERS))
        || FAILED(dl_preset(d, DODownloadProperty_HttpServerIPAddress, ECHO_HTTP_SERVER_IP))) {
        dl_Release(&d->IDODownload_iface);
        return NULL;
    }
    return d;
}

/* ------------------------------------------------------------------------------------------ */
/* manager                                                                                     */

typedef struct EchoManager {
    IBackgroundCopyManager IBackgroundCopyManager_iface;
    IOpendoAdmin IOpendoAdmin_iface; /* the same object answers opendo's admin interface */
    IDOManager IDOManager_iface;     /* and the download API, as the DeliveryOptimization class */
    IBitsPeerCacheAdministration IBitsPeerCacheAdministration_iface; /* and BITS 3.0's peer cache */
    LONG ref;
    DWORD peer_cache_size, peer_content_age, peer_config_flags;
    unsigned records_mask, peers_mask; /* which of the ECHO_NRECORDS records and ECHO_NPEERS peers exist */
    EchoJob **jobs;
    unsigned njobs, cap;
    EchoDownload **downloads;
    unsigned ndownloads, dcap;
} EchoManager;

static inline EchoManager *mgr_from(IBackgroundCopyManager *i) { return CONTAINING_RECORD(i, EchoManager, IBackgroundCopyManager_iface); }

static HRESULT STDMETHODCALLTYPE mgr_QueryInterface(IBackgroundCopyManager *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (IsEqualIID(riid, &IID_IOpendoAdmin))
        *ppv = &mgr_from(iface)->IOpendoAdmin_iface;
    else if (IsEqualIID(riid, &IID_IDOManager))
        *ppv = &mgr_from(iface)->IDOManager_iface;
    else if (IsEqualIID(riid, &IID_IBitsPeerCacheAdministration))
        *ppv = &mgr_from(iface)->IBitsPeerCacheAdministration_iface;
    else if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyManager))
        *ppv = iface;
    else
        return E_NOINTERFACE;
    InterlockedIncrement(&mgr_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE mgr_AddRef(IBackgroundCopyManager *iface) { return InterlockedIncrement(&mgr_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE mgr_Release(IBackgroundCopyManager *iface)
{
    EchoManager *m = mgr_from(iface);
    LONG r = InterlockedDecrement(&m->ref);
    if (!r) {
        for (unsigned i = 0; i < m->njobs; i++)
            job_Release(&m->jobs[i]->IBackgroundCopyJob5_iface);
        free(m->jobs);
        for (unsigned i = 0; i < m->ndownloads; i++)
            dl_Release(&m->downloads[i]->IDODownload_iface);
        free(m->downloads);
        free(m);
        obj_destroyed();
    }
    return r;
}

static HRESULT STDMETHODCALLTYPE mgr_CreateJob(IBackgroundCopyManager *iface, LPCWSTR DisplayName, BG_JOB_TYPE Type, GUID *pJobId, IBackgroundCopyJob **ppJob)
{
    EchoManager *m = mgr_from(iface);
    *ppJob = NULL;
    memset(pJobId, 0, sizeof(*pJobId));
    if (wcslen(DisplayName) > 256)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    HRESULT hr = E_OUTOFMEMORY;
    if (m->njobs == m->cap) {
        unsigned cap = m->cap ? m->cap * 2 : 8;
        EchoJob **n = realloc(m->jobs, cap * sizeof(*n));
        if (n) {
            m->jobs = n;
            m->cap = cap;
        }
    }
    EchoJob *j = m->njobs < m->cap ? job_create(m->njobs, DisplayName, Type) : NULL;
    if (j) {
        m->jobs[m->njobs++] = j; /* the manager keeps the creation reference */
        job_AddRef(&j->IBackgroundCopyJob5_iface);
        *ppJob = (IBackgroundCopyJob *)&j->IBackgroundCopyJob5_iface;
        *pJobId = j->id;
        hr = S_OK;
    }
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE mgr_GetJob(IBackgroundCopyManager *iface, REFGUID jobID, IBackgroundCopyJob **ppJob)
{
    EchoManager *m = mgr_from(iface);
    HRESULT hr = ECHO_BG_E_NOT_FOUND;
    *ppJob = NULL;
    EnterCriticalSection(&g_cs);
    for (unsigned i = 0; i < m->njobs; i++)
        if (IsEqualGUID(jobID, &m->jobs[i]->id)) {
            job_AddRef(&m->jobs[i]->IBackgroundCopyJob5_iface);
            *ppJob = (IBackgroundCopyJob *)&m->jobs[i]->IBackgroundCopyJob5_iface;
            hr = S_OK;
            break;
        }
    LeaveCriticalSection(&g_cs);
    return hr;
}

/* dwFlags: 0 or BG_JOB_ENUM_ALL_USERS (both list every job); anything else is E_INVALIDARG. */
static HRESULT STDMETHODCALLTYPE mgr_EnumJobs(IBackgroundCopyManager *iface, DWORD dwFlags, IEnumBackgroundCopyJobs **ppEnum)
{
    EchoManager *m = mgr_from(iface);
    *ppEnum = NULL;
    if (dwFlags & ~(DWORD)BG_JOB_ENUM_ALL_USERS)
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    IUnknown **items = calloc(m->njobs ? m->njobs : 1, sizeof(*items));
    EchoEnum *e = NULL;
    if (items) {
        for (unsigned i = 0; i < m->njobs; i++)
            items[i] = (IUnknown *)&m->jobs[i]->IBackgroundCopyJob5_iface;
        e = enum_create(ENUM_JOBS, items, m->njobs, 0);
        free(items);
    }
    LeaveCriticalSection(&g_cs);
    *ppEnum = e ? &e->IEnumBackgroundCopyJobs_iface : NULL;
    return e ? S_OK : E_OUTOFMEMORY;
}

static DWORD g_cookie;

/* ECHO_CMD_DIE: the process dies with live objects and live client proxies, without any COM
 * clean-up, except that the class registration is withdrawn first: Wine's COM runtime would
 * otherwise keep a stale registration for the class and fail every later activation of it in
 * this prefix with 0x800706BA until the prefix restarts. */
static DWORD WINAPI die_thread(void *arg)
{
    (void)arg;
    Sleep(300);
    CoRevokeClassObject(g_cookie);
    TerminateProcess(GetCurrentProcess(), 3);
    return 0;
}

static HRESULT STDMETHODCALLTYPE mgr_GetErrorDescription(IBackgroundCopyManager *iface, HRESULT hResult, DWORD LanguageId, LPWSTR *p)
{
    WCHAR buf[1024];
    (void)iface;
    if (hResult == ECHO_CMD_LASTCALL) {
        EnterCriticalSection(&g_cs);
        HRESULT hr = co_str(g_lastcall, p);
        LeaveCriticalSection(&g_cs);
        return hr;
    }
    if (hResult == ECHO_CMD_OBJECTS)
        _snwprintf(buf, ARRAYSIZE(buf) - 1, L"objects=%ld pid=%lu", (long)g_objects, (unsigned long)GetCurrentProcessId());
    else if (hResult == ECHO_CMD_DIE) {
        HANDLE t = CreateThread(NULL, 0, die_thread, NULL, 0, NULL);
        if (t)
            CloseHandle(t);
        _snwprintf(buf, ARRAYSIZE(buf) - 1, L"dying");
    } else
        _snwprintf(buf, ARRAYSIZE(buf) - 1, L"hr=0x%08lX lang=%lu \u4e2d\u6587", (unsigned long)hResult, (unsigned long)LanguageId);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, p);
}

static const IBackgroundCopyManagerVtbl mgr_vtbl = {
    .QueryInterface = mgr_QueryInterface,
    .AddRef = mgr_AddRef,
    .Release = mgr_Release,
    .CreateJob = mgr_CreateJob,
    .GetJob = mgr_GetJob,
    .EnumJobs = mgr_EnumJobs,
    .GetErrorDescription = mgr_GetErrorDescription,
};

/* ------------------------------------------------------------------------------------------ */
/* IOpendoAdmin: each report names the method and echoes its inputs (ECHO_ADMIN_* in echo.h)   */

static inline EchoManager *admin_from(IOpendoAdmin *i) { return CONTAINING_RECORD(i, EchoManager, IOpendoAdmin_iface); }
static HRESULT STDMETHODCALLTYPE admin_QueryInterface(IOpendoAdmin *iface, REFIID riid, void **ppv)
{
    return mgr_QueryInterface(&admin_from(iface)->IBackgroundCopyManager_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE admin_AddRef(IOpendoAdmin *iface) { return mgr_AddRef(&admin_from(iface)->IBackgroundCopyManager_iface); }
static ULONG STDMETHODCALLTYPE admin_Release(IOpendoAdmin *iface) { return mgr_Release(&admin_from(iface)->IBackgroundCopyManager_iface); }

/* "<method> job=<GUID or (null)>" */
static HRESULT admin_job_report(const WCHAR *method, const GUID *job, LPWSTR *out)
{
    WCHAR buf[128], id[40] = L"(null)";
    if (job)
        StringFromGUID2(job, id, ARRAYSIZE(id));
    _snwprintf(buf, ARRAYSIZE(buf) - 1, L"%ls job=%ls", method, id);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, out);
}
static HRESULT STDMETHODCALLTYPE admin_GetStatus(IOpendoAdmin *iface, const GUID *job, LPWSTR *report)
{
    (void)iface;
    return admin_job_report(L"status", job, report);
}
/* A report far longer than any other string of the API: ECHO_ADMIN_LONG characters. */
static HRESULT STDMETHODCALLTYPE admin_ExplainJob(IOpendoAdmin *iface, REFGUID job, LPWSTR *report)
{
    (void)iface;
    HRESULT hr = admin_job_report(L"why", job, report);
    if (FAILED(hr))
        return hr;
    size_t head = wcslen(*report);
    LPWSTR longer = CoTaskMemAlloc((ECHO_ADMIN_LONG + 1) * sizeof(WCHAR));
    if (longer) {
        memcpy(longer, *report, head * sizeof(WCHAR));
        for (size_t i = head; i < ECHO_ADMIN_LONG; i++)
            longer[i] = ECHO_ADMIN_FILL(i);
        longer[ECHO_ADMIN_LONG] = 0;
    }
    CoTaskMemFree(*report);
    *report = longer;
    return longer ? S_OK : E_OUTOFMEMORY;
}
static HRESULT STDMETHODCALLTYPE admin_GetPerfSnap(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    return co_str(ECHO_ADMIN_PERFSNAP, report);
}
static HRESULT STDMETHODCALLTYPE admin_GetConfig(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    return co_str(ECHO_ADMIN_CONFIG, report);
}
static HRESULT STDMETHODCALLTYPE admin_ReadLog(IOpendoAdmin *iface, const GUID *job, LPCWSTR since,
                                               DWORD flags, DWORD maxLines, LPWSTR *lines)
{
    WCHAR buf[256], id[40] = L"(null)";
    (void)iface;
    if (job)
        StringFromGUID2(job, id, ARRAYSIZE(id));
    _snwprintf(buf, ARRAYSIZE(buf) - 1, L"log job=%ls since=%ls flags=%lu max=%lu", id,
               since ? since : L"(null)", (unsigned long)flags, (unsigned long)maxLines);
    buf[ARRAYSIZE(buf) - 1] = 0;
    return co_str(buf, lines);
}
static HRESULT STDMETHODCALLTYPE admin_GetVersion(IOpendoAdmin *iface, LPWSTR *report)
{
    (void)iface;
    return co_str(ECHO_ADMIN_VERSION, report);
}

static const IOpendoAdminVtbl admin_vtbl = {
    .QueryInterface = admin_QueryInterface,
    .AddRef = admin_AddRef,
    .Release = admin_Release,
    .GetStatus = admin_GetStatus,
    .ExplainJob = admin_ExplainJob,
    .GetPerfSnap = admin_GetPerfSnap,
    .GetConfig = admin_GetConfig,
    .ReadLog = admin_ReadLog,
    .GetVersion = admin_GetVersion,
};

/* ------------------------------------------------------------------------------------------ */
/* IBitsPeerCacheAdministration (the manager object answers it): the three settings are echoed;  */
/* ECHO_NRECORDS records and ECHO_NPEERS peers that Delete and Clear remove and DiscoverPeers     */
/* brings back.  Unknown record: BG_E_NOT_FOUND (and NULL); clearing an empty list: S_FALSE.    */

static inline EchoManager *pcadmin_from(IBitsPeerCacheAdministration *i) { return CONTAINING_RECORD(i, EchoManager, IBitsPeerCacheAdministration_iface); }
static HRESULT STDMETHODCALLTYPE pcadmin_QueryInterface(IBitsPeerCacheAdministration *iface, REFIID riid, void **ppv)
{
    return mgr_QueryInterface(&pcadmin_from(iface)->IBackgroundCopyManager_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE pcadmin_AddRef(IBitsPeerCacheAdministration *iface) { return mgr_AddRef(&pcadmin_from(iface)->IBackgroundCopyManager_iface); }
static ULONG STDMETHODCALLTYPE pcadmin_Release(IBitsPeerCacheAdministration *iface) { return mgr_Release(&pcadmin_from(iface)->IBackgroundCopyManager_iface); }

#define PCADMIN_DWORD_ACCESSORS(get, set, member)                                                 \
    static HRESULT STDMETHODCALLTYPE pcadmin_##get(IBitsPeerCacheAdministration *iface, DWORD *v)  \
    {                                                                                             \
        *v = pcadmin_from(iface)->member;                                                         \
        return S_OK;                                                                              \
    }                                                                                             \
    static HRESULT STDMETHODCALLTYPE pcadmin_##set(IBitsPeerCacheAdministration *iface, DWORD v)   \
    {                                                                                             \
        pcadmin_from(iface)->member = v;                                                          \
        return S_OK;                                                                              \
    }
PCADMIN_DWORD_ACCESSORS(GetMaximumCacheSize, SetMaximumCacheSize, peer_cache_size)
PCADMIN_DWORD_ACCESSORS(GetMaximumContentAge, SetMaximumContentAge, peer_content_age)
PCADMIN_DWORD_ACCESSORS(GetConfigurationFlags, SetConfigurationFlags, peer_config_flags)

static HRESULT pcadmin_enum(EchoManager *m, EnumKind kind, void **ppEnum)
{
    EnterCriticalSection(&g_cs);
    EchoEnum *e = peer_items_enum(kind, kind == ENUM_RECORDS ? m->records_mask : m->peers_mask);
    LeaveCriticalSection(&g_cs);
    *ppEnum = !e ? NULL : kind == ENUM_RECORDS ? (void *)&e->IEnumBitsPeerCacheRecords_iface : (void *)&e->IEnumBitsPeers_iface;
    return e ? S_OK : E_OUTOFMEMORY;
}

static HRESULT STDMETHODCALLTYPE pcadmin_EnumRecords(IBitsPeerCacheAdministration *iface, IEnumBitsPeerCacheRecords **ppEnum)
{
    return pcadmin_enum(pcadmin_from(iface), ENUM_RECORDS, (void **)ppEnum);
}

static HRESULT STDMETHODCALLTYPE pcadmin_EnumPeers(IBitsPeerCacheAdministration *iface, IEnumBitsPeers **ppEnum)
{
    return pcadmin_enum(pcadmin_from(iface), ENUM_PEERS, (void **)ppEnum);
}

/* The index of a live record with this id, or -1. */
static int pcadmin_find(EchoManager *m, const GUID *id)
{
    for (unsigned n = 0; n < ECHO_NRECORDS; n++) {
        GUID g = echo_record_id(n);
        if ((m->records_mask & (1u << n)) && IsEqualGUID(&g, id))
            return (int)n;
    }
    return -1;
}

static HRESULT STDMETHODCALLTYPE pcadmin_GetRecord(IBitsPeerCacheAdministration *iface, REFGUID id, IBitsPeerCacheRecord **ppRecord)
{
    EchoManager *m = pcadmin_from(iface);
    *ppRecord = NULL;
    EnterCriticalSection(&g_cs);
    int n = pcadmin_find(m, id);
    LeaveCriticalSection(&g_cs);
    if (n < 0)
        return ECHO_BG_E_NOT_FOUND;
    EchoPeerItem *p = peer_item_create((unsigned)n);
    if (!p)
        return E_OUTOFMEMORY;
    *ppRecord = &p->IBitsPeerCacheRecord_iface;
    return S_OK;
}

/* Clears the bits of mask in *set: S_OK, or S_FALSE when none was set. */
static HRESULT pcadmin_clear(unsigned *set, unsigned mask)
{
    EnterCriticalSection(&g_cs);
    HRESULT hr = (*set & mask) ? S_OK : S_FALSE;
    *set &= ~mask;
    LeaveCriticalSection(&g_cs);
    return hr;
}

static HRESULT STDMETHODCALLTYPE pcadmin_ClearRecords(IBitsPeerCacheAdministration *iface)
{
    return pcadmin_clear(&pcadmin_from(iface)->records_mask, ~0u);
}

static HRESULT STDMETHODCALLTYPE pcadmin_DeleteRecord(IBitsPeerCacheAdministration *iface, REFGUID id)
{
    EchoManager *m = pcadmin_from(iface);
    EnterCriticalSection(&g_cs);
    int n = pcadmin_find(m, id);
    LeaveCriticalSection(&g_cs);
    return n < 0 ? ECHO_BG_E_NOT_FOUND : pcadmin_clear(&m->records_mask, 1u << n);
}

static HRESULT STDMETHODCALLTYPE pcadmin_DeleteUrl(IBitsPeerCacheAdministration *iface, LPCWSTR url)
{
    EchoManager *m = pcadmin_from(iface);
    WCHAR buf[64];
    for (unsigned n = 0; n < ECHO_NRECORDS; n++) {
        echo_record_url(n, buf);
        if (!wcscmp(buf, url))
            return pcadmin_clear(&m->records_mask, 1u << n) == S_OK ? S_OK : ECHO_BG_E_NOT_FOUND;
    }
    return ECHO_BG_E_NOT_FOUND;
}

static HRESULT STDMETHODCALLTYPE pcadmin_ClearPeers(IBitsPeerCacheAdministration *iface)
{
    return pcadmin_clear(&pcadmin_from(iface)->peers_mask, ~0u);
}

static HRESULT STDMETHODCALLTYPE pcadmin_DiscoverPeers(IBitsPeerCacheAdministration *iface)
{
    pcadmin_from(iface)->peers_mask = (1u << ECHO_NPEERS) - 1;
    return S_OK;
}

static const IBitsPeerCacheAdministrationVtbl pcadmin_vtbl = {
    .QueryInterface = pcadmin_QueryInterface,
    .AddRef = pcadmin_AddRef,
    .Release = pcadmin_Release,
    .GetMaximumCacheSize = pcadmin_GetMaximumCacheSize,
    .SetMaximumCacheSize = pcadmin_SetMaximumCacheSize,
    .GetMaximumContentAge = pcadmin_GetMaximumContentAge,
    .SetMaximumContentAge = pcadmin_SetMaximumContentAge,
    .GetConfigurationFlags = pcadmin_GetConfigurationFlags,
    .SetConfigurationFlags = pcadmin_SetConfigurationFlags,
    .EnumRecords = pcadmin_EnumRecords,
    .GetRecord = pcadmin_GetRecord,
    .ClearRecords = pcadmin_ClearRecords,
    .DeleteRecord = pcadmin_DeleteRecord,
    .DeleteUrl = pcadmin_DeleteUrl,
    .EnumPeers = pcadmin_EnumPeers,
    .ClearPeers = pcadmin_ClearPeers,
    .DiscoverPeers = pcadmin_DiscoverPeers,
};

/* ------------------------------------------------------------------------------------------ */
/* IDOManager                                                                                  */

static inline EchoManager *domgr_from(IDOManager *i) { return CONTAINING_RECORD(i, EchoManager, IDOManager_iface); }
static HRESULT STDMETHODCALLTYPE domgr_QueryInterface(IDOManager *iface, REFIID riid, void **ppv)
{
    return mgr_QueryInterface(&domgr_from(iface)->IBackgroundCopyManager_iface, riid, ppv);
}
static ULONG STDMETHODCALLTYPE domgr_AddRef(IDOManager *iface) { return mgr_AddRef(&domgr_from(iface)->IBackgroundCopyManager_iface); }
static ULONG STDMETHODCALLTYPE domgr_Release(IDOManager *iface) { return mgr_Release(&domgr_from(iface)->IBackgroundCopyManager_iface); }

static HRESULT STDMETHODCALLTYPE domgr_CreateDownload(IDOManager *iface, IDODownload **download)
{
    EchoManager *m = domgr_from(iface);
    *download = NULL;
    EnterCriticalSection(&g_cs);
    if (m->ndownloads == m->dcap) {
        unsigned cap = m->dcap ? m->dcap * 2 : 8;
        EchoDownload **n = realloc(m->downloads, cap * sizeof(*n));
        if (n) {
            m->downloads = n;
            m->dcap = cap;
        }
    }
    EchoDownload *d = m->ndownloads < m->dcap ? dl_create(m->ndownloads) : NULL;
    if (d) {
        m->downloads[m->ndownloads++] = d; /* the manager keeps the creation reference */
        dl_AddRef(&d->IDODownload_iface);
        *download = &d->IDODownload_iface;
    }
    LeaveCriticalSection(&g_cs);
    return d ? S_OK : E_OUTOFMEMORY;
}

/* Does the download match the filter?  Exact comparison with the stored string. */
static BOOL dl_matches(EchoDownload *d, const DO_DOWNLOAD_ENUM_CATEGORY *category)
{
    const VARIANT *v = &d->props[category->Property];
    return d->props_set[category->Property] && V_VT(v) == VT_BSTR && V_BSTR(v) && !wcscmp(V_BSTR(v), category->Value);
}

/* NULL category: every download; else one of Id, Uri, ContentId, DisplayName, LocalPath with a
 * non-NULL value (E_INVALIDARG otherwise).  No match: DO_E_NO_DOWNLOADS and NULL. */
static HRESULT STDMETHODCALLTYPE domgr_EnumDownloads(IDOManager *iface, const DO_DOWNLOAD_ENUM_CATEGORY *category, IEnumUnknown **ppEnum)
{
    EchoManager *m = domgr_from(iface);
    *ppEnum = NULL;
    if (category && ((unsigned)category->Property > DODownloadProperty_LocalPath || !category->Value))
        return E_INVALIDARG;
    EnterCriticalSection(&g_cs);
    IUnknown **items = calloc(m->ndownloads ? m->ndownloads : 1, sizeof(*items));
    EchoEnum *e = NULL;
    ULONG n = 0;
    if (items) {
        for (unsigned i = 0; i < m->ndownloads; i++)
            if (!category || dl_matches(m->downloads[i], category))
                items[n++] = (IUnknown *)&m->downloads[i]->IDODownload_iface;
        e = n ? enum_create(ENUM_DOWNLOADS, items, n, 0) : NULL;
        free(items);
    }
    LeaveCriticalSection(&g_cs);
    if (items && !n)
        return ECHO_DO_E_NO_DOWNLOADS;
    *ppEnum = e ? &e->IEnumUnknown_iface : NULL;
    return e ? S_OK : E_OUTOFMEMORY;
}

static const IDOManagerVtbl domgr_vtbl = {
    .QueryInterface = domgr_QueryInterface,
    .AddRef = domgr_AddRef,
    .Release = domgr_Release,
    .CreateDownload = domgr_CreateDownload,
    .EnumDownloads = domgr_EnumDownloads,
};

/* ------------------------------------------------------------------------------------------ */
/* class factory and main                                                                      */

static HRESULT STDMETHODCALLTYPE cf_QueryInterface(IClassFactory *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IClassFactory))
        return E_NOINTERFACE;
    *ppv = iface;
    return S_OK;
}
static ULONG STDMETHODCALLTYPE cf_AddRef(IClassFactory *iface) { (void)iface; return 2; }
static ULONG STDMETHODCALLTYPE cf_Release(IClassFactory *iface) { (void)iface; return 1; }

static HRESULT STDMETHODCALLTYPE cf_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **ppv)
{
    (void)iface;
    *ppv = NULL;
    if (outer)
        return CLASS_E_NOAGGREGATION;
    EchoManager *m = calloc(1, sizeof(*m));
    if (!m)
        return E_OUTOFMEMORY;
    m->IBackgroundCopyManager_iface.lpVtbl = &mgr_vtbl;
    m->IOpendoAdmin_iface.lpVtbl = &admin_vtbl;
    m->IDOManager_iface.lpVtbl = &domgr_vtbl;
    m->IBitsPeerCacheAdministration_iface.lpVtbl = &pcadmin_vtbl;
    m->ref = 1;
    m->peer_cache_size = ECHO_PEER_CACHE_SIZE;
    m->peer_content_age = ECHO_PEER_CONTENT_AGE;
    m->peer_config_flags = ECHO_PEER_CONFIG_FLAGS;
    m->records_mask = (1u << ECHO_NRECORDS) - 1;
    m->peers_mask = (1u << ECHO_NPEERS) - 1;
    obj_created();
    HRESULT hr = mgr_QueryInterface(&m->IBackgroundCopyManager_iface, riid, ppv);
    mgr_Release(&m->IBackgroundCopyManager_iface);
    return hr;
}

static HRESULT STDMETHODCALLTYPE cf_LockServer(IClassFactory *iface, BOOL lock)
{
    (void)iface;
    if (lock)
        obj_created();
    else
        obj_destroyed();
    return S_OK;
}

static const IClassFactoryVtbl cf_vtbl = {
    .QueryInterface = cf_QueryInterface,
    .AddRef = cf_AddRef,
    .Release = cf_Release,
    .CreateInstance = cf_CreateInstance,
    .LockServer = cf_LockServer,
};
static IClassFactory g_cf = {&cf_vtbl};

int wmain(void)
{
    InitializeCriticalSection(&g_cs);
    g_done = CreateEventW(NULL, TRUE, FALSE, NULL);
    HRESULT hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (FAILED(hr))
        return 2;
    hr = CoRegisterClassObject(&CLSID_OpendoEchoServer, (IUnknown *)&g_cf, CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE, &g_cookie);
    if (FAILED(hr)) {
        fprintf(stderr, "echosrv: CoRegisterClassObject failed 0x%08lx\n", (unsigned long)hr);
        CoUninitialize();
        return 2;
    }
    /* Exit when the last object goes away; the timeout only guards against a lost client. */
    WaitForSingleObject(g_done, 5 * 60 * 1000);
    CoRevokeClassObject(g_cookie);
    CoUninitialize();
    return 0;
}
