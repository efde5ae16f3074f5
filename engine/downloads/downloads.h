/* Downloads of the IDOManager / IDODownload API (idomanager.md), on the job manager: a download
 * is a job of kind STORE_KIND_DOWNLOAD with exactly one file (index 0), so one store, one
 * scheduler and one transfer engine serve both APIs (docs/architecture.md, "A download is a
 * job"). This layer maps the job onto the download's states, status and properties and applies
 * the rules of the download API; the COM objects only convert VARIANTs and interface pointers.
 * Portable C; every function is thread-safe. */
#ifndef OPENDO_DOWNLOADS_H
#define OPENDO_DOWNLOADS_H

#include <stddef.h>
#include <stdint.h>

#include "jobs.h"

/* DODownloadState */
enum download_state {
    DOWNLOAD_CREATED, DOWNLOAD_TRANSFERRING, DOWNLOAD_TRANSFERRED, DOWNLOAD_FINALIZED,
    DOWNLOAD_ABORTED, DOWNLOAD_PAUSED
};

/* DODownloadProperty */
typedef enum download_property {
    DL_ID, DL_URI, DL_CONTENT_ID, DL_DISPLAY_NAME, DL_LOCAL_PATH, DL_HTTP_CUSTOM_HEADERS,
    DL_COST_POLICY, DL_SECURITY_FLAGS, DL_CALLBACK_FREQ_PERCENT, DL_CALLBACK_FREQ_SECONDS,
    DL_NO_PROGRESS_TIMEOUT, DL_FOREGROUND_PRIORITY, DL_BLOCKING_MODE, DL_CALLBACK_INTERFACE,
    DL_STREAM_INTERFACE, DL_SECURITY_CONTEXT, DL_NETWORK_TOKEN, DL_CORRELATION_VECTOR,
    DL_DECRYPTION_INFO, DL_INTEGRITY_CHECK_INFO, DL_INTEGRITY_CHECK_MANDATORY, DL_TOTAL_SIZE_BYTES,
    DL_DISALLOW_ON_CELLULAR, DL_HTTP_CUSTOM_AUTH_HEADERS, DL_HTTP_ALLOW_SECURE_TO_NONSECURE_REDIRECT,
    DL_NON_VOLATILE, DL_HTTP_REDIRECTION_TARGET, DL_HTTP_RESPONSE_HEADERS, DL_HTTP_SERVER_IP,
    DL_HTTP_STATUS_CODE,
    DL_PROPERTY_COUNT
} download_property_t;

/* The VARIANT type a property travels as (do-api.md §12). */
typedef enum download_value_type {
    DL_VALUE_TEXT,      /* VT_BSTR */
    DL_VALUE_U32,       /* VT_UI4 */
    DL_VALUE_U64,       /* VT_UI8 */
    DL_VALUE_BOOL,      /* VT_BOOL */
    DL_VALUE_INTERFACE, /* VT_UNKNOWN: the service keeps the pointer; the core sees set/cleared */
    DL_VALUE_BYTES,     /* VT_ARRAY|VT_UI1 */
} download_value_type_t;

/* A property value. TEXT: text (UTF-8); U32/U64/BOOL: number (BOOL 0 or 1); INTERFACE: number 1
 * when a pointer is set, 0 when cleared (VT_EMPTY); BYTES: bytes/size. */
typedef struct download_value {
    download_value_type_t type;
    const char *text;
    uint64_t number;
    const void *bytes;
    size_t size;
} download_value_t;

typedef struct download_status {
    uint64_t bytes_total; /* 0 while the size is not known */
    uint64_t bytes_transferred;
    int32_t state;        /* enum download_state */
    hr_t error;
    hr_t extended_error;
} download_status_t;

typedef struct download_range {
    uint64_t offset;
    uint64_t length; /* DOWNLOAD_LENGTH_TO_EOF: to the end of the file */
} download_range_t;

#define DOWNLOAD_LENGTH_TO_EOF UINT64_MAX
#define DOWNLOAD_MIN_NO_PROGRESS_TIMEOUT 60u           /* seconds; 0 means the default */
#define DOWNLOAD_NO_PROGRESS_TIMEOUT_BACKGROUND 10800u /* 3 h (idomanager.md §5) */
#define DOWNLOAD_NO_PROGRESS_TIMEOUT_FOREGROUND 1800u  /* 30 min */
#define DOWNLOAD_MIN_RETRY_DELAY 30u                   /* seconds between retries, as DO */
#define DOWNLOAD_CORRELATION_VECTOR_MAX 128            /* characters of an MS-CV */
#define DOWNLOAD_JSON_MAX 65536                        /* bytes of DecryptionInfo/IntegrityCheckInfo */
#define DOWNLOAD_CALLBACK_FREQ_SECONDS_DEFAULT 1u

/* Codes of this API that are not DO_E_* (winerror.h values). */
#define HR_INVALID_NAME ((hr_t)0x8007007B)      /* HRESULT_FROM_WIN32(ERROR_INVALID_NAME) */
#define HR_FILENAME_TOO_LONG ((hr_t)0x800700CE) /* HRESULT_FROM_WIN32(ERROR_FILENAME_EXCED_RANGE) */

/* Property rules (downloads_property_info). */
#define DL_READ_ONLY 0x1u
#define DL_WRITE_ONLY 0x2u
#define DL_CREATED_ONLY 0x4u      /* settable in Created only */
#define DL_NOT_TRANSFERRING 0x8u  /* settable in Created and Paused only */

typedef struct download_property_info {
    const char *name; /* DODownloadProperty_<name> */
    download_value_type_t type;
    unsigned rules;
} download_property_info_t;

/* NULL for an id outside DODownloadProperty. */
const download_property_info_t *downloads_property_info(int32_t property);
/* The WinHTTP name of the SecurityFlags flag that lets one certificate error pass, by its
 * TRANSFER_TLS_IGNORE_* bit (a download keeps its SecurityFlags as those bits); NULL for others. */
const char *downloads_security_flag_name(uint32_t tls_ignore_bit);

/* CreateDownload: a Created download owned by caller, durable when this returns. */
hr_t downloads_create(jobs_t *jobs, const caller_t *caller, store_guid_t *id_out);

/* GetStatus. Finalized and Aborted downloads of this run still answer (with their last bytes). */
hr_t downloads_status(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                      download_status_t *out);

/* SetProperty. value->type must be the property's type (E_INVALIDARG otherwise, or when the
 * value is out of range); the rules: DO_E_UNKNOWN_PROPERTY_ID, DO_E_READ_ONLY_PROPERTY,
 * DO_E_INVALID_STATE (final, or not settable in this state). Nothing changes on failure. */
hr_t downloads_set_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            int32_t property, const download_value_t *value);
/* GetProperty into out (out->text malloc'ed for TEXT; free with free()). E_NOT_SET when the
 * property was never set and has no default; DO_E_WRITE_ONLY_PROPERTY. A download finalized or
 * aborted in this run answers with its values as they were then; one that ended otherwise (the
 * 30-day expiry) with its Id only, DO_E_INVALID_STATE for the rest. */
hr_t downloads_get_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            int32_t property, download_value_t *out);

/* Whether a BOOL property reads TRUE (BlockingMode for Start): 0 when unset. */
int downloads_flag(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, int32_t property);

/* The state machine of idomanager.md §4.1. ranges NULL (or count 0) on a first Start means the
 * whole file. */
hr_t downloads_start(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                     const download_range_t *ranges, size_t count, int ranges_given);
hr_t downloads_pause(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
hr_t downloads_abort(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
hr_t downloads_finalize(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);

/* EnumDownloads: the caller's downloads (an administrator's: everyone's), oldest first, that
 * match property == value (property -1: all). DO_E_NO_DOWNLOADS when none; E_INVALIDARG for a
 * property that cannot filter. *ids is malloc'ed. */
hr_t downloads_list(jobs_t *jobs, const caller_t *caller, int32_t property, const char *value,
                    store_guid_t **ids, size_t *count);

/* Whether id is a download the caller may use (access checked; final ones of this run count). */
hr_t downloads_lookup(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);

/* At service start-up, before transfers are enabled: removes every download that is not
 * NonVolatile (a service restart loses them, idomanager.md §5), with its temporary file
 * (through ops->remove when given). *dropped counts them. */
hr_t downloads_drop_volatile(jobs_t *jobs, const jobs_file_ops_t *ops, size_t *dropped);

/* For the scheduler, store lock held: what a download's requests carry beyond a job's. *headers:
 * HttpCustomHeaders with the CorrelationVector as an MS-CV line (NULL: the job's own headers
 * serve); *auth_headers: HttpCustomAuthHeaders, sent once the server answers 401 (NULL: none).
 * Both malloc'ed. */
void downloads_request_headers(jobs_t *jobs, const store_job_t *job, char **headers, char **auth_headers);

/* The DODownloadState of a download's job row (one still in the store). */
int32_t downloads_state_of(const store_job_t *job);

/* ---- stream downloads (StreamInterface) --------------------------------------------------------
 * A download with a StreamInterface has no LocalPath: it transfers into a spool file of the
 * service, "<directory>/<id>.stream", from which the service writes the bytes to the client's
 * IStream in order (service/notify/download_streams.c). Finalize and Abort delete the spool. */

/* Where spool files go (the service's own directory); until it is set, StreamInterface is
 * refused with DO_E_MEMORYSTREAM_DOWNLOAD_NOT_SUPPORTED. */
hr_t downloads_set_stream_directory(jobs_t *jobs, const char *directory);

/* What the stream writer needs, read under the lock (no access check: the service's own use).
 * *path malloc'ed (NULL: not a stream download); *ranges malloc'ed in offset order (NULL and
 * count 0: the whole file); written: bytes in the spool so far, counted range after range;
 * total: all bytes it will hold (JOB_SIZE_UNKNOWN while unknown); generation changes whenever
 * a Start replaces the ranges (the bytes start over). */
typedef struct download_stream_source {
    char *path;
    store_range_t *ranges;
    size_t range_count;
    uint64_t written, total;
    uint32_t generation;
    int32_t state; /* DODownloadState */
} download_stream_source_t;
hr_t downloads_stream_source(jobs_t *jobs, const store_guid_t *id, download_stream_source_t *out);
void downloads_stream_source_clear(download_stream_source_t *source);

/* The client's sink failed (IStream::Write): the download stops, Paused with Error = failure
 * (detail for the log and doadmin /why). */
hr_t downloads_sink_failed(jobs_t *jobs, const store_guid_t *id, hr_t failure, const char *detail);

/* Text of a state, for logs and doadmin. */
const char *downloads_state_name(int32_t state);

#endif
