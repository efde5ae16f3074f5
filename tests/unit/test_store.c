/* Native unit tests of the SQLite job store: rows in and out, listing, file atomicity, file
 * properties, credentials, explicit transactions, argument validation, reopening, migrations
 * (real v1, v2 and v4 databases to v7), newer-schema refusal, quarantine and salvage of damaged
 * databases, and 100,000 jobs. Databases live in a fresh temporary directory removed at the end. */
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../check.h"
#include "../../store/store.h"
#include "../../store/store_internal.h"

#define ALICE     "S-1-5-21-1-1-1-1001"
#define BOB       "S-1-5-21-1-1-1-1002"
#define PATH_SIZE 512
#define PAGE_SIZE 4096 /* SQLite's default page size */
#define SCHEMA_VERSION 8

/* The built-in migrations cut after the v1 step: opens (and writes) a database as v1 code did. */
static store_migrations_t v4_migrations(void)
{
    return (store_migrations_t){ store_builtin_migrations.steps, 4 };
}

static store_migrations_t v1_migrations(void)
{
    return (store_migrations_t){ store_builtin_migrations.steps, 1 };
}

/* The same, cut after the v2 step: a database as v2 code wrote it. */
static store_migrations_t v2_migrations(void)
{
    return (store_migrations_t){ store_builtin_migrations.steps, 2 };
}

static char test_dir[] = "/tmp/test_store.XXXXXX";

/* ---- helpers -------------------------------------------------------------------------------- */

static void db_path(char *out, const char *name)
{
    snprintf(out, PATH_SIZE, "%s/%s", test_dir, name);
}

static char *dup_text(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int length = vsnprintf(NULL, 0, format, args);
    va_end(args);
    char *text = malloc((size_t)length + 1);
    va_start(args, format);
    vsnprintf(text, (size_t)length + 1, format, args);
    va_end(args);
    return text;
}

static char *long_text(size_t length)
{
    char *text = malloc(length + 1);
    memset(text, 'x', length);
    text[length] = '\0';
    return text;
}

static store_guid_t make_guid(uint32_t seed, uint8_t tag)
{
    store_guid_t guid;
    for (int i = 0; i < 16; i++)
        guid.bytes[i] = (uint8_t)(tag + i * 17);
    memcpy(guid.bytes, &seed, sizeof seed);
    return guid;
}

static uint32_t guid_seed(const store_guid_t *guid)
{
    uint32_t seed;
    memcpy(&seed, guid->bytes, sizeof seed);
    return seed;
}

static int guid_equal(const store_guid_t *a, const store_guid_t *b)
{
    return memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static int text_equal(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) == 0 : a == b;
}

/* A job whose every field is derived from seed (so a salvaged row can be checked). */
static void make_job(store_job_t *job, uint32_t seed, const char *owner)
{
    memset(job, 0, sizeof *job);
    job->id = make_guid(seed, 0x10);
    job->display_name = dup_text("job %u \xc3\xbc\xe2\x9c\x93", seed); /* UTF-8 survives */
    job->description = dup_text("%s", "");                             /* "" is not NULL */
    job->owner_sid = owner ? dup_text("%s", owner) : NULL;
    job->type = 0;
    job->state = (int32_t)(seed % 7);
    job->priority = (int32_t)(seed % 4);
    job->notify_flags = 3;
    job->notify_clsid = make_guid(seed, 0x20);
    job->notify_program = seed % 2 ? dup_text("C:\\Program Files\\app %u.exe", seed) : NULL;
    job->min_retry_delay = 600;
    job->no_progress_timeout = 1209600 + seed;
    job->proxy_usage = 1;
    job->proxy_list = dup_text("proxy%u:8080", seed);
    job->cost_flags = UINT32_MAX - seed; /* above INT32_MAX */
    job->peer_caching_flags = seed;
    job->custom_headers = dup_text("X-Seed: %u\r\n", seed);
    job->creation_time = INT64_C(133000000000000000) + seed;
    job->modification_time = job->creation_time + 1;
    job->error_context = 5;
    job->error_code = 0x80D02004u;
    job->error_file_index = -1;
    job->error_count = seed;
    job->notification_interval_ms = 500; /* v6: the column's default, what older code leaves */
}

#define JOB_TEXTS(X)                                                                               \
    X(display_name) X(description) X(owner_sid) X(notify_program) X(notify_parameters)             \
    X(proxy_list) X(proxy_bypass_list) X(custom_headers) X(error_detail) X(http_method)          \
    X(cache_host) X(cache_fallback)
#define JOB_NUMBERS(X)                                                                             \
    X(type) X(state) X(priority) X(notify_flags) X(min_retry_delay) X(no_progress_timeout)         \
    X(max_download_time) X(proxy_usage) X(cost_flags) X(acl_flags) X(peer_caching_flags)           \
    X(creation_time) X(modification_time) X(transfer_completion_time) X(error_context)             \
    X(error_code) X(error_file_index) X(error_count) X(security_flags) X(kind) X(non_volatile)  \
    X(started) X(error_extended) X(custom_headers_write_only) X(helper_token_flags) X(on_demand)   \
    X(notification_interval_ms) X(certificate_callback)
#define FILE_TEXTS(X)                                                                              \
    X(file_id) X(remote_name) X(local_name) X(temp_name) X(validator) X(response_headers)         \
    X(final_url) X(server_ip)
#define FILE_NUMBERS(X)                                                                            \
    X(index) X(bytes_total) X(bytes_transferred) X(completed) X(validation_state)                \
    X(bytes_from_http) X(http_connections) X(download_ms) X(http_status) X(bytes_from_cache)       \
    X(cache_connections) X(bytes_durable)
#define SAME_TEXT(member)   same = same && text_equal(a->member, b->member);
#define SAME_NUMBER(member) same = same && a->member == b->member;

static int jobs_equal(const store_job_t *a, const store_job_t *b)
{
    int same = guid_equal(&a->id, &b->id) && guid_equal(&a->notify_clsid, &b->notify_clsid);
    JOB_TEXTS(SAME_TEXT)
    JOB_NUMBERS(SAME_NUMBER)
    return same;
}

static int files_equal(const store_file_t *a, const store_file_t *b)
{
    int same = guid_equal(&a->job_id, &b->job_id);
    FILE_TEXTS(SAME_TEXT)
    FILE_NUMBERS(SAME_NUMBER)
    return same;
}

/* Fetches the job and compares it with want. */
static int stored_job_is(store_t *store, const store_job_t *want)
{
    store_job_t got = { 0 };
    int same = store_job_get(store, &want->id, &got) == STORE_OK && jobs_equal(want, &got);
    store_job_clear(&got);
    return same;
}

static int stored_job_matches_seed(store_t *store, const store_guid_t *id, const char *owner)
{
    store_job_t want;
    make_job(&want, guid_seed(id), owner);
    int same = stored_job_is(store, &want);
    store_job_clear(&want);
    return same;
}

static void make_file(store_file_t *file, const store_guid_t *job_id, uint32_t index)
{
    memset(file, 0, sizeof *file);
    file->job_id = *job_id;
    file->index = index;
    file->file_id = index % 2 ? NULL : dup_text("file-%u", index);
    file->remote_name = dup_text("https://example.test/f/%u.bin", index);
    file->local_name = dup_text("C:\\Downloads\\%u.bin", index);
    file->temp_name = dup_text("C:\\Downloads\\BIT%u.tmp", index);
    file->bytes_total = UINT64_MAX; /* unknown */
    file->bytes_transferred = (uint64_t)index << 33;
    file->bytes_durable = file->bytes_transferred; /* as older versions recorded every file */
    file->bytes_from_http = ((uint64_t)index << 34) + 7; /* v4 */
    file->http_connections = index + 2;
    file->download_ms = (uint64_t)index * 1000 + 5;
}

/* What a file written by code older than v4 holds: no download statistics. */
static void drop_v4_statistics(store_file_t *file)
{
    file->bytes_from_http = 0;
    file->http_connections = 0;
    file->download_ms = 0;
}

static int stored_file_is(store_t *store, const store_file_t *want)
{
    store_file_t got = { 0 };
    int same = store_file_get(store, &want->job_id, want->index, &got) == STORE_OK
               && files_equal(want, &got);
    store_file_clear(&got);
    return same;
}

static int file_count_is(store_t *store, const store_guid_t *job_id, uint32_t want)
{
    uint32_t count = UINT32_MAX;
    return store_file_count(store, job_id, &count) == STORE_OK && count == want;
}

static int job_count_is(store_t *store, const char *owner, size_t want)
{
    size_t count = SIZE_MAX;
    return store_job_count(store, owner, &count) == STORE_OK && count == want;
}

/* want NULL: the property is not set. */
static int property_is(store_t *store, const store_guid_t *job_id, uint32_t index,
                       int32_t property, const char *want)
{
    char *value = NULL;
    store_status_t status = store_file_property_get(store, job_id, index, property, &value);
    int same = want ? status == STORE_OK && text_equal(value, want)
                    : status == STORE_NOT_FOUND && value == NULL;
    free(value);
    return same;
}

static int credential_count_is(store_t *store, const store_guid_t *job_id, size_t want)
{
    size_t count = SIZE_MAX;
    return store_credential_count(store, job_id, &count) == STORE_OK && count == want;
}

/* The first column of the first row of sql run on path through a separate connection. */
static int64_t raw_query(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t value = -1000;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
        && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

/* The same on the store's own connection. */
static int64_t raw_query_on(store_t *store, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t value = -1000;
    if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
        value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return value;
}

static unsigned char *read_bytes(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    unsigned char *bytes = NULL;
    *size = 0;
    if (file && fseek(file, 0, SEEK_END) == 0) {
        long length = ftell(file);
        bytes = malloc(length > 0 ? (size_t)length : 1);
        rewind(file);
        *size = fread(bytes, 1, (size_t)length, file);
    }
    if (file)
        fclose(file);
    return bytes;
}

static int write_bytes(const char *path, long offset, const void *bytes, size_t size)
{
    FILE *file = fopen(path, offset ? "r+b" : "wb");
    int ok = file && fseek(file, offset, SEEK_SET) == 0 && fwrite(bytes, 1, size, file) == size;
    if (file)
        ok = fclose(file) == 0 && ok;
    return ok;
}

static int file_has_bytes(const char *path, const unsigned char *want, size_t want_size)
{
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    int same = bytes && size == want_size && memcmp(bytes, want, size) == 0;
    free(bytes);
    return same;
}

/* ---- jobs ----------------------------------------------------------------------------------- */

static void test_new_database(store_t **out, const char *path)
{
    store_open_report_t report;
    CHECK(store_open(path, out, &report) == STORE_OK && *out, "open creates a new database");
    CHECK(report.created == 1 && report.migrated_from == 0
              && report.schema_version == SCHEMA_VERSION && report.integrity_ok == 1
              && !report.quarantined && report.salvaged_jobs == 0,
          "report of a new database: created, v0 -> v7, integrity ok, not quarantined");
    CHECK(store_schema_version(*out) == SCHEMA_VERSION
              && store_builtin_migrations.count == SCHEMA_VERSION,
          "schema version is 7");
    char detail[64] = "";
    CHECK(store_check_integrity(*out, detail, sizeof detail) == STORE_OK
              && strcmp(detail, "ok") == 0,
          "integrity check of a healthy database is ok");
}

static void test_job_rows(store_t *store)
{
    store_job_t job, got;
    make_job(&job, 1, ALICE);
    job.security_flags = 0x0000091Fu; /* v3 */
    job.kind = STORE_KIND_BITS;       /* v6 */
    job.http_method = dup_text("PUT");
    job.custom_headers_write_only = 1;
    job.helper_token_flags = 3;
    job.on_demand = 1;
    job.notification_interval_ms = 1500;
    job.certificate_callback = 1;
    job.cache_host = dup_text("cache.lan:8080"); /* v7 */
    job.cache_fallback = dup_text("cache host cache.lan:8080 answered HTTP 404");
    CHECK(store_job_insert(store, &job) == STORE_OK, "insert job");
    CHECK(stored_job_is(store, &job),
          "get returns every field as inserted (UTF-8, \"\" vs NULL, u32 > INT32_MAX)");
    CHECK(store_job_insert(store, &job) == STORE_EXISTS,
          "inserting an existing id gives STORE_EXISTS");
    CHECK(strstr(store_last_error(store), "UNIQUE") != NULL, "last error keeps SQLite's message");

    store_guid_t unknown = make_guid(999, 0x10);
    memset(&got, 0xff, sizeof got); /* garbage in: nothing may be freed or kept */
    CHECK(store_job_get(store, &unknown, &got) == STORE_NOT_FOUND,
          "get of an unknown id gives STORE_NOT_FOUND");

    free(job.display_name);
    free(job.description);
    job.display_name = dup_text("renamed");
    job.description = NULL;
    job.error_detail = dup_text("host not found");
    job.state = 4;
    job.transfer_completion_time = INT64_MAX;
    job.cost_flags = 0;
    job.security_flags = UINT32_MAX;
    CHECK(store_job_update(store, &job) == STORE_OK && stored_job_is(store, &job),
          "update rewrites every column");
    CHECK(raw_query_on(store, "SELECT security_flags FROM jobs") == UINT32_MAX,
          "security_flags is stored as its unsigned value (0xFFFFFFFF, not -1)");

    store_job_t ghost;
    make_job(&ghost, 999, ALICE);
    CHECK(store_job_update(store, &ghost) == STORE_NOT_FOUND,
          "update of an unknown job gives STORE_NOT_FOUND");
    store_job_clear(&ghost);

    store_job_t second;
    make_job(&second, 2, BOB);
    CHECK(store_job_insert(store, &second) == STORE_OK && job_count_is(store, NULL, 2),
          "second job counted");
    CHECK(store_job_delete(store, &second.id) == STORE_OK, "delete job");
    CHECK(store_job_get(store, &second.id, &got) == STORE_NOT_FOUND && job_count_is(store, NULL, 1),
          "a deleted job is gone");
    CHECK(store_job_delete(store, &second.id) == STORE_NOT_FOUND,
          "deleting it again gives STORE_NOT_FOUND");
    store_job_clear(&second);
    store_job_clear(&job);
}

/* Jobs listed oldest first; equal creation times in insertion order (not id order). */
static int ids_are(const store_guid_t *ids, size_t count, const uint32_t *want, size_t want_count)
{
    int same = count == want_count;
    for (size_t i = 0; same && i < count; i++)
        same = guid_seed(&ids[i]) == want[i];
    return same;
}

/* The scheduler's and the expiry's lists, over test_listing's six jobs (states set here). */
static void test_listing_for_scheduler(store_t *store)
{
    static const struct { uint32_t seed; int32_t state; } states[] = {
        { 10, 1 }, { 11, 0 }, { 12, 4 }, { 13, 3 }, { 14, 2 }, { 15, 0 },
    };
    for (size_t i = 0; i < 6; i++) {
        store_job_t job = { 0 };
        store_guid_t id = make_guid(states[i].seed, 0x10);
        if (store_job_get(store, &id, &job) == STORE_OK) {
            job.state = states[i].state;
            job.priority = (int32_t)states[i].seed % 4;
            job.modification_time = 1000 + states[i].seed;
            job.min_retry_delay = 60 + states[i].seed;
            store_job_update(store, &job);
        }
        store_job_clear(&job);
    }
    store_job_brief_t *briefs = NULL;
    size_t count = 0;
    const int32_t queued_transferring_retrying[] = { 0, 1, 4 };
    int ok = store_job_list_in_states(store, queued_transferring_retrying, 3, &briefs, &count)
             == STORE_OK && count == 4;
    static const uint32_t state_order[] = { 11, 12, 10, 15 }; /* created 100, 200, 300, 400 */
    for (size_t i = 0; ok && i < count; i++)
        ok = guid_seed(&briefs[i].id) == state_order[i] && briefs[i].priority == (int32_t)state_order[i] % 4
             && briefs[i].modification_time == 1000 + state_order[i]
             && briefs[i].min_retry_delay == 60 + state_order[i]
             && briefs[i].state == (state_order[i] == 10 ? 1 : state_order[i] == 12 ? 4 : 0);
    CHECK(ok, "list in states (queued, transferring, retrying): those jobs only, oldest first, "
              "with state, priority, modification time and retry delay");
    free(briefs);
    const int32_t transferring = 1;
    ok = store_job_list_in_states(store, &transferring, 1, &briefs, &count) == STORE_OK && count == 1
         && guid_seed(&briefs[0].id) == 10;
    free(briefs);
    const int32_t five[5] = { 0, 1, 2, 3, 4 };
    briefs = (store_job_brief_t *)&count;
    CHECK(ok && store_job_list_in_states(store, five, 5, &briefs, &count) == STORE_INVALID
              && store_job_list_in_states(store, five, 0, &briefs, &count) == STORE_INVALID
              && store_job_list_in_states(store, (const int32_t[]){ 6 }, 1, &briefs, &count) == STORE_OK
              && count == 0 && briefs == NULL,
          "list in one state; 0 or more than 4 states refused; no match lists nothing");

    store_guid_t *ids = NULL;
    static const uint32_t before_200[] = { 14, 11 }, before_all[] = { 14, 11, 13, 12, 10, 15 };
    store_job_query_t query = {-1, NULL, -1, STORE_MATCH_NONE, 0, NULL, 200, 0};
    ok = store_job_find(store, &query, &ids, &count) == STORE_OK && ids_are(ids, count, before_200, 2);
    free(ids);
    query.created_before = 401;
    ok = ok && store_job_find(store, &query, &ids, &count) == STORE_OK
         && ids_are(ids, count, before_all, 6);
    free(ids);
    query.created_before = 50;
    CHECK(ok && store_job_find(store, &query, &ids, &count) == STORE_OK && count == 0 && ids == NULL,
          "find jobs created before a time: strictly older jobs only, oldest first");
    query.created_before = 0;
    static const uint32_t changed_before_1012[] = { 11, 10 };
    query.changed_before = 1012; /* modified at 1000 + seed */
    ok = store_job_find(store, &query, &ids, &count) == STORE_OK
         && ids_are(ids, count, changed_before_1012, 2);
    free(ids);
    query.changed_before = 1;
    CHECK(ok && store_job_find(store, &query, &ids, &count) == STORE_OK && count == 0,
          "find jobs changed before a time: strictly older changes only, oldest first");
    CHECK(raw_query_on(store, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                              " AND name = 'jobs_by_state'") == 1,
          "the jobs_by_state index exists");
}

static void test_listing(const char *path)
{
    static const struct {
        uint32_t seed;
        const char *owner;
        int64_t created;
    } rows[] = {
        { 10, ALICE, 300 }, { 11, BOB, 100 }, { 13, ALICE, 200 },
        { 12, ALICE, 200 }, { 14, BOB, 50 },  { 15, NULL, 400 },
    };
    static const uint32_t all_order[] = { 14, 11, 13, 12, 10, 15 };
    static const uint32_t alice_order[] = { 13, 12, 10 };
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open listing database"))
        return;
    store_job_t jobs[6];
    for (int i = 0; i < 6; i++) {
        make_job(&jobs[i], rows[i].seed, rows[i].owner);
        jobs[i].creation_time = rows[i].created;
    }
    CHECK(store_job_insert_many(store, jobs, 6) == STORE_OK, "insert_many inserts six jobs");

    store_guid_t *ids = NULL;
    size_t count = 0;
    int in_order = store_job_list(store, NULL, &ids, &count) == STORE_OK && count == 6;
    for (size_t i = 0; in_order && i < count; i++)
        in_order = guid_seed(&ids[i]) == all_order[i];
    CHECK(in_order, "list of all jobs: oldest first, ties in insertion order");
    free(ids);

    in_order = store_job_list(store, ALICE, &ids, &count) == STORE_OK && count == 3;
    for (size_t i = 0; in_order && i < count; i++)
        in_order = guid_seed(&ids[i]) == alice_order[i];
    CHECK(in_order, "list by owner: only that owner's jobs, oldest first");
    free(ids);

    CHECK(job_count_is(store, NULL, 6) && job_count_is(store, ALICE, 3)
              && job_count_is(store, BOB, 2),
          "count all vs by owner");
    ids = (store_guid_t *)&count; /* must be replaced by NULL */
    CHECK(store_job_list(store, "S-1-5-21-9", &ids, &count) == STORE_OK && count == 0 && ids == NULL
              && job_count_is(store, "S-1-5-21-9", 0),
          "an owner without jobs lists nothing (NULL array)");

    test_listing_for_scheduler(store);

    store_job_t duplicate_batch[2];
    make_job(&duplicate_batch[0], 16, ALICE);
    make_job(&duplicate_batch[1], 10, ALICE); /* already stored */
    CHECK(store_job_insert_many(store, duplicate_batch, 2) == STORE_EXISTS
              && job_count_is(store, NULL, 6),
          "insert_many is all or nothing");
    for (int i = 0; i < 2; i++)
        store_job_clear(&duplicate_batch[i]);
    for (int i = 0; i < 6; i++)
        store_job_clear(&jobs[i]);
    store_close(store);
}

/* ---- files and ranges ----------------------------------------------------------------------- */

static int ranges_are(store_t *store, const store_guid_t *job_id, uint32_t index,
                      const store_range_t *want, size_t want_count)
{
    store_range_t *ranges = NULL;
    size_t count = SIZE_MAX;
    int same = store_file_ranges(store, job_id, index, &ranges, &count) == STORE_OK
               && count == want_count && (want_count ? ranges != NULL : ranges == NULL);
    for (size_t i = 0; same && i < count; i++)
        same = ranges[i].offset == want[i].offset && ranges[i].length == want[i].length;
    free(ranges);
    return same;
}

static void clear_files(store_file_t *files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        store_file_clear(&files[i]);
}

static void test_file_atomicity(store_t *store, const char *path, const store_guid_t *job_id)
{
    store_file_t batch[2];
    make_file(&batch[0], job_id, 3);
    make_file(&batch[1], job_id, 4);
    free(batch[1].remote_name);
    batch[1].remote_name = long_text(STORE_MAX_TEXT + 1);
    CHECK(store_files_insert(store, batch, 2, NULL, NULL) == STORE_INVALID
              && file_count_is(store, job_id, 3)
              && store_file_get(store, job_id, 3, &(store_file_t){ 0 }) == STORE_NOT_FOUND,
          "files_insert failing on the 2nd file's over-long text leaves nothing behind");

    static const store_range_t some[] = { { 1, 2 } };
    static const store_range_t repeated[] = { { 5, 1 }, { 5, 2 } };
    const store_range_t *ranges[] = { some, repeated };
    const size_t counts[] = { 1, 2 };
    CHECK(store_files_insert(store, batch, 1, ranges, counts) == STORE_OK,
          "files_insert of one file with one range");
    CHECK(store_files_insert(store, &batch[0], 1, NULL, NULL) == STORE_EXISTS,
          "files_insert of an existing index gives STORE_EXISTS");
    int64_t ranges_before = raw_query(path, "SELECT count(*) FROM ranges");

    store_file_clear(&batch[0]);
    store_file_clear(&batch[1]);
    make_file(&batch[0], job_id, 5);
    make_file(&batch[1], job_id, 6);
    CHECK(store_files_insert(store, batch, 2, ranges, counts) == STORE_EXISTS
              && file_count_is(store, job_id, 4)
              && raw_query(path, "SELECT count(*) FROM ranges") == ranges_before,
          "files_insert failing on a repeated range offset leaves no file and no range behind");
    batch[1].index = 3; /* collides with the file stored above */
    CHECK(store_files_insert(store, batch, 2, NULL, NULL) == STORE_EXISTS
              && file_count_is(store, job_id, 4)
              && store_file_get(store, job_id, 5, &(store_file_t){ 0 }) == STORE_NOT_FOUND,
          "files_insert failing on the 2nd file's key leaves the 1st out too");
    clear_files(batch, 2);
}

static void test_files(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open files database"))
        return;
    store_job_t job;
    make_job(&job, 20, ALICE);
    store_job_insert(store, &job);

    store_file_t files[3];
    for (uint32_t i = 0; i < 3; i++)
        make_file(&files[i], &job.id, i);
    files[0].bytes_total = 12345;
    files[2].validation_state = 1;
    static const store_range_t unordered[] = { { 500, 10 }, { 0, 100 }, { 100, 50 } };
    static const store_range_t to_eof[] = { { 7, UINT64_MAX } };
    const store_range_t *ranges[] = { unordered, NULL, to_eof };
    const size_t range_counts[] = { 3, 0, 1 };
    CHECK(store_files_insert(store, files, 3, ranges, range_counts) == STORE_OK,
          "files_insert of three files");
    CHECK(file_count_is(store, &job.id, 3), "file count is 3");
    CHECK(stored_file_is(store, &files[0]) && stored_file_is(store, &files[1])
              && stored_file_is(store, &files[2]),
          "file_get returns every field (NULL file_id, UINT64_MAX size, validation state)");
    CHECK(ranges_are(store, &job.id, 0, unordered, 3), "ranges come back in the order they were stored");
    CHECK(ranges_are(store, &job.id, 1, NULL, 0), "a file without ranges has none (NULL array)");
    CHECK(ranges_are(store, &job.id, 2, to_eof, 1),
          "a range to end of file keeps UINT64_MAX length");

    store_range_t *none = NULL;
    size_t none_count = 0;
    store_guid_t unknown = make_guid(999, 0x10);
    CHECK(store_file_ranges(store, &job.id, 9, &none, &none_count) == STORE_NOT_FOUND
              && none == NULL,
          "ranges of an unknown file give STORE_NOT_FOUND");
    CHECK(store_file_get(store, &job.id, 9, &(store_file_t){ 0 }) == STORE_NOT_FOUND,
          "get of an unknown file gives STORE_NOT_FOUND");
    uint32_t count = 0;
    CHECK(store_file_count(store, &unknown, &count) == STORE_NOT_FOUND,
          "file count of an unknown job gives STORE_NOT_FOUND");

    files[1].bytes_transferred = 4096;
    files[1].completed = 1;
    files[1].validator = dup_text("\"etag-1\"");
    files[1].response_headers = dup_text("HTTP/1.1 206\r\n");
    files[1].validation_state = 1;
    CHECK(store_file_update(store, &files[1]) == STORE_OK && stored_file_is(store, &files[1]),
          "file update (validation state included)");
    files[1].index = 9;
    CHECK(store_file_update(store, &files[1]) == STORE_NOT_FOUND,
          "update of an unknown file gives STORE_NOT_FOUND");
    files[1].index = 1;

    store_file_t orphan;
    make_file(&orphan, &unknown, 0);
    CHECK(store_files_insert(store, &orphan, 1, NULL, NULL) == STORE_NOT_FOUND,
          "files of an unknown job give STORE_NOT_FOUND");
    store_file_clear(&orphan);

    test_file_atomicity(store, path, &job.id);

    static const store_range_t too_far[] = { { (uint64_t)INT64_MAX + 1, 1 } };
    const store_range_t *too_far_ranges[] = { too_far };
    const size_t one = 1;
    store_file_t far_file;
    make_file(&far_file, &job.id, 7);
    CHECK(store_files_insert(store, &far_file, 1, too_far_ranges, &one) == STORE_INVALID
              && file_count_is(store, &job.id, 4),
          "a range offset above INT64_MAX gives STORE_INVALID");
    store_file_clear(&far_file);

    CHECK(store_file_property_set(store, &job.id, 0, 1, "value") == STORE_OK
              && store_credential_put(store, &job.id, 1, 1, "user", "secret", 6) == STORE_OK,
          "a file property and a credential for the job");
    CHECK(store_job_delete(store, &job.id) == STORE_OK
              && raw_query_on(store, "SELECT count(*) FROM files") == 0
              && raw_query_on(store, "SELECT count(*) FROM ranges") == 0
              && raw_query_on(store, "SELECT count(*) FROM file_properties") == 0
              && raw_query_on(store, "SELECT count(*) FROM credentials") == 0,
          "deleting a job deletes its files, ranges, file properties and credentials");
    clear_files(files, 3);
    store_job_clear(&job);
    store_close(store);
}

/* ---- file properties and credentials -------------------------------------------------------- */

static void test_file_properties(store_t *store, const store_guid_t *job_id)
{
    CHECK(store_file_property_set(store, job_id, 0, 7, "1") == STORE_OK
              && property_is(store, job_id, 0, 7, "1"),
          "set and get a file property");
    CHECK(store_file_property_set(store, job_id, 0, 7, "https://example.test/") == STORE_OK
              && property_is(store, job_id, 0, 7, "https://example.test/")
              && raw_query_on(store, "SELECT count(*) FROM file_properties") == 1,
          "setting it again replaces the value");
    CHECK(store_file_property_set(store, job_id, 1, 7, "other") == STORE_OK
              && store_file_property_set(store, job_id, 0, 8, "") == STORE_OK
              && property_is(store, job_id, 1, 7, "other") && property_is(store, job_id, 0, 8, "")
              && property_is(store, job_id, 0, 7, "https://example.test/"),
          "properties are per file and id; \"\" is a value");
    CHECK(store_file_property_set(store, job_id, 0, 7, NULL) == STORE_OK
              && property_is(store, job_id, 0, 7, NULL) && property_is(store, job_id, 0, 8, ""),
          "a NULL value deletes the property (only that one)");
    CHECK(store_file_property_set(store, job_id, 0, 7, NULL) == STORE_OK,
          "deleting an unset property of an existing file is STORE_OK");
    CHECK(store_file_property_set(store, job_id, 9, 7, "x") == STORE_NOT_FOUND
              && store_file_property_set(store, job_id, 9, 7, NULL) == STORE_NOT_FOUND
              && property_is(store, job_id, 9, 7, NULL),
          "properties of an unknown file: set and delete give STORE_NOT_FOUND, get finds none");
    char *too_long = long_text(STORE_MAX_TEXT + 1);
    CHECK(store_file_property_set(store, job_id, 1, 7, too_long) == STORE_INVALID
              && property_is(store, job_id, 1, 7, "other"),
          "a value over STORE_MAX_TEXT gives STORE_INVALID and changes nothing");
    free(too_long);
}

static void test_credentials(store_t *store, const store_guid_t *job_id,
                             const store_guid_t *other_job_id)
{
    static const unsigned char secret[] = { 0x00, 0xff, 0x7f, 0x00 };
    CHECK(store_credential_put(store, job_id, 1, 1, "alice", secret, sizeof secret) == STORE_OK
              && credential_count_is(store, job_id, 1)
              && raw_query_on(store, "SELECT count(*) FROM credentials"
                                 " WHERE user_name = 'alice' AND secret = x'00FF7F00'")
                     == 1,
          "put a credential: the secret is stored byte for byte");
    CHECK(store_credential_put(store, job_id, 1, 1, "bob", "\x01", 1) == STORE_OK
              && credential_count_is(store, job_id, 1)
              && raw_query_on(store, "SELECT count(*) FROM credentials"
                                 " WHERE user_name = 'bob' AND secret = x'01'")
                     == 1,
          "putting the same target and scheme again replaces it");
    CHECK(store_credential_put(store, job_id, 1, 2, NULL, NULL, 0) == STORE_OK
              && store_credential_put(store, job_id, 2, 1, "", secret, 0) == STORE_OK
              && credential_count_is(store, job_id, 3)
              && raw_query_on(store, "SELECT count(*) FROM credentials"
                                 " WHERE user_name IS NULL AND secret IS NULL")
                     == 1
              && raw_query_on(store, "SELECT count(*) FROM credentials"
                                 " WHERE typeof(secret) = 'blob' AND length(secret) = 0")
                     == 1,
          "NULL user name and secret are stored as NULL; an empty secret stays a blob");
    store_credential_t *list = NULL;
    size_t count = 0;
    CHECK(store_credentials_list(store, job_id, &list, &count) == STORE_OK && count == 3
              && list[0].target == 1 && list[0].scheme == 1 && text_equal(list[0].user_name, "bob")
              && list[0].secret_size == 1 && !memcmp(list[0].secret, "\x01", 1)
              && list[1].target == 1 && list[1].scheme == 2 && !list[1].user_name && !list[1].secret
              && list[2].target == 2 && text_equal(list[2].user_name, "") && list[2].secret_size == 0,
          "list a job's credentials: ordered by target and scheme, user names and secrets as stored");
    store_credentials_free(list, count);
    store_guid_t nobody = make_guid(998, 0x10);
    list = (store_credential_t *)&count;
    CHECK(store_credentials_list(store, &nobody, &list, &count) == STORE_OK && count == 0 && !list
              && store_credentials_list(NULL, job_id, &list, &count) == STORE_INVALID,
          "a job without credentials lists none; NULL store refused");
    CHECK(store_credential_put(store, job_id, 3, 1, "x", NULL, 3) == STORE_INVALID
              && store_credential_put(store, job_id, 3, 1, "x", secret, STORE_MAX_TEXT + 1)
                     == STORE_INVALID
              && credential_count_is(store, job_id, 3),
          "a NULL secret with a size, or one over STORE_MAX_TEXT, gives STORE_INVALID");
    store_guid_t unknown = make_guid(999, 0x10);
    CHECK(store_credential_put(store, &unknown, 1, 1, "x", NULL, 0) == STORE_NOT_FOUND
              && credential_count_is(store, &unknown, 0),
          "credentials of an unknown job: put gives STORE_NOT_FOUND, count is 0");
    CHECK(store_credential_delete(store, job_id, 1, 2) == STORE_OK
              && credential_count_is(store, job_id, 2)
              && store_credential_delete(store, job_id, 1, 2) == STORE_NOT_FOUND,
          "delete one credential; deleting it again gives STORE_NOT_FOUND");
    CHECK(store_credential_put(store, other_job_id, 1, 1, "carol", NULL, 0) == STORE_OK
              && store_credentials_clear(store, job_id) == STORE_OK
              && credential_count_is(store, job_id, 0)
              && credential_count_is(store, other_job_id, 1)
              && store_credentials_clear(store, job_id) == STORE_OK,
          "clear removes all of one job's credentials (again: STORE_OK)");
}

static void test_properties_and_credentials(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open properties database"))
        return;
    store_job_t jobs[2];
    store_file_t files[2];
    make_job(&jobs[0], 50, ALICE);
    make_job(&jobs[1], 51, BOB);
    make_file(&files[0], &jobs[0].id, 0);
    make_file(&files[1], &jobs[0].id, 1);
    CHECK(store_job_insert_many(store, jobs, 2) == STORE_OK
              && store_files_insert(store, files, 2, NULL, NULL) == STORE_OK,
          "two jobs, two files");
    test_file_properties(store, &jobs[0].id);
    test_credentials(store, &jobs[0].id, &jobs[1].id);
    clear_files(files, 2);
    store_job_clear(&jobs[0]);
    store_job_clear(&jobs[1]);
    store_close(store);
}

/* ---- explicit transactions ------------------------------------------------------------------ */

static store_t *reopen(store_t *store, const char *path)
{
    store_close(store);
    return store_open(path, &store, NULL) == STORE_OK ? store : NULL;
}

/* begin, several calls, rollback: nothing changed (not even for other connections meanwhile). */
static void test_rollback(store_t *store, const char *path, const store_job_t *job,
                          const store_job_t *changed, const store_file_t *files)
{
    CHECK(store_begin(store) == STORE_OK && store_begin(store) == STORE_INVALID,
          "begin opens a transaction; begin again gives STORE_INVALID");
    CHECK(store_job_update(store, changed) == STORE_OK
              && store_files_insert(store, files, 2, NULL, NULL) == STORE_OK
              && store_file_property_set(store, &job->id, 0, 1, "v") == STORE_OK
              && store_credential_put(store, &job->id, 1, 1, "u", NULL, 0) == STORE_OK
              && stored_job_is(store, changed) && file_count_is(store, &job->id, 2),
          "calls inside the transaction see their own changes");
    CHECK(raw_query(path, "SELECT count(*) FROM files") == -1000
              && raw_query(path, "SELECT state FROM jobs") == -1000,
          "no other connection can read the database while the store is open (locking_mode=EXCLUSIVE)");
    store_rollback(store);
    CHECK(stored_job_is(store, job) && file_count_is(store, &job->id, 0)
              && credential_count_is(store, &job->id, 0)
              && raw_query_on(store, "SELECT count(*) FROM file_properties") == 0,
          "rollback: the job row, files, property and credential are all as before");
}

/* begin, calls (one multi-row call failing), commit: the failed call left nothing, the others
 * are durable. */
static store_t *test_commit(store_t *store, const char *path, const store_job_t *changed,
                            const store_file_t *files)
{
    const store_file_t clash[] = { files[1], files[0] }; /* the 2nd is stored by then */
    CHECK(store_begin(store) == STORE_OK && store_job_update(store, changed) == STORE_OK
              && store_files_insert(store, files, 1, NULL, NULL) == STORE_OK
              && store_credential_put(store, &changed->id, 1, 1, "u", "s", 1) == STORE_OK,
          "begin, update the job, insert a file, put a credential");
    CHECK(store_files_insert(store, clash, 2, NULL, NULL) == STORE_EXISTS
              && file_count_is(store, &changed->id, 1) && stored_job_is(store, changed),
          "a multi-row call failing inside the transaction undoes only its own rows");
    CHECK(store_commit(store) == STORE_OK && store_commit(store) == STORE_INVALID,
          "commit ends the transaction; commit again gives STORE_INVALID");
    store = reopen(store, path);
    CHECK(store && stored_job_is(store, changed) && stored_file_is(store, &files[0])
              && file_count_is(store, &changed->id, 1)
              && credential_count_is(store, &changed->id, 1),
          "after commit, close and reopen: every change of the transaction is there");
    return store;
}

/* SQLite rolls a transaction back by itself after some errors (simulated here): every call fails
 * until the caller ends the transaction, instead of committing on its own. */
static void test_abandoned_transaction(store_t *store, const store_job_t *job,
                                       const store_job_t *changed, const store_file_t *files)
{
    size_t count;
    CHECK(store_begin(store) == STORE_OK && store_job_update(store, job) == STORE_OK
              && sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK,
          "a transaction SQLite abandons after an update");
    CHECK(store_job_update(store, changed) == STORE_IO
              && store_files_insert(store, &files[1], 1, NULL, NULL) == STORE_IO
              && store_credential_count(store, &job->id, &count) == STORE_IO
              && store_commit(store) == STORE_IO,
          "abandoned transaction: calls and the commit give STORE_IO");
    CHECK(stored_job_is(store, changed) && file_count_is(store, &job->id, 1)
              && store_begin(store) == STORE_OK,
          "abandoned transaction: nothing of it was kept, and the handle works again");
    store_rollback(store);
    store_rollback(store); /* no transaction: no-op */
}

static void test_transactions(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open transactions database"))
        return;
    store_job_t job, changed;
    store_file_t files[2];
    make_job(&job, 70, ALICE);
    make_job(&changed, 70, ALICE);
    changed.state = 6;
    changed.error_detail = dup_text("changed");
    make_file(&files[0], &job.id, 0);
    make_file(&files[1], &job.id, 1);
    CHECK(store_job_insert(store, &job) == STORE_OK && store_commit(store) == STORE_INVALID,
          "commit without a transaction gives STORE_INVALID");
    test_rollback(store, path, &job, &changed, files);
    store = test_commit(store, path, &changed, files);
    if (store)
        test_abandoned_transaction(store, &job, &changed, files);
    if (store && store_begin(store) == STORE_OK)
        store_job_delete(store, &job.id);
    store = reopen(store, path);
    CHECK(store && stored_job_is(store, &changed),
          "closing with a transaction open rolls it back");
    clear_files(files, 2);
    store_job_clear(&job);
    store_job_clear(&changed);
    store_close(store);
}

/* ---- the access copies (store_job_access) ----------------------------------------------------- */

static int access_is(store_t *store, const store_guid_t *id, int32_t state, int32_t kind,
                     const char *owner)
{
    store_job_access_t got;
    return store_job_access(store, id, &got) == STORE_OK && got.state == state && got.kind == kind
           && strcmp(got.owner_sid, owner) == 0;
}

/* The copies never answer with what a rollback undid or a later write replaced. */
static void test_access_copy_writes(store_t *store)
{
    store_job_t job;
    make_job(&job, 80, ALICE);
    job.state = 1;
    job.kind = STORE_KIND_BITS;
    CHECK(store_job_insert(store, &job) == STORE_OK && access_is(store, &job.id, 1, STORE_KIND_BITS, ALICE)
              && access_is(store, &job.id, 1, STORE_KIND_BITS, ALICE),
          "access: state, kind and owner as inserted, read twice (the second from the copy)");
    job.state = 4;
    CHECK(store_job_update(store, &job) == STORE_OK && access_is(store, &job.id, 4, STORE_KIND_BITS, ALICE),
          "access: an update is seen at once (the copy was dropped)");
    job.state = 6;
    CHECK(store_begin(store) == STORE_OK && store_job_update(store, &job) == STORE_OK
              && access_is(store, &job.id, 6, STORE_KIND_BITS, ALICE),
          "access: inside a transaction, its own update is seen");
    store_rollback(store);
    CHECK(access_is(store, &job.id, 4, STORE_KIND_BITS, ALICE),
          "access: after the rollback, the committed state again (no copy of uncommitted rows)");
    free(job.owner_sid);
    job.owner_sid = dup_text(BOB);
    job.state = 7;
    CHECK(store_begin(store) == STORE_OK && store_job_update(store, &job) == STORE_OK
              && store_commit(store) == STORE_OK && access_is(store, &job.id, 7, STORE_KIND_BITS, BOB),
          "access: a committed change of owner and state is seen");
    CHECK(store_job_delete(store, &job.id) == STORE_OK
              && store_job_access(store, &job.id, &(store_job_access_t){0}) == STORE_NOT_FOUND,
          "access: a deleted job is not found");
    CHECK(store_job_insert(store, &job) == STORE_OK && access_is(store, &job.id, 7, STORE_KIND_BITS, BOB),
          "access: the same id inserted again is read afresh");
    store_job_clear(&job);
}

/* More jobs than copies: jobs sharing a slot push each other out, never answer for each other. */
static void test_access_copy_slots(store_t *store)
{
    enum { JOBS = STORE_ACCESS_SLOTS * 3 };
    int right = 1;
    for (int pass = 0; pass < 3 && right; pass++)
        for (uint32_t i = 0; i < JOBS && right; i++) {
            store_job_t job;
            make_job(&job, 1000 + i, i % 2 ? ALICE : BOB);
            job.state = (int32_t)(i % 7);
            job.kind = (int32_t)(i % 3);
            if (pass == 0)
                right = store_job_insert(store, &job) == STORE_OK;
            if (pass == 1) { /* every other job changes: its copy must go */
                job.state = i % 2 ? 5 : job.state;
                right = i % 2 == 0 || store_job_update(store, &job) == STORE_OK;
            }
            if (pass == 2)
                job.state = i % 2 ? 5 : job.state;
            right = right && access_is(store, &job.id, job.state, job.kind, job.owner_sid);
            store_job_clear(&job);
        }
    CHECK(right, "access: three times as many jobs as copies, read, changed and read again: "
                 "every answer is the job's own");
}

/* The display name in the copy: as written, changed at once, and left out (never cut) when it
 * is longer than the copy holds. */
static void test_access_display_names(store_t *store)
{
    store_job_t job;
    store_job_access_t got;
    make_job(&job, 95, ALICE);
    CHECK(store_job_insert(store, &job) == STORE_OK && store_job_access(store, &job.id, &got) == STORE_OK
              && store_job_access(store, &job.id, &got) == STORE_OK && got.display_name_copied
              && strcmp(got.display_name, job.display_name) == 0,
          "access: the display name as inserted (UTF-8), read twice (the second from the copy)");
    free(job.display_name);
    job.display_name = dup_text("%0*d", STORE_ACCESS_NAME_MAX - 1, 5); /* the longest that fits */
    CHECK(store_job_update(store, &job) == STORE_OK && store_job_access(store, &job.id, &got) == STORE_OK
              && got.display_name_copied && strcmp(got.display_name, job.display_name) == 0,
          "access: a renamed job's new display name at once; the longest that fits is whole");
    free(job.display_name);
    job.display_name = dup_text("%0*d", STORE_ACCESS_NAME_MAX, 5);
    CHECK(store_job_update(store, &job) == STORE_OK && store_job_access(store, &job.id, &got) == STORE_OK
              && !got.display_name_copied && got.display_name[0] == '\0' && got.state == job.state
              && strcmp(got.owner_sid, ALICE) == 0,
          "access: a display name longer than the copy is left out, not cut; state and owner still answer");
    free(job.display_name);
    job.display_name = NULL;
    CHECK(store_job_update(store, &job) == STORE_OK && store_job_access(store, &job.id, &got) == STORE_OK
              && got.display_name_copied && got.display_name[0] == '\0',
          "access: no display name reads as an empty one");
    store_job_clear(&job);
}

static void test_access_copies(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open access database"))
        return;
    test_access_copy_writes(store);
    test_access_copy_slots(store);
    store_job_t job;
    make_job(&job, 90, NULL);
    job.owner_sid = dup_text("S-1-%0*d", STORE_SID_MAX - 5, 7); /* STORE_SID_MAX - 1 characters */
    CHECK(store_job_insert(store, &job) == STORE_OK && access_is(store, &job.id, job.state, job.kind, job.owner_sid),
          "access: the longest owner that fits");
    free(job.owner_sid);
    job.owner_sid = dup_text("S-1-%0*d", STORE_SID_MAX - 4, 7);
    store_job_access_t got;
    CHECK(store_job_update(store, &job) == STORE_OK && store_job_access(store, &job.id, &got) == STORE_CORRUPT,
          "access: an owner longer than any SID is a damaged row (STORE_CORRUPT), not cut");
    test_access_display_names(store);
    CHECK(store_job_access(NULL, &job.id, &got) == STORE_INVALID && store_job_access(store, NULL, &got) == STORE_INVALID
              && store_job_access(store, &job.id, NULL) == STORE_INVALID,
          "access: NULL store, id or out gives STORE_INVALID");
    store_job_clear(&job);
    store_close(store);
}

/* ---- validation ----------------------------------------------------------------------------- */

static void test_null_arguments(store_t *store)
{
    store_job_t job = { 0 };
    store_file_t file = { 0 };
    store_guid_t id = { { 0 } }, *ids = NULL;
    store_range_t *ranges = NULL;
    size_t count = 0;
    uint32_t file_count = 0;
    char *text = NULL;
    int invalid =
        store_job_insert(NULL, &job) == STORE_INVALID
        && store_job_insert(store, NULL) == STORE_INVALID
        && store_job_insert_many(store, NULL, 2) == STORE_INVALID
        && store_job_get(NULL, &id, &job) == STORE_INVALID
        && store_job_get(store, NULL, &job) == STORE_INVALID
        && store_job_get(store, &id, NULL) == STORE_INVALID
        && store_job_update(store, NULL) == STORE_INVALID
        && store_job_delete(store, NULL) == STORE_INVALID
        && store_job_list(store, NULL, NULL, &count) == STORE_INVALID
        && store_job_list(store, NULL, &ids, NULL) == STORE_INVALID
        && store_job_count(store, NULL, NULL) == STORE_INVALID
        && store_files_insert(NULL, &file, 1, NULL, NULL) == STORE_INVALID
        && store_files_insert(store, NULL, 1, NULL, NULL) == STORE_INVALID
        && store_files_insert(store, &file, 1, (const store_range_t *const[]){ NULL }, NULL)
               == STORE_INVALID
        && store_file_get(store, NULL, 0, &file) == STORE_INVALID
        && store_file_get(store, &id, 0, NULL) == STORE_INVALID
        && store_file_update(store, NULL) == STORE_INVALID
        && store_file_count(store, &id, NULL) == STORE_INVALID
        && store_file_ranges(store, &id, 0, NULL, &count) == STORE_INVALID
        && store_file_ranges(store, NULL, 0, &ranges, &count) == STORE_INVALID
        && store_check_integrity(NULL, NULL, 0) == STORE_INVALID && store_schema_version(NULL) == -1
        && store_file_count(NULL, &id, &file_count) == STORE_INVALID
        && store_begin(NULL) == STORE_INVALID && store_commit(NULL) == STORE_INVALID
        && store_file_property_set(NULL, &id, 0, 1, "x") == STORE_INVALID
        && store_file_property_set(store, NULL, 0, 1, "x") == STORE_INVALID
        && store_file_property_get(store, NULL, 0, 1, &text) == STORE_INVALID
        && store_file_property_get(store, &id, 0, 1, NULL) == STORE_INVALID
        && store_credential_put(NULL, &id, 1, 1, NULL, NULL, 0) == STORE_INVALID
        && store_credential_put(store, NULL, 1, 1, NULL, NULL, 0) == STORE_INVALID
        && store_credential_delete(store, NULL, 1, 1) == STORE_INVALID
        && store_credentials_clear(store, NULL) == STORE_INVALID
        && store_credential_count(store, NULL, &count) == STORE_INVALID
        && store_credential_count(store, &id, NULL) == STORE_INVALID;
    CHECK(invalid, "NULL store or arguments give STORE_INVALID");
    store_job_clear(NULL);
    store_file_clear(NULL);
    store_rollback(NULL);
    store_close(NULL);
    CHECK(strlen(store_last_error(NULL)) > 0,
          "NULL handles are tolerated by clear/rollback/close/last_error");
}

static void test_validation(const char *path)
{
    store_t *store = (store_t *)1;
    char long_path[1100];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    CHECK(store_open(NULL, &store, NULL) == STORE_INVALID && store == NULL,
          "open without a path gives STORE_INVALID");
    CHECK(store_open(path, NULL, NULL) == STORE_INVALID,
          "open without an out pointer gives STORE_INVALID");
    CHECK(store_open(long_path, &store, NULL) == STORE_INVALID,
          "open of an over-long path gives STORE_INVALID");
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open validation database"))
        return;
    test_null_arguments(store);

    store_job_t job;
    make_job(&job, 30, ALICE);
    free(job.custom_headers);
    job.custom_headers = long_text(STORE_MAX_TEXT);
    CHECK(store_job_insert(store, &job) == STORE_OK && stored_job_is(store, &job),
          "text of exactly STORE_MAX_TEXT bytes is stored");
    store_job_t too_long;
    make_job(&too_long, 31, ALICE);
    free(too_long.description);
    too_long.description = long_text(STORE_MAX_TEXT + 1);
    CHECK(store_job_insert(store, &too_long) == STORE_INVALID && job_count_is(store, NULL, 1),
          "insert with text over STORE_MAX_TEXT gives STORE_INVALID and stores nothing");
    too_long.id = job.id;
    CHECK(store_job_update(store, &too_long) == STORE_INVALID && stored_job_is(store, &job),
          "update with text over STORE_MAX_TEXT gives STORE_INVALID and changes nothing");
    char *long_owner = long_text(STORE_MAX_TEXT + 1);
    store_guid_t *ids = NULL;
    size_t count = 0;
    CHECK(store_job_list(store, long_owner, &ids, &count) == STORE_INVALID
              && store_job_count(store, long_owner, &count) == STORE_INVALID,
          "list/count with an over-long owner give STORE_INVALID");
    free(long_owner);
    store_job_clear(&too_long);
    store_job_clear(&job);
    store_close(store);
}

static void test_status_text_and_time(void)
{
    int distinct = 1;
    for (int a = STORE_OK; a <= STORE_NEWER_SCHEMA; a++)
        for (int b = a + 1; b <= STORE_NEWER_SCHEMA; b++)
            distinct = distinct && strcmp(store_status_text(a), store_status_text(b)) != 0;
    CHECK(distinct && strcmp(store_status_text((store_status_t)99), "unknown status") == 0,
          "every status has its own text");

    int64_t expected = INT64_C(116444736000000000) + (int64_t)time(NULL) * 10000000;
    int64_t now = store_now_filetime();
    CHECK(now >= expected - 20000000 && now <= expected + 20000000,
          "store_now_filetime is now in FILETIME units");
}

/* ---- reopening and migrations --------------------------------------------------------------- */

static void test_reopen(const char *path)
{
    store_t *store;
    store_open_report_t report;
    CHECK(store_open(path, &store, &report) == STORE_OK && report.created == 0
              && report.migrated_from == SCHEMA_VERSION && report.schema_version == SCHEMA_VERSION
              && report.integrity_ok && !report.quarantined,
          "reopen: existing v7 database, nothing to migrate");
    if (!store)
        return;
    store_job_t job;
    make_job(&job, 1, ALICE);
    store_job_t got = { 0 };
    CHECK(store_job_get(store, &job.id, &got) == STORE_OK && text_equal(got.display_name, "renamed")
              && got.state == 4 && job_count_is(store, NULL, 1),
          "data survives close and reopen");
    store_job_clear(&got);
    store_job_clear(&job);
    store_close(store);
}

/* Simulates newer code (every built-in step, then one more) and a failing step. */
static void test_migrations(const char *path, const char *failing_path)
{
    const char *newer_steps[SCHEMA_VERSION + 1], *broken_steps[SCHEMA_VERSION + 1];
    for (int i = 0; i < SCHEMA_VERSION; i++)
        newer_steps[i] = broken_steps[i] = store_builtin_migrations.steps[i];
    newer_steps[SCHEMA_VERSION] = "ALTER TABLE jobs ADD COLUMN extra TEXT DEFAULT 'x'";
    broken_steps[SCHEMA_VERSION] = "CREATE TABLE half_done (x); THIS IS NOT SQL";
    const store_migrations_t newer = { newer_steps, SCHEMA_VERSION + 1 };
    const store_migrations_t broken = { broken_steps, SCHEMA_VERSION + 1 };
    store_t *store;
    store_open_report_t report;
    store_job_t job;
    make_job(&job, 40, BOB);

    if (CHECK(store_open(path, &store, NULL) == STORE_OK, "open a current (v7) database")) {
        store_job_insert(store, &job);
        store_close(store);
    }
    CHECK(store_open_with_migrations(path, &newer, &store, &report) == STORE_OK
              && report.migrated_from == SCHEMA_VERSION && report.schema_version == SCHEMA_VERSION + 1
              && !report.created && store_schema_version(store) == SCHEMA_VERSION + 1,
          "newer code migrates v7 -> v8 and reports migrated_from 7");
    CHECK(stored_job_is(store, &job)
              && store_job_insert(store, &(store_job_t){ .id = make_guid(41, 0x10) }) == STORE_OK
              && raw_query_on(store, "SELECT count(*) FROM jobs WHERE extra = 'x'") == 2,
          "rows survive the migration and the new column exists");
    store_close(store);

    size_t size_before;
    unsigned char *before = read_bytes(path, &size_before);
    store = (store_t *)1;
    CHECK(store_open(path, &store, &report) == STORE_NEWER_SCHEMA && store == NULL
              && report.migrated_from == SCHEMA_VERSION + 1,
          "a database newer than the code gives STORE_NEWER_SCHEMA");
    CHECK(file_has_bytes(path, before, size_before),
          "the newer database is left byte for byte untouched");
    free(before);

    if (CHECK(store_open(failing_path, &store, NULL) == STORE_OK, "open a second current (v7) database")) {
        store_job_insert(store, &job);
        store_close(store);
    }
    CHECK(store_open_with_migrations(failing_path, &broken, &store, &report) == STORE_IO
              && store == NULL && raw_query(failing_path, "PRAGMA user_version") == SCHEMA_VERSION
              && raw_query(failing_path,
                           "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'")
                     == 0,
          "a failing step is rolled back as a whole and the version stays 3");
    CHECK(store_open(failing_path, &store, NULL) == STORE_OK && stored_job_is(store, &job),
          "the database still opens with its rows after a failed migration");
    store_close(store);

    char fresh[PATH_SIZE];
    db_path(fresh, "fresh-v4.db");
    CHECK(store_open_with_migrations(fresh, &newer, &store, &report) == STORE_OK && report.created
              && report.migrated_from == 0 && report.schema_version == SCHEMA_VERSION + 1,
          "a new database gets every step in order (v0 -> v7)");
    store_close(store);
    store_job_clear(&job);
}

/* Writes a v1 database with v1 code (the built-in migrations cut after v1, which also limits the
 * handle to v1's columns and tables): a job and a file. */
static void write_v1_database(const char *path, const store_job_t *job, const store_file_t *file)
{
    store_migrations_t v1 = v1_migrations();
    store_open_report_t report;
    store_t *store;
    size_t count;
    if (!CHECK(store_open_with_migrations(path, &v1, &store, &report) == STORE_OK
                   && report.created && report.schema_version == 1
                   && store_schema_version(store) == 1,
               "v1 code creates a v1 database"))
        return;
    CHECK(store_job_insert(store, job) == STORE_OK
              && store_files_insert(store, file, 1, NULL, NULL) == STORE_OK,
          "v1 code stores a job and a file");
    CHECK(store_file_property_set(store, &job->id, 0, 1, "x") == STORE_INVALID
              && store_credential_put(store, &job->id, 1, 1, NULL, NULL, 0) == STORE_INVALID
              && store_credential_count(store, &job->id, &count) == STORE_INVALID,
          "a v1 handle refuses the calls on v2 tables with STORE_INVALID");
    store_close(store);
    CHECK(raw_query(path, "SELECT count(*) FROM pragma_table_info('files')"
                          " WHERE name = 'validation_state'")
                  == 0
              && raw_query(path, "SELECT count(*) FROM sqlite_schema"
                                 " WHERE name IN ('file_properties', 'credentials')")
                     == 0,
          "the v1 database has none of v2's columns and tables");
}

/* A real v1 database migrates to v7: its rows survive, the new columns and tables have their
 * defaults, and the migrated rows take v2 values. */
static void test_migration_from_v1(const char *path)
{
    store_job_t job;
    store_file_t file;
    make_job(&job, 60, ALICE);
    make_file(&file, &job.id, 0);
    write_v1_database(path, &job, &file);
    drop_v4_statistics(&file);

    store_t *store;
    store_open_report_t report;
    if (!CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == 1
                   && report.schema_version == SCHEMA_VERSION && !report.created
                   && !report.quarantined && store_schema_version(store) == SCHEMA_VERSION,
               "the v1 database migrates to v7 (migrated_from 1)"))
        return;
    CHECK(stored_job_is(store, &job) && stored_file_is(store, &file)
              && file_count_is(store, &job.id, 1)
              && raw_query_on(store, "SELECT count(*) FROM files WHERE validation_state = 0") == 1
              && raw_query_on(store, "SELECT count(*) FROM jobs WHERE security_flags = 0") == 1,
          "the v1 job and file survive; validation_state and security_flags default to 0");
    CHECK(property_is(store, &job.id, 0, 1, NULL) && credential_count_is(store, &job.id, 0)
              && raw_query_on(store, "SELECT count(*) FROM file_properties") == 0
              && raw_query_on(store, "SELECT count(*) FROM credentials") == 0,
          "the new tables exist, empty");
    file.validation_state = 1;
    CHECK(store_file_update(store, &file) == STORE_OK && stored_file_is(store, &file)
              && store_file_property_set(store, &job.id, 0, 1, "x") == STORE_OK
              && store_credential_put(store, &job.id, 1, 1, NULL, NULL, 0) == STORE_OK,
          "the migrated rows take a validation state, a property and a credential");
    store_close(store);
    store_file_clear(&file);
    store_job_clear(&job);
}

/* Writes a v2 database with v2 code (the built-in migrations cut after v2): a job, a file, a
 * file property and a credential. The job's security_flags is set in the struct but a v2 handle
 * neither writes it nor reads it back. */
static void write_v2_database(const char *path, store_job_t *job, const store_file_t *file)
{
    store_migrations_t v2 = v2_migrations();
    store_open_report_t report;
    store_t *store;
    if (!CHECK(store_open_with_migrations(path, &v2, &store, &report) == STORE_OK
                   && report.created && report.schema_version == 2
                   && store_schema_version(store) == 2,
               "v2 code creates a v2 database"))
        return;
    job->security_flags = 0x209;
    CHECK(store_job_insert(store, job) == STORE_OK
              && store_files_insert(store, file, 1, NULL, NULL) == STORE_OK
              && store_file_property_set(store, &job->id, 0, 4, "C:\\sink.bin") == STORE_OK
              && store_credential_put(store, &job->id, 1, 1, "user", "secret", 6) == STORE_OK,
          "v2 code stores a job, a file, a file property and a credential");
    store_job_t got = { 0 };
    CHECK(store_job_get(store, &job->id, &got) == STORE_OK && got.security_flags == 0
              && text_equal(got.display_name, job->display_name),
          "a v2 handle neither writes nor reads security_flags (it reads as 0)");
    store_job_clear(&got);
    job->security_flags = 0; /* what the database holds */
    store_close(store);
    CHECK(raw_query(path, "SELECT count(*) FROM pragma_table_info('jobs')"
                          " WHERE name = 'security_flags'")
              == 0,
          "the v2 database has no security_flags column");
}

/* A real v2 database migrates to v7: every row survives, security_flags defaults to 0, and the
 * migrated job takes a value. */
static void test_migration_from_v2(const char *path)
{
    store_job_t job;
    store_file_t file;
    make_job(&job, 70, BOB);
    make_file(&file, &job.id, 0);
    file.validation_state = 1;
    write_v2_database(path, &job, &file);
    drop_v4_statistics(&file);

    store_t *store;
    store_open_report_t report;
    if (!CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == 2
                   && report.schema_version == SCHEMA_VERSION && !report.created
                   && !report.quarantined && report.integrity_ok
                   && store_schema_version(store) == SCHEMA_VERSION,
               "the v2 database migrates to v7 (migrated_from 2)"))
        return;
    CHECK(stored_job_is(store, &job) && job_count_is(store, NULL, 1)
              && raw_query_on(store, "SELECT count(*) FROM jobs WHERE security_flags = 0") == 1,
          "the v2 job survives with every value; security_flags defaults to 0");
    CHECK(stored_file_is(store, &file) && file_count_is(store, &job.id, 1)
              && property_is(store, &job.id, 0, 4, "C:\\sink.bin")
              && credential_count_is(store, &job.id, 1),
          "its file (validation state 1), file property and credential survive");
    job.security_flags = 0x0A1F;
    CHECK(store_job_update(store, &job) == STORE_OK && stored_job_is(store, &job),
          "the migrated job takes security flags");
    store_close(store);
    CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == SCHEMA_VERSION
              && stored_job_is(store, &job),
          "the security flags survive a reopen");
    store_close(store);
    store_file_clear(&file);
    store_job_clear(&job);
}

/* ---- damage --------------------------------------------------------------------------------- */

/* The quarantine name is <path>.corrupt-<UTC stamp>[-N] with the stamp taken during the open. */
static int quarantine_name_ok(const char *path, const char *quarantine, time_t before, time_t after)
{
    char prefix[PATH_SIZE], stamp[32];
    snprintf(prefix, sizeof prefix, "%s.corrupt-", path);
    if (strncmp(quarantine, prefix, strlen(prefix)) != 0)
        return 0;
    for (time_t t = before; t <= after; t++) {
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&t));
        if (strncmp(quarantine + strlen(prefix), stamp, strlen(stamp)) == 0)
            return 1;
    }
    return 0;
}

/* Opens the damaged database at path; checks it was set aside, intact, and replaced. */
static store_t *open_damaged(const char *path, const char *what, store_open_report_t *report)
{
    char name[128];
    size_t size;
    unsigned char *damaged = read_bytes(path, &size);
    store_t *store = NULL;
    time_t before = time(NULL);
    store_status_t status = store_open(path, &store, report);
    time_t after = time(NULL);
    snprintf(name, sizeof name, "%s: open succeeds and reports the quarantine", what);
    CHECK(status == STORE_OK && store && report->quarantined && report->detail[0]
              && report->integrity_ok && report->created
              && report->schema_version == SCHEMA_VERSION,
          name);
    snprintf(name, sizeof name, "%s: set aside as <path>.corrupt-<UTC time>", what);
    CHECK(quarantine_name_ok(path, report->quarantine_path, before, after), name);
    snprintf(name, sizeof name, "%s: the quarantined file is byte-identical to the damaged one",
             what);
    CHECK(file_has_bytes(report->quarantine_path, damaged, size), name);
    free(damaged);
    return store;
}

/* What fill_damaged_database gives the job of seed on v2: its file's property 1, a credential. */
static char *seed_property(uint32_t seed)
{
    return dup_text("property of %u", seed);
}

static int has_seed_extras(store_t *store, const store_guid_t *id)
{
    char *want = seed_property(guid_seed(id));
    int same = property_is(store, id, 0, 1, want) && credential_count_is(store, id, 1);
    free(want);
    return same;
}

static store_status_t add_seed_extras(store_t *store, const store_guid_t *id)
{
    char *value = seed_property(guid_seed(id));
    store_status_t status = store_file_property_set(store, id, 0, 1, value);
    free(value);
    return status == STORE_OK ? store_credential_put(store, id, 1, 1, "user", id->bytes, 16)
                              : status;
}

/* jobs jobs of seeds 1000.. with one file each, written with the given migrations; from v2 on
 * each also gets the extras above. One transaction in all. */
static void fill_damaged_database(const char *path, const store_migrations_t *migrations, int jobs)
{
    store_t *store;
    if (store_open_with_migrations(path, migrations, &store, NULL) != STORE_OK)
        return;
    store_job_t *rows = calloc((size_t)jobs, sizeof *rows);
    store_file_t *files = calloc((size_t)jobs, sizeof *files);
    for (int i = 0; i < jobs; i++) {
        make_job(&rows[i], 1000 + (uint32_t)i, ALICE);
        make_file(&files[i], &rows[i].id, 0);
    }
    store_status_t status = store_begin(store);
    if (status == STORE_OK)
        status = store_job_insert_many(store, rows, (size_t)jobs);
    if (status == STORE_OK)
        status = store_files_insert(store, files, (size_t)jobs, NULL, NULL);
    for (int i = 0; i < jobs && status == STORE_OK && migrations->count >= 2; i++)
        status = add_seed_extras(store, &rows[i].id);
    CHECK(status == STORE_OK && store_commit(store) == STORE_OK, "fill a database to damage");
    for (int i = 0; i < jobs; i++) {
        store_job_clear(&rows[i]);
        store_file_clear(&files[i]);
    }
    free(rows);
    free(files);
    store_close(store);
}

/* The number (from 1) of the page whose bytes contain needle, or 0. */
static long page_holding(const char *path, const char *needle)
{
    size_t size, length = strlen(needle);
    unsigned char *bytes = read_bytes(path, &size);
    long page = 0;
    for (size_t at = 0; bytes && !page && at + length <= size; at++)
        if (memcmp(bytes + at, needle, length) == 0)
            page = (long)(at / PAGE_SIZE) + 1;
    free(bytes);
    return page;
}

/* Overwrites the jobs-table leaf holding a job from the middle (its display name is stored in
 * the table only), so rows on both sides of the damage remain. */
static int damage_page_of_job(const char *path, uint32_t seed)
{
    char needle[32];
    snprintf(needle, sizeof needle, "job %u ", seed);
    long page = page_holding(path, needle);
    unsigned char garbage[PAGE_SIZE];
    memset(garbage, 0x5a, sizeof garbage);
    return page > 1 && write_bytes(path, (page - 1) * PAGE_SIZE, garbage, sizeof garbage);
}

static void test_damaged_page(const char *path)
{
    enum { JOBS = 300 };
    fill_damaged_database(path, &store_builtin_migrations, JOBS);
    CHECK(damage_page_of_job(path, 1150), "damage the page holding a job from the middle");
    store_guid_t lost = make_guid(1150, 0x10);

    store_open_report_t report;
    store_t *store = open_damaged(path, "damaged page", &report);
    if (!store)
        return;
    store_guid_t *ids = NULL;
    size_t count = 0;
    int all_intact = store_job_list(store, NULL, &ids, &count) == STORE_OK;
    for (size_t i = 0; all_intact && i < count; i++)
        all_intact = stored_job_matches_seed(store, &ids[i], ALICE);
    int all_extras = count > 0;
    for (size_t i = 0; all_extras && i < count; i++)
        all_extras = has_seed_extras(store, &ids[i]);
    free(ids);
    printf("# salvaged %ld jobs and %ld files of %d; detail: %s\n", report.salvaged_jobs,
           report.salvaged_files, JOBS, report.detail);
    CHECK(report.salvaged_jobs > JOBS / 2 && report.salvaged_jobs < JOBS
              && (long)count == report.salvaged_jobs,
          "damaged page: the readable jobs (on both sides of the damage) are salvaged");
    CHECK(all_intact && count > 0
              && store_job_get(store, &lost, &(store_job_t){ 0 }) == STORE_NOT_FOUND,
          "damaged page: every salvaged job is intact; the jobs on the damaged page are not");
    CHECK(report.salvaged_files > 0 && report.salvaged_files <= report.salvaged_jobs
              && raw_query_on(store, "SELECT count(*) FROM files") == report.salvaged_files,
          "damaged page: files of salvaged jobs are salvaged");
    CHECK(all_extras
              && raw_query_on(store, "SELECT count(*) FROM file_properties") == report.salvaged_files
              && raw_query_on(store, "SELECT count(*) FROM credentials") == report.salvaged_jobs,
          "damaged page: every salvaged job keeps its file property and credential");
    char detail[256];
    CHECK(store_check_integrity(store, detail, sizeof detail) == STORE_OK,
          "damaged page: the new database is healthy");
    store_close(store);
}

/* A damaged database whose last transaction is still only in its -wal (as after a crash): the
 * -wal moves with it unchanged, nothing is checkpointed into the damaged file, and the row that
 * lived only in the -wal is salvaged. */
static void test_damaged_with_wal(const char *path)
{
    char wal[PATH_SIZE + 8], quarantined_wal[PATH_SIZE * 3];
    fill_damaged_database(path, &store_builtin_migrations, 300);
    store_t *store;
    store_job_t late;
    make_job(&late, 5000, ALICE);
    if (store_open(path, &store, NULL) == STORE_OK) {
        sqlite3_db_config(store->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
        CHECK(store_job_insert(store, &late) == STORE_OK, "commit a job that stays in the -wal");
        store_close(store);
    }
    snprintf(wal, sizeof wal, "%s-wal", path);
    size_t wal_size;
    unsigned char *wal_bytes = read_bytes(wal, &wal_size);
    CHECK(wal_size > 0 && damage_page_of_job(path, 1150),
          "damage the database, -wal holding a commit");

    store_open_report_t report;
    store = open_damaged(path, "damaged with -wal", &report);
    snprintf(quarantined_wal, sizeof quarantined_wal, "%s-wal", report.quarantine_path);
    CHECK(wal_bytes && file_has_bytes(quarantined_wal, wal_bytes, wal_size),
          "damaged with -wal: the -wal moved aside with it, unchanged");
    CHECK(store && stored_job_is(store, &late),
          "damaged with -wal: the job only in the -wal is salvaged");
    free(wal_bytes);
    store_job_clear(&late);
    store_close(store);
}

/* A damaged database written by v1 code is salvaged into a new v7 one. */
static void test_damaged_v1(const char *path)
{
    store_migrations_t v1 = v1_migrations();
    fill_damaged_database(path, &v1, 300);
    CHECK(damage_page_of_job(path, 1150), "damage a v1 database");
    store_open_report_t report;
    store_t *store = open_damaged(path, "damaged v1 database", &report);
    if (!store)
        return;
    store_guid_t first = make_guid(1000, 0x10);
    store_file_t want;
    make_file(&want, &first, 0);
    drop_v4_statistics(&want);
    CHECK(report.salvaged_jobs > 150 && report.salvaged_files > 150
              && stored_job_matches_seed(store, &first, ALICE) && stored_file_is(store, &want)
              && raw_query_on(store, "SELECT count(*) FROM files WHERE validation_state = 0")
                     == report.salvaged_files
              && raw_query_on(store, "SELECT count(*) FROM jobs WHERE security_flags = 0")
                     == report.salvaged_jobs,
          "damaged v1 database: its rows are salvaged into v7 (validation_state, security_flags, file statistics 0)");
    store_file_clear(&want);
    store_close(store);
}

static void write_garbage(const char *path, unsigned seed)
{
    unsigned char bytes[3 * PAGE_SIZE];
    srand(seed);
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)rand();
    write_bytes(path, 0, bytes, sizeof bytes);
}

static void test_garbage_file(const char *path)
{
    write_garbage(path, 1);
    store_open_report_t report;
    store_t *store = open_damaged(path, "garbage file", &report);
    if (!store)
        return;
    store_job_t job;
    make_job(&job, 50, ALICE);
    CHECK(report.salvaged_jobs == 0 && report.salvaged_files == 0 && job_count_is(store, NULL, 0),
          "garbage file: nothing to salvage, new database empty");
    CHECK(store_job_insert(store, &job) == STORE_OK && stored_job_is(store, &job),
          "garbage file: the new database works");
    store_job_clear(&job);
    store_close(store);

    char first[sizeof report.quarantine_path];
    snprintf(first, sizeof first, "%s", report.quarantine_path);
    size_t first_size;
    unsigned char *first_bytes = read_bytes(first, &first_size);
    write_garbage(path, 2);
    store = open_damaged(path, "second damage", &report);
    store_close(store);
    CHECK(strcmp(first, report.quarantine_path) != 0
              && file_has_bytes(first, first_bytes, first_size),
          "a second quarantine never overwrites the first");
    free(first_bytes);
}

/* ---- scale ---------------------------------------------------------------------------------- */

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static const char *const owners[] = { ALICE, BOB, "S-1-5-18", "S-1-5-21-1-1-1-1003" };

/* Jobs first_seed.. in chunks of one transaction each, owners taking turns. */
static store_status_t insert_jobs(store_t *store, uint32_t first_seed, uint32_t count)
{
    enum { CHUNK = 5000 };
    store_job_t *chunk = calloc(CHUNK, sizeof *chunk);
    store_status_t status = STORE_OK;
    for (uint32_t done = 0; done < count && status == STORE_OK; done += CHUNK) {
        uint32_t n = count - done < CHUNK ? count - done : CHUNK;
        for (uint32_t i = 0; i < n; i++)
            make_job(&chunk[i], first_seed + done + i, owners[(done + i) % 4]);
        status = store_job_insert_many(store, chunk, n);
        for (uint32_t i = 0; i < n; i++)
            store_job_clear(&chunk[i]);
    }
    free(chunk);
    return status;
}

/* Best of three: mean seconds per store_job_get over random ids among job_count jobs. */
static double time_gets(store_t *store, uint32_t first_seed, uint32_t job_count)
{
    enum { LOOKUPS = 20000 };
    double best = 1e9;
    uint32_t random = 12345;
    for (int round = 0; round < 3; round++) {
        double start = seconds_now();
        for (int i = 0; i < LOOKUPS; i++) {
            random = random * 1103515245u + 12345u;
            store_guid_t id = make_guid(first_seed + (random >> 8) % job_count, 0x10);
            store_job_t job = { 0 };
            if (store_job_get(store, &id, &job) != STORE_OK)
                return 1e9;
            store_job_clear(&job);
        }
        double elapsed = (seconds_now() - start) / LOOKUPS;
        best = elapsed < best ? elapsed : best;
    }
    return best;
}

static void test_many_jobs(const char *small_path, const char *big_path)
{
    enum { BIG = 100000 };
    store_t *small, *big;
    if (!CHECK(store_open(small_path, &small, NULL) == STORE_OK
                   && store_open(big_path, &big, NULL) == STORE_OK,
               "open small and big databases"))
        return;
    CHECK(insert_jobs(small, 0, 10) == STORE_OK, "insert 10 jobs");
    double start = seconds_now();
    CHECK(insert_jobs(big, 0, BIG) == STORE_OK && job_count_is(big, NULL, BIG),
          "insert 100,000 jobs");
    printf("# inserted 100000 jobs in %.2f s\n", seconds_now() - start);

    store_guid_t *ids = NULL;
    size_t count = 0;
    int in_order = store_job_list(big, NULL, &ids, &count) == STORE_OK && count == BIG;
    for (size_t i = 0; in_order && i < count; i++)
        in_order = guid_seed(&ids[i]) == i;
    CHECK(in_order, "100,000 jobs listed, oldest first");
    free(ids);
    CHECK(store_job_list(big, BOB, &ids, &count) == STORE_OK && count == BIG / 4
              && guid_seed(&ids[0]) == 1 && guid_seed(&ids[count - 1]) == BIG - 3,
          "25,000 of them listed by owner");
    free(ids);

    int all_found = 1;
    for (uint32_t seed = 0; all_found && seed < BIG; seed++) {
        store_guid_t id = make_guid(seed, 0x10);
        store_job_t job = { 0 };
        all_found = store_job_get(big, &id, &job) == STORE_OK && guid_seed(&job.id) == seed
                    && (seed % 1000 || stored_job_matches_seed(big, &id, owners[seed % 4]));
        store_job_clear(&job);
    }
    CHECK(all_found,
          "every one of the 100,000 jobs can be fetched (every 1000th compared in full)");

    double at_10 = time_gets(small, 0, 10), at_100k = time_gets(big, 0, BIG);
    printf("# store_job_get: %.2f us with 10 jobs, %.2f us with 100000 jobs\n", at_10 * 1e6,
           at_100k * 1e6);
    CHECK(at_100k < 1e8 && at_100k < 4 * at_10, "store_job_get stays flat from 10 to 100,000 jobs");
    store_close(small);
    store_close(big);
    start = seconds_now();
    store_open_report_t report;
    CHECK(store_open(big_path, &big, &report) == STORE_OK && report.integrity_ok,
          "reopen the 100,000-job database: integrity ok");
    printf("# reopen with integrity check of 100000 jobs: %.3f s\n", seconds_now() - start);
    store_close(big);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void remove_test_dir(void)
{
    DIR *dir = opendir(test_dir);
    struct dirent *entry;
    char path[PATH_SIZE];
    while (dir && (entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        db_path(path, entry->d_name);
        remove(path);
    }
    if (dir)
        closedir(dir);
    rmdir(test_dir);
}

/* ---- v5: downloads of the IDODownload API ------------------------------------------------------ */

/* The ids store_job_find gives for query, as "a,b" letters of the jobs in named (by position). */
static int finds(store_t *store, const store_job_query_t *query, const store_guid_t *named,
                 const char *want)
{
    store_guid_t *ids = NULL;
    size_t count = 0;
    char got[16] = "";
    if (store_job_find(store, query, &ids, &count) != STORE_OK)
        return 0;
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < 3; k++)
            if (guid_equal(&ids[i], &named[k]) && strlen(got) < sizeof got - 2)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%c", *got ? "," : "", (int)('a' + k));
    free(ids);
    if (strcmp(got, want) != 0)
        printf("#   found \"%s\", want \"%s\"\n", got, want);
    return strcmp(got, want) == 0;
}

static void test_downloads_rows(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "v5: open a new database"))
        return;
    store_job_t jobs[3];
    store_file_t files[3];
    store_guid_t ids[3];
    static const char *const owners[3] = {ALICE, ALICE, BOB};
    for (int i = 0; i < 3; i++) {
        make_job(&jobs[i], 500 + (uint32_t)i, owners[i]);
        jobs[i].creation_time += i; /* a is the oldest */
        make_file(&files[i], &jobs[i].id, 0);
        ids[i] = jobs[i].id;
    }
    /* a: a NonVolatile download; b: a BITS-style job with a's path in other case; c: bob's. */
    jobs[0].kind = STORE_KIND_DOWNLOAD;
    jobs[0].non_volatile = 1;
    jobs[0].started = 1;
    jobs[0].error_extended = 0x80190191u;
    free(jobs[0].display_name);
    jobs[0].display_name = dup_text("%s", "dl-a");
    free(files[0].local_name);
    files[0].local_name = dup_text("%s", "C:\\Dl\\A.bin");
    free(files[0].remote_name);
    files[0].remote_name = dup_text("%s", "https://Example.test/a");
    files[0].final_url = dup_text("%s", "https://mirror.example.test/a");
    files[0].server_ip = dup_text("%s", "2001:db8::1");
    files[0].http_status = 206;
    free(files[1].local_name);
    files[1].local_name = dup_text("%s", "c:\\dl\\a.bin");
    jobs[2].kind = STORE_KIND_DOWNLOAD;
    int inserted = 1;
    for (int i = 0; i < 3; i++)
        inserted &= store_job_insert(store, &jobs[i]) == STORE_OK &&
                    store_files_insert(store, &files[i], 1, NULL, NULL) == STORE_OK;
    CHECK(inserted && store_file_property_set(store, &ids[2], 0, 0x10002, "cid") == STORE_OK,
          "v5: a download, a job and another user's download stored");
    CHECK(stored_job_is(store, &jobs[0]) && stored_file_is(store, &files[0]),
          "v5: kind, non_volatile, started, error_extended, final_url, server_ip and http_status read back");

    store_job_query_t q = {STORE_KIND_DOWNLOAD, NULL, -1, STORE_MATCH_NONE, 0, NULL, 0, 0};
    CHECK(finds(store, &q, ids, "a,c"), "find: every download, oldest first");
    q.owner_sid = ALICE;
    CHECK(finds(store, &q, ids, "a"), "find: one owner's downloads");
    q = (store_job_query_t){STORE_KIND_JOB, NULL, -1, STORE_MATCH_NONE, 0, NULL, 0, 0};
    CHECK(finds(store, &q, ids, "b"), "find: the BITS-style jobs");
    q = (store_job_query_t){STORE_KIND_DOWNLOAD, NULL, 0, STORE_MATCH_NONE, 0, NULL, 0, 0};
    CHECK(finds(store, &q, ids, "c"), "find: the volatile downloads");
    q = (store_job_query_t){-1, NULL, -1, STORE_MATCH_LOCAL_NAME, 0, "C:\\DL\\a.BIN", 0, 0};
    CHECK(finds(store, &q, ids, "a,b"), "find: by local name, case-insensitive, any kind");
    q = (store_job_query_t){-1, NULL, -1, STORE_MATCH_REMOTE_NAME, 0, "HTTPS://example.test/A", 0, 0};
    CHECK(finds(store, &q, ids, "a"), "find: by remote name, case-insensitive");
    q = (store_job_query_t){-1, NULL, -1, STORE_MATCH_DISPLAY_NAME, 0, "dl-a", 0, 0};
    CHECK(finds(store, &q, ids, "a"), "find: by display name");
    q.value = "DL-A";
    CHECK(finds(store, &q, ids, ""), "find: the display name matches exactly");
    q = (store_job_query_t){-1, NULL, -1, STORE_MATCH_FILE_PROPERTY, 0x10002, "cid", 0, 0};
    CHECK(finds(store, &q, ids, "c"), "find: by a file property");
    q.value = NULL;
    store_guid_t *none = NULL;
    size_t count = 0;
    CHECK(store_job_find(store, &q, &none, &count) == STORE_INVALID && !none,
          "find: a match without a value is STORE_INVALID");
    CHECK(raw_query_on(store, "SELECT count(*) FROM sqlite_schema WHERE name = 'files_by_local_name'") == 1,
          "v5: the local-name index exists");

    store_range_t two[] = {{0, 100}, {200, UINT64_MAX}}, *got = NULL;
    size_t got_count = 0;
    CHECK(store_file_ranges_replace(store, &ids[0], 0, two, 2) == STORE_OK &&
              store_file_ranges(store, &ids[0], 0, &got, &got_count) == STORE_OK && got_count == 2 &&
              got[1].offset == 200 && got[1].length == UINT64_MAX,
          "ranges_replace: the new ranges");
    free(got);
    got = NULL;
    CHECK(store_file_ranges_replace(store, &ids[0], 0, NULL, 0) == STORE_OK &&
              store_file_ranges(store, &ids[0], 0, &got, &got_count) == STORE_OK && got_count == 0,
          "ranges_replace with none: the whole file again");
    free(got);
    CHECK(store_file_ranges_replace(store, &ids[0], 5, two, 2) == STORE_NOT_FOUND,
          "ranges_replace of a file that does not exist: STORE_NOT_FOUND");

    CHECK(store_json_is_object(store, "{}") && store_json_is_object(store, "{\"KeyData\":\"AA==\"}") &&
              !store_json_is_object(store, "[1]") && !store_json_is_object(store, "blah") &&
              !store_json_is_object(store, "{\"a\":") && !store_json_is_object(store, NULL),
          "json_is_object: objects only, by SQLite's parser");
    for (int i = 0; i < 3; i++) {
        store_job_clear(&jobs[i]);
        store_file_clear(&files[i]);
    }
    store_close(store);
}

/* A real v4 database migrates to v7: its rows survive as BITS-style jobs. */
static void test_migration_from_v4(const char *path)
{
    store_migrations_t v4 = v4_migrations();
    store_t *store;
    store_open_report_t report;
    store_job_t job;
    store_file_t file;
    make_job(&job, 80, ALICE);
    make_file(&file, &job.id, 0);
    if (!CHECK(store_open_with_migrations(path, &v4, &store, &report) == STORE_OK && report.schema_version == 4,
               "v4 code creates a v4 database"))
        return;
    CHECK(store_job_insert(store, &job) == STORE_OK && store_files_insert(store, &file, 1, NULL, NULL) == STORE_OK,
          "v4 code stores a job and a file");
    store_close(store);
    if (CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == 4 &&
                  report.schema_version == SCHEMA_VERSION && report.integrity_ok,
              "the v4 database migrates to v7 (migrated_from 4)")) {
        CHECK(stored_job_is(store, &job) && stored_file_is(store, &file),
              "its job is a BITS-style job (kind 0), not NonVolatile-flagged, never started; its file has no response yet");
        store_close(store);
    }
    store_job_clear(&job);
    store_file_clear(&file);
}

/* A real v6 database migrates to v7: every job and file survives with every v6 value, nothing
 * came from a cache, and the new columns then round-trip. */
static void test_migration_from_v6(const char *path)
{
    store_migrations_t v6 = { store_builtin_migrations.steps, 6 };
    store_t *store;
    store_open_report_t report;
    store_job_t jobs[2];
    store_file_t files[3];
    make_job(&jobs[0], 90, ALICE);
    make_job(&jobs[1], 91, BOB);
    jobs[1].kind = STORE_KIND_BITS;
    jobs[1].http_method = dup_text("HEAD");
    jobs[1].on_demand = 1;
    make_file(&files[0], &jobs[0].id, 0);
    make_file(&files[1], &jobs[0].id, 1);
    make_file(&files[2], &jobs[1].id, 0);
    files[2].final_url = dup_text("http://origin.test/x");
    files[2].http_status = 206;
    if (!CHECK(store_open_with_migrations(path, &v6, &store, &report) == STORE_OK && report.schema_version == 6,
               "v6 code creates a v6 database"))
        return;
    CHECK(store_job_insert_many(store, jobs, 2) == STORE_OK &&
              store_files_insert(store, files, 2, NULL, NULL) == STORE_OK &&
              store_files_insert(store, &files[2], 1, NULL, NULL) == STORE_OK,
          "v6 code stores two jobs and three files");
    store_close(store);
    if (CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == 6 &&
                  report.schema_version == SCHEMA_VERSION && report.integrity_ok,
              "the v6 database migrates to v7 (migrated_from 6)")) {
        CHECK(stored_job_is(store, &jobs[0]) && stored_job_is(store, &jobs[1]) && job_count_is(store, NULL, 2) &&
                  stored_file_is(store, &files[0]) && stored_file_is(store, &files[1]) &&
                  stored_file_is(store, &files[2]),
              "v7: every v6 row survives as it was (no cache host, no fallback, no cache bytes)");
        CHECK(raw_query_on(store, "SELECT count(*) FROM files WHERE bytes_from_cache = 0 AND cache_connections = 0") == 3
                  && raw_query_on(store, "SELECT count(*) FROM jobs WHERE cache_host IS NULL AND cache_fallback IS NULL") == 2,
              "v7: the new columns have their defaults");
        files[2].bytes_from_cache = UINT64_MAX - 3;
        files[2].cache_connections = UINT32_MAX;
        jobs[1].cache_host = dup_text("[::1]:47100");
        jobs[1].cache_fallback = dup_text("cache host [::1]:47100 could not be reached");
        CHECK(store_file_update(store, &files[2]) == STORE_OK && store_job_update(store, &jobs[1]) == STORE_OK &&
                  stored_file_is(store, &files[2]) && stored_job_is(store, &jobs[1]),
              "v7: bytes_from_cache (u64), cache_connections (u32), cache_host and cache_fallback round-trip");
        store_close(store);
    }
    for (int i = 0; i < 2; i++)
        store_job_clear(&jobs[i]);
    for (int i = 0; i < 3; i++)
        store_file_clear(&files[i]);
}

static int unflushed_is(const store_unflushed_t *u, const store_guid_t *job, uint32_t index, const char *name,
                        const char *owner, int64_t completed, uint64_t bytes)
{
    return guid_equal(&u->job_id, job) && u->index == index && text_equal(u->local_name, name) &&
           text_equal(u->owner_sid, owner) && u->completed_time == completed && u->bytes == bytes;
}

static void test_boot_and_not_durable(store_t *store)
{
    int64_t boot = 7;
    CHECK(store_boot_get(store, &boot) == STORE_NOT_FOUND && boot == 7, "boot: none recorded in a new store");
    CHECK(store_boot_set(store, 1796680000) == STORE_OK && store_boot_get(store, &boot) == STORE_OK &&
              boot == 1796680000 && store_boot_set(store, -3) == STORE_OK &&
              store_boot_get(store, &boot) == STORE_OK && boot == -3,
          "boot: set, read back, replaced (one row)");
    CHECK(store_boot_get(NULL, &boot) == STORE_INVALID && store_boot_get(store, NULL) == STORE_INVALID &&
              store_boot_set(NULL, 1) == STORE_INVALID,
          "boot: NULL store or out is STORE_INVALID");
    store_job_t job;
    store_file_t files[3];
    make_job(&job, 100, ALICE);
    for (uint32_t i = 0; i < 3; i++)
        make_file(&files[i], &job.id, i);
    files[0].bytes_transferred = files[0].bytes_durable = 10;
    files[1].bytes_transferred = 20, files[1].bytes_durable = 5;
    files[2].bytes_transferred = 30, files[2].bytes_durable = 0, files[2].completed = 1;
    store_file_ref_t *refs = NULL;
    size_t count = 9;
    CHECK(store_job_insert(store, &job) == STORE_OK && store_files_insert(store, files, 3, NULL, NULL) == STORE_OK &&
              stored_file_is(store, &files[1]),
          "not durable: bytes_durable round-trips apart from bytes_transferred");
    CHECK(store_files_not_durable(store, &refs, &count) == STORE_OK && count == 1 &&
              guid_equal(&refs[0].job_id, &job.id) && refs[0].index == 1,
          "not durable: only the unfinished file with written bytes beyond its durable ones");
    free(refs);
    files[1].bytes_durable = 20;
    CHECK(store_file_update(store, &files[1]) == STORE_OK && store_files_not_durable(store, &refs, &count) == STORE_OK &&
              count == 0 && refs == NULL,
          "not durable: none once its bytes are durable");
    CHECK(store_files_not_durable(store, NULL, &count) == STORE_INVALID &&
              store_files_not_durable(store, &refs, NULL) == STORE_INVALID,
          "not durable: NULL out is STORE_INVALID");
    store_job_clear(&job);
    for (int i = 0; i < 3; i++)
        store_file_clear(&files[i]);
}

static void test_unflushed_rows(store_t *store)
{
    store_guid_t a = make_guid(101, 0x10), b = make_guid(102, 0x10);
    store_unflushed_t one = {a, 0, "C:\\Downloads\\one.bin", ALICE, 1000, 1ull << 40};
    store_unflushed_t two = {b, 3, "C:\\Downloads\\two.bin", NULL, 2000, 0};
    store_unflushed_t *list = NULL;
    size_t count = 0;
    CHECK(store_unflushed_list(store, &list, &count) == STORE_OK && count == 0 && list == NULL,
          "unflushed: none in a new store");
    CHECK(store_unflushed_put(store, &one) == STORE_OK && store_unflushed_put(store, &two) == STORE_OK &&
              store_unflushed_list(store, &list, &count) == STORE_OK && count == 2 &&
              unflushed_is(&list[0], &a, 0, one.local_name, ALICE, 1000, 1ull << 40) &&
              unflushed_is(&list[1], &b, 3, two.local_name, NULL, 2000, 0),
          "unflushed: two files of jobs that are not in the store, listed oldest first, every value");
    store_unflushed_free(list, count);
    one.completed_time = 1500;
    one.local_name = "C:\\Other\\one.bin";
    CHECK(store_unflushed_put(store, &one) == STORE_OK && store_unflushed_list(store, &list, &count) == STORE_OK &&
              count == 2 && unflushed_is(&list[0], &a, 0, one.local_name, ALICE, 1500, 1ull << 40),
          "unflushed: put again replaces the row of the same job and index");
    store_unflushed_free(list, count);
    CHECK(store_unflushed_remove(store, &a, 0) == STORE_OK && store_unflushed_remove(store, &a, 0) == STORE_NOT_FOUND &&
              store_unflushed_remove(store, &b, 2) == STORE_NOT_FOUND &&
              store_unflushed_list(store, &list, &count) == STORE_OK && count == 1 &&
              unflushed_is(&list[0], &b, 3, two.local_name, NULL, 2000, 0),
          "unflushed: remove takes one row; a missing one is STORE_NOT_FOUND");
    store_unflushed_free(list, count);
    store_unflushed_t nameless = {a, 1, NULL, ALICE, 1, 1};
    CHECK(store_unflushed_put(store, &nameless) == STORE_INVALID && store_unflushed_put(store, NULL) == STORE_INVALID &&
              store_unflushed_remove(store, NULL, 0) == STORE_INVALID &&
              store_unflushed_list(store, NULL, &count) == STORE_INVALID,
          "unflushed: NULL arguments and a missing local name are STORE_INVALID");
}

static void test_durability_rows(const char *path)
{
    store_t *store;
    if (!CHECK(store_open(path, &store, NULL) == STORE_OK, "open a store for the durability rows"))
        return;
    test_boot_and_not_durable(store);
    test_unflushed_rows(store);
    store_close(store);
    int64_t boot = 0;
    store_unflushed_t *list = NULL;
    size_t count = 0;
    if (CHECK(store_open(path, &store, NULL) == STORE_OK, "reopen it")) {
        CHECK(store_boot_get(store, &boot) == STORE_OK && boot == -3 &&
                  store_unflushed_list(store, &list, &count) == STORE_OK && count == 1,
              "the boot and the unflushed row survive a reopen");
        store_unflushed_free(list, count);
        store_close(store);
    }
}

/* A v7 database migrates to v8: its files' written bytes count as durable (older code flushed
 * before it recorded them); no boot is known and no file is unflushed. */
static void test_migration_from_v7(const char *path)
{
    store_migrations_t v7 = { store_builtin_migrations.steps, 7 };
    store_t *store;
    store_open_report_t report;
    store_job_t job;
    store_file_t files[2];
    make_job(&job, 110, ALICE);
    make_file(&files[0], &job.id, 0);
    make_file(&files[1], &job.id, 1);
    files[1].bytes_transferred = files[1].bytes_durable = 12345;
    if (!CHECK(store_open_with_migrations(path, &v7, &store, &report) == STORE_OK && report.schema_version == 7 &&
                   store_job_insert(store, &job) == STORE_OK &&
                   store_files_insert(store, files, 2, NULL, NULL) == STORE_OK,
               "v7 code creates a v7 database with a job and two files"))
        return;
    int64_t boot = 0;
    store_unflushed_t *list = NULL;
    size_t count = 9;
    CHECK(store_boot_get(store, &boot) == STORE_INVALID && store_unflushed_list(store, &list, &count) == STORE_INVALID,
          "v7 code: the v8 calls are STORE_INVALID (the schema it knows predates them)");
    store_close(store);
    store_file_ref_t *refs = NULL;
    size_t refs_count = 9;
    if (CHECK(store_open(path, &store, &report) == STORE_OK && report.migrated_from == 7 &&
                  report.schema_version == SCHEMA_VERSION && report.integrity_ok,
              "the v7 database migrates to v8 (migrated_from 7)")) {
        CHECK(stored_job_is(store, &job) && stored_file_is(store, &files[0]) && stored_file_is(store, &files[1]),
              "v8: every v7 row survives, its written bytes durable (bytes_durable = bytes_transferred)");
        CHECK(store_boot_get(store, &boot) == STORE_NOT_FOUND &&
                  store_unflushed_list(store, &list, &count) == STORE_OK && count == 0 &&
                  store_files_not_durable(store, &refs, &refs_count) == STORE_OK && refs_count == 0,
              "v8: no boot recorded, no unflushed file, no file short of durable bytes");
        store_close(store);
    }
    store_job_clear(&job);
    for (int i = 0; i < 2; i++)
        store_file_clear(&files[i]);
}

int main(void)
{
    if (!CHECK(mkdtemp(test_dir) != NULL, "create a temporary directory"))
        return CHECK_EXIT_CODE();
    char path[PATH_SIZE], other[PATH_SIZE];
    store_t *store = NULL;

    db_path(path, "jobs.db");
    test_new_database(&store, path);
    if (store) {
        test_job_rows(store);
        store_close(store);
    }
    test_reopen(path);
    db_path(path, "list.db");
    test_listing(path);
    db_path(path, "files.db");
    test_files(path);
    db_path(path, "properties.db");
    test_properties_and_credentials(path);
    db_path(path, "transactions.db");
    test_transactions(path);
    db_path(path, "access.db");
    test_access_copies(path);
    db_path(path, "validation.db");
    test_validation(path);
    test_status_text_and_time();
    db_path(path, "migrate.db");
    db_path(other, "migrate-fail.db");
    test_migrations(path, other);
    db_path(path, "v1.db");
    test_migration_from_v1(path);
    db_path(path, "v2.db");
    test_migration_from_v2(path);
    db_path(path, "v4.db");
    test_migration_from_v4(path);
    db_path(path, "v6.db");
    test_migration_from_v6(path);
    db_path(path, "v7.db");
    test_migration_from_v7(path);
    db_path(path, "durability.db");
    test_durability_rows(path);
    db_path(path, "downloads.db");
    test_downloads_rows(path);
    db_path(path, "damaged.db");
    test_damaged_page(path);
    db_path(path, "damaged-wal.db");
    test_damaged_with_wal(path);
    db_path(path, "damaged-v1.db");
    test_damaged_v1(path);
    db_path(path, "garbage.db");
    test_garbage_file(path);
    db_path(path, "small.db");
    db_path(other, "big.db");
    test_many_jobs(path, other);

    remove_test_dir();
    return CHECK_EXIT_CODE();
}
