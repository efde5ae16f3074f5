/* Native tests of the scheduler (engine/scheduler/scheduler.c): the job manager with transfers enabled,
 * downloading from nginx and tests/fault_server.py on loopback ports; the events the service turns
 * into client callbacks (jobs_set_event_sink) and the per-file statistics of GetStats. Local names are Windows
 * drive paths ("C:/dl/x.bin"): the test runs in a temporary directory holding a "C:" directory,
 * so they resolve there (and the temp files "C:/dl\~opendo-....tmp" land in "C:"). */
#include <pthread.h>
#include <time.h>

#include "guid.h"
#include "http_fixture.h"
#include "machine_boot.h"
#include "jobs.h"
#include "log.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

static testfile_t f_a = {"a.bin", 1 * MiB, NULL, {0}};
static testfile_t f_b = {"b.bin", 400000, NULL, {0}};
static testfile_t f_s1 = {"s1.bin", 2500, NULL, {0}}; /* over /slow: 640 B/s */
static testfile_t f_s2 = {"s2.bin", 2500, NULL, {0}};
static testfile_t f_s3 = {"s3.bin", 2500, NULL, {0}};
static testfile_t f_r = {"r.bin", 2500, NULL, {0}};
static testfile_t f_e = {"e.bin", 2500, NULL, {0}}; /* the progress events test, over /slow */
static testfile_t f_m = {"m.bin", 300000, NULL, {0}}; /* the machine restart test */
static testfile_t f_n = {"n.bin", 200000, NULL, {0}};

static jobs_t *jobs;
static char db[400];
static const transfer_options_t options = {.checkpoint_bytes = 64 * KiB, .checkpoint_ms = 200};
static caller_t alice_c = {"S-1-5-21-1-1-1-1001", 0};
static const caller_t *alice = &alice_c;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static char *url(char *buf, int port, const char *path)
{
    snprintf(buf, 300, "http://127.0.0.1:%d%s", port, path);
    return buf;
}

static int32_t state_of(const store_guid_t *id)
{
    int32_t state = -1;
    jobs_state(jobs, alice, id, &state);
    return state;
}

static int wait_state(const store_guid_t *id, int32_t state, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (state_of(id) == state)
            return 1;
        sleep_ms(20);
    }
    printf("#   state %d, wanted %d\n", state_of(id), state);
    return 0;
}

static uint64_t file_bytes(const store_guid_t *id, uint32_t index)
{
    store_file_t f = {0};
    jobs_get_file(jobs, alice, id, index, &f);
    uint64_t n = f.bytes_transferred;
    store_file_clear(&f);
    return n;
}

static int wait_bytes(const store_guid_t *id, uint32_t index, uint64_t min, int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 20) {
        if (file_bytes(id, index) >= min && file_bytes(id, index) != UINT64_MAX)
            return 1;
        sleep_ms(20);
    }
    return 0;
}

static char *temp_of(const store_guid_t *id, uint32_t index, char *out, size_t size)
{
    store_file_t f = {0};
    jobs_get_file(jobs, alice, id, index, &f);
    snprintf(out, size, "%s", f.temp_name ? f.temp_name : "?");
    store_file_clear(&f);
    return out;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int hash_ok(const char *path, const testfile_t *t)
{
    uint8_t h[32];
    uint64_t size = 0;
    return sha256_file(path, h, &size) == 0 && size == t->size && !memcmp(h, t->hash, 32);
}

static void set_number(const store_guid_t *id, job_property_t p, uint32_t v)
{
    job_value_t value = {.number = v};
    CHECK_HR(jobs_set(jobs, alice, id, p, &value), HR_OK, "set a job property");
}

/* Does the job's error say code, context and file index? */
static int job_error_is(const store_guid_t *id, uint32_t code, int32_t context, int32_t file_index)
{
    store_job_t job = {0};
    jobs_get(jobs, alice, id, &job);
    int same = job.error_code == code && job.error_context == context && job.error_file_index == file_index;
    store_job_clear(&job);
    return same;
}

/* A job of one or two files (remote2 NULL: one), with the priority given. */
static store_guid_t new_job(const char *name, int32_t priority, const char *remote1, const char *local1,
                            const char *remote2, const char *local2)
{
    store_guid_t id = {{0}};
    CHECK_HR(jobs_create(jobs, alice, name, JOB_TYPE_DOWNLOAD, &id), HR_OK, "create job");
    job_file_spec_t files[2] = {{remote1, local1, NULL, JOB_SIZE_UNKNOWN, NULL, 0},
                                {remote2, local2, NULL, JOB_SIZE_UNKNOWN, NULL, 0}};
    CHECK_HR(jobs_add_files(jobs, alice, &id, files, remote2 ? 2 : 1, NULL), HR_OK, "add files");
    set_number(&id, JOB_PROP_PRIORITY, (uint32_t)priority);
    return id;
}

static void test_two_files(void)
{
    char u1[300], u2[300], t0[300], t1[300];
    store_guid_t id = new_job("two", JOB_PRIORITY_NORMAL, url(u1, nginx_port, "/a.bin"), "C:/dl/a.bin",
                              url(u2, nginx_port, "/b.bin"), "C:/dl/b.bin");
    int64_t before = store_now_filetime();
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "two files: resume");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "two files: job TRANSFERRED");
    job_progress_t p = {0};
    jobs_progress(jobs, alice, &id, &p);
    CHECK(p.bytes_total == f_a.size + f_b.size && p.bytes_transferred == p.bytes_total &&
              p.files_total == 2 && p.files_transferred == 2,
          "two files: progress complete (bytes and files)");
    store_job_t job = {0};
    jobs_get(jobs, alice, &id, &job);
    CHECK(job.transfer_completion_time >= before && job.transfer_completion_time <= store_now_filetime(),
          "two files: TransferCompletionTime set");
    store_job_clear(&job);
    temp_of(&id, 0, t0, sizeof t0);
    temp_of(&id, 1, t1, sizeof t1);
    CHECK(hash_ok(t0, &f_a) && hash_ok(t1, &f_b), "two files: temp files hold the content");
    store_file_t file = {0};
    jobs_get_file(jobs, alice, &id, 0, &file);
    CHECK(file.response_headers && !strncmp(file.response_headers, "HTTP/1.1 200", 12) &&
              strstr(file.response_headers, "Content-Length: 1048576"),
          "two files: the response headers are recorded (HTTP_RESPONSE_HEADERS)");
    store_file_clear(&file);
    CHECK(!exists("C:/dl/a.bin"), "two files: nothing at the local name before Complete");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "two files: Complete");
    CHECK(hash_ok("C:/dl/a.bin", &f_a) && hash_ok("C:/dl/b.bin", &f_b),
          "two files: Complete renamed both into place (SHA-256)");
    CHECK(!exists(t0) && !exists(t1), "two files: temp files gone");
    CHECK_HR(jobs_lookup(jobs, alice, &id), 0x80D02003u, "two files: job gone after Complete");
}

static char logpath[400]; /* the service log of this test */

/* Does the service log hold a line with both texts? */
static int log_has_line(const char *a, const char *b)
{
    FILE *f = fopen(logpath, "r");
    char line[2048];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, a) && strstr(line, b);
    if (f)
        fclose(f);
    return found;
}

static void test_cancel(void)
{
    char u[300], t[300];
    FILE *f = fopen("C:/dl/keep.bin", "wb");
    fputs("keep", f);
    fclose(f);
    store_guid_t id = new_job("cancel", JOB_PRIORITY_NORMAL, url(u, fault_port, "/slow/s1.bin"),
                              "C:/dl/keep.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_bytes(&id, 0, 1, 5000), "cancel: transfer under way");
    temp_of(&id, 0, t, sizeof t);
    CHECK(exists(t), "cancel: temp file exists mid-transfer");
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "cancel: Cancel mid-transfer");
    char id_text[GUID_STRING_SIZE];
    guid_format(&id, id_text);
    CHECK(log_has_line(id_text, "cancelled by S-1-5-21-1-1-1-1001 (was TRANSFERRING)"),
          "cancel: the log says the job was TRANSFERRING (what its client saw), not the service's own stop");
    CHECK(!exists(t), "cancel: temp file removed");
    char buf[16] = {0};
    f = fopen("C:/dl/keep.bin", "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == 4 && !strcmp(buf, "keep"), "cancel: the file at the local name untouched");
    CHECK_HR(jobs_lookup(jobs, alice, &id), 0x80D02003u, "cancel: job gone");
}

/* The 30-day expiry (here: every job older than 0 s) stops the transfer and deletes the
 * temporary file, like a Cancel. */
static void test_expiry(void)
{
    char u[300], t[300];
    store_guid_t id = new_job("expiry", JOB_PRIORITY_NORMAL, url(u, fault_port, "/slow/s1.bin"),
                              "C:/dl/expired.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_bytes(&id, 0, 1, 5000), "expiry: transfer under way");
    temp_of(&id, 0, t, sizeof t);
    size_t expired = 0;
    CHECK_HR(jobs_expire(jobs, 0, &expired), HR_OK, "expiry: expire every job older than now");
    CHECK(expired >= 1, "expiry: the job expired");
    CHECK(!exists(t) && !exists("C:/dl/expired.bin"), "expiry: its temporary file removed, nothing at the local name");
    CHECK_HR(jobs_lookup(jobs, alice, &id), 0x80D02003u, "expiry: job gone");
}

static void test_suspend_resume(void)
{
    char u[300];
    store_guid_t id = new_job("suspend", JOB_PRIORITY_NORMAL, url(u, fault_port, "/slow/s2.bin"),
                              "C:/dl/s2.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_bytes(&id, 0, 1000, 8000), "suspend: 1000 bytes checkpointed");
    CHECK_HR(jobs_suspend(jobs, alice, &id), HR_OK, "suspend: Suspend mid-transfer");
    sleep_ms(500);
    CHECK(state_of(&id) == JOB_STATE_SUSPENDED, "suspend: job SUSPENDED");
    uint64_t p = file_bytes(&id, 0);
    ull r1, b1, r2, b2;
    fault_stats("/slow/s2.bin", &r1, &b1);
    sleep_ms(300);
    CHECK(file_bytes(&id, 0) == p && p >= 1000 && p < f_s2.size, "suspend: progress kept, nothing moves");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "suspend: Resume");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "suspend: TRANSFERRED after Resume");
    fault_stats("/slow/s2.bin", &r2, &b2);
    if (!CHECK(r2 == r1 + 1 && b2 - b1 <= f_s2.size - p, "suspend: resumed at the checkpoint (no re-fetch)"))
        printf("#   requests %llu -> %llu, bytes %llu -> %llu, checkpoint %llu\n", r1, r2, b1, b2, (ull)p);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "suspend: Complete");
    CHECK(hash_ok("C:/dl/s2.bin", &f_s2), "suspend: content right (SHA-256)");
}

static void check_error(const store_guid_t *id, int32_t state, uint32_t code, int32_t context, const char *name)
{
    store_job_t job = {0};
    jobs_get(jobs, alice, id, &job);
    if (!CHECK(job.state == state && job.error_code == code && job.error_context == context &&
                   job.error_file_index == 0 && job.error_count >= 1 && job.error_detail,
               name))
        printf("#   state %d code 0x%08x context %d index %d count %u\n", job.state,
               (unsigned)job.error_code, job.error_context, job.error_file_index, job.error_count);
    store_job_clear(&job);
}

static void test_errors(void)
{
    char u[300];
    store_guid_t id = new_job("404", JOB_PRIORITY_NORMAL, url(u, nginx_port, "/missing.bin"),
                              "C:/dl/missing.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 5000), "404: job ERROR");
    check_error(&id, JOB_STATE_ERROR, 0x80190194u, 5, "404: code 0x80190194, context REMOTE_FILE, file 0");
    store_file_t file = {0};
    jobs_get_file(jobs, alice, &id, 0, &file);
    CHECK(file.response_headers && strncmp(file.response_headers, "HTTP/1.1 404 Not Found\r\n", 24) == 0 &&
              strstr(file.response_headers, "\r\nServer: nginx"),
          "404: the file keeps the server's answer (status line and headers) for doadmin /why");
    store_file_clear(&file);
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "404: Cancel");

    id = new_job("flaky", JOB_PRIORITY_NORMAL, url(u, fault_port, "/flaky/1/b.bin"), "C:/dl/flaky.bin",
                 NULL, NULL);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 1);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSIENT_ERROR, 5000), "500: job TRANSIENT_ERROR");
    store_job_t job = {0};
    jobs_get(jobs, alice, &id, &job);
    if (!CHECK(job.error_count == 1 && job.error_file_index == 0 && job.error_code == 0x801901F4u &&
                   job.error_context == 5,
               "500: transient error recorded (HTTP 500: 0x801901F4, REMOTE_FILE, file 0, count 1)"))
        printf("#   code 0x%08x context %d: %s\n", (unsigned)job.error_code, job.error_context,
               job.error_detail ? job.error_detail : "");
    store_job_clear(&job);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "500: TRANSFERRED after the retry delay");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "500: Complete");
    CHECK(hash_ok("C:/dl/flaky.bin", &f_b), "500: content right");

    char path[64];
    snprintf(path, sizeof path, "/x.bin");
    id = new_job("dead", JOB_PRIORITY_NORMAL, url(u, free_port(), path), "C:/dl/dead.bin", NULL, NULL);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 1);
    set_number(&id, JOB_PROP_NO_PROGRESS_TIMEOUT, 2);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "no progress: job ERROR");
    check_error(&id, JOB_STATE_ERROR, 0x80D02002u, 5, "no progress: DO_E_DOWNLOAD_NO_PROGRESS, context REMOTE_FILE");
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "no progress: Cancel");
}

static void test_restart(void)
{
    char u[300];
    store_guid_t id = new_job("restart", JOB_PRIORITY_NORMAL, url(u, fault_port, "/slow/r.bin"),
                              "C:/dl/r.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_bytes(&id, 0, 500, 8000), "restart: 500 bytes checkpointed");
    jobs_disable_transfers(jobs);
    uint64_t p = file_bytes(&id, 0);
    CHECK(state_of(&id) == JOB_STATE_TRANSFERRING, "restart: job keeps its state when disabled");
    jobs_close(jobs);
    jobs = NULL;
    CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "restart: reopen");
    CHECK(file_bytes(&id, 0) == p, "restart: checkpoint durable across close");
    CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 4), HR_OK, "restart: enable again");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "restart: resumes and completes");
    ull r, b;
    fault_stats("/slow/r.bin", &r, &b);
    if (!CHECK(r == 2 && b <= f_r.size + 200, "restart: second request from the checkpoint"))
        printf("#   requests %llu bytes %llu checkpoint %llu\n", r, b, (ull)p);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "restart: Complete");
    CHECK(hash_ok("C:/dl/r.bin", &f_r), "restart: content right (SHA-256)");
}

static void test_foreground(void)
{
    jobs_disable_transfers(jobs);
    CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 1), HR_OK, "foreground: enable, 1 background");
    char u1[300], u2[300], u3[300];
    store_guid_t bg1 = new_job("bg1", JOB_PRIORITY_NORMAL, url(u1, fault_port, "/slow/s3.bin"),
                               "C:/dl/s3.bin", NULL, NULL);
    store_guid_t bg2 = new_job("bg2", JOB_PRIORITY_HIGH, url(u2, nginx_port, "/a.bin"), "C:/dl/bg2.bin",
                               NULL, NULL);
    store_guid_t fg = new_job("fg", JOB_PRIORITY_FOREGROUND, url(u3, nginx_port, "/b.bin"),
                              "C:/dl/fg.bin", NULL, NULL);
    jobs_resume(jobs, alice, &bg1);
    CHECK(wait_bytes(&bg1, 0, 1, 5000), "foreground: background job running");
    jobs_resume(jobs, alice, &bg2);
    jobs_resume(jobs, alice, &fg);
    CHECK(wait_state(&fg, JOB_STATE_TRANSFERRED, 10000), "foreground: starts and finishes at once");
    CHECK(state_of(&bg2) == JOB_STATE_QUEUED && state_of(&bg1) == JOB_STATE_TRANSFERRING,
          "foreground: second background job waits (limit 1)");
    CHECK_HR(jobs_cancel(jobs, alice, &bg1), HR_OK, "foreground: cancel the running one");
    CHECK(wait_state(&bg2, JOB_STATE_TRANSFERRED, 10000), "foreground: the waiting job then runs");
    CHECK_HR(jobs_complete(jobs, alice, &fg), HR_OK, "foreground: Complete");
    CHECK_HR(jobs_complete(jobs, alice, &bg2), HR_OK, "foreground: Complete background");
    CHECK(hash_ok("C:/dl/fg.bin", &f_b) && hash_ok("C:/dl/bg2.bin", &f_a), "foreground: contents right");
}

static void test_rename_failure(void)
{
    char u[300];
    store_guid_t id = new_job("norename", JOB_PRIORITY_FOREGROUND, url(u, nginx_port, "/b.bin"),
                              "C:/nodir/b.bin", NULL, NULL);
    mkdir("C:/nodir", 0700);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "rename failure: TRANSFERRED");
    char t[300];
    temp_of(&id, 0, t, sizeof t);
    rmdir("C:/nodir"); /* the destination directory is gone: the rename fails */
    hr_t hr = jobs_complete(jobs, alice, &id);
    CHECK(HR_FAILED(hr), "rename failure: Complete returns the error");
    CHECK(state_of(&id) == JOB_STATE_TRANSFERRED && exists(t), "rename failure: job and temp file kept");
    mkdir("C:/nodir", 0700);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "rename failure: Complete retried");
    CHECK(hash_ok("C:/nodir/b.bin", &f_b), "rename failure: then in place");
}

/* ---- events (jobs_set_event_sink) ------------------------------------------------------------- */

typedef struct recorded {
    store_guid_t job;
    jobs_event_t event;
    uint32_t file_index;
    int32_t state;   /* the job's state read through the API from inside the receiver */
    uint64_t ms;     /* when it arrived */
} recorded_t;

#define RECORDED_MAX 4096
static recorded_t recorded[RECORDED_MAX];
static size_t recorded_count;
static pthread_mutex_t recorded_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* The receiver. It reads the job's state through the API, which takes the store lock: were the
 * event handed over with that lock held by this thread, the read would deadlock (the watchdog
 * reports it), and the state it sees shows the change was committed first. */
static void record_event(void *ctx, const store_guid_t *job, jobs_event_t event, uint32_t file_index)
{
    (void)ctx;
    int32_t state = -1;
    jobs_state(jobs, alice, job, &state);
    pthread_mutex_lock(&recorded_mu);
    if (recorded_count < RECORDED_MAX)
        recorded[recorded_count++] = (recorded_t){*job, event, file_index, state, mono_ms()};
    pthread_mutex_unlock(&recorded_mu);
}

/* The events of one job so far, in arrival order (at most max). */
static size_t events_of(const store_guid_t *id, recorded_t *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&recorded_mu);
    for (size_t i = 0; i < recorded_count && n < max; i++)
        if (!memcmp(&recorded[i].job, id, sizeof *id))
            out[n++] = recorded[i];
    pthread_mutex_unlock(&recorded_mu);
    return n;
}

static size_t count_kind(const recorded_t *ev, size_t n, jobs_event_t kind)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ev[i].event == kind;
    return c;
}

static void print_events(const recorded_t *ev, size_t n)
{
    static const char *const names[] = {"MODIFIED", "FILE_TRANSFERRED", "TRANSFERRED", "ERROR"};
    for (size_t i = 0; i < n; i++)
        printf("#   %s file %d state %d at %llu\n", names[ev[i].event], (int)ev[i].file_index,
               ev[i].state, (ull)ev[i].ms);
}

#define NOTIFY_ALL 0x1Bu /* TRANSFERRED, ERROR, MODIFICATION, FILE_TRANSFERRED */

/* Only the last event is TRANSFERRED; FILE_TRANSFERRED 0, 1 come before it, in order, right
 * after the MODIFIED events of SetNotifyFlags, Resume, the start and the progress. */
static int transferred_sequence_ok(const recorded_t *ev, size_t n)
{
    if (n < 4 || ev[n - 1].event != JOBS_EVENT_TRANSFERRED || ev[n - 1].file_index != JOBS_NO_FILE ||
        count_kind(ev, n, JOBS_EVENT_TRANSFERRED) != 1 || count_kind(ev, n, JOBS_EVENT_ERROR))
        return 0;
    if (ev[n - 2].event != JOBS_EVENT_FILE_TRANSFERRED || ev[n - 2].file_index != 1)
        return 0;
    size_t first_file = 0;
    while (first_file < n && ev[first_file].event == JOBS_EVENT_MODIFIED)
        first_file++;
    return first_file >= 3 && first_file < n - 2 && ev[first_file].event == JOBS_EVENT_FILE_TRANSFERRED &&
           ev[first_file].file_index == 0 && count_kind(ev, n, JOBS_EVENT_FILE_TRANSFERRED) == 2;
}

static void test_events_download(void)
{
    char u1[300], u2[300];
    store_guid_t id = new_job("events", JOB_PRIORITY_NORMAL, url(u1, nginx_port, "/a.bin"), "C:/dl/ev-a.bin",
                              url(u2, nginx_port, "/b.bin"), "C:/dl/ev-b.bin");
    recorded_t ev[256];
    size_t n = events_of(&id, ev, 256);
    CHECK(n == 0, "events: none for CreateJob, AddFile, SetPriority under the default flags 0x3");
    set_number(&id, JOB_PROP_NOTIFY_FLAGS, NOTIFY_ALL);
    n = events_of(&id, ev, 256);
    CHECK(n == 1 && ev[0].event == JOBS_EVENT_MODIFIED && ev[0].file_index == JOBS_NO_FILE &&
              ev[0].state == JOB_STATE_SUSPENDED,
          "events: SetNotifyFlags(0x1B) gave one MODIFIED before returning");
    CHECK_HR(jobs_resume(jobs, alice, &id), HR_OK, "events: resume");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "events: job TRANSFERRED");
    sleep_ms(100);
    n = events_of(&id, ev, 256);
    if (!CHECK(transferred_sequence_ok(ev, n),
               "events: MODIFIED (SetNotifyFlags, Resume, start, progress), FILE_TRANSFERRED 0 then 1, "
               "TRANSFERRED once and last"))
        print_events(ev, n);
    CHECK(ev[n - 1].state == JOB_STATE_TRANSFERRED,
          "events: the receiver reads TRANSFERRED at the TRANSFERRED event (committed first, no lock held)");
    size_t resumed = 1;
    CHECK(n > resumed + 1 && ev[resumed].event == JOBS_EVENT_MODIFIED &&
              ev[resumed + 1].event == JOBS_EVENT_MODIFIED,
          "events: Resume and the start (QUEUED -> TRANSFERRING) each gave a MODIFIED");
    store_file_t f0 = {0}, f1 = {0};
    jobs_get_file(jobs, alice, &id, 0, &f0);
    jobs_get_file(jobs, alice, &id, 1, &f1);
    if (!CHECK(f0.bytes_from_http >= f_a.size && f1.bytes_from_http >= f_b.size,
               "stats: the file rows record bytes_from_http >= each file's size"))
        printf("#   bytes %llu %llu\n", (ull)f0.bytes_from_http, (ull)f1.bytes_from_http);
    if (!CHECK(f0.http_connections == 1 && f1.http_connections == 1 && f0.download_ms < 15000 &&
                   f1.download_ms < 15000,
               "stats: each file used one connection (opened or cached), durations below the test's wait"))
        printf("#   connections %u %u, ms %llu %llu\n", f0.http_connections, f1.http_connections,
               (ull)f0.download_ms, (ull)f1.download_ms);
    store_file_clear(&f0);
    store_file_clear(&f1);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "events: Complete");
    sleep_ms(50);
    CHECK(events_of(&id, ev, 256) == n, "events: Complete (the job leaves) adds none");
}

/* Consecutive progress events are JOBS_PROGRESS_EVENT_MS apart (checkpoints come every 200 ms);
 * the file's statistics add up the transfer. */
static void test_events_progress(void)
{
    char u[300];
    store_guid_t id = new_job("progress events", JOB_PRIORITY_NORMAL, url(u, fault_port, "/slow/e.bin"),
                              "C:/dl/e.bin", NULL, NULL);
    set_number(&id, JOB_PROP_NOTIFY_FLAGS, NOTIFY_ALL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "progress events: TRANSFERRED");
    sleep_ms(100);
    recorded_t ev[256];
    size_t n = events_of(&id, ev, 256), gaps = 0;
    uint64_t gap[256];
    for (size_t i = 3, last = 0; i < n; i++) { /* after SetNotifyFlags, Resume and the start */
        if (ev[i].event != JOBS_EVENT_MODIFIED)
            continue;
        if (last)
            gap[gaps++] = ev[i].ms - ev[last].ms;
        last = i;
    }
    for (size_t i = 1; i < gaps; i++) /* sorted, for the median */
        for (size_t j = i; j > 0 && gap[j - 1] > gap[j]; j--) {
            uint64_t t = gap[j];
            gap[j] = gap[j - 1];
            gap[j - 1] = t;
        }
    /* Checkpoints come every 200 ms: without the limit most gaps would be 200 ms. The receiver
     * notes the time a little after the limiter does, hence the margin on the shortest gap. */
    if (!CHECK(gaps >= 2 && gap[gaps / 2] >= JOBS_PROGRESS_EVENT_MS && gap[0] >= JOBS_PROGRESS_EVENT_MS - 60,
               "progress events: several, spaced by the 250 ms limit (one job)"))
        printf("#   %zu gaps, shortest %llu ms, median %llu ms\n", gaps, gaps ? (ull)gap[0] : 0ull,
               gaps ? (ull)gap[gaps / 2] : 0ull);
    store_file_t f = {0};
    jobs_get_file(jobs, alice, &id, 0, &f);
    if (!CHECK(f.bytes_from_http == f_e.size && f.http_connections == 1 && f.download_ms >= 3000 &&
                   f.download_ms < 15000,
               "stats: 2500 bytes over one connection in about 4 s (640 B/s) recorded in the file row"))
        printf("#   bytes %llu connections %u ms %llu\n", (ull)f.bytes_from_http, f.http_connections,
               (ull)f.download_ms);
    store_file_clear(&f);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "progress events: Complete");
}

static void test_events_errors(void)
{
    char u[300];
    store_guid_t id = new_job("404 events", JOB_PRIORITY_NORMAL, url(u, nginx_port, "/missing.bin"),
                              "C:/dl/ev-missing.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 5000), "error events: 404 job ERROR");
    sleep_ms(100);
    recorded_t ev[256];
    size_t n = events_of(&id, ev, 256);
    if (!CHECK(n == 1 && ev[0].event == JOBS_EVENT_ERROR && ev[0].file_index == 0 &&
                   ev[0].state == JOB_STATE_ERROR,
               "error events: default flags 0x3: the ERROR event (file 0) alone, the job read as ERROR"))
        print_events(ev, n);
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "error events: Cancel");

    id = new_job("500 events", JOB_PRIORITY_NORMAL, url(u, fault_port, "/flaky/1/e.bin"), "C:/dl/ev-flaky.bin",
                 NULL, NULL);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 1);
    set_number(&id, JOB_PROP_NOTIFY_FLAGS, NOTIFY_ALL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "error events: 500 then TRANSFERRED");
    sleep_ms(100);
    n = events_of(&id, ev, 256);
    size_t transient = 0;
    for (size_t i = 0; i < n; i++)
        transient += ev[i].event == JOBS_EVENT_MODIFIED && ev[i].state == JOB_STATE_TRANSIENT_ERROR;
    if (!CHECK(!count_kind(ev, n, JOBS_EVENT_ERROR) && transient >= 1 &&
                   count_kind(ev, n, JOBS_EVENT_TRANSFERRED) == 1,
               "error events: TRANSIENT_ERROR gives MODIFIED, never ERROR; then TRANSFERRED"))
        print_events(ev, n);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "error events: Complete");
}

static void test_events_api(void)
{
    char u[300];
    store_guid_t id = new_job("api events", JOB_PRIORITY_NORMAL, url(u, nginx_port, "/a.bin"), "C:/dl/api.bin",
                              NULL, NULL);
    set_number(&id, JOB_PROP_NOTIFY_FLAGS, NOTIFY_ALL);
    recorded_t ev[64];
    size_t before = events_of(&id, ev, 64);
    job_value_t bad = {.number = 0x20}; /* FILE_RANGES_TRANSFERRED: refused */
    CHECK_HR(jobs_set(jobs, alice, &id, JOB_PROP_NOTIFY_FLAGS, &bad), 0x80004001u, "api events: a refused setter");
    CHECK(events_of(&id, ev, 64) == before, "api events: a refused setter gives no event");
    CHECK_HR(jobs_remove_credentials(jobs, alice, &id, 1, 1), HR_FALSE, "api events: nothing to remove (S_FALSE)");
    CHECK(events_of(&id, ev, 64) == before, "api events: a call that changes nothing gives no event");
    CHECK_HR(jobs_suspend(jobs, alice, &id), HR_OK, "api events: Suspend");
    CHECK(events_of(&id, ev, 64) == before + 1 && ev[before].event == JOBS_EVENT_MODIFIED &&
              ev[before].state == JOB_STATE_SUSPENDED,
          "api events: Suspend gave one MODIFIED before returning");
    jobs_set_event_sink(jobs, NULL, NULL);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 5);
    CHECK(events_of(&id, ev, 64) == before + 1, "api events: none once the receiver is removed");
    jobs_set_event_sink(jobs, record_event, NULL);
    set_number(&id, JOB_PROP_NOTIFY_FLAGS, NOTIFY_ALL | 0x4);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 6);
    CHECK_HR(jobs_suspend(jobs, alice, &id), HR_OK, "api events: Suspend again");
    CHECK(events_of(&id, ev, 64) == before + 1, "api events: none under BG_NOTIFY_DISABLE (0x1F)");
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "api events: Cancel");

    CHECK(jobs_event_wanted(0x3, JOBS_EVENT_TRANSFERRED) && jobs_event_wanted(0x3, JOBS_EVENT_ERROR) &&
              !jobs_event_wanted(0x3, JOBS_EVENT_MODIFIED) && !jobs_event_wanted(0x3, JOBS_EVENT_FILE_TRANSFERRED),
          "wanted: the default flags 0x3 ask for TRANSFERRED and ERROR only");
    CHECK(jobs_event_wanted(0x8, JOBS_EVENT_MODIFIED) && jobs_event_wanted(0x10, JOBS_EVENT_FILE_TRANSFERRED) &&
              !jobs_event_wanted(0x8, JOBS_EVENT_TRANSFERRED) && !jobs_event_wanted(0x10, JOBS_EVENT_ERROR),
          "wanted: MODIFICATION 0x8 and FILE_TRANSFERRED 0x10 each ask for their event alone");
    CHECK(!jobs_event_wanted(0x1F, JOBS_EVENT_TRANSFERRED) && !jobs_event_wanted(0x1F, JOBS_EVENT_MODIFIED) &&
              !jobs_event_wanted(0x4, JOBS_EVENT_ERROR),
          "wanted: DISABLE 0x4 overrides every other flag");
}

/* The background cap slows background jobs only: under a 128 KiB/s cap a FOREGROUND job of
 * 1 MiB finishes while a background one of the same file is still far from done. */
static void test_background_cap(void)
{
    CHECK_HR(jobs_set_bandwidth(jobs, TRANSFER_CAP_BACKGROUND, 128 * 1024), HR_OK, "cap: 128 KiB/s for background jobs");
    char u1[300], u2[300];
    store_guid_t bg = new_job("capped", JOB_PRIORITY_NORMAL, url(u1, nginx_port, "/a.bin"),
                              "C:/dl/capped.bin", NULL, NULL);
    store_guid_t fg = new_job("uncapped", JOB_PRIORITY_FOREGROUND, url(u2, nginx_port, "/a.bin"),
                              "C:/dl/uncapped.bin", NULL, NULL);
    uint64_t start = mono_ms();
    jobs_resume(jobs, alice, &bg);
    CHECK(wait_bytes(&bg, 0, 1, 5000), "cap: background job running");
    jobs_resume(jobs, alice, &fg);
    CHECK(wait_state(&fg, JOB_STATE_TRANSFERRED, 10000), "cap: the foreground job finishes");
    job_progress_t p = {0};
    jobs_progress(jobs, alice, &bg, &p);
    /* 128 KiB/s, a 32 KiB burst, and one curl buffer (512 KiB) written into debt */
    uint64_t allowed = 32 * 1024 + (mono_ms() - start) * 128 * 1024 / 1000 + 512 * 1024;
    CHECK(p.bytes_transferred < f_a.size && p.bytes_transferred <= allowed,
          "cap: meanwhile the background job got no more than the cap allows");
    CHECK_HR(jobs_set_bandwidth(jobs, TRANSFER_CAP_BACKGROUND, 0), HR_OK, "cap: lifted");
    CHECK(wait_state(&bg, JOB_STATE_TRANSFERRED, 10000), "cap: then the background job finishes");
    CHECK_HR(jobs_complete(jobs, alice, &bg), HR_OK, "cap: Complete background");
    CHECK_HR(jobs_complete(jobs, alice, &fg), HR_OK, "cap: Complete foreground");
    CHECK(hash_ok("C:/dl/capped.bin", &f_a) && hash_ok("C:/dl/uncapped.bin", &f_a), "cap: contents right");
}

/* SetCredentials reaches the transfer: nginx /private/ wants Basic alice / s3cret. A wrong
 * password is an ERROR 401 with context REMOTE_FILE; the right one downloads. */
static void test_credentials(void)
{
    char u[300];
    store_guid_t id = new_job("credentials", JOB_PRIORITY_FOREGROUND, url(u, nginx_port, "/private/a.bin"),
                              "C:/dl/private.bin", NULL, NULL);
    CHECK_HR(jobs_set_credentials(jobs, alice, &id, 1, 1, "alice", "wrong", 5), HR_OK,
             "credentials: Basic, a wrong password");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "credentials: a wrong password gives ERROR");
    CHECK(job_error_is(&id, 0x80190191u, 5, 0), "credentials: 0x80190191, REMOTE_FILE");
    CHECK_HR(jobs_set_credentials(jobs, alice, &id, 1, 1, "alice", "s3cret", 6), HR_OK,
             "credentials: the right password");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "credentials: then the job downloads");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "credentials: Complete");
    CHECK(hash_ok("C:/dl/private.bin", &f_a), "credentials: content right");
}

/* SetValidationState(FALSE) on a downloaded file: ERROR with BG_E_VALIDATION_FAILED, the file's
 * progress back to 0; Resume downloads it again; TRUE then Complete puts it in place. */
static void test_validation_failed(void)
{
    char u[300];
    store_guid_t id = new_job("validation", JOB_PRIORITY_FOREGROUND, url(u, nginx_port, "/b.bin"),
                              "C:/dl/validated.bin", NULL, NULL);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "validation: the job reaches TRANSFERRED");
    CHECK_HR(jobs_set_file_validation(jobs, alice, &id, 0, 0), HR_OK, "validation: SetValidationState(FALSE)");
    CHECK(state_of(&id) == JOB_STATE_ERROR && job_error_is(&id, 0x80200053u, 5, 0),
          "validation: the job is in ERROR with BG_E_VALIDATION_FAILED (0x80200053), REMOTE_FILE, file 0");
    store_file_t file = {0};
    jobs_get_file(jobs, alice, &id, 0, &file);
    CHECK(file.bytes_transferred == 0 && file.validation_state == 0, "validation: the file's progress is back to 0");
    store_file_clear(&file);
    CHECK(log_has_line("job.error", "declared invalid"), "validation: the log says who declared the file invalid");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "validation: Resume downloads the file again");
    CHECK_HR(jobs_set_file_validation(jobs, alice, &id, 0, 1), HR_OK, "validation: SetValidationState(TRUE)");
    CHECK(state_of(&id) == JOB_STATE_TRANSFERRED, "validation: TRUE leaves the job TRANSFERRED");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "validation: Complete");
    CHECK(hash_ok("C:/dl/validated.bin", &f_b), "validation: content right");
}

/* SetValidationState(FALSE) on the first file while the second transfers: that transfer stops,
 * and the job stays in ERROR with the validation failure. */
static void test_validation_failed_while_next_transfers(void)
{
    char u1[300], u2[300];
    store_guid_t id = new_job("validation next", JOB_PRIORITY_NORMAL, url(u1, nginx_port, "/b.bin"),
                              "C:/dl/vn-b.bin", url(u2, fault_port, "/slow/s1.bin"), "C:/dl/vn-s1.bin");
    jobs_resume(jobs, alice, &id);
    CHECK(wait_bytes(&id, 1, 640, 8000), "validation, next file transferring: the second file is under way");
    CHECK_HR(jobs_set_file_validation(jobs, alice, &id, 0, 0), HR_OK,
             "validation, next file transferring: SetValidationState(FALSE) on the first file");
    sleep_ms(1000);
    ull r1, b1, r2, b2;
    fault_stats("/slow/s1.bin", &r1, &b1);
    sleep_ms(800);
    fault_stats("/slow/s1.bin", &r2, &b2);
    if (!CHECK(b2 == b1, "validation, next file transferring: the second file's transfer stopped"))
        printf("#   the server sent %llu bytes more\n", b2 - b1);
    CHECK(state_of(&id) == JOB_STATE_ERROR && job_error_is(&id, 0x80200053u, 5, 0),
          "validation, next file transferring: the job stays in ERROR with BG_E_VALIDATION_FAILED, file 0");
    jobs_cancel(jobs, alice, &id);
}

/* MaximumDownloadTime: a transfer that takes longer ends the job in ERROR with
 * BG_E_MAXDOWNLOAD_TIMEOUT, its bytes kept; without the limit, Resume finishes the file. */
static void test_max_download_time(void)
{
    char u[300];
    store_guid_t id = new_job("max download time", JOB_PRIORITY_FOREGROUND, url(u, fault_port, "/slow/s3.bin"),
                              "C:/dl/max-time.bin", NULL, NULL);
    set_number(&id, JOB_PROP_MAX_DOWNLOAD_TIME, 1);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 8000), "max download time 1 s: a 4 s transfer ends the job in ERROR");
    CHECK(job_error_is(&id, 0x80200054u, 2, 0),
          "max download time: BG_E_MAXDOWNLOAD_TIMEOUT (0x80200054), context GENERAL_QUEUE_MANAGER, file 0");
    uint64_t kept = file_bytes(&id, 0);
    CHECK(kept > 0 && kept < f_s3.size, "max download time: the bytes received are kept");
    CHECK(log_has_line("transfer.error", "BG_E_MAXDOWNLOAD_TIMEOUT"), "max download time: the log says why");
    set_number(&id, JOB_PROP_MAX_DOWNLOAD_TIME, 0); /* no limit */
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "max download time 0 (none): Resume finishes the file");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "max download time: Complete");
    CHECK(hash_ok("C:/dl/max-time.bin", &f_s3), "max download time: content right");
}

/* BG_SSL_IGNORE_* security flags: each https attempt says in the log which checks the job lets
 * pass, or that the administrator's AllowJobCertificateErrors = 0 overrules them. (The native
 * engine has no certificate hook: curl checks in full here; tls.sh shows the checks skipped.) */
static void test_certificate_errors_logged(void)
{
    if (!have_tls)
        return;
    char u[300];
    snprintf(u, sizeof u, "https://127.0.0.1:%d/b.bin", tls_port);
    store_guid_t id = new_job("ignores the CA", JOB_PRIORITY_FOREGROUND, u, "C:/dl/tls-ignore.bin", NULL, NULL);
    set_number(&id, JOB_PROP_SECURITY_FLAGS, 0x0008); /* BG_SSL_IGNORE_UNKNOWN_CA */
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "certificate errors: the attempt ends (no CA here)");
    char id_text[GUID_STRING_SIZE];
    guid_format(&id, id_text);
    CHECK(log_has_line(id_text, "tls.ignore file 0: the job's security flags (BG_SSL_IGNORE_UNKNOWN_CA) let these "
                                "certificate errors pass for https://"),
          "certificate errors: the log names the checks the job lets pass (WARN tls.ignore)");
    jobs_cancel(jobs, alice, &id);
    jobs_allow_certificate_errors(jobs, 0);
    id = new_job("policy says no", JOB_PRIORITY_FOREGROUND, u, "C:/dl/tls-policy.bin", NULL, NULL);
    set_number(&id, JOB_PROP_SECURITY_FLAGS, 0x0008);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "certificate errors, not allowed: the attempt ends");
    guid_format(&id, id_text);
    CHECK(log_has_line(id_text, "are not honoured (HKLM\\SOFTWARE\\opendo\\Security\\AllowJobCertificateErrors is 0)"),
          "certificate errors, not allowed: the log says the policy overrules the job's flags");
    jobs_cancel(jobs, alice, &id);
    jobs_allow_certificate_errors(jobs, 1);
}

/* SetSecurityFlags' redirect policy: DISALLOW makes a redirect an error (the 302 itself). */
static void test_redirect_policy(void)
{
    char u[300];
    store_guid_t id = new_job("no redirects", JOB_PRIORITY_FOREGROUND, url(u, fault_port, "/redirect/1/b.bin"),
                              "C:/dl/redirected.bin", NULL, NULL);
    set_number(&id, JOB_PROP_SECURITY_FLAGS, 0x0200); /* BG_HTTP_REDIRECT_POLICY_DISALLOW */
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_ERROR, 10000), "redirect policy DISALLOW: the job fails");
    CHECK(job_error_is(&id, 0x8019012Eu, 5, 0), "redirect policy DISALLOW: 0x8019012E (302), REMOTE_FILE");
    set_number(&id, JOB_PROP_SECURITY_FLAGS, 0x0000); /* ALLOW_SILENT */
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "redirect policy ALLOW_SILENT: the redirect is followed");
    store_file_t file = {0};
    CHECK(jobs_get_file(jobs, alice, &id, 0, &file) == HR_OK && strcmp(file.remote_name, u) == 0,
          "redirect policy ALLOW_SILENT: the remote name stays the one given");
    store_file_clear(&file);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "redirect policy: Complete");
    CHECK(hash_ok("C:/dl/redirected.bin", &f_b), "redirect policy: content right");

    char final[300];
    id = new_job("report redirects", JOB_PRIORITY_FOREGROUND, url(u, fault_port, "/redirect/2/b.bin"),
                 "C:/dl/reported.bin", NULL, NULL);
    set_number(&id, JOB_PROP_SECURITY_FLAGS, 0x0100); /* BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT */
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 10000), "redirect policy ALLOW_REPORT: the redirects are followed");
    url(final, fault_port, "/redirect/0/b.bin");
    CHECK(jobs_get_file(jobs, alice, &id, 0, &file) == HR_OK && strcmp(file.remote_name, final) == 0,
          "redirect policy ALLOW_REPORT: the remote name is the final URL (GetRemoteName)");
    store_file_clear(&file);
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "redirect policy ALLOW_REPORT: Complete");
    CHECK(hash_ok("C:/dl/reported.bin", &f_b), "redirect policy ALLOW_REPORT: content right");
}

/* A TRANSIENT_ERROR job whose ModificationTime a damaged row puts before 1601 (INT64_MIN): the
 * retry clock set after a restart overflowed (UBSan); such a job has waited long enough. */
static void test_damaged_retry_time(void)
{
    char u[300];
    store_guid_t id = new_job("damaged retry time", JOB_PRIORITY_NORMAL, url(u, nginx_port, "/b.bin"),
                              "C:/dl/damaged.bin", NULL, NULL);
    jobs_disable_transfers(jobs);
    jobs_close(jobs);
    jobs = NULL;
    store_t *store = NULL;
    store_job_t job = {0};
    int damaged = store_open(db, &store, NULL) == STORE_OK && store_job_get(store, &id, &job) == STORE_OK;
    job.state = JOB_STATE_TRANSIENT_ERROR;
    job.modification_time = INT64_MIN;
    job.min_retry_delay = 3600;
    damaged = damaged && store_job_update(store, &job) == STORE_OK;
    store_job_clear(&job);
    store_close(store);
    CHECK(damaged, "damaged retry time: TRANSIENT_ERROR, ModificationTime INT64_MIN, retry delay 1 h");
    CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "damaged retry time: reopen");
    CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 4), HR_OK, "damaged retry time: enable again");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED, 15000), "damaged retry time: retried at once, TRANSFERRED");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "damaged retry time: Complete");
    CHECK(hash_ok("C:/dl/damaged.bin", &f_b), "damaged retry time: content right");
}

static uint64_t file_durable(const store_guid_t *id)
{
    store_file_t f = {0};
    jobs_get_file(jobs, alice, id, 0, &f);
    uint64_t n = f.bytes_durable == f.bytes_transferred ? f.bytes_durable : UINT64_MAX;
    store_file_clear(&f);
    return n;
}

/* Until the job's file reports all of its bytes durable (its last flush ended after TRANSFERRED). */
static int wait_durable(const store_guid_t *id, uint64_t size)
{
    for (int t = 0; t < 10000; t += 20) {
        if (file_durable(id) == size)
            return 1;
        sleep_ms(20);
    }
    return 0;
}

/* Plays "the last flush had not ended": the file's durable bytes set in the store (jobs closed). */
static int set_durable(store_t *store, const store_guid_t *id, uint64_t durable)
{
    store_file_t f = {0};
    int ok = store_file_get(store, id, 0, &f) == STORE_OK;
    f.bytes_durable = durable;
    ok = ok && store_file_update(store, &f) == STORE_OK;
    store_file_clear(&f);
    return ok;
}

static int unflushed_count(const char *name)
{
    store_t *store = NULL;
    store_unflushed_t *list = NULL;
    size_t count = 0;
    int n = -1;
    if (store_open(db, &store, NULL) == STORE_OK && store_unflushed_list(store, &list, &count) == STORE_OK) {
        n = 0;
        for (size_t i = 0; i < count; i++)
            n += !strcmp(list[i].local_name, name);
    }
    store_unflushed_free(list, count);
    store_close(store);
    return n;
}

static int reopen(int64_t boot, const char *what)
{
    jobs_close(jobs);
    jobs = NULL;
    int ok = jobs_open(db, &jobs, NULL) == HR_OK;
    if (ok && boot)
        jobs_set_machine_boot(jobs, boot);
    return CHECK(ok && jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, what);
}

/* docs/transfer.md "Durability": after a restart of the service the bytes written count; after a
 * restart of the machine only those known durable, and completed files whose last flush had not
 * ended are named. */
static void test_machine_restart(void)
{
    char u1[300], u2[300];
    store_guid_t m = new_job("machine restart", JOB_PRIORITY_NORMAL, url(u1, fault_port, "/file/m.bin"),
                             "C:/dl/m.bin", NULL, NULL);
    store_guid_t n = new_job("unflushed", JOB_PRIORITY_NORMAL, url(u2, fault_port, "/file/n.bin"),
                             "C:/dl/n.bin", NULL, NULL);
    jobs_resume(jobs, alice, &m);
    jobs_resume(jobs, alice, &n);
    CHECK(wait_state(&m, JOB_STATE_TRANSFERRED, 10000) && wait_state(&n, JOB_STATE_TRANSFERRED, 10000) &&
              wait_durable(&m, f_m.size) && wait_durable(&n, f_n.size),
          "durability: TRANSFERRED, then the last flush records every byte durable");
    jobs_close(jobs);
    jobs = NULL;
    store_t *store = NULL;
    int tampered = store_open(db, &store, NULL) == STORE_OK && set_durable(store, &m, 100000) &&
                   set_durable(store, &n, 0);
    store_close(store);
    CHECK(tampered, "durability: the store says 100000 of m.bin and none of n.bin are durable");
    if (!reopen(0, "durability: the service restarts, the machine did not"))
        return;
    CHECK(state_of(&m) == JOB_STATE_TRANSFERRED && file_bytes(&m, 0) == f_m.size &&
              !log_has_line("job.recover", "m.bin"),
          "durability, same boot: the written bytes count (the system kept them): still TRANSFERRED");
    CHECK_HR(jobs_complete(jobs, alice, &n), HR_OK, "durability: Complete n.bin, its bytes not known durable");
    jobs_close(jobs);
    jobs = NULL;
    CHECK(unflushed_count("C:/dl/n.bin") == 1, "durability: the completed file is remembered as unflushed");
    char m_text[GUID_STRING_SIZE];
    guid_format(&m, m_text);
    if (!reopen(machine_boot_time() + 3600, "durability: the machine restarted"))
        return;
    CHECK(log_has_line("file.unflushed", "\"C:/dl/n.bin\" (200000 bytes, file 0 of the job) may be incomplete"),
          "durability, machine restart: the log names the completed file that may be incomplete");
    CHECK(log_has_line(m_text, "job.recover the machine restarted before file 0's last 200000 bytes were known "
                               "to be on disk: it is fetched again from byte 100000 (TRANSFERRED -> QUEUED)"),
          "durability, machine restart: the log says m.bin falls back to its durable bytes");
    CHECK(wait_state(&m, JOB_STATE_TRANSFERRED, 10000), "durability, machine restart: m.bin TRANSFERRED again");
    ull requests, bytes;
    fault_stats("/file/m.bin", &requests, &bytes);
    if (!CHECK(requests == 2 && bytes == f_m.size + f_m.size - 100000,
               "durability, machine restart: fetched again from byte 100000, not before"))
        printf("#   requests %llu bytes %llu\n", requests, bytes);
    CHECK_HR(jobs_complete(jobs, alice, &m), HR_OK, "durability: Complete m.bin");
    CHECK(hash_ok("C:/dl/m.bin", &f_m) && hash_ok("C:/dl/n.bin", &f_n), "durability: both files right (SHA-256)");
    jobs_close(jobs);
    jobs = NULL;
    CHECK(unflushed_count("C:/dl/n.bin") == 0, "durability: the named file is forgotten");
    CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "durability: reopen for the end");
}

int main(void)
{
    if (http_fixture_setup("scheduler") != 0)
        return 2;
    snprintf(logpath, sizeof logpath, "%s/service.log", dir);
    log_open(logpath);

    int files_ok = make_file(&f_a) == 0 && make_file(&f_b) == 0 && make_file(&f_s1) == 0 &&
                   make_file(&f_s2) == 0 && make_file(&f_s3) == 0 && make_file(&f_r) == 0 &&
                   make_file(&f_e) == 0 && make_file(&f_m) == 0 && make_file(&f_n) == 0;
    CHECK(files_ok, "test files written");
    int servers = CHECK(start_nginx(), "nginx started on a loopback port") &
                  CHECK(start_fault_server(), "fault server started on a loopback port");
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    if (servers && files_ok && http_fixture_enter_drive())
        CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "jobs_open");
    if (jobs && CHECK(jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, "transfers enabled")) {
        CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 4), HR_FALSE, "enable twice: S_FALSE");
        jobs_set_event_sink(jobs, record_event, NULL);
        test_two_files();
        test_events_download();
        test_events_progress();
        test_events_errors();
        test_events_api();
        test_cancel();
        test_validation_failed();
        test_validation_failed_while_next_transfers();
        test_max_download_time();
        test_certificate_errors_logged();
        test_expiry();
        test_suspend_resume();
        test_errors();
        test_restart();
        test_foreground();
        test_background_cap();
        test_credentials();
        test_redirect_policy();
        test_rename_failure();
        test_damaged_retry_time();
        test_machine_restart();
    }
    jobs_close(jobs); /* disables transfers */
    log_close();
    http_fixture_teardown();
    free(f_a.data);
    free(f_b.data);
    free(f_s1.data);
    free(f_s2.data);
    free(f_s3.data);
    free(f_r.data);
    free(f_e.data);
    free(f_m.data);
    free(f_n.data);
    return CHECK_EXIT_CODE();
}
