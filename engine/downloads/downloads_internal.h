/* Shared by the source files of engine/downloads/; not part of the core's API. */
#ifndef OPENDO_DOWNLOADS_INTERNAL_H
#define OPENDO_DOWNLOADS_INTERNAL_H

#include "downloads.h"
#include "jobs_internal.h"

/* Properties without a column of their own live in file 0's file_properties rows, under ids
 * above DOFilePropertyId's so that the two APIs never share a row. */
static inline int32_t download_row(int32_t property)
{
    return 0x10000 + property;
}

/* Work on a download under the store lock: job is its row, or NULL when it is final (then
 * final is its record of this run). */
typedef hr_t (*download_fn)(jobs_t *jobs, store_job_t *job, const finished_job_t *final,
                            void *context);
/* Access checked (E_ACCESSDENIED), BITS-style jobs and unknown ids DO_E_JOB_NOT_FOUND. */
hr_t with_download(jobs_t *jobs, const caller_t *caller, const store_guid_t *id, download_fn use,
                   void *context);

/* The readable property values of a live download as texts (numbers in decimal; NULL: unset or
 * not readable), DL_PROPERTY_COUNT of them: kept once it is final, so that GetProperty still
 * answers (idomanager.md §4.1). NULL when they cannot be read. */
char **download_values_snapshot(jobs_t *jobs, const caller_t *caller, const store_guid_t *id);
void download_values_free(char **values);

/* "4a5ada83-a9a6-4cca-9404-a58414d269a2": the Id property's form (lowercase, no braces). */
#define DOWNLOAD_ID_SIZE 37
void download_id_text(const store_guid_t *id, char out[DOWNLOAD_ID_SIZE]);
/* That form, or the braced one; 0 on success. */
int download_id_parse(const char *text, store_guid_t *out);

#endif
