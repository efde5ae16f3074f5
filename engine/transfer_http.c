/* One transfer of the transfer engine: the sequence of requests that fetches a whole file (one
 * request, plus one more after a restart) or a list of ranges (one request per range, on the
 * same easy handle so the connection is reused), the decisions taken when a response's headers
 * are in (before any body byte is written), the checkpoint rule, and the error table. Runs on
 * the engine thread (transfer_new, on the caller's thread, only copies the request). */
#include "transfer_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNKNOWN UINT64_MAX
typedef unsigned long long ull;

/* ---- small helpers -------------------------------------------------------------------------- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: does s start with prefix? */
static int istarts(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (lower((unsigned char)*s) != lower((unsigned char)*prefix))
            return 0;
    return 1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *dup_len(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Parses decimal digits at *p (at least one, no overflow); advances *p. */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

/* "bytes a-b/c", "bytes a-b/STAR" or "bytes STAR/c" (STAR is "*"); c = UNKNOWN for STAR,
 * a = b = UNKNOWN for the unsatisfied form. */
static int parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *c)
{
    if (!s || !istarts(s, "bytes"))
        return -1;
    s = skip_spaces(s + 5);
    if (*s == '*') {
        *a = *b = UNKNOWN;
        s++;
    } else {
        if (parse_u64(&s, a) || *s++ != '-' || parse_u64(&s, b) || *b < *a)
            return -1;
    }
    if (*s++ != '/')
        return -1;
    if (*s == '*') {
        *c = UNKNOWN;
        s++;
    } else if (parse_u64(&s, c) || (*b != UNKNOWN && *b >= *c)) {
        return -1;
    }
    return *skip_spaces(s) ? -1 : 0;
}

static const char *effective_url(transfer_t *t)
{
    char *url = NULL;
    if (t->easy)
        curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    return url ? url : t->url;
}

void transfer_fail(transfer_t *t, transfer_class_t result, hr_t code, const char *fmt, ...)
{
    if (t->failed)
        return;
    t->failed = 1;
    t->result = result;
    t->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->detail, sizeof t->detail, fmt, ap);
    va_end(ap);
}

/* ---- requests: creation ---------------------------------------------------------------------- */

void transfer_request_init(transfer_request_t *r)
{
    memset(r, 0, sizeof *r);
    r->max_redirects = TRANSFER_DEFAULT_MAX_REDIRECTS;
    r->connect_timeout_s = TRANSFER_DEFAULT_CONNECT_TIMEOUT_S;
    r->low_speed_limit = TRANSFER_DEFAULT_LOW_SPEED_LIMIT;
    r->low_speed_time_s = TRANSFER_DEFAULT_LOW_SPEED_TIME_S;
}

static int ranges_valid(const transfer_range_t *r, size_t n, uint64_t offset_done)
{
    uint64_t next_free = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].length == 0 || r[i].offset < next_free)
            return 0;
        if (r[i].length == TRANSFER_TO_EOF) {
            if (i != n - 1)
                return 0;
            return 1; /* offset_done may reach into the to-EOF range */
        }
        if (r[i].length > UINT64_MAX - r[i].offset || r[i].length > UINT64_MAX - sum)
            return 0;
        next_free = r[i].offset + r[i].length;
        sum += r[i].length;
    }
    return offset_done <= sum;
}

hr_t transfer_new(const transfer_request_t *q, transfer_t **out)
{
    *out = NULL;
    if (!q->url || !q->temp_path || !*q->temp_path)
        return HR_E_INVALIDARG;
    if (!istarts(q->url, "http://") && !istarts(q->url, "https://") && !istarts(q->url, "file://"))
        return HR_E_INVALIDARG;
    if (q->range_count && (!q->ranges || !ranges_valid(q->ranges, q->range_count, q->offset_done)))
        return HR_E_INVALIDARG;
    transfer_t *t = calloc(1, sizeof *t);
    if (!t)
        return HR_E_OUTOFMEMORY;
    t->token = q->token;
    t->url = strdup(q->url);
    t->temp_path = strdup(q->temp_path);
    t->validator = q->validator && *q->validator ? strdup(q->validator) : NULL;
    t->custom_headers = dup_or_null(q->custom_headers);
    t->proxy = dup_or_null(q->proxy);
    t->proxy_bypass = dup_or_null(q->proxy_bypass);
    if (q->range_count) {
        t->ranges = malloc(q->range_count * sizeof *t->ranges);
        if (t->ranges)
            memcpy(t->ranges, q->ranges, q->range_count * sizeof *t->ranges);
        t->range_count = q->range_count;
    }
    if (!t->url || !t->temp_path || (q->validator && *q->validator && !t->validator) ||
        (q->custom_headers && !t->custom_headers) || (q->proxy && !t->proxy) ||
        (q->proxy_bypass && !t->proxy_bypass) || (q->range_count && !t->ranges)) {
        transfer_free(t);
        return HR_E_OUTOFMEMORY;
    }
    t->max_redirects = q->max_redirects < 0 ? TRANSFER_DEFAULT_MAX_REDIRECTS : q->max_redirects;
    t->connect_timeout_s = q->connect_timeout_s;
    t->low_speed_limit = q->low_speed_limit;
    t->low_speed_time_s = q->low_speed_time_s;
    t->flags = q->flags;
    t->is_file_url = istarts(q->url, "file:");
    t->is_https = istarts(q->url, "https:");
    t->progress = t->durable = q->offset_done;
    t->total_size = UNKNOWN;
    t->h_content_length = UNKNOWN;
    *out = t;
    return HR_OK;
}

static void clear_response(transfer_t *t)
{
    free(t->h_etag);
    free(t->h_last_modified);
    free(t->h_content_range);
    free(t->h_location);
    free(t->h_retry_after);
    t->h_etag = t->h_last_modified = t->h_content_range = t->h_location = t->h_retry_after = NULL;
    t->h_content_length = UNKNOWN;
    t->h_chunked = 0;
    t->hdr_len = 0;
    if (t->hdr)
        t->hdr[0] = '\0';
    t->reason[0] = '\0';
    t->rstate = RESP_HEADERS;
}

void transfer_free(transfer_t *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->header_list);
    tfile_close(&t->file);
    clear_response(t);
    free(t->hdr);
    free(t->url);
    free(t->temp_path);
    free(t->validator);
    free(t->req_validator);
    free(t->custom_headers);
    free(t->proxy);
    free(t->proxy_bypass);
    free(t->ranges);
    free(t);
}

/* ---- the checkpoint rule --------------------------------------------------------------------- */

hr_t transfer_checkpoint(transfer_t *t, int force)
{
    if (!t->file.open || t->progress <= t->durable)
        return HR_OK;
    transfer_engine_t *e = t->engine;
    uint64_t now = transfer_now_ms();
    if (!force && t->progress - t->durable < e->checkpoint_bytes &&
        now - t->last_checkpoint_ms < e->checkpoint_ms)
        return HR_OK;
    char msg[256];
    hr_t hr = tfile_sync(&t->file, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return hr;
    }
    t->durable = t->progress;
    t->last_checkpoint_ms = now;
    if (e->cb.on_checkpoint)
        e->cb.on_checkpoint(e->ctx, t->token, t->durable);
    return HR_OK;
}

/* ---- requests: sending ----------------------------------------------------------------------- */

/* Sum of the lengths of the ranges before index i (all finite). */
static uint64_t ranges_before(const transfer_t *t, size_t i)
{
    uint64_t sum = 0;
    for (size_t k = 0; k < i; k++)
        sum += t->ranges[k].length;
    return sum;
}

/* The range that holds logical position p (range_count when every range is done). */
static size_t range_index_of(const transfer_t *t, uint64_t p)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < t->range_count; i++) {
        if (t->ranges[i].length == TRANSFER_TO_EOF || p < acc + t->ranges[i].length)
            return i;
        acc += t->ranges[i].length;
    }
    return t->range_count;
}

/* File offset just past the first p logical bytes (what must already be in the file). */
static uint64_t durable_end(const transfer_t *t, uint64_t p)
{
    if (!t->range_count || p == 0)
        return p;
    uint64_t acc = 0;
    for (size_t i = 0; i < t->range_count; i++) {
        uint64_t len = t->ranges[i].length;
        if (len == TRANSFER_TO_EOF || p <= acc + len)
            return t->ranges[i].offset + (p - acc);
        acc += len;
    }
    return p; /* not reached: offset_done was validated */
}

static int set_request_headers(transfer_t *t)
{
    struct curl_slist *list = NULL, *n;
    const char *p = t->custom_headers;
    while (p && *p) {
        const char *end = p + strcspn(p, "\r\n");
        if (end > p && !istarts(p, "range:") && !istarts(p, "if-range:")) {
            char *line = dup_len(p, (size_t)(end - p));
            n = line ? curl_slist_append(list, line) : NULL;
            free(line);
            if (!n)
                goto oom;
            list = n;
        }
        p = end + strspn(end, "\r\n");
    }
    if (t->req_if_range) {
        size_t len = strlen(t->req_validator) + 16;
        char *line = malloc(len);
        if (line)
            snprintf(line, len, "If-Range: %s", t->req_validator);
        n = line ? curl_slist_append(list, line) : NULL;
        free(line);
        if (!n)
            goto oom;
        list = n;
    }
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, list);
    curl_slist_free_all(t->header_list);
    t->header_list = list;
    return 0;
oom:
    curl_slist_free_all(list);
    transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "out of memory building the request headers");
    return -1;
}

/* Adds the next request. 1: added; 0: nothing left to fetch; -1: failed (outcome recorded). */
static int start_request(transfer_t *t)
{
    if (t->range_count) {
        if (t->range_index >= t->range_count)
            return 0;
        const transfer_range_t *r = &t->ranges[t->range_index];
        uint64_t within = t->progress - ranges_before(t, t->range_index);
        t->req_start = r->offset + within;
        t->req_end = r->length == TRANSFER_TO_EOF ? UNKNOWN : r->offset + r->length - 1;
        t->req_range = 1;
    } else {
        t->req_start = t->progress;
        t->req_end = UNKNOWN;
        t->req_range = t->progress > 0;
    }
    t->req_if_range = t->req_range && t->validator && !t->is_file_url;
    free(t->req_validator);
    t->req_validator = t->req_if_range ? strdup(t->validator) : NULL;
    if (t->req_if_range && !t->req_validator) {
        transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "out of memory");
        return -1;
    }
    clear_response(t);
    t->status = 0;
    t->body_bytes = 0;
    t->body_expected = UNKNOWN;
    t->complete_by_416 = 0;
    t->restart_requested = 0;
    t->errbuf[0] = '\0';

    char range[48];
    if (t->req_end == UNKNOWN)
        snprintf(range, sizeof range, "%llu-", (ull)t->req_start);
    else
        snprintf(range, sizeof range, "%llu-%llu", (ull)t->req_start, (ull)t->req_end);
    curl_easy_setopt(t->easy, CURLOPT_RANGE, t->req_range ? range : NULL);
    if (set_request_headers(t) < 0)
        return -1;
    CURLMcode mc = curl_multi_add_handle(t->engine->multi, t->easy);
    if (mc != CURLM_OK) {
        transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INTERNAL, "curl_multi_add_handle: %s",
                      curl_multi_strerror(mc));
        return -1;
    }
    t->in_multi = 1;
    return 1;
}

/* ---- responses ------------------------------------------------------------------------------- */

static uint64_t file_url_size(transfer_t *t)
{
    uint64_t size = UNKNOWN;
    CURLU *u = curl_url();
    char *path = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, t->url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK) {
        const char *p = path;
#ifdef _WIN32
        if (p[0] == '/' && ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')) && p[2] == ':')
            p++;
#endif
        char msg[256];
        if (HR_FAILED(tfile_path_size(p, &size, msg, sizeof msg)))
            size = UNKNOWN;
    }
    curl_free(path);
    curl_url_cleanup(u);
    return size;
}

/* The validator to keep for If-Range: a strong ETag, else Last-Modified. */
static char *pick_validator(const transfer_t *t)
{
    if (t->h_etag && !istarts(t->h_etag, "W/"))
        return strdup(t->h_etag);
    return dup_or_null(t->h_last_modified);
}

static int same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* A 206 that does not match the request. Whole file: fetch it again from zero; ranges: fatal. */
static int bad_partial(transfer_t *t, const char *why)
{
    if (!t->range_count && t->restarts < TRANSFER_MAX_RESTARTS) {
        t->restart_requested = 1;
        return 0;
    }
    char want[48];
    if (t->req_end == UNKNOWN)
        snprintf(want, sizeof want, "%llu-", (ull)t->req_start);
    else
        snprintf(want, sizeof want, "%llu-%llu", (ull)t->req_start, (ull)t->req_end);
    transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INSUFFICIENT_RANGE_SUPPORT,
                  "%s: asked for bytes %s, got Content-Range \"%s\" from %s", why, want,
                  t->h_content_range ? t->h_content_range : "(none)", effective_url(t));
    return 0;
}

/* The headers of a final 2xx response (or the first data of a file:// source) are in: decide
 * where its body goes, or refuse it. Returns 1 to take the body, 0 to abort the request. */
static int accept_response(transfer_t *t, int code)
{
    uint64_t start = t->req_start, total = UNKNOWN, expected = UNKNOWN;
    int restart = t->pending_restart;

    if (t->is_file_url) {
        total = file_url_size(t);
        if (t->req_end != UNKNOWN)
            expected = t->req_end - t->req_start + 1;
        else if (total != UNKNOWN && total >= start)
            expected = total - start;
    } else if (code == 206) {
        uint64_t a, b, c;
        if (!t->req_range) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_E_INVALID_RESPONSE,
                          "HTTP 206 to a request without Range from %s", effective_url(t));
            return 0;
        }
        if (parse_content_range(t->h_content_range, &a, &b, &c) || a == UNKNOWN)
            return bad_partial(t, "HTTP 206 without a valid Content-Range");
        if (a != t->req_start)
            return bad_partial(t, "HTTP 206 for another range");
        if (t->req_end == UNKNOWN) {
            if (c != UNKNOWN && b != c - 1)
                return bad_partial(t, "HTTP 206 ending before the end of the file");
        } else if (b != t->req_end) {
            if (c != UNKNOWN && b == c - 1 && b < t->req_end) {
                transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INVALID_RANGE,
                              "the range %llu-%llu goes past the end of the file (%llu bytes) at %s",
                              (ull)t->req_start, (ull)t->req_end, (ull)c, effective_url(t));
                return 0;
            }
            return bad_partial(t, "HTTP 206 for another range");
        }
        start = a;
        total = c;
        expected = b - a + 1;
    } else if (code == 200) {
        if (t->req_range) {
            if (t->range_count) {
                char *v = pick_validator(t);
                int changed = t->req_if_range && !same_text(v, t->req_validator);
                free(v);
                if (changed && t->restarts < TRANSFER_MAX_RESTARTS) {
                    t->restart_requested = 1; /* the content changed: fetch the ranges again */
                    return 0;
                }
                transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INSUFFICIENT_RANGE_SUPPORT,
                              "%s: HTTP 200 (the whole file) to Range: bytes=%llu- from %s",
                              changed ? "the file keeps changing during the transfer"
                                      : "the server does not support byte ranges",
                              (ull)t->req_start, effective_url(t));
                return 0;
            }
            restart = 1; /* whole file: take the full body from zero */
        }
        start = 0;
        total = t->h_chunked ? UNKNOWN : t->h_content_length;
        expected = total;
    } else {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_UNEXPECTED_HTTP_STATUS_2XX,
                      "unexpected HTTP %d %s from %s", code, t->reason, effective_url(t));
        return 0;
    }

    if (restart) {
        if (t->restarts >= TRANSFER_MAX_RESTARTS) {
            transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                          "the file restarted from zero %d times in one transfer (%s)", t->restarts,
                          effective_url(t));
            return 0;
        }
        t->restarts++;
    }
    free(t->validator);
    t->validator = t->is_file_url ? NULL : pick_validator(t);
    if (total != UNKNOWN)
        t->total_size = total;

    transfer_engine_t *e = t->engine;
    if (e->cb.on_response) {
        transfer_response_t r = {
            .status = code,
            .total_size = t->total_size,
            .validator = t->validator,
            .headers = t->hdr ? t->hdr : "",
            .effective_url = effective_url(t),
            .body_offset = restart && !t->range_count ? 0 : start,
            .restarted = restart,
        };
        e->cb.on_response(e->ctx, t->token, &r);
    }
    char msg[256];
    hr_t hr;
    if (restart) {
        t->pending_restart = 0;
        t->progress = t->durable = 0;
        t->last_checkpoint_ms = transfer_now_ms();
        if (e->cb.on_checkpoint)
            e->cb.on_checkpoint(e->ctx, t->token, 0);
        hr = tfile_truncate(&t->file, 0, msg, sizeof msg);
        if (HR_FAILED(hr)) {
            transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
            return 0;
        }
    }
    hr = tfile_seek(&t->file, start, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return 0;
    }
    t->write_pos = start;
    t->body_bytes = 0;
    t->body_expected = expected;
    t->rstate = RESP_BODY;
    return 1;
}

static uint32_t parse_retry_after(const char *v)
{
    if (!v)
        return 0;
    uint64_t secs;
    const char *p = v;
    if (parse_u64(&p, &secs) == 0)
        return secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs;
    time_t when = curl_getdate(v, NULL);
    time_t now = time(NULL);
    return when > now ? (uint32_t)(when - now) : 0;
}

/* The blank line after a response's headers. Returns 1 to go on, 0 to abort the request. */
static int headers_complete(transfer_t *t)
{
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    t->status = (int)code;
    if (code < 200)
        return 1; /* interim response: the final one follows */
    if (code < 300)
        return accept_response(t, (int)code);
    if (code < 400) {
        /* A redirect curl follows (or, without Location or redirects, fails on at the end).
         * Its body is not ours. Never from https to http. */
        if (t->h_location && t->max_redirects > 0 && istarts(effective_url(t), "https:") &&
            istarts(t->h_location, "http:")) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_E_REDIRECT_FAILED,
                          "refused the redirect from %s to %s: https is never redirected to http",
                          effective_url(t), t->h_location);
            return 0;
        }
        t->rstate = RESP_SKIP;
        return 1;
    }
    uint64_t a, b, c;
    if (code == 416 && !t->range_count && t->req_range &&
        parse_content_range(t->h_content_range, &a, &b, &c) == 0 && c != UNKNOWN) {
        t->rstate = RESP_SKIP;
        if (c == t->req_start) {
            t->complete_by_416 = 1; /* resumed exactly at the end: the file is complete */
            t->total_size = c;
            return 1;
        }
        if (t->restarts < TRANSFER_MAX_RESTARTS) {
            t->restart_requested = 1; /* the file is now shorter than what we have */
            return 1;
        }
    }
    if (code == 416 && t->range_count) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INVALID_RANGE,
                      "HTTP 416 %s: the range starting at %llu is outside the file (%s) at %s",
                      t->reason, (ull)t->req_start,
                      t->h_content_range ? t->h_content_range : "size not given", effective_url(t));
        return 0;
    }
    /* An error: its body (an error page) must not reach the file. */
    transfer_class_t cls = code == 408 || code == 429 || code >= 500 ? TRANSFER_TRANSIENT
                                                                      : TRANSFER_FATAL_REMOTE;
    t->retry_after = parse_retry_after(t->h_retry_after);
    transfer_fail(t, cls, TRANSFER_HR_HTTP(code), "HTTP %ld %s from %s%s%s", code, t->reason,
                  effective_url(t), t->h_retry_after ? " (Retry-After: " : "",
                  t->h_retry_after ? t->h_retry_after : "");
    if (t->h_retry_after) {
        size_t n = strlen(t->detail);
        if (n + 1 < sizeof t->detail)
            strcpy(t->detail + n, ")");
    }
    return 0;
}

static void keep_header(char **field, const char *value, size_t len)
{
    free(*field);
    *field = dup_len(value, len);
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userp)
{
    transfer_t *t = userp;
    size_t len = size * nitems;
    if (t->is_file_url)
        return len;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        clear_response(t);
        const char *sp = memchr(buf, ' ', len);
        const char *reason = sp ? memchr(sp + 1, ' ', len - (size_t)(sp + 1 - buf)) : NULL;
        if (reason) {
            size_t n = len - (size_t)(reason + 1 - buf);
            while (n && (reason[n] == '\r' || reason[n] == '\n' || reason[n] == '\0'))
                n--;
            n = n < sizeof t->reason - 1 ? n : sizeof t->reason - 1;
            memcpy(t->reason, reason + 1, n);
            while (n && (t->reason[n - 1] == '\r' || t->reason[n - 1] == '\n'))
                n--;
            t->reason[n] = '\0';
        }
    }
    if (t->hdr_len + len < TRANSFER_HEADERS_MAX) {
        if (t->hdr_len + len + 1 > t->hdr_cap) {
            size_t cap = t->hdr_cap ? t->hdr_cap : 1024;
            while (cap < t->hdr_len + len + 1)
                cap *= 2;
            char *h = realloc(t->hdr, cap);
            if (h) {
                t->hdr = h;
                t->hdr_cap = cap;
            }
        }
        if (t->hdr_len + len + 1 <= t->hdr_cap) {
            memcpy(t->hdr + t->hdr_len, buf, len);
            t->hdr_len += len;
            t->hdr[t->hdr_len] = '\0';
        }
    }
    size_t n = len;
    while (n && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
        n--;
    if (n == 0)
        return headers_complete(t) ? len : 0;

    const char *colon = memchr(buf, ':', n);
    if (!colon)
        return len;
    size_t name_len = (size_t)(colon - buf);
    const char *v = colon + 1;
    while (v < buf + n && (*v == ' ' || *v == '\t'))
        v++;
    size_t vlen = (size_t)(buf + n - v);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
#define IS(name) (name_len == sizeof(name) - 1 && istarts(buf, name))
    if (IS("etag"))
        keep_header(&t->h_etag, v, vlen);
    else if (IS("last-modified"))
        keep_header(&t->h_last_modified, v, vlen);
    else if (IS("content-range"))
        keep_header(&t->h_content_range, v, vlen);
    else if (IS("location"))
        keep_header(&t->h_location, v, vlen);
    else if (IS("retry-after"))
        keep_header(&t->h_retry_after, v, vlen);
    else if (IS("content-length")) {
        char *s = dup_len(v, vlen);
        const char *p = s;
        uint64_t cl;
        if (s && parse_u64(&p, &cl) == 0 && *p == '\0')
            t->h_content_length = cl;
        free(s);
    } else if (IS("transfer-encoding")) {
        for (size_t i = 0; i + 7 <= vlen; i++)
            if (istarts(v + i, "chunked"))
                t->h_chunked = 1;
    }
#undef IS
    return len;
}

static size_t write_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
    transfer_t *t = userp;
    size_t len = size * nmemb;
    t->bytes_received += len;
    if (t->rstate == RESP_HEADERS) {
        if (!t->is_file_url) {
            transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INVALID_RESPONSE,
                          "body data before any response headers from %s", effective_url(t));
            return 0;
        }
        if (!accept_response(t, 0))
            return 0;
    }
    if (t->rstate == RESP_SKIP)
        return len;
    if (t->body_expected != UNKNOWN && t->body_bytes + len > t->body_expected) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "the source sent more than the %llu bytes it announced (%s)",
                      (ull)t->body_expected, effective_url(t));
        return 0;
    }
    char msg[256];
    hr_t hr = tfile_write(&t->file, buf, len, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s at offset %llu (%s)", msg,
                      (ull)t->write_pos, t->temp_path);
        return 0;
    }
    t->write_pos += len;
    t->body_bytes += len;
    t->progress += len;
    if (HR_FAILED(transfer_checkpoint(t, 0)))
        return 0;
    return len;
}

/* CURLOPT_PREREQFUNCTION: the TLS hook, on https connections only. */
static int prereq_cb(void *clientp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)local_ip;
    (void)local_port;
    transfer_t *t = clientp;
    transfer_engine_t *e = t->engine;
    const char *url = effective_url(t);
    if (!e->verify_tls || !istarts(url, "https:"))
        return CURL_PREREQFUNC_OK;
    hr_t hr = e->verify_tls(e->verify_tls_ctx, t->easy, url);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, hr,
                      "the TLS certificate of %s (%s port %d) was refused: 0x%08lx", url,
                      primary_ip ? primary_ip : "?", primary_port, (unsigned long)(uint32_t)hr);
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* ---- the transfer's life --------------------------------------------------------------------- */

int transfer_begin(transfer_t *t)
{
    transfer_engine_t *e = t->engine;
    char msg[256];
    t->start_ms = t->last_checkpoint_ms = transfer_now_ms();
    hr_t hr = tfile_open(&t->file, t->temp_path, !!(t->flags & TRANSFER_FLAG_CREATE_HIDDEN),
                         t->range_count > 0, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return -1;
    }
    uint64_t size;
    hr = tfile_size(&t->file, &size, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return -1;
    }
    if (size < durable_end(t, t->progress)) {
        /* The file lacks bytes recorded as durable: trust nothing, start again. */
        t->progress = 0;
        t->pending_restart = 1;
    }
    t->range_index = range_index_of(t, t->progress);

    CURL *c = t->easy = curl_easy_init();
    if (!c) {
        transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "curl_easy_init failed");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)t);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)TRANSFER_BUFFER_SIZE);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, t->is_https ? "https" : "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, t->max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)t->max_redirects);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_USERAGENT, e->user_agent);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    if (t->connect_timeout_s)
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)t->connect_timeout_s);
    if (t->low_speed_limit && t->low_speed_time_s) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)t->low_speed_limit);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)t->low_speed_time_s);
    }
    if (e->ca_info)
        curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_info);
    if (e->verify_tls) {
        curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, prereq_cb);
        curl_easy_setopt(c, CURLOPT_PREREQDATA, t);
    }
    if (t->proxy)
        curl_easy_setopt(c, CURLOPT_PROXY, t->proxy);
    if (t->proxy_bypass)
        curl_easy_setopt(c, CURLOPT_NOPROXY, t->proxy_bypass);
    return start_request(t) > 0 ? 0 : -1;
}

static void classify_curl_error(transfer_t *t, CURLcode rc)
{
    transfer_class_t cls = TRANSFER_TRANSIENT;
    hr_t code = TRANSFER_E_INTERNAL;
    long redirects = 0;
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &redirects);
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
        code = TRANSFER_E_NAME_NOT_RESOLVED; break;
    case CURLE_COULDNT_CONNECT:
        code = TRANSFER_E_CANNOT_CONNECT; break;
    case CURLE_OPERATION_TIMEDOUT:
        code = TRANSFER_E_TIMEOUT; break;
    case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
        code = TRANSFER_E_CONNECTION_RESET; break;
    case CURLE_PARTIAL_FILE:
        code = DO_E_HTTP_BLOCKSIZE_MISMATCH; break;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        code = TRANSFER_E_INVALID_RESPONSE; break;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CIPHER: case CURLE_USE_SSL_FAILED: case CURLE_SSL_SHUTDOWN_FAILED:
        code = TRANSFER_E_SECURE_FAILURE; break;
    case CURLE_OUT_OF_MEMORY:
        code = HR_E_OUTOFMEMORY; break;
    case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_CERTPROBLEM:
        cls = TRANSFER_FATAL_REMOTE; code = DO_E_HTTP_CERT_VALIDATION; break;
    case CURLE_TOO_MANY_REDIRECTS:
        cls = TRANSFER_FATAL_REMOTE; code = TRANSFER_E_REDIRECT_FAILED; break;
    case CURLE_UNSUPPORTED_PROTOCOL:
        cls = TRANSFER_FATAL_REMOTE;
        code = redirects > 0 ? TRANSFER_E_REDIRECT_FAILED : TRANSFER_E_UNRECOGNIZED_SCHEME;
        break;
    case CURLE_URL_MALFORMAT:
        cls = TRANSFER_FATAL_REMOTE; code = TRANSFER_E_INVALID_URL; break;
    case CURLE_FILE_COULDNT_READ_FILE:
        cls = TRANSFER_FATAL_REMOTE; code = TRANSFER_E_FILE_NOT_FOUND; break;
    case CURLE_RANGE_ERROR: case CURLE_BAD_DOWNLOAD_RESUME:
        cls = TRANSFER_FATAL_REMOTE; code = DO_E_INVALID_RANGE; break;
    case CURLE_WRITE_ERROR:
        cls = TRANSFER_FATAL_LOCAL; code = TRANSFER_E_WRITE_FAULT; break;
    default:
        break;
    }
    transfer_fail(t, cls, code, "%s (curl error %d: %s) after %llu body bytes of this request%s, %s%s",
                  t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc), (int)rc, curl_easy_strerror(rc),
                  (ull)t->body_bytes, redirects > 0 ? " and redirects" : "",
                  redirects > 0 ? "last URL " : "URL ", effective_url(t));
}

int transfer_request_done(transfer_t *t, CURLcode rc)
{
    long connects = 0;
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    t->connections += (uint32_t)connects;

    if (t->restart_requested && !t->failed) {
        /* Fetch everything again from zero; the file is truncated when the new response is
         * accepted (after on_response/on_checkpoint(0)). */
        t->progress = 0;
        t->range_index = 0;
        t->pending_restart = 1;
        if (t->range_count) {
            free(t->validator);
            t->validator = NULL;
        }
        return start_request(t) > 0;
    }
    if (t->failed)
        return 0;
    if (rc != CURLE_OK) {
        classify_curl_error(t, rc);
        return 0;
    }
    if (t->complete_by_416)
        return 0;
    if (!t->is_file_url && t->rstate == RESP_SKIP) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_HR_HTTP(t->status),
                      "HTTP %d %s from %s was not followed (%s)", t->status, t->reason,
                      effective_url(t), t->max_redirects > 0 ? "no Location" : "redirects disabled");
        return 0;
    }
    if (t->rstate == RESP_HEADERS) {
        if (!t->is_file_url) {
            transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INVALID_RESPONSE,
                          "no final response from %s", effective_url(t));
            return 0;
        }
        if (!accept_response(t, 0)) /* an empty file:// source or range */
            return 0;
    }
    if (t->body_expected != UNKNOWN && t->body_bytes != t->body_expected) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "received %llu of the %llu bytes announced from %s", (ull)t->body_bytes,
                      (ull)t->body_expected, effective_url(t));
        return 0;
    }
    if (t->range_count) {
        t->range_index++;
        return start_request(t) > 0;
    }
    if (t->total_size == UNKNOWN)
        t->total_size = t->write_pos;
    else if (t->write_pos != t->total_size) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "the file ends at %llu bytes, %llu were announced (%s)", (ull)t->write_pos,
                      (ull)t->total_size, effective_url(t));
        return 0;
    }
    /* Drop a stale tail left by an earlier, longer attempt. */
    char msg[256];
    uint64_t size;
    hr_t hr = tfile_size(&t->file, &size, msg, sizeof msg);
    if (HR_SUCCEEDED(hr) && size > t->total_size) {
        hr = tfile_truncate(&t->file, t->total_size, msg, sizeof msg);
        if (HR_SUCCEEDED(hr))
            hr = tfile_sync(&t->file, msg, sizeof msg);
    }
    if (HR_FAILED(hr))
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
    return 0;
}
