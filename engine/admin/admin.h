/* The diagnostics of doadmin, answered by the service through its admin-only interface
 * (IOpendoAdmin): UTF-8 text reports made here, in the portable core, so that they are tested
 * natively with injected identities. Every function refuses a caller that is not an
 * administrator (HR_E_ACCESSDENIED) before it reads anything. docs/admin-guide.md shows each
 * report; the field names of /status and /perfsnap follow Get-DeliveryOptimizationStatus and
 * Get-DeliveryOptimizationPerfSnap, those of /config Get-DOConfig. */
#ifndef OPENDO_ADMIN_H
#define OPENDO_ADMIN_H

#include <stdint.h>

#include "jobs.h"
#include "log.h"
#include "settings.h"

/* What the reports read, set up once by the service. */
typedef struct admin_sources {
    jobs_t *jobs;
    const settings_t *settings;
    const char *db_path;  /* the job database */
    const char *log_path; /* the current log file */
    /* English text for an HRESULT and for a BG_ERROR_CONTEXT, malloc'ed UTF-8 (NULL: none):
     * the service's message table. May be NULL (then only the codes are shown). */
    char *(*describe_error)(uint32_t code);
    char *(*describe_context)(int32_t context);
} admin_sources_t;

/* /status [job]: one block per file ("Name : value" lines, a blank line between blocks), of
 * one job, or of every job of every user when job is NULL (the oldest ADMIN_STATUS_MAX_JOBS
 * jobs, then a line saying how many more there are). */
#define ADMIN_STATUS_MAX_JOBS 1000u
hr_t admin_status(const admin_sources_t *src, const caller_t *caller, const store_guid_t *job,
                  char **report);
/* /why job: in plain words, what the job waits for and what an administrator can do. A job that
 * left the queue (completed, cancelled, expired) is told from its log lines;
 * DO_E_JOB_NOT_FOUND when nothing is known of it. */
hr_t admin_explain(const admin_sources_t *src, const caller_t *caller, const store_guid_t *job,
                   char **report);
/* /perfsnap: service-wide totals and live figures. */
hr_t admin_perfsnap(const admin_sources_t *src, const caller_t *caller, char **report);
/* /config: every effective setting as "Name: value" and "NameProvider: where it came from". */
hr_t admin_config(const admin_sources_t *src, const caller_t *caller, char **report);
/* /log: the service's history (log_read); E_INVALIDARG for a since that is not a UTC time of
 * the log's form (or a prefix of it) and for more than LOG_MAX_READ_LINES lines. */
hr_t admin_read_log(const caller_t *caller, const log_query_t *query, char **text);
/* /util /version: the versions of the service and its libraries, the database, its schema and
 * job count, the log. */
hr_t admin_version(const admin_sources_t *src, const caller_t *caller, char **report);

#endif
