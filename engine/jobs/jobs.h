/* The job manager: the portable core behind the COM objects. It owns the store, applies the
 * rules of the DO/BITS API (validation, defaults, ownership and access) and logs every change.
 * All functions are thread-safe; COM calls arrive on many RPC threads at once. */
#ifndef OPENDO_JOBS_H
#define OPENDO_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "hresult.h"
#include "store.h"
#include "transfer.h"
#include "cache_hosts.h"

/* BITS/DO enumeration values, as the API defines them. */
enum job_state {
    JOB_STATE_QUEUED, JOB_STATE_CONNECTING, JOB_STATE_TRANSFERRING, JOB_STATE_SUSPENDED,
    JOB_STATE_ERROR, JOB_STATE_TRANSIENT_ERROR, JOB_STATE_TRANSFERRED, JOB_STATE_ACKNOWLEDGED,
    JOB_STATE_CANCELLED
};
enum job_type { JOB_TYPE_DOWNLOAD, JOB_TYPE_UPLOAD, JOB_TYPE_UPLOAD_REPLY };
enum job_priority { JOB_PRIORITY_FOREGROUND, JOB_PRIORITY_HIGH, JOB_PRIORITY_NORMAL, JOB_PRIORITY_LOW };

#define JOB_ENUM_ALL_USERS 0x0001u
#define JOB_DISPLAY_NAME_MAX 256 /* UTF-16 code units, terminator not counted */
#define JOB_SIZE_UNKNOWN UINT64_MAX

/* Defaults of a new job. */
#define JOB_DEFAULT_NOTIFY_FLAGS 0x0003u         /* BG_NOTIFY_JOB_TRANSFERRED | JOB_ERROR */
#define JOB_DEFAULT_MIN_RETRY_DELAY 600u         /* seconds, as BITS */
#define JOB_DEFAULT_NO_PROGRESS_TIMEOUT 86400u   /* seconds: DO's value for background jobs */
#define JOB_FOREGROUND_NO_PROGRESS_TIMEOUT 3600u /* seconds: DO's value for foreground jobs */
#define JOB_DEFAULT_COST_FLAGS 0x8000007Fu       /* BITS_COST_STATE_TRANSFER_NOT_ROAMING */
#define JOB_DEFAULT_MAX_DOWNLOAD_TIME 7776000u   /* seconds (90 days), as BITS */
#define JOB_MAX_AGE_DAYS 30                      /* DO removes older jobs */
#define FILETIME_PER_DAY (INT64_C(86400) * 10000000)
/* The BITS classes' own defaults (bits.md §4.1, §4.4). */
#define BITS_DEFAULT_NO_PROGRESS_TIMEOUT 1209600u /* seconds (14 days), whatever the priority */
#define BITS_DEFAULT_JOB_INACTIVITY_DAYS 90u      /* JobInactivityTimeout */

/* A remote name AddFile accepts (http(s)://, file://, a local or UNC path): HR_E_INVALIDARG else.
 * (The service asks it before it opens a local source as the caller.) */
hr_t file_check_remote_name(const char *remote);

#define CALLER_SID_MAX STORE_SID_MAX /* a job's owner is a caller's SID */

/* Who is calling: established by the service from the RPC/COM call (or injected by tests). */
typedef struct caller {
    char sid[CALLER_SID_MAX];
    int is_admin;
} caller_t;

/* The service itself (LocalSystem, an administrator), for what it does when nobody calls: the
 * expiry, reading jobs for callbacks, dropping volatile downloads, aborting a stream download
 * whose client is gone. */
extern const caller_t jobs_service_caller;

typedef struct job_progress {
    uint64_t bytes_total;      /* JOB_SIZE_UNKNOWN while any file's size is unknown */
    uint64_t bytes_transferred;
    uint32_t files_total;
    uint32_t files_transferred;
} job_progress_t;

typedef struct jobs jobs_t;

/* Opens the job database (see store_open for the integrity check and what report holds). */
hr_t jobs_open(const char *db_path, jobs_t **out, store_open_report_t *report);
/* Closes the store while COM calls may still arrive: later calls fail with DO_E_NO_SERVICE. */
void jobs_shutdown(jobs_t *jobs);
/* Shuts down and frees; only when no other thread can still call in. */
void jobs_close(jobs_t *jobs);

/* CreateJob of the DO class: display_name is UTF-8, at most JOB_DISPLAY_NAME_MAX UTF-16 units.
 * The job is SUSPENDED, owned by caller, and durable when this returns. */
hr_t jobs_create(jobs_t *jobs, const caller_t *caller, const char *display_name, int32_t type,
                 store_guid_t *id_out);
/* GetJob of the DO class: DO_E_JOB_NOT_FOUND for unknown and final jobs and for jobs of another
 * kind (downloads, BITS jobs), E_ACCESSDENIED for jobs the caller may not see. */
hr_t jobs_lookup(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* The same for the jobs of one API: kind STORE_KIND_JOB (the DO class) or STORE_KIND_BITS (the
 * BITS classes). A job of another kind is "not found", whoever owns it. */
hr_t jobs_create_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, const char *display_name,
                      int32_t type, store_guid_t *id_out);
hr_t jobs_lookup_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, const store_guid_t *id);
hr_t jobs_list_kind(jobs_t *jobs, const caller_t *caller, int32_t kind, uint32_t flags,
                    store_guid_t **ids, size_t *count);
/* Every read through a job object: like jobs_lookup, but a job that became final while the
 * object existed gives DO_E_INVALID_STATE. out is a snapshot (store_job_clear it). */
hr_t jobs_get(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out);
hr_t jobs_progress(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                   job_progress_t *out);
/* EnumJobs: the caller's jobs, or everyone's with JOB_ENUM_ALL_USERS (administrators only);
 * never the downloads of the IDOManager API (engine/downloads, docs/architecture.md). */
hr_t jobs_list(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
               size_t *count);
/* The same with the downloads among them (the admin reports). */
hr_t jobs_list_with_downloads(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
                              size_t *count);
/* Runs the store's integrity check now (admin tool, tests). */
hr_t jobs_check_integrity(jobs_t *jobs, char *detail, size_t detail_size);

/* ---- job properties (IBackgroundCopyJob..Job5 setters) ------------------------------------ */

typedef enum job_property {
    JOB_PROP_DISPLAY_NAME,        /* text: 0..256 UTF-16 units (as CreateJob) */
    JOB_PROP_DESCRIPTION,         /* text: 0..1024 UTF-16 units */
    JOB_PROP_PRIORITY,            /* number: BG_JOB_PRIORITY 0..3 */
    JOB_PROP_NOTIFY_FLAGS,        /* number: BG_NOTIFY_* bits */
    JOB_PROP_NOTIFY_CMDLINE,      /* text = program (NULL clears), text2 = parameters */
    JOB_PROP_MIN_RETRY_DELAY,     /* number: seconds */
    JOB_PROP_NO_PROGRESS_TIMEOUT, /* number: seconds */
    JOB_PROP_MAX_DOWNLOAD_TIME,   /* number: seconds, 0 = no limit */
    JOB_PROP_PROXY,               /* number = BG_JOB_PROXY_USAGE, text = list, text2 = bypass */
    JOB_PROP_ACL_FLAGS,           /* number: BG_COPY_FILE_* bits */
    JOB_PROP_PEER_CACHING_FLAGS,  /* number: BG_JOB_ENABLE_PEERCACHING_* bits */
    JOB_PROP_COST_FLAGS,          /* number: BITS_COST_STATE_* bits */
    JOB_PROP_NOTIFY_CLSID,        /* guid: GUID_NULL clears */
    JOB_PROP_CUSTOM_HEADERS,      /* text: CRLF-separated "Name: value" lines, NULL clears;
                                   * over JOB_CUSTOM_HEADERS_MAX: BG_E_STRING_TOO_LONG */
    JOB_PROP_SECURITY_FLAGS,      /* number: BG_SSL_* bits | one BG_HTTP_REDIRECT_POLICY_* */
    JOB_PROP_ON_DEMAND,           /* number: 0 or 1 (BITS_JOB_PROPERTY_ON_DEMAND_MODE); download
                                   * jobs only (BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY),
                                   * before the first Resume (BG_E_READ_ONLY_PROPERTY_AFTER_RESUME) */
    JOB_PROP_CERTIFICATE_CALLBACK, /* number: 0 or 1, whether the client registered a server
                                    * certificate callback (IBackgroundCopyJobHttpOptions3); a job
                                    * with 1 and no callback in memory cannot check servers */
} job_property_t;

typedef struct job_value {
    uint32_t number;
    const char *text;
    const char *text2;
    store_guid_t guid;
} job_value_t;

#define JOB_DESCRIPTION_MAX 1024     /* UTF-16 units */
#define JOB_PROXY_TEXT_MAX 32767     /* UTF-16 units, each of list and bypass list */
/* UTF-16 units: BITS allows 16,384 characters including the terminator. */
#define JOB_CUSTOM_HEADERS_MAX 16383
#define JOB_NOTIFY_FLAGS_VALID 0x003Fu
/* IBackgroundCopyJobHttpOptions security flags (bits2_5.h): BG_SSL_ENABLE_CRL_CHECK 0x1,
 * BG_SSL_IGNORE_CERT_CN_INVALID 0x2, _CERT_DATE_INVALID 0x4, _UNKNOWN_CA 0x8,
 * _CERT_WRONG_USAGE 0x10; the redirect policy field (mask 0x700) holds ALLOW_SILENT 0,
 * ALLOW_REPORT 0x100 or DISALLOW 0x200; BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP 0x800. */
#define JOB_SSL_FLAGS 0x001Fu
#define JOB_REDIRECT_POLICY_MASK 0x0700u
#define JOB_REDIRECT_POLICY_ALLOW_SILENT 0x0000u
#define JOB_REDIRECT_POLICY_ALLOW_REPORT 0x0100u
#define JOB_REDIRECT_POLICY_DISALLOW 0x0200u
#define JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP 0x0800u
#define JOB_SECURITY_FLAGS_VALID (JOB_SSL_FLAGS | JOB_REDIRECT_POLICY_MASK | JOB_REDIRECT_ALLOW_HTTPS_TO_HTTP)
#define HR_BG_E_STRING_TOO_LONG ((hr_t)0x80200021)
#define HR_BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY ((hr_t)0x80200060)
#define HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME ((hr_t)0x80200062)
#define HR_BG_E_RANDOM_ACCESS_NOT_SUPPORTED ((hr_t)0x8020006D)
#define HR_E_PENDING ((hr_t)0x8000000A)

/* Changes one property: access (owner or administrator), state (not final: DO_E_INVALID_STATE)
 * and value checks, then ModificationTime and the row are committed before it returns. */
hr_t jobs_set(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, job_property_t property,
              const job_value_t *value);

/* ---- state machine ------------------------------------------------------------------------ */

hr_t jobs_suspend(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* DO_E_JOB_EMPTY (job stays SUSPENDED) without files. */
hr_t jobs_resume(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* Both make the job final: it leaves the store (GetJob, EnumJobs no longer see it); calls on job
 * objects that still refer to it get DO_E_INVALID_STATE. */
hr_t jobs_cancel(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
hr_t jobs_complete(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* TakeOwnership: administrators only; strips credentials, custom headers, notify command line. */
hr_t jobs_take_ownership(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
/* State of a job object's job, final states included (GetState on a cancelled job). */
hr_t jobs_state(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, int32_t *state);
/* GetDisplayName: *name (UTF-8, "" when the job has none) is the caller's to free; the answers of
 * jobs_get otherwise (a job that left the queue: DO_E_INVALID_STATE). */
hr_t jobs_display_name(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, char **name);
/* DO's rule: cancels every DO job and download older than max_age (FILETIME units) with
 * DO_E_JOB_TOO_OLD; returns count. */
hr_t jobs_expire(jobs_t *jobs, int64_t max_age, size_t *expired);
/* The expiry of the jobs of one kind, as job_rules_of(kind) says: older than max_age, or (BITS's
 * JobInactivityTimeout) unchanged for max_age; cancelled as the service (temp files deleted). */
hr_t jobs_expire_kind(jobs_t *jobs, int32_t kind, int64_t max_age, size_t *expired);

/* ---- files -------------------------------------------------------------------------------- */

#define JOB_REMOTE_NAME_MAX 2200 /* UTF-16 units */
#define JOB_LOCAL_NAME_MAX 260   /* UTF-16 units (MAX_PATH) */

typedef struct job_file_spec {
    const char *remote_name; /* http(s):// or file:// URL, or a local or UNC path */
    const char *local_name;  /* absolute path; NULL only for a DO file whose sink comes later */
    const char *file_id;     /* DO fileId, may be NULL */
    uint64_t file_size;      /* JOB_SIZE_UNKNOWN when not known */
    const store_range_t *ranges; /* NULL when range_count is 0 */
    size_t range_count;
} job_file_spec_t;

/* Adds files atomically (all or none). Ranges are validated (DO_E_INVALID_RANGE,
 * DO_E_OVERLAPPING_RANGES, judged in offset order) and stored in the order given, the order of
 * the local file. *first_index may be NULL. */
hr_t jobs_add_files(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                    const job_file_spec_t *files, size_t count, uint32_t *first_index);
hr_t jobs_file_count(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t *count);
/* One file's row (store_file_clear it). E_INVALIDARG for an index past the end. */
hr_t jobs_get_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                   store_file_t *out);
hr_t jobs_get_file_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          uint32_t index, store_range_t **ranges, size_t *count);
hr_t jobs_set_remote_name(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          uint32_t index, const char *remote_name);
/* ReplaceRemotePrefix: every remote name starting with old_prefix (case-insensitive) gets
 * new_prefix instead; all names are checked, and all change or none. */
hr_t jobs_replace_remote_prefix(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                const char *old_prefix, const char *new_prefix);

/* DO file properties (IDeliveryOptimizationFile2), by DOFilePropertyId. Values travel as text:
 * booleans "0"/"1", sizes in decimal. Write-only properties give DO_E_WRITE_ONLY_PROPERTY on
 * get, never-set ones E_NOT_SET (0x80070490), unknown ids DO_E_UNKNOWN_PROPERTY_ID. */
#define HR_E_NOT_SET ((hr_t)0x80070490)
hr_t jobs_set_file_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            uint32_t index, int32_t property, const char *value);
hr_t jobs_get_file_property(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                            uint32_t index, int32_t property, char **value);
/* IBackgroundCopyFile3::SetValidationState: E_PENDING until the file is whole; FALSE puts the job
 * in ERROR (BG_E_VALIDATION_FAILED) with the file's progress back to 0. Committed, logged. */
hr_t jobs_set_file_validation(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                              uint32_t index, int valid);

/* ---- on-demand files (IBackgroundCopyFile6; docs/bits.md, "On-demand jobs") ------------------ */

/* Each is for a file of an on-demand download job whose remote name is http(s) and whose server
 * did not refuse ranges; otherwise BG_E_RANDOM_ACCESS_NOT_SUPPORTED. Committed before they return.
 * RequestFileRanges: ranges (BG_LENGTH_TO_EOF allowed once the size is known, else E_PENDING) may
 * overlap each other, the bytes on disk and the pending ones; only missing bytes are added. Past
 * the file's size (when known) or empty: DO_E_INVALID_RANGE. A running transfer restarts with
 * them; a SUSPENDED job waits for Resume. */
hr_t jobs_request_file_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                              const store_range_t *ranges, size_t count);
/* Missing bytes at or after offset are fetched before the others (DO_E_INVALID_RANGE at or past
 * the known size). */
hr_t jobs_update_download_position(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                   uint32_t index, uint64_t offset);
/* The bytes on disk, merged and sorted; *ranges malloc'ed (NULL when count is 0). */
hr_t jobs_get_filled_ranges(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t index,
                            store_range_t **ranges, size_t *count);
/* For FileRangesTransferred (the service, no access check): the requested bytes that arrived since
 * the last call, merged and sorted, and forgets them; HR_FALSE (count 0) when there are none. */
hr_t jobs_take_transferred_ranges(jobs_t *jobs, const store_guid_t *id, uint32_t index,
                                  store_range_t **ranges, size_t *count);

/* BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS: the spacing of a job's FileRangesTransferred
 * calls, stored with the job (jobs.notification_interval_ms). */
#define JOB_DEFAULT_NOTIFICATION_INTERVAL_MS 500u
hr_t jobs_set_notification_interval(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                    uint32_t ms);
hr_t jobs_notification_interval(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, uint32_t *ms);

/* ---- credentials (IBackgroundCopyJob2::SetCredentials / RemoveCredentials) ----------------- */

#define HR_BG_E_INVALID_AUTH_TARGET ((hr_t)0x80200027)
#define HR_BG_E_INVALID_AUTH_SCHEME ((hr_t)0x80200028)
#define HR_BG_E_INVALID_CREDENTIALS ((hr_t)0x80200040)
#define HR_BG_E_PROXY_LIST_TOO_LARGE ((hr_t)0x80200018)
#define HR_BG_E_PROXY_BYPASS_LIST_TOO_LARGE ((hr_t)0x80200019)
#define HR_BG_E_INVALID_PROXY_INFO ((hr_t)0x8020003F)
#define JOB_CREDENTIAL_USER_MAX 300       /* UTF-16 units */
#define JOB_CREDENTIAL_SECRET_MAX 131072  /* bytes of the (service-encrypted) secret */

/* target: BG_AUTH_TARGET 1..2, scheme: BG_AUTH_SCHEME 1..5. The secret is opaque here: the
 * service encrypts the password before it reaches the core. */
hr_t jobs_set_credentials(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          int32_t target, int32_t scheme, const char *user_name,
                          const void *secret, size_t secret_size);
/* S_FALSE when the job had no such credentials. */
hr_t jobs_remove_credentials(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                             int32_t target, int32_t scheme);

/* ---- the HTTP method and write-only headers (IBackgroundCopyJobHttpOptions2/3; docs/bits.md) -- */

#define JOB_HTTP_METHOD_MAX 64 /* characters of a method token */
#define HR_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME ((hr_t)0x80200062)
#define HR_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD ((hr_t)0x80200071)

/* SetHttpMethod: a token of RFC 9110 (E_INVALIDARG otherwise, BG_E_STRING_TOO_LONG beyond
 * JOB_HTTP_METHOD_MAX), only before the job's first Resume (BG_E_READ_ONLY_PROPERTY_AFTER_RESUME
 * after it). The type's default ("GET" for a download) is no custom method: the job stays as it
 * is (a custom method set before is dropped). Any other method is refused on a job with ranged
 * files or in on-demand mode (BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD); it sets the priority
 * to FOREGROUND, which then cannot change, makes transfer errors fatal (no TRANSIENT_ERROR), and
 * every transfer of it starts from byte 0 (no ranges, no resume). */
hr_t jobs_set_http_method(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                          const char *method);
/* The method of the job's requests: its own, or its type's default. */
const char *job_http_method(const store_job_t *job);
int job_has_custom_http_method(const store_job_t *job);
/* MakeCustomHeadersWriteOnly: for good (the job's custom headers are still sent, never read back
 * through the API); HR_OK even when it already was, or when the job has no headers. */
hr_t jobs_make_custom_headers_write_only(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);

/* ---- helper tokens (IBitsTokenOptions; docs/bits.md) ----------------------------------------- */

#define JOB_HELPER_TOKEN_LOCAL_FILE 0x1u /* BG_TOKEN_LOCAL_FILE */
#define JOB_HELPER_TOKEN_NETWORK 0x2u    /* BG_TOKEN_NETWORK */
#define HR_BG_E_TOKEN_REQUIRED ((hr_t)0x80200056)

/* SetHelperTokenFlags: unknown bits give E_INVALIDARG; BG_TOKEN_NETWORK gives E_NOTIMPL (opendo
 * cannot answer a server's or proxy's challenge with a helper token: docs/bits.md). Persisted.
 * A job with flags whose token the service does not hold (after a restart) goes to ERROR with
 * BG_E_TOKEN_REQUIRED when it would transfer. */
hr_t jobs_set_helper_token_flags(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                 uint32_t flags);

/* ---- limits ------------------------------------------------------------------------------- */

typedef struct jobs_limits {
    uint32_t max_jobs_per_user;    /* BG_E_TOO_MANY_JOBS_PER_USER beyond */
    uint32_t max_jobs_per_machine; /* BG_E_TOO_MANY_JOBS_PER_MACHINE beyond */
    uint32_t max_files_per_job;    /* BG_E_TOO_MANY_FILES_IN_JOB beyond */
    uint32_t max_ranges_per_file;  /* BG_E_TOO_MANY_RANGES_IN_FILE beyond */
} jobs_limits_t;

#define JOBS_DEFAULT_MAX_JOBS_PER_USER 200000u
#define JOBS_DEFAULT_MAX_JOBS_PER_MACHINE 1000000u
#define JOBS_DEFAULT_MAX_FILES_PER_JOB 10000u
#define JOBS_DEFAULT_MAX_RANGES_PER_FILE 10000u
#define HR_BG_E_TOO_MANY_JOBS_PER_USER ((hr_t)0x80200049)
#define HR_BG_E_TOO_MANY_JOBS_PER_MACHINE ((hr_t)0x80200050)
#define HR_BG_E_TOO_MANY_FILES_IN_JOB ((hr_t)0x80200051)
#define HR_BG_E_TOO_MANY_RANGES_IN_FILE ((hr_t)0x80200052)
#define HR_BG_E_VALIDATION_FAILED ((hr_t)0x80200053)
/* BG_ERROR_CONTEXT values of a job's error. */
#define JOB_ERROR_CONTEXT_QUEUE_MANAGER 2 /* BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER */
#define JOB_ERROR_CONTEXT_LOCAL_FILE 4
#define JOB_ERROR_CONTEXT_REMOTE_FILE 5

#define BITS_DEFAULT_MAX_JOBS_PER_USER 60u      /* bits.md §4.1 */
#define BITS_DEFAULT_MAX_JOBS_PER_MACHINE 300u
#define BITS_DEFAULT_MAX_FILES_PER_JOB 200u
#define BITS_DEFAULT_MAX_RANGES_PER_FILE 500u

/* The limits of the DO class's jobs and downloads (JOBS_LIMITS_DO). */
void jobs_set_limits(jobs_t *jobs, const jobs_limits_t *limits);

/* ---- what differs per kind of job (job_rules.c, docs/bits.md) ------------------------------ */

/* Whose limits a job meets, and whose jobs count against them. */
typedef enum jobs_limit_set { JOBS_LIMITS_DO, JOBS_LIMITS_BITS, JOBS_LIMIT_SETS } jobs_limit_set_t;
typedef enum job_expiry {
    JOB_EXPIRES_AFTER_CREATION,   /* DO: DO_E_JOB_TOO_OLD after JOB_MAX_AGE_DAYS */
    JOB_EXPIRES_AFTER_INACTIVITY, /* BITS: JobInactivityTimeout since the last change or progress */
} job_expiry_t;

typedef struct job_rules {
    const char *name;           /* in log lines: "DO job", "BITS job" ... */
    jobs_limit_set_t limit_set;
    int admins_exempt;          /* administrators and service accounts pass the limits (BITS) */
    job_expiry_t expiry;
    const char *expiry_event;   /* what the log calls an expiry: the code or event BITS/DO use */
    uint32_t no_progress_timeout, foreground_no_progress_timeout, min_retry_delay; /* defaults */
} job_rules_t;

/* The rules of a kind (STORE_KIND_*); those of STORE_KIND_JOB for an unknown kind. */
const job_rules_t *job_rules_of(int32_t kind);
void jobs_set_kind_limits(jobs_t *jobs, jobs_limit_set_t set, const jobs_limits_t *limits);

/* Number of UTF-16 code units needed for a UTF-8 string, or -1 when it is not valid UTF-8. */
long utf8_utf16_length(const char *text);

/* ---- transfers (docs/scheduler.md) ---------------------------------------------------------- */

/* How Complete and Cancel touch the user's files. Each returns 0 on success or a failure
 * HRESULT (HRESULT_FROM_WIN32 of the system error: 0x80070002 for a missing file, 0x80070005
 * for access denied, ...). rename_replace moves from onto to, replacing an existing to; remove
 * deletes path (a missing path may give 0 or 0x80070002/0x80070003: both are ignored); job is
 * the job whose file it is. The Windows service passes versions that impersonate the caller (or
 * the job's helper token); NULL ops (or NULL members) mean the native rename()/unlink(). They run
 * on the thread of the API call (Complete/Cancel). */
typedef struct jobs_file_ops {
    int (*rename_replace)(void *ctx, const store_guid_t *job, const char *from, const char *to);
    int (*remove)(void *ctx, const store_guid_t *job, const char *path);
    /* The password in a stored credential's secret (the service's DPAPI blob), malloc'ed UTF-8,
     * or NULL; called on the scheduler's threads when a transfer starts. */
    char *(*reveal_secret)(void *ctx, const void *secret, size_t size);
    /* Whether the service holds the job's helper token (IBitsTokenOptions::SetHelperToken; in
     * memory only, so not after a restart); called on the scheduler's threads before a job with
     * helper-token flags transfers. NULL: never (no token exists without the service). */
    int (*has_helper_token)(void *ctx, const store_guid_t *job);
    void *ctx;
} jobs_file_ops_t;

/* Starts a transfer engine (options may be NULL) and the scheduler thread; every job in an
 * action state (QUEUED, TRANSFERRING, TRANSIENT_ERROR) is picked up again, TRANSFERRING jobs
 * being set back to QUEUED first. Foreground jobs always start; at most max_background_transfers
 * other jobs transfer at once. HR_FALSE when already enabled. */
hr_t jobs_enable_transfers(jobs_t *jobs, const transfer_options_t *options, const jobs_file_ops_t *ops,
                           uint32_t max_background_transfers);
/* Stops the scheduler and the engine (progress checkpointed; jobs keep their state for the next
 * enable). No-op when not enabled. jobs_shutdown and jobs_close call it. */
void jobs_disable_transfers(jobs_t *jobs);
/* Caps the total download rate of background jobs (TRANSFER_CAP_BACKGROUND) or of foreground
 * ones (TRANSFER_CAP_FOREGROUND); 0 = no cap. HR_FALSE when transfers are not enabled (nothing
 * applied). */
hr_t jobs_set_bandwidth(jobs_t *jobs, transfer_cap_t which, uint64_t bytes_per_second);
/* The cache hosts every later attempt uses (engine/cache_hosts): may be called before or after
 * jobs_enable_transfers, and again whenever the policies change (running transfers finish on
 * the source they have). NULL: no cache host. HR_E_INVALIDARG (nothing changed) for more than
 * CACHE_HOSTS_MAX hosts, an empty or unterminated host, an unterminated disabled_why, or a delay
 * above CACHE_DELAY_MAX_S other than CACHE_DELAY_NEVER. */
hr_t jobs_set_cache_policy(jobs_t *jobs, const cache_policy_t *policy);
/* Whether a job's BG_SSL_IGNORE_* security flags are honoured from the next attempt on (the
 * administrator's AllowJobCertificateErrors; 1 until set): each use is logged (tls.ignore). */
void jobs_allow_certificate_errors(jobs_t *jobs, int allowed);
/* The machine's boot time the next jobs_enable_transfers compares with the store's (docs/
 * transfer.md "Durability"); jobs_open reads it (machine_boot_time). Tests set another to play a
 * restart of the machine. */
void jobs_set_machine_boot(jobs_t *jobs, int64_t boot_time);
/* The cache hosts' figures and bans now (cache_hosts_stats), for doadmin /perfsnap; returns how
 * many entries were filled (at most max). */
size_t jobs_cache_host_stats(jobs_t *jobs, cache_host_stats_t *out, size_t max);

/* ---- activity: what the scheduler is doing (engine/admin's reports) ------------------------- */

/* One job as the scheduler sees it now. */
typedef struct jobs_job_activity {
    int transfers_enabled;
    int running;          /* a transfer of file_index runs now */
    uint32_t file_index;
    int64_t retry_in_ms;  /* TRANSIENT_ERROR: time left until the retry; -1: not known */
    int64_t idle_ms;      /* since its last progress in this run (or its first start in this
                           * run, without progress); -1: it has not started in this run */
    int progressed;       /* it made progress in this run (idle_ms counts from that) */
    uint64_t rate;        /* bytes/s over the last seconds; 0 when idle */
    uint64_t transfer_bytes; /* running: bytes its transfer made durable so far */
    uint64_t transfer_ms;    /* running: how long its transfer has run */
    char cache_host[CACHE_HOST_NAME_MAX]; /* running through this cache host; "": from the origin */
} jobs_job_activity_t;

/* The whole service. */
typedef struct jobs_activity {
    int transfers_enabled;
    uint32_t foreground_running, background_running, max_background;
    uint32_t foreground_waiting, background_waiting; /* QUEUED or TRANSIENT_ERROR, not running */
    uint64_t background_cap, foreground_cap;          /* bytes/s; 0: none */
    uint64_t rate;                                    /* bytes/s, every transfer together */
    uint64_t files_downloaded, bytes_downloaded;      /* since transfers were enabled */
    uint64_t enabled_ms;                              /* how long ago they were */
    size_t job_count;                                 /* jobs in the store */
    int schema_version;                               /* of the job database */
} jobs_activity_t;

/* No access check: for callers that made their own (engine/admin). */
hr_t jobs_job_activity(jobs_t *jobs, const store_guid_t *id, jobs_job_activity_t *out);
hr_t jobs_activity(jobs_t *jobs, jobs_activity_t *out);
/* The jobs that want to transfer (QUEUED, TRANSFERRING, TRANSIENT_ERROR), oldest first; *ids is
 * malloc'ed (NULL when count is 0). */
hr_t jobs_list_wanting_transfer(jobs_t *jobs, store_guid_t **ids, size_t *count);

/* ---- events (the service turns them into client callbacks; docs/scheduler.md) --------------- */

/* BG_NOTIFY_* bits. */
#define JOB_NOTIFY_TRANSFERRED 0x0001u
#define JOB_NOTIFY_ERROR 0x0002u
#define JOB_NOTIFY_DISABLE 0x0004u
#define JOB_NOTIFY_MODIFICATION 0x0008u
#define JOB_NOTIFY_FILE_TRANSFERRED 0x0010u
#define JOB_NOTIFY_FILE_RANGES_TRANSFERRED 0x0020u /* BITS classes only */

typedef enum jobs_event {
    JOBS_EVENT_MODIFIED,         /* a committed change: a setter, files added, a state change
                                  * other than into TRANSFERRED or ERROR, or progress (at most
                                  * once per JOBS_PROGRESS_EVENT_MS per job) */
    JOBS_EVENT_FILE_TRANSFERRED, /* file_index has all its bytes */
    JOBS_EVENT_TRANSFERRED,      /* the job entered TRANSFERRED */
    JOBS_EVENT_ERROR,            /* the job entered ERROR (never for TRANSIENT_ERROR) */
    JOBS_EVENT_FILE_RANGES_TRANSFERRED, /* requested bytes of on-demand file_index arrived
                                         * (jobs_take_transferred_ranges has them) */
} jobs_event_t;

#define JOBS_NO_FILE UINT32_MAX         /* file_index of events not about one file */
#define JOBS_PROGRESS_EVENT_MS 250u     /* progress events: at most 4 a second per job */

typedef void (*jobs_event_fn)(void *ctx, const store_guid_t *job, jobs_event_t event,
                              uint32_t file_index);

/* Sets (fn NULL: removes) the receiver of the events: those the job's notify flags ask for when
 * the change is committed (jobs_event_wanted), so jobs with the default flags cost nothing for
 * modifications and progress. It is called after the change is committed,
 * never with a lock of the job manager held, on the thread that made the change (an API thread,
 * the scheduler thread or the transfer engine thread), one batch at a time in commit order. It
 * must return quickly and must not call back into the job manager to change anything (a read is
 * fine): the service queues the event and returns. When this returns, the previous receiver is
 * no longer called; it must not be called from inside a receiver. */
void jobs_set_event_sink(jobs_t *jobs, jobs_event_fn fn, void *ctx);
/* Whether a job with these notify flags asks for event (BG_NOTIFY_DISABLE overrides the rest). */
int jobs_event_wanted(uint32_t notify_flags, jobs_event_t event);

#endif
