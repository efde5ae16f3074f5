/* Native tests of the scheduler (engine/scheduler.c): the job manager with transfers enabled,
 * downloading from nginx and tests/fault_server.py on loopback ports. Local names are Windows
 * drive paths ("C:/dl/x.bin"): the test runs in a temporary directory holding a "C:" directory,
 * so they resolve there (and the temp files "C:/dl\~opendo-....tmp" land in "C:"). */
#include <time.h>

#include "http_fixture.h"
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
    CHECK(!exists("C:/dl/a.bin"), "two files: nothing at the local name before Complete");
    CHECK_HR(jobs_complete(jobs, alice, &id), HR_OK, "two files: Complete");
    CHECK(hash_ok("C:/dl/a.bin", &f_a) && hash_ok("C:/dl/b.bin", &f_b),
          "two files: Complete renamed both into place (SHA-256)");
    CHECK(!exists(t0) && !exists(t1), "two files: temp files gone");
    CHECK_HR(jobs_lookup(jobs, alice, &id), 0x80D02003u, "two files: job gone after Complete");
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
    CHECK(!exists(t), "cancel: temp file removed");
    char buf[16] = {0};
    f = fopen("C:/dl/keep.bin", "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    CHECK(n == 4 && !strcmp(buf, "keep"), "cancel: the file at the local name untouched");
    CHECK_HR(jobs_lookup(jobs, alice, &id), 0x80D02003u, "cancel: job gone");
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
    CHECK_HR(jobs_cancel(jobs, alice, &id), HR_OK, "404: Cancel");

    id = new_job("flaky", JOB_PRIORITY_NORMAL, url(u, fault_port, "/flaky/1/b.bin"), "C:/dl/flaky.bin",
                 NULL, NULL);
    set_number(&id, JOB_PROP_MIN_RETRY_DELAY, 1);
    jobs_resume(jobs, alice, &id);
    CHECK(wait_state(&id, JOB_STATE_TRANSIENT_ERROR, 5000), "500: job TRANSIENT_ERROR");
    store_job_t job = {0};
    jobs_get(jobs, alice, &id, &job);
    /* The 500 is seen as HTTP 500 (context 5), or as a reset when the fault server closes first. */
    if (!CHECK(job.error_count == 1 && job.error_file_index == 0 &&
                   ((job.error_code == 0x801901F4u && job.error_context == 5) ||
                    (job.error_code == 0x80072EFFu && job.error_context == 0)),
               "500: transient error recorded (code, context, file, count)"))
        printf("#   code 0x%08x context %d\n", (unsigned)job.error_code, job.error_context);
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
    check_error(&id, JOB_STATE_ERROR, 0x80D02002u, 0, "no progress: DO_E_DOWNLOAD_NO_PROGRESS, context NONE");
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

int main(void)
{
    if (http_fixture_setup("scheduler") != 0)
        return 2;
    char logpath[400];
    snprintf(logpath, sizeof logpath, "%s/service.log", dir);
    log_open(logpath);

    int files_ok = make_file(&f_a) == 0 && make_file(&f_b) == 0 && make_file(&f_s1) == 0 &&
                   make_file(&f_s2) == 0 && make_file(&f_s3) == 0 && make_file(&f_r) == 0;
    CHECK(files_ok, "test files written");
    int servers = CHECK(start_nginx(), "nginx started on a loopback port") &
                  CHECK(start_fault_server(), "fault server started on a loopback port");
    char cdir[400];
    snprintf(cdir, sizeof cdir, "%s/C:", dir);
    mkdir(cdir, 0700);
    snprintf(cdir, sizeof cdir, "%s/C:/dl", dir);
    mkdir(cdir, 0700);
    snprintf(db, sizeof db, "%s/jobs.db", dir);
    if (servers && files_ok && chdir(dir) == 0)
        CHECK_HR(jobs_open(db, &jobs, NULL), HR_OK, "jobs_open");
    if (jobs && CHECK(jobs_enable_transfers(jobs, &options, NULL, 4) == HR_OK, "transfers enabled")) {
        CHECK_HR(jobs_enable_transfers(jobs, &options, NULL, 4), HR_FALSE, "enable twice: S_FALSE");
        test_two_files();
        test_cancel();
        test_suspend_resume();
        test_errors();
        test_restart();
        test_foreground();
        test_rename_failure();
    }
    jobs_close(jobs); /* disables transfers */
    kill_servers();
    log_close();
    curl_global_cleanup();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    free(f_a.data);
    free(f_b.data);
    free(f_s1.data);
    free(f_s2.data);
    free(f_s3.data);
    free(f_r.data);
    return CHECK_EXIT_CODE();
}
