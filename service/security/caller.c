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

HRESULT caller_identify(caller_t *caller)
{
    memset(caller, 0, sizeof *caller);
    int used_rpc;
    HRESULT hr = caller_impersonate(&used_rpc);
    if (FAILED(hr)) {
        log_service(LOG_WARN, "security.refused", "cannot establish the caller's identity (0x%08lx): call refused",
                  (unsigned long)hr);
        return E_ACCESSDENIED;
    }
    hr = identify_impersonated_thread(caller);
    caller_revert(used_rpc);
    if (FAILED(hr)) {
        log_service(LOG_WARN, "security.refused", "cannot read the caller's token (0x%08lx): call refused",
                  (unsigned long)hr);
        return E_ACCESSDENIED;
    }
    return S_OK;
}
