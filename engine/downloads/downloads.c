/* downloads.c: creating, finding, listing and dropping downloads, and their status (the
 * mapping of a job's state onto DODownloadState, idomanager.md §4). */
#include "downloads_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"

void download_id_text(const store_guid_t *id, char out[DOWNLOAD_ID_SIZE])
{
    char braced[GUID_STRING_SIZE];
    guid_format(id, braced);
    for (int i = 0; i < DOWNLOAD_ID_SIZE - 1; i++)
        out[i] = (char)tolower((unsigned char)braced[i + 1]);
    out[DOWNLOAD_ID_SIZE - 1] = '\0';
}

int download_id_parse(const char *text, store_guid_t *out)
{
    char braced[GUID_STRING_SIZE];
    if (text[0] == '{')
        return guid_parse(text, out);
    if (strlen(text) != DOWNLOAD_ID_SIZE - 1)
        return -1;
    snprintf(braced, sizeof braced, "{%s}", text);
    return guid_parse(braced, out);
}

const char *downloads_state_name(int32_t state)
{
    static const char *const names[] = {"Created", "Transferring", "Transferred", "Finalized",
                                        "Aborted", "Paused"};
    return state >= 0 && state <= DOWNLOAD_PAUSED ? names[state] : "?";
}

/* ---- a download's state, from its job -------------------------------------------------------- */

int32_t downloads_state_of(const store_job_t *job)
{
    switch (job->state) {
    case JOB_STATE_SUSPENDED:
        return job->started ? DOWNLOAD_PAUSED : DOWNLOAD_CREATED;
    case JOB_STATE_ERROR:
        return DOWNLOAD_PAUSED;
    case JOB_STATE_TRANSFERRED:
        return DOWNLOAD_TRANSFERRED;
    case JOB_STATE_ACKNOWLEDGED:
        return DOWNLOAD_FINALIZED;
    case JOB_STATE_CANCELLED:
        return DOWNLOAD_ABORTED;
    default: /* QUEUED, CONNECTING, TRANSFERRING, TRANSIENT_ERROR: DO retries by itself */
        return DOWNLOAD_TRANSFERRING;
    }
}

/* Error and ExtendedError as clients test them (idomanager.md §5 "Pause vs errors"): a fatal
 * error or a no-progress timeout sets Error (with the cause behind it in ExtendedError); while
 * the service retries, Error stays 0 and ExtendedError holds the last failure. */
static void status_errors(const store_job_t *job, download_status_t *out)
{
    out->error = 0;
    out->extended_error = 0;
    if (job->state == JOB_STATE_ERROR) {
        out->error = (hr_t)job->error_code;
        out->extended_error = (hr_t)job->error_extended;
    } else if (job->state == JOB_STATE_TRANSIENT_ERROR) {
        out->extended_error = (hr_t)job->error_code;
    }
}

/* ---- access ------------------------------------------------------------------------------------ */

static int may_use(const caller_t *caller, const char *owner_sid)
{
    return caller->is_admin || (owner_sid && strcmp(owner_sid, caller->sid) == 0);
}

hr_t with_download(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, download_fn use,
                   void *context)
{
    hr_t hr = lock_for_job(jobs, caller, id);
    if (HR_FAILED(hr))
        return hr;
    const finished_job_t *final = finished_find(jobs, id);
    store_job_t job = {0};
    if (final) {
        hr = final->kind != STORE_KIND_DOWNLOAD ? DO_E_JOB_NOT_FOUND
             : !may_use(caller, final->owner_sid) ? HR_E_ACCESSDENIED
                                                   : use(jobs, NULL, final, context);
    } else {
        hr = load_job(jobs, caller, id, &job);
        if (HR_SUCCEEDED(hr) && job.kind != STORE_KIND_DOWNLOAD)
            hr = DO_E_JOB_NOT_FOUND; /* a BITS-style job: not a download (docs/architecture.md) */
        else if (HR_SUCCEEDED(hr))
            hr = use(jobs, &job, NULL, context);
    }
    store_job_clear(&job);
    unlock_store(jobs);
    return hr;
}

static hr_t found(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    (void)jobs, (void)job, (void)final, (void)context;
    return HR_OK;
}

hr_t downloads_lookup(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    return with_download(jobs, caller, id, found, NULL);
}

/* ---- creation ---------------------------------------------------------------------------------- */

hr_t downloads_create(jobs_t *jobs, const caller_t *caller, store_guid_t *id_out)
{
    if (!jobs || !caller_is_valid(caller) || !id_out)
        return HR_E_INVALIDARG;
    store_job_t job = {0};
    if (guid_generate(&job.id) != 0)
        return HR_E_FAIL;
    job_set_defaults(&job, caller, JOB_TYPE_DOWNLOAD);
    job.kind = STORE_KIND_DOWNLOAD;
    /* Every event: the service turns them into OnStatusChange calls. */
    job.notify_flags = JOB_NOTIFY_TRANSFERRED | JOB_NOTIFY_ERROR | JOB_NOTIFY_MODIFICATION |
                       JOB_NOTIFY_FILE_TRANSFERRED;
    job.min_retry_delay = DOWNLOAD_MIN_RETRY_DELAY;
    job.no_progress_timeout = DOWNLOAD_NO_PROGRESS_TIMEOUT_BACKGROUND;
    store_file_t file = {0}; /* its Uri and sink come with SetProperty */
    file.job_id = job.id;
    file.bytes_total = JOB_SIZE_UNKNOWN;
    hr_t hr = insert_new_job(jobs, caller, &job, &file);
    if (HR_FAILED(hr))
        return hr;
    log_job(LOG_INFO, &job, "download.create", "download created by %s, state Created", caller->sid);
    *id_out = job.id;
    return HR_OK;
}

/* ---- what the scheduler sends ------------------------------------------------------------------ */

void downloads_request_headers(jobs_t *jobs, const store_job_t *job, char **headers, char **auth_headers)
{
    char *vector = NULL;
    *headers = *auth_headers = NULL;
    if (store_file_property_get(jobs->store, &job->id, 0, download_row(DL_CORRELATION_VECTOR), &vector) == STORE_OK) {
        const char *custom = job->custom_headers ? job->custom_headers : "";
        size_t size = strlen(custom) + strlen(vector) + 16;
        if ((*headers = malloc(size)))
            snprintf(*headers, size, "%s%sMS-CV: %s\r\n", custom,
                     *custom && custom[strlen(custom) - 1] != '\n' ? "\r\n" : "", vector);
    }
    free(vector);
    store_file_property_get(jobs->store, &job->id, 0, download_row(DL_HTTP_CUSTOM_AUTH_HEADERS), auth_headers);
}

/* ---- status ------------------------------------------------------------------------------------- */

/* BytesTotal: the file's (or its ranges') size once known, else TotalSizeBytes when the client
 * gave it, else 0 (this API has no "unknown"). */
static uint64_t status_total(jobs_t *jobs, const store_job_t *job, const job_progress_t *progress)
{
    if (progress->bytes_total != JOB_SIZE_UNKNOWN)
        return progress->bytes_total;
    char *hint = NULL;
    uint64_t total = 0;
    if (store_file_property_get(jobs->store, &job->id, 0, download_row(DL_TOTAL_SIZE_BYTES), &hint) == STORE_OK)
        total = strtoull(hint, NULL, 10);
    free(hint);
    return total;
}

static hr_t read_status(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    download_status_t *out = context;
    memset(out, 0, sizeof *out);
    if (final) {
        out->state = final->state == JOB_STATE_CANCELLED ? DOWNLOAD_ABORTED : DOWNLOAD_FINALIZED;
        out->bytes_total = final->bytes_total == JOB_SIZE_UNKNOWN ? 0 : final->bytes_total;
        out->bytes_transferred = final->bytes_transferred;
        return HR_OK;
    }
    job_progress_t progress = {0};
    hr_t hr = sum_file_progress(jobs, job, &progress);
    if (HR_FAILED(hr))
        return hr;
    out->state = downloads_state_of(job);
    out->bytes_total = status_total(jobs, job, &progress);
    out->bytes_transferred = progress.bytes_transferred;
    status_errors(job, out);
    return HR_OK;
}

hr_t downloads_status(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                      download_status_t *out)
{
    if (!out)
        return HR_E_INVALIDARG;
    return with_download(jobs, caller, id, read_status, out);
}

/* ---- enumeration --------------------------------------------------------------------------------- */

/* How a DO_DOWNLOAD_ENUM_CATEGORY property filters (idomanager.md §1): the Id by the job's own
 * id, the rest by the stored value. */
/* A final download of this run is not listed. */
static hr_t live_only(jobs_t *jobs, store_job_t *job, const finished_job_t *final, void *context)
{
    (void)jobs, (void)job, (void)context;
    return final ? DO_E_NO_DOWNLOADS : HR_OK;
}

static hr_t list_by_id(jobs_t *jobs, const caller_t *caller, const char *value, store_guid_t **ids,
                       size_t *count)
{
    store_guid_t id;
    if (!value || download_id_parse(value, &id) != 0)
        return DO_E_NO_DOWNLOADS; /* no download has an id that is not a GUID */
    hr_t hr = with_download(jobs, caller, &id, live_only, NULL);
    if (hr == HR_E_ACCESSDENIED || hr == DO_E_JOB_NOT_FOUND)
        return DO_E_NO_DOWNLOADS;
    if (HR_FAILED(hr))
        return hr;
    if (!(*ids = malloc(sizeof **ids)))
        return HR_E_OUTOFMEMORY;
    **ids = id;
    *count = 1;
    return HR_OK;
}

static hr_t query_for(int32_t property, const char *value, store_job_query_t *query)
{
    switch (property) {
    case -1:
        query->match = STORE_MATCH_NONE;
        return HR_OK;
    case DL_URI:
        query->match = STORE_MATCH_REMOTE_NAME;
        break;
    case DL_LOCAL_PATH:
        query->match = STORE_MATCH_LOCAL_NAME;
        break;
    case DL_DISPLAY_NAME:
        query->match = STORE_MATCH_DISPLAY_NAME;
        break;
    case DL_CONTENT_ID:
        query->match = STORE_MATCH_FILE_PROPERTY;
        query->property = download_row(DL_CONTENT_ID);
        break;
    default:
        return HR_E_INVALIDARG;
    }
    query->value = value;
    return value ? HR_OK : HR_E_INVALIDARG;
}

hr_t downloads_list(jobs_t *jobs, const caller_t *caller, int32_t property, const char *value,
                    store_guid_t **ids, size_t *count)
{
    if (!jobs || !caller_is_valid(caller) || !ids || !count)
        return HR_E_INVALIDARG;
    *ids = NULL;
    *count = 0;
    if (property == DL_ID)
        return list_by_id(jobs, caller, value, ids, count);
    store_job_query_t query = {STORE_KIND_DOWNLOAD, caller->is_admin ? NULL : caller->sid, -1,
                               STORE_MATCH_NONE, 0, NULL, 0, 0};
    hr_t hr = query_for(property, value, &query);
    if (HR_FAILED(hr))
        return hr;
    if (HR_FAILED(hr = lock_store(jobs)))
        return hr;
    store_status_t status = store_job_find(jobs->store, &query, ids, count);
    hr = status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "list downloads", status);
    unlock_store(jobs);
    if (HR_SUCCEEDED(hr) && *count == 0)
        hr = DO_E_NO_DOWNLOADS;
    return hr;
}

/* ---- streams ------------------------------------------------------------------------------------ */

hr_t downloads_set_stream_directory(jobs_t *jobs, const char *directory)
{
    if (!jobs || !directory || !*directory)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_SUCCEEDED(hr))
        hr = replace_text(&jobs->stream_directory, directory);
    unlock_store(jobs);
    return hr;
}

void downloads_stream_source_clear(download_stream_source_t *source)
{
    free(source->path);
    free(source->ranges);
    memset(source, 0, sizeof *source);
}

static hr_t read_source(jobs_t *jobs, store_job_t *job, download_stream_source_t *out)
{
    store_file_t file = {0};
    char *generation = NULL;
    store_status_t status = store_file_get(jobs->store, &job->id, 0, &file);
    if (status == STORE_OK &&
        store_file_property_get(jobs->store, &job->id, 0, download_row(DL_STREAM_INTERFACE), &generation) == STORE_OK) {
        out->generation = (uint32_t)strtoul(generation, NULL, 10);
        out->path = file.temp_name, file.temp_name = NULL;
        out->written = file.bytes_transferred;
        out->total = file.bytes_total;
        status = store_file_ranges(jobs->store, &job->id, 0, &out->ranges, &out->range_count);
    }
    out->state = downloads_state_of(job);
    free(generation);
    store_file_clear(&file);
    return status == STORE_OK || status == STORE_NOT_FOUND ? HR_OK : store_failure(jobs, &job->id, "read a stream", status);
}

hr_t downloads_stream_source(jobs_t *jobs, const store_guid_t *id, download_stream_source_t *out)
{
    if (!jobs || !id || !out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_job_t job = {0};
    store_status_t status = store_job_get(jobs->store, id, &job);
    if (status == STORE_OK && job.kind == STORE_KIND_DOWNLOAD)
        hr = read_source(jobs, &job, out);
    else
        hr = status == STORE_OK || status == STORE_NOT_FOUND ? DO_E_JOB_NOT_FOUND
                                                             : store_failure(jobs, id, "read a download", status);
    store_job_clear(&job);
    unlock_store(jobs);
    if (HR_FAILED(hr))
        downloads_stream_source_clear(out);
    return hr;
}

typedef struct sink_failure {
    hr_t failure;
    const char *detail;
} sink_failure_t;


static hr_t apply_sink_failure(jobs_t *jobs, store_job_t *job, void *context)
{
    (void)jobs;
    const sink_failure_t *sink = context;
    if (job->state == JOB_STATE_ERROR || downloads_state_of(job) == DOWNLOAD_CREATED)
        return HR_FALSE;
    job->state = JOB_STATE_ERROR;
    job->error_code = (uint32_t)sink->failure;
    job->error_extended = 0;
    job->error_context = JOB_ERROR_CONTEXT_LOCAL_FILE;
    job->error_file_index = 0;
    job->error_count++;
    return replace_text(&job->error_detail, sink->detail);
}

hr_t downloads_sink_failed(jobs_t *jobs, const store_guid_t *id, hr_t failure, const char *detail)
{
    sink_failure_t sink = {failure, detail};
    hr_t hr = change_job(jobs, &jobs_service_caller, id, apply_sink_failure, &sink, NULL);
    if (hr == HR_OK) {
        log_event(LOG_ERROR, id, NULL, "download.stream", "the client's stream failed: 0x%08x (%s); Paused",
                  (unsigned)failure, detail);
        scheduler_job_changed(jobs, id, 1);
    }
    return hr == HR_FALSE ? HR_OK : hr;
}

/* ---- start-up: volatile downloads do not survive a restart ---------------------------------------- */

static void remove_temp_file(jobs_t *jobs, const store_guid_t *id, const jobs_file_ops_t *ops)
{
    store_file_t file = {0};
    if (store_file_get(jobs->store, id, 0, &file) == STORE_OK && file.temp_name) {
        if (ops && ops->remove)
            ops->remove(ops->ctx, id, file.temp_name);
        else
            remove(file.temp_name);
    }
    store_file_clear(&file);
}

hr_t downloads_drop_volatile(jobs_t *jobs, const jobs_file_ops_t *ops, size_t *dropped)
{
    if (!jobs || !dropped)
        return HR_E_INVALIDARG;
    *dropped = 0;
    store_job_query_t query = {STORE_KIND_DOWNLOAD, NULL, 0, STORE_MATCH_NONE, 0, NULL, 0, 0};
    store_guid_t *ids = NULL;
    size_t count = 0;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_job_find(jobs->store, &query, &ids, &count);
    for (size_t i = 0; status == STORE_OK && i < count; i++) {
        store_job_t job = {0};
        if (store_job_get(jobs->store, &ids[i], &job) != STORE_OK)
            continue;
        remove_temp_file(jobs, &ids[i], ops);
        /* Not remembered as Aborted: no object of this run ever knew it. */
        store_status_t removed = store_job_delete(jobs->store, &ids[i]);
        if (removed != STORE_OK)
            hr = store_failure(jobs, &ids[i], "drop a volatile download", removed);
        else {
            counts_job_removed(jobs, job.owner_sid, job.kind);
            log_job(LOG_INFO, &job, "download.volatile",
                    "dropped at start-up: the download was not NonVolatile (state was %s)",
                    job_state_name(job.state));
            (*dropped)++;
        }
        store_job_clear(&job);
    }
    if (status != STORE_OK)
        hr = store_failure(jobs, NULL, "list volatile downloads", status);
    unlock_store(jobs);
    free(ids);
    return HR_FAILED(hr) ? hr : HR_OK;
}
