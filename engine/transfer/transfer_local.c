/* file:// sources. curl's FILE protocol copies a whole file inside one curl call, which would
 * hold the engine thread for the whole copy (a 1 GiB copy delayed a cancel by 3.6 s), and opens
 * the path with the ANSI open() on Windows. So the engine copies local files itself: the source
 * is opened once (UTF-8 path, UTF-16 on Windows), positioned once per segment, and copied in
 * TRANSFER_BUFFER_SIZE slices, one slice per transfer per loop iteration (the engine's idle
 * handle), with the same checkpoints, ranges, restarts and results as HTTP. Engine thread only. */
#include "transfer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN UINT64_MAX
typedef unsigned long long ull;

/* The local path of a file:// URL, or the source itself when it is a path (malloc'd; free it),
 * or NULL with *detail explaining. */
static char *url_to_path(const char *url, char *detail, size_t size)
{
    if (!strstr(url, "://")) { /* a path: C:\x or \\server\share\x (BITS remote names) */
        char *copy = strdup(url);
        if (!copy)
            snprintf(detail, size, "out of memory");
        return copy;
    }
    CURLU *u = curl_url();
    char *host = NULL, *path = NULL, *out = NULL;
    if (!u) {
        snprintf(detail, size, "out of memory");
        return NULL;
    }
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc == CURLUE_OK)
        rc = curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
    if (rc != CURLUE_OK) {
        snprintf(detail, size, "%s: %s", url, curl_url_strerror(rc));
        goto done;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && *host &&
        !transfer_istarts(host, "localhost")) {
#ifdef _WIN32
        size_t n = strlen(host) + strlen(path) + 3; /* file://server/share/x -> \\server\share\x */
        out = malloc(n);
        if (out) {
            snprintf(out, n, "\\\\%s%s", host, path);
            for (char *c = out; *c; c++)
                if (*c == '/')
                    *c = '\\';
        }
#else
        snprintf(detail, size, "%s: a file:// URL naming another host (%s) is not supported", url, host);
#endif
        goto done;
    }
    const char *p = path;
#ifdef _WIN32
    if (p[0] == '/' && ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')) && p[2] == ':')
        p++; /* file:///C:/x -> C:/x */
#endif
    out = strdup(p);
    if (!out)
        snprintf(detail, size, "out of memory");
done:
    curl_free(host);
    curl_free(path);
    curl_url_cleanup(u);
    return out;
}

/* Starts copying the next segment (the rest of the file, or of the current range).
 * 1: started; 0: nothing left; -1: failed (outcome recorded). */
static int start_segment(transfer_t *t)
{
    if (!transfer_plan_request(t))
        return 0;
    uint64_t end = t->req_end == UNKNOWN ? t->src_size : t->req_end + 1; /* exclusive */
    char msg[256];
    hr_t hr = tfile_seek(&t->src, t->req_start, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, hr, "%s (%s)", msg, t->url);
        return -1;
    }
    return transfer_take_body(t, 0, t->req_start, end - t->req_start, t->pending_restart) ? 1 : -1;
}

int transfer_local_begin(transfer_t *t)
{
    char msg[256];
    char *path = url_to_path(t->url, msg, sizeof msg);
    if (!path) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, TRANSFER_E_INVALID_URL, "%s", msg);
        return -1;
    }
    hr_t hr = tfile_open_read(&t->src, path, msg, sizeof msg);
    if (HR_SUCCEEDED(hr))
        hr = tfile_size(&t->src, &t->src_size, msg, sizeof msg);
    if (HR_FAILED(hr)) {
        transfer_fail(t, TRANSFER_FATAL_REMOTE, hr, "%s (%s)", msg, path);
        free(path);
        return -1;
    }
    free(path);
    t->total_size = t->src_size;
    for (size_t i = 0; i < t->range_count; i++) {
        const transfer_range_t *r = &t->ranges[i];
        if (r->offset >= t->src_size ||
            (r->length != TRANSFER_TO_EOF && r->length > t->src_size - r->offset)) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, DO_E_INVALID_RANGE,
                          "the range at %llu (%s%llu bytes) is outside the file (%llu bytes): %s",
                          (ull)r->offset, r->length == TRANSFER_TO_EOF ? "to the end, " : "",
                          (ull)(r->length == TRANSFER_TO_EOF ? 0 : r->length), (ull)t->src_size, t->url);
            return -1;
        }
    }
    if (!t->range_count && t->progress > t->src_size) {
        t->progress = 0; /* the source is now shorter than what we have: copy it again */
        t->pending_restart = 1;
    }
    t->copy_buf = malloc(TRANSFER_BUFFER_SIZE);
    if (!t->copy_buf) {
        transfer_fail(t, TRANSFER_TRANSIENT, HR_E_OUTOFMEMORY, "out of memory for the copy buffer");
        return -1;
    }
    if (start_segment(t) <= 0)
        return -1; /* failed, or every range already done */
    t->local_active = 1;
    transfer_engine_wake_local(t->engine);
    return 0;
}

int transfer_local_step(transfer_t *t)
{
    char msg[256];
    if (t->body_bytes < t->body_expected) {
        uint64_t left = t->body_expected - t->body_bytes;
        size_t want = left < TRANSFER_BUFFER_SIZE ? (size_t)left : TRANSFER_BUFFER_SIZE, got = 0;
        hr_t hr = tfile_read(&t->src, t->copy_buf, want, &got, msg, sizeof msg);
        if (HR_FAILED(hr)) {
            transfer_fail(t, TRANSFER_FATAL_REMOTE, hr, "%s at offset %llu (%s)", msg,
                          (ull)(t->req_start + t->body_bytes), t->url);
            return 0;
        }
        if (got == 0) {
            transfer_fail(t, TRANSFER_TRANSIENT, DO_E_HTTP_BLOCKSIZE_MISMATCH,
                          "the source file ended at %llu bytes, %llu were expected (it changed "
                          "during the copy?): %s", (ull)(t->req_start + t->body_bytes),
                          (ull)(t->req_start + t->body_expected), t->url);
            return 0;
        }
        hr = tfile_write(&t->file, t->copy_buf, got, msg, sizeof msg);
        if (HR_FAILED(hr)) {
            transfer_fail(t, TRANSFER_FATAL_LOCAL, hr, "%s at offset %llu (%s)", msg,
                          (ull)t->write_pos, t->temp_path);
            return 0;
        }
        t->write_pos += got;
        t->body_bytes += got;
        t->progress += got;
        t->bytes_received += got;
        if (HR_FAILED(transfer_checkpoint(t, 0)))
            return 0;
        if (t->body_bytes < t->body_expected)
            return 1;
    }
    if (!transfer_body_complete(t))
        return 0;
    return start_segment(t) > 0;
}
