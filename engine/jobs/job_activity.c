/* jobs_job_activity and jobs_activity: the store's view (which jobs wait) joined with the
 * scheduler's (which run, their clocks and rates) when transfers are enabled. */
#include "jobs_internal.h"

#include <stdlib.h>
#include <string.h>

hr_t jobs_job_activity(jobs_t *jobs, const store_guid_t *id, jobs_job_activity_t *out)
{
    if (!jobs || !id || !out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    out->retry_in_ms = out->idle_ms = -1;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    if (jobs->scheduler_hooks)
        jobs->scheduler_hooks->job_activity(jobs, id, out);
    unlock_store(jobs);
    return HR_OK;
}

/* The jobs that want to transfer (QUEUED, TRANSFERRING, TRANSIENT_ERROR), oldest first; lock held. */
static hr_t list_wanting(jobs_t *jobs, store_job_brief_t **briefs, size_t *count)
{
    static const int32_t wanting[] = {JOB_STATE_QUEUED, JOB_STATE_TRANSFERRING,
                                      JOB_STATE_TRANSIENT_ERROR};
    store_status_t status = store_job_list_in_states(jobs->store, wanting,
                                                     sizeof wanting / sizeof *wanting, briefs, count);
    return status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "list waiting jobs", status);
}

hr_t jobs_list_wanting_transfer(jobs_t *jobs, store_guid_t **ids, size_t *count)
{
    if (!jobs || !ids || !count)
        return HR_E_INVALIDARG;
    *ids = NULL;
    *count = 0;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_job_brief_t *briefs = NULL;
    hr = list_wanting(jobs, &briefs, count);
    unlock_store(jobs);
    if (HR_SUCCEEDED(hr) && *count && !(*ids = malloc(*count * sizeof **ids)))
        hr = HR_E_OUTOFMEMORY;
    for (size_t i = 0; HR_SUCCEEDED(hr) && i < *count; i++)
        (*ids)[i] = briefs[i].id;
    if (HR_FAILED(hr))
        *count = 0;
    free(briefs);
    return hr;
}

/* The jobs that want to transfer, counted by foreground/background, those running left out. */
static hr_t count_waiting(jobs_t *jobs, jobs_activity_t *out)
{
    store_job_brief_t *briefs = NULL;
    size_t count = 0;
    hr_t hr = list_wanting(jobs, &briefs, &count);
    for (size_t i = 0; HR_SUCCEEDED(hr) && i < count; i++) {
        jobs_job_activity_t job = {0};
        if (jobs->scheduler_hooks)
            jobs->scheduler_hooks->job_activity(jobs, &briefs[i].id, &job);
        if (job.running)
            continue;
        if (briefs[i].priority == JOB_PRIORITY_FOREGROUND)
            out->foreground_waiting++;
        else
            out->background_waiting++;
    }
    free(briefs);
    return hr;
}

hr_t jobs_activity(jobs_t *jobs, jobs_activity_t *out)
{
    if (!jobs || !out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    hr = count_waiting(jobs, out);
    store_status_t status = store_job_count(jobs->store, NULL, &out->job_count);
    out->schema_version = store_schema_version(jobs->store);
    if (HR_SUCCEEDED(hr) && status != STORE_OK)
        hr = store_failure(jobs, NULL, "count jobs", status);
    if (jobs->scheduler_hooks)
        jobs->scheduler_hooks->activity(jobs, out);
    unlock_store(jobs);
    return hr;
}
