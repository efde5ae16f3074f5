/* The checkpoint rule (docs/transfer.md): on_checkpoint(n) only once the first n bytes are on
 * disk. While data flows, the flush (fsync / FlushFileBuffers) runs on libuv's thread pool, on a
 * duplicate of the file's handle, and the engine thread goes on receiving and writing meanwhile
 * (measured under Wine: the 256 flushes of a 1 GiB download held the engine thread ~0.7 s). The
 * engine thread collects the result at the transfer's next write once the flush is over, or from
 * the loop (after_work) when no write comes first; then it records the bytes and calls
 * on_checkpoint. At most one flush per transfer is in flight; the next one starts at the first
 * write after it was collected at which a checkpoint is due, and flushes start at least
 * TRANSFER_CHECKPOINT_SPACING_MS apart: each checkpoint also costs the caller (the service: a
 * SQLite commit), and on a fast link the 4 MiB rule alone asked for one every few milliseconds
 * (measured under Wine: 256 per GiB held the engine thread ~0.35 s; with the spacing a 1 GiB
 * download went from 370-530 MB/s to 550-770 MB/s). The last checkpoint of a transfer waits
 * for the flush in flight, collects it, then flushes the rest on the engine thread. */
#include "transfer_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

struct tflush {
    uv_work_t work;
    transfer_t *t;     /* NULL once collected or dropped */
    tfile_t file;      /* a duplicate of the transfer's handle, closed by the worker */
    uint64_t progress; /* the bytes durable once the flush succeeded */
    hr_t hr;
    char detail[256];
    atomic_int over;   /* set by the worker once hr and detail are final, */
    uv_sem_t done;     /* and then posted */
};

/* Records n bytes as durable and tells the caller. */
static void record_durable(transfer_t *t, uint64_t n)
{
    transfer_engine_t *e = t->engine;
    t->durable = n;
    t->last_checkpoint_ms = transfer_now_ms();
    if (e->cb.on_checkpoint)
        e->cb.on_checkpoint(e->ctx, t->token, n);
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

/* Takes the result of the flush in flight, which is over: the bytes are recorded, or the
 * transfer fails. */
static hr_t collect(transfer_t *t)
{
    struct tflush *f = t->flushing;
    f->t = NULL;
    t->flushing = NULL;
    if (HR_FAILED(f->hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, f->hr, "%s (%s)", f->detail, t->temp_path);
        return f->hr;
    }
    if (f->progress > t->durable)
        record_durable(t, f->progress);
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

/* The loop's side: collects the result unless the engine thread did already, then frees the
 * flush. A file that cannot be flushed ends its transfer, as in the engine's checkpoint tick. */
static void flush_done(uv_work_t *work, int status)
{
    (void)status; /* never cancelled */
    struct tflush *f = work->data;
    transfer_t *t = f->t;
    if (t && HR_FAILED(collect(t)))
        transfer_engine_finish(t->engine, t);
    uv_sem_destroy(&f->done);
    free(f);
}

/* Hands the flush of everything written so far to the thread pool. 0, or -1 when it cannot. */
static int flush_start(transfer_t *t)
{
    char msg[256];
    struct tflush *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (HR_FAILED(tfile_duplicate(&t->file, &f->file, msg, sizeof msg)) ||
        uv_sem_init(&f->done, 0) != 0) {
        tfile_close(&f->file);
        free(f);
        return -1;
    }
    f->t = t;
    f->progress = t->progress;
    f->work.data = f;
    atomic_init(&f->over, 0);
    if (uv_queue_work(&t->engine->loop, &f->work, flush_work, flush_done) != 0) {
        tfile_close(&f->file);
        uv_sem_destroy(&f->done);
        free(f);
        return -1;
    }
    t->flushing = f;
    return 0;
}

/* Flushes: on the thread pool while data flows, else (force, or no hand-off) here and now. */
static hr_t flush(transfer_t *t, int force)
{
    char msg[256];
    hr_t hr = tfile_write_out(&t->file, msg, sizeof msg); /* what the file still buffers */
    if (HR_SUCCEEDED(hr) && !force && flush_start(t) == 0)
        return HR_OK;
    if (HR_SUCCEEDED(hr))
        hr = tfile_sync(&t->file, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return hr;
    }
    record_durable(t, t->progress);
    return HR_OK;
}

/* Due: checkpoint_bytes written or checkpoint_ms passed since the last checkpoint; and the last
 * flush started TRANSFER_CHECKPOINT_SPACING_MS ago (or checkpoint_ms, if shorter) or more. */
static int checkpoint_due(const transfer_t *t, uint64_t now)
{
    const transfer_engine_t *e = t->engine;
    uint64_t spacing = TRANSFER_CHECKPOINT_SPACING_MS;
    if (e->checkpoint_ms < spacing)
        spacing = e->checkpoint_ms;
    return (t->progress - t->durable >= e->checkpoint_bytes ||
            now - t->last_checkpoint_ms >= e->checkpoint_ms) &&
           (!t->last_flush_ms || now - t->last_flush_ms >= spacing);
}

hr_t transfer_checkpoint(transfer_t *t, int force)
{
    if (!t->file.open)
        return HR_OK;
    if (t->flushing && force)
        wait_over(t->flushing);
    if (t->flushing && flush_over(t->flushing)) {
        hr_t hr = collect(t);
        if (HR_FAILED(hr))
            return hr;
    }
    if (t->flushing || t->progress <= t->durable)
        return HR_OK;
    uint64_t now = transfer_now_ms();
    if (!force && !checkpoint_due(t, now))
        return HR_OK;
    t->last_flush_ms = now;
    return flush(t, force);
}

void transfer_checkpoint_drop(transfer_t *t)
{
    if (!t->flushing)
        return;
    wait_over(t->flushing);
    t->flushing->t = NULL;
    t->flushing = NULL;
}
