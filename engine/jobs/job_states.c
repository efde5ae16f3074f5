/* The job state machine (do-api.md §8): Suspend, Resume, Cancel, Complete, TakeOwnership and
 * the 30-day expiry. Final jobs leave the store; the finished ring remembers them for job
 * objects that still refer to them. */
#include "jobs_internal.h"

#include <stdlib.h>

static hr_t apply_suspend(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs, (void)context;
    job->state = JOB_STATE_SUSPENDED;
    return HR_OK;
}

hr_t jobs_suspend(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_suspend, NULL, owner);
    if (HR_SUCCEEDED(hr)) {
        log_event(LOG_INFO, id, owner, "job.suspend", "suspended by %s", caller->sid);
        scheduler_job_changed(jobs, id, 1);
    }
    return hr;
}

/* Whether every file has all its bytes (a job whose files are all done stays TRANSFERRED). */
static hr_t scan_files(jobs_t *jobs, const store_guid_t *id, uint32_t *count, int *all_done,
                       int *sink_missing)
{
    store_status_t status = store_file_count(jobs->store, id, count);
    *all_done = 1;
    *sink_missing = 0;
    for (uint32_t i = 0; status == STORE_OK && i < *count; i++) {
        store_file_t file = {0};
        status = store_file_get(jobs->store, id, i, &file);
        if (status == STORE_OK) {
            *all_done &= file.bytes_total != JOB_SIZE_UNKNOWN &&
                         file.bytes_transferred == file.bytes_total;
            *sink_missing |= file.local_name == NULL;
        }
        store_file_clear(&file);
    }
    return status == STORE_OK ? HR_OK : store_failure(jobs, id, "read job files", status);
}

static hr_t apply_resume(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)context;
    uint32_t count;
    int all_done, sink_missing;
    hr_t hr = scan_files(jobs, &job->id, &count, &all_done, &sink_missing);
    if (HR_FAILED(hr))
        return hr;
    if (count == 0)
        return DO_E_JOB_EMPTY;
    if (sink_missing)
        return DO_E_FILE_DOWNLOADSINK_UNSPECIFIED;
    /* Jobs already queued or moving stay as they are; so does a job whose files are all done. */
    int waiting = job->state == JOB_STATE_SUSPENDED || job->state == JOB_STATE_ERROR ||
                  job->state == JOB_STATE_TRANSIENT_ERROR ||
                  (job->state == JOB_STATE_TRANSFERRED && !all_done);
    job->started = 1; /* BG_E_READ_ONLY_PROPERTY_AFTER_RESUME from now on (SetHttpMethod, ON_DEMAND_MODE) */
    if (waiting) {
        job->state = JOB_STATE_QUEUED;
        job->error_code = 0; /* the error object goes away when the job is retried */
        job->error_context = 0;
        job->error_file_index = -1;
    }
    return HR_OK;
}

hr_t jobs_resume(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_resume, NULL, owner);
    if (HR_SUCCEEDED(hr)) {
        log_event(LOG_INFO, id, owner, "job.resume", "resumed by %s", caller->sid);
        scheduler_job_changed(jobs, id, 0);
    } else if (hr == DO_E_JOB_EMPTY || hr == DO_E_FILE_DOWNLOADSINK_UNSPECIFIED)
        log_event(LOG_WARN, id, NULL, "job.resume", "Resume by %s refused: 0x%08x (%s)",
                  caller->sid, (unsigned)hr,
                  hr == DO_E_JOB_EMPTY ? "no files" : "a file has no local name");
    return hr;
}

/* Removes a job from the store and remembers its final state (lock held). */
static hr_t finish_job(jobs_t *jobs, store_job_t *job, int32_t final_state)
{
    job_progress_t progress = {0};
    hr_t hr = sum_file_progress(jobs, job, &progress);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_job_delete(jobs->store, &job->id);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "remove job", status);
    finished_add(jobs, job, final_state, &progress);
    if (job->kind == STORE_KIND_DOWNLOAD) /* Finalized or Aborted: its client hears of it */
        jobs_emit(jobs, job, JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
    counts_job_removed(jobs, job->owner_sid, job->kind);
    return HR_OK;
}

typedef struct job_end {
    int32_t final_state;
    int32_t was_state; /* the state the caller's call found (for the log) */
    const caller_t *caller;
} job_end_t;

static hr_t apply_end(jobs_t *jobs, store_job_t *job, void *context)
{
    const job_end_t *end = context;
    hr_t hr = finish_job(jobs, job, end->final_state);
    int cancelled = end->final_state == JOB_STATE_CANCELLED;
    /* A download's client calls them Abort and Finalize. */
    static const char *const verbs[2][2] = {{"completed", "cancelled"}, {"finalized", "aborted"}};
    if (HR_SUCCEEDED(hr))
        log_job(LOG_INFO, job, cancelled ? "job.cancel" : "job.complete",
                "%s by %s (was %s); removed from the queue",
                verbs[job->kind == STORE_KIND_DOWNLOAD][cancelled], end->caller->sid,
                job_state_name(end->was_state < 0 ? job->state : end->was_state));
    return hr;
}

hr_t end_loaded_job(jobs_t *jobs, store_job_t *job, int32_t final_state, int32_t was_state, const caller_t *caller)
{
    job_end_t end = {final_state, was_state, caller};
    return apply_end(jobs, job, &end);
}

hr_t jobs_cancel(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    hr_t hr;
    if (scheduler_end_job(jobs, caller, id, JOB_STATE_CANCELLED, &hr))
        return hr;
    job_end_t end = {JOB_STATE_CANCELLED, -1, caller};
    return with_job(jobs, caller, id, apply_end, &end);
}

hr_t jobs_complete(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    hr_t hr;
    if (scheduler_end_job(jobs, caller, id, JOB_STATE_ACKNOWLEDGED, &hr))
        return hr;
    job_end_t end = {JOB_STATE_ACKNOWLEDGED, -1, caller};
    return with_job(jobs, caller, id, apply_end, &end);
}

hr_t jobs_state(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, int32_t *state)
{
    if (!state)
        return HR_E_INVALIDARG;
    hr_t hr = lock_for_job(jobs, caller, id);
    if (HR_FAILED(hr))
        return hr;
    store_job_access_t job;
    hr = load_job_access(jobs, caller, id, &job);
    if (hr == HR_OK)
        *state = job.state;
    const finished_job_t *finished = hr == DO_E_INVALID_STATE ? finished_find(jobs, id) : NULL;
    if (finished) { /* a job that became final during this run (and that the caller may see) */
        *state = finished->state;
        hr = HR_OK;
    }
    unlock_store(jobs);
    return hr;
}

_Static_assert(STORE_ACCESS_NAME_MAX > JOB_DISPLAY_NAME_MAX * 3,
               "the store's access copy holds every display name the service accepts");

/* From the access copy, like GetState; a name too long for the copy (only a row written by
 * something else than this service) from the whole row. */
hr_t jobs_display_name(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, char **name)
{
    if (!name)
        return HR_E_INVALIDARG;
    *name = NULL;
    hr_t hr = lock_for_job(jobs, caller, id);
    if (HR_FAILED(hr))
        return hr;
    store_job_access_t access;
    store_job_t job = {0};
    hr = load_job_access(jobs, caller, id, &access);
    if (hr == HR_OK && !access.display_name_copied)
        hr = load_job(jobs, caller, id, &job);
    unlock_store(jobs);
    if (hr == HR_OK)
        hr = replace_text(name, access.display_name_copied ? access.display_name
                                : job.display_name ? job.display_name : "");
    store_job_clear(&job);
    return hr;
}

/* TakeOwnership strips what belonged to the previous owner (BITS rule). */
static hr_t apply_take_ownership(jobs_t *jobs, store_job_t *job, void *context)
{
    counts_forget(jobs); /* the job moves between owners: count afresh when next needed */
    const caller_t *caller = context;
    store_status_t status = store_credentials_clear(jobs->store, &job->id);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "clear credentials", status);
    hr_t hr = replace_text(&job->owner_sid, caller->sid);
    if (HR_SUCCEEDED(hr))
        hr = replace_text(&job->custom_headers, NULL);
    if (HR_SUCCEEDED(hr))
        hr = replace_text(&job->notify_program, NULL);
    if (HR_SUCCEEDED(hr))
        hr = replace_text(&job->notify_parameters, NULL);
    return hr;
}

hr_t jobs_take_ownership(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    if (caller_is_valid(caller) && !caller->is_admin)
        return HR_E_ACCESSDENIED;
    char owner[CALLER_SID_MAX];
    hr_t hr = change_job(jobs, caller, id, apply_take_ownership, (void *)caller, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.takeownership", "ownership taken by %s", caller->sid);
    return hr;
}

/* ---- expiry (DO's 30 days, BITS's JobInactivityTimeout) --------------------------------------- */

/* The expiry acts as the service itself (an administrator): like a Cancel, it stops a running
 * transfer and deletes the job's temporary files. */

hr_t jobs_expire_kind(jobs_t *jobs, int32_t kind, int64_t max_age, size_t *expired)
{
    if (!jobs || !expired || max_age < 0)
        return HR_E_INVALIDARG;
    *expired = 0;
    const job_rules_t *rules = job_rules_of(kind);
    int64_t cutoff = store_now_filetime() - max_age;
    int by_creation = rules->expiry == JOB_EXPIRES_AFTER_CREATION;
    store_job_query_t query = {kind, NULL, -1, STORE_MATCH_NONE, 0, NULL,
                               by_creation ? cutoff : 0, by_creation ? 0 : cutoff};
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_guid_t *ids = NULL;
    size_t count = 0;
    store_status_t status = store_job_find(jobs->store, &query, &ids, &count);
    hr = status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "list expired jobs", status);
    unlock_store(jobs);
    for (size_t i = 0; HR_SUCCEEDED(hr) && i < count; i++) {
        log_event(LOG_WARN, &ids[i], NULL, "job.expire", "%s %s %lld days (%s): cancelling it",
                  rules->name, by_creation ? "older than" : "unchanged for more than",
                  (long long)(max_age / FILETIME_PER_DAY), rules->expiry_event);
        hr = jobs_cancel(jobs, &jobs_service_caller, &ids[i]);
        if (HR_SUCCEEDED(hr))
            (*expired)++;
        else if (hr == DO_E_JOB_NOT_FOUND) /* ended by its owner meanwhile */
            hr = HR_OK;
    }
    free(ids);
    return hr;
}

hr_t jobs_expire(jobs_t *jobs, int64_t max_age, size_t *expired)
{
    size_t jobs_expired = 0, downloads_expired = 0;
    hr_t hr = jobs_expire_kind(jobs, STORE_KIND_JOB, max_age, &jobs_expired);
    if (HR_SUCCEEDED(hr))
        hr = jobs_expire_kind(jobs, STORE_KIND_DOWNLOAD, max_age, &downloads_expired);
    if (expired)
        *expired = jobs_expired + downloads_expired;
    return hr;
}

/* ---- credentials ------------------------------------------------------------------------------ */

typedef struct credential_change {
    int32_t target, scheme;
    const char *user_name;
    const void *secret;
    size_t secret_size;
    int remove;
    int removed;
} credential_change_t;

static hr_t apply_credential(jobs_t *jobs, store_job_t *job, void *context)
{
    credential_change_t *change = context;
    store_status_t status =
        change->remove ? store_credential_delete(jobs->store, &job->id, change->target, change->scheme)
                       : store_credential_put(jobs->store, &job->id, change->target, change->scheme,
                                              change->user_name, change->secret, change->secret_size);
    change->removed = change->remove && status == STORE_OK;
    if (change->remove && status == STORE_NOT_FOUND)
        return HR_FALSE;
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "store credentials", status);
}

static hr_t check_auth(int32_t target, int32_t scheme)
{
    if (target < 1 || target > 2)
        return HR_BG_E_INVALID_AUTH_TARGET;
    return scheme < 1 || scheme > 5 ? HR_BG_E_INVALID_AUTH_SCHEME : HR_OK;
}

hr_t jobs_set_credentials(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          int32_t target, int32_t scheme, const char *user_name,
                          const void *secret, size_t secret_size)
{
    hr_t hr = check_auth(target, scheme);
    if (HR_FAILED(hr))
        return hr;
    if (!text_fits(user_name, JOB_CREDENTIAL_USER_MAX, 1) || secret_size > JOB_CREDENTIAL_SECRET_MAX ||
        (secret_size && !secret))
        return HR_BG_E_INVALID_CREDENTIALS;
    credential_change_t change = {target, scheme, user_name, secret, secret_size, 0, 0};
    char owner[CALLER_SID_MAX];
    hr = change_job(jobs, caller, id, apply_credential, &change, owner);
    if (HR_SUCCEEDED(hr))
        log_event(LOG_INFO, id, owner, "job.credentials",
                  "credentials (target %d, scheme %d) set by %s", target, scheme, caller->sid);
    return hr;
}

hr_t jobs_remove_credentials(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                             int32_t target, int32_t scheme)
{
    hr_t hr = check_auth(target, scheme);
    if (HR_FAILED(hr))
        return hr;
    credential_change_t change = {target, scheme, NULL, NULL, 0, 1, 0};
    char owner[CALLER_SID_MAX];
    hr = change_job(jobs, caller, id, apply_credential, &change, owner);
    if (change.removed)
        log_event(LOG_INFO, id, owner, "job.credentials",
                  "credentials (target %d, scheme %d) removed by %s", target, scheme, caller->sid);
    return hr;
}
