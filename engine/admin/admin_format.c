/* Helpers of the admin reports: the admin check, times, durations, sizes, error lines. */
#include "admin_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNIX_EPOCH_AS_FILETIME_SECONDS 11644473600LL

hr_t admin_check(const caller_t *caller, char **report)
{
    if (!report)
        return HR_E_INVALIDARG;
    *report = NULL;
    if (!caller || !caller->sid[0])
        return HR_E_INVALIDARG;
    return caller->is_admin ? HR_OK : HR_E_ACCESSDENIED;
}

hr_t admin_check_activity(const admin_sources_t *src, const caller_t *caller, char **report,
                          jobs_activity_t *activity)
{
    hr_t hr = admin_check(caller, report);
    return HR_SUCCEEDED(hr) ? jobs_activity(src->jobs, activity) : hr;
}

hr_t admin_finish(hr_t hr, text_t *text, char **report)
{
    if (HR_SUCCEEDED(hr) && !(*report = text_finish(text)))
        hr = HR_E_OUTOFMEMORY;
    text_free(text);
    return hr;
}

void admin_expiry(const admin_sources_t *src, const store_job_t *job, char *out, size_t size, int *days)
{
    int by_inactivity = job_rules_of(job->kind)->expiry == JOB_EXPIRES_AFTER_INACTIVITY;
    *days = by_inactivity ? (int)settings_get(src->settings, SETTING_BITS_JOB_INACTIVITY_TIMEOUT)
                          : JOB_MAX_AGE_DAYS;
    int64_t since = by_inactivity ? job->modification_time : job->creation_time;
    int64_t span = (int64_t)*days * 86400 * FILETIME_PER_SECOND;
    /* A damaged row's time at the end of the range has no expiry date (shown as "-"). */
    admin_format_time(since <= INT64_MAX - span ? since + span : 0, out, size);
}

void admin_format_time(int64_t filetime, char *out, size_t size)
{
    time_t seconds = (time_t)(filetime / FILETIME_PER_SECOND - UNIX_EPOCH_AS_FILETIME_SECONDS);
    struct tm tm;
#ifdef _WIN32
    int ok = filetime > 0 && gmtime_s(&tm, &seconds) == 0;
#else
    int ok = filetime > 0 && gmtime_r(&seconds, &tm) != NULL;
#endif
    if (!ok)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void admin_format_duration(uint64_t ms, char *out, size_t size)
{
    uint64_t s = ms / 1000;
    if (ms < 1000)
        snprintf(out, size, "%llu ms", (unsigned long long)ms);
    else if (s < 60)
        snprintf(out, size, "%llu s", (unsigned long long)s);
    else if (s < 3600)
        snprintf(out, size, "%llu min %llu s", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(out, size, "%llu h %llu min", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
    else
        snprintf(out, size, "%llu d %llu h", (unsigned long long)(s / 86400),
                 (unsigned long long)(s % 86400 / 3600));
}

void admin_format_bytes(uint64_t bytes, char *out, size_t size)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = (double)bytes;
    int unit = -1;
    while (value >= 1024 && unit < 3) {
        value /= 1024;
        unit++;
    }
    if (unit < 0)
        snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
    else
        snprintf(out, size, "%llu bytes (%.1f %s)", (unsigned long long)bytes, value, units[unit]);
}

void admin_field(text_t *text, int width, const char *name, const char *fmt, ...)
{
    char value[4096];
    va_list args;
    va_start(args, fmt);
    vsnprintf(value, sizeof value, fmt, args);
    va_end(args);
    text_printf(text, "%-*s : %s\n", width, name, value);
}

const char *admin_priority_name(int32_t priority)
{
    static const char *names[] = {"FOREGROUND", "HIGH", "NORMAL", "LOW"};
    return (uint32_t)priority < 4 ? names[priority] : "?";
}

const char *admin_download_mode(const admin_sources_t *src)
{
    return settings_download_mode_text(src->settings ? settings_get(src->settings, SETTING_DOWNLOAD_MODE)
                                                     : DOWNLOAD_MODE_SIMPLE);
}

int admin_http_status(uint32_t code)
{
    return (code & 0xFFFF0000u) == 0x80190000u && (code & 0xFFFFu) >= 100 && (code & 0xFFFFu) < 600
               ? (int)(code & 0xFFFFu) : 0;
}

void admin_error_line(const admin_sources_t *src, text_t *text, const char *label, uint32_t code)
{
    char *description = src->describe_error ? src->describe_error(code) : NULL;
    text_printf(text, "%s0x%08X%s%s\n", label, (unsigned)code, description ? " - " : "",
                description ? description : "");
    free(description);
}

void admin_volume_of(const char *path, char *out, size_t size)
{
    size_t len = 0;
    if (path[0] && path[1] == ':' && (path[2] == '\\' || path[2] == '/')) {
        len = 3;
    } else if (path[0] == '\\' && path[1] == '\\') {
        /* \\server\share\ */
        const char *share = strchr(path + 2, '\\');
        const char *end = share ? strchr(share + 1, '\\') : NULL;
        len = end ? (size_t)(end - path) + 1 : strlen(path);
    } else {
        const char *slash = strrchr(path, '/');
        len = slash ? (size_t)(slash - path) + (slash == path) : 0;
    }
    snprintf(out, size, "%.*s", (int)len, len ? path : ".");
}
