/* The transfer engine's bandwidth cap: one token bucket for the whole engine, refilled at the
 * cap's rate, holding at most a quarter second of it. A write that finds the bucket empty pauses
 * its transfer (CURL_WRITEFUNC_PAUSE: curl keeps the bytes and stops reading the socket, so TCP
 * slows the sender); a timer resumes paused transfers once the debt is repaid. curl's own
 * CURLOPT_MAX_RECV_SPEED_LARGE is not used: with 512 KiB buffers curl reads up to 100 of them in
 * one socket_action on a fast link before it checks the rate. Engine thread only. */
#include "transfer_internal.h"

static int64_t bucket_capacity(const transfer_engine_t *e)
{
    int64_t cap = (int64_t)(e->bandwidth_applied / 4); /* at most a quarter second of burst */
    return cap < 16 * 1024 ? 16 * 1024 : cap;
}

static void bucket_refill(transfer_engine_t *e)
{
    uint64_t now = transfer_now_ms();
    if (now > e->bw_last_ms) {
        e->bw_tokens += (int64_t)(e->bandwidth_applied * (now - e->bw_last_ms) / 1000);
        if (e->bw_tokens > bucket_capacity(e))
            e->bw_tokens = bucket_capacity(e);
        e->bw_last_ms = now;
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
    bucket_refill(e);
    resume_paused(e);
}

int transfer_bandwidth_take(transfer_engine_t *e, transfer_t *t, size_t len)
{
    if (!e->bandwidth_applied || (t->flags & TRANSFER_FLAG_UNCAPPED))
        return 1;
    bucket_refill(e);
    if (e->bw_tokens > 0) {
        e->bw_tokens -= (int64_t)len; /* may go into debt: later writes wait for it */
        return 1;
    }
    t->paused = 1;
    uint64_t wait = (uint64_t)(-e->bw_tokens) * 1000 / e->bandwidth_applied + 1;
    if (!uv_is_active((uv_handle_t *)&e->bw_timer) || uv_timer_get_due_in(&e->bw_timer) > wait)
        uv_timer_start(&e->bw_timer, on_bw_timer, wait, 0);
    return 0;
}

void transfer_bandwidth_apply(transfer_engine_t *e, uint64_t bandwidth)
{
    e->bandwidth_applied = bandwidth;
    e->bw_tokens = bandwidth ? bucket_capacity(e) : 0;
    e->bw_last_ms = transfer_now_ms();
    uv_timer_stop(&e->bw_timer);
    resume_paused(e);
}
