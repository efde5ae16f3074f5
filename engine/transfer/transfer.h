/* The transfer engine: downloads URLs (http, https, file) into temporary files on one engine
 * thread that runs a libuv loop driving libcurl's multi_socket API. It knows nothing about jobs,
 * COM or SQLite: a caller (the job manager) submits requests identified by its own 64-bit token
 * and hears back through three callbacks. See docs/transfer.md for the design, the on-disk
 * layout, the checkpoint rule and the error table.
 *
 * Threads: every function below may be called from any thread (also from inside a callback),
 * except transfer_engine_stop, which must not be called from a callback. Callbacks run on the
 * engine thread, one at a time; they must return quickly (no waiting on other threads that may
 * themselves be calling transfer_engine_stop). */
#ifndef OPENDO_TRANSFER_H
#define OPENDO_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "hresult.h"
#include "version.h"

#define TRANSFER_SIZE_UNKNOWN UINT64_MAX
#define TRANSFER_TO_EOF UINT64_MAX /* a range's length: up to the end of the file */

/* ---- result codes (32-bit HRESULT values, as clients will see them) ------------------------ */

/* HTTP status s (4xx, 5xx, an unfollowed 3xx) -> 0x80190000 + s, the BG_E_HTTP_ERROR_* codes. */
#define TRANSFER_HR_HTTP(status) ((hr_t)(0x80190000u + (uint32_t)(status)))
/* Network errors: HRESULT_FROM_WIN32(ERROR_INTERNET_* / ERROR_HTTP_*), as WinINet reports them. */
#define TRANSFER_E_TIMEOUT            ((hr_t)0x80072EE2) /* ERROR_INTERNET_TIMEOUT */
#define TRANSFER_E_INTERNAL           ((hr_t)0x80072EE4) /* ERROR_INTERNET_INTERNAL_ERROR */
#define TRANSFER_E_INVALID_URL        ((hr_t)0x80072EE5) /* ERROR_INTERNET_INVALID_URL */
#define TRANSFER_E_UNRECOGNIZED_SCHEME ((hr_t)0x80072EE6) /* ERROR_INTERNET_UNRECOGNIZED_SCHEME */
#define TRANSFER_E_NAME_NOT_RESOLVED  ((hr_t)0x80072EE7) /* ERROR_INTERNET_NAME_NOT_RESOLVED */
#define TRANSFER_E_CANNOT_CONNECT     ((hr_t)0x80072EFD) /* ERROR_INTERNET_CANNOT_CONNECT */
#define TRANSFER_E_CONNECTION_RESET   ((hr_t)0x80072EFF) /* ERROR_INTERNET_CONNECTION_RESET */
#define TRANSFER_E_INVALID_RESPONSE   ((hr_t)0x80072F78) /* ERROR_HTTP_INVALID_SERVER_RESPONSE */
#define TRANSFER_E_REDIRECT_FAILED    ((hr_t)0x80072F7C) /* ERROR_HTTP_REDIRECT_FAILED */
#define TRANSFER_E_SECURE_FAILURE     ((hr_t)0x80072F8F) /* ERROR_INTERNET_SECURE_FAILURE */
/* Local and engine codes: HRESULT_FROM_WIN32(ERROR_*). */
#define TRANSFER_E_FILE_NOT_FOUND     ((hr_t)0x80070002) /* file:// source missing */
#define TRANSFER_E_PATH_NOT_FOUND     ((hr_t)0x80070003)
#define TRANSFER_E_TOO_MANY_OPEN_FILES ((hr_t)0x80070004)
#define TRANSFER_E_WRITE_FAULT        ((hr_t)0x8007001D) /* other local I/O errors */
#define TRANSFER_E_DISK_FULL          ((hr_t)0x80070070)
#define TRANSFER_E_BUSY               ((hr_t)0x800700AA) /* ERROR_BUSY: token already running */
#define TRANSFER_E_CANCELLED          ((hr_t)0x800704C7) /* ERROR_CANCELLED */

/* ---- engine ------------------------------------------------------------------------------- */

typedef struct transfer_engine transfer_engine_t;

/* Certificate errors a request may ignore (transfer_request_t.tls_ignore): the values of BITS'
 * BG_SSL_IGNORE_* flags. Only a verify_tls hook applies them; without one, curl verifies in full. */
#define TRANSFER_TLS_IGNORE_NAME 0x02u       /* BG_SSL_IGNORE_CERT_CN_INVALID */
#define TRANSFER_TLS_IGNORE_DATE 0x04u       /* BG_SSL_IGNORE_CERT_DATE_INVALID */
#define TRANSFER_TLS_IGNORE_UNKNOWN_CA 0x08u /* BG_SSL_IGNORE_UNKNOWN_CA */
#define TRANSFER_TLS_IGNORE_USAGE 0x10u      /* BG_SSL_IGNORE_CERT_WRONG_USAGE */
#define TRANSFER_TLS_IGNORE_MASK 0x1Eu

/* Extension point for TLS certificate checks (the Windows service's Schannel chain check).
 * Called on the engine thread after the TLS handshake and before each request is sent on an
 * https connection (CURLOPT_PREREQFUNCTION); curl_easy is the transfer's CURL * (for
 * curl_easy_getinfo(CURLINFO_TLS_SSL_PTR)), url the URL being requested, ignore the request's
 * TRANSFER_TLS_IGNORE_* bits (curl's own verification is off for such a request: the hook is the
 * whole check). Return HR_OK to go on, or an error HRESULT (e.g. 0x800B010A): the transfer then
 * ends TRANSFER_FATAL_REMOTE with it. */
typedef hr_t (*transfer_verify_tls_fn)(void *verify_ctx, void *curl_easy, const char *url, uint32_t ignore);
/* A second check, after verify_tls passed, for the requests that carry a tls_tag (the
 * scheduler's: "{job id} file index" of a BITS job, for the service's server-certificate callbacks). Return HR_OK to
 * go on; otherwise the transfer ends with that code: TRANSFER_TRANSIENT when *transient is set
 * (else TRANSFER_FATAL_REMOTE), and the result's error_context is *context (0: the engine's). */
typedef hr_t (*transfer_verify_peer_fn)(void *verify_ctx, void *curl_easy, const char *url, const char *tls_tag,
                                        int *transient, int32_t *context);

typedef struct transfer_options {
    const char *user_agent;       /* NULL: TRANSFER_DEFAULT_USER_AGENT */
    const char *ca_info;          /* CA bundle file (CURLOPT_CAINFO); NULL: curl's default */
    uint64_t checkpoint_bytes;    /* 0: TRANSFER_DEFAULT_CHECKPOINT_BYTES */
    uint32_t checkpoint_ms;       /* 0: TRANSFER_DEFAULT_CHECKPOINT_MS */
    uint32_t flush_ms;            /* 0: TRANSFER_DEFAULT_FLUSH_MS */
    transfer_verify_tls_fn verify_tls; /* NULL: curl's own verification only */
    transfer_verify_peer_fn verify_peer; /* NULL: none (verify_tls_ctx is its ctx too) */
    void *verify_tls_ctx;
} transfer_options_t;

#define TRANSFER_DEFAULT_USER_AGENT "opendo/" OPENDO_VERSION " (Delivery-Optimization-compatible)"
#define TRANSFER_DEFAULT_CHECKPOINT_BYTES (4u * 1024 * 1024)
#define TRANSFER_DEFAULT_CHECKPOINT_MS 1000u
/* While data flows, a flush of the written bytes starts this often (at most one in flight;
 * docs/transfer.md "Durability"): the disk writes while data arrives, and little is left for
 * the last flush, which the transfer's end does not wait for. */
#define TRANSFER_DEFAULT_FLUSH_MS 100u
#define TRANSFER_BUFFER_SIZE (512 * 1024) /* CURLOPT_BUFFERSIZE */

/* ---- requests ----------------------------------------------------------------------------- */

typedef struct transfer_range {
    uint64_t offset;
    uint64_t length; /* TRANSFER_TO_EOF: to the end of the file (last range only) */
} transfer_range_t;

#define TRANSFER_FLAG_CREATE_HIDDEN 0x1u /* Windows: a temp file created here gets FILE_ATTRIBUTE_HIDDEN */
#define TRANSFER_FLAG_FOREGROUND 0x2u    /* counted against the foreground cap, not the background one */
#define TRANSFER_FLAG_HTTPS_TO_HTTP 0x4u /* a redirect from https to http is followed (else refused) */
/* Ranges are written at their own offsets (an IDODownload's file, which later Starts add other
 * portions to), not one after another (BITS's AddFileWithRanges). */
#define TRANSFER_FLAG_RANGES_AT_OFFSETS 0x8u

/* Credentials for the server or the proxy (IBackgroundCopyJob2::SetCredentials). */
#define TRANSFER_AUTH_BASIC 0x1u
#define TRANSFER_AUTH_DIGEST 0x2u
#define TRANSFER_AUTH_NTLM 0x4u
#define TRANSFER_AUTH_NEGOTIATE 0x8u
typedef struct transfer_auth {
    const char *user_name;      /* NULL: no credentials */
    const char *password;       /* NULL: empty */
    uint32_t schemes;           /* TRANSFER_AUTH_* the server or proxy may ask for */
} transfer_auth_t;

typedef struct transfer_request {
    uint64_t token;             /* the caller's id; unique among running transfers */
    const char *url;            /* http://, https:// or file://, or a local path (C:\x, \\server\share\x) */
    const char *temp_path;      /* file written (created if missing, never deleted here); UTF-8 */
    /* Bytes already written to temp_path (the last on_checkpoint value): the transfer resumes
     * there. Counted like on_checkpoint: from offset 0 for a whole file, in range order for a
     * ranged file. */
    uint64_t offset_done;
    /* Of those, the bytes known durable (the last on_flushed value; at most offset_done): the
     * transfer's flushes make the rest durable too. */
    uint64_t durable_done;
    const char *validator;      /* ETag or Last-Modified of the earlier attempt (If-Range), or NULL */
    const transfer_range_t *ranges; /* NULL/0: the whole file. Sorted, non-overlapping, length > 0 */
    size_t range_count;
    /* The request method (a token), or NULL for GET. With another method there are no ranges
     * and no resume (offset_done 0): E_INVALIDARG otherwise. */
    const char *method;
    const char *custom_headers; /* CRLF-separated "Name: value" lines, or NULL (Range/If-Range ignored) */
    const char *tls_tag;        /* handed to verify_peer on https; NULL: verify_peer is not called */
    uint32_t tls_ignore;        /* TRANSFER_TLS_IGNORE_* (other bits: E_INVALIDARG); 0: a full check */
    /* Lines like custom_headers, sent only after the server challenges with 401 (the request is
     * then made again with them, once): IDODownload's HttpCustomAuthHeaders. NULL: none. */
    const char *auth_headers;
    const char *proxy;          /* NULL: curl's default (environment); "": no proxy; else the proxy */
    const char *proxy_bypass;   /* CURLOPT_NOPROXY list, or NULL */
    transfer_auth_t server_auth; /* sent only to the request's host (not after a redirect elsewhere) */
    transfer_auth_t proxy_auth;
    int32_t max_redirects;      /* 0: a redirect is an error; default TRANSFER_DEFAULT_MAX_REDIRECTS */
    uint32_t connect_timeout_s; /* 0: curl's default (300 s) */
    /* The transfer fails (transient, TRANSFER_E_TIMEOUT) when it receives fewer than
     * low_speed_limit bytes/s for low_speed_time_s seconds. 0/0 disables it. */
    uint32_t low_speed_limit;
    uint32_t low_speed_time_s;
    uint32_t flags;             /* TRANSFER_FLAG_* */
} transfer_request_t;

#define TRANSFER_DEFAULT_MAX_REDIRECTS 10
#define TRANSFER_DEFAULT_CONNECT_TIMEOUT_S 60u
#define TRANSFER_DEFAULT_LOW_SPEED_LIMIT 1u
#define TRANSFER_DEFAULT_LOW_SPEED_TIME_S 120u

/* Zeroes *request and sets the defaults above (redirects, timeouts). */
void transfer_request_init(transfer_request_t *request);

/* ---- callbacks ---------------------------------------------------------------------------- */

typedef struct transfer_response {
    int status;                 /* final HTTP status after redirects (200, 206); 0 for file:// */
    uint64_t total_size;        /* size of the whole remote file, or TRANSFER_SIZE_UNKNOWN */
    const char *validator;      /* strong ETag, else Last-Modified, else NULL: keep it for resuming */
    const char *headers;        /* this response's header text (status line included), "" for file:// */
    const char *effective_url;  /* after redirects */
    const char *primary_ip;     /* the address of the server that answered; NULL for file:// */
    uint64_t body_offset;       /* file offset where this response's body is written */
    /* The server did not honour Range/If-Range (content changed, or no range support) or the
     * temp file was shorter than offset_done: the file restarts from zero. An on_checkpoint(0)
     * follows at once; record the new validator. */
    int restarted;
} transfer_response_t;

typedef enum transfer_class {
    TRANSFER_OK,
    TRANSFER_TRANSIENT,    /* retry later (after retry_after_seconds, if set), resuming */
    TRANSFER_FATAL_REMOTE, /* the server or URL refuses: retrying will not help */
    TRANSFER_FATAL_LOCAL,  /* the temp file cannot be written */
    TRANSFER_CANCELLED,    /* transfer_cancel, or the engine stopping */
} transfer_class_t;

typedef struct transfer_result {
    transfer_class_t result;
    hr_t code;                    /* HR_OK, or the error (see docs/transfer.md) */
    int http_status;              /* last final HTTP status seen, 0 if none */
    uint32_t retry_after_seconds; /* from a 503/429 Retry-After, else 0 */
    uint64_t written_bytes;       /* the last on_checkpoint value (all of it when OK) */
    uint64_t durable_bytes;       /* the last on_flushed value so far */
    int flush_pending;            /* an on_flushed with final set follows (written_bytes are not
                                   * all durable yet) */
    uint64_t total_size;          /* TRANSFER_SIZE_UNKNOWN when never learnt */
    uint64_t bytes_received;      /* body bytes received from the source (incl. restarts) */
    uint32_t connections;         /* new connections opened */
    uint64_t duration_ms;         /* from the start of the transfer to its end */
    int stopping;                 /* CANCELLED because transfer_engine_stop was called */
    const char *detail;           /* human-readable explanation (never NULL) */
    const char *headers;          /* the header text (status line included) of the response whose
                                   * HTTP status failed the transfer, else NULL */
    int32_t error_context;        /* BG_ERROR_CONTEXT of the failure when verify_peer chose it, else 0 */
} transfer_result_t;

typedef struct transfer_flush {
    uint64_t durable_bytes;       /* known on disk now (counted like on_checkpoint) */
    hr_t code;                    /* HR_OK, or why the flush failed (durable_bytes unchanged) */
    const char *detail;           /* the failure in words, else NULL */
    int final;                    /* the last report of this transfer */
} transfer_flush_t;

typedef struct transfer_callbacks {
    /* Once per final HTTP response whose body is accepted (one per range request for a ranged
     * file), before any of its bytes is written. */
    void (*on_response)(void *ctx, uint64_t token, const transfer_response_t *response);
    /* written_bytes are written to temp_path (in the system's cache, not necessarily on disk):
     * at least every checkpoint_bytes or checkpoint_ms while data flows, and at the end. */
    void (*on_checkpoint)(void *ctx, uint64_t token, uint64_t written_bytes);
    /* Exactly once per accepted transfer_submit. The token is free again when this runs. */
    void (*on_done)(void *ctx, uint64_t token, const transfer_result_t *result);
    /* A flush of temp_path is over (fsync / FlushFileBuffers): while data flows every flush_ms,
     * and once after on_done when the result's flush_pending is set (final). The token is the
     * transfer's, even after on_done; after a restart of the file (restarted), only flushes of
     * the new bytes are reported. May be NULL. */
    void (*on_flushed)(void *ctx, uint64_t token, const transfer_flush_t *flush);
} transfer_callbacks_t;

/* Starts the engine thread. opt may be NULL (defaults). cb is copied; ctx is passed back. */
hr_t transfer_engine_start(const transfer_callbacks_t *cb, void *ctx, const transfer_options_t *opt,
                           transfer_engine_t **out);
/* Stops every transfer (each gets on_done TRANSFER_CANCELLED with stopping set, after a final
 * checkpoint), joins the engine thread and frees the engine. NULL is ignored. */
void transfer_engine_stop(transfer_engine_t *engine);

/* Queues a transfer; everything in *request is copied. HR_E_INVALIDARG for a bad request,
 * TRANSFER_E_BUSY when the token is still running, DO_E_NO_SERVICE once stopping. */
hr_t transfer_submit(transfer_engine_t *engine, const transfer_request_t *request);
/* Stops a running transfer at once: on_done TRANSFER_CANCELLED follows (unless the transfer ends
 * on its own first), after a final checkpoint. The temp file is left as it is. HR_FALSE when the
 * token is not running. */
hr_t transfer_cancel(transfer_engine_t *engine, uint64_t token);
/* Caps the engine's total receive rate over http(s): one token bucket shared by the transfers
 * submitted with TRANSFER_FLAG_FOREGROUND (which: TRANSFER_CAP_FOREGROUND), one by all others
 * (TRANSFER_CAP_BACKGROUND); a transfer over its share is paused, so TCP slows the sender. 0, or
 * more than TRANSFER_BANDWIDTH_MAX, = no cap. file:// copies are not capped. */
#define TRANSFER_BANDWIDTH_MAX (1ull << 40)
typedef enum transfer_cap { TRANSFER_CAP_BACKGROUND, TRANSFER_CAP_FOREGROUND, TRANSFER_CAP_COUNT } transfer_cap_t;
hr_t transfer_set_bandwidth_limit(transfer_engine_t *engine, transfer_cap_t which, uint64_t bytes_per_second);

/* A short name for a result class ("ok", "transient", ...). */
const char *transfer_class_name(transfer_class_t c);
/* libcurl's version and TLS back-end, e.g. "libcurl 7.88.1 (Schannel)". */
const char *transfer_library_version(void);

#endif
