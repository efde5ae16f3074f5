/* Service log: one line per event, UTC timestamp, level, job id (when the event concerns a job).
 * Thread-safe. Until log_open succeeds, lines go to stderr. */
#ifndef OPENDO_LOG_H
#define OPENDO_LOG_H

#include "store.h"

typedef enum log_level { LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Appends to the file at path (created if needed). Returns 0 on success. */
int log_open(const char *path);
void log_close(void);
/* job may be NULL for service-wide events. */
void log_event(log_level_t level, const store_guid_t *job, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
