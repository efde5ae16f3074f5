/* setters.c: every /set* switch and /removecredentials. Each one checks its arguments before it
 * calls the service, so a malformed value changes nothing; the service's own checks (ranges,
 * lengths, states) come back as its error text. The word NULL stands for "no value" where the
 * method takes a NULL (lists, notify command line, custom headers). */
#include "doadmin.h"

#include <stdlib.h>

static const wchar_t *const number_labels[] = {
    [NUMBER_MIN_RETRY_DELAY] = L"Minimum retry delay",
    [NUMBER_NO_PROGRESS_TIMEOUT] = L"No progress timeout",
    [NUMBER_MAX_DOWNLOAD_TIME] = L"Maximum download time",
    [NUMBER_NOTIFY_FLAGS] = L"Notification flags",
    [NUMBER_PEER_CACHING_FLAGS] = L"Peer caching flags",
};
static const wchar_t *const auth_targets[] = { L"SERVER", L"PROXY" };
static const wchar_t *const auth_schemes[] = { L"BASIC", L"DIGEST", L"NTLM", L"NEGOTIATE",
                                               L"PASSPORT" };
static const wchar_t *const booleans[] = { L"FALSE", L"TRUE" };

/* NULL for the word NULL (any case), else the text itself. */
static const wchar_t *null_word(const wchar_t *text)
{
    return text && _wcsicmp(text, L"NULL") != 0 ? text : NULL;
}

static int bad_value(job_call *call, const wchar_t *text, const wchar_t *expected)
{
    return fail(call->s, EXIT_USAGE, L"'%ls' is not %ls", text, expected);
}

static HRESULT set_number(IBackgroundCopyJob5 *job, int which, ULONG value)
{
    switch (which) {
    case NUMBER_MIN_RETRY_DELAY:
        return IBackgroundCopyJob5_SetMinimumRetryDelay(job, value);
    case NUMBER_NO_PROGRESS_TIMEOUT:
        return IBackgroundCopyJob5_SetNoProgressTimeout(job, value);
    case NUMBER_MAX_DOWNLOAD_TIME:
        return IBackgroundCopyJob5_SetMaximumDownloadTime(job, value);
    case NUMBER_NOTIFY_FLAGS:
        return IBackgroundCopyJob5_SetNotifyFlags(job, value);
    case NUMBER_PEER_CACHING_FLAGS:
        return IBackgroundCopyJob5_SetPeerCachingFlags(job, value);
    }
    return E_UNEXPECTED;
}

int op_set_number(job_call *call)
{
    ULONG value;
    if (!parse_ulong(call->argv[0], &value))
        return bad_value(call, call->argv[0], L"a number from 0 to 4294967295 (or 0x hex)");
    HRESULT hr = set_number(call->job, call->cmd->property, value);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"%ls set to %lu.", number_labels[call->cmd->property],
                                 (unsigned long)value);
}

int op_set_text(job_call *call)
{
    int name = call->cmd->property == TEXT_DISPLAY_NAME;
    HRESULT hr = name ? IBackgroundCopyJob5_SetDisplayName(call->job, call->argv[0])
                      : IBackgroundCopyJob5_SetDescription(call->job, call->argv[0]);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"%ls set to '%ls'.",
                                 name ? L"Display name" : L"Description", call->argv[0]);
}

int op_setpriority(job_call *call)
{
    int priority;
    if (!parse_name(call->argv[0], priority_names, 4, &priority))
        return bad_value(call, call->argv[0], L"a priority: FOREGROUND, HIGH, NORMAL or LOW");
    HRESULT hr = IBackgroundCopyJob5_SetPriority(call->job, (BG_JOB_PRIORITY)priority);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"Priority set to %ls.", priority_names[priority]);
}

/* /setnotifycmdline job program [parameters]: NULL as the program removes the command line. */
int op_setnotifycmdline(job_call *call)
{
    const wchar_t *program = null_word(call->argv[0]);
    const wchar_t *parameters = call->argc > 1 ? null_word(call->argv[1]) : NULL;
    if (!program && parameters)
        return fail(call->s, EXIT_USAGE, L"parameters need a program (NULL removes both)");
    HRESULT hr = IBackgroundCopyJob5_SetNotifyCmdLine(call->job, program, parameters);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    return program ? out_done(call->s, L"Notification command line set.")
                   : out_done(call->s, L"Notification command line removed.");
}

/* /setproxysettings job usage [list [bypass]] */
int op_setproxysettings(job_call *call)
{
    int usage;
    if (!parse_name(call->argv[0], proxy_usage_names, 4, &usage))
        return bad_value(call, call->argv[0],
                         L"a proxy usage: PRECONFIG, NO_PROXY, OVERRIDE or AUTODETECT");
    const wchar_t *list = call->argc > 1 ? null_word(call->argv[1]) : NULL;
    const wchar_t *bypass = call->argc > 2 ? null_word(call->argv[2]) : NULL;
    HRESULT hr =
        IBackgroundCopyJob5_SetProxySettings(call->job, (BG_JOB_PROXY_USAGE)usage, list, bypass);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"Proxy usage set to %ls.", proxy_usage_names[usage]);
}

/* target and scheme (argv[0], argv[1]) as the API's numbers, 1-based. */
static int parse_auth(job_call *call, BG_AUTH_TARGET *target, BG_AUTH_SCHEME *scheme)
{
    int t, sch;
    if (!parse_name(call->argv[0], auth_targets, 2, &t))
        return bad_value(call, call->argv[0], L"a target: SERVER or PROXY");
    if (!parse_name(call->argv[1], auth_schemes, 5, &sch))
        return bad_value(call, call->argv[1],
                         L"a scheme: BASIC, DIGEST, NTLM, NEGOTIATE or PASSPORT");
    *target = (BG_AUTH_TARGET)(t + 1);
    *scheme = (BG_AUTH_SCHEME)(sch + 1);
    return EXIT_OK;
}

/* /setcredentials job target scheme user password */
int op_setcredentials(job_call *call)
{
    BG_AUTH_CREDENTIALS credentials;
    int status = parse_auth(call, &credentials.Target, &credentials.Scheme);
    if (status != EXIT_OK)
        return status;
    credentials.Credentials.Basic.UserName = call->argv[2];
    credentials.Credentials.Basic.Password = call->argv[3];
    HRESULT hr = IBackgroundCopyJob5_SetCredentials(call->job, &credentials);
    return FAILED(hr) ? fail_hr(call->s, hr) : out_done(call->s, L"Credentials set.");
}

/* /removecredentials job target scheme: S_FALSE when the job had none of that kind. */
int op_removecredentials(job_call *call)
{
    BG_AUTH_TARGET target;
    BG_AUTH_SCHEME scheme;
    int status = parse_auth(call, &target, &scheme);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyJob5_RemoveCredentials(call->job, target, scheme);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    return out_done(call->s,
                    hr == S_FALSE ? L"The job had no such credentials." : L"Credentials removed.");
}

/* /setcustomheaders job header1 [header2 ...]: each header a line ending with CRLF, as BITS
 * wants them; the single word NULL removes them. */
int op_setcustomheaders(job_call *call)
{
    int remove = call->argc == 1 && !null_word(call->argv[0]);
    wchar_t *headers = remove ? NULL : text_join(call->argv, call->argc, L"\r\n", 1);
    IBackgroundCopyJobHttpOptions *options = NULL;
    HRESULT hr = remove || headers ? job_http_options(call->job, &options) : E_OUTOFMEMORY;
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, headers);
    if (options)
        IBackgroundCopyJobHttpOptions_Release(options);
    free(headers);
    if (FAILED(hr))
        return fail_hr(call->s, hr);
    return out_done(call->s, remove ? L"Custom headers removed." : L"Custom headers set.");
}

int op_setsecurityflags(job_call *call)
{
    ULONG flags;
    if (!parse_ulong(call->argv[0], &flags))
        return bad_value(call, call->argv[0], L"a number (decimal or 0x hex)");
    IBackgroundCopyJobHttpOptions *options = NULL;
    HRESULT hr = job_http_options(call->job, &options);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, flags);
    if (options)
        IBackgroundCopyJobHttpOptions_Release(options);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"Security flags set to 0x%04lx.", (unsigned long)flags);
}

int op_setaclflag(job_call *call)
{
    DWORD flags;
    wchar_t text[8];
    if (!parse_acl_flags(call->argv[0], &flags))
        return bad_value(call, call->argv[0], L"ACL flags: one or more of O, G, D, S");
    HRESULT hr = IBackgroundCopyJob5_SetFileACLFlags(call->job, flags);
    acl_flags_text(flags, text, ARRAYSIZE(text));
    return FAILED(hr) ? fail_hr(call->s, hr) : out_done(call->s, L"ACL flags set to %ls.", text);
}

/* /setvalidationstate job file_index TRUE|FALSE */
int op_setvalidationstate(job_call *call)
{
    int valid;
    IBackgroundCopyFile3 *file;
    if (!parse_name(call->argv[1], booleans, 2, &valid))
        return bad_value(call, call->argv[1], L"TRUE or FALSE");
    int status = call_file_at(call, &file);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyFile3_SetValidationState(file, valid);
    IBackgroundCopyFile3_Release(file);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"Validation state of file %ls set to %ls.",
                                 call->argv[0], booleans[valid]);
}
