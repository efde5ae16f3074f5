/* Fuzz target: a job store whose rows were damaged (a disk, a crash mid-write, a hand edit): its
 * job and file rows, ranges, file properties and credentials hold hostile values, and the store
 * and the job manager read them. Every read answers a status or HRESULT, never a crash. Before
 * each input the store is a copy of one built through the jobs API (a BITS job and a DO job,
 * files with ranges, headers, proxy lists, credentials, a file property). Input: changes of 3+
 * bytes each: table, column (both modulo their counts), what to write (0 NULL, 1 a 64-bit integer
 * from the next 8 bytes, 2 a real from the next 8, 3 text up to the next NUL, 4 a blob up to it),
 * applied to every row of that table with SQLite's CHECK constraints off. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "fuzz_input.h"
#include "fuzz_workdir.h"
#include "jobs.h"

static const char *const tables[] = {"jobs", "files", "ranges", "file_properties", "credentials"};
#define TABLE_COUNT (sizeof tables / sizeof *tables)
#define MAX_CHANGES 8
#define MAX_READS 8

static fuzz_workdir_t work;
static uint8_t *pristine;
static size_t pristine_size;
static const caller_t admin = {.sid = "S-1-5-21-1-1-1-500", .is_admin = 1};

static void remove_work(void)
{
    fuzz_workdir_remove(&work);
    free(pristine);
}

static void build_jobs(jobs_t *jobs)
{
    store_guid_t bits, job;
    const store_range_t ranges[] = {{0, 100}, {4096, UINT64_MAX}};
    job_file_spec_t files[] = {
        {"http://origin.test/a.bin", "C:\\dl\\a.bin", NULL, 8192, ranges, 2},
        {"\\\\server\\share\\b.bin", "C:\\dl\\b.bin", NULL, UINT64_MAX, NULL, 0},
    };
    job_file_spec_t do_file = {"https://origin.test/c.bin", "C:\\dl\\c.bin", "file-c", 10, NULL, 0};
    job_value_t headers = {.text = "X-A: 1\r\nX-B: 2"}, proxy = {2, "proxy.test:8080", "<local>"};
    FUZZ_REQUIRE(jobs_create_kind(jobs, &admin, STORE_KIND_BITS, "bits", JOB_TYPE_DOWNLOAD, &bits) == HR_OK);
    FUZZ_REQUIRE(jobs_add_files(jobs, &admin, &bits, files, 2, NULL) == HR_OK);
    FUZZ_REQUIRE(jobs_set(jobs, &admin, &bits, JOB_PROP_CUSTOM_HEADERS, &headers) == HR_OK);
    FUZZ_REQUIRE(jobs_set(jobs, &admin, &bits, JOB_PROP_PROXY, &proxy) == HR_OK);
    FUZZ_REQUIRE(jobs_set_credentials(jobs, &admin, &bits, 1, 1, "user", "secret", 6) == HR_OK);
    FUZZ_REQUIRE(jobs_create(jobs, &admin, "do", JOB_TYPE_DOWNLOAD, &job) == HR_OK);
    FUZZ_REQUIRE(jobs_add_files(jobs, &admin, &job, &do_file, 1, NULL) == HR_OK);
    FUZZ_REQUIRE(jobs_set_file_property(jobs, &admin, &job, 0, 1, "sha256:00") == HR_OK);
}

/* The store file as the jobs API leaves it (closed: everything checkpointed into the one file). */
static void read_pristine(void)
{
    FILE *f = fopen(work.db_path, "rb");
    FUZZ_REQUIRE(f && !fseek(f, 0, SEEK_END));
    long size = ftell(f);
    FUZZ_REQUIRE(size > 0 && !fseek(f, 0, SEEK_SET) && (pristine = malloc((size_t)size)));
    pristine_size = fread(pristine, 1, (size_t)size, f);
    FUZZ_REQUIRE(pristine_size == (size_t)size);
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_workdir_open(&work, "fuzz-store");
    jobs_t *jobs = NULL;
    FUZZ_REQUIRE(jobs_open(work.db_path, &jobs, NULL) == HR_OK);
    build_jobs(jobs);
    jobs_close(jobs);
    read_pristine();
    atexit(remove_work);
    return 0;
}

static void restore_pristine(void)
{
    fuzz_workdir_remove_store(&work);
    FILE *f = fopen(work.db_path, "wb");
    FUZZ_REQUIRE(f && fwrite(pristine, 1, pristine_size, f) == pristine_size && !fclose(f));
}

/* One change read from the input, written into every row of its table (a refused write, e.g. a
 * NULL in a NOT NULL column, changes nothing). */
static void apply_change(sqlite3 *db, fuzz_input_t *in)
{
    const char *table = tables[fuzz_number(in, 1) % TABLE_COUNT];
    unsigned column = (unsigned)fuzz_number(in, 1);
    unsigned kind = (unsigned)fuzz_number(in, 1) % 5;
    char sql[160];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') LIMIT 1 OFFSET "
             "(%u %% (SELECT count(*) FROM pragma_table_info('%s')))", table, column, table);
    FUZZ_REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW);
    snprintf(sql, sizeof sql, "UPDATE %s SET \"%s\" = ?", table, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    FUZZ_REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    if (kind == 1) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)fuzz_number(in, 8));
    } else if (kind == 2) {
        uint64_t bits = fuzz_number(in, 8);
        double real;
        memcpy(&real, &bits, sizeof real);
        sqlite3_bind_double(st, 1, real);
    } else if (kind >= 3) {
        char *field = fuzz_field(in);
        if (kind == 3)
            sqlite3_bind_text(st, 1, field, -1, free);
        else
            sqlite3_bind_blob(st, 1, field, (int)strlen(field), free);
    }
    sqlite3_step(st);
    sqlite3_finalize(st);
}

static void damage(fuzz_input_t *in)
{
    sqlite3 *db = NULL;
    FUZZ_REQUIRE(sqlite3_open(work.db_path, &db) == SQLITE_OK);
    FUZZ_REQUIRE(sqlite3_exec(db, "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL) == SQLITE_OK);
    for (int i = 0; i < MAX_CHANGES && in->size; i++)
        apply_change(db, in);
    FUZZ_REQUIRE(sqlite3_close(db) == SQLITE_OK);
}

static void require_status(store_status_t status)
{
    FUZZ_REQUIRE((unsigned)status <= STORE_NEWER_SCHEMA && store_status_text(status));
}

/* Every file of a job, through the store. */
static void read_store_files(store_t *store, const store_guid_t *id)
{
    uint32_t count = 0;
    require_status(store_file_count(store, id, &count));
    for (uint32_t i = 0; i < count && i < MAX_READS; i++) {
        store_file_t file = {0};
        store_range_t *ranges = NULL;
        size_t range_count = 0;
        char *value = NULL;
        require_status(store_file_get(store, id, i, &file));
        require_status(store_file_ranges(store, id, i, &ranges, &range_count));
        require_status(store_file_property_get(store, id, i, 1, &value));
        store_file_clear(&file);
        free(ranges);
        free(value);
    }
}

static void read_store(void)
{
    store_t *store = NULL;
    store_status_t status = store_open(work.db_path, &store, NULL);
    require_status(status);
    if (status != STORE_OK)
        return;
    store_guid_t *ids = NULL;
    size_t count = 0;
    require_status(store_job_list(store, NULL, &ids, &count));
    for (size_t i = 0; i < count && i < MAX_READS; i++) {
        store_job_t job = {0};
        size_t credentials = 0;
        store_job_access_t access;
        store_status_t got = store_job_get(store, &ids[i], &job);
        store_status_t checked = store_job_access(store, &ids[i], &access);
        require_status(got);
        require_status(checked);
        /* the access check reads what the row holds (its copy included) */
        FUZZ_REQUIRE(got != STORE_OK || checked != STORE_OK ||
                     (access.state == job.state && access.kind == job.kind &&
                      strcmp(access.owner_sid, job.owner_sid ? job.owner_sid : "") == 0 &&
                      (!access.display_name_copied ||
                       strcmp(access.display_name, job.display_name ? job.display_name : "") == 0)));
        require_status(store_credential_count(store, &ids[i], &credentials));
        read_store_files(store, &ids[i]);
        store_job_clear(&job);
    }
    free(ids);
    const int32_t states[] = {JOB_STATE_QUEUED, JOB_STATE_TRANSFERRING, JOB_STATE_TRANSIENT_ERROR};
    store_job_brief_t *briefs = NULL;
    require_status(store_job_list_in_states(store, states, 3, &briefs, &count));
    free(briefs);
    store_close(store);
}

/* Every file of a job, through the job manager. */
static void read_job_files(jobs_t *jobs, const store_guid_t *id)
{
    uint32_t count = 0;
    if (jobs_file_count(jobs, &admin, id, &count) != HR_OK)
        return;
    for (uint32_t i = 0; i < count && i < MAX_READS; i++) {
        store_file_t file = {0};
        store_range_t *ranges = NULL;
        size_t range_count = 0;
        if (jobs_get_file(jobs, &admin, id, i, &file) == HR_OK)
            store_file_clear(&file);
        if (jobs_get_file_ranges(jobs, &admin, id, i, &ranges, &range_count) == HR_OK)
            free(ranges);
    }
}

/* doadmin's /status of every job and /why of one: reports made of the rows as they are. */
static void read_reports(jobs_t *jobs, const store_guid_t *id)
{
    settings_t settings;
    settings_init(&settings);
    const admin_sources_t sources = {.jobs = jobs, .settings = &settings};
    char *report = NULL;
    if (admin_status(&sources, &admin, NULL, &report) == HR_OK)
        FUZZ_REQUIRE(report);
    free(report);
    report = NULL;
    if (id && admin_explain(&sources, &admin, id, &report) == HR_OK)
        FUZZ_REQUIRE(report);
    free(report);
}

static void read_jobs(void)
{
    jobs_t *jobs = NULL;
    if (jobs_open(work.db_path, &jobs, NULL) != HR_OK)
        return;
    store_guid_t *ids = NULL;
    size_t count = 0;
    if (jobs_list_with_downloads(jobs, &admin, JOB_ENUM_ALL_USERS, &ids, &count) == HR_OK) {
        for (size_t i = 0; i < count && i < MAX_READS; i++) {
            store_job_t job = {0};
            job_progress_t progress;
            int32_t state;
            if (jobs_get(jobs, &admin, &ids[i], &job) == HR_OK)
                store_job_clear(&job);
            jobs_progress(jobs, &admin, &ids[i], &progress);
            jobs_state(jobs, &admin, &ids[i], &state);
            read_job_files(jobs, &ids[i]);
        }
        read_reports(jobs, count ? &ids[0] : NULL);
        free(ids);
    }
    jobs_close(jobs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    restore_pristine();
    damage(&in);
    read_store();
    read_jobs();
    return 0;
}
