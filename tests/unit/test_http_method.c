/* Native tests of a job's HTTP method and write-only custom headers
 * (engine/jobs/job_http_method.c; IBackgroundCopyJobHttpOptions2/3 of the BITS classes): the
 * value rules, when SetHttpMethod is allowed, the FOREGROUND lock, what survives a restart, and
 * then, with transfers enabled against tests/fault_server.py, the method and the write-only
 * headers seen on the wire, fatal errors instead of TRANSIENT_ERROR, and transfers that restart
 * from byte 0 instead of resuming. */
#include "http_fixture.h"
#include "jobs_fixture.h"

#define T_BG_E_STRING_TOO_LONG 0x80200021u
#define T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME 0x80200062u
#define T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD 0x80200071u

static fixture_t fx;
static testfile_t f_m = {"m.bin", 300000, NULL, {0}};
static const transfer_options_t options = {.checkpoint_bytes = 16 * KiB, .checkpoint_ms = 100};

static store_guid_t new_download(const char *remote, const char *local)
{
    store_guid_t id = {{0}};
    CHECK_HR(jobs_create(fx.jobs, alice(), "method", JOB_TYPE_DOWNLOAD, &id), HR_OK, "create a job");
    if (remote)
        CHECK_HR(add_one_file(fx.jobs, alice(), &id, remote, local), HR_OK, "add a file");
    return id;
}

/* The job's method, priority, write-only flag and started mark, in one line for comparisons. */
static void describe(const store_guid_t *id, char *out, size_t size)
{
    store_job_t job = job_snapshot(fx.jobs, admin(), id);
    snprintf(out, size, "method=%s effective=%s priority=%d write_only=%d started=%d",
             job.http_method ? job.http_method : "(default)", job_http_method(&job), job.priority,
             job.custom_headers_write_only, job.started);
    store_job_clear(&job);
}

static int is(const store_guid_t *id, const char *want)
{
    char got[200];
    describe(id, got, sizeof got);
    if (strcmp(got, want))
        printf("#   got \"%s\", want \"%s\"\n", got, want);
    return !strcmp(got, want);
}

static void set_priority(const store_guid_t *id, uint32_t priority, uint32_t want, const char *name)
{
    job_value_t v = {.number = priority};
    CHECK_HR(jobs_set(fx.jobs, alice(), id, JOB_PROP_PRIORITY, &v), want, name);
}

static void test_values(void)
{
    store_guid_t id = new_download("http://example.test/a", "C:\\dl\\a");
    char *longest = padded("M", 'X', JOB_HTTP_METHOD_MAX), *too_long = padded("M", 'X', JOB_HTTP_METHOD_MAX + 1);
    const char *refused[] = {"", "GE T", "GET\r\n", "PUT:", "G(ET)", "\xc3\xa9T", "A/B"};
    const char *shown[] = {"empty", "a space", "CR LF", "a colon", "parentheses", "non-ASCII", "a slash"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char name[80];
        snprintf(name, sizeof name, "method: with %s, no token: E_INVALIDARG", shown[i]);
        CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, refused[i]), T_E_INVALIDARG, name);
    }
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, NULL), T_E_INVALIDARG, "method: NULL: E_INVALIDARG");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, too_long), T_BG_E_STRING_TOO_LONG,
             "method: 65 characters: BG_E_STRING_TOO_LONG");
    CHECK(is(&id, "method=(default) effective=GET priority=2 write_only=0 started=0"), "method: refused values leave the job as it was");
    CHECK_HR(jobs_set_http_method(fx.jobs, bob(), &id, "PROPFIND"), T_E_ACCESSDENIED, "method: another user: E_ACCESSDENIED");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, longest), HR_OK, "method: 64 characters: accepted");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "!#$%&'*+-.^_`|~09azAZ"), HR_OK, "method: every tchar: accepted");
    free(longest);
    free(too_long);
}

static void test_priority_lock(void)
{
    store_guid_t id = new_download("http://example.test/a", "C:\\dl\\a");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "GET"), HR_OK, "lock: the default GET: accepted");
    CHECK(is(&id, "method=(default) effective=GET priority=2 write_only=0 started=0"), "lock: the default changes nothing");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "PROPFIND"), HR_OK, "lock: PROPFIND: accepted");
    CHECK(is(&id, "method=PROPFIND effective=PROPFIND priority=0 write_only=0 started=0"), "lock: PROPFIND stored, priority FOREGROUND");
    set_priority(&id, JOB_PRIORITY_NORMAL, T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
                 "lock: SetPriority(NORMAL): BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD");
    set_priority(&id, JOB_PRIORITY_FOREGROUND, HR_OK, "lock: SetPriority(FOREGROUND): accepted");
    CHECK(fixture_reopen(&fx), "lock: the job manager reopens (service restart)");
    CHECK(is(&id, "method=PROPFIND effective=PROPFIND priority=0 write_only=0 started=0"), "lock: after the restart: the same");
    set_priority(&id, JOB_PRIORITY_LOW, T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD, "lock: after the restart: still locked");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "GET"), HR_OK, "lock: back to GET: accepted");
    CHECK(is(&id, "method=(default) effective=GET priority=0 write_only=0 started=0"), "lock: GET drops the custom method");
    set_priority(&id, JOB_PRIORITY_LOW, HR_OK, "lock: without a custom method the priority is free again");

    store_guid_t ranged = new_download(NULL, NULL);
    store_range_t range = {0, 10};
    job_file_spec_t spec = file_spec("http://example.test/r", "C:\\dl\\r");
    spec.ranges = &range;
    spec.range_count = 1;
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &ranged, &spec, 1, NULL), HR_OK, "lock: a file with ranges");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &ranged, "POST"), T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
             "lock: custom method on a job with ranges: BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &ranged, "GET"), HR_OK, "lock: the default on that job: accepted");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "PROPFIND"), HR_OK, "lock: PROPFIND again");
    CHECK_HR(jobs_add_files(fx.jobs, alice(), &id, &spec, 1, NULL), T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
             "lock: a file with ranges on a custom-method job: BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD");
    CHECK(file_count_of(fx.jobs, alice(), &id) == 1, "lock: no file was added");
    job_value_t on = {.number = 1};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_ON_DEMAND, &on), T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
             "lock: ON_DEMAND_MODE on a custom-method job: BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD");
    store_guid_t demand = new_download("http://example.test/d", "C:\\dl\\d");
    CHECK_HR(jobs_set(fx.jobs, alice(), &demand, JOB_PROP_ON_DEMAND, &on), HR_OK, "lock: another job in on-demand mode");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &demand, "POST"), T_BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD,
             "lock: a custom method on an on-demand job: BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD");
}

static void test_after_resume(void)
{
    store_guid_t id = new_download("http://127.0.0.1:9/never", "C:\\dl\\never");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "resume: the job is resumed");
    CHECK_HR(jobs_suspend(fx.jobs, alice(), &id), HR_OK, "resume: and suspended again");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "PROPFIND"), T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
             "resume: SetHttpMethod after the first Resume: BG_E_READ_ONLY_PROPERTY_AFTER_RESUME");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "GET"), T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
             "resume: even the default");
    CHECK(fixture_reopen(&fx), "resume: the job manager reopens");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "PROPFIND"), T_BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
             "resume: after a restart: still BG_E_READ_ONLY_PROPERTY_AFTER_RESUME");
}

static void test_write_only(void)
{
    store_guid_t id = new_download("http://example.test/a", "C:\\dl\\a");
    job_value_t headers = {.text = "X-Token: secret\r\n"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_CUSTOM_HEADERS, &headers), HR_OK, "write-only: headers set");
    CHECK_HR(jobs_make_custom_headers_write_only(fx.jobs, bob(), &id), T_E_ACCESSDENIED, "write-only: another user: E_ACCESSDENIED");
    CHECK_HR(jobs_make_custom_headers_write_only(fx.jobs, alice(), &id), HR_OK, "write-only: S_OK");
    CHECK_HR(jobs_make_custom_headers_write_only(fx.jobs, alice(), &id), HR_OK, "write-only: again: S_OK");
    CHECK(fixture_reopen(&fx), "write-only: the job manager reopens");
    store_job_t job = job_snapshot(fx.jobs, alice(), &id);
    CHECK(job.custom_headers_write_only == 1 && text_equal(job.custom_headers, "X-Token: secret\r\n"),
          "write-only: after a restart: still write-only, the headers kept (the service sends them)");
    store_job_clear(&job);
}

/* ---- on the wire (transfers enabled) -------------------------------------------------------------- */

/* The fault server's statistics of path contain needle (e.g. "\"seen_methods\": [\"PROPFIND\"]"). */
static int stats_have(const char *path, const char *needle)
{
    char key[200], *text = fault_stats_text();
    snprintf(key, sizeof key, "\"%s\": {", path);
    char *entry = text ? strstr(text, key) : NULL, *end = entry ? strchr(entry, '}') : NULL;
    if (end)
        *end = '\0';
    int found = entry && strstr(entry, needle);
    if (!found)
        printf("#   stats of %s: %s\n", path, entry ? entry : "(none)");
    free(text);
    return found;
}

static int wait_state(const store_guid_t *id, int32_t state)
{
    for (int t = 0; t < 20000; t += 20) {
        if (job_state_of(fx.jobs, alice(), id) == state)
            return 1;
        sleep_ms(20);
    }
    printf("#   state %d, wanted %d\n", job_state_of(fx.jobs, alice(), id), state);
    return 0;
}

static char *fault_url(const char *path)
{
    static char buf[4][300];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof buf[0], "http://127.0.0.1:%d%s", fault_port, path);
    return b;
}

static int hash_ok(const char *path, const testfile_t *t)
{
    uint8_t h[32];
    uint64_t size = 0;
    return sha256_file(path, h, &size) == 0 && size == t->size && !memcmp(h, t->hash, 32);
}

static void test_on_the_wire(void)
{
    store_guid_t id = new_download(fault_url("/file/m.bin"), "C:/dl/m.bin");
    job_value_t headers = {.text = "X-Token: secret\r\nX-Second: two\r\n"};
    CHECK_HR(jobs_set(fx.jobs, alice(), &id, JOB_PROP_CUSTOM_HEADERS, &headers), HR_OK, "wire: headers set");
    CHECK_HR(jobs_make_custom_headers_write_only(fx.jobs, alice(), &id), HR_OK, "wire: headers made write-only");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "PROPFIND"), HR_OK, "wire: PROPFIND set");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "wire: resumed");
    CHECK(wait_state(&id, JOB_STATE_TRANSFERRED), "wire: TRANSFERRED");
    CHECK_HR(jobs_complete(fx.jobs, alice(), &id), HR_OK, "wire: completed");
    CHECK(hash_ok("C:/dl/m.bin", &f_m), "wire: the file arrived whole");
    CHECK(stats_have("/file/m.bin", "\"seen_methods\": [\"PROPFIND\"]"), "wire: the server received one PROPFIND request");
    CHECK(stats_have("/file/m.bin", "\"seen_x_headers\": [\"X-Token: secret\", \"X-Second: two\"]"),
          "wire: the write-only headers were sent");
}

/* A failure that is transient for a GET job is fatal for a custom-method job, and its next Resume
 * starts from byte 0 (the server sees two responses starting at offset 0, not a resume). */
static void test_fatal_and_restart(void)
{
    store_guid_t get = new_download(fault_url("/drop/100000/m.bin"), "C:/dl/get.bin");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &get), HR_OK, "restart: a GET job over a dropping route");
    CHECK(wait_state(&get, JOB_STATE_TRANSIENT_ERROR), "restart: the GET job goes to TRANSIENT_ERROR");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &get), HR_OK, "restart: the GET job is cancelled");

    store_guid_t id = new_download(fault_url("/drop/120000/m.bin"), "C:/dl/post.bin");
    CHECK_HR(jobs_set_http_method(fx.jobs, alice(), &id, "POST"), HR_OK, "restart: POST set");
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "restart: resumed");
    CHECK(wait_state(&id, JOB_STATE_ERROR), "restart: the same failure sends the POST job to ERROR");
    store_file_t file = {0};
    jobs_get_file(fx.jobs, alice(), &id, 0, &file);
    CHECK(file.bytes_transferred > 0 && file.bytes_transferred <= 120000, "restart: part of the file had arrived");
    store_file_clear(&file);
    CHECK_HR(jobs_resume(fx.jobs, alice(), &id), HR_OK, "restart: resumed again");
    CHECK(wait_state(&id, JOB_STATE_ERROR), "restart: ERROR again (the route drops every response)");
    CHECK(stats_have("/drop/120000/m.bin", "\"starts\": [0, 0]"), "restart: both attempts started at byte 0 (no Range)");
    CHECK(stats_have("/drop/120000/m.bin", "\"seen_methods\": [\"POST\", \"POST\"]"), "restart: both were POST");
    CHECK_HR(jobs_cancel(fx.jobs, alice(), &id), HR_OK, "restart: cancelled");
}

int main(void)
{
    if (http_fixture_setup("httpmethod") != 0 || !fixture_open(&fx, "httpmethod-rules"))
        return 2;
    test_values();
    test_priority_lock();
    test_after_resume();
    test_write_only();
    int servers = make_file(&f_m) == 0 && CHECK(start_fault_server(), "fault server started on a loopback port");
    if (servers && CHECK(http_fixture_enter_drive(), "a C: drive in the test directory") &&
        CHECK(jobs_enable_transfers(fx.jobs, &options, NULL, 2) == HR_OK, "transfers enabled")) {
        test_on_the_wire();
        test_fatal_and_restart();
    }
    fixture_finish(&fx);
    http_fixture_teardown();
    free(f_m.data);
    return CHECK_EXIT_CODE();
}
