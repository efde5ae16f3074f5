/* The file operations of the job manager in the service (jobs_file_ops_t, docs/scheduler.md):
 * Complete renames a finished temp file onto its local name, Cancel/Complete delete unfinished
 * temp files. Both run on the COM call's thread while impersonating the calling client (or, for a
 * BITS job with BG_TOKEN_LOCAL_FILE, its helper token: helper_tokens.c), so they can do only
 * what that identity may do; without it nothing is done. The exceptions: the service's own
 * spool directory (stream downloads), and a temp file the service itself created when no client
 * is calling (job expiry, volatile downloads dropped at start-up): see remove_service_file. */
#include <aclapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dosvc.h"
#include "log.h"

static int last_error_hr(void)
{
    DWORD error = GetLastError();
    return (int)HRESULT_FROM_WIN32(error ? error : ERROR_GEN_FAILURE);
}

/* How an operation impersonates: the job's helper token, or the calling client. */
typedef struct impersonation {
    int helper_token;
    int used_rpc;
} impersonation_t;

static int begin_impersonation(const store_guid_t *job, impersonation_t *how, const char *what)
{
    how->helper_token = helper_tokens_impersonate_for_files((const GUID *)job);
    if (how->helper_token)
        return 0;
    HRESULT hr = caller_impersonate(&how->used_rpc);
    if (FAILED(hr)) {
        log_service(LOG_WARN, "security.refused", "%s: cannot impersonate the caller (0x%08lx): refused", what,
                  (unsigned long)hr);
        return (int)E_ACCESSDENIED;
    }
    return 0;
}

static void end_impersonation(const impersonation_t *how)
{
    if (how->helper_token)
        RevertToSelf();
    else
        caller_revert(how->used_rpc);
}

static int rename_replace(void *ctx, const store_guid_t *job, const char *from, const char *to)
{
    (void)ctx;
    WCHAR *wfrom = wide_from_utf8(from), *wto = wide_from_utf8(to);
    int result = 0;
    impersonation_t how;
    if (!wfrom || !wto)
        result = (int)HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION);
    else if ((result = begin_impersonation(job, &how, "complete")) == 0) {
        if (!MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED |
                                         MOVEFILE_WRITE_THROUGH)) {
            result = last_error_hr();
        } else {
            DWORD attributes = GetFileAttributesW(wto);
            if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_HIDDEN) &&
                !SetFileAttributesW(wto, attributes & ~(DWORD)FILE_ATTRIBUTE_HIDDEN))
                log_service(LOG_WARN, "job.complete", "complete: cannot unhide %s (%lu)", to, GetLastError());
        }
        end_impersonation(&how);
    }
    free(wfrom);
    free(wto);
    return result;
}

/* The service's own directory of spool files (stream downloads): a client need not be able to
 * touch it, so the service deletes its own files there itself. */
static char own_directory[MAX_PATH * 3];

void file_ops_own_directory(const char *dir)
{
    snprintf(own_directory, sizeof own_directory, "%s\\", dir);
}

static int is_own_file(const char *path)
{
    size_t length = strlen(own_directory);
    return length > 1 && _strnicmp(path, own_directory, length) == 0 && !strstr(path + length, "..") &&
           !strpbrk(path + length, "\\/");
}

/* Whether token information `which` (TokenUser or TokenOwner: both start with the SID) names sid. */
static int token_names(HANDLE token, TOKEN_INFORMATION_CLASS which, PSID sid)
{
    BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD length = 0;
    return GetTokenInformation(token, which, buffer, sizeof buffer, &length) &&
           EqualSid(sid, ((TOKEN_USER *)buffer)->User.Sid);
}

/* Whether the file is the service's: owned by the service's account or by the owner its token
 * gives what it creates (TokenOwner; Administrators for LocalSystem). */
static int service_owns(HANDLE file)
{
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR descriptor = NULL;
    HANDLE token = GetCurrentProcessToken(); /* a pseudo-handle: nothing to close */
    int owned = GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL, NULL,
                                &descriptor) == ERROR_SUCCESS &&
                (token_names(token, TokenUser, owner) || token_names(token, TokenOwner, owner));
    LocalFree(descriptor);
    return owned;
}

/* No client is calling, so there is nobody to impersonate: a temp file is deleted with the
 * service's identity only when it is a file (not a directory, not followed through a link at its
 * name) that the service owns, and through the very handle whose owner was checked. A path
 * redirected since AddFile (a junction, a link) therefore cannot make the service delete a file
 * it did not create. What is refused stays, and the job manager logs it (file.cleanup). */
static int remove_service_file(const WCHAR *path)
{
    HANDLE file = CreateFileW(path, DELETE | READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              NULL, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, NULL);
    if (file == INVALID_HANDLE_VALUE)
        return last_error_hr();
    BY_HANDLE_FILE_INFORMATION info;
    FILE_DISPOSITION_INFO gone = {TRUE};
    int result = 0;
    if (!GetFileInformationByHandle(file, &info))
        result = last_error_hr();
    else if ((info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) || !service_owns(file))
        result = (int)E_ACCESSDENIED;
    else if (!SetFileInformationByHandle(file, FileDispositionInfo, &gone, sizeof gone))
        result = last_error_hr();
    CloseHandle(file);
    return result;
}

static int remove_file(void *ctx, const store_guid_t *job, const char *path)
{
    (void)ctx;
    WCHAR *wpath = wide_from_utf8(path);
    int result;
    impersonation_t how;
    if (!wpath)
        return (int)HRESULT_FROM_WIN32(ERROR_NO_UNICODE_TRANSLATION);
    if (is_own_file(path)) {
        result = DeleteFileW(wpath) ? 0 : last_error_hr();
    } else if (!I_RpcGetCurrentCallHandle() && !helper_tokens_has(NULL, job)) { /* no client calling */
        result = remove_service_file(wpath);
    } else if ((result = begin_impersonation(job, &how, "remove temp file")) == 0) {
        if (!DeleteFileW(wpath))
            result = last_error_hr();
        end_impersonation(&how);
    }
    free(wpath);
    return result;
}

const jobs_file_ops_t dosvc_file_ops = {rename_replace, remove_file, secret_reveal, helper_tokens_has, NULL};
