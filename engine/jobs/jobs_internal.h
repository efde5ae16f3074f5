/* Shared by the job manager's source files (jobs.c, job_properties.c, job_states.c,
 * job_files.c); not part of the core's API. */
#ifndef OPENDO_JOBS_INTERNAL_H
#define OPENDO_JOBS_INTERNAL_H

#include <stdatomic.h>
#include <uv.h>

#include "jobs.h"
#include "log.h"
#include "range_set.h"

/* Jobs that became final (CANCELLED/ACKNOWLEDGED) during this run: their rows are gone, but
 * job objects that still refer to them must get DO_E_INVALID_STATE, not "not found". A bounded
 * ring: objects do not outlive the service process, and very old entries are not needed. */
#define FINISHED_JOBS_MAX 4096
typedef struct finished_job {
    store_guid_t id;
    int32_t state;
    int32_t kind;                   /* STORE_KIND_*: a download's status still reads its bytes */
    uint64_t bytes_total, bytes_transferred; /* its progress when it ended */
    char **values;      /* a download's property values as they were (finished_keep_values), or NULL */
    size_t value_count;
    char owner_sid[CALLER_SID_MAX]; /* only the owner or an administrator may still ask */
} finished_job_t;

/* Jobs per owner, for the limits: counted in the store once per owner, then kept up to date, so
 * CreateJob does not count 100,000 rows each time. */
typedef struct owner_count {
    char sid[CALLER_SID_MAX];
    size_t count[JOBS_LIMIT_SETS]; /* its jobs, by the limit set of their kind */
    struct owner_count *next;
} owner_count_t;

/* Events recorded under the store lock, handed to the receiver by unlock_store once the lock is
 * released. Batches are numbered when taken (under the lock) and delivered in that order: a
 * thread waits (on turn) until the batches before its own were handed over. */
typedef struct pending_event {
    store_guid_t job;
    jobs_event_t event;
    uint32_t file_index;
} pending_event_t;

typedef struct job_events {
    jobs_event_fn fn;          /* under the store lock */
    void *ctx;
    pending_event_t *pending;  /* under the store lock */
    size_t count, cap;
    uint64_t issued;           /* batches numbered so far (under the store lock) */
    uv_mutex_t mu;             /* delivered and turn */
    uv_cond_t turn;
    uint64_t delivered;        /* batches handed to the receiver */
} job_events_t;

typedef struct job_event_batch {
    pending_event_t *items;
    size_t count;
    uint64_t number;
    jobs_event_fn fn;
    void *ctx;
} job_event_batch_t;

void job_events_init(job_events_t *events);
void job_events_destroy(job_events_t *events);
/* Under the store lock: the events recorded so far, as the next numbered batch. */
job_event_batch_t job_events_take(job_events_t *events);
/* Without the store lock: waits for the earlier batches, calls the receiver, frees the batch. */
void job_events_hand_over(job_events_t *events, job_event_batch_t *batch);

struct jobs {
    store_t *store;
    uv_mutex_t lock; /* serialises every use of store, finished and the counts */
    jobs_limits_t limits[JOBS_LIMIT_SETS];
    owner_count_t *owner_counts; /* owners counted so far */
    size_t machine_count[JOBS_LIMIT_SETS];
    int machine_count_known;
    finished_job_t finished[FINISHED_JOBS_MAX];
    size_t finished_count; /* total ever added; the ring holds the last FINISHED_JOBS_MAX */
    struct scheduler *scheduler; /* set while transfers are enabled (scheduler.c); under lock */
    /* scheduler.c's entry points, set by the first jobs_enable_transfers (under lock) and kept:
     * calls go through them so that programs that never enable transfers do not link the
     * transfer engine (and libcurl). */
    const struct scheduler_hooks *scheduler_hooks;
    job_events_t events; /* pending events and their receiver (jobs_set_event_sink) */
    char *stream_directory; /* where stream downloads spool (downloads_set_stream_directory); under lock */
    cache_hosts_t *cache_hosts; /* the cache-host policy, bans and figures (its own lock) */
    atomic_int tls_errors_allowed; /* jobs_allow_certificate_errors (1 until told otherwise) */
    int64_t machine_boot; /* the machine's boot time (machine_boot.h; jobs_set_machine_boot) */
};

/* Work done on a loaded job row inside the store lock (a read, or a change to commit; a change
 * returning HR_FALSE changed nothing: no write-back, and the caller gets S_FALSE). */
typedef hr_t (*job_change_fn)(jobs_t *jobs, store_job_t *job, void *context);

hr_t lock_store(jobs_t *jobs);
/* The arguments of a call on one job checked (E_INVALIDARG), then lock_store. */
hr_t lock_for_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* Releases the store lock, then hands the events recorded meanwhile to the receiver. */
void unlock_store(jobs_t *jobs);
/* Records an event of job (its row as read or written under the store lock) for the receiver,
 * when one is set and the job's notify flags ask for the event. */
void jobs_emit(jobs_t *jobs, const store_job_t *job, jobs_event_t event, uint32_t file_index);
hr_t store_failure(jobs_t *jobs, const store_guid_t *job, const char *what, store_status_t status);
int caller_is_valid(const caller_t *caller);
/* Loads a job for a job object's call (lock held): access checked; final → DO_E_INVALID_STATE. */
hr_t load_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out);
/* The same check from the store's access copy (state, kind, owner only; no row): for the calls
 * that read nothing else. On HR_E_ACCESSDENIED *out still holds the job's state and kind. */
hr_t load_job_access(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                     store_job_access_t *out);
/* Loads the job (access checked) under the store lock and hands it to use. */
hr_t with_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_change_fn use,
              void *context);
/* Load (access checked), change, bump ModificationTime, write back: one committed transaction
 * covering the job row and every row the change writes; then a JOBS_EVENT_MODIFIED. owner (NULL,
 * or CALLER_SID_MAX bytes) receives the job owner's SID when a change was committed (HR_OK), ""
 * otherwise: for the log line the caller writes after it. */
hr_t change_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_change_fn change,
                void *context, char *owner);
/* The change and write-back alone, for a job already loaded under the lock. */
hr_t change_loaded_job(jobs_t *jobs, store_job_t *job, job_change_fn change, void *context);
/* Remembers a job that left the store (lock held), with its progress as it was. */
void finished_add(jobs_t *jobs, const store_job_t *job, int32_t state, const job_progress_t *progress);
/* Keep the cached job counts right (lock held): a job of this owner was added or removed, or
 * (counts_forget) ownership moved and everything is counted afresh when next needed. */
void counts_job_added(jobs_t *jobs, const char *owner_sid, int32_t kind);
void counts_job_removed(jobs_t *jobs, const char *owner_sid, int32_t kind);
void counts_forget(jobs_t *jobs);
/* The limits caller meets with a job of kind (lock held; job_rules.c): its kind's set, or none
 * for a caller the kind's rules exempt. */
jobs_limits_t job_limits_for(const jobs_t *jobs, int32_t kind, const caller_t *caller);
extern const jobs_limits_t jobs_default_limits[JOBS_LIMIT_SETS];
const finished_job_t *finished_find(const jobs_t *jobs, const store_guid_t *id);
/* Keeps count texts (malloc'ed, NULL entries allowed; the array too) with a finished job's
 * record for as long as the record lives (lock held); freed at once when id is not there. */
void finished_keep_values(jobs_t *jobs, const store_guid_t *id, char **values, size_t count);
/* Replaces a heap string member with a copy of value (NULL clears). */
hr_t replace_text(char **field, const char *value);
/* A UTF-8 text of at most max UTF-16 units (NULL allowed when nullable). */
int text_fits(const char *text, long max, int nullable);
const char *job_state_name(int32_t state);
/* A job's progress, summed over its files (lock held). */
hr_t sum_file_progress(jobs_t *jobs, store_job_t *job, void *context /* job_progress_t * */);
/* The defaults of a new job of caller of job->kind (owner_sid points into caller). */
void job_set_defaults(store_job_t *job, const caller_t *caller, int32_t type);
/* Inserts a new job (and its first file, when file is not NULL) in one transaction, within the
 * per-user and per-machine limits; logs a refusal. */
hr_t insert_new_job(jobs_t *jobs, const caller_t *caller, const store_job_t *job, const store_file_t *file);

/* Where a file's ranges go for the caller (a read's context). */
typedef struct range_list {
    store_range_t **ranges;
    size_t *count;
} range_list_t;

/* Work on one file of a loaded job (lock held), as job_change_fn. */
typedef hr_t (*file_change_fn)(jobs_t *jobs, store_job_t *job, store_file_t *file, void *context);
/* Reads one file of a job the caller may see (E_INVALIDARG for an index past the end). */
hr_t with_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
               file_change_fn use, void *context);
/* Changes one file (and the job's ModificationTime) in one transaction; owner as change_job. A
 * change returning HR_FALSE writes nothing. */
hr_t change_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                 file_change_fn change, void *context, char *owner);

/* ---- names and ranges (job_files.c) ----------------------------------------------------------- */

/* An absolute Windows file path of at most JOB_LOCAL_NAME_MAX units: HR_E_INVALIDARG else. */
hr_t file_check_local_name(const char *local);
/* The hidden temporary file beside local: "<dir>\~opendo-<job>-<index>.tmp" (*out NULL for a
 * NULL local). */
hr_t file_temp_name(const char *local, const store_guid_t *job, uint32_t index, char **out);
/* Checks ranges (DO_E_INVALID_RANGE, DO_E_OVERLAPPING_RANGES, judged in offset order) into
 * *checked (malloc'ed; NULL when count is 0): in the order given, as BITS writes them to the local
 * file one after another (AddFileWithRanges), or with by_offset sorted by offset (a download's
 * ranges). */
hr_t file_check_ranges(const store_range_t *ranges, size_t count, uint64_t file_size, int by_offset,
                       store_range_t **checked);
/* Bytes a ranged file will hold (JOB_SIZE_UNKNOWN if a range runs to an unknown end). */
uint64_t file_ranges_total(const store_range_t *ranges, size_t count, uint64_t file_size);


/* ---- on-demand files (job_on_demand.c) -------------------------------------------------------- */

/* What an on-demand file holds and wants, as stored (lock held for load and save). */
typedef struct demand_state {
    range_set_t filled;     /* bytes on disk, at their own offsets in the temporary file */
    range_set_t pending;    /* asked for (RequestFileRanges), not on disk yet */
    range_set_t unreported; /* asked for and arrived since the last FileRangesTransferred */
    uint64_t position;      /* UpdateDownloadPosition: missing bytes from here are fetched first */
    int no_ranges;          /* the server answered a ranged request with the whole file */
} demand_state_t;

/* Whether a file is fetched on demand (lock held): a file of an on-demand job, unless it was
 * added with ranges (AddFileWithRanges: downloaded as such, and File6 refuses it). */
int demand_file(jobs_t *jobs, const store_job_t *job, const store_file_t *file);
hr_t demand_load(jobs_t *jobs, const store_guid_t *id, uint32_t index, demand_state_t *out);
/* Writes every row of the state; join a transaction (store_begin) to make it atomic. */
hr_t demand_save(jobs_t *jobs, const store_guid_t *id, uint32_t index, const demand_state_t *state);
void demand_clear(demand_state_t *state);

/* ---- scheduler hooks (scheduler.c; all no-ops while transfers are not enabled) ---------------- */

typedef struct scheduler_hooks {
    void (*job_changed)(jobs_t *jobs, const store_guid_t *id, int stop_transfer);
    void (*job_removed)(jobs_t *jobs, const store_guid_t *id);
    int (*end_job)(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, int32_t final_state,
                   hr_t *hr);
    void (*disable)(jobs_t *jobs);
    /* What it is doing (store lock held): fill the parts it knows. */
    void (*job_activity)(jobs_t *jobs, const store_guid_t *id, jobs_job_activity_t *out);
    void (*activity)(jobs_t *jobs, jobs_activity_t *out);
    void (*wait_stopped)(jobs_t *jobs, const store_guid_t *id);
} scheduler_hooks_t;

static inline const scheduler_hooks_t *scheduler_hooks_of(jobs_t *jobs)
{
    uv_mutex_lock(&jobs->lock);
    const scheduler_hooks_t *hooks = jobs->scheduler_hooks;
    uv_mutex_unlock(&jobs->lock);
    return hooks;
}

/* After a committed change of job id (lock NOT held): stop_transfer cancels its running transfer
 * (Suspend, SetRemoteName, ReplaceRemotePrefix); in every case the scheduler looks again. */
static inline void scheduler_job_changed(jobs_t *jobs, const store_guid_t *id, int stop_transfer)
{
    const scheduler_hooks_t *hooks = scheduler_hooks_of(jobs);
    if (hooks)
        hooks->job_changed(jobs, id, stop_transfer);
}

/* The job left the store (lock held): its transfer, if any, is cancelled. */
static inline void scheduler_job_removed(jobs_t *jobs, const store_guid_t *id)
{
    if (jobs->scheduler_hooks)
        jobs->scheduler_hooks->job_removed(jobs, id);
}

/* Cancel/Complete (lock NOT held): 0 when transfers are not enabled (the caller does the plain
 * store change), else 1 with *hr the result. */
static inline int scheduler_end_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                    int32_t final_state, hr_t *hr)
{
    const scheduler_hooks_t *hooks = jobs ? scheduler_hooks_of(jobs) : NULL;
    return hooks ? hooks->end_job(jobs, caller, id, final_state, hr) : 0;
}

/* After a change that stopped the job's transfer (lock NOT held): returns once the transfer has
 * ended and recorded its last bytes (a bounded wait). */
static inline void scheduler_wait_stopped(jobs_t *jobs, const store_guid_t *id)
{
    const scheduler_hooks_t *hooks = scheduler_hooks_of(jobs);
    if (hooks)
        hooks->wait_stopped(jobs, id);
}

/* jobs_shutdown: jobs_disable_transfers when it was ever enabled (lock NOT held). */
static inline void scheduler_disable(jobs_t *jobs)
{
    const scheduler_hooks_t *hooks = scheduler_hooks_of(jobs);
    if (hooks)
        hooks->disable(jobs);
}

/* Removes a loaded job from the store as Cancel (JOB_STATE_CANCELLED) or Complete
 * (JOB_STATE_ACKNOWLEDGED) does, logging it with was_state, the state the call found (-1: the
 * job's own) (lock held; job_states.c). */
hr_t end_loaded_job(jobs_t *jobs, store_job_t *job, int32_t final_state, int32_t was_state, const caller_t *caller);

#endif
