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

static HRESULT job_number(IBackgroundCopyJob5 *job, int which, ULONG *value)
{
    switch (which) {
    case NUMBER_MIN_RETRY_DELAY:
        return IBackgroundCopyJob5_GetMinimumRetryDelay(job, value);
    case NUMBER_NO_PROGRESS_TIMEOUT:
        return IBackgroundCopyJob5_GetNoProgressTimeout(job, value);
    case NUMBER_MAX_DOWNLOAD_TIME:
        return IBackgroundCopyJob5_GetMaximumDownloadTime(job, value);
    case NUMBER_NOTIFY_FLAGS:
        return IBackgroundCopyJob5_GetNotifyFlags(job, value);
    case NUMBER_PEER_CACHING_FLAGS:
        return IBackgroundCopyJob5_GetPeerCachingFlags(job, value);
    case NUMBER_ERROR_COUNT:
        return IBackgroundCopyJob5_GetErrorCount(job, value);
    }
    return E_UNEXPECTED;
}

int op_get_number(job_call *call)
{
    ULONG value;
    HRESULT hr = job_number(call->job, call->cmd->property, &value);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%lu", (unsigned long)value);
}

/* Prints a CoTaskMem string (NULL as "NULL") and frees it; or reports hr. */
static int print_text_result(job_call *call, HRESULT hr, LPWSTR text)
{
    int status = FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", text ? text : L"NULL");
    CoTaskMemFree(text);
    return status;
}

int op_get_text(job_call *call)
{
    LPWSTR text = NULL;
    HRESULT hr = call->cmd->property == TEXT_DISPLAY_NAME
                     ? IBackgroundCopyJob5_GetDisplayName(call->job, &text)
                     : IBackgroundCopyJob5_GetDescription(call->job, &text);
    return print_text_result(call, hr, text);
}

int op_getstate(job_call *call)
{
    BG_JOB_STATE state;
    wchar_t word[32];
    HRESULT hr = IBackgroundCopyJob5_GetState(call->job, &state);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    title_case(state_caps(state), word, ARRAYSIZE(word));
    return out_value(call->s, L"%ls", word);
}

int op_gettype(job_call *call)
{
    BG_JOB_TYPE type;
    HRESULT hr = IBackgroundCopyJob5_GetType(call->job, &type);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", type_name(type));
}

int op_get_progress(job_call *call)
{
    BG_JOB_PROGRESS progress;
    wchar_t text[24];
    HRESULT hr = IBackgroundCopyJob5_GetProgress(call->job, &progress);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    UINT64 counts[] = { [PROGRESS_BYTES_TOTAL] = progress.BytesTotal,
                        [PROGRESS_BYTES_TRANSFERRED] = progress.BytesTransferred,
                        [PROGRESS_FILES_TOTAL] = progress.FilesTotal,
                        [PROGRESS_FILES_TRANSFERRED] = progress.FilesTransferred };
    bytes_total_text(counts[call->cmd->property], text, ARRAYSIZE(text));
    return out_value(call->s, L"%ls", text);
}

int op_gettime(job_call *call)
{
    BG_JOB_TIMES times;
    wchar_t text[40];
    HRESULT hr = IBackgroundCopyJob5_GetTimes(call->job, &times);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    FILETIME chosen[] = { [TIME_CREATION] = times.CreationTime,
                          [TIME_MODIFICATION] = times.ModificationTime,
                          [TIME_COMPLETION] = times.TransferCompletionTime };
    time_text(chosen[call->cmd->property], text, ARRAYSIZE(text));
    return out_value(call->s, L"%ls", text);
}

int op_geterror(job_call *call)
{
    HRESULT code;
    HRESULT hr = print_job_error(call->job, &code);
    return FAILED(hr) ? fail_hr(call->s, hr) : EXIT_OK;
}

int op_getowner(job_call *call)
{
    LPWSTR sid = NULL;
    wchar_t owner[600];
    HRESULT hr = IBackgroundCopyJob5_GetOwner(call->job, &sid);
    if (SUCCEEDED(hr))
        owner_text(sid, owner, ARRAYSIZE(owner));
    CoTaskMemFree(sid);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", owner);
}

int op_getpriority(job_call *call)
{
    BG_JOB_PRIORITY priority;
    HRESULT hr = IBackgroundCopyJob5_GetPriority(call->job, &priority);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_value(call->s, L"%ls", enum_name(priority_names, 4, (int)priority));
}

int op_getnotifyinterface(job_call *call)
{
    int registered;
    HRESULT hr = read_notify_registered(call->job, &registered);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_value(call->s, L"%ls", registered ? L"REGISTERED" : L"UNREGISTERED");
}

int op_getnotifycmdline(job_call *call)
{
    LPWSTR program = NULL, parameters = NULL;
    wchar_t text[4400];
    HRESULT hr = IBackgroundCopyJob5_GetNotifyCmdLine(call->job, &program, &parameters);
    if (SUCCEEDED(hr))
        cmdline_text(program, parameters, text, ARRAYSIZE(text));
    CoTaskMemFree(program);
    CoTaskMemFree(parameters);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", text);
}

int op_getproxy(job_call *call)
{
    BG_JOB_PROXY_USAGE usage;
    LPWSTR list = NULL, bypass = NULL;
    wchar_t word[32];
    HRESULT hr = IBackgroundCopyJob5_GetProxySettings(call->job, &usage, &list, &bypass);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    int status;
    if (call->cmd->property == PROXY_USAGE) {
        title_case(enum_name(proxy_usage_names, 4, (int)usage), word, ARRAYSIZE(word));
        status = out_value(call->s, L"%ls", word);
    } else {
        LPWSTR shown = call->cmd->property == PROXY_LIST ? list : bypass;
        status = out_value(call->s, L"%ls", shown ? shown : L"NULL");
    }
    CoTaskMemFree(list);
    CoTaskMemFree(bypass);
    return status;
}

/* The headers one per line (the service keeps them CRLF-separated), or NULL when there are none. */
int op_getcustomheaders(job_call *call)
{
    IBackgroundCopyJobHttpOptions *options = NULL;
    LPWSTR headers = NULL;
    HRESULT hr = job_http_options(call->job, &options);
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
    return print_text_result(call, hr, headers);
}

int op_getsecurityflags(job_call *call)
{
    IBackgroundCopyJobHttpOptions *options = NULL;
    ULONG flags = 0;
    HRESULT hr = job_http_options(call->job, &options);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, &flags);
    if (options)
        IBackgroundCopyJobHttpOptions_Release(options);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"0x%04lx", (unsigned long)flags);
}

int op_getaclflags(job_call *call)
{
    DWORD flags;
    wchar_t text[8];
    HRESULT hr = IBackgroundCopyJob5_GetFileACLFlags(call->job, &flags);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    acl_flags_text(flags, text, ARRAYSIZE(text));
    return out_value(call->s, L"%ls", text);
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
    return print_text_result(call, hr, name);
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
    return FAILED(hr) ? fail_hr(call->s, hr) : out_value(call->s, L"%ls", valid ? L"TRUE" : L"FALSE");
}
