/* Native tests of the transfer engine (engine/transfer*.c) against nginx (well-behaved, plus an
 * https server block when openssl is available) and tests/fault_server.py (faults on demand),
 * both on 127.0.0.1 ports chosen at run time, both killed at the end (and with this process:
 * PR_SET_PDEATHSIG, plus a watchdog alarm). Files are random, compared by SHA-256. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../check.h"
#include "transfer.h"
#include "transfer_internal.h"

#include "http_fixture.h"

#define BIG_SIZE (64u * MiB)

static testfile_t f_a = {"a.bin", 1 * MiB, NULL, {0}};      /* 1 MiB */
static testfile_t f_b = {"b.bin", 400000, NULL, {0}};       /* 400 kB */
static testfile_t f_empty = {"empty.bin", 0, NULL, {0}};
static testfile_t f_big = {"big.bin", BIG_SIZE, NULL, {0}};

/* ---- recording the callbacks ------------------------------------------------------------------ */

#define MAX_RECS 256

typedef struct rec {
    int used;
    uint64_t token;
    char temp_path[400];
    const testfile_t *expect;             /* verify durable bytes against it (optional) */
    transfer_range_t ranges[4];
    size_t range_count;
    int responses, restarted;
    int last_status;
    uint64_t last_total, last_body_offset;
    char validator[256];
    char effective_url[256];
    int headers_have_status_line;
    int checkpoints;
    uint64_t last_checkpoint;
    int violations;
    char violation[256];
    int flushes, flush_final;            /* on_flushed reports, the final one seen */
    int flushes_running;                 /* reports before on_done */
    uint64_t last_flushed;
    hr_t flush_code;
    int done;
    transfer_result_t result;
    char detail[1024];
    uint64_t done_ms;
} rec_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static rec_t recs[MAX_RECS];
static uint64_t next_token = 1;
static int tls_hook_calls, tls_hook_refuse;
static uint32_t tls_hook_ignore; /* the ignore bits of its last call */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static rec_t *find_rec(uint64_t token)
{
    for (int i = 0; i < MAX_RECS; i++)
        if (recs[i].used && recs[i].token == token)
            return &recs[i];
    return NULL;
}

/* Do the first p logical bytes in the file equal the expected content? */
static int durable_content_ok(const rec_t *r, uint64_t p)
{
    FILE *f = fopen(r->temp_path, "rb");
    if (!f)
        return 0;
    int ok = 1;
    uint64_t acc = 0;
    size_t count = r->range_count ? r->range_count : 1;
    uint8_t *buf = malloc(64 * KiB);
    for (size_t i = 0; i < count && ok && acc < p; i++) {
        uint64_t off = r->range_count ? r->ranges[i].offset : 0;
        uint64_t len = r->range_count ? r->ranges[i].length : UINT64_MAX;
        uint64_t take = p - acc < len ? p - acc : len;
        if (fseeko(f, (off_t)acc, SEEK_SET) != 0) /* ranges one after another, in range order */
            ok = 0;
        for (uint64_t done = 0; ok && done < take;) {
            size_t chunk = take - done < 64 * KiB ? (size_t)(take - done) : 64 * KiB;
            if (off + done + chunk > r->expect->size || fread(buf, 1, chunk, f) != chunk ||
                memcmp(buf, r->expect->data + off + done, chunk) != 0)
                ok = 0;
            done += chunk;
        }
        acc += take;
    }
    free(buf);
    fclose(f);
    return ok;
}

/* The transfer cancel_token is cancelled as soon as its response (for file://: the opened
 * source) is announced, from the callback, so the cancel reaches the engine while the copy has
 * barely started, however fast or slow the machine is. */
static transfer_engine_t *cancel_engine;
static uint64_t cancel_token;
static uint64_t cancel_at; /* the file's size when it was cancelled */

static void on_response(void *ctx, uint64_t token, const transfer_response_t *resp)
{
    (void)ctx;
    int cancelled = token == cancel_token;
    if (cancelled) {
        transfer_cancel(cancel_engine, token); /* allowed from a callback */
        cancel_token = 0;
    }
    pthread_mutex_lock(&mu);
    rec_t *r = find_rec(token);
    struct stat st;
    if (r && cancelled)
        cancel_at = stat(r->temp_path, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (r) {
        r->responses++;
        r->restarted += resp->restarted;
        r->last_status = resp->status;
        r->last_total = resp->total_size;
        r->last_body_offset = resp->body_offset;
        snprintf(r->validator, sizeof r->validator, "%s", resp->validator ? resp->validator : "");
        snprintf(r->effective_url, sizeof r->effective_url, "%s", resp->effective_url);
        r->headers_have_status_line = strncmp(resp->headers, "HTTP/", 5) == 0;
    }
    pthread_mutex_unlock(&mu);
}


static void on_checkpoint(void *ctx, uint64_t token, uint64_t durable)
{
    (void)ctx;
    pthread_mutex_lock(&mu);
    rec_t *r = find_rec(token);
    if (r) {
        struct stat st;
        uint64_t need = durable; /* ranges too: they lie one after another */
        if (stat(r->temp_path, &st) != 0 || (uint64_t)st.st_size < need) {
            r->violations++;
            snprintf(r->violation, sizeof r->violation, "checkpoint %llu but file size %lld",
                     (ull)durable, (long long)st.st_size);
        } else if (r->expect && r->expect->size <= 4 * MiB && !durable_content_ok(r, durable)) {
            r->violations++;
            snprintf(r->violation, sizeof r->violation, "checkpoint %llu: content differs", (ull)durable);
        } else if (durable != 0 && durable < r->last_checkpoint) {
            r->violations++;
            snprintf(r->violation, sizeof r->violation, "checkpoint went back from %llu to %llu",
                     (ull)r->last_checkpoint, (ull)durable);
        }
        r->checkpoints++;
        r->last_checkpoint = durable;
    }
    pthread_mutex_unlock(&mu);
}

/* A flush never says more is durable than was written, never goes back, and its final report
 * comes once, after on_done and only when the result announced it. */
static void on_flushed(void *ctx, uint64_t token, const transfer_flush_t *flush)
{
    (void)ctx;
    pthread_mutex_lock(&mu);
    rec_t *r = find_rec(token);
    if (r) {
        const char *wrong = flush->durable_bytes > r->last_checkpoint ? "durable beyond the bytes written"
                            : flush->durable_bytes < r->last_flushed  ? "durable bytes went back"
                            : r->flush_final                          ? "a report after the final one"
                            : flush->final && !(r->done && r->result.flush_pending)
                                ? "a final report not announced by on_done"
                                : NULL;
        if (wrong) {
            r->violations++;
            snprintf(r->violation, sizeof r->violation, "flush %llu: %s", (ull)flush->durable_bytes, wrong);
        }
        r->flushes++;
        r->flushes_running += !r->done;
        r->last_flushed = flush->durable_bytes;
        r->flush_code = flush->code;
        r->flush_final |= flush->final;
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
}

static void on_done(void *ctx, uint64_t token, const transfer_result_t *result)
{
    (void)ctx;
    pthread_mutex_lock(&mu);
    rec_t *r = find_rec(token);
    if (r) {
        r->result = *result;
        snprintf(r->detail, sizeof r->detail, "%s", result->detail);
        r->result.detail = r->detail;
        r->done++;
        r->done_ms = now_ms();
        pthread_cond_broadcast(&cv);
    }
    pthread_mutex_unlock(&mu);
}

static hr_t tls_hook(void *ctx, void *curl_easy, const char *url, uint32_t ignore)
{
    (void)ctx;
    pthread_mutex_lock(&mu);
    int refuse = tls_hook_refuse;
    tls_hook_calls++;
    tls_hook_ignore = ignore;
    pthread_mutex_unlock(&mu);
    char *scheme = NULL;
    curl_easy_getinfo((CURL *)curl_easy, CURLINFO_SCHEME, &scheme);
    if (!scheme || strncmp(url, "https:", 6) != 0)
        return (hr_t)0x80004005; /* the hook must only see https */
    return refuse ? (hr_t)0x800B010A : HR_OK;
}

/* verify_peer: counts its calls and the last tag; refuses a tag starting with "refuse" with
 * 0x80EC0001, transient, context 8. */
static int peer_hook_calls;
static char peer_hook_tag[64];

static hr_t peer_hook(void *ctx, void *curl_easy, const char *url, const char *tag, int *transient, int32_t *context)
{
    (void)ctx, (void)curl_easy, (void)url;
    pthread_mutex_lock(&mu);
    peer_hook_calls++;
    snprintf(peer_hook_tag, sizeof peer_hook_tag, "%s", tag);
    pthread_mutex_unlock(&mu);
    if (strncmp(tag, "refuse", 6))
        return HR_OK;
    *transient = 1;
    *context = 8;
    return (hr_t)0x80EC0001;
}

static const transfer_callbacks_t callbacks = {on_response, on_checkpoint, on_done, on_flushed};

static rec_t *new_rec(const char *temp_name, const testfile_t *expect)
{
    pthread_mutex_lock(&mu);
    rec_t *r = NULL;
    for (int i = 0; i < MAX_RECS && !r; i++)
        if (!recs[i].used)
            r = &recs[i];
    memset(r, 0, sizeof *r);
    r->used = 1;
    r->token = next_token++;
    snprintf(r->temp_path, sizeof r->temp_path, "%s/%s", dir, temp_name);
    r->expect = expect;
    pthread_mutex_unlock(&mu);
    return r;
}

static int wait_done(rec_t *r, int timeout_ms);
static int wait_flushed(rec_t *r, int timeout_ms);

/* Re-arms a record for another submit of the same token (keeps the temp file), once the last
 * flush of the earlier submit was reported (the service never reuses a token). */
static void rearm(rec_t *r)
{
    wait_flushed(r, 10000);
    pthread_mutex_lock(&mu);
    r->done = 0;
    r->responses = r->restarted = 0;
    r->last_checkpoint = 0;
    r->flushes = r->flush_final = r->flushes_running = 0;
    r->last_flushed = 0;
    r->flush_code = HR_OK;
    pthread_mutex_unlock(&mu);
}

/* Waits for the final flush report a finished transfer announced; 1 when all of its written
 * bytes are then durable (or none was announced and they already were). */
static int wait_flushed(rec_t *r, int timeout_ms)
{
    uint64_t until = now_ms() + (uint64_t)timeout_ms;
    pthread_mutex_lock(&mu);
    while (r->result.flush_pending && !r->flush_final && now_ms() < until) {
        pthread_mutex_unlock(&mu);
        usleep(5000);
        pthread_mutex_lock(&mu);
    }
    uint64_t durable = r->result.flush_pending ? r->last_flushed : r->result.durable_bytes;
    int whole = (!r->result.flush_pending || (r->flush_final && r->flush_code == HR_OK)) &&
                durable == r->result.written_bytes;
    pthread_mutex_unlock(&mu);
    return whole;
}

static int wait_done(rec_t *r, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while (!r->done && pthread_cond_timedwait(&cv, &mu, &ts) == 0)
        ;
    int done = r->done;
    pthread_mutex_unlock(&mu);
    return done;
}

typedef struct req_opts {
    uint64_t offset_done;
    const char *validator;
    const transfer_range_t *ranges;
    size_t range_count;
    int32_t max_redirects;       /* 0 here means the default; -2: no redirects */
    uint32_t low_speed_limit, low_speed_time_s;
    const char *temp_path;       /* overrides the record's */
    transfer_auth_t server_auth;
    uint32_t flags;              /* TRANSFER_FLAG_* */
    const char *tls_tag;
    uint32_t tls_ignore;         /* TRANSFER_TLS_IGNORE_* */
} req_opts_t;

static hr_t submit(transfer_engine_t *e, rec_t *r, const char *url, const req_opts_t *o)
{
    static const req_opts_t none;
    if (!o)
        o = &none;
    transfer_request_t q;
    transfer_request_init(&q);
    q.token = r->token;
    q.url = url;
    if (o->temp_path)
        snprintf(r->temp_path, sizeof r->temp_path, "%s", o->temp_path);
    q.temp_path = r->temp_path;
    q.offset_done = o->offset_done;
    pthread_mutex_lock(&mu);
    r->last_checkpoint = o->offset_done; /* written by an earlier submit */
    pthread_mutex_unlock(&mu);
    q.validator = o->validator;
    q.ranges = o->ranges;
    q.range_count = o->range_count;
    q.server_auth = o->server_auth;
    q.flags |= o->flags;
    q.tls_tag = o->tls_tag;
    q.tls_ignore = o->tls_ignore;
    q.custom_headers = "X-Opendo-Test: 1\r\nRange: bytes=5-6\r\n";
    if (o->max_redirects)
        q.max_redirects = o->max_redirects == -2 ? 0 : o->max_redirects;
    if (o->low_speed_time_s) {
        q.low_speed_limit = o->low_speed_limit;
        q.low_speed_time_s = o->low_speed_time_s;
    }
    pthread_mutex_lock(&mu);
    r->range_count = o->range_count;
    if (o->range_count)
        memcpy(r->ranges, o->ranges, o->range_count * sizeof *o->ranges);
    pthread_mutex_unlock(&mu);
    return transfer_submit(e, &q);
}

/* Submits and waits for on_done (30 s at most). */
static rec_t *run(transfer_engine_t *e, rec_t *r, const char *url, const req_opts_t *o)
{
    rearm(r);
    hr_t hr = submit(e, r, url, o);
    if (hr != HR_OK) {
        printf("#   submit of %s failed: 0x%08lx\n", url, (unsigned long)(uint32_t)hr);
        r->result.result = TRANSFER_CANCELLED;
        r->result.code = hr;
        return r;
    }
    if (!wait_done(r, 30000))
        printf("#   %s: no on_done within 30 s\n", url);
    return r;
}

static char *url_of(char *buf, size_t size, int port, const char *path)
{
    snprintf(buf, size, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

static int file_matches(const char *path, const testfile_t *f)
{
    uint8_t h[32];
    uint64_t size;
    return sha256_file(path, h, &size) == 0 && size == f->size && memcmp(h, f->hash, 32) == 0;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static void show(const rec_t *r)
{
    printf("#   result %s code 0x%08lx http %d durable %llu received %llu conns %u: %s\n",
           transfer_class_name(r->result.result), (unsigned long)(uint32_t)r->result.code,
           r->result.http_status, (ull)r->result.written_bytes, (ull)r->result.bytes_received,
           r->result.connections, r->detail);
    if (r->violations)
        printf("#   checkpoint violation: %s\n", r->violation);
}

static int check_result(const rec_t *r, transfer_class_t cls, hr_t code, const char *name)
{
    int ok = r->done == 1 && r->result.result == cls && r->result.code == code;
    if (!CHECK(ok, name))
        show(r);
    else if (cls != TRANSFER_OK)
        printf("#   detail: %s\n", r->detail);
    return ok;
}

static void check_ok_file(const rec_t *r, const testfile_t *f, const char *name)
{
    char n[256];
    int ok = r->done == 1 && r->result.result == TRANSFER_OK && r->result.code == HR_OK &&
             file_matches(r->temp_path, f) && r->result.written_bytes == f->size &&
             r->result.total_size == f->size && wait_flushed((rec_t *)r, 10000) && r->violations == 0;
    snprintf(n, sizeof n, "%s: ok, SHA-256 matches, all bytes written, then flushed", name);
    if (!CHECK(ok, n))
        show(r);
}

/* Writes the first len bytes of f (or garbage) into path: a durable prefix from an earlier try. */
static void prefill(const char *path, const testfile_t *f, size_t len)
{
    write_file(path, f->data, len);
}

/* ---- the tests ------------------------------------------------------------------------------ */

static transfer_engine_t *eng; /* small checkpoints (64 KiB) to see many of them */

static void test_api(void)
{
    transfer_request_t q;
    transfer_request_init(&q);
    CHECK(q.max_redirects == TRANSFER_DEFAULT_MAX_REDIRECTS && q.connect_timeout_s > 0,
          "api: transfer_request_init sets defaults");
    q.token = 999999;
    q.temp_path = "/tmp/x";
    CHECK_HR(transfer_submit(eng, &q), HR_E_INVALIDARG, "api: no URL is refused");
    q.url = "ftp://127.0.0.1/x";
    CHECK_HR(transfer_submit(eng, &q), HR_E_INVALIDARG, "api: ftp:// is refused");
    q.url = "http://127.0.0.1/x";
    transfer_range_t overlap[2] = {{0, 100}, {50, 10}};
    q.ranges = overlap;
    q.range_count = 2;
    CHECK_HR(transfer_submit(eng, &q), HR_E_INVALIDARG, "api: overlapping ranges are refused");
    transfer_range_t eof_first[2] = {{0, TRANSFER_TO_EOF}, {500, 10}};
    q.ranges = eof_first;
    CHECK_HR(transfer_submit(eng, &q), HR_E_INVALIDARG, "api: a to-EOF range must be last");
    transfer_range_t ok_ranges[1] = {{0, 10}};
    q.ranges = ok_ranges;
    q.range_count = 1;
    q.offset_done = 11;
    CHECK_HR(transfer_submit(eng, &q), HR_E_INVALIDARG, "api: offset_done past the ranges is refused");
    CHECK_HR(transfer_cancel(eng, 424242), HR_FALSE, "api: cancel of an unknown token gives S_FALSE");
    CHECK(strcmp(transfer_class_name(TRANSFER_FATAL_LOCAL), "fatal-local") == 0, "api: class names");
}

static void test_whole_files(void)
{
    char url[256];
    rec_t *r = run(eng, new_rec("a1.tmp", &f_a), url_of(url, sizeof url, nginx_port, "/a.bin"), NULL);
    check_ok_file(r, &f_a, "nginx 1 MiB");
    CHECK(r->responses == 1 && r->last_status == 200 && r->last_total == f_a.size &&
              r->validator[0] == '"' && r->headers_have_status_line && !r->restarted,
          "nginx 1 MiB: on_response has status 200, size, ETag, header text");
    /* The flush of a checkpoint runs in the background; the next one starts once it is over and
     * 100 ms after it started, so on a fast source a checkpoint covers more than checkpoint_bytes. */
    CHECK(r->checkpoints >= 2 && r->last_checkpoint == f_a.size,
          "nginx 1 MiB: checkpoints while the data flows (64 KiB due) and at the end");
    CHECK(r->result.bytes_received == f_a.size && r->result.connections == 1,
          "nginx 1 MiB: statistics (bytes received, one connection)");

    r = run(eng, new_rec("empty.tmp", &f_empty), url_of(url, sizeof url, nginx_port, "/empty.bin"), NULL);
    check_ok_file(r, &f_empty, "nginx 0-byte file");
    CHECK(file_size(r->temp_path) == 0 && r->last_total == 0, "0-byte file: temp file exists, size 0");

    /* A stale, longer temp file from an earlier attempt is cut to the real size. */
    rec_t *s = new_rec("stale.tmp", &f_b);
    uint8_t *junk = malloc(f_b.size + 5000);
    memset(junk, 'x', f_b.size + 5000);
    write_file(s->temp_path, junk, f_b.size + 5000);
    free(junk);
    run(eng, s, url_of(url, sizeof url, nginx_port, "/b.bin"), NULL);
    check_ok_file(s, &f_b, "fresh download over a longer stale temp file");

    r = run(eng, new_rec("chunked.tmp", &f_b), url_of(url, sizeof url, fault_port, "/chunked/b.bin"), NULL);
    check_ok_file(r, &f_b, "chunked body (size unknown until the end)");
    CHECK(r->last_total == TRANSFER_SIZE_UNKNOWN, "chunked body: on_response says size unknown");
}

static void test_resume(void)
{
    char url[256];
    ull req0, bytes0, req1, bytes1;
    /* Learn the fault server's validator with a first full download. */
    rec_t *first = run(eng, new_rec("v.tmp", &f_a), url_of(url, sizeof url, fault_port, "/file/a.bin"), NULL);
    check_ok_file(first, &f_a, "fault server /file 1 MiB");
    char validator[256];
    snprintf(validator, sizeof validator, "%s", first->validator);

    rec_t *r = new_rec("resume.tmp", &f_a);
    prefill(r->temp_path, &f_a, 300000);
    fault_stats("/file/a.bin", &req0, &bytes0);
    req_opts_t o = {.offset_done = 300000, .validator = validator};
    run(eng, r, url, &o);
    fault_stats("/file/a.bin", &req1, &bytes1);
    check_ok_file(r, &f_a, "resume at 300000 with If-Range");
    CHECK(r->last_status == 206 && !r->restarted && r->last_body_offset == 300000,
          "resume: 206 written at offset 300000, no restart");
    if (!CHECK(req1 - req0 == 1 && bytes1 - bytes0 == f_a.size - 300000,
               "resume: the server sent only the missing bytes"))
        printf("#   %llu requests, %llu bytes\n", req1 - req0, bytes1 - bytes0);

    /* Same against nginx, with its ETag. */
    rec_t *n = run(eng, new_rec("n.tmp", &f_a), url_of(url, sizeof url, nginx_port, "/a.bin"), NULL);
    snprintf(validator, sizeof validator, "%s", n->validator);
    prefill(n->temp_path, &f_a, 777777);
    o = (req_opts_t){.offset_done = 777777, .validator = validator};
    run(eng, n, url, &o);
    check_ok_file(n, &f_a, "nginx resume at 777777 with If-Range");
    CHECK(n->result.bytes_received == f_a.size - 777777 && n->last_status == 206,
          "nginx resume: only the missing bytes received");

    /* Resuming exactly at the end: 416 with the same size means complete. */
    o = (req_opts_t){.offset_done = f_a.size, .validator = validator};
    run(eng, n, url, &o);
    check_ok_file(n, &f_a, "resume at the end of the file (416)");
    CHECK(n->result.bytes_received == 0, "resume at the end: nothing fetched");

    /* The temp file holds fewer bytes than offset_done: restart from zero. */
    rec_t *sh = new_rec("short.tmp", &f_b);
    prefill(sh->temp_path, &f_b, 1000);
    o = (req_opts_t){.offset_done = 200000, .validator = "\"whatever\""};
    run(eng, sh, url_of(url, sizeof url, nginx_port, "/b.bin"), &o);
    check_ok_file(sh, &f_b, "temp file shorter than offset_done");
    CHECK(sh->restarted == 1, "short temp file: on_response reports the restart");

    /* Changed ETag: the If-Range does not match, 200 restarts the file from zero. */
    rec_t *et = new_rec("etag.tmp", &f_a);
    prefill(et->temp_path, &f_a, 300000);
    fault_stats("/etag-change/a.bin", &req0, &bytes0);
    o = (req_opts_t){.offset_done = 300000, .validator = "\"changed-0\""};
    run(eng, et, url_of(url, sizeof url, fault_port, "/etag-change/a.bin"), &o);
    fault_stats("/etag-change/a.bin", &req1, &bytes1);
    check_ok_file(et, &f_a, "ETag changed");
    CHECK(et->restarted == 1 && et->last_status == 200 && strncmp(et->validator, "\"changed-", 9) == 0,
          "ETag changed: restart flagged in on_response with the new validator");
    CHECK(bytes1 - bytes0 == f_a.size && et->result.bytes_received == f_a.size,
          "ETag changed: the whole file was fetched again");

    /* A server that honours Range but ignores If-Range, and the content changed: the 206's
     * ETag differs from the If-Range sent, so the file restarts from zero. */
    rec_t *ig = new_rec("ignore-if-range.tmp", &f_b);
    prefill(ig->temp_path, &f_b, 100000);
    o = (req_opts_t){.offset_done = 100000, .validator = "\"ignored-0\""};
    run(eng, ig, url_of(url, sizeof url, fault_port, "/ignore-if-range/b.bin"), &o);
    check_ok_file(ig, &f_b, "server ignoring If-Range, content changed");
    CHECK(ig->restarted == 1 && ig->last_status == 200,
          "ignored If-Range: the mismatching 206 was refused and the file restarted");

    /* No range support: 200 to a Range request, restart from zero. */
    rec_t *nr = new_rec("norange.tmp", &f_a);
    prefill(nr->temp_path, &f_a, 500000);
    snprintf(validator, sizeof validator, "%s", first->validator);
    o = (req_opts_t){.offset_done = 500000, .validator = validator};
    run(eng, nr, url_of(url, sizeof url, fault_port, "/norange/a.bin"), &o);
    check_ok_file(nr, &f_a, "server without range support");
    CHECK(nr->restarted == 1 && nr->result.bytes_received == f_a.size,
          "no range support: restarted from zero, whole file fetched");
}

static void test_ranges(void)
{
    char url[256];
    ull req0, bytes0, req1, bytes1;
    transfer_range_t two[2] = {{100000, 50000}, {700000, TRANSFER_TO_EOF}};
    rec_t *r = new_rec("ranges.tmp", &f_a);
    fault_stats("/file/a.bin", &req0, &bytes0);
    req_opts_t o = {.ranges = two, .range_count = 2};
    run(eng, r, url_of(url, sizeof url, fault_port, "/file/a.bin"), &o);
    fault_stats("/file/a.bin", &req1, &bytes1);
    uint64_t want = 50000 + (f_a.size - 700000);
    int ok = check_result(r, TRANSFER_OK, HR_OK, "two ranges: ok");
    CHECK(ok && durable_content_ok(r, want) && r->result.written_bytes == want &&
              file_size(r->temp_path) == want && r->violations == 0,
          "two ranges: the ranges one after another (BITS layout), all durable, checkpoints valid");
    if (!CHECK(req1 - req0 == 2 && bytes1 - bytes0 == want, "two ranges: only those bytes fetched"))
        printf("#   %llu requests, %llu bytes (want 2, %llu)\n", req1 - req0, bytes1 - bytes0, (ull)want);
    CHECK(r->result.connections <= 1 && r->responses == 2 && r->last_status == 206 &&
              r->last_total == f_a.size,
          "two ranges: at most one new connection, one on_response per range with the file size");

    /* Resume inside the second range. */
    transfer_range_t fixed[2] = {{100000, 50000}, {700000, 200000}};
    rec_t *rr = new_rec("ranges-resume.tmp", &f_a);
    FILE *f = fopen(rr->temp_path, "wb");
    fwrite(f_a.data + 100000, 1, 50000, f);
    fwrite(f_a.data + 700000, 1, 120000, f);
    fclose(f);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/file/a.bin", fault_port);
    fault_stats("/file/a.bin", &req0, &bytes0);
    o = (req_opts_t){.ranges = fixed, .range_count = 2, .offset_done = 50000 + 120000};
    run(eng, rr, url, &o);
    fault_stats("/file/a.bin", &req1, &bytes1);
    ok = check_result(rr, TRANSFER_OK, HR_OK, "ranged resume inside the second range: ok");
    CHECK(ok && durable_content_ok(rr, 250000) && rr->result.written_bytes == 250000,
          "ranged resume: content of both ranges correct");
    CHECK(req1 - req0 == 1 && bytes1 - bytes0 == 80000, "ranged resume: only the missing 80000 bytes fetched");

    /* nginx, three small ranges. */
    transfer_range_t three[3] = {{0, 1000}, {524288, 4096}, {1048000, 576}};
    rec_t *ng = new_rec("ranges-nginx.tmp", &f_a);
    o = (req_opts_t){.ranges = three, .range_count = 3};
    run(eng, ng, url_of(url, sizeof url, nginx_port, "/a.bin"), &o);
    ok = check_result(ng, TRANSFER_OK, HR_OK, "nginx three ranges: ok");
    CHECK(ok && durable_content_ok(ng, 1000 + 4096 + 576) && ng->result.bytes_received == 1000 + 4096 + 576,
          "nginx three ranges: right bytes, nothing more fetched");

    /* Ranges against a server that ignores Range. */
    rec_t *nr = new_rec("ranges-norange.tmp", &f_a);
    o = (req_opts_t){.ranges = two, .range_count = 2};
    run(eng, nr, url_of(url, sizeof url, fault_port, "/norange/a.bin"), &o);
    check_result(nr, TRANSFER_FATAL_REMOTE, DO_E_INSUFFICIENT_RANGE_SUPPORT,
                 "ranges on a server without range support: DO_E_INSUFFICIENT_RANGE_SUPPORT");
    CHECK(file_size(nr->temp_path) == 0, "ranges without range support: nothing written");

    /* Ranges past the end of the file. */
    transfer_range_t past[1] = {{1048000, 10000}};
    rec_t *p = new_rec("ranges-past.tmp", &f_a);
    o = (req_opts_t){.ranges = past, .range_count = 1};
    run(eng, p, url_of(url, sizeof url, nginx_port, "/a.bin"), &o);
    check_result(p, TRANSFER_FATAL_REMOTE, DO_E_INVALID_RANGE, "range running past the end: DO_E_INVALID_RANGE");
    transfer_range_t beyond[1] = {{2 * MiB, 10}};
    rec_t *b = new_rec("ranges-beyond.tmp", &f_a);
    o = (req_opts_t){.ranges = beyond, .range_count = 1};
    run(eng, b, url, &o);
    check_result(b, TRANSFER_FATAL_REMOTE, DO_E_INVALID_RANGE, "range starting past the end (416): DO_E_INVALID_RANGE");

    /* Ranges where the content changes between requests: restart, then it keeps changing. */
    rec_t *ec = new_rec("ranges-etag.tmp", &f_a);
    o = (req_opts_t){.ranges = fixed, .range_count = 2};
    run(eng, ec, url_of(url, sizeof url, fault_port, "/etag-change/a.bin"), &o);
    check_result(ec, TRANSFER_FATAL_REMOTE, DO_E_INSUFFICIENT_RANGE_SUPPORT,
                 "ranges on a file that changes on every request: fails after bounded restarts");
    CHECK(ec->restarted >= 1, "changing ranged file: restarts reported in on_response");
}

static void test_http_errors(void)
{
    char url[256];
    rec_t *r = run(eng, new_rec("404.tmp", NULL), url_of(url, sizeof url, nginx_port, "/missing.bin"), NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190194, "nginx 404: fatal remote 0x80190194");
    CHECK(file_size(r->temp_path) == 0 && r->responses == 0, "404: the error page is not in the temp file");
    CHECK(strstr(r->detail, "404") != NULL, "404: the detail explains it");
    r = run(eng, new_rec("s404.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/404"), NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190194, "fault 404: fatal remote 0x80190194");
    CHECK(file_size(r->temp_path) == 0, "fault 404: nothing written");
    r = run(eng, new_rec("403.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/403"), NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190193, "403: fatal remote 0x80190193");
    r = run(eng, new_rec("500.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/500"), NULL);
    check_result(r, TRANSFER_TRANSIENT, (hr_t)0x801901F4, "500: transient 0x801901F4");
    CHECK(file_size(r->temp_path) == 0, "500: nothing written");
    r = run(eng, new_rec("408.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/408"), NULL);
    check_result(r, TRANSFER_TRANSIENT, (hr_t)0x80190198, "408: transient");
    r = run(eng, new_rec("429.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/429"), NULL);
    check_result(r, TRANSFER_TRANSIENT, (hr_t)0x801901AD, "429: transient");
    r = run(eng, new_rec("204.tmp", NULL), url_of(url, sizeof url, fault_port, "/status/204"), NULL);
    check_result(r, TRANSFER_TRANSIENT, DO_E_UNEXPECTED_HTTP_STATUS_2XX, "204: unexpected 2xx, transient");

    r = new_rec("flaky.tmp", &f_b);
    run(eng, r, url_of(url, sizeof url, fault_port, "/flaky/1/b.bin"), NULL);
    check_result(r, TRANSFER_TRANSIENT, (hr_t)0x801901F4, "flaky: first attempt transient (500)");
    run(eng, r, url, NULL);
    check_ok_file(r, &f_b, "flaky: resubmitted");

    r = new_rec("retry-after.tmp", &f_b);
    run(eng, r, url_of(url, sizeof url, fault_port, "/retry-after/2/b.bin"), NULL);
    check_result(r, TRANSFER_TRANSIENT, (hr_t)0x801901F7, "503: transient 0x801901F7");
    CHECK(r->result.retry_after_seconds == 2, "503: Retry-After: 2 reported");
    run(eng, r, url, NULL);
    check_ok_file(r, &f_b, "503: resubmitted");
}

/* Retry-After as the engine reads it, without a server: seconds, or a date from now on. */
static void test_retry_after_values(void)
{
    CHECK(transfer_parse_retry_after("120") == 120 && transfer_parse_retry_after(NULL) == 0,
          "Retry-After: seconds, or none");
    CHECK(transfer_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0, "Retry-After: a past date is 0");
    /* found by fuzz_http_response: 2900 - now in seconds wrapped around 32 bits */
    CHECK(transfer_parse_retry_after("Fri, 31 Dec 2900 23:59:59 GMT") == UINT32_MAX,
          "Retry-After: a date beyond 32 bits of seconds waits the longest delay");
}

static void test_network_errors(void)
{
    char url[256];
    ull req0, bytes0, req1, bytes1;
    /* Dropped connection mid-body: transient, resumed from the last checkpoint each time. */
    rec_t *r = new_rec("drop.tmp", &f_b);
    url_of(url, sizeof url, fault_port, "/drop/100000/b.bin");
    fault_stats("/drop/100000/b.bin", &req0, &bytes0);
    run(eng, r, url, NULL);
    check_result(r, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                 "dropped connection: transient DO_E_HTTP_BLOCKSIZE_MISMATCH");
    CHECK(r->result.written_bytes == 100000 && r->last_checkpoint == 100000 && r->violations == 0,
          "dropped connection: the 100000 bytes received are durable");
    int rounds = 1;
    char validator[256];
    while (r->result.result == TRANSFER_TRANSIENT && rounds < 10) {
        snprintf(validator, sizeof validator, "%s", r->validator);
        req_opts_t o = {.offset_done = r->result.written_bytes, .validator = validator};
        run(eng, r, url, &o);
        rounds++;
    }
    fault_stats("/drop/100000/b.bin", &req1, &bytes1);
    check_ok_file(r, &f_b, "dropped connection: resubmitted from the checkpoint until done");
    CHECK(rounds == 4 && req1 - req0 == 4 && bytes1 - bytes0 == f_b.size,
          "dropped connection: 4 rounds, no byte fetched twice");

    r = run(eng, new_rec("badlength.tmp", &f_b), url_of(url, sizeof url, fault_port, "/badlength/b.bin"), NULL);
    check_result(r, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                 "Content-Length larger than the body: transient DO_E_HTTP_BLOCKSIZE_MISMATCH");

    int closed = free_port();
    r = run(eng, new_rec("refused.tmp", NULL), url_of(url, sizeof url, closed, "/x"), NULL);
    check_result(r, TRANSFER_TRANSIENT, TRANSFER_E_CANNOT_CONNECT, "connection refused: transient 0x80072EFD");
    CHECK(strstr(r->detail, "curl error 7") != NULL, "connection refused: detail has curl's explanation");

    r = run(eng, new_rec("resolve.tmp", NULL), "http://no-such-host.invalid/x", NULL);
    CHECK(r->done && r->result.result == TRANSFER_TRANSIENT, "unresolvable host: transient");

    r = new_rec("timeout.tmp", &f_b);
    req_opts_t o = {.low_speed_limit = 100000, .low_speed_time_s = 1};
    uint64_t t0 = now_ms();
    run(eng, r, url_of(url, sizeof url, fault_port, "/slow/b.bin"), &o);
    check_result(r, TRANSFER_TRANSIENT, TRANSFER_E_TIMEOUT, "too slow (low-speed limit): transient timeout");
    CHECK(now_ms() - t0 < 5000 && r->violations == 0, "too slow: gave up within the limit, checkpoints valid");
}

static void test_redirects(void)
{
    char url[256];
    rec_t *r = run(eng, new_rec("redir.tmp", &f_b), url_of(url, sizeof url, fault_port, "/redirect/3/b.bin"), NULL);
    check_ok_file(r, &f_b, "redirect chain of 3");
    CHECK(strstr(r->effective_url, "/redirect/0/b.bin") != NULL, "redirect chain: effective URL reported");

    ull req0, bytes0, req1, bytes1;
    fault_stats("/redirect-loop", &req0, &bytes0);
    r = new_rec("loop.tmp", NULL);
    req_opts_t o = {.max_redirects = 5};
    run(eng, r, url_of(url, sizeof url, fault_port, "/redirect-loop"), &o);
    fault_stats("/redirect-loop", &req1, &bytes1);
    check_result(r, TRANSFER_FATAL_REMOTE, TRANSFER_E_REDIRECT_FAILED,
                 "redirect loop: fatal remote ERROR_HTTP_REDIRECT_FAILED");
    CHECK(req1 - req0 == 6 && file_size(r->temp_path) == 0, "redirect loop: bounded (5 hops), nothing written");

    o = (req_opts_t){.max_redirects = -2};
    r = run(eng, new_rec("noredir.tmp", NULL), url_of(url, sizeof url, fault_port, "/redirect/1/b.bin"), &o);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x8019012E, "redirects disabled: 302 is fatal 0x8019012E");
}

/* Server credentials (nginx /private/: Basic, alice / s3cret). */
static void test_credentials(void)
{
    char url[300];
    url_of(url, sizeof url, nginx_port, "/private/b.bin");
    rec_t *r = run(eng, new_rec("none.tmp", NULL), url, NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190191, "no credentials: 401 is fatal 0x80190191");
    req_opts_t o = {.server_auth = {"alice", "wrong", TRANSFER_AUTH_BASIC}};
    r = run(eng, new_rec("wrong.tmp", NULL), url, &o);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190191, "a wrong password: 401");
    o.server_auth.password = "s3cret";
    o.server_auth.schemes = TRANSFER_AUTH_NTLM;
    r = run(eng, new_rec("scheme.tmp", NULL), url, &o);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x80190191, "the right password for another scheme only: 401");
    o.server_auth.schemes = TRANSFER_AUTH_BASIC | TRANSFER_AUTH_NTLM;
    r = run(eng, new_rec("basic.tmp", &f_b), url, &o);
    check_ok_file(r, &f_b, "Basic credentials");
}

static void test_file_urls(void)
{
    char url[600];
    snprintf(url, sizeof url, "file://%s/b.bin", www);
    rec_t *r = run(eng, new_rec("file.tmp", &f_b), url, NULL);
    check_ok_file(r, &f_b, "file:// whole file");
    CHECK(r->last_status == 0 && r->last_total == f_b.size, "file://: on_response status 0 with the size");

    rec_t *res = new_rec("file-resume.tmp", &f_b);
    prefill(res->temp_path, &f_b, 123456);
    req_opts_t o = {.offset_done = 123456};
    run(eng, res, url, &o);
    check_ok_file(res, &f_b, "file:// resume");
    CHECK(res->result.bytes_received == f_b.size - 123456, "file:// resume: only the rest copied");

    transfer_range_t two[2] = {{1000, 2000}, {300000, TRANSFER_TO_EOF}};
    rec_t *rg = new_rec("file-ranges.tmp", &f_b);
    o = (req_opts_t){.ranges = two, .range_count = 2};
    run(eng, rg, url, &o);
    int ok = check_result(rg, TRANSFER_OK, HR_OK, "file:// ranges: ok");
    CHECK(ok && durable_content_ok(rg, 2000 + f_b.size - 300000) &&
              rg->result.bytes_received == 2000 + f_b.size - 300000,
          "file:// ranges: right bytes at the right offsets");

    snprintf(url, sizeof url, "%s/b.bin", www); /* a plain path, as BITS remote names may be */
    r = run(eng, new_rec("path.tmp", &f_b), url, NULL);
    check_ok_file(r, &f_b, "a local path as the source");

    snprintf(url, sizeof url, "file://%s/empty.bin", www);
    r = run(eng, new_rec("file-empty.tmp", &f_empty), url, NULL);
    check_ok_file(r, &f_empty, "file:// empty file");

    /* The source is shorter than offset_done: copied again from zero. */
    snprintf(url, sizeof url, "file://%s/b.bin", www);
    rec_t *sh = new_rec("file-shorter.tmp", &f_b);
    prefill(sh->temp_path, &f_a, 450000);
    o = (req_opts_t){.offset_done = 450000};
    run(eng, sh, url, &o);
    check_ok_file(sh, &f_b, "file:// source shorter than offset_done");
    CHECK(sh->restarted == 1, "file:// shorter source: restart reported");

    /* A large local copy runs in slices: a cancel issued as it starts stops it within a few. */
    snprintf(url, sizeof url, "file://%s/big.bin", www);
    rec_t *big = new_rec("file-big.tmp", &f_big);
    cancel_engine = eng;
    cancel_token = big->token;
    run(eng, big, url, NULL);
    check_result(big, TRANSFER_CANCELLED, TRANSFER_E_CANCELLED, "file:// 64 MiB copy cancelled as it starts");
    if (!CHECK(big->result.written_bytes - cancel_at < 8 * MiB && big->violations == 0,
               "file:// copy: the engine served the cancel within a few slices"))
        printf("#   %llu bytes copied after the cancel\n", (ull)(big->result.written_bytes - cancel_at));

    snprintf(url, sizeof url, "file://%s/missing.bin", www);
    r = run(eng, new_rec("file-missing.tmp", NULL), url, NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, TRANSFER_E_FILE_NOT_FOUND, "file:// missing source: fatal remote");
}

static void test_local_errors(void)
{
    char url[256], path[400];
    snprintf(path, sizeof path, "%s/no-such-dir/x.tmp", dir);
    req_opts_t o = {.temp_path = path};
    rec_t *r = run(eng, new_rec("x", NULL), url_of(url, sizeof url, nginx_port, "/b.bin"), &o);
    check_result(r, TRANSFER_FATAL_LOCAL, TRANSFER_E_PATH_NOT_FOUND, "temp directory missing: fatal local");
    CHECK(strstr(r->detail, "no-such-dir") != NULL, "temp directory missing: detail names the file");
    if (access("/dev/full", W_OK) == 0) {
        o = (req_opts_t){.temp_path = "/dev/full"};
        r = run(eng, new_rec("x", NULL), url, &o);
        check_result(r, TRANSFER_FATAL_LOCAL, TRANSFER_E_DISK_FULL, "disk full while writing: fatal local");
    }
}

static void test_cancel_and_concurrency(void)
{
    char url[256];
    rec_t *r = new_rec("slow.tmp", &f_b);
    submit(eng, r, url_of(url, sizeof url, fault_port, "/slow/b.bin"), NULL);
    transfer_request_t dup;
    transfer_request_init(&dup);
    dup.token = r->token;
    dup.url = url;
    dup.temp_path = r->temp_path;
    CHECK_HR(transfer_submit(eng, &dup), TRANSFER_E_BUSY, "a running token cannot be submitted again");
    usleep(1300 * 1000);
    uint64_t t0 = now_ms();
    CHECK_HR(transfer_cancel(eng, r->token), HR_OK, "cancel of a running transfer accepted");
    int done = wait_done(r, 5000);
    uint64_t took = r->done_ms - t0;
    check_result(r, TRANSFER_CANCELLED, TRANSFER_E_CANCELLED, "cancel mid-transfer: cancelled");
    if (!CHECK(done && took < 500, "cancel mid-transfer: on_done within 500 ms"))
        printf("#   took %llu ms\n", (ull)took);
    CHECK(r->checkpoints >= 1 && r->result.written_bytes > 0 && r->violations == 0 &&
              file_size(r->temp_path) >= r->result.written_bytes,
          "slow source: time-based checkpoints while bytes trickle in, temp file kept");

    /* Several at once. */
    rec_t *many[6];
    const char *paths[6] = {"/a.bin", "/b.bin", "/file/a.bin", "/file/b.bin", "/redirect/2/b.bin", "/a.bin"};
    const testfile_t *want[6] = {&f_a, &f_b, &f_a, &f_b, &f_b, &f_a};
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "par%d.tmp", i);
        many[i] = new_rec(name, want[i]);
        submit(eng, many[i], url_of(url, sizeof url, i < 2 || i == 5 ? nginx_port : fault_port, paths[i]), NULL);
    }
    int all = 1;
    for (int i = 0; i < 6; i++) {
        wait_done(many[i], 30000);
        all &= many[i]->result.result == TRANSFER_OK && file_matches(many[i]->temp_path, want[i]) &&
               many[i]->violations == 0;
    }
    CHECK(all, "six transfers at once: all ok, hashes match");
}

/* A 3 MiB download under a 2 MiB/s cap of its kind (the other kind's cap is not in its way). */
static void capped_download(transfer_cap_t which, uint32_t flags, const char *what)
{
    char url[256], name[160];
    transfer_range_t first[1] = {{0, 3 * MiB}};
    snprintf(name, sizeof name, "%s: bandwidth limit set", what);
    CHECK_HR(transfer_set_bandwidth_limit(eng, which, 2 * MiB), HR_OK, name);
    rec_t *r = new_rec("bw.tmp", &f_big);
    req_opts_t o = {.ranges = first, .range_count = 1, .flags = flags};
    run(eng, r, url_of(url, sizeof url, nginx_port, "/big.bin"), &o);
    snprintf(name, sizeof name, "%s: bandwidth-limited download ok", what);
    int ok = check_result(r, TRANSFER_OK, HR_OK, name);
    snprintf(name, sizeof name, "%s: bandwidth-limited download: content right", what);
    CHECK(ok && durable_content_ok(r, 3 * MiB), name);
    snprintf(name, sizeof name, "%s: cap 2 MiB/s: 3 MiB take 1-4 s (about 1.25 s after a 0.5 MiB burst)", what);
    CHECK(r->result.duration_ms >= 1000 && r->result.duration_ms < 4000, name);
    printf("# %s: 3 MiB at a 2 MiB/s cap took %llu ms\n", what, (ull)r->result.duration_ms);
    transfer_set_bandwidth_limit(eng, which, 0);
}

static void test_bandwidth(void)
{
    CHECK_HR(transfer_set_bandwidth_limit(eng, TRANSFER_CAP_COUNT, 2 * MiB), HR_E_INVALIDARG,
             "bandwidth limit of an unknown kind: E_INVALIDARG");
    capped_download(TRANSFER_CAP_BACKGROUND, 0, "background");
    capped_download(TRANSFER_CAP_FOREGROUND, TRANSFER_FLAG_FOREGROUND, "foreground");
}

/* Certificate errors a request ignores: the hook gets the bits and is the whole check (curl's
 * own verification is off for that request); unknown bits are refused. */
static void test_tls_ignore(void)
{
    char url[256];
    transfer_options_t opt = {.verify_tls = tls_hook}; /* no CA file: curl alone refuses the test certificate */
    transfer_engine_t *te = NULL;
    CHECK_HR(transfer_engine_start(&callbacks, NULL, &opt, &te), HR_OK, "tls ignore: engine with the TLS hook");
    if (!te)
        return;
    snprintf(url, sizeof url, "https://127.0.0.1:%d/b.bin", tls_port);
    rec_t *r = run(te, new_rec("tls-full.tmp", &f_b), url, NULL);
    CHECK(r->result.result == TRANSFER_FATAL_REMOTE && file_size(r->temp_path) == 0,
          "tls ignore: without bits, curl's own check refuses the unknown CA");
    req_opts_t unknown_ca = {.tls_ignore = TRANSFER_TLS_IGNORE_UNKNOWN_CA};
    r = run(te, new_rec("tls-ignore.tmp", &f_b), url, &unknown_ca);
    check_ok_file(r, &f_b, "tls ignore: UNKNOWN_CA: the hook is the check, and it passes");
    pthread_mutex_lock(&mu);
    uint32_t seen = tls_hook_ignore;
    pthread_mutex_unlock(&mu);
    CHECK(seen == TRANSFER_TLS_IGNORE_UNKNOWN_CA, "tls ignore: the hook got the request's bits");
    rec_t *bad = new_rec("tls-badbits.tmp", &f_b);
    req_opts_t unknown_bit = {.tls_ignore = 0x1};
    CHECK_HR(submit(te, bad, url, &unknown_bit), HR_E_INVALIDARG, "tls ignore: a bit that is not an ignore bit: E_INVALIDARG");
    transfer_engine_stop(te);
}

static void test_tls(void)
{
    if (!have_tls) {
        printf("# https tests skipped (no certificate)\n");
        return;
    }
    char cert[400], url[256];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    transfer_options_t opt = {.ca_info = cert, .verify_tls = tls_hook};
    transfer_engine_t *te = NULL;
    CHECK_HR(transfer_engine_start(&callbacks, NULL, &opt, &te), HR_OK, "https: engine with CA file and TLS hook");
    if (!te)
        return;
    snprintf(url, sizeof url, "https://127.0.0.1:%d/b.bin", tls_port);
    rec_t *r = run(te, new_rec("tls.tmp", &f_b), url, NULL);
    check_ok_file(r, &f_b, "https download verified against the test CA");
    pthread_mutex_lock(&mu);
    int calls = tls_hook_calls;
    tls_hook_calls = 0;
    tls_hook_refuse = 1;
    pthread_mutex_unlock(&mu);
    CHECK(calls == 1, "https: the TLS hook ran once, before the request");
    r = run(te, new_rec("tls-refused.tmp", &f_b), url, NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, (hr_t)0x800B010A, "https: hook refusing the certificate -> its code, fatal");
    CHECK(file_size(r->temp_path) == 0, "https refused: nothing written");
    pthread_mutex_lock(&mu);
    tls_hook_refuse = 0;
    tls_hook_calls = 0;
    pthread_mutex_unlock(&mu);
    r = run(te, new_rec("tls-http.tmp", &f_b), url_of(url, sizeof url, nginx_port, "/b.bin"), NULL);
    check_ok_file(r, &f_b, "http on the hooked engine");
    CHECK(tls_hook_calls == 0, "http: the TLS hook is not called");
    snprintf(url, sizeof url, "https://127.0.0.1:%d/tohttp", tls_port);
    r = run(te, new_rec("tls-down.tmp", &f_b), url, NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, TRANSFER_E_REDIRECT_FAILED, "https redirected to http: refused");
    req_opts_t downgrade = {.flags = TRANSFER_FLAG_HTTPS_TO_HTTP};
    r = run(te, new_rec("tls-down-allowed.tmp", &f_b), url, &downgrade);
    check_ok_file(r, &f_b, "https redirected to http with TRANSFER_FLAG_HTTPS_TO_HTTP: followed");
    transfer_engine_stop(te);
    test_tls_ignore();

    /* verify_peer: only for requests with a tag, after verify_tls, with the class and context it
     * chose. */
    transfer_options_t peer_opt = {.ca_info = cert, .verify_tls = tls_hook, .verify_peer = peer_hook};
    CHECK_HR(transfer_engine_start(&callbacks, NULL, &peer_opt, &te), HR_OK, "https: engine with a verify_peer hook");
    if (te) {
        snprintf(url, sizeof url, "https://127.0.0.1:%d/b.bin", tls_port);
        r = run(te, new_rec("peer-none.tmp", &f_b), url, NULL);
        check_ok_file(r, &f_b, "verify_peer, request without a tag");
        CHECK(peer_hook_calls == 0, "verify_peer: not called without a tag");
        req_opts_t tagged = {.tls_tag = "{job} 3"};
        r = run(te, new_rec("peer-ok.tmp", &f_b), url, &tagged);
        check_ok_file(r, &f_b, "verify_peer accepting");
        CHECK(peer_hook_calls == 1 && !strcmp(peer_hook_tag, "{job} 3"), "verify_peer: called once with the request's tag");
        req_opts_t refused = {.tls_tag = "refuse"};
        r = run(te, new_rec("peer-refused.tmp", &f_b), url, &refused);
        check_result(r, TRANSFER_TRANSIENT, (hr_t)0x80EC0001, "verify_peer refusing: its code, transient");
        CHECK(r->result.error_context == 8 && file_size(r->temp_path) == 0, "verify_peer refusing: its context, nothing written");
        transfer_engine_stop(te);
    }

    transfer_engine_t *plain = NULL;
    transfer_engine_start(&callbacks, NULL, NULL, &plain); /* the system's CAs only */
    snprintf(url, sizeof url, "https://127.0.0.1:%d/b.bin", tls_port);
    r = run(plain, new_rec("tls-untrusted.tmp", &f_b), url, NULL);
    check_result(r, TRANSFER_FATAL_REMOTE, DO_E_HTTP_CERT_VALIDATION, "https, untrusted certificate: DO_E_HTTP_CERT_VALIDATION");
    transfer_engine_stop(plain);
}

static void test_throughput(void)
{
    char url[256];
    transfer_engine_t *big = NULL;
    CHECK_HR(transfer_engine_start(&callbacks, NULL, NULL, &big), HR_OK, "engine with default options");
    rec_t *r = run(big, new_rec("big.tmp", &f_big), url_of(url, sizeof url, nginx_port, "/big.bin"), NULL);
    int pending = r->result.flush_pending && r->result.durable_bytes < r->result.written_bytes;
    check_ok_file(r, &f_big, "64 MiB over nginx");
    CHECK(pending, "64 MiB: on_done came before its bytes were flushed (flush_pending, durable < written), "
                   "the final on_flushed after it");
    CHECK(r->checkpoints >= 2 && r->checkpoints <= 40 && r->violations == 0,
          "64 MiB: checkpoints while the data flows (4 MiB due), each durable");
    double secs = r->result.duration_ms / 1000.0;
#ifdef __SANITIZE_ADDRESS__
    const char *build = "ASan/UBSan build";
#else
    const char *build = "optimised build";
#endif
    printf("# 64 MiB over nginx: %.0f MB/s (%llu ms, %u connection(s), %d checkpoints, %s)\n",
           secs > 0 ? BIG_SIZE / 1e6 / secs : 0.0, (ull)r->result.duration_ms, r->result.connections,
           r->checkpoints, build);
    transfer_engine_stop(big);
}

/* While data flows, a flush every flush_ms, reported before the transfer ends. */
static void test_flushes_while_running(void)
{
    char url[256];
    transfer_engine_t *e = NULL;
    transfer_options_t opt = {.checkpoint_bytes = 16 * KiB, .flush_ms = 100};
    CHECK_HR(transfer_engine_start(&callbacks, NULL, &opt, &e), HR_OK, "engine flushing every 100 ms");
    rec_t *r = new_rec("flushes.tmp", &f_b);
    run(e, r, url_of(url, sizeof url, fault_port, "/rate/400000/b.bin"), NULL); /* ~1 s */
    check_ok_file(r, &f_b, "flush_ms 100, a ~1 s download");
    if (!CHECK(r->flushes_running >= 3 && r->violations == 0 && r->last_flushed == f_b.size,
               "flush_ms 100: flushes reported while the data flowed, never beyond the bytes written"))
        printf("#   %d flush reports (%d before on_done), last %llu\n", r->flushes, r->flushes_running,
               (ull)r->last_flushed);
    transfer_engine_stop(e);
}

static void test_stop_while_running(void)
{
    char url[256];
    transfer_engine_t *e = NULL;
    CHECK_HR(transfer_engine_start(&callbacks, NULL, NULL, &e), HR_OK, "engine for the stop test");
    rec_t *r[4];
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "stop%d.tmp", i);
        r[i] = new_rec(name, &f_b);
        submit(e, r[i], url_of(url, sizeof url, fault_port, "/slow/b.bin"), NULL);
    }
    r[3] = new_rec("stop-big.tmp", &f_big);
    transfer_set_bandwidth_limit(e, TRANSFER_CAP_BACKGROUND, 8 * MiB);
    submit(e, r[3], url_of(url, sizeof url, nginx_port, "/big.bin"), NULL);
    usleep(400 * 1000);
    uint64_t t0 = now_ms();
    transfer_engine_stop(e);
    uint64_t took = now_ms() - t0;
    int all = 1;
    for (int i = 0; i < 4; i++)
        all &= r[i]->done == 1 && r[i]->result.result == TRANSFER_CANCELLED && r[i]->result.stopping &&
               r[i]->violations == 0 && file_size(r[i]->temp_path) >= r[i]->result.written_bytes;
    CHECK(all, "engine stop with transfers running: each cancelled (stopping), progress durable");
    if (!CHECK(took < 2000, "engine stop is prompt"))
        printf("#   took %llu ms\n", (ull)took);
}

int main(void)
{
    test_retry_after_values();
    if (http_fixture_setup("transfer") != 0)
        return 2;

    int files_ok = make_file(&f_a) == 0 && make_file(&f_b) == 0 && make_file(&f_empty) == 0 &&
                   make_file(&f_big) == 0;
    CHECK(files_ok, "test files written");
    int servers = CHECK(start_nginx(), "nginx started on a loopback port") &
                  CHECK(start_fault_server(), "fault server started on a loopback port");
    printf("# nginx on %d (https %d), fault server on %d, files in %s\n", nginx_port, tls_port,
           fault_port, dir);
    transfer_options_t opt = {.checkpoint_bytes = 64 * KiB};
    hr_t started = HR_E_FAIL;
    if (servers && files_ok) {
        started = transfer_engine_start(&callbacks, NULL, &opt, &eng);
        CHECK_HR(started, HR_OK, "engine starts");
    }
    if (started == HR_OK) {
        test_api();
        test_whole_files();
        test_resume();
        test_ranges();
        test_http_errors();
        test_network_errors();
        test_redirects();
        test_credentials();
        test_file_urls();
        test_local_errors();
        test_cancel_and_concurrency();
        test_bandwidth();
        transfer_engine_stop(eng);
        CHECK_HR(transfer_submit(eng = NULL, &(transfer_request_t){0}), HR_E_INVALIDARG,
                 "submit without an engine is refused");
        test_tls();
        test_throughput();
        test_flushes_while_running();
        test_stop_while_running();
    }

    http_fixture_teardown();
    free(f_a.data);
    free(f_b.data);
    free(f_empty.data);
    free(f_big.data);
    return CHECK_EXIT_CODE();
}
