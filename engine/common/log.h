/* The service's history: one structured line per event in a log file with a size cap and
 * rotation, so that a service that runs for years never fills the disk, optionally copied to a
 * platform sink (the Windows event log). Thread-safe. Until log_open succeeds, lines go to stderr.
 *
 * A line is six fields separated by one space (docs/admin-guide.md, "The log"):
 *   2026-12-07T02:24:32.136Z INFO  {8E1B...} S-1-5-21-0-0-0-1000 job.create name "nightly"
 *   time (UTC) | level (INFO, WARN, ERROR; padded to 5) | job id or - | the job owner's SID or - |
 *   event (one word, e.g. job.create, transfer.error, service.start) | details (to the end)
 * Rotation: when a line would take the file past the cap, dosvc.log becomes dosvc.log.1, .1
 * becomes .2 and so on; the oldest beyond the limit is deleted. A line is never split. */
#ifndef OPENDO_LOG_H
#define OPENDO_LOG_H

#include <stdint.h>

#include "store.h"

typedef enum log_level { LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

#define LOG_DEFAULT_MAX_BYTES (4u * 1024 * 1024) /* per file */
#define LOG_DEFAULT_MAX_FILES 4u                 /* rotated files kept besides the current one */
#define LOG_MIN_MAX_BYTES 4096u
#define LOG_MAX_MAX_FILES 99u
#define LOG_DEFAULT_READ_LINES 200u
#define LOG_MAX_READ_LINES 100000u

/* Appends to the file at path (created if needed). Returns 0 on success. */
int log_open(const char *path);
void log_close(void);
/* The cap of each file (at least LOG_MIN_MAX_BYTES) and how many rotated files are kept (at
 * most LOG_MAX_MAX_FILES); out-of-range values are clamped. */
void log_set_limits(uint64_t max_bytes, uint32_t max_files);

/* A copy of every line to fn (fields as written; job and owner "-" when none); NULL removes it.
 * Called with the log's lock held: it must not log. */
typedef void (*log_sink_fn)(void *ctx, log_level_t level, const char *job, const char *owner,
                            const char *event, const char *details);
void log_set_sink(log_sink_fn fn, void *ctx);

/* job and owner may be NULL. Line breaks in the details are written as spaces. */
void log_event(log_level_t level, const store_guid_t *job, const char *owner, const char *event,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* An event of a job row: its id and owner. */
void log_job(log_level_t level, const store_job_t *job, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A service-wide event. */
void log_service(log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reading the history back (doadmin /log): the newest matching lines of every file, oldest
 * first, each ending in '\n'. */
typedef struct log_query {
    const store_guid_t *job; /* only this job's lines; NULL: all */
    const char *since;       /* only lines at or after this UTC time ("2026-12-07T02:00:00Z" or
                              * a prefix of that form); NULL: all */
    int problems_only;       /* WARN and ERROR lines only */
    uint32_t max_lines;      /* 0: LOG_DEFAULT_READ_LINES; at most LOG_MAX_READ_LINES */
} log_query_t;
/* *text is malloc'ed (possibly ""). Returns 0; LOG_READ_NO_MEMORY; LOG_READ_NOT_OPEN when no
 * log file is open. */
#define LOG_READ_NO_MEMORY (-1)
#define LOG_READ_NOT_OPEN (-2)
int log_read(const log_query_t *query, char **text);

#endif
