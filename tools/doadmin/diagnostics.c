/* diagnostics.c: the Delivery Optimization diagnostics, answered by the service through its
 * admin-only interface IOpendoAdmin (class OpendoAdmin): /status [job], /why <job>, /perfsnap,
 * /config, /log [/job <job>] [/since <time>] [/errors] [/lines <n>]. The reports are made by
 * the service (engine/admin); doadmin prints them. Administrators only: anyone else gets one
 * access-denied line and a non-zero exit. */
#include "doadmin.h"

#include <stdlib.h>

/* The service's admin interface; failures reported (the service unreachable, or not allowed). */
int connect_admin(session *s, IOpendoAdmin **admin)
{
    HRESULT hr = CoCreateInstance(&CLSID_OpendoAdmin, NULL, CLSCTX_LOCAL_SERVER, &IID_IOpendoAdmin,
                                  (void **)admin);
    if (SUCCEEDED(hr))
        return EXIT_OK;
    *admin = NULL;
    wchar_t text[1024];
    hr_text(s, hr, text, ARRAYSIZE(text));
    return fail(s, EXIT_NO_SERVICE, L"cannot reach the service's administration interface: %ls", text);
}

/* Prints a report the service made, or reports why there is none (doadmin.h). */
int print_report(session *s, HRESULT hr, LPWSTR report)
{
    if (hr == E_ACCESSDENIED)
        return fail(s, EXIT_FAILED, L"access denied: the diagnostics are for administrators only "
                                    L"(run doadmin as an administrator)");
    if (FAILED(hr))
        return fail_hr(s, hr);
    out_printf(L"%ls", report ? report : L"");
    if (report && report[0] && report[wcslen(report) - 1] != L'\n')
        out_printf(L"\n");
    CoTaskMemFree(report);
    return EXIT_OK;
}

/* The GUID of the job a /status or /why names: its GUID, or the one job with that name. A GUID
 * is taken as it is (the service may remember a job that left the queue). */
static int job_guid(session *s, const wchar_t *spec, GUID *id)
{
    if (parse_guid(spec, id))
        return EXIT_OK;
    IBackgroundCopyJob5 *job = NULL;
    int status = find_job(s, spec, &job);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyJob5_GetId(job, id);
    IBackgroundCopyJob5_Release(job);
    return SUCCEEDED(hr) ? EXIT_OK : fail_hr(s, hr);
}

typedef HRESULT (*admin_question)(IOpendoAdmin *admin, const GUID *job, LPWSTR *report);

/* Connects, asks, prints: the shape of every diagnostics switch. */
static int ask(session *s, admin_question question, const GUID *job)
{
    IOpendoAdmin *admin = NULL;
    int status = connect_admin(s, &admin);
    if (status != EXIT_OK)
        return status;
    LPWSTR report = NULL;
    HRESULT hr = question(admin, job, &report);
    IOpendoAdmin_Release(admin);
    return print_report(s, hr, report);
}

static HRESULT ask_status(IOpendoAdmin *admin, const GUID *job, LPWSTR *report)
{
    return IOpendoAdmin_GetStatus(admin, job, report);
}

static HRESULT ask_why(IOpendoAdmin *admin, const GUID *job, LPWSTR *report)
{
    return IOpendoAdmin_ExplainJob(admin, job, report);
}

static HRESULT ask_perfsnap(IOpendoAdmin *admin, const GUID *job, LPWSTR *report)
{
    (void)job;
    return IOpendoAdmin_GetPerfSnap(admin, report);
}

static HRESULT ask_config(IOpendoAdmin *admin, const GUID *job, LPWSTR *report)
{
    (void)job;
    return IOpendoAdmin_GetConfig(admin, report);
}

int run_status(session *s, const command *cmd, const invocation *inv)
{
    (void)cmd;
    GUID id;
    if (inv->argc == 0)
        return ask(s, ask_status, NULL);
    int status = job_guid(s, inv->argv[0], &id);
    return status == EXIT_OK ? ask(s, ask_status, &id) : status;
}

int run_why(session *s, const command *cmd, const invocation *inv)
{
    (void)cmd;
    GUID id;
    int status = job_guid(s, inv->argv[0], &id);
    return status == EXIT_OK ? ask(s, ask_why, &id) : status;
}

int run_perfsnap(session *s, const command *cmd, const invocation *inv)
{
    (void)cmd, (void)inv;
    return ask(s, ask_perfsnap, NULL);
}

int run_config(session *s, const command *cmd, const invocation *inv)
{
    (void)cmd, (void)inv;
    return ask(s, ask_config, NULL);
}

/* ---- /log -------------------------------------------------------------------------------- */

/* /since: a UTC time as the log writes it ("2026-12-07T02:00", a prefix of
 * 2026-12-07T02:00:00.000Z; a space for the T is fine), or an age: 30s, 10m, 2h, 3d. */
static int since_text(const wchar_t *arg, wchar_t *out, size_t size)
{
    wchar_t *end = NULL;
    unsigned long amount = wcstoul(arg, &end, 10);
    static const struct { wchar_t unit; ULONGLONG seconds; } units[] = {
        {L's', 1}, {L'm', 60}, {L'h', 3600}, {L'd', 86400}};
    for (size_t i = 0; end != arg && end[0] && !end[1] && i < ARRAYSIZE(units); i++) {
        if (towlower(end[0]) != units[i].unit)
            continue;
        FILETIME now;
        GetSystemTimeAsFileTime(&now);
        ULARGE_INTEGER t = {.LowPart = now.dwLowDateTime, .HighPart = now.dwHighDateTime};
        t.QuadPart -= (ULONGLONG)amount * units[i].seconds * 10000000ull;
        FILETIME then = {t.LowPart, t.HighPart};
        SYSTEMTIME st;
        if (!FileTimeToSystemTime(&then, &st))
            return 0;
        swprintf(out, size, L"%04u-%02u-%02uT%02u:%02u:%02u", st.wYear, st.wMonth, st.wDay,
                 st.wHour, st.wMinute, st.wSecond);
        return 1;
    }
    /* A time: the service checks its form; a space may stand for the T. */
    if (wcslen(arg) >= size)
        return 0;
    wcscpy(out, arg);
    if (wcslen(out) > 10 && out[10] == L' ')
        out[10] = L'T';
    return 1;
}

int run_log(session *s, const command *cmd, const invocation *inv)
{
    (void)cmd;
    GUID id;
    const GUID *job = NULL;
    wchar_t since[64];
    ULONG lines = 0;
    if (inv->value[OPT_JOB]) {
        int status = job_guid(s, inv->value[OPT_JOB], &id);
        if (status != EXIT_OK)
            return status;
        job = &id;
    }
    if (inv->value[OPT_SINCE] && !since_text(inv->value[OPT_SINCE], since, ARRAYSIZE(since)))
        return fail(s, EXIT_USAGE, L"bad /since '%ls': a UTC time such as 2026-12-07T02:00, or an "
                                   L"age such as 30m, 2h, 3d", inv->value[OPT_SINCE]);
    if (inv->value[OPT_LINES] && (!parse_ulong(inv->value[OPT_LINES], &lines) || lines == 0))
        return fail(s, EXIT_USAGE, L"bad /lines '%ls': a number of lines, at least 1",
                    inv->value[OPT_LINES]);
    IOpendoAdmin *admin = NULL;
    int status = connect_admin(s, &admin);
    if (status != EXIT_OK)
        return status;
    LPWSTR text = NULL;
    HRESULT hr = IOpendoAdmin_ReadLog(admin, job, inv->value[OPT_SINCE] ? since : NULL,
                                      (inv->present & OPTION(OPT_ERRORS)) ? OPENDO_LOG_PROBLEMS_ONLY : 0,
                                      lines, &text);
    IOpendoAdmin_Release(admin);
    if (hr == E_INVALIDARG)
        return fail(s, EXIT_USAGE, L"the service refused /since '%ls' or /lines: a UTC time such as "
                                   L"2026-12-07T02:00, at most 100000 lines", inv->value[OPT_SINCE] ? since : L"");
    return print_report(s, hr, text);
}
