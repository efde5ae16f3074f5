/* What the scheduler is doing, for the admin reports (jobs_job_activity, jobs_activity): the
 * running transfers, retry and no-progress clocks, rates and totals, read under s->mu. */
#include "scheduler_internal.h"

void scheduler_job_activity(jobs_t *jobs, const store_guid_t *id, jobs_job_activity_t *out)
{
    struct scheduler *s = jobs->scheduler;
    if (!s)
        return;
    uint64_t now = scheduler_now_ms();
    uv_mutex_lock(&s->mu);
    out->transfers_enabled = 1;
    const active_t *a = scheduler_active_by_job(s, id);
    out->running = a != NULL;
    out->file_index = a ? a->index : 0;
    out->transfer_bytes = a ? a->progressed : 0;
    out->transfer_ms = a ? now - a->started_ms : 0;
    const job_clock_t *c = scheduler_clock_find(s, id);
    if (c) {
        uint64_t since = c->last_progress_ms ? c->last_progress_ms : c->first_ms;
        out->idle_ms = (int64_t)(now - since);
        out->progressed = c->last_progress_ms != 0;
        out->retry_in_ms = !c->retry_at_ms ? -1 : c->retry_at_ms > now ? (int64_t)(c->retry_at_ms - now) : 0;
        out->rate = rate_meter_now(&c->rate, now);
    }
    uv_mutex_unlock(&s->mu);
}

void scheduler_activity(jobs_t *jobs, jobs_activity_t *out)
{
    struct scheduler *s = jobs->scheduler;
    if (!s)
        return;
    uint64_t now = scheduler_now_ms();
    uv_mutex_lock(&s->mu);
    out->transfers_enabled = 1;
    out->background_running = (uint32_t)scheduler_background_running(s);
    out->foreground_running = (uint32_t)s->active_count - out->background_running;
    out->max_background = s->max_background;
    out->background_cap = s->caps[TRANSFER_CAP_BACKGROUND];
    out->foreground_cap = s->caps[TRANSFER_CAP_FOREGROUND];
    out->rate = rate_meter_now(&s->rate, now);
    out->files_downloaded = s->files_downloaded;
    out->bytes_downloaded = s->bytes_downloaded;
    out->enabled_ms = now - s->enabled_ms;
    uv_mutex_unlock(&s->mu);
}
