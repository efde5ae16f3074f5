/* jobs_set: every job property setter of IBackgroundCopyJob..Job5, with the value rules of the
 * API. Each change is committed (with a new ModificationTime) before the call returns. */
#include "jobs_internal.h"

#include <stdlib.h>
#include <string.h>

#define NOTIFY_PROGRAM_MAX 260     /* MAX_PATH */
#define NOTIFY_PARAMETERS_MAX 4000
#define ACL_FLAGS_VALID 0x000Fu    /* BG_COPY_FILE_OWNER | GROUP | DACL | SACL */
#define PEER_CACHING_FLAGS_VALID 0x0007u
#define PROXY_USAGE_OVERRIDE 2
#define PROXY_USAGE_AUTODETECT 3

typedef struct property_change {
    job_property_t property;
    const job_value_t *value;
} property_change_t;

static hr_t check_notify_flags(uint32_t flags)
{
    /* BITS answers E_NOTIMPL for flags it does not know (range notices: apply_notify_flags). */
    return flags & ~JOB_NOTIFY_FLAGS_VALID ? HR_E_NOTIMPL : HR_OK;
}

/* DO does not support range notices; BITS jobs (FileRangesTransferred) do. */
static hr_t apply_notify_flags(store_job_t *job, uint32_t flags)
{
    if ((flags & JOB_NOTIFY_FILE_RANGES_TRANSFERRED) && job->kind != STORE_KIND_BITS)
        return HR_E_NOTIMPL;
    job->notify_flags = flags;
    return HR_OK;
}

/* BITS_JOB_PROPERTY_ON_DEMAND_MODE: a download job's, before its first Resume. */
static hr_t apply_on_demand(store_job_t *job, uint32_t on)
{
    if (job->type != JOB_TYPE_DOWNLOAD)
        return HR_BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;
    if (job->started)
        return HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME;
    if (on && job_has_custom_http_method(job))
        return HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD; /* bits.md §2.3 */
    job->on_demand = (int32_t)on;
    return HR_OK;
}

static hr_t check_notify_cmdline(const job_value_t *value)
{
    if (!value->text)
        return value->text2 ? HR_E_INVALIDARG : HR_OK; /* parameters without a program */
    if (!value->text[0] || !text_fits(value->text, NOTIFY_PROGRAM_MAX, 0))
        return HR_E_INVALIDARG;
    return text_fits(value->text2, NOTIFY_PARAMETERS_MAX, 1) ? HR_OK : HR_E_INVALIDARG;
}

static hr_t check_proxy(const job_value_t *value)
{
    if (value->number > PROXY_USAGE_AUTODETECT)
        return HR_E_INVALIDARG;
    if (!text_fits(value->text, JOB_PROXY_TEXT_MAX, 1))
        return HR_BG_E_PROXY_LIST_TOO_LARGE;
    if (!text_fits(value->text2, JOB_PROXY_TEXT_MAX, 1))
        return HR_BG_E_PROXY_BYPASS_LIST_TOO_LARGE;
    /* Only OVERRIDE takes lists, and it needs a proxy list. */
    if (value->number == PROXY_USAGE_OVERRIDE)
        return value->text && value->text[0] ? HR_OK : HR_BG_E_INVALID_PROXY_INFO;
    return value->text || value->text2 ? HR_BG_E_INVALID_PROXY_INFO : HR_OK;
}

/* SetCustomHeaders: NULL removes them; otherwise at most JOB_CUSTOM_HEADERS_MAX units
 * (BG_E_STRING_TOO_LONG beyond), made of "Name: value" lines, each ended by CRLF (the last one
 * may omit it). Refused with E_INVALIDARG: a CR or LF that is not part of a CRLF, a line without
 * ':', an empty name or one containing a space or tab, and an empty line anywhere but at the very
 * end, which would end the request's header block. "" (no lines) is a value. */
static hr_t check_custom_headers(const char *text)
{
    if (!text)
        return HR_OK;
    long units = utf8_utf16_length(text);
    if (units < 0)
        return HR_E_INVALIDARG;
    if (units > JOB_CUSTOM_HEADERS_MAX)
        return HR_BG_E_STRING_TOO_LONG;
    for (const char *line = text; *line;) {
        size_t length = strcspn(line, "\r\n"), name = strcspn(line, ":\r\n");
        const char *end = line + length;
        if (*end && (end[0] != '\r' || end[1] != '\n'))
            return HR_E_INVALIDARG; /* a bare CR or LF */
        if (name == 0 || name == length)
            return HR_E_INVALIDARG; /* an empty line, no ':' or an empty name */
        if (memchr(line, ' ', name) || memchr(line, '\t', name))
            return HR_E_INVALIDARG;
        line = *end ? end + 2 : end;
    }
    return HR_OK;
}

/* SetSecurityFlags: the defined bits only, and a defined redirect policy. */
/* BITS documents E_NOTIMPL for "the flag value is not supported". */
static hr_t check_security_flags(uint32_t flags)
{
    uint32_t policy = flags & JOB_REDIRECT_POLICY_MASK;
    if (flags & ~JOB_SECURITY_FLAGS_VALID)
        return HR_E_NOTIMPL;
    return policy == JOB_REDIRECT_POLICY_ALLOW_SILENT || policy == JOB_REDIRECT_POLICY_ALLOW_REPORT ||
                   policy == JOB_REDIRECT_POLICY_DISALLOW
               ? HR_OK : HR_E_NOTIMPL;
}

/* The value rules of each property, checked before the job is loaded. */
static hr_t check_value(job_property_t property, const job_value_t *value)
{
    switch (property) {
    case JOB_PROP_DISPLAY_NAME: /* 0..256 units, as CreateJob: names need not be unique or set */
        return text_fits(value->text, JOB_DISPLAY_NAME_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case JOB_PROP_DESCRIPTION:
        return text_fits(value->text, JOB_DESCRIPTION_MAX, 0) ? HR_OK : HR_E_INVALIDARG;
    case JOB_PROP_PRIORITY:
        return value->number <= JOB_PRIORITY_LOW ? HR_OK : HR_E_INVALIDARG;
    case JOB_PROP_NOTIFY_FLAGS:
        return check_notify_flags(value->number);
    case JOB_PROP_NOTIFY_CMDLINE:
        return check_notify_cmdline(value);
    case JOB_PROP_PROXY:
        return check_proxy(value);
    case JOB_PROP_ACL_FLAGS:
        return value->number & ~ACL_FLAGS_VALID ? HR_E_INVALIDARG : HR_OK;
    case JOB_PROP_PEER_CACHING_FLAGS:
        return value->number & ~PEER_CACHING_FLAGS_VALID ? HR_E_INVALIDARG : HR_OK;
    case JOB_PROP_CUSTOM_HEADERS:
        return check_custom_headers(value->text);
    case JOB_PROP_SECURITY_FLAGS:
        return check_security_flags(value->number);
    case JOB_PROP_ON_DEMAND:
    case JOB_PROP_CERTIFICATE_CALLBACK:
        return value->number <= 1 ? HR_OK : HR_E_INVALIDARG;
    case JOB_PROP_MIN_RETRY_DELAY:
    case JOB_PROP_NO_PROGRESS_TIMEOUT:
    case JOB_PROP_MAX_DOWNLOAD_TIME:
    case JOB_PROP_COST_FLAGS:
    case JOB_PROP_NOTIFY_CLSID:
        return HR_OK;
    }
    return HR_E_INVALIDARG;
}

/* Two text members set together (notify command line, proxy lists). */
static hr_t replace_text_pair(char **first, char **second, const job_value_t *value)
{
    hr_t hr = replace_text(first, value->text);
    return HR_SUCCEEDED(hr) ? replace_text(second, value->text2) : hr;
}

static uint32_t default_no_progress_timeout(int32_t kind, int32_t priority)
{
    const job_rules_t *rules = job_rules_of(kind);
    return priority == JOB_PRIORITY_FOREGROUND ? rules->foreground_no_progress_timeout
                                               : rules->no_progress_timeout;
}

/* DO gives foreground jobs a 1-hour no-progress timeout and background jobs a day (BITS: 14
 * days for both): a timeout still at the old priority's default follows the priority; one the
 * client set stays. */
static void set_priority(store_job_t *job, int32_t priority)
{
    if (job->no_progress_timeout == default_no_progress_timeout(job->kind, job->priority))
        job->no_progress_timeout = default_no_progress_timeout(job->kind, priority);
    job->priority = priority;
}

static hr_t apply_property(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs;
    const property_change_t *change = context;
    const job_value_t *value = change->value;
    switch (change->property) {
    case JOB_PROP_DISPLAY_NAME: return replace_text(&job->display_name, value->text);
    case JOB_PROP_DESCRIPTION: return replace_text(&job->description, value->text);
    case JOB_PROP_CUSTOM_HEADERS: return replace_text(&job->custom_headers, value->text);
    case JOB_PROP_NOTIFY_CMDLINE:
        return replace_text_pair(&job->notify_program, &job->notify_parameters, value);
    case JOB_PROP_PROXY:
        job->proxy_usage = (int32_t)value->number;
        return replace_text_pair(&job->proxy_list, &job->proxy_bypass_list, value);
    case JOB_PROP_PRIORITY:
        if (job_has_custom_http_method(job) && value->number != JOB_PRIORITY_FOREGROUND)
            return HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD; /* locked by SetHttpMethod */
        set_priority(job, (int32_t)value->number);
        break;
    case JOB_PROP_NOTIFY_FLAGS: return apply_notify_flags(job, value->number);
    case JOB_PROP_ON_DEMAND: return apply_on_demand(job, value->number);
    case JOB_PROP_MIN_RETRY_DELAY: job->min_retry_delay = value->number; break;
    case JOB_PROP_NO_PROGRESS_TIMEOUT: job->no_progress_timeout = value->number; break;
    case JOB_PROP_MAX_DOWNLOAD_TIME: job->max_download_time = value->number; break;
    case JOB_PROP_ACL_FLAGS: job->acl_flags = value->number; break;
    case JOB_PROP_PEER_CACHING_FLAGS: job->peer_caching_flags = value->number; break;
    case JOB_PROP_COST_FLAGS: job->cost_flags = value->number; break;
    case JOB_PROP_SECURITY_FLAGS: job->security_flags = value->number; break;
    case JOB_PROP_CERTIFICATE_CALLBACK: job->certificate_callback = (int32_t)value->number; break;
    case JOB_PROP_NOTIFY_CLSID: job->notify_clsid = value->guid; break;
    }
    return HR_OK;
}

static const char *property_name(job_property_t property)
{
    static const char *const names[] = {
        "display name", "description", "priority", "notify flags", "notify command line",
        "minimum retry delay", "no-progress timeout", "maximum download time", "proxy settings",
        "file ACL flags", "peer caching flags", "cost flags", "notification CLSID",
        "custom headers", "security flags", "on-demand mode", "server certificate callback",
    };
    return (unsigned)property < sizeof names / sizeof names[0] ? names[property] : "?";
}

hr_t jobs_set(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_property_t property,
              const job_value_t *value)
{
    if (!value)
        return HR_E_INVALIDARG;
    hr_t hr = check_value(property, value);
    if (HR_FAILED(hr))
        return hr;
    property_change_t change = {property, value};
    char owner[CALLER_SID_MAX];
    hr = change_job(jobs, caller, id, apply_property, &change, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.change", "%s changed by %s", property_name(property),
                  caller->sid);
    return hr;
}

/* ---- BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS (jobs.notification_interval_ms) ---------- */

static hr_t store_interval(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs;
    uint32_t ms = *(const uint32_t *)context;
    if (job->notification_interval_ms == ms)
        return HR_FALSE;
    job->notification_interval_ms = ms;
    return HR_OK;
}

static hr_t read_interval(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs;
    *(uint32_t *)context = job->notification_interval_ms;
    return HR_OK;
}

hr_t jobs_set_notification_interval(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                    uint32_t ms)
{
    hr_t hr = change_job(jobs, caller, id, store_interval, &ms, NULL);
    if (hr == HR_FALSE)
        return HR_OK;
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, NULL, "job.change", "minimum notification interval %u ms set by %s", ms,
                  caller->sid);
    return hr;
}

hr_t jobs_notification_interval(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t *ms)
{
    return ms ? with_job(jobs, caller, id, read_interval, ms) : HR_E_INVALIDARG;
}
