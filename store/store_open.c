/* opendo job store: opening, schema migrations, integrity, quarantine and salvage of a damaged
 * database (see docs/store.md).
 *
 * Open sequence. Until the database is known to be healthy and of a schema this code knows,
 * nothing is written to it (checkpoint-on-close is off, journal mode untouched), so a damaged or
 * newer database is set aside or refused exactly as found:
 *   1. open read-write; extended result codes, busy timeout, foreign keys, no checkpoint on close;
 *   2. read PRAGMA user_version; newer than the migration list knows -> STORE_NEWER_SCHEMA;
 *   3. PRAGMA integrity_check;
 *   4. journal_mode=WAL, synchronous=FULL, checkpoint on close again;
 *   5. apply the missing migration steps, one transaction each;
 *   6. prepare the cached statements.
 * SQLITE_CORRUPT / SQLITE_NOTADB at any step, or an integrity complaint, means "damaged": the
 * file is renamed aside, a fresh database is opened in its place and readable rows are copied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define BUSY_TIMEOUT_MS 5000
/* Longest suffix appended to the database path: ".corrupt-YYYYMMDDTHHMMSSZ-NNN-journal". */
#define QUARANTINE_SUFFIX_MAX 48
#define QUARANTINE_ATTEMPTS   1000

static const char newer_schema_message[] = "database schema is newer than this opendo";

/* ---- schema --------------------------------------------------------------------------------- */

/* v0 -> v1. Column names match the field tables in store.c. Unsigned 64-bit values are stored as
 * their two's-complement int64. jobs and files are rowid tables (their rows can be large, and
 * rowid gives the insertion order that breaks creation-time ties when listing). A migration step
 * must never change once released: later changes are new steps. */
static const char schema_v1[] =
    "CREATE TABLE jobs ("
    " id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),"
    " display_name TEXT, description TEXT, owner_sid TEXT,"
    " type INTEGER NOT NULL, state INTEGER NOT NULL, priority INTEGER NOT NULL,"
    " notify_flags INTEGER NOT NULL,"
    " notify_clsid BLOB NOT NULL CHECK (length(notify_clsid) = 16),"
    " notify_program TEXT, notify_parameters TEXT,"
    " min_retry_delay INTEGER NOT NULL, no_progress_timeout INTEGER NOT NULL,"
    " max_download_time INTEGER NOT NULL,"
    " proxy_usage INTEGER NOT NULL, proxy_list TEXT, proxy_bypass_list TEXT,"
    " cost_flags INTEGER NOT NULL, acl_flags INTEGER NOT NULL, peer_caching_flags INTEGER NOT NULL,"
    " custom_headers TEXT,"
    " creation_time INTEGER NOT NULL, modification_time INTEGER NOT NULL,"
    " transfer_completion_time INTEGER NOT NULL,"
    " error_context INTEGER NOT NULL, error_code INTEGER NOT NULL,"
    " error_file_index INTEGER NOT NULL, error_detail TEXT, error_count INTEGER NOT NULL);"
    "CREATE INDEX jobs_by_owner ON jobs (owner_sid, creation_time);"
    "CREATE INDEX jobs_by_creation ON jobs (creation_time);"
    "CREATE TABLE files ("
    " job_id BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL CHECK (idx >= 0),"
    " file_id TEXT, remote_name TEXT, local_name TEXT, temp_name TEXT,"
    " bytes_total INTEGER NOT NULL, bytes_transferred INTEGER NOT NULL,"
    " completed INTEGER NOT NULL, validator TEXT, response_headers TEXT,"
    " PRIMARY KEY (job_id, idx));"
    "CREATE TABLE ranges ("
    " job_id BLOB NOT NULL, file_idx INTEGER NOT NULL,"
    " offset INTEGER NOT NULL CHECK (offset >= 0), length INTEGER NOT NULL,"
    " PRIMARY KEY (job_id, file_idx, offset),"
    " FOREIGN KEY (job_id, file_idx) REFERENCES files (job_id, idx) ON DELETE CASCADE);";

/* v1 -> v2: a file's validation state, file properties and credentials. The new tables are
 * rowid tables too (salvage scans every table in rowid order); their rows go with their parent's
 * (ON DELETE CASCADE), so deleting a job deletes all of them. */
static const char schema_v2[] =
    "ALTER TABLE files ADD COLUMN validation_state INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE file_properties ("
    " job_id BLOB NOT NULL, file_idx INTEGER NOT NULL,"
    " property INTEGER NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (job_id, file_idx, property),"
    " FOREIGN KEY (job_id, file_idx) REFERENCES files (job_id, idx) ON DELETE CASCADE);"
    "CREATE TABLE credentials ("
    " job_id BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
    " target INTEGER NOT NULL, scheme INTEGER NOT NULL, user_name TEXT, secret BLOB,"
    " PRIMARY KEY (job_id, target, scheme));";

/* v2 -> v3: a job's HTTP security flags (IBackgroundCopyJobHttpOptions::SetSecurityFlags). Every
 * existing job gets 0, the BITS default (no CRL check, no certificate errors ignored, redirects
 * allowed silently). */
static const char schema_v3[] =
    "ALTER TABLE jobs ADD COLUMN security_flags INTEGER NOT NULL DEFAULT 0;";

/* v3 -> v4: the scheduler lists the jobs in a few states (queued, transferring, retrying) without
 * reading every row, and each file keeps what its downloads cost (IDeliveryOptimizationFile::
 * GetStats): body bytes received over HTTP, connections opened, time spent downloading. */
static const char schema_v4[] =
    "CREATE INDEX jobs_by_state ON jobs (state, creation_time);"
    "ALTER TABLE files ADD COLUMN bytes_from_http INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE files ADD COLUMN http_connections INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE files ADD COLUMN download_ms INTEGER NOT NULL DEFAULT 0;";

/* v4 -> v5: downloads of the IDODownload API (docs/architecture.md). A job row says which API made
 * it (kind: 0 a BITS-style job, 1 an IDODownload), whether it survives a restart (non_volatile),
 * whether Start was ever called (started: Created vs Paused) and the error behind its error
 * (error_extended: DO_DOWNLOAD_STATUS.ExtendedError). A file row keeps what the last response
 * said: the URL after redirects, the server's address and the HTTP status. Local names are indexed
 * (case-insensitively, as Windows compares paths) for "another download took this path". */
static const char schema_v5[] =
    "ALTER TABLE jobs ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN non_volatile INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN error_extended INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE files ADD COLUMN final_url TEXT;"
    "ALTER TABLE files ADD COLUMN server_ip TEXT;"
    "ALTER TABLE files ADD COLUMN http_status INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX files_by_local_name ON files (local_name COLLATE NOCASE);";

/* v5 -> v6: what the BITS classes keep beyond DO's (docs/bits.md). kind 2 is a job made through a
 * BITS class. A job's HTTP method (IBackgroundCopyJobHttpOptions2; NULL: its type's default),
 * whether its custom headers are write-only (IBackgroundCopyJobHttpOptions3), its helper-token
 * usage flags (IBitsTokenOptions; the token itself is never stored) and whether it is in on-demand
 * mode (BITS_JOB_PROPERTY_ON_DEMAND_MODE, IBackgroundCopyFile6) and the spacing of its
 * FileRangesTransferred calls (BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS), and whether its
 * client registered a server certificate callback (the callback itself lives in memory: after a
 * restart the job waits for the client to register it again). Existing jobs get the BITS
 * defaults: GET, readable headers, no helper token, not on demand, 500 ms, no callback. */
static const char schema_v6[] =
    "ALTER TABLE jobs ADD COLUMN http_method TEXT;"
    "ALTER TABLE jobs ADD COLUMN custom_headers_write_only INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN helper_token_flags INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN on_demand INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN notification_interval_ms INTEGER NOT NULL DEFAULT 500;"
    "ALTER TABLE jobs ADD COLUMN certificate_callback INTEGER NOT NULL DEFAULT 0;";

/* v6 -> v7: cache hosts (docs/transfer.md "Cache hosts"). Per file, the body bytes and connections
 * of its attempts through a cache host (bytes_from_http and http_connections keep the origin's);
 * per job, the last cache host it used and why it last left a cache (NULL: never). Existing rows:
 * nothing came from a cache. */
static const char schema_v7[] =
    "ALTER TABLE files ADD COLUMN bytes_from_cache INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE files ADD COLUMN cache_connections INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN cache_host TEXT;"
    "ALTER TABLE jobs ADD COLUMN cache_fallback TEXT;";

/* v7 -> v8: durability after a machine restart (docs/transfer.md "Durability"). Per file, the
 * bytes known to be on disk (bytes_transferred counts those written, which a restarted service
 * still finds in the system's cache but a restarted machine may not); the boot of the machine in
 * which the service last started; and the completed files whose last bytes were not yet known to
 * be on disk, kept past their job so that a start after a machine restart names them. Rows of
 * older versions were made durable before they were recorded. */
static const char schema_v8[] =
    "ALTER TABLE files ADD COLUMN bytes_durable INTEGER NOT NULL DEFAULT 0;"
    "UPDATE files SET bytes_durable = bytes_transferred;"
    "CREATE TABLE service_boot (id INTEGER PRIMARY KEY CHECK (id = 1), boot_time INTEGER NOT NULL);"
    "CREATE TABLE unflushed_files ("
    " job_id BLOB NOT NULL, file_idx INTEGER NOT NULL, local_name TEXT NOT NULL, owner_sid TEXT,"
    " completed_time INTEGER NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (job_id, file_idx));";

static const char *const builtin_steps[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
                                               schema_v6, schema_v7, schema_v8 };
const store_migrations_t store_builtin_migrations = {
    builtin_steps, (int)(sizeof builtin_steps / sizeof *builtin_steps)
};

/* ---- small SQL helpers ---------------------------------------------------------------------- */

/* Runs sql and takes the first column of its first row, as a number and/or as text. */
static int query_first(sqlite3 *db, const char *sql, int64_t *number, char *text, size_t text_size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (number)
            *number = sqlite3_column_int64(st, 0);
        const unsigned char *value = text ? sqlite3_column_text(st, 0) : NULL;
        if (text)
            snprintf(text, text_size, "%s", value ? (const char *)value : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_EMPTY;
    }
    sqlite3_finalize(st);
    return rc;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* ---- integrity ------------------------------------------------------------------------------ */

/* The page cache while the integrity check reads the whole file (SQLite's default is 2 MB:
 * the check of a large store then re-reads pages many times), and the default for the rest. */
#define INTEGRITY_CACHE_KIB 32768
#define DEFAULT_CACHE_KIB 2000

static store_status_t check_integrity(store_t *store)
{
    char result[512] = "", pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", INTEGRITY_CACHE_KIB);
    exec(store->db, pragma);
    int rc = query_first(store->db, "PRAGMA integrity_check(1)", NULL, result, sizeof result);
    snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", DEFAULT_CACHE_KIB);
    exec(store->db, pragma); /* also frees the pages read */
    if (rc != SQLITE_OK)
        return store_fail(store, rc);
    if (strcmp(result, "ok") == 0)
        return STORE_OK;
    for (char *newline = strchr(result, '\n'); newline; newline = strchr(newline, '\n'))
        *newline = ' '; /* one line, for logs */
    return store_fail_with(store, STORE_CORRUPT, result);
}

store_status_t store_check_integrity(store_t *store, char *detail, size_t detail_size)
{
    if (!store)
        return STORE_INVALID;
    store_status_t status = check_integrity(store);
    if (detail && detail_size)
        snprintf(detail, detail_size, "%s", status == STORE_OK ? "ok" : store->last_error);
    return status;
}

int store_schema_version(store_t *store)
{
    int64_t version = -1;
    if (!store || query_first(store->db, "PRAGMA user_version", &version, NULL, 0) != SQLITE_OK)
        return -1;
    return (int)version;
}

/* ---- migrations ----------------------------------------------------------------------------- */

/* Applies the step for the database's current version in one transaction. The version is read
 * again inside the transaction, so two processes opening at once do not both apply a step. */
static store_status_t apply_next_step(store_t *store, const store_migrations_t *migrations,
                                      int *version)
{
    int64_t current = 0;
    int rc = exec(store->db, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = query_first(store->db, "PRAGMA user_version", &current, NULL, 0);
    if (rc == SQLITE_OK && current < migrations->count) {
        char set_version[48];
        snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", (int)current + 1);
        rc = exec(store->db, migrations->steps[current]);
        if (rc == SQLITE_OK)
            rc = exec(store->db, set_version);
        current++;
    }
    if (rc == SQLITE_OK)
        rc = exec(store->db, "COMMIT");
    if (rc != SQLITE_OK) {
        store_status_t status = store_fail(store, rc);
        if (!sqlite3_get_autocommit(store->db))
            exec(store->db, "ROLLBACK");
        return status;
    }
    *version = (int)current;
    return STORE_OK;
}

static store_status_t migrate(store_t *store, const store_migrations_t *migrations,
                              store_open_report_t *report)
{
    int version = report->migrated_from;
    store_status_t status = STORE_OK;
    while (status == STORE_OK && version < migrations->count)
        status = apply_next_step(store, migrations, &version);
    if (status == STORE_OK && version > migrations->count) /* a newer opendo won the race */
        status = store_fail_with(store, STORE_NEWER_SCHEMA, newer_schema_message);
    report->schema_version = version;
    return status;
}

/* ---- opening -------------------------------------------------------------------------------- */

/* Connection settings that write nothing to the file. */
static int configure_connection(sqlite3 *db)
{
    sqlite3_extended_result_codes(db, 1);
    int rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA foreign_keys=ON");
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA locking_mode=EXCLUSIVE");
    return rc;
}

static store_status_t enable_durability(store_t *store)
{
    char mode[16] = "";
    int rc = query_first(store->db, "PRAGMA journal_mode=WAL", NULL, mode, sizeof mode);
    if (rc == SQLITE_OK && strcmp(mode, "wal") != 0)
        return store_fail_with(store, STORE_IO, "WAL journal mode unavailable");
    if (rc == SQLITE_OK)
        rc = exec(store->db, "PRAGMA synchronous=FULL");
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, (int *)NULL);
    return rc == SQLITE_OK ? STORE_OK : store_fail(store, rc);
}

static store_status_t open_steps(store_t *store, const char *path,
                                 const store_migrations_t *migrations, store_open_report_t *report)
{
    int64_t version = 0;
    int rc = sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = configure_connection(store->db);
    if (rc == SQLITE_OK)
        rc = query_first(store->db, "PRAGMA user_version", &version, NULL, 0);
    if (rc != SQLITE_OK)
        return store_fail(store, rc);
    report->migrated_from = report->schema_version = (int)version;
    report->created = version == 0;
    if (version > migrations->count)
        return store_fail_with(store, STORE_NEWER_SCHEMA, newer_schema_message);

    store_status_t status = check_integrity(store);
    if (status != STORE_OK)
        return status;
    report->integrity_ok = 1;

    status = enable_durability(store);
    if (status == STORE_OK)
        status = migrate(store, migrations, report);
    if (status == STORE_OK
        && (rc = store_prepare_statements(store, report->schema_version)) != SQLITE_OK)
        status = store_fail(store, rc);
    return status;
}

static void close_database(store_t *store)
{
    store_finalize_statements(store);
    sqlite3_close(store->db);
    store->db = NULL;
}

/* Opens path into store; on failure the connection is closed and report->detail says why. */
static store_status_t open_database(store_t *store, const char *path,
                                    const store_migrations_t *migrations,
                                    store_open_report_t *report)
{
    store_status_t status = open_steps(store, path, migrations, report);
    if (status != STORE_OK) {
        if (!report->detail[0])
            snprintf(report->detail, sizeof report->detail, "%s", store->last_error);
        close_database(store);
    }
    return status;
}

/* ---- quarantine ----------------------------------------------------------------------------- */

/* Files SQLite keeps beside a database; they belong to it and move with it. */
static const char *const sidecar_suffixes[] = { "-wal", "-shm", "-journal" };
#define SIDECAR_COUNT (sizeof sidecar_suffixes / sizeof *sidecar_suffixes)

/* Anything but "no such file" counts as present, so a name is never reused by mistake. */
static int path_exists(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (file) {
        fclose(file);
        return 1;
    }
    return errno != ENOENT;
}

static void with_suffix(char *out, size_t size, const char *path, const char *suffix)
{
    snprintf(out, size, "%s%s", path, suffix);
}

static int name_taken(const char *base)
{
    char path[sizeof((store_open_report_t *)0)->quarantine_path];
    if (path_exists(base))
        return 1;
    for (size_t i = 0; i < SIDECAR_COUNT; i++) {
        with_suffix(path, sizeof path, base, sidecar_suffixes[i]);
        if (path_exists(path))
            return 1;
    }
    return 0;
}

/* "YYYYMMDDTHHMMSSZ" for now. Computed by hand (days to civil date, after H. Hinnant) because
 * gmtime is not thread-safe and gmtime_r/gmtime_s are not portable. */
static void utc_stamp(char *out, size_t size)
{
    int64_t seconds = (store_now_filetime() - FILETIME_UNIX_EPOCH) / 10000000;
    int64_t z = seconds / 86400 + 719468, rest = seconds % 86400;
    int64_t era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    snprintf(out, size, "%04d%02d%02dT%02d%02d%02dZ", (int)year, (int)month, (int)day,
             (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60));
}

/* <path>.corrupt-<stamp>, or -1, -2, ... after it when that name (or a sidecar) exists. */
static int choose_quarantine_path(const char *path, char *out, size_t size)
{
    char stamp[48]; /* 17 bytes in practice; sized for any int64 time */
    utc_stamp(stamp, sizeof stamp);
    for (int attempt = 0; attempt < QUARANTINE_ATTEMPTS; attempt++) {
        if (attempt)
            snprintf(out, size, "%s.corrupt-%s-%d", path, stamp, attempt);
        else
            snprintf(out, size, "%s.corrupt-%s", path, stamp);
        if (!name_taken(out))
            return 1;
    }
    return 0;
}

/* Renames the database and its sidecars to report->quarantine_path. A sidecar left behind would
 * be replayed into the fresh database, so failing to move one fails the whole operation. */
static store_status_t move_aside(const char *path, store_open_report_t *report)
{
    char from[sizeof report->quarantine_path], to[sizeof report->quarantine_path];
    if (!choose_quarantine_path(path, report->quarantine_path, sizeof report->quarantine_path)
        || rename(path, report->quarantine_path) != 0)
        return STORE_CORRUPT;
    report->quarantined = 1;
    for (size_t i = 0; i < SIDECAR_COUNT; i++) {
        with_suffix(from, sizeof from, path, sidecar_suffixes[i]);
        with_suffix(to, sizeof to, report->quarantine_path, sidecar_suffixes[i]);
        if (path_exists(from) && rename(from, to) != 0)
            return STORE_CORRUPT;
    }
    return STORE_OK;
}

/* ---- salvage -------------------------------------------------------------------------------- */

/* INSERT INTO table(<the columns read returns>) VALUES(?, ...). Naming the damaged database's own
 * columns lets rows of an older schema version be salvaged too (columns are only ever added). */
static int prepare_insert_like(sqlite3 *dst, const char *table, sqlite3_stmt *read,
                               sqlite3_stmt **write)
{
    int columns = sqlite3_column_count(read);
    sqlite3_str *sql = sqlite3_str_new(dst);
    sqlite3_str_appendf(sql, "INSERT INTO \"%w\"(", table);
    for (int i = 0; i < columns; i++)
        sqlite3_str_appendf(sql, "%s\"%w\"", i ? "," : "", sqlite3_column_name(read, i));
    sqlite3_str_appendall(sql, ") VALUES(");
    for (int i = 0; i < columns; i++)
        sqlite3_str_appendall(sql, i ? ",?" : "?");
    sqlite3_str_appendall(sql, ")");
    char *text = sqlite3_str_finish(sql);
    int rc = text ? sqlite3_prepare_v2(dst, text, -1, write, NULL) : SQLITE_NOMEM;
    sqlite3_free(text);
    return rc;
}

/* Copies the rows of table, scanning its own b-tree in rowid order (direction "ASC" or "DESC"),
 * until the end or the first unreadable row. Rows dst rejects (e.g. a file whose job was lost)
 * are skipped. Returns 1 when the scan reached the end. */
static int copy_rows(sqlite3 *src, sqlite3 *dst, const char *table, const char *direction,
                     long *copied)
{
    sqlite3_stmt *read = NULL, *write = NULL;
    char *sql =
        sqlite3_mprintf("SELECT * FROM \"%w\" NOT INDEXED ORDER BY rowid %s", table, direction);
    int rc = sql ? sqlite3_prepare_v2(src, sql, -1, &read, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc == SQLITE_OK)
        rc = prepare_insert_like(dst, table, read, &write);
    while (rc == SQLITE_OK && (rc = sqlite3_step(read)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(read); i++)
            sqlite3_bind_value(write, i + 1, sqlite3_column_value(read, i));
        if (sqlite3_step(write) == SQLITE_DONE)
            ++*copied;
        sqlite3_reset(write);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(read);
    sqlite3_finalize(write);
    return rc == SQLITE_DONE;
}

static long salvage_table(sqlite3 *src, sqlite3 *dst, const char *table)
{
    long copied = 0;
    if (!copy_rows(src, dst, table, "ASC", &copied))
        copy_rows(src, dst, table, "DESC", &copied); /* reach the rows beyond the damage */
    return copied;
}

/* Every table, in the order salvage copies them: parents before children, so foreign keys hold.
 * A table the damaged database lacks (an older schema version) or cannot describe yields no
 * rows. */
enum salvaged_table {
    SALVAGE_JOBS,
    SALVAGE_FILES,
    SALVAGE_RANGES,
    SALVAGE_FILE_PROPERTIES,
    SALVAGE_CREDENTIALS,
    SALVAGE_SERVICE_BOOT,
    SALVAGE_UNFLUSHED_FILES,
    SALVAGE_TABLE_COUNT
};
static const char *const salvaged_tables[SALVAGE_TABLE_COUNT] = {
    [SALVAGE_JOBS] = "jobs",
    [SALVAGE_FILES] = "files",
    [SALVAGE_RANGES] = "ranges",
    [SALVAGE_FILE_PROPERTIES] = "file_properties",
    [SALVAGE_CREDENTIALS] = "credentials",
    [SALVAGE_SERVICE_BOOT] = "service_boot",
    [SALVAGE_UNFLUSHED_FILES] = "unflushed_files",
};

/* Copies what can still be read from the quarantined file into the fresh database, in one
 * transaction. */
static void salvage(store_t *store, store_open_report_t *report)
{
    long copied[SALVAGE_TABLE_COUNT] = { 0 };
    sqlite3 *damaged = NULL;
    if (sqlite3_open_v2(report->quarantine_path, &damaged, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && exec(store->db, "BEGIN IMMEDIATE") == SQLITE_OK) {
        for (int table = 0; table < SALVAGE_TABLE_COUNT; table++)
            copied[table] = salvage_table(damaged, store->db, salvaged_tables[table]);
        if (exec(store->db, "COMMIT") != SQLITE_OK) {
            exec(store->db, "ROLLBACK");
            memset(copied, 0, sizeof copied);
        }
    }
    sqlite3_close(damaged);
    report->salvaged_jobs = copied[SALVAGE_JOBS];
    report->salvaged_files = copied[SALVAGE_FILES];
}

static store_status_t replace_damaged(store_t *store, const char *path,
                                      const store_migrations_t *migrations,
                                      store_open_report_t *report)
{
    store_status_t status = move_aside(path, report);
    if (status != STORE_OK) {
        size_t used = strlen(report->detail);
        snprintf(report->detail + used, sizeof report->detail - used, "%s",
                 "; could not move the damaged database aside");
        return status;
    }
    status = open_database(store, path, migrations, report);
    if (status == STORE_OK)
        salvage(store, report);
    return status;
}

/* ---- public entry points -------------------------------------------------------------------- */

store_status_t store_open_with_migrations(const char *path, const store_migrations_t *migrations,
                                          store_t **out, store_open_report_t *report)
{
    store_open_report_t unused;
    if (!report)
        report = &unused;
    memset(report, 0, sizeof *report);
    if (out)
        *out = NULL;
    if (!path || !out || !migrations
        || strlen(path) + QUARANTINE_SUFFIX_MAX >= sizeof report->quarantine_path)
        return STORE_INVALID;
    store_t *store = calloc(1, sizeof *store);
    if (!store)
        return STORE_NOMEM;
    store_status_t status = open_database(store, path, migrations, report);
    if (status == STORE_CORRUPT)
        status = replace_damaged(store, path, migrations, report);
    if (status != STORE_OK) {
        free(store);
        return status;
    }
    *out = store;
    return STORE_OK;
}

store_status_t store_open(const char *path, store_t **out, store_open_report_t *report)
{
    return store_open_with_migrations(path, &store_builtin_migrations, out, report);
}

void store_close(store_t *store)
{
    if (!store)
        return;
    close_database(store);
    free(store);
}
