/* The transfer engine: one thread running a libuv loop that drives curl's multi_socket API.
 * Other threads hand it commands (submit, cancel, bandwidth) through a mutex-protected queue
 * and uv_async_send. curl's sockets are watched with one uv_poll_t each, its timeout with one
 * uv_timer_t (a 0 ms timeout is a 0 ms uv timer, never a socket_action call from inside curl's
 * timer callback). A transfer's life is in transfer_run.c, its HTTP exchanges in
 * transfer_http.c, the bandwidth cap in transfer_bandwidth.c, file I/O in transfer_file.c.
 * See docs/transfer.md. */
#include "transfer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum command_type { CMD_SUBMIT, CMD_CANCEL, CMD_BANDWIDTH };

struct command {
    struct command *next;
    enum command_type type;
    uint64_t token;
    transfer_t *transfer; /* CMD_SUBMIT */
};

struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t sock;
    transfer_engine_t *engine;
};

uint64_t transfer_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

const char *transfer_class_name(transfer_class_t c)
{
    switch (c) {
    case TRANSFER_OK: return "ok";
    case TRANSFER_TRANSIENT: return "transient";
    case TRANSFER_FATAL_REMOTE: return "fatal-remote";
    case TRANSFER_FATAL_LOCAL: return "fatal-local";
    case TRANSFER_CANCELLED: return "cancelled";
    }
    return "?";
}

static char library_version[96];

static void describe_library(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    snprintf(library_version, sizeof library_version, "libcurl %s (%s)", v->version,
             v->ssl_version ? v->ssl_version : "no TLS");
}

const char *transfer_library_version(void)
{
    static uv_once_t once = UV_ONCE_INIT;
    uv_once(&once, describe_library);
    return library_version;
}

/* ---- active tokens (under engine->lock) ----------------------------------------------------- */

static int active_find(transfer_engine_t *e, uint64_t token)
{
    for (size_t i = 0; i < e->active_count; i++)
        if (e->active[i] == token)
            return (int)i;
    return -1;
}

static int active_add(transfer_engine_t *e, uint64_t token)
{
    if (e->active_count == e->active_cap) {
        size_t cap = e->active_cap ? e->active_cap * 2 : 16;
        uint64_t *a = realloc(e->active, cap * sizeof *a);
        if (!a)
            return -1;
        e->active = a;
        e->active_cap = cap;
    }
    e->active[e->active_count++] = token;
    return 0;
}

static void active_remove(transfer_engine_t *e, uint64_t token)
{
    int i = active_find(e, token);
    if (i >= 0)
        e->active[i] = e->active[--e->active_count];
}

/* ---- the engine thread: finishing transfers ------------------------------------------------- */

static void unlink_transfer(transfer_engine_t *e, transfer_t *t)
{
    for (transfer_t **p = &e->transfers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            e->transfer_count--;
            break;
        }
    t->next = NULL;
}

/* Ends a transfer: takes it out of curl, reports its bytes written, reports on_done, hands the
 * flush of the bytes not yet durable to the thread pool, frees it. The flush starts after
 * on_done: the caller's record of the end (the service: a SQLite commit) would otherwise wait
 * for it (ext4's ordered mode writes a file's newly allocated data before the journal commit
 * that an fsync of the database asks for: measured under Wine, TRANSFERRED came 0.2-0.4 s after
 * the end of a 1 GiB download). */
void transfer_engine_finish(transfer_engine_t *e, transfer_t *t)
{
    if (t->in_multi) {
        curl_multi_remove_handle(e->multi, t->easy);
        t->in_multi = 0;
    }
    if (t->file.open && !(t->failed && t->result == TRANSFER_FATAL_LOCAL))
        transfer_checkpoint(t, 1);
    int flush_pending = transfer_checkpoint_flush_due(t);
    unlink_transfer(e, t);

    uv_mutex_lock(&e->lock);
    active_remove(e, t->token);
    uv_mutex_unlock(&e->lock);

    transfer_result_t r = {
        .result = t->failed ? t->result : TRANSFER_OK,
        .code = t->failed ? t->code : HR_OK,
        .http_status = t->status,
        .retry_after_seconds = t->retry_after,
        .written_bytes = t->written,
        .durable_bytes = t->durable,
        .flush_pending = flush_pending,
        .total_size = t->total_size,
        .bytes_received = t->bytes_received,
        .connections = t->connections,
        .duration_ms = t->start_ms ? transfer_now_ms() - t->start_ms : 0,
        .stopping = t->stopping,
        .detail = t->failed ? t->detail : "transfer complete",
        .headers = t->failed && t->code == TRANSFER_HR_HTTP(t->status) && t->hdr ? t->hdr : NULL,
        .error_context = t->failed ? t->error_context : 0,
    };
    if (e->cb.on_done)
        e->cb.on_done(e->ctx, t->token, &r);
    if (flush_pending)
        transfer_checkpoint_detach(t);
    tfile_close(&t->file);
    transfer_free(t);
    if (!e->transfers && e->tick_running) {
        uv_timer_stop(&e->tick);
        e->tick_running = 0;
    }
}

void transfer_engine_check(transfer_engine_t *e)
{
    CURLMsg *msg;
    int pending;
    while ((msg = curl_multi_info_read(e->multi, &pending))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        transfer_t *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(e->multi, easy);
        if (!t)
            continue;
        t->in_multi = 0;
        if (!transfer_request_done(t, rc))
            transfer_engine_finish(e, t);
    }
}

/* ---- curl multi_socket <-> libuv ------------------------------------------------------------ */

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
    sock_ctx_t *s = poll->data;
    transfer_engine_t *e = s->engine;
    int flags = 0, running;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    curl_multi_socket_action(e->multi, s->sock, flags, &running);
    transfer_engine_check(e);
}

static int socket_cb(CURL *easy, curl_socket_t sock, int what, void *userp, void *socketp)
{
    (void)easy;
    transfer_engine_t *e = userp;
    sock_ctx_t *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(e->multi, sock, NULL);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->sock = sock;
        s->engine = e;
        if (uv_poll_init_socket(&e->loop, &s->poll, sock) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(e->multi, sock, s);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *timer)
{
    transfer_engine_t *e = timer->data;
    int running;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    transfer_engine_check(e);
}

/* Never calls curl from here: a due timeout becomes a uv timer (0 ms = next loop iteration). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    transfer_engine_t *e = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&e->curl_timer);
    else
        uv_timer_start(&e->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* file:// copies: one slice per transfer per loop iteration (transfer_local.c). */
static void on_local_idle(uv_idle_t *idle)
{
    transfer_engine_t *e = idle->data;
    int busy = 0;
    transfer_t *next;
    for (transfer_t *t = e->transfers; t; t = next) {
        next = t->next;
        if (!t->local_active)
            continue;
        if (transfer_local_step(t)) {
            busy = 1;
        } else {
            t->local_active = 0;
            transfer_engine_finish(e, t);
        }
    }
    if (!busy)
        uv_idle_stop(idle);
}

void transfer_engine_wake_local(transfer_engine_t *e)
{
    if (!uv_is_active((uv_handle_t *)&e->local_idle))
        uv_idle_start(&e->local_idle, on_local_idle);
}

/* Checkpoints transfers whose bytes have waited checkpoint_ms (a slow source writes rarely). */
static void on_tick(uv_timer_t *timer)
{
    transfer_engine_t *e = timer->data;
    transfer_t *next;
    for (transfer_t *t = e->transfers; t; t = next) {
        next = t->next;
        if (t->failed || !t->file.open)
            continue;
        if (HR_FAILED(transfer_checkpoint(t, 0)))
            transfer_engine_finish(e, t);
    }
}

/* ---- commands ------------------------------------------------------------------------------- */

static transfer_t *find_transfer(transfer_engine_t *e, uint64_t token)
{
    for (transfer_t *t = e->transfers; t; t = t->next)
        if (t->token == token)
            return t;
    return NULL;
}

static void start_transfer(transfer_engine_t *e, transfer_t *t)
{
    t->engine = e;
    t->next = e->transfers;
    e->transfers = t;
    e->transfer_count++;
    if (!e->tick_running) {
        uint64_t period = e->checkpoint_ms < 1000 ? e->checkpoint_ms : 1000;
        uv_timer_start(&e->tick, on_tick, period, period);
        e->tick_running = 1;
    }
    if (transfer_begin(t) < 0) {
        transfer_engine_finish(e, t);
        return;
    }
}

static void cancel_transfer(transfer_engine_t *e, transfer_t *t, int stopping)
{
    /* A cancel wins over an outcome recorded for a request still in flight. */
    t->failed = 0;
    t->stopping = stopping;
    transfer_fail(t, TRANSFER_CANCELLED, TRANSFER_E_CANCELLED, "%s after %llu bytes",
                  stopping ? "cancelled: the transfer engine is stopping" : "cancelled by the caller",
                  (unsigned long long)t->progress);
    transfer_engine_finish(e, t);
}

static struct command *take_queue(transfer_engine_t *e, int *stopping)
{
    uv_mutex_lock(&e->lock);
    struct command *q = e->queue_head;
    e->queue_head = e->queue_tail = NULL;
    *stopping = e->stopping;
    uv_mutex_unlock(&e->lock);
    return q;
}

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, h->type == UV_POLL ? on_sock_closed : NULL);
}

static void run_commands(transfer_engine_t *e, struct command *q, int stopping)
{
    while (q) {
        struct command *c = q;
        q = c->next;
        if (c->type == CMD_SUBMIT) {
            if (stopping) {
                /* Never started: reported cancelled like the running ones. */
                transfer_t *t = c->transfer;
                t->engine = e;
                t->next = e->transfers;
                e->transfers = t;
                e->transfer_count++;
                cancel_transfer(e, t, 1);
            } else {
                start_transfer(e, c->transfer);
            }
        } else if (c->type == CMD_CANCEL) {
            transfer_t *t = find_transfer(e, c->token);
            if (t)
                cancel_transfer(e, t, 0);
        }
        free(c);
    }
}

static void shutdown_engine(transfer_engine_t *e)
{
    int stopping;
    run_commands(e, take_queue(e, &stopping), 1);
    while (e->transfers)
        cancel_transfer(e, e->transfers, 1);
    curl_multi_cleanup(e->multi); /* closes cached connections: socket_cb removes their polls */
    e->multi = NULL;
    uv_walk(&e->loop, close_any, NULL);
}

static void on_async(uv_async_t *async)
{
    transfer_engine_t *e = async->data;
    int stopping;
    struct command *q = take_queue(e, &stopping);
    if (stopping) {
        run_commands(e, q, 1);
        shutdown_engine(e);
        return;
    }
    run_commands(e, q, 0);
    uv_mutex_lock(&e->lock);
    uint64_t bandwidth[TRANSFER_CAP_COUNT];
    memcpy(bandwidth, e->bandwidth, sizeof bandwidth);
    uv_mutex_unlock(&e->lock);
    if (bandwidth[TRANSFER_CAP_BACKGROUND] != e->bw[TRANSFER_CAP_BACKGROUND].applied ||
        bandwidth[TRANSFER_CAP_FOREGROUND] != e->bw[TRANSFER_CAP_FOREGROUND].applied)
        transfer_bandwidth_apply(e, bandwidth);
}

static void engine_thread(void *arg)
{
    transfer_engine_t *e = arg;
    uv_run(&e->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&e->loop) == UV_EBUSY) {
        uv_walk(&e->loop, close_any, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        uv_loop_close(&e->loop);
    }
}

/* ---- public API ----------------------------------------------------------------------------- */

static void free_engine(transfer_engine_t *e)
{
    free(e->user_agent);
    free(e->ca_info);
    free(e->active);
    free(e);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

hr_t transfer_engine_start(const transfer_callbacks_t *cb, void *ctx, const transfer_options_t *opt,
                           transfer_engine_t **out)
{
    if (!out)
        return HR_E_POINTER;
    *out = NULL;
    if (!cb)
        return HR_E_INVALIDARG;
    transfer_options_t defaults = {0};
    if (!opt)
        opt = &defaults;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return HR_E_FAIL;
    transfer_engine_t *e = calloc(1, sizeof *e);
    if (!e) {
        curl_global_cleanup();
        return HR_E_OUTOFMEMORY;
    }
    e->cb = *cb;
    e->ctx = ctx;
    e->user_agent = strdup(opt->user_agent ? opt->user_agent : TRANSFER_DEFAULT_USER_AGENT);
    e->ca_info = dup_or_null(opt->ca_info);
    e->checkpoint_bytes = opt->checkpoint_bytes ? opt->checkpoint_bytes : TRANSFER_DEFAULT_CHECKPOINT_BYTES;
    e->checkpoint_ms = opt->checkpoint_ms ? opt->checkpoint_ms : TRANSFER_DEFAULT_CHECKPOINT_MS;
    e->flush_ms = opt->flush_ms ? opt->flush_ms : TRANSFER_DEFAULT_FLUSH_MS;
    e->verify_tls = opt->verify_tls;
    e->verify_peer = opt->verify_peer;
    e->verify_tls_ctx = opt->verify_tls_ctx;
    if (!e->user_agent || (opt->ca_info && !e->ca_info)) {
        free_engine(e);
        curl_global_cleanup();
        return HR_E_OUTOFMEMORY;
    }

    int stage = 0;
    if (uv_mutex_init(&e->lock) != 0)
        goto fail;
    stage = 1;
    if (uv_loop_init(&e->loop) != 0)
        goto fail;
    stage = 2;
    e->multi = curl_multi_init();
    if (!e->multi || uv_async_init(&e->loop, &e->async, on_async) != 0)
        goto fail;
    e->async.data = e;
    uv_timer_init(&e->loop, &e->curl_timer);
    e->curl_timer.data = e;
    uv_timer_init(&e->loop, &e->tick);
    e->tick.data = e;
    uv_timer_init(&e->loop, &e->bw_timer);
    e->bw_timer.data = e;
    uv_idle_init(&e->loop, &e->local_idle);
    e->local_idle.data = e;
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    if (uv_thread_create(&e->thread, engine_thread, e) != 0)
        goto fail;
    *out = e;
    return HR_OK;

fail:
    if (stage >= 2) {
        if (e->multi)
            curl_multi_cleanup(e->multi);
        uv_walk(&e->loop, close_any, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        uv_loop_close(&e->loop);
    }
    if (stage >= 1)
        uv_mutex_destroy(&e->lock);
    free_engine(e);
    curl_global_cleanup();
    return HR_E_FAIL;
}

void transfer_engine_stop(transfer_engine_t *e)
{
    if (!e)
        return;
    uv_mutex_lock(&e->lock);
    e->stopping = 1;
    uv_async_send(&e->async);
    uv_mutex_unlock(&e->lock);
    uv_thread_join(&e->thread);
    /* Commands cannot arrive after stopping was set; free any the thread did not see. */
    for (struct command *c = e->queue_head, *n; c; c = n) {
        n = c->next;
        if (c->transfer)
            transfer_free(c->transfer);
        free(c);
    }
    uv_mutex_destroy(&e->lock);
    free_engine(e);
    curl_global_cleanup();
}

/* Queues c; the async is sent under the lock, so it never races the handle's close at stop. */
static hr_t enqueue(transfer_engine_t *e, struct command *c)
{
    uv_mutex_lock(&e->lock);
    if (e->stopping) {
        uv_mutex_unlock(&e->lock);
        return DO_E_NO_SERVICE;
    }
    if (c->type == CMD_SUBMIT) {
        if (active_find(e, c->token) >= 0) {
            uv_mutex_unlock(&e->lock);
            return TRANSFER_E_BUSY;
        }
        if (active_add(e, c->token) != 0) {
            uv_mutex_unlock(&e->lock);
            return HR_E_OUTOFMEMORY;
        }
    } else if (c->type == CMD_CANCEL && active_find(e, c->token) < 0) {
        uv_mutex_unlock(&e->lock);
        return HR_FALSE;
    }
    if (e->queue_tail)
        e->queue_tail->next = c;
    else
        e->queue_head = c;
    e->queue_tail = c;
    uv_async_send(&e->async);
    uv_mutex_unlock(&e->lock);
    return HR_OK;
}

hr_t transfer_submit(transfer_engine_t *e, const transfer_request_t *request)
{
    if (!e || !request)
        return HR_E_INVALIDARG;
    transfer_t *t;
    hr_t hr = transfer_new(request, &t);
    if (HR_FAILED(hr))
        return hr;
    struct command *c = calloc(1, sizeof *c);
    if (!c) {
        transfer_free(t);
        return HR_E_OUTOFMEMORY;
    }
    c->type = CMD_SUBMIT;
    c->token = request->token;
    c->transfer = t;
    hr = enqueue(e, c);
    if (hr != HR_OK) {
        transfer_free(t);
        free(c);
    }
    return hr;
}

hr_t transfer_cancel(transfer_engine_t *e, uint64_t token)
{
    if (!e)
        return HR_E_INVALIDARG;
    struct command *c = calloc(1, sizeof *c);
    if (!c)
        return HR_E_OUTOFMEMORY;
    c->type = CMD_CANCEL;
    c->token = token;
    hr_t hr = enqueue(e, c);
    if (hr != HR_OK)
        free(c);
    return hr == DO_E_NO_SERVICE ? HR_FALSE : hr;
}

hr_t transfer_set_bandwidth_limit(transfer_engine_t *e, transfer_cap_t which, uint64_t bytes_per_second)
{
    if (!e || (unsigned)which >= TRANSFER_CAP_COUNT)
        return HR_E_INVALIDARG;
    struct command *c = calloc(1, sizeof *c);
    if (!c)
        return HR_E_OUTOFMEMORY;
    c->type = CMD_BANDWIDTH;
    if (bytes_per_second > TRANSFER_BANDWIDTH_MAX)
        bytes_per_second = 0; /* beyond any link: no cap */
    uv_mutex_lock(&e->lock);
    e->bandwidth[which] = bytes_per_second;
    uv_mutex_unlock(&e->lock);
    hr_t hr = enqueue(e, c);
    if (hr != HR_OK)
        free(c);
    return hr;
}
