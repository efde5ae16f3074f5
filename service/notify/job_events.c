/* The core's events (engine/jobs/jobs.h jobs_set_event_sink) delivered as client callbacks.
 *
 * The receiver runs on the core thread that made the change and only queues: each job with
 * events waiting has a lane (FIFO) drained by one Windows thread pool callback at a time, so a
 * job's callbacks arrive in order and a slow client holds up its own jobs only. The pool thread
 * joins the MTA, reads the job (as the service), checks the notify flags and the state, and hands
 * the event to notify_delivery.c. A MODIFIED waiting in a lane absorbs later ones (under load
 * modifications are merged, as BITS may drop them), and so does a FILE_RANGES_TRANSFERRED for the
 * same file (the ranges wait in the store until the call takes them all); FileRangesTransferred
 * calls of a job are spaced by its minimum notification interval (later ones wait on a timer). A
 * JobTransferred/JobError (or notify command line) that fails is delivered again after the job's
 * minimum retry delay (at least 1 s), while the job stays in that state. */
#include <stdlib.h>

#include "dosvc.h"
#include "log.h"

#define STOP_WAIT_MS 5000u  /* service stop waits this long for callbacks in progress */

typedef struct item {
    jobs_event_t event;
    uint32_t file_index;
    struct item *next;
} item_t;

typedef struct lane {
    GUID job;
    item_t *head, *tail;
    struct lane *next;
} lane_t;

typedef struct retry {
    GUID job;
    jobs_event_t event;
    uint32_t file_index;
    HANDLE timer;
    struct retry *next;
} retry_t;

typedef struct spacing {    /* when a job's last FileRangesTransferred was delivered */
    GUID job;
    ULONGLONG last_ms;
    struct spacing *next;
} spacing_t;

static SRWLOCK lock = SRWLOCK_INIT;
static CONDITION_VARIABLE idle = CONDITION_VARIABLE_INIT;
static lane_t *lanes;       /* jobs with events queued or being delivered */
static retry_t *retries;    /* deliveries waiting for their timer */
static spacing_t *spacings; /* jobs that had FileRangesTransferred calls */
static unsigned draining;   /* lanes owned by a pool callback */
static int accepting;

/* ---- lanes (lock held) ------------------------------------------------------------------------- */

static lane_t **find_lane(const GUID *job)
{
    lane_t **link = &lanes;
    while (*link && !IsEqualGUID(&(*link)->job, job))
        link = &(*link)->next;
    return link;
}

static void free_items(item_t *item)
{
    while (item) {
        item_t *next = item->next;
        free(item);
        item = next;
    }
}

/* Whether the same notice already waits in the lane (one that the waiting one covers). */
static int absorbed(const lane_t *lane, const item_t *item)
{
    if (item->event != JOBS_EVENT_MODIFIED && item->event != JOBS_EVENT_FILE_RANGES_TRANSFERRED)
        return 0;
    for (const item_t *waiting = lane ? lane->head : NULL; waiting; waiting = waiting->next)
        if (waiting->event == item->event && waiting->file_index == item->file_index)
            return 1;
    return 0;
}

/* Appends item to the job's lane; 1 when the lane is new and needs a drainer, -1 when the item
 * was absorbed (freed) or could not be queued. */
static int append(const GUID *job, item_t *item)
{
    lane_t **link = find_lane(job);
    lane_t *lane = *link;
    if (absorbed(lane, item)) {
        free(item);
        return -1;
    }
    int fresh = !lane;
    if (fresh && !(lane = *link = calloc(1, sizeof *lane))) {
        free(item);
        return -1;
    }
    if (fresh)
        lane->job = *job;
    if (lane->tail)
        lane->tail->next = item;
    else
        lane->head = item;
    lane->tail = item;
    return fresh;
}

/* The lane's next item, or NULL when it is empty: the lane is then removed (its drainer ends). */
static item_t *next_item(const GUID *job)
{
    AcquireSRWLockExclusive(&lock);
    lane_t **link = find_lane(job);
    lane_t *lane = *link;
    item_t *item = lane ? lane->head : NULL;
    if (item) {
        lane->head = item->next;
        if (!lane->head)
            lane->tail = NULL;
    } else {
        if (lane) {
            *link = lane->next;
            free(lane);
        }
        draining--;
        WakeAllConditionVariable(&idle);
    }
    ReleaseSRWLockExclusive(&lock);
    return item;
}

/* ---- delivery (pool threads) ------------------------------------------------------------------- */

/* TRANSFERRED and ERROR are delivered only while the job is still in that state. */
static int still_current(const store_job_t *job, jobs_event_t event)
{
    if (event == JOBS_EVENT_TRANSFERRED)
        return job->state == JOB_STATE_TRANSFERRED;
    if (event == JOBS_EVENT_ERROR)
        return job->state == JOB_STATE_ERROR;
    return 1;
}

static void schedule(const GUID *job, jobs_event_t event, uint32_t file_index, DWORD delay_ms);

static spacing_t *find_spacing(const GUID *job)
{
    spacing_t *s = spacings;
    while (s && !IsEqualGUID(&s->job, job))
        s = s->next;
    return s;
}

/* 0 when a job's FileRangesTransferred may be delivered now, else the ms until its minimum
 * notification interval has passed since the last one returned. */
static DWORD ranges_wait_ms(const GUID *job)
{
    uint32_t interval = JOB_DEFAULT_NOTIFICATION_INTERVAL_MS;
    jobs_notification_interval(dosvc_jobs, &jobs_service_caller, (const store_guid_t *)job, &interval);
    ULONGLONG now = GetTickCount64();
    AcquireSRWLockExclusive(&lock);
    spacing_t *s = find_spacing(job);
    DWORD wait = s && now - s->last_ms < interval ? (DWORD)(interval - (now - s->last_ms)) : 0;
    ReleaseSRWLockExclusive(&lock);
    return wait;
}

/* A FileRangesTransferred call of the job has returned: the interval counts from now, so that
 * the client sees its calls at least that far apart whatever a call costs. */
static void ranges_delivered(const GUID *job)
{
    AcquireSRWLockExclusive(&lock);
    spacing_t *s = find_spacing(job);
    if (!s && (s = calloc(1, sizeof *s)) != NULL) {
        s->job = *job;
        s->next = spacings;
        spacings = s;
    }
    if (s)
        s->last_ms = GetTickCount64();
    ReleaseSRWLockExclusive(&lock);
}

/* The job is gone: so is its spacing record. */
static void forget_spacing(const GUID *job)
{
    AcquireSRWLockExclusive(&lock);
    spacing_t **link = &spacings;
    while (*link && !IsEqualGUID(&(*link)->job, job))
        link = &(*link)->next;
    spacing_t *gone = *link;
    if (gone)
        *link = gone->next;
    ReleaseSRWLockExclusive(&lock);
    free(gone);
}

static void deliver(const GUID *id, jobs_event_t event, uint32_t file_index)
{
    int stream = download_streams_pump(id); /* a stream download's new bytes, before it hears of them */
    if (download_callbacks_deliver(id) || stream)
        return; /* a download: no BITS notification applies */
    store_job_t job;
    HRESULT hr = jobs_get(dosvc_jobs, &jobs_service_caller, (const store_guid_t *)id, &job);
    if (hr == DO_E_INVALID_STATE || hr == DO_E_JOB_NOT_FOUND) {
        job_memory_forget(id); /* the job is gone (e.g. expired): so are its sinks and token */
        forget_spacing(id);
    }
    if (FAILED(hr))
        return;
    DWORD wait = 0;
    if (jobs_event_wanted(job.notify_flags, event) && event == JOBS_EVENT_FILE_RANGES_TRANSFERRED &&
        (wait = ranges_wait_ms(id)) != 0)
        schedule(id, event, file_index, wait); /* the ranges wait in the store meanwhile */
    else if (jobs_event_wanted(job.notify_flags, event) && still_current(&job, event)) {
        hr = notify_deliver(&job, event, file_index);
        if (event == JOBS_EVENT_FILE_RANGES_TRANSFERRED)
            ranges_delivered(id);
        if (FAILED(hr) && (event == JOBS_EVENT_TRANSFERRED || event == JOBS_EVENT_ERROR))
            job_events_retry(id, event, job.min_retry_delay);
    }
    store_job_clear(&job);
}

static void CALLBACK drain_lane(PTP_CALLBACK_INSTANCE instance, void *context)
{
    (void)instance;
    GUID job = *(const GUID *)context; /* the lane itself goes when it is empty */
    HRESULT com = CoInitializeEx(NULL, COINIT_MULTITHREADED);
    item_t *item;
    while ((item = next_item(&job)) != NULL) {
        deliver(&job, item->event, item->file_index);
        free(item);
    }
    if (SUCCEEDED(com))
        CoUninitialize();
}

static void queue_event(const GUID *job, jobs_event_t event, uint32_t file_index)
{
    item_t *item = calloc(1, sizeof *item);
    if (!item)
        return;
    item->event = event;
    item->file_index = file_index;
    lane_t *lane = NULL;
    AcquireSRWLockExclusive(&lock);
    if (!accepting)
        free(item);
    else if (append(job, item) == 1) {
        lane = *find_lane(job);
        draining++;
    }
    ReleaseSRWLockExclusive(&lock);
    if (lane && !TrySubmitThreadpoolCallback(drain_lane, &lane->job, NULL)) {
        log_event(LOG_ERROR, (const store_guid_t *)job, NULL, "callback.failed", "callbacks not delivered: thread pool error %lu",
                  GetLastError());
        while ((item = next_item(job)) != NULL) /* empties the lane, then removes it */
            free(item);
    }
}

/* The receiver set with jobs_set_event_sink: runs on a core thread, never blocks. */
static void on_job_event(void *ctx, const store_guid_t *job, jobs_event_t event, uint32_t file_index)
{
    (void)ctx;
    queue_event((const GUID *)job, event, file_index);
}

void job_events_notification_set(const GUID *job)
{
    /* Whichever applies to the job's state is delivered; the other is dropped at delivery. */
    queue_event(job, JOBS_EVENT_TRANSFERRED, JOBS_NO_FILE);
    queue_event(job, JOBS_EVENT_ERROR, JOBS_NO_FILE);
}

/* ---- retries ----------------------------------------------------------------------------------- */

static void CALLBACK retry_due(void *context, BOOLEAN fired)
{
    (void)fired;
    retry_t *retry = context;
    AcquireSRWLockExclusive(&lock);
    retry_t **link = &retries;
    while (*link && *link != retry)
        link = &(*link)->next;
    int mine = *link != NULL; /* else job_events_stop took it and frees it */
    if (mine)
        *link = retry->next;
    ReleaseSRWLockExclusive(&lock);
    if (!mine)
        return;
    DeleteTimerQueueTimer(NULL, retry->timer, NULL); /* from its own callback: no wait */
    queue_event(&retry->job, retry->event, retry->file_index);
    free(retry);
}

static int retry_pending(const GUID *job, jobs_event_t event, uint32_t file_index)
{
    for (retry_t *r = retries; r; r = r->next)
        if (r->event == event && r->file_index == file_index && IsEqualGUID(&r->job, job))
            return 1;
    return 0;
}

void job_events_retry(const GUID *job, jobs_event_t event, uint32_t delay_s)
{
    schedule(job, event, JOBS_NO_FILE, (delay_s ? delay_s : 1) * 1000u);
}

/* Queues the event again after delay_ms (once: a later request for the same one is dropped). */
static void schedule(const GUID *job, jobs_event_t event, uint32_t file_index, DWORD delay_ms)
{
    retry_t *retry = calloc(1, sizeof *retry);
    if (!retry)
        return;
    retry->job = *job;
    retry->event = event;
    retry->file_index = file_index;
    AcquireSRWLockExclusive(&lock);
    int wanted = accepting && !retry_pending(job, event, file_index);
    if (wanted && CreateTimerQueueTimer(&retry->timer, NULL, retry_due, retry, delay_ms, 0,
                                        WT_EXECUTEONLYONCE)) {
        retry->next = retries;
        retries = retry;
        retry = NULL;
    }
    ReleaseSRWLockExclusive(&lock);
    if (retry && wanted)
        log_event(LOG_ERROR, (const store_guid_t *)job, NULL, "callback.failed", "callback retry not scheduled: error %lu",
                  GetLastError());
    free(retry);
}

/* ---- start and stop ---------------------------------------------------------------------------- */

HRESULT job_events_start(void)
{
    AcquireSRWLockExclusive(&lock);
    accepting = 1;
    ReleaseSRWLockExclusive(&lock);
    jobs_set_event_sink(dosvc_jobs, on_job_event, NULL);
    return S_OK;
}

void job_events_stop(void)
{
    if (dosvc_jobs)
        jobs_set_event_sink(dosvc_jobs, NULL, NULL); /* the core calls on_job_event no more */
    AcquireSRWLockExclusive(&lock);
    accepting = 0;
    retry_t *pending = retries;
    retries = NULL;
    while (spacings) {
        spacing_t *next = spacings->next;
        free(spacings);
        spacings = next;
    }
    for (lane_t *lane = lanes; lane; lane = lane->next) { /* drainers find them empty and end */
        free_items(lane->head);
        lane->head = lane->tail = NULL;
    }
    ReleaseSRWLockExclusive(&lock);
    while (pending) {
        retry_t *next = pending->next;
        DeleteTimerQueueTimer(NULL, pending->timer, INVALID_HANDLE_VALUE); /* waits for its callback */
        free(pending);
        pending = next;
    }
    /* Callbacks in progress: a client that does not return holds up the stop this long at most
     * (what it still runs touches only this module's state and the closed job manager). */
    AcquireSRWLockExclusive(&lock);
    ULONGLONG deadline = GetTickCount64() + STOP_WAIT_MS;
    while (draining && GetTickCount64() < deadline)
        SleepConditionVariableSRW(&idle, &lock, (DWORD)(deadline - GetTickCount64()), 0);
    if (draining)
        log_service(LOG_WARN, "service.stop", "service stop: %u callback(s) still in progress", draining);
    ReleaseSRWLockExclusive(&lock);
}
