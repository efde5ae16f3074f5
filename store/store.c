/* opendo job store: job, file and range rows (see docs/store.md).
 *
 * Jobs and files are mapped to their tables by field tables (column name, type, struct offset);
 * one generic bind/read helper per column type drives insert, select and update, and the SQL of
 * those statements is generated from the same tables at open. The tables themselves are created
 * by the migration steps in store_open.c, which must stay in step with the field tables below
 * (store_prepare_statements fails at open if a column is missing). */
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
} field_t;

typedef struct record {
    const char *table;
    const field_t *fields;
    int field_count;
    int key_count; /* the first key_count fields are the primary key */
    size_t size;   /* of the struct */
} record_t;

#define JOB_FIELD(member, type)  { #member, type, offsetof(store_job_t, member) }
#define FILE_FIELD(member, type) { #member, type, offsetof(store_file_t, member) }
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
};

static const field_t file_fields[] = {
    FILE_FIELD(job_id, FIELD_GUID),
    { "idx", FIELD_U32, offsetof(store_file_t, index) }, /* INDEX is an SQL keyword */
    FILE_FIELD(file_id, FIELD_TEXT),
    FILE_FIELD(remote_name, FIELD_TEXT),
    FILE_FIELD(local_name, FIELD_TEXT),
    FILE_FIELD(temp_name, FIELD_TEXT),
    FILE_FIELD(bytes_total, FIELD_U64),
    FILE_FIELD(bytes_transferred, FIELD_U64),
    FILE_FIELD(completed, FIELD_I32),
    FILE_FIELD(validator, FIELD_TEXT),
    FILE_FIELD(response_headers, FIELD_TEXT),
};

static const record_t job_record = { "jobs", job_fields, COUNT_OF(job_fields), 1,
                                     sizeof(store_job_t) };
static const record_t file_record = { "files", file_fields, COUNT_OF(file_fields), 2,
                                      sizeof(store_file_t) };

/* ---- statement SQL ------------------------------------------------------------------------- */

/* Every generated statement numbers its parameters by field: field i is parameter ?(i+1). */
static void append_key_filter(sqlite3_str *sql, const record_t *rec)
{
    for (int i = 0; i < rec->key_count; i++)
        sqlite3_str_appendf(sql, "%s%s=?%d", i ? " AND " : " WHERE ", rec->fields[i].column, i + 1);
}

static char *record_insert_sql(const record_t *rec)
{
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendf(sql, "INSERT INTO %s(", rec->table);
    for (int i = 0; i < rec->field_count; i++)
        sqlite3_str_appendf(sql, "%s%s", i ? "," : "", rec->fields[i].column);
    sqlite3_str_appendall(sql, ") VALUES(");
    for (int i = 0; i < rec->field_count; i++)
        sqlite3_str_appendf(sql, "%s?%d", i ? "," : "", i + 1);
    sqlite3_str_appendall(sql, ")");
    return sqlite3_str_finish(sql);
}

static char *record_select_sql(const record_t *rec)
{
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendall(sql, "SELECT ");
    for (int i = 0; i < rec->field_count; i++)
        sqlite3_str_appendf(sql, "%s%s", i ? "," : "", rec->fields[i].column);
    sqlite3_str_appendf(sql, " FROM %s", rec->table);
    append_key_filter(sql, rec);
    return sqlite3_str_finish(sql);
}

static char *record_update_sql(const record_t *rec)
{
    sqlite3_str *sql = sqlite3_str_new(NULL);
    sqlite3_str_appendf(sql, "UPDATE %s SET ", rec->table);
    for (int i = rec->key_count; i < rec->field_count; i++)
        sqlite3_str_appendf(sql, "%s%s=?%d", i > rec->key_count ? "," : "", rec->fields[i].column,
                            i + 1);
    append_key_filter(sql, rec);
    return sqlite3_str_finish(sql);
}

static const char *const fixed_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_JOB_DELETE] = "DELETE FROM jobs WHERE id=?1",
    /* rowid breaks creation-time ties in insertion order */
    [STMT_JOB_LIST_ALL] = "SELECT id FROM jobs ORDER BY creation_time, rowid",
    [STMT_JOB_LIST_OWNER] = "SELECT id FROM jobs WHERE owner_sid=?1 ORDER BY creation_time, rowid",
    [STMT_JOB_COUNT_ALL] = "SELECT count(*) FROM jobs",
    [STMT_JOB_COUNT_OWNER] = "SELECT count(*) FROM jobs WHERE owner_sid=?1",
    [STMT_FILE_COUNT] = "SELECT EXISTS(SELECT 1 FROM jobs WHERE id=?1),"
                        " (SELECT count(*) FROM files WHERE job_id=?1)",
    [STMT_RANGE_INSERT] = "INSERT INTO ranges(job_id,file_idx,offset,length) VALUES(?1,?2,?3,?4)",
    /* No row: no such file. One row of NULLs: the file has no ranges. */
    [STMT_RANGE_SELECT] = "SELECT r.offset, r.length FROM files f LEFT JOIN ranges r"
                          " ON r.job_id=f.job_id AND r.file_idx=f.idx"
                          " WHERE f.job_id=?1 AND f.idx=?2 ORDER BY r.offset",
};

static char *statement_sql(enum store_stmt id)
{
    switch (id) {
    case STMT_JOB_INSERT: return record_insert_sql(&job_record);
    case STMT_JOB_SELECT: return record_select_sql(&job_record);
    case STMT_JOB_UPDATE: return record_update_sql(&job_record);
    case STMT_FILE_INSERT: return record_insert_sql(&file_record);
    case STMT_FILE_SELECT: return record_select_sql(&file_record);
    case STMT_FILE_UPDATE: return record_update_sql(&file_record);
    default: return sqlite3_mprintf("%s", fixed_sql[id]);
    }
}

int store_prepare_statements(store_t *store)
{
    for (int id = 0; id < STMT_COUNT; id++) {
        char *sql = statement_sql((enum store_stmt)id);
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

static store_status_t bind_guid(sqlite3_stmt *st, int param, const store_guid_t *guid)
{
    return store_status_from_sqlite(
        sqlite3_bind_blob(st, param, guid->bytes, (int)sizeof guid->bytes, SQLITE_STATIC));
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

/* Fills row (overwritten, not freed) from the current result row. */
static store_status_t read_fields(sqlite3_stmt *st, const record_t *rec, void *row)
{
    store_status_t status = STORE_OK;
    memset(row, 0, rec->size);
    for (int i = 0; i < rec->field_count && status == STORE_OK; i++)
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

/* Steps a statement that returns no rows, then resets it; bind_status is the status of the
 * preceding binds (the statement is not run unless they all succeeded). */
static store_status_t run(store_t *store, sqlite3_stmt *st, store_status_t bind_status)
{
    store_status_t status = bind_status;
    if (status == STORE_OK) {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            status = store_fail(store, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
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

/* Steps st expecting one result row, which read() consumes; no row gives STORE_NOT_FOUND. */
static store_status_t fetch_one(store_t *store, sqlite3_stmt *st, store_status_t bind_status,
                                store_status_t (*read)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    store_status_t status = bind_status;
    if (status == STORE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            status = read(st, ctx);
        else if (rc == SQLITE_DONE)
            status = store_fail_with(store, STORE_NOT_FOUND, "no such row");
        else
            status = store_fail(store, rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return status;
}

static store_status_t begin(store_t *store)
{
    return run(store, store->stmts[STMT_BEGIN], STORE_OK);
}

/* Commits when status is STORE_OK, else rolls back; returns the outcome. */
static store_status_t finish(store_t *store, store_status_t status)
{
    if (status == STORE_OK)
        status = run(store, store->stmts[STMT_COMMIT], STORE_OK);
    if (status != STORE_OK && !sqlite3_get_autocommit(store->db))
        run(store, store->stmts[STMT_ROLLBACK], STORE_OK);
    return status;
}

/* ---- jobs ----------------------------------------------------------------------------------- */

store_status_t store_job_insert_many(store_t *store, const store_job_t *jobs, size_t count)
{
    if (!store || !jobs)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_JOB_INSERT];
    store_status_t status = begin(store);
    for (size_t i = 0; i < count && status == STORE_OK; i++)
        status =
            run(store, st, bind_fields(store, st, &job_record, &jobs[i], job_record.field_count));
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
    sqlite3_stmt *st = store->stmts[STMT_JOB_UPDATE];
    return run_changing_one_row(store, st,
                                bind_fields(store, st, &job_record, job, job_record.field_count));
}

store_status_t store_job_delete(store_t *store, const store_guid_t *id)
{
    if (!store || !id)
        return STORE_INVALID;
    sqlite3_stmt *st = store->stmts[STMT_JOB_DELETE];
    return run_changing_one_row(store, st, bind_guid(st, 1, id)); /* files, ranges cascade */
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
    store_status_t status = bind_status;
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
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
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
    if (!store || !ids || !count)
        return STORE_INVALID;
    store_status_t bind_status;
    sqlite3_stmt *st =
        owner_statement(store, owner_sid, STMT_JOB_LIST_ALL, STMT_JOB_LIST_OWNER, &bind_status);
    void *array;
    size_t rows;
    store_status_t status =
        collect_rows(store, st, bind_status, sizeof **ids, read_id_row, &array, count, &rows);
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
    if (range->offset > (uint64_t)INT64_MAX) /* stored signed; keeps ORDER BY offset right */
        return store_fail_with(store, STORE_INVALID, "range offset out of range");
    sqlite3_stmt *st = store->stmts[STMT_RANGE_INSERT];
    store_status_t status = bind_guid(st, 1, &file->job_id);
    if (status == STORE_OK)
        status = bind_int(st, 2, file->index);
    if (status == STORE_OK)
        status = bind_int(st, 3, (int64_t)range->offset);
    if (status == STORE_OK)
        status = bind_int(st, 4, (int64_t)range->length);
    return run(store, st, status);
}

static store_status_t insert_file(store_t *store, const store_file_t *file,
                                  const store_range_t *ranges, size_t range_count)
{
    if (range_count && !ranges)
        return store_fail_with(store, STORE_INVALID, "range count without ranges");
    sqlite3_stmt *st = store->stmts[STMT_FILE_INSERT];
    store_status_t status =
        run(store, st, bind_fields(store, st, &file_record, file, file_record.field_count));
    for (size_t i = 0; i < range_count && status == STORE_OK; i++)
        status = insert_range(store, file, &ranges[i]);
    return status;
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
    return run_changing_one_row(
        store, st, bind_fields(store, st, &file_record, file, file_record.field_count));
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
    store_status_t status = bind_guid(st, 1, job_id);
    if (status == STORE_OK)
        status = bind_int(st, 2, index);
    void *array;
    size_t rows;
    status = collect_rows(store, st, status, sizeof **ranges, read_range_row, &array, count, &rows);
    *ranges = array;
    if (status == STORE_OK && rows == 0)
        status = store_fail_with(store, STORE_NOT_FOUND, "no such file");
    return status;
}
