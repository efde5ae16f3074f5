/* getters.c: /info, /listfiles and every /get* switch. A getter prints one bare value (with
 * /rawreturn: without the line end), in bitsadmin's words: states and proxy usages as its
 * /getstate and /getproxyusage pages spell them, UNKNOWN for an unknown size or time, NULL for
 * an unset list. */
#include "doadmin.h"

#include <stdlib.h>

int op_info(job_call *call)
{
    HRESULT hr = print_job_info(call->job, (call->inv->present & OPTION(OPT_VERBOSE)) != 0);
    return FAILED(hr) ? fail_hr(call->s, hr) : EXIT_OK;
}

int op_listfiles(job_call *call)
{
    HRESULT hr = print_job_files(call->s, call->job);
    return FAILED(hr) ? fail_hr(call->s, hr) : EXIT_OK;
}

/* Every getter below writes its value into text (size units) and returns the service's answer;
 * op_get prints the value or reports the failure. */

int op_get(job_call *call)
{
    wchar_t *text = malloc(VALUE_TEXT_MAX * sizeof *text);
    if (!text)
        return fail_hr(call->s, E_OUTOFMEMORY);
    HRESULT hr = call->cmd->get(call->job, call->cmd->property, text, VALUE_TEXT_MAX);
    int status = FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", text);
    free(text);
    return status;
}

/* value (a CoTaskMem string, NULL shown as NULL) into text; frees value. */
static HRESULT take_text(HRESULT hr, LPWSTR value, wchar_t *text, size_t size)
{
    if (SUCCEEDED(hr))
        swprintf(text, size, L"%ls", value ? value : L"NULL");
    CoTaskMemFree(value);
    return hr;
}

HRESULT get_number(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    ULONG value = 0;
    HRESULT hr = E_UNEXPECTED;
    switch (which) {
    case NUMBER_MIN_RETRY_DELAY:
        hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &value);
        break;
    case NUMBER_NO_PROGRESS_TIMEOUT:
        hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &value);
        break;
    case NUMBER_MAX_DOWNLOAD_TIME:
        hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job, &value);
        break;
    case NUMBER_NOTIFY_FLAGS:
        hr = IBackgroundCopyJob5_GetNotifyFlags(job, &value);
        break;
    case NUMBER_PEER_CACHING_FLAGS:
        hr = IBackgroundCopyJob5_GetPeerCachingFlags(job, &value);
        break;
    case NUMBER_ERROR_COUNT:
        hr = IBackgroundCopyJob5_GetErrorCount(job, &value);
        break;
    }
    swprintf(text, size, L"%lu", (unsigned long)value);
    return hr;
}

HRESULT get_text(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    LPWSTR value = NULL;
    HRESULT hr = which == TEXT_DISPLAY_NAME ? IBackgroundCopyJob5_GetDisplayName(job, &value)
                                            : IBackgroundCopyJob5_GetDescription(job, &value);
    return take_text(hr, value, text, size);
}

HRESULT get_state(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_STATE state = BG_JOB_STATE_QUEUED;
    HRESULT hr = IBackgroundCopyJob5_GetState(job, &state);
    (void)which;
    title_case(state_caps(state), text, size);
    return hr;
}

HRESULT get_type(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_TYPE type = BG_JOB_TYPE_DOWNLOAD;
    HRESULT hr = IBackgroundCopyJob5_GetType(job, &type);
    (void)which;
    swprintf(text, size, L"%ls", type_name(type));
    return hr;
}

HRESULT get_progress(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_PROGRESS progress = { 0 };
    HRESULT hr = IBackgroundCopyJob5_GetProgress(job, &progress);
    UINT64 counts[] = { [PROGRESS_BYTES_TOTAL] = progress.BytesTotal,
                        [PROGRESS_BYTES_TRANSFERRED] = progress.BytesTransferred,
                        [PROGRESS_FILES_TOTAL] = progress.FilesTotal,
                        [PROGRESS_FILES_TRANSFERRED] = progress.FilesTransferred };
    bytes_total_text(counts[which], text, size);
    return hr;
}

HRESULT get_time(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_TIMES times = { 0 };
    HRESULT hr = IBackgroundCopyJob5_GetTimes(job, &times);
    FILETIME chosen[] = { [TIME_CREATION] = times.CreationTime,
                          [TIME_MODIFICATION] = times.ModificationTime,
                          [TIME_COMPLETION] = times.TransferCompletionTime };
    time_text(chosen[which], text, size);
    return hr;
}

HRESULT get_owner(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    LPWSTR sid = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetOwner(job, &sid);
    (void)which;
    if (SUCCEEDED(hr))
        owner_text(sid, text, size);
    CoTaskMemFree(sid);
    return hr;
}

HRESULT get_priority(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_PRIORITY priority = BG_JOB_PRIORITY_NORMAL;
    HRESULT hr = IBackgroundCopyJob5_GetPriority(job, &priority);
    (void)which;
    swprintf(text, size, L"%ls", enum_name(priority_names, 4, (int)priority));
    return hr;
}

HRESULT get_notify_interface(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    int registered = 0;
    HRESULT hr = read_notify_registered(job, &registered);
    (void)which;
    swprintf(text, size, L"%ls", registered ? L"REGISTERED" : L"UNREGISTERED");
    return hr;
}

HRESULT get_notify_cmdline(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    LPWSTR program = NULL, parameters = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &program, &parameters);
    (void)which;
    cmdline_text(program, parameters, text, size);
    CoTaskMemFree(program);
    CoTaskMemFree(parameters);
    return hr;
}

HRESULT get_proxy(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    BG_JOB_PROXY_USAGE usage = BG_JOB_PROXY_USAGE_PRECONFIG;
    LPWSTR list = NULL, bypass = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetProxySettings(job, &usage, &list, &bypass);
    LPWSTR shown = which == PROXY_LIST ? list : bypass;
    if (which == PROXY_USAGE)
        title_case(enum_name(proxy_usage_names, 4, (int)usage), text, size);
    else
        swprintf(text, size, L"%ls", shown ? shown : L"NULL");
    CoTaskMemFree(list);
    CoTaskMemFree(bypass);
    return hr;
}

/* The headers one per line (the service keeps them CRLF-separated), or NULL when there are none. */
HRESULT get_custom_headers(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    IBackgroundCopyJobHttpOptions *options = NULL;
    LPWSTR headers = NULL;
    HRESULT hr = job_http_options(job, &options);
    (void)which;
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(options, &headers);
    if (options)
        IBackgroundCopyJobHttpOptions_Release(options);
    if (headers) {
        size_t n = 0;
        for (size_t i = 0; headers[i]; i++)
            if (headers[i] != L'\r')
                headers[n++] = headers[i];
        while (n > 0 && headers[n - 1] == L'\n')
            n--;
        headers[n] = L'\0';
    }
    return take_text(hr, headers, text, size);
}

HRESULT get_security_flags(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    IBackgroundCopyJobHttpOptions *options = NULL;
    ULONG flags = 0;
    HRESULT hr = job_http_options(job, &options);
    (void)which;
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, &flags);
    if (options)
        IBackgroundCopyJobHttpOptions_Release(options);
    swprintf(text, size, L"0x%04lx", (unsigned long)flags);
    return hr;
}

HRESULT get_acl_flags(IBackgroundCopyJob5 *job, int which, wchar_t *text, size_t size)
{
    DWORD flags = 0;
    HRESULT hr = IBackgroundCopyJob5_GetFileACLFlags(job, &flags);
    (void)which;
    acl_flags_text(flags, text, size);
    return hr;
}

/* /geterror: the ERROR FILE, CODE and CONTEXT lines of /info /verbose. */
int op_geterror(job_call *call)
{
    HRESULT code;
    HRESULT hr = print_job_error(call->job, &code);
    return FAILED(hr) ? fail_hr(call->s, hr) : EXIT_OK;
}

int op_gettemporaryname(job_call *call)
{
    IBackgroundCopyFile3 *file;
    LPWSTR name = NULL;
    int status = call_file_at(call, &file);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyFile3_GetTemporaryName(file, &name);
    IBackgroundCopyFile3_Release(file);
    status = FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", name);
    CoTaskMemFree(name);
    return status;
}

int op_getvalidationstate(job_call *call)
{
    IBackgroundCopyFile3 *file;
    BOOL valid;
    int status = call_file_at(call, &file);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyFile3_GetValidationState(file, &valid);
    IBackgroundCopyFile3_Release(file);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_value(call->s, L"%ls", valid ? L"TRUE" : L"FALSE");
}
