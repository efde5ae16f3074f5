/* On-demand files in the scheduler (docs/bits.md, "On-demand jobs"): a transfer fetches the
 * file's pending ranges at their own offsets (TRANSFER_FLAG_RANGES_AT_OFFSETS); each checkpoint
 * moves the bytes it made durable from the pending set to the filled one, in the same
 * transaction as the file's progress. Store lock held throughout. */
#include "scheduler_internal.h"

#include <string.h>

hr_t demand_plan(jobs_t *jobs, const store_file_t *file, range_set_t *fetch, int *probe)
{
    demand_state_t state;
    hr_t hr = demand_load(jobs, &file->job_id, file->index, &state);
    if (HR_FAILED(hr))
        return hr;
    *probe = 0;
    if (state.pending.count) {
        hr = range_set_from(&state.pending, state.position, fetch);
        hr = HR_SUCCEEDED(hr) ? 1 : hr;
    } else if (file->bytes_total == JOB_SIZE_UNKNOWN) {
        /* A ranged request for the first byte tells the size and whether ranges are served. */
        static const store_range_t first_byte = {0, 1};
        hr = range_set_union(&first_byte, 1, NULL, 0, fetch);
        *probe = 1;
        hr = HR_SUCCEEDED(hr) ? 1 : hr;
    } else {
        hr = 0;
    }
    demand_clear(&state);
    return hr;
}

/* The bytes of transfer token recorded so far, now durable; 0 when it is not an on-demand one. */
static int advance_recorded(struct scheduler *s, uint64_t token, uint64_t durable, active_t *out)
{
    uv_mutex_lock(&s->mu);
    active_t *a = NULL;
    for (size_t i = 0; i < s->active_count && !a; i++)
        if (s->active[i].token == token)
            a = &s->active[i];
    int ours = a && a->on_demand;
    if (ours) {
        *out = *a;
        a->demand_recorded = durable;
    }
    uv_mutex_unlock(&s->mu);
    return ours;
}

hr_t demand_checkpoint(struct scheduler *s, uint64_t token, store_file_t *file, uint64_t durable,
                       uint64_t *fresh)
{
    jobs_t *jobs = s->jobs;
    active_t a;
    *fresh = 0;
    if (!advance_recorded(s, token, durable, &a) || durable <= a.demand_recorded)
        return HR_OK; /* nothing new (or the transfer restarted from zero) */
    demand_state_t state;
    hr_t hr = demand_load(jobs, &file->job_id, file->index, &state);
    if (HR_FAILED(hr))
        return hr;
    range_set_t upto = {0}, before = {0}, added = {0}, filled = {0}, pending = {0}, unreported = {0};
    hr = range_set_prefix(&a.demand, durable, &upto);
    if (HR_SUCCEEDED(hr))
        hr = range_set_prefix(&a.demand, a.demand_recorded, &before);
    if (HR_SUCCEEDED(hr))
        hr = range_set_subtract(&upto, &before, &added);
    if (HR_SUCCEEDED(hr))
        hr = range_set_union(state.filled.items, state.filled.count, added.items, added.count, &filled);
    if (HR_SUCCEEDED(hr))
        hr = range_set_subtract(&state.pending, &added, &pending);
    if (HR_SUCCEEDED(hr))
        hr = a.demand_probe ? range_set_union(state.unreported.items, state.unreported.count, NULL, 0, &unreported)
                            : range_set_union(state.unreported.items, state.unreported.count, added.items,
                                              added.count, &unreported);
    if (HR_SUCCEEDED(hr)) {
        demand_clear(&state);
        state.filled = filled, state.pending = pending, state.unreported = unreported;
        filled = pending = unreported = (range_set_t){0};
        hr = demand_save(jobs, &file->job_id, file->index, &state);
        file->bytes_transferred = range_set_bytes(&state.filled);
        *fresh = a.demand_probe ? 0 : range_set_bytes(&added);
    }
    range_set_free(&upto);
    range_set_free(&before);
    range_set_free(&added);
    range_set_free(&filled);
    range_set_free(&pending);
    range_set_free(&unreported);
    demand_clear(&state);
    return hr;
}

hr_t demand_mark(jobs_t *jobs, const store_file_t *file, demand_mark_t mark)
{
    demand_state_t state;
    hr_t hr = demand_load(jobs, &file->job_id, file->index, &state);
    if (HR_SUCCEEDED(hr)) {
        if (mark == DEMAND_FORGET_FILLED)
            range_set_free(&state.filled);
        else
            state.no_ranges = 1;
        hr = demand_save(jobs, &file->job_id, file->index, &state);
    }
    demand_clear(&state);
    return hr;
}
