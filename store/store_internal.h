/* Internals shared by the store's translation units (and the store unit test). Not public API. */
#ifndef OPENDO_STORE_INTERNAL_H
#define OPENDO_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

#define FILETIME_UNIX_EPOCH INT64_C(116444736000000000) /* 1970-01-01 in FILETIME units */

/* Statements prepared once at open and reused for the life of the handle. */
enum store_stmt {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_SAVEPOINT,
    STMT_RELEASE,
    STMT_ROLLBACK_TO,
    STMT_JOB_INSERT,
    STMT_JOB_SELECT,
    STMT_JOB_ACCESS,
    STMT_JOB_UPDATE,
    STMT_JOB_DELETE,
    STMT_JOB_COUNT_ALL,
    STMT_JOB_COUNT_OWNER,
    STMT_JOB_LIST_IN_STATES,
    STMT_FILE_INSERT,
    STMT_FILE_SELECT,
    STMT_FILE_UPDATE,
    STMT_FILE_COUNT,
    STMT_FILE_EXISTS,
    STMT_RANGE_INSERT,
    STMT_RANGE_SELECT,
    STMT_RANGE_CLEAR,
    STMT_PROPERTY_UPSERT,   /* schema v2 on */
    STMT_PROPERTY_DELETE,
    STMT_PROPERTY_SELECT,
    STMT_CREDENTIAL_UPSERT,
    STMT_CREDENTIAL_DELETE,
    STMT_CREDENTIALS_CLEAR,
    STMT_CREDENTIAL_COUNT,
    STMT_CREDENTIALS_LIST,
    STMT_BOOT_SELECT,       /* schema v8 on */
    STMT_BOOT_UPSERT,
    STMT_FILES_NOT_DURABLE,
    STMT_UNFLUSHED_UPSERT,
    STMT_UNFLUSHED_DELETE,
    STMT_UNFLUSHED_LIST,
    STMT_COUNT
};

/* One job's access copy (store_job_access): direct-mapped by the job id's hash. */
#define STORE_ACCESS_SLOTS 256
typedef struct store_access_slot {
    int used;
    store_guid_t id;
    store_job_access_t access;
} store_access_slot_t;

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT]; /* NULL for a statement the database's schema predates */
    int in_transaction;              /* the caller's explicit transaction (store_begin) is open */
    char last_error[256];
    store_access_slot_t access[STORE_ACCESS_SLOTS]; /* copies of committed rows only */
};

/* An ordered list of schema migrations: steps[i] is the SQL taking version i to version i + 1. */
typedef struct store_migrations {
    const char *const *steps;
    int count; /* = the schema version the list produces */
} store_migrations_t;

/* The migrations this build applies; its count is the current schema version. */
extern const store_migrations_t store_builtin_migrations;

/* store_open with an explicit migration list; store_open passes the built-in one. The unit test
 * uses it to simulate newer code (an extra step), older code (fewer steps: the handle then reads
 * and writes only the columns and tables of that version, as the older code did) and a failing
 * step. */
store_status_t store_open_with_migrations(const char *path, const store_migrations_t *migrations,
                                          store_t **out, store_open_report_t *report);

/* Maps an SQLite result code to a store status. */
store_status_t store_status_from_sqlite(int rc);
/* Records the handle's current SQLite error message and returns the mapped status of rc. */
store_status_t store_fail(store_t *store, int rc);
/* Records message as the handle's last error and returns status. */
store_status_t store_fail_with(store_t *store, store_status_t status, const char *message);

/* Prepares the cached statements for a database of schema_version (the columns and tables that
 * version has). */
int store_prepare_statements(store_t *store, int schema_version);
void store_finalize_statements(store_t *store);

#endif
