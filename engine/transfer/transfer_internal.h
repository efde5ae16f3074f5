/* Internals of the transfer engine, shared by transfer.c (engine thread, command queue, libuv
 * and curl multi_socket glue), transfer_run.c (one transfer's life: outcome, errors),
 * transfer_checkpoint.c (the checkpoint rule, flushes on the thread pool), transfer_http.c (its
 * HTTP requests and responses), transfer_bandwidth.c (the cap) and transfer_file.c (the
 * temporary file). Not for use outside engine/transfer*.c. */
#ifndef OPENDO_TRANSFER_INTERNAL_H
#define OPENDO_TRANSFER_INTERNAL_H

#include <uv.h>
#include <curl/curl.h>

#include "transfer.h"

/* ---- the temporary file (transfer_file.c) -------------------------------------------------- */

typedef struct tfile {
#ifdef _WIN32
    void *handle; /* HANDLE */
#else
    int fd;
#endif
    int open;
    unsigned char *buf; /* writes gathered here (TFILE_BUFFER_SIZE), NULL for reading */
    size_t pending;     /* bytes in buf not yet written */
} tfile_t;

#define TFILE_BUFFER_SIZE (1024 * 1024)

/* Opens path read/write, creating it if missing (never truncating). On failure *detail holds
 * the system's explanation. */
hr_t tfile_open(tfile_t *f, const char *path, int hidden, char *detail, size_t size);
hr_t tfile_seek(tfile_t *f, uint64_t offset, char *detail, size_t size);
hr_t tfile_write(tfile_t *f, const void *buf, size_t len, char *detail, size_t size);
/* Writes out the bytes buffered by tfile_write (every other call does that first too). */
hr_t tfile_write_out(tfile_t *f, char *detail, size_t size);
hr_t tfile_sync(tfile_t *f, char *detail, size_t size);
/* A second handle to the same open file (unbuffered; tfile_close it), e.g. for a flush on
 * another thread. */
hr_t tfile_duplicate(tfile_t *f, tfile_t *copy, char *detail, size_t size);
/* Sets the file's size (the position is unspecified afterwards: seek again). */
hr_t tfile_truncate(tfile_t *f, uint64_t length, char *detail, size_t size);
hr_t tfile_size(tfile_t *f, uint64_t *length, char *detail, size_t size);
void tfile_close(tfile_t *f);
/* Opens an existing file for reading (file:// sources). */
hr_t tfile_open_read(tfile_t *f, const char *path, char *detail, size_t size);
/* Reads up to len bytes at the current position; *got = 0 at the end of the file. */
hr_t tfile_read(tfile_t *f, void *buf, size_t len, size_t *got, char *detail, size_t size);

/* ---- one transfer (transfer_http.c) --------------------------------------------------------- */

enum resp_state {
    RESP_HEADERS, /* waiting for a final response's headers */
    RESP_SKIP,    /* a redirect's or an error's body: not written */
    RESP_BODY,    /* accepted: body bytes go to the file */
};

#define TRANSFER_HEADERS_MAX (64 * 1024)
#define TRANSFER_DETAIL_MAX 768
#define TRANSFER_MAX_RESTARTS 3

typedef struct transfer transfer_t;

struct transfer {
    transfer_t *next;
    transfer_engine_t *engine;

    /* the request, copied */
    uint64_t token;
    char *url;
    char *temp_path;
    char *validator; /* current validator: the request's, then the latest response's */
    char *method; /* NULL: GET */
    char *tls_tag;
    uint32_t tls_ignore;   /* TRANSFER_TLS_IGNORE_* of the request */
    int32_t error_context; /* set with a verify_peer refusal */
    char *custom_headers;
    char *auth_headers;                      /* sent once a 401 asked for them */
    int auth_headers_due;                    /* a 401 came: the next request carries them */
    int auth_retry;                          /* make this request again, with auth_headers */
    char *proxy;
    char *proxy_bypass;
    transfer_auth_t server_auth, proxy_auth; /* strings owned (transfer_run.c auth_copy) */
    int server_challenged, proxy_challenged; /* 401 / 407 seen in this request */
    int fresh_connect;                       /* the next request opens a new connection */
    transfer_range_t *ranges;
    size_t range_count;
    int32_t max_redirects;
    uint32_t connect_timeout_s, low_speed_limit, low_speed_time_s, flags;
    int is_file_url, is_https;

    CURL *easy;
    struct curl_slist *header_list;
    char errbuf[CURL_ERROR_SIZE];
    int in_multi;
    int local_active;            /* a file:// copy in progress (served by the engine's idle) */
    tfile_t src;                 /* file:// source */
    uint64_t src_size;
    unsigned char *copy_buf;
    int paused;                  /* by the bandwidth cap (CURL_WRITEFUNC_PAUSE) */
    tfile_t file;
    struct tflush *flushing;     /* a flush in flight on the thread pool, or NULL */
    uint64_t last_flush_ms;      /* when the last flush started (the transfer's start before any) */

    /* progress: logical bytes (from 0 for a whole file, in range order for ranges) */
    uint64_t progress;
    uint64_t written;           /* the last on_checkpoint value */
    uint64_t durable;           /* the last on_flushed value (known on disk) */
    uint64_t last_checkpoint_ms; /* the last on_checkpoint (the transfer's start before any) */
    uint64_t last_written_ms;    /* the last on_checkpoint while data flows (0: none yet) */
    uint64_t total_size;
    size_t range_index;         /* the range being fetched (range_count: all done) */

    /* the current request */
    uint64_t req_start, req_end; /* absolute file offsets; req_end inclusive or UINT64_MAX */
    int req_range, req_if_range;
    char *req_validator;         /* the If-Range value sent */
    int pending_restart;         /* the next accepted response restarts the file */
    int restarts;

    /* the current response */
    enum resp_state rstate;
    int status;
    char reason[96];
    char *hdr; size_t hdr_len, hdr_cap;
    char *h_etag, *h_last_modified, *h_content_range, *h_location, *h_retry_after;
    uint64_t h_content_length; /* UINT64_MAX when absent */
    int h_chunked;
    uint64_t write_pos;          /* next file offset written */
    uint64_t body_bytes, body_expected;
    int complete_by_416;         /* resumed at the end: nothing left to fetch */
    int restart_requested;       /* re-run the request sequence from zero after this one */

    /* outcome */
    int failed;
    int stopping;                /* cancelled by transfer_engine_stop */
    transfer_class_t result;
    hr_t code;
    uint32_t retry_after;
    char detail[TRANSFER_DETAIL_MAX];

    /* statistics */
    uint64_t bytes_received;
    uint32_t connections;
    uint64_t start_ms;
};

/* transfer_http.c */
int transfer_istarts(const char *s, const char *prefix); /* case-insensitive prefix test */
const char *transfer_effective_url(transfer_t *t);
/* CURLINFO_PRIMARY_IP of the connection, NULL when none. */
const char *transfer_primary_ip(transfer_t *t);
void transfer_clear_response(transfer_t *t);
/* What a server sends, as the engine reads it (also driven by tests/fuzz/fuzz_http_response.c).
 * The CURLOPT_HEADERFUNCTION: one line of a response's header block (status line, field, or the
 * blank line that ends the block). */
size_t transfer_header_line(char *buf, size_t size, size_t nitems, void *userp);
/* Content-Range: "bytes a-b/c", "bytes a-b/STAR" or "bytes STAR/c" (STAR is "*"); c = UINT64_MAX
 * for STAR, a = b = UINT64_MAX for the unsatisfied form. 0, or -1 for anything else. */
int transfer_parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *c);
/* Retry-After (seconds, or an HTTP date): seconds to wait from now, 0 when absent or past. */
uint32_t transfer_parse_retry_after(const char *v);
/* The validator to keep for If-Range (malloc'ed, NULL when none): a strong ETag, else Last-Modified. */
char *transfer_pick_validator(const transfer_t *t);
/* Creates t->easy with the options all its requests share. 0, or -1 (outcome recorded). */
int transfer_http_setup(transfer_t *t);
/* Adds the next request (whole file from t->progress, or the current range). 1: added;
 * 0: nothing left to fetch; -1: failed (outcome recorded). */
int transfer_start_request(transfer_t *t);

/* transfer_run.c */
/* Builds a transfer from a request (caller's thread). HR_E_INVALIDARG / HR_E_OUTOFMEMORY. */
hr_t transfer_new(const transfer_request_t *request, transfer_t **out);
void transfer_free(transfer_t *t);
/* Engine thread: opens the file, creates the easy handle and adds the first request. Returns 0,
 * or -1 when the transfer already failed (t->failed set): the caller finishes it. */
int transfer_begin(transfer_t *t);
/* Engine thread: a request ended (CURLMSG_DONE; the handle is already out of the multi).
 * Returns 1 when the transfer goes on (next request added), 0 when it is over (outcome set). */
int transfer_request_done(transfer_t *t, CURLcode rc);
/* Records the outcome unless one is already recorded. */
void transfer_fail(transfer_t *t, transfer_class_t result, hr_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets req_start/req_end/req_range for the next request: the whole file from t->progress, or
 * the rest of the current range. 0 when every range is done. */
int transfer_plan_request(transfer_t *t);
/* A response (or a file:// segment) is accepted: on_response, the restart (on_checkpoint(0) and
 * truncation) when restart is set, then the file positioned at start. 1, or 0 (failed). */
int transfer_take_body(transfer_t *t, int status, uint64_t start, uint64_t expected, int restart);
/* The current body is complete: checks its length; 1 when another range follows (range_index
 * advanced), else 0 (the transfer is over: whole file checked and trimmed, or failed). */
int transfer_body_complete(transfer_t *t);

/* transfer_checkpoint.c */
#define TRANSFER_CHECKPOINT_SPACING_MS 100u /* checkpoints at least this far apart */
/* Reports the written bytes (on_checkpoint) when due, with force at once (the transfer's last
 * checkpoint), and starts a flush on the thread pool when one is due (never with force); a flush
 * that is over is reported (on_flushed). Returns HR_OK, or the file error (the transfer is then
 * failed FATAL_LOCAL). */
hr_t transfer_checkpoint(transfer_t *t, int force);
/* At the transfer's end, after its last checkpoint: 1 when bytes written are not yet durable
 * (or a flush is in flight) and the file did not fail; on_done then says flush_pending. */
int transfer_checkpoint_flush_due(const transfer_t *t);
/* After on_done with flush_pending: hands the flush of the bytes written and not yet durable to
 * the thread pool, after the flush in flight if any; its end is reported by on_flushed with final
 * set (also when it cannot be started: with the failure). */
void transfer_checkpoint_detach(transfer_t *t);
/* Waits for the flush in flight, if any, and drops its result: before the file restarts from
 * zero, and when the transfer is freed. */
void transfer_checkpoint_drop(transfer_t *t);

/* transfer_local.c: file:// sources, copied in TRANSFER_BUFFER_SIZE slices, one per loop
 * iteration (an idle handle), so the engine keeps serving other transfers and commands. */
int transfer_local_begin(transfer_t *t);  /* 0: copying; -1: over (outcome recorded or OK) */
int transfer_local_step(transfer_t *t);   /* one slice. 1: more to do; 0: over */

/* ---- the engine (transfer.c), as the transfers see it --------------------------------------- */

typedef struct sock_ctx sock_ctx_t;

struct transfer_engine {
    transfer_callbacks_t cb;
    void *ctx;
    char *user_agent;
    char *ca_info;
    uint64_t checkpoint_bytes;
    uint32_t checkpoint_ms;
    uint32_t flush_ms;
    transfer_verify_tls_fn verify_tls;
    transfer_verify_peer_fn verify_peer;
    void *verify_tls_ctx;

    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t curl_timer;  /* curl's timeout (CURLMOPT_TIMERFUNCTION) */
    uv_timer_t tick;        /* checkpoint sweep while transfers run */
    uv_timer_t bw_timer;    /* resumes transfers paused by the bandwidth cap */
    uv_idle_t local_idle;   /* copies a slice of each file:// transfer per loop iteration */
    uv_thread_t thread;
    CURLM *multi;

    /* shared with other threads, under lock */
    uv_mutex_t lock;
    struct command *queue_head, *queue_tail;
    int stopping;
    uint64_t *active; size_t active_count, active_cap; /* tokens submitted and not yet done */
    uint64_t bandwidth[TRANSFER_CAP_COUNT];

    /* engine thread only */
    transfer_t *transfers;
    size_t transfer_count;
    struct bw_bucket {          /* a cap in force (bytes/s, 0 = none): a token bucket */
        uint64_t applied;
        int64_t tokens;
        uint64_t last_ms;
    } bw[TRANSFER_CAP_COUNT];
    int tick_running;
};

uint64_t transfer_now_ms(void);
/* Ends t: out of curl, final checkpoint, its last flush handed over, on_done, freed (transfer.c). */
void transfer_engine_finish(transfer_engine_t *e, transfer_t *t);
/* Handles curl's finished requests (transfer.c). */
void transfer_engine_check(transfer_engine_t *e);
/* Starts serving file:// copies (transfer.c). */
void transfer_engine_wake_local(transfer_engine_t *e);
/* transfer_bandwidth.c: sets the caps in force (e->bandwidth; 0 = none) and resumes paused transfers. */
void transfer_bandwidth_apply(transfer_engine_t *e, const uint64_t bytes_per_second[TRANSFER_CAP_COUNT]);
/* The bandwidth cap: may t write len more bytes now? If not, t is marked paused and resumed
 * (curl_easy_pause) once the bucket has refilled; the write callback returns
 * CURL_WRITEFUNC_PAUSE and curl delivers the same bytes again later. */
int transfer_bandwidth_take(transfer_engine_t *e, transfer_t *t, size_t len);

#endif
