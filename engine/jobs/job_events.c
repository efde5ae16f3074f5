/* Events for the service's client callbacks (jobs_set_event_sink). Code that changes a job records
 * its events with jobs_emit while it holds the store lock; unlock_store takes them as one numbered
 * batch under the lock and hands the batch to the receiver once the lock is released, after
 * every earlier batch: so the receiver never runs with the store lock held, and sees the events
 * in commit order whichever thread made the change. */
#include "jobs_internal.h"

#include <stdlib.h>
#include <string.h>

void job_events_init(job_events_t *events)
{
    memset(events, 0, sizeof *events);
    uv_mutex_init(&events->mu);
    uv_cond_init(&events->turn);
}

void job_events_destroy(job_events_t *events)
{
    free(events->pending);
    uv_cond_destroy(&events->turn);
    uv_mutex_destroy(&events->mu);
}

void jobs_emit(jobs_t *jobs, const store_job_t *job, jobs_event_t event, uint32_t file_index)
{
    job_events_t *events = &jobs->events;
    if (!events->fn || !jobs_event_wanted(job->notify_flags, event))
        return; /* nobody to tell, or the job does not want it: no work for anyone */
    if (events->count == events->cap) {
        size_t cap = events->cap ? events->cap * 2 : 8;
        pending_event_t *grown = realloc(events->pending, cap * sizeof *grown);
        if (!grown) {
            log_job(LOG_WARN, job, "callback.lost", "out of memory: event %d not delivered",
                    (int)event);
            return;
        }
        events->pending = grown;
        events->cap = cap;
    }
    events->pending[events->count++] = (pending_event_t){job->id, event, file_index};
}

job_event_batch_t job_events_take(job_events_t *events)
{
    job_event_batch_t batch = {0};
    if (!events->count)
        return batch;
    batch.items = events->pending;
    batch.count = events->count;
    batch.number = ++events->issued;
    batch.fn = events->fn;
    batch.ctx = events->ctx;
    events->pending = NULL;
    events->count = events->cap = 0;
    return batch;
}

void job_events_hand_over(job_events_t *events, job_event_batch_t *batch)
{
    if (!batch->count)
        return;
    uv_mutex_lock(&events->mu);
    while (events->delivered + 1 != batch->number)
        uv_cond_wait(&events->turn, &events->mu);
    uv_mutex_unlock(&events->mu);
    for (size_t i = 0; i < batch->count; i++)
        batch->fn(batch->ctx, &batch->items[i].job, batch->items[i].event, batch->items[i].file_index);
    uv_mutex_lock(&events->mu);
    events->delivered = batch->number;
    uv_cond_broadcast(&events->turn);
    uv_mutex_unlock(&events->mu);
    free(batch->items);
}

void jobs_set_event_sink(jobs_t *jobs, jobs_event_fn fn, void *ctx)
{
    if (!jobs)
        return;
    job_events_t *events = &jobs->events;
    uv_mutex_lock(&jobs->lock);
    events->fn = fn;
    events->ctx = ctx;
    uint64_t issued = events->issued;
    uv_mutex_unlock(&jobs->lock);
    /* Batches taken before the change still go to the previous receiver: wait for them. */
    uv_mutex_lock(&events->mu);
    while (events->delivered < issued)
        uv_cond_wait(&events->turn, &events->mu);
    uv_mutex_unlock(&events->mu);
}

int jobs_event_wanted(uint32_t notify_flags, jobs_event_t event)
{
    if (notify_flags & JOB_NOTIFY_DISABLE)
        return 0;
    switch (event) {
    case JOBS_EVENT_MODIFIED: return (notify_flags & JOB_NOTIFY_MODIFICATION) != 0;
    case JOBS_EVENT_FILE_TRANSFERRED: return (notify_flags & JOB_NOTIFY_FILE_TRANSFERRED) != 0;
    case JOBS_EVENT_TRANSFERRED: return (notify_flags & JOB_NOTIFY_TRANSFERRED) != 0;
    case JOBS_EVENT_ERROR: return (notify_flags & JOB_NOTIFY_ERROR) != 0;
    case JOBS_EVENT_FILE_RANGES_TRANSFERRED: return (notify_flags & JOB_NOTIFY_FILE_RANGES_TRANSFERRED) != 0;
    }
    return 0;
}
