/* Shared by the scheduler's source files (scheduler.c: starting jobs and the transfer engine's
 * callbacks; scheduler_activity.c: what it is doing, for the admin reports). Not part of the
 * core's API. Locks: jobs->lock (the store lock) is always taken before s->mu. */
#ifndef OPENDO_SCHEDULER_INTERNAL_H
#define OPENDO_SCHEDULER_INTERNAL_H

#include "jobs_internal.h"

typedef struct active {          /* a running transfer: one per job */
    uint64_t token;
    store_guid_t job;
    uint32_t index;
    int foreground;
    uint64_t started_ms;         /* when it was submitted */
    uint64_t progressed;         /* bytes it made durable so far */
    /* on-demand files (scheduler_demand.c): the ranges submitted (owned; freed when it ends),
     * how many of their bytes were recorded, and whether it only learns the file's size */
    range_set_t demand;
    uint64_t demand_recorded;
    int on_demand, demand_probe;
    cache_route_t route;         /* its source: a cache host or the origin (url NULL: freed once submitted) */
    int report_redirect;         /* BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT: the final URL becomes the remote name */
    uint64_t max_download_ms;    /* the job's MaximumDownloadTime when it started (0: none) */
    int timed_out;               /* that time ran out: the job is ended, the transfer cancelled */
} active_t;

/* Bytes per second over windows of RATE_WINDOW_MS, for /perfsnap and /why. */
#define RATE_WINDOW_MS 2000u
#define RATE_STALE_MS 5000u      /* no bytes for this long: the rate is 0 */
typedef struct rate_meter {
    uint64_t window_start_ms, window_bytes;
    uint64_t rate;               /* bytes/s of the last full window */
    uint64_t measured_ms;        /* when that window ended; 0: never */
} rate_meter_t;

typedef struct job_clock {       /* per job, in memory: retries and the no-progress timeout */
    store_guid_t job;
    uint64_t first_ms;           /* when the job first started transferring (this run) */
    uint64_t transfer_ms;        /* time spent in its ended transfers this run (MaximumDownloadTime) */
    uint64_t last_progress_ms;   /* 0: no progress yet */
    uint64_t retry_at_ms;        /* TRANSIENT_ERROR: when to retry; 0: not set */
    uint64_t progress_event_ms;  /* the last progress event (JOBS_PROGRESS_EVENT_MS apart) */
    rate_meter_t rate;
    cache_progress_t cache;      /* its walk through the cache hosts (cache_hosts_route) */
} job_clock_t;

/* A transfer that ended with its last flush still running (scheduler_durability.c). */
typedef struct pending_flush {
    uint64_t token;
    store_guid_t job;
    uint32_t index;
    int stale;                   /* a later transfer of the file started: its report says nothing */
} pending_flush_t;

struct scheduler {
    jobs_t *jobs;
    transfer_engine_t *engine;
    jobs_file_ops_t ops;
    uint32_t max_background;
    uv_thread_t thread;
    uv_mutex_t mu;               /* everything below */
    uv_cond_t wake;              /* the scheduler thread waits here */
    uv_cond_t ended;             /* a transfer ended (Cancel/Complete wait here) */
    int kicked, stopping, engine_closed;
    unsigned waiters;
    uint64_t next_token;
    active_t *active;
    size_t active_count, active_cap;
    job_clock_t *clocks;
    size_t clock_count, clock_cap;
    pending_flush_t *flushes;
    size_t flush_count, flush_cap;
    /* what it has done since it was enabled (doadmin /perfsnap) */
    uint64_t enabled_ms;
    uint64_t caps[TRANSFER_CAP_COUNT]; /* bytes/s (transfer_cap_t); 0: none */
    uint64_t files_downloaded, bytes_downloaded;
    rate_meter_t rate;
};

uint64_t scheduler_now_ms(void);
/* s->mu held for all of these. */
active_t *scheduler_active_by_job(struct scheduler *s, const store_guid_t *id);
active_t *scheduler_active_by_token(struct scheduler *s, uint64_t token);
/* scheduler_durability.c: the transfer (token) ended with a flush still running. */
void durability_expect(struct scheduler *s, uint64_t token, const store_guid_t *job, uint32_t index);
/* A new transfer of the file starts: earlier flush reports no longer say anything of it. */
void durability_forget(struct scheduler *s, const store_guid_t *job, uint32_t index);
job_clock_t *scheduler_clock_find(struct scheduler *s, const store_guid_t *id);
size_t scheduler_background_running(const struct scheduler *s);
uint64_t rate_meter_now(const rate_meter_t *meter, uint64_t now_ms);

/* scheduler_demand.c: on-demand files (store lock held for all of these). */
/* What file of an on-demand job needs now: 1 with *fetch (what to submit, missing bytes from the
 * download position first) and *probe (the first byte, only to learn the size), 0 when nothing,
 * or a failure. */
hr_t demand_plan(jobs_t *jobs, const store_file_t *file, range_set_t *fetch, int *probe);
/* A checkpoint of transfer a (durable: bytes of a->demand on disk): the new bytes join the file's
 * filled set (and, unless probing, its unreported set); file->bytes_transferred becomes the filled
 * total; *fresh the bytes new since the last one. Joins the caller's transaction. */
hr_t demand_checkpoint(struct scheduler *s, uint64_t token, store_file_t *file, uint64_t durable,
                       uint64_t *fresh);
typedef enum demand_mark {
    DEMAND_FORGET_FILLED, /* the file changed on the server (a restart from zero): nothing of it is on disk */
    DEMAND_NO_RANGES,     /* the server answered a ranged request with the whole file: File6 refused */
} demand_mark_t;
hr_t demand_mark(jobs_t *jobs, const store_file_t *file, demand_mark_t mark);

/* scheduler_durability.c, the rest (docs/transfer.md "Durability"). */
/* The engine's on_flushed (engine thread; takes the store lock). */
void scheduler_on_flushed(void *ctx, uint64_t token, const transfer_flush_t *flush);
/* Complete first waits, at most DURABILITY_COMPLETE_WAIT_MS, for the last flushes of the job's
 * transfers (store lock not held; nothing when the caller may not see the job): while a flush
 * runs, its handle (write access) refuses a reader that shares read only (ERROR_SHARING_VIOLATION),
 * and the renamed file would not be durable yet. */
#define DURABILITY_COMPLETE_WAIT_MS 30000u
void durability_wait_for_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* Complete renamed file into place (store lock held): not yet durable, it is remembered. */
void durability_note_completed(jobs_t *jobs, const store_job_t *job, const store_file_t *file);
/* At start-up (store lock held): after a machine restart, files fall back to their durable bytes
 * and unflushed completed files are named; the boot is recorded. */
hr_t durability_recover(jobs_t *jobs);

/* scheduler_activity.c: the activity hooks (store lock held; they take s->mu). */
void scheduler_job_activity(jobs_t *jobs, const store_guid_t *id, jobs_job_activity_t *out);
void scheduler_activity(jobs_t *jobs, jobs_activity_t *out);

#endif
