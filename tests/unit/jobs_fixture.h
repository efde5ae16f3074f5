/* Shared setup of the job manager's native unit tests (test_jobs*.c): the injected callers
 * (alice and bob, two ordinary users, and admin), a temporary directory holding the database and
 * the service log, the job manager opened on it, and comparisons of whole job and file rows.
 * Everything is static inline so that each test program uses what it needs. */
#ifndef OPENDO_TESTS_JOBS_FIXTURE_H
#define OPENDO_TESTS_JOBS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "jobs.h"
#include "log.h"

/* The codes the tests expect, written out rather than taken from the headers, so that a wrong
 * definition there is caught too. */
#define T_S_FALSE 0x00000001u
#define T_E_NOTIMPL 0x80004001u
#define T_E_ACCESSDENIED 0x80070005u
#define T_E_INVALIDARG 0x80070057u
#define T_E_NOT_SET 0x80070490u
#define T_DO_E_NO_SERVICE 0x80D01001u
#define T_DO_E_JOB_NOT_FOUND 0x80D02003u
#define T_DO_E_JOB_EMPTY 0x80D02004u
#define T_DO_E_MEMORYSTREAM_NOT_SUPPORTED 0x80D0200Bu
#define T_DO_E_UNKNOWN_PROPERTY_ID 0x80D02011u
#define T_DO_E_INVALID_STATE 0x80D02013u
#define T_DO_E_WRITE_ONLY_PROPERTY 0x80D02015u
#define T_DO_E_DOWNLOADSINK_UNSPECIFIED 0x80D02018u
#define T_DO_E_INVALID_RANGE 0x80D05010u
#define T_DO_E_OVERLAPPING_RANGES 0x80D05012u
#define T_BG_E_PROXY_LIST_TOO_LARGE 0x80200018u
#define T_BG_E_PROXY_BYPASS_LIST_TOO_LARGE 0x80200019u
#define T_BG_E_INVALID_AUTH_TARGET 0x80200027u
#define T_BG_E_INVALID_AUTH_SCHEME 0x80200028u
#define T_BG_E_INVALID_PROXY_INFO 0x8020003Fu
#define T_BG_E_INVALID_CREDENTIALS 0x80200040u
#define T_BG_E_TOO_MANY_JOBS_PER_USER 0x80200049u
#define T_BG_E_TOO_MANY_JOBS_PER_MACHINE 0x80200050u
#define T_BG_E_TOO_MANY_FILES_IN_JOB 0x80200051u
#define T_BG_E_TOO_MANY_RANGES_IN_FILE 0x80200052u

#define FILETIME_PER_DAY (INT64_C(86400) * 10000000)

/* ---- callers ------------------------------------------------------------------------------------ */

static inline caller_t make_caller(const char *sid, int is_admin)
{
    caller_t caller = {.is_admin = is_admin};
    strncpy(caller.sid, sid, sizeof caller.sid - 1);
    return caller;
}

static inline const caller_t *alice(void)
{
    static caller_t c;
    c = make_caller("S-1-5-21-1-1-1-1001", 0);
    return &c;
}

static inline const caller_t *bob(void)
{
    static caller_t c;
    c = make_caller("S-1-5-21-1-1-1-1002", 0);
    return &c;
}

static inline const caller_t *admin(void)
{
    static caller_t c;
    c = make_caller("S-1-5-21-1-1-1-500", 1);
    return &c;
}

/* ---- small helpers ------------------------------------------------------------------------------ */

/* unit repeated times (malloc'ed; the caller frees it). */
static inline char *repeat(const char *unit, int times)
{
    size_t len = strlen(unit);
    char *s = malloc(len * (size_t)times + 1);
    if (!s)
        abort();
    for (int i = 0; i < times; i++)
        memcpy(s + len * (size_t)i, unit, len);
    s[len * (size_t)times] = '\0';
    return s;
}

/* prefix followed by fill repeated until the text has length characters (ASCII fill). */
static inline char *padded(const char *prefix, char fill, size_t length)
{
    size_t plen = strlen(prefix);
    char *s = malloc(length + 1);
    if (!s)
        abort();
    memcpy(s, prefix, plen < length ? plen : length);
    for (size_t i = plen; i < length; i++)
        s[i] = fill;
    s[length] = '\0';
    return s;
}

static inline void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static inline int text_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static inline int guid_equal(const store_guid_t *a, const store_guid_t *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static inline int contains_id(const store_guid_t *ids, size_t count, const store_guid_t *id)
{
    for (size_t i = 0; i < count; i++)
        if (guid_equal(&ids[i], id))
            return 1;
    return 0;
}

/* Every column of two job rows. */
static inline int job_equal(const store_job_t *a, const store_job_t *b)
{
    return guid_equal(&a->id, &b->id) && text_equal(a->display_name, b->display_name) &&
           text_equal(a->description, b->description) && text_equal(a->owner_sid, b->owner_sid) &&
           a->type == b->type && a->state == b->state && a->priority == b->priority &&
           a->notify_flags == b->notify_flags && guid_equal(&a->notify_clsid, &b->notify_clsid) &&
           text_equal(a->notify_program, b->notify_program) &&
           text_equal(a->notify_parameters, b->notify_parameters) &&
           a->min_retry_delay == b->min_retry_delay &&
           a->no_progress_timeout == b->no_progress_timeout &&
           a->max_download_time == b->max_download_time && a->proxy_usage == b->proxy_usage &&
           text_equal(a->proxy_list, b->proxy_list) &&
           text_equal(a->proxy_bypass_list, b->proxy_bypass_list) &&
           a->cost_flags == b->cost_flags && a->acl_flags == b->acl_flags &&
           a->peer_caching_flags == b->peer_caching_flags &&
           text_equal(a->custom_headers, b->custom_headers) &&
           a->creation_time == b->creation_time && a->modification_time == b->modification_time &&
           a->transfer_completion_time == b->transfer_completion_time &&
           a->error_context == b->error_context && a->error_code == b->error_code &&
           a->error_file_index == b->error_file_index &&
           text_equal(a->error_detail, b->error_detail) && a->error_count == b->error_count &&
           a->security_flags == b->security_flags;
}

/* Every column of two file rows. */
static inline int file_equal(const store_file_t *a, const store_file_t *b)
{
    return guid_equal(&a->job_id, &b->job_id) && a->index == b->index &&
           text_equal(a->file_id, b->file_id) && text_equal(a->remote_name, b->remote_name) &&
           text_equal(a->local_name, b->local_name) && text_equal(a->temp_name, b->temp_name) &&
           a->bytes_total == b->bytes_total && a->bytes_transferred == b->bytes_transferred &&
           a->completed == b->completed && text_equal(a->validator, b->validator) &&
           text_equal(a->response_headers, b->response_headers) &&
           a->validation_state == b->validation_state;
}

/* The job's row as the owner (or admin) reads it now; zeroed when the read fails. */
static inline store_job_t job_snapshot(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    store_job_t job = {0};
    if (jobs_get(jobs, caller, id, &job) != HR_OK)
        memset(&job, 0, sizeof job);
    return job;
}

static inline int32_t job_state_of(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    int32_t state = -1;
    return jobs_state(jobs, caller, id, &state) == HR_OK ? state : -1;
}

static inline uint32_t file_count_of(jobs_t *jobs, const caller_t *caller, const store_guid_t *id)
{
    uint32_t count = 0;
    return jobs_file_count(jobs, caller, id, &count) == HR_OK ? count : UINT32_MAX;
}

/* A plain file: remote URL and local path, size unknown, no ranges. */
static inline job_file_spec_t file_spec(const char *remote, const char *local)
{
    job_file_spec_t spec = {remote, local, NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    return spec;
}

static inline hr_t add_one_file(jobs_t *jobs, const caller_t *caller, const store_guid_t *id,
                                const char *remote, const char *local)
{
    job_file_spec_t spec = file_spec(remote, local);
    return jobs_add_files(jobs, caller, id, &spec, 1, NULL);
}

/* ---- the fixture: a temporary directory with the log and the database --------------------------- */

typedef struct fixture {
    char dir[96];
    char db[160];
    char log[160];
    jobs_t *jobs;
} fixture_t;

/* Creates the directory, opens the log and the job manager; reports both as checks. */
static inline int fixture_open(fixture_t *f, const char *name)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/opendo-%s-XXXXXX", name);
    if (!mkdtemp(f->dir)) {
        CHECK(0, "fixture: temporary directory");
        return 0;
    }
    snprintf(f->db, sizeof f->db, "%s/jobs.db", f->dir);
    snprintf(f->log, sizeof f->log, "%s/dosvc.log", f->dir);
    CHECK(log_open(f->log) == 0, "fixture: log opens");
    store_open_report_t report;
    hr_t hr = jobs_open(f->db, &f->jobs, &report);
    CHECK_HR(hr, HR_OK, "fixture: jobs_open creates the database");
    return hr == HR_OK && report.created;
}

/* jobs_close, then jobs_open again on the same database: what a service restart sees. */
static inline int fixture_reopen(fixture_t *f)
{
    jobs_close(f->jobs);
    f->jobs = NULL;
    store_open_report_t report;
    hr_t hr = jobs_open(f->db, &f->jobs, &report);
    return hr == HR_OK && !report.created && report.integrity_ok && !report.quarantined;
}

/* Closes the job manager so that the test may open the database itself with store_open. */
static inline store_t *fixture_open_store(fixture_t *f)
{
    jobs_close(f->jobs);
    f->jobs = NULL;
    store_t *store = NULL;
    return store_open(f->db, &store, NULL) == STORE_OK ? store : NULL;
}

static inline int fixture_close_store(fixture_t *f, store_t *store)
{
    if (store)
        store_close(store);
    store_open_report_t report;
    return jobs_open(f->db, &f->jobs, &report) == HR_OK && report.integrity_ok;
}

/* The integrity check, closing, and removal of the directory; returns main's exit status. */
static inline int fixture_finish(fixture_t *f)
{
    if (f->jobs) {
        char detail[256] = "";
        CHECK_HR(jobs_check_integrity(f->jobs, detail, sizeof detail), HR_OK,
                 "integrity check passes at the end");
        jobs_close(f->jobs);
    }
    log_close();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return 2;
    return CHECK_EXIT_CODE();
}

#endif
