/* Client of tests/e2e/bits_options.sh: the BITS-only interfaces of opendo's BITS classes, through
 * DCOM and doproxy.dll (opendo's IDL: mingw-w64 has none of them). Commands:
 *   peer                     IBitsPeerCacheAdministration of the BITS manager (every method
 *                            S_FALSE, empty enumerators), none on the DO manager
 *   method-new URL LOCAL     a BITS job with method PROPFIND and write-only custom headers, not
 *                            resumed (prints "JOB {id}"); a DO job answers no HttpOptions2/3
 *   method-run JOB           after a restart: the method and the write-only headers kept, Resume,
 *                            SetHttpMethod refused from then on, TRANSFERRED, Complete
 *   token-new URL LOCAL      a BITS job with BG_TOKEN_LOCAL_FILE and a helper token (prints "JOB")
 *   token-run JOB            after a restart: the token is gone, Resume gives ERROR with
 *                            BG_E_TOKEN_REQUIRED; SetHelperToken, Resume, TRANSFERRED, Complete
 *   cert URL LOCAL           an https BITS job with a server certificate callback that refuses
 *                            (TRANSIENT_ERROR, its code, context 8), then one that accepts
 *                            (TRANSFERRED, Complete); the certificate and store it was given parse
 *   cert-gone URL LOCAL      registers a callback and exits without removing it (prints "JOB")
 *   cert-run JOB             Resume: ERROR BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED
 * Check lines on stdout ("ok - bits options: ..."); exit status 1 when one failed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <windows.h>
#include <ole2.h>
#include <wincrypt.h>

#include "../check.h"
#include "deliveryoptimization.h"

#define BG_E_TOKEN_REQUIRED ((HRESULT)0x80200056L)
#define BG_E_READ_ONLY_PROPERTY_AFTER_RESUME ((HRESULT)0x80200062L)
#define BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD ((HRESULT)0x80200071L)
#define BG_E_READ_ONLY_WHEN_JOB_ACTIVE ((HRESULT)0x80200075L)
#define BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED ((HRESULT)0x80200074L)
#define CERT_REFUSAL ((HRESULT)0x80EC0CE7L) /* what the refusing callback answers */
#define HEADERS L"X-Secret: s1\r\n"

static const char *section = "";

static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("bits options", section, fmt, ap);
    va_end(ap);
    return name;
}

static IBackgroundCopyManager *manager_of(const CLSID *clsid, const char *what)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager, (void **)&manager);
    CHECK_HR(hr, S_OK, nm("activate %s", what));
    return SUCCEEDED(hr) ? manager : NULL;
}

static void *query(void *object, REFIID riid, HRESULT want, const char *what)
{
    void *out = NULL;
    HRESULT hr = IUnknown_QueryInterface((IUnknown *)object, riid, &out);
    CHECK_HR(hr, want, nm("QueryInterface %s", what));
    return SUCCEEDED(hr) ? out : NULL;
}

static BG_JOB_STATE wait_state(IBackgroundCopyJob *job, BG_JOB_STATE a, BG_JOB_STATE b)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    for (DWORD start = GetTickCount(); GetTickCount() - start < 60000; Sleep(50))
        if (SUCCEEDED(IBackgroundCopyJob_GetState(job, &state)) && (state == a || state == b))
            break;
    return state;
}

static IBackgroundCopyJob *new_job(IBackgroundCopyManager *manager, const WCHAR *url, const WCHAR *local)
{
    IBackgroundCopyJob *job = NULL;
    GUID id;
    CHECK_HR(IBackgroundCopyManager_CreateJob(manager, L"bits options", BG_JOB_TYPE_DOWNLOAD, &id, &job), S_OK,
             nm("CreateJob"));
    if (job)
        CHECK_HR(IBackgroundCopyJob_AddFile(job, url, local), S_OK, nm("AddFile"));
    WCHAR text[40];
    StringFromGUID2(&id, text, 40);
    printf("JOB %ls\n", text);
    return job;
}

static IBackgroundCopyJob *find_job(IBackgroundCopyManager *manager, const WCHAR *id_text)
{
    GUID id;
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = CLSIDFromString(id_text, &id);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    CHECK_HR(hr, S_OK, nm("GetJob %ls", id_text));
    return job;
}

/* The end of a command: its objects released, its exit status. */
static int end_command(IBackgroundCopyJob *job, IBackgroundCopyManager *bits)
{
    if (job)
        IBackgroundCopyJob_Release(job);
    if (bits)
        IBackgroundCopyManager_Release(bits);
    return CHECK_EXIT_CODE();
}

/* TRANSFERRED, then Complete. */
static void finish(IBackgroundCopyJob *job)
{
    CHECK(wait_state(job, BG_JOB_STATE_TRANSFERRED, BG_JOB_STATE_ERROR) == BG_JOB_STATE_TRANSFERRED, nm("TRANSFERRED"));
    CHECK_HR(IBackgroundCopyJob_Complete(job), S_OK, nm("Complete"));
}

/* ---- peer ----------------------------------------------------------------------------------------- */

static int cmd_peer(void)
{
    section = "peer cache";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyManager *dom = manager_of(&CLSID_DeliveryOptimization, "DeliveryOptimization");
    IBitsPeerCacheAdministration *a = bits ? query(bits, &IID_IBitsPeerCacheAdministration, S_OK, "on the BITS manager") : NULL;
    if (dom)
        query(dom, &IID_IBitsPeerCacheAdministration, E_NOINTERFACE, "on the DO manager: E_NOINTERFACE");
    if (a) {
        DWORD v = 7;
        ULONG age = 7;
        CHECK(IBitsPeerCacheAdministration_GetMaximumCacheSize(a, &v) == S_FALSE && v == 0, nm("GetMaximumCacheSize: S_FALSE, 0"));
        CHECK(IBitsPeerCacheAdministration_SetMaximumCacheSize(a, 5) == S_FALSE, nm("SetMaximumCacheSize: S_FALSE"));
        CHECK(IBitsPeerCacheAdministration_GetMaximumContentAge(a, &age) == S_FALSE && age == 0, nm("GetMaximumContentAge: S_FALSE, 0"));
        CHECK(IBitsPeerCacheAdministration_SetMaximumContentAge(a, 60) == S_FALSE, nm("SetMaximumContentAge: S_FALSE"));
        v = 7;
        CHECK(IBitsPeerCacheAdministration_GetConfigurationFlags(a, &v) == S_FALSE && v == 0, nm("GetConfigurationFlags: S_FALSE, 0"));
        CHECK(IBitsPeerCacheAdministration_SetConfigurationFlags(a, 3) == S_FALSE, nm("SetConfigurationFlags: S_FALSE"));
        IEnumBitsPeerCacheRecords *records = NULL;
        ULONG n = 7;
        CHECK(IBitsPeerCacheAdministration_EnumRecords(a, &records) == S_FALSE && records &&
                  IEnumBitsPeerCacheRecords_GetCount(records, &n) == S_FALSE && n == 0,
              nm("EnumRecords: S_FALSE and an empty enumerator"));
        if (records)
            IEnumBitsPeerCacheRecords_Release(records);
        IBitsPeerCacheRecord *record = (IBitsPeerCacheRecord *)(ULONG_PTR)1;
        GUID any = IID_IBitsPeer;
        CHECK(IBitsPeerCacheAdministration_GetRecord(a, &any, &record) == S_FALSE && !record, nm("GetRecord: S_FALSE, NULL"));
        CHECK(IBitsPeerCacheAdministration_ClearRecords(a) == S_FALSE && IBitsPeerCacheAdministration_DeleteRecord(a, &any) == S_FALSE &&
                  IBitsPeerCacheAdministration_DeleteUrl(a, L"http://x.test/") == S_FALSE,
              nm("ClearRecords, DeleteRecord, DeleteUrl: S_FALSE"));
        IEnumBitsPeers *peers = NULL;
        IBitsPeer *peer = NULL;
        n = 7;
        CHECK(IBitsPeerCacheAdministration_EnumPeers(a, &peers) == S_FALSE && peers &&
                  IEnumBitsPeers_Next(peers, 1, &peer, &n) == S_FALSE && n == 0 && !peer,
              nm("EnumPeers: S_FALSE and an empty enumerator"));
        if (peers)
            IEnumBitsPeers_Release(peers);
        CHECK(IBitsPeerCacheAdministration_ClearPeers(a) == S_FALSE && IBitsPeerCacheAdministration_DiscoverPeers(a) == S_FALSE,
              nm("ClearPeers, DiscoverPeers: S_FALSE"));
        IBitsPeerCacheAdministration_Release(a);
    }
    if (dom)
        IBackgroundCopyManager_Release(dom);
    if (bits)
        IBackgroundCopyManager_Release(bits);
    return CHECK_EXIT_CODE();
}

/* ---- the HTTP method and write-only headers ------------------------------------------------------ */

static int method_is(IBackgroundCopyJobHttpOptions2 *h, const WCHAR *want)
{
    WCHAR *got = NULL;
    int ok = IBackgroundCopyJobHttpOptions2_GetHttpMethod(h, &got) == S_OK && got && !wcscmp(got, want);
    CoTaskMemFree(got);
    return ok;
}

static int headers_hidden(IBackgroundCopyJobHttpOptions3 *h)
{
    WCHAR *got = (WCHAR *)L"x";
    return IBackgroundCopyJobHttpOptions3_GetCustomHeaders(h, &got) == E_ACCESSDENIED && !got;
}

static int cmd_method_new(const WCHAR *url, const WCHAR *local)
{
    section = "method";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyManager *dom = manager_of(&CLSID_DeliveryOptimization, "DeliveryOptimization");
    if (dom) {
        GUID id;
        IBackgroundCopyJob *do_job = NULL;
        if (SUCCEEDED(IBackgroundCopyManager_CreateJob(dom, L"DO job", BG_JOB_TYPE_DOWNLOAD, &id, &do_job))) {
            query(do_job, &IID_IBackgroundCopyJobHttpOptions2, E_NOINTERFACE, "HttpOptions2 on a DO job: E_NOINTERFACE");
            query(do_job, &IID_IBitsTokenOptions, E_NOINTERFACE, "IBitsTokenOptions on a DO job: E_NOINTERFACE");
            IBackgroundCopyJob_Cancel(do_job);
            IBackgroundCopyJob_Release(do_job);
        }
        IBackgroundCopyManager_Release(dom);
    }
    IBackgroundCopyJob *job = bits ? new_job(bits, url, local) : NULL;
    IBackgroundCopyJobHttpOptions2 *h2 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions2, S_OK, "HttpOptions2 on a BITS job") : NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions3, S_OK, "HttpOptions3 on a BITS job") : NULL;
    if (h2 && h3) {
        CHECK(method_is(h2, L"GET"), nm("GetHttpMethod: GET by default"));
        CHECK_HR(IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, L"GE T"), E_INVALIDARG, nm("SetHttpMethod(\"GE T\"): E_INVALIDARG"));
        CHECK_HR(IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, L"PROPFIND"), S_OK, nm("SetHttpMethod(PROPFIND)"));
        CHECK(method_is(h2, L"PROPFIND"), nm("GetHttpMethod: PROPFIND"));
        BG_JOB_PRIORITY priority = BG_JOB_PRIORITY_LOW;
        CHECK(IBackgroundCopyJob_GetPriority(job, &priority) == S_OK && priority == BG_JOB_PRIORITY_FOREGROUND,
              nm("the priority is FOREGROUND"));
        CHECK_HR(IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_NORMAL), BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
                 nm("SetPriority(NORMAL): BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD"));
        CHECK_HR(IBackgroundCopyJobHttpOptions3_SetCustomHeaders(h3, HEADERS), S_OK, nm("SetCustomHeaders"));
        CHECK_HR(IBackgroundCopyJobHttpOptions3_MakeCustomHeadersWriteOnly(h3), S_OK, nm("MakeCustomHeadersWriteOnly"));
        CHECK(headers_hidden(h3), nm("GetCustomHeaders: E_ACCESSDENIED and NULL"));
    }
    if (h2)
        IBackgroundCopyJobHttpOptions2_Release(h2);
    if (h3)
        IBackgroundCopyJobHttpOptions3_Release(h3);
    return end_command(job, bits);
}

static int cmd_method_run(const WCHAR *id)
{
    section = "method, after the restart";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? find_job(bits, id) : NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions3, S_OK, "HttpOptions3") : NULL;
    if (h3) {
        CHECK(method_is((IBackgroundCopyJobHttpOptions2 *)h3, L"PROPFIND"), nm("GetHttpMethod: still PROPFIND"));
        CHECK(headers_hidden(h3), nm("GetCustomHeaders: still E_ACCESSDENIED and NULL"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK_HR(IBackgroundCopyJobHttpOptions3_SetHttpMethod(h3, L"POST"), BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
                 nm("SetHttpMethod after Resume: BG_E_READ_ONLY_PROPERTY_AFTER_RESUME"));
        finish(job);
        IBackgroundCopyJobHttpOptions3_Release(h3);
    }
    return end_command(job, bits);
}

/* ---- helper tokens ------------------------------------------------------------------------------- */

/* The helper token's SID: NULL, or the caller's own (every process of a Wine prefix has the same). */
static int sid_is_callers(IBitsTokenOptions *t, int want_token)
{
    WCHAR *sid = (WCHAR *)L"x";
    HRESULT hr = IBitsTokenOptions_GetHelperTokenSid(t, &sid);
    int ok = hr == S_OK && (want_token ? sid && !wcsncmp(sid, L"S-1-5-", 6) : !sid);
    if (!ok)
        printf("#   GetHelperTokenSid: 0x%08lx %ls\n", (unsigned long)hr, sid ? sid : L"(null)");
    if (hr == S_OK)
        CoTaskMemFree(sid);
    return ok;
}

static int cmd_token_new(const WCHAR *url, const WCHAR *local)
{
    section = "token";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? new_job(bits, url, local) : NULL;
    IBitsTokenOptions *t = job ? query(job, &IID_IBitsTokenOptions, S_OK, "IBitsTokenOptions on a BITS job") : NULL;
    if (t) {
        DWORD flags = 7;
        CHECK(IBitsTokenOptions_GetHelperTokenFlags(t, &flags) == S_OK && flags == 0, nm("GetHelperTokenFlags: 0"));
        CHECK_HR(IBitsTokenOptions_SetHelperTokenFlags(t, 4), E_INVALIDARG, nm("SetHelperTokenFlags(4): E_INVALIDARG"));
        CHECK_HR(IBitsTokenOptions_SetHelperTokenFlags(t, BG_TOKEN_NETWORK), E_NOTIMPL,
                 nm("SetHelperTokenFlags(BG_TOKEN_NETWORK): E_NOTIMPL"));
        CHECK_HR(IBitsTokenOptions_SetHelperTokenFlags(t, BG_TOKEN_LOCAL_FILE), S_OK, nm("SetHelperTokenFlags(LOCAL_FILE)"));
        CHECK(sid_is_callers(t, 0), nm("GetHelperTokenSid: NULL before SetHelperToken"));
        CHECK_HR(IBitsTokenOptions_SetHelperToken(t), S_OK, nm("SetHelperToken"));
        CHECK(sid_is_callers(t, 1), nm("GetHelperTokenSid: the token's SID"));
        CHECK_HR(IBitsTokenOptions_ClearHelperToken(t), S_OK, nm("ClearHelperToken"));
        CHECK(sid_is_callers(t, 0), nm("GetHelperTokenSid: NULL after ClearHelperToken"));
        CHECK(IBitsTokenOptions_GetHelperTokenFlags(t, &flags) == S_OK && flags == BG_TOKEN_LOCAL_FILE,
              nm("ClearHelperToken keeps the flags"));
        CHECK_HR(IBitsTokenOptions_SetHelperToken(t), S_OK, nm("SetHelperToken again"));
        IBitsTokenOptions_Release(t);
    }
    return end_command(job, bits);
}

static int cmd_token_run(const WCHAR *id)
{
    section = "token, after the restart";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? find_job(bits, id) : NULL;
    IBitsTokenOptions *t = job ? query(job, &IID_IBitsTokenOptions, S_OK, "IBitsTokenOptions") : NULL;
    if (t) {
        DWORD flags = 0;
        CHECK(IBitsTokenOptions_GetHelperTokenFlags(t, &flags) == S_OK && flags == BG_TOKEN_LOCAL_FILE,
              nm("the flags survived the restart"));
        CHECK(sid_is_callers(t, 0), nm("the token did not (GetHelperTokenSid: NULL)"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume without the token"));
        CHECK(wait_state(job, BG_JOB_STATE_ERROR, BG_JOB_STATE_TRANSFERRED) == BG_JOB_STATE_ERROR, nm("ERROR"));
        IBackgroundCopyError *error = NULL;
        BG_ERROR_CONTEXT context = 0;
        HRESULT code = 0;
        CHECK(IBackgroundCopyJob_GetError(job, &error) == S_OK && error &&
                  IBackgroundCopyError_GetError(error, &context, &code) == S_OK && code == BG_E_TOKEN_REQUIRED &&
                  context == BG_ERROR_CONTEXT_LOCAL_FILE,
              nm("the error: BG_E_TOKEN_REQUIRED, context LOCAL_FILE"));
        if (error)
            IBackgroundCopyError_Release(error);
        CHECK_HR(IBitsTokenOptions_SetHelperToken(t), S_OK, nm("SetHelperToken"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume with the token"));
        finish(job); /* Complete's rename runs as the helper token (BG_TOKEN_LOCAL_FILE) */
        IBitsTokenOptions_Release(t);
    }
    return end_command(job, bits);
}

/* ---- server certificate callbacks ------------------------------------------------------------ */

typedef struct cert_callback {
    IBackgroundCopyServerCertificateValidationCallback iface;
    LONG refs;
    HRESULT verdict;
    LONG calls, well_formed; /* calls whose certificate and store parse, the store holding it */
} cert_callback_t;

static cert_callback_t *cert_from(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return (cert_callback_t *)iface;
}

static HRESULT STDMETHODCALLTYPE cert_query_interface(IBackgroundCopyServerCertificateValidationCallback *iface,
                                                      REFIID riid, void **out)
{
    *out = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IBackgroundCopyServerCertificateValidationCallback))
        return E_NOINTERFACE;
    *out = iface;
    InterlockedIncrement(&cert_from(iface)->refs);
    return S_OK;
}

static ULONG STDMETHODCALLTYPE cert_add_ref(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return (ULONG)InterlockedIncrement(&cert_from(iface)->refs);
}

static ULONG STDMETHODCALLTYPE cert_release(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return (ULONG)InterlockedDecrement(&cert_from(iface)->refs);
}

/* Whether a serialized store (CertSaveStore's CERT_STORE_SAVE_AS_STORE format: the 8-byte file
 * header "\0\0\0\0CERT", then elements {property id, encoding, length, bytes}, the certificate's
 * being property 32) holds this encoded certificate. Walked by hand: Wine 8's
 * CERT_STORE_PROV_SERIALIZED opens such a blob as an empty store. */
static int store_holds(const BYTE *store, DWORD length, const BYTE *cert, DWORD cert_length)
{
    static const BYTE header[8] = {0, 0, 0, 0, 'C', 'E', 'R', 'T'};
    if (length < 8 || memcmp(store, header, 8))
        return 0;
    for (DWORD at = 8; at + 12 <= length;) {
        DWORD element[3];
        memcpy(element, store + at, sizeof element);
        at += 12;
        if (element[2] > length - at)
            return 0;
        if (element[0] == 32 && element[2] == cert_length && !memcmp(store + at, cert, cert_length))
            return 1;
        at += element[2];
    }
    return 0;
}

/* The certificate decodes, and the serialized store holds it. */
static int certificate_parses(const BYTE *cert, DWORD cert_length, DWORD encoding, const BYTE *store, DWORD store_length)
{
    PCCERT_CONTEXT context = CertCreateCertificateContext(encoding, cert, cert_length);
    int ok = context && store_holds(store, store_length, cert, cert_length);
    if (!ok)
        printf("#   certificate %lu bytes (decoded: %d), store %lu bytes\n", (unsigned long)cert_length,
               context != NULL, (unsigned long)store_length);
    if (context)
        CertFreeCertificateContext(context);
    return ok;
}

static HRESULT STDMETHODCALLTYPE cert_validate(IBackgroundCopyServerCertificateValidationCallback *iface,
                                               IBackgroundCopyJob *job, IBackgroundCopyFile *file, DWORD cert_length,
                                               const BYTE cert[], DWORD encoding, DWORD store_length,
                                               const BYTE store[])
{
    cert_callback_t *self = cert_from(iface);
    InterlockedIncrement(&self->calls);
    if (job && file && certificate_parses(cert, cert_length, encoding, store, store_length))
        InterlockedIncrement(&self->well_formed);
    return self->verdict;
}

static IBackgroundCopyServerCertificateValidationCallbackVtbl cert_vtbl = {
    cert_query_interface, cert_add_ref, cert_release, cert_validate,
};

static HRESULT set_callback(IBackgroundCopyJobHttpOptions3 *h3, cert_callback_t *callback)
{
    return IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(
        h3, callback ? (IUnknown *)&callback->iface : NULL);
}

static void check_error(IBackgroundCopyJob *job, HRESULT want_code, BG_ERROR_CONTEXT want_context, const char *what)
{
    IBackgroundCopyError *error = NULL;
    BG_ERROR_CONTEXT context = 0;
    HRESULT code = 0;
    int ok = IBackgroundCopyJob_GetError(job, &error) == S_OK && error &&
             IBackgroundCopyError_GetError(error, &context, &code) == S_OK;
    if (error)
        IBackgroundCopyError_Release(error);
    if (ok && (code != want_code || context != want_context))
        printf("#   error 0x%08lx, context %d\n", (unsigned long)code, (int)context);
    CHECK(ok && code == want_code && context == want_context, nm("%s", what));
}

static int cmd_cert(const WCHAR *url, const WCHAR *local)
{
    section = "certificate callback";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? new_job(bits, url, local) : NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions3, S_OK, "HttpOptions3") : NULL;
    cert_callback_t refusing = {{&cert_vtbl}, 1, CERT_REFUSAL, 0, 0}, accepting = {{&cert_vtbl}, 1, S_OK, 0, 0};
    if (h3) {
        CHECK_HR(IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(h3, (IUnknown *)job), E_NOINTERFACE,
                 nm("an object that is no callback: E_NOINTERFACE"));
        CHECK_HR(set_callback(h3, &refusing), S_OK, nm("a refusing callback registered"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        CHECK(wait_state(job, BG_JOB_STATE_TRANSIENT_ERROR, BG_JOB_STATE_TRANSFERRED) == BG_JOB_STATE_TRANSIENT_ERROR,
              nm("refused: TRANSIENT_ERROR"));
        check_error(job, CERT_REFUSAL, BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,
                    "refused: the callback's code, context SERVER_CERTIFICATE_CALLBACK (8)");
        CHECK(refusing.calls >= 1 && refusing.well_formed == refusing.calls,
              nm("the callback got the job, the file, a certificate that parses and a store holding it"));
        CHECK_HR(set_callback(h3, &accepting), BG_E_READ_ONLY_WHEN_JOB_ACTIVE,
                 nm("Set while TRANSIENT_ERROR: BG_E_READ_ONLY_WHEN_JOB_ACTIVE"));
        CHECK_HR(IBackgroundCopyJob_Suspend(job), S_OK, nm("Suspend"));
        CHECK_HR(set_callback(h3, &accepting), S_OK, nm("an accepting callback replaces it (SUSPENDED)"));
        CHECK(refusing.refs == 1, nm("the service released the replaced callback"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        finish(job);
        CHECK(accepting.calls == 1 && accepting.well_formed == 1, nm("accepted once: asked once"));
        IBackgroundCopyJobHttpOptions3_Release(h3);
    }
    return end_command(job, bits);
}

/* The client registers its callback and ends (its objects disconnect with it). */
static int cmd_cert_gone(const WCHAR *url, const WCHAR *local)
{
    section = "unreachable callback";
    static cert_callback_t accepting = {{&cert_vtbl}, 1, S_OK, 0, 0};
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? new_job(bits, url, local) : NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions3, S_OK, "HttpOptions3") : NULL;
    if (h3) {
        CHECK_HR(set_callback(h3, &accepting), S_OK, nm("a callback registered by a client that then exits"));
        IBackgroundCopyJobHttpOptions3_Release(h3);
    }
    return end_command(job, bits);
}

static int cmd_cert_run(const WCHAR *id)
{
    section = "unreachable callback";
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? find_job(bits, id) : NULL;
    if (job) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume after the client exited"));
        CHECK(wait_state(job, BG_JOB_STATE_ERROR, BG_JOB_STATE_TRANSFERRED) == BG_JOB_STATE_ERROR, nm("ERROR"));
        check_error(job, BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,
                    "BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED");
        IBackgroundCopyJob_Cancel(job);
    }
    return end_command(job, bits);
}

/* After a restart the job remembers that its client checks servers: it waits for the callback
 * (ERROR BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED) instead of trusting the system's check
 * alone; registered again, it completes. */
static int cmd_cert_again(const WCHAR *id)
{
    section = "callback after a restart";
    cert_callback_t accepting = {{&cert_vtbl}, 1, S_OK, 0, 0};
    IBackgroundCopyManager *bits = manager_of(&CLSID_BackgroundCopyManager10_3, "BackgroundCopyManager10_3");
    IBackgroundCopyJob *job = bits ? find_job(bits, id) : NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = job ? query(job, &IID_IBackgroundCopyJobHttpOptions3, S_OK, "HttpOptions3") : NULL;
    if (h3) {
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume after the restart, no callback registered again"));
        CHECK(wait_state(job, BG_JOB_STATE_ERROR, BG_JOB_STATE_TRANSFERRED) == BG_JOB_STATE_ERROR,
              nm("ERROR: the job does not go on without its callback"));
        check_error(job, BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,
                    "BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, context 8");
        CHECK_HR(set_callback(h3, &accepting), S_OK, nm("the callback registered again (ERROR)"));
        CHECK_HR(IBackgroundCopyJob_Resume(job), S_OK, nm("Resume"));
        finish(job);
        CHECK(accepting.calls == 1 && accepting.well_formed == 1, nm("the new callback was asked once"));
        IBackgroundCopyJobHttpOptions3_Release(h3);
    }
    return end_command(job, bits);
}

int wmain(int argc, WCHAR **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    int rc = 2;
    if (argc == 2 && !wcscmp(argv[1], L"peer"))
        rc = cmd_peer();
    else if (argc == 4 && !wcscmp(argv[1], L"method-new"))
        rc = cmd_method_new(argv[2], argv[3]);
    else if (argc == 3 && !wcscmp(argv[1], L"method-run"))
        rc = cmd_method_run(argv[2]);
    else if (argc == 4 && !wcscmp(argv[1], L"token-new"))
        rc = cmd_token_new(argv[2], argv[3]);
    else if (argc == 3 && !wcscmp(argv[1], L"token-run"))
        rc = cmd_token_run(argv[2]);
    else if (argc == 4 && !wcscmp(argv[1], L"cert"))
        rc = cmd_cert(argv[2], argv[3]);
    else if (argc == 4 && !wcscmp(argv[1], L"cert-gone"))
        rc = cmd_cert_gone(argv[2], argv[3]);
    else if (argc == 3 && !wcscmp(argv[1], L"cert-run"))
        rc = cmd_cert_run(argv[2]);
    else if (argc == 3 && !wcscmp(argv[1], L"cert-again"))
        rc = cmd_cert_again(argv[2]);
    else
        fprintf(stderr, "usage: bits_options_client peer | method-new URL LOCAL | method-run JOB | "
                        "token-new URL LOCAL | token-run JOB | cert URL LOCAL | cert-gone URL LOCAL | cert-run JOB | cert-again JOB\n");
    CoUninitialize();
    return rc;
}
