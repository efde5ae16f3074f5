/* On-demand files (BITS_JOB_PROPERTY_ON_DEMAND_MODE, IBackgroundCopyFile6): the application asks
 * for byte ranges, the scheduler fetches only the bytes not yet on disk, at their own offsets in
 * the temporary file. A file's sets (range_set.h) live in its file_properties rows under private
 * ids, so they are committed with the change that makes them and survive a restart. */
#include "jobs_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* file_properties rows of on-demand files (beyond DO's ids and the downloads' 0x10000 + id). */
enum {
    DEMAND_ROW_FILLED = 0x20001,     /* on disk */
    DEMAND_ROW_PENDING = 0x20002,    /* asked for, not on disk yet */
    DEMAND_ROW_UNREPORTED = 0x20003, /* asked for and arrived, not yet told to the application */
    DEMAND_ROW_POSITION = 0x20004,   /* UpdateDownloadPosition, hexadecimal */
    DEMAND_ROW_NO_RANGES = 0x20005,  /* "1": the server refused a ranged request */
};

static hr_t load_set(jobs_t *jobs, const store_guid_t *id, uint32_t index, int32_t row, range_set_t *out)
{
    char *text = NULL;
    store_status_t status = store_file_property_get(jobs->store, id, index, row, &text);
    hr_t hr = status == STORE_NOT_FOUND ? HR_OK
            : status != STORE_OK        ? store_failure(jobs, id, "read on-demand ranges", status)
                                        : range_set_parse(text, out);
    free(text);
    if (hr == HR_E_INVALIDARG)
        log_event(LOG_ERROR, id, NULL, "store.corrupt", "file %u: unreadable on-demand ranges (row %d)",
                  index, row);
    return hr;
}

static hr_t save_text(jobs_t *jobs, const store_guid_t *id, uint32_t index, int32_t row, const char *text)
{
    store_status_t status = store_file_property_set(jobs->store, id, index, row, text);
    return status == STORE_OK ? HR_OK : store_failure(jobs, id, "write on-demand state", status);
}

static hr_t save_set(jobs_t *jobs, const store_guid_t *id, uint32_t index, int32_t row, const range_set_t *set)
{
    char *text = NULL;
    hr_t hr = set->count ? range_set_format(set, &text) : HR_OK;
    if (HR_SUCCEEDED(hr))
        hr = save_text(jobs, id, index, row, text); /* an empty set: no row */
    free(text);
    return hr;
}

hr_t demand_load(jobs_t *jobs, const store_guid_t *id, uint32_t index, demand_state_t *out)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    hr_t hr = load_set(jobs, id, index, DEMAND_ROW_FILLED, &out->filled);
    if (HR_SUCCEEDED(hr))
        hr = load_set(jobs, id, index, DEMAND_ROW_PENDING, &out->pending);
    if (HR_SUCCEEDED(hr))
        hr = load_set(jobs, id, index, DEMAND_ROW_UNREPORTED, &out->unreported);
    if (HR_SUCCEEDED(hr) && store_file_property_get(jobs->store, id, index, DEMAND_ROW_POSITION, &text) == STORE_OK)
        out->position = strtoull(text, NULL, 16);
    free(text);
    text = NULL;
    if (HR_SUCCEEDED(hr) && store_file_property_get(jobs->store, id, index, DEMAND_ROW_NO_RANGES, &text) == STORE_OK)
        out->no_ranges = 1;
    free(text);
    if (HR_FAILED(hr))
        demand_clear(out);
    return hr;
}

hr_t demand_save(jobs_t *jobs, const store_guid_t *id, uint32_t index, const demand_state_t *state)
{
    char position[20];
    snprintf(position, sizeof position, "%" PRIx64, state->position);
    hr_t hr = save_set(jobs, id, index, DEMAND_ROW_FILLED, &state->filled);
    if (HR_SUCCEEDED(hr))
        hr = save_set(jobs, id, index, DEMAND_ROW_PENDING, &state->pending);
    if (HR_SUCCEEDED(hr))
        hr = save_set(jobs, id, index, DEMAND_ROW_UNREPORTED, &state->unreported);
    if (HR_SUCCEEDED(hr))
        hr = save_text(jobs, id, index, DEMAND_ROW_POSITION, state->position ? position : NULL);
    if (HR_SUCCEEDED(hr))
        hr = save_text(jobs, id, index, DEMAND_ROW_NO_RANGES, state->no_ranges ? "1" : NULL);
    return hr;
}

void demand_clear(demand_state_t *state)
{
    range_set_free(&state->filled);
    range_set_free(&state->pending);
    range_set_free(&state->unreported);
}

int demand_file(jobs_t *jobs, const store_job_t *job, const store_file_t *file)
{
    store_range_t *ranges = NULL;
    size_t count = 0;
    if (!job->on_demand)
        return 0;
    store_status_t status = store_file_ranges(jobs->store, &job->id, file->index, &ranges, &count);
    free(ranges);
    return status == STORE_OK && count == 0;
}

/* The File6 rule: a file fetched on demand (a download job's), http(s), from a server that serves
 * ranges. */
static hr_t check_random_access(jobs_t *jobs, const store_job_t *job, const store_file_t *file,
                                const demand_state_t *state)
{
    const char *remote = file->remote_name ? file->remote_name : "";
    int web = !strncasecmp(remote, "http://", 7) || !strncasecmp(remote, "https://", 8);
    return job->type == JOB_TYPE_DOWNLOAD && web && !state->no_ranges && demand_file(jobs, job, file)
               ? HR_OK : HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED;
}

/* Loads the file's state and checks the File6 rule (lock held). */
static hr_t load_eligible(jobs_t *jobs, const store_job_t *job, const store_file_t *file, demand_state_t *state)
{
    hr_t hr = demand_load(jobs, &job->id, file->index, state);
    if (HR_SUCCEEDED(hr) && HR_FAILED(hr = check_random_access(jobs, job, file, state)))
        demand_clear(state);
    return hr;
}

/* ---- RequestFileRanges ---------------------------------------------------------------------------- */

typedef struct range_request {
    const caller_t *caller;
    const store_range_t *ranges;
    size_t count;
    int added; /* bytes not yet on disk nor pending were asked for */
} range_request_t;

/* The request's ranges as finite ranges inside the file: BG_LENGTH_TO_EOF is resolved against the
 * size; a range past the end, an empty one or one at offset BG_LENGTH_TO_EOF is
 * BG_E_INVALID_RANGE; a to-EOF range before the size is known is E_PENDING. */
static hr_t resolve_request(const range_request_t *request, uint64_t size, store_range_t **out)
{
    store_range_t *ranges = malloc(request->count * sizeof *ranges);
    if (!ranges)
        return HR_E_OUTOFMEMORY;
    hr_t hr = HR_OK;
    for (size_t i = 0; i < request->count && HR_SUCCEEDED(hr); i++) {
        store_range_t r = request->ranges[i];
        int known = size != JOB_SIZE_UNKNOWN;
        if (r.length == JOB_SIZE_UNKNOWN && !known)
            hr = HR_E_PENDING;
        else if (r.length == JOB_SIZE_UNKNOWN)
            r.length = r.offset < size ? size - r.offset : 0;
        if (HR_SUCCEEDED(hr) && (r.offset == JOB_SIZE_UNKNOWN || r.length == 0 || r.offset > INT64_MAX ||
                                 r.length > UINT64_MAX - r.offset || (known && r.offset + r.length > size)))
            hr = DO_E_INVALID_RANGE;
        ranges[i] = r;
    }
    if (HR_FAILED(hr))
        free(ranges);
    else
        *out = ranges;
    return hr;
}

/* pending := (pending ∪ request) − filled */
static hr_t add_request(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    range_request_t *request = context;
    demand_state_t state;
    hr_t hr = load_eligible(jobs, job, file, &state);
    store_range_t *resolved = NULL;
    range_set_t merged = {0}, missing = {0};
    if (HR_SUCCEEDED(hr))
        hr = resolve_request(request, file->bytes_total, &resolved);
    if (HR_SUCCEEDED(hr))
        hr = range_set_union(state.pending.items, state.pending.count, resolved, request->count, &merged);
    if (HR_SUCCEEDED(hr))
        hr = range_set_subtract(&merged, &state.filled, &missing);
    if (HR_SUCCEEDED(hr) && missing.count > job_limits_for(jobs, job->kind, request->caller).max_ranges_per_file)
        hr = HR_BG_E_TOO_MANY_RANGES_IN_FILE;
    if (HR_SUCCEEDED(hr)) {
        request->added = range_set_bytes(&missing) != range_set_bytes(&state.pending);
        range_set_free(&state.pending);
        state.pending = missing;
        missing = (range_set_t){0};
        hr = request->added ? demand_save(jobs, &job->id, file->index, &state) : HR_FALSE;
    }
    free(resolved);
    range_set_free(&merged);
    range_set_free(&missing);
    demand_clear(&state);
    return hr;
}

hr_t jobs_request_file_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                              const store_range_t *ranges, size_t count)
{
    if (!ranges || !count)
        return HR_E_INVALIDARG;
    range_request_t request = {caller, ranges, count, 0};
    char owner[CALLER_SID_MAX];
    hr_t hr = change_file(jobs, caller, id, index, add_request, &request, owner);
    if (hr == HR_OK) {
        log_event(LOG_INFO, id, owner, "job.ranges", "file %u: %lu range(s) requested by %s", index, (unsigned long)count,
                  caller->sid);
        scheduler_job_changed(jobs, id, 1); /* a running transfer starts again with them */
    }
    return HR_SUCCEEDED(hr) ? HR_OK : hr;
}

/* ---- UpdateDownloadPosition ----------------------------------------------------------------------- */

static hr_t set_position(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    uint64_t position = *(const uint64_t *)context;
    demand_state_t state;
    hr_t hr = load_eligible(jobs, job, file, &state);
    if (HR_SUCCEEDED(hr) && file->bytes_total != JOB_SIZE_UNKNOWN && position >= file->bytes_total &&
        position != 0)
        hr = DO_E_INVALID_RANGE;
    if (HR_SUCCEEDED(hr)) {
        int changed = state.position != position;
        state.position = position;
        hr = changed ? demand_save(jobs, &job->id, file->index, &state) : HR_FALSE;
    }
    demand_clear(&state);
    return hr;
}

hr_t jobs_update_download_position(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                   uint32_t index, uint64_t offset)
{
    char owner[CALLER_SID_MAX];
    hr_t hr = change_file(jobs, caller, id, index, set_position, &offset, owner);
    if (hr == HR_OK) {
        log_event(LOG_INFO, id, owner, "job.ranges", "file %u: download position %" PRIu64 " set by %s",
                  index, offset, caller->sid);
        scheduler_job_changed(jobs, id, 1);
    }
    return HR_SUCCEEDED(hr) ? HR_OK : hr;
}

/* ---- GetFilledFileRanges and the ranges to report --------------------------------------------------- */

static hr_t read_filled(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    range_list_t *out = context;
    demand_state_t state;
    hr_t hr = load_eligible(jobs, job, file, &state);
    if (HR_SUCCEEDED(hr)) {
        *out->ranges = state.filled.items;
        *out->count = state.filled.count;
        state.filled = (range_set_t){0};
    }
    demand_clear(&state);
    return hr;
}

hr_t jobs_get_filled_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                            store_range_t **ranges, size_t *count)
{
    if (!ranges || !count)
        return HR_E_INVALIDARG;
    *ranges = NULL;
    *count = 0;
    range_list_t out = {ranges, count};
    return with_file(jobs, caller, id, index, read_filled, &out);
}

static hr_t take_unreported(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context)
{
    range_list_t *out = context;
    demand_state_t state;
    hr_t hr = demand_load(jobs, &job->id, file->index, &state);
    if (HR_SUCCEEDED(hr) && !state.unreported.count)
        hr = HR_FALSE;
    if (hr == HR_OK) {
        *out->ranges = state.unreported.items;
        *out->count = state.unreported.count;
        state.unreported = (range_set_t){0};
        hr = save_set(jobs, &job->id, file->index, DEMAND_ROW_UNREPORTED, &state.unreported);
        if (HR_FAILED(hr)) {
            free(*out->ranges);
            *out->ranges = NULL;
            *out->count = 0;
        }
    }
    demand_clear(&state);
    return hr;
}

hr_t jobs_take_transferred_ranges(jobs_t *jobs, const store_guid_t *id, uint32_t index,
                                  store_range_t **ranges, size_t *count)
{
    if (!ranges || !count)
        return HR_E_INVALIDARG;
    *ranges = NULL;
    *count = 0;
    range_list_t out = {ranges, count};
    /* One row changes, in its own transaction: no ModificationTime, no event (it is not the
     * application's change). */
    return with_file(jobs, &jobs_service_caller, id, index, take_unreported, &out);
}
