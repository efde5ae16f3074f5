/* Establishes the identity of the client making the current COM call.
 *
 * On Windows CoImpersonateClient is the right call. Inside a Wine out-of-process server there is
 * no COM call context (CoImpersonateClient returns RPC_E_CALL_COMPLETE), but the RPC binding of
 * the call is there: RpcImpersonateClient(NULL) gives the caller's token. Without either, the
 * call is refused rather than run with the service's own identity. */
#include "dosvc.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "self_identity.h"

HRESULT caller_impersonate(int *used_rpc)
{
    *used_rpc = 0;
    if (SUCCEEDED(CoImpersonateClient()))
        return S_OK;
    *used_rpc = 1;
    RPC_STATUS status = RpcImpersonateClient(NULL);
    return status == RPC_S_OK ? S_OK : HRESULT_FROM_WIN32(status);
}

void caller_revert(int used_rpc)
{
    if (used_rpc)
        RpcRevertToSelf();
    else
        CoRevertToSelf();
}

HRESULT token_user_sid(HANDLE token, char *sid_text, size_t size)
{
    BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD length = 0;
    LPSTR text = NULL;
    if (!GetTokenInformation(token, TokenUser, buffer, sizeof buffer, &length) ||
        !ConvertSidToStringSidA(((TOKEN_USER *)buffer)->User.Sid, &text))
        return HRESULT_FROM_WIN32(GetLastError());
    HRESULT hr = strlen(text) < size ? S_OK : E_FAIL;
    if (SUCCEEDED(hr))
        strcpy(sid_text, text);
    LocalFree(text);
    return hr;
}

/* Whether the token's enabled groups include BUILTIN\Administrators (what CheckTokenMembership
 * answers for an impersonation token), from one TokenGroups query: CheckTokenMembership costs
 * three token requests under Wine, on every call. */
int token_is_admin(HANDLE token)
{
    BYTE admins[SECURITY_MAX_SID_SIZE];
    DWORD size = sizeof admins, length = 0;
    if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &size))
        return 0;
    union { TOKEN_GROUPS groups; BYTE bytes[4096]; } local;
    TOKEN_GROUPS *groups = &local.groups;
    if (!GetTokenInformation(token, TokenGroups, groups, sizeof local, &length)) {
        if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || !(groups = malloc(length)) ||
            !GetTokenInformation(token, TokenGroups, groups, length, &length)) {
            if (groups != &local.groups)
                free(groups);
            return 0;
        }
    }
    int member = 0;
    for (DWORD i = 0; !member && i < groups->GroupCount; i++)
        member = (groups->Groups[i].Attributes & SE_GROUP_ENABLED) &&
                 !(groups->Groups[i].Attributes & SE_GROUP_USE_FOR_DENY_ONLY) &&
                 EqualSid(groups->Groups[i].Sid, admins);
    if (groups != &local.groups)
        free(groups);
    return member;
}

/* Called only while caller_impersonate holds the client's token on this thread: the effective
 * token pseudo-handle is then that token (Windows 8 and later; Wine too), and needs no
 * OpenThreadToken/CloseHandle (two wineserver requests on every call). */
static HRESULT identify_impersonated_thread(caller_t *caller)
{
    HANDLE token = GetCurrentThreadEffectiveToken();
    HRESULT hr = token_user_sid(token, caller->sid, sizeof caller->sid);
    caller->is_admin = token_is_admin(token);
    return hr;
}

/* ---- the service's own identity, where RPC impersonation can give nothing else ----------------
 * For a local (ncalrpc) call, RpcImpersonateClient ends in FSCTL_PIPE_IMPERSONATE, which Wine's
 * ntdll implements as "impersonating self": every client is seen with a copy of the service's own
 * process token, whoever it is. Reading that copy cost five wineserver round trips per call (the
 * impersonation ioctl and its wait, the user SID, the groups, the revert) to learn the same answer
 * every time. So, under Wine (ntdll exports wine_get_version) and for local calls only, the
 * service's own identity, read once from its process token, answers a connection once a call on
 * it was probed, with the rules of engine/jobs/self_identity.h (a reprobe every 64th answer; the
 * first differing token turns it off for good, logged). The owner check still runs on every
 * call; COM's path (CoImpersonateClient, Windows) never takes it. docs/security.md ("The
 * caller's identity") argues why it is safe. */
static SRWLOCK self_lock = SRWLOCK_INIT;
static self_identity_t self;
static int self_started;

static void self_start(void)
{
    caller_t own = {{0}, 0};
    HANDLE token = GetCurrentProcessToken();
    int wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != NULL;
    int known = wine && SUCCEEDED(token_user_sid(token, own.sid, sizeof own.sid));
    own.is_admin = known && token_is_admin(token);
    self_identity_start(&self, known ? &own : NULL);
    self_started = 1;
}

/* Whether the current RPC call came over ncalrpc (a local client). */
static int local_call(RPC_BINDING_HANDLE connection)
{
    RPC_CSTR text = NULL, protseq = NULL;
    int local = 0;
    if (RpcBindingToStringBindingA(connection, &text) == RPC_S_OK &&
        RpcStringBindingParseA(text, NULL, &protseq, NULL, NULL, NULL) == RPC_S_OK)
        local = protseq && strcmp((const char *)protseq, "ncalrpc") == 0;
    RpcStringFreeA(&protseq);
    RpcStringFreeA(&text);
    return local;
}

/* The service's own identity for this call's connection, when it may answer (see above). */
static int self_answer(RPC_BINDING_HANDLE connection, caller_t *caller)
{
    AcquireSRWLockExclusive(&self_lock);
    if (!self_started)
        self_start();
    int answered = self_identity_answer(&self, connection, caller);
    ReleaseSRWLockExclusive(&self_lock);
    return answered;
}

static void self_compare(RPC_BINDING_HANDLE connection, const caller_t *read)
{
    AcquireSRWLockExclusive(&self_lock);
    caller_t own = self.own;
    int switched_off = self_identity_compare(&self, connection, read);
    ReleaseSRWLockExclusive(&self_lock);
    if (switched_off)
        log_service(LOG_WARN, "security.identity", "a local caller's token (%s%s) is not the service's own (%s%s): "
                    "from now on every call reads its caller's token", read->sid,
                    read->is_admin ? ", administrator" : "", own.sid, own.is_admin ? ", administrator" : "");
}

static HRESULT refuse(const char *what, HRESULT hr)
{
    log_service(LOG_WARN, "security.refused", "cannot %s (0x%08lx): call refused", what, (unsigned long)hr);
    return E_ACCESSDENIED;
}

HRESULT caller_identify(caller_t *caller)
{
    memset(caller, 0, sizeof *caller);
    int used_rpc = 0, local = 0;
    RPC_BINDING_HANDLE connection = NULL;
    if (FAILED(CoImpersonateClient())) {
        used_rpc = 1;
        connection = I_RpcGetCurrentCallHandle();
        if (self_answer(connection, caller))
            return S_OK;
        local = local_call(connection);
        RPC_STATUS status = RpcImpersonateClient(NULL);
        if (status != RPC_S_OK)
            return refuse("establish the caller's identity", HRESULT_FROM_WIN32(status));
    }
    HRESULT hr = identify_impersonated_thread(caller);
    caller_revert(used_rpc);
    if (FAILED(hr))
        return refuse("read the caller's token", hr);
    if (local)
        self_compare(connection, caller);
    return S_OK;
}
