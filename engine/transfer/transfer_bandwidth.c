/* The transfer engine's bandwidth caps: one token bucket for the foreground transfers and one for
 * all others, each refilled at its cap's rate and holding at most a quarter second of it. A write
 * that finds its bucket empty pauses its transfer (CURL_WRITEFUNC_PAUSE: curl keeps the bytes and
 * stops reading the socket, so TCP slows the sender); a timer resumes paused transfers once the
 * debt is repaid. curl's own CURLOPT_MAX_RECV_SPEED_LARGE is not used: with 512 KiB buffers curl
 * reads up to 100 of them in one socket_action on a fast link before it checks the rate. Engine
 * thread only. */
#include "transfer_internal.h"

static int64_t bucket_capacity(const struct bw_bucket *b)
{
    int64_t cap = (int64_t)(b->applied / 4); /* at most a quarter second of burst */
    return cap < 16 * 1024 ? 16 * 1024 : cap;
}

static void bucket_refill(struct bw_bucket *b)
{
    uint64_t now = transfer_now_ms();
    if (now > b->last_ms) {
        b->tokens += (int64_t)(b->applied * (now - b->last_ms) / 1000);
        if (b->tokens > bucket_capacity(b))
            b->tokens = bucket_capacity(b);
        b->last_ms = now;
    }
}

static void resume_paused(transfer_engine_t *e)
{
    transfer_t *next;
    for (transfer_t *t = e->transfers; t; t = next) {
        next = t->next;
        if (t->paused) {
            t->paused = 0;
            /* Delivers the held bytes now: the write callback may pause again, or fail. */
            CURLcode rc = curl_easy_pause(t->easy, CURLPAUSE_CONT);
            if (rc != CURLE_OK || t->failed) {
                transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INTERNAL,
                              "resuming after the bandwidth cap: %s", curl_easy_strerror(rc));
                transfer_engine_finish(e, t);
            }
        }
    }
    transfer_engine_check(e);
}

static void on_bw_timer(uv_timer_t *timer)
{
    transfer_engine_t *e = timer->data;
    for (int i = 0; i < TRANSFER_CAP_COUNT; i++)
        bucket_refill(&e->bw[i]);
    resume_paused(e);
}

int transfer_bandwidth_take(transfer_engine_t *e, transfer_t *t, size_t len)
{
    struct bw_bucket *b = &e->bw[t->flags & TRANSFER_FLAG_FOREGROUND ? TRANSFER_CAP_FOREGROUND
                                                                     : TRANSFER_CAP_BACKGROUND];
    if (!b->applied)
        return 1;
    bucket_refill(b);
    if (b->tokens > 0) {
        b->tokens -= (int64_t)len; /* may go into debt: later writes wait for it */
        return 1;
    }
    t->paused = 1;
    uint64_t wait = (uint64_t)(-b->tokens) * 1000 / b->applied + 1;
    if (!uv_is_active((uv_handle_t *)&e->bw_timer) || uv_timer_get_due_in(&e->bw_timer) > wait)
        uv_timer_start(&e->bw_timer, on_bw_timer, wait, 0);
    return 0;
}

void transfer_bandwidth_apply(transfer_engine_t *e, const uint64_t bandwidth[TRANSFER_CAP_COUNT])
{
    for (int i = 0; i < TRANSFER_CAP_COUNT; i++) {
        struct bw_bucket *b = &e->bw[i];
        b->applied = bandwidth[i];
        b->tokens = b->applied ? bucket_capacity(b) : 0;
        b->last_ms = transfer_now_ms();
    }
    uv_timer_stop(&e->bw_timer);
    resume_paused(e);
}
