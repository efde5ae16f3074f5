/* Acting for a job's owner when no call from that owner is in progress: starting the job's
 * notify command line and activating its NOTIFICATION_CLSID. The service never does either with
 * its own identity on behalf of another user (that would run the user's program as the
 * service): it uses the token of a session in which the owner is logged on (WTSQueryUserToken,
 * which LocalSystem may call), or its own identity when the owner is the account the service
 * runs as (always the case under Wine, where every process runs as one user). When the owner is
 * not logged on, nothing runs. As BITS, the command line of a job owned by a service account
 * (LocalSystem, LocalService, NetworkService) never runs. */
#include "dosvc.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>
#include <userenv.h>
#include <wtsapi32.h>

static int is_service_account(const char *sid)
{
    return !strcmp(sid, "S-1-5-18") || !strcmp(sid, "S-1-5-19") || !strcmp(sid, "S-1-5-20");
}

static int token_has_user(HANDLE token, PSID sid)
{
    BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD length = 0;
    return GetTokenInformation(token, TokenUser, buffer, sizeof buffer, &length) &&
           EqualSid(((TOKEN_USER *)buffer)->User.Sid, sid);
}

static int is_own_account(PSID sid)
{
    HANDLE token = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return 0;
    int own = token_has_user(token, sid);
    CloseHandle(token);
    return own;
}

/* The primary token of session if sid is its user, else NULL. */
static HANDLE session_user_token(DWORD session, PSID sid)
{
    HANDLE token = NULL;
    if (session == 0xFFFFFFFFu || !WTSQueryUserToken(session, &token))
        return NULL;
    if (token_has_user(token, sid))
        return token;
    CloseHandle(token);
    return NULL;
}

/* A primary token of a session where sid is logged on (the console first), or NULL. */
static HANDLE logged_on_token(PSID sid)
{
    DWORD console = WTSGetActiveConsoleSessionId();
    HANDLE token = session_user_token(console, sid);
    WTS_SESSION_INFOW *sessions = NULL;
    DWORD count = 0;
    if (!token && WTSEnumerateSessionsW(WTS_CURRENT_SERVER_HANDLE, 0, 1, &sessions, &count)) {
        for (DWORD i = 0; !token && i < count; i++)
            if (sessions[i].State == WTSActive && sessions[i].SessionId != console)
                token = session_user_token(sessions[i].SessionId, sid);
        WTSFreeMemory(sessions);
    }
    return token;
}

/* How to act for the job's owner: S_OK with *token NULL (the service is the owner's account) or
 * a session token of the owner; a failure when the service may not act for the owner now. */
static HRESULT owner_identity(const store_job_t *job, int service_accounts_allowed, HANDLE *token)
{
    *token = NULL;
    PSID sid = NULL;
    if (!job->owner_sid || (!service_accounts_allowed && is_service_account(job->owner_sid)))
        return E_ACCESSDENIED;
    if (!ConvertStringSidToSidA(job->owner_sid, &sid))
        return HRESULT_FROM_WIN32(GetLastError());
    HRESULT hr = S_OK;
    if (!is_own_account(sid) && !(*token = logged_on_token(sid)))
        hr = HRESULT_FROM_WIN32(ERROR_NO_SUCH_LOGON_SESSION);
    LocalFree(sid);
    return hr;
}

/* CreateProcess(AsUser) of program with the command line (may be NULL); the thread handle is
 * closed, the process handle returned. */
static HRESULT spawn(HANDLE token, LPCWSTR program, LPWSTR command_line, HANDLE *process)
{
    WCHAR desktop[] = L"winsta0\\default";
    STARTUPINFOW startup = {.cb = sizeof startup};
    PROCESS_INFORMATION info;
    void *environment = NULL;
    BOOL ok;
    if (token) {
        startup.lpDesktop = desktop;
        if (!CreateEnvironmentBlock(&environment, token, FALSE))
            environment = NULL;
        ok = CreateProcessAsUserW(token, program, command_line, NULL, NULL, FALSE,
                                  CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW, environment, NULL,
                                  &startup, &info);
        if (environment)
            DestroyEnvironmentBlock(environment);
    } else {
        ok = CreateProcessW(program, command_line, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL,
                            &startup, &info);
    }
    if (!ok)
        return HRESULT_FROM_WIN32(GetLastError());
    CloseHandle(info.hThread);
    *process = info.hProcess;
    return S_OK;
}

HRESULT owner_run_program(const store_job_t *job, HANDLE *process)
{
    *process = NULL;
    if (!job->notify_program)
        return S_FALSE;
    HANDLE token = NULL;
    HRESULT hr = owner_identity(job, 0, &token);
    WCHAR *program = SUCCEEDED(hr) ? wide_from_utf8(job->notify_program) : NULL;
    /* The parameters are the whole command line, the program's name first (BITS rule). */
    WCHAR *command_line =
        SUCCEEDED(hr) && job->notify_parameters ? wide_from_utf8(job->notify_parameters) : NULL;
    if (SUCCEEDED(hr) && (!program || (job->notify_parameters && !command_line)))
        hr = E_OUTOFMEMORY;
    if (SUCCEEDED(hr))
        hr = spawn(token, program, command_line, process);
    free(program);
    free(command_line);
    if (token)
        CloseHandle(token);
    return hr;
}

HRESULT owner_activate(const store_job_t *job, REFCLSID clsid, REFIID riid, void **out)
{
    *out = NULL;
    HANDLE token = NULL;
    HRESULT hr = owner_identity(job, 1, &token);
    if (FAILED(hr))
        return hr;
    DWORD context = CLSCTX_LOCAL_SERVER;
    if (token) {
        /* Cloaking makes COM present the impersonation token: the server runs as the owner. */
        context |= CLSCTX_ENABLE_CLOAKING;
        if (!ImpersonateLoggedOnUser(token))
            hr = HRESULT_FROM_WIN32(GetLastError());
    }
    if (SUCCEEDED(hr))
        hr = CoCreateInstance(clsid, NULL, context, riid, out);
    if (token) {
        RevertToSelf();
        CloseHandle(token);
    }
    return hr;
}
