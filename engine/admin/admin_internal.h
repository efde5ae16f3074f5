/* Shared by the admin reports (the files of engine/admin): the admin check and formatting helpers. */
#ifndef OPENDO_ADMIN_INTERNAL_H
#define OPENDO_ADMIN_INTERNAL_H

#include <stddef.h>

#include "admin.h"
#include "text.h"

#define FILETIME_PER_SECOND 10000000LL

/* HR_OK for a valid administrator; HR_E_ACCESSDENIED (or HR_E_INVALIDARG for bad arguments),
 * with *report set to NULL. */
hr_t admin_check(const caller_t *caller, char **report);
/* admin_check, then what the scheduler is doing now (jobs_activity). */
hr_t admin_check_activity(const admin_sources_t *src, const caller_t *caller, char **report,
                          jobs_activity_t *activity);
/* A finished report: *report takes the text (HR_E_OUTOFMEMORY when it could not be made) unless
 * hr is a failure (the text is freed). Returns the result. */
hr_t admin_finish(hr_t hr, text_t *text, char **report);

/* "2026-12-07 02:24:28 UTC", or "-" for 0. */
void admin_format_time(int64_t filetime, char *out, size_t size);
/* When the expiry will remove job (job_rules.c: DO's days after creation, or BITS's
 * JobInactivityTimeout after its last change) as a time text in out, and *days. */
void admin_expiry(const admin_sources_t *src, const store_job_t *job, char *out, size_t size, int *days);
/* "1 h 2 min 3 s", "45 s", "120 ms". */
void admin_format_duration(uint64_t ms, char *out, size_t size);
/* "67108864 bytes (64.0 MiB)". */
void admin_format_bytes(uint64_t bytes, char *out, size_t size);
/* "Name : value" with the names of a block aligned at width. */
void admin_field(text_t *text, int width, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *admin_priority_name(int32_t priority);
/* The effective DODownloadMode and what it means here ("99 (Simple: ...)"). */
const char *admin_download_mode(const admin_sources_t *src);
/* The HTTP status of a BG_E_HTTP_ERROR_* code (0x801901xx..0x801905xx), else 0. */
int admin_http_status(uint32_t code);
/* "0x80190194 - The requested URL does not exist on the server." (the text when known). */
void admin_error_line(const admin_sources_t *src, text_t *text, const char *label, uint32_t code);
/* The volume a local path lies on ("C:\", "\\server\share\"; natively its directory). */
void admin_volume_of(const char *path, char *out, size_t size);

#endif
