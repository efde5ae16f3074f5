/* The HTTP side of one transfer: sending a request (Range, If-Range, custom headers), reading
 * a response's headers and deciding, before any body byte is written, where the body goes (or
 * that the request fails or restarts the file), writing the body, the TLS hook. Engine thread
 * only. The transfer's life around it (creation, checkpoints, outcome) is in transfer_run.c. */
#include "transfer_internal.h"

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
int transfer_istarts(const char *s, const char *prefix)
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
int transfer_parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *c)
{
    if (!s || !transfer_istarts(s, "bytes"))
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

const char *transfer_primary_ip(transfer_t *t)
{
    char *ip = NULL;
    if (t->easy)
        curl_easy_getinfo(t->easy, CURLINFO_PRIMARY_IP, &ip);
    return ip && *ip ? ip : NULL;
}

const char *transfer_effective_url(transfer_t *t)
{
    char *url = NULL;
    if (t->easy)
        curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    return url ? url : t->url;
}

void transfer_clear_response(transfer_t *t)
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

/* ---- requests: sending ----------------------------------------------------------------------- */

/* Appends each "Name: value" line of text to *list (Range and If-Range are the engine's own;
 * a line without ':' is no header and is skipped); -1 when out of memory. */
static int append_header_lines(struct curl_slist **list, const char *text)
{
    const char *p = text;
    while (p && *p) {
        const char *end = p + strcspn(p, "\r\n");
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon && colon > p && !transfer_istarts(p, "range:") && !transfer_istarts(p, "if-range:")) {
            char *line = dup_len(p, (size_t)(end - p));
            struct curl_slist *n = line ? curl_slist_append(*list, line) : NULL;
            free(line);
            if (!n)
                return -1;
            *list = n;
        }
        p = end + strspn(end, "\r\n");
    }
    return 0;
}

static int set_request_headers(transfer_t *t)
{
    struct curl_slist *list = NULL, *n;
    if (append_header_lines(&list, t->custom_headers) < 0 ||
        (t->auth_headers_due && append_header_lines(&list, t->auth_headers) < 0))
        goto oom;
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
int transfer_start_request(transfer_t *t)
{
    if (!transfer_plan_request(t))
        return 0;
    t->req_if_range = t->req_range && t->validator;
    free(t->req_validator);
    t->req_validator = t->req_if_range ? strdup(t->validator) : NULL;
    if (t->req_if_range && !t->req_validator) {
        transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "out of memory");
        return -1;
    }
    transfer_clear_response(t);
    t->status = 0;
    t->body_bytes = 0;
    t->body_expected = UNKNOWN;
    t->complete_by_416 = 0;
    t->restart_requested = 0;
    t->server_challenged = t->proxy_challenged = 0;
    curl_easy_setopt(t->easy, CURLOPT_FRESH_CONNECT, t->fresh_connect ? 1L : 0L);
    t->fresh_connect = 0; /* the next request may reuse the new connection */
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

/* The validator to keep for If-Range: a strong ETag, else Last-Modified. */
char *transfer_pick_validator(const transfer_t *t)
{
    if (t->h_etag && !transfer_istarts(t->h_etag, "W/"))
        return strdup(t->h_etag);
    return dup_or_null(t->h_last_modified);
}

static int same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Does the response carry the If-Range value we sent (as its ETag or its Last-Modified)? */
static int validator_matches(const transfer_t *t)
{
    return same_text(t->h_etag, t->req_validator) || same_text(t->h_last_modified, t->req_validator);
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
                  t->h_content_range ? t->h_content_range : "(none)", transfer_effective_url(t));
    return 0;
}

/* The headers of a final 2xx response are in: decide where its body goes, or refuse it.
 * Returns 1 to take the body, 0 to abort the request. */
static int accept_response(transfer_t *t, int code)
{
    uint64_t start = t->req_start, total = UNKNOWN, expected = UNKNOWN;
    int restart = t->pending_restart;

    if (code == 206) {
        uint64_t a, b, c;
        if (!t->req_range) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_E_INVALID_RESPONSE,
                          "HTTP 206 to a request without Range from %s", transfer_effective_url(t));
            return 0;
        }
        if (transfer_parse_content_range(t->h_content_range, &a, &b, &c) || a == UNKNOWN)
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
                              (ull)t->req_start, (ull)t->req_end, (ull)c, transfer_effective_url(t));
                return 0;
            }
            return bad_partial(t, "HTTP 206 for another range");
        }
        if (t->req_if_range && (t->h_etag || t->h_last_modified) && !validator_matches(t)) {
            /* A server that ignores If-Range but not Range: the content changed. */
            if (t->restarts < TRANSFER_MAX_RESTARTS) {
                t->restart_requested = 1;
                return 0;
            }
            transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                          "the file keeps changing during the transfer (%s)", transfer_effective_url(t));
            return 0;
        }
        start = a;
        total = c;
        expected = b - a + 1;
    } else if (code == 200) {
        if (t->req_range) {
            if (t->range_count) {
                int changed = t->req_if_range && !validator_matches(t);
                if (changed && t->restarts < TRANSFER_MAX_RESTARTS) {
                    t->restart_requested = 1; /* the content changed: fetch the ranges again */
                    return 0;
                }
                transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INSUFFICIENT_RANGE_SUPPORT,
                              "%s: HTTP 200 (the whole file) to Range: bytes=%llu- from %s",
                              changed ? "the file keeps changing during the transfer"
                                      : "the server does not support byte ranges",
                              (ull)t->req_start, transfer_effective_url(t));
                return 0;
            }
            restart = 1; /* whole file: take the full body from zero */
        }
        start = 0;
        total = t->h_chunked ? UNKNOWN : t->h_content_length;
        expected = total;
    } else {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_UNEXPECTED_HTTP_STATUS_2XX,
                      "unexpected HTTP %d %s from %s", code, t->reason, transfer_effective_url(t));
        return 0;
    }

    free(t->validator);
    t->validator = transfer_pick_validator(t);
    if (total != UNKNOWN)
        t->total_size = total;
    return transfer_take_body(t, code, start, expected, restart);
}

uint32_t transfer_parse_retry_after(const char *v)
{
    if (!v)
        return 0;
    uint64_t secs;
    const char *p = v;
    if (parse_u64(&p, &secs) == 0)
        return secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs;
    time_t when = curl_getdate(v, NULL);
    time_t now = time(NULL);
    if (when <= now)
        return 0;
    /* A date centuries away waits as long as a delay can, never a wrapped-around few seconds. */
    return (uint64_t)(when - now) > UINT32_MAX ? UINT32_MAX : (uint32_t)(when - now);
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
        if (t->h_location && t->max_redirects > 0 && !(t->flags & TRANSFER_FLAG_HTTPS_TO_HTTP) &&
            transfer_istarts(transfer_effective_url(t), "https:") &&
            transfer_istarts(t->h_location, "http:")) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_E_REDIRECT_FAILED,
                          "refused the redirect from %s to %s: https is never redirected to http",
                          transfer_effective_url(t), t->h_location);
            return 0;
        }
        t->rstate = RESP_SKIP;
        return 1;
    }
    /* A challenge curl answers with the job's credentials: its body is not ours either. A second
     * challenge (credentials refused) fails below; one curl cannot answer fails at the end. */
    if (code == 401 && t->auth_headers && !t->auth_headers_due) {
        t->auth_headers_due = 1; /* from now on every request of this transfer carries them */
        t->auth_retry = 1;
        t->rstate = RESP_SKIP;
        return 1;
    }
    if ((code == 401 && t->server_auth.user_name && !t->server_challenged++) ||
        (code == 407 && t->proxy_auth.user_name && !t->proxy_challenged++)) {
        t->rstate = RESP_SKIP;
        return 1;
    }
    uint64_t a, b, c;
    if (code == 416 && !t->range_count && t->req_range &&
        transfer_parse_content_range(t->h_content_range, &a, &b, &c) == 0 && c != UNKNOWN) {
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
                      t->h_content_range ? t->h_content_range : "size not given", transfer_effective_url(t));
        return 0;
    }
    /* An error: its body (an error page) must not reach the file. */
    transfer_class_t cls = code == 408 || code == 429 || code >= 500 ? TRANSFER_TRANSIENT
                                                                      : TRANSFER_FATAL_REMOTE;
    t->retry_after = transfer_parse_retry_after(t->h_retry_after);
    char retry[160] = "";
    if (t->h_retry_after)
        snprintf(retry, sizeof retry, " (Retry-After: %.100s)", t->h_retry_after);
    transfer_fail(t, cls, TRANSFER_HR_HTTP(code), "HTTP %ld %s from %s%s", code, t->reason,
                  transfer_effective_url(t), retry);
    return 0;
}

static void keep_header(char **field, const char *value, size_t len)
{
    free(*field);
    *field = dup_len(value, len);
}

size_t transfer_header_line(char *buf, size_t size, size_t nitems, void *userp)
{
    transfer_t *t = userp;
    size_t len = size * nitems;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response (interim, redirect or final): "HTTP/1.1 200 OK". */
        transfer_clear_response(t);
        size_t n = len;
        while (n && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
            n--;
        const char *sp = memchr(buf, ' ', n);
        const char *reason = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - buf)) : NULL;
        size_t rlen = reason ? n - (size_t)(reason + 1 - buf) : 0;
        if (rlen > sizeof t->reason - 1)
            rlen = sizeof t->reason - 1;
        if (reason)
            memcpy(t->reason, reason + 1, rlen);
        t->reason[rlen] = '\0';
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
#define IS(name) (name_len == sizeof(name) - 1 && transfer_istarts(buf, name))
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
            if (transfer_istarts(v + i, "chunked"))
                t->h_chunked = 1;
    }
#undef IS
    return len;
}

static size_t write_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
    transfer_t *t = userp;
    size_t len = size * nmemb;
    if (t->rstate == RESP_HEADERS) {
        transfer_fail(t, TRANSFER_TRANSIENT, TRANSFER_E_INVALID_RESPONSE,
                      "body data before any response headers from %s", transfer_effective_url(t));
        return 0;
    }
    if (t->rstate == RESP_SKIP)
        return len; /* a redirect's or a 416's body */
    if (!transfer_bandwidth_take(t->engine, t, len))
        return CURL_WRITEFUNC_PAUSE;
    t->bytes_received += len;
    if (t->body_expected != UNKNOWN && t->body_bytes + len > t->body_expected) {
        transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                      "the source sent more than the %llu bytes it announced (%s)",
                      (ull)t->body_expected, transfer_effective_url(t));
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
    const char *url = transfer_effective_url(t);
    if (!e->verify_tls || !transfer_istarts(url, "https:"))
        return CURL_PREREQFUNC_OK;
    hr_t hr = e->verify_tls(e->verify_tls_ctx, t->easy, url, t->tls_ignore);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, hr,
                      "the TLS certificate of %s (%s port %d) was refused: 0x%08lx", url,
                      primary_ip ? primary_ip : "?", primary_port, (unsigned long)(uint32_t)hr);
        return CURL_PREREQFUNC_ABORT;
    }
    int transient = 0;
    int32_t context = 0;
    if (e->verify_peer && t->tls_tag &&
        HR_FAILED(hr = e->verify_peer(e->verify_tls_ctx, t->easy, url, t->tls_tag, &transient, &context))) {
        transfer_fail(t, transient ? TRANSFER_TRANSIENT : TRANSFER_FATAL_REMOTE, hr,
                      "the TLS certificate of %s (%s port %d) was refused by the job's certificate "
                      "callback: 0x%08lx", url, primary_ip ? primary_ip : "?", primary_port,
                      (unsigned long)(uint32_t)hr);
        t->error_context = context;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* Creates the easy handle with the options every request of the transfer shares. */

static long curl_auth_mask(uint32_t schemes)
{
    return (schemes & TRANSFER_AUTH_BASIC ? CURLAUTH_BASIC : 0) |
           (schemes & TRANSFER_AUTH_DIGEST ? CURLAUTH_DIGEST : 0) |
           (schemes & TRANSFER_AUTH_NTLM ? CURLAUTH_NTLM : 0) |
           (schemes & TRANSFER_AUTH_NEGOTIATE ? CURLAUTH_NEGOTIATE : 0);
}

/* The job's credentials: curl sends the server's only to the URL's own host (a redirect to
 * another host goes without them, CURLOPT_UNRESTRICTED_AUTH being off). */
static void set_credentials(CURL *c, const transfer_auth_t *server, const transfer_auth_t *proxy)
{
    if (server->user_name) {
        curl_easy_setopt(c, CURLOPT_USERNAME, server->user_name);
        curl_easy_setopt(c, CURLOPT_PASSWORD, server->password);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, curl_auth_mask(server->schemes));
    }
    if (proxy->user_name) {
        curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, proxy->user_name);
        curl_easy_setopt(c, CURLOPT_PROXYPASSWORD, proxy->password);
        curl_easy_setopt(c, CURLOPT_PROXYAUTH, curl_auth_mask(proxy->schemes));
    }
}

int transfer_http_setup(transfer_t *t)
{
    transfer_engine_t *e = t->engine;
    CURL *c = t->easy = curl_easy_init();
    if (!c) {
        transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "curl_easy_init failed");
        return -1;
    }
    curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)t);
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    if (t->method && !strcmp(t->method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L); /* no body to wait for */
    else if (t->method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, t->method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)TRANSFER_BUFFER_SIZE);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, transfer_header_line);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
                     t->is_https && !(t->flags & TRANSFER_FLAG_HTTPS_TO_HTTP) ? "https" : "http,https");
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
        if (t->tls_ignore) { /* the hook checks all but the errors ignored */
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
    if (t->proxy)
        curl_easy_setopt(c, CURLOPT_PROXY, t->proxy);
    if (t->proxy_bypass)
        curl_easy_setopt(c, CURLOPT_NOPROXY, t->proxy_bypass);
    set_credentials(c, &t->server_auth, &t->proxy_auth);
    return 0;
}
