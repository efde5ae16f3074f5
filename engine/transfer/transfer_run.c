/* One transfer's life on the engine thread: the copied request, opening the temp file,
 * the checkpoint rule, what happens when a request ends (next range, restart, done) and the
 * classification of curl's errors. The HTTP exchange itself is in transfer_http.c. transfer_new
 * runs on the submitting thread and only copies the request. */
#include "transfer_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN UINT64_MAX
typedef unsigned long long ull;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
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

/* Whether two ranges share a byte (a to-EOF range runs to the end of everything). */
static int ranges_overlap(const transfer_range_t *a, const transfer_range_t *b)
{
    int a_before_b = a->length != TRANSFER_TO_EOF && a->offset + a->length <= b->offset;
    int b_before_a = b->length != TRANSFER_TO_EOF && b->offset + b->length <= a->offset;
    return !a_before_b && !b_before_a;
}

/* Ranges in any order (the local file holds them in the order given), none empty, none sharing
 * a byte with another, a to-EOF range only last (the place of what follows it would depend on a
 * size not yet known). */
static int ranges_valid(const transfer_range_t *r, size_t n, uint64_t offset_done)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].length == 0)
            return 0;
        for (size_t j = 0; j < i; j++)
            if (ranges_overlap(&r[j], &r[i]))
                return 0;
        if (r[i].length == TRANSFER_TO_EOF) {
            if (i != n - 1)
                return 0;
            return 1; /* offset_done may reach into the to-EOF range */
        }
        if (r[i].length > UINT64_MAX - r[i].offset || r[i].length > UINT64_MAX - sum)
            return 0;
        sum += r[i].length;
    }
    return offset_done <= sum;
}

/* A local path given instead of a file:// URL: C:\x, \\server\share\x, or /x natively. */
static int is_local_path(const char *s)
{
    return (isalpha((unsigned char)s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/')) ||
           (s[0] == '\\' && s[1] == '\\') || s[0] == '/';
}

/* Copies a's strings into *copy; 0 when out of memory. */
static int auth_copy(transfer_auth_t *copy, const transfer_auth_t *a)
{
    copy->schemes = a->schemes;
    copy->user_name = dup_or_null(a->user_name);
    copy->password = a->user_name ? dup_or_null(a->password ? a->password : "") : NULL;
    return !a->user_name || (copy->user_name && copy->password);
}

static void auth_free(transfer_auth_t *a)
{
    if (a->password)
        memset((char *)a->password, 0, strlen(a->password));
    free((char *)a->user_name);
    free((char *)a->password);
}

hr_t transfer_new(const transfer_request_t *q, transfer_t **out)
{
    *out = NULL;
    if (!q->url || !q->temp_path || !*q->temp_path)
        return HR_E_INVALIDARG;
    if (!transfer_istarts(q->url, "http://") && !transfer_istarts(q->url, "https://") &&
        !transfer_istarts(q->url, "file://") && !is_local_path(q->url))
        return HR_E_INVALIDARG;
    if (q->range_count && (!q->ranges || !ranges_valid(q->ranges, q->range_count, q->offset_done)))
        return HR_E_INVALIDARG;
    if (q->method && (!*q->method || q->range_count || q->offset_done))
        return HR_E_INVALIDARG;
    if (q->tls_ignore & ~TRANSFER_TLS_IGNORE_MASK)
        return HR_E_INVALIDARG;
    transfer_t *t = calloc(1, sizeof *t);
    if (!t)
        return HR_E_OUTOFMEMORY;
    t->token = q->token;
    t->url = strdup(q->url);
    t->temp_path = strdup(q->temp_path);
    t->validator = q->validator && *q->validator ? strdup(q->validator) : NULL;
    t->method = dup_or_null(q->method);
    t->tls_tag = dup_or_null(q->tls_tag);
    t->tls_ignore = q->tls_ignore;
    t->custom_headers = dup_or_null(q->custom_headers);
    t->auth_headers = dup_or_null(q->auth_headers);
    t->proxy = dup_or_null(q->proxy);
    t->proxy_bypass = dup_or_null(q->proxy_bypass);
    int auth_ok = auth_copy(&t->server_auth, &q->server_auth) & auth_copy(&t->proxy_auth, &q->proxy_auth);
    if (q->range_count) {
        t->ranges = malloc(q->range_count * sizeof *t->ranges);
        if (t->ranges)
            memcpy(t->ranges, q->ranges, q->range_count * sizeof *t->ranges);
        t->range_count = q->range_count;
    }
    if (!auth_ok || !t->url || !t->temp_path || (q->validator && *q->validator && !t->validator) ||
        (q->method && !t->method) || (q->tls_tag && !t->tls_tag) || (q->custom_headers && !t->custom_headers) || (q->auth_headers && !t->auth_headers) ||
        (q->proxy && !t->proxy) ||
        (q->proxy_bypass && !t->proxy_bypass) || (q->range_count && !t->ranges)) {
        transfer_free(t);
        return HR_E_OUTOFMEMORY;
    }
    t->max_redirects = q->max_redirects < 0 ? TRANSFER_DEFAULT_MAX_REDIRECTS : q->max_redirects;
    t->connect_timeout_s = q->connect_timeout_s;
    t->low_speed_limit = q->low_speed_limit;
    t->low_speed_time_s = q->low_speed_time_s;
    t->flags = q->flags;
    t->is_file_url = transfer_istarts(q->url, "file:") || is_local_path(q->url);
    t->is_https = transfer_istarts(q->url, "https:");
    t->progress = t->written = q->offset_done;
    t->durable = q->durable_done < q->offset_done ? q->durable_done : q->offset_done;
    t->total_size = UNKNOWN;
    t->h_content_length = UNKNOWN;
    *out = t;
    return HR_OK;
}

void transfer_free(transfer_t *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->header_list);
    transfer_checkpoint_drop(t);
    tfile_close(&t->file);
    transfer_clear_response(t);
    free(t->hdr);
    free(t->url);
    free(t->temp_path);
    free(t->validator);
    free(t->req_validator);
    free(t->method);
    free(t->tls_tag);
    free(t->custom_headers);
    free(t->auth_headers);
    free(t->proxy);
    free(t->proxy_bypass);
    auth_free(&t->server_auth);
    auth_free(&t->proxy_auth);
    free(t->ranges);
    tfile_close(&t->src);
    free(t->copy_buf);
    free(t);
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

/* Sum of the lengths of the ranges before index i (all finite). */
static uint64_t ranges_before(const transfer_t *t, size_t i)
{
    uint64_t sum = 0;
    for (size_t k = 0; k < i; k++)
        sum += t->ranges[k].length;
    return sum;
}

int transfer_plan_request(transfer_t *t)
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
    return 1;
}

/* Where the body of a response starting at remote offset start goes in the temporary file: the
 * same offset for a whole file; for a ranged one, the ranges one after another (BITS'
 * AddFileWithRanges layout), so at the bytes of the earlier ranges plus the offset within this one. */
static uint64_t file_position(const transfer_t *t, uint64_t start)
{
    if (!t->range_count || (t->flags & TRANSFER_FLAG_RANGES_AT_OFFSETS))
        return start;
    return ranges_before(t, t->range_index) + (start - t->ranges[t->range_index].offset);
}

int transfer_take_body(transfer_t *t, int status, uint64_t start, uint64_t expected, int restart)
{
    transfer_engine_t *e = t->engine;
    if (restart) {
        if (t->restarts >= TRANSFER_MAX_RESTARTS) {
            transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                          "the file restarted from zero %d times in one transfer (%s)", t->restarts,
                          transfer_effective_url(t));
            return 0;
        }
        t->restarts++;
    }
    if (e->cb.on_response) {
        transfer_response_t r = {
            .status = status,
            .total_size = t->total_size,
            .validator = t->validator,
            .headers = t->hdr ? t->hdr : "",
            .effective_url = transfer_effective_url(t),
            .primary_ip = transfer_primary_ip(t),
            .body_offset = file_position(t, start),
            .restarted = restart,
        };
        e->cb.on_response(e->ctx, t->token, &r);
    }
    char msg[256];
    hr_t hr;
    if (restart) {
        /* Announced (on_response), recorded as nothing durable (on_checkpoint(0)), then done;
         * a flush still in flight was of the old bytes. */
        transfer_checkpoint_drop(t);
        t->pending_restart = 0;
        t->progress = t->written = t->durable = 0;
        t->last_checkpoint_ms = transfer_now_ms();
        if (e->cb.on_checkpoint)
            e->cb.on_checkpoint(e->ctx, t->token, 0);
        hr = tfile_truncate(&t->file, 0, msg, sizeof msg);
        if (HR_FAILED(hr)) {
            transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
            return 0;
        }
    }
    uint64_t position = file_position(t, start);
    hr = tfile_seek(&t->file, position, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s (%s)", msg, t->temp_path);
        return 0;
    }
    t->write_pos = position;
    t->body_bytes = 0;
    t->body_expected = expected;
    t->rstate = RESP_BODY;
    return 1;
}

int transfer_body_complete(transfer_t *t)
{
    if (t->body_expected != UNKNOWN && t->body_bytes != t->body_expected) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "received %llu of the %llu bytes announced from %s", (ull)t->body_bytes,
                      (ull)t->body_expected, transfer_effective_url(t));
        return 0;
    }
    if (t->range_count) {
        t->range_index++;
        return t->range_index < t->range_count;
    }
    if (t->total_size == UNKNOWN)
        t->total_size = t->write_pos;
    else if (t->write_pos != t->total_size) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "the file ends at %llu bytes, %llu were announced (%s)", (ull)t->write_pos,
                      (ull)t->total_size, transfer_effective_url(t));
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

/* ---- the transfer's life --------------------------------------------------------------------- */

/* Where in the file the durable bytes end: progress itself for a whole file and for ranges
 * laid one after another; inside the range it reached for ranges at their own offsets. */
static uint64_t durable_end(const transfer_t *t)
{
    if (!t->range_count || !(t->flags & TRANSFER_FLAG_RANGES_AT_OFFSETS) || t->progress == 0)
        return t->progress;
    size_t i = range_index_of(t, t->progress - 1); /* the range holding the last durable byte */
    return t->ranges[i].offset + (t->progress - ranges_before(t, i));
}

int transfer_begin(transfer_t *t)
{
    transfer_engine_t *e = t->engine;
    char msg[256];
    t->start_ms = t->last_checkpoint_ms = t->last_flush_ms = transfer_now_ms();
    hr_t hr = tfile_open(&t->file, t->temp_path, !!(t->flags & TRANSFER_FLAG_CREATE_HIDDEN), msg,
                         sizeof msg);
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
    if (size < durable_end(t)) {
        /* The file lacks bytes recorded as durable: trust nothing, start again (the restart is
         * flagged in the first on_response). */
        t->progress = t->written = t->durable = 0;
        t->pending_restart = 1;
        if (e->cb.on_checkpoint)
            e->cb.on_checkpoint(e->ctx, t->token, 0);
    }
    t->range_index = range_index_of(t, t->progress);

    if (t->is_file_url)
        return transfer_local_begin(t);
    if (transfer_http_setup(t) < 0)
        return -1;
    return transfer_start_request(t) > 0 ? 0 : -1;
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
                  redirects > 0 ? "last URL " : "URL ", transfer_effective_url(t));
}

/* A request that failed on a kept-alive connection before any response: the server closed that
 * connection meanwhile (its keep-alive timeout), which says nothing about the server. Sent again
 * once, on a new connection, rather than costing the job a retry delay. */
static int stale_connection(const transfer_t *t, CURLcode rc, long connects)
{
    return (rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING) &&
           connects == 0 && t->status == 0 && !t->fresh_connect && !t->failed;
}

int transfer_request_done(transfer_t *t, CURLcode rc)
{
    long connects = 0;
    curl_easy_getinfo(t->easy, CURLINFO_NUM_CONNECTS, &connects);
    t->connections += (uint32_t)connects;
    if (stale_connection(t, rc, connects)) {
        t->fresh_connect = 1;
        return transfer_start_request(t) > 0;
    }

    if (t->auth_retry && !t->failed) { /* the 401 asked for the auth headers: once more with them */
        t->auth_retry = 0;
        return transfer_start_request(t) > 0;
    }
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
        return transfer_start_request(t) > 0;
    }
    if (t->failed)
        return 0;
    if (rc != CURLE_OK) {
        classify_curl_error(t, rc);
        return 0;
    }
    if (t->complete_by_416) {
        t->write_pos = t->total_size; /* resumed at the very end: only the tail check is left */
        return transfer_body_complete(t);
    }
    if (t->rstate == RESP_SKIP) {
        int challenge = t->status == 401 || t->status == 407;
        transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_HR_HTTP(t->status),
                      "HTTP %d %s from %s %s", t->status, t->reason, transfer_effective_url(t),
                      challenge ? "refused the job's credentials (wrong user name or password, or no scheme in common)"
                      : t->max_redirects > 0 ? "was not followed (no Location)"
                                             : "was not followed (redirects disabled)");
        return 0;
    }
    if (t->rstate == RESP_HEADERS) {
        transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INVALID_RESPONSE,
                      "no final response from %s", transfer_effective_url(t));
        return 0;
    }
    if (transfer_body_complete(t))
        return transfer_start_request(t) > 0; /* the next range */
    return 0;
}
