/* Native tests of a job's helper-token flags (engine/jobs/job_helper_token.c;
 * IBitsTokenOptions of the BITS classes): the values SetHelperTokenFlags takes and refuses,
 * access, persistence across a restart, and, with transfers enabled, BG_E_TOKEN_REQUIRED for a
 * job whose token the service does not hold (jobs_file_ops_t.has_helper_token) while the same
 * job transfers once the token is there. */
#include "http_fixture.h"
#include "jobs_fixture.h"

#define T_BG_E_TOKEN_REQUIRED 0x80200056u
#define T_CONTEXT_LOCAL_FILE 4

static fixture_t fx;
static testfile_t f_t = {"t.bin", 70000, NULL, {0}};
static int token_held; /* what the fake service answers to has_helper_token */

static int has_token(void *ctx, const store_guid_t *job)
{
    (void)ctx, (void)job;
    return token_held;
}

static uint32_t flags_of(const store_guid_t *id)
{
    store_job_t job = job_snapshot(fx.jobs, alice(), id);
    uint32_t flags = job.helper_token_flags;
    store_job_clear(&job);
    return flags;
}

static void test_flags(store_guid_t *id)
{
    CHECK_HR(jobs_create(fx.jobs, alice(), "token", JOB_TYPE_DOWNLOAD, id), HR_OK, "create a job");
    CHECK(flags_of(id) == 0, "flags: 0 by default");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, 4), T_E_INVALIDARG, "flags: 4 (unknown): E_INVALIDARG");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, 0x80000001u), T_E_INVALIDARG,
             "flags: a high bit with LOCAL_FILE: E_INVALIDARG");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, JOB_HELPER_TOKEN_NETWORK), T_E_NOTIMPL,
             "flags: BG_TOKEN_NETWORK: E_NOTIMPL (not supported)");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, 3), T_E_NOTIMPL, "flags: LOCAL_FILE|NETWORK: E_NOTIMPL");
    CHECK(flags_of(id) == 0, "flags: refused values leave the job as it was");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, bob(), id, JOB_HELPER_TOKEN_LOCAL_FILE), T_E_ACCESSDENIED,
             "flags: another user: E_ACCESSDENIED");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, JOB_HELPER_TOKEN_LOCAL_FILE), HR_OK, "flags: LOCAL_FILE: S_OK");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, admin(), id, JOB_HELPER_TOKEN_LOCAL_FILE), HR_OK,
             "flags: an administrator may set them too");
    CHECK(fixture_reopen(&fx), "flags: the job manager reopens (service restart)");
    CHECK(flags_of(id) == JOB_HELPER_TOKEN_LOCAL_FILE, "flags: LOCAL_FILE survives the restart");
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

static void test_token_required(const store_guid_t *id)
{
    char remote[400];
    snprintf(remote, sizeof remote, "http://127.0.0.1:%d/file/t.bin", fault_port);
    CHECK_HR(add_one_file(fx.jobs, alice(), id, remote, "C:/dl/t.bin"), HR_OK, "required: a file added");
    token_held = 0;
    CHECK_HR(jobs_resume(fx.jobs, alice(), id), HR_OK, "required: resumed without a token");
    CHECK(wait_state(id, JOB_STATE_ERROR), "required: the job goes to ERROR");
    store_job_t job = job_snapshot(fx.jobs, alice(), id);
    CHECK(job.error_code == T_BG_E_TOKEN_REQUIRED && job.error_context == T_CONTEXT_LOCAL_FILE &&
              job.error_file_index == 0,
          "required: BG_E_TOKEN_REQUIRED, local-file context, file 0");
    store_job_clear(&job);
    ull requests = 0, bytes = 0;
    fault_stats("/file/t.bin", &requests, &bytes);
    CHECK(requests == 0, "required: no request was made");
    token_held = 1;
    CHECK_HR(jobs_resume(fx.jobs, alice(), id), HR_OK, "required: resumed once the token is there");
    CHECK(wait_state(id, JOB_STATE_TRANSFERRED), "required: TRANSFERRED");
    CHECK_HR(jobs_set_helper_token_flags(fx.jobs, alice(), id, 0), HR_OK, "required: flags cleared");
    CHECK_HR(jobs_complete(fx.jobs, alice(), id), HR_OK, "required: completed");
}

int main(void)
{
    if (http_fixture_setup("helpertoken") != 0 || !fixture_open(&fx, "helpertoken-rules"))
        return 2;
    store_guid_t id = {{0}};
    test_flags(&id);
    const jobs_file_ops_t ops = {.has_helper_token = has_token};
    static const transfer_options_t options = {.checkpoint_bytes = 16 * KiB, .checkpoint_ms = 100};
    int servers = make_file(&f_t) == 0 && CHECK(start_fault_server(), "fault server started on a loopback port");
    if (servers && CHECK(http_fixture_enter_drive(), "a C: drive in the test directory") &&
        CHECK(jobs_enable_transfers(fx.jobs, &options, &ops, 2) == HR_OK, "transfers enabled"))
        test_token_required(&id);
    fixture_finish(&fx);
    http_fixture_teardown();
    free(f_t.data);
    return CHECK_EXIT_CODE();
}
