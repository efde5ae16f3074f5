/* download_states.c: Start, Pause, Abort and Finalize, the caller-driven transitions of
 * idomanager.md §4.1, each one committed change of the download's job. */
#include "downloads_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what a final download answers ---------------------------------------------------------- */

/* For a call on a final download: HR_OK when the call is a no-op there (Abort of an Aborted
 * download, Finalize of a Finalized one), DO_E_INVALID_STATE otherwise; HR_FALSE when the
 * download is not final (the caller goes on). */
typedef struct final_rule {
    int32_t noop_state; /* the final DODownloadState in which the call is a no-op, or -1 */
} final_rule_t;

static hr_t check_final(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    (void)jobs, (void)job;
    const final_rule_t *rule = context;
    if (!final)
        return HR_FALSE;
    int32_t state = final->state == JOB_STATE_CANCELLED ? DOWNLOAD_ABORTED : DOWNLOAD_FINALIZED;
    return state == rule->noop_state ? HR_OK : DO_E_INVALID_STATE;
}

/* Runs change on the live download (one committed change; HR_FALSE from it: nothing to do),
 * after the final-state rule. Returns HR_OK for the no-ops. */
static hr_t change_download(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            int32_t noop_state, job_change_fn change, void *context, int *changed)
{
    final_rule_t rule = {noop_state};
    *changed = 0;
    hr_t hr = with_download(jobs, caller, id, check_final, &rule);
    if (hr != HR_FALSE)
        return hr;
    hr = change_job(jobs, caller, id, change, context, NULL);
    if (hr == DO_E_INVALID_STATE) /* it became final meanwhile */
        return with_download(jobs, caller, id, check_final, &rule) == HR_OK ? HR_OK : hr;
    *changed = hr == HR_OK;
    return hr == HR_FALSE ? HR_OK : hr;
}

/* ---- Start ---------------------------------------------------------------------------------- */

typedef struct start_call {
    const download_range_t *ranges;
    size_t count;
    int ranges_given;
    int first;               /* out: the first Start of the download */
    char *local_path;        /* out: its LocalPath (for the same-path rule), malloc'ed */
} start_call_t;

static int flag_is_true(jobs_t *jobs, const store_guid_t *id, int32_t property)
{
    char *value = NULL;
    int set = store_file_property_get(jobs->store, id, 0, download_row(property), &value) == STORE_OK &&
              strcmp(value, "1") == 0;
    free(value);
    return set;
}

/* What a first Start needs: a Uri (ContentId alone needs a content service opendo does not
 * have: DO_E_DOWNLOAD_NO_URI, docs/api-conformance.md), a sink, and no integrity check that
 * cannot be made. */
static hr_t check_startable(jobs_t *jobs, const store_job_t *job, const store_file_t *file)
{
    if (!file->remote_name)
        return DO_E_DOWNLOAD_NO_URI;
    if (!file->temp_name) /* neither a LocalPath nor a StreamInterface */
        return DO_E_FILE_DOWNLOADSINK_UNSPECIFIED;
    if (flag_is_true(jobs, &job->id, DL_INTEGRITY_CHECK_MANDATORY))
        return DO_E_INTEGRITYCHECKINFO_UNSPECIFIED; /* IntegrityCheckInfo is never accepted */
    return HR_OK;
}

static int same_ranges(const store_range_t *a, size_t a_count, const store_range_t *b, size_t b_count)
{
    return a_count == b_count && (a_count == 0 || memcmp(a, b, a_count * sizeof *a) == 0);
}

/* A stream download's bytes start over: its generation (the stream row) moves on. */
static store_status_t next_stream_generation(jobs_t *jobs, const store_guid_t *id)
{
    char *value = NULL, text[16];
    store_status_t status = store_file_property_get(jobs->store, id, 0, download_row(DL_STREAM_INTERFACE), &value);
    if (status == STORE_OK) {
        snprintf(text, sizeof text, "%lu", strtoul(value, NULL, 10) + 1);
        status = store_file_property_set(jobs->store, id, 0, download_row(DL_STREAM_INTERFACE), text);
    }
    free(value);
    return status == STORE_NOT_FOUND ? STORE_OK : status;
}

/* The new ranges (checked and sorted) replace the file's, and its progress starts over. */
static hr_t replace_ranges(jobs_t *jobs, store_file_t *file, const store_range_t *sorted, size_t count)
{
    store_status_t status = store_file_ranges_replace(jobs->store, &file->job_id, 0, sorted, count);
    if (status == STORE_OK)
        status = next_stream_generation(jobs, &file->job_id);
    if (status == STORE_OK) {
        file->bytes_total = count ? file_ranges_total(sorted, count, JOB_SIZE_UNKNOWN) : JOB_SIZE_UNKNOWN;
        file->bytes_transferred = 0;
        file->completed = 0;
        status = store_file_update(jobs->store, file);
    }
    return status == STORE_OK ? HR_OK : store_failure(jobs, &file->job_id, "replace ranges", status);
}

/* Whether this Start changes the ranges: 1 (sorted holds them), 0 (they stay), or a failure. */
static hr_t new_ranges(jobs_t *jobs, const store_file_t *file, const start_call_t *call,
                       store_range_t **sorted, int *changes)
{
    *changes = 0;
    *sorted = NULL;
    if (!call->ranges_given)
        return HR_OK;
    if (call->count > jobs->limits[JOBS_LIMITS_DO].max_ranges_per_file)
        return HR_BG_E_TOO_MANY_RANGES_IN_FILE;
    hr_t hr = file_check_ranges((const store_range_t *)call->ranges, call->count, JOB_SIZE_UNKNOWN, 1, sorted);
    if (HR_FAILED(hr))
        return hr;
    store_range_t *old = NULL;
    size_t old_count = 0;
    store_status_t status = store_file_ranges(jobs->store, &file->job_id, 0, &old, &old_count);
    if (status != STORE_OK)
        hr = store_failure(jobs, &file->job_id, "read ranges", status);
    else
        *changes = !same_ranges(old, old_count, *sorted, call->count);
    free(old);
    return hr;
}

static void queue_job(store_job_t *job)
{
    job->state = JOB_STATE_QUEUED;
    job->started = 1;
    job->error_code = 0;
    job->error_extended = 0;
    job->error_context = 0;
    job->error_file_index = -1;
}

static hr_t apply_start_to_file(jobs_t *jobs, store_job_t *job, store_file_t *file, start_call_t *call)
{
    int32_t state = downloads_state_of(job);
    store_range_t *sorted = NULL;
    int changes = 0;
    hr_t hr = state == DOWNLOAD_CREATED ? check_startable(jobs, job, file) : HR_OK;
    if (HR_SUCCEEDED(hr))
        hr = new_ranges(jobs, file, call, &sorted, &changes);
    if (HR_SUCCEEDED(hr)) {
        switch (state) {
        case DOWNLOAD_TRANSFERRING: /* the same (or no) ranges: nothing to do */
            hr = changes ? DO_E_INVALID_STATE : HR_FALSE;
            break;
        case DOWNLOAD_TRANSFERRED: /* again, for other ranges; without: nothing to do */
            hr = changes ? replace_ranges(jobs, file, sorted, call->count) : HR_FALSE;
            break;
        default: /* Created, Paused: (re)start, with the new ranges if any */
            hr = changes ? replace_ranges(jobs, file, sorted, call->count) : HR_OK;
            break;
        }
    }
    if (hr == HR_OK) {
        call->first = state == DOWNLOAD_CREATED;
        if (file->local_name && !(call->local_path = strdup(file->local_name)))
            hr = HR_E_OUTOFMEMORY;
        queue_job(job);
    }
    free(sorted);
    return hr;
}

static hr_t apply_start(jobs_t *jobs, store_job_t *job, void *context)
{
    store_file_t file = {0};
    store_status_t status = store_file_get(jobs->store, &job->id, 0, &file);
    hr_t hr = status == STORE_OK ? apply_start_to_file(jobs, job, &file, context)
                                 : store_failure(jobs, &job->id, "read the download's file", status);
    store_file_clear(&file);
    return hr;
}

/* A download that starts on a LocalPath takes it from every other unfinished download to the
 * same path: those are aborted (idomanager.md §4.2). */
static void abort_same_path(jobs_t *jobs, const store_guid_t *id, const char *local_path)
{
    store_job_query_t query = {STORE_KIND_DOWNLOAD, NULL, -1, STORE_MATCH_LOCAL_NAME, 0, local_path, 0, 0};
    store_guid_t *ids = NULL;
    size_t count = 0;
    if (HR_FAILED(lock_store(jobs)))
        return;
    store_status_t status = store_job_find(jobs->store, &query, &ids, &count);
    unlock_store(jobs);
    for (size_t i = 0; status == STORE_OK && i < count; i++) {
        if (memcmp(&ids[i], id, sizeof *id) == 0)
            continue;
        if (HR_SUCCEEDED(downloads_abort(jobs, &jobs_service_caller, &ids[i])))
            log_event(LOG_WARN, &ids[i], NULL, "download.abort",
                      "aborted: another download started on its LocalPath \"%s\"", local_path);
    }
    free(ids);
}

hr_t downloads_start(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                     const download_range_t *ranges, size_t count, int ranges_given)
{
    if (ranges_given && count && !ranges)
        return HR_E_INVALIDARG;
    start_call_t call = {ranges, count, ranges_given && count > 0, 0, NULL};
    int changed;
    hr_t hr = change_download(jobs, caller, id, -1, apply_start, &call, &changed);
    if (changed) {
        log_event(LOG_INFO, id, NULL, "download.start", "%s by %s%s", call.first ? "started" : "restarted",
                  caller->sid, call.ranges_given ? " with ranges" : "");
        if (call.first && call.local_path)
            abort_same_path(jobs, id, call.local_path);
        scheduler_job_changed(jobs, id, 0);
    } else if (HR_FAILED(hr)) {
        log_event(LOG_WARN, id, NULL, "download.start", "Start by %s refused: 0x%08x", caller->sid,
                  (unsigned)hr);
    }
    free(call.local_path);
    return hr;
}

/* ---- Pause ---------------------------------------------------------------------------------- */

/* Only a Transferring download pauses; in every other live state Pause changes nothing. */
static hr_t apply_pause(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs, (void)context;
    if (downloads_state_of(job) != DOWNLOAD_TRANSFERRING)
        return HR_FALSE;
    job->state = JOB_STATE_SUSPENDED;
    job->error_code = 0;
    return HR_OK;
}

hr_t downloads_pause(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    int changed;
    hr_t hr = change_download(jobs, caller, id, -1, apply_pause, NULL, &changed);
    if (changed) {
        log_event(LOG_INFO, id, NULL, "download.pause", "paused by %s", caller->sid);
        scheduler_job_changed(jobs, id, 1);
        scheduler_wait_stopped(jobs, id); /* what GetStatus says now is where a Start resumes */
    }
    return hr;
}

/* ---- Abort and Finalize ---------------------------------------------------------------------- */

static hr_t read_state(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    (void)jobs, (void)final;
    *(int32_t *)context = job ? downloads_state_of(job) : -1;
    return HR_OK;
}

/* Ends a live download as call_final does (jobs_cancel / jobs_complete), when its state allows
 * it; noop_state is the final state in which the call succeeds without doing anything. */
static hr_t end_download(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                         int32_t noop_state, int32_t required_state,
                         hr_t (*call_final)(jobs_t *, const caller_t *, const store_guid_t *))
{
    final_rule_t rule = {noop_state};
    hr_t hr = with_download(jobs, caller, id, check_final, &rule);
    if (hr != HR_FALSE)
        return hr;
    int32_t state = -1;
    hr = with_download(jobs, caller, id, read_state, &state);
    if (HR_SUCCEEDED(hr) && required_state >= 0 && state != required_state)
        hr = DO_E_INVALID_STATE;
    char **values = HR_SUCCEEDED(hr) ? download_values_snapshot(jobs, caller, id) : NULL;
    if (HR_SUCCEEDED(hr))
        hr = call_final(jobs, caller, id);
    if (HR_SUCCEEDED(hr) && HR_SUCCEEDED(lock_store(jobs))) { /* GetProperty still answers */
        finished_keep_values(jobs, id, values, DL_PROPERTY_COUNT);
        values = NULL;
        unlock_store(jobs);
    }
    download_values_free(values);
    return hr;
}

hr_t downloads_abort(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    return end_download(jobs, caller, id, DOWNLOAD_ABORTED, -1, jobs_cancel);
}

hr_t downloads_finalize(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    return end_download(jobs, caller, id, DOWNLOAD_FINALIZED, DOWNLOAD_TRANSFERRED, jobs_complete);
}
