/* The job manager: opening, creation, lookup, listing, limits, and the helpers every other part
 * of the manager uses to load and change a job under the store lock. */
#include "jobs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "machine_boot.h"

static hr_t hr_from_store(store_status_t status)
{
    switch (status) {
    case STORE_OK:
        return HR_OK;
    case STORE_NOT_FOUND:
        return DO_E_JOB_NOT_FOUND;
    case STORE_NOMEM:
        return HR_E_OUTOFMEMORY;
    case STORE_INVALID:
        return HR_E_INVALIDARG;
    default:
        return DO_E_FATAL_CORE_ERROR;
    }
}

hr_t store_failure(jobs_t *jobs, const store_guid_t *job, const char *what, store_status_t status)
{
    if (status != STORE_NOT_FOUND)
        log_event(LOG_ERROR, job, NULL, "store.error", "%s failed: %s (%s)", what,
                  store_status_text(status), store_last_error(jobs->store));
    return hr_from_store(status);
}

hr_t jobs_open(const char *db_path, jobs_t **out, store_open_report_t *report)
{
    if (!db_path || !out)
        return HR_E_INVALIDARG;
    jobs_t *jobs = calloc(1, sizeof *jobs);
    if (jobs) {
        atomic_init(&jobs->tls_errors_allowed, 1);
        jobs->machine_boot = machine_boot_time();
    }
    if (jobs && !(jobs->cache_hosts = cache_hosts_new())) {
        free(jobs);
        jobs = NULL;
    }
    if (!jobs)
        return HR_E_OUTOFMEMORY;
    store_status_t status = store_open(db_path, &jobs->store, report);
    if (status != STORE_OK) {
        log_service(LOG_ERROR, "store.open", "cannot open job store %s: %s", db_path,
                    store_status_text(status));
        cache_hosts_free(jobs->cache_hosts);
        free(jobs);
        return hr_from_store(status);
    }
    uv_mutex_init(&jobs->lock);
    job_events_init(&jobs->events);
    memcpy(jobs->limits, jobs_default_limits, sizeof jobs->limits);
    *out = jobs;
    return HR_OK;
}

void jobs_shutdown(jobs_t *jobs)
{
    if (!jobs)
        return;
    scheduler_disable(jobs); /* jobs_disable_transfers: last checkpoints recorded first */
    uv_mutex_lock(&jobs->lock);
    if (jobs->store)
        store_close(jobs->store);
    jobs->store = NULL;
    uv_mutex_unlock(&jobs->lock);
}

static void free_values(char **values, size_t count)
{
    for (size_t i = 0; values && i < count; i++)
        free(values[i]);
    free(values);
}

void jobs_close(jobs_t *jobs)
{
    if (!jobs)
        return;
    jobs_shutdown(jobs);
    counts_forget(jobs);
    job_events_destroy(&jobs->events);
    uv_mutex_destroy(&jobs->lock);
    for (size_t i = 0; i < FINISHED_JOBS_MAX; i++)
        free_values(jobs->finished[i].values, jobs->finished[i].value_count);
    free(jobs->stream_directory);
    cache_hosts_free(jobs->cache_hosts);
    free(jobs);
}

static long delay_for_log(uint32_t delay_s)
{
    return delay_s == CACHE_DELAY_NEVER ? -1L : (long)delay_s;
}

static int delay_valid(uint32_t delay_s)
{
    return delay_s <= CACHE_DELAY_MAX_S || delay_s == CACHE_DELAY_NEVER;
}

/* Host names and the why are NUL-terminated within their arrays; hosts are not empty. */
static int policy_valid(const cache_policy_t *p)
{
    int ok = p->host_count <= CACHE_HOSTS_MAX && delay_valid(p->delay_foreground_s) &&
             delay_valid(p->delay_background_s) && memchr(p->disabled_why, '\0', sizeof p->disabled_why);
    for (size_t i = 0; ok && i < p->host_count; i++)
        ok = p->hosts[i][0] && memchr(p->hosts[i], '\0', sizeof p->hosts[i]);
    return ok;
}

void jobs_set_machine_boot(jobs_t *jobs, int64_t boot_time)
{
    if (jobs)
        jobs->machine_boot = boot_time;
}

void jobs_allow_certificate_errors(jobs_t *jobs, int allowed)
{
    if (jobs)
        atomic_store(&jobs->tls_errors_allowed, allowed != 0);
}

hr_t jobs_set_cache_policy(jobs_t *jobs, const cache_policy_t *policy)
{
    static const cache_policy_t none;
    const cache_policy_t *p = policy ? policy : &none;
    if (!jobs || !policy_valid(p))
        return HR_E_INVALIDARG;
    cache_hosts_set_policy(jobs->cache_hosts, p);
    log_service(LOG_INFO, "cache.policy", "%u cache host(s)%s%s; fallback delay foreground %ld s, background %ld s",
                (unsigned)p->host_count, p->disabled_why[0] ? ": " : "", p->disabled_why, delay_for_log(p->delay_foreground_s),
                delay_for_log(p->delay_background_s));
    return HR_OK;
}

size_t jobs_cache_host_stats(jobs_t *jobs, cache_host_stats_t *out, size_t max)
{
    return jobs && out ? cache_hosts_stats(jobs->cache_hosts, uv_hrtime() / 1000000u, out, max) : 0;
}

const caller_t jobs_service_caller = {"S-1-5-18", 1};

void jobs_set_limits(jobs_t *jobs, const jobs_limits_t *limits)
{
    jobs_set_kind_limits(jobs, JOBS_LIMITS_DO, limits);
}

hr_t lock_store(jobs_t *jobs)
{
    uv_mutex_lock(&jobs->lock);
    if (jobs->store)
        return HR_OK;
    uv_mutex_unlock(&jobs->lock);
    return DO_E_NO_SERVICE;
}

void unlock_store(jobs_t *jobs)
{
    job_event_batch_t batch = job_events_take(&jobs->events);
    uv_mutex_unlock(&jobs->lock);
    job_events_hand_over(&jobs->events, &batch);
}

long utf8_utf16_length(const char *text)
{
    long units = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                  : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return -1;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return -1;
        units += extra == 3 ? 2 : 1; /* code points above U+FFFF need a surrogate pair */
        p += extra + 1;
    }
    return units;
}

int text_fits(const char *text, long max, int nullable)
{
    if (!text)
        return nullable;
    long units = utf8_utf16_length(text);
    return units >= 0 && units <= max;
}

hr_t replace_text(char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return HR_E_OUTOFMEMORY;
    free(*field);
    *field = copy;
    return HR_OK;
}

int caller_is_valid(const caller_t *caller)
{
    return caller && caller->sid[0] && memchr(caller->sid, '\0', sizeof caller->sid);
}

const char *job_state_name(int32_t state)
{
    static const char *const names[] = {"QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED",
                                        "ERROR", "TRANSIENT_ERROR", "TRANSFERRED",
                                        "ACKNOWLEDGED", "CANCELLED"};
    return state >= 0 && state <= JOB_STATE_CANCELLED ? names[state] : "?";
}

/* ---- finished jobs ---------------------------------------------------------------------------- */

void finished_add(jobs_t *jobs, const store_job_t *job, int32_t state, const job_progress_t *progress)
{
    finished_job_t *slot = &jobs->finished[jobs->finished_count++ % FINISHED_JOBS_MAX];
    free_values(slot->values, slot->value_count);
    slot->values = NULL;
    slot->value_count = 0;
    slot->id = job->id;
    slot->state = state;
    slot->kind = job->kind;
    slot->bytes_total = progress->bytes_total;
    slot->bytes_transferred = progress->bytes_transferred;
    snprintf(slot->owner_sid, sizeof slot->owner_sid, "%s", job->owner_sid ? job->owner_sid : "");
}

const finished_job_t *finished_find(const jobs_t *jobs, const store_guid_t *id)
{
    size_t held = jobs->finished_count < FINISHED_JOBS_MAX ? jobs->finished_count : FINISHED_JOBS_MAX;
    for (size_t i = 0; i < held; i++)
        if (!memcmp(&jobs->finished[i].id, id, sizeof *id))
            return &jobs->finished[i];
    return NULL;
}

void finished_keep_values(jobs_t *jobs, const store_guid_t *id, char **values, size_t count)
{
    finished_job_t *slot = (finished_job_t *)finished_find(jobs, id);
    if (!slot) {
        free_values(values, count);
        return;
    }
    free_values(slot->values, slot->value_count);
    slot->values = values;
    slot->value_count = count;
}

/* ---- loading and changing a job ---------------------------------------------------------------- */

static int caller_may_access(const caller_t *caller, const char *owner_sid)
{
    return caller->is_admin || (owner_sid && strcmp(owner_sid, caller->sid) == 0);
}

/* A job that is no longer in the store: finished during this run, or unknown. */
static hr_t missing_job(const jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    const finished_job_t *finished = finished_find(jobs, id);
    if (!finished)
        return DO_E_JOB_NOT_FOUND;
    return caller_may_access(caller, finished->owner_sid) ? DO_E_INVALID_STATE : HR_E_ACCESSDENIED;
}

/* The answer to a caller for a job read with status, whose owner is owner_sid. */
static hr_t access_answer(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          store_status_t status, const char *owner_sid)
{
    if (status == STORE_NOT_FOUND)
        return missing_job(jobs, caller, id);
    if (status != STORE_OK)
        return store_failure(jobs, id, "read job", status);
    return caller_may_access(caller, owner_sid) ? HR_OK : HR_E_ACCESSDENIED;
}

hr_t load_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out)
{
    memset(out, 0, sizeof *out);
    store_status_t status = store_job_get(jobs->store, id, out);
    hr_t hr = access_answer(jobs, caller, id, status, status == STORE_OK ? out->owner_sid : NULL);
    if (hr == HR_E_ACCESSDENIED)
        store_job_clear(out);
    return hr;
}

hr_t load_job_access(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                     store_job_access_t *out)
{
    store_status_t status = store_job_access(jobs->store, id, out);
    return access_answer(jobs, caller, id, status, status == STORE_OK ? out->owner_sid : NULL);
}

hr_t change_loaded_job(jobs_t *jobs, store_job_t *job, job_change_fn change, void *context)
{
    hr_t hr = change(jobs, job, context);
    if (hr != HR_OK)
        return hr; /* a failure, or HR_FALSE: nothing changed, nothing to write */
    job->modification_time = store_now_filetime();
    store_status_t status = store_job_update(jobs->store, job);
    return status == STORE_OK ? hr : store_failure(jobs, &job->id, "update job", status);
}

/* Runs change_loaded_job in one transaction: the job row and whatever rows the change touches
 * are committed together, or not at all. */
static hr_t change_atomically(jobs_t *jobs, store_job_t *job, job_change_fn change, void *context)
{
    store_status_t status = store_begin(jobs->store);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "begin transaction", status);
    hr_t hr = change_loaded_job(jobs, job, change, context);
    if (HR_FAILED(hr)) {
        store_rollback(jobs->store);
        return hr;
    }
    status = store_commit(jobs->store);
    if (status != STORE_OK)
        return store_failure(jobs, &job->id, "commit", status);
    if (hr == HR_OK)
        jobs_emit(jobs, job, JOBS_EVENT_MODIFIED, JOBS_NO_FILE);
    return hr;
}

hr_t lock_for_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    if (!jobs || !caller_is_valid(caller) || !id)
        return HR_E_INVALIDARG;
    return lock_store(jobs);
}

hr_t with_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_change_fn use,
              void *context)
{
    hr_t hr = lock_for_job(jobs, caller, id);
    if (HR_FAILED(hr))
        return hr;
    store_job_t job;
    hr = load_job(jobs, caller, id, &job);
    if (HR_SUCCEEDED(hr))
        hr = use(jobs, &job, context);
    unlock_store(jobs);
    store_job_clear(&job);
    return hr;
}

typedef struct atomic_change {
    job_change_fn change;
    void *context;
    char *owner;
} atomic_change_t;

static hr_t run_atomic_change(jobs_t *jobs, store_job_t *job, void *context)
{
    const atomic_change_t *ac = context;
    hr_t hr = change_atomically(jobs, job, ac->change, ac->context);
    if (hr == HR_OK && ac->owner)
        snprintf(ac->owner, CALLER_SID_MAX, "%s", job->owner_sid ? job->owner_sid : "");
    return hr;
}

hr_t change_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_change_fn change,
                void *context, char *owner)
{
    atomic_change_t ac = {change, context, owner};
    if (owner)
        owner[0] = '\0';
    return with_job(jobs, caller, id, run_atomic_change, &ac);
}

void job_set_defaults(store_job_t *job, const caller_t *caller, int32_t type)
{
    job->type = type;
    job->state = JOB_STATE_SUSPENDED;
    job->priority = JOB_PRIORITY_NORMAL;
    job->owner_sid = (char *)caller->sid;
    job->notify_flags = JOB_DEFAULT_NOTIFY_FLAGS;
    const job_rules_t *rules = job_rules_of(job->kind);
    job->min_retry_delay = rules->min_retry_delay;
    job->no_progress_timeout = rules->no_progress_timeout;
    job->max_download_time = JOB_DEFAULT_MAX_DOWNLOAD_TIME;
    job->notification_interval_ms = JOB_DEFAULT_NOTIFICATION_INTERVAL_MS;
    job->cost_flags = JOB_DEFAULT_COST_FLAGS;
    job->error_file_index = -1;
    job->creation_time = job->modification_time = store_now_filetime();
}

/* ---- job counts for the limits ------------------------------------------------------------------ */

static owner_count_t *find_owner_count(jobs_t *jobs, const char *owner_sid)
{
    owner_count_t *entry = jobs->owner_counts;
    while (entry && strcmp(entry->sid, owner_sid))
        entry = entry->next;
    return entry;
}

void counts_job_added(jobs_t *jobs, const char *owner_sid, int32_t kind)
{
    jobs_limit_set_t set = job_rules_of(kind)->limit_set;
    owner_count_t *entry = owner_sid ? find_owner_count(jobs, owner_sid) : NULL;
    if (entry)
        entry->count[set]++;
    jobs->machine_count[set]++;
}

void counts_job_removed(jobs_t *jobs, const char *owner_sid, int32_t kind)
{
    jobs_limit_set_t set = job_rules_of(kind)->limit_set;
    owner_count_t *entry = owner_sid ? find_owner_count(jobs, owner_sid) : NULL;
    if (entry && entry->count[set])
        entry->count[set]--;
    if (jobs->machine_count[set])
        jobs->machine_count[set]--;
}

void counts_forget(jobs_t *jobs)
{
    while (jobs->owner_counts) {
        owner_count_t *next = jobs->owner_counts->next;
        free(jobs->owner_counts);
        jobs->owner_counts = next;
    }
    jobs->machine_count_known = 0;
}

/* The jobs of owner_sid (NULL: everyone's) in the store, by limit set. */
static store_status_t count_in_store(jobs_t *jobs, const char *owner_sid, size_t counts[JOBS_LIMIT_SETS])
{
    memset(counts, 0, JOBS_LIMIT_SETS * sizeof *counts);
    static const int32_t kinds[] = {STORE_KIND_JOB, STORE_KIND_DOWNLOAD, STORE_KIND_BITS};
    store_status_t status = STORE_OK;
    for (size_t i = 0; status == STORE_OK && i < sizeof kinds / sizeof kinds[0]; i++) {
        store_job_query_t query = {kinds[i], owner_sid, -1, STORE_MATCH_NONE, 0, NULL, 0, 0};
        store_guid_t *ids = NULL;
        size_t count = 0;
        status = store_job_find(jobs->store, &query, &ids, &count);
        free(ids);
        counts[job_rules_of(kinds[i])->limit_set] += count;
    }
    return status;
}

/* The caller's and the machine's job counts in a limit set, counted in the store the first time
 * only. */
static hr_t current_counts(jobs_t *jobs, const char *owner_sid, jobs_limit_set_t set, size_t *mine,
                           size_t *all)
{
    owner_count_t *entry = find_owner_count(jobs, owner_sid);
    store_status_t status = STORE_OK;
    if (!entry) {
        if (!(entry = calloc(1, sizeof *entry)))
            return HR_E_OUTOFMEMORY;
        snprintf(entry->sid, sizeof entry->sid, "%s", owner_sid);
        status = count_in_store(jobs, owner_sid, entry->count);
        entry->next = jobs->owner_counts;
        jobs->owner_counts = entry;
    }
    if (status == STORE_OK && !jobs->machine_count_known) {
        status = count_in_store(jobs, NULL, jobs->machine_count);
        jobs->machine_count_known = status == STORE_OK;
    }
    if (status != STORE_OK) {
        counts_forget(jobs);
        return store_failure(jobs, NULL, "count jobs", status);
    }
    *mine = entry->count[set];
    *all = jobs->machine_count[set];
    return HR_OK;
}

/* BG_E_TOO_MANY_JOBS_PER_USER / _PER_MACHINE when one more job of kind would pass a limit. */
static hr_t check_job_limits(jobs_t *jobs, const caller_t *caller, int32_t kind)
{
    jobs_limits_t limits = job_limits_for(jobs, kind, caller);
    size_t mine = 0, all = 0;
    hr_t hr = current_counts(jobs, caller->sid, job_rules_of(kind)->limit_set, &mine, &all);
    if (HR_FAILED(hr))
        return hr;
    if (mine >= limits.max_jobs_per_user)
        return HR_BG_E_TOO_MANY_JOBS_PER_USER;
    return all >= limits.max_jobs_per_machine ? HR_BG_E_TOO_MANY_JOBS_PER_MACHINE : HR_OK;
}

/* ---- creation, lookup, listing ---------------------------------------------------------------- */

hr_t insert_new_job(jobs_t *jobs, const caller_t *caller, const store_job_t *job, const store_file_t *file)
{
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    hr = check_job_limits(jobs, caller, job->kind);
    if (HR_SUCCEEDED(hr)) {
        store_status_t status = store_begin(jobs->store);
        if (status == STORE_OK)
            status = store_job_insert(jobs->store, job);
        if (status == STORE_OK && file)
            status = store_files_insert(jobs->store, file, 1, NULL, NULL);
        status = status == STORE_OK ? store_commit(jobs->store) : (store_rollback(jobs->store), status);
        if (status != STORE_OK)
            hr = store_failure(jobs, &job->id, "create job", status);
        else
            counts_job_added(jobs, caller->sid, job->kind);
    }
    unlock_store(jobs);
    if (HR_FAILED(hr))
        log_event(LOG_WARN, NULL, caller->sid, "job.create", "%s by %s refused: 0x%08x",
                  job->kind == STORE_KIND_DOWNLOAD ? "CreateDownload" : "CreateJob", caller->sid,
                  (unsigned)hr);
    return hr;
}

static int is_job_kind(int32_t kind)
{
    return kind == STORE_KIND_JOB || kind == STORE_KIND_BITS;
}

hr_t jobs_create(jobs_t *jobs, const caller_t *caller, const char *display_name, int32_t type,
                 store_guid_t *id_out)
{
    return jobs_create_kind(jobs, caller, STORE_KIND_JOB, display_name, type, id_out);
}

hr_t jobs_create_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, const char *display_name,
                      int32_t type, store_guid_t *id_out)
{
    if (!jobs || !caller_is_valid(caller) || !is_job_kind(kind) || !display_name || !id_out)
        return HR_E_INVALIDARG;
    if (!text_fits(display_name, JOB_DISPLAY_NAME_MAX, 0))
        return HR_E_INVALIDARG;
    if (type == JOB_TYPE_UPLOAD || type == JOB_TYPE_UPLOAD_REPLY)
        return HR_E_NOTIMPL; /* download jobs only, through either API (docs/bits.md) */
    if (type != JOB_TYPE_DOWNLOAD)
        return HR_E_INVALIDARG;
    store_job_t job = {0};
    if (guid_generate(&job.id) != 0)
        return HR_E_FAIL;
    job.display_name = (char *)display_name;
    job.kind = kind;
    job_set_defaults(&job, caller, type);
    hr_t hr = insert_new_job(jobs, caller, &job, NULL);
    if (HR_FAILED(hr))
        return hr;
    log_job(LOG_INFO, &job, "job.create", "created by %s as a %s, name \"%s\", state SUSPENDED",
            caller->sid, job_rules_of(kind)->name, display_name);
    *id_out = job.id;
    return HR_OK;
}

hr_t jobs_get(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out)
{
    if (!jobs || !caller_is_valid(caller) || !id || !out)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    hr = load_job(jobs, caller, id, out);
    unlock_store(jobs);
    return hr;
}

/* GetJob: final jobs have left the queue, and each API sees only the jobs made through it (the
 * DO class neither downloads nor BITS jobs, the BITS classes only BITS jobs; docs/bits.md): both
 * are "not found", whoever asks. */
static hr_t lookup_locked(jobs_t *jobs, const caller_t *caller, int32_t kind, const store_guid_t *id)
{
    /* A job no longer in the store (finished during this run) has no row to read: its answer is
     * the finished job's, whatever its kind. */
    store_job_access_t job = {.kind = kind};
    hr_t hr = load_job_access(jobs, caller, id, &job);
    /* someone else's job of another kind is "not found" too */
    int read = HR_SUCCEEDED(hr) || hr == HR_E_ACCESSDENIED;
    return hr == DO_E_INVALID_STATE || (read && job.kind != kind) ? DO_E_JOB_NOT_FOUND : hr;
}

hr_t jobs_lookup(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    return jobs_lookup_kind(jobs, caller, STORE_KIND_JOB, id);
}

hr_t jobs_lookup_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, const store_guid_t *id)
{
    if (!is_job_kind(kind))
        return HR_E_INVALIDARG;
    hr_t hr = lock_for_job(jobs, caller, id);
    if (HR_FAILED(hr))
        return hr;
    hr = lookup_locked(jobs, caller, kind, id);
    unlock_store(jobs);
    return hr;
}

/* Adds one file's figures to the job totals; an unknown size makes the total unknown. */
static void add_file_progress(job_progress_t *progress, const store_file_t *file)
{
    progress->files_total++;
    progress->bytes_transferred += file->bytes_transferred;
    if (file->bytes_total == JOB_SIZE_UNKNOWN || progress->bytes_total == JOB_SIZE_UNKNOWN)
        progress->bytes_total = JOB_SIZE_UNKNOWN;
    else
        progress->bytes_total += file->bytes_total;
    if (file->bytes_total != JOB_SIZE_UNKNOWN && file->bytes_transferred == file->bytes_total)
        progress->files_transferred++;
}

hr_t sum_file_progress(jobs_t *jobs, store_job_t *job, void *context)
{
    job_progress_t *out = context;
    uint32_t count = 0;
    store_status_t status = store_file_count(jobs->store, &job->id, &count);
    for (uint32_t i = 0; status == STORE_OK && i < count; i++) {
        store_file_t file = {0};
        status = store_file_get(jobs->store, &job->id, i, &file);
        if (status == STORE_OK)
            add_file_progress(out, &file);
        store_file_clear(&file);
    }
    return status == STORE_OK ? HR_OK : store_failure(jobs, &job->id, "read job files", status);
}

hr_t jobs_progress(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                   job_progress_t *out)
{
    if (!out)
        return HR_E_INVALIDARG;
    memset(out, 0, sizeof *out);
    return with_job(jobs, caller, id, sum_file_progress, out);
}

static hr_t list_kind(jobs_t *jobs, const caller_t *caller, uint32_t flags, int32_t kind,
                      store_guid_t **ids, size_t *count)
{
    if (!jobs || !caller_is_valid(caller) || !ids || !count || (flags & ~JOB_ENUM_ALL_USERS))
        return HR_E_INVALIDARG;
    int all_users = (flags & JOB_ENUM_ALL_USERS) != 0;
    if (all_users && !caller->is_admin)
        return HR_E_ACCESSDENIED;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_job_query_t query = {kind, all_users ? NULL : caller->sid, -1, STORE_MATCH_NONE, 0, NULL, 0, 0};
    store_status_t status = store_job_find(jobs->store, &query, ids, count);
    hr = status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "list jobs", status);
    unlock_store(jobs);
    return hr;
}

hr_t jobs_list(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
               size_t *count)
{
    return list_kind(jobs, caller, flags, STORE_KIND_JOB, ids, count);
}

hr_t jobs_list_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, uint32_t flags,
                    store_guid_t **ids, size_t *count)
{
    return is_job_kind(kind) ? list_kind(jobs, caller, flags, kind, ids, count) : HR_E_INVALIDARG;
}

hr_t jobs_list_with_downloads(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
                              size_t *count)
{
    return list_kind(jobs, caller, flags, -1, ids, count);
}

hr_t jobs_check_integrity(jobs_t *jobs, char *detail, size_t detail_size)
{
    if (!jobs)
        return HR_E_INVALIDARG;
    hr_t hr = lock_store(jobs);
    if (HR_FAILED(hr))
        return hr;
    store_status_t status = store_check_integrity(jobs->store, detail, detail_size);
    unlock_store(jobs);
    return status == STORE_OK ? HR_OK : DO_E_FATAL_CORE_ERROR;
}
