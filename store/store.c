/* opendo job store: job, file, range, file property and credential rows; transactions (see
 * docs/store.md).
 *
 * Jobs and files are mapped to their tables by field tables (column name, type, struct offset,
 * schema version that added the column); one generic bind/read helper per column type drives
 * insert, select and update, and the SQL of those statements is generated from the same tables
 * at open. The tables themselves are created by the migration steps in store_open.c, which must
 * stay in step with the field tables below (store_prepare_statements fails at open if a column is
 * missing). The narrow tables (ranges, file properties, credentials) use fixed SQL. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if !defined(TIME_UTC) && defined(_WIN32)
#include <sys/timeb.h> /* mingw-w64 on msvcrt has no C11 timespec_get */
#endif

#include "store_internal.h"

/* ---- status and errors ---------------------------------------------------------------------- */

const char *store_status_text(store_status_t status)
{
    switch (status) {
    case STORE_OK: return "ok";
    case STORE_NOT_FOUND: return "not found";
    case STORE_EXISTS: return "already exists";
    case STORE_CORRUPT: return "database corrupt";
    case STORE_IO: return "i/o or database error";
    case STORE_NOMEM: return "out of memory";
    case STORE_INVALID: return "invalid argument";
    case STORE_NEWER_SCHEMA: return "database written by a newer opendo";
    }
    return "unknown status";
}

const char *store_last_error(const store_t *store)
{
    return store ? store->last_error : "no store handle";
}

store_status_t store_status_from_sqlite(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return STORE_OK;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE: return STORE_EXISTS;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return STORE_NOT_FOUND; /* the parent job or file */
    }
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return STORE_CORRUPT;
    case SQLITE_NOMEM: return STORE_NOMEM;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE: return STORE_INVALID;
    }
    return STORE_IO;
}

store_status_t store_fail_with(store_t *store, store_status_t status, const char *message)
{
    snprintf(store->last_error, sizeof store->last_error, "%s", message);
    return status;
}

store_status_t store_fail(store_t *store, int rc)
{
    const char *message = store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
    return store_fail_with(store, store_status_from_sqlite(rc), message);
}

/* ---- time ----------------------------------------------------------------------------------- */

int64_t store_now_filetime(void)
{
#ifdef TIME_UTC
    struct timespec now;
    if (timespec_get(&now, TIME_UTC) != TIME_UTC)
        return FILETIME_UNIX_EPOCH + (int64_t)time(NULL) * 10000000;
    return FILETIME_UNIX_EPOCH + (int64_t)now.tv_sec * 10000000 + now.tv_nsec / 100;
#else
    struct __timeb64 now;
    _ftime64(&now);
    return FILETIME_UNIX_EPOCH + (int64_t)now.time * 10000000 + (int64_t)now.millitm * 10000;
#endif
}

const char *store_library_version(void)
{
    return sqlite3_libversion();
}

int store_json_is_object(store_t *store, const char *text)
{
    sqlite3_stmt *st = NULL;
    int is_object = 0;
    if (store && text &&
        sqlite3_prepare_v2(store->db, "SELECT json_valid(?1) AND json_type(?1) = 'object'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        is_object = sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    return is_object;
}

/* ---- field tables --------------------------------------------------------------------------- */

typedef enum field_type {
    FIELD_GUID,
    FIELD_TEXT,
    FIELD_I32,
    FIELD_U32,
    FIELD_I64,
    FIELD_U64
} field_type_t;

typedef struct field {
    const char *column;
    field_type_t type;
    size_t offset; /* of the member in its struct */
    int since;     /* schema version that added the column */
} field_t;

typedef struct record {
    const char *table;
    const field_t *fields;
    int field_count;
    int key_count; /* the first key_count fields are the primary key */
    size_t size;   /* of the struct */
} record_t;

/* Columns are only ever appended (by later migration steps), so the fields of any schema version
 * are a prefix of the table. */
#define JOB_FIELD_SINCE(member, type, version)                                                     \
    { #member, type, offsetof(store_job_t, member), version }
#define JOB_FIELD(member, type)  JOB_FIELD_SINCE(member, type, 1)
#define FILE_FIELD_SINCE(member, type, version)                                                    \
    { #member, type, offsetof(store_file_t, member), version }
#define FILE_FIELD(member, type) FILE_FIELD_SINCE(member, type, 1)
#define COUNT_OF(array) ((int)(sizeof(array) / sizeof *(array)))

static const field_t job_fields[] = {
    JOB_FIELD(id, FIELD_GUID),
    JOB_FIELD(display_name, FIELD_TEXT),
    JOB_FIELD(description, FIELD_TEXT),
    JOB_FIELD(owner_sid, FIELD_TEXT),
    JOB_FIELD(type, FIELD_I32),
    JOB_FIELD(state, FIELD_I32),
    JOB_FIELD(priority, FIELD_I32),
    JOB_FIELD(notify_flags, FIELD_U32),
    JOB_FIELD(notify_clsid, FIELD_GUID),
    JOB_FIELD(notify_program, FIELD_TEXT),
    JOB_FIELD(notify_parameters, FIELD_TEXT),
    JOB_FIELD(min_retry_delay, FIELD_U32),
    JOB_FIELD(no_progress_timeout, FIELD_U32),
    JOB_FIELD(max_download_time, FIELD_U32),
    JOB_FIELD(proxy_usage, FIELD_I32),
    JOB_FIELD(proxy_list, FIELD_TEXT),
    JOB_FIELD(proxy_bypass_list, FIELD_TEXT),
    JOB_FIELD(cost_flags, FIELD_U32),
    JOB_FIELD(acl_flags, FIELD_U32),
    JOB_FIELD(peer_caching_flags, FIELD_U32),
    JOB_FIELD(custom_headers, FIELD_TEXT),
    JOB_FIELD(creation_time, FIELD_I64),
    JOB_FIELD(modification_time, FIELD_I64),
    JOB_FIELD(transfer_completion_time, FIELD_I64),
    JOB_FIELD(error_context, FIELD_I32),
    JOB_FIELD(error_code, FIELD_U32),
    JOB_FIELD(error_file_index, FIELD_I32),
    JOB_FIELD(error_detail, FIELD_TEXT),
    JOB_FIELD(error_count, FIELD_U32),
    JOB_FIELD_SINCE(security_flags, FIELD_U32, 3),
    JOB_FIELD_SINCE(kind, FIELD_I32, 5),
    JOB_FIELD_SINCE(non_volatile, FIELD_I32, 5),
    JOB_FIELD_SINCE(started, FIELD_I32, 5),
    JOB_FIELD_SINCE(error_extended, FIELD_U32, 5),
    JOB_FIELD_SINCE(http_method, FIELD_TEXT, 6),
    JOB_FIELD_SINCE(custom_headers_write_only, FIELD_I32, 6),
    JOB_FIELD_SINCE(helper_token_flags, FIELD_U32, 6),
    JOB_FIELD_SINCE(on_demand, FIELD_I32, 6),
    JOB_FIELD_SINCE(notification_interval_ms, FIELD_U32, 6),
    JOB_FIELD_SINCE(certificate_callback, FIELD_I32, 6),
    JOB_FIELD_SINCE(cache_host, FIELD_TEXT, 7),
    JOB_FIELD_SINCE(cache_fallback, FIELD_TEXT, 7),
};

static const field_t file_fields[] = {
    FILE_FIELD(job_id, FIELD_GUID),
    { "idx", FIELD_U32, offsetof(store_file_t, index), 1 }, /* INDEX is an SQL keyword */
    FILE_FIELD(file_id, FIELD_TEXT),
    FILE_FIELD(remote_name, FIELD_TEXT),
    FILE_FIELD(local_name, FIELD_TEXT),
    FILE_FIELD(temp_name, FIELD_TEXT),
    FILE_FIELD(bytes_total, FIELD_U64),
    FILE_FIELD(bytes_transferred, FIELD_U64),
    FILE_FIELD(completed, FIELD_I32),
    FILE_FIELD(validator, FIELD_TEXT),
    FILE_FIELD(response_headers, FIELD_TEXT),
    FILE_FIELD_SINCE(validation_state, FIELD_I32, 2),
    FILE_FIELD_SINCE(bytes_from_http, FIELD_U64, 4),
    FILE_FIELD_SINCE(http_connections, FIELD_U32, 4),
    FILE_FIELD_SINCE(download_ms, FIELD_U64, 4),
    FILE_FIELD_SINCE(final_url, FIELD_TEXT, 5),
    FILE_FIELD_SINCE(server_ip, FIELD_TEXT, 5),
    FILE_FIELD_SINCE(http_status, FIELD_I32, 5),
    FILE_FIELD_SINCE(bytes_from_cache, FIELD_U64, 7),
    FILE_FIELD_SINCE(cache_connections, FIELD_U32, 7),
    FILE_FIELD_SINCE(bytes_durable, FIELD_U64, 8),
};

static const record_t job_record = { "jobs", job_fields, COUNT_OF(job_fields), 1,
                                     sizeof(store_job_t) };
static const record_t file_record = { "files", file_fields, COUNT_OF(file_fields), 2,
                                      sizeof(store_file_t) };

/* ---- statement SQL ------------------------------------------------------------------------- */

/* How many of rec's fields (a prefix) a database of schema_version has. */
static int fields_in_schema(const record_t *rec, int schema_version)
{
    int count = 0;
    while (count < rec->field_count && rec->fields[count].since <= schema_version)
        count++;
    return count;
}

/* Every generated statement numbers its parameters by field: field i is parameter ?(i+1). */
static void append_key_filter(sqlite3_str *sql, const record_t *rec)
{
    for (int i = 0; i < rec->key_count; i++)
        sqlite3_str_appendf(sql, "%s%s=?%d", i ? " AND " : " WHERE ", rec->fields[i].column, i + 1);
}

static char *record_insert_sql(const record_t *rec, int schema_version)
{
    int count = fields_in_schema(rec, schema_version);
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendf(sql, "INSERT INTO %s(", rec->table);
    for (int i = 0; i < count; i++)
        sqlite3_str_appendf(sql, "%s%s", i ? "," : "", rec->fields[i].column);
    sqlite3_str_appendall(sql, ") VALUES(");
    for (int i = 0; i < count; i++)
        sqlite3_str_appendf(sql, "%s?%d", i ? "," : "", i + 1);
    sqlite3_str_appendall(sql, ")");
    return sqlite3_str_finish(sql);
}

static char *record_select_sql(const record_t *rec, int schema_version)
{
    int count = fields_in_schema(rec, schema_version);
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendall(sql, "SELECT ");
    for (int i = 0; i < count; i++)
        sqlite3_str_appendf(sql, "%s%s", i ? "," : "", rec->fields[i].column);
    sqlite3_str_appendf(sql, " FROM %s", rec->table);
    append_key_filter(sql, rec);
    return sqlite3_str_finish(sql);
}

static char *record_update_sql(const record_t *rec, int schema_version)
{
    int count = fields_in_schema(rec, schema_version);
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendf(sql, "UPDATE %s SET ", rec->table);
    for (int i = rec->key_count; i < count; i++)
        sqlite3_str_appendf(sql, "%s%s=?%d", i > rec->key_count ? "," : "", rec->fields[i].column,
                            i + 1);
    append_key_filter(sql, rec);
    return sqlite3_str_finish(sql);
}

static const char *const fixed_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    /* a multi-row call inside the caller's transaction */
    [STMT_SAVEPOINT] = "SAVEPOINT store_call",
    [STMT_RELEASE] = "RELEASE store_call",
    [STMT_ROLLBACK_TO] = "ROLLBACK TO store_call",
    [STMT_JOB_DELETE] = "DELETE FROM jobs WHERE id=?1",
    /* rowid breaks creation-time ties in insertion order */
    [STMT_JOB_COUNT_ALL] = "SELECT count(*) FROM jobs",
    [STMT_JOB_COUNT_OWNER] = "SELECT count(*) FROM jobs WHERE owner_sid=?1",
    /* jobs_by_state (v4) makes these lookups; older schemas scan, as older code did */
    [STMT_JOB_LIST_IN_STATES] = "SELECT id, state, priority, modification_time, min_retry_delay"
                                " FROM jobs WHERE state IN (?1,?2,?3,?4) ORDER BY creation_time, rowid",
    [STMT_FILE_COUNT] = "SELECT EXISTS(SELECT 1 FROM jobs WHERE id=?1),"
                        " (SELECT count(*) FROM files WHERE job_id=?1)",
    [STMT_FILE_EXISTS] = "SELECT 1 FROM files WHERE job_id=?1 AND idx=?2",
    [STMT_RANGE_INSERT] = "INSERT INTO ranges(job_id,file_idx,offset,length) VALUES(?1,?2,?3,?4)",
    /* No row: no such file. One row of NULLs: the file has no ranges. In the order they were
     * inserted (rowid): the order the client gave, which is the order of the local file. */
    [STMT_RANGE_SELECT] = "SELECT r.offset, r.length FROM files f LEFT JOIN ranges r"
                          " ON r.job_id=f.job_id AND r.file_idx=f.idx"
                          " WHERE f.job_id=?1 AND f.idx=?2 ORDER BY r.rowid",
    [STMT_RANGE_CLEAR] = "DELETE FROM ranges WHERE job_id=?1 AND file_idx=?2",
    /* A file that does not exist fails the foreign key: STORE_NOT_FOUND. */
    [STMT_PROPERTY_UPSERT] = "INSERT INTO file_properties(job_id,file_idx,property,value)"
                             " VALUES(?1,?2,?3,?4) ON CONFLICT(job_id,file_idx,property)"
                             " DO UPDATE SET value=excluded.value",
    [STMT_PROPERTY_DELETE] = "DELETE FROM file_properties"
                             " WHERE job_id=?1 AND file_idx=?2 AND property=?3",
    [STMT_PROPERTY_SELECT] = "SELECT value FROM file_properties"
                             " WHERE job_id=?1 AND file_idx=?2 AND property=?3",
    [STMT_CREDENTIAL_UPSERT] = "INSERT INTO credentials(job_id,target,scheme,user_name,secret)"
                               " VALUES(?1,?2,?3,?4,?5) ON CONFLICT(job_id,target,scheme)"
                               " DO UPDATE SET user_name=excluded.user_name,"
                               " secret=excluded.secret",
    [STMT_CREDENTIAL_DELETE] = "DELETE FROM credentials"
                               " WHERE job_id=?1 AND target=?2 AND scheme=?3",
    [STMT_CREDENTIALS_CLEAR] = "DELETE FROM credentials WHERE job_id=?1",
    [STMT_CREDENTIAL_COUNT] = "SELECT count(*) FROM credentials WHERE job_id=?1",
    [STMT_CREDENTIALS_LIST] = "SELECT target, scheme, user_name, secret FROM credentials"
                              " WHERE job_id=?1 ORDER BY target, scheme",
    [STMT_BOOT_SELECT] = "SELECT boot_time FROM service_boot WHERE id=1",
    [STMT_BOOT_UPSERT] = "INSERT INTO service_boot(id,boot_time) VALUES(1,?1)"
                         " ON CONFLICT(id) DO UPDATE SET boot_time=excluded.boot_time",
    [STMT_FILES_NOT_DURABLE] = "SELECT job_id, idx FROM files"
                               " WHERE completed=0 AND bytes_transferred>bytes_durable ORDER BY rowid",
    [STMT_UNFLUSHED_UPSERT] = "INSERT INTO unflushed_files(job_id,file_idx,local_name,owner_sid,"
                              "completed_time,bytes) VALUES(?1,?2,?3,?4,?5,?6)"
                              " ON CONFLICT(job_id,file_idx) DO UPDATE SET"
                              " local_name=excluded.local_name, owner_sid=excluded.owner_sid,"
                              " completed_time=excluded.completed_time, bytes=excluded.bytes",
    [STMT_UNFLUSHED_DELETE] = "DELETE FROM unflushed_files WHERE job_id=?1 AND file_idx=?2",
    [STMT_UNFLUSHED_LIST] = "SELECT job_id, file_idx, local_name, owner_sid, completed_time, bytes"
                            " FROM unflushed_files ORDER BY rowid",
};

/* The schema version that added the table a statement uses; 0 for the tables of v1. */
static const int statement_since[STMT_COUNT] = {
    [STMT_PROPERTY_UPSERT] = 2,   [STMT_PROPERTY_DELETE] = 2,   [STMT_PROPERTY_SELECT] = 2,
    [STMT_CREDENTIAL_UPSERT] = 2, [STMT_CREDENTIAL_DELETE] = 2, [STMT_CREDENTIALS_CLEAR] = 2,
    [STMT_CREDENTIAL_COUNT] = 2, [STMT_CREDENTIALS_LIST] = 2,
    [STMT_BOOT_SELECT] = 8, [STMT_BOOT_UPSERT] = 8, [STMT_FILES_NOT_DURABLE] = 8,
    [STMT_UNFLUSHED_UPSERT] = 8, [STMT_UNFLUSHED_DELETE] = 8, [STMT_UNFLUSHED_LIST] = 8,
};

static char *statement_sql(enum store_stmt id, int schema_version)
{
    switch (id) {
    case STMT_JOB_INSERT: return record_insert_sql(&job_record, schema_version);
    case STMT_JOB_SELECT: return record_select_sql(&job_record, schema_version);
    case STMT_JOB_ACCESS: /* kind came with schema v5; older rows are all BITS-shaped jobs */
        return sqlite3_mprintf("SELECT state, %s, owner_sid, display_name FROM jobs WHERE id=?1",
                               schema_version >= 5 ? "kind" : "0");
    case STMT_JOB_UPDATE: return record_update_sql(&job_record, schema_version);
    case STMT_FILE_INSERT: return record_insert_sql(&file_record, schema_version);
    case STMT_FILE_SELECT: return record_select_sql(&file_record, schema_version);
    case STMT_FILE_UPDATE: return record_update_sql(&file_record, schema_version);
    default: return sqlite3_mprintf("%s", fixed_sql[id]);
    }
}

int store_prepare_statements(store_t *store, int schema_version)
{
    for (int id = 0; id < STMT_COUNT; id++) {
        if (statement_since[id] > schema_version)
            continue; /* stays NULL: see statement() */
        char *sql = statement_sql((enum store_stmt)id, schema_version);
        if (!sql)
            return SQLITE_NOMEM;
        int rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &store->stmts[id], NULL);
        sqlite3_free(sql);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

void store_finalize_statements(store_t *store)
{
    for (int id = 0; id < STMT_COUNT; id++) {
        sqlite3_finalize(store->stmts[id]);
        store->stmts[id] = NULL;
    }
}

/* ---- binding and reading -------------------------------------------------------------------- */

static store_status_t bind_text(store_t *store, sqlite3_stmt *st, int param, const char *text)
{
    if (!text)
        return store_status_from_sqlite(sqlite3_bind_null(st, param));
    const char *end = memchr(text, '\0', (size_t)STORE_MAX_TEXT + 1);
    if (!end)
        return store_fail_with(store, STORE_INVALID, "text longer than STORE_MAX_TEXT");
    return store_status_from_sqlite(
        sqlite3_bind_text(st, param, text, (int)(end - text), SQLITE_STATIC));
}

/* A NULL data binds SQL NULL. */
static store_status_t bind_blob(sqlite3_stmt *st, int param, const void *data, size_t size)
{
    return store_status_from_sqlite(sqlite3_bind_blob(st, param, data, (int)size, SQLITE_STATIC));
}

static store_status_t bind_guid(sqlite3_stmt *st, int param, const store_guid_t *guid)
{
    return bind_blob(st, param, guid->bytes, sizeof guid->bytes);
}

/* Unsigned 64-bit values are stored as their two's-complement int64 (UINT64_MAX reads as -1). */
static store_status_t bind_int(sqlite3_stmt *st, int param, int64_t value)
{
    return store_status_from_sqlite(sqlite3_bind_int64(st, param, value));
}

static store_status_t bind_field(store_t *store, sqlite3_stmt *st, int param, const field_t *field,
                                 const void *row)
{
    const void *member = (const char *)row + field->offset;
    switch (field->type) {
    case FIELD_GUID: return bind_guid(st, param, member);
    case FIELD_TEXT: return bind_text(store, st, param, *(char *const *)member);
    case FIELD_I32: return bind_int(st, param, *(const int32_t *)member);
    case FIELD_U32: return bind_int(st, param, *(const uint32_t *)member);
    case FIELD_I64: return bind_int(st, param, *(const int64_t *)member);
    case FIELD_U64: return bind_int(st, param, (int64_t)(*(const uint64_t *)member));
    }
    return STORE_INVALID;
}

/* Binds the first count fields of row to parameters 1..count. */
static store_status_t bind_fields(store_t *store, sqlite3_stmt *st, const record_t *rec,
                                  const void *row, int count)
{
    store_status_t status = STORE_OK;
    for (int i = 0; i < count && status == STORE_OK; i++)
        status = bind_field(store, st, i + 1, &rec->fields[i], row);
    return status;
}

/* Binds every parameter of an insert or update generated from rec: one per field the database's
 * schema version has. */
static store_status_t bind_row(store_t *store, sqlite3_stmt *st, const record_t *rec,
                               const void *row)
{
    return bind_fields(store, st, rec, row, sqlite3_bind_parameter_count(st));
}

/* Binds job_id to ?1 and values to ?2, ?3, ... (the narrow tables keyed by job). */
static store_status_t bind_job_row(sqlite3_stmt *st, const store_guid_t *job_id,
                                   const int64_t *values, int count)
{
    store_status_t status = bind_guid(st, 1, job_id);
    for (int i = 0; i < count && status == STORE_OK; i++)
        status = bind_int(st, i + 2, values[i]);
    return status;
}

static store_status_t read_text(sqlite3_stmt *st, int col, char **out)
{
    *out = NULL;
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return STORE_OK;
    const unsigned char *text = sqlite3_column_text(st, col);
    size_t size = (size_t)sqlite3_column_bytes(st, col);
    if (!text || !(*out = malloc(size + 1)))
        return STORE_NOMEM;
    memcpy(*out, text, size + 1);
    return STORE_OK;
}

static void read_guid(sqlite3_stmt *st, int col, store_guid_t *out)
{
    const void *blob = sqlite3_column_blob(st, col);
    size_t size = (size_t)sqlite3_column_bytes(st, col);
    memset(out, 0, sizeof *out);
    if (blob)
        memcpy(out->bytes, blob, size < sizeof out->bytes ? size : sizeof out->bytes);
}

static store_status_t read_field(sqlite3_stmt *st, int col, const field_t *field, void *row)
{
    void *member = (char *)row + field->offset;
    switch (field->type) {
    case FIELD_GUID: read_guid(st, col, member); break;
    case FIELD_TEXT: return read_text(st, col, member);
    case FIELD_I32: *(int32_t *)member = (int32_t)sqlite3_column_int64(st, col); break;
    case FIELD_U32: *(uint32_t *)member = (uint32_t)sqlite3_column_int64(st, col); break;
    case FIELD_I64: *(int64_t *)member = sqlite3_column_int64(st, col); break;
    case FIELD_U64: *(uint64_t *)member = (uint64_t)sqlite3_column_int64(st, col); break;
    }
    return STORE_OK;
}

static void clear_record(const record_t *rec, void *row)
{
    for (int i = 0; i < rec->field_count; i++)
        if (rec->fields[i].type == FIELD_TEXT)
            free(*(char **)((char *)row + rec->fields[i].offset));
    memset(row, 0, rec->size);
}

/* Fills row (overwritten, not freed) from the current result row: the fields the database's schema
 * version has; the others are zero. */
static store_status_t read_fields(sqlite3_stmt *st, const record_t *rec, void *row)
{
    store_status_t status = STORE_OK;
    memset(row, 0, rec->size);
    for (int i = 0; i < sqlite3_column_count(st) && status == STORE_OK; i++)
        status = read_field(st, i, &rec->fields[i], row);
    if (status != STORE_OK)
        clear_record(rec, row);
    return status;
}

void store_job_clear(store_job_t *job)
{
    if (job)
        clear_record(&job_record, job);
}

void store_file_clear(store_file_t *file)
{
    if (file)
        clear_record(&file_record, file);
}

/* ---- statement execution -------------------------------------------------------------------- */

/* The cached statement id; STORE_INVALID when the database's schema predates its table (only a
 * handle opened through the test hook with an older migration list can be in that state). */
static store_status_t statement(store_t *store, enum store_stmt id, sqlite3_stmt **st)
{
    *st = store->stmts[id];
    return *st ? STORE_OK
               : store_fail_with(store, STORE_INVALID, "the database schema predates this call");
}

/* SQLite ends a transaction by itself after some errors (I/O error, disk full). While the caller
 * still believes its explicit transaction open, statements must not run: each would commit on
 * its own. */
static store_status_t check_transaction(store_t *store)
{
    if (store->in_transaction && sqlite3_get_autocommit(store->db))
        return store_fail_with(store, STORE_IO, "transaction rolled back after an earlier error");
    return STORE_OK;
}

/* The status a statement starts from: bind_status (of the binds made so far), then the state of
 * the transaction. The statement is not run unless this is STORE_OK. */
static store_status_t ready(store_t *store, store_status_t bind_status)
{
    return bind_status == STORE_OK ? check_transaction(store) : bind_status;
}

/* Readies st for its next use. st is NULL only after statement() failed. */
static void reset_statement(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows, then resets it; bind_status as for ready(). */
static store_status_t run(store_t *store, sqlite3_stmt *st, store_status_t bind_status)
{
    store_status_t status = ready(store, bind_status);
    if (status == STORE_OK) {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            status = store_fail(store, rc);
    }
    reset_statement(st);
    return status;
}

static store_status_t run_changing_one_row(store_t *store, sqlite3_stmt *st,
                                           store_status_t bind_status)
{
    store_status_t status = run(store, st, bind_status);
    if (status == STORE_OK && sqlite3_changes(store->db) == 0)
        status = store_fail_with(store, STORE_NOT_FOUND, "no such row");
    return status;
}

/* Steps st expecting one result row, which read() consumes (read may be NULL when only the row's
 * existence matters); no row gives STORE_NOT_FOUND. */
static store_status_t fetch_one(store_t *store, sqlite3_stmt *st, store_status_t bind_status,
                                store_status_t (*read)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    store_status_t status = ready(store, bind_status);
    if (status == STORE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            status = read ? read(st, ctx) : STORE_OK;
        else if (rc == SQLITE_DONE)
            status = store_fail_with(store, STORE_NOT_FOUND, "no such row");
        else
            status = store_fail(store, rc);
    }
    reset_statement(st);
    return status;
}

/* ---- transactions --------------------------------------------------------------------------- */

/* Commits when status is STORE_OK, else rolls back; returns the outcome. The transaction is over
 * either way. */
static store_status_t end_transaction(store_t *store, store_status_t status)
{
    if (status == STORE_OK)
        status = run(store, store->stmts[STMT_COMMIT], STORE_OK);
    if (status != STORE_OK && !sqlite3_get_autocommit(store->db))
        run(store, store->stmts[STMT_ROLLBACK], STORE_OK);
    return status;
}

/* Releases the savepoint of a call inside the caller's transaction, first undoing the call's
 * changes when status is not STORE_OK; returns the outcome. */
static store_status_t end_savepoint(store_t *store, store_status_t status)
{
    if (sqlite3_get_autocommit(store->db))
        return status; /* SQLite abandoned the whole transaction, savepoint included */
    if (status != STORE_OK)
        run(store, store->stmts[STMT_ROLLBACK_TO], STORE_OK);
    store_status_t released = run(store, store->stmts[STMT_RELEASE], STORE_OK);
    return status == STORE_OK ? released : status;
}

/* A multi-row call is all or nothing: it runs in its own transaction, or in a savepoint inside
 * the caller's explicit transaction, which then stays open whatever the call's outcome. */
static store_status_t begin(store_t *store)
{
    return run(store, store->stmts[store->in_transaction ? STMT_SAVEPOINT : STMT_BEGIN], STORE_OK);
}

/* Ends what begin() opened: keeps the call's changes when status is STORE_OK, else undoes them;
 * returns the outcome. */
static store_status_t finish(store_t *store, store_status_t status)
{
    return store->in_transaction ? end_savepoint(store, status) : end_transaction(store, status);
}

store_status_t store_begin(store_t *store)
{
    if (!store)
        return STORE_INVALID;
    if (store->in_transaction)
        return store_fail_with(store, STORE_INVALID, "a transaction is already open");
    store_status_t status = run(store, store->stmts[STMT_BEGIN], STORE_OK);
    store->in_transaction = status == STORE_OK;
    return status;
}

store_status_t store_commit(store_t *store)
{
    if (!store)
        return STORE_INVALID;
    if (!store->in_transaction)
        return store_fail_with(store, STORE_INVALID, "no transaction is open");
    store_status_t status = end_transaction(store, STORE_OK);
    store->in_transaction = 0;
    return status;
}

void store_rollback(store_t *store)
{
    if (!store || !store->in_transaction)
        return;
    store->in_transaction = 0;
    if (!sqlite3_get_autocommit(store->db))
        run(store, store->stmts[STMT_ROLLBACK], STORE_OK);
}

/* ---- jobs ----------------------------------------------------------------------------------- */

/* The access copies (store_job_access): a job's slot is found by its id's hash. */
static store_access_slot_t *access_slot(store_t *store, const store_guid_t *id)
{
    uint32_t hash = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < sizeof id->bytes; i++)
        hash = (hash ^ id->bytes[i]) * 16777619u;
    return &store->access[hash % STORE_ACCESS_SLOTS];
}

/* Before any write of the job's row: its copy, if any, is gone. */
static void access_drop(store_t *store, const store_guid_t *id)
{
    store_access_slot_t *slot = access_slot(store, id);
    if (slot->used && memcmp(&slot->id, id, sizeof *id) == 0)
        slot->used = 0;
}

/* Copies a text column (NULL: "") into buffer when it fits with its NUL; 0 (buffer "") when not. */
static int copy_text_column(sqlite3_stmt *st, int column, char *buffer, size_t size)
{
    const unsigned char *text = sqlite3_column_text(st, column);
    size_t length = (size_t)sqlite3_column_bytes(st, column);
    int fits = length < size;
    buffer[0] = '\0';
    if (fits && text)
        memcpy(buffer, text, length + 1);
    return fits;
}

static store_status_t read_access(sqlite3_stmt *st, void *ctx)
{
    store_job_access_t *out = ctx;
    out->state = sqlite3_column_int(st, 0);
    out->kind = sqlite3_column_int(st, 1);
    if (!copy_text_column(st, 2, out->owner_sid, sizeof out->owner_sid))
        return STORE_CORRUPT;
    out->display_name_copied = copy_text_column(st, 3, out->display_name, sizeof out->display_name);
    return STORE_OK;
}

store_status_t store_job_access(store_t *store, const store_guid_t *id, store_job_access_t *out)
{
    if (!store || !id || !out)
        return STORE_INVALID;
    store_access_slot_t *slot = access_slot(store, id);
    if (slot->used && memcmp(&slot->id, id, sizeof *id) == 0) {
        *out = slot->access;
        return STORE_OK;
    }
    sqlite3_stmt *st = store->stmts[STMT_JOB_ACCESS];
    store_status_t status = fetch_one(store, st, bind_guid(st, 1, id), read_access, out);
    if (status == STORE_CORRUPT)
        return store_fail_with(store, status, "a job's owner is longer than any SID");
    /* Inside a transaction the row may hold what is not committed yet: no copy of it. */
    if (status == STORE_OK && sqlite3_get_autocommit(store->db)) {
        slot->used = 1;
        slot->id = *id;
        slot->access = *out;
    }
    return status;
}

store_status_t store_job_insert_many(store_t *store, const store_job_t *jobs, size_t count)
{
    if (!store || !jobs)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_JOB_INSERT];
    store_status_t status = begin(store);
    for (size_t i = 0; i < count && status == STORE_OK; i++) {
        access_drop(store, &jobs[i].id);
        status = run(store, st, bind_row(store, st, &job_record, &jobs[i]));
    }
    return finish(store, status);
}

store_status_t store_job_insert(store_t *store, const store_job_t *job)
{
    return store_job_insert_many(store, job, 1);
}

static store_status_t read_job(sqlite3_stmt *st, void *job)
{
    return read_fields(st, &job_record, job);
}

store_status_t store_job_get(store_t *store, const store_guid_t *id, store_job_t *out)
{
    if (!store || !id || !out)
        return STORE_INVALID;
    store_job_t key = { .id = *id };
    sqlite3_stmt *st = store->stmts[STMT_JOB_SELECT];
    return fetch_one(store, st, bind_fields(store, st, &job_record, &key, job_record.key_count),
                     read_job, out);
}

store_status_t store_job_update(store_t *store, const store_job_t *job)
{
    if (!store || !job)
        return STORE_INVALID;
    access_drop(store, &job->id);
    sqlite3_stmt *st = store->stmts[STMT_JOB_UPDATE];
    return run_changing_one_row(store, st, bind_row(store, st, &job_record, job));
}

store_status_t store_job_delete(store_t *store, const store_guid_t *id)
{
    if (!store || !id)
        return STORE_INVALID;
    access_drop(store, id);
    sqlite3_stmt *st = store->stmts[STMT_JOB_DELETE];
    /* files, and through them ranges and file properties, and credentials cascade */
    return run_changing_one_row(store, st, bind_guid(st, 1, id));
}

/* The listing or counting statement for one owner, or for everyone when owner_sid is NULL. */
static sqlite3_stmt *owner_statement(store_t *store, const char *owner_sid, enum store_stmt all,
                                     enum store_stmt by_owner, store_status_t *bind_status)
{
    *bind_status = STORE_OK;
    if (!owner_sid)
        return store->stmts[all];
    *bind_status = bind_text(store, store->stmts[by_owner], 1, owner_sid);
    return store->stmts[by_owner];
}

/* Collects every result row of st into a malloc'ed array of item_size elements; read_row fills
 * one element and returns 0 to skip the row. *items is NULL when no element was kept, *rows counts
 * the result rows seen (kept or not). st is reset afterwards. */
typedef int (*row_reader_t)(sqlite3_stmt *st, void *item);

static store_status_t collect_rows(store_t *store, sqlite3_stmt *st, store_status_t bind_status,
                                   size_t item_size, row_reader_t read_row, void **items,
                                   size_t *count, size_t *rows)
{
    unsigned char *array = NULL;
    size_t capacity = 0;
    store_status_t status = ready(store, bind_status);
    int rc = SQLITE_DONE;
    *count = *rows = 0;
    while (status == STORE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ++*rows;
        if (*count == capacity) {
            size_t new_capacity = capacity ? capacity * 2 : 16;
            unsigned char *grown = realloc(array, new_capacity * item_size);
            if (!grown) {
                status = store_fail_with(store, STORE_NOMEM, "out of memory");
                break;
            }
            array = grown;
            capacity = new_capacity;
        }
        if (read_row(st, array + *count * item_size))
            ++*count;
    }
    if (status == STORE_OK && rc != SQLITE_DONE)
        status = store_fail(store, rc);
    reset_statement(st);
    if (status != STORE_OK || *count == 0) {
        free(array);
        array = NULL;
        *count = 0;
    }
    *items = array;
    return status;
}

static int read_id_row(sqlite3_stmt *st, void *id)
{
    read_guid(st, 0, id);
    return 1;
}

store_status_t store_job_list(store_t *store, const char *owner_sid, store_guid_t **ids,
                              size_t *count)
{
    store_job_query_t every = {-1, owner_sid, -1, STORE_MATCH_NONE, 0, NULL, 0, 0};
    return store_job_find(store, &every, ids, count);
}

static int read_brief_row(sqlite3_stmt *st, void *item)
{
    store_job_brief_t *brief = item;
    read_guid(st, 0, &brief->id);
    brief->state = sqlite3_column_int(st, 1);
    brief->priority = sqlite3_column_int(st, 2);
    brief->modification_time = sqlite3_column_int64(st, 3);
    brief->min_retry_delay = (uint32_t)sqlite3_column_int64(st, 4);
    return 1;
}

store_status_t store_job_list_in_states(store_t *store, const int32_t *states, size_t state_count,
                                        store_job_brief_t **jobs, size_t *count)
{
    if (!store || !states || !state_count || state_count > STORE_MAX_LISTED_STATES || !jobs || !count)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_JOB_LIST_IN_STATES];
    store_status_t bind_status = STORE_OK;
    for (int i = 0; i < STORE_MAX_LISTED_STATES && bind_status == STORE_OK; i++) /* repeats fill */
        bind_status = bind_int(st, i + 1, states[(size_t)i < state_count ? (size_t)i : 0]);
    void *array;
    size_t rows;
    store_status_t status =
        collect_rows(store, st, bind_status, sizeof **jobs, read_brief_row, &array, count, &rows);
    *jobs = array;
    return status;
}

/* The SQL condition each store_match_t compares (?1 is the value; file 0 is a download's file). */
static const char *match_condition(store_match_t match)
{
    switch (match) {
    case STORE_MATCH_DISPLAY_NAME:
        return " AND j.display_name=?1";
    case STORE_MATCH_REMOTE_NAME:
        return " AND EXISTS (SELECT 1 FROM files f WHERE f.job_id=j.id AND f.idx=0"
               " AND f.remote_name=?1 COLLATE NOCASE)";
    case STORE_MATCH_LOCAL_NAME:
        return " AND EXISTS (SELECT 1 FROM files f WHERE f.job_id=j.id AND f.idx=0"
               " AND f.local_name=?1 COLLATE NOCASE)";
    case STORE_MATCH_FILE_PROPERTY:
        return " AND EXISTS (SELECT 1 FROM file_properties p WHERE p.job_id=j.id AND p.file_idx=0"
               " AND p.property=?5 AND p.value=?1)";
    case STORE_MATCH_NONE:
        break;
    }
    return "";
}

store_status_t store_job_find(store_t *store, const store_job_query_t *query, store_guid_t **ids,
                              size_t *count)
{
    if (!store || !query || !ids || !count || (query->match != STORE_MATCH_NONE && !query->value))
        return STORE_INVALID;
    *ids = NULL;
    *count = 0;
    /* Parameters: ?1 value, ?2 kind, ?3 owner, ?4 non_volatile, ?5 property, ?6 created_before,
     * ?7 changed_before; unused ones stay unbound (NULL) and their conditions are left out. */
    sqlite3_str *sql = sqlite3_str_new(store->db);
    sqlite3_str_appendall(sql, "SELECT j.id FROM jobs j WHERE 1");
    if (query->kind >= 0)
        sqlite3_str_appendall(sql, " AND j.kind=?2");
    if (query->owner_sid)
        sqlite3_str_appendall(sql, " AND j.owner_sid=?3");
    if (query->non_volatile >= 0)
        sqlite3_str_appendall(sql, " AND j.non_volatile=?4");
    if (query->created_before)
        sqlite3_str_appendall(sql, " AND j.creation_time<?6");
    if (query->changed_before)
        sqlite3_str_appendall(sql, " AND j.modification_time<?7");
    sqlite3_str_appendall(sql, match_condition(query->match));
    sqlite3_str_appendall(sql, " ORDER BY j.creation_time, j.rowid");
    char *text = sqlite3_str_finish(sql);
    sqlite3_stmt *st = NULL;
    int rc = text ? sqlite3_prepare_v2(store->db, text, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(text);
    if (rc != SQLITE_OK)
        return store_fail(store, rc);
    store_status_t bind_status = STORE_OK;
    if (query->match != STORE_MATCH_NONE)
        bind_status = bind_text(store, st, 1, query->value);
    if (bind_status == STORE_OK && query->kind >= 0)
        bind_status = bind_int(st, 2, query->kind);
    if (bind_status == STORE_OK && query->owner_sid)
        bind_status = bind_text(store, st, 3, query->owner_sid);
    if (bind_status == STORE_OK && query->non_volatile >= 0)
        bind_status = bind_int(st, 4, query->non_volatile);
    if (bind_status == STORE_OK && query->match == STORE_MATCH_FILE_PROPERTY)
        bind_status = bind_int(st, 5, query->property);
    if (bind_status == STORE_OK && query->created_before)
        bind_status = bind_int(st, 6, query->created_before);
    if (bind_status == STORE_OK && query->changed_before)
        bind_status = bind_int(st, 7, query->changed_before);
    void *array;
    size_t rows;
    store_status_t status =
        collect_rows(store, st, bind_status, sizeof **ids, read_id_row, &array, count, &rows);
    sqlite3_finalize(st);
    *ids = array;
    return status;
}

static store_status_t read_count(sqlite3_stmt *st, void *count)
{
    *(size_t *)count = (size_t)sqlite3_column_int64(st, 0);
    return STORE_OK;
}

store_status_t store_job_count(store_t *store, const char *owner_sid, size_t *count)
{
    if (!store || !count)
        return STORE_INVALID;
    store_status_t bind_status;
    sqlite3_stmt *st =
        owner_statement(store, owner_sid, STMT_JOB_COUNT_ALL, STMT_JOB_COUNT_OWNER, &bind_status);
    return fetch_one(store, st, bind_status, read_count, count);
}

/* ---- files and ranges ----------------------------------------------------------------------- */

static store_status_t insert_range(store_t *store, const store_file_t *file,
                                   const store_range_t *range)
{
    if (range->offset > (uint64_t)INT64_MAX) /* stored signed */
        return store_fail_with(store, STORE_INVALID, "range offset out of range");
    sqlite3_stmt *st = store->stmts[STMT_RANGE_INSERT];
    const int64_t values[] = { file->index, (int64_t)range->offset, (int64_t)range->length };
    return run(store, st, bind_job_row(st, &file->job_id, values, COUNT_OF(values)));
}

static store_status_t insert_file(store_t *store, const store_file_t *file,
                                  const store_range_t *ranges, size_t range_count)
{
    if (range_count && !ranges)
        return store_fail_with(store, STORE_INVALID, "range count without ranges");
    sqlite3_stmt *st = store->stmts[STMT_FILE_INSERT];
    store_status_t status = run(store, st, bind_row(store, st, &file_record, file));
    for (size_t i = 0; i < range_count && status == STORE_OK; i++)
        status = insert_range(store, file, &ranges[i]);
    return status;
}

store_status_t store_file_ranges_replace(store_t *store, const store_guid_t *job_id, uint32_t index,
                                         const store_range_t *ranges, size_t count)
{
    if (!store || !job_id || (count && !ranges))
        return STORE_INVALID;
    store_file_t file = { .job_id = *job_id, .index = index };
    sqlite3_stmt *exists = store->stmts[STMT_FILE_EXISTS];
    const int64_t key[] = { index };
    store_status_t status = begin(store);
    if (status == STORE_OK)
        status = fetch_one(store, exists, bind_job_row(exists, job_id, key, COUNT_OF(key)), NULL, NULL);
    sqlite3_stmt *clear = store->stmts[STMT_RANGE_CLEAR];
    if (status == STORE_OK)
        status = run(store, clear, bind_job_row(clear, job_id, key, COUNT_OF(key)));
    for (size_t i = 0; i < count && status == STORE_OK; i++)
        status = insert_range(store, &file, &ranges[i]);
    return finish(store, status);
}

store_status_t store_files_insert(store_t *store, const store_file_t *files, size_t count,
                                  const store_range_t *const *ranges, const size_t *range_counts)
{
    if (!store || (count && !files) || (ranges && !range_counts))
        return STORE_INVALID;
    store_status_t status = begin(store);
    for (size_t i = 0; i < count && status == STORE_OK; i++)
        status =
            insert_file(store, &files[i], ranges ? ranges[i] : NULL, ranges ? range_counts[i] : 0);
    return finish(store, status);
}

static store_status_t read_file(sqlite3_stmt *st, void *file)
{
    return read_fields(st, &file_record, file);
}

store_status_t store_file_get(store_t *store, const store_guid_t *job_id, uint32_t index,
                              store_file_t *out)
{
    if (!store || !job_id || !out)
        return STORE_INVALID;
    store_file_t key = { .job_id = *job_id, .index = index };
    sqlite3_stmt *st = store->stmts[STMT_FILE_SELECT];
    return fetch_one(store, st, bind_fields(store, st, &file_record, &key, file_record.key_count),
                     read_file, out);
}

store_status_t store_file_update(store_t *store, const store_file_t *file)
{
    if (!store || !file)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_FILE_UPDATE];
    return run_changing_one_row(store, st, bind_row(store, st, &file_record, file));
}

static store_status_t read_file_count(sqlite3_stmt *st, void *count)
{
    if (!sqlite3_column_int(st, 0))
        return STORE_NOT_FOUND; /* no such job */
    *(uint32_t *)count = (uint32_t)sqlite3_column_int64(st, 1);
    return STORE_OK;
}

store_status_t store_file_count(store_t *store, const store_guid_t *job_id, uint32_t *count)
{
    if (!store || !job_id || !count)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_FILE_COUNT];
    store_status_t status = fetch_one(store, st, bind_guid(st, 1, job_id), read_file_count, count);
    if (status == STORE_NOT_FOUND)
        store_fail_with(store, status, "no such job");
    return status;
}

static int read_range_row(sqlite3_stmt *st, void *range)
{
    if (sqlite3_column_type(st, 0) == SQLITE_NULL)
        return 0; /* the file exists but has no ranges */
    ((store_range_t *)range)->offset = (uint64_t)sqlite3_column_int64(st, 0);
    ((store_range_t *)range)->length = (uint64_t)sqlite3_column_int64(st, 1);
    return 1;
}

store_status_t store_file_ranges(store_t *store, const store_guid_t *job_id, uint32_t index,
                                 store_range_t **ranges, size_t *count)
{
    if (!store || !job_id || !ranges || !count)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_RANGE_SELECT];
    const int64_t file_key[] = { index };
    store_status_t status = bind_job_row(st, job_id, file_key, COUNT_OF(file_key));
    void *array;
    size_t rows;
    status = collect_rows(store, st, status, sizeof **ranges, read_range_row, &array, count, &rows);
    *ranges = array;
    if (status == STORE_OK && rows == 0)
        status = store_fail_with(store, STORE_NOT_FOUND, "no such file");
    return status;
}

/* ---- file properties ------------------------------------------------------------------------ */

static store_status_t require_file(store_t *store, const store_guid_t *job_id, uint32_t index)
{
    sqlite3_stmt *st = store->stmts[STMT_FILE_EXISTS];
    const int64_t file_key[] = { index };
    store_status_t status =
        fetch_one(store, st, bind_job_row(st, job_id, file_key, COUNT_OF(file_key)), NULL, NULL);
    return status == STORE_NOT_FOUND ? store_fail_with(store, status, "no such file") : status;
}

static store_status_t delete_file_property(store_t *store, const store_guid_t *job_id,
                                           uint32_t index, int32_t property)
{
    sqlite3_stmt *st;
    const int64_t key[] = { index, property };
    store_status_t status = statement(store, STMT_PROPERTY_DELETE, &st);
    if (status == STORE_OK)
        status = require_file(store, job_id, index);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    return run(store, st, status);
}

static store_status_t upsert_file_property(store_t *store, const store_guid_t *job_id,
                                           uint32_t index, int32_t property, const char *value)
{
    sqlite3_stmt *st;
    const int64_t key[] = { index, property };
    store_status_t status = statement(store, STMT_PROPERTY_UPSERT, &st);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    if (status == STORE_OK)
        status = bind_text(store, st, 4, value);
    return run(store, st, status);
}

store_status_t store_file_property_set(store_t *store, const store_guid_t *job_id, uint32_t index,
                                       int32_t property, const char *value)
{
    if (!store || !job_id)
        return STORE_INVALID;
    return value ? upsert_file_property(store, job_id, index, property, value)
                 : delete_file_property(store, job_id, index, property);
}

static store_status_t read_text_value(sqlite3_stmt *st, void *value)
{
    return read_text(st, 0, value);
}

store_status_t store_file_property_get(store_t *store, const store_guid_t *job_id, uint32_t index,
                                       int32_t property, char **value)
{
    if (!store || !job_id || !value)
        return STORE_INVALID;
    sqlite3_stmt *st;
    const int64_t key[] = { index, property };
    store_status_t status = statement(store, STMT_PROPERTY_SELECT, &st);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    return fetch_one(store, st, status, read_text_value, value);
}

/* ---- credentials ---------------------------------------------------------------------------- */

store_status_t store_credential_put(store_t *store, const store_guid_t *job_id, int32_t target,
                                    int32_t scheme, const char *user_name, const void *secret,
                                    size_t secret_size)
{
    if (!store || !job_id || (!secret && secret_size))
        return STORE_INVALID;
    if (secret_size > STORE_MAX_TEXT)
        return store_fail_with(store, STORE_INVALID, "secret longer than STORE_MAX_TEXT");
    sqlite3_stmt *st;
    const int64_t key[] = { target, scheme };
    store_status_t status = statement(store, STMT_CREDENTIAL_UPSERT, &st);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    if (status == STORE_OK)
        status = bind_text(store, st, 4, user_name);
    if (status == STORE_OK)
        status = bind_blob(st, 5, secret, secret_size);
    return run(store, st, status); /* no such job fails the foreign key: STORE_NOT_FOUND */
}

store_status_t store_credential_delete(store_t *store, const store_guid_t *job_id, int32_t target,
                                       int32_t scheme)
{
    if (!store || !job_id)
        return STORE_INVALID;
    sqlite3_stmt *st;
    const int64_t key[] = { target, scheme };
    store_status_t status = statement(store, STMT_CREDENTIAL_DELETE, &st);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    return run_changing_one_row(store, st, status);
}

store_status_t store_credentials_clear(store_t *store, const store_guid_t *job_id)
{
    if (!store || !job_id)
        return STORE_INVALID;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_CREDENTIALS_CLEAR, &st);
    if (status == STORE_OK)
        status = bind_guid(st, 1, job_id);
    return run(store, st, status);
}

store_status_t store_credential_count(store_t *store, const store_guid_t *job_id, size_t *count)
{
    if (!store || !job_id || !count)
        return STORE_INVALID;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_CREDENTIAL_COUNT, &st);
    if (status == STORE_OK)
        status = bind_guid(st, 1, job_id);
    return fetch_one(store, st, status, read_count, count);
}

/* One credential row; 0 (row skipped, see store_credentials_list) when out of memory. */
static int read_credential_row(sqlite3_stmt *st, void *item)
{
    store_credential_t *c = item;
    memset(c, 0, sizeof *c);
    c->target = sqlite3_column_int(st, 0);
    c->scheme = sqlite3_column_int(st, 1);
    int size = sqlite3_column_bytes(st, 3);
    const void *secret = sqlite3_column_blob(st, 3);
    if (read_text(st, 2, &c->user_name) != STORE_OK)
        return 0;
    if (secret && size > 0 && (c->secret = malloc((size_t)size)) == NULL) {
        free(c->user_name);
        return 0;
    }
    if (c->secret)
        memcpy(c->secret, secret, (size_t)size);
    c->secret_size = c->secret ? (size_t)size : 0;
    return 1;
}

store_status_t store_credentials_list(store_t *store, const store_guid_t *job_id,
                                      store_credential_t **list, size_t *count)
{
    if (!store || !job_id || !list || !count)
        return STORE_INVALID;
    *list = NULL;
    *count = 0;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_CREDENTIALS_LIST, &st);
    if (status != STORE_OK)
        return status;
    void *array;
    size_t rows;
    status = collect_rows(store, st, bind_guid(st, 1, job_id), sizeof **list, read_credential_row,
                          &array, count, &rows);
    if (status == STORE_OK && *count != rows) {
        store_credentials_free(array, *count);
        return store_fail_with(store, STORE_NOMEM, "out of memory");
    }
    *list = array;
    return status;
}

void store_credentials_free(store_credential_t *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        if (list[i].secret)
            memset(list[i].secret, 0, list[i].secret_size);
        free(list[i].secret);
        free(list[i].user_name);
    }
    free(list);
}

/* ---- durability after a machine restart (schema v8) ------------------------------------------ */

static store_status_t read_boot(sqlite3_stmt *st, void *boot_time)
{
    *(int64_t *)boot_time = sqlite3_column_int64(st, 0);
    return STORE_OK;
}

store_status_t store_boot_get(store_t *store, int64_t *boot_time)
{
    if (!store || !boot_time)
        return STORE_INVALID;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_BOOT_SELECT, &st);
    return status == STORE_OK ? fetch_one(store, st, STORE_OK, read_boot, boot_time) : status;
}

store_status_t store_boot_set(store_t *store, int64_t boot_time)
{
    if (!store)
        return STORE_INVALID;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_BOOT_UPSERT, &st);
    return status == STORE_OK ? run(store, st, bind_int(st, 1, boot_time)) : status;
}

static int read_file_ref_row(sqlite3_stmt *st, void *item)
{
    store_file_ref_t *ref = item;
    read_guid(st, 0, &ref->job_id);
    ref->index = (uint32_t)sqlite3_column_int64(st, 1);
    return 1;
}

store_status_t store_files_not_durable(store_t *store, store_file_ref_t **files, size_t *count)
{
    if (!store || !files || !count)
        return STORE_INVALID;
    *files = NULL;
    *count = 0;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_FILES_NOT_DURABLE, &st);
    if (status != STORE_OK)
        return status;
    void *array;
    size_t rows;
    status = collect_rows(store, st, STORE_OK, sizeof **files, read_file_ref_row, &array, count, &rows);
    *files = array;
    return status;
}

store_status_t store_unflushed_put(store_t *store, const store_unflushed_t *file)
{
    if (!store || !file || !file->local_name)
        return STORE_INVALID;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_UNFLUSHED_UPSERT, &st);
    if (status != STORE_OK)
        return status;
    status = bind_guid(st, 1, &file->job_id);
    if (status == STORE_OK)
        status = bind_int(st, 2, file->index);
    if (status == STORE_OK)
        status = bind_text(store, st, 3, file->local_name);
    if (status == STORE_OK)
        status = bind_text(store, st, 4, file->owner_sid);
    if (status == STORE_OK)
        status = bind_int(st, 5, file->completed_time);
    if (status == STORE_OK)
        status = bind_int(st, 6, (int64_t)file->bytes);
    return run(store, st, status);
}

store_status_t store_unflushed_remove(store_t *store, const store_guid_t *job_id, uint32_t index)
{
    if (!store || !job_id)
        return STORE_INVALID;
    sqlite3_stmt *st;
    const int64_t key[] = { index };
    store_status_t status = statement(store, STMT_UNFLUSHED_DELETE, &st);
    if (status == STORE_OK)
        status = bind_job_row(st, job_id, key, COUNT_OF(key));
    return run_changing_one_row(store, st, status);
}

static int read_unflushed_row(sqlite3_stmt *st, void *item)
{
    store_unflushed_t *u = item;
    memset(u, 0, sizeof *u);
    read_guid(st, 0, &u->job_id);
    u->index = (uint32_t)sqlite3_column_int64(st, 1);
    u->completed_time = sqlite3_column_int64(st, 4);
    u->bytes = (uint64_t)sqlite3_column_int64(st, 5);
    if (read_text(st, 2, &u->local_name) != STORE_OK || !u->local_name)
        return 0;
    if (read_text(st, 3, &u->owner_sid) != STORE_OK) {
        free(u->local_name);
        return 0;
    }
    return 1;
}

store_status_t store_unflushed_list(store_t *store, store_unflushed_t **list, size_t *count)
{
    if (!store || !list || !count)
        return STORE_INVALID;
    *list = NULL;
    *count = 0;
    sqlite3_stmt *st;
    store_status_t status = statement(store, STMT_UNFLUSHED_LIST, &st);
    if (status != STORE_OK)
        return status;
    void *array;
    size_t rows;
    status = collect_rows(store, st, STORE_OK, sizeof **list, read_unflushed_row, &array, count, &rows);
    if (status == STORE_OK && *count != rows) {
        store_unflushed_free(array, *count);
        return store_fail_with(store, STORE_NOMEM, "out of memory");
    }
    *list = array;
    return status;
}

void store_unflushed_free(store_unflushed_t *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i].local_name);
        free(list[i].owner_sid);
    }
    free(list);
}
