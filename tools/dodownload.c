/* dodownload: downloads one file through IDOManager the way winget's DODownloader does
 * (idomanager.md §6.1): CreateDownload, the proxy blanket, Uri / LocalPath / DisplayName /
 * ForegroundPriority properties, an IDODownloadStatusCallback that wakes the waiting thread,
 * Start(NULL), a wait that gives up when nothing arrives for a while, then HttpResponseHeaders
 * and Finalize, or Abort on failure.
 *
 *   dodownload [/foreground] [/nonvolatile] [/name TEXT] [/timeout SECONDS] [/keep] [/stream]
 *              [/securityflags FLAGS] URL PATH
 *
 * /keep leaves the download Transferred (no Finalize) and prints its id; /timeout is winget's
 * "no progress" wait (1 to 86400 s, default 60) before the first byte; /stream receives the bytes
 * through an IStream of this process (StreamInterface, as the DO SDK's streams) and writes them to
 * PATH itself; /securityflags sets SecurityFlags, WinHTTP's SECURITY_FLAG_IGNORE_* flags (0x100
 * unknown CA, 0x200 wrong usage, 0x1000 wrong host name, 0x2000 expired; hex with 0x, or decimal):
 * the certificate errors the download lets pass, unless the administrator's policy forbids it.
 * Exit status: 0 downloaded, 1 failed, 2 usage: an unknown option (any word before
 * URL that starts with '/' or '-'), an option without its value, a malformed /timeout, a missing
 * or extra argument; then nothing is created. Progress lines go to stdout; the failure, in words,
 * to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>
#include <wctype.h>
#include <windows.h>

#include "deliveryoptimization.h"
#include "doerrors.h"

typedef struct options {
    int foreground, non_volatile, keep, stream;
    const wchar_t *name, *url, *path;
    DWORD timeout_s, security_flags;
} options_t;

/* ---- the callback: remembers the last status and wakes the waiting thread --------------------- */

typedef struct callback {
    IDODownloadStatusCallback iface;
    LONG refs;
    CRITICAL_SECTION lock;
    DO_DOWNLOAD_STATUS last;
    HANDLE changed;
} callback_t;

static callback_t *impl(IDODownloadStatusCallback *iface)
{
    return (callback_t *)iface;
}

static HRESULT STDMETHODCALLTYPE cb_query_interface(IDODownloadStatusCallback *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IDODownloadStatusCallback)) {
        *out = iface;
        InterlockedIncrement(&impl(iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cb_add_ref(IDODownloadStatusCallback *iface)
{
    return (ULONG)InterlockedIncrement(&impl(iface)->refs);
}

static ULONG STDMETHODCALLTYPE cb_release(IDODownloadStatusCallback *iface)
{
    return (ULONG)InterlockedDecrement(&impl(iface)->refs); /* lives on main's stack */
}

static HRESULT STDMETHODCALLTYPE cb_on_status_change(IDODownloadStatusCallback *iface, IDODownload *download,
                                                     const DO_DOWNLOAD_STATUS *status)
{
    (void)download;
    callback_t *self = impl(iface);
    EnterCriticalSection(&self->lock);
    self->last = *status;
    LeaveCriticalSection(&self->lock);
    SetEvent(self->changed);
    return S_OK;
}

static IDODownloadStatusCallbackVtbl cb_vtbl = {cb_query_interface, cb_add_ref, cb_release, cb_on_status_change};

/* ---- /stream: an IStream whose Write appends to a file (all DO calls; the rest E_NOTIMPL) ---- */

typedef struct file_stream {
    IStream iface;
    LONG refs;
    HANDLE file;
} file_stream_t;

static HRESULT STDMETHODCALLTYPE fs_query_interface(IStream *iface, REFIID riid, void **out)
{
    if (!out)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISequentialStream) || IsEqualIID(riid, &IID_IStream)) {
        *out = iface;
        InterlockedIncrement(&((file_stream_t *)iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE fs_add_ref(IStream *iface)
{
    return (ULONG)InterlockedIncrement(&((file_stream_t *)iface)->refs);
}

static ULONG STDMETHODCALLTYPE fs_release(IStream *iface)
{
    return (ULONG)InterlockedDecrement(&((file_stream_t *)iface)->refs); /* lives on run's stack */
}

static HRESULT STDMETHODCALLTYPE fs_write(IStream *iface, const void *data, ULONG size, ULONG *written)
{
    DWORD done = 0;
    BOOL ok = WriteFile(((file_stream_t *)iface)->file, data, size, &done, NULL);
    if (written)
        *written = done;
    return ok ? S_OK : HRESULT_FROM_WIN32(GetLastError());
}

static HRESULT STDMETHODCALLTYPE fs_read(IStream *i, void *d, ULONG s, ULONG *r) { (void)i, (void)d, (void)s, (void)r; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_seek(IStream *i, LARGE_INTEGER m, DWORD o, ULARGE_INTEGER *p) { (void)i, (void)m, (void)o, (void)p; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_set_size(IStream *i, ULARGE_INTEGER s) { (void)i, (void)s; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_copy_to(IStream *i, IStream *t, ULARGE_INTEGER c, ULARGE_INTEGER *r, ULARGE_INTEGER *w) { (void)i, (void)t, (void)c, (void)r, (void)w; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_commit(IStream *i, DWORD f) { (void)i, (void)f; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_revert(IStream *i) { (void)i; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_lock(IStream *i, ULARGE_INTEGER o, ULARGE_INTEGER c, DWORD t) { (void)i, (void)o, (void)c, (void)t; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_stat(IStream *i, STATSTG *s, DWORD f) { (void)i, (void)s, (void)f; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fs_clone(IStream *i, IStream **c) { (void)i, (void)c; return E_NOTIMPL; }

static IStreamVtbl fs_vtbl = {fs_query_interface, fs_add_ref, fs_release, fs_read, fs_write, fs_seek, fs_set_size,
                              fs_copy_to, fs_commit, fs_revert, fs_lock, fs_lock, fs_stat, fs_clone};

/* ---- properties -------------------------------------------------------------------------------- */

static HRESULT set_text(IDODownload *download, DODownloadProperty property, const wchar_t *text)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(text);
    HRESULT hr = V_BSTR(&v) ? IDODownload_SetProperty(download, property, &v) : E_OUTOFMEMORY;
    VariantClear(&v);
    return hr;
}

static HRESULT set_bool(IDODownload *download, DODownloadProperty property, int value)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_BOOL;
    V_BOOL(&v) = value ? VARIANT_TRUE : VARIANT_FALSE;
    return IDODownload_SetProperty(download, property, &v);
}

static HRESULT set_u32(IDODownload *download, DODownloadProperty property, DWORD value)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_UI4;
    V_UI4(&v) = value;
    return IDODownload_SetProperty(download, property, &v);
}

static HRESULT set_unknown(IDODownload *download, DODownloadProperty property, IUnknown *unknown)
{
    VARIANT v;
    VariantInit(&v);
    V_VT(&v) = VT_UNKNOWN;
    V_UNKNOWN(&v) = unknown;
    return IDODownload_SetProperty(download, property, &v);
}

/* The Content-Type line of HttpResponseHeaders, as winget reads it (failures ignored). */
static void print_content_type(IDODownload *download)
{
    VARIANT v;
    VariantInit(&v);
    if (FAILED(IDODownload_GetProperty(download, DODownloadProperty_HttpResponseHeaders, &v)) || V_VT(&v) != VT_BSTR)
        return;
    const wchar_t *line = V_BSTR(&v);
    while (line && *line) {
        const wchar_t *end = wcschr(line, L'\n');
        size_t length = end ? (size_t)(end - line) : wcslen(line);
        if (length > 13 && _wcsnicmp(line, L"content-type:", 13) == 0)
            wprintf(L"  content type:%.*ls\n", (int)(length - 13), line + 13);
        line = end ? end + 1 : NULL;
    }
    VariantClear(&v);
}

/* ---- the download -------------------------------------------------------------------------------- */

static void describe_failure(IDOManager *manager, const wchar_t *what, HRESULT hr)
{
    IBackgroundCopyManager *bits = NULL;
    LPWSTR text = NULL;
    if (SUCCEEDED(IDOManager_QueryInterface(manager, &IID_IBackgroundCopyManager, (void **)&bits))) {
        IBackgroundCopyManager_GetErrorDescription(bits, hr, GetUserDefaultUILanguage(), &text);
        IBackgroundCopyManager_Release(bits);
    }
    fwprintf(stderr, L"dodownload: %ls: 0x%08lx%ls%ls\n", what, (unsigned long)hr, text ? L" " : L"",
             text ? text : L"");
    CoTaskMemFree(text);
}

static HRESULT configure(IDODownload *download, const options_t *o, callback_t *callback, file_stream_t *stream)
{
    HRESULT hr = set_text(download, DODownloadProperty_Uri, o->url);
    if (SUCCEEDED(hr) && stream)
        hr = set_unknown(download, DODownloadProperty_StreamInterface, (IUnknown *)&stream->iface);
    else if (SUCCEEDED(hr))
        hr = set_text(download, DODownloadProperty_LocalPath, o->path);
    if (SUCCEEDED(hr) && o->name)
        hr = set_text(download, DODownloadProperty_DisplayName, o->name);
    if (SUCCEEDED(hr))
        hr = set_bool(download, DODownloadProperty_ForegroundPriority, o->foreground);
    if (SUCCEEDED(hr) && o->non_volatile)
        hr = set_bool(download, DODownloadProperty_NonVolatile, 1);
    if (SUCCEEDED(hr) && o->security_flags)
        hr = set_u32(download, DODownloadProperty_SecurityFlags, o->security_flags);
    if (SUCCEEDED(hr))
        hr = set_unknown(download, DODownloadProperty_CallbackInterface, (IUnknown *)&callback->iface);
    return hr;
}

/* Waits for Transferred (S_OK) or a stop with an error (that error). Before the first byte,
 * winget gives up after its own timeout; a transient condition (Error 0, ExtendedError set) is
 * waited out. */
static HRESULT wait_for_transfer(IDODownload *download, callback_t *callback, DWORD timeout_s)
{
    ULONGLONG started = GetTickCount64();
    UINT64 last_bytes = 0;
    for (;;) {
        WaitForSingleObject(callback->changed, 1000);
        DO_DOWNLOAD_STATUS s;
        if (FAILED(IDODownload_GetStatus(download, &s))) { /* the callback may be late: ask */
            EnterCriticalSection(&callback->lock);
            s = callback->last;
            LeaveCriticalSection(&callback->lock);
        }
        if (s.BytesTransferred != last_bytes)
            wprintf(L"  %llu of %llu bytes\n", (unsigned long long)s.BytesTransferred,
                    (unsigned long long)s.BytesTotal);
        last_bytes = s.BytesTransferred;
        if (s.State == DODownloadState_Transferred)
            return S_OK;
        if (FAILED(s.Error))
            return s.Error;
        if (s.State == DODownloadState_Aborted || s.State == DODownloadState_Finalized)
            return HRESULT_FROM_WIN32(ERROR_OPERATION_ABORTED);
        if (last_bytes == 0 && GetTickCount64() - started > (ULONGLONG)timeout_s * 1000)
            return DO_E_DOWNLOAD_NO_PROGRESS; /* what winget reports for its own timeout */
    }
}

static int run(IDOManager *manager, const options_t *o)
{
    callback_t callback = {{&cb_vtbl}, 1, {0}, {0}, CreateEventW(NULL, FALSE, FALSE, NULL)};
    InitializeCriticalSection(&callback.lock);
    file_stream_t stream = {{&fs_vtbl}, 1, INVALID_HANDLE_VALUE};
    IDODownload *download = NULL;
    HRESULT hr = S_OK;
    const wchar_t *step = L"opening the output file";
    if (o->stream) {
        stream.file = CreateFileW(o->path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
        hr = stream.file == INVALID_HANDLE_VALUE ? HRESULT_FROM_WIN32(GetLastError()) : S_OK;
    }
    if (SUCCEEDED(hr)) {
        step = L"CreateDownload";
        hr = IDOManager_CreateDownload(manager, &download);
    }
    if (SUCCEEDED(hr)) {
        /* As winget: impersonation (so that the service acts as us) with static cloaking. */
        CoSetProxyBlanket((IUnknown *)download, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE, COLE_DEFAULT_PRINCIPAL,
                          RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_STATIC_CLOAKING);
        step = L"SetProperty";
        hr = configure(download, o, &callback, o->stream ? &stream : NULL);
    }
    if (SUCCEEDED(hr)) {
        step = L"Start";
        hr = IDODownload_Start(download, NULL);
    }
    if (SUCCEEDED(hr)) {
        wprintf(L"  started: %ls -> %ls\n", o->url, o->path);
        step = L"the download";
        hr = wait_for_transfer(download, &callback, o->timeout_s);
    }
    if (SUCCEEDED(hr)) {
        print_content_type(download);
        step = L"Finalize";
        VARIANT id;
        VariantInit(&id);
        if (o->keep && SUCCEEDED(IDODownload_GetProperty(download, DODownloadProperty_Id, &id)))
            wprintf(L"  transferred, kept: %ls\n", V_BSTR(&id));
        else
            hr = IDODownload_Finalize(download);
        VariantClear(&id);
    }
    if (SUCCEEDED(hr) && !o->keep)
        wprintf(L"  finalized: %ls\n", o->path);
    if (FAILED(hr)) {
        describe_failure(manager, step, hr);
        if (download)
            IDODownload_Abort(download); /* as winget's destructor: nothing left behind */
    }
    if (download) {
        set_unknown(download, DODownloadProperty_CallbackInterface, NULL);
        IDODownload_Release(download);
    }
    if (stream.file != INVALID_HANDLE_VALUE)
        CloseHandle(stream.file);
    CloseHandle(callback.changed);
    DeleteCriticalSection(&callback.lock);
    return FAILED(hr) ? 1 : 0;
}

/* Says why the command line is refused, then the usage, on stderr; returns 0 (not valid). */
static int refuse(const wchar_t *problem, const wchar_t *word)
{
    fwprintf(stderr, L"dodownload: %ls '%ls'\n", problem, word);
    fwprintf(stderr, L"usage: dodownload [/foreground] [/nonvolatile] [/name TEXT] [/timeout SECONDS] "
                     L"[/keep] [/stream] [/securityflags FLAGS] URL PATH\n");
    return 0;
}

/* A word that is an option, or meant as one: URL and PATH never start with '/' or '-'. */
static int is_option_word(const wchar_t *word)
{
    return word[0] == L'/' || word[0] == L'-';
}

/* The value of the option at argv[*i], which must follow it; NULL (reported) when missing. */
static const wchar_t *option_value(int argc, wchar_t **argv, int *i)
{
    if (*i + 1 >= argc || is_option_word(argv[*i + 1])) {
        refuse(L"missing value after", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

/* Seconds from 1 to 86400, in decimal digits only. */
static int parse_seconds(const wchar_t *text, DWORD *seconds)
{
    wchar_t *end = NULL;
    unsigned long value = iswdigit(text[0]) ? wcstoul(text, &end, 10) : 0;
    if (!end || *end || value < 1 || value > 86400)
        return refuse(L"/timeout takes a number of seconds from 1 to 86400, not", text);
    *seconds = (DWORD)value;
    return 1;
}

/* A 32-bit number: hex after 0x, else decimal digits only (the service judges the flags). */
static int parse_flags(const wchar_t *text, DWORD *flags)
{
    int hex = text[0] == L'0' && (text[1] == L'x' || text[1] == L'X');
    const wchar_t *digits = hex ? text + 2 : text;
    wchar_t *end = NULL;
    unsigned long long value = iswxdigit(digits[0]) ? wcstoull(digits, &end, hex ? 16 : 10) : 0;
    if (!end || *end || value > 0xFFFFFFFFull)
        return refuse(L"/securityflags takes a 32-bit number (0x100, 4096, ...), not", text);
    *flags = (DWORD)value;
    return 1;
}

/* Whether the command line is valid; when not, says why on stderr, with the usage. */
static int parse(int argc, wchar_t **argv, options_t *o)
{
    int i = 1;
    for (; i < argc && is_option_word(argv[i]); i++) {
        const wchar_t *value;
        if (_wcsicmp(argv[i], L"/foreground") == 0)
            o->foreground = 1;
        else if (_wcsicmp(argv[i], L"/nonvolatile") == 0)
            o->non_volatile = 1;
        else if (_wcsicmp(argv[i], L"/keep") == 0)
            o->keep = 1;
        else if (_wcsicmp(argv[i], L"/stream") == 0)
            o->stream = 1;
        else if (_wcsicmp(argv[i], L"/name") == 0) {
            if (!(o->name = option_value(argc, argv, &i)))
                return 0;
        } else if (_wcsicmp(argv[i], L"/securityflags") == 0) {
            if (!(value = option_value(argc, argv, &i)) || !parse_flags(value, &o->security_flags))
                return 0;
        } else if (_wcsicmp(argv[i], L"/timeout") == 0) {
            if (!(value = option_value(argc, argv, &i)) || !parse_seconds(value, &o->timeout_s))
                return 0;
        } else
            return refuse(L"unknown option", argv[i]);
    }
    int left = argc - i; /* URL and PATH */
    if (left < 2)
        return refuse(L"missing", left ? L"PATH" : L"URL PATH");
    if (left > 2)
        return refuse(L"unexpected argument", argv[i + 2]);
    if (is_option_word(argv[i + 1]))
        return refuse(L"options come before URL, not after it:", argv[i + 1]);
    o->url = argv[i];
    o->path = argv[i + 1];
    return 1;
}

int wmain(int argc, wchar_t **argv)
{
    options_t o = {.timeout_s = 60};
    if (!parse(argc, argv, &o))
        return 2;
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 1;
    IDOManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER, &IID_IDOManager,
                                  (void **)&manager);
    int status = 1;
    if (FAILED(hr))
        fwprintf(stderr, L"dodownload: CoCreateInstance(DeliveryOptimization, IDOManager): 0x%08lx\n",
                 (unsigned long)hr);
    else {
        status = run(manager, &o);
        IDOManager_Release(manager);
    }
    CoUninitialize();
    return status;
}
