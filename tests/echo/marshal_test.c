/* marshal_test.exe: round-trips every method of every interface of idl/deliveryoptimization.idl
 * through doproxy.dll, against echosrv.exe (an out-of-process echo server, see echosrv.c).
 *
 * Output follows tests/check.h: one "ok - <Interface>::<Method> ..." line per check.  At the end
 * it prints "# methods exercised: N of M", where M is the number of methods (IUnknown's excluded)
 * declared by the interfaces of the IDL, counted from the proxy DLL's own tables (so a method
 * added to the IDL without a test here makes the run fail), and checks N == M.
 *
 * Phases: (1) registration of doproxy.dll, (2) a first server instance that must exit once its
 * last object is released, (3) every method, (4) a server that dies under a live proxy: calls
 * must return an error HRESULT, not crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "echo_data.h"
#include <rpcproxy.h>
#include "check.h"

/* ------------------------------------------------------------------------------------------ */
/* bookkeeping: which methods were exercised                                                   */

#define MAX_METHODS 256
static struct {
    const char *iface, *method;
} g_ex[MAX_METHODS];
static int g_nex;

static void exercised(const char *iface, const char *method)
{
    for (int i = 0; i < g_nex; i++)
        if (!strcmp(g_ex[i].iface, iface) && !strcmp(g_ex[i].method, method))
            return;
    if (g_nex < MAX_METHODS) {
        g_ex[g_nex].iface = iface;
        g_ex[g_nex].method = method;
        g_nex++;
    }
}

static int exercised_in(const char *iface)
{
    int n = 0;
    for (int i = 0; i < g_nex; i++)
        n += !strcmp(g_ex[i].iface, iface);
    return n;
}

/* T: mark I::M as exercised and report one check named "I::M what". */
#define T(I, M, cond, what)                                                                       \
    do {                                                                                          \
        exercised(I, M);                                                                          \
        CHECK(cond, I "::" M " " what);                                                           \
    } while (0)
#define TH(I, M, hr, want, what)                                                                  \
    do {                                                                                          \
        exercised(I, M);                                                                          \
        CHECK_HR(hr, want, I "::" M " " what);                                                    \
    } while (0)

static int wstr_eq(const WCHAR *a, const WCHAR *b)
{
    if (!a || !b)
        return a == b;
    return !wcscmp(a, b);
}

/* Compares and frees a CoTaskMem string. */
static int take_eq(WCHAR *got, const WCHAR *want)
{
    int r = wstr_eq(got, want);
    if (!r)
        printf("#   string mismatch: got %s (len %d), want len %d\n", got ? "a string" : "NULL",
               got ? (int)wcslen(got) : -1, want ? (int)wcslen(want) : -1);
    CoTaskMemFree(got);
    return r;
}

static WCHAR *make_long(const WCHAR *prefix, size_t n)
{
    size_t pl = wcslen(prefix);
    WCHAR *s = malloc((pl + n + 1) * sizeof(WCHAR));
    wcscpy(s, prefix);
    for (size_t i = 0; i < n; i++)
        s[pl + i] = (WCHAR)(i % 7 == 6 ? 0x00e9 : L'a' + i % 26); /* with non-ASCII in it */
    s[pl + n] = 0;
    return s;
}

static IUnknown *identity(void *obj)
{
    IUnknown *u = NULL;
    if (obj && SUCCEEDED(IUnknown_QueryInterface((IUnknown *)obj, &IID_IUnknown, (void **)&u)))
        IUnknown_Release(u); /* the identity stays valid while obj lives */
    return u;
}

/* ------------------------------------------------------------------------------------------ */
/* phase 1: registration, and M from the proxy DLL's tables                                    */

static int g_declared_total;
static struct {
    char name[64];
    int declared;
} g_ifaces[64];
static int g_nifaces;

static BOOL reg_string(HKEY root, const WCHAR *path, const WCHAR *value, WCHAR *out, DWORD cb)
{
    HKEY k;
    if (RegOpenKeyExW(root, path, 0, KEY_READ, &k))
        return FALSE;
    DWORD type;
    LONG r = RegQueryValueExW(k, value, NULL, &type, (BYTE *)out, &cb);
    RegCloseKey(k);
    return !r && (type == REG_SZ || type == REG_EXPAND_SZ);
}

static void guid_str(const GUID *g, WCHAR *buf)
{
    StringFromGUID2(g, buf, 39);
}

typedef void(RPC_ENTRY *GetProxyDllInfo_fn)(const ProxyFileInfo ***, const CLSID **);

static void check_registration(void)
{
    WCHAR path[MAX_PATH * 2], key[128], val[128];
    swprintf(key, ARRAYSIZE(key), L"CLSID\\%ls\\InprocServer32", PROXY_CLSID_STRING);
    int ok = reg_string(HKEY_CLASSES_ROOT, key, NULL, path, sizeof(path));
    CHECK(ok, "registration: HKCR\\CLSID\\{proxy}\\InprocServer32 names doproxy.dll");
    if (!ok)
        return;
    HMODULE dll = LoadLibraryW(path);
    GetProxyDllInfo_fn info_fn = dll ? (GetProxyDllInfo_fn)(void (*)(void))GetProcAddress(dll, "GetProxyDllInfo") : NULL;
    CHECK(info_fn != NULL, "registration: doproxy.dll loads and exports GetProxyDllInfo");
    if (!info_fn)
        return;
    const ProxyFileInfo **files = NULL;
    const CLSID *clsid = NULL;
    info_fn(&files, &clsid);
    CHECK(clsid && IsEqualCLSID(clsid, &CLSID_OpendoProxyStub), "registration: GetProxyDllInfo reports our proxy CLSID");

    /* Every interface of every proxy file: registration keys, and its declared method count
     * (its own methods, without its base interface's: the base is the interface whose format
     * string offsets are the longest proper prefix of this one's). */
    for (int f = 0; files && files[f]; f++) {
        const ProxyFileInfo *pfi = files[f];
        for (int i = 0; i < pfi->TableSize; i++) {
            const CInterfaceStubHeader *h = &pfi->pStubVtblList[i]->header;
            const unsigned short *off = h->pServerInfo->FmtStringOffset;
            unsigned long base = 3;
            for (int j = 0; j < pfi->TableSize; j++) {
                const CInterfaceStubHeader *b = &pfi->pStubVtblList[j]->header;
                if (j == i || b->DispatchTableCount >= h->DispatchTableCount || b->DispatchTableCount <= base)
                    continue;
                if (!memcmp(&b->pServerInfo->FmtStringOffset[3], &off[3], (b->DispatchTableCount - 3) * sizeof(*off)))
                    base = b->DispatchTableCount;
            }
            int declared = (int)(h->DispatchTableCount - base);
            if (g_nifaces < (int)ARRAYSIZE(g_ifaces)) {
                snprintf(g_ifaces[g_nifaces].name, sizeof(g_ifaces[0].name), "%s", pfi->pNamesArray[i]);
                g_ifaces[g_nifaces].declared = declared;
                g_nifaces++;
            }
            g_declared_total += declared;

            WCHAR iid[40], want[16];
            char name[200];
            guid_str(h->piid, iid);
            swprintf(key, ARRAYSIZE(key), L"Interface\\%ls\\ProxyStubClsid32", iid);
            int r1 = reg_string(HKEY_CLASSES_ROOT, key, NULL, val, sizeof(val)) && !_wcsicmp(val, PROXY_CLSID_STRING);
            swprintf(key, ARRAYSIZE(key), L"Interface\\%ls\\NumMethods", iid);
            swprintf(want, ARRAYSIZE(want), L"%lu", (unsigned long)h->DispatchTableCount);
            int r2 = reg_string(HKEY_CLASSES_ROOT, key, NULL, val, sizeof(val)) && !wcscmp(val, want);
            snprintf(name, sizeof(name), "registration: %s -> doproxy (ProxyStubClsid32, NumMethods %lu, %d declared)",
                     pfi->pNamesArray[i], (unsigned long)h->DispatchTableCount, declared);
            CHECK(r1 && r2, name);
        }
    }
    CHECK(g_nifaces == 36, "registration: doproxy.dll carries the 36 interfaces of the IDL");
}

/* ------------------------------------------------------------------------------------------ */
/* the client's callback sink (IBackgroundCopyCallback2)                                       */

typedef struct Sink {
    IBackgroundCopyCallback3 IBackgroundCopyCallback3_iface;
    LONG ref;
    const WCHAR *expect_name, *expect_file;
    GUID expect_id;
    LONG transferred, errors, modifications, files;
    LONG transferred_ok, error_ok, modification_ok, file_ok;
    const BG_FILE_RANGE *expect_ranges; /* FileRangesTransferred */
    DWORD expect_nranges;
    LONG ranges, ranges_ok;
} Sink;

static inline Sink *sink_from(IBackgroundCopyCallback3 *i) { return CONTAINING_RECORD(i, Sink, IBackgroundCopyCallback3_iface); }

static HRESULT STDMETHODCALLTYPE sink_QueryInterface(IBackgroundCopyCallback3 *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IBackgroundCopyCallback)
        && !IsEqualIID(riid, &IID_IBackgroundCopyCallback2) && !IsEqualIID(riid, &IID_IBackgroundCopyCallback3))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&sink_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE sink_AddRef(IBackgroundCopyCallback3 *iface) { return InterlockedIncrement(&sink_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE sink_Release(IBackgroundCopyCallback3 *iface) { return InterlockedDecrement(&sink_from(iface)->ref); }

static int remote_is(IBackgroundCopyFile *f, const WCHAR *want)
{
    WCHAR *s = NULL;
    return f && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(f, &s)) && take_eq(s, want);
}

/* The job proxy handed to a callback must talk to the right server job. */
static int sink_job_ok(Sink *s, IBackgroundCopyJob *job)
{
    WCHAR *name = NULL;
    GUID id;
    IBackgroundCopyJob5 *j5 = NULL;
    int ok = job && SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &name)) && wstr_eq(name, s->expect_name);
    CoTaskMemFree(name);
    ok = ok && SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&j5))
         && SUCCEEDED(IBackgroundCopyJob5_GetId(j5, &id)) && IsEqualGUID(&id, &s->expect_id);
    if (j5)
        IBackgroundCopyJob5_Release(j5);
    return ok;
}

static HRESULT STDMETHODCALLTYPE sink_JobTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *pJob)
{
    Sink *s = sink_from(iface);
    InterlockedIncrement(&s->transferred);
    if (sink_job_ok(s, pJob))
        InterlockedIncrement(&s->transferred_ok);
    return ECHO_CB_TRANSFERRED_HR;
}

static HRESULT STDMETHODCALLTYPE sink_JobError(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *pJob, IBackgroundCopyError *pError)
{
    Sink *s = sink_from(iface);
    BG_ERROR_CONTEXT ctx = 0;
    HRESULT code = 0;
    IBackgroundCopyFile *file = NULL;
    WCHAR *remote = NULL;
    InterlockedIncrement(&s->errors);
    int ok = sink_job_ok(s, pJob) && pError && SUCCEEDED(IBackgroundCopyError_GetError(pError, &ctx, &code))
             && ctx == ECHO_ERROR_CONTEXT && code == ECHO_ERROR_CODE
             && SUCCEEDED(IBackgroundCopyError_GetFile(pError, &file)) && file
             && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &remote)) && wstr_eq(remote, s->expect_file);
    CoTaskMemFree(remote);
    if (file)
        IBackgroundCopyFile_Release(file);
    if (ok)
        InterlockedIncrement(&s->error_ok);
    return ECHO_CB_ERROR_HR;
}

static HRESULT STDMETHODCALLTYPE sink_JobModification(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *pJob, DWORD dwReserved)
{
    Sink *s = sink_from(iface);
    InterlockedIncrement(&s->modifications);
    if (dwReserved == ECHO_JOBMOD_RESERVED && sink_job_ok(s, pJob))
        InterlockedIncrement(&s->modification_ok);
    return ECHO_CB_MODIFIED_HR;
}

static HRESULT STDMETHODCALLTYPE sink_FileTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *pJob, IBackgroundCopyFile *pFile)
{
    Sink *s = sink_from(iface);
    WCHAR *remote = NULL;
    InterlockedIncrement(&s->files);
    int ok = sink_job_ok(s, pJob) && pFile && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(pFile, &remote))
             && wstr_eq(remote, s->expect_file);
    CoTaskMemFree(remote);
    if (ok)
        InterlockedIncrement(&s->file_ok);
    return ECHO_CB_FILE_HR;
}

static HRESULT STDMETHODCALLTYPE sink_FileRangesTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                                            IBackgroundCopyFile *file, DWORD count, const BG_FILE_RANGE ranges[])
{
    Sink *s = sink_from(iface);
    InterlockedIncrement(&s->ranges);
    int ok = sink_job_ok(s, job) && remote_is(file, s->expect_file) && count == s->expect_nranges && ranges
             && !memcmp(ranges, s->expect_ranges, count * sizeof(*ranges));
    if (ok)
        InterlockedIncrement(&s->ranges_ok);
    return ECHO_CB_RANGES_HR;
}

static const IBackgroundCopyCallback3Vtbl sink_vtbl = {
    .QueryInterface = sink_QueryInterface,
    .AddRef = sink_AddRef,
    .Release = sink_Release,
    .JobTransferred = sink_JobTransferred,
    .JobError = sink_JobError,
    .JobModification = sink_JobModification,
    .FileTransferred = sink_FileTransferred,
    .FileRangesTransferred = sink_FileRangesTransferred,
};

/* ------------------------------------------------------------------------------------------ */
/* the client's IBackgroundCopyServerCertificateValidationCallback                             */

typedef struct CertSink {
    IBackgroundCopyServerCertificateValidationCallback iface;
    LONG ref;
    Sink *job; /* what the job and file must be */
    LONG calls, calls_ok;
} CertSink;

static inline CertSink *cert_sink_from(IBackgroundCopyServerCertificateValidationCallback *i) { return CONTAINING_RECORD(i, CertSink, iface); }

static HRESULT STDMETHODCALLTYPE cert_sink_QueryInterface(IBackgroundCopyServerCertificateValidationCallback *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IBackgroundCopyServerCertificateValidationCallback))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&cert_sink_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE cert_sink_AddRef(IBackgroundCopyServerCertificateValidationCallback *iface) { return InterlockedIncrement(&cert_sink_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE cert_sink_Release(IBackgroundCopyServerCertificateValidationCallback *iface) { return InterlockedDecrement(&cert_sink_from(iface)->ref); }

static HRESULT STDMETHODCALLTYPE cert_sink_ValidateServerCertificate(IBackgroundCopyServerCertificateValidationCallback *iface,
                                                                     IBackgroundCopyJob *job, IBackgroundCopyFile *file, DWORD cert_len,
                                                                     const BYTE cert[], DWORD encoding, DWORD store_len, const BYTE store[])
{
    CertSink *c = cert_sink_from(iface);
    InterlockedIncrement(&c->calls);
    int ok = sink_job_ok(c->job, job) && remote_is(file, c->job->expect_file) && cert_len == ECHO_CERT_LEN && cert
             && encoding == ECHO_CERT_ENCODING && store_len == ECHO_STORE_LEN && store;
    for (DWORD i = 0; ok && i < cert_len; i++)
        ok = cert[i] == ECHO_CERT_BYTE(i);
    for (DWORD i = 0; ok && i < store_len; i++)
        ok = store[i] == ECHO_STORE_BYTE(i);
    if (ok)
        InterlockedIncrement(&c->calls_ok);
    return ECHO_CB_CERT_HR;
}

static const IBackgroundCopyServerCertificateValidationCallbackVtbl cert_sink_vtbl = {
    .QueryInterface = cert_sink_QueryInterface,
    .AddRef = cert_sink_AddRef,
    .Release = cert_sink_Release,
    .ValidateServerCertificate = cert_sink_ValidateServerCertificate,
};

/* ------------------------------------------------------------------------------------------ */
/* helpers                                                                                     */

static IBackgroundCopyManager *new_manager(HRESULT *phr)
{
    IBackgroundCopyManager *m = NULL;
    *phr = CoCreateInstance(&CLSID_OpendoEchoServer, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager, (void **)&m);
    return SUCCEEDED(*phr) ? m : NULL;
}

/* "objects=N pid=P" from the server */
static BOOL server_info(IBackgroundCopyManager *m, long *objects, DWORD *pid)
{
    WCHAR *s = NULL;
    unsigned long p = 0;
    BOOL ok = SUCCEEDED(IBackgroundCopyManager_GetErrorDescription(m, ECHO_CMD_OBJECTS, 0, &s)) && s
              && swscanf(s, L"objects=%ld pid=%lu", objects, &p) == 2;
    CoTaskMemFree(s);
    *pid = p;
    return ok;
}

static WCHAR *last_call(IBackgroundCopyManager *m)
{
    WCHAR *s = NULL;
    if (FAILED(IBackgroundCopyManager_GetErrorDescription(m, ECHO_CMD_LASTCALL, 0, &s)))
        return NULL;
    return s;
}

/* The n-th file of a job (0-based), through EnumFiles + Skip + Next(1, NULL). */
static IBackgroundCopyFile *nth_file(IBackgroundCopyJob *job, ULONG n)
{
    IEnumBackgroundCopyFiles *e = NULL;
    IBackgroundCopyFile *f = NULL;
    if (FAILED(IBackgroundCopyJob_EnumFiles(job, &e)))
        return NULL;
    if (IEnumBackgroundCopyFiles_Skip(e, n) != S_OK || IEnumBackgroundCopyFiles_Next(e, 1, &f, NULL) != S_OK)
        f = NULL;
    IEnumBackgroundCopyFiles_Release(e);
    return f;
}

static ULONG file_count(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *e = NULL;
    ULONG n = 0;
    if (SUCCEEDED(IBackgroundCopyJob_EnumFiles(job, &e))) {
        IEnumBackgroundCopyFiles_GetCount(e, &n);
        IEnumBackgroundCopyFiles_Release(e);
    }
    return n;
}


static int job_id_is(IBackgroundCopyJob *j, unsigned n)
{
    GUID id, want = echo_job_id(n);
    return j && SUCCEEDED(IBackgroundCopyJob_GetId(j, &id)) && IsEqualGUID(&id, &want);
}

/* ------------------------------------------------------------------------------------------ */
/* phase 2: a server instance exits once its last object is released                          */

static void test_server_lifetime(void)
{
    HRESULT hr;
    long objects = -1;
    DWORD pid = 0;
    IBackgroundCopyManager *m = new_manager(&hr);
    CHECK_HR(hr, S_OK, "lifetime: CoCreateInstance(CLSCTX_LOCAL_SERVER) of the echo server");
    if (!m)
        return;
    GUID id;
    IBackgroundCopyJob *job = NULL;
    hr = IBackgroundCopyManager_CreateJob(m, L"lifetime", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    CHECK(server_info(m, &objects, &pid) && objects == 2 && pid, "lifetime: server counts 2 live objects (manager, job)");
    if (job)
        IBackgroundCopyJob_Release(job);
    IBackgroundCopyManager_Release(m);
    HANDLE proc = pid ? OpenProcess(SYNCHRONIZE, FALSE, pid) : NULL;
    DWORD w = proc ? WaitForSingleObject(proc, 10000) : WAIT_FAILED;
    CHECK(!proc || w == WAIT_OBJECT_0, "lifetime: the server process exits after its last object is released");
    if (proc)
        CloseHandle(proc);
}

/* ------------------------------------------------------------------------------------------ */
/* phase 3: every method                                                                       */

#define MGR "IBackgroundCopyManager"
#define JOB "IBackgroundCopyJob"
#define JOB2 "IBackgroundCopyJob2"
#define JOB3 "IBackgroundCopyJob3"
#define JOB4 "IBackgroundCopyJob4"
#define JOB5 "IBackgroundCopyJob5"
#define EJOBS "IEnumBackgroundCopyJobs"
#define EFILES "IEnumBackgroundCopyFiles"
#define FILE1 "IBackgroundCopyFile"
#define FILE2 "IBackgroundCopyFile2"
#define FILE3 "IBackgroundCopyFile3"
#define FILE4 "IBackgroundCopyFile4"
#define FILE5 "IBackgroundCopyFile5"
#define ERR "IBackgroundCopyError"
#define CB "IBackgroundCopyCallback"
#define CB2 "IBackgroundCopyCallback2"
#define DOJOB "IDeliveryOptimizationJob"
#define DOJOB2 "IDeliveryOptimizationJob2"
#define DOFILE "IDeliveryOptimizationFile"
#define DOFILE2 "IDeliveryOptimizationFile2"
#define HTTP "IBackgroundCopyJobHttpOptions"
#define ADMIN "IOpendoAdmin"

static const WCHAR NAME0[] = L"job \u00e9t\u00e9 \u4e2d\u6587 \U0001F600";
static const WCHAR REMOTE_OLD[] = L"http://old.example/";
static const WCHAR REMOTE_NEW[] = L"https://nouveau.example/\u00e9/";

static WCHAR *g_long_url;  /* 2200 characters, non-ASCII inside */
static WCHAR *g_long_text; /* 5000 characters */

typedef struct Ctx {
    IBackgroundCopyManager *mgr;
    IBackgroundCopyJob *job0, *job1, *job2;
    WCHAR *remote[4], *local[4]; /* files 0-3 of job0 */
} Ctx;

static void test_manager(Ctx *c)
{
    HRESULT hr;
    GUID id, want;
    WCHAR *s = NULL;

    hr = IBackgroundCopyManager_CreateJob(c->mgr, NAME0, BG_JOB_TYPE_UPLOAD_REPLY, &id, &c->job0);
    want = echo_job_id(0);
    T(MGR, "CreateJob", hr == S_OK && c->job0 && IsEqualGUID(&id, &want), "non-ASCII name, type, GUID and job out");

    WCHAR *toolong = make_long(L"", 257);
    IBackgroundCopyJob *none = (IBackgroundCopyJob *)(ULONG_PTR)1;
    hr = IBackgroundCopyManager_CreateJob(c->mgr, toolong, BG_JOB_TYPE_DOWNLOAD, &id, &none);
    free(toolong);
    T(MGR, "CreateJob", hr == E_INVALIDARG && none == NULL, "257-character name: E_INVALIDARG and NULL job");

    hr = IBackgroundCopyManager_CreateJob(c->mgr, L"", BG_JOB_TYPE_DOWNLOAD, &id, &c->job1);
    want = echo_job_id(1);
    T(MGR, "CreateJob", hr == S_OK && c->job1 && IsEqualGUID(&id, &want), "empty name");
    hr = IBackgroundCopyManager_CreateJob(c->mgr, L"third", BG_JOB_TYPE_UPLOAD, &id, &c->job2);
    T(MGR, "CreateJob", hr == S_OK && c->job2, "third job");

    IBackgroundCopyJob *got = NULL;
    want = echo_job_id(0);
    hr = IBackgroundCopyManager_GetJob(c->mgr, &want, &got);
    T(MGR, "GetJob", hr == S_OK && job_id_is(got, 0) && identity(got) == identity(c->job0),
      "finds the job by GUID (same object identity)");
    if (got)
        IBackgroundCopyJob_Release(got);
    got = (IBackgroundCopyJob *)(ULONG_PTR)1;
    want = CLSID_OpendoEchoServer;
    hr = IBackgroundCopyManager_GetJob(c->mgr, &want, &got);
    T(MGR, "GetJob", hr == ECHO_BG_E_NOT_FOUND && got == NULL, "unknown GUID: BG_E_NOT_FOUND and NULL");

    hr = IBackgroundCopyManager_GetErrorDescription(c->mgr, (HRESULT)0x80200001, 0x409, &s);
    T(MGR, "GetErrorDescription", hr == S_OK && take_eq(s, L"hr=0x80200001 lang=1033 \u4e2d\u6587"),
      "HRESULT and language in, string out");

    /* EnumJobs and the job enumerator */
    IEnumBackgroundCopyJobs *e = NULL, *clone = NULL;
    hr = IBackgroundCopyManager_EnumJobs(c->mgr, BG_JOB_ENUM_ALL_USERS, &e);
    T(MGR, "EnumJobs", hr == S_OK && e, "BG_JOB_ENUM_ALL_USERS");
    IEnumBackgroundCopyJobs *bad = (IEnumBackgroundCopyJobs *)(ULONG_PTR)1;
    hr = IBackgroundCopyManager_EnumJobs(c->mgr, 0x10, &bad);
    T(MGR, "EnumJobs", hr == E_INVALIDARG && bad == NULL, "unknown flag: E_INVALIDARG and NULL");
    if (!e)
        return;
    ULONG n = 0, fetched = 99;
    IBackgroundCopyJob *jobs[4] = {0};
    T(EJOBS, "GetCount", SUCCEEDED(IEnumBackgroundCopyJobs_GetCount(e, &n)) && n == 3, "3 jobs");
    hr = IEnumBackgroundCopyJobs_Next(e, 2, jobs, &fetched);
    T(EJOBS, "Next", hr == S_OK && fetched == 2 && job_id_is(jobs[0], 0) && job_id_is(jobs[1], 1), "celt=2: S_OK, 2 jobs in order");
    for (int i = 0; i < 4; i++)
        if (jobs[i])
            IBackgroundCopyJob_Release(jobs[i]), jobs[i] = NULL;
    hr = IEnumBackgroundCopyJobs_Next(e, 1, jobs, NULL);
    T(EJOBS, "Next", hr == S_OK && job_id_is(jobs[0], 2), "celt=1 with NULL pceltFetched");
    if (jobs[0])
        IBackgroundCopyJob_Release(jobs[0]), jobs[0] = NULL;
    fetched = 99;
    hr = IEnumBackgroundCopyJobs_Next(e, 2, jobs, &fetched);
    T(EJOBS, "Next", hr == S_FALSE && fetched == 0 && !jobs[0], "at the end: S_FALSE, 0 fetched");
    T(EJOBS, "Reset", IEnumBackgroundCopyJobs_Reset(e) == S_OK, "S_OK");
    T(EJOBS, "Skip", IEnumBackgroundCopyJobs_Skip(e, 1) == S_OK, "1: S_OK");
    hr = IEnumBackgroundCopyJobs_Clone(e, &clone);
    T(EJOBS, "Clone", hr == S_OK && clone, "returns an enumerator");
    if (clone) {
        fetched = 99;
        hr = IEnumBackgroundCopyJobs_Next(clone, 4, jobs, &fetched);
        T(EJOBS, "Clone", hr == S_FALSE && fetched == 2 && job_id_is(jobs[0], 1) && job_id_is(jobs[1], 2),
          "keeps the position (Next(4) on the clone: S_FALSE, jobs 1 and 2)");
        for (int i = 0; i < 4; i++)
            if (jobs[i])
                IBackgroundCopyJob_Release(jobs[i]), jobs[i] = NULL;
        IEnumBackgroundCopyJobs_Release(clone);
    }
    T(EJOBS, "Skip", IEnumBackgroundCopyJobs_Skip(e, 10) == S_FALSE, "past the end: S_FALSE");
    IEnumBackgroundCopyJobs_Release(e);
}

static void test_job_basics(Ctx *c)
{
    IBackgroundCopyJob *j = c->job0;
    WCHAR *s = NULL;
    GUID id, want = echo_job_id(0);
    BG_JOB_TYPE type = 0;
    BG_JOB_STATE state = 0;
    BG_JOB_PROGRESS prog, wprog;
    BG_JOB_TIMES times, wtimes;
    ULONG u = 0;

    T(JOB, "GetId", IBackgroundCopyJob_GetId(j, &id) == S_OK && IsEqualGUID(&id, &want), "GUID out");
    T(JOB, "GetType", IBackgroundCopyJob_GetType(j, &type) == S_OK && type == BG_JOB_TYPE_UPLOAD_REPLY, "enum out");
    T(JOB, "GetState", IBackgroundCopyJob_GetState(j, &state) == S_OK && state == BG_JOB_STATE_SUSPENDED, "SUSPENDED after CreateJob");
    wprog = echo_job_progress(0);
    T(JOB, "GetProgress", IBackgroundCopyJob_GetProgress(j, &prog) == S_OK && !memcmp(&prog, &wprog, sizeof(prog)), "struct out");
    wtimes = echo_job_times(0);
    T(JOB, "GetTimes", IBackgroundCopyJob_GetTimes(j, &times) == S_OK && !memcmp(&times, &wtimes, sizeof(times)), "FILETIMEs out");

    T(JOB, "GetDisplayName", IBackgroundCopyJob_GetDisplayName(j, &s) == S_OK && take_eq(s, NAME0), "non-ASCII name given to CreateJob");
    T(JOB, "SetDisplayName", IBackgroundCopyJob_SetDisplayName(c->job1, g_long_text) == S_OK, "5000 characters");
    T(JOB, "GetDisplayName", IBackgroundCopyJob_GetDisplayName(c->job1, &s) == S_OK && take_eq(s, g_long_text), "5000 characters back");
    T(JOB, "SetDisplayName", IBackgroundCopyJob_SetDisplayName(c->job1, L"") == S_OK, "empty");
    T(JOB, "GetDisplayName", IBackgroundCopyJob_GetDisplayName(c->job1, &s) == S_OK && take_eq(s, L""), "empty back");
    T(JOB, "GetDescription", IBackgroundCopyJob_GetDescription(j, &s) == S_OK && take_eq(s, L""), "empty by default");
    T(JOB, "SetDescription", IBackgroundCopyJob_SetDescription(j, g_long_text) == S_OK, "5000 characters");
    T(JOB, "GetDescription", IBackgroundCopyJob_GetDescription(j, &s) == S_OK && take_eq(s, g_long_text), "5000 characters back");

    T(JOB, "GetOwner", IBackgroundCopyJob_GetOwner(j, &s) == S_OK && take_eq(s, ECHO_OWNER), "SID string");
    T(JOB, "TakeOwnership", IBackgroundCopyJob_TakeOwnership(j) == S_OK, "S_OK");
    T(JOB, "TakeOwnership", IBackgroundCopyJob_GetOwner(j, &s) == S_OK && take_eq(s, ECHO_OWNER_TAKEN), "owner changed");

    BG_JOB_PRIORITY prio = 0;
    T(JOB, "SetPriority", IBackgroundCopyJob_SetPriority(j, BG_JOB_PRIORITY_LOW) == S_OK, "LOW");
    T(JOB, "GetPriority", IBackgroundCopyJob_GetPriority(j, &prio) == S_OK && prio == BG_JOB_PRIORITY_LOW, "LOW back");
    T(JOB, "SetNotifyFlags", IBackgroundCopyJob_SetNotifyFlags(j, 0x3F) == S_OK, "0x3F");
    T(JOB, "GetNotifyFlags", IBackgroundCopyJob_GetNotifyFlags(j, &u) == S_OK && u == 0x3F, "0x3F back");
    T(JOB, "SetMinimumRetryDelay", IBackgroundCopyJob_SetMinimumRetryDelay(j, 0xFFFFFFFFu) == S_OK, "0xFFFFFFFF");
    T(JOB, "GetMinimumRetryDelay", IBackgroundCopyJob_GetMinimumRetryDelay(j, &u) == S_OK && u == 0xFFFFFFFFu, "0xFFFFFFFF back");
    T(JOB, "SetNoProgressTimeout", IBackgroundCopyJob_SetNoProgressTimeout(j, 1209600) == S_OK, "1209600");
    T(JOB, "GetNoProgressTimeout", IBackgroundCopyJob_GetNoProgressTimeout(j, &u) == S_OK && u == 1209600, "1209600 back");

    BG_JOB_PROXY_USAGE usage = 0;
    WCHAR *list = (WCHAR *)L"x", *bypass = (WCHAR *)L"x";
    T(JOB, "SetProxySettings", IBackgroundCopyJob_SetProxySettings(j, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy.example:8080", NULL) == S_OK,
      "list, NULL bypass list");
    T(JOB, "GetProxySettings",
      IBackgroundCopyJob_GetProxySettings(j, &usage, &list, &bypass) == S_OK && usage == BG_JOB_PROXY_USAGE_OVERRIDE
          && take_eq(list, L"proxy.example:8080") && take_eq(bypass, NULL),
      "list back, NULL bypass list back");
    T(JOB, "SetProxySettings", IBackgroundCopyJob_SetProxySettings(j, BG_JOB_PROXY_USAGE_AUTODETECT, NULL, L"<local>;*.\u00e9xample") == S_OK,
      "NULL list, bypass list");
    list = bypass = (WCHAR *)L"x";
    T(JOB, "GetProxySettings",
      IBackgroundCopyJob_GetProxySettings(j, &usage, &list, &bypass) == S_OK && usage == BG_JOB_PROXY_USAGE_AUTODETECT
          && take_eq(list, NULL) && take_eq(bypass, L"<local>;*.\u00e9xample"),
      "NULL list back, bypass list back");
    T(JOB, "SetProxySettings", IBackgroundCopyJob_SetProxySettings(j, BG_JOB_PROXY_USAGE_PRECONFIG, NULL, NULL) == S_OK, "both NULL");
    list = bypass = (WCHAR *)L"x";
    T(JOB, "GetProxySettings",
      IBackgroundCopyJob_GetProxySettings(j, &usage, &list, &bypass) == S_OK && usage == BG_JOB_PROXY_USAGE_PRECONFIG
          && take_eq(list, NULL) && take_eq(bypass, NULL),
      "both NULL back");
}

static void test_job_files(Ctx *c)
{
    IBackgroundCopyJob *j = c->job0;
    HRESULT hr;
    BG_FILE_INFO info[3];
    c->remote[0] = _wcsdup(L"http://old.example/dir/\u00e9t\u00e9 1.bin");
    c->local[0] = _wcsdup(L"C:\\downloads\\\u00e9t\u00e9 1.bin");
    c->remote[1] = g_long_url;
    c->local[1] = _wcsdup(L"C:\\downloads\\long.bin");
    c->remote[2] = _wcsdup(L"http://other.example/3.bin");
    c->local[2] = _wcsdup(L"C:\\downloads\\\u4e2d\u6587.bin");
    c->remote[3] = _wcsdup(L"http://old.example/4.bin");
    c->local[3] = _wcsdup(L"C:\\downloads\\4.bin");
    for (int i = 0; i < 3; i++) {
        info[i].RemoteName = c->remote[i];
        info[i].LocalName = c->local[i];
    }
    hr = IBackgroundCopyJob_AddFileSet(j, 3, info);
    T(JOB, "AddFileSet", hr == S_OK, "3 files (array of structs with strings)");
    hr = IBackgroundCopyJob_AddFileSet(j, 1, NULL);
    T(JOB, "AddFileSet", FAILED(hr), "NULL array (a [ref] pointer) fails in the proxy, no crash");
    if (FAILED(hr))
        printf("#   AddFileSet(1, NULL) returned 0x%08lx\n", (unsigned long)hr);
    hr = IBackgroundCopyJob_AddFile(j, c->remote[3], c->local[3]);
    T(JOB, "AddFile", hr == S_OK, "strings in");
    ULONG errors = 0;
    T(JOB, "GetErrorCount", IBackgroundCopyJob_GetErrorCount(j, &errors) == S_OK && errors == 44, "value derived from 4 files");
    BG_JOB_PROGRESS prog, wprog = echo_job_progress(4);
    T(JOB, "GetProgress", IBackgroundCopyJob_GetProgress(j, &prog) == S_OK && !memcmp(&prog, &wprog, sizeof(prog)), "4 files");

    /* EnumFiles and the file enumerator */
    IEnumBackgroundCopyFiles *e = NULL, *clone = NULL;
    hr = IBackgroundCopyJob_EnumFiles(j, &e);
    T(JOB, "EnumFiles", hr == S_OK && e, "enumerator out");
    if (!e)
        return;
    ULONG n = 0, fetched = 99;
    IBackgroundCopyFile *files[5] = {0};
    WCHAR *s = NULL;
    T(EFILES, "GetCount", IEnumBackgroundCopyFiles_GetCount(e, &n) == S_OK && n == 4, "4 files");
    hr = IEnumBackgroundCopyFiles_Next(e, 3, files, &fetched);
    T(EFILES, "Next", hr == S_OK && fetched == 3 && remote_is(files[0], c->remote[0]) && remote_is(files[1], c->remote[1])
                          && remote_is(files[2], c->remote[2]),
      "celt=3: S_OK, 3 files in order");
    for (int i = 0; i < 5; i++)
        if (files[i])
            IBackgroundCopyFile_Release(files[i]), files[i] = NULL;
    hr = IEnumBackgroundCopyFiles_Next(e, 1, files, NULL);
    T(EFILES, "Next", hr == S_OK && remote_is(files[0], c->remote[3]), "celt=1 with NULL pceltFetched");
    if (files[0])
        IBackgroundCopyFile_Release(files[0]), files[0] = NULL;
    fetched = 99;
    hr = IEnumBackgroundCopyFiles_Next(e, 3, files, &fetched);
    T(EFILES, "Next", hr == S_FALSE && fetched == 0 && !files[0], "at the end: S_FALSE, 0 fetched");
    T(EFILES, "Reset", IEnumBackgroundCopyFiles_Reset(e) == S_OK, "S_OK");
    T(EFILES, "Skip", IEnumBackgroundCopyFiles_Skip(e, 2) == S_OK, "2: S_OK");
    hr = IEnumBackgroundCopyFiles_Clone(e, &clone);
    T(EFILES, "Clone", hr == S_OK && clone, "returns an enumerator");
    if (clone) {
        fetched = 99;
        hr = IEnumBackgroundCopyFiles_Next(clone, 5, files, &fetched);
        T(EFILES, "Clone", hr == S_FALSE && fetched == 2 && remote_is(files[0], c->remote[2]) && remote_is(files[1], c->remote[3]),
          "keeps the position (Next(5) on the clone: S_FALSE, files 2 and 3)");
        for (int i = 0; i < 5; i++)
            if (files[i])
                IBackgroundCopyFile_Release(files[i]), files[i] = NULL;
        IEnumBackgroundCopyFiles_Release(clone);
    }
    T(EFILES, "Skip", IEnumBackgroundCopyFiles_Skip(e, 7) == S_FALSE, "past the end: S_FALSE");
    IEnumBackgroundCopyFiles_Release(e);

    /* IBackgroundCopyFile on each of the four */
    for (ULONG i = 0; i < 4; i++) {
        IBackgroundCopyFile *f = nth_file(j, i);
        BG_FILE_PROGRESS p, wp = echo_file_progress(i, DO_UNKNOWN_FILE_SIZE);
        int ok = f && IBackgroundCopyFile_GetRemoteName(f, &s) == S_OK && take_eq(s, c->remote[i]);
        if (i == 1)
            T(FILE1, "GetRemoteName", ok, "2200-character URL");
        else
            T(FILE1, "GetRemoteName", ok, "URL");
        T(FILE1, "GetLocalName", f && IBackgroundCopyFile_GetLocalName(f, &s) == S_OK && take_eq(s, c->local[i]), "path");
        T(FILE1, "GetProgress", f && IBackgroundCopyFile_GetProgress(f, &p) == S_OK && p.BytesTotal == wp.BytesTotal
                                    && p.BytesTransferred == wp.BytesTransferred && p.Completed == wp.Completed,
          "struct out");
        if (f)
            IBackgroundCopyFile_Release(f);
    }
}

static void test_error(Ctx *c)
{
    IBackgroundCopyError *err = NULL;
    BG_ERROR_CONTEXT ctx = 0;
    HRESULT code = 0;
    IBackgroundCopyFile *f = NULL;
    WCHAR *s = NULL;
    HRESULT hr = IBackgroundCopyJob_GetError(c->job0, &err);
    T(JOB, "GetError", hr == S_OK && err, "error object out");
    if (err) {
        T(ERR, "GetError", IBackgroundCopyError_GetError(err, &ctx, &code) == S_OK && ctx == ECHO_ERROR_CONTEXT && code == ECHO_ERROR_CODE,
          "context SERVER_CERTIFICATE_CALLBACK and code out");
        T(ERR, "GetFile", IBackgroundCopyError_GetFile(err, &f) == S_OK && remote_is(f, c->remote[0]), "file object out");
        if (f)
            IBackgroundCopyFile_Release(f), f = NULL;
        T(ERR, "GetErrorDescription", IBackgroundCopyError_GetErrorDescription(err, 1033, &s) == S_OK
                                          && take_eq(s, L"error description lang=1033"),
          "language in, string out");
        T(ERR, "GetErrorContextDescription", IBackgroundCopyError_GetErrorContextDescription(err, 1036, &s) == S_OK
                                                 && take_eq(s, L"contexte \u00e9 \u4e2d lang=1036"),
          "language in, non-ASCII string out");
        T(ERR, "GetProtocol", IBackgroundCopyError_GetProtocol(err, &s) == S_OK && take_eq(s, ECHO_PROTOCOL), "string out");
        IBackgroundCopyError_Release(err);
        err = NULL;
    }
    hr = IBackgroundCopyJob_GetError(c->job1, &err);
    if (err) {
        f = (IBackgroundCopyFile *)(ULONG_PTR)1;
        hr = IBackgroundCopyError_GetFile(err, &f);
        T(ERR, "GetFile", hr == ECHO_DO_E_FILE_NOT_AVAILABLE && f == NULL, "no file: DO_E_FILE_NOT_AVAILABLE and NULL");
        IBackgroundCopyError_Release(err);
    } else
        T(ERR, "GetFile", 0, "no error object for the file-less job");
}

static void test_states_and_callbacks(Ctx *c)
{
    IBackgroundCopyJob *j = c->job0;
    BG_JOB_STATE state = 0;
    HRESULT hr;
    T(JOB, "Suspend", IBackgroundCopyJob_Suspend(j) == S_OK, "S_OK");
    T(JOB, "Resume", IBackgroundCopyJob_Resume(j) == S_OK, "no sink: S_OK");
    T(JOB, "GetState", IBackgroundCopyJob_GetState(j, &state) == S_OK && state == BG_JOB_STATE_QUEUED, "QUEUED after Resume");

    Sink sink = {.IBackgroundCopyCallback3_iface.lpVtbl = &sink_vtbl, .ref = 1};
    sink.expect_name = NAME0;
    sink.expect_file = c->remote[0];
    sink.expect_id = echo_job_id(0);
    IUnknown *sink_unk = (IUnknown *)&sink.IBackgroundCopyCallback3_iface;
    IUnknown *got = (IUnknown *)(ULONG_PTR)1;
    T(JOB, "GetNotifyInterface", IBackgroundCopyJob_GetNotifyInterface(j, &got) == S_OK && got == NULL, "none registered: NULL");
    T(JOB, "SetNotifyInterface", IBackgroundCopyJob_SetNotifyInterface(j, sink_unk) == S_OK, "client-side IBackgroundCopyCallback2 object");
    got = NULL;
    hr = IBackgroundCopyJob_GetNotifyInterface(j, &got);
    T(JOB, "GetNotifyInterface", hr == S_OK && got && identity(got) == identity(sink_unk), "the client's own object comes back");
    if (got)
        IUnknown_Release(got);
    T(JOB, "SetNotifyFlags", IBackgroundCopyJob_SetNotifyFlags(j, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR
                                                                        | BG_NOTIFY_JOB_MODIFICATION | BG_NOTIFY_FILE_TRANSFERRED) == S_OK,
      "TRANSFERRED|ERROR|MODIFICATION|FILE_TRANSFERRED");
    hr = IBackgroundCopyJob_Resume(j);
    TH(JOB, "Resume", hr, ECHO_RESUME_CALLBACKS_OK, "server calls the sink; every callback returned the agreed HRESULT");
    exercised(CB, "JobTransferred");
    exercised(CB, "JobError");
    exercised(CB, "JobModification");
    exercised(CB2, "FileTransferred");
    CHECK(sink.transferred == 1 && sink.transferred_ok == 1, CB "::JobTransferred job proxy in (name, GUID via QI to Job5)");
    CHECK(sink.errors == 1 && sink.error_ok == 1, CB "::JobError job and error proxies in (GetError, GetFile)");
    CHECK(sink.modifications == 1 && sink.modification_ok == 1, CB "::JobModification job proxy and dwReserved in");
    CHECK(sink.files == 1 && sink.file_ok == 1, CB2 "::FileTransferred job and file proxies in");
    T(JOB, "SetNotifyInterface", IBackgroundCopyJob_SetNotifyInterface(j, NULL) == S_OK, "NULL");
    got = (IUnknown *)(ULONG_PTR)1;
    T(JOB, "GetNotifyInterface", IBackgroundCopyJob_GetNotifyInterface(j, &got) == S_OK && got == NULL, "NULL after clearing");
    CHECK(sink.ref == 1, "IBackgroundCopyCallback2 sink: every reference the server took was released");

    T(JOB, "Complete", IBackgroundCopyJob_Complete(c->job1) == ECHO_BG_S_PARTIAL_COMPLETE, "success code BG_S_PARTIAL_COMPLETE crosses");
    T(JOB, "GetState", IBackgroundCopyJob_GetState(c->job1, &state) == S_OK && state == BG_JOB_STATE_ACKNOWLEDGED, "ACKNOWLEDGED");
    T(JOB, "Cancel", IBackgroundCopyJob_Cancel(c->job2) == S_OK, "S_OK");
    T(JOB, "Cancel", IBackgroundCopyJob_Cancel(c->job2) == ECHO_BG_E_INVALID_STATE, "again: BG_E_INVALID_STATE");
    T(JOB, "GetState", IBackgroundCopyJob_GetState(c->job2, &state) == S_OK && state == BG_JOB_STATE_CANCELLED, "CANCELLED");
    T(JOB, "Suspend", IBackgroundCopyJob_Suspend(c->job2) == ECHO_BG_E_INVALID_STATE, "cancelled job: BG_E_INVALID_STATE");
}

static void test_job2(Ctx *c)
{
    IBackgroundCopyJob2 *j = NULL;
    WCHAR *a = NULL, *b = NULL, *s = NULL;
    if (FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJob2, (void **)&j))) {
        CHECK(0, JOB2 " QueryInterface");
        return;
    }
    const WCHAR *prog = L"C:\\Program Files\\\u00e9cho\\notify.exe";
    const WCHAR *params = L"\"C:\\Program Files\\\u00e9cho\\notify.exe\" /job \u4e2d";
    T(JOB2, "SetNotifyCmdLine", IBackgroundCopyJob2_SetNotifyCmdLine(j, prog, params) == S_OK, "two strings");
    T(JOB2, "GetNotifyCmdLine", IBackgroundCopyJob2_GetNotifyCmdLine(j, &a, &b) == S_OK && take_eq(a, prog) && take_eq(b, params),
      "two strings back");
    T(JOB2, "SetNotifyCmdLine", IBackgroundCopyJob2_SetNotifyCmdLine(j, NULL, NULL) == S_OK, "NULL, NULL ([unique])");
    a = b = (WCHAR *)L"x";
    T(JOB2, "GetNotifyCmdLine", IBackgroundCopyJob2_GetNotifyCmdLine(j, &a, &b) == S_OK && take_eq(a, NULL) && take_eq(b, NULL),
      "NULL, NULL back");

    BG_JOB_REPLY_PROGRESS rp = {0x7FFFFFFFFFFFFFF0ull, 0x100000000ull};
    T(JOB2, "GetReplyProgress", IBackgroundCopyJob2_GetReplyProgress(j, &rp) == S_OK && rp.BytesTotal == 0x7FFFFFFFFFFFFFF1ull
                                    && rp.BytesTransferred == 0x200000000ull,
      "[in, out] struct");

    byte *buf = NULL;
    UINT64 len = 0;
    HRESULT hr = IBackgroundCopyJob2_GetReplyData(j, &buf, &len);
    int ok = hr == S_OK && buf && len == ECHO_REPLY_LEN;
    for (UINT64 i = 0; ok && i < len; i++)
        ok = buf[i] == ECHO_REPLY_BYTE(i);
    CoTaskMemFree(buf);
    T(JOB2, "GetReplyData", ok, "1000 bytes out (size_is(, *pLength))");
    buf = NULL;
    len = 5;
    hr = IBackgroundCopyJob2_GetReplyData(j, &buf, &len);
    ok = hr == S_OK && buf && len == 5 && buf[0] == ECHO_REPLY_BYTE(0) && buf[4] == ECHO_REPLY_BYTE(4);
    CoTaskMemFree(buf);
    T(JOB2, "GetReplyData", ok, "*pLength in (5) and 5 bytes out");

    T(JOB2, "GetReplyFileName", IBackgroundCopyJob2_GetReplyFileName(j, &s) == S_OK && take_eq(s, NULL), "NULL when unset");
    T(JOB2, "SetReplyFileName", IBackgroundCopyJob2_SetReplyFileName(j, L"C:\\reply \u00fc.bin") == S_OK, "string");
    T(JOB2, "GetReplyFileName", IBackgroundCopyJob2_GetReplyFileName(j, &s) == S_OK && take_eq(s, L"C:\\reply \u00fc.bin"), "string back");
    T(JOB2, "SetReplyFileName", IBackgroundCopyJob2_SetReplyFileName(j, NULL) == S_OK, "NULL ([unique])");
    T(JOB2, "GetReplyFileName", IBackgroundCopyJob2_GetReplyFileName(j, &s) == S_OK && take_eq(s, NULL), "NULL back");

    BG_AUTH_CREDENTIALS cred;
    memset(&cred, 0, sizeof(cred));
    cred.Target = BG_AUTH_TARGET_PROXY;
    cred.Scheme = BG_AUTH_SCHEME_BASIC;
    cred.Credentials.Basic.UserName = (LPWSTR)L"us\u00e9r";
    cred.Credentials.Basic.Password = (LPWSTR)L"p\u00e4ss \u4e2d";
    T(JOB2, "SetCredentials", IBackgroundCopyJob2_SetCredentials(j, &cred) == S_OK
                                  && take_eq(last_call(c->mgr), L"SetCredentials target=2 scheme=1 user=us\u00e9r password=p\u00e4ss \u4e2d"),
      "union arm Basic (scheme BASIC) with both strings");
    cred.Target = BG_AUTH_TARGET_SERVER;
    cred.Scheme = BG_AUTH_SCHEME_NEGOTIATE;
    cred.Credentials.Basic.UserName = NULL;
    cred.Credentials.Basic.Password = NULL;
    T(JOB2, "SetCredentials", IBackgroundCopyJob2_SetCredentials(j, &cred) == S_OK
                                  && take_eq(last_call(c->mgr), L"SetCredentials target=1 scheme=4 user=(null) password=(null)"),
      "union arm Basic (scheme NEGOTIATE) with NULL strings");
    cred.Scheme = (BG_AUTH_SCHEME)0;
    T(JOB2, "SetCredentials", IBackgroundCopyJob2_SetCredentials(j, &cred) == S_OK
                                  && take_eq(last_call(c->mgr), L"SetCredentials target=1 scheme=0 (no credentials)"),
      "union [default] arm (scheme 0)");
    T(JOB2, "RemoveCredentials", IBackgroundCopyJob2_RemoveCredentials(j, BG_AUTH_TARGET_PROXY, BG_AUTH_SCHEME_PASSPORT) == S_OK
                                     && take_eq(last_call(c->mgr), L"RemoveCredentials target=2 scheme=5"),
      "two enums in");
    IBackgroundCopyJob2_Release(j);
}

static void test_job3_4_5(Ctx *c)
{
    IBackgroundCopyJob3 *j3 = NULL;
    IBackgroundCopyJob4 *j4 = NULL;
    IBackgroundCopyJob5 *j5 = NULL;
    HRESULT hr;
    if (FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJob3, (void **)&j3))
        || FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJob4, (void **)&j4))
        || FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJob5, (void **)&j5))) {
        CHECK(0, JOB3 "/" JOB4 "/" JOB5 " QueryInterface");
        return;
    }
    /* Job3 */
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(j3, REMOTE_OLD, REMOTE_NEW);
    IBackgroundCopyFile *f0 = nth_file(c->job0, 0), *f3 = nth_file(c->job0, 3);
    T(JOB3, "ReplaceRemotePrefix", hr == S_OK && remote_is(f0, L"https://nouveau.example/\u00e9/dir/\u00e9t\u00e9 1.bin")
                                       && remote_is(f3, L"https://nouveau.example/\u00e9/4.bin"),
      "two prefixes in; the files' URLs changed");
    if (f0)
        IBackgroundCopyFile_Release(f0);
    if (f3)
        IBackgroundCopyFile_Release(f3);
    T(JOB3, "ReplaceRemotePrefix", IBackgroundCopyJob3_ReplaceRemotePrefix(j3, L"ftp://none/", L"x") == S_FALSE, "no match: S_FALSE");
    BG_FILE_RANGE ranges[3] = {{0, 100}, {0x100000000ull, 4096}, {0x200000000ull, BG_LENGTH_TO_EOF}};
    hr = IBackgroundCopyJob3_AddFileWithRanges(j3, L"http://ranges.example/r.bin", L"C:\\r.bin", 3, ranges);
    IBackgroundCopyFile *f4 = nth_file(c->job0, 4);
    IBackgroundCopyFile2 *f4b = NULL;
    DWORD count = 0;
    BG_FILE_RANGE *got = NULL;
    if (f4)
        IBackgroundCopyFile_QueryInterface(f4, &IID_IBackgroundCopyFile2, (void **)&f4b);
    T(JOB3, "AddFileWithRanges", hr == S_OK && remote_is(f4, L"http://ranges.example/r.bin"), "3 ranges in");
    hr = f4b ? IBackgroundCopyFile2_GetFileRanges(f4b, &count, &got) : E_FAIL;
    T(FILE2, "GetFileRanges", hr == S_OK && count == 3 && got && !memcmp(got, ranges, sizeof(ranges)),
      "3 ranges out (incl. BG_LENGTH_TO_EOF), CoTaskMem array");
    CoTaskMemFree(got);
    if (f4b)
        IBackgroundCopyFile2_Release(f4b);
    if (f4)
        IBackgroundCopyFile_Release(f4);
    DWORD flags = 0;
    T(JOB3, "SetFileACLFlags", IBackgroundCopyJob3_SetFileACLFlags(j3, BG_COPY_FILE_ALL) == S_OK, "BG_COPY_FILE_ALL");
    T(JOB3, "GetFileACLFlags", IBackgroundCopyJob3_GetFileACLFlags(j3, &flags) == S_OK && flags == BG_COPY_FILE_ALL, "back");

    /* Job4 */
    ULONG u = 0;
    BOOL b = FALSE;
    T(JOB4, "SetPeerCachingFlags", IBackgroundCopyJob4_SetPeerCachingFlags(j4, BG_JOB_ENABLE_PEERCACHING_CLIENT | BG_JOB_DISABLE_BRANCH_CACHE) == S_OK,
      "CLIENT|DISABLE_BRANCH_CACHE");
    T(JOB4, "GetPeerCachingFlags", IBackgroundCopyJob4_GetPeerCachingFlags(j4, &flags) == S_OK && flags == 5, "back");
    T(JOB4, "GetOwnerIntegrityLevel", IBackgroundCopyJob4_GetOwnerIntegrityLevel(j4, &u) == S_OK && u == ECHO_INTEGRITY, "ULONG out");
    T(JOB4, "GetOwnerElevationState", IBackgroundCopyJob4_GetOwnerElevationState(j4, &b) == S_OK && b == TRUE, "BOOL out");
    T(JOB4, "SetMaximumDownloadTime", IBackgroundCopyJob4_SetMaximumDownloadTime(j4, 30 * 86400) == S_OK, "30 days");
    T(JOB4, "GetMaximumDownloadTime", IBackgroundCopyJob4_GetMaximumDownloadTime(j4, &u) == S_OK && u == 30 * 86400, "back");

    /* Job5: one SetProperty/GetProperty round trip per union arm */
    BITS_JOB_PROPERTY_VALUE v;
    memset(&v, 0, sizeof(v));
    v.Dword = BITS_COST_STATE_TRANSFER_NOT_ROAMING;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_ID_COST_FLAGS, v) == S_OK, "COST_FLAGS (Dword arm)");
    memset(&v, 0, sizeof(v));
    v.ClsID = CLSID_OpendoEchoServer;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, v) == S_OK, "NOTIFICATION_CLSID (ClsID arm)");
    memset(&v, 0, sizeof(v));
    v.Enable = TRUE;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, v) == S_OK, "DYNAMIC_CONTENT (Enable arm)");
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, v) == S_OK, "ON_DEMAND_MODE (Enable arm)");
    memset(&v, 0, sizeof(v));
    v.Uint64 = 0xFEDCBA9876543210ull;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, v) == S_OK, "MAX_DOWNLOAD_SIZE (Uint64 arm)");
    memset(&v, 0, sizeof(v));
    v.Target = BG_AUTH_TARGET_PROXY;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, v) == S_OK, "USE_STORED_CREDENTIALS (Target arm)");
    memset(&v, 0, sizeof(v));
    v.Dword = 0xCAFEBABE;
    T(JOB5, "SetProperty", IBackgroundCopyJob5_SetProperty(j5, (BITS_JOB_PROPERTY_ID)6, v) == S_OK, "id 6 (Dword arm by case value)");

    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_ID_COST_FLAGS, &v) == S_OK
                               && v.Dword == BITS_COST_STATE_TRANSFER_NOT_ROAMING,
      "COST_FLAGS (Dword arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &v) == S_OK
                               && IsEqualGUID(&v.ClsID, &CLSID_OpendoEchoServer),
      "NOTIFICATION_CLSID (ClsID arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &v) == S_OK && v.Enable == TRUE,
      "DYNAMIC_CONTENT (Enable arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_HIGH_PERFORMANCE, &v) == S_OK && v.Enable == FALSE,
      "HIGH_PERFORMANCE never set (Enable arm, FALSE)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &v) == S_OK
                               && v.Uint64 == 0xFEDCBA9876543210ull,
      "MAX_DOWNLOAD_SIZE (Uint64 arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, &v) == S_OK
                               && v.Target == BG_AUTH_TARGET_PROXY,
      "USE_STORED_CREDENTIALS (Target arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, &v) == S_OK && v.Enable == TRUE,
      "ON_DEMAND_MODE (Enable arm)");
    memset(&v, 0xAA, sizeof(v));
    T(JOB5, "GetProperty", IBackgroundCopyJob5_GetProperty(j5, (BITS_JOB_PROPERTY_ID)6, &v) == S_OK && v.Dword == 0xCAFEBABE,
      "id 6 (Dword arm by case value)");

    IBackgroundCopyJob3_Release(j3);
    IBackgroundCopyJob4_Release(j4);
    IBackgroundCopyJob5_Release(j5);
}

static void test_file_2_to_5(Ctx *c)
{
    IBackgroundCopyFile *f = nth_file(c->job0, 1); /* index 1: odd */
    IBackgroundCopyFile5 *f5 = NULL;
    WCHAR *s = NULL;
    if (!f || FAILED(IBackgroundCopyFile_QueryInterface(f, &IID_IBackgroundCopyFile5, (void **)&f5))) {
        CHECK(0, FILE5 " QueryInterface");
        if (f)
            IBackgroundCopyFile_Release(f);
        return;
    }
    DWORD count = 99;
    BG_FILE_RANGE *ranges = (BG_FILE_RANGE *)(ULONG_PTR)1;
    T(FILE2, "GetFileRanges", IBackgroundCopyFile5_GetFileRanges(f5, &count, &ranges) == S_FALSE && count == 0 && ranges == NULL,
      "no ranges: S_FALSE, 0, NULL");
    T(FILE2, "SetRemoteName", IBackgroundCopyFile5_SetRemoteName(f5, L"http://moved.example/\u00e9.bin") == S_OK, "string in");
    T(FILE2, "SetRemoteName", IBackgroundCopyFile5_GetRemoteName(f5, &s) == S_OK && take_eq(s, L"http://moved.example/\u00e9.bin"),
      "new name back");
    T(FILE2, "SetRemoteName", IBackgroundCopyFile5_SetRemoteName(f5, L"") == E_INVALIDARG, "empty: E_INVALIDARG");

    WCHAR want[512];
    swprintf(want, ARRAYSIZE(want), L"%ls.do-tmp", c->local[1]);
    T(FILE3, "GetTemporaryName", IBackgroundCopyFile5_GetTemporaryName(f5, &s) == S_OK && take_eq(s, want), "string out");
    BOOL b = FALSE;
    T(FILE3, "SetValidationState", IBackgroundCopyFile5_SetValidationState(f5, TRUE) == S_OK, "TRUE");
    T(FILE3, "GetValidationState", IBackgroundCopyFile5_GetValidationState(f5, &b) == S_OK && b == TRUE, "TRUE back");
    T(FILE3, "SetValidationState", IBackgroundCopyFile5_SetValidationState(f5, FALSE) == S_OK, "FALSE");
    T(FILE3, "GetValidationState", IBackgroundCopyFile5_GetValidationState(f5, &b) == S_OK && b == FALSE, "FALSE back");
    T(FILE3, "IsDownloadedFromPeer", IBackgroundCopyFile5_IsDownloadedFromPeer(f5, &b) == S_OK && b == TRUE, "BOOL out");
    UINT64 origin = 0, peers = 0;
    T(FILE4, "GetPeerDownloadStats", IBackgroundCopyFile5_GetPeerDownloadStats(f5, &origin, &peers) == S_OK
                                         && origin == ECHO_FROM_ORIGIN(1) && peers == ECHO_FROM_PEERS(1),
      "two UINT64 out");

    BITS_FILE_PROPERTY_VALUE v = {0};
    HRESULT hr = IBackgroundCopyFile5_GetProperty(f5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &v);
    if (hr != S_OK)
        printf("#   File5::GetProperty returned 0x%08lx\n", (unsigned long)hr);
    T(FILE5, "GetProperty", hr == S_OK && take_eq(v.String, L"HTTP/1.1 200 OK\r\nServer: echo\r\n"),
      "HTTP_RESPONSE_HEADERS (String arm) out");
    WCHAR *headers = make_long(L"HTTP/1.1 206 Partial Content\r\nX-\u00e9: ", 3000);
    v.String = headers;
    hr = IBackgroundCopyFile5_SetProperty(f5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, v);
    if (hr != S_OK)
        printf("#   File5::SetProperty returned 0x%08lx\n", (unsigned long)hr);
    T(FILE5, "SetProperty", hr == S_OK, "HTTP_RESPONSE_HEADERS (String arm, 3000+ characters) in");
    v.String = NULL;
    hr = IBackgroundCopyFile5_GetProperty(f5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &v);
    T(FILE5, "GetProperty", hr == S_OK && take_eq(v.String, headers), "the long string back");
    free(headers);
    IBackgroundCopyFile5_Release(f5);
    IBackgroundCopyFile_Release(f);
}

static int variant_bstr_is(VARIANT *v, const WCHAR *want)
{
    int r = V_VT(v) == VT_BSTR && wstr_eq(V_BSTR(v), want);
    VariantClear(v);
    return r;
}

static void test_do(Ctx *c)
{
    IDeliveryOptimizationJob *dj = NULL;
    IDeliveryOptimizationJob2 *dj2 = NULL;
    HRESULT hr;
    if (FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IDeliveryOptimizationJob, (void **)&dj))
        || FAILED(IBackgroundCopyJob_QueryInterface(c->job0, &IID_IDeliveryOptimizationJob2, (void **)&dj2))) {
        CHECK(0, DOJOB "/" DOJOB2 " QueryInterface on the job");
        if (dj)
            IDeliveryOptimizationJob_Release(dj);
        return;
    }
    ULONG before = file_count(c->job0);
    BG_FILE_RANGE ranges[2] = {{10, 20}, {1000, DO_LENGTH_TO_EOF}};
    hr = IDeliveryOptimizationJob_AddFileWithRanges(dj, L"file-id \u00e9", L"http://do.example/a.bin", L"C:\\do\\a.bin", 2, ranges,
                                                    0x40000000ull);
    T(DOJOB, "AddFileWithRanges", hr == S_OK, "file id, URL, path, 2 ranges, size in");
    hr = IDeliveryOptimizationJob_AddFileWithRanges(dj, L"file-id 2", L"http://do.example/b.bin", L"C:\\do\\b.bin", 0, NULL,
                                                    DO_UNKNOWN_FILE_SIZE);
    T(DOJOB, "AddFileWithRanges", hr == S_OK, "0 ranges with a NULL array ([unique]), DO_UNKNOWN_FILE_SIZE");
    hr = IDeliveryOptimizationJob_AddFileWithRanges(dj, L"x", L"http://do.example/c.bin", L"", 0, NULL, 0);
    T(DOJOB, "AddFileWithRanges", hr == E_INVALIDARG, "empty local name: E_INVALIDARG");

    /* IDeliveryOptimizationFile / File2 on the first DO file */
    IBackgroundCopyFile *f = nth_file(c->job0, before);
    IDeliveryOptimizationFile *df = NULL;
    IDeliveryOptimizationFile2 *df2 = NULL;
    IBackgroundCopyFile2 *f2 = NULL;
    if (f) {
        IBackgroundCopyFile_QueryInterface(f, &IID_IDeliveryOptimizationFile, (void **)&df);
        IBackgroundCopyFile_QueryInterface(f, &IID_IDeliveryOptimizationFile2, (void **)&df2);
        IBackgroundCopyFile_QueryInterface(f, &IID_IBackgroundCopyFile2, (void **)&f2);
    }
    DOSwarmStats st, want;
    memset(&st, 0, sizeof(st));
    memset(&want, 0, sizeof(want));
    echo_swarm_numbers(&want, before, 0x40000000ull);
    hr = df ? IDeliveryOptimizationFile_GetStats(df, &st) : E_NOINTERFACE;
    WCHAR *fid = st.fileId, *url = st.sourceURL;
    st.fileId = st.sourceURL = NULL;
    T(DOFILE, "GetStats", hr == S_OK && take_eq(fid, L"file-id \u00e9") && take_eq(url, L"http://do.example/a.bin")
                              && !memcmp(&st, &want, sizeof(st)),
      "struct with two [string] members and every counter out");
    DWORD count = 0;
    BG_FILE_RANGE *got = NULL;
    hr = f2 ? IBackgroundCopyFile2_GetFileRanges(f2, &count, &got) : E_NOINTERFACE;
    T(FILE2, "GetFileRanges", hr == S_OK && count == 2 && got && !memcmp(got, ranges, sizeof(ranges)), "ranges given to AddFileWithRanges");
    CoTaskMemFree(got);

    VARIANT v, in;
    VariantInit(&v);
    VariantInit(&in);
    hr = df2 ? IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_DecryptionInfo, &v) : E_NOINTERFACE;
    T(DOFILE2, "GetProperty", hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND) && V_VT(&v) == VT_EMPTY, "never set: E_NOT_SET, VT_EMPTY");
    V_VT(&in) = VT_BSTR;
    V_BSTR(&in) = SysAllocString(L"C:\\sink \u00e9\u4e2d.bin");
    T(DOFILE2, "SetProperty", df2 && IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_DownloadSinkFilePath, &in) == S_OK,
      "VT_BSTR in");
    T(DOFILE2, "GetProperty", df2 && IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_DownloadSinkFilePath, &v) == S_OK
                                  && variant_bstr_is(&v, V_BSTR(&in)),
      "VT_BSTR out");
    VariantClear(&in);
    V_VT(&in) = VT_BOOL;
    V_BOOL(&in) = VARIANT_TRUE;
    T(DOFILE2, "SetProperty", df2 && IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_IntegrityCheckMandatory, &in) == S_OK,
      "VT_BOOL in");
    T(DOFILE2, "GetProperty", df2 && IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_IntegrityCheckMandatory, &v) == S_OK
                                  && V_VT(&v) == VT_BOOL && V_BOOL(&v) == VARIANT_TRUE,
      "VT_BOOL out");
    VariantClear(&v);
    V_VT(&in) = VT_UI8;
    V_UI8(&in) = 0x1122334455667788ull;
    T(DOFILE2, "SetProperty", df2 && IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_TotalSizeBytes, &in) == S_OK,
      "VT_UI8 in");
    T(DOFILE2, "GetProperty", df2 && IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_TotalSizeBytes, &v) == S_OK
                                  && V_VT(&v) == VT_UI8 && V_UI8(&v) == 0x1122334455667788ull,
      "VT_UI8 out");
    VariantClear(&v);
    /* an interface pointer inside a VARIANT: a client object goes to the server and comes back */
    Sink obj = {.IBackgroundCopyCallback3_iface.lpVtbl = &sink_vtbl, .ref = 1};
    V_VT(&in) = VT_UNKNOWN;
    V_UNKNOWN(&in) = (IUnknown *)&obj.IBackgroundCopyCallback3_iface;
    T(DOFILE2, "SetProperty", df2 && IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_DownloadSinkInterface, &in) == S_OK,
      "VT_UNKNOWN (client object) in");
    hr = df2 ? IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_DownloadSinkInterface, &v) : E_NOINTERFACE;
    T(DOFILE2, "GetProperty", hr == S_OK && V_VT(&v) == VT_UNKNOWN && identity(V_UNKNOWN(&v)) == identity(V_UNKNOWN(&in)),
      "VT_UNKNOWN out is the client's own object");
    VariantClear(&v);
    V_VT(&in) = VT_EMPTY;
    T(DOFILE2, "SetProperty", df2 && IDeliveryOptimizationFile2_SetProperty(df2, DOFilePropertyId_DownloadSinkInterface, NULL) == S_FALSE,
      "NULL VARIANT pointer ([unique]): S_FALSE");
    hr = df2 ? IDeliveryOptimizationFile2_GetProperty(df2, DOFilePropertyId_DownloadSinkInterface, &v) : E_NOINTERFACE;
    T(DOFILE2, "GetProperty", hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND), "cleared by the NULL SetProperty");
    CHECK(obj.ref == 1, DOFILE2 "::SetProperty the server released the VT_UNKNOWN client object");
    hr = df2 ? IDeliveryOptimizationFile2_GetProperty(df2, (DOFilePropertyId)42, &v) : E_NOINTERFACE;
    T(DOFILE2, "GetProperty", hr == ECHO_DO_E_UNKNOWN_PROPERTY_ID, "unknown id: DO_E_UNKNOWN_PROPERTY_ID");
    if (df)
        IDeliveryOptimizationFile_Release(df);
    if (df2)
        IDeliveryOptimizationFile2_Release(df2);
    if (f2)
        IBackgroundCopyFile2_Release(f2);
    if (f)
        IBackgroundCopyFile_Release(f);

    /* IDeliveryOptimizationJob2 */
    void *obj_out = NULL;
    BG_FILE_RANGE r1 = {4096, 512};
    hr = IDeliveryOptimizationJob2_AddFile(dj2, L"id-2", L"http://do.example/2.bin", 1, &r1, &IID_IDeliveryOptimizationFile, &obj_out);
    memset(&st, 0, sizeof(st));
    HRESULT hr2 = obj_out ? IDeliveryOptimizationFile_GetStats((IDeliveryOptimizationFile *)obj_out, &st) : E_POINTER;
    T(DOJOB2, "AddFile", hr == S_OK && hr2 == S_OK && take_eq(st.fileId, L"id-2") && take_eq(st.sourceURL, L"http://do.example/2.bin"),
      "1 range in, IDeliveryOptimizationFile out (iid_is)");
    if (obj_out)
        IUnknown_Release((IUnknown *)obj_out), obj_out = NULL;
    hr = IDeliveryOptimizationJob2_AddFile(dj2, L"id-3", NULL, 0, NULL, &IID_IBackgroundCopyFile5, &obj_out);
    WCHAR *s = (WCHAR *)L"x";
    hr2 = obj_out ? IBackgroundCopyFile5_GetRemoteName((IBackgroundCopyFile5 *)obj_out, &s) : E_POINTER;
    T(DOJOB2, "AddFile", hr == S_OK && hr2 == S_OK && take_eq(s, NULL), "NULL URL and NULL ranges ([unique]), IBackgroundCopyFile5 out");
    if (obj_out)
        IUnknown_Release((IUnknown *)obj_out), obj_out = NULL;
    obj_out = (void *)(ULONG_PTR)1;
    hr = IDeliveryOptimizationJob2_AddFile(dj2, L"id-4", L"http://do.example/4.bin", 0, NULL, &IID_IBackgroundCopyJob, &obj_out);
    T(DOJOB2, "AddFile", hr == E_NOINTERFACE && obj_out == NULL, "wrong riid: E_NOINTERFACE and NULL");

    hr = IDeliveryOptimizationJob2_GetProperty(dj2, DOJobPropertyId_ExtendedErrorInfo, &v);
    T(DOJOB2, "GetProperty", hr == S_OK && variant_bstr_is(&v, L"{\"echo\":\"extended error info\"}"), "ExtendedErrorInfo: VT_BSTR out");
    V_VT(&in) = VT_BSTR;
    V_BSTR(&in) = SysAllocString(L"{\"\u00e9rreur\":42}");
    T(DOJOB2, "SetProperty", IDeliveryOptimizationJob2_SetProperty(dj2, DOJobPropertyId_ExtendedErrorInfo, &in) == S_OK, "VT_BSTR in");
    hr = IDeliveryOptimizationJob2_GetProperty(dj2, DOJobPropertyId_ExtendedErrorInfo, &v);
    T(DOJOB2, "GetProperty", hr == S_OK && variant_bstr_is(&v, V_BSTR(&in)), "VT_BSTR back");
    VariantClear(&in);
    V_VT(&in) = VT_I4;
    V_I4(&in) = -5;
    T(DOJOB2, "SetProperty", IDeliveryOptimizationJob2_SetProperty(dj2, (DOJobPropertyId)1, &in) == S_OK, "VT_I4 in");
    hr = IDeliveryOptimizationJob2_GetProperty(dj2, (DOJobPropertyId)1, &v);
    T(DOJOB2, "GetProperty", hr == S_OK && V_VT(&v) == VT_I4 && V_I4(&v) == -5, "VT_I4 back");
    VariantClear(&v);
    T(DOJOB2, "SetProperty", IDeliveryOptimizationJob2_SetProperty(dj2, (DOJobPropertyId)9, &in) == ECHO_DO_E_UNKNOWN_PROPERTY_ID,
      "unknown id: DO_E_UNKNOWN_PROPERTY_ID");
    hr = IDeliveryOptimizationJob2_GetProperty(dj2, (DOJobPropertyId)9, &v);
    T(DOJOB2, "GetProperty", hr == ECHO_DO_E_UNKNOWN_PROPERTY_ID && V_VT(&v) == VT_EMPTY, "unknown id: DO_E_UNKNOWN_PROPERTY_ID, VT_EMPTY");

    IDeliveryOptimizationJob_Release(dj);
    IDeliveryOptimizationJob2_Release(dj2);
}

/* IBackgroundCopyJobHttpOptions: the certificate in (20-byte [ref] hash) and out (size_is(, 20)
 * blob, two strings, an enum), NULL [unique] headers, S_FALSE, and 32-bit flags. */
static int cert_is(IBackgroundCopyJobHttpOptions *h, HRESULT want_hr, BG_CERT_STORE_LOCATION want_location,
                   const WCHAR *want_store, const BYTE *want_hash, const WCHAR *want_subject)
{
    BG_CERT_STORE_LOCATION location = (BG_CERT_STORE_LOCATION)5;
    WCHAR *store = (WCHAR *)L"x", *subject = (WCHAR *)L"x";
    byte *hash = (byte *)(ULONG_PTR)1;
    HRESULT hr = IBackgroundCopyJobHttpOptions_GetClientCertificate(h, &location, &store, &hash, &subject);
    if (hr != want_hr)
        printf("#   GetClientCertificate returned 0x%08lx\n", (unsigned long)hr);
    int ok = hr == want_hr && location == want_location;
    ok = take_eq(store, want_store) && ok;
    ok = take_eq(subject, want_subject) && ok;
    ok = ok && (want_hash ? hash && !memcmp(hash, want_hash, ECHO_CERT_HASH_SIZE) : hash == NULL);
    if (hash != (byte *)(ULONG_PTR)1)
        CoTaskMemFree(hash);
    return ok;
}

static int headers_are(IBackgroundCopyJobHttpOptions *h, HRESULT want_hr, const WCHAR *want)
{
    WCHAR *got = (WCHAR *)L"x";
    HRESULT hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(h, &got);
    return hr == want_hr && take_eq(got, want);
}

/* The long report of ExplainJob: "why job={GUID}" then ECHO_ADMIN_FILL up to ECHO_ADMIN_LONG. */
static int is_long_why(WCHAR *got, const WCHAR *head)
{
    size_t n = wcslen(head);
    int ok = got && wcslen(got) == ECHO_ADMIN_LONG && !wcsncmp(got, head, n);
    for (size_t i = n; ok && i < ECHO_ADMIN_LONG; i++)
        ok = got[i] == ECHO_ADMIN_FILL(i);
    CoTaskMemFree(got);
    return ok;
}

static void test_admin(Ctx *c)
{
    IOpendoAdmin *admin = NULL;
    HRESULT hr = IBackgroundCopyManager_QueryInterface(c->mgr, &IID_IOpendoAdmin, (void **)&admin);
    CHECK(hr == S_OK && admin, "IOpendoAdmin from the manager object (QueryInterface)");
    if (!admin)
        return;
    GUID job = echo_job_id(1);
    WCHAR want[200], id[40], *s = NULL;
    StringFromGUID2(&job, id, ARRAYSIZE(id));

    _snwprintf(want, ARRAYSIZE(want), L"status job=%ls", id);
    T(ADMIN, "GetStatus", IOpendoAdmin_GetStatus(admin, &job, &s) == S_OK && take_eq(s, want), "a job's GUID in, report out");
    s = NULL;
    T(ADMIN, "GetStatus", IOpendoAdmin_GetStatus(admin, NULL, &s) == S_OK && take_eq(s, L"status job=(null)"),
      "NULL job (every job) crosses as NULL");
    _snwprintf(want, ARRAYSIZE(want), L"why job=%ls", id);
    s = NULL;
    T(ADMIN, "ExplainJob", IOpendoAdmin_ExplainJob(admin, &job, &s) == S_OK && is_long_why(s, want),
      "a 300,000-character report comes back whole");
    s = NULL;
    T(ADMIN, "GetPerfSnap", IOpendoAdmin_GetPerfSnap(admin, &s) == S_OK && take_eq(s, ECHO_ADMIN_PERFSNAP),
      "CR/LF, CJK and a surrogate pair intact");
    s = NULL;
    T(ADMIN, "GetConfig", IOpendoAdmin_GetConfig(admin, &s) == S_OK && take_eq(s, ECHO_ADMIN_CONFIG), "report out");
    _snwprintf(want, ARRAYSIZE(want), L"log job=%ls since=2026-12-07T02 flags=1 max=4294967295", id);
    s = NULL;
    T(ADMIN, "ReadLog", IOpendoAdmin_ReadLog(admin, &job, L"2026-12-07T02", OPENDO_LOG_PROBLEMS_ONLY, 0xFFFFFFFFu, &s) == S_OK &&
          take_eq(s, want), "job, since, flags and line count in, lines out");
    s = NULL;
    T(ADMIN, "ReadLog", IOpendoAdmin_ReadLog(admin, NULL, NULL, 0, 0, &s) == S_OK &&
          take_eq(s, L"log job=(null) since=(null) flags=0 max=0"), "NULL job and since cross as NULL");
    s = NULL;
    T(ADMIN, "GetVersion", IOpendoAdmin_GetVersion(admin, &s) == S_OK && take_eq(s, ECHO_ADMIN_VERSION), "report out");
    T(ADMIN, "GetConfig", FAILED(IOpendoAdmin_GetConfig(admin, NULL)), "NULL out pointer: an error, not a crash");
    IOpendoAdmin_Release(admin);
}

static void test_http_options(Ctx *c)
{
    IBackgroundCopyJobHttpOptions *h = NULL;
    HRESULT hr = IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJobHttpOptions, (void **)&h);
    CHECK(hr == S_OK && h, HTTP " QueryInterface on the job");
    if (!h)
        return;
    IBackgroundCopyJob *back = NULL;
    IBackgroundCopyJobHttpOptions_QueryInterface(h, &IID_IBackgroundCopyJob, (void **)&back);
    CHECK(back && identity(back) == identity(c->job0) && job_id_is(back, 0), HTTP " QueryInterface back to the same job");
    if (back)
        IBackgroundCopyJob_Release(back);

    BYTE hash[ECHO_CERT_HASH_SIZE];
    for (int i = 0; i < ECHO_CERT_HASH_SIZE; i++)
        hash[i] = (BYTE)(i * 37 + 0xC3);
    hash[0] = 0xFF; /* 0xFF and 0x00 among them */
    hash[5] = 0x00;
    T(HTTP, "GetClientCertificate", cert_is(h, ECHO_E_NO_CERTIFICATE, BG_CERT_STORE_LOCATION_CURRENT_USER, NULL, NULL, NULL),
      "none set: error code, CURRENT_USER and three NULL outs");
    T(HTTP, "SetClientCertificateByID",
      IBackgroundCopyJobHttpOptions_SetClientCertificateByID(h, BG_CERT_STORE_LOCATION_LOCAL_MACHINE, L"MY \u00e9", hash) == S_OK,
      "enum, store name and 20-byte hash ([in, size_is(20), ref]) in");
    T(HTTP, "GetClientCertificate", cert_is(h, S_OK, BG_CERT_STORE_LOCATION_LOCAL_MACHINE, L"MY \u00e9", hash, NULL),
      "enum, store name and 20-byte hash (size_is(, 20)) out, NULL subject");
    T(HTTP, "SetClientCertificateByName",
      IBackgroundCopyJobHttpOptions_SetClientCertificateByName(h, BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE, L"Root",
                                                               L"CN=\u4e2d\u6587, O=echo \U0001F600") == S_OK,
      "enum 7, store and subject names in");
    T(HTTP, "GetClientCertificate",
      cert_is(h, S_OK, BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE, L"Root", NULL, L"CN=\u4e2d\u6587, O=echo \U0001F600"),
      "by name: subject out, NULL hash blob ([unique] inner pointer)");
    hr = IBackgroundCopyJobHttpOptions_SetClientCertificateByID(h, BG_CERT_STORE_LOCATION_USERS, L"MY", NULL);
    T(HTTP, "SetClientCertificateByID", FAILED(hr), "NULL hash (a [ref] array) fails in the proxy, no crash");
    if (FAILED(hr))
        printf("#   SetClientCertificateByID(NULL hash) returned 0x%08lx\n", (unsigned long)hr);
    T(HTTP, "RemoveClientCertificate", IBackgroundCopyJobHttpOptions_RemoveClientCertificate(h) == S_OK, "S_OK");
    T(HTTP, "RemoveClientCertificate", IBackgroundCopyJobHttpOptions_RemoveClientCertificate(h) == S_FALSE,
      "again: success code S_FALSE crosses");
    T(HTTP, "GetClientCertificate", cert_is(h, ECHO_E_NO_CERTIFICATE, BG_CERT_STORE_LOCATION_CURRENT_USER, NULL, NULL, NULL),
      "removed: error code and NULL outs");

    const WCHAR *headers = L"X-\u00e9t\u00e9: 1\r\nAccept: */*\r\n";
    T(HTTP, "GetCustomHeaders", headers_are(h, S_FALSE, NULL), "none set: S_FALSE and NULL");
    T(HTTP, "SetCustomHeaders", IBackgroundCopyJobHttpOptions_SetCustomHeaders(h, headers) == S_OK, "two CRLF lines, non-ASCII");
    T(HTTP, "GetCustomHeaders", headers_are(h, S_OK, headers), "the two lines back");
    T(HTTP, "SetCustomHeaders", IBackgroundCopyJobHttpOptions_SetCustomHeaders(h, g_long_text) == S_OK, "5000 characters");
    T(HTTP, "GetCustomHeaders", headers_are(h, S_OK, g_long_text), "5000 characters back");
    T(HTTP, "SetCustomHeaders", IBackgroundCopyJobHttpOptions_SetCustomHeaders(h, L"") == S_OK, "empty");
    T(HTTP, "GetCustomHeaders", headers_are(h, S_OK, L""), "empty back (S_OK, not NULL)");
    T(HTTP, "SetCustomHeaders", IBackgroundCopyJobHttpOptions_SetCustomHeaders(h, NULL) == S_OK, "NULL ([unique])");
    T(HTTP, "GetCustomHeaders", headers_are(h, S_FALSE, NULL), "after NULL: S_FALSE and NULL");

    ULONG flags = 77;
    T(HTTP, "GetSecurityFlags", IBackgroundCopyJobHttpOptions_GetSecurityFlags(h, &flags) == S_OK && flags == 0, "0 by default");
    T(HTTP, "SetSecurityFlags", IBackgroundCopyJobHttpOptions_SetSecurityFlags(h, 0xFFFFFFFFu) == S_OK, "0xFFFFFFFF");
    T(HTTP, "GetSecurityFlags", IBackgroundCopyJobHttpOptions_GetSecurityFlags(h, &flags) == S_OK && flags == 0xFFFFFFFFu,
      "0xFFFFFFFF back");
    ULONG mixed = BG_SSL_IGNORE_UNKNOWN_CA | BG_SSL_ENABLE_CRL_CHECK | BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT
                  | BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP;
    T(HTTP, "SetSecurityFlags", IBackgroundCopyJobHttpOptions_SetSecurityFlags(h, mixed) == S_OK,
      "IGNORE_UNKNOWN_CA|ENABLE_CRL_CHECK|ALLOW_REPORT|ALLOW_HTTPS_TO_HTTP");
    T(HTTP, "GetSecurityFlags", IBackgroundCopyJobHttpOptions_GetSecurityFlags(h, &flags) == S_OK && flags == mixed, "0x909 back");
    IBackgroundCopyJobHttpOptions_Release(h);
}

/* ------------------------------------------------------------------------------------------ */
/* The BITS-only interfaces: File6, HttpOptions2/3, the certificate callback, Callback3,         */
/* IBitsTokenOptions, and the peer-cache five                                                   */

#define FILE6 "IBackgroundCopyFile6"
#define HTTP2 "IBackgroundCopyJobHttpOptions2"
#define HTTP3 "IBackgroundCopyJobHttpOptions3"
#define CB3 "IBackgroundCopyCallback3"
#define CERTCB "IBackgroundCopyServerCertificateValidationCallback"
#define TOKEN "IBitsTokenOptions"
#define PCADMIN "IBitsPeerCacheAdministration"
#define PCREC "IBitsPeerCacheRecord"
#define PEER "IBitsPeer"
#define EPCREC "IEnumBitsPeerCacheRecords"
#define EPEER "IEnumBitsPeers"

/* Ranges of every shape: offset 0, a 64-bit offset, a range to the end of the file. */
static const BG_FILE_RANGE g_file6_ranges[] = {
    {0, 1},
    {0x123456789ABCull, 0x10000ull},
    {0xFFFFFFFF00000000ull, BG_LENGTH_TO_EOF},
};

static int filled_are(IBackgroundCopyFile6 *f, HRESULT want_hr, const BG_FILE_RANGE *want, DWORD nwant)
{
    DWORD n = 99;
    BG_FILE_RANGE *got = (BG_FILE_RANGE *)(ULONG_PTR)1;
    HRESULT hr = IBackgroundCopyFile6_GetFilledFileRanges(f, &n, &got);
    int ok = hr == want_hr && n == nwant && (nwant ? got && !memcmp(got, want, nwant * sizeof(*got)) : got == NULL);
    if (got != (BG_FILE_RANGE *)(ULONG_PTR)1)
        CoTaskMemFree(got);
    return ok;
}

static void test_file6(Ctx *c)
{
    IBackgroundCopyFile *f = nth_file(c->job0, 0);
    IBackgroundCopyFile6 *f6 = NULL;
    if (!f || FAILED(IBackgroundCopyFile_QueryInterface(f, &IID_IBackgroundCopyFile6, (void **)&f6))) {
        CHECK(0, FILE6 " QueryInterface on a file");
        if (f)
            IBackgroundCopyFile_Release(f);
        return;
    }
    const DWORD n = ARRAYSIZE(g_file6_ranges);
    T(FILE6, "GetFilledFileRanges", filled_are(f6, S_FALSE, NULL, 0), "none yet: S_FALSE, 0 and NULL");
    T(FILE6, "RequestFileRanges", IBackgroundCopyFile6_RequestFileRanges(f6, 1, g_file6_ranges) == S_OK, "one range in");
    T(FILE6, "RequestFileRanges", IBackgroundCopyFile6_RequestFileRanges(f6, n - 1, g_file6_ranges + 1) == S_OK,
      "a 64-bit offset and a range to EOF in");
    T(FILE6, "RequestFileRanges", IBackgroundCopyFile6_RequestFileRanges(f6, 0, g_file6_ranges) == E_INVALIDARG,
      "no range: E_INVALIDARG");
    T(FILE6, "GetFilledFileRanges", filled_are(f6, S_OK, g_file6_ranges, n), "the three ranges back ([out, size_is(, *count)])");
    T(FILE6, "UpdateDownloadPosition", IBackgroundCopyFile6_UpdateDownloadPosition(f6, 0xFEDCBA9876543210ull) == S_OK
                                           && take_eq(last_call(c->mgr), L"UpdateDownloadPosition file=0 offset=18364758544493064720"),
      "a UINT64 above 2^63 in");
    IBackgroundCopyFile6_Release(f6);
    IBackgroundCopyFile_Release(f);
}

static void test_http_options_2_3(Ctx *c)
{
    IBackgroundCopyJobHttpOptions2 *h2 = NULL;
    IBackgroundCopyJobHttpOptions3 *h3 = NULL;
    WCHAR *s = NULL;
    IBackgroundCopyJob_QueryInterface(c->job1, &IID_IBackgroundCopyJobHttpOptions2, (void **)&h2);
    IBackgroundCopyJob_QueryInterface(c->job0, &IID_IBackgroundCopyJobHttpOptions3, (void **)&h3);
    CHECK(h2 && h3, HTTP2 " and " HTTP3 " QueryInterface on jobs");
    if (!h2 || !h3)
        goto out;
    T(HTTP2, "GetHttpMethod", IBackgroundCopyJobHttpOptions2_GetHttpMethod(h2, &s) == S_OK && take_eq(s, ECHO_METHOD_DOWNLOAD),
      "download job: GET");
    s = NULL;
    T(HTTP2, "GetHttpMethod", IBackgroundCopyJobHttpOptions3_GetHttpMethod(h3, &s) == S_OK && take_eq(s, ECHO_METHOD_UPLOAD),
      "upload-reply job: BITS_POST (through HttpOptions3)");
    T(HTTP2, "SetHttpMethod", IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, L"PROPFIND") == S_OK, "PROPFIND in");
    s = NULL;
    T(HTTP2, "SetHttpMethod", IBackgroundCopyJobHttpOptions2_GetHttpMethod(h2, &s) == S_OK && take_eq(s, L"PROPFIND"), "PROPFIND back");
    T(HTTP2, "SetHttpMethod", IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, g_long_text) == S_OK, "5000 characters in");
    s = NULL;
    T(HTTP2, "SetHttpMethod", IBackgroundCopyJobHttpOptions2_GetHttpMethod(h2, &s) == S_OK && take_eq(s, g_long_text),
      "5000 characters back");
    T(HTTP2, "SetHttpMethod", IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, L"") == E_INVALIDARG, "empty: E_INVALIDARG");
    HRESULT hr = IBackgroundCopyJobHttpOptions2_SetHttpMethod(h2, NULL);
    T(HTTP2, "SetHttpMethod", FAILED(hr), "NULL (a [ref] string) fails in the proxy, no crash");
    printf("#   SetHttpMethod(NULL) returned 0x%08lx\n", (unsigned long)hr);

    /* The certificate callback and Callback3, both called from Resume. */
    IBackgroundCopyFile *f0 = nth_file(c->job0, 0);
    WCHAR *remote0 = NULL;
    if (f0) {
        IBackgroundCopyFile_GetRemoteName(f0, &remote0);
        IBackgroundCopyFile_Release(f0);
    }
    Sink sink = {.IBackgroundCopyCallback3_iface.lpVtbl = &sink_vtbl, .ref = 1};
    sink.expect_name = NAME0;
    sink.expect_file = remote0;
    sink.expect_id = echo_job_id(0);
    sink.expect_ranges = g_file6_ranges;
    sink.expect_nranges = ARRAYSIZE(g_file6_ranges);
    CertSink cert = {.iface.lpVtbl = &cert_sink_vtbl, .ref = 1, .job = &sink};
    IUnknown *sink_unk = (IUnknown *)&sink.IBackgroundCopyCallback3_iface, *cert_unk = (IUnknown *)&cert.iface;
    T(HTTP3, "SetServerCertificateValidationInterface",
      IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(h3, sink_unk) == E_NOINTERFACE,
      "an object that is not a certificate callback: E_NOINTERFACE (the server's QueryInterface crossed back)");
    T(HTTP3, "SetServerCertificateValidationInterface",
      IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(h3, cert_unk) == S_OK, "the client's callback object in");
    IBackgroundCopyJob_SetNotifyInterface(c->job0, sink_unk);
    IBackgroundCopyJob_SetNotifyFlags(c->job0, BG_NOTIFY_FILE_RANGES_TRANSFERRED);
    hr = IBackgroundCopyJob_Resume(c->job0);
    CHECK_HR(hr, ECHO_RESUME_CALLBACKS_OK, "Resume: the server called both callbacks and got the agreed codes back");
    exercised(CERTCB, "ValidateServerCertificate");
    exercised(CB3, "FileRangesTransferred");
    CHECK(cert.calls == 1 && cert.calls_ok == 1,
          CERTCB "::ValidateServerCertificate job and file proxies, 1337-byte certificate, encoding, 4099-byte store in");
    CHECK(sink.ranges == 1 && sink.ranges_ok == 1, CB3 "::FileRangesTransferred job and file proxies, the three ranges in");
    IBackgroundCopyJob_SetNotifyInterface(c->job0, NULL);
    T(HTTP3, "SetServerCertificateValidationInterface",
      IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(h3, NULL) == S_OK, "NULL ([unique]) removes it");
    T(HTTP3, "SetServerCertificateValidationInterface", IBackgroundCopyJob_Resume(c->job0) == S_OK && cert.calls == 1,
      "after NULL, Resume calls nothing");
    CHECK(sink.ref == 1 && cert.ref == 1, "Callback3 and certificate callback objects: every reference the server took was released");
    CoTaskMemFree(remote0);

    IBackgroundCopyJobHttpOptions3_SetCustomHeaders(h3, L"Authorization: Bearer \u00e9");
    T(HTTP3, "MakeCustomHeadersWriteOnly", IBackgroundCopyJobHttpOptions3_MakeCustomHeadersWriteOnly(h3) == S_OK, "S_OK");
    T(HTTP3, "MakeCustomHeadersWriteOnly", headers_are((IBackgroundCopyJobHttpOptions *)h3, E_ACCESSDENIED, NULL),
      "then GetCustomHeaders: E_ACCESSDENIED and NULL");
out:
    if (h2)
        IBackgroundCopyJobHttpOptions2_Release(h2);
    if (h3)
        IBackgroundCopyJobHttpOptions3_Release(h3);
}

static int sid_is(IBitsTokenOptions *t, const WCHAR *want)
{
    WCHAR *s = (WCHAR *)L"x";
    return IBitsTokenOptions_GetHelperTokenSid(t, &s) == S_OK && take_eq(s, want);
}

static void test_token_options(Ctx *c)
{
    IBitsTokenOptions *t = NULL;
    HRESULT hr = IBackgroundCopyJob_QueryInterface(c->job1, &IID_IBitsTokenOptions, (void **)&t);
    CHECK(hr == S_OK && t, TOKEN " QueryInterface on a job");
    if (!t)
        return;
    DWORD flags = 99;
    T(TOKEN, "GetHelperTokenFlags", IBitsTokenOptions_GetHelperTokenFlags(t, &flags) == S_OK && flags == 0, "0 by default");
    T(TOKEN, "SetHelperTokenFlags", IBitsTokenOptions_SetHelperTokenFlags(t, BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK) == S_OK,
      "LOCAL_FILE|NETWORK");
    T(TOKEN, "GetHelperTokenFlags", IBitsTokenOptions_GetHelperTokenFlags(t, &flags) == S_OK && flags == 3, "3 back");
    T(TOKEN, "SetHelperTokenFlags", IBitsTokenOptions_SetHelperTokenFlags(t, 0x80000004u) == E_INVALIDARG, "unknown bits: E_INVALIDARG");
    T(TOKEN, "GetHelperTokenSid", sid_is(t, NULL), "no token: S_OK and NULL");
    T(TOKEN, "SetHelperToken", IBitsTokenOptions_SetHelperToken(t) == S_OK, "S_OK");
    T(TOKEN, "GetHelperTokenSid", sid_is(t, ECHO_OWNER), "the token's SID out");
    T(TOKEN, "ClearHelperToken", IBitsTokenOptions_ClearHelperToken(t) == S_OK && sid_is(t, NULL), "S_OK, then no SID");
    IBitsTokenOptions_Release(t);
}

/* Every method of a record, against the server's n-th record. */
static int record_is(IBitsPeerCacheRecord *r, unsigned n)
{
    GUID id, want_id = echo_record_id(n);
    WCHAR *url = NULL, want_url[64];
    UINT64 size = 0;
    FILETIME mtime = {0}, atime = {0}, want_mtime = echo_record_time(n, 0), want_atime = echo_record_time(n, 1);
    DWORD count = 0;
    BG_FILE_RANGE *ranges = NULL;
    echo_record_url(n, want_url);
    int ok = r && IBitsPeerCacheRecord_GetId(r, &id) == S_OK && IsEqualGUID(&id, &want_id);
    ok = ok && IBitsPeerCacheRecord_GetOriginUrl(r, &url) == S_OK && take_eq(url, want_url);
    ok = ok && IBitsPeerCacheRecord_GetFileSize(r, &size) == S_OK && size == echo_record_size(n);
    ok = ok && IBitsPeerCacheRecord_GetFileModificationTime(r, &mtime) == S_OK && !memcmp(&mtime, &want_mtime, sizeof(mtime));
    ok = ok && IBitsPeerCacheRecord_GetLastAccessTime(r, &atime) == S_OK && !memcmp(&atime, &want_atime, sizeof(atime));
    ok = ok && IBitsPeerCacheRecord_IsFileValidated(r) == (echo_record_validated(n) ? S_OK : S_FALSE);
    ok = ok && IBitsPeerCacheRecord_GetFileRanges(r, &count, &ranges) == S_OK && count == echo_record_nranges(n) && ranges;
    for (DWORD k = 0; ok && k < count; k++) {
        BG_FILE_RANGE want = echo_record_range(n, k);
        ok = !memcmp(&ranges[k], &want, sizeof(want));
    }
    CoTaskMemFree(ranges);
    const char *methods[] = {"GetId", "GetOriginUrl", "GetFileSize", "GetFileModificationTime", "GetLastAccessTime",
                             "IsFileValidated", "GetFileRanges"};
    for (size_t i = 0; i < ARRAYSIZE(methods); i++)
        exercised(PCREC, methods[i]);
    return ok;
}

static int peer_is(IBitsPeer *p, unsigned n)
{
    WCHAR *name = NULL, want[64];
    BOOL auth = 7, online = 7;
    echo_peer_name(n, want);
    exercised(PEER, "GetPeerName");
    exercised(PEER, "IsAuthenticated");
    exercised(PEER, "IsAvailable");
    return p && IBitsPeer_GetPeerName(p, &name) == S_OK && take_eq(name, want) && IBitsPeer_IsAuthenticated(p, &auth) == S_OK
           && auth == echo_peer_authenticated(n) && IBitsPeer_IsAvailable(p, &online) == S_OK && online == echo_peer_available(n);
}

static ULONG record_count(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeerCacheRecords *e = NULL;
    ULONG n = 99;
    if (FAILED(IBitsPeerCacheAdministration_EnumRecords(a, &e)) || !e)
        return 99;
    IEnumBitsPeerCacheRecords_GetCount(e, &n);
    IEnumBitsPeerCacheRecords_Release(e);
    return n;
}

static ULONG peer_count(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeers *e = NULL;
    ULONG n = 99;
    if (FAILED(IBitsPeerCacheAdministration_EnumPeers(a, &e)) || !e)
        return 99;
    IEnumBitsPeers_GetCount(e, &n);
    IEnumBitsPeers_Release(e);
    return n;
}

static void test_peer_records(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeerCacheRecords *e = NULL, *clone = NULL;
    IBitsPeerCacheRecord *r[4] = {0};
    ULONG n = 0, fetched = 99;
    T(PCADMIN, "EnumRecords", IBitsPeerCacheAdministration_EnumRecords(a, &e) == S_OK && e, "an enumerator out");
    if (!e)
        return;
    T(EPCREC, "GetCount", IEnumBitsPeerCacheRecords_GetCount(e, &n) == S_OK && n == ECHO_NRECORDS, "3 records");
    HRESULT hr = IEnumBitsPeerCacheRecords_Next(e, 2, r, &fetched);
    T(EPCREC, "Next", hr == S_OK && fetched == 2 && record_is(r[0], 0) && record_is(r[1], 1),
      "celt=2: records 0 and 1, every " PCREC " method on each");
    for (int i = 0; i < 4; i++)
        if (r[i])
            IBitsPeerCacheRecord_Release(r[i]), r[i] = NULL;
    T(EPCREC, "Reset", IEnumBitsPeerCacheRecords_Reset(e) == S_OK, "S_OK");
    T(EPCREC, "Skip", IEnumBitsPeerCacheRecords_Skip(e, 2) == S_OK, "2: S_OK");
    T(EPCREC, "Clone", IEnumBitsPeerCacheRecords_Clone(e, &clone) == S_OK && clone, "an enumerator out");
    if (clone) {
        fetched = 99;
        hr = IEnumBitsPeerCacheRecords_Next(clone, 4, r, &fetched);
        T(EPCREC, "Clone", hr == S_FALSE && fetched == 1 && record_is(r[0], 2), "keeps the position (Next(4): S_FALSE, record 2)");
        if (r[0])
            IBitsPeerCacheRecord_Release(r[0]), r[0] = NULL;
        IEnumBitsPeerCacheRecords_Release(clone);
    }
    T(EPCREC, "Skip", IEnumBitsPeerCacheRecords_Skip(e, 5) == S_FALSE, "past the end: S_FALSE");
    IEnumBitsPeerCacheRecords_Release(e);

    GUID id = echo_record_id(1);
    IBitsPeerCacheRecord *one = NULL;
    T(PCADMIN, "GetRecord", IBitsPeerCacheAdministration_GetRecord(a, &id, &one) == S_OK && record_is(one, 1), "by GUID: record 1");
    if (one)
        IBitsPeerCacheRecord_Release(one);
    one = (IBitsPeerCacheRecord *)(ULONG_PTR)1;
    GUID unknown = CLSID_OpendoEchoServer;
    T(PCADMIN, "GetRecord", IBitsPeerCacheAdministration_GetRecord(a, &unknown, &one) == ECHO_BG_E_NOT_FOUND && one == NULL,
      "unknown GUID: BG_E_NOT_FOUND and NULL");
    id = echo_record_id(0);
    T(PCADMIN, "DeleteRecord", IBitsPeerCacheAdministration_DeleteRecord(a, &id) == S_OK && record_count(a) == 2, "record 0 goes");
    T(PCADMIN, "DeleteRecord", IBitsPeerCacheAdministration_DeleteRecord(a, &id) == ECHO_BG_E_NOT_FOUND, "again: BG_E_NOT_FOUND");
    WCHAR url[64];
    echo_record_url(2, url);
    T(PCADMIN, "DeleteUrl", IBitsPeerCacheAdministration_DeleteUrl(a, url) == S_OK && record_count(a) == 1, "non-ASCII URL in: record 2 goes");
    T(PCADMIN, "DeleteUrl", IBitsPeerCacheAdministration_DeleteUrl(a, url) == ECHO_BG_E_NOT_FOUND, "again: BG_E_NOT_FOUND");
    T(PCADMIN, "ClearRecords", IBitsPeerCacheAdministration_ClearRecords(a) == S_OK && record_count(a) == 0, "S_OK, none left");
    T(PCADMIN, "ClearRecords", IBitsPeerCacheAdministration_ClearRecords(a) == S_FALSE, "again: S_FALSE");
    e = NULL;
    fetched = 99;
    T(EPCREC, "Next", IBitsPeerCacheAdministration_EnumRecords(a, &e) == S_OK && e
                          && IEnumBitsPeerCacheRecords_Next(e, 1, r, &fetched) == S_FALSE && fetched == 0 && !r[0],
      "empty enumerator: S_FALSE, 0 fetched");
    if (e)
        IEnumBitsPeerCacheRecords_Release(e);
}

static void test_peers(IBitsPeerCacheAdministration *a)
{
    IEnumBitsPeers *e = NULL, *clone = NULL;
    IBitsPeer *p[3] = {0};
    ULONG n = 0, fetched = 99;
    T(PCADMIN, "EnumPeers", IBitsPeerCacheAdministration_EnumPeers(a, &e) == S_OK && e, "an enumerator out");
    if (!e)
        return;
    T(EPEER, "GetCount", IEnumBitsPeers_GetCount(e, &n) == S_OK && n == ECHO_NPEERS, "2 peers");
    HRESULT hr = IEnumBitsPeers_Next(e, 3, p, &fetched);
    T(EPEER, "Next", hr == S_FALSE && fetched == 2 && peer_is(p[0], 0) && peer_is(p[1], 1),
      "celt=3: S_FALSE, peers 0 and 1, every " PEER " method on each");
    for (int i = 0; i < 3; i++)
        if (p[i])
            IBitsPeer_Release(p[i]), p[i] = NULL;
    T(EPEER, "Reset", IEnumBitsPeers_Reset(e) == S_OK, "S_OK");
    T(EPEER, "Skip", IEnumBitsPeers_Skip(e, 1) == S_OK, "1: S_OK");
    T(EPEER, "Clone", IEnumBitsPeers_Clone(e, &clone) == S_OK && clone, "an enumerator out");
    if (clone) {
        hr = IEnumBitsPeers_Next(clone, 1, p, NULL);
        T(EPEER, "Next", hr == S_OK && peer_is(p[0], 1), "celt=1 with NULL pceltFetched, on the clone: peer 1");
        if (p[0])
            IBitsPeer_Release(p[0]), p[0] = NULL;
        IEnumBitsPeers_Release(clone);
    }
    T(EPEER, "Skip", IEnumBitsPeers_Skip(e, 2) == S_FALSE, "past the end: S_FALSE");
    IEnumBitsPeers_Release(e);
    T(PCADMIN, "ClearPeers", IBitsPeerCacheAdministration_ClearPeers(a) == S_OK && peer_count(a) == 0, "S_OK, none left");
    T(PCADMIN, "ClearPeers", IBitsPeerCacheAdministration_ClearPeers(a) == S_FALSE, "again: S_FALSE");
    T(PCADMIN, "DiscoverPeers", IBitsPeerCacheAdministration_DiscoverPeers(a) == S_OK && peer_count(a) == ECHO_NPEERS, "2 peers again");
}

static void test_peer_cache(Ctx *c)
{
    IBitsPeerCacheAdministration *a = NULL;
    HRESULT hr = IBackgroundCopyManager_QueryInterface(c->mgr, &IID_IBitsPeerCacheAdministration, (void **)&a);
    CHECK(hr == S_OK && a, PCADMIN " from the manager object (QueryInterface)");
    if (!a)
        return;
    DWORD v = 0;
    ULONG age = 0;
    T(PCADMIN, "GetMaximumCacheSize", IBitsPeerCacheAdministration_GetMaximumCacheSize(a, &v) == S_OK && v == ECHO_PEER_CACHE_SIZE,
      "DWORD out");
    T(PCADMIN, "SetMaximumCacheSize", IBitsPeerCacheAdministration_SetMaximumCacheSize(a, 0xFFFFFFFFu) == S_OK
                                          && IBitsPeerCacheAdministration_GetMaximumCacheSize(a, &v) == S_OK && v == 0xFFFFFFFFu,
      "0xFFFFFFFF in and back");
    T(PCADMIN, "GetMaximumContentAge", IBitsPeerCacheAdministration_GetMaximumContentAge(a, &age) == S_OK && age == ECHO_PEER_CONTENT_AGE,
      "ULONG out");
    T(PCADMIN, "SetMaximumContentAge", IBitsPeerCacheAdministration_SetMaximumContentAge(a, 0x80000001u) == S_OK
                                           && IBitsPeerCacheAdministration_GetMaximumContentAge(a, &age) == S_OK && age == 0x80000001u,
      "0x80000001 in and back");
    T(PCADMIN, "GetConfigurationFlags", IBitsPeerCacheAdministration_GetConfigurationFlags(a, &v) == S_OK && v == ECHO_PEER_CONFIG_FLAGS,
      "flags out");
    T(PCADMIN, "SetConfigurationFlags", IBitsPeerCacheAdministration_SetConfigurationFlags(a, BG_ENABLE_PEERCACHING_SERVER) == S_OK
                                            && IBitsPeerCacheAdministration_GetConfigurationFlags(a, &v) == S_OK
                                            && v == BG_ENABLE_PEERCACHING_SERVER,
      "ENABLE_PEERCACHING_SERVER in and back");
    test_peer_records(a);
    test_peers(a);
    IBitsPeerCacheAdministration_Release(a);
}

/* ------------------------------------------------------------------------------------------ */
/* IDOManager / IDODownload / IDODownloadStatusCallback                                        */

#define DOMGR "IDOManager"
#define DL "IDODownload"
#define DLCB "IDODownloadStatusCallback"

/* The SDK's x64 layouts (do-api.md section 12): clients size DO_DOWNLOAD_RANGES_INFO as
 * FIELD_OFFSET(DO_DOWNLOAD_RANGES_INFO, Ranges[n]) = 8 + 16n. */
_Static_assert(FIELD_OFFSET(DO_DOWNLOAD_RANGES_INFO, Ranges) == 8, "Ranges at offset 8");
_Static_assert(sizeof(DO_DOWNLOAD_RANGE) == 16 && sizeof(DO_DOWNLOAD_RANGES_INFO) == 24, "range sizes");
_Static_assert(sizeof(DO_DOWNLOAD_STATUS) == 32 && FIELD_OFFSET(DO_DOWNLOAD_STATUS, ExtendedError) == 24, "status layout");
_Static_assert(sizeof(DO_DOWNLOAD_ENUM_CATEGORY) == 16 && FIELD_OFFSET(DO_DOWNLOAD_ENUM_CATEGORY, Value) == 8, "category layout");

/* The client's IDODownloadStatusCallback: each call must carry the expected download (the
 * client's own proxy of it, or NULL) and status, and the download argument must work (GetStatus
 * through it, a call back into the server from inside the callback). */
typedef struct StatusSink {
    IDODownloadStatusCallback IDODownloadStatusCallback_iface;
    LONG ref;
    IUnknown *expect_download; /* identity, or NULL when the server must pass NULL */
    unsigned expect_index;
    DODownloadState expect_state;
    LONG calls, ok;
} StatusSink;

static inline StatusSink *status_sink_from(IDODownloadStatusCallback *i) { return CONTAINING_RECORD(i, StatusSink, IDODownloadStatusCallback_iface); }

static HRESULT STDMETHODCALLTYPE status_sink_QueryInterface(IDODownloadStatusCallback *iface, REFIID riid, void **ppv)
{
    *ppv = NULL;
    if (!IsEqualIID(riid, &IID_IUnknown) && !IsEqualIID(riid, &IID_IDODownloadStatusCallback))
        return E_NOINTERFACE;
    *ppv = iface;
    InterlockedIncrement(&status_sink_from(iface)->ref);
    return S_OK;
}
static ULONG STDMETHODCALLTYPE status_sink_AddRef(IDODownloadStatusCallback *iface) { return InterlockedIncrement(&status_sink_from(iface)->ref); }
static ULONG STDMETHODCALLTYPE status_sink_Release(IDODownloadStatusCallback *iface) { return InterlockedDecrement(&status_sink_from(iface)->ref); }

static HRESULT STDMETHODCALLTYPE status_sink_OnStatusChange(IDODownloadStatusCallback *iface, IDODownload *download,
                                                            const DO_DOWNLOAD_STATUS *status)
{
    StatusSink *s = status_sink_from(iface);
    DO_DOWNLOAD_STATUS want = echo_download_status(s->expect_index, s->expect_state), now;
    InterlockedIncrement(&s->calls);
    int ok = status && echo_status_eq(status, &want);
    if (s->expect_download)
        ok = ok && download && identity(download) == s->expect_download && IDODownload_GetStatus(download, &now) == S_OK
             && echo_status_eq(&now, &want);
    else
        ok = ok && !download;
    if (ok)
        InterlockedIncrement(&s->ok);
    return ECHO_CB_STATUS_HR;
}

static const IDODownloadStatusCallbackVtbl status_sink_vtbl = {
    .QueryInterface = status_sink_QueryInterface,
    .AddRef = status_sink_AddRef,
    .Release = status_sink_Release,
    .OnStatusChange = status_sink_OnStatusChange,
};

static int status_is(IDODownload *d, unsigned index, DODownloadState state)
{
    DO_DOWNLOAD_STATUS got, want = echo_download_status(index, state);
    memset(&got, 0xCC, sizeof(got));
    return IDODownload_GetStatus(d, &got) == S_OK && echo_status_eq(&got, &want);
}

static int id_is(IDODownload *d, unsigned index)
{
    WCHAR want[37];
    VARIANT v;
    echo_download_id(index, want);
    VariantInit(&v);
    return d && IDODownload_GetProperty(d, DODownloadProperty_Id, &v) == S_OK && variant_bstr_is(&v, want);
}

/* GetProperty with an out VARIANT pre-filled with a VT_UI4, so that VT_EMPTY must really come
 * back over the wire. */
static HRESULT get_prop(IDODownload *d, DODownloadProperty id, VARIANT *v)
{
    VariantInit(v);
    V_VT(v) = VT_UI4;
    V_UI4(v) = 0xDEADBEEFu;
    return IDODownload_GetProperty(d, id, v);
}

/* SetProperty then GetProperty of one value, checked on both sides: the server's log of what it
 * received (echo_describe_property) must equal the client's description of what it sent, and the
 * value read back must describe the same (and, for VT_UNKNOWN, be the client's own object). */
static void prop_round_trip(IDODownload *d, IBackgroundCopyManager *m, DODownloadProperty id, VARIANT *in, const char *what)
{
    WCHAR want[128], back[128];
    VARIANT out;
    char name[200];
    echo_describe_property(id, in, want);
    HRESULT hr = IDODownload_SetProperty(d, id, in);
    snprintf(name, sizeof(name), DL "::SetProperty %s in (server saw the same value)", what);
    exercised(DL, "SetProperty");
    CHECK(hr == S_OK && take_eq(last_call(m), want), name);
    hr = get_prop(d, id, &out);
    echo_describe_property(id, &out, back);
    int same = hr == S_OK && !wcscmp(back, want)
               && (V_VT(in) != VT_UNKNOWN || identity(V_UNKNOWN(&out)) == identity(V_UNKNOWN(in)));
    snprintf(name, sizeof(name), DL "::GetProperty %s back", what);
    exercised(DL, "GetProperty");
    CHECK(same, name);
    if (!same)
        printf("#   hr 0x%08lx, got \"%ls\", want \"%ls\"\n", (unsigned long)hr, back, want);
    VariantClear(&out);
}

static void test_download_properties(IDODownload *d, IBackgroundCopyManager *m, StatusSink *sink, IStream *stm)
{
    VARIANT v;
    HRESULT hr;
    VariantInit(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(L"https://dl.example/\u00e9\u4e2d/\U0001F600.bin");
    prop_round_trip(d, m, DODownloadProperty_Uri, &v, "Uri: VT_BSTR, non-ASCII with a surrogate pair");
    VariantClear(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(g_long_text);
    prop_round_trip(d, m, DODownloadProperty_DisplayName, &v, "DisplayName: VT_BSTR of 5000 characters");
    VariantClear(&v);
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(L"");
    prop_round_trip(d, m, DODownloadProperty_LocalPath, &v, "LocalPath: empty VT_BSTR");
    VariantClear(&v);
    V_VT(&v) = VT_UI4;
    V_UI4(&v) = DODownloadCostPolicy_NoSurcharge;
    prop_round_trip(d, m, DODownloadProperty_CostPolicy, &v, "CostPolicy: VT_UI4");
    V_UI4(&v) = 0xFFFFFFFFu;
    prop_round_trip(d, m, DODownloadProperty_NoProgressTimeoutSeconds, &v, "NoProgressTimeoutSeconds: VT_UI4 0xFFFFFFFF");
    V_VT(&v) = VT_UI8;
    V_UI8(&v) = 0xFEDCBA9876543210ull;
    prop_round_trip(d, m, DODownloadProperty_TotalSizeBytes, &v, "TotalSizeBytes: VT_UI8 above 2^63");
    V_VT(&v) = VT_BOOL;
    V_BOOL(&v) = VARIANT_TRUE;
    prop_round_trip(d, m, DODownloadProperty_ForegroundPriority, &v, "ForegroundPriority: VT_BOOL TRUE");
    V_BOOL(&v) = VARIANT_FALSE;
    prop_round_trip(d, m, DODownloadProperty_NonVolatile, &v, "NonVolatile: VT_BOOL FALSE");

    SAFEARRAY *sa = SafeArrayCreateVector(VT_UI1, 0, 300);
    BYTE *bytes = NULL;
    if (sa && SUCCEEDED(SafeArrayAccessData(sa, (void **)&bytes))) {
        for (unsigned i = 0; i < 300; i++)
            bytes[i] = (BYTE)(i * 7u + 3u); /* every byte value, 0x00 and 0xFF included */
        SafeArrayUnaccessData(sa);
    }
    V_VT(&v) = VT_ARRAY | VT_UI1;
    V_ARRAY(&v) = sa;
    prop_round_trip(d, m, DODownloadProperty_SecurityContext, &v, "SecurityContext: VT_ARRAY|VT_UI1 of 300 bytes");
    VariantClear(&v);

    V_VT(&v) = VT_UNKNOWN;
    V_UNKNOWN(&v) = (IUnknown *)&sink->IDODownloadStatusCallback_iface;
    prop_round_trip(d, m, DODownloadProperty_CallbackInterface, &v, "CallbackInterface: VT_UNKNOWN (the client's callback)");
    V_UNKNOWN(&v) = (IUnknown *)stm;
    prop_round_trip(d, m, DODownloadProperty_StreamInterface, &v, "StreamInterface: VT_UNKNOWN (a client IStream)");

    /* what the server sets itself, and the error paths (all leave VT_EMPTY) */
    hr = get_prop(d, DODownloadProperty_HttpStatusCode, &v);
    T(DL, "GetProperty", hr == S_OK && V_VT(&v) == VT_UI4 && V_UI4(&v) == ECHO_HTTP_STATUS, "HttpStatusCode: VT_UI4 set by the server");
    hr = get_prop(d, DODownloadProperty_HttpResponseHeaders, &v);
    T(DL, "GetProperty", hr == S_OK && variant_bstr_is(&v, ECHO_HTTP_HEADERS), "HttpResponseHeaders: VT_BSTR with CR/LF set by the server");
    hr = get_prop(d, DODownloadProperty_HttpRedirectionTarget, &v);
    T(DL, "GetProperty", hr == S_OK && variant_bstr_is(&v, ECHO_HTTP_REDIRECT), "HttpRedirectionTarget: VT_BSTR set by the server");
    hr = get_prop(d, DODownloadProperty_HttpServerIPAddress, &v);
    T(DL, "GetProperty", hr == S_OK && variant_bstr_is(&v, ECHO_HTTP_SERVER_IP), "HttpServerIPAddress: VT_BSTR set by the server");
    V_VT(&v) = VT_BSTR;
    V_BSTR(&v) = SysAllocString(L"x");
    TH(DL, "SetProperty", IDODownload_SetProperty(d, DODownloadProperty_Id, &v), ECHO_DO_E_READ_ONLY_PROPERTY,
       "Id (read-only): DO_E_READ_ONLY_PROPERTY");
    TH(DL, "SetProperty", IDODownload_SetProperty(d, DODownloadProperty_CostPolicy, &v), E_INVALIDARG,
       "CostPolicy as VT_BSTR: E_INVALIDARG (the server checks the type)");
    TH(DL, "SetProperty", IDODownload_SetProperty(d, (DODownloadProperty)30, &v), ECHO_DO_E_UNKNOWN_PROPERTY_ID,
       "id 30: DO_E_UNKNOWN_PROPERTY_ID");
    VariantClear(&v);
    TH(DL, "SetProperty", IDODownload_SetProperty(d, DODownloadProperty_Uri, NULL), HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER),
       "NULL VARIANT ([ref]): refused by the proxy");
    hr = get_prop(d, DODownloadProperty_CorrelationVector, &v);
    T(DL, "GetProperty", hr == ECHO_E_NOT_SET && V_VT(&v) == VT_EMPTY, "never set: E_NOT_SET and VT_EMPTY");
    hr = get_prop(d, (DODownloadProperty)30, &v);
    T(DL, "GetProperty", hr == ECHO_DO_E_UNKNOWN_PROPERTY_ID && V_VT(&v) == VT_EMPTY, "id 30: DO_E_UNKNOWN_PROPERTY_ID and VT_EMPTY");
    hr = get_prop(d, (DODownloadProperty)0x10000, &v);
    T(DL, "GetProperty", FAILED(hr), "id 0x10000 (beyond an NDR enum16): an error, not id 0");
    printf("#   GetProperty(0x10000): 0x%08lx\n", (unsigned long)hr);
    VariantClear(&v);
}

/* Start with a callback and a stream set: the server calls OnStatusChange and writes the stream
 * before it returns. */
static int stream_has(IStream *stm, ULONG copies)
{
    STATSTG st;
    HGLOBAL h = NULL;
    if (IStream_Stat(stm, &st, STATFLAG_NONAME) != S_OK || st.cbSize.QuadPart != (ULONGLONG)ECHO_STREAM_LEN * copies
        || FAILED(GetHGlobalFromStream(stm, &h)))
        return 0;
    const BYTE *p = GlobalLock(h);
    int ok = p != NULL;
    for (ULONG c = 0; ok && c < copies; c++)
        for (ULONG i = 0; ok && i < ECHO_STREAM_LEN; i++)
            ok = p[c * ECHO_STREAM_LEN + i] == ECHO_STREAM_BYTE(i);
    GlobalUnlock(h);
    return ok;
}

static int ranges_logged(IBackgroundCopyManager *m, const DO_DOWNLOAD_RANGES_INFO *r)
{
    WCHAR want[128];
    echo_describe_ranges(r, want);
    return take_eq(last_call(m), want);
}

static void test_download_states(IDODownload *d0, IDODownload *d1, IDODownload *d2, IBackgroundCopyManager *m, StatusSink *sink,
                                 IStream *stm)
{
    HRESULT hr;
    /* 3 ranges (RangeCount, then Ranges at offset 8), the last to the end of the file */
    DO_DOWNLOAD_RANGES_INFO *r3 = calloc(1, FIELD_OFFSET(DO_DOWNLOAD_RANGES_INFO, Ranges[3]));
    r3->RangeCount = 3;
    r3->Ranges[0] = (DO_DOWNLOAD_RANGE){0, 100};
    r3->Ranges[1] = (DO_DOWNLOAD_RANGE){200, 1000};
    r3->Ranges[2] = (DO_DOWNLOAD_RANGE){0x123456789ull, DO_LENGTH_TO_EOF};
    sink->expect_download = identity(d0);
    sink->expect_index = 0;
    sink->expect_state = DODownloadState_Transferring;
    hr = IDODownload_Start(d0, r3);
    T(DL, "Start", hr == ECHO_NOTIFY_OK && ranges_logged(m, r3), "3 ranges in (the server saw the same), callback and stream called back");
    T(DLCB, "OnStatusChange", sink->calls == 1 && sink->ok == 1,
      "called from Start with the client's own download proxy and the Transferring status; GetStatus works inside it");
    CHECK(stream_has(stm, 1), DL "::Start the server wrote 70001 bytes into the client's IStream (VT_UNKNOWN), in two Writes");
    T(DL, "GetStatus", status_is(d0, 0, DODownloadState_Transferring), "every field of DO_DOWNLOAD_STATUS out (Transferring)");
    free(r3);

    sink->expect_download = NULL;
    sink->expect_state = DODownloadState_Paused;
    T(DL, "Pause", IDODownload_Pause(d0) == ECHO_NOTIFY_OK && status_is(d0, 0, DODownloadState_Paused), "Paused");
    T(DLCB, "OnStatusChange", sink->calls == 2 && sink->ok == 2, "a NULL download crosses as NULL, with the Paused status");
    sink->expect_download = identity(d0);
    sink->expect_state = DODownloadState_Transferring;
    hr = IDODownload_Start(d0, NULL);
    T(DL, "Start", hr == ECHO_NOTIFY_OK && ranges_logged(m, NULL) && sink->calls == 3 && sink->ok == 3 && stream_has(stm, 2),
      "NULL ranges ([unique]) cross as NULL (resume)");

    /* VT_EMPTY both ways: it clears the interface properties, and the server lets the objects go */
    VARIANT v, out;
    VariantInit(&v);
    WCHAR want[128];
    echo_describe_property(DODownloadProperty_CallbackInterface, &v, want);
    hr = IDODownload_SetProperty(d0, DODownloadProperty_CallbackInterface, &v);
    T(DL, "SetProperty", hr == S_OK && take_eq(last_call(m), want), "CallbackInterface: VT_EMPTY in (clears it)");
    T(DL, "GetProperty", get_prop(d0, DODownloadProperty_CallbackInterface, &out) == S_OK && V_VT(&out) == VT_EMPTY,
      "CallbackInterface: VT_EMPTY back");
    hr = IDODownload_SetProperty(d0, DODownloadProperty_StreamInterface, &v);
    CHECK(hr == S_OK && sink->ref == 1, DL "::SetProperty the server released the client's callback");
    ULONG refs = IStream_AddRef(stm);
    IStream_Release(stm);
    CHECK(refs == 2, DL "::SetProperty the server released the client's IStream");

    T(DL, "Finalize", IDODownload_Finalize(d0) == S_OK && status_is(d0, 0, DODownloadState_Finalized), "Finalized");
    DO_DOWNLOAD_RANGES_INFO none = {0};
    TH(DL, "Start", IDODownload_Start(d0, &none), ECHO_DO_E_INVALID_STATE, "after Finalize: DO_E_INVALID_STATE");
    T(DL, "Start", IDODownload_Start(d1, &none) == S_OK && ranges_logged(m, &none), "RangeCount 0 (8 bytes, no element) in");
    T(DL, "Abort", IDODownload_Abort(d1) == S_OK && status_is(d1, 1, DODownloadState_Aborted), "Aborted");
    T(DL, "GetStatus", status_is(d2, 2, DODownloadState_Created), "Created");

    const UINT big = 1000;
    DO_DOWNLOAD_RANGES_INFO *rb = malloc(FIELD_OFFSET(DO_DOWNLOAD_RANGES_INFO, Ranges[big]));
    rb->RangeCount = big;
    for (UINT i = 0; i < big; i++)
        rb->Ranges[i] = (DO_DOWNLOAD_RANGE){0x100000000ull * i + i, i == big - 1 ? DO_LENGTH_TO_EOF : 4096u + i};
    T(DL, "Start", IDODownload_Start(d2, rb) == S_OK && ranges_logged(m, rb), "1000 ranges (16,008 bytes) in");
    free(rb);
    T(DL, "GetStatus", FAILED(IDODownload_GetStatus(d2, NULL)), "NULL out pointer: an error, not a crash");
}

/* The n-th item of an enumeration must be the download d (same identity, same Id). */
static int enum_item_is(IUnknown *item, IDODownload *d, unsigned index)
{
    IDODownload *got = NULL;
    int ok = item && SUCCEEDED(IUnknown_QueryInterface(item, &IID_IDODownload, (void **)&got)) && identity(got) == identity(d)
             && id_is(got, index);
    if (got)
        IDODownload_Release(got);
    return ok;
}

static void test_enum_downloads(IDOManager *dm, IDODownload **d)
{
    IEnumUnknown *e = NULL;
    IUnknown *items[4] = {0};
    ULONG fetched = 0, n = 0;
    HRESULT hr = IDOManager_EnumDownloads(dm, NULL, &e);
    T(DOMGR, "EnumDownloads", hr == S_OK && e, "NULL category ([unique]): every download, an IEnumUnknown out");
    if (!e)
        return;
    int ok = 1;
    while (n < 4 && IEnumUnknown_Next(e, 1, &items[0], NULL) == S_OK) {
        ok = ok && n < 3 && enum_item_is(items[0], d[n], n);
        IUnknown_Release(items[0]);
        n++;
    }
    CHECK(ok && n == 3, DOMGR "::EnumDownloads Next(1) until S_FALSE: the 3 downloads in order, each QIs to IDODownload");
    hr = IEnumUnknown_Reset(e);
    if (hr == S_OK)
        hr = IEnumUnknown_Next(e, 4, items, &fetched);
    ok = hr == S_FALSE && fetched == 3;
    for (ULONG i = 0; i < fetched && i < 4; i++) {
        ok = ok && enum_item_is(items[i], d[i], i);
        IUnknown_Release(items[i]);
    }
    CHECK(ok, DOMGR "::EnumDownloads Reset + Next(4): S_FALSE, 3 fetched");
    IEnumUnknown_Release(e);

    WCHAR id1[37];
    echo_download_id(1, id1);
    const struct {
        DO_DOWNLOAD_ENUM_CATEGORY category;
        HRESULT hr;
        int match; /* the one download expected, -1 for none */
        const char *what;
    } cases[] = {
        {{DODownloadProperty_Id, id1}, S_OK, 1, "Id filter: download 1 only"},
        {{DODownloadProperty_DisplayName, g_long_text}, S_OK, 0, "DisplayName filter of 5000 characters: download 0 only"},
        {{DODownloadProperty_Uri, L"https://nowhere.example/"}, ECHO_DO_E_NO_DOWNLOADS, -1, "no match: DO_E_NO_DOWNLOADS and NULL"},
        {{DODownloadProperty_LocalPath, NULL}, E_INVALIDARG, -1, "NULL Value (embedded unique string) crosses as NULL: E_INVALIDARG"},
        {{DODownloadProperty_CostPolicy, L"1"}, E_INVALIDARG, -1, "CostPolicy is no filter: E_INVALIDARG"},
    };
    for (size_t i = 0; i < ARRAYSIZE(cases); i++) {
        e = (IEnumUnknown *)(ULONG_PTR)1;
        hr = IDOManager_EnumDownloads(dm, &cases[i].category, &e);
        ok = hr == cases[i].hr;
        if (cases[i].match < 0)
            ok = ok && e == NULL;
        else if (ok && e) {
            fetched = 0;
            ok = IEnumUnknown_Next(e, 2, items, &fetched) == S_FALSE && fetched == 1
                 && enum_item_is(items[0], d[cases[i].match], (unsigned)cases[i].match);
            for (ULONG k = 0; k < fetched && k < 2; k++)
                IUnknown_Release(items[k]);
            IEnumUnknown_Release(e);
        } else
            ok = 0;
        char name[200];
        snprintf(name, sizeof(name), DOMGR "::EnumDownloads %s", cases[i].what);
        CHECK(ok, name);
        if (!ok)
            printf("#   hr 0x%08lx\n", (unsigned long)hr);
    }
}

static void test_downloads(Ctx *c)
{
    long before = -1, after = -1;
    DWORD pid = 0;
    server_info(c->mgr, &before, &pid);
    IDOManager *dm = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_OpendoEchoServer, NULL, CLSCTX_LOCAL_SERVER, &IID_IDOManager, (void **)&dm);
    CHECK(hr == S_OK && dm, DOMGR ": CoCreateInstance(CLSCTX_LOCAL_SERVER, IID_IDOManager) (the class's default interface)");
    if (!dm)
        return;
    IBackgroundCopyManager *bm = NULL;
    IDOManager_QueryInterface(dm, &IID_IBackgroundCopyManager, (void **)&bm);
    CHECK(bm && identity(bm) == identity(dm), DOMGR ": the same object answers IBackgroundCopyManager");

    IDODownload *d[3] = {0};
    for (unsigned i = 0; i < 3; i++) {
        hr = IDOManager_CreateDownload(dm, &d[i]);
        T(DOMGR, "CreateDownload", hr == S_OK && id_is(d[i], i), "an IDODownload out (its Id is the server's n-th)");
    }
    long mid = -1, mid2 = -1;
    server_info(c->mgr, &mid, &pid);
    TH(DOMGR, "CreateDownload", IDOManager_CreateDownload(dm, NULL), HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER),
       "NULL out pointer: refused by the proxy");
    CHECK(server_info(c->mgr, &mid2, &pid) && mid2 == mid, DOMGR "::CreateDownload a NULL out pointer created no download in the server");

    StatusSink sink = {.IDODownloadStatusCallback_iface.lpVtbl = &status_sink_vtbl, .ref = 1};
    IStream *stm = NULL;
    CHECK(CreateStreamOnHGlobal(NULL, TRUE, &stm) == S_OK, DL ": an HGLOBAL stream in the client");
    if (d[0] && d[1] && d[2] && stm && bm) {
        test_download_properties(d[0], bm, &sink, stm);
        test_download_states(d[0], d[1], d[2], bm, &sink, stm);
        test_enum_downloads(dm, d);
    }
    if (stm)
        IStream_Release(stm);
    for (unsigned i = 0; i < 3; i++)
        if (d[i])
            IDODownload_Release(d[i]);
    if (bm)
        IBackgroundCopyManager_Release(bm);
    IDOManager_Release(dm);
    CHECK(server_info(c->mgr, &after, &pid) && after == before && sink.ref == 1,
          DOMGR ": released, the server is back to its objects before (no leaked download, enumerator or callback)");
    if (after != before)
        printf("#   server objects: %ld before, %ld after\n", before, after);
}

/* ------------------------------------------------------------------------------------------ */
/* phase 4: the server dies under live proxies                                                 */

static void test_dead_server(Ctx *c)
{
    WCHAR *s = NULL;
    long objects = 0;
    DWORD pid = 0;
    server_info(c->mgr, &objects, &pid);
    HRESULT hr = IBackgroundCopyManager_GetErrorDescription(c->mgr, ECHO_CMD_DIE, 0, &s);
    CHECK(hr == S_OK && take_eq(s, L"dying"), "dead server: the server is told to kill itself");
    HANDLE proc = pid ? OpenProcess(SYNCHRONIZE, FALSE, pid) : NULL;
    if (proc) {
        WaitForSingleObject(proc, 10000);
        CloseHandle(proc);
    } else
        Sleep(2000);
    BG_JOB_STATE state;
    hr = IBackgroundCopyJob_GetState(c->job0, &state);
    CHECK(FAILED(hr), "dead server: IBackgroundCopyJob::GetState on a live proxy returns an error HRESULT");
    printf("#   GetState after the server died: 0x%08lx\n", (unsigned long)hr);
    s = (WCHAR *)L"x";
    hr = IBackgroundCopyJob_GetDisplayName(c->job0, &s);
    CHECK(FAILED(hr) && s == NULL, "dead server: an [out] LPWSTR * call fails cleanly and leaves NULL");
    GUID id;
    IBackgroundCopyJob *j = NULL;
    hr = IBackgroundCopyManager_CreateJob(c->mgr, L"after death", BG_JOB_TYPE_DOWNLOAD, &id, &j);
    CHECK(FAILED(hr) && j == NULL, "dead server: IBackgroundCopyManager::CreateJob returns an error HRESULT");
    printf("#   CreateJob after the server died: 0x%08lx\n", (unsigned long)hr);
}

/* ------------------------------------------------------------------------------------------ */

static DWORD WINAPI watchdog(void *arg)
{
    (void)arg;
    Sleep(180 * 1000);
    printf("not ok - watchdog: marshal_test did not finish within 180 s\n");
    fflush(stdout);
    ExitProcess(1);
}

int wmain(void)
{
    HRESULT hr;
    Ctx c;
    memset(&c, 0, sizeof(c));
    setvbuf(stdout, NULL, _IONBF, 0);
    CloseHandle(CreateThread(NULL, 0, watchdog, NULL, 0, NULL));
    hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    CHECK_HR(hr, S_OK, "CoInitializeEx(COINIT_MULTITHREADED)");
    g_long_url = make_long(L"http://old.example/long/", 2200 - 24);
    g_long_text = make_long(L"", 5000);

    check_registration();
    test_server_lifetime();

    c.mgr = new_manager(&hr);
    CHECK_HR(hr, S_OK, "CoCreateInstance(CLSCTX_LOCAL_SERVER) of the echo server, IBackgroundCopyManager proxy");
    if (c.mgr) {
        test_manager(&c);
        if (c.job0 && c.job1 && c.job2) {
            test_job_basics(&c);
            test_job_files(&c);
            test_error(&c);
            test_states_and_callbacks(&c);
            test_job2(&c);
            test_job3_4_5(&c);
            test_file_2_to_5(&c);
            test_do(&c);
            test_http_options(&c);
            test_file6(&c);
            test_http_options_2_3(&c);
            test_token_options(&c);
            test_peer_cache(&c);
            test_admin(&c);
            test_downloads(&c);
        }
        long objects = -1, want = 4;
        DWORD pid = 0;
        if (c.job0 && c.job1 && c.job2)
            want += (long)(file_count(c.job0) + file_count(c.job1) + file_count(c.job2));
        CHECK(server_info(c.mgr, &objects, &pid) && objects == want,
              "server objects: only the manager, its 3 jobs and their files are left (no leaked enumerator, error, sink)");
        if (objects != want)
            printf("#   server reports %ld live objects, expected %ld\n", objects, want);
        test_dead_server(&c);
        if (c.job0)
            IBackgroundCopyJob_Release(c.job0);
        if (c.job1)
            IBackgroundCopyJob_Release(c.job1);
        if (c.job2)
            IBackgroundCopyJob_Release(c.job2);
        IBackgroundCopyManager_Release(c.mgr);
        CHECK(1, "dead server: releasing proxies of a dead server does not crash");
    }

    /* N of M */
    int n = 0;
    for (int i = 0; i < g_nifaces; i++) {
        int e = exercised_in(g_ifaces[i].name);
        if (e < g_ifaces[i].declared)
            printf("#   %s: %d of %d methods exercised\n", g_ifaces[i].name, e, g_ifaces[i].declared);
        n += e < g_ifaces[i].declared ? e : g_ifaces[i].declared;
    }
    printf("# methods exercised: %d of %d\n", n, g_declared_total);
    CHECK(g_declared_total > 0 && n == g_declared_total, "every method of every interface in the IDL was exercised");
    for (int i = 0; i < 4; i++) {
        free(c.remote[i] == g_long_url ? NULL : c.remote[i]);
        free(c.local[i]);
    }
    free(g_long_url);
    free(g_long_text);
    CoUninitialize();
    return CHECK_EXIT_CODE();
}
