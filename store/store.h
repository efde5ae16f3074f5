/* opendo job store: portable C over SQLite. No Windows headers.
 *
 * Every mutating call is one transaction, committed durably (WAL, synchronous=FULL) before it
 * returns, unless the caller opened an explicit transaction (store_begin): then the calls join it
 * and nothing is durable before store_commit. Strings are UTF-8. Times are FILETIME units (100 ns
 * since 1601-01-01 UTC) so they pass to Windows callers unchanged. A store handle is used from one
 * thread at a time; callers that share it across threads serialise access themselves.
 */
#ifndef OPENDO_STORE_H
#define OPENDO_STORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct store store_t;

typedef enum store_status {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such row */
    STORE_EXISTS,      /* primary key already present */
    STORE_CORRUPT,     /* integrity check failed and the damage could not be set aside */
    STORE_IO,          /* open/read/write failure */
    STORE_NOMEM,
    STORE_INVALID,     /* bad argument (NULL, over-long, out of range) */
    STORE_NEWER_SCHEMA /* the database was written by a newer opendo: left untouched */
} store_status_t;

typedef struct store_guid {
    uint8_t bytes[16]; /* in Windows GUID memory order */
} store_guid_t;

/* Limits enforced by the store itself (the API layer enforces the documented ones first). */
/* Bytes of any single text column, and of a credential's secret: above every API limit (the
 * largest, 65536 UTF-16 units of a DO file property, takes at most 196608 bytes of UTF-8). */
#define STORE_MAX_TEXT 262144

/* One job row. Text members are heap strings owned by the struct (store_job_clear frees them);
 * NULL means "not set". Enumerations are stored as the numeric BITS/DO values. */
typedef struct store_job {
    store_guid_t id;
    char *display_name;
    char *description;
    char *owner_sid;          /* e.g. "S-1-5-21-0-0-0-1000" */
    int32_t type;             /* BG_JOB_TYPE */
    int32_t state;            /* BG_JOB_STATE */
    int32_t priority;         /* BG_JOB_PRIORITY */
    uint32_t notify_flags;
    store_guid_t notify_clsid;
    char *notify_program;
    char *notify_parameters;
    uint32_t min_retry_delay;     /* seconds */
    uint32_t no_progress_timeout; /* seconds */
    uint32_t max_download_time;   /* seconds, 0 = none */
    int32_t proxy_usage;          /* BG_JOB_PROXY_USAGE */
    char *proxy_list;
    char *proxy_bypass_list;
    uint32_t cost_flags;
    uint32_t acl_flags;
    uint32_t peer_caching_flags;
    char *custom_headers;
    int64_t creation_time;
    int64_t modification_time;
    int64_t transfer_completion_time; /* 0 until TRANSFERRED */
    /* last error: code 0 means none */
    int32_t error_context;    /* BG_ERROR_CONTEXT */
    uint32_t error_code;      /* HRESULT */
    int32_t error_file_index; /* -1 when not tied to a file */
    char *error_detail;       /* human-readable explanation for admins */
    uint32_t error_count;
    /* schema v3: IBackgroundCopyJobHttpOptions security flags (BG_SSL_* | BG_HTTP_REDIRECT_*) */
    uint32_t security_flags;  /* 0 by default */
    /* schema v5: downloads of the IDODownload API */
    int32_t kind;             /* STORE_KIND_JOB, STORE_KIND_DOWNLOAD or STORE_KIND_BITS */
    int32_t non_volatile;     /* a download that survives a service restart (jobs always do) */
    int32_t started;          /* a download that was ever started (Created until then), a job that
                               * was ever resumed (its HTTP method is fixed from then on) */
    uint32_t error_extended;  /* HRESULT behind error_code (e.g. the last error before a
                               * no-progress timeout), 0 when none */
    /* schema v6: what the BITS classes keep (docs/bits.md) */
    char *http_method;               /* IBackgroundCopyJobHttpOptions2; NULL: the type's default */
    int32_t custom_headers_write_only; /* IBackgroundCopyJobHttpOptions3 */
    uint32_t helper_token_flags;     /* IBitsTokenOptions: BG_TOKEN_* */
    int32_t on_demand;               /* BITS_JOB_PROPERTY_ON_DEMAND_MODE */
    uint32_t notification_interval_ms; /* BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS */
    int32_t certificate_callback;    /* IBackgroundCopyJobHttpOptions3: the client registered a
                                      * server certificate callback (kept in memory only) */
    /* schema v7: cache hosts */
    char *cache_host;                /* the last cache host an attempt used (host[:port]); NULL: none */
    char *cache_fallback;            /* why the job last left a cache host (a sentence); NULL: never */
} store_job_t;

#define STORE_KIND_JOB 0      /* made by IBackgroundCopyManager::CreateJob */
#define STORE_KIND_DOWNLOAD 1 /* made by IDOManager::CreateDownload */
#define STORE_KIND_BITS 2     /* made by IBackgroundCopyManager::CreateJob of a BITS class */

/* One file of a job. */
typedef struct store_file {
    store_guid_t job_id;
    uint32_t index;           /* order added, from 0 */
    char *file_id;            /* DO fileId, NULL for BITS-style AddFile */
    char *remote_name;
    char *local_name;
    char *temp_name;
    uint64_t bytes_total;     /* UINT64_MAX = unknown */
    uint64_t bytes_transferred;
    int32_t completed;        /* BG_FILE_PROGRESS.Completed */
    char *validator;          /* ETag or Last-Modified used for If-Range */
    char *response_headers;
    int32_t validation_state; /* IBackgroundCopyFile3 validation state; 0 (not set) by default */
    /* schema v4: what the file's downloads cost so far, over every attempt (GetStats) */
    uint64_t bytes_from_http;   /* body bytes received, re-fetched ones included */
    uint32_t http_connections;  /* connections opened */
    uint64_t download_ms;       /* time spent transferring */
    /* schema v5: the last response of its transfers */
    char *final_url;            /* the URL after redirects (NULL before any response) */
    char *server_ip;            /* the address of the server that answered */
    int32_t http_status;        /* its HTTP status (0: none yet) */
    /* schema v7: what its attempts through cache hosts received (bytes_from_http and
     * http_connections count the origin's alone) */
    uint64_t bytes_from_cache;  /* body bytes from cache hosts, re-fetched ones included */
    uint32_t cache_connections; /* connections opened to cache hosts */
    /* schema v8: of bytes_transferred (the bytes written to the temporary file), those known to
     * be on disk (flushed); the rest may be lost if the machine, not only the service, stops */
    uint64_t bytes_durable;
} store_file_t;

typedef struct store_range {
    uint64_t offset;
    uint64_t length;          /* UINT64_MAX = to end of file */
} store_range_t;

/* What store_open found and did; reported by the caller (service log, admin tool). */
typedef struct store_open_report {
    int created;                  /* a new, empty database was created */
    int migrated_from;            /* schema version before open (0 for a new database) */
    int schema_version;           /* schema version after open */
    int integrity_ok;             /* PRAGMA integrity_check passed on the opened database */
    int quarantined;              /* a damaged database was moved aside */
    char quarantine_path[1024];   /* where it now is (kept, never deleted) */
    char detail[512];             /* the integrity check's first complaint, if any */
    long salvaged_jobs;           /* rows recovered from the damaged file into the new one */
    long salvaged_files;
} store_open_report_t;

/* Opens (creating if needed) the database at path, migrates it to the current schema and checks
 * its integrity. A damaged database is renamed aside (with its -wal/-shm), a new one is created,
 * whatever rows can still be read are copied over, and report says so. report may be NULL. */
store_status_t store_open(const char *path, store_t **out, store_open_report_t *report);
void store_close(store_t *store);
const char *store_status_text(store_status_t status);
/* The most recent SQLite error message for this handle (for logs). */
const char *store_last_error(const store_t *store);

/* Explicit transaction, for changing several rows atomically: the calls made between
 * store_begin and store_commit/store_rollback join it (a call that fails undoes only its own
 * changes, and the caller decides about the rest). store_begin takes the write lock at once
 * (BEGIN IMMEDIATE); it gives STORE_INVALID when a transaction is already open (no nesting).
 * store_commit ends the transaction in every case: on failure everything is rolled back. If SQLite
 * itself abandons the transaction (I/O error, disk full), every call gives STORE_IO until
 * store_commit or store_rollback ends it. store_close rolls back an open transaction. */
store_status_t store_begin(store_t *store);
store_status_t store_commit(store_t *store);
void store_rollback(store_t *store); /* no-op when no transaction is open */

/* Runs PRAGMA integrity_check; STORE_OK or STORE_CORRUPT (detail filled when given). */
store_status_t store_check_integrity(store_t *store, char *detail, size_t detail_size);
int store_schema_version(store_t *store);

/* Jobs. */
store_status_t store_job_insert(store_t *store, const store_job_t *job);
/* Inserts count jobs in one transaction: all or nothing (for bulk loads; one fsync in all). */
store_status_t store_job_insert_many(store_t *store, const store_job_t *jobs, size_t count);
store_status_t store_job_get(store_t *store, const store_guid_t *id, store_job_t *out);
/* What the access check of every call reads of a job: its state, kind and owner, and its display
 * name. Answered from a small in-memory copy of committed rows when the job's copy is there (the
 * read of GetState, GetJob and GetDisplayName, docs/store.md "The access copy"): a copy is taken
 * only outside any transaction, from a row just read, and every insert, update or delete of the
 * job drops the job's copy first, so the copy never holds what a rollback undid nor a value a
 * later write replaced. STORE_CORRUPT when the owner does not fit; a display name that does not
 * fit is left out (display_name_copied 0) and read with the whole row (store_job_get). */
#define STORE_SID_MAX 192 /* with its NUL; a SID has at most 184 characters */
/* With its NUL: room for every display name the service accepts (256 UTF-16 units, at most 768
 * bytes of UTF-8; jobs.h checks it). */
#define STORE_ACCESS_NAME_MAX 772
typedef struct store_job_access {
    int32_t state;
    int32_t kind;
    char owner_sid[STORE_SID_MAX]; /* "" when the row has none */
    int display_name_copied;       /* 0: longer than display_name holds */
    char display_name[STORE_ACCESS_NAME_MAX]; /* "" when the row has none */
} store_job_access_t;
store_status_t store_job_access(store_t *store, const store_guid_t *id, store_job_access_t *out);
store_status_t store_job_update(store_t *store, const store_job_t *job); /* all columns */
/* Deletes the job with its files, ranges, file properties and credentials. */
store_status_t store_job_delete(store_t *store, const store_guid_t *id);
/* Ids of jobs owned by owner_sid (or all jobs when NULL), oldest first. *ids is malloc'ed. */
store_status_t store_job_list(store_t *store, const char *owner_sid, store_guid_t **ids,
                              size_t *count);
store_status_t store_job_count(store_t *store, const char *owner_sid, size_t *count);

/* What the scheduler needs to know of a job to decide whether it may start. */
typedef struct store_job_brief {
    store_guid_t id;
    int32_t state;
    int32_t priority;
    int64_t modification_time;
    uint32_t min_retry_delay;
} store_job_brief_t;

#define STORE_MAX_LISTED_STATES 4
/* The jobs in any of states[0..state_count) (1 to STORE_MAX_LISTED_STATES states), oldest first.
 * Indexed (schema v4): the cost follows the number of such jobs, not the size of the store.
 * *jobs is malloc'ed (NULL when count is 0). */
store_status_t store_job_list_in_states(store_t *store, const int32_t *states, size_t state_count,
                                        store_job_brief_t **jobs, size_t *count);
void store_job_clear(store_job_t *job); /* frees text members, zeroes the struct */

/* A search for jobs (store_job_find): every condition given must hold. */
typedef enum store_match {
    STORE_MATCH_NONE,
    STORE_MATCH_DISPLAY_NAME,  /* display_name == value, exactly */
    STORE_MATCH_REMOTE_NAME,   /* file 0's remote_name == value, ASCII case-insensitive */
    STORE_MATCH_LOCAL_NAME,    /* file 0's local_name == value, ASCII case-insensitive (indexed) */
    STORE_MATCH_FILE_PROPERTY, /* file 0's property `property` == value, exactly */
} store_match_t;

typedef struct store_job_query {
    int32_t kind;              /* STORE_KIND_*, or -1 for any */
    const char *owner_sid;     /* NULL: any owner */
    int32_t non_volatile;      /* 0 or 1, or -1 for any */
    store_match_t match;
    int32_t property;          /* STORE_MATCH_FILE_PROPERTY only */
    const char *value;         /* what match compares with (required unless STORE_MATCH_NONE) */
    int64_t created_before;    /* FILETIME: creation_time < it; 0: any */
    int64_t changed_before;    /* FILETIME: modification_time < it; 0: any */
} store_job_query_t;

/* Ids of the jobs the query matches, oldest first. *ids is malloc'ed (NULL when count is 0). */
store_status_t store_job_find(store_t *store, const store_job_query_t *query, store_guid_t **ids,
                              size_t *count);

/* Files. Insertion of several files and their ranges is atomic: all or nothing. */
store_status_t store_files_insert(store_t *store, const store_file_t *files, size_t count,
                                  const store_range_t *const *ranges, const size_t *range_counts);
store_status_t store_file_get(store_t *store, const store_guid_t *job_id, uint32_t index,
                              store_file_t *out);
store_status_t store_file_update(store_t *store, const store_file_t *file);
store_status_t store_file_count(store_t *store, const store_guid_t *job_id, uint32_t *count);
/* Ranges of one file, in the order they were stored (the order given); *ranges is malloc'ed (NULL when count is 0). */
store_status_t store_file_ranges(store_t *store, const store_guid_t *job_id, uint32_t index,
                                 store_range_t **ranges, size_t *count);
/* Replaces the ranges of one file (count 0: none, the whole file), atomically; STORE_NOT_FOUND
 * when the file does not exist. */
store_status_t store_file_ranges_replace(store_t *store, const store_guid_t *job_id, uint32_t index,
                                         const store_range_t *ranges, size_t count);
void store_file_clear(store_file_t *file);

/* File properties (DO file property id -> text value). set upserts, or deletes when value is NULL
 * (deleting an unset property is not an error); STORE_NOT_FOUND when the file does not exist.
 * get gives STORE_NOT_FOUND when the property is not set (or the file does not exist); *value is
 * malloc'ed. Deleting the file's job deletes its properties. */
store_status_t store_file_property_set(store_t *store, const store_guid_t *job_id, uint32_t index,
                                       int32_t property, const char *value);
store_status_t store_file_property_get(store_t *store, const store_guid_t *job_id, uint32_t index,
                                       int32_t property, char **value);

/* Job credentials, one per (target, scheme) (BG_AUTH_TARGET, BG_AUTH_SCHEME). The secret is an
 * opaque blob (the service encrypts it first) of at most STORE_MAX_TEXT bytes; user_name and
 * secret may be NULL (secret_size must then be 0). put upserts; STORE_NOT_FOUND when the job
 * does not exist. delete gives STORE_NOT_FOUND when there is no such credential; clear removes
 * all of a job's (STORE_OK when it has none); count is 0 for a job without any (or no job). */
store_status_t store_credential_put(store_t *store, const store_guid_t *job_id, int32_t target,
                                    int32_t scheme, const char *user_name, const void *secret,
                                    size_t secret_size);
store_status_t store_credential_delete(store_t *store, const store_guid_t *job_id, int32_t target,
                                       int32_t scheme);
store_status_t store_credentials_clear(store_t *store, const store_guid_t *job_id);
store_status_t store_credential_count(store_t *store, const store_guid_t *job_id, size_t *count);

/* A job's credential as stored (the secret still opaque). */
typedef struct store_credential {
    int32_t target, scheme;
    char *user_name;  /* NULL when none */
    void *secret;     /* NULL when none */
    size_t secret_size;
} store_credential_t;
/* All of a job's credentials, ordered by target then scheme; *list is malloc'ed (NULL when count
 * is 0): free it with store_credentials_free. */
store_status_t store_credentials_list(store_t *store, const store_guid_t *job_id,
                                      store_credential_t **list, size_t *count);
/* Frees the list and its strings; the secrets are zeroed first. */
void store_credentials_free(store_credential_t *list, size_t count);

/* Durability after a machine restart (schema v8; docs/transfer.md "Durability"). */
/* The boot time of the machine in which the service last started (its own clock's seconds;
 * engine/common/machine_boot.h); STORE_NOT_FOUND when none was recorded yet. */
store_status_t store_boot_get(store_t *store, int64_t *boot_time);
store_status_t store_boot_set(store_t *store, int64_t boot_time);

typedef struct store_file_ref {
    store_guid_t job_id;
    uint32_t index;
} store_file_ref_t;
/* The files not yet completed whose written bytes are not all durable (bytes_durable <
 * bytes_transferred), in insertion order. *files is malloc'ed (NULL when count is 0). */
store_status_t store_files_not_durable(store_t *store, store_file_ref_t **files, size_t *count);

/* A completed file (renamed into place) whose last bytes were not yet known to be on disk when its
 * job ended: kept until its flush ends, so that a start after a machine restart can name it. */
typedef struct store_unflushed {
    store_guid_t job_id;
    uint32_t index;
    char *local_name;       /* required */
    char *owner_sid;        /* NULL when none */
    int64_t completed_time; /* FILETIME */
    uint64_t bytes;         /* its size */
} store_unflushed_t;
/* put upserts (keyed by job and index); remove gives STORE_NOT_FOUND when there is no such row;
 * list gives them oldest first (*list malloc'ed, NULL when count is 0; free it with
 * store_unflushed_free). */
store_status_t store_unflushed_put(store_t *store, const store_unflushed_t *file);
store_status_t store_unflushed_remove(store_t *store, const store_guid_t *job_id, uint32_t index);
store_status_t store_unflushed_list(store_t *store, store_unflushed_t **list, size_t *count);
void store_unflushed_free(store_unflushed_t *list, size_t count);

/* Whether text is a JSON object, by SQLite's JSON parser (DecryptionInfo, IntegrityCheckInfo). */
int store_json_is_object(store_t *store, const char *text);

/* Now, in FILETIME units. */
int64_t store_now_filetime(void);
/* The SQLite library's version, e.g. "3.40.1". */
const char *store_library_version(void);

#ifdef __cplusplus
}
#endif
#endif
