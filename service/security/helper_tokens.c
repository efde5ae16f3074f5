/* The jobs' helper tokens (IBitsTokenOptions, BITS 4.0; bits.md §2.5): the impersonation token of
 * the client that called SetHelperToken, duplicated and kept in the service's memory only (never
 * stored: after a restart the job needs a new one, see jobs_set_helper_token_flags), with the
 * job's flags. BG_TOKEN_LOCAL_FILE makes the job's local-file operations (Complete's rename,
 * the removal of temporary files: file_ops.c) run as the helper token instead of the calling
 * client. BG_TOKEN_NETWORK is refused by the core (docs/bits.md says why). */
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "log.h"

#define HR_CO_E_FAILEDTOIMPERSONATE ((HRESULT)0x80010123L)

typedef struct helper_token {
    GUID job;
    HANDLE token; /* an impersonation token (DuplicateTokenEx) */
    uint32_t flags;
    struct helper_token *next;
} helper_token_t;

static helper_token_t *tokens;
static SRWLOCK tokens_lock = SRWLOCK_INIT;

static helper_token_t **find(const GUID *job)
{
    helper_token_t **link = &tokens;
    while (*link && !IsEqualGUID(&(*link)->job, job))
        link = &(*link)->next;
    return link;
}

/* Unlinks the job's entry (lock held); returns its token for CloseHandle outside the lock. */
static HANDLE unlink_entry(helper_token_t **link)
{
    helper_token_t *entry = *link;
    HANDLE token = entry->token;
    *link = entry->next;
    free(entry);
    return token;
}

/* The calling client's token, duplicated for impersonation, or NULL (last error set). */
static HANDLE duplicate_caller_token(void)
{
    int used_rpc;
    if (FAILED(caller_impersonate(&used_rpc)))
        return NULL;
    HANDLE thread_token = NULL, copy = NULL;
    if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE, TRUE,
                        &thread_token)) {
        if (!DuplicateTokenEx(thread_token, TOKEN_QUERY | TOKEN_IMPERSONATE | TOKEN_DUPLICATE, NULL,
                              SecurityImpersonation, TokenImpersonation, &copy))
            copy = NULL;
        CloseHandle(thread_token);
    }
    caller_revert(used_rpc);
    return copy;
}

HRESULT helper_tokens_capture(const caller_t *caller, const GUID *job, uint32_t flags)
{
    HANDLE token = duplicate_caller_token();
    if (!token) {
        log_event(LOG_WARN, (const store_guid_t *)job, NULL, "job.helper_token",
                  "SetHelperToken by %s: the client cannot be impersonated (%lu): CO_E_FAILEDTOIMPERSONATE",
                  caller->sid, GetLastError());
        return HR_CO_E_FAILEDTOIMPERSONATE;
    }
    if (!caller->is_admin && token_is_admin(token)) {
        CloseHandle(token);
        log_event(LOG_WARN, (const store_guid_t *)job, NULL, "job.helper_token",
                  "SetHelperToken by %s refused: the token has the Administrators group enabled", caller->sid);
        return E_ACCESSDENIED;
    }
    helper_token_t *fresh = calloc(1, sizeof *fresh);
    if (!fresh) {
        CloseHandle(token);
        return E_OUTOFMEMORY;
    }
    fresh->job = *job;
    fresh->token = token;
    fresh->flags = flags;
    HANDLE gone = NULL;
    AcquireSRWLockExclusive(&tokens_lock);
    helper_token_t **link = find(job);
    if (*link)
        gone = unlink_entry(link);
    fresh->next = tokens;
    tokens = fresh;
    ReleaseSRWLockExclusive(&tokens_lock);
    if (gone)
        CloseHandle(gone);
    log_event(LOG_INFO, (const store_guid_t *)job, NULL, "job.helper_token", "helper token set by %s",
              caller->sid);
    return S_OK;
}

void helper_tokens_set_flags(const GUID *job, uint32_t flags)
{
    AcquireSRWLockExclusive(&tokens_lock);
    helper_token_t *entry = *find(job);
    if (entry)
        entry->flags = flags;
    ReleaseSRWLockExclusive(&tokens_lock);
}

void helper_tokens_clear(const GUID *job)
{
    HANDLE gone = NULL;
    AcquireSRWLockExclusive(&tokens_lock);
    helper_token_t **link = find(job);
    if (*link)
        gone = unlink_entry(link);
    ReleaseSRWLockExclusive(&tokens_lock);
    if (gone)
        CloseHandle(gone);
}

/* A new handle to the job's token (CloseHandle it), or NULL; with the flags when wanted. */
static HANDLE token_of(const GUID *job, uint32_t *flags)
{
    HANDLE copy = NULL;
    AcquireSRWLockShared(&tokens_lock);
    helper_token_t *entry = *find(job);
    if (entry && !DuplicateHandle(GetCurrentProcess(), entry->token, GetCurrentProcess(), &copy, 0, FALSE,
                                  DUPLICATE_SAME_ACCESS))
        copy = NULL;
    if (entry && flags)
        *flags = entry->flags;
    ReleaseSRWLockShared(&tokens_lock);
    return copy;
}

HRESULT helper_tokens_sid(const GUID *job, LPWSTR *sid)
{
    *sid = NULL;
    HANDLE token = token_of(job, NULL);
    if (!token)
        return S_OK;
    char text[CALLER_SID_MAX];
    HRESULT hr = token_user_sid(token, text, sizeof text);
    CloseHandle(token);
    return SUCCEEDED(hr) ? cotaskmem_from_utf8(text, sid) : hr;
}

int helper_tokens_has(void *ctx, const store_guid_t *job)
{
    (void)ctx;
    AcquireSRWLockShared(&tokens_lock);
    int has = *find((const GUID *)job) != NULL;
    ReleaseSRWLockShared(&tokens_lock);
    return has;
}

int helper_tokens_impersonate_for_files(const GUID *job)
{
    uint32_t flags = 0;
    HANDLE token = token_of(job, &flags);
    int impersonating = token && (flags & JOB_HELPER_TOKEN_LOCAL_FILE) && ImpersonateLoggedOnUser(token);
    if (token)
        CloseHandle(token);
    return impersonating;
}
