/* Durability after a machine restart (docs/transfer.md "Durability"). A file's bytes_transferred
 * are the bytes written to its temporary file; bytes_durable those a flush has put on disk. A
 * transfer does not wait for its last flush: it is reported here (on_flushed) after the
 * transfer's end, possibly after Complete renamed the file into place. The boot of the machine
 * in which the service started is in the store: a start in another boot means that what was
 * written and not flushed may be gone, so those files fall back to their durable bytes and are
 * fetched again, and completed files whose last flush had not ended are named in the log. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "log.h"
#include "machine_boot.h"
#include "scheduler_internal.h"

/* ---- flushes reported after their transfer ended (s->mu held) ------------------------------- */

static pending_flush_t *pending_by_token(struct scheduler *s, uint64_t token)
{
    for (size_t i = 0; i < s->flush_count; i++)
        if (s->flushes[i].token == token)
            return &s->flushes[i];
    return NULL;
}

void durability_expect(struct scheduler *s, uint64_t token, const store_guid_t *job, uint32_t index)
{
    if (s->flush_count == s->flush_cap) {
        size_t cap = s->flush_cap ? s->flush_cap * 2 : 8;
        pending_flush_t *grown = realloc(s->flushes, cap * sizeof *grown);
        if (!grown)
            return; /* its report is then ignored: the file only stays short of durable bytes */
        s->flushes = grown;
        s->flush_cap = cap;
    }
    s->flushes[s->flush_count++] = (pending_flush_t){token, *job, index, 0};
}

void durability_forget(struct scheduler *s, const store_guid_t *job, uint32_t index)
{
    for (size_t i = 0; i < s->flush_count; i++)
        if (s->flushes[i].index == index && !memcmp(&s->flushes[i].job, job, sizeof *job))
            s->flushes[i].stale = 1;
}

/* Whose file a flush report is about: the running transfer's, or a finished one's (the entry
 * goes with its final report). 0 when neither, or when a later transfer of the file started. */
static int flush_target(struct scheduler *s, uint64_t token, int final, store_guid_t *job, uint32_t *index,
                        int *on_demand)
{
    int found = 0;
    uv_mutex_lock(&s->mu);
    active_t *a = scheduler_active_by_token(s, token);
    pending_flush_t *p = a ? NULL : pending_by_token(s, token);
    if (a) {
        *job = a->job, *index = a->index, *on_demand = a->on_demand;
        found = 1;
    } else if (p) {
        *job = p->job, *index = p->index, *on_demand = 0;
        found = !p->stale;
        if (final) {
            *p = s->flushes[--s->flush_count];
            uv_cond_broadcast(&s->ended); /* Complete may wait for it */
        }
    }
    uv_mutex_unlock(&s->mu);
    return found;
}

/* The file's durable bytes after a successful flush (store lock held). An on-demand file counts
 * its bytes by ranges: only a final flush (everything written) says how many are durable. */
static void record_durable(jobs_t *jobs, const store_guid_t *job, uint32_t index, int on_demand,
                           const transfer_flush_t *flush)
{
    store_file_t file = {0};
    if (store_file_get(jobs->store, job, index, &file) == STORE_OK && !file.completed) {
        uint64_t durable = on_demand ? (flush->final ? file.bytes_transferred : file.bytes_durable)
                                     : flush->durable_bytes;
        if (durable > file.bytes_transferred)
            durable = file.bytes_transferred;
        if (durable > file.bytes_durable) {
            file.bytes_durable = durable;
            store_status_t status = store_file_update(jobs->store, &file);
            if (status != STORE_OK)
                store_failure(jobs, job, "record durable bytes", status);
        }
    }
    store_file_clear(&file);
}

void scheduler_on_flushed(void *ctx, uint64_t token, const transfer_flush_t *flush)
{
    struct scheduler *s = ctx;
    jobs_t *jobs = s->jobs;
    store_guid_t job;
    uint32_t index = 0;
    int on_demand = 0;
    if (HR_FAILED(lock_store(jobs)))
        return;
    if (flush_target(s, token, flush->final, &job, &index, &on_demand)) {
        if (HR_FAILED(flush->code)) {
            log_event(LOG_WARN, &job, NULL, "file.flush",
                      "file %u: its bytes could not be flushed to disk (0x%08x: %s); after a restart of "
                      "the machine the bytes not known to be on disk are fetched again",
                      index, (unsigned)flush->code, flush->detail ? flush->detail : "no detail");
        } else {
            record_durable(jobs, &job, index, on_demand, flush);
            if (flush->final) { /* the file, completed meanwhile, is whole on disk */
                store_status_t status = store_unflushed_remove(jobs->store, &job, index);
                if (status != STORE_OK && status != STORE_NOT_FOUND)
                    store_failure(jobs, &job, "forget an unflushed file", status);
            }
        }
    }
    unlock_store(jobs);
}

/* Whether a finished transfer of the job still has its last flush running (s->mu held). */
static int job_flush_pending(struct scheduler *s, const store_guid_t *job)
{
    for (size_t i = 0; i < s->flush_count; i++)
        if (!s->flushes[i].stale && !memcmp(&s->flushes[i].job, job, sizeof *job))
            return 1;
    return 0;
}

void durability_wait_for_job(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    store_job_access_t access;
    if (HR_FAILED(lock_store(jobs)))
        return;
    struct scheduler *s = jobs->scheduler;
    int wait = s && HR_SUCCEEDED(load_job_access(jobs, caller, id, &access)); /* only the job's own callers */
    if (wait) {
        uv_mutex_lock(&s->mu);
        s->waiters++; /* keeps s while the store lock is released */
        uv_mutex_unlock(&s->mu);
    }
    unlock_store(jobs);
    if (!wait)
        return;
    uint64_t deadline = scheduler_now_ms() + DURABILITY_COMPLETE_WAIT_MS;
    uv_mutex_lock(&s->mu);
    for (uint64_t now = scheduler_now_ms(); job_flush_pending(s, id) && !s->engine_closed && now < deadline;
         now = scheduler_now_ms())
        uv_cond_timedwait(&s->ended, &s->mu, (deadline - now) * 1000000u);
    s->waiters--;
    uv_cond_broadcast(&s->ended);
    uv_mutex_unlock(&s->mu);
}

void durability_note_completed(jobs_t *jobs, const store_job_t *job, const store_file_t *file)
{
    if (file->bytes_durable >= file->bytes_transferred)
        return;
    store_unflushed_t row = {job->id, file->index, file->local_name, job->owner_sid,
                             store_now_filetime(), file->bytes_transferred};
    store_status_t status = store_unflushed_put(jobs->store, &row);
    if (status != STORE_OK)
        store_failure(jobs, &job->id, "remember an unflushed file", status);
}

/* ---- start-up --------------------------------------------------------------------------------- */

/* What the recovery says, written to the log once its transaction committed: every line true. */
typedef struct recovery_line {
    store_guid_t job;
    char owner[STORE_SID_MAX];
    const char *event;
    char *text;
} recovery_line_t;

typedef struct recovery_log {
    recovery_line_t *lines;
    size_t count, cap;
} recovery_log_t;

static void __attribute__((format(printf, 5, 6)))
recovery_say(recovery_log_t *log, const store_guid_t *job, const char *owner, const char *event, const char *fmt,
             ...)
{
    if (log->count == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 8;
        recovery_line_t *grown = realloc(log->lines, cap * sizeof *grown);
        if (!grown)
            return; /* the line is lost, not the recovery */
        log->lines = grown;
        log->cap = cap;
    }
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int size = vsnprintf(NULL, 0, fmt, ap);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (text) {
        vsnprintf(text, (size_t)size + 1, fmt, again);
        recovery_line_t *line = &log->lines[log->count++];
        line->job = *job;
        snprintf(line->owner, sizeof line->owner, "%s", owner ? owner : "");
        line->event = event;
        line->text = text;
    }
    va_end(again);
    va_end(ap);
}

static void recovery_write(recovery_log_t *log, int committed)
{
    for (size_t i = 0; i < log->count; i++) {
        if (committed)
            log_event(LOG_WARN, &log->lines[i].job, log->lines[i].owner[0] ? log->lines[i].owner : NULL,
                      log->lines[i].event, "%s", log->lines[i].text);
        free(log->lines[i].text);
    }
    free(log->lines);
}

/* A file whose written bytes may be gone: back to its durable bytes (on demand: to none, its
 * filled ranges are not known durable one by one); a TRANSFERRED job is QUEUED again. */
static store_status_t fall_back(jobs_t *jobs, const store_file_ref_t *ref, recovery_log_t *log)
{
    store_file_t file = {0};
    store_job_t job = {0};
    store_status_t status = store_file_get(jobs->store, &ref->job_id, ref->index, &file);
    if (status == STORE_OK)
        status = store_job_get(jobs->store, &ref->job_id, &job);
    if (status == STORE_OK) {
        uint64_t written = file.bytes_transferred;
        if (job.on_demand && HR_FAILED(demand_mark(jobs, &file, DEMAND_FORGET_FILLED)))
            status = STORE_IO;
        file.bytes_transferred = file.bytes_durable = job.on_demand ? 0 : file.bytes_durable;
        if (status == STORE_OK)
            status = store_file_update(jobs->store, &file);
        int was_transferred = job.state == JOB_STATE_TRANSFERRED;
        if (status == STORE_OK && was_transferred) {
            job.state = JOB_STATE_QUEUED;
            job.transfer_completion_time = 0;
            job.modification_time = store_now_filetime();
            status = store_job_update(jobs->store, &job);
        }
        if (status == STORE_OK)
            recovery_say(log, &job.id, job.owner_sid, "job.recover",
                         "the machine restarted before file %u's last %" PRIu64 " bytes were known to be on "
                         "disk: it is fetched again from byte %" PRIu64 "%s",
                         ref->index, written - file.bytes_transferred, file.bytes_transferred,
                         was_transferred ? " (TRANSFERRED -> QUEUED)" : "");
    }
    store_job_clear(&job);
    store_file_clear(&file);
    return status;
}

static store_status_t fall_back_files(jobs_t *jobs, recovery_log_t *log)
{
    store_file_ref_t *refs = NULL;
    size_t count = 0;
    store_status_t status = store_files_not_durable(jobs->store, &refs, &count);
    for (size_t i = 0; status == STORE_OK && i < count; i++)
        status = fall_back(jobs, &refs[i], log);
    free(refs);
    return status;
}

/* Completed files whose last flush had not ended: after a machine restart each is named (it may
 * be incomplete); after a service restart the system still held their bytes. Forgotten either way. */
static store_status_t settle_unflushed(jobs_t *jobs, int machine_restarted, recovery_log_t *log)
{
    store_unflushed_t *list = NULL;
    size_t count = 0;
    store_status_t status = store_unflushed_list(jobs->store, &list, &count);
    for (size_t i = 0; status == STORE_OK && i < count; i++) {
        if (machine_restarted)
            recovery_say(log, &list[i].job_id, list[i].owner_sid, "file.unflushed",
                         "\"%s\" (%" PRIu64 " bytes, file %u of the job) may be incomplete: it was completed, "
                         "but the machine restarted before all of its bytes were known to be on disk; "
                         "compare it with its source or download it again",
                         list[i].local_name, list[i].bytes, list[i].index);
        status = store_unflushed_remove(jobs->store, &list[i].job_id, list[i].index);
    }
    store_unflushed_free(list, count);
    return status;
}

hr_t durability_recover(jobs_t *jobs)
{
    int64_t before = 0, now = jobs->machine_boot;
    store_status_t status = store_boot_get(jobs->store, &before);
    if (status != STORE_OK && status != STORE_NOT_FOUND)
        return store_failure(jobs, NULL, "read the last boot", status);
    int restarted = status == STORE_OK && !machine_same_boot(before, now);
    int known_boot = status == STORE_OK && !restarted;
    recovery_log_t log = {0};
    status = store_begin(jobs->store);
    if (status == STORE_OK && restarted)
        status = fall_back_files(jobs, &log);
    if (status == STORE_OK)
        status = settle_unflushed(jobs, restarted, &log);
    if (status == STORE_OK && !known_boot) /* the first start of this boot is kept: no write later */
        status = store_boot_set(jobs->store, now);
    status = status == STORE_OK ? store_commit(jobs->store) : (store_rollback(jobs->store), status);
    if (restarted && status == STORE_OK)
        log_service(LOG_INFO, "service.boot", "the machine restarted since the service last started "
                    "(boot at %" PRId64 ", now %" PRId64 "): bytes not known to be on disk are fetched again",
                    before, now);
    recovery_write(&log, status == STORE_OK);
    return status == STORE_OK ? HR_OK : store_failure(jobs, NULL, "recover after a restart", status);
}
