/* The client of tests/e2e/streams.sh: stream downloads (StreamInterface) through IDOManager,
 * with an IStream of its own that keeps what Write gives it and fails the test if any other of
 * its methods is called (DO writes only).
 *
 *   streams_client write URL EXPECTED    ranges {0,100}+{200,1000}, {0,DO_LENGTH_TO_EOF} and NULL:
 *                                        the bytes written are EXPECTED's, in order
 *   streams_client failing URL           a Write that fails stops the download: Paused, its error
 *   streams_client sinks URL             StreamInterface with LocalPath, NonVolatile, a non-stream
 *   streams_client child URL             prints "DOWNLOAD <id>" and dies in its first Write
 *   streams_client after-death ID        the dead client's download is gone (aborted)
 *   streams_client callback-child URL    a download to PATH with an IDODownloadStatusCallback:
 *                PATH                    prints "DOWNLOAD <id>" and dies in its first OnStatusChange
 *   streams_client after-callback-death ID   that download goes on to Transferred without it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define WAIT_MS 30000

/* ---- the client's IStream ------------------------------------------------------------------ */

typedef struct recorder {
    IStream iface;
    LONG refs;
    CRITICAL_SECTION lock;
    BYTE *data;
    size_t size, cap;
    ULONG writes, others;  /* Write calls, calls of any other method */
    size_t fail_after;     /* > 0: Write fails with STG_E_MEDIUMFULL once this much arrived */
    int die;               /* the first Write ends the process (a client that dies mid-stream) */
    const char *id_text;   /* printed before dying */
} recorder_t;

static recorder_t *rec(IStream *iface)
{
    return (recorder_t *)iface;
}

static HRESULT STDMETHODCALLTYPE rec_query_interface(IStream *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) || IsEqualIID(riid, &IID_IStream)) {
        *out = iface;
        InterlockedIncrement(&rec(iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE rec_add_ref(IStream *iface)
{
    return (ULONG)InterlockedIncrement(&rec(iface)->refs);
}

static ULONG STDMETHODCALLTYPE rec_release(IStream *iface)
{
    return (ULONG)InterlockedDecrement(&rec(iface)->refs); /* static lifetime: freed by its test */
}

static HRESULT STDMETHODCALLTYPE rec_write(IStream *iface, const void *data, ULONG size, ULONG *written)
{
    recorder_t *r = rec(iface);
    if (r->die) {
        printf("DOWNLOAD %s\n", r->id_text);
        fflush(stdout);
        ExitProcess(0); /* no Release, no Abort: the service finds out by itself */
    }
    EnterCriticalSection(&r->lock);
    HRESULT hr = S_OK;
    r->writes++;
    if (r->fail_after && r->size + size > r->fail_after) {
        hr = STG_E_MEDIUMFULL;
    } else {
        if (r->size + size > r->cap) {
            size_t cap = (r->size + size) * 2;
            BYTE *grown = realloc(r->data, cap);
            if (grown)
                r->data = grown, r->cap = cap;
        }
        if (r->size + size <= r->cap) {
            memcpy(r->data + r->size, data, size);
            r->size += size;
        } else {
            hr = E_OUTOFMEMORY;
        }
    }
    LeaveCriticalSection(&r->lock);
    if (written)
        *written = SUCCEEDED(hr) ? size : 0;
    return hr;
}

/* Every other method: DO must not call it. */
static HRESULT other(IStream *iface)
{
    InterlockedIncrement((LONG *)&rec(iface)->others);
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE rec_read(IStream *i, void *d, ULONG s, ULONG *r) { (void)d, (void)s, (void)r; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_seek(IStream *i, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p) { (void)m, (void)o, (void)p; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_set_size(IStream *i, ULARGE_INTEGER s) { (void)s; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_copy_to(IStream *i, IStream *t, ULARGE_INTEGER c, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { (void)t, (void)c, (void)r, (void)w; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_commit(IStream *i, DWORD f) { (void)f; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_revert(IStream *i) { return other(i); }
static HRESULT STDMETHODCALLTYPE rec_lock(IStream *i, ULARGE_INTEGER o, ULARGE_INTEGER c, DWORD t) { (void)o, (void)c, (void)t; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_stat(IStream *i, STATSTG *s, DWORD f) { (void)s, (void)f; return other(i); }
static HRESULT STDMETHODCALLTYPE rec_clone(IStream *i, IStream **c) { (void)c; return other(i); }

static IStreamVtbl rec_vtbl = {rec_query_interface, rec_add_ref, rec_release, rec_read, rec_write, rec_seek,
                               rec_set_size, rec_copy_to, rec_commit, rec_revert, rec_lock, rec_lock, rec_stat,
                               rec_clone};

static recorder_t *recorder_new(void)
{
    recorder_t *r = calloc(1, sizeof *r);
    if (r) {
        r->iface.lpVtbl = &rec_vtbl;
        r->refs = 1;
        InitializeCriticalSection(&r->lock);
    }
    return r;
}

static void recorder_free(recorder_t *r)
{
    DeleteCriticalSection(&r->lock);
    free(r->data);
    free(r);
}

/* ---- a callback that ends its process in its first call ------------------------------------ */

static const char *dying_id;

static HRESULT STDMETHODCALLTYPE dying_query_interface(IDODownloadStatusCallback *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDODownloadStatusCallback) ? iface : NULL;
    return *out ? S_OK : E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE dying_add_ref(IDODownloadStatusCallback *iface) { (void)iface; return 2; }
static ULONG STDMETHODCALLTYPE dying_release(IDODownloadStatusCallback *iface) { (void)iface; return 1; }

static HRESULT STDMETHODCALLTYPE dying_on_status_change(IDODownloadStatusCallback *iface, IDODownload *download,
                                                        const DO_DOWNLOAD_STATUS *status)
{
    (void)iface, (void)download, (void)status;
    printf("DOWNLOAD %s\n", dying_id);
    fflush(stdout);
    ExitProcess(0); /* no Release, no Abort: the service finds out by itself */
}

static IDODownloadStatusCallbackVtbl dying_vtbl = {dying_query_interface, dying_add_ref, dying_release,
                                                   dying_on_status_change};
static IDODownloadStatusCallback dying_callback = {&dying_vtbl};

/* ---- helpers -------------------------------------------------------------------------------- */

static IDOManager *manager;

static HRESULT set_variant(IDODownload *d, DODownloadProperty p, VARTYPE vt, const void *value)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = vt;
    if (vt == VT_BSTR)
        V_BSTR(&v) = SysAllocString(value);
    else if (vt == VT_UNKNOWN)
        V_UNKNOWN(&v) = (IUnknown *)value;
    else if (vt == VT_BOOL)
        V_BOOL(&v) = *(const VARIANT_BOOL *)value;
    HRESULT hr = IDODownload_SetProperty(d, p, &v);
    if (vt == VT_BSTR)
        VariantClear(&v);
    return hr;
}

/* A download of url whose sink is stream r (NULL: none). */
static IDODownload *new_download(const wchar_t *url, recorder_t *r)
{
    IDODownload *d = NULL;
    HRESULT hr = IDOManager_CreateDownload(manager, &d);
    if (SUCCEEDED(hr))
        hr = set_variant(d, DODownloadProperty_Uri, VT_BSTR, url);
    if (SUCCEEDED(hr) && r)
        hr = set_variant(d, DODownloadProperty_StreamInterface, VT_UNKNOWN, &r->iface);
    if (!CHECK(SUCCEEDED(hr), "streams: CreateDownload, Uri and StreamInterface")) {
        printf("#   0x%08lx\n", (unsigned long)hr);
        if (d)
            IDODownload_Release(d);
        return NULL;
    }
    return d;
}

static int wait_state(IDODownload *d, DODownloadState state, DO_DOWNLOAD_STATUS *s)
{
    for (int t = 0; t < WAIT_MS; t += 50) {
        if (SUCCEEDED(IDODownload_GetStatus(d, s)) && s->State == state)
            return 1;
        Sleep(50);
    }
    printf("#   state %d (error 0x%08lx), wanted %d\n", s->State, (unsigned long)s->Error, state);
    return 0;
}

/* The Id property of d as UTF-8, in a static buffer (the dying clients print it). */
static const char *id_of(IDODownload *d)
{
    static char text[64];
    VARIANT id;
    VariantInit(&id);
    text[0] = '\0';
    if (SUCCEEDED(IDODownload_GetProperty(d, DODownloadProperty_Id, &id)))
        WideCharToMultiByte(CP_UTF8, 0, V_BSTR(&id), -1, text, sizeof text, NULL, NULL);
    VariantClear(&id);
    return text;
}

static BYTE *read_file(const wchar_t *path, size_t *size)
{
    FILE *f = _wfopen(path, L"rb");
    BYTE *data = NULL;
    *size = 0;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long length = ftell(f);
        rewind(f);
        if (length > 0 && (data = malloc((size_t)length)) && fread(data, 1, (size_t)length, f) == (size_t)length)
            *size = (size_t)length;
    }
    if (f)
        fclose(f);
    return data;
}

/* ---- the commands -------------------------------------------------------------------------- */

/* One stream download with ranges (NULL: none given); what the stream got must be want. */
static void one_stream(const wchar_t *url, const char *name, const DO_DOWNLOAD_RANGES_INFO *ranges,
                       const BYTE *want, size_t want_size)
{
    char label[200];
    recorder_t *r = recorder_new();
    IDODownload *d = r ? new_download(url, r) : NULL;
    if (!d)
        return;
    DO_DOWNLOAD_STATUS s = {0};
    snprintf(label, sizeof label, "streams: %s: Start", name);
    CHECK_HR(IDODownload_Start(d, ranges), S_OK, label);
    snprintf(label, sizeof label, "streams: %s: Transferred", name);
    int done = CHECK(wait_state(d, DODownloadState_Transferred, &s), label);
    EnterCriticalSection(&r->lock);
    size_t got = r->size;
    int same = got == want_size && memcmp(r->data, want, want_size) == 0;
    LeaveCriticalSection(&r->lock);
    snprintf(label, sizeof label,
             "streams: %s: when it says Transferred the client has every byte (%zu), BytesTransferred says so", name,
             want_size);
    CHECK(done && got == want_size && s.BytesTransferred == want_size && s.BytesTotal == want_size, label);
    if (got != want_size)
        printf("#   the stream has %zu bytes, status %llu / %llu\n", got, (unsigned long long)s.BytesTransferred,
               (unsigned long long)s.BytesTotal);
    snprintf(label, sizeof label, "streams: %s: the bytes are the file's, in order, through Write only (%lu calls)",
             name, r->writes);
    CHECK(same && r->others == 0, label);
    snprintf(label, sizeof label, "streams: %s: Finalize", name);
    CHECK_HR(IDODownload_Finalize(d), S_OK, label);
    IDODownload_Release(d);
    recorder_free(r);
}

static int cmd_write(const wchar_t *url, const wchar_t *expected)
{
    size_t size;
    BYTE *file = read_file(expected, &size);
    if (!CHECK(file && size > 1300, "streams: the expected file is readable"))
        return 1;
    struct { UINT count; UINT pad; DO_DOWNLOAD_RANGE ranges[2]; } two = {2, 0, {{200, 1000}, {0, 100}}};
    BYTE *pieces = malloc(1100);
    memcpy(pieces, file, 100);
    memcpy(pieces + 100, file + 200, 1000);
    one_stream(url, "ranges {0,100} and {200,1000}", (const DO_DOWNLOAD_RANGES_INFO *)&two, pieces, 1100);
    struct { UINT count; UINT pad; DO_DOWNLOAD_RANGE ranges[1]; } whole = {1, 0, {{0, DO_LENGTH_TO_EOF}}};
    one_stream(url, "{0, DO_LENGTH_TO_EOF}", (const DO_DOWNLOAD_RANGES_INFO *)&whole, file, size);
    one_stream(url, "no ranges (NULL)", NULL, file, size);
    free(pieces);
    free(file);
    return 0;
}

static int cmd_failing(const wchar_t *url)
{
    recorder_t *r = recorder_new();
    IDODownload *d = r ? new_download(url, r) : NULL;
    if (!d)
        return 1;
    r->fail_after = 1000;
    DO_DOWNLOAD_STATUS s = {0};
    IDODownload_Start(d, NULL);
    CHECK(wait_state(d, DODownloadState_Paused, &s) && s.Error == STG_E_MEDIUMFULL,
          "streams: a Write that fails stops the download: Paused, Error its failure (STG_E_MEDIUMFULL)");
    CHECK_HR(IDODownload_Abort(d), S_OK, "streams: Abort of the failed stream download");
    IDODownload_Release(d);
    recorder_free(r);
    return 0;
}

static int cmd_sinks(const wchar_t *url)
{
    recorder_t *r = recorder_new();
    IDODownload *d = r ? new_download(url, r) : NULL;
    if (!d)
        return 1;
    VARIANT_BOOL yes = VARIANT_TRUE;
    CHECK_HR(set_variant(d, DODownloadProperty_LocalPath, VT_BSTR, L"C:\\opendo-tests\\streams\\x.bin"),
             DO_E_FILE_DOWNLOADSINK_ALREADY_SET, "streams: LocalPath after StreamInterface: DO_E_FILE_DOWNLOADSINK_ALREADY_SET");
    CHECK_HR(set_variant(d, DODownloadProperty_NonVolatile, VT_BOOL, &yes), E_INVALIDARG,
             "streams: NonVolatile with a stream: E_INVALIDARG (a stream dies with its client)");
    VARIANT got;
    VariantInit(&got);
    CHECK(IDODownload_GetProperty(d, DODownloadProperty_StreamInterface, &got) == S_OK && V_VT(&got) == VT_UNKNOWN &&
              V_UNKNOWN(&got) != NULL,
          "streams: GetProperty(StreamInterface) gives the stream back");
    VariantClear(&got);
    IDODownload_Abort(d);
    IDODownload_Release(d);
    IDODownload *plain = new_download(url, NULL);
    if (plain) {
        CHECK_HR(set_variant(plain, DODownloadProperty_StreamInterface, VT_UNKNOWN, (IUnknown *)manager), E_NOINTERFACE,
                 "streams: an object that is no IStream: E_NOINTERFACE");
        IDODownload_Abort(plain);
        IDODownload_Release(plain);
    }
    recorder_free(r);
    return 0;
}

static int cmd_child(const wchar_t *url)
{
    recorder_t *r = recorder_new();
    IDODownload *d = r ? new_download(url, r) : NULL;
    if (!d)
        return 1;
    r->id_text = id_of(d);
    r->die = 1;
    IDODownload_Start(d, NULL);
    Sleep(WAIT_MS); /* the first Write ends the process */
    printf("not ok - streams: the child got a Write within %d s\n", WAIT_MS / 1000);
    return 1;
}

static int cmd_callback_child(const wchar_t *url, const wchar_t *path)
{
    IDODownload *d = new_download(url, NULL);
    if (!d || FAILED(set_variant(d, DODownloadProperty_LocalPath, VT_BSTR, path)))
        return 1;
    dying_id = id_of(d);
    HRESULT hr = set_variant(d, DODownloadProperty_CallbackInterface, VT_UNKNOWN, &dying_callback);
    if (SUCCEEDED(hr))
        hr = IDODownload_Start(d, NULL);
    Sleep(WAIT_MS); /* the first OnStatusChange ends the process */
    printf("not ok - streams: the callback child got a call within %d s (0x%08lx)\n", WAIT_MS / 1000, (unsigned long)hr);
    return 1;
}

/* The download of a client that died in its callback: found by its Id, it goes on alone. */
static int cmd_after_callback_death(const wchar_t *id)
{
    DO_DOWNLOAD_ENUM_CATEGORY by_id = {DODownloadProperty_Id, id};
    IEnumUnknown *found = NULL;
    IUnknown *item = NULL;
    IDODownload *d = NULL;
    HRESULT hr = IDOManager_EnumDownloads(manager, &by_id, &found);
    if (SUCCEEDED(hr) && IEnumUnknown_Next(found, 1, &item, NULL) == S_OK)
        hr = IUnknown_QueryInterface(item, &IID_IDODownload, (void **)&d);
    if (CHECK(d != NULL, "streams: the download of a client that died in OnStatusChange is still there")) {
        DO_DOWNLOAD_STATUS s = {0};
        CHECK(wait_state(d, DODownloadState_Transferred, &s),
              "streams: ... and goes on to Transferred without its client");
        CHECK_HR(IDODownload_Abort(d), S_OK, "streams: ... and can be aborted by another client of its owner");
        IDODownload_Release(d);
    }
    if (item)
        IUnknown_Release(item);
    if (found)
        IEnumUnknown_Release(found);
    return 0;
}

static int cmd_after_death(const wchar_t *id)
{
    DO_DOWNLOAD_ENUM_CATEGORY by_id = {DODownloadProperty_Id, id};
    HRESULT hr = S_OK;
    for (int t = 0; t < WAIT_MS && hr != DO_E_NO_DOWNLOADS; t += 100) {
        IEnumUnknown *found = NULL;
        hr = IDOManager_EnumDownloads(manager, &by_id, &found);
        if (found)
            IEnumUnknown_Release(found);
        if (hr != DO_E_NO_DOWNLOADS)
            Sleep(100);
    }
    CHECK_HR(hr, DO_E_NO_DOWNLOADS, "streams: the download of a client that died mid-stream is aborted (no longer listed)");
    return 0;
}

int wmain(int argc, wchar_t **argv)
{
    if (argc < 3 || FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER, &IID_IDOManager,
                                  (void **)&manager);
    if (!CHECK(SUCCEEDED(hr), "streams: CoCreateInstance(IDOManager)"))
        return 1;
    int status = 2;
    if (!wcscmp(argv[1], L"write") && argc == 4)
        status = cmd_write(argv[2], argv[3]);
    else if (!wcscmp(argv[1], L"failing"))
        status = cmd_failing(argv[2]);
    else if (!wcscmp(argv[1], L"sinks"))
        status = cmd_sinks(argv[2]);
    else if (!wcscmp(argv[1], L"child"))
        status = cmd_child(argv[2]);
    else if (!wcscmp(argv[1], L"after-death"))
        status = cmd_after_death(argv[2]);
    else if (!wcscmp(argv[1], L"callback-child") && argc == 4)
        status = cmd_callback_child(argv[2], argv[3]);
    else if (!wcscmp(argv[1], L"after-callback-death"))
        status = cmd_after_callback_death(argv[2]);
    IDOManager_Release(manager);
    CoUninitialize();
    return status ? status : CHECK_EXIT_CODE();
}
