/* Native tests of on-demand files (IBackgroundCopyFile6 in the core): the range sets
 * (engine/jobs/range_set.c: merging, splitting against filled data, the stored text), the rules
 * of BITS_JOB_PROPERTY_ON_DEMAND_MODE and of the File6 calls, and on-demand jobs downloading
 * from tests/fault_server.py (whose /stats proves that no byte is fetched twice) across a restart
 * of the job manager. Local names are drive paths resolved in the test's directory (as
 * test_scheduler). */
#include <pthread.h>
#include <time.h>

#include "http_fixture.h"
#include "jobs.h"
#include "log.h"
#include "range_set.h"

#define T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED 0x8020006Du
#define T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME 0x80200062u
#define T_DO_E_INVALID_RANGE 0x80D05010u
#define T_DO_E_INVALID_STATE 0x80D02013u
#define T_E_INVALIDARG 0x80070057u
#define T_E_NOTIMPL 0x80004001u
#define T_E_PENDING 0x8000000Au

static testfile_t f_d = {"d.bin", 300000, NULL, {0}};
static testfile_t f_r = {"r.bin", 10000, NULL, {0}}; /* the ranged file's source */
static jobs_t *jobs;
static char db[400];
static const transfer_options_t options = {.checkpoint_bytes = 16 * KiB, .checkpoint_ms = 100};
static caller_t alice_c = {"S-1-5-21-1-1-1-1001", 0};
static const caller_t *alice = &alice_c;

/* ---- range sets ---------------------------------------------------------------------------------- */

static int set_is(const range_set_t *set, const char *want)
{
    char *text = NULL;
    int same = range_set_format(set, &text) == HR_OK && !strcmp(text, want);
    if (!same)
        printf("#   got \"%s\", want \"%s\"\n", text ? text : "?", want);
    free(text);
    return same;
}

static void test_range_sets(void)
{
    /* unsorted, overlapping, touching and empty ranges: one sorted, merged set */
    store_range_t a[] = {{0x50, 0x10}, {0x0, 0x10}, {0x10, 0x8}, {0x55, 0x20}, {0x30, 0}};
    range_set_t u = {0}, d = {0}, p = {0}, f = {0}, parsed = {0};
    CHECK_HR(range_set_union(a, 5, NULL, 0, &u), HR_OK, "range sets: union");
    CHECK(set_is(&u, "0+18,50+25"), "range sets: merged, touching joined, empty dropped, sorted");
    CHECK(range_set_bytes(&u) == 0x18 + 0x25, "range sets: byte count");

    /* splitting a request against filled data: only the missing bytes remain */
    store_range_t filled_r[] = {{0x4, 0x4}, {0x52, 0x2}, {0x70, 0x100}};
    range_set_t filled = {0};
    range_set_union(filled_r, 3, NULL, 0, &filled);
    CHECK_HR(range_set_subtract(&u, &filled, &d), HR_OK, "range sets: subtract");
    CHECK(set_is(&d, "0+4,8+10,50+2,54+1c"), "range sets: a request split around filled data");
    range_set_free(&d);
    CHECK_HR(range_set_subtract(&filled, &filled, &d), HR_OK, "range sets: subtract itself");
    CHECK(d.count == 0 && !d.items, "range sets: nothing minus itself (no array: found by fuzz_ranges)");

    CHECK_HR(range_set_prefix(&u, 0x1c, &p), HR_OK, "range sets: prefix");
    CHECK(set_is(&p, "0+18,50+4"), "range sets: the first bytes, in offset order, across ranges");
    range_set_free(&p);
    CHECK_HR(range_set_prefix(&u, 1000, &p), HR_OK, "range sets: long prefix");
    CHECK(set_is(&p, "0+18,50+25"), "range sets: a prefix longer than the set is the set");

    CHECK_HR(range_set_from(&u, 0x58, &f), HR_OK, "range sets: from a position");
    CHECK(set_is(&f, "58+1d"), "range sets: from the download position, inside a range");
    range_set_free(&f);
    range_set_from(&u, 0x1000, &f);
    CHECK(set_is(&f, "0+18,50+25"), "range sets: nothing after the position: the whole set");

    store_range_t whole = {0, 100};
    range_set_t w = {0};
    range_set_union(&whole, 1, NULL, 0, &w);
    CHECK(range_set_covers(&w, 100) && !range_set_covers(&w, 101) && !range_set_covers(&u, 0x75),
          "range sets: covers the whole file only when it is [0, size)");

    char *text = NULL;
    range_set_format(&u, &text);
    CHECK(range_set_parse(text, &parsed) == HR_OK && set_is(&parsed, text), "range sets: text round trip");
    free(text);
    range_set_t bad = {0};
    CHECK(range_set_parse("10+5,12+4", &bad) == HR_E_INVALIDARG &&
              range_set_parse("1+0", &bad) == HR_E_INVALIDARG && range_set_parse("1+2,", &bad) == HR_E_INVALIDARG &&
              range_set_parse("x", &bad) == HR_E_INVALIDARG && range_set_parse("", &bad) == HR_OK && !bad.count,
          "range sets: overlapping, empty and malformed texts are refused");
    range_set_free(&u), range_set_free(&filled), range_set_free(&p), range_set_free(&f), range_set_free(&d);
    range_set_free(&w), range_set_free(&parsed);
}

/* ---- helpers --------------------------------------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static int32_t state_of(const store_guid_t *id)
{
    int32_t state = -1;
    jobs_state(jobs, alice, id, &state);
    return state;
}

/* Waits until the job is in state and the scheduler has nothing running for it. */
static int wait_state(const store_guid_t *id, int32_t state, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        jobs_job_activity_t activity = {0};
        jobs_job_activity(jobs, id, &activity);
        if (state_of(id) == state && !activity.running)
            return 1;
        sleep_ms(20);
    }
    printf("#   state %d, wanted %d\n", state_of(id), state);
    return 0;
}

static store_file_t file_row(const store_guid_t *id)
{
    store_file_t f = {0};
    jobs_get_file(jobs, alice, id, 0, &f);
    return f;
}

static int filled_is(const store_guid_t *id, const char *want)
{
    store_range_t *r = NULL;
    size_t n = 0;
    hr_t hr = jobs_get_filled_ranges(jobs, alice, id, 0, &r, &n);
    range_set_t set = {r, n};
    int ok = hr == HR_OK && set_is(&set, want);
    range_set_free(&set);
    return ok;
}

/* The bytes of the temporary file at the ranges of want equal the source's. */
static int temp_holds(const store_guid_t *id, const store_range_t *ranges, size_t count)
{
    store_file_t f = file_row(id);
    FILE *fp = f.temp_name ? fopen(f.temp_name, "rb") : NULL;
    int ok = fp != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        uint8_t *buf = malloc(ranges[i].length);
        ok = buf && fseek(fp, (long)ranges[i].offset, SEEK_SET) == 0 &&
             fread(buf, 1, ranges[i].length, fp) == ranges[i].length &&
             !memcmp(buf, f_d.data + ranges[i].offset, ranges[i].length);
        free(buf);
    }
    if (fp)
        fclose(fp);
    store_file_clear(&f);
    return ok;
}

/* A job of the BITS classes in on-demand mode, with one file. */
static store_guid_t on_demand_job(const char *name, const char *remote, const char *local)
{
    store_guid_t id = {{0}};
    CHECK_HR(jobs_create_kind(jobs, alice, STORE_KIND_BITS, name, JOB_TYPE_DOWNLOAD, &id), HR_OK,
             "create a BITS job");
    job_value_t on = {.number = 1};
    CHECK_HR(jobs_set(jobs, alice, &id, JOB_PROP_ON_DEMAND, &on), HR_OK, "on-demand mode set");
    job_file_spec_t file = {remote, local, NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    CHECK_HR(jobs_add_files(jobs, alice, &id, &file, 1, NULL), HR_OK, "add file");
    return id;
}

/* ---- rules ------------------------------------------------------------------------------------------ */

static void test_rules(void)
{
    store_guid_t plain = {{0}};
    job_value_t on = {.number = 1}, two = {.number = 2};
    jobs_create(jobs, alice, "plain", JOB_TYPE_DOWNLOAD, &plain);
    CHECK_HR(jobs_set(jobs, alice, &plain, JOB_PROP_ON_DEMAND, &two), T_E_INVALIDARG, "rules: on-demand value 2");
    job_file_spec_t file = {"http://127.0.0.1:1/x", "C:/dl/plain.bin", NULL, JOB_SIZE_UNKNOWN, NULL, 0};
    jobs_add_files(jobs, alice, &plain, &file, 1, NULL);
    store_range_t r = {0, 10};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &plain, 0, &r, 1), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "rules: RequestFileRanges on a job not on demand");
    CHECK_HR(jobs_update_download_position(jobs, alice, &plain, 0, 5), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "rules: UpdateDownloadPosition on a job not on demand");
    store_range_t *filled = NULL;
    size_t n = 0;
    CHECK_HR(jobs_get_filled_ranges(jobs, alice, &plain, 0, &filled, &n), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "rules: GetFilledFileRanges on a job not on demand");
    job_value_t flags = {.number = 0x23};
    CHECK_HR(jobs_set(jobs, alice, &plain, JOB_PROP_NOTIFY_FLAGS, &flags), T_E_NOTIMPL,
             "rules: BG_NOTIFY_FILE_RANGES_TRANSFERRED refused for a job of the DO class");
    jobs_suspend(jobs, alice, &plain);
    jobs_resume(jobs, alice, &plain);
    CHECK_HR(jobs_set(jobs, alice, &plain, JOB_PROP_ON_DEMAND, &on), T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
             "rules: on-demand mode after the first Resume");
    uint32_t ms = 0;
    CHECK(jobs_notification_interval(jobs, alice, &plain, &ms) == HR_OK && ms == 500,
          "rules: the minimum notification interval is 500 ms by default");
    CHECK_HR(jobs_set_notification_interval(jobs, alice, &plain, 250), HR_OK, "rules: interval set to 250 ms");
    CHECK(jobs_notification_interval(jobs, alice, &plain, &ms) == HR_OK && ms == 250, "rules: interval read back");
    caller_t bob = {"S-1-5-21-1-1-1-1002", 0};
    CHECK_HR(jobs_set_notification_interval(jobs, &bob, &plain, 1), 0x80070005u,
             "rules: another user may not set the interval");
    jobs_cancel(jobs, alice, &plain);
    CHECK_HR(jobs_notification_interval(jobs, alice, &plain, &ms), T_DO_E_INVALID_STATE,
             "rules: the interval of a cancelled job");

    store_guid_t local = on_demand_job("local", "C:/src/d.bin", "C:/dl/local.bin");
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &local, 0, &r, 1), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "rules: RequestFileRanges on a local source");
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &local, 0, NULL, 1), T_E_INVALIDARG, "rules: NULL ranges");
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &local, 0, &r, 0), T_E_INVALIDARG, "rules: no ranges");
    jobs_cancel(jobs, alice, &local);
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &local, 0, &r, 1), T_DO_E_INVALID_STATE,
             "rules: RequestFileRanges on a cancelled job");
}

/* ---- downloads ------------------------------------------------------------------------------------- */

static int count_range_events(const store_guid_t *id);

static void test_no_ranges_server(void)
{
    char u[300];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/norange/d.bin", fault_port);
    store_guid_t id = on_demand_job("no ranges", u, "C:/dl/norange.bin");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "no ranges: the size probe fails: ERROR");
    store_range_t r = {0, 10};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &r, 1), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "no ranges: RequestFileRanges refused once the server refused a range");
    jobs_cancel(jobs, alice, &id);
}

/* A file added with ranges to an on-demand job is downloaded as such; File6 refuses it. */
static void test_ranged_file(void)
{
    char u[300];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/file/r.bin", fault_port);
    store_guid_t id = {{0}};
    jobs_create_kind(jobs, alice, STORE_KIND_BITS, "ranged", JOB_TYPE_DOWNLOAD, &id);
    jobs_set(jobs, alice, &id, JOB_PROP_ON_DEMAND, &(job_value_t){.number = 1});
    store_range_t ranges[] = {{1000, 500}, {5000, 100}};
    job_file_spec_t file = {u, "C:/dl/ranged.bin", NULL, JOB_SIZE_UNKNOWN, ranges, 2};
    CHECK_HR(jobs_add_files(jobs, alice, &id, &file, 1, NULL), HR_OK, "ranged file: AddFileWithRanges");
    store_range_t r = {0, 10};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &r, 1), T_BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
             "ranged file: RequestFileRanges refused (a multi-range file)");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "ranged file: its ranges downloaded: TRANSFERRED");
    store_file_t f = file_row(&id);
    CHECK(f.bytes_total == 600 && f.bytes_transferred == 600, "ranged file: the ranges' bytes, as AddFileWithRanges");
    store_file_clear(&f);
    jobs_cancel(jobs, alice, &id);
}

static void test_download(void)
{
    char u[300];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/file/d.bin", fault_port);
    store_guid_t id = on_demand_job("on demand", u, "C:/dl/d.bin");
    job_value_t flags = {.number = 0x3};
    jobs_set(jobs, alice, &id, JOB_PROP_NOTIFY_FLAGS, &flags);

    store_range_t eof = {100, UINT64_MAX};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &eof, 1), T_E_PENDING,
             "download: a to-EOF range before the size is known");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "download: Resume");
    CHECK(wait_state(&id, JOB_STATE_SUSPENDED, 10000), "download: the size learned, nothing asked: SUSPENDED");
    store_file_t f = file_row(&id);
    CHECK(f.bytes_total == f_d.size && f.bytes_transferred == 1, "download: size known, the probe's byte kept");
    store_file_clear(&f);
    CHECK(filled_is(&id, "0+1"), "download: filled = the first byte");

    store_range_t past = {f_d.size - 10, 11}, at_end = {f_d.size, 1};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &past, 1), T_DO_E_INVALID_RANGE,
             "download: a range past the end of the file");
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &at_end, 1), T_DO_E_INVALID_RANGE,
             "download: a range at the end of the file");
    CHECK_HR(jobs_update_download_position(jobs, alice, &id, 0, f_d.size), T_DO_E_INVALID_RANGE,
             "download: a download position at the end");

    /* two ranges, one overlapping the filled byte, one given twice, overlapping itself */
    store_range_t two[] = {{0, 20000}, {150000, 40000}, {160000, 10000}};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, two, 3), HR_OK, "download: RequestFileRanges");
    CHECK_HR(jobs_update_download_position(jobs, alice, &id, 0, 100000), HR_OK, "download: UpdateDownloadPosition");
    CHECK_HR(jobs_set(jobs, alice, &id, JOB_PROP_NOTIFY_FLAGS, &(job_value_t){.number = 0x3 | 0x20}), HR_OK,
             "download: BG_NOTIFY_FILE_RANGES_TRANSFERRED accepted for a BITS job");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "download: Resume with ranges pending");
    CHECK(wait_state(&id, JOB_STATE_SUSPENDED, 10000), "download: the requested ranges arrived: SUSPENDED");
    CHECK(filled_is(&id, "0+4e20,249f0+9c40"), "download: GetFilledFileRanges = the ranges, merged and sorted");
    store_range_t expect[] = {{0, 20000}, {150000, 40000}};
    CHECK(temp_holds(&id, expect, 2), "download: the temporary file holds the source's bytes at those offsets");
    ull requests, bytes;
    fault_stats("/file/d.bin", &requests, &bytes);
    if (!CHECK(bytes == 1 + 19999 + 40000, "download: only missing bytes were fetched (the probe byte once)"))
        printf("#   %llu bytes in %llu requests\n", bytes, requests);

    store_range_t *told = NULL;
    size_t told_count = 0;
    CHECK_HR(jobs_take_transferred_ranges(jobs, &id, 0, &told, &told_count), HR_OK, "download: ranges to report");
    range_set_t told_set = {told, told_count};
    CHECK(set_is(&told_set, "1+4e1f,249f0+9c40"), "download: reported = the requested bytes fetched");
    range_set_free(&told_set);
    CHECK_HR(jobs_take_transferred_ranges(jobs, &id, 0, &told, &told_count), HR_FALSE,
             "download: reported once: nothing left");
    CHECK(count_range_events(&id) > 0, "download: FILE_RANGES_TRANSFERRED events emitted");

    /* restart: the filled ranges and the notification interval survive */
    CHECK_HR(jobs_set_notification_interval(jobs, alice, &id, 750), HR_OK, "restart: interval set to 750 ms");
    jobs_close(jobs);
    jobs = NULL;
    CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "restart: reopen");
    CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 4), HR_OK, "restart: enable again");
    CHECK(filled_is(&id, "0+4e20,249f0+9c40"), "restart: the filled ranges are kept");
    uint32_t interval = 0;
    CHECK(jobs_notification_interval(jobs, alice, &id, &interval) == HR_OK && interval == 750,
          "restart: the notification interval is kept (750 ms)");
    CHECK(state_of(&id) == JOB_STATE_SUSPENDED, "restart: still SUSPENDED");

    /* the rest: the whole file, overlapping what is there */
    store_range_t rest = {10, UINT64_MAX};
    CHECK_HR(jobs_request_file_ranges(jobs, alice, &id, 0, &rest, 1), HR_OK, "restart: request the rest (to EOF)");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "restart: Resume");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "restart: the whole file present: TRANSFERRED");
    CHECK(filled_is(&id, "0+493e0"), "restart: filled = the whole file");
    fault_stats("/file/d.bin", &requests, &bytes);
    if (!CHECK(bytes == f_d.size, "restart: every byte fetched exactly once"))
        printf("#   %llu bytes in %llu requests\n", bytes, requests);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "restart: Complete");
    uint8_t h[32];
    uint64_t size = 0;
    CHECK(sha256_file("C:/dl/d.bin", h, &size) == 0 && size == f_d.size && !memcmp(h, f_d.hash, 32),
          "restart: the file is byte-exact (SHA-256)");
}

/* ---- events ------------------------------------------------------------------------------------------- */

static pthread_mutex_t events_mu = PTHREAD_MUTEX_INITIALIZER;
static store_guid_t event_jobs[256];
static size_t event_count;

static void record_event(void *ctx, const store_guid_t *job, jobs_event_t event, uint32_t file_index)
{
    (void)ctx, (void)file_index;
    pthread_mutex_lock(&events_mu);
    if (event == JOBS_EVENT_FILE_RANGES_TRANSFERRED && event_count < 256)
        event_jobs[event_count++] = *job;
    pthread_mutex_unlock(&events_mu);
}

static int count_range_events(const store_guid_t *id)
{
    int n = 0;
    pthread_mutex_lock(&events_mu);
    for (size_t i = 0; i < event_count; i++)
        n += !memcmp(&event_jobs[i], id, sizeof *id);
    pthread_mutex_unlock(&events_mu);
    return n;
}

int main(void)
{
    test_range_sets();
    if (http_fixture_setup("on_demand") != 0)
        return 2;
    char logpath[400];
    snprintf(logpath, sizeof logpath, "%s/service.log", dir);
    log_open(logpath);
    int ok = CHECK(make_file(&f_d) == 0 && make_file(&f_r) == 0, "test files written") &&
             CHECK(start_fault_server(), "fault server started on a loopback port");
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    if (ok && http_fixture_enter_drive())
        CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "jobs_open");
    if (jobs && CHECK(jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, "transfers enabled")) {
        jobs_set_event_sink(jobs, record_event, NULL);
        test_rules();
        test_no_ranges_server();
        test_ranged_file();
        test_download();
    }
    jobs_close(jobs);
    log_close();
    http_fixture_teardown();
    free(f_d.data);
    free(f_r.data);
    return CHECK_EXIT_CODE();
}
