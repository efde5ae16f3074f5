#include "jobs.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "guid.h"
#include "log.h"

struct jobs {
    store_t *store;
    uv_mutex_t lock; /* serialises every use of store */
};

static hr_t hr_from_store(store_status_t status)
{
    switch (status) {
    case STORE_OK:
        return HR_OK;
    case STORE_NOT_FOUND:
        return DO_E_JOB_NOT_FOUND;
    case STORE_NOMEM:
        return HR_E_OUTOFMEMORY;
    case STORE_INVALID:
        return HR_E_INVALIDARG;
    default:
        return DO_E_FATAL_CORE_ERROR;
    }
}

/* Maps a failed store call to an HRESULT, logging what the store said. */
static hr_t store_failure(jobs_t *jobs, const store_guid_t *job, const char *what,
                          store_status_t status)
{
    if (status != STORE_NOT_FOUND)
        log_event(LOG_ERROR, job, "%s failed: %s (%s)", what, store_status_text(status),
                  store_last_error(jobs->store));
    return hr_from_store(status);
}

hr_t jobs_open(const char *db_path, jobs_t **out, store_open_report_t *report)
{
    if (!db_path || !out)
        return HR_E_INVALIDARG;
    jobs_t *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        return HR_E_OUTOFMEMORY;
    store_status_t status = store_open(db_path, &jobs->store, report);
    if (status != STORE_OK) {
        log_event(LOG_ERROR, NULL, "cannot open job store %s: %s", db_path,
                  store_status_text(status));
        free(jobs);
        return hr_from_store(status);
    }
    uv_mutex_init(&jobs->lock);
    *out = jobs;
    return HR_OK;
}

void jobs_shutdown(jobs_t *jobs)
{
    if (!jobs)
        return;
    uv_mutex_lock(&jobs->lock);
    if (jobs->store)
        store_close(jobs->store);
    jobs->store = NULL;
    uv_mutex_unlock(&jobs->lock);
}

void jobs_close(jobs_t *jobs)
{
    if (!jobs)
        return;
    jobs_shutdown(jobs);
    uv_mutex_destroy(&jobs->lock);
    free(jobs);
}

/* Takes the store lock; fails with DO_E_NO_SERVICE (lock released) once shut down. */
static hr_t lock_store(jobs_t *jobs)
{
    uv_mutex_lock(&jobs->lock);
    if (jobs->store)
        return HR_OK;
    uv_mutex_unlock(&jobs->lock);
    return DO_E_NO_SERVICE;
}

long utf8_utf16_length(const char *text)
{
    long units = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                  : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return -1;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        units += extra == 3 ? 2 : 1; /* code points above U+FFFF need a surrogate pair */
        p += extra + 1;
    }
    return units;
}

static int caller_is_valid(const caller_t *caller)
{
    return caller && caller->sid[0] && memchr(caller->sid, '\0', sizeof caller->sid);
}

static void job_set_defaults(store_job_t *job, const caller_t *caller, int32_t type)
{
    job->type = type;
    job->state = JOB_STATE_SUSPENDED;
    job->priority = JOB_PRIORITY_NORMAL;
    job->owner_sid = (char *)caller->sid;
    job->notify_flags = JOB_DEFAULT_NOTIFY_FLAGS;
    job->min_retry_delay = JOB_DEFAULT_MIN_RETRY_DELAY;
    job->no_progress_timeout = JOB_DEFAULT_NO_PROGRESS_TIMEOUT;
    job->cost_flags = JOB_DEFAULT_COST_FLAGS;
    job->error_file_index = -1;
    job->creation_time = job->modification_time = store_now_filetime();
}

hr_t jobs_create(jobs_t *jobs, const caller_t *caller, const char *display_name, int32_t type,
                 store_guid_t *id_out)
{
    if (!jobs || !caller_is_valid(caller) || !display_name || !id_out)
        return HR_E_INVALIDARG;
    long name_units = utf8_utf16_length(display_name);
    if (name_units < 0 || name_units > JOB_DISPLAY_NAME_MAX)
        return HR_E_INVALIDARG;
    if (type == JOB_TYPE_UPLOAD || type == JOB_TYPE_UPLOAD_REPLY)
        return HR_E_NOTIMPL; /* DO defines download jobs only */
    if (type != JOB_TYPE_DOWNLOAD)
        return HR_E_INVALIDARG;

    store_job_t job = {0};
    if (guid_generate(&job.id) != 0)
        return HR_E_FAIL;
    job.display_name = (char *)display_name;
    job_set_defaults(&job, caller, type);

    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_job_insert(jobs->store, &job);
    hr = status == STORE_OK ? HR_OK : store_failure(jobs, &job.id, "create job", status);
    uv_mutex_unlock(&jobs->lock);
    if (HR_FAILED(hr))
        return hr;
    log_event(LOG_INFO, &job.id, "created by %s, name \"%s\", state SUSPENDED", caller->sid,
              display_name);
    *id_out = job.id;
    return HR_OK;
}

static int job_is_final(const store_job_t *job)
{
    return job->state == JOB_STATE_ACKNOWLEDGED || job->state == JOB_STATE_CANCELLED;
}

static int caller_may_access(const caller_t *caller, const store_job_t *job)
{
    return caller->is_admin || (job->owner_sid && strcmp(job->owner_sid, caller->sid) == 0);
}

/* Loads a job the caller may see; the lock must be held. */
static hr_t load_visible_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                             store_job_t *out)
{
    store_status_t status = store_job_get(jobs->store, id, out);
    if (status != STORE_OK)
        return store_failure(jobs, id, "read job", status);
    hr_t hr = job_is_final(out) ? DO_E_JOB_NOT_FOUND
            : caller_may_access(caller, out) ? HR_OK : HR_E_ACCESSDENIED;
    if (HR_FAILED(hr))
        store_job_clear(out);
    return hr;
}

hr_t jobs_get(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out)
{
    if (!jobs || !caller_is_valid(caller) || !id || !out)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    hr = load_visible_job(jobs, caller, id, out);
    uv_mutex_unlock(&jobs->lock);
    return hr;
}

/* Adds one file's figures to the job totals; an unknown size makes the total unknown. */
static void add_file_progress(job_progress_t *progress, const store_file_t *file)
{
    progress->files_total++;
    progress->bytes_transferred += file->bytes_transferred;
    if (file->bytes_total == JOB_SIZE_UNKNOWN || progress->bytes_total == JOB_SIZE_UNKNOWN)
        progress->bytes_total = JOB_SIZE_UNKNOWN;
    else
        progress->bytes_total += file->bytes_total;
    if (file->bytes_total != JOB_SIZE_UNKNOWN && file->bytes_transferred == file->bytes_total)
        progress->files_transferred++;
}

static hr_t sum_file_progress(jobs_t *jobs, const store_guid_t *id, job_progress_t *out)
{
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, id, &count);
    for (uint32_t i = 0; status == STORE_OK && i < count; i++) {
        store_file_t file = {0};
        status = store_file_get(jobs->store, id, i, &file);
        if (status == STORE_OK)
            add_file_progress(out, &file);
        store_file_clear(&file);
    }
    return status == STORE_OK ? HR_OK : store_failure(jobs, id, "read job files", status);
}

hr_t jobs_progress(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                   job_progress_t *out)
{
    if (!jobs || !caller_is_valid(caller) || !id || !out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    store_job_t job = {0};
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    hr = load_visible_job(jobs, caller, id, &job);
    if (HR_SUCCEEDED(hr))
        hr = sum_file_progress(jobs, id, out);
    uv_mutex_unlock(&jobs->lock);
    store_job_clear(&job);
    return hr;
}

hr_t jobs_list(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
               size_t *count)
{
    if (!jobs || !caller_is_valid(caller) || !ids || !count || (flags & ~JOB_ENUM_ALL_USERS))
        return HR_E_INVALIDARG;
    int all_users = (flags & JOB_ENUM_ALL_USERS) != 0;
    if (all_users && !caller->is_admin)
        return HR_E_ACCESSDENIED;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_job_list(jobs->store, all_users ? NULL : caller->sid, ids, count);
    hr = status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "list jobs", status);
    uv_mutex_unlock(&jobs->lock);
    return hr;
}

hr_t jobs_check_integrity(jobs_t *jobs, char *detail, size_t detail_size)
{
    if (!jobs)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_check_integrity(jobs->store, detail, detail_size);
    uv_mutex_unlock(&jobs->lock);
    return status == STORE_OK ? HR_OK : DO_E_FATAL_CORE_ERROR;
}
