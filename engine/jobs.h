/* The job manager: the portable core behind the COM objects. It owns the store, applies the
 * rules of the DO/BITS API (validation, defaults, ownership and access) and logs every change.
 * All functions are thread-safe; COM calls arrive on many RPC threads at once. */
#ifndef OPENDO_JOBS_H
#define OPENDO_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "hresult.h"
#include "store.h"

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
#define JOB_DEFAULT_COST_FLAGS 0x8000007Fu       /* BITS_COST_STATE_TRANSFER_NOT_ROAMING */

#define CALLER_SID_MAX 192

/* Who is calling: established by the service from the RPC/COM call (or injected by tests). */
typedef struct caller {
    char sid[CALLER_SID_MAX];
    int is_admin;
} caller_t;

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

/* CreateJob: display_name is UTF-8, at most JOB_DISPLAY_NAME_MAX UTF-16 units. The job is
 * SUSPENDED, owned by caller, and durable when this returns. */
hr_t jobs_create(jobs_t *jobs, const caller_t *caller, const char *display_name, int32_t type,
                 store_guid_t *id_out);
/* GetJob and every per-job read: DO_E_JOB_NOT_FOUND for unknown or final jobs,
 * E_ACCESSDENIED for jobs the caller may not see. out is a snapshot (store_job_clear it). */
hr_t jobs_get(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, store_job_t *out);
hr_t jobs_progress(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                   job_progress_t *out);
/* EnumJobs: the caller's jobs, or everyone's with JOB_ENUM_ALL_USERS (administrators only). */
hr_t jobs_list(jobs_t *jobs, const caller_t *caller, uint32_t flags, store_guid_t **ids,
               size_t *count);
/* Runs the store's integrity check now (admin tool, tests). */
hr_t jobs_check_integrity(jobs_t *jobs, char *detail, size_t detail_size);

/* Number of UTF-16 code units needed for a UTF-8 string, or -1 when it is not valid UTF-8. */
long utf8_utf16_length(const char *text);

#endif
