/* The private directory of a fuzz target that needs files: a job store and the service log, in
 * $TMPDIR (tests/fuzz/run.sh points it to memory when it can: the store syncs every change).
 * Header-only. */
#ifndef OPENDO_TESTS_FUZZ_WORKDIR_H
#define OPENDO_TESTS_FUZZ_WORKDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "log.h"

typedef struct fuzz_workdir {
    char dir[256];
    char db_path[300]; /* where the target keeps its store */
} fuzz_workdir_t;

/* Creates the directory and opens the service log in it, with the smallest rotation. */
static inline void fuzz_workdir_open(fuzz_workdir_t *w, const char *name)
{
    char path[320];
    const char *tmp = getenv("TMPDIR");
    snprintf(w->dir, sizeof w->dir, "%s/opendo-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    FUZZ_REQUIRE(mkdtemp(w->dir));
    snprintf(path, sizeof path, "%s/service.log", w->dir);
    FUZZ_REQUIRE(log_open(path) == 0);
    log_set_limits(LOG_MIN_MAX_BYTES, 1);
    snprintf(w->db_path, sizeof w->db_path, "%s/jobs.db", w->dir);
}

/* Removes the store (with its -wal, -shm, -journal files). */
static inline void fuzz_workdir_remove_store(const fuzz_workdir_t *w)
{
    char path[320];
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(path, sizeof path, "%s%s", w->db_path, suffixes[i]);
        unlink(path);
    }
}

/* Closes the log and removes everything (the store must be closed). */
static inline void fuzz_workdir_remove(const fuzz_workdir_t *w)
{
    char path[320];
    fuzz_workdir_remove_store(w);
    log_close();
    const char *logs[] = {"service.log", "service.log.1"};
    for (size_t i = 0; i < sizeof logs / sizeof *logs; i++) {
        snprintf(path, sizeof path, "%s/%s", w->dir, logs[i]);
        unlink(path);
    }
    rmdir(w->dir);
}

#endif
