/* The HTTP method of a job (IBackgroundCopyJobHttpOptions2, BITS 10.2) and its write-only custom
 * headers (IBackgroundCopyJobHttpOptions3::MakeCustomHeadersWriteOnly), with the rules of
 * bits.md §2.3: the method is chosen before the first Resume; a custom method forces FOREGROUND
 * priority and is kept out of ranges, on-demand mode and resumed transfers (scheduler.c). */
#include "jobs_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_DOWNLOAD_METHOD "GET"
#define DEFAULT_UPLOAD_METHOD "BITS_POST"

const char *job_http_method(const store_job_t *job)
{
    if (job->http_method)
        return job->http_method;
    return job->type == JOB_TYPE_DOWNLOAD ? DEFAULT_DOWNLOAD_METHOD : DEFAULT_UPLOAD_METHOD;
}

int job_has_custom_http_method(const store_job_t *job)
{
    return job->http_method != NULL;
}

/* RFC 9110 §5.6.2: token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
 * "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. */
static int is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static hr_t check_method(const char *method)
{
    if (!method || !*method)
        return HR_E_INVALIDARG;
    size_t length = 0;
    for (; method[length]; length++)
        if (!is_tchar(method[length]))
            return HR_E_INVALIDARG;
    return length > JOB_HTTP_METHOD_MAX ? HR_BG_E_STRING_TOO_LONG : HR_OK;
}

/* Whether any file of the job has ranges (lock held). */
static hr_t job_has_ranged_files(jobs_t *jobs, const store_job_t *job, int *ranged)
{
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, &job->id, &count);
    *ranged = 0;
    for (uint32_t i = 0; status == STORE_OK && i < count && !*ranged; i++) {
        store_range_t *ranges = NULL;
        size_t range_count = 0;
        status = store_file_ranges(jobs->store, &job->id, i, &ranges, &range_count);
        *ranged = range_count > 0;
        free(ranges);
    }
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "read job files", status);
}

static hr_t apply_method(jobs_t *jobs, store_job_t *job, void *context)
{
    const char *method = context;
    if (job->started)
        return HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME;
    int is_default = !strcmp(method, job->type == JOB_TYPE_DOWNLOAD ? DEFAULT_DOWNLOAD_METHOD
                                                                     : DEFAULT_UPLOAD_METHOD);
    if (is_default)
        return replace_text(&job->http_method, NULL);
    int ranged;
    hr_t hr = job_has_ranged_files(jobs, job, &ranged);
    if (HR_FAILED(hr))
        return hr;
    if (ranged || job->on_demand)
        return HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
    /* FOREGROUND, without the no-progress default that a priority change brings (a custom
     * method is a BITS job's, whose timeout does not follow the priority). */
    job->priority = JOB_PRIORITY_FOREGROUND;
    return replace_text(&job->http_method, method);
}

hr_t jobs_set_http_method(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          const char *method)
{
    hr_t hr = check_method(method);
    if (HR_FAILED(hr))
        return hr;
    char owner[CALLER_SID_MAX];
    hr = change_job(jobs, caller, id, apply_method, (void *)method, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.change", "HTTP method set to %s by %s", method, caller->sid);
    else if (hr == HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME || hr == HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD)
        log_event(LOG_WARN, id, NULL, "job.change", "HTTP method %s refused for %s: 0x%08x (%s)", method,
                  caller->sid, (unsigned)hr,
                  hr == HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME ? "the job was resumed before"
                                                                : "the job has ranges or is in on-demand mode");
    return hr;
}

static hr_t apply_write_only(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs, (void)context;
    if (job->custom_headers_write_only)
        return HR_FALSE; /* nothing to write */
    job->custom_headers_write_only = 1;
    return HR_OK;
}

hr_t jobs_make_custom_headers_write_only(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_write_only, NULL, owner);
    if (hr == HR_OK)
        log_event(LOG_INFO, id, owner, "job.change", "custom headers made write-only by %s", caller->sid);
    return hr == HR_FALSE ? HR_OK : hr;
}
