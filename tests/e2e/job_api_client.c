/* End-to-end client for tests/e2e/job_api.sh: every slot of IBackgroundCopyJob..Job5,
 * IDeliveryOptimizationJob/Job2 and IBackgroundCopyManager, called through DCOM (doproxy.dll)
 * on DoSvc with real values. Checks are reported in the tests/check.h format, named
 * "job api: ...". Usage: job_api_client COMMAND [ARGS]
 *   props                  setters/getters, limits and defaults; leaves a job with known values
 *                          (and Basic credentials); prints "JOB {GUID}" and "TIMES c m"
 *   notify                 SetNotifyInterface/GetNotifyInterface with sinks of this process;
 *                          leaves a sink registered; prints "JOB {GUID}"
 *   queued                 a job with one file, resumed, settled in TRANSIENT_ERROR; prints "JOB {GUID}"
 *   verify P N Q [c m]     after sc stop/start: job P still has every value props left (and
 *                          the times c m, in hex), N has no sink, Q is still TRANSIENT_ERROR (its
 *                          URL is unreachable; retry in 600 s) with its file
 *   states                 the state machine (spec §8): Resume/Suspend/Cancel/Complete
 *   download URL [USER PASSWORD]  the service downloads: a job with URL -> download.bin (with
 *                          Basic server credentials when given), Resume, TRANSFERRED
 *                          within 60 s, Complete -> ACKNOWLEDGED (the script compares the SHA-256)
 *   files                  AddFile, AddFileSet, AddFileWithRanges, DO AddFile(WithRanges),
 *                          EnumFiles, ReplaceRemotePrefix
 *   errors                 GetError, IBackgroundCopyManager::GetErrorDescription
 *   slots                  the E_NOTIMPL slots, QueryInterface, IDeliveryOptimizationJob2 properties
 *   owner                  GetOwner, TakeOwnership, EnumJobs(BG_JOB_ENUM_ALL_USERS)
 *   http                   IBackgroundCopyJobHttpOptions: every method; leaves a job with custom
 *                          headers and security flags; prints "JOB {GUID}"
 *   http H                 after sc stop/start: job H still has those headers and flags
 * Local file names live in C:\opendo-tests\job-api\, which the script creates. Remote names
 * point at http://127.0.0.1:1/ (nothing downloads in this version). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <sddl.h>

#include "../check.h"
#include "deliveryoptimization.h"
#include "doerrors.h"

#define LOCAL_DIR L"C:\\opendo-tests\\job-api\\"
#define REMOTE L"http://127.0.0.1:1/x"
#define HR_PROXY_ENUM_RANGE HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE) /* 0x800706F5 */
#define HR_MID_NOT_FOUND HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND)         /* 0x8007013D */
#define HR_BG_E_INVALID_PROXY_INFO ((HRESULT)0x8020003F)
#define HR_BG_E_INVALID_AUTH_TARGET ((HRESULT)0x80200027)
#define HR_BG_E_INVALID_AUTH_SCHEME ((HRESULT)0x80200028)

static const char *section = "";

/* "job api: <section>: <what>"; a few buffers so that two names can be live at once. */
static const char *nm(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *name = check_vname("job api", section, fmt, ap);
    va_end(ap);
    return name;
}

static int wstr_eq(const WCHAR *a, const WCHAR *b)
{
    return a && b && !wcscmp(a, b);
}

static void print_guid(const char *tag, const GUID *id)
{
    WCHAR text[40];
    StringFromGUID2(id, text, 40);
    printf("%s %ls\n", tag, text);
    fflush(stdout);
}

static int parse_guid(const WCHAR *text, GUID *id, const char *which)
{
    HRESULT hr = CLSIDFromString(text, id);
    if (FAILED(hr)) {
        printf("not ok - job api: the %s job id argument parses: %ls\n", which, text);
        check_failures++;
    }
    return SUCCEEDED(hr);
}

static uint64_t ft64(FILETIME ft)
{
    return ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
}

/* ---- the values props leaves on its job (verify expects them after the restart) -------------- */

/* 64 x (é € U+1D11E) = 256 UTF-16 units, non-ASCII, surrogate pairs included. */
static void make_text(WCHAR *out, int blocks, const WCHAR *extra)
{
    out[0] = 0;
    for (int i = 0; i < blocks; i++)
        wcscat(out, L"\u00e9\u20ac\xD834\xDD1E");
    wcscat(out, extra);
}
static WCHAR final_name[300], final_description[1100];
static void make_final_texts(void)
{
    make_text(final_name, 64, L"");         /* 256 units */
    make_text(final_description, 256, L""); /* 1024 units */
}
#define FINAL_PRIORITY BG_JOB_PRIORITY_HIGH
#define FINAL_NOTIFY_FLAGS (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_MODIFICATION | BG_NOTIFY_FILE_TRANSFERRED)
#define FINAL_RETRY_DELAY 1234u
#define FINAL_NO_PROGRESS 4321u
#define FINAL_PROXY_LIST L"http://proxy-one:8080 proxy-two:80"
#define FINAL_PROXY_BYPASS L"<local>;*.example.com"
#define FINAL_PROGRAM L"C:\\windows\\system32\\cmd.exe"
#define FINAL_PARAMETERS L"/c echo \u00abdone\u00bb"
#define FINAL_ACL_FLAGS (BG_COPY_FILE_OWNER | BG_COPY_FILE_DACL)
#define FINAL_PEER_FLAGS (BG_JOB_ENABLE_PEERCACHING_CLIENT | BG_JOB_ENABLE_PEERCACHING_SERVER)
#define FINAL_MAX_DOWNLOAD_TIME 3600u
#define FINAL_COST_FLAGS 0x80000021u /* BITS_JOB_TRANSFER_POLICY_UNRESTRICTED */
static const GUID final_clsid = {0x0a1b2c3d, 0x4e5f, 0x4a6b, {0x8c, 0x9d, 0xae, 0xbf, 0xc0, 0xd1, 0xe2, 0xf3}};
static const GUID other_clsid = {0x11223344, 0x5566, 0x4788, {0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}};

/* ---- connection and small helpers ------------------------------------------------------------- */

static IBackgroundCopyManager *connect_manager(const char *command)
{
    IBackgroundCopyManager *manager = NULL;
    HRESULT hr = CoCreateInstance(&CLSID_DeliveryOptimization, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    CHECK_HR(hr, S_OK, nm("CoCreateInstance(CLSID_DeliveryOptimization, LOCAL_SERVER) for %s", command));
    return SUCCEEDED(hr) ? manager : NULL;
}

/* CreateJob, then QI for Job5 (the job object every command works on). */
static IBackgroundCopyJob5 *new_job(IBackgroundCopyManager *manager, const WCHAR *name, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    GUID dummy;
    HRESULT hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id ? id : &dummy, &job);
    CHECK_HR(hr, S_OK, nm("CreateJob(\"%ls\")", name));
    if (FAILED(hr))
        return NULL;
    IBackgroundCopyJob5 *job5 = NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    IBackgroundCopyJob_Release(job);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IBackgroundCopyJob5) on the new job \"%ls\"", name));
    return SUCCEEDED(hr) ? job5 : NULL;
}

static IBackgroundCopyJob5 *get_job(IBackgroundCopyManager *manager, const GUID *id, const char *which)
{
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_GetJob(manager, id, &job);
    CHECK_HR(hr, S_OK, nm("GetJob finds the %s job", which));
    if (FAILED(hr))
        return NULL;
    IBackgroundCopyJob5 *job5 = NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    IBackgroundCopyJob_Release(job);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IBackgroundCopyJob5) on GetJob's %s job", which));
    return SUCCEEDED(hr) ? job5 : NULL;
}

static BG_JOB_STATE state_of(IBackgroundCopyJob5 *job)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    HRESULT hr = IBackgroundCopyJob5_GetState(job, &state);
    return SUCCEEDED(hr) ? state : (BG_JOB_STATE)-1;
}

/* The service downloads: right after Resume a job whose URL is unreachable (127.0.0.1:1) is
 * QUEUED, TRANSFERRING or already TRANSIENT_ERROR (within milliseconds). */
static int is_action_state(BG_JOB_STATE state)
{
    return state == BG_JOB_STATE_QUEUED || state == BG_JOB_STATE_TRANSFERRING ||
           state == BG_JOB_STATE_TRANSIENT_ERROR;
}

/* Polls GetState (≤ 10 s) until the job is in the state; returns whether it got there. */
static int wait_state(IBackgroundCopyJob5 *job, BG_JOB_STATE want)
{
    for (int i = 0; i < 200; i++) {
        if (state_of(job) == want)
            return 1;
        Sleep(50);
    }
    printf("#   state %d, waited for %d\n", (int)state_of(job), (int)want);
    return 0;
}

static ULONG file_count(IBackgroundCopyJob5 *job)
{
    BG_JOB_PROGRESS progress;
    memset(&progress, 0xff, sizeof progress);
    return SUCCEEDED(IBackgroundCopyJob5_GetProgress(job, &progress)) ? progress.FilesTotal : (ULONG)-1;
}

/* EnumJobs(flags) lists id? (-1 when EnumJobs fails) */
static int enum_lists(IBackgroundCopyManager *manager, DWORD flags, const GUID *id)
{
    IEnumBackgroundCopyJobs *e = NULL;
    if (FAILED(IBackgroundCopyManager_EnumJobs(manager, flags, &e)))
        return -1;
    IBackgroundCopyJob *job;
    ULONG fetched = 0;
    int found = 0;
    while (IEnumBackgroundCopyJobs_Next(e, 1, &job, &fetched) == S_OK && fetched == 1) {
        GUID got;
        if (SUCCEEDED(IBackgroundCopyJob_GetId(job, &got)) && IsEqualGUID(&got, id))
            found = 1;
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(e);
    return found;
}

static const WCHAR *local_name(const WCHAR *file)
{
    static WCHAR bufs[4][MAX_PATH];
    static int next;
    WCHAR *buf = bufs[next++ % 4];
    _snwprintf(buf, MAX_PATH, L"%ls%ls", LOCAL_DIR, file);
    buf[MAX_PATH - 1] = 0;
    return buf;
}

static int caller_sid(WCHAR *out, size_t size)
{
    HANDLE token;
    BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD length = 0;
    LPWSTR text = NULL;
    int ok = OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
    if (ok) {
        ok = GetTokenInformation(token, TokenUser, buffer, sizeof buffer, &length) &&
             ConvertSidToStringSidW(((TOKEN_USER *)buffer)->User.Sid, &text);
        CloseHandle(token);
    }
    if (ok && wcslen(text) < size)
        wcscpy(out, text);
    else
        ok = 0;
    LocalFree(text);
    return ok;
}

/* Whether this process's token counts as a member of BUILTIN\Administrators. */
static int caller_is_admin(void)
{
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD size = sizeof sid;
    BOOL member = FALSE;
    if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, sid, &size) ||
        !CheckTokenMembership(NULL, sid, &member))
        return 0;
    return member != FALSE;
}

/* ---- props: every setter/getter pair ------------------------------------------------------------ */

static void check_u32(HRESULT hr, DWORD got, DWORD want, const char *what)
{
    CHECK_HR(hr, S_OK, nm("%s returns S_OK", what));
    if (!CHECK(got == want, nm("%s is %lu (0x%lx)", what, (unsigned long)want, (unsigned long)want)))
        printf("#   got %lu (0x%lx)\n", (unsigned long)got, (unsigned long)got);
}

static void check_text(HRESULT hr, LPWSTR got, const WCHAR *want, const char *what)
{
    CHECK_HR(hr, S_OK, nm("%s returns S_OK", what));
    if (want)
        CHECK(wstr_eq(got, want), nm("%s returns the value set", what));
    else
        CHECK(got == NULL, nm("%s is NULL", what));
    CoTaskMemFree(got);
}

static DWORD get_notify_flags(IBackgroundCopyJob5 *job, HRESULT *hr)
{
    ULONG v = 0xdeadbeef;
    *hr = IBackgroundCopyJob5_GetNotifyFlags(job, &v);
    return v;
}

static void props_defaults(IBackgroundCopyJob5 *job)
{
    section = "defaults";
    HRESULT hr;
    LPWSTR text = (LPWSTR)1, text2 = (LPWSTR)1;
    BG_JOB_PRIORITY priority = (BG_JOB_PRIORITY)-1;
    hr = IBackgroundCopyJob5_GetPriority(job, &priority);
    check_u32(hr, priority, BG_JOB_PRIORITY_NORMAL, "GetPriority of a new job");
    DWORD v = get_notify_flags(job, &hr);
    check_u32(hr, v, 3, "GetNotifyFlags of a new job");
    ULONG u = 0;
    hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &u);
    check_u32(hr, u, 600, "GetMinimumRetryDelay of a new job");
    hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &u);
    check_u32(hr, u, 86400, "GetNoProgressTimeout of a new job");
    u = 77;
    hr = IBackgroundCopyJob5_GetErrorCount(job, &u);
    check_u32(hr, u, 0, "GetErrorCount of a new job");
    hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job, &u);
    check_u32(hr, u, 7776000, "GetMaximumDownloadTime of a new job");
    DWORD flags = 77;
    hr = IBackgroundCopyJob5_GetFileACLFlags(job, &flags);
    check_u32(hr, flags, 0, "GetFileACLFlags of a new job");
    flags = 77;
    hr = IBackgroundCopyJob5_GetPeerCachingFlags(job, &flags);
    check_u32(hr, flags, 0, "GetPeerCachingFlags of a new job");

    text = (LPWSTR)1;
    hr = IBackgroundCopyJob5_GetDescription(job, &text);
    CHECK_HR(hr, S_OK, nm("GetDescription of a new job"));
    CHECK(text && !text[0], nm("the description of a new job is empty"));
    CoTaskMemFree(text);

    BG_JOB_PROXY_USAGE usage = (BG_JOB_PROXY_USAGE)-1;
    text = text2 = NULL;
    hr = IBackgroundCopyJob5_GetProxySettings(job, &usage, &text, &text2);
    CHECK_HR(hr, S_OK, nm("GetProxySettings of a new job"));
    CHECK(usage == BG_JOB_PROXY_USAGE_PRECONFIG && !text && !text2,
          nm("a new job uses the preconfigured proxy, with NULL lists"));
    CoTaskMemFree(text), CoTaskMemFree(text2);

    text = text2 = (LPWSTR)1;
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &text, &text2);
    CHECK_HR(hr, S_OK, nm("GetNotifyCmdLine of a new job"));
    CHECK(!text && !text2, nm("a new job has no notify command line (NULL, NULL)"));
    if (text != (LPWSTR)1)
        CoTaskMemFree(text);
    if (text2 != (LPWSTR)1)
        CoTaskMemFree(text2);

    BITS_JOB_PROPERTY_VALUE value;
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    check_u32(hr, value.Dword, 0x8000007F, "GetProperty(COST_FLAGS) of a new job");
    memset(&value, 0xab, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    CHECK_HR(hr, S_OK, nm("GetProperty(NOTIFICATION_CLSID) of a new job"));
    CHECK(IsEqualGUID(&value.ClsID, &GUID_NULL), nm("a new job has no notification CLSID (GUID_NULL)"));

    IUnknown *sink = (IUnknown *)1;
    hr = IBackgroundCopyJob5_GetNotifyInterface(job, &sink);
    CHECK_HR(hr, S_OK, nm("GetNotifyInterface of a new job"));
    CHECK(sink == NULL, nm("a new job has no notify interface"));
    if (sink && sink != (IUnknown *)1)
        IUnknown_Release(sink);

    BG_JOB_TYPE type = (BG_JOB_TYPE)-1;
    hr = IBackgroundCopyJob5_GetType(job, &type);
    check_u32(hr, type, BG_JOB_TYPE_DOWNLOAD, "GetType");
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("a new job is SUSPENDED"));
    CHECK(file_count(job) == 0, nm("a new job has no files"));
}

static void props_texts(IBackgroundCopyJob5 *job)
{
    section = "display name/description";
    HRESULT hr;
    LPWSTR text = NULL;
    WCHAR long_text[1200];

    hr = IBackgroundCopyJob5_SetDisplayName(job, L"plain ASCII name");
    CHECK_HR(hr, S_OK, nm("SetDisplayName(ASCII)"));
    hr = IBackgroundCopyJob5_GetDisplayName(job, &text);
    check_text(hr, text, L"plain ASCII name", "GetDisplayName after an ASCII name");

    hr = IBackgroundCopyJob5_SetDisplayName(job, final_name);
    CHECK_HR(hr, S_OK, nm("SetDisplayName(256 UTF-16 units, non-ASCII, surrogate pairs)"));
    hr = IBackgroundCopyJob5_GetDisplayName(job, &text);
    check_text(hr, text, final_name, "GetDisplayName after the 256-unit non-ASCII name");

    make_text(long_text, 64, L"x"); /* 257 units */
    hr = IBackgroundCopyJob5_SetDisplayName(job, long_text);
    CHECK_HR(hr, E_INVALIDARG, nm("SetDisplayName(257 units) is E_INVALIDARG"));
    CHECK(FAILED(IBackgroundCopyJob5_SetDisplayName(job, NULL)), nm("SetDisplayName(NULL) fails"));
    hr = IBackgroundCopyJob5_GetDisplayName(job, &text);
    check_text(hr, text, final_name, "GetDisplayName after refused names: unchanged");
    hr = IBackgroundCopyJob5_SetDisplayName(job, L"");
    CHECK_HR(hr, S_OK, nm("SetDisplayName(\"\") is accepted, as CreateJob accepts an empty name"));
    hr = IBackgroundCopyJob5_GetDisplayName(job, &text);
    check_text(hr, text, L"", "GetDisplayName after an empty name");
    hr = IBackgroundCopyJob5_SetDisplayName(job, final_name);
    CHECK_HR(hr, S_OK, nm("SetDisplayName back to the 256-unit name"));

    hr = IBackgroundCopyJob5_SetDescription(job, L"");
    CHECK_HR(hr, S_OK, nm("SetDescription(\"\")"));
    hr = IBackgroundCopyJob5_GetDescription(job, &text);
    check_text(hr, text, L"", "GetDescription after an empty description");
    hr = IBackgroundCopyJob5_SetDescription(job, final_description);
    CHECK_HR(hr, S_OK, nm("SetDescription(1024 units, non-ASCII)"));
    hr = IBackgroundCopyJob5_GetDescription(job, &text);
    check_text(hr, text, final_description, "GetDescription after the 1024-unit description");
    make_text(long_text, 256, L"x"); /* 1025 units */
    hr = IBackgroundCopyJob5_SetDescription(job, long_text);
    CHECK_HR(hr, E_INVALIDARG, nm("SetDescription(1025 units) is E_INVALIDARG"));
    hr = IBackgroundCopyJob5_GetDescription(job, &text);
    check_text(hr, text, final_description, "GetDescription after a refused description: unchanged");
    CHECK(FAILED(IBackgroundCopyJob5_GetDescription(job, NULL)), nm("GetDescription(NULL) fails"));
    CHECK(FAILED(IBackgroundCopyJob5_GetDisplayName(job, NULL)), nm("GetDisplayName(NULL) fails"));
}

static void props_numbers(IBackgroundCopyJob5 *job)
{
    section = "numbers";
    HRESULT hr;
    for (int p = BG_JOB_PRIORITY_FOREGROUND; p <= BG_JOB_PRIORITY_LOW; p++) {
        hr = IBackgroundCopyJob5_SetPriority(job, (BG_JOB_PRIORITY)p);
        CHECK_HR(hr, S_OK, nm("SetPriority(%d)", p));
        BG_JOB_PRIORITY got = (BG_JOB_PRIORITY)-1;
        char what[64];
        snprintf(what, sizeof what, "GetPriority after SetPriority(%d)", p);
        hr = IBackgroundCopyJob5_GetPriority(job, &got);
        check_u32(hr, got, (DWORD)p, what);
    }
    CHECK_HR(IBackgroundCopyJob5_SetPriority(job, FINAL_PRIORITY), S_OK, nm("SetPriority(HIGH)"));
    CHECK_HR(IBackgroundCopyJob5_SetPriority(job, (BG_JOB_PRIORITY)4), E_INVALIDARG,
             nm("SetPriority(4) is E_INVALIDARG"));
    CHECK_HR(IBackgroundCopyJob5_SetPriority(job, (BG_JOB_PRIORITY)-1), HR_PROXY_ENUM_RANGE,
             nm("SetPriority(-1) is refused by the proxy (NDR enum range) 0x800706F5"));
    BG_JOB_PRIORITY got = (BG_JOB_PRIORITY)-1;
    hr = IBackgroundCopyJob5_GetPriority(job, &got);
    check_u32(hr, got, FINAL_PRIORITY, "GetPriority after refused priorities");

    CHECK_HR(IBackgroundCopyJob5_SetNotifyFlags(job, BG_NOTIFY_JOB_MODIFICATION), S_OK,
             nm("SetNotifyFlags(JOB_MODIFICATION)"));
    DWORD v = get_notify_flags(job, &hr);
    check_u32(hr, v, BG_NOTIFY_JOB_MODIFICATION, "GetNotifyFlags after SetNotifyFlags(8)");
    CHECK_HR(IBackgroundCopyJob5_SetNotifyFlags(job, FINAL_NOTIFY_FLAGS), S_OK,
             nm("SetNotifyFlags(TRANSFERRED|MODIFICATION|FILE_TRANSFERRED)"));
    CHECK_HR(IBackgroundCopyJob5_SetNotifyFlags(job, BG_NOTIFY_FILE_RANGES_TRANSFERRED), E_NOTIMPL,
             nm("SetNotifyFlags(FILE_RANGES_TRANSFERRED 0x20) is E_NOTIMPL"));
    CHECK_HR(IBackgroundCopyJob5_SetNotifyFlags(job, 0x40), E_NOTIMPL,
             nm("SetNotifyFlags(unknown bit 0x40) is E_NOTIMPL"));
    v = get_notify_flags(job, &hr);
    check_u32(hr, v, FINAL_NOTIFY_FLAGS, "GetNotifyFlags after refused flags");

    ULONG u = 0;
    CHECK_HR(IBackgroundCopyJob5_SetMinimumRetryDelay(job, 0), S_OK, nm("SetMinimumRetryDelay(0)"));
    hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &u);
    check_u32(hr, u, 0, "GetMinimumRetryDelay after 0");
    CHECK_HR(IBackgroundCopyJob5_SetMinimumRetryDelay(job, FINAL_RETRY_DELAY), S_OK,
             nm("SetMinimumRetryDelay(1234)"));
    hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &u);
    check_u32(hr, u, FINAL_RETRY_DELAY, "GetMinimumRetryDelay after 1234");

    CHECK_HR(IBackgroundCopyJob5_SetNoProgressTimeout(job, 0xFFFFFFFFu), S_OK,
             nm("SetNoProgressTimeout(0xFFFFFFFF)"));
    hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &u);
    check_u32(hr, u, 0xFFFFFFFFu, "GetNoProgressTimeout after 0xFFFFFFFF");
    CHECK_HR(IBackgroundCopyJob5_SetNoProgressTimeout(job, FINAL_NO_PROGRESS), S_OK,
             nm("SetNoProgressTimeout(4321)"));
    hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &u);
    check_u32(hr, u, FINAL_NO_PROGRESS, "GetNoProgressTimeout after 4321");

    u = 77;
    hr = IBackgroundCopyJob5_GetErrorCount(job, &u);
    check_u32(hr, u, 0, "GetErrorCount");

    DWORD flags = 0;
    CHECK_HR(IBackgroundCopyJob5_SetFileACLFlags(job, BG_COPY_FILE_ALL), S_OK,
             nm("SetFileACLFlags(BG_COPY_FILE_ALL)"));
    hr = IBackgroundCopyJob5_GetFileACLFlags(job, &flags);
    check_u32(hr, flags, BG_COPY_FILE_ALL, "GetFileACLFlags after ALL");
    CHECK_HR(IBackgroundCopyJob5_SetFileACLFlags(job, FINAL_ACL_FLAGS), S_OK,
             nm("SetFileACLFlags(OWNER|DACL)"));
    CHECK_HR(IBackgroundCopyJob5_SetFileACLFlags(job, 0x10), E_INVALIDARG,
             nm("SetFileACLFlags(0x10) is E_INVALIDARG"));
    hr = IBackgroundCopyJob5_GetFileACLFlags(job, &flags);
    check_u32(hr, flags, FINAL_ACL_FLAGS, "GetFileACLFlags after OWNER|DACL");

    CHECK_HR(IBackgroundCopyJob5_SetPeerCachingFlags(job, BG_JOB_DISABLE_BRANCH_CACHE), S_OK,
             nm("SetPeerCachingFlags(DISABLE_BRANCH_CACHE)"));
    hr = IBackgroundCopyJob5_GetPeerCachingFlags(job, &flags);
    check_u32(hr, flags, BG_JOB_DISABLE_BRANCH_CACHE, "GetPeerCachingFlags after DISABLE_BRANCH_CACHE");
    CHECK_HR(IBackgroundCopyJob5_SetPeerCachingFlags(job, FINAL_PEER_FLAGS), S_OK,
             nm("SetPeerCachingFlags(CLIENT|SERVER)"));
    CHECK_HR(IBackgroundCopyJob5_SetPeerCachingFlags(job, 0x8), E_INVALIDARG,
             nm("SetPeerCachingFlags(0x8) is E_INVALIDARG"));
    hr = IBackgroundCopyJob5_GetPeerCachingFlags(job, &flags);
    check_u32(hr, flags, FINAL_PEER_FLAGS, "GetPeerCachingFlags after CLIENT|SERVER");

    CHECK_HR(IBackgroundCopyJob5_SetMaximumDownloadTime(job, 0), S_OK,
             nm("SetMaximumDownloadTime(0: no limit)"));
    hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job, &u);
    check_u32(hr, u, 0, "GetMaximumDownloadTime after 0");
    CHECK_HR(IBackgroundCopyJob5_SetMaximumDownloadTime(job, FINAL_MAX_DOWNLOAD_TIME), S_OK,
             nm("SetMaximumDownloadTime(3600)"));
    hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job, &u);
    check_u32(hr, u, FINAL_MAX_DOWNLOAD_TIME, "GetMaximumDownloadTime after 3600");
}

static void check_proxy(IBackgroundCopyJob5 *job, BG_JOB_PROXY_USAGE want_usage, const WCHAR *want_list,
                        const WCHAR *want_bypass, const char *what)
{
    BG_JOB_PROXY_USAGE usage = (BG_JOB_PROXY_USAGE)-1;
    LPWSTR list = NULL, bypass = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetProxySettings(job, &usage, &list, &bypass);
    CHECK_HR(hr, S_OK, nm("GetProxySettings %s", what));
    int ok = usage == want_usage && (want_list ? wstr_eq(list, want_list) : !list) &&
             (want_bypass ? wstr_eq(bypass, want_bypass) : !bypass);
    if (!CHECK(ok, nm("GetProxySettings %s returns usage %d, list %ls, bypass %ls", what, want_usage,
                      want_list ? want_list : L"NULL", want_bypass ? want_bypass : L"NULL")))
        printf("#   got usage %d, list %ls, bypass %ls\n", usage, list ? list : L"NULL",
               bypass ? bypass : L"NULL");
    CoTaskMemFree(list);
    CoTaskMemFree(bypass);
}

static void props_proxy_cmdline(IBackgroundCopyJob5 *job)
{
    section = "proxy";
    HRESULT hr;
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, NULL), S_OK,
             nm("SetProxySettings(NO_PROXY, NULL, NULL)"));
    check_proxy(job, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, NULL, "after NO_PROXY");
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy-only:3128", NULL),
             S_OK, nm("SetProxySettings(OVERRIDE, list, NULL bypass)"));
    check_proxy(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy-only:3128", NULL, "after OVERRIDE without bypass");
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_AUTODETECT, NULL, NULL), S_OK,
             nm("SetProxySettings(AUTODETECT, NULL, NULL)"));
    check_proxy(job, BG_JOB_PROXY_USAGE_AUTODETECT, NULL, NULL, "after AUTODETECT");
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, FINAL_PROXY_LIST,
                                                  FINAL_PROXY_BYPASS),
             S_OK, nm("SetProxySettings(OVERRIDE, list, bypass)"));
    check_proxy(job, BG_JOB_PROXY_USAGE_OVERRIDE, FINAL_PROXY_LIST, FINAL_PROXY_BYPASS,
                "after OVERRIDE with list and bypass");
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, NULL, L"<local>"),
             HR_BG_E_INVALID_PROXY_INFO, nm("SetProxySettings(OVERRIDE without a list) is 0x8020003F"));
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"", NULL),
             HR_BG_E_INVALID_PROXY_INFO, nm("SetProxySettings(OVERRIDE with an empty list) is 0x8020003F"));
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, BG_JOB_PROXY_USAGE_PRECONFIG, L"p:1", NULL),
             HR_BG_E_INVALID_PROXY_INFO, nm("SetProxySettings(PRECONFIG with a list) is 0x8020003F"));
    CHECK_HR(IBackgroundCopyJob5_SetProxySettings(job, (BG_JOB_PROXY_USAGE)4, NULL, NULL), E_INVALIDARG,
             nm("SetProxySettings(usage 4) is E_INVALIDARG"));
    check_proxy(job, BG_JOB_PROXY_USAGE_OVERRIDE, FINAL_PROXY_LIST, FINAL_PROXY_BYPASS,
                "after refused settings: unchanged");

    section = "notify command line";
    LPWSTR program = NULL, parameters = NULL;
    CHECK_HR(IBackgroundCopyJob5_SetNotifyCmdLine(job, L"C:\\windows\\notepad.exe", NULL), S_OK,
             nm("SetNotifyCmdLine(program, NULL)"));
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &program, &parameters);
    CHECK_HR(hr, S_OK, nm("GetNotifyCmdLine after (program, NULL)"));
    CHECK(wstr_eq(program, L"C:\\windows\\notepad.exe") && !parameters,
          nm("GetNotifyCmdLine returns the program and NULL parameters"));
    CoTaskMemFree(program), CoTaskMemFree(parameters);
    CHECK_HR(IBackgroundCopyJob5_SetNotifyCmdLine(job, NULL, NULL), S_OK, nm("SetNotifyCmdLine(NULL, NULL)"));
    program = parameters = (LPWSTR)1;
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &program, &parameters);
    CHECK_HR(hr, S_OK, nm("GetNotifyCmdLine after (NULL, NULL)"));
    CHECK(!program && !parameters, nm("SetNotifyCmdLine(NULL, NULL) clears both"));
    CHECK_HR(IBackgroundCopyJob5_SetNotifyCmdLine(job, NULL, L"/param"), E_INVALIDARG,
             nm("SetNotifyCmdLine(NULL, parameters) is E_INVALIDARG"));
    CHECK_HR(IBackgroundCopyJob5_SetNotifyCmdLine(job, FINAL_PROGRAM, FINAL_PARAMETERS), S_OK,
             nm("SetNotifyCmdLine(program, non-ASCII parameters)"));
    program = parameters = NULL;
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &program, &parameters);
    CHECK_HR(hr, S_OK, nm("GetNotifyCmdLine after (program, parameters)"));
    CHECK(wstr_eq(program, FINAL_PROGRAM) && wstr_eq(parameters, FINAL_PARAMETERS),
          nm("GetNotifyCmdLine returns the program and parameters set"));
    CoTaskMemFree(program), CoTaskMemFree(parameters);
}

static void props_job5(IBackgroundCopyJob5 *job)
{
    section = "Job5 properties";
    HRESULT hr;
    BITS_JOB_PROPERTY_VALUE value;
    memset(&value, 0, sizeof value);
    value.Dword = BITS_JOB_TRANSFER_POLICY_ALWAYS;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, value), S_OK,
             nm("SetProperty(COST_FLAGS, ALWAYS)"));
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    check_u32(hr, value.Dword, 0x800000FFu, "GetProperty(COST_FLAGS) after ALWAYS");
    value.Dword = FINAL_COST_FLAGS;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, value), S_OK,
             nm("SetProperty(COST_FLAGS, UNRESTRICTED)"));
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    check_u32(hr, value.Dword, FINAL_COST_FLAGS, "GetProperty(COST_FLAGS) after UNRESTRICTED");

    memset(&value, 0, sizeof value);
    value.ClsID = other_clsid;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value), S_OK,
             nm("SetProperty(NOTIFICATION_CLSID, a GUID)"));
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    CHECK_HR(hr, S_OK, nm("GetProperty(NOTIFICATION_CLSID)"));
    CHECK(IsEqualGUID(&value.ClsID, &other_clsid), nm("GetProperty(NOTIFICATION_CLSID) returns the GUID set"));
    memset(&value, 0, sizeof value);
    value.ClsID = GUID_NULL;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value), S_OK,
             nm("SetProperty(NOTIFICATION_CLSID, GUID_NULL)"));
    memset(&value, 0xab, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    CHECK_HR(hr, S_OK, nm("GetProperty(NOTIFICATION_CLSID) after GUID_NULL"));
    CHECK(IsEqualGUID(&value.ClsID, &GUID_NULL), nm("GUID_NULL clears the notification CLSID"));
    memset(&value, 0, sizeof value);
    value.ClsID = final_clsid;
    CHECK_HR(IBackgroundCopyJob5_SetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value), S_OK,
             nm("SetProperty(NOTIFICATION_CLSID, another GUID)"));
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    CHECK(SUCCEEDED(hr) && IsEqualGUID(&value.ClsID, &final_clsid),
          nm("GetProperty(NOTIFICATION_CLSID) returns the last GUID set"));

    /* Unsupported ids: every id the union can carry (6 and 8 select the Dword arm). */
    static const int unsupported[] = {3, 4, 5, 6, 7, 8, 9, 10};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        int id = unsupported[i];
        memset(&value, 0, sizeof value);
        if (id == BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS)
            value.Target = BG_AUTH_TARGET_SERVER;
        else if (id == BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE)
            value.Uint64 = 1000000;
        else
            value.Dword = 1;
        CHECK_HR(IBackgroundCopyJob5_SetProperty(job, (BITS_JOB_PROPERTY_ID)id, value), DO_E_UNKNOWN_PROPERTY_ID,
                 nm("SetProperty(unsupported id %d) is DO_E_UNKNOWN_PROPERTY_ID 0x80D02011", id));
        memset(&value, 0, sizeof value);
        CHECK_HR(IBackgroundCopyJob5_GetProperty(job, (BITS_JOB_PROPERTY_ID)id, &value), DO_E_UNKNOWN_PROPERTY_ID,
                 nm("GetProperty(unsupported id %d) is DO_E_UNKNOWN_PROPERTY_ID 0x80D02011", id));
    }
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    check_u32(hr, value.Dword, FINAL_COST_FLAGS, "GetProperty(COST_FLAGS) after the refused ids");
}

static void props_credentials(IBackgroundCopyJob5 *job)
{
    section = "credentials";
    BG_AUTH_CREDENTIALS cred;
    memset(&cred, 0, sizeof cred);
    cred.Target = BG_AUTH_TARGET_SERVER;
    cred.Scheme = BG_AUTH_SCHEME_BASIC;
    cred.Credentials.Basic.UserName = (LPWSTR)L"opendo-user";
    cred.Credentials.Basic.Password = (LPWSTR)L"s3cr\u00e9t password";
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), S_OK, nm("SetCredentials(SERVER, BASIC, user+password)"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC), S_OK,
             nm("RemoveCredentials(SERVER, BASIC) of set credentials is S_OK"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC), S_FALSE,
             nm("RemoveCredentials(SERVER, BASIC) again is S_FALSE"));
    cred.Target = BG_AUTH_TARGET_PROXY;
    cred.Scheme = BG_AUTH_SCHEME_NTLM;
    cred.Credentials.Basic.UserName = (LPWSTR)L"DOMAIN\\proxyuser";
    cred.Credentials.Basic.Password = NULL;
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), S_OK,
             nm("SetCredentials(PROXY, NTLM, user, NULL password)"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_PROXY, BG_AUTH_SCHEME_NTLM), S_OK,
             nm("RemoveCredentials(PROXY, NTLM) is S_OK"));

    cred.Target = (BG_AUTH_TARGET)3;
    cred.Scheme = BG_AUTH_SCHEME_BASIC;
    cred.Credentials.Basic.UserName = (LPWSTR)L"u";
    cred.Credentials.Basic.Password = (LPWSTR)L"p";
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), HR_BG_E_INVALID_AUTH_TARGET,
             nm("SetCredentials(target 3) is BG_E_INVALID_AUTH_TARGET 0x80200027"));
    cred.Target = BG_AUTH_TARGET_SERVER;
    cred.Scheme = (BG_AUTH_SCHEME)6;
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), HR_BG_E_INVALID_AUTH_SCHEME,
             nm("SetCredentials(scheme 6) is BG_E_INVALID_AUTH_SCHEME 0x80200028"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, (BG_AUTH_TARGET)0, BG_AUTH_SCHEME_BASIC),
             HR_BG_E_INVALID_AUTH_TARGET, nm("RemoveCredentials(target 0) is 0x80200027"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, (BG_AUTH_SCHEME)0),
             HR_BG_E_INVALID_AUTH_SCHEME, nm("RemoveCredentials(scheme 0) is 0x80200028"));
    CHECK(FAILED(IBackgroundCopyJob5_SetCredentials(job, NULL)), nm("SetCredentials(NULL) fails"));

    /* Left on the job: verify removes them after the restart (S_OK proves they were kept). */
    cred.Target = BG_AUTH_TARGET_SERVER;
    cred.Scheme = BG_AUTH_SCHEME_BASIC;
    cred.Credentials.Basic.UserName = (LPWSTR)L"opendo-user";
    cred.Credentials.Basic.Password = (LPWSTR)L"kept across restarts";
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), S_OK,
             nm("SetCredentials(SERVER, BASIC) left on the job"));
}

static void props_times(IBackgroundCopyJob5 *job)
{
    section = "times";
    BG_JOB_TIMES before, after;
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    CHECK_HR(IBackgroundCopyJob5_GetTimes(job, &before), S_OK, nm("GetTimes"));
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    CHECK(ft64(before.CreationTime) != 0 && ft64(before.CreationTime) <= ft64(now),
          nm("CreationTime is set and not in the future"));
    CHECK(ft64(before.ModificationTime) >= ft64(before.CreationTime),
          nm("ModificationTime is not before CreationTime"));
    CHECK(ft64(before.TransferCompletionTime) == 0, nm("TransferCompletionTime is 0"));
    Sleep(50);
    CHECK_HR(IBackgroundCopyJob5_SetMinimumRetryDelay(job, FINAL_RETRY_DELAY), S_OK,
             nm("a setter (SetMinimumRetryDelay, same value)"));
    CHECK_HR(IBackgroundCopyJob5_GetTimes(job, &after), S_OK, nm("GetTimes after the setter"));
    CHECK(ft64(after.ModificationTime) > ft64(before.ModificationTime), nm("ModificationTime grows after a setter"));
    CHECK(ft64(after.CreationTime) == ft64(before.CreationTime), nm("CreationTime does not change"));
    Sleep(50);
    BG_JOB_TIMES refused;
    IBackgroundCopyJob5_SetPriority(job, (BG_JOB_PRIORITY)4);
    CHECK_HR(IBackgroundCopyJob5_GetTimes(job, &refused), S_OK, nm("GetTimes after a refused setter"));
    CHECK(ft64(refused.ModificationTime) == ft64(after.ModificationTime),
          nm("a refused setter does not change ModificationTime"));
    CHECK(FAILED(IBackgroundCopyJob5_GetTimes(job, NULL)), nm("GetTimes(NULL) fails"));
    printf("TIMES %016llx %016llx\n", (unsigned long long)ft64(refused.CreationTime),
           (unsigned long long)ft64(refused.ModificationTime));
}

static int cmd_props(IBackgroundCopyManager *manager)
{
    section = "props";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: properties", &id);
    if (!job)
        return 1;
    props_defaults(job);
    props_texts(job);
    props_numbers(job);
    props_proxy_cmdline(job);
    props_job5(job);
    props_credentials(job);
    print_guid("JOB", &id);
    props_times(job); /* last: prints the times verify expects */
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- verify: the values survive sc stop / sc start ----------------------------------------------- */

static void verify_props(IBackgroundCopyManager *manager, const GUID *id, const WCHAR *creation,
                         const WCHAR *modification)
{
    section = "after restart";
    IBackgroundCopyJob5 *job = get_job(manager, id, "props");
    if (!job)
        return;
    HRESULT hr;
    LPWSTR text = NULL, text2 = NULL;
    hr = IBackgroundCopyJob5_GetDisplayName(job, &text);
    check_text(hr, text, final_name, "GetDisplayName (256-unit non-ASCII name)");
    hr = IBackgroundCopyJob5_GetDescription(job, &text);
    check_text(hr, text, final_description, "GetDescription (1024 units)");
    BG_JOB_PRIORITY priority = (BG_JOB_PRIORITY)-1;
    hr = IBackgroundCopyJob5_GetPriority(job, &priority);
    check_u32(hr, priority, FINAL_PRIORITY, "GetPriority");
    DWORD v = get_notify_flags(job, &hr);
    check_u32(hr, v, FINAL_NOTIFY_FLAGS, "GetNotifyFlags");
    ULONG u = 0;
    hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &u);
    check_u32(hr, u, FINAL_RETRY_DELAY, "GetMinimumRetryDelay");
    hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &u);
    check_u32(hr, u, FINAL_NO_PROGRESS, "GetNoProgressTimeout");
    u = 77;
    hr = IBackgroundCopyJob5_GetErrorCount(job, &u);
    check_u32(hr, u, 0, "GetErrorCount");
    check_proxy(job, BG_JOB_PROXY_USAGE_OVERRIDE, FINAL_PROXY_LIST, FINAL_PROXY_BYPASS, "(OVERRIDE)");
    hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &text, &text2);
    CHECK_HR(hr, S_OK, nm("GetNotifyCmdLine"));
    CHECK(wstr_eq(text, FINAL_PROGRAM) && wstr_eq(text2, FINAL_PARAMETERS),
          nm("GetNotifyCmdLine returns the program and parameters set"));
    CoTaskMemFree(text), CoTaskMemFree(text2);
    DWORD flags = 0;
    hr = IBackgroundCopyJob5_GetFileACLFlags(job, &flags);
    check_u32(hr, flags, FINAL_ACL_FLAGS, "GetFileACLFlags");
    hr = IBackgroundCopyJob5_GetPeerCachingFlags(job, &flags);
    check_u32(hr, flags, FINAL_PEER_FLAGS, "GetPeerCachingFlags");
    hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job, &u);
    check_u32(hr, u, FINAL_MAX_DOWNLOAD_TIME, "GetMaximumDownloadTime");
    BITS_JOB_PROPERTY_VALUE value;
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    check_u32(hr, value.Dword, FINAL_COST_FLAGS, "GetProperty(COST_FLAGS)");
    memset(&value, 0, sizeof value);
    hr = IBackgroundCopyJob5_GetProperty(job, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    CHECK_HR(hr, S_OK, nm("GetProperty(NOTIFICATION_CLSID)"));
    CHECK(IsEqualGUID(&value.ClsID, &final_clsid), nm("the notification CLSID is kept"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("the job is still SUSPENDED"));
    if (creation && modification) {
        BG_JOB_TIMES times;
        memset(&times, 0, sizeof times);
        CHECK_HR(IBackgroundCopyJob5_GetTimes(job, &times), S_OK, nm("GetTimes"));
        unsigned long long c = wcstoull(creation, NULL, 16), m = wcstoull(modification, NULL, 16);
        CHECK(ft64(times.CreationTime) == c && ft64(times.ModificationTime) == m,
              nm("CreationTime and ModificationTime are unchanged by the restart"));
    }
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC), S_OK,
             nm("RemoveCredentials(SERVER, BASIC) is S_OK: the credentials were kept"));
    CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC), S_FALSE,
             nm("RemoveCredentials(SERVER, BASIC) again is S_FALSE"));
    IBackgroundCopyJob5_Release(job);
}

static void verify_notify(IBackgroundCopyManager *manager, const GUID *id)
{
    section = "after restart";
    IBackgroundCopyJob5 *job = get_job(manager, id, "notify");
    if (!job)
        return;
    IUnknown *sink = (IUnknown *)1;
    HRESULT hr = IBackgroundCopyJob5_GetNotifyInterface(job, &sink);
    CHECK_HR(hr, S_OK, nm("GetNotifyInterface"));
    CHECK(sink == NULL, nm("the notify interface is not persisted: GetNotifyInterface gives NULL"));
    if (sink && sink != (IUnknown *)1)
        IUnknown_Release(sink);
    IBackgroundCopyJob5_Release(job);
}

static IBackgroundCopyFile *first_file(IBackgroundCopyJob5 *job, ULONG *count)
{
    IEnumBackgroundCopyFiles *e = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    *count = 0;
    HRESULT hr = IBackgroundCopyJob5_EnumFiles(job, &e);
    CHECK_HR(hr, S_OK, nm("EnumFiles"));
    if (FAILED(hr))
        return NULL;
    CHECK_HR(IEnumBackgroundCopyFiles_GetCount(e, count), S_OK, nm("IEnumBackgroundCopyFiles::GetCount"));
    hr = IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched);
    CHECK(hr == S_OK && fetched == 1 && file, nm("IEnumBackgroundCopyFiles::Next(1) gives the first file"));
    IEnumBackgroundCopyFiles_Release(e);
    return hr == S_OK ? file : NULL;
}

static void verify_queued(IBackgroundCopyManager *manager, const GUID *id)
{
    section = "after restart";
    IBackgroundCopyJob5 *job = get_job(manager, id, "queued");
    if (!job)
        return;
    /* It settled in TRANSIENT_ERROR before the restart; its retry is 600 s after that. */
    CHECK(state_of(job) == BG_JOB_STATE_TRANSIENT_ERROR,
          nm("a resumed job (unreachable URL) is still TRANSIENT_ERROR, waiting for its retry"));
    CHECK(file_count(job) == 1, nm("GetProgress counts the job's one file"));
    ULONG count = 0;
    IBackgroundCopyFile *file = first_file(job, &count);
    CHECK(count == 1, nm("EnumFiles lists one file"));
    if (file) {
        LPWSTR remote = NULL, local = NULL;
        CHECK_HR(IBackgroundCopyFile_GetRemoteName(file, &remote), S_OK, nm("GetRemoteName"));
        CHECK(wstr_eq(remote, REMOTE L"/queued"), nm("the file's remote name is kept"));
        CHECK_HR(IBackgroundCopyFile_GetLocalName(file, &local), S_OK, nm("GetLocalName"));
        CHECK(local && !_wcsicmp(local, local_name(L"queued.bin")), nm("the file's local name is kept"));
        CoTaskMemFree(remote), CoTaskMemFree(local);
        IBackgroundCopyFile_Release(file);
    }
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel the queued job"));
    IBackgroundCopyJob5_Release(job);
}

static int cmd_verify(IBackgroundCopyManager *manager, int argc, WCHAR **argv)
{
    section = "after restart";
    GUID props, notify, queued;
    if (!parse_guid(argv[0], &props, "props") || !parse_guid(argv[1], &notify, "notify") ||
        !parse_guid(argv[2], &queued, "queued"))
        return 1;
    verify_props(manager, &props, argc >= 5 ? argv[3] : NULL, argc >= 5 ? argv[4] : NULL);
    verify_notify(manager, &notify);
    verify_queued(manager, &queued);
    /* Leave no job behind in the runner's prefix (the queued one is cancelled above). */
    section = "clean-up";
    const GUID *left[] = {&props, &notify};
    for (int i = 0; i < 2; i++) {
        IBackgroundCopyJob *job = NULL;
        if (SUCCEEDED(IBackgroundCopyManager_GetJob(manager, left[i], &job))) {
            CHECK_HR(IBackgroundCopyJob_Cancel(job), S_OK, nm("Cancel the %s job", i ? "notify" : "props"));
            IBackgroundCopyJob_Release(job);
        }
    }
    return 0;
}

/* ---- notify: SetNotifyInterface / GetNotifyInterface --------------------------------------------- */

/* A callback sink (IBackgroundCopyCallback2) and an object that is not one; the process is in
 * the MTA, so the service's calls arrive on RPC threads. Both are static: never freed. */
typedef struct sink {
    IBackgroundCopyCallback2 iface;
    LONG refs;
} sink_t;

static HRESULT STDMETHODCALLTYPE sink_query_interface(IBackgroundCopyCallback2 *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualIID(riid, &IID_IBackgroundCopyCallback2)) {
        *out = iface;
        InterlockedIncrement(&((sink_t *)iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE sink_add_ref(IBackgroundCopyCallback2 *iface)
{
    return (ULONG)InterlockedIncrement(&((sink_t *)iface)->refs);
}
static ULONG STDMETHODCALLTYPE sink_release(IBackgroundCopyCallback2 *iface)
{
    return (ULONG)InterlockedDecrement(&((sink_t *)iface)->refs);
}
static HRESULT STDMETHODCALLTYPE sink_job_transferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job)
{
    (void)iface, (void)job;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE sink_job_error(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                                IBackgroundCopyError *error)
{
    (void)iface, (void)job, (void)error;
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
    (void)iface, (void)job, (void)file;
    return S_OK;
}
static IBackgroundCopyCallback2Vtbl sink_vtbl = {
    sink_query_interface, sink_add_ref, sink_release, sink_job_transferred, sink_job_error,
    sink_job_modification, sink_file_transferred,
};

typedef struct plain {
    IUnknown iface;
    LONG refs;
} plain_t;
static HRESULT STDMETHODCALLTYPE plain_query_interface(IUnknown *iface, REFIID riid, void **out)
{
    if (IsEqualIID(riid, &IID_IUnknown)) {
        *out = iface;
        InterlockedIncrement(&((plain_t *)iface)->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE plain_add_ref(IUnknown *iface)
{
    return (ULONG)InterlockedIncrement(&((plain_t *)iface)->refs);
}
static ULONG STDMETHODCALLTYPE plain_release(IUnknown *iface)
{
    return (ULONG)InterlockedDecrement(&((plain_t *)iface)->refs);
}
static IUnknownVtbl plain_vtbl = {plain_query_interface, plain_add_ref, plain_release};

static sink_t sink_a = {{&sink_vtbl}, 1}, sink_b = {{&sink_vtbl}, 1};
static plain_t plain = {{&plain_vtbl}, 1};

/* GetNotifyInterface returns an interface on the object `want` (NULL: none). */
static void check_notify(IBackgroundCopyJob5 *job, IUnknown *want, const char *what)
{
    IUnknown *got = (IUnknown *)1;
    HRESULT hr = IBackgroundCopyJob5_GetNotifyInterface(job, &got);
    CHECK_HR(hr, S_OK, nm("GetNotifyInterface %s", what));
    if (got == (IUnknown *)1)
        got = NULL;
    if (!want) {
        CHECK(got == NULL, nm("GetNotifyInterface %s gives NULL", what));
    } else {
        IUnknown *identity = NULL;
        if (got)
            IUnknown_QueryInterface(got, &IID_IUnknown, (void **)&identity);
        if (!CHECK(identity && identity == want,
                   nm("GetNotifyInterface %s gives the registered object (same IUnknown)", what)))
            printf("#   got %p (identity %p), want %p\n", (void *)got, (void *)identity, (void *)want);
        if (identity)
            IUnknown_Release(identity);
    }
    if (got)
        IUnknown_Release(got);
}

static int cmd_notify(IBackgroundCopyManager *manager)
{
    section = "notify interface";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: notify interface", &id);
    if (!job)
        return 1;
    IUnknown *a = (IUnknown *)&sink_a.iface, *b = (IUnknown *)&sink_b.iface;
    check_notify(job, NULL, "of a new job");
    CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(job, a), S_OK,
             nm("SetNotifyInterface(an IBackgroundCopyCallback2 sink)"));
    check_notify(job, a, "after SetNotifyInterface(sink)");
    CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(job, b), S_OK, nm("SetNotifyInterface(a second sink)"));
    check_notify(job, b, "after a second SetNotifyInterface: the last one wins");
    CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(job, NULL), S_OK, nm("SetNotifyInterface(NULL)"));
    check_notify(job, NULL, "after SetNotifyInterface(NULL)");
    CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(job, &plain.iface), E_NOINTERFACE,
             nm("SetNotifyInterface(an object without IBackgroundCopyCallback) is E_NOINTERFACE"));
    check_notify(job, NULL, "after the refused object");

    /* Another job object for the same job sees the same sink. */
    CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(job, a), S_OK, nm("SetNotifyInterface(sink) again"));
    IBackgroundCopyJob5 *other = get_job(manager, &id, "notify (second object)");
    if (other) {
        check_notify(other, a, "through a second job object (GetJob)");
        IBackgroundCopyJob5_Release(other);
    }
    CHECK(FAILED(IBackgroundCopyJob5_GetNotifyInterface(job, NULL)), nm("GetNotifyInterface(NULL) fails"));

    /* A cancelled job drops its sink and refuses new ones. */
    GUID id2;
    IBackgroundCopyJob5 *gone = new_job(manager, L"job api: notify on a cancelled job", &id2);
    if (gone) {
        CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(gone, b), S_OK, nm("SetNotifyInterface on a second job"));
        CHECK_HR(IBackgroundCopyJob5_Cancel(gone), S_OK, nm("Cancel the second job"));
        CHECK_HR(IBackgroundCopyJob5_SetNotifyInterface(gone, b), DO_E_INVALID_STATE,
                 nm("SetNotifyInterface on a cancelled job is DO_E_INVALID_STATE"));
        IUnknown *got = (IUnknown *)1;
        CHECK_HR(IBackgroundCopyJob5_GetNotifyInterface(gone, &got), DO_E_INVALID_STATE,
                 nm("GetNotifyInterface on a cancelled job is DO_E_INVALID_STATE"));
        if (got && got != (IUnknown *)1)
            IUnknown_Release(got);
        IBackgroundCopyJob5_Release(gone);
    }
    /* The sink stays registered when this process exits: verify expects none after a restart. */
    print_guid("JOB", &id);
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- queued: a job with a file, resumed (verify checks it after the restart) ---------------------- */

static int cmd_queued(IBackgroundCopyManager *manager)
{
    section = "queued job";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: queued", &id);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE L"/queued", local_name(L"queued.bin")), S_OK, nm("AddFile"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume"));
    CHECK(is_action_state(state_of(job)), nm("the job is in an action state (QUEUED/TRANSFERRING/TRANSIENT_ERROR)"));
    CHECK(wait_state(job, BG_JOB_STATE_TRANSIENT_ERROR),
          nm("the job (unreachable URL) settles in TRANSIENT_ERROR within 10 s"));
    print_guid("JOB", &id);
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- download: the service downloads a file for real (tests/e2e/job_api.sh serves it) ----------- */

/* COM identity: GetJob of a held job returns the object (so the proxy) the client already has. */
static int same_object_again(IBackgroundCopyManager *manager, IBackgroundCopyJob5 *job, const GUID *id)
{
    IBackgroundCopyJob *again = NULL;
    IUnknown *first = NULL, *second = NULL;
    int same = SUCCEEDED(IBackgroundCopyManager_GetJob(manager, id, &again)) &&
               SUCCEEDED(IBackgroundCopyJob5_QueryInterface(job, &IID_IUnknown, (void **)&first)) &&
               SUCCEEDED(IBackgroundCopyJob_QueryInterface(again, &IID_IUnknown, (void **)&second)) &&
               first == second;
    if (first)
        IUnknown_Release(first);
    if (second)
        IUnknown_Release(second);
    if (again)
        IBackgroundCopyJob_Release(again);
    return same;
}

static int cmd_download(IBackgroundCopyManager *manager, const WCHAR *url, WCHAR *user, WCHAR *password)
{
    section = user ? "download with credentials" : "download";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: download", &id);
    if (!job)
        return 1;
    CHECK(same_object_again(manager, job, &id), nm("GetJob of a job the client holds gives the same object back"));
    const WCHAR *local = local_name(L"download.bin");
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, url, local), S_OK, nm("AddFile(%ls)", url));
    if (user) {
        BG_AUTH_CREDENTIALS credentials = {BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC,
                                           {.Basic = {user, password}}};
        CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &credentials), S_OK,
                 nm("SetCredentials(server, Basic, %ls)", user));
    }
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume"));
    BG_JOB_STATE state = state_of(job);
    for (int i = 0; i < 600 && state != BG_JOB_STATE_TRANSFERRED && state != BG_JOB_STATE_ERROR; i++) {
        Sleep(100);
        state = state_of(job);
    }
    if (!CHECK(state == BG_JOB_STATE_TRANSFERRED, nm("the job reaches TRANSFERRED within 60 s"))) {
        IBackgroundCopyError *error = NULL;
        HRESULT code = S_OK;
        BG_ERROR_CONTEXT context = 0;
        if (SUCCEEDED(IBackgroundCopyJob5_GetError(job, &error))) {
            IBackgroundCopyError_GetError(error, &context, &code);
            IBackgroundCopyError_Release(error);
        }
        printf("#   state %d, error 0x%08lx context %d\n", (int)state, (unsigned long)code, (int)context);
    }
    BG_JOB_PROGRESS progress;
    memset(&progress, 0, sizeof progress);
    CHECK_HR(IBackgroundCopyJob5_GetProgress(job, &progress), S_OK, nm("GetProgress"));
    CHECK(progress.BytesTotal == progress.BytesTransferred && progress.BytesTotal == 5u * 1024 * 1024 &&
              progress.FilesTransferred == 1,
          nm("GetProgress: 5 MiB of 5 MiB, 1 file of 1"));
    CHECK_HR(IBackgroundCopyJob5_Complete(job), S_OK, nm("Complete"));
    CHECK(state_of(job) == BG_JOB_STATE_ACKNOWLEDGED, nm("the completed job is ACKNOWLEDGED"));
    DWORD attributes = GetFileAttributesW(local);
    CHECK(attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_HIDDEN),
          nm("Complete left the local file, not hidden"));
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- states: spec §8 ------------------------------------------------------------------------------ */

/* Every call on a job object whose job became final gives DO_E_INVALID_STATE. */
static void check_final(IBackgroundCopyManager *manager, IBackgroundCopyJob5 *job, const GUID *id,
                        BG_JOB_STATE final_state, const char *how)
{
    BG_JOB_STATE state = (BG_JOB_STATE)-1;
    CHECK_HR(IBackgroundCopyJob5_GetState(job, &state), S_OK, nm("GetState after %s", how));
    if (!CHECK(state == final_state, nm("GetState after %s is %s", how,
                                        final_state == BG_JOB_STATE_CANCELLED ? "CANCELLED" : "ACKNOWLEDGED")))
        printf("#   got %d\n", state);
    CHECK_HR(IBackgroundCopyJob5_SetDisplayName(job, L"too late"), DO_E_INVALID_STATE,
             nm("SetDisplayName after %s is DO_E_INVALID_STATE 0x80D02013", how));
    CHECK_HR(IBackgroundCopyJob5_SetNotifyFlags(job, 1), DO_E_INVALID_STATE,
             nm("SetNotifyFlags after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_SetNoProgressTimeout(job, 5), DO_E_INVALID_STATE,
             nm("SetNoProgressTimeout after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_SetPriority(job, BG_JOB_PRIORITY_LOW), DO_E_INVALID_STATE,
             nm("SetPriority after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), DO_E_INVALID_STATE, nm("Resume after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_Suspend(job), DO_E_INVALID_STATE, nm("Suspend after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), DO_E_INVALID_STATE, nm("Cancel after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_Complete(job), DO_E_INVALID_STATE,
             nm("Complete after %s is DO_E_INVALID_STATE", how));
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE L"/late", local_name(L"late.bin")), DO_E_INVALID_STATE,
             nm("AddFile after %s is DO_E_INVALID_STATE", how));
    LPWSTR text = NULL;
    CHECK_HR(IBackgroundCopyJob5_GetDisplayName(job, &text), DO_E_INVALID_STATE,
             nm("GetDisplayName after %s is DO_E_INVALID_STATE", how));
    CoTaskMemFree(text);
    IBackgroundCopyJob *found = NULL;
    CHECK_HR(IBackgroundCopyManager_GetJob(manager, id, &found), DO_E_JOB_NOT_FOUND,
             nm("GetJob after %s is DO_E_JOB_NOT_FOUND 0x80D02003", how));
    if (found)
        IBackgroundCopyJob_Release(found);
    CHECK(enum_lists(manager, 0, id) == 0, nm("EnumJobs no longer lists the job after %s", how));
}

static int cmd_states(IBackgroundCopyManager *manager)
{
    section = "states";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: cancelled", &id);
    if (!job)
        return 1;
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("a new job is SUSPENDED"));
    CHECK(enum_lists(manager, 0, &id) == 1, nm("EnumJobs lists the new job"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), DO_E_JOB_EMPTY, nm("Resume without files is DO_E_JOB_EMPTY 0x80D02004"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("after the refused Resume the job is still SUSPENDED"));
    CHECK_HR(IBackgroundCopyJob5_Suspend(job), S_OK, nm("Suspend of a SUSPENDED job"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("Suspend leaves a SUSPENDED job SUSPENDED"));
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE, local_name(L"state-a.bin")), S_OK,
             nm("AddFile(http://127.0.0.1:1/x, C:\\opendo-tests\\job-api\\state-a.bin)"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("AddFile leaves the job SUSPENDED"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume with a file"));
    CHECK(is_action_state(state_of(job)), nm("Resume moves the job to an action state (QUEUED/TRANSFERRING/TRANSIENT_ERROR)"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume of a resumed job"));
    CHECK(is_action_state(state_of(job)), nm("a second Resume leaves it in an action state"));
    CHECK_HR(IBackgroundCopyJob5_Suspend(job), S_OK, nm("Suspend"));
    CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("Suspend moves the job to SUSPENDED"));
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE L"/b", local_name(L"state-b.bin")), S_OK,
             nm("AddFile while SUSPENDED after a Resume"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume again"));
    CHECK(is_action_state(state_of(job)), nm("in an action state again"));
    CHECK(FAILED(IBackgroundCopyJob5_GetState(job, NULL)), nm("GetState(NULL) fails"));

    IBackgroundCopyJob5 *second = get_job(manager, &id, "cancelled (second object)");
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel is S_OK"));
    check_final(manager, job, &id, BG_JOB_STATE_CANCELLED, "Cancel");
    if (second) {
        CHECK(state_of(second) == BG_JOB_STATE_CANCELLED, nm("another object for the job also sees CANCELLED"));
        CHECK_HR(IBackgroundCopyJob5_SetDescription(second, L"x"), DO_E_INVALID_STATE,
                 nm("SetDescription through the other object is DO_E_INVALID_STATE"));
        IBackgroundCopyJob5_Release(second);
    }
    IBackgroundCopyJob5_Release(job);

    GUID id2;
    job = new_job(manager, L"job api: completed", &id2);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE L"/c", local_name(L"state-c.bin")), S_OK, nm("AddFile (job 2)"));
    CHECK_HR(IBackgroundCopyJob5_Resume(job), S_OK, nm("Resume (job 2)"));
    CHECK(is_action_state(state_of(job)), nm("job 2 is in an action state"));
    CHECK_HR(IBackgroundCopyJob5_Complete(job), S_OK, nm("Complete is S_OK"));
    check_final(manager, job, &id2, BG_JOB_STATE_ACKNOWLEDGED, "Complete");
    IBackgroundCopyJob5_Release(job);

    GUID id3;
    job = new_job(manager, L"job api: cancelled while suspended, empty", &id3);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel of a new, empty job"));
    CHECK(state_of(job) == BG_JOB_STATE_CANCELLED, nm("an empty cancelled job is CANCELLED"));
    IBackgroundCopyJob5_Release(job);

    GUID id4;
    job = new_job(manager, L"job api: completed while suspended", &id4);
    if (!job)
        return 1;
    CHECK_HR(IBackgroundCopyJob5_Complete(job), S_OK, nm("Complete of a new SUSPENDED job"));
    CHECK(state_of(job) == BG_JOB_STATE_ACKNOWLEDGED, nm("a completed SUSPENDED job is ACKNOWLEDGED"));
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- files: the ways to add files, EnumFiles, ReplaceRemotePrefix -------------------------------- */

/* Remote names of the job's files in order, into names (CoTaskMemFree each); returns the count
 * or -1 when the file objects fail. */
static int remote_names(IBackgroundCopyJob5 *job, LPWSTR *names, int max)
{
    IEnumBackgroundCopyFiles *e = NULL;
    HRESULT hr = IBackgroundCopyJob5_EnumFiles(job, &e);
    if (FAILED(hr)) {
        printf("#   EnumFiles: 0x%08lx\n", (unsigned long)hr);
        return -1;
    }
    int n = 0;
    IBackgroundCopyFile *file;
    ULONG fetched = 0;
    while (n < max && IEnumBackgroundCopyFiles_Next(e, 1, &file, &fetched) == S_OK && fetched == 1) {
        names[n] = NULL;
        hr = IBackgroundCopyFile_GetRemoteName(file, &names[n]);
        IBackgroundCopyFile_Release(file);
        if (FAILED(hr)) {
            printf("#   GetRemoteName: 0x%08lx\n", (unsigned long)hr);
            n = -1;
            break;
        }
        n++;
    }
    IEnumBackgroundCopyFiles_Release(e);
    return n;
}

static void check_names(IBackgroundCopyJob5 *job, const WCHAR *const *want, int count, const char *what)
{
    LPWSTR names[16] = {0};
    int n = remote_names(job, names, 16);
    if (n < 0) {
        CHECK(0, nm("%s: EnumFiles + GetRemoteName work (file objects)", what));
        return;
    }
    int ok = n == count;
    for (int i = 0; ok && i < n; i++)
        ok = wstr_eq(names[i], want[i]);
    if (!CHECK(ok, nm("%s", what)))
        for (int i = 0; i < n; i++)
            printf("#   file %d: %ls\n", i, names[i] ? names[i] : L"(null)");
    for (int i = 0; i < n; i++)
        CoTaskMemFree(names[i]);
}

static int cmd_files(IBackgroundCopyManager *manager)
{
    section = "files";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: files", &id);
    if (!job)
        return 1;
    HRESULT hr;
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, L"http://127.0.0.1:1/x/a", local_name(L"a.bin")), S_OK,
             nm("AddFile(http://127.0.0.1:1/x/a)"));
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, L"http://127.0.0.1:1/x/z", L"C:\\opendo-tests\\no-such-dir\\z.bin"),
             E_INVALIDARG, nm("AddFile into a directory that does not exist is E_INVALIDARG"));
    CHECK(FAILED(IBackgroundCopyJob5_AddFile(job, NULL, local_name(L"n.bin"))), nm("AddFile(NULL remote) fails"));
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, L"ftp://127.0.0.1/x", local_name(L"f.bin")), E_INVALIDARG,
             nm("AddFile(ftp://) is E_INVALIDARG (unsupported protocol)"));

    BG_FILE_INFO set[2] = {
        {(LPWSTR)L"http://127.0.0.1:1/x/b", (LPWSTR)local_name(L"b.bin")},
        {(LPWSTR)L"https://other.example/c", (LPWSTR)local_name(L"c.bin")},
    };
    CHECK_HR(IBackgroundCopyJob5_AddFileSet(job, 2, set), S_OK, nm("AddFileSet(2 files)"));
    CHECK_HR(IBackgroundCopyJob5_AddFileSet(job, 0, set), E_INVALIDARG, nm("AddFileSet(0 files) is E_INVALIDARG"));
    BG_FILE_INFO bad_set[2] = {
        {(LPWSTR)L"http://127.0.0.1:1/x/ok", (LPWSTR)local_name(L"ok.bin")},
        {(LPWSTR)L"http://127.0.0.1:1/x/bad", (LPWSTR)L"relative.bin"},
    };
    CHECK(FAILED(IBackgroundCopyJob5_AddFileSet(job, 2, bad_set)), nm("AddFileSet with one bad local name fails"));
    CHECK(file_count(job) == 3, nm("AddFileSet adds all files or none (3 files)"));

    BG_FILE_RANGE ranges[2] = {{200, 50}, {0, 100}};
    CHECK_HR(IBackgroundCopyJob5_AddFileWithRanges(job, L"http://127.0.0.1:1/x/d", local_name(L"d.bin"), 2, ranges),
             S_OK, nm("Job3 AddFileWithRanges(2 ranges)"));
    BG_FILE_RANGE overlapping[2] = {{0, 100}, {50, 10}};
    CHECK_HR(IBackgroundCopyJob5_AddFileWithRanges(job, L"http://127.0.0.1:1/x/o", local_name(L"o.bin"), 2,
                                                   overlapping),
             DO_E_OVERLAPPING_RANGES, nm("Job3 AddFileWithRanges(overlapping) is DO_E_OVERLAPPING_RANGES"));
    BG_FILE_RANGE empty_range[1] = {{10, 0}};
    CHECK_HR(IBackgroundCopyJob5_AddFileWithRanges(job, L"http://127.0.0.1:1/x/o", local_name(L"o.bin"), 1,
                                                   empty_range),
             DO_E_INVALID_RANGE, nm("Job3 AddFileWithRanges(length 0) is DO_E_INVALID_RANGE"));

    IDeliveryOptimizationJob *do_job = NULL;
    hr = IBackgroundCopyJob5_QueryInterface(job, &IID_IDeliveryOptimizationJob, (void **)&do_job);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IDeliveryOptimizationJob)"));
    if (do_job) {
        BG_FILE_RANGE r[1] = {{0, 4096}};
        CHECK_HR(IDeliveryOptimizationJob_AddFileWithRanges(do_job, L"file-e", L"http://127.0.0.1:1/x/e",
                                                            local_name(L"e.bin"), 1, r, 1 << 20),
                 S_OK, nm("IDeliveryOptimizationJob::AddFileWithRanges(fileId, 1 range, size)"));
        BG_FILE_RANGE dup[2] = {{100, 5}, {100, 3}};
        CHECK_HR(IDeliveryOptimizationJob_AddFileWithRanges(do_job, L"file-x", L"http://127.0.0.1:1/x/x",
                                                            local_name(L"x.bin"), 2, dup, DO_UNKNOWN_FILE_SIZE),
                 DO_E_OVERLAPPING_RANGES, nm("IDeliveryOptimizationJob::AddFileWithRanges((100,5),(100,3)) "
                                             "is DO_E_OVERLAPPING_RANGES"));
        CHECK_HR(IDeliveryOptimizationJob_AddFileWithRanges(do_job, L"file-y", L"http://127.0.0.1:1/x/y", L"", 0,
                                                            NULL, DO_UNKNOWN_FILE_SIZE),
                 E_INVALIDARG, nm("IDeliveryOptimizationJob::AddFileWithRanges(empty local name) is E_INVALIDARG"));
        BG_FILE_RANGE outside[1] = {{5000, 10}};
        CHECK_HR(IDeliveryOptimizationJob_AddFileWithRanges(do_job, L"file-z", L"http://127.0.0.1:1/x/z",
                                                            local_name(L"z.bin"), 1, outside, 1000),
                 DO_E_INVALID_RANGE, nm("IDeliveryOptimizationJob::AddFileWithRanges(range outside the file) "
                                        "is DO_E_INVALID_RANGE"));
        IDeliveryOptimizationJob_Release(do_job);
    }
    CHECK(file_count(job) == 5, nm("GetProgress counts the 5 files added"));
    BG_JOB_PROGRESS progress;
    memset(&progress, 0, sizeof progress);
    CHECK_HR(IBackgroundCopyJob5_GetProgress(job, &progress), S_OK, nm("GetProgress"));
    CHECK(progress.BytesTotal == BG_SIZE_UNKNOWN && progress.BytesTransferred == 0 && progress.FilesTransferred == 0,
          nm("GetProgress: BytesTotal unknown while a size is unknown, nothing transferred"));

    static const WCHAR *const before[] = {
        L"http://127.0.0.1:1/x/a", L"http://127.0.0.1:1/x/b", L"https://other.example/c",
        L"http://127.0.0.1:1/x/d", L"http://127.0.0.1:1/x/e",
    };
    check_names(job, before, 5, "EnumFiles/GetRemoteName list the 5 files in order");
    CHECK_HR(IBackgroundCopyJob5_ReplaceRemotePrefix(job, L"HTTP://127.0.0.1:1/x/", L"http://127.0.0.1:2/y/"), S_OK,
             nm("ReplaceRemotePrefix(HTTP://127.0.0.1:1/x/ -> http://127.0.0.1:2/y/)"));
    static const WCHAR *const after[] = {
        L"http://127.0.0.1:2/y/a", L"http://127.0.0.1:2/y/b", L"https://other.example/c",
        L"http://127.0.0.1:2/y/d", L"http://127.0.0.1:2/y/e",
    };
    check_names(job, after, 5, "ReplaceRemotePrefix changes only the matching names (case-insensitive)");
    CHECK_HR(IBackgroundCopyJob5_ReplaceRemotePrefix(job, L"http://127.0.0.1:2/", L"ftp://127.0.0.1/"),
             E_INVALIDARG, nm("ReplaceRemotePrefix to ftp:// is E_INVALIDARG (unsupported protocol)"));
    check_names(job, after, 5, "a refused ReplaceRemotePrefix changes no name");
    CHECK_HR(IBackgroundCopyJob5_ReplaceRemotePrefix(job, L"http://nowhere.example/", L"http://elsewhere.example/"),
             S_OK, nm("ReplaceRemotePrefix matching no file is S_OK"));
    check_names(job, after, 5, "ReplaceRemotePrefix matching no file changes nothing");
    CHECK(FAILED(IBackgroundCopyJob5_ReplaceRemotePrefix(job, NULL, L"http://a/")),
          nm("ReplaceRemotePrefix(NULL, ...) fails"));

    IDeliveryOptimizationJob2 *do_job2 = NULL;
    hr = IBackgroundCopyJob5_QueryInterface(job, &IID_IDeliveryOptimizationJob2, (void **)&do_job2);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IDeliveryOptimizationJob2)"));
    if (do_job2) {
        IUnknown *object = (IUnknown *)1;
        hr = IDeliveryOptimizationJob2_AddFile(do_job2, L"file-g", L"http://127.0.0.1:1/x/g", 0, NULL,
                                               &IID_IBackgroundCopyJob, (void **)&object);
        CHECK_HR(hr, E_NOINTERFACE, nm("IDeliveryOptimizationJob2::AddFile(riid IBackgroundCopyJob) is E_NOINTERFACE"));
        if (SUCCEEDED(hr) && object && object != (IUnknown *)1)
            IUnknown_Release(object);
        CHECK(file_count(job) == 5, nm("the refused AddFile added no file"));
        object = NULL;
        hr = IDeliveryOptimizationJob2_AddFile(do_job2, L"file-f", L"http://127.0.0.1:1/x/f", 0, NULL,
                                               &IID_IDeliveryOptimizationFile, (void **)&object);
        CHECK_HR(hr, S_OK, nm("IDeliveryOptimizationJob2::AddFile(riid IDeliveryOptimizationFile)"));
        CHECK(SUCCEEDED(hr) && object != NULL, nm("IDeliveryOptimizationJob2::AddFile returns the file object"));
        if (SUCCEEDED(hr) && object)
            IUnknown_Release(object);
        CHECK(file_count(job) == 6, nm("IDeliveryOptimizationJob2::AddFile adds a file"));
        CHECK_HR(IBackgroundCopyJob5_Resume(job), DO_E_FILE_DOWNLOADSINK_UNSPECIFIED,
                 nm("Resume with a file that has no sink is DO_E_FILE_DOWNLOADSINK_UNSPECIFIED 0x80D02018"));
        CHECK(state_of(job) == BG_JOB_STATE_SUSPENDED, nm("the job stays SUSPENDED"));
        IDeliveryOptimizationJob2_Release(do_job2);
    }
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel the files job"));
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- errors: GetError, GetErrorDescription ------------------------------------------------------ */

static int contains_ci(const WCHAR *text, const WCHAR *word)
{
    WCHAR lower[4096];
    if (!text)
        return 0;
    size_t i = 0;
    for (; text[i] && i < 4095; i++)
        lower[i] = towlower(text[i]);
    lower[i] = 0;
    return wcsstr(lower, word) != NULL;
}

static void describe(IBackgroundCopyManager *manager, HRESULT code, DWORD language, HRESULT want,
                     const WCHAR *word, const char *what)
{
    LPWSTR text = (LPWSTR)1;
    HRESULT hr = IBackgroundCopyManager_GetErrorDescription(manager, code, language, &text);
    if (text == (LPWSTR)1)
        text = NULL;
    CHECK_HR(hr, want, nm("GetErrorDescription(%s) is 0x%08lx", what, (unsigned long)want));
    if (want == S_OK) {
        if (!CHECK(text && text[0] && (!word || contains_ci(text, word)),
                   nm("GetErrorDescription(%s) gives a text%s%ls%s", what, word ? " containing \"" : "",
                      word ? word : L"", word ? "\"" : "")))
            printf("#   text: %ls\n", text ? text : L"(null)");
    } else {
        CHECK(text == NULL, nm("GetErrorDescription(%s) returns no text", what));
    }
    CoTaskMemFree(text);
}

static int cmd_errors(IBackgroundCopyManager *manager)
{
    section = "errors";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: errors", &id);
    if (!job)
        return 1;
    IBackgroundCopyError *error = (IBackgroundCopyError *)1;
    CHECK_HR(IBackgroundCopyJob5_GetError(job, &error), DO_E_ERROR_INFORMATION_UNAVAILABLE,
             nm("GetError on a job without error is DO_E_ERROR_INFORMATION_UNAVAILABLE 0x80D02014"));
    CHECK(error == NULL, nm("GetError without error returns NULL"));
    if (error && error != (IBackgroundCopyError *)1)
        IBackgroundCopyError_Release(error);
    CHECK_HR(IBackgroundCopyJob5_AddFile(job, REMOTE, local_name(L"err.bin")), S_OK, nm("AddFile"));
    error = NULL;
    CHECK_HR(IBackgroundCopyJob5_GetError(job, &error), DO_E_ERROR_INFORMATION_UNAVAILABLE,
             nm("GetError on a SUSPENDED job with a file is DO_E_ERROR_INFORMATION_UNAVAILABLE"));
    if (error)
        IBackgroundCopyError_Release(error);
    CHECK(FAILED(IBackgroundCopyJob5_GetError(job, NULL)), nm("GetError(NULL) fails"));
    ULONG count = 77;
    CHECK(SUCCEEDED(IBackgroundCopyJob5_GetErrorCount(job, &count)) && count == 0, nm("GetErrorCount is 0"));
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel"));
    IBackgroundCopyJob5_Release(job);

    describe(manager, DO_E_JOB_NOT_FOUND, 0, S_OK, L"job", "DO_E_JOB_NOT_FOUND, language 0");
    describe(manager, DO_E_JOB_NOT_FOUND, 0x0409, S_OK, L"job", "DO_E_JOB_NOT_FOUND, language 0x0409");
    describe(manager, DO_E_JOB_NOT_FOUND, 0x0407, S_OK, NULL, "DO_E_JOB_NOT_FOUND, language 0x0407");
    describe(manager, DO_E_INVALID_STATE, 0, S_OK, NULL, "DO_E_INVALID_STATE");
    describe(manager, (HRESULT)0x80190194, 0, S_OK, NULL, "HTTP 404 0x80190194");
    describe(manager, E_ACCESSDENIED, 0, S_OK, NULL, "E_ACCESSDENIED");
    describe(manager, (HRESULT)0x80D0FFFF, 0, HR_MID_NOT_FOUND, NULL,
             "unknown code 0x80D0FFFF: HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND)");
    CHECK(FAILED(IBackgroundCopyManager_GetErrorDescription(manager, DO_E_JOB_NOT_FOUND, 0, NULL)),
          nm("GetErrorDescription with a NULL out pointer fails"));
    describe(manager, DO_E_JOB_EMPTY, 0, S_OK, NULL, "DO_E_JOB_EMPTY after the NULL call: the service is up");
    return 0;
}

/* ---- slots: E_NOTIMPL, QueryInterface, IDeliveryOptimizationJob2 properties --------------------- */

static void check_qi(IBackgroundCopyJob5 *job, REFIID iid, HRESULT want, const char *name)
{
    IUnknown *object = (IUnknown *)1;
    HRESULT hr = IBackgroundCopyJob5_QueryInterface(job, iid, (void **)&object);
    CHECK_HR(hr, want, nm("QueryInterface(%s) is %s", name, want == S_OK ? "S_OK" : "E_NOINTERFACE"));
    if (SUCCEEDED(hr) && object) {
        /* The interface belongs to the same job object: same COM identity. */
        IUnknown *a = NULL, *b = NULL;
        IUnknown_QueryInterface(object, &IID_IUnknown, (void **)&a);
        IBackgroundCopyJob5_QueryInterface(job, &IID_IUnknown, (void **)&b);
        CHECK(a && a == b, nm("QueryInterface(%s) has the job's identity", name));
        if (a)
            IUnknown_Release(a);
        if (b)
            IUnknown_Release(b);
        IUnknown_Release(object);
    } else {
        CHECK(object == NULL, nm("a refused QueryInterface(%s) returns NULL", name));
    }
}

static int cmd_slots(IBackgroundCopyManager *manager)
{
    section = "slots";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: slots", &id);
    if (!job)
        return 1;
    BG_JOB_REPLY_PROGRESS reply;
    memset(&reply, 0, sizeof reply);
    CHECK_HR(IBackgroundCopyJob5_GetReplyProgress(job, &reply), E_NOTIMPL, nm("GetReplyProgress is E_NOTIMPL"));
    byte *buffer = NULL;
    UINT64 length = 0;
    CHECK_HR(IBackgroundCopyJob5_GetReplyData(job, &buffer, &length), E_NOTIMPL, nm("GetReplyData is E_NOTIMPL"));
    CoTaskMemFree(buffer);
    CHECK_HR(IBackgroundCopyJob5_SetReplyFileName(job, local_name(L"reply.bin")), E_NOTIMPL,
             nm("SetReplyFileName is E_NOTIMPL"));
    CHECK_HR(IBackgroundCopyJob5_SetReplyFileName(job, NULL), E_NOTIMPL, nm("SetReplyFileName(NULL) is E_NOTIMPL"));
    LPWSTR name = NULL;
    CHECK_HR(IBackgroundCopyJob5_GetReplyFileName(job, &name), E_NOTIMPL, nm("GetReplyFileName is E_NOTIMPL"));
    CoTaskMemFree(name);
    ULONG level = 0;
    CHECK_HR(IBackgroundCopyJob5_GetOwnerIntegrityLevel(job, &level), E_NOTIMPL,
             nm("GetOwnerIntegrityLevel is E_NOTIMPL"));
    BOOL elevated = FALSE;
    CHECK_HR(IBackgroundCopyJob5_GetOwnerElevationState(job, &elevated), E_NOTIMPL,
             nm("GetOwnerElevationState is E_NOTIMPL"));

    check_qi(job, &IID_IBackgroundCopyJob, S_OK, "IBackgroundCopyJob");
    check_qi(job, &IID_IBackgroundCopyJob2, S_OK, "IBackgroundCopyJob2");
    check_qi(job, &IID_IBackgroundCopyJob3, S_OK, "IBackgroundCopyJob3");
    check_qi(job, &IID_IBackgroundCopyJob4, S_OK, "IBackgroundCopyJob4");
    check_qi(job, &IID_IBackgroundCopyJob5, S_OK, "IBackgroundCopyJob5");
    check_qi(job, &IID_IDeliveryOptimizationJob, S_OK, "IDeliveryOptimizationJob");
    check_qi(job, &IID_IDeliveryOptimizationJob2, S_OK, "IDeliveryOptimizationJob2");
    check_qi(job, &IID_IBackgroundCopyFile, E_NOINTERFACE, "IBackgroundCopyFile");
    check_qi(job, &IID_IBackgroundCopyManager, E_NOINTERFACE, "IBackgroundCopyManager");
    check_qi(job, &IID_IDeliveryOptimizationFile, E_NOINTERFACE, "IDeliveryOptimizationFile");

    /* Back from a DO interface to the BITS one: the same job. */
    IDeliveryOptimizationJob2 *do_job2 = NULL;
    IBackgroundCopyJob5_QueryInterface(job, &IID_IDeliveryOptimizationJob2, (void **)&do_job2);
    if (do_job2) {
        IBackgroundCopyJob *back = NULL;
        HRESULT hr = IDeliveryOptimizationJob2_QueryInterface(do_job2, &IID_IBackgroundCopyJob, (void **)&back);
        GUID got = GUID_NULL;
        if (back)
            IBackgroundCopyJob_GetId(back, &got);
        CHECK(SUCCEEDED(hr) && IsEqualGUID(&got, &id),
              nm("IDeliveryOptimizationJob2 -> QueryInterface(IBackgroundCopyJob) -> GetId is the job's id"));
        if (back)
            IBackgroundCopyJob_Release(back);

        section = "IDeliveryOptimizationJob2";
        VARIANT value;
        VariantInit(&value);
        hr = IDeliveryOptimizationJob2_GetProperty(do_job2, DOJobPropertyId_ExtendedErrorInfo, &value);
        CHECK_HR(hr, S_OK, nm("GetProperty(ExtendedErrorInfo)"));
        CHECK(V_VT(&value) == VT_BSTR, nm("GetProperty(ExtendedErrorInfo) is a VT_BSTR"));
        CHECK(V_VT(&value) == VT_BSTR && SysStringLen(V_BSTR(&value)) == 0,
              nm("ExtendedErrorInfo is empty while the job has no error"));
        VariantClear(&value);
        VariantInit(&value);
        V_VT(&value) = VT_BSTR;
        V_BSTR(&value) = SysAllocString(L"overwritten?");
        CHECK_HR(IDeliveryOptimizationJob2_SetProperty(do_job2, DOJobPropertyId_ExtendedErrorInfo, &value),
                 DO_E_READ_ONLY_PROPERTY, nm("SetProperty(ExtendedErrorInfo) is DO_E_READ_ONLY_PROPERTY 0x80D02012"));
        CHECK_HR(IDeliveryOptimizationJob2_SetProperty(do_job2, (DOJobPropertyId)99, &value),
                 DO_E_UNKNOWN_PROPERTY_ID, nm("SetProperty(99) is DO_E_UNKNOWN_PROPERTY_ID 0x80D02011"));
        VariantClear(&value);
        VariantInit(&value);
        CHECK_HR(IDeliveryOptimizationJob2_GetProperty(do_job2, (DOJobPropertyId)99, &value),
                 DO_E_UNKNOWN_PROPERTY_ID, nm("GetProperty(99) is DO_E_UNKNOWN_PROPERTY_ID 0x80D02011"));
        VariantClear(&value);
        CHECK_HR(IDeliveryOptimizationJob2_GetProperty(do_job2, (DOJobPropertyId)32767, &value),
                 DO_E_UNKNOWN_PROPERTY_ID, nm("GetProperty(32767) is DO_E_UNKNOWN_PROPERTY_ID"));
        VariantClear(&value);
        CHECK_HR(IDeliveryOptimizationJob2_GetProperty(do_job2, (DOJobPropertyId)-1, &value),
                 HR_PROXY_ENUM_RANGE, nm("GetProperty(-1) is refused by the proxy (NDR enum range)"));
        VariantClear(&value);
        CHECK(FAILED(IDeliveryOptimizationJob2_GetProperty(do_job2, DOJobPropertyId_ExtendedErrorInfo, NULL)),
              nm("GetProperty(ExtendedErrorInfo, NULL) fails"));
        IDeliveryOptimizationJob2_Release(do_job2);
    }
    section = "slots";
    GUID got = GUID_NULL;
    CHECK_HR(IBackgroundCopyJob5_GetId(job, &got), S_OK, nm("GetId"));
    CHECK(IsEqualGUID(&got, &id), nm("GetId is the id CreateJob returned"));
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel"));
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* ---- http: IBackgroundCopyJobHttpOptions ---------------------------------------------------------- */

#define HR_BG_E_STRING_TOO_LONG ((HRESULT)0x80200021)
#define FINAL_HEADERS L"X-Opendo-Test: \u00e9t\u00e9 \u20ac\r\nAccept-Language: fr-CH, fr;q=0.9\r\n"
#define FINAL_SECURITY_FLAGS                                                                          \
    (BG_SSL_ENABLE_CRL_CHECK | BG_SSL_IGNORE_CERT_CN_INVALID | BG_SSL_IGNORE_CERT_DATE_INVALID |     \
     BG_SSL_IGNORE_UNKNOWN_CA | BG_SSL_IGNORE_CERT_WRONG_USAGE | BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT | \
     BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP) /* 0x91F */
#define HEADERS_SENTINEL ((LPWSTR)1)

static IBackgroundCopyJobHttpOptions *http_options_of(IBackgroundCopyJob5 *job, const char *which)
{
    IBackgroundCopyJobHttpOptions *options = NULL;
    HRESULT hr = IBackgroundCopyJob5_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    CHECK_HR(hr, S_OK, nm("QueryInterface(IBackgroundCopyJobHttpOptions) on the %s job", which));
    return SUCCEEDED(hr) ? options : NULL;
}

/* want NULL: S_FALSE and NULL expected. */
static void check_headers(IBackgroundCopyJobHttpOptions *options, const WCHAR *want, const char *what)
{
    LPWSTR got = HEADERS_SENTINEL;
    HRESULT hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(options, &got);
    if (want) {
        CHECK_HR(hr, S_OK, nm("GetCustomHeaders %s is S_OK", what));
        CHECK(got != HEADERS_SENTINEL && wstr_eq(got, want), nm("GetCustomHeaders %s returns the headers set", what));
    } else {
        CHECK_HR(hr, S_FALSE, nm("GetCustomHeaders %s is S_FALSE", what));
        CHECK(got == NULL, nm("GetCustomHeaders %s gives NULL", what));
    }
    if (got != HEADERS_SENTINEL)
        CoTaskMemFree(got);
}

static void check_security_flags(IBackgroundCopyJobHttpOptions *options, ULONG want, const char *what)
{
    ULONG flags = 0xdeadbeef;
    HRESULT hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, &flags);
    check_u32(hr, flags, want, what);
}

/* The certificate methods: E_NOTIMPL (opendo presents no client certificates), outs set safe. */
static void http_certificates(IBackgroundCopyJobHttpOptions *options)
{
    section = "http options: certificates";
    BYTE hash[20];
    for (int i = 0; i < 20; i++)
        hash[i] = (BYTE)(0xA0 + i);
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", hash),
             E_NOTIMPL, nm("SetClientCertificateByID(CURRENT_USER, \"MY\", 20-byte hash) is E_NOTIMPL"));
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetClientCertificateByName(options, BG_CERT_STORE_LOCATION_LOCAL_MACHINE, L"MY",
                                                                      L"CN=client \u00e9"),
             E_NOTIMPL, nm("SetClientCertificateByName(LOCAL_MACHINE, \"MY\", \"CN=client\") is E_NOTIMPL"));
    CHECK_HR(IBackgroundCopyJobHttpOptions_RemoveClientCertificate(options), E_NOTIMPL, nm("RemoveClientCertificate is E_NOTIMPL"));
    BG_CERT_STORE_LOCATION location = BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE;
    LPWSTR store = HEADERS_SENTINEL, subject = HEADERS_SENTINEL;
    byte *blob = (byte *)1;
    CHECK_HR(IBackgroundCopyJobHttpOptions_GetClientCertificate(options, &location, &store, &blob, &subject), E_NOTIMPL,
             nm("GetClientCertificate is E_NOTIMPL"));
    CHECK(location == BG_CERT_STORE_LOCATION_CURRENT_USER && store == NULL && blob == NULL && subject == NULL,
          nm("GetClientCertificate leaves CURRENT_USER and NULL store name, hash blob and subject"));
    if (store != HEADERS_SENTINEL)
        CoTaskMemFree(store);
    if (subject != HEADERS_SENTINEL)
        CoTaskMemFree(subject);
    if (blob != (byte *)1)
        CoTaskMemFree(blob);
    HRESULT hr = IBackgroundCopyJobHttpOptions_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", NULL);
    CHECK(FAILED(hr), nm("SetClientCertificateByID with a NULL hash fails (a [ref] array: refused by the proxy)"));
    printf("#   SetClientCertificateByID(NULL hash): 0x%08lx\n", (unsigned long)hr);
}

static void http_custom_headers(IBackgroundCopyJobHttpOptions *options)
{
    section = "http options: custom headers";
    check_headers(options, NULL, "of a new job");
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, FINAL_HEADERS), S_OK,
             nm("SetCustomHeaders(two CRLF-ended lines, non-ASCII)"));
    check_headers(options, FINAL_HEADERS, "after two lines");

    /* BITS: at most 16,384 characters including the terminator. */
    static WCHAR longest[16385];
    wcscpy(longest, L"X-Long: ");
    for (size_t i = wcslen(longest); i < 16383; i++)
        longest[i] = L'h';
    longest[16383] = 0;
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, longest), S_OK,
             nm("SetCustomHeaders(16383 characters)"));
    check_headers(options, longest, "after 16383 characters");
    longest[16383] = L'h';
    longest[16384] = 0;
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, longest), HR_BG_E_STRING_TOO_LONG,
             nm("SetCustomHeaders(16384 characters) is BG_E_STRING_TOO_LONG 0x80200021"));
    longest[16383] = 0;
    check_headers(options, longest, "after a refused 16384-character value: unchanged");

    static const struct {
        const WCHAR *text;
        const char *what;
    } bad[] = {
        {L"X-A: 1\nX-B: 2\r\n", "a bare LF"},
        {L"X-A: 1\rX-B: 2\r\n", "a bare CR"},
        {L"no colon\r\n", "a line without ':'"},
        {L": no name\r\n", "an empty name"},
        {L"Bad Name: x\r\n", "a space in the name"},
        {L"X-A: 1\r\n\r\nX-B: 2\r\n", "an empty line between headers"},
        {L"X-A: \xD800\r\n", "a lone surrogate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, bad[i].text), E_INVALIDARG,
                 nm("SetCustomHeaders with %s is E_INVALIDARG", bad[i].what));
    check_headers(options, longest, "after refused values: unchanged");

    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, L""), S_OK, nm("SetCustomHeaders(\"\")"));
    check_headers(options, L"", "after \"\" (a value, not a removal)");
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, NULL), S_OK, nm("SetCustomHeaders(NULL) removes them"));
    check_headers(options, NULL, "after SetCustomHeaders(NULL)");
    CHECK(FAILED(IBackgroundCopyJobHttpOptions_GetCustomHeaders(options, NULL)), nm("GetCustomHeaders(NULL) fails"));
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, FINAL_HEADERS), S_OK,
             nm("SetCustomHeaders back to the two lines (kept for the restart)"));
}

static void http_security_flags(IBackgroundCopyJobHttpOptions *options)
{
    section = "http options: security flags";
    check_security_flags(options, 0, "GetSecurityFlags of a new job");
    static const ULONG valid[] = {
        BG_SSL_ENABLE_CRL_CHECK, BG_SSL_IGNORE_CERT_CN_INVALID, BG_SSL_IGNORE_CERT_DATE_INVALID,
        BG_SSL_IGNORE_UNKNOWN_CA, BG_SSL_IGNORE_CERT_WRONG_USAGE, BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT,
        BG_HTTP_REDIRECT_POLICY_DISALLOW, BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP,
        BG_SSL_IGNORE_UNKNOWN_CA | BG_HTTP_REDIRECT_POLICY_DISALLOW, BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT,
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        char what[64];
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, valid[i]), S_OK,
                 nm("SetSecurityFlags(0x%03lx)", (unsigned long)valid[i]));
        snprintf(what, sizeof what, "GetSecurityFlags after 0x%03lx", (unsigned long)valid[i]);
        check_security_flags(options, valid[i], what);
    }
    CHECK_HR(IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, FINAL_SECURITY_FLAGS), S_OK,
             nm("SetSecurityFlags(every SSL flag | ALLOW_REPORT | ALLOW_HTTPS_TO_HTTP = 0x91F)"));
    static const ULONG bad[] = {0x20, 0x300, 0x400, 0x700, 0x1000, 0x80000000u, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, bad[i]), E_NOTIMPL,
                 nm("SetSecurityFlags(0x%lx) is E_NOTIMPL (flag value not supported)", (unsigned long)bad[i]));
    check_security_flags(options, FINAL_SECURITY_FLAGS, "GetSecurityFlags after refused values (0x91F kept)");
    CHECK(FAILED(IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, NULL)), nm("GetSecurityFlags(NULL) fails"));
}

/* A cancelled job: the job's own methods give DO_E_INVALID_STATE. */
static void http_final(IBackgroundCopyManager *manager)
{
    section = "http options: cancelled job";
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: http options, cancelled", NULL);
    if (!job)
        return;
    IBackgroundCopyJobHttpOptions *options = http_options_of(job, "to be cancelled");
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel"));
    if (options) {
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, FINAL_HEADERS), DO_E_INVALID_STATE,
                 nm("SetCustomHeaders is DO_E_INVALID_STATE"));
        LPWSTR got = HEADERS_SENTINEL;
        CHECK_HR(IBackgroundCopyJobHttpOptions_GetCustomHeaders(options, &got), DO_E_INVALID_STATE,
                 nm("GetCustomHeaders is DO_E_INVALID_STATE"));
        CHECK(got == NULL, nm("GetCustomHeaders gives NULL"));
        if (got != HEADERS_SENTINEL)
            CoTaskMemFree(got);
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, 0), DO_E_INVALID_STATE,
                 nm("SetSecurityFlags is DO_E_INVALID_STATE"));
        ULONG flags = 0;
        CHECK_HR(IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, &flags), DO_E_INVALID_STATE,
                 nm("GetSecurityFlags is DO_E_INVALID_STATE"));
        /* The certificate methods check the job before answering E_NOTIMPL. */
        BYTE hash[20] = {0};
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY",
                                                                        hash),
                 DO_E_INVALID_STATE, nm("SetClientCertificateByID is DO_E_INVALID_STATE"));
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetClientCertificateByName(options, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY",
                                                                          L"CN=x"),
                 DO_E_INVALID_STATE, nm("SetClientCertificateByName is DO_E_INVALID_STATE"));
        CHECK_HR(IBackgroundCopyJobHttpOptions_RemoveClientCertificate(options), DO_E_INVALID_STATE,
                 nm("RemoveClientCertificate is DO_E_INVALID_STATE"));
        BG_CERT_STORE_LOCATION location = BG_CERT_STORE_LOCATION_USERS;
        LPWSTR store = HEADERS_SENTINEL, subject = HEADERS_SENTINEL;
        byte *blob = (byte *)1;
        CHECK_HR(IBackgroundCopyJobHttpOptions_GetClientCertificate(options, &location, &store, &blob, &subject),
                 DO_E_INVALID_STATE, nm("GetClientCertificate is DO_E_INVALID_STATE"));
        CHECK(location == BG_CERT_STORE_LOCATION_CURRENT_USER && !store && !blob && !subject,
              nm("GetClientCertificate leaves CURRENT_USER and three NULLs"));
        if (store != HEADERS_SENTINEL)
            CoTaskMemFree(store);
        if (subject != HEADERS_SENTINEL)
            CoTaskMemFree(subject);
        if (blob != (byte *)1)
            CoTaskMemFree(blob);
        IBackgroundCopyJobHttpOptions_Release(options);
    }
    IBackgroundCopyJob5_Release(job);
}

static int cmd_http(IBackgroundCopyManager *manager)
{
    section = "http options";
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: http options", &id);
    if (!job)
        return 1;
    check_qi(job, &IID_IBackgroundCopyJobHttpOptions, S_OK, "IBackgroundCopyJobHttpOptions");
    IBackgroundCopyJobHttpOptions *options = http_options_of(job, "new");
    if (!options) {
        IBackgroundCopyJob5_Release(job);
        return 1;
    }
    IBackgroundCopyJob *back = NULL;
    GUID got = GUID_NULL;
    HRESULT hr = IBackgroundCopyJobHttpOptions_QueryInterface(options, &IID_IBackgroundCopyJob, (void **)&back);
    if (back)
        IBackgroundCopyJob_GetId(back, &got);
    CHECK(SUCCEEDED(hr) && IsEqualGUID(&got, &id),
          nm("IBackgroundCopyJobHttpOptions -> QueryInterface(IBackgroundCopyJob) -> GetId is the job's id"));
    if (back)
        IBackgroundCopyJob_Release(back);

    http_certificates(options);
    http_custom_headers(options);
    http_security_flags(options);

    /* Another object for the same job (GetJob) sees the same values. */
    section = "http options";
    IBackgroundCopyJob5 *again = get_job(manager, &id, "http options");
    IBackgroundCopyJobHttpOptions *other = again ? http_options_of(again, "GetJob's") : NULL;
    if (other) {
        check_headers(other, FINAL_HEADERS, "through a second job object");
        check_security_flags(other, FINAL_SECURITY_FLAGS, "GetSecurityFlags through a second job object");
        IBackgroundCopyJobHttpOptions_Release(other);
    }
    if (again)
        IBackgroundCopyJob5_Release(again);
    http_final(manager);
    print_guid("JOB", &id);
    IBackgroundCopyJobHttpOptions_Release(options);
    IBackgroundCopyJob5_Release(job);
    return 0;
}

/* After sc stop / sc start: the headers and flags came back from the store. */
static int cmd_http_verify(IBackgroundCopyManager *manager, const WCHAR *text)
{
    section = "http options after restart";
    GUID id;
    if (!parse_guid(text, &id, "http options"))
        return 1;
    IBackgroundCopyJob5 *job = get_job(manager, &id, "http options");
    IBackgroundCopyJobHttpOptions *options = job ? http_options_of(job, "http options") : NULL;
    if (options) {
        check_headers(options, FINAL_HEADERS, "after the restart");
        check_security_flags(options, FINAL_SECURITY_FLAGS, "GetSecurityFlags after the restart (0x91F)");
        CHECK_HR(IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, NULL), S_OK, nm("SetCustomHeaders(NULL)"));
        check_headers(options, NULL, "after SetCustomHeaders(NULL)");
        IBackgroundCopyJobHttpOptions_Release(options);
    }
    if (job) {
        section = "clean-up";
        CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel the http options job"));
        IBackgroundCopyJob5_Release(job);
    }
    return options ? 0 : 1;
}

/* ---- owner: GetOwner, TakeOwnership, EnumJobs(ALL_USERS) ---------------------------------------- */

static int cmd_owner(IBackgroundCopyManager *manager)
{
    section = "ownership";
    WCHAR sid[200];
    int admin = caller_is_admin();
    printf("# job api: the client's token %s a member of BUILTIN\\Administrators\n", admin ? "is" : "is not");
    CHECK(caller_sid(sid, 200), nm("the client reads its own SID"));
    printf("# job api: the client's SID is %ls\n", sid);
    GUID id;
    IBackgroundCopyJob5 *job = new_job(manager, L"job api: ownership", &id);
    if (!job)
        return 1;
    LPWSTR owner = NULL;
    CHECK_HR(IBackgroundCopyJob5_GetOwner(job, &owner), S_OK, nm("GetOwner"));
    if (!CHECK(owner && !_wcsicmp(owner, sid), nm("GetOwner is the caller's SID string")))
        printf("#   got %ls\n", owner ? owner : L"(null)");
    CoTaskMemFree(owner);
    CHECK(FAILED(IBackgroundCopyJob5_GetOwner(job, NULL)), nm("GetOwner(NULL) fails"));

    CHECK_HR(IBackgroundCopyJob5_SetNotifyCmdLine(job, FINAL_PROGRAM, FINAL_PARAMETERS), S_OK, nm("SetNotifyCmdLine"));
    BG_AUTH_CREDENTIALS cred;
    memset(&cred, 0, sizeof cred);
    cred.Target = BG_AUTH_TARGET_SERVER;
    cred.Scheme = BG_AUTH_SCHEME_BASIC;
    cred.Credentials.Basic.UserName = (LPWSTR)L"owner-user";
    cred.Credentials.Basic.Password = (LPWSTR)L"owner-password";
    CHECK_HR(IBackgroundCopyJob5_SetCredentials(job, &cred), S_OK, nm("SetCredentials"));

    HRESULT hr = IBackgroundCopyJob5_TakeOwnership(job);
    CHECK_HR(hr, admin ? S_OK : E_ACCESSDENIED,
             nm(admin ? "TakeOwnership by an administrator is S_OK (the service agrees the caller is one)"
                      : "TakeOwnership by a non-administrator is E_ACCESSDENIED (the service agrees)"));
    LPWSTR program = (LPWSTR)1, parameters = (LPWSTR)1;
    CHECK_HR(IBackgroundCopyJob5_GetNotifyCmdLine(job, &program, &parameters), S_OK,
             nm("GetNotifyCmdLine after TakeOwnership"));
    if (program == (LPWSTR)1)
        program = NULL;
    if (parameters == (LPWSTR)1)
        parameters = NULL;
    if (admin) {
        CHECK(!program && !parameters, nm("TakeOwnership clears the notify command line"));
        CHECK_HR(IBackgroundCopyJob5_RemoveCredentials(job, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC), S_FALSE,
                 nm("TakeOwnership removes the credentials (RemoveCredentials is S_FALSE)"));
    } else {
        CHECK(wstr_eq(program, FINAL_PROGRAM), nm("a refused TakeOwnership keeps the notify command line"));
    }
    CoTaskMemFree(program), CoTaskMemFree(parameters);
    owner = NULL;
    CHECK_HR(IBackgroundCopyJob5_GetOwner(job, &owner), S_OK, nm("GetOwner after TakeOwnership"));
    CHECK(owner && !_wcsicmp(owner, sid), nm("the owner is (still) the caller"));
    CoTaskMemFree(owner);

    section = "EnumJobs";
    IEnumBackgroundCopyJobs *e = NULL;
    hr = IBackgroundCopyManager_EnumJobs(manager, BG_JOB_ENUM_ALL_USERS, &e);
    CHECK_HR(hr, admin ? S_OK : E_ACCESSDENIED,
             nm(admin ? "EnumJobs(BG_JOB_ENUM_ALL_USERS) by an administrator is S_OK"
                      : "EnumJobs(BG_JOB_ENUM_ALL_USERS) by a non-administrator is E_ACCESSDENIED"));
    if (e)
        IEnumBackgroundCopyJobs_Release(e);
    if (admin)
        CHECK(enum_lists(manager, BG_JOB_ENUM_ALL_USERS, &id) == 1,
              nm("EnumJobs(BG_JOB_ENUM_ALL_USERS) lists the caller's job"));
    CHECK(enum_lists(manager, 0, &id) == 1, nm("EnumJobs(0) lists the caller's job"));
    CHECK_HR(IBackgroundCopyJob5_Cancel(job), S_OK, nm("Cancel"));
    IBackgroundCopyJob5_Release(job);
    return 0;
}

int wmain(int argc, WCHAR **argv)
{
    if (argc < 2)
        return 2;
    if (FAILED(CoInitializeEx(NULL, COINIT_MULTITHREADED)))
        return 2;
    make_final_texts();
    section = "connect";
    char command[32];
    snprintf(command, sizeof command, "%ls", argv[1]);
    IBackgroundCopyManager *manager = connect_manager(command);
    int status = 1;
    if (manager) {
        const WCHAR *cmd = argv[1];
        if (!wcscmp(cmd, L"props"))
            status = cmd_props(manager);
        else if (!wcscmp(cmd, L"notify"))
            status = cmd_notify(manager);
        else if (!wcscmp(cmd, L"queued"))
            status = cmd_queued(manager);
        else if (!wcscmp(cmd, L"verify") && (argc == 5 || argc == 7))
            status = cmd_verify(manager, argc - 2, argv + 2);
        else if (!wcscmp(cmd, L"states"))
            status = cmd_states(manager);
        else if (!wcscmp(cmd, L"download") && (argc == 3 || argc == 5))
            status = cmd_download(manager, argv[2], argc == 5 ? argv[3] : NULL, argc == 5 ? argv[4] : NULL);
        else if (!wcscmp(cmd, L"files"))
            status = cmd_files(manager);
        else if (!wcscmp(cmd, L"errors"))
            status = cmd_errors(manager);
        else if (!wcscmp(cmd, L"slots"))
            status = cmd_slots(manager);
        else if (!wcscmp(cmd, L"owner"))
            status = cmd_owner(manager);
        else if (!wcscmp(cmd, L"http") && argc == 2)
            status = cmd_http(manager);
        else if (!wcscmp(cmd, L"http") && argc == 3)
            status = cmd_http_verify(manager, argv[2]);
        else
            status = 2;
        IBackgroundCopyManager_Release(manager);
    }
    CoUninitialize();
    fflush(stdout);
    return status ? status : CHECK_EXIT_CODE();
}
