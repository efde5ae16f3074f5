/* End-to-end client for tests/e2e/downloads.sh: the IDOManager / IDODownload /
 * IDODownloadStatusCallback API through the real service, proxy/stub and loopback servers.
 * Checks are named "downloads: SECTION: ...". Every command takes the same first arguments:
 *   downloads_client CMD NGINX FAULT WWW DEST [ARGS...]
 * NGINX and FAULT are the base URLs of nginx and tests/fault_server.py (no trailing slash), WWW
 * the Windows path of the directory both serve (the sources: SHA-256 is compared with them), DEST
 * the Windows directory downloads go to. Commands:
 *   api            activation, BITS does not see downloads, properties 0-29, EnumDownloads,
 *                  bad input (NULL pointers through the proxy)
 *   states         the caller-driven state table (idomanager.md §4.1) with real downloads
 *   errors         404/403, 5xx that recovers, connection drops, Pause/Start(NULL) resumes
 *                  with a Range request (prints "PAUSED_AT n" for the script's /stats check)
 *   callbacks      OnStatusChange: states, progress, re-entry, replacement, VT_EMPTY, a blocked
 *                  callback, CallbackFreqSeconds
 *   blocking       BlockingMode TRUE
 *   concurrency    4 downloads at once, foreground and background
 *   persist-make TAG       a NonVolatile and a volatile download (Created), LocalPaths
 *                          persist\{nv,vol}-TAG.bin; prints "NV id", "VOL id"
 *   persist-check NV VOL TAG   after a restart: NV is there with its properties, VOL is not
 *   persist-finish NV TAG  NV, found by EnumDownloads, downloads and finalizes
 * Sources served: f.bin (2 MiB), g.bin (2 MiB), p.bin (4 MiB), c1..c4.bin (8 MiB each). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <bcrypt.h>
#include <wincrypt.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define MiB (1024u * 1024u)
#define F_SIZE (2 * MiB)
#define P_SIZE (4 * MiB)
#define E_NOT_SET_HR ((HRESULT)0x80070490)
#define HR_404 ((HRESULT)0x80190194)
#define HR_403 ((HRESULT)0x80190193)
#define HR_500 ((HRESULT)0x801901F4)
#define HR_INVALID_NAME ((HRESULT)0x8007007B)
#define HR_TOO_LONG ((HRESULT)0x800700CE)
#define HR_FILE_EXISTS ((HRESULT)0x80070050)
#define HR_CRYPT_FILE ((HRESULT)0x80092003)
#define HR_NULL_REF ((HRESULT)0x800706F4) /* RPC_X_NULL_REF_POINTER, raised by the proxy */
#define WAIT_LONG 90000
#define PATH_MAX_W 600

static const char *section = "";
static const WCHAR *nginx, *fault, *www, *dest;

static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("downloads", section, fmt, ap);
    va_end(ap);
    return name;
}

/* ---- paths, files, SHA-256 --------------------------------------------------------------------- */

/* A rotating set of buffers, so that a few formatted paths and URLs can be live at once. */
static WCHAR *fmt_w(const WCHAR *fmt, ...)
{
    static WCHAR bufs[8][PATH_MAX_W];
    static int next;
    WCHAR *buf = bufs[next++ % 8];
    va_list ap;
    va_start(ap, fmt);
    _vsnwprintf(buf, PATH_MAX_W - 1, fmt, ap);
    buf[PATH_MAX_W - 1] = 0;
    va_end(ap);
    return buf;
}

static WCHAR *in_dest(const WCHAR *relative) { return fmt_w(L"%ls\\%ls", dest, relative); }
static WCHAR *on_nginx(const WCHAR *path) { return fmt_w(L"%ls/%ls", nginx, path); }
static WCHAR *on_fault(const WCHAR *path) { return fmt_w(L"%ls/%ls", fault, path); }

static int exists(const WCHAR *path)
{
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

/* SHA-256 of bytes [offset, offset+length) of a file (length ~0: to the end); 0 on failure. */
static int sha256_part(const WCHAR *path, ULONGLONG offset, ULONGLONG length, BYTE out[32])
{
    HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return 0;
    BCRYPT_ALG_HANDLE alg = NULL;
    BCRYPT_HASH_HANDLE hash = NULL;
    int ok = BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, NULL, 0) == 0 &&
             BCryptCreateHash(alg, &hash, NULL, 0, NULL, 0, 0) == 0;
    LARGE_INTEGER at = {.QuadPart = (LONGLONG)offset};
    ok = ok && SetFilePointerEx(f, at, NULL, FILE_BEGIN);
    static BYTE buf[1 << 16];
    while (ok && length) {
        DWORD want = length < sizeof buf ? (DWORD)length : sizeof buf, got = 0;
        ok = ReadFile(f, buf, want, &got, NULL);
        if (!ok || !got)
            break;
        ok = BCryptHashData(hash, buf, got, 0) == 0;
        if (length != ~0ull)
            length -= got;
    }
    ok = ok && (length == 0 || length == ~0ull) && BCryptFinishHash(hash, out, 32, 0) == 0;
    if (hash)
        BCryptDestroyHash(hash);
    if (alg)
        BCryptCloseAlgorithmProvider(alg, 0);
    CloseHandle(f);
    return ok;
}

/* Whether bytes [offset, offset+length) of the downloaded file equal the source's (WWW\name). */
static int same_part(const WCHAR *name, const WCHAR *local, ULONGLONG offset, ULONGLONG length)
{
    BYTE a[32], b[32];
    return sha256_part(fmt_w(L"%ls\\%ls", www, name), offset, length, a) &&
           sha256_part(local, offset, length, b) && memcmp(a, b, 32) == 0;
}

static int same_file(const WCHAR *name, const WCHAR *local)
{
    return same_part(name, local, 0, ~0ull);
}

/* The number of the service's temporary files (~opendo-*.tmp) in a directory. */
static int temp_files_in(const WCHAR *dir)
{
    WIN32_FIND_DATAW data;
    HANDLE find = FindFirstFileW(fmt_w(L"%ls\\~opendo-*.tmp", dir), &data);
    int n = 0;
    if (find == INVALID_HANDLE_VALUE)
        return 0;
    do
        n++;
    while (FindNextFileW(find, &data));
    FindClose(find);
    return n;
}

/* Polls (up to 5 s: the service deletes in the background) until dir holds no temporary file. */
static int no_temp_files_in(const WCHAR *dir)
{
    for (int i = 0; i < 50 && temp_files_in(dir); i++)
        Sleep(100);
    return temp_files_in(dir) == 0;
}

/* ---- the callback: counts calls per state, optionally re-enters or blocks ---------------------------- */

enum { REENTER_NONE, REENTER_ALL };

typedef struct callback {
    IDODownloadStatusCallback iface;
    IDispatch dispatch; /* the same object as an IDispatch, to send it as VT_DISPATCH */
    LONG refs;
    CRITICAL_SECTION lock;
    HANDLE changed;           /* auto-reset: any call */
    LONG calls, per_state[6], progress; /* progress: Transferring calls with new bytes */
    LONG null_download;       /* calls with a NULL download argument */
    LONG in_call;             /* inside OnStatusChange right now */
    HANDLE entered;           /* manual-reset: the first call has started */
    DWORD block_ms;           /* the first call sleeps this long */
    UINT64 last_bytes;
    DO_DOWNLOAD_STATUS last;
    int reenter;
    /* re-entry results */
    HRESULT inner_status_hr, pause_hr, finalize_hr;
    LONG inner_status_calls, paused_once, finalized_once;
    int inner_on_transferred; /* the state GetStatus gave inside the Transferred call */
    HANDLE paused;            /* manual-reset: Pause was called from inside */
} callback_t;

static callback_t *cb_of(IDODownloadStatusCallback *iface)
{
    return CONTAINING_RECORD(iface, callback_t, iface);
}

static HRESULT STDMETHODCALLTYPE cb_query_interface(IDODownloadStatusCallback *iface, REFIID riid, void **out)
{
    callback_t *self = cb_of(iface);
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDODownloadStatusCallback))
        *out = &self->iface;
    else if (IsEqualIID(riid, &IID_IDispatch))
        *out = &self->dispatch;
    else {
        *out = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&self->refs);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE cb_add_ref(IDODownloadStatusCallback *iface)
{
    return (ULONG)InterlockedIncrement(&cb_of(iface)->refs);
}

static ULONG STDMETHODCALLTYPE cb_release(IDODownloadStatusCallback *iface)
{
    return (ULONG)InterlockedDecrement(&cb_of(iface)->refs); /* static storage: never freed */
}

/* The re-entry of idomanager.md §5: GetStatus through the argument on every call, Pause once
 * while Transferring with bytes, Finalize once Transferred. */
static void reenter(callback_t *self, IDODownload *download, const DO_DOWNLOAD_STATUS *status)
{
    DO_DOWNLOAD_STATUS inner;
    HRESULT hr = IDODownload_GetStatus(download, &inner);
    EnterCriticalSection(&self->lock);
    self->inner_status_calls++;
    if (FAILED(hr))
        self->inner_status_hr = hr;
    else if (status->State == DODownloadState_Transferred) /* only our own Finalize moves it on */
        self->inner_on_transferred = (int)inner.State;
    LeaveCriticalSection(&self->lock);
    if (status->State == DODownloadState_Transferring && status->BytesTransferred > 0 &&
        !InterlockedExchange(&self->paused_once, 1)) {
        self->pause_hr = IDODownload_Pause(download);
        SetEvent(self->paused);
    }
    if (status->State == DODownloadState_Transferred && !InterlockedExchange(&self->finalized_once, 1))
        self->finalize_hr = IDODownload_Finalize(download);
}

static HRESULT STDMETHODCALLTYPE cb_on_status_change(IDODownloadStatusCallback *iface, IDODownload *download,
                                                     const DO_DOWNLOAD_STATUS *status)
{
    callback_t *self = cb_of(iface);
    InterlockedIncrement(&self->in_call);
    LONG call = InterlockedIncrement(&self->calls);
    SetEvent(self->entered);
    if (call == 1 && self->block_ms)
        Sleep(self->block_ms);
    if (!download)
        InterlockedIncrement(&self->null_download);
    if (self->reenter && download)
        reenter(self, download, status);
    EnterCriticalSection(&self->lock);
    if (status->State >= 0 && status->State <= 5)
        self->per_state[status->State]++;
    if (status->State == DODownloadState_Transferring && status->BytesTransferred != self->last_bytes)
        self->progress++;
    self->last_bytes = status->BytesTransferred;
    self->last = *status;
    LeaveCriticalSection(&self->lock);
    InterlockedDecrement(&self->in_call);
    SetEvent(self->changed);
    return S_OK;
}

static IDODownloadStatusCallbackVtbl cb_vtbl = {cb_query_interface, cb_add_ref, cb_release, cb_on_status_change};

/* The IDispatch face: only there to be marshalled; the service must refuse it by its VT. */
static callback_t *cb_of_dispatch(IDispatch *iface)
{
    return CONTAINING_RECORD(iface, callback_t, dispatch);
}
static HRESULT STDMETHODCALLTYPE disp_qi(IDispatch *iface, REFIID riid, void **out)
{
    return cb_query_interface(&cb_of_dispatch(iface)->iface, riid, out);
}
static ULONG STDMETHODCALLTYPE disp_add_ref(IDispatch *iface) { return cb_add_ref(&cb_of_dispatch(iface)->iface); }
static ULONG STDMETHODCALLTYPE disp_release(IDispatch *iface) { return cb_release(&cb_of_dispatch(iface)->iface); }
static HRESULT STDMETHODCALLTYPE disp_type_info_count(IDispatch *iface, UINT *count)
{
    (void)iface;
    *count = 0;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE disp_type_info(IDispatch *iface, UINT i, LCID lcid, ITypeInfo **out)
{
    (void)iface, (void)i, (void)lcid;
    *out = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE disp_ids(IDispatch *iface, REFIID riid, LPOLESTR *names, UINT count, LCID lcid,
                                          DISPID *ids)
{
    (void)iface, (void)riid, (void)names, (void)count, (void)lcid, (void)ids;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE disp_invoke(IDispatch *iface, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                             DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *arg)
{
    (void)iface, (void)id, (void)riid, (void)lcid, (void)flags, (void)params, (void)result, (void)info, (void)arg;
    return E_NOTIMPL;
}
static IDispatchVtbl disp_vtbl = {disp_qi, disp_add_ref, disp_release, disp_type_info_count, disp_type_info,
                                  disp_ids, disp_invoke};

static void cb_init(callback_t *cb)
{
    memset(cb, 0, sizeof *cb);
    cb->iface.lpVtbl = &cb_vtbl;
    cb->dispatch.lpVtbl = &disp_vtbl;
    cb->refs = 1;
    InitializeCriticalSection(&cb->lock);
    cb->changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    cb->entered = CreateEventW(NULL, TRUE, FALSE, NULL);
    cb->paused = CreateEventW(NULL, TRUE, FALSE, NULL);
}

static LONG cb_count(callback_t *cb, int state)
{
    EnterCriticalSection(&cb->lock);
    LONG n = state < 0 ? cb->calls : cb->per_state[state];
    LeaveCriticalSection(&cb->lock);
    return n;
}

/* Waits until the callback has seen state (or timeout_ms passes). */
static int cb_wait_state(callback_t *cb, int state, DWORD timeout_ms)
{
    ULONGLONG end = GetTickCount64() + timeout_ms;
    while (cb_count(cb, state) == 0) {
        if (GetTickCount64() >= end)
            return 0;
        WaitForSingleObject(cb->changed, 200);
    }
    return 1;
}

/* ---- download helpers -------------------------------------------------------------------------- */

static IDOManager *manager_create(void)
{
    IDOManager *m = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER, &IID_IDOManager, (void **)&m);
    if (FAILED(hr))
        printf("# CoCreateInstance(IDOManager): 0x%08lx\n", (unsigned long)hr);
    return m;
}

/* A new download with the proxy blanket winget uses. */
static IDODownload *new_download(IDOManager *m)
{
    IDODownload *d = NULL;
    HRESULT hr = IDOManager_CreateDownload(m, &d);
    if (FAILED(hr)) {
        printf("# CreateDownload: 0x%08lx\n", (unsigned long)hr);
        return NULL;
    }
    CoSetProxyBlanket((IUnknown *)d, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE, COLE_DEFAULT_PRINCIPAL,
                      RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_STATIC_CLOAKING);
    return d;
}

static HRESULT set_variant(IDODownload *d, DODownloadProperty p, VARIANT *v)
{
    return IDODownload_SetProperty(d, p, v);
}

static HRESULT set_bstr(IDODownload *d, DODownloadProperty p, const WCHAR *text)
{
    VARIANT v;
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(text);
    HRESULT hr = set_variant(d, p, &v);
    VariantClear(&v);
    return hr;
}

static HRESULT set_number(IDODownload *d, DODownloadProperty p, VARTYPE vt, ULONGLONG n)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = vt;
    if (vt == VT_UI8)
        V_UI8(&v) = n;
    else if (vt == VT_BOOL)
        V_BOOL(&v) = n ? VARIANT_TRUE : VARIANT_FALSE;
    else
        V_UI4(&v) = (ULONG)n;
    return set_variant(d, p, &v);
}

static HRESULT set_callback(IDODownload *d, callback_t *cb)
{
    VARIANT v;
    VariantInit(&v);
    if (cb) {
        V_VT(&v) = VT_UNKNOWN;
        V_UNKNOWN(&v) = (IUnknown *)&cb->iface;
    }
    return set_variant(d, DODownloadProperty_CallbackInterface, &v);
}

/* GetProperty's HRESULT; *v is cleared first and left for the caller to clear. */
static HRESULT get_prop(IDODownload *d, DODownloadProperty p, VARIANT *v)
{
    VariantInit(v);
    return IDODownload_GetProperty(d, p, v);
}

/* A ULONGLONG read of a UI4/UI8/BOOL property, ~0 when it fails or has another type. */
static ULONGLONG get_number(IDODownload *d, DODownloadProperty p, VARTYPE vt)
{
    VARIANT v;
    ULONGLONG n = ~0ull;
    if (SUCCEEDED(get_prop(d, p, &v)) && V_VT(&v) == vt)
        n = vt == VT_UI8 ? V_UI8(&v) : vt == VT_BOOL ? (ULONGLONG)(V_BOOL(&v) == VARIANT_TRUE) : V_UI4(&v);
    VariantClear(&v);
    return n;
}

/* Whether a BSTR property reads exactly want. */
static int text_is(IDODownload *d, DODownloadProperty p, const WCHAR *want)
{
    VARIANT v;
    int same = SUCCEEDED(get_prop(d, p, &v)) && V_VT(&v) == VT_BSTR && wcscmp(V_BSTR(&v), want) == 0;
    if (!same && V_VT(&v) == VT_BSTR)
        printf("#   property %d reads \"%ls\"\n", (int)p, V_BSTR(&v));
    VariantClear(&v);
    return same;
}

/* The download's Id, into out ("" when it cannot be read). */
static const WCHAR *id_of(IDODownload *d, WCHAR out[40])
{
    VARIANT v;
    out[0] = 0;
    if (SUCCEEDED(get_prop(d, DODownloadProperty_Id, &v)) && V_VT(&v) == VT_BSTR)
        wcsncpy(out, V_BSTR(&v), 39), out[39] = 0;
    VariantClear(&v);
    return out;
}

static DO_DOWNLOAD_STATUS status_of(IDODownload *d)
{
    DO_DOWNLOAD_STATUS s;
    memset(&s, 0, sizeof s);
    s.State = (DODownloadState)-1;
    if (FAILED(IDODownload_GetStatus(d, &s)))
        s.State = (DODownloadState)-1;
    return s;
}

static int state_of(IDODownload *d)
{
    return (int)status_of(d).State;
}

static void print_status(const char *what, const DO_DOWNLOAD_STATUS *s)
{
    printf("#   %s: state %d, %llu of %llu bytes, error 0x%08lx, extended 0x%08lx\n", what, (int)s->State,
           (unsigned long long)s->BytesTransferred, (unsigned long long)s->BytesTotal, (unsigned long)s->Error,
           (unsigned long)s->ExtendedError);
}

/* Polls GetStatus until the state is want and at least min_bytes arrived (or timeout). Stops
 * early on a state it cannot leave by itself (Paused with an error, Aborted, Finalized) unless
 * that is the one wanted. *seen_error records a non-zero Error seen before the end. */
static int wait_for(IDODownload *d, int want, UINT64 min_bytes, DWORD timeout_ms, DO_DOWNLOAD_STATUS *out,
                    HRESULT *seen_error, HRESULT *seen_extended)
{
    ULONGLONG end = GetTickCount64() + timeout_ms;
    DO_DOWNLOAD_STATUS s;
    for (;;) {
        s = status_of(d);
        if (s.Error && seen_error && (int)s.State != want)
            *seen_error = s.Error;
        if (s.ExtendedError && seen_extended)
            *seen_extended = s.ExtendedError;
        if ((int)s.State == want && s.BytesTransferred >= min_bytes)
            break;
        int stuck = (int)s.State == -1 || s.State == DODownloadState_Aborted || s.State == DODownloadState_Finalized ||
                    (s.State == DODownloadState_Paused && s.Error);
        if (stuck || GetTickCount64() >= end)
            break;
        Sleep(50);
    }
    if (out)
        *out = s;
    if ((int)s.State != want || s.BytesTransferred < min_bytes)
        print_status("stopped waiting at", &s);
    return (int)s.State == want && s.BytesTransferred >= min_bytes;
}

static int wait_state(IDODownload *d, int want, DWORD timeout_ms)
{
    return wait_for(d, want, 0, timeout_ms, NULL, NULL, NULL);
}

/* A download of url to local (which is deleted first), not started. */
static IDODownload *prepared(IDOManager *m, const WCHAR *url, const WCHAR *local)
{
    DeleteFileW(local);
    IDODownload *d = new_download(m);
    if (!d)
        return NULL;
    HRESULT hr = set_bstr(d, DODownloadProperty_Uri, url);
    if (SUCCEEDED(hr))
        hr = set_bstr(d, DODownloadProperty_LocalPath, local);
    if (FAILED(hr)) {
        printf("# preparing %ls -> %ls: 0x%08lx\n", url, local, (unsigned long)hr);
        IDODownload_Release(d);
        return NULL;
    }
    return d;
}

static HRESULT start_ranges(IDODownload *d, const DO_DOWNLOAD_RANGE *ranges, UINT count)
{
    struct {
        UINT RangeCount;
        DO_DOWNLOAD_RANGE Ranges[4];
    } info = {count, {{0, 0}}};
    memcpy(info.Ranges, ranges, count * sizeof *ranges);
    return IDODownload_Start(d, (DO_DOWNLOAD_RANGES_INFO *)&info);
}

static HRESULT start_whole(IDODownload *d)
{
    return start_ranges(d, NULL, 0); /* RangeCount 0: the whole file, as winget */
}

/* Start, Transferred, Finalize: the file equals WWW\name. Reports each step. */
static int download_and_check(IDODownload *d, const char *what, const WCHAR *name, const WCHAR *local, UINT64 size)
{
    DO_DOWNLOAD_STATUS s;
    int ok = CHECK(wait_for(d, DODownloadState_Transferred, size, WAIT_LONG, &s, NULL, NULL),
                   nm("%s: Transferred", what));
    ok = CHECK(s.BytesTotal == size && s.BytesTransferred == size, nm("%s: BytesTotal = BytesTransferred = %llu", what,
                                                                     (unsigned long long)size)) && ok;
    HRESULT hr = IDODownload_Finalize(d);
    CHECK_HR(hr, S_OK, nm("%s: Finalize", what));
    ok = CHECK(same_file(name, local), nm("%s: SHA-256 of the file equals the source's", what)) && ok;
    return ok;
}

static void release(IDODownload **d)
{
    if (*d)
        IDODownload_Release(*d);
    *d = NULL;
}

/* ---- 1. activation; BITS does not see downloads ------------------------------------------------------ */

static void activation(IDOManager *m, IDODownload *d)
{
    section = "activation";
    IUnknown *unknown = NULL, *u1 = NULL, *u2 = NULL;
    IDOManager *m2 = NULL, *m3 = NULL;
    IBackgroundCopyManager *bits = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER, &IID_IUnknown,
                                  (void **)&unknown);
    CHECK_HR(hr, S_OK, nm("CoCreateInstance(DeliveryOptimization, LOCAL_SERVER, IID_IUnknown)"));
    if (unknown) {
        CHECK_HR(IUnknown_QueryInterface(unknown, &IID_IDOManager, (void **)&m2), S_OK,
                 nm("IUnknown QI IDOManager"));
        IUnknown_Release(unknown);
    }
    hr = IDOManager_QueryInterface(m, &IID_IBackgroundCopyManager, (void **)&bits);
    CHECK_HR(hr, S_OK, nm("IDOManager QI IBackgroundCopyManager"));
    if (bits) {
        CHECK_HR(IBackgroundCopyManager_QueryInterface(bits, &IID_IDOManager, (void **)&m3), S_OK,
                 nm("IBackgroundCopyManager QI IDOManager"));
        IDOManager_QueryInterface(m, &IID_IUnknown, (void **)&u1);
        IBackgroundCopyManager_QueryInterface(bits, &IID_IUnknown, (void **)&u2);
        CHECK(u1 && u1 == u2, nm("IDOManager and IBackgroundCopyManager are the same object (same IUnknown)"));
        WCHAR id[40], braced[48];
        GUID guid;
        swprintf(braced, 48, L"{%ls}", id_of(d, id));
        if (CHECK(SUCCEEDED(CLSIDFromString(braced, &guid)), nm("the download's Id parses as a GUID"))) {
            IBackgroundCopyJob *job = NULL;
            CHECK_HR(IBackgroundCopyManager_GetJob(bits, &guid, &job), DO_E_JOB_NOT_FOUND,
                     nm("GetJob(the download's id) is DO_E_JOB_NOT_FOUND"));
            CHECK(!job, nm("GetJob(the download's id) gives no job"));
            IEnumBackgroundCopyJobs *jobs = NULL;
            IBackgroundCopyJob *bits_job = NULL;
            GUID bits_id = GUID_NULL;
            int listed = 0, seen = 0, bits_listed = 0;
            CHECK_HR(IBackgroundCopyManager_CreateJob(bits, L"opendo downloads e2e", BG_JOB_TYPE_DOWNLOAD, &bits_id,
                                                      &bits_job), S_OK, nm("CreateJob (a BITS job beside the download)"));
            hr = IBackgroundCopyManager_EnumJobs(bits, BG_JOB_ENUM_ALL_USERS, &jobs);
            CHECK_HR(hr, S_OK, nm("EnumJobs(ALL_USERS)"));
            while (jobs && IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK) {
                GUID jid;
                seen++;
                if (SUCCEEDED(IBackgroundCopyJob_GetId(job, &jid)) && IsEqualGUID(&jid, &guid))
                    listed = 1;
                if (IsEqualGUID(&jid, &bits_id))
                    bits_listed = 1;
                IBackgroundCopyJob_Release(job);
            }
            CHECK(bits_listed, nm("EnumJobs lists the BITS job"));
            CHECK(jobs && !listed, nm("EnumJobs does not list the download (%d jobs listed)", seen));
            if (bits_job) {
                IBackgroundCopyJob_Cancel(bits_job);
                IBackgroundCopyJob_Release(bits_job);
            }
            if (jobs)
                IEnumBackgroundCopyJobs_Release(jobs);
        }
    }
    if (u1) IUnknown_Release(u1);
    if (u2) IUnknown_Release(u2);
    if (m2) IDOManager_Release(m2);
    if (m3) IDOManager_Release(m3);
    if (bits) IBackgroundCopyManager_Release(bits);
}

/* ---- 2. properties ------------------------------------------------------------------------------------ */

#define RO 1
#define WO 2
typedef struct prop_spec {
    DODownloadProperty id;
    VARTYPE vt;
    int rules;
} prop_spec_t;

static const prop_spec_t props[30] = {
    {DODownloadProperty_Id, VT_BSTR, RO},
    {DODownloadProperty_Uri, VT_BSTR, 0},
    {DODownloadProperty_ContentId, VT_BSTR, 0},
    {DODownloadProperty_DisplayName, VT_BSTR, 0},
    {DODownloadProperty_LocalPath, VT_BSTR, 0},
    {DODownloadProperty_HttpCustomHeaders, VT_BSTR, 0},
    {DODownloadProperty_CostPolicy, VT_UI4, 0},
    {DODownloadProperty_SecurityFlags, VT_UI4, 0},
    {DODownloadProperty_CallbackFreqPercent, VT_UI4, 0},
    {DODownloadProperty_CallbackFreqSeconds, VT_UI4, 0},
    {DODownloadProperty_NoProgressTimeoutSeconds, VT_UI4, 0},
    {DODownloadProperty_ForegroundPriority, VT_BOOL, 0},
    {DODownloadProperty_BlockingMode, VT_BOOL, 0},
    {DODownloadProperty_CallbackInterface, VT_UNKNOWN, 0},
    {DODownloadProperty_StreamInterface, VT_UNKNOWN, 0},
    {DODownloadProperty_SecurityContext, VT_ARRAY | VT_UI1, WO},
    {DODownloadProperty_NetworkToken, VT_BOOL, WO},
    {DODownloadProperty_CorrelationVector, VT_BSTR, 0},
    {DODownloadProperty_DecryptionInfo, VT_BSTR, WO},
    {DODownloadProperty_IntegrityCheckInfo, VT_BSTR, WO},
    {DODownloadProperty_IntegrityCheckMandatory, VT_BOOL, 0},
    {DODownloadProperty_TotalSizeBytes, VT_UI8, 0},
    {DODownloadProperty_DisallowOnCellular, VT_BOOL, 0},
    {DODownloadProperty_HttpCustomAuthHeaders, VT_BSTR, 0},
    {DODownloadProperty_HttpAllowSecureToNonSecureRedirect, VT_BOOL, 0},
    {DODownloadProperty_NonVolatile, VT_BOOL, 0},
    {DODownloadProperty_HttpRedirectionTarget, VT_BSTR, RO},
    {DODownloadProperty_HttpResponseHeaders, VT_BSTR, RO},
    {DODownloadProperty_HttpServerIPAddress, VT_BSTR, RO},
    {DODownloadProperty_HttpStatusCode, VT_UI4, RO},
};

static callback_t prop_cb;

/* A VARIANT of the wrong type for a property of type vt (a callback as VT_DISPATCH). */
static void wrong_variant(VARTYPE vt, VARIANT *v)
{
    VariantInit(v);
    switch (vt) {
    case VT_BSTR: V_VT(v) = VT_UI4; V_UI4(v) = 1; break;
    case VT_UI4: V_VT(v) = VT_I4; V_I4(v) = 1; break;
    case VT_UI8: V_VT(v) = VT_UI4; V_UI4(v) = 1; break;
    case VT_BOOL: V_VT(v) = VT_UI4; V_UI4(v) = 1; break;
    case VT_UNKNOWN: V_VT(v) = VT_DISPATCH; V_DISPATCH(v) = &prop_cb.dispatch; break;
    default: V_VT(v) = VT_BSTR; V_BSTR(v) = SysAllocString(L"bytes"); break;
    }
}

static const char *vt_name(VARTYPE vt)
{
    switch (vt) {
    case VT_BSTR: return "VT_BSTR";
    case VT_UI4: return "VT_UI4";
    case VT_UI8: return "VT_UI8";
    case VT_BOOL: return "VT_BOOL";
    case VT_UNKNOWN: return "VT_UNKNOWN";
    default: return "VT_ARRAY|VT_UI1";
    }
}

static HRESULT set_bytes(IDODownload *d, DODownloadProperty p, const void *bytes, ULONG size)
{
    VARIANT v;
    VariantInit(&v);
    SAFEARRAY *array = SafeArrayCreateVector(VT_UI1, 0, size);
    if (!array)
        return E_OUTOFMEMORY;
    memcpy(array->pvData, bytes, size);
    V_VT(&v) = VT_ARRAY | VT_UI1;
    V_ARRAY(&v) = array;
    HRESULT hr = set_variant(d, p, &v);
    VariantClear(&v);
    return hr;
}

/* A self-signed certificate serialized as CertSerializeCertificateStoreElement does. */
static BYTE *serialized_certificate(DWORD *size)
{
    BYTE name[256];
    DWORD name_size = sizeof name;
    if (!CertStrToNameW(X509_ASN_ENCODING, L"CN=opendo e2e", CERT_X500_NAME_STR, NULL, name, &name_size, NULL))
        return NULL;
    CERT_NAME_BLOB blob = {name_size, name};
    const CERT_CONTEXT *cert = CertCreateSelfSignCertificate(0, &blob, 0, NULL, NULL, NULL, NULL, NULL);
    BYTE *bytes = NULL;
    *size = 0;
    if (cert && CertSerializeCertificateStoreElement(cert, 0, NULL, size) && (bytes = malloc(*size)) &&
        !CertSerializeCertificateStoreElement(cert, 0, bytes, size)) {
        free(bytes);
        bytes = NULL;
    }
    if (cert)
        CertFreeCertificateContext(cert);
    return bytes;
}

/* Types, unknown ids, read-only and write-only, unset values and defaults on a fresh download. */
static void property_rules(IDOManager *m)
{
    section = "properties";
    IDODownload *d = new_download(m);
    if (!CHECK(d != NULL, nm("CreateDownload")))
        return;
    VARIANT v;
    int wrong_ok = 0, wrong_tried = 0;
    for (int i = 0; i < 30; i++) {
        if (props[i].rules & RO)
            continue;
        wrong_variant(props[i].vt, &v);
        HRESULT hr = set_variant(d, props[i].id, &v);
        VariantClear(&v);
        wrong_tried++;
        if (hr == E_INVALIDARG)
            wrong_ok++;
        else
            printf("#   property %d (%s) with a wrong VARIANT type: 0x%08lx\n", i, vt_name(props[i].vt), (unsigned long)hr);
    }
    CHECK(wrong_ok == wrong_tried, nm("SetProperty with a wrong VARIANT type is E_INVALIDARG for all %d writable "
                                      "properties (a callback as VT_DISPATCH included)", wrong_tried));
    wrong_variant(VT_UNKNOWN, &v);
    CHECK_HR(set_variant(d, DODownloadProperty_CallbackInterface, &v), E_INVALIDARG,
             nm("CallbackInterface as VT_DISPATCH is E_INVALIDARG"));
    CHECK(cb_count(&prop_cb, -1) == 0, nm("the refused callback is never called"));
    VariantInit(&v);
    V_VT(&v) = VT_UI4;
    CHECK_HR(set_variant(d, (DODownloadProperty)30, &v), DO_E_UNKNOWN_PROPERTY_ID, nm("SetProperty(30): DO_E_UNKNOWN_PROPERTY_ID"));
    CHECK_HR(get_prop(d, (DODownloadProperty)30, &v), DO_E_UNKNOWN_PROPERTY_ID, nm("GetProperty(30): DO_E_UNKNOWN_PROPERTY_ID"));
    CHECK(V_VT(&v) == VT_EMPTY, nm("GetProperty(30) leaves VT_EMPTY"));
    for (int i = 0; i < 30; i++) {
        if (props[i].rules & RO) {
            VARIANT good;
            VariantInit(&good);
            V_VT(&good) = props[i].vt;
            if (props[i].vt == VT_BSTR)
                V_BSTR(&good) = SysAllocString(L"x");
            CHECK_HR(set_variant(d, props[i].id, &good), DO_E_READ_ONLY_PROPERTY,
                     nm("SetProperty(%d, %s) of a read-only property: DO_E_READ_ONLY_PROPERTY", i, vt_name(props[i].vt)));
            VariantClear(&good);
        }
        if (props[i].rules & WO)
            CHECK_HR(get_prop(d, props[i].id, &v), DO_E_WRITE_ONLY_PROPERTY,
                     nm("GetProperty(%d) of a write-only property: DO_E_WRITE_ONLY_PROPERTY", i));
    }
    /* never set, no default */
    static const DODownloadProperty unset[] = {
        DODownloadProperty_Uri, DODownloadProperty_ContentId, DODownloadProperty_DisplayName,
        DODownloadProperty_LocalPath, DODownloadProperty_HttpCustomHeaders, DODownloadProperty_CallbackFreqPercent,
        DODownloadProperty_CallbackInterface, DODownloadProperty_StreamInterface, DODownloadProperty_CorrelationVector,
        DODownloadProperty_TotalSizeBytes, DODownloadProperty_HttpCustomAuthHeaders,
        DODownloadProperty_HttpRedirectionTarget, DODownloadProperty_HttpResponseHeaders,
        DODownloadProperty_HttpServerIPAddress, DODownloadProperty_HttpStatusCode};
    for (size_t i = 0; i < sizeof unset / sizeof *unset; i++) {
        HRESULT hr = get_prop(d, unset[i], &v);
        CHECK_HR(hr, E_NOT_SET_HR, nm("GetProperty(%d) never set: E_NOT_SET", (int)unset[i]));
        VariantClear(&v);
    }
    CHECK(get_number(d, DODownloadProperty_CostPolicy, VT_UI4) == 2, nm("CostPolicy default (background): 2 (Standard)"));
    CHECK(get_number(d, DODownloadProperty_CallbackFreqSeconds, VT_UI4) == 1, nm("CallbackFreqSeconds default: 1"));
    CHECK(get_number(d, DODownloadProperty_NoProgressTimeoutSeconds, VT_UI4) == 10800,
          nm("NoProgressTimeoutSeconds default (background): 10800"));
    CHECK(get_number(d, DODownloadProperty_SecurityFlags, VT_UI4) == 0, nm("SecurityFlags default: 0"));
    static const DODownloadProperty bools[] = {
        DODownloadProperty_ForegroundPriority, DODownloadProperty_BlockingMode, DODownloadProperty_IntegrityCheckMandatory,
        DODownloadProperty_DisallowOnCellular, DODownloadProperty_HttpAllowSecureToNonSecureRedirect,
        DODownloadProperty_NonVolatile};
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
        CHECK(get_number(d, bools[i], VT_BOOL) == 0, nm("BOOL property %d default: VARIANT_FALSE", (int)bools[i]));
    CHECK_HR(set_number(d, DODownloadProperty_ForegroundPriority, VT_BOOL, 1), S_OK, nm("ForegroundPriority TRUE"));
    CHECK(get_number(d, DODownloadProperty_CostPolicy, VT_UI4) == 0, nm("CostPolicy default (foreground): 0 (Always)"));
    CHECK(get_number(d, DODownloadProperty_NoProgressTimeoutSeconds, VT_UI4) == 1800,
          nm("NoProgressTimeoutSeconds default (foreground): 1800"));

    WCHAR id[40];
    id_of(d, id);
    int form = wcslen(id) == 36;
    for (int i = 0; form && id[i]; i++)
        form = (i == 8 || i == 13 || i == 18 || i == 23) ? id[i] == L'-' : !!wcschr(L"0123456789abcdef", id[i]);
    CHECK(form, nm("Id is the lowercase GUID without braces (%ls)", id));

    /* values refused by content */
    static const BYTE garbage[] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK_HR(set_bytes(d, DODownloadProperty_SecurityContext, garbage, sizeof garbage), HR_CRYPT_FILE,
             nm("SecurityContext of garbage bytes: CRYPT_E_FILE_ERROR 0x80092003"));
    DWORD cert_size = 0;
    BYTE *cert = serialized_certificate(&cert_size);
    if (CHECK(cert != NULL, nm("a self-signed certificate is serialized (CertSerializeCertificateStoreElement)")))
        CHECK_HR(set_bytes(d, DODownloadProperty_SecurityContext, cert, cert_size), E_NOTIMPL,
                 nm("SecurityContext of a serialized certificate: E_NOTIMPL"));
    free(cert);
    for (int p = DODownloadProperty_DecryptionInfo; p <= DODownloadProperty_IntegrityCheckInfo; p++) {
        CHECK_HR(set_bstr(d, (DODownloadProperty)p, L"blah"), E_INVALIDARG, nm("property %d \"blah\" (not JSON): E_INVALIDARG", p));
        CHECK_HR(set_bstr(d, (DODownloadProperty)p, L"{}"), E_NOTIMPL, nm("property %d \"{}\": E_NOTIMPL", p));
    }
    CHECK_HR(set_number(d, DODownloadProperty_NetworkToken, VT_BOOL, 1), E_NOTIMPL, nm("NetworkToken TRUE: E_NOTIMPL"));
    CHECK_HR(set_number(d, DODownloadProperty_NetworkToken, VT_BOOL, 0), S_OK, nm("NetworkToken FALSE: S_OK"));
    CHECK_HR(set_bstr(d, DODownloadProperty_LocalPath, L"relative\\file.bin"), HR_INVALID_NAME,
             nm("LocalPath relative: 0x8007007B"));
    WCHAR long_path[300];
    swprintf(long_path, 300, L"C:\\%ls", L"");
    for (int i = 3; i < 290; i++)
        long_path[i] = L'a';
    long_path[290] = 0;
    CHECK_HR(set_bstr(d, DODownloadProperty_LocalPath, long_path), HR_TOO_LONG, nm("LocalPath of 290 characters: 0x800700CE"));
    CHECK_HR(set_bstr(d, DODownloadProperty_Uri, L"ftp://127.0.0.1/f.bin"), E_INVALIDARG, nm("Uri ftp://: E_INVALIDARG"));
    CHECK_HR(get_prop(d, DODownloadProperty_Uri, &v), E_NOT_SET_HR, nm("the refused Uri left Uri unset"));
    CHECK_HR(IDODownload_Abort(d), S_OK, nm("Abort of the Created download"));
    release(&d);
}

/* Every readable, writable property round-trips with its type (on a download never started). */
static void property_round_trips(IDOManager *m)
{
    section = "properties";
    IDODownload *d = new_download(m), *s = new_download(m);
    if (!CHECK(d && s, nm("CreateDownload x2")))
        return;
    const WCHAR *local = in_dest(L"props\\p.bin");
    struct { DODownloadProperty id; const WCHAR *text; } texts[] = {
        {DODownloadProperty_Uri, on_nginx(L"f.bin")},
        {DODownloadProperty_ContentId, L"content-id-1"},
        {DODownloadProperty_DisplayName, L"display \x00fc\x4e2d"},
        {DODownloadProperty_LocalPath, local},
        {DODownloadProperty_HttpCustomHeaders, L"X-Opendo-Test: 1\r\n"},
        {DODownloadProperty_CorrelationVector, L"tul4NUsfs9Cl7mOf.1"},
        {DODownloadProperty_HttpCustomAuthHeaders, L"Authorization: Basic eDp5\r\n"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        HRESULT hr = set_bstr(d, texts[i].id, texts[i].text);
        CHECK_HR(hr, S_OK, nm("SetProperty(%d, VT_BSTR)", (int)texts[i].id));
        CHECK(text_is(d, texts[i].id, texts[i].text), nm("GetProperty(%d) reads the VT_BSTR back", (int)texts[i].id));
    }
    struct { DODownloadProperty id; VARTYPE vt; ULONGLONG n; } numbers[] = {
        {DODownloadProperty_CostPolicy, VT_UI4, 4},
        {DODownloadProperty_SecurityFlags, VT_UI4, 0},
        {DODownloadProperty_CallbackFreqPercent, VT_UI4, 10},
        {DODownloadProperty_CallbackFreqSeconds, VT_UI4, 3},
        {DODownloadProperty_NoProgressTimeoutSeconds, VT_UI4, 120},
        {DODownloadProperty_ForegroundPriority, VT_BOOL, 1},
        {DODownloadProperty_BlockingMode, VT_BOOL, 1},
        {DODownloadProperty_IntegrityCheckMandatory, VT_BOOL, 1},
        {DODownloadProperty_TotalSizeBytes, VT_UI8, 5000000000ull},
        {DODownloadProperty_DisallowOnCellular, VT_BOOL, 1},
        {DODownloadProperty_HttpAllowSecureToNonSecureRedirect, VT_BOOL, 1},
        {DODownloadProperty_NonVolatile, VT_BOOL, 1},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        CHECK_HR(set_number(d, numbers[i].id, numbers[i].vt, numbers[i].n), S_OK,
                 nm("SetProperty(%d, %s %llu)", (int)numbers[i].id, vt_name(numbers[i].vt), numbers[i].n));
        CHECK(get_number(d, numbers[i].id, numbers[i].vt) == numbers[i].n,
              nm("GetProperty(%d) reads the %s back", (int)numbers[i].id, vt_name(numbers[i].vt)));
    }
    CHECK(status_of(d).BytesTotal == 5000000000ull, nm("BytesTotal is TotalSizeBytes before the size is known"));
    CHECK_HR(set_number(d, DODownloadProperty_SecurityFlags, VT_UI4, 0x3300), S_OK,
             nm("SecurityFlags 0x3300 (the WinHTTP flags that ignore certificate errors): accepted"));
    CHECK(get_number(d, DODownloadProperty_SecurityFlags, VT_UI4) == 0x3300, nm("SecurityFlags reads back 0x3300"));
    CHECK_HR(set_number(d, DODownloadProperty_SecurityFlags, VT_UI4, 0x1), E_INVALIDARG,
             nm("SecurityFlags 0x1: not a WinHTTP ignore flag (E_INVALIDARG)"));
    /* interfaces come back as the client's own objects */
    VARIANT v;
    CHECK_HR(set_callback(d, &prop_cb), S_OK, nm("SetProperty(CallbackInterface, VT_UNKNOWN)"));
    HRESULT hr = get_prop(d, DODownloadProperty_CallbackInterface, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_UNKNOWN && V_UNKNOWN(&v) == (IUnknown *)&prop_cb.iface,
          nm("GetProperty(CallbackInterface) is the client's own callback (0x%08lx, vt %d)", (unsigned long)hr, V_VT(&v)));
    VariantClear(&v);
    IStream *stream = NULL;
    CreateStreamOnHGlobal(NULL, TRUE, &stream);
    VariantInit(&v);
    V_VT(&v) = VT_UNKNOWN;
    V_UNKNOWN(&v) = (IUnknown *)stream;
    CHECK_HR(set_variant(d, DODownloadProperty_StreamInterface, &v), DO_E_FILE_DOWNLOADSINK_ALREADY_SET,
             nm("StreamInterface on a download with a LocalPath: DO_E_FILE_DOWNLOADSINK_ALREADY_SET"));
    CHECK_HR(set_bstr(s, DODownloadProperty_Uri, on_nginx(L"f.bin")), S_OK, nm("stream download: Uri"));
    CHECK_HR(set_variant(s, DODownloadProperty_StreamInterface, &v), S_OK, nm("SetProperty(StreamInterface, an IStream)"));
    hr = get_prop(s, DODownloadProperty_StreamInterface, &v);
    IUnknown *stream_unknown = NULL;
    IStream_QueryInterface(stream, &IID_IUnknown, (void **)&stream_unknown);
    CHECK(hr == S_OK && V_VT(&v) == VT_UNKNOWN && V_UNKNOWN(&v) == stream_unknown,
          nm("GetProperty(StreamInterface) is the client's own stream (got 0x%08lx, vt %d)", (unsigned long)hr, V_VT(&v)));
    VariantClear(&v);
    if (stream_unknown)
        IUnknown_Release(stream_unknown);
    VariantInit(&v);
    CHECK_HR(set_variant(s, DODownloadProperty_StreamInterface, &v), S_OK, nm("StreamInterface VT_EMPTY clears it"));
    CHECK_HR(IDODownload_Start(s, NULL), DO_E_FILE_DOWNLOADSINK_UNSPECIFIED,
             nm("Start with neither LocalPath nor stream: DO_E_FILE_DOWNLOADSINK_UNSPECIFIED"));
    if (stream)
        IStream_Release(stream);
    IDODownload_Abort(s);
    IDODownload_Abort(d);
    release(&s);
    release(&d);
}

/* Whether headers hold a line "name value" (name compared without case). */
static int has_header(const WCHAR *headers, const WCHAR *name, const WCHAR *value)
{
    size_t n = wcslen(name);
    for (const WCHAR *line = headers; line && *line; line = wcschr(line, L'\n') ? wcschr(line, L'\n') + 1 : NULL)
        if (_wcsnicmp(line, name, n) == 0 && wcstoul(line + n, NULL, 10) == wcstoul(value, NULL, 10))
            return 1;
    return 0;
}

/* 26-29 after a real download through a redirect (nginx /moved: 302 to /f.bin). */
static void http_properties(IDOManager *m)
{
    section = "properties";
    const WCHAR *local = in_dest(L"props\\moved.bin");
    IDODownload *d = prepared(m, on_nginx(L"moved"), local);
    if (!CHECK(d != NULL, nm("a download of /moved (302 to /f.bin)")))
        return;
    CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("Start(NULL) on a Created download (the whole file)"));
    if (CHECK(wait_for(d, DODownloadState_Transferred, F_SIZE, WAIT_LONG, NULL, NULL, NULL), nm("redirected download: Transferred"))) {
        CHECK(text_is(d, DODownloadProperty_HttpRedirectionTarget, on_nginx(L"f.bin")),
              nm("HttpRedirectionTarget is the final URL (/f.bin)"));
        CHECK(text_is(d, DODownloadProperty_HttpServerIPAddress, L"127.0.0.1"), nm("HttpServerIPAddress is 127.0.0.1"));
        CHECK(get_number(d, DODownloadProperty_HttpStatusCode, VT_UI4) == 200, nm("HttpStatusCode is 200 (VT_UI4)"));
        VARIANT v;
        HRESULT hr = get_prop(d, DODownloadProperty_HttpResponseHeaders, &v);
        WCHAR want[64];
        swprintf(want, 64, L"%u", F_SIZE);
        CHECK(hr == S_OK && V_VT(&v) == VT_BSTR && has_header(V_BSTR(&v), L"content-length:", want),
              nm("HttpResponseHeaders (VT_BSTR) hold the Content-Length of /f.bin"));
        if (V_VT(&v) == VT_BSTR)
            printf("#   HttpResponseHeaders: %.200ls\n", V_BSTR(&v));
        VariantClear(&v);
        CHECK_HR(IDODownload_Finalize(d), S_OK, nm("redirected download: Finalize"));
        CHECK(same_file(L"f.bin", local), nm("redirected download: SHA-256 equals /f.bin's"));
    }
    release(&d);
}

/* ---- 7. EnumDownloads and bad input -------------------------------------------------------------------- */

/* EnumDownloads(category) and its objects: the number found, whether one has id want_id. */
static HRESULT enum_count(IDOManager *m, const DO_DOWNLOAD_ENUM_CATEGORY *category, const WCHAR *want_id, int *count,
                          int *found, IDODownload **keep)
{
    IEnumUnknown *e = (IEnumUnknown *)(INT_PTR)1; /* must come back NULL on failure */
    *count = 0;
    *found = 0;
    HRESULT hr = IDOManager_EnumDownloads(m, category, &e);
    if (FAILED(hr)) {
        if (e)
            printf("#   EnumDownloads failed but left a non-NULL enumerator\n");
        return e ? E_UNEXPECTED : hr;
    }
    IUnknown *item = NULL;
    while (IEnumUnknown_Next(e, 1, &item, NULL) == S_OK) {
        IDODownload *d = NULL;
        WCHAR id[40];
        (*count)++;
        if (SUCCEEDED(IUnknown_QueryInterface(item, &IID_IDODownload, (void **)&d))) {
            if (want_id && wcscmp(id_of(d, id), want_id) == 0) {
                (*found)++;
                if (keep && !*keep)
                    *keep = d, IDODownload_AddRef(d);
            }
            IDODownload_Release(d);
        }
        IUnknown_Release(item);
    }
    IEnumUnknown_Release(e);
    return hr;
}

static void enumeration(IDOManager *m)
{
    section = "enumeration";
    const WCHAR *local = in_dest(L"enum\\e.bin"), *uri = on_nginx(L"f.bin?enum");
    IDODownload *d = prepared(m, uri, local);
    if (!CHECK(d != NULL, nm("a download to enumerate")))
        return;
    set_bstr(d, DODownloadProperty_ContentId, L"enum-content-id");
    set_bstr(d, DODownloadProperty_DisplayName, L"enum display name");
    WCHAR id[40], braced[48];
    id_of(d, id);
    swprintf(braced, 48, L"{%ls}", id);
    int count, found;
    CHECK_HR(enum_count(m, NULL, id, &count, &found, NULL), S_OK, nm("EnumDownloads(NULL)"));
    CHECK(found == 1, nm("EnumDownloads(NULL) lists the download (%d listed)", count));
    struct { DODownloadProperty p; const WCHAR *value, *miss; const char *what; } filters[] = {
        {DODownloadProperty_Id, id, L"00000000-0000-0000-0000-000000000000", "Id (GetProperty form)"},
        {DODownloadProperty_Id, braced, L"{00000000-0000-0000-0000-000000000000}", "Id (braced)"},
        {DODownloadProperty_Uri, uri, L"http://127.0.0.1:1/none", "Uri"},
        {DODownloadProperty_ContentId, L"enum-content-id", L"no-such-content", "ContentId"},
        {DODownloadProperty_DisplayName, L"enum display name", L"no such name", "DisplayName"},
        {DODownloadProperty_LocalPath, local, L"C:\\no\\such.bin", "LocalPath"},
    };
    for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
        DO_DOWNLOAD_ENUM_CATEGORY c = {filters[i].p, filters[i].value};
        HRESULT hr = enum_count(m, &c, id, &count, &found, NULL);
        CHECK(hr == S_OK && count == 1 && found == 1,
              nm("EnumDownloads(%s) finds exactly the download (0x%08lx, %d)", filters[i].what, (unsigned long)hr, count));
        c.Value = filters[i].miss;
        CHECK_HR(enum_count(m, &c, id, &count, &found, NULL), DO_E_NO_DOWNLOADS,
                 nm("EnumDownloads(%s) matching nothing: DO_E_NO_DOWNLOADS (and a NULL enumerator)", filters[i].what));
    }
    DO_DOWNLOAD_ENUM_CATEGORY bad = {DODownloadProperty_CostPolicy, L"2"};
    CHECK_HR(enum_count(m, &bad, id, &count, &found, NULL), E_INVALIDARG, nm("EnumDownloads(CostPolicy): E_INVALIDARG"));
    bad.Property = DODownloadProperty_Uri;
    bad.Value = NULL;
    CHECK_HR(enum_count(m, &bad, id, &count, &found, NULL), E_INVALIDARG, nm("EnumDownloads(Uri, NULL Value): E_INVALIDARG"));
    /* the enumerated object is live */
    IDODownload *e = NULL;
    DO_DOWNLOAD_ENUM_CATEGORY by_id = {DODownloadProperty_Id, id};
    enum_count(m, &by_id, id, &count, &found, &e);
    if (CHECK(e != NULL, nm("the enumerated IUnknown QIs to IDODownload"))) {
        CHECK(state_of(e) == DODownloadState_Created, nm("GetStatus through the enumerated object: Created"));
        CHECK_HR(set_bstr(e, DODownloadProperty_DisplayName, L"renamed"), S_OK, nm("SetProperty through it"));
        CHECK(text_is(d, DODownloadProperty_DisplayName, L"renamed"), nm("the original object sees the change"));
        CHECK_HR(IDODownload_Abort(e), S_OK, nm("Abort through the enumerated object"));
        CHECK(state_of(d) == DODownloadState_Aborted, nm("the original object sees Aborted"));
        CHECK_HR(enum_count(m, &by_id, id, &count, &found, NULL), DO_E_NO_DOWNLOADS,
                 nm("an aborted download is not enumerated: DO_E_NO_DOWNLOADS"));
    }
    release(&e);
    release(&d);
}

/* NULL pointers through the proxy. What is asserted is what Wine's NDR gives: a NULL [ref]
 * argument ([out] DO_DOWNLOAD_STATUS *, [out] VARIANT *, [in] const VARIANT *) is refused by
 * the proxy with RPC_X_NULL_REF_POINTER before any call, and so is CreateDownload's [out] pointer
 * ([local]/[call_as], docs/proxy-stub.md). EnumDownloads' [out] IEnumUnknown ** reaches the server
 * as a stub-allocated pointer: the call runs and the proxy then fails unmarshalling into NULL. */
static void bad_input(IDOManager *m)
{
    section = "bad input";
    IDODownload *d = new_download(m);
    if (!CHECK(d != NULL, nm("CreateDownload")))
        return;
    CHECK_HR(IDOManager_CreateDownload(m, NULL), HR_NULL_REF, nm("CreateDownload(NULL): RPC_X_NULL_REF_POINTER"));
    CHECK_HR(IDODownload_GetStatus(d, NULL), HR_NULL_REF, nm("GetStatus(NULL): RPC_X_NULL_REF_POINTER"));
    CHECK_HR(IDODownload_GetProperty(d, DODownloadProperty_Id, NULL), HR_NULL_REF,
             nm("GetProperty(Id, NULL): RPC_X_NULL_REF_POINTER"));
    CHECK_HR(IDODownload_SetProperty(d, DODownloadProperty_DisplayName, NULL), HR_NULL_REF,
             nm("SetProperty(DisplayName, NULL): RPC_X_NULL_REF_POINTER"));
    HRESULT hr = IDOManager_EnumDownloads(m, NULL, NULL);
    printf("#   EnumDownloads(NULL, NULL): 0x%08lx\n", (unsigned long)hr);
    CHECK(FAILED(hr), nm("EnumDownloads(NULL, NULL) fails"));
    CHECK_HR(IDODownload_Start(d, NULL), DO_E_DOWNLOAD_NO_URI, nm("Start(NULL) with no Uri: DO_E_DOWNLOAD_NO_URI"));
    CHECK_HR(set_bstr(d, DODownloadProperty_Uri, on_nginx(L"f.bin")), S_OK, nm("Uri"));
    CHECK_HR(IDODownload_Start(d, NULL), DO_E_FILE_DOWNLOADSINK_UNSPECIFIED,
             nm("Start(NULL) with no LocalPath: DO_E_FILE_DOWNLOADSINK_UNSPECIFIED"));
    CHECK(state_of(d) == DODownloadState_Created, nm("the refused calls left the download Created"));
    CHECK_HR(IDODownload_Abort(d), S_OK, nm("Abort"));
    release(&d);
}

/* ---- 3. the state table ----------------------------------------------------------------------------------- */

/* The calls of §4.1 in a final state: only the no-op call succeeds. */
static void final_cells(IDODownload *d, const char *what, int finalized)
{
    DO_DOWNLOAD_RANGE r = {0, 100};
    CHECK_HR(IDODownload_Start(d, NULL), DO_E_INVALID_STATE, nm("%s: Start(NULL): DO_E_INVALID_STATE", what));
    CHECK_HR(start_ranges(d, &r, 1), DO_E_INVALID_STATE, nm("%s: Start(ranges): DO_E_INVALID_STATE", what));
    CHECK_HR(IDODownload_Pause(d), DO_E_INVALID_STATE, nm("%s: Pause: DO_E_INVALID_STATE", what));
    CHECK_HR(IDODownload_Abort(d), finalized ? DO_E_INVALID_STATE : S_OK,
             nm("%s: Abort: %s", what, finalized ? "DO_E_INVALID_STATE" : "S_OK, no-op"));
    CHECK_HR(IDODownload_Finalize(d), finalized ? S_OK : DO_E_INVALID_STATE,
             nm("%s: Finalize: %s", what, finalized ? "S_OK, no-op" : "DO_E_INVALID_STATE"));
    CHECK(state_of(d) == (finalized ? DODownloadState_Finalized : DODownloadState_Aborted),
          nm("%s: GetStatus still answers, with the final state", what));
    WCHAR id[40];
    CHECK(wcslen(id_of(d, id)) == 36, nm("%s: GetProperty(Id) still answers", what));
    VARIANT v;
    HRESULT hr = get_prop(d, DODownloadProperty_Uri, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_BSTR, nm("%s: GetProperty(Uri) answers (§4.1: GetProperty OK in every state; got 0x%08lx)",
                                                what, (unsigned long)hr));
    VariantClear(&v);
}

/* Created, Transferred and Finalized, on a whole file from nginx to a new directory. */
static void states_whole(IDOManager *m)
{
    section = "states";
    const WCHAR *dir = in_dest(L"states\\new\\dir"), *local = in_dest(L"states\\new\\dir\\f.bin");
    CHECK(!exists(in_dest(L"states\\new")), nm("the LocalPath's directories do not exist yet"));
    IDODownload *d = prepared(m, on_nginx(L"f.bin"), local);
    if (!CHECK(d != NULL, nm("a download of f.bin")))
        return;
    DO_DOWNLOAD_STATUS s = status_of(d);
    CHECK(s.State == DODownloadState_Created && s.BytesTotal == 0 && s.BytesTransferred == 0 && s.Error == 0 &&
              s.ExtendedError == 0, nm("Created: GetStatus: state 0, 0 of 0 bytes, no error"));
    CHECK_HR(IDODownload_Pause(d), S_OK, nm("Created: Pause: S_OK"));
    CHECK(state_of(d) == DODownloadState_Created, nm("Created: Pause left it Created"));
    CHECK_HR(IDODownload_Finalize(d), DO_E_INVALID_STATE, nm("Created: Finalize: DO_E_INVALID_STATE"));
    CHECK_HR(start_whole(d), S_OK, nm("Created: Start(RangeCount 0): S_OK"));
    CHECK(exists(dir), nm("Start created the missing directories of LocalPath"));
    int done = CHECK(wait_for(d, DODownloadState_Transferred, F_SIZE, WAIT_LONG, &s, NULL, NULL), nm("Transferring -> Transferred"));
    CHECK(s.BytesTotal == F_SIZE && s.BytesTransferred == F_SIZE, nm("Transferred: BytesTotal = BytesTransferred = 2 MiB"));
    CHECK(!exists(local), nm("Transferred: nothing at LocalPath before Finalize"));
    CHECK(temp_files_in(dir) == 1, nm("Transferred: the data is in one ~opendo-*.tmp beside LocalPath"));
    if (done) {
        CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("Transferred: Start(NULL): S_OK"));
        CHECK(state_of(d) == DODownloadState_Transferred, nm("Transferred: Start(NULL) is a no-op"));
        CHECK_HR(IDODownload_Pause(d), S_OK, nm("Transferred: Pause: S_OK"));
        CHECK(state_of(d) == DODownloadState_Transferred, nm("Transferred: Pause is a no-op"));
    }
    CHECK_HR(IDODownload_Finalize(d), S_OK, nm("Transferred: Finalize: S_OK"));
    CHECK(state_of(d) == DODownloadState_Finalized, nm("Finalize -> Finalized"));
    CHECK(same_file(L"f.bin", local), nm("Finalized: the file is at LocalPath, SHA-256 equal to the source's"));
    CHECK(temp_files_in(dir) == 0, nm("Finalized: no ~opendo-*.tmp left"));
    final_cells(d, "Finalized", 1);
    release(&d);
}

/* Ranges: {0,100},{200,1000} -> 1100 bytes; Start again after Transferred with other ranges. */
static void states_ranges(IDOManager *m)
{
    section = "states";
    const WCHAR *local = in_dest(L"states\\ranges.bin");
    IDODownload *d = prepared(m, on_nginx(L"f.bin"), local);
    if (!CHECK(d != NULL, nm("a ranged download of f.bin")))
        return;
    DO_DOWNLOAD_RANGE first[2] = {{0, 100}, {200, 1000}}, second[1] = {{5000, 300}};
    DO_DOWNLOAD_STATUS s;
    CHECK_HR(start_ranges(d, first, 2), S_OK, nm("ranges: Start({0,100},{200,1000})"));
    CHECK(wait_for(d, DODownloadState_Transferred, 1100, WAIT_LONG, &s, NULL, NULL) && s.BytesTotal == 1100 &&
              s.BytesTransferred == 1100,
          nm("ranges: Transferred with BytesTotal = BytesTransferred = 1100"));
    CHECK_HR(start_ranges(d, second, 1), S_OK, nm("ranges: Transferred: Start({5000,300}) (other ranges): S_OK"));
    CHECK(wait_for(d, DODownloadState_Transferred, 300, WAIT_LONG, &s, NULL, NULL) && s.BytesTotal == 300,
          nm("ranges: Transferred again, BytesTotal = 300 (the new ranges)"));
    CHECK_HR(IDODownload_Finalize(d), S_OK, nm("ranges: Finalize"));
    CHECK(same_part(L"f.bin", local, 5000, 300), nm("ranges: bytes 5000-5299 are at their offset"));
    CHECK(same_part(L"f.bin", local, 0, 100) && same_part(L"f.bin", local, 200, 1000),
          nm("ranges: the first Start's ranges are still at their offsets"));
    release(&d);
}

/* Transferring and Paused: Start(NULL) no-op, Pause visible on return, resume; Abort in
 * Transferred; Abort mid-transfer and from Paused leave nothing. */
static void states_transferring(IDOManager *m)
{
    section = "states";
    const WCHAR *dir = in_dest(L"states\\paced");
    IDODownload *d[3] = {0};
    const WCHAR *locals[3];
    for (int i = 0; i < 3; i++) {
        locals[i] = fmt_w(L"%ls\\p%d.bin", dir, i);
        d[i] = prepared(m, on_fault(fmt_w(L"rate/1048576/p%d.bin", i)), locals[i]);
        if (!CHECK(d[i] != NULL, nm("paced download %d (1 MiB/s)", i)))
            goto out;
        CHECK_HR(start_whole(d[i]), S_OK, nm("paced download %d: Start", i));
    }
    for (int i = 0; i < 3; i++)
        CHECK(wait_for(d[i], DODownloadState_Transferring, 1, WAIT_LONG, NULL, NULL, NULL),
              nm("paced download %d: Transferring with bytes", i));
    CHECK_HR(IDODownload_Start(d[0], NULL), S_OK, nm("Transferring: Start(NULL): S_OK"));
    CHECK(state_of(d[0]) == DODownloadState_Transferring, nm("Transferring: Start(NULL) is a no-op"));
    CHECK_HR(IDODownload_Finalize(d[0]), DO_E_INVALID_STATE, nm("Transferring: Finalize: DO_E_INVALID_STATE"));
    CHECK_HR(IDODownload_Pause(d[0]), S_OK, nm("Transferring: Pause: S_OK"));
    DO_DOWNLOAD_STATUS s = status_of(d[0]);
    CHECK(s.State == DODownloadState_Paused && s.Error == 0 && s.ExtendedError == 0,
          nm("Pause: Paused (Error 0, ExtendedError 0) when it returns"));
    CHECK_HR(IDODownload_Pause(d[0]), S_OK, nm("Paused: Pause: S_OK"));
    CHECK(state_of(d[0]) == DODownloadState_Paused, nm("Paused: Pause is a no-op"));
    CHECK_HR(IDODownload_Finalize(d[0]), DO_E_INVALID_STATE, nm("Paused: Finalize: DO_E_INVALID_STATE"));
    CHECK_HR(IDODownload_Start(d[0], NULL), S_OK, nm("Paused: Start(NULL): S_OK"));
    s = status_of(d[0]);
    CHECK(s.State == DODownloadState_Transferring || s.State == DODownloadState_Transferred,
          nm("Paused: Start(NULL) resumes (state %d)", (int)s.State));

    /* Abort mid-transfer, and from Paused: nothing left */
    CHECK_HR(IDODownload_Abort(d[1]), S_OK, nm("Transferring: Abort: S_OK"));
    CHECK(state_of(d[1]) == DODownloadState_Aborted, nm("Transferring: Abort -> Aborted"));
    CHECK_HR(IDODownload_Pause(d[2]), S_OK, nm("Pause before Abort"));
    CHECK_HR(IDODownload_Abort(d[2]), S_OK, nm("Paused: Abort: S_OK"));
    CHECK(state_of(d[2]) == DODownloadState_Aborted, nm("Paused: Abort -> Aborted"));
    final_cells(d[1], "Aborted", 0);

    CHECK(wait_for(d[0], DODownloadState_Transferred, P_SIZE, WAIT_LONG, NULL, NULL, NULL), nm("the resumed download: Transferred"));
    CHECK_HR(IDODownload_Abort(d[0]), S_OK, nm("Transferred: Abort: S_OK"));
    CHECK(state_of(d[0]) == DODownloadState_Aborted, nm("Transferred: Abort -> Aborted"));
    CHECK(no_temp_files_in(dir), nm("after the three Aborts (Transferring, Paused, Transferred): no ~opendo-*.tmp left"));
    CHECK(!exists(locals[0]) && !exists(locals[1]) && !exists(locals[2]), nm("after the Aborts: nothing at any LocalPath"));
out:
    for (int i = 0; i < 3; i++)
        release(&d[i]);
}

/* Two downloads to one LocalPath: the second takes it, the first is Aborted; then the path
 * exists and a third gets ERROR_FILE_EXISTS. */
static void states_same_path(IDOManager *m)
{
    section = "states";
    const WCHAR *local = in_dest(L"states\\same.bin");
    IDODownload *first = prepared(m, on_fault(L"rate/1048576/p0.bin"), local), *second = NULL, *third = NULL;
    if (!CHECK(first != NULL, nm("same path: first download")))
        return;
    CHECK_HR(start_whole(first), S_OK, nm("same path: first: Start"));
    CHECK(wait_for(first, DODownloadState_Transferring, 1, WAIT_LONG, NULL, NULL, NULL), nm("same path: first is Transferring"));
    CHECK_HR(IDODownload_Pause(first), S_OK, nm("same path: first: Pause"));
    second = prepared(m, on_nginx(L"g.bin"), local);
    if (CHECK(second != NULL, nm("same path: second download"))) {
        CHECK_HR(start_whole(second), S_OK, nm("same path: second: Start"));
        CHECK(state_of(first) == DODownloadState_Aborted, nm("same path: the first download is Aborted"));
        download_and_check(second, "same path: second", L"g.bin", local, F_SIZE);
    }
    third = new_download(m);
    if (CHECK(third != NULL, nm("existing LocalPath: a third download"))) {
        set_bstr(third, DODownloadProperty_Uri, on_nginx(L"f.bin"));
        set_bstr(third, DODownloadProperty_LocalPath, local);
        CHECK_HR(IDODownload_Start(third, NULL), HR_FILE_EXISTS, nm("existing LocalPath: Start: ERROR_FILE_EXISTS 0x80070050"));
        CHECK(state_of(third) == DODownloadState_Created, nm("existing LocalPath: the download stays Created"));
        CHECK(same_file(L"g.bin", local), nm("existing LocalPath: the file is untouched"));
        IDODownload_Abort(third);
    }
    release(&first);
    release(&second);
    release(&third);
}

/* ---- 4. errors ----------------------------------------------------------------------------------------------- */

static void errors(IDOManager *m)
{
    section = "errors";
    struct {
        const char *what;
        int on_nginx;
        const WCHAR *path, *name;
        HRESULT error;  /* the Paused error wanted, or S_OK: it must complete */
        HRESULT extended_seen;
        IDODownload *d;
    } cases[] = {
        {"HTTP 404", 1, L"missing.bin", L"e404.bin", HR_404, 0, NULL},
        {"HTTP 403", 1, L"forbidden/f.bin", L"e403.bin", HR_403, 0, NULL},
        {"HTTP 500 once, then the file", 0, L"flaky/1/g.bin", L"flaky.bin", S_OK, HR_500, NULL},
        {"connection dropped after 1.5 MB", 0, L"drop/1500000/g.bin", L"drop.bin", S_OK, 0, NULL},
    };
    const int n = sizeof cases / sizeof *cases;
    for (int i = 0; i < n; i++) {
        WCHAR url[PATH_MAX_W];
        wcscpy(url, cases[i].on_nginx ? on_nginx(cases[i].path) : on_fault(cases[i].path));
        cases[i].d = prepared(m, url, in_dest(fmt_w(L"errors\\%ls", cases[i].name)));
        if (CHECK(cases[i].d != NULL, nm("%s: a download", cases[i].what)))
            CHECK_HR(IDODownload_Start(cases[i].d, NULL), S_OK, nm("%s: Start", cases[i].what));
    }
    /* pause and resume a paced download meanwhile: the service goes on with a Range request */
    const WCHAR *paced_local = in_dest(L"errors\\paced.bin");
    IDODownload *paced = prepared(m, on_fault(L"rate/524288/p.bin"), paced_local);
    DO_DOWNLOAD_STATUS s;
    if (CHECK(paced != NULL, nm("paced download (512 KiB/s)"))) {
        CHECK_HR(start_whole(paced), S_OK, nm("paced: Start"));
        CHECK(wait_for(paced, DODownloadState_Transferring, 600000, WAIT_LONG, NULL, NULL, NULL), nm("paced: 600000 bytes arrived"));
        CHECK_HR(IDODownload_Pause(paced), S_OK, nm("paced: Pause"));
        s = status_of(paced);
        Sleep(1500);
        DO_DOWNLOAD_STATUS later = status_of(paced);
        printf("PAUSED_AT %llu\n", (unsigned long long)later.BytesTransferred); /* where it really stopped */
        CHECK(later.State == DODownloadState_Paused && later.BytesTransferred == s.BytesTransferred,
              nm("paced: nothing more arrives while Paused (%llu then %llu bytes)", (unsigned long long)s.BytesTransferred,
                 (unsigned long long)later.BytesTransferred));
        CHECK_HR(IDODownload_Start(paced, NULL), S_OK, nm("paced: Start(NULL) resumes"));
        download_and_check(paced, "paced, paused and resumed", L"p.bin", paced_local, P_SIZE);
    }
    for (int i = 0; i < n; i++) {
        if (!cases[i].d)
            continue;
        HRESULT seen_error = 0, seen_extended = 0;
        if (cases[i].error != S_OK) {
            CHECK(wait_for(cases[i].d, DODownloadState_Paused, 0, WAIT_LONG, &s, NULL, NULL),
                  nm("%s: Paused", cases[i].what));
            CHECK_HR(s.Error, cases[i].error, nm("%s: Error", cases[i].what));
            CHECK_HR(s.ExtendedError, 0, nm("%s: ExtendedError 0", cases[i].what));
            CHECK(get_number(cases[i].d, DODownloadProperty_HttpStatusCode, VT_UI4) == (ULONGLONG)(cases[i].error & 0xFFFF),
                  nm("%s: HttpStatusCode is the server's status", cases[i].what));
            CHECK_HR(IDODownload_Abort(cases[i].d), S_OK, nm("%s: Abort", cases[i].what));
        } else {
            int done = wait_for(cases[i].d, DODownloadState_Transferred, F_SIZE, WAIT_LONG, &s, &seen_error, &seen_extended);
            CHECK(done, nm("%s: Transferred", cases[i].what));
            CHECK_HR(seen_error, 0, nm("%s: Error stayed 0 while the service retried", cases[i].what));
            if (cases[i].extended_seen)
                CHECK_HR(seen_extended, cases[i].extended_seen,
                         nm("%s: while it retried, ExtendedError held the failure", cases[i].what));
            CHECK_HR(IDODownload_Finalize(cases[i].d), S_OK, nm("%s: Finalize", cases[i].what));
            CHECK(same_file(L"g.bin", in_dest(fmt_w(L"errors\\%ls", cases[i].name))),
                  nm("%s: SHA-256 equals the source's", cases[i].what));
        }
        release(&cases[i].d);
    }
    release(&paced);
}

/* ---- 5. callbacks ------------------------------------------------------------------------------------------- */

static callback_t cbs[8];

/* Every state change and progress; the download argument is never NULL. */
static void callbacks_states(IDOManager *m)
{
    callback_t *cb = &cbs[0], *cb_abort = &cbs[1];
    const WCHAR *local = in_dest(L"callbacks\\states.bin");
    IDODownload *d = prepared(m, on_fault(L"rate/1048576/p1.bin"), local);
    IDODownload *a = prepared(m, on_fault(L"rate/1048576/p2.bin"), in_dest(L"callbacks\\aborted.bin"));
    if (!CHECK(d && a, nm("two paced downloads")))
        goto out;
    CHECK_HR(set_callback(d, cb), S_OK, nm("SetProperty(CallbackInterface)"));
    CHECK_HR(set_callback(a, cb_abort), S_OK, nm("SetProperty(CallbackInterface) of a second download"));
    CHECK_HR(start_whole(d), S_OK, nm("Start"));
    CHECK_HR(start_whole(a), S_OK, nm("Start the second"));
    CHECK(wait_for(d, DODownloadState_Transferring, 1500000, WAIT_LONG, NULL, NULL, NULL), nm("1.5 MB arrived"));
    CHECK(cb_wait_state(cb, DODownloadState_Transferring, 10000), nm("OnStatusChange(Transferring)"));
    CHECK_HR(IDODownload_Pause(d), S_OK, nm("Pause"));
    CHECK(cb_wait_state(cb, DODownloadState_Paused, 10000), nm("OnStatusChange(Paused)"));
    CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("Start(NULL)"));
    CHECK(cb_wait_state(cb, DODownloadState_Transferred, WAIT_LONG), nm("OnStatusChange(Transferred)"));
    CHECK_HR(IDODownload_Finalize(d), S_OK, nm("Finalize"));
    CHECK(cb_wait_state(cb, DODownloadState_Finalized, 10000), nm("OnStatusChange(Finalized)"));
    CHECK(same_file(L"p1.bin", local), nm("the file's SHA-256 equals the source's"));
    CHECK(cb->progress >= 2, nm("progress: OnStatusChange(Transferring) with new bytes %ld times (>= 2)", cb->progress));
    CHECK(cb->null_download == 0, nm("the download argument is never NULL"));
    CHECK(cb_wait_state(cb_abort, DODownloadState_Transferring, 10000), nm("second download: OnStatusChange(Transferring)"));
    CHECK_HR(IDODownload_Abort(a), S_OK, nm("second download: Abort"));
    CHECK(cb_wait_state(cb_abort, DODownloadState_Aborted, 10000), nm("second download: OnStatusChange(Aborted)"));
out:
    release(&d);
    release(&a);
}

/* GetStatus, Pause and Finalize from inside OnStatusChange. */
static void callbacks_reentry(IDOManager *m)
{
    callback_t *cb = &cbs[2];
    cb->reenter = REENTER_ALL;
    cb->inner_on_transferred = -1;
    const WCHAR *local = in_dest(L"callbacks\\reentry.bin");
    IDODownload *d = prepared(m, on_fault(L"rate/1048576/p2.bin"), local);
    if (!CHECK(d != NULL, nm("re-entry: a paced download")))
        return;
    CHECK_HR(set_callback(d, cb), S_OK, nm("re-entry: SetProperty(CallbackInterface)"));
    CHECK_HR(start_whole(d), S_OK, nm("re-entry: Start"));
    if (CHECK(WaitForSingleObject(cb->paused, 30000) == WAIT_OBJECT_0, nm("re-entry: the callback called Pause"))) {
        CHECK_HR(cb->pause_hr, S_OK, nm("re-entry: Pause from inside OnStatusChange: S_OK"));
        CHECK(wait_state(d, DODownloadState_Paused, 10000), nm("re-entry: the download is Paused"));
        CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("re-entry: Start(NULL) from the main thread"));
    }
    CHECK(wait_state(d, DODownloadState_Finalized, WAIT_LONG), nm("re-entry: Finalized (by the callback, on Transferred)"));
    CHECK_HR(cb->finalize_hr, S_OK, nm("re-entry: Finalize from inside OnStatusChange: S_OK"));
    CHECK(cb->inner_status_calls > 0 && cb->inner_status_hr == S_OK,
          nm("re-entry: GetStatus through the argument inside every call: S_OK (%ld calls)", cb->inner_status_calls));
    CHECK(cb->inner_on_transferred == DODownloadState_Transferred,
          nm("re-entry: inside the Transferred call, GetStatus says Transferred (%d)", cb->inner_on_transferred));
    CHECK(same_file(L"p2.bin", local), nm("re-entry: the file's SHA-256 equals the source's"));
    release(&d);
}

/* A replaced callback is no longer called; VT_EMPTY clears it. */
static void callbacks_replace(IDOManager *m)
{
    callback_t *old = &cbs[3], *fresh = &cbs[4], *cleared = &cbs[5];
    IDODownload *d = prepared(m, on_fault(L"rate/1048576/p3.bin"), in_dest(L"callbacks\\replaced.bin"));
    IDODownload *e = prepared(m, on_nginx(L"f.bin"), in_dest(L"callbacks\\cleared.bin"));
    if (!CHECK(d && e, nm("replace: two downloads")))
        goto out;
    CHECK_HR(set_callback(d, old), S_OK, nm("replace: the first callback"));
    CHECK_HR(start_whole(d), S_OK, nm("replace: Start"));
    CHECK(cb_wait_state(old, DODownloadState_Transferring, 30000), nm("replace: the first callback is called"));
    CHECK_HR(set_callback(d, fresh), S_OK, nm("replace: SetProperty(CallbackInterface) with another callback"));
    CHECK(cb_wait_state(fresh, DODownloadState_Transferring, 30000), nm("replace: the new callback is called"));
    LONG old_calls = cb_count(old, -1);
    CHECK(cb_wait_state(fresh, DODownloadState_Transferred, WAIT_LONG), nm("replace: the new callback sees Transferred"));
    CHECK(cb_count(old, -1) == old_calls && cb_count(old, DODownloadState_Transferred) == 0,
          nm("replace: the replaced callback got no call after the new one's first (%ld, then %ld)", old_calls,
             cb_count(old, -1)));
    VARIANT v;
    HRESULT hr = get_prop(d, DODownloadProperty_CallbackInterface, &v);
    CHECK(hr == S_OK && V_VT(&v) == VT_UNKNOWN && V_UNKNOWN(&v) == (IUnknown *)&fresh->iface,
          nm("replace: GetProperty(CallbackInterface) is the new callback"));
    VariantClear(&v);
    IDODownload_Abort(d);

    CHECK_HR(set_callback(e, cleared), S_OK, nm("VT_EMPTY: a callback"));
    CHECK_HR(set_callback(e, NULL), S_OK, nm("VT_EMPTY: SetProperty(CallbackInterface, VT_EMPTY)"));
    CHECK_HR(get_prop(e, DODownloadProperty_CallbackInterface, &v), E_NOT_SET_HR, nm("VT_EMPTY: GetProperty: E_NOT_SET"));
    CHECK_HR(start_whole(e), S_OK, nm("VT_EMPTY: Start"));
    CHECK(wait_state(e, DODownloadState_Transferred, WAIT_LONG), nm("VT_EMPTY: Transferred"));
    CHECK_HR(IDODownload_Finalize(e), S_OK, nm("VT_EMPTY: Finalize"));
    Sleep(1000); /* room for a wrong late call */
    /* A call for the SetProperty event itself (state Created) may be in flight while the
     * callback is cleared; nothing from Start on may reach it. */
    LONG after_start = 0;
    for (int st = DODownloadState_Transferring; st <= DODownloadState_Paused; st++)
        after_start += cb_count(cleared, st);
    CHECK(after_start == 0, nm("VT_EMPTY: the cleared callback got no call from Start on (%ld calls in all, %ld after Start)",
                               cb_count(cleared, -1), after_start));
out:
    release(&d);
    release(&e);
}

/* A callback of A that blocks does not hold up B; CallbackFreqSeconds 5 calls less than 1. */
static void callbacks_blocked_and_frequency(IDOManager *m)
{
    callback_t *slow = &cbs[6], *quick = &cbs[7], *every1 = &cbs[0], *every5 = &cbs[1];
    cb_init(every1);
    cb_init(every5);
    slow->block_ms = 8000;
    IDODownload *a = prepared(m, on_fault(L"rate/524288/p.bin"), in_dest(L"callbacks\\blocked-a.bin"));
    IDODownload *b = prepared(m, on_nginx(L"f.bin"), in_dest(L"callbacks\\blocked-b.bin"));
    IDODownload *f1 = prepared(m, on_fault(L"rate/1048576/p1.bin"), in_dest(L"callbacks\\freq1.bin"));
    IDODownload *f5 = prepared(m, on_fault(L"rate/1048576/p3.bin"), in_dest(L"callbacks\\freq5.bin"));
    if (!CHECK(a && b && f1 && f5, nm("blocked, frequency: four downloads")))
        goto out;
    set_callback(a, slow);
    set_callback(b, quick);
    set_callback(f1, every1);
    set_callback(f5, every5);
    CHECK_HR(set_number(f5, DODownloadProperty_CallbackFreqSeconds, VT_UI4, 5), S_OK, nm("frequency: CallbackFreqSeconds 5"));
    start_whole(f1);
    start_whole(f5);
    CHECK_HR(start_whole(a), S_OK, nm("blocked: Start A"));
    CHECK(WaitForSingleObject(slow->entered, 30000) == WAIT_OBJECT_0, nm("blocked: A's callback is called (and sleeps 8 s)"));
    CHECK_HR(start_whole(b), S_OK, nm("blocked: Start B"));
    int b_done = cb_wait_state(quick, DODownloadState_Transferred, 30000);
    LONG a_blocked = slow->in_call;
    CHECK(b_done, nm("blocked: B's callback sees Transferred"));
    CHECK(a_blocked == 1, nm("blocked: ... while A's callback was still blocked inside its first call"));
    CHECK(state_of(b) == DODownloadState_Transferred, nm("blocked: B is Transferred"));
    CHECK(wait_state(a, DODownloadState_Transferred, WAIT_LONG), nm("blocked: A completes once its callback returns"));
    CHECK(cb_wait_state(slow, DODownloadState_Transferred, 30000), nm("blocked: A's callback then sees Transferred"));
    CHECK(wait_state(f1, DODownloadState_Transferred, WAIT_LONG) && wait_state(f5, DODownloadState_Transferred, WAIT_LONG),
          nm("frequency: both downloads Transferred"));
    LONG n1 = cb_count(every1, DODownloadState_Transferring), n5 = cb_count(every5, DODownloadState_Transferring);
    CHECK(n5 < n1, nm("frequency: fewer Transferring calls every 5 s (%ld) than every 1 s (%ld)", n5, n1));
    IDODownload *all[] = {a, b, f1, f5};
    for (int i = 0; i < 4; i++)
        IDODownload_Abort(all[i]);
out:
    release(&a);
    release(&b);
    release(&f1);
    release(&f5);
}

/* ---- 6. BlockingMode ----------------------------------------------------------------------------------------- */

static void blocking(IDOManager *m)
{
    section = "blocking";
    const WCHAR *local = in_dest(L"blocking\\f.bin");
    IDODownload *d = prepared(m, on_nginx(L"f.bin"), local), *e = prepared(m, on_nginx(L"missing.bin"), in_dest(L"blocking\\404.bin"));
    if (!CHECK(d && e, nm("two downloads")))
        goto out;
    CHECK_HR(set_number(d, DODownloadProperty_BlockingMode, VT_BOOL, 1), S_OK, nm("BlockingMode TRUE"));
    CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("Start returns S_OK"));
    DO_DOWNLOAD_STATUS s = status_of(d);
    CHECK(s.State == DODownloadState_Transferred && s.BytesTransferred == F_SIZE && s.BytesTotal == F_SIZE,
          nm("right after Start returned: Transferred, 2 MiB of 2 MiB"));
    CHECK_HR(IDODownload_Finalize(d), S_OK, nm("Finalize"));
    CHECK(same_file(L"f.bin", local), nm("SHA-256 equals the source's"));
    CHECK_HR(set_number(e, DODownloadProperty_BlockingMode, VT_BOOL, 1), S_OK, nm("404: BlockingMode TRUE"));
    CHECK_HR(IDODownload_Start(e, NULL), HR_404, nm("404: Start returns 0x80190194"));
    s = status_of(e);
    CHECK(s.State == DODownloadState_Paused && s.Error == HR_404, nm("404: right after Start returned: Paused, Error 0x80190194"));
    IDODownload_Abort(e);
out:
    release(&d);
    release(&e);
}

/* ---- 9. concurrency ------------------------------------------------------------------------------------------ */

static void concurrency(IDOManager *m)
{
    section = "concurrency";
    IDODownload *d[4] = {0};
    WCHAR names[4][8], locals[4][PATH_MAX_W];
    for (int i = 0; i < 4; i++) {
        swprintf(names[i], 8, L"c%d.bin", i + 1);
        wcscpy(locals[i], in_dest(fmt_w(L"concurrency\\%ls", names[i])));
        d[i] = prepared(m, on_nginx(names[i]), locals[i]);
        if (!CHECK(d[i] != NULL, nm("download %d", i + 1)))
            goto out;
        CHECK_HR(set_number(d[i], DODownloadProperty_ForegroundPriority, VT_BOOL, i % 2), S_OK,
                 nm("download %d: ForegroundPriority %s", i + 1, i % 2 ? "TRUE" : "FALSE"));
    }
    for (int i = 0; i < 4; i++)
        CHECK_HR(start_whole(d[i]), S_OK, nm("download %d: Start", i + 1));
    for (int i = 0; i < 4; i++)
        download_and_check(d[i], i % 2 ? "foreground download" : "background download", names[i], locals[i], 8 * MiB);
out:
    for (int i = 0; i < 4; i++)
        release(&d[i]);
}

/* ---- 8. NonVolatile across restarts ----------------------------------------------------------------------- */

static const WCHAR *const persist_name = L"opendo nonvolatile";

/* The LocalPath of the NonVolatile (or volatile) download of pair tag. */
static const WCHAR *persist_path(const WCHAR *tag, int non_volatile)
{
    return in_dest(fmt_w(L"persist\\%ls-%ls.bin", non_volatile ? L"nv" : L"vol", tag));
}

static IDODownload *persist_download(IDOManager *m, const WCHAR *tag, int non_volatile)
{
    IDODownload *d = prepared(m, on_nginx(L"f.bin"), persist_path(tag, non_volatile));
    if (!d)
        return NULL;
    HRESULT hr = set_bstr(d, DODownloadProperty_DisplayName, persist_name);
    if (SUCCEEDED(hr))
        hr = set_number(d, DODownloadProperty_CostPolicy, VT_UI4, 4);
    if (SUCCEEDED(hr))
        hr = set_number(d, DODownloadProperty_ForegroundPriority, VT_BOOL, 1);
    if (SUCCEEDED(hr) && non_volatile)
        hr = set_number(d, DODownloadProperty_NonVolatile, VT_BOOL, 1);
    CHECK_HR(hr, S_OK, nm("%s download: its properties are set", non_volatile ? "a NonVolatile" : "a volatile"));
    return d;
}

static void persist_make(IDOManager *m, const WCHAR *tag)
{
    section = "persistence";
    IDODownload *nv = persist_download(m, tag, 1), *vol = persist_download(m, tag, 0);
    WCHAR id[40];
    if (nv)
        printf("NV %ls\n", id_of(nv, id));
    if (vol)
        printf("VOL %ls\n", id_of(vol, id));
    release(&nv);
    release(&vol);
}

/* The NonVolatile download by its Id, with every property it was given. */
static IDODownload *persist_find(IDOManager *m, const WCHAR *nv_id)
{
    DO_DOWNLOAD_ENUM_CATEGORY c = {DODownloadProperty_Id, nv_id};
    IDODownload *d = NULL;
    int count, found;
    HRESULT hr = enum_count(m, &c, nv_id, &count, &found, &d);
    CHECK(hr == S_OK && found == 1 && d, nm("EnumDownloads(Id) finds the NonVolatile download (0x%08lx)", (unsigned long)hr));
    return d;
}

static void persist_check(IDOManager *m, const WCHAR *nv_id, const WCHAR *vol_id, const WCHAR *tag)
{
    section = "persistence";
    IDODownload *d = persist_find(m, nv_id);
    if (d) {
        CHECK(state_of(d) == DODownloadState_Created, nm("the NonVolatile download is still Created"));
        CHECK(text_is(d, DODownloadProperty_Uri, on_nginx(L"f.bin")) &&
                  text_is(d, DODownloadProperty_LocalPath, persist_path(tag, 1)) &&
                  text_is(d, DODownloadProperty_DisplayName, persist_name),
              nm("its Uri, LocalPath and DisplayName are kept"));
        CHECK(get_number(d, DODownloadProperty_NonVolatile, VT_BOOL) == 1 &&
                  get_number(d, DODownloadProperty_ForegroundPriority, VT_BOOL) == 1 &&
                  get_number(d, DODownloadProperty_CostPolicy, VT_UI4) == 4,
              nm("its NonVolatile, ForegroundPriority and CostPolicy are kept"));
    }
    DO_DOWNLOAD_ENUM_CATEGORY c = {DODownloadProperty_Id, vol_id};
    int count, found;
    CHECK_HR(enum_count(m, &c, vol_id, &count, &found, NULL), DO_E_NO_DOWNLOADS,
             nm("the volatile download is gone: EnumDownloads(Id) is DO_E_NO_DOWNLOADS"));
    HRESULT hr = enum_count(m, NULL, vol_id, &count, &found, NULL);
    CHECK((hr == S_OK || hr == DO_E_NO_DOWNLOADS) && found == 0, nm("EnumDownloads(NULL) does not list the volatile download"));
    release(&d);
}

static void persist_finish(IDOManager *m, const WCHAR *nv_id, const WCHAR *tag)
{
    section = "persistence";
    IDODownload *d = persist_find(m, nv_id);
    if (!d)
        return;
    CHECK_HR(IDODownload_Start(d, NULL), S_OK, nm("Start of the survivor (through the enumerated object)"));
    download_and_check(d, "the survivor", L"f.bin", persist_path(tag, 1), F_SIZE);
    release(&d);
}

/* ---- main ---------------------------------------------------------------------------------------------------- */

int wmain(int argc, WCHAR **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: downloads_client CMD NGINX FAULT WWW DEST [ARGS...]\n");
        return 2;
    }
    const WCHAR *cmd = argv[1];
    nginx = argv[2], fault = argv[3], www = argv[4], dest = argv[5];
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 1;
    cb_init(&prop_cb);
    for (int i = 0; i < 8; i++)
        cb_init(&cbs[i]);
    section = "activation";
    IDOManager *m = manager_create();
    if (!CHECK(m != NULL, nm("CoCreateInstance(DeliveryOptimization, LOCAL_SERVER, IID_IDOManager)"))) {
        CoUninitialize();
        return 1;
    }
    if (!wcscmp(cmd, L"api")) {
        IDODownload *d = new_download(m);
        if (CHECK(d != NULL, nm("CreateDownload")))
            activation(m, d);
        if (d)
            IDODownload_Abort(d);
        release(&d);
        property_rules(m);
        property_round_trips(m);
        http_properties(m);
        enumeration(m);
        bad_input(m);
    } else if (!wcscmp(cmd, L"states")) {
        states_whole(m);
        states_ranges(m);
        states_transferring(m);
        states_same_path(m);
    } else if (!wcscmp(cmd, L"errors")) {
        errors(m);
    } else if (!wcscmp(cmd, L"callbacks")) {
        section = "callbacks";
        callbacks_states(m);
        callbacks_reentry(m);
        callbacks_replace(m);
        callbacks_blocked_and_frequency(m);
    } else if (!wcscmp(cmd, L"blocking")) {
        blocking(m);
    } else if (!wcscmp(cmd, L"concurrency")) {
        concurrency(m);
    } else if (!wcscmp(cmd, L"persist-make") && argc >= 7) {
        persist_make(m, argv[6]);
    } else if (!wcscmp(cmd, L"persist-check") && argc >= 9) {
        persist_check(m, argv[6], argv[7], argv[8]);
    } else if (!wcscmp(cmd, L"persist-finish") && argc >= 8) {
        persist_finish(m, argv[6], argv[7]);
    } else {
        fprintf(stderr, "downloads_client: unknown command %ls\n", cmd);
        IDOManager_Release(m);
        CoUninitialize();
        return 2;
    }
    IDOManager_Release(m);
    CoUninitialize();
    return CHECK_EXIT_CODE();
}
