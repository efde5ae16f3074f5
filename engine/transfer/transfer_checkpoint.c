/* The checkpoint rule (docs/transfer.md "Durability"). Two kinds of report:
 *
 * - on_checkpoint(n): the first n bytes are written to the file (handed to the system: a
 *   restarted service finds them, a restarted machine may not). Due every checkpoint_bytes or
 *   checkpoint_ms while data flows, at least TRANSFER_CHECKPOINT_SPACING_MS apart (each costs
 *   the caller a SQLite commit), and at the end.
 * - on_flushed(n): the first n bytes are on disk (fsync / FlushFileBuffers). While data flows a
 *   flush starts every flush_ms; it runs on libuv's thread pool, on a duplicate of the file's
 *   handle, and the engine thread goes on receiving and writing meanwhile. The transfer's end
 *   does not wait for its last flush: the flush of the rest is handed to the thread pool and
 *   reported after on_done (final set), so a download is not slower than the network because
 *   the disk makes bytes durable more slowly than the system caches them (measured under Wine
 *   on a disk that syncs at ~285 MB/s: a durable end held a 1 GiB download at 340-390 MB/s;
 *   waiting for no flush, at page-cache speed).
 *
 * At most one flush per transfer is in flight: a flush still running at the end is detached
 * with the transfer's last bytes as its tail, flushed when it is over. */
#include "transfer_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

struct tflush {
    uv_work_t work;
    transfer_t *t;     /* the running transfer; NULL once collected, dropped or detached */
    /* detached (the transfer is over): reported to engine->cb.on_flushed under token */
    transfer_engine_t *engine;
    uint64_t token;
    tfile_t tail_file;  /* a duplicate for the bytes written after this flush started */
    uint64_t tail;      /* their end (0: none) */
    tfile_t file;       /* a duplicate of the transfer's handle, closed by the worker */
    uint64_t progress;  /* the bytes durable once the flush succeeded */
    uint64_t durable_before; /* what was durable when it started (reported if it fails) */
    hr_t hr;
    char detail[256];
    atomic_int over;   /* set by the worker once hr and detail are final, */
    uv_sem_t done;     /* and then posted */
};

static void report_flushed(transfer_engine_t *e, uint64_t token, uint64_t durable, hr_t hr,
                           const char *detail, int final)
{
    if (e->cb.on_flushed) {
        transfer_flush_t report = {durable, hr, detail, final};
        e->cb.on_flushed(e->ctx, token, &report);
    }
}

static int flush_over(struct tflush *f)
{
    return atomic_load_explicit(&f->over, memory_order_acquire);
}

/* Blocks until the flush in flight is over: the engine thread then owns its result. */
static void wait_over(struct tflush *f)
{
    if (!flush_over(f))
        uv_sem_wait(&f->done);
}

/* Takes the result of the flush in flight, which is over: the bytes are reported durable, or
 * the transfer fails. */
static hr_t collect(transfer_t *t)
{
    struct tflush *f = t->flushing;
    f->t = NULL;
    t->flushing = NULL;
    if (HR_FAILED(f->hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, f->hr, "%s (%s)", f->detail, t->temp_path);
        return f->hr;
    }
    if (f->progress > t->durable) {
        t->durable = f->progress;
        report_flushed(t->engine, t->token, t->durable, HR_OK, NULL, 0);
    }
    return HR_OK;
}

static void flush_work(uv_work_t *work)
{
    struct tflush *f = work->data;
    f->hr = tfile_sync(&f->file, f->detail, sizeof f->detail);
    tfile_close(&f->file);
    atomic_store_explicit(&f->over, 1, memory_order_release);
    uv_sem_post(&f->done);
}

static struct tflush *queue_flush(transfer_engine_t *e, tfile_t *file, uint64_t progress,
                                  uint64_t durable_before);

/* A detached flush is over (loop thread): its tail is flushed next, or the end is reported. */
static void detached_done(struct tflush *f)
{
    uint64_t durable = HR_SUCCEEDED(f->hr) ? f->progress : f->durable_before;
    struct tflush *next = NULL;
    if (f->tail && HR_SUCCEEDED(f->hr)) {
        next = queue_flush(f->engine, &f->tail_file, f->tail, durable);
        if (next) {
            next->engine = f->engine;
            next->token = f->token;
        }
    }
    tfile_close(&f->tail_file);
    if (next) { /* queued only after a successful flush */
        report_flushed(f->engine, f->token, durable, HR_OK, NULL, 0);
        return;
    }
    report_flushed(f->engine, f->token, durable, f->hr, HR_FAILED(f->hr) ? f->detail : NULL, 1);
}

/* The loop's side: collects the result unless the engine thread did already, reports a detached
 * flush, then frees it. A file that cannot be flushed ends its transfer, as in the engine's
 * checkpoint tick. */
static void flush_done(uv_work_t *work, int status)
{
    (void)status; /* never cancelled */
    struct tflush *f = work->data;
    transfer_t *t = f->t;
    if (t && HR_FAILED(collect(t)))
        transfer_engine_finish(t->engine, t);
    else if (f->engine)
        detached_done(f);
    uv_sem_destroy(&f->done);
    free(f);
}

/* Hands the flush of file (a duplicate, owned from here on even on failure) to the thread pool;
 * NULL when it cannot. */
static struct tflush *queue_flush(transfer_engine_t *e, tfile_t *file, uint64_t progress,
                                  uint64_t durable_before)
{
    struct tflush *f = calloc(1, sizeof *f);
    if (!f || uv_sem_init(&f->done, 0) != 0) {
        tfile_close(file);
        free(f);
        return NULL;
    }
    f->file = *file;
    file->open = 0;
    f->progress = progress;
    f->durable_before = durable_before;
    f->work.data = f;
    atomic_init(&f->over, 0);
    if (uv_queue_work(&e->loop, &f->work, flush_work, flush_done) != 0) {
        tfile_close(&f->file);
        uv_sem_destroy(&f->done);
        free(f);
        return NULL;
    }
    return f;
}

/* A duplicate of the transfer's handle; 0 when it cannot be made. */
static int duplicate(transfer_t *t, tfile_t *out)
{
    char msg[256];
    *out = (tfile_t){0};
    return HR_SUCCEEDED(tfile_duplicate(&t->file, out, msg, sizeof msg));
}

/* Starts the flush of everything written so far on the thread pool (no-op when it cannot: the
 * next one is due at the next checkpoint). */
static void flush_start(transfer_t *t)
{
    tfile_t dup;
    if (duplicate(t, &dup) && (t->flushing = queue_flush(t->engine, &dup, t->progress, t->durable)))
        t->flushing->t = t;
}

/* Reports the bytes written so far after handing what the file still buffers to the system. */
static hr_t record_written(transfer_t *t)
{
    char msg[256];
    hr_t hr = tfile_write_out(&t->file, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return hr;
    }
    transfer_engine_t *e = t->engine;
    t->written = t->progress;
    t->last_checkpoint_ms = t->last_written_ms = transfer_now_ms();
    if (e->cb.on_checkpoint)
        e->cb.on_checkpoint(e->ctx, t->token, t->written);
    return HR_OK;
}

/* Due: checkpoint_bytes written or checkpoint_ms passed since the last checkpoint; and the last
 * one TRANSFER_CHECKPOINT_SPACING_MS ago (or checkpoint_ms, if shorter) or more (measured under
 * Wine: the 4 MiB rule alone asked for one every few milliseconds on a fast link, 256 per GiB,
 * each a SQLite commit in the service). */
static int checkpoint_due(const transfer_t *t, uint64_t now)
{
    const transfer_engine_t *e = t->engine;
    uint64_t spacing = TRANSFER_CHECKPOINT_SPACING_MS;
    if (e->checkpoint_ms < spacing)
        spacing = e->checkpoint_ms;
    return (t->progress - t->written >= e->checkpoint_bytes ||
            now - t->last_checkpoint_ms >= e->checkpoint_ms) &&
           (!t->last_written_ms || now - t->last_written_ms >= spacing);
}

hr_t transfer_checkpoint(transfer_t *t, int force)
{
    if (!t->file.open)
        return HR_OK;
    if (t->flushing && flush_over(t->flushing)) {
        hr_t hr = collect(t);
        if (HR_FAILED(hr))
            return hr;
    }
    uint64_t now = transfer_now_ms();
    if (t->progress > t->written && (force || checkpoint_due(t, now))) {
        hr_t hr = record_written(t);
        if (HR_FAILED(hr))
            return hr;
    }
    if (!force && !t->flushing && t->written > t->durable && now - t->last_flush_ms >= t->engine->flush_ms) {
        t->last_flush_ms = now;
        flush_start(t);
    }
    return HR_OK;
}

int transfer_checkpoint_flush_due(const transfer_t *t)
{
    return t->file.open && !(t->failed && t->result == TRANSFER_FATAL_LOCAL) &&
           (t->flushing || t->written > t->durable);
}

void transfer_checkpoint_detach(transfer_t *t)
{
    struct tflush *f = t->flushing;
    if (f) { /* the rest after it, once it is over */
        t->flushing = NULL;
        f->t = NULL;
        f->engine = t->engine;
        f->token = t->token;
        if (t->written > f->progress && duplicate(t, &f->tail_file))
            f->tail = t->written;
        return;
    }
    tfile_t dup;
    if (duplicate(t, &dup) && (f = queue_flush(t->engine, &dup, t->written, t->durable))) {
        f->engine = t->engine;
        f->token = t->token;
        return;
    }
    report_flushed(t->engine, t->token, t->durable, HR_E_OUTOFMEMORY,
                   "the last flush could not be started (no memory, or no handle for it)", 1);
}

void transfer_checkpoint_drop(transfer_t *t)
{
    if (!t->flushing)
        return;
    wait_over(t->flushing);
    t->flushing->t = NULL;
    t->flushing = NULL;
}
